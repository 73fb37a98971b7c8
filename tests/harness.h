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
#include <string.h>
#include <unistd.h>

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

/* 1 when pid runs (a zombie waiting for a reaper does not). */
static inline int test_pid_running(long pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	int run = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) && rp[1] == ' ')
		run = rp[2] != 'Z' && rp[2] != 'X';
	fclose(f);
	return run;
}

/* 1 when pid stops running within 2 s. */
static inline int test_pid_gone(long pid)
{
	for (int i = 0; i < 200; i++) {
		if (!test_pid_running(pid))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* The number the file at path starts with (a pid a script wrote), else 0. */
static inline long test_read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static inline int test_exit(void)
{
	return harness_failed ? 1 : 0;
}

#endif
