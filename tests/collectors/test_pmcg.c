/*
 * test_pmcg.c - SMMUv3 PMCG discovery and encoding against a sysfs tree
 * built from the strings drivers/perf/arm_smmuv3_pmu.c shows: a PMCG whose
 * CEID advertises the first four architected events only, and a second one
 * on CPU 1 with an IMP-DEF event. Encodes perf's own example (a StreamID
 * filter), refuses an architected event the CEID does not advertise, a
 * StreamID past 32 bits, an unknown PMU or term, and task-mode counting.
 */
#include "../harness.h"
#include "../../collectors/collectors.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEV "/sys/bus/event_source/devices/"

static char root[] = "/tmp/svabench-pmcg-XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	*slash = '/';
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", text);  /* sysfs ends every show() with a newline */
	fclose(f);
}

static void build_tree(void)
{
	put(DEV "smmuv3_pmcg_ff88840/type", "42");
	put(DEV "smmuv3_pmcg_ff88840/cpumask", "0");
	put(DEV "smmuv3_pmcg_ff88840/identifier", "0x0000043b");
	put(DEV "smmuv3_pmcg_ff88840/format/event", "config:0-15");
	put(DEV "smmuv3_pmcg_ff88840/format/filter_stream_id", "config1:0-31");
	put(DEV "smmuv3_pmcg_ff88840/format/filter_span", "config1:32");
	put(DEV "smmuv3_pmcg_ff88840/format/filter_enable", "config1:33");
	put(DEV "smmuv3_pmcg_ff88840/events/cycles", "event=0x00");
	put(DEV "smmuv3_pmcg_ff88840/events/transaction", "event=0x01");
	put(DEV "smmuv3_pmcg_ff88840/events/tlb_miss", "event=0x02");
	put(DEV "smmuv3_pmcg_ff88840/events/config_cache_miss", "event=0x03");

	put(DEV "smmuv3_pmcg_ff8a840/type", "43");
	put(DEV "smmuv3_pmcg_ff8a840/cpumask", "1-3");
	put(DEV "smmuv3_pmcg_ff8a840/format/event", "config:0-15");
	put(DEV "smmuv3_pmcg_ff8a840/format/filter_stream_id", "config1:0-31");
	put(DEV "smmuv3_pmcg_ff8a840/format/filter_span", "config1:32");
	put(DEV "smmuv3_pmcg_ff8a840/format/filter_enable", "config1:33");
	put(DEV "smmuv3_pmcg_ff8a840/events/cycles", "event=0x00");
	put(DEV "smmuv3_pmcg_ff8a840/events/l1_tlb", "event=0x8a");

	/* not a PMCG: ignored */
	put(DEV "software/type", "1");
}

static int encode(const struct pmcg_pmu *p, size_t n, const char *spec, uint32_t *type,
		  uint64_t *c0, uint64_t *c1, int *cpu, char *reason)
{
	*type = 0;
	*c0 = *c1 = 0;
	*cpu = -2;
	reason[0] = '\0';
	return pmcg_encode(p, n, spec, type, c0, c1, cpu, reason, 256);
}

static void test_discover(const struct pmcg_pmu *p, size_t n)
{
	test_result(n == 2, "discover: two PMCGs, software ignored", "found %zu", n);
	if (n < 2)
		return;
	test_result(strcmp(p[0].name, "smmuv3_pmcg_ff88840") == 0 && p[0].type == 42 &&
		    p[0].cpu == 0, "discover: name, type, cpumask", "%s type %d cpu %d", p[0].name,
		    p[0].type, p[0].cpu);
	test_result(p[0].nevents == 4 && strcmp(p[0].events[1], "transaction") == 0 &&
		    p[0].codes[1] == 1 && p[0].codes[3] == 3,
		    "discover: the 4 advertised events with their codes", "%zu events", p[0].nevents);
	test_result(p[0].ev_lo == 0 && p[0].ev_hi == 15 && p[0].sid_lo == 0 && p[0].sid_hi == 31 &&
		    p[0].span_bit == 32 && p[0].enable_bit == 33,
		    "discover: format fields", "event %d-%d sid %d-%d span %d enable %d", p[0].ev_lo,
		    p[0].ev_hi, p[0].sid_lo, p[0].sid_hi, p[0].span_bit, p[0].enable_bit);
	test_result(p[1].cpu == 1 && p[1].nevents == 2, "discover: cpumask 1-3 opens on CPU 1",
		    "cpu %d, %zu events", p[1].cpu, p[1].nevents);
}

static void test_encode(const struct pmcg_pmu *p, size_t n)
{
	uint64_t c0, c1;
	uint32_t type;
	char reason[256];
	int cpu, rc;

	rc = encode(p, n, "smmuv3_pmcg_ff88840/transaction,filter_enable=1,filter_span=1,"
		    "filter_stream_id=0x42/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == 0 && type == 42 && c0 == 0x01 &&
		    c1 == (0x42 | (UINT64_C(1) << 32) | (UINT64_C(1) << 33)) && cpu == 0,
		    "encode: transaction filtered on StreamID 0x42 (span)",
		    "rc %d type %u config %#llx config1 %#llx cpu %d: %s", rc, type,
		    (unsigned long long)c0, (unsigned long long)c1, cpu, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/tlb_miss/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == 0 && c0 == 2 && c1 == 0, "encode: tlb_miss, no filter",
		    "rc %d config %#llx config1 %#llx: %s", rc, (unsigned long long)c0,
		    (unsigned long long)c1, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/event=0x03,filter_enable/", &type, &c0, &c1, &cpu,
		    reason);
	test_result(rc == 0 && c0 == 3 && c1 == UINT64_C(1) << 33,
		    "encode: raw event=, bare filter_enable means 1", "rc %d %#llx %#llx: %s", rc,
		    (unsigned long long)c0, (unsigned long long)c1, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff8a840/l1_tlb/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == 0 && type == 43 && c0 == 0x8a && cpu == 1,
		    "encode: IMP-DEF event, second PMCG's CPU", "rc %d type %u %#llx cpu %d: %s", rc,
		    type, (unsigned long long)c0, cpu, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff8a840/event=0x9c/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == 0 && c0 == 0x9c, "encode: unlisted IMP-DEF code passes as the driver lets it",
		    "rc %d: %s", rc, reason);

	rc = encode(p, n, "smmuv3_pmcg_ff88840/trans_table_walk_access/", &type, &c0, &c1, &cpu,
		    reason);
	test_result(rc == -1 && strstr(reason, "not advertised") && strstr(reason, "CEID") &&
		    strstr(reason, "trans_table_walk_access"),
		    "encode: architected event the CEID does not advertise", "rc %d: %s", rc, reason);
	printf("# %s\n", reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/event=0x06/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == -1 && strstr(reason, "pcie_ats_trans_rq") && strstr(reason, "CEID"),
		    "encode: raw architected code not advertised", "rc %d: %s", rc, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/transaction,filter_enable=1,filter_stream_id=0x100000000/",
		    &type, &c0, &c1, &cpu, reason);
	test_result(rc == -1 && strstr(reason, "filter_stream_id") && strstr(reason, "config1:0-31"),
		    "encode: StreamID past 32 bits names the field", "rc %d: %s", rc, reason);
	printf("# %s\n", reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/transaction,filter_span=2/", &type, &c0, &c1, &cpu,
		    reason);
	test_result(rc == -1 && strstr(reason, "filter_span"), "encode: filter_span=2 refused",
		    "rc %d: %s", rc, reason);
	rc = encode(p, n, "smmuv3_pmcg_0/cycles/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == -1 && strstr(reason, "unknown PMU 'smmuv3_pmcg_0'") &&
		    strstr(reason, "smmuv3_pmcg_ff88840"),
		    "encode: unknown PMU, the known ones listed", "rc %d: %s", rc, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/transaction,filter_sid=3/", &type, &c0, &c1, &cpu,
		    reason);
	test_result(rc == -1 && strstr(reason, "unknown term 'filter_sid'"), "encode: unknown term",
		    "rc %d: %s", rc, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/walks/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == -1 && strstr(reason, "unknown event 'walks'") &&
		    strstr(reason, "tlb_miss"), "encode: unknown event, the advertised listed",
		    "rc %d: %s", rc, reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/filter_enable=1/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == -1 && strstr(reason, "no event"), "encode: no event", "rc %d: %s", rc,
		    reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/cycles,tlb_miss/", &type, &c0, &c1, &cpu, reason);
	test_result(rc == -1 && strstr(reason, "two events"), "encode: two events", "rc %d: %s", rc,
		    reason);
	rc = encode(p, n, "smmuv3_pmcg_ff88840/transaction,filter_stream_id=-1/", &type, &c0, &c1,
		    &cpu, reason);
	test_result(rc == -1 && strstr(reason, "bad value"), "encode: negative value refused",
		    "rc %d: %s", rc, reason);
}

static void test_open(void)
{
	static const char *const names[] = {
		"smmuv3_pmcg_ff88840/transaction,filter_enable=1,filter_span=1,filter_stream_id=0x42/",
		"smmuv3_pmcg_ff88840/trans_table_walk_access/",
	};
	struct collector_set *cs;
	const struct collector_event *e;

	cs = collector_open(names, 2, 0, root, "");
	e = cs ? collector_event(cs, 0) : NULL;
	test_result(e && !e->available && strcmp(e->source, "pmcg") == 0 &&
		    strstr(e->reason, "SMMU events are not attributable to a CPU: system-wide "
			   "counting only"),
		    "open for a task: system-wide counting only", "'%s'", e ? e->reason : "NULL");
	e = cs ? collector_event(cs, 1) : NULL;
	test_result(e && !e->available && strstr(e->reason, "not advertised"),
		    "open: the encoding's reason comes first", "'%s'", e ? e->reason : "NULL");
	collector_close(cs);

	/* system-wide: the kernel has no PMU of type 42, so it is not supported (or not permitted) */
	cs = collector_open(names, 1, -1, root, "");
	e = cs ? collector_event(cs, 0) : NULL;
	test_result(e && !e->available &&
		    (strstr(e->reason, "not supported") || strstr(e->reason, "permission")),
		    "open system-wide: a PMU the kernel lacks is reported", "'%s'",
		    e ? e->reason : "NULL");
	printf("# %s\n", e ? e->reason : "");
	collector_close(cs);
}

static void test_list(void)
{
	struct collector_event *l;
	size_t n, i;
	int found = 0, total = 0;

	l = collector_list(root, "", &n);
	for (i = 0; l && i < n; i++) {
		if (strcmp(l[i].source, "pmcg") != 0)
			continue;
		total++;
		if (strcmp(l[i].name, "smmuv3_pmcg_ff88840/config_cache_miss/") == 0)
			found = 1;
	}
	test_result(found && total == 6, "list: every advertised event of both PMCGs",
		    "found %d, %d pmcg entries", found, total);
	collector_list_free(l);

	l = collector_list("/nonexistent", "", &n);
	for (i = 0, found = 0; l && i < n; i++)
		if (strcmp(l[i].source, "pmcg") == 0 && !l[i].available &&
		    strstr(l[i].reason, "no SMMUv3 PMCG"))
			found = 1;
	test_result(found, "list: no PMCG is a reported state", "no such entry");
	collector_list_free(l);
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
	struct pmcg_pmu *p;
	int fds = open_fds();
	char cmd[128];
	size_t n;

	if (!mkdtemp(root)) {
		test_result(0, "temp dir", "%s", strerror(errno));
		return test_exit();
	}
	build_tree();
	p = pmcg_discover(root, &n);
	test_discover(p, n);
	if (n == 2)
		test_encode(p, n);
	pmcg_free(p, n);
	p = pmcg_discover("/nonexistent", &n);
	test_result(!p && n == 0, "discover: no sysfs, none", "%zu", n);
	test_open();
	test_list();
	test_result(open_fds() == fds, "every descriptor closed", "%d open, %d at start", open_fds(),
		    fds);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return test_exit();
}
