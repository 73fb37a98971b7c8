/*
 * logger.h - one log line: "TIME LEVEL PROGRAM: MESSAGE", e.g.
 *
 *	2026-12-04T20:34:44.123Z info svabenchd: ready: var ./var, 2 workers, pid 4242
 *
 * TIME is UTC with milliseconds, LEVEL one of error, warn, info. Each line
 * goes to stderr in a single write(2) (whole lines from many threads never
 * interleave; svabenchd's stderr is daemon/log.c's pipe to the log file and
 * the terminal). A message longer than LOG_LINE_MAX is cut and ends "[...]".
 */
#ifndef SVABENCH_LOGGER_H
#define SVABENCH_LOGGER_H

#include <stdarg.h>
#include <stddef.h>

#define LOG_LINE_MAX 4096

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO };

/* The PROGRAM of every line (default "svabench"); set once at start. */
void log_set_program(const char *name);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vline(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/*
 * The line log_vline writes, into buf (n >= 64 bytes, NUL-terminated,
 * ending '\n'); its length. For a writer that cannot go through stderr
 * (daemon/log.c's own notes in the log file).
 */
size_t log_vformat(char *buf, size_t n, enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
size_t log_format(char *buf, size_t n, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
