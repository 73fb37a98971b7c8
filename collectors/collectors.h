/*
 * collectors.h - counter sources behind one interface (architecture.md):
 * perf (libpfm4 + perf_event_open: CPU PMU, software and generic events),
 * tracepoints (tracefs), SMMUv3 PMCG uncore PMUs (sysfs), procfs.
 *
 * A counter the machine lacks is a normal state: it is reported with the
 * reason and the rest go on. Values are kept raw with time_enabled and
 * time_running; scaling is computed (collector_scaled), never stored in
 * place of the raw value.
 */
#ifndef SVABENCH_COLLECTORS_H
#define SVABENCH_COLLECTORS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define COLLECTOR_NAME_MAX 128

/* One event as the user names it and what became of it. */
struct collector_event {
	char name[COLLECTOR_NAME_MAX];  /* as typed: "cycles", "faults", "exceptions:page_fault_user",
					   "smmuv3_pmcg_ff88840/transaction,filter_enable=1,filter_stream_id=0x42/",
					   "vmstat:pgfault", "interrupts:smmu" */
	char source[16];                /* "perf" | "tracepoint" | "pmcg" | "procfs" */
	int available;                  /* 1 when opened / openable */
	char reason[256];               /* why not, in the words perf uses, naming the fix;
					   when available, a note or "": "user space only:
					   kernel.perf_event_paranoid=2 ...", "counted outside
					   the group of ...", "read on its own: ..." */
	/* the last reading (collector_read) */
	uint64_t value, enabled_ns, running_ns;
};

struct collector_set;

/*
 * Opens every named event for the task `pid` (0 = the calling process and,
 * with inherit, its future children) or system-wide on every online CPU
 * (pid = -1; required for PMCG events, which count system-wide only).
 * Events of one perf PMU that are divided by one another go in one group
 * (all perf events of a set on one PMU are grouped; a group that cannot be
 * scheduled as a whole falls back to separate events, saying so in reason).
 * Never fails because an event is unavailable; returns NULL only on OOM or
 * an empty list. `sysfs_root` ("" = "/") and `procfs_root` ("" = "/proc")
 * let tests point at a tree they built.
 *
 * A name is, in this order: "vmstat:NAME" / "interrupts:TEXT" (procfs,
 * machine-wide whatever pid); "PMU/terms/" (pmcg); "SYS:EV" when tracefs
 * (<sysfs_root>/sys/kernel/tracing, then .../debug/tracing) has system SYS;
 * else a libpfm4 name or perf alias; else, in SYS:EV form, a tracepoint
 * tracefs lacks. As root on the real root, an unmounted tracefs is mounted
 * at /sys/kernel/tracing once. System-wide, value, enabled_ns and
 * running_ns are sums over the CPUs, as perf stat aggregates them.
 */
struct collector_set *collector_open(const char *const *names, size_t n, pid_t pid,
				     const char *sysfs_root, const char *procfs_root);
void collector_close(struct collector_set *cs);

size_t collector_count(const struct collector_set *cs);
const struct collector_event *collector_event(const struct collector_set *cs, size_t i);

/*
 * Enables / disables counting (PERF_EVENT_IOC_ENABLE / _DISABLE on group
 * leaders); counts add up over start..stop spans. 0, or -1 when an ioctl failed.
 */
int collector_start(struct collector_set *cs);
int collector_stop(struct collector_set *cs);
/*
 * Reads every available event (one read() per group, PERF_FORMAT_GROUP |
 * TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING; procfs: deltas since start).
 * Updates value / enabled_ns / running_ns. 0, or -1 when a read failed.
 */
int collector_read(struct collector_set *cs);

/* value * enabled / running (0 when never running); the estimate perf stat prints. */
double collector_scaled(uint64_t value, uint64_t enabled_ns, uint64_t running_ns);

/*
 * Every event this machine knows, for `svabench collectors` and
 * GET /api/v1/collectors: the generic perf events (cycles, instructions,
 * cache-misses, branch-misses, ...), software events (task-clock,
 * page-faults / faults, minor-faults, major-faults, context-switches,
 * cpu-migrations, ...), the tracepoints of the systems svabench cares
 * about (iommu, dma, exceptions:page_fault_user, tlb:tlb_flush, and the
 * rest of tracefs only by name when asked), every smmuv3_pmcg_* PMU with
 * its events, and the procfs sources. Each with availability and reason as
 * probed now: opened and closed again, for this process (pid 0) except
 * PMCG events (system-wide on their CPU); of the tracepoints one is opened
 * and the others' tracefs ids are checked (closing a tracepoint event waits
 * for an RCU grace period, ~35 ms). NULL on OOM. Caller frees with
 * collector_list_free.
 */
struct collector_event *collector_list(const char *sysfs_root, const char *procfs_root, size_t *n);
void collector_list_free(struct collector_event *ev);

/* ---- SMMUv3 PMCG (pmcg.c), exposed for tests ---- */

struct pmcg_pmu {
	char name[64];      /* smmuv3_pmcg_ff88840 */
	int type;           /* perf_event_attr.type from sysfs `type` */
	char **events;      /* advertised (events/ directory) names */
	uint32_t *codes;    /* their event= codes */
	size_t nevents;
	/* format fields: bit ranges in config / config1 */
	int ev_lo, ev_hi;           /* event=config:0-15 */
	int sid_lo, sid_hi;         /* filter_stream_id=config1:0-31 */
	int span_bit, enable_bit;   /* filter_span=config1:32, filter_enable=config1:33 */
	int cpu;                    /* from cpumask: the CPU to open on */
};

/* Discovers <root>/sys/bus/event_source/devices/smmuv3_pmcg_*. */
struct pmcg_pmu *pmcg_discover(const char *sysfs_root, size_t *n);
void pmcg_free(struct pmcg_pmu *p, size_t n);
/*
 * Encodes "PMU/event[,filter_enable=1][,filter_span=0|1][,filter_stream_id=N]/"
 * into type/config/config1. Unknown PMU, an architected event the CEID
 * does not advertise (absent from events/), an unknown term or a value out
 * of its field: -1 with the reason.
 */
int pmcg_encode(const struct pmcg_pmu *p, size_t n, const char *spec, uint32_t *type,
		uint64_t *config, uint64_t *config1, int *cpu, char *reason, size_t rlen);

/*
 * 1 once this process initialised libpfm4 (12-16 ms, done on the first
 * event name that needs encoding, never for a spec without `collect`).
 */
int collectors_pfm_initialized(void);

#endif
