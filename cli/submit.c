/*
 * submit.c - `svabench submit SPEC|- [--wait [--timeout S]]`: hands a spec
 * to svabenchd, which validates it, persists its runs and queues them.
 * Prints the new experiment's id; --wait then waits like `svabench wait`.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: svabench submit SPEC|- [--wait [--timeout S]] [--server URL] [--var DIR]\n";

struct submit_opts {
	int wait;
	double timeout_s;
};

enum { SUBMIT_WAIT = CLI_OPT_ID, SUBMIT_TIMEOUT };

static const struct option submit_options[] = {
	{"wait", no_argument, NULL, SUBMIT_WAIT},
	{"timeout", required_argument, NULL, SUBMIT_TIMEOUT},
	{0},
};

static int submit_option(void *ctx, int id, const char *value)
{
	struct submit_opts *so = ctx;

	if (id == SUBMIT_WAIT) {
		so->wait = 1;
		return CLI_OPT_TAKEN;
	}
	return cli_timeout_value(value, &so->timeout_s);
}

int cmd_submit(int argc, char **argv)
{
	struct submit_opts so = {0};
	const struct cli_cmd cmd = {.name = "submit", .usage = usage, .arg = "SPEC",
				    .hint = "a JSON file, or - for standard input",
				    .dashdash = 1, .options = submit_options, .option = submit_option,
				    .ctx = &so};
	struct client_opts o = {0};
	const char *path;
	struct client *c;
	char id[256];
	size_t len;
	char *spec;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &o, &path);
	if (rc != CLI_PARSED)
		return rc;
	if (so.timeout_s > 0 && !so.wait) {
		cli_error("submit: --timeout goes with --wait");
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	spec = client_read_input(path, "spec", SPEC_MAX_BYTES, &len);
	if (!spec)
		return EXIT_USAGE;
	c = client_open(&o);
	if (!c) {
		free(spec);
		return EXIT_USAGE;
	}
	rc = client_create(c, "/api/v1/experiments", spec, len, id, sizeof(id));
	free(spec);
	if (rc == EXIT_OK) {
		printf("%s\n", id);
		if (fflush(stdout)) {
			cli_error("cannot write the id");
			rc = EXIT_RUN_FAILED;
		} else if (so.wait) {
			rc = client_wait(c, id, so.timeout_s);
		}
	}
	client_close(c);
	return rc;
}
