/*
 * result.c - what an experiment's runs left, and the result document of
 * api.md built from it. Metric names are kept once per experiment and each
 * run holds only its values, so a large sweep stays small in memory; the
 * document can be streamed run by run for the same reason.
 */
#include "core.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

enum { VALUE_ABSENT, VALUE_NUMBER, VALUE_NULL };

#define DUMP_FLAGS (JSON_REAL_PRECISION(15))

struct results *results_new(const struct spec *s)
{
	struct results *r = xcalloc(1, sizeof(*r));

	r->spec = s;
	r->runs = xcalloc(s->nruns ? s->nruns : 1, sizeof(*r->runs));
	return r;
}

static void record_clear(struct run_record *rec)
{
	free(rec->reason);
	for (int k = 0; k < rec->nexamples; k++)
		free(rec->examples[k]);
	free(rec->examples);
	free(rec->values);
	free(rec->state);
	memset(rec, 0, sizeof(*rec));
}

void results_free(struct results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->spec->nruns; i++)
		record_clear(&r->runs[i]);
	free(r->runs);
	for (size_t j = 0; j < r->nnames; j++)
		free(r->names[j]);
	free(r->names);
	free(r);
}

static long find_name(const struct results *r, const char *name, size_t hint)
{
	if (hint < r->nnames && !strcmp(r->names[hint], name))
		return (long)hint;
	for (size_t j = 0; j < r->nnames; j++)
		if (!strcmp(r->names[j], name))
			return (long)j;
	return -1;
}

/* The index of name, added when new. */
static long intern(struct results *r, const char *name, size_t hint)
{
	long j = find_name(r, name, hint);

	if (j >= 0)
		return j;
	if (r->nnames == r->capnames) {
		r->capnames = r->capnames ? r->capnames * 2 : 64;
		r->names = xreallocarray(r->names, r->capnames, sizeof(*r->names));
	}
	r->names[r->nnames] = xstrdup(name);
	return (long)r->nnames++;
}

static void store_values(struct results *r, struct run_record *rec,
			 const struct metrics *m)
{
	long *idx;
	size_t n = 0;

	if (!m || !m->n)
		return;
	idx = xcalloc(m->n, sizeof(*idx));
	for (size_t k = 0; k < m->n; k++) {
		idx[k] = intern(r, m->v[k].name, k);
		if ((size_t)idx[k] + 1 > n)
			n = (size_t)idx[k] + 1;
	}
	rec->values = xcalloc(n, sizeof(*rec->values));
	rec->state = xcalloc(n, 1);
	rec->nvalues = n;
	for (size_t k = 0; k < m->n; k++) {
		const struct metric *e = &m->v[k];
		int number = !e->is_null && isfinite(e->value);

		rec->values[idx[k]] = number ? e->value : 0;
		rec->state[idx[k]] = number ? VALUE_NUMBER : VALUE_NULL;
	}
	free(idx);
}

static void store_examples(struct run_record *rec, const struct run_result *res)
{
	int n = res->nexamples;

	if (n <= 0)
		return;
	if (n > RUN_EXAMPLES_MAX)
		n = RUN_EXAMPLES_MAX;
	rec->examples = xcalloc((size_t)n, sizeof(*rec->examples));
	for (int k = 0; k < n; k++)
		rec->examples[k] = xstrndup(res->examples[k], sizeof(res->examples[k]) - 1);
	rec->nexamples = n;
}

void results_store(struct results *r, size_t i, enum run_status status,
		  const struct run_result *res)
{
	struct run_record *rec = &r->runs[i];

	if (rec->status == RUN_DONE)
		r->ndone--;
	else if (rec->status == RUN_FAILED)
		r->nfailed--;
	record_clear(rec);
	if (status == RUN_FAILED) {
		const char *why = res->reason[0] ? res->reason : "the target failed without a reason";

		rec->reason = xstrndup(why, sizeof(res->reason) - 1);
	}
	store_values(r, rec, res->metrics);
	store_examples(rec, res);
	rec->status = status;
	if (status == RUN_DONE)
		r->ndone++;
	else if (status == RUN_FAILED)
		r->nfailed++;
}

int results_value(const struct results *r, size_t i, const char *name, double *v)
{
	const struct run_record *rec = &r->runs[i];
	long j = find_name(r, name, 0);

	if (j < 0 || (size_t)j >= rec->nvalues || rec->state[j] == VALUE_ABSENT)
		return -1;
	if (rec->state[j] == VALUE_NULL)
		return 0;
	*v = rec->values[j];
	return 1;
}

/* Integral numbers as JSON integers, others as reals. */
static json_t *number_json(double v)
{
	if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *preset_json(const struct target *t, const struct preset *p)
{
	json_t *o, *values;
	int bad = 0;

	if (!p)
		return json_null();
	o = json_object();
	values = json_object();
	if (!o || !values) {
		json_decref(o);
		json_decref(values);
		return NULL;
	}
	json_put(o, "name", json_string(p->name), &bad);
	json_put(o, "description", json_string(p->description), &bad);
	for (size_t i = 0; i < p->nvalues; i++) {
		const struct preset_value *pv = &p->values[i];
		int k = target_param_index(t, pv->param);
		json_t *e = json_object();

		if (!e) {
			bad = 1;
			break;
		}
		json_put(e, "value", k >= 0 ? param_value_json(&t->params[k], pv->value)
					    : number_json(pv->value), &bad);
		json_put(e, "source", json_string(pv->source), &bad);
		json_put(e, "confidence", json_string(pv->confidence), &bad);
		json_put(values, pv->param, e, &bad);
	}
	json_put(o, "values", values, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *host_json(const struct results *r)
{
	const struct spec *s = r->spec;
	json_t *probe;
	struct utsname u;
	json_t *o;
	int bad = 0;

	if (r->host) /* as stored: no probe (a daemon thread must not open counters) */
		return json_deep_copy(r->host);
	probe = collectors_probe_json(s);
	if (!(o = json_object())) {
		json_decref(probe);
		return NULL;
	}
	if (uname(&u) == 0) {
		json_put(o, "kernel", json_string(u.release), &bad);
		json_put(o, "machine", json_string(u.machine), &bad);
	} else {
		json_put(o, "kernel", json_null(), &bad);
		json_put(o, "machine", json_null(), &bad);
	}
	json_put(o, "svabench_version", json_string(SVABENCH_VERSION), &bad);
	json_put(o, "svabench_commit", json_string(svabench_commit()), &bad);
	if (probe)
		json_put(o, "collectors", probe, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *experiment_status(const struct results *r)
{
	if (r->ndone + r->nfailed < r->spec->nruns)
		return "running";
	return r->nfailed ? "failed" : "done";
}

json_t *result_experiment_json(const struct results *r, const char *id)
{
	const struct spec *s = r->spec;
	const struct target *t = s->target;
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	json_put(o, "id", json_string(id), &bad);
	json_put(o, "spec", json_incref(s->doc), &bad);
	json_put(o, "status", json_string(experiment_status(r)), &bad);
	json_put(o, "runs_total", json_integer((json_int_t)s->nruns), &bad);
	json_put(o, "runs_done", json_integer((json_int_t)r->ndone), &bad);
	json_put(o, "runs_failed", json_integer((json_int_t)r->nfailed), &bad);
	json_put(o, "preset", preset_json(t, s->preset), &bad);
	json_put(o, "host", host_json(r), &bad);
	json_put(o, "target", json_string(t->name), &bad);
	json_put(o, "workload", json_string(t->workloads[s->workload].name), &bad);
	json_put(o, "label", string_or_null(s->label), &bad);
	json_put(o, "name", string_or_null(s->name), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *status_name(enum run_status st)
{
	switch (st) {
	case RUN_DONE:
		return "done";
	case RUN_FAILED:
		return "failed";
	case RUN_PENDING:
		break;
	}
	return "queued";
}

static json_t *metrics_json(const struct results *r, const struct run_record *rec)
{
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	for (size_t j = 0; j < rec->nvalues; j++) {
		if (rec->state[j] == VALUE_NUMBER)
			json_put(o, r->names[j], number_json(rec->values[j]), &bad);
		else if (rec->state[j] == VALUE_NULL)
			json_put(o, r->names[j], json_null(), &bad);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *examples_json(const struct run_record *rec)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	for (int k = 0; k < rec->nexamples; k++) {
		if (json_array_append_new(a, json_string(rec->examples[k]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *result_run_json(const struct results *r, size_t i, const char *id)
{
	const struct spec *s = r->spec;
	const struct run_plan *p = &s->runs[i];
	const struct run_record *rec = &r->runs[i];
	json_t *o = json_object();
	char rid[160];
	int bad = 0;

	if (!o)
		return NULL;
	snprintf(rid, sizeof(rid), "%s-r%04zu", id, i + 1);
	json_put(o, "id", json_string(rid), &bad);
	json_put(o, "cell", json_incref(p->cell_json), &bad);
	json_put(o, "strategy", json_string(s->target->strategies[p->strategy].name), &bad);
	json_put(o, "repetition", json_integer(p->repetition), &bad);
	json_put(o, "seed", json_integer((json_int_t)p->seed), &bad);
	json_put(o, "status", json_string(status_name(rec->status)), &bad);
	json_put(o, "reason", string_or_null(rec->reason), &bad);
	json_put(o, "metrics", metrics_json(r, rec), &bad);
	json_put(o, "examples", examples_json(rec), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *result_document(const struct results *r, const char *id)
{
	json_t *doc = json_object(), *runs = json_array();
	int bad = !doc || !runs;

	for (size_t i = 0; !bad && i < r->spec->nruns; i++)
		if (json_array_append_new(runs, result_run_json(r, i, id)))
			bad = 1;
	if (bad) {
		json_decref(doc);
		json_decref(runs);
		return NULL;
	}
	json_put(doc, "experiment", result_experiment_json(r, id), &bad);
	json_put(doc, "runs", runs, &bad);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Writes text with every newline followed by indent, to nest a dump. */
static int write_indented(FILE *f, const char *text, const char *indent)
{
	for (const char *p = text; *p; p++) {
		if (fputc(*p, f) == EOF)
			return -1;
		if (*p == '\n' && fputs(indent, f) == EOF)
			return -1;
	}
	return 0;
}

int result_write_json(FILE *f, const struct results *r, const char *id)
{
	json_t *exp = result_experiment_json(r, id);
	char *text = exp ? json_dumps(exp, JSON_INDENT(2) | DUMP_FLAGS) : NULL;
	int rc = 0;

	json_decref(exp);
	if (!text)
		return -1;
	if (fputs("{\n  \"experiment\": ", f) == EOF || write_indented(f, text, "  ") ||
	    fputs(",\n  \"runs\": [", f) == EOF)
		rc = -1;
	free(text);
	for (size_t i = 0; !rc && i < r->spec->nruns; i++) {
		json_t *run = result_run_json(r, i, id);

		text = run ? json_dumps(run, DUMP_FLAGS) : NULL;
		json_decref(run);
		if (!text || fprintf(f, "%s\n    %s", i ? "," : "", text) < 0)
			rc = -1;
		free(text);
	}
	if (!rc && fputs("\n  ]\n}\n", f) == EOF)
		rc = -1;
	if (fflush(f) || ferror(f))
		rc = -1;
	return rc;
}

int json_print(FILE *f, const json_t *v)
{
	if (json_dumpf(v, f, JSON_INDENT(2) | DUMP_FLAGS) || fputc('\n', f) == EOF)
		return -1;
	return fflush(f) ? -1 : 0;
}
