/*
 * sim.c - the `sim` target as the rest of svabench sees it: its tables,
 * presets, cross-parameter checks and the entry point into the model.
 */
#include "sim.h"

#include <stdio.h>

static const char *const sim_caps[] = {
	"deterministic", "coherence-oracle", "livelock-detection", "time-series",
	"pmcg", "stall", "pri", "device-faults", "kernel-versions", "ats", "btm", "ril", "httu", "negative-caching",
	NULL,
};

static int sim_available(char *why, size_t len)
{
	snprintf(why, len, "embedded simulator, always available");
	return 1;
}

static long page_bytes(double granule)
{
	return granule == GRAN_64K ? 65536 : granule == GRAN_16K ? 16384 : 4096;
}

static int sim_check_cell(const double *p, char *field, size_t flen,
			  char *msg, size_t mlen)
{
	long pb = page_bytes(p[P_GRANULE]);
	int fm = (int)p[P_FAULT_MODEL];

	if (p[P_TXN_BYTES] > pb) {
		snprintf(field, flen, "params.txn_bytes");
		snprintf(msg, mlen, "txn_bytes %.0f is larger than a %ld-byte page (granule); allowed 64..%ld",
			 p[P_TXN_BYTES], pb, pb);
		return -1;
	}
	if (p[P_ATS] && fm == FM_STALL) {
		snprintf(field, flen, "params.fault_model");
		snprintf(msg, mlen, "fault_model \"stall\" cannot be used with ats=true: ATS devices report faults with PRI; use \"pri\" or \"auto\"");
		return -1;
	}
	if (!p[P_ATS] && fm == FM_PRI) {
		snprintf(field, flen, "params.fault_model");
		snprintf(msg, mlen, "fault_model \"pri\" needs ats=true (PRI is part of ATS); use \"stall\" or \"auto\"");
		return -1;
	}
	if (!p[P_ATS] && fm == FM_DEVICE) {
		snprintf(field, flen, "params.fault_model");
		snprintf(msg, mlen, "fault_model \"device\" needs ats=true (a device that resolves its own faults translates with ATS, without PRI); use \"stall\" or \"auto\"");
		return -1;
	}
	if (p[P_FOLIO] != FOLIO_4K && p[P_GRANULE] != GRAN_4K) {
		snprintf(field, flen, "params.folio");
		snprintf(msg, mlen, "folio \"%s\" is modelled for granule 4k only (contpte = 16 x 4K, pmd = 2 MiB)",
			 p[P_FOLIO] == FOLIO_PMD ? "pmd" : "contpte");
		return -1;
	}
	if (p[P_TLB_WAYS] > p[P_TLB_ENTRIES]) {
		snprintf(field, flen, "params.tlb_ways");
		snprintf(msg, mlen, "tlb_ways %.0f exceeds tlb_entries %.0f", p[P_TLB_WAYS], p[P_TLB_ENTRIES]);
		return -1;
	}
	if (p[P_ATC_WAYS] > p[P_ATC_ENTRIES]) {
		snprintf(field, flen, "params.atc_ways");
		snprintf(msg, mlen, "atc_ways %.0f exceeds atc_entries %.0f", p[P_ATC_WAYS], p[P_ATC_ENTRIES]);
		return -1;
	}
	if (p[P_SMMUS] > p[P_DEVICES]) {
		snprintf(field, flen, "params.smmus");
		snprintf(msg, mlen, "smmus %.0f exceeds devices %.0f: every SMMU needs a bound device",
			 p[P_SMMUS], p[P_DEVICES]);
		return -1;
	}
	if (p[P_SAMPLE_US] > p[P_DURATION_US]) {
		snprintf(field, flen, "params.sample_us");
		snprintf(msg, mlen, "sample_us %.0f exceeds duration_us %.0f", p[P_SAMPLE_US], p[P_DURATION_US]);
		return -1;
	}
	return 0;
}

const struct target sim_target = {
	.name = "sim",
	.description = "embedded SMMUv3/SVA discrete-event simulator (model.md): deterministic, relative answers, not hardware measurements",
	.figures = "sim figures are model outputs, not hardware measurements.",
	.exclusive = 0,
	.capabilities = sim_caps,
	.params = sim_params,
	.nparams = SIM_NPARAMS,
	.param_sources = sim_param_sources,
	.workloads = sim_workloads,
	.nworkloads = SIM_NWORKLOADS,
	.strategies = sim_strategies,
	.nstrategies = SIM_NSTRATEGIES,
	.preset = sim_preset,
	.npresets = sim_npresets,
	.available = sim_available,
	.check_cell = sim_check_cell,
	.run = sim_run,
};
