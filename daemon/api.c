/*
 * api.c - the routes of api.md's HTTP API and their handlers: targets,
 * experiments (submit, list, show, runs, cancel), samples, import, /metrics.
 * http.c has already matched the route, checked the token of a POST and
 * read its body; a handler parses what is left (query, JSON body), calls
 * the store or the scheduler, and answers once.
 *
 * Error codes (the "code" of an error body), by status:
 *   400 invalid_json (the body is not one JSON object, or repeats a key),
 *       invalid_spec (a spec field; "field" names it), invalid_param (a
 *       spec's params.NAME), invalid_query (a query parameter, unknown or
 *       bad; "field" names it), invalid_document (an import that does not
 *       fit)
 *   401 unauthorized, 404 not_found, 405 method_not_allowed, 409 conflict,
 *   413 payload_too_large, 415 unsupported_media_type,
 *   503 storage_full (the disk or quota is full), overloaded (out of memory)
 *   500 internal (the store failed in a way it did not expect; logged)
 */
#include "http_internal.h"
#include "../lib/util.h"
#include "../lib/logger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_DEFAULT 50
#define LIMIT_DEFAULT_RUNS 1000

/* ---- answers for the store's and the scheduler's errors ---- */

enum MHD_Result store_failed(struct request *r, int rc, const char *what, const char *id)
{
	struct store *st = r->h->ctx.store;
	const char *msg = store_error(st);

	if (!msg || !*msg)
		msg = "no message";
	switch (rc) {
	case STORE_NOT_FOUND:
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no %s %s", what, id);
	case STORE_CONFLICT:
		return reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				   "%s %s has already finished", what, id);
	case STORE_FULL:
		log_error("storage full: %s", msg);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "storage_full", NULL,
				   "storage full: %s", msg);
	case STORE_OK:
		/* NULL with no error: memory ran out */
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "out of memory");
	default:
		log_error("store error on %s %s: %s", what, id, msg);
		return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				   "the store failed: %s", msg);
	}
}

/* ---- handlers ---- */

static enum MHD_Result h_index(struct request *r)
{
	json_t *doc, *list;
	enum MHD_Result res;

	if (no_query(r, &res))
		return res;
	list = json_array();
	for (size_t t = 0; list && route_tables[t]; t++) {
		for (const struct route *rt = route_tables[t]; list && rt->method; rt++) {
			if (json_array_append_new(list, json_pack("{s:s, s:s}", "method", rt->method,
								  "path", rt->pattern))) {
				json_decref(list);
				list = NULL;
			}
		}
	}
	if (!list)
		return reply_json(r, MHD_HTTP_OK, NULL);
	doc = json_pack("{s:s, s:s, s:o}", "name", "svabenchd", "version", SVABENCH_VERSION,
			"endpoints", list);
	return reply_json(r, MHD_HTTP_OK, doc);
}

static enum MHD_Result h_targets(struct request *r)
{
	enum MHD_Result res;

	if (no_query(r, &res))
		return res;
	return reply_json_v_etag(r, describe_targets_json()); /* the dashboard reads it on every load */
}

static enum MHD_Result h_target(struct request *r)
{
	const struct target *t = target_find(r->ids[0]);
	enum MHD_Result res;

	if (no_query(r, &res))
		return res;
	if (!t)
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no target %s",
				   r->ids[0]);
	return reply_json_v_etag(r, describe_target_json(t));
}

static enum MHD_Result h_collectors(struct request *r)
{
	enum MHD_Result res;
	json_t *v;
	char err[512];

	if (no_query(r, &res))
		return res;
	/* probed in a worker process at start; this thread only reads the result */
	if (!(v = scheduler_collectors(r->h->ctx.sched, err, sizeof(err))))
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "probing this machine's collectors failed: %s", err);
	return reply_json(r, MHD_HTTP_OK, v);
}

/* The code of a refused spec: by where the spec went wrong. */
static const char *spec_error_code(const struct spec_error *e)
{
	if (!e->field[0] && (!strncmp(e->msg, "not JSON", 8) || !strncmp(e->msg, "expected a JSON", 15)))
		return "invalid_json";
	if (!strncmp(e->field, "params.", 7))
		return "invalid_param";
	return "invalid_spec";
}

static enum MHD_Result h_submit(struct request *r)
{
	const struct http_ctx *ctx = &r->h->ctx;
	struct spec_error e;
	struct spec *sp;
	char id[64], location[128];
	json_t *exp, *body;
	int rc, src = 0;
	enum MHD_Result res;

	if (no_query(r, &res))
		return res;
	if (!ctx->sched)
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "the scheduler is not running");
	memset(&e, 0, sizeof(e));
	sp = spec_parse(r->body, r->len, &e);
	rc = sp ? spec_check_samples(sp, &e) : 0;
	spec_free(sp);
	if (rc)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, spec_error_code(&e),
				   e.field[0] ? e.field : NULL, "%s", e.msg);
	memset(&e, 0, sizeof(e));
	rc = scheduler_submit(ctx->sched, r->body, r->len, id, sizeof(id), &e);
	if (rc == SCHED_QUEUE_FULL) {
		r->retry_after = scheduler_retry_after(ctx->sched);
		return reply_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "queue_full", e.field, "%s", e.msg);
	}
	if (rc && e.msg[0])
		return reply_error(r, MHD_HTTP_BAD_REQUEST, spec_error_code(&e),
				   e.field[0] ? e.field : NULL, "%s", e.msg);
	if (rc)
		return store_failed(r, rc, "experiment", "(new)");
	snprintf(location, sizeof(location), "/api/v1/experiments/%s", id);
	body = json_pack("{s:s, s:s}", "id", id, "status", "queued");
	exp = store_experiment_doc(ctx->store, id, 0, &src);
	if (body && exp && json_object_get(exp, "runs_total"))
		json_object_set(body, "runs_total", json_object_get(exp, "runs_total"));
	json_decref(exp);
	return reply_created(r, MHD_HTTP_ACCEPTED, body, location);
}

enum { LQ_LABEL, LQ_TARGET, LQ_WORKLOAD, LQ_STATUS, LQ_LIMIT, LQ_CURSOR, LQ_N };

static const struct query_arg list_args[LQ_N + 1] = {
	[LQ_LABEL] = {.name = "label", .type = QUERY_TEXT},
	[LQ_TARGET] = {.name = "target", .type = QUERY_TEXT},
	[LQ_WORKLOAD] = {.name = "workload", .type = QUERY_TEXT},
	[LQ_STATUS] = {.name = "status", .type = QUERY_TEXT},
	[LQ_LIMIT] = PAGE_LIMIT_ARG,
	[LQ_CURSOR] = PAGE_CURSOR_ARG,
};

static enum MHD_Result h_list(struct request *r)
{
	struct query q = {.args = list_args};
	struct list_query lq = {0};
	enum MHD_Result res;
	json_t *doc;
	int rc = STORE_OK, known = 0;

	if (read_query(r, &q, &res))
		return res;
	lq.limit = q.values[LQ_LIMIT] ? (int)q.ints[LQ_LIMIT] : LIMIT_DEFAULT;
	lq.cursor = q.values[LQ_CURSOR] ? q.ints[LQ_CURSOR] : 0;
	lq.label = q.values[LQ_LABEL];
	lq.target = q.values[LQ_TARGET];
	lq.workload = q.values[LQ_WORKLOAD];
	lq.status = q.values[LQ_STATUS];
	if (lq.status) {
		char allowed[128] = "";

		for (int i = 0; i < 6; i++) {
			size_t n = strlen(allowed);

			known |= !strcmp(lq.status, run_status_names[i]);
			snprintf(allowed + n, sizeof(allowed) - n, "%s%s", i ? ", " : "",
				 run_status_names[i]);
		}
		if (!known)
			return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "status",
					   "unknown status '%.40s'; allowed: %s", lq.status, allowed);
	}
	doc = store_list_experiments(r->h->ctx.store, &lq, &rc);
	if (!doc)
		return store_failed(r, rc, "experiment list", "");
	return reply_json(r, MHD_HTTP_OK, doc);
}

static enum MHD_Result h_experiment(struct request *r)
{
	enum MHD_Result res;
	size_t len = 0;
	char *text;
	int rc = STORE_OK;

	static const struct query_arg args[] = {
		{.name = "runs", .type = QUERY_BOOL, .want = "true or false"},
		{0},
	};
	struct query q = {.args = args};
	int with_runs;

	if (read_query(r, &q, &res))
		return res;
	with_runs = q.values[0] ? (int)q.ints[0] : 1;
	text = store_experiment_doc_text(r->h->ctx.store, r->ids[0], with_runs, &rc, &len);
	if (!text)
		return store_failed(r, rc, "experiment", r->ids[0]);
	if (!with_runs) {
		/* the same shape, without the runs: {"experiment": {...}} (for polling) */
		char *wrapped = xmalloc(len + 16);

		len = (size_t)sprintf(wrapped, "{\"experiment\":%s}", text);
		free(text);
		text = wrapped;
	}
	return reply_json_etag(r, text, len);
}

/* A paged list under r->ids[0] (an experiment's runs, a run's samples). */
static enum MHD_Result h_paged(struct request *r, const char *owner,
			       json_t *(*fetch)(struct store *, const char *, int, int64_t, int *))
{
	static const struct query_arg args[] = {PAGE_LIMIT_ARG, PAGE_CURSOR_ARG, {0}};
	struct query q = {.args = args};
	enum MHD_Result res;
	int64_t cursor;
	json_t *doc;
	int limit, rc = STORE_OK;

	if (read_query(r, &q, &res))
		return res;
	limit = q.values[0] ? (int)q.ints[0] : LIMIT_DEFAULT_RUNS;
	cursor = q.values[1] ? q.ints[1] : 0;
	doc = fetch(r->h->ctx.store, r->ids[0], limit, cursor, &rc);
	if (!doc)
		return store_failed(r, rc, owner, r->ids[0]);
	return reply_json(r, MHD_HTTP_OK, doc);
}

static enum MHD_Result h_runs(struct request *r)
{
	return h_paged(r, "experiment", store_list_runs);
}

static enum MHD_Result h_samples(struct request *r)
{
	return h_paged(r, "run", store_run_samples);
}

static enum MHD_Result h_cancel(struct request *r)
{
	const struct http_ctx *ctx = &r->h->ctx;
	enum MHD_Result res;
	json_t *exp;
	int rc;

	if (no_query(r, &res))
		return res;
	if (!ctx->sched)
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "the scheduler is not running");
	rc = scheduler_cancel(ctx->sched, r->ids[0]);
	if (rc)
		return store_failed(r, rc, "experiment", r->ids[0]);
	exp = store_experiment_doc(ctx->store, r->ids[0], 0, &rc);
	if (!exp)
		exp = json_pack("{s:s}", "id", r->ids[0]);
	return reply_json(r, MHD_HTTP_ACCEPTED, exp);
}

static enum MHD_Result h_metrics(struct request *r)
{
	enum MHD_Result res;
	size_t len = 0;
	char *text;

	if (no_query(r, &res))
		return res;
	text = prom_render(r->h, &len);
	if (!text)
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "out of memory");
	res = reply_text(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
	return res;
}

const struct route api_routes[] = {
	{"GET", "/api/v1", BODY_NONE, h_index},
	{"GET", "/api/v1/targets", BODY_NONE, h_targets},
	{"GET", "/api/v1/targets/*", BODY_NONE, h_target},
	{"GET", "/api/v1/experiments", BODY_NONE, h_list},
	{"POST", "/api/v1/experiments", BODY_JSON, h_submit},
	{"GET", "/api/v1/experiments/*", BODY_NONE, h_experiment},
	{"GET", "/api/v1/experiments/*/runs", BODY_NONE, h_runs},
	{"POST", "/api/v1/experiments/*/cancel", BODY_NONE, h_cancel},
	{"GET", "/api/v1/runs/*/samples", BODY_NONE, h_samples},
	{"POST", "/api/v1/import", BODY_FILE, import_post},
	{"GET", "/api/v1/collectors", BODY_NONE, h_collectors},
	{"POST", "/api/v1/calibrate", BODY_NONE, calibrate_post},
	{"GET", "/api/v1/calibrate", BODY_NONE, calibrate_get},
	{"GET", "/metrics", BODY_NONE, h_metrics},
	{NULL, NULL, BODY_NONE, NULL},
};

const struct route *const route_tables[] = {api_routes, compare_routes, robustness_routes,
					     history_routes,
					     plot_routes, web_routes, lava_routes, NULL};
