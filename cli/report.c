/*
 * report.c - `svabench report ID [--baseline S]`: svabenchd's plain-text
 * report of an experiment (GET /api/v1/experiments/ID/report), ready to
 * paste into a mail: what ran where, the preset with its sources, tables
 * of medians with ratios, CIs and significance marks, the crossover,
 * livelocks and coherence violations; nothing over 80 columns.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: svabench report ID [--baseline STRATEGY] [--server URL] [--var DIR]\n"
	"  --baseline  the strategy the others are compared with (default: pri-inv when\n"
	"              run, else the first correct one)\n";

/* --baseline S */
static int report_option(void *baseline, int argc, char **argv, int *i)
{
	int rc = cli_option_value("--baseline", argc, argv, i, baseline);

	if (rc < 0)
		cli_error("report: --baseline needs a strategy");
	return rc;
}

int cmd_report(int argc, char **argv)
{
	const char *id, *baseline = NULL;
	const struct cli_cmd cmd = {.name = "report", .usage = usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .option = report_option,
				    .ctx = &baseline};
	struct client_response r;
	struct client *c;
	char *path;
	int rc;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	path = client_experiment_path(id, "/report");
	client_add_query(&path, "baseline", baseline);
	rc = path ? client_call(c, "GET", path, NULL, 0, &r) : EXIT_RUN_FAILED;
	if (rc == EXIT_OK) {
		if (fwrite(r.body, 1, r.len, stdout) != r.len || fflush(stdout)) {
			cli_error("cannot write the report");
			rc = EXIT_RUN_FAILED;
		}
		client_response_free(&r);
	}
	free(path);
	client_close(c);
	return rc;
}
