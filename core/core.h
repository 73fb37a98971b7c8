/*
 * core.h - svabench's core: experiment specs (parse, validate, expand into
 * runs), the offline runner, the result document, `describe`, and the
 * comparison table. The one header other folders include from core/.
 *
 * An experiment is a spec expanded into runs: every cell of the parameter
 * sweep x every repetition x every strategy (api.md).
 */
#ifndef SVABENCH_CORE_H
#define SVABENCH_CORE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/metrics.h"
#include "../lib/vocab.h"
#include "../targets/target.h"

#define SVABENCH_VERSION "0.1.0"
/* The git commit this build came from ("unknown" outside a checkout; version.c). */
const char *svabench_commit(void);

#define SPEC_MAX_BYTES (1024 * 1024)   /* largest spec accepted */
#define SPEC_MAX_RUNS 100000           /* cells x strategies x repetitions */
#define SPEC_MAX_REPETITIONS 1000
#define SPEC_MAX_TEXT 200              /* label and name, in characters */
#define SPEC_MAX_SEED 9007199254740992.0 /* 2^53: exact in JSON everywhere */
#define SPEC_MAX_SAMPLES 20000         /* samples a daemon stores per run (duration_us / sample_us) */

/*
 * ---- spec.c: parse, validate, expand ----
 */

/* Why a spec was refused: the field ("params.pages", "strategies[2]"; "" for
 * the document as a whole) and a lowercase message naming what is allowed. */
struct spec_error {
	char field[128];
	char msg[512];
};

/* One run of the plan. Pointers borrow from the spec that holds the plan. */
struct run_plan {
	size_t cell;          /* index of the cell, 0..ncells-1 */
	json_t *cell_json;    /* the swept params' values, {"pages": 64} */
	int strategy;         /* index into the target's strategies */
	int repetition;       /* 0..repetitions-1 */
	uint64_t seed;        /* shared by the strategies of one cell and repetition */
	const double *params; /* target->nparams resolved values */
};

/*
 * A validated spec and its plan. Owns everything it points to except the
 * target and preset, which are static/registry data.
 */
struct spec {
	json_t *doc;                  /* the spec as given */
	const struct target *target;
	int workload;                 /* index into target->workloads */
	const struct preset *preset;
	int *strategies;              /* indexes into target->strategies, spec order */
	size_t nstrategies;
	int repetitions;
	uint64_t seed;
	const char *label, *name;     /* borrowed from doc; NULL when absent */

	size_t ncells;
	json_t **cells;               /* ncells objects of the swept params */
	double *cell_params;          /* ncells x target->nparams resolved values */

	struct run_plan *runs;        /* cell-major, then repetition, then strategy */
	size_t nruns;
	/* "collect": counters sampled alongside every run (collectors/) */
	const char **collect;         /* event names, borrowed from doc; NULL when none */
	size_t ncollect;
	int collect_interval_ms;      /* sampling interval, default 100 */
};

/*
 * Parses and validates a spec of len bytes and expands it into its plan.
 * Returns the spec (free with spec_free), or NULL with err filled when the
 * spec is refused (nothing has been run) or memory ran out.
 */
struct spec *spec_parse(const char *buf, size_t len, struct spec_error *err);
/*
 * What a daemon stores: every cell's runs sample duration_us / sample_us
 * times, at most SPEC_MAX_SAMPLES; -1 with err naming params.sample_us and
 * the limit. (Offline runs store no samples and are not bound by it.)
 */
int spec_check_samples(const struct spec *s, struct spec_error *err);

void spec_free(struct spec *s);

#define SPEC_MAX_COLLECT 64            /* events in "collect" */

/*
 * The spec's optional "collect": {"events": [names...], "interval_ms": n}
 * (spec_collect.c; called by spec_parse). Names as perf users type them,
 * tracepoints as SYS:EV, PMCG events as PMU/event,filters/, procfs as
 * vmstat:NAME or interrupts:smmu; availability is checked when runs start,
 * never refused here.
 */
int spec_parse_collect(struct spec *s, struct spec_error *err);

/*
 * The spec's optional "kernel": {"version", "commit", "config"}, the
 * kernel under test (spec_kernel.c; called by spec_parse): version 1..64
 * printable characters, commit 7..64 lowercase hex digits, config 1..128
 * printable characters; anything else refused naming kernel.FIELD.
 */
int spec_parse_kernel(const struct spec *s, struct spec_error *err);

/* Where a run's counter samples go (wall-clock ns since the run started). */
struct collect_sink {
	void *ctx;
	void (*sample)(void *ctx, uint64_t wall_ns, const struct metrics *m);
};

/*
 * Runs req on sp's target with sp's "collect" counters around it
 * (collect_run.c): sampled into csink (may be NULL) every interval, final
 * raw counts added to res->metrics as perf.<event>, perf.<event>.enabled_ns
 * and .running_ns (null when this machine cannot count it). Without
 * "collect", just target->run. Returns what target->run returned.
 */
int run_collected(const struct spec *sp, const struct run_req *req, const struct run_sink *sink,
		  const struct collect_sink *csink, struct run_result *res);
/*
 * [{"name", "source", "available", "reason"}] for sp's "collect" events on
 * this machine, as the experiment's host.collectors; NULL without "collect".
 */
json_t *collectors_probe_json(const struct spec *sp);
/* The same for a list of event names (opened together, as a run opens them). */
json_t *collectors_probe_names_json(const char *const *names, size_t n);
/*
 * {"collectors": [{"name", "source", "available", "reason"}]}: every event
 * this machine knows, probed now (GET /api/v1/collectors, svabench collectors).
 */
json_t *collectors_list_json(void);

/*
 * A parameter value as JSON, the way a spec writes it: booleans as
 * true/false, enums by name, integral numbers as integers. NULL on OOM.
 */
json_t *param_value_json(const struct param_def *d, double v);

/*
 * ---- result.c: what the runs left, and the result document ----
 */

enum run_status { RUN_PENDING, RUN_DONE, RUN_FAILED };

/* One run's outcome, kept compact: metric values are indexed by the names
 * of the results that hold it. */
struct run_record {
	enum run_status status;
	char *reason;          /* why the run failed, or NULL */
	char **examples;       /* nexamples strings */
	int nexamples;
	double *values;        /* nvalues, indexed like results->names */
	unsigned char *state;  /* per value: 0 absent, 1 a number, 2 null */
	size_t nvalues;
};

/* The outcomes of a spec's runs, in plan order. Owns records and names. */
struct results {
	const struct spec *spec;     /* borrowed; must outlive the results */
	struct run_record *runs;     /* spec->nruns */
	size_t ndone, nfailed;
	char **names;                /* metric names in first-reported order */
	size_t nnames, capnames;
	/* the experiment's host object as stored (the daemon's documents), or
	 * NULL: probed now, collectors included (offline) */
	const json_t *host;
};

/* Empty results (every run pending) for s, or NULL on OOM. */
struct results *results_new(const struct spec *s);
void results_free(struct results *r);

/*
 * Records run i's outcome: status RUN_DONE or RUN_FAILED, the target's
 * metrics, reason and examples (copied). Not thread-safe: one caller at a
 * time. Dies on OOM.
 */
void results_store(struct results *r, size_t i, enum run_status status,
		  const struct run_result *res);

/*
 * Run i's value of metric `name`: 1 with *v set when it is a finite number,
 * 0 when it is null (or not finite), -1 when the run did not report it.
 */
int results_value(const struct results *r, size_t i, const char *name, double *v);

/*
 * The experiment object of the result document: id, spec, status ("done"
 * when every run completed, "failed" when one failed, "running" while some
 * are pending), run counts, preset with sources, host, target, workload,
 * label, name. NULL on OOM.
 */
json_t *result_experiment_json(const struct results *r, const char *id);

/* Run i as in the document's "runs" array; its id is "<id>-r<i+1>". */
json_t *result_run_json(const struct results *r, size_t i, const char *id);

/* The whole document {"experiment": ..., "runs": [...]}, NULL on OOM. */
json_t *result_document(const struct results *r, const char *id);

/*
 * Writes the whole document to f without building it in memory: one run
 * per line. Returns 0, or -1 on OOM or a write error.
 */
int result_write_json(FILE *f, const struct results *r, const char *id);

/*
 * A result document back into results (docresults.c): parses doc's
 * experiment.spec and stores each run of doc's "runs" that is done or
 * failed at its place in the plan (found by cell, repetition, strategy).
 * 0 with *sp and *rp set (free the results before the spec), or -1 with a
 * message in err.
 */
int doc_results(const json_t *doc, struct spec **sp, struct results **rp,
		char *err, size_t elen);

/* A preset as the documents show it: name, description and values
 * {param: {value (as a spec writes it), source, confidence}}; JSON null for
 * no preset, NULL on OOM. */
json_t *preset_json(const struct target *t, const struct preset *p);

/* Dumps any JSON value the way svabench prints JSON (indented, UTF-8,
 * reals with 15 significant digits), with a trailing newline. 0 or -1. */
int json_print(FILE *f, const json_t *v);

/*
 * ---- runner.c: the offline runner ----
 */

struct runner_opts {
	int jobs;  /* worker threads; <= 0: the online CPUs */
	/* Called from the caller's thread about every 100 ms and at the end. */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *ctx;
};

/*
 * Runs every run of r->spec on worker threads, each with a fresh metrics
 * set, storing outcomes by run index so r does not depend on scheduling. A
 * run whose target fails is recorded RUN_FAILED with its reason. The
 * target's run() is called from several threads at once. Returns 0 when
 * every run was attempted (a run left RUN_PENDING means memory ran out),
 * -1 (with msg) when the runner itself could not work (no thread started).
 */
int runner_run(struct results *r, const struct runner_opts *o,
	       char *msg, size_t mlen);

/* The number of online CPUs, at least 1. */
int runner_default_jobs(void);

/*
 * ---- describe.c: what a target offers ----
 */

/* {"targets": [{name, description, available, reason}], and the vocabulary:
 * "metrics", "strategies", "other_colours" (describe_vocabulary_json)}, NULL on OOM. */
json_t *describe_targets_json(void);

/*
 * One target: name, description, available, reason, capabilities, params
 * (type, min, max, effective default with preset 0 applied, choices, unit,
 * group, help), workloads (with their defaults as a spec writes them),
 * strategies (with their role, fix, label and colour where lib/vocab.c gives
 * one), presets (values with source and confidence). NULL on OOM.
 */
json_t *describe_target_json(const struct target *t);

/* The same for a terminal: aligned columns, parameters by group. */
void describe_targets_text(FILE *f);
/* The metric vocabulary and the strategies' roles (lib/vocab.c), as
 * describe serves them: {"metrics", "strategies", "other_colours"}. */
json_t *describe_vocabulary_json(void);
void describe_vocabulary_text(FILE *f);
void describe_target_text(FILE *f, const struct target *t);

/*
 * ---- table.c: the comparison table of `run` ----
 */

/*
 * Prints, per cell, one row per strategy with the key metrics averaged over
 * repetitions (and min..max below when there are several), a ratio against
 * the first correct strategy (pri-inv when present), then a footer with the
 * preset and the first examples (oracle violations, livelocks).
 */
void result_print_table(FILE *f, const struct results *r);
/*
 * The same within width columns (0: as wide as it needs): columns no run
 * reported are left out, then the least important ones until the rest
 * fit; a line names what was left out.
 */
void result_print_table_width(FILE *f, const struct results *r, int width);

/* Short numbers, as tables print them: 0.25, 12.5, 812, 12345, 123k, 1.23M, 4.5G. */
void fmt_short(char *b, size_t n, double v);

/*
 * ---- stats.c: the statistics the comparison rests on ----
 */

/* The median of v[n] (v is reordered); NAN when n == 0. */
double stats_median(double *v, size_t n);
/* The q-quantile (0..1, linear interpolation, R type 7) of v[n] (reordered). */
double stats_quantile(double *v, size_t n, double q);
/*
 * Two-sided Mann-Whitney U test of a[na] against b[nb]: *u is U of a (the
 * pairs a > b, ties counting a half), *p the p-value: exact up to 20 values
 * a side, ties included (the permutation distribution of the midranks), else
 * the normal approximation with tie and continuity corrections. -1 when a
 * side is empty or memory ran out.
 */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
		       double *u, double *p);
/*
 * Percentile bootstrap CI of median(a) / median(b) at `level` (0.95) with
 * `iters` resamples from a PRNG seeded by `seed` (deterministic). -1 when
 * a side is empty or median(b) is 0 in too many resamples.
 */
int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
			     double level, int iters, uint64_t seed, double *lo, double *hi);

/*
 * The distribution-free CI of the ratio a / b that the U test itself
 * implies (Bauer 1972; Hodges-Lehmann on log values): the (c+1)-th
 * smallest and largest of the na x nb ratios a_i / b_j, c the U test's
 * critical value at (1 - level) / 2 (exact up to 20 values a side, else
 * normal). For untied data it excludes 1 exactly when the two-sided U test
 * gives p < 1 - level. -1 when a value is not positive and finite, or the
 * samples are too small for any bound at this level.
 */
int stats_ratio_ci_u(const double *a, size_t na, const double *b, size_t nb, double level,
		     double *lo, double *hi);

/*
 * ---- compare.c: strategies against a baseline, per cell and metric ----
 */

#define COMPARE_MIN_EVENTS 20 /* fewer events behind a metric in a cell: insufficient data */

struct compare_opts {
	const char *baseline;   /* strategy name; NULL: pri-inv if run, else the first correct one */
	double noise;           /* relative change below which a difference is noise (0.05) */
	double alpha;           /* significance for the U test (0.05) */
	int iters;              /* bootstrap resamples (2000) */
	const char *const *metrics; /* NULL: the default set (compare.c) */
	size_t nmetrics;
	int min_events;         /* COMPARE_MIN_EVENTS */
	const char *crossover_metric; /* NULL: the first of metrics, else cost.total_ns_per_op */
	const char **refused;   /* non-NULL: compare_json sets *refused to the option it refused
				 * ("baseline", "metrics" or "metric"), NULL when it refused none */
};

/*
 * The comparison document of GET /api/v1/experiments/ID/comparison
 * (docs/verdicts.md says what each field and verdict means):
 * {"experiment", "target", "workload", "label", "repetitions", "baseline",
 *  "noise", "alpha", "level" (0.95), "iters", "min_events", "strategies": [S...],
 *  "warnings": [...], "metrics": [{"name", "better": "lower"|"higher"}],
 *  "cells": [{"cell": {...},
 *     "correctness": {S: {"verdict": "correct"|"broken"|"not a fix",
 *        "livelocked", "violations", "cpu_ops", "dma_transactions", "events"}},
 *     "unequal_work": [S...],
 *     "strategies": {S: {M: {"n", "median", "p25", "p75", "min", "max", "ratio",
 *        "ci": [lo, hi] | null, "p", "mde", "verdict", "reason", "events",
 *        "baseline": true (the baseline only), "livelocked", "violations"
 *        (broken or not a fix only)}}}}],
 *  "crossover": null | {"x", "y", "metric", "better", "a", "b", "strategies": [a, b],
 *     "xs", "ys", "grid": [[...]], "winner": [[...]], "verdict": [[...]],
 *     "ratio": [[...]]}}
 * Statistics over the done runs of each cell and strategy; ratio = median /
 * the baseline's median, its bootstrap CI seeded by the spec's seed, cell,
 * metric and strategy (the same data give the same answer anywhere).
 * Verdicts (api.md): "baseline"; "not a fix" (a run reported
 * fix.applicable = 0) and "broken" (livelocks or coherence violations in
 * the cell) on every metric, the baseline's included; "insufficient data"
 * (no values, fewer than min_events events behind the metric, the U test
 * cannot reach alpha with these n, or p < alpha while the CI holds 1);
 * "within noise" (identical values, |ratio - 1| < noise, or p >= alpha);
 * else "better" / "worse" by the metric's direction.
 * mde: the minimum detectable effect, relative. The default metric set
 * leaves out metrics no run reported; cmd.tlbi_total is tlbi_nh_va +
 * _range + _asid. crossover: for a sweep of exactly two numeric params, on
 * crossover_metric (else the first metric asked for, else
 * cost.total_ns_per_op, else cpu.invalidation_ns): grid[iy][ix] "A" where
 * the baseline a wins, "B" where b (the first other correct strategy)
 * does, "=" within noise, null otherwise; winner[iy][ix] the winner's
 * name (correctness first); verdict[iy][ix] b's verdict; ratio[iy][ix]
 * b's median / a's. Numbers that do not exist are null. NULL with a
 * message (unknown baseline or metric, naming it and the allowed values)
 * in err.
 */
json_t *compare_json(const struct results *r, const char *id, const struct compare_opts *o,
		     char *err, size_t elen);
/* Defaults for compare_opts. */
void compare_defaults(struct compare_opts *o);
/*
 * 1 when larger values of the metric are better (work done: compare.c's
 * higher_better table), 0 for a cost. The one place a metric's direction
 * is looked up: compare's verdicts and history's regressions agree.
 */
int metric_higher_is_better(const char *name);

/*
 * ---- changepoint.c: steps in a metric's history ----
 *
 * The method is Perfherder's windowed two-sample test: for every candidate
 * index i of a series of points (each point: the values of one experiment's
 * runs), the values of the k points before i are compared with those of the
 * k points from i on, k = min(window, i, npoints - i) (equal sides, so a
 * side cut short by the series' start never faces one reaching over a later
 * step), by a two-sided Welch t-test, the p-value from Student's t
 * distribution with the Welch-Satterthwaite degrees of freedom. A change
 * point is an index whose |t| is a local maximum (above its left
 * neighbour's, not below its right one's), whose p is below `alpha`, and
 * whose relative change of the windows' means (after / before - 1, the
 * means the test weighs, as Perfherder reports them) is at least
 * `min_change` in size. Each side needs at least 2 points and 2 values, so
 * the newest point alone is no change point: one experiment cannot tell a
 * step from an outlier. With `tentative` set, the newest point (with at
 * least 2 values) is also tested alone against the window before it, and a
 * change there is reported with its `tentative` flag: the alert a
 * maintainer wants the day the regression lands, to be confirmed (or
 * dropped) when the next point arrives. Values from one point are pooled, as Perfherder
 * pools retriggers. The result depends only on the input (no randomness).
 */

struct cp_params {
	double min_change;   /* relative step worth reporting (0.05 = 5 %) */
	double alpha;        /* significance of the t-test (0.01) */
	int window;          /* points each side of a candidate (5) */
	int tentative;       /* 1: also test the newest point alone against the window
			      * before it, reported with tentative set (0) */
};

/* One change point: the series changes between point index-1 and index. */
struct cp_result {
	size_t index;        /* the first point after the step */
	double before;       /* mean of the values in the window before */
	double after;        /* mean of the values in the window from index on */
	double change;       /* after / before - 1; INFINITY (or -) when before is 0 */
	double t, p;         /* Welch's t (after minus before) and its two-sided p */
	double ci_lo, ci_hi; /* 95 % CI of change (Welch's, on the difference of the
			      * means, over |before|); NAN when before is 0 */
	int tentative;       /* the step is at the newest point, one point after it */
	double se, df;       /* the test's standard error of the difference, Welch's df */
};

/* min_change 0.05, alpha 0.01, window 5. */
void cp_defaults(struct cp_params *p);

/*
 * Finds the change points of a series of npoints points, point k having
 * counts[k] values at values[k] (NaNs are ignored). Writes at most max of
 * them to out in index order and returns how many were found (which may
 * exceed max), or -1 when p is out of range (window < 1, alpha outside
 * (0, 1), min_change negative or NaN).
 */
long changepoints_detect(const double *const *values, const size_t *counts, size_t npoints,
			 const struct cp_params *p, struct cp_result *out, size_t max);

/*
 * ---- report.c: the mail-ready text of an experiment ----
 */

/*
 * Plain text a maintainer pastes into a mail, no line longer than width
 * columns (UTF-8 characters; 40..200, else 80): title, experiment, target and
 * workload, host, svabench version, the preset with each value's source
 * and confidence, per cell a table of the key metrics' medians with ratio
 * to the baseline, 95 % CI and significance marks (* p < 0.05, ** p < 0.01,
 * ~ within noise), the crossover, livelocks and coherence violations per
 * strategy with their first examples, warnings, and for the sim target the
 * note that its figures are model outputs. doc is a result document (with
 * runs), comparison what compare_json returns for it, or {"error": "why"}
 * or NULL when there is none (the report says so). Deterministic: the same
 * inputs give the same bytes. Returns malloc'd text, NULL on OOM.
 */
char *report_text(const json_t *doc, const json_t *comparison, int width);
/*
 * The report's answer block alone (answer, broken, not a fix, correct), as
 * the report opens with it; `svabench compare` prints it first. Caller frees.
 */
char *report_answer(const json_t *doc, const json_t *comparison, int width);
/*
 * report_text with every cell's table when full is non-zero; without it a
 * sweep of more than a few cells shows its answer and crossover map, and
 * says how to get the tables (report.c).
 */
char *report_render(const json_t *doc, const json_t *comparison, int width, int full);
/*
 * report_render with the experiment's stored robustness analysis (the
 * "result" of var/robustness/ID.json; NULL: none), shown right after the
 * answer: does the verdict survive every assumed input, which flips it, where.
 */
char *report_render_robust(const json_t *doc, const json_t *comparison, const json_t *robust,
			   int width, int full);

/*
 * ---- calibrate.c: a `local` sim preset from this machine's host target ----
 *
 * Runs the host target's workloads in this process (reuse-after-fork,
 * cow-copy, write-notify, mprotect-upgrade at 1 page, munmap at 1024
 * pages; strategy "unbound"), maps their p50s to the sim's CPU-side
 * parameters (calibrate.c documents each mapping) and writes a preset
 * {"name", "description", "extends": "default", "values": {param: {value,
 * source, confidence: "local"}}} atomically to out, then reloads the sim's
 * local presets so this process sees it.
 */

#define CALIBRATE_ITERATIONS 500       /* default iterations per workload */
#define CALIBRATE_ITERATIONS_MAX 1000000

struct calibrate_opts {
	const char *out;      /* file to write; NULL: calibrate_default_path() */
	const char *name;     /* preset name; NULL: "local" */
	int iterations;       /* per workload; <= 0: CALIBRATE_ITERATIONS */
	FILE *log;            /* the table of what was measured and written; may be NULL */
};

/*
 * 0 when the preset was written; -1 with a message in err (no host target,
 * a workload failed, the file could not be written).
 */
int calibrate_run(const struct calibrate_opts *o, char *err, size_t elen);

/* $SVABENCH_PRESETS/NAME.json, else ./var/presets/NAME.json, into buf. */
void calibrate_default_path(const char *name, char *buf, size_t len);

/* A preset name calibrate accepts: 1..64 of [A-Za-z0-9._-], not a built-in one. */
int calibrate_name_ok(const char *name, char *err, size_t elen);

#endif
