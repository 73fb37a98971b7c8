/*
 * workloads.c - the host target's run: each workload prepares pages, then
 * times exactly the faulting access or the syscall with CLOCK_MONOTONIC in
 * this process, with the perf collectors enabled around that span only.
 * Per-page workloads time one page per operation; range workloads one call.
 * Children forked for a run hold no descriptor of the parent's and are
 * killed, never waited on through a pipe: runs on parallel threads cannot
 * hold each other's pipes open.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "host.h"
#include "../../collectors/collectors.h"
#include "../../lib/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TMPFS_MAGIC_NR 0x01021994

static const char *const events[] = {
	"faults", "minor-faults", "exceptions:page_fault_user", "tlb:tlb_flush",
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

struct ctx {
	const struct run_req *req;
	const struct run_sink *sink;
	struct run_result *res;
	struct collector_set *cs;
	long page;
	size_t pages;           /* range_pages */
	size_t warmup, total;   /* total = warmup + iterations */
	size_t done;            /* operations performed, warmup included */
	int counting;           /* inside a timed span (window_on) */
	int cpu;                /* pinned to, or -1 */
	uint64_t t_start;       /* when the run began */
	uint64_t *lat;          /* iterations latencies, ns */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int fail(struct ctx *c, const char *what)
{
	snprintf(c->res->reason, sizeof(c->res->reason), "%s: %s", what, strerror(errno));
	return -1;
}

/*
 * Counting on for a span of timed operations (after warmup only): the
 * run's own counters and the spec's (sink->window). Spans hold timed
 * operations and the clock reads around them, never preparation.
 */
static void window_on(struct ctx *c)
{
	if (c->counting || c->done < c->warmup)
		return;
	c->counting = 1;
	if (c->sink && c->sink->window)
		c->sink->window(c->sink->ctx, 1);
	if (c->cs)
		collector_start(c->cs);
}

static void window_off(struct ctx *c)
{
	if (!c->counting)
		return;
	c->counting = 0;
	if (c->cs)
		collector_stop(c->cs);
	if (c->sink && c->sink->window)
		c->sink->window(c->sink->ctx, 0);
	if (c->sink && c->sink->progress)
		c->sink->progress(c->sink->ctx, (double)c->done / (double)c->total);
}

static void record(struct ctx *c, uint64_t t0, uint64_t t1)
{
	if (c->done >= c->warmup)
		c->lat[c->done - c->warmup] = t1 - t0;
	c->done++;
	if (!c->counting && c->sink && c->sink->progress && (c->done & 255) == 0)
		c->sink->progress(c->sink->ctx, (double)c->done / (double)c->total);
}

static size_t batch(const struct ctx *c)
{
	size_t left = c->total - c->done;

	return c->pages < left ? c->pages : left;
}

static char *map_anon(struct ctx *c, size_t n)
{
	char *p = mmap(NULL, n * (size_t)c->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, n * (size_t)c->page, MADV_NOHUGEPAGE); /* 4K paths, not THP */
	return p;
}

static void touch(struct ctx *c, char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i * (size_t)c->page] = 1;
}

/* Times the first write to each of n pages. */
static void time_writes(struct ctx *c, volatile char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t0, t1;

		window_on(c);
		t0 = now_ns();
		p[i * (size_t)c->page] = 2;
		t1 = now_ns();
		record(c, t0, t1);
	}
	window_off(c);
}

static int reuse_after_fork(struct ctx *c)
{
	while (c->done < c->total) {
		size_t n = batch(c);
		char *p = map_anon(c, n);
		pid_t pid;

		if (!p)
			return fail(c, "mmap");
		touch(c, p, n);
		pid = fork();
		if (pid < 0) {
			munmap(p, n * (size_t)c->page);
			return fail(c, "fork");
		}
		if (pid == 0)
			_exit(0);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		time_writes(c, p, n); /* write-protected by fork, now exclusive: reused in place */
		munmap(p, n * (size_t)c->page);
	}
	return 0;
}

/*
 * A child that holds the parent's pages shared until it is killed. It keeps
 * no descriptor of the parent's (pipes of other threads' runs, perf
 * counters): closing them is what lets those runs see end-of-file, and
 * nothing here waits for end-of-file anyway. It says it is ready once it
 * has done its own post-fork faults (its stack), so they never overlap the
 * parent's timed writes. 0 with the pid, or -1 (errno set).
 */
static int hold_child(pid_t *out)
{
	int ready[2];
	pid_t pid;
	char b = 0;
	ssize_t r;

	if (pipe2(ready, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	if (pid == 0) {
		int w = ready[1];

		if (w != 3 && dup2(w, 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		while (write(3, &b, 1) < 0 && errno == EINTR)
			;
		close(3);
		for (;;)
			pause();
	}
	close(ready[1]);
	do
		r = read(ready[0], &b, 1);
	while (r < 0 && errno == EINTR);
	close(ready[0]);
	*out = pid;
	return 0;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static int cow_copy(struct ctx *c)
{
	while (c->done < c->total) {
		size_t n = batch(c);
		char *p = map_anon(c, n);
		pid_t pid;

		if (!p)
			return fail(c, "mmap");
		touch(c, p, n);
		if (hold_child(&pid)) {
			munmap(p, n * (size_t)c->page);
			return fail(c, "fork");
		}
		time_writes(c, p, n); /* shared with the child: each first write copies */
		reap(pid);
		munmap(p, n * (size_t)c->page);
	}
	return 0;
}

/*
 * clean (dirty = 0): writeback cleans the pages and write-protects their
 * present PTEs (page_mkclean), then the first writes are timed. dirty: the
 * pages stay dirty in the page cache, MADV_DONTNEED removes their PTEs, then
 * the first writes are timed (a not-present shared write fault).
 */
static int write_notify(struct ctx *c, int dirty)
{
	const char *dir = host_file_dirs[(int)c->req->params[HP_FILE_DIR]];
	char path[4096];
	size_t len = c->pages * (size_t)c->page;
	struct statfs sf;
	char *p;
	int fd;

	if (statfs(dir, &sf) == 0 && sf.f_type == TMPFS_MAGIC_NR) {
		snprintf(c->res->reason, sizeof(c->res->reason),
			 "write-notify: %s is tmpfs, which has no write-notify faults; choose another file_dir", dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/svabench-host-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return fail(c, "write-notify: mkstemp in file_dir");
	unlink(path);
	if (ftruncate(fd, (off_t)len)) {
		close(fd);
		return fail(c, "write-notify: ftruncate");
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return fail(c, "write-notify: mmap");
	}
	/*
	 * No readahead, so the page cache holds one-page folios: with large
	 * folios (ext4 and others since 6.x) a not-present fault maps the whole
	 * folio, and one fault would serve several timed writes.
	 */
	madvise(p, len, MADV_RANDOM);
	touch(c, p, c->pages); /* allocates the blocks once */
	while (c->done < c->total) {
		size_t n = batch(c);

		if (dirty && madvise(p, len, MADV_DONTNEED)) {
			munmap(p, len);
			close(fd);
			return fail(c, "write-notify-dirty: madvise(MADV_DONTNEED)");
		}
		/* writeback cleans the pages and write-protects their PTEs (page_mkclean) */
		if (!dirty && sync_file_range(fd, 0, (off_t)len, SYNC_FILE_RANGE_WAIT_BEFORE |
					      SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) {
			munmap(p, len);
			close(fd);
			return fail(c, "write-notify: sync_file_range");
		}
		time_writes(c, p, n);
	}
	munmap(p, len);
	close(fd);
	return 0;
}

/* A fresh anonymous mapping per batch; the first write to each page allocates and zeroes it. */
static int first_touch(struct ctx *c)
{
	while (c->done < c->total) {
		size_t n = batch(c);
		char *p = map_anon(c, n);

		if (!p)
			return fail(c, "mmap");
		time_writes(c, p, n);
		munmap(p, n * (size_t)c->page);
	}
	return 0;
}

enum range_op { R_MPROTECT, R_MUNMAP, R_DONTNEED };

static int range_calls(struct ctx *c, enum range_op op)
{
	size_t len = c->pages * (size_t)c->page;
	char *p = NULL;

	while (c->done < c->total) {
		uint64_t t0, t1;
		int rc;

		if (!p && !(p = map_anon(c, c->pages)))
			return fail(c, "mmap");
		touch(c, p, c->pages);
		if (op == R_MPROTECT && mprotect(p, len, PROT_READ))
			return fail(c, "mprotect(PROT_READ)");
		window_on(c);
		t0 = now_ns();
		if (op == R_MPROTECT)
			rc = mprotect(p, len, PROT_READ | PROT_WRITE);
		else if (op == R_MUNMAP)
			rc = munmap(p, len);
		else
			rc = madvise(p, len, MADV_DONTNEED);
		t1 = now_ns();
		window_off(c);
		record(c, t0, t1);
		if (rc)
			return fail(c, op == R_MPROTECT ? "mprotect" : op == R_MUNMAP ? "munmap" : "madvise");
		if (op == R_MUNMAP)
			p = NULL;
	}
	if (p)
		munmap(p, len);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank quantile of a sorted array. */
static double quantile(const uint64_t *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n + 0.999999);

	k = k < 1 ? 1 : k > n ? n : k;
	return (double)v[k - 1];
}

static void put_metrics(struct ctx *c, int wl, int bound)
{
	struct metrics *m = c->res->metrics;
	size_t n = c->total - c->warmup;
	int per_page = host_per_page(wl);
	double sum = 0, sq = 0, mean, p50;
	char name[METRIC_NAME_MAX];

	qsort(c->lat, n, sizeof(*c->lat), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)c->lat[i];
	mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += ((double)c->lat[i] - mean) * ((double)c->lat[i] - mean);
	p50 = quantile(c->lat, n, 0.50);
	metrics_set(m, "op.count", (double)n);
	metrics_set(m, "op.latency_ns.p50", p50);
	metrics_set(m, "op.latency_ns.p90", quantile(c->lat, n, 0.90));
	metrics_set(m, "op.latency_ns.p99", quantile(c->lat, n, 0.99));
	metrics_set(m, "op.latency_ns.max", (double)c->lat[n - 1]);
	metrics_set(m, "op.latency_ns.mean", mean);
	/* the run's noise: sample standard deviation over mean of the timed operations */
	metrics_set(m, "op.latency_cv", n > 1 && mean > 0 ? sqrt(sq / (double)(n - 1)) / mean : 0);
	metrics_set(m, "op.timed_ns", sum);
	/* the same, robust to the rare long outlier: interquartile range over median */
	metrics_set(m, "op.latency_rel_iqr", p50 > 0 ? (quantile(c->lat, n, 0.75) - quantile(c->lat, n, 0.25)) / p50 : 0);
	metrics_set(m, "op.per_page_ns.p50", per_page ? p50 : p50 / (double)c->pages);
	metrics_set(m, "op.faults_expected", per_page ? (double)n : 0);
	for (size_t i = 0; i < NEVENTS; i++) {
		const struct collector_event *e = c->cs ? collector_event(c->cs, i) : NULL;

		snprintf(name, sizeof(name), "perf.%s", events[i]);
		if (!e || !e->available) {
			metrics_set_null(m, name);
			continue;
		}
		metrics_set(m, name, (double)e->value);
		snprintf(name, sizeof(name), "perf.%s.enabled_ns", events[i]);
		metrics_set(m, name, (double)e->enabled_ns);
		snprintf(name, sizeof(name), "perf.%s.running_ns", events[i]);
		metrics_set(m, name, (double)e->running_ns);
	}
	metrics_set(m, "host.bound", bound);
	metrics_set(m, "host.cpu", c->cpu);
	metrics_set(m, "host.run_wall_ns", (double)(now_ns() - c->t_start));
	metrics_set(m, "host.page_bytes", (double)c->page);
}

/* Opens the SVA device: the open binds this mm (uacce: SVA queue; idxd: shared WQ). */
static int bind_open(struct ctx *c)
{
	char dev[512], why[512];
	int fd;

	if (host_sva_device("", dev, sizeof(dev), why, sizeof(why))) {
		snprintf(c->res->reason, sizeof(c->res->reason), "strategy \"bound\" needs an SVA device: %.200s", why);
		return -1;
	}
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(c->res->reason, sizeof(c->res->reason), "bound: open %.100s: %.40s%s", dev, strerror(errno),
			 errno == EACCES || errno == EPERM ? " (needs read/write permission on the device node)" : "");
		return -1;
	}
	return fd;
}

/*
 * The run's bookkeeping (its struct ctx and the latencies) lives in pages a
 * forked child does not get (MADV_DONTFORK): writing it inside a timed span
 * after a fork would otherwise break copy-on-write there, and be counted.
 */
static struct ctx *ctx_new(size_t n, size_t *bytes)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t head = (sizeof(struct ctx) + 63) & ~(size_t)63;
	size_t len = (head + n * sizeof(uint64_t) + (size_t)pg - 1) & ~((size_t)pg - 1);
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ctx *c;

	if (m == MAP_FAILED)
		return NULL;
	if (madvise(m, len, MADV_DONTFORK)) {
		munmap(m, len);
		return NULL;
	}
	c = (struct ctx *)(void *)m;
	c->lat = (uint64_t *)(void *)(m + head);
	c->page = pg;
	*bytes = len;
	return c;
}

static int run_workload(struct ctx *c)
{
	switch (c->req->workload) {
	case HW_REUSE_AFTER_FORK: return reuse_after_fork(c);
	case HW_WRITE_NOTIFY: return write_notify(c, 0);
	case HW_WRITE_NOTIFY_DIRTY: return write_notify(c, 1);
	case HW_FIRST_TOUCH: return first_touch(c);
	case HW_COW_COPY: return cow_copy(c);
	case HW_MPROTECT_UPGRADE: return range_calls(c, R_MPROTECT);
	case HW_MUNMAP: return range_calls(c, R_MUNMAP);
	default: return range_calls(c, R_DONTNEED);
	}
}

int host_run(const struct run_req *req, const struct run_sink *sink, struct run_result *res)
{
	size_t iters = (size_t)req->params[HP_ITERATIONS], bytes = 0;
	int bound = req->strategy == HS_BOUND, cpu = (int)req->params[HP_CPU], bfd = -1, rc = -1;
	int smmu = req->strategy == HS_SECONDARY_MMU;
	uint64_t t_start = now_ns();
	struct ctx *c;
	cpu_set_t was, one;
	char why[256];

	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (pthread_getaffinity_np(pthread_self(), sizeof(was), &was) ||
		    pthread_setaffinity_np(pthread_self(), sizeof(one), &one)) {
			snprintf(res->reason, sizeof(res->reason), "cpu %d: cannot pin the run's thread there", cpu);
			return -1;
		}
	}
	c = ctx_new(iters, &bytes);
	if (!c) {
		snprintf(res->reason, sizeof(res->reason), "out of memory for %zu latencies", iters);
		goto out;
	}
	c->req = req;
	c->sink = sink;
	c->res = res;
	c->pages = (size_t)req->params[HP_RANGE_PAGES];
	c->warmup = (size_t)req->params[HP_WARMUP];
	c->total = c->warmup + iters;
	c->cpu = cpu;
	c->t_start = t_start;
	if (bound && (bfd = bind_open(c)) < 0)
		goto out;
	if (smmu && (bfd = host_secondary_mmu_open(why, sizeof(why))) < 0) {
		snprintf(res->reason, sizeof(res->reason), "strategy \"secondary-mmu\": %.200s", why);
		goto out;
	}
	c->cs = collector_open(events, NEVENTS, 0, "", "");
	rc = run_workload(c);
	if (rc == 0) {
		if (c->cs)
			collector_read(c->cs);
		put_metrics(c, req->workload, bound);
		metrics_set(res->metrics, "host.secondary_mmu", smmu);
	}
	collector_close(c->cs);
out:
	if (bfd >= 0)
		close(bfd);
	if (c)
		munmap(c, bytes);
	if (cpu >= 0)
		pthread_setaffinity_np(pthread_self(), sizeof(was), &was);
	return rc;
}
