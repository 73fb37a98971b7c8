/*
 * test_run_command.c - lib/run_command.c, the one way children run: pipes
 * both ways without either side blocking, lines, an exact environment, a
 * process group that goes whole (at the timeout and after a normal exit,
 * grandchildren included), the starter thread's end killing the child,
 * nothing but fds 0-2 inherited, default signals, exec failures named.
 */
#define _GNU_SOURCE
#include "../../lib/run_command.h"
#include "../harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* c runs /bin/sh -c script (one at a time: the argv is static). */
static void sh(struct child *c, const char *script)
{
	static const char *argv[4];

	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	child_init(c, argv);
}

static void test_pipes(void)
{
	size_t n = 1 << 20; /* far more than a pipe holds: both directions must flow at once */
	char *in = malloc(n);
	struct child c;
	struct run_io io = {.in_len = n, .out_max = 2 * n, .err_max = 1024, .timeout_ms = 20000};
	int rc;

	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	io.in = in;
	sh(&c, "cat; echo done >&2");
	c.in = c.out = c.err = CHILD_PIPE;
	rc = run_command(&c, &io);
	test_result(rc == 0 && io.out_len == n && !memcmp(io.out, in, n) && !io.out_over,
		    "1 MiB through cat comes back whole", "rc %d, %zu bytes back", rc, io.out_len);
	test_result(io.errout && !strcmp(io.errout, "done\n"), "stderr is kept apart", "'%s'",
		    io.errout ? io.errout : "(none)");
	run_io_free(&io);

	/* stdout beyond out_max: kept up to it, flagged */
	io = (struct run_io){.out_max = 1000, .timeout_ms = 20000};
	sh(&c, "head -c 100000 /dev/zero");
	c.out = CHILD_PIPE;
	rc = run_command(&c, &io);
	test_result(rc == 0 && io.out_len == 1000 && io.out_over, "output past out_max is flagged",
		    "rc %d len %zu over %d", rc, io.out_len, io.out_over);
	run_io_free(&io);

	/* a child that reads nothing of a large input: EPIPE, no SIGPIPE here */
	io = (struct run_io){.in = in, .in_len = n, .timeout_ms = 20000};
	sh(&c, "exit 0");
	c.in = CHILD_PIPE;
	rc = run_command(&c, &io);
	test_result(rc == 0, "a child that stops reading costs the caller no SIGPIPE", "rc %d", rc);
	free(in);
}

struct lines {
	int n;
	char first[64], last[64];
};

static void on_line(void *ctx, char *line)
{
	struct lines *l = ctx;

	if (!l->n++)
		snprintf(l->first, sizeof(l->first), "%s", line);
	snprintf(l->last, sizeof(l->last), "%s", line);
}

static void test_lines_env(void)
{
	static const char *const env[] = {"FOO=bar baz", "PATH=/usr/bin:/bin", NULL};
	struct child c;
	struct lines l = {0};
	struct run_io io = {.line = on_line, .ctx = &l, .timeout_ms = 20000};
	int rc;

	sh(&c, "echo \"$FOO|${HOME:-nohome}\"; echo err >&2; printf last");
	c.env = env;
	c.in = CHILD_NULL;
	c.out = CHILD_PIPE;
	c.err = CHILD_TO_OUT;
	rc = run_command(&c, &io);
	test_result(rc == 0 && l.n == 3 && !strcmp(l.first, "bar baz|nohome") && !strcmp(l.last, "last"),
		    "lines one by one, stderr merged, exactly the environment given",
		    "rc %d, %d lines, first '%s' last '%s'", rc, l.n, l.first, l.last);

	io = (struct run_io){.timeout_ms = 20000};
	sh(&c, "exit 7");
	rc = run_command(&c, &io);
	test_result(rc == -1 && io.started && io.exited && io.status == 7 && !io.timed_out,
		    "an exit status is reported", "rc %d exited %d status %d", rc, io.exited, io.status);
}

static void test_exec_failure(void)
{
	static const char *const argv[] = {"/nonexistent/prog", NULL};
	struct child c;
	struct run_io io = {.timeout_ms = 5000};
	int rc;

	child_init(&c, argv);
	rc = run_command(&c, &io);
	test_result(rc == -1 && !io.started && strstr(io.error, "/nonexistent/prog") &&
			    strstr(io.error, strerror(ENOENT)),
		    "a program that cannot run is named, with why", "rc %d started %d: %s", rc,
		    io.started, io.error);
}

/* The grandchild's pid, from the first line the child printed. */
static void on_pid(void *ctx, char *line)
{
	long *pid = ctx;

	if (!*pid)
		*pid = atol(line);
}

static void test_groups(void)
{
	struct child c;
	long grand = 0;
	struct run_io io = {.line = on_pid, .ctx = &grand, .timeout_ms = 300};
	int rc;

	/* hangs, with a grandchild: the timeout takes both */
	sh(&c, "sleep 300 & echo $!; wait");
	c.out = CHILD_PIPE;
	rc = run_command(&c, &io);
	test_result(rc == -1 && io.timed_out && io.signal == SIGKILL && grand > 0 && test_pid_gone(grand),
		    "a timeout kills the whole process group",
		    "rc %d timed_out %d signal %d grandchild %ld alive %d", rc, io.timed_out, io.signal,
		    grand, grand > 0 && test_pid_running(grand));

	/* exits at once, its grandchild holding stdout open: we do not wait for
	 * the grandchild, and it does not outlive the run */
	grand = 0;
	io = (struct run_io){.line = on_pid, .ctx = &grand, .timeout_ms = 20000};
	sh(&c, "sleep 300 & echo $!; exit 0");
	c.out = CHILD_PIPE;
	rc = run_command(&c, &io);
	test_result(rc == 0 && !io.timed_out && io.wall_s < 10 && grand > 0 && test_pid_gone(grand),
		    "a child that exits leaves no grandchild behind",
		    "rc %d timed_out %d wall %.1f s grandchild %ld alive %d", rc, io.timed_out,
		    io.wall_s, grand, grand > 0 && test_pid_running(grand));
}

/* What the child sees: its pgid, open fds, blocked and ignored signals. */
static void test_hygiene(void)
{
	struct child c;
	struct run_io io = {.out_max = 4096, .timeout_ms = 20000};
	/* no CLOEXEC: a plain fd of ours, above what ls opens itself */
	int leak = fcntl(0, F_DUPFD, 50);
	char want[64];
	sigset_t block, old;
	long pid = 0, pgid = -1;
	int rc, nfd = -1, fd3 = 0;
	char *p;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	signal(SIGUSR1, SIG_IGN);
	sh(&c, "echo $$; cut -d' ' -f5 /proc/self/stat; ls /proc/self/fd | grep -c .; "
	       "ls /proc/self/fd | tr '\\n' ' '; echo; grep -E '^Sig(Blk|Ign)' /proc/self/status");
	c.out = CHILD_PIPE;
	rc = run_command(&c, &io);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	p = io.out ? io.out : "";
	if (sscanf(p, "%ld %ld %d", &pid, &pgid, &nfd) != 3)
		pid = 0;
	/* ls's own directory fd is 3: 0,1,2 and it make 4 */
	snprintf(want, sizeof(want), " %d ", leak);
	fd3 = strstr(p, want) != NULL;
	test_result(rc == 0 && pid > 0 && pgid == pid, "the child leads a process group of its own",
		    "pid %ld pgid %ld: %s", pid, pgid, p);
	test_result(rc == 0 && nfd == 4 && !fd3, "the child holds only fds 0, 1, 2",
		    "%d fds (fd %d leaked: %d): %s", nfd, leak, fd3, p);
	{
		/* the failure names the masks (the message shows one line) */
		const char *blk = strstr(p, "SigBlk:"), *ign = strstr(p, "SigIgn:");

		test_result(blk && ign && !strncmp(blk, "SigBlk:\t0000000000000000", 24) &&
				    !strncmp(ign, "SigIgn:\t0000000000000000", 24),
			    "the child starts with no signal blocked or ignored",
			    "SigBlk %.16s SigIgn %.16s (rc %d)", blk ? blk + 8 : "?",
			    ign ? ign + 8 : "?", rc);
	}
	close(leak);
	run_io_free(&io);
}

/* The starter thread ends without reaping: its child must die with it. */
static void *starter(void *arg)
{
	static const char *const argv[] = {"/bin/sleep", "300", NULL};
	struct child *c = arg;
	char err[256];

	child_init(c, argv);
	if (child_start(c, err, sizeof(err)))
		c->pid = 0;
	return NULL;
}

static void test_death_signal(void)
{
	struct child c;
	pthread_t t;
	int status = 0, dead = 0;

	if (pthread_create(&t, NULL, starter, &c)) {
		test_result(0, "the child dies with the thread that started it", "pthread_create");
		return;
	}
	pthread_join(t, NULL);
	if (c.pid > 0) {
		struct timespec ts = {0, 10000000};

		for (int i = 0; i < 200 && !dead; i++) {
			siginfo_t si;

			memset(&si, 0, sizeof(si));
			if (!waitid(P_PID, (id_t)c.pid, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid)
				dead = 1;
			else
				nanosleep(&ts, NULL);
		}
		child_kill(&c);
		child_reap(&c, &status);
	}
	test_result(dead && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "the child dies with the thread that started it", "dead %d status %#x", dead,
		    status);
}

int main(void)
{
	test_pipes();
	test_lines_env();
	test_exec_failure();
	test_groups();
	test_hygiene();
	test_death_signal();
	return test_exit();
}
