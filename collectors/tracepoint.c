/*
 * tracepoint.c - the tracepoint source: "SYS:EV" -> tracefs
 * events/SYS/EV/id -> PERF_TYPE_TRACEPOINT (libpfm4 finds tracepoints only
 * under a mounted debugfs, so svabench reads tracefs itself).
 *
 * tracefs is looked for at <root>/sys/kernel/tracing, then at
 * <root>/sys/kernel/debug/tracing. On the real root, as root, when neither
 * is mounted, svabench mounts tracefs at /sys/kernel/tracing once (what
 * `mount -t tracefs nodev /sys/kernel/tracing` does).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "internal.h"

#define TRACEFS_HINT "tracefs is not mounted (as root: mount -t tracefs nodev /sys/kernel/tracing)"

/* The tracepoints svabench cares about besides the iommu and dma systems. */
static const char *const named[] = {
	"exceptions:page_fault_user", "exceptions:page_fault_kernel", "tlb:tlb_flush",
};
/* Mainline iommu tracepoints, listed when tracefs cannot be read. */
static const char *const iommu_named[] = {
	"iommu:add_device_to_group", "iommu:remove_device_from_group",
	"iommu:attach_device_to_domain", "iommu:map", "iommu:unmap", "iommu:io_page_fault",
};

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

int tracepoint_name(const char *name)
{
	const char *colon = strchr(name, ':');
	const char *p;

	if (!colon || colon == name || !colon[1] || strchr(colon + 1, ':'))
		return 0;
	if (name[0] == '.' || colon[1] == '.')  /* never "..", never a hidden entry */
		return 0;
	for (p = name; *p; p++)
		if (p != colon && !word_char(*p))
			return 0;
	return 1;
}

static int is_dir(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	errno = ENOTDIR;  /* no stale EACCES for events_dir */
	return S_ISDIR(st.st_mode);
}

static int real_root(const char *root)
{
	return !root || !root[0] || strcmp(root, "/") == 0;
}

static pthread_once_t mount_once = PTHREAD_ONCE_INIT;

static void mount_tracefs(void)
{
	if (geteuid() == 0 && is_dir("/sys/kernel/tracing"))
		(void)mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

/*
 * Finds <tracefs>/events into dir: 0; -1 when tracefs is not mounted; -2
 * when it is not readable by this user (dir then names where).
 */
static int events_dir(const char *root, char *dir, size_t len)
{
	static const char *const where[] = {
		"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events",
	};
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
			cl_path(dir, len, root, where[i]);
			if (is_dir(dir))
				return 0;
			if (errno == EACCES) {
				cl_path(dir, len, root, i == 0 ? "/sys/kernel/tracing" :
					"/sys/kernel/debug");
				return -2;
			}
		}
		if (pass == 0 && real_root(root))
			pthread_once(&mount_once, mount_tracefs);
		else
			break;
	}
	return -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The tracepoints of one system (subdirectories of events/SYS), sorted; the
 * caller frees each and the array. NULL with *n = 0 when none or on OOM.
 */
static char **system_events(const char *sysdir, size_t *n)
{
	char path[PATH_MAX], **v = NULL, **nv;
	struct dirent *d;
	size_t cap = 0;
	DIR *dp;

	*n = 0;
	dp = opendir(sysdir);
	if (!dp)
		return NULL;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		cl_path(path, sizeof(path), sysdir, d->d_name);
		if (!is_dir(path))  /* enable, filter */
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[*n] = strdup(d->d_name);
		if (!v[*n])
			break;
		(*n)++;
	}
	closedir(dp);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Splits "SYS:EV" into sys and ev; -1 when it does not fit. */
static int split(const char *name, char *sys, size_t slen, char *ev, size_t elen)
{
	const char *colon = strchr(name, ':');
	size_t n;

	if (!colon)
		return -1;
	n = (size_t)(colon - name);
	if (n >= slen || strlen(colon + 1) >= elen)
		return -1;
	memcpy(sys, name, n);
	sys[n] = '\0';
	strcpy(ev, colon + 1);
	return 0;
}

/* Writes why tracefs cannot be used when rc (events_dir's) says so: 1, else 0. */
static int no_tracefs(int rc, const char *dir, char *reason, size_t rlen)
{
	if (rc == -1)
		cl_reason(reason, rlen, TRACEFS_HINT);
	else if (rc == -2)
		cl_reason(reason, rlen,
			  "tracefs is readable by root only here (%s): run as root, or give this "
			  "user access to it", dir);
	return rc < 0;
}

int tracepoint_system_exists(const char *name, const char *sysfs_root)
{
	char dir[PATH_MAX], sys[COLLECTOR_NAME_MAX], ev[COLLECTOR_NAME_MAX], path[PATH_MAX];

	if (!tracepoint_name(name) || split(name, sys, sizeof(sys), ev, sizeof(ev)) < 0 ||
	    events_dir(sysfs_root, dir, sizeof(dir)) < 0)
		return 0;
	cl_path(path, sizeof(path), dir, sys);
	return is_dir(path);
}

/* "no tracepoint SYS:EV; tracepoints of SYS: a, b, ..." */
static void missing_reason(const char *name, const char *sys, const char *sysdir, char *reason,
			   size_t rlen)
{
	size_t n, i, used;
	char **v = system_events(sysdir, &n);

	cl_reason(reason, rlen, "no tracepoint %s; tracepoints of %s:", name, sys);
	for (i = 0; i < n; i++) {
		used = strlen(reason);
		if (used + strlen(v[i]) + 6 >= rlen) {
			cl_reason(reason + used, rlen - used, " ...");
			break;
		}
		cl_reason(reason + used, rlen - used, "%s %s", i ? "," : "", v[i]);
	}
	if (n == 0)
		cl_reason(reason + strlen(reason), rlen - strlen(reason), " none");
	free_names(v, n);
}

int tracepoint_encode(const char *name, const char *sysfs_root, struct perf_event_attr *attr,
		      char *reason, size_t rlen)
{
	char dir[PATH_MAX], sys[COLLECTOR_NAME_MAX], ev[COLLECTOR_NAME_MAX];
	char sysdir[PATH_MAX], evdir[PATH_MAX], path[PATH_MAX], buf[32], *end;
	unsigned long long id;

	if (!tracepoint_name(name) || split(name, sys, sizeof(sys), ev, sizeof(ev)) < 0) {
		cl_reason(reason, rlen, "'%s' is not a tracepoint name (SYS:EV)", name);
		return -1;
	}
	if (no_tracefs(events_dir(sysfs_root, dir, sizeof(dir)), dir, reason, rlen))
		return -1;
	cl_path(sysdir, sizeof(sysdir), dir, sys);
	if (!is_dir(sysdir)) {
		cl_reason(reason, rlen, "no tracepoint system '%s' in tracefs (%s)", sys, dir);
		return -1;
	}
	cl_path(evdir, sizeof(evdir), sysdir, ev);
	if (!is_dir(evdir)) {
		missing_reason(name, sys, sysdir, reason, rlen);
		return -1;
	}
	cl_path(path, sizeof(path), evdir, "id");
	if (cl_read_file(path, buf, sizeof(buf)) < 0) {
		cl_reason(reason, rlen, "cannot read %s: %s%s", path, strerror(errno),
			  errno == EACCES ? " (tracefs is readable by root only here)" : "");
		return -1;
	}
	errno = 0;
	id = strtoull(buf, &end, 10);
	if (errno || end == buf || *end) {
		cl_reason(reason, rlen, "bad tracepoint id '%s' in %s", buf, path);
		return -1;
	}
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->type = PERF_TYPE_TRACEPOINT;
	attr->config = id;
	return 0;
}

/*
 * Closing a tracepoint's perf event waits for an RCU grace period (~35 ms
 * in a VM), so opening each of the ~30 listed would take a second: one is
 * opened, and its result (the permission to count tracepoints here) stands
 * for every other whose id tracefs has.
 */
struct probe {
	int done, available;
	char reason[256];
};

static void list_one(struct cl_list *l, const char *name, const char *sysfs_root, struct probe *pr)
{
	struct perf_event_attr attr;
	char reason[256];

	if (tracepoint_encode(name, sysfs_root, &attr, reason, sizeof(reason)) < 0) {
		cl_list_add(l, name, "tracepoint", 0, reason);
		return;
	}
	if (pr->done) {
		cl_list_add(l, name, "tracepoint", pr->available, pr->reason);
		return;
	}
	cl_list_probe(l, name, 0, sysfs_root, "");
	if (l->n > 0 && strcmp(l->ev[l->n - 1].name, name) == 0) {
		pr->done = 1;
		pr->available = l->ev[l->n - 1].available;
		memcpy(pr->reason, l->ev[l->n - 1].reason, sizeof(pr->reason));
	}
}

/* Lists every tracepoint of sys (or nothing when tracefs lacks it). */
static void list_system(struct cl_list *l, const char *dir, const char *sys, const char *sysfs_root,
			struct probe *pr)
{
	char sysdir[PATH_MAX], name[COLLECTOR_NAME_MAX], reason[256];
	size_t n, i;
	char **v;

	cl_path(sysdir, sizeof(sysdir), dir, sys);
	if (!is_dir(sysdir)) {
		cl_reason(name, sizeof(name), "%s:*", sys);
		cl_reason(reason, sizeof(reason), "no tracepoint system '%s' in tracefs (%s)", sys, dir);
		cl_list_add(l, name, "tracepoint", 0, reason);
		return;
	}
	v = system_events(sysdir, &n);
	for (i = 0; i < n; i++) {
		if (snprintf(name, sizeof(name), "%s:%s", sys, v[i]) >= (int)sizeof(name))
			continue;
		list_one(l, name, sysfs_root, pr);
	}
	free_names(v, n);
}

void tracepoint_list(struct cl_list *l, const char *sysfs_root)
{
	char dir[PATH_MAX], reason[256];
	struct probe pr = { 0, 0, "" };
	size_t i;

	if (no_tracefs(events_dir(sysfs_root, dir, sizeof(dir)), dir, reason, sizeof(reason))) {
		for (i = 0; i < sizeof(iommu_named) / sizeof(iommu_named[0]); i++)
			cl_list_add(l, iommu_named[i], "tracepoint", 0, reason);
		for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
			cl_list_add(l, named[i], "tracepoint", 0, reason);
		return;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		list_one(l, named[i], sysfs_root, &pr);
	list_system(l, dir, "iommu", sysfs_root, &pr);
	list_system(l, dir, "dma", sysfs_root, &pr);
}
