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

int cmd_report(int argc, char **argv)
{
	struct client_opts o = {0};
	const char *id = NULL, *baseline = NULL;
	struct client_response r;
	struct client *c;
	char *eid = NULL, *ebase = NULL, *path = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		rc = client_option(&o, argc, argv, &i);
		if (rc < 0)
			goto usage;
		if (rc)
			continue;
		if (!strcmp(a, "--baseline") || !strncmp(a, "--baseline=", 11)) {
			if (a[10] == '=') {
				baseline = a + 11;
			} else if (i + 1 < argc) {
				baseline = argv[++i];
			} else {
				cli_error("report: --baseline needs a strategy");
				goto usage;
			}
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (a[0] == '-' && a[1]) {
			cli_error("report: unknown option '%s'", a);
			goto usage;
		} else if (id) {
			cli_error("report: one ID at most, got '%s' and '%s'", id, a);
			goto usage;
		} else {
			id = a;
		}
	}
	if (!id) {
		cli_error("report: missing ID (as submit printed it, or from svabench list)");
		goto usage;
	}
	c = client_open(&o);
	if (!c)
		return EXIT_USAGE;
	eid = client_escape(id);
	ebase = baseline ? client_escape(baseline) : NULL;
	path = eid && (!baseline || ebase) ? malloc(strlen(eid) + (ebase ? strlen(ebase) : 0) + 64)
					  : NULL;
	if (!path) {
		cli_error("out of memory");
		rc = EXIT_RUN_FAILED;
		goto out;
	}
	sprintf(path, "/api/v1/experiments/%s/report%s%s", eid, ebase ? "?baseline=" : "",
		ebase ? ebase : "");
	if (client_request(c, "GET", path, NULL, 0, &r)) {
		rc = EXIT_RUN_FAILED;
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		rc = client_fail(c, &r);
	} else {
		rc = EXIT_OK;
		if (fwrite(r.body, 1, r.len, stdout) != r.len || fflush(stdout)) {
			cli_error("cannot write the report");
			rc = EXIT_RUN_FAILED;
		}
	}
	client_response_free(&r);
out:
	free(path);
	free(eid);
	free(ebase);
	client_close(c);
	return rc;
usage:
	fputs(usage, stderr);
	return EXIT_USAGE;
}
