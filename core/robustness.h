/*
 * robustness.h - does a comparison's verdict survive other guesses of the
 * inputs nobody has measured? (core/robustness.c, docs/verdicts.md)
 *
 * For every cell of an experiment and every input - each preset value
 * marked `assumed`, and each parameter the user names - the cell's runs
 * are re-run with the input moved to the ends of its range (x1/4 and x4 of
 * the cell's value, clipped to the parameter's limits), with the same
 * seeds (common random numbers), and compared as `compare` does on one
 * metric (cost.total_ns_per_op by default) between the baseline a and the
 * first other correct strategy b. The verdict holds for an input when the
 * winner (a, b, or none) at both ends is the winner at the cell's own
 * value; when it does not, the break-even - where the winner stops being
 * the nominal one - is found by bisection on a log scale to within `tol`. Work is
 * bounded by a budget of runs; the same spec and options give the same
 * document.
 */
#ifndef SVABENCH_ROBUSTNESS_H
#define SVABENCH_ROBUSTNESS_H

#include "core.h"

#define ROBUST_BUDGET 100000      /* default runs */
#define ROBUST_BUDGET_MAX 10000000
#define ROBUST_INPUTS_MAX 64
#define ROBUST_RANGE 4.0          /* x1/4 .. x4 without a cited range */

struct robust_opts {
	const char *metric;        /* NULL: cost.total_ns_per_op */
	const char *baseline;      /* NULL: as compare (pri-inv, else the first correct) */
	long budget;               /* runs at most; <= 0: ROBUST_BUDGET */
	double tol;                /* break-even precision, relative; <= 0: 0.01 */
	const char *const *inputs; /* extra parameters to vary (workload knobs) */
	size_t ninputs;
	int no_assumed;            /* 1: only `inputs`, not the preset's assumed values */
	int jobs;                  /* runner threads; <= 0: the online CPUs */
	/* called after each evaluation: runs done, runs planned (a lower bound) */
	void (*progress)(void *ctx, long done, long planned);
	void *ctx;
};

void robust_defaults(struct robust_opts *o);

/*
 * The analysis of spec s (its cells are re-run; no results needed):
 * {"experiment", "metric", "better", "a", "b", "range": "x1/4..x4",
 *  "tol", "budget", "runs_planned", "runs_used", "complete",
 *  "inputs": [{"name", "value", "source", "confidence", "unit"}],
 *  "cells": [{"cell", "nominal": {"winner", "verdict", "ratio"}, "robust",
 *     "statement", "inputs": {NAME: {"lo", "hi", "holds",
 *        "at_lo": {"value", "winner", "verdict", "ratio"}, "at_hi": {...},
 *        "break_even_below", "break_even_above": null | {"value",
 *           "side": "below"|"above", "bracket": [lo, hi], "winner_beyond",
 *           "precise"}, "evaluations"} | {"skipped": "why"}}}]}
 * statement: "robust: S wins over every input's range", or "S wins unless
 * irq_ns > 7330 (then T), cmd_sync_ns < 210 (then within noise)".
 * NULL with a message in err (not a two-strategy comparison, an unknown
 * or non-numeric input, a bad option, out of memory).
 */
json_t *robustness_json(const struct spec *s, const char *id, const struct robust_opts *o,
			char *err, size_t elen);

/*
 * A robustness_json result answer first (report_robust.c):
 * {"robust": true when no input flips any cell's verdict and the analysis
 *  is complete, "cells", "cells_changed", "inputs" (how many were moved),
 *  "metric", "range", "a", "b", "complete", "runs_used", "runs_planned",
 *  "flips": [{"input", "cells" (where it flips the verdict),
 *    "break_even_min", "break_even_max", "where": [{"cell", "cell_text",
 *    "statement": "pri-inv wins unless irq_ns > 2.636e+04 (then within
 *    noise)"}] (the first 3 such cells)}] most cells first}.
 * NULL on OOM.
 */
json_t *robustness_summary(const json_t *result);

/*
 * One evaluation as the analysis makes it: cell's runs of a and b with
 * param at x (same seeds), *ratio = b's median / a's on o->metric (NAN
 * when undefined). 0, or -1 with a message. For direct sweeps (tests).
 */
int robustness_ratio(const struct spec *s, const struct robust_opts *o, size_t cell,
		     const char *param, double x, double *ratio, char *err, size_t elen);

#endif
