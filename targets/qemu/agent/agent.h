/*
 * agent.h - the bare-metal agent's internal interface: the pieces of one
 * freestanding program that plays host software on QEMU's SMMUv3 (see
 * targets.md, `qemu`, mode bare). The agent runs at EL1 with its own MMU
 * off; the page tables it builds are only for the SMMU.
 *
 *   uart.c   JSON lines on the PL011, integer formatting, fatal errors
 *   hw.c     PCI enumeration, the GIC, the edu DMA engine and its interrupt
 *   smmu.c   SMMU set-up, the command queue (counted by opcode), event queue
 *   mm.c     the "mm": VMAs, per-page permissions, stage-1 page tables and
 *            the kernel paths that change them, with each strategy's TLBIs
 *   work.c   the workloads, the device side and the fault handler
 *   main.c   the job, the run, the metrics line
 */
#ifndef AGENT_H
#define AGENT_H

#include "../../sva_pte.h" /* PTE_PRESENT, PTE_WRITE, ... */
#include <stddef.h>
#include <stdint.h>

#include "../job.h"
#include "board.h"

/* --- MMIO: with the MMU off every data access is Device memory --- */
static inline uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t rd64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void wr32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void wr64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* --- uart.c --- */

/* A line under construction; out of room truncates, never overflows. */
struct line {
	char b[320];
	size_t n;
};

void ln_str(struct line *l, const char *s);
void ln_u64(struct line *l, uint64_t v);
void ln_hex(struct line *l, uint64_t v); /* 0x... */
void ln_json(struct line *l, const char *s); /* a quoted, escaped JSON string */
void ln_flush(struct line *l);               /* prints it, empties it (a long line in parts) */
void ln_emit(struct line *l);                /* prints it with '\n', empties it */
const char *ln_cstr(struct line *l);         /* NUL-terminated contents */

void say_progress(uint32_t permille);
void say_example(const char *text);
/* {"error":"..."} then SYSTEM_OFF. */
__attribute__((noreturn)) void fatal(const char *msg);
__attribute__((noreturn)) void fatal_line(struct line *msg);
__attribute__((noreturn)) void agent_off(void);

/* --- hw.c --- */
struct dev {
	uintptr_t bar0;
	uint32_t sid; /* StreamID = PCI requester ID */
};
void pci_init(struct dev *d);
void gic_init(void);
void dev_mark(const struct dev *d, uint32_t id);
/* One DMA of n bytes between the device buffer at buf_off and iova; waits
 * for the interrupt in wfi (fatal on timeout). */
void dev_dma(const struct dev *d, uint64_t iova, uint32_t buf_off, uint32_t n, int to_ram);

/* --- smmu.c --- */

/* One 16-byte command; build them with the cmd_* helpers. */
struct cmd {
	uint64_t d[2];
};

struct cmd cmd_tlbi_nh_va(uint16_t asid, uint64_t iova, int leaf);
struct cmd cmd_tlbi_nh_va_range(uint16_t asid, uint64_t iova, uint32_t num, uint32_t scale);
struct cmd cmd_tlbi_nh_asid(uint16_t asid);
struct cmd cmd_sync(void);
struct cmd cmd_resume(uint32_t sid, uint16_t stag);
struct cmd cmd_cfgi_cd(uint32_t sid);

struct evt {
	uint32_t type, sid;
	uint64_t addr;
	int read;
};

#define EVT_F_TRANSLATION 0x10
#define EVT_F_PERMISSION 0x13

/* Sets up and enables the SMMU with one stage-1 stream for sid. Returns IDR3.RIL. */
int smmu_init(uint32_t sid, uint16_t asid, uint64_t ttb0);
/*
 * arm_smmu_cmdq_batch_add()/_submit() as the simulator models them: full
 * batches of 64 go out without a sync; with sync, one CMD_SYNC ends the last
 * batch and the caller waits until the SMMU consumed it.
 */
void cmdq_submit(const struct cmd *c, size_t n, int sync);
/* Drains the event queue; the first record in *first (type 0 when none). Returns the count. */
uint32_t evtq_drain(struct evt *first);

/* --- counters: api.md's names, the simulator's meaning --- */
#define AGENT_COUNTERS(X)                                  \
	X(dma_transactions, "dma.transactions")            \
	X(dma_bytes, "dma.bytes")                          \
	X(dma_livelocked, "dma.livelocked")                \
	X(dma_errors, "dma.errors")                        \
	X(dma_passes, "dma.passes")                        \
	X(fault_translation, "fault.translation")          \
	X(fault_permission, "fault.permission")            \
	X(fault_refaults, "fault.refaults")                \
	X(fault_spurious, "fault.spurious")                \
	X(fault_responses, "fault.responses")              \
	X(cmd_tlbi_nh_va, "cmd.tlbi_nh_va")                \
	X(cmd_tlbi_nh_va_range, "cmd.tlbi_nh_va_range")    \
	X(cmd_tlbi_nh_asid, "cmd.tlbi_nh_asid")            \
	X(cmd_atc_inv, "cmd.atc_inv")                      \
	X(cmd_sync, "cmd.sync")                            \
	X(cmd_resume, "cmd.resume")                        \
	X(cmd_pri_resp, "cmd.pri_resp")                    \
	X(cmd_cfgi_cd, "cmd.cfgi_cd")                      \
	X(cmdq_submissions, "cmdq.submissions")            \
	X(cpu_upgrades, "cpu.upgrades")                    \
	X(cpu_downgrades, "cpu.downgrades")                \
	X(cpu_faults, "cpu.faults")                        \
	X(cpu_ops, "cpu.ops")                              \
	X(mm_upgrades, "mm.upgrades")                      \
	X(mm_faults_new, "mm.faults_new")                  \
	X(mm_faults_reuse, "mm.faults_reuse")              \
	X(mm_faults_copy, "mm.faults_copy")                \
	X(mm_faults_spurious, "mm.faults_spurious")        \
	X(notifier_calls, "notifier.calls")                \
	X(data_checked, "data.checked")                    \
	X(data_mismatches, "data.mismatches")              \
	X(qemu_dma_attempts, "qemu.dma_attempts")          \
	X(qemu_events, "qemu.events")                      \
	X(qemu_stage_dmas, "qemu.stage_dmas")

struct counters {
#define X(f, n) uint64_t f;
	AGENT_COUNTERS(X)
#undef X
};

extern struct counters ctr;
extern int counting; /* 1 once the workload starts: init commands are not counted */

/* --- mm.c --- */
struct page {
	uint32_t frame; /* physical frame number */
	uint16_t gen;   /* bumped on every PTE change: livelock detection */
	uint8_t flags;
};

enum fault_kind { FK_NEW, FK_REUSE, FK_COPY, FK_SPURIOUS, FK_SEGV };

struct mm {
	const struct qemu_job *job;
	struct page *pg;
	uint32_t buf_pages, cpu_lo, cpu_n, map_lo, map_n, stage, total;
	uint64_t ttb0;
};

extern struct mm mm;

static inline int pte_hw_writable(const struct page *p)
{
	return (p->flags & (PTE_PRESENT | PTE_RDONLY)) == PTE_PRESENT && (p->flags & PTE_WRITE);
}

#define IOVA_BASE 0x100000UL
static inline uint64_t vpn_iova(uint32_t vpn) { return IOVA_BASE + ((uint64_t)vpn << 12); }
static inline uint8_t *frame_ptr(uint32_t frame) { return (uint8_t *)((uintptr_t)frame << 12); }

/* A zeroed 4 KiB frame from the pool (fatal when it is empty). */
void *frame_alloc_page(void);

/* Pages the IOVA space and the frame pool can hold for one job. */
uint32_t mm_capacity(void);
void mm_init(const struct qemu_job *job);
enum fault_kind mm_handle_fault(uint32_t vpn, int write);
void mm_cpu_write(uint32_t vpn);
void mm_wrprotect_page(uint32_t vpn);
void mm_fork(void);
void mm_zap_range(uint32_t lo, uint32_t n);
void mm_populate(uint32_t lo, uint32_t n);
void mm_mprotect(uint32_t lo, uint32_t n, int writable);

/* --- work.c --- */
void work_run(const struct qemu_job *job, const struct dev *d);

#endif
