/*
 * test_spec.c - specs as a user writes them: every kind of mistake is
 * refused naming the field and what is allowed there; good specs expand
 * into the runs api.md promises, with paired, stable seeds.
 */
#include "../harness.h"
#include "../../core/core.h"

#include <stdlib.h>
#include <string.h>

/* needles: "a|b|c", each must occur in the message. */
static int has_all(const char *msg, const char *needles)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", needles);
	for (char *n = strtok_r(buf, "|", &save); n; n = strtok_r(NULL, "|", &save))
		if (!strstr(msg, n))
			return 0;
	return 1;
}

static void refused(const char *name, const char *text, const char *field,
		    const char *needles)
{
	struct spec_error err;
	struct spec *s = spec_parse(text, strlen(text), &err);

	if (s) {
		test_result(0, name, "accepted %s", text);
		spec_free(s);
		return;
	}
	test_result(!strcmp(err.field, field) && has_all(err.msg, needles), name,
		    "got field \"%s\", message \"%s\"; want field \"%s\" and \"%s\"",
		    err.field, err.msg, field, needles);
}

static struct spec *parse(const char *text)
{
	struct spec_error err;
	struct spec *s = spec_parse(text, strlen(text), &err);

	if (!s)
		printf("# refused %s: %s: %s\n", text, err.field, err.msg);
	return s;
}

/* 200 characters are fine, 201 are not; characters, not UTF-8 bytes. */
static void long_text(void)
{
	char text[1024], name[700] = "";
	struct spec_error err;
	struct spec *s;

	for (int i = 0; i < 200; i++)
		strcat(name, "\xc3\xa9"); /* é: 2 bytes, 1 character */
	snprintf(text, sizeof(text), "{\"workload\": \"rw-reuse\", \"name\": \"%s\"}", name);
	s = spec_parse(text, strlen(text), &err);
	test_result(s != NULL, "a name of 200 characters (400 bytes) is fine", "%s", err.msg);
	spec_free(s);
	strcat(name, "x");
	snprintf(text, sizeof(text), "{\"workload\": \"rw-reuse\", \"name\": \"%s\"}", name);
	refused("name longer than 200 characters", text, "name", "201 characters|at most 200");
}

static void bad_specs(void)
{
	refused("not JSON names line and column", "{\"workload\": \"rw-reuse\",\n  \"seed\": }",
		"", "not JSON|line 2|column");
	refused("empty input is not JSON", "", "", "not JSON");
	refused("duplicate key", "{\"workload\": \"rw-reuse\", \"workload\": \"mixed\"}",
		"", "duplicate");
	refused("duplicate param key", "{\"workload\": \"rw-reuse\", \"params\": {\"pages\": 1, \"pages\": 2}}",
		"", "duplicate");
	refused("top level must be an object", "[1, 2]", "", "expected a JSON object");
	refused("unknown top-level key", "{\"workload\": \"rw-reuse\", \"repetition\": 3}",
		"repetition", "unknown key|repetitions|strategies");
	refused("unknown param", "{\"workload\": \"rw-reuse\", \"params\": {\"bogus\": 1}}",
		"params.bogus", "unknown parameter|svabench describe sim");
	refused("params must be an object", "{\"workload\": \"rw-reuse\", \"params\": [1]}",
		"params", "expected an object");
	refused("bool wants true or false", "{\"workload\": \"rw-reuse\", \"params\": {\"ats\": 1}}",
		"params.ats", "expected true or false");
	refused("int wants a number", "{\"workload\": \"rw-reuse\", \"params\": {\"pages\": \"64\"}}",
		"params.pages", "expected an integer|1..1048576 pages");
	refused("enum wants a name", "{\"workload\": \"rw-reuse\", \"params\": {\"granule\": 16}}",
		"params.granule", "expected a string|4k, 16k, 64k");
	refused("enum unknown value", "{\"workload\": \"rw-reuse\", \"params\": {\"granule\": \"8k\"}}",
		"params.granule", "unknown value \"8k\"|allowed: 4k, 16k, 64k");
	refused("int out of range", "{\"workload\": \"rw-reuse\", \"params\": {\"pages\": 0}}",
		"params.pages", "0 is out of range, allowed 1..1048576 pages");
	refused("int above range", "{\"workload\": \"rw-reuse\", \"params\": {\"duration_us\": 60000001}}",
		"params.duration_us", "60000001 is out of range, allowed 10..60000000 us");
	refused("real out of range", "{\"workload\": \"rw-reuse\", \"params\": {\"write_fraction\": 1.5}}",
		"params.write_fraction", "1.5 is out of range, allowed 0..1");
	refused("real below range", "{\"workload\": \"rw-reuse\", \"params\": {\"dma_bytes_per_ns\": 0}}",
		"params.dma_bytes_per_ns", "out of range, allowed 0.001..1000 B/ns");
	refused("int must be integral", "{\"workload\": \"rw-reuse\", \"params\": {\"pages\": 64.5}}",
		"params.pages", "64.5 is not an integer|1..1048576 pages");
	refused("swept value out of range names its index",
		"{\"workload\": \"rw-reuse\", \"params\": {\"pages\": [64, 0]}}",
		"params.pages[1]", "0 is out of range, allowed 1..1048576 pages");
	refused("nested list in a sweep", "{\"workload\": \"rw-reuse\", \"params\": {\"pages\": [[64]]}}",
		"params.pages[0]", "expected an integer");
	refused("empty sweep list", "{\"workload\": \"rw-reuse\", \"params\": {\"pages\": []}}",
		"params.pages", "empty list");
	refused("value swept twice", "{\"workload\": \"rw-reuse\", \"params\": {\"granule\": [\"4k\", \"16k\", \"4k\"]}}",
		"params.granule[2]", "4k is listed twice");
	refused("missing workload", "{\"params\": {}}", "workload", "missing|rw-reuse|munmap-large");
	refused("unknown workload", "{\"workload\": \"foo\"}", "workload",
		"unknown workload \"foo\"|allowed: rw-reuse, first-touch, cpu-upgrade-churn, mixed, mprotect-toggle, munmap-large");
	refused("workload wants a string", "{\"workload\": 3}", "workload", "expected a string|rw-reuse");
	refused("unknown strategy names its index",
		"{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"fix-c\"]}",
		"strategies[1]", "unknown strategy \"fix-c\"|none, pri-inv, pri-inv-sync, notifier, notifier-seed, pri-inv-no-atc");
	refused("strategy wants a string", "{\"workload\": \"rw-reuse\", \"strategies\": [1]}",
		"strategies[0]", "expected a strategy name|pri-inv");
	refused("empty strategies", "{\"workload\": \"rw-reuse\", \"strategies\": []}",
		"strategies", "empty list|pri-inv");
	refused("strategies must be a list", "{\"workload\": \"rw-reuse\", \"strategies\": \"none\"}",
		"strategies", "expected a list|pri-inv");
	refused("duplicate strategy", "{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"notifier\", \"none\"]}",
		"strategies[2]", "\"none\" is listed twice");
	refused("unknown preset", "{\"workload\": \"rw-reuse\", \"preset\": \"m1\"}",
		"preset", "unknown preset \"m1\"|default|thor-6.8");
	refused("unknown target", "{\"target\": \"fvp\", \"workload\": \"rw-reuse\"}",
		"target", "unknown target \"fvp\"|allowed: sim");
	refused("repetitions out of range", "{\"workload\": \"rw-reuse\", \"repetitions\": 0}",
		"repetitions", "0 is out of range, allowed 1..1000");
	refused("repetitions above range", "{\"workload\": \"rw-reuse\", \"repetitions\": 1001}",
		"repetitions", "allowed 1..1000");
	refused("repetitions wants an integer", "{\"workload\": \"rw-reuse\", \"repetitions\": 2.5}",
		"repetitions", "not an integer");
	refused("negative seed", "{\"workload\": \"rw-reuse\", \"seed\": -1}",
		"seed", "out of range, allowed 0..9007199254740992");
	refused("seed above 2^53", "{\"workload\": \"rw-reuse\", \"seed\": 9007199254740993000}",
		"seed", "out of range");
	refused("seed wants a number", "{\"workload\": \"rw-reuse\", \"seed\": \"42\"}",
		"seed", "expected an integer");
	refused("label wants a string", "{\"workload\": \"rw-reuse\", \"label\": 6}",
		"label", "expected a string");

	long_text();

	refused("too many runs names the limit",
		"{\"workload\": \"rw-reuse\", \"repetitions\": 1000, \"params\": {\"pages\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}",
		"", "too many runs|17 cells x 6 strategies x 1000 repetitions = 102000|100000");
	refused("a sweep alone too large",
		"{\"workload\": \"rw-reuse\", \"strategies\": [\"none\"], \"params\": {"
		"\"pages\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50],"
		"\"cpu_pages\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50],"
		"\"hot_pages\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50]}}",
		"", "too many runs|100000");
	refused("check_cell: a transaction larger than a 4k page",
		"{\"workload\": \"rw-reuse\", \"params\": {\"txn_bytes\": 8192}}",
		"params.txn_bytes", "8192|4096");
	refused("check_cell in a sweep names the cell",
		"{\"workload\": \"rw-reuse\", \"params\": {\"granule\": [\"16k\", \"4k\"], \"txn_bytes\": 8192}}",
		"params.txn_bytes", "4096|(cell granule=4k)");

	char *huge = malloc(SPEC_MAX_BYTES + 2);
	if (huge) {
		struct spec_error err;

		memset(huge, ' ', SPEC_MAX_BYTES + 1);
		huge[0] = '{';
		huge[SPEC_MAX_BYTES] = '}';
		test_result(!spec_parse(huge, SPEC_MAX_BYTES + 1, &err) && strstr(err.msg, "1 MiB"),
			    "spec over 1 MiB", "message \"%s\"", err.msg);
		free(huge);
	}
}

static int param(const struct spec *s, const char *name)
{
	return target_param_index(s->target, name);
}

static const char *cell_text(const struct run_plan *p, char *buf, size_t len)
{
	char *t = json_dumps(p->cell_json, JSON_COMPACT);

	snprintf(buf, len, "%s", t ? t : "(null)");
	free(t);
	return buf;
}

static void defaults(void)
{
	struct spec *s = parse("{\"workload\": \"first-touch\"}");
	const struct preset *p;
	int k, ok = 1;

	test_result(s != NULL, "minimal spec accepted", "refused");
	if (!s)
		return;
	test_result(!strcmp(s->target->name, "sim") && s->preset && !strcmp(s->preset->name, "default") &&
		    s->repetitions == 1 && s->seed == 1 && !s->label && !s->name,
		    "defaults: target sim, preset default, 1 repetition, seed 1",
		    "target %s, preset %s, repetitions %d, seed %llu", s->target->name,
		    s->preset ? s->preset->name : "-", s->repetitions, (unsigned long long)s->seed);
	test_result(s->nstrategies == s->target->nstrategies && s->nruns == s->target->nstrategies &&
		    s->ncells == 1, "default strategies: all of the target's, one cell",
		    "%zu strategies, %zu runs, %zu cells", s->nstrategies, s->nruns, s->ncells);
	for (size_t i = 0; i < s->nruns; i++)
		ok &= s->runs[i].strategy == (int)i && s->runs[i].seed == s->runs[0].seed &&
		      json_object_size(s->runs[i].cell_json) == 0;
	test_result(ok, "no sweep: empty cell, strategies in table order, one shared seed", "mismatch");

	/* Resolution order: table < preset < workload default < spec. */
	ok = 1;
	for (const struct param_override *o = s->target->workloads[s->workload].defaults; o->name; o++)
		ok &= s->runs[0].params[param(s, o->name)] == o->value;
	k = param(s, "write_fraction");
	test_result(ok && s->runs[0].params[k] == 1 && s->target->params[k].def != 1,
		    "the workload's defaults override the table's", "write_fraction = %g",
		    s->runs[0].params[k]);
	p = s->preset;
	ok = 1;
	for (size_t i = 0; i < p->nvalues; i++) {
		int j = param(s, p->values[i].param);

		ok &= j >= 0 && s->runs[0].params[j] == p->values[i].value;
	}
	test_result(ok && p->nvalues > 0, "preset values reach the run", "a preset value is missing");
	spec_free(s);

	s = parse("{\"workload\": \"first-touch\", \"params\": {\"pages\": 64.0, \"write_fraction\": 0}}");
	test_result(s && s->runs[0].params[param(s, "pages")] == 64 &&
		    s->runs[0].params[param(s, "write_fraction")] == 0,
		    "spec values override the workload's; 64.0 is an integer", "not applied");
	spec_free(s);

	s = parse("{\"target\": \"sim\", \"workload\": \"rw-reuse\", \"preset\": \"thor-6.8\", \"seed\": 9007199254740992, \"label\": \"v6.6\", \"name\": \"a title\"}");
	test_result(s && !strcmp(s->preset->name, "thor-6.8") && s->seed == 9007199254740992ULL &&
		    !strcmp(s->label, "v6.6") && !strcmp(s->name, "a title"),
		    "preset, seed 2^53, label and name kept", "not kept");
	spec_free(s);
}

static void sweep(void)
{
	struct spec *s = parse("{\"workload\": \"rw-reuse\", \"strategies\": [\"notifier\", \"none\"],"
			       " \"params\": {\"pages\": [16, 64], \"duration_us\": 200, \"ats\": [false, true]},"
			       " \"repetitions\": 3, \"seed\": 42}");
	static const char *const cells[] = {
		"{\"pages\":16,\"ats\":false}", "{\"pages\":16,\"ats\":true}",
		"{\"pages\":64,\"ats\":false}", "{\"pages\":64,\"ats\":true}",
	};
	char buf[128];
	int ok = 1, paired = 1, reps_differ = 1, cells_differ = 1;
	size_t r = 0;

	test_result(s != NULL, "sweep spec accepted", "refused");
	if (!s)
		return;
	test_result(s->ncells == 4 && s->nruns == 4 * 3 * 2, "2 x 2 sweep, 3 repetitions, 2 strategies = 24 runs",
		    "%zu cells, %zu runs", s->ncells, s->nruns);
	for (size_t c = 0; c < 4; c++) {
		for (int rep = 0; rep < 3; rep++) {
			for (int k = 0; k < 2; k++, r++) {
				const struct run_plan *p = &s->runs[r];
				int want = target_strategy_index(s->target, k ? "none" : "notifier");

				if (p->cell != c || p->repetition != rep || p->strategy != want ||
				    strcmp(cell_text(p, buf, sizeof(buf)), cells[c]) ||
				    p->params[param(s, "duration_us")] != 200 ||
				    p->params[param(s, "pages")] != (c < 2 ? 16 : 64) ||
				    p->params[param(s, "ats")] != (double)(c % 2)) {
					ok = 0;
					printf("# run %zu: cell %zu %s rep %d strategy %d\n", r, p->cell,
					       buf, p->repetition, p->strategy);
				}
				if (k && p->seed != s->runs[r - 1].seed)
					paired = 0;
				if (rep && p->seed == s->runs[r - 2].seed)
					reps_differ = 0;
				if (c && p->seed == s->runs[r - 6].seed)
					cells_differ = 0;
			}
		}
	}
	test_result(ok, "runs in order: cell (last param fastest), repetition, strategy; cell holds the swept params only",
		    "see above");
	test_result(paired, "strategies of one cell and repetition share a seed", "seeds differ");
	test_result(reps_differ, "repetitions get different seeds", "same seed");
	test_result(cells_differ, "cells get different seeds", "same seed");
	test_result(s->runs[0].seed < (1ULL << 53), "seeds fit in 53 bits (exact in JSON)", "%llu",
		    (unsigned long long)s->runs[0].seed);
	spec_free(s);

	s = parse("{\"workload\": \"rw-reuse\", \"params\": {\"granule\": [\"16k\", \"64k\"], \"hot_fraction\": [0.25]}}");
	test_result(s && !strcmp(cell_text(&s->runs[0], buf, sizeof(buf)), "{\"granule\":\"16k\",\"hot_fraction\":0.25}"),
		    "enums appear in the cell by name", "cell %s", s ? buf : "-");
	spec_free(s);
}

/* The seed of the run with pages=64, repetition rep, first strategy. */
static uint64_t seed_of(const char *text, double pages, int rep)
{
	struct spec *s = parse(text);
	uint64_t seed = 0;

	for (size_t i = 0; s && i < s->nruns; i++) {
		if (s->runs[i].params[param(s, "pages")] == pages && s->runs[i].repetition == rep) {
			seed = s->runs[i].seed;
			break;
		}
	}
	spec_free(s);
	return seed;
}

static void seed_stability(void)
{
	uint64_t a = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"repetitions\": 2, \"params\": {\"pages\": [16, 64]}}", 64, 1);
	uint64_t b = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"repetitions\": 2, \"params\": {\"pages\": [16, 32, 64, 128]}}", 64, 1);
	uint64_t c = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"repetitions\": 2, \"params\": {\"pages\": 64}}", 64, 1);
	uint64_t d = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"params\": {\"pages\": [64], \"ats\": [false]}}", 64, 0);
	uint64_t e = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"params\": {\"pages\": 64}}", 64, 0);
	uint64_t f = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 6, \"params\": {\"pages\": 64}}", 64, 0);
	uint64_t g = seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"strategies\": [\"pri-inv\"], \"params\": {\"pages\": 64}}", 64, 0);

	test_result(a && a == b, "a cell keeps its seed when other cells are added to the sweep",
		    "%llu vs %llu", (unsigned long long)a, (unsigned long long)b);
	test_result(a == c, "a cell's seed does not depend on whether it was swept",
		    "%llu vs %llu", (unsigned long long)a, (unsigned long long)c);
	test_result(d == e, "sweeping a parameter at its default value keeps the seed",
		    "%llu vs %llu", (unsigned long long)d, (unsigned long long)e);
	test_result(e != f, "the spec's seed changes the runs' seeds", "same seed %llu",
		    (unsigned long long)e);
	test_result(e == g, "the strategy list does not change the seeds", "%llu vs %llu",
		    (unsigned long long)e, (unsigned long long)g);
	test_result(seed_of("{\"workload\": \"rw-reuse\", \"seed\": 5, \"params\": {\"pages\": 64}}", 64, 0) == e,
		    "the same spec gives the same seeds", "differs");
}

int main(void)
{
	bad_specs();
	defaults();
	sweep();
	seed_stability();
	return test_exit();
}
