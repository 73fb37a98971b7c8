/*
 * compare.c - `svabench compare ID [--baseline S] [--noise X] [--alpha X]
 * [--metrics a,b] [--json]`: svabenchd's comparison of an experiment's
 * strategies against a baseline (GET .../comparison), as JSON or as
 * text a terminal shows: the report's answer block first (report_answer,
 * over the experiment's runs), then per cell a row per strategy and per
 * metric "median (ratio [CI]) mark"; then the crossover map of a 2-D sweep.
 */
#include "cli.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH_MAX 1000     /* --wide: nothing printed wider */

/* The columns the tables fit in: the terminal's (cli_columns), WIDTH_MAX with --wide. */
static int width = 80;
#define TEXT_MAX 128       /* one table cell */

static const char usage[] =
	"usage: svabench compare ID [--baseline STRATEGY] [--noise X] [--alpha X]\n"
	"                           [--metrics M,M...] [--json] [--server URL] [--var DIR]\n"
	"  --baseline  the strategy the others are compared with (default: pri-inv when\n"
	"              run, else the first correct one)\n"
	"  --noise     the change below which a difference is noise, in percent\n"
	"              (default 5; \"5%\" works too; the API's noise= is the fraction)\n"
	"  --alpha     the U test's significance level (default 0.05)\n"
	"  --metrics   the metrics to compare (default: throughput, p99 latency, CPU\n"
	"              invalidation time, commands, faults, livelocks, violations);\n"
	"              the first one is the crossover map's\n"
	"  --fail-on   after the output, exit 3 when a strategy is broken in some cell\n"
	"              (broken), or worse than the baseline on some metric (worse), or\n"
	"              either (broken,worse); the finding is named on stderr\n"
	"\n"
	"examples:\n"
	"  svabench compare e12\n"
	"  svabench compare e12 --baseline notifier --noise 2 --metrics cpu.invalidation_ns\n"
	"  svabench compare e12 --json | jq '.cells[0].strategies'\n"
	"  svabench compare e12 --fail-on broken || echo 'a strategy is broken'\n"
	"\n"
	"exit status: 0 printed, 1 the daemon could not answer, 2 bad usage or unknown\n"
	"ID, 3 the --fail-on condition holds\n";

static void fmt_ratio(char *b, size_t n, double v)
{
	snprintf(b, n, fabs(v) >= 100 ? "%.0f" : fabs(v) >= 10 ? "%.1f" : "%.2f", v);
}

static char mark(const char *verdict)
{
	if (!verdict)
		return ' ';
	if (!strcmp(verdict, "better"))
		return '+';
	if (!strcmp(verdict, "worse"))
		return '-';
	if (!strcmp(verdict, "within noise"))
		return '~';
	if (!strcmp(verdict, "insufficient data") || !strcmp(verdict, "no data"))
		return '?';
	if (!strcmp(verdict, "broken"))
		return '!';
	if (!strcmp(verdict, "not a fix"))
		return 'x';
	return ' ';
}

/* "median (ratio [lo..hi]) mark" of one strategy and metric. */
static void entry_text(char *b, size_t n, const json_t *e)
{
	const char *verdict = json_string_value(json_object_get(e, "verdict"));
	const json_t *median = json_object_get(e, "median"), *ratio = json_object_get(e, "ratio");
	const json_t *ci = json_object_get(e, "ci");
	char m[24], r[24] = "-", lo[24], hi[24];

	if (!json_is_number(median)) {
		snprintf(b, n, "-");
		return;
	}
	fmt_short(m, sizeof(m), json_number_value(median));
	if (verdict && !strcmp(verdict, "baseline")) {
		snprintf(b, n, "%s", m);
		return;
	}
	if (json_is_number(ratio))
		fmt_ratio(r, sizeof(r), json_number_value(ratio));
	if (json_array_size(ci) == 2 && json_is_number(json_array_get(ci, 0)) &&
	    json_is_number(json_array_get(ci, 1))) {
		fmt_ratio(lo, sizeof(lo), json_number_value(json_array_get(ci, 0)));
		fmt_ratio(hi, sizeof(hi), json_number_value(json_array_get(ci, 1)));
		snprintf(b, n, "%s (%s [%s..%s]) %c", m, r, lo, hi, mark(verdict));
	} else {
		snprintf(b, n, "%s (%s) %c", m, r, mark(verdict));
	}
}

/* A JSON scalar as a spec writes it: 64, 0.5, true, "random" without quotes. */
static void value_text(char *b, size_t n, const json_t *v)
{
	if (json_is_integer(v))
		snprintf(b, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(b, n, "%g", json_real_value(v));
	else if (json_is_string(v))
		snprintf(b, n, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(b, n, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(b, n, "-");
}

static int text_width(const char *s)
{
	return (int)strlen(s);
}

/* One cell: its metrics in as many tables as it takes to stay within width. */
static void print_cell(const json_t *cell, size_t index, size_t ncells, const json_t *strategies,
		       const json_t *metrics)
{
	const json_t *per = json_object_get(cell, "strategies");
	size_t ns = json_array_size(strategies), nm = json_array_size(metrics);
	int name_w = (int)strlen("strategy"), *w = xcalloc(nm ? nm : 1, sizeof(*w));
	char (*text)[TEXT_MAX] = xcalloc(ns * nm > 0 ? ns * nm : 1, sizeof(*text));
	const char *key;
	json_t *v;
	int first = 1;

	printf("\ncell %zu/%zu", index + 1, ncells);
	if (!json_object_size(json_object_get(cell, "cell")))
		printf(": no swept parameters");
	json_object_foreach(json_object_get(cell, "cell"), key, v) {
		char val[64];

		value_text(val, sizeof(val), v);
		printf("%s%s=%s", first ? ": " : ", ", key, val);
		first = 0;
	}
	putchar('\n');
	for (size_t k = 0; k < ns; k++) {
		const char *s = json_string_value(json_array_get(strategies, k));

		if (s && text_width(s) > name_w)
			name_w = text_width(s);
	}
	for (size_t j = 0; j < nm; j++) {
		const char *m = json_string_value(json_object_get(json_array_get(metrics, j), "name"));

		w[j] = m ? text_width(m) : 1;
		for (size_t k = 0; k < ns; k++) {
			const char *s = json_string_value(json_array_get(strategies, k));
			const json_t *e = json_object_get(json_object_get(per, s ? s : ""), m ? m : "");

			entry_text(text[k * nm + j], TEXT_MAX, e);
			if (text_width(text[k * nm + j]) > w[j])
				w[j] = text_width(text[k * nm + j]);
		}
	}
	/* Metrics in groups that fit the width, each group a table. */
	for (size_t j0 = 0; j0 < nm;) {
		size_t j1 = j0;
		int used = name_w;

		while (j1 < nm && (j1 == j0 || used + 2 + w[j1] <= width)) {
			used += 2 + w[j1];
			j1++;
		}
		if (j0)
			putchar('\n');
		printf("%-*s", name_w, "strategy");
		for (size_t j = j0; j < j1; j++)
			printf("  %-*s", j + 1 < j1 ? w[j] : 0,
			       json_string_value(json_object_get(json_array_get(metrics, j), "name")));
		putchar('\n');
		for (size_t k = 0; k < ns; k++) {
			char line[WIDTH_MAX * 4];
			size_t n = (size_t)snprintf(line, sizeof(line), "%-*s", name_w,
						    json_string_value(json_array_get(strategies, k)));

			for (size_t j = j0; j < j1 && n < sizeof(line); j++)
				n += (size_t)snprintf(line + n, sizeof(line) - n, "  %-*s", w[j],
						      text[k * nm + j]);
			n = strlen(line);
			while (n && line[n - 1] == ' ')
				line[--n] = '\0';
			printf("%s\n", line);
		}
		j0 = j1;
	}
	free(w);
	free(text);
}

/* The crossover grid as a small map: y upwards, x to the right. */
static void print_crossover(const json_t *x)
{
	const json_t *xs = json_object_get(x, "xs"), *ys = json_object_get(x, "ys");
	const json_t *grid = json_object_get(x, "grid");
	size_t nx = json_array_size(xs), ny = json_array_size(ys);
	const char *better = json_string_value(json_object_get(x, "better"));
	int yw = 1, xw = 1, compact;
	char val[64];

	if (!nx || !ny)
		return;
	printf("\ncrossover on %s (%s is better):\nA = %s cheaper, B = %s cheaper, "
	       "= within noise, . no data\n",
	       json_string_value(json_object_get(x, "metric")), better ? better : "lower",
	       json_string_value(json_object_get(x, "a")), json_string_value(json_object_get(x, "b")));
	for (size_t i = 0; i < ny; i++) {
		value_text(val, sizeof(val), json_array_get(ys, i));
		if (text_width(val) > yw)
			yw = text_width(val);
	}
	for (size_t i = 0; i < nx; i++) {
		value_text(val, sizeof(val), json_array_get(xs, i));
		if (text_width(val) > xw)
			xw = text_width(val);
	}
	/* Too many x values for their labels: one character per column. */
	compact = yw + 3 + (int)nx * (xw + 1) > width;
	if (compact)
		xw = 1;
	printf("%s\n", json_string_value(json_object_get(x, "y")));
	for (size_t i = ny; i-- > 0;) {
		const json_t *row = json_array_get(grid, i);

		value_text(val, sizeof(val), json_array_get(ys, i));
		printf("%*s |", yw, val);
		for (size_t j = 0; j < nx; j++) {
			const char *m = json_string_value(json_array_get(row, j));

			printf(" %*s", xw, m ? m : ".");
		}
		putchar('\n');
	}
	printf("%*s +", yw, "");
	for (size_t j = 0; j < nx * (size_t)(xw + 1); j++)
		putchar('-');
	putchar('\n');
	if (!compact) {
		printf("%*s  ", yw, "");
		for (size_t j = 0; j < nx; j++) {
			value_text(val, sizeof(val), json_array_get(xs, j));
			printf(" %*s", xw, val);
		}
		putchar('\n');
		printf("%*s   %s\n", yw, "", json_string_value(json_object_get(x, "x")));
	} else {
		printf("%*s   %s:", yw, "", json_string_value(json_object_get(x, "x")));
		for (size_t j = 0; j < nx; j++) {
			value_text(val, sizeof(val), json_array_get(xs, j));
			printf(" %s", val);
		}
		putchar('\n');
	}
}

/* lead and text on lines of at most width columns, broken at spaces. */
static void print_wrapped(const char *lead, const char *text)
{
	size_t used = strlen(lead);

	fputs(lead, stdout);
	while (text && *text) {
		size_t n = strcspn(text, " ");

		if (used > strlen(lead) && used + 1 + n > (size_t)width) {
			fputs("\n  ", stdout);
			used = 2;
		} else if (used > strlen(lead)) {
			putchar(' ');
			used++;
		}
		fwrite(text, 1, n, stdout);
		used += n;
		text += n;
		while (*text == ' ')
			text++;
	}
	putchar('\n');
}

static void print_comparison(const json_t *doc)
{
	const json_t *cells = json_object_get(doc, "cells"), *warnings = json_object_get(doc, "warnings");
	const json_t *strategies = json_object_get(doc, "strategies");
	const json_t *metrics = json_object_get(doc, "metrics");
	const json_t *crossover = json_object_get(doc, "crossover");
	const char *baseline = json_string_value(json_object_get(doc, "baseline"));
	const char *label = json_string_value(json_object_get(doc, "label"));
	json_int_t reps = json_integer_value(json_object_get(doc, "repetitions"));
	size_t k;
	json_t *v;

	printf("experiment %s: %s %s, %zu cell%s, %lld repetition%s",
	       json_string_value(json_object_get(doc, "experiment")),
	       json_string_value(json_object_get(doc, "target")),
	       json_string_value(json_object_get(doc, "workload")), json_array_size(cells),
	       json_array_size(cells) == 1 ? "" : "s", (long long)reps, reps == 1 ? "" : "s");
	if (label)
		printf(", label %s", label);
	printf("\nmedian over repetitions (ratio to %s [%g%% CI]) mark:\n"
	       "+ better, - worse, ~ within noise (|ratio - 1| < %g%%, or U test\n"
	       "p >= %g and the CI holds 1), ? insufficient data, ! broken (livelocks\n"
	       "or coherence violations), x not a fix\n",
	       baseline, 100 * json_number_value(json_object_get(doc, "level")),
	       100 * json_number_value(json_object_get(doc, "noise")),
	       json_number_value(json_object_get(doc, "alpha")));
	json_array_foreach(warnings, k, v)
		print_wrapped("warning: ", json_string_value(v));
	json_array_foreach(cells, k, v)
		print_cell(v, k, json_array_size(cells), strategies, metrics);
	if (json_is_object(crossover))
		print_crossover(crossover);
}

static const char *const param_names[] = {"baseline", "noise", "alpha", "metrics"};
#define NPARAMS (sizeof(param_names) / sizeof(param_names[0]))

struct compare_args {
	const char *values[NPARAMS]; /* the query's, in param_names' order */
	int as_json;
	int wide;
	int fail_on;
	char noise[32];              /* --noise as the API's fraction */
};

/* --noise in percent ("5" or "5%") into the API's fraction; -1 after a message. */
static int noise_percent(const char *v, char *out, size_t len)
{
	char *end;
	double x = strtod(v, &end);

	if (end == v || (*end && strcmp(end, "%")) || !(x >= 0 && x < 100)) {
		cli_error("compare: --noise '%s': a percentage, 0 <= X < 100 (5 means 5%%)", v);
		return -1;
	}
	snprintf(out, len, "%.10g", x / 100);
	return 0;
}

enum { CMP_JSON = CLI_OPT_ID, CMP_WIDE, CMP_FAIL_ON, CMP_PARAM };

/* --baseline, --noise, --alpha, --metrics (each "--x V" or "--x=V"), --json, --wide, --fail-on */
static const struct option compare_options[] = {
	{"json", no_argument, NULL, CMP_JSON},
	{"wide", no_argument, NULL, CMP_WIDE},
	{"fail-on", required_argument, NULL, CMP_FAIL_ON},
	{"baseline", required_argument, NULL, CMP_PARAM + 0},
	{"noise", required_argument, NULL, CMP_PARAM + 1},
	{"alpha", required_argument, NULL, CMP_PARAM + 2},
	{"metrics", required_argument, NULL, CMP_PARAM + 3},
	{0},
};

static int compare_option(void *ctx, int id, const char *value)
{
	struct compare_args *ca = ctx;
	size_t k = (size_t)(id - CMP_PARAM);

	switch (id) {
	case CMP_JSON:
		ca->as_json = 1;
		return CLI_OPT_TAKEN;
	case CMP_WIDE:
		ca->wide = 1;
		return CLI_OPT_TAKEN;
	case CMP_FAIL_ON:
		if (!value) {
			cli_error("compare: --fail-on needs broken, worse or broken,worse");
			return CLI_OPT_USAGE;
		}
		return cli_fail_on_parse("compare", value, &ca->fail_on) ? CLI_OPT_BAD : CLI_OPT_TAKEN;
	}
	if (!value) {
		cli_error("compare: --%s needs a value", param_names[k]);
		return CLI_OPT_USAGE;
	}
	ca->values[k] = value;
	if (!strcmp(param_names[k], "noise")) {
		if (noise_percent(value, ca->noise, sizeof(ca->noise)))
			return CLI_OPT_BAD;
		ca->values[k] = ca->noise;
	}
	return CLI_OPT_TAKEN;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_args ca = {0};
	const struct cli_cmd cmd = {.name = "compare", .usage = usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .options = compare_options,
				    .option = compare_option, .ctx = &ca};
	const char *id;
	struct client *c;
	char *path, *answer;
	json_t *doc, *exp_doc = NULL;
	int rc;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	path = client_experiment_path(id, "/comparison");
	for (size_t k = 0; k < NPARAMS; k++)
		client_add_query(&path, param_names[k], ca.values[k]);
	rc = client_call_json(c, "GET", path, NULL, 0, &doc);
	free(path);
	if (!rc && !ca.as_json) {
		/* the answer first: the report's, over the experiment's runs */
		path = client_experiment_path(id, "");
		if (client_call_json(c, "GET", path, NULL, 0, &exp_doc))
			exp_doc = NULL;
		free(path);
	}
	client_close(c);
	if (rc)
		return rc;
	if (ca.as_json) {
		if (json_print(stdout, doc))
			rc = EXIT_RUN_FAILED;
	} else {
		width = ca.wide ? WIDTH_MAX : cli_columns(0);
		answer = exp_doc ? report_answer(exp_doc, doc, width) : NULL;
		if (answer)
			printf("%s\n", answer);
		free(answer);
		json_decref(exp_doc);
		print_comparison(doc);
		if (fflush(stdout) || ferror(stdout))
			rc = EXIT_RUN_FAILED;
	}
	if (rc)
		cli_error("cannot write the output");
	else
		rc = cli_fail_on_check(doc, ca.fail_on);
	json_decref(doc);
	return rc;
}
