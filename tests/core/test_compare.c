/*
 * test_compare.c - the comparison a user reads: a spec and synthetic
 * results built in memory, then the verdicts of clear differences (worse,
 * better), of noise, of a difference below the noise threshold; the
 * default baseline and metric set, the derived TLBI total; a warning when
 * repetitions are too few for the U test and when runs failed; refusals
 * naming what is allowed; and the crossover map of a 2 x 2 sweep.
 */
#include "../harness.h"
#include "../../core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A 2 x 2 crossover sweep on `mixed`. */
static const char sweep_spec[] =
	"{\"workload\": \"mixed\", \"strategies\": [\"none\", \"pri-inv\", \"notifier\"],"
	" \"params\": {\"duration_us\": 500, \"device_fault_rate_hz\": [1000, 100000],"
	" \"cpu_upgrade_rate_hz\": [1000, 100000]}, \"repetitions\": %d, \"seed\": 5}";

static struct spec *parse(const char *fmt, int reps)
{
	char text[1024];
	struct spec_error e;
	struct spec *s;

	snprintf(text, sizeof(text), fmt, reps);
	s = spec_parse(text, strlen(text), &e);
	if (!s)
		printf("# spec refused: %s: %s\n", e.field, e.msg);
	return s;
}

static const char *strategy(const struct spec *s, size_t i)
{
	return s->target->strategies[s->runs[i].strategy].name;
}

static double cell_param(const struct spec *s, size_t i, const char *name)
{
	int k = target_param_index(s->target, name);

	return s->runs[i].params[k];
}

/*
 * Synthetic results with known answers. Per repetition a spread of +-2 %
 * so values never tie. notifier against pri-inv:
 *   cpu.invalidation_ns: pri-inv's cost grows with the device fault rate,
 *     notifier's with the CPU upgrade rate (the crossover);
 *   dma.throughput_bps: notifier 1.5x (better);
 *   cmd.sync: notifier +1 % (within noise: below the 5 % threshold);
 *   cmdq.sync_wait_ns: notifier +3 % (significant, but below 5 %);
 *   cmd.tlbi_nh_va 10 and cmd.tlbi_nh_asid 5 (cmd.tlbi_total 15);
 *   fault.spurious: only `none` reports it.
 * fail_run: a run index recorded failed (or (size_t)-1).
 */
static struct results *fill(const struct spec *s, size_t fail_run)
{
	struct results *r = results_new(s);
	struct run_result res;

	if (!r)
		return NULL;
	for (size_t i = 0; i < s->nruns; i++) {
		const char *st = strategy(s, i);
		double spread = 1 + 0.01 * (s->runs[i].repetition - 2);
		double fault = cell_param(s, i, "device_fault_rate_hz");
		double upgrade = cell_param(s, i, "cpu_upgrade_rate_hz");
		int notifier = !strcmp(st, "notifier");
		double inv;

		memset(&res, 0, sizeof(res));
		res.metrics = metrics_new();
		if (!strcmp(st, "pri-inv"))
			inv = 1000 + fault;
		else if (notifier)
			inv = 1000 + upgrade;
		else
			inv = 10;
		metrics_set(res.metrics, "cpu.invalidation_ns", inv * spread);
		metrics_set(res.metrics, "dma.throughput_bps", (notifier ? 1.5e9 : 1e9) * spread);
		metrics_set(res.metrics, "cmd.sync", (notifier ? 1010 : 1000) * spread);
		metrics_set(res.metrics, "cmdq.sync_wait_ns", (notifier ? 1e6 * 1.03 : 1e6) *
				      (1 + 0.001 * (s->runs[i].repetition - 2)));
		metrics_set(res.metrics, "cmd.tlbi_nh_va", 10);
		metrics_set(res.metrics, "cmd.tlbi_nh_asid", 5);
		metrics_set_null(res.metrics, "pmcg.cycles");
		if (!strcmp(st, "none"))
			metrics_set(res.metrics, "fault.spurious", 3);
		if (i == fail_run)
			snprintf(res.reason, sizeof(res.reason), "synthetic failure");
		results_store(r, i, i == fail_run ? RUN_FAILED : RUN_DONE, &res);
		metrics_free(res.metrics);
	}
	return r;
}

/* doc.cells[cell].strategies[st][metric][key] */
static json_t *entry(const json_t *doc, size_t cell, const char *st, const char *metric)
{
	json_t *c = json_array_get(json_object_get(doc, "cells"), cell);

	return json_object_get(json_object_get(json_object_get(c, "strategies"), st), metric);
}

static const char *verdict_of(const json_t *doc, size_t cell, const char *st, const char *metric)
{
	const char *v = json_string_value(json_object_get(entry(doc, cell, st, metric), "verdict"));

	return v ? v : "(none)";
}

static int has_warning(const json_t *doc, const char *a, const char *b)
{
	size_t k;
	json_t *w;

	json_array_foreach(json_object_get(doc, "warnings"), k, w) {
		const char *t = json_string_value(w);

		if (t && strstr(t, a) && (!b || strstr(t, b)))
			return 1;
	}
	return 0;
}

/* Compact JSON of v for a failure message (a static buffer, no allocation
 * left behind when the message is not printed). */
static const char *text(const json_t *v)
{
	static char buf[4096];
	char *t = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(6) | JSON_ENCODE_ANY) : NULL;

	snprintf(buf, sizeof(buf), "%s", t ? t : "(null)");
	free(t);
	return buf;
}

static void dump(const json_t *doc)
{
	char *t = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));

	printf("# %.3000s\n", t ? t : "(null)");
	free(t);
}

static void check_verdicts(void)
{
	static const char *const want[] = {"cpu.invalidation_ns", "cmd.sync", "cmdq.sync_wait_ns",
					   "dma.throughput_bps", "cmd.tlbi_total", "fault.spurious"};
	struct spec *s = parse(sweep_spec, 5);
	struct results *r = s ? fill(s, (size_t)-1) : NULL;
	struct compare_opts o;
	char err[512] = "";
	json_t *doc, *e, *ci;
	int ok;

	if (!r) {
		test_result(0, "compare: synthetic experiment", "no spec or results");
		return;
	}
	compare_defaults(&o);
	doc = compare_json(r, "t1", &o, err, sizeof(err));
	if (!doc) {
		test_result(0, "compare_json of 5 repetitions", "NULL: %s", err);
		goto out;
	}
	test_result(!strcmp(json_string_value(json_object_get(doc, "baseline")), "pri-inv") &&
		    !strcmp(json_string_value(json_object_get(doc, "experiment")), "t1") &&
		    json_array_size(json_object_get(doc, "cells")) == 4,
		    "compare: pri-inv is the default baseline, one entry per cell", "see dump");
	/* cell 1: device_fault_rate_hz 1000, cpu_upgrade_rate_hz 100000 */
	test_result(!strcmp(verdict_of(doc, 1, "notifier", "cpu.invalidation_ns"), "worse"),
		    "compare: notifier 50x pri-inv's invalidation time is worse",
		    "verdict %s", verdict_of(doc, 1, "notifier", "cpu.invalidation_ns"));
	test_result(!strcmp(verdict_of(doc, 2, "notifier", "cpu.invalidation_ns"), "better"),
		    "compare: notifier at 1/50 of pri-inv's invalidation time is better",
		    "verdict %s", verdict_of(doc, 2, "notifier", "cpu.invalidation_ns"));
	test_result(!strcmp(verdict_of(doc, 0, "notifier", "dma.throughput_bps"), "better"),
		    "compare: 1.5x the throughput is better (higher is better)",
		    "verdict %s", verdict_of(doc, 0, "notifier", "dma.throughput_bps"));
	test_result(!strcmp(verdict_of(doc, 0, "notifier", "cmd.sync"), "within noise"),
		    "compare: +1 % with overlapping repetitions is within noise",
		    "verdict %s", verdict_of(doc, 0, "notifier", "cmd.sync"));
	e = entry(doc, 0, "notifier", "cmdq.sync_wait_ns");
	test_result(!strcmp(verdict_of(doc, 0, "notifier", "cmdq.sync_wait_ns"), "within noise") &&
		    json_real_value(json_object_get(e, "p")) < 0.05,
		    "compare: +3 %, significant but below the 5 % noise threshold, is within noise",
		    "verdict %s", verdict_of(doc, 0, "notifier", "cmdq.sync_wait_ns"));
	e = entry(doc, 1, "notifier", "cpu.invalidation_ns");
	ci = json_object_get(e, "ci");
	/* medians: notifier 101000, pri-inv 2000 */
	test_result(json_integer_value(json_object_get(e, "n")) == 5 &&
		    json_number_value(json_object_get(e, "median")) == 101000 &&
		    fabs(json_number_value(json_object_get(e, "ratio")) - 50.5) < 1e-9 &&
		    json_array_size(ci) == 2 && json_number_value(json_array_get(ci, 0)) <= 50.5 &&
		    json_number_value(json_array_get(ci, 1)) >= 50.5 &&
		    fabs(json_number_value(json_object_get(e, "p")) - 2.0 / 252) < 1e-12 &&
		    json_number_value(json_object_get(e, "min")) == 101000 * 0.98 &&
		    json_number_value(json_object_get(e, "max")) == 101000 * 1.02,
		    "compare: n, median, min, max, ratio 50.5 inside its CI, exact p 2/252",
		    "entry %s", text(e));
	e = entry(doc, 1, "pri-inv", "cpu.invalidation_ns");
	test_result(!strcmp(verdict_of(doc, 1, "pri-inv", "cpu.invalidation_ns"), "baseline") &&
		    json_number_value(json_object_get(e, "ratio")) == 1 &&
		    json_is_null(json_object_get(e, "p")) && json_is_null(json_object_get(e, "ci")),
		    "compare: the baseline's verdict is baseline, ratio 1, no p or CI", "see dump");
	e = entry(doc, 0, "none", "cmd.tlbi_total");
	test_result(json_number_value(json_object_get(e, "median")) == 15,
		    "compare: cmd.tlbi_total sums tlbi_nh_va, _range and _asid", "median %g",
		    json_number_value(json_object_get(e, "median")));
	test_result(!strcmp(verdict_of(doc, 0, "none", "fault.spurious"), "insufficient data") &&
		    json_is_null(json_object_get(entry(doc, 0, "pri-inv", "fault.spurious"), "median")),
		    "compare: a metric one side lacks is insufficient data, its median null",
		    "verdict %s", verdict_of(doc, 0, "none", "fault.spurious"));
	ok = 1;
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		int found = 0;
		size_t j;
		json_t *m;

		json_array_foreach(json_object_get(doc, "metrics"), j, m)
			found |= !strcmp(json_string_value(json_object_get(m, "name")), want[k]);
		ok &= found;
	}
	test_result(ok && !entry(doc, 0, "none", "cmd.atc_inv") &&
		    json_array_size(json_object_get(doc, "warnings")) == 0,
		    "compare: the default set holds what was reported, leaves out what was not; "
		    "no warnings at 5 repetitions", "see dump");
	if (harness_failed)
		dump(doc);
	json_decref(doc);

	/* A lower noise threshold lets the significant +3 % through. */
	o.noise = 0.01;
	doc = compare_json(r, "t1", &o, err, sizeof(err));
	test_result(doc && !strcmp(verdict_of(doc, 0, "notifier", "cmdq.sync_wait_ns"), "worse"),
		    "compare: noise 0.01 calls the +3 % worse", "verdict %s",
		    doc ? verdict_of(doc, 0, "notifier", "cmdq.sync_wait_ns") : err);
	json_decref(doc);

	/* The same input, the same answer (the CI's resamples are seeded). */
	compare_defaults(&o);
	{
		json_t *a = compare_json(r, "t1", &o, err, sizeof(err));
		json_t *b = compare_json(r, "t1", &o, err, sizeof(err));

		test_result(a && b && json_equal(a, b), "compare: the same results give the same document",
			    "differ");
		json_decref(a);
		json_decref(b);
	}

	/* Another baseline, chosen metrics; and refusals naming what is allowed. */
	{
		const char *metrics[] = {"cmd.sync", "cmd.tlbi_total"};
		json_t *x;

		o.baseline = "none";
		o.metrics = metrics;
		o.nmetrics = 2;
		doc = compare_json(r, "t1", &o, err, sizeof(err));
		x = doc ? json_object_get(doc, "crossover") : NULL;
		test_result(doc && !strcmp(json_string_value(json_object_get(doc, "baseline")), "none") &&
			    json_array_size(json_object_get(doc, "metrics")) == 2 &&
			    !strcmp(verdict_of(doc, 0, "none", "cmd.sync"), "baseline") &&
			    !strcmp(json_string_value(json_object_get(x, "a")), "none") &&
			    !strcmp(json_string_value(json_object_get(x, "b")), "pri-inv") &&
			    !strcmp(json_string_value(json_object_get(x, "metric")), "cmd.sync"),
			    "compare: baseline none, two metrics asked for; the crossover is none "
			    "against the first correct strategy on the first metric",
			    "%s", doc ? text(x) : err);
		json_decref(doc);
	}
	o.metrics = NULL;
	o.nmetrics = 0;
	o.baseline = "bogus";
	err[0] = '\0';
	doc = compare_json(r, "t1", &o, err, sizeof(err));
	test_result(!doc && strstr(err, "unknown baseline 'bogus'") &&
		    strstr(err, "none, pri-inv, notifier"),
		    "compare: an unknown baseline is refused naming the strategies", "err '%s'", err);
	json_decref(doc);
	o.baseline = NULL;
	{
		const char *metrics[] = {"dma.nope"};

		o.metrics = metrics;
		o.nmetrics = 1;
		err[0] = '\0';
		doc = compare_json(r, "t1", &o, err, sizeof(err));
		test_result(!doc && strstr(err, "unknown metric 'dma.nope'") &&
			    strstr(err, "cpu.invalidation_ns") && strstr(err, "cmd.tlbi_total"),
			    "compare: an unknown metric is refused naming the allowed ones", "err '%s'", err);
		json_decref(doc);
	}
out:
	results_free(r);
	spec_free(s);
}

static void check_crossover(void)
{
	struct spec *s = parse(sweep_spec, 5);
	struct results *r = s ? fill(s, (size_t)-1) : NULL;
	struct compare_opts o;
	char err[512] = "";
	json_t *doc, *x, *want;

	if (!r) {
		test_result(0, "crossover: synthetic experiment", "no spec or results");
		return;
	}
	compare_defaults(&o);
	doc = compare_json(r, "t2", &o, err, sizeof(err));
	x = doc ? json_object_get(doc, "crossover") : NULL;
	/*
	 * x = device_fault_rate_hz (pri-inv's cost), y = cpu_upgrade_rate_hz
	 * (notifier's): grid[iy][ix]. Equal rates cost the same ("="); many
	 * CPU upgrades and few faults favour pri-inv ("A"), the reverse
	 * notifier ("B").
	 */
	want = json_pack("[[s, s], [s, s]]", "=", "B", "A", "=");
	test_result(x && !strcmp(json_string_value(json_object_get(x, "x")), "device_fault_rate_hz") &&
		    !strcmp(json_string_value(json_object_get(x, "y")), "cpu_upgrade_rate_hz") &&
		    !strcmp(json_string_value(json_object_get(x, "metric")), "cpu.invalidation_ns") &&
		    !strcmp(json_string_value(json_object_get(x, "a")), "pri-inv") &&
		    !strcmp(json_string_value(json_object_get(x, "b")), "notifier") &&
		    json_integer_value(json_array_get(json_object_get(x, "xs"), 1)) == 100000 &&
		    json_integer_value(json_array_get(json_object_get(x, "ys"), 0)) == 1000 &&
		    json_equal(json_object_get(x, "grid"), want),
		    "crossover: the 2 x 2 sweep's map, A where pri-inv is cheaper, B where notifier is",
		    "%s", x ? text(x) : err);
	json_decref(want);
	json_decref(doc);

	/* Throughput: notifier better everywhere. */
	{
		const char *metrics[] = {"dma.throughput_bps"};

		o.metrics = metrics;
		o.nmetrics = 1;
		doc = compare_json(r, "t2", &o, err, sizeof(err));
		x = doc ? json_object_get(doc, "crossover") : NULL;
		want = json_pack("[[s, s], [s, s]]", "B", "B", "B", "B");
		test_result(x && json_equal(json_object_get(x, "grid"), want) &&
			    !strcmp(json_string_value(json_object_get(x, "better")), "higher"),
			    "crossover: on the first metric asked for, by its direction",
			    "%s", x ? text(x) : err);
		json_decref(want);
		json_decref(doc);
	}
	results_free(r);
	spec_free(s);

	/* One swept param: no crossover. */
	s = parse("{\"workload\": \"mixed\", \"strategies\": [\"pri-inv\", \"notifier\"],"
		  " \"params\": {\"duration_us\": 500, \"device_fault_rate_hz\": [1000, 100000]},"
		  " \"repetitions\": %d}", 5);
	r = s ? fill(s, (size_t)-1) : NULL;
	compare_defaults(&o);
	doc = r ? compare_json(r, "t3", &o, err, sizeof(err)) : NULL;
	test_result(doc && json_is_null(json_object_get(doc, "crossover")),
		    "crossover: null for a sweep of one param", "%s", doc ? "not null" : err);
	json_decref(doc);
	results_free(r);
	spec_free(s);
}

static void check_warnings(void)
{
	struct spec *s = parse(sweep_spec, 3);
	struct results *r = s ? fill(s, 5) : NULL;
	struct compare_opts o;
	char err[512] = "";
	json_t *doc;

	if (!r) {
		test_result(0, "warnings: synthetic experiment", "no spec or results");
		return;
	}
	compare_defaults(&o);
	doc = compare_json(r, "t4", &o, err, sizeof(err));
	test_result(doc && has_warning(doc, "only 3 repetitions per strategy", "below 4") &&
		    has_warning(doc, "0.1", NULL),
		    "warnings: 3 repetitions cannot reach p < 0.05 (smallest p 0.1), use 4",
		    "%s", doc ? "no such warning" : err);
	test_result(doc && !strcmp(verdict_of(doc, 1, "notifier", "cpu.invalidation_ns"), "insufficient data") &&
		    strstr(json_string_value(json_object_get(entry(doc, 1, "notifier", "cpu.invalidation_ns"),
							     "reason")), "never below alpha") &&
		    json_is_null(json_object_get(entry(doc, 1, "notifier", "cpu.invalidation_ns"), "mde")),
		    "warnings: with 3 repetitions per side even 50x is insufficient data, not within noise; "
		    "no detectable effect",
		    "verdict %s", doc ? verdict_of(doc, 1, "notifier", "cpu.invalidation_ns") : err);
	/* run 5: cell 0, repetition 1, strategy notifier */
	test_result(doc && has_warning(doc, "1 failed run excluded", "synthetic failure") &&
		    json_integer_value(json_object_get(entry(doc, 0, "notifier", "cmd.sync"), "n")) == 2,
		    "warnings: a failed run is excluded and said so", "%s", doc ? "missing" : err);
	if (doc && harness_failed)
		dump(json_object_get(doc, "warnings"));
	json_decref(doc);
	results_free(r);
	spec_free(s);

	/* Without pri-inv, the first correct strategy is the baseline. */
	s = parse("{\"workload\": \"mixed\", \"strategies\": [\"none\", \"notifier\", \"pri-inv-sync\"],"
		  " \"params\": {\"duration_us\": 500}, \"repetitions\": %d}", 4);
	r = s ? fill(s, (size_t)-1) : NULL;
	doc = r ? compare_json(r, "t5", &o, err, sizeof(err)) : NULL;
	test_result(doc && !strcmp(json_string_value(json_object_get(doc, "baseline")), "notifier") &&
		    json_array_size(json_object_get(doc, "warnings")) == 0,
		    "baseline: the first correct strategy when pri-inv is not run; 4 repetitions: no warning",
		    "%s", doc ? text(json_object_get(doc, "warnings")) : err);
	json_decref(doc);
	results_free(r);
	spec_free(s);
}

/*
 * Correctness first, on two cells (ats false, true) of rw-reuse, 5
 * repetitions: `none` livelocks 4 times a run in cell 0 and is otherwise
 * 2x faster on p99; `pri-inv-no-atc` has 7 coherence violations a run in
 * cell 1 and the best throughput; `pri-inv` reports fix.applicable 0 in
 * cell 1; notifier is 1.5x pri-inv's cost.total_ns_per_op everywhere and
 * does 30 % fewer CPU operations in cell 0 (unequal work). events: 10 CPU
 * ops a run in cell 1 with events thin for CPU metrics when asked for 100.
 */
static struct results *fill_correctness(const struct spec *s)
{
	struct results *r = results_new(s);
	struct run_result res;

	for (size_t i = 0; r && i < s->nruns; i++) {
		const char *st = strategy(s, i);
		double spread = 1 + 0.01 * (s->runs[i].repetition - 2);
		int ats = cell_param(s, i, "ats") != 0;
		int none = !strcmp(st, "none"), noatc = !strcmp(st, "pri-inv-no-atc");
		int notifier = !strcmp(st, "notifier"), priinv = !strcmp(st, "pri-inv");

		memset(&res, 0, sizeof(res));
		res.metrics = metrics_new();
		metrics_set(res.metrics, "dma.livelocked", none && !ats ? 4 : 0);
		metrics_set(res.metrics, "oracle.coherence_violations", noatc && ats ? 7 : 0);
		if (priinv)
			metrics_set(res.metrics, "fix.applicable", ats ? 0 : 1);
		metrics_set(res.metrics, "dma.latency_ns.p99", (none ? 500 : 1000) * spread);
		metrics_set(res.metrics, "dma.throughput_bps", (noatc ? 3e9 : 1e9) * spread);
		metrics_set(res.metrics, "cost.total_ns_per_op", (notifier ? 150 : 100) * spread);
		metrics_set(res.metrics, "cpu.invalidation_ns", (notifier ? 3000 : 1000) * spread);
		metrics_set(res.metrics, "cpu.ops", ats ? 10 : notifier ? 700 : 1000);
		metrics_set(res.metrics, "dma.transactions", 5000);
		results_store(r, i, RUN_DONE, &res);
		metrics_free(res.metrics);
	}
	return r;
}

static void check_correctness(void)
{
	static const char *const metrics[] = {"dma.latency_ns.p99", "dma.throughput_bps",
					      "cost.total_ns_per_op", "cpu.invalidation_ns",
					      "dma.livelocked", "oracle.coherence_violations"};
	struct spec *s = parse("{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"pri-inv\","
			       " \"notifier\", \"pri-inv-no-atc\"], \"params\": {\"ats\": [false, true]},"
			       " \"repetitions\": %d, \"seed\": 9}", 5);
	struct results *r = s ? fill_correctness(s) : NULL;
	struct compare_opts o;
	char err[512] = "";
	json_t *doc, *e, *corr;
	int ok = 1;

	if (!r) {
		test_result(0, "correctness: synthetic experiment", "no spec or results");
		return;
	}
	compare_defaults(&o);
	doc = compare_json(r, "c1", &o, err, sizeof(err));
	if (!doc) {
		test_result(0, "correctness: compare_json", "NULL: %s", err);
		goto out;
	}
	for (size_t k = 0; k < sizeof(metrics) / sizeof(metrics[0]); k++) {
		e = entry(doc, 0, "none", metrics[k]);
		ok &= !strcmp(verdict_of(doc, 0, "none", metrics[k]), "broken") &&
		      json_integer_value(json_object_get(e, "livelocked")) == 20 &&
		      json_integer_value(json_object_get(e, "violations")) == 0;
	}
	test_result(ok, "correctness: a livelocking strategy is broken on every metric, with the "
		    "count (20 over 5 runs), never better on p99", "none: %s",
		    text(json_object_get(json_object_get(json_array_get(json_object_get(doc, "cells"), 0),
							 "strategies"), "none")));
	ok = 1;
	for (size_t k = 0; k < sizeof(metrics) / sizeof(metrics[0]); k++) {
		e = entry(doc, 1, "pri-inv-no-atc", metrics[k]);
		ok &= !strcmp(verdict_of(doc, 1, "pri-inv-no-atc", metrics[k]), "broken") &&
		      json_integer_value(json_object_get(e, "violations")) == 35;
	}
	test_result(ok && !strcmp(verdict_of(doc, 0, "pri-inv-no-atc", "dma.throughput_bps"), "better"),
		    "correctness: coherence violations make a strategy broken in that cell only "
		    "(35 counted), never better on throughput",
		    "cell 1 %s, cell 0 %s", verdict_of(doc, 1, "pri-inv-no-atc", "dma.throughput_bps"),
		    verdict_of(doc, 0, "pri-inv-no-atc", "dma.throughput_bps"));
	corr = json_object_get(json_array_get(json_object_get(doc, "cells"), 1), "correctness");
	test_result(!strcmp(verdict_of(doc, 1, "pri-inv", "cost.total_ns_per_op"), "not a fix") &&
		    !strcmp(json_string_value(json_object_get(json_object_get(corr, "pri-inv"), "verdict")),
			    "not a fix") &&
		    !strcmp(json_string_value(json_object_get(json_object_get(corr, "pri-inv-no-atc"),
							      "verdict")), "broken") &&
		    !strcmp(verdict_of(doc, 0, "pri-inv", "cost.total_ns_per_op"), "baseline"),
		    "correctness: fix.applicable 0 reads not a fix, the baseline's too; the cell's "
		    "correctness names each strategy's state", "%s", text(corr));
	e = entry(doc, 0, "notifier", "cost.total_ns_per_op");
	test_result(!strcmp(verdict_of(doc, 0, "notifier", "cost.total_ns_per_op"), "worse") &&
		    json_number_value(json_object_get(e, "mde")) >= 0.05 &&
		    json_number_value(json_object_get(e, "mde")) < 0.5 &&
		    json_integer_value(json_object_get(e, "events")) == 5000 * 5 + 700 * 5,
		    "correctness: a correct strategy keeps its cost verdict, with its minimum "
		    "detectable effect and the events behind it", "%s", text(e));
	e = json_object_get(json_array_get(json_object_get(doc, "cells"), 0), "unequal_work");
	test_result(json_array_size(e) == 1 && !strcmp(json_string_value(json_array_get(e, 0)), "notifier") &&
		    has_warning(doc, "unequal work in 1 cell", "per operation (*_per_op)"),
		    "correctness: 30 % fewer CPU operations is unequal work, said with the per-op advice",
		    "%s", text(json_object_get(doc, "warnings")));
	/* cell 1: 10 CPU ops a run, 50 over 5 runs: enough at the default 20 */
	json_decref(doc);
	o.min_events = 100;
	doc = compare_json(r, "c1", &o, err, sizeof(err));
	e = doc ? entry(doc, 1, "notifier", "cpu.invalidation_ns") : NULL;
	test_result(e && !strcmp(verdict_of(doc, 1, "notifier", "cpu.invalidation_ns"), "insufficient data") &&
		    strstr(json_string_value(json_object_get(e, "reason")), "50 CPU operations") &&
		    !strcmp(verdict_of(doc, 0, "notifier", "cpu.invalidation_ns"), "worse"),
		    "correctness: a cell with too few events behind a metric is insufficient data",
		    "%s", e ? text(e) : err);
	json_decref(doc);
out:
	results_free(r);
	spec_free(s);
}

int main(void)
{
	check_correctness();
	check_verdicts();
	check_crossover();
	check_warnings();
	return test_exit();
}
