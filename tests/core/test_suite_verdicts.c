/*
 * test_suite_verdicts.c - the default suite (suites/default/NN-*.json, the
 * `sim` specs) run offline and
 * compared as `svabench compare` does: every cell of every spec reaches a
 * verdict on the headline cost, cost.total_ns_per_op (nothing reads
 * `insufficient data`; the other metrics' entries short of a verdict are
 * counted and printed, not failed: with thousands of entries a few sit on
 * the edge of significance), and the
 * livelock under `none` with negative caching reads `broken` with its
 * count. Run from the source tree (tests/run.sh does). SUITE_VERBOSE=1
 * lists each entry that is short of a verdict.
 */
#include "../harness.h"
#include "../../core/core.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Entries short of a verdict in cmp (insufficient data) on `only` (NULL:
 * every metric); the first few are printed, all when verbose. */
static size_t short_of_verdict(const char *spec_name, const json_t *cmp, const char *only,
			       int verbose, size_t *entries)
{
	size_t ci, bad = 0;
	json_t *cell;

	json_array_foreach(json_object_get(cmp, "cells"), ci, cell) {
		const char *st;
		json_t *ms;

		json_object_foreach(json_object_get(cell, "strategies"), st, ms) {
			const char *mn;
			json_t *e;

			json_object_foreach(ms, mn, e) {
				const char *v = json_string_value(json_object_get(e, "verdict"));

				if (only && strcmp(mn, only))
					continue;
				(*entries)++;
				if (!v || strcmp(v, "insufficient data"))
					continue;
				if (verbose || bad < 3)
					printf("# %s cell %zu %s %s: %s\n", spec_name, ci + 1, st, mn,
					       json_string_value(json_object_get(e, "reason")));
				bad++;
			}
		}
	}
	return bad;
}

static void check_livelock(const json_t *cmp)
{
	size_t ci;
	json_t *cell;
	int broken_nc = 0, clean_off = 0;

	json_array_foreach(json_object_get(cmp, "cells"), ci, cell) {
		int nc = json_is_true(json_object_get(json_object_get(cell, "cell"), "negative_caching"));
		json_t *none = json_object_get(json_object_get(cell, "correctness"), "none");
		const char *v = json_string_value(json_object_get(none, "verdict"));
		json_t *p99 = json_object_get(json_object_get(json_object_get(cell, "strategies"), "none"),
					      "dma.latency_ns.p99");

		if (nc && v && !strcmp(v, "broken") &&
		    json_number_value(json_object_get(none, "livelocked")) > 0 &&
		    !strcmp(json_string_value(json_object_get(p99, "verdict")), "broken"))
			broken_nc = 1;
		if (!nc && v && !strcmp(v, "correct"))
			clean_off = 1;
	}
	test_result(broken_nc && clean_off,
		    "suite 01: none is broken (with its livelock count) where negative caching "
		    "caches the read-only entry, on p99 too; correct without it",
		    "broken %d, correct without negative caching %d", broken_nc, clean_off);
}

int main(void)
{
	int verbose = getenv("SUITE_VERBOSE") != NULL;
	glob_t g;
	size_t nspecs = 0;

	if (glob("suites/default/*.json", 0, NULL, &g) || !g.gl_pathc) {
		test_result(0, "suite: the default specs are found", "no suites/default/*.json here");
		return test_exit();
	}
	for (size_t k = 0; k < g.gl_pathc; k++) {
		const char *path = g.gl_pathv[k], *base = strrchr(path, '/') + 1;
		struct runner_opts ro = {.jobs = 2};
		struct compare_opts co;
		struct spec_error e;
		struct results *r;
		struct spec *s;
		size_t len = 0, entries = 0, bad;
		char *text = slurp(path, &len), err[512] = "", name[160];
		json_t *cmp;

		/* qemu's figures are verdicts and commands (tests/qemu) */
		if (!text || !strstr(text, "\"target\": \"sim\"")) {
			free(text);
			continue;
		}
		s = spec_parse(text, len, &e);
		free(text);
		if (!s) {
			test_result(0, "suite: a default spec parses", "%s: %s %s", path, e.field, e.msg);
			continue;
		}
		nspecs++;
		r = results_new(s);
		if (!r || runner_run(r, &ro, err, sizeof(err)) || r->nfailed) {
			test_result(0, "suite: a default spec runs", "%s: %s", base,
				    err[0] ? err : "a run failed");
			results_free(r);
			spec_free(s);
			continue;
		}
		compare_defaults(&co);
		cmp = compare_json(r, base, &co, err, sizeof(err));
		bad = cmp ? short_of_verdict(base, cmp, "cost.total_ns_per_op", 1, &entries) : 1;
		snprintf(name, sizeof(name), "suite %s: a verdict on cost.total_ns_per_op in every "
			 "cell, for every strategy", base);
		test_result(cmp && !bad && entries, name, "%zu of %zu entries read insufficient data%s%s",
			    bad, entries, cmp ? "" : ": ", cmp ? "" : err);
		if (cmp) {
			size_t all = 0, short_all = short_of_verdict(base, cmp, NULL, verbose, &all);

			printf("# %s: %zu of %zu entries (every metric) short of a verdict\n", base,
			       short_all, all);
		}
		if (cmp && !strncmp(base, "01-", 3))
			check_livelock(cmp);
		json_decref(cmp);
		results_free(r);
		spec_free(s);
	}
	globfree(&g);
	test_result(nspecs >= 10, "suite: the sim specs of the default suite were all compared",
		    "%zu specs", nspecs);
	return test_exit();
}
