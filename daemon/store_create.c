/*
 * store_create.c - new experiments in the store: from a spec, with every run
 * of its plan queued, or imported from a result document (`svabench
 * export`, GET /api/v1/experiments/ID, `svabench run --offline --json`) of
 * this or another svabenchd. An import's spec must parse here and its plan
 * match the document's runs one for one (cell, strategy, repetition, seed);
 * results are kept as they are, nothing is re-run. A run that had not ended
 * when the document was written is stored `cancelled`, so no scheduler
 * picks it. Each experiment is written in one transaction.
 */
#include "history_impl.h"
#include "store_impl.h"
#include "../lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows ---- */

/* An experiment row as inserted. Strings borrowed. */
struct exp_row {
	const char *spec, *target, *workload, *label, *name, *preset, *host, *version;
	const char *status, *imported_from;
	int64_t runs_total, runs_done, runs_failed, runs_cancelled;
	int64_t created_at, finished_at;   /* Unix ms; 0 = NULL */
};

/* A run row as inserted. Strings borrowed. */
struct run_row {
	int64_t experiment, idx;
	const char *cell, *strategy, *status, *reason, *examples;
	int repetition;
	uint64_t seed;
	int64_t queued_at, started_at, finished_at; /* 0 = NULL */
};

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_time(sqlite3_stmt *s, int i, int64_t ms)
{
	if (ms)
		sqlite3_bind_int64(s, i, ms);
	else
		sqlite3_bind_null(s, i);
}

static int insert_experiment(struct store *st, const struct exp_row *e, int64_t *id)
{
	sqlite3_stmt *s = store_wstmt(st, WS_EXP_INSERT);
	int rc;

	if (!s)
		return STORE_ERR;
	bind_text(s, 1, e->spec);
	bind_text(s, 2, e->target);
	bind_text(s, 3, e->workload);
	bind_text(s, 4, e->label);
	bind_text(s, 5, e->name);
	bind_text(s, 6, e->preset);
	bind_text(s, 7, e->host);
	bind_text(s, 8, e->version);
	bind_text(s, 9, e->status);
	sqlite3_bind_int64(s, 10, e->runs_total);
	sqlite3_bind_int64(s, 11, e->runs_done);
	sqlite3_bind_int64(s, 12, e->runs_failed);
	sqlite3_bind_int64(s, 13, e->runs_cancelled);
	sqlite3_bind_int64(s, 14, e->created_at);
	bind_time(s, 15, e->finished_at);
	bind_text(s, 16, e->imported_from);
	rc = store_wrun(st, s, "insert experiment");
	sqlite3_clear_bindings(s);
	if (!rc)
		*id = sqlite3_last_insert_rowid(st->w);
	return rc;
}

static int insert_run(struct store *st, const struct run_row *r, int64_t *id)
{
	sqlite3_stmt *s = store_wstmt(st, WS_RUN_INSERT);
	int rc;

	if (!s)
		return STORE_ERR;
	sqlite3_bind_int64(s, 1, r->experiment);
	sqlite3_bind_int64(s, 2, r->idx);
	bind_text(s, 3, r->cell);
	bind_text(s, 4, r->strategy);
	sqlite3_bind_int64(s, 5, r->repetition);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->seed);
	bind_text(s, 7, r->status);
	bind_text(s, 8, r->reason);
	bind_text(s, 9, r->examples);
	sqlite3_bind_int64(s, 10, r->queued_at);
	bind_time(s, 11, r->started_at);
	bind_time(s, 12, r->finished_at);
	rc = store_wrun(st, s, "insert run");
	sqlite3_clear_bindings(s);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(st->w);
	return rc;
}

/* ---- from a spec ---- */

int store_create_experiment(struct store *st, const struct spec *sp, const char *spec_text,
			    const json_t *host, char *id, size_t idlen)
{
	const struct target *t = sp->target;
	json_t *preset = preset_json(t, sp->preset);
	char *spec_dump = spec_text ? NULL : json_dumps(sp->doc, JSON_COMPACT);
	char *preset_text = preset ? json_dumps(preset, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *host_text = host ? json_dumps(host, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
	char **cells = xcalloc(sp->ncells ? sp->ncells : 1, sizeof(*cells));
	int64_t now = store_now_ms(), exp = 0;
	int rc = 0;

	json_decref(preset);
	for (size_t c = 0; c < sp->ncells; c++)
		if (!(cells[c] = json_dumps(sp->cells[c], JSON_COMPACT)))
			rc = STORE_ERR;
	if (rc || !preset_text || !host_text || (!spec_text && !spec_dump)) {
		rc = store_fail(st, STORE_ERR, "out of memory");
		goto out;
	}
	struct exp_row e = {
		.spec = spec_text ? spec_text : spec_dump, .target = t->name,
		.workload = t->workloads[sp->workload].name, .label = sp->label, .name = sp->name,
		.preset = preset_text, .host = host_text, .version = SVABENCH_VERSION,
		.status = "queued", .runs_total = (int64_t)sp->nruns, .created_at = now,
	};

	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc)
		rc = insert_experiment(st, &e, &exp);
	if (!rc)
		rc = history_config_set(st, exp, sp, preset_text, host_text);
	for (size_t i = 0; !rc && i < sp->nruns; i++) {
		const struct run_plan *p = &sp->runs[i];
		struct run_row r = {
			.experiment = exp, .idx = (int64_t)i, .cell = cells[p->cell],
			.strategy = t->strategies[p->strategy].name, .repetition = p->repetition,
			.seed = p->seed, .status = "queued", .queued_at = now,
		};

		rc = insert_run(st, &r, NULL);
	}
	rc = store_wend(st, rc);
	store_wunlock(st);
	if (!rc)
		snprintf(id, idlen, "e%lld", (long long)exp);
out:
	for (size_t c = 0; c < sp->ncells; c++)
		free(cells[c]);
	free(cells);
	free(spec_dump);
	free(preset_text);
	free(host_text);
	return rc;
}

/* ---- from a result document ---- */

static const char unfinished_reason[] = "had not ended when the document was exported";

/* One run of the document, checked against the plan and ready to insert. */
struct imported_run {
	int status;             /* index into run_status_names */
	const char *reason;
	char *examples;         /* JSON text or NULL */
	struct metrics *m;
};

static int check_metrics(const json_t *o, size_t i, struct metrics *m, char *err, size_t elen)
{
	const char *name;
	json_t *v;

	if (o && !json_is_null(o) && !json_is_object(o))
		return error_into(err, elen, "runs[%zu].metrics: expected an object", i);
	json_object_foreach((json_t *)o, name, v) {
		if (!*name || strlen(name) >= METRIC_NAME_MAX)
			return error_into(err, elen, "runs[%zu].metrics: a name of 1 to %d characters expected",
					  i, METRIC_NAME_MAX - 1);
		if (!json_is_null(v) && !json_is_number(v))
			return error_into(err, elen, "runs[%zu].metrics.%s: expected a number or null", i, name);
		if (json_is_null(v))
			metrics_set_null(m, name);
		else
			metrics_set(m, name, json_number_value(v));
	}
	return 0;
}

/* Checks run i of the document against the plan; fills r. */
static int check_run(const struct spec *sp, const json_t *run, size_t i, struct imported_run *r,
		     char *err, size_t elen)
{
	const struct run_plan *p = &sp->runs[i];
	const json_t *ex = json_object_get(run, "examples"), *reason = json_object_get(run, "reason");
	const char *strategy = json_string_value(json_object_get(run, "strategy"));
	json_t *v;
	size_t k;

	if (!json_is_object(run))
		return error_into(err, elen, "runs[%zu]: expected an object", i);
	if (!json_equal(json_object_get(run, "cell"), p->cell_json) || !strategy ||
	    strcmp(strategy, sp->target->strategies[p->strategy].name) ||
	    !json_is_integer(json_object_get(run, "repetition")) ||
	    json_integer_value(json_object_get(run, "repetition")) != p->repetition ||
	    !json_is_integer(json_object_get(run, "seed")) ||
	    (uint64_t)json_integer_value(json_object_get(run, "seed")) != p->seed)
		return error_into(err, elen, "runs[%zu]: cell, strategy, repetition or seed differ from "
				  "run %zu of the spec's plan", i, i);
	r->status = store_run_status_index(json_string_value(json_object_get(run, "status")));
	if (r->status < 0)
		return error_into(err, elen, "runs[%zu].status: expected one of queued, running, done, "
				  "failed, interrupted, cancelled", i);
	if (reason && !json_is_null(reason) && !json_is_string(reason))
		return error_into(err, elen, "runs[%zu].reason: expected a string or null", i);
	r->reason = json_string_value(reason);
	if (r->status < 2 || r->status == 4) {
		r->status = 5;
		r->reason = unfinished_reason;
	}
	if (r->status == 2)
		r->reason = NULL;
	else if (r->status == 3 && (!r->reason || !*r->reason))
		r->reason = "the target failed without a reason";
	if (ex && !json_is_null(ex)) {
		if (!json_is_array(ex))
			return error_into(err, elen, "runs[%zu].examples: expected an array of strings", i);
		json_array_foreach(ex, k, v)
			if (!json_is_string(v))
				return error_into(err, elen, "runs[%zu].examples[%zu]: expected a string", i, k);
		if (!(r->examples = json_dumps(ex, JSON_COMPACT)))
			return error_into(err, elen, "out of memory");
	}
	r->m = metrics_new();
	return check_metrics(json_object_get(run, "metrics"), i, r->m, err, elen);
}

static int exp_cancelled(const json_t *exp)
{
	const char *status = json_string_value(json_object_get(exp, "status"));

	return status && !strcmp(status, "cancelled");
}

/* A document checked and ready to write. */
struct import_prep {
	struct spec *sp;
	struct imported_run *r;
	char *spec_text, *host_text, *preset_text;
	struct exp_row e;
};

static void import_prep_free(struct import_prep *p)
{
	for (size_t i = 0; p->r && p->sp && i < p->sp->nruns; i++) {
		free(p->r[i].examples);
		metrics_free(p->r[i].m);
	}
	free(p->r);
	spec_free(p->sp);
	free(p->spec_text);
	free(p->host_text);
	free(p->preset_text);
	memset(p, 0, sizeof(*p));
}

/* Writes a checked experiment and its runs, inside the caller's transaction;
 * run_ids (may be NULL) gets the runs' rowids in plan order. */
static int write_import_rows(struct store *st, struct import_prep *ip, int64_t *exp,
			     int64_t *run_ids)
{
	const struct spec *sp = ip->sp;
	struct imported_run *runs = ip->r;
	int64_t now = store_now_ms(), run;
	int rc;

	rc = insert_experiment(st, &ip->e, exp);
	if (!rc)
		rc = history_config_set(st, *exp, sp, ip->e.preset, ip->e.host);
	for (size_t i = 0; !rc && i < sp->nruns; i++) {
		const struct run_plan *p = &sp->runs[i];
		char *cell = json_dumps(p->cell_json, JSON_COMPACT);
		struct run_row r = {
			.experiment = *exp, .idx = (int64_t)i, .cell = cell,
			.strategy = sp->target->strategies[p->strategy].name,
			.repetition = p->repetition, .seed = p->seed,
			.status = run_status_names[runs[i].status], .reason = runs[i].reason,
			.examples = runs[i].examples, .queued_at = now, .finished_at = now,
		};

		rc = cell ? insert_run(st, &r, &run) : store_fail(st, STORE_ERR, "out of memory");
		if (!rc)
			rc = store_insert_metrics(st, run, runs[i].m);
		if (run_ids)
			run_ids[i] = run;
		free(cell);
	}
	return rc;
}

/* Checks doc into *ip: 0, or -1 with err (ip freed). */
static int import_prepare(const json_t *doc, struct import_prep *ip, char *err, size_t elen)
{
	const json_t *exp = json_object_get(doc, "experiment"), *runs = json_object_get(doc, "runs");
	const json_t *host = json_object_get(exp, "host"), *preset = json_object_get(exp, "preset");
	const char *from = json_string_value(json_object_get(exp, "id"));
	const char *version = json_string_value(json_object_get(host, "svabench_version"));
	struct spec_error serr;
	int64_t now = store_now_ms();
	size_t n[6] = {0};
	struct spec *sp;

	memset(ip, 0, sizeof(*ip));
	if (!json_is_object(exp) || !json_is_object(json_object_get(exp, "spec")))
		return error_into(err, elen, "experiment.spec: expected the experiment's spec object");
	if (!json_is_array(runs))
		return error_into(err, elen, "runs: expected an array");
	if (!(ip->spec_text = json_dumps(json_object_get(exp, "spec"), JSON_COMPACT)))
		return error_into(err, elen, "out of memory");
	if (!(sp = ip->sp = spec_parse(ip->spec_text, strlen(ip->spec_text), &serr))) {
		error_into(err, elen, "experiment.spec%s%s: %s", *serr.field ? "." : "", serr.field, serr.msg);
		goto bad;
	}
	if (json_array_size(runs) != sp->nruns) {
		error_into(err, elen, "runs: the document has %zu runs, the spec's plan %zu",
			   json_array_size(runs), sp->nruns);
		goto bad;
	}
	ip->r = xcalloc(sp->nruns ? sp->nruns : 1, sizeof(*ip->r));
	for (size_t i = 0; i < sp->nruns; i++) {
		if (check_run(sp, json_array_get(runs, i), i, &ip->r[i], err, elen))
			goto bad;
		n[ip->r[i].status]++;
	}
	ip->host_text = json_dumps(host ? host : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
	ip->preset_text = json_dumps(preset ? preset : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
	if (!ip->host_text || !ip->preset_text) {
		error_into(err, elen, "out of memory");
		goto bad;
	}
	ip->e = (struct exp_row){
		.spec = ip->spec_text, .target = sp->target->name,
		.workload = sp->target->workloads[sp->workload].name, .label = sp->label,
		.name = sp->name, .preset = ip->preset_text, .host = ip->host_text,
		.version = version ? version : "unknown",
		.status = n[5] || exp_cancelled(exp) ? "cancelled" : n[3] ? "failed" : "done",
		.imported_from = from, .runs_total = (int64_t)sp->nruns, .runs_done = (int64_t)n[2],
		.runs_failed = (int64_t)n[3], .runs_cancelled = (int64_t)n[5],
		.created_at = now, .finished_at = now,
	};
	return 0;
bad:
	import_prep_free(ip);
	return -1;
}

int store_import_experiments(struct store *st, const json_t *docs,
			     int (*guard)(struct store *st, void *ctx, char *err, size_t elen),
			     void *ctx, int64_t *ids, char *err, size_t elen)
{
	size_t n = json_array_size(docs);
	struct import_prep *ip;
	char why[512];
	int rc = 0;

	if (elen)
		err[0] = 0;
	if (!json_is_array(docs) || !n)
		return error_into(err, elen, "expected one or more result documents");
	ip = xcalloc(n, sizeof(*ip));
	for (size_t i = 0; i < n; i++) {
		if (import_prepare(json_array_get(docs, i), &ip[i], why, sizeof(why))) {
			if (n == 1)
				error_into(err, elen, "%s", why);
			else
				error_into(err, elen, "documents[%zu]: %s", i, why);
			rc = -1;
			goto out;
		}
	}
	/* All of them in one transaction, after the guard (a replay check), or none.
	 * A store failure leaves err empty: the message is store_error()'s,
	 * and the caller tells a bad document (400) from it that way. */
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc && guard)
		rc = guard(st, ctx, err, elen);
	for (size_t i = 0; !rc && i < n; i++)
		rc = write_import_rows(st, &ip[i], &ids[i], NULL);
	rc = store_wend(st, rc);
	store_wunlock(st);
out:
	for (size_t i = 0; i < n; i++)
		import_prep_free(&ip[i]);
	free(ip);
	return rc;
}

int store_import_experiment(struct store *st, const json_t *doc, char *id, size_t idlen,
			    char *err, size_t elen)
{
	json_t *docs = json_pack("[O]", doc);
	int64_t rowid = 0;
	int rc;

	if (!docs)
		return error_into(err, elen, "out of memory");
	rc = store_import_experiments(st, docs, NULL, NULL, &rowid, err, elen);
	json_decref(docs);
	if (!rc)
		snprintf(id, idlen, "e%lld", (long long)rowid);
	return rc;
}

int store_import_more(struct store *st, const json_t *doc, const struct import_more *more,
		      char *id, size_t idlen, char *err, size_t elen)
{
	struct import_prep ip;
	int64_t exp = 0, *runs;
	int rc;

	if (elen)
		err[0] = 0;
	if (import_prepare(doc, &ip, err, elen))
		return -1;
	runs = xcalloc(ip.sp->nruns ? ip.sp->nruns : 1, sizeof(*runs));
	/* A store failure leaves err empty (store_error() has it), as above. */
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc)
		rc = write_import_rows(st, &ip, &exp, runs);
	if (!rc && more && more->fn)
		rc = more->fn(more->ctx, st, exp, runs, ip.sp->nruns);
	rc = store_wend(st, rc);
	store_wunlock(st);
	if (!rc)
		snprintf(id, idlen, "e%lld", (long long)exp);
	free(runs);
	import_prep_free(&ip);
	return rc;
}
