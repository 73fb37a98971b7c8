/*
 * history_config.c - the configuration an experiment's history series
 * belong to (schema/003_regressions.sql): target, workload, preset (name
 * and a hash of its values) and every fixed parameter the spec sets away
 * from what the preset and workload would use anyway. The cell, strategy
 * and metric complete a series' key. Computed when an experiment is
 * created or imported (in its transaction) and, for stores of older
 * schemas, at start-up.
 *
 * A parameter the spec sets to the value it would have anyway is left out,
 * so `"ats": false` and no `ats` (default false) are one configuration; a
 * swept parameter is part of the cell, not of the configuration. A spec's
 * kernel.config is part of it too ("kernel_config"); the kernel's version
 * and commit are not: they are what a history follows. The kernel under
 * test (experiments.kernel) is set here as well.
 */
#include "history_impl.h"
#include "../lib/util.h"
#include "plot.h"
#include "store_impl.h"
#include "../lib/logger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parameter's value as the spec writes it: true/false, a choice, a number. */
static json_t *param_json(const struct param_def *d, double v)
{
	switch (d->type) {
	case PARAM_BOOL:
		return json_boolean(v != 0);
	case PARAM_ENUM: {
		size_t n = 0;

		while (d->choices && d->choices[n])
			n++;
		if (v >= 0 && (size_t)v < n)
			return json_string(d->choices[(size_t)v]);
		return json_real(v);
	}
	case PARAM_INT:
		return json_integer((json_int_t)v);
	case PARAM_REAL:
	default:
		return store_number_json(v);
	}
}

/* First 16 hex digits of the SHA-256 of text. */
static void short_hash(const char *text, char out[17])
{
	char hex[65];

	plot_sha256_hex(text, strlen(text), hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

/* {"name", "hash"} of a preset document ({"name", "values": {P: {"value"}}}). */
static json_t *preset_key(const json_t *preset)
{
	json_t *vals = json_object(), *v;
	const char *name = json_string_value(json_object_get(preset, "name")), *k;
	char *text, hash[17];

	if (!vals)
		return NULL;
	json_object_foreach(json_object_get(preset, "values"), k, v) {
		json_t *value = json_is_object(v) ? json_object_get(v, "value") : v;

		if (json_object_set(vals, k, value ? value : json_null())) {
			json_decref(vals);
			return NULL;
		}
	}
	text = json_dumps(vals, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(vals);
	if (!text)
		return NULL;
	short_hash(text, hash);
	free(text);
	return json_pack("{s:s?, s:s}", "name", name, "hash", hash);
}

char *history_config_text(const struct spec *sp, const json_t *preset, char id[17])
{
	const struct target *t = sp->target;
	json_t *cfg, *params = json_object(), *pk = preset_key(preset), *kconfig;
	double *base = calloc(t->nparams ? t->nparams : 1, sizeof(*base));
	char *text = NULL;
	int bad = !params || !pk || !base;

	if (!bad)
		target_resolve_defaults(t, sp->workload, sp->preset, base);
	for (size_t i = 0; !bad && sp->ncells && i < t->nparams; i++) {
		const struct param_def *d = &t->params[i];
		double v = sp->cell_params[i];

		if (json_object_get(sp->cells[0], d->name) || v == base[i])
			continue;
		if (json_object_set_new(params, d->name, param_json(d, v)))
			bad = 1;
	}
	free(base);
	if (bad) {
		json_decref(params);
		json_decref(pk);
		return NULL;
	}
	cfg = json_pack("{s:s, s:s, s:o, s:o}", "target", t->name, "workload",
			t->workloads[sp->workload].name, "preset", pk, "params", params);
	/* a kernel config is a configuration of its own (LKP keys by kconfig) */
	kconfig = json_object_get(json_object_get(sp->doc, "kernel"), "config");
	if (cfg && kconfig && json_object_set(cfg, "kernel_config", kconfig)) {
		json_decref(cfg);
		cfg = NULL;
	}
	if (cfg)
		text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(cfg);
	if (text)
		short_hash(text, id);
	return text;
}

static const char set_sql[] =
	"UPDATE experiments SET config = ?2, config_id = ?3, kernel = coalesce(?4, kernel)"
	" WHERE id = ?1";

/*
 * The kernel under test: the spec's "kernel", else for the targets that run
 * on a real kernel (host, qemu) the release the machine reported in the
 * experiment's host ({"version": uname -r}), else none. JSON text or NULL.
 */
static char *kernel_text(const struct spec *sp, const char *host_text)
{
	json_t *k = json_object_get(sp->doc, "kernel"), *host = NULL, *made = NULL;
	const char *release;
	char *text = NULL;

	if (!k && host_text && (!strcmp(sp->target->name, "host") ||
				!strcmp(sp->target->name, "qemu"))) {
		host = json_loads(host_text, JSON_DECODE_ANY, NULL);
		release = json_string_value(json_object_get(host, "kernel"));
		if (release)
			k = made = json_pack("{s:s}", "version", release);
	}
	if (k)
		text = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(made);
	json_decref(host);
	return text;
}

/* The writer is held (and a transaction open when the caller wants one). */
static int set_config(struct store *st, int64_t exp, const char *text, const char *id,
		      const char *kernel)
{
	sqlite3_stmt *s = NULL;
	int code = sqlite3_prepare_v2(st->w, set_sql, -1, &s, NULL), rc;

	if (code != SQLITE_OK)
		return store_sql_fail(st, st->w, code, 1, "prepare config");
	sqlite3_bind_int64(s, 1, exp);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	if (kernel)
		sqlite3_bind_text(s, 4, kernel, -1, SQLITE_STATIC);
	rc = store_wrun(st, s, "set config");
	sqlite3_finalize(s);
	return rc;
}

int history_config_set(struct store *st, int64_t exp, const struct spec *sp, const char *preset_text,
		       const char *host_text)
{
	json_t *preset = preset_text ? json_loads(preset_text, JSON_DECODE_ANY, NULL) : NULL;
	char id[17], *text = history_config_text(sp, preset, id), *kernel = kernel_text(sp, host_text);
	int rc;

	json_decref(preset);
	if (!text)
		rc = store_fail(st, STORE_ERR, "out of memory");
	else
		rc = set_config(st, exp, text, id, kernel);
	free(text);
	free(kernel);
	return rc;
}

struct pending {
	int64_t id;
	char *spec, *preset, *host;
};

/* Up to max rows lacking a configuration; *n of them. */
static int pending_rows(struct store *st, struct pending *p, size_t max, size_t *n)
{
	static const char sql[] =
		"SELECT id, spec, preset, host FROM experiments WHERE config_id IS NULL LIMIT ?1";
	sqlite3_stmt *s = NULL;
	int code, row, rc = 0;

	*n = 0;
	if ((code = sqlite3_prepare_v2(st->w, sql, -1, &s, NULL)) != SQLITE_OK)
		return store_sql_fail(st, st->w, code, 0, "prepare config backfill");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)max);
	while ((row = sqlite3_step(s)) == SQLITE_ROW && *n < max) {
		const char *spec = (const char *)sqlite3_column_text(s, 1);
		const char *preset = (const char *)sqlite3_column_text(s, 2);
		const char *host = (const char *)sqlite3_column_text(s, 3);

		p[*n].id = sqlite3_column_int64(s, 0);
		p[*n].spec = xstrdup(spec ? spec : "");
		p[*n].preset = preset ? xstrdup(preset) : NULL;
		p[*n].host = host ? xstrdup(host) : NULL;
		(*n)++;
	}
	if (!rc && row != SQLITE_ROW && row != SQLITE_DONE)
		rc = store_sql_fail(st, st->w, row, 0, "config backfill");
	sqlite3_finalize(s);
	return rc;
}

int history_config_backfill(struct store *st)
{
	enum { BATCH = 256 };
	struct pending p[BATCH];
	size_t n;
	int rc = 0, total = 0;

	store_wlock(st);
	do {
		rc = store_wbegin(st);
		if (!rc)
			rc = pending_rows(st, p, BATCH, &n);
		for (size_t i = 0; i < n; i++) {
			struct spec_error e;
			struct spec *sp = rc ? NULL : spec_parse(p[i].spec, strlen(p[i].spec), &e);

			if (!rc && sp) {
				rc = history_config_set(st, p[i].id, sp, p[i].preset, p[i].host);
			} else if (!rc) {
				/* A spec this svabenchd no longer accepts keeps a key of its
				 * own: out of every other history rather than in a wrong one. */
				char id[17];

				short_hash(p[i].spec, id);
				rc = set_config(st, p[i].id, "null", id, NULL);
			}
			spec_free(sp);
			free(p[i].spec);
			free(p[i].preset);
			free(p[i].host);
		}
		rc = store_wend(st, rc);
		total += (int)n;
	} while (!rc && n == BATCH);
	store_wunlock(st);
	if (!rc && total)
		log_info("%d experiment%s given a configuration key", total,
			 total == 1 ? "" : "s");
	return rc;
}
