/*
 * perf.c - the perf source: event names through libpfm4 (and the perf
 * tool's aliases libpfm4 lacks), perf_event_open, and its errors in the
 * words perf stat uses.
 *
 * Names resolve with pfm_get_os_event_encoding(PFM_OS_PERF_EVENT_EXT) at
 * PFM_PLM0|PFM_PLM3 (user and kernel, like perf stat). When the kernel
 * refuses counting the kernel (kernel.perf_event_paranoid >= 2 without
 * CAP_PERFMON), the counter is reopened user-only as perf does, and the
 * event's reason says so.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "internal.h"

/* perf tool names: the generic hardware and software events. */
static const struct generic_event {
	const char *name;   /* as perf list prints it */
	const char *alias;  /* the other name perf takes, or NULL */
	uint32_t type;
	uint64_t config;
} generic[] = {
	{ "cycles", "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branches", "branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "bus-cycles", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
	{ "stalled-cycles-frontend", "idle-cycles-frontend", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
	{ "stalled-cycles-backend", "idle-cycles-backend", PERF_TYPE_HARDWARE,
	  PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
	{ "ref-cycles", NULL, PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
	{ "task-clock", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "cpu-clock", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "page-faults", "faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "minor-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	{ "context-switches", "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "alignment-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS },
	{ "emulation-faults", NULL, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS },
};

#define NGENERIC (sizeof(generic) / sizeof(generic[0]))

static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_status = PFM_ERR_NOINIT;
static int pfm_tried;
/* libpfm4 documents no thread safety for encoding; one caller at a time. */
static pthread_mutex_t pfm_lock = PTHREAD_MUTEX_INITIALIZER;

static void pfm_init_once(void)
{
	pfm_status = pfm_initialize();
	pfm_tried = 1;
}

int collectors_pfm_initialized(void)
{
	return pfm_tried;
}

int perf_encode(const char *name, struct perf_event_attr *attr, char *reason, size_t rlen)
{
	pfm_perf_encode_arg_t arg;
	int rc = PFM_ERR_NOINIT;
	size_t i;

	memset(attr, 0, sizeof(*attr));
	pthread_once(&pfm_once, pfm_init_once);
	if (pfm_status == PFM_SUCCESS) {
		memset(&arg, 0, sizeof(arg));
		arg.attr = attr;
		arg.size = sizeof(arg);
		pthread_mutex_lock(&pfm_lock);
		rc = pfm_get_os_event_encoding(name, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
		pthread_mutex_unlock(&pfm_lock);
		if (rc == PFM_SUCCESS) {
			attr->size = sizeof(*attr);
			return 0;
		}
		memset(attr, 0, sizeof(*attr));
	} else {
		rc = pfm_status;
	}
	for (i = 0; i < NGENERIC; i++) {
		if (strcasecmp(name, generic[i].name) == 0 ||
		    (generic[i].alias && strcasecmp(name, generic[i].alias) == 0)) {
			attr->size = sizeof(*attr);
			attr->type = generic[i].type;
			attr->config = generic[i].config;
			return 0;
		}
	}
	cl_reason(reason, rlen, "unknown event '%s' (libpfm4: %s)", name, pfm_strerror(rc));
	return pfm_status != PFM_SUCCESS || rc == PFM_ERR_NOTFOUND ? -1 : -2;
}

static int sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd)
{
	return (int)syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
}

int perf_paranoid(void)
{
	char buf[32];

	if (cl_read_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) < 0)
		return 2;
	return atoi(buf);
}

int perf_open_counter(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
		      int user_only_ok, char *note, size_t nlen)
{
	struct perf_event_attr user;
	int fd, err;

	fd = sys_perf_event_open(attr, pid, cpu, group_fd);
	if (fd >= 0)
		return fd;
	err = errno;
	if ((err == EACCES || err == EPERM) && user_only_ok && !attr->exclude_kernel) {
		user = *attr;
		user.exclude_kernel = 1;
		user.exclude_hv = 1;
		fd = sys_perf_event_open(&user, pid, cpu, group_fd);
		if (fd >= 0) {
			*attr = user;
			cl_reason(note, nlen,
				  "user space only: kernel.perf_event_paranoid=%d keeps the kernel "
				  "out without CAP_PERFMON", perf_paranoid());
			return fd;
		}
		err = errno;  /* user-only failed too: its error is the telling one (ENOENT: no PMU) */
	}
	return -err;
}

/* 1 for the core PMU's events (the ones a VM without a virtual PMU lacks). */
static int cpu_pmu_event(const struct perf_event_attr *attr)
{
	return attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE ||
	       attr->type == PERF_TYPE_RAW;
}

void perf_error_reason(int err, const char *name, const char *source,
		       const struct perf_event_attr *attr, pid_t pid, int root, char *reason,
		       size_t rlen)
{
	struct rlimit rl;
	int paranoid;

	switch (err) {
	case ENOENT:
	case EOPNOTSUPP:
	case EINVAL:
	case ENXIO:
	case ENODEV:
	case E2BIG:
		if (cpu_pmu_event(attr))
			cl_reason(reason, rlen,
				  "not supported: %s is not counted by this machine "
				  "(no hardware PMU in a VM?) [%s]", name, strerror(err));
		else if (strcmp(source, "pmcg") == 0)
			cl_reason(reason, rlen,
				  "not supported: PMU type %u is not registered in the running kernel "
				  "(CONFIG_ARM_SMMU_V3_PMU?) [%s]", attr->type, strerror(err));
		else
			cl_reason(reason, rlen, "not supported: %s is not counted by this kernel [%s]",
				  name, strerror(err));
		return;
	case ENOSYS:
		cl_reason(reason, rlen,
			  "not supported: perf_event_open is not available (kernel without "
			  "CONFIG_PERF_EVENTS, or a seccomp filter)");
		return;
	case EACCES:
	case EPERM:
		paranoid = perf_paranoid();
		if (root)
			cl_reason(reason, rlen,
				  "permission denied although root: a seccomp filter (a container's?) "
				  "or kernel lockdown blocks perf_event_open (kernel.perf_event_paranoid "
				  "is %d)", paranoid);
		else if (pid == -1)
			cl_reason(reason, rlen,
				  "permission denied: system-wide counting needs root, CAP_PERFMON "
				  "or kernel.perf_event_paranoid <= 0 (it is %d)", paranoid);
		else if (!attr->exclude_kernel && attr->type == PERF_TYPE_TRACEPOINT)
			cl_reason(reason, rlen,
				  "permission denied: tracepoints count in the kernel, which needs "
				  "root, CAP_PERFMON or kernel.perf_event_paranoid <= 1 (it is %d)",
				  paranoid);
		else
			cl_reason(reason, rlen,
				  "permission denied: kernel.perf_event_paranoid is %d; run as root, "
				  "grant CAP_PERFMON, or lower it (sysctl kernel.perf_event_paranoid=1)",
				  paranoid);
		return;
	case EBUSY:
		cl_reason(reason, rlen,
			  "%s is in use by another tool (another perf session or the NMI "
			  "watchdog holds the counter)", name);
		return;
	case EMFILE:
	case ENFILE:
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
			cl_reason(reason, rlen,
				  "too many open files (ulimit -n is %llu): fewer events or CPUs, or "
				  "raise the limit", (unsigned long long)rl.rlim_cur);
		else
			cl_reason(reason, rlen, "too many open files");
		return;
	default:
		cl_reason(reason, rlen, "perf_event_open failed for %s: %s", name, strerror(err));
	}
}

static pthread_once_t mode_once = PTHREAD_ONCE_INIT;
static enum perf_task_mode task_mode = PERF_MODE_INHERIT_GROUP;

/* Tries a user-only task-clock with inherit and group reads, as the sets will open them. */
static void probe_task_mode(void)
{
	struct perf_event_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.inherit = 1;
	a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
			PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;
	fd = sys_perf_event_open(&a, 0, -1, -1);
	if (fd >= 0 || errno != EINVAL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	a.read_format &= ~(uint64_t)PERF_FORMAT_GROUP;
	fd = sys_perf_event_open(&a, 0, -1, -1);
	if (fd >= 0) {
		close(fd);
		task_mode = PERF_MODE_INHERIT_NOGROUP;
		return;
	}
	task_mode = PERF_MODE_GROUP_NOINHERIT;
}

enum perf_task_mode perf_task_mode(void)
{
	pthread_once(&mode_once, probe_task_mode);
	return task_mode;
}

void perf_list(struct cl_list *l)
{
	struct collector_event e;
	size_t i;

	for (i = 0; i < NGENERIC; i++) {
		cl_list_probe(l, generic[i].name, 0, "", "");
		if (!generic[i].alias || l->n == 0)
			continue;
		/* the other name perf takes ("faults", "cs"): the same counter */
		e = l->ev[l->n - 1];  /* a copy: adding may move the list */
		cl_list_add(l, generic[i].alias, e.source, e.available, e.reason);
	}
}
