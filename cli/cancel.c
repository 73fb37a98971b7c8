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
	static const struct cli_cmd cmd = {
		.name = "cancel", .usage = usage, .arg = "ID", .hint = CLI_ID_HINT};
	struct client_response r;
	const char *id;
	struct client *c;
	char *path;
	int rc;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	path = client_experiment_path(id, "/cancel");
	rc = client_call(c, "POST", path, NULL, 0, &r);
	if (rc == EXIT_OK) {
		/* The answer may say what became of it; any 2xx is a cancel. */
		json_t *answer = json_loadb(r.body, r.len, 0, NULL);
		const json_t *exp = json_object_get(answer, "experiment");
		const char *status = json_string_value(json_object_get(exp ? exp : answer, "status"));

		/* Running runs may take a moment to be stopped. */
		printf("%s %s\n", id, !status || !strcmp(status, "cancelled") ? "cancelled"
									 : "cancelling");
		rc = fflush(stdout) ? EXIT_RUN_FAILED : EXIT_OK;
		json_decref(answer);
		client_response_free(&r);
	}
	free(path);
	client_close(c);
	return rc;
}
