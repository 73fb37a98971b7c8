/*
 * test_procfs.c - the procfs source against a /proc the test writes
 * (vmstat, interrupts with arm-smmu-v3 lines and without): deltas since
 * start, sums over CPUs, nothing counted while stopped, elapsed time as
 * enabled = running; then the real /proc/vmstat pgfault moves by at least
 * the pages a workload touches.
 */
#include "../harness.h"
#include "../../collectors/collectors.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NPAGES 2000

static char root[] = "/tmp/svabench-proc-XXXXXX";

/* Rewrites root/name in place (same inode: the collector keeps it open, as it would /proc). */
static void put(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(const char *name, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void vmstat(unsigned pgfault)
{
	put("vmstat", "nr_free_pages 1000\npgfault %u\npgmajfault 3\nnr_tlb_remote_flush_x 1\n",
	    pgfault);
}

/*
 * /proc/interrupts of four CPUs; with_smmu adds arm-smmu-v3 lines (evtq
 * taking `evtq` interrupts on CPU1) and a PMCG line, else a uart instead.
 */
static void interrupts(unsigned evtq, int with_smmu)
{
	char smmu[512];

	if (with_smmu)
		snprintf(smmu, sizeof(smmu),
			 " 45:        100 %10u          5          0   ITS-MSI 2048 Edge      arm-smmu-v3-evtq\n"
			 " 46:          1          2          3          4   ITS-MSI 2049 Edge      arm-smmu-v3-gerror\n"
			 " 47:          7          0          0          0   GICv3 200 Level     smmuv3-pmcg\n",
			 evtq);
	else
		snprintf(smmu, sizeof(smmu),
			 " 99:          1          1          1          1   GICv3  99 Level     uart\n");
	put("interrupts",
	    "           CPU0       CPU1       CPU2       CPU3       \n"
	    "  0:         10          0          0          0   IO-APIC   2-edge      timer\n"
	    "%s"
	    " 48:          9          9          9          9   ITS-MSI 524288 Edge      eth0\n"
	    "NMI:          0          0          0          0   Non-maskable interrupts\n"
	    "LOC:       1000       1000       1000       1000   Local timer interrupts\n"
	    "ERR:          0\n"
	    "MIS:          0\n",
	    smmu);
}

static void test_fake(void)
{
	static const char *const names[] = { "vmstat:pgfault", "interrupts:smmu", "vmstat:nope",
					     "interrupts:eth0", "interrupts:" };
	const struct collector_event *e[5];
	struct collector_set *cs;
	struct timespec ms = { 0, 2000000 };
	int i;

	vmstat(1000);
	interrupts(200, 1);
	cs = collector_open(names, 5, 0, "", root);
	if (!cs) {
		test_result(0, "fake proc: the set opens", "NULL");
		return;
	}
	for (i = 0; i < 5; i++)
		e[i] = collector_event(cs, (size_t)i);
	test_result(e[0]->available && e[1]->available && e[3]->available &&
		    strcmp(e[0]->source, "procfs") == 0,
		    "fake proc: vmstat:pgfault, interrupts:smmu, interrupts:eth0 available",
		    "%d %d %d", e[0]->available, e[1]->available, e[3]->available);
	test_result(!e[2]->available && strstr(e[2]->reason, "no counter 'nope'"),
		    "fake proc: a vmstat name it lacks", "'%s'", e[2]->reason);
	test_result(!e[4]->available && strstr(e[4]->reason, "names no counter"),
		    "fake proc: interrupts: with nothing after", "'%s'", e[4]->reason);
	collector_read(cs);
	test_result(e[0]->value == 0 && e[0]->enabled_ns == 0, "before start: nothing counted",
		    "%llu", (unsigned long long)e[0]->value);

	collector_start(cs);
	vmstat(1150);
	interrupts(260, 1);
	nanosleep(&ms, NULL);
	collector_read(cs);
	test_result(e[0]->value == 150, "vmstat: delta since start", "%llu",
		    (unsigned long long)e[0]->value);
	test_result(e[1]->value == 60, "interrupts:smmu: delta of the sum over CPUs of smmu lines",
		    "%llu", (unsigned long long)e[1]->value);
	test_result(e[0]->enabled_ns >= 2000000 && e[0]->enabled_ns == e[0]->running_ns &&
		    e[1]->enabled_ns == e[0]->enabled_ns,
		    "procfs: enabled = running = elapsed", "%llu %llu",
		    (unsigned long long)e[0]->enabled_ns, (unsigned long long)e[0]->running_ns);

	/* stopped: changes are not counted; started again: they are */
	collector_stop(cs);
	vmstat(2000);
	interrupts(1000, 1);
	collector_read(cs);
	test_result(e[0]->value == 150 && e[1]->value == 60, "stopped: nothing more counted",
		    "%llu %llu", (unsigned long long)e[0]->value, (unsigned long long)e[1]->value);
	collector_start(cs);
	vmstat(2010);
	interrupts(1005, 1);
	collector_stop(cs);
	collector_read(cs);
	test_result(e[0]->value == 160 && e[1]->value == 65, "restarted: spans add up",
		    "%llu %llu", (unsigned long long)e[0]->value, (unsigned long long)e[1]->value);
	collector_close(cs);

	/* one more evtq interrupt on CPU1 */
	interrupts(200, 1);
	cs = collector_open(names + 1, 1, 0, "", root);
	collector_start(cs);
	interrupts(201, 1);
	collector_stop(cs);
	collector_read(cs);
	test_result(cs && collector_event(cs, 0)->value == 1, "interrupts:smmu: one more on CPU1",
		    "%llu", cs ? (unsigned long long)collector_event(cs, 0)->value : 0ULL);
	collector_close(cs);

	interrupts(0, 0);
	cs = collector_open(names + 1, 1, 0, "", root);
	e[0] = cs ? collector_event(cs, 0) : NULL;
	test_result(e[0] && !e[0]->available &&
		    strstr(e[0]->reason, "no SMMU interrupt lines in") &&
		    strstr(e[0]->reason, "interrupts"),
		    "no smmu line: unavailable, said so", "'%s'", e[0] ? e[0]->reason : "NULL");
	collector_close(cs);
}

static void test_missing_proc(void)
{
	static const char *const names[] = { "vmstat:pgfault" };
	struct collector_set *cs = collector_open(names, 1, 0, "", "/nonexistent-proc");
	const struct collector_event *e = cs ? collector_event(cs, 0) : NULL;

	test_result(e && !e->available && strstr(e->reason, "cannot read /nonexistent-proc/vmstat"),
		    "no vmstat: cannot read, with the path", "'%s'", e ? e->reason : "NULL");
	collector_close(cs);
}

static void test_real(void)
{
	static const char *const names[] = { "vmstat:pgfault", "interrupts:smmu" };
	struct collector_set *cs = collector_open(names, 2, 0, "", "");
	long page = sysconf(_SC_PAGESIZE);
	const struct collector_event *e;
	volatile char *p;
	int i;

	if (!cs) {
		test_result(0, "real /proc: the set opens", "NULL");
		return;
	}
	e = collector_event(cs, 0);
	collector_start(cs);
	p = mmap(NULL, (size_t)page * NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	for (i = 0; p != MAP_FAILED && i < NPAGES; i++)
		p[(long)i * page] = 1;
	collector_stop(cs);
	collector_read(cs);
	if (p != MAP_FAILED)
		munmap((void *)p, (size_t)page * NPAGES);
	test_result(e->available && e->value >= NPAGES, "real /proc/vmstat: pgfault delta >= pages",
		    "available %d value %llu: %s", e->available, (unsigned long long)e->value,
		    e->reason);
	e = collector_event(cs, 1);
	printf("# interrupts:smmu here: %s\n", e->available ? "available" : e->reason);
	collector_close(cs);
}

/* Open descriptors of this process: a set closed leaves none behind. */
static int open_fds(void)
{
	struct dirent *d;
	DIR *dp = opendir("/proc/self/fd");
	int n = 0;

	while (dp && (d = readdir(dp)) != NULL)
		n += d->d_name[0] != '.';
	if (dp)
		closedir(dp);
	return n;
}

int main(void)
{
	int fds = open_fds();
	char cmd[128];

	if (!mkdtemp(root)) {
		test_result(0, "temp dir", "%s", strerror(errno));
		return test_exit();
	}
	test_fake();
	test_missing_proc();
	test_real();
	test_result(open_fds() == fds, "every descriptor closed", "%d open, %d at start", open_fds(),
		    fds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return test_exit();
}
