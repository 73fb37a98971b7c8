/*
 * bench_sim.c - the simulator's speed on one core: events per second of
 * long runs of each workload under Fix A and Fix B (`make bench`), at the
 * default sample_us with a sink that receives every sample (as the daemon's
 * does). Asserts nothing.
 *
 * The runs are repeated in SWEEPS sweeps (each sweep runs every workload and
 * strategy once, in turn) and timed in CPU seconds of this thread. This VM's
 * two CPUs share one physical core: while the other one is busy (ours or a
 * neighbour's), the same binary runs a third slower. So the figure is the
 * median sweep, printed with the best and the worst; per cell, the median.
 * Every sweep must count the same events (determinism), or it fails.
 *
 * Usage: bench_sim [-n SWEEPS] [DURATION_US [WORKLOAD]]
 * (one workload and -n 1: for profiling).
 */
#include "../../lib/metrics.h"
#include "../../targets/target.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SWEEPS_MAX 50
#define CELLS_MAX 64

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_sample(void *ctx, uint64_t t, const struct metrics *m)
{
	(*(unsigned long *)ctx)++;
	(void)t;
	(void)m;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[SWEEPS_MAX];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

struct cell {
	int workload, strategy;
	const char *sname;
	double events;
	double cpu[SWEEPS_MAX];
};

/* One run of cell c; its CPU time in c->cpu[r]. */
static int run_cell(const struct target *sim, struct cell *c, int r, double duration_us,
		    const struct run_sink *sink)
{
	struct metrics *m = metrics_new();
	struct run_result res = {.metrics = m};
	double p[256], c0, ev;
	struct run_req req = {c->workload, c->strategy, p, 1};

	target_resolve_defaults(sim, c->workload, sim->preset(0), p);
	p[target_param_index(sim, "duration_us")] = duration_us;
	c0 = cpu_ns();
	if (sim->run(&req, sink, &res)) {
		fprintf(stderr, "bench_sim: %s: %s\n", sim->workloads[c->workload].name, res.reason);
		metrics_free(m);
		return -1;
	}
	c->cpu[r] = cpu_ns() - c0;
	ev = metrics_value(m, "sim.events", 0);
	metrics_free(m);
	if (r && ev != c->events) {
		fprintf(stderr, "bench_sim: %s %s: %.0f events in sweep %d, %.0f in the first: not deterministic\n",
			sim->workloads[c->workload].name, c->sname, ev, r + 1, c->events);
		return -1;
	}
	c->events = ev;
	return 0;
}

int main(int argc, char **argv)
{
	const struct target *sim = target_find("sim");
	const char *strategies[] = {"pri-inv", "notifier"};
	static struct cell cells[CELLS_MAX];
	double duration_us = 200000, sweep_rate[SWEEPS_MAX], total_events = 0;
	unsigned long samples = 0;
	struct run_sink sink = {.ctx = &samples, .sample = on_sample};
	int sweeps = 5, ncells = 0, opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || (sweeps = atoi(optarg)) < 1 || sweeps > SWEEPS_MAX) {
			fprintf(stderr, "usage: bench_sim [-n SWEEPS (1..%d)] [DURATION_US [WORKLOAD]]\n",
				SWEEPS_MAX);
			return 2;
		}
	}
	if (optind < argc)
		duration_us = atof(argv[optind]);
	for (size_t w = 0; w < sim->nworkloads; w++) {
		if (optind + 1 < argc && strcmp(argv[optind + 1], sim->workloads[w].name))
			continue;
		for (int k = 0; k < 2 && ncells < CELLS_MAX; k++)
			cells[ncells++] = (struct cell){(int)w, target_strategy_index(sim, strategies[k]),
							strategies[k], 0, {0}};
	}
	if (!ncells) {
		fprintf(stderr, "bench_sim: no workload %s\n", argv[optind + 1]);
		return 2;
	}
	printf("sim events/s on one core, %.0f us simulated per run, default sample_us (%g us), every sample delivered, %d sweeps:\n",
	       duration_us, sim->params[target_param_index(sim, "sample_us")].def, sweeps);
	for (int r = 0; r < sweeps; r++) {
		double ev = 0, cpu = 0;

		for (int c = 0; c < ncells; c++) {
			if (run_cell(sim, &cells[c], r, duration_us, &sink))
				return 1;
			ev += cells[c].events;
			cpu += cells[c].cpu[r];
		}
		sweep_rate[r] = ev * 1e3 / cpu;
		total_events = ev;
	}
	for (int c = 0; c < ncells; c++) {
		double med = median(cells[c].cpu, sweeps);

		printf("  %-18s %-9s %10.0f events %8.1f ms CPU (median) %6.1f M/s\n",
		       sim->workloads[cells[c].workload].name, cells[c].sname, cells[c].events,
		       med / 1e6, cells[c].events * 1e3 / med);
	}
	printf("%lu samples delivered; sweeps:", samples);
	for (int r = 0; r < sweeps; r++)
		printf(" %.1f", sweep_rate[r]);
	printf(" M/s\n");
	{
		double lo = sweep_rate[0], hi = sweep_rate[0];

		for (int r = 1; r < sweeps; r++) {
			lo = sweep_rate[r] < lo ? sweep_rate[r] : lo;
			hi = sweep_rate[r] > hi ? sweep_rate[r] : hi;
		}
		printf("sim events/s (one core, all workloads, %.0f events a sweep): %.1f M/s per CPU second, the median of %d sweeps (best %.1f, worst %.1f) (target >= 30 M/s)\n",
		       total_events, median(sweep_rate, sweeps), sweeps, hi, lo);
	}
	return 0;
}
