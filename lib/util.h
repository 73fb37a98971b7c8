/*
 * util.h - the house's small tools, the lowest layer (lib/): one
 * allocation policy, one "format into err, return -1" helper, whole-file
 * reading, a strict number parser and the JSON member setter every
 * document builder uses. The growing string is strbuf.h, the log line
 * logger.h.
 *
 * Allocation policy (git's): xmalloc, xcalloc, xrealloc, xstrdup and
 * xstrndup never return NULL; when memory runs out they print "fatal: out
 * of memory ..." and exit(128). Code that uses them has no out-of-memory
 * path. Plain malloc stays where a size comes from outside and a refusal
 * is the answer (a body larger than memory is an error, not a death).
 */
#ifndef SVABENCH_UTIL_H
#define SVABENCH_UTIL_H

#include <stddef.h>

/* Prints "fatal: MESSAGE" to stderr and exits with 128. For the top of a program and OOM. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Prints "BUG: MESSAGE" and aborts: for states the code makes impossible (git's BUG()). */
void BUG(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xrealloc of nmemb * size, dying on overflow as on OOM. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/*
 * The array v (of *cap elements of size bytes, n in use) with room for one
 * more: doubled (first to 8) when n == *cap, else v as it is. git's
 * ALLOC_GROW as a function: v = xgrow(v, &cap, n, sizeof(*v)).
 */
void *xgrow(void *v, size_t *cap, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/*
 * Formats a message into err (elen bytes, truncated; nothing when err is
 * NULL or elen 0) and returns -1: `return error_into(err, elen, "...")`.
 */
int error_into(char *err, size_t elen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The whole of fd (read to its end, EINTR retried) as a NUL-terminated
 * xmalloc'd buffer of *len bytes. NULL with errno set on a read error, or
 * EFBIG when it holds more than max bytes. Does not close fd.
 */
char *read_fd(int fd, size_t max, size_t *len);
/* read_fd of the file at path (opened O_RDONLY | O_CLOEXEC, closed again). */
char *read_file(const char *path, size_t max, size_t *len);

/*
 * A finite decimal number lo..hi, the whole string, starting with a digit,
 * '.' or '-' (no blanks, '+', "inf" or "nan"); 0, or -1 leaving *out.
 */
int parse_double(const char *s, double lo, double hi, double *out);

/*
 * Sets o[key] = v (taking v's reference); sets *bad when v is NULL (a
 * failed constructor) or the set fails. Builders call it member after
 * member and check bad once.
 */
struct json_t;
void json_put(struct json_t *o, const char *key, struct json_t *v, int *bad);

#endif
