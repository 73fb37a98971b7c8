/*
 * daemon.h - svabenchd's modules and how they talk: config (one declarative
 * table), store (SQLite, the daemon is its only writer), scheduler (runs in
 * worker processes), worker (one run, JSON lines on stdout), http (the API
 * of api.md), auth (the bearer token in var/token).
 *
 * Threads: the HTTP thread pool reads the store through per-thread read
 * connections and calls into the scheduler for submissions and cancels; the
 * scheduler thread owns the workers and writes their results; all writes go
 * through the store's single writer connection, serialized by its mutex.
 */
#ifndef SVABENCH_DAEMON_H
#define SVABENCH_DAEMON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

/* ---- config.c ---- */

struct config {
	/* each field's default is in config.c's table, the one place */
	char listen_host[64];
	int port;
	char var[4096];         /* state: database, token, log */
	int no_default_suite;
	int workers;            /* concurrent worker processes; 0 = online CPUs */
	int run_timeout_s;      /* a worker running longer is killed, its run failed */
	int queue_max;          /* runs waiting queued at most (429 past it) */
	int http_threads;
	int conn_limit;         /* total connections */
	int per_ip_limit;
	int conn_timeout_s;
	int request_timeout_s;  /* a request must arrive whole within this (not reset by bytes) */
	size_t conn_memory;     /* per-connection memory limit */
	size_t body_max;        /* request body cap (413 above) */
	size_t import_max;      /* import body cap, sent and unpacked (413 above) */
	char suite_dir[4096];   /* default suite specs, queued on an empty store */
	char web_dir[4096];     /* the dashboard's static files (web/) */
	int worker_mode;        /* internal: run one job from stdin (--worker) */
	char allow_hosts[4096]; /* Host names answered besides loopback's and --listen's, comma-separated */
};

/*
 * Parses argv into c, defaults first. Returns 0, 1 when --help was printed,
 * or -1 with a message naming the option and its allowed range in err.
 */
int config_parse(int argc, char **argv, struct config *c, char *err, size_t len);
void config_usage(FILE *f);

/* ---- store.c ---- */

struct store;

/* Errors the API maps to statuses. */
enum store_rc {
	STORE_OK = 0,
	STORE_ERR = -1,       /* SQLite failed; message in the store's last error */
	STORE_FULL = -2,      /* disk or quota full (SQLITE_FULL / SQLITE_IOERR on write) */
	STORE_NOT_FOUND = -3,
	STORE_CONFLICT = -4,  /* e.g. cancelling a finished experiment */
};

/*
 * Opens (creating) the SQLite file at path, WAL mode, applies the numbered
 * migrations in schema/ (embedded) by PRAGMA user_version. NULL with a
 * message on failure.
 */
struct store *store_open(const char *path, char *err, size_t len);
void store_close(struct store *st);
/* The last error text of this thread's use of the store. */
const char *store_error(struct store *st);

/*
 * Persists an experiment and every run of its plan as `queued`, in one
 * transaction, before anything runs. host is a JSON object (kernel,
 * machine, svabench_version); the preset is taken from sp. Writes the new
 * experiment's public id ("e12") into id.
 */
int store_create_experiment(struct store *st, const struct spec *sp, const char *spec_text,
			    const json_t *host, char *id, size_t idlen);

/* 1 when the store holds no experiment (the default suite is queued then). */
int store_is_empty(struct store *st);

/*
 * Start-up recovery: every run left `running` becomes `interrupted` (reason
 * stored, its partial samples dropped) and then `queued` again. Sets
 * *requeued to how many.
 */
int store_recover(struct store *st, int *requeued);

/* What a worker needs for one run. Strings owned by the job. */
struct run_job {
	int64_t run_id;        /* rowid */
	char run_pub[48];      /* "e12-r3" */
	char exp_pub[32];      /* "e12" */
	char *spec_text;       /* the experiment's spec as given */
	int index;             /* the run's index in the plan (0-based) */
	char target[32];       /* the experiment's target */
};

void run_job_free(struct run_job *j);

/*
 * Claims the oldest queued run (of an experiment not cancelled): marks it
 * `running`, attempts+1, started_at now. 1 with *job filled, 0 when nothing
 * is queued, <0 on error.
 */
int store_claim_next(struct store *st, struct run_job *job);

/*
 * Claims up to max queued runs, oldest first, in one transaction. may_start
 * (NULL: any) is asked about the oldest queued run's target before each
 * claim; when it answers 0 claiming stops there (runs keep their order).
 * The number claimed (jobs[0..n-1] filled), or <0 on error.
 */
int store_claim_runs(struct store *st, struct run_job *jobs, int max,
		     int (*may_start)(void *ctx, const char *target), void *ctx);

/* Runs queued now (<0 on error). */
int64_t store_count_queued(struct store *st);

/* One time-series sample of one run: t_ns and every counter. */
struct sample {
	uint64_t t_ns;
	struct metrics *m;
};

/* Appends samples of a run (batched: one transaction per call). */
int store_add_samples(struct store *st, int64_t run_id, const struct sample *s, size_t n);

/*
 * Samples as the workers send them: n samples of the same nnames metrics,
 * values row by row (n x nnames; NaN or infinite stored as null).
 */
struct sample_block {
	const char *const *names;
	size_t nnames;
	const uint64_t *t_ns;
	const double *values;
	size_t n;
};

/* Appends nb blocks of samples of a run in one transaction. */
int store_add_sample_blocks(struct store *st, int64_t run_id, const struct sample_block *b,
			    size_t nb);

/*
 * Records a run's end: status "done" | "failed" | "cancelled", reason
 * (NULL unless failed/cancelled), final metrics (may be NULL) and examples
 * (JSON array, may be NULL); updates the experiment's counters and status.
 */
int store_finish_run(struct store *st, int64_t run_id, const char *status, const char *reason,
		     const struct metrics *m, const json_t *examples);

/*
 * One run's end with its remaining samples, for store_finish_runs. rc is
 * set per run: 0 stored (or the same end stored already), STORE_NOT_FOUND
 * or STORE_CONFLICT when it was refused and nothing of it written.
 */
struct run_end {
	int64_t run_id;
	const char *status, *reason;
	const struct metrics *m;
	const json_t *examples;
	const struct sample *samples;
	size_t nsamples;
	const struct sample_block *blocks;
	size_t nblocks;
	int64_t started_ms;    /* when it started (Unix ms); 0: as claimed */
	int64_t finished_ms;   /* when it ended (Unix ms); 0: now */
	int rc;
};

/*
 * Records the ends of n runs (samples, final metrics, status, experiment
 * counters) in ONE transaction: a kill -9 leaves all of them stored or none
 * (those are re-queued by store_recover). 0 when committed, else
 * STORE_FULL / STORE_ERR and nothing written (the call can be retried).
 */
int store_finish_runs(struct store *st, struct run_end *v, size_t n);

/*
 * Cancels an experiment: its queued runs become `cancelled`; the rowids of
 * its running runs are returned (malloc'd, *n of them) for the scheduler to
 * kill. STORE_NOT_FOUND for an unknown id, STORE_CONFLICT when it is done.
 */
int store_cancel_experiment(struct store *st, const char *exp_pub, int64_t **running, size_t *n);

/*
 * Imports a result document (as `svabench export` / GET .../experiments/ID
 * writes it, from this or another svabenchd): the spec must parse here and
 * its plan match the document's runs; runs keep their status, metrics and
 * examples; nothing is re-run. The experiment gets a new local id (the
 * original id is kept in its "imported_from"). -1 with a message in err on
 * a document that does not fit (400), STORE_FULL / STORE_ERR otherwise.
 */
int store_import_experiment(struct store *st, const json_t *doc, char *id, size_t idlen,
			    char *err, size_t elen);

/*
 * Imports the result documents of the array docs all in one transaction,
 * or none: each checked as store_import_experiment checks it (err names
 * "documents[i]" when there are several), then guard (NULL: none), called
 * inside the write transaction before anything is written, may refuse the
 * lot with its own status and err (a replay). ids[i] gets each new
 * experiment's row id.
 */
int store_import_experiments(struct store *st, const json_t *docs,
			     int (*guard)(struct store *st, void *ctx, char *err, size_t elen),
			     void *ctx, int64_t *ids, char *err, size_t elen);

/*
 * store_lava.c: a LAVA job's documents (each with host.lava.key = key)
 * imported as store_import_experiments does, refused with STORE_CONFLICT
 * and err when a document with that key is stored already (a replay).
 */
int store_lava_import(struct store *st, const json_t *docs, const char *key, const char *job,
		      int64_t *ids, char *err, size_t elen);

/* More to write in an import's transaction: fn gets the new experiment's
 * rowid and its runs' rowids (plan order); a non-zero return (a STORE_*
 * code, or -1 with the message in the caller's err) rolls it all back. */
struct import_more {
	int (*fn)(void *ctx, struct store *st, int64_t exp, const int64_t *runs, size_t nruns);
	void *ctx;
};

/* store_import_experiment with more (may be NULL) in the same transaction. */
int store_import_more(struct store *st, const json_t *doc, const struct import_more *more,
		      char *id, size_t idlen, char *err, size_t elen);

/* ---- store reads (any thread; each thread gets its own read connection) ---- */

/*
 * The result document of api.md for one experiment: {"experiment": ...,
 * "runs": [...]} (with_runs) or the experiment object alone, built exactly
 * as `svabench run --offline --json` builds it (core/result.c) so the two
 * compare equal but for ids, timings and sim.wall_ns. NULL with
 * STORE_NOT_FOUND / STORE_ERR in *rc.
 */
json_t *store_experiment_doc(struct store *st, const char *exp_pub, int with_runs, int *rc);

/*
 * The same document as compact JSON text (malloc'd, *len bytes), served
 * from a cache while the experiment is unchanged: what GET
 * /api/v1/experiments/ID sends.
 */
char *store_experiment_doc_text(struct store *st, const char *exp_pub, int with_runs, int *rc,
				size_t *len);

/* Filters and page of GET /api/v1/experiments. */
struct list_query {
	const char *label, *target, *workload, *status; /* NULL: any */
	int limit;            /* 1..1000 */
	int64_t cursor;       /* 0: first page; else from the previous page's next_cursor */
};

/* {"experiments": [experiment objects, newest first], "next_cursor": "..."|null} */
json_t *store_list_experiments(struct store *st, const struct list_query *q, int *rc);
/* {"runs": [...], "next_cursor": ...} of one experiment (limit/cursor as above). */
json_t *store_list_runs(struct store *st, const char *exp_pub, int limit, int64_t cursor, int *rc);
/* {"run": "e1-r2", "samples": [{"t_ns": n, "metrics": {...}}, ...], "next_cursor": ...} */
json_t *store_run_samples(struct store *st, const char *run_pub, int limit, int64_t cursor, int *rc);

struct store_stats {
	int64_t experiments;
	int64_t runs_by_status[6]; /* queued running done failed interrupted cancelled */
	int64_t samples;
	int64_t file_bytes;        /* database + WAL */
};

int store_stats(struct store *st, struct store_stats *s);
/* Status names in store_stats order. */
extern const char *const run_status_names[6];

/* ---- history.c: a metric across labels, change points, alerts ---- */

/* GET /api/v1/history's query. Strings borrowed; NULL = not given. */
struct history_query {
	const char *workload;   /* required */
	const char *metric;     /* required, e.g. "cpu.invalidation_ns" */
	const char *strategy;   /* required */
	const char *cell;       /* JSON object text of the cell ({} = no swept params); NULL: every cell */
	const char *target;     /* default "sim" */
	const char *config;     /* a configuration id; NULL: every configuration */
	int limit;              /* newest experiments considered (default 200) */
	/* change-point detection parameters (history.c documents the method) */
	double min_change;      /* relative step worth an alert (default 0.05) */
	double alpha;           /* significance (default 0.01) */
	int window;             /* points each side of a candidate (default 5) */
};

/* The defaults above, every string NULL but target. */
void history_query_defaults(struct history_query *q);

/*
 * {"workload", "metric", "strategy", "target", "params": {...},
 *  "series": [{"config", "configuration": {...}, "cell": {...},
 *      "points": [{"experiment", "label", "kernel", "imported", "created_at",
 *      "n", "median", "values": [...]}], "change_points": [{"index",
 *      "experiment", "previous", "label", "before", "after", "change", "ci",
 *      "p", "direction", "tentative"}]}]}
 * ordered by kernel version (or label) then time. Reads only: alerts are
 * made when experiments end (history_on_ended). NULL with a message
 * naming the field in err (400) or a STORE_* code in *rc. err then reads
 * "FIELD: message" (FIELD a query parameter's name).
 */
json_t *history_json(struct store *st, const struct history_query *q, int *rc, char *err,
		     size_t elen);

/*
 * GET /api/v1/history/configs: {"target", "workload", "configs": [{"config",
 * "configuration", "experiments": ["e3", ...], "labels": [...]}]}, the
 * configurations of (target, workload)'s ended experiments, newest first.
 */
json_t *history_configs_json(struct store *st, const char *target, const char *workload,
			     int limit, int *rc);

/*
 * Called for experiments ("e12", n of them) that ended or were imported:
 * for each configuration among those that have ended (done or failed),
 * once, looks for change points in every series of the configuration for
 * the key metrics (history.c), and stores them as alerts, grouped per
 * experiment, tentative at the newest point; then records each of those
 * experiments as analysed (experiments.alerts_pending = 0). Logs its own
 * failures; never fails a run.
 */
void history_on_ended(struct store *st, const char (*exps)[32], size_t n);
/* Experiments given to history_on_ended since the start, on any thread. */
long long history_analyses(void);
/* Ended experiments whose analysis has not run (a kill came first): the
 * ids past `after`, ascending, at most max (*n of them). 0 or STORE_*. */
int history_pending_ended(struct store *st, int64_t after, int64_t *ids, size_t max, size_t *n);
/* Records experiments ids[0..n-1] as analysed. 0 or STORE_*. */
int history_mark_analysed(struct store *st, const int64_t *ids, size_t n);

/* The rowids of the newest done experiment of each configuration, newest
 * first, at most max (*n of them): what /metrics shows. 0 or STORE_*. */
int history_latest_per_config(struct store *st, int64_t *ids, size_t max, size_t *n);

/* Fills configuration keys of experiments stored before schema 3. */
int history_config_backfill(struct store *st);

/* Filters and page of GET /api/v1/alerts (strings borrowed, NULL: any). */
struct alert_query {
	const char *target, *workload, *metric, *strategy, *status, *direction, *config;
	int64_t experiment;     /* 0: any; else alerts with it on either side */
	int limit;              /* 1..1000 */
	int64_t cursor;         /* 0: first page */
};

/* {"alerts": [{"id", "created_at", "updated_at", "config", "configuration",
 *  "target", "workload", "experiment", "label", "kernel", "imported",
 *  "previous": {"experiment", "label", "kernel"}, "direction", "tentative",
 *  "status", "status_at", "note", "magnitude": {"metric", "strategy",
 *  "cell", "change", "ci"}, "changes": [{"cell", "strategy", "metric",
 *  "direction", "before", "after", "change", "ci": [lo, hi], "p"}]},
 *  ... newest first], "next_cursor": "..."|null} */
json_t *store_list_alerts(struct store *st, const struct alert_query *q, int *rc);
/* One alert as above; NULL with STORE_NOT_FOUND / STORE_ERR in *rc. */
json_t *store_get_alert(struct store *st, int64_t id, int *rc);
/* Sets an alert's triage status (new, acknowledged, invalid, fixed) and,
 * when note is not NULL, its note. STORE_NOT_FOUND for an unknown id. */
int store_triage_alert(struct store *st, int64_t id, const char *status, const char *note);

/* ---- scheduler.c ---- */

struct scheduler;
struct task_env;

struct scheduler *scheduler_start(struct store *st, const struct config *c, char *err, size_t len);
/* Stops starting runs, kills running workers (their runs stay `running`, so
 * the next start re-queues them), joins the thread. */
void scheduler_stop(struct scheduler *s);

/*
 * Validates and persists a spec, then wakes the scheduler. 0 with the new id;
 * on a bad spec -1 with *e filled (400); STORE_FULL / STORE_ERR otherwise.
 */
int scheduler_submit(struct scheduler *s, const char *text, size_t len, char *id, size_t idlen,
		     struct spec_error *e);
/* scheduler_submit: the queue has no room for the plan (*e says so): 429. */
#define SCHED_QUEUE_FULL (-10)
/* Seconds a refused submitter should wait (1..60, from the drain rate). */
int scheduler_retry_after(struct scheduler *s);

/* Cancels queued and running runs of an experiment (STORE_* codes). */
int scheduler_cancel(struct scheduler *s, const char *exp_pub);

struct scheduler_stats {
	int workers_busy, workers_max;
	int64_t runs_started, runs_finished, workers_killed;
	int64_t workers_started;      /* worker processes started (each runs many runs) */
	int64_t libpfm_inits;         /* workers that initialised libpfm4 (specs with collect) */
	int64_t ingest_batches;       /* transactions that stored ended runs */
	int64_t queued, queue_max;    /* runs waiting; the bound */
	int64_t submissions_refused;  /* 429s: the queue was full */
	int64_t history_pending;      /* experiments waiting for their alert analysis */
	int64_t history_analyses;     /* alert analyses done (history thread) */
	int store_failing;            /* the last write failed (disk full...) */
	char store_error[256];
};

void scheduler_stats(struct scheduler *s, struct scheduler_stats *out);

/* Queues an ended or imported experiment's alert analysis
 * (history_on_ended) on the scheduler's history thread. */
void scheduler_history_later(struct scheduler *s, const char *exp_pub);

/*
 * {"collectors": [...]} of this machine (GET /api/v1/collectors): probed
 * once per daemon start in a worker process (task.h), waited for at most
 * --run-timeout; NULL with why in err when that probe failed.
 */
json_t *scheduler_collectors(struct scheduler *s, char *err, size_t elen);
/* The scheduler's worker tasks (task.h): for calibration and robustness, and
 * /metrics; NULL for a NULL scheduler (a server without one: the fuzzer's). */
struct task_env *scheduler_tasks(struct scheduler *s);

/* ---- worker.c ---- */

/*
 * The worker process: reads jobs from stdin, one JSON line each: {"run":
 * rowid, "exp": "e1", "index": n, "spec": text (only when the worker does
 * not hold that experiment's spec yet)}, runs them in turn until stdin
 * ends. Writes frames to stdout: a uint32 payload length and a type byte
 * (host byte order; both ends are this binary), then the payload:
 *   WF_NAMES  stream byte, then metric names, each NUL-terminated: the
 *             order of the values of that stream's next samples;
 *   WF_SAMPLE stream byte, uint64 t_ns, one double per name (NaN: null);
 *   WF_FINAL  stream byte (2), uint64 run id, one double per name: the
 *             run's final metrics, just before its WF_JSON;
 *   WF_JSON   {"result": {"run", "status", "reason", "examples"[,
 *              "metrics": {}]}, "worker": {"libpfm": bool, "runs": n}}
 *              ending each run ("metrics" when it has none: no WF_FINAL).
 * Stream 0 is the target's samples, 1 the counters' (collect), 2 final
 * metrics. A job with a "kind" is a task instead (collector probe,
 * calibration, robustness: task.h), answered by WF_JSON {"task": ...}.
 * Returns the process exit status.
 */
enum { WF_NAMES = 'N', WF_SAMPLE = 'S', WF_JSON = 'J', WF_FINAL = 'F' };
int worker_main(void);

/* ---- log.c: stderr to the terminal and var/svabenchd.log, never blocking ---- */

/* Tees stderr (and the workers') into DIR/svabenchd.log; -1 with err. */
int log_start(const char *var, char *err, size_t elen);
/* Flushes what is pending to both and gives stderr back to the terminal. */
void log_stop(void);
/* Lines the log file refused (disk full, I/O error) and that were dropped. */
uint64_t log_dropped_lines(void);

/* ---- auth.c ---- */

/* Creates var/token (0600, 32 random bytes hex) if missing and loads it. */
int auth_init(const char *var, char *token, size_t len, char *err, size_t elen);
/* 1 when the Authorization header carries the token (constant-time compare). */
int auth_check(const char *token, const char *authorization_header);

/* api_lava.c: creates var/lava/token (as auth_init) and loads it into token
 * (LAVA_TOKEN_MAX + 1 bytes) for LAVA's callback. */
#define LAVA_TOKEN_MAX 256
int lava_callback_init(const char *var, char *token, size_t len, char *err, size_t elen);

/* ---- api_compare.c, api_plots.c: what the API keeps between requests ---- */

/* The last comparisons answered, by experiment, progress and query. */
struct compare_cache;
struct compare_cache *compare_cache_new(void);
void compare_cache_free(struct compare_cache *c);
/* The plotter (made on first use) and which script each plot drew last. */
struct plot_cache;
struct plot_cache *plot_cache_new(void);
void plot_cache_free(struct plot_cache *c);

/* api_robustness.c: the stored robustness analysis of experiment id
 * (<var>/robustness/ID.json: {"options", "result"}), or NULL when none. */
json_t *robustness_stored(const struct config *cfg, const char *id);

/* ---- http.c ---- */

struct http;

/* What the request handlers see of the daemon (struct svabenchd's parts);
 * compare, plots and lava_token may be NULL / "" (no cache, no LAVA). */
struct http_ctx {
	struct store *store;
	struct scheduler *sched;
	const struct config *cfg;
	const char *token;
	struct compare_cache *compare;
	struct plot_cache *plots;
	const char *lava_token;
};

/* Starts the libmicrohttpd daemon; NULL with a message on failure. */
struct http *http_start(const struct http_ctx *ctx, char *err, size_t len);
void http_stop(struct http *h);

/* ---- svabenchd.c: the daemon's state, one owner ---- */

/*
 * Everything the daemon keeps for its lifetime, set up by svabenchd_open in
 * order and torn down by svabenchd_close in reverse (after redis's struct
 * redisServer): the configuration, the API and LAVA tokens, the local
 * presets' directory (given to the sim and to every worker), the store,
 * the scheduler, the API's caches and the HTTP server. The logger
 * (lib/logger.c) is process-wide; calibration keeps its own state
 * (calibrate.c) until it becomes a worker job.
 */
struct svabenchd {
	struct config cfg;
	char token[128];
	char lava_token[LAVA_TOKEN_MAX + 1];
	char presets_dir[4200];
	struct store *store;
	struct scheduler *sched;
	struct compare_cache *compare;
	struct plot_cache *plots;
	struct http *http;
};

/* <var>/presets into buf: where calibration writes and the sim reads local presets. */
void svabenchd_presets_dir(const struct config *cfg, char *buf, size_t len);
/* Opens everything of d for d->cfg (filled by the caller) and starts
 * serving; -1 with a message, everything opened closed again. */
int svabenchd_open(struct svabenchd *d, char *err, size_t len);
/* Stops serving and closes what svabenchd_open opened, re-queueing running runs. */
void svabenchd_close(struct svabenchd *d);

/* ---- calibrate.c: POST and GET /api/v1/calibrate (routes in api.c) ---- */

#include <microhttpd.h>

struct request;

/* Starts a calibration into <var>/presets/local.json on a detached thread:
 * 202 {"status": "running", ...}, 409 while one runs. */
enum MHD_Result calibrate_post(struct request *r);
/* {"status": "idle"|"running"|"done"|"failed", "preset", "iterations", "error"} */
enum MHD_Result calibrate_get(struct request *r);

#endif
