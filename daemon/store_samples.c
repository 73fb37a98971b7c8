/*
 * store_samples.c - metric values packed in rows: a run's time series, one
 * row per time point (schema/004_packed_samples.sql), and its final
 * metrics, one row per run (schema/005_packed_metrics.sql); the values in
 * a blob, the metric names once per distinct set (sample_sets). The writes
 * (inside the writer's open transaction), the decoding the reads share,
 * the SQL function svabench_metric, and the moves of 001's
 * one-row-per-value tables at migration.
 */
#include "store_impl.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Metrics in one sample, at most (the worker's frames and imports stay far below). */
#define SAMPLE_METRICS_MAX 4096

/* ---- packing: little-endian whatever the host ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_f64(unsigned char *p, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

double store_sample_value(const unsigned char *vals, size_t k)
{
	const unsigned char *p = vals + 8 * k;
	uint64_t v = 0;
	double d;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	memcpy(&d, &v, 8);
	return d;
}

uint32_t store_sample_metric(const unsigned char *set, size_t k)
{
	return get_u32(set + 4 * k);
}

/* ---- the writer's set ids ---- */

void store_ssets_clear(struct store *st)
{
	for (size_t i = 0; i < st->nssets; i++)
		free(st->ssets[i].blob);
	st->nssets = 0;
}

/* The id of the set whose packed ids are blob[len], added when new. */
static int64_t sset_id(struct store *st, const unsigned char *blob, size_t len)
{
	struct sset_slot *c;
	sqlite3_stmt *s;
	int64_t id;
	int rc;

	for (size_t i = 0; i < st->nssets; i++)
		if (st->ssets[i].len == len && !memcmp(st->ssets[i].blob, blob, len))
			return st->ssets[i].id;
	if (!(s = store_wstmt(st, WS_SSET_GET)))
		return STORE_ERR;
	sqlite3_bind_blob(s, 1, blob, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	} else {
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return store_sql_fail(st, st->w, rc, 1, "sample set");
		if (!(s = store_wstmt(st, WS_SSET_ADD)))
			return STORE_ERR;
		sqlite3_bind_blob(s, 1, blob, (int)len, SQLITE_STATIC);
		if ((rc = store_wrun(st, s, "sample set")))
			return rc;
		id = sqlite3_last_insert_rowid(st->w);
		st->ssets_added = 1;
	}
	if (st->nssets == STORE_SSETS)
		store_ssets_clear(st);
	c = &st->ssets[st->nssets];
	c->blob = xmalloc(len ? len : 1);
	memcpy(c->blob, blob, len);
	c->len = len;
	c->id = id;
	st->nssets++;
	return id;
}

/* The set of names[n] (metric ids looked up, added when new). */
static int64_t names_set(struct store *st, const char *const *names, size_t n,
			 unsigned char *blob)
{
	for (size_t k = 0; k < n; k++) {
		int64_t id = store_metric_id(st, names[k]);

		if (id < 0)
			return id;
		if (id > UINT32_MAX)
			return store_fail(st, STORE_ERR, "metric id %lld past 32 bits", (long long)id);
		put_u32(blob + 4 * k, (uint32_t)id);
	}
	return sset_id(st, blob, 4 * n);
}

/* One time point: vals holds n packed doubles. */
static int put_point(struct store *st, int64_t run, uint64_t t_ns, int64_t sset,
		     const void *vals, size_t n)
{
	sqlite3_stmt *s = store_wstmt(st, WS_POINT_ADD);

	if (!s)
		return STORE_ERR;
	sqlite3_bind_int64(s, 1, run);
	sqlite3_bind_int64(s, 2, (int64_t)t_ns);
	sqlite3_bind_int64(s, 3, sset);
	sqlite3_bind_blob(s, 4, vals, (int)(8 * n), SQLITE_STATIC);
	return store_wrun(st, s, "insert samples");
}

/* Adds n samples to a run's count; STORE_NOT_FOUND when there is no such run. */
static int count_samples(struct store *st, int64_t run_id, size_t n)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_wstmt(st, WS_RUN_SAMPLES))) {
		sqlite3_bind_int64(s, 1, run_id);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
	}
	if (!(rc = store_wrun(st, s, "count samples")) && sqlite3_changes(st->w) == 0)
		rc = store_fail(st, STORE_NOT_FOUND, "no run %lld", (long long)run_id);
	return rc;
}

static int too_many(struct store *st, size_t n)
{
	return store_fail(st, STORE_ERR, "a sample of %zu metrics (at most %d)", n,
			  SAMPLE_METRICS_MAX);
}

int store_samples_add_blocks(struct store *st, int64_t run_id, const struct sample_block *b,
			     size_t nb)
{
	unsigned char *blob = NULL, *vals = NULL;
	size_t total = 0, most = 0;
	int rc;

	for (size_t i = 0; i < nb; i++) {
		total += b[i].n;
		most = b[i].nnames > most ? b[i].nnames : most;
	}
	if (most > SAMPLE_METRICS_MAX)
		return too_many(st, most);
	if ((rc = count_samples(st, run_id, total)))
		return rc;
	blob = xmalloc(4 * most + 1);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	vals = xmalloc(8 * most + 1);
#endif
	for (size_t i = 0; !rc && i < nb; i++) {
		size_t nn = b[i].nnames;
		int64_t set = names_set(st, b[i].names, nn, blob);

		if (set < 0) {
			rc = (int)set;
			break;
		}
		for (size_t j = 0; !rc && j < b[i].n; j++) {
			const double *v = b[i].values + j * nn;

			/* a little-endian host's doubles are the blob as they are */
			if (vals)
				for (size_t k = 0; k < nn; k++)
					put_f64(vals + 8 * k, v[k]);
			rc = put_point(st, run_id, b[i].t_ns[j], set, vals ? (const void *)vals : v, nn);
		}
	}
	free(blob);
	free(vals);
	return rc;
}

int store_samples_add(struct store *st, int64_t run_id, const struct sample *smp, size_t n)
{
	const char **names = NULL;
	unsigned char *blob = NULL, *vals = NULL;
	size_t most = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (smp[i].m && smp[i].m->n > most)
			most = smp[i].m->n;
	if (most > SAMPLE_METRICS_MAX)
		return too_many(st, most);
	if ((rc = count_samples(st, run_id, n)))
		return rc;
	names = xmalloc(most * sizeof(*names) + 1);
	blob = xmalloc(4 * most + 1);
	vals = xmalloc(8 * most + 1);
	for (size_t i = 0; !rc && i < n; i++) {
		const struct metrics *m = smp[i].m;
		size_t nn = m ? m->n : 0;
		int64_t set;

		for (size_t k = 0; k < nn; k++) {
			names[k] = m->v[k].name;
			put_f64(vals + 8 * k, m->v[k].is_null ? NAN : m->v[k].value);
		}
		if ((set = names_set(st, names, nn, blob)) < 0)
			rc = (int)set;
		else
			rc = put_point(st, run_id, smp[i].t_ns, set, vals, nn);
	}
	free(names);
	free(blob);
	free(vals);
	return rc;
}

int store_insert_metrics(struct store *st, int64_t run, const struct metrics *m)
{
	const char **names = NULL;
	unsigned char *blob = NULL, *vals = NULL;
	size_t n = m ? m->n : 0;
	sqlite3_stmt *s;
	int64_t set = 0;
	int rc = 0;

	if (!m)
		return 0; /* a run without final metrics: no row */
	if (n > SAMPLE_METRICS_MAX)
		return store_fail(st, STORE_ERR, "%zu final metrics (at most %d)", n,
				  SAMPLE_METRICS_MAX);
	names = xmalloc(n * sizeof(*names) + 1);
	blob = xmalloc(4 * n + 1);
	vals = xmalloc(8 * n + 1);
	for (size_t k = 0; k < n; k++) {
		names[k] = m->v[k].name;
		put_f64(vals + 8 * k, m->v[k].is_null ? NAN : m->v[k].value);
	}
	if (!rc && (set = names_set(st, names, n, blob)) < 0)
		rc = (int)set;
	if (!rc && (s = store_wstmt(st, WS_METRICS_PUT))) {
		sqlite3_bind_int64(s, 1, run);
		sqlite3_bind_int64(s, 2, set);
		sqlite3_bind_blob(s, 3, vals, (int)(8 * n), SQLITE_STATIC);
		rc = store_wrun(st, s, "insert metrics");
	} else if (!rc) {
		rc = STORE_ERR;
	}
	free(names);
	free(blob);
	free(vals);
	return rc;
}

/* ---- svabench_metric(set, vals, id): one value of a packed row, for SQL ---- */

static void sql_metric(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *set = sqlite3_value_blob(argv[0]);
	size_t nset = (size_t)sqlite3_value_bytes(argv[0]) / 4;
	const unsigned char *vals = sqlite3_value_blob(argv[1]);
	size_t nvals = (size_t)sqlite3_value_bytes(argv[1]) / 8;
	sqlite3_int64 id = sqlite3_value_int64(argv[2]);

	/* the last of equal names, as 001's rows kept it */
	for (size_t k = nset < nvals ? nset : nvals; set && vals && k-- > 0;)
		if (store_sample_metric(set, k) == (uint64_t)id) {
			double v = store_sample_value(vals, k);

			if (isfinite(v))
				sqlite3_result_double(ctx, v);
			else
				sqlite3_result_null(ctx);
			return;
		}
	sqlite3_result_null(ctx);
}

int store_sql_functions(sqlite3 *db)
{
	return sqlite3_create_function(db, "svabench_metric", 3,
				       SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				       sql_metric, NULL, NULL);
}

/* ---- migrations 4 and 5: 001's rows, one per value, become one per time point or run ---- */

struct conv {
	sqlite3 *db;
	sqlite3_stmt *set_get, *set_add, *point;
	unsigned char *ids, *vals;
	size_t n, cap;
	int64_t run, t_ns;
	int timed;      /* a time point (sample_points) rather than a run (run_metrics) */
};

static int conv_flush(struct conv *c)
{
	int64_t set;
	int rc;

	if (!c->n)
		return SQLITE_OK;
	sqlite3_bind_blob(c->set_get, 1, c->ids, (int)(4 * c->n), SQLITE_STATIC);
	rc = sqlite3_step(c->set_get);
	set = rc == SQLITE_ROW ? sqlite3_column_int64(c->set_get, 0) : 0;
	sqlite3_reset(c->set_get);
	if (rc == SQLITE_DONE) {
		sqlite3_bind_blob(c->set_add, 1, c->ids, (int)(4 * c->n), SQLITE_STATIC);
		rc = sqlite3_step(c->set_add);
		sqlite3_reset(c->set_add);
		set = sqlite3_last_insert_rowid(c->db);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	sqlite3_bind_int64(c->point, 1, c->run);
	if (c->timed)
		sqlite3_bind_int64(c->point, 2, c->t_ns);
	sqlite3_bind_int64(c->point, 2 + c->timed, set);
	sqlite3_bind_blob(c->point, 3 + c->timed, c->vals, (int)(8 * c->n), SQLITE_STATIC);
	rc = sqlite3_step(c->point);
	sqlite3_reset(c->point);
	c->n = 0;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Moves the rows of select (run, t_ns, metric, value; t_ns only when
 * timed), ordered by run (and time), into one packed row each per run
 * (or time point) with insert, then drops table old.
 */
static int move_rows(sqlite3 *db, const char *select, const char *insert, int timed,
		     const char *old, char *err, size_t len)
{
	struct conv c = {.db = db, .timed = timed};
	sqlite3_stmt *s = NULL;
	char drop[64];
	int rc;

	rc = sqlite3_prepare_v2(db, select, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT id FROM sample_sets WHERE metrics = ?1", -1,
					&c.set_get, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT INTO sample_sets (metrics) VALUES (?1)", -1,
					&c.set_add, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, insert, -1, &c.point, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t run = sqlite3_column_int64(s, 0), t_ns = timed ? sqlite3_column_int64(s, 1) : 0;
		int64_t metric = sqlite3_column_int64(s, 1 + timed);

		rc = SQLITE_OK;
		if ((run != c.run || t_ns != c.t_ns) && (rc = conv_flush(&c)))
			break;
		c.run = run;
		c.t_ns = t_ns;
		if (c.n == c.cap) {
			size_t cap = c.cap ? 2 * c.cap : 128;
			unsigned char *ids = realloc(c.ids, 4 * cap), *vals;

			if (ids)
				c.ids = ids;
			if (!ids || !(vals = realloc(c.vals, 8 * cap))) {
				rc = SQLITE_NOMEM;
				break;
			}
			c.vals = vals;
			c.cap = cap;
		}
		put_u32(c.ids + 4 * c.n, (uint32_t)metric);
		put_f64(c.vals + 8 * c.n, sqlite3_column_type(s, 2 + timed) == SQLITE_NULL
			? NAN : sqlite3_column_double(s, 2 + timed));
		c.n++;
	}
	if (rc == SQLITE_DONE)
		rc = conv_flush(&c);
	snprintf(drop, sizeof(drop), "DROP TABLE %s", old);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, drop, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		snprintf(err, len, "moving %s to packed rows: %s", old,
			 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_finalize(c.set_get);
	sqlite3_finalize(c.set_add);
	sqlite3_finalize(c.point);
	free(c.ids);
	free(c.vals);
	return rc == SQLITE_OK ? 0 : -1;
}

int store_samples_migrate(sqlite3 *db, char *err, size_t len)
{
	return move_rows(db, "SELECT run, t_ns, metric, value FROM samples ORDER BY run, t_ns, metric",
			 "INSERT INTO sample_points (run, t_ns, sset, vals) VALUES (?1, ?2, ?3, ?4)",
			 1, "samples", err, len);
}

int store_metrics_migrate(sqlite3 *db, char *err, size_t len)
{
	return move_rows(db, "SELECT run, metric, value FROM metrics ORDER BY run, pos",
			 "INSERT INTO run_metrics (run, sset, vals) VALUES (?1, ?2, ?3)",
			 0, "metrics", err, len);
}
