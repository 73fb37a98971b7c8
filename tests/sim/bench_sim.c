/*
 * bench_sim.c - the simulator's speed on one core: events per second of
 * long runs of each workload under Fix A and Fix B (`make bench`), at the
 * default sample_us with a sink that receives every sample (as the daemon's
 * does). Prints events per wall second and per CPU second of this thread
 * (the machines here are shared: the CPU-time figure is the one core's
 * speed); asserts nothing.
 * Usage: bench_sim [DURATION_US [WORKLOAD]] (one workload: for profiling).
 */
#include "../../lib/metrics.h"
#include "../../targets/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int main(int argc, char **argv)
{
	const struct target *sim = target_find("sim");
	const char *strategies[] = {"pri-inv", "notifier"};
	double duration_us = argc > 1 ? atof(argv[1]) : 200000;
	double total_events = 0, total_wall = 0, total_cpu = 0;
	unsigned long samples = 0;
	struct run_sink sink = {.ctx = &samples, .sample = on_sample};
	double p[256];

	printf("sim events/s on one core, %.0f us simulated per run, default sample_us (%g us), every sample delivered:\n",
	       duration_us, sim->params[target_param_index(sim, "sample_us")].def);
	for (size_t w = 0; w < sim->nworkloads; w++) {
		if (argc > 2 && strcmp(argv[2], sim->workloads[w].name))
			continue;
		for (int k = 0; k < 2; k++) {
			struct metrics *m = metrics_new();
			struct run_result res = {.metrics = m};
			struct run_req req = {(int)w, target_strategy_index(sim, strategies[k]), p, 1};
			double ev, wall, c0, cpu;

			target_resolve_defaults(sim, (int)w, sim->preset(0), p);
			p[target_param_index(sim, "duration_us")] = duration_us;
			c0 = cpu_ns();
			if (sim->run(&req, &sink, &res)) {
				fprintf(stderr, "bench_sim: %s: %s\n", sim->workloads[w].name, res.reason);
				return 1;
			}
			cpu = cpu_ns() - c0;
			ev = metrics_value(m, "sim.events", 0);
			wall = metrics_value(m, "sim.wall_ns", 1);
			total_events += ev;
			total_wall += wall;
			total_cpu += cpu;
			printf("  %-18s %-9s %10.0f events %8.1f ms wall %6.1f M/s  %8.1f ms CPU %6.1f M/s\n",
			       sim->workloads[w].name, strategies[k], ev, wall / 1e6, ev * 1e3 / wall,
			       cpu / 1e6, ev * 1e3 / cpu);
			metrics_free(m);
		}
	}
	printf("%lu samples delivered\n", samples);
	printf("sim events/s (one core, all workloads): %.1f M/s per CPU second, %.1f M/s per wall second (target >= 30 M/s)\n",
	       total_events * 1e3 / total_cpu, total_events * 1e3 / total_wall);
	return 0;
}
