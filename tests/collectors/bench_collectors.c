/*
 * bench_collectors.c - what sampling costs: one sample (a group read of
 * four software events, the mean of 100k reads) against the 2 us goal, and
 * the CPU a sampling thread takes at 1 kHz for 2 s (its
 * CLOCK_THREAD_CPUTIME_ID over the wall time) against the 1 % goal, beside
 * the same 1 kHz loop without reads: in a VM the timer wake-ups alone can
 * cost more than the reads. Also, for scale, a read that adds
 * vmstat:pgfault (procfs re-reads /proc/vmstat).
 *
 *   build/tests/collectors/bench_collectors
 */
#include "../../collectors/collectors.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READS 100000

static const char *const soft[] = { "faults", "minor-faults", "task-clock", "context-switches" };

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Mean seconds per collector_read of names over READS reads; -1 when something is unavailable. */
static double read_cost(const char *const *names, size_t n)
{
	struct collector_set *cs = collector_open(names, n, 0, "", "");
	double t0, t;
	size_t i;

	if (!cs)
		return -1;
	for (i = 0; i < n; i++) {
		if (!collector_event(cs, i)->available) {
			fprintf(stderr, "%s: %s\n", names[i], collector_event(cs, i)->reason);
			collector_close(cs);
			return -1;
		}
	}
	collector_start(cs);
	for (i = 0; i < 1000; i++)
		collector_read(cs);
	t0 = now_s(CLOCK_MONOTONIC);
	for (i = 0; i < READS; i++)
		collector_read(cs);
	t = (now_s(CLOCK_MONOTONIC) - t0) / READS;
	collector_stop(cs);
	collector_close(cs);
	return t;
}

struct sampler {
	struct collector_set *cs;
	double seconds, cpu, wall;
	long samples, late;
};

/* Reads the set (if any) every millisecond on an absolute clock for s->seconds. */
static void *sample_loop(void *arg)
{
	struct sampler *s = arg;
	struct timespec next, now;
	double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
	long ticks = (long)(s->seconds * 1000), i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < ticks; i++) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (s->cs)
			collector_read(s->cs);
		s->samples++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec - next.tv_nsec > 1000000))
			s->late++;
	}
	s->cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	s->wall = now_s(CLOCK_MONOTONIC) - w0;
	return NULL;
}

int main(void)
{
	const char *with_proc[5];
	struct sampler s, base;
	pthread_t th;
	double t;

	t = read_cost(soft, 4);
	if (t < 0) {
		fprintf(stderr, "bench_collectors: the software events cannot be opened here\n");
		return 1;
	}
	printf("collector group read: %.2f us per read (goal <= 2 us)\n", t * 1e6);

	memcpy(with_proc, soft, sizeof(soft));
	with_proc[4] = "vmstat:pgfault";
	t = read_cost(with_proc, 5);
	if (t >= 0)
		printf("  with vmstat:pgfault too: %.2f us per read (procfs re-reads /proc/vmstat)\n",
		       t * 1e6);

	memset(&base, 0, sizeof(base));
	base.seconds = 2.0;
	if (pthread_create(&th, NULL, sample_loop, &base) != 0)
		return 1;
	pthread_join(th, NULL);

	memset(&s, 0, sizeof(s));
	s.seconds = 2.0;
	s.cs = collector_open(soft, 4, 0, "", "");
	if (!s.cs)
		return 1;
	collector_start(s.cs);
	if (pthread_create(&th, NULL, sample_loop, &s) != 0) {
		collector_close(s.cs);
		return 1;
	}
	pthread_join(th, NULL);
	collector_stop(s.cs);
	collector_close(s.cs);
	printf("sampling at 1 kHz: %.3f %% of one CPU (goal <= 1 %%)\n", 100.0 * s.cpu / s.wall);
	printf("  %ld samples in %.2f s, %ld more than 1 ms late; the same 1 kHz loop without "
	       "reads: %.3f %%\n", s.samples, s.wall, s.late, 100.0 * base.cpu / base.wall);
	return 0;
}
