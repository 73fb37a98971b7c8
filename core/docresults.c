/*
 * docresults.c - a result document (api.md) back into core's results, so
 * `svabench show` prints the comparison table `run --offline` prints and
 * the daemon's analysis (comparison, report, plots) works on stored results. The
 * spec is parsed again here and each run of the document is put at its
 * place in the plan, found by cell, repetition and strategy rather than
 * by position, so a document need not list its runs in plan order.
 */
#include "core.h"
#include "../lib/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The plan index of a document run, or -1 when it is not in s's plan. */
static long plan_index(const struct spec *s, const json_t *run, size_t j)
{
	const char *strategy = json_string_value(json_object_get(run, "strategy"));
	const json_t *rep = json_object_get(run, "repetition");
	const json_t *cell = json_object_get(run, "cell");
	size_t per_cell = (size_t)s->repetitions * s->nstrategies, c, i;
	int k = -1, st;
	json_int_t r;

	if (!strategy || !json_is_integer(rep) || !json_is_object(cell))
		return -1;
	st = target_strategy_index(s->target, strategy);
	for (size_t x = 0; x < s->nstrategies && st >= 0; x++)
		if (s->strategies[x] == st)
			k = (int)x;
	r = json_integer_value(rep);
	if (k < 0 || r < 0 || r >= s->repetitions)
		return -1;
	/* The cell where plan order puts it, else search. */
	c = j / per_cell;
	if (c >= s->ncells || !json_equal(s->cells[c], (json_t *)cell)) {
		for (c = 0; c < s->ncells; c++)
			if (json_equal(s->cells[c], (json_t *)cell))
				break;
		if (c == s->ncells)
			return -1;
	}
	i = (c * (size_t)s->repetitions + (size_t)r) * s->nstrategies + (size_t)k;
	return i < s->nruns ? (long)i : -1;
}

/* Fills res from a document run. */
static void run_result_fill(struct run_result *res, const json_t *run)
{
	const json_t *metrics = json_object_get(run, "metrics");
	const json_t *examples = json_object_get(run, "examples");
	const char *reason = json_string_value(json_object_get(run, "reason"));
	const char *key;
	json_t *v;
	size_t k;

	metrics_clear(res->metrics);
	json_object_foreach((json_t *)metrics, key, v) {
		if (json_is_number(v))
			metrics_set(res->metrics, key, json_number_value(v));
		else if (json_is_null(v))
			metrics_set_null(res->metrics, key);
	}
	snprintf(res->reason, sizeof(res->reason), "%s", reason ? reason : "");
	res->nexamples = 0;
	json_array_foreach(examples, k, v) {
		if (res->nexamples == RUN_EXAMPLES_MAX)
			break;
		if (json_is_string(v))
			snprintf(res->examples[res->nexamples++], sizeof(res->examples[0]), "%s",
				 json_string_value(v));
	}
}

int doc_results(const json_t *doc, struct spec **sp, struct results **rp,
		char *err, size_t elen)
{
	const json_t *exp = json_object_get(doc, "experiment");
	const json_t *runs = json_object_get(doc, "runs");
	const json_t *spec_json = json_object_get(exp, "spec");
	struct run_result *res = NULL;
	struct results *r = NULL;
	struct spec_error serr;
	struct spec *s = NULL;
	char *text;
	size_t j;
	json_t *run;

	*sp = NULL;
	*rp = NULL;
	if (!json_is_object(spec_json) || !json_is_array(runs))
		return error_into(err, elen, "the document has no experiment.spec or no runs");
	text = json_dumps(spec_json, JSON_COMPACT);
	if (!text)
		return error_into(err, elen, "out of memory");
	s = spec_parse(text, strlen(text), &serr);
	free(text);
	if (!s)
		return error_into(err, elen, "the experiment's spec does not parse here: %s%s%s",
				  serr.field, serr.field[0] ? ": " : "", serr.msg);
	r = results_new(s);
	res = xcalloc(1, sizeof(*res));
	res->metrics = metrics_new();
	json_array_foreach(runs, j, run) {
		const char *status = json_string_value(json_object_get(run, "status"));
		long i = plan_index(s, run, j);

		if (i < 0) {
			error_into(err, elen, "runs[%zu] is not a run of the experiment's plan", j);
			goto fail;
		}
		/* Queued, running, cancelled, interrupted: not a result (yet). */
		if (!status || (strcmp(status, "done") && strcmp(status, "failed")))
			continue;
		run_result_fill(res, run);
		results_store(r, (size_t)i, strcmp(status, "done") ? RUN_FAILED : RUN_DONE, res);
	}
	metrics_free(res->metrics);
	free(res);
	*sp = s;
	*rp = r;
	return 0;
fail:
	metrics_free(res->metrics);
	free(res);
	results_free(r);
	spec_free(s);
	return -1;
}
