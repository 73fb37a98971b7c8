/*
 * history.c - a metric across experiments: GET /api/v1/history's series,
 * their change points (core/changepoint.c: Perfherder's windowed Welch
 * t-test, parameters min_change, alpha, window) and the alerts an
 * experiment's end leaves (store_history.c). Reading never makes alerts.
 *
 * A series is one (configuration, cell, strategy, metric); the
 * configuration (history_config.c) is target, workload, preset name and
 * values, and the fixed params. Its points are the finished experiments
 * (done or failed) of that configuration, newest `limit` of them, that
 * have done runs of that strategy in that cell: per point the median of
 * those runs' values, and the values. Points are ordered by the kernel's
 * version (spec "kernel": {"version"}), else the label, in version order
 * (history_label_cmp: v6.6-rc1 < v6.6 < v6.6-next < v6.10), experiments
 * with neither last, then by creation time. Cells are matched by their
 * JSON with keys sorted, so a spec's key order does not split a series.
 *
 * Alerts: when an experiment ends (or is imported), every series of its
 * configuration in the key metrics is checked with the newest point
 * tested too (tentative), at alpha divided by the number of series
 * (Bonferroni: one check is one family of tests); the change points are grouped by the experiment
 * after the step into one alert, a regression when any metric moved the
 * wrong way by its direction (metric_higher_is_better), with each change's
 * 95 % CI. A tentative alert that the next point does not confirm, and
 * an untriaged alert whose step moved (an out-of-order submission filled
 * the gap), are dropped.
 */
#include "history_impl.h"
#include "store_impl.h"
#include "../lib/util.h"
#include "../lib/logger.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_LIMIT_DEFAULT 200
#define HISTORY_LIMIT_MAX 1000
#define HISTORY_WINDOW_MAX 100
#define HISTORY_MIN_CHANGE_MAX 100.0
#define CP_MAX 256              /* change points kept per series */

#define CONFIG_ID_LEN 16
/* The metrics an experiment's end checks for alerts: the vocabulary's alert
 * metrics (lib/vocab.c), reported ones only (the store holds no derived). */
#define ALERT_METRICS_MAX 32

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
 * points; 0, or -1 when changepoints_detect fails (p is freeable either way). */
static int points_of(const struct hseries *s, const struct cp_params *cp, struct points *p)
{
	long found;

	memset(p, 0, sizeof(*p));
	p->first = xmalloc((s->n + 1) * sizeof(*p->first));
	p->count = xmalloc((s->n + 1) * sizeof(*p->count));
	p->rows = xmalloc((s->n + 1) * sizeof(*p->rows));
	p->vals = xmalloc((s->n + 1) * sizeof(*p->vals));
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
	json_put(o, "experiment", exp_id_json(e->id), &bad);
	json_put(o, "label", label_json(e), &bad);
	json_put(o, "version", e->version ? json_string(e->version) : json_null(), &bad);
	json_put(o, "imported", json_boolean(e->imported), &bad);
	json_put(o, "created_at", json_string(when), &bad);
	json_put(o, "n", json_integer((json_int_t)p->count[k]), &bad);
	json_put(o, "median", store_number_json(median_of(p->rows[k], p->count[k])), &bad);
	json_put(o, "values", vals, &bad);
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

/* Whether a change of metric is a regression (worse by its direction). */
static int is_regression(const char *metric, double change)
{
	return metric_higher_is_better(metric) ? change < 0 : change > 0;
}

static json_t *ci_json(const struct cp_result *c)
{
	return json_pack("[o, o]", isfinite(c->ci_lo) ? json_real(c->ci_lo) : json_null(),
			 isfinite(c->ci_hi) ? json_real(c->ci_hi) : json_null());
}

static json_t *change_point_json(const struct history *h, const struct hseries *sr,
				 const struct points *p, const struct cp_result *c,
				 const char *metric)
{
	const struct hexp *e = point_exp(h, sr, p, c->index);
	const struct hexp *prev = point_exp(h, sr, p, c->index - 1);
	json_t *o = json_object();
	int bad = !o;

	if (bad)
		return NULL;
	json_put(o, "index", json_integer((json_int_t)c->index), &bad);
	json_put(o, "experiment", exp_id_json(e->id), &bad);
	json_put(o, "previous", exp_id_json(prev->id), &bad);
	json_put(o, "label", label_json(e), &bad);
	json_put(o, "before", store_number_json(c->before), &bad);
	json_put(o, "after", store_number_json(c->after), &bad);
	json_put(o, "change", isfinite(c->change) ? json_real(c->change) : json_null(), &bad);
	json_put(o, "ci", ci_json(c), &bad);
	json_put(o, "p", json_real(c->p), &bad);
	json_put(o, "direction", json_string(is_regression(metric, c->change) ? "regression"
									  : "improvement"), &bad);
	json_put(o, "tentative", json_boolean(c->tentative), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *series_json(const struct history *h, const struct hseries *sr,
			   const struct points *p, const char *metric)
{
	const struct hexp *e0 = p->n ? point_exp(h, sr, p, 0) : NULL;
	json_t *o = json_object(), *pts = json_array(), *cps = json_array();
	int bad = !o || !pts || !cps;

	for (size_t k = 0; !bad && k < p->n; k++)
		if (json_array_append_new(pts, point_json(h, sr, p, k)))
			bad = 1;
	for (size_t k = 0; !bad && k < p->ncp; k++)
		if (json_array_append_new(cps, change_point_json(h, sr, p, &p->cps[k], metric)))
			bad = 1;
	if (bad) {
		json_decref(o);
		json_decref(pts);
		json_decref(cps);
		return NULL;
	}
	json_put(o, "config", json_string(sr->config_id), &bad);
	json_put(o, "configuration", e0 ? json_loads(e0->config, JSON_DECODE_ANY, NULL) : json_null(),
		 &bad);
	json_put(o, "cell", json_loads(sr->cell, 0, NULL), &bad);
	json_put(o, "points", pts, &bad);
	json_put(o, "change_points", cps, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
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
	if (q->config && (strlen(q->config) != CONFIG_ID_LEN ||
			  strspn(q->config, "0123456789abcdef") != CONFIG_ID_LEN))
		return refuse(err, elen, "config", "must be a configuration id, %d hex digits"
			      " (GET /api/v1/history/configs lists them)", CONFIG_ID_LEN);
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
	struct cp_params cp = {q->min_change, q->alpha, q->window, 1};
	struct history_filter f = {target, q->workload, q->config, q->limit, q->strategy, NULL};
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
	f.cell = cell;
	if ((*rc = history_metric_ids(st, names, &id, found, &nid)) ||
	    (*rc = history_load(st, &f, &id, nid, &h))) {
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
		    json_array_append_new(series, series_json(&h, &h.series[i], &p, q->metric)))
			bad = 1;
		points_free(&p);
	}
	if (!bad) {
		json_put(doc, "workload", json_string(q->workload), &bad);
		json_put(doc, "metric", json_string(q->metric), &bad);
		json_put(doc, "strategy", json_string(q->strategy), &bad);
		json_put(doc, "target", json_string(target), &bad);
		json_put(doc, "config", q->config ? json_string(q->config) : json_null(), &bad);
		json_put(doc, "params", params_json(q), &bad);
		json_put(doc, "series", series, &bad);
		series = NULL;
	}
	history_free(&h);
	json_decref(series);
	if (bad) {
		*rc = store_fail(st, STORE_ERR, "out of memory");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* ---- an experiment's end: alerts ---- */

struct groups {
	struct alert_group *v;
	size_t n, cap;
};

static void groups_free(struct groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].c);
	free(g->v);
}

/* The group of experiment exp (added when new). */
static struct alert_group *group_of(struct groups *g, int64_t exp, int64_t prev)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].experiment == exp)
			return &g->v[i];
	g->v = xgrow(g->v, &g->cap, g->n, sizeof(*g->v));
	g->v[g->n] = (struct alert_group){.experiment = exp, .previous = prev, .tentative = 1};
	return &g->v[g->n++];
}

/* Adds the change points of series sr (metric named metric) to their groups. */
static void add_changes(struct groups *g, const struct history *h, const struct hseries *sr,
			const struct points *p, const char *metric)
{
	for (size_t k = 0; k < p->ncp; k++) {
		const struct cp_result *c = &p->cps[k];
		const struct hexp *e = point_exp(h, sr, p, c->index);
		const struct hexp *prev = point_exp(h, sr, p, c->index - 1);
		struct alert_group *a = group_of(g, e->id, prev->id);
		int regression = is_regression(metric, c->change);

		a->c = xgrow(a->c, &a->cap, a->n, sizeof(*a->c));
		a->c[a->n++] = (struct alert_change){
			.cell = sr->cell, .strategy = sr->strategy, .metric = metric,
			.regression = regression, .before = c->before, .after = c->after,
			.change = c->change, .ci_lo = c->ci_lo, .ci_hi = c->ci_hi, .p = c->p,
		};
		a->regression |= regression;
		a->tentative &= c->tentative;
	}
}

/* Change points of every series of configuration config in the key
 * metrics, stored as alerts; *added of them new. */
static int check_config(struct store *st, const char *config, int *added)
{
	enum { N = ALERT_METRICS_MAX + 1 };
	const char *alert_metrics[N];
	size_t na = 0;
	struct history_filter f = {.config = config, .limit = HISTORY_LIMIT_DEFAULT};
	struct groups g = {0};
	struct cp_params cp;
	const char *found[N];
	int64_t ids[N], *seen = NULL;
	struct history h;
	const char *target = NULL, *workload = NULL;
	json_t *cfg = NULL;
	size_t n = 0;
	int rc;

	for (const struct metric_info *m; na < ALERT_METRICS_MAX && (m = vocab_view_at(VIEW_ALERTS, na));)
		alert_metrics[na++] = m->name;
	alert_metrics[na] = NULL;
	cp_defaults(&cp);
	cp.tentative = 1;
	if ((rc = history_metric_ids(st, alert_metrics, ids, found, &n)) || !n)
		return rc;
	if ((rc = history_load(st, &f, ids, n, &h)))
		return rc;
	/* Every series of the configuration is tested at once: Bonferroni keeps
	 * the chance of any false alarm per check near alpha, so a flat noisy
	 * history raises nothing however many series it has. */
	if (h.nseries > 1)
		cp.alpha /= (double)h.nseries;
	for (size_t i = 0; !rc && i < h.nseries; i++) {
		const char *metric = NULL;
		struct points p;

		for (size_t k = 0; k < n; k++)
			if (ids[k] == h.series[i].metric)
				metric = found[k];
		if (points_of(&h.series[i], &cp, &p))
			rc = store_fail(st, STORE_ERR, "change points: parameters out of range");
		else if (metric)
			add_changes(&g, &h, &h.series[i], &p, metric);
		points_free(&p);
	}
	if (!rc && h.nexps) {
		cfg = json_loads(h.exps[0].config, JSON_DECODE_ANY, NULL);
		target = json_string_value(json_object_get(cfg, "target"));
		workload = json_string_value(json_object_get(cfg, "workload"));
		seen = xmalloc(h.nexps * sizeof(*seen));
		for (size_t i = 0; i < h.nexps; i++)
			seen[i] = h.exps[i].id;
	}
	if (!rc && h.nexps && target && workload)
		rc = store_save_alerts(st, config, target, workload, g.v, g.n, seen, h.nexps, added);
	free(seen);
	json_decref(cfg);
	groups_free(&g);
	history_free(&h);
	return rc;
}

static atomic_llong analyses;

long long history_analyses(void)
{
	return atomic_load(&analyses);
}

void history_on_ended(struct store *st, const char (*exps)[32], size_t n)
{
	char (*config)[CONFIG_ID_LEN + 1] = xcalloc(n, sizeof(*config));
	int64_t *id = xcalloc(n, sizeof(*id)), *done = xcalloc(n, sizeof(*done));
	int *ok = xcalloc(n, sizeof(*ok));
	size_t ndone = 0;

	atomic_fetch_add(&analyses, (long long)n);
	for (size_t i = 0; i < n; i++) {
		int rc = (id[i] = store_parse_exp(exps[i])) ? history_ended(st, id[i], config[i], sizeof(config[i])) : 0;

		if (rc < 0)
			log_warn("alerts after %s: %s", exps[i], store_error(st));
		if (rc != 1)
			config[i][0] = 0; /* not ended (analysed when it ends), or unknown */
	}
	/* each configuration once: its history holds every experiment here, ended before */
	for (size_t i = 0; i < n; i++) {
		size_t first = 0;
		int rc, added = 0;

		if (!config[i][0])
			continue;
		while (strcmp(config[first], config[i]))
			first++;
		if (first < i) {
			ok[i] = ok[first];
		} else if ((rc = check_config(st, config[i], &added)) < 0) {
			log_warn("alerts after %s: %s", exps[i], store_error(st));
		} else {
			ok[i] = 1;
			if (added)
				log_info("%s: %d new alert%s", exps[i], added, added == 1 ? "" : "s");
		}
		if (ok[i])
			done[ndone++] = id[i];
	}
	if (history_mark_analysed(st, done, ndone))
		log_warn("alert analyses done, not recorded: %s", store_error(st));
	free(config);
	free(id);
	free(done);
	free(ok);
}
