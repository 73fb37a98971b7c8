/*
 * worker.c - one run in its own process (svabenchd --worker), so a crash or
 * hang of a target never takes the daemon down. The job arrives on stdin,
 * samples and the result leave on stdout as JSON lines; the daemon is the
 * only one to write the store.
 *
 * The worker expands the experiment's spec itself with spec_parse and runs
 * plan entry `index`, the same code path as `svabench run --offline`, so a
 * daemon run and an offline run of the same spec agree.
 */
#include "daemon.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_MAX ((size_t)SPEC_MAX_BYTES * 2 + 4096)

static json_t *metrics_json(const struct metrics *m)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < m->n; i++)
		json_object_set_new(o, m->v[i].name,
				    m->v[i].is_null ? json_null() : json_real(m->v[i].value));
	return o;
}

/* Lines come from the run and from the counter sampler's thread. */
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void emit(json_t *line)
{
	pthread_mutex_lock(&out_mu);
	if (line) {
		json_dumpf(line, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	}
	pthread_mutex_unlock(&out_mu);
	json_decref(line);
}

static void on_sample(void *ctx, uint64_t t_ns, const struct metrics *m)
{
	(void)ctx;
	emit(json_pack("{s:{s:I,s:o}}", "sample", "t_ns", (json_int_t)t_ns, "metrics",
		       metrics_json(m)));
}

/* Counter samples: wall-clock ns since the run started, perf.* names. */
static void on_counters(void *ctx, uint64_t wall_ns, const struct metrics *m)
{
	(void)ctx;
	emit(json_pack("{s:{s:I,s:o}}", "collector_sample", "t_ns", (json_int_t)wall_ns, "metrics",
		       metrics_json(m)));
}

static char *read_all(FILE *f, size_t max, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *b = cap >= max ? NULL : realloc(buf, cap * 2);

			if (!b) {
				free(buf);
				return NULL;
			}
			buf = b;
			cap *= 2;
		}
	}
	*len = n;
	return buf;
}

static int fail(const char *fmt, const char *what)
{
	char reason[512];

	snprintf(reason, sizeof(reason), fmt, what);
	emit(json_pack("{s:{s:s,s:s,s:{},s:[]}}", "result", "status", "failed", "reason", reason,
		       "metrics", "examples"));
	fflush(stdout);
	return 1;
}

int worker_main(void)
{
	size_t len;
	char *text = read_all(stdin, JOB_MAX, &len);
	json_error_t jerr;
	json_t *job = text ? json_loadb(text, len, 0, &jerr) : NULL;
	const char *spec_text;
	json_int_t index;
	struct spec_error serr;
	struct spec *sp;
	struct metrics *m;
	struct run_result res = {0};
	struct run_sink sink = {.ctx = NULL, .sample = on_sample};
	struct collect_sink csink = {NULL, on_counters};
	struct run_req req;
	const struct run_plan *rp;
	json_t *ex;
	int rc;

	free(text);
	if (!job || json_unpack(job, "{s:s,s:I}", "spec", &spec_text, "index", &index))
		return fail("worker: malformed job on stdin%s", "");
	sp = spec_parse(spec_text, strlen(spec_text), &serr);
	if (!sp) {
		json_decref(job);
		return fail("worker: the stored spec no longer parses: %s", serr.msg);
	}
	if (index < 0 || (size_t)index >= sp->nruns) {
		spec_free(sp);
		json_decref(job);
		return fail("worker: run index out of the plan%s", "");
	}
	rp = &sp->runs[index];
	m = metrics_new();
	res.metrics = m;
	req = (struct run_req){sp->workload, rp->strategy, rp->params, rp->seed};
	rc = run_collected(sp, &req, &sink, &csink, &res);
	ex = json_array();
	for (int i = 0; i < res.nexamples; i++)
		json_array_append_new(ex, json_string(res.examples[i]));
	emit(json_pack("{s:{s:s,s:s?,s:o,s:o}}", "result", "status", rc ? "failed" : "done",
		       "reason", rc ? res.reason : NULL, "metrics", metrics_json(m), "examples", ex));
	fflush(stdout);
	metrics_free(m);
	spec_free(sp);
	json_decref(job);
	return 0;
}
