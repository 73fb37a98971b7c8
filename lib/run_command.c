/*
 * run_command.c - child processes: started in a group of their own, tied
 * to their starter's life, reaped through a pidfd (run_command.h).
 */
#define _GNU_SOURCE
#include "run_command.h"
#include "strbuf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define LINE_MAX_BYTES 8192

extern char **environ;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void child_init(struct child *c, const char *const *argv)
{
	memset(c, 0, sizeof(*c));
	c->argv = argv;
	c->in = c->out = c->err = CHILD_INHERIT;
	c->pid = 0;
	c->pidfd = c->to_child = c->from_child = c->from_child_err = -1;
}

/* fd (< 3 is moved above 2) for the child's fd `to`; -1 on failure. */
static int child_fd(int spec, int piped, int *nul)
{
	int fd = spec;

	if (spec == CHILD_PIPE)
		fd = piped;
	else if (spec == CHILD_NULL) {
		if (*nul < 0)
			*nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		fd = *nul;
	}
	if (fd >= 0 && fd < 3)
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return fd;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child_exec(const struct child *c, pid_t parent, const int pin[2], const int pout[2],
	   const int perr[2], int report)
{
	int nul = -1, src[3];
	struct sigaction dfl;
	sigset_t none;
	int e;

	if (prctl(PR_SET_PDEATHSIG, c->death_signal ? c->death_signal : SIGKILL) ||
	    getppid() != parent)
		_exit(127); /* the starter is gone already */
	setpgid(0, 0);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) {
		if (!sigaction(sig, &dfl, NULL) || sig == SIGKILL || sig == SIGSTOP)
			continue;
		/*
		 * glibc refuses the two signals it keeps for itself (32, 33), yet
		 * an ignored one outlives the exec (make leaves them ignored):
		 * the kernel's call. All zero is SIG_DFL, no flags, no mask in
		 * every architecture's layout; the mask is 8 bytes.
		 */
		unsigned long kact[4] = {0};

		syscall(SYS_rt_sigaction, sig, kact, NULL, (size_t)8);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* every source first above 2, so no dup2 below clobbers another's */
	src[0] = c->in == CHILD_INHERIT ? -1 : child_fd(c->in, pin[0], &nul);
	src[1] = c->out == CHILD_INHERIT ? -1 : child_fd(c->out, pout[1], &nul);
	src[2] = c->err == CHILD_INHERIT || c->err == CHILD_TO_OUT ? -1
								     : child_fd(c->err, perr[1], &nul);
	for (int i = 0; i < 3; i++) {
		int spec = i == 0 ? c->in : i == 1 ? c->out : c->err;

		if (spec == CHILD_INHERIT || (i == 2 && spec == CHILD_TO_OUT))
			continue;
		if (src[i] < 0 || dup2(src[i], i) < 0)
			goto fail;
	}
	if (c->err == CHILD_TO_OUT && dup2(1, 2) < 0)
		goto fail;
	/* nothing but 0, 1, 2 survives the exec; report is CLOEXEC already */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC))
		for (int fd = 3; fd < 1024; fd++)
			if (fd != report)
				close(fd);
	execve(c->path ? c->path : c->argv[0], (char *const *)c->argv,
	       c->env ? (char *const *)c->env : environ);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int child_start(struct child *c, char *err, size_t elen)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, rep[2] = {-1, -1};
	const char *prog = c->path ? c->path : c->argv[0];
	pid_t pid, self = getpid();
	int e = 0;
	ssize_t n;

	c->pid = 0;
	c->pidfd = c->to_child = c->from_child = c->from_child_err = -1;
	if ((c->in == CHILD_PIPE && pipe2(pin, O_CLOEXEC)) ||
	    (c->out == CHILD_PIPE && pipe2(pout, O_CLOEXEC)) ||
	    (c->err == CHILD_PIPE && pipe2(perr, O_CLOEXEC)) || pipe2(rep, O_CLOEXEC)) {
		snprintf(err, elen, "cannot run %s: pipe: %s", prog, strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid == 0)
		child_exec(c, self, pin, pout, perr, rep[1]);
	if (pid < 0) {
		snprintf(err, elen, "cannot run %s: fork: %s", prog, strerror(errno));
		goto fail;
	}
	setpgid(pid, pid); /* also in the child: whichever runs first */
	close_fd(&rep[1]);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	/* the report pipe closes at the exec, or brings the errno of what failed */
	while ((n = read(rep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close_fd(&rep[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(err, elen, "cannot run %s: %s", prog, strerror(e));
		errno = e;
		goto fail;
	}
	c->pid = pid;
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd < 0 && errno == ENOSYS) {
		/* before Linux 5.3, or under valgrind: run_command polls (child_ended) */
	} else if (c->pidfd < 0) {
		e = errno;
		child_kill(c);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
		snprintf(err, elen, "cannot run %s: pidfd_open: %s", prog, strerror(e));
		errno = e;
		goto fail;
	}
	if (c->pidfd >= 0)
		fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	c->to_child = pin[1];
	c->from_child = pout[0];
	c->from_child_err = perr[0];
	return 0;
fail:
	e = errno;
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	close_fd(&rep[0]);
	close_fd(&rep[1]);
	errno = e;
	return -1;
}

/* Without a pidfd: has it ended? WNOWAIT leaves it for child_reap. */
static int child_ended(const struct child *c)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid;
}

void child_kill(const struct child *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
	}
}

void child_reap(struct child *c, int *status)
{
	int st = 0;

	if (c->pid > 0) {
		/* whatever it started goes too (a zombie keeps its group) */
		kill(-c->pid, SIGKILL);
		while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	c->pid = 0;
	close_fd(&c->pidfd);
	close_fd(&c->to_child);
	close_fd(&c->from_child);
	close_fd(&c->from_child_err);
	if (status)
		*status = st;
}

/* ---- run_command ---- */

struct sink {
	struct strbuf sb;
	size_t max;
	int over;
};

/* Keeps up to s->max bytes; more sets over. */
static void sink_add(struct sink *s, const char *p, size_t n)
{
	size_t room = s->max > s->sb.len ? s->max - s->sb.len : 0;

	if (n > room) {
		s->over = 1;
		n = room;
	}
	strbuf_add(&s->sb, p, n);
}

/* What the sink kept, malloc'd, or NULL when nothing; *len its length. */
static char *sink_take(struct sink *s, size_t *len)
{
	if (!s->sb.len) {
		strbuf_release(&s->sb);
		*len = 0;
		return NULL;
	}
	return strbuf_detach(&s->sb, len);
}

/* stdout in line mode: complete lines to the callback; a full buffer is one piece. */
struct lines {
	char buf[LINE_MAX_BYTES];
	size_t used;
};

static void lines_add(struct lines *l, const struct run_io *io, const char *p, size_t n)
{
	while (n) {
		size_t take = sizeof(l->buf) - 1 - l->used;
		char *nl;

		if (take > n)
			take = n;
		memcpy(l->buf + l->used, p, take);
		l->used += take;
		p += take;
		n -= take;
		l->buf[l->used] = 0;
		while ((nl = memchr(l->buf, '\n', l->used))) {
			size_t rest;

			*nl = 0;
			io->line(io->ctx, l->buf);
			rest = l->used - (size_t)(nl + 1 - l->buf);
			memmove(l->buf, nl + 1, rest);
			l->used = rest;
			l->buf[l->used] = 0;
		}
		if (l->used == sizeof(l->buf) - 1) { /* a line longer than the buffer */
			io->line(io->ctx, l->buf);
			l->used = 0;
		}
	}
}

/* Reads what fd has now (to l's lines, else to io->data when out, else to
 * s); 1 at its end (or an error), else 0. */
static int read_some(int fd, struct run_io *io, struct sink *s, struct lines *l, int out)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return 1;
		if (out && l)
			lines_add(l, io, buf, (size_t)n);
		else if (out && io->data)
			io->data(io->ctx, buf, (size_t)n);
		else
			sink_add(s, buf, (size_t)n);
	}
}

int run_command(struct child *c, struct run_io *io)
{
	struct sink out = {STRBUF_INIT, io->out_max, 0}, err = {STRBUF_INIT, io->err_max, 0};
	struct lines *lines = NULL;
	size_t sent = 0;
	double t0 = now_s(), deadline = t0 + io->timeout_ms / 1000.0;
	sigset_t pipe_sig, old_mask;
	int status = 0, exited = 0;

	io->started = io->exited = io->status = io->signal = io->timed_out = 0;
	io->out = io->errout = NULL;
	io->out_len = io->err_len = 0;
	io->out_over = io->err_over = 0;
	io->wall_s = 0;
	io->error[0] = 0;
	if (io->line)
		lines = xcalloc(1, sizeof(*lines));
	if (child_start(c, io->error, sizeof(io->error))) {
		free(lines);
		return -1;
	}
	io->started = 1;
	/* a child that stops reading: EPIPE here, not a SIGPIPE for whoever called */
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, &old_mask);
	if (c->to_child >= 0 && !io->in_len)
		close_fd(&c->to_child);
	if (c->to_child >= 0)
		fcntl(c->to_child, F_SETFL, O_NONBLOCK);
	if (c->from_child >= 0)
		fcntl(c->from_child, F_SETFL, O_NONBLOCK);
	if (c->from_child_err >= 0)
		fcntl(c->from_child_err, F_SETFL, O_NONBLOCK);
	while (!exited) {
		struct pollfd pf[4];
		int np = 0, r, wait_ms = io->cancel ? 200 : 1000;

		if (io->cancel && *io->cancel) {
			io->timed_out = 1;
			snprintf(io->error, sizeof(io->error), "cancelled");
			child_kill(c);
			break;
		}
		if (io->timeout_ms > 0) {
			double left = deadline - now_s();

			if (left <= 0) {
				io->timed_out = 1;
				child_kill(c);
				break;
			}
			if (left * 1000 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		if (c->pidfd >= 0)
			pf[np++] = (struct pollfd){.fd = c->pidfd, .events = POLLIN};
		else if (child_ended(c))
			break;
		else if (wait_ms > 10)
			wait_ms = 10;
		if (c->to_child >= 0)
			pf[np++] = (struct pollfd){.fd = c->to_child, .events = POLLOUT};
		if (c->from_child >= 0)
			pf[np++] = (struct pollfd){.fd = c->from_child, .events = POLLIN};
		if (c->from_child_err >= 0)
			pf[np++] = (struct pollfd){.fd = c->from_child_err, .events = POLLIN};
		r = poll(pf, (nfds_t)np, wait_ms);
		if (r < 0 && errno != EINTR) {
			snprintf(io->error, sizeof(io->error), "poll: %s", strerror(errno));
			child_kill(c);
			break;
		}
		for (int i = 0; r > 0 && i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == c->pidfd) {
				exited = 1;
			} else if (pf[i].fd == c->to_child) {
				ssize_t n = write(c->to_child, io->in + sent, io->in_len - sent);

				if (n > 0)
					sent += (size_t)n;
				if ((n < 0 && errno != EAGAIN && errno != EINTR) || sent == io->in_len)
					close_fd(&c->to_child); /* done, or it stopped reading */
			} else if (pf[i].fd == c->from_child) {
				if (read_some(c->from_child, io, &out, lines, 1))
					close_fd(&c->from_child);
			} else if (read_some(c->from_child_err, io, &err, NULL, 0)) {
				close_fd(&c->from_child_err);
			}
		}
	}
	/* it has ended (or was killed): its group goes, then what it wrote is read */
	kill(-c->pid, SIGKILL);
	close_fd(&c->to_child);
	if (c->from_child >= 0)
		read_some(c->from_child, io, &out, lines, 1);
	if (c->from_child_err >= 0)
		read_some(c->from_child_err, io, &err, NULL, 0);
	if (lines && lines->used)
		io->line(io->ctx, lines->buf);
	free(lines);
	child_reap(c, &status);
	if (!sigismember(&old_mask, SIGPIPE)) {
		struct timespec zero = {0, 0};
		sigset_t pending;

		if (!sigpending(&pending) && sigismember(&pending, SIGPIPE))
			sigtimedwait(&pipe_sig, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	io->wall_s = now_s() - t0;
	if (WIFEXITED(status) && !io->timed_out) {
		io->exited = 1;
		io->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		io->signal = WTERMSIG(status);
	}
	io->out = sink_take(&out, &io->out_len);
	io->out_over = out.over;
	io->errout = sink_take(&err, &io->err_len);
	io->err_over = err.over;
	return io->exited && io->status == 0 && !io->error[0] ? 0 : -1;
}

void run_io_free(struct run_io *io)
{
	free(io->out);
	free(io->errout);
	io->out = io->errout = NULL;
	io->out_len = io->err_len = 0;
}
