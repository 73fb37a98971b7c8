/*
 * sim.h - the `sim` target's tables, shared by the files of targets/sim/.
 * Outside this folder only `sim_target` (via targets/target.h's registry)
 * is visible.
 */
#ifndef SVABENCH_SIM_H
#define SVABENCH_SIM_H

#include "../target.h"

/* Indexes into sim_params[]; the order of params.c. */
enum sim_param {
	P_KERNEL,
	P_DURATION_US,
	P_SAMPLE_US,
	P_LIVELOCK_K,
	P_PASSES,
	P_MAX_EVENTS,
	P_GRANULE,
	P_PAGES,
	P_PASS_GAP_US,
	P_FOLIO,
	P_TLBBATCH,
	P_REPROTECT,
	P_COW_COPY_FRACTION,
	P_CPU_THREADS,
	P_CPU_UPGRADE_RATE_HZ,
	P_CPU_PAGES,
	P_OVERLAP,
	P_CPU_OP_RATE_HZ,
	P_RANGE_PAGES,
	P_ITERATIONS,
	P_CPU_UPGRADE_FLUSH,
	P_CPU_TLBI_RANGE,
	P_MIGRATE_RATE_HZ,
	P_DEVICE_FAULT_RATE_HZ,
	P_DEVICES,
	P_SMMUS,
	P_OUTSTANDING,
	P_TXN_BYTES,
	P_DMA_BYTES_PER_NS,
	P_DMA_SETUP_NS,
	P_PATTERN,
	P_WRITE_FRACTION,
	P_HOT_PAGES,
	P_HOT_FRACTION,
	P_ATS,
	P_FAULT_MODEL,
	P_DEVICE_FAULT_NS,
	P_PRG_PAGES,
	P_PRI_CREDITS,
	P_RETRY_NS,
	P_PRI_TIMEOUT_US,
	P_ATS_RQ_NS,
	P_NEGATIVE_CACHING,
	P_CACHE_FAULTING_WALK,
	P_BTM,
	P_RIL,
	P_HTTU,
	P_MAX_TLBI_OPS,
	P_TLB_ENTRIES,
	P_TLB_WAYS,
	P_ATC_ENTRIES,
	P_ATC_WAYS,
	P_WALK_CACHE_ENTRIES,
	P_CFG_CACHE_ENTRIES,
	P_CMDQ_DEPTH,
	P_EVTQ_DEPTH,
	P_PRIQ_DEPTH,
	P_STALL_MAX,
	P_SMMU_CLOCK_MHZ,
	P_TLB_HIT_NS,
	P_WALK_LEVEL_NS,
	P_CFG_ACCESS_NS,
	P_CMD_TLBI_NH_VA_NS,
	P_CMD_TLBI_NH_VA_RANGE_NS,
	P_CMD_TLBI_NH_ASID_NS,
	P_CMD_ATC_INV_NS,
	P_CMD_SYNC_NS,
	P_CMD_SYNC_BUSY_NS,
	P_CMD_RESUME_NS,
	P_CMD_PRI_RESP_NS,
	P_CMD_CFGI_CD_NS,
	P_CMDQ_INSERT_NS,
	P_CMDQ_ISSUE_NS,
	P_CMDQ_CONTEND_NS,
	P_IRQ_NS,
	P_QUEUE_ENTRY_NS,
	P_IOPF_DISPATCH_NS,
	P_HOST_JITTER,
	P_IOPF_WORKERS,
	P_FIX_A_FAULTS,
	P_FAULT_REUSE_NS,
	P_FAULT_COPY_NS,
	P_FAULT_NEW_NS,
	P_FAULT_SPURIOUS_NS,
	P_RESPONSE_NS,
	P_CPU_FAULT_NS,
	P_CPU_WP_NS,
	P_CPU_PTE_NS,
	P_CPU_TLBI_NS,
	P_MN_DISPATCH_NS,
	SIM_NPARAMS
};

enum sim_granule { GRAN_4K, GRAN_16K, GRAN_64K };
enum sim_pattern { PAT_SEQUENTIAL, PAT_RANDOM, PAT_HOTSET, PAT_READ_THEN_WRITE };
enum sim_fault_model { FM_AUTO, FM_STALL, FM_PRI, FM_DEVICE };
/* The kernel versions `kernel` selects (params.c says what each stands for). */
enum sim_kernel { K_V6_5, K_V6_6, K_V6_11, K_V6_14, K_V6_19 };
enum sim_fix_a_faults { FIXA_ALL, FIXA_PERMISSION };
enum sim_folio { FOLIO_4K, FOLIO_CONTPTE, FOLIO_PMD };
enum sim_tlbbatch { TLBB_PER_PAGE, TLBB_PER_FOLIO };
enum sim_reprotect { REPROT_FORK, REPROT_WRITEBACK, REPROT_SOFTDIRTY, REPROT_CLEAN };
enum sim_upgrade_flush { UPF_LOCAL, UPF_BROADCAST, UPF_KERNEL };

enum sim_workload {
	WL_RW_REUSE,
	WL_FIRST_TOUCH,
	WL_CPU_UPGRADE_CHURN,
	WL_MIXED,
	WL_MPROTECT_TOGGLE,
	WL_MUNMAP_LARGE,
	WL_DMA_UNMAP,
	SIM_NWORKLOADS
};

enum sim_strategy {
	ST_NONE,
	ST_PRI_INV,
	ST_PRI_INV_SYNC,
	ST_NOTIFIER,
	ST_NOTIFIER_SEED,
	ST_PRI_INV_NO_ATC,
	SIM_NSTRATEGIES
};

extern const struct param_def sim_params[SIM_NPARAMS];
extern const struct param_source sim_param_sources[SIM_NPARAMS];
extern const struct workload_def sim_workloads[SIM_NWORKLOADS];
extern const struct strategy_def sim_strategies[SIM_NSTRATEGIES];
extern const struct target sim_target;

/* Presets (presets.c): parsed once from the JSON files embedded at build. */
const struct preset *sim_preset(size_t i);
size_t sim_npresets(void);

/* The model (model.c): runs one cell to completion. */
int sim_run(const struct run_req *req, const struct run_sink *sink,
	    struct run_result *res);

#endif
