/*
 * compare.c - strategies against a baseline, per cell and metric, the way
 * Perfherder, Conbench and mmtests' compare-kernels answer "is B slower
 * than A, by how much, how sure are we": per strategy the median and
 * spread over repetitions; against the baseline the ratio of medians with
 * a bootstrap 95 % CI, a Mann-Whitney U p-value and a verdict (api.md's
 * contract, docs/verdicts.md): correctness first (`not a fix` where the
 * target says the strategy cannot act, `broken` where it livelocked or
 * broke coherence: no cost verdict), then `insufficient data` where the
 * test cannot decide (too few repetitions to reach alpha, too few events,
 * the U test and the CI disagree), then `within noise` / `better` /
 * `worse`. Each entry carries the reason and the minimum detectable
 * effect. Warnings say when the data cannot support a verdict (too few
 * repetitions, failed runs, unequal work). A 2-D numeric sweep also gets
 * the crossover map: where each of two fixes is cheaper, on any metric.
 */
#include "core.h"
#include "../lib/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CI_LEVEL 0.95
#define METRICS_MAX 64
#define CROSSOVER_METRIC "cost.total_ns_per_op"   /* the headline */
#define CROSSOVER_FALLBACK "cpu.invalidation_ns"   /* documents without cost.* */
#define POWER_Z 0.8416212335729143                 /* z of 80 % power */

/*
 * The metrics compared by default, derived ones (cmd.tlbi_total), which is
 * better and the strategies that are wrong on purpose come from the one
 * vocabulary (lib/vocab.c).
 */
#define NDEFAULT vocab_view_count(VIEW_COMPARE)

/* A metric as this comparison reads it: the indexes of its parts in r->names. */
struct sel {
	const char *name;
	long idx[METRIC_PARTS_MAX];   /* -1: never reported */
	size_t nparts;
	int higher;
};

/* Median and spread of one strategy's values in one cell. */
struct summary {
	size_t n;
	double median, p25, p75, min, max;
};

/* One strategy against the baseline. */
struct versus {
	double ratio, lo, hi, p;
	double mde;            /* minimum detectable effect, relative; NAN: none */
	double events;         /* the fewer side's events behind this metric; NAN: unknown */
	int have_ci, ci_u;     /* ci_u: the U test's own CI, else the bootstrap's */
	const char *verdict;
	char reason[200];
};

/* What a strategy did to correctness in one cell, over its done runs. */
struct health {
	double livelocked, violations;
	int not_a_fix;         /* some run reported fix.applicable = 0 */
	double cpu_ops, dma_txns; /* medians per run, NAN when not reported */
	double events[3];      /* sums over runs: cpu.ops, dma.transactions, both; NAN: unknown */
};

struct ctx {
	const struct results *r;
	const struct spec *s;
	const struct compare_opts *o;
	struct sel *sel;
	size_t nsel;
	size_t base;           /* index into s->strategies */
	double *vals;          /* nstrategies x repetitions, scratch */
	size_t *nvals;         /* nstrategies */
	struct health *health; /* nstrategies, of the cell being compared */
	size_t nunequal;       /* cells where a correct strategy did unequal work */
	size_t first_unequal;
	const char *unequal_who;
};

int metric_higher_is_better(const char *name)
{
	const struct metric_info *m = vocab_metric(name);

	return m && m->direction == METRIC_HIGHER;
}

/* The vocabulary's entry of a derived metric (a sum of parts), or NULL. */
static const struct metric_info *find_derived(const char *name)
{
	const struct metric_info *m = vocab_metric(name);

	return m && m->parts[0] ? m : NULL;
}

static const char *default_metric(size_t k)
{
	return vocab_view_at(VIEW_COMPARE, k)->name;
}

/* "a, b, c" of the default set into buf, cut after the last name that fits. */
static void join_defaults(char *buf, size_t len)
{
	size_t n = NDEFAULT, used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", default_metric(k));

		if (w < 0 || (size_t)w + 5 >= len - used) {
			snprintf(buf + used, len - used, "%s", k ? ", ..." : "...");
			return;
		}
		used += (size_t)w;
	}
}

static const char *strategy_name(const struct spec *s, size_t k)
{
	return s->target->strategies[s->strategies[k]].name;
}

static size_t run_index(const struct spec *s, size_t cell, int rep, size_t k)
{
	return (cell * (size_t)s->repetitions + (size_t)rep) * s->nstrategies + k;
}

void compare_defaults(struct compare_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->noise = 0.05;
	o->alpha = 0.05;
	o->iters = 2000;
	o->min_events = COMPARE_MIN_EVENTS;
}

static long name_index(const struct results *r, const char *name)
{
	for (size_t j = 0; j < r->nnames; j++)
		if (!strcmp(r->names[j], name))
			return (long)j;
	return -1;
}

/* Fills sel for name; 0 when some run reported it (or a part of it). */
static int sel_init(const struct results *r, const char *name, struct sel *sel)
{
	const struct metric_info *d = find_derived(name);
	int seen = 0;

	memset(sel, 0, sizeof(*sel));
	sel->name = d ? d->name : name;
	sel->higher = metric_higher_is_better(name);
	for (size_t k = 0; k < METRIC_PARTS_MAX; k++) {
		const char *part = d ? (k < METRIC_PARTS_MAX ? d->parts[k] : NULL) : (k ? NULL : name);

		if (!part)
			break;
		sel->idx[k] = name_index(r, part);
		seen |= sel->idx[k] >= 0;
		sel->nparts = k + 1;
	}
	return seen ? 0 : -1;
}

/* "a, b, c" of n names into buf, cut after the last name that fits. */
static void join(char *buf, size_t len, const char *const *list, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", list[k]);

		if (w < 0 || (size_t)w + 5 >= len - used) {
			snprintf(buf + used, len - used, "%s", k ? ", ..." : "...");
			return;
		}
		used += (size_t)w;
	}
}

/* The metrics of this comparison; -1 with a message naming the allowed ones. */
static int select_metrics(struct ctx *c, char *err, size_t elen)
{
	const struct compare_opts *o = c->o;
	const struct results *r = c->r;
	size_t n = o->metrics ? o->nmetrics : NDEFAULT;

	if (o->metrics && !n) {
		error_into(err, elen, "no metric given; the default set is used when none is asked for");
		return -1;
	}
	if (n > METRICS_MAX) {
		error_into(err, elen, "too many metrics: %zu, at most %d", n, METRICS_MAX);
		return -1;
	}
	c->sel = xcalloc(n, sizeof(*c->sel));
	for (size_t k = 0; k < n; k++) {
		const char *name = o->metrics ? o->metrics[k] : default_metric(k);
		struct sel *sel = &c->sel[c->nsel];
		int dup = 0, reported;

		for (size_t j = 0; j < c->nsel; j++)
			dup |= !strcmp(c->sel[j].name, name);
		if (dup)
			continue;
		reported = !sel_init(r, name, sel);
		if (o->metrics && !reported && !(vocab_metric(name) && (vocab_metric(name)->views & VIEW_COMPARE)) &&
		    !find_derived(name)) {
			/* short enough for an API error message (1 KiB) */
			char defaults[400], names[560];

			join_defaults(defaults, sizeof(defaults));
			if (r->nnames)
				join(names, sizeof(names), (const char *const *)r->names, r->nnames);
			else
				snprintf(names, sizeof(names), "(no run has finished yet)");
			error_into(err, elen, "unknown metric '%.60s'; allowed: the default set (%s) or a "
				   "metric the runs reported: %s", name, defaults, names);
			return -1;
		}
		/* The default set leaves out what this target does not measure. */
		if (!o->metrics && !reported && r->ndone)
			continue;
		c->nsel++;
	}
	return 0;
}

/* The baseline's index in s->strategies; -1 with a message. */
static int select_baseline(struct ctx *c, json_t *warnings, char *err, size_t elen)
{
	const struct spec *s = c->s;
	const char *want = c->o->baseline;

	if (want) {
		char names[512];
		const char *list[64];
		size_t n = s->nstrategies < 64 ? s->nstrategies : 64;

		for (size_t k = 0; k < s->nstrategies; k++) {
			if (!strcmp(strategy_name(s, k), want)) {
				c->base = k;
				return 0;
			}
		}
		for (size_t k = 0; k < n; k++)
			list[k] = strategy_name(s, k);
		join(names, sizeof(names), list, n);
		error_into(err, elen, "unknown baseline '%s'; the experiment's strategies: %s", want, names);
		return -1;
	}
	for (size_t k = 0; k < s->nstrategies; k++) {
		const struct strategy_role *role = vocab_strategy(strategy_name(s, k));

		if (role && role->reference) {
			c->base = k;
			return 0;
		}
	}
	for (size_t k = 0; k < s->nstrategies; k++) {
		if (!vocab_strategy_incorrect(strategy_name(s, k))) {
			c->base = k;
			return 0;
		}
	}
	c->base = 0;
	if (s->nstrategies > 1) {
		char w[256];

		snprintf(w, sizeof(w), "no correct strategy in the experiment: the baseline is %s, "
				       "which is wrong on purpose", strategy_name(s, 0));
		json_array_append_new(warnings, json_string(w));
	}
	return 0;
}

/* Run i's value of sel: 1 with *v, 0 when it has none. */
static int run_value(const struct results *r, size_t i, const struct sel *sel, double *v)
{
	const struct run_record *rec = &r->runs[i];
	double sum = 0;
	int have = 0;

	for (size_t k = 0; k < sel->nparts; k++) {
		long j = sel->idx[k];

		if (j < 0 || (size_t)j >= rec->nvalues || rec->state[j] != 1)
			continue;
		sum += rec->values[j];
		have = 1;
	}
	*v = sum;
	return have;
}

/* Gathers every strategy's values of sel in cell into c->vals / c->nvals. */
static void gather(struct ctx *c, size_t cell, const struct sel *sel)
{
	const struct spec *s = c->s;
	size_t reps = (size_t)s->repetitions;

	for (size_t k = 0; k < s->nstrategies; k++) {
		double *v = c->vals + k * reps;

		c->nvals[k] = 0;
		for (int rep = 0; rep < s->repetitions; rep++) {
			size_t i = run_index(s, cell, rep, k);

			if (c->r->runs[i].status == RUN_DONE && run_value(c->r, i, sel, &v[c->nvals[k]]))
				c->nvals[k]++;
		}
	}
}

static struct summary summarize(const double *v, size_t n)
{
	struct summary m = {.n = n};
	double *tmp = n ? malloc(n * sizeof(*tmp)) : NULL;

	m.median = m.p25 = m.p75 = m.min = m.max = NAN;
	if (!tmp)
		return m;
	memcpy(tmp, v, n * sizeof(*tmp));
	m.median = stats_median(tmp, n);
	m.p25 = stats_quantile(tmp, n, 0.25);
	m.p75 = stats_quantile(tmp, n, 0.75);
	m.min = tmp[0];       /* sorted by the quantiles */
	m.max = tmp[n - 1];
	free(tmp);
	return m;
}

/* A seed that depends only on what is compared, so the answer is reproducible
 * offline, in svabenchd and after an export and import alike. */
static uint64_t ci_seed(const struct spec *s, size_t cell, const char *metric, const char *strategy)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ s->seed;
	const char *parts[2] = {metric, strategy};

	h = (h ^ (uint64_t)cell) * 0x100000001b3ULL;
	for (int k = 0; k < 2; k++) {
		for (const char *p = parts[k]; *p; p++)
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;
	}
	return h;
}

/* ---- correctness, events, power ---- */

/* The smallest two-sided p the U test can give for samples of m and n
 * untied values: both sides apart, 2 / C(m+n, m) exactly, else by the
 * normal approximation. */
static double min_p(size_t m, size_t n)
{
	double c = 1, mu, sigma;

	if (!m || !n)
		return 1;
	if (m < 50 && n < 50) {
		for (size_t i = 1; i <= m; i++)
			c = c * (double)(n + i) / (double)i;
		return fmin(1, 2 / c);
	}
	mu = (double)m * (double)n / 2;
	sigma = sqrt((double)m * (double)n * (double)(m + n + 1) / 12);
	return erfc((mu - 0.5) / sigma / sqrt(2));
}

/* z with P(Z > z) = q, 0 < q < 1, by bisection on erfc (exact enough). */
static double z_upper(double q)
{
	double lo = -40, hi = 40;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;

		if (0.5 * erfc(mid / sqrt(2)) > q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* Sample variance (n - 1); NAN below 2 values. */
static double variance(const double *v, size_t n)
{
	double mean = 0, ss = 0;

	if (n < 2)
		return NAN;
	for (size_t i = 0; i < n; i++)
		mean += v[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	return ss / (double)(n - 1);
}

/*
 * The minimum detectable effect of comparing a[na] with b[nb], relative to
 * b's median: (z(1 - alpha/2) + z(0.8)) x the standard error of the
 * difference of means (Welch), at least the noise threshold - the change
 * this test would call at 80 % power (Georges et al.'s sizing). NAN when
 * the U test cannot reach alpha at all with these n (no change is
 * detectable), or without a spread or a nonzero baseline.
 */
static double mde(const double *a, size_t na, const double *b, size_t nb, double mb,
		  const struct compare_opts *o)
{
	double va = variance(a, na), vb = variance(b, nb), se;

	if (min_p(na, nb) >= o->alpha || !isfinite(va) || !isfinite(vb) || mb == 0 || !isfinite(mb))
		return NAN;
	se = sqrt(va / (double)na + vb / (double)nb);
	return fmax(o->noise, (z_upper(o->alpha / 2) + POWER_Z) * se / fabs(mb));
}

/* Which work a metric's events are: 0 CPU operations, 1 DMA transactions,
 * 2 both (docs/verdicts.md). */
static int events_basis(const char *name)
{
	static const char *const cpu[] = {"cpu.", "notifier.", "cost.cpu_", NULL};
	static const char *const dev[] = {"dma.", "fault.", "atc.", "pmcg.", "smmu.", "cost.device_",
					  NULL};

	for (int k = 0; cpu[k]; k++)
		if (!strncmp(name, cpu[k], strlen(cpu[k])))
			return 0;
	for (int k = 0; dev[k]; k++)
		if (!strncmp(name, dev[k], strlen(dev[k])))
			return 1;
	return 2;
}

static int all_equal(const double *v, size_t n, double x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != x)
			return 0;
	return 1;
}

/* Run i's value of one reported metric by index: 1 with *v, else 0. */
static int value_at(const struct results *r, size_t i, long j, double *v)
{
	const struct run_record *rec = &r->runs[i];

	if (j < 0 || (size_t)j >= rec->nvalues || rec->state[j] != 1)
		return 0;
	*v = rec->values[j];
	return 1;
}

static double median_of(double *v, size_t n)
{
	return n ? stats_median(v, n) : NAN;
}

/* c->health[k] of every strategy in cell. */
static void cell_health(struct ctx *c, size_t cell)
{
	const struct spec *s = c->s;
	const struct results *r = c->r;
	long il = name_index(r, "dma.livelocked"), iv = name_index(r, "oracle.coherence_violations");
	long ia = name_index(r, "fix.applicable"), ic = name_index(r, "cpu.ops");
	long id = name_index(r, "dma.transactions");
	double *ops = c->vals, *txn = c->vals + s->repetitions;

	for (size_t k = 0; k < s->nstrategies; k++) {
		struct health *h = &c->health[k];
		size_t nops = 0, ntxn = 0;

		memset(h, 0, sizeof(*h));
		for (int rep = 0; rep < s->repetitions; rep++) {
			size_t i = run_index(s, cell, rep, k);
			double v;

			if (r->runs[i].status != RUN_DONE)
				continue;
			if (value_at(r, i, il, &v))
				h->livelocked += v;
			if (value_at(r, i, iv, &v))
				h->violations += v;
			if (value_at(r, i, ia, &v) && v == 0)
				h->not_a_fix = 1;
			if (value_at(r, i, ic, &ops[nops]))
				nops++;
			if (value_at(r, i, id, &txn[ntxn]))
				ntxn++;
		}
		h->events[0] = h->events[1] = 0;
		for (size_t j = 0; j < nops; j++)
			h->events[0] += ops[j];
		for (size_t j = 0; j < ntxn; j++)
			h->events[1] += txn[j];
		if (!nops)
			h->events[0] = NAN;
		if (!ntxn)
			h->events[1] = NAN;
		h->events[2] = !nops && !ntxn ? NAN : (nops ? h->events[0] : 0) + (ntxn ? h->events[1] : 0);
		h->cpu_ops = median_of(ops, nops);
		h->dma_txns = median_of(txn, ntxn);
	}
}

static int is_broken(const struct health *h)
{
	return h->livelocked > 0 || h->violations > 0;
}

static void broken_reason(char *buf, size_t len, const struct health *h)
{
	snprintf(buf, len, "%.0f livelocked transaction%s and %.0f coherence violation%s in this "
			   "cell: no cost verdict", h->livelocked, h->livelocked == 1 ? "" : "s",
		 h->violations, h->violations == 1 ? "" : "s");
}

/*
 * The verdict of strategy k (values a, median ma) against the baseline
 * (b, mb), in this order: not a fix, broken, insufficient data (no values,
 * too few events, too few repetitions for the U test to reach alpha, or the
 * U test is significant but the CI holds 1), within noise (below the noise
 * threshold, or the U test is not significant), better / worse.
 */
static void judge(const struct ctx *c, const struct sel *sel, size_t k, const double *va,
		  const struct summary *a, const double *vb, const struct summary *b,
		  struct versus *v)
{
	const struct compare_opts *o = c->o;
	const struct health *ha = &c->health[k], *hb = &c->health[c->base];
	int basis = events_basis(sel->name), beyond, sig, ci_apart;
	double ev = fmin(ha->events[basis], hb->events[basis]), mp;

	v->events = ev;
	if (ha->not_a_fix) {
		v->verdict = "not a fix";
		snprintf(v->reason, sizeof(v->reason), "fix.applicable is 0: %s cannot act on this "
			 "configuration%s", strategy_name(c->s, k), is_broken(ha) ? " (and it livelocked or broke coherence)" : "");
		return;
	}
	if (is_broken(ha)) {
		v->verdict = "broken";
		broken_reason(v->reason, sizeof(v->reason), ha);
		return;
	}
	v->verdict = "insufficient data";
	if (!a->n || !b->n) {
		snprintf(v->reason, sizeof(v->reason), "no value of %s from %s", sel->name,
			 strategy_name(c->s, a->n ? c->base : k));
		return;
	}
	/* Both sides the same constant: no difference, whatever n is. */
	if (all_equal(va, a->n, a->median) && all_equal(vb, b->n, a->median)) {
		v->verdict = "within noise";
		snprintf(v->reason, sizeof(v->reason), "identical values on both sides");
		return;
	}
	if (isfinite(ev) && ev < o->min_events) {
		snprintf(v->reason, sizeof(v->reason), "%.0f %s in this cell's runs, fewer than %d",
			 ev, basis == 0 ? "CPU operations" : basis == 1 ? "DMA transactions" :
			 "operations (CPU and DMA)", o->min_events);
		return;
	}
	mp = min_p(a->n, b->n);
	if (mp >= o->alpha) {
		snprintf(v->reason, sizeof(v->reason), "%zu and %zu values: the U test's smallest p is "
			 "%.3g, never below alpha %g", a->n, b->n, mp, o->alpha);
		return;
	}
	beyond = b->median != 0 ? fabs(a->median / b->median - 1) >= o->noise : a->median != 0;
	sig = v->p < o->alpha;
	ci_apart = !v->have_ci || v->lo > 1 || v->hi < 1;
	if (!beyond) {
		v->verdict = "within noise";
		snprintf(v->reason, sizeof(v->reason), "the change is below the %g %% noise threshold",
			 o->noise * 100);
		return;
	}
	if (sig && ci_apart) {
		v->verdict = (sel->higher ? a->median > b->median : a->median < b->median) ? "better" : "worse";
		snprintf(v->reason, sizeof(v->reason), "beyond the noise threshold, p %.3g < %g%s",
			 v->p, o->alpha, v->have_ci ? ", the CI excludes 1" : "");
		return;
	}
	if (!sig) {
		/* the test that can reach alpha did not: the primary evidence */
		v->verdict = "within noise";
		snprintf(v->reason, sizeof(v->reason), "not significant: p %.3g >= %g%s", v->p, o->alpha,
			 v->have_ci && !ci_apart ? " and the CI holds 1" : "");
		return;
	}
	snprintf(v->reason, sizeof(v->reason), "the U test (p %.3g) and the 95 %% CI of the ratio "
		 "(which holds 1) disagree: more repetitions decide", v->p);
}

static struct versus versus(const struct ctx *c, size_t cell, const struct sel *sel, size_t k,
			    const struct summary *a, const struct summary *b)
{
	const struct spec *s = c->s;
	size_t reps = (size_t)s->repetitions;
	const double *va = c->vals + k * reps, *vb = c->vals + c->base * reps;
	struct versus v = {.ratio = NAN, .lo = NAN, .hi = NAN, .p = NAN, .mde = NAN, .events = NAN};
	double u;

	if (a->n && b->n) {
		if (b->median != 0)
			v.ratio = a->median / b->median; /* 0/0 and x/0 stay null */
		/* the CI the U test implies where the values allow (positive),
		 * else the bootstrap's of the ratio of medians */
		v.ci_u = !stats_ratio_ci_u(va, a->n, vb, b->n, CI_LEVEL, &v.lo, &v.hi);
		v.have_ci = v.ci_u ||
			    !stats_bootstrap_ratio_ci(va, a->n, vb, b->n, CI_LEVEL, c->o->iters,
						      ci_seed(s, cell, sel->name, strategy_name(s, k)),
						      &v.lo, &v.hi);
		if (!v.have_ci)
			v.lo = v.hi = NAN;
		if (stats_mann_whitney(va, a->n, vb, b->n, &u, &v.p))
			v.p = NAN;
		v.mde = mde(va, a->n, vb, b->n, b->median, c->o);
	}
	judge(c, sel, k, va, a, vb, b, &v);
	return v;
}

/* Integral numbers as JSON integers, others as reals, non-finite as null. */
static json_t *num(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *entry_json(const struct summary *m, const struct versus *v, const struct health *h,
			  int is_base)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	json_put(o, "n", json_integer((json_int_t)m->n), &bad);
	json_put(o, "median", num(m->median), &bad);
	json_put(o, "p25", num(m->p25), &bad);
	json_put(o, "p75", num(m->p75), &bad);
	json_put(o, "min", num(m->min), &bad);
	json_put(o, "max", num(m->max), &bad);
	if (is_base) {
		char why[200] = "";

		json_put(o, "ratio", num(m->n && m->median != 0 ? 1 : NAN), &bad);
		json_put(o, "ci", json_null(), &bad);
		json_put(o, "p", json_null(), &bad);
		json_put(o, "mde", json_null(), &bad);
		/* correctness first, the baseline too */
		if (h->not_a_fix)
			snprintf(why, sizeof(why), "fix.applicable is 0: the baseline cannot act on this "
				 "configuration");
		else if (is_broken(h))
			broken_reason(why, sizeof(why), h);
		json_put(o, "verdict", json_string(h->not_a_fix ? "not a fix" : is_broken(h) ? "broken" :
						   "baseline"), &bad);
		json_put(o, "baseline", json_true(), &bad);
		json_put(o, "reason", why[0] ? json_string(why) : json_null(), &bad);
	} else {
		json_put(o, "ratio", num(v->ratio), &bad);
		json_put(o, "ci", v->have_ci ? json_pack("[oo]", num(v->lo), num(v->hi)) : json_null(), &bad);
		json_put(o, "ci_method", v->have_ci ? json_string(v->ci_u ? "u-test" : "bootstrap") : json_null(),
			 &bad);
		json_put(o, "p", num(v->p), &bad);
		json_put(o, "mde", num(v->mde), &bad);
		json_put(o, "verdict", json_string(v->verdict), &bad);
		json_put(o, "reason", json_string(v->reason), &bad);
		json_put(o, "events", num(v->events), &bad);
	}
	if (is_broken(h) || h->not_a_fix) {
		json_put(o, "livelocked", num(h->livelocked), &bad);
		json_put(o, "violations", num(h->violations), &bad);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {S: {"verdict": "broken"|"not a fix"|"correct", "livelocked", "violations",
 *  "cpu_ops", "dma_transactions", "events"}} of one cell. */
static json_t *correctness_json(const struct ctx *c, int *bad)
{
	const struct spec *s = c->s;
	json_t *o = json_object();

	for (size_t k = 0; o && k < s->nstrategies; k++) {
		const struct health *h = &c->health[k];

		json_put(o, strategy_name(s, k),
			 json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "verdict",
				   h->not_a_fix ? "not a fix" : is_broken(h) ? "broken" : "correct",
				   "livelocked", num(h->livelocked), "violations", num(h->violations),
				   "cpu_ops", num(h->cpu_ops), "dma_transactions", num(h->dma_txns),
				   "events", num(h->events[2])), bad);
	}
	if (!o)
		*bad = 1;
	return o;
}

/* Strategies that did other work than the baseline in this cell (median
 * cpu.ops or dma.transactions apart by more than the noise threshold);
 * broken ones are left out: they do less by being broken. */
static json_t *unequal_json(struct ctx *c, size_t cell, int *bad)
{
	const struct spec *s = c->s;
	const struct health *hb = &c->health[c->base];
	json_t *a = json_array();

	if (!a) {
		*bad = 1;
		return NULL;
	}
	if (is_broken(hb) || hb->not_a_fix)
		return a;
	for (size_t k = 0; k < s->nstrategies; k++) {
		const struct health *h = &c->health[k];
		int differs = 0;

		if (k == c->base || is_broken(h) || h->not_a_fix)
			continue;
		if (isfinite(h->cpu_ops) && isfinite(hb->cpu_ops) && hb->cpu_ops > 0)
			differs |= fabs(h->cpu_ops / hb->cpu_ops - 1) > c->o->noise;
		if (isfinite(h->dma_txns) && isfinite(hb->dma_txns) && hb->dma_txns > 0)
			differs |= fabs(h->dma_txns / hb->dma_txns - 1) > c->o->noise;
		if (!differs)
			continue;
		if (json_array_append_new(a, json_string(strategy_name(s, k))))
			*bad = 1;
		if (!c->nunequal++ || !c->unequal_who) {
			c->first_unequal = cell;
			c->unequal_who = strategy_name(s, k);
		}
	}
	return a;
}

/* {"cell": {...}, "correctness": {...}, "unequal_work": [S...],
 *  "strategies": {S: {M: {...}}}} of one cell. */
static json_t *cell_json(struct ctx *c, size_t cell)
{
	const struct spec *s = c->s;
	json_t *o = json_object(), *strategies = json_object();
	struct summary *sum = calloc(s->nstrategies, sizeof(*sum));
	int bad = !o || !strategies || !sum;

	if (!bad)
		cell_health(c, cell);
	for (size_t k = 0; !bad && k < s->nstrategies; k++) {
		json_t *m = json_object();

		if (!m || json_object_set_new(strategies, strategy_name(s, k), m))
			bad = 1;
	}
	for (size_t j = 0; !bad && j < c->nsel; j++) {
		const struct sel *sel = &c->sel[j];

		gather(c, cell, sel);
		for (size_t k = 0; k < s->nstrategies; k++)
			sum[k] = summarize(c->vals + k * (size_t)s->repetitions, c->nvals[k]);
		for (size_t k = 0; !bad && k < s->nstrategies; k++) {
			struct versus v = {0};

			if (k != c->base)
				v = versus(c, cell, sel, k, &sum[k], &sum[c->base]);
			json_put(json_object_get(strategies, strategy_name(s, k)), sel->name,
				 entry_json(&sum[k], &v, &c->health[k], k == c->base), &bad);
		}
	}
	free(sum);
	if (!bad) {
		json_put(o, "cell", json_deep_copy(s->cells[cell]), &bad);
		json_put(o, "correctness", correctness_json(c, &bad), &bad);
		json_put(o, "unequal_work", unequal_json(c, cell, &bad), &bad);
		json_put(o, "strategies", strategies, &bad);
		strategies = NULL;
	}
	json_decref(strategies);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- warnings ---- */

static void warn(json_t *warnings, int *bad, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void warn(json_t *warnings, int *bad, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (json_array_append_new(warnings, json_string(buf)))
		*bad = 1;
}

static void add_warnings(const struct ctx *c, json_t *warnings, int *bad)
{
	const struct results *r = c->r;
	const struct spec *s = c->s;
	size_t reps = (size_t)s->repetitions, finished = r->ndone + r->nfailed;

	if (s->nstrategies < 2)
		warn(warnings, bad, "one strategy only (%s): nothing to compare it with",
		     strategy_name(s, 0));
	if (finished < s->nruns)
		warn(warnings, bad, "%zu of %zu runs have finished (the rest are queued, running or "
				    "cancelled); the comparison covers those", finished, s->nruns);
	if (s->nstrategies > 1 && min_p(reps, reps) >= c->o->alpha) {
		size_t need = reps;

		while (need < SPEC_MAX_REPETITIONS && min_p(need, need) >= c->o->alpha)
			need++;
		warn(warnings, bad, "only %zu repetition%s per strategy: the U test cannot reach "
				    "p < %g below %zu (the smallest p with %zu is %.3g), so no difference "
				    "is called better or worse (every verdict reads insufficient data); use "
				    "repetitions >= %zu",
		     reps, reps == 1 ? "" : "s", c->o->alpha, need, reps, min_p(reps, reps), need);
	}
	if (r->nfailed) {
		for (size_t i = 0; i < s->nruns; i++) {
			const struct run_plan *p = &s->runs[i];

			if (r->runs[i].status != RUN_FAILED)
				continue;
			warn(warnings, bad, "%zu failed run%s excluded from the statistics (the first: "
					    "cell %zu, %s, repetition %d: %s)", r->nfailed,
			     r->nfailed == 1 ? "" : "s", p->cell + 1,
			     s->target->strategies[p->strategy].name, p->repetition,
			     r->runs[i].reason ? r->runs[i].reason : "no reason");
			break;
		}
	}
}

/* ---- crossover ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The distinct values of param k over the cells, sorted; their count. */
static size_t axis_values(const struct spec *s, int k, double *out)
{
	size_t n = 0;

	for (size_t c = 0; c < s->ncells; c++) {
		double v = s->cell_params[c * s->target->nparams + (size_t)k];
		int seen = 0;

		for (size_t j = 0; j < n; j++)
			seen |= out[j] == v;
		if (!seen)
			out[n++] = v;
	}
	qsort(out, n, sizeof(*out), cmp_double);
	return n;
}

static size_t value_pos(const double *v, size_t n, double x)
{
	for (size_t j = 0; j < n; j++)
		if (v[j] == x)
			return j;
	return 0;
}

/* The winner of b against a in a cell: a strategy's name, or NULL with
 * *why the verdict that decided no winner. Correctness first. */
static const char *winner(const struct ctx *c, size_t a, size_t b, const struct versus *vs,
			  const char **why)
{
	const struct health *ha = &c->health[a], *hb = &c->health[b];
	int bad_a = is_broken(ha) || ha->not_a_fix, bad_b = is_broken(hb) || hb->not_a_fix;

	*why = vs->verdict;
	if (bad_a && !bad_b)
		return strategy_name(c->s, b);
	if (bad_b && !bad_a)
		return strategy_name(c->s, a);
	if (bad_a) {
		*why = "broken";
		return NULL;
	}
	if (!strcmp(vs->verdict, "better"))
		return strategy_name(c->s, b);
	if (!strcmp(vs->verdict, "worse"))
		return strategy_name(c->s, a);
	return NULL;
}

/* The crossover's metric: asked for, else the first metric asked for, else
 * the headline cost (cpu.invalidation_ns in documents from before it). */
static const char *crossover_metric(const struct ctx *c)
{
	if (c->o->crossover_metric)
		return c->o->crossover_metric;
	if (c->o->metrics && c->o->nmetrics)
		return c->o->metrics[0];
	return name_index(c->r, CROSSOVER_METRIC) >= 0 || !c->r->ndone ? CROSSOVER_METRIC
									: CROSSOVER_FALLBACK;
}

/*
 * The crossover of a sweep over exactly two numeric params: per point the
 * verdict of b (the first other correct strategy) against a (the
 * baseline, "verdict"), the winner by name ("winner": a's or b's name,
 * null when neither: within noise, insufficient data, both broken), the
 * ratio b / a,
 * and the old letters ("grid": "A" a cheaper, "B" b cheaper, "=" within
 * noise, null otherwise). A broken or not-a-fix side loses to a correct
 * one whatever it costs. JSON null when the spec is not such a sweep or has
 * no second correct strategy.
 */
static json_t *crossover_json(struct ctx *c, int *bad)
{
	const struct spec *s = c->s;
	const struct target *t = s->target;
	int axis[2], naxes = 0;
	size_t other = s->nstrategies, nx, ny, reps = (size_t)s->repetitions;
	double *xs = NULL, *ys = NULL;
	struct sel sel;
	const char *key, *metric;
	json_t *o = NULL, *grid = NULL, *ratio = NULL, *jx = NULL, *jy = NULL, *v;
	json_t *win = NULL, *verd = NULL;

	if (s->nstrategies < 2 || !s->ncells)
		return json_null();
	metric = crossover_metric(c);
	for (size_t k = 0; k < s->nstrategies && other == s->nstrategies; k++)
		if (k != c->base && !vocab_strategy_incorrect(strategy_name(s, k)))
			other = k;
	if (sel_init(c->r, metric, &sel) || other == s->nstrategies)
		return json_null();
	/* The swept params with more than one value: exactly two, both numeric. */
	xs = xcalloc(s->ncells, sizeof(*xs));
	ys = xcalloc(s->ncells, sizeof(*ys));
	json_object_foreach(s->cells[0], key, v) {
		int k = target_param_index(t, key);

		if (k < 0 || axis_values(s, k, xs) < 2)
			continue;
		if (naxes == 2 || (t->params[k].type != PARAM_INT && t->params[k].type != PARAM_REAL)) {
			free(xs);
			free(ys);
			return json_null();
		}
		axis[naxes++] = k;
	}
	if (naxes != 2) {
		free(xs);
		free(ys);
		return json_null();
	}
	nx = axis_values(s, axis[0], xs);
	ny = axis_values(s, axis[1], ys);
	o = json_object();
	grid = json_array();
	ratio = json_array();
	win = json_array();
	verd = json_array();
	jx = json_array();
	jy = json_array();
	if (!o || !grid || !ratio || !jx || !jy || !win || !verd)
		goto oom;
	for (size_t i = 0; i < nx; i++)
		if (json_array_append_new(jx, param_value_json(&t->params[axis[0]], xs[i])))
			goto oom;
	for (size_t i = 0; i < ny; i++) {
		json_t *rows[4] = {json_array(), json_array(), json_array(), json_array()};
		json_t *into[4] = {grid, ratio, win, verd};

		if (json_array_append_new(jy, param_value_json(&t->params[axis[1]], ys[i])))
			goto oom;
		for (int r = 0; r < 4; r++)
			if (json_array_append_new(into[r], rows[r]))
				goto oom;
		for (size_t j = 0; j < nx; j++)
			for (int r = 0; r < 4; r++)
				if (json_array_append_new(rows[r], json_null()))
					goto oom;
	}
	for (size_t cell = 0; cell < s->ncells; cell++) {
		const double *p = s->cell_params + cell * t->nparams;
		size_t ix = value_pos(xs, nx, p[axis[0]]), iy = value_pos(ys, ny, p[axis[1]]);
		json_t *grow = json_array_get(grid, iy);
		struct summary a, b;
		struct versus vs;
		const char *mark = NULL, *who, *why;

		if (!json_is_null(json_array_get(json_array_get(verd, iy), ix)))
			continue; /* a point listed twice in the sweep: the first counts */
		cell_health(c, cell);
		gather(c, cell, &sel);
		a = summarize(c->vals + other * reps, c->nvals[other]);
		b = summarize(c->vals + c->base * reps, c->nvals[c->base]);
		vs = versus(c, cell, &sel, other, &a, &b);
		who = winner(c, c->base, other, &vs, &why);
		if (who)
			mark = who == strategy_name(s, other) ? "B" : "A";
		else if (!strcmp(why, "within noise"))
			mark = "=";
		if (json_array_set_new(grow, ix, mark ? json_string(mark) : json_null()) ||
		    json_array_set_new(json_array_get(ratio, iy), ix, num(vs.ratio)) ||
		    json_array_set_new(json_array_get(win, iy), ix, who ? json_string(who) : json_null()) ||
		    json_array_set_new(json_array_get(verd, iy), ix, json_string(vs.verdict)))
			goto oom;
	}
	json_put(o, "x", json_string(t->params[axis[0]].name), bad);
	json_put(o, "y", json_string(t->params[axis[1]].name), bad);
	json_put(o, "metric", json_string(sel.name), bad);
	json_put(o, "better", json_string(sel.higher ? "higher" : "lower"), bad);
	json_put(o, "a", json_string(strategy_name(s, c->base)), bad);
	json_put(o, "b", json_string(strategy_name(s, other)), bad);
	json_put(o, "strategies", json_pack("[ss]", strategy_name(s, c->base), strategy_name(s, other)), bad);
	json_put(o, "xs", jx, bad);
	json_put(o, "ys", jy, bad);
	json_put(o, "grid", grid, bad);
	json_put(o, "winner", win, bad);
	json_put(o, "verdict", verd, bad);
	json_put(o, "ratio", ratio, bad);
	free(xs);
	free(ys);
	return o;
oom:
	*bad = 1;
	free(xs);
	free(ys);
	json_decref(o);
	json_decref(grid);
	json_decref(ratio);
	json_decref(win);
	json_decref(verd);
	json_decref(jx);
	json_decref(jy);
	return NULL;
}

/* ---- the document ---- */

static json_t *metrics_json(const struct ctx *c)
{
	json_t *a = json_array();

	for (size_t j = 0; a && j < c->nsel; j++) {
		if (json_array_append_new(a, json_pack("{s:s, s:s}", "name", c->sel[j].name, "better",
						       c->sel[j].higher ? "higher" : "lower"))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *strategies_json(const struct spec *s)
{
	json_t *a = json_array();

	for (size_t k = 0; a && k < s->nstrategies; k++) {
		if (json_array_append_new(a, json_string(strategy_name(s, k)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *compare_json(const struct results *r, const char *id, const struct compare_opts *o,
		     char *err, size_t elen)
{
	struct ctx c = {.r = r, .s = r->spec, .o = o};
	const struct spec *s = r->spec;
	json_t *doc = NULL, *warnings = json_array(), *cells = json_array();
	int bad = !warnings || !cells;
	const char *refused = NULL;

	if (bad)
		goto oom;
	if (!(o->noise >= 0 && o->noise <= 1) || !(o->alpha > 0 && o->alpha <= 0.5) ||
	    o->iters < 1 || o->iters > 1000000 || o->min_events < 0) {
		error_into(err, elen, "noise must be 0..1, alpha above 0 up to 0.5, iters 1..1000000 and "
			   "min_events >= 0");
		goto fail;
	}
	if (select_baseline(&c, warnings, err, elen)) {
		refused = "baseline";
		goto fail;
	}
	if (select_metrics(&c, err, elen)) {
		refused = "metrics";
		goto fail;
	}
	if (o->crossover_metric && r->ndone) {
		struct sel probe;

		if (sel_init(r, o->crossover_metric, &probe)) {
			error_into(err, elen, "unknown metric '%.60s' for the crossover: no run reported it",
				   o->crossover_metric);
			refused = "metric";
			goto fail;
		}
	}
	/* two strategies' worth at least: cell_health's scratch */
	c.vals = calloc((s->nstrategies + 2) * (size_t)s->repetitions, sizeof(*c.vals));
	c.nvals = calloc(s->nstrategies, sizeof(*c.nvals));
	c.health = calloc(s->nstrategies, sizeof(*c.health));
	if (!c.vals || !c.nvals || !c.health)
		goto oom;
	add_warnings(&c, warnings, &bad);
	for (size_t cell = 0; !bad && cell < s->ncells; cell++)
		if (json_array_append_new(cells, cell_json(&c, cell)))
			bad = 1;
	if (c.nunequal)
		warn(warnings, &bad, "unequal work in %zu cell%s (first: cell %zu, %s): compare "
				     "per operation (*_per_op)", c.nunequal, c.nunequal == 1 ? "" : "s",
		     c.first_unequal + 1, c.unequal_who);
	doc = json_object();
	if (bad || !doc)
		goto oom;
	json_put(doc, "experiment", id ? json_string(id) : json_null(), &bad);
	json_put(doc, "target", json_string(s->target->name), &bad);
	json_put(doc, "workload", json_string(s->target->workloads[s->workload].name), &bad);
	json_put(doc, "label", s->label ? json_string(s->label) : json_null(), &bad);
	json_put(doc, "repetitions", json_integer(s->repetitions), &bad);
	json_put(doc, "baseline", json_string(strategy_name(s, c.base)), &bad);
	json_put(doc, "noise", json_real(o->noise), &bad);
	json_put(doc, "alpha", json_real(o->alpha), &bad);
	json_put(doc, "level", json_real(CI_LEVEL), &bad);
	json_put(doc, "iters", json_integer(o->iters), &bad);
	json_put(doc, "min_events", json_integer(o->min_events), &bad);
	json_put(doc, "strategies", strategies_json(s), &bad);
	json_put(doc, "warnings", warnings, &bad);
	warnings = NULL;
	json_put(doc, "metrics", metrics_json(&c), &bad);
	json_put(doc, "cells", cells, &bad);
	cells = NULL;
	json_put(doc, "crossover", crossover_json(&c, &bad), &bad);
	if (bad)
		goto oom;
	free(c.sel);
	free(c.vals);
	free(c.nvals);
	free(c.health);
	return doc;
oom:
	error_into(err, elen, "out of memory");
fail:
	if (o->refused)
		*o->refused = refused;
	json_decref(doc);
	json_decref(warnings);
	json_decref(cells);
	free(c.sel);
	free(c.vals);
	free(c.nvals);
	free(c.health);
	return NULL;
}
