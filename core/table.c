/*
 * table.c - the comparison table `svabench run` prints for a terminal: per
 * cell, one row per strategy with the metrics a kernel maintainer weighs
 * the fixes by, averaged over repetitions, and a ratio against a correct
 * baseline. Failures and the first examples follow, so nothing a run said
 * is hidden by the summary.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_WIDTH 110
#define CELL_MAX 40   /* one printed table cell */
#define FAILURES_SHOWN 5
#define EXAMPLES_SHOWN 2

struct column {
	const char *head;
	const char *metrics[4]; /* summed; NULL-terminated */
	double scale;           /* shown = sum / scale */
};

static const struct column columns[] = {
	{"MB/s", {"dma.throughput_bps"}, 1e6},
	{"p99 us", {"dma.latency_ns.p99"}, 1e3},
	{"livelock", {"dma.livelocked"}, 1},
	{"faults", {"fault.permission", "fault.translation"}, 1},
	{"spurious", {"fault.spurious"}, 1},
	{"oracle", {"oracle.coherence_violations"}, 1},
	{"TLBI", {"cmd.tlbi_nh_va", "cmd.tlbi_nh_va_range", "cmd.tlbi_nh_asid"}, 1},
	{"ATC_INV", {"cmd.atc_inv"}, 1},
	{"SYNC", {"cmd.sync"}, 1},
	{"inv us", {"cpu.invalidation_ns"}, 1e3},
};

#define NCOLS (sizeof(columns) / sizeof(columns[0]))
#define COL_P99 1
#define COL_INV 9
#define NCELLS (NCOLS + 1) /* the metric columns and the ratio */

/* api.md's strategies that are wrong on purpose: never a baseline. */
static const char *const incorrect[] = {"none", "pri-inv-no-atc", NULL};

struct stat {
	int n;
	double sum, min, max;
};

/* One block: a cell's strategies, their statistics and printed text. */
struct block {
	size_t ns;
	struct stat (*st)[NCOLS];
	char (*mean)[NCELLS][CELL_MAX];
	char (*lo)[NCELLS][CELL_MAX];
	char (*hi)[NCELLS][CELL_MAX];
	int *failed;
	char (*label)[64];     /* strategy, with its failed runs */
	int width[NCELLS + 1]; /* [0]: strategy names */
	int split;             /* min and max on rows of their own */
	size_t shown;          /* columns printed: NCOLS, or NCELLS with a ratio */
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
static int column_value(const struct results *r, size_t i, const struct column *c,
			double *v)
{
	int have = 0;
	double sum = 0, x;

	for (int k = 0; c->metrics[k]; k++) {
		if (results_value(r, i, c->metrics[k], &x) == 1) {
			sum += x;
			have = 1;
		}
	}
	*v = sum / c->scale;
	return have;
}

static void add(struct stat *s, double v)
{
	if (!s->n || v < s->min)
		s->min = v;
	if (!s->n || v > s->max)
		s->max = v;
	s->sum += v;
	s->n++;
}

static double mean(const struct stat *s)
{
	return s->n ? s->sum / s->n : NAN;
}

static int is_incorrect(const char *name)
{
	for (int k = 0; incorrect[k]; k++)
		if (!strcmp(incorrect[k], name))
			return 1;
	return 0;
}

static const char *strategy_name(const struct spec *s, size_t k)
{
	return s->target->strategies[s->strategies[k]].name;
}

/* pri-inv when listed, else the first strategy that is not wrong on purpose. */
static int baseline(const struct spec *s)
{
	for (size_t k = 0; k < s->nstrategies; k++)
		if (!strcmp(strategy_name(s, k), "pri-inv"))
			return (int)k;
	for (size_t k = 0; k < s->nstrategies; k++)
		if (!is_incorrect(strategy_name(s, k)))
			return (int)k;
	return -1;
}

static size_t run_index(const struct spec *s, size_t cell, int rep, size_t k)
{
	return (cell * (size_t)s->repetitions + (size_t)rep) * s->nstrategies + k;
}

static int block_alloc(struct block *b, size_t ns)
{
	memset(b, 0, sizeof(*b));
	b->ns = ns;
	b->st = calloc(ns, sizeof(*b->st));
	b->mean = calloc(ns, sizeof(*b->mean));
	b->lo = calloc(ns, sizeof(*b->lo));
	b->hi = calloc(ns, sizeof(*b->hi));
	b->failed = calloc(ns, sizeof(*b->failed));
	b->label = calloc(ns, sizeof(*b->label));
	return b->st && b->mean && b->lo && b->hi && b->failed && b->label ? 0 : -1;
}

static void block_free(struct block *b)
{
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

/* Fills b for one cell, and the ratio's header ("" when there is none). */
static void block_fill(struct block *b, const struct results *r, size_t cell,
		       char *ratio_head, size_t rlen)
{
	const struct spec *s = r->spec;
	int base = baseline(s), rc = -1;
	double bm = NAN;

	for (size_t k = 0; k < b->ns; k++) {
		for (int rep = 0; rep < s->repetitions; rep++) {
			size_t i = run_index(s, cell, rep, k);
			double v;

			if (r->runs[i].status != RUN_DONE) {
				b->failed[k] += r->runs[i].status == RUN_FAILED;
				continue;
			}
			for (size_t j = 0; j < NCOLS; j++)
				if (column_value(r, i, &columns[j], &v))
					add(&b->st[k][j], v);
		}
	}
	/* Cost ratio: CPU invalidation time when the baseline spends any, else p99. */
	ratio_head[0] = '\0';
	if (base >= 0) {
		bm = mean(&b->st[base][COL_INV]);
		rc = COL_INV;
		if (!(bm > 0)) {
			bm = mean(&b->st[base][COL_P99]);
			rc = COL_P99;
		}
		if (bm > 0)
			snprintf(ratio_head, rlen, "%s/%s", rc == COL_INV ? "inv" : "p99",
				 strategy_name(s, (size_t)base));
		else
			rc = -1;
	}
	b->shown = rc >= 0 ? NCELLS : NCOLS;

	widen(&b->width[0], "strategy");
	for (size_t j = 0; j < NCOLS; j++)
		widen(&b->width[j + 1], columns[j].head);
	widen(&b->width[NCOLS + 1], ratio_head);
	for (size_t k = 0; k < b->ns; k++) {
		if (b->failed[k])
			snprintf(b->label[k], sizeof(b->label[k]), "%s (%d failed)",
				 strategy_name(s, k), b->failed[k]);
		else
			snprintf(b->label[k], sizeof(b->label[k]), "%s", strategy_name(s, k));
		widen(&b->width[0], b->label[k]);
		for (size_t j = 0; j < NCOLS; j++) {
			const struct stat *st = &b->st[k][j];

			if (!st->n) {
				snprintf(b->mean[k][j], CELL_MAX, "-");
			} else {
				fmt_short(b->mean[k][j], CELL_MAX, mean(st));
				fmt_short(b->lo[k][j], CELL_MAX, st->min);
				fmt_short(b->hi[k][j], CELL_MAX, st->max);
				/* Blank when every repetition agrees. */
				if (!strcmp(b->lo[k][j], b->hi[k][j]))
					b->lo[k][j][0] = b->hi[k][j][0] = '\0';
			}
			widen(&b->width[j + 1], b->mean[k][j]);
		}
		if (rc >= 0 && b->st[k][rc].n) {
			double x = mean(&b->st[k][rc]) / bm;

			snprintf(b->mean[k][NCOLS], CELL_MAX,
				 x >= 100 ? "%.0fx" : x >= 10 ? "%.1fx" : "%.2fx", x);
		} else {
			snprintf(b->mean[k][NCOLS], CELL_MAX, "-");
		}
		widen(&b->width[NCOLS + 1], b->mean[k][NCOLS]);
	}
}

/* With several repetitions, min..max under each mean, or on two rows when
 * that would make the table too wide. */
static void block_ranges(struct block *b, int repetitions)
{
	int w[NCELLS + 1], total = 0;

	if (repetitions < 2)
		return;
	memcpy(w, b->width, sizeof(w));
	for (size_t k = 0; k < b->ns; k++) {
		for (size_t j = 0; j < NCOLS; j++) {
			char both[2 * CELL_MAX + 2] = "";

			if (b->lo[k][j][0])
				snprintf(both, sizeof(both), "%s..%s", b->lo[k][j], b->hi[k][j]);
			widen(&w[j + 1], both);
		}
	}
	for (size_t j = 0; j <= b->shown; j++)
		total += w[j] + (j ? 2 : 0);
	if (total <= TABLE_WIDTH) {
		memcpy(b->width, w, sizeof(w));
		return;
	}
	b->split = 1;
	for (size_t k = 0; k < b->ns; k++)
		for (size_t j = 0; j < NCOLS; j++) {
			widen(&b->width[j + 1], b->lo[k][j]);
			widen(&b->width[j + 1], b->hi[k][j]);
		}
}

static void print_row(FILE *f, const struct block *b, const char *label,
		      char (*cells)[CELL_MAX], const char *const *texts)
{
	char line[NCELLS * (2 * CELL_MAX + 4) + 128];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%-*s", b->width[0], label);
	for (size_t j = 0; j < b->shown && n < sizeof(line); j++) {
		const char *text = texts ? texts[j] : cells[j];

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
	const char *heads[NCELLS];
	char ranges[NCOLS][2 * CELL_MAX + 2];
	const char *rp[NCELLS];
	int any;

	for (size_t j = 0; j < NCOLS; j++)
		heads[j] = columns[j].head;
	heads[NCOLS] = ratio_head;
	print_row(f, b, "strategy", NULL, heads);
	for (size_t k = 0; k < b->ns; k++) {
		print_row(f, b, b->label[k], b->mean[k], NULL);
		if (s->repetitions < 2)
			continue;
		any = 0;
		for (size_t j = 0; j < NCOLS; j++) {
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
		rp[NCOLS] = "";
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
static void print_examples(FILE *f, const struct results *r)
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
			for (int e = 0; e < rec->nexamples && e < EXAMPLES_SHOWN; e++)
				fprintf(f, "    %s\n", rec->examples[e]);
			if (rec->nexamples > EXAMPLES_SHOWN)
				fprintf(f, "    ... %d more in --json\n",
					rec->nexamples - EXAMPLES_SHOWN);
			break;
		}
	}
}

void result_print_table(FILE *f, const struct results *r)
{
	const struct spec *s = r->spec;
	const struct target *t = s->target;

	fprintf(f, "%s %s: %zu cell%s x %zu strateg%s x %d repetition%s = %zu run%s, seed %llu",
		t->name, t->workloads[s->workload].name, s->ncells, s->ncells == 1 ? "" : "s",
		s->nstrategies, s->nstrategies == 1 ? "y" : "ies", s->repetitions,
		s->repetitions == 1 ? "" : "s", s->nruns, s->nruns == 1 ? "" : "s",
		(unsigned long long)s->seed);
	if (s->label)
		fprintf(f, ", label %s", s->label);
	fputc('\n', f);
	if (s->name)
		fprintf(f, "%s\n", s->name);
	if (s->repetitions > 1)
		fprintf(f, "means over repetitions, min..max below (blank: all the same)\n");

	for (size_t c = 0; c < s->ncells; c++) {
		struct block b;
		char ratio_head[64];

		if (block_alloc(&b, s->nstrategies)) {
			block_free(&b);
			fprintf(f, "(out of memory)\n");
			return;
		}
		block_fill(&b, r, c, ratio_head, sizeof(ratio_head));
		block_ranges(&b, s->repetitions);
		cell_title(f, s, c);
		block_print(f, &b, s, ratio_head);
		block_free(&b);
	}

	fprintf(f, "\nfaults = permission + translation; TLBI = tlbi_nh_va + _range + _asid; "
		   "inv us = CPU time spent invalidating;\noracle = coherence violations; "
		   "inv/X, p99/X = ratio to strategy X's mean\n");
	fprintf(f, "preset %s.", s->preset ? s->preset->name : "(none)");
	if (t->figures)
		fprintf(f, " %s", t->figures);
	fputc('\n', f);
	print_failures(f, r);
	print_examples(f, r);
}
