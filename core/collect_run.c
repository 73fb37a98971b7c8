/*
 * collect_run.c - one run with the spec's counters around it: the
 * collectors are opened for the running thread (and, inherited, whatever it
 * starts), sampled every collect.interval_ms by a second thread while the
 * target runs, and their final raw counts become perf.<event> metrics with
 * .enabled_ns and .running_ns. An event this machine cannot count is a
 * null metric, and the experiment's host.collectors says why
 * (collectors_probe_json); the run goes on. A target that marks its timed
 * spans (run_sink.window) is counted over those spans only: counting stops
 * outside them, and what was counted before the first span is subtracted.
 */
#include "core.h"
#include "../collectors/collectors.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sampler {
	struct collector_set *cs;
	const struct collect_sink *out;
	int interval_ms;
	uint64_t t0;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
};

/* The sink the target sees: the caller's, plus the counting window. */
struct windowed {
	const struct run_sink *inner;
	struct sampler *sm;
	int seen;                      /* the target called window() */
	struct collector_event *base;  /* counts before its first span */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* perf.<event>, .enabled_ns, .running_ns for every event of the set. */
static void put_counts(struct collector_set *cs, struct metrics *m)
{
	char name[METRIC_NAME_MAX + 64];

	for (size_t i = 0; i < collector_count(cs); i++) {
		const struct collector_event *e = collector_event(cs, i);

		snprintf(name, sizeof(name), "perf.%s", e->name);
		if (!e->available) {
			metrics_set_null(m, name);
			continue;
		}
		metrics_set(m, name, (double)e->value);
		snprintf(name, sizeof(name), "perf.%s.enabled_ns", e->name);
		metrics_set(m, name, (double)e->enabled_ns);
		snprintf(name, sizeof(name), "perf.%s.running_ns", e->name);
		metrics_set(m, name, (double)e->running_ns);
	}
}

static void *sample_loop(void *arg)
{
	struct sampler *sm = arg;
	struct metrics *m = metrics_new();
	struct timespec until;

	pthread_mutex_lock(&sm->mu);
	clock_gettime(CLOCK_MONOTONIC, &until);
	while (m && !sm->stop) {
		until.tv_nsec += (long)sm->interval_ms * 1000000L;
		while (until.tv_nsec >= 1000000000L) {
			until.tv_nsec -= 1000000000L;
			until.tv_sec++;
		}
		while (!sm->stop && pthread_cond_timedwait(&sm->cv, &sm->mu, &until) == 0)
			;
		if (sm->stop)
			break;
		if (!sm->cs)
			continue; /* not opened yet */
		/* under the lock: the target's first window() reads the same set */
		if (collector_read(sm->cs) == 0) {
			metrics_clear(m);
			put_counts(sm->cs, m);
			sm->out->sample(sm->out->ctx, mono_ns() - sm->t0, m);
		}
	}
	pthread_mutex_unlock(&sm->mu);
	metrics_free(m);
	return NULL;
}

static void fwd_sample(void *ctx, uint64_t t_ns, const struct metrics *m)
{
	struct windowed *w = ctx;

	if (w->inner && w->inner->sample)
		w->inner->sample(w->inner->ctx, t_ns, m);
}

static void fwd_progress(void *ctx, double frac)
{
	struct windowed *w = ctx;

	if (w->inner && w->inner->progress)
		w->inner->progress(w->inner->ctx, frac);
}

/* Counting on inside the target's timed spans only. */
static void on_window(void *ctx, int on)
{
	struct windowed *w = ctx;
	struct collector_set *cs = w->sm->cs;

	if (!cs)
		return;
	if (!w->seen) {
		size_t n = collector_count(cs);

		w->seen = 1;
		pthread_mutex_lock(&w->sm->mu);
		collector_stop(cs);
		w->base = calloc(n ? n : 1, sizeof(*w->base));
		if (w->base && collector_read(cs) == 0)
			for (size_t i = 0; i < n; i++)
				w->base[i] = *collector_event(cs, i);
		pthread_mutex_unlock(&w->sm->mu);
	}
	/* under the lock: the sampler reads the set (procfs state) meanwhile */
	pthread_mutex_lock(&w->sm->mu);
	if (on)
		collector_start(cs);
	else
		collector_stop(cs);
	pthread_mutex_unlock(&w->sm->mu);
}

/* The final counts minus those before the first window (unsigned, never below 0). */
static void subtract_base(struct collector_set *cs, const struct collector_event *base, struct metrics *m)
{
	char name[METRIC_NAME_MAX + 64];

	for (size_t i = 0; base && i < collector_count(cs); i++) {
		const struct collector_event *e = collector_event(cs, i);
		const struct collector_event *b = &base[i];

		if (!e->available)
			continue;
		snprintf(name, sizeof(name), "perf.%s", e->name);
		metrics_set(m, name, (double)(e->value >= b->value ? e->value - b->value : 0));
		snprintf(name, sizeof(name), "perf.%s.enabled_ns", e->name);
		metrics_set(m, name, (double)(e->enabled_ns >= b->enabled_ns ? e->enabled_ns - b->enabled_ns : 0));
		snprintf(name, sizeof(name), "perf.%s.running_ns", e->name);
		metrics_set(m, name, (double)(e->running_ns >= b->running_ns ? e->running_ns - b->running_ns : 0));
	}
}

int run_collected(const struct spec *sp, const struct run_req *req, const struct run_sink *sink,
		  const struct collect_sink *csink, struct run_result *res)
{
	struct collector_set *cs;
	struct sampler sm = {0};
	struct windowed w = {.inner = sink, .sm = &sm};
	/* a target sees a sample or progress callback only where the caller gave one */
	const struct run_sink wsink = {&w, sink && sink->sample ? fwd_sample : NULL,
				       sink && sink->progress ? fwd_progress : NULL, on_window};
	pthread_t th;
	int rc, sampling = 0;

	if (!sp->ncollect)
		return sp->target->run(req, sink, res);
	sm.out = csink;
	sm.interval_ms = sp->collect_interval_ms;
	sm.t0 = mono_ns();
	pthread_mutex_init(&sm.mu, NULL);
	pthread_cond_init(&sm.cv, NULL);
	/* the sampler exists before the counters open, so inherit does not count it */
	if (csink && csink->sample && pthread_create(&th, NULL, sample_loop, &sm) == 0)
		sampling = 1;
	cs = collector_open(sp->collect, sp->ncollect, 0, "", "");
	if (cs)
		collector_start(cs);
	pthread_mutex_lock(&sm.mu);
	sm.cs = cs;
	pthread_mutex_unlock(&sm.mu);
	rc = sp->target->run(req, &wsink, res);
	if (sampling) {
		pthread_mutex_lock(&sm.mu);
		sm.stop = 1;
		pthread_cond_signal(&sm.cv);
		pthread_mutex_unlock(&sm.mu);
		pthread_join(th, NULL);
	}
	if (cs) {
		collector_stop(cs);
		collector_read(cs);
		put_counts(cs, res->metrics);
		if (w.seen)
			subtract_base(cs, w.base, res->metrics);
		collector_close(cs);
	}
	free(w.base);
	pthread_cond_destroy(&sm.cv);
	pthread_mutex_destroy(&sm.mu);
	return rc;
}

json_t *collectors_probe_json(const struct spec *sp)
{
	if (!sp->ncollect)
		return NULL;
	return collectors_probe_names_json((const char *const *)sp->collect, sp->ncollect);
}

json_t *collectors_probe_names_json(const char *const *names, size_t n)
{
	struct collector_set *cs;
	json_t *a;

	cs = collector_open(names, n, 0, "", "");
	a = json_array();
	for (size_t i = 0; cs && a && i < collector_count(cs); i++) {
		const struct collector_event *e = collector_event(cs, i);

		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:s?}", "name", e->name, "source",
						   e->source, "available", e->available, "reason",
						   e->available ? NULL : e->reason));
	}
	collector_close(cs);
	return a;
}

json_t *collectors_list_json(void)
{
	size_t n = 0;
	struct collector_event *ev = collector_list("", "", &n);
	json_t *a = json_array();

	for (size_t i = 0; ev && a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:s?}", "name", ev[i].name, "source",
						   ev[i].source, "available", ev[i].available,
						   "reason", ev[i].available ? NULL : ev[i].reason));
	collector_list_free(ev);
	return a ? json_pack("{s:o}", "collectors", a) : NULL;
}
