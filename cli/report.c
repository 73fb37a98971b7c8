/*
 * report.c - `svabench report ID [--baseline S] [--full] [--fail-on C]`:
 * svabenchd's plain-text report of an experiment (GET
 * /api/v1/experiments/ID/report), ready to paste into a mail: the answer
 * first (who wins on the headline metric, by how much, which strategies
 * are broken), what ran, the crossover map, tables, the preset's sources,
 * how to reproduce; nothing over 80 columns. --fail-on gates CI on the
 * same comparison (failon.c).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the synopsis for a usage error; the whole text is cli/help.c's (--help, svabench help report) */
static const char usage[] =
	"usage: svabench report ID [--baseline STRATEGY] [--full] [--fail-on broken|worse]\n"
	"                          [--server URL] [--var DIR]\n"
	"(svabench help report says more)\n";

struct report_args {
	const char *baseline;
	int full;
	int fail_on;
};

enum { REPORT_FULL = CLI_OPT_ID, REPORT_FAIL_ON, REPORT_BASELINE };

static const struct option report_options[] = {
	{"full", no_argument, NULL, REPORT_FULL},
	{"fail-on", required_argument, NULL, REPORT_FAIL_ON},
	{"baseline", required_argument, NULL, REPORT_BASELINE},
	{0},
};

static int report_option(void *ctx, int id, const char *value)
{
	struct report_args *ra = ctx;

	switch (id) {
	case REPORT_FULL:
		ra->full = 1;
		return CLI_OPT_TAKEN;
	case REPORT_FAIL_ON:
		if (!value) {
			cli_error("report: --fail-on needs broken, worse or broken,worse");
			return CLI_OPT_USAGE;
		}
		return cli_fail_on_parse("report", value, &ra->fail_on) ? CLI_OPT_BAD : CLI_OPT_TAKEN;
	default:
		if (!value) {
			cli_error("report: --baseline needs a strategy");
			return CLI_OPT_USAGE;
		}
		ra->baseline = value;
		return CLI_OPT_TAKEN;
	}
}

int cmd_report(int argc, char **argv)
{
	struct report_args ra = {0};
	const struct cli_cmd cmd = {.name = "report", .usage = usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .options = report_options, .option = report_option,
				    .ctx = &ra};
	struct client_response r;
	struct client *c;
	const char *id;
	char *path;
	json_t *cmp = NULL;
	int rc;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	path = client_experiment_path(id, "/report");
	client_add_query(&path, "baseline", ra.baseline);
	if (ra.full)
		client_add_query(&path, "full", "1");
	rc = client_call(c, "GET", path, NULL, 0, &r);
	free(path);
	if (rc == EXIT_OK) {
		if (fwrite(r.body, 1, r.len, stdout) != r.len || fflush(stdout)) {
			cli_error("cannot write the report");
			rc = EXIT_RUN_FAILED;
		}
		client_response_free(&r);
	}
	if (rc == EXIT_OK && ra.fail_on) {
		path = client_experiment_path(id, "/comparison");
		client_add_query(&path, "baseline", ra.baseline);
		rc = client_call_json(c, "GET", path, NULL, 0, &cmp);
		free(path);
		if (rc == EXIT_OK)
			rc = cli_fail_on_check(cmp, ra.fail_on);
		json_decref(cmp);
	}
	client_close(c);
	return rc;
}
