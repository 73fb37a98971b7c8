/*
 * host.c - the `host` target as the rest of svabench sees it: its parameter
 * table, workloads, strategies, the one honest preset, and detection.
 */
#define _GNU_SOURCE /* sched_getaffinity */
#include "host.h"

#include <errno.h>
#include <sched.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const host_caps[] = {
	"real-kernel", "per-op-latency", "perf-software-events", "tracepoints", "sva-detect", NULL,
};

/* Directories for write-notify's file: a filesystem with writeback (tmpfs has no write-notify). */
const char *const host_file_dirs[] = {"/tmp", "/var/tmp", NULL};

#define I(n, lo, hi, d, u, h) {n, PARAM_INT, lo, hi, d, NULL, u, "host", h}

/* Order matters: enum host_param indexes this table. */
static const struct param_def host_params[HOST_NPARAMS] = {
	I("iterations", 1, 1000000, 2000, "ops", "timed operations after warmup (per-page workloads: pages written)"),
	I("range_pages", 1, 1048576, 1, "pages",
	  "pages per mprotect / munmap / madvise call; per-page workloads: pages prepared per fork / sync batch"),
	I("warmup", 0, 1000000, 100, "ops", "operations run and discarded before the timed ones"),
	{"file_dir", PARAM_ENUM, 0, 0, 0, host_file_dirs, "", "host",
	 "write-notify: directory of the shared file; must be a filesystem with writeback (tmpfs has no write-notify faults)"},
	I("cpu", -1, 4095, -1, "",
	  "the CPU the run's thread is pinned to for the run (sched_setaffinity; its forked children too); -1: not pinned"),
};

static const struct workload_def host_workloads[HOST_NWORKLOADS] = {
	{"reuse-after-fork",
	 "timed: the first write to each page of an anonymous mapping whose pages were written, shared with a child by fork and left to this process alone when the child exited - a write fault that reuses the page in place (do_wp_page, no copy); range_pages pages per fork",
	 NULL},
	{"write-notify",
	 "clean case. timed: the first write to each page of a MAP_SHARED file mapping just cleaned by sync_file_range (writeback write-protected the present PTEs) - a write-protect fault through page_mkwrite that turns the page dirty again (the filesystem's mkwrite and file time update included); range_pages pages per sync",
	 NULL},
	{"cow-copy",
	 "timed: the first write to each page of an anonymous mapping shared with a live forked child - a copy-on-write fault that allocates and copies a page; range_pages pages per fork",
	 NULL},
	{"mprotect-upgrade",
	 "timed: one mprotect(PROT_READ|PROT_WRITE) call over range_pages populated anonymous pages made read-only just before",
	 NULL},
	{"munmap", "timed: one munmap call over range_pages populated anonymous pages", NULL},
	{"madv-dontneed", "timed: one madvise(MADV_DONTNEED) call over range_pages populated anonymous pages", NULL},
	{"first-touch",
	 "timed: the first write to each page of a fresh anonymous mapping (4 KiB pages, THP off) - a fault that allocates and zeroes a page (do_anonymous_page), will-it-scale page_fault1's fault; range_pages pages per mapping, unmapped untimed",
	 NULL},
	{"write-notify-dirty",
	 "dirty case. timed: the first write to each page of a MAP_SHARED file mapping whose pages are dirty in the page cache and whose PTEs MADV_DONTNEED removed just before - a not-present write fault that maps the dirty page writable through page_mkwrite (do_shared_fault), will-it-scale page_fault3's fault; one-page page cache folios (MADV_RANDOM), so each write faults; range_pages pages per batch",
	 NULL},
};

static const struct strategy_def host_strategies[HOST_NSTRATEGIES] = {
	{"unbound", "the process is bound to no device: the kernel as every process sees it"},
	{"bound", "the process's mm is bound to an SVA device for the run (uacce queue or idxd work queue opened), so the IOMMU's mm notifiers are active; needs such a device"},
	{"secondary-mmu",
	 "the process's mm gets a secondary MMU with nothing behind it for the run: a KVM VM (/dev/kvm, KVM_CREATE_VM) with no vCPU and no memory slot, so every range invalidation calls the mmu notifiers and every TLB flush mmu_notifier_arch_invalidate_secondary_tlbs - the dispatch Fix B adds, with no SMMU command. Its difference to unbound is a lower bound of Fix B's CPU-side cost per operation, not Fix B's cost; needs read/write on /dev/kvm"},
};

static const struct preset host_default = {
	.name = "default",
	.description = "the host target measures; nothing is assumed",
	.values = NULL,
	.nvalues = 0,
};

static const struct preset *host_preset(size_t i)
{
	return i == 0 ? &host_default : NULL;
}

static size_t host_npresets(void)
{
	return 1;
}

static int host_available(char *why, size_t len)
{
	char dev[512], sva[512];

	if (host_sva_device("", dev, sizeof(dev), sva, sizeof(sva)) == 0)
		snprintf(why, len, "real kernel; SVA device %s (bound runs need read/write permission on it)", dev);
	else
		snprintf(why, len, "real kernel, unprivileged; bound unavailable: %s", sva);
	return 1;
}

static int host_check_cell(const double *p, char *field, size_t flen, char *msg, size_t mlen)
{
	const char *dir = host_file_dirs[(int)p[HP_FILE_DIR]];
	int cpu = (int)p[HP_CPU];
	struct stat st;
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0 && (sched_getaffinity(0, sizeof(set), &set) || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set))) {
		snprintf(field, flen, "params.cpu");
		snprintf(msg, mlen, "cpu %d is not one this process may run on (online and allowed: %d CPUs); -1 leaves the run unpinned",
			 cpu, CPU_COUNT(&set));
		return -1;
	}

	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(field, flen, "params.file_dir");
		snprintf(msg, mlen, "file_dir \"%s\" is not a directory here: %s", dir,
			 strerror(errno ? errno : ENOTDIR));
		return -1;
	}
	return 0;
}

/* "bound" needs an SVA device, "secondary-mmu" /dev/kvm; refused at the spec, never run half-way. */
static int host_check_strategy(int strategy, char *msg, size_t mlen)
{
	char dev[512], sva[400];

	if (strategy == HS_SECONDARY_MMU) {
		if (host_kvm_usable(sva, sizeof(sva)) == 0)
			return 0;
		snprintf(msg, mlen, "needs KVM to register a secondary MMU: %s", sva);
		return -1;
	}
	if (strategy != HS_BOUND || host_sva_device("", dev, sizeof(dev), sva, sizeof(sva)) == 0)
		return 0;
	snprintf(msg, mlen, "needs an SVA device: %s", sva);
	return -1;
}

static json_t *host_detect_here(void)
{
	return host_detect("");
}

const struct target host_target = {
	.name = "host",
	.description = "the machine svabench runs on: page-fault, mprotect, munmap and madvise paths of the real kernel timed per operation, with perf counters over the timed operations only, one run at a time; unbound, bound to an SVA device where one exists",
	.figures = "measured on the host above.",
	.exclusive = 1,
	.capabilities = host_caps,
	.params = host_params,
	.nparams = HOST_NPARAMS,
	.workloads = host_workloads,
	.nworkloads = HOST_NWORKLOADS,
	.strategies = host_strategies,
	.nstrategies = HOST_NSTRATEGIES,
	.preset = host_preset,
	.npresets = host_npresets,
	.available = host_available,
	.check_cell = host_check_cell,
	.check_strategy = host_check_strategy,
	.run = host_run,
	.detect = host_detect_here,
};
