/*
 * prom.c - GET /metrics in the Prometheus text exposition format (0.0.4):
 * the daemon's health (requests by status, runs by status, queue depth,
 * workers, store size and whether its writes fail) and the latest results:
 * for the newest done experiment of each configuration, one family per key
 * quantity with its unit in its name (seconds, bytes per second, counts),
 * one sample per cell and strategy (the median of its done runs), labelled
 * experiment, target, workload, cell, strategy; svabench_result_info names
 * each experiment with its label. Computed once per experiment and cached,
 * since a done experiment does not change. Label values are escaped as the
 * format says (backslash, quote, newline), so any label text is safe.
 */
#include "http_internal.h"
#include "task.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The result families /metrics shows: the vocabulary's prom metrics
 * (lib/vocab.c), one per quantity, its unit in its name (Prometheus' base
 * units: seconds, bytes), each sample the median over the done runs of one
 * cell and strategy of the newest done experiment of each configuration
 * (history_config.c) - never averaged across cells, and bounded by the
 * configurations kept.
 */
#define NKEY_MAX 32

struct families {
	const struct metric_info *v[NKEY_MAX];
	size_t n;
};

static void families_init(struct families *fa)
{
	fa->n = 0;
	for (const struct metric_info *m; fa->n < NKEY_MAX && (m = vocab_view_at(VIEW_PROM, fa->n));)
		fa->v[fa->n++] = m;
}

/* To the family's base unit: nanoseconds to seconds, the rest as stored. */
static double family_scale(const struct metric_info *m)
{
	return !strcmp(m->unit, "ns") || !strcmp(m->unit, "ns/op") ? 1e-9 : 1;
}

#define CONFIGS_MAX 1000 /* configurations shown per scrape */


struct prom_entry {
	int64_t exp;
	char *info;            /* its svabench_result_info sample */
	char *lines[NKEY_MAX]; /* its samples of each family */
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
	free(e->info);
	for (size_t k = 0; k < NKEY_MAX; k++)
		free(e->lines[k]);
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One cell and strategy of an experiment: its done runs' values. */
struct group {
	char *cell;
	const char *strategy;  /* borrowed from the document */
	double *v[NKEY_MAX];
	size_t n[NKEY_MAX];
};

/* The experiment's labels, up to (not including) the cell. */
static void exp_labels(FILE *f, const json_t *exp)
{
	const json_t *spec = json_object_get(exp, "spec");

	put_label(f, "experiment", json_string_value(json_object_get(exp, "id")), 1);
	put_label(f, "target", json_string_value(json_object_get(spec, "target")) ?
		  json_string_value(json_object_get(spec, "target")) : "sim", 0);
	put_label(f, "workload", json_string_value(json_object_get(spec, "workload")), 0);
}

/* Fills e with the samples of experiment document doc; -1 on OOM. */
static int entry_fill(struct prom_entry *e, const json_t *doc)
{
	const json_t *exp = json_object_get(doc, "experiment"), *runs = json_object_get(doc, "runs");
	const json_t *run;
	size_t nruns = json_array_size(runs), ng = 0, i, len;
	struct group *g = calloc(nruns + 1, sizeof(*g));
	int bad = !g;
	struct families fa;
	FILE *f;

	families_init(&fa);
	json_array_foreach(runs, i, run) {
		const char *strategy = json_string_value(json_object_get(run, "strategy"));
		const char *status = json_string_value(json_object_get(run, "status"));
		const json_t *metrics = json_object_get(run, "metrics");
		char *cell;
		size_t k;

		if (bad || !strategy || !status || strcmp(status, "done"))
			continue;
		cell = json_dumps(json_object_get(run, "cell") ? json_object_get(run, "cell")
							       : json_object(),
				  JSON_COMPACT | JSON_SORT_KEYS);
		if (!cell) {
			bad = 1;
			break;
		}
		for (k = 0; k < ng && (strcmp(g[k].strategy, strategy) || strcmp(g[k].cell, cell)); k++)
			;
		if (k == ng) {
			g[ng].cell = cell;
			g[ng++].strategy = strategy;
		} else {
			free(cell);
		}
		for (size_t j = 0; j < fa.n; j++) {
			const json_t *v = json_object_get(metrics, fa.v[j]->name);

			if (!json_is_number(v) || !isfinite(json_number_value(v)))
				continue;
			if (!g[k].v[j] && !(g[k].v[j] = malloc(nruns * sizeof(double)))) {
				bad = 1;
				break;
			}
			g[k].v[j][g[k].n[j]++] = json_number_value(v);
		}
	}
	for (size_t j = 0; !bad && j < fa.n; j++) {
		if (!(f = open_memstream(&e->lines[j], &len))) {
			bad = 1;
			break;
		}
		for (size_t k = 0; k < ng; k++) {
			size_t n = g[k].n[j];
			double *v = g[k].v[j], med;

			if (!n)
				continue;
			qsort(v, n, sizeof(*v), cmp_double);
			med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
			fprintf(f, "%s{", fa.v[j]->prom);
			exp_labels(f, exp);
			put_label(f, "cell", g[k].cell, 0);
			put_label(f, "strategy", g[k].strategy, 0);
			fputc('}', f);
			put_value(f, med * family_scale(fa.v[j]));
		}
		if (fclose(f))
			bad = 1;
	}
	if (!bad && (f = open_memstream(&e->info, &len))) {
		fputs("svabench_result_info{", f);
		exp_labels(f, exp);
		put_label(f, "label", json_string_value(json_object_get(exp, "label")), 0);
		put_label(f, "imported", json_is_string(json_object_get(exp, "imported_from"))
			  ? "true" : "false", 0);
		fputs("} 1\n", f);
		if (fclose(f))
			bad = 1;
	} else {
		bad = 1;
	}
	for (size_t k = 0; g && k < ng; k++) {
		free(g[k].cell);
		for (size_t j = 0; j < fa.n; j++)
			free(g[k].v[j]);
	}
	free(g);
	return bad ? -1 : 0;
}

/* The cache entry of experiment exp, filled when new; NULL when not. */
static struct prom_entry *entry_of(struct http *h, int64_t exp)
{
	struct prom_cache *c = h->prom;
	char pub[32];
	json_t *doc;
	int rc = STORE_OK;

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].exp == exp)
			return &c->v[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct prom_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	snprintf(pub, sizeof(pub), "e%lld", (long long)exp);
	if (!(doc = store_experiment_doc(h->ctx.store, pub, 1, &rc)))
		return NULL;
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	c->v[c->n].exp = exp;
	rc = entry_fill(&c->v[c->n], doc);
	json_decref(doc);
	if (rc) {
		entry_clear(&c->v[c->n]);
		return NULL;
	}
	return &c->v[c->n++];
}

/* Drops cached experiments no longer shown (a newer one took their place). */
static void cache_keep(struct prom_cache *c, const int64_t *ids, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < c->n; i++) {
		int keep = 0;

		for (size_t k = 0; k < n && !keep; k++)
			keep = c->v[i].exp == ids[k];
		if (keep)
			c->v[out++] = c->v[i];
		else
			entry_clear(&c->v[i]);
	}
	c->n = out;
}

static void latest_results(FILE *f, struct http *h)
{
	int64_t *ids = malloc(CONFIGS_MAX * sizeof(*ids));
	/* indices, not pointers: entry_of() may move the cache's array */
	size_t *shown = calloc(CONFIGS_MAX, sizeof(*shown));
	size_t n = 0, ns = 0;
	struct families fa;

	if (!ids || !shown || history_latest_per_config(h->ctx.store, ids, CONFIGS_MAX, &n)) {
		fputs("# the latest results are unavailable: the store failed\n", f);
		free(ids);
		free(shown);
		return;
	}
	pthread_mutex_lock(&h->prom->mu);
	cache_keep(h->prom, ids, n);
	for (size_t i = 0; i < n; i++) {
		struct prom_entry *e = entry_of(h, ids[i]);

		if (e)
			shown[ns++] = (size_t)(e - h->prom->v);
	}
	family(f, "svabench_result_info", "gauge",
	       "1 for each experiment the svabench_* result families show: the newest done "
	       "experiment of each configuration (target, workload, preset, fixed params).");
	for (size_t i = 0; i < ns; i++)
		fputs(h->prom->v[shown[i]].info, f);
	families_init(&fa);
	for (size_t j = 0; j < fa.n; j++) {
		char help[256];

		snprintf(help, sizeof(help), "%s (%s).", fa.v[j]->help, fa.v[j]->name);
		family(f, fa.v[j]->prom, "gauge", help);
		for (size_t i = 0; i < ns; i++)
			fputs(h->prom->v[shown[i]].lines[j], f);
	}
	pthread_mutex_unlock(&h->prom->mu);
	free(ids);
	free(shown);
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
	{
		struct task_env *te = scheduler_tasks(h->ctx.sched);
		int64_t done[TASK_KINDS], failed[TASK_KINDS];

		for (int k = 0; k < TASK_KINDS; k++) {
			done[k] = atomic_load(&te->done[k]);
			failed[k] = atomic_load(&te->failed[k]);
		}
		family(f, "svabenchd_worker_tasks_total", "counter",
		       "Collector probes, calibrations and robustness analyses run in worker "
		       "processes, by kind and outcome.");
		for (int k = 0; k < TASK_KINDS; k++)
			for (int o = 0; o < 2; o++) {
				fprintf(f, "svabenchd_worker_tasks_total{kind=\"%s\",outcome=\"%s\"}",
					task_kind_names[k], o ? "failed" : "done");
				put_value(f, (double)(o ? failed[k] : done[k]));
			}
	}
	counter(f, "svabenchd_ingest_batches_total",
		"Transactions that stored ended runs (several runs each under load).",
		(double)s.ingest_batches);
	gauge(f, "svabenchd_runs_queued", "Runs waiting to start (admission control).",
	      (double)s.queued);
	gauge(f, "svabenchd_queue_max", "Runs allowed to wait (--queue-max).", (double)s.queue_max);
	counter(f, "svabenchd_submissions_refused_total",
		"Submissions refused with 429 because the queue was full.",
		(double)s.submissions_refused);
	/* the history thread's analyses, and on any thread below: equal when
	 * no HTTP answer waited on one */
	gauge(f, "svabenchd_history_pending",
	      "Ended or imported experiments whose alert analysis has not run yet.",
	      (double)s.history_pending);
	counter(f, "svabenchd_history_analyses_total",
		"Alert analyses run on the history thread (one per ended or imported experiment).",
		(double)s.history_analyses);
	counter(f, "svabenchd_alert_analyses_total",
		"Alert analyses run on any thread (the history thread's and any other's).",
		(double)history_analyses());
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
