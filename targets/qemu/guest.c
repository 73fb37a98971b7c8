/*
 * guest.c - the `qemu` target's guest mode: Debian's arm64 kernel boots under
 * QEMU with our agent (targets/qemu/guest/agent.c) in its initramfs; the
 * agent maps, DMAs and unmaps through VFIO, so the real arm-smmu-v3 driver
 * sends the invalidations, and QEMU's trace records them.
 *
 * One run = one boot: range_pages is the unmap size, `iterations` the
 * map/unmap cycles. The agent's JSON lines on the console give timings
 * (guest CLOCK_MONOTONIC: emulated time) and data checks; the trace, cut at
 * the agent's markers (guest/guest.h), gives the commands each unmap sent.
 * The kernel and initramfs come from scripts/qemu-guest.sh.
 */
#include "qemu.h"
#include "guest/guest.h"
#include "../../lib/metrics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOT_FETCHED "guest kernel not fetched: run scripts/qemu-guest.sh (needs arm64 packages from Debian)"

int qemu_guest_available(char *why, size_t len)
{
	char buf[512];

	if (!qemu_binary(buf, sizeof(buf))) {
		snprintf(why, len, "qemu-system-aarch64 not found (apt-get install qemu-system-arm)");
		return 0;
	}
	if (qemu_asset("guest/vmlinuz", buf, sizeof(buf)) || qemu_asset("guest/initrd.gz", buf, sizeof(buf))) {
		snprintf(why, len, NOT_FETCHED);
		return 0;
	}
	snprintf(why, len, "Debian's arm64 kernel with the VFIO agent");
	return 1;
}

/* What the agent said, gathered line by line while QEMU runs. */
struct console {
	double t0;          /* launch time, CLOCK_MONOTONIC seconds */
	double boot_s;      /* to the agent's first line; < 0 until then */
	unsigned iterations;
	unsigned cells;     /* "unmap" lines seen */
	double *map_ns, *unmap_ns; /* [iterations] */
	unsigned *marker;   /* [iterations]: each cell's unmap phase */
	unsigned dma, checked, mismatches;
	int fault_seen;
	unsigned fault_marker, fault_landed, fault_ev10;
	int done;
	char error[200];
	char panic[120];    /* the kernel's "Kernel panic - ..." line, if any */
	const struct run_sink *sink;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned uint_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? (unsigned)json_integer_value(v) : 0;
}

/* One console line: JSON lines are the agent's, the rest is the kernel's. */
static void on_line(void *ctx, const char *line)
{
	struct console *c = ctx;
	const char *kp = strstr(line, "Kernel panic");
	json_t *j, *o;

	/* The panic line scrolls out of the output tail behind its stack dump:
	 * keep it for the reason. */
	if (kp && !c->panic[0])
		snprintf(c->panic, sizeof(c->panic), "%s", kp);
	while (*line == ' ')
		line++;
	if (*line != '{')
		return;
	j = json_loads(line, 0, NULL);
	if (!j)
		return;
	if (c->boot_s < 0)
		c->boot_s = mono_s() - c->t0;
	if ((o = json_object_get(j, "unmap")) && json_is_object(o)) {
		if (c->cells < c->iterations) {
			c->map_ns[c->cells] = (double)uint_of(o, "map_ns");
			c->unmap_ns[c->cells] = (double)uint_of(o, "unmap_ns");
			c->marker[c->cells] = uint_of(o, "marker");
			c->dma += uint_of(o, "dma");
			c->checked += uint_of(o, "checked");
			c->mismatches += uint_of(o, "mismatches");
		}
		c->cells++;
		if (c->sink && c->sink->progress)
			c->sink->progress(c->sink->ctx, (double)c->cells / (c->iterations + 1.0));
	} else if ((o = json_object_get(j, "fault")) && json_is_object(o)) {
		c->fault_seen = 1;
		c->fault_marker = uint_of(o, "marker");
		c->fault_landed = uint_of(o, "landed");
		c->fault_ev10 = uint_of(o, "event_0x10");
	} else if ((o = json_object_get(j, "done")) && json_is_object(o)) {
		c->done = 1;
		c->dma = uint_of(o, "dma"); /* the fault check's DMAs included */
	} else if ((o = json_object_get(j, "error")) && json_is_string(o) && !c->error[0]) {
		snprintf(c->error, sizeof(c->error), "%s", json_string_value(o));
	}
	json_decref(j);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n values (sorts them). */
static double p50(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const struct qemu_phase *phase_of(const struct qemu_phase *ph, size_t n, unsigned marker)
{
	for (size_t i = 0; i < n; i++)
		if (ph[i].marker == marker)
			return &ph[i];
	return NULL;
}

/*
 * cmd.* = the commands one unmap sent, averaged over the iterations (they
 * should agree: qemu.cmd_varies says when they do not). -1 with the reason
 * when an unmap's phase is missing from the trace.
 */
static int trace_metrics(const char *path, const struct console *c, struct metrics *m,
			 char *err, size_t elen)
{
	struct qemu_phase *ph;
	size_t n;
	double sum[QEMU_NCMDS] = {0}, range_pages = 0;
	const struct qemu_phase *first = NULL, *f;
	int varies = 0;

	if (qemu_trace_parse(path, &ph, &n, err, elen))
		return -1;
	for (unsigned k = 0; k < c->iterations; k++) {
		const struct qemu_phase *p = phase_of(ph, n, c->marker[k]);

		if (!p) {
			snprintf(err, elen, "QEMU's trace has no marker %u (unmap %u of %u): markers not traced?",
				 c->marker[k], k + 1, c->iterations);
			free(ph);
			return -1;
		}
		for (int i = 0; i < QEMU_NCMDS; i++)
			sum[i] += (double)p->c.cmd[i];
		range_pages += (double)p->c.range_pages;
		if (!first)
			first = p;
		else if (memcmp(first->c.cmd, p->c.cmd, sizeof(p->c.cmd)))
			varies = 1;
	}
	for (int i = 0; i < QEMU_NCMDS; i++)
		metrics_set(m, qemu_cmd_metric[i], sum[i] / c->iterations);
	metrics_set(m, "qemu.cmd_varies", varies);
	metrics_set(m, "qemu.range_inval_pages", range_pages / c->iterations);
	/* The fault check's DMA to the unmapped IOVA: the events QEMU wrote. */
	f = c->fault_seen ? phase_of(ph, n, c->fault_marker + 1) : NULL;
	if (f)
		metrics_set(m, "qemu.events", (double)f->c.events);
	free(ph);
	return 0;
}

int qemu_guest_run(const struct run_req *req, const struct run_sink *sink,
		   struct run_result *res)
{
	const double *p = req->params;
	char bin[512], kernel[512], initrd[512], append[256], tracefile[512];
	const char *cpu = qemu_cpus[(int)p[QP_CPU]];
	unsigned pages = (unsigned)p[QP_RANGE_PAGES];
	struct console c = {.boot_s = -1, .iterations = (unsigned)p[QP_ITERATIONS], .sink = sink};
	const char *argv[64];
	struct qemu_launch l = {.argv = argv, .timeout_s = p[QP_TIMEOUT_S], .line = on_line, .ctx = &c};
	struct qemu_exit x;
	size_t a = 0;
	int fd = -1, rc = -1, launched;

	if (!qemu_guest_available(res->reason, sizeof(res->reason)))
		return -1;
	qemu_binary(bin, sizeof(bin));
	qemu_asset("guest/vmlinuz", kernel, sizeof(kernel));
	qemu_asset("guest/initrd.gz", initrd, sizeof(initrd));
	if (pages > QG_MAX_PAGES) {
		snprintf(res->reason, sizeof(res->reason), "range_pages %u exceeds the guest agent's %u",
			 pages, QG_MAX_PAGES);
		return -1;
	}
	c.map_ns = calloc(c.iterations, sizeof(double));
	c.unmap_ns = calloc(c.iterations, sizeof(double));
	c.marker = calloc(c.iterations, sizeof(unsigned));
	fd = qemu_temp_file("guest", tracefile, sizeof(tracefile));
	if (!c.map_ns || !c.unmap_ns || !c.marker || fd < 0) {
		snprintf(res->reason, sizeof(res->reason), fd < 0 ? "cannot create QEMU's trace file (TMPDIR)"
								  : "out of memory");
		goto out;
	}
	close(fd);

	/* quiet keeps the console for the agent; panic=-1 with -no-reboot
	 * turns a kernel panic into QEMU's exit instead of a hang. */
	snprintf(append, sizeof(append),
		 "console=ttyAMA0 quiet panic=-1 svabench.sizes=%u svabench.iterations=%u",
		 pages, c.iterations);
	const char *fixed[] = {
		bin, "-M", "virt,iommu=smmuv3", "-cpu", cpu, "-m", "1024", "-nographic",
		"-no-reboot", "-nic", "none", "-kernel", kernel, "-initrd", initrd,
		"-append", append, "-device", "edu",
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[a++] = fixed[i];
	a = qemu_argv_trace(argv, a, sizeof(argv) / sizeof(argv[0]), tracefile);
	argv[a] = NULL;

	c.t0 = mono_s();
	launched = qemu_launch(&l, &x);
	if (c.error[0]) {
		snprintf(res->reason, sizeof(res->reason), "guest agent: %s", c.error);
		goto out;
	}
	if (!c.done || launched) {
		char what[200];

		snprintf(what, sizeof(what), "%s%s%s",
			 c.done ? "QEMU failed after the guest finished"
			 : c.boot_s < 0 ? "the guest did not reach the agent"
			 : "the guest agent did not finish",
			 c.panic[0] ? ": " : "", c.panic);
		qemu_exit_reason(&x, what, res->reason, sizeof(res->reason));
		goto out;
	}
	if (c.cells != c.iterations) {
		snprintf(res->reason, sizeof(res->reason), "the guest agent reported %u unmaps, not %u",
			 c.cells, c.iterations);
		goto out;
	}
	if (trace_metrics(tracefile, &c, res->metrics, res->reason, sizeof(res->reason)))
		goto out;

	metrics_set(res->metrics, "guest.boot_ns", c.boot_s * 1e9);
	metrics_set(res->metrics, "guest.map_ns.p50", p50(c.map_ns, c.iterations));
	metrics_set(res->metrics, "guest.unmap_ns.p50", p50(c.unmap_ns, c.iterations));
	metrics_set(res->metrics, "dma.transactions", c.dma);
	metrics_set(res->metrics, "data.checked", c.checked);
	metrics_set(res->metrics, "data.mismatches", c.mismatches);
	if (c.fault_seen) {
		/* The unmapped IOVA's write must not land in the old page, and
		 * the driver must have logged F_TRANSLATION (event 0x10). */
		metrics_set(res->metrics, "fault.translation", !c.fault_landed && c.fault_ev10 > 0);
		metrics_set(res->metrics, "fault.landed", c.fault_landed);
	}
	metrics_set(res->metrics, "qemu.wall_ns", x.wall_s * 1e9);
	if (sink && sink->sample)
		sink->sample(sink->ctx, (uint64_t)(x.wall_s * 1e9), res->metrics);
	if (sink && sink->progress)
		sink->progress(sink->ctx, 1.0);
	rc = 0;
out:
	if (fd >= 0)
		unlink(tracefile);
	free(c.map_ns);
	free(c.unmap_ns);
	free(c.marker);
	return rc;
}
