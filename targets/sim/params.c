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
static const char *const folios[] = {"4k", "contpte", "pmd", NULL};
static const char *const tlbbatches[] = {"per-page", "per-folio", NULL};
static const char *const reprotects[] = {"fork", "writeback", "softdirty",
					 "clean", NULL};
static const char *const upgrade_flushes[] = {"local", "broadcast", "kernel", NULL};

/* The table and the sources of its defaults, from one list (params.def). */
#define B(n, d, g, h, c, s) {n, PARAM_BOOL, 0, 1, d, NULL, "", g, h}
#define I(n, lo, hi, d, u, g, h, c, s) {n, PARAM_INT, lo, hi, d, NULL, u, g, h}
#define R(n, lo, hi, d, u, g, h, c, s) {n, PARAM_REAL, lo, hi, d, NULL, u, g, h}
#define E(n, ch, d, g, h, c, s) {n, PARAM_ENUM, 0, 0, d, ch, "", g, h}
const struct param_def sim_params[SIM_NPARAMS] = {
#include "params.def"
};
#undef B
#undef I
#undef R
#undef E
#define B(n, d, g, h, c, s) {s, c}
#define I(n, lo, hi, d, u, g, h, c, s) {s, c}
#define R(n, lo, hi, d, u, g, h, c, s) {s, c}
#define E(n, ch, d, g, h, c, s) {s, c}
const struct param_source sim_param_sources[SIM_NPARAMS] = {
#include "params.def"
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
