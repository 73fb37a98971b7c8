/*
 * cancel.c - `svabench cancel ID`: svabenchd drops the experiment's queued
 * runs and kills its running ones. Cancelling a finished experiment is a
 * conflict (409), reported and exit 1.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: svabench cancel ID [--server URL] [--var DIR]\n";

int cmd_cancel(int argc, char **argv)
{
	struct client_opts o = {0};
	const char *id = NULL;
	struct client_response r = {0};
	struct client *c;
	char *path;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		rc = client_option(&o, argc, argv, &i);
		if (rc < 0)
			goto usage;
		if (rc)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			cli_error("cancel: unknown option '%s'", a);
			goto usage;
		} else if (id) {
			cli_error("cancel: one ID at most, got '%s' and '%s'", id, a);
			goto usage;
		} else {
			id = a;
		}
	}
	if (!id) {
		cli_error("cancel: missing ID (as submit printed it, or from svabench list)");
		goto usage;
	}
	c = client_open(&o);
	if (!c)
		return EXIT_USAGE;
	path = client_experiment_path(id, "/cancel");
	if (!path) {
		client_close(c);
		return EXIT_RUN_FAILED;
	}
	if (client_request(c, "POST", path, NULL, 0, &r)) {
		rc = EXIT_RUN_FAILED;
	} else if (r.status < 200 || r.status > 299) {
		rc = client_fail(c, &r);
	} else {
		/* The answer may say what became of it; any 2xx is a cancel. */
		json_t *answer = json_loadb(r.body, r.len, 0, NULL);
		const json_t *exp = json_object_get(answer, "experiment");
		const char *status = json_string_value(json_object_get(exp ? exp : answer, "status"));

		/* Running runs may take a moment to be stopped. */
		printf("%s %s\n", id, !status || !strcmp(status, "cancelled") ? "cancelled"
									: "cancelling");
		rc = fflush(stdout) ? EXIT_RUN_FAILED : EXIT_OK;
		json_decref(answer);
	}
	client_response_free(&r);
	free(path);
	client_close(c);
	return rc;
usage:
	fputs(usage, stderr);
	return EXIT_USAGE;
}
