/*
 * test_kernel.c - the sim's `kernel`, `fault_model` and Fix A command
 * streams, checked by commands per operation (issue 16, docs/model.md):
 * each check fails when the behaviour it names breaks.
 */
#include "../harness.h"
#include "../../core/core.h"
#include "sim_run.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct target *sim;
static const struct preset *preset; /* NULL: the default one */

static double enum_value(int i, const char *choice)
{
	const struct param_def *d = &sim->params[i];

	for (int k = 0; d->choices[k]; k++)
		if (!strcmp(d->choices[k], choice))
			return k;
	fprintf(stderr, "test bug: %s has no choice %s\n", d->name, choice);
	exit(2);
}

/*
 * Runs one cell: workload, strategy, kernel, seed, then "param", value
 * pairs (a value given as a string for enums: "s:name"), NULL.
 */
static struct out run(const char *wl, const char *st, const char *kernel, uint64_t seed, ...)
{
	double p[256];
	const char *name;
	va_list ap;
	int w, k, ki = target_param_index(sim, "kernel");

	cell_indices(sim, wl, st, &w, &k);
	if (ki < 0) {
		fprintf(stderr, "test bug: the sim has no kernel parameter\n");
		exit(2);
	}
	cell_defaults(sim, w, preset, p);
	p[ki] = enum_value(ki, kernel);
	va_start(ap, seed);
	while ((name = va_arg(ap, const char *))) {
		int i = target_param_index(sim, name);

		if (i < 0) {
			fprintf(stderr, "test bug: param %s\n", name);
			exit(2);
		}
		if (sim->params[i].type == PARAM_ENUM)
			p[i] = enum_value(i, va_arg(ap, const char *));
		else
			p[i] = va_arg(ap, double);
	}
	va_end(ap);
	if (sim->check_cell) {
		char field[64], msg[256];

		if (sim->check_cell(p, field, sizeof(field), msg, sizeof(msg))) {
			fprintf(stderr, "test bug: %s: %s\n", field, msg);
			exit(2);
		}
	}
	return run_cell(sim, w, k, p, seed);
}

static double faults(const struct out *o)
{
	return v(o, "fault.translation") + v(o, "fault.permission");
}

/* notifier on mprotect of 64 pages: v6.6 empty range -> ASID; v6.14 the range. */
static void test_empty_range(void)
{
	for (int ats = 0; ats <= 1; ats++) {
		struct out a = run("mprotect-toggle", "notifier", "v6.6", 31, "range_pages", 64.0,
				   "ats", (double)ats, NULL);
		struct out b = run("mprotect-toggle", "notifier", "v6.14", 31, "range_pages", 64.0,
				   "ats", (double)ats, NULL);
		double na = v(&a, "cpu.ops"), nb = v(&b, "cpu.ops");
		char name[160];

		snprintf(name, sizeof(name),
			 "notifier v6.6: an mprotect of 64 pages is one TLBI_NH_ASID%s per flush (ats=%d)",
			 ats ? " + one ATC_INV of all" : "", ats);
		test_result(a.rc == 0 && na > 5 && faults(&a) == 0 &&
			    v(&a, "cmd.tlbi_nh_asid") == na && v(&a, "cmd.tlbi_nh_va") == 0 &&
			    v(&a, "cmd.atc_inv") == (ats ? na : 0) &&
			    v(&a, "cmd.sync") == 1 + (ats ? 2 : 1) * na, name,
			    "ops=%g asid=%g va=%g atc_inv=%g sync=%g faults=%g", na,
			    v(&a, "cmd.tlbi_nh_asid"), v(&a, "cmd.tlbi_nh_va"), v(&a, "cmd.atc_inv"),
			    v(&a, "cmd.sync"), faults(&a));
		snprintf(name, sizeof(name),
			 "notifier v6.14 (f7edb07ad7c6): an mprotect of 64 pages is 64 TLBI_NH_VA per flush (ats=%d)", ats);
		test_result(b.rc == 0 && nb > 5 && faults(&b) == 0 &&
			    v(&b, "cmd.tlbi_nh_va") == 64 * nb && v(&b, "cmd.tlbi_nh_asid") == 0 &&
			    v(&b, "cmd.atc_inv") == (ats ? nb : 0), name,
			    "ops=%g asid=%g va=%g atc_inv=%g", nb, v(&b, "cmd.tlbi_nh_asid"),
			    v(&b, "cmd.tlbi_nh_va"), v(&b, "cmd.atc_inv"));
		done(&a);
		done(&b);
	}
}

/* Pre-v6.6 design: tlb_flush_mmu_tlbonly() and range_end both invalidate. */
static void test_double_invalidation(void)
{
	const char *st[] = {"none", "pri-inv", "notifier-seed"};

	for (size_t i = 0; i < 3; i++) {
		struct out o = run("munmap-large", st[i], "v6.5", 33, "range_pages", 64.0,
				   "cpu_op_rate_hz", 20000.0, NULL);
		double n = v(&o, "cpu.ops");
		char name[128];

		snprintf(name, sizeof(name), "%s on v6.5: a 64-page munmap is invalidated twice (128 TLBI_NH_VA)", st[i]);
		test_result(o.rc == 0 && n > 5 && faults(&o) == 0 && v(&o, "cmd.tlbi_nh_va") == 128 * n &&
			    v(&o, "notifier.calls") == 2 * n, name,
			    "unmaps=%g va=%g calls=%g faults=%g", n, v(&o, "cmd.tlbi_nh_va"),
			    v(&o, "notifier.calls"), faults(&o));
		done(&o);
	}
	struct out b = run("munmap-large", "notifier", "v6.14", 33, "range_pages", 64.0,
				"cpu_op_rate_hz", 20000.0, NULL);
	double n = v(&b, "cpu.ops");

	test_result(b.rc == 0 && n > 5 && v(&b, "cmd.tlbi_nh_va") == 64 * n && v(&b, "notifier.calls") == n,
		    "notifier on v6.14: the same munmap is invalidated once (64 TLBI_NH_VA)",
		    "unmaps=%g va=%g calls=%g", n, v(&b, "cmd.tlbi_nh_va"), v(&b, "notifier.calls"));
	done(&b);
}

/* Before d38c28dbefee (v6.11) one notifier per device domain. */
static void test_per_domain(void)
{
	for (int ats = 0; ats <= 1; ats++) {
		struct out a = run("munmap-large", "notifier", "v6.6", 35, "range_pages", 64.0,
				   "cpu_op_rate_hz", 20000.0, "devices", 2.0, "smmus", 1.0, "ats", (double)ats, NULL);
		struct out b = run("munmap-large", "notifier", "v6.11", 35, "range_pages", 64.0,
				   "cpu_op_rate_hz", 20000.0, "devices", 2.0, "smmus", 1.0, "ats", (double)ats, NULL);
		double na = v(&a, "cpu.ops"), nb = v(&b, "cpu.ops");
		/* the bind: CFGI_CD + SYNC per device */
		double sa = v(&a, "cmd.sync") - 2, sb = v(&b, "cmd.sync") - 2;
		char name[160];

		snprintf(name, sizeof(name),
			 "notifier with 2 devices on one SMMU: v6.6 sends twice the TLBI+SYNC of v6.11 per unmap (ats=%d)", ats);
		test_result(a.rc == 0 && b.rc == 0 && na > 5 && nb > 5 &&
			    v(&a, "cmd.tlbi_nh_asid") == 2 * na && sa == (ats ? 4 : 2) * na &&
			    v(&b, "cmd.tlbi_nh_asid") == nb && sb == (ats ? 2 : 1) * nb &&
			    v(&a, "cmd.atc_inv") == (ats ? 2 * na : 0) &&
			    v(&b, "cmd.atc_inv") == (ats ? 2 * nb : 0), name,
			    "v6.6: ops=%g asid=%g sync=%g atc=%g; v6.11: ops=%g asid=%g sync=%g atc=%g",
			    na, v(&a, "cmd.tlbi_nh_asid"), sa, v(&a, "cmd.atc_inv"),
			    nb, v(&b, "cmd.tlbi_nh_asid"), sb, v(&b, "cmd.atc_inv"));
		done(&a);
		done(&b);
	}
}

/* Fix A under ATS: TLBI, CMD_SYNC, ATC_INV, CMD_SYNC, then the response. */
static void test_fix_a_order(void)
{
	const char *st[] = {"pri-inv", "pri-inv-sync"};

	for (size_t i = 0; i < 2; i++) {
		struct out o = run("rw-reuse", st[i], "v6.19", 37, "ats", 1.0, "pages", 32.0, NULL);
		double resp = v(&o, "fault.responses"), calls = v(&o, "notifier.calls");
		char name[160];

		snprintf(name, sizeof(name),
			 "%s under ATS: a CMD_SYNC between every TLBI and the ATC_INV after it, two per response", st[i]);
		test_result(o.rc == 0 && resp > 10 && v(&o, "cmdq.order_violations") == 0 &&
			    v(&o, "cmd.atc_inv") == resp + calls &&
			    v(&o, "cmd.sync") == 1 + 2 * resp + 2 * calls &&
			    v(&o, "cmd.pri_resp") == resp && v(&o, "dma.livelocked") == 0, name,
			    "responses=%g calls=%g atc_inv=%g sync=%g order violations=%g livelocked=%g",
			    resp, calls, v(&o, "cmd.atc_inv"), v(&o, "cmd.sync"),
			    v(&o, "cmdq.order_violations"), v(&o, "dma.livelocked"));
		done(&o);
	}
	/* the waiting variant pays both SYNCs in the handler; the pipelined one none */
	struct out p = run("rw-reuse", "pri-inv", "v6.19", 37, "ats", 1.0, "pages", 32.0, NULL);
	struct out w = run("rw-reuse", "pri-inv-sync", "v6.19", 37, "ats", 1.0, "pages", 32.0, NULL);

	test_result(v(&w, "host.fault_handling_ns") / v(&w, "fault.responses") >
		    v(&p, "host.fault_handling_ns") / v(&p, "fault.responses") + 1000,
		    "pri-inv-sync waits for both CMD_SYNCs in the handler, pri-inv does not",
		    "per response: sync %g ns, pipelined %g ns",
		    v(&w, "host.fault_handling_ns") / v(&w, "fault.responses"),
		    v(&p, "host.fault_handling_ns") / v(&p, "fault.responses"));
	done(&p);
	done(&w);
	/* only permission faults: first-touch's translation faults get no TLBI */
	struct out a = run("first-touch", "pri-inv", "v6.19", 39, "pages", 64.0, "fix_a_faults", "permission", NULL);
	struct out b = run("first-touch", "pri-inv", "v6.19", 39, "pages", 64.0, NULL);
	double zap = 2 * 64;

	test_result(v(&a, "fault.translation") > 0 && v(&a, "dma.passes") > 0 &&
		    v(&a, "cmd.tlbi_nh_va") == zap * v(&a, "dma.passes") &&
		    v(&b, "cmd.tlbi_nh_va") > zap * v(&b, "dma.passes"),
		    "fix_a_faults=permission: no Fix A TLBI for translation faults; all (default): one per fault",
		    "permission: tlbi=%g passes=%g; all: tlbi=%g passes=%g", v(&a, "cmd.tlbi_nh_va"),
		    v(&a, "dma.passes"), v(&b, "cmd.tlbi_nh_va"), v(&b, "dma.passes"));
	done(&a);
	done(&b);
}

/* ATS without PRI: the device's driver resolves faults; Fix A cannot act. */
static void test_device_faults(void)
{
	struct out n = run("rw-reuse", "none", "v6.19", 41, "ats", 1.0, "fault_model", "device",
			   "livelock_k", 16.0, NULL);
	struct out a = run("rw-reuse", "pri-inv", "v6.19", 41, "ats", 1.0, "fault_model", "device",
			   "livelock_k", 16.0, NULL);
	struct out b = run("rw-reuse", "notifier", "v6.19", 41, "ats", 1.0, "fault_model", "device",
			   "livelock_k", 16.0, NULL);
	struct out p = run("rw-reuse", "pri-inv", "v6.19", 41, "ats", 1.0, "fault_model", "pri", NULL);

	test_result(n.rc == 0 && v(&n, "dma.livelocked") > 0 && v(&n, "fault.device_handled") > 0,
		    "fault_model device: none livelocks",
		    "livelocked=%g device faults=%g", v(&n, "dma.livelocked"), v(&n, "fault.device_handled"));
	test_result(a.rc == 0 && v(&a, "dma.livelocked") > 0 && v(&a, "fault.responses") == 0 &&
		    v(&a, "fix.applicable") == 0 && a.res.nexamples > 0 &&
		    strstr(a.res.examples[0], "not applicable"),
		    "fault_model device: pri-inv cannot act (no response to hang it on), livelocks, and says why",
		    "livelocked=%g responses=%g fix.applicable=%g example=%s", v(&a, "dma.livelocked"),
		    v(&a, "fault.responses"), v(&a, "fix.applicable"),
		    a.res.nexamples ? a.res.examples[0] : "none");
	test_result(b.rc == 0 && v(&b, "dma.livelocked") == 0 && v(&b, "fault.device_handled") > 0 &&
		    v(&b, "oracle.coherence_violations") == 0 && v(&b, "fix.applicable") == 1 &&
		    v(&b, "dma.transactions") > 0,
		    "fault_model device: notifier works (no livelock, no violation)",
		    "livelocked=%g device faults=%g violations=%g", v(&b, "dma.livelocked"),
		    v(&b, "fault.device_handled"), v(&b, "oracle.coherence_violations"));
	test_result(v(&p, "dma.livelocked") == 0 && v(&p, "fix.applicable") == 1 &&
		    v(&p, "fault.responses") > 0,
		    "fault_model pri: the same pri-inv acts and holds", "livelocked=%g responses=%g",
		    v(&p, "dma.livelocked"), v(&p, "fault.responses"));
	done(&n);
	done(&a);
	done(&b);
	done(&p);
}

/* A CPU without FEAT_TLBIRANGE: 600 pages -> flush_tlb_mm -> ASID, RIL or not. */
static void test_cpu_tlbi_range(void)
{
	struct out a = run("munmap-large", "notifier", "v6.14", 43, "range_pages", 600.0, "ril", 1.0,
			   "cpu_tlbi_range", 0.0, NULL);
	struct out b = run("munmap-large", "notifier", "v6.14", 43, "range_pages", 600.0, "ril", 1.0, NULL);
	double na = v(&a, "cpu.ops"), nb = v(&b, "cpu.ops");

	test_result(na > 0 && v(&a, "cmd.tlbi_nh_asid") == na && v(&a, "cmd.tlbi_nh_va_range") == 0,
		    "a CPU without range TLBI turns a 600-page unmap into TLBI_NH_ASID even with ril",
		    "unmaps=%g asid=%g range=%g", na, v(&a, "cmd.tlbi_nh_asid"), v(&a, "cmd.tlbi_nh_va_range"));
	test_result(nb > 0 && v(&b, "cmd.tlbi_nh_asid") == 0 && v(&b, "cmd.tlbi_nh_va_range") > 0,
		    "with FEAT_TLBIRANGE the same unmap stays range commands",
		    "unmaps=%g asid=%g range=%g", nb, v(&b, "cmd.tlbi_nh_asid"), v(&b, "cmd.tlbi_nh_va_range"));
	done(&a);
	done(&b);
}

/* v6.19's local upgrade flush still notifies; BTM branches only before v6.11. */
static void test_v619_and_btm(void)
{
	struct out a = run("cpu-upgrade-churn", "notifier", "v6.19", 45, NULL);
	struct out b = run("cpu-upgrade-churn", "notifier", "v6.14", 45, NULL);
	struct out c = run("cpu-upgrade-churn", "notifier", "v6.6", 45, "btm", 1.0, NULL);
	struct out d = run("cpu-upgrade-churn", "notifier", "v6.11", 45, "btm", 1.0, NULL);

	test_result(v(&a, "cpu.upgrades") > 50 &&
		    v(&a, "notifier.calls") == v(&a, "cpu.upgrades") + v(&a, "cpu.downgrades") &&
		    v(&b, "notifier.calls") == v(&b, "cpu.upgrades") + v(&b, "cpu.downgrades"),
		    "v6.19: the CPU-local upgrade flush still notifies, as v6.14's broadcast one",
		    "v6.19 calls=%g upgrades=%g downgrades=%g", v(&a, "notifier.calls"),
		    v(&a, "cpu.upgrades"), v(&a, "cpu.downgrades"));
	test_result(v(&c, "notifier.calls") > 50 && v(&c, "cmd.tlbi_nh_va") == 0 &&
		    v(&d, "cmd.tlbi_nh_va") == v(&d, "notifier.calls"),
		    "btm: the driver skips TLBIs only before v6.11 (d38c28dbefee removed the branches)",
		    "v6.6 tlbi=%g calls=%g; v6.11 tlbi=%g calls=%g", v(&c, "cmd.tlbi_nh_va"),
		    v(&c, "notifier.calls"), v(&d, "cmd.tlbi_nh_va"), v(&d, "notifier.calls"));
	done(&a);
	done(&b);
	done(&c);
	done(&d);
}

/* QEMU never caches a walk that faults: write-first pages then do not livelock. */
static void test_faulting_walk(void)
{
	struct out c = run("rw-reuse", "none", "v6.19", 49, "pattern", "sequential", "write_fraction", 1.0, NULL);
	struct out q = run("rw-reuse", "none", "v6.19", 49, "pattern", "sequential", "write_fraction", 1.0,
			   "cache_faulting_walk", 0.0, NULL);

	test_result(v(&c, "dma.livelocked") > 0 && v(&q, "dma.livelocked") == 0 &&
		    v(&q, "fault.permission") > 0,
		    "cache_faulting_walk: a cached faulting walk livelocks write-first pages under none; QEMU's never-cached does not",
		    "cached: livelocked=%g; not cached: livelocked=%g permission faults=%g",
		    v(&c, "dma.livelocked"), v(&q, "dma.livelocked"), v(&q, "fault.permission"));
	done(&c);
	done(&q);
}

/* describe sim --json: every parameter with a source and a confidence. */
static void test_sources(void)
{
	static const char *const vocab[] = {"measured", "secondary", "assumed", "local", "kernel", "setting"};
	json_t *d = describe_target_json(sim), *p;
	size_t i, n = 0;
	char why[200] = "";

	json_array_foreach(json_object_get(d, "params"), i, p) {
		const char *src = json_string_value(json_object_get(p, "source"));
		const char *conf = json_string_value(json_object_get(p, "confidence"));
		int known = 0;

		for (size_t k = 0; conf && k < sizeof(vocab) / sizeof(*vocab); k++)
			known |= !strcmp(conf, vocab[k]);
		if (!src || !*src || !known)
			snprintf(why, sizeof(why), "%s: source %s, confidence %s",
				 json_string_value(json_object_get(p, "name")), src ? src : "none",
				 conf ? conf : "none");
		else
			n++;
	}
	test_result(d && n == sim->nparams && !why[0],
		    "describe sim --json: every parameter has a source and a known confidence",
		    "%zu of %zu; %s", n, sim->nparams, why);
	json_decref(d);
}

/* Large folios under notifier: THP and contpte upgrades, batched migration. */
static void test_folios(void)
{
	struct out a = run("rw-reuse", "notifier", "v6.19", 53, "reprotect", "writeback", "pages", 1024.0,
			   "folio", "pmd", NULL);
	struct out b = run("rw-reuse", "notifier", "v6.19", 53, "reprotect", "writeback", "pages", 1024.0,
			   "folio", "pmd", "ril", 1.0, NULL);
	struct out c = run("rw-reuse", "notifier", "v6.14", 53, "reprotect", "writeback", "pages", 1024.0,
			   "folio", "pmd", NULL);
	struct out d = run("rw-reuse", "notifier", "v6.14", 53, "reprotect", "writeback", "pages", 64.0,
			   "folio", "contpte", NULL);
	struct out e = run("rw-reuse", "notifier", "v6.11", 53, "reprotect", "writeback", "pages", 64.0,
			   "folio", "contpte", NULL);

	test_result(v(&a, "mm.upgrades") > 10 && v(&a, "cmd.tlbi_nh_asid") == v(&a, "mm.upgrades") &&
		    v(&b, "cmd.tlbi_nh_asid") == 0 && v(&b, "cmd.tlbi_nh_va_range") == v(&b, "mm.upgrades"),
		    "v6.19: a THP upgrade under notifier without RIL is one TLBI_NH_ASID (one range command with RIL)",
		    "upgrades=%g asid=%g; ril: upgrades=%g asid=%g range=%g", v(&a, "mm.upgrades"),
		    v(&a, "cmd.tlbi_nh_asid"), v(&b, "mm.upgrades"), v(&b, "cmd.tlbi_nh_asid"),
		    v(&b, "cmd.tlbi_nh_va_range"));
	test_result(v(&c, "mm.upgrades") > 10 && v(&c, "cmd.tlbi_nh_asid") == 0 &&
		    v(&c, "cmd.tlbi_nh_va") == v(&c, "mm.upgrades") + v(&c, "cpu.downgrades"),
		    "before v6.19 a THP upgrade flushes one page (flush_tlb_page)",
		    "upgrades=%g downgrades=%g va=%g asid=%g", v(&c, "mm.upgrades"),
		    v(&c, "cpu.downgrades"), v(&c, "cmd.tlbi_nh_va"), v(&c, "cmd.tlbi_nh_asid"));
	test_result(v(&d, "mm.upgrades") > 10 &&
		    v(&d, "cmd.tlbi_nh_va") == 16 * v(&d, "mm.upgrades") + v(&d, "cpu.downgrades") &&
		    v(&e, "cmd.tlbi_nh_asid") == v(&e, "mm.upgrades"),
		    "a contpte upgrade flushes its 16-page block: 16 TLBI_NH_VA on v6.14, one TLBI_NH_ASID on v6.11 (empty range)",
		    "v6.14: upgrades=%g va=%g; v6.11: upgrades=%g asid=%g", v(&d, "mm.upgrades"),
		    v(&d, "cmd.tlbi_nh_va"), v(&e, "mm.upgrades"), v(&e, "cmd.tlbi_nh_asid"));
	done(&a);
	done(&b);
	done(&c);
	done(&d);
	done(&e);

	struct out pp = run("cpu-upgrade-churn", "notifier", "v6.14", 55, "pages", 64.0, "folio", "contpte",
			    "migrate_rate_hz", 20000.0, "cpu_upgrade_rate_hz", 0.0, NULL);
	struct out pf = run("cpu-upgrade-churn", "notifier", "v6.14", 55, "pages", 64.0, "folio", "contpte",
			    "migrate_rate_hz", 20000.0, "cpu_upgrade_rate_hz", 0.0, "tlbbatch", "per-folio", NULL);

	test_result(v(&pp, "mm.migrations") > 5 && v(&pp, "notifier.calls") == 16 * v(&pp, "mm.migrations") &&
		    v(&pf, "mm.migrations") > 5 && v(&pf, "notifier.calls") == v(&pf, "mm.migrations") &&
		    v(&pp, "oracle.coherence_violations") == 0 && v(&pf, "oracle.coherence_violations") == 0,
		    "batched migration of a contpte folio: 16 notifier calls per folio (per-page, v6.6), one per folio (per-folio)",
		    "per-page: migrations=%g calls=%g; per-folio: migrations=%g calls=%g",
		    v(&pp, "mm.migrations"), v(&pp, "notifier.calls"), v(&pf, "mm.migrations"),
		    v(&pf, "notifier.calls"));
	done(&pp);
	done(&pf);
}

/*
 * The command queue under the thor-6.8 preset (a CMD_SYNC seen 8.5 us after
 * it is taken): the wait a CPU sees is not queue occupancy, so 8 CPUs get
 * far more than one SYNC per 8.5 us through; each producer makes the
 * others' submissions dearer; a run short of its offered load says so.
 */
static void test_cmdq(void)
{
	preset = target_find_preset(sim, "thor-6.8");
	struct out one = run("cpu-upgrade-churn", "notifier", "v6.19", 51, "cpu_threads", 1.0,
			     "cpu_upgrade_rate_hz", 2000000.0, NULL);
	struct out eight = run("cpu-upgrade-churn", "notifier", "v6.19", 51, "cpu_threads", 8.0,
			       "cpu_upgrade_rate_hz", 2000000.0, NULL);
	struct out light = run("cpu-upgrade-churn", "notifier", "v6.19", 51, "cpu_threads", 8.0,
			       "cpu_upgrade_rate_hz", 50000.0, NULL);
	double w1 = v(&one, "cmdq.sync_wait_ns") / v(&one, "cmd.sync");
	double w8 = v(&eight, "cmdq.sync_wait_ns") / v(&eight, "cmd.sync");
	double c1 = v(&one, "cpu.invalidation_ns") / v(&one, "notifier.calls");
	double c8 = v(&eight, "cpu.invalidation_ns") / v(&eight, "notifier.calls");

	preset = NULL;
	test_result(w1 >= 8500 && w8 < 1.05 * w1 &&
		    v(&eight, "cmd.sync") > 2 * 2000e3 / 8500 && v(&eight, "cmdq.busy_fraction") < 0.5,
		    "thor-6.8: a CMD_SYNC's 8.5 us is what a CPU waits, not queue occupancy; 8 CPUs overlap their waits",
		    "wait per sync 1 CPU %.0f ns, 8 CPUs %.0f ns; syncs with 8 CPUs %g in 2 ms; busy %.3f",
		    w1, w8, v(&eight, "cmd.sync"), v(&eight, "cmdq.busy_fraction"));
	test_result(v(&one, "cmdq.contention_ns") == 0 && v(&eight, "cmdq.contention_ns") > 0 && c8 > c1,
		    "producers contend: per-call invalidation time rises from 1 to 8 CPUs on one queue",
		    "per call: 1 CPU %.0f ns, 8 CPUs %.0f ns; contention %g ns", c1, c8,
		    v(&eight, "cmdq.contention_ns"));
	test_result(v(&one, "load.short") == 1 && v(&one, "load.achieved_ops") == v(&one, "cpu.ops") &&
		    v(&one, "load.offered_ops") > 10 * v(&one, "load.achieved_ops") &&
		    one.res.nexamples > 0 && strstr(one.res.examples[0], "load short") &&
		    v(&one, "cpu.invalidation_ns_per_op") > 0,
		    "a run whose CPU agents fall short of their offered load records both and says so",
		    "short=%g offered=%g achieved=%g example=%s", v(&one, "load.short"),
		    v(&one, "load.offered_ops"), v(&one, "load.achieved_ops"),
		    one.res.nexamples ? one.res.examples[0] : "none");
	test_result(v(&light, "load.short") == 0 &&
		    v(&light, "load.achieved_fraction") > 0.95 && light.res.nexamples == 0,
		    "a run that achieves its offered load is not flagged",
		    "short=%g fraction=%g", v(&light, "load.short"), v(&light, "load.achieved_fraction"));
	done(&one);
	done(&eight);
	done(&light);
}

/* A cell that cannot exist is refused, naming the field. */
static void test_refusals(void)
{
	double p[256];
	char field[64] = "", msg[256] = "";
	int w = target_workload_index(sim, "rw-reuse"), fm = target_param_index(sim, "fault_model");
	int rc1, rc2;

	target_resolve_defaults(sim, w, sim->preset(0), p);
	p[fm] = enum_value(fm, "device");
	rc1 = sim->check_cell(p, field, sizeof(field), msg, sizeof(msg));
	test_result(rc1 == -1 && !strcmp(field, "params.fault_model") && strstr(msg, "ats=true"),
		    "fault_model device without ATS is refused, naming the field", "rc=%d field=%s msg=%s",
		    rc1, field, msg);
	target_resolve_defaults(sim, w, sim->preset(0), p);
	p[target_param_index(sim, "folio")] = enum_value(target_param_index(sim, "folio"), "pmd");
	p[target_param_index(sim, "granule")] = enum_value(target_param_index(sim, "granule"), "64k");
	rc2 = sim->check_cell(p, field, sizeof(field), msg, sizeof(msg));
	test_result(rc2 == -1 && !strcmp(field, "params.folio") && strstr(msg, "4k"),
		    "a large folio with a 64k granule is refused, naming the field", "rc=%d field=%s msg=%s",
		    rc2, field, msg);
}

static void test_determinism(void)
{
	struct out a = run("mixed", "pri-inv", "v6.6", 47, "ats", 1.0, "devices", 2.0, "fault_model", "device", NULL);
	struct out b = run("mixed", "pri-inv", "v6.6", 47, "ats", 1.0, "devices", 2.0, "fault_model", "device", NULL);
	int same = a.m->n == b.m->n;

	for (size_t i = 0; same && i < a.m->n; i++)
		if (strcmp(a.m->v[i].name, "sim.wall_ns") && a.m->v[i].value != b.m->v[i].value)
			same = 0;
	test_result(same && v(&a, "sim.events") > 1000,
		    "kernel v6.6, 2 devices, fault_model device: same spec and seed, identical metrics",
		    "metrics differ");
	done(&a);
	done(&b);
}

int main(void)
{
	sim = target_find("sim");
	if (!sim) {
		test_result(0, "the sim target is registered", "target_find(\"sim\") == NULL");
		return test_exit();
	}
	test_empty_range();
	test_double_invalidation();
	test_per_domain();
	test_fix_a_order();
	test_device_faults();
	test_cpu_tlbi_range();
	test_v619_and_btm();
	test_faulting_walk();
	test_sources();
	test_cmdq();
	test_folios();
	test_refusals();
	test_determinism();
	return test_exit();
}
