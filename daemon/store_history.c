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

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- version order of labels ---- */

/* A suffix that marks a pre-release of what precedes it: "-rc1", "~rc1". */
static int prerelease(const char *rest)
{
	return rest[0] == '~' || !strncmp(rest, "-rc", 3) || !strncmp(rest, "-pre", 4) ||
	       !strncmp(rest, "-alpha", 6) || !strncmp(rest, "-beta", 5);
}

/* Digit runs compare as numbers, the rest byte by byte; '~' sorts first. */
static int label_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *ea, *eb;
			size_t la, lb;
			int c;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (ea = a; isdigit((unsigned char)*ea); ea++)
				;
			for (eb = b; isdigit((unsigned char)*eb); eb++)
				;
			la = (size_t)(ea - a);
			lb = (size_t)(eb - b);
			if (la != lb)
				return la < lb ? -1 : 1;
			if ((c = memcmp(a, b, la)))
				return c < 0 ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b) {
			if (*a == '~' || *b == '~')
				return *a == '~' ? -1 : 1;
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		}
		a++;
		b++;
	}
	if (!*a && !*b)
		return 0;
	if (*a)
		return prerelease(a) ? -1 : 1;
	return prerelease(b) ? 1 : -1;
}

/* ---- loading a workload's history ---- */

void history_free(struct history *h)
{
	for (size_t i = 0; i < h->nexps; i++)
		free(h->exps[i].label);
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

static int by_label(const void *pa, const void *pb)
{
	const struct hexp *a = *(const struct hexp *const *)pa, *b = *(const struct hexp *const *)pb;
	int c;

	if (!a->label != !b->label)
		return a->label ? -1 : 1;
	if (a->label && (c = label_cmp(a->label, b->label)))
		return c;
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static const char exps_sql[] =
	"SELECT id, label, created_at FROM experiments WHERE target = ?1 AND workload = ?2"
	" AND status IN ('done', 'failed') ORDER BY id DESC LIMIT ?3";

/* The experiments of the history, ranked. */
static int load_exps(struct store *st, struct store_tls *t, const char *target,
		     const char *workload, int limit, struct history *h)
{
	sqlite3_stmt *s = NULL;
	int code, row;

	if ((code = sqlite3_prepare_v2(t->db, exps_sql, -1, &s, NULL)) != SQLITE_OK)
		return store_sql_fail(st, t->db, code, 0, "prepare history");
	sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, workload, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	h->exps = calloc((size_t)limit, sizeof(*h->exps));
	h->order = calloc((size_t)limit, sizeof(*h->order));
	if (!h->exps || !h->order) {
		sqlite3_finalize(s);
		return store_fail(st, STORE_ERR, "out of memory");
	}
	while ((row = store_rrow(st, t, s, "history experiments")) == 1 && h->nexps < (size_t)limit) {
		/* newest first; reversed below so exps ascends by id */
		struct hexp *e = &h->exps[h->nexps++];
		const char *label = (const char *)sqlite3_column_text(s, 1);

		e->id = sqlite3_column_int64(s, 0);
		e->created = sqlite3_column_int64(s, 2);
		if (label && *label && !(e->label = strdup(label))) {
			row = store_fail(st, STORE_ERR, "out of memory");
			break;
		}
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
	qsort(h->order, h->nexps, sizeof(*h->order), by_label);
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

static struct hseries *new_series(struct history *h, const char *cell, const char *strategy,
				  int64_t metric)
{
	struct hseries *s;

	if (h->nseries == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct hseries *v = realloc(h->series, cap * sizeof(*v));

		if (!v)
			return NULL;
		h->series = v;
		h->cap = cap;
	}
	s = &h->series[h->nseries];
	memset(s, 0, sizeof(*s));
	s->metric = metric;
	if (!(s->cell = strdup(cell)) || !(s->strategy = strdup(strategy))) {
		free(s->cell);
		free(s->strategy);
		return NULL;
	}
	h->nseries++;
	return s;
}

static int add_value(struct hseries *s, size_t rank, size_t seq, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct hval *n = realloc(s->v, cap * sizeof(*n));

		if (!n)
			return -1;
		s->v = n;
		s->cap = cap;
	}
	s->v[s->n++] = (struct hval){rank, seq, v};
	return 0;
}

static const char rows_sql[] =
	"SELECT r.experiment, r.cell, r.strategy, m.metric, m.value FROM runs r"
	" CROSS JOIN metrics m ON m.run = r.id WHERE r.experiment IN (SELECT id FROM experiments"
	" WHERE target = ?1 AND workload = ?2 AND status IN ('done', 'failed')"
	" ORDER BY id DESC LIMIT ?3) AND r.status = 'done' AND (?4 IS NULL OR r.strategy = ?4)"
	" AND m.value IS NOT NULL AND m.metric IN (%s)"
	" ORDER BY r.cell, r.strategy, m.metric, r.experiment, r.idx";

/*
 * Every value of metrics ids[n] in done runs of strategy (NULL: any) of the
 * history's experiments, one series per (cell, strategy, metric); cell
 * (canonical, NULL: any) keeps one cell.
 */
static int load_values(struct store *st, struct store_tls *t, const char *target,
		       const char *workload, int limit, const char *strategy, const char *cell,
		       const int64_t *ids, size_t n, struct history *h)
{
	char *sql = malloc(sizeof(rows_sql) + n * 24), *list = malloc(n * 24 + 1);
	char *raw = NULL, *canon = NULL;
	struct hseries *cur = NULL;
	sqlite3_stmt *s = NULL;
	size_t len = 0, seq = 0;
	int code, row = 0, rc = 0;

	if (!sql || !list) {
		rc = store_fail(st, STORE_ERR, "out of memory");
		goto out;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(list + len, "%s%lld", i ? ", " : "", (long long)ids[i]);
	snprintf(sql, sizeof(rows_sql) + n * 24, rows_sql, list);
	if ((code = sqlite3_prepare_v2(t->db, sql, -1, &s, NULL)) != SQLITE_OK) {
		rc = store_sql_fail(st, t->db, code, 0, "prepare history");
		goto out;
	}
	sqlite3_bind_text(s, 1, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, workload, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, limit);
	if (strategy)
		sqlite3_bind_text(s, 4, strategy, -1, SQLITE_STATIC);
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
			raw = strdup(c);
			canon = history_canonical_cell(c);
			cur = NULL;
			if (!raw) {
				rc = store_fail(st, STORE_ERR, "out of memory");
				break;
			}
		}
		if (!canon || (cell && strcmp(canon, cell)))
			continue;
		if (!cur || cur->metric != metric || strcmp(cur->strategy, strat))
			cur = new_series(h, canon, strat, metric);
		if (!cur || add_value(cur, e->rank, seq++, sqlite3_column_double(s, 4))) {
			rc = store_fail(st, STORE_ERR, "out of memory");
			break;
		}
	}
	if (!rc && row < 0)
		rc = row;
out:
	sqlite3_finalize(s);
	free(sql);
	free(list);
	free(raw);
	free(canon);
	return rc;
}

static int by_series(const void *pa, const void *pb)
{
	const struct hseries *a = pa, *b = pb;
	int c = strcmp(a->cell, b->cell);

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

/* Merges series whose raw cells differed only in key order; orders values. */
static int settle(struct history *h)
{
	size_t out = 0;

	if (!h->nseries)
		return 0;
	qsort(h->series, h->nseries, sizeof(*h->series), by_series);
	for (size_t i = 0; i < h->nseries; i++) {
		struct hseries *s = &h->series[i];

		if (out && !by_series(&h->series[out - 1], s)) {
			struct hseries *d = &h->series[out - 1];

			for (size_t k = 0; k < s->n; k++)
				if (add_value(d, s->v[k].rank, s->v[k].seq, s->v[k].v))
					return -1;
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
	return 0;
}

int history_load(struct store *st, const char *target, const char *workload, int limit,
			const char *strategy, const char *cell, const int64_t *ids, size_t n,
			struct history *h)
{
	struct store_tls *t;
	int rc;

	memset(h, 0, sizeof(*h));
	if (!(t = store_reader(st, &rc)) || (rc = store_rbegin(st, t)))
		return rc;
	rc = load_exps(st, t, target, workload, limit, h);
	if (!rc && n && h->nexps)
		rc = load_values(st, t, target, workload, limit, strategy, cell, ids, n, h);
	store_rend(st, t);
	if (!rc && settle(h))
		rc = store_fail(st, STORE_ERR, "out of memory");
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

static const char status_sql[] =
	"SELECT status, target, workload FROM experiments WHERE id = ?1";

int history_ended(struct store *st, int64_t exp, char *target, char *workload, size_t len)
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
		const char *tg = (const char *)sqlite3_column_text(s, 1);
		const char *wl = (const char *)sqlite3_column_text(s, 2);

		rc = status && tg && wl && (!strcmp(status, "done") || !strcmp(status, "failed"));
		if (rc) {
			snprintf(target, len, "%s", tg);
			snprintf(workload, len, "%s", wl);
		}
	}
	sqlite3_finalize(s);
	return rc;
}

/* ---- alerts ---- */

static const char insert_sql[] =
	"INSERT OR IGNORE INTO alerts (created_at, target, workload, cell, strategy, metric,"
	" experiment, label, value_before, value_after, change, p)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

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

int store_add_alerts(struct store *st, const struct alert *a, size_t n, int *added)
{
	sqlite3_stmt *s = NULL;
	int64_t now = store_now_ms();
	int rc, count = 0;

	if (added)
		*added = 0;
	if (!n)
		return 0;
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc) {
		int code = sqlite3_prepare_v2(st->w, insert_sql, -1, &s, NULL);

		if (code != SQLITE_OK)
			rc = store_sql_fail(st, st->w, code, 0, "prepare alerts");
	}
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(s, 1, now);
		bind_text(s, 2, a[i].target);
		bind_text(s, 3, a[i].workload);
		bind_text(s, 4, a[i].cell);
		bind_text(s, 5, a[i].strategy);
		bind_text(s, 6, a[i].metric);
		sqlite3_bind_int64(s, 7, a[i].experiment);
		bind_text(s, 8, a[i].label);
		bind_real(s, 9, a[i].before);
		bind_real(s, 10, a[i].after);
		bind_real(s, 11, a[i].change);
		bind_real(s, 12, a[i].p);
		rc = store_wrun(st, s, "add alert");
		if (!rc)
			count += sqlite3_changes(st->w);
		sqlite3_clear_bindings(s);
	}
	sqlite3_finalize(s);
	rc = store_wend(st, rc);
	store_wunlock(st);
	if (!rc && added)
		*added = count;
	return rc;
}

/* ---- GET /api/v1/alerts ---- */

static const char list_sql[] =
	"SELECT id, created_at, target, workload, cell, strategy, metric, experiment, label,"
	" value_before, value_after, change, p, status FROM alerts"
	" WHERE id < ?1 AND (?2 IS NULL OR target = ?2) AND (?3 IS NULL OR workload = ?3)"
	" AND (?4 IS NULL OR metric = ?4) AND (?5 IS NULL OR strategy = ?5)"
	" AND (?6 IS NULL OR status = ?6) ORDER BY id DESC LIMIT ?7";

static void put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}

static json_t *text_json(sqlite3_stmt *s, int col)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	return v ? json_string(v) : json_null();
}

static json_t *real_json(sqlite3_stmt *s, int col)
{
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	return store_number_json(sqlite3_column_double(s, col));
}

static json_t *alert_json(sqlite3_stmt *s)
{
	const char *cell = (const char *)sqlite3_column_text(s, 4);
	json_t *o = json_object();
	char buf[48];
	int bad = !o;

	if (bad)
		return NULL;
	put(o, "id", json_integer(sqlite3_column_int64(s, 0)), &bad);
	store_format_time(sqlite3_column_int64(s, 1), buf, sizeof(buf));
	put(o, "created_at", json_string(buf), &bad);
	put(o, "target", text_json(s, 2), &bad);
	put(o, "workload", text_json(s, 3), &bad);
	put(o, "cell", cell ? json_loads(cell, 0, NULL) : json_object(), &bad);
	put(o, "strategy", text_json(s, 5), &bad);
	put(o, "metric", text_json(s, 6), &bad);
	snprintf(buf, sizeof(buf), "e%lld", (long long)sqlite3_column_int64(s, 7));
	put(o, "experiment", json_string(buf), &bad);
	put(o, "label", text_json(s, 8), &bad);
	put(o, "before", real_json(s, 9), &bad);
	put(o, "after", real_json(s, 10), &bad);
	put(o, "change", real_json(s, 11), &bad);
	put(o, "p", real_json(s, 12), &bad);
	put(o, "status", text_json(s, 13), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *store_list_alerts(struct store *st, const struct alert_query *q, int *rc)
{
	const char *filter[5] = {q->target, q->workload, q->metric, q->strategy, q->status};
	int limit = q->limit <= 0 ? 50 : q->limit > 1000 ? 1000 : q->limit, n = 0, row = 0, bad = 0;
	json_t *o = json_object(), *items = json_array();
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	int64_t last = 0;
	int code;

	if (!o || !items || json_object_set(o, "alerts", items) ||
	    json_object_set_new(o, "next_cursor", json_null())) {
		*rc = store_fail(st, STORE_ERR, "out of memory");
		goto fail;
	}
	if (!(t = store_reader(st, rc)))
		goto fail;
	code = sqlite3_prepare_v2(t->db, list_sql, -1, &s, NULL);
	if (code != SQLITE_OK) {
		*rc = store_sql_fail(st, t->db, code, 0, "prepare alerts");
		goto fail;
	}
	sqlite3_bind_int64(s, 1, q->cursor > 0 ? q->cursor : INT64_MAX);
	for (int k = 0; k < 5; k++)
		bind_text(s, k + 2, filter[k]);
	sqlite3_bind_int(s, 7, limit + 1);
	while (!bad && (row = store_rrow(st, t, s, "list alerts")) == 1) {
		if (++n > limit) {
			char buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)last);
			put(o, "next_cursor", json_string(buf), &bad);
			break;
		}
		last = sqlite3_column_int64(s, 0);
		if (json_array_append_new(items, alert_json(s)))
			bad = 1;
	}
	sqlite3_finalize(s);
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
