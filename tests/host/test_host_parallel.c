/*
 * test_host_parallel.c - host runs on parallel threads of one process never
 * deadlock: cow-copy forks a child per batch that waits on a pipe for the
 * parent's end-of-file; a pipe end leaked into another thread's child would
 * keep it open forever (the hang seen with repetitions on parallel jobs).
 * The runs happen in a child process of the test, in its own process
 * group, so a hang is reported and killed rather than waited for.
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
#define HANG_S 60

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

static void check(int workload, const char *wname)
{
	char name[200];
	struct timespec t0, t1;
	int status = 0, hung = 1;
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

		if (w == pid) {
			hung = 0;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (w < 0 || t1.tv_sec - t0.tv_sec >= HANG_S)
			break;
		usleep(20000);
	}
	if (hung) {
		kill(-pid, SIGKILL); /* the runner and every child it forked */
		waitpid(pid, &status, 0);
		test_result(0, name, "still running after %d s: deadlocked", HANG_S);
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
