/*
 * compare.c - strategies against a baseline, per cell and metric, the way
 * Perfherder, Conbench and mmtests' compare-kernels answer "is B slower
 * than A, by how much, how sure are we": per strategy the median and
 * spread over repetitions; against the baseline the ratio of medians with
 * a bootstrap 95 % CI, a Mann-Whitney U p-value and a verdict that calls a
 * difference only when it is larger than the noise threshold AND
 * significant AND its CI excludes 1. Warnings say when the data cannot
 * support a verdict (too few repetitions, failed runs). A 2-D numeric
 * sweep also gets the crossover map: where each of two fixes is cheaper.
 */
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CI_LEVEL 0.95
#define PARTS_MAX 4
#define METRICS_MAX 64
#define CROSSOVER_METRIC "cpu.invalidation_ns"

/* A metric compared: a reported name, or a sum of several (derived). */
struct metric_def {
	const char *name;
	const char *parts[PARTS_MAX]; /* summed when derived; NULL-terminated */
};

static const struct metric_def derived[] = {
	{"cmd.tlbi_total", {"cmd.tlbi_nh_va", "cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid", NULL}},
};

/* The default set: what a maintainer weighs Fix A and Fix B by. */
static const char *const default_metrics[] = {
	"dma.throughput_bps", "dma.latency_ns.p99", "cpu.invalidation_ns", "cmd.tlbi_total",
	"cmd.atc_inv", "cmd.sync", "cmdq.sync_wait_ns", "fault.permission", "fault.spurious",
	"dma.livelocked", "oracle.coherence_violations", NULL,
};

#define NDEFAULT (sizeof(default_metrics) / sizeof(default_metrics[0]) - 1)

/* Work done: more is better. Everything else is a cost. */
static const char *const higher_better[] = {
	"dma.throughput_bps", "dma.transactions", "dma.bytes", NULL,
};

/* api.md's strategies that are wrong on purpose: never a default baseline. */
static const char *const incorrect[] = {"none", "pri-inv-no-atc", NULL};

/* A metric as this comparison reads it: the indexes of its parts in r->names. */
struct sel {
	const char *name;
	long idx[PARTS_MAX];   /* -1: never reported */
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
	int have_ci;
	const char *verdict;
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
};

static void msg(char *err, size_t elen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void msg(char *err, size_t elen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !elen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, elen, fmt, ap);
	va_end(ap);
}

static int in_list(const char *const *list, const char *name)
{
	for (int k = 0; list[k]; k++)
		if (!strcmp(list[k], name))
			return 1;
	return 0;
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
}

static long name_index(const struct results *r, const char *name)
{
	for (size_t j = 0; j < r->nnames; j++)
		if (!strcmp(r->names[j], name))
			return (long)j;
	return -1;
}

static const struct metric_def *find_derived(const char *name)
{
	for (size_t k = 0; k < sizeof(derived) / sizeof(derived[0]); k++)
		if (!strcmp(derived[k].name, name))
			return &derived[k];
	return NULL;
}

/* Fills sel for name; 0 when some run reported it (or a part of it). */
static int sel_init(const struct results *r, const char *name, struct sel *sel)
{
	const struct metric_def *d = find_derived(name);
	int seen = 0;

	memset(sel, 0, sizeof(*sel));
	sel->name = d ? d->name : name;
	sel->higher = in_list(higher_better, name);
	for (size_t k = 0; k < PARTS_MAX; k++) {
		const char *part = d ? d->parts[k] : (k ? NULL : name);

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
		msg(err, elen, "no metric given; the default set is used when none is asked for");
		return -1;
	}
	if (n > METRICS_MAX) {
		msg(err, elen, "too many metrics: %zu, at most %d", n, METRICS_MAX);
		return -1;
	}
	c->sel = calloc(n, sizeof(*c->sel));
	if (!c->sel) {
		msg(err, elen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		const char *name = o->metrics ? o->metrics[k] : default_metrics[k];
		struct sel *sel = &c->sel[c->nsel];
		int dup = 0, reported;

		for (size_t j = 0; j < c->nsel; j++)
			dup |= !strcmp(c->sel[j].name, name);
		if (dup)
			continue;
		reported = !sel_init(r, name, sel);
		if (o->metrics && !reported && !in_list(default_metrics, name) && !find_derived(name)) {
			/* short enough for an API error message (1 KiB) */
			char defaults[400], names[560];

			join(defaults, sizeof(defaults), default_metrics, NDEFAULT);
			if (r->nnames)
				join(names, sizeof(names), (const char *const *)r->names, r->nnames);
			else
				snprintf(names, sizeof(names), "(no run has finished yet)");
			msg(err, elen, "unknown metric '%.60s'; allowed: the default set (%s) or a "
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
		msg(err, elen, "unknown baseline '%s'; the experiment's strategies: %s", want, names);
		return -1;
	}
	for (size_t k = 0; k < s->nstrategies; k++) {
		if (!strcmp(strategy_name(s, k), "pri-inv")) {
			c->base = k;
			return 0;
		}
	}
	for (size_t k = 0; k < s->nstrategies; k++) {
		if (!in_list(incorrect, strategy_name(s, k))) {
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

/*
 * The verdict of a (values, median ma) against the baseline's (mb): a
 * difference is called only when it is beyond the noise threshold, the U
 * test is significant and the CI excludes 1 - each alone lets noise through.
 */
static const char *verdict(const struct versus *v, double ma, double mb, int higher,
			   const struct compare_opts *o)
{
	int beyond;

	if (ma == mb)
		return "within noise";
	beyond = mb != 0 ? fabs(ma / mb - 1) >= o->noise : 1;
	if (!beyond || !(v->p < o->alpha) || (v->have_ci && v->lo <= 1 && 1 <= v->hi))
		return "within noise";
	return (higher ? ma > mb : ma < mb) ? "better" : "worse";
}

static struct versus versus(const struct ctx *c, size_t cell, const struct sel *sel, size_t k,
			    const struct summary *a, const struct summary *b)
{
	const struct spec *s = c->s;
	size_t reps = (size_t)s->repetitions;
	const double *va = c->vals + k * reps, *vb = c->vals + c->base * reps;
	struct versus v = {.ratio = NAN, .lo = NAN, .hi = NAN, .p = NAN, .verdict = "no data"};
	double u;

	if (!a->n || !b->n)
		return v;
	if (b->median != 0)
		v.ratio = a->median / b->median; /* 0/0 and x/0 stay null */
	v.have_ci = !stats_bootstrap_ratio_ci(va, a->n, vb, b->n, CI_LEVEL, c->o->iters,
					      ci_seed(s, cell, sel->name, strategy_name(s, k)),
					      &v.lo, &v.hi);
	if (!v.have_ci)
		v.lo = v.hi = NAN;
	if (stats_mann_whitney(va, a->n, vb, b->n, &u, &v.p))
		v.p = NAN;
	v.verdict = verdict(&v, a->median, b->median, sel->higher, c->o);
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

static void put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}

static json_t *entry_json(const struct summary *m, const struct versus *v, int is_base)
{
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	put(o, "n", json_integer((json_int_t)m->n), &bad);
	put(o, "median", num(m->median), &bad);
	put(o, "p25", num(m->p25), &bad);
	put(o, "p75", num(m->p75), &bad);
	put(o, "min", num(m->min), &bad);
	put(o, "max", num(m->max), &bad);
	if (is_base) {
		put(o, "ratio", num(m->n && m->median != 0 ? 1 : NAN), &bad);
		put(o, "ci", json_null(), &bad);
		put(o, "p", json_null(), &bad);
		put(o, "verdict", json_string("baseline"), &bad);
	} else {
		put(o, "ratio", num(v->ratio), &bad);
		put(o, "ci", v->have_ci ? json_pack("[oo]", num(v->lo), num(v->hi)) : json_null(), &bad);
		put(o, "p", num(v->p), &bad);
		put(o, "verdict", json_string(v->verdict), &bad);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* {"cell": {...}, "strategies": {S: {M: {...}}}} of one cell. */
static json_t *cell_json(struct ctx *c, size_t cell)
{
	const struct spec *s = c->s;
	json_t *o = json_object(), *strategies = json_object();
	struct summary *sum = calloc(s->nstrategies, sizeof(*sum));
	int bad = !o || !strategies || !sum;

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
			put(json_object_get(strategies, strategy_name(s, k)), sel->name,
			    entry_json(&sum[k], &v, k == c->base), &bad);
		}
	}
	free(sum);
	if (!bad) {
		put(o, "cell", json_deep_copy(s->cells[cell]), &bad);
		put(o, "strategies", strategies, &bad);
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
				    "is called better or worse; use repetitions >= %zu",
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

/*
 * The crossover of a sweep over exactly two numeric params: per point,
 * "A" when the baseline is cheaper (better by the metric's direction), "B"
 * when the other strategy is, "=" within noise, null without data. JSON
 * null when the spec is not such a sweep or has no second correct strategy.
 */
static json_t *crossover_json(struct ctx *c, int *bad)
{
	const struct spec *s = c->s;
	const struct target *t = s->target;
	int axis[2], naxes = 0;
	size_t other = s->nstrategies, nx, ny, reps = (size_t)s->repetitions;
	double *xs = NULL, *ys = NULL;
	const struct sel *sel = NULL;
	const char *key, *metric;
	json_t *o = NULL, *grid = NULL, *ratio = NULL, *jx = NULL, *jy = NULL, *v;

	if (s->nstrategies < 2 || !s->ncells)
		return json_null();
	metric = c->o->metrics && c->o->nmetrics ? c->o->metrics[0] : CROSSOVER_METRIC;
	for (size_t j = 0; j < c->nsel; j++)
		if (!strcmp(c->sel[j].name, metric))
			sel = &c->sel[j];
	for (size_t k = 0; k < s->nstrategies && other == s->nstrategies; k++)
		if (k != c->base && !in_list(incorrect, strategy_name(s, k)))
			other = k;
	if (!sel || other == s->nstrategies)
		return json_null();
	/* The swept params with more than one value: exactly two, both numeric. */
	xs = calloc(s->ncells, sizeof(*xs));
	ys = calloc(s->ncells, sizeof(*ys));
	if (!xs || !ys)
		goto oom;
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
	jx = json_array();
	jy = json_array();
	if (!o || !grid || !ratio || !jx || !jy)
		goto oom;
	for (size_t i = 0; i < nx; i++)
		if (json_array_append_new(jx, param_value_json(&t->params[axis[0]], xs[i])))
			goto oom;
	for (size_t i = 0; i < ny; i++) {
		json_t *grow = json_array(), *rrow = json_array();

		if (json_array_append_new(jy, param_value_json(&t->params[axis[1]], ys[i])) ||
		    json_array_append_new(grid, grow) || json_array_append_new(ratio, rrow))
			goto oom;
		for (size_t j = 0; j < nx; j++)
			if (json_array_append_new(grow, json_null()) ||
			    json_array_append_new(rrow, json_null()))
				goto oom;
	}
	for (size_t cell = 0; cell < s->ncells; cell++) {
		const double *p = s->cell_params + cell * t->nparams;
		size_t ix = value_pos(xs, nx, p[axis[0]]), iy = value_pos(ys, ny, p[axis[1]]);
		json_t *grow = json_array_get(grid, iy), *rrow = json_array_get(ratio, iy);
		struct summary a, b;
		struct versus vs;
		const char *mark = NULL;

		if (!json_is_null(json_array_get(grow, ix)))
			continue; /* a point listed twice in the sweep: the first counts */
		gather(c, cell, sel);
		a = summarize(c->vals + other * reps, c->nvals[other]);
		b = summarize(c->vals + c->base * reps, c->nvals[c->base]);
		vs = versus(c, cell, sel, other, &a, &b);
		if (!strcmp(vs.verdict, "better"))
			mark = "B";
		else if (!strcmp(vs.verdict, "worse"))
			mark = "A";
		else if (!strcmp(vs.verdict, "within noise"))
			mark = "=";
		if (json_array_set_new(grow, ix, mark ? json_string(mark) : json_null()) ||
		    json_array_set_new(rrow, ix, num(vs.ratio)))
			goto oom;
	}
	put(o, "x", json_string(t->params[axis[0]].name), bad);
	put(o, "y", json_string(t->params[axis[1]].name), bad);
	put(o, "metric", json_string(sel->name), bad);
	put(o, "better", json_string(sel->higher ? "higher" : "lower"), bad);
	put(o, "a", json_string(strategy_name(s, c->base)), bad);
	put(o, "b", json_string(strategy_name(s, other)), bad);
	put(o, "xs", jx, bad);
	put(o, "ys", jy, bad);
	put(o, "grid", grid, bad);
	put(o, "ratio", ratio, bad);
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

	if (bad)
		goto oom;
	if (!(o->noise >= 0 && o->noise <= 1) || !(o->alpha > 0 && o->alpha <= 0.5) ||
	    o->iters < 1 || o->iters > 1000000) {
		msg(err, elen, "noise must be 0..1, alpha above 0 up to 0.5 and iters 1..1000000");
		goto fail;
	}
	if (select_baseline(&c, warnings, err, elen) || select_metrics(&c, err, elen))
		goto fail;
	c.vals = calloc(s->nstrategies * (size_t)s->repetitions, sizeof(*c.vals));
	c.nvals = calloc(s->nstrategies, sizeof(*c.nvals));
	if (!c.vals || !c.nvals)
		goto oom;
	add_warnings(&c, warnings, &bad);
	for (size_t cell = 0; !bad && cell < s->ncells; cell++)
		if (json_array_append_new(cells, cell_json(&c, cell)))
			bad = 1;
	doc = json_object();
	if (bad || !doc)
		goto oom;
	put(doc, "experiment", id ? json_string(id) : json_null(), &bad);
	put(doc, "target", json_string(s->target->name), &bad);
	put(doc, "workload", json_string(s->target->workloads[s->workload].name), &bad);
	put(doc, "label", s->label ? json_string(s->label) : json_null(), &bad);
	put(doc, "repetitions", json_integer(s->repetitions), &bad);
	put(doc, "baseline", json_string(strategy_name(s, c.base)), &bad);
	put(doc, "noise", json_real(o->noise), &bad);
	put(doc, "alpha", json_real(o->alpha), &bad);
	put(doc, "level", json_real(CI_LEVEL), &bad);
	put(doc, "iters", json_integer(o->iters), &bad);
	put(doc, "strategies", strategies_json(s), &bad);
	put(doc, "warnings", warnings, &bad);
	warnings = NULL;
	put(doc, "metrics", metrics_json(&c), &bad);
	put(doc, "cells", cells, &bad);
	cells = NULL;
	put(doc, "crossover", crossover_json(&c, &bad), &bad);
	if (bad)
		goto oom;
	free(c.sel);
	free(c.vals);
	free(c.nvals);
	return doc;
oom:
	msg(err, elen, "out of memory");
fail:
	json_decref(doc);
	json_decref(warnings);
	json_decref(cells);
	free(c.sel);
	free(c.vals);
	free(c.nvals);
	return NULL;
}
