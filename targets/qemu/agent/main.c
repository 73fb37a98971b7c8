/*
 * main.c - the agent's run: check the job QEMU loaded at QEMU_JOB_ADDR, set
 * up the board, the mm and the SMMU, run the workload between two trace
 * markers, print the metrics line, power off.
 */
#include "agent.h"

static void bad_job(const char *field, uint64_t got, const char *want)
{
	struct line l = {.n = 0};

	ln_str(&l, "job: ");
	ln_str(&l, field);
	ln_str(&l, " ");
	ln_u64(&l, got);
	ln_str(&l, " ");
	ln_str(&l, want);
	fatal_line(&l);
}

static void range(const char *field, uint64_t v, uint64_t lo, uint64_t hi)
{
	struct line l = {.n = 0};

	if (v >= lo && v <= hi)
		return;
	ln_str(&l, "is out of range ");
	ln_u64(&l, lo);
	ln_str(&l, "..");
	ln_u64(&l, hi);
	bad_job(field, v, ln_cstr(&l));
}

static void check_job(const struct qemu_job *j)
{
	uint64_t pages;

	if (j->magic != QEMU_JOB_MAGIC)
		bad_job("magic", j->magic, "is not SVB1 (no job loaded at 0x4ff00000?)");
	if (j->version != QEMU_JOB_VERSION)
		bad_job("version", j->version, "is not the agent's version 1");
	if (j->size != sizeof(*j))
		bad_job("size", j->size, "is not the agent's struct qemu_job size");
	range("workload", j->workload, 0, QJ_NWORKLOADS - 1);
	range("strategy", j->strategy, 0, QJ_NSTRATEGIES - 1);
	range("pages", j->pages, 1, mm_capacity());
	range("passes", j->passes, 1, 1000000);
	range("livelock_k", j->livelock_k, 1, 1000000);
	range("txn_bytes", j->txn_bytes, 4, DEV_BUF_SIZE / 2);
	if (j->txn_bytes % 4)
		bad_job("txn_bytes", j->txn_bytes, "is not a multiple of 4");
	range("reprotect", j->reprotect, QJ_REPROT_FORK, QJ_REPROT_WRITEBACK);
	range("cpu_pages", j->cpu_pages, 1, mm_capacity());
	range("range_pages", j->range_pages, 1, mm_capacity());
	range("overlap_pct", j->overlap_pct, 0, 100);
	range("asid", j->asid, 1, 65535);
	pages = (uint64_t)j->pages + 1;
	if (j->workload == QJ_CPU_UPGRADE_CHURN)
		pages += j->cpu_pages;
	if (j->workload == QJ_MUNMAP_LARGE)
		pages += j->range_pages;
	if (pages > mm_capacity())
		bad_job("pages", j->pages, "with cpu_pages / range_pages does not fit below 256 MiB of IOVA");
}

static void say_metrics(void)
{
	struct line l = {.n = 0};
	int first = 1;

	ln_str(&l, "{\"metrics\":{");
#define X(f, name)                      \
	if (!first)                     \
		ln_str(&l, ",");        \
	first = 0;                      \
	ln_json(&l, name);              \
	ln_str(&l, ":");                \
	ln_u64(&l, ctr.f);              \
	ln_flush(&l);
	AGENT_COUNTERS(X)
#undef X
	ln_str(&l, "}}");
	ln_emit(&l);
}

void agent_main(void);
void agent_main(void)
{
	const struct qemu_job *job = (const struct qemu_job *)(uintptr_t)QEMU_JOB_ADDR;
	struct dev d;
	int ril;

	check_job(job);
	pci_init(&d);
	gic_init();
	mm_init(job);
	ril = smmu_init(d.sid, (uint16_t)job->asid, mm.ttb0);
	if (job->ril && !ril)
		bad_job("ril", job->ril, "asks for range TLBIs but the SMMU has no IDR3.RIL");

	/*
	 * Binding the mm to the device: CMD_CFGI_CD + CMD_SYNC, as the sim's
	 * devices_start() sends too. It is set-up, not the workload: sent
	 * before counting and before marker 1, like the SMMU's own init.
	 */
	struct cmd cfgi = cmd_cfgi_cd(d.sid);

	cmdq_submit(&cfgi, 1, 1);
	counting = 1;
	dev_mark(&d, 1);
	work_run(job, &d);
	dev_mark(&d, 2);
	counting = 0;
	say_metrics();
}
