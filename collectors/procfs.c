/*
 * procfs.c - the procfs source: "vmstat:NAME" is the change of NAME in
 * /proc/vmstat since start; "interrupts:WHAT" the change of the sum, over
 * every CPU, of the /proc/interrupts lines whose description contains WHAT
 * ("interrupts:smmu" matches the arm-smmu-v3 evtq/gerror/priq/cmdq-sync
 * and PMCG lines). Both count the whole machine whatever the set's pid.
 *
 * Like a perf counter, a procfs counter runs between start and stop only:
 * value and elapsed time (its enabled_ns = running_ns) add up over every
 * start..stop span. The files stay open and are re-read from offset 0.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

enum { PROC_VMSTAT, PROC_INTERRUPTS };

struct procfs_counter {
	size_t idx;                     /* the set's event number */
	int file;                       /* PROC_VMSTAT or PROC_INTERRUPTS */
	char key[COLLECTOR_NAME_MAX];   /* vmstat name, or lowercase text to find */
	uint64_t base;                  /* the reading at the last start */
	uint64_t acc;                   /* deltas of finished start..stop spans */
	uint64_t now;                   /* the last reading */
};

struct procfs {
	char root[PATH_MAX];
	int fd[2];                      /* vmstat, interrupts; -1 until used */
	char *buf;                      /* the last file read */
	size_t cap;
	struct procfs_counter *c;
	size_t n, cap_c;
	int running;
	uint64_t t0, acc_ns;            /* start time, elapsed of finished spans */
};

static const char *const files[] = { "vmstat", "interrupts" };

int procfs_name(const char *name)
{
	return strncmp(name, "vmstat:", 7) == 0 || strncmp(name, "interrupts:", 11) == 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct procfs *procfs_new(const char *procfs_root)
{
	struct procfs *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	cl_path(ps->root, sizeof(ps->root), procfs_root && procfs_root[0] ? procfs_root : "/proc",
		"");
	ps->fd[0] = ps->fd[1] = -1;
	return ps;
}

void procfs_free(struct procfs *ps)
{
	if (!ps)
		return;
	if (ps->fd[0] >= 0)
		close(ps->fd[0]);
	if (ps->fd[1] >= 0)
		close(ps->fd[1]);
	free(ps->buf);
	free(ps->c);
	free(ps);
}

/* Reads file f whole into ps->buf (NUL-terminated): 0, or -1 with errno. */
static int slurp(struct procfs *ps, int f)
{
	char path[PATH_MAX], *nb;
	size_t len = 0;
	ssize_t r;

	if (ps->fd[f] < 0) {
		cl_path(path, sizeof(path), ps->root, files[f]);
		ps->fd[f] = open(path, O_RDONLY | O_CLOEXEC);
		if (ps->fd[f] < 0)
			return -1;
	}
	if (lseek(ps->fd[f], 0, SEEK_SET) < 0)
		return -1;
	for (;;) {
		if (len + 1 >= ps->cap) {
			nb = realloc(ps->buf, ps->cap ? ps->cap * 2 : 8192);
			if (!nb) {
				errno = ENOMEM;
				return -1;
			}
			ps->buf = nb;
			ps->cap = ps->cap ? ps->cap * 2 : 8192;
		}
		r = read(ps->fd[f], ps->buf + len, ps->cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	ps->buf[len] = '\0';
	return 0;
}

/* The value of `key` in vmstat text: 0, or -1 when absent. */
static int vmstat_value(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (*line) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*v = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
		line = strchr(line, '\n');
		if (!line)
			break;
		line++;
	}
	return -1;
}

/* 1 when the lowercase needle occurs in s[0..len) ignoring case. */
static int contains(const char *s, size_t len, const char *needle)
{
	size_t nl = strlen(needle), i, j;

	for (i = 0; i + nl <= len; i++) {
		for (j = 0; j < nl && tolower((unsigned char)s[i + j]) == needle[j]; j++)
			;
		if (j == nl)
			return 1;
	}
	return 0;
}

/*
 * Sums, over every CPU column, the interrupts lines whose description (the
 * text after the counts) contains needle; how many lines matched.
 */
static int interrupts_sum(const char *text, const char *needle, uint64_t *sum)
{
	const char *line = text, *p, *eol;
	int ncpu = 0, i, matched = 0;
	uint64_t s, v;
	char *end;

	*sum = 0;
	eol = strchr(line, '\n');
	if (!eol)
		return 0;
	for (p = line; p < eol; p++)  /* the header: CPU0 CPU1 ... */
		if (p[0] == 'C' && p[1] == 'P' && p[2] == 'U')
			ncpu++;
	for (line = eol + 1; *line; line = *eol ? eol + 1 : eol) {
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		p = memchr(line, ':', (size_t)(eol - line));
		if (!p)
			continue;
		p++;
		s = 0;
		for (i = 0; i < ncpu; i++) {
			v = strtoull(p, &end, 10);
			if (end == p || end > eol)
				break;
			s += v;
			p = end;
		}
		if (contains(p, (size_t)(eol - p), needle)) {
			*sum += s;
			matched++;
		}
	}
	return matched;
}

/* Reads counter k's current value from ps->buf (the file it reads, already loaded). */
static int counter_value(const struct procfs_counter *k, const char *text, uint64_t *v)
{
	if (k->file == PROC_VMSTAT)
		return vmstat_value(text, k->key, v);
	return interrupts_sum(text, k->key, v) > 0 ? 0 : -1;
}

int procfs_add(struct procfs *ps, size_t idx, const char *name, char *reason, size_t rlen)
{
	struct procfs_counter *k, *nc;
	char path[PATH_MAX];
	const char *what;
	size_t i;

	if (ps->n == ps->cap_c) {
		nc = realloc(ps->c, (ps->cap_c ? ps->cap_c * 2 : 4) * sizeof(*nc));
		if (!nc)
			return -2;
		ps->c = nc;
		ps->cap_c = ps->cap_c ? ps->cap_c * 2 : 4;
	}
	k = &ps->c[ps->n];
	memset(k, 0, sizeof(*k));
	k->idx = idx;
	k->file = strncmp(name, "vmstat:", 7) == 0 ? PROC_VMSTAT : PROC_INTERRUPTS;
	what = strchr(name, ':') + 1;
	if (!*what || strlen(what) >= sizeof(k->key)) {
		cl_reason(reason, rlen, "'%s' names no counter (vmstat:NAME, interrupts:WHAT)", name);
		return -1;
	}
	for (i = 0; what[i]; i++)
		k->key[i] = k->file == PROC_VMSTAT ? what[i] : (char)tolower((unsigned char)what[i]);
	cl_path(path, sizeof(path), ps->root, files[k->file]);
	if (slurp(ps, k->file) < 0) {
		cl_reason(reason, rlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (counter_value(k, ps->buf, &k->now) < 0) {
		if (k->file == PROC_VMSTAT)
			cl_reason(reason, rlen, "no counter '%s' in %s%s", k->key, path,
				  strncmp(k->key, "nr_tlb_", 7) == 0 ?
				  " (the kernel keeps TLB flush counts with CONFIG_DEBUG_TLBFLUSH only)" : "");
		else if (strcmp(k->key, "smmu") == 0)
			cl_reason(reason, rlen, "no SMMU interrupt lines in %s", path);
		else
			cl_reason(reason, rlen, "no interrupt lines matching '%s' in %s", what, path);
		return -1;
	}
	ps->n++;
	return 0;
}

/* Re-reads every counter into now: 0, or -1 when a file could not be read. */
static int sample(struct procfs *ps)
{
	int f, rc = 0, need;
	size_t i;

	for (f = PROC_VMSTAT; f <= PROC_INTERRUPTS; f++) {
		for (i = 0, need = 0; i < ps->n; i++)
			need |= ps->c[i].file == f;
		if (!need)
			continue;
		if (slurp(ps, f) < 0) {
			rc = -1;
			continue;
		}
		for (i = 0; i < ps->n; i++)
			if (ps->c[i].file == f)
				(void)counter_value(&ps->c[i], ps->buf, &ps->c[i].now);
	}
	return rc;
}

void procfs_start(struct procfs *ps)
{
	size_t i;

	if (ps->running || ps->n == 0)
		return;
	sample(ps);
	for (i = 0; i < ps->n; i++)
		ps->c[i].base = ps->c[i].now;
	ps->t0 = now_ns();
	ps->running = 1;
}

/* The delta of a running counter; counters never go back, a wrapped one counts 0. */
static uint64_t delta(const struct procfs_counter *k)
{
	return k->now >= k->base ? k->now - k->base : 0;
}

void procfs_stop(struct procfs *ps)
{
	size_t i;

	if (!ps->running)
		return;
	sample(ps);
	for (i = 0; i < ps->n; i++)
		ps->c[i].acc += delta(&ps->c[i]);
	ps->acc_ns += now_ns() - ps->t0;
	ps->running = 0;
}

int procfs_read(struct procfs *ps, struct collector_event *ev)
{
	uint64_t elapsed = ps->acc_ns;
	int rc = 0;
	size_t i;

	if (ps->n == 0)
		return 0;
	if (ps->running) {
		rc = sample(ps);
		elapsed += now_ns() - ps->t0;
	}
	for (i = 0; i < ps->n; i++) {
		ev[ps->c[i].idx].value = ps->c[i].acc + (ps->running ? delta(&ps->c[i]) : 0);
		ev[ps->c[i].idx].enabled_ns = elapsed;
		ev[ps->c[i].idx].running_ns = elapsed;
	}
	return rc;
}

void procfs_list(struct cl_list *l, const char *procfs_root)
{
	/* what an SVA run moves: faults, TLB shootdowns, THP, migration */
	static const char *const names[] = {
		"vmstat:pgfault", "vmstat:pgmajfault", "vmstat:nr_tlb_remote_flush",
		"vmstat:nr_tlb_remote_flush_received", "vmstat:nr_tlb_local_flush_all",
		"vmstat:nr_tlb_local_flush_one", "vmstat:thp_fault_alloc",
		"vmstat:pgmigrate_success", "vmstat:numa_pte_updates", "interrupts:smmu",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cl_list_probe(l, names[i], 0, "", procfs_root);
}
