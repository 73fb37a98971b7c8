/*
 * workload.c - what the bound process's CPU side does while the devices
 * run: the agents that change the mm (model.md 2, 4).
 *
 * Agents are switched on by their rate parameters, so every workload knob
 * stays overridable: cpu_upgrade_rate_hz starts `cpu_threads` churn agents
 * (write-protect a page, then re-dirty it from the CPU), device_fault_rate_hz
 * a writeback agent write-protecting device-buffer pages,
 * migrate_rate_hz a migration agent (compaction), and cpu_op_rate_hz
 * the mprotect toggler (mprotect-toggle) or the map+unmap cycler
 * (munmap-large). rw-reuse and first-touch work in device passes: after
 * each pass over the buffer the CPU re-protects / zaps it (pass_op).
 */
#include "model.h"

#include <stdlib.h>

enum agent_kind { AG_CHURN, AG_WRITEBACK, AG_MPROTECT, AG_MUNMAP, AG_MIGRATE };

double agent_rate(const struct sim *s, const struct agent *a)
{
	switch (a->kind) {
	case AG_CHURN: return s->p[P_CPU_UPGRADE_RATE_HZ] / s->p[P_CPU_THREADS];
	case AG_WRITEBACK: return s->p[P_DEVICE_FAULT_RATE_HZ];
	case AG_MIGRATE: return s->p[P_MIGRATE_RATE_HZ];
	default: return s->p[P_CPU_OP_RATE_HZ];
	}
}

static void add(struct sim *s, int kind)
{
	struct agent *a = &s->agents[s->nagents++];

	a->kind = kind;
	a->next = (uint64_t)rng_exp(&s->rng, 1e9 / agent_rate(s, a));
	sim_schedule(s, a->next, EV_CPU, (uint32_t)(s->nagents - 1), 0);
}

int agents_init(struct sim *s)
{
	int n = (int)s->p[P_CPU_THREADS] + 3;

	s->agents = calloc((size_t)n, sizeof(*s->agents));
	if (!s->agents)
		return -1;
	if (s->p[P_CPU_UPGRADE_RATE_HZ] > 0)
		for (int i = 0; i < (int)s->p[P_CPU_THREADS]; i++)
			add(s, AG_CHURN);
	if (s->p[P_DEVICE_FAULT_RATE_HZ] > 0)
		add(s, AG_WRITEBACK);
	if (s->p[P_MIGRATE_RATE_HZ] > 0)
		add(s, AG_MIGRATE);
	if (s->p[P_CPU_OP_RATE_HZ] > 0 && s->p[P_CPU_THREADS] > 0) {
		if (s->workload == WL_MPROTECT_TOGGLE)
			add(s, AG_MPROTECT);
		else if (s->workload == WL_MUNMAP_LARGE || s->workload == WL_DMA_UNMAP)
			add(s, AG_MUNMAP);
	}
	return 0;
}

/*
 * One churn step: re-dirty the page this agent write-protected last time,
 * then write-protect another. The page stays read-only for one period, long
 * enough for a device to read it and cache the read-only entry.
 */
static uint64_t churn(struct sim *s, struct agent *a, uint64_t t)
{
	uint64_t vpn;
	int how = (int)s->p[P_REPROTECT];

	if (a->has_pending) {
		t = mm_cpu_write(s, a->pending_vpn, t);
		a->has_pending = 0;
	}
	if (s->p[P_OVERLAP] > 0 && rng_unit(&s->rng) < s->p[P_OVERLAP])
		vpn = rng_below(&s->rng, s->buf_pages);
	else
		vpn = s->cpu_lo + rng_below(&s->rng, s->cpu_n);
	switch (how) {
	case REPROT_WRITEBACK:
	case REPROT_CLEAN:
		t = mm_wrprotect_page(s, vpn, how == REPROT_CLEAN, t);
		break;
	default:
		/* clear_refs / fork once per range_pages re-dirtied pages */
		if (!a->range_left) {
			t = how == REPROT_FORK ? mm_fork(s, t) : mm_wrprotect_range(s, 0, s->npages_total, t);
			a->range_left = par_u(s, P_RANGE_PAGES);
		}
		a->range_left--;
		break;
	}
	a->pending_vpn = vpn;
	a->has_pending = 1;
	return t;
}

void agent_step(struct sim *s, int i)
{
	struct agent *a = &s->agents[i];
	uint64_t t = s->now, n, next;

	s->c.cpu_ops++;
	a->ops++;
	switch (a->kind) {
	case AG_CHURN:
		t = churn(s, a, t);
		break;
	case AG_WRITEBACK:
		t = mm_wrprotect_page(s, rng_below(&s->rng, s->buf_pages), 0, t);
		break;
	case AG_MIGRATE:
		t = mm_migrate_page(s, rng_below(&s->rng, s->buf_pages), t);
		break;
	case AG_MPROTECT:
		n = par_u(s, P_RANGE_PAGES) < s->buf_pages ? par_u(s, P_RANGE_PAGES) : s->buf_pages;
		if (!a->toggled)
			a->range_lo = rng_below(&s->rng, s->buf_pages - n + 1);
		t = mm_mprotect(s, a->range_lo, n, a->toggled, t);
		a->toggled = !a->toggled;
		break;
	case AG_MUNMAP:
		t = mm_populate(s, s->map_lo, s->map_n, t);
		if (s->workload == WL_DMA_UNMAP)
			t = mm_dma_unmap(s, s->map_lo, s->map_n, t);
		else
			t = mm_zap_range(s, s->map_lo, s->map_n, t);
		if (par_u(s, P_ITERATIONS) && ++a->cycles >= par_u(s, P_ITERATIONS)) {
			sim_end(s, t); /* the cycles asked for are done */
			a->next = UINT64_MAX; /* nothing more is offered */
			return;
		}
		break;
	}
	/* Poisson arrivals; an agent that falls behind starts again when free */
	a->next += (uint64_t)rng_exp(&s->rng, 1e9 / agent_rate(s, a));
	next = a->next > t ? a->next : t;
	sim_schedule(s, next, EV_CPU, (uint32_t)i, 0);
}

void pass_finished(struct sim *s)
{
	s->pass_pending = 1;
	s->c.dma_passes++;
	if (par_u(s, P_PASSES) && s->c.dma_passes >= par_u(s, P_PASSES)) {
		sim_end(s, s->now); /* the passes asked for are done */
		return;
	}
	sim_schedule(s, s->now + par_u(s, P_PASS_GAP_US) * 1000, EV_PASS_OP, 0, 0);
}

/* Between passes: re-protect (rw-reuse) or zap (first-touch) the buffer. */
void pass_op(struct sim *s)
{
	uint64_t t = s->now;

	s->c.cpu_ops++;
	if (s->workload == WL_FIRST_TOUCH) {
		t = mm_zap_range(s, 0, s->buf_pages, t);
	} else {
		switch ((int)s->p[P_REPROTECT]) {
		case REPROT_FORK:
			t = mm_fork(s, t);
			break;
		case REPROT_SOFTDIRTY:
			t = mm_wrprotect_range(s, 0, s->npages_total, t);
			break;
		default:
			for (uint64_t v = 0; v < s->buf_pages; v++)
				t = mm_wrprotect_page(s, v, (int)s->p[P_REPROTECT] == REPROT_CLEAN, t);
			break;
		}
	}
	sim_schedule(s, t, EV_PASS_OP, 0, 1);
}
