/*
 * prom.c - GET /metrics in the Prometheus text exposition format (0.0.4):
 * the daemon's health (requests by status, runs by status, queue depth,
 * workers, store size and whether its writes fail) and the latest results:
 * for the newest done experiment of each target and workload, the mean of
 * a few key metrics per strategy over its done runs. Those means are
 * computed once per experiment and cached, since a done experiment does not
 * change.
 */
#include "http_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The result metrics /metrics shows, averaged per strategy. */
static const char *const key_metrics[] = {
	"dma.throughput_bps",
	"dma.latency_ns.p50",
	"dma.latency_ns.p99",
	"dma.livelocked",
	"oracle.coherence_violations",
	"fault.spurious",
	"cmd.tlbi_nh_va",
	"cmd.sync",
	"cmdq.busy_fraction",
	"cpu.invalidation_ns",
	"notifier.calls",
	"cost.total_ns_per_op",
	/* the host target's: latency per timed operation and per page, faults */
	"op.latency_ns.p50",
	"op.latency_ns.p99",
	"op.per_page_ns.p50",
	"perf.faults",
};

#define NKEY (sizeof(key_metrics) / sizeof(key_metrics[0]))
#define LIST_MAX 1000 /* done experiments looked at per scrape */

struct prom_entry {
	char *target, *workload, *exp;
	char *lines;   /* the svabench_result samples of exp */
};

struct prom_cache {
	pthread_mutex_t mu;
	struct prom_entry *v;
	size_t n, cap;
};

struct prom_cache *prom_cache_new(void)
{
	struct prom_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->mu, NULL)) {
		free(c);
		return NULL;
	}
	return c;
}

static void entry_clear(struct prom_entry *e)
{
	free(e->target);
	free(e->workload);
	free(e->exp);
	free(e->lines);
	memset(e, 0, sizeof(*e));
}

void prom_cache_free(struct prom_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->v[i]);
	free(c->v);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* A label value with \, " and newline escaped, as the format wants. */
static void put_label(FILE *f, const char *name, const char *value, int first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, " %.0f\n", v);
	else
		fprintf(f, " %.15g\n", v);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	fputs(name, f);
	put_value(f, v);
}

static void counter(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "counter", help);
	fputs(name, f);
	put_value(f, v);
}

/* ---- latest results ---- */

struct mean {
	const char *strategy;   /* borrowed from the document */
	double sum[NKEY];
	long n[NKEY];
};

/* The svabench_result lines of one experiment document; NULL on OOM. */
static char *result_lines(const char *target, const char *workload, const json_t *doc)
{
	const json_t *runs = json_object_get(doc, "runs"), *run;
	struct mean *m = NULL;
	size_t nm = 0, i, len = 0;
	char *text = NULL;
	FILE *f;

	m = calloc(json_array_size(runs) + 1, sizeof(*m));
	if (!m)
		return NULL;
	json_array_foreach(runs, i, run) {
		const char *strategy = json_string_value(json_object_get(run, "strategy"));
		const char *status = json_string_value(json_object_get(run, "status"));
		const json_t *metrics = json_object_get(run, "metrics");
		size_t k;

		if (!strategy || !status || strcmp(status, "done"))
			continue;
		for (k = 0; k < nm && strcmp(m[k].strategy, strategy); k++)
			;
		if (k == nm)
			m[nm++].strategy = strategy;
		for (size_t j = 0; j < NKEY; j++) {
			const json_t *v = json_object_get(metrics, key_metrics[j]);

			if (json_is_number(v) && isfinite(json_number_value(v))) {
				m[k].sum[j] += json_number_value(v);
				m[k].n[j]++;
			}
		}
	}
	f = open_memstream(&text, &len);
	if (!f) {
		free(m);
		return NULL;
	}
	for (size_t k = 0; k < nm; k++) {
		for (size_t j = 0; j < NKEY; j++) {
			if (!m[k].n[j])
				continue;
			fputs("svabench_result{", f);
			put_label(f, "target", target, 1);
			put_label(f, "workload", workload, 0);
			put_label(f, "strategy", m[k].strategy, 0);
			put_label(f, "metric", key_metrics[j], 0);
			fputc('}', f);
			put_value(f, m[k].sum[j] / (double)m[k].n[j]);
		}
	}
	free(m);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The cached lines for (target, workload) at experiment exp; NULL if none. */
static const char *cached_lines(struct http *h, const char *target, const char *workload,
				const char *exp)
{
	struct prom_cache *c = h->prom;
	struct prom_entry *e = NULL;
	json_t *doc;
	int rc = STORE_OK;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].target, target) && !strcmp(c->v[i].workload, workload))
			e = &c->v[i];
	if (e && !strcmp(e->exp, exp))
		return e->lines;
	if (!e) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? 2 * c->cap : 16;
			struct prom_entry *v = realloc(c->v, cap * sizeof(*v));

			if (!v)
				return NULL;
			c->v = v;
			c->cap = cap;
		}
		e = &c->v[c->n++];
		memset(e, 0, sizeof(*e));
		e->target = strdup(target);
		e->workload = strdup(workload);
		if (!e->target || !e->workload) {
			entry_clear(e);
			c->n--;
			return NULL;
		}
	}
	free(e->exp);
	free(e->lines);
	e->exp = NULL;
	e->lines = NULL;
	doc = store_experiment_doc(h->ctx.store, exp, 1, &rc);
	if (!doc)
		return NULL;
	e->lines = result_lines(target, workload, doc);
	json_decref(doc);
	if (e->lines)
		e->exp = strdup(exp);
	if (!e->exp) {
		free(e->lines);
		e->lines = NULL;
	}
	return e->lines;
}

static int same(const json_t *exp, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(exp, key));

	return v && !strcmp(v, want);
}

/* 1 when list[i] (newest first) is the first of its target and workload. */
static int newest_of_kind(const json_t *list, size_t i, const char *target, const char *workload)
{
	for (size_t j = 0; j < i; j++) {
		const json_t *e = json_array_get(list, j);

		if (same(e, "target", target) && same(e, "workload", workload))
			return 0;
	}
	return 1;
}

/* The newest done experiment of each (target, workload), in list order. */
static void latest_results(FILE *f, struct http *h)
{
	struct list_query q = {.status = "done", .limit = LIST_MAX};
	const json_t *list, *exp;
	json_t *doc;
	size_t i;
	int rc = STORE_OK, any = 0;

	doc = store_list_experiments(h->ctx.store, &q, &rc);
	if (!doc) {
		fputs("# the latest results are unavailable: the store failed\n", f);
		return;
	}
	list = json_object_get(doc, "experiments");
	family(f, "svabench_result", "gauge",
	       "Mean of a key metric per strategy over the done runs of the newest done "
	       "experiment of each target and workload.");
	pthread_mutex_lock(&h->prom->mu);
	json_array_foreach(list, i, exp) {
		const char *t = json_string_value(json_object_get(exp, "target"));
		const char *w = json_string_value(json_object_get(exp, "workload"));
		const char *id = json_string_value(json_object_get(exp, "id"));
		const char *lines;

		if (!t || !w || !id || !newest_of_kind(list, i, t, w))
			continue;
		lines = cached_lines(h, t, w, id);
		if (lines)
			fputs(lines, f);
		any = 1;
	}
	pthread_mutex_unlock(&h->prom->mu);
	if (any) {
		family(f, "svabench_result_experiment", "gauge",
		       "1 for the experiment svabench_result shows for a target and workload.");
		json_array_foreach(list, i, exp) {
			const char *t = json_string_value(json_object_get(exp, "target"));
			const char *w = json_string_value(json_object_get(exp, "workload"));
			const char *id = json_string_value(json_object_get(exp, "id"));
			const char *label = json_string_value(json_object_get(exp, "label"));

			if (!t || !w || !id || !newest_of_kind(list, i, t, w))
				continue;
			fputs("svabench_result_experiment{", f);
			put_label(f, "target", t, 1);
			put_label(f, "workload", w, 0);
			put_label(f, "experiment", id, 0);
			put_label(f, "label", label, 0);
			fputs("} 1\n", f);
		}
	}
	json_decref(doc);
}

/* ---- the daemon's health ---- */

static void http_requests(FILE *f, struct http *h)
{
	family(f, "svabenchd_http_requests_total", "counter",
	       "HTTP requests answered, by status code.");
	for (unsigned s = 100; s < HTTP_STATUS_MAX; s++) {
		uint_fast64_t n = atomic_load_explicit(&h->requests[s], memory_order_relaxed);

		if (n)
			fprintf(f, "svabenchd_http_requests_total{code=\"%u\"} %llu\n", s,
				(unsigned long long)n);
	}
}

static void http_conns(FILE *f, struct http *h)
{
	struct guard_stats g;

	guard_stats(h->guard, &g);
	gauge(f, "svabenchd_http_connections", "HTTP connections open.", g.open);
	gauge(f, "svabenchd_http_connections_max", "HTTP connections allowed (--conn-limit).",
	      g.limit);
	counter(f, "svabenchd_http_connections_evicted_total",
		"Connections closed to make room: the one waiting longest for its request.",
		(double)g.evicted);
	counter(f, "svabenchd_http_request_timeouts_total",
		"Connections closed because their request did not arrive within --request-timeout.",
		(double)g.timed_out);
}

static void store_health(FILE *f, struct http *h)
{
	struct store_stats s;

	memset(&s, 0, sizeof(s));
	if (store_stats(h->ctx.store, &s)) {
		fputs("# the store's statistics are unavailable: the store failed\n", f);
		return;
	}
	family(f, "svabenchd_runs", "gauge", "Runs in the store, by status.");
	for (int i = 0; i < 6; i++) {
		fputs("svabenchd_runs{", f);
		put_label(f, "status", run_status_names[i], 1);
		fputc('}', f);
		put_value(f, (double)s.runs_by_status[i]);
	}
	gauge(f, "svabenchd_queue_depth", "Runs queued, waiting for a worker.",
	      (double)s.runs_by_status[0]);
	gauge(f, "svabenchd_experiments", "Experiments in the store.", (double)s.experiments);
	gauge(f, "svabenchd_samples", "Time-series samples in the store.", (double)s.samples);
	gauge(f, "svabenchd_store_file_bytes", "Size of the SQLite database and its WAL.",
	      (double)s.file_bytes);
}

static void scheduler_health(FILE *f, struct http *h)
{
	struct scheduler_stats s;

	memset(&s, 0, sizeof(s));
	scheduler_stats(h->ctx.sched, &s);
	gauge(f, "svabenchd_workers_busy", "Worker processes running a run.", s.workers_busy);
	gauge(f, "svabenchd_workers_max", "Worker processes allowed at once.", s.workers_max);
	counter(f, "svabenchd_runs_started_total", "Runs started since the daemon started.",
		(double)s.runs_started);
	counter(f, "svabenchd_runs_finished_total", "Runs finished since the daemon started.",
		(double)s.runs_finished);
	counter(f, "svabenchd_workers_killed_total",
		"Workers killed (timeout or cancel) since the daemon started.",
		(double)s.workers_killed);
	gauge(f, "svabenchd_store_failing", "1 when the last write to the store failed.",
	      s.store_failing ? 1 : 0);
	counter(f, "svabenchd_workers_started_total",
		"Worker processes started (each runs many runs in turn).",
		(double)s.workers_started);
	counter(f, "svabenchd_worker_libpfm_inits_total",
		"Workers that initialised libpfm4 (only specs with collect do).",
		(double)s.libpfm_inits);
	counter(f, "svabenchd_ingest_batches_total",
		"Transactions that stored ended runs (several runs each under load).",
		(double)s.ingest_batches);
	gauge(f, "svabenchd_runs_queued", "Runs waiting to start (admission control).",
	      (double)s.queued);
	gauge(f, "svabenchd_queue_max", "Runs allowed to wait (--queue-max).", (double)s.queue_max);
	counter(f, "svabenchd_submissions_refused_total",
		"Submissions refused with 429 because the queue was full.",
		(double)s.submissions_refused);
}

char *prom_render(struct http *h, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	gauge(f, "svabenchd_up", "1 while svabenchd serves.", 1);
	family(f, "svabenchd_build_info", "gauge", "svabenchd's version, as a label.");
	fputs("svabenchd_build_info{", f);
	put_label(f, "version", SVABENCH_VERSION, 1);
	fputs("} 1\n", f);
	http_requests(f, h);
	http_conns(f, h);
	counter(f, "svabenchd_log_lines_dropped_total",
		"Log lines var/svabenchd.log refused (disk full, I/O error) and that were dropped.",
		(double)log_dropped_lines());
	if (h->ctx.store)
		store_health(f, h);
	if (h->ctx.sched)
		scheduler_health(f, h);
	if (h->ctx.store)
		latest_results(f, h);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
