/*
 * bare.c - the `qemu` target's bare mode: our freestanding agent
 * (targets/qemu/agent/, built into build/qemu/agent.elf) plays the host on
 * QEMU's SMMUv3 with the edu device as the DMA engine.
 *
 * One run = one QEMU process: the job (job.h) goes into guest RAM through
 * QEMU's loader device, the agent's JSON lines come back on the UART
 * (progress, examples, one metrics line, or an error), and QEMU's trace,
 * cut at the agent's markers 1 and 2, gives the commands QEMU itself
 * consumed and the pmcg.* counts. The agent's own cmd.* counts are
 * reported; qemu.cmd_mismatch says for how many opcodes the trace
 * disagrees. QEMU's SMMU work takes no virtual time, so only wall time is
 * reported (qemu.wall_ns), never QEMU's clock.
 */
#include "qemu.h"
#include "job.h"
#include "../../lib/metrics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOT_BUILT "the bare agent was not built: aarch64-linux-gnu-gcc is missing (apt-get install gcc-aarch64-linux-gnu), then make"

/* The agent's ASID in its context descriptor: any nonzero one will do. */
#define AGENT_ASID 1

int qemu_bare_available(char *why, size_t len)
{
	char buf[512];

	if (!qemu_binary(buf, sizeof(buf))) {
		snprintf(why, len, "qemu-system-aarch64 not found (apt-get install qemu-system-arm)");
		return 0;
	}
	if (qemu_asset("agent.elf", buf, sizeof(buf))) {
		snprintf(why, len, NOT_BUILT);
		return 0;
	}
	snprintf(why, len, "the bare-metal agent %s", buf);
	return 1;
}

/* What the agent said on the UART. */
struct uart {
	json_t *metrics; /* the metrics object, once seen */
	char error[200];
	struct run_result *res;
	const struct run_sink *sink;
};

static void on_line(void *ctx, const char *line)
{
	struct uart *u = ctx;
	json_t *j, *v;

	if (*line != '{')
		return; /* QEMU's own warnings on stderr */
	j = json_loads(line, 0, NULL);
	if (!j)
		return;
	if ((v = json_object_get(j, "metrics")) && json_is_object(v)) {
		json_decref(u->metrics);
		u->metrics = json_incref(v);
	} else if ((v = json_object_get(j, "progress")) && json_is_number(v)) {
		if (u->sink && u->sink->progress)
			u->sink->progress(u->sink->ctx, json_number_value(v) * 0.99);
	} else if ((v = json_object_get(j, "example")) && json_is_string(v)) {
		struct run_result *r = u->res;

		if (r->nexamples < RUN_EXAMPLES_MAX)
			snprintf(r->examples[r->nexamples++], sizeof(r->examples[0]), "%s",
				 json_string_value(v));
	} else if ((v = json_object_get(j, "error")) && json_is_string(v) && !u->error[0]) {
		snprintf(u->error, sizeof(u->error), "%s", json_string_value(v));
	}
	json_decref(j);
}

static void job_of(const struct run_req *req, struct qemu_job *j)
{
	const double *p = req->params;

	memset(j, 0, sizeof(*j));
	j->magic = QEMU_JOB_MAGIC;
	j->version = QEMU_JOB_VERSION;
	j->size = sizeof(*j);
	/* QW_* and QS_* list the bare workloads and strategies in QJ_* order */
	j->workload = (uint32_t)req->workload;
	j->strategy = (uint32_t)req->strategy;
	j->pages = (uint32_t)p[QP_PAGES];
	j->passes = (uint32_t)p[QP_PASSES];
	j->livelock_k = (uint32_t)p[QP_LIVELOCK_K];
	j->read_before_write = p[QP_READ_BEFORE_WRITE] != 0;
	j->txn_bytes = (uint32_t)p[QP_TXN_BYTES];
	j->reprotect = (uint32_t)p[QP_REPROTECT];
	j->cpu_pages = (uint32_t)p[QP_CPU_PAGES];
	j->cpu_ops = (uint32_t)p[QP_CPU_OPS];
	j->range_pages = (uint32_t)p[QP_RANGE_PAGES];
	j->overlap_pct = (uint32_t)(p[QP_OVERLAP] * 100 + 0.5);
	j->ril = p[QP_RIL] != 0;
	j->max_tlbi_ops = p[QP_MAX_TLBI_OPS] != 0;
	j->asid = AGENT_ASID;
	j->seed = req->seed;
}

/* A temporary file under $TMPDIR (else /tmp); 0 with its path in buf. */
static int write_all(int fd, const void *b, size_t n)
{
	const char *p = b;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The opcodes both the agent and the trace count. */
static const enum qemu_cmd compared[] = {
	QC_TLBI_NH_VA, QC_TLBI_NH_VA_RANGE, QC_TLBI_NH_ASID, QC_ATC_INV,
	QC_SYNC, QC_RESUME, QC_PRI_RESP, QC_CFGI_CD,
};

/*
 * The workload's phase of the trace (marker 1 to marker 2) as pmcg.* and
 * trace counts, then the agent's metrics over them, then how many opcodes
 * the two disagree on. -1 with the reason when the trace lacks the phase.
 */
static int add_metrics(const char *tracefile, json_t *agent, struct run_result *res)
{
	struct qemu_phase *ph = NULL;
	const struct qemu_phase *work = NULL;
	size_t n = 0;
	const char *key;
	json_t *v;
	int mismatch = 0;

	if (tracefile) {
		if (qemu_trace_parse(tracefile, &ph, &n, res->reason, sizeof(res->reason)))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (ph[i].marker == 1)
				work = &ph[i];
		if (!work) {
			snprintf(res->reason, sizeof(res->reason),
				 "QEMU's trace has no marker 1 (the workload's start): markers not traced?");
			free(ph);
			return -1;
		}
		qemu_counts_metrics(&work->c, res->metrics);
	}
	json_object_foreach(agent, key, v) {
		if (json_is_number(v))
			metrics_set(res->metrics, key, json_number_value(v));
	}
	if (work) {
		for (size_t i = 0; i < sizeof(compared) / sizeof(compared[0]); i++) {
			const char *name = qemu_cmd_metric[compared[i]];
			json_t *a = json_object_get(agent, name);
			double sent = json_is_number(a) ? json_number_value(a) : 0;
			double seen = (double)work->c.cmd[compared[i]];

			if (sent == seen)
				continue;
			mismatch++;
			if (res->nexamples < RUN_EXAMPLES_MAX)
				snprintf(res->examples[res->nexamples++], sizeof(res->examples[0]),
					 "%s: the agent sent %.0f, QEMU's trace shows %.0f", name, sent, seen);
		}
		metrics_set(res->metrics, "qemu.cmd_mismatch", mismatch);
	}
	free(ph);
	return 0;
}

int qemu_bare_run(const struct run_req *req, const struct run_sink *sink,
		  struct run_result *res)
{
	const double *p = req->params;
	char bin[512], agent[512], jobfile[512], tracefile[512], loader[600];
	const char *cpu = qemu_cpus[(int)p[QP_CPU]];
	int trace = p[QP_TRACE] != 0, jfd = -1, tfd = -1, rc = -1, launched;
	struct uart u = {.res = res, .sink = sink};
	struct qemu_job job;
	const char *argv[64];
	struct qemu_launch l = {.argv = argv, .timeout_s = p[QP_TIMEOUT_S], .line = on_line, .ctx = &u};
	struct qemu_exit x;
	size_t a = 0;

	jobfile[0] = tracefile[0] = '\0';
	if (!qemu_bare_available(res->reason, sizeof(res->reason)))
		return -1;
	if (req->workload >= QJ_NWORKLOADS || req->strategy >= QJ_NSTRATEGIES) {
		snprintf(res->reason, sizeof(res->reason), "not a bare-mode workload and strategy");
		return -1;
	}
	qemu_binary(bin, sizeof(bin));
	qemu_asset("agent.elf", agent, sizeof(agent));
	job_of(req, &job);
	jfd = qemu_temp_file("job", jobfile, sizeof(jobfile));
	if (trace)
		tfd = qemu_temp_file("trace", tracefile, sizeof(tracefile));
	if (jfd < 0 || write_all(jfd, &job, sizeof(job)) || (trace && tfd < 0)) {
		snprintf(res->reason, sizeof(res->reason), "cannot write QEMU's job / trace file in $TMPDIR or /tmp");
		goto out;
	}
	snprintf(loader, sizeof(loader), "loader,file=%s,addr=0x%x,force-raw=on", jobfile, QEMU_JOB_ADDR);

	/* -icount shift=0,sleep=off: deterministic, and edu's 100 ms DMA timer warps */
	const char *fixed[] = {
		bin, "-M", "virt,iommu=smmuv3,highmem=off,gic-version=2", "-cpu", cpu,
		"-m", "256M", "-nographic", "-nodefaults", "-no-reboot", "-serial", "stdio",
		"-device", "edu", "-kernel", agent, "-icount", "shift=0,sleep=off",
		"-device", loader,
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[a++] = fixed[i];
	if (trace)
		a = qemu_argv_trace(argv, a, sizeof(argv) / sizeof(argv[0]), tracefile);
	argv[a] = NULL;

	launched = qemu_launch(&l, &x);
	if (u.error[0]) {
		snprintf(res->reason, sizeof(res->reason), "qemu bare agent: %s", u.error);
		goto out;
	}
	if (!u.metrics || launched) {
		qemu_exit_reason(&x, u.metrics ? "QEMU failed after the agent finished"
						: "the bare agent printed no metrics",
				 res->reason, sizeof(res->reason));
		goto out;
	}
	if (add_metrics(trace ? tracefile : NULL, u.metrics, res))
		goto out;
	metrics_set(res->metrics, "qemu.wall_ns", x.wall_s * 1e9);
	if (sink && sink->sample)
		sink->sample(sink->ctx, (uint64_t)(x.wall_s * 1e9), res->metrics);
	if (sink && sink->progress)
		sink->progress(sink->ctx, 1.0);
	rc = 0;
out:
	if (jfd >= 0) {
		close(jfd);
		unlink(jobfile);
	}
	if (tfd >= 0) {
		close(tfd);
		unlink(tracefile);
	}
	json_decref(u.metrics);
	return rc;
}
