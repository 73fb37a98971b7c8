/*
 * test_runner.c - the offline runner on the real simulator, with tiny runs:
 * every run is attempted, the result does not depend on the number of
 * worker threads, progress reaches the total, a failing run is reported as
 * failed with its reason.
 */
#include "../harness.h"
#include "../../core/core.h"

#include <string.h>

struct seen {
	size_t calls, done, total;
};

static void progress(void *ctx, size_t done, size_t total)
{
	struct seen *p = ctx;

	p->calls++;
	p->done = done;
	p->total = total;
}

/* Drops sim.wall_ns: host wall time, the one metric that may differ. */
static void drop_wall_time(json_t *doc)
{
	json_t *run;
	size_t i;

	json_array_foreach(json_object_get(doc, "runs"), i, run)
		json_object_del(json_object_get(run, "metrics"), "sim.wall_ns");
}

/* Runs text with jobs threads; the document (caller frees) or NULL. */
static json_t *run(const char *text, int jobs, struct seen *seen, size_t *nfailed)
{
	struct runner_opts o = {.jobs = jobs, .progress = progress, .ctx = seen};
	struct spec_error err;
	struct spec *s = spec_parse(text, strlen(text), &err);
	struct results *r;
	json_t *doc = NULL;
	char msg[256];

	if (!s) {
		printf("# spec refused: %s: %s\n", err.field, err.msg);
		return NULL;
	}
	r = results_new(s);
	if (r && runner_run(r, &o, msg, sizeof(msg)) == 0) {
		doc = result_document(r, "offline");
		*nfailed = r->nfailed;
	} else {
		printf("# runner: %s\n", r ? msg : "out of memory");
	}
	results_free(r);
	spec_free(s);
	return doc;
}

int main(void)
{
	static const char spec[] =
		"{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"pri-inv\", \"pri-inv-no-atc\"],"
		" \"params\": {\"duration_us\": 200, \"pages\": 16, \"ats\": [false, true]},"
		" \"repetitions\": 2, \"seed\": 3}";
	static const char failing[] =
		"{\"workload\": \"rw-reuse\", \"strategies\": [\"pri-inv\"],"
		" \"params\": {\"max_events\": 1000, \"duration_us\": [200, 100000]}}";
	struct seen s1 = {0}, s4 = {0}, sf = {0};
	size_t f1 = 0, f4 = 0, ff = 0;
	json_t *one = run(spec, 1, &s1, &f1), *four = run(spec, 4, &s4, &f4), *bad;
	json_t *runs = json_object_get(one, "runs"), *v;
	size_t i;
	int all = 1;

	test_result(one && four, "runs complete", "runner failed");
	test_result(json_array_size(runs) == 12 && f1 == 0, "12 runs, none failed",
		    "%zu runs, %zu failed", json_array_size(runs), f1);
	json_array_foreach(runs, i, v)
		all &= !strcmp(json_string_value(json_object_get(v, "status")), "done") &&
		       json_is_number(json_object_get(json_object_get(v, "metrics"), "dma.transactions"));
	test_result(all, "every run done with metrics", "a run without metrics");
	drop_wall_time(one);
	drop_wall_time(four);
	test_result(one && four && json_equal(one, four),
		    "1 and 4 worker threads give the same document (but for wall time)",
		    "documents differ");
	test_result(s1.calls >= 1 && s1.done == 12 && s1.total == 12 && s4.done == 12,
		    "progress reaches done == total", "calls %zu done %zu total %zu", s1.calls,
		    s1.done, s1.total);
	json_decref(one);
	json_decref(four);

	bad = run(failing, 2, &sf, &ff);
	runs = json_object_get(bad, "runs");
	v = json_array_get(runs, 1);
	test_result(bad && ff == 1 &&
		    !strcmp(json_string_value(json_object_get(json_array_get(runs, 0), "status")), "done") &&
		    !strcmp(json_string_value(json_object_get(v, "status")), "failed") &&
		    json_is_string(json_object_get(v, "reason")) &&
		    strlen(json_string_value(json_object_get(v, "reason"))) > 0,
		    "a run over its event budget fails with a reason; the others complete",
		    "%zu failed", ff);
	json_decref(bad);
	return test_exit();
}
