/*
 * scheduler.c - turns queued runs into work for a pool of worker processes
 * and their output into stored results.
 *
 * One thread owns every worker. A worker (`svabenchd --worker`) is started
 * when a run needs one and then stays, running one job after another (a
 * job is one JSON line on its stdin; the spec's text goes along only when
 * the worker does not hold that experiment's spec yet). Its stdout brings
 * frames (binary samples, then the run's result as JSON; daemon.h); its
 * pidfd says when it ended. The loop waits in poll() only - never in waitpid - so a worker
 * that closes its stdout and hangs still meets its --run-timeout while the
 * others go on.
 *
 * Isolation is kept: a worker is its own process group (a kill takes
 * whatever it started too), dies with the daemon (PR_SET_PDEATHSIG), and
 * starts with default signal dispositions. A worker that dies, hangs past
 * --run-timeout or is cancelled fails (or cancels) only the run it was on,
 * with the reason; the next run gets a fresh worker. Every run is stored
 * `running` before its job is sent.
 *
 * Ended runs are stored together, samples and all, in one transaction (up
 * to ENDED_BATCH, waiting at most ENDED_WAIT_S for others while runs go
 * on); claims of all idle workers in another. The history bookkeeping of
 * an ended experiment runs on a thread of its own.
 * When the store cannot be written (disk full) nothing is dropped: results
 * wait in memory, no new run starts, and the write is retried every second.
 *
 * Admission: at most --queue-max runs wait queued; a submission that would
 * go past it is refused (429 with Retry-After, from the drain rate).
 * Exclusive targets (struct target.exclusive) run alone: no other run
 * starts while one runs, and one starts only once nothing else runs.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../lib/run_command.h"
#include "../lib/logger.h"
#include "../lib/util.h"
#include "task.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Samples held per running run before they are written on their own. */
#define SAMPLE_FLUSH 512
#define FRAME_MAX_BYTES (4 << 20)
/* Ended runs are stored together: at most this many per transaction... */
#define ENDED_BATCH 128
/* ...waiting at most this long for others while runs go on... */
#define ENDED_WAIT_S 0.02
/* ...and holding at most this many samples. */
#define ENDED_SAMPLES 8192
/* Runs claimed ahead, in one transaction, for workers to take in turn. */
#define READY_MAX 32

enum slot_phase { SLOT_FREE, SLOT_RUNNING, SLOT_FINISHING };

/* Samples of one stream under one list of names (a WF_NAMES frame). */
struct sblock {
	char **names;
	size_t nnames;
	uint64_t *t;
	double *v;              /* n x nnames */
	size_t n, cap;
};

struct wslot {
	/* the worker process; proc.pid 0: none (one is started when a run
	 * needs it); proc.to_child its stdin (jobs), proc.from_child its
	 * stdout (-1 once ended), proc.pidfd readable once it ended */
	struct child proc;
	char held[32];          /* the experiment whose spec the worker holds */
	char *wbuf;             /* job text not written yet */
	size_t wlen, woff;
	char *buf;              /* partial line */
	size_t len, cap;
	int libpfm;             /* the worker reported libpfm4 initialised */

	/* the run it is on */
	enum slot_phase phase;
	struct run_job job;
	int exclusive;          /* the run's target runs alone */
	double started;
	int64_t started_ms;     /* the same in Unix ms, stored as its started_at */
	struct sblock *blocks;  /* its samples; grow while the store cannot take them */
	size_t nblocks, capblocks, nsamples;
	int cur[2];             /* per stream: the block taking its samples, -1 none */
	json_t *result;         /* the worker's {"result": ...} object */
	struct metrics *fnames; /* the names of its final metrics (values unset) */
	struct metrics *final;  /* the run's final metrics (WF_FINAL) */
	int cancelled, timed_out;
	char status[16];        /* when FINISHING: what to store */
	char reason[300];
};

/* A run that ended, its result not stored yet. */
struct ended {
	struct run_job job;
	char status[16], reason[300];
	json_t *result;
	struct metrics *final;  /* its final metrics when not in result */
	struct sblock *blocks;
	size_t nblocks, nsamples;
	double at;              /* when it ended (monotonic s) */
	int64_t started_ms;     /* when a worker took it (Unix ms; 0: not at all) */
	int64_t finished_ms;    /* when it ended (Unix ms) */
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
	int64_t queued;         /* runs queued (admission), under mu */
	double rate;            /* runs ended per second, smoothed (under mu) */
	double rate_t0;
	int64_t rate_n0;
	double retry_at;
	/* history bookkeeping of ended experiments, on a thread of its own so
	 * its cost never holds runs back (history_on_ended) */
	pthread_t hthread;
	pthread_cond_t hcv;     /* under mu */
	char (*hqueue)[32];     /* experiments to look at, under mu */
	size_t hn, hcap;
	int hstop;
	int hbusy;              /* experiments the history thread is on, under mu */
	struct run_job ready[READY_MAX]; /* claimed ahead, oldest first */
	int nready;             /* written under mu (read by cancels) */
	struct ended *ended;    /* runs ended, not stored yet (oldest first) */
	size_t nended, capended, held; /* held: their samples */
	struct task_env tasks;      /* worker tasks: where from, how many (task.h) */
	/* collector probes, run in worker processes (task.c) by a thread of
	 * their own and cached per daemon start: HTTP threads only read them */
	pthread_t probe_thread;
	pthread_cond_t probe_cv;    /* under mu: a probe ended, or one is wanted */
	_Atomic int probe_stop;
	int probe_list_done;        /* under mu: the start-up list probe ended */
	json_t *probe_list;         /* under mu: {"collectors": [...]}, NULL when it failed */
	char probe_list_error[512];
	json_t *probes;             /* under mu: event names joined by '\n' -> host.collectors */
	json_t *probe_wanted;       /* under mu: such keys to probe -> [names] */
	json_t *probe_failed;       /* under mu: such keys whose last probe failed -> why */
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


static void set_failing(struct scheduler *s, int failing)
{
	pthread_mutex_lock(&s->mu);
	if (failing && !s->stats.store_failing)
		log_error("store write failed, holding results until it works again: %s",
			  store_error(s->st));
	if (!failing && s->stats.store_failing)
		log_info("store writable again, resuming");
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
		log_error("wake pipe: %s", strerror(errno));
}

static void stat_add(struct scheduler *s, int64_t *field, int64_t n)
{
	pthread_mutex_lock(&s->mu);
	*field += n;
	pthread_mutex_unlock(&s->mu);
}

/* ---- worker processes ---- */

/*
 * Starts the slot's worker (lib/run_command.c): its own process group,
 * killed when this thread ends (PR_SET_PDEATHSIG), default signal
 * dispositions, an empty mask, stdin and stdout pipes, stderr the
 * daemon's (its log), nothing else open.
 */
static int worker_start(struct scheduler *s, struct wslot *w, char *err, size_t elen)
{
	/* --var: the worker reads the daemon's local presets (<var>/presets);
	 * argv is read by child_start only */
	const char *const argv[] = {"svabenchd", "--worker", "--var", s->cfg->var, NULL};
	struct child *c = &w->proc;

	child_init(c, argv);
	c->path = s->exe;
	c->in = CHILD_PIPE;
	c->out = CHILD_PIPE;
	if (child_start(c, err, elen)) {
		child_init(c, argv);
		return -1;
	}
	if (c->pidfd < 0) { /* this loop waits on pidfds only */
		child_reap(c, NULL);
		child_init(c, argv);
		snprintf(err, elen, "pidfd_open is not available (Linux 5.3 or later is needed)");
		errno = ENOSYS;
		return -1;
	}
	fcntl(c->to_child, F_SETFL, O_NONBLOCK);
	fcntl(c->from_child, F_SETFL, O_NONBLOCK);
	/* room for ~1500 samples: a worker keeps running while this thread
	 * is in a store transaction (fails quietly above pipe-max-size) */
	fcntl(c->from_child, F_SETPIPE_SZ, 1 << 20);
	w->held[0] = 0;
	w->libpfm = 0;
	stat_add(s, &s->stats.workers_started, 1);
	return 0;
}

/* Kills the worker's whole process group (itself if setpgid lost a race). */
static void worker_kill(struct wslot *w)
{
	child_kill(&w->proc);
}

static void block_free(struct sblock *b)
{
	for (size_t i = 0; i < b->nnames; i++)
		free(b->names[i]);
	free(b->names);
	free(b->t);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/*
 * Drops the samples held. With keep, the current block of each stream
 * keeps its names (the worker sends names only when they change), else
 * everything goes (the worker is gone).
 */
static void clear_samples(struct wslot *w, int keep)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nblocks; i++) {
		int cur = keep && ((int)i == w->cur[0] || (int)i == w->cur[1]);

		if (!cur) {
			block_free(&w->blocks[i]);
			continue;
		}
		w->blocks[i].n = 0;
		for (int st = 0; st < 2; st++)
			if (w->cur[st] == (int)i)
				w->cur[st] = (int)k;
		w->blocks[k++] = w->blocks[i];
	}
	w->nblocks = k;
	if (!keep) {
		free(w->blocks);
		w->blocks = NULL;
		w->capblocks = 0;
		w->cur[0] = w->cur[1] = -1;
	}
	w->nsamples = 0;
}

/* The held samples as the store takes them (malloc'd, *n of them). */
static struct sample_block *blocks_view(const struct wslot *w, size_t *n)
{
	struct sample_block *v = calloc(w->nblocks ? w->nblocks : 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < w->nblocks; i++) {
		const struct sblock *b = &w->blocks[i];

		if (b->n)
			v[(*n)++] = (struct sample_block){(const char *const *)b->names, b->nnames,
							  b->t, b->v, b->n};
	}
	return v;
}

/* Writes the job text still pending; what the pipe cannot take waits. */
static void flush_job(struct wslot *w)
{
	while (w->woff < w->wlen) {
		ssize_t n = write(w->proc.to_child, w->wbuf + w->woff, w->wlen - w->woff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) /* EPIPE: it is gone, its pidfd will say so */
			break;
		w->woff += (size_t)n;
	}
	free(w->wbuf);
	w->wbuf = NULL;
	w->wlen = w->woff = 0;
}

static int send_job(struct wslot *w)
{
	int give_spec = strcmp(w->held, w->job.exp_pub) != 0;
	json_t *o = json_pack("{s:I,s:s,s:i,s:s*}", "run", (json_int_t)w->job.run_id, "exp",
			      w->job.exp_pub, "index", w->job.index, "spec",
			      give_spec ? w->job.spec_text : NULL);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	size_t len;

	json_decref(o);
	if (!text)
		return -1;
	len = strlen(text);
	free(w->wbuf);
	w->wbuf = realloc(text, len + 1);
	if (!w->wbuf) {
		free(text);
		return -1;
	}
	w->wbuf[len] = '\n';
	w->wlen = len + 1;
	w->woff = 0;
	snprintf(w->held, sizeof(w->held), "%s", w->job.exp_pub);
	flush_job(w);
	return 0;
}

/*
 * The result's final metrics. An object's keys are unique, so each is
 * appended without metrics_set's search (quadratic in ~90 names per run).
 */
static struct metrics *metrics_from_json(json_t *o)
{
	struct metrics *m = metrics_new();
	size_t n = json_object_size(o);
	const char *k;
	json_t *v;

	if (!n)
		return m;
	m->v = xcalloc(n, sizeof(*m->v));
	m->cap = n;
	json_object_foreach(o, k, v) {
		struct metric *e = &m->v[m->n++];

		snprintf(e->name, sizeof(e->name), "%s", k);
		e->is_null = !json_is_number(v);
		e->value = e->is_null ? 0 : json_number_value(v);
	}
	return m;
}

/* Writes the batched samples of a running run; keeps them when the store cannot. */
static int flush_samples(struct scheduler *s, struct wslot *w)
{
	struct sample_block *v;
	size_t n;
	int rc;

	if (!w->nsamples)
		return 0;
	if (!(v = blocks_view(w, &n)))
		return -1;
	rc = store_add_sample_blocks(s->st, w->job.run_id, v, n);
	free(v);
	if (rc) {
		set_failing(s, 1);
		return rc;
	}
	clear_samples(w, 1);
	return 0;
}

/* A WF_NAMES frame of stream 2: the names of the final metrics of the next runs. */
static void final_names(struct wslot *w, const char *p, size_t len)
{
	metrics_free(w->fnames);
	w->fnames = metrics_new();
	for (size_t i = 1; i < len; i += strlen(p + i) + 1)
		metrics_append(w->fnames, p + i, 0, 1);
}

/* A WF_NAMES frame: the names of a stream's next samples. */
static void names_frame(struct wslot *w, const char *p, size_t len)
{
	unsigned char stream = (unsigned char)p[0];
	struct sblock b = {0};
	size_t n = 0;

	if (stream > 2 || p[len - 1] != 0)
		return;
	if (stream == 2) {
		final_names(w, p, len);
		return;
	}
	for (size_t i = 1; i < len; i++)
		n += p[i] == 0;
	w->blocks = xgrow(w->blocks, &w->capblocks, w->nblocks, sizeof(*w->blocks));
	b.names = xcalloc(n ? n : 1, sizeof(*b.names));
	for (size_t i = 1; i < len; i += strlen(p + i) + 1)
		b.names[b.nnames++] = xstrdup(p + i);
	w->cur[stream] = (int)w->nblocks;
	w->blocks[w->nblocks++] = b;
}

/* A WF_SAMPLE frame: t_ns and one double per name of its stream. */
static void sample_frame(struct wslot *w, const char *p, size_t len)
{
	unsigned char stream = (unsigned char)p[0];
	struct sblock *b;

	if (stream > 1 || w->cur[stream] < 0)
		return;
	b = &w->blocks[w->cur[stream]];
	if (len != 1 + sizeof(uint64_t) + b->nnames * sizeof(double))
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;

		b->t = xreallocarray(b->t, cap, sizeof(*b->t));
		b->v = xreallocarray(b->v, cap * (b->nnames ? b->nnames : 1), sizeof(*b->v));
		b->cap = cap;
	}
	memcpy(&b->t[b->n], p + 1, sizeof(uint64_t));
	memcpy(b->v + b->n * b->nnames, p + 1 + sizeof(uint64_t), b->nnames * sizeof(double));
	b->n++;
	w->nsamples++;
}

/* A WF_FINAL frame: run id and one double per final metric name (NaN: null). */
static void final_frame(struct wslot *w, const char *p, size_t len)
{
	const struct metrics *t = w->fnames;
	struct metrics *m;
	uint64_t run;

	if (!t || (unsigned char)p[0] != 2 || len != 1 + sizeof(run) + t->n * sizeof(double))
		return;
	memcpy(&run, p + 1, sizeof(run));
	if ((int64_t)run != w->job.run_id)
		return;
	m = metrics_new();
	for (size_t i = 0; i < t->n; i++) {
		double v;

		memcpy(&v, p + 1 + sizeof(run) + i * sizeof(v), sizeof(v));
		metrics_append(m, t->v[i].name, isnan(v) ? 0 : v, isnan(v));
	}
	metrics_free(w->final);
	w->final = m;
}

/* A WF_JSON frame: the result of the run the worker is on. */
static void json_frame(struct scheduler *s, struct wslot *w, const char *text, size_t len)
{
	json_t *o, *x;

	if (!(o = json_loadb(text, len, 0, NULL)))
		return;
	if ((x = json_object_get(o, "result")) &&
	    json_integer_value(json_object_get(x, "run")) == w->job.run_id) {
		const char *st = json_string_value(json_object_get(x, "status"));
		const char *why = json_string_value(json_object_get(x, "reason"));
		json_t *wk = json_object_get(o, "worker");

		if (json_is_true(json_object_get(wk, "libpfm")) && !w->libpfm) {
			w->libpfm = 1;
			stat_add(s, &s->stats.libpfm_inits, 1);
		}
		json_decref(w->result);
		w->result = json_incref(x);
		snprintf(w->status, sizeof(w->status), "%s", st && !strcmp(st, "done") ? "done" : "failed");
		snprintf(w->reason, sizeof(w->reason), "%s", why ? why : "");
		if (w->cancelled) { /* its experiment was cancelled meanwhile */
			snprintf(w->status, sizeof(w->status), "cancelled");
			snprintf(w->reason, sizeof(w->reason), "cancelled while running");
		}
		w->phase = SLOT_FINISHING;
	}
	json_decref(o);
}

/* One frame; 0, or -1 when it makes no sense (the worker is broken). */
static int frame(struct scheduler *s, struct wslot *w, char type, const char *p, size_t len)
{
	if (type == WF_NAMES && len >= 2) {
		names_frame(w, p, len);
		return 0;
	}
	if (w->phase != SLOT_RUNNING)
		return 0; /* nothing asked: stray output */
	if (type == WF_SAMPLE && len >= 1 + sizeof(uint64_t))
		sample_frame(w, p, len);
	else if (type == WF_FINAL && len >= 1 + sizeof(uint64_t))
		final_frame(w, p, len);
	else if (type == WF_JSON)
		json_frame(s, w, p, len);
	else
		return -1;
	return 0;
}

/* Reads what the worker wrote; *eof when its stdout ended (or it broke the protocol). */
static void drain(struct scheduler *s, struct wslot *w, int *eof)
{
	for (;;) {
		size_t at = 0;
		ssize_t r;

		if (w->cap - w->len < 65536) {
			size_t cap = w->cap ? w->cap * 2 : 131072;

			w->buf = xrealloc(w->buf, cap);
			w->cap = cap;
		}
		r = read(w->proc.from_child, w->buf + w->len, w->cap - w->len);
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
		while (w->len - at >= 5) {
			uint32_t plen;

			memcpy(&plen, w->buf + at, sizeof(plen));
			if (plen > FRAME_MAX_BYTES) {
				log_error("worker %d: a frame of %u bytes: not a worker, stopping it",
					  (int)w->proc.pid, plen);
				worker_kill(w);
				w->len = at = 0;
				*eof = 1;
				return;
			}
			if (w->len - at < 5 + (size_t)plen)
				break;
			if (frame(s, w, w->buf[at + 4], w->buf + at + 5, plen)) {
				log_error("worker %d: unknown frame type %d, stopping it", (int)w->proc.pid,
					  w->buf[at + 4]);
				worker_kill(w);
				w->len = 0;
				*eof = 1;
				return;
			}
			at += 5 + (size_t)plen;
		}
		memmove(w->buf, w->buf + at, w->len - at);
		w->len -= at;
	}
}

static void out_ended(struct scheduler *s, struct wslot *w)
{
	(void)s;
	close(w->proc.from_child);
	w->proc.from_child = -1;
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
	/* an idle worker without stdout is of no use; one on a run keeps it
	 * until it exits or meets --run-timeout */
	if (w->phase != SLOT_RUNNING)
		worker_kill(w);
}

/* The worker ended (its pidfd said so): reap it, decide what its run became. */
static void worker_ended(struct scheduler *s, struct wslot *w)
{
	int status = 0, eof = 0;

	if (w->proc.from_child >= 0)
		drain(s, w, &eof); /* a result written just before the end counts */
	child_reap(&w->proc, &status); /* its group goes too; the pipes and pidfd close */
	if (w->phase == SLOT_RUNNING) {
		snprintf(w->status, sizeof(w->status), "failed");
		if (w->cancelled) {
			snprintf(w->status, sizeof(w->status), "cancelled");
			snprintf(w->reason, sizeof(w->reason), "cancelled while running");
		} else if (w->timed_out) {
			snprintf(w->reason, sizeof(w->reason), "worker killed after --run-timeout %d s",
				 s->cfg->run_timeout_s);
		} else if (WIFSIGNALED(status)) {
			snprintf(w->reason, sizeof(w->reason),
				 "worker killed by signal %d (%s) before reporting a result",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
			stat_add(s, &s->stats.workers_killed, 1);
		} else {
			snprintf(w->reason, sizeof(w->reason),
				 "worker exited with status %d without a result",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		w->phase = SLOT_FINISHING;
	}
	free(w->wbuf);
	free(w->buf);
	w->wbuf = w->buf = NULL;
	w->wlen = w->woff = w->len = w->cap = 0;
	w->held[0] = 0;
	w->cur[0] = w->cur[1] = -1; /* a new worker sends its names anew */
	metrics_free(w->fnames);
	w->fnames = NULL;
}

/* ---- runs ---- */

/* Queues exp for history_on_ended on the history thread. */
static void history_later(struct scheduler *s, const char *exp)
{
	pthread_mutex_lock(&s->mu);
	if (!s->hn || strcmp(s->hqueue[s->hn - 1], exp)) {
		s->hqueue = xgrow(s->hqueue, &s->hcap, s->hn, sizeof(*s->hqueue));
		snprintf(s->hqueue[s->hn++], sizeof(*s->hqueue), "%s", exp);
		pthread_cond_signal(&s->hcv);
	}
	pthread_mutex_unlock(&s->mu);
}

void scheduler_history_later(struct scheduler *s, const char *exp_pub)
{
	history_later(s, exp_pub);
}

/*
 * Experiments the history thread takes at once: the backlog a drain or a
 * run of imports leaves is checked once per configuration among them, not
 * once per experiment.
 */
#define HISTORY_BATCH 256

/* The history thread: takes queued experiments until stopped and drained. */
static void *history_loop(void *arg)
{
	struct scheduler *s = arg;
	char exps[HISTORY_BATCH][32];
	size_t n;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->hn && !s->hstop)
			pthread_cond_wait(&s->hcv, &s->mu);
		if (!s->hn)
			break;
		n = s->hn < HISTORY_BATCH ? s->hn : HISTORY_BATCH;
		memcpy(exps, s->hqueue, n * sizeof(*exps));
		memmove(s->hqueue, s->hqueue + n, (s->hn - n) * sizeof(*s->hqueue));
		s->hn -= n;
		s->hbusy = (int)n;
		pthread_mutex_unlock(&s->mu);
		history_on_ended(s->st, (const char (*)[32])exps, n);
		pthread_mutex_lock(&s->mu);
		s->hbusy = 0;
		s->stats.history_analyses += (long long)n;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/*
 * Queues the ended experiments whose analysis a kill interrupted or never
 * let start (schema/006_alerts_pending.sql), oldest first, before the
 * history thread starts.
 */
static void history_requeue(struct scheduler *s)
{
	int64_t ids[1024], after = 0;
	size_t n, total = 0;

	do {
		if (history_pending_ended(s->st, after, ids, 1024, &n)) {
			log_warn("pending alert analyses: %s", store_error(s->st));
			return;
		}
		for (size_t i = 0; i < n; i++) {
			char pub[32];

			snprintf(pub, sizeof(pub), "e%lld", (long long)ids[i]);
			history_later(s, pub);
		}
		total += n;
		if (n)
			after = ids[n - 1];
	} while (n == 1024);
	if (total)
		log_info("%zu alert analyses left by the last run queued again", total);
}

/*
 * The run on w ended: its job, result and samples move to the runs waiting
 * to be stored, and the slot (its worker staying) takes the next run. The
 * current block of each stream keeps a copy of its names: the worker sends
 * names only when they change.
 */
static void retire(struct scheduler *s, struct wslot *w)
{
	struct ended *e;

	if (s->nended == s->capended) {
		size_t cap = s->capended ? s->capended * 2 : 64;
		struct ended *v = realloc(s->ended, cap * sizeof(*v));

		if (!v)
			return; /* stays FINISHING; tried again next pass */
		s->ended = v;
		s->capended = cap;
	}
	e = &s->ended[s->nended];
	memset(e, 0, sizeof(*e));
	e->job = w->job;
	memset(&w->job, 0, sizeof(w->job));
	memcpy(e->status, w->status, sizeof(e->status));
	memcpy(e->reason, w->reason, sizeof(e->reason));
	e->result = w->result;
	w->result = NULL;
	e->final = w->final;
	w->final = NULL;
	e->blocks = w->blocks;
	e->nblocks = w->nblocks;
	e->nsamples = w->nsamples;
	e->at = now_s();
	e->started_ms = w->started_ms;
	e->finished_ms = wall_ms();
	s->nended++;
	s->held += w->nsamples;
	/* the slot starts again with the current names, no samples */
	w->blocks = NULL;
	w->nblocks = w->capblocks = w->nsamples = 0;
	for (int st = 0; st < 2; st++) {
		struct sblock *b = w->cur[st] >= 0 ? &e->blocks[w->cur[st]] : NULL;

		w->cur[st] = -1;
		if (!b)
			continue;
		{
			/* rebuild the names as a WF_NAMES payload would give them */
			size_t len = 1;
			char *p;

			for (size_t i = 0; i < b->nnames; i++)
				len += strlen(b->names[i]) + 1;
			if (!(p = malloc(len)))
				continue;
			p[0] = (char)st;
			len = 1;
			for (size_t i = 0; i < b->nnames; i++) {
				size_t l = strlen(b->names[i]) + 1;

				memcpy(p + len, b->names[i], l);
				len += l;
			}
			if (b->nnames)
				names_frame(w, p, len);
			free(p);
		}
	}
	w->cancelled = w->timed_out = w->exclusive = 0;
	w->status[0] = w->reason[0] = 0;
	w->phase = SLOT_FREE;
	pthread_mutex_lock(&s->mu);
	s->stats.workers_busy--;
	pthread_mutex_unlock(&s->mu);
}

static void ended_free(struct ended *e)
{
	for (size_t i = 0; i < e->nblocks; i++)
		block_free(&e->blocks[i]);
	free(e->blocks);
	json_decref(e->result);
	metrics_free(e->final);
	run_job_free(&e->job);
}

/*
 * Stores the ended runs, up to ENDED_BATCH per transaction: samples,
 * results and experiment counters together, so a kill -9 leaves each of
 * them stored or still `running` (re-queued at the next start). On a
 * failure they wait for the retry.
 */
static void commit_ended(struct scheduler *s)
{
	while (s->nended && !s->stats.store_failing) {
		size_t n = s->nended < ENDED_BATCH ? s->nended : ENDED_BATCH, nb;
		struct run_end *v = calloc(n, sizeof(*v));
		struct metrics **m = calloc(n, sizeof(*m));
		struct sample_block **bv = calloc(n, sizeof(*bv));
		int rc = v && m && bv ? 0 : -1;

		for (size_t i = 0; !rc && i < n; i++) {
			struct ended *e = &s->ended[i];
			json_t *res = e->result;
			struct wslot view = {0};

			json_t *mo = res ? json_object_get(res, "metrics") : NULL;

			/* binary (WF_FINAL), or {} in the result */
			if (res && !mo) {
				m[i] = e->final;
				e->final = NULL;
			} else {
				m[i] = res ? metrics_from_json(mo) : NULL;
			}
			view.blocks = e->blocks;
			view.nblocks = e->nblocks;
			bv[i] = blocks_view(&view, &nb);
			v[i] = (struct run_end){e->job.run_id, e->status, e->reason[0] ? e->reason : NULL,
						m[i], res ? json_object_get(res, "examples") : NULL,
						NULL, 0, bv[i], bv[i] ? nb : 0, e->started_ms,
						e->finished_ms, 0};
		}
		if (!rc)
			rc = store_finish_runs(s->st, v, n);
		for (size_t i = 0; m && bv && i < n; i++) {
			metrics_free(m[i]);
			free(bv[i]);
		}
		free(m);
		free(bv);
		if (rc) {
			free(v);
			set_failing(s, 1);
			return;
		}
		stat_add(s, &s->stats.ingest_batches, 1);
		stat_add(s, &s->stats.runs_finished, (int64_t)n);
		for (size_t i = 0; i < n; i++) {
			struct ended *e = &s->ended[i];

			if (v[i].rc)
				log_error("run %s: result not stored: %s", e->job.run_pub, store_error(s->st));
			if (i + 1 == n || strcmp(e->job.exp_pub, s->ended[i + 1].job.exp_pub))
				history_later(s, e->job.exp_pub);
			if (strcmp(e->status, "done"))
				log_info("run %s %s: %s", e->job.run_pub, e->status, e->reason);
			s->held -= e->nsamples;
			ended_free(e);
		}
		free(v);
		memmove(s->ended, s->ended + n, (s->nended - n) * sizeof(*s->ended));
		s->nended -= n;
	}
}

/*
 * Whether to store the ended runs now: when nothing runs (no reason to
 * wait; a lone run's latency), when many wait or hold many samples, or
 * when the oldest has waited ENDED_WAIT_S. Else more runs join the batch.
 */
static int commit_due(struct scheduler *s, double t)
{
	int busy = 0;

	if (!s->nended)
		return 0;
	for (int i = 0; i < s->nslots; i++)
		busy += s->slots[i].phase == SLOT_RUNNING;
	return !busy || s->nended >= ENDED_BATCH || s->held >= ENDED_SAMPLES ||
	       t - s->ended[0].at >= ENDED_WAIT_S;
}

/* A claimed run that no worker took ends (job taken over). */
static void end_unstarted(struct scheduler *s, struct run_job *job, const char *status,
			  const char *reason)
{
	struct ended *e;

	if (s->nended == s->capended) {
		size_t cap = s->capended ? s->capended * 2 : 64;
		struct ended *v = realloc(s->ended, cap * sizeof(*v));

		if (!v) { /* stays `running`: re-queued at the next start */
			run_job_free(job);
			return;
		}
		s->ended = v;
		s->capended = cap;
	}
	e = &s->ended[s->nended++];
	memset(e, 0, sizeof(*e));
	e->job = *job;
	memset(job, 0, sizeof(*job));
	snprintf(e->status, sizeof(e->status), "%s", status);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	e->at = now_s();
	e->finished_ms = wall_ms();
}

static void apply_kills(struct scheduler *s)
{
	pthread_mutex_lock(&s->mu);
	for (size_t k = 0; k < s->nkill; k++)
		for (int i = 0; i < s->nslots; i++)
			if (s->slots[i].phase == SLOT_RUNNING && s->slots[i].job.run_id == s->kill_ids[k]) {
				s->slots[i].cancelled = 1;
				worker_kill(&s->slots[i]);
			}
	for (size_t k = 0; k < s->nkill; k++)
		for (int i = 0; i < s->nready; i++)
			if (s->ready[i].run_id == s->kill_ids[k]) {
				end_unstarted(s, &s->ready[i], "cancelled", "cancelled before it started");
				memmove(&s->ready[i], &s->ready[i + 1],
					(size_t)(s->nready - i - 1) * sizeof(s->ready[0]));
				s->nready--;
				s->queued = s->queued > 0 ? s->queued - 1 : 0;
				break;
			}
	s->nkill = 0;
	pthread_mutex_unlock(&s->mu);
}

/* 1 when runs of the named target must have the machine to themselves. */
static int target_exclusive(const char *name)
{
	const struct target *t = target_find(name);

	return t && t->exclusive;
}

/* What may start next: claims stop at a run that would share the machine
 * with an exclusive one. */
struct admit {
	int running, exclusive;
};

static int may_start(void *ctx, const char *target)
{
	struct admit *a = ctx;
	int excl = target_exclusive(target);

	if (a->exclusive || (excl && a->running))
		return 0;
	a->running++;
	a->exclusive += excl;
	return 1;
}

/*
 * Gives idle workers runs: from those claimed ahead, claiming up to
 * READY_MAX more in one transaction when fewer wait than workers are idle.
 * An exclusive run is claimed only when nothing runs or waits, and starts
 * alone; nothing starts while it runs.
 */
static void start_runs(struct scheduler *s)
{
	struct admit a = {0, 0};
	int nfree = 0;

	for (int i = 0; i < s->nslots; i++) {
		struct wslot *w = &s->slots[i];

		if (w->phase == SLOT_FREE) {
			nfree++;
			continue;
		}
		a.running++;
		a.exclusive += w->exclusive;
	}
	if (!nfree || a.exclusive)
		return;
	if (s->nready < nfree) {
		struct admit c = a;
		int n;

		for (int i = 0; i < s->nready; i++) {
			c.running++;
			c.exclusive += target_exclusive(s->ready[i].target);
		}
		n = store_claim_runs(s->st, s->ready + s->nready, READY_MAX - s->nready, may_start, &c);
		if (n < 0) {
			set_failing(s, 1);
			return;
		}
		pthread_mutex_lock(&s->mu);
		s->nready += n; /* still waiting: counted in queued until a worker takes it */
		pthread_mutex_unlock(&s->mu);
	}
	for (int i = 0; i < s->nslots && s->nready; i++) {
		struct wslot *w = &s->slots[i];
		char why[256] = "";
		int excl;

		if (w->phase != SLOT_FREE)
			continue;
		excl = target_exclusive(s->ready[0].target);
		if (a.exclusive || (excl && a.running))
			break;
		w->job = s->ready[0];
		pthread_mutex_lock(&s->mu);
		memmove(&s->ready[0], &s->ready[1], (size_t)(s->nready - 1) * sizeof(s->ready[0]));
		s->nready--;
		s->queued = s->queued > 0 ? s->queued - 1 : 0;
		pthread_mutex_unlock(&s->mu);
		a.running++;
		a.exclusive += excl;
		w->exclusive = excl;
		w->started = now_s();
		w->started_ms = wall_ms();
		w->phase = SLOT_RUNNING;
		pthread_mutex_lock(&s->mu);
		s->stats.workers_busy++;
		s->stats.runs_started++;
		pthread_mutex_unlock(&s->mu);
		if ((w->proc.pid || !worker_start(s, w, why, sizeof(why))) && !send_job(w))
			continue;
		snprintf(w->status, sizeof(w->status), "failed");
		snprintf(w->reason, sizeof(w->reason), "cannot start a worker: %s",
			 why[0] ? why : strerror(errno));
		w->phase = SLOT_FINISHING;
	}
}

/* Runs ended per second over the last seconds, for Retry-After. */
static void update_rate(struct scheduler *s, double t)
{
	pthread_mutex_lock(&s->mu);
	if (t - s->rate_t0 >= 1.0) {
		double r = (double)(s->stats.runs_finished - s->rate_n0) / (t - s->rate_t0);

		s->rate = s->rate > 0 ? 0.5 * s->rate + 0.5 * r : r;
		s->rate_t0 = t;
		s->rate_n0 = s->stats.runs_finished;
	}
	pthread_mutex_unlock(&s->mu);
}

static void *loop(void *arg)
{
	struct scheduler *s = arg;
	size_t max = (size_t)s->nslots * 3 + 1;
	struct pollfd *pfd = calloc(max, sizeof(*pfd));
	int *which = calloc(max, sizeof(*which));

	while (pfd && which) {
		int n = 0, stop;
		double t = now_s();

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (stop)
			break;
		update_rate(s, t);
		apply_kills(s);
		for (int i = 0; i < s->nslots; i++)
			if (s->slots[i].phase == SLOT_FINISHING)
				retire(s, &s->slots[i]);
		if (!s->stats.store_failing || t >= s->retry_at) {
			int was = s->stats.store_failing;

			if (was && s->retry_at <= t) {
				set_failing(s, 0);
				commit_ended(s);
			}
			for (int i = 0; i < s->nslots && !s->stats.store_failing; i++)
				if (s->slots[i].phase == SLOT_RUNNING &&
				    s->slots[i].nsamples >= SAMPLE_FLUSH)
					flush_samples(s, &s->slots[i]);
			if (!s->stats.store_failing)
				start_runs(s);
			if (commit_due(s, t)) {
				commit_ended(s);
				if (!s->stats.store_failing)
					start_runs(s); /* an exclusive run may start now */
			}
		}
		pfd[n].fd = s->wake[0];
		pfd[n].events = POLLIN;
		which[n++] = -1;
		for (int i = 0; i < s->nslots; i++) {
			struct wslot *w = &s->slots[i];

			if (!w->proc.pid)
				continue;
			if (w->phase == SLOT_RUNNING && !w->timed_out && !w->cancelled &&
			    t - w->started > s->cfg->run_timeout_s) {
				w->timed_out = 1;
				worker_kill(w);
			}
			if (w->proc.from_child >= 0) {
				pfd[n].fd = w->proc.from_child;
				pfd[n].events = POLLIN;
				which[n++] = i;
			}
			if (w->wbuf) {
				pfd[n].fd = w->proc.to_child;
				pfd[n].events = POLLOUT;
				which[n++] = i;
			}
			pfd[n].fd = w->proc.pidfd;
			pfd[n].events = POLLIN;
			which[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, s->stats.store_failing ? 250 : s->nended ? 5 : 500) < 0 &&
		    errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			struct wslot *w;
			int eof = 0;

			if (!pfd[k].revents)
				continue;
			if (which[k] < 0) {
				char buf[64];

				while (read(s->wake[0], buf, sizeof(buf)) > 0)
					;
				continue;
			}
			w = &s->slots[which[k]];
			if (!w->proc.pid)
				continue; /* ended earlier in this pass */
			if (pfd[k].fd == w->proc.from_child) {
				drain(s, w, &eof);
				if (eof)
					out_ended(s, w);
			} else if (pfd[k].fd == w->proc.to_child && w->wbuf) {
				flush_job(w);
			} else if (pfd[k].fd == w->proc.pidfd) {
				worker_ended(s, w);
			}
		}
	}
	/* stopping: end the workers; their runs are re-queued by store_recover */
	for (int i = 0; i < s->nslots; i++) {
		struct wslot *w = &s->slots[i];

		if (w->proc.pid) {
			worker_kill(w);
			if (w->phase == SLOT_RUNNING)
				w->phase = SLOT_FREE; /* stays `running` in the store */
			worker_ended(s, w);
		}
	}
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].phase == SLOT_FINISHING)
			retire(s, &s->slots[i]);
	pthread_mutex_lock(&s->mu);
	s->stats.store_failing = 0;
	pthread_mutex_unlock(&s->mu);
	commit_ended(s); /* last chance; else the runs are re-queued on restart */
	for (size_t i = 0; i < s->nended; i++)
		ended_free(&s->ended[i]);
	free(s->ended);
	for (int i = 0; i < s->nready; i++) /* stay `running`: re-queued at the next start */
		run_job_free(&s->ready[i]);
	for (int i = 0; i < s->nslots; i++) {
		struct wslot *w = &s->slots[i];

		clear_samples(w, 0);
		run_job_free(&w->job);
		json_decref(w->result);
		metrics_free(w->final);
		metrics_free(w->fnames);
	}
	free(pfd);
	free(which);
	return NULL;
}

/* ---- collector probes (worker tasks) ---- */

/* The probe thread: the machine's list once, then each event list asked for. */
static void *probe_loop(void *arg)
{
	struct scheduler *s = arg;
	json_t *job = json_pack("{s:s}", "kind", "collectors"), *ans = NULL;
	char err[512] = "";
	int rc = job ? task_run(&s->tasks, job, &s->probe_stop, NULL, NULL, &ans, err, sizeof(err))
		     : -1;

	json_decref(job);
	if (!rc && !json_is_array(json_object_get(ans, "collectors"))) {
		snprintf(err, sizeof(err), "the worker's answer has no collectors");
		rc = -1;
	}
	pthread_mutex_lock(&s->mu);
	s->probe_list = rc ? NULL : ans;
	if (rc) {
		json_decref(ans);
		snprintf(s->probe_list_error, sizeof(s->probe_list_error), "%s", err);
		log_error("probing collectors failed: %s", err);
	}
	s->probe_list_done = 1;
	pthread_cond_broadcast(&s->probe_cv);
	for (;;) {
		void *it;
		char *key;
		json_t *names;

		while (!s->probe_stop && !json_object_size(s->probe_wanted))
			pthread_cond_wait(&s->probe_cv, &s->mu);
		if (s->probe_stop)
			break;
		it = json_object_iter(s->probe_wanted);
		key = strdup(json_object_iter_key(it));
		names = json_incref(json_object_iter_value(it));
		pthread_mutex_unlock(&s->mu);
		ans = NULL;
		err[0] = 0;
		job = json_pack("{s:s,s:O}", "kind", "probe", "events", names);
		rc = job && key ? task_run(&s->tasks, job, &s->probe_stop, NULL, NULL, &ans, err,
					   sizeof(err))
				: -1;
		json_decref(job);
		json_decref(names);
		if (!rc && !json_is_array(json_object_get(ans, "probe"))) {
			snprintf(err, sizeof(err), "%s",
				 json_string_value(json_object_get(ans, "error")) ?
				 json_string_value(json_object_get(ans, "error")) : "no probe in the answer");
			rc = -1;
		}
		pthread_mutex_lock(&s->mu);
		if (key) {
			json_object_del(s->probe_wanted, key);
			if (rc)
				json_object_set_new(s->probe_failed, key, json_string(err[0] ? err : "out of memory"));
			else
				json_object_set(s->probes, key, json_object_get(ans, "probe"));
		} else {
			json_object_clear(s->probe_wanted); /* out of memory: every waiter gives up */
		}
		if (rc)
			log_error("probing collectors %s failed: %s", key ? key : "", err);
		pthread_cond_broadcast(&s->probe_cv);
		json_decref(ans);
		free(key);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Waits on probe_cv (under mu) until deadline (CLOCK_REALTIME); 0 at the deadline. */
static int probe_wait(struct scheduler *s, const struct timespec *deadline)
{
	return pthread_cond_timedwait(&s->probe_cv, &s->mu, deadline) != ETIMEDOUT;
}

static void probe_deadline(const struct scheduler *s, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += s->cfg->run_timeout_s + 5;
}

struct task_env *scheduler_tasks(struct scheduler *s)
{
	return s ? &s->tasks : NULL;
}

json_t *scheduler_collectors(struct scheduler *s, char *err, size_t elen)
{
	struct timespec dl;
	json_t *v = NULL;

	if (!s) {
		snprintf(err, elen, "this server runs no scheduler");
		return NULL;
	}
	probe_deadline(s, &dl);
	pthread_mutex_lock(&s->mu);
	while (!s->probe_list_done && probe_wait(s, &dl))
		;
	if (s->probe_list)
		v = json_incref(s->probe_list);
	else
		snprintf(err, elen, "%s", s->probe_list_done ? s->probe_list_error
							     : "the probe has not ended yet");
	pthread_mutex_unlock(&s->mu);
	return v;
}

/*
 * host.collectors for sp's "collect" events: the cached probe of this
 * event list, else one made by the probe thread in a worker (waiting at
 * most --run-timeout); when that fails, each event unavailable with why.
 */
static json_t *probe_for_spec(struct scheduler *s, const struct spec *sp)
{
	json_t *names = json_array(), *v = NULL;
	struct timespec dl;
	size_t len = 1;
	char *key;
	const char *why = NULL;

	for (size_t i = 0; i < sp->ncollect; i++) {
		json_array_append_new(names, json_string(sp->collect[i]));
		len += strlen(sp->collect[i]) + 1;
	}
	if (!names || !(key = calloc(1, len))) {
		json_decref(names);
		return NULL;
	}
	for (size_t i = 0; i < sp->ncollect; i++)
		strcat(strcat(key, i ? "\n" : ""), sp->collect[i]);
	probe_deadline(s, &dl);
	pthread_mutex_lock(&s->mu);
	if (!json_object_get(s->probes, key) && !json_object_get(s->probe_wanted, key)) {
		json_object_del(s->probe_failed, key);
		json_object_set(s->probe_wanted, key, names);
		pthread_cond_broadcast(&s->probe_cv);
	}
	for (;;) {
		if ((v = json_object_get(s->probes, key))) {
			v = json_deep_copy(v);
			break;
		}
		if ((why = json_string_value(json_object_get(s->probe_failed, key))))
			break;
		if (!json_object_get(s->probe_wanted, key)) {
			why = "out of memory";
			break;
		}
		if (!probe_wait(s, &dl)) {
			why = "the probe has not ended yet";
			break;
		}
	}
	if (!v) {
		char reason[600];

		snprintf(reason, sizeof(reason), "not probed: %s", why ? why : "out of memory");
		v = json_array();
		for (size_t i = 0; i < sp->ncollect; i++)
			json_array_append_new(v, json_pack("{s:s,s:s,s:b,s:s}", "name", sp->collect[i],
							   "source", "unknown", "available", 0,
							   "reason", reason));
	}
	pthread_mutex_unlock(&s->mu);
	json_decref(names);
	free(key);
	return v;
}

/* Stops the probe thread (a probe running is killed) and frees the cache. */
static void probe_thread_stop(struct scheduler *s)
{
	pthread_mutex_lock(&s->mu);
	s->probe_stop = 1;
	pthread_cond_broadcast(&s->probe_cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->probe_thread, NULL);
	json_decref(s->probe_list);
	json_decref(s->probes);
	json_decref(s->probe_wanted);
	json_decref(s->probe_failed);
	s->probe_list = s->probes = s->probe_wanted = s->probe_failed = NULL;
	pthread_cond_destroy(&s->probe_cv);
}

struct scheduler *scheduler_start(struct store *st, const struct config *c, char *err, size_t len)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));
	int64_t queued = store_count_queued(st);
	ssize_t n;

	s->st = st;
	s->cfg = c;
	s->tasks.cfg = c;
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
	snprintf(s->tasks.exe, sizeof(s->tasks.exe), "%s", s->exe); /* tasks: always this binary */
	/* tests put a misbehaving worker in its place (tests/daemon/test_pool.sh) */
	if (getenv("SVABENCHD_WORKER_EXEC") && *getenv("SVABENCHD_WORKER_EXEC"))
		snprintf(s->exe, sizeof(s->exe), "%s", getenv("SVABENCHD_WORKER_EXEC"));
	for (int i = 0; i < s->nslots; i++)
		child_init(&s->slots[i].proc, NULL),
		s->slots[i].cur[0] = s->slots[i].cur[1] = -1;
	s->stats.workers_max = s->nslots;
	s->stats.queue_max = c->queue_max;
	s->queued = queued > 0 ? queued : 0;
	s->rate_t0 = now_s();
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->hcv, NULL);
	pthread_cond_init(&s->probe_cv, NULL);
	s->probes = json_object();
	s->probe_wanted = json_object();
	s->probe_failed = json_object();
	if (!s->probes || !s->probe_wanted || !s->probe_failed ||
	    pthread_create(&s->probe_thread, NULL, probe_loop, s)) {
		snprintf(err, len, "scheduler: cannot start its probe thread");
		json_decref(s->probes);
		json_decref(s->probe_wanted);
		json_decref(s->probe_failed);
		goto fail;
	}
	history_requeue(s);
	if (pthread_create(&s->hthread, NULL, history_loop, s)) {
		snprintf(err, len, "scheduler: cannot start its history thread");
		goto fail_probe;
	}
	if (pthread_create(&s->thread, NULL, loop, s)) {
		pthread_mutex_lock(&s->mu);
		s->hstop = 1;
		pthread_cond_signal(&s->hcv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->hthread, NULL);
		snprintf(err, len, "scheduler: cannot start its thread");
		goto fail_probe;
	}
	return s;
fail_probe:
	probe_thread_stop(s);
fail:
	close(s->wake[0]);
	close(s->wake[1]);
	free(s->slots);
	free(s);
	return NULL;
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
	pthread_mutex_lock(&s->mu);
	s->hstop = 1;
	pthread_cond_signal(&s->hcv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->hthread, NULL); /* after what was queued */
	probe_thread_stop(s);
	pthread_cond_destroy(&s->hcv);
	free(s->hqueue);
	close(s->wake[0]);
	close(s->wake[1]);
	pthread_mutex_destroy(&s->mu);
	free(s->kill_ids);
	free(s->slots);
	free(s);
}

/* Reserves room for n runs in the queue; 0, or -1 when it has none. */
static int admit(struct scheduler *s, int64_t n, struct spec_error *e)
{
	int64_t max = s->cfg->queue_max;
	int rc = 0;

	pthread_mutex_lock(&s->mu);
	if (s->queued + n > max) {
		s->stats.submissions_refused++;
		snprintf(e->field, sizeof(e->field), "queue_max");
		snprintf(e->msg, sizeof(e->msg),
			 "the queue is full: %lld runs queued, this experiment adds %lld, "
			 "--queue-max is %lld; retry later", (long long)s->queued, (long long)n,
			 (long long)max);
		rc = -1;
	} else {
		s->queued += n;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int scheduler_submit(struct scheduler *s, const char *text, size_t len, char *id, size_t idlen,
		     struct spec_error *e)
{
	struct spec *sp = spec_parse(text, len, e);
	struct utsname u;
	json_t *host;
	int64_t nruns;
	int rc;

	if (!sp)
		return -1;
	nruns = (int64_t)sp->nruns;
	if (nruns > s->cfg->queue_max) {
		snprintf(e->field, sizeof(e->field), "repetitions");
		snprintf(e->msg, sizeof(e->msg),
			 "the plan has %lld runs, more than --queue-max %d lets wait at once; "
			 "split the experiment", (long long)nruns, s->cfg->queue_max);
		spec_free(sp);
		return -1;
	}
	if (admit(s, nruns, e)) {
		spec_free(sp);
		return SCHED_QUEUE_FULL;
	}
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	host = json_pack("{s:s,s:s,s:s,s:s}", "kernel", u.release, "machine", u.machine,
			 "svabench_version", SVABENCH_VERSION, "svabench_commit", svabench_commit());
	if (host && sp->ncollect)
		json_object_set_new(host, "collectors", probe_for_spec(s, sp));
	{
		char *copy = strndup(text, len); /* the store keeps a C string */

		rc = copy ? store_create_experiment(s->st, sp, copy, host, id, idlen) : STORE_ERR;
		free(copy);
	}
	json_decref(host);
	spec_free(sp);
	if (rc == 0) {
		wake(s);
	} else {
		pthread_mutex_lock(&s->mu);
		s->queued -= nruns;
		pthread_mutex_unlock(&s->mu);
	}
	return rc;
}

int scheduler_retry_after(struct scheduler *s)
{
	double rate, excess;

	pthread_mutex_lock(&s->mu);
	rate = s->rate;
	excess = (double)(s->queued - s->cfg->queue_max / 2);
	pthread_mutex_unlock(&s->mu);
	/* time to drain to half the bound, at least 1 s, at most a minute */
	if (rate < 1.0)
		rate = 1.0;
	excess = ceil(excess / rate);
	return excess < 1 ? 1 : excess > 60 ? 60 : (int)excess;
}

int scheduler_cancel(struct scheduler *s, const char *exp_pub)
{
	int64_t *ids = NULL, queued;
	size_t n = 0;
	int rc = store_cancel_experiment(s->st, exp_pub, &ids, &n);

	if (rc == 0 && (queued = store_count_queued(s->st)) >= 0) {
		pthread_mutex_lock(&s->mu);
		s->queued = queued + s->nready; /* claimed ahead: waiting too */
		pthread_mutex_unlock(&s->mu);
	}
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
	out->queued = s->queued;
	out->history_pending = (int64_t)s->hn + s->hbusy;
	pthread_mutex_unlock(&s->mu);
}
