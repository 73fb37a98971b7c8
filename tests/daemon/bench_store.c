/*
 * bench_store.c - how fast the store takes what the scheduler hands it:
 * sample ingest in batches as a worker streams them (50 samples x 80
 * metrics per store_add_samples call), run claims and results, and a
 * repeated GET of a finished experiment's document. The database lives in a
 * temporary directory, removed at the end.
 *
 *   make build/tests/daemon/bench_store && build/tests/daemon/bench_store [ROWS]
 */
#include "../../daemon/daemon.h"
#include "../../daemon/store_impl.h" /* store_experiment_doc_text */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 50
#define METRICS 80

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A counter set like a sim run's: the api.md vocabulary, padded to METRICS. */
static void fill_names(char names[METRICS][METRIC_NAME_MAX])
{
	static const char *const base[] = {
		"dma.transactions", "dma.bytes", "dma.throughput_bps", "dma.latency_ns.p50",
		"dma.latency_ns.p90", "dma.latency_ns.p99", "dma.latency_ns.p999",
		"dma.latency_ns.max", "dma.livelocked", "fault.translation", "fault.permission",
		"fault.refaults", "fault.spurious", "oracle.coherence_violations", "cmd.tlbi_nh_va",
		"cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid", "cmd.atc_inv", "cmd.sync", "cmd.resume",
		"cmd.pri_resp", "cmd.cfgi_cd", "cmdq.sync_wait_ns", "cmdq.busy_fraction",
		"cpu.upgrades", "cpu.faults", "cpu.invalidation_ns", "notifier.calls", "pmcg.cycles",
		"pmcg.transaction", "pmcg.tlb_miss", "pmcg.config_cache_miss",
		"pmcg.trans_table_walk_access", "pmcg.config_struct_access", "pmcg.pcie_ats_trans_rq",
		"pmcg.pcie_ats_trans_passed", "sim.events", "sim.wall_ns", "sim.duration_ns",
	};
	size_t nb = sizeof(base) / sizeof(base[0]);

	for (size_t k = 0; k < METRICS; k++) {
		if (k < nb)
			snprintf(names[k], METRIC_NAME_MAX, "%s", base[k]);
		else
			snprintf(names[k], METRIC_NAME_MAX, "perf.armv8_pmuv3.event_%02zu%s", k - nb,
				 (k - nb) % 3 == 1 ? ".enabled_ns" : (k - nb) % 3 == 2 ? ".running_ns" : "");
	}
}

static void bench_ingest(struct store *st, int64_t run, long rows_goal)
{
	static char names[METRICS][METRIC_NAME_MAX];
	struct sample s[BATCH];
	long calls = rows_goal / (BATCH * METRICS), rows = 0;
	uint64_t t = 0;
	double t0, dt;
	int rc = 0;

	fill_names(names);
	for (int i = 0; i < BATCH; i++) {
		s[i].m = metrics_new();
		for (int k = 0; k < METRICS; k++)
			metrics_set(s[i].m, names[k], 0);
	}
	/* Only the store's time counts: the batch is refilled in place. */
	dt = 0;
	for (long c = 0; c < calls && !rc; c++) {
		for (int i = 0; i < BATCH; i++) {
			struct metric *v = s[i].m->v;

			t += 50000;
			s[i].t_ns = t;
			for (int k = 0; k < METRICS; k++) {
				v[k].is_null = k == 13 && i % 7 == 0;
				v[k].value = k == 23 ? 0.25 + (double)(t % 1000) / 4000
					     : (double)(t / 1000 * (uint64_t)(k + 1));
			}
		}
		t0 = now_s();
		rc = store_add_samples(st, run, s, BATCH);
		dt += now_s() - t0;
		rows += BATCH * METRICS;
	}
	if (rc)
		printf("sample ingest: failed: %s\n", store_error(st));
	else
		printf("sample ingest: %.0f values/s (goal >= 1 M/s) - %ld values in %ld calls of"
		       " %d samples x %d metrics, %.3f s\n", rows / dt, rows, calls, BATCH, METRICS, dt);
	for (int i = 0; i < BATCH; i++)
		metrics_free(s[i].m);
}

int main(int argc, char **argv)
{
	static const char spec_text[] =
		"{\"workload\": \"rw-reuse\", \"params\": {\"pages\": [16, 32, 64, 128, 256]},"
		" \"repetitions\": 40}";
	char dir[] = "/tmp/svabench-bench-store-XXXXXX", db[128], err[256], id[32], cmd[160];
	long rows = argc > 1 ? atol(argv[1]) : 400000;
	struct spec_error se;
	struct spec *sp = spec_parse(spec_text, strlen(spec_text), &se);
	struct store *st;
	struct run_job job;
	struct metrics *m = metrics_new();
	double t0, dt;
	size_t n = 0, len;
	int rc;

	if (!sp || !mkdtemp(dir)) {
		fprintf(stderr, "bench_store: setup failed\n");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/svabench.db", dir);
	st = store_open(db, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "bench_store: %s\n", err);
		return 1;
	}
	t0 = now_s();
	rc = store_create_experiment(st, sp, spec_text, NULL, id, sizeof(id));
	printf("create experiment: %zu runs queued in %.3f s\n", sp->nruns, now_s() - t0);
	if (!rc && store_claim_next(st, &job) == 1) {
		bench_ingest(st, job.run_id, rows);
		run_job_free(&job);
	}
	for (int k = 0; k < METRICS; k++) {
		char name[32];

		snprintf(name, sizeof(name), "perf.event_%d", k);
		metrics_set(m, name, k * 1.5);
	}
	t0 = now_s();
	while (store_claim_next(st, &job) == 1) {
		store_finish_run(st, job.run_id, "done", NULL, m, NULL);
		run_job_free(&job);
		n++;
	}
	dt = now_s() - t0;
	printf("claim + finish: %.0f runs/s (%zu runs, %d metrics each)\n", n / dt, n, METRICS);
	free(store_experiment_doc_text(st, id, 1, &rc, &len));
	t0 = now_s();
	for (int i = 0; i < 1000; i++)
		free(store_experiment_doc_text(st, id, 1, &rc, &len));
	dt = now_s() - t0;
	printf("cached document of %zu runs (%zu bytes): %.1f us per GET\n", sp->nruns, len,
	       dt * 1e6 / 1000);
	t0 = now_s();
	json_decref(store_experiment_doc(st, id, 1, &rc));
	printf("document rebuilt from the store: %.1f ms\n", (now_s() - t0) * 1e3);
	store_close(st);
	metrics_free(m);
	spec_free(sp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? 1 : 0;
}
