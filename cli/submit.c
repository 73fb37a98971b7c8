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

int cmd_submit(int argc, char **argv)
{
	struct client_opts o = {0};
	const char *path = NULL;
	int wait = 0, options = 1, rc;
	double timeout_s = 0;
	struct client *c;
	char id[256];
	size_t len;
	char *spec;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && !strcmp(a, "--")) {
			options = 0;
			continue;
		}
		if (options) {
			rc = client_option(&o, argc, argv, &i);
			if (rc < 0)
				goto usage;
			if (rc)
				continue;
		}
		if (options && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (options && !strcmp(a, "--wait")) {
			wait = 1;
		} else if (options && (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10))) {
			const char *v = a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i] : NULL;

			if (!v) {
				cli_error("--timeout needs a number of seconds");
				goto usage;
			}
			if (cli_parse_seconds("--timeout", v, &timeout_s))
				return EXIT_USAGE;
		} else if (options && a[0] == '-' && a[1]) {
			cli_error("submit: unknown option '%s'", a);
			goto usage;
		} else if (path) {
			cli_error("submit: one SPEC at most, got '%s' and '%s'", path, a);
			goto usage;
		} else {
			path = a;
		}
	}
	if (!path) {
		cli_error("submit: missing SPEC (a JSON file, or - for standard input)");
		goto usage;
	}
	if (timeout_s > 0 && !wait) {
		cli_error("submit: --timeout goes with --wait");
		goto usage;
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
		} else if (wait) {
			rc = client_wait(c, id, timeout_s);
		}
	}
	client_close(c);
	return rc;
usage:
	fputs(usage, stderr);
	return EXIT_USAGE;
}
