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

static const char usage[] =
	"usage: svabench report ID [--baseline STRATEGY] [--full] [--fail-on broken|worse]\n"
	"                          [--server URL] [--var DIR]\n"
	"\n"
	"The experiment's report as plain text for a mail, answer first: per cell\n"
	"group the strategy that wins on the headline metric with its ratio and 95%\n"
	"CI, the strategies that are broken (livelocks, coherence violations) or not\n"
	"a fix; then what ran (kernel under test, modelled system, the machine that\n"
	"ran it), the crossover map, tables (strategies as columns, metrics as rows),\n"
	"the preset's sources and how to reproduce it. Within 80 columns.\n"
	"\n"
	"  --baseline  the strategy the others are compared with (default: pri-inv when\n"
	"              run, else the first correct one)\n"
	"  --full      a table for every cell (a sweep of more than 4 cells shows only\n"
	"              its answer and map without it)\n"
	"  --fail-on   after the report, exit 3 when a strategy is broken in some cell\n"
	"              (broken), or worse than the baseline on some metric (worse), or\n"
	"              either (broken,worse); the finding is named on stderr\n"
	"\n"
	"examples:\n"
	"  svabench report e12 | mail -s 'Fix A vs Fix B' linux-mm@kvack.org\n"
	"  svabench report e12 --baseline notifier --full > e12.txt\n"
	"  svabench report e12 --fail-on broken,worse >/dev/null || echo regression\n"
	"\n"
	"exit status: 0 printed, 1 the daemon could not answer, 2 bad usage or unknown\n"
	"ID, 3 the --fail-on condition holds\n";

struct report_args {
	const char *baseline;
	int full;
	int fail_on;
};

/* --baseline S, --full, --fail-on C */
static int report_option(void *ctx, int argc, char **argv, int *i)
{
	struct report_args *ra = ctx;
	const char *v = NULL;
	int rc;

	if (!strcmp(argv[*i], "--full")) {
		ra->full = 1;
		return CLI_OPT_TAKEN;
	}
	rc = cli_option_value("--fail-on", argc, argv, i, &v);
	if (rc < 0) {
		cli_error("report: --fail-on needs broken, worse or broken,worse");
		return CLI_OPT_USAGE;
	}
	if (rc)
		return cli_fail_on_parse("report", v, &ra->fail_on) ? CLI_OPT_BAD : CLI_OPT_TAKEN;
	rc = cli_option_value("--baseline", argc, argv, i, &ra->baseline);
	if (rc < 0)
		cli_error("report: --baseline needs a strategy");
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct report_args ra = {0};
	const struct cli_cmd cmd = {.name = "report", .usage = usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .option = report_option, .ctx = &ra};
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
	rc = path ? client_call(c, "GET", path, NULL, 0, &r) : EXIT_RUN_FAILED;
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
		rc = path ? client_call_json(c, "GET", path, NULL, 0, &cmp) : EXIT_RUN_FAILED;
		free(path);
		if (rc == EXIT_OK)
			rc = cli_fail_on_check(cmp, ra.fail_on);
		json_decref(cmp);
	}
	client_close(c);
	return rc;
}
