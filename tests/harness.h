/*
 * harness.h - the smallest test harness that reads like a session log.
 *
 * Each check prints one line, "ok - NAME" or "not ok - NAME: why", which
 * tests/run.sh counts; "skip - NAME: why" for what this machine cannot do.
 * A test program exits 1 when any check failed.
 */
#ifndef SVABENCH_TEST_HARNESS_H
#define SVABENCH_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>

static int harness_failed;

static inline void test_result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reports one check; fmt/... say why when it failed. */
static inline void test_result(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok - %s\n", name);
	} else {
		harness_failed = 1;
		printf("not ok - %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

static inline void test_skip(const char *name, const char *why)
{
	printf("skip - %s: %s\n", name, why);
	fflush(stdout);
}

static inline int test_exit(void)
{
	return harness_failed ? 1 : 0;
}

#endif
