/*
 * agent.c - the guest mode's agent: a static aarch64 Linux program that /init
 * runs inside Debian's arm64 kernel under QEMU. It drives QEMU's edu device
 * through VFIO, so every IOMMU operation goes through the real arm-smmu-v3
 * driver, and reports on the console as JSON lines.
 *
 * The job comes on the kernel command line:
 *   svabench.sizes=1,16,511,512,1024  unmap sizes, 4 KiB pages each
 *   svabench.iterations=3             map/unmap cycles per size
 *   svabench.fault=0                  skip the unmapped-IOVA DMA (default 1)
 *
 * Phase markers (4-byte writes of QEMU_MARK(id) to BAR0 + 0x04, which QEMU's
 * memory_region_ops_write trace records) cut the host's trace into phases:
 * the scheme is guest.h's, which targets/qemu/guest.c reads too.
 *
 * Output, one object per line:
 *   {"hello":{"release":..,"sizes":[..],"iterations":N,"ident":..}}
 *   {"unmap":{"size":P,"iter":J,"marker":M,"map_ns":..,"unmap_ns":..,
 *             "dma":D,"checked":C,"mismatches":X}}
 *   {"fault":{"marker":M,"landed":0|1,"event_0x10":N,"events":N}}
 *   {"done":{"cells":N,"dma":D,"checked":C,"mismatches":X}}
 *   {"error":"..."}  then power off
 * Times are CLOCK_MONOTONIC in the guest: emulated time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../qemu.h"
#include "guest.h"

#define EDU_BDF "0000:00:01.0"
#define EDU_SYSFS "/sys/bus/pci/devices/" EDU_BDF
#define EDU_IDENT 0x010000edu

/* edu registers (BAR0) */
#define EDU_DMA_SRC 0x80u
#define EDU_DMA_DST 0x88u
#define EDU_DMA_CNT 0x90u
#define EDU_DMA_CMD 0x98u
#define EDU_CMD_START 1u
#define EDU_CMD_TO_RAM 2u
#define EDU_BUF 0x40000u  /* the device's 4 KiB DMA buffer */

#define IOVA QG_IOVA
#define PAGE 4096ull
#define DMA_BYTES 1024u   /* per transfer: well inside the 4 KiB device buffer */
#define MAX_SIZES 32
#define MAX_PAGES QG_MAX_PAGES

static int console = -1;

/* Writes one line to the console in a single write(), so kernel messages
 * cannot land inside it. */
static void emit(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(console >= 0 ? console : 1, line, (size_t)n) < 0)
		return;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	_exit(1); /* only when not PID 1's child or lacking privilege */
}

/* Reports the error as the run's last line and powers off: QEMU exits. */
static void die(const char *fmt, ...)
{
	char msg[600], esc[700];
	size_t j = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (size_t i = 0; msg[i] && j < sizeof esc - 2; i++) {
		if (msg[i] == '"' || msg[i] == '\\')
			esc[j++] = '\\';
		esc[j++] = (msg[i] < 0x20) ? ' ' : msg[i];
	}
	esc[j] = 0;
	emit("{\"error\":\"%s\"}", esc);
	power_off();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* ---- the job ---- */

struct job {
	unsigned sizes[MAX_SIZES];
	int nsizes;
	unsigned iterations;
	int fault;
};

/* Reads svabench.* from /proc/cmdline; the kernel leaves dotted words to
 * modules, so they reach us only there. */
static void parse_job(struct job *j)
{
	char cmdline[4096], *save = NULL;

	j->nsizes = 0;
	j->iterations = 1;
	j->fault = 1;
	if (read_file("/proc/cmdline", cmdline, sizeof cmdline) < 0)
		die("cannot read /proc/cmdline: %s", strerror(errno));
	for (char *w = strtok_r(cmdline, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
		if (!strncmp(w, "svabench.sizes=", 15)) {
			char *p = w + 15, *end;

			while (*p) {
				unsigned long v = strtoul(p, &end, 10);

				if (end == p || v < 1 || v > MAX_PAGES || j->nsizes == MAX_SIZES)
					die("bad svabench.sizes '%s' (1..%u pages, at most %d sizes)",
					    w + 15, MAX_PAGES, MAX_SIZES);
				j->sizes[j->nsizes++] = (unsigned)v;
				p = *end == ',' ? end + 1 : end;
				if (*end && *end != ',')
					die("bad svabench.sizes '%s'", w + 15);
			}
		} else if (!strncmp(w, "svabench.iterations=", 20)) {
			unsigned long v = strtoul(w + 20, NULL, 10);

			if (v < 1 || v > 100000)
				die("bad svabench.iterations '%s'", w + 20);
			j->iterations = (unsigned)v;
		} else if (!strncmp(w, "svabench.fault=", 15)) {
			j->fault = atoi(w + 15) != 0;
		}
	}
	if (j->nsizes == 0)
		die("no svabench.sizes on the kernel command line");
}

/* ---- VFIO ---- */

struct edu {
	int container, group, device;
	volatile uint8_t *bar0;
	uint64_t bar0_size;
	uint64_t cfg_offset;
};

static uint32_t rd32(struct edu *e, uint32_t off)
{
	return *(volatile uint32_t *)(e->bar0 + off);
}

static void wr32(struct edu *e, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(e->bar0 + off) = v;
}

static void wr64(struct edu *e, uint32_t off, uint64_t v)
{
	*(volatile uint64_t *)(e->bar0 + off) = v;
}

/* A 4-byte write QEMU traces; the barrier keeps it between the operations it
 * separates. */
static void mark(struct edu *e, uint32_t id)
{
	__asm__ volatile("dsb sy" ::: "memory");
	wr32(e, QEMU_MARK_REG, QEMU_MARK(id));
	__asm__ volatile("dsb sy" ::: "memory");
}

/* Binds edu to vfio-pci and returns its iommu group number. */
static int bind_vfio(void)
{
	char buf[256], link[256];
	ssize_t n;

	if (read_file(EDU_SYSFS "/vendor", buf, sizeof buf) < 0)
		die("no PCI device %s (is -device edu on QEMU's command line?)", EDU_BDF);
	if (strncmp(buf, "0x1234", 6))
		die("%s is vendor %.6s, not edu's 0x1234", EDU_BDF, buf);
	n = readlink(EDU_SYSFS "/driver", link, sizeof link - 1);
	if (n >= 0) {
		link[n] = 0;
		if (!strstr(link, "vfio-pci") && write_file(EDU_SYSFS "/driver/unbind", EDU_BDF) < 0)
			die("cannot unbind %s from %s", EDU_BDF, link);
	}
	if (n < 0 || !strstr(link, "vfio-pci")) {
		if (write_file(EDU_SYSFS "/driver_override", "vfio-pci") < 0)
			die("cannot write driver_override: %s", strerror(errno));
		if (write_file("/sys/bus/pci/drivers_probe", EDU_BDF) < 0)
			die("drivers_probe of %s failed: %s", EDU_BDF, strerror(errno));
	}
	/* The group exists once vfio-pci probed the device (the SMMU attaches
	 * it then); its /dev node comes from devtmpfs a moment later. */
	for (int i = 0; i < 200; i++) {
		n = readlink(EDU_SYSFS "/iommu_group", link, sizeof link - 1);
		if (n > 0) {
			char dev[64];

			link[n] = 0;
			snprintf(dev, sizeof dev, "/dev/vfio/%s", strrchr(link, '/') + 1);
			if (access(dev, F_OK) == 0)
				return atoi(strrchr(link, '/') + 1);
		}
		usleep(10000);
	}
	die("%s has no iommu group (is the SMMU on? -M virt,iommu=smmuv3)", EDU_BDF);
	return -1;
}

static void open_vfio(struct edu *e, int groupno)
{
	struct vfio_group_status gs = { .argsz = sizeof gs };
	struct vfio_region_info ri = { .argsz = sizeof ri };
	char path[64];
	uint16_t cmd;

	e->container = open("/dev/vfio/vfio", O_RDWR);
	if (e->container < 0)
		die("open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(e->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("unknown VFIO API version");
	if (ioctl(e->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1)
		die("VFIO has no type1v2 IOMMU");
	snprintf(path, sizeof path, "/dev/vfio/%d", groupno);
	e->group = open(path, O_RDWR);
	if (e->group < 0)
		die("open %s: %s", path, strerror(errno));
	if (ioctl(e->group, VFIO_GROUP_GET_STATUS, &gs) < 0 || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("iommu group %d is not viable", groupno);
	if (ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container) < 0)
		die("VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		die("VFIO_SET_IOMMU type1v2: %s", strerror(errno));
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	if (e->device < 0)
		die("VFIO_GROUP_GET_DEVICE_FD: %s", strerror(errno));

	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		die("BAR0 cannot be mmapped");
	e->bar0_size = ri.size;
	e->bar0 = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, e->device, (off_t)ri.offset);
	if (e->bar0 == MAP_FAILED)
		die("mmap BAR0: %s", strerror(errno));

	/* vfio-pci enables memory decoding; bus mastering is the user's job. */
	ri = (struct vfio_region_info){ .argsz = sizeof ri, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	if (ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0)
		die("no PCI config region");
	e->cfg_offset = ri.offset;
	if (pread(e->device, &cmd, 2, (off_t)(ri.offset + 4)) != 2)
		die("read PCI command register: %s", strerror(errno));
	cmd |= 0x6; /* memory space, bus master */
	if (pwrite(e->device, &cmd, 2, (off_t)(ri.offset + 4)) != 2)
		die("write PCI command register: %s", strerror(errno));
}

/* One edu DMA; 0 when it completed. Polls: the edu timer takes 100 ms of
 * virtual time, and QEMU runs without icount here. */
static int dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t cnt, int to_ram)
{
	uint64_t t0 = now_ns();

	wr64(e, EDU_DMA_SRC, src);
	wr64(e, EDU_DMA_DST, dst);
	wr64(e, EDU_DMA_CNT, cnt);
	__asm__ volatile("dsb sy" ::: "memory");
	wr64(e, EDU_DMA_CMD, EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0));
	while (rd32(e, EDU_DMA_CMD) & EDU_CMD_START) {
		if (now_ns() - t0 > 5000000000ull)
			return -1;
		usleep(1000);
	}
	__asm__ volatile("dsb sy" ::: "memory");
	return 0;
}

static int map_dma(struct edu *e, void *buf, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof m,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)buf,
		.iova = iova,
		.size = size,
	};

	return ioctl(e->container, VFIO_IOMMU_MAP_DMA, &m);
}

static int unmap_dma(struct edu *e, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof u,
		.iova = iova,
		.size = size,
	};

	if (ioctl(e->container, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
		return -1;
	return u.size == size ? 0 : -1;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((seed >> (8 * (i % 4))) + i * 7);
}

/*
 * An anonymous buffer of 4 KiB pages, populated. No THP: a 2 MiB huge page
 * lets VFIO map a block, and unmapping a block takes io-pgtable's walk-flush
 * path (a TLBI + CMD_SYNC of its own), so the commands would depend on where
 * the kernel happened to place huge pages rather than on the unmap size.
 */
static uint8_t *small_pages(size_t len)
{
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		die("mmap %zu bytes: %s", len, strerror(errno));
	if (madvise(buf, len, MADV_NOHUGEPAGE) < 0)
		die("madvise MADV_NOHUGEPAGE: %s", strerror(errno));
	memset(buf, 0, len); /* fault the pages in now, not inside the timed map */
	return buf;
}

struct totals {
	unsigned dma, checked, mismatches, cells;
};

/*
 * One map/unmap cycle of `pages` pages. With check, the device reads the
 * mapping's last page and writes it back into its first page (both ends of
 * the range go through the SMMU) and the copy is compared.
 */
static void cycle(struct edu *e, unsigned pages, unsigned iter, unsigned cell, int check,
		  struct totals *t)
{
	size_t len = (size_t)pages * PAGE;
	uint8_t *buf = small_pages(len);
	uint64_t t0, t1, t2, t3;
	unsigned ndma = 0, checked = 0, bad = 0;
	uint8_t *src, *dst;

	src = buf + len - PAGE;       /* the last page */
	dst = buf + PAGE / 2;         /* the first page, second half */
	fill(src, DMA_BYTES, 0xa5000000u ^ (cell << 8));
	memset(dst, 0, DMA_BYTES);

	t0 = now_ns();
	if (map_dma(e, buf, IOVA, len) < 0)
		die("VFIO_IOMMU_MAP_DMA %u pages at 0x%llx: %s", pages, IOVA, strerror(errno));
	t1 = now_ns();

	if (check) {
		if (dma(e, IOVA + len - PAGE, EDU_BUF, DMA_BYTES, 0) < 0 ||
		    dma(e, EDU_BUF, IOVA + PAGE / 2, DMA_BYTES, 1) < 0)
			die("edu DMA did not complete within 5 s (%u pages)", pages);
		ndma = 2;
		checked = 1;
		bad = memcmp(src, dst, DMA_BYTES) != 0;
	}

	mark(e, QG_MARK_UNMAP(cell));
	t2 = now_ns();
	if (unmap_dma(e, IOVA, len) < 0)
		die("VFIO_IOMMU_UNMAP_DMA %u pages: %s", pages, strerror(errno));
	t3 = now_ns();
	mark(e, QG_MARK_AFTER(cell));
	munmap(buf, len);

	emit("{\"unmap\":{\"size\":%u,\"iter\":%u,\"marker\":%u,\"map_ns\":%llu,\"unmap_ns\":%llu,"
	     "\"dma\":%u,\"checked\":%u,\"mismatches\":%u}}",
	     pages, iter, QG_MARK_UNMAP(cell), (unsigned long long)(t1 - t0),
	     (unsigned long long)(t3 - t2), ndma, checked, bad);
	t->dma += ndma;
	t->checked += checked;
	t->mismatches += bad;
	t->cells++;
}

/* Counts "event 0x10" (F_TRANSLATION) and all events the arm-smmu-v3 driver
 * logged since kmsg was opened. */
static void count_events(int kmsg, unsigned *ev10, unsigned *all)
{
	char rec[2048];
	ssize_t n;

	while ((n = read(kmsg, rec, sizeof rec - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue; /* EPIPE: records were overwritten; go on */
		rec[n] = 0;
		if (!strstr(rec, "arm-smmu-v3") || !strstr(rec, "event 0x"))
			continue;
		(*all)++;
		if (strstr(rec, "event 0x10 "))
			(*ev10)++;
	}
}

/*
 * The unmap must take effect in the SMMU: the device reads a mapped page
 * (filling the IOTLB), the page is unmapped, and a device write to the same
 * IOVA must not land in the old page; the driver should log F_TRANSLATION.
 */
static void fault_check(struct edu *e, struct totals *t)
{
	uint8_t *buf = small_pages(PAGE);
	unsigned ev10 = 0, all = 0, landed = 0;
	int kmsg;

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	fill(buf, 64, 0x3c3c3c3cu);
	if (map_dma(e, buf, IOVA, PAGE) < 0)
		die("VFIO_IOMMU_MAP_DMA (fault check): %s", strerror(errno));
	if (dma(e, IOVA, EDU_BUF + 0x800, 64, 0) < 0)
		die("edu DMA did not complete within 5 s (fault check)");
	memset(buf, 0, 64);
	mark(e, QG_MARK_FAULT);
	if (unmap_dma(e, IOVA, PAGE) < 0)
		die("VFIO_IOMMU_UNMAP_DMA (fault check): %s", strerror(errno));
	mark(e, QG_MARK_FAULT + 1);
	if (dma(e, EDU_BUF + 0x800, IOVA, 64, 1) < 0)
		die("edu DMA did not complete within 5 s (fault check)");
	for (int i = 0; i < 64; i++)
		landed |= buf[i] != 0;
	/* The driver logs from its event-queue thread: give it a moment. */
	for (int i = 0; i < 100 && kmsg >= 0 && ev10 == 0; i++) {
		count_events(kmsg, &ev10, &all);
		if (ev10 == 0)
			usleep(10000);
	}
	if (kmsg >= 0)
		close(kmsg);
	munmap(buf, PAGE);
	t->dma += 2;
	emit("{\"fault\":{\"marker\":%u,\"landed\":%u,\"event_0x10\":%u,\"events\":%u,\"kmsg\":%d}}",
	     QG_MARK_FAULT, landed, ev10, all, kmsg >= 0);
}

/* /init mounted these; mount them here too so the agent can be /init. */
static void mounts(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	if (access("/proc/self", F_OK) != 0)
		mount("proc", "/proc", "proc", 0, NULL);
	if (access("/sys/bus", F_OK) != 0)
		mount("sysfs", "/sys", "sysfs", 0, NULL);
	if (access("/dev/console", F_OK) != 0)
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
}

int main(void)
{
	struct job job;
	struct edu e;
	struct utsname u;
	struct totals t = { 0 };
	char sizes[MAX_SIZES * 8] = "";
	unsigned cell = 0;
	int group;

	mounts();
	console = open("/dev/console", O_WRONLY | O_NOCTTY);
	parse_job(&job);
	for (int i = 0; i < job.nsizes; i++)
		snprintf(sizes + strlen(sizes), sizeof sizes - strlen(sizes), "%s%u", i ? "," : "",
			 job.sizes[i]);
	uname(&u);

	group = bind_vfio();
	open_vfio(&e, group);
	if (rd32(&e, 0) != EDU_IDENT)
		die("BAR0 ident reads 0x%08x, not edu's 0x%08x", rd32(&e, 0), EDU_IDENT);
	emit("{\"hello\":{\"release\":\"%s\",\"sizes\":[%s],\"iterations\":%u,\"group\":%d,"
	     "\"ident\":\"0x%08x\"}}", u.release, sizes, job.iterations, group, rd32(&e, 0));

	for (int i = 0; i < job.nsizes; i++)
		for (unsigned j = 0; j < job.iterations; j++)
			cycle(&e, job.sizes[i], j, cell++, j == 0, &t);
	if (job.fault)
		fault_check(&e, &t);
	emit("{\"done\":{\"cells\":%u,\"dma\":%u,\"checked\":%u,\"mismatches\":%u}}",
	     t.cells, t.dma, t.checked, t.mismatches);
	power_off();
	return 0;
}
