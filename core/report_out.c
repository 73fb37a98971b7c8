/*
 * report_out.c - the report's text buffer: appends, word-wrapping within a
 * width (UTF-8 aware, control characters become spaces), a last pass that
 * breaks whatever is still too long, and the number forms it prints.
 */
#include "core.h"
#include "report_out.h"
#include "../lib/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_W 12            /* "experiment  " */

void out_add(struct out *o, const char *s, size_t n)
{
	strbuf_add(&o->sb, s, n);
}

void out_emit(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&o->sb, fmt, ap);
	va_end(ap);
}

void out_eol(struct out *o)
{
	size_t n = o->sb.len;

	while (n && o->sb.buf[n - 1] == ' ')
		n--;
	strbuf_setlen(&o->sb, n);
	strbuf_addch(&o->sb, '\n');
}

size_t out_cols(const char *s, size_t n)
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

void out_wrap(struct out *o, const char *first, const char *indent, const char *text)
{
	const char *lead = first;
	char *t = xstrdup(text ? text : ""), *p;
	size_t room, used;
	int started = 0;

	for (p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	p = t;
	used = out_cols(lead, strlen(lead));
	out_add(o, lead, strlen(lead));
	room = (size_t)o->width > used ? (size_t)o->width - used : 1;
	for (;;) {
		size_t n, c;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " ");
		c = out_cols(p, n);
		if (started && used + 1 + c > (size_t)o->width) {
			out_add(o, "\n", 1);
			lead = indent;
			used = out_cols(lead, strlen(lead));
			out_add(o, lead, strlen(lead));
			room = (size_t)o->width > used ? (size_t)o->width - used : 1;
			started = 0;
		}
		if (started) {
			out_add(o, " ", 1);
			used++;
		}
		if (!started && c > room) {
			/* cut a word longer than a whole line */
			size_t b = bytes_for(p, n, room);

			out_add(o, p, b);
			p += b;
			used += room;
			started = 1;
			continue;
		}
		out_add(o, p, n);
		used += c;
		p += n;
		started = 1;
	}
	out_eol(o);
	free(t);
}

void out_fact(struct out *o, const char *key, const char *value)
{
	char lead[KEY_W + 1];

	snprintf(lead, sizeof(lead), "%-*s", KEY_W, key);
	out_wrap(o, lead, "            ", value);
}

char *out_fit(struct out *o)
{
	struct out f = {.sb = STRBUF_INIT, .width = o->width};
	const char *p = o->sb.buf;

	while (p && *p) {
		size_t n = strcspn(p, "\n");
		const char *q = p;
		size_t left = n;

		while (out_cols(q, left) > (size_t)o->width) {
			size_t b = bytes_for(q, left, (size_t)o->width);

			out_add(&f, q, b);
			out_add(&f, "\n", 1);
			q += b;
			left -= b;
		}
		out_add(&f, q, left);
		out_add(&f, "\n", 1);
		p += n + (p[n] == '\n');
	}
	return strbuf_detach(&f.sb, NULL);
}

/* ---- numbers ---- */

void fmt_num(char *b, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(b, n, "-");
	else
		fmt_short(b, n, v);
}

void fmt_ratio(char *b, size_t n, double v)
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

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* v scaled into [1, 1000) by an SI prefix of base unit `unit`. */
static void fmt_si(char *b, size_t n, double v, const char *const *units, int nunits)
{
	int k = 0;
	double a = fabs(v);

	while (k + 1 < nunits && a >= 1000) {
		v /= 1000;
		a /= 1000;
		k++;
	}
	if (a == 0 || a >= 100 || (k == 0 && v == floor(v)))
		snprintf(b, n, "%.0f %s", v, units[k]);
	else if (a >= 10)
		snprintf(b, n, "%.1f %s", v, units[k]);
	else
		snprintf(b, n, "%.2f %s", v, units[k]);
}

void fmt_metric(char *b, size_t n, const char *metric, double v)
{
	static const char *const ns[] = {"ns", "us", "ms", "s"};
	static const char *const bps[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};

	if (!isfinite(v))
		snprintf(b, n, "-");
	else if (metric && (ends_with(metric, "_ns") || strstr(metric, "_ns.")))
		fmt_si(b, n, v, ns, 4);
	else if (metric && ends_with(metric, "_bps"))
		fmt_si(b, n, v, bps, 5);
	else
		fmt_short(b, n, v);
}

void fmt_value(char *b, size_t n, const json_t *v)
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

char *fmt_pairs(const json_t *obj)
{
	struct out o = {.sb = STRBUF_INIT, .width = 0};
	const char *key;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)obj, key, v) {
		char val[256];

		fmt_value(val, sizeof(val), v);
		out_emit(&o, "%s%s=%s", first ? "" : ", ", key, val);
		first = 0;
	}
	return strbuf_detach(&o.sb, NULL);
}
