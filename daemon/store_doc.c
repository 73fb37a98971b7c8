/*
 * store_doc.c - the result document of an experiment, rebuilt by core
 * exactly as `svabench run --offline --json` builds it (results_store per
 * finished run, result_document); then the store's own facts replace what
 * only the store knows: ids, statuses, reasons, the experiment object as
 * recorded (preset, host, times). Serialized documents are cached per
 * (experiment, rev); rev is bumped in the same transaction as every change
 * of the experiment, so a cached text is never stale.
 */
#include "store_impl.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DOC_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* What the store knows of one run beyond core's record. */
struct run_fact {
	int status;            /* index into run_status_names */
	char *reason;
	int64_t started, finished;
	json_t *metrics;       /* a run neither done nor failed that left metrics */
};

/* A run's examples column into res (as many as a run_result holds). */
static void load_examples(struct run_result *res, const char *text)
{
	json_t *a = text ? json_loads(text, 0, NULL) : NULL, *v;
	size_t i;

	res->nexamples = 0;
	json_array_foreach(a, i, v) {
		if (res->nexamples == RUN_EXAMPLES_MAX)
			break;
		if (json_is_string(v))
			snprintf(res->examples[res->nexamples++], sizeof(res->examples[0]), "%s",
				 json_string_value(v));
	}
	json_decref(a);
}

/*
 * Reads every run of experiment exp into r (finished ones through
 * results_store) and facts. The metrics cursor m walks the same order.
 */
static int load_runs(struct store *st, struct store_tls *t, int64_t exp, struct results *r,
		     struct run_fact *facts)
{
	sqlite3_stmt *s = store_rstmt(st, t, RS_RUNS_OF, NULL), *m = store_rstmt(st, t, RS_METRICS_OF, NULL);
	struct run_result res = {0};
	int rc = 0, mrow = 0;

	if (!s || !m)
		return STORE_ERR;
	res.metrics = metrics_new();
	sqlite3_bind_int64(s, 1, exp);
	sqlite3_bind_int64(m, 1, exp);
	mrow = store_rrow(st, t, m, "metrics");
	while (mrow >= 0 && (rc = store_rrow(st, t, s, "runs")) == 1) {
		int64_t run = sqlite3_column_int64(s, 0), idx = sqlite3_column_int64(s, 1);
		const char *reason = (const char *)sqlite3_column_text(s, 3);
		struct run_fact *f;

		rc = 0;
		if (idx < 0 || (size_t)idx >= r->spec->nruns) {
			rc = store_fail(st, STORE_ERR, "run %lld: index %lld outside the plan",
					(long long)run, (long long)idx);
			break;
		}
		f = &facts[idx];
		f->status = store_run_status_index((const char *)sqlite3_column_text(s, 2));
		f->reason = reason ? strdup(reason) : NULL;
		f->started = sqlite3_column_type(s, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 4);
		f->finished = sqlite3_column_type(s, 5) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 5);
		metrics_clear(res.metrics);
		/* one packed row per run (schema/005_packed_metrics.sql) */
		if (mrow == 1 && sqlite3_column_int64(m, 0) == run) {
			const unsigned char *set = sqlite3_column_blob(m, 1);
			const unsigned char *vals = sqlite3_column_blob(m, 2);
			size_t n = (size_t)sqlite3_column_bytes(m, 1) / 4;
			size_t nv = (size_t)sqlite3_column_bytes(m, 2) / 8;

			for (size_t k = 0; !rc && k < n && k < nv; k++) {
				const char *name = store_metric_name(st, t, store_sample_metric(set, k), &rc);
				double v = store_sample_value(vals, k);

				if (!name)
					break;
				/* a set names each metric once: append, no search */
				metrics_append(res.metrics, name, v, !isfinite(v));
			}
			if (!rc)
				mrow = store_rrow(st, t, m, "metrics");
		}
		if (rc || mrow < 0) {
			rc = rc ? rc : mrow;
			break;
		}
		if (f->status == 2 || f->status == 3) {
			snprintf(res.reason, sizeof(res.reason), "%s", reason ? reason : "");
			load_examples(&res, (const char *)sqlite3_column_text(s, 6));
			results_store(r, (size_t)idx, f->status == 2 ? RUN_DONE : RUN_FAILED, &res);
		} else if (res.metrics->n) {
			f->metrics = json_object();
			for (size_t k = 0; f->metrics && k < res.metrics->n; k++) {
				const struct metric *e = &res.metrics->v[k];

				json_object_set_new(f->metrics, e->name, e->is_null ? json_null()
						    : store_number_json(e->value));
			}
		}
		if (rc)
			break;
	}
	sqlite3_reset(s);
	sqlite3_reset(m);
	metrics_free(res.metrics);
	return rc < 0 ? rc : mrow < 0 ? mrow : 0;
}

/* Puts the store's facts over core's run objects. */
static int overlay_runs(json_t *runs, const struct run_fact *facts, int64_t exp)
{
	json_t *run;
	size_t i;
	int bad = 0;

	json_array_foreach(runs, i, run) {
		const struct run_fact *f = &facts[i];
		char rid[64], when[48];

		snprintf(rid, sizeof(rid), "e%lld-r%zu", (long long)exp, i + 1);
		json_put(run, "id", json_string(rid), &bad);
		if (f->status >= 0)
			json_put(run, "status", json_string(run_status_names[f->status]), &bad);
		/* core gives done runs no reason and failed ones its own */
		if (f->status != 2 && (f->reason || f->status != 3))
			json_put(run, "reason", f->reason ? json_string(f->reason) : json_null(), &bad);
		if (f->metrics)
			json_put(run, "metrics", json_incref(f->metrics), &bad);
		store_format_time(f->started, when, sizeof(when));
		json_put(run, "started_at", f->started ? json_string(when) : json_null(), &bad);
		store_format_time(f->finished, when, sizeof(when));
		json_put(run, "finished_at", f->finished ? json_string(when) : json_null(), &bad);
	}
	return bad ? -1 : 0;
}

/* The document of experiment exp inside the open read transaction. */
static json_t *build_doc(struct store *st, struct store_tls *t, int64_t exp, int with_runs,
			 int64_t *rev, int *rc)
{
	sqlite3_stmt *s = store_rstmt(st, t, RS_EXP, NULL);
	struct run_fact *facts = NULL;
	struct results *r = NULL;
	struct spec *sp = NULL;
	struct spec_error serr;
	json_t *o = NULL, *doc = NULL;
	const char *text;
	int row;

	if (!s) {
		*rc = STORE_ERR;
		return NULL;
	}
	sqlite3_bind_int64(s, 1, exp);
	if ((row = store_rrow(st, t, s, "experiment")) <= 0) {
		*rc = row < 0 ? row : store_fail(st, STORE_NOT_FOUND, "no experiment e%lld", (long long)exp);
		return NULL;
	}
	*rev = sqlite3_column_int64(s, 15);
	o = store_exp_json(s);
	*rc = o ? 0 : store_fail(st, STORE_ERR, "experiment e%lld: bad stored JSON", (long long)exp);
	if (!o || !with_runs)
		goto out;
	text = (const char *)sqlite3_column_text(s, 1);
	sp = spec_parse(text, strlen(text), &serr);
	if (!sp) {
		*rc = store_fail(st, STORE_ERR, "experiment e%lld: stored spec refused: %s: %s",
				 (long long)exp, serr.field, serr.msg);
		goto out;
	}
	r = results_new(sp);
	facts = xcalloc(sp->nruns ? sp->nruns : 1, sizeof(*facts));
	for (size_t i = 0; i < sp->nruns; i++)
		facts[i].status = -1;
	if ((*rc = load_runs(st, t, exp, r, facts)))
		goto out;
	r->host = json_object_get(o, "host"); /* the stored one: nothing is probed here */
	doc = result_document(r, json_string_value(json_object_get(o, "id")));
	if (!doc || json_object_set(doc, "experiment", o) ||
	    overlay_runs(json_object_get(doc, "runs"), facts, exp)) {
		json_decref(doc);
		doc = NULL;
		*rc = store_fail(st, STORE_ERR, "out of memory");
	}
out:
	sqlite3_reset(s);
	for (size_t i = 0; facts && i < sp->nruns; i++) {
		free(facts[i].reason);
		json_decref(facts[i].metrics);
	}
	free(facts);
	results_free(r);
	spec_free(sp);
	if (!with_runs && !*rc)
		return o;
	json_decref(o);
	return doc;
}

json_t *store_experiment_doc(struct store *st, const char *exp_pub, int with_runs, int *rc)
{
	int64_t exp = store_parse_exp(exp_pub), rev;
	struct store_tls *t;
	json_t *doc;

	if (!exp) {
		*rc = store_fail(st, STORE_NOT_FOUND, "no experiment %s", exp_pub ? exp_pub : "(null)");
		return NULL;
	}
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		return NULL;
	doc = build_doc(st, t, exp, with_runs, &rev, rc);
	store_rend(st, t);
	return doc;
}

/* ---- serialized documents ---- */

char *store_experiment_doc_text(struct store *st, const char *exp_pub, int with_runs, int *rc,
				size_t *len)
{
	int64_t exp = store_parse_exp(exp_pub), rev = 0;
	struct store_tls *t;
	sqlite3_stmt *s;
	char *text = NULL;
	json_t *doc;
	int row;

	if (!exp) {
		*rc = store_fail(st, STORE_NOT_FOUND, "no experiment %s", exp_pub ? exp_pub : "(null)");
		return NULL;
	}
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		return NULL;
	if (!(s = store_rstmt(st, t, RS_EXP_REV, NULL))) {
		*rc = STORE_ERR;
		goto out;
	}
	sqlite3_bind_int64(s, 1, exp);
	if ((row = store_rrow(st, t, s, "experiment")) <= 0) {
		*rc = row < 0 ? row : store_fail(st, STORE_NOT_FOUND, "no experiment %s", exp_pub);
		goto out;
	}
	rev = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((text = store_cache_get(st, exp, with_runs, rev, len)))
		goto out;
	doc = build_doc(st, t, exp, with_runs, &rev, rc);
	text = doc ? json_dumps(doc, DOC_DUMP_FLAGS) : NULL;
	json_decref(doc);
	if (!text) {
		if (doc)
			*rc = store_fail(st, STORE_ERR, "out of memory");
		goto out;
	}
	*len = strlen(text);
	store_cache_put(st, exp, with_runs, rev, text, *len);
out:
	store_rend(st, t);
	if (text)
		*rc = 0;
	return text;
}

