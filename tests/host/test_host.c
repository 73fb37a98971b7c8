/*
 * test_host.c - the host target on this machine: every workload runs and
 * reports per-operation latencies, the collectors count at least the faults
 * the workload makes by construction, and "bound" is refused with what is
 * missing when the machine has no SVA device.
 */
#include "../../core/core.h"
#include "../../targets/host/host.h"
#include "../harness.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

static int run_one(int wl, int strategy, double range_pages, struct run_result *res)
{
	const struct target *t = target_find("host");
	double p[HOST_NPARAMS];
	struct run_req req = {.workload = wl, .strategy = strategy, .params = p, .seed = 1};

	target_resolve_defaults(t, wl, t->preset(0), p);
	p[HP_ITERATIONS] = 200;
	p[HP_WARMUP] = 10;
	p[HP_RANGE_PAGES] = range_pages;
	memset(res, 0, sizeof(*res));
	res->metrics = metrics_new();
	return t->run(&req, NULL, res);
}

static void check_workload(int wl, double range_pages)
{
	const struct target *t = target_find("host");
	struct run_result res;
	char name[160];
	int rc = run_one(wl, HS_UNBOUND, range_pages, &res);
	const struct metrics *m = res.metrics;
	double p50 = metrics_value(m, "op.latency_ns.p50", -1);
	double p99 = metrics_value(m, "op.latency_ns.p99", -1);
	double max = metrics_value(m, "op.latency_ns.max", -1);
	double expected = metrics_value(m, "op.faults_expected", -1);
	const struct metric *faults = metrics_get(m, "perf.faults");

	snprintf(name, sizeof(name), "%s (range_pages %.0f) runs 200 timed operations",
		 t->workloads[wl].name, range_pages);
	test_result(rc == 0 && metrics_value(m, "op.count", 0) == 200, name,
		    "rc %d (%s), op.count %g", rc, res.reason, metrics_value(m, "op.count", 0));
	snprintf(name, sizeof(name), "%s: latencies positive and ordered p50 <= p99 <= max",
		 t->workloads[wl].name);
	test_result(p50 > 0 && p50 <= p99 && p99 <= max, name, "p50 %g p99 %g max %g", p50, p99, max);
	snprintf(name, sizeof(name), "%s: perf.faults >= op.faults_expected", t->workloads[wl].name);
	if (!faults || faults->is_null)
		test_skip(name, "the faults software event is not available here");
	else
		test_result(faults->value >= expected && expected >= 0, name,
			    "perf.faults %g, expected %g", faults->value, expected);
	snprintf(name, sizeof(name), "%s: per-page workloads expect one fault per operation",
		 t->workloads[wl].name);
	test_result(expected == (host_per_page(wl) ? 200 : 0), name, "op.faults_expected %g", expected);
	snprintf(name, sizeof(name), "%s: op.per_page_ns.p50 is p50 over the pages of a call",
		 t->workloads[wl].name);
	test_result(metrics_value(m, "op.per_page_ns.p50", -1) ==
		    (host_per_page(wl) ? p50 : p50 / range_pages), name,
		    "per_page %g, p50 %g", metrics_value(m, "op.per_page_ns.p50", -1), p50);
	metrics_free(res.metrics);
}

static void check_bound(void)
{
	const struct target *t = target_find("host");
	json_t *d = t->detect();
	int sva = json_is_true(json_object_get(json_object_get(d, "sva"), "possible"));
	struct run_result res;
	int rc;

	json_decref(d);
	if (sva) {
		test_skip("bound is refused without an SVA device", "this machine has one");
		return;
	}
	rc = run_one(HW_MUNMAP, HS_BOUND, 1, &res);
	test_result(rc == -1 && strstr(res.reason, "bound") && strstr(res.reason, "no uacce device") &&
		    strstr(res.reason, "no /dev/dsa work queue"),
		    "bound is refused here, naming what is missing", "rc %d, reason \"%s\"", rc, res.reason);
	metrics_free(res.metrics);
}

/* A spec names "bound" only where it can run; without strategies it gets what can. */
static void test_spec_strategies(void)
{
	static const char bound[] = "{\"target\": \"host\", \"workload\": \"munmap\", \"strategies\": [\"bound\"]}";
	static const char dflt[] = "{\"target\": \"host\", \"workload\": \"munmap\"}";
	char dev[256], sva[256];
	int have = host_sva_device("", dev, sizeof(dev), sva, sizeof(sva)) == 0;
	int kvm = host_kvm_usable(sva, sizeof(sva)) == 0;
	struct spec_error e;
	struct spec *s = spec_parse(bound, strlen(bound), &e);

	if (have)
		test_result(s != NULL, "spec: bound accepted with an SVA device", "%s", e.msg);
	else
		test_result(!s && !strcmp(e.field, "strategies[0]") && strstr(e.msg, "SVA device"),
			    "spec: bound is refused here, naming strategies[0] and the missing device",
			    "field '%s' msg '%s'", s ? "" : e.field, s ? "accepted" : e.msg);
	spec_free(s);
	s = spec_parse(dflt, strlen(dflt), &e);
	test_result(s && s->nstrategies == 1u + (size_t)have + (size_t)kvm,
		    "spec without strategies gets the ones that can run here",
		    "%zu strategies", s ? s->nstrategies : 0);
	spec_free(s);
}

/* secondary-mmu: a KVM VM on this mm for the run, or refused naming /dev/kvm. */
static void check_secondary_mmu(void)
{
	static const char text[] = "{\"target\": \"host\", \"workload\": \"munmap\", \"strategies\": [\"secondary-mmu\"]}";
	char why[256], link[256], path[64];
	struct spec_error e;
	struct spec *s;
	struct run_result res;
	int fd;
	ssize_t n;

	if (host_kvm_usable(why, sizeof(why))) {
		s = spec_parse(text, sizeof(text) - 1, &e);
		test_result(!s && !strcmp(e.field, "strategies[0]") && strstr(e.msg, "/dev/kvm"),
			    "spec: secondary-mmu is refused without KVM, naming /dev/kvm", "field '%s' msg '%s'",
			    s ? "" : e.field, s ? "accepted" : e.msg);
		spec_free(s);
		test_skip("secondary-mmu registers a KVM VM on this mm", why);
		return;
	}
	fd = host_secondary_mmu_open(why, sizeof(why));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = fd >= 0 ? readlink(path, link, sizeof(link) - 1) : -1;
	link[n > 0 ? n : 0] = 0;
	test_result(fd >= 0 && !strcmp(link, "anon_inode:kvm-vm"),
		    "secondary-mmu: KVM_CREATE_VM gives a VM (its mmu notifier is on this mm)", "fd %d (%s) %s", fd,
		    link, fd < 0 ? why : "");
	if (fd >= 0)
		close(fd);
	for (int wl = 0; wl < HOST_NWORKLOADS; wl++) {
		char name[160];
		int rc = run_one(wl, HS_SECONDARY_MMU, host_per_page(wl) ? 16 : 64, &res);

		snprintf(name, sizeof(name), "%s runs under secondary-mmu (host.secondary_mmu 1)",
			 target_find("host")->workloads[wl].name);
		test_result(rc == 0 && metrics_value(res.metrics, "host.secondary_mmu", 0) == 1 &&
			    metrics_value(res.metrics, "op.count", 0) == 200, name, "rc %d: %s", rc, res.reason);
		metrics_free(res.metrics);
	}
}

int main(void)
{
	const struct target *t = target_find("host");
	char why[256], field[64], msg[256];
	double p[HOST_NPARAMS];

	test_spec_strategies();

	test_result(t != NULL, "host target is registered", "target_find(\"host\") is NULL");
	if (!t)
		return test_exit();
	test_result(t->available(why, sizeof(why)) == 1, "host is available (the CPU side runs anywhere)",
		    "%s", why);
	test_result(t->exclusive == 1 && target_find("sim") && target_find("sim")->exclusive == 0,
		    "host runs are exclusive (must not share the machine), sim runs are not",
		    "host %d sim %d", t->exclusive, target_find("sim") ? target_find("sim")->exclusive : -1);
	target_resolve_defaults(t, -1, t->preset(0), p);
	test_result(t->check_cell(p, field, sizeof(field), msg, sizeof(msg)) == 0,
		    "default cell passes check_cell", "%s: %s", field, msg);
	test_result(t->npresets() == 1 && t->preset(0)->nvalues == 0 &&
		    !strcmp(t->preset(0)->name, "default"),
		    "the only preset is an empty \"default\"", "npresets %zu", t->npresets());

	for (int wl = 0; wl < HOST_NWORKLOADS; wl++)
		check_workload(wl, 1);
	check_workload(HW_MPROTECT_UPGRADE, 16);
	check_workload(HW_MUNMAP, 512);
	check_workload(HW_MADV_DONTNEED, 16);
	check_workload(HW_REUSE_AFTER_FORK, 16);
	check_workload(HW_FIRST_TOUCH, 64);
	check_workload(HW_WRITE_NOTIFY_DIRTY, 64);
	check_bound();
	check_secondary_mmu();
	return test_exit();
}
