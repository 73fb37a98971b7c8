/*
 * robustness.c - `svabench robustness`: does each cell's verdict survive
 * other guesses of the assumed inputs (core/robustness.c)?
 *
 *   svabench robustness ID [--budget N] [--input NAME]... [--metric M]
 *                          [--baseline S] [--tol X] [--json] [--timeout S]
 *       asks svabenchd (POST /api/v1/experiments/ID/robustness), waits for
 *       the analysis and prints it;
 *   svabench robustness --offline SPEC|- [same options] [--jobs N]
 *       runs the analysis in this process.
 */
#include "cli.h"
#include "../core/robustness.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: svabench robustness ID [--budget N] [--input NAME]... [--metric M]\n"
	"                           [--baseline S] [--tol X] [--json] [--timeout S]\n"
	"       svabench robustness --offline SPEC|- [same options] [--jobs N]\n"
	"  moves each assumed preset value (and each --input) of the experiment's\n"
	"  sim cells from x1/4 to x4, re-runs the cells with the same seeds and says\n"
	"  per cell whether the verdict on the metric (cost.total_ns_per_op) holds,\n"
	"  else the break-even found by bisection (to --tol, 0.01); --budget caps\n"
	"  the runs (100000)\n";

#define POLL_MS 200

struct args {
	const char *arg, *metric, *baseline;
	const char *inputs[ROBUST_INPUTS_MAX];
	size_t ninputs;
	long budget;
	double tol;
	int offline, json, jobs;
	double timeout_s;
	struct client_opts client;
};

static int bad(const char *fmt, const char *what)
{
	cli_error(fmt, what);
	return -1;
}

enum { R_OFFLINE = CLI_OPT_ID, R_JSON, R_BUDGET, R_TOL, R_TIMEOUT, R_JOBS, R_INPUT, R_METRIC,
       R_BASELINE };

/* cli_parse adds --server, --var and --help */
static const struct option options[] = {
	{"offline", no_argument, NULL, R_OFFLINE},
	{"json", no_argument, NULL, R_JSON},
	{"budget", required_argument, NULL, R_BUDGET},
	{"tol", required_argument, NULL, R_TOL},
	{"timeout", required_argument, NULL, R_TIMEOUT},
	{"jobs", required_argument, NULL, R_JOBS},
	{"input", required_argument, NULL, R_INPUT},
	{"metric", required_argument, NULL, R_METRIC},
	{"baseline", required_argument, NULL, R_BASELINE},
	{0},
};

/* One option with its value v (NULL: missing); 0, or -1 after a message. */
static int option(struct args *a, int id, const char *v)
{
	char *end = "";

	errno = 0;
	switch (id) {
	case R_OFFLINE:
		a->offline = 1;
		return 0;
	case R_JSON:
		a->json = 1;
		return 0;
	case R_BUDGET:
		a->budget = v ? strtol(v, &end, 10) : -1;
		if (errno || *end || a->budget < 1 || a->budget > ROBUST_BUDGET_MAX)
			return bad("--budget: a number of runs 1..10000000, got '%s'", v ? v : "");
		return 0;
	case R_TOL:
		a->tol = v ? strtod(v, &end) : -1;
		if (*end || !(a->tol > 0 && a->tol <= 0.5))
			return bad("--tol: a relative precision above 0 up to 0.5, got '%s'", v ? v : "");
		return 0;
	case R_TIMEOUT:
		a->timeout_s = v ? strtod(v, &end) : -1;
		if (*end || !(a->timeout_s > 0))
			return bad("--timeout: seconds above 0, got '%s'", v ? v : "");
		return 0;
	case R_JOBS:
		a->jobs = v ? (int)strtol(v, &end, 10) : -1;
		if (*end || a->jobs < 1 || a->jobs > 1024)
			return bad("--jobs: a number of threads 1..1024, got '%s'", v ? v : "");
		return 0;
	case R_INPUT:
		if (!v || !*v)
			return bad("--input needs a parameter name%s", "");
		if (a->ninputs == ROBUST_INPUTS_MAX)
			return bad("--input: at most 64%s", "");
		a->inputs[a->ninputs++] = v;
		return 0;
	case R_METRIC:
		if (!v || !*v)
			return bad("--metric needs a metric name%s", "");
		a->metric = v;
		return 0;
	default:
		if (!v || !*v)
			return bad("--baseline needs a strategy name%s", "");
		a->baseline = v;
		return 0;
	}
}

static int robustness_option(void *ctx, int id, const char *value)
{
	return option(ctx, id, value) ? CLI_OPT_USAGE : CLI_OPT_TAKEN;
}

/* The analysis as text: the answer first (robustness_summary: robust, or
 * which inputs flip the verdict, most cells first), the pair and metric,
 * then one line per cell. */
static void print_text(const json_t *d)
{
	json_t *sum = robustness_summary(d), *c, *in;
	size_t k;

	if (sum && !json_integer_value(json_object_get(sum, "cells_changed"))) {
		printf("robust: %s: no input flips the verdict in any of the %lld cells\n",
		       json_is_true(json_object_get(sum, "robust")) ? "yes" : "so far (incomplete)",
		       (long long)json_integer_value(json_object_get(sum, "cells")));
	} else if (sum) {
		printf("robust: no: %zu input%s flip%s the verdict in %lld of %lld cells; most:",
		       json_array_size(json_object_get(sum, "flips")),
		       json_array_size(json_object_get(sum, "flips")) == 1 ? "" : "s",
		       json_array_size(json_object_get(sum, "flips")) == 1 ? "s" : "",
		       (long long)json_integer_value(json_object_get(sum, "cells_changed")),
		       (long long)json_integer_value(json_object_get(sum, "cells")));
		json_array_foreach(json_object_get(sum, "flips"), k, in) {
			if (k == 3) {
				printf(", ...");
				break;
			}
			printf("%s %s (%lld cell%s)", k ? "," : "", json_string_value(json_object_get(in, "input")),
			       (long long)json_integer_value(json_object_get(in, "cells")),
			       json_integer_value(json_object_get(in, "cells")) == 1 ? "" : "s");
		}
		printf("\n");
	}
	json_decref(sum);

	printf("robustness of %s vs %s on %s (%s is better), %s\n",
	       json_string_value(json_object_get(d, "b")), json_string_value(json_object_get(d, "a")),
	       json_string_value(json_object_get(d, "metric")),
	       json_string_value(json_object_get(d, "better")),
	       json_string_value(json_object_get(d, "range")));
	printf("inputs:");
	json_array_foreach(json_object_get(d, "inputs"), k, in)
		printf("%s %s", k ? "," : "", json_string_value(json_object_get(in, "name")));
	printf("\nruns: %lld used of %lld planned (budget %lld)%s\n",
	       (long long)json_integer_value(json_object_get(d, "runs_used")),
	       (long long)json_integer_value(json_object_get(d, "runs_planned")),
	       (long long)json_integer_value(json_object_get(d, "budget")),
	       json_is_true(json_object_get(d, "complete")) ? "" : ", stopped by the budget");
	json_array_foreach(json_object_get(d, "cells"), k, c) {
		const char *key, *st = json_string_value(json_object_get(c, "statement"));
		json_t *v;
		int first = 1;

		printf("cell %zu:", k + 1);
		json_object_foreach(json_object_get(c, "cell"), key, v) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);

			printf("%s %s=%s", first ? "" : ",", key, t ? t : "?");
			free(t);
			first = 0;
		}
		printf("%s\n  %s\n", first ? " (no swept parameters)" : "",
		       st ? st : json_string_value(json_object_get(c, "skipped")));
	}
}

static int print_doc(const json_t *d, int as_json)
{
	if (as_json)
		return json_print(stdout, d) ? EXIT_RUN_FAILED : EXIT_OK;
	print_text(d);
	return fflush(stdout) ? EXIT_RUN_FAILED : EXIT_OK;
}

static void opts_of(const struct args *a, struct robust_opts *o)
{
	robust_defaults(o);
	if (a->budget > 0)
		o->budget = a->budget;
	if (a->tol > 0)
		o->tol = a->tol;
	o->metric = a->metric;
	o->baseline = a->baseline;
	o->inputs = a->inputs;
	o->ninputs = a->ninputs;
	o->jobs = a->jobs;
}

static void show_progress(void *ctx, long done, long planned)
{
	if (*(int *)ctx) {
		fprintf(stderr, "\rrobustness: %ld of at least %ld runs", done, planned);
		fflush(stderr);
	}
}

static int offline(const struct args *a)
{
	struct robust_opts o;
	struct spec_error e;
	struct spec *s;
	size_t len = 0;
	char *text = client_read_input(a->arg, "spec", SPEC_MAX_BYTES, &len), err[512] = "";
	int tty = isatty(STDERR_FILENO), rc;
	json_t *d;

	if (!text)
		return EXIT_USAGE;
	s = spec_parse(text, len, &e);
	free(text);
	if (!s) {
		cli_error("%s%s%s", e.field, e.field[0] ? ": " : "", e.msg);
		return EXIT_USAGE;
	}
	if (strcmp(s->target->name, "sim")) {
		cli_error("target: robustness re-runs cells with other preset values: sim only, "
			  "not %s", s->target->name);
		spec_free(s);
		return EXIT_USAGE;
	}
	opts_of(a, &o);
	o.progress = show_progress;
	o.ctx = &tty;
	d = robustness_json(s, NULL, &o, err, sizeof(err));
	if (tty)
		fputs("\r\033[K", stderr);
	spec_free(s);
	if (!d) {
		cli_error("%s", err);
		return strstr(err, "out of memory") ? EXIT_RUN_FAILED : EXIT_USAGE;
	}
	rc = print_doc(d, a->json);
	json_decref(d);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int online(const struct args *a)
{
	struct client *c = client_open(&a->client);
	char *path = c ? client_experiment_path(a->arg, "/robustness") : NULL, *body;
	json_t *req = json_object(), *d = NULL, *inputs = json_array();
	struct timespec t0, now;
	int rc = EXIT_RUN_FAILED;

	if (!c || !req || !inputs)
		goto out;
	for (size_t i = 0; i < a->ninputs; i++)
		json_array_append_new(inputs, json_string(a->inputs[i]));
	json_object_set(req, "inputs", inputs);
	if (a->budget > 0)
		json_object_set_new(req, "budget", json_integer(a->budget));
	if (a->tol > 0)
		json_object_set_new(req, "tol", json_real(a->tol));
	if (a->metric)
		json_object_set_new(req, "metric", json_string(a->metric));
	if (a->baseline)
		json_object_set_new(req, "baseline", json_string(a->baseline));
	body = json_dumps(req, JSON_COMPACT);
	if (!body)
		goto out;
	rc = client_call_json(c, "POST", path, body, strlen(body), &d);
	free(body);
	if (rc)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		const char *st = json_string_value(json_object_get(d, "status"));
		double waited;

		if (st && !strcmp(st, "done")) {
			rc = print_doc(json_object_get(d, "result"), a->json);
			break;
		}
		if (st && strcmp(st, "running") && strcmp(st, "queued")) {
			cli_error("robustness of %s %s: %s", a->arg, st,
				  json_string_value(json_object_get(d, "error")) ?
					  json_string_value(json_object_get(d, "error")) : "no reason");
			rc = EXIT_RUN_FAILED;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (a->timeout_s > 0 && waited > a->timeout_s) {
			cli_error("robustness of %s: not done after %g s (it goes on in svabenchd)",
				  a->arg, a->timeout_s);
			rc = EXIT_RUN_FAILED;
			break;
		}
		sleep_ms(POLL_MS);
		json_decref(d);
		d = NULL;
		rc = client_call_json(c, "GET", path, NULL, 0, &d);
		if (rc)
			break;
	}
out:
	json_decref(d);
	json_decref(req);
	json_decref(inputs);
	free(path);
	client_close(c);
	return rc;
}

int cmd_robustness(int argc, char **argv)
{
	struct args a = {0};
	const struct cli_cmd cmd = {.name = "robustness", .usage = usage, .arg = "ID or SPEC",
				    .args = CLI_ARG_OPTIONAL, .options = options,
				    .option = robustness_option, .ctx = &a};
	int rc = cli_parse(&cmd, argc, argv, &a.client, &a.arg);

	if (rc != CLI_PARSED)
		return rc;
	if (!a.arg) {
		bad("robustness: missing %s", a.offline ? "SPEC (a file, or - for standard input)" :
							  "ID (" CLI_ID_HINT ")");
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	return a.offline ? offline(&a) : online(&a);
}
