/*
 * worker.c - runs in a process of their own (svabenchd --worker), so a
 * crash or hang of a target never takes the daemon down. A worker stays:
 * it reads one job per line on stdin and runs them in turn until stdin
 * ends; samples (binary frames: values in the order of names sent once)
 * and each result (JSON) leave on stdout; the daemon is the only one to
 * write the store. Binary samples spare both sides printing and parsing
 * ~70 doubles per sample, which cost more than the simulation itself.
 *
 * The worker expands the experiment's spec itself with spec_parse and runs
 * plan entry `index`, the same code path as `svabench run --offline` (which
 * also runs many runs in one process), so a daemon run and an offline run
 * of the same spec agree. The last spec parsed is kept: the scheduler sends
 * a spec's text only when it differs from the one this worker holds.
 * Collectors (and libpfm4) are initialised only by a spec that collects,
 * at most once per worker; each result says whether libpfm4 was.
 */
#include "daemon.h"
#include "../lib/util.h"
#include "../collectors/collectors.h"
#include "task.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_MAX ((size_t)SPEC_MAX_BYTES * 2 + 4096)

/*
 * Lines come from the run and from the counter sampler's thread. Every
 * frame is written whole under out_mu (frame format in daemon.h).
 */
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void frame_head(uint32_t len, char type)
{
	fwrite(&len, sizeof(len), 1, stdout);
	fputc(type, stdout);
}

void worker_emit(json_t *line)
{
	char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;

	json_decref(line);
	if (!text)
		return;
	pthread_mutex_lock(&out_mu);
	frame_head((uint32_t)strlen(text), WF_JSON);
	fputs(text, stdout);
	pthread_mutex_unlock(&out_mu);
	free(text);
}

/* The names last sent per stream: a frame sends only values in their order. */
static struct sent_names {
	char (*names)[METRIC_NAME_MAX];
	size_t n;
} sent[3];

static int same_names(const struct sent_names *s, const struct metrics *m)
{
	if (s->n != m->n)
		return 0;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(s->names[i], m->v[i].name))
			return 0;
	return 1;
}

/*
 * One frame of values of stream (0 the target's samples, 1 the counters',
 * 2 a run's final metrics), preceded by the stream's names when they
 * changed: type WF_SAMPLE (u64 t_ns) or WF_FINAL (u64 run id).
 */
static void emit_values(unsigned char stream, char type, uint64_t u64, const struct metrics *m)
{
	struct sent_names *s = &sent[stream];

	pthread_mutex_lock(&out_mu);
	if (!same_names(s, m)) {
		void *v = realloc(s->names, (m->n ? m->n : 1) * sizeof(*s->names));
		uint32_t len = 1;

		if (!v) {
			pthread_mutex_unlock(&out_mu);
			return;
		}
		s->names = v;
		s->n = m->n;
		for (size_t i = 0; i < m->n; i++) {
			snprintf(s->names[i], METRIC_NAME_MAX, "%s", m->v[i].name);
			len += (uint32_t)strlen(s->names[i]) + 1;
		}
		frame_head(len, WF_NAMES);
		fputc(stream, stdout);
		for (size_t i = 0; i < m->n; i++)
			fwrite(s->names[i], strlen(s->names[i]) + 1, 1, stdout);
	}
	frame_head((uint32_t)(1 + sizeof(u64) + m->n * sizeof(double)), type);
	fputc(stream, stdout);
	fwrite(&u64, sizeof(u64), 1, stdout);
	for (size_t i = 0; i < m->n; i++) {
		double v = m->v[i].is_null ? NAN : m->v[i].value;

		fwrite(&v, sizeof(v), 1, stdout);
	}
	pthread_mutex_unlock(&out_mu);
}

static void on_sample(void *ctx, uint64_t t_ns, const struct metrics *m)
{
	(void)ctx;
	emit_values(0, WF_SAMPLE, t_ns, m);
}

/* Counter samples: wall-clock ns since the run started, perf.* names. */
static void on_counters(void *ctx, uint64_t wall_ns, const struct metrics *m)
{
	(void)ctx;
	emit_values(1, WF_SAMPLE, wall_ns, m);
}

/*
 * A run's final metrics as a WF_FINAL frame (NaN: null). A value JSON
 * cannot hold (NaN, infinity) is left out, as json_real refuses it; the
 * rare set with one goes as a copy without it (its names sent anew).
 */
static void emit_final(json_int_t run, const struct metrics *m)
{
	struct metrics *f = NULL;

	for (size_t i = 0; i < m->n; i++)
		if (!m->v[i].is_null && !isfinite(m->v[i].value) && !f) {
			f = metrics_new();
			for (size_t j = 0; j < m->n; j++)
				if (m->v[j].is_null || isfinite(m->v[j].value))
					metrics_append(f, m->v[j].name, m->v[j].value, m->v[j].is_null);
		}
	emit_values(2, WF_FINAL, (uint64_t)run, f ? f : m);
	metrics_free(f);
}

/*
 * The end of a run: its final metrics (WF_FINAL, when there are any),
 * then its result and what this worker is (WF_JSON; "metrics" only when
 * the run has none: {}).
 */
static void result(json_int_t run, const char *status, const char *reason,
		   const struct metrics *m, json_t *examples, int runs)
{
	int binary = m && m->n;

	if (binary)
		emit_final(run, m);
	worker_emit(json_pack("{s:{s:I,s:s,s:s?,s:o*,s:o},s:{s:b,s:i}}", "result", "run", run,
			      "status", status, "reason", reason, "metrics",
			      binary ? NULL : json_object(), "examples",
			      examples ? examples : json_array(), "worker", "libpfm",
			      collectors_pfm_initialized(), "runs", runs));
	fflush(stdout);
}

/* The spec this worker holds, by the experiment it belongs to. */
struct held {
	char exp[32];
	struct spec *sp;
};

/* One job: {"run": id, "exp": "e1", "index": n[, "spec": text]}. */
static void run_job(json_t *job, struct held *h, int runs)
{
	const char *spec_text = NULL, *exp = NULL;
	json_int_t index = -1, run = 0;
	struct spec_error serr;
	struct metrics *m;
	struct run_result res = {0};
	struct run_sink sink = {.ctx = NULL, .sample = on_sample};
	struct collect_sink csink = {NULL, on_counters};
	struct run_req req;
	const struct run_plan *rp;
	char reason[600];
	json_t *ex;
	int rc;

	if (!job || json_unpack(job, "{s:I,s:s,s:I,s?s}", "run", &run, "exp", &exp, "index", &index,
				"spec", &spec_text)) {
		result(run, "failed", "worker: malformed job on stdin", NULL, NULL, runs);
		return;
	}
	if (spec_text) {
		spec_free(h->sp);
		h->sp = spec_parse(spec_text, strlen(spec_text), &serr);
		snprintf(h->exp, sizeof(h->exp), "%s", h->sp ? exp : "");
		if (!h->sp) {
			snprintf(reason, sizeof(reason),
				 "worker: the stored spec no longer parses: %s", serr.msg);
			result(run, "failed", reason, NULL, NULL, runs);
			return;
		}
	}
	if (!h->sp || strcmp(h->exp, exp)) {
		result(run, "failed", "worker: job without the spec of its experiment", NULL, NULL,
		       runs);
		return;
	}
	if (index < 0 || (size_t)index >= h->sp->nruns) {
		result(run, "failed", "worker: run index out of the plan", NULL, NULL, runs);
		return;
	}
	rp = &h->sp->runs[index];
	m = metrics_new();
	res.metrics = m;
	req = (struct run_req){h->sp->workload, rp->strategy, rp->params, rp->seed};
	rc = run_collected(h->sp, &req, &sink, &csink, &res);
	ex = json_array();
	for (int i = 0; i < res.nexamples; i++)
		json_array_append_new(ex, json_string(res.examples[i]));
	result(run, rc ? "failed" : "done", rc ? res.reason : NULL, m, ex, runs);
	metrics_free(m);
}

int worker_main(void)
{
	struct held h = {"", NULL};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int runs = 0;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		json_t *job;

		if ((size_t)n > JOB_MAX) {
			result(0, "failed", "worker: job longer than the largest spec allows", NULL,
			       NULL, runs);
			continue;
		}
		job = json_loadb(line, (size_t)n, 0, NULL);
		if (json_is_string(json_object_get(job, "kind")))
			worker_task(job); /* probing, calibration, robustness (task.c) */
		else
			run_job(job, &h, ++runs);
		json_decref(job);
	}
	free(line);
	spec_free(h.sp);
	free(sent[0].names);
	free(sent[1].names);
	free(sent[2].names);
	return 0;
}
