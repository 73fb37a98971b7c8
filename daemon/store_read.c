/*
 * store_read.c - the store's reads, from any thread: the per-thread
 * read-only connections (WAL: readers never wait for the writer; one read
 * transaction per call, so an answer is one snapshot), experiment and run
 * lists, a run's samples, counts. Result documents are in store_doc.c.
 */
#include "store_impl.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const rsql[RS_LIST] = {
	[RS_EXP] = "SELECT " EXP_COLS " FROM experiments WHERE id = ?1",
	[RS_EXP_REV] = "SELECT rev FROM experiments WHERE id = ?1",
	[RS_RUNS_OF] =
		"SELECT id, idx, status, reason, started_at, finished_at, examples FROM runs"
		" WHERE experiment = ?1 ORDER BY idx",
	/* Same order as RS_RUNS_OF, so the two merge in one pass. */
	[RS_METRICS_OF] =
		"SELECT m.run, q.metrics, m.vals FROM runs r CROSS JOIN run_metrics m ON m.run = r.id"
		" CROSS JOIN sample_sets q ON q.id = m.sset WHERE r.experiment = ?1 ORDER BY r.idx",
	[RS_METRICS_RUN] =
		"SELECT q.metrics, m.vals FROM run_metrics m CROSS JOIN sample_sets q ON q.id = m.sset"
		" WHERE m.run = ?1",
	[RS_NAMES] = "SELECT id, name FROM metric_names WHERE id >= ?1 ORDER BY id",
	[RS_RUNS_PAGE] =
		"SELECT id, idx, status, reason, started_at, finished_at, examples, cell, strategy,"
		" repetition, seed, attempts, samples, queued_at FROM runs"
		" WHERE experiment = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3",
	[RS_RUN_AT] = "SELECT id FROM runs WHERE experiment = ?1 AND idx = ?2",
	[RS_SAMPLES] =
		"SELECT t_ns, sset, vals FROM sample_points WHERE run = ?1 AND t_ns >= ?2"
		" ORDER BY t_ns, sset",
	[RS_SSET] = "SELECT metrics FROM sample_sets WHERE id = ?1",
	[RS_IS_EMPTY] = "SELECT NOT EXISTS (SELECT 1 FROM experiments)",
	[RS_COUNT_EXP] = "SELECT COUNT(*) FROM experiments",
	[RS_COUNT_RUNS] = "SELECT status, COUNT(*) FROM runs GROUP BY status",
	[RS_COUNT_SAMPLES] = "SELECT COALESCE(SUM(samples), 0) FROM runs",
	[RS_BEGIN] = "BEGIN",
	[RS_COMMIT] = "COMMIT",
};

json_t *store_number_json(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* ---- the per-thread read connection ---- */

struct store_tls *store_reader(struct store *st, int *rc)
{
	struct store_tls *t = store_tls_get(st);
	int r;

	*rc = STORE_ERR;
	if (t->db)
		return t;
	r = sqlite3_open_v2(st->path, &t->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		store_sql_fail(st, t->db, r, 0, "open for reading");
		sqlite3_close(t->db);
		t->db = NULL;
		return NULL;
	}
	sqlite3_extended_result_codes(t->db, 1);
	sqlite3_busy_timeout(t->db, 5000);
	if ((r = store_sql_functions(t->db)) != SQLITE_OK) {
		store_sql_fail(st, t->db, r, 0, "register functions");
		sqlite3_close(t->db);
		t->db = NULL;
		return NULL;
	}
	return t;
}

/* Statement k of this thread (sql: its text), prepared on first use. */
sqlite3_stmt *store_rstmt(struct store *st, struct store_tls *t, int k, const char *sql)
{
	int rc;

	if (t->stmt[k])
		return t->stmt[k];
	rc = sqlite3_prepare_v3(t->db, sql ? sql : rsql[k], -1, SQLITE_PREPARE_PERSISTENT,
				&t->stmt[k], NULL);
	if (rc != SQLITE_OK) {
		store_sql_fail(st, t->db, rc, 0, "prepare");
		t->stmt[k] = NULL;
	}
	return t->stmt[k];
}

/* One step: 1 on a row, 0 at the end (reset), <0 failed (reset). */
int store_rrow(struct store *st, struct store_tls *t, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return STORE_ERR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	rc = rc == SQLITE_DONE ? 0 : store_sql_fail(st, t->db, rc, 0, what);
	sqlite3_reset(s);
	return rc;
}

/* Opens a read transaction: everything until store_rend() is one snapshot. */
int store_rbegin(struct store *st, struct store_tls *t)
{
	return store_rrow(st, t, store_rstmt(st, t, RS_BEGIN, NULL), "begin");
}

void store_rend(struct store *st, struct store_tls *t)
{
	sqlite3_stmt *s = store_rstmt(st, t, RS_COMMIT, NULL);

	if (s) {
		sqlite3_step(s);
		sqlite3_reset(s);
	}
	if (!sqlite3_get_autocommit(t->db))
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The name of metric id, loading the names added since the last look
 * (ids are never reused, so what is loaded stays true). */
const char *store_metric_name(struct store *st, struct store_tls *t, int64_t id, int *rc)
{
	sqlite3_stmt *s;
	int r;

	if (id > 0 && id < t->names_next && t->names[id])
		return t->names[id];
	if (!(s = store_rstmt(st, t, RS_NAMES, NULL))) {
		*rc = STORE_ERR;
		return NULL;
	}
	sqlite3_bind_int64(s, 1, t->names_next);
	while ((r = store_rrow(st, t, s, "metric names")) == 1) {
		int64_t k = sqlite3_column_int64(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);

		if (k <= 0)
			continue;
		if ((size_t)k >= t->nnames) {
			size_t n = (size_t)k * 2 + 64;
			char **v = xreallocarray(t->names, n, sizeof(*v));

			memset(v + t->nnames, 0, (n - t->nnames) * sizeof(*v));
			t->names = v;
			t->nnames = n;
		}
		free(t->names[k]);
		t->names[k] = xstrdup(name ? name : "");
		t->names_next = k + 1;
	}
	if (r < 0) {
		*rc = r;
		return NULL;
	}
	if (id > 0 && id < t->names_next && t->names[id])
		return t->names[id];
	*rc = store_fail(st, STORE_ERR, "unknown metric id %lld", (long long)id);
	return NULL;
}

static json_t *text_or_null(sqlite3_stmt *s, int col)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	return v ? json_string(v) : json_null();
}

static json_t *time_or_null(sqlite3_stmt *s, int col)
{
	char buf[48];

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		return json_null();
	store_format_time(sqlite3_column_int64(s, col), buf, sizeof(buf));
	return json_string(buf);
}

/* JSON text of a column parsed, or dflt (stolen) when it is NULL. */
static json_t *json_col(sqlite3_stmt *s, int col, json_t *dflt)
{
	const char *v = (const char *)sqlite3_column_text(s, col);

	if (!v)
		return dflt;
	json_decref(dflt);
	return json_loads(v, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

/* The experiment object of the current row of an EXP_COLS query. */
json_t *store_exp_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	char id[32];
	int bad = !o;

	if (bad)
		return NULL;
	snprintf(id, sizeof(id), "e%lld", (long long)sqlite3_column_int64(s, 0));
	json_put(o, "id", json_string(id), &bad);
	json_put(o, "spec", json_col(s, 1, json_null()), &bad);
	json_put(o, "status", text_or_null(s, 2), &bad);
	json_put(o, "runs_total", json_integer(sqlite3_column_int64(s, 3)), &bad);
	json_put(o, "runs_done", json_integer(sqlite3_column_int64(s, 4)), &bad);
	json_put(o, "runs_failed", json_integer(sqlite3_column_int64(s, 5)), &bad);
	json_put(o, "preset", json_col(s, 6, json_null()), &bad);
	json_put(o, "host", json_col(s, 7, json_null()), &bad);
	json_put(o, "target", text_or_null(s, 8), &bad);
	json_put(o, "workload", text_or_null(s, 9), &bad);
	json_put(o, "label", text_or_null(s, 10), &bad);
	json_put(o, "name", text_or_null(s, 11), &bad);
	json_put(o, "created_at", time_or_null(s, 12), &bad);
	json_put(o, "finished_at", time_or_null(s, 13), &bad);
	json_put(o, "imported_from", text_or_null(s, 14), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- lists ---- */

static int clamp_limit(int limit, int dflt, int max)
{
	return limit <= 0 ? dflt : limit > max ? max : limit;
}

/* {key: [...], "next_cursor": null}, the array returned in *items. */
static json_t *page(const char *key, json_t **items)
{
	json_t *o = json_object();

	*items = json_array();
	if (!o || !*items || json_object_set(o, key, *items) ||
	    json_object_set_new(o, "next_cursor", json_null())) {
		json_decref(o);
		json_decref(*items);
		return NULL;
	}
	json_decref(*items);
	return o;
}

static void set_cursor(json_t *o, int64_t v, int *bad)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_put(o, "next_cursor", json_string(buf), bad);
}

/* Newest first; the filters given pick one of 16 statements. */
json_t *store_list_experiments(struct store *st, const struct list_query *q, int *rc)
{
	const char *filter[4] = {q->label, q->target, q->workload, q->status};
	static const char *const column[4] = {"label", "target", "workload", "status"};
	int limit = clamp_limit(q->limit, 100, 1000), mask = 0, n = 0, row = 0, bad = 0;
	int64_t last = 0;
	struct store_tls *t;
	json_t *o, *items;
	sqlite3_stmt *s;
	char sql[512];
	int len;

	for (int k = 0; k < 4; k++)
		mask |= filter[k] ? 1 << k : 0;
	len = snprintf(sql, sizeof(sql), "SELECT " EXP_COLS " FROM experiments WHERE id < ?1");
	for (int k = 0; k < 4; k++)
		if (filter[k])
			len += snprintf(sql + len, sizeof(sql) - (size_t)len, " AND %s = ?%d", column[k],
					k + 2);
	snprintf(sql + len, sizeof(sql) - (size_t)len, " ORDER BY id DESC LIMIT ?6");
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		return NULL;
	if (!(s = store_rstmt(st, t, RS_LIST + mask, sql)) || !(o = page("experiments", &items))) {
		*rc = s ? store_fail(st, STORE_ERR, "out of memory") : STORE_ERR;
		store_rend(st, t);
		return NULL;
	}
	sqlite3_bind_int64(s, 1, q->cursor > 0 ? q->cursor : INT64_MAX);
	for (int k = 0; k < 4; k++)
		if (filter[k])
			sqlite3_bind_text(s, k + 2, filter[k], -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, limit + 1);
	while (!bad && (row = store_rrow(st, t, s, "list experiments")) == 1) {
		if (++n > limit) {
			set_cursor(o, last, &bad);
			break;
		}
		last = sqlite3_column_int64(s, 0);
		if (json_array_append_new(items, store_exp_json(s)))
			bad = 1;
	}
	sqlite3_reset(s);
	store_rend(st, t);
	*rc = row < 0 ? row : bad ? store_fail(st, STORE_ERR, "out of memory") : 0;
	if (*rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A run's final metrics as a JSON object. */
static json_t *run_metrics(struct store *st, struct store_tls *t, int64_t run, int *rc)
{
	sqlite3_stmt *s = store_rstmt(st, t, RS_METRICS_RUN, NULL);
	json_t *o = json_object();
	int row;

	if (!s || !o) {
		json_decref(o);
		*rc = s ? store_fail(st, STORE_ERR, "out of memory") : STORE_ERR;
		return NULL;
	}
	sqlite3_bind_int64(s, 1, run);
	if ((row = store_rrow(st, t, s, "metrics")) == 1) {
		const unsigned char *set = sqlite3_column_blob(s, 0);
		size_t n = (size_t)sqlite3_column_bytes(s, 0) / 4;
		const unsigned char *vals = sqlite3_column_blob(s, 1);
		size_t nv = (size_t)sqlite3_column_bytes(s, 1) / 8;

		for (size_t k = 0; k < n && k < nv; k++) {
			const char *name = store_metric_name(st, t, store_sample_metric(set, k), rc);
			double v = store_sample_value(vals, k);

			if (!name || json_object_set_new(o, name, isfinite(v) ? store_number_json(v)
							 : json_null())) {
				if (name)
					*rc = store_fail(st, STORE_ERR, "out of memory");
				row = -1;
				break;
			}
		}
		sqlite3_reset(s);
	}
	if (row < 0) {
		if (!*rc)
			*rc = row;
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The run object of the current RS_RUNS_PAGE row: the document's run and
 * what only the store has (attempts, samples, queued_at). */
static json_t *run_json(struct store *st, struct store_tls *t, sqlite3_stmt *s, int64_t exp,
			int *rc)
{
	json_t *o = json_object();
	char rid[64];
	int bad = !o;

	if (bad)
		return NULL;
	snprintf(rid, sizeof(rid), "e%lld-r%lld", (long long)exp,
		 (long long)sqlite3_column_int64(s, 1) + 1);
	json_put(o, "id", json_string(rid), &bad);
	json_put(o, "cell", json_col(s, 7, json_object()), &bad);
	json_put(o, "strategy", text_or_null(s, 8), &bad);
	json_put(o, "repetition", json_integer(sqlite3_column_int64(s, 9)), &bad);
	json_put(o, "seed", json_integer(sqlite3_column_int64(s, 10)), &bad);
	json_put(o, "status", text_or_null(s, 2), &bad);
	json_put(o, "reason", text_or_null(s, 3), &bad);
	json_put(o, "metrics", run_metrics(st, t, sqlite3_column_int64(s, 0), rc), &bad);
	json_put(o, "examples", json_col(s, 6, json_array()), &bad);
	json_put(o, "started_at", time_or_null(s, 4), &bad);
	json_put(o, "finished_at", time_or_null(s, 5), &bad);
	json_put(o, "attempts", json_integer(sqlite3_column_int64(s, 11)), &bad);
	json_put(o, "samples", json_integer(sqlite3_column_int64(s, 12)), &bad);
	json_put(o, "queued_at", time_or_null(s, 13), &bad);
	if (bad) {
		json_decref(o);
		if (!*rc)
			*rc = store_fail(st, STORE_ERR, "out of memory");
		return NULL;
	}
	return o;
}

/* Runs in plan order; the cursor is the run number (r<N>) to start at. */
json_t *store_list_runs(struct store *st, const char *exp_pub, int limit, int64_t cursor, int *rc)
{
	int64_t exp = store_parse_exp(exp_pub);
	struct store_tls *t;
	sqlite3_stmt *s = NULL;
	json_t *o = NULL, *items;
	int row, n = 0, bad = 0;

	limit = clamp_limit(limit, 100, 1000);
	*rc = 0;
	if (!exp)
		goto missing;
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		return NULL;
	if ((s = store_rstmt(st, t, RS_EXP_REV, NULL)))
		sqlite3_bind_int64(s, 1, exp);
	if ((row = store_rrow(st, t, s, "experiment")) <= 0) {
		store_rend(st, t);
		if (row < 0) {
			*rc = row;
			return NULL;
		}
		goto missing;
	}
	sqlite3_reset(s);
	if (!(o = page("runs", &items)) || !(s = store_rstmt(st, t, RS_RUNS_PAGE, NULL))) {
		*rc = o ? STORE_ERR : store_fail(st, STORE_ERR, "out of memory");
		goto out;
	}
	sqlite3_bind_int64(s, 1, exp);
	sqlite3_bind_int64(s, 2, cursor > 0 ? cursor - 1 : 0);
	sqlite3_bind_int(s, 3, limit + 1);
	while ((row = store_rrow(st, t, s, "list runs")) == 1) {
		if (++n > limit) {
			set_cursor(o, sqlite3_column_int64(s, 1) + 1, &bad);
			sqlite3_reset(s);
			break;
		}
		if (json_array_append_new(items, run_json(st, t, s, exp, rc))) {
			sqlite3_reset(s);
			bad = 1;
			break;
		}
	}
	if (!*rc)
		*rc = row < 0 ? row : bad ? store_fail(st, STORE_ERR, "out of memory") : 0;
out:
	store_rend(st, t);
	if (*rc) {
		json_decref(o);
		return NULL;
	}
	return o;
missing:
	*rc = store_fail(st, STORE_NOT_FOUND, "no experiment %s", exp_pub ? exp_pub : "(null)");
	return NULL;
}

/* Parses "e12-r3" into experiment 12, index 2; 0 when it is not a run id. */
static int parse_run(const char *pub, int64_t *exp, int64_t *idx)
{
	const char *dash = pub ? strstr(pub, "-r") : NULL;
	char head[32];
	int64_t n = 0;

	if (!dash || dash - pub >= (long)sizeof(head) || dash[2] < '1' || dash[2] > '9')
		return 0;
	memcpy(head, pub, (size_t)(dash - pub));
	head[dash - pub] = 0;
	for (const char *p = dash + 2; *p; p++) {
		if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
			return 0;
		n = n * 10 + (*p - '0');
	}
	*exp = store_parse_exp(head);
	*idx = n - 1;
	return *exp != 0;
}

/* ---- a run's samples ---- */

/* The sets one page of samples uses: their packed metric ids. */
struct page_sets {
	struct {
		int64_t id;
		unsigned char *ids;
		size_t n;
	} v[16];
	size_t n;
};

/* One value of a time point, to be ordered by metric id (then as stored). */
struct pval {
	uint32_t metric;
	uint32_t seq;
	double value;
};

static int by_metric(const void *a, const void *b)
{
	const struct pval *x = a, *y = b;

	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The metric ids of set id (*ids, *n of them); <0 failed. */
static int set_of(struct store *st, struct store_tls *t, struct page_sets *ps, int64_t id,
		  const unsigned char **ids, size_t *n)
{
	sqlite3_stmt *s;
	const void *blob;
	size_t len, k;
	int row;

	for (k = 0; k < ps->n; k++)
		if (ps->v[k].id == id)
			goto found;
	if (ps->n == sizeof(ps->v) / sizeof(ps->v[0])) {
		for (k = 0; k < ps->n; k++)
			free(ps->v[k].ids);
		ps->n = 0;
	}
	if ((s = store_rstmt(st, t, RS_SSET, NULL)))
		sqlite3_bind_int64(s, 1, id);
	if ((row = store_rrow(st, t, s, "sample set")) <= 0)
		return row < 0 ? row : store_fail(st, STORE_ERR, "no sample set %lld", (long long)id);
	blob = sqlite3_column_blob(s, 0);
	len = (size_t)sqlite3_column_bytes(s, 0) / 4 * 4;
	k = ps->n;
	ps->v[k].ids = xmalloc(len + 1);
	if (len)
		memcpy(ps->v[k].ids, blob, len);
	sqlite3_reset(s);
	ps->v[k].id = id;
	ps->v[k].n = len / 4;
	ps->n++;
found:
	*ids = ps->v[k].ids;
	*n = ps->v[k].n;
	return 0;
}

/* Appends the values of the current row of s (a time point's set) to *v. */
static int take_point(struct store *st, struct store_tls *t, struct page_sets *ps,
		      sqlite3_stmt *s, struct pval **v, size_t *nv, size_t *cap)
{
	const unsigned char *ids = NULL, *vals = sqlite3_column_blob(s, 2);
	size_t n = 0, nvals = (size_t)sqlite3_column_bytes(s, 2) / 8;
	int rc = set_of(st, t, ps, sqlite3_column_int64(s, 1), &ids, &n);

	if (rc)
		return rc;
	vals = sqlite3_column_blob(s, 2); /* set_of may have used the connection */
	if (n > nvals)
		n = nvals;
	if (*nv + n > *cap) {
		*cap = (*nv + n) * 2;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	for (size_t k = 0; k < n; k++, (*nv)++)
		(*v)[*nv] = (struct pval){store_sample_metric(ids, k), (uint32_t)*nv,
					  store_sample_value(vals, k)};
	return 0;
}

/* The point's values as {"t_ns", "metrics"}, metrics in id order as 001 served them. */
static json_t *point_json(struct store *st, struct store_tls *t, int64_t t_ns, struct pval *v,
			  size_t n, int *rc)
{
	json_t *one = json_object(), *metrics = json_object();
	int bad = !one || !metrics;

	qsort(v, n, sizeof(*v), by_metric);
	for (size_t k = 0; !bad && k < n; k++) {
		const char *name = store_metric_name(st, t, v[k].metric, rc);

		if (!name) {
			json_decref(one);
			json_decref(metrics);
			return NULL;
		}
		json_put(metrics, name, isfinite(v[k].value) ? store_number_json(v[k].value) : json_null(),
		    &bad);
	}
	json_put(one, "t_ns", json_integer(t_ns), &bad);
	json_put(one, "metrics", metrics, &bad);
	if (bad) {
		json_decref(one);
		*rc = store_fail(st, STORE_ERR, "out of memory");
		return NULL;
	}
	return one;
}

/* Samples from t_ns >= cursor, grouped by time; limit counts samples. */
json_t *store_run_samples(struct store *st, const char *run_pub, int limit, int64_t cursor,
			  int *rc)
{
	int64_t exp, idx, run, cur = -1;
	struct page_sets ps = {.n = 0};
	struct pval *v = NULL;
	size_t nv = 0, cap = 0;
	struct store_tls *t;
	sqlite3_stmt *s;
	json_t *o = NULL, *items, *one;
	int row, n = 0, bad = 0;

	limit = clamp_limit(limit, 1000, 10000);
	if (!parse_run(run_pub, &exp, &idx)) {
		*rc = store_fail(st, STORE_NOT_FOUND, "no run %s", run_pub ? run_pub : "(null)");
		return NULL;
	}
	if (!(t = store_reader(st, rc)) || (*rc = store_rbegin(st, t)))
		return NULL;
	if ((s = store_rstmt(st, t, RS_RUN_AT, NULL))) {
		sqlite3_bind_int64(s, 1, exp);
		sqlite3_bind_int64(s, 2, idx);
	}
	if ((row = store_rrow(st, t, s, "run")) <= 0) {
		*rc = row < 0 ? row : store_fail(st, STORE_NOT_FOUND, "no run %s", run_pub);
		goto out;
	}
	run = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (!(o = page("samples", &items)) || json_object_set_new(o, "run", json_string(run_pub)) ||
	    !(s = store_rstmt(st, t, RS_SAMPLES, NULL))) {
		*rc = o ? STORE_ERR : store_fail(st, STORE_ERR, "out of memory");
		goto out;
	}
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, cursor > 0 ? cursor : 0);
	while (!bad && !*rc && (row = store_rrow(st, t, s, "samples")) == 1) {
		int64_t t_ns = sqlite3_column_int64(s, 0);

		if (t_ns != cur) {
			if (cur >= 0 && (!(one = point_json(st, t, cur, v, nv, rc)) ||
					 json_array_append_new(items, one)))
				bad = !*rc;
			nv = 0;
			if (!bad && !*rc && ++n > limit) {
				set_cursor(o, t_ns, &bad);
				cur = -1;
				break;
			}
			cur = t_ns;
		}
		if (!bad && !*rc)
			*rc = take_point(st, t, &ps, s, &v, &nv, &cap);
	}
	sqlite3_reset(s);
	if (!bad && !*rc && row >= 0 && cur >= 0 &&
	    (!(one = point_json(st, t, cur, v, nv, rc)) || json_array_append_new(items, one)))
		bad = !*rc;
	if (!*rc)
		*rc = row < 0 ? row : bad ? store_fail(st, STORE_ERR, "out of memory") : 0;
out:
	store_rend(st, t);
	for (size_t k = 0; k < ps.n; k++)
		free(ps.v[k].ids);
	free(v);
	if (*rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- counts ---- */

int store_is_empty(struct store *st)
{
	struct store_tls *t;
	sqlite3_stmt *s;
	int rc, empty;

	if (!(t = store_reader(st, &rc)))
		return rc;
	s = store_rstmt(st, t, RS_IS_EMPTY, NULL);
	if ((rc = store_rrow(st, t, s, "count experiments")) != 1)
		return rc < 0 ? rc : STORE_ERR;
	empty = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return empty;
}

static int64_t file_size(const char *path, const char *suffix)
{
	char buf[4200];
	struct stat sb;

	snprintf(buf, sizeof(buf), "%s%s", path, suffix);
	return stat(buf, &sb) ? 0 : (int64_t)sb.st_size;
}

int store_stats(struct store *st, struct store_stats *out)
{
	struct store_tls *t;
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(t = store_reader(st, &rc)) || (rc = store_rbegin(st, t)))
		return rc;
	s = store_rstmt(st, t, RS_COUNT_EXP, NULL);
	if ((rc = store_rrow(st, t, s, "count experiments")) == 1) {
		out->experiments = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		s = store_rstmt(st, t, RS_COUNT_RUNS, NULL);
		while ((rc = store_rrow(st, t, s, "count runs")) == 1) {
			int k = store_run_status_index((const char *)sqlite3_column_text(s, 0));

			if (k >= 0)
				out->runs_by_status[k] = sqlite3_column_int64(s, 1);
		}
	}
	if (rc == 0 && (rc = store_rrow(st, t, s = store_rstmt(st, t, RS_COUNT_SAMPLES, NULL), "count samples")) == 1) {
		out->samples = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		rc = 0;
	}
	store_rend(st, t);
	out->file_bytes = file_size(st->path, "") + file_size(st->path, "-wal");
	return rc;
}
