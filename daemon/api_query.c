/*
 * api_query.c - a route's query string read against the route's table of
 * parameters (struct query_arg, http_internal.h): names, repeats, UTF-8,
 * and each value's type and range are checked here, once, and refused with
 * the same 400 invalid_query naming the parameter.
 */
#include "http_internal.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query *q = cls;

	(void)kind;
	if (!utf8_valid(key) || (value && !utf8_valid(value))) {
		q->bad = key;
		q->not_utf8 = 1;
		return MHD_NO;
	}
	for (int i = 0; q->args[i].name; i++) {
		if (strcmp(key, q->args[i].name))
			continue;
		if (q->values[i]) {
			q->bad = q->args[i].name;
			q->repeated = 1;
			return MHD_NO;
		}
		q->values[i] = value ? value : "";
		return MHD_YES;
	}
	q->bad = key;
	return MHD_NO;
}

int parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum MHD_Result bad_query_value(struct request *r, const char *name, const char *want,
				const char *got)
{
	char shown[48];
	size_t i;

	/* the message echoes the value: keep it printable */
	for (i = 0; got[i] && i < sizeof(shown) - 1; i++)
		shown[i] = (unsigned char)got[i] < 0x20 || got[i] == 0x7f ? '?' : got[i];
	shown[i] = '\0';
	return reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", name, "%s must be %s, got '%.40s'",
			   name, want, shown);
}

/* The value of row a checked into slot i; 0, or 1 when refused (answered in *res). */
static int check_value(struct request *r, struct query *q, int i, enum MHD_Result *res)
{
	const struct query_arg *a = &q->args[i];
	const char *v = q->values[i];
	double d;

	if (!*v && a->empty_absent) {
		q->values[i] = NULL;
		return 0;
	}
	switch (a->type) {
	case QUERY_TEXT:
		if (a->nonempty && !*v)
			break;
		return 0;
	case QUERY_INT:
		if (parse_int(v, a->ilo, a->ihi, &q->ints[i]))
			break;
		return 0;
	case QUERY_REAL:
		if (parse_double(v, a->lo, a->hi, &d) || (a->lo_open && d == a->lo))
			break;
		q->reals[i] = d;
		return 0;
	case QUERY_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "1"))
			q->ints[i] = 1;
		else if (!strcmp(v, "false") || !strcmp(v, "0"))
			q->ints[i] = 0;
		else
			break;
		return 0;
	}
	*res = bad_query_value(r, a->name, a->want, v);
	return 1;
}

int read_query(struct request *r, struct query *q, enum MHD_Result *res)
{
	char allowed[256] = "";

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_arg, q);
	if (!q->bad) {
		for (int i = 0; q->args[i].name; i++)
			if (q->values[i] && check_value(r, q, i, res))
				return 1;
		return 0;
	}
	for (int i = 0; q->args[i].name; i++) {
		size_t n = strlen(allowed);

		snprintf(allowed + n, sizeof(allowed) - n, "%s%s", i ? ", " : "", q->args[i].name);
	}
	if (q->not_utf8)
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", q->bad,
				   "query parameter '%s' is not valid UTF-8 (in its name or value)",
				   q->bad);
	else if (q->repeated)
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", q->bad,
				   "query parameter '%s' is given more than once", q->bad);
	else if (!allowed[0])
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", q->bad,
				   "unknown query parameter '%s'; this resource takes none", q->bad);
	else
		*res = reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_query", q->bad,
				   "unknown query parameter '%s'; allowed: %s", q->bad, allowed);
	return 1;
}

int no_query(struct request *r, enum MHD_Result *res)
{
	static const struct query_arg none[] = {{0}};
	struct query q = {.args = none};

	return read_query(r, &q, res);
}
