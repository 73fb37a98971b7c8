/*
 * task.c - probing, calibration and robustness as job kinds of a worker
 * process (task.h): the daemon side (task_run) and the worker side
 * (worker_task).
 */
#define _GNU_SOURCE
#include "task.h"
#include "daemon.h"
#include "../core/robustness.h"
#include "../lib/run_command.h"
#include "../lib/strbuf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A robustness result of the largest budget is some MiB; nothing is larger. */
#define TASK_FRAME_MAX ((uint32_t)256 << 20)

const char *const task_kind_names[TASK_KINDS] = {"collectors", "probe", "calibrate",
						 "robustness"};

static int kind_of(const char *name)
{
	for (int k = 0; name && k < TASK_KINDS; k++)
		if (!strcmp(name, task_kind_names[k]))
			return k;
	return -1;
}

/* ---- the daemon's side ---- */

struct reader {
	struct strbuf buf;     /* what came, up to a whole frame */
	int broken;            /* a frame past TASK_FRAME_MAX: the rest is ignored */
	json_t *answer;
	void (*progress)(void *ctx, long done, long planned);
	void *ctx;
};

/* The worker's stdout: [u32 length][type][payload] frames (daemon.h). */
static void on_data(void *ctx, const char *p, size_t n)
{
	struct reader *r = ctx;
	size_t at = 0;

	if (r->broken)
		return;
	strbuf_add(&r->buf, p, n);
	while (r->buf.len - at >= 5) {
		uint32_t plen;
		json_t *o, *x;

		memcpy(&plen, r->buf.buf + at, sizeof(plen));
		if (plen > TASK_FRAME_MAX) {
			r->broken = 1;
			strbuf_release(&r->buf);
			return;
		}
		if (r->buf.len - at < 5 + (size_t)plen)
			break;
		if (r->buf.buf[at + 4] == WF_JSON &&
		    (o = json_loadb(r->buf.buf + at + 5, plen, 0, NULL))) {
			if ((x = json_object_get(o, "progress")) && r->progress)
				r->progress(r->ctx, (long)json_integer_value(json_object_get(x, "done")),
					    (long)json_integer_value(json_object_get(x, "planned")));
			if ((x = json_object_get(o, "task")) && !r->answer)
				r->answer = json_incref(x);
			json_decref(o);
		}
		at += 5 + (size_t)plen;
	}
	memmove(r->buf.buf, r->buf.buf + at, r->buf.len - at);
	strbuf_setlen(&r->buf, r->buf.len - at);
}

int task_run(struct task_env *env, const json_t *job, const _Atomic int *cancel,
	     void (*progress)(void *ctx, long done, long planned), void *ctx, json_t **answer,
	     char *err, size_t elen)
{
	/* --var: the worker reads the daemon's local presets (<var>/presets) */
	const char *const argv[] = {"svabenchd", "--worker", "--var", env->cfg->var, NULL};
	int timeout_s = env->cfg->run_timeout_s;
	int kind = kind_of(json_string_value(json_object_get(job, "kind")));
	struct reader r = {.buf = STRBUF_INIT, .progress = progress, .ctx = ctx};
	struct run_io io = {.data = on_data, .ctx = &r, .err_max = 0,
			    .timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 0, .cancel = cancel};
	char *text;
	struct child c;
	size_t len;

	*answer = NULL;
	if (kind < 0) {
		snprintf(err, elen, "unknown task kind");
		return -1;
	}
	text = json_dumps(job, JSON_COMPACT);
	if (!env->exe[0] || !text) {
		snprintf(err, elen, "%s", !env->exe[0] ? "cannot find /proc/self/exe" : "out of memory");
		free(text);
		atomic_fetch_add(&env->failed[kind], 1);
		return -1;
	}
	len = strlen(text);
	text[len] = '\n'; /* one line; its NUL is gone, in_len says how long */
	io.in = text;
	io.in_len = len + 1;
	child_init(&c, argv);
	c.path = env->exe;
	c.in = CHILD_PIPE;
	c.out = CHILD_PIPE;
	run_command(&c, &io); /* stderr: the daemon's (its log) */
	free(text);
	strbuf_release(&r.buf);
	run_io_free(&io);
	if (!io.started)
		snprintf(err, elen, "cannot start a worker: %s", io.error);
	else if (io.timed_out && cancel && *cancel)
		snprintf(err, elen, "worker stopped: the daemon is stopping");
	else if (io.timed_out)
		snprintf(err, elen, "worker killed after --run-timeout %d s", timeout_s);
	else if (!r.answer && io.signal)
		snprintf(err, elen, "worker killed by signal %d (%s) before answering", io.signal,
			 strsignal(io.signal));
	else if (!r.answer)
		snprintf(err, elen, "worker exited with status %d without an answer", io.status);
	if (!r.answer || io.timed_out) {
		json_decref(r.answer);
		atomic_fetch_add(&env->failed[kind], 1);
		return -1;
	}
	*answer = r.answer;
	atomic_fetch_add(&env->done[kind], 1);
	return 0;
}

/* ---- the worker's side ---- */

static void answer(json_t *a)
{
	worker_emit(json_pack("{s:o}", "task", a ? a : json_pack("{s:s}", "error", "out of memory")));
	fflush(stdout);
}

static void on_progress(void *ctx, long done, long planned)
{
	(void)ctx;
	worker_emit(json_pack("{s:{s:I,s:I}}", "progress", "done", (json_int_t)done, "planned",
			      (json_int_t)planned));
	fflush(stdout);
}

static json_t *probe(json_t *events)
{
	size_t n = json_array_size(events);
	const char **names = calloc(n ? n : 1, sizeof(*names));
	json_t *a;

	if (!names)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(names[i] = json_string_value(json_array_get(events, i))))
			names[i] = "";
	a = collectors_probe_names_json(names, n);
	free(names);
	return a ? json_pack("{s:o}", "probe", a) : NULL;
}

static json_t *calibrate(json_t *job)
{
	struct calibrate_opts o = {
		.out = json_string_value(json_object_get(job, "out")),
		.name = json_string_value(json_object_get(job, "name")),
		.iterations = (int)json_integer_value(json_object_get(job, "iterations")),
	};
	char err[1024] = "";

	if (calibrate_run(&o, err, sizeof(err)))
		return json_pack("{s:s}", "error", err);
	return json_object();
}

static json_t *robustness(json_t *job)
{
	const char *text = json_string_value(json_object_get(job, "spec"));
	const char *id = json_string_value(json_object_get(job, "id"));
	json_t *opt = json_object_get(job, "options"), *in = json_object_get(opt, "inputs"), *res;
	size_t n = json_array_size(in);
	const char **inputs = calloc(n ? n : 1, sizeof(*inputs));
	struct spec_error se;
	struct robust_opts o;
	struct spec *sp;
	char err[1024] = "";

	if (!inputs)
		return NULL;
	if (!text || !id || !(sp = spec_parse(text, strlen(text), &se))) {
		free(inputs);
		return json_pack("{s:s}", "error", text && id ? se.msg : "robustness job without spec or id");
	}
	robust_defaults(&o);
	if (json_is_integer(json_object_get(opt, "budget")))
		o.budget = (long)json_integer_value(json_object_get(opt, "budget"));
	if (json_is_number(json_object_get(opt, "tol")))
		o.tol = json_number_value(json_object_get(opt, "tol"));
	o.metric = json_string_value(json_object_get(opt, "metric"));
	o.baseline = json_string_value(json_object_get(opt, "baseline"));
	for (size_t i = 0; i < n; i++)
		inputs[i] = json_string_value(json_array_get(in, i));
	o.inputs = inputs;
	o.ninputs = n;
	o.jobs = 2;
	o.progress = on_progress;
	res = robustness_json(sp, id, &o, err, sizeof(err));
	spec_free(sp);
	free(inputs);
	return res ? json_pack("{s:o}", "result", res) : json_pack("{s:s}", "error", err);
}

void worker_task(json_t *job)
{
	switch (kind_of(json_string_value(json_object_get(job, "kind")))) {
	case TASK_COLLECTORS:
		answer(collectors_list_json());
		break;
	case TASK_PROBE:
		answer(probe(json_object_get(job, "events")));
		break;
	case TASK_CALIBRATE:
		answer(calibrate(job));
		break;
	case TASK_ROBUSTNESS:
		answer(robustness(job));
		break;
	default:
		answer(json_pack("{s:s}", "error", "worker: unknown task kind"));
	}
}
