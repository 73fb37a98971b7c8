/*
 * plot_kinds.c - the gnuplot scripts of svabench's plots: a run's time
 * series, strategy comparison bars, latency quantiles, the crossover map
 * and a metric's history, each built from the JSON the API already serves.
 *
 * Every script has the same frame: the svg terminal (900x480, noenhanced
 * so no text is markup), every datablock first, then the plots in a
 * multiplot, and last an overlay panel drawing the title, subtitle and
 * axis titles `with labels` from datablocks. Text from users - names,
 * labels, cells, strategy and metric names - is only ever a datablock
 * field (plot_block_str); the command text is fixed words and numbers
 * formatted here. Ranges are set explicitly so gnuplot has nothing to warn
 * about: any stderr output fails a render (plot.c).
 */
#include "plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text buffer ---- */

void plot_buf_free(struct plot_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void plot_buf_add(struct plot_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *t;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(t = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void plot_buf_printf(struct plot_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
	} else if ((size_t)n < sizeof(small)) {
		plot_buf_add(b, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);

		if (!big) {
			b->oom = 1;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		plot_buf_add(b, big, (size_t)n);
		free(big);
	}
}

/* ---- datablocks ---- */

/* Length of the UTF-8 sequence at s and its code point; 0 when not UTF-8. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

void plot_field(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t o = 0, chars = 0;

	if (!outlen)
		return;
	while (*s && chars < PLOT_FIELD_MAX) {
		char rep[8];
		size_t rl, n;
		uint32_t cp = 0;

		n = utf8_next(s, &cp);
		if (!n) {
			rep[0] = '?';                    /* not UTF-8 */
			rl = 1;
			n = 1;
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			rep[0] = ' ';                    /* newlines, CR, tabs, controls */
			rl = 1;
		} else if (cp == 0xfffe || cp == 0xffff) {
			rep[0] = '?';                    /* not allowed in XML */
			rl = 1;
		} else if (cp == '"') {
			memcpy(rep, "\xe2\x80\x9d", 3);  /* U+201D: a quote that ends nothing */
			rl = 3;
		} else if (cp == '\\') {
			memcpy(rep, "\\\\", 2);          /* gnuplot unescapes quoted fields */
			rl = 2;
		} else if (cp == '>' && o >= 2 && out[o - 1] == ']' && out[o - 2] == ']') {
			memcpy(rep, " >", 2);            /* "]]>" may not stand in XML text */
			rl = 2;
		} else {
			memcpy(rep, s, n);
			rl = n;
		}
		if (o + rl + 1 > outlen)
			break;
		memcpy(out + o, rep, rl);
		o += rl;
		s += n;
		chars++;
	}
	out[o] = '\0';
}

void plot_block_str(struct plot_block *b, const char *s)
{
	char f[PLOT_FIELD_MAX * 4 + 8];

	plot_field(s, f, sizeof(f));
	plot_buf_printf(&b->rows, "%s\"%s\"", b->fields++ ? " " : "", f);
}

void plot_block_num(struct plot_block *b, double v)
{
	if (isfinite(v))
		plot_buf_printf(&b->rows, "%s%.10g", b->fields++ ? " " : "", v);
	else
		plot_buf_printf(&b->rows, "%sNaN", b->fields++ ? " " : "");
}

void plot_block_row(struct plot_block *b)
{
	plot_buf_add(&b->rows, "\n", 1);
	b->fields = 0;
}

/* 1 when a row of rows starts with term (gnuplot ends a block at such a line). */
static int ends_early(const char *rows, const char *term)
{
	size_t tl = strlen(term);

	for (const char *r = rows; r && *r; r = strchr(r, '\n'), r = r ? r + 1 : NULL)
		if (!strncmp(r, term, tl))
			return 1;
	return 0;
}

void plot_block_emit(struct plot_buf *script, const char *name, struct plot_block *b)
{
	const char *rows = b->rows.s ? b->rows.s : "";
	char hex[65], term[40];
	unsigned salt = 0;

	if (b->rows.oom)
		script->oom = 1;
	plot_sha256_hex(rows, strlen(rows), hex);
	snprintf(term, sizeof(term), "EOD_%.32s", hex);
	/* rows start with a digit, '-', 'N' or '"': never "EOD_"; kept as a check */
	while (ends_early(rows, term)) {
		char seeded[80];

		snprintf(seeded, sizeof(seeded), "%s%u", hex, ++salt);
		plot_sha256_hex(seeded, strlen(seeded), hex);
		snprintf(term, sizeof(term), "EOD_%.32s", hex);
	}
	plot_buf_printf(script, "$%s << %s\n", name, term);
	plot_buf_add(script, rows, strlen(rows));
	plot_buf_printf(script, "%s\n", term);
	plot_buf_free(&b->rows);
	b->fields = 0;
}

/*
 * A text field cut to max characters with an ellipsis: ticks and key
 * entries have a fixed room, and gnuplot warns (a failed render) when a
 * tick label does not fit.
 */
static void block_text(struct plot_block *b, const char *s, size_t max)
{
	char cut[PLOT_FIELD_MAX * 4 + 8];
	size_t chars = 0, i = 0;

	s = s ? s : "";
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars++ == max)
			break;
	}
	if (!s[i] || i + 4 > sizeof(cut)) {
		plot_block_str(b, s);
		return;
	}
	/* back to max - 1 characters, then U+2026 */
	while (i > 0 && (((unsigned char)s[--i] & 0xc0) == 0x80))
		;
	memcpy(cut, s, i);
	memcpy(cut + i, "\xe2\x80\xa6", 4);
	plot_block_str(b, cut);
}

#define TICK_MAX 28      /* characters of a tick label */
#define KEY_MAX 26       /* of a key entry */
#define TITLE_MAX 110    /* of a title or subtitle line */

/* ---- the frame every plot shares ---- */

/* Where the plot area sits on the canvas (screen fractions). */
#define AREA_L 0.085
#define AREA_R 0.78
#define AREA_B 0.13
#define AREA_T 0.85

struct frame {
	struct plot_buf blocks, cmds;
	int nblocks;
	struct plot_block title, text, vtext;   /* the overlay's words */
};

static void frame_init(struct frame *f, const char *kind)
{
	memset(f, 0, sizeof(*f));
	plot_buf_printf(&f->blocks,
			"# svabench plot v1: %s\n"
			"set encoding utf8\n"
			"set terminal svg size 900,480 fixed noenhanced font \"sans-serif,11\" "
			"background rgb \"#ffffff\"\n"
			"set datafile commentschars \"\"\n"
			"set datafile separator whitespace\n",
			kind);
}

/* Emits b as the next datablock; name receives "$dN". */
static void frame_block(struct frame *f, struct plot_block *b, char name[16])
{
	int n = f->nblocks++;
	char bare[16];

	snprintf(bare, sizeof(bare), "d%d", n);
	plot_block_emit(&f->blocks, bare, b);
	snprintf(name, 16, "$d%d", n);
}

/* Words on the canvas at (x, y) screen fractions, vertical ones rotated. */
static void frame_text(struct frame *f, double x, double y, int vertical, const char *s)
{
	struct plot_block *b = vertical ? &f->vtext : &f->text;

	plot_block_num(b, x);
	plot_block_num(b, y);
	block_text(b, s, TITLE_MAX);
	plot_block_row(b);
}

static void frame_title(struct frame *f, const char *title, const char *subtitle)
{
	plot_block_num(&f->title, 0.5);
	plot_block_num(&f->title, 0.955);
	block_text(&f->title, title, TITLE_MAX);
	plot_block_row(&f->title);
	if (subtitle && *subtitle)
		frame_text(f, 0.5, 0.905, 0, subtitle);
}

/* Axis titles of a panel spanning b..t (screen fractions) vertically. */
static void frame_axes(struct frame *f, const char *xtitle, const char *ytitle, double b, double t)
{
	if (xtitle)
		frame_text(f, (AREA_L + AREA_R) / 2, 0.035, 0, xtitle);
	if (ytitle)
		frame_text(f, 0.018, (b + t) / 2, 1, ytitle);
}

/* Settings of a panel at b..t: margins, grid, key on the right. */
static void frame_panel(struct frame *f, double b, double t)
{
	plot_buf_printf(&f->cmds,
			"set lmargin at screen %.4f\nset rmargin at screen %.4f\n"
			"set bmargin at screen %.4f\nset tmargin at screen %.4f\n"
			"set border 3 lc rgb \"#555555\"\nset tics nomirror out\n"
			"set grid ytics lc rgb \"#dddddd\" lw 1 dt 1\n"
			"set key at screen %.4f, screen %.4f left top Left reverse noautotitle "
			"samplen 2 spacing 1.1\n",
			AREA_L, AREA_R, b, t, AREA_R + 0.015, t);
}

/* A panel's ranges; equal ends are widened, so gnuplot never adjusts them itself. */
static void frame_range(struct frame *f, const char *axis, double lo, double hi, int logscale)
{
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = logscale ? 1 : 0;
		hi = logscale ? 10 : 1;
	}
	if (hi <= lo) {
		double d = logscale ? 0 : fabs(lo) * 0.1 + 1;

		hi = logscale ? lo * 10 : lo + d;
		lo = logscale ? lo / 10 : lo - d;
	}
	plot_buf_printf(&f->cmds, "set %srange [%.10g:%.10g]\n", axis, lo, hi);
}

static void frame_free(struct frame *f)
{
	plot_buf_free(&f->blocks);
	plot_buf_free(&f->cmds);
	plot_buf_free(&f->title.rows);
	plot_buf_free(&f->text.rows);
	plot_buf_free(&f->vtext.rows);
}

/* The whole script: settings, datablocks, panels, then the overlay. */
static int frame_finish(struct frame *f, struct plot_buf *out, char *err, size_t elen)
{
	char title[16] = "", text[16] = "", vtext[16] = "";
	int have_text = f->text.rows.len > 0, have_vtext = f->vtext.rows.len > 0, oom;

	frame_block(f, &f->title, title);
	if (have_text)
		frame_block(f, &f->text, text);
	if (have_vtext)
		frame_block(f, &f->vtext, vtext);
	oom = f->blocks.oom || f->cmds.oom || !f->blocks.s || !f->cmds.s;
	if (oom) {
		frame_free(f);
		snprintf(err, elen, "out of memory");
		return -1;
	}
	plot_buf_add(out, f->blocks.s, f->blocks.len);
	plot_buf_add(out, "set multiplot\n", 14);
	plot_buf_add(out, f->cmds.s, f->cmds.len);
	plot_buf_printf(out,
			"set lmargin at screen 0\nset rmargin at screen 1\n"
			"set bmargin at screen 0\nset tmargin at screen 1\n"
			"unset border\nunset tics\nunset key\nunset grid\nunset logscale\n"
			"unset xlabel\nunset ylabel\n"
			"set xrange [0:1]\nset yrange [0:1]\n"
			"plot %s using 1:2:3 with labels font \",14\" tc rgb \"#222222\"", title);
	if (have_text)
		plot_buf_printf(out, ", %s using 1:2:3 with labels tc rgb \"#333333\"", text);
	if (have_vtext)
		plot_buf_printf(out, ", %s using 1:2:3 with labels rotate by 90 tc rgb \"#333333\"",
				vtext);
	plot_buf_add(out, "\nunset multiplot\n", 17);
	frame_free(f);
	if (out->oom) {
		snprintf(err, elen, "out of memory");
		return -1;
	}
	return 0;
}

/* Fails a builder: frees the frame, sets the message. */
static int frame_fail(struct frame *f, char *err, size_t elen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int frame_fail(struct frame *f, char *err, size_t elen, const char *fmt, ...)
{
	va_list ap;

	frame_free(f);
	va_start(ap, fmt);
	vsnprintf(err, elen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- shared pieces ---- */

/* The linetype of a strategy: the known ones keep their colour in every plot. */
static int strategy_lt(const char *name, int fallback)
{
	static const char *const known[] = {"none", "pri-inv", "pri-inv-sync", "notifier",
					    "notifier-seed", "pri-inv-no-atc"};

	for (int i = 0; i < 6; i++)
		if (!strcmp(name, known[i]))
			return i + 1;
	return 7 + fallback % 4;
}

static const char linetypes[] =
	"set linetype 1 lc rgb \"#7f7f7f\" lw 2 pt 7 ps 0.6\n"
	"set linetype 2 lc rgb \"#1f77b4\" lw 2 pt 7 ps 0.6\n"
	"set linetype 3 lc rgb \"#17becf\" lw 2 pt 7 ps 0.6\n"
	"set linetype 4 lc rgb \"#ff7f0e\" lw 2 pt 7 ps 0.6\n"
	"set linetype 5 lc rgb \"#bcbd22\" lw 2 pt 7 ps 0.6\n"
	"set linetype 6 lc rgb \"#d62728\" lw 2 pt 7 ps 0.6\n"
	"set linetype 7 lc rgb \"#2ca02c\" lw 2 pt 7 ps 0.6\n"
	"set linetype 8 lc rgb \"#9467bd\" lw 2 pt 7 ps 0.6\n"
	"set linetype 9 lc rgb \"#8c564b\" lw 2 pt 7 ps 0.6\n"
	"set linetype 10 lc rgb \"#e377c2\" lw 2 pt 7 ps 0.6\n"
	"set linetype cycle 10\n";

/*
 * A cell as "pages=64 ats=false" ("all runs" for no swept params), or its
 * values alone, "64 / false", when the axis says the names once.
 */
static void cell_text(const json_t *cell, int values_only, char *out, size_t n)
{
	const char *k;
	json_t *v;
	size_t o = 0;

	out[0] = '\0';
	json_object_foreach((json_t *)cell, k, v) {
		char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		const char *val = s ? s : json_string_value(v);

		if (values_only)
			o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s", o ? " / " : "", val);
		else
			o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s=%s", o ? " " : "", k,
					      val);
		free(s);
		if (o >= n)
			break;
	}
	if (!out[0])
		snprintf(out, n, "all runs");
}

/*
 * The names of the swept params, "a / b", when every cell of cells (an
 * array of objects holding the cell under key, or the cells themselves
 * when key is NULL) has the same ones, so ticks can show values alone;
 * 0 otherwise.
 */
static int cell_keys(const json_t *cells, const char *key, size_t max, char *out, size_t n)
{
	const json_t *first = json_array_get(cells, 0), *c, *v;
	const char *k;
	size_t i, o = 0;

	first = key ? json_object_get(first, key) : first;
	if (json_array_size(cells) < 2 || !json_object_size(first))
		return 0;
	json_array_foreach(cells, i, c) {
		const json_t *cell = key ? json_object_get(c, key) : c;

		if (i == max)
			break;
		if (json_object_size(cell) != json_object_size(first))
			return 0;
		json_object_foreach((json_t *)cell, k, v)
			if (!json_object_get(first, k))
				return 0;
	}
	out[0] = '\0';
	json_object_foreach((json_t *)first, k, v)
		o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s", o ? " / " : "", k);
	return 1;
}

/* A string member of o, "?" when it is not one. */
static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

/* A JSON number's value, NaN for anything else. */
static double num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

struct range {
	double lo, hi;
};

static void range_add(struct range *r, double v)
{
	if (!isfinite(v))
		return;
	if (!isfinite(r->lo) || v < r->lo)
		r->lo = v;
	if (!isfinite(r->hi) || v > r->hi)
		r->hi = v;
}

#define RANGE_EMPTY {NAN, NAN}

/* Tick labels along x from a block of "x label" rows, drawn by an invisible point each. */
static void xtick_clause(struct frame *f, const char *block, double y)
{
	plot_buf_printf(&f->cmds, ", %s using 1:(%.10g):xticlabels(2) with points ps 0 notitle",
			block, y);
}

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
static int series_block(struct frame *f, const struct series *s, int panel, char name[16],
			struct range *xr, struct range *yr)
{
	struct plot_block b = {0};
	int n = 0;

	plot_block_str(&b, "t");
	for (size_t k = 0; k < s->nm; k++)
		if (s->panel[k] == panel) {
			block_text(&b, s->metrics[k], KEY_MAX);
			n++;
		}
	plot_block_row(&b);
	for (size_t i0 = 0; i0 < s->ns; i0 += s->per) {
		size_t i1 = i0 + s->per < s->ns ? i0 + s->per : s->ns;

		for (int hi = 0; hi < (s->per > 1 ? 2 : 1); hi++) {
			double x = s->t[hi ? i1 - 1 : i0] / s->scale;

			plot_block_num(&b, x);
			range_add(xr, x);
			for (size_t k = 0; k < s->nm; k++) {
				double best = NAN;

				if (s->panel[k] != panel)
					continue;
				for (size_t i = i0; i < i1; i++) {
					double y = s->v[i * s->nm + k];

					if (isfinite(y) && (!isfinite(best) || (hi ? y > best : y < best)))
						best = y;
				}
				range_add(yr, best);
				plot_block_num(&b, best);
			}
			plot_block_row(&b);
		}
	}
	frame_block(f, &b, name);
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

int plot_timeseries(struct plot_buf *out, const char *run_id, const struct plot_samples *in,
		    char *err, size_t elen)
{
	size_t ns = in->n, nm = in->nm;
	struct series s = {.ns = ns, .nm = nm, .metrics = in->metrics, .per = 1, .t = in->t_ns};
	double *v, tmax = 0;
	int *panel, count[2] = {0, 0};
	struct frame f;
	char title[160], xt[32];

	frame_init(&f, "timeseries");
	if (!ns || !nm)
		return frame_fail(&f, err, elen, "run %s has no samples to plot", run_id);
	v = malloc(ns * nm * sizeof(*v));
	panel = malloc(nm * sizeof(*panel));
	if (!v || !panel) {
		free(v);
		free(panel);
		return frame_fail(&f, err, elen, "out of memory");
	}
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
	plot_buf_add(&f.cmds, linetypes, sizeof(linetypes) - 1);
	for (int g = 0; g < 2; g++) {
		double mid = (AREA_T + AREA_B) / 2;
		double b = g == 0 && count[1] ? mid + 0.04 : AREA_B;
		double top = g == 1 && count[0] ? mid - 0.02 : AREA_T;
		struct range xr = RANGE_EMPTY, yr = RANGE_EMPTY;
		char name[16];
		int n;

		if (!count[g])
			continue;
		n = series_block(&f, &s, g, name, &xr, &yr);
		if (yr.lo > 0)
			yr.lo = 0;
		yr.hi += (yr.hi - yr.lo) * 0.06;
		frame_panel(&f, b, top);
		frame_range(&f, "x", xr.lo, xr.hi, 0);
		frame_range(&f, "y", yr.lo, yr.hi, 0);
		plot_buf_printf(&f.cmds, "set format x \"%s\"\nset format y \"%%.1s%%c\"\n",
				g == 0 && count[1] ? "" : "% g");
		for (int k = 0; k < n; k++)
			plot_buf_printf(&f.cmds, "%s%s using 1:%d with lines lt %d title columnheader(%d)",
					k ? ", " : "plot ", name, k + 2, k + 1, k + 2);
		plot_buf_add(&f.cmds, "\n", 1);
		frame_axes(&f, g == 1 || !count[1] ? xt : NULL, g == 0 ? "rate (per s)" : "value",
			   b, top);
	}
	free(v);
	free(panel);
	if (!count[0] && !count[1])
		return frame_fail(&f, err, elen, "run %s has no values of the chosen metrics",
				  run_id);
	snprintf(title, sizeof(title), "run %s: time series of %zu samples", run_id, ns);
	frame_title(&f, title, s.per > 1 ? "counters as rates per second, gauges as sampled; "
			       "min and max of each bucket of samples"
			       : "counters as rates per second, gauges as sampled");
	return frame_finish(&f, out, err, elen);
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
	double bmed = base ? num(json_object_get(stat_of(cell, base, metric), "median")) : NAN;
	double ratio = num(json_object_get(st, "ratio"));
	const char *verdict = json_string_value(json_object_get(st, "verdict"));
	int is_base = base && !strcmp(s, base);

	*med = num(json_object_get(st, "median"));
	if (!isfinite(*med))
		return 0;
	/* the CI is of median(s) / median(baseline): in the metric's units, times the baseline */
	*lo = num(json_array_get(ci, 0)) * bmed;
	*hi = num(json_array_get(ci, 1)) * bmed;
	if (!isfinite(*lo) || !isfinite(*hi) || is_base) {
		*lo = num(json_object_get(st, "p25"));
		*hi = num(json_object_get(st, "p75"));
	}
	lab[0] = '\0';
	if (isfinite(ratio) && !is_base)
		snprintf(lab, llen, "%.2fx%s", ratio,
			 verdict && (!strcmp(verdict, "better") || !strcmp(verdict, "worse")) ? " *" : "");
	return 1;
}

int plot_comparison(struct plot_buf *out, const json_t *cmp, const char *metric,
		    const char *context, char *err, size_t elen)
{
	const json_t *cells = json_object_get(cmp, "cells"), *c;
	const char *names[STRATEGIES_MAX];
	const char *base = json_string_value(json_object_get(cmp, "baseline"));
	size_t ns = strategies_of(cmp, names, STRATEGIES_MAX), nc = json_array_size(cells), i;
	double w = ns ? 0.8 / (double)ns : 0.8, ymax = 0, med, lo, hi;
	struct plot_block ticks = {0};
	char tickname[16], title[600], lab[48], keys[256];
	int drawn = 0, values_only;
	struct frame f;

	frame_init(&f, "comparison");
	values_only = cell_keys(cells, "cell", SIZE_MAX, keys, sizeof(keys));
	for (size_t s = 0; s < ns; s++)
		json_array_foreach(cells, i, c)
			if (bar_of(cmp, c, names[s], metric, &med, &lo, &hi, lab, sizeof(lab)))
				ymax = fmax(ymax, fmax(med, isfinite(hi) ? hi : med));
	plot_buf_add(&f.cmds, linetypes, sizeof(linetypes) - 1);
	frame_panel(&f, AREA_B + 0.04, AREA_T);
	frame_range(&f, "x", -0.6, (double)nc - 0.4, 0);
	frame_range(&f, "y", 0, ymax > 0 ? ymax * 1.15 : 1, 0);
	plot_buf_printf(&f.cmds, "set style fill solid 0.85 %s\nset xtics scale 0%s\n"
				 "set format y \"%%.1s%%c\"\n",
			nc * ns <= BAR_LABELS_MAX ? "border -1" : "noborder",
			nc > 6 ? " rotate by 30 right" : "");
	/* a block per strategy: a header row "x" "<name>", then x median lo hi "label" per cell */
	for (size_t s = 0; s < ns; s++) {
		struct plot_block b = {0};
		char name[16];
		int rows = 0;

		plot_block_str(&b, "x");
		block_text(&b, names[s], KEY_MAX);
		plot_block_row(&b);
		json_array_foreach(cells, i, c) {
			if (!bar_of(cmp, c, names[s], metric, &med, &lo, &hi, lab, sizeof(lab)))
				continue;
			plot_block_num(&b, (double)i + ((double)s - (double)(ns - 1) / 2) * w);
			plot_block_num(&b, med);
			plot_block_num(&b, lo);
			plot_block_num(&b, hi);
			plot_block_str(&b, lab);
			plot_block_row(&b);
			rows++;
		}
		if (!rows) {
			plot_buf_free(&b.rows);
			continue;
		}
		frame_block(&f, &b, name);
		plot_buf_printf(&f.cmds,
				"%s%s using 1:2:(%.6g) with boxes lt %d title columnheader(2), "
				"%s every ::1 using 1:3:(0):(column(4) - column(3)) with vectors heads "
				"size screen 0.006,90 lc rgb \"#222222\" lw 1 notitle",
				drawn++ ? ", " : "plot ", name, w * 0.92, strategy_lt(names[s], (int)s),
				name);
		if (nc * ns <= BAR_LABELS_MAX)
			plot_buf_printf(&f.cmds, ", %s every ::1 using 1:(column(4) > column(2) ? "
					"column(4) : column(2)):5 with labels offset 0,0.7 font \",9\" "
					"notitle", name);
	}
	if (!drawn)
		return frame_fail(&f, err, elen, "no strategy has a value of %s", metric);
	json_array_foreach(cells, i, c) {
		char text[256];

		if (i % ((nc + TICKS_MAX - 1) / TICKS_MAX))
			continue;
		cell_text(json_object_get(c, "cell"), values_only, text, sizeof(text));
		plot_block_num(&ticks, (double)i);
		block_text(&ticks, text, TICK_MAX);
		plot_block_row(&ticks);
	}
	frame_block(&f, &ticks, tickname);
	xtick_clause(&f, tickname, 0);
	plot_buf_add(&f.cmds, "\n", 1);
	frame_axes(&f, values_only ? keys : NULL, "median over repetitions", AREA_B + 0.04, AREA_T);
	snprintf(title, sizeof(title), "%s by strategy and cell%s%s", metric, context ? ": " : "",
		 context ? context : "");
	frame_title(&f, title, !base ? "bars: median; whiskers: p25..p75"
			       : nc * ns <= BAR_LABELS_MAX
			       ? "median; whiskers: 95 % CI of the ratio to the baseline (else p25..p75); "
				 "ratio above, * significant"
			       : "median; whiskers: 95 % CI of the ratio to the baseline (else p25..p75)");
	return frame_finish(&f, out, err, elen);
}

/* ---- latency quantiles ---- */

static const char *const latency_metrics[] = {"dma.latency_ns.p50", "dma.latency_ns.p90",
					      "dma.latency_ns.p99", "dma.latency_ns.p999",
					      "dma.latency_ns.max"};
/* Where each quantile sits on the y axis: -log10(1 - q), "max" one step past p99.9. */
static const double latency_y[] = {0.30103, 1, 2, 3, 4};

int plot_latency(struct plot_buf *out, const json_t *cmp, size_t cell, const char *context,
		 char *err, size_t elen)
{
	const json_t *c = json_array_get(json_object_get(cmp, "cells"), cell);
	const char *names[STRATEGIES_MAX];
	size_t ns = strategies_of(cmp, names, STRATEGIES_MAX);
	struct range xr = RANGE_EMPTY;
	char text[256], sub[300], title[600];
	int drawn = 0;
	struct frame f;

	frame_init(&f, "latency");
	if (!c)
		return frame_fail(&f, err, elen, "the experiment has no cell %zu", cell);
	for (size_t s = 0; s < ns; s++)
		for (int q = 0; q < 5; q++) {
			double v = num(json_object_get(stat_of(c, names[s], latency_metrics[q]),
						       "median"));

			if (v > 0)
				range_add(&xr, v);
		}
	if (!isfinite(xr.lo))
		return frame_fail(&f, err, elen, "no strategy has a latency quantile (%s...) in this cell",
				  latency_metrics[0]);
	plot_buf_add(&f.cmds, linetypes, sizeof(linetypes) - 1);
	frame_panel(&f, AREA_B, AREA_T);
	plot_buf_printf(&f.cmds, "set logscale x 10\nset format x \"%%.0s%%c\"\n"
				 "set grid xtics ytics lc rgb \"#dddddd\"\n"
				 "set ytics (\"p50\" 0.30103, \"p90\" 1, \"p99\" 2, \"p99.9\" 3, \"max\" 4)\n");
	frame_range(&f, "x", xr.lo / 1.5, xr.hi * 1.5, 1);
	frame_range(&f, "y", 0, 4.3, 0);
	/* 1, 2 and 5 of each decade: a narrow range still gets a few labels */
	plot_buf_add(&f.cmds, "set xtics add (1", 16);
	for (double d = pow(10, floor(log10(xr.lo / 1.5))); d <= xr.hi * 1.5; d *= 10)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
			if (d * m >= xr.lo / 1.5 && d * m <= xr.hi * 1.5)
				plot_buf_printf(&f.cmds, ", %.10g", d * m);
	plot_buf_add(&f.cmds, ")\n", 2);
	/* a block per strategy: "x" "<name>", then latency and quantile position */
	for (size_t s = 0; s < ns; s++) {
		struct plot_block b = {0};
		char name[16];
		int rows = 0;

		plot_block_str(&b, "x");
		block_text(&b, names[s], KEY_MAX);
		plot_block_row(&b);
		for (int q = 0; q < 5; q++) {
			double v = num(json_object_get(stat_of(c, names[s], latency_metrics[q]),
						       "median"));

			if (!(v > 0))
				continue;
			plot_block_num(&b, v);
			plot_block_num(&b, latency_y[q]);
			plot_block_row(&b);
			rows++;
		}
		if (!rows) {
			plot_buf_free(&b.rows);
			continue;
		}
		frame_block(&f, &b, name);
		plot_buf_printf(&f.cmds,
				"%s%s using 1:2 with steps lt %d title columnheader(2), "
				"%s every ::1 using 1:2 with points lt %d pt 7 ps 0.7 notitle",
				drawn++ ? ", " : "plot ", name, strategy_lt(names[s], (int)s), name,
				strategy_lt(names[s], (int)s));
	}
	plot_buf_add(&f.cmds, "\n", 1);
	frame_axes(&f, "DMA transaction latency (ns, log scale)", "quantile", AREA_B, AREA_T);
	cell_text(json_object_get(c, "cell"), 0, text, sizeof(text));
	snprintf(sub, sizeof(sub), "%s; medians over repetitions", text);
	snprintf(title, sizeof(title), "DMA latency quantiles by strategy%s%s", context ? ": " : "",
		 context ? context : "");
	frame_title(&f, title, sub);
	return frame_finish(&f, out, err, elen);
}

/* ---- crossover map ---- */

/* A sweep value as tick text. */
static void value_text(const json_t *v, char *out, size_t n)
{
	char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	snprintf(out, n, "%s", s ? s : json_is_string(v) ? json_string_value(v) : "?");
	free(s);
}

int plot_crossover(struct plot_buf *out, const json_t *cmp, const char *context, char *err,
		   size_t elen)
{
	const json_t *co = json_object_get(cmp, "crossover");
	const json_t *xs = json_object_get(co, "xs"), *ys = json_object_get(co, "ys");
	const json_t *grid = json_object_get(co, "grid"), *ratio = json_object_get(co, "ratio"), *v;
	const char *sa = json_string_value(json_object_get(co, "a"));
	const char *sb = json_string_value(json_object_get(co, "b"));
	const char *metric = json_string_value(json_object_get(co, "metric"));
	size_t nx = json_array_size(xs), ny = json_array_size(ys), i;
	static const char marks[3][2] = {"A", "B", "="};
	struct plot_block xt = {0}, yt = {0}, labels = {0};
	char name[16], legend[600], title[600];
	int drawn = 0;
	struct frame f;

	frame_init(&f, "crossover");
	if (!json_is_object(co) || !nx || !ny)
		return frame_fail(&f, err, elen, "the experiment has no crossover: it needs a sweep "
				  "over exactly two numeric params and two correct strategies");
	plot_buf_add(&f.cmds, linetypes, sizeof(linetypes) - 1);
	frame_panel(&f, AREA_B + 0.02, AREA_T);
	frame_range(&f, "x", -0.5, (double)nx - 0.5, 0);
	frame_range(&f, "y", -0.5, (double)ny - 0.5, 0);
	plot_buf_printf(&f.cmds, "unset grid\nset border 15\nset tics scale 0\n"
				 "set style fill solid 0.75 noborder\n");
	/* a block per mark: "x" "y" "<legend>", then the grid positions holding it */
	for (int m = 0; m < 3; m++) {
		struct plot_block b = {0};
		int rows = 0;

		plot_block_str(&b, "x");
		plot_block_str(&b, "y");
		if (m == 2)
			snprintf(legend, sizeof(legend), "within noise");
		else
			snprintf(legend, sizeof(legend), "%s better", m == 0 ? sa ? sa : "baseline"
									: sb ? sb : "other");
		block_text(&b, legend, KEY_MAX);
		plot_block_row(&b);
		for (size_t iy = 0; iy < ny; iy++)
			for (size_t ix = 0; ix < nx; ix++) {
				const char *mark = json_string_value(json_array_get(json_array_get(grid, iy), ix));

				if (!mark || strcmp(mark, marks[m]))
					continue;
				plot_block_num(&b, (double)ix);
				plot_block_num(&b, (double)iy);
				plot_block_row(&b);
				rows++;
			}
		if (!rows) {
			plot_buf_free(&b.rows);
			continue;
		}
		frame_block(&f, &b, name);
		if (m == 2)
			plot_buf_printf(&f.cmds, "%s%s using 1:2:(0.5):(0.5) with boxxyerror "
					"lc rgb \"#d9d9d9\" title columnheader(3)",
					drawn++ ? ", " : "plot ", name);
		else
			plot_buf_printf(&f.cmds, "%s%s using 1:2:(0.5):(0.5) with boxxyerror lt %d "
					"title columnheader(3)", drawn++ ? ", " : "plot ", name,
					strategy_lt(m == 0 ? sa ? sa : "" : sb ? sb : "", m));
	}
	if (!drawn)
		return frame_fail(&f, err, elen, "the crossover grid has no point with data yet");
	for (size_t iy = 0; iy < ny; iy++)
		for (size_t ix = 0; ix < nx; ix++) {
			double r = num(json_array_get(json_array_get(ratio, iy), ix));
			char lab[32];

			if (!isfinite(r))
				continue;
			snprintf(lab, sizeof(lab), "%.2fx", r);
			plot_block_num(&labels, (double)ix);
			plot_block_num(&labels, (double)iy);
			plot_block_str(&labels, lab);
			plot_block_row(&labels);
		}
	if (labels.rows.len) {
		frame_block(&f, &labels, name);
		plot_buf_printf(&f.cmds, ", %s using 1:2:3 with labels font \",9\" notitle", name);
	}
	json_array_foreach(xs, i, v) {
		char t[64];

		value_text(v, t, sizeof(t));
		plot_block_num(&xt, (double)i);
		block_text(&xt, t, TICK_MAX);
		plot_block_row(&xt);
	}
	frame_block(&f, &xt, name);
	plot_buf_printf(&f.cmds, ", %s using 1:(-0.5):xticlabels(2) with points ps 0 notitle", name);
	json_array_foreach(ys, i, v) {
		char t[64];

		value_text(v, t, sizeof(t));
		plot_block_num(&yt, (double)i);
		block_text(&yt, t, TICK_MAX);
		plot_block_row(&yt);
	}
	frame_block(&f, &yt, name);
	plot_buf_printf(&f.cmds, ", %s using (-0.5):1:yticlabels(2) with points ps 0 notitle\n",
			name);
	frame_axes(&f, json_string_value(json_object_get(co, "x")),
		   json_string_value(json_object_get(co, "y")), AREA_B + 0.02, AREA_T);
	snprintf(title, sizeof(title), "crossover on %s%s%s", metric ? metric : "?",
		 context ? ": " : "", context ? context : "");
	snprintf(legend, sizeof(legend), "which of %s and %s is better per point; "
		 "labels: ratio %s / %s", sb ? sb : "?", sa ? sa : "?", sb ? sb : "?", sa ? sa : "?");
	frame_title(&f, title, legend);
	return frame_finish(&f, out, err, elen);
}

/* ---- history ---- */

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

int plot_history(struct plot_buf *out, const json_t *hist, char *err, size_t elen)
{
	const json_t *series = json_object_get(hist, "series"), *sr, *p, *v;
	size_t nseries = json_array_size(series), i, j, every;
	struct range yr = RANGE_EMPTY;
	struct plot_block cps = {0}, ticks = {0};
	struct xaxis *x;
	char name[16], title[400], sub[600], keys[256];
	int drawn = 0, ncp = 0, values_only;
	struct frame f;

	frame_init(&f, "history");
	if (nseries > HISTORY_SERIES_MAX)
		nseries = HISTORY_SERIES_MAX;
	values_only = cell_keys(series, "cell", nseries, keys, sizeof(keys));
	if (!(x = malloc(sizeof(*x))))
		return frame_fail(&f, err, elen, "out of memory");
	xaxis_build(x, series, nseries);
	for (size_t s = 0; s < nseries; s++)
		json_array_foreach(json_object_get(json_array_get(series, s), "points"), i, p) {
			range_add(&yr, num(json_object_get(p, "median")));
			json_array_foreach(json_object_get(p, "values"), j, v)
				range_add(&yr, num(v));
		}
	if (!x->n || !isfinite(yr.lo)) {
		free(x);
		return frame_fail(&f, err, elen, "no experiment has a value of this metric yet");
	}
	yr.lo = yr.lo > 0 && yr.lo < (yr.hi - yr.lo) ? 0 : yr.lo - (yr.hi - yr.lo) * 0.08;
	yr.hi += (yr.hi - yr.lo) * 0.12;
	if (!(yr.hi > yr.lo)) {
		yr.lo -= fabs(yr.lo) * 0.1 + 1;
		yr.hi += fabs(yr.hi) * 0.1 + 1;
	}
	plot_buf_add(&f.cmds, linetypes, sizeof(linetypes) - 1);
	frame_panel(&f, AREA_B + 0.08, AREA_T);
	frame_range(&f, "x", -0.5, (double)x->n - 0.5, 0);
	frame_range(&f, "y", yr.lo, yr.hi, 0);
	plot_buf_printf(&f.cmds, "set xtics rotate by 30 right scale 0\nset format y \"%%.1s%%c\"\n");
	json_array_foreach(series, i, sr) {
		const json_t *pts = json_object_get(sr, "points");
		struct plot_block med = {0}, vals = {0};
		char cell[256], vname[16];
		int rows = 0;

		if (i == nseries)
			break;
		cell_text(json_object_get(sr, "cell"), values_only, cell, sizeof(cell));
		plot_block_str(&med, "x");
		block_text(&med, cell, KEY_MAX);
		plot_block_row(&med);
		json_array_foreach(pts, j, p) {
			long at = point_x(x, pts, j);
			double m = num(json_object_get(p, "median"));
			size_t k;

			if (at < 0 || !isfinite(m))
				continue;
			plot_block_num(&med, (double)at);
			plot_block_num(&med, m);
			plot_block_row(&med);
			json_array_foreach(json_object_get(p, "values"), k, v) {
				plot_block_num(&vals, (double)at);
				plot_block_num(&vals, num(v));
				plot_block_row(&vals);
			}
			rows++;
		}
		if (!rows) {
			plot_buf_free(&med.rows);
			plot_buf_free(&vals.rows);
			continue;
		}
		frame_block(&f, &med, name);
		plot_buf_printf(&f.cmds, "%s%s using 1:2 with linespoints lt %zu title columnheader(2)",
				drawn++ ? ", " : "plot ", name, i + 2);
		if (vals.rows.len) {
			frame_block(&f, &vals, vname);
			plot_buf_printf(&f.cmds, ", %s using 1:2 with points lt %zu pt 6 ps 0.4 notitle",
					vname, i + 2);
		} else {
			plot_buf_free(&vals.rows);
		}
		/* change points: a dashed line between the last point before and the first after */
		json_array_foreach(json_object_get(sr, "change_points"), j, p) {
			double idx = num(json_object_get(p, "index")), ch = num(json_object_get(p, "change"));
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
		plot_buf_free(&cps.rows);
		free(x);
		return frame_fail(&f, err, elen, "no experiment has a value of this metric yet");
	}
	if (ncp) {
		frame_block(&f, &cps, name);
		plot_buf_printf(&f.cmds, ", %s using 1:2:(0):3 with vectors nohead dt 2 lw 1.5 "
				"lc rgb \"#d62728\" notitle, %s using 1:(%.10g):4 with labels left "
				"offset 0.3,-0.8 font \",9\" tc rgb \"#d62728\" notitle",
				name, name, yr.hi);
	}
	every = (x->n + HISTORY_TICKS - 1) / HISTORY_TICKS;
	for (i = 0; i < x->n; i += every) {
		const char *label = json_string_value(json_object_get(x->point[i], "label"));

		plot_block_num(&ticks, (double)i);
		block_text(&ticks, label ? label : x->id[i], TICK_MAX);
		plot_block_row(&ticks);
	}
	frame_block(&f, &ticks, name);
	xtick_clause(&f, name, yr.lo);
	plot_buf_add(&f.cmds, "\n", 1);
	frame_axes(&f, NULL, "median (dots: repetitions)", AREA_B + 0.08, AREA_T);
	snprintf(title, sizeof(title), "%s: %s, %s", jstr(hist, "metric"), jstr(hist, "workload"),
		 jstr(hist, "strategy"));
	snprintf(sub, sizeof(sub), "by label, oldest first; dashed: change points%s%s%s",
		 values_only ? "; cells: " : "", values_only ? keys : "",
		 json_array_size(series) > nseries ? " (the first 10; pick one with cell=)" : "");
	frame_title(&f, title, sub);
	free(x);
	return frame_finish(&f, out, err, elen);
}
