/*
 * plot_frame.c - what every svabench plot script is built with: a growing
 * text buffer, datablocks that hold all text from users, the frame each
 * script shares, and the small formatting helpers of the plot kinds
 * (plot_kinds.c).
 *
 * Every script has the same frame: the svg terminal (900x480, noenhanced
 * so no text is markup), every datablock first, then the plots in a
 * multiplot, and last an overlay panel drawing the title, subtitle and
 * axis titles `with labels` from datablocks. Text from users - names,
 * labels, cells, strategy and metric names - is only ever a datablock
 * field (plot_block_str); the command text is fixed words and numbers
 * formatted here and in plot_kinds.c.
 */
#include "plot.h"
#include "../lib/vocab.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	strbuf_addf(&b->rows, "%s\"%s\"", b->fields++ ? " " : "", f);
}

void plot_block_num(struct plot_block *b, double v)
{
	if (isfinite(v))
		strbuf_addf(&b->rows, "%s%.10g", b->fields++ ? " " : "", v);
	else
		strbuf_addf(&b->rows, "%sNaN", b->fields++ ? " " : "");
}

void plot_block_row(struct plot_block *b)
{
	strbuf_add(&b->rows, "\n", 1);
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

void plot_block_emit(struct strbuf *script, const char *name, struct plot_block *b)
{
	const char *rows = b->rows.len ? b->rows.buf : "";
	char hex[65], term[40];
	unsigned salt = 0;

	plot_sha256_hex(rows, strlen(rows), hex);
	snprintf(term, sizeof(term), "EOD_%.32s", hex);
	/* rows start with a digit, '-', 'N' or '"': never "EOD_"; kept as a check */
	while (ends_early(rows, term)) {
		char seeded[80];

		snprintf(seeded, sizeof(seeded), "%s%u", hex, ++salt);
		plot_sha256_hex(seeded, strlen(seeded), hex);
		snprintf(term, sizeof(term), "EOD_%.32s", hex);
	}
	strbuf_addf(script, "$%s << %s\n", name, term);
	strbuf_add(script, rows, strlen(rows));
	strbuf_addf(script, "%s\n", term);
	strbuf_release(&b->rows);
	b->fields = 0;
}

/*
 * A text field cut to max characters with an ellipsis: ticks and key
 * entries have a fixed room, and gnuplot warns (a failed render) when a
 * tick label does not fit.
 */
void plot_block_text(struct plot_block *b, const char *s, size_t max)
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

#define TITLE_MAX 110    /* characters of a title or subtitle line */

/* ---- the frame every plot shares ---- */

void plot_frame_init(struct plot_frame *f, const char *kind)
{
	memset(f, 0, sizeof(*f));
	strbuf_addf(&f->blocks,
		    "# svabench plot v1: %s\n"
		    "set encoding utf8\n"
		    "set terminal svg size 900,480 fixed noenhanced font \"sans-serif,11\" "
		    "background rgb \"#ffffff\"\n"
		    "set datafile commentschars \"\"\n"
		    "set datafile separator whitespace\n",
		    kind);
}

/* Emits b as the next datablock; name receives "$dN". */
void plot_frame_block(struct plot_frame *f, struct plot_block *b, char name[16])
{
	int n = f->nblocks++;
	char bare[16];

	snprintf(bare, sizeof(bare), "d%d", n);
	plot_block_emit(&f->blocks, bare, b);
	snprintf(name, 16, "$d%d", n);
}

/* Words on the canvas at (x, y) screen fractions, vertical ones rotated. */
static void frame_text(struct plot_frame *f, double x, double y, int vertical, const char *s)
{
	struct plot_block *b = vertical ? &f->vtext : &f->text;

	plot_block_num(b, x);
	plot_block_num(b, y);
	plot_block_text(b, s, TITLE_MAX);
	plot_block_row(b);
}

void plot_frame_title(struct plot_frame *f, const char *title, const char *subtitle)
{
	plot_block_num(&f->title, 0.5);
	plot_block_num(&f->title, 0.955);
	plot_block_text(&f->title, title, TITLE_MAX);
	plot_block_row(&f->title);
	if (subtitle && *subtitle)
		frame_text(f, 0.5, 0.905, 0, subtitle);
}

/* Axis titles of a panel spanning b..t (screen fractions) vertically. */
void plot_frame_axes(struct plot_frame *f, const char *xtitle, const char *ytitle, double b,
		     double t)
{
	if (xtitle)
		frame_text(f, (PLOT_AREA_L + PLOT_AREA_R) / 2, 0.035, 0, xtitle);
	if (ytitle)
		frame_text(f, 0.018, (b + t) / 2, 1, ytitle);
}

/* Settings of a panel at b..t: margins, grid, key on the right. */
void plot_frame_panel(struct plot_frame *f, double b, double t)
{
	strbuf_addf(&f->cmds,
		    "set lmargin at screen %.4f\nset rmargin at screen %.4f\n"
		    "set bmargin at screen %.4f\nset tmargin at screen %.4f\n"
		    "set border 3 lc rgb \"#555555\"\nset tics nomirror out\n"
		    "set grid ytics lc rgb \"#dddddd\" lw 1 dt 1\n"
		    "set key at screen %.4f, screen %.4f left top Left reverse noautotitle "
		    "samplen 2 spacing 1.1\n",
		    PLOT_AREA_L, PLOT_AREA_R, b, t, PLOT_AREA_R + 0.015, t);
}

/* A panel's ranges; equal ends are widened, so gnuplot never adjusts them itself. */
void plot_frame_range(struct plot_frame *f, const char *axis, double lo, double hi,
		      int logscale)
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
	strbuf_addf(&f->cmds, "set %srange [%.10g:%.10g]\n", axis, lo, hi);
}

static void frame_free(struct plot_frame *f)
{
	strbuf_release(&f->blocks);
	strbuf_release(&f->cmds);
	strbuf_release(&f->title.rows);
	strbuf_release(&f->text.rows);
	strbuf_release(&f->vtext.rows);
}

/* The whole script: settings, datablocks, panels, then the overlay. */
int plot_frame_finish(struct plot_frame *f, struct strbuf *out, char *err, size_t elen)
{
	char title[16] = "", text[16] = "", vtext[16] = "";
	int have_text = f->text.rows.len > 0, have_vtext = f->vtext.rows.len > 0;

	plot_frame_block(f, &f->title, title);
	if (have_text)
		plot_frame_block(f, &f->text, text);
	if (have_vtext)
		plot_frame_block(f, &f->vtext, vtext);
	strbuf_add(out, f->blocks.buf, f->blocks.len);
	strbuf_add(out, "set multiplot\n", 14);
	strbuf_add(out, f->cmds.buf, f->cmds.len);
	strbuf_addf(out,
		    "set lmargin at screen 0\nset rmargin at screen 1\n"
		    "set bmargin at screen 0\nset tmargin at screen 1\n"
		    "unset border\nunset tics\nunset key\nunset grid\nunset logscale\n"
		    "unset xlabel\nunset ylabel\n"
		    "set xrange [0:1]\nset yrange [0:1]\n"
		    "plot %s using 1:2:3 with labels font \",14\" tc rgb \"#222222\"", title);
	if (have_text)
		strbuf_addf(out, ", %s using 1:2:3 with labels tc rgb \"#333333\"", text);
	if (have_vtext)
		strbuf_addf(out, ", %s using 1:2:3 with labels rotate by 90 tc rgb \"#333333\"",
			    vtext);
	strbuf_add(out, "\nunset multiplot\n", 17);
	frame_free(f);
	return 0;
}

/* Fails a builder: frees the frame, sets the message. */
int plot_frame_fail(struct plot_frame *f, char *err, size_t elen, const char *fmt, ...)
{
	va_list ap;

	frame_free(f);
	va_start(ap, fmt);
	vsnprintf(err, elen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- shared pieces ---- */

/* The linetype of a strategy: those with a role (lib/vocab.c) keep their
 * colour in every plot, the others take the remaining colours in turn. */
int plot_strategy_lt(const char *name, int fallback)
{
	for (size_t i = 0; i < vocab_strategy_count(); i++)
		if (!strcmp(name, vocab_strategy_at(i)->name))
			return (int)i + 1;
	return (int)vocab_strategy_count() + 1 + fallback % (int)vocab_other_colour_count();
}

void plot_frame_linetypes(struct plot_frame *f)
{
	size_t nr = vocab_strategy_count(), n = nr + vocab_other_colour_count();

	for (size_t i = 0; i < n; i++)
		strbuf_addf(&f->cmds, "set linetype %zu lc rgb \"%s\" lw 2 pt 7 ps 0.6\n", i + 1,
			    i < nr ? vocab_strategy_at(i)->colour : vocab_other_colour(i - nr));
	strbuf_addf(&f->cmds, "set linetype cycle %zu\n", n);
}

/*
 * A cell as "pages=64 ats=false" ("all runs" for no swept params), or its
 * values alone, "64 / false", when the axis says the names once.
 */
void plot_cell_text(const json_t *cell, int values_only, char *out, size_t n)
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
int plot_cell_keys(const json_t *cells, const char *key, size_t max, char *out, size_t n)
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

/* A JSON number's value, NaN for anything else. */
double plot_num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

void plot_range_add(struct plot_range *r, double v)
{
	if (!isfinite(v))
		return;
	if (!isfinite(r->lo) || v < r->lo)
		r->lo = v;
	if (!isfinite(r->hi) || v > r->hi)
		r->hi = v;
}

/* Tick labels along x from a block of "x label" rows, drawn by an invisible point each. */
void plot_xtick_clause(struct plot_frame *f, const char *block, double y)
{
	strbuf_addf(&f->cmds, ", %s using 1:(%.10g):xticlabels(2) with points ps 0 notitle",
		    block, y);
}
