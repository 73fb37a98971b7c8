/*
 * store_lava.c - the store's side of LAVA's notify callback (api_lava.c):
 * a job's documents imported all at once, or refused as a replay when a
 * document of the same job (host.lava.key) is stored already; the check
 * runs inside the import's write transaction, so two callbacks racing
 * cannot both import.
 */
#include "store_impl.h"

#include <stdio.h>

struct replay {
	const char *key, *job;
};

static int replay_guard(struct store *st, void *ctx, char *err, size_t elen)
{
	const struct replay *rp = ctx;
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(st->w, "SELECT id FROM experiments WHERE "
				"json_extract(host, '$.lava.key') = ?1 LIMIT 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_sql_fail(st, st->w, rc, 1, "LAVA replay check");
	sqlite3_bind_text(s, 1, rp->key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(err, elen, "LAVA job %s was imported already, as e%lld: a job's callback "
			 "is accepted once", rp->job, (long long)sqlite3_column_int64(s, 0));
		sqlite3_finalize(s);
		return STORE_CONFLICT;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_sql_fail(st, st->w, rc, 1, "LAVA replay check");
}

int store_lava_import(struct store *st, const json_t *docs, const char *key, const char *job,
		      int64_t *ids, char *err, size_t elen)
{
	struct replay rp = {.key = key, .job = job};

	return store_import_experiments(st, docs, replay_guard, &rp, ids, err, elen);
}
