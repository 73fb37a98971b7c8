/*
 * model.h - the state of one simulation (model.md): the event engine, the
 * mm, the SMMUs with their caches and queues, the devices, the host fault
 * path and the CPU agents. Private to targets/sim/.
 *
 * One `struct sim` is one run: no globals, no threads inside, all randomness
 * from sim->rng, so the same params + seed give the same results anywhere.
 */
#ifndef SVABENCH_SIM_MODEL_H
#define SVABENCH_SIM_MODEL_H

#include "../sva_pte.h" /* PTE_PRESENT, PTE_WRITE, ... */
#include "sim.h"
#include "../../lib/metrics.h"

#include <math.h>
#include <stdint.h>

/* Counters, in the order they are reported; the names are api.md's. */
#define SIM_COUNTERS(X)                                              \
	X(dma_transactions, "dma.transactions")                      \
	X(dma_bytes, "dma.bytes")                                    \
	X(dma_livelocked, "dma.livelocked")                          \
	X(dma_errors, "dma.errors")                                  \
	X(dma_passes, "dma.passes")                                  \
	X(fault_translation, "fault.translation")                    \
	X(fault_permission, "fault.permission")                      \
	X(fault_refaults, "fault.refaults")                          \
	X(fault_spurious, "fault.spurious")                          \
	X(fault_stalls, "fault.stalls")                              \
	X(fault_pri_requests, "fault.pri_requests")                  \
	X(fault_responses, "fault.responses")                        \
	X(fault_lost, "fault.lost")                                  \
	X(fault_device, "fault.device_handled")                      \
	X(evtq_overflows, "evtq.overflows")                          \
	X(priq_overflows, "priq.overflows")                          \
	X(stall_max_hits, "fault.stall_max_hits")                    \
	X(oracle_violations, "oracle.coherence_violations")          \
	X(cmd_tlbi_nh_va, "cmd.tlbi_nh_va")                          \
	X(cmd_tlbi_nh_va_range, "cmd.tlbi_nh_va_range")              \
	X(cmd_tlbi_nh_asid, "cmd.tlbi_nh_asid")                      \
	X(cmd_atc_inv, "cmd.atc_inv")                                \
	X(cmd_sync, "cmd.sync")                                      \
	X(cmd_resume, "cmd.resume")                                  \
	X(cmd_pri_resp, "cmd.pri_resp")                              \
	X(cmd_cfgi_cd, "cmd.cfgi_cd")                                \
	X(cmdq_submissions, "cmdq.submissions")                      \
	X(cmdq_sync_wait_ns, "cmdq.sync_wait_ns")                    \
	X(cmdq_busy_ns, "cmdq.busy_ns")                              \
	X(cmdq_full_waits, "cmdq.full_waits")                        \
	X(cmdq_order_violations, "cmdq.order_violations")            \
	X(cmdq_contention_ns, "cmdq.contention_ns")                  \
	X(cpu_upgrades, "cpu.upgrades")                              \
	X(cpu_downgrades, "cpu.downgrades")                          \
	X(cpu_faults, "cpu.faults")                                  \
	X(cpu_ops, "cpu.ops")                                        \
	X(cpu_busy_ns, "cpu.busy_ns")                                \
	X(cpu_invalidation_ns, "cpu.invalidation_ns")                \
	X(host_fault_ns, "host.fault_handling_ns")                   \
	X(mm_upgrades, "mm.upgrades")                                \
	X(mm_faults_new, "mm.faults_new")                            \
	X(mm_faults_reuse, "mm.faults_reuse")                        \
	X(mm_faults_copy, "mm.faults_copy")                          \
	X(mm_faults_spurious, "mm.faults_spurious")                  \
	X(mm_migrations, "mm.migrations")                            \
	X(notifier_calls, "notifier.calls")                          \
	X(smmu_tlb_hits, "smmu.tlb_hits")                            \
	X(smmu_walk_cache_hits, "smmu.walk_cache_hits")              \
	X(atc_hits, "atc.hits")                                      \
	X(atc_misses, "atc.misses")                                  \
	X(pmcg_transaction, "pmcg.transaction")                      \
	X(pmcg_tlb_miss, "pmcg.tlb_miss")                            \
	X(pmcg_config_cache_miss, "pmcg.config_cache_miss")          \
	X(pmcg_trans_table_walk_access, "pmcg.trans_table_walk_access") \
	X(pmcg_config_struct_access, "pmcg.config_struct_access")    \
	X(pmcg_pcie_ats_trans_rq, "pmcg.pcie_ats_trans_rq")          \
	X(pmcg_pcie_ats_trans_passed, "pmcg.pcie_ats_trans_passed") \
	X(cost_device_ns, "cost.device_ns")                          \
	X(host_fault_inv_ns, "host.fault_invalidation_ns")

struct counters {
#define X(field, name) uint64_t field;
	SIM_COUNTERS(X)
#undef X
};

/* ---- engine.c: events, PRNG, histograms ---- */

enum ev_type {
	EV_DEV_ISSUE,   /* a = device, b = slot: issue or retry the slot's transaction */
	EV_DEV_DONE,    /* transaction completed */
	EV_RESUMED,     /* CMD_RESUME consumed: the stalled transaction retries */
	EV_PRI_RESP,    /* CMD_PRI_RESP consumed: the device retries translation */
	EV_FAULT_IRQ,   /* a = smmu, b = 0 evtq / 1 priq: handler thread runs */
	EV_IOPF_RUN,    /* a = smmu, b = work item: a worker handles it */
	EV_IOPF_DONE,   /* a = smmu, b = work item: the worker is free again */
	EV_DEV_FAULT,   /* a = device, b = slot: fault_model device, its driver handles it */
	EV_CPU,         /* a = agent: its next operation */
	EV_PASS_OP,     /* the bulk mm operation between device passes */
	EV_SAMPLE,
};

struct ev {
	uint64_t t;
	uint64_t seq;
	uint32_t type;
	uint32_t a, b;
};

struct evq {
	struct ev *h;
	size_t head, n, cap; /* events h[head, head + n) (head 0 as a heap) */
	int heap;            /* a 4-ary heap, else a sorted array (engine.c) */
};

static inline int ev_before(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

/*
 * Few events are pending in most runs (a handful of slots, agents and the
 * sampler): then the queue is a sorted array h[head, head + n), popped at
 * the front and filled from the back (a new event is mostly later than
 * the rest, so it moves past few), or at the front when it is earlier
 * than all (a fault handler's rerun). Past EVQ_SORTED_MAX pending events it
 * becomes a 4-ary heap (engine.c), and a sorted array again below
 * EVQ_SORTED_MIN. (t, seq) is a total order, so the pop order, and every
 * result, is the same in either form.
 */
#define EVQ_SORTED_MAX 32
#define EVQ_SORTED_MIN 8

/* The heap, a conversion or a full array (engine.c). */
int evq_push_slow(struct evq *q, uint64_t t, uint64_t seq, uint32_t type, uint32_t a, uint32_t b);
int evq_pop_heap(struct evq *q, struct ev *out);

/* seq: larger than every seq pushed before (the run's event counter) */
static inline int evq_push(struct evq *q, uint64_t t, uint64_t seq, uint32_t type, uint32_t a, uint32_t b)
{
	size_t i = q->head + q->n;

	if (q->heap || q->n >= EVQ_SORTED_MAX || i == q->cap)
		return evq_push_slow(q, t, seq, type, a, b);
	if (q->head && q->n && t < q->h[q->head].t) {
		/* earlier than all: in front, where the last pop left room */
		q->h[--q->head] = (struct ev){t, seq, type, a, b};
		q->n++;
		return 0;
	}
	/* the new event's seq is the largest: it goes after every event at t */
	for (; i > q->head && t < q->h[i - 1].t; i--)
		q->h[i] = q->h[i - 1];
	q->h[i] = (struct ev){t, seq, type, a, b};
	q->n++;
	return 0;
}

/*
 * evq_push without the look at the front: for qd, whose new events are
 * mostly the latest (a device's link orders its transaction ends).
 */
static inline int evq_append(struct evq *q, uint64_t t, uint64_t seq, uint32_t type, uint32_t a, uint32_t b)
{
	size_t i = q->head + q->n;

	if (q->heap || q->n >= EVQ_SORTED_MAX || i == q->cap)
		return evq_push_slow(q, t, seq, type, a, b);
	for (; i > q->head && t < q->h[i - 1].t; i--)
		q->h[i] = q->h[i - 1];
	q->h[i] = (struct ev){t, seq, type, a, b};
	q->n++;
	return 0;
}

static inline int evq_pop(struct evq *q, struct ev *out)
{
	if (q->heap)
		return evq_pop_heap(q, out);
	if (!q->n)
		return 0;
	*out = q->h[q->head++];
	if (!--q->n)
		q->head = 0;
	return 1;
}

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);

/* xoshiro256** */
static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* [0, 1) */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* [0, n): Lemire's multiply-shift, no division on the hot path */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/*
 * The threshold that makes rng_chance(r, thr) the same draw as
 * rng_unit(r) < p: k * 2^-53 < p exactly when k < ceil(p * 2^53) (for the
 * integer k that rng_unit scales; p * 2^53 is exact for p in [0, 1]).
 */
static inline uint64_t rng_chance_thr(double p)
{
	return (uint64_t)ceil(p * 0x1.0p53);
}

/* rng_unit(r) < p without the conversion to double (thr from rng_chance_thr). */
static inline int rng_chance(struct rng *r, uint64_t thr)
{
	return (rng_next(r) >> 11) < thr;
}

double rng_exp(struct rng *r, double mean);

/* The ziggurat's tables (engine.c), once per process: before rng_normal. */
void rng_normal_init(void);
/* The ziggurat past its first test, from the draw `bits` (engine.c). */
double rng_normal_slow(struct rng *r, uint64_t bits);
extern const double *const rng_zx, *const rng_zr;

/* A standard normal deviate (engine.c: the ziggurat; its first test here). */
static inline double rng_normal(struct rng *r)
{
	uint64_t bits = rng_next(r);
	unsigned i = (unsigned)(bits & 127);
	double u = 2 * ((double)(bits >> 11) * 0x1.0p-53) - 1;

	if (fabs(u) < rng_zr[i])
		return u * rng_zx[i];
	return rng_normal_slow(r, bits);
}

/*
 * Log-linear histogram: 16 sub-buckets per power of two, ~6% resolution.
 * g[] sums each run of 16 buckets so a quantile skips empty or passed
 * octaves whole (same bucket found, fewer steps per sample).
 */
#define HIST_BUCKETS (64 * 16)
struct hist {
	uint64_t b[HIST_BUCKETS];
	uint64_t g[HIST_BUCKETS / 16];
	uint64_t n, max;
};

/* Values below 16 get their own bucket; above, 16 sub-buckets per octave. */
static inline unsigned hist_bucket_of(uint64_t v)
{
	unsigned e;

	if (v < 16)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* e >= 4 */
	return (e - 3) * 16 + (unsigned)((v >> (e - 4)) & 15);
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	unsigned b = hist_bucket_of(v);

	h->b[b]++;
	h->g[b / 16]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

uint64_t hist_quantile(const struct hist *h, double q);
/* Several quantiles (ascending qs) in one pass over the buckets. */
void hist_quantiles(const struct hist *h, const double *qs, int n, uint64_t *out);

/* ---- the mm ---- */

struct pte {
	uint64_t pending_until; /* a downgrade's invalidation completes then */
	uint32_t pfn;
	uint32_t gen;           /* bumped by every change */
	uint8_t flags;
};

static inline int pte_hw_writable(const struct pte *p)
{
	return (p->flags & (PTE_PRESENT | PTE_RDONLY)) == PTE_PRESENT &&
	       (p->flags & PTE_WRITE);
}

/* ---- SMMU caches ---- */

struct tlb_entry {
	uint64_t key;   /* vpn (TLB, ATC) or table index (walk cache) */
	uint32_t pfn;
	uint32_t gen;   /* valid while == cache->gen (TLBI_NH_ASID bumps it); 0: invalidated */
	uint32_t lru;
	uint8_t writable;
	uint8_t dbm;    /* writable-clean: HTTU may set it dirty in hardware */
};

struct tlb {
	struct tlb_entry *e;
	size_t set_bytes;    /* ways * sizeof(*e) */
	uint32_t sets, ways, gen, clock;
	/*
	 * Every key inserted since the last tlb_inv_all() lies in [kmin, kmax]:
	 * an invalidation outside it would find nothing, and is skipped.
	 */
	uint64_t kmin, kmax;
};

static inline struct tlb_entry *tlb_set_of(const struct tlb *t, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return (struct tlb_entry *)((char *)t->e + (size_t)(((h >> 32) * t->sets) >> 32) * t->set_bytes);
}

/* The entry for key, made the most recently used; NULL on a miss. */
static inline struct tlb_entry *tlb_lookup(struct tlb *t, uint64_t key)
{
	struct tlb_entry *e = tlb_set_of(t, key);
	uint32_t gen = t->gen;

	for (uint32_t w = 0; w < t->ways; w++) {
		if (e[w].key == key && e[w].gen == gen) {
			e[w].lru = ++t->clock;
			return &e[w];
		}
	}
	return NULL;
}

/* ---- command queue ---- */

enum cmd_op {
	CMD_TLBI_NH_VA,
	CMD_TLBI_NH_VA_RANGE,
	CMD_TLBI_NH_ASID,
	CMD_ATC_INV,
	CMD_SYNC,
	CMD_RESUME,
	CMD_PRI_RESP,
	CMD_CFGI_CD,
};

struct cmd {
	uint8_t op;
	uint8_t leaf;
	uint16_t dev;     /* ATC_INV, RESUME, PRI_RESP: the device */
	uint32_t slot;    /* RESUME, PRI_RESP: the waiting slot */
	uint64_t vpn;     /* first page (granule pages; ATC_INV: 4 KiB pages) */
	uint64_t npages;  /* 0 = everything */
};

/*
 * *d = *c field by field: a struct copy is two vector moves, and a 16-byte
 * load of a command just written by scalar stores waits for them (no
 * store forwarding); the same for fault records.
 */
static inline void cmd_copy(struct cmd *d, const struct cmd *c)
{
	d->op = c->op;
	d->leaf = c->leaf;
	d->dev = c->dev;
	d->slot = c->slot;
	d->vpn = c->vpn;
	d->npages = c->npages;
}

/* A command whose effect is due at `t` (consumption time); seq breaks ties. */
struct effect {
	uint64_t t, seq;
	struct cmd c;
};

/* A stretch of time the queue is busy consuming commands: [a, b). */
struct span {
	uint64_t a, b;
};

#define CMDQ_BATCH_ENTRIES 64

/* A CPU context inside arm_smmu_cmdq_issue_cmdlist() until `until`. */
struct producer {
	uint32_t ctx;
	uint64_t until;
};

struct cmdq {
	struct producer *prod; /* producers active lately, at most cmdq_prod_cap */
	uint32_t nprod, prod_cap;
	uint64_t *done;     /* ring of consumption times, cmdq_depth long */
	uint64_t ncmds;     /* commands ever queued */
	uint64_t head;      /* ncmds % depth, kept so (no division per command) */
	/*
	 * When the queue is busy, sorted and disjoint. A CPU operation is
	 * simulated whole, so its later submissions are placed before another
	 * CPU's earlier ones are: a command takes the first gap at or after
	 * its arrival, as the in-order queue would have consumed it.
	 */
	struct span *busy;
	uint32_t nbusy, busy_cap;
	int tlbi_unsynced;  /* a TLBI queued with no CMD_SYNC after it yet */
	struct effect *fx;  /* pending effects, a heap by (t, seq) */
	size_t fx_n, fx_cap;
	uint64_t fx_seq;
};

/* ---- host fault path ---- */

struct fault_rec {
	uint16_t dev;
	uint32_t slot;
	uint64_t vpn;
	uint8_t write, pri;
	uint8_t perm;        /* a permission fault (else translation) */
	uint8_t npages;      /* PRI page request group size */
};

static inline void fault_rec_copy(struct fault_rec *d, const struct fault_rec *f)
{
	d->dev = f->dev;
	d->slot = f->slot;
	d->vpn = f->vpn;
	d->write = f->write;
	d->pri = f->pri;
	d->perm = f->perm;
	d->npages = f->npages;
}

/* (head + i) % size for head < size and i <= size, without a division. */
static inline uint32_t ring_idx(uint32_t head, uint32_t i, uint32_t size)
{
	uint32_t j = head + i;

	return j >= size ? j - size : j;
}

struct fault_queue {     /* event queue or PRI queue */
	struct fault_rec *r;
	uint32_t depth, head, n;
	uint8_t thread_busy;
};

struct work {
	struct fault_rec f;
	uint8_t in_use;
};

struct smmu {
	int id;
	struct tlb tlb, walk;
	uint32_t *cfg_sids;  /* configuration cache: StreamIDs, LRU order */
	uint32_t cfg_n, cfg_cap;
	uint32_t cfg_mru;    /* cfg_sids[0], UINT32_MAX while empty (no StreamID is) */
	struct cmdq q;
	struct fault_queue evtq, priq;
	uint32_t stalls;
	struct work *work;   /* work items, indexed by event b */
	uint32_t nwork;
	uint32_t *pending;   /* dispatched work waiting for a worker (FIFO) */
	uint32_t pend_head, pend_n;
	uint32_t workers_busy;
	int ats_masters;
};

/* ---- devices ---- */

enum slot_state { SLOT_IDLE, SLOT_BUSY, SLOT_WAIT };

struct slot {
	uint8_t state;
	uint8_t write;
	uint8_t rtw_second;  /* read-then-write: the write half is next */
	uint8_t perm;        /* its last fault was a permission fault */
	uint64_t vpn;
	uint64_t start;
	uint32_t faults;     /* faults of this transaction */
	uint32_t stuck;      /* faults with no PTE change in between */
	uint32_t last_gen;
	uint32_t last_vpn_valid;
};

struct device {
	int id, smmu, sid;
	struct slot *slots;
	struct tlb atc;
	uint64_t lo, hi;       /* the device's share of the buffer [lo, hi) */
	uint64_t cursor;
	uint64_t link_free;
	uint32_t pri_inflight;
	uint32_t waiting_credit; /* slots blocked on PRI credits, FIFO */
	uint32_t *credit_q;
	uint32_t credit_head;
	int pass_done;
};

/* ---- CPU agents ---- */

struct agent {
	int kind;            /* enum agent_kind (workload.c) */
	uint64_t next;       /* scheduled time of the next operation */
	uint64_t range_left; /* softdirty: upgrades left in the current range */
	uint64_t range_lo;
	int toggled;         /* mprotect-toggle: the range is read-only */
	int has_pending;     /* churn: a page waits to be re-dirtied */
	uint64_t pending_vpn;
	uint64_t cycles;     /* munmap-large, dma-unmap: map + unmap cycles done */
	uint64_t ops;        /* operations done */
};

/* ---- one run ---- */

struct sim {
	const double *p;
	uint64_t pu[SIM_NPARAMS]; /* p[] as unsigned integers, converted once (par_u) */
	int workload, strategy;
	uint64_t now, end;
	/*
	 * Pending events in three queues, one order: (t, seq) over all. Samples
	 * and CPU agents (qf) are scheduled far ahead; transaction ends (qd)
	 * come in time order per device (its link serializes them), so they
	 * are appended; the rest of the near events (the fault path) in q.
	 */
	struct evq q, qd, qf;
	struct ev far;       /* qf's first event; t UINT64_MAX when qf is empty */
	uint64_t seq;
	struct rng rng;
	struct counters c;
	struct hist dma_lat, cpu_fault_lat;
	uint64_t events, max_events;
	uint64_t fx_next;    /* earliest pending command effect, any SMMU */
	int failed;
	char reason[256];

	/* derived parameters */
	double jitter_sigma; /* host_jitter as a log-normal sigma */
	double jitter_half;  /* sigma^2 / 2: the multiplier exp(sigma z - sigma^2 / 2) has mean 1 */
	uint64_t cmd_ns[CMD_CFGI_CD + 1]; /* consumption per opcode (CMD_SYNC: completion) */
	uint64_t *cmd_count[CMD_CFGI_CD + 1]; /* the cmd.* counter of each opcode */
	uint64_t sync_busy_ns;            /* CMD_SYNC occupancy, at most its completion */
	uint64_t page_bytes, max_tlbi_ops, xfer_ns;
	int levels, level_bits, ats, pri;
	int kernel;          /* enum sim_kernel */
	int fm;              /* resolved fault model: FM_STALL, FM_PRI or FM_DEVICE */
	int arch_notifier;   /* notifier: the v6.6+ design, called from arch TLB flushes */
	int empty_range;     /* the arch range-flush notifier gets (end, end): v6.6..v6.13 */
	int per_domain;      /* one notifier per (device domain, mm): before v6.11 */
	int btm_driver;      /* btm and a driver that still had the BTM branches (< v6.11) */
	int upgrade_broadcast; /* the upgrade flush is a broadcast TLBI (<= v6.18) */
	int fix_a;           /* a pri-inv* strategy */
	int fix_applicable;  /* 0: the strategy's fix cannot act on this fault model */
	int pass_wl;         /* rw-reuse, first-touch: devices work in passes */
	int pattern, txn_cursor; /* the device pattern; 1: pages taken in order */
	int write_all;       /* write_fraction >= 1 */
	double write_fraction;
	uint64_t write_thr, hot_thr; /* write_fraction, hot_fraction for rng_chance */

	/* mm: device buffer [0, pages), CPU region, munmap region */
	struct pte *mm;
	uint64_t npages_total, buf_pages, cpu_lo, cpu_n, map_lo, map_n;
	uint32_t next_pfn;

	struct smmu *smmus;
	int nsmmus;
	struct device *devs;
	int ndevs;
	struct agent *agents;
	int nagents;
	int pass_pending;    /* the bulk op between passes is queued */
	uint32_t ctx;        /* the CPU context running now (cmdq contention) */

	/* examples for the result */
	struct run_result *res;
	int n_oracle_examples, n_livelock_examples;

	const struct run_sink *sink;
	struct metrics *sample_m;
	const char *sample_names[192]; /* the names a sample set, in order (model.c) */
	int sample_counters_named; /* sample_names holds every counter's (model.c) */
	struct cmd *scratch;   /* command building space (mm.c) */
	size_t scratch_cap;
};

/* smmu.c */
int smmu_init(struct sim *s, struct smmu *m, int id);
void smmu_free(struct smmu *m);
int tlb_init(struct tlb *t, uint32_t entries, uint32_t ways);
void tlb_free(struct tlb *t);
void tlb_insert(struct tlb *t, uint64_t key, uint32_t pfn, int writable, int dbm);
void tlb_inv(struct tlb *t, uint64_t key);
void tlb_inv_range(struct tlb *t, uint64_t key, uint64_t n);
void tlb_inv_all(struct tlb *t);

struct xlate {
	int ok;           /* 0: fault */
	int perm_fault;   /* the fault is a permission fault (else translation) */
	int writable;
	uint32_t pfn;
	uint64_t lat;
};

/* The configuration cache's miss or reorder (smmu.c); returns its latency. */
uint64_t cfg_lookup_slow(struct sim *s, struct smmu *m, uint32_t sid);
/* A TLB miss or a cached read-only entry a write needs (smmu.c). */
struct xlate smmu_translate_miss(struct sim *s, struct smmu *m, uint64_t vpn, int write,
				 const struct tlb_entry *e, uint64_t lat);
/*
 * Queues n commands at time t as the Linux driver does (batches of 64; a
 * CMD_SYNC appended when `sync`); returns the time the CPU is free again:
 * after the SYNC completes when `sync`, else once the commands are written.
 */
uint64_t cmdq_submit(struct sim *s, struct smmu *m, uint64_t t,
		     const struct cmd *cmds, size_t n, int sync);
/* cmdq_submit of the n commands {TLBI_NH_VA, vpn + k, 1 page}, without building them. */
uint64_t cmdq_submit_pages(struct sim *s, struct smmu *m, uint64_t t, uint64_t vpn,
			   size_t n, int sync);
/* Per-run command costs from the parameters (setup). */
void cmdq_costs(struct sim *s);
/* Applies every command effect due by time t (the check inline: most events have none due). */
void cmdq_catch_up_due(struct sim *s, uint64_t t);
static inline void cmdq_catch_up(struct sim *s, uint64_t t)
{
	if (t >= s->fx_next)
		cmdq_catch_up_due(s, t);
}

/* mm.c */
int mm_init(struct sim *s);
/* What handle_mm_fault did, and when the handler is done with it. */
enum fault_kind { FK_SPURIOUS, FK_REUSE, FK_COPY, FK_NEW, FK_SEGV };
enum fault_kind mm_handle_fault(struct sim *s, uint64_t vpn, int write,
				uint64_t t, uint64_t *t_done);
/* The CPU side: each returns when the calling thread is done. */
uint64_t mm_cpu_write(struct sim *s, uint64_t vpn, uint64_t t);
uint64_t mm_wrprotect_page(struct sim *s, uint64_t vpn, int clean_only, uint64_t t);
uint64_t mm_wrprotect_range(struct sim *s, uint64_t lo, uint64_t n, uint64_t t);
uint64_t mm_fork(struct sim *s, uint64_t t);
uint64_t mm_zap_range(struct sim *s, uint64_t lo, uint64_t n, uint64_t t);
uint64_t mm_populate(struct sim *s, uint64_t lo, uint64_t n, uint64_t t);
uint64_t mm_dma_unmap(struct sim *s, uint64_t lo, uint64_t n, uint64_t t);
uint64_t mm_migrate_page(struct sim *s, uint64_t vpn, uint64_t t);
uint64_t mm_mprotect(struct sim *s, uint64_t lo, uint64_t n, int writable, uint64_t t);
/* The SVA driver's invalidation of [vpn, vpn+n) (n = 0: all) on every SMMU. */
uint64_t sva_invalidate(struct sim *s, uint64_t vpn, uint64_t n, uint64_t t);
uint64_t new_pfn(struct sim *s);

/* device.c */
int devices_init(struct sim *s);
void devices_start(struct sim *s);
void dev_issue(struct sim *s, int d, int slot);
void dev_done(struct sim *s, int d, int slot);
void dev_resumed(struct sim *s, int d, int slot, int pri);
void dev_fault_handled(struct sim *s, int d, int slot);
void fault_irq(struct sim *s, int smmu, int pri);
void iopf_run(struct sim *s, int smmu, int w);
void iopf_done(struct sim *s, int smmu, int w);
void devices_resume_pass(struct sim *s);
void devices_free(struct sim *s);

/* workload.c */
int agents_init(struct sim *s);
/* An agent's nominal operations per second. */
double agent_rate(const struct sim *s, const struct agent *a);
void agent_step(struct sim *s, int a);
void pass_op(struct sim *s);
void pass_finished(struct sim *s);
/* Ends the run at t (before duration_us): the passes or cycles asked for are done. */
void sim_end(struct sim *s, uint64_t t);

/*
 * cost.c: cost.* from the counters (docs/verdicts.md), in report order:
 * names[k] (static strings), v[k], null[k] (no value: no work done).
 */
#define SIM_COST_METRICS 6
int sim_cost_values(const struct counters *c, const char **names, double *v, int *null);

/* model.c */
int sim_schedule_failed(struct sim *s);
/* Samples and CPU agents: to qf (model.c). */
int sim_schedule_far(struct sim *s, uint64_t t, uint32_t type, uint32_t a, uint32_t b);
static inline __attribute__((always_inline)) int sim_schedule(struct sim *s, uint64_t t, uint32_t type, uint32_t a, uint32_t b)
{
	if (type == EV_SAMPLE || type == EV_CPU)
		return sim_schedule_far(s, t, type, a, b);
	if (type == EV_DEV_DONE)
		return evq_append(&s->qd, t, s->seq++, type, a, b) ? sim_schedule_failed(s) : 0;
	return evq_push(&s->q, t, s->seq++, type, a, b) ? sim_schedule_failed(s) : 0;
}
void sim_example(struct sim *s, int oracle, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline uint64_t par_u(const struct sim *s, int i)
{
	return s->pu[i];
}

/* Translates one access at the SMMU (config cache, TLB, walker). */
static inline struct xlate smmu_translate(struct sim *s, struct smmu *m, int sid,
					  uint64_t vpn, int write)
{
	uint64_t lat = (m->cfg_mru == (uint32_t)sid ? 0 : cfg_lookup_slow(s, m, (uint32_t)sid)) +
		       par_u(s, P_TLB_HIT_NS);
	struct tlb_entry *e = tlb_lookup(&m->tlb, vpn);

	s->c.pmcg_transaction++;
	/* | not ||: the read/write choice is random, a branch on it mispredicts */
	if (e && ((unsigned)!write | e->writable)) {
		s->c.smmu_tlb_hits++;
		return (struct xlate){1, 0, e->writable, e->pfn, lat};
	}
	return smmu_translate_miss(s, m, vpn, write, e, lat);
}

#endif
