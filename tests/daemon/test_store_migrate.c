/*
 * test_store_migrate.c - a store written by an older svabenchd (schema 3:
 * one samples row per run, time and metric) upgrades in place when opened:
 * its samples move to one row per time point (schema/004_packed_samples.sql)
 * and read back through the API's reader exactly as before - the same
 * times, names, numbers and nulls, two sets of metrics at one time merged,
 * pages and cursors - the old table is gone and integrity_check is ok.
 * Run from the repository root (it reads schema/00[1-3]_*.sql).
 */
#define _GNU_SOURCE
#include "../harness.h"
#include "../../daemon/daemon.h"

#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const old_schema[] = {
	"schema/001_init.sql", "schema/002_history.sql", "schema/003_regressions.sql",
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

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
		"WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 2500)"
		" INSERT INTO samples (run, t_ns, metric, value)"
		" SELECT 2, n * 50000, m, n * 10 + m FROM i, (SELECT 1 AS m UNION ALL SELECT 2"
		" UNION ALL SELECT 3);"
		"PRAGMA user_version = 3;";
	sqlite3 *db = NULL;
	int rc = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, len, "%s: %s", path, sqlite3_errmsg(db));
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

int main(void)
{
	char dir[] = "/tmp/svabench-migrate-XXXXXX", db[256], err[512] = "";
	struct store *st = NULL;
	json_t *page = NULL, *want = NULL, *last;
	int rc = 0, pages = 0, ok = 1;
	int64_t cursor = 0, seen = 0;

	if (!mkdtemp(dir)) {
		test_result(0, "temporary directory", "%s", strerror(errno));
		return test_exit();
	}
	snprintf(db, sizeof(db), "%s/old.db", dir);
	if (make_old(db, err, sizeof(err))) {
		test_result(0, "a schema-3 store", "%s", err);
		goto out;
	}
	st = store_open(db, err, sizeof(err));
	test_result(st != NULL && sql_int(db, "PRAGMA user_version") >= 4,
		    "a schema-3 store opens and is migrated", "%s", err);
	if (!st)
		goto out;
	test_result(sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'samples'") == 0 &&
		    sql_int(db, "SELECT COUNT(*) FROM sample_points") == 3 + 2500 &&
		    sql_int(db, "SELECT COUNT(*) FROM sample_sets") == 3,
		    "its samples are one row per time point and set; the old table is dropped",
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
	{
		sqlite3 *raw = NULL;
		sqlite3_stmt *s = NULL;
		int intact = 0;

		if (sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			intact = !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
		sqlite3_finalize(s);
		sqlite3_close(raw);
		test_result(intact, "integrity_check ok after the migration", "not ok");
	}
out:
	json_decref(want);
	store_close(st);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return test_exit();
}
