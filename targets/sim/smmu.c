/*
 * smmu.c - one SMMUv3: configuration cache (STE+CD per StreamID), main TLB
 * with negative caching of permissions, walk cache, page-table walker, and
 * the command queue, consumed in order with per-opcode costs and batched as
 * arm_smmu_cmdq_batch_add()/_submit() do.
 *
 * Command effects (a TLBI clearing entries) happen when the SMMU consumes
 * the command, not when the CPU writes it: they wait in a FIFO until the
 * simulated clock reaches them (cmdq_catch_up, before every event).
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

int tlb_init(struct tlb *t, uint32_t entries, uint32_t ways)
{
	t->ways = ways;
	t->set_bytes = ways * sizeof(*t->e);
	t->sets = entries / ways ? entries / ways : 1;
	t->gen = 1;
	t->clock = 0;
	t->kmin = UINT64_MAX;
	t->kmax = 0;
	t->e = calloc((size_t)t->sets * ways, sizeof(*t->e));
	return t->e ? 0 : -1;
}

void tlb_free(struct tlb *t)
{
	free(t->e);
	t->e = NULL;
}

void tlb_insert(struct tlb *t, uint64_t key, uint32_t pfn, int writable, int dbm)
{
	struct tlb_entry *e = tlb_set_of(t, key), *victim = NULL, *fresh = NULL;

	/* an entry for key is replaced, never doubled (a free way may come first) */
	for (uint32_t w = 0; w < t->ways; w++) {
		struct tlb_entry *x = &e[w];

		if (x->gen != t->gen) {
			if (!fresh)
				fresh = x;
			continue;
		}
		if (x->key == key) {
			victim = x;
			fresh = NULL;
			break;
		}
		if (!victim || x->lru < victim->lru)
			victim = x;
	}
	if (fresh)
		victim = fresh;
	*victim = (struct tlb_entry){key, pfn, t->gen, ++t->clock, (uint8_t)writable, (uint8_t)dbm};
	if (key < t->kmin)
		t->kmin = key;
	if (key > t->kmax)
		t->kmax = key;
}

void tlb_inv(struct tlb *t, uint64_t key)
{
	struct tlb_entry *e;

	if (key < t->kmin || key > t->kmax)
		return;
	e = tlb_lookup(t, key);
	if (e)
		e->gen = 0;
}

void tlb_inv_range(struct tlb *t, uint64_t key, uint64_t n)
{
	uint64_t total = (uint64_t)t->sets * t->ways, lo, hi;

	if (!n)
		return;
	/* only keys in [kmin, kmax] can be cached */
	lo = key > t->kmin ? key : t->kmin;
	hi = key + n - 1 < t->kmax ? key + n - 1 : t->kmax;
	if (lo > hi)
		return;
	/* a lookup costs a hash and a set; a scan of every entry is cheaper past total/4 */
	if (n < total / 4) {
		for (uint64_t k = lo; k <= hi; k++)
			tlb_inv(t, k);
		return;
	}
	for (uint64_t i = 0; i < total; i++)
		if (t->e[i].key >= key && t->e[i].key - key < n)
			t->e[i].gen = 0;
}

void tlb_inv_all(struct tlb *t)
{
	if (!++t->gen)
		t->gen = 1; /* 0 marks an invalidated entry */
	t->kmin = UINT64_MAX;
	t->kmax = 0;
}

int smmu_init(struct sim *s, struct smmu *m, int id)
{
	const double *p = s->p;

	memset(m, 0, sizeof(*m));
	m->id = id;
	if (tlb_init(&m->tlb, par_u(s, P_TLB_ENTRIES), par_u(s, P_TLB_WAYS)) ||
	    tlb_init(&m->walk, par_u(s, P_WALK_CACHE_ENTRIES), 1))
		return -1;
	m->cfg_cap = par_u(s, P_CFG_CACHE_ENTRIES);
	m->cfg_sids = calloc(m->cfg_cap, sizeof(*m->cfg_sids));
	m->cfg_mru = UINT32_MAX;
	m->q.done = calloc(par_u(s, P_CMDQ_DEPTH), sizeof(*m->q.done));
	m->q.prod_cap = 16;
	m->q.prod = calloc(m->q.prod_cap, sizeof(*m->q.prod));
	m->evtq.depth = par_u(s, P_EVTQ_DEPTH);
	m->priq.depth = par_u(s, P_PRIQ_DEPTH);
	m->evtq.r = calloc(m->evtq.depth, sizeof(*m->evtq.r));
	m->priq.r = calloc(m->priq.depth, sizeof(*m->priq.r));
	/* one work item per possible outstanding fault: every slot of every device */
	m->nwork = (uint32_t)(p[P_DEVICES] * p[P_OUTSTANDING]) + 1;
	m->work = calloc(m->nwork, sizeof(*m->work));
	m->pending = calloc(m->nwork, sizeof(*m->pending));
	if (!m->cfg_sids || !m->q.done || !m->q.prod || !m->evtq.r || !m->priq.r || !m->work || !m->pending)
		return -1;
	return 0;
}

void smmu_free(struct smmu *m)
{
	tlb_free(&m->tlb);
	tlb_free(&m->walk);
	free(m->cfg_sids);
	free(m->q.done);
	free(m->q.prod);
	free(m->q.fx);
	free(m->q.busy);
	free(m->evtq.r);
	free(m->priq.r);
	free(m->work);
	free(m->pending);
}

/* Configuration cache: a small LRU list of StreamIDs (STE + CD fetched on miss). */
uint64_t cfg_lookup_slow(struct sim *s, struct smmu *m, uint32_t sid)
{
	uint32_t i;

	if (m->cfg_n && m->cfg_sids[0] == sid)
		return 0; /* already the most recent: nothing moves */
	for (i = 0; i < m->cfg_n; i++)
		if (m->cfg_sids[i] == sid)
			break;
	if (i == m->cfg_n) {
		s->c.pmcg_config_cache_miss++;
		s->c.pmcg_config_struct_access += 2;
		if (m->cfg_n < m->cfg_cap)
			m->cfg_n++;
		i = m->cfg_n - 1;
		memmove(&m->cfg_sids[1], &m->cfg_sids[0], i * sizeof(*m->cfg_sids));
		m->cfg_sids[0] = m->cfg_mru = sid;
		return 2 * par_u(s, P_CFG_ACCESS_NS);
	}
	memmove(&m->cfg_sids[1], &m->cfg_sids[0], i * sizeof(*m->cfg_sids));
	m->cfg_sids[0] = m->cfg_mru = sid;
	return 0;
}

/*
 * The walker reads the PTE at this instant (walks are atomic in the model;
 * their latency is added to the transaction). HTTU sets the dirty state of a
 * writable-clean (DBM) page in hardware, with no fault.
 */
static struct xlate walk(struct sim *s, struct smmu *m, uint64_t vpn, int write)
{
	struct xlate x = {0};
	struct pte *pte = &s->mm[vpn];
	uint64_t table = vpn >> s->level_bits;
	int levels = s->levels;

	if (tlb_lookup(&m->walk, table)) {
		s->c.smmu_walk_cache_hits++;
		levels = 1;
	} else {
		tlb_insert(&m->walk, table, 0, 0, 0);
	}
	s->c.pmcg_trans_table_walk_access += (uint64_t)levels;
	x.lat = (uint64_t)levels * par_u(s, P_WALK_LEVEL_NS);
	if (!(pte->flags & PTE_PRESENT))
		return x; /* translation fault; invalid descriptors are not cached */
	if (write && s->p[P_HTTU] && (pte->flags & PTE_WRITE) && (pte->flags & PTE_RDONLY)) {
		pte->flags = (uint8_t)((pte->flags & ~PTE_RDONLY) | PTE_DIRTY);
		pte->gen++;
	}
	x.writable = pte_hw_writable(pte);
	x.pfn = pte->pfn;
	/* a walk that faults is cached only where cache_faulting_walk says so */
	if (!write || x.writable || s->p[P_CACHE_FAULTING_WALK])
		tlb_insert(&m->tlb, vpn, x.pfn, x.writable,
			   (pte->flags & (PTE_WRITE | PTE_RDONLY)) == (PTE_WRITE | PTE_RDONLY));
	if (write && !x.writable) {
		x.perm_fault = 1;
		return x;
	}
	x.ok = 1;
	return x;
}

struct xlate smmu_translate_miss(struct sim *s, struct smmu *m, uint64_t vpn, int write,
				 const struct tlb_entry *e, uint64_t lat)
{
	struct xlate x;

	if (e && s->p[P_NEGATIVE_CACHING] && !(e->dbm && s->p[P_HTTU])) {
		/* the cached read-only permission faults the write, no re-walk */
		s->c.smmu_tlb_hits++;
		x = (struct xlate){0, 1, 0, e->pfn, lat};
		return x;
	}
	s->c.pmcg_tlb_miss++;
	x = walk(s, m, vpn, write);
	x.lat += lat;
	return x;
}

void cmdq_costs(struct sim *s)
{
	static const int param[] = {
		[CMD_TLBI_NH_VA] = P_CMD_TLBI_NH_VA_NS,
		[CMD_TLBI_NH_VA_RANGE] = P_CMD_TLBI_NH_VA_RANGE_NS,
		[CMD_TLBI_NH_ASID] = P_CMD_TLBI_NH_ASID_NS,
		[CMD_ATC_INV] = P_CMD_ATC_INV_NS,
		[CMD_SYNC] = P_CMD_SYNC_NS,
		[CMD_RESUME] = P_CMD_RESUME_NS,
		[CMD_PRI_RESP] = P_CMD_PRI_RESP_NS,
		[CMD_CFGI_CD] = P_CMD_CFGI_CD_NS,
	};

	uint64_t *const count[] = {
		[CMD_TLBI_NH_VA] = &s->c.cmd_tlbi_nh_va,
		[CMD_TLBI_NH_VA_RANGE] = &s->c.cmd_tlbi_nh_va_range,
		[CMD_TLBI_NH_ASID] = &s->c.cmd_tlbi_nh_asid,
		[CMD_ATC_INV] = &s->c.cmd_atc_inv,
		[CMD_SYNC] = &s->c.cmd_sync,
		[CMD_RESUME] = &s->c.cmd_resume,
		[CMD_PRI_RESP] = &s->c.cmd_pri_resp,
		[CMD_CFGI_CD] = &s->c.cmd_cfgi_cd,
	};

	for (int op = 0; op <= CMD_CFGI_CD; op++) {
		s->cmd_ns[op] = par_u(s, param[op]);
		s->cmd_count[op] = count[op];
	}
	s->sync_busy_ns = par_u(s, P_CMD_SYNC_BUSY_NS);
	if (s->sync_busy_ns > s->cmd_ns[CMD_SYNC])
		s->sync_busy_ns = s->cmd_ns[CMD_SYNC];
}

static int fx_before(const struct effect *a, const struct effect *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int fx_push(struct cmdq *q, uint64_t t, const struct cmd *c)
{
	size_t i;

	if (q->fx_n == q->fx_cap) {
		size_t cap = q->fx_cap ? q->fx_cap * 2 : 256;
		struct effect *fx = realloc(q->fx, cap * sizeof(*fx));

		if (!fx)
			return -1;
		q->fx = fx;
		q->fx_cap = cap;
	}
	/* the new seq is the largest: it goes up past the parents later than t */
	for (i = q->fx_n++; i > 0 && t < q->fx[(i - 1) / 2].t; i = (i - 1) / 2)
		q->fx[i] = q->fx[(i - 1) / 2];
	q->fx[i].t = t;
	q->fx[i].seq = q->fx_seq++;
	cmd_copy(&q->fx[i].c, c);
	return 0;
}

static void fx_pop(struct cmdq *q)
{
	/* the last effect sifts down from the root; it stays in place (at fx_n) until then */
	const struct effect *last = &q->fx[--q->fx_n];
	uint64_t lt = last->t, ls = last->seq;
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m;

		if (l >= q->fx_n)
			break;
		m = l + 1 < q->fx_n && fx_before(&q->fx[l + 1], &q->fx[l]) ? l + 1 : l;
		if (!(q->fx[m].t < lt || (q->fx[m].t == lt && q->fx[m].seq < ls)))
			break;
		q->fx[i] = q->fx[m];
		i = m;
	}
	if (q->fx_n)
		q->fx[i] = *last;
}

/* Drops the busy spans that ended by now: no command can arrive before now. */
static void drop_ended(struct sim *s, struct cmdq *q)
{
	uint32_t i = 0;

	while (i < q->nbusy && q->busy[i].b <= s->now)
		i++;
	if (i) {
		memmove(q->busy, q->busy + i, (q->nbusy - i) * sizeof(*q->busy));
		q->nbusy -= i;
	}
}

#define NO_SPAN UINT32_MAX

/*
 * Places `cost` ns of consumption at the first gap at or after `arrive`;
 * returns its start, and in *kp the span that now ends where it ends
 * (NO_SPAN when none does).
 */
static uint64_t place(struct sim *s, struct cmdq *q, uint64_t arrive, uint64_t cost, uint32_t *kp)
{
	uint32_t k;
	uint64_t start = arrive;

	for (k = 0; k < q->nbusy; k++) {
		if (q->busy[k].b <= start)
			continue;
		if (start + cost <= q->busy[k].a)
			break;
		start = q->busy[k].b;
	}
	*kp = NO_SPAN;
	if (!cost)
		return start;
	/* insert [start, start + cost) before span k, merging with neighbours */
	if (k > 0 && q->busy[k - 1].b == start) {
		q->busy[k - 1].b += cost;
		*kp = k - 1;
		if (k < q->nbusy && q->busy[k].a == q->busy[k - 1].b) {
			q->busy[k - 1].b = q->busy[k].b;
			memmove(q->busy + k, q->busy + k + 1, (q->nbusy - k - 1) * sizeof(*q->busy));
			q->nbusy--;
			*kp = NO_SPAN;
		}
		return start;
	}
	if (k < q->nbusy && q->busy[k].a == start + cost) {
		q->busy[k].a = start;
		return start;
	}
	if (q->nbusy == q->busy_cap) {
		uint32_t cap = q->busy_cap ? 2 * q->busy_cap : 64;
		struct span *b = realloc(q->busy, cap * sizeof(*b));

		if (!b) {
			s->failed = 1;
			return start;
		}
		q->busy = b;
		q->busy_cap = cap;
	}
	if (k < q->nbusy)
		memmove(q->busy + k + 1, q->busy + k, (q->nbusy - k) * sizeof(*q->busy));
	q->busy[k] = (struct span){start, start + cost};
	q->nbusy++;
	*kp = k;
	return start;
}

/* One command list being issued (issue_cmdlist). */
struct issue {
	uint64_t t;        /* the CPU: when it has written the commands so far */
	uint64_t prev;     /* the end of the previous command's consumption (a list is consumed in order) */
	uint64_t done;     /* the completion of the last command */
	uint32_t kp;       /* the busy span ending at prev, NO_SPAN if unknown */
	int have_run;
	struct cmd run;    /* consecutive TLBIs of one list, as one effect */
	uint64_t run_t;
};

static void effect(struct sim *s, struct cmdq *q, uint64_t t, const struct cmd *c)
{
	if (fx_push(q, t, c))
		s->failed = 1;
	if (t < s->fx_next)
		s->fx_next = t;
}

/* One command of the list: written by the CPU, consumed by the SMMU in order. */
static inline __attribute__((always_inline)) void issue_one(struct sim *s, struct cmdq *q, struct issue *st, const struct cmd *c,
			     uint64_t depth, uint64_t ins)
{
	uint64_t arrive = st->t + ins, start, cost, at, done;
	int op = c->op;

	if (q->ncmds >= depth) {
		uint64_t free_at = q->done[q->head];

		if (free_at > arrive) {
			s->c.cmdq_full_waits++;
			arrive = free_at;
		}
	}
	st->t = arrive;
	done = s->cmd_ns[op];
	/* CMD_SYNC: the queue moves on after cmd_sync_busy_ns; the waiter sees it at done */
	cost = op == CMD_SYNC ? s->sync_busy_ns : done;
	at = arrive > st->prev ? arrive : st->prev;
	if (at == st->prev && st->kp < q->nbusy && q->busy[st->kp].b == at &&
	    (st->kp + 1 == q->nbusy || q->busy[st->kp + 1].a > at + cost)) {
		/* right after the previous command, before the next busy span: what place() finds */
		q->busy[st->kp].b += cost;
		start = at;
	} else {
		start = place(s, q, at, cost, &st->kp);
	}
	done += start;
	st->done = done;
	st->prev = start + cost;
	q->done[q->head] = start + cost;
	q->ncmds++;
	if (++q->head == depth)
		q->head = 0;
	s->c.cmdq_busy_ns += cost;
	(*s->cmd_count[op])++;
	/* the ordering rule of 353e3cf8590c, checked on every stream */
	if (op == CMD_SYNC)
		q->tlbi_unsynced = 0;
	else if (op == CMD_ATC_INV && q->tlbi_unsynced)
		s->c.cmdq_order_violations++;
	else if (op <= CMD_TLBI_NH_ASID)
		q->tlbi_unsynced = 1;
	switch (op) {
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VA_RANGE:
		/*
		 * A run of TLBIs over adjacent pages in one list takes effect
		 * as one, when its last is consumed: no later than its
		 * CMD_SYNC, so before the PTEs stop being pending.
		 */
		if (st->have_run && st->run.vpn + st->run.npages == c->vpn && st->run.leaf == c->leaf &&
		    c->npages) {
			st->run.npages += c->npages;
			st->run_t = done;
			break;
		}
		if (st->have_run && fx_push(q, st->run_t, &st->run))
			s->failed = 1;
		cmd_copy(&st->run, c);
		st->run_t = done;
		st->have_run = c->npages != 0;
		if (!st->have_run && fx_push(q, done, c))
			s->failed = 1;
		if (done < s->fx_next)
			s->fx_next = done;
		break;
	case CMD_TLBI_NH_ASID:
	case CMD_ATC_INV:
		if (st->have_run && fx_push(q, st->run_t, &st->run))
			s->failed = 1;
		st->have_run = 0;
		effect(s, q, done, c);
		break;
	case CMD_RESUME:
	case CMD_PRI_RESP:
		sim_schedule(s, done, op == CMD_RESUME ? EV_RESUMED : EV_PRI_RESP, c->dev, c->slot);
		break;
	case CMD_SYNC:
		/* a run never crosses a CMD_SYNC */
		if (st->have_run && fx_push(q, st->run_t, &st->run))
			s->failed = 1;
		st->have_run = 0;
		break;
	default:
		break;
	}
}

/*
 * TLBIs from cmds[i] on that extend the list's run of adjacent pages, each
 * consumed right after the previous one (the queue has caught up with
 * nothing: the CPU writes faster than the SMMU consumes) before the next
 * busy span and with a free slot: what issue_one() would do for each, in a
 * tighter loop. Returns the index of the first command it did not take.
 */
static size_t tlbi_stretch(struct sim *s, struct cmdq *q, struct issue *st,
			   const struct cmd *cmds, size_t i, size_t n, uint64_t depth, uint64_t ins)
{
	uint8_t op = cmds[i].op, leaf = st->run.leaf;
	uint64_t cost = s->cmd_ns[op], t = st->t, prev = st->prev;
	uint64_t limit = st->kp + 1 < q->nbusy ? q->busy[st->kp + 1].a : UINT64_MAX;
	uint64_t head = q->head, ncmds = q->ncmds, vend = st->run.vpn + st->run.npages;
	size_t j = i;

	for (; j < n && cmds[j].op == op && cmds[j].vpn == vend && cmds[j].leaf == leaf && cmds[j].npages; j++) {
		uint64_t arrive = t + ins;

		if ((ncmds >= depth && q->done[head] > arrive) || arrive > prev || prev + cost >= limit)
			break;
		t = arrive;
		prev += cost;
		q->done[head] = prev;
		if (++head == depth)
			head = 0;
		ncmds++;
		vend += cmds[j].npages;
	}
	if (j == i)
		return i;
	st->t = t;
	st->prev = st->done = st->run_t = prev;
	q->busy[st->kp].b = prev;
	q->head = head;
	q->ncmds = ncmds;
	st->run.npages = vend - st->run.vpn;
	*s->cmd_count[op] += j - i;
	s->c.cmdq_busy_ns += (j - i) * cost;
	q->tlbi_unsynced = 1;
	return j;
}

/*
 * The same for the page TLBIs {TLBI_NH_VA, vpn + k, 1 page} of a list
 * made of nothing else (issue_pages): they always extend the run, so only
 * the queue is checked.
 */
static size_t page_stretch(struct sim *s, struct cmdq *q, struct issue *st,
			   size_t i, size_t n, uint64_t depth, uint64_t ins)
{
	uint64_t cost = s->cmd_ns[CMD_TLBI_NH_VA], t = st->t, prev = st->prev;
	uint64_t limit = st->kp + 1 < q->nbusy ? q->busy[st->kp + 1].a : UINT64_MAX;
	uint64_t head = q->head, ncmds = q->ncmds;
	size_t j = i;

	for (; j < n; j++) {
		uint64_t arrive = t + ins;

		if ((ncmds >= depth && q->done[head] > arrive) || arrive > prev || prev + cost >= limit)
			break;
		t = arrive;
		prev += cost;
		q->done[head] = prev;
		if (++head == depth)
			head = 0;
		ncmds++;
	}
	if (j == i)
		return i;
	st->t = t;
	st->prev = st->done = st->run_t = prev;
	q->busy[st->kp].b = prev;
	q->head = head;
	q->ncmds = ncmds;
	st->run.npages += j - i;
	s->c.cmd_tlbi_nh_va += j - i;
	s->c.cmdq_busy_ns += (j - i) * cost;
	q->tlbi_unsynced = 1;
	return j;
}

/*
 * One arm_smmu_cmdq_issue_cmdlist() of cmds[0, n) (pages: of the n page
 * TLBIs from vpn instead) and, when `sync`, a CMD_SYNC: the CPU reserves
 * slots (waiting for space when the queue is full), writes the commands and
 * publishes PROD; the SMMU consumes them in order. Returns when the CPU is
 * done writing; the completion time of the last command goes to *last_done.
 */
static inline __attribute__((always_inline)) uint64_t
issue_list(struct sim *s, struct smmu *m, uint64_t t, const struct cmd *cmds, uint64_t vpn,
	   size_t n, int sync, uint64_t contend, uint64_t *last_done, const int pages)
{
	static const struct cmd cmd_sync = {.op = CMD_SYNC};
	struct cmdq *q = &m->q;
	uint64_t depth = par_u(s, P_CMDQ_DEPTH), ins = par_u(s, P_CMDQ_INSERT_NS);
	struct issue st;

	st.t = t + par_u(s, P_CMDQ_ISSUE_NS) + contend;
	st.prev = st.done = 0;
	st.kp = NO_SPAN;
	st.have_run = 0;
	s->c.cmdq_submissions++;
	s->c.cmdq_contention_ns += contend;
	if (q->nbusy && q->busy[0].b <= s->now)
		drop_ended(s, q);
	for (size_t i = 0; i < n;) {
		if (st.have_run && (pages || cmds[i].op <= CMD_TLBI_NH_VA_RANGE) && st.kp < q->nbusy &&
		    q->busy[st.kp].b == st.prev) {
			size_t j = pages ? page_stretch(s, q, &st, i, n, depth, ins) :
					   tlbi_stretch(s, q, &st, cmds, i, n, depth, ins);

			if (j > i) {
				i = j;
				continue;
			}
		}
		if (pages) {
			struct cmd c = {.op = CMD_TLBI_NH_VA, .vpn = vpn + i, .npages = 1};

			issue_one(s, q, &st, &c, depth, ins);
		} else {
			issue_one(s, q, &st, &cmds[i], depth, ins);
		}
		i++;
	}
	if (sync)
		issue_one(s, q, &st, &cmd_sync, depth, ins);
	if (st.have_run && fx_push(q, st.run_t, &st.run))
		s->failed = 1;
	*last_done = st.done;
	return st.t;
}

static uint64_t issue_cmdlist(struct sim *s, struct smmu *m, uint64_t t,
			      const struct cmd *cmds, size_t n, int sync, uint64_t contend,
			      uint64_t *last_done)
{
	return issue_list(s, m, t, cmds, 0, n, sync, contend, last_done, 0);
}

static uint64_t issue_pages(struct sim *s, struct smmu *m, uint64_t t, uint64_t vpn,
			    size_t n, int sync, uint64_t contend, uint64_t *last_done)
{
	return issue_list(s, m, t, NULL, vpn, n, sync, contend, last_done, 1);
}

/*
 * Producer contention: the other CPU contexts inside a submission on this
 * queue at time t (pruning those gone), and this one's registration until
 * `until`.
 */
static uint32_t other_producers(struct cmdq *q, uint32_t ctx, uint64_t t)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < q->nprod;) {
		if (q->prod[i].until <= t) {
			q->prod[i] = q->prod[--q->nprod];
			continue;
		}
		n += q->prod[i].ctx != ctx;
		i++;
	}
	return n;
}

static void producer_until(struct sim *s, struct cmdq *q, uint32_t ctx, uint64_t until)
{
	for (uint32_t i = 0; i < q->nprod; i++) {
		if (q->prod[i].ctx == ctx) {
			q->prod[i].until = until;
			return;
		}
	}
	if (q->nprod == q->prod_cap) {
		struct producer *p = realloc(q->prod, 2 * q->prod_cap * sizeof(*p));

		if (!p) {
			s->failed = 1;
			return;
		}
		q->prod = p;
		q->prod_cap *= 2;
	}
	q->prod[q->nprod++] = (struct producer){ctx, until};
}

/* arm_smmu_cmdq_batch_submit(): wait for the CMD_SYNC; the producer is busy until then */
static inline uint64_t submit_end(struct sim *s, struct smmu *m, uint64_t t, uint64_t done,
				  int sync)
{
	if (sync && done > t) {
		s->c.cmdq_sync_wait_ns += done - t;
		t = done;
	}
	producer_until(s, &m->q, s->ctx, t);
	return t;
}

uint64_t cmdq_submit(struct sim *s, struct smmu *m, uint64_t t,
		     const struct cmd *cmds, size_t n, int sync)
{
	size_t i = 0;
	uint64_t done = t;
	uint64_t contend = par_u(s, P_CMDQ_CONTEND_NS) * other_producers(&m->q, s->ctx, t);

	/* arm_smmu_cmdq_batch_add(): a full batch goes out without a sync */
	for (; n - i > CMDQ_BATCH_ENTRIES; i += CMDQ_BATCH_ENTRIES)
		t = issue_cmdlist(s, m, t, cmds + i, CMDQ_BATCH_ENTRIES, 0, contend, &done);
	if (n - i || sync)
		t = issue_cmdlist(s, m, t, cmds + i, n - i, sync, contend, &done);
	return submit_end(s, m, t, done, sync);
}

uint64_t cmdq_submit_pages(struct sim *s, struct smmu *m, uint64_t t, uint64_t vpn,
			   size_t n, int sync)
{
	size_t i = 0;
	uint64_t done = t;
	uint64_t contend = par_u(s, P_CMDQ_CONTEND_NS) * other_producers(&m->q, s->ctx, t);

	for (; n - i > CMDQ_BATCH_ENTRIES; i += CMDQ_BATCH_ENTRIES)
		t = issue_pages(s, m, t, vpn + i, CMDQ_BATCH_ENTRIES, 0, contend, &done);
	if (n - i || sync)
		t = issue_pages(s, m, t, vpn + i, n - i, sync, contend, &done);
	return submit_end(s, m, t, done, sync);
}

static void apply(struct sim *s, struct smmu *m, const struct cmd *c)
{
	switch (c->op) {
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VA_RANGE:
		tlb_inv_range(&m->tlb, c->vpn, c->npages);
		if (!c->leaf)
			tlb_inv_range(&m->walk, c->vpn >> s->level_bits,
				      ((c->vpn + c->npages - 1) >> s->level_bits) -
				      (c->vpn >> s->level_bits) + 1);
		break;
	case CMD_TLBI_NH_ASID:
		tlb_inv_all(&m->tlb);
		tlb_inv_all(&m->walk);
		break;
	case CMD_ATC_INV: {
		struct device *d = &s->devs[c->dev];

		if (!c->npages) {
			tlb_inv_all(&d->atc);
		} else {
			/* ATC_INV is in 4 KiB units; the ATC holds granule pages */
			uint64_t per = s->page_bytes / 4096;
			uint64_t lo = c->vpn / per, hi = (c->vpn + c->npages + per - 1) / per;

			tlb_inv_range(&d->atc, lo, hi - lo);
		}
		break;
	}
	}
}

void cmdq_catch_up_due(struct sim *s, uint64_t t)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < s->nsmmus; i++) {
		struct cmdq *q = &s->smmus[i].q;

		while (q->fx_n && q->fx[0].t <= t) {
			apply(s, &s->smmus[i], &q->fx[0].c);
			fx_pop(q);
		}
		if (q->fx_n && q->fx[0].t < next)
			next = q->fx[0].t;
	}
	s->fx_next = next;
}
