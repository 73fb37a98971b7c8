/*
 * store_impl.h - what daemon/store.c (open, migrations, writes) and
 * daemon/store_read.c (documents, lists, samples, stats) share. Private to
 * the store; the rest of the daemon includes daemon.h only.
 */
#ifndef SVABENCH_STORE_IMPL_H
#define SVABENCH_STORE_IMPL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "daemon.h"

/* Statements of the per-thread read connections (store_read.c). */
enum rstmt {
	RS_EXP,          /* one experiment row by id */
	RS_EXP_REV,
	RS_RUNS_OF,      /* every run of an experiment, plan order */
	RS_METRICS_OF,   /* final metrics of a range of runs, (run, pos) order */
	RS_METRICS_RUN,  /* final metrics of one run */
	RS_NAMES,
	RS_RUNS_PAGE,
	RS_RUN_AT,       /* a run by (experiment, idx) */
	RS_SAMPLES,
	RS_SSET,         /* a sample set's packed metric ids */
	RS_IS_EMPTY,
	RS_COUNT_EXP,
	RS_COUNT_RUNS,
	RS_COUNT_SAMPLES,
	RS_BEGIN,
	RS_COMMIT,
	RS_LIST,         /* RS_LIST + filter mask (16 variants) */
	RS_NSTMT = RS_LIST + 16,
};

/*
 * One per thread that used the store: its last error and its read-only
 * connection, opened on the first read. Freed at thread exit (pthread key
 * destructor) or by store_close, whichever comes first.
 */
struct store_tls {
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *stmt[RS_NSTMT];
	char **names;           /* metric id -> name, as far as this thread has seen */
	size_t nnames;          /* slots in names */
	int64_t names_next;     /* ids below it are loaded */
	char err[512];
	struct store_tls *prev, *next;
};

struct name_slot {
	char *name;
	int64_t id;
};

struct doc_entry;

/* Sample sets the writer keeps ids of; past this many it starts again. */
#define STORE_SSETS 64

/* A sample set the writer knows: its packed metric ids and row id. */
struct sset_slot {
	unsigned char *blob;
	size_t len;
	int64_t id;
};

#define STORE_NWSTMT 32

struct store {
	char *path;
	pthread_key_t key;
	pthread_mutex_t tls_lock;       /* the list below */
	struct store_tls *tls;

	pthread_mutex_t wlock;          /* the writer and everything below it */
	sqlite3 *w;
	sqlite3_stmt *ws[STORE_NWSTMT]; /* cached writer statements (store_write.c) */
	struct name_slot *names;        /* metric name -> id, open addressing */
	size_t names_cap, names_n;
	int names_added;                /* names inserted by the open transaction */
	struct sset_slot ssets[STORE_SSETS];     /* sample sets (store_samples.c) */
	size_t nssets;
	int ssets_added;                /* sets inserted by the open transaction */

	pthread_mutex_t cache_lock;     /* serialized documents (store_read.c) */
	struct doc_entry **cache;
	size_t cache_cap, cache_n, cache_bytes;
	struct doc_entry *lru_head, *lru_tail;
};

/* This thread's state, created on first use (dies on OOM). */
struct store_tls *store_tls_get(struct store *st);

/* Records a message for store_error() on this thread; returns rc. */
int store_fail(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records db's error as this thread's; STORE_FULL for a full disk when the
 * failure happened while writing (write != 0), else STORE_ERR. */
int store_sql_fail(struct store *st, sqlite3 *db, int code, int write, const char *what);

/* Now as Unix milliseconds; and a Unix ms time as "2025-01-02T03:04:05.678Z". */
int64_t store_now_ms(void);
void store_format_time(int64_t ms, char *buf, size_t len);

/* Parses "e12" into 12; 0 when it is not an experiment id. */
int64_t store_parse_exp(const char *pub);

/* The writer's statements; their SQL is in store_write.c. */
enum wstmt {
	WS_BEGIN, WS_COMMIT, WS_ROLLBACK,
	WS_EXP_INSERT, WS_RUN_INSERT,
	WS_NAME_GET, WS_NAME_ADD,
	WS_CLAIM_SELECT, WS_CLAIM_RUN, WS_CLAIM_EXP,
	WS_POINT_ADD, WS_SSET_GET, WS_SSET_ADD, WS_RUN_SAMPLES,
	WS_RUN_GET, WS_METRICS_DEL, WS_METRICS_PUT, WS_RUN_FINISH, WS_EXP_COUNT,
	WS_RECOVER_SELECT, WS_SAMPLES_DEL, WS_RUN_REQUEUE, WS_RUN_CANCEL,
	WS_EXP_STATUS, WS_CANCEL_QUEUED, WS_RUNNING_OF, WS_COUNT_QUEUED,
	WS_COUNT
};

/* Writer statement k, prepared once; NULL with the error recorded. */
sqlite3_stmt *store_wstmt(struct store *st, enum wstmt k);
/* Steps s to its end; 0 or the mapped failure of what. Leaves s reset. */
int store_wrun(struct store *st, sqlite3_stmt *s, const char *what);

/*
 * Writer transactions, for callers holding the writer lock: begin, then end
 * with the outcome so far (0 commits, else rolls back), returning the final
 * outcome. store_insert_metrics returns 0 or a store_rc with the message
 * recorded.
 */
void store_wlock(struct store *st);
void store_wunlock(struct store *st);
int store_wbegin(struct store *st);
int store_wend(struct store *st, int rc);
/* Appends samples of a run inside the open transaction (the import's). */
int store_insert_samples(struct store *st, int64_t run_id, const struct sample *smp, size_t n);
/* The id of a metric name, added when new (inside the open transaction). */
int64_t store_metric_id(struct store *st, const char *name);

/*
 * Time series (store_samples.c; schema/004_packed_samples.sql). add and
 * add_blocks append a run's samples inside the open transaction and count
 * them in runs.samples; STORE_NOT_FOUND for no such run. ssets_clear
 * forgets the cached set ids (a rolled-back transaction's are void).
 * migrate moves 001's rows (run inside migration 4's transaction).
 * sample_metric / sample_value: the k-th metric id of a set's blob and the
 * k-th value of a point's blob.
 */
int store_samples_add(struct store *st, int64_t run_id, const struct sample *smp, size_t n);
int store_samples_add_blocks(struct store *st, int64_t run_id, const struct sample_block *b,
			     size_t nb);
void store_ssets_clear(struct store *st);
int store_samples_migrate(sqlite3 *db, char *err, size_t len);
int store_metrics_migrate(sqlite3 *db, char *err, size_t len);
/* Registers svabench_metric(set, vals, id) on db (schema/005_packed_metrics.sql). */
int store_sql_functions(sqlite3 *db);
uint32_t store_sample_metric(const unsigned char *set, size_t k);
double store_sample_value(const unsigned char *vals, size_t k);
/* Stores a run's final metrics m (NULL: none, nothing written); store_samples.c. */
int store_insert_metrics(struct store *st, int64_t run, const struct metrics *m);

/* Prepares every writer statement (a mistake shows at open, and the error
 * path never has to prepare ROLLBACK). 0 or STORE_ERR with the message. */
int store_writer_init(struct store *st);
/* Finalizes the writer's statements and forgets cached names (store_close). */
void store_writer_free(struct store *st);

/* Index of a run status in run_status_names, or -1. */
int store_run_status_index(const char *status);

/* ---- reads (store_read.c), for store_doc.c ---- */

/* Columns of every experiment query, in store_exp_json's order. */
#define EXP_COLS "id, spec, status, runs_total, runs_done, runs_failed, preset, host, target," \
	" workload, label, name, created_at, finished_at, imported_from, rev"

/* This thread's read connection, opened on first use; NULL with *rc set. */
struct store_tls *store_reader(struct store *st, int *rc);
/* Statement k of this thread (sql: its text, NULL for the fixed ones). */
sqlite3_stmt *store_rstmt(struct store *st, struct store_tls *t, int k, const char *sql);
/* One step: 1 on a row, 0 at the end, <0 failed (reset at the end and on failure). */
int store_rrow(struct store *st, struct store_tls *t, sqlite3_stmt *s, const char *what);
/* A read transaction: everything until store_rend() is one snapshot. */
int store_rbegin(struct store *st, struct store_tls *t);
void store_rend(struct store *st, struct store_tls *t);
/* The name of a metric id; NULL with *rc set when unknown. */
const char *store_metric_name(struct store *st, struct store_tls *t, int64_t id, int *rc);
/* The experiment object of the current row of an EXP_COLS query. */
json_t *store_exp_json(sqlite3_stmt *s);

/*
 * The document cache (store_cache.c). get: a copy (caller frees) of the
 * text of (exp, with_runs) when it is of revision rev, else NULL. put: keeps
 * a copy of text as that document at rev. free: drops everything.
 */
char *store_cache_get(struct store *st, int64_t exp, int with_runs, int64_t rev, size_t *len);
void store_cache_put(struct store *st, int64_t exp, int with_runs, int64_t rev,
		     const char *text, size_t len);
void store_cache_free(struct store *st);

/* Number text as the documents write it: integral values as integers. */
json_t *store_number_json(double v);

#endif
