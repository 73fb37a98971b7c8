/*
 * plot.c - gnuplot as a child process and a cache of what it drew.
 *
 * A render runs /usr/bin/gnuplot with no arguments, a clean environment
 * (HOME points nowhere, so no ~/.gnuplot is read) and only three pipes: the
 * script goes in on stdin, the SVG comes back on stdout, stderr is kept for
 * the error message. run_command (lib/run_command.c) feeds and drains all
 * three in one poll loop, so neither side can block the other, until
 * gnuplot exits or the wall-clock timeout kills it; either way its process
 * group goes with it, so nothing it started is left. A bounded number render at once; others wait for a slot up to a
 * limit and are then turned away. Any stderr output or a non-zero exit is a
 * failure with gnuplot's first error line, never a half-drawn image.
 *
 * The cache is content-addressed: the key is the SHA-256 of the whole
 * script, datablocks included. In memory (the daemon's: a GET writes no
 * file), the least recently used entries go beyond the limits. On disk,
 * the file is dir/<key>.svg, written to a temporary name and renamed so a
 * reader never sees half of it; a hit refreshes the file's mtime; the least
 * recently used files beyond the limit are removed now and then. Two
 * requests for the same script while it renders share one render.
 */
#define _GNU_SOURCE
#include "plot.h"
#include "../lib/run_command.h"
#include "../lib/logger.h"
#include "../lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STDERR_KEEP 8192
#define PRUNE_EVERY 64          /* cache writes between two looks at the dir */

/* ---- SHA-256: nettle's (Debian's nettle-dev), not one of our own ---- */

void plot_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

void plot_sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[32];

	plot_sha256(data, len, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

/* ---- the plotter ---- */

/* A script being rendered; later requests for it wait instead of rendering. */
struct inflight {
	char hash[65];
	struct inflight *next;
};

/* An SVG of the memory cache. */
struct mem_entry {
	struct mem_entry *next;
	char hash[65];
	char *svg;
	size_t len;
	uint64_t used;              /* tick of the last hit or insert */
};

struct plotter {
	char dir[4096];
	int memory;                 /* the cache is mem, not dir */
	struct mem_entry *mem;
	size_t mem_n, mem_bytes;
	uint64_t tick;
	struct plot_limits lim;
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* a slot freed or a render finished */
	int busy;                   /* renders running */
	struct inflight *inflight;
	uint64_t renders, writes;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct plotter *plotter_new(const char *dir, const struct plot_limits *lim, char *err,
			    size_t elen)
{
	struct plotter *p;
	pthread_condattr_t ca;

	if (dir && strlen(dir) + 100 > sizeof(p->dir)) {
		snprintf(err, elen, "plot cache dir too long: %.100s...", dir);
		return NULL;
	}
	if (dir && mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, elen, "cannot create %s: %s", dir, strerror(errno));
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "%s", dir ? dir : "");
	p->memory = !dir;
	if (lim)
		p->lim = *lim;
	if (p->lim.timeout_ms <= 0)
		p->lim.timeout_ms = PLOT_TIMEOUT_MS;
	if (p->lim.renders_max <= 0)
		p->lim.renders_max = PLOT_RENDERS_MAX;
	if (p->lim.wait_ms <= 0)
		p->lim.wait_ms = PLOT_WAIT_MS;
	if (p->lim.cache_files <= 0)
		p->lim.cache_files = PLOT_CACHE_FILES;
	if (!p->lim.gnuplot)
		p->lim.gnuplot = PLOT_GNUPLOT;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	return p;
}

void plotter_free(struct plotter *p)
{
	if (!p)
		return;
	while (p->mem) {
		struct mem_entry *e = p->mem;

		p->mem = e->next;
		free(e->svg);
		free(e);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

uint64_t plotter_renders(struct plotter *p)
{
	uint64_t n;

	pthread_mutex_lock(&p->mu);
	n = p->renders;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* Waits on the condition until deadline (monotonic ms); 0 on timeout. */
static int wait_until(struct plotter *p, int64_t deadline)
{
	struct timespec ts;
	int64_t left = deadline - now_ms();

	if (left <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_cond_timedwait(&p->cv, &p->mu, &ts) != ETIMEDOUT || now_ms() < deadline;
}

static struct inflight *inflight_find(struct plotter *p, const char *hash)
{
	for (struct inflight *f = p->inflight; f; f = f->next)
		if (!strcmp(f->hash, hash))
			return f;
	return NULL;
}

/* ---- the memory cache ---- */

/* A copy of hash's SVG (malloc'd) and the entry marked used; NULL when absent. */
static char *mem_get(struct plotter *p, const char *hash, size_t *len)
{
	char *copy = NULL;

	pthread_mutex_lock(&p->mu);
	for (struct mem_entry *e = p->mem; e; e = e->next) {
		if (strcmp(e->hash, hash))
			continue;
		copy = malloc(e->len + 1);
		if (copy) {
			memcpy(copy, e->svg, e->len + 1);
			*len = e->len;
			e->used = ++p->tick;
		}
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return copy;
}

/* Keeps a copy of svg under hash; the least recently used go beyond the limits. */
static void mem_put(struct plotter *p, const char *hash, const char *svg, size_t len)
{
	struct mem_entry *e = malloc(sizeof(*e));

	if (!e || len > PLOT_CACHE_BYTES / 4 || !(e->svg = malloc(len + 1))) {
		free(e);
		return; /* not cached: the next request renders again */
	}
	memcpy(e->svg, svg, len);
	e->svg[len] = '\0';
	e->len = len;
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	pthread_mutex_lock(&p->mu);
	e->used = ++p->tick;
	e->next = p->mem;
	p->mem = e;
	p->mem_n++;
	p->mem_bytes += len;
	while (p->mem_n > (size_t)p->lim.cache_files || p->mem_bytes > PLOT_CACHE_BYTES) {
		struct mem_entry **old = NULL;

		for (struct mem_entry **x = &p->mem; *x; x = &(*x)->next)
			if (!old || (*x)->used < (*old)->used)
				old = x;
		if (!old || *old == e)
			break;
		{
			struct mem_entry *gone = *old;

			*old = gone->next;
			p->mem_n--;
			p->mem_bytes -= gone->len;
			free(gone->svg);
			free(gone);
		}
	}
	pthread_mutex_unlock(&p->mu);
}

/* ---- the cache's files ---- */

/* The cached SVG at path (malloc'd, *len bytes); NULL when missing, empty or unreadable. */
static char *read_svg(const char *path, size_t *len)
{
	char *buf = read_file(path, PLOT_SVG_MAX, len);

	if (buf && !*len) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* Writes buf to path by a temporary file and a rename; 0 or -1. */
static int write_atomic(const char *dir, const char *path, const char *buf, size_t len)
{
	static unsigned seq;
	char tmp[4096 + 512];
	size_t done = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%u", dir, (long)getpid(),
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (close(fd) || done != len || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct cached_file {
	char name[80];
	time_t mtime;
};

static int by_mtime(const void *a, const void *b)
{
	const struct cached_file *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/*
 * Keeps the cache under its limit: the oldest (least recently served)
 * SVGs beyond it go, down to 90 % of it, and temporary files an hour old
 * (left by a crash) too.
 */
static void prune(struct plotter *p)
{
	DIR *d = opendir(p->dir);
	struct cached_file *files = NULL;
	size_t n = 0, cap = 0, keep = (size_t)p->lim.cache_files * 9 / 10;
	struct dirent *e;
	time_t now = time(NULL);
	char path[4096 + 512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		size_t nl = strlen(e->d_name);

		if (nl >= sizeof(files->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!strncmp(e->d_name, ".tmp-", 5)) {
			if (now - st.st_mtime > 3600)
				unlink(path);
			continue;
		}
		if (nl < 4 || strcmp(e->d_name + nl - 4, ".svg"))
			continue;
		if (n == cap) {
			struct cached_file *f = realloc(files, (cap ? cap * 2 : 256) * sizeof(*f));

			if (!f)
				break;
			files = f;
			cap = cap ? cap * 2 : 256;
		}
		memcpy(files[n].name, e->d_name, nl + 1);
		files[n++].mtime = st.st_mtime;
	}
	closedir(d);
	if (n > (size_t)p->lim.cache_files) {
		qsort(files, n, sizeof(*files), by_mtime);
		for (size_t i = 0; i < n - keep; i++) {
			snprintf(path, sizeof(path), "%s/%s", p->dir, files[i].name);
			unlink(path);
		}
	}
	free(files);
}

/* ---- running gnuplot ---- */

/*
 * gnuplot's first error: the first "line N: ..." that is not a warning (N
 * is 0 for a script on stdin, so it is left out) with the command gnuplot
 * echoed before it, or else the first line it wrote.
 */
static void first_error(const char *text, char *msg, size_t mlen)
{
	const char *pick = NULL, *any = NULL, *cmd = NULL, *s = text;
	size_t plen = 0, alen = 0, clen = 0;

	while (*s && !pick) {
		const char *e = strchr(s, '\n'), *b = s;
		size_t n;

		if (!e)
			e = s + strlen(s);
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		n = (size_t)(e - b);
		if (n > 9 && !strncmp(b, "gnuplot> ", 9)) {
			cmd = b + 9;
			clen = n - 9;
		} else if (n > 5 && !strncmp(b, "line ", 5) && !memmem(b, n, "warning:", 8)) {
			const char *colon = memchr(b, ':', n);

			pick = colon && colon + 2 <= e ? colon + 2 : b;
			plen = (size_t)(e - pick);
		} else if (n && !any && b[0] != '^') {
			any = b;
			alen = n;
		}
		s = *e ? e + 1 : e;
	}
	if (!pick) {
		pick = any;
		plen = alen;
	}
	if (!pick)
		snprintf(msg, mlen, "gnuplot failed without a message");
	else if (cmd)
		snprintf(msg, mlen, "gnuplot: %.*s, at '%.*s'", (int)(plen < 300 ? plen : 300), pick,
			 (int)(clen < 120 ? clen : 120), cmd);
	else
		snprintf(msg, mlen, "gnuplot: %.*s", (int)(plen < 400 ? plen : 400), pick);
}

/* Whether buf is one whole SVG document (an XML declaration or <svg> to </svg>). */
static int whole_svg(const char *buf, size_t len)
{
	size_t b = 0;

	while (b < len && (buf[b] == ' ' || buf[b] == '\n' || buf[b] == '\r' || buf[b] == '\t'))
		b++;
	while (len > b && (buf[len - 1] == ' ' || buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
			   buf[len - 1] == '\t'))
		len--;
	if (len - b < 11 || (strncmp(buf + b, "<?xml", 5) && strncmp(buf + b, "<svg", 4)))
		return 0;
	/* one document: a second one in the stream would make the first malformed */
	return !memcmp(buf + len - 6, "</svg>", 6) && memmem(buf, len, "</svg>", 6) == buf + len - 6;
}

/* Runs gnuplot on script; the SVG in out->svg or a message in out->msg. */
static int run_gnuplot(struct plotter *p, const char *script, size_t len, struct plot_out *out)
{
	static const char *const argv[] = {"gnuplot", NULL};
	static const char *const envp[] = {"PATH=/usr/bin:/bin", "HOME=/nonexistent",
					   "LC_ALL=C.UTF-8", "GNUTERM=svg", NULL};
	struct child c;
	struct run_io io = {.in = script, .in_len = len, .out_max = PLOT_SVG_MAX,
			    .err_max = STDERR_KEEP, .timeout_ms = p->lim.timeout_ms};
	int rc = PLOT_ERROR;

	child_init(&c, argv);
	c.path = p->lim.gnuplot;
	c.env = envp;
	c.in = c.out = c.err = CHILD_PIPE;
	run_command(&c, &io);
	if (!io.started) {
		snprintf(out->msg, sizeof(out->msg), "%s", io.error);
		return PLOT_ERROR;
	}
	pthread_mutex_lock(&p->mu);
	p->renders++;
	pthread_mutex_unlock(&p->mu);
	if (io.timed_out) {
		rc = PLOT_TIMEOUT;
		snprintf(out->msg, sizeof(out->msg), "gnuplot took longer than %d ms and was stopped",
			 p->lim.timeout_ms);
	} else if (io.error[0]) {
		snprintf(out->msg, sizeof(out->msg), "reading gnuplot's output failed: %s", io.error);
	} else if (io.err_len || io.err_over) {
		rc = PLOT_FAILED;
		first_error(io.errout ? io.errout : "", out->msg, sizeof(out->msg));
	} else if (!io.exited || io.status) {
		rc = PLOT_FAILED;
		if (io.signal)
			snprintf(out->msg, sizeof(out->msg), "gnuplot was killed by signal %d",
				 io.signal);
		else
			snprintf(out->msg, sizeof(out->msg), "gnuplot exited with status %d",
				 io.status);
	} else if (io.out_over) {
		rc = PLOT_FAILED;
		snprintf(out->msg, sizeof(out->msg), "gnuplot's SVG is larger than %u bytes",
			 PLOT_SVG_MAX);
	} else if (!io.out || !whole_svg(io.out, io.out_len)) {
		rc = PLOT_FAILED;
		snprintf(out->msg, sizeof(out->msg), "gnuplot wrote no whole SVG document (%zu bytes)",
			 io.out_len);
	} else {
		rc = PLOT_OK;
		out->svg = io.out;
		out->len = io.out_len;
		io.out = NULL;
	}
	run_io_free(&io);
	return rc;
}

int plot_cached(struct plotter *p, const char *hash, struct plot_out *out)
{
	char path[4096 + 512];

	memset(out, 0, sizeof(out[0]));
	if (strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64)
		return PLOT_ERROR;
	snprintf(out->hash, sizeof(out->hash), "%s", hash);
	if (p->memory) {
		out->svg = mem_get(p, hash, &out->len);
		out->cached = 1;
		return out->svg ? PLOT_OK : PLOT_ERROR;
	}
	snprintf(path, sizeof(path), "%s/%s.svg", p->dir, hash);
	if (!(out->svg = read_svg(path, &out->len)))
		return PLOT_ERROR;
	out->cached = 1;
	utimensat(AT_FDCWD, path, NULL, 0);
	return PLOT_OK;
}

int plot_render(struct plotter *p, const char *script, size_t len, struct plot_out *out)
{
	char path[4096 + 512];
	struct inflight me;
	int64_t deadline = now_ms() + p->lim.wait_ms;
	int rc, prune_now = 0;

	memset(out, 0, sizeof(*out));
	plot_sha256_hex(script, len, out->hash);
	snprintf(path, sizeof(path), "%s/%s.svg", p->dir, out->hash);

	for (;;) {
		int waited = 0;

		if (p->memory && (out->svg = mem_get(p, out->hash, &out->len))) {
			out->cached = 1;
			return PLOT_OK;
		}
		/* renames are atomic: a file there is whole */
		if (!p->memory && (out->svg = read_svg(path, &out->len))) {
			out->cached = 1;
			utimensat(AT_FDCWD, path, NULL, 0);   /* most recently used */
			return PLOT_OK;
		}
		pthread_mutex_lock(&p->mu);
		while (inflight_find(p, out->hash) || (!waited && p->busy >= p->lim.renders_max)) {
			if (!wait_until(p, deadline)) {
				pthread_mutex_unlock(&p->mu);
				snprintf(out->msg, sizeof(out->msg),
					 "%d plots are rendering; none finished within %d ms",
					 p->lim.renders_max, p->lim.wait_ms);
				return PLOT_BUSY;
			}
			waited = 1;
		}
		if (!waited)
			break;          /* a slot is free, and nobody drew this meanwhile */
		pthread_mutex_unlock(&p->mu);   /* look at the cache again first */
	}
	p->busy++;
	snprintf(me.hash, sizeof(me.hash), "%s", out->hash);
	me.next = p->inflight;
	p->inflight = &me;
	pthread_mutex_unlock(&p->mu);

	rc = run_gnuplot(p, script, len, out);
	if (rc == PLOT_OK && p->memory)
		mem_put(p, out->hash, out->svg, out->len);
	else if (rc == PLOT_OK && write_atomic(p->dir, path, out->svg, out->len))
		log_error("plots: cannot cache %s: %s", path, strerror(errno));

	pthread_mutex_lock(&p->mu);
	for (struct inflight **f = &p->inflight; *f; f = &(*f)->next) {
		if (*f == &me) {
			*f = me.next;
			break;
		}
	}
	p->busy--;
	if (rc == PLOT_OK && !p->memory && ++p->writes % PRUNE_EVERY == 1)
		prune_now = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (prune_now)
		prune(p);
	return rc;
}
