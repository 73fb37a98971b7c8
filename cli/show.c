/*
 * show.c - `svabench show ID [--json] [--wide]`: an experiment's result document
 * from svabenchd, as JSON or as the comparison table `run --offline`
 * prints (core's table, over the runs finished so far).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: svabench show ID [--json] [--wide] [--server URL] [--var DIR]\n";

int cli_print_table(const json_t *doc, const char *id, int wide)
{
	const json_t *exp = json_object_get(doc, "experiment");
	const char *status = json_string_value(json_object_get(exp, "status"));
	struct results *r;
	struct spec *s;
	char err[512];

	if (doc_results(doc, &s, &r, err, sizeof(err))) {
		cli_error("show: experiment %s: %s", id, err);
		return EXIT_RUN_FAILED;
	}
	if (status && strcmp(status, "done") && strcmp(status, "failed"))
		printf("experiment %s is %s: %zu of %zu runs finished; the table shows those\n",
		       id, status, r->ndone + r->nfailed, s->nruns);
	result_print_table_width(stdout, r, cli_columns(wide));
	results_free(r);
	spec_free(s);
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write the table");
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

struct show_args {
	int as_json, wide;
};

enum { SHOW_JSON = CLI_OPT_ID, SHOW_WIDE };

static const struct option show_options[] = {
	{"json", no_argument, NULL, SHOW_JSON},
	{"wide", no_argument, NULL, SHOW_WIDE},
	{0},
};

static int show_option(void *ctx, int id, const char *value)
{
	struct show_args *sa = ctx;

	if (id == SHOW_JSON)
		sa->as_json = 1;
	else
		sa->wide = 1;
	return CLI_OPT_TAKEN;
}

int cmd_show(int argc, char **argv)
{
	struct show_args sa = {0};
	int rc;
	const struct cli_cmd cmd = {.name = "show", .usage = usage, .arg = "ID", .hint = CLI_ID_HINT,
				    .options = show_options, .option = show_option, .ctx = &sa};
	const char *id;
	struct client *c;
	json_t *doc;
	char *path;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	path = client_experiment_path(id, "");
	rc = client_call_json(c, "GET", path, NULL, 0, &doc);
	free(path);
	client_close(c);
	if (rc)
		return rc;
	if (sa.as_json) {
		if (json_print(stdout, doc)) {
			cli_error("cannot write the output");
			rc = EXIT_RUN_FAILED;
		}
	} else {
		rc = cli_print_table(doc, id, sa.wide);
	}
	json_decref(doc);
	return rc;
}
