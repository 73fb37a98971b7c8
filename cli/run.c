/*
 * run.c - `svabench run [--offline] SPEC|- [--json] [--jobs N] [--wide]`:
 * validates a spec, runs every run in this process on worker threads (a
 * progress line with an ETA on a terminal), and prints the comparison
 * table or the result document; without --offline it submits the spec to
 * svabenchd and waits for it instead. A bad spec runs nothing.
 */
#include "cli.h"
#include "../core/core.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JOBS_MAX 1024

static const char usage[] =
	"usage: svabench run SPEC|- [--json] [--wide] [--timeout S] [--server URL] [--var DIR]\n"
	"       svabench run --offline SPEC|- [--json] [--jobs N] [--wide]\n";

struct progress {
	struct timespec start;
	int tty;
	int shown;
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A progress line on a terminal, once the runs have taken over a second. */
static void show_progress(void *ctx, size_t done, size_t total)
{
	struct progress *p = ctx;
	double t = since(&p->start);

	if (!p->tty || t <= 1.0)
		return;
	if (done && done < total)
		fprintf(stderr, "\rrunning %zu/%zu runs, %.1f s, ETA %.0f s\033[K", done, total, t,
			ceil(t * (double)(total - done) / (double)done));
	else
		fprintf(stderr, "\rrunning %zu/%zu runs, %.1f s\033[K", done, total, t);
	fflush(stderr);
	p->shown = 1;
}

static int parse_jobs(const char *arg, int *jobs)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > JOBS_MAX) {
		cli_error("--jobs: '%s' is not a number of threads 1..%d", arg, JOBS_MAX);
		return -1;
	}
	*jobs = (int)n;
	return 0;
}

static int usage_error(void)
{
	fputs(usage, stderr);
	return EXIT_USAGE;
}

/*
 * Without --offline: submits the spec to svabenchd (saying so), waits for
 * it, and prints what show prints. The exit status.
 */
static int run_on_daemon(const struct client_opts *co, const char *path, int as_json, int wide,
			 double timeout_s)
{
	struct client *c;
	char id[256], *spec, *doc_path;
	json_t *doc = NULL;
	size_t len;
	int rc;

	spec = client_read_input(path, "spec", SPEC_MAX_BYTES, &len);
	if (!spec)
		return EXIT_USAGE;
	c = client_open(co);
	if (!c) {
		free(spec);
		return EXIT_USAGE;
	}
	rc = client_create(c, "/api/v1/experiments", spec, len, id, sizeof(id));
	free(spec);
	if (rc != EXIT_OK) {
		fprintf(stderr, "(start svabenchd with `make run`, or run it here with "
			"`svabench run --offline %s`)\n", path);
		client_close(c);
		return rc;
	}
	fprintf(stderr, "submitted to svabenchd at %s as %s; waiting for it (Ctrl-C stops "
		"waiting, not the experiment)\n", client_url(c), id);
	rc = client_wait(c, id, timeout_s);
	doc_path = client_experiment_path(id, "");
	if (rc == EXIT_OK || rc == EXIT_RUN_FAILED) {
		int got = client_call_json(c, "GET", doc_path, NULL, 0, &doc);

		if (got == EXIT_OK && as_json) {
			if (json_print(stdout, doc))
				rc = EXIT_RUN_FAILED;
		} else if (got == EXIT_OK) {
			int trc = cli_print_table(doc, id, wide);

			if (trc)
				rc = trc;
		}
	}
	json_decref(doc);
	free(doc_path);
	client_close(c);
	return rc;
}

/* Runs a validated spec and prints its results; the exit status. */
static int run_spec(const struct spec *s, int as_json, int jobs, int wide)
{
	struct progress prog = {.tty = isatty(STDERR_FILENO)};
	struct runner_opts o = {.jobs = jobs, .progress = show_progress, .ctx = &prog};
	struct results *r = results_new(s);
	char msg[256];
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	rc = runner_run(r, &o, msg, sizeof(msg));
	if (prog.shown)
		fputs("\r\033[K", stderr);
	if (rc) {
		cli_error("%s", msg);
		results_free(r);
		return EXIT_RUN_FAILED;
	}
	if (as_json) {
		rc = result_write_json(stdout, r, "offline");
	} else {
		result_print_table_width(stdout, r, cli_columns(wide));
		rc = fflush(stdout) || ferror(stdout) ? -1 : 0;
	}
	if (rc) {
		cli_error("cannot write the results");
		rc = EXIT_RUN_FAILED;
	} else {
		/* Failed, or left pending because memory ran out. */
		rc = r->ndone == s->nruns ? EXIT_OK : EXIT_RUN_FAILED;
	}
	results_free(r);
	return rc;
}

struct run_args {
	int offline, as_json, jobs, wide;
	double timeout_s;
};

enum { RUN_TIMEOUT = CLI_OPT_ID, RUN_WIDE, RUN_OFFLINE, RUN_JSON, RUN_JOBS };

static const struct option run_options[] = {
	{"timeout", required_argument, NULL, RUN_TIMEOUT},
	{"wide", no_argument, NULL, RUN_WIDE},
	{"offline", no_argument, NULL, RUN_OFFLINE},
	{"json", no_argument, NULL, RUN_JSON},
	{"jobs", required_argument, NULL, RUN_JOBS},
	{0},
};

static int run_option(void *ctx, int id, const char *value)
{
	struct run_args *ra = ctx;

	switch (id) {
	case RUN_TIMEOUT:
		return cli_timeout_value(value, &ra->timeout_s);
	case RUN_WIDE:
		ra->wide = 1;
		break;
	case RUN_OFFLINE:
		ra->offline = 1;
		break;
	case RUN_JSON:
		ra->as_json = 1;
		break;
	default:
		if (!value) {
			cli_error("--jobs needs a number of threads");
			return CLI_OPT_USAGE;
		}
		if (parse_jobs(value, &ra->jobs))
			return CLI_OPT_BAD;
	}
	return CLI_OPT_TAKEN;
}

int cmd_run(int argc, char **argv)
{
	struct run_args ra = {0};
	const struct cli_cmd cmd = {.name = "run", .usage = usage, .arg = "SPEC",
				    .hint = "a JSON file, or - for standard input", .dashdash = 1,
				    .options = run_options, .option = run_option, .ctx = &ra};
	const char *path;
	struct client_opts co = {0};
	struct spec_error err;
	struct spec *s;
	size_t len;
	char *buf;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &co, &path);
	if (rc != CLI_PARSED)
		return rc;
	if (!ra.offline && ra.jobs) {
		cli_error("run: --jobs goes with --offline (svabenchd has --workers)");
		return usage_error();
	}
	if (ra.offline && (co.server || co.var || ra.timeout_s > 0)) {
		cli_error("run: --server, --var and --timeout talk to svabenchd; not with --offline");
		return usage_error();
	}
	if (!ra.offline)
		return run_on_daemon(&co, path, ra.as_json, ra.wide, ra.timeout_s);
	buf = client_read_input(path, "spec", SPEC_MAX_BYTES, &len);
	if (!buf)
		return EXIT_USAGE;
	s = spec_parse(buf, len, &err);
	free(buf);
	if (!s) {
		if (err.field[0])
			cli_error("%s: %s", err.field, err.msg);
		else
			cli_error("%s", err.msg);
		return EXIT_USAGE;
	}
	rc = run_spec(s, ra.as_json, ra.jobs, ra.wide);
	spec_free(s);
	return rc;
}
