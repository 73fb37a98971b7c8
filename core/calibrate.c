/*
 * calibrate.c - `svabench calibrate` and POST /api/v1/calibrate: a `local`
 * sim preset whose CPU-side costs are measured on this machine by the host
 * target (calibration.md, confidence `local`).
 *
 * Each host workload runs in this process as a one-run spec (strategy
 * "unbound", warmup as the host target defaults it) through the offline
 * runner, and its p50 becomes a sim parameter:
 *
 *   cpu_fault_ns + fault_reuse_ns <- reuse-after-fork op.latency_ns.p50: a
 *                     CPU minor write fault that reuses the anon page in
 *                     place (wp_page_reuse), the plainest minor fault there
 *                     is. The sim charges a CPU fault cpu_fault_ns (entry,
 *                     exit, VMA lookup) plus handle_mm_fault's part
 *                     (fault_reuse_ns, which a device fault on such a page
 *                     costs the host too), so the measured whole is split
 *                     between the two in the default preset's proportion
 *                     (the split itself is not measured) - never charged
 *                     twice
 *   fault_copy_ns  <- (cow-copy op.latency_ns.p50 - cpu_fault_ns) x 4096 /
 *                     page size, clamped at 0: the sim adds cpu_fault_ns
 *                     and charges wp_page_copy per 4 KiB
 *   cpu_wp_ns      <- write-notify op.latency_ns.p50 minus cpu_fault_ns,
 *                     clamped at 0: what a clean shared-file page's write
 *                     fault (page_mkwrite, dirty tracking: the other side
 *                     of page_mkclean's write-protect) costs over a plain
 *                     reuse fault
 *   cpu_pte_ns     <- munmap op.per_page_ns.p50 at range_pages 1024: the
 *                     per-PTE share of a large range operation, where the
 *                     one flush and the syscall are amortised
 *   cpu_tlbi_ns    <- mprotect-upgrade op.latency_ns.p50 at range_pages 1
 *                     minus cpu_pte_ns, clamped at 0: one call that changes
 *                     one PTE and flushes it once
 *   mn_dispatch_ns <- munmap op.latency_ns.p50 at range_pages 1 under the
 *                     host's secondary-mmu strategy minus unbound, the
 *                     median of 3 interleaved pairs, clamped at 0: the mmu
 *                     notifier dispatch a secondary MMU adds to one range
 *                     invalidation and flush, with no SMMU behind it (a
 *                     KVM VM without vCPU or memory slot; docs/host.md).
 *                     Where /dev/kvm cannot be used it is not written and
 *                     the default's 0 stays; the log says why
 *
 * Per-page workloads (the faults) prepare CALIB_BATCH pages per fork or
 * sync, so a calibration forks iterations / CALIB_BATCH times. Each
 * workload runs CALIB_REPS times: a value is derived from the median p50s,
 * and its run-to-run spread (the value derived from each run's p50s, min
 * and max) is written beside it. Everything else keeps the default
 * preset's values ("extends": "default").
 *
 * The sim models arm64. Measured on another architecture, the values are
 * marked confidence "local-foreign-arch" (not "local") and their source
 * says which machine measured them: the same kernel code paths, another
 * architecture's costs.
 */
#include "core.h"
#include "../targets/host/host.h"
#include "../targets/sim/presets.h"
#include "../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define CALIB_BATCH 64       /* pages prepared per fork / sync (per-page workloads) */
#define CALIB_RANGE_PTE 1024 /* munmap range for the per-PTE cost */
#define CALIB_REPS 3         /* runs per workload: the spread */
#define SPLIT_CPU_FAULT 800.0  /* default preset's cpu_fault_ns, if it cannot be read */
#define SPLIT_FAULT_REUSE 1500.0

/* One measurement: a host workload at a range, and the metric read. */
struct measure {
	const char *workload;
	int range_pages;
	const char *metric;
	double p50;           /* filled: the median over the runs */
	double runs[CALIB_REPS];
};

enum { M_REUSE, M_COW, M_NOTIFY, M_MPROTECT, M_MUNMAP, M_COUNT };

static const struct measure measures[M_COUNT] = {
	[M_REUSE] = {"reuse-after-fork", CALIB_BATCH, "op.latency_ns.p50", 0, {0}},
	[M_COW] = {"cow-copy", CALIB_BATCH, "op.latency_ns.p50", 0, {0}},
	[M_NOTIFY] = {"write-notify", CALIB_BATCH, "op.latency_ns.p50", 0, {0}},
	[M_MPROTECT] = {"mprotect-upgrade", 1, "op.latency_ns.p50", 0, {0}},
	[M_MUNMAP] = {"munmap", CALIB_RANGE_PTE, "op.per_page_ns.p50", 0, {0}},
};

void calibrate_default_path(const char *name, char *buf, size_t len)
{
	const char *d = getenv("SVABENCH_PRESETS");

	snprintf(buf, len, "%s/%s.json", d && *d ? d : "./var/presets", name ? name : "local");
}

int calibrate_name_ok(const char *name, char *err, size_t elen)
{
	size_t n = strlen(name);

	if (n < 1 || n > 64 || name[0] == '.')
		return error_into(err, elen, "preset name '%s': expected 1..64 characters, not starting with '.'",
				  name);
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    name[i]))
			return error_into(err, elen, "preset name '%s': only letters, digits, '.', '_' and '-'",
					  name);
	if (sim_preset_embedded(name))
		return error_into(err, elen, "preset name '%s' is a built-in sim preset's; choose another",
				  name);
	return 0;
}

/* Runs one host workload CALIB_REPS times: each run's metric in v[]. */
static int measure_one(const struct measure *m, int iterations, double *v, char *err, size_t elen)
{
	struct runner_opts ro = {.jobs = 1};
	struct spec_error se;
	struct results *r;
	struct spec *s;
	char text[512], msg[256];
	int rc;

	snprintf(text, sizeof(text),
		 "{\"target\": \"host\", \"workload\": \"%s\", \"strategies\": [\"unbound\"], "
		 "\"params\": {\"iterations\": %d, \"range_pages\": %d}, \"repetitions\": %d}",
		 m->workload, iterations, m->range_pages, CALIB_REPS);
	s = spec_parse(text, strlen(text), &se);
	if (!s)
		return error_into(err, elen, "host workload %s refused: %s%s%s", m->workload, se.field,
				  se.field[0] ? ": " : "", se.msg);
	r = results_new(s);
	rc = runner_run(r, &ro, msg, sizeof(msg));
	if (rc) {
		error_into(err, elen, "host workload %s: %s", m->workload, msg);
	}
	for (size_t i = 0; !rc && i < CALIB_REPS; i++) {
		if (r->runs[i].status != RUN_DONE)
			rc = error_into(err, elen, "host workload %s failed: %s", m->workload,
					r->runs[i].reason ? r->runs[i].reason : "no reason given");
		else if (results_value(r, i, m->metric, &v[i]) != 1 || !(v[i] >= 0))
			rc = error_into(err, elen, "host workload %s reported no %s", m->workload, m->metric);
	}
	results_free(r);
	spec_free(s);
	return rc ? -1 : 0;
}

static int cmp_dbl_fwd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define CALIB_DISPATCH_REPS CALIB_REPS /* interleaved unbound / secondary-mmu pairs */

/*
 * mn_dispatch_ns: the host target's secondary-mmu minus unbound per
 * one-page munmap (docs/host.md), CALIB_DISPATCH_REPS interleaved pairs of
 * runs; the median of the per-pair p50 differences, clamped at 0, with their
 * min and max. 0 when measured; 1 when KVM cannot register a secondary MMU
 * here (why set); -1 on error.
 */
static int measure_dispatch(int iterations, double *med, double *lo, double *hi, char *why,
			    size_t wlen, char *err, size_t elen)
{
	struct runner_opts ro = {.jobs = 1};
	struct spec_error se;
	struct results *r;
	struct spec *s;
	char text[512], msg[256];
	double d[CALIB_DISPATCH_REPS];
	int rc = 0, n = 0;

	if (host_kvm_usable(why, wlen))
		return 1;
	snprintf(text, sizeof(text),
		 "{\"target\": \"host\", \"workload\": \"munmap\", \"strategies\": [\"unbound\", "
		 "\"secondary-mmu\"], \"params\": {\"iterations\": %d, \"range_pages\": 1}, "
		 "\"repetitions\": %d}", iterations, CALIB_DISPATCH_REPS);
	s = spec_parse(text, strlen(text), &se);
	if (!s)
		return error_into(err, elen, "secondary-mmu munmap refused: %s%s%s", se.field,
				  se.field[0] ? ": " : "", se.msg);
	r = results_new(s);
	if (runner_run(r, &ro, msg, sizeof(msg)))
		rc = error_into(err, elen, "secondary-mmu munmap: %s", msg);
	for (size_t i = 0; !rc && i + 1 < s->nruns; i += 2) {
		double u, v;

		if (r->runs[i].status != RUN_DONE || r->runs[i + 1].status != RUN_DONE)
			rc = error_into(err, elen, "secondary-mmu munmap failed: %s",
					r->runs[i].reason ? r->runs[i].reason :
					r->runs[i + 1].reason ? r->runs[i + 1].reason : "no reason given");
		else if (results_value(r, i, "op.latency_ns.p50", &u) != 1 ||
			 results_value(r, i + 1, "op.latency_ns.p50", &v) != 1)
			rc = error_into(err, elen, "secondary-mmu munmap reported no op.latency_ns.p50");
		else if (n < CALIB_DISPATCH_REPS)
			d[n++] = s->runs[i].strategy == 0 ? v - u : u - v;
	}
	results_free(r);
	spec_free(s);
	if (rc)
		return -1;
	if (n == 0)
		return error_into(err, elen, "secondary-mmu munmap gave no pair of runs");
	qsort(d, (size_t)n, sizeof(d[0]), cmp_dbl_fwd);
	*med = fmax(0, n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2);
	*lo = fmax(0, d[0]);
	*hi = fmax(0, d[n - 1]);
	return 0;
}

/* One value written: the sim parameter, its value (from the median p50s),
 * its spread over the runs and how it was derived. */
struct written {
	const char *param;
	double value, lo, hi;
	const char *how;
};

static json_t *value_json(const struct written *w, const char *source, const char *confidence, int runs)
{
	return json_pack("{s:I,s:s,s:s,s:{s:I,s:I,s:i}}", "value", (json_int_t)llround(w->value),
			 "source", source, "confidence", confidence, "spread", "min",
			 (json_int_t)llround(w->lo), "max", (json_int_t)llround(w->hi), "runs", runs);
}

/* The default preset's value of param, else def. */
static double default_value(const char *param, double def)
{
	const struct target *sim = target_find("sim");
	const struct preset *p = sim ? target_find_preset(sim, "default") : NULL;

	for (size_t i = 0; p && i < p->nvalues; i++)
		if (!strcmp(p->values[i].param, param))
			return p->values[i].value;
	return def;
}

/* The six values from p50s[M_COUNT] (one run's, or the medians). */
static void derive(const double *p50, double share, double page, double *out)
{
	double cpu_fault = p50[M_REUSE] * share;

	out[0] = cpu_fault;
	out[1] = p50[M_REUSE] - cpu_fault;
	out[2] = fmax(0, p50[M_COW] - cpu_fault) * 4096.0 / page;
	out[3] = fmax(0, p50[M_NOTIFY] - p50[M_REUSE]);
	out[4] = p50[M_MUNMAP];
	out[5] = fmax(0, p50[M_MPROTECT] - p50[M_MUNMAP]);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* 1 when this machine is the architecture the sim models (arm64). */
static int modelled_arch(const char *machine)
{
	return !strcmp(machine, "aarch64") || !strcmp(machine, "arm64");
}

/* Writes text to path atomically (a temporary file in the same directory, renamed). */
static int write_atomic(const char *path, const char *text, char *err, size_t elen)
{
	size_t plen = strlen(path);
	char *tmp = xmalloc(plen + 32), *dir = xstrdup(path), *slash;
	size_t len = strlen(text);
	int fd, rc = 0;

	/* mkdir -p of the directory */
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		for (char *p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = 0;
			mkdir(dir, 0755);
			*p = '/';
		}
		if (mkdir(dir, 0755) && errno != EEXIST)
			rc = error_into(err, elen, "cannot create %s: %s", dir, strerror(errno));
	}
	free(dir);
	if (rc) {
		free(tmp);
		return rc;
	}
	snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = error_into(err, elen, "cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	for (size_t off = 0; off < len && !rc;) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = error_into(err, elen, "cannot write %s: %s", tmp, strerror(errno));
		else
			off += (size_t)n;
	}
	if (!rc && fsync(fd))
		rc = error_into(err, elen, "cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = error_into(err, elen, "cannot write %s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path))
		rc = error_into(err, elen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int calibrate_run(const struct calibrate_opts *o, char *err, size_t elen)
{
	const char *name = o->name ? o->name : "local";
	int iterations = o->iterations > 0 ? o->iterations : CALIBRATE_ITERATIONS;
	const struct target *t = target_find("host");
	struct measure m[M_COUNT];
	struct written w[7];
	char path[4096], why[256], host[256], date[32], head[1024], desc[1400], mn_why[256] = "";
	long page = sysconf(_SC_PAGESIZE);
	struct utsname u;
	json_t *doc, *vals;
	time_t now = time(NULL);
	struct tm tm;
	char *text;
	int rc, foreign, nw = 6, mn;

	if (calibrate_name_ok(name, err, elen))
		return -1;
	if (iterations > CALIBRATE_ITERATIONS_MAX)
		return error_into(err, elen, "iterations: %d is above %d", iterations,
				  CALIBRATE_ITERATIONS_MAX);
	if (!t)
		return error_into(err, elen, "calibrate needs the host target, which this svabench "
				  "does not have (targets/host is not built in)");
	if (t->available && !t->available(why, sizeof(why)))
		return error_into(err, elen, "the host target cannot run here: %s", why);
	if (o->out)
		snprintf(path, sizeof(path), "%s", o->out);
	else
		calibrate_default_path(name, path, sizeof(path));
	if (page <= 0)
		page = 4096;

	memcpy(m, measures, sizeof(m));
	for (int i = 0; i < M_COUNT; i++) {
		if (o->log) {
			fprintf(o->log, "measuring %s (%d pages) over %d iterations...\n",
				m[i].workload, m[i].range_pages, iterations);
			fflush(o->log);
		}
		if (measure_one(&m[i], iterations, m[i].runs, err, elen))
			return -1;
		{
			double sorted[CALIB_REPS];

			memcpy(sorted, m[i].runs, sizeof(sorted));
			qsort(sorted, CALIB_REPS, sizeof(sorted[0]), cmp_dbl);
			m[i].p50 = CALIB_REPS % 2 ? sorted[CALIB_REPS / 2] :
				   (sorted[CALIB_REPS / 2 - 1] + sorted[CALIB_REPS / 2]) / 2;
		}
	}

	{
		static const char *const params[6] = {"cpu_fault_ns", "fault_reuse_ns", "fault_copy_ns",
						      "cpu_wp_ns", "cpu_pte_ns", "cpu_tlbi_ns"};
		static const char *const hows[6] = {
			"reuse-after-fork p50 (the whole minor fault) x the default preset's share of "
			"cpu_fault_ns in cpu_fault_ns + fault_reuse_ns",
			"reuse-after-fork p50 minus cpu_fault_ns (the two add up to the measured fault)",
			"cow-copy p50 minus cpu_fault_ns, per 4 KiB",
			"write-notify p50 minus reuse-after-fork p50",
			"munmap per-page p50 at 1024 pages",
			"mprotect-upgrade p50 at 1 page minus cpu_pte_ns"};
		double dcpu = default_value("cpu_fault_ns", SPLIT_CPU_FAULT);
		double dreuse = default_value("fault_reuse_ns", SPLIT_FAULT_REUSE);
		double share = dcpu + dreuse > 0 ? dcpu / (dcpu + dreuse) : 0.5, med[M_COUNT], v[6];

		for (int i = 0; i < M_COUNT; i++)
			med[i] = m[i].p50;
		derive(med, share, (double)page, v);
		for (int k = 0; k < 6; k++)
			w[k] = (struct written){params[k], v[k], v[k], v[k], hows[k]};
		for (int r = 0; r < CALIB_REPS; r++) {
			double one[M_COUNT];

			for (int i = 0; i < M_COUNT; i++)
				one[i] = m[i].runs[r];
			derive(one, share, (double)page, v);
			for (int k = 0; k < 6; k++) {
				w[k].lo = fmin(w[k].lo, v[k]);
				w[k].hi = fmax(w[k].hi, v[k]);
			}
		}
	}

	if (o->log) {
		fprintf(o->log, "measuring munmap (1 page) unbound vs secondary-mmu over %d iterations...\n",
			iterations);
		fflush(o->log);
	}
	w[6] = (struct written){"mn_dispatch_ns", 0, 0, 0,
				"munmap p50 at 1 page, secondary-mmu (a KVM VM's mmu notifier on the mm) minus "
				"unbound, in interleaved pairs: the kernel's notifier dispatch with no SMMU "
				"behind it"};
	mn = measure_dispatch(iterations, &w[6].value, &w[6].lo, &w[6].hi, mn_why, sizeof(mn_why), err,
			      elen);
	if (mn < 0)
		return -1;
	if (mn == 0)
		nw = 7;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	foreign = !modelled_arch(u.machine);
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "%s", u.nodename[0] ? u.nodename : "unknown");
	host[sizeof(host) - 1] = 0;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	snprintf(head, sizeof(head), "measured by svabench calibrate on %s (kernel %s, %s%s) on %s",
		 host, u.release, u.machine,
		 foreign ? ", not the arm64 the sim models: same kernel code, another "
			   "architecture's costs" : "", date);
	snprintf(desc, sizeof(desc), "The default preset with the CPU-side costs %s, "
		 "host target, strategy unbound, %d iterations per workload.", head, iterations);

	doc = json_pack("{s:s,s:s,s:s}", "name", name, "description", desc, "extends", "default");
	vals = json_object();
	if (!doc || !vals || json_object_set_new(doc, "values", vals)) {
		json_decref(doc);
		return error_into(err, elen, "out of memory");
	}
	for (int i = 0; i < nw; i++) {
		char src[1600];

		snprintf(src, sizeof(src), "%s: %s over %d iterations, median of %d %s", head,
			 w[i].how, iterations, i < 6 ? CALIB_REPS : CALIB_DISPATCH_REPS, i < 6 ? "runs" : "pairs");
		if (json_object_set_new(vals, w[i].param,
					value_json(&w[i], src, foreign ? "local-foreign-arch" : "local",
						   i < 6 ? CALIB_REPS : CALIB_DISPATCH_REPS))) {
			json_decref(doc);
			return error_into(err, elen, "out of memory");
		}
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return error_into(err, elen, "out of memory");
	{
		size_t n = strlen(text);
		text = xrealloc(text, n + 2);
		text[n] = '\n';
		text[n + 1] = 0;
	}
	rc = write_atomic(path, text, err, elen);
	free(text);
	if (rc)
		return -1;

	if (o->log) {
		fprintf(o->log, "\n%-18s %6s %-20s %12s\n", "workload", "pages", "metric", "p50 ns");
		for (int i = 0; i < M_COUNT; i++)
			fprintf(o->log, "%-18s %6d %-20s %12.1f\n", m[i].workload, m[i].range_pages,
				m[i].metric, m[i].p50);
		fprintf(o->log, "\n%-16s %10s %17s  %s\n", "sim param", "value ns", "spread (min..max)",
			"from");
		for (int i = 0; i < nw; i++)
			fprintf(o->log, "%-16s %10.0f %8.0f..%-8.0f  %s\n", w[i].param, round(w[i].value),
				round(w[i].lo), round(w[i].hi), w[i].how);
		if (nw == 6)
			fprintf(o->log, "mn_dispatch_ns not measured (the default preset's 0 stays): %s\n",
				mn_why);
		if (foreign)
			fprintf(o->log, "\nthis machine is %s, not the arm64 the sim models: the values "
				"are marked confidence local-foreign-arch\n", u.machine);
		fprintf(o->log, "\nwrote preset \"%s\" (extends default, confidence %s) to %s\n",
			name, foreign ? "local-foreign-arch" : "local", path);
		fflush(o->log);
	}
	sim_presets_reload();
	return 0;
}
