/*
 * store_write.c - the store's writer: its statements, transactions and
 * cached metric-name ids, and the writes of a run's life (claim, samples,
 * result, recovery, cancel); new experiments are in store_create.c. One
 * writer connection, serialized by a mutex, its statements prepared once;
 * each write is one transaction, rolled back whole when it fails (a full
 * disk leaves the database as it was, and the same call can be retried).
 */
#include "store_impl.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char interrupted_reason[] = "daemon stopped while the run was running";

_Static_assert(WS_COUNT <= STORE_NWSTMT, "raise STORE_NWSTMT");

/* Counts after the deltas ?2..?4: all runs ended -> a final status. */
#define ENDED "runs_done + ?2 + runs_failed + ?3 + runs_cancelled + ?4"

static const char *const wsql[WS_COUNT] = {
	[WS_BEGIN] = "BEGIN IMMEDIATE",
	[WS_COMMIT] = "COMMIT",
	[WS_ROLLBACK] = "ROLLBACK",
	[WS_EXP_INSERT] =
		"INSERT INTO experiments (spec, target, workload, label, name, preset, host,"
		" svabench_version, status, runs_total, runs_done, runs_failed, runs_cancelled,"
		" created_at, finished_at, imported_from)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[WS_RUN_INSERT] =
		"INSERT INTO runs (experiment, idx, cell, strategy, repetition, seed, status, reason,"
		" examples, queued_at, started_at, finished_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[WS_NAME_GET] = "SELECT id FROM metric_names WHERE name = ?1",
	[WS_NAME_ADD] = "INSERT INTO metric_names (name) VALUES (?1)",
	/* CROSS JOIN keeps runs outer: the runs_status index gives the oldest. */
	[WS_CLAIM_SELECT] =
		"SELECT r.id, r.experiment, r.idx, e.spec, e.target FROM runs r CROSS JOIN experiments e"
		" ON e.id = r.experiment WHERE r.status = 'queued' AND e.status <> 'cancelled'"
		" ORDER BY r.id LIMIT 1",
	[WS_CLAIM_RUN] =
		"UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?2,"
		" finished_at = NULL WHERE id = ?1",
	[WS_CLAIM_EXP] =
		"UPDATE experiments SET status = CASE status WHEN 'queued' THEN 'running'"
		" ELSE status END, rev = rev + 1 WHERE id = ?1",
	[WS_POINT_ADD] =
		"INSERT OR REPLACE INTO sample_points (run, t_ns, sset, vals) VALUES (?1, ?2, ?3, ?4)",
	[WS_SSET_GET] = "SELECT id FROM sample_sets WHERE metrics = ?1",
	[WS_SSET_ADD] = "INSERT INTO sample_sets (metrics) VALUES (?1)",
	[WS_RUN_SAMPLES] = "UPDATE runs SET samples = samples + ?2 WHERE id = ?1",
	[WS_RUN_GET] = "SELECT status, experiment FROM runs WHERE id = ?1",
	[WS_METRICS_DEL] = "DELETE FROM run_metrics WHERE run = ?1",
	[WS_METRICS_PUT] = "INSERT OR REPLACE INTO run_metrics (run, sset, vals) VALUES (?1, ?2, ?3)",
	[WS_RUN_FINISH] =
		"UPDATE runs SET status = ?2, reason = ?3, examples = ?4, finished_at = ?5,"
		" started_at = coalesce(?6, started_at) WHERE id = ?1",
	/* ?2..?4: runs newly done, failed, cancelled; ?5: now; ?6: 1 to cancel. */
	[WS_EXP_COUNT] =
		"UPDATE experiments SET runs_done = runs_done + ?2, runs_failed = runs_failed + ?3,"
		" runs_cancelled = runs_cancelled + ?4,"
		" status = CASE WHEN status = 'cancelled' OR ?6 THEN 'cancelled'"
		"  WHEN " ENDED " >= runs_total THEN CASE WHEN runs_failed + ?3 > 0 THEN 'failed'"
		"   WHEN runs_cancelled + ?4 > 0 THEN 'cancelled' ELSE 'done' END"
		"  WHEN " ENDED " > 0 THEN 'running' ELSE 'queued' END,"
		" finished_at = CASE WHEN finished_at IS NULL AND " ENDED " >= runs_total"
		"  THEN ?5 ELSE finished_at END,"
		" rev = rev + 1 WHERE id = ?1",
	[WS_RECOVER_SELECT] =
		"SELECT r.id, r.experiment, e.status = 'cancelled' FROM runs r CROSS JOIN experiments e"
		" ON e.id = r.experiment WHERE r.status IN ('running', 'interrupted')",
	[WS_SAMPLES_DEL] = "DELETE FROM sample_points WHERE run = ?1",
	[WS_RUN_REQUEUE] =
		"UPDATE runs SET status = 'queued', reason = ?2, samples = 0, started_at = NULL,"
		" finished_at = NULL WHERE id = ?1",
	[WS_RUN_CANCEL] =
		"UPDATE runs SET status = 'cancelled', reason = ?2, samples = 0, finished_at = ?3"
		" WHERE id = ?1",
	[WS_EXP_STATUS] = "SELECT status FROM experiments WHERE id = ?1",
	[WS_CANCEL_QUEUED] =
		"UPDATE runs SET status = 'cancelled', reason = ?2, finished_at = ?3"
		" WHERE experiment = ?1 AND status = 'queued'",
	[WS_RUNNING_OF] =
		"SELECT id FROM runs WHERE experiment = ?1 AND status = 'running' ORDER BY id",
	[WS_COUNT_QUEUED] = "SELECT count(*) FROM runs WHERE status = 'queued'",
};

/* ---- the writer's statements and transactions ---- */

sqlite3_stmt *store_wstmt(struct store *st, enum wstmt k)
{
	int rc;

	if (st->ws[k])
		return st->ws[k];
	rc = sqlite3_prepare_v3(st->w, wsql[k], -1, SQLITE_PREPARE_PERSISTENT, &st->ws[k], NULL);
	if (rc != SQLITE_OK) {
		store_sql_fail(st, st->w, rc, 0, "prepare");
		st->ws[k] = NULL;
	}
	return st->ws[k];
}

int store_wrun(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return STORE_ERR;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		rc = store_sql_fail(st, st->w, rc, 1, what);
	else
		rc = 0;
	sqlite3_reset(s);
	return rc;
}

/* One step: 1 on a row (s left on it), 0 at the end (s reset), <0 failed. */
static int wrow(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	if (!s)
		return STORE_ERR;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		rc = store_sql_fail(st, st->w, rc, 1, what);
	else
		rc = 0;
	sqlite3_reset(s);
	return rc;
}

static void names_clear(struct store *st)
{
	for (size_t i = 0; i < st->names_cap; i++)
		free(st->names[i].name);
	free(st->names);
	st->names = NULL;
	st->names_cap = st->names_n = 0;
}

int store_writer_init(struct store *st)
{
	for (int k = 0; k < WS_COUNT; k++)
		if (!store_wstmt(st, (enum wstmt)k))
			return STORE_ERR;
	return 0;
}

void store_writer_free(struct store *st)
{
	for (int k = 0; k < WS_COUNT; k++) {
		sqlite3_finalize(st->ws[k]);
		st->ws[k] = NULL;
	}
	names_clear(st);
	store_ssets_clear(st);
}

int store_wbegin(struct store *st)
{
	st->names_added = st->ssets_added = 0;
	return store_wrun(st, store_wstmt(st, WS_BEGIN), "begin");
}

int store_wend(struct store *st, int rc)
{
	if (rc == 0 && (rc = store_wrun(st, store_wstmt(st, WS_COMMIT), "commit")) == 0)
		return 0;
	/* SQLite may have rolled back already (SQLITE_FULL, IOERR). ROLLBACK
	 * was prepared at open, so this path needs no memory. */
	if (!sqlite3_get_autocommit(st->w)) {
		sqlite3_step(st->ws[WS_ROLLBACK]);
		sqlite3_reset(st->ws[WS_ROLLBACK]);
	}
	/* Ids handed out by the rolled-back transaction are void. */
	if (st->names_added)
		names_clear(st);
	if (st->ssets_added)
		store_ssets_clear(st);
	return rc;
}

void store_wlock(struct store *st)
{
	pthread_mutex_lock(&st->wlock);
}

void store_wunlock(struct store *st)
{
	pthread_mutex_unlock(&st->wlock);
}

/* ---- metric names: cached ids ---- */

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static int64_t name_find(const struct store *st, const char *name)
{
	if (!st->names_cap)
		return 0;
	for (size_t i = name_hash(name) & (st->names_cap - 1);; i = (i + 1) & (st->names_cap - 1)) {
		if (!st->names[i].name)
			return 0;
		if (!strcmp(st->names[i].name, name))
			return st->names[i].id;
	}
}

/* Puts slot e into table v of cap slots (a power of two). */
static void name_place(struct name_slot *v, size_t cap, struct name_slot e)
{
	size_t j = name_hash(e.name) & (cap - 1);

	while (v[j].name)
		j = (j + 1) & (cap - 1);
	v[j] = e;
}

/* Caches name (taken) -> id, growing the table at half full. */
static void name_put(struct store *st, char *name, int64_t id)
{
	if ((st->names_n + 1) * 2 > st->names_cap) {
		size_t cap = st->names_cap ? st->names_cap * 2 : 256;
		struct name_slot *v = xcalloc(cap, sizeof(*v));

		for (size_t i = 0; i < st->names_cap; i++)
			if (st->names[i].name)
				name_place(v, cap, st->names[i]);
		free(st->names);
		st->names = v;
		st->names_cap = cap;
	}
	name_place(st->names, st->names_cap, (struct name_slot){name, id});
	st->names_n++;
}

int64_t store_metric_id(struct store *st, const char *name)
{
	int64_t id = name_find(st, name);
	sqlite3_stmt *s;
	int rc;

	if (id)
		return id;
	if (!(s = store_wstmt(st, WS_NAME_GET)))
		return STORE_ERR;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = wrow(st, s, "metric name");
	if (rc < 0)
		return rc;
	if (rc == 1) {
		id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	} else {
		if (!(s = store_wstmt(st, WS_NAME_ADD)))
			return STORE_ERR;
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if ((rc = store_wrun(st, s, "metric name")))
			return rc;
		id = sqlite3_last_insert_rowid(st->w);
		st->names_added = 1;
	}
	name_put(st, xstrdup(name), id);
	return id;
}

/* ---- rows ---- */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}


/* Adds runs newly done/failed/cancelled to an experiment and settles its
 * status (cancel != 0: it becomes cancelled). */
static int count_experiment(struct store *st, int64_t exp, int done, int failed, int cancelled,
			    int cancel)
{
	sqlite3_stmt *s = store_wstmt(st, WS_EXP_COUNT);

	if (!s)
		return STORE_ERR;
	sqlite3_bind_int64(s, 1, exp);
	sqlite3_bind_int(s, 2, done);
	sqlite3_bind_int(s, 3, failed);
	sqlite3_bind_int(s, 4, cancelled);
	sqlite3_bind_int64(s, 5, store_now_ms());
	sqlite3_bind_int(s, 6, cancel);
	return store_wrun(st, s, "update experiment");
}

/* ---- writes ---- */

void run_job_free(struct run_job *j)
{
	if (!j)
		return;
	free(j->spec_text);
	j->spec_text = NULL;
}

/*
 * Claims the oldest queued run inside the open transaction: 1 with *job
 * filled, 0 when nothing is queued or may_start refused it, <0 failed.
 */
static int claim_one(struct store *st, struct run_job *job,
		     int (*may_start)(void *ctx, const char *target), void *ctx)
{
	sqlite3_stmt *s;
	int64_t exp;
	int rc;

	memset(job, 0, sizeof(*job));
	if ((rc = wrow(st, s = store_wstmt(st, WS_CLAIM_SELECT), "claim")) != 1)
		return rc;
	{
		const char *spec = (const char *)sqlite3_column_text(s, 3);
		const char *target = (const char *)sqlite3_column_text(s, 4);

		snprintf(job->target, sizeof(job->target), "%s", target ? target : "");
		if (may_start && !may_start(ctx, job->target)) {
			sqlite3_reset(s);
			return 0;
		}
		job->run_id = sqlite3_column_int64(s, 0);
		exp = sqlite3_column_int64(s, 1);
		job->index = sqlite3_column_int(s, 2);
		job->spec_text = xstrdup(spec ? spec : "");
	}
	sqlite3_reset(s);
	snprintf(job->exp_pub, sizeof(job->exp_pub), "e%lld", (long long)exp);
	snprintf(job->run_pub, sizeof(job->run_pub), "e%lld-r%d", (long long)exp, job->index + 1);
	rc = 0;
	if ((s = store_wstmt(st, WS_CLAIM_RUN))) {
		sqlite3_bind_int64(s, 1, job->run_id);
		sqlite3_bind_int64(s, 2, store_now_ms());
	}
	if (!rc)
		rc = store_wrun(st, s, "claim run");
	if (!rc && (s = store_wstmt(st, WS_CLAIM_EXP)))
		sqlite3_bind_int64(s, 1, exp);
	if (!rc)
		rc = store_wrun(st, s, "claim experiment");
	if (rc) {
		run_job_free(job);
		return rc;
	}
	return 1;
}

int store_claim_runs(struct store *st, struct run_job *jobs, int max,
		     int (*may_start)(void *ctx, const char *target), void *ctx)
{
	int rc, n = 0;

	store_wlock(st);
	rc = store_wbegin(st);
	while (!rc && n < max && (rc = claim_one(st, &jobs[n], may_start, ctx)) == 1) {
		n++;
		rc = 0;
	}
	rc = store_wend(st, rc < 0 ? rc : 0);
	store_wunlock(st);
	if (rc) {
		for (int i = 0; i < n; i++)
			run_job_free(&jobs[i]);
		return rc;
	}
	return n;
}

int store_claim_next(struct store *st, struct run_job *job)
{
	int rc = store_claim_runs(st, job, 1, NULL, NULL);

	if (rc <= 0)
		memset(job, 0, sizeof(*job));
	return rc;
}

int64_t store_count_queued(struct store *st)
{
	sqlite3_stmt *s;
	int64_t n = 0;
	int rc;

	store_wlock(st);
	rc = wrow(st, s = store_wstmt(st, WS_COUNT_QUEUED), "count queued");
	if (rc == 1) {
		n = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	store_wunlock(st);
	return rc < 0 ? rc : n;
}

int store_add_sample_blocks(struct store *st, int64_t run_id, const struct sample_block *b,
			    size_t nb)
{
	int rc;

	if (!nb)
		return 0;
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc)
		rc = store_samples_add_blocks(st, run_id, b, nb);
	rc = store_wend(st, rc);
	store_wunlock(st);
	return rc;
}

int store_insert_samples(struct store *st, int64_t run_id, const struct sample *smp, size_t n)
{
	return store_samples_add(st, run_id, smp, n);
}

int store_add_samples(struct store *st, int64_t run_id, const struct sample *smp, size_t n)
{
	int rc;

	if (!n)
		return 0;
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc)
		rc = store_samples_add(st, run_id, smp, n);
	rc = store_wend(st, rc);
	store_wunlock(st);
	return rc;
}

/*
 * Records one run's end inside the open transaction: 0 stored, 1 when the
 * same end was recorded already, STORE_NOT_FOUND / STORE_CONFLICT before
 * anything was written, other codes failed (the transaction must roll back).
 */
static int finish_one(struct store *st, const struct run_end *e)
{
	const char *reason = e->reason;
	int k = store_run_status_index(e->status), old, rc;
	char *ex = NULL;
	int64_t exp = 0;
	sqlite3_stmt *s;

	if (k != 2 && k != 3 && k != 5)
		return store_fail(st, STORE_CONFLICT, "cannot finish a run as '%s'",
				  e->status ? e->status : "(null)");
	if (!(s = store_wstmt(st, WS_RUN_GET)))
		return STORE_ERR;
	sqlite3_bind_int64(s, 1, e->run_id);
	if ((rc = wrow(st, s, "finish run")) == 0)
		return store_fail(st, STORE_NOT_FOUND, "no run %lld", (long long)e->run_id);
	if (rc < 0)
		return rc;
	old = store_run_status_index((const char *)sqlite3_column_text(s, 0));
	exp = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	/* A result delivered twice is recorded once. */
	if (old == k)
		return 1;
	if (old == 2 || old == 3 || old == 5)
		return store_fail(st, STORE_CONFLICT, "run %lld already ended as %s",
				  (long long)e->run_id, run_status_names[old]);
	if (json_is_array(e->examples) && !(ex = json_dumps(e->examples, JSON_COMPACT)))
		return store_fail(st, STORE_ERR, "out of memory");
	rc = e->nsamples ? store_samples_add(st, e->run_id, e->samples, e->nsamples) : 0;
	if (!rc && e->nblocks)
		rc = store_samples_add_blocks(st, e->run_id, e->blocks, e->nblocks);
	if (!rc)
		rc = store_insert_metrics(st, e->run_id, e->m);
	if (!rc && (s = store_wstmt(st, WS_RUN_FINISH))) {
		sqlite3_bind_int64(s, 1, e->run_id);
		sqlite3_bind_text(s, 2, run_status_names[k], -1, SQLITE_STATIC);
		/* as core words a failure without one */
		if (k == 3 && (!reason || !*reason))
			reason = "the target failed without a reason";
		bind_text(s, 3, k == 2 ? NULL : reason);
		bind_text(s, 4, ex);
		sqlite3_bind_int64(s, 5, e->finished_ms ? e->finished_ms : store_now_ms());
		if (e->started_ms)
			sqlite3_bind_int64(s, 6, e->started_ms);
		else
			sqlite3_bind_null(s, 6);
	}
	if (!rc && !(rc = store_wrun(st, s, "finish run")))
		rc = count_experiment(st, exp, k == 2, k == 3, k == 5, 0);
	free(ex);
	/* a logical refusal after writes would leave them: make it fatal */
	return rc == STORE_NOT_FOUND || rc == STORE_CONFLICT ? STORE_ERR : rc;
}

int store_finish_runs(struct store *st, struct run_end *v, size_t n)
{
	int rc;

	store_wlock(st);
	rc = store_wbegin(st);
	for (size_t i = 0; !rc && i < n; i++) {
		v[i].rc = finish_one(st, &v[i]);
		if (v[i].rc == 1)
			v[i].rc = 0;
		else if (v[i].rc != STORE_NOT_FOUND && v[i].rc != STORE_CONFLICT)
			rc = v[i].rc;
	}
	rc = store_wend(st, rc);
	store_wunlock(st);
	return rc;
}

int store_finish_run(struct store *st, int64_t run_id, const char *status, const char *reason,
		     const struct metrics *m, const json_t *examples)
{
	struct run_end e = {run_id, status, reason, m, examples, NULL, 0, NULL, 0, 0, 0, 0};
	int k = store_run_status_index(status), rc;

	if (k != 2 && k != 3 && k != 5)
		return store_fail(st, STORE_ERR, "cannot finish a run as '%s'",
				  status ? status : "(null)");
	rc = store_finish_runs(st, &e, 1);

	return rc ? rc : e.rc;
}

struct recovered {
	int64_t run, exp;
	int cancelled;
};

static int by_experiment(const void *a, const void *b)
{
	const struct recovered *x = a, *y = b;

	return x->exp < y->exp ? -1 : x->exp > y->exp;
}

/* Re-queues (or, in a cancelled experiment, cancels) each run in v. */
static int recover_runs(struct store *st, struct recovered *v, size_t n, int *requeued)
{
	int64_t now = store_now_ms();
	sqlite3_stmt *s;
	int rc = 0, cancelled = 0;

	for (size_t i = 0; !rc && i < n; i++) {
		if ((s = store_wstmt(st, WS_SAMPLES_DEL)))
			sqlite3_bind_int64(s, 1, v[i].run);
		if ((rc = store_wrun(st, s, "drop samples")))
			break;
		if ((s = store_wstmt(st, WS_METRICS_DEL)))
			sqlite3_bind_int64(s, 1, v[i].run);
		if ((rc = store_wrun(st, s, "drop metrics")))
			break;
		if ((s = store_wstmt(st, v[i].cancelled ? WS_RUN_CANCEL : WS_RUN_REQUEUE))) {
			sqlite3_bind_int64(s, 1, v[i].run);
			sqlite3_bind_text(s, 2, interrupted_reason, -1, SQLITE_STATIC);
			if (v[i].cancelled)
				sqlite3_bind_int64(s, 3, now);
		}
		if ((rc = store_wrun(st, s, "requeue run")))
			break;
		cancelled += v[i].cancelled;
		*requeued += !v[i].cancelled;
		if (i + 1 == n || v[i + 1].exp != v[i].exp) {
			rc = count_experiment(st, v[i].exp, 0, 0, cancelled, 0);
			cancelled = 0;
		}
	}
	return rc;
}

int store_recover(struct store *st, int *requeued)
{
	struct recovered *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	int rc;

	*requeued = 0;
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc)
		s = store_wstmt(st, WS_RECOVER_SELECT);
	while (!rc && (rc = wrow(st, s, "recover")) == 1) {
		v = xgrow(v, &cap, n, sizeof(*v));
		v[n].run = sqlite3_column_int64(s, 0);
		v[n].exp = sqlite3_column_int64(s, 1);
		v[n].cancelled = sqlite3_column_int(s, 2);
		n++;
		rc = 0;
	}
	if (!rc && n) {
		qsort(v, n, sizeof(*v), by_experiment);
		rc = recover_runs(st, v, n, requeued);
	}
	rc = store_wend(st, rc);
	store_wunlock(st);
	free(v);
	if (rc)
		*requeued = 0;
	return rc;
}

int store_cancel_experiment(struct store *st, const char *exp_pub, int64_t **running, size_t *n)
{
	int64_t exp = store_parse_exp(exp_pub), *v = NULL;
	size_t cap = 0;
	sqlite3_stmt *s = NULL;
	int rc, k = 0;

	*running = NULL;
	*n = 0;
	if (!exp)
		return store_fail(st, STORE_NOT_FOUND, "no experiment %s", exp_pub ? exp_pub : "(null)");
	store_wlock(st);
	rc = store_wbegin(st);
	if (!rc && (s = store_wstmt(st, WS_EXP_STATUS)))
		sqlite3_bind_int64(s, 1, exp);
	if (!rc && (rc = wrow(st, s, "cancel")) == 0)
		rc = store_fail(st, STORE_NOT_FOUND, "no experiment %s", exp_pub);
	if (rc == 1) {
		const char *status = (const char *)sqlite3_column_text(s, 0);

		rc = 0;
		if (!strcmp(status, "done") || !strcmp(status, "failed"))
			rc = store_fail(st, STORE_CONFLICT, "experiment %s has already ended (%s)",
					exp_pub, status);
		sqlite3_reset(s);
	}
	if (!rc && (s = store_wstmt(st, WS_CANCEL_QUEUED))) {
		sqlite3_bind_int64(s, 1, exp);
		sqlite3_bind_text(s, 2, "cancelled before it started", -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, store_now_ms());
	}
	if (!rc && !(rc = store_wrun(st, s, "cancel runs")))
		k = sqlite3_changes(st->w);
	if (!rc && (s = store_wstmt(st, WS_RUNNING_OF)))
		sqlite3_bind_int64(s, 1, exp);
	while (!rc && (rc = wrow(st, s, "running runs")) == 1) {
		v = xgrow(v, &cap, *n, sizeof(*v));
		v[(*n)++] = sqlite3_column_int64(s, 0);
		rc = 0;
	}
	if (!rc)
		rc = count_experiment(st, exp, 0, 0, k, 1);
	rc = store_wend(st, rc);
	store_wunlock(st);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*running = v;
	return 0;
}
