/*
 * launch.c - one QEMU process for one run: argv in, lines out, bounded in
 * wall time, and nothing left behind whatever happens to QEMU or to us.
 *
 * QEMU runs through run_command (lib/run_command.c): in a process group of
 * its own, so a timeout kills it and anything it started, and the group is
 * killed when it exits too; PR_SET_PDEATHSIG kills it if the worker running
 * the run dies first (the daemon kills workers on cancel and timeout).
 */
#define _GNU_SOURCE
#include "qemu.h"
#include "../../lib/run_command.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keeps the last bytes of output in x->tail, whole lines where it can. */
static void tail_add(struct qemu_exit *x, const char *line)
{
	size_t have = strlen(x->tail), n = strlen(line), cap = sizeof(x->tail) - 1;

	if (n + 1 > cap) {
		line += n + 1 - cap;
		n = cap - 1;
	}
	if (have + n + 1 > cap) {
		size_t drop = have + n + 1 - cap;
		const char *nl = memchr(x->tail + drop, '\n', have - drop);

		if (nl && (size_t)(nl - x->tail) < have)
			drop = (size_t)(nl - x->tail) + 1;
		memmove(x->tail, x->tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(x->tail + have, line, n);
	x->tail[have + n] = '\n';
	x->tail[have + n + 1] = '\0';
}

/* Strips what a terminal would interpret; the UART and console may send it. */
static void clean_line(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		unsigned char c = (unsigned char)*r;

		if (c == '\r')
			continue;
		if (c == 0x1b) { /* CSI sequences: ESC [ ... final byte */
			if (r[1] == '[') {
				r += 2;
				while (*r && !(*r >= 0x40 && *r <= 0x7e))
					r++;
				if (!*r)
					break;
			}
			continue;
		}
		if (c < 0x20 && c != '\t')
			continue;
		*w++ = (char)c;
	}
	*w = '\0';
}

struct launch_lines {
	const struct qemu_launch *l;
	struct qemu_exit *x;
};

static void emit(void *ctx, char *line)
{
	struct launch_lines *ll = ctx;

	clean_line(line);
	if (!*line)
		return;
	tail_add(ll->x, line);
	if (ll->l->line)
		ll->l->line(ll->l->ctx, line);
}

int qemu_launch(const struct qemu_launch *l, struct qemu_exit *x)
{
	struct launch_lines ll = {l, x};
	struct child c;
	struct run_io io = {.line = emit, .ctx = &ll};
	double timeout_s = l->timeout_s > 0 ? l->timeout_s : 60;

	memset(x, 0, sizeof(*x));
	io.timeout_ms = (int)(timeout_s * 1000);
	child_init(&c, l->argv);
	c.in = CHILD_NULL;
	c.out = CHILD_PIPE;
	c.err = CHILD_TO_OUT;
	run_command(&c, &io);
	run_io_free(&io);
	if (!io.started) {
		snprintf(x->tail, sizeof(x->tail), "%s\n", io.error);
		return -1;
	}
	x->started = 1;
	x->wall_s = io.wall_s;
	x->timed_out = io.timed_out;
	x->exited = io.exited;
	x->status = io.status;
	x->signal = io.signal;
	return x->exited && x->status == 0 ? 0 : -1;
}

void qemu_exit_reason(const struct qemu_exit *x, const char *what, char *buf, size_t len)
{
	char how[160];
	const char *tail = x->tail;
	size_t tl = strlen(tail);

	if (!x->started)
		snprintf(how, sizeof(how), "QEMU did not start");
	else if (x->timed_out)
		snprintf(how, sizeof(how), "QEMU killed after the %.0f s timeout", x->wall_s);
	else if (x->signal)
		snprintf(how, sizeof(how), "QEMU ended by signal %d", x->signal);
	else if (x->exited && x->status)
		snprintf(how, sizeof(how), "QEMU exited with status %d", x->status);
	else
		snprintf(how, sizeof(how), "QEMU exited");
	/* The tail's end matters most; keep what fits of it. */
	size_t fixed = strlen(how) + strlen(what) + sizeof(": ; output tail: "); /* with the NUL */
	size_t room = len > fixed ? len - fixed : 0;

	if (tl > room)
		tail += tl - room;
	snprintf(buf, len, "%s: %s; output tail: %s", what, how, *tail ? tail : "(none)");
	/* one line in a reason: newlines become " | " where they fit */
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = c[1] ? '|' : '\0';
}

int qemu_temp_file(const char *what, char *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(buf, len, "%s/svabench-qemu-%s.XXXXXX", dir, what) >= len)
		return -1;
	return mkostemp(buf, O_CLOEXEC);
}

size_t qemu_argv_trace(const char **argv, size_t a, size_t max, const char *tracefile)
{
	if (a + 3 > max)
		return a;
	argv[a++] = "-D";
	argv[a++] = tracefile;
	for (size_t i = 0; qemu_trace_events[i] && a < max - 1; i++)
		argv[a++] = qemu_trace_events[i];
	argv[a] = NULL;
	return a;
}

const char *qemu_binary(char *buf, size_t len)
{
	const char *env = getenv("SVABENCH_QEMU");
	const char *path = getenv("PATH");

	if (env && *env) {
		if (access(env, X_OK))
			return NULL;
		snprintf(buf, len, "%s", env);
		return buf;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n && n < len - 24) {
			snprintf(buf, len, "%.*s/qemu-system-aarch64", (int)n, p);
			if (!access(buf, X_OK))
				return buf;
		}
		p += n + (e ? 1 : 0);
	}
	return NULL;
}

static int file_at(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	struct stat st;

	if ((size_t)snprintf(buf, len, fmt, a, b) >= len)
		return -1;
	return stat(buf, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

int qemu_asset(const char *name, char *buf, size_t len)
{
	const char *env = getenv("SVABENCH_QEMU_DIR");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return file_at(buf, len, "%s/%s", env, name);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	if (!file_at(buf, len, "%s/qemu/%s", exe, name))
		return 0;
	return file_at(buf, len, "%s/../qemu/%s", exe, name);
}
