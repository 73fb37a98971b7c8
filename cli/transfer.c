/*
 * transfer.c - `svabench export ID [-o FILE] [--format json|csv|kcidb]`
 * and `svabench import FILE|-`: an experiment's result document out of one
 * svabenchd and into another (or the same), where it gets a new id and
 * nothing is re-run.
 *
 * json (default): the result document with every run's time series,
 * {"experiment", "runs", "samples": [{"run", "t_ns", "metrics"}]} (what
 * POST /api/v1/import takes back, streamed); --no-samples leaves them out;
 * gzip'd with --gzip or a FILE ending in .gz. csv: one row per run (id,
 * cell, strategy, repetition, seed, status, then every metric), or with
 * --table comparison one row per cell, metric and strategy of the
 * comparison (median, ratio, CI, p, verdict). kcidb: KCIDB v5 I/O data:
 * a checkout (the kernel under test), a build, and per run and metric a
 * test with status DONE and number {value, unit, prefix}, ids prefixed with
 * --origin (default svabench), paths dotted (svabench.WORKLOAD.STRATEGY.METRIC).
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static const char export_usage[] =
	"usage: svabench export ID [-o FILE] [--format json|csv|kcidb] [--no-samples] [--gzip]\n"
	"                          [--table runs|comparison] [--origin NAME] [--server URL] [--var DIR]\n";
static const char import_usage[] =
	"usage: svabench import FILE|- [--server URL] [--var DIR]\n";

/* Where the export goes: a file renamed into place when complete, or stdout;
 * gzip'd or not. */
struct out {
	const char *path;      /* NULL: stdout */
	char *tmp;
	FILE *f;
	gzFile gz;
	int failed;
};

static int out_open(struct out *o, const char *path, int gzip)
{
	memset(o, 0, sizeof(*o));
	o->path = path && strcmp(path, "-") ? path : NULL;
	if (o->path) {
		if (!(o->tmp = malloc(strlen(o->path) + 32)))
			return -1;
		sprintf(o->tmp, "%s.tmp%ld", o->path, (long)getpid());
		if (!(o->f = fopen(o->tmp, "wb"))) {
			cli_error("cannot create '%s': %s", o->tmp, strerror(errno));
			return -1;
		}
	} else {
		o->f = stdout;
	}
	if (gzip) {
		fflush(o->f);
		if (!(o->gz = gzdopen(dup(fileno(o->f)), "wb6"))) {
			cli_error("cannot start gzip output");
			return -1;
		}
	}
	return 0;
}

static void out_write(struct out *o, const char *buf, size_t len)
{
	if (o->failed || !len)
		return;
	if (o->gz ? gzwrite(o->gz, buf, (unsigned)len) != (int)len : fwrite(buf, 1, len, o->f) != len)
		o->failed = 1;
}

static void out_str(struct out *o, const char *s)
{
	out_write(o, s, strlen(s));
}

/* Closes o: 0 when everything was written (and renamed into place). */
static int out_close(struct out *o, int ok)
{
	int bad = o->failed || !ok;

	if (o->gz && gzclose(o->gz) != Z_OK)
		bad = 1;
	if (o->f == stdout) {
		if (fflush(stdout))
			bad = 1;
	} else if (o->f) {
		if (fclose(o->f))
			bad = 1;
		if (!bad && rename(o->tmp, o->path))
			bad = 1;
		if (bad)
			unlink(o->tmp);
	}
	if (bad && ok)
		cli_error("cannot write %s: %s", o->path ? o->path : "the document",
			  errno ? strerror(errno) : "write failed");
	free(o->tmp);
	return bad ? -1 : 0;
}

/* A JSON value's compact text into o. */
static void out_json(struct out *o, const json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!t) {
		o->failed = 1;
		return;
	}
	out_str(o, t);
	free(t);
}

struct export_opts {
	const char *out, *format, *table, *origin;
	int no_samples, gzip;
};

enum { EX_OUTPUT = CLI_OPT_ID, EX_FORMAT, EX_TABLE, EX_ORIGIN, EX_NO_SAMPLES, EX_GZIP };

/* -o FILE, --format F, --table T, --origin O, --no-samples, --gzip */
static const struct option export_options[] = {
	{"output", required_argument, NULL, EX_OUTPUT},
	{"format", required_argument, NULL, EX_FORMAT},
	{"table", required_argument, NULL, EX_TABLE},
	{"origin", required_argument, NULL, EX_ORIGIN},
	{"no-samples", no_argument, NULL, EX_NO_SAMPLES},
	{"gzip", no_argument, NULL, EX_GZIP},
	{0},
};

static int export_option(void *ctx, int id, const char *value)
{
	static const char *const names[] = {"--output", "--format", "--table", "--origin"};
	struct export_opts *e = ctx;
	const char **slot[] = {&e->out, &e->format, &e->table, &e->origin};

	if (id == EX_NO_SAMPLES) {
		e->no_samples = 1;
		return CLI_OPT_TAKEN;
	}
	if (id == EX_GZIP) {
		e->gzip = 1;
		return CLI_OPT_TAKEN;
	}
	if (!value) {
		cli_error("%s needs a value", id == 'o' ? "-o" : names[id - EX_OUTPUT]);
		return CLI_OPT_USAGE;
	}
	*slot[id == 'o' ? 0 : id - EX_OUTPUT] = value;
	return CLI_OPT_TAKEN;
}

/* Every sample of run rid as {"run", "t_ns", "metrics"} elements into o;
 * *first: no element written yet. EXIT_OK or the exit status. */
static int export_samples(struct client *c, struct out *o, const char *rid, int *first)
{
	char *cursor = NULL;
	int rc = EXIT_OK;

	do {
		char *path = malloc(strlen(rid) + 128 + (cursor ? strlen(cursor) : 0));
		json_t *page = NULL, *smp, *v;
		size_t k;

		if (!path)
			return EXIT_RUN_FAILED;
		sprintf(path, "/api/v1/runs/%s/samples?limit=1000%s%s", rid, cursor ? "&cursor=" : "",
			cursor ? cursor : "");
		rc = client_call_json(c, "GET", path, NULL, 0, &page);
		free(path);
		free(cursor);
		cursor = NULL;
		if (rc != EXIT_OK)
			return rc;
		smp = json_object_get(page, "samples");
		json_array_foreach(smp, k, v) {
			json_t *e = json_pack("{s:s, s:O, s:O}", "run", rid, "t_ns",
					      json_object_get(v, "t_ns"), "metrics",
					      json_object_get(v, "metrics"));

			out_str(o, *first ? "\n" : ",\n");
			*first = 0;
			out_json(o, e);
			json_decref(e);
		}
		if (json_is_string(json_object_get(page, "next_cursor")))
			cursor = strdup(json_string_value(json_object_get(page, "next_cursor")));
		json_decref(page);
	} while (cursor);
	return rc;
}

/* The result document, then its samples, into o. */
static int export_json(struct client *c, struct out *o, const json_t *doc, int samples)
{
	const json_t *runs = json_object_get(doc, "runs"), *run;
	int first = 1, rc = EXIT_OK;
	size_t i;

	out_str(o, "{\"experiment\":");
	out_json(o, json_object_get(doc, "experiment"));
	out_str(o, ",\n\"runs\":[");
	json_array_foreach(runs, i, run) {
		out_str(o, i ? ",\n" : "\n");
		out_json(o, run);
	}
	out_str(o, "]");
	if (samples) {
		out_str(o, ",\n\"samples\":[");
		json_array_foreach(runs, i, run) {
			const char *rid = json_string_value(json_object_get(run, "id"));

			if (rid && (rc = export_samples(c, o, rid, &first)) != EXIT_OK)
				break;
		}
		out_str(o, "]");
	}
	out_str(o, "}\n");
	return rc;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(struct out *o, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		out_str(o, "\"");
		for (const char *p = s; *p; p++)
			out_write(o, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
		out_str(o, "\"");
	} else {
		out_str(o, s);
	}
	out_str(o, last ? "\r\n" : ",");
}

/* A JSON scalar as CSV text: numbers as JSON writes them, null empty. */
static void csv_json(struct out *o, const json_t *v, int last)
{
	char *t = NULL;

	if (json_is_string(v))
		csv_field(o, json_string_value(v), last);
	else if (!v || json_is_null(v))
		csv_field(o, "", last);
	else if ((t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
		csv_field(o, t, last);
	free(t);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs x metrics: one row per run. */
static int export_csv_runs(struct out *o, const json_t *doc)
{
	static const char *const cols[] = {"experiment", "run", "cell", "strategy", "repetition",
					   "seed", "status", "reason", NULL};
	const json_t *exp = json_object_get(doc, "experiment"), *runs = json_object_get(doc, "runs");
	json_t *names = json_object(), *run, *v;
	const char **list = NULL, *name;
	size_t n = 0, i;

	json_array_foreach(runs, i, run)
		json_object_foreach(json_object_get(run, "metrics"), name, v)
			json_object_set(names, name, json_true());
	list = calloc(json_object_size(names) + 1, sizeof(*list));
	if (!list) {
		json_decref(names);
		return EXIT_RUN_FAILED;
	}
	json_object_foreach(names, name, v)
		list[n++] = name;
	qsort(list, n, sizeof(*list), by_name);
	for (size_t k = 0; cols[k]; k++)
		csv_field(o, cols[k], !n && !cols[k + 1]);
	for (size_t k = 0; k < n; k++)
		csv_field(o, list[k], k + 1 == n);
	json_array_foreach(runs, i, run) {
		json_t *m = json_object_get(run, "metrics");
		json_t *cell = json_object_get(run, "cell");
		char *cell_text = json_dumps(cell ? cell : json_object(), JSON_COMPACT | JSON_SORT_KEYS);

		csv_json(o, json_object_get(exp, "id"), 0);
		csv_json(o, json_object_get(run, "id"), 0);
		csv_field(o, cell_text ? cell_text : "", 0);
		free(cell_text);
		csv_json(o, json_object_get(run, "strategy"), 0);
		csv_json(o, json_object_get(run, "repetition"), 0);
		csv_json(o, json_object_get(run, "seed"), 0);
		csv_json(o, json_object_get(run, "status"), 0);
		csv_json(o, json_object_get(run, "reason"), !n);
		for (size_t k = 0; k < n; k++)
			csv_json(o, json_object_get(m, list[k]), k + 1 == n);
	}
	free(list);
	json_decref(names);
	return EXIT_OK;
}

/* The comparison: one row per cell, metric and strategy. */
static int export_csv_comparison(struct client *c, struct out *o, const char *id)
{
	static const char *const cols[] = {"experiment", "cell", "metric", "better", "strategy",
					   "n", "median", "p25", "p75", "ratio", "ci_low", "ci_high",
					   "p", "verdict", NULL};
	char *path = client_experiment_path(id, "/comparison");
	json_t *cmp = NULL, *cell, *metrics;
	size_t i;
	int rc;

	rc = client_call_json(c, "GET", path, NULL, 0, &cmp);
	free(path);
	if (rc != EXIT_OK)
		return rc;
	metrics = json_object_get(cmp, "metrics");
	for (size_t k = 0; cols[k]; k++)
		csv_field(o, cols[k], !cols[k + 1]);
	json_array_foreach(json_object_get(cmp, "cells"), i, cell) {
		char *cell_text = json_dumps(json_object_get(cell, "cell"), JSON_COMPACT | JSON_SORT_KEYS);
		const json_t *strategies = json_object_get(cell, "strategies"), *metric;
		size_t j;

		json_array_foreach(metrics, j, metric) {
			const char *mname = json_string_value(json_object_get(metric, "name"));
			const char *sname;
			json_t *per;

			json_object_foreach((json_t *)strategies, sname, per) {
				json_t *x = json_object_get(per, mname), *ci = json_object_get(x, "ci");

				if (!x)
					continue;
				csv_json(o, json_object_get(cmp, "experiment"), 0);
				csv_field(o, cell_text ? cell_text : "", 0);
				csv_field(o, mname ? mname : "", 0);
				csv_json(o, json_object_get(metric, "better"), 0);
				csv_field(o, sname, 0);
				csv_json(o, json_object_get(x, "n"), 0);
				csv_json(o, json_object_get(x, "median"), 0);
				csv_json(o, json_object_get(x, "p25"), 0);
				csv_json(o, json_object_get(x, "p75"), 0);
				csv_json(o, json_object_get(x, "ratio"), 0);
				csv_json(o, json_array_get(ci, 0), 0);
				csv_json(o, json_array_get(ci, 1), 0);
				csv_json(o, json_object_get(x, "p"), 0);
				csv_json(o, json_object_get(x, "verdict"), 1);
			}
		}
		free(cell_text);
	}
	json_decref(cmp);
	return EXIT_OK;
}

/* ---- KCIDB ---- */

/* A metric's unit and prefix from its name's suffix (api.md: unit as suffix). */
static void kcidb_unit(const char *metric, const char **unit, const char **prefix)
{
	static const struct {
		const char *suffix, *unit, *prefix;
	} units[] = {
		{"_ns", "ns", NULL}, {"_us", "us", NULL}, {"_bps", "B/s", "binary"},
		{"_bytes", "B", "binary"}, {".bytes", "B", "binary"}, {"_fraction", NULL, NULL},
		{"_per_op", NULL, "metric"}, {"_hz", "Hz", "metric"},
	};
	size_t n = strlen(metric);

	*unit = NULL;
	*prefix = "metric";
	for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
		size_t l = strlen(units[k].suffix);

		if (n > l && !strcmp(metric + n - l, units[k].suffix)) {
			*unit = units[k].unit;
			*prefix = units[k].prefix;
			return;
		}
	}
}

/* s with every character outside [a-zA-Z0-9_-] as '_' (a KCIDB path part). */
static char *path_part(const char *s)
{
	char *p = strdup(s ? s : "unknown");

	for (char *q = p; q && *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-')
			*q = '_';
	return p;
}

/* KCIDB v5 I/O data for the experiment. */
static int export_kcidb(struct out *o, const json_t *doc, const char *origin)
{
	const json_t *exp = json_object_get(doc, "experiment"), *runs = json_object_get(doc, "runs");
	const json_t *spec = json_object_get(exp, "spec"), *kernel = json_object_get(spec, "kernel");
	const char *eid = json_string_value(json_object_get(exp, "id"));
	const char *workload = json_string_value(json_object_get(spec, "workload"));
	const char *version = json_string_value(json_object_get(kernel, "version"));
	const char *commit = json_string_value(json_object_get(kernel, "commit"));
	const char *kconfig = json_string_value(json_object_get(kernel, "config"));
	const char *label = json_string_value(json_object_get(spec, "label"));
	const char *host_kernel = json_string_value(json_object_get(json_object_get(exp, "host"),
								     "kernel"));
	char id[256], build[256];
	json_t *checkout, *b, *run;
	char *wl = path_part(workload);
	size_t i;
	int first = 1;

	snprintf(id, sizeof(id), "%s:%s", origin, eid ? eid : "e0");
	snprintf(build, sizeof(build), "%s:%s-build", origin, eid ? eid : "e0");
	checkout = json_pack("{s:s, s:s, s:{s:s, s:O}}", "id", id, "origin", origin, "misc",
			     "svabench_experiment", eid ? eid : "", "spec", spec);
	if (commit && strlen(commit) == 40)
		json_object_set_new(checkout, "git_commit_hash", json_string(commit));
	if (version || label || host_kernel)
		json_object_set_new(checkout, "git_commit_name",
				    json_string(version ? version : label ? label : host_kernel));
	if (commit)
		json_object_set_new(json_object_get(checkout, "misc"), "kernel_commit",
				    json_string(commit));
	b = json_pack("{s:s, s:s, s:s, s:{s:s}}", "id", build, "origin", origin, "checkout_id", id,
		      "misc", "target", json_string_value(json_object_get(spec, "target")) ?
		      json_string_value(json_object_get(spec, "target")) : "sim");
	if (kconfig)
		json_object_set_new(b, "config_name", json_string(kconfig));
	out_str(o, "{\"version\":{\"major\":5,\"minor\":0},\n\"checkouts\":[");
	out_json(o, checkout);
	out_str(o, "],\n\"builds\":[");
	out_json(o, b);
	out_str(o, "],\n\"tests\":[");
	json_decref(checkout);
	json_decref(b);
	json_array_foreach(runs, i, run) {
		const char *rid = json_string_value(json_object_get(run, "id"));
		const char *status = json_string_value(json_object_get(run, "status"));
		char *strat = path_part(json_string_value(json_object_get(run, "strategy")));
		json_t *m = json_object_get(run, "metrics"), *v;
		const char *name;

		json_object_foreach(m, name, v) {
			const char *unit, *prefix;
			json_t *t, *num;
			char tid[512], path[512], *mp;

			if (!json_is_number(v) || !status || strcmp(status, "done"))
				continue;
			/* a dotted path: each part of the metric's name made a path part */
			mp = strdup(name);
			for (char *q = mp; q && *q; q++)
				if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
					*q = '_';
			snprintf(path, sizeof(path), "svabench.%s.%s.%s", wl, strat, mp ? mp : "metric");
			free(mp);
			snprintf(tid, sizeof(tid), "%s:%s.%s", origin, rid ? rid : "run", name);
			kcidb_unit(name, &unit, &prefix);
			num = json_pack("{s:O}", "value", v);
			if (unit)
				json_object_set_new(num, "unit", json_string(unit));
			if (prefix)
				json_object_set_new(num, "prefix", json_string(prefix));
			t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s?, s:O, s:O, s:O}}", "id", tid,
				      "build_id", build, "origin", origin, "path", path, "status", "DONE",
				      "number", num, "misc", "run", rid, "cell", json_object_get(run, "cell"),
				      "repetition", json_object_get(run, "repetition"), "seed",
				      json_object_get(run, "seed"));
			out_str(o, first ? "\n" : ",\n");
			first = 0;
			out_json(o, t);
			json_decref(t);
		}
		free(strat);
	}
	out_str(o, "]}\n");
	free(wl);
	return EXIT_OK;
}

/* An origin as KCIDB's pattern allows: [a-z0-9_]+. */
static int origin_ok(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

int cmd_export(int argc, char **argv)
{
	struct export_opts e = {.format = "json", .table = "runs", .origin = "svabench"};
	const struct cli_cmd cmd = {.name = "export", .usage = export_usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .options = export_options, .shortopts = "o:",
				    .option = export_option, .ctx = &e};
	const char *id;
	struct client *c;
	struct out o;
	json_t *doc = NULL;
	char *path;
	int rc, gzip;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	if (strcmp(e.format, "json") && strcmp(e.format, "csv") && strcmp(e.format, "kcidb")) {
		cli_error("--format: '%s' is not json, csv or kcidb", e.format);
		client_close(c);
		return EXIT_USAGE;
	}
	if (strcmp(e.table, "runs") && strcmp(e.table, "comparison")) {
		cli_error("--table: '%s' is not runs or comparison", e.table);
		client_close(c);
		return EXIT_USAGE;
	}
	if (!origin_ok(e.origin)) {
		cli_error("--origin: '%s' must be lowercase letters, digits and _ (KCIDB's origin)",
			  e.origin);
		client_close(c);
		return EXIT_USAGE;
	}
	gzip = e.gzip || (e.out && strlen(e.out) > 3 && !strcmp(e.out + strlen(e.out) - 3, ".gz"));
	path = client_experiment_path(id, "");
	rc = client_call_json(c, "GET", path, NULL, 0, &doc);
	free(path);
	if (rc == EXIT_OK && !json_is_object(json_object_get(doc, "experiment"))) {
		cli_error("svabenchd at %s answered without a result document", client_url(c));
		rc = EXIT_RUN_FAILED;
	}
	if (rc == EXIT_OK) {
		if (out_open(&o, e.out, gzip)) {
			rc = EXIT_RUN_FAILED;
		} else {
			if (!strcmp(e.format, "json"))
				rc = export_json(c, &o, doc, !e.no_samples);
			else if (!strcmp(e.format, "kcidb"))
				rc = export_kcidb(&o, doc, e.origin);
			else if (!strcmp(e.table, "comparison"))
				rc = export_csv_comparison(c, &o, id);
			else
				rc = export_csv_runs(&o, doc);
			if (out_close(&o, rc == EXIT_OK) && rc == EXIT_OK)
				rc = EXIT_RUN_FAILED;
		}
	}
	json_decref(doc);
	client_close(c);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "import", .usage = import_usage, .arg = "FILE",
		.hint = "a result document, or - for standard input", .dashdash = 1};
	struct client_opts o = {0};
	const char *file;
	json_error_t jerr;
	struct client *c;
	char id[256];
	json_t *doc;
	size_t len;
	char *body;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &o, &file);
	if (rc != CLI_PARSED)
		return rc;
	body = client_read_input(file, "document", CLIENT_BODY_MAX, &len);
	if (!body)
		return EXIT_USAGE;
	/* gzip'd: svabenchd unpacks and checks it */
	if (len >= 2 && (unsigned char)body[0] == 0x1f && (unsigned char)body[1] == 0x8b)
		goto send;
	/* Refuse what is not a document here, naming the line. */
	doc = json_loadb(body, len, 0, &jerr);
	if (!doc) {
		cli_error("%s: not JSON: line %d: %s", strcmp(file, "-") ? file : "standard input",
			  jerr.line, jerr.text);
		free(body);
		return EXIT_USAGE;
	}
	if (!json_is_object(json_object_get(doc, "experiment")) ||
	    !json_is_array(json_object_get(doc, "runs"))) {
		cli_error("%s: not a result document: it needs \"experiment\" and \"runs\" "
			  "(as svabench export writes it)", strcmp(file, "-") ? file : "standard input");
		json_decref(doc);
		free(body);
		return EXIT_USAGE;
	}
	json_decref(doc);
send:
	c = client_open(&o);
	if (!c) {
		free(body);
		return EXIT_USAGE;
	}
	rc = client_create(c, "/api/v1/import", body, len, id, sizeof(id));
	free(body);
	if (rc == EXIT_OK) {
		printf("%s\n", id);
		if (fflush(stdout)) {
			cli_error("cannot write the id");
			rc = EXIT_RUN_FAILED;
		}
	}
	client_close(c);
	return rc;
}
