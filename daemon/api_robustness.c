/*
 * api_robustness.c - the robustness of an experiment's verdicts
 * (core/robustness.c, docs/verdicts.md):
 *
 *   POST /api/v1/experiments/ID/robustness   (token; body {"budget",
 *        "inputs": [names], "metric", "baseline", "tol"}, all optional)
 *        202 {"status": "running", ...} and the analysis starts in a
 *        worker process (task.c; killed at --run-timeout; one at a time)
 *        that a daemon thread waits for; 200 with the stored
 *        analysis when one with the same options exists; 409 while another
 *        runs; 400 naming a bad field; 404 unknown experiment.
 *   GET  /api/v1/experiments/ID/robustness
 *        {"status": "running"|"done"|"failed", "runs_used", "runs_planned",
 *         "options", "error", "result": the analysis once done}; 404 when
 *        none was started.
 *
 * A finished analysis is stored in <var>/robustness/<ID>.json (written to a
 * temporary file and renamed), so it survives a restart and GETs read it.
 */
#include "http_internal.h"
#include "../core/robustness.h"
#include "../lib/logger.h"
#include "task.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum rb_state { RB_NONE, RB_RUNNING, RB_DONE, RB_FAILED };

static const char *const rb_names[] = {"none", "running", "done", "failed"};

/* The one analysis the daemon runs or ran last (the stored ones are files). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	enum rb_state state;
	char id[HTTP_ID_MAX + 1];
	long used, planned;
	json_t *options;       /* as asked, normalized */
	char error[1024];
	char path[4400];       /* where the result goes */
} job;

/* What the worker gets: the spec's text and the normalized options. */
struct rb_task {
	char *text;
	json_t *options;
	struct task_env *env;  /* the scheduler's: --var, --run-timeout */
};

static void progress(void *ctx, long done, long planned)
{
	(void)ctx;
	pthread_mutex_lock(&mu);
	job.used = done;
	job.planned = planned;
	pthread_mutex_unlock(&mu);
}

/* Writes doc to path through a temporary file; 0 or -1 with errno's text in err. */
static int store_file(const char *path, const json_t *doc, char *err, size_t elen)
{
	char tmp[4500];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, elen, "cannot write %.800s: %s", tmp, strerror(errno));
		return -1;
	}
	bad = json_dumpf(doc, f, JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path)) {
		snprintf(err, elen, "cannot store %.800s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Waits for the analysis, run in a worker process (task.c) under --run-timeout. */
static void *rb_thread(void *arg)
{
	struct rb_task *t = arg;
	char err[1024] = "", id[HTTP_ID_MAX + 1], path[4400];
	json_t *req, *ans = NULL, *res, *doc = NULL;

	pthread_mutex_lock(&mu);
	snprintf(id, sizeof(id), "%s", job.id);
	snprintf(path, sizeof(path), "%s", job.path);
	pthread_mutex_unlock(&mu);
	req = json_pack("{s:s,s:s,s:s,s:O}", "kind", "robustness", "spec", t->text, "id", id,
			"options", t->options);
	if (req && !task_run(t->env, req, NULL, progress, NULL, &ans, err, sizeof(err))) {
		if ((res = json_object_get(ans, "result")))
			doc = json_pack("{s:O, s:O}", "options", t->options, "result", res);
		else
			snprintf(err, sizeof(err), "%s",
				 json_string_value(json_object_get(ans, "error")) ?
				 json_string_value(json_object_get(ans, "error")) :
				 "the worker answered no result");
	}
	if (doc && store_file(path, doc, err, sizeof(err)) == 0)
		err[0] = '\0';
	else if (!err[0])
		snprintf(err, sizeof(err), "out of memory");
	pthread_mutex_lock(&mu);
	job.state = err[0] ? RB_FAILED : RB_DONE;
	snprintf(job.error, sizeof(job.error), "%s", err);
	pthread_mutex_unlock(&mu);
	if (err[0])
		log_error("robustness of %s failed: %s", id, err);
	else
		log_info("robustness of %s done: %s", id, path);
	json_decref(req);
	json_decref(ans);
	json_decref(doc);
	json_decref(t->options);
	free(t->text);
	free(t);
	return NULL;
}

/* The options of a POST body, normalized; NULL after answering 400. */
static json_t *read_options(struct request *r, const struct spec *s, enum MHD_Result *res)
{
	static const char *const keys[] = {"budget", "inputs", "metric", "baseline", "tol", NULL};
	json_error_t je;
	json_t *body = r->len ? json_loadb(r->body, r->len, 0, &je) : json_object();
	json_t *o = json_object(), *v;
	const char *key;

	if (!body || !json_is_object(body)) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_json", NULL,
				   "expected a JSON object of options (budget, inputs, metric, baseline, tol)");
		goto bad;
	}
	json_object_foreach(body, key, v) {
		int known = 0;

		for (int k = 0; keys[k]; k++)
			known |= !strcmp(keys[k], key);
		if (!known) {
			*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", key,
					   "unknown option '%.60s'; allowed: budget, inputs, metric, "
					   "baseline, tol", key);
			goto bad;
		}
	}
	v = json_object_get(body, "budget");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > ROBUST_BUDGET_MAX)) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", "budget",
				   "budget is a number of runs 1..%d", ROBUST_BUDGET_MAX);
		goto bad;
	}
	json_object_set_new(o, "budget", json_integer(v ? json_integer_value(v) : ROBUST_BUDGET));
	v = json_object_get(body, "tol");
	if (v && (!json_is_number(v) || !(json_number_value(v) > 0 && json_number_value(v) <= 0.5))) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", "tol",
				   "tol is a relative precision above 0 up to 0.5 (0.01 is 1 %%)");
		goto bad;
	}
	json_object_set_new(o, "tol", json_real(v ? json_number_value(v) : 0.01));
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "baseline" : "metric";

		v = json_object_get(body, name);
		if (v && (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 100)) {
			*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", name,
					   "%s is a name of 1..100 characters", name);
			goto bad;
		}
		json_object_set(o, name, v ? v : json_null());
	}
	v = json_object_get(body, "inputs");
	if (v && (!json_is_array(v) || json_array_size(v) > ROBUST_INPUTS_MAX)) {
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", "inputs",
				   "inputs is a list of at most %d parameter names", ROBUST_INPUTS_MAX);
		goto bad;
	}
	json_object_set_new(o, "inputs", v ? json_deep_copy(v) : json_array());
	for (size_t i = 0; v && i < json_array_size(v); i++) {
		const char *name = json_string_value(json_array_get(v, i));
		int k = name ? target_param_index(s->target, name) : -1;
		char field[32];

		snprintf(field, sizeof(field), "inputs[%zu]", i);
		if (k < 0 || (s->target->params[k].type != PARAM_INT &&
			      s->target->params[k].type != PARAM_REAL)) {
			*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_param", field,
					   "'%.60s' is not a numeric parameter of %s", name ? name : "?",
					   s->target->name);
			goto bad;
		}
	}
	json_decref(body);
	return o;
bad:
	json_decref(body);
	json_decref(o);
	return NULL;
}

json_t *robustness_stored(const struct config *cfg, const char *id)
{
	char path[4400];

	snprintf(path, sizeof(path), "%.4096s/robustness/%s.json", cfg->var, id);
	return json_load_file(path, 0, NULL);
}

/* The stored analysis of id ({"options", "result"}), or NULL. */
static json_t *stored(const struct request *r, const char *id)
{
	return robustness_stored(r->h->ctx.cfg, id);
}

static json_t *status_json(const char *id, json_t *file)
{
	json_t *v;

	pthread_mutex_lock(&mu);
	if (strcmp(job.id, id) || job.state == RB_NONE) {
		pthread_mutex_unlock(&mu);
		if (!file)
			return NULL;
		return json_pack("{s:s, s:O, s:O, s:n, s:O}", "status", "done", "runs_used",
				 json_object_get(json_object_get(file, "result"), "runs_used"),
				 "runs_planned",
				 json_object_get(json_object_get(file, "result"), "runs_planned"),
				 "error", "options", json_object_get(file, "options"));
	}
	v = json_pack("{s:s, s:I, s:I, s:O, s:o}", "status", rb_names[job.state], "runs_used",
		      (json_int_t)job.used, "runs_planned", (json_int_t)job.planned, "options",
		      job.options ? job.options : json_null(), "error",
		      job.state == RB_FAILED ? json_string(job.error) : json_null());
	pthread_mutex_unlock(&mu);
	if (v && file && !strcmp(json_string_value(json_object_get(v, "status")), "done"))
		json_object_set(v, "result", json_object_get(file, "result"));
	return v;
}

static enum MHD_Result h_robustness_get(struct request *r)
{
	const char *id = r->ids[0];
	enum MHD_Result res;
	json_t *file, *v;

	if (no_query(r, &res))
		return res;
	file = stored(r, id);
	v = status_json(id, file);
	if (v && file && !json_object_get(v, "result"))
		json_object_set(v, "result", json_object_get(file, "result"));
	/* the answer first, as the report prints it (core/report_robust.c) */
	if (v && json_is_object(json_object_get(v, "result")))
		json_object_set_new(v, "summary", robustness_summary(json_object_get(v, "result")));
	json_decref(file);
	if (!v)
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				   "no robustness analysis of %s; POST to this path to start one", id);
	return reply_json(r, MHD_HTTP_OK, v);
}

static enum MHD_Result h_robustness_post(struct request *r)
{
	struct store *st = r->h->ctx.store;
	const char *id = r->ids[0];
	struct rb_task *t = NULL;
	struct spec *sp;
	struct spec_error se;
	enum MHD_Result res;
	json_t *exp, *options, *file;
	char *text, dir[4200];
	pthread_attr_t attr;
	pthread_t th;
	int rc = STORE_OK;

	if (no_query(r, &res))
		return res;
	exp = store_experiment_doc(st, id, 0, &rc);
	if (!exp)
		return store_failed(r, rc, "experiment", id);
	text = json_dumps(json_object_get(json_object_get(exp, "experiment") ?
					  json_object_get(exp, "experiment") : exp, "spec"),
			  JSON_COMPACT);
	json_decref(exp);
	t = calloc(1, sizeof(*t));
	if (!text || !t) {
		free(text);
		free(t);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL, "out of memory");
	}
	t->text = text;
	if (!(t->env = scheduler_tasks(r->h->ctx.sched))) {
		free(t->text);
		free(t);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "this server runs no workers");
	}
	sp = spec_parse(text, strlen(text), &se); /* checked here; run by the worker */
	if (!sp) {
		free(t->text);
		free(t);
		return reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				   "experiment %s's spec cannot be run here: %s: %s", id, se.field, se.msg);
	}
	if (strcmp(sp->target->name, "sim")) {
		res = reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				  "robustness re-runs cells with other preset values: target sim only, "
				  "experiment %s is on %s", id, sp->target->name);
		spec_free(sp);
		free(t->text);
		free(t);
		return res;
	}
	options = read_options(r, sp, &res);
	spec_free(sp);
	if (!options) {
		free(t->text);
		free(t);
		return res;
	}
	/* The same analysis stored already: deterministic, so answer it. */
	file = stored(r, id);
	if (file && json_equal(json_object_get(file, "options"), options)) {
		json_t *v = status_json(id, file);

		if (v && !json_object_get(v, "result"))
			json_object_set(v, "result", json_object_get(file, "result"));
		json_decref(file);
		json_decref(options);
		free(t->text);
		free(t);
		return reply_json(r, MHD_HTTP_OK, v);
	}
	json_decref(file);
	t->options = options; /* owned by the task */
	snprintf(dir, sizeof(dir), "%.4096s/robustness", r->h->ctx.cfg->var);
	if (mkdir(dir, 0700) && errno != EEXIST) {
		res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				  "cannot prepare %s: %s", dir, strerror(errno));
		goto fail;
	}
	pthread_mutex_lock(&mu);
	if (job.state == RB_RUNNING) {
		char other[HTTP_ID_MAX + 1];

		snprintf(other, sizeof(other), "%s", job.id);
		pthread_mutex_unlock(&mu);
		res = reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				  "a robustness analysis of %s is running; one at a time (GET "
				  "/api/v1/experiments/%s/robustness for its progress)", other, other);
		goto fail;
	}
	json_decref(job.options);
	job.options = json_incref(options);
	job.state = RB_RUNNING;
	job.used = 0;
	job.planned = 0;
	job.error[0] = '\0';
	snprintf(job.id, sizeof(job.id), "%s", id);
	snprintf(job.path, sizeof(job.path), "%.4120s/%s.json", dir, id);
	rc = pthread_attr_init(&attr);
	if (!rc) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&th, &attr, rb_thread, t);
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		job.state = RB_FAILED;
		snprintf(job.error, sizeof(job.error), "cannot start a thread: %s", strerror(rc));
	}
	pthread_mutex_unlock(&mu);
	if (rc) {
		res = reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				  "cannot start the analysis: %s", strerror(rc));
		goto fail;
	}
	log_info("robustness of %s started", id);
	{
		char location[HTTP_ID_MAX + 64];

		snprintf(location, sizeof(location), "/api/v1/experiments/%s/robustness", id);
		return reply_created(r, MHD_HTTP_ACCEPTED, status_json(id, NULL), location);
	}
fail:
	json_decref(t->options);
	free(t->text);
	free(t);
	return res;
}

const struct route robustness_routes[] = {
	{"GET", "/api/v1/experiments/*/robustness", BODY_NONE, h_robustness_get},
	{"POST", "/api/v1/experiments/*/robustness", BODY_JSON, h_robustness_post},
	{NULL, NULL, BODY_NONE, NULL},
};
