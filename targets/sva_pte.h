/*
 * sva_pte.h - the software view of an arm64 PTE that the sim's mm
 * (targets/sim/mm.c) and the qemu bare agent's mm (targets/qemu/agent/mm.c)
 * share, so the two model the same permission states. Plain C, no
 * includes: the agent is freestanding.
 */
#ifndef SVABENCH_SVA_PTE_H
#define SVABENCH_SVA_PTE_H

enum {
	PTE_PRESENT = 1 << 0,
	PTE_WRITE = 1 << 1,    /* software-writable (arm64: PTE_WRITE == DBM) */
	PTE_RDONLY = 1 << 2,   /* hardware read-only */
	PTE_DIRTY = 1 << 3,
	PTE_MAYWRITE = 1 << 4, /* the VMA allows writes */
	PTE_ZERO = 1 << 5,     /* maps the shared zero page */
	PTE_FILE = 1 << 6,     /* file-shared, write-notify */
};

#endif
