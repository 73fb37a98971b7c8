/*
 * report_out.h - core-internal: the growing text buffer the report is
 * written into, word-wrapping within a width, and the short number forms
 * the report prints (report_out.c). Only core/report*.c include it.
 */
#ifndef SVABENCH_REPORT_OUT_H
#define SVABENCH_REPORT_OUT_H

#include "../lib/strbuf.h"

#include <jansson.h>
#include <stddef.h>

struct out {
	struct strbuf sb;  /* the text so far */
	int width;
};

void out_add(struct out *o, const char *s, size_t n);
void out_emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops trailing blanks of the text so far, then ends the line. */
void out_eol(struct out *o);
/* Columns of UTF-8 text s[n]. */
size_t out_cols(const char *s, size_t n);
/*
 * Word-wraps text (control characters read as spaces) into lines of o's
 * width: the first starts with `first`, the others with `indent`. A word
 * longer than a line is cut.
 */
void out_wrap(struct out *o, const char *first, const char *indent, const char *text);
/* "key         value..." with value wrapped under its column (12). */
void out_fact(struct out *o, const char *key, const char *value);
/* The text with any line still wider than the width broken (malloc'd). */
char *out_fit(struct out *o);

/* A short number (fmt_short), "-" when it is not finite. */
void fmt_num(char *b, size_t n, double v);
/* A ratio: 1.04, 12.3, 250; "-" when not finite. */
void fmt_ratio(char *b, size_t n, double v);
/* A metric's value with its unit from the name's suffix and an SI prefix:
 * _ns -> "1.2 us", _bps -> "2.0 GB/s", else fmt_short. */
void fmt_metric(char *b, size_t n, const char *metric, double v);
/* A JSON scalar as a spec writes it, strings without quotes. */
void fmt_value(char *b, size_t n, const json_t *v);
/* "k=v, k=v" of an object (malloc'd; NULL on OOM). */
char *fmt_pairs(const json_t *obj);

/* The report's "robust" fact of a stored robustness analysis (report_robust.c). */
void report_robustness(struct out *o, const json_t *result, const char *id);

#endif
