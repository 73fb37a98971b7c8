/*
 * mm.c - the agent's "mm": the process whose address space the SMMU
 * translates, as targets/sim/mm.c models it, but with real stage-1 page
 * tables the SMMU walks and real invalidation commands.
 *
 * VMAs, in IOVA order from IOVA_BASE: the device buffer, the CPU-private
 * region (cpu-upgrade-churn), the map+unmap region (munmap-large) and one
 * staging page (the source of device writes that follow no device read).
 * Each page has the simulator's software flags; pte_set() writes the
 * descriptor the SMMU sees: valid when present, AP[2] (read-only) unless
 * hardware-writable.
 *
 * Where strategies differ, exactly as the simulator (model.md 1): upgrades
 * invalidate only under notifier / notifier-seed; downgrades and unmaps
 * invalidate under every strategy, `notifier` (v6.6) the changed span or the
 * whole ASID, the pre-v6.6 strategies the whole range the operation covered.
 * The CPU's own TLBIs are not sent: the agent's CPU does not use these tables.
 */
#include "agent.h"

#define MM_MAX_PAGES ((uint32_t)((DEV_IOVA_LIMIT - IOVA_BASE) >> 12))
#define POOL_FRAMES ((uint32_t)((BOARD_POOL_END - BOARD_POOL) >> 12))
#define PTE_DESC_PAGE 0x3ull
#define PTE_DESC_AP_USER (1ull << 6)
#define PTE_DESC_AP_RO (1ull << 7)
#define PTE_DESC_SH_INNER (3ull << 8)
#define PTE_DESC_AF (1ull << 10)
#define PTE_DESC_NG (1ull << 11)

struct mm mm;

static struct page pages[MM_MAX_PAGES];
static uint64_t *l3[MM_MAX_PAGES / 512 + 2];
static uint32_t free_frames[POOL_FRAMES], nfree, next_frame, zero_frame;
static struct cmd scratch[MM_MAX_PAGES + 64];

void *frame_alloc_page(void)
{
	uint32_t f;
	volatile uint64_t *p;

	if (nfree)
		f = free_frames[--nfree];
	else if (next_frame < POOL_FRAMES)
		f = (uint32_t)(BOARD_POOL >> 12) + next_frame++;
	else
		fatal("mm: out of frames");
	p = (volatile uint64_t *)frame_ptr(f);
	for (int i = 0; i < 512; i++)
		p[i] = 0;
	return (void *)p;
}

static uint32_t frame_new(void)
{
	return (uint32_t)((uintptr_t)frame_alloc_page() >> 12);
}

uint32_t mm_capacity(void)
{
	uint32_t frames = POOL_FRAMES - 16 - (MM_MAX_PAGES / 512 + 4);

	return frames < MM_MAX_PAGES ? frames : MM_MAX_PAGES;
}

/* The descriptor the SMMU walks for vpn, from its software flags. */
static void pte_set(uint32_t vpn)
{
	const struct page *p = &pages[vpn];
	uint32_t abs = (uint32_t)(vpn_iova(vpn) >> 12);
	uint64_t d = 0;

	if (p->flags & PTE_PRESENT) {
		d = (uint64_t)p->frame << 12 | PTE_DESC_PAGE | PTE_DESC_AP_USER |
		    PTE_DESC_SH_INNER | PTE_DESC_AF | PTE_DESC_NG;
		if (!pte_hw_writable(p))
			d |= PTE_DESC_AP_RO;
	}
	l3[abs >> 9][abs & 511] = d;
	dsb();
}

static void change(uint32_t vpn, uint8_t flags)
{
	pages[vpn].flags = flags;
	pages[vpn].gen++;
	pte_set(vpn);
}

/* A downgrade; the caller sends the invalidation. */
static void downgrade(uint32_t vpn, uint8_t flags)
{
	change(vpn, flags);
	ctr.cpu_downgrades++;
}

static int notifier_strategy(void)
{
	return mm.job->strategy == QJ_NOTIFIER || mm.job->strategy == QJ_NOTIFIER_SEED;
}

/*
 * The TLBIs arm_smmu_tlb_inv_range_asid() sends for [vpn, vpn+n); n = 0 is
 * the whole address space. Returns how many are in scratch.
 */
static size_t tlbi_cmds(uint32_t vpn, uint32_t n)
{
	uint16_t asid = (uint16_t)mm.job->asid;
	size_t k = 0;

	if (!mm.job->ril && mm.job->max_tlbi_ops && n >= 512)
		n = 0; /* CMDQ_MAX_TLBI_OPS: 1 << (PAGE_SHIFT - 3) */
	if (!n) {
		scratch[0] = cmd_tlbi_nh_asid(asid);
		return 1;
	}
	if (!mm.job->ril) {
		for (uint32_t i = 0; i < n; i++)
			scratch[k++] = cmd_tlbi_nh_va(asid, vpn_iova(vpn + i), 0);
		return k;
	}
	/* __arm_smmu_tlb_inv_range() with RIL: NUM (<= 31) chunks of 2^SCALE pages */
	for (uint32_t left = n; left;) {
		uint32_t scale = (uint32_t)__builtin_ctz(left), num = (left >> scale) & 31;

		scratch[k++] = cmd_tlbi_nh_va_range(asid, vpn_iova(vpn), num, scale);
		vpn += num << scale;
		left -= num << scale;
	}
	return k;
}

/* The SVA mmu notifier's invalidation: TLBIs, then CMD_SYNC and wait. */
static void sva_invalidate(uint32_t vpn, uint32_t n)
{
	ctr.notifier_calls++;
	cmdq_submit(scratch, tlbi_cmds(vpn, n), 1);
}

/* ptep_set_access_flags(dirty) after an in-place upgrade. */
static void upgrade_flush(uint32_t vpn)
{
	if (notifier_strategy())
		sva_invalidate(vpn, 1);
}

static void downgrade_flush_page(uint32_t vpn)
{
	sva_invalidate(vpn, 1);
}

/*
 * v6.14+ flushes the changed span [glo, ghi]; the pre-v6.6 design (every
 * other strategy, as the sim) invalidates twice: tlb_flush_mmu_tlbonly()
 * over the changed span, then range_end over the whole range.
 */
static void downgrade_flush_range(uint32_t lo, uint32_t n, uint32_t glo, uint32_t ghi,
				  int changed)
{
	if (mm.job->strategy == QJ_NOTIFIER) {
		if (changed)
			sva_invalidate(glo, ghi - glo + 1);
		return;
	}
	if (changed)
		sva_invalidate(glo, ghi - glo + 1);
	sva_invalidate(lo, n);
}

void mm_init(const struct qemu_job *job)
{
	uint64_t *l0 = frame_alloc_page(), *l1 = frame_alloc_page(), *l2 = frame_alloc_page();
	uint8_t init = PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE;
	uint32_t first, last;

	mm.job = job;
	mm.pg = pages;
	mm.buf_pages = job->pages;
	mm.cpu_lo = mm.buf_pages;
	mm.cpu_n = job->workload == QJ_CPU_UPGRADE_CHURN ? job->cpu_pages : 0;
	mm.map_lo = mm.cpu_lo + mm.cpu_n;
	mm.map_n = job->workload == QJ_MUNMAP_LARGE ? job->range_pages : 0;
	mm.stage = mm.map_lo + mm.map_n;
	mm.total = mm.stage + 1;

	/* four levels (T0SZ 16), as a 48-bit process; IOVAs stay below 256 MiB */
	l0[0] = (uintptr_t)l1 | 3;
	l1[0] = (uintptr_t)l2 | 3;
	first = (uint32_t)(vpn_iova(0) >> 21);
	last = (uint32_t)(vpn_iova(mm.total - 1) >> 21);
	for (uint32_t i = first; i <= last; i++) {
		l3[i] = frame_alloc_page();
		l2[i] = (uintptr_t)l3[i] | 3;
	}
	mm.ttb0 = (uintptr_t)l0;
	zero_frame = frame_new();

	if (job->workload == QJ_RW_REUSE) {
		/* after a fork whose child exited: read-only, exclusive, reusable */
		init = PTE_PRESENT | PTE_RDONLY | PTE_MAYWRITE;
		if (job->reprotect == QJ_REPROT_WRITEBACK)
			init |= PTE_FILE;
	} else if (job->workload == QJ_FIRST_TOUCH) {
		init = PTE_MAYWRITE;
	}
	for (uint32_t i = 0; i < mm.total; i++) {
		struct page *p = &pages[i];

		if (i < mm.buf_pages)
			p->flags = init;
		else if (i < mm.map_lo || i == mm.stage)
			p->flags = PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE;
		else
			p->flags = PTE_MAYWRITE;
		if (p->flags & PTE_PRESENT)
			p->frame = frame_new();
		pte_set(i);
	}
}

enum fault_kind mm_handle_fault(uint32_t vpn, int write)
{
	struct page *p = &pages[vpn];

	if (write && !(p->flags & PTE_MAYWRITE)) {
		ctr.mm_faults_spurious++;
		return FK_SEGV;
	}
	if (!(p->flags & PTE_PRESENT)) {
		if (write) {
			p->frame = frame_new();
			change(vpn, PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE);
		} else {
			p->frame = zero_frame;
			change(vpn, PTE_PRESENT | PTE_RDONLY | PTE_ZERO | PTE_MAYWRITE);
		}
		ctr.mm_faults_new++;
		return FK_NEW;
	}
	if (!write || pte_hw_writable(p)) {
		ctr.mm_faults_spurious++;
		return FK_SPURIOUS;
	}
	if (p->flags & PTE_ZERO) {
		/* wp_page_copy: ptep_clear_flush, then the new page */
		p->frame = frame_new();
		downgrade(vpn, (uint8_t)(PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE |
					 (p->flags & PTE_FILE)));
		ctr.cpu_downgrades--; /* a copy is not a protection downgrade */
		downgrade_flush_page(vpn);
		ctr.mm_faults_copy++;
		return FK_COPY;
	}
	/* wp_page_reuse / DBM mkdirty: upgrade in place, same frame */
	change(vpn, (uint8_t)((p->flags & ~PTE_RDONLY) | PTE_WRITE | PTE_DIRTY));
	ctr.mm_upgrades++;
	ctr.mm_faults_reuse++;
	upgrade_flush(vpn);
	return FK_REUSE;
}

void mm_cpu_write(uint32_t vpn)
{
	struct page *p = &pages[vpn];

	if (pte_hw_writable(p))
		return;
	if ((p->flags & PTE_PRESENT) && (p->flags & PTE_WRITE)) {
		/* the CPU's hardware DBM makes a writable-clean page dirty, no fault */
		change(vpn, (uint8_t)((p->flags & ~PTE_RDONLY) | PTE_DIRTY));
		return;
	}
	ctr.cpu_faults++;
	if (mm_handle_fault(vpn, 1) == FK_REUSE)
		ctr.cpu_upgrades++;
}

/* page_mkclean of one page (writeback), flushed at once. */
void mm_wrprotect_page(uint32_t vpn)
{
	struct page *p = &pages[vpn];

	if (!pte_hw_writable(p))
		return;
	downgrade(vpn, (uint8_t)((p->flags | PTE_RDONLY) & ~(PTE_WRITE | PTE_DIRTY)));
	downgrade_flush_page(vpn);
}

void mm_fork(void)
{
	const uint32_t lo[3] = {0, mm.cpu_lo, mm.map_lo};
	const uint32_t n[3] = {mm.buf_pages, mm.cpu_n, mm.map_n};

	for (int r = 0; r < 3; r++) {
		for (uint32_t i = lo[r]; i < lo[r] + n[r]; i++) {
			struct page *p = &pages[i];

			if (!(p->flags & PTE_PRESENT) || (p->flags & PTE_FILE))
				continue;
			if (p->flags & PTE_WRITE)
				downgrade(i, (uint8_t)((p->flags | PTE_RDONLY) & ~PTE_WRITE));
		}
	}
	if (mm.job->strategy == QJ_NOTIFIER) {
		sva_invalidate(0, 0); /* flush_tlb_mm -> (0, -1UL) */
		return;
	}
	/* copy_page_range(): range_start/end on each COW VMA of the parent */
	for (int r = 0; r < 3; r++)
		if (n[r])
			sva_invalidate(lo[r], n[r]);
}

void mm_zap_range(uint32_t lo, uint32_t n)
{
	uint32_t glo = UINT32_MAX, ghi = 0;

	for (uint32_t i = lo; i < lo + n; i++) {
		struct page *p = &pages[i];

		if (!(p->flags & PTE_PRESENT))
			continue;
		downgrade(i, (uint8_t)(p->flags & PTE_MAYWRITE));
		ctr.cpu_downgrades--; /* an unmap is counted as an op, not a downgrade */
		if (i < glo)
			glo = i;
		ghi = i;
	}
	downgrade_flush_range(lo, n, glo, ghi, glo != UINT32_MAX);
	/* the frames go back only after the flush, as the kernel's mmu_gather does */
	for (uint32_t i = lo; i < lo + n; i++) {
		struct page *p = &pages[i];

		if (!(p->flags & PTE_PRESENT) && p->frame) {
			if (p->frame != zero_frame)
				free_frames[nfree++] = p->frame;
			p->frame = 0;
		}
	}
}

void mm_populate(uint32_t lo, uint32_t n)
{
	for (uint32_t i = lo; i < lo + n; i++) {
		if (pages[i].flags & PTE_PRESENT)
			continue;
		pages[i].frame = frame_new();
		change(i, PTE_PRESENT | PTE_WRITE | PTE_DIRTY | PTE_MAYWRITE);
	}
}

void mm_mprotect(uint32_t lo, uint32_t n, int writable)
{
	uint32_t glo = UINT32_MAX, ghi = 0;

	for (uint32_t i = lo; i < lo + n; i++) {
		struct page *p = &pages[i];
		uint8_t f = p->flags;

		if (!writable) {
			f &= (uint8_t)~PTE_MAYWRITE;
			if (!pte_hw_writable(p)) {
				p->flags = f; /* VMA change only, no PTE change */
				continue;
			}
			downgrade(i, (uint8_t)((f | PTE_RDONLY) & ~PTE_WRITE));
		} else {
			f |= PTE_MAYWRITE;
			if (!((f & PTE_PRESENT) && (f & PTE_DIRTY) && !(f & (PTE_ZERO | PTE_FILE)) &&
			      !pte_hw_writable(p))) {
				p->flags = f;
				continue;
			}
			/* can_change_pte_writable(): exclusive dirty anon, in place */
			change(i, (uint8_t)((f & ~PTE_RDONLY) | PTE_WRITE));
			ctr.cpu_upgrades++;
			ctr.mm_upgrades++;
		}
		if (i < glo)
			glo = i;
		ghi = i;
	}
	/* change_protection() flushes the changed span; range_end the whole range */
	downgrade_flush_range(lo, n, glo, ghi, glo != UINT32_MAX);
}
