/*
 * test_robustness.c - the robustness analysis (core/robustness.c):
 *  - a planted break-even: rw-reuse without host jitter is deterministic
 *    (sequential device, no CPU agents), and notifier's cost over
 *    pri-inv's rises smoothly with cmd_sync_ns (notifier waits for each
 *    CMD_SYNC under the page-table lock, pipelined pri-inv does not). At
 *    cmd_sync_ns 60 the two are within noise; somewhere below 240 pri-inv
 *    starts to win. A direct sweep of cmd_sync_ns (an ordinary
 *    spec over every integer 60..240, compared as `compare` does) puts the
 *    flip between two steps;
 *    the analysis' bisection must land within 1 % of them;
 *  - the same analysis twice gives the same document;
 *  - an input that does not matter (cmd_cfgi_cd_ns: binding only) holds;
 *  - the budget bounds the runs and says the analysis is incomplete;
 *  - unknown and non-numeric inputs are refused naming them.
 */
#include "../harness.h"
#include "../../core/robustness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE "\"target\": \"sim\", \"workload\": \"rw-reuse\", \"strategies\": [\"pri-inv\", \"notifier\"]," \
	     " \"repetitions\": 4, \"seed\": 23"
#define PARAMS "\"duration_us\": 5000, \"sample_us\": 1000, \"host_jitter\": 0, \"cmdq_issue_ns\": 15"

static struct spec *parse(const char *text)
{
	struct spec_error e;
	struct spec *s = spec_parse(text, strlen(text), &e);

	if (!s)
		printf("# spec refused: %s: %s\n", e.field, e.msg);
	return s;
}

/* Where a direct sweep of cmd_sync_ns over every integer from 60 to 240
 * (steps under 1 % above 100) first shows
 * pri-inv winning on cost.total_ns_per_op: *lo (the last step without)
 * and *hi (the first with). 0, or -1. */
static int direct_sweep(double *lo, double *hi)
{
	char text[8192];
	size_t n;
	struct spec *s;
	struct results *r;
	struct runner_opts ro = {.jobs = 2};
	struct compare_opts co;
	const char *metric[1] = {"cost.total_ns_per_op"};
	char err[512];
	json_t *cmp;
	int found = -1;
	double prev = NAN;

	n = (size_t)snprintf(text, sizeof(text), "{" BASE ", \"params\": {" PARAMS ", \"cmd_sync_ns\": [");
	for (int i = 60; i <= 240; i++) /* an integer parameter: every value, < 1 % apart */
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%d", i > 60 ? ", " : "", i);
	snprintf(text + n, sizeof(text) - n, "]}}");
	s = parse(text);
	r = s ? results_new(s) : NULL;
	if (!r || runner_run(r, &ro, err, sizeof(err)) || r->nfailed) {
		results_free(r);
		spec_free(s);
		return -1;
	}
	compare_defaults(&co);
	co.metrics = metric;
	co.nmetrics = 1;
	cmp = compare_json(r, NULL, &co, err, sizeof(err));
	for (size_t c = 0; cmp && c < s->ncells && found < 0; c++) {
		json_t *cell = json_array_get(json_object_get(cmp, "cells"), c);
		const char *v = json_string_value(json_object_get(json_object_get(json_object_get(
			json_object_get(cell, "strategies"), "notifier"), metric[0]), "verdict"));
		double x = json_number_value(json_object_get(json_object_get(cell, "cell"), "cmd_sync_ns"));

		if (v && !strcmp(v, "worse")) {
			*lo = prev;
			*hi = x;
			found = 0;
		}
		prev = x;
	}
	json_decref(cmp);
	results_free(r);
	spec_free(s);
	return found;
}

static const json_t *input_of(const json_t *doc, const char *name)
{
	return json_object_get(json_object_get(json_array_get(json_object_get(doc, "cells"), 0),
					       "inputs"), name);
}

int main(void)
{
	static const char planted[] = "{" BASE ", \"params\": {" PARAMS ", \"cmd_sync_ns\": 60}}";
	const char *inputs[] = {"cmd_sync_ns", "cmd_cfgi_cd_ns"};
	struct spec *s = parse(planted);
	struct robust_opts o;
	char err[512] = "";
	json_t *a, *b;
	const json_t *in, *be, *cell;
	double lo = NAN, hi = NAN, x;

	if (!s)
		return test_exit();
	robust_defaults(&o);
	o.no_assumed = 1;
	o.inputs = inputs;
	o.ninputs = 2;
	a = robustness_json(s, "p1", &o, err, sizeof(err));
	if (!a) {
		test_result(0, "robustness: the planted analysis runs", "%s", err);
		spec_free(s);
		return test_exit();
	}
	cell = json_array_get(json_object_get(a, "cells"), 0);
	in = input_of(a, "cmd_sync_ns");
	be = json_object_get(in, "break_even_above");
	x = json_number_value(json_object_get(be, "value"));
	test_result(json_is_null(json_object_get(json_object_get(cell, "nominal"), "winner")) &&
		    json_is_false(json_object_get(in, "holds")) &&
		    !strcmp(json_string_value(json_object_get(be, "winner_beyond")), "pri-inv") &&
		    json_is_true(json_object_get(be, "precise")) &&
		    json_is_false(json_object_get(cell, "robust")) &&
		    strstr(json_string_value(json_object_get(cell, "statement")), "cmd_sync_ns >"),
		    "robustness: within noise at cmd_sync_ns 60, pri-inv wins above a break-even "
		    "found by bisection", "%s", json_string_value(json_object_get(cell, "statement")));
	if (direct_sweep(&lo, &hi))
		lo = hi = NAN;
	printf("# break-even: bisection %g, the direct sweep flips between %g and %g\n", x, lo, hi);
	test_result(x >= lo / 1.01 && x <= hi * 1.01,
		    "robustness: the planted break-even is within 1 % of where a direct sweep "
		    "(every integer) puts it", "bisection %g, sweep between %g and %g", x, lo, hi);
	test_result(json_is_true(json_object_get(input_of(a, "cmd_cfgi_cd_ns"), "holds")),
		    "robustness: an input that does not matter (cmd_cfgi_cd_ns) holds over x1/4..x4",
		    "%s", "holds false");

	b = robustness_json(s, "p1", &o, err, sizeof(err));
	{
		char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
		char *tb = b ? json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

		test_result(ta && tb && !strcmp(ta, tb), "robustness: the same analysis twice gives "
			    "identical output", "%s", b ? "differ" : err);
		free(ta);
		free(tb);
	}
	json_decref(a);
	json_decref(b);

	/* 8 runs a side-by-side evaluation (2 x 4): a budget of 20 allows 2 */
	o.budget = 20;
	a = robustness_json(s, "p1", &o, err, sizeof(err));
	test_result(a && json_is_false(json_object_get(a, "complete")) &&
		    json_integer_value(json_object_get(a, "runs_used")) <= 20 &&
		    json_integer_value(json_object_get(a, "runs_used")) > 0,
		    "robustness: the budget bounds the runs and the analysis says it is incomplete",
		    "%s", a ? "unbounded" : err);
	json_decref(a);

	o.budget = ROBUST_BUDGET;
	inputs[1] = "no_such_knob";
	err[0] = '\0';
	a = robustness_json(s, "p1", &o, err, sizeof(err));
	test_result(!a && strstr(err, "no_such_knob"), "robustness: an unknown input is refused "
		    "naming it", "'%s'", err);
	json_decref(a);
	inputs[1] = "pattern";
	err[0] = '\0';
	a = robustness_json(s, "p1", &o, err, sizeof(err));
	test_result(!a && strstr(err, "pattern") && strstr(err, "not numeric"),
		    "robustness: a non-numeric input is refused", "'%s'", err);
	json_decref(a);
	spec_free(s);
	return test_exit();
}
