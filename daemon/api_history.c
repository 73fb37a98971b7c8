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

#define LIMIT_MAX 1000
#define ALERTS_LIMIT_DEFAULT 50

/* A finite decimal number, the whole string; 0 or -1. */
static int parse_real(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s || (*s != '.' && *s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static enum MHD_Result bad_value(struct request *r, const char *field, const char *want,
				 const char *got)
{
	return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", field,
			   "%s must be %s, got '%.40s'", field, want, got);
}

/* ---- GET /api/v1/history ---- */

enum { HQ_WORKLOAD, HQ_METRIC, HQ_STRATEGY, HQ_CELL, HQ_TARGET, HQ_LIMIT, HQ_MIN_CHANGE,
       HQ_ALPHA, HQ_WINDOW, HQ_CONFIG };

int history_from_query(struct request *r, json_t **doc, enum MHD_Result *res)
{
	static const char *const names[] = {"workload", "metric", "strategy", "cell", "target",
					    "limit", "min_change", "alpha", "window", "config", NULL};
	struct query q = {.names = names};
	struct history_query hq;
	char err[512] = "", field[32];
	const char *colon;
	long long v;
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
	if (q.values[HQ_LIMIT]) {
		if (parse_int(q.values[HQ_LIMIT], 1, LIMIT_MAX, &v)) {
			*res = bad_value(r, "limit", "an integer 1..1000", q.values[HQ_LIMIT]);
			return -1;
		}
		hq.limit = (int)v;
	}
	if (q.values[HQ_MIN_CHANGE] && parse_real(q.values[HQ_MIN_CHANGE], &hq.min_change)) {
		*res = bad_value(r, "min_change", "a relative change such as 0.05",
				 q.values[HQ_MIN_CHANGE]);
		return -1;
	}
	if (q.values[HQ_ALPHA] && parse_real(q.values[HQ_ALPHA], &hq.alpha)) {
		*res = bad_value(r, "alpha", "a significance level such as 0.01", q.values[HQ_ALPHA]);
		return -1;
	}
	if (q.values[HQ_WINDOW]) {
		if (parse_int(q.values[HQ_WINDOW], 1, 100, &v)) {
			*res = bad_value(r, "window", "an integer 1..100", q.values[HQ_WINDOW]);
			return -1;
		}
		hq.window = (int)v;
	}
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
	static const char *const names[] = {"workload", "target", "limit", NULL};
	struct query q = {.names = names};
	const struct target *t;
	enum MHD_Result res;
	long long v = 1000;
	json_t *doc;
	int rc = STORE_OK;

	if (read_query(r, &q, &res))
		return res;
	if (!q.values[0] || !*q.values[0])
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "workload",
				   "workload: missing: the workload whose configurations to list");
	t = target_find(q.values[1] ? q.values[1] : "sim");
	if (!t)
		return bad_value(r, "target", "a target's name (GET /api/v1/targets)",
				 q.values[1]);
	if (target_workload_index(t, q.values[0]) < 0)
		return bad_value(r, "workload", "a workload of the target", q.values[0]);
	if (q.values[2] && parse_int(q.values[2], 1, LIMIT_MAX, &v))
		return bad_value(r, "limit", "an integer 1..1000", q.values[2]);
	doc = history_configs_json(r->h->ctx.store, t->name, q.values[0], (int)v, &rc);
	if (!doc)
		return store_failed(r, rc, "configurations of", q.values[0]);
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
	static const char *const names[] = {"target", "workload", "metric", "strategy", "status",
					    "direction", "config", "experiment", "limit", "cursor",
					    NULL};
	static const char *const directions[] = {"regression", "improvement", NULL};
	struct query q = {.names = names};
	struct alert_query aq = {0};
	enum MHD_Result res;
	long long v;
	json_t *doc;
	int rc = STORE_OK;

	if (read_query(r, &q, &res))
		return res;
	aq.target = q.values[0];
	aq.workload = q.values[1];
	aq.metric = q.values[2];
	aq.strategy = q.values[3];
	aq.status = q.values[4];
	aq.direction = q.values[5];
	aq.config = q.values[6];
	aq.limit = ALERTS_LIMIT_DEFAULT;
	if (aq.status && !one_of(aq.status, alert_statuses))
		return bad_value(r, "status", "new, acknowledged, invalid or fixed", aq.status);
	if (aq.direction && !one_of(aq.direction, directions))
		return bad_value(r, "direction", "regression or improvement", aq.direction);
	if (q.values[7]) {
		if (q.values[7][0] != 'e' || parse_int(q.values[7] + 1, 1, INT64_MAX, &v))
			return bad_value(r, "experiment", "an experiment id such as e12",
					 q.values[7]);
		aq.experiment = v;
	}
	if (q.values[8]) {
		if (parse_int(q.values[8], 1, LIMIT_MAX, &v))
			return bad_value(r, "limit", "an integer 1..1000", q.values[8]);
		aq.limit = (int)v;
	}
	if (q.values[9] && *q.values[9]) {
		if (parse_int(q.values[9], 0, INT64_MAX, &v))
			return bad_value(r, "cursor", "a next_cursor of a previous page", q.values[9]);
		aq.cursor = v;
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
	static const char *const names[] = {"baseline", "full", NULL};
	struct query q = {.names = names};
	struct compare_opts o;
	long long full = 0;
	struct results *res = NULL;
	struct spec *sp = NULL;
	json_t *doc, *cmp = NULL, *robust;
	enum MHD_Result ans;
	char err[512] = "";
	char *text;
	int rc = STORE_OK;

	if (read_query(r, &q, &ans))
		return ans;
	if (q.values[1] && parse_int(q.values[1], 0, 1, &full))
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", "full",
				   "full must be 0 or 1 (1: a table for every cell)");
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
	o.baseline = q.values[0];
	cmp = compare_json(res, r->ids[0], &o, err, sizeof(err));
	if (!cmp && q.values[0]) {
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
