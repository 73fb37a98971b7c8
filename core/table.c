/*
 * table.c - the comparison table `svabench run` and `show` print for a
 * terminal: per cell, one row per strategy with the metrics a kernel
 * maintainer weighs the fixes by (correctness first), the median over
 * repetitions with min..max below, and a ratio against a correct
 * baseline. Columns no run reported are left out (the host target's
 * per-operation latencies replace the sim's DMA columns), then the least
 * important ones until the table fits the width. Failures and the first
 * examples follow, so nothing a run said is hidden by the summary.
 */
#include "core.h"
#include "../lib/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 40   /* one printed table cell */
#define FAILURES_SHOWN 5
#define EXAMPLES_SHOWN 2

#define COLS_MAX 24               /* columns the vocabulary may give the table */
#define CELLS_MAX (COLS_MAX + 1)  /* the metric columns and the ratio */
#define VALS_MAX 4096             /* repetitions kept per strategy and column for the median */

/*
 * The table's columns: the vocabulary's (lib/vocab.c) table metrics in its
 * order, correctness first, then cost, then the sim's detail, then the
 * host's; each with its head, display scale and how long it is kept when
 * the width is short.
 */
struct cols {
	const struct metric_info *v[COLS_MAX];
	size_t n;
	/* compare's verdicts (compare_json) on the column vcol, the headline
	 * the runs report; NULL / -1 when there is none */
	json_t *cmp;
	int vcol;
};

static void cols_init(struct cols *c)
{
	c->n = 0;
	for (const struct metric_info *m; c->n < COLS_MAX && (m = vocab_view_at(VIEW_TABLE, c->n));)
		c->v[c->n++] = m;
}

/* The comparison (defaults, one metric) of r on the first headline column
 * some run reported, into c->cmp and c->vcol. */
static void cols_compare(struct cols *c, const struct results *r);

/* The index of the column of metric name, or -1. */
static int col_of(const struct cols *c, const char *name)
{
	for (size_t j = 0; j < c->n; j++)
		if (!strcmp(c->v[j]->name, name))
			return (int)j;
	return -1;
}

struct stat {
	int n;
	double min, max;
	double *v;              /* the values, for the median */
};

/* One block: a cell's strategies, their statistics and printed text. */
struct block {
	size_t ns;
	const struct cols *cols;
	struct stat (*st)[COLS_MAX];
	char (*mean)[CELLS_MAX][CELL_MAX];
	char (*lo)[CELLS_MAX][CELL_MAX];
	char (*hi)[CELLS_MAX][CELL_MAX];
	int *failed;
	char (*label)[64];     /* strategy, with its failed runs */
	int width[CELLS_MAX + 1]; /* [0]: strategy names */
	int split;             /* min and max on rows of their own */
	size_t shown;          /* columns printed: the metrics', and the ratio when there is one */
	const int *visible;    /* per column and the ratio: printed */
};

void fmt_short(char *b, size_t n, double v)
{
	double a = fabs(v);
	const char *suffix = "";

	if (a >= 1e9) {
		v /= 1e9;
		suffix = "G";
	} else if (a >= 1e6) {
		v /= 1e6;
		suffix = "M";
	} else if (a >= 1e5) {
		v /= 1e3;
		suffix = "k";
	} else if (a >= 100 || v == floor(v)) {
		snprintf(b, n, "%.0f", v);
		return;
	}
	a = fabs(v);
	if (a >= 100)
		snprintf(b, n, "%.0f%s", v, suffix);
	else if (a >= 10)
		snprintf(b, n, "%.1f%s", v, suffix);
	else if (a >= 0.01 || v == 0)
		snprintf(b, n, "%.2f%s", v, suffix);
	else
		snprintf(b, n, "%.2g%s", v, suffix);
}

/* The column's value for run i: 1 with *v set, 0 when the run has none. */
static int column_value(const struct results *r, size_t i, const struct metric_info *c,
			double *v)
{
	int have = 0;
	double sum = 0, x;

	for (int k = 0; k < METRIC_PARTS_MAX && (k == 0 || c->parts[k]); k++) {
		const char *name = c->parts[0] ? c->parts[k] : c->name;

		if (results_value(r, i, name, &x) == 1) {
			sum += x;
			have = 1;
		}
		if (!c->parts[0])
			break;
	}
	*v = sum / c->scale;
	return have;
}

static void add(struct stat *s, double v, int reps)
{
	if (!s->n || v < s->min)
		s->min = v;
	if (!s->n || v > s->max)
		s->max = v;
	if (!s->v)
		s->v = malloc((size_t)(reps > 0 && reps < VALS_MAX ? reps : VALS_MAX) * sizeof(double));
	if (s->v && s->n < reps && s->n < VALS_MAX)
		s->v[s->n] = v;
	s->n++;
}

/* The median of the repetitions (stats_median reorders a copy). */
static double median(const struct stat *s)
{
	int n = s->n < VALS_MAX ? s->n : VALS_MAX;

	return s->n && s->v ? stats_median(s->v, (size_t)n) : NAN;
}

static const char *strategy_name(const struct spec *s, size_t k)
{
	return s->target->strategies[s->strategies[k]].name;
}

static size_t run_index(const struct spec *s, size_t cell, int rep, size_t k)
{
	return (cell * (size_t)s->repetitions + (size_t)rep) * s->nstrategies + k;
}

static void block_alloc(struct block *b, const struct cols *cols, size_t ns)
{
	memset(b, 0, sizeof(*b));
	b->cols = cols;
	b->ns = ns;
	b->st = xcalloc(ns, sizeof(*b->st));
	b->mean = xcalloc(ns, sizeof(*b->mean));
	b->lo = xcalloc(ns, sizeof(*b->lo));
	b->hi = xcalloc(ns, sizeof(*b->hi));
	b->failed = xcalloc(ns, sizeof(*b->failed));
	b->label = xcalloc(ns, sizeof(*b->label));
}

static void block_free(struct block *b)
{
	for (size_t k = 0; b->st && k < b->ns; k++)
		for (size_t j = 0; j < b->cols->n; j++)
			free(b->st[k][j].v);
	free(b->st);
	free(b->mean);
	free(b->lo);
	free(b->hi);
	free(b->failed);
	free(b->label);
}

static void widen(int *w, const char *s)
{
	int n = (int)strlen(s);

	if (n > *w)
		*w = n;
}

/* 1 when strategy k livelocked or broke coherence in some repetition. */
static int block_broken(const struct block *b, size_t k)
{
	for (size_t j = 0; j < b->cols->n; j++)
		if (b->cols->v[j]->correctness && b->st[k][j].n && b->st[k][j].max > 0)
			return 1;
	return 0;
}

/*
 * A strategy's entry of the comparison as the table shows it: the ratio to
 * the baseline with the verdict, "1.24x worse", "0.81x better", "1.02x ~"
 * (within noise), "1.30x ?" (insufficient data); "1.00x" for the baseline;
 * "broken", "not a fix"; "-" without data.
 */
static void verdict_text(char *b, size_t n, const json_t *e)
{
	const char *v = json_string_value(json_object_get(e, "verdict"));
	const json_t *jr = json_object_get(e, "ratio");
	double x = json_is_number(jr) ? json_number_value(jr) : NAN;
	const char *word;
	char ratio[32] = "";

	if (!v || !strcmp(v, "no data")) {
		snprintf(b, n, "-");
		return;
	}
	if (!strcmp(v, "broken") || !strcmp(v, "not a fix")) {
		snprintf(b, n, "%s", v);
		return;
	}
	if (isfinite(x))
		snprintf(ratio, sizeof(ratio), x >= 100 ? "%.0fx" : x >= 10 ? "%.1fx" : "%.2fx", x);
	word = !strcmp(v, "baseline") ? "" : !strcmp(v, "within noise") ? "~" :
	       !strcmp(v, "insufficient data") ? "?" : v;
	snprintf(b, n, "%s%s%s", ratio, ratio[0] && word[0] ? " " : "", word);
}

/* Fills b for one cell, and the ratio's header ("" when there is none). */
static void block_fill(struct block *b, const struct results *r, size_t cell,
		       char *ratio_head, size_t rlen)
{
	const struct spec *s = r->spec;
	const struct cols *cols = b->cols;
	size_t nc = cols->n;
	const json_t *cc = json_array_get(json_object_get(cols->cmp, "cells"), cell);
	const char *base = json_string_value(json_object_get(cols->cmp, "baseline"));

	for (size_t k = 0; k < b->ns; k++) {
		for (int rep = 0; rep < s->repetitions; rep++) {
			size_t i = run_index(s, cell, rep, k);
			double v;

			if (r->runs[i].status != RUN_DONE) {
				b->failed[k] += r->runs[i].status == RUN_FAILED;
				continue;
			}
			for (size_t j = 0; j < nc; j++)
				if (column_value(r, i, b->cols->v[j], &v))
					add(&b->st[k][j], v, s->repetitions);
		}
	}
	/* The comparison's ratio and verdict on the headline (compare.c): the
	 * per-operation cost, else CPU invalidation time, else the host's p50
	 * per operation, else the DMA p99 - the first the runs report. */
	ratio_head[0] = '\0';
	if (cc && base && cols->vcol >= 0) {
		char stem[CELL_MAX];

		vocab_column_stem(cols->v[cols->vcol], stem, sizeof(stem));
		snprintf(ratio_head, rlen, "%s/%s", stem, base);
	}
	b->shown = ratio_head[0] ? nc + 1 : nc;

	widen(&b->width[0], "strategy");
	for (size_t j = 0; j < nc; j++)
		widen(&b->width[j + 1], cols->v[j]->column);
	widen(&b->width[nc + 1], ratio_head);
	for (size_t k = 0; k < b->ns; k++) {
		if (b->failed[k])
			snprintf(b->label[k], sizeof(b->label[k]), "%s (%d failed)",
				 strategy_name(s, k), b->failed[k]);
		else
			snprintf(b->label[k], sizeof(b->label[k]), "%s", strategy_name(s, k));
		widen(&b->width[0], b->label[k]);
		for (size_t j = 0; j < nc; j++) {
			const struct stat *st = &b->st[k][j];

			if (!st->n) {
				snprintf(b->mean[k][j], CELL_MAX, "-");
			} else {
				fmt_short(b->mean[k][j], CELL_MAX, median(st));
				fmt_short(b->lo[k][j], CELL_MAX, st->min);
				fmt_short(b->hi[k][j], CELL_MAX, st->max);
				/* Blank when every repetition agrees. */
				if (!strcmp(b->lo[k][j], b->hi[k][j]))
					b->lo[k][j][0] = b->hi[k][j][0] = '\0';
			}
			widen(&b->width[j + 1], b->mean[k][j]);
		}
		if (ratio_head[0])
			verdict_text(b->mean[k][nc], CELL_MAX,
				     json_object_get(json_object_get(json_object_get(cc, "strategies"),
								     strategy_name(s, k)),
						     cols->v[cols->vcol]->name));
		else if (block_broken(b, k))
			/* livelocks or violations (api.md's broken) */
			snprintf(b->mean[k][nc], CELL_MAX, "broken");
		else
			snprintf(b->mean[k][nc], CELL_MAX, "-");
		widen(&b->width[nc + 1], b->mean[k][nc]);
	}
}

/* Columns printed: the visible ones of the first b->shown. */
static int block_total(const struct block *b, const int *w)
{
	int total = w[0];

	for (size_t j = 0; j < b->shown; j++)
		if (b->visible[j])
			total += 2 + w[j + 1];
	return total;
}

/* With several repetitions, min..max under each median, or on rows of
 * their own when that would make the table wider than width (0: never). */
static void block_ranges(struct block *b, int repetitions, int width)
{
	int w[CELLS_MAX + 1];

	if (repetitions < 2)
		return;
	memcpy(w, b->width, sizeof(w));
	for (size_t k = 0; k < b->ns; k++) {
		for (size_t j = 0; j < b->cols->n; j++) {
			char both[2 * CELL_MAX + 2] = "";

			if (b->lo[k][j][0])
				snprintf(both, sizeof(both), "%s..%s", b->lo[k][j], b->hi[k][j]);
			widen(&w[j + 1], both);
		}
	}
	if (!width || block_total(b, w) <= width) {
		memcpy(b->width, w, sizeof(w));
		return;
	}
	b->split = 1;
	for (size_t k = 0; k < b->ns; k++)
		for (size_t j = 0; j < b->cols->n; j++) {
			widen(&b->width[j + 1], b->lo[k][j]);
			widen(&b->width[j + 1], b->hi[k][j]);
		}
}

static void print_row(FILE *f, const struct block *b, const char *label,
		      char (*cells)[CELL_MAX], const char *const *texts)
{
	char line[CELLS_MAX * (2 * CELL_MAX + 4) + 128];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%-*s", b->width[0], label);
	for (size_t j = 0; j < b->shown && n < sizeof(line); j++) {
		const char *text = texts ? texts[j] : cells[j];

		if (!b->visible[j])
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "  %*s", b->width[j + 1],
				      text ? text : "");
	}
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(f, "%s\n", line);
}

static void block_print(FILE *f, const struct block *b, const struct spec *s,
			const char *ratio_head)
{
	const char *heads[CELLS_MAX];
	char ranges[COLS_MAX][2 * CELL_MAX + 2];
	const char *rp[CELLS_MAX];
	size_t nc = b->cols->n;
	int any;

	for (size_t j = 0; j < nc; j++)
		heads[j] = b->cols->v[j]->column;
	heads[nc] = ratio_head;
	print_row(f, b, "strategy", NULL, heads);
	for (size_t k = 0; k < b->ns; k++) {
		print_row(f, b, b->label[k], b->mean[k], NULL);
		if (s->repetitions < 2)
			continue;
		any = 0;
		for (size_t j = 0; j < nc; j++) {
			ranges[j][0] = '\0';
			if (b->lo[k][j][0]) {
				snprintf(ranges[j], sizeof(ranges[j]), "%s..%s",
					 b->lo[k][j], b->hi[k][j]);
				any = 1;
			}
			rp[j] = ranges[j];
		}
		if (any && b->split) {
			print_row(f, b, "  min", b->lo[k], NULL);
			print_row(f, b, "  max", b->hi[k], NULL);
			continue;
		}
		rp[nc] = "";
		if (any)
			print_row(f, b, "", NULL, rp);
	}
}

static void cell_title(FILE *f, const struct spec *s, size_t cell)
{
	const char *key;
	json_t *v;
	int first = 1;

	fprintf(f, "\ncell %zu/%zu", cell + 1, s->ncells);
	if (!json_object_size(s->cells[cell]))
		fprintf(f, ": no swept parameters");
	json_object_foreach(s->cells[cell], key, v) {
		int k = target_param_index(s->target, key);
		char val[64];

		target_format_value(&s->target->params[k],
				    s->cell_params[cell * s->target->nparams + (size_t)k],
				    val, sizeof(val));
		fprintf(f, "%s%s=%s", first ? ": " : ", ", key, val);
		first = 0;
	}
	fputc('\n', f);
}

static void print_failures(FILE *f, const struct results *r)
{
	const struct spec *s = r->spec;
	size_t shown = 0;

	if (!r->nfailed)
		return;
	fprintf(f, "\n%zu of %zu runs failed:\n", r->nfailed, s->nruns);
	for (size_t i = 0; i < s->nruns && shown < FAILURES_SHOWN; i++) {
		const struct run_plan *p = &s->runs[i];

		if (r->runs[i].status != RUN_FAILED)
			continue;
		fprintf(f, "  cell %zu, %s, repetition %d (seed %llu): %s\n", p->cell + 1,
			s->target->strategies[p->strategy].name, p->repetition,
			(unsigned long long)p->seed, r->runs[i].reason);
		shown++;
	}
	if (r->nfailed > shown)
		fprintf(f, "  ... and %zu more\n", r->nfailed - shown);
}

/* Per strategy, the first run that left examples. */
static void print_examples(FILE *f, const struct results *r, int width)
{
	const struct spec *s = r->spec;
	int header = 0;

	for (size_t k = 0; k < s->nstrategies; k++) {
		for (size_t i = k; i < s->nruns; i += s->nstrategies) {
			const struct run_record *rec = &r->runs[i];
			const struct run_plan *p = &s->runs[i];

			if (!rec->nexamples)
				continue;
			if (!header)
				fprintf(f, "\nexamples (first run of each strategy that has them):\n");
			header = 1;
			fprintf(f, "  %s, cell %zu, repetition %d (seed %llu):\n",
				strategy_name(s, k), p->cell + 1, p->repetition,
				(unsigned long long)p->seed);
			for (int e = 0; e < rec->nexamples && e < EXAMPLES_SHOWN; e++) {
				int len = (int)strlen(rec->examples[e]);

				if (width > 8 && 4 + len > width)
					fprintf(f, "    %.*s...\n", width - 7, rec->examples[e]);
				else
					fprintf(f, "    %s\n", rec->examples[e]);
			}
			if (rec->nexamples > EXAMPLES_SHOWN)
				fprintf(f, "    ... %d more in --json\n",
					rec->nexamples - EXAMPLES_SHOWN);
			break;
		}
	}
}

/* text on lines of at most width columns (0: one line), broken at spaces. */
static void put_wrapped(FILE *f, const char *text, int width)
{
	size_t used = 0;

	while (*text) {
		size_t n = strcspn(text, " ");

		if (used && width > 0 && used + 1 + n > (size_t)width) {
			fputc('\n', f);
			used = 0;
		} else if (used) {
			fputc(' ', f);
			used++;
		}
		fwrite(text, 1, n, f);
		used += n;
		text += n;
		while (*text == ' ')
			text++;
	}
	fputc('\n', f);
}

/* 1 when some run of r reported column j's metric. */
static int column_reported(const struct results *r, const struct cols *cols, size_t j)
{
	double v;

	for (size_t i = 0; i < r->spec->nruns; i++)
		if (r->runs[i].status == RUN_DONE && column_value(r, i, cols->v[j], &v))
			return 1;
	return 0;
}

/* One cell's block, filled and laid out for width. */
static void block_make(struct block *b, const struct results *r, const struct cols *cols,
		       size_t cell, const int *visible, int width, char *ratio_head, size_t rlen)
{
	block_alloc(b, cols, r->spec->nstrategies);
	b->visible = visible;
	block_fill(b, r, cell, ratio_head, rlen);
	block_ranges(b, r->spec->repetitions, width);
}

/*
 * The columns every cell's table shows: those some run reported, then,
 * while some cell's table is wider than width, all but the least
 * important one. How many reported columns were dropped.
 */
static int fit_columns(const struct results *r, const struct cols *cols, int width, int *visible,
		       char *dropped, size_t dlen)
{
	int ndropped = 0;

	for (size_t j = 0; j < cols->n; j++)
		visible[j] = column_reported(r, cols, j);
	visible[cols->n] = 1;
	dropped[0] = '\0';
	for (;;) {
		int widest = 0, drop = -1;
		char head[64];

		for (size_t c = 0; width && c < r->spec->ncells; c++) {
			struct block b;

			block_make(&b, r, cols, c, visible, width, head, sizeof(head));
			if (block_total(&b, b.width) > widest)
				widest = block_total(&b, b.width);
			block_free(&b);
		}
		if (!width || widest <= width)
			return ndropped;
		for (size_t j = 0; j < cols->n; j++)
			if (visible[j] && (drop < 0 || cols->v[j]->keep <= cols->v[drop]->keep))
				drop = (int)j;
		if (drop < 0)
			return ndropped;
		visible[drop] = 0;
		snprintf(dropped + strlen(dropped), dlen - strlen(dropped), "%s%s",
			 ndropped++ ? ", " : "", cols->v[drop]->column);
	}
}

static void cols_compare(struct cols *c, const struct results *r)
{
	struct compare_opts o;
	const char *metric[1];
	char err[256];

	c->cmp = NULL;
	c->vcol = -1;
	for (int rank = 1; rank <= 16 && c->vcol < 0; rank++)
		for (size_t j = 0; j < c->n && c->vcol < 0; j++)
			if (c->v[j]->headline == rank && c->v[j]->direction == METRIC_LOWER &&
			    !c->v[j]->parts[0] && column_reported(r, c, j))
				c->vcol = (int)j;
	if (c->vcol < 0 || r->spec->nstrategies < 2)
		return;
	compare_defaults(&o);
	metric[0] = c->v[c->vcol]->name;
	o.metrics = metric;
	o.nmetrics = 1;
	c->cmp = compare_json(r, NULL, &o, err, sizeof(err));
}

/* 1 when the column of metric name is printed. */
static int shown(const struct cols *cols, const int *visible, const char *name)
{
	int j = col_of(cols, name);

	return j >= 0 && visible[j];
}

void result_print_table(FILE *f, const struct results *r)
{
	result_print_table_width(f, r, 0);
}

void result_print_table_width(FILE *f, const struct results *r, int width)
{
	const struct spec *s = r->spec;
	const struct target *t = s->target;
	int visible[CELLS_MAX], ndropped;
	char dropped[512];
	struct cols cols;

	fprintf(f, "%s %s: %zu cell%s x %zu strateg%s x %d repetition%s = %zu run%s\n",
		t->name, t->workloads[s->workload].name, s->ncells, s->ncells == 1 ? "" : "s",
		s->nstrategies, s->nstrategies == 1 ? "y" : "ies", s->repetitions,
		s->repetitions == 1 ? "" : "s", s->nruns, s->nruns == 1 ? "" : "s");
	fprintf(f, "seed %llu", (unsigned long long)s->seed);
	if (s->label)
		fprintf(f, ", label %s", s->label);
	fputc('\n', f);
	if (s->name)
		put_wrapped(f, s->name, width);
	if (s->repetitions > 1)
		fprintf(f, "medians over repetitions, min..max below (blank: all the same)\n");
	cols_init(&cols);
	cols_compare(&cols, r);
	ndropped = fit_columns(r, &cols, width, visible, dropped, sizeof(dropped));

	for (size_t c = 0; c < s->ncells; c++) {
		struct block b;
		char ratio_head[64];

		block_make(&b, r, &cols, c, visible, width, ratio_head, sizeof(ratio_head));
		cell_title(f, s, c);
		block_print(f, &b, s, ratio_head);
		block_free(&b);
	}

	fprintf(f, "\n");
	if (shown(&cols, visible, "fault.total") || shown(&cols, visible, "cmd.tlbi_total") ||
	    shown(&cols, visible, "cpu.invalidation_ns") || shown(&cols, visible, "oracle.coherence_violations"))
		fprintf(f, "faults = permission + translation; TLBI = tlbi_nh_va + _range + _asid;\n"
			   "inv us = CPU time spent invalidating; oracle = coherence violations;\n");
	if (shown(&cols, visible, "cost.total_ns_per_op"))
		fprintf(f, "cost us/op = cost.total_ns_per_op (CPU + device time per operation);\n");
	if (shown(&cols, visible, "op.latency_ns.p50"))
		fprintf(f, "op p50/p99 us = latency per timed operation; page p50 us = per page;\n");
	if (cols.cmp)
		fprintf(f, "X/S = ratio of medians to strategy S's with the comparison's verdict\n"
			   "(~ within noise, ? insufficient data; svabench compare ID for CIs);\n");
	json_decref(cols.cmp);
	if (ndropped)
		fprintf(f, "hidden to fit %d columns: %s (--wide)\n", width, dropped);
	fprintf(f, "preset %s.", s->preset ? s->preset->name : "(none)");
	if (t->figures)
		fprintf(f, " %s", t->figures);
	fputc('\n', f);
	print_failures(f, r);
	print_examples(f, r, width);
}
