/*
 * report.c - an experiment as plain text a kernel maintainer pastes into a
 * mail reply (GET /api/v1/experiments/ID/report, `svabench report ID`):
 * what ran where, the preset and where each value comes from, per cell the
 * key metrics' medians against the baseline with CIs and significance
 * marks (mmtests' compare-kernels layout, one metric per block so any
 * number of strategies fits), the crossover map, livelocks and coherence
 * violations with their first examples, and the warnings.
 *
 * Every line fits the width: text from users and sources is word-wrapped,
 * control characters become spaces, and a last pass breaks whatever is
 * still too long. Nothing depends on the time or the machine, so the same
 * documents give the same bytes.
 */
#include "core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIDTH_MIN 40
#define WIDTH_MAX 200
#define KEY_W 12            /* "experiment  " */
#define EXAMPLES_SHOWN 2
#define NUM 32

/* The metrics the tables show when the comparison has them (the rest are
 * named below the tables). Livelocks and violations have a section. */
static const char *const key_metrics[] = {
	"dma.throughput_bps", "dma.latency_ns.p99", "cpu.invalidation_ns", "cmd.tlbi_total",
	"cmd.sync", "cmdq.sync_wait_ns", NULL,
};

struct out {
	char *buf;
	size_t len, cap;
	int oom;
	int width;
};

static void add(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (cap < o->len + n + 1)
			cap *= 2;
		if (!(b = realloc(o->buf, cap))) {
			o->oom = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct out *o, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		add(o, small, (size_t)n);
		return;
	}
	if (!(big = malloc((size_t)n + 1))) {
		o->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	add(o, big, (size_t)n);
	free(big);
}

/* Columns of UTF-8 text: one per character (continuation bytes count 0). */
static size_t cols(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Bytes of the first `want` characters of s[n]. */
static size_t bytes_for(const char *s, size_t n, size_t want)
{
	size_t i = 0, c = 0;

	while (i < n) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (c == want)
				break;
			c++;
		}
		i++;
	}
	return i;
}

/*
 * Word-wraps text (control characters read as spaces) into lines of the
 * report's width: the first starts with `first`, the others with `indent`.
 * A word longer than a line is cut.
 */
static void wrap(struct out *o, const char *first, const char *indent, const char *text)
{
	const char *lead = first;
	char *t = strdup(text ? text : ""), *p;
	size_t room, used;
	int started = 0;

	if (!t) {
		o->oom = 1;
		return;
	}
	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	p = t;
	used = cols(lead, strlen(lead));
	add(o, lead, strlen(lead));
	room = (size_t)o->width > used ? (size_t)o->width - used : 1;
	for (;;) {
		size_t n, c;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " ");
		c = cols(p, n);
		if (started && used + 1 + c > (size_t)o->width) {
			add(o, "\n", 1);
			lead = indent;
			used = cols(lead, strlen(lead));
			add(o, lead, strlen(lead));
			room = (size_t)o->width > used ? (size_t)o->width - used : 1;
			started = 0;
		}
		if (started) {
			add(o, " ", 1);
			used++;
		}
		if (!started && c > room) {
			/* cut a word longer than a whole line */
			size_t b = bytes_for(p, n, room);

			add(o, p, b);
			p += b;
			used += room;
			started = 1;
			continue;
		}
		add(o, p, n);
		used += c;
		p += n;
		started = 1;
	}
	add(o, "\n", 1);
	free(t);
}

/* "key         value..." wrapped under the value's column. */
static void fact(struct out *o, const char *key, const char *value)
{
	char lead[KEY_W + 1];

	snprintf(lead, sizeof(lead), "%-*s", KEY_W, key);
	wrap(o, lead, "            ", value);
}

/* Breaks any line still wider than the width (a last guarantee). */
static char *fit(struct out *o)
{
	struct out f = {.width = o->width};
	const char *p = o->buf;

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		const char *q = p;
		size_t left = n;

		while (cols(q, left) > (size_t)o->width) {
			size_t b = bytes_for(q, left, (size_t)o->width);

			add(&f, q, b);
			add(&f, "\n", 1);
			q += b;
			left -= b;
		}
		add(&f, q, left);
		add(&f, "\n", 1);
		p += n + (p[n] == '\n');
	}
	if (f.oom || !f.buf) {
		free(f.buf);
		return NULL;
	}
	return f.buf;
}

/* ---- numbers ---- */

/* A short number (fmt_short), "-" when there is none. */
static void fmt_num(char *b, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(b, n, "-");
	else
		fmt_short(b, n, v);
}

/* A ratio: 1.04, 12.3, 250. */
static void fmt_ratio(char *b, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(b, n, "-");
	else if (fabs(v) >= 100)
		snprintf(b, n, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(b, n, "%.1f", v);
	else
		snprintf(b, n, "%.2f", v);
}

static double jnum(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A JSON scalar as a spec writes it, without quotes around strings. */
static void fmt_value(char *b, size_t n, const json_t *v)
{
	if (json_is_string(v))
		snprintf(b, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(b, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(b, n, "%.15g", json_real_value(v));
	else if (json_is_true(v))
		snprintf(b, n, "true");
	else if (json_is_false(v))
		snprintf(b, n, "false");
	else if (json_is_null(v))
		snprintf(b, n, "null");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(b, n, "%s", s ? s : "?");
		free(s);
	}
}

/* "k=v, k=v" of an object (a cell, a spec's params). */
static char *pairs(const json_t *obj)
{
	struct out o = {.width = 0};
	const char *key;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)obj, key, v) {
		char val[256];

		fmt_value(val, sizeof(val), v);
		emit(&o, "%s%s=%s", first ? "" : ", ", key, val);
		first = 0;
	}
	if (!o.buf && !o.oom)
		return strdup("");
	return o.oom ? (free(o.buf), NULL) : o.buf;
}

/* ---- the head: what ran where ---- */

static void head(struct out *o, const json_t *exp, const json_t *runs)
{
	const json_t *spec = json_object_get(exp, "spec"), *host = json_object_get(exp, "host");
	const char *name = jstr(exp, "name"), *label = jstr(exp, "label");
	const char *target = jstr(exp, "target"), *workload = jstr(exp, "workload");
	char line[1024], *params;
	size_t title, nstrat, i;
	const json_t *v;

	if (name)
		snprintf(line, sizeof(line), "svabench report: %s", name);
	else
		snprintf(line, sizeof(line), "svabench report: %s %s%s%s", target ? target : "?",
			 workload ? workload : "?", label ? ", " : "", label ? label : "");
	wrap(o, "", "", line);
	title = cols(line, strlen(line));
	for (i = 0; i < title && i < (size_t)o->width; i++)
		add(o, "=", 1);
	add(o, "\n\n", 2);

	snprintf(line, sizeof(line), "%s, %s: %lld of %lld runs done, %lld failed",
		 jstr(exp, "id") ? jstr(exp, "id") : "?", jstr(exp, "status") ? jstr(exp, "status") : "?",
		 (long long)json_integer_value(json_object_get(exp, "runs_done")),
		 (long long)json_integer_value(json_object_get(exp, "runs_total")),
		 (long long)json_integer_value(json_object_get(exp, "runs_failed")));
	fact(o, "experiment", line);
	if (label)
		fact(o, "label", label);
	snprintf(line, sizeof(line), "%s, workload %s", target ? target : "?",
		 workload ? workload : "?");
	fact(o, "target", line);
	if (json_is_object(host)) {
		snprintf(line, sizeof(line), "kernel %s, machine %s",
			 jstr(host, "kernel") ? jstr(host, "kernel") : "unknown",
			 jstr(host, "machine") ? jstr(host, "machine") : "unknown");
		fact(o, "host", line);
		if (jstr(host, "svabench_version"))
			fact(o, "svabench", jstr(host, "svabench_version"));
	}
	nstrat = json_array_size(json_object_get(spec, "strategies"));
	line[0] = '\0';
	json_array_foreach(json_object_get(spec, "strategies"), i, v) {
		size_t len = strlen(line);

		snprintf(line + len, sizeof(line) - len, "%s%s", i ? ", " : "",
			 json_string_value(v) ? json_string_value(v) : "?");
	}
	if (nstrat)
		fact(o, "strategies", line);
	snprintf(line, sizeof(line), "%lld repetition%s, seed %lld, %zu runs",
		 (long long)json_integer_value(json_object_get(spec, "repetitions")),
		 json_integer_value(json_object_get(spec, "repetitions")) == 1 ? "" : "s",
		 (long long)json_integer_value(json_object_get(spec, "seed")), json_array_size(runs));
	if (json_object_get(spec, "repetitions"))
		fact(o, "runs", line);
	params = json_object_size(json_object_get(spec, "params"))
		 ? pairs(json_object_get(spec, "params")) : NULL;
	if (params)
		fact(o, "params", params);
	free(params);
	if (jstr(exp, "created_at")) {
		snprintf(line, sizeof(line), "%s%s%s", jstr(exp, "created_at"),
			 jstr(exp, "finished_at") ? ", finished " : "",
			 jstr(exp, "finished_at") ? jstr(exp, "finished_at") : "");
		fact(o, "created", line);
	}
	if (jstr(exp, "imported_from"))
		fact(o, "imported", jstr(exp, "imported_from"));
}

/* The preset, each value with its confidence and source. */
static void preset(struct out *o, const json_t *exp)
{
	const json_t *p = json_object_get(exp, "preset");
	const json_t *params = json_object_get(json_object_get(exp, "spec"), "params");
	const char *key;
	json_t *v;
	char line[1024];

	add(o, "\n", 1);
	if (!json_is_object(p)) {
		wrap(o, "", "", "preset: none (every parameter at its default or as the spec "
				"sets it)");
		return;
	}
	snprintf(line, sizeof(line), "preset %s: %s", jstr(p, "name") ? jstr(p, "name") : "?",
		 jstr(p, "description") ? jstr(p, "description") : "");
	wrap(o, "", "  ", line);
	json_object_foreach(json_object_get(p, "values"), key, v) {
		const json_t *mine = json_object_get(params, key);
		char val[128], own[128] = "";

		fmt_value(val, sizeof(val), json_object_get(v, "value"));
		if (mine) {
			fmt_value(own, sizeof(own), mine);
			snprintf(line, sizeof(line), "%s = %s (%s; this experiment's spec sets %s)", key,
				 val, jstr(v, "confidence") ? jstr(v, "confidence") : "?",
				 json_is_array(mine) ? "a sweep" : own);
		} else {
			snprintf(line, sizeof(line), "%s = %s (%s)", key, val,
				 jstr(v, "confidence") ? jstr(v, "confidence") : "?");
		}
		wrap(o, "  ", "      ", line);
		wrap(o, "      ", "      ", jstr(v, "source") ? jstr(v, "source") : "no source given");
	}
}

/* ---- the comparison tables ---- */

static int in_list(const char *const *list, const char *s)
{
	for (int i = 0; s && list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* Whether metric m of the comparison gets a table block. */
static int shown_metric(const json_t *metrics, const char *m)
{
	size_t i;
	const json_t *v;
	int any = 0;

	json_array_foreach(metrics, i, v)
		any |= in_list(key_metrics, jstr(v, "name"));
	return any ? in_list(key_metrics, m) : 1;
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

/*
 * "~" when the ratio is within the noise threshold of 1 (whatever p says),
 * else "**" for p < 0.01, "*" for p < 0.05, "" for a difference beyond the
 * noise the test cannot confirm.
 */
static const char *mark(const json_t *m, double noise)
{
	const char *verdict = jstr(m, "verdict");
	double p = jnum(json_object_get(m, "p")), ratio = jnum(json_object_get(m, "ratio"));

	if (!verdict || !strcmp(verdict, "baseline") || !strcmp(verdict, "no data"))
		return "";
	if (fabs(ratio - 1) < noise)
		return "~";
	if (p < 0.01)
		return "**";
	if (p < 0.05)
		return "*";
	return "";
}

#define STRAT_W 16

static void table_row(struct out *o, const char *strategy, const json_t *m, double noise)
{
	char med[NUM], ratio[NUM], ci[2 * NUM + 4] = "", p[NUM] = "", lo[NUM], hi[NUM];
	const json_t *c = json_object_get(m, "ci");
	const char *verdict = jstr(m, "verdict");
	double pv = jnum(json_object_get(m, "p"));

	if (!json_is_object(m)) {
		emit(o, "  %-*s %9s\n", STRAT_W, strategy, "-");
		return;
	}
	fmt_num(med, sizeof(med), jnum(json_object_get(m, "median")));
	fmt_ratio(ratio, sizeof(ratio), jnum(json_object_get(m, "ratio")));
	if (verdict && !strcmp(verdict, "baseline")) {
		snprintf(ci, sizeof(ci), "baseline");
		verdict = "";
	} else if (json_array_size(c) == 2) {
		fmt_ratio(lo, sizeof(lo), jnum(json_array_get(c, 0)));
		fmt_ratio(hi, sizeof(hi), jnum(json_array_get(c, 1)));
		snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
	}
	if (pv < 0.001)
		snprintf(p, sizeof(p), "<0.001");
	else if (isfinite(pv))
		snprintf(p, sizeof(p), "%.3f", pv);
	emit(o, "  %-*s %9s %7s %-2s %-16s %6s  %s", STRAT_W, strategy, med, ratio, mark(m, noise), ci, p,
	     verdict ? verdict : "");
	/* no trailing blanks */
	while (o->len && o->buf[o->len - 1] == ' ')
		o->buf[--o->len] = '\0';
	add(o, "\n", 1);
}

static void cell_tables(struct out *o, const json_t *cmp, const json_t *cell, size_t k,
			size_t ncells)
{
	const json_t *metrics = json_object_get(cmp, "metrics"), *strategies, *m;
	const char *order[64];
	size_t ns = strategy_order(cmp, order, 64), i;
	char title[128], *text = pairs(json_object_get(cell, "cell"));
	double noise = jnum(json_object_get(cmp, "noise"));

	snprintf(title, sizeof(title), "\ncell %zu of %zu: ", k + 1, ncells);
	wrap(o, title, "  ", text && *text ? text : "no swept parameters");
	free(text);
	emit(o, "  %-*s %9s %7s %-2s %-16s %6s  %s\n", STRAT_W, "", "median", "ratio", "", "95% CI",
	     "p", "verdict");
	strategies = json_object_get(cell, "strategies");
	json_array_foreach(metrics, i, m) {
		const char *name = jstr(m, "name"), *better = jstr(m, "better");
		char line[256];

		if (!name || !shown_metric(metrics, name))
			continue;
		snprintf(line, sizeof(line), "%s (%s is better)", name, better ? better : "lower");
		wrap(o, "", "  ", line);
		for (size_t s = 0; s < ns; s++)
			table_row(o, order[s], json_object_get(json_object_get(strategies, order[s]),
							       name), noise);
	}
}

static void comparison(struct out *o, const json_t *exp, const json_t *cmp)
{
	const json_t *cells = json_object_get(cmp, "cells"), *metrics, *c, *m;
	char line[1024], noise[NUM], level[NUM];
	size_t i, others = 0;

	add(o, "\n", 1);
	if (!json_is_object(cmp) || jstr(cmp, "error") || !json_is_array(cells)) {
		snprintf(line, sizeof(line), "no comparison: %s",
			 json_is_object(cmp) && jstr(cmp, "error") ? jstr(cmp, "error")
			 : "none was given");
		wrap(o, "", "  ", line);
		return;
	}
	metrics = json_object_get(cmp, "metrics");
	snprintf(noise, sizeof(noise), "%.3g", 100 * jnum(json_object_get(cmp, "noise")));
	snprintf(level, sizeof(level), "%.3g", 100 * (json_object_get(cmp, "level")
						      ? jnum(json_object_get(cmp, "level")) : 0.95));
	snprintf(line, sizeof(line), "comparison against %s, medians over %lld repetition%s",
		 jstr(cmp, "baseline") ? jstr(cmp, "baseline") : "?",
		 (long long)json_integer_value(json_object_get(json_object_get(exp, "spec"),
							      "repetitions")),
		 json_integer_value(json_object_get(json_object_get(exp, "spec"), "repetitions")) == 1
		 ? "" : "s");
	wrap(o, "", "  ", line);
	snprintf(line, sizeof(line), "ratio = median / %s's median, with its %s%% bootstrap CI;"
		 " p: Mann-Whitney U; marks: ~ ratio within %s%% of 1 (noise), ** p < 0.01,"
		 " * p < 0.05",
		 jstr(cmp, "baseline") ? jstr(cmp, "baseline") : "the baseline", level, noise);
	wrap(o, "", "", line);
	json_array_foreach(cells, i, c)
		cell_tables(o, cmp, c, i, json_array_size(cells));
	line[0] = '\0';
	json_array_foreach(metrics, i, m) {
		const char *name = jstr(m, "name");
		size_t len = strlen(line);

		if (!name || shown_metric(metrics, name) ||
		    !strcmp(name, "dma.livelocked") || !strcmp(name, "oracle.coherence_violations"))
			continue;
		snprintf(line + len, sizeof(line) - len, "%s%s", others++ ? ", " : "", name);
	}
	if (others) {
		char text[1200];

		snprintf(text, sizeof(text), "also compared (not shown): %s; all of it in GET "
			 "/api/v1/experiments/%s/comparison", line,
			 jstr(exp, "id") ? jstr(exp, "id") : "ID");
		add(o, "\n", 1);
		wrap(o, "", "  ", text);
	}
}

/* ---- the crossover ---- */

static void crossover(struct out *o, const json_t *cmp)
{
	const json_t *x = json_object_get(cmp, "crossover"), *grid, *xs, *ys, *row, *v;
	const char *a = jstr(x, "a"), *b = jstr(x, "b"), *better = jstr(x, "better");
	const char *word = better && !strcmp(better, "higher") ? "better" : "cheaper";
	size_t na = 0, nb = 0, neq = 0, nnone = 0, iy, ix, xw = 1, yw = 1, nx;
	char line[1024], val[64];

	if (!json_is_object(x))
		return;
	grid = json_object_get(x, "grid");
	xs = json_object_get(x, "xs");
	ys = json_object_get(x, "ys");
	nx = json_array_size(xs);
	json_array_foreach(grid, iy, row) {
		json_array_foreach(row, ix, v) {
			const char *s = json_string_value(v);

			na += s && !strcmp(s, "A");
			nb += s && !strcmp(s, "B");
			neq += s && !strcmp(s, "=");
			nnone += !s;
		}
	}
	add(o, "\n", 1);
	snprintf(line, sizeof(line), "crossover on %s (%s is better), %s (x) by %s (y):",
		 jstr(x, "metric") ? jstr(x, "metric") : "?", better ? better : "lower",
		 jstr(x, "x") ? jstr(x, "x") : "?", jstr(x, "y") ? jstr(x, "y") : "?");
	wrap(o, "", "  ", line);
	snprintf(line, sizeof(line), "A: %s %s at %zu point%s, B: %s %s at %zu", a ? a : "?",
		 word, na, na == 1 ? "" : "s", b ? b : "?", word, nb);
	wrap(o, "  ", "    ", line);
	snprintf(line, sizeof(line), "=: within noise at %zu, .: no data at %zu", neq, nnone);
	wrap(o, "  ", "    ", line);

	json_array_foreach(xs, ix, v) {
		fmt_value(val, sizeof(val), v);
		if (strlen(val) + 1 > xw)
			xw = strlen(val) + 1;
	}
	json_array_foreach(ys, iy, v) {
		fmt_value(val, sizeof(val), v);
		if (strlen(val) > yw)
			yw = strlen(val);
	}
	if (yw > 16)
		yw = 16;
	/* x values as column heads when they fit, else one letter per column */
	if (4 + yw + 1 + nx * xw > (size_t)o->width) {
		xw = 2;
		line[0] = '\0';
		json_array_foreach(xs, ix, v) {
			size_t len = strlen(line);

			fmt_value(val, sizeof(val), v);
			snprintf(line + len, sizeof(line) - len, "%s%s", ix ? ", " : "", val);
		}
		wrap(o, "  x, left to right: ", "    ", line);
	}
	/* the largest y on top, as a plot has it */
	for (size_t k = json_array_size(ys); k-- > 0;) {
		fmt_value(val, sizeof(val), json_array_get(ys, k));
		emit(o, "  %*.*s |", (int)yw, (int)yw, val);
		row = json_array_get(grid, k);
		for (ix = 0; ix < nx; ix++) {
			const char *s = json_string_value(json_array_get(row, ix));

			emit(o, "%*s", (int)xw, s ? s : ".");
		}
		add(o, "\n", 1);
	}
	emit(o, "  %*s +", (int)yw, "");
	for (ix = 0; ix < nx * xw; ix++)
		add(o, "-", 1);
	add(o, "\n", 1);
	if (xw > 2) {
		emit(o, "  %*s  ", (int)yw, "");
		json_array_foreach(xs, ix, v) {
			fmt_value(val, sizeof(val), v);
			emit(o, "%*s", (int)xw, val);
		}
		add(o, "\n", 1);
	}
}

/* ---- livelocks and coherence violations ---- */

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
		const char *rs = jstr(r, "strategy"), *st = jstr(r, "status");

		if (!rs || strcmp(rs, name) || !st || strcmp(st, "done"))
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

/* One strategy's livelocks and violations, and its first examples. */
static void strategy_problems(struct out *o, const char *name, const struct bad_runs *b)
{
	char ll[NUM], vv[NUM], line[512];
	char lpart[160] = "no livelocks", vpart[160] = "no coherence violations";
	const json_t *e;
	size_t j;

	fmt_num(ll, sizeof(ll), b->livelocks);
	fmt_num(vv, sizeof(vv), b->violations);
	if (b->livelocked)
		snprintf(lpart, sizeof(lpart), "livelocks in %zu of %zu runs (%s transactions"
			 " aborted)", b->livelocked, b->runs, ll);
	if (b->violating)
		snprintf(vpart, sizeof(vpart), "coherence violations in %zu of %zu runs (%s in"
			 " all)", b->violating, b->runs, vv);
	snprintf(line, sizeof(line), "%s: %s; %s", name, lpart, vpart);
	wrap(o, "  ", "    ", line);
	if (!b->example_run)
		return;
	snprintf(line, sizeof(line), "first examples, run %s:",
		 jstr(b->example_run, "id") ? jstr(b->example_run, "id") : "?");
	wrap(o, "    ", "      ", line);
	json_array_foreach(json_object_get(b->example_run, "examples"), j, e) {
		if (j == EXAMPLES_SHOWN)
			break;
		wrap(o, "    - ", "      ", json_string_value(e));
	}
}

static void problems(struct out *o, const json_t *exp, const json_t *runs)
{
	const json_t *strategies = json_object_get(json_object_get(exp, "spec"), "strategies");
	const json_t *s;
	char clean[512] = "", line[1024];
	size_t k, nclean = 0;

	add(o, "\n", 1);
	wrap(o, "", "", "livelocks and coherence violations:");
	json_array_foreach(strategies, k, s) {
		const char *name = json_string_value(s);
		struct bad_runs b;

		if (!name)
			continue;
		b = tally(runs, name);
		if (b.livelocked || b.violating) {
			strategy_problems(o, name, &b);
		} else {
			size_t len = strlen(clean);

			snprintf(clean + len, sizeof(clean) - len, "%s%s", nclean++ ? ", " : "", name);
		}
	}
	if (nclean) {
		snprintf(line, sizeof(line), "none in %s", clean);
		wrap(o, "  ", "    ", line);
	}
}

static void warnings(struct out *o, const json_t *cmp)
{
	const json_t *w = json_object_get(cmp, "warnings"), *v;
	size_t i;

	if (!json_array_size(w))
		return;
	add(o, "\n", 1);
	wrap(o, "", "", "warnings:");
	json_array_foreach(w, i, v)
		wrap(o, "  - ", "    ", json_string_value(v));
}

char *report_text(const json_t *doc, const json_t *cmp, int width)
{
	const json_t *exp = json_object_get(doc, "experiment"), *runs = json_object_get(doc, "runs");
	const char *target = jstr(exp, "target");
	const struct target *t;
	struct out o = {.width = width >= WIDTH_MIN && width <= WIDTH_MAX ? width : 80};
	char *text;

	head(&o, exp, runs);
	preset(&o, exp);
	comparison(&o, exp, cmp);
	crossover(&o, cmp);
	problems(&o, exp, runs);
	warnings(&o, cmp);
	add(&o, "\n", 1);
	t = target ? target_find(target) : NULL;
	wrap(&o, "", "", t && t->figures ? t->figures : "measured on the host above.");
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	text = fit(&o);
	free(o.buf);
	return text;
}
