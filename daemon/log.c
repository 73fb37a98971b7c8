/*
 * log.c - svabenchd's stderr, copied to the terminal and to var/svabenchd.log
 * by one thread that never blocks on either and never stops reading.
 *
 * stderr (fd 2, which the workers inherit) is the write end of a pipe; the
 * tee thread reads it and writes whole lines to the log file and, when it
 * can take them without waiting, to the terminal. A line the file refuses
 * (ENOSPC, EDQUOT, EIO...) is counted and dropped, the next write tries
 * again, and the first line written after a loss says how many were lost:
 * a full disk costs log lines, never a stuck fprintf(stderr) (which would
 * hold stdio's lock and stop every thread that logs).
 *
 * log_stop() hands stderr back to the terminal and waits for the tee to
 * copy what is still in the pipe, so a refusal printed just before exit(1)
 * reaches both the terminal and the log.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../lib/logger.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_BUF (64 * 1024)      /* a line longer than this is cut in pieces */
#define LOG_PIPE (1024 * 1024)   /* pipe capacity asked for (best effort) */

static int log_fd = -1, term_fd = -1, pipe_rd = -1;
static pthread_t tee_thread;
static int tee_running;
static atomic_uint_fast64_t dropped_lines, dropped_term;
static uint64_t unreported;       /* lines lost since the last report line (tee only) */
static int file_mid_line;         /* a partial write left the file inside a line */

uint64_t log_dropped_lines(void)
{
	return atomic_load_explicit(&dropped_lines, memory_order_relaxed);
}

static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k ? k : (n ? 1 : 0);
}

/* Best effort to the terminal: only what it takes now, the rest dropped. */
static void to_terminal(const char *p, size_t n)
{
	struct pollfd pfd = {.fd = term_fd, .events = POLLOUT};

	if (term_fd < 0)
		return;
	while (n) {
		ssize_t w;
		size_t chunk = n > 4096 ? 4096 : n; /* <= PIPE_BUF: POLLOUT means it fits */

		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
			atomic_fetch_add_explicit(&dropped_term, count_lines(p, n),
						  memory_order_relaxed);
			return;
		}
		w = write(term_fd, p, chunk);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the terminal went away; the file keeps logging */
		p += w;
		n -= (size_t)w;
	}
}

/* Writes complete lines p[0..n) to the file, or counts them lost. */
static void to_file(const char *p, size_t n)
{
	if (log_fd < 0 || !n)
		return;
	if (unreported) {
		char note[256];
		size_t at = file_mid_line ? 1 : 0;
		ssize_t k, w;

		note[0] = '\n'; /* ends the line a partial write cut */
		k = (ssize_t)(at + log_format(note + at, sizeof(note) - at, LOG_LEVEL_WARN,
					      "log: %llu line(s) could not be written to this file "
					      "(disk full or I/O error) and were dropped",
					      (unsigned long long)unreported));
		w = write(log_fd, note, (size_t)k);

		if (w != k) {
			if (w > 0)
				file_mid_line = 1;
			atomic_fetch_add_explicit(&dropped_lines, count_lines(p, n),
						  memory_order_relaxed);
			unreported += count_lines(p, n);
			return;
		}
		unreported = 0;
		file_mid_line = 0;
	}
	while (n) {
		ssize_t w = write(log_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			size_t lost = count_lines(p, n);

			atomic_fetch_add_explicit(&dropped_lines, lost, memory_order_relaxed);
			unreported += lost;
			return;
		}
		/* a partial write: the line it cut is lost with the rest */
		if ((size_t)w < n && p[w - 1] != '\n')
			file_mid_line = 1;
		else
			file_mid_line = 0;
		p += w;
		n -= (size_t)w;
	}
}

static void emit(const char *p, size_t n)
{
	to_terminal(p, n);
	to_file(p, n);
}

static void *tee_main(void *arg)
{
	static char buf[LOG_BUF];
	size_t have = 0;

	(void)arg;
	for (;;) {
		ssize_t n = read(pipe_rd, buf + have, sizeof(buf) - have);
		size_t whole;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		/* whole lines now; a partial one waits for its end (or a full buffer) */
		whole = have;
		while (whole && buf[whole - 1] != '\n')
			whole--;
		if (!whole && have == sizeof(buf))
			whole = have;
		if (whole) {
			emit(buf, whole);
			memmove(buf, buf + whole, have - whole);
			have -= whole;
		}
	}
	if (have)
		emit(buf, have);
	return NULL;
}

int log_start(const char *var, char *err, size_t elen)
{
	char path[4200];
	int pfd[2];

	snprintf(path, sizeof(path), "%s/svabenchd.log", var);
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log_fd < 0) {
		snprintf(err, elen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(err, elen, "cannot make the log pipe: %s", strerror(errno));
		close(log_fd);
		log_fd = -1;
		return -1;
	}
	(void)fcntl(pfd[0], F_SETPIPE_SZ, LOG_PIPE); /* room for bursts; fine without */
	fflush(stderr);
	term_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	pipe_rd = pfd[0];
	if (pthread_create(&tee_thread, NULL, tee_main, NULL)) {
		snprintf(err, elen, "cannot start the log thread");
		close(pfd[0]);
		close(pfd[1]);
		close(log_fd);
		if (term_fd >= 0)
			close(term_fd);
		log_fd = term_fd = pipe_rd = -1;
		return -1;
	}
	tee_running = 1;
	dup2(pfd[1], 2); /* not close-on-exec: the workers' stderr lands here too */
	close(pfd[1]);
	setvbuf(stderr, NULL, _IOLBF, 0);
	return 0;
}

void log_stop(void)
{
	struct timespec until;

	if (!tee_running)
		return;
	fflush(stderr);
	/* stderr back to the terminal: the pipe's last write end here closes */
	if (term_fd >= 0)
		dup2(term_fd, 2);
	else
		close(2);
	/* a worker still holding the pipe must not keep us: wait 2 s at most */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	if (pthread_timedjoin_np(tee_thread, NULL, &until) == 0)
		tee_running = 0;
}
