/*
 * api_lava.c - POST /api/v1/lava/callback: LAVA's notify callback (a job's
 * `notify: callbacks:` entry with `dataset: all`, `content-type: json`,
 * `method: POST`, `token: NAME`). LAVA posts the job's data, its log
 * included; the svabench documents the board shipped in the log (core/lava.h)
 * are imported in one transaction, each with the board's, kernel's and
 * LAVA job's identity in experiment.host, or none of them are.
 *
 * Its own token, not the API token: var/lava/token (0600, made at the
 * daemon's first start like var/token), sent by LAVA as the value of the
 * callback's header (Authorization by default), raw or as "Bearer TOKEN".
 * The API token is refused here and this token everywhere else.
 *
 * A job is imported once: its id and submit time are kept in each document
 * (host.lava.key) and a second callback for the same job is refused with
 * 409 (a replay; checked in the import's transaction). A job that failed,
 * or whose log holds no document, stores nothing: 200 with the reason (LAVA
 * only logs a callback's answer). A damaged document refuses the lot: 400.
 *
 * Answers 201 {"job", "imported": [ids], "health"} with the first
 * experiment's Location.
 */
#include "http_internal.h"
#include "../core/lava.h"
#include "../lib/logger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lava_callback_init(const char *var, char *token, size_t len, char *err, size_t elen)
{
	char dir[4200];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/lava", var) >= sizeof(dir)) {
		snprintf(err, elen, "--var: path too long: %s", var);
		return -1;
	}
	return auth_init(dir, token, len, err, elen);
}

/* 1 when header is the LAVA token, raw or "Bearer TOKEN" (constant time in the token). */
static int lava_auth(const char *lava_token, const char *header)
{
	char bearer[LAVA_TOKEN_MAX + 16];

	if (!lava_token || !lava_token[0] || !header)
		return 0;
	if (!strncmp(header, "Bearer ", 7))
		return auth_check(lava_token, header);
	snprintf(bearer, sizeof(bearer), "Bearer %s", header);
	return auth_check(lava_token, bearer);
}

static enum MHD_Result lava_callback(struct request *r)
{
	const struct http_ctx *ctx = &r->h->ctx;
	const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	char err[1024] = "", key[256], location[128];
	struct lava_job job;
	enum MHD_Result res;
	json_t *cb, *docs, *ids, *out;
	const json_t *id, *submit;
	int64_t *rows;
	size_t n;
	int rc;

	if (!lava_auth(ctx->lava_token, auth))
		return reply_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized", NULL,
				   "LAVA's callback needs the token of the daemon's var/lava/token "
				   "(the callback's token: header; not the API token)");
	if (no_query(r, &res))
		return res;
	cb = json_loadb(r->body, r->len, 0, NULL);
	id = json_object_get(cb, "id");
	submit = json_object_get(cb, "submit_time");
	if (!json_is_object(cb) || !(json_is_integer(id) || json_is_string(id))) {
		json_decref(cb);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_json", "id",
				   "expected LAVA's callback data: a JSON object with the job's id "
				   "(content-type: json, dataset: all)");
	}
	/* The replay key: the job's id and submit time, kept in every document. */
	if (json_is_integer(id))
		snprintf(key, sizeof(key), "%lld@%s", (long long)json_integer_value(id),
			 json_is_string(submit) ? json_string_value(submit) : "");
	else
		snprintf(key, sizeof(key), "%s@%s", json_string_value(id),
			 json_is_string(submit) ? json_string_value(submit) : "");
	json_decref(cb);
	docs = lava_extract(r->body, r->len, NULL, &job, err, sizeof(err));
	if (!docs && job.from_callback && (job.failed || strstr(err, "no svabench document"))) {
		/* Nothing to store: said, and logged, not refused. */
		log_warn("LAVA job %s (%s): nothing imported: %s", job.id,
			 job.health[0] ? job.health : "?", err);
		out = json_pack("{s:s,s:[],s:s,s:b,s:s}", "job", job.id, "imported", "health",
				job.health, "failed", job.failed, "reason", err);
		return reply_json(r, MHD_HTTP_OK, out);
	}
	if (!docs)
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_document", job.from_callback ?
				   "log" : NULL, "%s", err);
	n = json_array_size(docs);
	for (size_t i = 0; i < n; i++) {
		json_t *l = json_object_get(json_object_get(json_object_get(json_array_get(docs, i),
			"experiment"), "host"), "lava");

		if (json_object_set_new(l, "key", json_string(key)) ||
		    json_object_set_new(l, "health", json_string(job.health))) {
			json_decref(docs);
			return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
					   "out of memory");
		}
	}
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		json_decref(docs);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "out of memory");
	}
	err[0] = '\0';
	rc = store_lava_import(ctx->store, docs, key, job.id, rows, err, sizeof(err));
	json_decref(docs);
	if (rc == STORE_CONFLICT) {
		free(rows);
		return reply_error(r, MHD_HTTP_CONFLICT, "conflict", "id", "%s", err);
	}
	if (rc && rc != STORE_FULL && err[0]) {
		free(rows);
		return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_document", "log", "%s", err);
	}
	if (rc) {
		free(rows);
		return store_failed(r, rc, "LAVA job", job.id);
	}
	ids = json_array();
	for (size_t i = 0; ids && i < n; i++) {
		char s[32];

		snprintf(s, sizeof(s), "e%lld", (long long)rows[i]);
		json_array_append_new(ids, json_string(s));
	}
	log_info("LAVA job %s: %zu documents imported, e%lld..e%lld", job.id, n,
		 (long long)rows[0], (long long)rows[n - 1]);
	snprintf(location, sizeof(location), "/api/v1/experiments/e%lld", (long long)rows[0]);
	free(rows);
	out = ids ? json_pack("{s:s,s:o,s:s}", "job", job.id, "imported", ids, "health",
			      job.health) : NULL;
	return reply_created(r, MHD_HTTP_CREATED, out, location);
}

const struct route lava_routes[] = {
	{"POST", "/api/v1/lava/callback", BODY_JSON, lava_callback},
	{NULL, NULL, BODY_NONE, NULL},
};

int route_own_auth(const struct route *rt)
{
	return rt && rt->fn == lava_callback;
}
