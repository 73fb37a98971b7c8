/*
 * qemu.c - the `qemu` target as the rest of svabench sees it: QEMU's SMMUv3
 * (an implementation svabench did not write) in two modes picked by the
 * workload. bare: our agent plays the host and the seed's scenario runs on
 * QEMU's IOTLB (verdicts, data checks, commands by opcode). guest: Debian's
 * arm64 kernel and its arm-smmu-v3 driver under VFIO (the real driver's
 * command stream). QEMU's SMMU work costs no virtual time, so this target
 * never reports QEMU's clock as a cost: costs come from the sim's presets.
 */
#include "qemu.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const qemu_caps[] = {
	"independent-smmuv3", "livelock-verdict", "data-check", "commands-by-opcode",
	"qemu-trace", "real-linux-driver", NULL,
};

static const char *const reprotects[] = {"fork", "writeback", NULL};
const char *const qemu_cpus[] = {"cortex-a57", "cortex-a72", "max", NULL};

#define B(n, d, g, h) {n, PARAM_BOOL, 0, 1, d, NULL, "", g, h}
#define I(n, lo, hi, d, u, g, h) {n, PARAM_INT, lo, hi, d, NULL, u, g, h}
#define R(n, lo, hi, d, u, g, h) {n, PARAM_REAL, lo, hi, d, NULL, u, g, h}
#define E(n, c, d, g, h) {n, PARAM_ENUM, 0, 0, d, c, "", g, h}

/* Indexed by enum qemu_param (designated: an insert cannot shift a row). Names follow sim's. */
const struct param_def qemu_params[QEMU_NPARAMS] = {
	[QP_PASSES] = I("passes", 1, 10000, 2, "passes", "run",
	  "bare: device passes over the buffer (rw-reuse, first-touch re-protect / zap between passes)"),
	[QP_PAGES] = I("pages", 1, 4096, 16, "pages", "mm", "bare: device buffer size, 4 KiB pages"),
	[QP_LIVELOCK_K] = I("livelock_k", 1, 100000, 64, "faults", "run",
	  "bare: refaults of one DMA on one page with no PTE change before it is declared livelocked and aborted"),
	[QP_READ_BEFORE_WRITE] = B("read_before_write", 1, "device",
	  "bare, rw-reuse: the device reads each page before writing it (caches the read-only entry: the seed's livelock); false is the control"),
	[QP_TXN_BYTES] = I("txn_bytes", 64, 2048, 64, "B", "device",
	  "bare: bytes per DMA (edu's buffer is 4 KiB; a read and a write of one page use two halves)"),
	[QP_REPROTECT] = E("reprotect", reprotects, 0, "mm",
	  "bare, rw-reuse: how pages become read-only between passes: fork (wrprotect all + flush_tlb_mm) or writeback (page_mkclean per page)"),
	[QP_CPU_PAGES] = I("cpu_pages", 1, 4096, 64, "pages", "cpu", "bare, cpu-upgrade-churn: CPU-private region the CPU churns"),
	[QP_CPU_OPS] = I("cpu_ops", 0, 100000, 0, "ops", "cpu",
	  "bare: CPU-side operations per device pass (churn write-protect + re-dirty, mprotect toggles, map+unmap cycles)"),
	[QP_RANGE_PAGES] = I("range_pages", 1, 16384, 64, "pages", "cpu",
	  "bare: pages per mprotect / munmap range; guest (dma-unmap): pages per VFIO map / unmap"),
	[QP_OVERLAP] = R("overlap", 0, 1, 0, "", "cpu", "bare, cpu-upgrade-churn: fraction of CPU upgrades that hit the device buffer"),
	[QP_RIL] = B("ril", 0, "smmu",
	  "bare: the agent sends range TLBIs (QEMU's SMMUv3 has IDR3.RIL) as __arm_smmu_tlb_inv_range does; the guest's driver decides for itself"),
	[QP_MAX_TLBI_OPS] = B("max_tlbi_ops", 1, "smmu",
	  "bare: without RIL a range of 512 pages or more becomes one TLBI_NH_ASID (d5afb4b47e13)"),
	[QP_ITERATIONS] = I("iterations", 1, 1000, 3, "ops", "run", "guest (dma-unmap): map + DMA + unmap cycles per cell"),
	[QP_CPU] = E("cpu", qemu_cpus, 1, "run",
	  "QEMU -cpu model (max without pauth-impdef is 3-5x slower to boot a kernel)"),
	[QP_TRACE] = B("trace", 1, "run",
	  "record QEMU's SMMU trace: commands by opcode as QEMU consumed them and pmcg.* counts (guest mode always traces)"),
	[QP_TIMEOUT_S] = I("timeout_s", 1, 3600, 120, "s", "run",
	  "wall-clock limit for one QEMU run; a hung or crashed QEMU ends the run failed with its output tail"),
};

static const struct workload_def qemu_workloads[QEMU_NWORKLOADS] = {
	[QW_RW_REUSE] = {"rw-reuse",
	 "bare: the seed's bug on QEMU's SMMUv3: the device reads then writes pages whose PTEs are read-only but reusable in place; re-protected between passes",
	 NULL},
	[QW_FIRST_TOUCH] = {"first-touch",
	 "bare: the device writes pages never touched: translation faults and new pages, zapped between passes",
	 NULL},
	[QW_CPU_UPGRADE_CHURN] = {"cpu-upgrade-churn",
	 "bare: the CPU write-protects and re-dirties pages of the bound mm between device DMAs: what Fix B adds to CPU-side upgrades",
	 (const struct param_override[]){{"cpu_ops", 64}, {NULL, 0}}},
	[QW_MPROTECT_TOGGLE] = {"mprotect-toggle",
	 "bare: the CPU toggles a range read-only / read-write while the device reads it",
	 (const struct param_override[]){{"cpu_ops", 4}, {"range_pages", 8}, {NULL, 0}}},
	[QW_MUNMAP_LARGE] = {"munmap-large",
	 "bare: the CPU maps, touches and unmaps a large range while the device streams its buffer",
	 (const struct param_override[]){{"cpu_ops", 2}, {"range_pages", 1024}, {NULL, 0}}},
	[QW_DMA_UNMAP] = {"dma-unmap",
	 "guest: the real arm-smmu-v3 driver (Debian's arm64 6.1) maps range_pages through VFIO, DMAs both ways with a data check, unmaps; commands by opcode per unmap from QEMU's trace",
	 (const struct param_override[]){{"range_pages", 16}, {"timeout_s", 180}, {NULL, 0}}},
};

static const struct strategy_def qemu_strategies[QEMU_NSTRATEGIES] = {
	[QS_NONE] = {"none", "bare: upgrade in place, no secondary invalidation (the bug)"},
	[QS_PRI_INV] = {"pri-inv", "bare: Fix A, pipelined: TLBI + CMD_SYNC + CMD_RESUME in one submission (QEMU consumes and ignores the RESUME)"},
	[QS_PRI_INV_SYNC] = {"pri-inv-sync", "bare: Fix A, waiting for the CMD_SYNC before the response"},
	[QS_NOTIFIER] = {"notifier", "bare: Fix B as merged in v6.6: invalidation from every TLB flush of the agent's mm, CPU-side upgrades included"},
	[QS_NOTIFIER_SEED] = {"notifier-seed", "bare: Fix B as in the May 2023 patch: from the upgrade path only"},
	[QS_LINUX] = {"linux", "guest: whatever the guest kernel's arm-smmu-v3 driver sends (DMA / unmanaged domain through VFIO); the only strategy of guest workloads"},
};

static const struct preset qemu_default = {
	.name = "default",
	.description = "QEMU's SMMUv3 is observed, not calibrated: nothing is assumed",
	.values = NULL,
	.nvalues = 0,
};

static const struct preset *qemu_preset(size_t i)
{
	return i == 0 ? &qemu_default : NULL;
}

static size_t qemu_npresets(void)
{
	return 1;
}

int qemu_is_guest(int workload)
{
	return workload == QW_DMA_UNMAP;
}

static int qemu_available(char *why, size_t len)
{
	char bin[512], b[300] = "", g[300] = "";
	int bare, guest;

	if (!qemu_binary(bin, sizeof(bin))) {
		snprintf(why, len, "qemu-system-aarch64 not found (apt-get install qemu-system-arm)");
		return 0;
	}
	bare = qemu_bare_available(b, sizeof(b));
	guest = qemu_guest_available(g, sizeof(g));
	if (bare && guest)
		snprintf(why, len, "%s; modes bare and guest", bin);
	else if (bare)
		snprintf(why, len, "%s; mode bare; guest unavailable: %s", bin, g);
	else if (guest)
		snprintf(why, len, "%s; mode guest; bare unavailable: %s", bin, b);
	else
		snprintf(why, len, "%s, but neither mode can run: bare: %s; guest: %s", bin, b, g);
	return bare || guest;
}

/* A strategy of one mode cannot run a workload of the other. */
static int qemu_check_combo(int workload, int strategy, char *msg, size_t mlen)
{
	char why[300];
	int guest = qemu_is_guest(workload);

	if (guest != (strategy == QS_LINUX)) {
		snprintf(msg, mlen, "%s is a %s-mode workload; its strategies: %s",
			 qemu_workloads[workload].name, guest ? "guest" : "bare",
			 guest ? "linux" : "none, pri-inv, pri-inv-sync, notifier, notifier-seed");
		return -1;
	}
	if (guest ? !qemu_guest_available(why, sizeof(why)) : !qemu_bare_available(why, sizeof(why))) {
		snprintf(msg, mlen, "%s mode is unavailable here: %s", guest ? "guest" : "bare", why);
		return -1;
	}
	return 0;
}

/* One mode as describe shows detections: present (with what), or why not. */
static json_t *mode_json(int ok, const char *why, const char *workloads)
{
	return json_pack("{s:b, s:s, s:s}", "present", ok, ok ? "device" : "reason", why,
			 "workloads", workloads);
}

static json_t *qemu_detect(void)
{
	char bin[512], b[300] = "", g[300] = "";
	int have = qemu_binary(bin, sizeof(bin)) != NULL;
	int bare = have && qemu_bare_available(b, sizeof(b));
	int guest = have && qemu_guest_available(g, sizeof(g));

	if (!have) {
		snprintf(b, sizeof(b), "qemu-system-aarch64 not found (apt-get install qemu-system-arm)");
		snprintf(g, sizeof(g), "%s", b);
	}
	return json_pack("{s:s, s:o, s:o}", "qemu", have ? bin : b,
			 "bare", mode_json(bare, b, "rw-reuse first-touch cpu-upgrade-churn mprotect-toggle munmap-large"),
			 "guest", mode_json(guest, g, "dma-unmap"));
}

static int qemu_run(const struct run_req *req, const struct run_sink *sink,
		    struct run_result *res)
{
	if (qemu_is_guest(req->workload))
		return qemu_guest_run(req, sink, res);
	return qemu_bare_run(req, sink, res);
}

const struct target qemu_target = {
	.name = "qemu",
	.description = "QEMU's emulated SMMUv3 (qemu-system-aarch64 -M virt,iommu=smmuv3 with the edu device): bare mode runs the seed's scenario with our own bare-metal agent as the host; guest mode boots Debian's arm64 kernel and records the real arm-smmu-v3 driver's commands. Verdicts, data checks and commands by opcode; never costs (QEMU's SMMU work takes no virtual time)",
	.figures = "qemu figures are what QEMU's SMMUv3 did (verdicts, data checks, commands by opcode); QEMU's clock is never a cost.",
	.exclusive = 0,
	.capabilities = qemu_caps,
	.params = qemu_params,
	.nparams = QEMU_NPARAMS,
	.workloads = qemu_workloads,
	.nworkloads = QEMU_NWORKLOADS,
	.strategies = qemu_strategies,
	.nstrategies = QEMU_NSTRATEGIES,
	.preset = qemu_preset,
	.npresets = qemu_npresets,
	.available = qemu_available,
	.check_combo = qemu_check_combo,
	.run = qemu_run,
	.detect = qemu_detect,
};
