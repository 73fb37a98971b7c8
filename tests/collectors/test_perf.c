/*
 * test_perf.c - the perf source as a user of `perf stat` sees it: hardware
 * events this machine lacks are reported with perf's reason (and counted
 * where it has them), software events count a workload's page faults, a
 * group reads back one enabled/running for all, an unknown name does not
 * stop the others, children are counted (inherit), stop pauses counting,
 * and errno maps to perf's words.
 */
#include "../harness.h"
#include "../../collectors/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define NPAGES 2000

/* Touches NPAGES fresh anonymous pages: NPAGES minor faults at least. */
static void touch_pages(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;
	int i;

	p = mmap(NULL, (size_t)page * NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		printf("# mmap failed: %s\n", strerror(errno));
		return;
	}
	for (i = 0; i < NPAGES; i++)
		p[(long)i * page] = 1;
	munmap((void *)p, (size_t)page * NPAGES);
}

/* 1 when the kernel counts hardware cycles for this task (user space is enough to tell). */
static int have_hw_pmu(void)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.disabled = 1;
	fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/*
 * Why this process cannot count software events (perf_event_open blocked
 * by a container's seccomp, or paranoid 3+), or NULL when it can.
 */
static const char *no_sw_perf(void)
{
	static char why[128];
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.disabled = 1;
	fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(why, sizeof(why), "perf_event_open of a software event fails here: %s",
		 strerror(errno));
	return why;
}

static void test_hardware(void)
{
	static const char *const names[] = { "cycles", "instructions" };
	struct collector_set *cs = collector_open(names, 2, 0, "", "");
	const struct collector_event *e;
	int hw = have_hw_pmu(), i;
	char what[64];

	test_result(cs != NULL, "hardware events: the set opens", "collector_open returned NULL");
	if (!cs)
		return;
	for (i = 0; i < 2; i++) {
		e = collector_event(cs, (size_t)i);
		snprintf(what, sizeof(what), "%s: %s", names[i],
			 hw ? "available (this machine has a PMU)" : "not supported here, with why");
		if (hw)
			test_result(e->available, what, "unavailable: %s", e->reason);
		else
			test_result(!e->available && strstr(e->reason, "not supported") &&
				    strstr(e->reason, names[i]) && strcmp(e->source, "perf") == 0,
				    what, "available=%d source=%s reason '%s'", e->available,
				    e->source, e->reason);
	}
	test_result(collector_start(cs) == 0 && collector_read(cs) == 0 && collector_stop(cs) == 0,
		    "hardware events: start/read/stop succeed whatever is missing",
		    "a call failed");
	collector_close(cs);
}

static void test_software(void)
{
	static const char *const names[] = { "faults", "minor-faults", "task-clock",
					     "context-switches" };
	const struct collector_event *e[4];
	struct collector_set *cs = collector_open(names, 4, 0, "", "");
	int i, all = 1, consistent = 1, sane = 1;

	test_result(cs && collector_count(cs) == 4, "software events: the set opens",
		    "collector_open returned %p", (void *)cs);
	if (!cs)
		return;
	for (i = 0; i < 4; i++) {
		e[i] = collector_event(cs, (size_t)i);
		if (!e[i]->available) {
			all = 0;
			printf("# %s: %s\n", names[i], e[i]->reason);
		}
	}
	test_result(all, "software events: all four available", "see the reasons above");
	test_result(collector_start(cs) == 0, "software events: start", "ioctl failed");
	touch_pages();
	test_result(collector_stop(cs) == 0, "software events: stop", "ioctl failed");
	test_result(collector_read(cs) == 0, "software events: read", "read failed");
	test_result(e[0]->value >= NPAGES, "faults >= pages touched", "faults %llu < %d",
		    (unsigned long long)e[0]->value, NPAGES);
	test_result(e[1]->value >= NPAGES, "minor-faults >= pages touched",
		    "minor-faults %llu < %d", (unsigned long long)e[1]->value, NPAGES);
	test_result(e[2]->value > 0, "task-clock > 0", "task-clock %llu",
		    (unsigned long long)e[2]->value);
	for (i = 0; i < 4; i++) {
		if (e[i]->running_ns > e[i]->enabled_ns || e[i]->running_ns != e[i]->enabled_ns ||
		    e[i]->enabled_ns == 0)
			sane = 0;
		if (e[i]->enabled_ns != e[0]->enabled_ns || e[i]->running_ns != e[0]->running_ns)
			consistent = 0;
		printf("# %-16s %10llu enabled %llu running %llu\n", names[i],
		       (unsigned long long)e[i]->value, (unsigned long long)e[i]->enabled_ns,
		       (unsigned long long)e[i]->running_ns);
	}
	test_result(sane, "software events: running == enabled > 0 (never multiplexed)",
		    "see the times above");
	test_result(consistent, "group read: one enabled/running for every member",
		    "see the times above");
	test_result(collector_scaled(e[0]->value, e[0]->enabled_ns, e[0]->running_ns) ==
		    (double)e[0]->value, "software events: scaled == raw", "scaled differs");

	/* stopped counters stay put */
	{
		uint64_t before = e[0]->value;

		touch_pages();
		collector_read(cs);
		test_result(e[0]->value == before, "stop pauses counting",
			    "faults went from %llu to %llu while stopped",
			    (unsigned long long)before, (unsigned long long)e[0]->value);
	}
	collector_close(cs);
}

static void test_unknown(void)
{
	static const char *const names[] = { "page-faults", "no-such-event", "perf::PERF_COUNT_SW_PAGE_FAULTS",
					     "cycles:bogus", "alignment-faults", "cs" };
	struct collector_set *cs = collector_open(names, 6, 0, "", "");
	const struct collector_event *e;

	if (!cs) {
		test_result(0, "unknown name: the set opens", "NULL");
		return;
	}
	e = collector_event(cs, 1);
	test_result(!e->available && strstr(e->reason, "unknown event 'no-such-event'") &&
		    strstr(e->reason, "libpfm4: event not found"),
		    "unknown name: reported with libpfm4's reason", "available=%d reason '%s'",
		    e->available, e->reason);
	e = collector_event(cs, 3);
	test_result(!e->available && strstr(e->reason, "cycles:bogus") && strstr(e->reason, "libpfm4"),
		    "bad modifier: libpfm4's reason, not a tracepoint's", "reason '%s'", e->reason);
	test_result(collector_event(cs, 0)->available && collector_event(cs, 2)->available &&
		    collector_event(cs, 4)->available && collector_event(cs, 5)->available,
		    "unknown name: the others open (libpfm4 names and perf aliases)",
		    "page-faults %d perf::PERF_COUNT_SW_PAGE_FAULTS %d alignment-faults %d cs %d",
		    collector_event(cs, 0)->available, collector_event(cs, 2)->available,
		    collector_event(cs, 4)->available, collector_event(cs, 5)->available);
	collector_start(cs);
	touch_pages();
	collector_stop(cs);
	collector_read(cs);
	test_result(collector_event(cs, 0)->value >= NPAGES &&
		    collector_event(cs, 2)->value >= NPAGES,
		    "unknown name: the others count", "page-faults %llu, perf::... %llu",
		    (unsigned long long)collector_event(cs, 0)->value,
		    (unsigned long long)collector_event(cs, 2)->value);
	test_result(collector_event(cs, 1)->value == 0, "unknown name: never read",
		    "value %llu", (unsigned long long)collector_event(cs, 1)->value);
	collector_close(cs);
}

/* Only a group leader may be exclusive: the kernel refuses that member in the group. */
static void test_group_fallback(void)
{
	static const char *const names[] = { "faults", "perf::PERF_COUNT_SW_CPU_CLOCK:excl=1",
					     "minor-faults" };
	struct collector_set *cs = collector_open(names, 3, 0, "", "");
	const struct collector_event *e;

	if (!cs) {
		test_result(0, "group fallback: the set opens", "NULL");
		return;
	}
	e = collector_event(cs, 1);
	test_result(e->available && strstr(e->reason, "counted outside the group of faults"),
		    "group fallback: a member the group refuses counts alone, saying so",
		    "available %d reason '%s'", e->available, e->reason);
	collector_start(cs);
	touch_pages();
	collector_stop(cs);
	collector_read(cs);
	test_result(e->value > 0 && collector_event(cs, 2)->value >= NPAGES &&
		    collector_event(cs, 2)->enabled_ns == collector_event(cs, 0)->enabled_ns,
		    "group fallback: it and the group both count",
		    "cpu-clock %llu, minor-faults %llu", (unsigned long long)e->value,
		    (unsigned long long)collector_event(cs, 2)->value);
	collector_close(cs);
}

/* A child forked while counting is counted too (inherit), once it has exited. */
static void test_inherit(void)
{
	static const char *const names[] = { "minor-faults", "task-clock" };
	struct collector_set *cs = collector_open(names, 2, 0, "", "");
	pid_t child;
	int status;

	if (!cs) {
		test_result(0, "inherit: the set opens", "NULL");
		return;
	}
	collector_start(cs);
	child = fork();
	if (child == 0) {
		touch_pages();
		_exit(0);
	}
	waitpid(child, &status, 0);
	collector_stop(cs);
	collector_read(cs);
	if (perf_task_mode() == PERF_MODE_GROUP_NOINHERIT)
		test_skip("inherit: a child's faults are counted", "this kernel refuses inherit");
	else
		test_result(collector_event(cs, 0)->value >= NPAGES,
			    "inherit: a child's faults are counted", "minor-faults %llu < %d",
			    (unsigned long long)collector_event(cs, 0)->value, NPAGES);
	collector_close(cs);
}

static void test_reasons(void)
{
	struct perf_event_attr hw, sw, tp;
	char r[256];

	memset(&hw, 0, sizeof(hw));
	memset(&sw, 0, sizeof(sw));
	memset(&tp, 0, sizeof(tp));
	sw.type = PERF_TYPE_SOFTWARE;
	tp.type = PERF_TYPE_TRACEPOINT;
	perf_error_reason(ENOENT, "cycles", "perf", &hw, 0, 0, r, sizeof(r));
	test_result(strstr(r, "not supported: cycles") && strstr(r, "no hardware PMU"),
		    "errno: ENOENT is not supported", "'%s'", r);
	perf_error_reason(EOPNOTSUPP, "cycles", "perf", &hw, 0, 0, r, sizeof(r));
	test_result(strncmp(r, "not supported", 13) == 0, "errno: EOPNOTSUPP is not supported",
		    "'%s'", r);
	perf_error_reason(ENXIO, "x", "perf", &sw, 0, 0, r, sizeof(r));
	test_result(strncmp(r, "not supported", 13) == 0, "errno: ENXIO is not supported", "'%s'", r);
	perf_error_reason(ENOSYS, "x", "perf", &sw, 0, 0, r, sizeof(r));
	test_result(strncmp(r, "not supported", 13) == 0, "errno: ENOSYS is not supported", "'%s'", r);
	perf_error_reason(EACCES, "faults", "perf", &sw, 0, 0, r, sizeof(r));
	test_result(strstr(r, "kernel.perf_event_paranoid") && strstr(r, "CAP_PERFMON"),
		    "errno: EACCES names perf_event_paranoid and the capability", "'%s'", r);
	perf_error_reason(EPERM, "faults", "perf", &sw, -1, 0, r, sizeof(r));
	test_result(strstr(r, "kernel.perf_event_paranoid <= 0") && strstr(r, "system-wide"),
		    "errno: EPERM system-wide names paranoid <= 0", "'%s'", r);
	perf_error_reason(EACCES, "iommu:map", "tracepoint", &tp, 0, 0, r, sizeof(r));
	test_result(strstr(r, "kernel.perf_event_paranoid <= 1") != NULL,
		    "errno: EACCES on a tracepoint names paranoid <= 1", "'%s'", r);
	perf_error_reason(EPERM, "faults", "perf", &sw, 0, 1, r, sizeof(r));
	test_result(strstr(r, "although root") && strstr(r, "seccomp"),
		    "errno: EPERM as root points at seccomp / lockdown", "'%s'", r);
	perf_error_reason(EBUSY, "cycles", "perf", &hw, 0, 0, r, sizeof(r));
	test_result(strstr(r, "in use by another tool") != NULL, "errno: EBUSY is in use",
		    "'%s'", r);
	perf_error_reason(EMFILE, "cycles", "perf", &hw, 0, 0, r, sizeof(r));
	test_result(strstr(r, "too many open files") != NULL, "errno: EMFILE is too many open files",
		    "'%s'", r);
}

static void test_list(void)
{
	struct collector_event *l;
	size_t n, i;
	int faults = -1, alias = -1, cycles = -1, tracepoints = 0, pmcg = 0, procfs = 0;

	l = collector_list("", "", &n);
	test_result(l && n > 0, "list: not empty", "NULL or empty");
	for (i = 0; l && i < n; i++) {
		if (strcmp(l[i].name, "page-faults") == 0)
			faults = l[i].available;
		if (strcmp(l[i].name, "faults") == 0)
			alias = l[i].available;
		if (strcmp(l[i].name, "cycles") == 0)
			cycles = l[i].available;
		tracepoints += strcmp(l[i].source, "tracepoint") == 0;
		pmcg += strcmp(l[i].source, "pmcg") == 0;
		procfs += strcmp(l[i].source, "procfs") == 0;
	}
	test_result(faults == 1, "list: page-faults is available", "page-faults %d", faults);
	test_result(alias == 1, "list: its alias faults too", "faults %d", alias);
	test_result(cycles == have_hw_pmu(), "list: cycles is probed by opening it",
		    "listed %d, the kernel says %d", cycles, have_hw_pmu());
	test_result(tracepoints > 0 && pmcg > 0 && procfs > 0,
		    "list: tracepoints, pmcg and procfs sources listed", "%d %d %d", tracepoints,
		    pmcg, procfs);
	collector_list_free(l);
}

/* Open descriptors of this process: a set closed leaves none behind. */
static int open_fds(void)
{
	struct dirent *d;
	DIR *dp = opendir("/proc/self/fd");
	int n = 0;

	while (dp && (d = readdir(dp)) != NULL)
		n += d->d_name[0] != '.';
	if (dp)
		closedir(dp);
	return n;
}

int main(void)
{
	int fds = open_fds();
	const char *why = no_sw_perf();
	static const char *const names[] = { "faults" };
	struct collector_set *cs;

	if (why) {
		/* nothing counts here; what is left to check is that it is said */
		cs = collector_open(names, 1, 0, "", "");
		test_result(cs && !collector_event(cs, 0)->available &&
			    collector_event(cs, 0)->reason[0],
			    "no perf here: faults unavailable, with why", "'%s'",
			    cs ? collector_event(cs, 0)->reason : "NULL");
		collector_close(cs);
		test_skip("software events count page faults", why);
	} else {
		test_hardware();
		test_software();
		test_unknown();
		test_group_fallback();
		test_inherit();
		test_list();
	}
	test_reasons();
	test_result(collector_open(NULL, 0, 0, "", "") == NULL, "empty list: NULL", "not NULL");
	test_result(open_fds() == fds, "every descriptor closed", "%d open, %d at start", open_fds(),
		    fds);
	return test_exit();
}
