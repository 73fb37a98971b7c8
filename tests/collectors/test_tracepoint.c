/*
 * test_tracepoint.c - tracepoints through tracefs: exceptions:page_fault_user
 * counts a task's page faults; a tracepoint or system tracefs lacks is
 * reported with what exists nearby; no tracefs at all says how to mount
 * it; the id file is what gets counted (a tracefs tree the test builds,
 * under debug/tracing, pointing at the real id).
 */
#include "../harness.h"
#include "../../collectors/collectors.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NPAGES 2000

static void touch_pages(void)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;
	int i;

	p = mmap(NULL, (size_t)page * NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return;
	for (i = 0; i < NPAGES; i++)
		p[(long)i * page] = 1;
	munmap((void *)p, (size_t)page * NPAGES);
}

/* Opens names for this task, touches NPAGES pages between start and stop, reads. */
static struct collector_set *count(const char *const *names, size_t n, const char *sysfs_root)
{
	struct collector_set *cs = collector_open(names, n, 0, sysfs_root, "");

	if (!cs)
		return NULL;
	collector_start(cs);
	touch_pages();
	collector_stop(cs);
	collector_read(cs);
	return cs;
}

static int have_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Set when tracefs is readable but this process may not count tracepoints. */
static int perf_blocked;

static void test_page_faults(void)
{
	static const char *const names[] = { "exceptions:page_fault_user", "tlb:tlb_flush" };
	struct collector_set *cs = count(names, 2, "");
	const struct collector_event *e;

	if (!cs) {
		test_result(0, "page_fault_user: the set opens", "NULL");
		return;
	}
	e = collector_event(cs, 0);
	if (!e->available && (strstr(e->reason, "tracefs") || strstr(e->reason, "permission denied") ||
			      strstr(e->reason, "perf_event_open is not available"))) {
		test_skip("exceptions:page_fault_user counts the task's faults", e->reason);
		perf_blocked = !strstr(e->reason, "tracefs");
	} else if (!e->available && strstr(e->reason, "no tracepoint system 'exceptions'")) {
		test_skip("exceptions:page_fault_user counts the task's faults",
			  "no exceptions tracepoints on this architecture (x86 has them)");
	} else {
		test_result(e->available && strcmp(e->source, "tracepoint") == 0,
			    "exceptions:page_fault_user: available", "source %s reason '%s'",
			    e->source, e->reason);
		test_result(e->value >= NPAGES, "exceptions:page_fault_user counts the task's faults",
			    "%llu < %d", (unsigned long long)e->value, NPAGES);
		test_result(e->enabled_ns > 0 && e->running_ns == e->enabled_ns,
			    "page_fault_user: running == enabled > 0", "enabled %llu running %llu",
			    (unsigned long long)e->enabled_ns, (unsigned long long)e->running_ns);
		e = collector_event(cs, 1);
		if (have_dir("/sys/kernel/tracing/events/tlb"))
			test_result(e->available, "tlb:tlb_flush: available", "'%s'", e->reason);
		printf("# tlb:tlb_flush %llu while touching %d pages\n",
		       (unsigned long long)e->value, NPAGES);
	}
	collector_close(cs);
}

static void test_missing(void)
{
	static const char *const names[] = { "tlb:tlb_flush_nope", "nosuchsystem:ev",
					     "exceptions:page_fault_user" };
	struct collector_set *cs = collector_open(names, 3, 0, "", "");
	const struct collector_event *e;

	if (!cs) {
		test_result(0, "missing tracepoint: the set opens", "NULL");
		return;
	}
	e = collector_event(cs, 0);
	if (!collector_event(cs, 2)->available && strstr(collector_event(cs, 2)->reason, "tracefs")) {
		test_skip("missing tracepoint: named, with its neighbours", e->reason);
	} else {
		test_result(!e->available && strstr(e->reason, "no tracepoint tlb:tlb_flush_nope") &&
			    (!have_dir("/sys/kernel/tracing/events/tlb") ||
			     strstr(e->reason, "tracepoints of tlb: tlb_flush")),
			    "missing tracepoint: named, with its neighbours", "'%s'", e->reason);
		e = collector_event(cs, 1);
		test_result(!e->available &&
			    strstr(e->reason, "no tracepoint system 'nosuchsystem' in tracefs") &&
			    strcmp(e->source, "tracepoint") == 0,
			    "missing system: named", "source %s '%s'", e->source, e->reason);
	}
	collector_close(cs);
}

static void test_fake_tracefs(void)
{
	static const char *const names[] = { "fake:faults" };
	char root[] = "/tmp/svabench-tp-XXXXXX", path[512], id[32];
	struct collector_set *cs;
	const struct collector_event *e;
	FILE *f;

	if (!mkdtemp(root)) {
		test_result(0, "fake tracefs: temp dir", "%s", strerror(errno));
		return;
	}
	/* no tracefs under this root: said so, with the mount command */
	cs = collector_open(names, 1, 0, root, "");
	e = cs ? collector_event(cs, 0) : NULL;
	test_result(e && !e->available &&
		    strstr(e->reason, "tracefs is not mounted (as root: mount -t tracefs nodev "
			   "/sys/kernel/tracing)"),
		    "no tracefs: says how to mount it", "'%s'", e ? e->reason : "NULL set");
	collector_close(cs);

	f = perf_blocked ? NULL : fopen("/sys/kernel/tracing/events/exceptions/page_fault_user/id", "r");
	if (!f || !fgets(id, sizeof(id), f)) {
		if (f)
			fclose(f);
		test_skip("fake tracefs: its id is what is counted",
			  perf_blocked ? "tracepoints cannot be counted here" :
			  "no readable page_fault_user id");
		goto out;
	}
	fclose(f);
	snprintf(path, sizeof(path), "mkdir -p %s/sys/kernel/debug/tracing/events/fake/faults", root);
	if (system(path) != 0) {
		test_result(0, "fake tracefs: build", "mkdir failed");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/sys/kernel/debug/tracing/events/fake/faults/id", root);
	write_file(path, id);
	cs = count(names, 1, root);
	e = cs ? collector_event(cs, 0) : NULL;
	test_result(e && e->available && e->value >= NPAGES,
		    "fake tracefs under debug/tracing: its id is what is counted",
		    "available %d value %llu reason '%s'", e ? e->available : -1,
		    e ? (unsigned long long)e->value : 0ULL, e ? e->reason : "");
	collector_close(cs);
out:
	snprintf(path, sizeof(path), "rm -rf %s", root);
	if (system(path) != 0)
		printf("# could not remove %s\n", root);
}

static void test_list(void)
{
	struct collector_event *l;
	size_t n, i;
	int found = 0;

	l = collector_list("", "", &n);
	for (i = 0; l && i < n; i++)
		if (strcmp(l[i].name, "exceptions:page_fault_user") == 0 &&
		    strcmp(l[i].source, "tracepoint") == 0)
			found = 1;
	test_result(found, "list: exceptions:page_fault_user listed", "not in the list");
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

	test_page_faults();
	test_missing();
	test_fake_tracefs();
	test_list();
	test_result(open_fds() == fds, "every descriptor closed", "%d open, %d at start", open_fds(),
		    fds);
	return test_exit();
}
