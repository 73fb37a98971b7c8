/*
 * report_robust.c - a stored robustness analysis (robustness_json's
 * result), answer first: does the verdict survive every assumed input, and
 * if not, which inputs flip it and where (the cell, the break-even, what
 * wins beyond it). The report (report.c) prints it and the API serves it
 * beside the analysis (GET /api/v1/experiments/ID/robustness "summary"),
 * so the dashboard shows the same sentences.
 */
#include "robustness.h"
#include "report_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHERE_MAX 3   /* cells named per input */

struct flip {
	const char *name;
	size_t cells;
	double lo, hi;      /* break-evens seen */
	double near;        /* the nearest break-even's |ln(break-even / the cell's value)| */
	size_t first;       /* index of its first entry in the cells */
};

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "pri-inv wins unless irq_ns > 26362 (then within noise)" for one cell and input. */
static void statement(char *b, size_t n, const json_t *cell, const char *name, const json_t *in)
{
	const char *winner = jstr(json_object_get(cell, "nominal"), "winner");
	const char *side[2] = {"break_even_below", "break_even_above"};
	size_t used;

	used = (size_t)snprintf(b, n, "%s%s", winner ? winner : "no winner (within noise)",
				winner ? " wins" : "");
	for (int k = 0; k < 2 && used < n; k++) {
		const json_t *be = json_object_get(in, side[k]);
		const char *beyond = jstr(be, "winner_beyond");

		if (!json_is_object(be))
			continue;
		used += (size_t)snprintf(b + used, n - used, "%s %s %s %.4g (then %s)",
					 strstr(b, " unless ") ? "," : " unless", name, k ? ">" : "<",
					 json_number_value(json_object_get(be, "value")),
					 beyond ? beyond : "within noise");
	}
	if (!strstr(b, " unless ") && used < n)
		snprintf(b + used, n - used, ", but not over all of %s's range (no break-even found "
			 "within the budget)", name);
}

/* Most cells first, then the input whose break-even lies nearest its value. */
static int by_cells(const void *a, const void *b)
{
	const struct flip *x = a, *y = b;

	if (x->cells != y->cells)
		return x->cells < y->cells ? 1 : -1;
	if (x->near != y->near)
		return x->near < y->near ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

json_t *robustness_summary(const json_t *result)
{
	const json_t *cells = json_object_get(result, "cells"), *inputs = json_object_get(result, "inputs");
	size_t ncells = json_array_size(cells), nin = json_array_size(inputs), changed = 0, nf = 0, i, k;
	struct flip *f = calloc(nin ? nin : 1, sizeof(*f));
	json_t *out = NULL, *flips = json_array(), *c, *in;

	if (!f || !flips)
		goto oom;
	json_array_foreach(inputs, k, in) {
		f[nf].name = jstr(in, "name");
		f[nf].lo = f[nf].near = INFINITY;
		f[nf].hi = -INFINITY;
		if (f[nf].name)
			nf++;
	}
	json_array_foreach(cells, i, c) {
		int any = 0;

		for (k = 0; k < nf; k++) {
			const json_t *e = json_object_get(json_object_get(c, "inputs"), f[k].name);

			if (!json_is_object(e) || !json_is_false(json_object_get(e, "holds")))
				continue;
			any = 1;
			if (!f[k].cells++)
				f[k].first = i;
			for (int s = 0; s < 2; s++) {
				const json_t *be = json_object_get(e, s ? "break_even_above" : "break_even_below");
				double v = json_number_value(json_object_get(be, "value"));

				/* the cell's own value: the middle of x1/4..x4 on a log scale */
				double mid = sqrt(json_number_value(json_object_get(e, "lo")) *
						  json_number_value(json_object_get(e, "hi")));

				if (json_is_object(be)) {
					f[k].lo = fmin(f[k].lo, v);
					f[k].hi = fmax(f[k].hi, v);
					if (v > 0 && mid > 0)
						f[k].near = fmin(f[k].near, fabs(log(v / mid)));
				}
			}
		}
		changed += any;
	}
	qsort(f, nf, sizeof(*f), by_cells);
	for (k = 0; k < nf && f[k].cells; k++) {
		json_t *where = json_array(), *o;
		size_t shown = 0;

		json_array_foreach(cells, i, c) {
			const json_t *e = json_object_get(json_object_get(c, "inputs"), f[k].name);
			char text[600], *cell;

			if (shown >= WHERE_MAX || !json_is_object(e) || !json_is_false(json_object_get(e, "holds")))
				continue;
			statement(text, sizeof(text), c, f[k].name, e);
			cell = fmt_pairs(json_object_get(c, "cell"));
			if (!where ||
			    json_array_append_new(where, json_pack("{s:s, s:O, s:s}", "cell_text", cell,
								   "cell", json_object_get(c, "cell"),
								   "statement", text))) {
				free(cell);
				json_decref(where);
				goto oom;
			}
			free(cell);
			shown++;
		}
		o = json_pack("{s:s, s:I, s:o, s:o, s:o}", "input", f[k].name, "cells", (json_int_t)f[k].cells,
			      "break_even_min", isfinite(f[k].lo) ? json_real(f[k].lo) : json_null(),
			      "break_even_max", isfinite(f[k].hi) ? json_real(f[k].hi) : json_null(),
			      "where", where);
		if (!o || json_array_append_new(flips, o))
			goto oom;
	}
	out = json_pack("{s:b, s:I, s:I, s:I, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:o}",
			"robust", changed == 0 && json_is_true(json_object_get(result, "complete")),
			"cells", (json_int_t)ncells, "cells_changed", (json_int_t)changed,
			"inputs", (json_int_t)nf,
			"metric", json_object_get(result, "metric") ? json_object_get(result, "metric") : json_null(),
			"range", json_object_get(result, "range") ? json_object_get(result, "range") : json_null(),
			"a", json_object_get(result, "a") ? json_object_get(result, "a") : json_null(),
			"b", json_object_get(result, "b") ? json_object_get(result, "b") : json_null(),
			"complete", json_object_get(result, "complete") ? json_object_get(result, "complete") : json_false(),
			"runs_used", json_object_get(result, "runs_used") ? json_object_get(result, "runs_used") : json_null(),
			"runs_planned", json_object_get(result, "runs_planned") ? json_object_get(result, "runs_planned") : json_null(),
			"flips", flips);
	flips = NULL;
oom:
	json_decref(flips);
	free(f);
	return out;
}

/*
 * The report's "robust" fact, right after the answer: yes, or no with the
 * inputs that flip the verdict (most cells first), where and to what; the
 * analysis' metric and range, and whether the budget stopped it.
 */
void report_robustness(struct out *o, const json_t *result, const char *id)
{
	json_t *sum = robustness_summary(result), *fl, *w;
	size_t ncells, changed, nflips, k, i;
	char line[1600];
	const char *metric;

	if (!sum)
		return;
	ncells = (size_t)json_integer_value(json_object_get(sum, "cells"));
	changed = (size_t)json_integer_value(json_object_get(sum, "cells_changed"));
	nflips = json_array_size(json_object_get(sum, "flips"));
	metric = jstr(sum, "metric") ? jstr(sum, "metric") : "?";
	if (!changed)
		snprintf(line, sizeof(line), "%s: the verdict holds in %s%zu cell%s with each of %lld "
			 "inputs moved x1/4..x4 (on %s)",
			 json_is_true(json_object_get(sum, "robust")) ? "yes" : "so far",
			 ncells > 1 ? "all " : "", ncells, ncells == 1 ? "" : "s",
			 (long long)json_integer_value(json_object_get(sum, "inputs")), metric);
	else
		snprintf(line, sizeof(line), "no: %zu input%s flip%s the verdict in %zu of %zu cell%s "
			 "within x1/4..x4 (on %s)", nflips, nflips == 1 ? "" : "s",
			 nflips == 1 ? "s" : "", changed, ncells, ncells == 1 ? "" : "s", metric);
	out_fact(o, "robust", line);
	json_array_foreach(json_object_get(sum, "flips"), k, fl) {
		size_t n = 0, nc = (size_t)json_integer_value(json_object_get(fl, "cells"));

		if (k == 3) {
			snprintf(line, sizeof(line), "and %zu more input%s (svabench robustness %s)",
				 nflips - k, nflips - k == 1 ? "" : "s", id ? id : "ID");
			out_fact(o, "", line);
			break;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s in %zu cell%s:", jstr(fl, "input"), nc,
				      nc == 1 ? "" : "s");
		json_array_foreach(json_object_get(fl, "where"), i, w) {
			const char *where = jstr(w, "cell_text");

			if (i == 2 && nc > 2) {
				n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, " ...");
				break;
			}
			n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, "%s %s%s%s",
					      i ? ";" : "", where && *where ? "at " : "",
					      where && *where ? where : "", where && *where ? ", " : "");
			n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, "%s",
					      jstr(w, "statement"));
		}
		out_fact(o, "", line);
	}
	if (!json_is_true(json_object_get(sum, "complete"))) {
		snprintf(line, sizeof(line), "incomplete: the budget stopped it after %lld runs (svabench "
			 "robustness %s --budget N)",
			 (long long)json_integer_value(json_object_get(sum, "runs_used")), id ? id : "ID");
		out_fact(o, "", line);
	}
	json_decref(sum);
}
