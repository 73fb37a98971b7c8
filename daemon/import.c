/*
 * import.c - POST /api/v1/import: a result document (as `svabench export`
 * writes it: {"experiment": ..., "runs": [...], "samples": [{"run",
 * "t_ns", "metrics"}, ...]}), plain or gzip'd, streamed.
 *
 * http.c writes the body into an unlinked file in --var (at most
 * --import-max bytes); it is read back through zlib (gzip or plain alike,
 * unpacked at most --import-max bytes) by a small scanner that hands one
 * element at a time to jansson: the experiment, each run, each sample.
 * Memory holds the experiment and its runs (what store_create.c checks
 * against the spec's plan) and a batch of samples, never the document.
 *
 * Checks, each refusal 400 invalid_document naming the field: the
 * experiment and runs as store_create.c checks them; metric names (1 to
 * 191 printable characters, none of " \ < > { }) and at most
 * IMPORT_NAMES_MAX distinct names per document (the limit named); samples
 * after the runs, each naming a run of the document, t_ns an integer >= 0,
 * metrics numbers or null. A document already here (the same spec and
 * runs, imported before or exported from this store) answers 409 with the
 * existing id. Everything is written in one transaction; the imported
 * experiment then raises alerts as a finished one does.
 */
#include "history_impl.h"
#include "http_internal.h"
#include "plot.h"
#include "store_impl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define IMPORT_NAMES_MAX 1024          /* distinct metric names per document */
#define ELEMENT_MAX (64u << 20)        /* one run or sample, as JSON text */
#define SAMPLE_BATCH 64

/* ---- the scanner ---- */

struct scan {
	gzFile gz;
	unsigned char buf[65536];
	size_t pos, len;
	int back;                 /* a pushed-back byte, or -1 */
	size_t total, limit;      /* bytes unpacked so far, and the cap */
	int over, bad_gz;
	char *el;                 /* the element being captured */
	size_t el_len, el_cap;
};

static int next_byte(struct scan *s)
{
	if (s->back >= 0) {
		int c = s->back;

		s->back = -1;
		return c;
	}
	if (s->pos == s->len) {
		int n = gzread(s->gz, s->buf, sizeof(s->buf));

		if (n < 0)
			s->bad_gz = 1;
		if (n <= 0)
			return -1;
		s->len = (size_t)n;
		s->pos = 0;
	}
	if (++s->total > s->limit) {
		s->over = 1;
		return -1;
	}
	return s->buf[s->pos++];
}

static int skip_ws(struct scan *s)
{
	int c;

	do
		c = next_byte(s);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	return c;
}

static int keep(struct scan *s, int c)
{
	if (s->el_len + 2 > s->el_cap) {
		size_t cap = s->el_cap ? s->el_cap * 2 : 4096;
		char *p;

		if (cap > ELEMENT_MAX + 2)
			return -1;
		if (!(p = realloc(s->el, cap)))
			return -1;
		s->el = p;
		s->el_cap = cap;
	}
	s->el[s->el_len++] = (char)c;
	s->el[s->el_len] = '\0';
	return 0;
}

/* Captures the JSON value starting with byte c into s->el; 0 or -1. */
static int capture(struct scan *s, int c)
{
	int depth = 0, in_str = 0, esc = 0;

	s->el_len = 0;
	if (c < 0)
		return -1;
	if (c != '{' && c != '[' && c != '"') {
		/* a number, true, false or null: up to a delimiter */
		while (c >= 0 && !strchr(",]} \t\r\n", c)) {
			if (keep(s, c))
				return -1;
			c = next_byte(s);
		}
		s->back = c;
		return s->el_len ? 0 : -1;
	}
	for (;;) {
		if (c < 0 || keep(s, c))
			return -1;
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				in_str = 0;
				if (!depth)
					return 0;
			}
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				return 0;
		}
		c = next_byte(s);
	}
}

/* The captured element as JSON; NULL when it is not. */
static json_t *element_json(struct scan *s)
{
	return json_loadb(s->el, s->el_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
}

/* ---- the import ---- */

struct import {
	struct scan s;
	struct store *st;
	json_t *exp, *runs;       /* the document's experiment and runs */
	json_t *names;            /* distinct metric names seen (a set) */
	int at_samples;           /* phase 1 stopped at "samples": [ */
	size_t nsamples;
	char err[600];
	int status;               /* when refused: 400, 413 */
	int not_json;             /* the refusal: the bytes are no JSON */
	/* the transaction's part */
	const int64_t *run_ids;
	size_t nruns;
	struct sample batch[SAMPLE_BATCH];
	size_t nbatch;
	int64_t batch_run;
};

static int refuse(struct import *im, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct import *im, int status, const char *fmt, ...)
{
	va_list ap;

	if (!im->err[0]) {
		va_start(ap, fmt);
		vsnprintf(im->err, sizeof(im->err), fmt, ap);
		va_end(ap);
		im->status = status;
	}
	return -1;
}

/* Why the scanner stopped, as a refusal of field. */
static int scan_refused(struct import *im, const char *field)
{
	if (im->s.over)
		return refuse(im, MHD_HTTP_CONTENT_TOO_LARGE, "the document unpacks to more than"
			      " %zu bytes (svabenchd --import-max)", im->s.limit);
	if (im->s.bad_gz) {
		im->not_json = !im->err[0];
		return refuse(im, MHD_HTTP_BAD_REQUEST, "not gzip or JSON: the gzip stream is"
			      " damaged");
	}
	if (im->s.el_len > ELEMENT_MAX)
		return refuse(im, MHD_HTTP_BAD_REQUEST, "%s: one element is larger than %u bytes",
			      field, ELEMENT_MAX);
	im->not_json = !im->err[0];
	return refuse(im, MHD_HTTP_BAD_REQUEST, "%s: not JSON (truncated or malformed near"
		      " byte %zu)", field, im->s.total);
}

/* A metric name a reader can show: 1..191 printable ASCII, no " \ < > { }. */
static int name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= METRIC_NAME_MAX)
		return 0;
	for (const char *p = n; *p; p++)
		if (!isgraph((unsigned char)*p) || strchr("\"\\<>{}", *p))
			return 0;
	return 1;
}

/* Checks a metrics object's names (field: where it is) and counts them. */
static int check_names(struct import *im, const json_t *metrics, const char *field)
{
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)metrics, name, v) {
		if (!name_ok(name))
			return refuse(im, MHD_HTTP_BAD_REQUEST, "%s: metric name '%.60s' is not 1 to"
				      " %d printable characters without \" \\ < > { }", field, name,
				      METRIC_NAME_MAX - 1);
		if (!json_is_null(v) && !json_is_number(v))
			return refuse(im, MHD_HTTP_BAD_REQUEST, "%s.%.100s: expected a number or"
				      " null", field, name);
		if (!json_object_get(im->names, name)) {
			if (json_object_size(im->names) >= IMPORT_NAMES_MAX)
				return refuse(im, MHD_HTTP_BAD_REQUEST, "%s: the document names more"
					      " than %d distinct metrics (the import limit of metric"
					      " names)", field, IMPORT_NAMES_MAX);
			if (json_object_set_new(im->names, name, json_true()))
				return refuse(im, 503, "out of memory");
		}
	}
	return 0;
}

/*
 * The top level, from its start (phase 1: up to "samples": [ or the end)
 * or from after the samples (phase 2: to the end). 0 or -1 refused.
 */
static int scan_top(struct import *im, int phase)
{
	struct scan *s = &im->s;
	int c;

	if (phase == 1) {
		if (skip_ws(s) != '{')
			return im->s.over || im->s.bad_gz ? scan_refused(im, "document")
				: refuse(im, 400, "expected a result document, {\"experiment\": ...,"
					 " \"runs\": [...], \"samples\": [...]}");
		c = skip_ws(s);
		if (c == '}')
			goto end;
	} else {
		goto after_value;
	}
	for (;;) {
		json_t *key;
		const char *k;
		char kbuf[64];

		if (c != '"' || capture(s, c) || !(key = element_json(s)))
			return scan_refused(im, "document");
		if (skip_ws(s) != ':') {
			json_decref(key);
			return scan_refused(im, "document");
		}
		snprintf(kbuf, sizeof(kbuf), "%s", json_string_value(key));
		k = kbuf;
		c = skip_ws(s);
		if (!strcmp(k, "samples")) {
			json_decref(key);
			if (!im->exp || !im->runs)
				return refuse(im, 400, "samples: must follow \"experiment\" and \"runs\"");
			if (c != '[')
				return refuse(im, 400, "samples: expected an array");
			im->at_samples = 1;
			return 0;
		}
		if (!strcmp(k, "runs") && phase == 1) {
			json_decref(key);
			if (c != '[')
				return refuse(im, 400, "runs: expected an array");
			im->runs = json_array();
			c = skip_ws(s);
			while (c != ']') {
				json_t *run;
				char field[48];

				snprintf(field, sizeof(field), "runs[%zu]", json_array_size(im->runs));
				if (capture(s, c) || !(run = element_json(s)))
					return scan_refused(im, field);
				if (json_array_append_new(im->runs, run))
					return refuse(im, 503, "out of memory");
				snprintf(field, sizeof(field), "runs[%zu].metrics",
					 json_array_size(im->runs) - 1);
				if (json_is_object(run) &&
				    check_names(im, json_object_get(run, "metrics"), field))
					return -1;
				c = skip_ws(s);
				if (c == ',')
					c = skip_ws(s);
				else if (c != ']')
					return scan_refused(im, field);
			}
		} else {
			int is_exp = !strcmp(k, "experiment");
			json_t *v;

			if (capture(s, c) || !(v = element_json(s))) {
				json_decref(key);
				return scan_refused(im, k);
			}
			json_decref(key);
			if (!is_exp || phase == 2) {
				/* other members (e.g. a comparison) are not imported */
				json_decref(v);
				if (is_exp)
					return refuse(im, 400, "experiment: must come before samples");
			} else {
				json_decref(im->exp);
				im->exp = v;
			}
		}
after_value:
		c = skip_ws(s);
		if (c == '}')
			break;
		if (c != ',')
			return scan_refused(im, "document");
		c = skip_ws(s);
	}
end:
	if ((c = skip_ws(s)) != -1 || s->over || s->bad_gz)
		return c >= 0 ? refuse(im, 400, "document: text after its end")
			      : scan_refused(im, "document");
	return 0;
}

/* ---- samples, inside the transaction ---- */

static void batch_clear(struct import *im)
{
	for (size_t i = 0; i < im->nbatch; i++)
		metrics_free(im->batch[i].m);
	im->nbatch = 0;
}

static int batch_flush(struct import *im, struct store *st)
{
	int rc = im->nbatch ? store_insert_samples(st, im->batch_run, im->batch, im->nbatch) : 0;

	batch_clear(im);
	return rc;
}

/* "e7-r3" (or an offline document's "offline-r0003") -> 2, the run's
 * index; -1 when not a run id of nruns runs. */
static long run_index(const char *id, size_t nruns)
{
	const char *r = id ? strrchr(id, 'r') : NULL;
	char *end;
	long k;

	if (!r || r == id || r[-1] != '-' || !isdigit((unsigned char)r[1]))
		return -1;
	k = strtol(r + 1, &end, 10);
	return *end || k < 1 || (size_t)k > nruns ? -1 : k - 1;
}

/* One sample element (index i): checked, batched. */
static int take_sample(struct import *im, struct store *st, json_t *o, size_t i)
{
	json_t *run = json_object_get(o, "run"), *t = json_object_get(o, "t_ns");
	json_t *m = json_object_get(o, "metrics"), *v;
	struct metrics *mm;
	const char *name;
	char field[48];
	long k;
	int rc;

	snprintf(field, sizeof(field), "samples[%zu]", i);
	if (!json_is_object(o))
		return refuse(im, 400, "%s: expected {\"run\", \"t_ns\", \"metrics\"}", field);
	if ((k = run_index(json_string_value(run), im->nruns)) < 0)
		return refuse(im, 400, "%s.run: expected the id of one of the document's %zu runs"
			      " (e1-r1 ...)", field, im->nruns);
	if (!json_is_integer(t) || json_integer_value(t) < 0)
		return refuse(im, 400, "%s.t_ns: expected an integer >= 0", field);
	if (!json_is_object(m))
		return refuse(im, 400, "%s.metrics: expected an object", field);
	snprintf(field, sizeof(field), "samples[%zu].metrics", i);
	if (check_names(im, m, field))
		return -1;
	if (im->nbatch && (im->batch_run != im->run_ids[k] || im->nbatch == SAMPLE_BATCH) &&
	    (rc = batch_flush(im, st)))
		return rc;
	mm = metrics_new();
	json_object_foreach(m, name, v) {
		if (json_is_null(v))
			metrics_set_null(mm, name);
		else
			metrics_set(mm, name, json_number_value(v));
	}
	im->batch_run = im->run_ids[k];
	im->batch[im->nbatch++] = (struct sample){(uint64_t)json_integer_value(t), mm};
	return 0;
}

/* import_more's fn: the samples, the rest of the document, the hash. */
static int in_transaction(void *ctx, struct store *st, int64_t exp, const int64_t *runs,
			  size_t nruns)
{
	struct import *im = ctx;
	struct scan *s = &im->s;
	int c, rc = 0;

	im->run_ids = runs;
	im->nruns = nruns;
	if (im->at_samples) {
		c = skip_ws(s);
		while (!rc && c != ']') {
			json_t *o;
			char field[48];

			snprintf(field, sizeof(field), "samples[%zu]", im->nsamples);
			if (capture(s, c) || !(o = element_json(s)))
				return scan_refused(im, field);
			rc = take_sample(im, st, o, im->nsamples++);
			json_decref(o);
			if (rc)
				break;
			c = skip_ws(s);
			if (c == ',')
				c = skip_ws(s);
			else if (c != ']')
				return scan_refused(im, field);
		}
		if (!rc)
			rc = batch_flush(im, st);
		batch_clear(im);
		if (!rc && scan_top(im, 2))
			return -1;
	}
	(void)exp;
	return rc;
}

/* ---- the same document, already here ---- */

/* SHA-256 (hex) of the document's spec and runs, canonical. */
static int content_hash(const json_t *spec, const json_t *runs, char out[65])
{
	char *a = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	char *b = json_dumps(runs, JSON_COMPACT | JSON_SORT_KEYS);
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	char *all = a && b ? malloc(la + lb + 2) : NULL;

	if (all) {
		memcpy(all, a, la);
		all[la] = '\n';
		memcpy(all + la + 1, b, lb + 1);
		plot_sha256_hex(all, la + lb + 1, out);
	}
	free(a);
	free(b);
	free(all);
	return all ? 0 : -1;
}

/* The id of an experiment holding this document already, or "" (0), or -1. */
static int already_here(struct store *st, const json_t *exp, const char *hash, char *id,
			size_t idlen)
{
	static const char sql[] = "SELECT id FROM experiments WHERE import_hash = ?1";
	const char *from = json_string_value(json_object_get(exp, "id"));
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int rc, row;

	id[0] = '\0';
	if (!(t = store_reader(st, &rc)))
		return rc;
	if ((rc = sqlite3_prepare_v2(t->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return store_sql_fail(st, t->db, rc, 0, "prepare import hash");
	sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
	row = store_rrow(st, t, s, "import hash");
	if (row == 1) {
		snprintf(id, idlen, "e%lld", (long long)sqlite3_column_int64(s, 0));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	if (row < 0)
		return row;
	if (row == 1)
		return 1;
	/* exported from this store: the experiment it names holds the same */
	if (from && store_parse_exp(from)) {
		/* read as an export reads it: the served text, parsed */
		size_t len = 0;
		char *text = store_experiment_doc_text(st, from, 1, &rc, &len);
		json_t *doc = text ? json_loadb(text, len, 0, NULL) : NULL;
		char h[65];

		free(text);

		if (doc && !content_hash(json_object_get(json_object_get(doc, "experiment"), "spec"),
					 json_object_get(doc, "runs"), h) && !strcmp(h, hash)) {
			snprintf(id, idlen, "%s", from);
			json_decref(doc);
			return 1;
		}
		json_decref(doc);
	}
	return 0;
}

struct hash_ctx {
	struct import *im;
	const char *hash;
};

static int mark_and_samples(void *ctx, struct store *st, int64_t exp, const int64_t *runs,
			    size_t nruns)
{
	static const char sql[] = "UPDATE experiments SET import_hash = ?2 WHERE id = ?1";
	struct hash_ctx *h = ctx;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->w, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return store_sql_fail(st, st->w, rc, 1, "prepare import hash");
	sqlite3_bind_int64(s, 1, exp);
	sqlite3_bind_text(s, 2, h->hash, -1, SQLITE_STATIC);
	rc = store_wrun(st, s, "import hash");
	sqlite3_finalize(s);
	return rc ? rc : in_transaction(h->im, st, exp, runs, nruns);
}

/* ---- the route ---- */

enum MHD_Result import_post(struct request *r)
{
	const struct http_ctx *ctx = &r->h->ctx;
	struct import *im = calloc(1, sizeof(*im));
	char id[64], err[512] = "", location[128], hash[65];
	enum MHD_Result res;
	struct hash_ctx hc;
	json_t *doc = NULL, *exp;
	int fd = -1, rc;

	if (no_query(r, &res)) {
		free(im);
		return res;
	}
	if (!im || !(im->names = json_object())) {
		free(im);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "out of memory");
	}
	im->s.back = -1;
	im->s.limit = ctx->cfg->import_max;
	if (lseek(r->body_fd, 0, SEEK_SET) < 0 || (fd = dup(r->body_fd)) < 0 ||
	    !(im->s.gz = gzdopen(fd, "rb"))) {
		if (fd >= 0)
			close(fd);
		res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				  "cannot read the document back");
		goto out;
	}
	gzbuffer(im->s.gz, 65536);
	if (scan_top(im, 1))
		goto refused;
	if (!json_is_object(im->exp))
		refuse(im, 400, "experiment: expected the experiment object");
	else if (!json_is_object(json_object_get(im->exp, "spec")))
		refuse(im, 400, "experiment.spec: expected the experiment's spec object");
	else if (!im->runs)
		refuse(im, 400, "runs: expected an array");
	else if (content_hash(json_object_get(im->exp, "spec"), im->runs, hash))
		refuse(im, 503, "out of memory");
	if (im->err[0])
		goto refused;
	rc = already_here(ctx->store, im->exp, hash, id, sizeof(id));
	if (rc < 0) {
		res = store_failed(r, rc, "experiment", "(import)");
		goto out;
	}
	if (rc == 1) {
		json_t *o = json_pack("{s:{s:s, s:s, s:n}, s:s}", "error", "code", "already_imported",
				      "message", "this document is in the store already", "field",
				      "id", id);

		if (o) {
			char msg[160];

			snprintf(msg, sizeof(msg), "this document is in the store already, as %s", id);
			json_object_set_new(json_object_get(o, "error"), "message", json_string(msg));
		}
		snprintf(location, sizeof(location), "/api/v1/experiments/%s", id);
		res = reply_created(r, MHD_HTTP_CONFLICT, o, location);
		goto out;
	}
	doc = json_pack("{s:O, s:O}", "experiment", im->exp, "runs", im->runs);
	im->st = ctx->store;
	hc = (struct hash_ctx){im, hash};
	rc = doc ? store_import_more(ctx->store, doc, &(struct import_more){mark_and_samples, &hc},
				     id, sizeof(id), err, sizeof(err))
		 : STORE_ERR;
	if (rc && im->err[0])
		goto refused;
	if (rc && rc != STORE_FULL && err[0]) {
		res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_document", NULL, "%s", err);
		goto out;
	}
	if (rc) {
		res = store_failed(r, rc, "experiment", "(import)");
		goto out;
	}
	/*
	 * Imported experiments raise alerts as finished ones do, on the
	 * history thread: the analysis walks the configuration's whole history,
	 * and the answer must not wait on it (it grew with every import).
	 */
	if (ctx->sched)
		scheduler_history_later(ctx->sched, id);
	snprintf(location, sizeof(location), "/api/v1/experiments/%s", id);
	exp = store_experiment_doc(ctx->store, id, 0, &rc);
	if (!exp)
		exp = json_pack("{s:s}", "id", id);
	else
		json_object_set_new(exp, "samples_imported", json_integer((json_int_t)im->nsamples));
	if (exp)
		json_object_set_new(exp, "alert_analysis",
				    json_string(ctx->sched ? "queued" : "not run (no scheduler)"));
	res = reply_created(r, MHD_HTTP_CREATED, exp, location);
	goto out;
refused:
	{
		/* "FIELD: message": the field is what precedes the first ": " */
		const char *colon = strstr(im->err, ": ");
		char field[64] = "";

		if (!im->not_json && colon && (size_t)(colon - im->err) < sizeof(field) &&
		    !memchr(im->err, ' ', (size_t)(colon - im->err)))
			snprintf(field, sizeof(field), "%.*s", (int)(colon - im->err), im->err);
		res = im->status == 503
			? reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "%s", im->err)
			: reply_error(r, (unsigned)im->status,
				      im->status != 400 ? "payload_too_large"
				      : im->not_json ? "invalid_json" : "invalid_document",
				      field[0] ? field : NULL, "%s", im->err);
	}
out:
	if (im->s.gz)
		gzclose(im->s.gz);
	batch_clear(im);
	free(im->s.el);
	json_decref(im->exp);
	json_decref(im->runs);
	json_decref(im->names);
	json_decref(doc);
	free(im);
	return res;
}
