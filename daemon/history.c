/*
 * history.c - a metric across experiments: GET /api/v1/history's series,
 * their change points (core/changepoint.c: Perfherder's windowed Welch
 * t-test, parameters min_change, alpha, window) and the alerts they leave
 * (store_history.c).
 *
 * A series is one (target, workload, cell, strategy, metric). Its points
 * are the finished experiments (done or failed) of that target and
 * workload, newest `limit` of them, that have done runs of that strategy
 * in that cell: per point the median of those runs' values, and the
 * values. Points are ordered by label in version order (v6.5 < v6.6 <
 * v6.10; v6.6-rc1 and v6.6~rc1 < v6.6), experiments without a label after
 * the labelled ones, then by creation time. Cells are matched by their
 * JSON with keys sorted, so a spec's key order does not split a series.
 */
#include "history_impl.h"
#include "store_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_LIMIT_DEFAULT 200
#define HISTORY_LIMIT_MAX 1000
#define HISTORY_WINDOW_MAX 100
#define HISTORY_MIN_CHANGE_MAX 100.0
#define CP_MAX 256              /* change points kept per series */

/*
 * The metrics an experiment's end checks for alerts: compare.c's default
 * set (what a maintainer weighs the fixes by) less its derived
 * cmd.tlbi_total, since the store holds reported metrics only.
 */
static const char *const alert_metrics[] = {
	"dma.throughput_bps", "dma.latency_ns.p99", "cpu.invalidation_ns", "cmd.atc_inv",
	"cmd.sync", "cmdq.sync_wait_ns", "fault.permission", "fault.spurious", "dma.livelocked",
	"oracle.coherence_violations", NULL,
};

void history_query_defaults(struct history_query *q)
{
	struct cp_params cp;

	cp_defaults(&cp);
	memset(q, 0, sizeof(*q));
	q->target = "sim";
	q->limit = HISTORY_LIMIT_DEFAULT;
	q->min_change = cp.min_change;
	q->alpha = cp.alpha;
	q->window = cp.window;
}

/* ---- points and change points of one series ---- */

struct points {
	size_t n;
	size_t *first;         /* index into the series' values */
	size_t *count;
	const double **rows;   /* the values of each point */
	double *vals;          /* the values, in point order */
	struct cp_result cps[CP_MAX];
	size_t ncp;
};

static void points_free(struct points *p)
{
	free(p->first);
	free(p->count);
	free(p->rows);
	free(p->vals);
	memset(p, 0, sizeof(*p));
}

/* Groups s's values into points (one per experiment) and finds the change
 * points; 0, or -1 when memory ran out (p is freeable either way). */
static int points_of(const struct hseries *s, const struct cp_params *cp, struct points *p)
{
	long found;

	memset(p, 0, sizeof(*p));
	p->first = malloc((s->n + 1) * sizeof(*p->first));
	p->count = malloc((s->n + 1) * sizeof(*p->count));
	p->rows = malloc((s->n + 1) * sizeof(*p->rows));
	p->vals = malloc((s->n + 1) * sizeof(*p->vals));
	if (!p->first || !p->count || !p->rows || !p->vals)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		p->vals[i] = s->v[i].v;
		if (!i || s->v[i].rank != s->v[i - 1].rank) {
			p->first[p->n] = i;
			p->count[p->n] = 0;
			p->rows[p->n] = &p->vals[i];
			p->n++;
		}
		p->count[p->n - 1]++;
	}
	found = changepoints_detect(p->rows, p->count, p->n, cp, p->cps, CP_MAX);
	if (found < 0)
		return -1;
	p->ncp = found > CP_MAX ? CP_MAX : (size_t)found;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(const double *v, size_t n)
{
	double *c = malloc(n * sizeof(*c)), m;

	if (!c || !n) {
		free(c);
		return NAN;
	}
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

/* ---- JSON ---- */

static void put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}

static json_t *exp_id_json(int64_t id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "e%lld", (long long)id);
	return json_string(buf);
}

static json_t *label_json(const struct hexp *e)
{
	return e->label ? json_string(e->label) : json_null();
}

/* Point k of series sr as {"experiment", "label", "created_at", "n", "median", "values"}. */
static json_t *point_json(const struct history *h, const struct hseries *sr,
			  const struct points *p, size_t k)
{
	const struct hexp *e = h->order[sr->v[p->first[k]].rank];
	json_t *o = json_object(), *vals = json_array();
	char when[48];
	int bad = !o || !vals;

	for (size_t j = 0; !bad && j < p->count[k]; j++)
		if (json_array_append_new(vals, store_number_json(p->rows[k][j])))
			bad = 1;
	if (bad) {
		json_decref(o);
		json_decref(vals);
		return NULL;
	}
	store_format_time(e->created, when, sizeof(when));
	put(o, "experiment", exp_id_json(e->id), &bad);
	put(o, "label", label_json(e), &bad);
	put(o, "created_at", json_string(when), &bad);
	put(o, "n", json_integer((json_int_t)p->count[k]), &bad);
	put(o, "median", store_number_json(median_of(p->rows[k], p->count[k])), &bad);
	put(o, "values", vals, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The experiment of point k of series sr. */
static const struct hexp *point_exp(const struct history *h, const struct hseries *sr,
				    const struct points *p, size_t k)
{
	return h->order[sr->v[p->first[k]].rank];
}

static json_t *change_point_json(const struct history *h, const struct hseries *sr,
				 const struct points *p, const struct cp_result *c)
{
	const struct hexp *e = point_exp(h, sr, p, c->index);
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	put(o, "index", json_integer((json_int_t)c->index), &bad);
	put(o, "experiment", exp_id_json(e->id), &bad);
	put(o, "label", label_json(e), &bad);
	put(o, "before", store_number_json(c->before), &bad);
	put(o, "after", store_number_json(c->after), &bad);
	put(o, "change", isfinite(c->change) ? json_real(c->change) : json_null(), &bad);
	put(o, "p", json_real(c->p), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *series_json(const struct history *h, const struct hseries *sr,
			   const struct points *p)
{
	json_t *o = json_object(), *pts = json_array(), *cps = json_array();
	int bad = !o || !pts || !cps;

	for (size_t k = 0; !bad && k < p->n; k++)
		if (json_array_append_new(pts, point_json(h, sr, p, k)))
			bad = 1;
	for (size_t k = 0; !bad && k < p->ncp; k++)
		if (json_array_append_new(cps, change_point_json(h, sr, p, &p->cps[k])))
			bad = 1;
	if (bad) {
		json_decref(o);
		json_decref(pts);
		json_decref(cps);
		return NULL;
	}
	put(o, "cell", json_loads(sr->cell, 0, NULL), &bad);
	put(o, "points", pts, &bad);
	put(o, "change_points", cps, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- alerts ---- */

struct alerts {
	struct alert *v;
	size_t n, cap;
};

/* Adds the change points of sr as alerts (strings borrowed from h and names). */
static int collect_alerts(struct alerts *a, const struct history *h, const struct hseries *sr,
			  const struct points *p, const char *target, const char *workload,
			  const char *metric)
{
	for (size_t k = 0; k < p->ncp; k++) {
		const struct cp_result *c = &p->cps[k];
		const struct hexp *e = point_exp(h, sr, p, c->index);

		if (a->n == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 16;
			struct alert *v = realloc(a->v, cap * sizeof(*v));

			if (!v)
				return -1;
			a->v = v;
			a->cap = cap;
		}
		a->v[a->n++] = (struct alert){
			.target = target, .workload = workload, .cell = sr->cell,
			.strategy = sr->strategy, .metric = metric, .label = e->label,
			.experiment = e->id, .before = c->before, .after = c->after,
			.change = c->change, .p = c->p,
		};
	}
	return 0;
}

/* ---- GET /api/v1/history ---- */

/* Writes "FIELD: message" into err; returns 0 (refused). */
static int refuse(char *err, size_t elen, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(char *err, size_t elen, const char *field, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, elen, "%s: ", field);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < elen)
		vsnprintf(err + n, elen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

/* "a, b, c" of a target's workloads (which 0) or strategies (1). */
static void names_of(const struct target *t, int which, char *buf, size_t len)
{
	size_t n = which ? t->nstrategies : t->nworkloads, used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 which ? t->strategies[i].name : t->workloads[i].name);
}

/* Checks q: 1 when fine (*cell: its canonical cell or NULL), 0 refused (err filled). */
static int query_ok(const struct history_query *q, char **cell, char *err, size_t elen)
{
	const struct target *t;
	char names[512];

	*cell = NULL;
	if (!q->workload || !*q->workload)
		return refuse(err, elen, "workload", "missing: the workload whose history to show"
			       " (e.g. workload=rw-reuse)");
	if (!q->metric || !*q->metric)
		return refuse(err, elen, "metric", "missing: the metric to follow"
			       " (e.g. metric=cpu.invalidation_ns)");
	if (!q->strategy || !*q->strategy)
		return refuse(err, elen, "strategy", "missing: the strategy to follow"
			       " (e.g. strategy=notifier)");
	if (!(t = target_find(q->target ? q->target : "sim"))) {
		size_t used = 0;

		names[0] = '\0';
		for (size_t i = 0; i < target_count() && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 i ? ", " : "", target_at(i)->name);
		return refuse(err, elen, "target", "unknown target '%.60s'; allowed: %s",
			       q->target, names);
	}
	if (target_workload_index(t, q->workload) < 0) {
		names_of(t, 0, names, sizeof(names));
		return refuse(err, elen, "workload", "unknown workload '%.60s' of target %s;"
			       " allowed: %s", q->workload, t->name, names);
	}
	if (target_strategy_index(t, q->strategy) < 0) {
		names_of(t, 1, names, sizeof(names));
		return refuse(err, elen, "strategy", "unknown strategy '%.60s' of target %s;"
			       " allowed: %s", q->strategy, t->name, names);
	}
	if (q->limit < 1 || q->limit > HISTORY_LIMIT_MAX)
		return refuse(err, elen, "limit", "must be an integer 1..%d", HISTORY_LIMIT_MAX);
	if (!(q->min_change >= 0 && q->min_change <= HISTORY_MIN_CHANGE_MAX))
		return refuse(err, elen, "min_change", "must be a relative change 0..%g"
			       " (0.05 = 5 %%)", HISTORY_MIN_CHANGE_MAX);
	if (!(q->alpha > 0 && q->alpha < 1))
		return refuse(err, elen, "alpha", "must be a significance level above 0 and"
			       " below 1 (e.g. 0.01)");
	if (q->window < 1 || q->window > HISTORY_WINDOW_MAX)
		return refuse(err, elen, "window", "must be an integer 1..%d (points each side)",
			       HISTORY_WINDOW_MAX);
	if (q->cell && !(*cell = history_canonical_cell(q->cell)))
		return refuse(err, elen, "cell", "must be a JSON object of swept parameters,"
			       " e.g. {\"pages\":64} ({} when nothing is swept)");
	return 1;
}

static json_t *params_json(const struct history_query *q)
{
	return json_pack("{s:s, s:f, s:f, s:i, s:i}", "method", "windowed welch t-test",
			 "min_change", q->min_change, "alpha", q->alpha, "window", q->window,
			 "limit", q->limit);
}

json_t *history_json(struct store *st, const struct history_query *q, int *rc, char *err,
		     size_t elen)
{
	const char *target = q->target ? q->target : "sim", *names[2] = {q->metric, NULL};
	struct cp_params cp = {q->min_change, q->alpha, q->window};
	struct alerts alerts = {0};
	struct history h;
	json_t *doc = NULL, *series = NULL;
	const char *found[1];
	char *cell = NULL;
	int64_t id;
	size_t nid = 0;
	int bad = 0;

	*rc = 0;
	if (elen)
		err[0] = '\0';
	if (!query_ok(q, &cell, err, elen))
		return NULL;
	if ((*rc = history_metric_ids(st, names, &id, found, &nid)) ||
	    (*rc = history_load(st, target, q->workload, q->limit, q->strategy, cell, &id, nid,
				&h))) {
		free(cell);
		return NULL;
	}
	free(cell);
	doc = json_object();
	series = json_array();
	bad = !doc || !series;
	for (size_t i = 0; !bad && i < h.nseries; i++) {
		struct points p;

		if (points_of(&h.series[i], &cp, &p) ||
		    json_array_append_new(series, series_json(&h, &h.series[i], &p)) ||
		    collect_alerts(&alerts, &h, &h.series[i], &p, target, q->workload, q->metric))
			bad = 1;
		points_free(&p);
	}
	if (!bad) {
		put(doc, "workload", json_string(q->workload), &bad);
		put(doc, "metric", json_string(q->metric), &bad);
		put(doc, "strategy", json_string(q->strategy), &bad);
		put(doc, "target", json_string(target), &bad);
		put(doc, "params", params_json(q), &bad);
		put(doc, "series", series, &bad);
		series = NULL;
	}
	if (!bad && alerts.n)
		*rc = store_add_alerts(st, alerts.v, alerts.n, NULL);
	free(alerts.v);
	history_free(&h);
	json_decref(series);
	if (bad && !*rc)
		*rc = store_fail(st, STORE_ERR, "out of memory");
	if (*rc) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- an experiment's end ---- */

/* Change points of every series of (target, workload) in the key metrics,
 * stored as alerts; *added of them new. */
static int check_workload(struct store *st, const char *target, const char *workload,
			  int *added)
{
	enum { N = sizeof(alert_metrics) / sizeof(alert_metrics[0]) };
	struct alerts alerts = {0};
	struct cp_params cp;
	const char *found[N];
	int64_t ids[N];
	struct history h;
	size_t n = 0;
	int rc;

	cp_defaults(&cp);
	if ((rc = history_metric_ids(st, alert_metrics, ids, found, &n)) || !n)
		return rc;
	if ((rc = history_load(st, target, workload, HISTORY_LIMIT_DEFAULT, NULL, NULL, ids, n, &h)))
		return rc;
	for (size_t i = 0; !rc && i < h.nseries; i++) {
		const char *metric = NULL;
		struct points p;

		for (size_t k = 0; k < n; k++)
			if (ids[k] == h.series[i].metric)
				metric = found[k];
		if (points_of(&h.series[i], &cp, &p) ||
		    (metric && collect_alerts(&alerts, &h, &h.series[i], &p, target, workload, metric)))
			rc = store_fail(st, STORE_ERR, "out of memory");
		points_free(&p);
	}
	if (!rc)
		rc = store_add_alerts(st, alerts.v, alerts.n, added);
	free(alerts.v);
	history_free(&h);
	return rc;
}

void history_on_run_finished(struct store *st, const char *exp_pub)
{
	int64_t exp = store_parse_exp(exp_pub);
	char target[128], workload[128];
	int rc, added = 0;

	if (!exp)
		return;
	rc = history_ended(st, exp, target, workload, sizeof(target));
	if (rc == 1)
		rc = check_workload(st, target, workload, &added);
	if (rc < 0)
		fprintf(stderr, "svabenchd: alerts after %s: %s\n", exp_pub, store_error(st));
	else if (added)
		fprintf(stderr, "svabenchd: %s: %d new alert%s\n", exp_pub, added,
			added == 1 ? "" : "s");
}
