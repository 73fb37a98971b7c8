/*
 * host.h - the `host` target: the kernel paths Fix B puts costs on, timed on
 * the real kernel of the machine svabench runs on, unbound and (where an
 * SVA device exists) bound. Folder-internal except host_target.
 */
#ifndef SVABENCH_HOST_H
#define SVABENCH_HOST_H

#include <stddef.h>

#include "../target.h"

/* Order matters: indexes host_params (host.c). */
enum host_param {
	HP_ITERATIONS,
	HP_RANGE_PAGES,
	HP_WARMUP,
	HP_FILE_DIR,
	HP_CPU,
	HOST_NPARAMS,
};

enum host_workload {
	HW_REUSE_AFTER_FORK,
	HW_WRITE_NOTIFY,
	HW_COW_COPY,
	HW_MPROTECT_UPGRADE,
	HW_MUNMAP,
	HW_MADV_DONTNEED,
	HW_FIRST_TOUCH,
	HW_WRITE_NOTIFY_DIRTY,
	HOST_NWORKLOADS,
};

/* 1 when workload wl times one faulting write per page, 0 when one call per operation. */
static inline int host_per_page(int wl)
{
	return wl == HW_REUSE_AFTER_FORK || wl == HW_WRITE_NOTIFY || wl == HW_COW_COPY ||
	       wl == HW_FIRST_TOUCH || wl == HW_WRITE_NOTIFY_DIRTY;
}

enum host_strategy { HS_UNBOUND, HS_BOUND, HS_SECONDARY_MMU, HOST_NSTRATEGIES };

extern const struct target host_target;
extern const char *const host_file_dirs[];

/*
 * What makes SVA possible under `root` ("" = the real /): IOMMUs, SMMUv3
 * PMCGs, uacce devices (flags, api, SVA bit), idxd user work queues, iommu
 * groups, each {"present": bool, ...} with "reason" when absent, and "sva":
 * {"possible", "device" or "reason"}, "privilege". NULL on OOM. Caller owns.
 */
struct json_t *host_detect(const char *root);

/*
 * The device node a bound run opens to bind its mm (a uacce device with
 * UACCE_DEV_SVA, else an idxd work queue), under root. 0 with the path in
 * dev, or -1 with what is missing in why.
 */
int host_sva_device(const char *root, char *dev, size_t dlen, char *why, size_t wlen);

/* 0 when /dev/kvm can be opened read/write here and speaks the KVM API; else -1 with why (kvm.c). */
int host_kvm_usable(char *why, size_t wlen);
/*
 * Registers a secondary MMU on this process's mm: a KVM VM with no vCPU and
 * no memory slot. The VM's fd (O_CLOEXEC; closing it unregisters once
 * nothing else holds the VM), or -1 with why (kvm.c).
 */
int host_secondary_mmu_open(char *why, size_t wlen);

/* Runs one cell (workloads.c). */
int host_run(const struct run_req *req, const struct run_sink *sink, struct run_result *res);

#endif
