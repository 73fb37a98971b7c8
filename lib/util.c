/* util.c - allocation policy, error_into, whole-file reading (util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "PREFIX: MESSAGE\n" on stderr in one write: no stdio buffer, no allocation (we may be out of memory). */
static void report(const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	dprintf(2, "%s: %s\n", prefix, msg);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("fatal", fmt, ap);
	va_end(ap);
	exit(128);
}

void BUG(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("BUG", fmt, ap);
	va_end(ap);
	abort();
}

static void oom(size_t n)
{
	die("out of memory, allocating %zu bytes failed", n);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		die("out of memory, %zu elements of %zu bytes overflow", nmemb, size);
	return xrealloc(p, nmemb * size);
}

void *xgrow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 8;
	return xreallocarray(v, *cap, size);
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		oom(strlen(s) + 1);
	return d;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	if (!d)
		oom(n + 1);
	return d;
}

int error_into(char *err, size_t elen, const char *fmt, ...)
{
	va_list ap;

	if (err && elen) {
		va_start(ap, fmt);
		vsnprintf(err, elen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

char *read_fd(int fd, size_t max, size_t *len)
{
	size_t n = 0, cap = 8192;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t got;

		if (n + 1 == cap) {
			if (n > max)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		got = read(fd, buf + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = read_fd(fd, max, len);
	e = errno;
	close(fd);
	errno = e;
	return buf;
}

int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	if (!s || !*s || (*s != '.' && *s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

void json_put(json_t *o, const char *key, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, key, v))
		*bad = 1;
}
