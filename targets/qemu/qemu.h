/*
 * qemu.h - the `qemu` target's tables and helpers, shared by the files of
 * targets/qemu/. Two modes, chosen by the workload:
 *
 *   bare   rw-reuse, first-touch, cpu-upgrade-churn, mprotect-toggle,
 *          munmap-large: our freestanding agent (targets/qemu/agent/) plays
 *          the host on QEMU's SMMUv3 with the edu device (bare.c).
 *   guest  dma-unmap: Debian's arm64 kernel and its arm-smmu-v3 driver,
 *          driven through VFIO by targets/qemu/guest/agent.c (guest.c).
 *
 * Outside this folder only `qemu_target` is visible.
 */
#ifndef SVABENCH_QEMU_H
#define SVABENCH_QEMU_H

#include "../target.h"

#include <stddef.h>
#include <stdint.h>

/* Indexes into qemu_params[]; the order of qemu.c's table. */
enum qemu_param {
	QP_PASSES,
	QP_PAGES,
	QP_LIVELOCK_K,
	QP_READ_BEFORE_WRITE,
	QP_TXN_BYTES,
	QP_REPROTECT,
	QP_CPU_PAGES,
	QP_CPU_OPS,
	QP_RANGE_PAGES,
	QP_OVERLAP,
	QP_RIL,
	QP_MAX_TLBI_OPS,
	QP_ITERATIONS,
	QP_CPU,
	QP_TRACE,
	QP_TIMEOUT_S,
	QEMU_NPARAMS,
};

enum qemu_workload {
	QW_RW_REUSE,
	QW_FIRST_TOUCH,
	QW_CPU_UPGRADE_CHURN,
	QW_MPROTECT_TOGGLE,
	QW_MUNMAP_LARGE,
	QW_DMA_UNMAP,
	QEMU_NWORKLOADS,
};

enum qemu_strategy {
	QS_NONE,
	QS_PRI_INV,
	QS_PRI_INV_SYNC,
	QS_NOTIFIER,
	QS_NOTIFIER_SEED,
	QS_LINUX,
	QEMU_NSTRATEGIES,
};

extern const struct target qemu_target;
extern const struct param_def qemu_params[QEMU_NPARAMS];
extern const char *const qemu_cpus[]; /* QP_CPU's choices, QEMU -cpu names */

/* 1 for the workloads of guest mode. */
int qemu_is_guest(int workload);

/* --- launch.c: one QEMU process, bounded in time, nothing left behind --- */

struct qemu_launch {
	const char *const *argv; /* argv[0] is the program; NULL-terminated */
	double timeout_s;        /* wall-clock limit; the process group is killed after it */
	/* Each complete line QEMU prints (UART on stdout, and stderr), without '\n'. */
	void (*line)(void *ctx, const char *line);
	void *ctx;
};

struct qemu_exit {
	int started;     /* 0 when fork/exec failed (reason in tail) */
	int exited;      /* exited by itself (status valid) */
	int status;      /* exit status when exited */
	int signal;      /* signal that ended it, else 0 */
	int timed_out;   /* killed at the timeout */
	double wall_s;   /* wall time from fork to reap */
	char tail[1024]; /* the last lines of output, for a failed run's reason */
};

/*
 * Runs argv with stdin from /dev/null and stdout+stderr on a pipe, in its own
 * process group (killed with SIGKILL on timeout, and by PR_SET_PDEATHSIG if
 * this process dies). Returns 0 when QEMU ran and exited with status 0, else
 * -1 (x says how it ended).
 */
int qemu_launch(const struct qemu_launch *l, struct qemu_exit *x);

/* Formats a failed launch as a run's reason: how it ended, then the output tail. */
void qemu_exit_reason(const struct qemu_exit *x, const char *what, char *buf, size_t len);

/*
 * Creates $TMPDIR/svabench-qemu-WHAT.XXXXXX (/tmp without TMPDIR) for a job
 * or trace file: the open fd and the name in buf, or -1.
 */
int qemu_temp_file(const char *what, char *buf, size_t len);

/* Appends "-D tracefile" and qemu_trace_events to argv[a..max-1), NULL-terminated; the new a. */
size_t qemu_argv_trace(const char **argv, size_t a, size_t max, const char *tracefile);

/* The qemu-system-aarch64 to use ($SVABENCH_QEMU or the PATH); NULL if none. */
const char *qemu_binary(char *buf, size_t len);

/* A file next to the executables: $SVABENCH_QEMU_DIR/NAME, else
 * <dir of /proc/self/exe>/qemu/NAME or <that dir>/../qemu/NAME (ASan build).
 * 0 and the path in buf when it exists. */
int qemu_asset(const char *name, char *buf, size_t len);

/* --- trace.c: QEMU's -trace log as counts --- */

/* Commands by opcode, the api.md metric names' order. */
enum qemu_cmd {
	QC_TLBI_NH_VA,       /* CMD_TLBI_NH_VA with TG = 0 (one address) */
	QC_TLBI_NH_VA_RANGE, /* CMD_TLBI_NH_VA with TG != 0 (range) */
	QC_TLBI_NH_ASID,
	QC_TLBI_NH_ALL,
	QC_ATC_INV,
	QC_SYNC,
	QC_RESUME,
	QC_PRI_RESP,
	QC_CFGI_CD,
	QC_CFGI_STE,
	QC_OTHER,
	QEMU_NCMDS,
};

extern const char *const qemu_cmd_metric[QEMU_NCMDS]; /* "cmd.tlbi_nh_va", ... */

struct qemu_counts {
	uint64_t cmd[QEMU_NCMDS];
	uint64_t translations;    /* smmuv3_translate_* lines + event records (faulted translations) */
	uint64_t iotlb_hit, iotlb_miss;
	uint64_t walk_levels;     /* smmu_ptw_level / page / block steps */
	uint64_t cfg_hit, cfg_miss;
	uint64_t events;          /* smmuv3_record_event */
	uint64_t range_pages;     /* pages covered by range TLBIs */
};

/* One phase of a trace: what happened after marker `marker` was written. */
struct qemu_phase {
	uint32_t marker; /* 0 for everything before the first marker */
	struct qemu_counts c;
};

/*
 * Marker writes: a 4-byte write of QEMU_MARK(id) to the edu device's
 * liveness register (BAR0 + 0x04) starts phase `id` (1..0xffffff).
 */
#define QEMU_MARK_REG 0x04u
#define QEMU_MARK(id) (0x5b000000u | ((uint32_t)(id) & 0xffffffu))

/* The -trace options both modes pass, as separate argv words. */
extern const char *const qemu_trace_events[];

/*
 * Parses a trace log into phases (split at marker writes). *phases is
 * malloc'd, *n >= 1. 0 on success, -1 with the reason in err.
 */
int qemu_trace_parse(const char *path, struct qemu_phase **phases, size_t *n,
		     char *err, size_t elen);

/* Adds the counts' cmd.* and pmcg.* metrics to m (as api.md names them). */
struct metrics;
void qemu_counts_metrics(const struct qemu_counts *c, struct metrics *m);

/* --- the modes --- */
int qemu_bare_available(char *why, size_t len);
int qemu_guest_available(char *why, size_t len);
int qemu_bare_run(const struct run_req *req, const struct run_sink *sink,
		  struct run_result *res);
int qemu_guest_run(const struct run_req *req, const struct run_sink *sink,
		   struct run_result *res);

#endif
