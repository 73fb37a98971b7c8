/*
 * test_result.c - the result document has api.md's shape: experiment
 * fields, runs in plan order with their cell, seed, status, reason, flat
 * metrics (integers as integers, null where there is no number) and
 * examples; streamed and built documents are the same JSON.
 */
#include "../harness.h"
#include "../../core/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char spec_text[] =
	"{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"pri-inv\"],"
	" \"params\": {\"pages\": [16, 64], \"duration_us\": 100}, \"label\": \"v6.6\"}";

static void fake_run(struct results *r, size_t i, enum run_status st, const char *reason,
		     int variant)
{
	struct run_result res = {0};

	res.metrics = metrics_new();
	if (variant == 0) {
		metrics_set(res.metrics, "dma.transactions", 12);
		metrics_set(res.metrics, "dma.throughput_bps", 1.5);
		metrics_set(res.metrics, "cmd.sync", NAN);
		metrics_set_null(res.metrics, "pmcg.cycles");
		snprintf(res.examples[0], sizeof(res.examples[0]), "t=1 ns livelocked");
		res.nexamples = 1;
	} else {
		/* Another order and a new name: stored by name all the same. */
		metrics_set(res.metrics, "oracle.coherence_violations", 3);
		metrics_set(res.metrics, "dma.transactions", 7);
	}
	if (reason)
		snprintf(res.reason, sizeof(res.reason), "%s", reason);
	results_store(r, i, st, &res);
	metrics_free(res.metrics);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "(not a string)";
}

static void check_experiment(const json_t *doc, const struct spec *s)
{
	const json_t *e = json_object_get(doc, "experiment");
	const json_t *preset = json_object_get(e, "preset");
	const json_t *host = json_object_get(e, "host");
	const json_t *irq = json_object_get(json_object_get(preset, "values"), "irq_ns");
	static const char *const keys[] = {"id", "spec", "status", "runs_total", "runs_done",
					   "preset", "host", "target", "workload", "label", "name", NULL};
	int ok = 1;

	for (int k = 0; keys[k]; k++)
		if (!json_object_get(e, keys[k])) {
			printf("# experiment.%s missing\n", keys[k]);
			ok = 0;
		}
	test_result(ok, "experiment has api.md's keys", "see above");
	test_result(!strcmp(str(e, "id"), "offline") && json_equal(json_object_get(e, "spec"), s->doc) &&
		    !strcmp(str(e, "target"), "sim") && !strcmp(str(e, "workload"), "rw-reuse") &&
		    !strcmp(str(e, "label"), "v6.6") && json_is_null(json_object_get(e, "name")),
		    "experiment: id, spec as given, target, workload, label, name null", "mismatch");
	test_result(json_integer_value(json_object_get(e, "runs_total")) == 4 &&
		    json_integer_value(json_object_get(e, "runs_done")) == 1 &&
		    !strcmp(str(e, "status"), "running"),
		    "experiment counts runs and is running while some are pending",
		    "status %s", str(e, "status"));
	test_result(!strcmp(str(preset, "name"), "default") && json_is_integer(json_object_get(irq, "value")) &&
		    json_is_string(json_object_get(irq, "source")) &&
		    json_is_string(json_object_get(irq, "confidence")),
		    "preset with each value's source and confidence", "preset %s", str(preset, "name"));
	test_result(json_is_string(json_object_get(host, "kernel")) &&
		    json_is_string(json_object_get(host, "machine")) &&
		    !strcmp(str(host, "svabench_version"), SVABENCH_VERSION) &&
		    !json_object_get(host, "hostname"),
		    "host: kernel, machine, svabench version, no hostname", "mismatch");
}

static void check_runs(const json_t *doc, const struct spec *s)
{
	const json_t *runs = json_object_get(doc, "runs");
	const json_t *r0 = json_array_get(runs, 0), *r1 = json_array_get(runs, 1);
	const json_t *r2 = json_array_get(runs, 2), *r3 = json_array_get(runs, 3);
	const json_t *m0 = json_object_get(r0, "metrics"), *m2 = json_object_get(r2, "metrics");
	char *cell = json_dumps(json_object_get(r2, "cell"), JSON_COMPACT);

	test_result(json_array_size(runs) == 4, "one run object per planned run", "%zu",
		    json_array_size(runs));
	test_result(!strcmp(str(r0, "id"), "offline-r0001") && !strcmp(str(r3, "id"), "offline-r0004"),
		    "run ids offline-r0001...", "%s", str(r0, "id"));
	test_result(cell && !strcmp(cell, "{\"pages\":64}") && !strcmp(str(r2, "strategy"), "none") &&
		    json_integer_value(json_object_get(r2, "repetition")) == 0 &&
		    json_is_integer(json_object_get(r2, "seed")) &&
		    (uint64_t)json_integer_value(json_object_get(r2, "seed")) == s->runs[2].seed,
		    "run: cell, strategy, repetition, seed as an integer", "cell %s", cell ? cell : "-");
	free(cell);
	test_result(!strcmp(str(r0, "status"), "done") && json_is_null(json_object_get(r0, "reason")),
		    "a done run has reason null", "status %s", str(r0, "status"));
	test_result(!strcmp(str(r1, "status"), "failed") && !strcmp(str(r1, "reason"), "boom"),
		    "a failed run has its reason", "status %s reason %s", str(r1, "status"),
		    str(r1, "reason"));
	test_result(!strcmp(str(r3, "status"), "queued") && json_object_size(json_object_get(r3, "metrics")) == 0,
		    "a pending run is queued, without metrics", "status %s", str(r3, "status"));
	test_result(json_is_integer(json_object_get(m0, "dma.transactions")) &&
		    json_integer_value(json_object_get(m0, "dma.transactions")) == 12,
		    "integral metrics print as integers", "not an integer");
	test_result(json_is_real(json_object_get(m0, "dma.throughput_bps")) &&
		    json_real_value(json_object_get(m0, "dma.throughput_bps")) == 1.5,
		    "other metrics are reals", "not 1.5");
	test_result(json_is_null(json_object_get(m0, "cmd.sync")) && json_is_null(json_object_get(m0, "pmcg.cycles")),
		    "NaN and null metrics are JSON null", "not null");
	test_result(json_object_size(m2) == 2 && json_integer_value(json_object_get(m2, "oracle.coherence_violations")) == 3 &&
		    !json_object_get(m2, "dma.throughput_bps"),
		    "each run has exactly the metrics it reported", "%zu metrics", json_object_size(m2));
	test_result(json_array_size(json_object_get(r0, "examples")) == 1 &&
		    !strcmp(json_string_value(json_array_get(json_object_get(r0, "examples"), 0)), "t=1 ns livelocked") &&
		    json_array_size(json_object_get(r2, "examples")) == 0,
		    "examples as a list of strings", "mismatch");
}

static void check_stream(const struct results *r)
{
	json_t *doc = result_document(r, "offline"), *back;
	FILE *f = tmpfile();
	json_error_t err;

	if (!f || !doc) {
		test_result(0, "streamed document equals the built one", "no tmpfile or document");
		json_decref(doc);
		if (f)
			fclose(f);
		return;
	}
	test_result(result_write_json(f, r, "offline") == 0, "result_write_json succeeds", "failed");
	rewind(f);
	back = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
	test_result(back && json_equal(back, doc), "streamed document equals the built one",
		    "%s", back ? "differs" : err.text);
	json_decref(back);
	json_decref(doc);
	fclose(f);
}

int main(void)
{
	struct spec_error err;
	struct spec *s = spec_parse(spec_text, strlen(spec_text), &err);
	struct results *r;
	json_t *doc, *e;
	double v;

	if (!s) {
		test_result(0, "spec", "%s: %s", err.field, err.msg);
		return test_exit();
	}
	r = results_new(s);
	fake_run(r, 0, RUN_DONE, NULL, 0);
	fake_run(r, 1, RUN_FAILED, "boom", 0);
	fake_run(r, 2, RUN_DONE, NULL, 1);
	/* Run 2 stored twice: the second outcome replaces the first. */
	fake_run(r, 2, RUN_FAILED, "first try", 0);
	fake_run(r, 2, RUN_DONE, NULL, 1);
	test_result(r->ndone == 2 && r->nfailed == 1, "storing a run again replaces it",
		    "done %zu failed %zu", r->ndone, r->nfailed);
	test_result(results_value(r, 0, "dma.transactions", &v) == 1 && v == 12 &&
		    results_value(r, 0, "pmcg.cycles", &v) == 0 &&
		    results_value(r, 0, "cmd.sync", &v) == 0 &&
		    results_value(r, 2, "dma.throughput_bps", &v) == -1 &&
		    results_value(r, 3, "dma.transactions", &v) == -1,
		    "results_value: number, null, absent", "mismatch");

	r->ndone--; /* pretend run 2 is not done yet, for the counts below */
	doc = result_document(r, "offline");
	r->ndone++;
	test_result(doc != NULL, "result_document builds", "NULL");
	if (doc) {
		check_experiment(doc, s);
		check_runs(doc, s);
	}
	json_decref(doc);

	fake_run(r, 3, RUN_DONE, NULL, 1);
	e = result_experiment_json(r, "x");
	test_result(e && !strcmp(str(e, "status"), "failed"), "a finished experiment with a failed run is failed",
		    "status %s", e ? str(e, "status") : "-");
	json_decref(e);
	fake_run(r, 1, RUN_DONE, NULL, 1);
	e = result_experiment_json(r, "x");
	test_result(e && !strcmp(str(e, "status"), "done") &&
		    json_integer_value(json_object_get(e, "runs_done")) == 4,
		    "every run done: the experiment is done", "status %s", e ? str(e, "status") : "-");
	json_decref(e);

	check_stream(r);
	results_free(r);
	spec_free(s);
	return test_exit();
}
