/*
 * api_compare.c - an experiment's comparison: GET
 * /api/v1/experiments/ID/comparison?baseline=S&noise=X&alpha=X&metrics=a,b&metric=M
 * (metric: the crossover's, docs/verdicts.md)
 * (core's compare_json on the stored results). Answers are kept in a small
 * in-memory cache keyed by the experiment, its progress (runs done and
 * failed, status) and the query, so a dashboard polling a finished
 * experiment does not redo the bootstrap every time.
 *
 * Errors: 400 invalid_query naming the parameter (unknown, repeated, out of
 * range, an unknown baseline or metric), 404 not_found, 503 overloaded.
 */
#include "http_internal.h"
#include "../lib/logger.h"
#include "../lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 32
#define QUERY_METRICS_MAX 64

enum { Q_BASELINE, Q_NOISE, Q_ALPHA, Q_METRICS, Q_METRIC, Q_N };

static const struct query_arg cmp_args[Q_N + 1] = {
	[Q_BASELINE] = {.name = "baseline", .type = QUERY_TEXT, .nonempty = 1,
			.want = "one of the experiment's strategies"},
	[Q_NOISE] = {.name = "noise", .type = QUERY_REAL, .lo = 0, .hi = 1,
		     .want = "a relative change 0..1 (0.05 is 5 %)"},
	[Q_ALPHA] = {.name = "alpha", .type = QUERY_REAL, .lo = 0, .hi = 0.5, .lo_open = 1,
		     .want = "a significance level above 0, at most 0.5 (e.g. 0.05)"},
	[Q_METRICS] = {.name = "metrics", .type = QUERY_TEXT},
	[Q_METRIC] = {.name = "metric", .type = QUERY_TEXT, .nonempty = 1,
		      .want = "a metric for the crossover, e.g. cost.total_ns_per_op"},
};

/* ---- the cache: the last answers, least recently used replaced ---- */

struct cached {
	char *key;             /* malloc'd; NULL when the slot is free */
	char *text;            /* the answer as sent */
	size_t len;
	unsigned long used;
};

/* Owned by struct svabenchd (compare_cache_new at start, _free at the end). */
struct compare_cache {
	pthread_mutex_t lock;
	struct cached slot[CACHE_SLOTS];
	unsigned long clock;
};

struct compare_cache *compare_cache_new(void)
{
	struct compare_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->lock, NULL)) {
		free(c);
		return NULL;
	}
	return c;
}

void compare_cache_free(struct compare_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(c->slot[i].key);
		free(c->slot[i].text);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* A copy of the cached answer for key (malloc'd), or NULL (also without a cache). */
static char *cache_get(struct compare_cache *c, const char *key, size_t *len)
{
	char *copy = NULL;

	if (!c)
		return NULL;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (!c->slot[i].key || strcmp(c->slot[i].key, key))
			continue;
		copy = malloc(c->slot[i].len + 1);
		if (copy) {
			memcpy(copy, c->slot[i].text, c->slot[i].len + 1);
			*len = c->slot[i].len;
			c->slot[i].used = ++c->clock;
		}
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return copy;
}

/* Keeps a copy of text under key; nothing when memory is short or there is no cache. */
static void cache_put(struct compare_cache *c, const char *key, const char *text, size_t len)
{
	char *k, *t;
	size_t victim = 0;

	if (!c)
		return;
	k = strdup(key);
	t = malloc(len + 1);
	if (!k || !t) {
		free(k);
		free(t);
		return;
	}
	memcpy(t, text, len + 1);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (c->slot[i].key && !strcmp(c->slot[i].key, key)) {
			victim = i;
			break;
		}
		if (!c->slot[i].key || c->slot[i].used < c->slot[victim].used)
			victim = i;
		if (!c->slot[i].key)
			break;
	}
	free(c->slot[victim].key);
	free(c->slot[victim].text);
	c->slot[victim] = (struct cached){k, t, len, ++c->clock};
	pthread_mutex_unlock(&c->lock);
}

/* "ID|done|failed|status|baseline|noise|alpha|metrics" (malloc'd), NULL on OOM. */
static char *cache_key(const char *id, const json_t *exp, const struct query *q)
{
	const char *status = json_string_value(json_object_get(exp, "status"));
	size_t n = strlen(id) + 128;
	char *key;

	for (int i = 0; i < Q_N; i++)
		n += (q->values[i] ? strlen(q->values[i]) : 0) + 2;
	key = malloc(n);
	if (!key)
		return NULL;
	snprintf(key, n, "%s|%lld|%lld|%s|%s|%s|%s|%s|%s", id,
		 (long long)json_integer_value(json_object_get(exp, "runs_done")),
		 (long long)json_integer_value(json_object_get(exp, "runs_failed")),
		 status ? status : "", q->values[Q_BASELINE] ? q->values[Q_BASELINE] : "",
		 q->values[Q_NOISE] ? q->values[Q_NOISE] : "",
		 q->values[Q_ALPHA] ? q->values[Q_ALPHA] : "",
		 q->values[Q_METRICS] ? q->values[Q_METRICS] : "",
		 q->values[Q_METRIC] ? q->values[Q_METRIC] : "");
	return key;
}

/*
 * Splits "a,b" into names (pointing into buf, a copy of s). 0, or -1 with
 * a message in err.
 */
static int split_metrics(char *buf, const char **names, size_t *n, char *err, size_t elen)
{
	char *p = buf;

	*n = 0;
	for (;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (!*p) {
			snprintf(err, elen, "an empty name; give metric names separated by commas, "
					    "e.g. metrics=cpu.invalidation_ns,cmd.sync");
			return -1;
		}
		if (*n == QUERY_METRICS_MAX) {
			snprintf(err, elen, "at most %d names", QUERY_METRICS_MAX);
			return -1;
		}
		names[(*n)++] = p;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static enum MHD_Result cmp_store_failed(struct request *r, int rc, const char *id)
{
	const char *msg = store_error(r->h->ctx.store);

	if (rc == STORE_NOT_FOUND)
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no experiment %s", id);
	if (rc == STORE_OK)
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "out of memory");
	log_error("store error on the comparison of %s: %s", id,
		  msg && *msg ? msg : "no message");
	return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL, "the store failed: %s",
			   msg && *msg ? msg : "no message");
}

/* The comparison as JSON text (malloc'd), or NULL after answering. */
static char *compute(struct request *r, const json_t *doc, const struct compare_opts *o,
		     size_t *len, enum MHD_Result *res)
{
	const char *id = r->ids[0];
	struct results *results;
	struct spec *s;
	char err[2048] = "";
	struct compare_opts opts;
	const char *refused = NULL;
	json_t *cmp;
	char *text, *more;

	if (doc_results(doc, &s, &results, err, sizeof(err))) {
		log_error("comparison of %s: %s", id, err);
		*res = reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				   "experiment %s: %s", id, err);
		return NULL;
	}
	opts = *o;
	opts.refused = &refused;
	cmp = compare_json(results, id, &opts, err, sizeof(err));
	results_free(results);
	spec_free(s);
	if (!cmp) {
		if (refused)
			*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", refused, "%s", err);
		else
			*res = reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
					   "experiment %s: %s", id, err[0] ? err : "no comparison");
		return NULL;
	}
	text = json_dumps(cmp, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(cmp);
	*len = text ? strlen(text) : 0;
	more = text ? realloc(text, *len + 2) : NULL;
	if (!more) {
		free(text);
		*res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "out of memory");
		return NULL;
	}
	/* a newline at the end, as every other answer */
	more[(*len)++] = '\n';
	more[*len] = '\0';
	return more;
}

static enum MHD_Result h_comparison(struct request *r)
{
	struct store *st = r->h->ctx.store;
	const char *id = r->ids[0], *names[QUERY_METRICS_MAX];
	struct query q = {.args = cmp_args};
	struct compare_opts o;
	char err[256], *metrics = NULL, *key = NULL, *text;
	enum MHD_Result res;
	json_t *exp, *doc;
	size_t len = 0;
	int rc = STORE_OK;

	if (read_query(r, &q, &res))
		return res;
	compare_defaults(&o);
	if (q.values[Q_NOISE])
		o.noise = q.reals[Q_NOISE];
	if (q.values[Q_ALPHA])
		o.alpha = q.reals[Q_ALPHA];
	o.baseline = q.values[Q_BASELINE];
	o.crossover_metric = q.values[Q_METRIC];
	if (q.values[Q_METRICS]) {
		metrics = xstrdup(q.values[Q_METRICS]);
		if (split_metrics(metrics, names, &o.nmetrics, err, sizeof(err))) {
			free(metrics);
			return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "metrics", "%s", err);
		}
		o.metrics = names;
	}

	/* The experiment's progress first (cheap): the cache's key. */
	exp = store_experiment_doc(st, id, 0, &rc);
	if (!exp) {
		free(metrics);
		return cmp_store_failed(r, rc, id);
	}
	key = cache_key(id, exp, &q);
	json_decref(exp);
	text = key ? cache_get(r->h->ctx.compare, key, &len) : NULL;
	free(key);
	if (text) {
		free(metrics);
		return reply_json_etag(r, text, len);
	}

	doc = store_experiment_doc(st, id, 1, &rc);
	if (!doc) {
		free(metrics);
		return cmp_store_failed(r, rc, id);
	}
	text = compute(r, doc, &o, &len, &res);
	/* Keyed by the progress of the document the answer was computed from. */
	key = text ? cache_key(id, json_object_get(doc, "experiment"), &q) : NULL;
	json_decref(doc);
	free(metrics);
	if (!text) {
		free(key);
		return res;
	}
	if (key)
		cache_put(r->h->ctx.compare, key, text, len);
	free(key);
	return reply_json_etag(r, text, len);
}

const struct route compare_routes[] = {
	{"GET", "/api/v1/experiments/*/comparison", BODY_NONE, h_comparison},
	{NULL, NULL, BODY_NONE, NULL},
};
