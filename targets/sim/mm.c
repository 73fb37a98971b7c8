/*
 * mm.c - the bound process's page tables and the kernel paths that change
 * them, with the secondary-TLB invalidation each strategy puts on them.
 *
 * Where strategies differ (model.md 1):
 *  - upgrades (ptep_set_access_flags): only notifier and notifier-seed call
 *    the SVA notifier; Fix A pays later, in the fault response (device.c).
 *  - downgrades / unmaps: every strategy invalidates. `notifier` (v6.6+) does
 *    it from the arch TLB flush (flush_tlb_page / _range over the gathered
 *    span, empty before v6.14 / flush_tlb_mm = the whole ASID); the others
 *    model the pre-v6.6 design: invalidate_range() from
 *    tlb_flush_mmu_tlbonly() over the gathered span, then again from
 *    mmu_notifier_invalidate_range_end() over the whole range the operation
 *    covered, present pages or not (Popple's "flooding").
 *  - `kernel` picks the SMMU driver: one notifier per device domain before
 *    v6.11, the BTM branches before v6.11, the upgrade flush's scope.
 *
 * A downgrade marks its PTEs pending until its invalidation completes: the
 * coherence oracle only judges accesses after that (the kernel's own window).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

static struct cmd *scratch(struct sim *s, size_t n);

uint64_t new_pfn(struct sim *s)
{
	return s->next_pfn++;
}

int mm_init(struct sim *s)
{
	uint64_t buf = s->buf_pages;
	uint8_t init = PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE;

	s->cpu_lo = buf;
	/* the CPU-private region exists only when CPU threads churn it */
	s->cpu_n = s->p[P_CPU_UPGRADE_RATE_HZ] > 0 ? par_u(s, P_CPU_PAGES) : 0;
	s->map_lo = s->cpu_lo + s->cpu_n;
	s->map_n = s->workload == WL_MUNMAP_LARGE || s->workload == WL_DMA_UNMAP ?
			   par_u(s, P_RANGE_PAGES) : 0;
	s->npages_total = s->map_lo + s->map_n;
	s->mm = calloc(s->npages_total, sizeof(*s->mm));
	if (!s->mm)
		return -1;
	s->next_pfn = 1; /* pfn 0 is the zero page */
	if (s->workload == WL_RW_REUSE) {
		/* after a fork whose child exited: read-only, exclusive, reusable */
		switch ((int)s->p[P_REPROTECT]) {
		case REPROT_WRITEBACK: init = PTE_PRESENT | PTE_RDONLY | PTE_MAYWRITE | PTE_FILE; break;
		case REPROT_CLEAN: init = PTE_PRESENT | PTE_WRITE | PTE_RDONLY | PTE_MAYWRITE; break;
		default: init = PTE_PRESENT | PTE_RDONLY | PTE_MAYWRITE; break;
		}
	} else if (s->workload == WL_FIRST_TOUCH) {
		init = PTE_MAYWRITE;
	}
	for (uint64_t i = 0; i < s->npages_total; i++) {
		struct pte *p = &s->mm[i];

		if (i < buf)
			p->flags = init;
		else if (i < s->map_lo)
			p->flags = PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE;
		else
			p->flags = PTE_MAYWRITE;
		if (p->flags & PTE_PRESENT)
			p->pfn = (uint32_t)new_pfn(s);
	}
	return 0;
}

static struct cmd *scratch(struct sim *s, size_t n)
{
	if (n > s->scratch_cap) {
		struct cmd *b = realloc(s->scratch, n * sizeof(*b));

		if (!b)
			return NULL;
		s->scratch = b;
		s->scratch_cap = n;
	}
	return s->scratch;
}

/* ATC_INV as arm_smmu_atc_inv_to_cmd(): 4 KiB grain, aligned power-of-two span. */
static struct cmd atc_inv_cmd(const struct sim *s, int dev, uint64_t vpn, uint64_t n)
{
	struct cmd c = {.op = CMD_ATC_INV, .dev = (uint16_t)dev};
	uint64_t per = s->page_bytes / 4096, start, end, span;
	int log2_span;

	if (!n)
		return c; /* ATC_INV_SIZE_ALL */
	start = vpn * per;
	end = (vpn + n) * per - 1;
	log2_span = (start ^ end) ? 64 - __builtin_clzll(start ^ end) : 0;
	span = 1ULL << log2_span;
	c.vpn = start & ~(span - 1);
	c.npages = span;
	return c;
}

/* ATC invalidations for the ATS devices behind SMMU m, then CMD_SYNC and wait. */
static uint64_t atc_inv(struct sim *s, struct smmu *m, int only_dev,
			uint64_t vpn, uint64_t n, uint64_t t)
{
	struct cmd *c;
	size_t k = 0;

	if (!s->ats || !m->ats_masters)
		return t;
	c = scratch(s, (size_t)s->ndevs);
	if (!c) {
		s->failed = 1;
		return t;
	}
	for (int d = 0; d < s->ndevs; d++)
		if (s->devs[d].smmu == m->id && (only_dev < 0 || only_dev == d))
			c[k++] = atc_inv_cmd(s, d, vpn, n);
	return k ? cmdq_submit(s, m, t, c, k, 1) : t;
}

/*
 * Builds the TLBI commands arm_smmu_tlb_inv_range_asid() would for
 * [vpn, vpn+n); n = 0 means the whole address space. Returns how many.
 * asid_fallback: the SVA notifier's CMDQ_MAX_TLBI_OPS fallback to one
 * TLBI_NH_ASID without RIL; the DMA-domain path has none.
 */
static size_t tlbi_cmds(struct sim *s, uint64_t vpn, uint64_t n, int asid_fallback,
			struct cmd **out)
{
	struct cmd *c;
	size_t k = 0;

	if (asid_fallback && !s->p[P_RIL] && s->p[P_MAX_TLBI_OPS] && n >= s->max_tlbi_ops)
		n = 0;
	if (!n) {
		c = scratch(s, 1);
		if (!c)
			return 0;
		c[0] = (struct cmd){.op = CMD_TLBI_NH_ASID};
		*out = c;
		return 1;
	}
	if (!s->p[P_RIL]) {
		c = scratch(s, (size_t)n);
		if (!c)
			return 0;
		for (uint64_t i = 0; i < n; i++)
			c[k++] = (struct cmd){.op = CMD_TLBI_NH_VA, .vpn = vpn + i, .npages = 1};
		*out = c;
		return k;
	}
	/* __arm_smmu_tlb_inv_range() with RIL: NUM (<= 31) chunks of 2^SCALE pages */
	c = scratch(s, 64);
	if (!c)
		return 0;
	for (uint64_t left = n; left;) {
		int scale = __builtin_ctzll(left);
		uint64_t num = (left >> scale) & 31, pages = num << scale;

		c[k++] = (struct cmd){.op = CMD_TLBI_NH_VA_RANGE, .vpn = vpn, .npages = pages};
		vpn += pages;
		left -= pages;
	}
	*out = c;
	return k;
}

/*
 * The TLBIs of tlbi_cmds() for [vpn, vpn+n) submitted to SMMU m with a
 * CMD_SYNC, waited for; one TLBI_NH_VA per page is not built (cmdq_submit_pages).
 */
static uint64_t submit_tlbi(struct sim *s, struct smmu *m, uint64_t vpn, uint64_t n,
			    int asid_fallback, uint64_t t)
{
	struct cmd *c = NULL;
	size_t k;

	if (n && !s->p[P_RIL] &&
	    !(asid_fallback && s->p[P_MAX_TLBI_OPS] && n >= s->max_tlbi_ops))
		return cmdq_submit_pages(s, m, t, vpn, (size_t)n, 1);
	k = tlbi_cmds(s, vpn, n, asid_fallback, &c);
	if (!k) {
		s->failed = 1;
		return t;
	}
	return cmdq_submit(s, m, t, c, k, 1);
}

/*
 * One call of the SVA notifier (arm_smmu_mm_arch_invalidate_secondary_tlbs,
 * before v6.6 arm_smmu_mm_invalidate_range) on SMMU m: TLBI + CMD_SYNC, wait;
 * then ATC_INV for the ATS masters of its domain + CMD_SYNC, wait (the ATC
 * after a completed TLB invalidation, 353e3cf8590c). dev: the one device of
 * a per-device domain (before v6.11), or -1 for every device behind m.
 */
static uint64_t notifier_call(struct sim *s, struct smmu *m, int dev, uint64_t vpn,
			      uint64_t n, uint64_t t)
{
	uint64_t an = n;

	s->c.notifier_calls++;
	if (!s->p[P_RIL] && s->p[P_MAX_TLBI_OPS] && n >= s->max_tlbi_ops)
		an = 0; /* size = 0: the ATC is invalidated whole too */
	if (!s->btm_driver)
		t = submit_tlbi(s, m, vpn, n, 1, t);
	return atc_inv(s, m, dev, vpn, an, t);
}

uint64_t sva_invalidate(struct sim *s, uint64_t vpn, uint64_t n, uint64_t t)
{
	uint64_t t0 = t;

	t += par_u(s, P_MN_DISPATCH_NS); /* the notifier chain's own dispatch (0 unless calibrated) */

	for (int i = 0; i < s->nsmmus; i++) {
		struct smmu *m = &s->smmus[i];

		if (!s->per_domain) {
			t = notifier_call(s, m, -1, vpn, n, t);
			continue;
		}
		/* before d38c28dbefee (v6.11): one notifier per (device domain, mm) */
		for (int d = 0; d < s->ndevs; d++)
			if (s->devs[d].smmu == i)
				t = notifier_call(s, m, d, vpn, n, t);
	}
	s->c.cpu_invalidation_ns += t - t0;
	return t;
}

/*
 * __flush_tlb_range() of [lo, lo+n) in the v6.6+ design: what the notifier
 * is handed. Without FEAT_TLBIRANGE a range of MAX_TLBI_OPS (PTRS_PER_PTE)
 * pages or more becomes flush_tlb_mm() -> (0, -1UL); from 6bbd42e2df8f
 * (v6.6) until f7edb07ad7c6 (v6.14) the loop advanced `start` in place and
 * the notifier got (end, end): size 0 -> TLBI_NH_ASID + ATC_INV of all.
 */
static uint64_t arch_flush_range(struct sim *s, uint64_t lo, uint64_t n, uint64_t t)
{
	if (!s->p[P_CPU_TLBI_RANGE] && n >= s->max_tlbi_ops)
		return sva_invalidate(s, 0, 0, t);
	if (s->empty_range)
		return sva_invalidate(s, 0, 0, t);
	return sva_invalidate(s, lo, n, t);
}

/* The CPU's own TLBI for a flush of [vpn, vpn+n) (n = 0: the whole mm). */
static uint64_t cpu_tlbi(struct sim *s, uint64_t vpn, uint64_t n, int broadcast, uint64_t t)
{
	uint64_t ops = n && n < s->max_tlbi_ops ? n : 1;

	if (broadcast && s->p[P_BTM]) {
		for (int i = 0; i < s->nsmmus; i++) {
			if (n) {
				tlb_inv_range(&s->smmus[i].tlb, vpn, n);
			} else {
				tlb_inv_all(&s->smmus[i].tlb);
				tlb_inv_all(&s->smmus[i].walk);
			}
		}
	}
	return t + par_u(s, P_CPU_TLBI_NS) + (ops - 1) * par_u(s, P_CPU_PTE_NS);
}

/* Pages of the folio holding vpn (1 outside the device buffer or with 4k folios). */
static uint64_t folio_pages(const struct sim *s, uint64_t vpn)
{
	if (vpn >= s->buf_pages)
		return 1;
	return (int)s->p[P_FOLIO] == FOLIO_PMD ? 512 : (int)s->p[P_FOLIO] == FOLIO_CONTPTE ? 16 : 1;
}

/*
 * ptep_set_access_flags(dirty) after an in-place upgrade. Under notifier a
 * large folio's upgrade flushes more than the page: contpte (v6.9+) the
 * 16-page block through __flush_tlb_range(); a PMD from v6.19 the 2 MiB
 * block (a PMD stride: no FEAT_TLBIRANGE fallback), before it one page.
 */
static uint64_t upgrade_flush(struct sim *s, uint64_t vpn, uint64_t t)
{
	uint64_t fp = folio_pages(s, vpn);

	t = cpu_tlbi(s, vpn, 1, s->upgrade_broadcast, t);
	if (s->strategy == ST_NOTIFIER_SEED || (s->strategy == ST_NOTIFIER && fp == 1))
		return sva_invalidate(s, vpn, 1, t);
	if (s->strategy != ST_NOTIFIER)
		return t;
	if (fp == 16 && s->kernel >= K_V6_11)
		return arch_flush_range(s, vpn & ~15ULL, 16, t);
	if (fp == 512 && s->kernel >= K_V6_19)
		return sva_invalidate(s, vpn & ~511ULL, 512, t);
	return sva_invalidate(s, vpn, 1, t);
}

/* flush_tlb_page / range_end after a downgrade or clear of one page. */
static uint64_t downgrade_flush_page(struct sim *s, uint64_t vpn, uint64_t t)
{
	t = cpu_tlbi(s, vpn, 1, 1, t);
	return sva_invalidate(s, vpn, 1, t);
}

/*
 * After a range operation changed [glo, ghi] inside [lo, lo+n). v6.6+
 * (`notifier`): the arch flush of the gathered span notifies (nothing when
 * nothing changed). The pre-v6.6 design (every other strategy, at every
 * `kernel`): tlb_flush_mmu_tlbonly() calls invalidate_range() over the
 * gathered span when there is one, and mmu_notifier_invalidate_range_end()
 * calls it again over the whole range (the 6.1-stable backport of
 * d5afb4b47e13 shows both in its call trace): twice.
 */
static uint64_t downgrade_flush_range(struct sim *s, uint64_t lo, uint64_t n,
				      uint64_t glo, uint64_t ghi, int changed, uint64_t t)
{
	if (changed)
		t = cpu_tlbi(s, glo, ghi - glo + 1, 1, t);
	if (s->arch_notifier)
		return changed ? arch_flush_range(s, glo, ghi - glo + 1, t) : t;
	if (changed)
		t = sva_invalidate(s, glo, ghi - glo + 1, t);
	return sva_invalidate(s, lo, n, t);
}

static void mark_pending(struct sim *s, uint64_t lo, uint64_t n, uint64_t until)
{
	for (uint64_t i = lo; i < lo + n; i++)
		if (s->mm[i].pending_until == UINT64_MAX)
			s->mm[i].pending_until = until;
}

static void change(struct pte *p, uint8_t flags)
{
	p->flags = flags;
	p->gen++;
}

/* A downgrade: the PTE is pending until the caller's flush completes. */
static void downgrade(struct sim *s, struct pte *p, uint8_t flags)
{
	change(p, flags);
	p->pending_until = UINT64_MAX;
	s->c.cpu_downgrades++;
}

enum fault_kind mm_handle_fault(struct sim *s, uint64_t vpn, int write,
				uint64_t t, uint64_t *t_done)
{
	struct pte *p = &s->mm[vpn];
	uint64_t per4k = s->page_bytes / 4096;

	if (write && !(p->flags & PTE_MAYWRITE)) {
		*t_done = t + par_u(s, P_FAULT_SPURIOUS_NS);
		s->c.mm_faults_spurious++;
		return FK_SEGV;
	}
	if (!(p->flags & PTE_PRESENT)) {
		if (write) {
			change(p, PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE);
			p->pfn = (uint32_t)new_pfn(s);
			*t_done = t + par_u(s, P_FAULT_NEW_NS) * per4k;
		} else {
			change(p, PTE_PRESENT | PTE_RDONLY | PTE_ZERO | PTE_MAYWRITE);
			p->pfn = 0;
			*t_done = t + par_u(s, P_FAULT_REUSE_NS);
		}
		s->c.mm_faults_new++;
		return FK_NEW;
	}
	if (!write || pte_hw_writable(p)) {
		*t_done = t + par_u(s, P_FAULT_SPURIOUS_NS);
		s->c.mm_faults_spurious++;
		return FK_SPURIOUS;
	}
	if ((p->flags & PTE_ZERO) ||
	    (!(p->flags & (PTE_FILE | PTE_WRITE)) && s->p[P_COW_COPY_FRACTION] > 0 &&
	     rng_unit(&s->rng) < s->p[P_COW_COPY_FRACTION])) {
		/* wp_page_copy: ptep_clear_flush, then the new page */
		downgrade(s, p, PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE |
			  (p->flags & PTE_FILE));
		s->c.cpu_downgrades--; /* a copy is not a protection downgrade */
		p->pfn = (uint32_t)new_pfn(s);
		t = downgrade_flush_page(s, vpn, t + par_u(s, P_FAULT_COPY_NS) * per4k);
		p->pending_until = t;
		*t_done = t;
		s->c.mm_faults_copy++;
		return FK_COPY;
	}
	/* wp_page_reuse / DBM mkdirty: upgrade in place, same pfn */
	change(p, (uint8_t)((p->flags & ~PTE_RDONLY) | PTE_WRITE | PTE_DIRTY));
	s->c.mm_upgrades++;
	s->c.mm_faults_reuse++;
	*t_done = upgrade_flush(s, vpn, t + par_u(s, P_FAULT_REUSE_NS));
	return FK_REUSE;
}

uint64_t mm_cpu_write(struct sim *s, uint64_t vpn, uint64_t t)
{
	struct pte *p = &s->mm[vpn];
	enum fault_kind k;
	uint64_t done;

	if (pte_hw_writable(p))
		return t;
	if ((p->flags & PTE_PRESENT) && (p->flags & PTE_WRITE)) {
		/* the CPU's hardware DBM makes a writable-clean page dirty, no fault */
		change(p, (uint8_t)((p->flags & ~PTE_RDONLY) | PTE_DIRTY));
		return t;
	}
	s->c.cpu_faults++;
	k = mm_handle_fault(s, vpn, 1, t + par_u(s, P_CPU_FAULT_NS), &done);
	if (k == FK_REUSE)
		s->c.cpu_upgrades++;
	hist_add(&s->cpu_fault_lat, done - t);
	s->c.cpu_busy_ns += done - t;
	return done;
}

uint64_t mm_wrprotect_page(struct sim *s, uint64_t vpn, int clean_only, uint64_t t)
{
	struct pte *p = &s->mm[vpn];
	uint64_t t0 = t;

	t += par_u(s, P_CPU_WP_NS);
	if (pte_hw_writable(p)) {
		if (clean_only)
			downgrade(s, p, (uint8_t)((p->flags | PTE_RDONLY) & ~PTE_DIRTY));
		else
			downgrade(s, p, (uint8_t)((p->flags | PTE_RDONLY) & ~(PTE_WRITE | PTE_DIRTY)));
		t = downgrade_flush_page(s, vpn, t);
		p->pending_until = t;
	}
	s->c.cpu_busy_ns += t - t0;
	return t;
}

/* clear_refs soft-dirty: wrprotect the whole mm, range_end(0, -1) / flush_tlb_mm. */
uint64_t mm_wrprotect_range(struct sim *s, uint64_t lo, uint64_t n, uint64_t t)
{
	uint64_t t0 = t;
	int changed = 0;

	for (uint64_t i = lo; i < lo + n; i++) {
		struct pte *p = &s->mm[i];

		t += par_u(s, P_CPU_PTE_NS);
		if (pte_hw_writable(p)) {
			downgrade(s, p, (uint8_t)((p->flags | PTE_RDONLY) & ~PTE_WRITE));
			changed = 1;
		}
	}
	t = cpu_tlbi(s, 0, 0, 1, t);
	t = sva_invalidate(s, 0, 0, t);
	if (changed)
		mark_pending(s, lo, n, t);
	s->c.cpu_busy_ns += t - t0;
	return t;
}

uint64_t mm_fork(struct sim *s, uint64_t t)
{
	const uint64_t lo[3] = {0, s->cpu_lo, s->map_lo};
	const uint64_t n[3] = {s->buf_pages, s->cpu_n, s->map_n};
	int changed[3] = {0, 0, 0};
	uint64_t t0 = t;

	t += par_u(s, P_CPU_FAULT_NS) * 10; /* copy_process and friends */
	for (int r = 0; r < 3; r++) {
		for (uint64_t i = lo[r]; i < lo[r] + n[r]; i++) {
			struct pte *p = &s->mm[i];

			if (!(p->flags & PTE_PRESENT) || (p->flags & PTE_FILE))
				continue;
			t += par_u(s, P_CPU_PTE_NS);
			if (p->flags & PTE_WRITE) {
				downgrade(s, p, (uint8_t)((p->flags | PTE_RDONLY) & ~PTE_WRITE));
				changed[r] = 1;
			}
		}
	}
	t = cpu_tlbi(s, 0, 0, 1, t);
	if (s->strategy == ST_NOTIFIER) {
		t = sva_invalidate(s, 0, 0, t); /* flush_tlb_mm -> (0, -1UL) */
	} else {
		/* copy_page_range(): range_start/end on each COW VMA of the parent */
		for (int r = 0; r < 3; r++)
			if (n[r])
				t = sva_invalidate(s, lo[r], n[r], t);
	}
	for (int r = 0; r < 3; r++)
		if (changed[r])
			mark_pending(s, lo[r], n[r], t);
	s->c.cpu_busy_ns += t - t0;
	return t;
}

uint64_t mm_zap_range(struct sim *s, uint64_t lo, uint64_t n, uint64_t t)
{
	uint64_t glo = UINT64_MAX, ghi = 0, t0 = t;

	for (uint64_t i = lo; i < lo + n; i++) {
		struct pte *p = &s->mm[i];

		t += par_u(s, P_CPU_PTE_NS);
		if (!(p->flags & PTE_PRESENT))
			continue;
		downgrade(s, p, (uint8_t)(p->flags & PTE_MAYWRITE));
		s->c.cpu_downgrades--; /* an unmap is counted as an op, not a downgrade */
		if (i < glo)
			glo = i;
		ghi = i;
	}
	t = downgrade_flush_range(s, lo, n, glo, ghi, glo != UINT64_MAX, t);
	mark_pending(s, lo, n, t);
	s->c.cpu_busy_ns += t - t0;
	return t;
}

/*
 * iommu_unmap() on a DMA (unmanaged) domain: io-pgtable clears the PTEs and
 * arm_smmu_iotlb_sync() -> arm_smmu_tlb_inv_range_domain() invalidates the
 * gathered range on every SMMU (no BTM: the IOVA space is not the CPU's),
 * then the ATCs. No notifier, no strategy: the driver's own path.
 */
uint64_t mm_dma_unmap(struct sim *s, uint64_t lo, uint64_t n, uint64_t t)
{
	uint64_t t0 = t;

	for (uint64_t i = lo; i < lo + n; i++) {
		t += par_u(s, P_CPU_PTE_NS);
		if (s->mm[i].flags & PTE_PRESENT)
			change(&s->mm[i], (uint8_t)(s->mm[i].flags & PTE_MAYWRITE));
	}
	for (int i = 0; i < s->nsmmus; i++) {
		t = submit_tlbi(s, &s->smmus[i], lo, n, 0, t);
		t = atc_inv(s, &s->smmus[i], -1, lo, n, t);
	}
	mark_pending(s, lo, n, t);
	s->c.cpu_invalidation_ns += t - t0;
	s->c.cpu_busy_ns += t - t0;
	return t;
}

uint64_t mm_populate(struct sim *s, uint64_t lo, uint64_t n, uint64_t t)
{
	uint64_t t0 = t;

	t += par_u(s, P_CPU_FAULT_NS);
	for (uint64_t i = lo; i < lo + n; i++) {
		struct pte *p = &s->mm[i];

		t += par_u(s, P_CPU_PTE_NS);
		if (p->flags & PTE_PRESENT)
			continue;
		change(p, PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE);
		p->pfn = (uint32_t)new_pfn(s);
	}
	s->c.cpu_busy_ns += t - t0;
	return t;
}

uint64_t mm_mprotect(struct sim *s, uint64_t lo, uint64_t n, int writable, uint64_t t)
{
	uint64_t glo = UINT64_MAX, ghi = 0, t0 = t;

	for (uint64_t i = lo; i < lo + n; i++) {
		struct pte *p = &s->mm[i];
		uint8_t f = p->flags;

		t += par_u(s, P_CPU_PTE_NS);
		if (!writable) {
			f &= (uint8_t)~PTE_MAYWRITE;
			if (pte_hw_writable(p)) {
				downgrade(s, p, (uint8_t)((f | PTE_RDONLY) & ~PTE_WRITE));
			} else {
				p->flags = f; /* VMA change only, no PTE change */
				continue;
			}
		} else {
			f |= PTE_MAYWRITE;
			if ((f & PTE_PRESENT) && (f & PTE_DIRTY) && !(f & (PTE_ZERO | PTE_FILE)) &&
			    !pte_hw_writable(p)) {
				/* can_change_pte_writable(): exclusive dirty anon, in place */
				change(p, (uint8_t)((f & ~PTE_RDONLY) | PTE_WRITE));
				s->c.cpu_upgrades++;
				s->c.mm_upgrades++;
			} else {
				p->flags = f;
				continue;
			}
		}
		if (i < glo)
			glo = i;
		ghi = i;
	}
	/* change_protection() flushes the changed span; range_end the whole range */
	t = downgrade_flush_range(s, lo, n, glo, ghi, glo != UINT64_MAX, t);
	if (!writable)
		mark_pending(s, lo, n, t);
	s->c.cpu_busy_ns += t - t0;
	return t;
}

/*
 * Page migration (compaction, NUMA balancing): try_to_migrate clears the PTE
 * and flushes, the data is copied, the new PTE points at a new pfn with the
 * old permissions. The model installs the new PTE at once and keeps the page
 * pending until the flush and copy are done.
 */
uint64_t mm_migrate_page(struct sim *s, uint64_t vpn, uint64_t t)
{
	uint64_t fp = folio_pages(s, vpn), lo = vpn & ~(fp - 1), n = 0, t0 = t;

	if (fp == 1) {
		struct pte *p = &s->mm[vpn];

		if (!(p->flags & PTE_PRESENT) || (p->flags & PTE_ZERO))
			return t + par_u(s, P_CPU_WP_NS);
		downgrade(s, p, p->flags);
		s->c.cpu_downgrades--; /* a migration is counted on its own */
		s->c.mm_migrations++;
		p->pfn = (uint32_t)new_pfn(s);
		t = downgrade_flush_page(s, vpn, t + par_u(s, P_CPU_WP_NS));
		t += par_u(s, P_FAULT_COPY_NS) * (s->page_bytes / 4096);
		p->pending_until = t;
		s->c.cpu_busy_ns += t - t0;
		return t;
	}
	/* a large folio: every page moves; batched unmap flushes it (arch_tlbbatch_add_pending) */
	if (lo + fp > s->buf_pages)
		fp = s->buf_pages - lo;
	t += par_u(s, P_CPU_WP_NS);
	for (uint64_t i = lo; i < lo + fp; i++) {
		struct pte *p = &s->mm[i];

		if (!(p->flags & PTE_PRESENT) || (p->flags & PTE_ZERO))
			continue;
		downgrade(s, p, p->flags);
		s->c.cpu_downgrades--;
		p->pfn = (uint32_t)new_pfn(s);
		n++;
	}
	if (!n)
		return t;
	s->c.mm_migrations++;
	t = cpu_tlbi(s, lo, fp, 1, t);
	if (s->arch_notifier && (int)s->p[P_TLBBATCH] == TLBB_PER_FOLIO) {
		t = arch_flush_range(s, lo, fp, t);
	} else {
		/* v6.6: one synchronous notifier call per page (the pre-v6.6 design too) */
		for (uint64_t i = lo; i < lo + fp; i++)
			t = sva_invalidate(s, i, 1, t);
	}
	t += par_u(s, P_FAULT_COPY_NS) * n;
	for (uint64_t i = lo; i < lo + fp; i++)
		if (s->mm[i].pending_until == UINT64_MAX)
			s->mm[i].pending_until = t;
	s->c.cpu_busy_ns += t - t0;
	return t;
}
