/*
 * list.c - `svabench list [--label L] [--target T] [--workload W]
 * [--status S] [--limit N] [--json]`: experiments, newest first, as a
 * table or as JSON, following the API's pages up to N of them.
 */
#include "cli.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 100000
#define PAGE_MAX 1000     /* the API's largest page */
#define LABEL_SHOWN 24    /* characters of a label in the table */
#define NAME_SHOWN 40

static const char usage[] =
	"usage: svabench list [--label L] [--target T] [--workload W] [--status S]\n"
	"                     [--limit N] [--json] [--server URL] [--var DIR]\n";

struct filter {
	const char *key, *value;
};

enum { COL_ID, COL_STATUS, COL_RUNS, COL_WORKLOAD, COL_LABEL, COL_NAME, COL_CREATED, NCOL };

static const char *const heads[NCOL] = {"id", "status", "runs", "workload", "label", "name",
					"created"};

/* At most max characters of s (whole UTF-8 sequences), "~" when cut. */
static void clip(char *out, size_t len, const char *s, int max)
{
	size_t i = 0, o = 0;
	int chars = 0;

	while (s[i] && chars < max) {
		size_t n = 1;

		while (s[i + n] && ((unsigned char)s[i + n] & 0xC0) == 0x80)
			n++;
		if (o + n + 2 > len)
			break;
		/* Control characters would break the row. */
		if ((unsigned char)s[i] < 0x20) {
			out[o++] = ' ';
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
		chars++;
	}
	if (s[i] && o + 2 <= len)
		out[o++] = '~';
	out[o] = '\0';
}

/* Display width: UTF-8 sequences count one. */
static int width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* created_at as the API gives it, in local time: an ISO 8601 UTC string
 * ("2026-11-24T21:29:54.427Z"), or a number since the epoch. */
static void created_text(char *out, size_t len, const json_t *exp)
{
	const json_t *v = json_object_get(exp, "created_at");
	struct tm tm;
	time_t t;

	if (!v)
		v = json_object_get(exp, "created");
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		int n;

		memset(&tm, 0, sizeof(tm));
		n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		t = n == 6 ? timegm(&tm) : (time_t)-1;
		if (t != (time_t)-1 && localtime_r(&t, &tm))
			strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
		else
			clip(out, len, s, 25);
	} else if (json_is_number(v)) {
		double x = json_number_value(v);

		/* Milliseconds or nanoseconds since the epoch, judged by size. */
		if (x > 1e17)
			x /= 1e9;
		else if (x > 1e11)
			x /= 1e3;
		t = (time_t)x;
		if (localtime_r(&t, &tm))
			strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
		else
			snprintf(out, len, "-");
	} else {
		snprintf(out, len, "-");
	}
}

static json_int_t count(const json_t *exp, const char *key)
{
	json_t *v = json_object_get(exp, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static void row_text(char cells[NCOL][128], const json_t *exp)
{
	const char *s;

	s = json_string_value(json_object_get(exp, "id"));
	clip(cells[COL_ID], 128, s ? s : "?", 40);
	s = json_string_value(json_object_get(exp, "status"));
	clip(cells[COL_STATUS], 128, s ? s : "?", 20);
	snprintf(cells[COL_RUNS], 128, "%lld/%lld", (long long)count(exp, "runs_done"),
		 (long long)count(exp, "runs_total"));
	if (count(exp, "runs_failed"))
		snprintf(cells[COL_RUNS] + strlen(cells[COL_RUNS]), 64, " (%lld failed)",
			 (long long)count(exp, "runs_failed"));
	s = json_string_value(json_object_get(exp, "workload"));
	clip(cells[COL_WORKLOAD], 128, s ? s : "-", 30);
	s = json_string_value(json_object_get(exp, "label"));
	clip(cells[COL_LABEL], 128, s ? s : "-", LABEL_SHOWN);
	s = json_string_value(json_object_get(exp, "name"));
	clip(cells[COL_NAME], 128, s ? s : "-", NAME_SHOWN);
	created_text(cells[COL_CREATED], 128, exp);
}

static void print_row(char cells[NCOL][128], const int *w)
{
	for (int k = 0; k < NCOL; k++) {
		if (k == NCOL - 1) {
			printf("%s\n", cells[k]);
			break;
		}
		printf("%s%*s  ", cells[k], w[k] - width(cells[k]), "");
	}
}

static int print_table(const json_t *all)
{
	size_t n = json_array_size(all), i;
	char (*cells)[NCOL][128] = xcalloc(n + 1, sizeof(*cells));
	int w[NCOL] = {0};
	json_t *exp;

	for (int k = 0; k < NCOL; k++) {
		snprintf(cells[0][k], 128, "%s", heads[k]);
		w[k] = width(heads[k]);
	}
	json_array_foreach(all, i, exp) {
		row_text(cells[i + 1], exp);
		for (int k = 0; k < NCOL; k++)
			if (width(cells[i + 1][k]) > w[k])
				w[k] = width(cells[i + 1][k]);
	}
	for (i = 0; i <= n; i++)
		print_row(cells[i], w);
	free(cells);
	if (!n)
		fprintf(stderr, "svabench: no experiments match\n");
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write the list");
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

/* Pages through GET /api/v1/experiments into all, at most limit of them. */
static int fetch(struct client *c, const struct filter *f, size_t nf, long limit, json_t *all)
{
	char *cursor = NULL, page[32];
	int rc = EXIT_OK;

	while ((long)json_array_size(all) < limit) {
		long want = limit - (long)json_array_size(all);
		char *path = xstrdup("/api/v1/experiments");
		json_t *answer, *items, *next, *exp;
		size_t i;

		snprintf(page, sizeof(page), "%ld", want < PAGE_MAX ? want : PAGE_MAX);
		for (size_t k = 0; k < nf; k++)
			client_add_query(&path, f[k].key, f[k].value);
		client_add_query(&path, "limit", page);
		client_add_query(&path, "cursor", cursor);
		rc = client_call_json(c, "GET", path, NULL, 0, &answer);
		free(path);
		if (rc)
			break;
		items = json_object_get(answer, "experiments");
		if (!json_is_array(items)) {
			cli_error("svabenchd at %s answered the list without \"experiments\"",
				  client_url(c));
			json_decref(answer);
			rc = EXIT_RUN_FAILED;
			break;
		}
		json_array_foreach(items, i, exp) {
			if ((long)json_array_size(all) >= limit)
				break;
			json_array_append(all, exp);
		}
		next = json_object_get(answer, "next_cursor");
		free(cursor);
		cursor = NULL;
		if (json_is_string(next) && *json_string_value(next)) {
			cursor = strdup(json_string_value(next));
		} else if (json_is_integer(next)) {
			cursor = malloc(32);
			if (cursor)
				snprintf(cursor, 32, "%lld", (long long)json_integer_value(next));
		}
		/* The last page, or a server that does not move on. */
		if (!json_array_size(items)) {
			free(cursor);
			cursor = NULL;
		}
		json_decref(answer);
		if (!cursor)
			break;
	}
	free(cursor);
	return rc;
}

struct list_args {
	const char *filters[4];     /* label, target, workload, status */
	long limit;
	int as_json;
};

enum { LIST_FILTER = CLI_OPT_ID, LIST_JSON = CLI_OPT_ID + 4, LIST_LIMIT };

static const struct option list_options[] = {
	{"label", required_argument, NULL, LIST_FILTER + 0},
	{"target", required_argument, NULL, LIST_FILTER + 1},
	{"workload", required_argument, NULL, LIST_FILTER + 2},
	{"status", required_argument, NULL, LIST_FILTER + 3},
	{"json", no_argument, NULL, LIST_JSON},
	{"limit", required_argument, NULL, LIST_LIMIT},
	{0},
};

static int list_option(void *ctx, int id, const char *value)
{
	struct list_args *la = ctx;
	char *end;

	if (id == LIST_JSON) {
		la->as_json = 1;
		return CLI_OPT_TAKEN;
	}
	if (id == LIST_LIMIT) {
		if (!value) {
			cli_error("--limit needs a number");
			return CLI_OPT_USAGE;
		}
		errno = 0;
		la->limit = strtol(value, &end, 10);
		if (errno || end == value || *end || la->limit < 1 || la->limit > LIMIT_MAX) {
			cli_error("--limit: '%s' is not a number 1..%d", value, LIMIT_MAX);
			return CLI_OPT_BAD;
		}
		return CLI_OPT_TAKEN;
	}
	if (!value) {
		cli_error("--%s needs a value", list_options[id - LIST_FILTER].name);
		return CLI_OPT_USAGE;
	}
	la->filters[id - LIST_FILTER] = value;
	return CLI_OPT_TAKEN;
}

int cmd_list(int argc, char **argv)
{
	struct list_args la = {.limit = LIMIT_DEFAULT};
	const struct cli_cmd cmd = {.name = "list", .usage = usage, .args = CLI_ARG_NONE,
				    .options = list_options, .option = list_option, .ctx = &la};
	struct filter f[] = {
		{"label", NULL}, {"target", NULL}, {"workload", NULL}, {"status", NULL},
	};
	struct client_opts o = {0};
	const char *none;
	long limit;
	int as_json, rc;
	struct client *c;
	json_t *all;

	rc = cli_parse(&cmd, argc, argv, &o, &none);
	if (rc != CLI_PARSED)
		return rc;
	for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
		f[k].value = la.filters[k];
	limit = la.limit;
	as_json = la.as_json;
	all = json_array();
	c = all ? client_open(&o) : NULL;
	if (!c) {
		json_decref(all);
		return all ? EXIT_USAGE : EXIT_RUN_FAILED;
	}
	rc = fetch(c, f, sizeof(f) / sizeof(f[0]), limit, all);
	client_close(c);
	if (rc == EXIT_OK) {
		if (as_json) {
			json_t *doc = json_pack("{s:O}", "experiments", all);

			if (!doc || json_print(stdout, doc)) {
				cli_error("cannot write the list");
				rc = EXIT_RUN_FAILED;
			}
			json_decref(doc);
		} else {
			rc = print_table(all);
		}
	}
	json_decref(all);
	return rc;
}
