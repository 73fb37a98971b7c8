/*
 * api_history.c - a metric across labels and time, its change points and
 * alerts (GET /api/v1/history, /api/v1/alerts), and the mail-ready report
 * (GET /api/v1/experiments/ID/report).
 *
 * Errors as api.c answers them: 400 invalid_query naming the parameter
 * (unknown, repeated, missing or out of range), 404 not_found, 503
 * storage_full / overloaded, 500 internal.
 */
#include "http_internal.h"

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
       HQ_ALPHA, HQ_WINDOW };

int history_from_query(struct request *r, json_t **doc, enum MHD_Result *res)
{
	static const char *const names[] = {"workload", "metric", "strategy", "cell", "target",
					    "limit", "min_change", "alpha", "window", NULL};
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

/* ---- GET /api/v1/alerts ---- */

static enum MHD_Result h_alerts(struct request *r)
{
	static const char *const names[] = {"target", "workload", "metric", "strategy", "status",
					    "limit", "cursor", NULL};
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
	aq.limit = ALERTS_LIMIT_DEFAULT;
	if (q.values[5]) {
		if (parse_int(q.values[5], 1, LIMIT_MAX, &v))
			return bad_value(r, "limit", "an integer 1..1000", q.values[5]);
		aq.limit = (int)v;
	}
	if (q.values[6] && *q.values[6]) {
		if (parse_int(q.values[6], 0, INT64_MAX, &v))
			return bad_value(r, "cursor", "a next_cursor of a previous page", q.values[6]);
		aq.cursor = v;
	}
	doc = store_list_alerts(r->h->ctx.store, &aq, &rc);
	if (!doc)
		return store_failed(r, rc, "alerts", "");
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
	json_t *doc, *cmp = NULL;
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
		fprintf(stderr, "svabenchd: report of %s: %s\n", r->ids[0], err);
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
	text = report_render(doc, cmp, 80, (int)full);
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
	{"GET", "/api/v1/alerts", BODY_NONE, h_alerts},
	{"GET", "/api/v1/experiments/*/report", BODY_NONE, h_report},
	{NULL, NULL, BODY_NONE, NULL},
};
