/*
 * internal.h - what the collector sources share inside collectors/.
 * Other folders include collectors.h only.
 *
 * Every counter that perf_event_open counts (perf, tracepoint and pmcg
 * sources) is resolved by its source into a struct perf_event_attr (and,
 * for PMCG, the one CPU it may be opened on); set.c opens, groups, reads
 * and scales them all the same way. procfs counters are read by procfs.c.
 *
 * struct perf_event_attr comes from libpfm4's perfmon/perf_event.h (the
 * kernel's ABI, which libpfm fills in); <linux/perf_event.h> must not be
 * included next to it.
 */
#ifndef SVABENCH_COLLECTORS_INTERNAL_H
#define SVABENCH_COLLECTORS_INTERNAL_H

#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <perfmon/pfmlib_perf_event.h>

#include "collectors.h"

/* A list of events being built for collector_list; oom set when a push failed. */
struct cl_list {
	struct collector_event *ev;
	size_t n, cap;
	int oom;
};

/* ---- set.c: shared helpers ---- */

/* vsnprintf into reason (always terminated; truncation is accepted). */
void cl_reason(char *reason, size_t rlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* root + path, root "" or NULL meaning none; trailing '/' of root dropped. */
void cl_path(char *buf, size_t len, const char *root, const char *path);
/* Reads a small file whole, without its trailing newline: length, or -1 with errno. */
ssize_t cl_read_file(const char *path, char *buf, size_t len);
/* Parses a cpulist ("0", "0-3,6"): fills up to max CPUs, returns how many, -1 on bad text. */
int cl_cpulist(const char *s, int *cpus, int max);
/*
 * Adds one read() of a perf counter to ev: with grouped, the
 * PERF_FORMAT_GROUP layout {nr, time_enabled, time_running, {value, id}[nr]}
 * whose members are found by id among ids[] (their events in evs[], n of
 * them); else {value, time_enabled, time_running, id} for evs[0]. 0, or -1
 * when bytes is short or nr exceeds n.
 */
int cl_apply_read(const uint64_t *buf, size_t bytes, int grouped, const uint64_t *ids,
		  const size_t *evs, size_t n, struct collector_event *ev);
/* Appends one record; name longer than COLLECTOR_NAME_MAX is cut. */
void cl_list_add(struct cl_list *l, const char *name, const char *source, int available,
		 const char *reason);
/* Appends the record collector_open gives `name` (opened for pid, then closed). */
void cl_list_probe(struct cl_list *l, const char *name, pid_t pid, const char *sysfs_root,
		   const char *procfs_root);

/* ---- perf.c: libpfm4 names, perf_event_open and its errors ---- */

/* How a task's counters are opened, probed once: inherit with group reads when the kernel takes it. */
enum perf_task_mode {
	PERF_MODE_INHERIT_GROUP,   /* inherit + PERF_FORMAT_GROUP (kernels since ~4.x) */
	PERF_MODE_INHERIT_NOGROUP, /* kernel refuses inherit + group: separate events, children counted */
	PERF_MODE_GROUP_NOINHERIT, /* kernel refuses inherit: groups, children not counted */
};
enum perf_task_mode perf_task_mode(void);

/*
 * Resolves a name users type ("cycles", "perf::PERF_COUNT_SW_PAGE_FAULTS",
 * "faults", "cycles:u") through libpfm4, then perf tool aliases libpfm4
 * lacks. 0 with attr filled (size set, counting user + kernel unless the
 * name says otherwise); else the reason "unknown event '<name>' (libpfm4:
 * ...)" and -1 when no PMU knows the name, -2 when one does but refuses
 * the rest (a bad modifier: "cycles:x").
 */
int perf_encode(const char *name, struct perf_event_attr *attr, char *reason, size_t rlen);
/*
 * perf_event_open with FD_CLOEXEC; when user_only_ok and the kernel refuses
 * counting the kernel (EACCES/EPERM), retries with exclude_kernel as perf
 * does and writes why in note. fd, or -errno (attr unchanged then; the
 * user-only attempt's errno when there was one).
 */
int perf_open_counter(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		      int user_only_ok, char *note, size_t nlen);
/*
 * The reason perf_event_open's errno err gives, in perf's words; root
 * (geteuid() == 0) turns a permission error into "blocked although root".
 */
void perf_error_reason(int err, const char *name, const char *source,
		       const struct perf_event_attr *attr, pid_t pid, int root, char *reason,
		       size_t rlen);
/* kernel.perf_event_paranoid now, or 2 (the default) when unreadable. */
int perf_paranoid(void);
/* Generic hardware and software events, probed. */
void perf_list(struct cl_list *l);

/* ---- tracepoint.c ---- */

/* 1 when name has the "SYS:EV" shape (one colon, word characters). */
int tracepoint_name(const char *name);
/* 1 when tracefs has the system SYS of "SYS:EV" (after mounting tracefs once if needed). */
int tracepoint_system_exists(const char *name, const char *sysfs_root);
/* "SYS:EV" -> PERF_TYPE_TRACEPOINT, config = events/SYS/EV/id: 0, or -1 with the reason. */
int tracepoint_encode(const char *name, const char *sysfs_root, struct perf_event_attr *attr,
		      char *reason, size_t rlen);
void tracepoint_list(struct cl_list *l, const char *sysfs_root);

/* ---- pmcg.c ---- */

/* 1 when name is a PMU-style event "PMU/terms/". */
int pmcg_name(const char *name);
void pmcg_list(struct cl_list *l, const char *sysfs_root);

/* ---- procfs.c ---- */

struct procfs;
/* 1 when name is "vmstat:NAME" or "interrupts:WHAT". */
int procfs_name(const char *name);
/* An empty procfs source reading under procfs_root ("" = /proc); NULL on OOM. */
struct procfs *procfs_new(const char *procfs_root);
/* Adds event number idx: 0, -1 unavailable (reason), -2 OOM. */
int procfs_add(struct procfs *ps, size_t idx, const char *name, char *reason, size_t rlen);
void procfs_start(struct procfs *ps);
void procfs_stop(struct procfs *ps);
/* Updates ev[idx] of every added counter: deltas since start, elapsed ns. 0, or -1 when a file failed. */
int procfs_read(struct procfs *ps, struct collector_event *ev);
void procfs_free(struct procfs *ps);
void procfs_list(struct cl_list *l, const char *procfs_root);

#endif
