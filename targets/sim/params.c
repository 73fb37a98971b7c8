/*
 * params.c - the `sim` target's parameter table, workloads and strategies:
 * the single source for validation, defaults, `describe` and the docs.
 * Calibrated values (latencies, costs) are defaults here only as a fallback;
 * the presets in presets/ set them with their sources.
 */
#include "sim.h"

static const char *const granules[] = {"4k", "16k", "64k", NULL};
static const char *const patterns[] = {"sequential", "random", "hotset",
				       "read-then-write", NULL};
static const char *const fault_models[] = {"auto", "stall", "pri", "device", NULL};
static const char *const kernels[] = {"v6.5", "v6.6", "v6.11", "v6.14", "v6.19", NULL};
static const char *const fix_a_faults[] = {"all", "permission", NULL};
static const char *const reprotects[] = {"fork", "writeback", "softdirty",
					 "clean", NULL};
static const char *const upgrade_flushes[] = {"local", "broadcast", "kernel", NULL};

#define B(n, d, g, h) {n, PARAM_BOOL, 0, 1, d, NULL, "", g, h}
#define I(n, lo, hi, d, u, g, h) {n, PARAM_INT, lo, hi, d, NULL, u, g, h}
#define R(n, lo, hi, d, u, g, h) {n, PARAM_REAL, lo, hi, d, NULL, u, g, h}
#define E(n, c, d, g, h) {n, PARAM_ENUM, 0, 0, d, c, "", g, h}

/* Order matters: enum sim_param in sim.h indexes this table. */
const struct param_def sim_params[SIM_NPARAMS] = {
	/* kernel */
	E("kernel", kernels, K_V6_19, "kernel",
	  "the kernel whose arm64 TLB flushes and SMMUv3 SVA driver the run models (docs/model.md). "
	  "v6.5: before the v6.6 notifier series; range operations invalidated twice, from tlb_flush_mmu_tlbonly() and again from mmu_notifier_invalidate_range_end(); one notifier per (domain, mm). "
	  "v6.6: 6bbd42e2df8f, the notifier is called from every arm64 TLB flush, but __flush_tlb_range() hands it an empty range, so every range flush becomes TLBI_NH_ASID + ATC_INV of all; one notifier per (device domain, mm): D devices on one SMMU pay D times. "
	  "v6.11: d38c28dbefee, one notifier per SVA domain (per SMMU); the BTM branches removed. "
	  "v6.14: f7edb07ad7c6, range flushes notify the real range. "
	  "v6.19: cb1fa2e99955, ptep_set_access_flags() flushes CPU-locally and still notifies. "
	  "`notifier` on v6.5 is the v6.6 series backported; none, pri-inv* and notifier-seed never had that series and keep the pre-v6.6 notifier design (double range invalidation) at every version, with that version's SMMU driver"),

	/* run */
	I("duration_us", 10, 60000000, 2000, "us", "run", "simulated time of one run"),
	I("sample_us", 1, 1000000, 50, "us", "run", "time-series sampling interval (simulated)"),
	I("livelock_k", 1, 100000, 64, "faults", "run",
	  "refaults of one transaction on one page with no PTE change before it is declared livelocked and aborted"),
	I("passes", 0, 1000000, 0, "passes", "run",
	  "rw-reuse, first-touch: end the run when this many device passes are done (0: run for duration_us)"),
	I("max_events", 1000, 10000000000.0, 500000000, "events", "run",
	  "event budget; a run that exceeds it fails"),

	/* mm */
	E("granule", granules, 0, "mm", "translation granule / page size"),
	I("pages", 1, 1048576, 256, "pages", "mm", "device buffer size"),
	I("pass_gap_us", 0, 10000000, 0, "us", "mm",
	  "rw-reuse, first-touch: CPU think time between the end of a device pass and the bulk mm operation (re-protect / MADV_DONTNEED) that starts the next"),
	E("reprotect", reprotects, 0, "mm",
	  "how pages become read-only: fork (wrprotect all + flush_tlb_mm), writeback (page_mkclean per page), softdirty (clear_refs: wrprotect range + range flush), clean (mkclean: DBM writable-clean)"),
	R("cow_copy_fraction", 0, 1, 0, "", "mm",
	  "fraction of write faults on read-only anon pages that copy (page shared) instead of reusing in place"),

	/* cpu */
	I("cpu_threads", 0, 64, 1, "threads", "cpu", "CPU threads of the bound process doing mm operations"),
	R("cpu_upgrade_rate_hz", 0, 100000000, 0, "Hz", "cpu",
	  "write-protect + re-dirty cycles per second, all CPU threads together"),
	I("cpu_pages", 1, 1048576, 512, "pages", "cpu", "CPU-private region churned by CPU threads"),
	R("overlap", 0, 1, 0, "", "cpu", "fraction of CPU upgrades that hit the device buffer"),
	R("cpu_op_rate_hz", 0, 100000000, 0, "Hz", "cpu",
	  "mprotect toggles (mprotect-toggle) or map+unmap cycles (munmap-large) per second"),
	I("range_pages", 1, 1048576, 64, "pages", "cpu", "size of one mprotect / munmap / clear_refs range"),
	I("iterations", 0, 1000000, 0, "ops", "cpu",
	  "munmap-large, dma-unmap: end the run when this many map + unmap cycles are done (0: run for duration_us)"),
	E("cpu_upgrade_flush", upgrade_flushes, UPF_KERNEL, "cpu",
	  "CPU TLBI after an in-place upgrade (ptep_set_access_flags): local (v6.19+, cb1fa2e99955 local_flush_tlb_page(): invisible to BTM, still notifies), broadcast (<= v6.18, flush_tlb_page(): snooped by BTM), kernel: as `kernel` says"),
	B("cpu_tlbi_range", 1, "cpu",
	  "the CPU has FEAT_TLBIRANGE (Armv8.4). Without it, __flush_tlb_range() turns a range of MAX_TLBI_OPS (PTRS_PER_PTE: 512 pages at 4K) or more into flush_tlb_mm(), so the notifier gets (0, -1UL) and sends TLBI_NH_ASID whatever the SMMU supports (arch/arm64/include/asm/tlbflush.h, v6.6+)"),
	R("migrate_rate_hz", 0, 100000000, 0, "Hz", "cpu",
	  "device-buffer pages migrated per second (compaction / NUMA balancing: unmap + flush, copy, new pfn)"),
	R("device_fault_rate_hz", 0, 100000000, 0, "Hz", "cpu",
	  "mixed: device-buffer pages write-protected per second (each costs the device a fault on its next write)"),

	/* device */
	I("devices", 1, 8, 1, "devices", "device", "DMA engines bound to the mm, each its own StreamID"),
	I("smmus", 1, 4, 1, "smmus", "device", "SMMUs the devices sit behind (device i on SMMU i mod smmus)"),
	I("outstanding", 1, 256, 4, "transactions", "device", "outstanding transactions per device"),
	I("txn_bytes", 64, 65536, 4096, "B", "device", "bytes per DMA transaction (at most one page)"),
	R("dma_bytes_per_ns", 0.001, 1000, 8, "B/ns", "device", "device transfer bandwidth"),
	I("dma_setup_ns", 0, 1000000, 100, "ns", "device", "per-transaction overhead"),
	E("pattern", patterns, 0, "device", "device access pattern"),
	R("write_fraction", 0, 1, 0.5, "", "device", "fraction of device transactions that write"),
	I("hot_pages", 1, 1048576, 16, "pages", "device", "hot set size (pattern=hotset)"),
	R("hot_fraction", 0, 1, 0.9, "", "device", "fraction of accesses to the hot set"),
	B("ats", 0, "device", "devices use ATS (with an ATC) and PRI"),
	E("fault_model", fault_models, 0, "device",
	  "who resolves a device fault. stall: event queue + CMD_RESUME, mainline's only IOPF path (HiSilicon uacce accelerators); needs ats=false. "
	  "pri: PRI queue + CMD_PRI_RESP as the 2023 thread proposed; mainline answers PRI with DENY (arm_smmu_handle_ppr), so this is what it would cost; needs ats=true. "
	  "device: ATS without PRI, the device's own driver resolves the fault (handle_mm_fault) and replays; the SMMU driver never sees it, so Fix A cannot act (pri-inv* behave as none, fix.applicable = 0): the device behind the merged fix (Popple, 2023-05-31, <87v8g9qr2z.fsf@nvidia.com>); needs ats=true. "
	  "auto: pri with ATS, else stall"),
	I("device_fault_ns", 0, 100000000, 50000, "ns", "device",
	  "fault_model device: from the faulting access to the device's driver calling handle_mm_fault (interrupt, fault buffer, batching), plus its replay"),
	I("prg_pages", 1, 32, 1, "pages", "device", "pages per PRI page request group"),
	I("pri_credits", 1, 512, 32, "requests", "device", "outstanding page requests per device"),
	I("retry_ns", 0, 100000000, 2000, "ns", "device", "device back-off after a terminated transaction"),
	I("pri_timeout_us", 1, 10000000, 100, "us", "device", "device timeout for a lost page request"),
	I("ats_rq_ns", 0, 1000000, 500, "ns", "device", "ATS translation request round trip over the link"),

	/* smmu */
	B("negative_caching", 1, "smmu", "TLB keeps read-only permission and faults writes from the cached entry"),
	B("btm", 0, "smmu", "broadcast TLB maintenance: the SMMU snoops CPU TLBIs"),
	B("ril", 0, "smmu", "range invalidation (IDR3.RIL)"),
	B("httu", 0, "smmu", "hardware dirty-bit update for writable-clean (DBM) pages"),
	B("max_tlbi_ops", 1, "smmu",
	  "apply CMDQ_MAX_TLBI_OPS (d5afb4b47e13): without RIL a range of 1 << (PAGE_SHIFT - 3) pages or more becomes one TLBI_NH_ASID"),
	I("tlb_entries", 16, 1048576, 2048, "entries", "smmu", "main TLB entries"),
	I("tlb_ways", 1, 64, 4, "ways", "smmu", "main TLB associativity"),
	I("atc_entries", 1, 65536, 64, "entries", "smmu", "device ATC entries (with ATS)"),
	I("atc_ways", 1, 64, 4, "ways", "smmu", "ATC associativity"),
	I("walk_cache_entries", 1, 65536, 128, "entries", "smmu", "walk cache entries (last-level table pointers)"),
	I("cfg_cache_entries", 1, 4096, 64, "entries", "smmu", "configuration cache entries (STE+CD per StreamID)"),
	I("cmdq_depth", 2, 524288, 1024, "commands", "smmu", "command queue entries"),
	I("evtq_depth", 1, 524288, 128, "records", "smmu", "event queue entries"),
	I("priq_depth", 1, 524288, 64, "records", "smmu", "PRI queue entries"),
	I("stall_max", 1, 65536, 32, "stalls", "smmu", "IDR5.STALL_MAX: outstanding stalled transactions"),
	R("smmu_clock_mhz", 1, 10000, 1000, "MHz", "smmu", "SMMU clock for pmcg.cycles"),
	I("tlb_hit_ns", 0, 100000, 10, "ns", "smmu", "TLB hit latency"),
	I("walk_level_ns", 0, 100000, 80, "ns", "smmu", "page-table walker latency per level"),
	I("cfg_access_ns", 0, 100000, 80, "ns", "smmu", "STE/CD fetch latency"),
	I("cmd_tlbi_nh_va_ns", 0, 10000000, 40, "ns", "smmu", "CMD_TLBI_NH_VA consumption"),
	I("cmd_tlbi_nh_va_range_ns", 0, 10000000, 60, "ns", "smmu", "CMD_TLBI_NH_VA range form consumption"),
	I("cmd_tlbi_nh_asid_ns", 0, 10000000, 200, "ns", "smmu", "CMD_TLBI_NH_ASID consumption"),
	I("cmd_atc_inv_ns", 0, 10000000, 1500, "ns", "smmu", "CMD_ATC_INV consumption (device round trip)"),
	I("cmd_sync_ns", 0, 10000000, 600, "ns", "smmu", "CMD_SYNC completion (MSI write-back)"),
	I("cmd_resume_ns", 0, 10000000, 40, "ns", "smmu", "CMD_RESUME consumption"),
	I("cmd_pri_resp_ns", 0, 10000000, 400, "ns", "smmu", "CMD_PRI_RESP consumption (PRG response to the device)"),
	I("cmd_cfgi_cd_ns", 0, 10000000, 100, "ns", "smmu", "CMD_CFGI_CD consumption"),
	I("cmdq_insert_ns", 0, 1000000, 15, "ns", "smmu", "CPU cost to write one command"),
	I("cmdq_issue_ns", 0, 1000000, 150, "ns", "smmu", "CPU cost per submission (slot reservation, PROD write)"),

	/* host */
	I("irq_ns", 0, 10000000, 2000, "ns", "host", "interrupt to threaded handler"),
	I("queue_entry_ns", 0, 1000000, 200, "ns", "host", "handler cost per event / PRI record"),
	I("iopf_dispatch_ns", 0, 10000000, 3000, "ns", "host", "IOPF workqueue dispatch"),
	R("host_jitter", 0, 10, 0.3, "", "host",
	  "coefficient of variation of the IRQ and workqueue latencies (log-normal, mean kept)"),
	I("iopf_workers", 1, 256, 4, "workers", "host", "IOPF workqueue concurrency"),
	E("fix_a_faults", fix_a_faults, FIXA_ALL, "host",
	  "which resolved faults Fix A invalidates before its response: all (the thread's proposal, Gunthorpe <ZHKaBQt8623s9+VK@nvidia.com>: an invalidation before every ack) or permission faults only"),
	I("fault_reuse_ns", 0, 10000000, 1500, "ns", "host", "handle_mm_fault: in-place upgrade (wp_page_reuse)"),
	I("fault_copy_ns", 0, 10000000, 4000, "ns", "host", "handle_mm_fault: copy (wp_page_copy), per 4 KiB"),
	I("fault_new_ns", 0, 10000000, 3000, "ns", "host", "handle_mm_fault: new zeroed page, per 4 KiB"),
	I("fault_spurious_ns", 0, 10000000, 500, "ns", "host", "handle_mm_fault finding the PTE already fine"),
	I("response_ns", 0, 10000000, 500, "ns", "host", "iopf_group_response overhead"),
	I("cpu_fault_ns", 0, 10000000, 800, "ns", "host", "CPU minor fault base cost"),
	I("cpu_wp_ns", 0, 10000000, 300, "ns", "host", "write-protect one PTE (page_mkclean / wrprotect)"),
	I("cpu_pte_ns", 0, 10000000, 20, "ns", "host", "per-PTE cost of a range operation"),
	I("cpu_tlbi_ns", 0, 10000000, 350, "ns", "host", "CPU TLBI + DSB for one flush"),
};

const struct workload_def sim_workloads[SIM_NWORKLOADS] = {
	{"rw-reuse",
	 "the seed's bug: the device reads then writes pages whose PTEs are read-only but reusable in place; after each device pass the buffer is re-protected (reprotect: fork, writeback, softdirty, clean)",
	 (const struct param_override[]){{"pattern", PAT_READ_THEN_WRITE}, {NULL, 0}}},
	{"first-touch",
	 "the device writes never-touched memory: translation faults and new pages, no in-place upgrade; after each device pass the buffer is zapped (MADV_DONTNEED)",
	 (const struct param_override[]){{"pattern", PAT_SEQUENTIAL}, {"write_fraction", 1},
					 {"pages", 256}, {NULL, 0}}},
	{"cpu-upgrade-churn",
	 "CPU threads write-protect and re-dirty pages of the bound mm while the device streams a separate buffer: pure Fix B overhead",
	 (const struct param_override[]){{"pattern", PAT_SEQUENTIAL}, {"reprotect", REPROT_WRITEBACK},
					 {"cpu_threads", 2}, {"cpu_upgrade_rate_hz", 200000}, {NULL, 0}}},
	{"mixed",
	 "device fault rate and CPU upgrade rate as independent knobs: the crossover sweep",
	 (const struct param_override[]){{"pattern", PAT_RANDOM}, {"reprotect", REPROT_WRITEBACK},
					 {"device_fault_rate_hz", 50000}, {"cpu_upgrade_rate_hz", 100000},
					 {"overlap", 0.5}, {NULL, 0}}},
	{"mprotect-toggle",
	 "a CPU thread toggles a range between read-only and read-write while the device reads it: per-page TLBI vs TLBI_NH_ASID at the threshold, RIL",
	 (const struct param_override[]){{"pattern", PAT_SEQUENTIAL}, {"write_fraction", 0},
					 {"cpu_op_rate_hz", 20000}, {"range_pages", 64}, {NULL, 0}}},
	{"munmap-large",
	 "a CPU thread maps, touches and unmaps large ranges while the device streams its buffer: the per-page TLBI storm behind the 2023 soft-lockup fix; by default without the fix (max_tlbi_ops=false) and without RIL, ~50 unmaps of 1024 pages in 10 ms; max_tlbi_ops=true shows the threshold's effect",
	 (const struct param_override[]){{"pattern", PAT_SEQUENTIAL}, {"cpu_op_rate_hz", 5000},
					 {"range_pages", 1024}, {"max_tlbi_ops", 0}, {"duration_us", 10000},
					 {NULL, 0}}},
	{"dma-unmap",
	 "the driver's DMA (unmanaged) domain as VFIO uses it: a CPU thread maps range_pages of IOVA and unmaps them; each unmap is invalidated by arm_smmu_tlb_inv_range_domain() (range commands with RIL, one TLBI_NH_VA per page without, no TLBI_NH_ASID fallback) + CMD_SYNC, whatever the strategy; the qemu target's guest mode records the real driver doing it",
	 (const struct param_override[]){{"pattern", PAT_SEQUENTIAL}, {"cpu_op_rate_hz", 2000},
					 {"range_pages", 16}, {"iterations", 3}, {"duration_us", 1000000},
					 {NULL, 0}}},
};

const struct strategy_def sim_strategies[SIM_NSTRATEGIES] = {
	{"none", "upgrade in place, no secondary invalidation (the bug), on the pre-v6.6 notifier design"},
	{"pri-inv", "Fix A, pipelined: TLBI + CMD_SYNC [+ ATC_INV + CMD_SYNC under ATS] + RESUME/PRI_RESP in one submission, no wait; the queue keeps the order. Cannot act under fault_model device"},
	{"pri-inv-sync", "Fix A, waiting: TLBI + CMD_SYNC, wait [, ATC_INV + CMD_SYNC, wait], then the response. Cannot act under fault_model device"},
	{"notifier", "Fix B: the v6.6 design (6bbd42e2df8f), secondary TLB invalidation from every arm64 TLB flush, with the notifier code of `kernel` (v6.5 = the series backported)"},
	{"notifier-seed", "Fix B as in the May 2023 patch: notify from ptep_set_access_flags only, on the pre-v6.6 notifier design"},
	{"pri-inv-no-atc", "deliberately broken Fix A: its response sends no CMD_ATC_INV (the notifier's ATC invalidations stay). The oracle catches nothing: a device whose ATC entry lacks write permission asks the SMMU again"},
};
