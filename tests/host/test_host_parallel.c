/*
 * test_host_parallel.c - host runs on parallel threads of one process never
 * deadlock: cow-copy forks a child per batch that waits on a pipe for the
 * parent's end-of-file; a pipe end leaked into another thread's child would
 * keep it open forever (the hang seen with repetitions on parallel jobs).
 * The runs happen in a child process of the test, in its own process
 * group, so a hang is reported and killed rather than waited for. A hang
 * is told from slowness (ASan, a loaded machine) by progress, not by a
 * wall-clock limit: the runner's CPU time (its threads' forks and waits, and
 * its reaped children's) stops growing when every thread waits on a pipe
 * nobody will close, and keeps growing, however slowly, otherwise.
 */
#include "../../core/core.h"
#include "../../targets/host/host.h"
#include "../harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 6
#define STALL_S 20     /* no CPU time used for this long: deadlocked */

struct job {
	int workload;
	int failed;
	char reason[256];
};

static void *run_many(void *arg)
{
	struct job *j = arg;
	const struct target *t = target_find("host");

	for (int r = 0; r < ROUNDS && !j->failed; r++) {
		double p[HOST_NPARAMS];
		struct run_req req = {.workload = j->workload, .strategy = HS_UNBOUND, .params = p, .seed = 1};
		struct run_result res = {0};

		target_resolve_defaults(t, j->workload, t->preset(0), p);
		p[HP_ITERATIONS] = 300;
		p[HP_WARMUP] = 0;
		p[HP_RANGE_PAGES] = 1; /* one fork per page: as many forks as possible */
		res.metrics = metrics_new();
		if (t->run(&req, NULL, &res)) {
			j->failed = 1;
			snprintf(j->reason, sizeof(j->reason), "%s", res.reason);
		}
		metrics_free(res.metrics);
	}
	return NULL;
}

/* In the child: THREADS threads, each ROUNDS runs of the workload. Exit 0 when all completed. */
static int parallel_runs(int workload)
{
	pthread_t th[THREADS];
	struct job j[THREADS];
	int bad = 0;

	for (int k = 0; k < THREADS; k++) {
		j[k] = (struct job){.workload = workload};
		if (pthread_create(&th[k], NULL, run_many, &j[k]))
			return 2;
	}
	for (int k = 0; k < THREADS; k++) {
		pthread_join(th[k], NULL);
		if (j[k].failed) {
			fprintf(stderr, "thread %d: %s\n", k, j[k].reason);
			bad = 1;
		}
	}
	return bad;
}

/* utime + stime + cutime + cstime of pid, in clock ticks; -1 when gone. */
static long long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	long long v[4];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld %lld %lld",
			 &v[0], &v[1], &v[2], &v[3]) != 4)
		return -1;
	return v[0] + v[1] + v[2] + v[3];
}

static void check(int workload, const char *wname)
{
	char name[200];
	struct timespec t0, t1;
	int status = 0, hung = 1;
	long long ticks = -1;
	pid_t pid;

	snprintf(name, sizeof(name),
		 "%s: %d threads x %d runs of 300 forks each complete (no pipe leaks between threads' children)",
		 wname, THREADS, ROUNDS);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		test_result(0, name, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		setpgid(0, 0);
		_exit(parallel_runs(workload));
	}
	setpgid(pid, pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		long long now;

		if (w == pid) {
			hung = 0;
			break;
		}
		if (w < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		now = cpu_ticks(pid);
		if (now != ticks) { /* progress: restart the stall clock */
			ticks = now;
			t0 = t1;
		} else if (t1.tv_sec - t0.tv_sec >= STALL_S) {
			break;
		}
		usleep(100000);
	}
	if (hung) {
		kill(-pid, SIGKILL); /* the runner and every child it forked */
		waitpid(pid, &status, 0);
		test_result(0, name, "no CPU time used for %d s: deadlocked", STALL_S);
		return;
	}
	test_result(WIFEXITED(status) && WEXITSTATUS(status) == 0, name, "exit status %d (reasons on stderr)",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
	check(HW_COW_COPY, "cow-copy");
	check(HW_REUSE_AFTER_FORK, "reuse-after-fork");
	return test_exit();
}
