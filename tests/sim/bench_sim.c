/*
 * bench_sim.c - the simulator's speed on one core: events per second of
 * long runs of each workload under Fix A and Fix B (`make bench`). Prints
 * figures; asserts nothing (machines here are shared and noisy).
 */
#include "../../core/metrics.h"
#include "../../targets/target.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	const struct target *sim = target_find("sim");
	const char *strategies[] = {"pri-inv", "notifier"};
	double duration_us = argc > 1 ? atof(argv[1]) : 200000;
	double total_events = 0, total_wall = 0;
	double p[256];

	printf("sim events/s on one core, %.0f us simulated per run:\n", duration_us);
	for (size_t w = 0; w < sim->nworkloads; w++) {
		for (int k = 0; k < 2; k++) {
			struct metrics *m = metrics_new();
			struct run_result res = {.metrics = m};
			struct run_req req = {(int)w, target_strategy_index(sim, strategies[k]), p, 1};
			double ev, wall;

			target_resolve_defaults(sim, (int)w, sim->preset(0), p);
			p[target_param_index(sim, "duration_us")] = duration_us;
			p[target_param_index(sim, "sample_us")] = 1000;
			if (sim->run(&req, NULL, &res)) {
				fprintf(stderr, "bench_sim: %s: %s\n", sim->workloads[w].name, res.reason);
				return 1;
			}
			ev = metrics_value(m, "sim.events", 0);
			wall = metrics_value(m, "sim.wall_ns", 1);
			total_events += ev;
			total_wall += wall;
			printf("  %-18s %-9s %10.0f events %8.1f ms  %6.1f M events/s\n",
			       sim->workloads[w].name, strategies[k], ev, wall / 1e6, ev * 1e3 / wall);
			metrics_free(m);
		}
	}
	printf("sim events/s (one core, all workloads): %.1f M/s (target >= 20 M/s)\n",
	       total_events * 1e3 / total_wall);
	return 0;
}
