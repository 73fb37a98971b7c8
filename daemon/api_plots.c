/*
 * api_plots.c - plots rendered by gnuplot into SVG (plot.c, plot_kinds.c):
 *
 *   GET /api/v1/experiments/ID/plots/comparison.svg?metric=M&baseline=S&noise=X
 *   GET /api/v1/experiments/ID/plots/latency.svg?cell=N&baseline=S
 *   GET /api/v1/experiments/ID/plots/crossover.svg?metric=M&baseline=S&noise=X
 *   GET /api/v1/runs/ID/plots/timeseries.svg?metrics=a,b,c
 *   GET /api/v1/history/plot.svg?workload=&metric=&strategy=&... (as /history)
 *
 * comparison.svg defaults to the headline metric (else the first metric
 * with values), latency.svg to cell 0, timeseries.svg to the faults, the
 * commands by opcode that ever move and dma.latency_ns.p99.
 *
 * 200 image/svg+xml with an ETag (the script's SHA-256) and X-Plot-Cache:
 * hit | miss; If-None-Match with that ETag gives 304. SVGs are cached by
 * content in memory (plot.c; a GET writes no file); the last script of each request on an
 * unchanged experiment is remembered here, so a repeat does not redo the
 * comparison or read the samples again. Errors are JSON:
 * 400 invalid_query (naming the parameter), 404 not_found (unknown id or
 * plot name), 409 no_data (nothing to draw: no samples, no latency, no
 * crossover because the sweep is not 2-D), 502 plot_failed (gnuplot's first
 * error line), 504 plot_timeout, 503 overloaded (no render slot in time).
 *
 * Every text from the request or the store reaches the script only through
 * plot_kinds.c's datablocks; names in the query are also checked against
 * the characters metric and strategy names use.
 */
#include "http_internal.h"
#include "plot.h"
#include "../lib/logger.h"
#include "../lib/vocab.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TS_METRICS_MAX 16
#define TS_SAMPLES_MAX 1000000   /* 16 metrics of them: 128 MiB at most */
#define NAME_MAX_LEN 191

/*
 * What the plots keep between requests, owned by struct svabenchd
 * (plot_cache_new at start, _free at the end): one plotter, made on first
 * use (gnuplot may be missing: the request says why), caching SVGs in
 * memory - a GET renders (a child process, bounded) but writes nothing
 * under --var - and the memo of which script each experiment plot drew
 * last (below).
 */
#define MEMO_SLOTS 64

struct plot_cache {
	pthread_mutex_t lock;
	struct plotter *plotter;
	struct {
		char key[400];
		char hash[65];
		unsigned long used;
	} memo[MEMO_SLOTS];
	unsigned long clock;
};

struct plot_cache *plot_cache_new(void)
{
	struct plot_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	return c;
}

void plot_cache_free(struct plot_cache *c)
{
	if (!c)
		return;
	plotter_free(c->plotter);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct plotter *get_plotter(struct request *r, char *err, size_t elen)
{
	struct plot_cache *c = r->h->ctx.plots;
	struct plotter *p;

	if (!c) {
		snprintf(err, elen, "this server keeps no plot state");
		return NULL;
	}
	pthread_mutex_lock(&c->lock);
	if (!c->plotter)
		c->plotter = plotter_new(NULL, NULL, err, elen);
	p = c->plotter;
	pthread_mutex_unlock(&c->lock);
	return p;
}

/* ---- answers ---- */

/* The SVG (malloc'd, taken over) with its cache headers, as http.c's replies are counted. */
static enum MHD_Result reply_svg(struct request *r, unsigned status, char *svg, size_t len,
				 const char *hash, int cached)
{
	struct MHD_Response *resp;
	char etag[80];
	int bad = 0, gz = 0;

	/* SVG is text: gzip it for clients that take it (a tenth of the bytes) */
	if (svg && len >= 1024 && len < UINT32_MAX / 2 && accepts_gzip(r)) {
		size_t zlen = 0;
		char *z = gzip_text(svg, len, &zlen);

		if (z) {
			free(svg);
			svg = z;
			len = zlen;
			gz = 1;
		}
	}
	resp = MHD_create_response_from_buffer(len, svg, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(svg);
		return MHD_NO;
	}
	snprintf(etag, sizeof(etag), "\"%s%s\"", hash, accepts_gzip(r) ? "-gz" : "");
	bad |= http_add_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (gz)
		bad |= http_add_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	bad |= http_add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "image/svg+xml");
	bad |= http_add_header(resp, "X-Content-Type-Options", "nosniff");
	/* gnuplot's svg carries no script; should one appear, it may not run or fetch */
	bad |= http_add_header(resp, "Content-Security-Policy",
			       "default-src 'none'; style-src 'unsafe-inline'");
	bad |= http_add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	bad |= http_add_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	bad |= http_add_header(resp, "X-Plot-Cache", cached ? "hit" : "miss");
	return http_queue_response(r, status, resp, bad);
}

/* 200 with the SVG (taken over), or 304 when the client has this one already. */
static enum MHD_Result answer_svg(struct request *r, struct plot_out *po)
{
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);

	if (inm && strstr(inm, po->hash)) {
		free(po->svg);
		return reply_svg(r, MHD_HTTP_NOT_MODIFIED, NULL, 0, po->hash, po->cached);
	}
	return reply_svg(r, MHD_HTTP_OK, po->svg, po->len, po->hash, po->cached);
}

/*
 * Which script an experiment plot drew last, by the request and the
 * experiment's progress: a finished experiment's plots are then served
 * without redoing the comparison (its bootstrap) to rebuild the script.
 */
static int memo_get(struct plot_cache *c, const char *key, char hash[65])
{
	int found = 0;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < MEMO_SLOTS && !found; i++) {
		if (c->memo[i].key[0] && !strcmp(c->memo[i].key, key)) {
			memcpy(hash, c->memo[i].hash, 65);
			c->memo[i].used = ++c->clock;
			found = 1;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

static void memo_put(struct plot_cache *c, const char *key, const char *hash)
{
	size_t victim = 0;

	if (!c || !key || !key[0] || strlen(key) >= sizeof(c->memo[0].key))
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < MEMO_SLOTS; i++) {
		if (!strcmp(c->memo[i].key, key) || !c->memo[i].key[0]) {
			victim = i;
			break;
		}
		if (c->memo[i].used < c->memo[victim].used)
			victim = i;
	}
	snprintf(c->memo[victim].key, sizeof(c->memo[victim].key), "%s", key);
	snprintf(c->memo[victim].hash, sizeof(c->memo[victim].hash), "%s", hash);
	c->memo[victim].used = ++c->clock;
	pthread_mutex_unlock(&c->lock);
}

/* Renders script (freed here) and answers with the SVG or the error; memo_key may be NULL. */
static enum MHD_Result render(struct request *r, struct strbuf *script, const char *memo_key)
{
	struct plot_out po;
	struct plotter *p;
	char err[256];
	int rc;

	if (!(p = get_plotter(r, err, sizeof(err)))) {
		strbuf_release(script);
		log_error("plots: %s", err);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "plots are not available: %s", err);
	}
	rc = plot_render(p, script->buf, script->len, &po);
	strbuf_release(script);
	switch (rc) {
	case PLOT_OK:
		break;
	case PLOT_FAILED:
		log_error("plot %s failed: %s", po.hash, po.msg);
		return reply_error(r, MHD_HTTP_BAD_GATEWAY, "plot_failed", NULL, "%s", po.msg);
	case PLOT_TIMEOUT:
		return reply_error(r, MHD_HTTP_GATEWAY_TIMEOUT, "plot_timeout", NULL, "%s", po.msg);
	default:
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "%s", po.msg);
	}
	memo_put(r->h->ctx.plots, memo_key, po.hash);
	return answer_svg(r, &po);
}

/* ---- the query ---- */


/* Metric and strategy names: lowercase, digits, '.', '_', '-', 1..191 of them. */
static int name_ok(const char *s, size_t len)
{
	if (!len || len > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* ---- experiment plots: from the comparison ---- */

/* "e1 “name” (label)": which experiment a plot is of; name and label are the user's. */
static void experiment_context(const char *id, const json_t *exp, char *out, size_t n)
{
	const char *name = json_string_value(json_object_get(exp, "name"));
	const char *label = json_string_value(json_object_get(exp, "label"));
	size_t o = (size_t)snprintf(out, n, "%s", id);

	if (name && o < n)
		o += (size_t)snprintf(out + o, n - o, " \xe2\x80\x9c%.80s\xe2\x80\x9d", name);
	if (label && o < n)
		snprintf(out + o, n - o, " (%.60s)", label);
}

/*
 * compare_json of an experiment; NULL when answered (unknown id, a bad
 * baseline, a metric the experiment does not have: 400 when the query
 * named it, else 409). metrics may be NULL (the default set).
 */
static json_t *comparison(struct request *r, const char *baseline, double noise,
			  const char *const *metrics, size_t nmetrics, int metric_asked,
			  char *context, size_t clen, enum MHD_Result *res)
{
	struct compare_opts o;
	struct results *rs;
	struct spec *sp;
	json_t *doc, *cmp;
	const char *refused = NULL;
	char err[512] = "";
	int rc = STORE_OK;

	doc = store_experiment_doc(r->h->ctx.store, r->ids[0], 1, &rc);
	if (!doc) {
		*res = store_failed(r, rc, "experiment", r->ids[0]);
		return NULL;
	}
	if (doc_results(doc, &sp, &rs, err, sizeof(err))) {
		json_decref(doc);
		*res = reply_error(r, MHD_HTTP_CONFLICT, "no_data", NULL,
				   "experiment %s cannot be compared: %s", r->ids[0], err);
		return NULL;
	}
	experiment_context(r->ids[0], json_object_get(doc, "experiment"), context, clen);
	json_decref(doc);
	compare_defaults(&o);
	o.baseline = baseline;
	if (isfinite(noise))
		o.noise = noise;
	o.metrics = metrics;
	o.nmetrics = nmetrics;
	o.refused = &refused;
	cmp = compare_json(rs, r->ids[0], &o, err, sizeof(err));
	results_free(rs);
	spec_free(sp);
	if (cmp)
		return cmp;
	if (!err[0])
		*res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "out of memory");
	else if (refused && !strcmp(refused, "baseline"))
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "baseline", "%s", err);
	else if (refused && metric_asked)
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "metric", "%s", err);
	else
		*res = reply_error(r, MHD_HTTP_CONFLICT, "no_data", NULL, "experiment %s: %s",
				   r->ids[0], err);
	return NULL;
}

/* Whether any strategy of any cell has a median of metric. */
static int has_metric(const json_t *cmp, const char *metric)
{
	const json_t *c, *st;
	const char *k;
	size_t i;

	json_array_foreach(json_object_get(cmp, "cells"), i, c)
		json_object_foreach(json_object_get(c, "strategies"), k, st)
			if (json_is_number(json_object_get(json_object_get(st, metric), "median")))
				return 1;
	return 0;
}

enum { EQ_METRIC, EQ_BASELINE, EQ_NOISE, EQ_CELL, EQ_N };

static const struct query_arg experiment_plot_args[EQ_N + 1] = {
	[EQ_METRIC] = {.name = "metric", .type = QUERY_TEXT},
	[EQ_BASELINE] = {.name = "baseline", .type = QUERY_TEXT},
	[EQ_NOISE] = {.name = "noise", .type = QUERY_REAL, .lo = 0, .hi = 1,
		      .want = "a relative change 0..1 such as 0.05"},
	[EQ_CELL] = {.name = "cell", .type = QUERY_INT, .ilo = 0, .ihi = SPEC_MAX_RUNS,
		     .want = "a cell index 0, 1, ..."},
};

/*
 * Fills key with the plot (path ids), its query values and the progress of
 * experiment exp_id, and answers (1) when that key drew a script whose SVG
 * is still cached. final: only for an experiment done or failed (a run's
 * samples grow while it runs; an experiment's results change only as its
 * runs end, which its counts show).
 * key stays empty when there is nothing to remember; an unknown experiment
 * is left to the full path (it answers 404).
 */
static int memo_lookup(struct request *r, const char *exp_id, int final,
		       const char *const *values, int nvalues, char *key, size_t klen,
		       enum MHD_Result *res)
{
	const char *status;
	struct plot_out po;
	struct plotter *p;
	char hash[65], err[256];
	json_t *exp;
	int rc = STORE_OK;
	size_t o;

	key[0] = '\0';
	exp = store_experiment_doc(r->h->ctx.store, exp_id, 0, &rc);
	if (!exp)
		return 0;
	status = json_string_value(json_object_get(exp, "status"));
	if (!status || (final && strcmp(status, "done") && strcmp(status, "failed"))) {
		json_decref(exp);
		return 0;
	}
	o = (size_t)snprintf(key, klen, "%s\x1f%s\x1f%s\x1f%lld\x1f%lld\x1f%s", r->route->pattern,
			     r->ids[0], r->ids[1],
			     (long long)json_integer_value(json_object_get(exp, "runs_done")),
			     (long long)json_integer_value(json_object_get(exp, "runs_failed")), status);
	json_decref(exp);
	for (int i = 0; i < nvalues && o < klen; i++)
		o += (size_t)snprintf(key + o, klen - o, "\x1f%s", values[i] ? values[i] : "\x1e");
	if (o >= klen) {
		key[0] = '\0';   /* too long to remember */
		return 0;
	}
	if (!memo_get(r->h->ctx.plots, key, hash) || !(p = get_plotter(r, err, sizeof(err))) ||
	    plot_cached(p, hash, &po))
		return 0;
	*res = answer_svg(r, &po);
	return 1;
}

static enum MHD_Result h_experiment_plot(struct request *r)
{
	static const char *const plots = "comparison.svg, latency.svg, crossover.svg";
	static const char *const latency[] = {"dma.latency_ns.p50", "dma.latency_ns.p90",
					      "dma.latency_ns.p99", "dma.latency_ns.p999",
					      "dma.latency_ns.max"};
	const char *kind = r->ids[1], *metric, *one[1];
	struct query q = {.args = experiment_plot_args};
	struct strbuf script = STRBUF_INIT;
	enum MHD_Result res;
	double noise;
	size_t cell;
	int is_latency = !strcmp(kind, "latency.svg");
	char err[512], context[300] = "", key[400] = "";
	json_t *cmp;
	int rc;

	if (strcmp(kind, "comparison.svg") && !is_latency && strcmp(kind, "crossover.svg"))
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				   "no plot %s; an experiment has %s", kind, plots);
	if (read_query(r, &q, &res))
		return res;
	/* latency.svg takes cell and baseline; the others metric, baseline and noise */
	for (int i = 0; i < EQ_N; i++)
		if (q.values[i] && (is_latency ? i == EQ_METRIC || i == EQ_NOISE : i == EQ_CELL))
			return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", q.args[i].name,
					   "%s does not take '%s'; allowed: %s", kind, q.args[i].name,
					   is_latency ? "cell, baseline" : "metric, baseline, noise");
	metric = one[0] = q.values[EQ_METRIC];
	if (metric && !name_ok(metric, strlen(metric)))
		return bad_query_value(r, "metric", "a metric name such as cpu.invalidation_ns", metric);
	if (q.values[EQ_BASELINE] && !name_ok(q.values[EQ_BASELINE], strlen(q.values[EQ_BASELINE])))
		return bad_query_value(r, "baseline", "a strategy name such as pri-inv", q.values[EQ_BASELINE]);
	noise = q.values[EQ_NOISE] ? q.reals[EQ_NOISE] : NAN;
	cell = q.values[EQ_CELL] ? (size_t)q.ints[EQ_CELL] : 0;

	/* the same request on an unchanged experiment: the script drawn last time */
	if (memo_lookup(r, r->ids[0], 0, q.values, EQ_CELL + 1, key, sizeof(key), &res))
		return res;
	if (is_latency)
		cmp = comparison(r, q.values[EQ_BASELINE], noise, latency, 5, 0, context,
				 sizeof(context), &res);
	else
		cmp = comparison(r, q.values[EQ_BASELINE], noise, metric ? one : NULL,
				 metric ? 1 : 0, metric != NULL, context, sizeof(context), &res);
	if (!cmp)
		return res;
	if (is_latency) {
		rc = plot_latency(&script, cmp, cell, context, err, sizeof(err));
	} else if (!strcmp(kind, "crossover.svg")) {
		rc = plot_crossover(&script, cmp, context, err, sizeof(err));
	} else {
		const json_t *m;
		size_t i;

		/* by default the headline metric (the vocabulary's headline
		 * order, cost.total_ns_per_op first, as the answer), else the
		 * first metric with a value */
		for (size_t k = 0, best = 0; k < vocab_metric_count(); k++) {
			const struct metric_info *mi = vocab_metric_at(k);

			if (mi->headline > 0 && (!best || (size_t)mi->headline < best) &&
			    has_metric(cmp, mi->name)) {
				metric = mi->name;
				best = (size_t)mi->headline;
			}
		}
		json_array_foreach(json_object_get(cmp, "metrics"), i, m) {
			const char *name = json_string_value(json_object_get(m, "name"));

			if (!metric && name && has_metric(cmp, name))
				metric = name;
		}
		rc = plot_comparison(&script, cmp, metric ? metric : "cpu.invalidation_ns", context,
				     err, sizeof(err));
	}
	json_decref(cmp);
	if (rc) {
		strbuf_release(&script);
		return reply_error(r, MHD_HTTP_CONFLICT, "no_data", NULL, "experiment %s: %s",
				   r->ids[0], err);
	}
	return render(r, &script, key);
}

/* ---- run time series ---- */

/*
 * A run's samples of the chosen metrics, read page by page from the store
 * into flat arrays (a sample's JSON holds every metric; only these are
 * kept). Owns everything.
 */
struct loaded {
	char names[TS_METRICS_MAX][NAME_MAX_LEN + 1];
	const char *metrics[TS_METRICS_MAX];
	size_t nm, n, cap;
	double *t, *v;          /* n times; n x nm values, sample-major */
	int defaults;           /* the metrics were chosen here, not asked for */
};

static void loaded_free(struct loaded *l)
{
	free(l->t);
	free(l->v);
}

static void loaded_name(struct loaded *l, const char *name)
{
	snprintf(l->names[l->nm], sizeof(l->names[0]), "%s", name);
	l->metrics[l->nm] = l->names[l->nm];
	l->nm++;
}

/* The defaults from a sample: livelocks and violations (drawn as events),
 * faults, commands by opcode, p99 latency. */
static void pick_defaults(struct loaded *l, const json_t *sample)
{
	const json_t *m = json_object_get(sample, "metrics"), *v;
	const char *k;

	if (json_object_get(m, "dma.livelocked"))
		loaded_name(l, "dma.livelocked");
	if (json_object_get(m, "oracle.coherence_violations"))
		loaded_name(l, "oracle.coherence_violations");
	json_object_foreach((json_t *)m, k, v)
		if (l->nm < TS_METRICS_MAX - 1 && strlen(k) <= NAME_MAX_LEN &&
		    (!strncmp(k, "fault.", 6) || !strncmp(k, "cmd.", 4)))
			loaded_name(l, k);
	if (json_object_get(m, "dma.latency_ns.p99"))
		loaded_name(l, "dma.latency_ns.p99");
}

/* Appends a page's samples; -1 when memory ran out. */
static int load_page(struct loaded *l, const json_t *samples)
{
	const json_t *s;
	size_t i;

	json_array_foreach(samples, i, s) {
		const json_t *m = json_object_get(s, "metrics"), *t = json_object_get(s, "t_ns");

		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 1024;
			double *nt = realloc(l->t, cap * sizeof(*nt)), *nv;

			if (!nt)
				return -1;
			l->t = nt;
			if (!(nv = realloc(l->v, cap * (l->nm ? l->nm : 1) * sizeof(*nv))))
				return -1;
			l->v = nv;
			l->cap = cap;
		}
		l->t[l->n] = json_is_number(t) ? json_number_value(t) : NAN;
		for (size_t k = 0; k < l->nm; k++) {
			const json_t *v = json_object_get(m, l->metrics[k]);

			l->v[l->n * l->nm + k] = json_is_number(v) ? json_number_value(v) : NAN;
		}
		l->n++;
	}
	return 0;
}

/* Drops metric k from every sample. */
static void loaded_drop(struct loaded *l, size_t k)
{
	size_t o = 0;

	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->nm; j++)
			if (j != k)
				l->v[o++] = l->v[i * l->nm + j];
	memmove(l->names[k], l->names[k + 1], (l->nm - k - 1) * sizeof(l->names[0]));
	l->nm--;
	for (size_t j = 0; j < l->nm; j++)
		l->metrics[j] = l->names[j];
}

/* Every sample of the run (up to TS_SAMPLES_MAX); 1 when answered instead. */
static int load_samples(struct request *r, struct loaded *l, enum MHD_Result *res)
{
	int64_t cursor = 0;

	for (;;) {
		int rc = STORE_OK;
		json_t *page = store_run_samples(r->h->ctx.store, r->ids[0], 2000, cursor, &rc);
		const json_t *samples = json_object_get(page, "samples");
		const char *next;

		if (!page) {
			*res = store_failed(r, rc, "run", r->ids[0]);
			return 1;
		}
		if (l->defaults && !l->nm && json_array_size(samples))
			pick_defaults(l, json_array_get(samples, 0));
		if (load_page(l, samples)) {
			json_decref(page);
			*res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
					   "out of memory");
			return 1;
		}
		next = json_string_value(json_object_get(page, "next_cursor"));
		cursor = next ? strtoll(next, NULL, 10) : 0;
		json_decref(page);
		if (!next || cursor <= 0 || l->n >= TS_SAMPLES_MAX)
			return 0;
	}
}

static enum MHD_Result h_run_plot(struct request *r)
{
	static const struct query_arg args[] = {{.name = "metrics", .type = QUERY_TEXT}, {0}};
	struct query q = {.args = args};
	struct strbuf script = STRBUF_INIT;
	struct loaded *l;
	char err[512], exp_id[HTTP_ID_MAX + 1], key[400];
	enum MHD_Result res;
	int rc;

	if (strcmp(r->ids[1], "timeseries.svg"))
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				   "no plot %s; a run has timeseries.svg", r->ids[1]);
	if (read_query(r, &q, &res))
		return res;
	/* a finished run's samples do not change: the script drawn last time, if any */
	snprintf(exp_id, sizeof(exp_id), "%.*s", (int)strcspn(r->ids[0], "-"), r->ids[0]);
	if (memo_lookup(r, exp_id, 1, q.values, 1, key, sizeof(key), &res))
		return res;
	if (!(l = calloc(1, sizeof(*l))))
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "out of memory");
	l->defaults = !q.values[0];
	for (const char *s = q.values[0]; s;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		if (!name_ok(s, n) || l->nm == TS_METRICS_MAX) {
			free(l);
			return bad_query_value(r, "metrics", "1..16 comma-separated metric names such as "
					 "fault.permission,cmd.tlbi_nh_va", q.values[0]);
		}
		memcpy(l->names[l->nm], s, n);
		l->names[l->nm][n] = '\0';
		l->metrics[l->nm] = l->names[l->nm];
		l->nm++;
		s = comma ? comma + 1 : NULL;
	}
	if (load_samples(r, l, &res)) {
		loaded_free(l);
		free(l);
		return res;
	}
	if (!l->n) {
		loaded_free(l);
		free(l);
		return reply_error(r, MHD_HTTP_CONFLICT, "no_data", NULL, "run %s has no samples (yet)",
				   r->ids[0]);
	}
	/* asked for: each must have been sampled; chosen here: only those that ever move */
	for (size_t k = l->nm; k-- > 0;) {
		int any = 0, moves = 0;

		for (size_t i = 0; i < l->n; i++) {
			double v = l->v[i * l->nm + k];

			any |= isfinite(v);
			moves |= isfinite(v) && v != 0;
		}
		if (!l->defaults && !any) {
			res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "metrics",
					  "run %s has no samples of %s", r->ids[0], l->names[k]);
			loaded_free(l);
			free(l);
			return res;
		}
		if (l->defaults && !moves)
			loaded_drop(l, k);
	}
	{
		struct plot_samples ps = {l->n, l->nm, l->metrics, l->t, l->v};

		rc = plot_timeseries(&script, r->ids[0], &ps, err, sizeof(err));
	}
	loaded_free(l);
	free(l);
	if (rc) {
		strbuf_release(&script);
		return reply_error(r, MHD_HTTP_CONFLICT, "no_data", NULL, "%s", err);
	}
	return render(r, &script, key);
}

/* ---- history ---- */

static enum MHD_Result h_history_plot(struct request *r)
{
	struct strbuf script = STRBUF_INIT;
	enum MHD_Result res;
	char err[512];
	json_t *doc;
	int rc;

	if (history_from_query(r, &doc, &res))
		return res;
	rc = plot_history(&script, doc, err, sizeof(err));
	json_decref(doc);
	if (rc) {
		strbuf_release(&script);
		return reply_error(r, MHD_HTTP_CONFLICT, "no_data", NULL, "%s", err);
	}
	return render(r, &script, NULL);
}

const struct route plot_routes[] = {
	{"GET", "/api/v1/experiments/*/plots/*", BODY_NONE, h_experiment_plot},
	{"GET", "/api/v1/runs/*/plots/*", BODY_NONE, h_run_plot},
	{"GET", "/api/v1/history/plot.svg", BODY_NONE, h_history_plot},
	{NULL, NULL, BODY_NONE, NULL},
};
