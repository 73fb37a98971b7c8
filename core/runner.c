/*
 * runner.c - the offline runner: a spec's runs on a pool of threads, in
 * process. Workers take the next run index; outcomes land in the results by
 * index, so what is printed never depends on scheduling. The caller's thread
 * only waits and reports progress. A target whose runs must not share the
 * machine (target.exclusive: real-kernel timings) gets one worker whatever
 * the jobs asked, and stderr says so.
 */
#include "core.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_MS 100

struct pool {
	struct results *r;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t next;   /* next run to start */
	size_t done;   /* runs finished (stored, or lost to OOM) */
};

int runner_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Runs one plan entry; the outcome is stored under the pool's lock. */
static void run_one(struct pool *pool, size_t i)
{
	const struct spec *s = pool->r->spec;
	const struct run_plan *p = &s->runs[i];
	const struct run_req req = {
		.workload = s->workload,
		.strategy = p->strategy,
		.params = p->params,
		.seed = p->seed,
	};
	const struct run_sink sink = {0};
	struct run_result res = {0};
	enum run_status st = RUN_FAILED;

	res.metrics = metrics_new();
	if (run_collected(s, &req, &sink, NULL, &res) == 0)
		st = RUN_DONE;
	pthread_mutex_lock(&pool->lock);
	results_store(pool->r, i, st, &res);
	pool->done++;
	pthread_cond_signal(&pool->changed);
	pthread_mutex_unlock(&pool->lock);
	metrics_free(res.metrics);
}

static void *worker(void *arg)
{
	struct pool *pool = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pool->lock);
		i = pool->next < pool->r->spec->nruns ? pool->next++ : (size_t)-1;
		pthread_mutex_unlock(&pool->lock);
		if (i == (size_t)-1)
			return NULL;
		run_one(pool, i);
	}
}

static void deadline_in(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits for every run, calling progress each period (lock released). */
static void wait_all(struct pool *pool, const struct runner_opts *o)
{
	size_t total = pool->r->spec->nruns;
	struct timespec ts;

	pthread_mutex_lock(&pool->lock);
	deadline_in(&ts, PROGRESS_MS);
	while (pool->done < total) {
		size_t done;

		if (pthread_cond_timedwait(&pool->changed, &pool->lock, &ts) != ETIMEDOUT)
			continue;
		done = pool->done;
		if (o && o->progress) {
			pthread_mutex_unlock(&pool->lock);
			o->progress(o->ctx, done, total);
			pthread_mutex_lock(&pool->lock);
		}
		deadline_in(&ts, PROGRESS_MS);
	}
	pthread_mutex_unlock(&pool->lock);
}

int runner_run(struct results *r, const struct runner_opts *o,
	       char *msg, size_t mlen)
{
	size_t total = r->spec->nruns;
	int jobs = o && o->jobs > 0 ? o->jobs : runner_default_jobs();
	struct pool pool = {.r = r};
	pthread_t *threads;
	int started = 0, rc = 0;

	if ((size_t)jobs > total)
		jobs = total ? (int)total : 1;
	if (jobs > 1 && r->spec->target->exclusive) {
		fprintf(stderr, "svabench: %s runs are exclusive (timings of the real machine must not share it): "
			"%zu runs one at a time, not %d at once\n", r->spec->target->name, total, jobs);
		jobs = 1;
	}
	threads = xcalloc((size_t)jobs, sizeof(*threads));
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.changed, NULL);
	for (int k = 0; k < jobs; k++) {
		int err = pthread_create(&threads[k], NULL, worker, &pool);

		if (err) {
			if (!started)
				snprintf(msg, mlen, "cannot start a worker thread: %s", strerror(err));
			break;
		}
		started++;
	}
	if (started) {
		wait_all(&pool, o);
		for (int k = 0; k < started; k++)
			pthread_join(threads[k], NULL);
	} else {
		rc = -1;
	}
	if (!rc && o && o->progress)
		o->progress(o->ctx, pool.done, total);
	pthread_cond_destroy(&pool.changed);
	pthread_mutex_destroy(&pool.lock);
	free(threads);
	return rc;
}
