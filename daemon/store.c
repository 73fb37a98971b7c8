/*
 * store.c - svabenchd's SQLite store: opening (WAL, migrations by PRAGMA
 * user_version), closing, per-thread state and errors. The writes are in
 * store_write.c, the reads in store_read.c, the import of result documents
 * in store_import.c; store_impl.h is what they share.
 */
#include "store_impl.h"
#include "../lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Migrations, embedded by schema_data.S; applied in order, never edited. */
extern const char store_schema_001[], store_schema_001_end[];
extern const char store_schema_002[], store_schema_002_end[];
extern const char store_schema_003[], store_schema_003_end[];
extern const char store_schema_004[], store_schema_004_end[];
extern const char store_schema_005[], store_schema_005_end[];
extern const char store_schema_006[], store_schema_006_end[];

/* after: what the SQL alone cannot do, run right after it (NULL: nothing). */
static const struct migration {
	int version;
	const char *sql;
	int (*after)(sqlite3 *db, char *err, size_t len);
} migrations[] = {
	{1, store_schema_001, NULL},
	{2, store_schema_002, NULL},
	{3, store_schema_003, NULL},
	{4, store_schema_004, store_samples_migrate},
	{5, store_schema_005, store_metrics_migrate},
	{6, store_schema_006, NULL},
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

const char *const run_status_names[6] = {
	"queued", "running", "done", "failed", "interrupted", "cancelled",
};


/* ---- errors and per-thread state ---- */

static void tls_free(struct store_tls *t)
{
	for (int k = 0; k < RS_NSTMT; k++)
		sqlite3_finalize(t->stmt[k]);
	sqlite3_close(t->db);
	for (size_t i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t);
}

/* pthread key destructor: the thread ends, its connection goes with it. */
static void tls_destroy(void *p)
{
	struct store_tls *t = p;
	struct store *st = t->st;

	pthread_mutex_lock(&st->tls_lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		st->tls = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&st->tls_lock);
	tls_free(t);
}

struct store_tls *store_tls_get(struct store *st)
{
	struct store_tls *t = pthread_getspecific(st->key);

	if (t)
		return t;
	t = xcalloc(1, sizeof(*t));
	if (pthread_setspecific(st->key, t))
		die("out of memory (pthread_setspecific)");
	t->st = st;
	pthread_mutex_lock(&st->tls_lock);
	t->next = st->tls;
	if (st->tls)
		st->tls->prev = t;
	st->tls = t;
	pthread_mutex_unlock(&st->tls_lock);
	return t;
}

const char *store_error(struct store *st)
{
	return store_tls_get(st)->err;
}

int store_fail(struct store *st, int rc, const char *fmt, ...)
{
	struct store_tls *t = store_tls_get(st);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return rc;
}

int store_sql_fail(struct store *st, sqlite3 *db, int code, int write, const char *what)
{
	int primary = code & 0xff;
	int full = primary == SQLITE_FULL || (write && primary == SQLITE_IOERR);

	return store_fail(st, full ? STORE_FULL : STORE_ERR, "%s: %s%s", what,
			  db ? sqlite3_errmsg(db) : sqlite3_errstr(code),
			  full ? " (disk full?)" : "");
}

int64_t store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_format_time(int64_t ms, char *buf, size_t len)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char day[32];

	gmtime_r(&s, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", day, (int)(ms % 1000));
}

int64_t store_parse_exp(const char *pub)
{
	int64_t v = 0;

	if (!pub || pub[0] != 'e' || pub[1] < '1' || pub[1] > '9')
		return 0;
	for (const char *p = pub + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int store_run_status_index(const char *status)
{
	for (int k = 0; k < 6; k++)
		if (status && !strcmp(run_status_names[k], status))
			return k;
	return -1;
}

/* ---- open and close ---- */

static int exec(sqlite3 *db, const char *sql, char *err, size_t len)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, len, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* The first column of the first row of sql as an integer (a PRAGMA). */
static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Applies the migrations past user_version, all in one transaction. */
static int migrate(sqlite3 *db, char *err, size_t len)
{
	int64_t v = 0;
	char sql[64];

	if (exec(db, "BEGIN IMMEDIATE", err, len))
		return -1;
	if (query_int(db, "PRAGMA user_version", &v)) {
		snprintf(err, len, "reading user_version: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (v > SCHEMA_VERSION) {
		snprintf(err, len, "the database has schema version %lld, newer than this svabenchd (%d)",
			 (long long)v, SCHEMA_VERSION);
		goto fail;
	}
	for (int i = 0; i < SCHEMA_VERSION; i++) {
		if (migrations[i].version <= v)
			continue;
		if (exec(db, migrations[i].sql, err, len))
			goto fail;
		if (migrations[i].after && migrations[i].after(db, err, len))
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", migrations[i].version);
		if (exec(db, sql, err, len))
			goto fail;
	}
	if (exec(db, "COMMIT", err, len))
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * The writer's settings. 16 KiB pages and a roomy cache measured best for
 * sample ingest (tests/daemon/bench_store.c); page_size only applies to a
 * new file, before WAL is set. The WAL is cut back to 64 MiB after a
 * checkpoint.
 */
static int configure(sqlite3 *db, char *err, size_t len)
{
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	if (exec(db, "PRAGMA foreign_keys = ON", err, len) ||
	    exec(db, "PRAGMA page_size = 16384", err, len) ||
	    exec(db, "PRAGMA journal_mode = WAL", err, len) ||
	    exec(db, "PRAGMA synchronous = NORMAL", err, len) ||
	    exec(db, "PRAGMA cache_size = -32768", err, len) ||
	    exec(db, "PRAGMA wal_autocheckpoint = 1000", err, len) ||
	    exec(db, "PRAGMA journal_size_limit = 67108864", err, len) ||
	    exec(db, "PRAGMA temp_store = MEMORY", err, len))
		return -1;
	return 0;
}

struct store *store_open(const char *path, char *err, size_t len)
{
	struct store *st = xcalloc(1, sizeof(*st));
	sqlite3_stmt *s = NULL;
	char *abs;
	int rc, wal;

	st->path = xstrdup(path);
	if (pthread_key_create(&st->key, tls_destroy)) {
		snprintf(err, len, "out of thread-specific keys");
		goto fail_early;
	}
	pthread_mutex_init(&st->tls_lock, NULL);
	pthread_mutex_init(&st->wlock, NULL);
	pthread_mutex_init(&st->cache_lock, NULL);
	rc = sqlite3_open_v2(path, &st->w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, len, "%s: %s", path, st->w ? sqlite3_errmsg(st->w) : sqlite3_errstr(rc));
		goto fail;
	}
	/* Readers open the same file by name: keep it valid across a chdir. */
	if ((abs = realpath(path, NULL))) {
		free(st->path);
		st->path = abs;
	}
	if (configure(st->w, err, len))
		goto fail;
	if (store_sql_functions(st->w) != SQLITE_OK) {
		snprintf(err, len, "%s: %s", path, sqlite3_errmsg(st->w));
		goto fail;
	}
	/* A filesystem without shared memory support would refuse WAL quietly. */
	rc = sqlite3_prepare_v2(st->w, "PRAGMA journal_mode", -1, &s, NULL);
	wal = rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	      !strcmp((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	if (!wal) {
		snprintf(err, len, "%s: cannot use WAL mode here", path);
		goto fail;
	}
	if (migrate(st->w, err, len))
		goto fail;
	if (store_writer_init(st)) {
		snprintf(err, len, "%s", store_error(st));
		goto fail;
	}
	if (history_config_backfill(st)) {
		snprintf(err, len, "configuration keys: %s", store_error(st));
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
fail_early:
	free(st->path);
	free(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	/* Threads still alive lose their state here, not at their exit. */
	pthread_key_delete(st->key);
	while (st->tls) {
		struct store_tls *t = st->tls;

		st->tls = t->next;
		tls_free(t);
	}
	store_writer_free(st);
	sqlite3_close(st->w);
	store_cache_free(st);
	pthread_mutex_destroy(&st->tls_lock);
	pthread_mutex_destroy(&st->wlock);
	pthread_mutex_destroy(&st->cache_lock);
	free(st->path);
	free(st);
}

