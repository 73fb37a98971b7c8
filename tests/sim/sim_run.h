/*
 * sim_run.h - what the sim's test programs share: one cell run into a
 * metric set, its values by name, and the cell's parameters before a
 * test's own (the workload's defaults under a preset, a 2 ms run).
 */
#ifndef SVABENCH_TEST_SIM_RUN_H
#define SVABENCH_TEST_SIM_RUN_H

#include "../../lib/metrics.h"
#include "../../targets/target.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct out {
	struct metrics *m;
	struct run_result res;
	int rc;
};

/* Workload wl's and strategy st's indices into *w, *k; exits 2 on a test bug. */
static inline void cell_indices(const struct target *sim, const char *wl, const char *st, int *w,
				int *k)
{
	*w = target_workload_index(sim, wl);
	*k = target_strategy_index(sim, st);
	if (*w < 0 || *k < 0) {
		fprintf(stderr, "test bug: %s/%s\n", wl, st);
		exit(2);
	}
}

/* p: workload w's defaults under preset (NULL: the default one), duration_us 2000. */
static inline void cell_defaults(const struct target *sim, int w, const struct preset *preset,
				 double *p)
{
	target_resolve_defaults(sim, w, preset ? preset : sim->preset(0), p);
	p[target_param_index(sim, "duration_us")] = 2000;
}

/* Runs the cell; the caller frees with done(). */
static inline struct out run_cell(const struct target *sim, int w, int k, const double *p,
				  uint64_t seed)
{
	struct out o = {0};
	struct run_req req = {w, k, p, seed};

	o.m = metrics_new();
	o.res.metrics = o.m;
	o.rc = sim->run(&req, NULL, &o.res);
	return o;
}

/* Metric name's value, -1 when absent or null. */
static inline double v(const struct out *o, const char *name)
{
	return metrics_value(o->m, name, -1);
}

static inline void done(struct out *o)
{
	metrics_free(o->m);
}

#endif
