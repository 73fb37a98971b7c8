/*
 * device.c - the DMA engines and the recoverable-fault path between them
 * and the host.
 *
 * A device has `outstanding` slots, each carrying one transaction. Without
 * ATS a transaction is translated by the SMMU and, on a fault, stalls: an
 * event record goes to the event queue, the host's threaded handler passes
 * it to the IOPF workqueue, a worker runs handle_mm_fault and answers with
 * CMD_RESUME, and the SMMU retries the transaction. With ATS the device asks
 * the SMMU for a translation (caching it in its ATC) and, when refused,
 * sends a PRI page request; the answer is CMD_PRI_RESP. Fix A puts its
 * TLBI (+ATC_INV) + CMD_SYNC in front of the answer.
 *
 * Livelock detection: a transaction that faults again on its page with no
 * PTE change since its previous fault is "stuck"; at livelock_k such
 * refaults it is aborted and counted. The coherence oracle checks every
 * access against the CPU page table at that instant.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

static int pass_workload(const struct sim *s)
{
	return s->pass_wl;
}

int devices_init(struct sim *s)
{
	uint64_t share;

	s->pass_wl = s->workload == WL_RW_REUSE || s->workload == WL_FIRST_TOUCH;
	s->pattern = (int)s->p[P_PATTERN];
	s->txn_cursor = s->pass_wl || s->pattern == PAT_SEQUENTIAL || s->pattern == PAT_READ_THEN_WRITE;
	s->write_fraction = s->p[P_WRITE_FRACTION];
	s->write_all = s->write_fraction >= 1;
	s->write_thr = rng_chance_thr(s->write_fraction);
	s->hot_thr = rng_chance_thr(s->p[P_HOT_FRACTION]);

	s->ndevs = (int)s->p[P_DEVICES];
	s->devs = calloc((size_t)s->ndevs, sizeof(*s->devs));
	if (!s->devs)
		return -1;
	share = s->buf_pages / (uint64_t)s->ndevs;
	for (int d = 0; d < s->ndevs; d++) {
		struct device *dev = &s->devs[d];

		dev->id = d;
		dev->smmu = d % s->nsmmus;
		dev->sid = 8 + d;
		/* devices split the buffer; the last takes the remainder */
		dev->lo = share ? (uint64_t)d * share : 0;
		dev->hi = share ? (d == s->ndevs - 1 ? s->buf_pages : dev->lo + share) : s->buf_pages;
		dev->cursor = dev->lo;
		dev->slots = calloc(par_u(s, P_OUTSTANDING), sizeof(*dev->slots));
		dev->credit_q = calloc(par_u(s, P_OUTSTANDING), sizeof(*dev->credit_q));
		if (!dev->slots || !dev->credit_q)
			return -1;
		if (s->ats) {
			if (tlb_init(&dev->atc, par_u(s, P_ATC_ENTRIES), par_u(s, P_ATC_WAYS)))
				return -1;
			s->smmus[dev->smmu].ats_masters++;
		}
	}
	return 0;
}

void devices_free(struct sim *s)
{
	for (int d = 0; s->devs && d < s->ndevs; d++) {
		free(s->devs[d].slots);
		free(s->devs[d].credit_q);
		tlb_free(&s->devs[d].atc);
	}
	free(s->devs);
}

/* Binding: the CD is written and CMD_CFGI_CD + CMD_SYNC issued per stream. */
void devices_start(struct sim *s)
{
	for (int d = 0; d < s->ndevs; d++) {
		struct cmd c = {.op = CMD_CFGI_CD, .dev = (uint16_t)d};

		cmdq_submit(s, &s->smmus[s->devs[d].smmu], 0, &c, 1, 1);
	}
	for (int d = 0; d < s->ndevs; d++)
		for (uint32_t k = 0; k < par_u(s, P_OUTSTANDING); k++)
			sim_schedule(s, 0, EV_DEV_ISSUE, (uint32_t)d, k);
}

static void oracle_violation(struct sim *s, int d, uint64_t vpn, int write, uint32_t pfn,
			     const char *what)
{
	const struct pte *p = &s->mm[vpn];

	s->c.oracle_violations++;
	sim_example(s, 1, "t=%llu ns dev%d %s va=0x%llx %s (pfn %u, PTE pfn %u)",
		    (unsigned long long)s->now, d, write ? "write" : "read",
		    (unsigned long long)(vpn * s->page_bytes), what, pfn, p->pfn);
}

static void oracle_slow(struct sim *s, int d, uint64_t vpn, int write, uint32_t pfn);

static inline void oracle_check(struct sim *s, int d, uint64_t vpn, int write, uint32_t pfn)
{
	const struct pte *p = &s->mm[vpn];
	unsigned f = p->flags, hw_writable, ok;

	if (s->now < p->pending_until)
		return; /* the kernel's own invalidation is still in flight */
	/* one branch for the common case, none on the (random) read/write choice */
	hw_writable = (f & (PTE_PRESENT | PTE_RDONLY | PTE_WRITE)) == (PTE_PRESENT | PTE_WRITE);
	ok = (hw_writable | (unsigned)!write) & ((f & PTE_PRESENT) != 0) & (p->pfn == pfn);
	if (__builtin_expect(!ok, 0))
		oracle_slow(s, d, vpn, write, pfn);
}

static void oracle_slow(struct sim *s, int d, uint64_t vpn, int write, uint32_t pfn)
{
	const struct pte *p = &s->mm[vpn];

	if (!(p->flags & PTE_PRESENT))
		oracle_violation(s, d, vpn, write, pfn, "through a translation of an unmapped page");
	else if (p->pfn != pfn)
		oracle_violation(s, d, vpn, write, pfn, "to an old pfn after the page moved");
	else if (write && !pte_hw_writable(p))
		oracle_violation(s, d, vpn, write, pfn, "through a stale writable translation of a read-only PTE");
}

/* Picks the slot's next transaction; 0 when the pass has no more pages. */
static inline int next_txn(struct sim *s, struct device *dev, struct slot *sl)
{
	int pat = s->pattern;
	uint64_t n = dev->hi - dev->lo;

	if (sl->rtw_second) {
		sl->rtw_second = 0;
		sl->write = 1;
	} else {
		if (s->txn_cursor) { /* pass workloads, sequential, read-then-write */
			if (dev->cursor >= dev->hi) {
				if (s->pass_wl)
					return 0;
				dev->cursor = dev->lo;
			}
			sl->vpn = dev->cursor++;
		} else if (pat == PAT_HOTSET && rng_chance(&s->rng, s->hot_thr)) {
			uint64_t hot = par_u(s, P_HOT_PAGES);

			sl->vpn = dev->lo + rng_below(&s->rng, hot < n ? hot : n);
		} else {
			sl->vpn = dev->lo + rng_below(&s->rng, n);
		}
		if (pat == PAT_READ_THEN_WRITE) {
			sl->write = 0;
			sl->rtw_second = 1;
		} else {
			sl->write = s->write_all || rng_chance(&s->rng, s->write_thr);
		}
	}
	sl->start = s->now;
	sl->faults = 0;
	sl->stuck = 0;
	sl->state = SLOT_BUSY;
	return 1;
}

static inline __attribute__((always_inline)) void access(struct sim *s, struct device *dev, struct slot *sl,
							  uint32_t k, uint64_t lat, uint32_t pfn)
{
	uint64_t start;

	oracle_check(s, dev->id, sl->vpn, sl->write, pfn);
	if (sl->faults) /* cost.device_ns: from the first attempt to the one that translates */
		s->c.cost_device_ns += s->now - sl->start;
	start = s->now + lat;
	if (dev->link_free > start)
		start = dev->link_free;
	dev->link_free = start + s->xfer_ns;
	sim_schedule(s, start + s->xfer_ns + par_u(s, P_DMA_SETUP_NS), EV_DEV_DONE,
		     (uint32_t)dev->id, k);
}

static void check_pass_end(struct sim *s)
{
	if (!pass_workload(s) || s->pass_pending)
		return;
	for (int d = 0; d < s->ndevs; d++) {
		struct device *dev = &s->devs[d];

		if (dev->cursor < dev->hi)
			return;
		for (uint32_t k = 0; k < par_u(s, P_OUTSTANDING); k++)
			if (dev->slots[k].state != SLOT_IDLE)
				return;
	}
	pass_finished(s);
}

static void slot_finish(struct sim *s, struct device *dev, uint32_t k, uint64_t t)
{
	struct slot *sl = &dev->slots[k];

	sl->state = SLOT_IDLE;
	if (sl->rtw_second && sl->faults >= par_u(s, P_LIVELOCK_K))
		sl->rtw_second = 0; /* the read half was aborted: skip its write */
	sim_schedule(s, t, EV_DEV_ISSUE, (uint32_t)dev->id, k);
}

/* A host latency with its run-to-run spread (host_jitter). */
static uint64_t jitter(struct sim *s, int param)
{
	if (s->jitter_sigma <= 0)
		return par_u(s, param);
	return (uint64_t)(s->p[param] * exp(s->jitter_sigma * rng_normal(&s->rng) - s->jitter_half));
}

static void queue_fault(struct sim *s, struct smmu *m, int pri, const struct fault_rec *f,
			uint64_t t)
{
	struct fault_queue *q = pri ? &m->priq : &m->evtq;

	fault_rec_copy(&q->r[ring_idx(q->head, q->n++, q->depth)], f);
	if (!q->thread_busy) {
		q->thread_busy = 1;
		sim_schedule(s, t + jitter(s, P_IRQ_NS), EV_FAULT_IRQ, (uint32_t)m->id, (uint32_t)pri);
	}
}

static void pri_send(struct sim *s, struct device *dev, uint32_t k, uint64_t t)
{
	struct smmu *m = &s->smmus[dev->smmu];
	struct slot *sl = &dev->slots[k];
	struct fault_rec f = {(uint16_t)dev->id, k, sl->vpn, sl->write, 1, sl->perm, 1};
	uint64_t left = dev->hi > sl->vpn ? dev->hi - sl->vpn : 1;

	if (m->priq.n >= m->priq.depth) {
		s->c.priq_overflows++;
		s->c.fault_lost++;
		sim_schedule(s, t + par_u(s, P_PRI_TIMEOUT_US) * 1000, EV_DEV_ISSUE,
			     (uint32_t)dev->id, k);
		return;
	}
	if ((int)s->p[P_PATTERN] != PAT_RANDOM && (int)s->p[P_PATTERN] != PAT_HOTSET)
		f.npages = (uint8_t)(left < par_u(s, P_PRG_PAGES) ? left : par_u(s, P_PRG_PAGES));
	dev->pri_inflight++;
	s->c.fault_pri_requests++;
	queue_fault(s, m, 1, &f, t);
}

/* A translation fault or permission fault of slot k, reported at time t. */
static void fault(struct sim *s, struct device *dev, uint32_t k, int perm, uint64_t t)
{
	struct smmu *m = &s->smmus[dev->smmu];
	struct slot *sl = &dev->slots[k];
	const struct pte *p = &s->mm[sl->vpn];

	if (perm)
		s->c.fault_permission++;
	else
		s->c.fault_translation++;
	if (sl->faults) {
		s->c.fault_refaults++;
		sl->stuck = p->gen == sl->last_gen ? sl->stuck + 1 : 0;
	}
	sl->faults++;
	sl->perm = (uint8_t)perm;
	sl->last_gen = p->gen;
	if (sl->stuck >= par_u(s, P_LIVELOCK_K)) {
		s->c.dma_livelocked++;
		s->c.cost_device_ns += t - sl->start;
		sim_example(s, 0, "t=%llu ns dev%d %s va=0x%llx livelocked: %u faults, the last %u with no PTE change (%s)",
			    (unsigned long long)t, dev->id, sl->write ? "write" : "read",
			    (unsigned long long)(sl->vpn * s->page_bytes), sl->faults, sl->stuck,
			    s->p[P_NEGATIVE_CACHING] ? "stale read-only entry, negative caching" : "no progress");
		slot_finish(s, dev, k, t + par_u(s, P_RETRY_NS));
		return;
	}
	sl->state = SLOT_WAIT;
	if (s->fm == FM_DEVICE) {
		/* ATS without PRI: the device's driver gets the fault, not the SMMU's */
		sim_schedule(s, t + jitter(s, P_DEVICE_FAULT_NS), EV_DEV_FAULT, (uint32_t)dev->id, k);
		return;
	}
	if (s->pri) {
		if (dev->pri_inflight >= par_u(s, P_PRI_CREDITS)) {
			uint32_t n = par_u(s, P_OUTSTANDING);

			dev->credit_q[ring_idx(dev->credit_head, dev->waiting_credit++, n)] = k;
			return;
		}
		pri_send(s, dev, k, t);
		return;
	}
	if (m->stalls >= par_u(s, P_STALL_MAX) || m->evtq.n >= m->evtq.depth) {
		/* the SMMU terminates the transaction; the device retries later */
		if (m->stalls >= par_u(s, P_STALL_MAX))
			s->c.stall_max_hits++;
		else
			s->c.evtq_overflows++;
		s->c.fault_lost++;
		sim_schedule(s, t + par_u(s, P_RETRY_NS), EV_DEV_ISSUE, (uint32_t)dev->id, k);
		return;
	}
	m->stalls++;
	s->c.fault_stalls++;
	struct fault_rec f = {(uint16_t)dev->id, k, sl->vpn, sl->write, 0, (uint8_t)perm, 1};
	queue_fault(s, m, 0, &f, t);
}

static inline __attribute__((always_inline)) void issue(struct sim *s, int d, int k)
{
	struct device *dev = &s->devs[d];
	struct slot *sl = &dev->slots[k];
	struct smmu *m = &s->smmus[dev->smmu];
	struct xlate x;
	uint64_t lat = 0;

	if (sl->state == SLOT_IDLE && !next_txn(s, dev, sl)) {
		check_pass_end(s);
		return;
	}
	sl->state = SLOT_BUSY;
	if (s->ats) {
		struct tlb_entry *e = tlb_lookup(&dev->atc, sl->vpn);

		if (e && (!sl->write || e->writable)) {
			s->c.atc_hits++;
			s->c.pmcg_transaction++;
			s->c.pmcg_pcie_ats_trans_passed++;
			access(s, dev, sl, (uint32_t)k, 0, e->pfn);
			return;
		}
		s->c.atc_misses++;
		s->c.pmcg_pcie_ats_trans_rq++;
		x = smmu_translate(s, m, dev->sid, sl->vpn, sl->write);
		lat = par_u(s, P_ATS_RQ_NS) + x.lat;
		if (!x.ok) {
			if (x.perm_fault)
				tlb_insert(&dev->atc, sl->vpn, x.pfn, 0, 0);
			fault(s, dev, (uint32_t)k, x.perm_fault, s->now + lat);
			return;
		}
		tlb_insert(&dev->atc, sl->vpn, x.pfn, x.writable, 0);
		s->c.pmcg_transaction++;
		s->c.pmcg_pcie_ats_trans_passed++;
		access(s, dev, sl, (uint32_t)k, lat, x.pfn);
		return;
	}
	x = smmu_translate(s, m, dev->sid, sl->vpn, sl->write);
	if (!x.ok) {
		fault(s, dev, (uint32_t)k, x.perm_fault, s->now + x.lat);
		return;
	}
	access(s, dev, sl, (uint32_t)k, x.lat, x.pfn);
}

void dev_issue(struct sim *s, int d, int k)
{
	issue(s, d, k);
}

void dev_done(struct sim *s, int d, int k)
{
	struct device *dev = &s->devs[d];
	struct slot *sl = &dev->slots[k];

	s->c.dma_transactions++;
	s->c.dma_bytes += par_u(s, P_TXN_BYTES);
	hist_add(&s->dma_lat, s->now - sl->start);
	sl->state = SLOT_IDLE;
	issue(s, d, k);
}

/* CMD_RESUME or CMD_PRI_RESP consumed: retry, or give up on an invalid answer. */
void dev_resumed(struct sim *s, int d, int k, int pri)
{
	struct device *dev = &s->devs[d];
	struct slot *sl = &dev->slots[k];
	struct smmu *m = &s->smmus[dev->smmu];
	uint32_t n = par_u(s, P_OUTSTANDING);

	if (pri) {
		dev->pri_inflight--;
		if (dev->waiting_credit) {
			uint32_t w = dev->credit_q[dev->credit_head];

			dev->credit_head = ring_idx(dev->credit_head, 1, n);
			dev->waiting_credit--;
			pri_send(s, dev, w, s->now);
		}
	} else {
		m->stalls--;
	}
	if (sl->state == SLOT_IDLE) { /* answered INVALID / ABORT */
		s->c.dma_errors++;
		sl->rtw_second = 0;
	}
	dev_issue(s, d, k);
}

void fault_irq(struct sim *s, int mi, int pri)
{
	struct smmu *m = &s->smmus[mi];
	struct fault_queue *q = pri ? &m->priq : &m->evtq;
	uint64_t t = s->now + par_u(s, P_QUEUE_ENTRY_NS);
	uint32_t w;

	if (!q->n) {
		q->thread_busy = 0;
		return;
	}
	for (w = 0; w < m->nwork && m->work[w].in_use; w++)
		;
	if (w == m->nwork) {
		s->failed = 1; /* cannot happen: one work item per slot */
		return;
	}
	m->work[w].in_use = 1;
	m->work[w].f = q->r[q->head];
	q->head = ring_idx(q->head, 1, q->depth);
	q->n--;
	if (m->workers_busy < par_u(s, P_IOPF_WORKERS)) {
		m->workers_busy++;
		sim_schedule(s, t + jitter(s, P_IOPF_DISPATCH_NS), EV_IOPF_RUN, (uint32_t)mi, w);
	} else {
		m->pending[ring_idx(m->pend_head, m->pend_n++, m->nwork)] = w;
	}
	sim_schedule(s, t, EV_FAULT_IRQ, (uint32_t)mi, (uint32_t)pri);
}

/*
 * Fix A's commands for a resolved fault, as the driver must order them: the
 * TLBIs and a CMD_SYNC completing them, then (ATS) ATC_INV and a CMD_SYNC
 * completing it (353e3cf8590c; "ATS must be after a sync of the S1/S2
 * invalidations"). pri-inv-no-atc drops only this ATC_INV and its SYNC.
 * Returns how many commands went to cmds (room for 2 * 32 + 3).
 */
static size_t fix_a_cmds(const struct sim *s, const struct fault_rec *f, struct cmd *cmds,
			 int *atc_at)
{
	size_t k = 0;

	*atc_at = -1;
	for (uint32_t i = 0; i < f->npages; i++)
		cmds[k++] = (struct cmd){.op = CMD_TLBI_NH_VA, .leaf = 1, .vpn = f->vpn + i, .npages = 1};
	cmds[k++] = (struct cmd){.op = CMD_SYNC};
	if (s->ats && s->strategy != ST_PRI_INV_NO_ATC) {
		struct cmd c = {.op = CMD_ATC_INV, .dev = f->dev};
		uint64_t per = s->page_bytes / 4096, a = f->vpn * per,
			 b = (f->vpn + f->npages) * per - 1;
		int l2 = (a ^ b) ? 64 - __builtin_clzll(a ^ b) : 0;

		c.vpn = a & ~((1ULL << l2) - 1);
		c.npages = 1ULL << l2;
		*atc_at = (int)k;
		cmds[k++] = c;
		cmds[k++] = (struct cmd){.op = CMD_SYNC};
	}
	return k;
}

/* An IOPF worker handles one fault (or one page request group) and answers. */
void iopf_run(struct sim *s, int mi, int w)
{
	struct smmu *m = &s->smmus[mi];
	const struct fault_rec *f = &m->work[w].f;
	struct cmd cmds[80];
	size_t k = 0;
	uint64_t t = s->now, t0 = s->now, tinv;
	int segv = 0, atc_at = -1;

	for (uint32_t i = 0; i < f->npages; i++) {
		enum fault_kind kind = mm_handle_fault(s, f->vpn + i, f->write, t, &t);

		if (kind == FK_SPURIOUS && i == 0)
			s->c.fault_spurious++;
		if (kind == FK_SEGV && i == 0)
			segv = 1;
	}
	t += par_u(s, P_RESPONSE_NS);
	/* Gunthorpe's fix: invalidate what the handler resolved before answering */
	if (s->fix_a && !segv && (f->perm || (int)s->p[P_FIX_A_FAULTS] == FIXA_ALL))
		k = fix_a_cmds(s, f, cmds, &atc_at);
	struct cmd resp = {.op = f->pri ? CMD_PRI_RESP : CMD_RESUME, .dev = f->dev, .slot = f->slot};

	if (segv)
		s->devs[f->dev].slots[f->slot].state = SLOT_IDLE;
	tinv = t;
	if (k && s->strategy == ST_PRI_INV_SYNC) {
		/* waiting: each CMD_SYNC waited for, then the response */
		size_t first = atc_at < 0 ? k : (size_t)atc_at;

		t = cmdq_submit(s, m, t, cmds, first - 1, 1);
		if (atc_at >= 0)
			t = cmdq_submit(s, m, t, cmds + first, 1, 1);
		s->c.cpu_invalidation_ns += t - tinv;
		s->c.host_fault_inv_ns += t - tinv;
		t = cmdq_submit(s, m, t, &resp, 1, 0);
	} else if (k) {
		/* pipelined: one submission, no wait; the queue keeps the order */
		cmds[k++] = resp;
		t = cmdq_submit(s, m, t, cmds, k, 0);
		s->c.cpu_invalidation_ns += t - tinv;
		s->c.host_fault_inv_ns += t - tinv;
	} else {
		/* arm_smmu_page_response(): no CMD_SYNC after RESUME / PRI_RESP */
		t = cmdq_submit(s, m, t, &resp, 1, 0);
	}
	s->c.fault_responses++;
	s->c.host_fault_ns += t - t0;
	sim_schedule(s, t, EV_IOPF_DONE, (uint32_t)mi, (uint32_t)w);
}

/*
 * fault_model device: the device's own driver (e.g. a GPU's replayable
 * fault handler) calls handle_mm_fault and replays the access. No SMMU
 * queue, no response, no Fix A: only the mm's own notifier reaches the SMMU.
 */
void dev_fault_handled(struct sim *s, int d, int k)
{
	struct device *dev = &s->devs[d];
	struct slot *sl = &dev->slots[k];
	uint64_t done;
	enum fault_kind kind = mm_handle_fault(s, sl->vpn, sl->write, s->now, &done);

	s->c.fault_device++;
	if (kind == FK_SPURIOUS)
		s->c.fault_spurious++;
	s->c.host_fault_ns += done - s->now;
	if (kind == FK_SEGV) {
		s->c.dma_errors++;
		sl->rtw_second = 0;
		slot_finish(s, dev, (uint32_t)k, done);
		return;
	}
	sim_schedule(s, done, EV_DEV_ISSUE, (uint32_t)d, (uint32_t)k);
}

void iopf_done(struct sim *s, int mi, int w)
{
	struct smmu *m = &s->smmus[mi];

	m->work[w].in_use = 0;
	if (m->pend_n) {
		uint32_t next = m->pending[m->pend_head];

		m->pend_head = ring_idx(m->pend_head, 1, m->nwork);
		m->pend_n--;
		sim_schedule(s, s->now, EV_IOPF_RUN, (uint32_t)mi, next);
	} else {
		m->workers_busy--;
	}
}

void devices_resume_pass(struct sim *s)
{
	for (int d = 0; d < s->ndevs; d++) {
		s->devs[d].cursor = s->devs[d].lo;
		for (uint32_t k = 0; k < par_u(s, P_OUTSTANDING); k++)
			sim_schedule(s, s->now, EV_DEV_ISSUE, (uint32_t)d, k);
	}
}
