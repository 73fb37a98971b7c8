/*
 * model.c - one simulation run from start to metrics: builds the state for
 * a resolved cell, runs the event loop to duration_us, samples every
 * counter each sample_us, and reports api.md's metric vocabulary.
 */
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sim_schedule_failed(struct sim *s)
{
	s->failed = 1;
	snprintf(s->reason, sizeof(s->reason), "out of memory for the event queue");
	return -1;
}

/* s->far after a change of qf. */
static void sim_far_head(struct sim *s)
{
	if (s->qf.n)
		s->far = s->qf.h[s->qf.head];
	else
		s->far.t = UINT64_MAX, s->far.seq = UINT64_MAX;
}

int sim_schedule_far(struct sim *s, uint64_t t, uint32_t type, uint32_t a, uint32_t b)
{
	if (evq_push(&s->qf, t, s->seq++, type, a, b))
		return sim_schedule_failed(s);
	sim_far_head(s);
	return 0;
}

void sim_example(struct sim *s, int oracle, const char *fmt, ...)
{
	struct run_result *r = s->res;
	int *count = oracle ? &s->n_oracle_examples : &s->n_livelock_examples;
	va_list ap;

	/* the first few of each kind, half of the slots each */
	if (*count >= RUN_EXAMPLES_MAX / 2 || r->nexamples >= RUN_EXAMPLES_MAX)
		return;
	(*count)++;
	va_start(ap, fmt);
	vsnprintf(r->examples[r->nexamples++], sizeof(r->examples[0]), fmt, ap);
	va_end(ap);
}

/*
 * Sets the i-th metric of a report. A report always names the same metrics
 * in the same order: a sample (names != NULL) recognises the previous
 * sample's i-th metric by the name's address and updates it in place;
 * anything else falls back to metrics_set().
 */
static void put_slow(struct metrics *m, const char **names, size_t k, const char *name,
		     double v, int null)
{
	/*
	 * k puts so far, each of a name of its own, and k entries: the
	 * entries are those names, so this one is new (a final report after
	 * metrics_clear, a run's first sample). Appending skips the search
	 * that made filling ~90 metrics quadratic.
	 */
	if (k == m->n)
		metrics_append(m, name, v, null);
	else if (null)
		metrics_set_null(m, name);
	else
		metrics_set(m, name, v);
	if (names && k < 192 && k < m->n && !strcmp(m->v[k].name, name))
		names[k] = name;
}

static inline void put(struct metrics *m, const char **names, size_t *i, const char *name,
		       double v, int null)
{
	size_t k = (*i)++;

	if (names && k < 192 && k < m->n && names[k] == name) {
		m->v[k].value = null ? 0 : v;
		m->v[k].is_null = null;
		return;
	}
	put_slow(m, names, k, name, v, null);
}

/*
 * Offered vs achieved CPU-agent operations: an agent's Poisson arrivals up
 * to t are the operations done plus the backlog (arrivals since its next
 * scheduled one, at its rate). A run short of its offered load compares
 * unequal work: load.short flags it, the per-operation metrics compare.
 */
static double offered_ops(const struct sim *s, uint64_t t, double *achieved)
{
	double offered = 0;

	*achieved = 0;
	for (int i = 0; i < s->nagents; i++) {
		const struct agent *a = &s->agents[i];

		*achieved += (double)a->ops;
		offered += (double)a->ops;
		if (a->next <= t)
			offered += 1 + (double)(t - a->next) * agent_rate(s, a) / 1e9;
	}
	return offered;
}

static void load_metrics(const struct sim *s, struct metrics *m, const char **names,
			 uint64_t t, size_t *i)
{
	double achieved, offered = offered_ops(s, t, &achieved);
	const struct counters *c = &s->c;
	double cmds = (double)(c->cmd_tlbi_nh_va + c->cmd_tlbi_nh_va_range + c->cmd_tlbi_nh_asid +
			       c->cmd_atc_inv + c->cmd_sync);
	double ops = (double)c->cpu_ops;

	put(m, names, i, "load.offered_ops", offered, 0);
	put(m, names, i, "load.achieved_ops", achieved, 0);
	put(m, names, i, "load.achieved_fraction", offered > 0 ? achieved / offered : 0, !(offered > 0));
	put(m, names, i, "load.short", offered >= 10 && achieved < 0.95 * offered, 0);
	put(m, names, i, "cpu.invalidation_ns_per_op", ops ? (double)c->cpu_invalidation_ns / ops : 0, !ops);
	put(m, names, i, "cmd.invalidations_per_op", ops ? cmds / ops : 0, !ops);
}

static void report(struct sim *s, struct metrics *m, uint64_t t, int final)
{
	const char **names = final ? NULL : s->sample_names;
	static const double dq[] = {0.50, 0.90, 0.99, 0.999}, cq[] = {0.50, 0.99};
	const struct counters *c = &s->c;
	double dur = (double)t;
	uint64_t d[4], f[2];
	size_t i = 0;
	int nf = !s->cpu_fault_lat.n;

	if (final)
		metrics_clear(m);
	if (names && s->sample_counters_named) {
		/* every counter's name is in place since the first sample: values only */
		struct metric *v = m->v;

#define X(field, name) v[i].value = (double)c->field, v[i++].is_null = 0;
		SIM_COUNTERS(X)
#undef X
	} else {
#define X(field, name) put(m, names, &i, name, (double)c->field, 0);
		SIM_COUNTERS(X)
#undef X
		if (names) {
			s->sample_counters_named = 1;
			for (size_t k = 0; k < i; k++)
				if (!names[k])
					s->sample_counters_named = 0;
		}
	}
	hist_quantiles(&s->dma_lat, dq, 4, d);
	hist_quantiles(&s->cpu_fault_lat, cq, 2, f);
	put(m, names, &i, "dma.throughput_bps", dur > 0 ? (double)c->dma_bytes * 1e9 / dur : 0, 0);
	put(m, names, &i, "dma.latency_ns.p50", (double)d[0], 0);
	put(m, names, &i, "dma.latency_ns.p90", (double)d[1], 0);
	put(m, names, &i, "dma.latency_ns.p99", (double)d[2], 0);
	put(m, names, &i, "dma.latency_ns.p999", (double)d[3], 0);
	put(m, names, &i, "dma.latency_ns.max", (double)s->dma_lat.max, 0);
	put(m, names, &i, "cpu.fault_latency_ns.p50", (double)f[0], nf);
	put(m, names, &i, "cpu.fault_latency_ns.p99", (double)f[1], nf);
	put(m, names, &i, "cpu.fault_latency_ns.max", (double)s->cpu_fault_lat.max, nf);
	put(m, names, &i, "cmdq.busy_fraction", dur > 0 ? (double)c->cmdq_busy_ns / (dur * s->nsmmus) : 0, 0);
	put(m, names, &i, "pmcg.cycles", dur * s->p[P_SMMU_CLOCK_MHZ] / 1000.0, 0);
	put(m, names, &i, "fix.applicable", s->fix_applicable, 0);
	load_metrics(s, m, names, t, &i);
	put(m, names, &i, "sim.events", (double)s->events, 0);
	put(m, names, &i, "sim.duration_ns", dur, 0);
	/* cost.* (cost.c), in order */
	{
		const char *cn[SIM_COST_METRICS];
		double cv[SIM_COST_METRICS];
		int cnull[SIM_COST_METRICS];
		int nc = sim_cost_values(c, cn, cv, cnull);

		for (int k = 0; k < nc; k++)
			put(m, names, &i, cn[k], cv[k], cnull[k]);
	}
}

/*
 * Runs one event. s->ctx: the CPU context it runs on (cmdq contention):
 * agents, the pass thread, workers, device drivers.
 */
static inline void dispatch(struct sim *s, uint32_t type, uint32_t a, uint32_t b)
{
	uint32_t na = (uint32_t)s->nagents;

	switch (type) {
	case EV_DEV_ISSUE: s->ctx = na; dev_issue(s, (int)a, (int)b); break;
	case EV_DEV_DONE: s->ctx = na; dev_done(s, (int)a, (int)b); break;
	case EV_RESUMED: s->ctx = na; dev_resumed(s, (int)a, (int)b, 0); break;
	case EV_PRI_RESP: s->ctx = na; dev_resumed(s, (int)a, (int)b, 1); break;
	case EV_FAULT_IRQ: s->ctx = na; fault_irq(s, (int)a, (int)b); break;
	case EV_IOPF_RUN:
		s->ctx = na + 1 + a * 65536 + b;
		iopf_run(s, (int)a, (int)b);
		break;
	case EV_IOPF_DONE: s->ctx = na; iopf_done(s, (int)a, (int)b); break;
	case EV_DEV_FAULT:
		s->ctx = na + 1 + 4 * 65536 + a * 65536 + b;
		dev_fault_handled(s, (int)a, (int)b);
		break;
	case EV_CPU: s->ctx = a; agent_step(s, (int)a); break;
	case EV_PASS_OP:
		s->ctx = na;
		if (b) {
			s->pass_pending = 0;
			devices_resume_pass(s);
		} else {
			pass_op(s);
		}
		break;
	case EV_SAMPLE:
		s->ctx = na;
		if (s->sink && s->sink->sample) {
			report(s, s->sample_m, s->now, 0);
			s->sink->sample(s->sink->ctx, s->now, s->sample_m);
		}
		if (s->sink && s->sink->progress)
			s->sink->progress(s->sink->ctx, (double)s->now / (double)s->end);
		sim_schedule(s, s->now + par_u(s, P_SAMPLE_US) * 1000, EV_SAMPLE, 0, 0);
		break;
	}
}

void sim_end(struct sim *s, uint64_t t)
{
	if (t < s->end)
		s->end = t;
}

static int setup(struct sim *s, const struct run_req *req)
{
	const double *p = req->params;
	static const int shift[] = {[GRAN_4K] = 12, [GRAN_16K] = 14, [GRAN_64K] = 16};
	int sh = shift[(int)p[P_GRANULE]];

	s->p = p;
	for (int i = 0; i < SIM_NPARAMS; i++)
		s->pu[i] = (uint64_t)p[i]; /* every parameter's minimum is >= 0 */
	s->workload = req->workload;
	s->strategy = req->strategy;
	rng_seed(&s->rng, req->seed);
	s->jitter_sigma = p[P_HOST_JITTER] > 0 ? sqrt(log(1.0 + p[P_HOST_JITTER] * p[P_HOST_JITTER])) : 0;
	s->jitter_half = s->jitter_sigma * s->jitter_sigma / 2;
	rng_normal_init();
	s->end = par_u(s, P_DURATION_US) * 1000;
	s->max_events = par_u(s, P_MAX_EVENTS);
	s->fx_next = UINT64_MAX;
	s->far.t = s->far.seq = UINT64_MAX; /* qf is empty */
	s->page_bytes = 1ULL << sh;
	s->xfer_ns = (uint64_t)(p[P_TXN_BYTES] / p[P_DMA_BYTES_PER_NS]);
	s->level_bits = sh - 3;
	s->max_tlbi_ops = 1ULL << (sh - 3); /* CMDQ_MAX_TLBI_OPS */
	s->levels = sh == 16 ? 3 : 4;        /* 48-bit VA */
	s->ats = p[P_ATS] != 0;
	/* check_cell keeps fault_model consistent with ats */
	s->fm = (int)p[P_FAULT_MODEL] == FM_AUTO ? (s->ats ? FM_PRI : FM_STALL) : (int)p[P_FAULT_MODEL];
	s->pri = s->fm == FM_PRI;
	s->kernel = (int)p[P_KERNEL];
	s->arch_notifier = s->strategy == ST_NOTIFIER;
	s->empty_range = s->arch_notifier && s->kernel < K_V6_14;
	s->per_domain = s->kernel < K_V6_11;
	s->btm_driver = p[P_BTM] != 0 && s->kernel < K_V6_11;
	s->upgrade_broadcast = (int)p[P_CPU_UPGRADE_FLUSH] == UPF_KERNEL ? s->kernel < K_V6_19 :
			       (int)p[P_CPU_UPGRADE_FLUSH] == UPF_BROADCAST;
	s->fix_a = s->strategy == ST_PRI_INV || s->strategy == ST_PRI_INV_SYNC ||
		   s->strategy == ST_PRI_INV_NO_ATC;
	s->fix_applicable = !(s->fix_a && s->fm == FM_DEVICE);
	s->buf_pages = par_u(s, P_PAGES);
	s->nsmmus = (int)p[P_SMMUS];
	cmdq_costs(s);
	s->sample_m = metrics_new();
	if (!s->sample_m || mm_init(s))
		return -1;
	s->smmus = calloc((size_t)s->nsmmus, sizeof(*s->smmus));
	if (!s->smmus)
		return -1;
	for (int i = 0; i < s->nsmmus; i++)
		if (smmu_init(s, &s->smmus[i], i))
			return -1;
	if (devices_init(s) || agents_init(s))
		return -1;
	if (!s->fix_applicable && s->res->nexamples < RUN_EXAMPLES_MAX)
		snprintf(s->res->examples[s->res->nexamples++], sizeof(s->res->examples[0]),
			 "fix not applicable: fault_model device - the device's own driver resolves its faults, the SMMU driver never answers one, so %s cannot act and runs as none",
			 sim_strategies[s->strategy].name);
	devices_start(s);
	sim_schedule(s, par_u(s, P_SAMPLE_US) * 1000, EV_SAMPLE, 0, 0);
	return 0;
}

static void teardown(struct sim *s)
{
	devices_free(s);
	for (int i = 0; s->smmus && i < s->nsmmus; i++)
		smmu_free(&s->smmus[i]);
	free(s->smmus);
	free(s->agents);
	free(s->mm);
	free(s->q.h);
	free(s->qd.h);
	free(s->qf.h);
	free(s->scratch);
	metrics_free(s->sample_m);
}

/*
 * q's first event, taken off q (n > 0): a pointer into the sorted array,
 * valid until the next push (the caller reads its fields at once, into
 * registers: copying the event whole to the stack and reading it back
 * stalled the loop), or a copy in *spare from the heap.
 */
static inline const struct ev *evq_take(struct evq *q, struct ev *spare)
{
	const struct ev *e;

	if (q->heap) {
		evq_pop_heap(q, spare);
		return spare;
	}
	e = &q->h[q->head++];
	if (!--q->n)
		q->head = 0;
	return e;
}

/* The next event of the three queues; NULL when none is left. */
static inline const struct ev *sim_pop(struct sim *s, struct ev *spare)
{
	struct evq *q = &s->q, *d = &s->qd;
	const struct ev *e;

	/* the earlier of q's and qd's heads, then that or qf's */
	if (!q->n) {
		q = d;
	} else if (d->n) {
		const struct ev *a = &d->h[d->head], *b = &q->h[q->head];

		if (ev_before(a, b))
			q = d;
	}
	if (q->n && !ev_before(&s->far, &q->h[q->head]))
		return evq_take(q, spare);
	if (!s->qf.n)
		return q->n ? evq_take(q, spare) : NULL;
	e = evq_take(&s->qf, spare);
	sim_far_head(s);
	return e;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int sim_run(const struct run_req *req, const struct run_sink *sink,
	    struct run_result *res)
{
	struct sim *s = calloc(1, sizeof(*s));
	uint64_t w0 = wall_ns(), w;
	struct ev spare;
	const struct ev *p;
	int rc = 0;

	if (!s) {
		snprintf(res->reason, sizeof(res->reason), "out of memory");
		return -1;
	}
	s->res = res;
	s->sink = sink;
	if (setup(s, req)) {
		snprintf(res->reason, sizeof(res->reason),
			 "out of memory setting up %.0f pages", req->params[P_PAGES]);
		teardown(s);
		free(s);
		return -1;
	}
	while (!s->failed && (p = sim_pop(s, &spare)) && p->t <= s->end) {
		uint64_t t = p->t;
		uint32_t type = p->type, a = p->a, b = p->b;

		s->now = t;
		cmdq_catch_up(s, t);
		dispatch(s, type, a, b);
		if (++s->events >= s->max_events) {
			s->failed = 1;
			snprintf(s->reason, sizeof(s->reason),
				 "event budget exhausted: %llu events before %llu ns of %llu (raise params.max_events)",
				 (unsigned long long)s->events, (unsigned long long)s->now,
				 (unsigned long long)s->end);
		}
	}
	if (s->failed) {
		if (!s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "out of memory during the run");
		snprintf(res->reason, sizeof(res->reason), "%s", s->reason);
		rc = -1;
	}
	{
		double achieved, offered = offered_ops(s, s->end, &achieved);

		if (offered >= 10 && achieved < 0.95 * offered && res->nexamples < RUN_EXAMPLES_MAX)
			snprintf(res->examples[res->nexamples++], sizeof(res->examples[0]),
				 "load short: the CPU agents did %.0f of %.0f offered operations (%.0f%%); compare strategies per operation (cpu.invalidation_ns_per_op, cmd.invalidations_per_op)",
				 achieved, offered, 100 * achieved / offered);
	}
	report(s, res->metrics, s->end, 1);
	w = wall_ns() - w0;
	metrics_set(res->metrics, "sim.wall_ns", (double)w);
	if (sink && sink->progress)
		sink->progress(sink->ctx, 1.0);
	teardown(s);
	free(s);
	return rc;
}
