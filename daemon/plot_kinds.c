/*
 * plot_kinds.c - the gnuplot scripts of svabench's plots: a run's time
 * series, strategy comparison bars, latency quantiles, the crossover map
 * and a metric's history, each built from the JSON the API already serves.
 *
 * Every script is drawn in the frame of plot_frame.c: datablocks first,
 * the plots in a multiplot, then the overlay with the title and axis
 * titles. Text from users - names, labels, cells, strategy and metric
 * names - is only ever a datablock field (plot_block_str); the command
 * text is fixed words and numbers formatted here. Ranges are set
 * explicitly so gnuplot has nothing to warn about: any stderr output fails
 * a render (plot.c).
 */
#include "plot.h"
#include "../lib/util.h"
#include "../core/core.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- run time series ---- */

/* Gauges are drawn as they are; everything else counts up and is drawn as a rate. */
static int is_gauge(const char *m)
{
	size_t n = strlen(m);

	return strstr(m, "latency") || (n > 4 && !strcmp(m + n - 4, "_bps")) ||
	       (n > 9 && !strcmp(m + n - 9, "_fraction"));
}

struct series {
	const double *t, *v;        /* ns times; ns x nm values, sample-major */
	size_t ns, per;             /* samples; per bucket (1: no bucketing) */
	const char *const *metrics;
	const int *panel;           /* per metric: -1 not drawn, 0 rates, 1 gauges */
	size_t nm;
	double scale;               /* t_ns per unit of the x axis */
};

/*
 * The block of one panel: a header row ("t" and the metric names, for
 * columnheader) and a row per sample, or two per bucket (its min and max).
 * Returns the metrics in it.
 */
static int series_block(struct plot_frame *f, const struct series *s, int panel, char name[16],
			struct plot_range *xr, struct plot_range *yr)
{
	struct plot_block b = {0};
	int n = 0;

	plot_block_str(&b, "t");
	for (size_t k = 0; k < s->nm; k++)
		if (s->panel[k] == panel) {
			plot_block_text(&b, s->metrics[k], PLOT_KEY_MAX);
			n++;
		}
	plot_block_row(&b);
	for (size_t i0 = 0; i0 < s->ns; i0 += s->per) {
		size_t i1 = i0 + s->per < s->ns ? i0 + s->per : s->ns;

		for (int hi = 0; hi < (s->per > 1 ? 2 : 1); hi++) {
			double x = s->t[hi ? i1 - 1 : i0] / s->scale;

			plot_block_num(&b, x);
			plot_range_add(xr, x);
			for (size_t k = 0; k < s->nm; k++) {
				double best = NAN;

				if (s->panel[k] != panel)
					continue;
				for (size_t i = i0; i < i1; i++) {
					double y = s->v[i * s->nm + k];

					if (isfinite(y) && (!isfinite(best) || (hi ? y > best : y < best)))
						best = y;
				}
				plot_range_add(yr, best);
				plot_block_num(&b, best);
			}
			plot_block_row(&b);
		}
	}
	plot_frame_block(f, &b, name);
	return n;
}

/* Counters (in v, sample-major) become rates per second between consecutive samples. */
static void series_rates(const struct plot_samples *in, double *v)
{
	for (size_t k = 0; k < in->nm; k++) {
		double prev = 0, tprev = 0;

		if (is_gauge(in->metrics[k]))
			continue;
		for (size_t i = 0; i < in->n; i++) {
			double cur = v[i * in->nm + k], dt = (in->t_ns[i] - tprev) / 1e9;

			v[i * in->nm + k] = isfinite(cur) && isfinite(prev) && dt > 0 && cur >= prev
						    ? (cur - prev) / dt : NAN;
			prev = cur;
			tprev = in->t_ns[i];
		}
	}
}

int plot_timeseries(struct strbuf *out, const char *run_id, const struct plot_samples *in,
		    char *err, size_t elen)
{
	size_t ns = in->n, nm = in->nm;
	struct series s = {.ns = ns, .nm = nm, .metrics = in->metrics, .per = 1, .t = in->t_ns};
	double *v, tmax = 0;
	int *panel, count[2] = {0, 0};
	struct plot_frame f;
	char title[160], xt[32];

	plot_frame_init(&f, "timeseries");
	if (!ns || !nm)
		return plot_frame_fail(&f, err, elen, "run %s has no samples to plot", run_id);
	v = xmalloc(ns * nm * sizeof(*v));
	panel = xmalloc(nm * sizeof(*panel));
	memcpy(v, in->v, ns * nm * sizeof(*v));
	series_rates(in, v);
	for (size_t i = 0; i < ns; i++)
		tmax = isfinite(in->t_ns[i]) && in->t_ns[i] > tmax ? in->t_ns[i] : tmax;
	for (size_t k = 0; k < nm; k++) {
		int any = 0;

		for (size_t i = 0; i < ns && !any; i++)
			any = isfinite(v[i * nm + k]);
		panel[k] = any ? is_gauge(in->metrics[k]) : -1;
		if (any)
			count[panel[k]]++;
	}
	s.v = v;
	s.panel = panel;
	s.per = ns > 2 * PLOT_TS_BUCKETS ? (ns + PLOT_TS_BUCKETS - 1) / PLOT_TS_BUCKETS : 1;
	s.scale = tmax >= 1e10 ? 1e9 : tmax >= 1e7 ? 1e6 : 1e3;
	snprintf(xt, sizeof(xt), "time (%s)", tmax >= 1e10 ? "s" : tmax >= 1e7 ? "ms" : "us");
	plot_frame_linetypes(&f);
	for (int g = 0; g < 2; g++) {
		double mid = (PLOT_AREA_T + PLOT_AREA_B) / 2;
		double b = g == 0 && count[1] ? mid + 0.04 : PLOT_AREA_B;
		double top = g == 1 && count[0] ? mid - 0.02 : PLOT_AREA_T;
		struct plot_range xr = PLOT_RANGE_EMPTY, yr = PLOT_RANGE_EMPTY;
		char name[16];
		int n;

		if (!count[g])
			continue;
		n = series_block(&f, &s, g, name, &xr, &yr);
		if (yr.lo > 0)
			yr.lo = 0;
		yr.hi += (yr.hi - yr.lo) * 0.06;
		plot_frame_panel(&f, b, top);
		plot_frame_range(&f, "x", xr.lo, xr.hi, 0);
		plot_frame_range(&f, "y", yr.lo, yr.hi, 0);
		strbuf_addf(&f.cmds, "set format x \"%s\"\nset format y \"%%.1s%%c\"\n",
			    g == 0 && count[1] ? "" : "% g");
		/* livelocks and violations as red events; counts that are mostly
		 * zero as events (impulses); the rest as lines */
		for (size_t m = 0, k = 0; m < nm && (int)k < n; m++) {
			const char *mn = in->metrics[m];
			size_t nz = 0, nf = 0;
			int alarm, sparse;

			if (panel[m] != g)
				continue;
			for (size_t i = 0; i < ns; i++) {
				double y = v[i * nm + m];

				nf += isfinite(y);
				nz += isfinite(y) && y != 0;
			}
			alarm = vocab_is_correctness(mn);
			sparse = g == 0 && nf && nz * 5 < nf;
			if (alarm)
				strbuf_addf(&f.cmds, "%s%s using 1:%zu with impulses lw 2.5 "
					    "lc rgb \"#d62728\" title columnheader(%zu)",
					    k ? ", " : "plot ", name, k + 2, k + 2);
			else
				strbuf_addf(&f.cmds, "%s%s using 1:%zu with %s lt %zu "
					    "title columnheader(%zu)", k ? ", " : "plot ", name, k + 2,
					    sparse ? "impulses lw 1.5" : "lines", k + 1, k + 2);
			k++;
		}
		strbuf_add(&f.cmds, "\n", 1);
		plot_frame_axes(&f, g == 1 || !count[1] ? xt : NULL,
				g == 0 ? "rate (per s)" : "value", b, top);
	}
	free(v);
	free(panel);
	if (!count[0] && !count[1])
		return plot_frame_fail(&f, err, elen, "run %s has no values of the chosen metrics",
				       run_id);
	snprintf(title, sizeof(title), "run %s: time series of %zu samples", run_id, ns);
	plot_frame_title(&f, title, s.per > 1 ? "counters as rates per second (sparse ones as "
				    "events, livelocks and violations in red), gauges as sampled; "
				    "min and max of each bucket"
				    : "counters as rates per second (sparse ones as events, livelocks "
				    "and violations in red), gauges as sampled");
	return plot_frame_finish(&f, out, err, elen);
}

/* ---- strategy comparison ---- */

/* The strategies of a comparison in first-seen order (baseline first). */
static size_t strategies_of(const json_t *cmp, const char **names, size_t max)
{
	const json_t *cells = json_object_get(cmp, "cells"), *c;
	const char *base = json_string_value(json_object_get(cmp, "baseline")), *k;
	size_t n = 0, i;
	json_t *v;

	if (base && max)
		names[n++] = base;
	json_array_foreach(cells, i, c) {
		json_object_foreach(json_object_get(c, "strategies"), k, v) {
			size_t j = 0;

			while (j < n && strcmp(names[j], k))
				j++;
			if (j == n && n < max)
				names[n++] = k;
		}
	}
	return n;
}

/* The statistics of strategy s, metric m in one cell of a comparison (NULL: none). */
static const json_t *stat_of(const json_t *cell, const char *s, const char *m)
{
	return json_object_get(json_object_get(json_object_get(cell, "strategies"), s), m);
}

#define STRATEGIES_MAX 16
#define BAR_LABELS_MAX 24   /* bars that get their ratio written above */
#define TICKS_MAX 16        /* cells named along x; past that every k-th */

/* One bar: the median, its whisker and its label; 0 when the strategy has no value. */
static int bar_of(const json_t *cmp, const json_t *cell, const char *s, const char *metric,
		  double *med, double *lo, double *hi, char *lab, size_t llen)
{
	const char *base = json_string_value(json_object_get(cmp, "baseline"));
	const json_t *st = stat_of(cell, s, metric), *ci = json_object_get(st, "ci");
	double bmed = base ? plot_num(json_object_get(stat_of(cell, base, metric), "median")) : NAN;
	double ratio = plot_num(json_object_get(st, "ratio"));
	const char *verdict = json_string_value(json_object_get(st, "verdict"));
	int is_base = base && !strcmp(s, base);

	*med = plot_num(json_object_get(st, "median"));
	if (!isfinite(*med))
		return 0;
	/* whiskers only for a CI: the CI of median(s) / median(baseline), in the
	 * metric's units (times the baseline's median); none for the baseline */
	*lo = plot_num(json_array_get(ci, 0)) * bmed;
	*hi = plot_num(json_array_get(ci, 1)) * bmed;
	if (!isfinite(*lo) || !isfinite(*hi) || is_base)
		*lo = *hi = NAN;
	lab[0] = '\0';
	if (isfinite(ratio) && !is_base)
		snprintf(lab, llen, "%.2fx%s", ratio,
			 verdict && (!strcmp(verdict, "better") || !strcmp(verdict, "worse")) ? " *" : "");
	return 1;
}

/* The unit of a metric from its name's suffix: the factor to it, the y axis
 * format and the axis title's unit. */
static double metric_unit(const char *m, const char **format, const char **unit)
{
	size_t n = strlen(m);

	if ((n > 3 && !strcmp(m + n - 3, "_ns")) || strstr(m, "_ns.") || strstr(m, "_ns_per_op")) {
		*format = "%.1s %cs";
		*unit = "time";
		return 1e-9;
	}
	if (n > 4 && !strcmp(m + n - 4, "_bps")) {
		*format = "%.1s %cB/s";
		*unit = "bytes per second";
		return 1;
	}
	*format = "%.1s%c";
	*unit = "count";
	return 1;
}

#define LINES_MIN_CELLS 9   /* a numeric sweep of more cells is drawn as lines */
#define GROUPS_MAX 3        /* lines per strategy: the second parameter's first, middle, last */

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The distinct values of numeric cell key k, sorted, into v (at most max); how many. */
static size_t key_values(const json_t *cells, const char *k, double *v, size_t max)
{
	const json_t *c;
	size_t n = 0, i;

	json_array_foreach(cells, i, c) {
		double x = plot_num(json_object_get(json_object_get(c, "cell"), k));
		size_t j = 0;

		while (j < n && v[j] != x)
			j++;
		if (j == n && n < max && isfinite(x))
			v[n++] = x;
	}
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n;
}

/*
 * A sweep over one or two numeric parameters as lines over the first: per
 * strategy one line (per chosen value of the second, dashed apart), the
 * median with its CI whiskers; log axes where values span two decades.
 * 1 when drawn into f, 0 when the comparison is not such a sweep.
 */
static int comparison_lines(struct plot_frame *f, const json_t *cmp, const char *metric,
			    const char **names, size_t ns, double k, const char *yformat,
			    const char *ytitle_unit, int *logy_out, char *xkey_out, size_t xlen)
{
	const json_t *cells = json_object_get(cmp, "cells"), *first, *v, *c;
	const char *keys[2] = {NULL, NULL}, *key;
	size_t nkeys = 0, nc = json_array_size(cells), nx, ng, i;
	double *xs, *gs, chosen[GROUPS_MAX], ymin = INFINITY, ymax = 0, med, lo, hi;
	char lab[48], ytitle[200];
	int drawn = 0, logx, logy;
	size_t nchosen = 0;

	first = json_object_get(json_array_get(cells, 0), "cell");
	if (nc < LINES_MIN_CELLS || !json_is_object(first) || json_object_size(first) > 2)
		return 0;
	json_object_foreach((json_t *)first, key, v) {
		if (!json_is_number(v))
			return 0;
		keys[nkeys++] = key;
	}
	if (!nkeys)
		return 0;
	xs = calloc(nc, sizeof(*xs));
	gs = calloc(nc, sizeof(*gs));
	if (!xs || !gs) {
		free(xs);
		free(gs);
		return 0;
	}
	nx = key_values(cells, keys[0], xs, nc);
	ng = nkeys > 1 ? key_values(cells, keys[1], gs, nc) : 1;
	if (nkeys > 1) {
		chosen[nchosen++] = gs[0];
		if (ng > 2)
			chosen[nchosen++] = gs[ng / 2];
		if (ng > 1)
			chosen[nchosen++] = gs[ng - 1];
	}
	logx = nx > 1 && xs[0] > 0 && xs[nx - 1] / xs[0] >= 100;
	json_array_foreach(cells, i, c)
		for (size_t s = 0; s < ns; s++)
			if (bar_of(cmp, c, names[s], metric, &med, &lo, &hi, lab, sizeof(lab))) {
				ymax = fmax(ymax, isfinite(hi) ? fmax(hi, med) : med);
				if (med > 0)
					ymin = fmin(ymin, isfinite(lo) && lo > 0 ? fmin(lo, med) : med);
			}
	logy = isfinite(ymin) && ymax / ymin >= 100;
	plot_frame_linetypes(f);
	plot_frame_panel(f, PLOT_AREA_B + 0.04, PLOT_AREA_T);
	if (logx) {
		strbuf_addf(&f->cmds, "set logscale x 10\n");
		plot_frame_range(f, "x", xs[0] / 1.3, xs[nx - 1] * 1.3, 1);
	} else {
		plot_frame_range(f, "x", xs[0], nx > 1 ? xs[nx - 1] : xs[0] + 1, 0);
	}
	if (logy) {
		strbuf_addf(&f->cmds, "set logscale y 10\n");
		plot_frame_range(f, "y", ymin * k / 2, ymax * k * 2, 1);
	} else {
		plot_frame_range(f, "y", 0, ymax > 0 ? ymax * k * 1.15 : 1, 0);
	}
	strbuf_addf(&f->cmds, "set format x \"%%.0s%%c\"\nset format y \"%s\"\n"
			      "set key top left\n", yformat);
	for (size_t s = 0; s < ns; s++) {
		for (size_t g = 0; g < (nkeys > 1 ? nchosen : 1); g++) {
			struct plot_block b = {0};
			char name[16], title[160];
			int rows = 0;

			if (nkeys > 1)
			{
				char gv[32];

				fmt_short(gv, sizeof(gv), chosen[g]);
				snprintf(title, sizeof(title), "%s @%s", names[s], gv);
			}
			else
				snprintf(title, sizeof(title), "%s", names[s]);
			plot_block_str(&b, "x");
			plot_block_text(&b, title, PLOT_KEY_MAX + 24);
			plot_block_row(&b);
			for (size_t xi = 0; xi < nx; xi++) {
				json_array_foreach(cells, i, c) {
					const json_t *cell = json_object_get(c, "cell");

					if (plot_num(json_object_get(cell, keys[0])) != xs[xi] ||
					    (nkeys > 1 && plot_num(json_object_get(cell, keys[1])) != chosen[g]))
						continue;
					if (!bar_of(cmp, c, names[s], metric, &med, &lo, &hi, lab, sizeof(lab)))
						continue;
					plot_block_num(&b, xs[xi]);
					plot_block_num(&b, med * k);
					plot_block_num(&b, lo * k);
					plot_block_num(&b, hi * k);
					plot_block_row(&b);
					rows++;
					break;
				}
			}
			if (!rows) {
				strbuf_release(&b.rows);
				continue;
			}
			plot_frame_block(f, &b, name);
			strbuf_addf(&f->cmds, "%s%s using 1:2 with linespoints lt %d dt %zu pt 7 ps 0.6 "
				    "title columnheader(2)", drawn++ ? ", " : "plot ", name,
				    plot_strategy_lt(names[s], (int)s), g + 1);
			/* whiskers where there is a CI: not for the baseline */
			if (s)
				strbuf_addf(&f->cmds, ", %s every ::1 using 1:2:3:4 with yerrorbars "
					    "lt %d pt 7 ps 0 notitle", name,
					    plot_strategy_lt(names[s], (int)s));
		}
	}
	free(xs);
	free(gs);
	strbuf_add(&f->cmds, "\n", 1);
	if (!drawn)
		return 0;
	snprintf(ytitle, sizeof(ytitle), "%s, median (%s%s)", metric, ytitle_unit,
		 logy ? ", log scale" : "");
	plot_frame_axes(f, keys[0], ytitle, PLOT_AREA_B + 0.04, PLOT_AREA_T);
	snprintf(xkey_out, xlen, "%s", keys[0]);
	if (nkeys > 1) {
		size_t o = strlen(xkey_out);

		snprintf(xkey_out + o, o < xlen ? xlen - o : 0, "; @ = %s", keys[1]);
	}
	*logy_out = logy;
	return 1;
}

int plot_comparison(struct strbuf *out, const json_t *cmp, const char *metric,
		    const char *context, char *err, size_t elen)
{
	const json_t *cells = json_object_get(cmp, "cells"), *c;
	const char *names[STRATEGIES_MAX];
	const char *base = json_string_value(json_object_get(cmp, "baseline"));
	size_t ns = strategies_of(cmp, names, STRATEGIES_MAX), nc = json_array_size(cells), i;
	double w = ns ? 0.8 / (double)ns : 0.8, ymax = 0, med, lo, hi;
	struct plot_block ticks = {0};
	char tickname[16], title[600], lab[48], keys[256], ytitle[200], ctx[64];
	int drawn = 0, values_only, logy;
	double ymin = INFINITY, k;
	const char *yformat, *unit;
	struct plot_frame f;

	plot_frame_init(&f, "comparison");
	k = metric_unit(metric, &yformat, &unit);
	if (comparison_lines(&f, cmp, metric, names, ns, k, yformat, unit, &logy, keys,
			     sizeof(keys))) {
		snprintf(ctx, sizeof(ctx), "%.40s%s", context ? context : "",
			 context && strlen(context) > 40 ? "..." : "");
		char sub[400], *semi = strchr(keys, ';');

		if (semi)
			*semi = '\0';
		snprintf(title, sizeof(title), "%s over %s%s%s", metric, keys, context ? ": " : "",
			 context ? ctx : "");
		snprintf(sub, sizeof(sub), "lines: median%s%s%s", base ? "; whiskers: "
			 "95 % CI of the ratio to the baseline" : "", semi ? ";" : "", semi ? semi + 1 : "");
		plot_frame_title(&f, title, sub);
		return plot_frame_finish(&f, out, err, elen);
	}
	values_only = plot_cell_keys(cells, "cell", SIZE_MAX, keys, sizeof(keys));
	for (size_t s = 0; s < ns; s++)
		json_array_foreach(cells, i, c)
			if (bar_of(cmp, c, names[s], metric, &med, &lo, &hi, lab, sizeof(lab))) {
				ymax = fmax(ymax, fmax(med, isfinite(hi) ? hi : med));
				if (med > 0)
					ymin = fmin(ymin, isfinite(lo) && lo > 0 ? fmin(lo, med) : med);
			}
	/* values over two decades or more: a log axis, so small bars stay visible */
	logy = isfinite(ymin) && ymax / ymin >= 100;
	plot_frame_linetypes(&f);
	plot_frame_panel(&f, PLOT_AREA_B + 0.04, PLOT_AREA_T);
	plot_frame_range(&f, "x", -0.6, (double)nc - 0.4, 0);
	if (logy) {
		strbuf_addf(&f.cmds, "set logscale y 10\n");
		plot_frame_range(&f, "y", ymin * k / 2, ymax * k * 2, 1);
	} else {
		plot_frame_range(&f, "y", 0, ymax > 0 ? ymax * k * 1.15 : 1, 0);
	}
	strbuf_addf(&f.cmds, "set style fill solid 0.85 %s\nset xtics scale 0%s\n"
			     "set format y \"%s\"\n",
		    nc * ns <= BAR_LABELS_MAX ? "border -1" : "noborder",
		    nc > 6 ? " rotate by 30 right" : "", yformat);
	/* a block per strategy: a header row "x" "<name>", then x median lo hi "label" label-y per cell */
	for (size_t s = 0; s < ns; s++) {
		struct plot_block b = {0};
		char name[16];
		int rows = 0;

		plot_block_str(&b, "x");
		plot_block_text(&b, names[s], PLOT_KEY_MAX);
		plot_block_row(&b);
		json_array_foreach(cells, i, c) {
			if (!bar_of(cmp, c, names[s], metric, &med, &lo, &hi, lab, sizeof(lab)))
				continue;
			plot_block_num(&b, (double)i + ((double)s - (double)(ns - 1) / 2) * w);
			plot_block_num(&b, med * k);
			plot_block_num(&b, lo * k);
			plot_block_num(&b, hi * k);
			plot_block_str(&b, lab);
			/* where the ratio label goes, worked out here: gnuplot 5.4
			 * crashes on a ternary over a NaN column in a labels plot */
			plot_block_num(&b, (isfinite(hi) && hi > med ? hi : med) * k);
			plot_block_row(&b);
			rows++;
		}
		if (!rows) {
			strbuf_release(&b.rows);
			continue;
		}
		plot_frame_block(&f, &b, name);
		strbuf_addf(&f.cmds,
			    "%s%s using 1:2:(%.6g) with boxes lt %d title columnheader(2), "
			    "%s every ::1 using 1:3:(0):(column(4) - column(3)) with vectors heads "
			    "size screen 0.006,90 lc rgb \"#222222\" lw 1 notitle",
			    drawn++ ? ", " : "plot ", name, w * 0.92,
			    plot_strategy_lt(names[s], (int)s), name);
		if (nc * ns <= BAR_LABELS_MAX)
			strbuf_addf(&f.cmds, ", %s every ::1 using 1:6:5 with labels offset 0,0.7 "
				    "font \",9\" notitle", name);
	}
	if (!drawn)
		return plot_frame_fail(&f, err, elen, "no strategy has a value of %s", metric);
	json_array_foreach(cells, i, c) {
		char text[256];

		if (i % ((nc + TICKS_MAX - 1) / TICKS_MAX))
			continue;
		plot_cell_text(json_object_get(c, "cell"), values_only, text, sizeof(text));
		plot_block_num(&ticks, (double)i);
		plot_block_text(&ticks, text, PLOT_TICK_MAX);
		plot_block_row(&ticks);
	}
	plot_frame_block(&f, &ticks, tickname);
	plot_xtick_clause(&f, tickname, 0);
	strbuf_add(&f.cmds, "\n", 1);
	snprintf(ytitle, sizeof(ytitle), "%s, median (%s%s)", metric, unit, logy ? ", log scale" : "");
	plot_frame_axes(&f, values_only ? keys : NULL, ytitle, PLOT_AREA_B + 0.04, PLOT_AREA_T);
	/* a title that fits the plot's width: the context cut to a few words */
	snprintf(ctx, sizeof(ctx), "%.40s%s", context ? context : "",
		 context && strlen(context) > 40 ? "..." : "");
	snprintf(title, sizeof(title), "%s by strategy and cell%s%s", metric, context ? ": " : "",
		 context ? ctx : "");
	plot_frame_title(&f, title,
			 !base ? "bars: median"
			 : nc * ns <= BAR_LABELS_MAX
			 ? "bars: median; whiskers: 95 % CI of the ratio to the baseline, in its units; "
			   "ratio above, * significant"
			 : "bars: median; whiskers: 95 % CI of the ratio to the baseline, in its units");
	return plot_frame_finish(&f, out, err, elen);
}

/* ---- latency quantiles ---- */

static const char *const latency_metrics[] = {"dma.latency_ns.p50", "dma.latency_ns.p90",
					      "dma.latency_ns.p99", "dma.latency_ns.p999",
					      "dma.latency_ns.max"};
/* Where each quantile sits on the y axis: -log10(1 - q), "max" one step past p99.9. */
static const double latency_y[] = {0.30103, 1, 2, 3, 4};

int plot_latency(struct strbuf *out, const json_t *cmp, size_t cell, const char *context,
		 char *err, size_t elen)
{
	const json_t *c = json_array_get(json_object_get(cmp, "cells"), cell);
	const char *names[STRATEGIES_MAX];
	size_t ns = strategies_of(cmp, names, STRATEGIES_MAX);
	struct plot_range xr = PLOT_RANGE_EMPTY;
	char text[256], sub[300], title[600];
	int drawn = 0;
	struct plot_frame f;

	plot_frame_init(&f, "latency");
	if (!c)
		return plot_frame_fail(&f, err, elen, "the experiment has no cell %zu", cell);
	for (size_t s = 0; s < ns; s++)
		for (int q = 0; q < 5; q++) {
			double v = plot_num(json_object_get(
				stat_of(c, names[s], latency_metrics[q]), "median"));

			if (v > 0)
				plot_range_add(&xr, v);
		}
	if (!isfinite(xr.lo))
		return plot_frame_fail(&f, err, elen,
				       "no strategy has a latency quantile (%s...) in this cell",
				       latency_metrics[0]);
	plot_frame_linetypes(&f);
	plot_frame_panel(&f, PLOT_AREA_B, PLOT_AREA_T);
	strbuf_addf(&f.cmds, "set logscale x 10\nset format x \"%%.0s%%c\"\n"
			     "set grid xtics ytics lc rgb \"#dddddd\"\n"
			     "set ytics (\"p50\" 0.30103, \"p90\" 1, \"p99\" 2, \"p99.9\" 3, \"max\" 4)\n");
	plot_frame_range(&f, "x", xr.lo / 1.5, xr.hi * 1.5, 1);
	plot_frame_range(&f, "y", 0, 4.3, 0);
	/* 1, 2 and 5 of each decade: a narrow range still gets a few labels */
	strbuf_add(&f.cmds, "set xtics add (1", 16);
	for (double d = pow(10, floor(log10(xr.lo / 1.5))); d <= xr.hi * 1.5; d *= 10)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
			if (d * m >= xr.lo / 1.5 && d * m <= xr.hi * 1.5)
				strbuf_addf(&f.cmds, ", %.10g", d * m);
	strbuf_add(&f.cmds, ")\n", 2);
	/* a block per strategy: "x" "<name>", then latency and quantile position */
	for (size_t s = 0; s < ns; s++) {
		struct plot_block b = {0};
		char name[16];
		int rows = 0;

		plot_block_str(&b, "x");
		plot_block_text(&b, names[s], PLOT_KEY_MAX);
		plot_block_row(&b);
		for (int q = 0; q < 5; q++) {
			double v = plot_num(json_object_get(
				stat_of(c, names[s], latency_metrics[q]), "median"));

			if (!(v > 0))
				continue;
			plot_block_num(&b, v);
			plot_block_num(&b, latency_y[q]);
			plot_block_row(&b);
			rows++;
		}
		if (!rows) {
			strbuf_release(&b.rows);
			continue;
		}
		plot_frame_block(&f, &b, name);
		strbuf_addf(&f.cmds,
			    "%s%s using 1:2 with steps lt %d title columnheader(2), "
			    "%s every ::1 using 1:2 with points lt %d pt 7 ps 0.7 notitle",
			    drawn++ ? ", " : "plot ", name, plot_strategy_lt(names[s], (int)s),
			    name, plot_strategy_lt(names[s], (int)s));
	}
	strbuf_add(&f.cmds, "\n", 1);
	plot_frame_axes(&f, "DMA transaction latency (ns, log scale)", "quantile", PLOT_AREA_B,
			PLOT_AREA_T);
	plot_cell_text(json_object_get(c, "cell"), 0, text, sizeof(text));
	snprintf(sub, sizeof(sub), "%s; medians over repetitions", text);
	snprintf(title, sizeof(title), "DMA latency quantiles by strategy%s%s", context ? ": " : "",
		 context ? context : "");
	plot_frame_title(&f, title, sub);
	return plot_frame_finish(&f, out, err, elen);
}

/* ---- crossover map ---- */

/* A sweep value as tick text. */
static void value_text(const json_t *v, char *out, size_t n)
{
	char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(out, n, "%s", s ? s : json_is_string(v) ? json_string_value(v) : "?");
	free(s);
}

/*
 * An axis's tick labels: the swept values as text in a datablock (never in
 * the script), drawn as invisible points that carry the labels.
 */
static void tick_labels(struct plot_frame *f, struct plot_block *b, const json_t *vals,
			char *name, const char *using)
{
	size_t i;
	json_t *v;

	json_array_foreach(vals, i, v) {
		char t[64];

		value_text(v, t, sizeof(t));
		plot_block_num(b, (double)i);
		plot_block_text(b, t, PLOT_TICK_MAX);
		plot_block_row(b);
	}
	plot_frame_block(f, b, name);
	strbuf_addf(&f->cmds, ", %s using %s with points ps 0 notitle", name, using);
}

int plot_crossover(struct strbuf *out, const json_t *cmp, const char *context, char *err,
		   size_t elen)
{
	const json_t *co = json_object_get(cmp, "crossover");
	const json_t *xs = json_object_get(co, "xs"), *ys = json_object_get(co, "ys");
	const json_t *grid = json_object_get(co, "grid"), *ratio = json_object_get(co, "ratio");
	const char *sa = json_string_value(json_object_get(co, "a"));
	const char *sb = json_string_value(json_object_get(co, "b"));
	const char *metric = json_string_value(json_object_get(co, "metric"));
	size_t nx = json_array_size(xs), ny = json_array_size(ys);
	static const char marks[3][2] = {"A", "B", "="};
	struct plot_block xt = {0}, yt = {0}, labels = {0};
	char name[16], legend[600], title[600];
	int drawn = 0;
	struct plot_frame f;

	plot_frame_init(&f, "crossover");
	if (!json_is_object(co) || !nx || !ny)
		return plot_frame_fail(&f, err, elen,
				       "the experiment has no crossover: it needs a sweep over "
				       "exactly two numeric params and two correct strategies");
	plot_frame_linetypes(&f);
	plot_frame_panel(&f, PLOT_AREA_B + 0.02, PLOT_AREA_T);
	plot_frame_range(&f, "x", -0.5, (double)nx - 0.5, 0);
	plot_frame_range(&f, "y", -0.5, (double)ny - 0.5, 0);
	strbuf_addf(&f.cmds, "unset grid\nset border 15\nset tics scale 0\n"
			     "set style fill solid 1 noborder\n");
	/*
	 * A heat map: each point coloured by the ratio b / a on a sequential
	 * scale (log-spaced from the smallest to the largest ratio, the colour
	 * box its legend), labelled with the ratio and who wins.
	 */
	{
		struct plot_block b = {0};
		double lo = INFINITY, hi = 0;

		for (size_t iy = 0; iy < ny; iy++)
			for (size_t ix = 0; ix < nx; ix++) {
				double r = plot_num(json_array_get(json_array_get(ratio, iy), ix));

				if (isfinite(r) && r > 0) {
					lo = fmin(lo, r);
					hi = fmax(hi, r);
				}
			}
		if (!isfinite(lo))
			return plot_frame_fail(&f, err, elen,
					       "the crossover grid has no point with data yet");
		if (hi <= lo * 1.01) {
			lo /= 1.05;
			hi *= 1.05;
		}
		strbuf_addf(&f.cmds, "set palette defined (0 \"#fff7ec\", 1 \"#fdd49e\", "
				     "2 \"#fc8d59\", 3 \"#d7301f\", 4 \"#7f0000\")\n"
				     "set logscale cb 10\nset cbrange [%.10g:%.10g]\n"
				     "set cbtics scale 0.5 (\"%.2fx\" %.10g, \"%.2fx\" %.10g, \"%.2fx\" %.10g)\n"
				     "set colorbox vertical user origin screen 0.86, screen 0.2 "
				     "size screen 0.02, screen 0.55\n", lo, hi, lo, lo, sqrt(lo * hi),
			    sqrt(lo * hi), hi, hi);
		plot_block_str(&b, "x");
		plot_block_str(&b, "y");
		plot_block_str(&b, "ratio");
		plot_block_str(&b, "label");
		plot_block_row(&b);
		for (size_t iy = 0; iy < ny; iy++)
			for (size_t ix = 0; ix < nx; ix++) {
				double r = plot_num(json_array_get(json_array_get(ratio, iy), ix));
				const char *mark = json_string_value(json_array_get(json_array_get(grid, iy), ix));
				char lab[48];

				if (!isfinite(r) || r <= 0)
					continue;
				snprintf(lab, sizeof(lab), "%.2f %s", r, mark ? mark : "");
				plot_block_num(&b, (double)ix);
				plot_block_num(&b, (double)iy);
				plot_block_num(&b, r);
				plot_block_str(&b, lab);
				plot_block_row(&b);
				drawn++;
			}
		plot_frame_block(&f, &b, name);
		strbuf_addf(&f.cmds, "plot %s every ::1 using 1:2:(0.5):(0.5):3 with boxxyerror "
			    "fc palette notitle, %s every ::1 using 1:2:4 with labels font \",9\" "
			    "notitle", name, name);
	}
	(void)marks;
	(void)labels;
	tick_labels(&f, &xt, xs, name, "1:(-0.5):xticlabels(2)");
	tick_labels(&f, &yt, ys, name, "(-0.5):1:yticlabels(2)");
	strbuf_addf(&f.cmds, "\n");
	plot_frame_axes(&f, json_string_value(json_object_get(co, "x")),
			json_string_value(json_object_get(co, "y")), PLOT_AREA_B + 0.02,
			PLOT_AREA_T);
	snprintf(title, sizeof(title), "crossover on %s%s%.40s%s", metric ? metric : "?",
		 context ? ": " : "", context ? context : "",
		 context && strlen(context) > 40 ? "..." : "");
	snprintf(legend, sizeof(legend), "colour and label: %s / %s per point; A: %s better, "
		 "B: %s better, =: within noise", sb ? sb : "?", sa ? sa : "?", sa ? sa : "?",
		 sb ? sb : "?");
	plot_frame_title(&f, title, legend);
	return plot_frame_finish(&f, out, err, elen);
}

/* ---- history ---- */

/* A string member of o, "?" when it is not one. */
static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

#define HISTORY_SERIES_MAX 10
#define HISTORY_POINTS_MAX 2000
#define HISTORY_TICKS 24

/* The experiments of every series on one x axis, each series' order kept. */
struct xaxis {
	const char *id[HISTORY_POINTS_MAX];
	const json_t *point[HISTORY_POINTS_MAX];   /* the first point seen for it */
	size_t n;
};

static long xaxis_find(const struct xaxis *x, const char *id)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->id[i], id))
			return (long)i;
	return -1;
}

static void xaxis_build(struct xaxis *x, const json_t *series, size_t nseries)
{
	x->n = 0;
	for (size_t s = 0; s < nseries; s++) {
		const json_t *pts = json_object_get(json_array_get(series, s), "points"), *p;
		long last = -1;
		size_t i;

		json_array_foreach(pts, i, p) {
			const char *id = json_string_value(json_object_get(p, "experiment"));
			long at;

			if (!id)
				continue;
			if ((at = xaxis_find(x, id)) < 0) {
				if (x->n == HISTORY_POINTS_MAX)
					break;
				at = last + 1;
				memmove(x->id + at + 1, x->id + at, (x->n - (size_t)at) * sizeof(x->id[0]));
				memmove(x->point + at + 1, x->point + at,
					(x->n - (size_t)at) * sizeof(x->point[0]));
				x->id[at] = id;
				x->point[at] = p;
				x->n++;
			}
			last = at;
		}
	}
}

/* Where point i of a series sits on the axis, -1 when it does not. */
static long point_x(const struct xaxis *x, const json_t *pts, size_t i)
{
	const char *id = json_string_value(json_object_get(json_array_get(pts, i), "experiment"));

	return id ? xaxis_find(x, id) : -1;
}

int plot_history(struct strbuf *out, const json_t *hist, char *err, size_t elen)
{
	const json_t *series = json_object_get(hist, "series"), *sr, *p, *v;
	size_t nseries = json_array_size(series), i, j, every;
	struct plot_range yr = PLOT_RANGE_EMPTY;
	struct plot_block cps = {0}, ticks = {0};
	struct xaxis *x;
	char name[16], title[400], sub[600], keys[256];
	int drawn = 0, ncp = 0, values_only;
	struct plot_frame f;

	plot_frame_init(&f, "history");
	if (nseries > HISTORY_SERIES_MAX)
		nseries = HISTORY_SERIES_MAX;
	values_only = plot_cell_keys(series, "cell", nseries, keys, sizeof(keys));
	x = xmalloc(sizeof(*x));
	xaxis_build(x, series, nseries);
	for (size_t s = 0; s < nseries; s++)
		json_array_foreach(json_object_get(json_array_get(series, s), "points"), i, p) {
			plot_range_add(&yr, plot_num(json_object_get(p, "median")));
			json_array_foreach(json_object_get(p, "values"), j, v)
				plot_range_add(&yr, plot_num(v));
		}
	if (!x->n || !isfinite(yr.lo)) {
		free(x);
		return plot_frame_fail(&f, err, elen,
				       "no experiment has a value of this metric yet");
	}
	yr.lo = yr.lo > 0 && yr.lo < (yr.hi - yr.lo) ? 0 : yr.lo - (yr.hi - yr.lo) * 0.08;
	yr.hi += (yr.hi - yr.lo) * 0.12;
	if (!(yr.hi > yr.lo)) {
		yr.lo -= fabs(yr.lo) * 0.1 + 1;
		yr.hi += fabs(yr.hi) * 0.1 + 1;
	}
	plot_frame_linetypes(&f);
	plot_frame_panel(&f, PLOT_AREA_B + 0.08, PLOT_AREA_T);
	plot_frame_range(&f, "x", -0.5, (double)x->n - 0.5, 0);
	plot_frame_range(&f, "y", yr.lo, yr.hi, 0);
	strbuf_addf(&f.cmds, "set xtics rotate by 30 right scale 0\nset format y \"%%.1s%%c\"\n");
	json_array_foreach(series, i, sr) {
		const json_t *pts = json_object_get(sr, "points");
		struct plot_block med = {0}, vals = {0};
		char cell[256], vname[16];
		int rows = 0;

		if (i == nseries)
			break;
		plot_cell_text(json_object_get(sr, "cell"), values_only, cell, sizeof(cell));
		plot_block_str(&med, "x");
		plot_block_text(&med, cell, PLOT_KEY_MAX);
		plot_block_row(&med);
		json_array_foreach(pts, j, p) {
			long at = point_x(x, pts, j);
			double m = plot_num(json_object_get(p, "median"));
			size_t k;

			if (at < 0 || !isfinite(m))
				continue;
			plot_block_num(&med, (double)at);
			plot_block_num(&med, m);
			plot_block_row(&med);
			json_array_foreach(json_object_get(p, "values"), k, v) {
				plot_block_num(&vals, (double)at);
				plot_block_num(&vals, plot_num(v));
				plot_block_row(&vals);
			}
			rows++;
		}
		if (!rows) {
			strbuf_release(&med.rows);
			strbuf_release(&vals.rows);
			continue;
		}
		plot_frame_block(&f, &med, name);
		strbuf_addf(&f.cmds, "%s%s using 1:2 with linespoints lt %zu title columnheader(2)",
			    drawn++ ? ", " : "plot ", name, i + 2);
		if (vals.rows.len) {
			plot_frame_block(&f, &vals, vname);
			strbuf_addf(&f.cmds, ", %s using 1:2 with points lt %zu pt 6 ps 0.4 notitle",
				    vname, i + 2);
		} else {
			strbuf_release(&vals.rows);
		}
		/* change points: a dashed line between the last point before and the first after */
		json_array_foreach(json_object_get(sr, "change_points"), j, p) {
			double idx = plot_num(json_object_get(p, "index"));
			double ch = plot_num(json_object_get(p, "change"));
			long at = isfinite(idx) && idx >= 0 ? point_x(x, pts, (size_t)idx) : -1;
			char lab[48];

			if (at < 0)
				continue;
			if (isfinite(ch))
				snprintf(lab, sizeof(lab), "%+.1f%%", ch * 100);
			else
				snprintf(lab, sizeof(lab), "change");
			plot_block_num(&cps, (double)at - 0.5);
			plot_block_num(&cps, yr.lo);
			plot_block_num(&cps, yr.hi - yr.lo);
			plot_block_str(&cps, lab);
			plot_block_row(&cps);
			ncp++;
		}
	}
	if (!drawn) {
		strbuf_release(&cps.rows);
		free(x);
		return plot_frame_fail(&f, err, elen,
				       "no experiment has a value of this metric yet");
	}
	if (ncp) {
		plot_frame_block(&f, &cps, name);
		strbuf_addf(&f.cmds, ", %s using 1:2:(0):3 with vectors nohead dt 2 lw 1.5 "
			    "lc rgb \"#d62728\" notitle, %s using 1:(%.10g):4 with labels left "
			    "offset 0.3,-0.8 font \",9\" tc rgb \"#d62728\" notitle",
			    name, name, yr.hi);
	}
	every = (x->n + HISTORY_TICKS - 1) / HISTORY_TICKS;
	for (i = 0; i < x->n; i += every) {
		const char *label = json_string_value(json_object_get(x->point[i], "label"));

		plot_block_num(&ticks, (double)i);
		plot_block_text(&ticks, label ? label : x->id[i], PLOT_TICK_MAX);
		plot_block_row(&ticks);
	}
	plot_frame_block(&f, &ticks, name);
	plot_xtick_clause(&f, name, yr.lo);
	strbuf_add(&f.cmds, "\n", 1);
	plot_frame_axes(&f, NULL, "median (dots: repetitions)", PLOT_AREA_B + 0.08, PLOT_AREA_T);
	snprintf(title, sizeof(title), "%s: %s, %s", jstr(hist, "metric"), jstr(hist, "workload"),
		 jstr(hist, "strategy"));
	snprintf(sub, sizeof(sub), "by label, oldest first; dashed: change points%s%s%s",
		 values_only ? "; cells: " : "", values_only ? keys : "",
		 json_array_size(series) > nseries ? " (the first 10; pick one with cell=)" : "");
	plot_frame_title(&f, title, sub);
	free(x);
	return plot_frame_finish(&f, out, err, elen);
}
