/*
 * test_store.c - the daemon's store, as the scheduler and the API use it: a
 * new file gets the schema, reopening changes nothing; an experiment's runs
 * are claimed, run on the real simulator and finished, and its document is
 * the one `svabench run --offline --json` prints; a daemon that stopped
 * mid-run re-queues that run once and drops its partial samples; cancels,
 * lists, samples, counts and imports behave as the API promises; a full disk
 * fails a write cleanly and the same write succeeds once space returns; a
 * schema-3 store (one samples row per value) upgrades in place to one row
 * per time point and reads back as before (run from the repository root:
 * it reads schema/00[1-3]_*.sql).
 */
#define _GNU_SOURCE
#include "../harness.h"
#include "../../daemon/daemon.h"
#include "../../daemon/store_impl.h" /* store_experiment_doc_text */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static char dir[256];

static const char spec_ok[] =
	"{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"pri-inv\"],"
	" \"params\": {\"duration_us\": 200, \"pages\": 16, \"ats\": [false, true]},"
	" \"seed\": 3, \"label\": \"store-test\", \"name\": \"lifecycle\"}";
/* Its second cell stops at max_events: that run fails with a reason. */
static const char spec_failing[] =
	"{\"workload\": \"rw-reuse\", \"strategies\": [\"pri-inv\"],"
	" \"params\": {\"max_events\": 1000, \"duration_us\": [200, 100000]}}";
static const char spec_small[] =
	"{\"workload\": \"rw-reuse\", \"strategies\": [\"none\", \"pri-inv\", \"notifier\"],"
	" \"params\": {\"duration_us\": 100, \"pages\": 16}, \"label\": \"small\"}";

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static struct spec *parse(const char *text)
{
	struct spec_error e;
	struct spec *sp = spec_parse(text, strlen(text), &e);

	if (!sp)
		printf("# spec refused: %s: %s\n", e.field, e.msg);
	return sp;
}

/* The host object core's offline document carries. */
static json_t *host_now(void)
{
	struct utsname u;

	uname(&u);
	/* what the scheduler records (daemon/scheduler.c), commit included */
	return json_pack("{s:s, s:s, s:s, s:s}", "kernel", u.release, "machine", u.machine,
			 "svabench_version", SVABENCH_VERSION, "svabench_commit", svabench_commit());
}

static int64_t sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static int integrity_ok(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int ok = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		ok = !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

/* Collects a run's samples for store_add_samples. */
struct sampler {
	struct sample v[64];
	size_t n, total;
	struct store *st;
	int64_t run;
	int rc;
};

static void flush_samples(struct sampler *sm)
{
	if (sm->n && !sm->rc)
		sm->rc = store_add_samples(sm->st, sm->run, sm->v, sm->n);
	for (size_t i = 0; i < sm->n; i++)
		metrics_free(sm->v[i].m);
	sm->n = 0;
}

static void on_sample(void *ctx, uint64_t t_ns, const struct metrics *m)
{
	struct sampler *sm = ctx;
	struct metrics *copy = metrics_new();

	for (size_t k = 0; copy && k < m->n; k++) {
		if (m->v[k].is_null)
			metrics_set_null(copy, m->v[k].name);
		else
			metrics_set(copy, m->v[k].name, m->v[k].value);
	}
	sm->v[sm->n].t_ns = t_ns;
	sm->v[sm->n++].m = copy;
	sm->total++;
	if (sm->n == sizeof(sm->v) / sizeof(sm->v[0]))
		flush_samples(sm);
}

/*
 * What the worker and scheduler do for one claimed job: run it on the
 * target, stream samples to the store, record the end. The same outcome
 * goes into r (when given) as the offline runner would record it.
 */
static int run_job(struct store *st, const struct run_job *job, struct results *r)
{
	struct spec *sp = parse(job->spec_text);
	struct sampler sm = {.st = st, .run = job->run_id};
	struct run_result res = {0};
	json_t *ex = json_array();
	int ok, rc;

	if (!sp)
		return -1;
	const struct run_plan *p = &sp->runs[job->index];
	const struct run_req req = {sp->workload, p->strategy, p->params, p->seed};
	const struct run_sink sink = {.ctx = &sm, .sample = on_sample};

	res.metrics = metrics_new();
	ok = sp->target->run(&req, &sink, &res) == 0;
	flush_samples(&sm);
	for (int k = 0; k < res.nexamples; k++)
		json_array_append_new(ex, json_string(res.examples[k]));
	rc = sm.rc ? sm.rc : store_finish_run(st, job->run_id, ok ? "done" : "failed",
					       ok ? NULL : res.reason, res.metrics, ex);
	if (r)
		results_store(r, (size_t)job->index, ok ? RUN_DONE : RUN_FAILED, &res);
	json_decref(ex);
	metrics_free(res.metrics);
	spec_free(sp);
	return rc;
}

/* Claims and runs everything queued; the number of runs, or -1. */
static int drain(struct store *st, struct results *r)
{
	struct run_job job;
	int n = 0, rc;

	while ((rc = store_claim_next(st, &job)) == 1) {
		if (run_job(st, &job, r)) {
			printf("# run %s: %s\n", job.run_pub, store_error(st));
			rc = -1;
		}
		run_job_free(&job);
		if (rc < 0)
			return -1;
		n++;
	}
	return rc < 0 ? -1 : n;
}

static int create(struct store *st, const char *text, char *id, size_t len)
{
	struct spec *sp = parse(text);
	json_t *host = host_now();
	int rc = sp ? store_create_experiment(st, sp, text, host, id, len) : -1;

	json_decref(host);
	spec_free(sp);
	return rc;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "(none)";
}

/* Drops what may differ between two documents of the same results. */
static void strip(json_t *doc)
{
	json_t *e = json_object_get(doc, "experiment"), *run;
	size_t i;

	json_object_del(e, "id");
	json_object_del(e, "created_at");
	json_object_del(e, "finished_at");
	json_object_del(e, "imported_from");
	json_array_foreach(json_object_get(doc, "runs"), i, run) {
		json_object_del(run, "id");
		json_object_del(run, "started_at");
		json_object_del(run, "finished_at");
	}
}

/* The path of the first place a and b differ ("" when equal), for the failure message. */
static void first_diff(const json_t *a, const json_t *b, char *path, size_t len)
{
	size_t plen = strlen(path);

	if (json_equal(a, b)) {
		if (!plen)
			snprintf(path, len, "(equal)");
		return;
	}
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)a, k, v) {
			if (!json_equal(v, json_object_get(b, k))) {
				snprintf(path + plen, len - plen, ".%s", k);
				if (json_object_get(b, k))
					first_diff(v, json_object_get(b, k), path, len);
				return;
			}
		}
		json_object_foreach((json_t *)b, k, v) {
			if (!json_object_get(a, k)) {
				snprintf(path + plen, len - plen, ".%s (only in the second)", k);
				return;
			}
		}
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_equal(json_array_get(a, i), json_array_get(b, i))) {
				snprintf(path + plen, len - plen, "[%zu]", i);
				first_diff(json_array_get(a, i), json_array_get(b, i), path, len);
				return;
			}
	}
}

static json_t *doc_of(struct store *st, const char *id)
{
	int rc = 0;
	json_t *doc = store_experiment_doc(st, id, 1, &rc);

	if (!doc)
		printf("# document of %s: %d %s\n", id, rc, store_error(st));
	return doc;
}

static void test_migrations(void)
{
	char db[512], err[256], id[32];
	struct store *st;
	int64_t version;

	path_in(db, sizeof(db), "m.db");
	st = store_open(db, err, sizeof(err));
	test_result(st != NULL, "a new file opens", "%s", err);
	if (!st)
		return;
	/* 5 or later: other migrations may follow schema/005_packed_metrics.sql */
	test_result(sql_int(db, "PRAGMA user_version") >= 5 &&
		    sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
			    " ('experiments', 'runs', 'metric_names', 'run_metrics', 'sample_points',"
			    " 'sample_sets', 'alerts', 'alert_changes')") == 8 &&
		    sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
			    " ('samples', 'metrics')") == 0,
		    "migrations create the tables and set user_version",
		    "user_version %lld", (long long)sql_int(db, "PRAGMA user_version"));
	version = sql_int(db, "PRAGMA user_version");
	test_result(store_is_empty(st) == 1, "a new store is empty", "store_is_empty");
	test_result(create(st, spec_small, id, sizeof(id)) == 0 && !strcmp(id, "e1"),
		    "the first experiment is e1", "got %s: %s", id, store_error(st));
	store_close(st);
	st = store_open(db, err, sizeof(err));
	test_result(st && sql_int(db, "PRAGMA user_version") == version && store_is_empty(st) == 0 &&
		    sql_int(db, "SELECT COUNT(*) FROM runs") == 3,
		    "reopening applies nothing again and keeps the data", "%s", st ? "" : err);
	{
		sqlite3 *raw = NULL;
		int64_t mode = -1;

		sqlite3_open(db, &raw);
		sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
		sqlite3_close(raw);
		store_close(st);
		st = store_open(db, err, sizeof(err));
		mode = sql_int(db, "PRAGMA user_version");
		test_result(!st && strstr(err, "newer"), "a newer schema is refused",
			    "opened (user_version %lld)", (long long)mode);
		store_close(st);
	}
}

static void test_lifecycle(void)
{
	char db[512], err[256], id[32], fid[32], where[256];
	struct spec *sp = parse(spec_ok), *fsp = parse(spec_failing);
	struct results *r = sp ? results_new(sp) : NULL, *fr = fsp ? results_new(fsp) : NULL;
	struct store *st;
	json_t *doc = NULL, *off = NULL, *fdoc = NULL, *foff = NULL, *alone = NULL, *list = NULL;
	struct list_query q = {.limit = 10};
	int n, rc;

	path_in(db, sizeof(db), "life.db");
	st = store_open(db, err, sizeof(err));
	if (!st || !r || !fr) {
		test_result(0, "lifecycle", "setup: %s", err);
		goto out;
	}
	rc = create(st, spec_ok, id, sizeof(id));
	test_result(rc == 0 && sql_int(db, "SELECT COUNT(*) FROM runs WHERE status = 'queued'") == 4,
		    "an experiment is stored with every run queued", "%s", store_error(st));
	doc = doc_of(st, id);
	test_result(doc && !strcmp(str(json_object_get(doc, "experiment"), "status"), "queued") &&
		    !strcmp(str(json_array_get(json_object_get(doc, "runs"), 0), "status"), "queued"),
		    "a new experiment and its runs are queued", "status %s",
		    str(json_object_get(doc, "experiment"), "status"));
	json_decref(doc);
	n = drain(st, r);
	test_result(n == 4, "four runs claimed and finished", "%d", n);
	doc = doc_of(st, id);
	off = result_document(r, "offline");
	test_result(doc && !strcmp(str(json_object_get(doc, "experiment"), "status"), "done") &&
		    !strcmp(str(json_array_get(json_object_get(doc, "runs"), 3), "id"),
			    "e1-r4") &&
		    json_is_string(json_object_get(json_object_get(doc, "experiment"), "finished_at")),
		    "all runs done: the experiment is done, runs have ids e1-rN", "%s",
		    doc ? str(json_object_get(doc, "experiment"), "status") : "no doc");
	strip(doc);
	strip(off);
	where[0] = '\0';
	if (doc && off)
		first_diff(doc, off, where, sizeof(where));
	test_result(doc && off && json_equal(doc, off),
		    "the stored document equals the offline one (but for ids and times)",
		    "documents differ at %s", where);
	if (doc && off && !json_equal(doc, off)) {
		char *a = json_dumps(doc, JSON_INDENT(1)), *b = json_dumps(off, JSON_INDENT(1));

		printf("# store:   %.2000s\n# offline: %.2000s\n", a, b);
		free(a);
		free(b);
	}

	rc = create(st, spec_failing, fid, sizeof(fid));
	n = drain(st, fr);
	fdoc = doc_of(st, fid);
	foff = result_document(fr, "offline");
	test_result(n == 2 && fdoc && !strcmp(str(json_object_get(fdoc, "experiment"), "status"), "failed") &&
		    json_is_string(json_object_get(json_array_get(json_object_get(fdoc, "runs"), 1), "reason")),
		    "a failed run fails the experiment, with its reason", "n %d", n);
	strip(fdoc);
	strip(foff);
	where[0] = '\0';
	if (fdoc && foff)
		first_diff(fdoc, foff, where, sizeof(where));
	test_result(fdoc && foff && json_equal(fdoc, foff),
		    "a failed experiment's document equals the offline one", "documents differ at %s", where);

	/* The experiment object is the same in the document, alone and in lists. */
	json_decref(doc);
	doc = doc_of(st, id);
	alone = store_experiment_doc(st, id, 0, &rc);
	list = store_list_experiments(st, &q, &rc);
	test_result(alone && list && json_equal(alone, json_object_get(doc, "experiment")) &&
		    json_equal(alone, json_array_get(json_object_get(list, "experiments"), 1)),
		    "the experiment object is one shape everywhere", "differs");
	{
		struct run_job job;
		int64_t *running = NULL;
		size_t nrun = 0;

		test_result(store_claim_next(st, &job) == 0, "nothing left to claim", "claimed");
		test_result(store_finish_run(st, 1, "done", NULL, NULL, NULL) == 0 &&
			    sql_int(db, "SELECT runs_done FROM experiments WHERE id = 1") == 4,
			    "a result delivered twice is counted once", "runs_done %lld",
			    (long long)sql_int(db, "SELECT runs_done FROM experiments WHERE id = 1"));
		test_result(store_finish_run(st, 1, "failed", "late", NULL, NULL) == STORE_CONFLICT,
			    "a different second result is a conflict", "accepted");
		test_result(store_finish_run(st, 9999, "done", NULL, NULL, NULL) == STORE_NOT_FOUND,
			    "finishing an unknown run: not found", "other");
		test_result(store_cancel_experiment(st, id, &running, &nrun) == STORE_CONFLICT,
			    "cancelling a done experiment is a conflict", "other");
		free(running);
	}
out:
	json_decref(doc);
	json_decref(off);
	json_decref(fdoc);
	json_decref(foff);
	json_decref(alone);
	json_decref(list);
	results_free(r);
	results_free(fr);
	spec_free(sp);
	spec_free(fsp);
	store_close(st);
}

static struct metrics *make_metrics(double base, int with_null)
{
	struct metrics *m = metrics_new();

	metrics_set(m, "dma.transactions", base);
	metrics_set(m, "dma.throughput_bps", base / 3);
	if (with_null)
		metrics_set_null(m, "pmcg.cycles");
	return m;
}

static void test_recover(void)
{
	char db[512], err[256], id[32];
	struct store *st;
	struct run_job a = {0}, b = {0};
	struct sample smp[3];
	int requeued = -1, again = -1, n;
	json_t *samples = NULL, *doc = NULL;
	int rc;

	path_in(db, sizeof(db), "rec.db");
	st = store_open(db, err, sizeof(err));
	if (!st || create(st, spec_small, id, sizeof(id))) {
		test_result(0, "recovery", "setup: %s", err);
		store_close(st);
		return;
	}
	store_claim_next(st, &a);
	store_claim_next(st, &b);
	for (int i = 0; i < 3; i++) {
		smp[i].t_ns = (uint64_t)i * 1000;
		smp[i].m = make_metrics(i, 1);
	}
	rc = store_add_samples(st, a.run_id, smp, 3);
	test_result(rc == 0 && sql_int(db, "SELECT COUNT(*) FROM sample_points") == 3 &&
		    sql_int(db, "SELECT SUM(length(vals)) FROM sample_points") == 3 * 3 * 8,
		    "samples of a running run are stored, one row per time point", "rc %d", rc);
	store_finish_run(st, b.run_id, "done", NULL, smp[0].m, NULL);
	/* The daemon stops with run a running. */
	store_close(st);
	st = store_open(db, err, sizeof(err));
	rc = st ? store_recover(st, &requeued) : -1;
	test_result(rc == 0 && requeued == 1, "recovery re-queues the one running run",
		    "rc %d, requeued %d", rc, requeued);
	test_result(sql_int(db, "SELECT COUNT(*) FROM sample_points") == 0 &&
		    sql_int(db, "SELECT attempts FROM runs WHERE status = 'queued' AND reason ="
			    " 'daemon stopped while the run was running'") == 1,
		    "its partial samples are dropped, attempts kept, the reason stored", "samples %lld",
		    (long long)sql_int(db, "SELECT COUNT(*) FROM sample_points"));
	samples = store_run_samples(st, a.run_pub, 0, 0, &rc);
	test_result(samples && json_array_size(json_object_get(samples, "samples")) == 0,
		    "the API shows no samples for it", "rc %d", rc);
	rc = store_recover(st, &again);
	test_result(rc == 0 && again == 0, "a second recovery re-queues nothing", "requeued %d", again);
	doc = doc_of(st, id);
	test_result(doc && !strcmp(str(json_object_get(doc, "experiment"), "status"), "running"),
		    "an experiment with a run done and others queued is running", "%s",
		    doc ? str(json_object_get(doc, "experiment"), "status") : "none");
	n = drain(st, NULL);
	test_result(n == 2 && sql_int(db, "SELECT COUNT(*) FROM runs WHERE status = 'done'") == 3 &&
		    sql_int(db, "SELECT SUM(attempts) FROM runs") == 4 &&
		    sql_int(db, "SELECT status = 'done' FROM experiments") == 1,
		    "every run ran once more at most: none lost, none duplicated",
		    "drained %d, attempts %lld", n, (long long)sql_int(db, "SELECT SUM(attempts) FROM runs"));
	for (int i = 0; i < 3; i++)
		metrics_free(smp[i].m);
	json_decref(samples);
	json_decref(doc);
	run_job_free(&a);
	run_job_free(&b);
	store_close(st);
}

static void test_cancel(void)
{
	char db[512], err[256], id[32], id2[32];
	struct store *st;
	struct run_job a = {0}, more = {0};
	int64_t *running = NULL;
	size_t n = 0;
	int rc, got;
	json_t *doc = NULL;

	path_in(db, sizeof(db), "cancel.db");
	st = store_open(db, err, sizeof(err));
	if (!st || create(st, spec_small, id, sizeof(id)) || create(st, spec_small, id2, sizeof(id2))) {
		test_result(0, "cancel", "setup: %s", err);
		store_close(st);
		return;
	}
	store_claim_next(st, &a);
	rc = store_cancel_experiment(st, id, &running, &n);
	test_result(rc == 0 && n == 1 && running[0] == a.run_id,
		    "cancel returns the running run for the scheduler to kill", "rc %d, n %zu", rc, n);
	got = store_claim_next(st, &more);
	test_result(got == 1 && !strcmp(more.exp_pub, id2),
		    "a cancelled experiment's queued runs are not claimed", "claimed %s", more.run_pub);
	store_finish_run(st, a.run_id, "cancelled", "killed: experiment cancelled", NULL, NULL);
	doc = doc_of(st, id);
	test_result(doc && !strcmp(str(json_object_get(doc, "experiment"), "status"), "cancelled") &&
		    !strcmp(str(json_array_get(json_object_get(doc, "runs"), 2), "status"), "cancelled") &&
		    json_is_string(json_object_get(json_object_get(doc, "experiment"), "finished_at")),
		    "the experiment and its runs show cancelled", "status %s",
		    doc ? str(json_object_get(doc, "experiment"), "status") : "none");
	free(running);
	running = NULL;
	test_result(store_cancel_experiment(st, id, &running, &n) == 0 && n == 0,
		    "cancelling again is harmless", "n %zu", n);
	free(running);
	test_result(store_cancel_experiment(st, "e99", &running, &n) == STORE_NOT_FOUND &&
		    store_cancel_experiment(st, "x1", &running, &n) == STORE_NOT_FOUND,
		    "cancelling an unknown id: not found", "other");
	json_decref(doc);
	run_job_free(&a);
	run_job_free(&more);
	store_close(st);
}

static void test_lists(void)
{
	static const char *const specs[] = {
		"{\"workload\": \"rw-reuse\", \"label\": \"a\", \"params\": {\"duration_us\": 50}}",
		"{\"workload\": \"rw-reuse\", \"label\": \"b\", \"params\": {\"duration_us\": 50}}",
		"{\"workload\": \"rw-reuse\", \"label\": \"a\", \"params\": {\"duration_us\": 50}}",
		"{\"workload\": \"rw-reuse\", \"label\": \"a\", \"params\": {\"duration_us\": 50}}",
		"{\"workload\": \"rw-reuse\", \"label\": \"b\", \"params\": {\"duration_us\": 50}}",
	};
	char db[512], err[256], id[32], seen[256] = "";
	struct list_query q = {.limit = 2};
	struct store *st;
	json_t *page = NULL, *v;
	int pages = 0, rc = 0;
	size_t i;

	path_in(db, sizeof(db), "list.db");
	st = store_open(db, err, sizeof(err));
	for (size_t k = 0; st && k < 5; k++)
		create(st, specs[k], id, sizeof(id));
	if (!st)
		return;
	do {
		const char *next;

		json_decref(page);
		page = store_list_experiments(st, &q, &rc);
		next = json_string_value(json_object_get(page, "next_cursor"));
		json_array_foreach(json_object_get(page, "experiments"), i, v) {
			strcat(seen, str(v, "id"));
			strcat(seen, " ");
		}
		q.cursor = next ? strtoll(next, NULL, 10) : 0;
		pages++;
	} while (page && q.cursor && pages < 10);
	test_result(!strcmp(seen, "e5 e4 e3 e2 e1 ") && pages == 3 &&
		    json_is_null(json_object_get(page, "next_cursor")),
		    "pages of 2, newest first, the last with a null cursor", "%s(%d pages)", seen, pages);
	json_decref(page);
	q = (struct list_query){.label = "a", .limit = 10};
	page = store_list_experiments(st, &q, &rc);
	seen[0] = 0;
	json_array_foreach(json_object_get(page, "experiments"), i, v) {
		strcat(seen, str(v, "id"));
		strcat(seen, " ");
	}
	test_result(!strcmp(seen, "e4 e3 e1 "), "filter by label", "%s", seen);
	json_decref(page);
	q = (struct list_query){.label = "b", .status = "queued", .workload = "rw-reuse",
				.target = "sim", .limit = 1};
	page = store_list_experiments(st, &q, &rc);
	test_result(json_array_size(json_object_get(page, "experiments")) == 1 &&
		    !strcmp(str(json_array_get(json_object_get(page, "experiments"), 0), "id"), "e5") &&
		    !strcmp(str(page, "next_cursor"), "5"),
		    "filters combine; the cursor continues below the last id", "%s",
		    str(page, "next_cursor"));
	json_decref(page);
	q = (struct list_query){.status = "done"};
	page = store_list_experiments(st, &q, &rc);
	test_result(page && json_array_size(json_object_get(page, "experiments")) == 0,
		    "no experiment done yet", "rc %d", rc);
	json_decref(page);

	/* Runs of one experiment, paged by run number. */
	create(st, spec_small, id, sizeof(id));
	page = store_list_runs(st, id, 2, 0, &rc);
	test_result(page && json_array_size(json_object_get(page, "runs")) == 2 &&
		    !strcmp(str(page, "next_cursor"), "3") &&
		    json_integer_value(json_object_get(json_array_get(json_object_get(page, "runs"), 0),
						       "attempts")) == 0,
		    "runs page of 2, next from r3", "%s", str(page, "next_cursor"));
	json_decref(page);
	page = store_list_runs(st, id, 2, 3, &rc);
	test_result(page && json_array_size(json_object_get(page, "runs")) == 1 &&
		    !strcmp(str(json_array_get(json_object_get(page, "runs"), 0), "id"), "e6-r3") &&
		    json_is_null(json_object_get(page, "next_cursor")),
		    "the last runs page", "rc %d", rc);
	json_decref(page);
	page = store_list_runs(st, "e77", 2, 0, &rc);
	test_result(!page && rc == STORE_NOT_FOUND, "runs of an unknown experiment: not found", "rc %d", rc);
	store_close(st);
}

static void test_samples_stats(void)
{
	char db[512], err[256], id[32];
	struct store *st;
	struct run_job job = {0};
	struct sample smp[3];
	struct store_stats ss;
	json_t *page = NULL, *first;
	int rc;

	path_in(db, sizeof(db), "samples.db");
	st = store_open(db, err, sizeof(err));
	if (!st || create(st, spec_small, id, sizeof(id)) || store_claim_next(st, &job) != 1) {
		test_result(0, "samples", "setup: %s", err);
		store_close(st);
		return;
	}
	for (int i = 0; i < 3; i++) {
		smp[i].t_ns = 1000u * (uint64_t)(i + 1);
		smp[i].m = make_metrics(10 * i + 1.5, i == 1);
	}
	metrics_set(smp[2].m, "dma.latency_ns.p99", NAN);
	rc = store_add_samples(st, job.run_id, smp, 3);
	page = store_run_samples(st, job.run_pub, 2, 0, &rc);
	first = json_object_get(json_array_get(json_object_get(page, "samples"), 0), "metrics");
	test_result(page && json_array_size(json_object_get(page, "samples")) == 2 &&
		    json_integer_value(json_object_get(json_array_get(json_object_get(page, "samples"), 1),
						       "t_ns")) == 2000 &&
		    json_real_value(json_object_get(first, "dma.throughput_bps")) == 1.5 / 3 &&
		    json_real_value(json_object_get(first, "dma.transactions")) == 1.5 &&
		    json_object_size(first) == 2 && !strcmp(str(page, "next_cursor"), "3000") &&
		    !strcmp(str(page, "run"), job.run_pub),
		    "samples round trip, grouped by time, paged", "rc %d", rc);
	json_decref(page);
	page = store_run_samples(st, job.run_pub, 2, 3000, &rc);
	first = json_object_get(json_array_get(json_object_get(page, "samples"), 0), "metrics");
	test_result(page && json_array_size(json_object_get(page, "samples")) == 1 &&
		    json_is_null(json_object_get(first, "dma.latency_ns.p99")) &&
		    json_is_null(json_object_get(page, "next_cursor")),
		    "a NaN sample value reads back as null; the last page", "rc %d", rc);
	json_decref(page);
	/* A name first seen after this thread's last read. */
	metrics_set(smp[2].m, "notifier.calls", 7);
	smp[2].t_ns = 4000;
	rc = store_add_samples(st, job.run_id, &smp[2], 1);
	page = store_run_samples(st, job.run_pub, 1, 4000, &rc);
	first = json_object_get(json_array_get(json_object_get(page, "samples"), 0), "metrics");
	test_result(json_integer_value(json_object_get(first, "notifier.calls")) == 7,
		    "a metric named after the reader's last look reads back", "rc %d: %s", rc,
		    store_error(st));
	json_decref(page);
	page = store_run_samples(st, "e1-r9", 2, 0, &rc);
	test_result(!page && rc == STORE_NOT_FOUND, "samples of an unknown run: not found", "rc %d", rc);
	test_result(store_add_samples(st, 12345, smp, 1) == STORE_NOT_FOUND,
		    "samples for an unknown run: not found", "other");
	store_finish_run(st, job.run_id, "failed", NULL, smp[0].m, NULL);
	rc = store_stats(st, &ss);
	test_result(rc == 0 && ss.experiments == 1 && ss.runs_by_status[0] == 2 &&
		    ss.runs_by_status[1] == 0 && ss.runs_by_status[3] == 1 && ss.samples == 4 &&
		    ss.file_bytes > 0,
		    "stats count experiments, runs by status, samples, bytes",
		    "rc %d exp %lld queued %lld failed %lld samples %lld", rc, (long long)ss.experiments,
		    (long long)ss.runs_by_status[0], (long long)ss.runs_by_status[3],
		    (long long)ss.samples);
	for (int i = 0; i < 3; i++)
		metrics_free(smp[i].m);
	run_job_free(&job);
	store_close(st);
}

static void test_import(void)
{
	char db[512], err[256], id[32], iid[32], ierr[256] = "";
	struct store *st;
	struct spec *sp = parse(spec_small);
	struct results *r = sp ? results_new(sp) : NULL;
	json_t *doc = NULL, *back = NULL, *off = NULL, *back2 = NULL;
	int rc;

	path_in(db, sizeof(db), "import.db");
	st = store_open(db, err, sizeof(err));
	if (!st || !r || create(st, spec_small, id, sizeof(id)) || drain(st, r) != 3) {
		test_result(0, "import", "setup: %s", err);
		goto out;
	}
	doc = doc_of(st, id);
	rc = store_import_experiment(st, doc, iid, sizeof(iid), ierr, sizeof(ierr));
	back = doc_of(st, iid);
	test_result(rc == 0 && back && !strcmp(str(json_object_get(back, "experiment"), "imported_from"), id),
		    "an exported document imports under a new id", "rc %d: %s", rc, ierr);
	strip(doc);
	strip(back);
	test_result(back && json_equal(doc, back), "the import has the same runs and metrics",
		    "differs");
	off = result_document(r, "offline");
	rc = store_import_experiment(st, off, iid, sizeof(iid), ierr, sizeof(ierr));
	back2 = doc_of(st, iid);
	strip(off);
	strip(back2);
	test_result(rc == 0 && back2 && json_equal(off, back2), "an offline document imports too",
		    "rc %d: %s", rc, ierr);
	json_object_set_new(json_array_get(json_object_get(off, "runs"), 1), "seed", json_integer(7));
	rc = store_import_experiment(st, off, iid, sizeof(iid), ierr, sizeof(ierr));
	test_result(rc == -1 && strstr(ierr, "runs[1]"), "a run that does not fit the plan is refused",
		    "rc %d: %s", rc, ierr);
	json_array_remove(json_object_get(off, "runs"), 0);
	rc = store_import_experiment(st, off, iid, sizeof(iid), ierr, sizeof(ierr));
	test_result(rc == -1 && strstr(ierr, "runs"), "a missing run is refused", "rc %d: %s", rc, ierr);
out:
	json_decref(doc);
	json_decref(back);
	json_decref(off);
	json_decref(back2);
	results_free(r);
	spec_free(sp);
	store_close(st);
}

static void test_doc_text(void)
{
	char db[512], err[256], id[32];
	struct store *st;
	struct run_job job = {0};
	char *a = NULL, *b = NULL, *c = NULL;
	size_t la = 0, lb = 0, lc = 0;
	int rc = 0;
	json_t *parsed = NULL;

	path_in(db, sizeof(db), "text.db");
	st = store_open(db, err, sizeof(err));
	if (!st || create(st, spec_small, id, sizeof(id))) {
		test_result(0, "document text", "setup: %s", err);
		store_close(st);
		return;
	}
	a = store_experiment_doc_text(st, id, 1, &rc, &la);
	b = store_experiment_doc_text(st, id, 1, &rc, &lb);
	test_result(a && b && la == lb && !memcmp(a, b, la) && strlen(a) == la,
		    "the same text twice (the second from the cache)", "rc %d", rc);
	if (store_claim_next(st, &job) == 1)
		run_job(st, &job, NULL);
	c = store_experiment_doc_text(st, id, 1, &rc, &lc);
	parsed = c ? json_loads(c, 0, NULL) : NULL;
	test_result(parsed && json_integer_value(json_object_get(json_object_get(parsed, "experiment"),
								  "runs_done")) == 1,
		    "a change shows at once (no stale cache)", "rc %d", rc);
	free(a);
	a = store_experiment_doc_text(st, "e42", 1, &rc, &la);
	test_result(!a && rc == STORE_NOT_FOUND, "text of an unknown experiment: not found", "rc %d", rc);
	free(a);
	free(b);
	free(c);
	json_decref(parsed);
	run_job_free(&job);
	store_close(st);
}

/* Readers on other threads while the writer writes; their connections are
 * closed as the threads end (LeakSanitizer checks). */
struct reader_arg {
	struct store *st;
	const char *id;
	int failures;
};

static void *reader_thread(void *p)
{
	struct reader_arg *ra = p;
	int rc;

	for (int i = 0; i < 20; i++) {
		json_t *doc = store_experiment_doc(ra->st, ra->id, 1, &rc);
		struct store_stats ss;

		if (!doc || store_stats(ra->st, &ss))
			ra->failures++;
		json_decref(doc);
	}
	return NULL;
}

static void test_threads(void)
{
	char db[512], err[256], id[32];
	struct store *st;
	pthread_t th[3];
	struct reader_arg ra[3];
	int n, failures = 0;

	path_in(db, sizeof(db), "threads.db");
	st = store_open(db, err, sizeof(err));
	if (!st || create(st, spec_small, id, sizeof(id))) {
		test_result(0, "threads", "setup: %s", err);
		store_close(st);
		return;
	}
	for (int k = 0; k < 3; k++) {
		ra[k] = (struct reader_arg){st, id, 0};
		pthread_create(&th[k], NULL, reader_thread, &ra[k]);
	}
	n = drain(st, NULL);
	for (int k = 0; k < 3; k++) {
		pthread_join(th[k], NULL);
		failures += ra[k].failures;
	}
	test_result(n == 3 && failures == 0, "reads on three threads while the writer writes",
		    "%d failures", failures);
	store_close(st);
}

/* ---- a full disk ---- */

static int fill(const char *path)
{
	static char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	memset(block, 0x5a, sizeof(block));
	while ((w = write(fd, block, sizeof(block))) > 0)
		;
	while ((w = write(fd, block, 512)) > 0)
		;
	close(fd);
	return 0;
}

static void test_full_disk(void)
{
	char mnt[512], db[600], filler[600], err[256], id[32], sql[128];
	struct store *st = NULL;
	struct run_job job = {0};
	struct sample smp[200];
	int rc = 0, tries = 0, mounted = 0;
	json_t *page, *late;

	path_in(mnt, sizeof(mnt), "full");
	snprintf(db, sizeof(db), "%s/svabench.db", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	if (mkdir(mnt, 0700) || mount("tmpfs", mnt, "tmpfs", 0, "size=2m")) {
		test_skip("full disk", "cannot mount a small tmpfs here (needs root)");
		return;
	}
	mounted = 1;
	for (size_t i = 0; i < 200; i++) {
		smp[i].t_ns = i;
		smp[i].m = metrics_new();
		for (int k = 0; k < 80; k++) {
			char name[32];

			snprintf(name, sizeof(name), "perf.event_%d", k);
			metrics_set(smp[i].m, name, (double)i * 1e6 + k + 0.25);
		}
	}
	st = store_open(db, err, sizeof(err));
	if (!st || create(st, spec_small, id, sizeof(id)) || store_claim_next(st, &job) != 1) {
		test_result(0, "full disk", "setup: %s", st ? store_error(st) : err);
		goto out;
	}
	fill(filler);
	/* New names too: the ids the failed transaction handed out must go. */
	for (size_t i = 0; i < 200; i++)
		for (int k = 0; k < 80; k++)
			snprintf(smp[i].m->v[k].name, METRIC_NAME_MAX, "perf.late_%d", k);
	/* Each try adds new times; one of them meets the full disk. */
	do {
		for (size_t i = 0; i < 200; i++)
			smp[i].t_ns += 1000;
		rc = store_add_samples(st, job.run_id, smp, 200);
	} while (rc == 0 && ++tries < 50);
	test_result(rc == STORE_FULL, "a write on a full disk fails with STORE_FULL",
		    "rc %d after %d tries: %s", rc, tries, store_error(st));
	test_result(integrity_ok(db), "the database is intact (integrity_check ok)", "not ok");
	unlink(filler);
	rc = store_add_samples(st, job.run_id, smp, 200);
	snprintf(sql, sizeof(sql), "SELECT length(q.metrics) / 4 FROM sample_points p"
		 " JOIN sample_sets q ON q.id = p.sset WHERE p.t_ns = %llu",
		 (unsigned long long)smp[199].t_ns);
	test_result(rc == 0 && sql_int(db, sql) == 80,
		    "the same write succeeds once space is freed", "rc %d: %s", rc, store_error(st));
	page = store_run_samples(st, job.run_pub, 1, (int64_t)smp[0].t_ns, &rc);
	late = json_object_get(json_array_get(json_object_get(page, "samples"), 0), "metrics");
	test_result(json_object_size(late) == 80 &&
		    json_real_value(json_object_get(late, "perf.late_79")) == smp[0].m->v[79].value,
		    "its samples read back under their new names", "rc %d: %s", rc, store_error(st));
	json_decref(page);
	test_result(store_finish_run(st, job.run_id, "done", NULL, smp[0].m, NULL) == 0 &&
		    integrity_ok(db), "and the store goes on", "%s", store_error(st));
out:
	store_close(st);
	for (size_t i = 0; i < 200; i++)
		metrics_free(smp[i].m);
	run_job_free(&job);
	if (mounted)
		umount2(mnt, MNT_DETACH);
}

/* ---- a schema-3 store (one samples row per value) upgrades in place ---- */

static const char *const old_schema[] = {
	"schema/001_init.sql", "schema/002_history.sql", "schema/003_regressions.sql",
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1))) {
		buf[fread(buf, 1, (size_t)n, f)] = 0;
	}
	fclose(f);
	return buf;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t len)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, len, "%.200s: %s", sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/*
 * An old store: one experiment with two runs. Run 1 has three times; at
 * t=2000 a second set of metrics (a collector's) shares the time, and one
 * value is NULL. Run 2 has 2,500 times of 3 metrics (more than a page).
 */
static int make_old(const char *path, char *err, size_t len)
{
	static const char rows[] =
		"INSERT INTO experiments (id, spec, target, workload, preset, host, svabench_version,"
		" status, runs_total, runs_done, created_at) VALUES (1, '{\"workload\": \"rw-reuse\","
		" \"strategies\": [\"none\"], \"repetitions\": 2}', 'sim', 'rw-reuse', '{}', '{}',"
		" 'old', 'done', 2, 2, 1);"
		"INSERT INTO runs (id, experiment, idx, cell, strategy, repetition, seed, status,"
		" samples, queued_at) VALUES (1, 1, 0, '{}', 'none', 0, 1, 'done', 3, 1),"
		" (2, 1, 1, '{}', 'none', 1, 2, 'done', 2500, 1);"
		"INSERT INTO metric_names (id, name) VALUES (1, 'dma.transactions'),"
		" (2, 'dma.throughput_bps'), (3, 'pmcg.cycles'), (4, 'perf.cycles');"
		"INSERT INTO samples (run, t_ns, metric, value) VALUES"
		" (1, 1000, 1, 10), (1, 1000, 2, 2.5), (1, 1000, 3, NULL),"
		" (1, 2000, 1, 11), (1, 2000, 2, 3.25), (1, 2000, 4, 123456789),"
		" (1, 3000, 2, -0.5);"
		"INSERT INTO metrics (run, pos, metric, value) VALUES (1, 0, 2, 7.5), (1, 1, 1, 3),"
		" (1, 2, 3, NULL), (2, 0, 1, 4);"
		"WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 2500)"
		" INSERT INTO samples (run, t_ns, metric, value)"
		" SELECT 2, n * 50000, m, n * 10 + m FROM i, (SELECT 1 AS m UNION ALL SELECT 2"
		" UNION ALL SELECT 3);"
		"PRAGMA user_version = 3;";
	sqlite3 *db = NULL;
	int rc = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, len, "%.200s: %.200s", path, sqlite3_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < sizeof(old_schema) / sizeof(old_schema[0]); i++) {
		char *sql = slurp(old_schema[i]);

		if (!sql) {
			snprintf(err, len, "%s: %s", old_schema[i], strerror(errno));
			goto out;
		}
		rc = exec(db, sql, err, len);
		free(sql);
		if (rc)
			goto out;
	}
	rc = exec(db, rows, err, len);
out:
	sqlite3_close(db);
	return rc;
}

static const char *dumped(json_t *v)
{
	static char buf[4096];
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;

	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	return buf;
}

static void test_migrate_v3(void)
{
	char db[512], err[512] = "";
	struct store *st = NULL;
	json_t *page = NULL, *want = NULL, *last;
	int rc = 0, pages = 0, ok = 1;
	int64_t cursor = 0, seen = 0;

	path_in(db, sizeof(db), "old.db");
	if (make_old(db, err, sizeof(err))) {
		test_result(0, "a schema-3 store", "%s", err);
		goto out;
	}
	st = store_open(db, err, sizeof(err));
	test_result(st != NULL && sql_int(db, "PRAGMA user_version") >= 4,
		    "a schema-3 store opens and is migrated", "%s", err);
	if (!st)
		goto out;
	test_result(sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
			    " ('samples', 'metrics')") == 0 &&
		    sql_int(db, "SELECT COUNT(*) FROM run_metrics") == 2 &&
		    sql_int(db, "SELECT COUNT(*) FROM sample_points") == 3 + 2500 &&
		    sql_int(db, "SELECT COUNT(*) FROM sample_sets") == 3 + 2,
		    "its samples are one row per time point and set, final metrics one per run;"
		    " the old tables are dropped",
		    "points %lld sets %lld", (long long)sql_int(db, "SELECT COUNT(*) FROM sample_points"),
		    (long long)sql_int(db, "SELECT COUNT(*) FROM sample_sets"));
	page = store_run_samples(st, "e1-r1", 0, 0, &rc);
	want = json_loads("{\"samples\": [{\"t_ns\": 1000, \"metrics\": {\"dma.transactions\": 10,"
			  " \"dma.throughput_bps\": 2.5, \"pmcg.cycles\": null}},"
			  " {\"t_ns\": 2000, \"metrics\": {\"dma.transactions\": 11,"
			  " \"dma.throughput_bps\": 3.25, \"perf.cycles\": 123456789}},"
			  " {\"t_ns\": 3000, \"metrics\": {\"dma.throughput_bps\": -0.5}}],"
			  " \"next_cursor\": null, \"run\": \"e1-r1\"}", 0, NULL);
	test_result(page && want && json_equal(page, want),
		    "the samples read back as before: times, names, numbers, nulls", "rc %d: %s", rc,
		    dumped(page));
	json_decref(page);
	page = store_list_runs(st, "e1", 10, 0, &rc);
	json_decref(want);
	want = json_loads("[{\"dma.throughput_bps\": 7.5, \"dma.transactions\": 3,"
			  " \"pmcg.cycles\": null}, {\"dma.transactions\": 4}]", 0, NULL);
	{
		json_t *runs = json_object_get(page, "runs"), *got = json_array();

		for (size_t i = 0; i < json_array_size(runs); i++)
			json_array_append(got, json_object_get(json_array_get(runs, i), "metrics"));
		test_result(want && json_equal(got, want),
			    "final metrics read back as before: names, numbers, nulls, per run",
			    "rc %d: %s", rc, dumped(got));
		json_decref(got);
	}
	json_decref(page);
	/* A second set at the same time: stored apart, served as one point. */
	{
		struct metrics *m = metrics_new();
		struct sample smp = {2000, m};

		metrics_set(m, "notifier.calls", 7);
		metrics_set_null(m, "pmcg.stalls");
		rc = store_add_samples(st, 1, &smp, 1);
		metrics_free(m);
	}
	page = store_run_samples(st, "e1-r1", 1, 2000, &rc);
	last = json_object_get(json_array_get(json_object_get(page, "samples"), 0), "metrics");
	test_result(json_object_size(last) == 5 &&
		    json_integer_value(json_object_get(last, "notifier.calls")) == 7 &&
		    json_is_null(json_object_get(last, "pmcg.stalls")) &&
		    json_real_value(json_object_get(last, "dma.throughput_bps")) == 3.25 &&
		    json_string_value(json_object_get(page, "next_cursor")) &&
		    !strcmp(json_string_value(json_object_get(page, "next_cursor")), "3000"),
		    "a new set of metrics at a migrated time merges into that point",
		    "rc %d: %s", rc, dumped(page));
	json_decref(page);
	/* The long run, page by page. */
	do {
		page = store_run_samples(st, "e1-r2", 1000, cursor, &rc);
		json_t *items = json_object_get(page, "samples"), *one;
		size_t i;

		pages++;
		json_array_foreach(items, i, one) {
			json_t *m = json_object_get(one, "metrics");
			int64_t n = json_integer_value(json_object_get(one, "t_ns")) / 50000;

			seen++;
			if (n != seen || json_object_size(m) != 3 ||
			    json_integer_value(json_object_get(m, "pmcg.cycles")) != n * 10 + 3)
				ok = 0;
		}
		cursor = json_is_string(json_object_get(page, "next_cursor"))
			? strtoll(json_string_value(json_object_get(page, "next_cursor")), NULL, 10) : -1;
		json_decref(page);
	} while (page && cursor > 0 && pages < 10);
	test_result(ok && rc == 0 && seen == 2500 && pages == 3,
		    "2,500 migrated times page back in order (3 pages of 1000)",
		    "rc %d: %lld times in %d pages", rc, (long long)seen, pages);
	store_close(st);
	st = store_open(db, err, sizeof(err));
	test_result(st && sql_int(db, "SELECT COUNT(*) FROM sample_points") == 3 + 2500 + 1,
		    "reopening migrates nothing again", "%s", err);
	store_close(st);
	st = NULL;
	test_result(integrity_ok(db), "integrity_check ok after the migration", "not ok");
out:
	json_decref(want);
	store_close(st);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/svabench-store-XXXXXX");
	if (!mkdtemp(dir)) {
		test_result(0, "temporary directory", "%s", strerror(errno));
		return test_exit();
	}
	test_migrations();
	test_lifecycle();
	test_recover();
	test_cancel();
	test_lists();
	test_samples_stats();
	test_import();
	test_doc_text();
	test_threads();
	test_full_disk();
	test_migrate_v3();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return test_exit();
}
