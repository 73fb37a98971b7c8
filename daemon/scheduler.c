/*
 * scheduler.c - turns queued runs into worker processes and their output
 * into stored results.
 *
 * One thread owns every worker: it claims queued runs from the store,
 * fork/execs `svabenchd --worker` with the job on a memfd as stdin, reads
 * JSON lines from the worker's stdout with poll(), writes samples in
 * batches, and records the result when the worker exits. A worker that dies
 * without a result (killed, crashed) fails its run with the reason; one that
 * runs past --run-timeout is killed. When the store cannot be written (disk
 * full) nothing is dropped: results wait in memory, no new run starts, and
 * the write is retried every second until space returns.
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_BATCH 64
#define LINE_MAX_BYTES (4 << 20)

enum slot_phase { SLOT_FREE, SLOT_RUNNING, SLOT_FINISHING };

struct wslot {
	enum slot_phase phase;
	pid_t pid;
	int fd;                 /* the worker's stdout */
	struct run_job job;
	double started;
	char *buf;              /* partial line */
	size_t len, cap;
	struct sample *samples; /* batched; grows while the store cannot take them */
	size_t nsamples, capsamples;
	json_t *result;         /* the worker's {"result": ...} object */
	int cancelled, timed_out;
	char status[16];        /* when FINISHING: what to store */
	char reason[300];
};

struct scheduler {
	struct store *st;
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	int wake[2];
	int stop;
	struct wslot *slots;
	int nslots;
	char exe[4096];
	int64_t *kill_ids;      /* runs to cancel, under mu */
	size_t nkill;
	struct scheduler_stats stats; /* under mu */
	double retry_at;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void slog(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "svabenchd: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void set_failing(struct scheduler *s, int failing)
{
	pthread_mutex_lock(&s->mu);
	if (failing && !s->stats.store_failing)
		slog("store write failed, holding results until it works again: %s",
		     store_error(s->st));
	if (!failing && s->stats.store_failing)
		slog("store writable again, resuming");
	s->stats.store_failing = failing;
	if (failing)
		snprintf(s->stats.store_error, sizeof(s->stats.store_error), "%s", store_error(s->st));
	else
		s->stats.store_error[0] = 0;
	pthread_mutex_unlock(&s->mu);
	if (failing)
		s->retry_at = now_s() + 1.0;
}

static void wake(struct scheduler *s)
{
	char c = 1;

	if (write(s->wake[1], &c, 1) < 0 && errno != EAGAIN)
		slog("wake pipe: %s", strerror(errno));
}

/* The job goes in a memfd: no pipe to keep fed, whatever the spec's size. */
static int job_fd(const struct run_job *j)
{
	json_t *o = json_pack("{s:s,s:i}", "spec", j->spec_text, "index", j->index);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int fd = memfd_create("svabench-job", MFD_CLOEXEC);
	size_t len = text ? strlen(text) : 0, off = 0;

	json_decref(o);
	if (fd < 0 || !text) {
		free(text);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w <= 0) {
			free(text);
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	free(text);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int spawn(struct scheduler *s, struct wslot *w)
{
	int out[2], in = job_fd(&w->job);
	pid_t pid;

	if (in < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC)) {
		close(in);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(in);
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (pid == 0) {
		char *argv[] = {"svabenchd", "--worker", NULL};
		sigset_t none;

		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		dup2(in, 0);
		dup2(out[1], 1);
		/* everything else (the listening socket, the database) is CLOEXEC or closed */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execv(s->exe, argv);
		_exit(127);
	}
	close(in);
	close(out[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	w->pid = pid;
	w->fd = out[0];
	w->started = now_s();
	w->phase = SLOT_RUNNING;
	pthread_mutex_lock(&s->mu);
	s->stats.workers_busy++;
	s->stats.runs_started++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void clear_samples(struct wslot *w)
{
	for (size_t i = 0; i < w->nsamples; i++)
		metrics_free(w->samples[i].m);
	w->nsamples = 0;
}

static void slot_reset(struct scheduler *s, struct wslot *w)
{
	clear_samples(w);
	free(w->samples);
	run_job_free(&w->job);
	json_decref(w->result);
	free(w->buf);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	pthread_mutex_lock(&s->mu);
	s->stats.workers_busy--;
	s->stats.runs_finished++;
	pthread_mutex_unlock(&s->mu);
}

/* Writes the batched samples; keeps them when the store cannot take them. */
static int flush_samples(struct scheduler *s, struct wslot *w)
{
	int rc;

	if (!w->nsamples)
		return 0;
	rc = store_add_samples(s->st, w->job.run_id, w->samples, w->nsamples);
	if (rc) {
		set_failing(s, 1);
		return rc;
	}
	clear_samples(w);
	return 0;
}

static struct metrics *metrics_from_json(json_t *o)
{
	struct metrics *m = metrics_new();
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (json_is_number(v))
			metrics_set(m, k, json_number_value(v));
		else
			metrics_set_null(m, k);
	}
	return m;
}

static void line(struct scheduler *s, struct wslot *w, const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL), *x;

	if (!o)
		return;
	if ((x = json_object_get(o, "sample")) || (x = json_object_get(o, "collector_sample"))) {
		if (w->nsamples >= SAMPLE_BATCH && !s->stats.store_failing)
			flush_samples(s, w);
		if (w->nsamples == w->capsamples) {
			size_t cap = w->capsamples ? w->capsamples * 2 : SAMPLE_BATCH;
			struct sample *b = realloc(w->samples, cap * sizeof(*b));

			if (!b) {
				json_decref(o);
				return;
			}
			w->samples = b;
			w->capsamples = cap;
		}
		w->samples[w->nsamples].t_ns = (uint64_t)json_integer_value(json_object_get(x, "t_ns"));
		w->samples[w->nsamples].m = metrics_from_json(json_object_get(x, "metrics"));
		w->nsamples++;
	} else if ((x = json_object_get(o, "result"))) {
		json_decref(w->result);
		w->result = json_incref(x);
	}
	json_decref(o);
}

static void drain(struct scheduler *s, struct wslot *w, int *eof)
{
	for (;;) {
		ssize_t r;

		if (w->cap - w->len < 65536) {
			size_t cap = w->cap ? w->cap * 2 : 131072;
			char *b = cap > LINE_MAX_BYTES * 2 ? NULL : realloc(w->buf, cap);

			if (!b) { /* a runaway line: drop what we have */
				w->len = 0;
				continue;
			}
			w->buf = b;
			w->cap = cap;
		}
		r = read(w->fd, w->buf + w->len, w->cap - w->len);
		if (r == 0) {
			*eof = 1;
			break;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				*eof = 1;
			break;
		}
		w->len += (size_t)r;
		for (;;) {
			char *nl = memchr(w->buf, '\n', w->len);
			size_t n;

			if (!nl)
				break;
			n = (size_t)(nl - w->buf);
			line(s, w, w->buf, n);
			memmove(w->buf, nl + 1, w->len - n - 1);
			w->len -= n + 1;
		}
	}
}

/* The worker is gone: decide what its run became. */
static void reap(struct scheduler *s, struct wslot *w)
{
	int status = 0;
	const char *st;

	close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (w->cancelled) {
		snprintf(w->status, sizeof(w->status), "cancelled");
		snprintf(w->reason, sizeof(w->reason), "cancelled while running");
	} else if (w->timed_out) {
		snprintf(w->status, sizeof(w->status), "failed");
		snprintf(w->reason, sizeof(w->reason), "worker killed after --run-timeout %d s",
			 s->cfg->run_timeout_s);
	} else if (w->result && WIFEXITED(status)) {
		st = json_string_value(json_object_get(w->result, "status"));
		snprintf(w->status, sizeof(w->status), "%s", st && !strcmp(st, "done") ? "done" : "failed");
		snprintf(w->reason, sizeof(w->reason), "%s",
			 json_string_value(json_object_get(w->result, "reason")) ?
			 json_string_value(json_object_get(w->result, "reason")) : "");
	} else if (WIFSIGNALED(status)) {
		snprintf(w->status, sizeof(w->status), "failed");
		snprintf(w->reason, sizeof(w->reason), "worker killed by signal %d (%s) before reporting a result",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		pthread_mutex_lock(&s->mu);
		s->stats.workers_killed++;
		pthread_mutex_unlock(&s->mu);
	} else {
		snprintf(w->status, sizeof(w->status), "failed");
		snprintf(w->reason, sizeof(w->reason), "worker exited with status %d without a result",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	w->phase = SLOT_FINISHING;
}

/* Stores a finished run; on a store failure the slot waits for a retry. */
static void finish(struct scheduler *s, struct wslot *w)
{
	struct metrics *m = NULL;
	json_t *ex = NULL;
	int rc;

	if (flush_samples(s, w))
		return;
	if (w->result) {
		m = metrics_from_json(json_object_get(w->result, "metrics"));
		ex = json_object_get(w->result, "examples");
	}
	rc = store_finish_run(s->st, w->job.run_id, w->status, w->reason[0] ? w->reason : NULL, m, ex);
	metrics_free(m);
	if (rc) {
		set_failing(s, 1);
		return;
	}
	history_on_run_finished(s->st, w->job.exp_pub);
	if (strcmp(w->status, "done"))
		slog("run %s %s: %s", w->job.run_pub, w->status, w->reason);
	slot_reset(s, w);
}

static void apply_kills(struct scheduler *s)
{
	pthread_mutex_lock(&s->mu);
	for (size_t k = 0; k < s->nkill; k++)
		for (int i = 0; i < s->nslots; i++)
			if (s->slots[i].phase == SLOT_RUNNING && s->slots[i].job.run_id == s->kill_ids[k]) {
				s->slots[i].cancelled = 1;
				kill(s->slots[i].pid, SIGKILL);
			}
	s->nkill = 0;
	pthread_mutex_unlock(&s->mu);
}

static void start_runs(struct scheduler *s)
{
	for (int i = 0; i < s->nslots; i++) {
		struct wslot *w = &s->slots[i];
		int rc;

		if (w->phase != SLOT_FREE)
			continue;
		rc = store_claim_next(s->st, &w->job);
		if (rc < 0) {
			set_failing(s, 1);
			return;
		}
		if (rc == 0)
			return;
		if (spawn(s, w)) {
			snprintf(w->status, sizeof(w->status), "failed");
			snprintf(w->reason, sizeof(w->reason), "cannot start a worker: %s", strerror(errno));
			w->phase = SLOT_FINISHING;
			pthread_mutex_lock(&s->mu);
			s->stats.workers_busy++;
			pthread_mutex_unlock(&s->mu);
			return;
		}
	}
}

static void *loop(void *arg)
{
	struct scheduler *s = arg;
	struct pollfd *pfd = calloc((size_t)s->nslots + 1, sizeof(*pfd));
	int *which = calloc((size_t)s->nslots + 1, sizeof(*which));

	while (pfd && which) {
		int n = 0, stop;
		double t = now_s();

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		apply_kills(s);
		if (!s->stats.store_failing || t >= s->retry_at) {
			int was = s->stats.store_failing;

			for (int i = 0; i < s->nslots; i++)
				if (s->slots[i].phase == SLOT_FINISHING)
					finish(s, &s->slots[i]);
			if (was && s->retry_at <= t)
				set_failing(s, 0);
			for (int i = 0; i < s->nslots && !s->stats.store_failing; i++)
				if (s->slots[i].phase == SLOT_RUNNING && s->slots[i].nsamples >= SAMPLE_BATCH)
					flush_samples(s, &s->slots[i]);
			if (!s->stats.store_failing)
				start_runs(s);
		}
		pfd[n].fd = s->wake[0];
		pfd[n].events = POLLIN;
		which[n++] = -1;
		for (int i = 0; i < s->nslots; i++) {
			struct wslot *w = &s->slots[i];

			if (w->phase != SLOT_RUNNING)
				continue;
			if (t - w->started > s->cfg->run_timeout_s && !w->timed_out) {
				w->timed_out = 1;
				kill(w->pid, SIGKILL);
			}
			pfd[n].fd = w->fd;
			pfd[n].events = POLLIN;
			which[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, s->stats.store_failing ? 250 : 500) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (which[k] < 0) {
				char buf[64];

				while (read(s->wake[0], buf, sizeof(buf)) > 0)
					;
				continue;
			}
			struct wslot *w = &s->slots[which[k]];
			int eof = 0;

			drain(s, w, &eof);
			if (eof)
				reap(s, w);
		}
	}
	/* stopping: end the workers; their runs are re-queued by store_recover */
	for (int i = 0; i < s->nslots; i++) {
		struct wslot *w = &s->slots[i];

		if (w->phase == SLOT_RUNNING) {
			kill(w->pid, SIGKILL);
			close(w->fd);
			while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		if (w->phase == SLOT_FINISHING)
			finish(s, w); /* last chance; else the run is re-queued on restart */
		if (w->phase != SLOT_FREE) {
			clear_samples(w);
			free(w->samples);
			run_job_free(&w->job);
			json_decref(w->result);
			free(w->buf);
		}
	}
	free(pfd);
	free(which);
	return NULL;
}

struct scheduler *scheduler_start(struct store *st, const struct config *c, char *err, size_t len)
{
	struct scheduler *s = calloc(1, sizeof(*s));
	ssize_t n;

	if (!s) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	s->st = st;
	s->cfg = c;
	s->nslots = c->workers;
	s->slots = calloc((size_t)s->nslots, sizeof(*s->slots));
	n = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);
	if (!s->slots || n <= 0 || pipe2(s->wake, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, len, "scheduler: %s", n <= 0 ? "cannot find /proc/self/exe" : strerror(errno));
		free(s->slots);
		free(s);
		return NULL;
	}
	s->exe[n] = 0;
	for (int i = 0; i < s->nslots; i++)
		s->slots[i].fd = -1;
	s->stats.workers_max = s->nslots;
	pthread_mutex_init(&s->mu, NULL);
	if (pthread_create(&s->thread, NULL, loop, s)) {
		snprintf(err, len, "scheduler: cannot start its thread");
		close(s->wake[0]);
		close(s->wake[1]);
		free(s->slots);
		free(s);
		return NULL;
	}
	return s;
}

void scheduler_stop(struct scheduler *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	wake(s);
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	free(s->kill_ids);
	free(s->slots);
	free(s);
}

int scheduler_submit(struct scheduler *s, const char *text, size_t len, char *id, size_t idlen,
		     struct spec_error *e)
{
	struct spec *sp = spec_parse(text, len, e);
	struct utsname u;
	json_t *host;
	int rc;

	if (!sp)
		return -1;
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	host = json_pack("{s:s,s:s,s:s}", "kernel", u.release, "machine", u.machine,
			 "svabench_version", SVABENCH_VERSION);
	if (host && sp->ncollect)
		json_object_set_new(host, "collectors", collectors_probe_json(sp));
	{
		char *copy = strndup(text, len); /* the store keeps a C string */

		rc = copy ? store_create_experiment(s->st, sp, copy, host, id, idlen) : STORE_ERR;
		free(copy);
	}
	json_decref(host);
	spec_free(sp);
	if (rc == 0)
		wake(s);
	return rc;
}

int scheduler_cancel(struct scheduler *s, const char *exp_pub)
{
	int64_t *ids = NULL;
	size_t n = 0;
	int rc = store_cancel_experiment(s->st, exp_pub, &ids, &n);

	if (rc == 0 && n) {
		pthread_mutex_lock(&s->mu);
		int64_t *k = realloc(s->kill_ids, (s->nkill + n) * sizeof(*k));

		if (k) {
			memcpy(k + s->nkill, ids, n * sizeof(*k));
			s->kill_ids = k;
			s->nkill += n;
		}
		pthread_mutex_unlock(&s->mu);
		wake(s);
	}
	free(ids);
	return rc;
}

void scheduler_stats(struct scheduler *s, struct scheduler_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}
