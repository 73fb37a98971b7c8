/*
 * work.c - the workloads: the device's passes over its buffer, the CPU-side
 * operations interleaved with them, and the fault handler a recoverable
 * fault would reach (targets/sim/device.c iopf_run(), with QEMU's SMMU
 * terminating the transaction where real hardware would stall it: the
 * handler's RESUME is consumed and ignored, and the agent retries the DMA).
 *
 * A transaction that faults again on its page with no PTE change since its
 * previous fault is stuck; at livelock_k such refaults it is aborted and
 * counted (dma.livelocked), as in the simulator.
 *
 * Data check: before each pass the CPU fills the first txn_bytes of every
 * present buffer page with a pattern of (seed, pass, page) and poisons the
 * next txn_bytes; the device reads [0, n) into its buffer and writes it back
 * to [n, 2n) of the same page; a write with no read before it writes what a
 * read of the staging page loaded. Each completed write is compared.
 *
 * Per page the device reads (if read_before_write) then writes; first-touch
 * only writes, mprotect-toggle only reads (sim: write_fraction 0). The CPU
 * operations of cpu-upgrade-churn, mprotect-toggle and munmap-large, cpu_ops
 * per pass, are spread evenly over the pass's pages; the rng (seeded from
 * the job) only picks their targets, so a run is deterministic.
 */
#include "agent.h"

#define EXAMPLES_MAX 4 /* of each kind; the host keeps RUN_EXAMPLES_MAX in all */
#define POISON 0xa5

enum txn_end { TXN_DONE, TXN_LIVELOCKED, TXN_ERROR };

static const struct qemu_job *job;
static const struct dev *dev;
static uint32_t pass;
static uint8_t expect[2048], stage_expect[2048];
static int livelock_examples, mismatch_examples;

/* xoshiro256** seeded by splitmix64, as the simulator's engine.c */
static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t result = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return result;
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(((unsigned __int128)rng_next() * n) >> 64);
}

/* The pattern byte i of page vpn in this pass. */
static uint8_t pattern(uint32_t vpn, uint32_t i)
{
	uint64_t x = job->seed ^ ((uint64_t)pass << 40) ^ ((uint64_t)vpn << 12) ^ (i >> 3);

	return (uint8_t)(splitmix64(&x) >> (8 * (i & 7)));
}

static void fill(uint32_t vpn)
{
	volatile uint8_t *p = frame_ptr(mm.pg[vpn].frame);

	for (uint32_t i = 0; i < job->txn_bytes; i++) {
		p[i] = pattern(vpn, i);
		p[job->txn_bytes + i] = POISON;
	}
}

static void livelock_example(uint32_t vpn, int write, uint32_t faults, uint32_t stuck)
{
	struct line l = {.n = 0};

	if (livelock_examples++ >= EXAMPLES_MAX)
		return;
	ln_str(&l, "pass ");
	ln_u64(&l, pass);
	ln_str(&l, " page ");
	ln_u64(&l, vpn);
	ln_str(&l, write ? ": write" : ": read");
	ln_str(&l, " livelocked after ");
	ln_u64(&l, faults);
	ln_str(&l, " faults, the last ");
	ln_u64(&l, stuck);
	ln_str(&l, " with no PTE change");
	if (write && pte_hw_writable(&mm.pg[vpn]))
		ln_str(&l, " (PTE writable, IOTLB read-only)");
	say_example(ln_cstr(&l));
}

/* The IOPF worker: resolve the fault in the mm, then answer as the strategy does. */
static int iopf(uint32_t vpn, int write)
{
	enum fault_kind kind = mm_handle_fault(vpn, write);
	int segv = kind == FK_SEGV;
	int fix_a = job->strategy == QJ_PRI_INV || job->strategy == QJ_PRI_INV_SYNC;
	struct cmd c[3], resp = cmd_resume(dev->sid, 0);

	if (kind == FK_SPURIOUS)
		ctr.fault_spurious++;
	if (fix_a && !segv) {
		/*
		 * Gunthorpe's fix: invalidate what the handler resolved before
		 * answering, in the driver's legal order: TLBI, CMD_SYNC, then the
		 * response (the edu device has no ATS, so no ATC_INV + CMD_SYNC
		 * between them; the sim's fix_a_cmds() has the ATS form).
		 */
		c[0] = cmd_tlbi_nh_va((uint16_t)job->asid, vpn_iova(vpn), 1);
		if (job->strategy == QJ_PRI_INV_SYNC) {
			cmdq_submit(c, 1, 1);
			cmdq_submit(&resp, 1, 0);
		} else {
			/* pipelined: TLBI + CMD_SYNC + response in one submission, no wait */
			c[1] = cmd_sync();
			c[2] = resp;
			cmdq_submit(c, 3, 0);
		}
	} else {
		/* arm_smmu_page_response(): no CMD_SYNC after RESUME */
		cmdq_submit(&resp, 1, 0);
	}
	ctr.fault_responses++;
	return segv;
}

static void bad_event(const struct evt *e, uint32_t vpn, int write)
{
	struct line l = {.n = 0};

	ln_str(&l, "smmu: unexpected event ");
	ln_hex(&l, e->type);
	ln_str(&l, " sid ");
	ln_hex(&l, e->sid);
	ln_str(&l, " addr ");
	ln_hex(&l, e->addr);
	ln_str(&l, e->read ? " read" : " write");
	ln_str(&l, " for a ");
	ln_str(&l, write ? "write" : "read");
	ln_str(&l, " of iova ");
	ln_hex(&l, vpn_iova(vpn));
	fatal_line(&l);
}

/* One device transaction on page vpn, retried after each fault until it completes or is given up. */
static enum txn_end txn(uint32_t vpn, int write)
{
	uint32_t n = job->txn_bytes, faults = 0, stuck = 0;
	uint64_t iova = vpn_iova(vpn) + (write ? n : 0);
	uint16_t last_gen = 0;

	for (;;) {
		struct evt e;
		uint32_t nev;

		ctr.qemu_dma_attempts++;
		dev_dma(dev, iova, 0, n, write);
		nev = evtq_drain(&e);
		ctr.qemu_events += nev;
		if (!nev) {
			ctr.dma_transactions++;
			ctr.dma_bytes += n;
			return TXN_DONE;
		}
		if (e.sid != dev->sid || (e.addr >> 12) != (iova >> 12) || e.read == write ||
		    (e.type != EVT_F_PERMISSION && e.type != EVT_F_TRANSLATION))
			bad_event(&e, vpn, write);
		if (e.type == EVT_F_PERMISSION)
			ctr.fault_permission++;
		else
			ctr.fault_translation++;
		if (faults) {
			ctr.fault_refaults++;
			stuck = mm.pg[vpn].gen == last_gen ? stuck + 1 : 0;
		}
		faults++;
		last_gen = mm.pg[vpn].gen;
		if (stuck >= job->livelock_k) {
			ctr.dma_livelocked++;
			livelock_example(vpn, write, faults, stuck);
			return TXN_LIVELOCKED;
		}
		if (iopf(vpn, write)) {
			ctr.dma_errors++; /* answered INVALID: the VMA forbids the access */
			return TXN_ERROR;
		}
	}
}

static void check_write(uint32_t vpn, const uint8_t *want)
{
	const volatile uint8_t *got = frame_ptr(mm.pg[vpn].frame) + job->txn_bytes;
	struct line l = {.n = 0};
	uint32_t i;

	ctr.data_checked++;
	for (i = 0; i < job->txn_bytes && got[i] == want[i]; i++)
		;
	if (i == job->txn_bytes)
		return;
	ctr.data_mismatches++;
	if (mismatch_examples++ >= EXAMPLES_MAX)
		return;
	ln_str(&l, "pass ");
	ln_u64(&l, pass);
	ln_str(&l, " page ");
	ln_u64(&l, vpn);
	ln_str(&l, ": a completed write did not land: byte ");
	ln_u64(&l, i);
	ln_str(&l, " is ");
	ln_hex(&l, got[i]);
	ln_str(&l, ", want ");
	ln_hex(&l, want[i]);
	say_example(ln_cstr(&l));
}

/* The device's work on one page: read [0, n) if asked, then write it to [n, 2n). */
static void device_step(uint32_t vpn, int read, int write)
{
	const uint8_t *want = stage_expect;

	if (read) {
		/* a read that was given up is not followed by its write (sim's rtw) */
		if (txn(vpn, 0) != TXN_DONE)
			return;
		memcpy(expect, frame_ptr(mm.pg[vpn].frame), job->txn_bytes);
		want = expect;
	}
	if (write && txn(vpn, 1) == TXN_DONE)
		check_write(vpn, want);
}

/* Loads the device buffer from the staging page: the data of writes with no read before them. */
static void stage(void)
{
	volatile uint8_t *p = frame_ptr(mm.pg[mm.stage].frame);
	struct evt e;

	for (uint32_t i = 0; i < job->txn_bytes; i++)
		p[i] = pattern(mm.stage, i);
	dev_dma(dev, vpn_iova(mm.stage), 0, job->txn_bytes, 0);
	if (evtq_drain(&e))
		bad_event(&e, mm.stage, 0);
	ctr.qemu_stage_dmas++;
	memcpy(stage_expect, (const void *)p, job->txn_bytes);
}

/* The CPU side of cpu-upgrade-churn, mprotect-toggle and munmap-large (sim's workload.c agents). */
static struct {
	int has_pending, toggled;
	uint32_t pending_vpn, range_left, range_lo;
} agent;

static void cpu_op(void)
{
	uint32_t vpn, n;

	ctr.cpu_ops++;
	switch (job->workload) {
	case QJ_CPU_UPGRADE_CHURN:
		/* re-dirty the page protected last time, then protect another */
		if (agent.has_pending) {
			mm_cpu_write(agent.pending_vpn);
			agent.has_pending = 0;
		}
		if (job->overlap_pct && rng_below(100) < job->overlap_pct)
			vpn = rng_below(mm.buf_pages);
		else
			vpn = mm.cpu_lo + rng_below(mm.cpu_n);
		if (job->reprotect == QJ_REPROT_WRITEBACK) {
			mm_wrprotect_page(vpn);
		} else {
			if (!agent.range_left) {
				mm_fork();
				agent.range_left = job->range_pages;
			}
			agent.range_left--;
		}
		agent.pending_vpn = vpn;
		agent.has_pending = 1;
		break;
	case QJ_MPROTECT_TOGGLE:
		n = job->range_pages < mm.buf_pages ? job->range_pages : mm.buf_pages;
		if (!agent.toggled)
			agent.range_lo = rng_below(mm.buf_pages - n + 1);
		mm_mprotect(agent.range_lo, n, agent.toggled);
		agent.toggled = !agent.toggled;
		break;
	case QJ_MUNMAP_LARGE:
		mm_populate(mm.map_lo, mm.map_n);
		mm_zap_range(mm.map_lo, mm.map_n);
		break;
	}
}

/* Between passes: re-protect (rw-reuse) or zap (first-touch) the buffer. */
static void pass_op(void)
{
	ctr.cpu_ops++;
	if (job->workload == QJ_FIRST_TOUCH) {
		mm_zap_range(0, mm.buf_pages);
	} else if (job->reprotect == QJ_REPROT_FORK) {
		mm_fork();
	} else {
		for (uint32_t v = 0; v < mm.buf_pages; v++)
			mm_wrprotect_page(v);
	}
}

void work_run(const struct qemu_job *j, const struct dev *d)
{
	int pass_wl = j->workload == QJ_RW_REUSE || j->workload == QJ_FIRST_TOUCH;
	int read = j->read_before_write && j->workload != QJ_FIRST_TOUCH;
	int write = j->workload != QJ_MPROTECT_TOGGLE;
	uint32_t ops = pass_wl ? 0 : j->cpu_ops;
	uint64_t seed = j->seed;

	job = j;
	dev = d;
	if (j->workload == QJ_MPROTECT_TOGGLE)
		read = 1; /* the device only reads the toggled buffer (sim: write_fraction 0) */
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix64(&seed);

	for (pass = 0; pass < j->passes; pass++) {
		uint32_t next_op = 0;

		for (uint32_t v = 0; v < mm.buf_pages; v++)
			if (mm.pg[v].flags & PTE_PRESENT)
				fill(v);
		if (write && !read)
			stage();
		for (uint32_t v = 0; v < mm.buf_pages; v++) {
			/* CPU operations spread evenly over the pass */
			while (next_op < ops && (uint64_t)next_op * mm.buf_pages / ops <= v) {
				cpu_op();
				next_op++;
			}
			device_step(v, read, write);
		}
		if (pass_wl) {
			ctr.dma_passes++;
			if (pass + 1 < j->passes)
				pass_op();
		}
		say_progress((pass + 1) * 1000 / j->passes);
	}
}
