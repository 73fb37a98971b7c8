/*
 * show.c - `svabench show ID [--json]`: an experiment's result document
 * from svabenchd, as JSON or as the comparison table `run --offline`
 * prints (core's table, over the runs finished so far).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: svabench show ID [--json] [--server URL] [--var DIR]\n";

/* GETs the result document of experiment id: EXIT_OK with *doc, or the
 * exit status after a message. */
static int get_document(struct client *c, const char *id, json_t **doc)
{
	char *path = client_experiment_path(id, "");
	int rc;

	if (!path)
		return EXIT_RUN_FAILED;
	rc = client_call_json(c, "GET", path, NULL, 0, doc);
	free(path);
	return rc;
}

static int print_table(const json_t *doc, const char *id)
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
	result_print_table(stdout, r);
	results_free(r);
	spec_free(s);
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write the table");
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

int cmd_show(int argc, char **argv)
{
	struct client_opts o = {0};
	const char *id = NULL;
	int as_json = 0, rc;
	struct client *c;
	json_t *doc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		rc = client_option(&o, argc, argv, &i);
		if (rc < 0)
			goto usage;
		if (rc)
			continue;
		if (!strcmp(a, "--json")) {
			as_json = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			cli_error("show: unknown option '%s'", a);
			goto usage;
		} else if (id) {
			cli_error("show: one ID at most, got '%s' and '%s'", id, a);
			goto usage;
		} else {
			id = a;
		}
	}
	if (!id) {
		cli_error("show: missing ID (as submit printed it, or from svabench list)");
		goto usage;
	}
	c = client_open(&o);
	if (!c)
		return EXIT_USAGE;
	rc = get_document(c, id, &doc);
	client_close(c);
	if (rc)
		return rc;
	if (as_json) {
		rc = EXIT_OK;
		if (json_print(stdout, doc)) {
			cli_error("cannot write the output");
			rc = EXIT_RUN_FAILED;
		}
	} else {
		rc = print_table(doc, id);
	}
	json_decref(doc);
	return rc;
usage:
	fputs(usage, stderr);
	return EXIT_USAGE;
}
