/*
 * vocab.c - the metric vocabulary and the strategies' roles (vocab.h).
 *
 * One entry per metric the targets report (api.md's names), in the one
 * order every view lists them in: correctness first, then the end-to-end
 * cost and its parts, then the work done, then the detail. The views a
 * metric appears in are flags on its entry, not lists elsewhere;
 * tests/core/test_vocab.c checks that every metric the sim, qemu and host
 * targets emit has an entry here.
 */
#include "vocab.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#define CMP VIEW_COMPARE
#define TAB VIEW_TABLE
#define REP VIEW_REPORT
#define PROM VIEW_PROM
#define ALRT VIEW_ALERTS
#define HIST VIEW_HISTORY
#define PLOT VIEW_PLOTS
#define PAGE VIEW_PAGE

/* A metric shown as stored: scale 1, displayed in its own unit. */
#define PLAIN(n, u, d, h) {.name = n, .unit = u, .direction = d, .scale = 1, .display_unit = u, .help = h}
/* Time in ns, displayed in us. */
#define NS(n, d) .name = n, .unit = "ns", .direction = d, .scale = 1e3, .display_unit = "us"

static const struct metric_info metrics[] = {
	/* ---- correctness: any is a broken strategy ---- */
	{.name = "dma.livelocked", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .correctness = 1, .short_name = "livelocks",
	 .views = CMP | TAB | REP | PROM | ALRT | HIST | PAGE, .column = "livelock", .keep = 9,
	 .prom = "svabench_dma_livelocked_transactions",
	 .help = "Transactions aborted by livelock detection"},
	{.name = "oracle.coherence_violations", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .correctness = 1, .short_name = "violations",
	 .views = CMP | TAB | REP | PROM | ALRT | HIST | PAGE, .column = "oracle", .keep = 9,
	 .prom = "svabench_oracle_coherence_violations",
	 .help = "Accesses that disagreed with the CPU page table"},

	/* ---- the end-to-end cost (docs/verdicts.md) ---- */
	{.name = "cost.total_ns_per_op", .unit = "ns/op", .direction = METRIC_LOWER, .scale = 1e3,
	 .display_unit = "us/op", .headline = 1,
	 .views = CMP | TAB | REP | PROM | PLOT | PAGE, .column = "cost us/op", .keep = 8,
	 .prom = "svabench_cost_total_per_op_seconds",
	 .help = "End-to-end cost per operation"},
	{.name = "cost.cpu_ns_per_op", .unit = "ns/op", .direction = METRIC_LOWER, .scale = 1e3,
	 .display_unit = "us/op", .views = CMP | REP | PAGE,
	 .help = "CPU part of the end-to-end cost per operation"},
	{.name = "cost.device_ns_per_op", .unit = "ns/op", .direction = METRIC_LOWER, .scale = 1e3,
	 .display_unit = "us/op", .views = CMP | REP | PAGE,
	 .help = "Device part of the end-to-end cost per operation"},
	{NS("cost.total_ns", METRIC_LOWER), .headline = 2, .views = CMP | REP | PROM,
	 .prom = "svabench_cost_total_seconds", .help = "End-to-end cost, CPU plus device"},
	{NS("cost.cpu_ns", METRIC_LOWER), .views = CMP,
	 .help = "CPU time on secondary invalidation and the IOPF handler, the handler's invalidation once"},
	{NS("cost.device_ns", METRIC_LOWER), .views = CMP,
	 .help = "Device time from each faulting transaction's first attempt to the one that translated, or its abort"},
	PLAIN("cost.ops", "ops", METRIC_NONE, "Operations the per-operation costs divide by: CPU operations plus DMA transactions"),
	{NS("cpu.invalidation_ns", METRIC_LOWER), .headline = 3,
	 .views = CMP | TAB | REP | PROM | ALRT | HIST | PLOT | PAGE, .column = "inv us", .keep = 7,
	 .prom = "svabench_cpu_invalidation_seconds",
	 .help = "CPU time the strategy added to invalidations"},

	/* ---- device work ---- */
	{NS("dma.latency_ns.p99", METRIC_LOWER), .headline = 5,
	 .views = CMP | TAB | REP | PROM | ALRT | HIST | PLOT | PAGE, .column = "p99 us", .keep = 5,
	 .prom = "svabench_dma_latency_p99_seconds",
	 .help = "99th percentile per-transaction DMA latency"},
	{.name = "dma.throughput_bps", .unit = "B/s", .direction = METRIC_HIGHER, .scale = 1e6,
	 .display_unit = "MB/s", .headline = 6,
	 .views = CMP | TAB | REP | PROM | ALRT | HIST | PLOT | PAGE, .column = "MB/s", .keep = 4,
	 .prom = "svabench_dma_throughput_bytes_per_second", .help = "Device DMA throughput"},

	/* ---- faults and commands ---- */
	{.name = "fault.total", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = TAB, .column = "faults", .keep = 3,
	 .parts = {"fault.permission", "fault.translation", NULL},
	 .help = "Device faults: permission plus translation (derived)"},
	{.name = "fault.permission", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = CMP | ALRT | HIST,
	 .help = "Device permission faults (a write to a read-only entry)"},
	PLAIN("fault.translation", "count", METRIC_LOWER, "Device translation faults (no valid entry)"),
	{.name = "fault.spurious", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = CMP | TAB | PROM | ALRT | HIST, .column = "spurious", .keep = 1,
	 .prom = "svabench_fault_spurious_faults", .help = "Device faults on a PTE already writable"},
	{.name = "cmd.tlbi_total", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = CMP | TAB | REP | PAGE, .column = "TLBI", .keep = 2,
	 .parts = {"cmd.tlbi_nh_va", "cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid", NULL},
	 .help = "TLBI commands: NH_VA plus NH_VA range plus NH_ASID (derived)"},
	{.name = "cmd.atc_inv", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = CMP | TAB | REP | ALRT | HIST, .column = "ATC_INV", .keep = 1,
	 .help = "CMD_ATC_INV commands"},
	{.name = "cmd.sync", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = CMP | TAB | REP | PROM | ALRT | HIST | PAGE, .column = "SYNC",
	 .keep = 2, .prom = "svabench_cmd_sync_commands", .help = "CMD_SYNC commands"},
	{NS("cmdq.sync_wait_ns", METRIC_LOWER), .views = CMP | REP | ALRT | HIST,
	 .help = "Time spent waiting for CMD_SYNC completion"},

	/* ---- the host target's timed operations ---- */
	{.name = "op.count", .unit = "ops", .direction = METRIC_NONE, .scale = 1, .display_unit = "ops",
	 .views = TAB, .column = "ops", .keep = 3, .help = "Timed operations"},
	{NS("op.latency_ns.p50", METRIC_LOWER), .headline = 4,
	 .views = CMP | TAB | REP | PROM | PLOT | PAGE, .column = "op p50 us", .keep = 7,
	 .prom = "svabench_op_latency_p50_seconds", .help = "Median latency of one timed operation"},
	{NS("op.latency_ns.p99", METRIC_LOWER), .views = CMP | TAB | REP | PROM | PAGE,
	 .column = "op p99 us", .keep = 6, .prom = "svabench_op_latency_p99_seconds",
	 .help = "99th percentile latency of one timed operation"},
	{NS("op.per_page_ns.p50", METRIC_LOWER), .views = CMP | TAB | REP | PROM | PLOT | PAGE,
	 .column = "page p50 us", .keep = 5, .prom = "svabench_op_per_page_p50_seconds",
	 .help = "Median latency per page of one timed operation"},
	{.name = "perf.faults", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = TAB | REP | PROM, .column = "faults", .keep = 3,
	 .prom = "svabench_perf_faults", .help = "Page faults counted by perf"},

	/* ---- the rest of the device side ---- */
	{NS("dma.latency_ns.p50", METRIC_LOWER), .views = PROM | HIST,
	 .prom = "svabench_dma_latency_p50_seconds", .help = "Median per-transaction DMA latency"},
	{NS("dma.latency_ns.p90", METRIC_LOWER), .help = "90th percentile per-transaction DMA latency"},
	{NS("dma.latency_ns.p999", METRIC_LOWER), .help = "99.9th percentile per-transaction DMA latency"},
	{NS("dma.latency_ns.max", METRIC_LOWER), .views = HIST, .help = "Longest DMA transaction"},
	{.name = "dma.transactions", .unit = "count", .direction = METRIC_HIGHER, .scale = 1,
	 .display_unit = "count", .views = HIST, .help = "DMA transactions completed"},
	PLAIN("dma.bytes", "B", METRIC_HIGHER, "Bytes the device transferred"),
	PLAIN("dma.errors", "count", METRIC_LOWER, "DMA transactions that ended in an error"),
	PLAIN("dma.passes", "count", METRIC_NONE, "Passes of the device over its buffer"),
	PLAIN("data.checked", "count", METRIC_NONE, "Words the device wrote and the CPU checked"),
	PLAIN("data.mismatches", "count", METRIC_LOWER, "Checked words that did not hold what the device wrote"),
	{.name = "fault.refaults", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = HIST, .help = "Device faults on a page that had faulted before"},
	PLAIN("fault.stalls", "count", METRIC_LOWER, "Stalled transactions (stall model)"),
	PLAIN("fault.stall_max_hits", "count", METRIC_LOWER, "Times the stall queue was full"),
	PLAIN("fault.pri_requests", "count", METRIC_LOWER, "PRI page requests the device sent"),
	PLAIN("fault.responses", "count", METRIC_NONE, "Fault responses the host sent"),
	PLAIN("fault.lost", "count", METRIC_LOWER, "Faults lost to a full queue"),
	PLAIN("fault.device_handled", "count", METRIC_NONE, "Faults the device handled itself (fault_model device)"),
	PLAIN("fault.landed", "count", METRIC_NONE, "The guest's planted fault reached the driver (qemu guest)"),
	PLAIN("evtq.overflows", "count", METRIC_LOWER, "Event queue overflows"),
	PLAIN("priq.overflows", "count", METRIC_LOWER, "PRI queue overflows"),
	PLAIN("fix.applicable", "bool", METRIC_NONE, "1 when the strategy can act on this configuration, 0: not a fix"),
	PLAIN("atc.hits", "count", METRIC_HIGHER, "Device ATC lookups that hit"),
	PLAIN("atc.misses", "count", METRIC_LOWER, "Device ATC lookups that missed"),
	PLAIN("smmu.tlb_hits", "count", METRIC_HIGHER, "SMMU TLB lookups that hit"),
	PLAIN("smmu.walk_cache_hits", "count", METRIC_HIGHER, "SMMU walk cache hits"),

	/* ---- commands by opcode and the command queue ---- */
	{.name = "cmd.tlbi_nh_va", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = PROM | HIST, .prom = "svabench_cmd_tlbi_nh_va_commands",
	 .help = "CMD_TLBI_NH_VA commands"},
	PLAIN("cmd.tlbi_nh_va_range", "count", METRIC_LOWER, "CMD_TLBI_NH_VA commands with a range"),
	PLAIN("cmd.tlbi_nh_asid", "count", METRIC_LOWER, "CMD_TLBI_NH_ASID commands"),
	PLAIN("cmd.tlbi_nh_all", "count", METRIC_LOWER, "CMD_TLBI_NH_ALL commands"),
	PLAIN("cmd.resume", "count", METRIC_NONE, "CMD_RESUME commands"),
	PLAIN("cmd.pri_resp", "count", METRIC_NONE, "CMD_PRI_RESP commands"),
	PLAIN("cmd.cfgi_cd", "count", METRIC_NONE, "CMD_CFGI_CD commands"),
	PLAIN("cmd.cfgi_ste", "count", METRIC_NONE, "CMD_CFGI_STE commands"),
	PLAIN("cmd.other", "count", METRIC_NONE, "Commands of any other opcode"),
	PLAIN("cmd.invalidations_per_op", "count/op", METRIC_LOWER, "Invalidation commands per CPU operation"),
	PLAIN("cmdq.submissions", "count", METRIC_LOWER, "Batches written to the command queue"),
	{.name = "cmdq.busy_fraction", .unit = "ratio", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "ratio", .views = PROM | HIST, .prom = "svabench_cmdq_busy_ratio",
	 .help = "Fraction of time the command queue was busy"},
	{NS("cmdq.busy_ns", METRIC_LOWER), .help = "Time the command queue was busy"},
	{NS("cmdq.contention_ns", METRIC_LOWER), .help = "Time producers waited for the command queue's lock"},
	PLAIN("cmdq.full_waits", "count", METRIC_LOWER, "Times a producer waited for room in the command queue"),
	PLAIN("cmdq.order_violations", "count", METRIC_LOWER, "ATC_INV commands queued after a TLBI with no CMD_SYNC between"),

	/* ---- the CPU side ---- */
	PLAIN("cpu.ops", "ops", METRIC_HIGHER, "CPU operations the agents did"),
	PLAIN("cpu.upgrades", "count", METRIC_NONE, "CPU permission upgrades (read-only to writable)"),
	PLAIN("cpu.downgrades", "count", METRIC_NONE, "CPU permission downgrades"),
	PLAIN("cpu.faults", "count", METRIC_LOWER, "CPU page faults"),
	{NS("cpu.busy_ns", METRIC_LOWER), .help = "CPU time the agents were busy"},
	{NS("cpu.fault_latency_ns.p50", METRIC_LOWER), .help = "Median CPU page fault latency"},
	{NS("cpu.fault_latency_ns.p99", METRIC_LOWER), .help = "99th percentile CPU page fault latency"},
	{NS("cpu.fault_latency_ns.max", METRIC_LOWER), .help = "Longest CPU page fault"},
	{.name = "cpu.invalidation_ns_per_op", .unit = "ns/op", .direction = METRIC_LOWER, .scale = 1e3,
	 .display_unit = "us/op", .help = "cpu.invalidation_ns per CPU operation"},
	{.name = "notifier.calls", .unit = "count", .direction = METRIC_LOWER, .scale = 1,
	 .display_unit = "count", .views = PROM | HIST, .prom = "svabench_notifier_calls",
	 .help = "Secondary-TLB notifier invocations"},
	{NS("host.fault_handling_ns", METRIC_LOWER), .help = "IOPF handler time: handle_mm_fault and the response"},
	{NS("host.fault_invalidation_ns", METRIC_LOWER), .help = "The IOPF handler's invalidation part"},
	PLAIN("mm.upgrades", "count", METRIC_NONE, "Page table permission upgrades"),
	PLAIN("mm.faults_new", "count", METRIC_NONE, "CPU faults on a page never mapped"),
	PLAIN("mm.faults_reuse", "count", METRIC_NONE, "CPU write faults that reused the page"),
	PLAIN("mm.faults_copy", "count", METRIC_NONE, "CPU write faults that copied the page"),
	PLAIN("mm.faults_spurious", "count", METRIC_NONE, "CPU faults on a PTE already writable"),
	PLAIN("mm.migrations", "count", METRIC_NONE, "Page migrations"),
	PLAIN("load.offered_ops", "ops", METRIC_NONE, "CPU operations the agents' arrivals offered"),
	PLAIN("load.achieved_ops", "ops", METRIC_HIGHER, "CPU operations done"),
	PLAIN("load.achieved_fraction", "ratio", METRIC_HIGHER, "Achieved over offered CPU operations"),
	PLAIN("load.short", "bool", METRIC_NONE, "1 when fewer than 95 % of the offered operations were done"),

	/* ---- the SMMUv3 PMCG vocabulary ---- */
	PLAIN("pmcg.cycles", "cycles", METRIC_NONE, "SMMU clock cycles"),
	PLAIN("pmcg.transaction", "count", METRIC_NONE, "Transactions the SMMU translated"),
	PLAIN("pmcg.tlb_miss", "count", METRIC_LOWER, "SMMU TLB misses"),
	PLAIN("pmcg.config_cache_miss", "count", METRIC_LOWER, "SMMU configuration cache misses"),
	PLAIN("pmcg.trans_table_walk_access", "count", METRIC_LOWER, "Translation table walk accesses"),
	PLAIN("pmcg.config_struct_access", "count", METRIC_LOWER, "Configuration structure accesses"),
	PLAIN("pmcg.pcie_ats_trans_rq", "count", METRIC_NONE, "PCIe ATS translation requests"),
	PLAIN("pmcg.pcie_ats_trans_passed", "count", METRIC_NONE, "PCIe ATS translated transactions passed"),

	/* ---- the host target ---- */
	{NS("op.latency_ns.p90", METRIC_LOWER), .help = "90th percentile latency of one timed operation"},
	{NS("op.latency_ns.max", METRIC_LOWER), .help = "Longest timed operation"},
	{NS("op.latency_ns.mean", METRIC_LOWER), .help = "Mean latency of one timed operation"},
	{NS("op.timed_ns", METRIC_NONE), .help = "The timed operations' latencies summed"},
	PLAIN("op.faults_expected", "count", METRIC_NONE, "Page faults the workload expects per operation"),
	PLAIN("op.latency_cv", "ratio", METRIC_LOWER, "Standard deviation over mean of the timed operations (noise)"),
	PLAIN("op.latency_rel_iqr", "ratio", METRIC_LOWER, "Interquartile range over median of the timed operations (noise)"),
	PLAIN("host.bound", "bool", METRIC_NONE, "1 when the process was bound to an SVA device"),
	PLAIN("host.secondary_mmu", "bool", METRIC_NONE, "1 when a secondary MMU was attached (KVM)"),
	PLAIN("host.cpu", "index", METRIC_NONE, "The CPU the run was pinned to"),
	PLAIN("host.page_bytes", "B", METRIC_NONE, "The page size"),
	{NS("host.run_wall_ns", METRIC_NONE), .help = "Wall time of the run"},

	/* ---- the simulator and QEMU themselves ---- */
	PLAIN("sim.events", "count", METRIC_NONE, "Events the simulator processed"),
	{NS("sim.wall_ns", METRIC_NONE), .help = "Host wall time of the simulation (not a result)"},
	{NS("sim.duration_ns", METRIC_NONE), .help = "Simulated time"},
	{NS("qemu.wall_ns", METRIC_NONE), .help = "Wall time of the QEMU run (not a result)"},
	{NS("guest.boot_ns", METRIC_NONE), .help = "Wall time the guest took to boot"},
	{NS("guest.map_ns.p50", METRIC_NONE), .help = "Median time of the guest's emulated DMA map (QEMU's, not the hardware's)"},
	{NS("guest.unmap_ns.p50", METRIC_NONE), .help = "Median time of the guest's emulated DMA unmap (QEMU's, not the hardware's)"},
	PLAIN("qemu.events", "count", METRIC_NONE, "QEMU trace events read"),
	PLAIN("qemu.iotlb_hit", "count", METRIC_NONE, "QEMU's IOTLB hits"),
	PLAIN("qemu.config_cache_hit", "count", METRIC_NONE, "QEMU's configuration cache hits"),
	PLAIN("qemu.range_inval_pages", "pages", METRIC_NONE, "Pages covered by range invalidations"),
	PLAIN("qemu.cmd_mismatch", "count", METRIC_LOWER, "Commands the agent and QEMU's trace disagree on"),
	PLAIN("qemu.cmd_varies", "bool", METRIC_NONE, "1 when the guest's commands varied between iterations"),
	PLAIN("qemu.dma_attempts", "count", METRIC_NONE, "DMA attempts the bare agent made"),
	PLAIN("qemu.stage_dmas", "count", METRIC_NONE, "DMA transfers per stage of the bare agent's scenario"),

	/* ---- collector counters (perf, tracepoints, PMCG, procfs): raw ---- */
	{NS("perf.*.enabled_ns", METRIC_NONE), .help = "Time the collector's event was enabled"},
	{NS("perf.*.running_ns", METRIC_NONE), .help = "Time the collector's event was counting"},
	PLAIN("perf.*", "count", METRIC_LOWER, "A collector's event count, raw"),
};

#define NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

static const char *const view_names[VIEW_COUNT] = {
	"compare", "table", "report", "prom", "alerts", "history", "plots", "page",
};

/* api.md's strategies: the two fixes, the bug, the broken variant. */
static const struct strategy_role roles[] = {
	{"none", "baseline", NULL, "the bug", "#7f7f7f", 0},
	{"pri-inv", "fix", "A", "Fix A", "#1f77b4", 1},
	{"pri-inv-sync", "fix", "A", "Fix A", "#17becf", 0},
	{"notifier", "fix", "B", "Fix B", "#ff7f0e", 0},
	{"notifier-seed", "fix", "B", "Fix B", "#bcbd22", 0},
	{"pri-inv-no-atc", "broken variant", "A", NULL, "#d62728", 0},
};

#define NROLES (sizeof(roles) / sizeof(roles[0]))

static const char *const other_colours[] = {"#2ca02c", "#9467bd", "#8c564b", "#e377c2"};

size_t vocab_metric_count(void)
{
	return NMETRICS;
}

const struct metric_info *vocab_metric_at(size_t i)
{
	return i < NMETRICS ? &metrics[i] : NULL;
}

static int is_pattern(const char *name)
{
	return strchr(name, '*') != NULL;
}

const struct metric_info *vocab_metric(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NMETRICS; i++)
		if (!is_pattern(metrics[i].name) && !strcmp(metrics[i].name, name))
			return &metrics[i];
	for (size_t i = 0; i < NMETRICS; i++)
		if (is_pattern(metrics[i].name) && !fnmatch(metrics[i].name, name, 0))
			return &metrics[i];
	return NULL;
}

const struct metric_info *vocab_view_at(unsigned view, size_t i)
{
	for (size_t k = 0; k < NMETRICS; k++)
		if ((metrics[k].views & view) && !i--)
			return &metrics[k];
	return NULL;
}

size_t vocab_view_count(unsigned view)
{
	size_t n = 0;

	for (size_t k = 0; k < NMETRICS; k++)
		n += (metrics[k].views & view) != 0;
	return n;
}

const char *vocab_view_name(unsigned view)
{
	for (int b = 0; b < VIEW_COUNT; b++)
		if (view == 1u << b)
			return view_names[b];
	return NULL;
}

const char *vocab_direction_name(enum metric_direction d)
{
	return d == METRIC_HIGHER ? "higher" : d == METRIC_NONE ? "none" : "lower";
}

const char *vocab_short(const char *name)
{
	const struct metric_info *m = vocab_metric(name);

	return m && m->short_name ? m->short_name : name;
}

int vocab_is_correctness(const char *name)
{
	const struct metric_info *m = vocab_metric(name);

	return m && m->correctness;
}

void vocab_column_stem(const struct metric_info *m, char *buf, size_t len)
{
	size_t n = strlen(m->column), u = strlen(m->display_unit);

	if (u && n > u + 1 && m->column[n - u - 1] == ' ' && !strcmp(m->column + n - u, m->display_unit))
		n -= u + 1;
	snprintf(buf, len, "%.*s", (int)n, m->column);
}

size_t vocab_strategy_count(void)
{
	return NROLES;
}

const struct strategy_role *vocab_strategy_at(size_t i)
{
	return i < NROLES ? &roles[i] : NULL;
}

const struct strategy_role *vocab_strategy(const char *name)
{
	for (size_t i = 0; name && i < NROLES; i++)
		if (!strcmp(roles[i].name, name))
			return &roles[i];
	return NULL;
}

int vocab_strategy_incorrect(const char *name)
{
	const struct strategy_role *r = vocab_strategy(name);

	return r && strcmp(r->role, "fix");
}

size_t vocab_other_colour_count(void)
{
	return sizeof(other_colours) / sizeof(other_colours[0]);
}

const char *vocab_other_colour(size_t i)
{
	return other_colours[i % vocab_other_colour_count()];
}
