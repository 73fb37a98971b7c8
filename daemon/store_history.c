/*
 * store_history.c - the SQL of history.c: a workload's history loaded in
 * one snapshot (its ended experiments in version order of their labels,
 * and the values of some metrics in their done runs), and the alerts table
 * (schema/002_history.sql): storing the change points history.c finds,
 * once per series and experiment, and the page of GET /api/v1/alerts.
 * These reads and writes are rare, so their statements are prepared per
 * call rather than cached with the store's.
 */
#include "history_impl.h"
#include "store_impl.h"
#include "../lib/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- version order of labels ---- */

/* dpkg's weight of a character outside a digit run: '~' before the end
 * (and digits), letters, then everything else. */
static int order_of(int c)
{
	if (c == '~')
		return -1;
	if (!c || isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	return c + 256;
}

/* A kernel pre-release suffix after '-': read as '~'. */
static int prerelease_at(const char *s)
{
	return s[0] == '-' && (!strncmp(s + 1, "rc", 2) || !strncmp(s + 1, "pre", 3) ||
			       !strncmp(s + 1, "alpha", 5) || !strncmp(s + 1, "beta", 4));
}

/* The character at p of a label as the order reads it. */
static int label_char(const char *p)
{
	return prerelease_at(p) ? '~' : (unsigned char)*p;
}

/* dpkg's verrevcmp over the labels as label_char reads them. */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		int first = 0;

		while ((*a && !isdigit((unsigned char)*a)) || (*b && !isdigit((unsigned char)*b))) {
			int ac = order_of(label_char(a)), bc = order_of(label_char(b));

			if (ac != bc)
				return ac < bc ? -1 : 1;
			a++;
			b++;
		}
		while (*a == '0')
			a++;
		while (*b == '0')
			b++;
		while (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			if (!first)
				first = *a - *b;
			a++;
			b++;
		}
		if (isdigit((unsigned char)*a))
			return 1;
		if (isdigit((unsigned char)*b))
			return -1;
		if (first)
			return first < 0 ? -1 : 1;
	}
	return 0;
}

int history_label_cmp(const char *a, const char *b)
{
	int c = version_cmp(a, b);

	if (c)
		return c;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

/* ---- loading a history ---- */

void history_free(struct history *h)
{
	for (size_t i = 0; i < h->nexps; i++) {
		free(h->exps[i].label);
		free(h->exps[i].version);
		free(h->exps[i].config_id);
		free(h->exps[i].config);
	}
	free(h->exps);
	free(h->order);
	for (size_t i = 0; i < h->nseries; i++) {
		free(h->series[i].cell);
		free(h->series[i].strategy);
		free(h->series[i].v);
	}
	free(h->series);
	memset(h, 0, sizeof(*h));
}

char *history_canonical_cell(const char *text)
{
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	char *s = json_is_object(v) ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(v);
	return s;
}

/* What orders an experiment: its kernel version, else its label. */
static const char *version_key(const struct hexp *e)
{
	return e->version ? e->version : e->label;
}

static int by_version(const void *pa, const void *pb)
{
	const struct hexp *a = *(const struct hexp *const *)pa, *b = *(const struct hexp *const *)pb;
	const char *ka = version_key(a), *kb = version_key(b);
	int c;

	if (!ka != !kb)
		return ka ? -1 : 1;
	if (ka && (c = history_label_cmp(ka, kb)))
		return c;
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Both use a partial index of ended experiments: a backlog of queued ones
 * is never walked (issue 14: the drain stays linear). */
static const char exps_by_config_sql[] =
	"SELECT id, label, created_at, config_id, kernel, imported_from, config FROM experiments"
	" WHERE config_id = ?1 AND status IN ('done', 'failed') AND (?3 IS NULL OR target = ?3)"
	" AND (?4 IS NULL OR workload = ?4) ORDER BY id DESC LIMIT ?2";
static const char exps_by_workload_sql[] =
	"SELECT id, label, created_at, config_id, kernel, imported_from, config FROM experiments"
	" WHERE target = ?1 AND workload = ?2 AND status IN ('done', 'failed')"
	" ORDER BY id DESC LIMIT ?3";

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* The experiments of the history, ranked. */
static int load_exps(struct store *st, struct store_tls *t, const struct history_filter *f,
		     struct history *h)
{
	sqlite3_stmt *s = NULL;
	int code, row;

	code = sqlite3_prepare_v2(t->db, f->config ? exps_by_config_sql : exps_by_workload_sql, -1,
				  &s, NULL);
	if (code != SQLITE_OK)
		return store_sql_fail(st, t->db, code, 0, "prepare history");
	if (f->config) {
		sqlite3_bind_text(s, 1, f->config, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, f->limit);
		if (f->target)
			sqlite3_bind_text(s, 3, f->target, -1, SQLITE_STATIC);
		if (f->workload)
			sqlite3_bind_text(s, 4, f->workload, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(s, 1, f->target, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, f->workload, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, f->limit);
	}
	/* f->limit is at most HISTORY_LIMIT_MAX (history.c refuses more) */
	h->exps = xcalloc((size_t)f->limit, sizeof(*h->exps));
	h->order = xcalloc((size_t)f->limit, sizeof(*h->order));
	while ((row = store_rrow(st, t, s, "history experiments")) == 1 &&
	       h->nexps < (size_t)f->limit) {
		/* newest first; reversed below so exps ascends by id */
		struct hexp *e = &h->exps[h->nexps++];
		const char *label = (const char *)sqlite3_column_text(s, 1);
		const char *config = (const char *)sqlite3_column_text(s, 3);
		const char *kernel = (const char *)sqlite3_column_text(s, 4);
		const char *cfg = (const char *)sqlite3_column_text(s, 6);

		e->id = sqlite3_column_int64(s, 0);
		e->created = sqlite3_column_int64(s, 2);
		e->imported = sqlite3_column_type(s, 5) != SQLITE_NULL;
		if (kernel) {
			json_t *k = json_loads(kernel, 0, NULL);

			e->version = dup_or_null(json_string_value(json_object_get(k, "version")));
			json_decref(k);
		}
		e->label = dup_or_null(label);
		e->config_id = xstrdup(config ? config : "");
		e->config = xstrdup(cfg ? cfg : "null");
	}
	sqlite3_finalize(s);
	if (row < 0)
		return row;
	for (size_t i = 0; i < h->nexps / 2; i++) {
		struct hexp tmp = h->exps[i];

		h->exps[i] = h->exps[h->nexps - 1 - i];
		h->exps[h->nexps - 1 - i] = tmp;
	}
	for (size_t i = 0; i < h->nexps; i++)
		h->order[i] = &h->exps[i];
	qsort(h->order, h->nexps, sizeof(*h->order), by_version);
	for (size_t i = 0; i < h->nexps; i++)
		h->order[i]->rank = i;
	return 0;
}

static struct hexp *find_exp(const struct history *h, int64_t id)
{
	size_t lo = 0, hi = h->nexps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->exps[mid].id == id)
			return &h->exps[mid];
		if (h->exps[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct hseries *new_series(struct history *h, const char *config, const char *cell,
				  const char *strategy, int64_t metric)
{
	struct hseries *s;

	h->series = xgrow(h->series, &h->cap, h->nseries, sizeof(*h->series));
	s = &h->series[h->nseries];
	memset(s, 0, sizeof(*s));
	s->metric = metric;
	s->config_id = config;
	s->cell = xstrdup(cell);
	s->strategy = xstrdup(strategy);
	h->nseries++;
	return s;
}

static void add_value(struct hseries *s, size_t rank, size_t seq, double v)
{
	s->v = xgrow(s->v, &s->cap, s->n, sizeof(*s->v));
	s->v[s->n++] = (struct hval){rank, seq, v};
}

/* "+r.status": by the experiments' runs, never by the index of every done
 * run (which grows with the store, and made each check walk it). ?2: the
 * metric ids wanted, "1, 2, 3"; a run's final metrics are one packed row
 * (schema/005_packed_metrics.sql). */
static const char rows_sql[] =
	"SELECT r.experiment, r.cell, r.strategy, w.value AS metric,"
	" svabench_metric(q.metrics, m.vals, w.value) AS v FROM runs r"
	" CROSS JOIN run_metrics m ON m.run = r.id CROSS JOIN sample_sets q ON q.id = m.sset"
	" CROSS JOIN json_each('[' || ?2 || ']') w WHERE r.experiment IN (%s)"
	" AND +r.status = 'done' AND (?1 IS NULL OR r.strategy = ?1) AND v IS NOT NULL"
	" ORDER BY r.cell, r.strategy, metric, r.experiment, r.idx";

/* "1, 2, 3" of n numbers (malloc'd). */
static char *id_list(const int64_t *v, size_t n, size_t stride)
{
	char *list = xmalloc(n * 24 + 1);
	size_t len = 0;

	list[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(list + len, "%s%lld", i ? ", " : "",
				       (long long)*(const int64_t *)((const char *)v + i * stride));
	return list;
}

/*
 * Every value of metrics ids[n] in done runs of f->strategy (NULL: any) of
 * the history's experiments, one series per (configuration, cell,
 * strategy, metric); f->cell (canonical, NULL: any) keeps one cell.
 */
static int load_values(struct store *st, struct store_tls *t, const struct history_filter *f,
		       const int64_t *ids, size_t n, struct history *h)
{
	char *exps = id_list(&h->exps[0].id, h->nexps, sizeof(h->exps[0]));
	char *metrics = id_list(ids, n, sizeof(*ids)), *sql = NULL;
	char *raw = NULL, *canon = NULL;
	struct hseries *cur = NULL;
	sqlite3_stmt *s = NULL;
	size_t seq = 0, len;
	int code, row = 0, rc = 0;

	sql = xmalloc(len = sizeof(rows_sql) + strlen(exps) + strlen(metrics));
	snprintf(sql, len, rows_sql, exps);
	if ((code = sqlite3_prepare_v2(t->db, sql, -1, &s, NULL)) != SQLITE_OK) {
		rc = store_sql_fail(st, t->db, code, 0, "prepare history");
		goto out;
	}
	if (f->strategy)
		sqlite3_bind_text(s, 1, f->strategy, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, metrics, -1, SQLITE_STATIC);
	while ((row = store_rrow(st, t, s, "history values")) == 1) {
		const char *c = (const char *)sqlite3_column_text(s, 1);
		const char *strat = (const char *)sqlite3_column_text(s, 2);
		int64_t metric = sqlite3_column_int64(s, 3);
		struct hexp *e = find_exp(h, sqlite3_column_int64(s, 0));

		if (!e || !c || !strat)
			continue;
		if (!raw || strcmp(raw, c)) {
			free(raw);
			free(canon);
			raw = xstrdup(c);
			canon = history_canonical_cell(c);
			cur = NULL;
		}
		if (!canon || (f->cell && strcmp(canon, f->cell)))
			continue;
		if (!cur || cur->metric != metric || strcmp(cur->strategy, strat) ||
		    strcmp(cur->config_id, e->config_id))
			cur = new_series(h, e->config_id, canon, strat, metric);
		add_value(cur, e->rank, seq++, sqlite3_column_double(s, 4));
	}
	if (!rc && row < 0)
		rc = row;
out:
	sqlite3_finalize(s);
	free(sql);
	free(exps);
	free(metrics);
	free(raw);
	free(canon);
	return rc;
}

static int by_series(const void *pa, const void *pb)
{
	const struct hseries *a = pa, *b = pb;
	int c = strcmp(a->config_id, b->config_id);

	if (!c)
		c = strcmp(a->cell, b->cell);
	if (!c)
		c = strcmp(a->strategy, b->strategy);
	if (!c)
		c = a->metric < b->metric ? -1 : a->metric > b->metric;
	return c;
}

static int by_point(const void *pa, const void *pb)
{
	const struct hval *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Merges series that are one (raw cells differing in key order, or rows of
 * one configuration interleaved with another's); orders values. */
static void settle(struct history *h)
{
	size_t out = 0;

	if (!h->nseries)
		return;
	qsort(h->series, h->nseries, sizeof(*h->series), by_series);
	for (size_t i = 0; i < h->nseries; i++) {
		struct hseries *s = &h->series[i];

		if (out && !by_series(&h->series[out - 1], s)) {
			struct hseries *d = &h->series[out - 1];

			for (size_t k = 0; k < s->n; k++)
				add_value(d, s->v[k].rank, s->v[k].seq, s->v[k].v);
			free(s->cell);
			free(s->strategy);
			free(s->v);
			continue;
		}
		h->series[out++] = *s;
	}
	h->nseries = out;
	for (size_t i = 0; i < h->nseries; i++)
		qsort(h->series[i].v, h->series[i].n, sizeof(*h->series[i].v), by_point);
}

int history_load(struct store *st, const struct history_filter *f, const int64_t *ids, size_t n,
		 struct history *h)
{
	struct store_tls *t;
	int rc;

	memset(h, 0, sizeof(*h));
	if (!(t = store_reader(st, &rc)) || (rc = store_rbegin(st, t)))
		return rc;
	rc = load_exps(st, t, f, h);
	if (!rc && n && h->nexps)
		rc = load_values(st, t, f, ids, n, h);
	store_rend(st, t);
	if (!rc)
		settle(h);
	if (rc)
		history_free(h);
	return rc;
}

int history_metric_ids(struct store *st, const char *const *names, int64_t *ids,
		      const char **found, size_t *n)
{
	static const char sql[] = "SELECT id FROM metric_names WHERE name = ?1";
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int rc, code;

	*n = 0;
	if (!(t = store_reader(st, &rc)))
		return rc;
	if ((code = sqlite3_prepare_v2(t->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return store_sql_fail(st, t->db, code, 0, "prepare metric names");
	rc = 0;
	for (size_t i = 0; names[i]; i++) {
		int row;

		sqlite3_bind_text(s, 1, names[i], -1, SQLITE_STATIC);
		row = store_rrow(st, t, s, "metric names");
		if (row < 0) {
			rc = row;
			break;
		}
		if (row == 1) {
			ids[*n] = sqlite3_column_int64(s, 0);
			found[(*n)++] = names[i];
			sqlite3_reset(s);
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- an experiment's end ---- */

static const char status_sql[] = "SELECT status, config_id FROM experiments WHERE id = ?1";

int history_ended(struct store *st, int64_t exp, char *config_id, size_t len)
{
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int rc, code, row;

	if (!(t = store_reader(st, &rc)))
		return rc;
	if ((code = sqlite3_prepare_v2(t->db, status_sql, -1, &s, NULL)) != SQLITE_OK)
		return store_sql_fail(st, t->db, code, 0, "prepare experiment status");
	sqlite3_bind_int64(s, 1, exp);
	row = store_rrow(st, t, s, "experiment status");
	rc = row;
	if (row == 1) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		const char *config = (const char *)sqlite3_column_text(s, 1);

		rc = status && config && (!strcmp(status, "done") || !strcmp(status, "failed"));
		if (rc)
			snprintf(config_id, len, "%s", config);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- alerts ---- */

static void bind_real(sqlite3_stmt *s, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static const char *const save_sql[] = {
	/* 0: the alert at (config, experiment), if any */
	"SELECT id FROM alerts WHERE config_id = ?1 AND experiment = ?2",
	/* 1: a new one */
	"INSERT INTO alerts (created_at, updated_at, config_id, target, workload, experiment,"
	" previous, direction, tentative) VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* 2: an existing one, its triage kept */
	"UPDATE alerts SET updated_at = ?2, previous = ?3, direction = ?4, tentative = ?5"
	" WHERE id = ?1",
	/* 3, 4: its changes */
	"DELETE FROM alert_changes WHERE alert = ?1",
	"INSERT INTO alert_changes (alert, cell, strategy, metric, direction, value_before,"
	" value_after, change, ci_low, ci_high, p) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	" ?10, ?11)",
	/* 5: untriaged alerts of the configuration */
	"SELECT id, experiment FROM alerts WHERE config_id = ?1 AND status = 'new'",
	/* 6 */
	"DELETE FROM alerts WHERE id = ?1",
};
enum { SV_FIND, SV_INSERT, SV_UPDATE, SV_CLEAR, SV_CHANGE, SV_NEW, SV_DROP, SV_N };

static const char *direction_of(int regression)
{
	return regression ? "regression" : "improvement";
}

/* One group: inserted or updated, its changes replaced. */
static int save_group(struct store *st, sqlite3_stmt **q, const char *config, const char *target,
		      const char *workload, const struct alert_group *g, int64_t now, int *added)
{
	int64_t id = 0;
	int rc, row;

	sqlite3_bind_text(q[SV_FIND], 1, config, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q[SV_FIND], 2, g->experiment);
	row = sqlite3_step(q[SV_FIND]);
	if (row == SQLITE_ROW)
		id = sqlite3_column_int64(q[SV_FIND], 0);
	sqlite3_reset(q[SV_FIND]);
	if (row != SQLITE_ROW && row != SQLITE_DONE)
		return store_sql_fail(st, st->w, row, 1, "find alert");
	if (id) {
		sqlite3_bind_int64(q[SV_UPDATE], 1, id);
		sqlite3_bind_int64(q[SV_UPDATE], 2, now);
		if (g->previous)
			sqlite3_bind_int64(q[SV_UPDATE], 3, g->previous);
		else
			sqlite3_bind_null(q[SV_UPDATE], 3);
		sqlite3_bind_text(q[SV_UPDATE], 4, direction_of(g->regression), -1, SQLITE_STATIC);
		sqlite3_bind_int(q[SV_UPDATE], 5, g->tentative);
		if ((rc = store_wrun(st, q[SV_UPDATE], "update alert")))
			return rc;
	} else {
		sqlite3_bind_int64(q[SV_INSERT], 1, now);
		bind_text(q[SV_INSERT], 2, config);
		bind_text(q[SV_INSERT], 3, target);
		bind_text(q[SV_INSERT], 4, workload);
		sqlite3_bind_int64(q[SV_INSERT], 5, g->experiment);
		if (g->previous)
			sqlite3_bind_int64(q[SV_INSERT], 6, g->previous);
		else
			sqlite3_bind_null(q[SV_INSERT], 6);
		sqlite3_bind_text(q[SV_INSERT], 7, direction_of(g->regression), -1, SQLITE_STATIC);
		sqlite3_bind_int(q[SV_INSERT], 8, g->tentative);
		if ((rc = store_wrun(st, q[SV_INSERT], "add alert")))
			return rc;
		id = sqlite3_last_insert_rowid(st->w);
		(*added)++;
	}
	sqlite3_bind_int64(q[SV_CLEAR], 1, id);
	if ((rc = store_wrun(st, q[SV_CLEAR], "clear alert changes")))
		return rc;
	for (size_t k = 0; k < g->n; k++) {
		const struct alert_change *c = &g->c[k];
		sqlite3_stmt *s = q[SV_CHANGE];

		sqlite3_bind_int64(s, 1, id);
		bind_text(s, 2, c->cell);
		bind_text(s, 3, c->strategy);
		bind_text(s, 4, c->metric);
		sqlite3_bind_text(s, 5, direction_of(c->regression), -1, SQLITE_STATIC);
		bind_real(s, 6, c->before);
		bind_real(s, 7, c->after);
		bind_real(s, 8, c->change);
		bind_real(s, 9, c->ci_lo);
		bind_real(s, 10, c->ci_hi);
		bind_real(s, 11, c->p);
		if ((rc = store_wrun(st, s, "add alert change")))
			return rc;
	}
	return 0;
}

static int in_ids(const int64_t *v, size_t n, int64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* Untriaged alerts at a seen experiment that is no change any more. */
static int drop_stale(struct store *st, sqlite3_stmt **q, const char *config,
		      const struct alert_group *g, size_t n, const int64_t *seen, size_t nseen)
{
	int64_t *drop = NULL;
	size_t ndrop = 0, cap = 0;
	int row, rc = 0;

	sqlite3_bind_text(q[SV_NEW], 1, config, -1, SQLITE_STATIC);
	while ((row = sqlite3_step(q[SV_NEW])) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q[SV_NEW], 0), exp = sqlite3_column_int64(q[SV_NEW], 1);
		int found = 0;

		for (size_t i = 0; i < n && !found; i++)
			found = g[i].experiment == exp;
		if (found || !in_ids(seen, nseen, exp))
			continue;
		if (ndrop == cap) {
			drop = xreallocarray(drop, cap = cap ? cap * 2 : 8, sizeof(*drop));
		}
		drop[ndrop++] = id;
	}
	sqlite3_reset(q[SV_NEW]);
	if (!rc && row != SQLITE_ROW && row != SQLITE_DONE)
		rc = store_sql_fail(st, st->w, row, 0, "untriaged alerts");
	for (size_t i = 0; !rc && i < ndrop; i++) {
		sqlite3_bind_int64(q[SV_DROP], 1, drop[i]);
		rc = store_wrun(st, q[SV_DROP], "drop alert");
	}
	free(drop);
	return rc;
}

int store_save_alerts(struct store *st, const char *config, const char *target,
		      const char *workload, const struct alert_group *g, size_t n,
		      const int64_t *seen, size_t nseen, int *added)
{
	sqlite3_stmt *q[SV_N] = {0};
	int64_t now = store_now_ms();
	int rc, count = 0;

	if (added)
		*added = 0;
	store_wlock(st);
	rc = store_wbegin(st);
	for (int k = 0; !rc && k < SV_N; k++) {
		int code = sqlite3_prepare_v2(st->w, save_sql[k], -1, &q[k], NULL);

		if (code != SQLITE_OK)
			rc = store_sql_fail(st, st->w, code, 0, "prepare alerts");
	}
	for (size_t i = 0; !rc && i < n; i++)
		rc = save_group(st, q, config, target, workload, &g[i], now, &count);
	if (!rc)
		rc = drop_stale(st, q, config, g, n, seen, nseen);
	for (int k = 0; k < SV_N; k++)
		sqlite3_finalize(q[k]);
	rc = store_wend(st, rc);
	store_wunlock(st);
	if (!rc && added)
		*added = count;
	return rc;
}

/* ---- GET /api/v1/alerts ---- */

static const char list_sql[] =
	"SELECT a.id, a.created_at, a.updated_at, a.config_id, a.target, a.workload,"
	" a.experiment, e.label, e.kernel, e.imported_from, a.previous, p.label, p.kernel,"
	" a.direction, a.tentative, a.status, a.status_at, a.note, e.config FROM alerts a"
	" JOIN experiments e ON e.id = a.experiment LEFT JOIN experiments p ON p.id = a.previous"
	" WHERE a.id < ?1 AND (?2 IS NULL OR a.target = ?2) AND (?3 IS NULL OR a.workload = ?3)"
	" AND (?4 IS NULL OR EXISTS (SELECT 1 FROM alert_changes c WHERE c.alert = a.id"
	" AND c.metric = ?4)) AND (?5 IS NULL OR EXISTS (SELECT 1 FROM alert_changes c"
	" WHERE c.alert = a.id AND c.strategy = ?5)) AND (?6 IS NULL OR a.status = ?6)"
	" AND (?7 IS NULL OR a.direction = ?7) AND (?8 IS NULL OR a.config_id = ?8)"
	" AND (?9 IS NULL OR a.experiment = ?9 OR a.previous = ?9)"
	" ORDER BY a.id DESC LIMIT ?10";
static const char one_sql[] =
	"SELECT a.id, a.created_at, a.updated_at, a.config_id, a.target, a.workload,"
	" a.experiment, e.label, e.kernel, e.imported_from, a.previous, p.label, p.kernel,"
	" a.direction, a.tentative, a.status, a.status_at, a.note, e.config FROM alerts a"
	" JOIN experiments e ON e.id = a.experiment LEFT JOIN experiments p ON p.id = a.previous"
	" WHERE a.id = ?1";
static const char changes_sql[] =
	"SELECT cell, strategy, metric, direction, value_before, value_after, change, ci_low,"
	" ci_high, p FROM alert_changes WHERE alert = ?1 ORDER BY metric, strategy, cell";

static json_t *text_json(sqlite3_stmt *s, int col)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	return v ? json_string(v) : json_null();
}

static json_t *json_col(sqlite3_stmt *s, int col)
{
	const char *v = (const char *)sqlite3_column_text(s, col);
	json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;

	return j ? j : json_null();
}

static json_t *real_json(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	return store_number_json(sqlite3_column_double(s, col));
}

static json_t *time_json(sqlite3_stmt *s, int col)
{
	char buf[48];

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	store_format_time(sqlite3_column_int64(s, col), buf, sizeof(buf));
	return json_string(buf);
}

static json_t *exp_json(sqlite3_stmt *s, int col)
{
	char buf[32];

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	snprintf(buf, sizeof(buf), "e%lld", (long long)sqlite3_column_int64(s, col));
	return json_string(buf);
}

/* The changes of alert id, and the largest as the alert's magnitude. */
static json_t *changes_json(struct store *st, struct store_tls *t, int64_t id, json_t **magnitude,
			    int *rc)
{
	json_t *a = json_array();
	sqlite3_stmt *s = NULL;
	double best = -1;
	int code, row = 0, bad = !a;

	*magnitude = NULL;
	if (bad || (code = sqlite3_prepare_v2(t->db, changes_sql, -1, &s, NULL)) != SQLITE_OK) {
		*rc = bad ? store_fail(st, STORE_ERR, "out of memory")
			  : store_sql_fail(st, t->db, code, 0, "prepare alert changes");
		json_decref(a);
		return NULL;
	}
	sqlite3_bind_int64(s, 1, id);
	while (!bad && (row = store_rrow(st, t, s, "alert changes")) == 1) {
		json_t *o = json_object(), *ci = json_array();
		const char *cell = (const char *)sqlite3_column_text(s, 0);
		double change = sqlite3_column_double(s, 6);

		bad = !o || !ci;
		if (!bad) {
			json_array_append_new(ci, real_json(s, 7));
			json_array_append_new(ci, real_json(s, 8));
		}
		json_put(o, "cell", cell ? json_loads(cell, 0, NULL) : json_object(), &bad);
		json_put(o, "strategy", text_json(s, 1), &bad);
		json_put(o, "metric", text_json(s, 2), &bad);
		json_put(o, "direction", text_json(s, 3), &bad);
		json_put(o, "before", real_json(s, 4), &bad);
		json_put(o, "after", real_json(s, 5), &bad);
		json_put(o, "change", real_json(s, 6), &bad);
		json_put(o, "ci", ci, &bad);
		json_put(o, "p", real_json(s, 9), &bad);
		if (!bad && sqlite3_column_type(s, 6) != SQLITE_NULL && fabs(change) > best) {
			best = fabs(change);
			json_decref(*magnitude);
			*magnitude = json_pack("{s:O, s:O, s:O, s:O, s:O}", "metric",
					       json_object_get(o, "metric"), "strategy",
					       json_object_get(o, "strategy"), "cell",
					       json_object_get(o, "cell"), "change",
					       json_object_get(o, "change"), "ci",
					       json_object_get(o, "ci"));
		}
		if (bad || json_array_append_new(a, o))
			bad = 1;
		if (bad)
			json_decref(o);
	}
	sqlite3_finalize(s);
	if (bad || row < 0) {
		*rc = row < 0 ? row : store_fail(st, STORE_ERR, "out of memory");
		json_decref(a);
		json_decref(*magnitude);
		*magnitude = NULL;
		return NULL;
	}
	if (!*magnitude)
		*magnitude = json_null();
	return a;
}

static json_t *side_json(sqlite3_stmt *s, int exp, int label, int kernel)
{
	return json_pack("{s:o, s:o, s:o}", "experiment", exp_json(s, exp), "label",
			 text_json(s, label), "kernel", json_col(s, kernel));
}

/* The alert of the current row of list_sql / one_sql. */
static json_t *alert_json(struct store *st, struct store_tls *t, sqlite3_stmt *s, int *rc)
{
	int64_t id = sqlite3_column_int64(s, 0);
	json_t *o = json_object(), *magnitude = NULL, *changes;
	int bad = !o;

	if (bad) {
		*rc = store_fail(st, STORE_ERR, "out of memory");
		return NULL;
	}
	json_put(o, "id", json_integer(id), &bad);
	json_put(o, "created_at", time_json(s, 1), &bad);
	json_put(o, "updated_at", time_json(s, 2), &bad);
	json_put(o, "config", text_json(s, 3), &bad);
	json_put(o, "configuration", json_col(s, 18), &bad);
	json_put(o, "target", text_json(s, 4), &bad);
	json_put(o, "workload", text_json(s, 5), &bad);
	json_put(o, "experiment", exp_json(s, 6), &bad);
	json_put(o, "label", text_json(s, 7), &bad);
	json_put(o, "kernel", json_col(s, 8), &bad);
	json_put(o, "imported", json_boolean(sqlite3_column_type(s, 9) != SQLITE_NULL), &bad);
	json_put(o, "previous", side_json(s, 10, 11, 12), &bad);
	json_put(o, "direction", text_json(s, 13), &bad);
	json_put(o, "tentative", json_boolean(sqlite3_column_int(s, 14)), &bad);
	json_put(o, "status", text_json(s, 15), &bad);
	json_put(o, "status_at", time_json(s, 16), &bad);
	json_put(o, "note", text_json(s, 17), &bad);
	if (bad) {
		json_decref(o);
		*rc = store_fail(st, STORE_ERR, "out of memory");
		return NULL;
	}
	if (!(changes = changes_json(st, t, id, &magnitude, rc))) {
		json_decref(o);
		return NULL;
	}
	json_put(o, "magnitude", magnitude, &bad);
	json_put(o, "changes", changes, &bad);
	if (bad) {
		json_decref(o);
		*rc = store_fail(st, STORE_ERR, "out of memory");
		return NULL;
	}
	return o;
}

json_t *store_list_alerts(struct store *st, const struct alert_query *q, int *rc)
{
	const char *filter[7] = {q->target, q->workload, q->metric, q->strategy, q->status,
				 q->direction, q->config};
	int limit = q->limit <= 0 ? 50 : q->limit > 1000 ? 1000 : q->limit, n = 0, row = 0, bad = 0;
	json_t *o = json_object(), *items = json_array();
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int64_t last = 0;
	int code;

	*rc = 0;
	if (!o || !items || json_object_set(o, "alerts", items) ||
	    json_object_set_new(o, "next_cursor", json_null())) {
		*rc = store_fail(st, STORE_ERR, "out of memory");
		goto fail;
	}
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		goto fail;
	code = sqlite3_prepare_v2(t->db, list_sql, -1, &s, NULL);
	if (code != SQLITE_OK) {
		*rc = store_sql_fail(st, t->db, code, 0, "prepare alerts");
		store_rend(st, t);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, q->cursor > 0 ? q->cursor : INT64_MAX);
	for (int k = 0; k < 7; k++)
		bind_text(s, k + 2, filter[k]);
	if (q->experiment)
		sqlite3_bind_int64(s, 9, q->experiment);
	sqlite3_bind_int(s, 10, limit + 1);
	while (!bad && !*rc && (row = store_rrow(st, t, s, "list alerts")) == 1) {
		json_t *a;

		if (++n > limit) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)last);
			json_put(o, "next_cursor", json_string(buf), &bad);
			sqlite3_reset(s);
			break;
		}
		last = sqlite3_column_int64(s, 0);
		if (!(a = alert_json(st, t, s, rc)))
			break;
		if (json_array_append_new(items, a))
			bad = 1;
	}
	sqlite3_finalize(s);
	store_rend(st, t);
	if (!*rc)
		*rc = row < 0 ? row : bad ? store_fail(st, STORE_ERR, "out of memory") : 0;
	if (*rc)
		goto fail;
	json_decref(items);
	return o;
fail:
	json_decref(items);
	json_decref(o);
	return NULL;
}

json_t *store_get_alert(struct store *st, int64_t id, int *rc)
{
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	json_t *a = NULL;
	int code, row;

	*rc = 0;
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		return NULL;
	code = sqlite3_prepare_v2(t->db, one_sql, -1, &s, NULL);
	if (code != SQLITE_OK) {
		*rc = store_sql_fail(st, t->db, code, 0, "prepare alert");
	} else {
		sqlite3_bind_int64(s, 1, id);
		row = store_rrow(st, t, s, "alert");
		if (row == 1)
			a = alert_json(st, t, s, rc);
		else
			*rc = row < 0 ? row : store_fail(st, STORE_NOT_FOUND, "no alert %lld",
							 (long long)id);
		if (row == 1)
			sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	store_rend(st, t);
	return a;
}

int store_triage_alert(struct store *st, int64_t id, const char *status, const char *note)
{
	static const char sql[] =
		"UPDATE alerts SET status = ?2, status_at = ?3, note = CASE WHEN ?5 THEN ?4"
		" ELSE note END WHERE id = ?1";
	sqlite3_stmt *s = NULL;
	int rc, code;

	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc && (code = sqlite3_prepare_v2(st->w, sql, -1, &s, NULL)) != SQLITE_OK)
		rc = store_sql_fail(st, st->w, code, 0, "prepare triage");
	if (!rc) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, store_now_ms());
		bind_text(s, 4, note);
		sqlite3_bind_int(s, 5, note != NULL);
		rc = store_wrun(st, s, "triage alert");
		if (!rc && !sqlite3_changes(st->w))
			rc = store_fail(st, STORE_NOT_FOUND, "no alert %lld", (long long)id);
	}
	sqlite3_finalize(s);
	rc = store_wend(st, rc);
	store_wunlock(st);
	return rc;
}

/* ---- GET /api/v1/history/configs ---- */

static const char configs_sql[] =
	"SELECT config_id, config, id, label FROM experiments WHERE target = ?1 AND workload = ?2"
	" AND status IN ('done', 'failed') ORDER BY id DESC LIMIT ?3";

json_t *history_configs_json(struct store *st, const char *target, const char *workload,
			     int limit, int *rc)
{
	json_t *doc = json_pack("{s:s, s:s, s:[]}", "target", target, "workload", workload,
				"configs");
	json_t *list = json_object_get(doc, "configs"), *by_id = json_object();
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int code, row = 0, bad = !doc || !by_id;

	*rc = 0;
	if (bad || !(t = store_reader(st, rc))) {
		if (!*rc)
			*rc = store_fail(st, STORE_ERR, "out of memory");
		goto fail;
	}
	if ((code = sqlite3_prepare_v2(t->db, configs_sql, -1, &s, NULL)) != SQLITE_OK) {
		*rc = store_sql_fail(st, t->db, code, 0, "prepare configs");
		goto fail;
	}
	sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, workload, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	while (!bad && (row = store_rrow(st, t, s, "configs")) == 1) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		json_t *c;

		if (!id)
			continue;
		if (!(c = json_object_get(by_id, id))) {
			c = json_pack("{s:s, s:o, s:[], s:[]}", "config", id, "configuration",
				      json_col(s, 1), "experiments", "labels");
			if (!c || json_object_set_new(by_id, id, c) || json_array_append(list, c)) {
				bad = 1;
				break;
			}
		}
		if (json_array_append_new(json_object_get(c, "experiments"), exp_json(s, 2)) ||
		    json_array_append_new(json_object_get(c, "labels"), text_json(s, 3)))
			bad = 1;
	}
	if (bad)
		sqlite3_reset(s);
	sqlite3_finalize(s);
	if (row < 0 || bad) {
		*rc = row < 0 ? row : store_fail(st, STORE_ERR, "out of memory");
		goto fail;
	}
	json_decref(by_id);
	return doc;
fail:
	json_decref(by_id);
	json_decref(doc);
	return NULL;
}

/* ---- alert analyses not run yet (schema/006_alerts_pending.sql) ---- */

/*
 * The first column of sql's rows as ids, at most max (*n of them): ?1 is
 * bound to arg, ?2 to max (a statement may use only ?2). 0 or STORE_*.
 */
static int read_ids(struct store *st, const char *sql, const char *what, int64_t arg,
		    int64_t *ids, size_t max, size_t *n)
{
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int rc, row;

	*n = 0;
	if (!(t = store_reader(st, &rc)))
		return rc;
	if ((rc = sqlite3_prepare_v2(t->db, sql, -1, &s, NULL)) != SQLITE_OK)
		return store_sql_fail(st, t->db, rc, 0, what);
	sqlite3_bind_int64(s, 1, arg);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((row = store_rrow(st, t, s, what)) == 1 && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	if (row == 1)
		sqlite3_reset(s);
	sqlite3_finalize(s);
	return row < 0 ? row : 0;
}

int history_pending_ended(struct store *st, int64_t after, int64_t *ids, size_t max, size_t *n)
{
	static const char sql[] =
		"SELECT id FROM experiments WHERE alerts_pending = 1 AND id > ?1"
		" AND status IN ('done', 'failed') ORDER BY id LIMIT ?2";

	return read_ids(st, sql, "pending alert analyses", after, ids, max, n);
}

int history_mark_analysed(struct store *st, const int64_t *ids, size_t n)
{
	static const char sql[] = "UPDATE experiments SET alerts_pending = 0 WHERE id = ?1";
	sqlite3_stmt *s = NULL;
	int rc, code;

	if (!n)
		return 0;
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc && (code = sqlite3_prepare_v2(st->w, sql, -1, &s, NULL)) != SQLITE_OK)
		rc = store_sql_fail(st, st->w, code, 0, "prepare alert analyses done");
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(s, 1, ids[i]);
		rc = store_wrun(st, s, "alert analysis done");
	}
	sqlite3_finalize(s);
	rc = store_wend(st, rc);
	store_wunlock(st);
	return rc;
}

/* ---- /metrics: the newest done experiment of each configuration ---- */

int history_latest_per_config(struct store *st, int64_t *ids, size_t max, size_t *n)
{
	static const char sql[] =
		"SELECT max(id) FROM experiments WHERE status = 'done' AND config_id IS NOT NULL"
		" GROUP BY config_id ORDER BY max(id) DESC LIMIT ?2"; /* ?1: unused */

	return read_ids(st, sql, "latest per configuration", 0, ids, max, n);
}
