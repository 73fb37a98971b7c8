/*
 * test_launch.c - the qemu target's process handling and trace parsing,
 * without QEMU: a launched program's lines, exit status and timeout (and
 * that nothing of it is left behind), and a hand-written trace cut into
 * phases at marker writes.
 */
#include "../../targets/qemu/qemu.h"
#include "../../lib/metrics.h"
#include "../harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lines {
	int n;
	char last[256];
};

static void on_line(void *ctx, const char *line)
{
	struct lines *l = ctx;

	l->n++;
	snprintf(l->last, sizeof(l->last), "%s", line);
}

static void test_exit_status(void)
{
	const char *argv[] = {"/bin/sh", "-c", "echo one; printf 'two\\r\\n\\033[0mthree'; exit 3", NULL};
	struct lines l = {0};
	struct qemu_launch ql = {.argv = argv, .timeout_s = 20, .line = on_line, .ctx = &l};
	struct qemu_exit x;
	char reason[512];
	int rc = qemu_launch(&ql, &x);

	test_result(rc == -1 && x.exited && x.status == 3 && !x.timed_out, "launch: exit status 3 is a failure",
		    "rc %d exited %d status %d timed_out %d", rc, x.exited, x.status, x.timed_out);
	test_result(l.n == 3 && !strcmp(l.last, "three"), "launch: every line, CR and escapes removed, the unterminated last one too",
		    "%d lines, last \"%s\"", l.n, l.last);
	qemu_exit_reason(&x, "bare agent", reason, sizeof(reason));
	test_result(strstr(reason, "status 3") && strstr(reason, "one|two|three") && !strchr(reason, '\n'),
		    "launch: the reason names the status and carries the output tail on one line", "%s", reason);
}

/* Launches a shell that forks a grandchild (sleep 300), prints "started",
 * then runs tail; the grandchild's pid, *rc and *x how it went. */
static long launch_forking(const char *tail, double timeout_s, int *rc, struct qemu_exit *x)
{
	char pidfile[] = "/tmp/svabench-launch-XXXXXX", cmd[512];
	int fd = mkstemp(pidfile);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct qemu_launch ql = {.argv = argv, .timeout_s = timeout_s};
	long child;

	close(fd);
	snprintf(cmd, sizeof(cmd), "sleep 300 & echo $! > %s; echo started; %s", pidfile, tail);
	*rc = qemu_launch(&ql, x);
	child = test_read_pid(pidfile);
	unlink(pidfile);
	return child;
}

static void test_timeout(void)
{
	struct qemu_exit x;
	int rc;
	/* hangs, with a child that would outlive it: the process group must go too */
	long child = launch_forking("wait", 1, &rc, &x);

	test_result(rc == -1 && x.timed_out && x.wall_s < 10, "launch: a hung program is killed at the timeout",
		    "rc %d timed_out %d wall %.1f s", rc, x.timed_out, x.wall_s);
	test_result(strstr(x.tail, "started") != NULL, "launch: the tail keeps what it printed", "tail \"%s\"", x.tail);
	test_result(child > 0 && test_pid_gone(child), "launch: nothing of its process group is left",
		    "child %ld still alive", child);
}

/* QEMU-like: exits at once, a grandchild it forked holding its output open. */
static void test_grandchild(void)
{
	struct qemu_exit x;
	int rc;
	long child = launch_forking("exit 0", 20, &rc, &x);

	test_result(rc == 0 && !x.timed_out && x.wall_s < 10 && child > 0 && test_pid_gone(child),
		    "launch: a program that exits leaves no grandchild behind, and is not waited for",
		    "rc %d timed_out %d wall %.1f s, grandchild %ld alive %d", rc, x.timed_out, x.wall_s,
		    child, child > 0 && test_pid_running(child));
}

static void test_missing_binary(void)
{
	const char *argv[] = {"/nonexistent/qemu-system-aarch64", NULL};
	struct qemu_launch ql = {.argv = argv, .timeout_s = 5};
	struct qemu_exit x;
	char reason[512];
	int rc = qemu_launch(&ql, &x);

	qemu_exit_reason(&x, "bare agent", reason, sizeof(reason));
	test_result(rc == -1 && !x.started && strstr(x.tail, "cannot run") &&
		    strstr(reason, "did not start") && strstr(reason, "/nonexistent/qemu-system-aarch64") &&
		    strstr(reason, "No such file"),
		    "launch: a missing program is a failure with the reason", "rc %d started %d: %s", rc, x.started, reason);
}

static const char trace_text[] =
	"smmuv3_cmdq_opcode <--- SMMU_CMD_CFGI_STE\n"
	"smmuv3_cmdq_opcode <--- CMD_SYNC\n"
	"memory_region_ops_write cpu 0 mr 0xaaaa addr 0x10000004 value 0x5b000001 size 4 name 'edu-mmio'\n"
	"smmuv3_cmdq_opcode <--- SMMU_CMD_TLBI_NH_VA\n"
	"smmuv3_s1_range_inval vmid=0 asid=1 addr=0x100000 tg=1 num_pages=0x1f ttl=0 leaf=1\n"
	"smmuv3_cmdq_opcode <--- CMD_TLBI_NH_VA\n"
	"smmuv3_s1_range_inval vmid=0 asid=1 addr=0x11f000 tg=1 num_pages=0x100 ttl=0 leaf=1\n"
	"smmuv3_s1_range_inval vmid=0 asid=1 addr=0x21f000 tg=1 num_pages=0xe0 ttl=0 leaf=1\n"
	"12@1700000000.000001:smmuv3_cmdq_opcode <--- CMD_SYNC\n"
	"memory_region_ops_write cpu 0 mr 0xaaaa addr 0x10000004 value 0x5b000002 size 4 name 'edu-mmio'\n"
	"memory_region_ops_write cpu 0 mr 0xbbbb addr 0x4 value 0x5b000009 size 4 name 'pl011'\n"
	"smmuv3_cmdq_opcode <--- CMD_TLBI_NH_VA\n"
	"smmuv3_s1_range_inval vmid=0 asid=1 addr=0x1000 tg=0 num_pages=0x1 ttl=0 leaf=1\n"
	"smmuv3_cmdq_opcode <--- CMD_TLBI_NH_ASID\n"
	"smmuv3_cmdq_opcode <--- CMD_RESUME\n"
	"smmuv3_cmdq_opcode <--- CMD_TLBI_NH_VA\n"
	"smmu_iotlb_lookup_miss IOTLB cache MISS asid=1 addr=0x1000 hit=0 miss=1 hit rate=0\n"
	"smmu_ptw_level level=0 iova=0x1000 subpage_sz=0x1000 baseaddr=0x0 offset=0 => pte=0x3\n"
	"smmuv3_translate_success edu sid=0x8 iova=0x1000 translated=0x40000000 perm=0x1\n"
	"smmuv3_record_event F_PERMISSION sid=0x8\n";

static void test_trace(void)
{
	char path[] = "/tmp/svabench-trace-XXXXXX", err[256];
	int fd = mkstemp(path);
	struct qemu_phase *ph = NULL;
	size_t n = 0;
	struct metrics *m = metrics_new();
	double v = -1;

	if (fd < 0 || write(fd, trace_text, sizeof(trace_text) - 1) != (ssize_t)(sizeof(trace_text) - 1)) {
		test_result(0, "trace: scratch file", "cannot write %s", path);
		return;
	}
	close(fd);
	if (qemu_trace_parse(path, &ph, &n, err, sizeof(err))) {
		test_result(0, "trace: parses", "%s", err);
		unlink(path);
		return;
	}
	unlink(path);
	test_result(n == 3 && ph[0].marker == 0 && ph[1].marker == 1 && ph[2].marker == 2,
		    "trace: cut into phases at edu marker writes only", "%zu phases", n);
	if (n == 3) {
		test_result(ph[0].c.cmd[QC_CFGI_STE] == 1 && ph[0].c.cmd[QC_SYNC] == 1,
			    "trace: phase 0 counts set-up commands", "ste %llu sync %llu",
			    (unsigned long long)ph[0].c.cmd[QC_CFGI_STE], (unsigned long long)ph[0].c.cmd[QC_SYNC]);
		test_result(ph[1].c.cmd[QC_TLBI_NH_VA_RANGE] == 2 && ph[1].c.cmd[QC_TLBI_NH_VA] == 0 &&
			    ph[1].c.cmd[QC_SYNC] == 1 && ph[1].c.range_pages == 0x1f + 0x100 + 0xe0,
			    "trace: a range TLBI split into pieces by QEMU is one command", "range %llu va %llu sync %llu pages %llu",
			    (unsigned long long)ph[1].c.cmd[QC_TLBI_NH_VA_RANGE], (unsigned long long)ph[1].c.cmd[QC_TLBI_NH_VA],
			    (unsigned long long)ph[1].c.cmd[QC_SYNC], (unsigned long long)ph[1].c.range_pages);
		test_result(ph[2].c.cmd[QC_TLBI_NH_VA] == 2 && ph[2].c.cmd[QC_TLBI_NH_ASID] == 1 &&
			    ph[2].c.cmd[QC_RESUME] == 1 && ph[2].c.iotlb_miss == 1 && ph[2].c.walk_levels == 1 &&
			    ph[2].c.translations == 2 && ph[2].c.events == 1,
			    "trace: TG=0 and untraced-form TLBIs count as single, and the PMCG-style counts", "va %llu",
			    (unsigned long long)ph[2].c.cmd[QC_TLBI_NH_VA]);
		if (m) {
			qemu_counts_metrics(&ph[2].c, m);
			v = metrics_value(m, "pmcg.tlb_miss", -1);
		}
		test_result(v == 1, "trace: counts become api.md metric names", "pmcg.tlb_miss %g", v);
	}
	free(ph);
	metrics_free(m);
	test_result(qemu_trace_parse("/nonexistent/trace", &ph, &n, err, sizeof(err)) == -1 &&
		    strstr(err, "/nonexistent/trace"), "trace: a missing file is an error naming it", "%s", err);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_exit_status();
	test_timeout();
	test_grandchild();
	test_missing_binary();
	test_trace();
	return test_exit();
}
