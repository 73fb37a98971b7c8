/*
 * smmu.c - the SMMUv3 as Linux's arm-smmu-v3 driver sets it up, cut down to
 * one stream: a linear stream table, one stage-1 STE with one context
 * descriptor (our ASID, our page tables), the command queue and the event
 * queue, then CFGI_ALL + TLBI_NSNH_ALL + SYNC and SMMUEN. No interrupts:
 * the agent drains the event queue after every DMA.
 *
 * Every command the workload sends goes through cmdq_submit() and is
 * counted by opcode as QEMU's trace will see it (a TLBI_NH_VA with TG != 0
 * is the range form).
 */
#include "agent.h"

#define IDR0 0x00
#define IDR1 0x04
#define IDR3 0x0c
#define IDR5 0x14
#define CR0 0x20
#define CR0ACK 0x24
#define CR1 0x28
#define CR2 0x2c
#define IRQ_CTRL 0x50
#define GERROR 0x60
#define GERRORN 0x64
#define STRTAB_BASE 0x80
#define STRTAB_BASE_CFG 0x88
#define CMDQ_BASE 0x90
#define CMDQ_PROD 0x98
#define CMDQ_CONS 0x9c
#define EVTQ_BASE 0xa0
#define EVTQ_PROD 0x100a8 /* register page 1 */
#define EVTQ_CONS 0x100ac

#define CR0_SMMUEN (1u << 0)
#define CR0_EVTQEN (1u << 2)
#define CR0_CMDQEN (1u << 3)
#define Q_BASE_RWA (1ull << 62) /* read/write-allocate hint, as Linux sets it */

#define OP_CFGI_STE 0x03
#define OP_CFGI_ALL 0x04
#define OP_CFGI_CD 0x05
#define OP_TLBI_NH_ASID 0x11
#define OP_TLBI_NH_VA 0x12
#define OP_TLBI_NSNH_ALL 0x30
#define OP_ATC_INV 0x40
#define OP_PRI_RESP 0x41
#define OP_RESUME 0x44
#define OP_SYNC 0x46

#define CMDQ_LOG2 8 /* 256 commands, one 4 KiB frame */
#define EVTQ_LOG2 7 /* 128 records of 32 bytes */
#define STRTAB_LOG2 6 /* 64 STEs: StreamIDs 0..63 */
#define BATCH 64      /* CMDQ_BATCH_ENTRIES */
#define POLL_LIMIT 10000000u

struct counters ctr;
int counting;

static struct {
	uint64_t *cmdq, *evtq;
	uint32_t prod, evt_cons; /* free-running, modulo twice the queue size */
} q;

static uintptr_t reg(uint32_t off) { return BOARD_SMMU + off; }

static void check_gerror(const char *where)
{
	uint32_t active = (rd32(reg(GERROR)) ^ rd32(reg(GERRORN))) & 0x1fd;
	struct line l = {.n = 0};

	if (!active)
		return;
	ln_str(&l, "smmu: GERROR ");
	ln_hex(&l, active);
	ln_str(&l, " (bit 0 CMDQ_ERR, 2 EVTQ_ABT_ERR) after ");
	ln_str(&l, where);
	ln_str(&l, "; CMDQ_CONS ");
	ln_hex(&l, rd32(reg(CMDQ_CONS)));
	fatal_line(&l);
}

static void cr0_set(uint32_t v)
{
	wr32(reg(CR0), v);
	for (uint32_t i = 0; rd32(reg(CR0ACK)) != v; i++)
		if (i > POLL_LIMIT)
			fatal("smmu: CR0ACK never followed CR0");
}

struct cmd cmd_tlbi_nh_va(uint16_t asid, uint64_t iova, int leaf)
{
	return (struct cmd){{OP_TLBI_NH_VA | (uint64_t)asid << 48,
			     (iova & ~0xfffull) | (leaf ? 1u : 0u)}};
}

/* __arm_smmu_tlb_inv_range() with RIL: NUM+1 chunks of 2^SCALE 4K pages, TG = 4K. */
struct cmd cmd_tlbi_nh_va_range(uint16_t asid, uint64_t iova, uint32_t num, uint32_t scale)
{
	return (struct cmd){{OP_TLBI_NH_VA | (uint64_t)(num - 1) << 12 |
				     (uint64_t)scale << 20 | (uint64_t)asid << 48,
			     (iova & ~0xfffull) | 1ull << 10}};
}

struct cmd cmd_tlbi_nh_asid(uint16_t asid)
{
	return (struct cmd){{OP_TLBI_NH_ASID | (uint64_t)asid << 48, 0}};
}

struct cmd cmd_sync(void)
{
	return (struct cmd){{OP_SYNC, 0}}; /* CS = SIG_NONE: the agent polls CONS */
}

struct cmd cmd_resume(uint32_t sid, uint16_t stag)
{
	return (struct cmd){{OP_RESUME | 1ull << 12 /* RETRY */ | (uint64_t)sid << 32, stag}};
}

struct cmd cmd_cfgi_cd(uint32_t sid)
{
	return (struct cmd){{OP_CFGI_CD | (uint64_t)sid << 32, 1 /* leaf */}};
}

static void count(const struct cmd *c)
{
	switch (c->d[0] & 0xff) {
	case OP_TLBI_NH_VA:
		if ((c->d[1] >> 10) & 3)
			ctr.cmd_tlbi_nh_va_range++;
		else
			ctr.cmd_tlbi_nh_va++;
		break;
	case OP_TLBI_NH_ASID: ctr.cmd_tlbi_nh_asid++; break;
	case OP_ATC_INV: ctr.cmd_atc_inv++; break;
	case OP_SYNC: ctr.cmd_sync++; break;
	case OP_RESUME: ctr.cmd_resume++; break;
	case OP_PRI_RESP: ctr.cmd_pri_resp++; break;
	case OP_CFGI_CD: ctr.cmd_cfgi_cd++; break;
	}
}

static uint32_t cmdq_used(void)
{
	uint32_t mask = (2u << CMDQ_LOG2) - 1, cons = rd32(reg(CMDQ_CONS));

	if (cons & (0x7fu << 24))
		check_gerror("a command (CMDQ_CONS.ERR set)");
	return (q.prod - cons) & mask;
}

/* Waits until the SMMU consumed everything up to PROD (a CMD_SYNC completed). */
static void cmdq_wait(void)
{
	for (uint32_t i = 0; cmdq_used(); i++)
		if (i > POLL_LIMIT)
			fatal("smmu: the command queue's CONS never reached PROD");
}

/* One arm_smmu_cmdq_issue_cmdlist(): write the commands, then publish PROD once. */
static void cmdq_issue(const struct cmd *c, size_t n)
{
	uint32_t size = 1u << CMDQ_LOG2;

	for (uint32_t i = 0; size - cmdq_used() < n; i++)
		if (i > POLL_LIMIT)
			fatal("smmu: the command queue never drained");
	for (size_t i = 0; i < n; i++) {
		uint64_t *e = &q.cmdq[2 * (q.prod & (size - 1))];

		e[0] = c[i].d[0];
		e[1] = c[i].d[1];
		q.prod = (q.prod + 1) & ((2u << CMDQ_LOG2) - 1);
		if (counting)
			count(&c[i]);
	}
	if (counting)
		ctr.cmdq_submissions++;
	dsb();
	wr32(reg(CMDQ_PROD), q.prod);
	check_gerror("a command submission");
}

void cmdq_submit(const struct cmd *c, size_t n, int sync)
{
	struct cmd batch[BATCH + 1];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (k == BATCH) {
			cmdq_issue(batch, k);
			k = 0;
		}
		batch[k++] = c[i];
	}
	if (sync)
		batch[k++] = cmd_sync();
	if (k)
		cmdq_issue(batch, k);
	if (sync)
		cmdq_wait();
}

uint32_t evtq_drain(struct evt *first)
{
	uint32_t size = 1u << EVTQ_LOG2, mask = (2u << EVTQ_LOG2) - 1, n = 0;
	uint32_t prod = rd32(reg(EVTQ_PROD));

	first->type = 0;
	while (q.evt_cons != (prod & mask)) {
		const uint64_t *e = &q.evtq[4 * (q.evt_cons & (size - 1))];

		if (!n) {
			first->type = (uint32_t)(e[0] & 0xff);
			first->sid = (uint32_t)(e[0] >> 32);
			first->read = (int)((e[1] >> 35) & 1);
			first->addr = e[2];
		}
		n++;
		q.evt_cons = (q.evt_cons + 1) & mask;
	}
	/* acknowledge an overflow by copying OVFLG into CONS */
	wr32(reg(EVTQ_CONS), q.evt_cons | (prod & (1u << 31)));
	if (prod & (1u << 31))
		fatal("smmu: the event queue overflowed");
	check_gerror("draining the event queue");
	return n;
}

int smmu_init(uint32_t sid, uint16_t asid, uint64_t ttb0)
{
	uint32_t idr0 = rd32(reg(IDR0)), idr1 = rd32(reg(IDR1)), idr5 = rd32(reg(IDR5));
	uint64_t *strtab = frame_alloc_page(), *cd = frame_alloc_page(), *ste;

	if (!(idr0 & (1u << 1)))
		fatal("smmu: IDR0 has no stage 1 translation");
	if (!(idr5 & (1u << 4)))
		fatal("smmu: IDR5 has no 4 KiB granule");
	if ((idr1 & 0x3f) < STRTAB_LOG2 && sid >= (1u << (idr1 & 0x3f)))
		fatal("smmu: the device's StreamID is beyond IDR1.SIDSIZE");
	if (sid >= (1u << STRTAB_LOG2))
		fatal("smmu: the device's StreamID is beyond the agent's stream table");
	if (((idr1 >> 21) & 0x1f) < CMDQ_LOG2 || ((idr1 >> 16) & 0x1f) < EVTQ_LOG2)
		fatal("smmu: IDR1's queue sizes are too small");
	q.cmdq = frame_alloc_page();
	q.evtq = frame_alloc_page();

	/* the context descriptor: T0SZ 16 (4 levels), 4K granule, WB ISH walks, TTB1 off */
	cd[0] = 16 | 1u << 8 | 1u << 10 | 3u << 12 | 1u << 30 /* EPD1 */ | 1u << 31 /* V */ |
		2ull << 32 /* IPS 40 bits */ | 1ull << 41 /* AA64 */ | 1ull << 45 /* R */ |
		1ull << 46 /* A */ | (uint64_t)asid << 48;
	cd[1] = ttb0 & 0x000ffffffffffff0ull;
	cd[3] = 0x04ff; /* MAIR: attr0 normal WB, attr1 device */

	/* the STE: valid, stage-1 translate, one CD, WB ISH CD fetches */
	ste = &strtab[8 * sid];
	ste[1] = 1u << 2 | 1u << 4 | 3u << 6 | 1ull << 44;
	ste[0] = 1 | 5u << 1 | ((uintptr_t)cd & 0x000fffffffffffc0ull);
	dsb();

	cr0_set(0);
	wr32(reg(CR1), 3u << 10 | 1u << 8 | 1u << 6 | 3u << 4 | 1u << 2 | 1u); /* WB ISH tables, queues */
	wr32(reg(CR2), 1u << 2 | 1u << 1);                           /* PTM, RECINVSID */
	wr32(reg(IRQ_CTRL), 0);
	wr64(reg(STRTAB_BASE), Q_BASE_RWA | (uintptr_t)strtab);
	wr32(reg(STRTAB_BASE_CFG), STRTAB_LOG2); /* linear */
	wr64(reg(CMDQ_BASE), Q_BASE_RWA | (uintptr_t)q.cmdq | CMDQ_LOG2);
	wr32(reg(CMDQ_PROD), 0);
	wr32(reg(CMDQ_CONS), 0);
	cr0_set(CR0_CMDQEN);

	/* as arm_smmu_device_reset(): forget any cached configuration and TLB */
	struct cmd init[] = {
		{{OP_CFGI_ALL, 31}},
		{{OP_CFGI_STE | (uint64_t)sid << 32, 1}},
		{{OP_TLBI_NSNH_ALL, 0}},
	};
	cmdq_submit(init, 3, 1);

	wr64(reg(EVTQ_BASE), Q_BASE_RWA | (uintptr_t)q.evtq | EVTQ_LOG2);
	wr32(reg(EVTQ_PROD), 0);
	wr32(reg(EVTQ_CONS), 0);
	cr0_set(CR0_CMDQEN | CR0_EVTQEN);
	cr0_set(CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	check_gerror("enabling the SMMU");
	return (int)((rd32(reg(IDR3)) >> 10) & 1);
}
