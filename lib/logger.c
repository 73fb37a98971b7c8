/* logger.c - timestamped, levelled log lines on stderr (logger.h). */
#include "logger.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *program = "svabench";
static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
};

void log_set_program(const char *name)
{
	program = name;
}

size_t log_vformat(char *buf, size_t n, enum log_level level, const char *fmt, va_list ap)
{
	static const char cut[] = "[...]\n";
	struct timespec ts;
	struct tm tm;
	size_t o;
	int k;

	if (n < 64)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	o = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	k = snprintf(buf + o, n - o, ".%03ldZ %s %s: ", ts.tv_nsec / 1000000L, level_names[level],
		     program);
	o += k > 0 && (size_t)k < n - o ? (size_t)k : 0;
	k = vsnprintf(buf + o, n - o, fmt, ap);
	if (k < 0)
		k = 0;
	if ((size_t)k >= n - o - 1) {
		/* cut: the last bytes say so */
		memcpy(buf + n - sizeof(cut), cut, sizeof(cut));
		return n - 1;
	}
	o += (size_t)k;
	buf[o++] = '\n';
	buf[o] = '\0';
	return o;
}

void log_vline(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = log_vformat(line, sizeof(line), level, fmt, ap), off = 0;
	int e = errno;

	while (off < n) {
		ssize_t w = write(2, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = e;
}

size_t log_format(char *buf, size_t n, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	size_t k;

	va_start(ap, fmt);
	k = log_vformat(buf, n, level, fmt, ap);
	va_end(ap);
	return k;
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}
