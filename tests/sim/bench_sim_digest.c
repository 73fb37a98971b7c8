/*
 * bench_sim_digest.c - a fingerprint of every sim run of the specs given:
 * one line per run with a 64-bit FNV-1a digest of every sample (time,
 * each metric's name, value bits and null flag, in order), of the final
 * metrics (sim.wall_ns left out: it is wall time) and of the reason and
 * examples. Two builds that print the same lines gave byte-identical
 * results and samples for those specs: the check a speed change of the
 * simulator must pass (docs/model.md, "Speed"). Specs of other targets
 * are skipped (a target unavailable here is named on stderr).
 * Usage: bench_sim_digest SPEC... The set used so far, run with the build
 * before and after a change and the outputs compared with cmp: every
 * .json of suites/default and of tests/sim/bench_sim_digest (every kernel,
 * fault model, folio, granule, pattern, queue depth and strategy; the
 * bench's workloads at 20 ms), and the fuzz corpus's suite and sweep specs.
 */
#include "../../core/core.h"
#include "../../lib/metrics.h"
#include "../../targets/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct digest {
	uint64_t h;
	unsigned long samples;
};

static void mix(struct digest *d, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		d->h ^= b[i];
		d->h *= 0x100000001b3ULL;
	}
}

static void mix_metrics(struct digest *d, const struct metrics *m, int final)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct metric *x = &m->v[i];

		if (final && !strcmp(x->name, "sim.wall_ns"))
			continue;
		mix(d, x->name, strlen(x->name) + 1);
		mix(d, &x->value, sizeof(x->value));
		mix(d, &x->is_null, sizeof(x->is_null));
	}
}

static void on_sample(void *ctx, uint64_t t, const struct metrics *m)
{
	struct digest *d = ctx;

	d->samples++;
	mix(d, &t, sizeof(t));
	mix_metrics(d, m, 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = 0;
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	int rc = 0;

	for (int a = 1; a < argc; a++) {
		struct spec_error err = {.field = ""};
		size_t len;
		char *text = slurp(argv[a], &len);
		struct spec *sp = text ? spec_parse(text, len, &err) : NULL;

		if (!sp) {
			fprintf(stderr, "bench_sim_digest: %s: %s %s\n", argv[a],
				text ? err.field : "cannot read", text ? err.msg : "");
			free(text);
			rc = 1;
			continue;
		}
		if (strcmp(sp->target->name, "sim")) {
			spec_free(sp);
			free(text);
			continue;
		}
		for (size_t r = 0; r < sp->nruns; r++) {
			const struct run_plan *p = &sp->runs[r];
			struct digest d = {0xcbf29ce484222325ULL, 0};
			struct run_sink sink = {.ctx = &d, .sample = on_sample};
			struct metrics *m = metrics_new();
			struct run_result res = {.metrics = m};
			struct run_req req = {sp->workload, p->strategy, p->params, p->seed};
			int ok = sp->target->run(&req, &sink, &res);

			mix(&d, &ok, sizeof(ok));
			mix(&d, res.reason, strlen(res.reason) + 1);
			for (int e = 0; e < res.nexamples; e++)
				mix(&d, res.examples[e], strlen(res.examples[e]) + 1);
			mix_metrics(&d, m, 1);
			printf("%s run %zu %016llx samples %lu events %.0f\n", argv[a], r,
			       (unsigned long long)d.h, d.samples, metrics_value(m, "sim.events", 0));
			metrics_free(m);
		}
		spec_free(sp);
		free(text);
	}
	return rc;
}
