/*
 * pmcg.c - the SMMUv3 PMCG source (drivers/perf/arm_smmuv3_pmu.c): discovers
 * <root>/sys/bus/event_source/devices/smmuv3_pmcg_*, reads `type`,
 * `cpumask`, format/ and events/, and encodes
 * "PMU/event[,filter_enable=1][,filter_span=0|1][,filter_stream_id=N]/"
 * as perf would.
 *
 * The driver shows only the architected events SMMU_PMCG_CEID0/1 advertise;
 * an architected one it does not show is refused here with that reason
 * rather than opened to count nothing. IMP-DEF codes (event=0x80 and up)
 * pass through, as the driver lets them. PMCG events are not attributable
 * to a CPU: they count system-wide only, on the CPU of `cpumask`.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

#define DEVICES "/sys/bus/event_source/devices"
#define PREFIX "smmuv3_pmcg_"

/* SMMU_EVENT_ATTR in the driver: the architected event codes. */
static const char *const architected[] = {
	"cycles", "transaction", "tlb_miss", "config_cache_miss",
	"trans_table_walk_access", "config_struct_access", "pcie_ats_trans_rq",
	"pcie_ats_trans_passed",
};

#define NARCH (sizeof(architected) / sizeof(architected[0]))

int pmcg_name(const char *name)
{
	return strchr(name, '/') != NULL;
}

/*
 * Parses a format file ("config:0-15", "config1:32"): which config word
 * (0, 1, 2) and the bit range. -1 when the text is not one contiguous range.
 */
static int parse_format(const char *s, int *word, int *lo, int *hi)
{
	char *end;
	long a, b;

	if (strncmp(s, "config", 6) != 0)
		return -1;
	s += 6;
	if (*s == ':')
		*word = 0;
	else if ((s[0] == '1' || s[0] == '2') && s[1] == ':')
		*word = *s++ - '0';
	else
		return -1;
	s++;
	a = strtol(s, &end, 10);
	if (end == s || a < 0 || a > 63)
		return -1;
	b = a;
	if (*end == '-') {
		s = end + 1;
		b = strtol(s, &end, 10);
		if (end == s || b < a || b > 63)
			return -1;
	}
	if (*end)
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* Reads format/<field>; the range when it sits in config word `want`, else -1s. */
static void read_format(const char *dir, const char *field, int want, int *lo, int *hi)
{
	char path[PATH_MAX], buf[64];
	int word;

	*lo = *hi = -1;
	cl_path(path, sizeof(path), dir, field);
	if (cl_read_file(path, buf, sizeof(buf)) < 0 || parse_format(buf, &word, lo, hi) < 0 ||
	    word != want)
		*lo = *hi = -1;
}

/* "event=0x01" (other terms ignored): the code, or -1. */
static long parse_event(const char *s)
{
	const char *p = strstr(s, "event=");
	unsigned long v;
	char *end;

	if (!p || (p != s && p[-1] != ','))
		return -1;
	errno = 0;
	v = strtoul(p + 6, &end, 0);
	if (errno || end == p + 6 || (*end && *end != ',') || v > 0xffffffffUL)
		return -1;
	return (long)v;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct pmcg_pmu *)a)->name, ((const struct pmcg_pmu *)b)->name);
}

/* Fills p's events from <dir>/events, sorted by code: 0, -1 on OOM. */
static int read_events(struct pmcg_pmu *p, const char *dir)
{
	char evdir[PATH_MAX], path[PATH_MAX], buf[128], *name;
	size_t cap = 0, i, j;
	struct dirent *d;
	void *np;
	long code;
	DIR *dp;

	cl_path(evdir, sizeof(evdir), dir, "events");
	dp = opendir(evdir);
	if (!dp)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		cl_path(path, sizeof(path), evdir, d->d_name);
		if (cl_read_file(path, buf, sizeof(buf)) < 0 || (code = parse_event(buf)) < 0)
			continue;
		if (p->nevents == cap) {
			cap = cap ? cap * 2 : 8;
			np = realloc(p->events, cap * sizeof(*p->events));
			if (!np)
				goto oom;
			p->events = np;
			np = realloc(p->codes, cap * sizeof(*p->codes));
			if (!np)
				goto oom;
			p->codes = np;
		}
		name = strdup(d->d_name);
		if (!name)
			goto oom;
		/* insertion by code keeps the list in the driver's order */
		for (i = p->nevents; i > 0 && p->codes[i - 1] > (uint32_t)code; i--)
			;
		for (j = p->nevents; j > i; j--) {
			p->events[j] = p->events[j - 1];
			p->codes[j] = p->codes[j - 1];
		}
		p->events[i] = name;
		p->codes[i] = (uint32_t)code;
		p->nevents++;
	}
	closedir(dp);
	return 0;
oom:
	closedir(dp);
	return -1;
}

struct pmcg_pmu *pmcg_discover(const char *sysfs_root, size_t *n)
{
	char devs[PATH_MAX], dir[PATH_MAX], fmt[PATH_MAX], path[PATH_MAX], buf[256];
	struct pmcg_pmu *v = NULL, *p;
	size_t cap = 0;
	struct dirent *d;
	int cpus[1], hi;
	DIR *dp;

	*n = 0;
	cl_path(devs, sizeof(devs), sysfs_root, DEVICES);
	dp = opendir(devs);
	if (!dp)
		return NULL;
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, PREFIX, strlen(PREFIX)) != 0 ||
		    strlen(d->d_name) >= sizeof(v->name))
			continue;
		cl_path(dir, sizeof(dir), devs, d->d_name);
		cl_path(path, sizeof(path), dir, "type");
		if (cl_read_file(path, buf, sizeof(buf)) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			p = realloc(v, cap * sizeof(*v));
			if (!p)
				break;
			v = p;
		}
		p = &v[*n];
		memset(p, 0, sizeof(*p));
		strcpy(p->name, d->d_name);
		p->type = atoi(buf);
		cl_path(path, sizeof(path), dir, "cpumask");
		p->cpu = 0;  /* the driver picks a CPU; 0 when cpumask is unreadable */
		if (cl_read_file(path, buf, sizeof(buf)) >= 0 && cl_cpulist(buf, cpus, 1) >= 1)
			p->cpu = cpus[0];
		cl_path(fmt, sizeof(fmt), dir, "format");
		read_format(fmt, "event", 0, &p->ev_lo, &p->ev_hi);
		read_format(fmt, "filter_stream_id", 1, &p->sid_lo, &p->sid_hi);
		read_format(fmt, "filter_span", 1, &p->span_bit, &hi);
		if (hi != p->span_bit)  /* one bit, or absent */
			p->span_bit = -1;
		read_format(fmt, "filter_enable", 1, &p->enable_bit, &hi);
		if (hi != p->enable_bit)
			p->enable_bit = -1;
		(*n)++;
		if (read_events(p, dir) < 0)
			break;
	}
	closedir(dp);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_name);
	return v;
}

void pmcg_free(struct pmcg_pmu *p, size_t n)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < p[i].nevents; j++)
			free(p[i].events[j]);
		free(p[i].events);
		free(p[i].codes);
	}
	free(p);
}

/* Lists names[] into reason after its current text, cut with "..." when full. */
static void append_list(char *reason, size_t rlen, char *const *names, size_t n)
{
	size_t i, used;

	for (i = 0; i < n; i++) {
		used = strlen(reason);
		if (used + strlen(names[i]) + 6 >= rlen) {
			cl_reason(reason + used, rlen - used, " ...");
			return;
		}
		cl_reason(reason + used, rlen - used, "%s%s", i ? ", " : "", names[i]);
	}
	if (n == 0)
		cl_reason(reason + strlen(reason), rlen - strlen(reason), "none");
}

/* Places value in bits lo..hi of *word: 0, or -1 when it does not fit (or the field is absent). */
static int place(uint64_t *word, uint64_t value, int lo, int hi)
{
	int width = hi - lo + 1;
	uint64_t max;

	if (lo < 0 || hi < lo)
		return -1;
	max = width >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << width) - 1;
	if (value > max)
		return -1;
	*word |= value << lo;
	return 0;
}

static const char *field_text(char *buf, size_t len, const char *word, int lo, int hi)
{
	if (lo < 0)
		cl_reason(buf, len, "absent from format/");
	else if (lo == hi)
		cl_reason(buf, len, "%s:%d", word, lo);
	else
		cl_reason(buf, len, "%s:%d-%d, %d bits", word, lo, hi, hi - lo + 1);
	return buf;
}

/* 1 when p's events/ shows code. */
static int advertised(const struct pmcg_pmu *p, uint64_t code)
{
	size_t i;

	for (i = 0; i < p->nevents; i++)
		if (p->codes[i] == code)
			return 1;
	return 0;
}

/* The code of the event named ev: 0, or -1 with the reason. */
static int event_code(const struct pmcg_pmu *p, const char *ev, uint64_t *code, char *reason,
		      size_t rlen)
{
	size_t i;

	for (i = 0; i < p->nevents; i++) {
		if (strcmp(p->events[i], ev) == 0) {
			*code = p->codes[i];
			return 0;
		}
	}
	for (i = 0; i < NARCH; i++) {
		if (strcmp(architected[i], ev) == 0) {
			cl_reason(reason, rlen,
				  "%s/%s/ (event=0x%02zx) is architected but not advertised by this "
				  "SMMU (its SMMU_PMCG_CEID lacks it); advertised: ", p->name, ev, i);
			append_list(reason, rlen, p->events, p->nevents);
			return -1;
		}
	}
	cl_reason(reason, rlen, "unknown event '%s' for %s; advertised: ", ev, p->name);
	append_list(reason, rlen, p->events, p->nevents);
	return -1;
}

/* A raw event=N term: 0, or -1 when it is an architected ID the CEID does not advertise. */
static int raw_code(const struct pmcg_pmu *p, uint64_t val, char *reason, size_t rlen)
{
	uint64_t code;

	/* the driver checks IDs below 128 against CEID; IMP-DEF ones pass */
	if (val >= 0x80 || advertised(p, val))
		return 0;
	if (val < NARCH)
		return event_code(p, architected[val], &code, reason, rlen);
	cl_reason(reason, rlen, "event=0x%02llx is not advertised by %s (its SMMU_PMCG_CEID lacks it)",
		  (unsigned long long)val, p->name);
	return -1;
}

/* Finds the PMU named name, or writes the reason it is unknown. */
static const struct pmcg_pmu *find_pmu(const struct pmcg_pmu *p, size_t n, const char *name,
				       char *reason, size_t rlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].name, name) == 0)
			return &p[i];
	if (strncmp(name, PREFIX, strlen(PREFIX)) != 0) {
		cl_reason(reason, rlen,
			  "unknown PMU '%s': PMU/event/ names are read for " PREFIX "* PMUs only; "
			  "name other events as libpfm4 does (pfm's showevtinfo)", name);
		return NULL;
	}
	cl_reason(reason, rlen, "unknown PMU '%s' (SMMUv3 PMCGs here: ", name);
	for (i = 0; i < n && strlen(reason) + strlen(p[i].name) + 8 < rlen; i++)
		cl_reason(reason + strlen(reason), rlen - strlen(reason), "%s%s", i ? ", " : "",
			  p[i].name);
	cl_reason(reason + strlen(reason), rlen - strlen(reason), "%s)",
		  n == 0 ? "none" : i < n ? ", ..." : "");
	return NULL;
}

int pmcg_encode(const struct pmcg_pmu *p, size_t n, const char *spec, uint32_t *type,
		uint64_t *config, uint64_t *config1, int *cpu, char *reason, size_t rlen)
{
	char buf[COLLECTOR_NAME_MAX + 1], fbuf[48], *terms, *term, *save, *eq, *end, *slash;
	uint64_t val, code = 0, sid = 0, span = 0, enable = 0, c0 = 0, c1 = 0;
	int have_code = 0, have_sid = 0, have_span = 0, have_enable = 0;
	const struct pmcg_pmu *pmu;

	if (strlen(spec) >= sizeof(buf)) {
		cl_reason(reason, rlen, "event name too long");
		return -1;
	}
	strcpy(buf, spec);
	slash = strchr(buf, '/');
	if (!slash) {
		cl_reason(reason, rlen, "'%s' is not PMU/event/", spec);
		return -1;
	}
	*slash = '\0';
	terms = slash + 1;
	end = terms + strlen(terms);
	if (end > terms && end[-1] == '/')
		end[-1] = '\0';
	pmu = find_pmu(p, n, buf, reason, rlen);
	if (!pmu)
		return -1;
	for (term = strtok_r(terms, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		eq = strchr(term, '=');
		val = 1;  /* a bare format term means =1, as in perf */
		if (eq) {
			*eq = '\0';
			errno = 0;
			val = strtoull(eq + 1, &end, 0);
			if (errno || end == eq + 1 || *end || eq[1] == '-') {
				cl_reason(reason, rlen, "bad value '%s' for %s in %s", eq + 1, term, spec);
				return -1;
			}
		}
		if (strcmp(term, "filter_stream_id") == 0) {
			sid = val;
			have_sid = 1;
		} else if (strcmp(term, "filter_span") == 0) {
			span = val;
			have_span = 1;
		} else if (strcmp(term, "filter_enable") == 0) {
			enable = val;
			have_enable = 1;
		} else if (have_code && (!eq || strcmp(term, "event") == 0)) {
			cl_reason(reason, rlen, "two events in %s", spec);
			return -1;
		} else if (strcmp(term, "event") == 0 && eq) {
			if (raw_code(pmu, val, reason, rlen) < 0)
				return -1;
			code = val;
			have_code = 1;
		} else if (!eq) {
			if (event_code(pmu, term, &code, reason, rlen) < 0)
				return -1;
			have_code = 1;
		} else {
			cl_reason(reason, rlen,
				  "unknown term '%s' for %s (terms: event, filter_enable, filter_span, "
				  "filter_stream_id)", term, pmu->name);
			return -1;
		}
	}
	if (!have_code) {
		cl_reason(reason, rlen, "no event named in %s", spec);
		return -1;
	}
	if (place(&c0, code, pmu->ev_lo, pmu->ev_hi) < 0) {
		cl_reason(reason, rlen, "event=0x%llx does not fit the event field (%s)",
			  (unsigned long long)code,
			  field_text(fbuf, sizeof(fbuf), "config", pmu->ev_lo, pmu->ev_hi));
		return -1;
	}
	if (have_sid && place(&c1, sid, pmu->sid_lo, pmu->sid_hi) < 0) {
		cl_reason(reason, rlen, "filter_stream_id=0x%llx does not fit filter_stream_id (%s)",
			  (unsigned long long)sid,
			  field_text(fbuf, sizeof(fbuf), "config1", pmu->sid_lo, pmu->sid_hi));
		return -1;
	}
	if (have_span && place(&c1, span, pmu->span_bit, pmu->span_bit) < 0) {
		cl_reason(reason, rlen, "filter_span=%llu does not fit filter_span (%s)",
			  (unsigned long long)span,
			  field_text(fbuf, sizeof(fbuf), "config1", pmu->span_bit, pmu->span_bit));
		return -1;
	}
	if (have_enable && place(&c1, enable, pmu->enable_bit, pmu->enable_bit) < 0) {
		cl_reason(reason, rlen, "filter_enable=%llu does not fit filter_enable (%s)",
			  (unsigned long long)enable,
			  field_text(fbuf, sizeof(fbuf), "config1", pmu->enable_bit, pmu->enable_bit));
		return -1;
	}
	*type = (uint32_t)pmu->type;
	*config = c0;
	*config1 = c1;
	*cpu = pmu->cpu;
	return 0;
}

void pmcg_list(struct cl_list *l, const char *sysfs_root)
{
	char name[COLLECTOR_NAME_MAX], devs[PATH_MAX], reason[256];
	struct pmcg_pmu *p;
	size_t n, i, j;

	p = pmcg_discover(sysfs_root, &n);
	if (n == 0) {
		cl_path(devs, sizeof(devs), sysfs_root, DEVICES);
		cl_reason(reason, sizeof(reason),
			  "no SMMUv3 PMCG in %s (no SMMUv3 here, or a kernel without "
			  "CONFIG_ARM_SMMU_V3_PMU)", devs);
		cl_list_add(l, PREFIX "*", "pmcg", 0, reason);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < p[i].nevents; j++) {
			if (snprintf(name, sizeof(name), "%s/%s/", p[i].name, p[i].events[j]) >=
			    (int)sizeof(name))
				continue;
			cl_list_probe(l, name, -1, sysfs_root, "");
		}
	}
	pmcg_free(p, n);
}
