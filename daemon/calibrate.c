/*
 * calibrate.c - POST /api/v1/calibrate and GET /api/v1/calibrate: one
 * calibration at a time (core/calibrate.c) in a worker process (task.c,
 * killed at --run-timeout) that a detached thread waits for, writing
 * <var>/presets/local.json, where the daemon's sim (SVABENCH_PRESETS, set by
 * main.c) and its workers find it. POST answers 202 {"status": "running"}
 * (409 while one runs; ?iterations=N, 1..100000, default 500); GET answers
 * {"status": "idle"|"running"|"done"|"failed", "preset": path|null,
 * "iterations", "error": message|null}.
 */
#include "http_internal.h"
#include "../lib/logger.h"
#include "task.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CAL_ITERATIONS_MAX 100000

enum cal_state { CAL_IDLE, CAL_RUNNING, CAL_DONE, CAL_FAILED };

static const char *const state_names[] = {"idle", "running", "done", "failed"};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static enum cal_state state = CAL_IDLE;
static char preset_path[4200], error_text[1024];
static int cal_iterations;

/* The calibration runs in a worker process (task.c), never on this thread:
 * its host workloads fork and mprotect, and it may hang. */
static void *cal_thread(void *arg)
{
	char err[1024] = "";
	json_t *job, *ans = NULL;
	struct task_env *env = arg; /* the scheduler's */
	int iterations, rc;

	pthread_mutex_lock(&mu);
	iterations = cal_iterations;
	job = json_pack("{s:s,s:s,s:s,s:i}", "kind", "calibrate", "out", preset_path, "name",
			"local", "iterations", iterations);
	pthread_mutex_unlock(&mu);
	log_info("calibrating (%d iterations per workload) into %s", iterations, preset_path);
	rc = job ? task_run(env, job, NULL, NULL, NULL, &ans, err, sizeof(err)) : -1;
	if (!rc && json_string_value(json_object_get(ans, "error"))) {
		snprintf(err, sizeof(err), "%s", json_string_value(json_object_get(ans, "error")));
		rc = -1;
	} else if (rc && !err[0]) {
		snprintf(err, sizeof(err), "out of memory");
	}
	json_decref(job);
	json_decref(ans);
	pthread_mutex_lock(&mu);
	state = rc ? CAL_FAILED : CAL_DONE;
	snprintf(error_text, sizeof(error_text), "%s", rc ? err : "");
	pthread_mutex_unlock(&mu);
	if (rc)
		log_error("calibration failed: %s", err);
	else
		log_info("calibration done: preset local in %s", preset_path);
	return NULL;
}

static json_t *status_json(void)
{
	json_t *v;

	pthread_mutex_lock(&mu);
	v = json_pack("{s:s,s:o,s:i,s:o}", "status", state_names[state], "preset",
		      state == CAL_IDLE ? json_null() : json_string(preset_path), "iterations",
		      cal_iterations, "error",
		      state == CAL_FAILED ? json_string(error_text) : json_null());
	pthread_mutex_unlock(&mu);
	return v;
}

enum MHD_Result calibrate_post(struct request *r)
{
	static const struct query_arg args[] = {
		{.name = "iterations", .type = QUERY_INT, .ilo = 1, .ihi = CAL_ITERATIONS_MAX,
		 .want = "a number of iterations 1..100000"},
		{0},
	};
	struct query q = {.args = args};
	enum MHD_Result res;
	pthread_attr_t attr;
	pthread_t t;
	long n = CALIBRATE_ITERATIONS;
	int rc;

	if (read_query(r, &q, &res))
		return res;
	if (q.values[0])
		n = (long)q.ints[0];
	if (!scheduler_tasks(r->h->ctx.sched))
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "this server runs no workers");
	pthread_mutex_lock(&mu);
	if (state == CAL_RUNNING) {
		pthread_mutex_unlock(&mu);
		return reply_error(r, MHD_HTTP_CONFLICT, "conflict", NULL,
				   "a calibration is already running; GET /api/v1/calibrate for its state");
	}
	snprintf(preset_path, sizeof(preset_path), "%s/presets/local.json", r->h->ctx.cfg->var);
	cal_iterations = (int)n;
	error_text[0] = 0;
	state = CAL_RUNNING;
	rc = pthread_attr_init(&attr);
	if (!rc) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &attr, cal_thread, scheduler_tasks(r->h->ctx.sched));
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		state = CAL_FAILED;
		snprintf(error_text, sizeof(error_text), "cannot start a thread: %s", strerror(rc));
	}
	pthread_mutex_unlock(&mu);
	if (rc)
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "cannot start the calibration: %s", strerror(rc));
	return reply_json(r, MHD_HTTP_ACCEPTED, status_json());
}

enum MHD_Result calibrate_get(struct request *r)
{
	enum MHD_Result res;

	if (no_query(r, &res))
		return res;
	return reply_json(r, MHD_HTTP_OK, status_json());
}
