/*
 * api_history.c - a metric across labels and time, its change points and
 * alerts (GET /api/v1/history, /api/v1/history/configs, /api/v1/alerts[/ID],
 * POST /api/v1/alerts/ID to triage one), and the mail-ready report
 * (GET /api/v1/experiments/ID/report).
 *
 * Errors as api.c answers them: 400 invalid_query naming the parameter
 * (unknown, repeated, missing or out of range), 404 not_found, 503
 * storage_full / overloaded, 500 internal.
 */
#include "http_internal.h"
#include "../lib/logger.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERTS_LIMIT_DEFAULT 50

/* ---- GET /api/v1/history ---- */

enum { HQ_WORKLOAD, HQ_METRIC, HQ_STRATEGY, HQ_CELL, HQ_TARGET, HQ_LIMIT, HQ_MIN_CHANGE,
       HQ_ALPHA, HQ_WINDOW, HQ_CONFIG, HQ_N };

static const struct query_arg history_args[HQ_N + 1] = {
	[HQ_WORKLOAD] = {.name = "workload", .type = QUERY_TEXT},
	[HQ_METRIC] = {.name = "metric", .type = QUERY_TEXT},
	[HQ_STRATEGY] = {.name = "strategy", .type = QUERY_TEXT},
	[HQ_CELL] = {.name = "cell", .type = QUERY_TEXT},
	[HQ_TARGET] = {.name = "target", .type = QUERY_TEXT},
	[HQ_LIMIT] = PAGE_LIMIT_ARG,
	[HQ_MIN_CHANGE] = {.name = "min_change", .type = QUERY_REAL, .lo = -HUGE_VAL, .hi = HUGE_VAL,
			   .want = "a relative change such as 0.05"},
	[HQ_ALPHA] = {.name = "alpha", .type = QUERY_REAL, .lo = -HUGE_VAL, .hi = HUGE_VAL,
		      .want = "a significance level such as 0.01"},
	[HQ_WINDOW] = {.name = "window", .type = QUERY_INT, .ilo = 1, .ihi = 100,
		       .want = "an integer 1..100"},
	[HQ_CONFIG] = {.name = "config", .type = QUERY_TEXT},
};

int history_from_query(struct request *r, json_t **doc, enum MHD_Result *res)
{
	struct query q = {.args = history_args};
	struct history_query hq;
	char err[512] = "", field[32];
	const char *colon;
	int rc = STORE_OK;

	*doc = NULL;
	if (read_query(r, &q, res))
		return -1;
	history_query_defaults(&hq);
	hq.workload = q.values[HQ_WORKLOAD];
	hq.metric = q.values[HQ_METRIC];
	hq.strategy = q.values[HQ_STRATEGY];
	hq.cell = q.values[HQ_CELL];
	hq.config = q.values[HQ_CONFIG];
	if (q.values[HQ_TARGET])
		hq.target = q.values[HQ_TARGET];
	if (q.values[HQ_LIMIT])
		hq.limit = (int)q.ints[HQ_LIMIT];
	if (q.values[HQ_MIN_CHANGE])
		hq.min_change = q.reals[HQ_MIN_CHANGE];
	if (q.values[HQ_ALPHA])
		hq.alpha = q.reals[HQ_ALPHA];
	if (q.values[HQ_WINDOW])
		hq.window = (int)q.ints[HQ_WINDOW];
	*doc = history_json(r->h->ctx.store, &hq, &rc, err, sizeof(err));
	if (*doc)
		return 0;
	if (!err[0]) {
		*res = store_failed(r, rc, "history of", hq.workload ? hq.workload : "");
		return -1;
	}
	/* history_json's ranges: err reads "FIELD: message" */
	colon = strchr(err, ':');
	snprintf(field, sizeof(field), "%.*s", colon ? (int)(colon - err) : 0, err);
	*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", field[0] ? field : NULL,
			   "%s", err);
	return -1;
}

static enum MHD_Result h_history(struct request *r)
{
	enum MHD_Result res;
	json_t *doc;

	if (history_from_query(r, &doc, &res))
		return res;
	return reply_json(r, MHD_HTTP_OK, doc);
}

/* ---- GET /api/v1/history/configs ---- */

static enum MHD_Result h_configs(struct request *r)
{
	enum { C_WORKLOAD, C_TARGET, C_LIMIT, C_N };
	static const struct query_arg args[C_N + 1] = {
		[C_WORKLOAD] = {.name = "workload", .type = QUERY_TEXT},
		[C_TARGET] = {.name = "target", .type = QUERY_TEXT},
		[C_LIMIT] = PAGE_LIMIT_ARG,
	};
	struct query q = {.args = args};
	const struct target *t;
	enum MHD_Result res;
	json_t *doc;
	int rc = STORE_OK;

	if (read_query(r, &q, &res))
		return res;
	if (!q.values[C_WORKLOAD] || !*q.values[C_WORKLOAD])
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "workload",
				   "workload: missing: the workload whose configurations to list");
	t = target_find(q.values[C_TARGET] ? q.values[C_TARGET] : "sim");
	if (!t)
		return bad_query_value(r, "target", "a target's name (GET /api/v1/targets)",
				       q.values[C_TARGET]);
	if (target_workload_index(t, q.values[C_WORKLOAD]) < 0)
		return bad_query_value(r, "workload", "a workload of the target", q.values[C_WORKLOAD]);
	doc = history_configs_json(r->h->ctx.store, t->name, q.values[C_WORKLOAD],
				   q.values[C_LIMIT] ? (int)q.ints[C_LIMIT] : QUERY_LIMIT_MAX, &rc);
	if (!doc)
		return store_failed(r, rc, "configurations of", q.values[C_WORKLOAD]);
	return reply_json(r, MHD_HTTP_OK, doc);
}

/* ---- GET /api/v1/alerts, GET and POST /api/v1/alerts/ID ---- */

static const char *const alert_statuses[] = {"new", "acknowledged", "invalid", "fixed", NULL};

static int one_of(const char *v, const char *const *list)
{
	for (size_t k = 0; list[k]; k++)
		if (!strcmp(v, list[k]))
			return 1;
	return 0;
}

static enum MHD_Result h_alerts(struct request *r)
{
	enum { A_TARGET, A_WORKLOAD, A_METRIC, A_STRATEGY, A_STATUS, A_DIRECTION, A_CONFIG,
	       A_EXPERIMENT, A_LIMIT, A_CURSOR, A_N };
	static const struct query_arg args[A_N + 1] = {
		[A_TARGET] = {.name = "target", .type = QUERY_TEXT},
		[A_WORKLOAD] = {.name = "workload", .type = QUERY_TEXT},
		[A_METRIC] = {.name = "metric", .type = QUERY_TEXT},
		[A_STRATEGY] = {.name = "strategy", .type = QUERY_TEXT},
		[A_STATUS] = {.name = "status", .type = QUERY_TEXT},
		[A_DIRECTION] = {.name = "direction", .type = QUERY_TEXT},
		[A_CONFIG] = {.name = "config", .type = QUERY_TEXT},
		[A_EXPERIMENT] = {.name = "experiment", .type = QUERY_TEXT},
		[A_LIMIT] = PAGE_LIMIT_ARG,
		[A_CURSOR] = PAGE_CURSOR_ARG,
	};
	static const char *const directions[] = {"regression", "improvement", NULL};
	struct query q = {.args = args};
	struct alert_query aq = {0};
	enum MHD_Result res;
	long long v;
	json_t *doc;
	int rc = STORE_OK;

	if (read_query(r, &q, &res))
		return res;
	aq.target = q.values[A_TARGET];
	aq.workload = q.values[A_WORKLOAD];
	aq.metric = q.values[A_METRIC];
	aq.strategy = q.values[A_STRATEGY];
	aq.status = q.values[A_STATUS];
	aq.direction = q.values[A_DIRECTION];
	aq.config = q.values[A_CONFIG];
	aq.limit = q.values[A_LIMIT] ? (int)q.ints[A_LIMIT] : ALERTS_LIMIT_DEFAULT;
	aq.cursor = q.values[A_CURSOR] ? q.ints[A_CURSOR] : 0;
	if (aq.status && !one_of(aq.status, alert_statuses))
		return bad_query_value(r, "status", "new, acknowledged, invalid or fixed", aq.status);
	if (aq.direction && !one_of(aq.direction, directions))
		return bad_query_value(r, "direction", "regression or improvement", aq.direction);
	if (q.values[A_EXPERIMENT]) {
		if (q.values[A_EXPERIMENT][0] != 'e' ||
		    parse_int(q.values[A_EXPERIMENT] + 1, 1, INT64_MAX, &v))
			return bad_query_value(r, "experiment", "an experiment id such as e12",
					       q.values[A_EXPERIMENT]);
		aq.experiment = v;
	}
	doc = store_list_alerts(r->h->ctx.store, &aq, &rc);
	if (!doc)
		return store_failed(r, rc, "alerts", "");
	return reply_json(r, MHD_HTTP_OK, doc);
}

/* An alert's id from the path: 1..2^63-1. */
static int alert_id(struct request *r, int64_t *id, enum MHD_Result *res)
{
	long long v;

	if (parse_int(r->ids[0], 1, INT64_MAX, &v)) {
		*res = reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no alert %.64s",
				   r->ids[0]);
		return -1;
	}
	*id = v;
	return 0;
}

static enum MHD_Result h_alert(struct request *r)
{
	enum MHD_Result res;
	int64_t id;
	json_t *doc;
	int rc = STORE_OK;

	if (no_query(r, &res) || alert_id(r, &id, &res))
		return res;
	doc = store_get_alert(r->h->ctx.store, id, &rc);
	if (!doc)
		return store_failed(r, rc, "alert", r->ids[0]);
	return reply_json(r, MHD_HTTP_OK, doc);
}

#define NOTE_MAX 2000

/* POST /api/v1/alerts/ID {"status": "acknowledged", "note": "..."}: triage. */
static enum MHD_Result h_triage(struct request *r)
{
	json_t *body, *status, *note, *doc;
	enum MHD_Result res;
	json_error_t jerr;
	const char *key;
	int64_t id;
	int rc;

	if (no_query(r, &res) || alert_id(r, &id, &res))
		return res;
	body = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_json", NULL,
				   "expected {\"status\": \"acknowledged\"} (new, acknowledged,"
				   " invalid, fixed) and optionally \"note\"");
	}
	json_object_foreach(body, key, status)
		if (strcmp(key, "status") && strcmp(key, "note")) {
			res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", key,
					  "%.40s: unknown field; allowed: status, note", key);
			json_decref(body);
			return res;
		}
	status = json_object_get(body, "status");
	note = json_object_get(body, "note");
	if (!json_is_string(status) || !one_of(json_string_value(status), alert_statuses)) {
		json_decref(body);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", "status",
				   "status: expected one of new, acknowledged, invalid, fixed");
	}
	if (note && !json_is_null(note) &&
	    (!json_is_string(note) || json_string_length(note) > NOTE_MAX)) {
		json_decref(body);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", "note",
				   "note: expected a string of at most %d bytes", NOTE_MAX);
	}
	rc = store_triage_alert(r->h->ctx.store, id, json_string_value(status),
				note ? (json_is_null(note) ? "" : json_string_value(note)) : NULL);
	json_decref(body);
	if (rc)
		return store_failed(r, rc, "alert", r->ids[0]);
	doc = store_get_alert(r->h->ctx.store, id, &rc);
	if (!doc)
		return store_failed(r, rc, "alert", r->ids[0]);
	return reply_json(r, MHD_HTTP_OK, doc);
}

/* ---- GET /api/v1/experiments/ID/report ---- */

static enum MHD_Result h_report(struct request *r)
{
	enum { R_BASELINE, R_FULL, R_N };
	static const struct query_arg args[R_N + 1] = {
		[R_BASELINE] = {.name = "baseline", .type = QUERY_TEXT},
		[R_FULL] = {.name = "full", .type = QUERY_INT, .ilo = 0, .ihi = 1,
			    .want = "0 or 1 (1: a table for every cell)"},
	};
	struct query q = {.args = args};
	struct compare_opts o;
	long long full;
	struct results *res = NULL;
	struct spec *sp = NULL;
	json_t *doc, *cmp = NULL, *robust;
	enum MHD_Result ans;
	char err[512] = "";
	char *text;
	int rc = STORE_OK;

	if (read_query(r, &q, &ans))
		return ans;
	full = q.values[R_FULL] ? q.ints[R_FULL] : 0;
	doc = store_experiment_doc(r->h->ctx.store, r->ids[0], 1, &rc);
	if (!doc)
		return store_failed(r, rc, "experiment", r->ids[0]);
	if (doc_results(doc, &sp, &res, err, sizeof(err))) {
		json_decref(doc);
		log_error("report of %s: %s", r->ids[0], err);
		return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				   "the stored experiment does not rebuild: %s", err);
	}
	compare_defaults(&o);
	o.baseline = q.values[R_BASELINE];
	cmp = compare_json(res, r->ids[0], &o, err, sizeof(err));
	if (!cmp && q.values[R_BASELINE]) {
		results_free(res);
		spec_free(sp);
		json_decref(doc);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "baseline", "%s", err);
	}
	/* Without a comparison (nothing to compare yet) the report says why. */
	if (!cmp && err[0])
		cmp = json_pack("{s:s}", "error", err);
	robust = robustness_stored(r->h->ctx.cfg, r->ids[0]);
	text = report_render_robust(doc, cmp, json_object_get(robust, "result"), 80, (int)full);
	json_decref(robust);
	json_decref(cmp);
	results_free(res);
	spec_free(sp);
	json_decref(doc);
	if (!text)
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "out of memory");
	ans = reply_text(r, MHD_HTTP_OK, "text/plain; charset=utf-8", text, strlen(text));
	free(text);
	return ans;
}

const struct route history_routes[] = {
	{"GET", "/api/v1/history", BODY_NONE, h_history},
	{"GET", "/api/v1/history/configs", BODY_NONE, h_configs},
	{"GET", "/api/v1/alerts", BODY_NONE, h_alerts},
	{"GET", "/api/v1/alerts/*", BODY_NONE, h_alert},
	{"POST", "/api/v1/alerts/*", BODY_JSON, h_triage},
	{"GET", "/api/v1/experiments/*/report", BODY_NONE, h_report},
	{NULL, NULL, BODY_NONE, NULL},
};
