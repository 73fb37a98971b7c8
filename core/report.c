/*
 * report.c - an experiment as plain text a kernel maintainer pastes into a
 * mail reply (GET /api/v1/experiments/ID/report, `svabench report ID`),
 * answer first, the way LKP's mails and mmtests' compare-kernels read:
 *
 *   1. the answer: per cell group (the crossover map, else each cell) which
 *      strategy wins on the headline metric, by how much with its 95 % CI
 *      and the comparison's verdict word; strategies that are broken
 *      (livelocks, coherence violations) or not a fix;
 *   2. what ran: kernel under test, the modelled system apart from the
 *      machine that ran the model, strategies, repetitions, sweep;
 *   3. the crossover as one map of ratios;
 *   4. compact tables, strategies as columns and metrics as rows (every
 *      cell with `full`, else experiments of at most FEW_CELLS cells);
 *   5. livelock and violation examples, warnings, the preset with each
 *      value's source, and how to reproduce it (spec, version, commit).
 *
 * Every line fits the width (report_out.c). Nothing depends on the time
 * or the machine, so the same documents give the same bytes.
 */
#include "core.h"
#include "report_out.h"
#include "../lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH_MIN 40
#define WIDTH_MAX 200
#define EXAMPLES_SHOWN 2
#define FEW_CELLS 4           /* per-cell tables without `full` up to this many cells */
#define NUM 48
#define STRAT_MAX 64
#define NAME_W_MAX 22         /* the metric column of the tables */
#define COL_W 18              /* one strategy's column: median and ratio */

/*
 * What the tables show (the vocabulary's report metrics, lib/vocab.c, in
 * its order: correctness first, then costs, then work done), the headline
 * metric (the vocabulary's rank), the fixes' names and the correctness
 * rows' short names all come from the one vocabulary.
 */
static int in_report(const char *name)
{
	const struct metric_info *m = vocab_metric(name);

	return m && (m->views & VIEW_REPORT) && !strcmp(m->name, name);
}

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* A strategy's name with which of the seed thread's fixes it is, for the
 * answer: "pri-inv (Fix A)" (the label from lib/vocab.c's roles). */
struct who {
	char s[160];
};

static struct who who(const char *name)
{
	const struct strategy_role *r = vocab_strategy(name);
	struct who w;

	if (r && r->label)
		snprintf(w.s, sizeof(w.s), "%s (%s)", name, r->label);
	else
		snprintf(w.s, sizeof(w.s), "%s", name ? name : "");
	return w;
}

/* Short names of the correctness rows. */
static const char *display_name(const char *m)
{
	return vocab_short(m);
}

static double jnum(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

/* The comparison's entry for metric name in the metrics list, or NULL. */
static const json_t *metric_info(const json_t *cmp, const char *name)
{
	const json_t *m;
	size_t i;

	json_array_foreach(json_object_get(cmp, "metrics"), i, m)
		if (streq(jstr(m, "name"), name))
			return m;
	return NULL;
}

static int higher_better(const json_t *cmp, const char *metric)
{
	return streq(jstr(metric_info(cmp, metric), "better"), "higher");
}

static int usable(const json_t *cmp)
{
	return json_is_object(cmp) && !jstr(cmp, "error") &&
	       json_is_array(json_object_get(cmp, "cells"));
}

/* The comparison's strategies, baseline first. */
static size_t strategy_order(const json_t *cmp, const char **out, size_t max)
{
	const char *base = jstr(cmp, "baseline");
	size_t n = 0, i;
	const json_t *v;

	if (base && n < max)
		out[n++] = base;
	json_array_foreach(json_object_get(cmp, "strategies"), i, v) {
		const char *s = json_string_value(v);

		if (s && (!base || strcmp(s, base)) && n < max)
			out[n++] = s;
	}
	return n;
}

static const char *headline_metric(const json_t *cmp)
{
	const char *x = jstr(json_object_get(cmp, "crossover"), "metric");
	const json_t *m;
	size_t i;

	if (x && metric_info(cmp, x))
		return x;
	for (int rank = 1; rank <= 16; rank++)
		for (size_t k = 0; k < vocab_metric_count(); k++)
			if (vocab_metric_at(k)->headline == rank && metric_info(cmp, vocab_metric_at(k)->name))
				return vocab_metric_at(k)->name;
	json_array_foreach(json_object_get(cmp, "metrics"), i, m)
		if (!in_report(jstr(m, "name")) || i >= 2)
			return jstr(m, "name");
	return NULL;
}

static const json_t *entry(const json_t *cell, const char *strategy, const char *metric)
{
	return json_object_get(json_object_get(json_object_get(cell, "strategies"), strategy),
			       metric);
}

/* A strategy that livelocked or broke coherence in this cell (or that the
 * comparison calls broken on any metric). */
static int cell_broken(const json_t *cell, const char *strategy)
{
	const json_t *ms = json_object_get(json_object_get(cell, "strategies"), strategy), *e;
	const char *key;

	json_object_foreach((json_t *)ms, key, e) {
		double worst = json_object_get(e, "max") ? jnum(json_object_get(e, "max"))
			       : jnum(json_object_get(e, "median"));

		if (streq(jstr(e, "verdict"), "broken"))
			return 1;
		if (vocab_is_correctness(key) && worst > 0)
			return 1;
	}
	return 0;
}

/* "**" p < 0.01, "*" p < 0.05, "~" within noise, "?" insufficient data,
 * the verdict itself when it is broken or not a fix. */
static const char *mark(const json_t *e, double noise)
{
	const char *v = jstr(e, "verdict");
	double p = jnum(json_object_get(e, "p")), ratio = jnum(json_object_get(e, "ratio"));

	if (!v || !strcmp(v, "baseline") || !strcmp(v, "no data"))
		return "";
	if (!strcmp(v, "broken") || !strcmp(v, "not a fix"))
		return v;
	if (!strcmp(v, "insufficient data"))
		return "?";
	if (!strcmp(v, "within noise") || fabs(ratio - 1) < noise)
		return "~";
	if (p < 0.01)
		return "**";
	if (p < 0.05)
		return "*";
	return "";
}

/* "2.50x BASE [2.41, 2.60]" of an entry (BASE left out when NULL). */
static void ratio_ci(char *b, size_t n, const json_t *e, const char *base)
{
	const json_t *ci = json_object_get(e, "ci");
	char r[NUM], lo[NUM], hi[NUM];

	fmt_ratio(r, sizeof(r), jnum(json_object_get(e, "ratio")));
	if (json_array_size(ci) == 2) {
		fmt_ratio(lo, sizeof(lo), jnum(json_array_get(ci, 0)));
		fmt_ratio(hi, sizeof(hi), jnum(json_array_get(ci, 1)));
		snprintf(b, n, "%sx%s%s [%s, %s]", r, base ? " " : "", base ? base : "", lo, hi);
	} else {
		snprintf(b, n, "%sx%s%s", r, base ? " " : "", base ? base : "");
	}
}

/* ---- 1. the answer ---- */

/*
 * The sentence for one cell: the best correct strategy on metric and how
 * the baseline and it compare, with the comparison's verdict word.
 */
static void other_fix(char *b, size_t n, const json_t *cmp, const json_t *cell,
		      const char *metric, const char *const *said, size_t nsaid);

/* A strategy the answer may name: correct in the cell, a fix here, with a
 * value on metric (into *v). */
static int candidate(const json_t *cell, const char *strategy, const char *metric, double *v)
{
	const json_t *e = entry(cell, strategy, metric);
	const char *verdict = jstr(e, "verdict");

	*v = jnum(json_object_get(e, "median"));
	return !cell_broken(cell, strategy) && isfinite(*v) && !streq(verdict, "not a fix") &&
	       !streq(verdict, "no data");
}

static void cell_answer(char *b, size_t n, const json_t *cmp, const json_t *cell,
			const char *metric)
{
	const char *order[STRAT_MAX], *best = NULL, *base = jstr(cmp, "baseline");
	const char *word = higher_better(cmp, metric) ? "best" : "cheapest";
	size_t ns = strategy_order(cmp, order, STRAT_MAX), ncand = 0;
	const char *runner = NULL;
	double bestv = NAN, runv = NAN;
	int higher = higher_better(cmp, metric);
	char rc[4 * NUM], val[NUM];

	for (size_t s = 0; s < ns; s++) {
		double v;

		if (!candidate(cell, order[s], metric, &v))
			continue;
		ncand++;
		if (!best || (higher ? v > bestv : v < bestv)) {
			runner = best;
			runv = bestv;
			best = order[s];
			bestv = v;
		} else if (!runner || (higher ? v > runv : v < runv)) {
			runner = order[s];
			runv = v;
		}
	}
	if (!best) {
		snprintf(b, n, "no correct strategy with data on %s", metric);
		return;
	}
	fmt_metric(val, sizeof(val), metric, bestv);
	if (ncand == 1) {
		snprintf(b, n, "only %s is correct here: %s %s", best, metric, val);
		return;
	}
	if (!streq(best, base)) {
		const json_t *e = entry(cell, best, metric);
		const char *verdict = or(jstr(e, "verdict"), "no verdict");

		ratio_ci(rc, sizeof(rc), e, base);
		if (streq(verdict, "better"))
			snprintf(b, n, "%s %s on %s (%s): %s, better", who(best).s, word,
				 metric, val, rc);
		else
			snprintf(b, n, "no clear winner on %s: %s at %s, %s", metric, best, rc,
				 verdict);
		other_fix(b, n, cmp, cell, metric, (const char *[]){best, base}, 2);
		return;
	}
	/* the baseline is best: how much the next one pays */
	{
		const json_t *e = entry(cell, runner, metric);
		const char *verdict = or(jstr(e, "verdict"), "no verdict");

		ratio_ci(rc, sizeof(rc), e, best);
		if (streq(verdict, "worse"))
			snprintf(b, n, "%s %s on %s (%s); %s at %s, worse", who(best).s,
				 word, metric, val, who(runner).s, rc);
		else
			snprintf(b, n, "no clear winner on %s: %s at %s, %s", metric, runner, rc,
				 verdict);
		other_fix(b, n, cmp, cell, metric, (const char *[]){best, runner}, 2);
	}
}

/*
 * The question is Fix A against Fix B: when the sentence so far names
 * strategies of one fix only, the best correct strategy of the other one
 * follows, with its ratio to the comparison's baseline and verdict.
 */
static void other_fix(char *b, size_t n, const json_t *cmp, const json_t *cell,
		      const char *metric, const char *const *said, size_t nsaid)
{
	static const char *const fixes[] = {"A", "B"};
	const char *order[STRAT_MAX], *base = jstr(cmp, "baseline");
	size_t ns = strategy_order(cmp, order, STRAT_MAX);
	int higher = higher_better(cmp, metric);

	for (size_t f = 0; f < 2; f++) {
		const char *pick = NULL;
		double pickv = NAN;
		int named = 0;
		size_t len = strlen(b);
		char rc[4 * NUM];

		for (size_t i = 0; i < nsaid; i++) {
			const struct strategy_role *r = vocab_strategy(said[i]);

			named |= r && r->fix && streq(r->fix, fixes[f]);
		}
		if (named)
			continue;
		for (size_t s = 0; s < ns; s++) {
			const struct strategy_role *r = vocab_strategy(order[s]);
			double v;

			if (!r || !r->fix || !streq(r->fix, fixes[f]) || streq(order[s], base) ||
			    !candidate(cell, order[s], metric, &v))
				continue;
			if (!pick || (higher ? v > pickv : v < pickv)) {
				pick = order[s];
				pickv = v;
			}
		}
		if (!pick || len + 1 >= n)
			continue;
		ratio_ci(rc, sizeof(rc), entry(cell, pick, metric), base);
		snprintf(b + len, n - len, "; %s at %s, %s", who(pick).s, rc,
			 or(jstr(entry(cell, pick, metric), "verdict"), "no verdict"));
	}
}

struct bad_runs {
	size_t runs, livelocked, violating;
	double livelocks, violations;
	const json_t *example_run;   /* the first run with both a problem and examples */
};

/* Livelocks and violations in the done runs of one strategy. */
static struct bad_runs tally(const json_t *runs, const char *name)
{
	struct bad_runs b = {0};
	const json_t *r;
	size_t i;

	json_array_foreach(runs, i, r) {
		const json_t *m = json_object_get(r, "metrics");
		double l = jnum(json_object_get(m, "dma.livelocked"));
		double v = jnum(json_object_get(m, "oracle.coherence_violations"));

		if (!streq(jstr(r, "strategy"), name) || !streq(jstr(r, "status"), "done"))
			continue;
		b.runs++;
		if (l > 0) {
			b.livelocked++;
			b.livelocks += l;
		}
		if (v > 0) {
			b.violating++;
			b.violations += v;
		}
		if ((l > 0 || v > 0) && !b.example_run &&
		    json_array_size(json_object_get(r, "examples")))
			b.example_run = r;
	}
	return b;
}

/* "livelocks in 3 of 5 runs (12 transactions aborted); ..." of b. */
static void bad_text(char *line, size_t n, const struct bad_runs *b)
{
	char ll[NUM], vv[NUM], lpart[160] = "", vpart[160] = "";

	fmt_num(ll, sizeof(ll), b->livelocks);
	fmt_num(vv, sizeof(vv), b->violations);
	if (b->livelocked)
		snprintf(lpart, sizeof(lpart), "livelocks in %zu of %zu runs (%s transactions"
			 " aborted)", b->livelocked, b->runs, ll);
	if (b->violating)
		snprintf(vpart, sizeof(vpart), "coherence violations in %zu of %zu runs (%s in"
			 " all)", b->violating, b->runs, vv);
	snprintf(line, n, "%s%s%s", lpart, *lpart && *vpart ? "; " : "", vpart);
}

/* The crossover group's answer: who wins where, the ratio's range and the
 * largest difference with its CI. */
static void crossover_answer(struct out *o, const json_t *cmp, const char *metric)
{
	const json_t *x = json_object_get(cmp, "crossover"), *grid = json_object_get(x, "grid");
	const json_t *ratio = json_object_get(x, "ratio"), *row, *v, *cells;
	const char *a = or(jstr(x, "a"), "?"), *bname = or(jstr(x, "b"), "?");
	const char *word = streq(jstr(x, "better"), "higher") ? "does better on" : "is cheaper on";
	size_t na = 0, nb = 0, neq = 0, total = 0, iy, ix, nr = 0, far = 0, i;
	double *rs = NULL, lo = NAN, hi = NAN, med = NAN, farv = 0;
	char line[1024], l1[NUM], l2[NUM], l3[NUM], rc[4 * NUM] = "";
	const json_t *c;

	json_array_foreach(grid, iy, row) {
		json_array_foreach(row, ix, v) {
			const char *s = json_string_value(v);

			na += streq(s, "A");
			nb += streq(s, "B");
			neq += streq(s, "=");
			total++;
		}
	}
	rs = calloc(total ? total : 1, sizeof(*rs));
	json_array_foreach(ratio, iy, row) {
		json_array_foreach(row, ix, v) {
			double r = jnum(v);

			if (!rs || !isfinite(r) || r <= 0)
				continue;
			rs[nr++] = r;
			if (fabs(log(r)) > farv) {
				farv = fabs(log(r));
				far = 1;
			}
		}
	}
	if (nr) {
		med = stats_median(rs, nr);   /* sorts rs */
		lo = rs[0];
		hi = rs[nr - 1];
	}
	free(rs);
	snprintf(line, sizeof(line), "%s %s %s at %zu of %zu points, %s at %zu, within "
		 "noise at %zu", who(na >= nb ? a : bname).s, word, metric,
		 na >= nb ? na : nb, total, who(na >= nb ? bname : a).s,
		 na >= nb ? nb : na, neq);
	out_fact(o, "answer", line);
	if (!nr)
		return;
	fmt_ratio(l1, sizeof(l1), lo);
	fmt_ratio(l2, sizeof(l2), hi);
	fmt_ratio(l3, sizeof(l3), med);
	/* the point farthest from 1, with its CI from the cell's entry */
	cells = json_object_get(cmp, "cells");
	line[0] = '\0';
	if (far) {
		const json_t *best = NULL;
		double bestd = -1;

		json_array_foreach(cells, i, c) {
			const json_t *e = entry(c, bname, metric);
			double r = jnum(json_object_get(e, "ratio"));

			if (isfinite(r) && r > 0 && fabs(log(r)) > bestd) {
				bestd = fabs(log(r));
				best = c;
			}
		}
		if (best) {
			char *where = fmt_pairs(json_object_get(best, "cell"));

			ratio_ci(rc, sizeof(rc), entry(best, bname, metric), NULL);
			snprintf(line, sizeof(line), "; farthest from 1: %s at %s", rc,
				 where ? where : "?");
			free(where);
		}
	}
	{
		char text[1400];

		snprintf(text, sizeof(text), "%s/%s ranges %sx..%sx, median %sx%s", bname, a, l1, l2,
			 l3, line);
		out_fact(o, "", text);
	}
}

static void answer(struct out *o, const json_t *exp, const json_t *runs, const json_t *cmp)
{
	const json_t *cells = json_object_get(cmp, "cells"), *c, *s;
	const json_t *strategies = json_object_get(json_object_get(exp, "spec"), "strategies");
	const char *metric = usable(cmp) ? headline_metric(cmp) : NULL;
	char line[1400], clean[512] = "";
	size_t i, k, ncells = json_array_size(cells), nclean = 0;

	if (!usable(cmp)) {
		snprintf(line, sizeof(line), "no comparison: %s",
			 json_is_object(cmp) && jstr(cmp, "error") ? jstr(cmp, "error")
			 : "none was given");
		out_fact(o, "answer", line);
	} else if (!metric) {
		out_fact(o, "answer", "no metric to compare");
	} else if (json_is_object(json_object_get(cmp, "crossover"))) {
		crossover_answer(o, cmp, metric);
	} else {
		json_array_foreach(cells, i, c) {
			char *where = fmt_pairs(json_object_get(c, "cell"));
			char text[1024];

			cell_answer(text, sizeof(text), cmp, c, metric);
			if (ncells > 1)
				snprintf(line, sizeof(line), "%s: %s", where && *where ? where : "?", text);
			else
				snprintf(line, sizeof(line), "%s", text);
			free(where);
			out_fact(o, i ? "" : "answer", line);
		}
	}
	/* correctness: broken strategies, then those that are not a fix */
	json_array_foreach(strategies, k, s) {
		const char *name = json_string_value(s);
		struct bad_runs b;
		size_t nfix = 0, nbroken = 0;

		if (!name)
			continue;
		b = tally(runs, name);
		json_array_foreach(cells, i, c) {
			nbroken += cell_broken(c, name);
			nfix += metric && streq(jstr(entry(c, name, metric), "verdict"), "not a fix");
		}
		if (b.livelocked || b.violating) {
			char text[400];

			bad_text(text, sizeof(text), &b);
			snprintf(line, sizeof(line), "%s: %s", name, text);
			out_fact(o, "broken", line);
		} else if (nbroken) {
			snprintf(line, sizeof(line), "%s: in %zu of %zu cells (the comparison's "
				 "verdict)", name, nbroken, ncells);
			out_fact(o, "broken", line);
		} else {
			size_t len = strlen(clean);

			snprintf(clean + len, sizeof(clean) - len, "%s%s", nclean++ ? ", " : "", name);
		}
		if (nfix) {
			snprintf(line, sizeof(line), "%s in %zu of %zu cells: it cannot act on those "
				 "configurations", name, nfix, ncells);
			out_fact(o, "not a fix", line);
		}
	}
	if (nclean) {
		snprintf(line, sizeof(line), "%s: no livelocks, no coherence violations", clean);
		out_fact(o, "correct", line);
	}
}

/* ---- 2. what ran ---- */

/* The kernel under test: the host's own, a target's `kernel` parameter, or none. */
static void kernel_fact(struct out *o, const json_t *exp, const struct target *t)
{
	const json_t *host = json_object_get(exp, "host");
	const json_t *params = json_object_get(json_object_get(exp, "spec"), "params");
	const json_t *v = json_object_get(params, "kernel");
	const char *target = jstr(exp, "target");
	char line[512], val[256];
	int k = t ? target_param_index(t, "kernel") : -1;

	if (streq(target, "host")) {
		snprintf(line, sizeof(line), "Linux %s (this machine's running kernel, measured)",
			 or(jstr(host, "kernel"), "unknown"));
	} else if (v) {
		fmt_value(val, sizeof(val), v);
		snprintf(line, sizeof(line), "%s (the %s's kernel parameter)", val, or(target, "?"));
	} else if (k >= 0) {
		const json_t *pv = json_object_get(json_object_get(json_object_get(
			json_object_get(exp, "preset"), "values"), "kernel"), "value");

		if (pv)
			fmt_value(val, sizeof(val), pv);
		else
			target_format_value(&t->params[k], t->params[k].def, val, sizeof(val));
		snprintf(line, sizeof(line), "%s (the %s's kernel parameter, default)", val,
			 or(target, "?"));
	} else if (streq(target, "qemu") && streq(jstr(exp, "workload"), "dma-unmap")) {
		snprintf(line, sizeof(line), "the qemu guest's Linux (Debian arm64, "
			 "scripts/qemu-guest.sh)");
	} else {
		snprintf(line, sizeof(line), "none: each strategy stands for its kernel's behaviour");
	}
	out_fact(o, "kernel", line);
}

static void what_ran(struct out *o, const json_t *exp, const json_t *runs, const json_t *cmp,
		     const struct target *t)
{
	const json_t *spec = json_object_get(exp, "spec"), *host = json_object_get(exp, "host");
	const json_t *preset = json_object_get(exp, "preset"), *params, *v;
	const char *target = or(jstr(exp, "target"), "?"), *label = jstr(exp, "label");
	const char *base = usable(cmp) ? jstr(cmp, "baseline") : NULL, *key;
	char line[1400];
	size_t i, nsweep = 0;

	out_add(o, "\n", 1);
	snprintf(line, sizeof(line), "%s, %s: %lld of %lld runs done, %lld failed%s%s",
		 or(jstr(exp, "id"), "?"), or(jstr(exp, "status"), "?"),
		 (long long)json_integer_value(json_object_get(exp, "runs_done")),
		 (long long)json_integer_value(json_object_get(exp, "runs_total")),
		 (long long)json_integer_value(json_object_get(exp, "runs_failed")),
		 label ? ", label " : "", label ? label : "");
	out_fact(o, "experiment", line);
	snprintf(line, sizeof(line), "%s on target %s", or(jstr(exp, "workload"), "?"), target);
	out_fact(o, "workload", line);
	kernel_fact(o, exp, t);
	if (!strcmp(target, "host")) {
		snprintf(line, sizeof(line), "this machine: %s, Linux %s",
			 or(jstr(host, "machine"), "unknown"), or(jstr(host, "kernel"), "unknown"));
		out_fact(o, "system", line);
	} else {
		if (!strcmp(target, "qemu"))
			snprintf(line, sizeof(line), "QEMU's emulated SMMUv3 (qemu-system-aarch64 -M "
				 "virt,iommu=smmuv3)");
		else if (json_is_object(preset))
			snprintf(line, sizeof(line), "preset %s: %s", or(jstr(preset, "name"), "?"),
				 or(jstr(preset, "description"), ""));
		else
			snprintf(line, sizeof(line), "the %s target's defaults (no preset)", target);
		out_fact(o, "modelled", line);
		if (json_is_object(host)) {
			snprintf(line, sizeof(line), "%s, Linux %s (ran the %s; its speed is not in "
				 "the figures)", or(jstr(host, "machine"), "unknown"),
				 or(jstr(host, "kernel"), "unknown"),
				 !strcmp(target, "qemu") ? "emulator" : "model");
			out_fact(o, "ran on", line);
		}
	}
	line[0] = '\0';
	json_array_foreach(json_object_get(spec, "strategies"), i, v) {
		size_t len = strlen(line);
		const char *s = or(json_string_value(v), "?");

		snprintf(line + len, sizeof(line) - len, "%s%s%s", i ? ", " : "", s,
			 streq(s, base) ? " (baseline)" : "");
	}
	if (line[0])
		out_fact(o, "strategies", line);
	if (json_object_get(spec, "repetitions")) {
		long long reps = (long long)json_integer_value(json_object_get(spec, "repetitions"));

		snprintf(line, sizeof(line), "%lld repetition%s per cell and strategy, %zu runs; "
			 "medians over repetitions", reps, reps == 1 ? "" : "s", json_array_size(runs));
		out_fact(o, "runs", line);
	}
	params = json_object_get(spec, "params");
	json_object_foreach((json_t *)params, key, v) {
		char val[64];
		size_t j;
		const json_t *x;

		if (!json_is_array(v))
			continue;
		snprintf(line, sizeof(line), "%s:", key);
		json_array_foreach(v, j, x) {
			size_t len = strlen(line);

			fmt_value(val, sizeof(val), x);
			snprintf(line + len, sizeof(line) - len, "%s%s", j ? ", " : " ", val);
		}
		out_fact(o, nsweep++ ? "" : "swept", line);
	}
	line[0] = '\0';
	json_object_foreach((json_t *)params, key, v) {
		char val[256];
		size_t len = strlen(line);

		if (json_is_array(v))
			continue;
		fmt_value(val, sizeof(val), v);
		snprintf(line + len, sizeof(line) - len, "%s%s=%s", len ? ", " : "", key, val);
	}
	if (line[0])
		out_fact(o, "set", line);
}

/* ---- 3. the crossover map ---- */

static void crossover_map(struct out *o, const json_t *cmp)
{
	const json_t *x = json_object_get(cmp, "crossover"), *grid, *ratio, *xs, *ys, *v;
	const char *a = or(jstr(x, "a"), "?"), *b = or(jstr(x, "b"), "?");
	size_t nx, ix, yw = 1, cw = 6;
	char line[1024], val[NUM];

	if (!json_is_object(x))
		return;
	grid = json_object_get(x, "grid");
	ratio = json_object_get(x, "ratio");
	xs = json_object_get(x, "xs");
	ys = json_object_get(x, "ys");
	nx = json_array_size(xs);
	for (size_t k = 0; k < json_array_size(ys); k++) {
		fmt_num(val, sizeof(val), jnum(json_array_get(ys, k)));
		if (strlen(val) > yw)
			yw = strlen(val);
	}
	/* narrower columns when the width asks for it */
	while (cw > 4 && 4 + yw + 2 + nx * (cw + 1) > (size_t)o->width)
		cw--;
	out_add(o, "\n", 1);
	snprintf(line, sizeof(line), "crossover: %s/%s ratio of %s medians (%s is better) per "
		 "point; A: %s wins, B: %s wins, =: within noise, .: no data", b, a,
		 or(jstr(x, "metric"), "?"), or(jstr(x, "better"), "lower"), a, b);
	out_wrap(o, "", "  ", line);
	snprintf(line, sizeof(line), "%s (y) by %s (x)", or(jstr(x, "y"), "?"), or(jstr(x, "x"), "?"));
	out_wrap(o, "  ", "    ", line);
	/* the largest y on top, as a plot has it */
	for (size_t k = json_array_size(ys); k-- > 0;) {
		const json_t *grow = json_array_get(grid, k), *rrow = json_array_get(ratio, k);

		fmt_num(val, sizeof(val), jnum(json_array_get(ys, k)));
		out_emit(o, "  %*s |", (int)yw, val);
		for (ix = 0; ix < nx; ix++) {
			const char *s = json_string_value(json_array_get(grow, ix));
			double r = jnum(json_array_get(rrow, ix));
			char txt[NUM];

			if (!s) {
				out_emit(o, " %*s", (int)cw, ".");
				continue;
			}
			if (!isfinite(r))
				snprintf(txt, sizeof(txt), "-%s", s);
			else if (cw < 6 || fabs(r) >= 100)
				snprintf(txt, sizeof(txt), "%.0f%s", r, s);
			else if (fabs(r) >= 10)
				snprintf(txt, sizeof(txt), "%.1f%s", r, s);
			else
				snprintf(txt, sizeof(txt), "%.2f%s", r, s);
			out_emit(o, " %*s", (int)cw, txt);
		}
		out_eol(o);
	}
	out_emit(o, "  %*s +", (int)yw, "");
	for (ix = 0; ix < nx * (cw + 1); ix++)
		out_add(o, "-", 1);
	out_eol(o);
	out_emit(o, "  %*s  ", (int)yw, "");
	json_array_foreach(xs, ix, v) {
		fmt_num(val, sizeof(val), jnum(v));
		out_emit(o, " %*s", (int)cw, val);
	}
	out_eol(o);
}

/* ---- 4. the tables ---- */

/* The metrics the tables show, in table order, into out; how many. */
static size_t shown_metrics(const json_t *cmp, const char **out, size_t max, const char *headline)
{
	size_t n = 0;

	if (headline && !in_report(headline) && n < max)
		out[n++] = headline;
	for (size_t k = 0; vocab_view_at(VIEW_REPORT, k) && n < max; k++)
		if (metric_info(cmp, vocab_view_at(VIEW_REPORT, k)->name))
			out[n++] = vocab_view_at(VIEW_REPORT, k)->name;
	return n;
}

/* One table of a cell: the baseline and the strategies order[from..to). */
static void cell_table(struct out *o, const json_t *cmp, const json_t *cell, const char **order,
		       size_t from, size_t to, const char **metrics, size_t nm, size_t nw)
{
	double noise = jnum(json_object_get(cmp, "noise"));

	out_emit(o, "  %-*s %*s", (int)nw, "", COL_W - 1, order[0]);
	for (size_t s = from; s < to; s++)
		out_emit(o, " %*s", COL_W - 1, order[s]);
	out_eol(o);
	for (size_t m = 0; m < nm; m++) {
		char med[NUM];

		fmt_num(med, sizeof(med), jnum(json_object_get(entry(cell, order[0], metrics[m]),
								"median")));
		out_emit(o, "  %-*s %*s", (int)nw, display_name(metrics[m]), COL_W - 1, med);
		for (size_t s = from; s < to; s++) {
			const json_t *e = entry(cell, order[s], metrics[m]);
			/* a broken strategy gets no cost verdict (api.md) */
			const char *mk = cell_broken(cell, order[s]) ? "broken" : mark(e, noise);
			char r[NUM], rr[NUM + 16];

			fmt_num(med, sizeof(med), jnum(json_object_get(e, "median")));
			fmt_ratio(r, sizeof(r), jnum(json_object_get(e, "ratio")));
			if (!strcmp(mk, "broken") || !strcmp(mk, "not a fix"))
				snprintf(rr, sizeof(rr), "%s", mk);
			else if (!strcmp(r, "-"))
				snprintf(rr, sizeof(rr), "-");
			else
				snprintf(rr, sizeof(rr), "%sx%s", r, mk);
			out_emit(o, " %7s %-9s", med, rr);
		}
		out_eol(o);
	}
}

static void tables(struct out *o, const json_t *exp, const json_t *cmp, int full)
{
	const json_t *cells = json_object_get(cmp, "cells"), *c, *m;
	const char *order[STRAT_MAX], *metrics[64];
	const char *headline = headline_metric(cmp);
	size_t ns = strategy_order(cmp, order, STRAT_MAX), nm, nw = 10, per, i;
	size_t ncells = json_array_size(cells), others = 0;
	char line[1400];

	nm = shown_metrics(cmp, metrics, 64, headline);
	for (size_t k = 0; k < nm; k++)
		if (strlen(display_name(metrics[k])) > nw)
			nw = strlen(display_name(metrics[k]));
	if (nw > NAME_W_MAX)
		nw = NAME_W_MAX;
	per = ((size_t)o->width > nw + 2 + COL_W ? ((size_t)o->width - nw - 2) / COL_W : 2);
	per = per < 2 ? 1 : per - 1;   /* strategies besides the baseline per table */
	if (!ns || !nm)
		return;
	if (full || ncells <= FEW_CELLS) {
		char noise[NUM];

		snprintf(noise, sizeof(noise), "%.3g", 100 * jnum(json_object_get(cmp, "noise")));
		out_add(o, "\n", 1);
		snprintf(line, sizeof(line), "per cell: median, and ratio to %s's median with its "
			 "mark: ** p < 0.01, * p < 0.05 (Mann-Whitney U, CI excludes 1), ~ within "
			 "%s%% noise, ? insufficient data", order[0], noise);
		out_wrap(o, "", "  ", line);
		json_array_foreach(cells, i, c) {
			char *where = fmt_pairs(json_object_get(c, "cell"));
			char title[64];

			snprintf(title, sizeof(title), "\ncell %zu of %zu: ", i + 1, ncells);
			out_wrap(o, title, "  ", where && *where ? where : "no swept parameters");
			free(where);
			for (size_t from = 1; from < ns || from == 1; from += per) {
				size_t to = from + per < ns ? from + per : ns;

				cell_table(o, cmp, c, order, from, to, metrics, nm, nw);
				if (to >= ns)
					break;
			}
		}
	} else {
		out_add(o, "\n", 1);
		snprintf(line, sizeof(line), "per-cell tables of the %zu cells: svabench report %s "
			 "--full, or GET /api/v1/experiments/%s/comparison", ncells,
			 or(jstr(exp, "id"), "ID"), or(jstr(exp, "id"), "ID"));
		out_wrap(o, "", "  ", line);
		return;
	}
	line[0] = '\0';
	json_array_foreach(json_object_get(cmp, "metrics"), i, m) {
		const char *name = jstr(m, "name");
		size_t len = strlen(line), k;
		int shown = 0;

		for (k = 0; k < nm; k++)
			shown |= streq(metrics[k], name);
		if (!name || shown)
			continue;
		snprintf(line + len, sizeof(line) - len, "%s%s", others++ ? ", " : "", name);
	}
	if (others) {
		char text[1600];

		snprintf(text, sizeof(text), "also compared: %s (GET /api/v1/experiments/%s/"
			 "comparison)", line, or(jstr(exp, "id"), "ID"));
		out_add(o, "\n", 1);
		out_wrap(o, "", "  ", text);
	}
}

/* ---- 5. the rest ---- */

static void examples(struct out *o, const json_t *exp, const json_t *runs)
{
	const json_t *strategies = json_object_get(json_object_get(exp, "spec"), "strategies");
	const json_t *s, *e;
	size_t k, j;
	int header = 0;
	char line[512];

	json_array_foreach(strategies, k, s) {
		const char *name = json_string_value(s);
		struct bad_runs b;

		if (!name)
			continue;
		b = tally(runs, name);
		if (!b.example_run)
			continue;
		if (!header++) {
			out_add(o, "\n", 1);
			out_wrap(o, "", "", "livelocks and coherence violations, first examples:");
		}
		snprintf(line, sizeof(line), "%s, run %s:", name, or(jstr(b.example_run, "id"), "?"));
		out_wrap(o, "  ", "    ", line);
		json_array_foreach(json_object_get(b.example_run, "examples"), j, e) {
			if (j == EXAMPLES_SHOWN)
				break;
			out_wrap(o, "  - ", "    ", json_string_value(e));
		}
	}
}

static void warnings(struct out *o, const json_t *cmp)
{
	const json_t *w = json_object_get(cmp, "warnings"), *v;
	size_t i;

	if (!json_array_size(w))
		return;
	out_add(o, "\n", 1);
	out_wrap(o, "", "", "warnings:");
	json_array_foreach(w, i, v)
		out_wrap(o, "  - ", "    ", json_string_value(v));
}

/* The preset, each value with its confidence and source. */
static void preset(struct out *o, const json_t *exp)
{
	const json_t *p = json_object_get(exp, "preset");
	const json_t *params = json_object_get(json_object_get(exp, "spec"), "params");
	const char *key;
	json_t *v;
	char line[1024];

	if (!json_is_object(p) || !json_object_size(json_object_get(p, "values")))
		return;
	out_add(o, "\n", 1);
	snprintf(line, sizeof(line), "preset %s, each value with its confidence and source:",
		 or(jstr(p, "name"), "?"));
	out_wrap(o, "", "  ", line);
	json_object_foreach(json_object_get(p, "values"), key, v) {
		const json_t *mine = json_object_get(params, key);
		char val[128], own[128] = "";

		fmt_value(val, sizeof(val), json_object_get(v, "value"));
		if (mine) {
			fmt_value(own, sizeof(own), mine);
			snprintf(line, sizeof(line), "%s = %s (%s; this experiment's spec sets %s)", key,
				 val, or(jstr(v, "confidence"), "?"),
				 json_is_array(mine) ? "a sweep" : own);
		} else {
			snprintf(line, sizeof(line), "%s = %s (%s)", key, val,
				 or(jstr(v, "confidence"), "?"));
		}
		out_wrap(o, "  ", "      ", line);
		out_wrap(o, "      ", "      ", or(jstr(v, "source"), "no source given"));
	}
}

/* The spec's keys that decide the results, one per line, arrays broken only
 * between elements so the lines stay valid JSON whatever the width. */
static void reproduce(struct out *o, const json_t *exp)
{
	static const char *const keys[] = {"target", "workload", "strategies", "preset", "params",
					   "repetitions", "seed", "collect", NULL};
	const json_t *spec = json_object_get(exp, "spec"), *host = json_object_get(exp, "host");
	const char *commit = jstr(host, "svabench_commit");
	char line[512];
	size_t nkeys = 0, k;

	out_add(o, "\n", 1);
	snprintf(line, sizeof(line), "to reproduce (svabench %s%s%s):",
		 or(jstr(host, "svabench_version"), "version unknown"), commit ? ", commit " : "",
		 commit ? commit : "");
	out_wrap(o, "", "  ", line);
	out_wrap(o, "  ", "  ", "cat > spec.json <<'EOF'");
	for (k = 0; keys[k]; k++)
		nkeys += json_object_get(spec, keys[k]) != NULL;
	out_add(o, "  {", 3);
	for (k = 0; keys[k]; k++) {
		const json_t *v = json_object_get(spec, keys[k]);
		char *text;
		struct out tmp = {.sb = STRBUF_INIT, .width = o->width};

		if (!v)
			continue;
		/* indent 0 puts ", " and ": " between tokens, one line */
		text = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER | JSON_INDENT(0));
		if (!text)
			die("out of memory writing the report's spec");
		for (char *p = text; *p; p++)
			if (*p == '\n')
				*p = ' ';
		snprintf(line, sizeof(line), "\"%s\": ", keys[k]);
		out_add(&tmp, line, strlen(line));
		out_add(&tmp, text, strlen(text));
		out_add(&tmp, --nkeys ? "," : "}", 1);
		free(text);
		/* break only after ", " outside strings */
		size_t used = 3, start = 0, last = 0;
		int instr = 0, esc = 0;

		for (size_t i = 0; i < tmp.sb.len; i++) {
			char ch = tmp.sb.buf[i];

			if (instr) {
				if (esc)
					esc = 0;
				else if (ch == '\\')
					esc = 1;
				else if (ch == '"')
					instr = 0;
			} else if (ch == '"') {
				instr = 1;
			} else if (ch == ' ' && i && tmp.sb.buf[i - 1] == ',') {
				last = i;
			}
			used++;
			if (used > (size_t)o->width && last > start) {
				out_add(o, tmp.sb.buf + start, last - start);
				out_add(o, "\n    ", 5);
				used = 4 + (i - last);
				start = last + 1;
			}
		}
		out_add(o, tmp.sb.buf + start, tmp.sb.len - start);
		strbuf_release(&tmp.sb);
		out_add(o, nkeys ? "\n   " : "\n", nkeys ? 4 : 1);
	}
	out_wrap(o, "  ", "  ", "EOF");
	out_wrap(o, "  ", "  ", "svabench run --offline spec.json");
}

char *report_render(const json_t *doc, const json_t *cmp, int width, int full)
{
	return report_render_robust(doc, cmp, NULL, width, full);
}

char *report_render_robust(const json_t *doc, const json_t *cmp, const json_t *robust, int width,
			   int full)
{
	const json_t *exp = json_object_get(doc, "experiment"), *runs = json_object_get(doc, "runs");
	const char *target = jstr(exp, "target"), *name = jstr(exp, "name");
	const char *label = jstr(exp, "label");
	const struct target *t = target ? target_find(target) : NULL;
	struct out o = {.sb = STRBUF_INIT, .width = width >= WIDTH_MIN && width <= WIDTH_MAX ? width : 80};
	char line[1024];
	char *text;
	size_t title;

	if (name)
		snprintf(line, sizeof(line), "svabench report: %s", name);
	else
		snprintf(line, sizeof(line), "svabench report: %s %s%s%s", or(target, "?"),
			 or(jstr(exp, "workload"), "?"), label ? ", " : "", label ? label : "");
	out_wrap(&o, "", "", line);
	title = out_cols(line, strlen(line));
	for (size_t i = 0; i < title && i < (size_t)o.width; i++)
		out_add(&o, "=", 1);
	out_add(&o, "\n\n", 2);
	answer(&o, exp, runs, cmp);
	if (json_is_object(robust))
		report_robustness(&o, robust, jstr(exp, "id"));
	what_ran(&o, exp, runs, cmp, t);
	if (usable(cmp)) {
		crossover_map(&o, cmp);
		tables(&o, exp, cmp, full);
	}
	examples(&o, exp, runs);
	warnings(&o, cmp);
	preset(&o, exp);
	reproduce(&o, exp);
	out_add(&o, "\n", 1);
	out_wrap(&o, "", "", t && t->figures ? t->figures : "measured on the host above.");
	text = out_fit(&o);
	strbuf_release(&o.sb);
	return text;
}

char *report_answer(const json_t *doc, const json_t *cmp, int width)
{
	struct out o = {.sb = STRBUF_INIT, .width = width >= WIDTH_MIN && width <= WIDTH_MAX ? width : 80};
	char *text;

	answer(&o, json_object_get(doc, "experiment"), json_object_get(doc, "runs"), cmp);
	text = out_fit(&o);
	strbuf_release(&o.sb);
	return text;
}

char *report_text(const json_t *doc, const json_t *cmp, int width)
{
	return report_render(doc, cmp, width, 0);
}
