/*
 * run_command.h - the one way svabench runs a child process (the daemon's
 * workers, gnuplot, QEMU). After git's run-command.h: child_start starts
 * it and hands back its pipes and pidfd for a caller with its own poll
 * loop (the scheduler); run_command runs it to the end (feeds stdin, reads
 * stdout whole or line by line and stderr, bounded in wall time).
 *
 * Every child:
 *   - is the leader of a process group of its own; a timeout, child_kill
 *     and the end of run_command SIGKILL the whole group, so whatever it
 *     forked goes with it (a grandchild that makes itself a new session
 *     with setsid escapes this; none of ours does);
 *   - gets death_signal (SIGKILL by default) when the THREAD that started
 *     it ends (PR_SET_PDEATHSIG), so it never outlives its starter;
 *   - starts with default signal dispositions and an empty signal mask;
 *   - holds only fds 0, 1 and 2: everything else is closed at exec;
 *   - runs argv with exactly env when env is given (no PATH search: path,
 *     else argv[0], is the file executed).
 * A program that cannot be executed is reported here (error names it and
 * why), not as an exit status.
 */
#ifndef SVABENCH_RUN_COMMAND_H
#define SVABENCH_RUN_COMMAND_H

#include <stddef.h>
#include <sys/types.h>

/* What a child gets on fd 0, 1 or 2 (struct child.in/out/err), or an fd of ours. */
enum {
	CHILD_INHERIT = -1, /* ours */
	CHILD_NULL = -2,    /* /dev/null */
	CHILD_PIPE = -3,    /* a pipe; our end in to_child / from_child / from_child_err */
	CHILD_TO_OUT = -4,  /* err only: where its stdout goes (2>&1) */
};

struct child {
	/* set by the caller, after child_init */
	const char *path;          /* the program; NULL: argv[0] */
	const char *const *argv;   /* NULL-terminated */
	const char *const *env;    /* NULL: this process's environment; else exactly these */
	int in, out, err;          /* CHILD_* or an fd of ours (dup'd, stays ours) */
	int death_signal;          /* 0: SIGKILL */
	/* set by child_start; -1 where not piped */
	pid_t pid;
	int pidfd;                 /* readable once it has ended (poll) */
	int to_child, from_child, from_child_err; /* O_CLOEXEC, blocking */
};

/* A child of argv, every fd inherited, SIGKILL at its starter's end. */
void child_init(struct child *c, const char *const *argv);

/* Starts it. 0, or -1 with why in err (fork, pipes, or the exec itself). */
int child_start(struct child *c, char *err, size_t elen);

/* SIGKILL to its process group and to itself (in case it had not made its group yet). */
void child_kill(const struct child *c);

/*
 * Reaps it (waiting when it has not ended: call after its pidfd said so,
 * or after child_kill) and closes the pidfd and whatever pipe ends are
 * left; the wait status in *status. Kills its group first: nothing it
 * started survives it.
 */
void child_reap(struct child *c, int *status);

/* What run_command does with the child's streams, and how it ended. */
struct run_io {
	const char *in;            /* written to its stdin (c->in CHILD_PIPE), then closed */
	size_t in_len;
	/* stdout (c->out CHILD_PIPE) line by line when line is set, each
	 * without its '\n' (a line longer than 8191 bytes comes in pieces);
	 * else kept in out, at most out_max bytes (out_over when more came) */
	void (*line)(void *ctx, char *line);
	/* or, when data is set, every chunk of stdout as it comes */
	void (*data)(void *ctx, const char *p, size_t n);
	void *ctx;
	size_t out_max, err_max;   /* stderr (c->err CHILD_PIPE) kept at most */
	int timeout_ms;            /* wall time from start; 0: none */
	const _Atomic int *cancel; /* when set and non-zero: killed as at the timeout (seen within 0.2 s) */

	/* results */
	int started;               /* 0: it never ran (error says why) */
	int exited, status;        /* it exited by itself, with this status */
	int signal;                /* the signal that ended it, else 0 */
	int timed_out;             /* killed (with its group) at the timeout */
	double wall_s;
	char *out, *errout;        /* malloc'd, NUL-terminated; free with run_io_free */
	size_t out_len, err_len;
	int out_over, err_over;
	char error[256];
};

/*
 * Runs c to its end as io says: feeds its stdin, reads its stdout and
 * stderr in one poll loop with its pidfd (neither side can block the
 * other), kills its process group at the timeout. Once it has exited what
 * it wrote is read, then its group is killed and it is reaped. A write to
 * a child that stopped reading is an EPIPE, never a SIGPIPE for the
 * caller. 0 when it exited with status 0, else -1 (io says how it ended).
 */
int run_command(struct child *c, struct run_io *io);

void run_io_free(struct run_io *io);

#endif
