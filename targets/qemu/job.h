/*
 * job.h - what the host side of the `qemu` target hands the bare-metal agent
 * (targets/qemu/agent/), shared by both sides: plain fixed-width fields, no
 * pointers, little-endian (host x86_64 and guest aarch64 agree).
 *
 * The host writes one struct qemu_job to a file and QEMU loads it into guest
 * RAM with `-device loader,file=JOB,addr=QEMU_JOB_ADDR,force-raw=on`; the
 * agent checks magic and version before reading anything else, and reports
 * a bad job on the UART instead of running it.
 */
#ifndef SVABENCH_QEMU_JOB_H
#define SVABENCH_QEMU_JOB_H

#include <stdint.h>

#define QEMU_JOB_MAGIC 0x31425653u /* "SVB1" */
#define QEMU_JOB_VERSION 1u
/* Guest-physical address of the job: near the top of the board's 256 MiB. */
#define QEMU_JOB_ADDR 0x4ff00000u

/* Workloads of the bare agent; the same names as the sim target's. */
enum qemu_job_workload {
	QJ_RW_REUSE,
	QJ_FIRST_TOUCH,
	QJ_CPU_UPGRADE_CHURN,
	QJ_MPROTECT_TOGGLE,
	QJ_MUNMAP_LARGE,
	QJ_NWORKLOADS,
};

/* Strategies; api.md's names. */
enum qemu_job_strategy {
	QJ_NONE,
	QJ_PRI_INV,
	QJ_PRI_INV_SYNC,
	QJ_NOTIFIER,
	QJ_NOTIFIER_SEED,
	QJ_NSTRATEGIES,
};

/* How rw-reuse makes the buffer read-only again between passes (sim's reprotect). */
enum qemu_job_reprotect {
	QJ_REPROT_FORK,      /* wrprotect every VMA, then flush_tlb_mm */
	QJ_REPROT_WRITEBACK, /* page_mkclean per page, flush per page */
};

struct qemu_job {
	uint32_t magic;      /* QEMU_JOB_MAGIC */
	uint32_t version;    /* QEMU_JOB_VERSION */
	uint32_t size;       /* sizeof(struct qemu_job) */
	uint32_t workload;   /* enum qemu_job_workload */
	uint32_t strategy;   /* enum qemu_job_strategy */
	uint32_t pages;      /* device buffer, 4 KiB pages */
	uint32_t passes;     /* device passes over the buffer */
	uint32_t livelock_k; /* refaults with no PTE change before a livelock is declared */
	uint32_t read_before_write; /* rw-reuse: the device reads a page before writing it */
	uint32_t txn_bytes;  /* bytes per DMA; 2 * txn_bytes <= 4096 */
	uint32_t reprotect;  /* enum qemu_job_reprotect */
	uint32_t cpu_pages;  /* CPU-private region (cpu-upgrade-churn), pages */
	uint32_t cpu_ops;    /* CPU-side operations per device pass */
	uint32_t range_pages; /* pages per mprotect / munmap range */
	uint32_t overlap_pct; /* cpu-upgrade-churn: % of CPU upgrades that hit the device buffer */
	uint32_t ril;        /* send range TLBIs (IDR3.RIL) the way __arm_smmu_tlb_inv_range does */
	uint32_t max_tlbi_ops; /* without RIL, a range of >= 512 pages becomes TLBI_NH_ASID */
	uint32_t asid;       /* the agent's ASID in its context descriptor */
	uint64_t seed;
};

#endif
