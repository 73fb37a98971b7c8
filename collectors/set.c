/*
 * set.c - a collector set: resolves each name through its source, opens
 * the perf-counted ones (perf, tracepoint, pmcg) in one group per PMU and
 * CPU, reads each group with one read(), and keeps raw values with their
 * enabled / running times; procfs counters ride along (procfs.c). Also the
 * event listing and the helpers the sources share.
 *
 * Groups: the core PMU's events (PERF_TYPE_HARDWARE, HW_CACHE, RAW) form
 * one group, software events another, tracepoints another, each PMCG its
 * own, per CPU when counting system-wide. An event the kernel refuses in
 * its group is opened on its own when it can be, and its reason says so.
 * System-wide (pid -1) sums value, enabled and running over the CPUs, as
 * perf stat aggregates them; collector_scaled on the sums is perf's
 * estimate.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

enum { KIND_NONE, KIND_PERF, KIND_PROCFS };
enum { KEY_SOLO = -1, KEY_CPU_PMU = -2 };

/* One perf group on one CPU (or on the task): read with one read(). */
struct group {
	int key, cpu;
	int grouped;     /* PERF_FORMAT_GROUP: one read returns every member */
	size_t n, cap;   /* members, the leader first, in the kernel's order */
	int *fd;
	uint64_t *id;
	size_t *ev;      /* the set's event number of each member */
	uint64_t *buf;   /* read buffer: 3 + 2 n words */
};

struct collector_set {
	struct collector_event *ev;
	int *kind;
	size_t n;
	pid_t pid;
	struct group *g;
	size_t ng, capg;
	struct procfs *procfs;
};

/* What an event resolved to, while the set opens. */
struct slot {
	struct perf_event_attr attr;
	int cpu;           /* the only CPU it may count on (PMCG), or -1 */
	int user_only_ok;  /* may fall back to user space only (core PMU, software) */
	int key;
};

/* ---- helpers shared by the sources ---- */

void cl_reason(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;

	if (!reason || rlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, rlen, fmt, ap);
	va_end(ap);
}

void cl_path(char *buf, size_t len, const char *root, const char *path)
{
	size_t rl = root ? strlen(root) : 0;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	while (*path == '/')
		path++;
	if (!*path)
		cl_reason(buf, len, "%.*s", (int)rl, rl ? root : "/");
	else
		cl_reason(buf, len, "%.*s/%s", (int)rl, rl ? root : "", path);
}

ssize_t cl_read_file(const char *path, char *buf, size_t len)
{
	ssize_t r, got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got + 1 < len) {
		r = read(fd, buf + got, len - 1 - (size_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (r == 0)
			break;
		got += r;
	}
	close(fd);
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		got--;
	buf[got] = '\0';
	return got;
}

int cl_cpulist(const char *s, int *cpus, int max)
{
	long a, b, c;
	int n = 0;
	char *end;

	while (*s && *s != '\n') {
		a = strtol(s, &end, 10);
		if (end == s || a < 0)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		for (c = a; c <= b; c++, n++)
			if (cpus && n < max)
				cpus[n] = (int)c;
		s = end;
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -1;
	}
	return n;
}

void cl_list_add(struct cl_list *l, const char *name, const char *source, int available,
		 const char *reason)
{
	struct collector_event *e, *nv;

	if (l->n == l->cap) {
		nv = realloc(l->ev, (l->cap ? l->cap * 2 : 64) * sizeof(*nv));
		if (!nv) {
			l->oom = 1;
			return;
		}
		l->ev = nv;
		l->cap = l->cap ? l->cap * 2 : 64;
	}
	e = &l->ev[l->n++];
	memset(e, 0, sizeof(*e));
	cl_reason(e->name, sizeof(e->name), "%s", name);
	cl_reason(e->source, sizeof(e->source), "%s", source);
	e->available = available;
	cl_reason(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
}

void cl_list_probe(struct cl_list *l, const char *name, pid_t pid, const char *sysfs_root,
		   const char *procfs_root)
{
	const char *names[1] = { name };
	struct collector_set *cs;

	cs = collector_open(names, 1, pid, sysfs_root, procfs_root);
	if (!cs) {
		l->oom = 1;
		return;
	}
	cl_list_add(l, cs->ev[0].name, cs->ev[0].source, cs->ev[0].available, cs->ev[0].reason);
	collector_close(cs);
}

/* ---- opening ---- */

/* The CPUs online now, from <root>/sys/devices/system/cpu/online; NULL on OOM. */
static int *online_cpus(const char *sysfs_root, int *n)
{
	char path[PATH_MAX], buf[4096];
	int *cpus;
	long i;

	cl_path(path, sizeof(path), sysfs_root, "/sys/devices/system/cpu/online");
	if (cl_read_file(path, buf, sizeof(buf)) >= 0 && (*n = cl_cpulist(buf, NULL, 0)) > 0) {
		cpus = malloc((size_t)*n * sizeof(*cpus));
		if (cpus)
			cl_cpulist(buf, cpus, *n);
		return cpus;
	}
	*n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (*n < 1)
		*n = 1;
	cpus = malloc((size_t)*n * sizeof(*cpus));
	for (i = 0; cpus && i < *n; i++)
		cpus[i] = (int)i;
	return cpus;
}

/* Resolves name into slot and ev's source / reason: KIND_* or -1 on OOM. */
static int resolve(struct collector_set *cs, size_t i, const char *name, struct slot *s,
		   const char *sysfs_root, struct pmcg_pmu **pmcg, size_t *npmcg, int *pmcg_done)
{
	struct collector_event *e = &cs->ev[i];
	char tp_reason[sizeof(e->reason)];
	uint32_t type;
	int rc;

	s->cpu = -1;
	s->key = KEY_SOLO;
	if (procfs_name(name)) {
		cl_reason(e->source, sizeof(e->source), "procfs");
		rc = procfs_add(cs->procfs, i, name, e->reason, sizeof(e->reason));
		return rc == -2 ? -1 : rc == 0 ? KIND_PROCFS : KIND_NONE;
	}
	if (pmcg_name(name)) {
		cl_reason(e->source, sizeof(e->source), "pmcg");
		if (!*pmcg_done) {
			*pmcg = pmcg_discover(sysfs_root, npmcg);
			*pmcg_done = 1;
		}
		memset(&s->attr, 0, sizeof(s->attr));
		if (pmcg_encode(*pmcg, *npmcg, name, &type, &s->attr.config, &s->attr.config1,
				&s->cpu, e->reason, sizeof(e->reason)) < 0)
			return KIND_NONE;
		if (cs->pid != -1) {
			cl_reason(e->reason, sizeof(e->reason),
				  "SMMU events are not attributable to a CPU: system-wide counting "
				  "only (pid -1)");
			return KIND_NONE;
		}
		s->attr.size = sizeof(s->attr);
		s->attr.type = type;
		s->key = (int)type;
		return KIND_PERF;
	}
	if (tracepoint_name(name) && tracepoint_system_exists(name, sysfs_root)) {
		cl_reason(e->source, sizeof(e->source), "tracepoint");
		if (tracepoint_encode(name, sysfs_root, &s->attr, e->reason, sizeof(e->reason)) < 0)
			return KIND_NONE;
		s->key = PERF_TYPE_TRACEPOINT;
		return KIND_PERF;
	}
	cl_reason(e->source, sizeof(e->source), "perf");
	rc = perf_encode(name, &s->attr, e->reason, sizeof(e->reason));
	if (rc == -1 && tracepoint_name(name)) {
		/* not a libpfm4 name either: say what tracefs lacks */
		if (tracepoint_encode(name, sysfs_root, &s->attr, tp_reason, sizeof(tp_reason)) < 0) {
			cl_reason(e->source, sizeof(e->source), "tracepoint");
			memcpy(e->reason, tp_reason, sizeof(tp_reason));
			return KIND_NONE;
		}
		cl_reason(e->source, sizeof(e->source), "tracepoint");
		s->key = PERF_TYPE_TRACEPOINT;
		return KIND_PERF;
	}
	if (rc < 0)
		return KIND_NONE;
	s->user_only_ok = 1;
	if (s->attr.type == PERF_TYPE_HARDWARE || s->attr.type == PERF_TYPE_HW_CACHE ||
	    s->attr.type == PERF_TYPE_RAW)
		s->key = KEY_CPU_PMU;
	else
		s->key = (int)s->attr.type;
	return KIND_PERF;
}

static struct group *find_group(struct collector_set *cs, int key, int cpu)
{
	size_t i;

	if (key == KEY_SOLO)
		return NULL;
	for (i = 0; i < cs->ng; i++)
		if (cs->g[i].key == key && cs->g[i].cpu == cpu)
			return &cs->g[i];
	return NULL;
}

/* Adds fd (event ev) to g: 0, or -1 on OOM (fd closed). */
static int add_member(struct group *g, int fd, size_t ev)
{
	void *p;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		if (!(p = realloc(g->fd, g->cap * sizeof(*g->fd))))
			goto oom;
		g->fd = p;
		if (!(p = realloc(g->id, g->cap * sizeof(*g->id))))
			goto oom;
		g->id = p;
		if (!(p = realloc(g->ev, g->cap * sizeof(*g->ev))))
			goto oom;
		g->ev = p;
	}
	g->fd[g->n] = fd;
	g->ev[g->n] = ev;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &g->id[g->n]) < 0)
		g->id[g->n] = UINT64_MAX;
	g->n++;
	return 0;
oom:
	close(fd);
	return -1;
}

/* A new group led by fd: the group, or NULL on OOM (fd closed). */
static struct group *new_group(struct collector_set *cs, int key, int cpu, int grouped, int fd,
			       size_t ev)
{
	struct group *g;

	if (cs->ng == cs->capg) {
		g = realloc(cs->g, (cs->capg ? cs->capg * 2 : 4) * sizeof(*g));
		if (!g) {
			close(fd);
			return NULL;
		}
		cs->g = g;
		cs->capg = cs->capg ? cs->capg * 2 : 4;
	}
	g = &cs->g[cs->ng++];
	memset(g, 0, sizeof(*g));
	g->key = key;
	g->cpu = cpu;
	g->grouped = grouped;
	if (add_member(g, fd, ev) < 0) {
		cs->ng--;
		return NULL;
	}
	return g;
}

static int hard_error(int err)
{
	return err == EACCES || err == EPERM || err == EMFILE || err == ENFILE || err == EBUSY;
}

/*
 * Opens event i on each CPU it counts on (the task's, every online CPU,
 * or the PMCG's one). 0, or -1 on OOM.
 */
static int open_event(struct collector_set *cs, size_t i, const struct slot *s,
		      const int *cpus, int ncpu, enum perf_task_mode mode)
{
	struct collector_event *e = &cs->ev[i];
	int one = s->cpu, k, fd, err = 0, opened = 0, failed = 0, failed_cpu = -1, grouped, refused;
	char note[sizeof(e->reason)] = "";
	struct perf_event_attr a;
	struct group *g;

	if (s->cpu >= 0 || cs->pid != -1) {
		cpus = &one;  /* the PMCG's CPU, or -1: the task wherever it runs */
		ncpu = 1;
	}
	grouped = cs->pid == -1 || mode != PERF_MODE_INHERIT_NOGROUP;
	for (k = 0; k < ncpu; k++) {
		a = s->attr;
		a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING |
				PERF_FORMAT_ID | (grouped ? PERF_FORMAT_GROUP : 0);
		a.inherit = cs->pid != -1 && mode != PERF_MODE_GROUP_NOINHERIT;
		g = grouped ? find_group(cs, s->key, cpus[k]) : NULL;
		if (g) {
			a.disabled = 0;  /* members follow their leader */
			fd = perf_open_counter(&a, cs->pid, cpus[k], g->fd[0], s->user_only_ok, note,
					       sizeof(note));
			if (fd >= 0) {
				if (add_member(g, fd, i) < 0)
					return -1;
				opened++;
				continue;
			}
			if (hard_error(-fd)) {
				err = err ? err : -fd;
				failed++;
				failed_cpu = cpus[k];
				continue;
			}
			/* the group refused it: on its own it may still count */
			refused = -fd;
			a = s->attr;
			a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
					PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;
			a.inherit = cs->pid != -1 && mode != PERF_MODE_GROUP_NOINHERIT;
			a.disabled = 1;
			fd = perf_open_counter(&a, cs->pid, cpus[k], -1, s->user_only_ok, note,
					       sizeof(note));
			if (fd >= 0) {
				if (!new_group(cs, KEY_SOLO, cpus[k], 0, fd, i))
					return -1;
				cl_reason(note, sizeof(note),
					  "counted outside the group of %s: the kernel refused it "
					  "there (%s)", cs->ev[g->ev[0]].name, strerror(refused));
				opened++;
				continue;
			}
		} else {
			a.disabled = 1;
			fd = perf_open_counter(&a, cs->pid, cpus[k], -1, s->user_only_ok, note,
					       sizeof(note));
			if (fd >= 0) {
				if (!new_group(cs, grouped ? s->key : KEY_SOLO, cpus[k], grouped, fd, i))
					return -1;
				opened++;
				continue;
			}
		}
		err = err ? err : -fd;
		failed++;
		failed_cpu = cpus[k];
	}
	if (!opened) {
		perf_error_reason(err, e->name, e->source, &s->attr, cs->pid, geteuid() == 0,
				  e->reason, sizeof(e->reason));
		return 0;
	}
	e->available = 1;
	if (failed) {
		cl_reason(e->reason, sizeof(e->reason), "not counted on %d CPU(s), e.g. CPU %d (%s)%s%s",
			  failed, failed_cpu, strerror(err), note[0] ? "; " : "", note);
	} else if (note[0]) {
		memcpy(e->reason, note, sizeof(note));
	} else if (cs->pid != -1 && mode == PERF_MODE_INHERIT_NOGROUP) {
		cl_reason(e->reason, sizeof(e->reason),
			  "read on its own: this kernel refuses inherit with PERF_FORMAT_GROUP");
	} else if (cs->pid != -1 && mode == PERF_MODE_GROUP_NOINHERIT) {
		cl_reason(e->reason, sizeof(e->reason),
			  "child processes not counted: this kernel refuses inherit with group reads");
	}
	return 0;
}

struct collector_set *collector_open(const char *const *names, size_t n, pid_t pid,
				     const char *sysfs_root, const char *procfs_root)
{
	struct pmcg_pmu *pmcg = NULL;
	size_t npmcg = 0, i;
	int pmcg_done = 0, *cpus = NULL, ncpu = 0, kind, fail = 0, any_perf = 0;
	enum perf_task_mode mode = PERF_MODE_INHERIT_GROUP;
	struct collector_set *cs;
	struct slot *slots;
	const char *name;

	if (!names || n == 0)
		return NULL;
	cs = calloc(1, sizeof(*cs));
	slots = calloc(n, sizeof(*slots));
	if (!cs || !slots)
		goto oom;
	cs->n = n;
	cs->pid = pid;
	cs->ev = calloc(n, sizeof(*cs->ev));
	cs->kind = calloc(n, sizeof(*cs->kind));
	cs->procfs = procfs_new(procfs_root);
	if (!cs->ev || !cs->kind || !cs->procfs)
		goto oom;
	for (i = 0; i < n; i++) {
		name = names[i] ? names[i] : "";
		cl_reason(cs->ev[i].name, sizeof(cs->ev[i].name), "%s", name);
		if (!name[0] || strlen(name) >= COLLECTOR_NAME_MAX) {
			cl_reason(cs->ev[i].source, sizeof(cs->ev[i].source), "perf");
			cl_reason(cs->ev[i].reason, sizeof(cs->ev[i].reason), "%s",
				  name[0] ? "event name longer than 127 characters" : "empty event name");
			continue;
		}
		kind = resolve(cs, i, name, &slots[i], sysfs_root, &pmcg, &npmcg, &pmcg_done);
		if (kind < 0)
			goto oom;
		cs->kind[i] = kind;
		cs->ev[i].available = kind == KIND_PROCFS;
		any_perf |= kind == KIND_PERF;
	}
	if (any_perf) {
		if (pid == -1) {
			cpus = online_cpus(sysfs_root, &ncpu);
			if (!cpus)
				goto oom;
		} else {
			mode = perf_task_mode();
		}
	}
	for (i = 0; i < n && !fail; i++)
		if (cs->kind[i] == KIND_PERF)
			fail = open_event(cs, i, &slots[i], cpus, ncpu, mode) < 0;
	for (i = 0; i < cs->ng && !fail; i++) {
		cs->g[i].buf = malloc((3 + 2 * cs->g[i].n) * sizeof(uint64_t));
		fail = !cs->g[i].buf;
	}
	for (i = 0; i < n; i++)  /* a perf event that did not open is never read */
		if (cs->kind[i] == KIND_PERF && !cs->ev[i].available)
			cs->kind[i] = KIND_NONE;
	if (fail)
		goto oom;
	free(cpus);
	free(slots);
	pmcg_free(pmcg, npmcg);
	return cs;
oom:
	free(cpus);
	free(slots);
	pmcg_free(pmcg, npmcg);
	collector_close(cs);
	return NULL;
}

void collector_close(struct collector_set *cs)
{
	size_t i, j;

	if (!cs)
		return;
	for (i = 0; i < cs->ng; i++) {
		for (j = cs->g[i].n; j > 0; j--)  /* members before their leader */
			close(cs->g[i].fd[j - 1]);
		free(cs->g[i].fd);
		free(cs->g[i].id);
		free(cs->g[i].ev);
		free(cs->g[i].buf);
	}
	free(cs->g);
	procfs_free(cs->procfs);
	free(cs->ev);
	free(cs->kind);
	free(cs);
}

size_t collector_count(const struct collector_set *cs)
{
	return cs ? cs->n : 0;
}

const struct collector_event *collector_event(const struct collector_set *cs, size_t i)
{
	return cs && i < cs->n ? &cs->ev[i] : NULL;
}

/* ---- counting ---- */

static int ioctl_groups(struct collector_set *cs, unsigned long req)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < cs->ng; i++)
		if (ioctl(cs->g[i].fd[0], req, PERF_IOC_FLAG_GROUP) < 0)
			rc = -1;
	return rc;
}

int collector_start(struct collector_set *cs)
{
	int rc;

	if (!cs)
		return -1;
	procfs_start(cs->procfs);
	rc = ioctl_groups(cs, PERF_EVENT_IOC_ENABLE);
	return rc;
}

int collector_stop(struct collector_set *cs)
{
	int rc;

	if (!cs)
		return -1;
	rc = ioctl_groups(cs, PERF_EVENT_IOC_DISABLE);
	procfs_stop(cs->procfs);
	return rc;
}

static void add_reading(struct collector_event *e, uint64_t v, uint64_t ena, uint64_t run)
{
	e->value += v;
	e->enabled_ns += ena;
	e->running_ns += run;
}

int cl_apply_read(const uint64_t *b, size_t bytes, int grouped, const uint64_t *ids,
		  const size_t *evs, size_t n, struct collector_event *ev)
{
	uint64_t nr, k;
	size_t j;

	if (!grouped) {
		if (bytes < 4 * sizeof(uint64_t) || n == 0)
			return -1;
		add_reading(&ev[evs[0]], b[0], b[1], b[2]);
		return 0;
	}
	if (bytes < 3 * sizeof(uint64_t) || b[0] > n || bytes < (3 + 2 * b[0]) * sizeof(uint64_t))
		return -1;
	nr = b[0];
	for (k = 0; k < nr; k++) {
		/* the kernel reads back leader first, then siblings in the order they joined */
		j = (size_t)k;
		if (ids[j] != b[4 + 2 * k])
			for (j = 0; j < n && ids[j] != b[4 + 2 * k]; j++)
				;
		if (j < n)
			add_reading(&ev[evs[j]], b[3 + 2 * k], b[1], b[2]);
	}
	return 0;
}

int collector_read(struct collector_set *cs)
{
	struct group *g;
	int rc = 0;
	ssize_t r;
	size_t i;

	if (!cs)
		return -1;
	for (i = 0; i < cs->n; i++) {
		if (cs->kind[i] == KIND_PERF)
			cs->ev[i].value = cs->ev[i].enabled_ns = cs->ev[i].running_ns = 0;
	}
	for (i = 0; i < cs->ng; i++) {
		g = &cs->g[i];
		do
			r = read(g->fd[0], g->buf, (3 + 2 * g->n) * sizeof(uint64_t));
		while (r < 0 && errno == EINTR);
		if (r < 0 || cl_apply_read(g->buf, (size_t)r, g->grouped, g->id, g->ev, g->n,
					   cs->ev) < 0)
			rc = -1;
	}
	if (procfs_read(cs->procfs, cs->ev) < 0)
		rc = -1;
	return rc;
}

double collector_scaled(uint64_t value, uint64_t enabled_ns, uint64_t running_ns)
{
	if (running_ns == 0)
		return 0.0;
	if (running_ns >= enabled_ns)
		return (double)value;
	/* value * enabled overflows 64 bits long before counts do */
	return (double)((long double)value * (long double)enabled_ns / (long double)running_ns);
}

/* ---- listing ---- */

struct collector_event *collector_list(const char *sysfs_root, const char *procfs_root, size_t *n)
{
	struct cl_list l = { NULL, 0, 0, 0 };

	perf_list(&l);
	tracepoint_list(&l, sysfs_root);
	pmcg_list(&l, sysfs_root);
	procfs_list(&l, procfs_root);
	if (l.oom) {
		free(l.ev);
		*n = 0;
		return NULL;
	}
	*n = l.n;
	return l.ev;
}

void collector_list_free(struct collector_event *ev)
{
	free(ev);
}
