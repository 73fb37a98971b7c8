/*
 * trace.c - QEMU's trace log (-trace EVENT -D FILE, the "log" backend) as
 * counts: commands by opcode as the SMMU consumed them, and translation
 * work in the PMCG vocabulary. The log has no timestamps unless QEMU adds
 * "pid@sec.usec:" prefixes. QEMU 7.2 names opcodes "SMMU_CMD_SYNC", older
 * ones "CMD_SYNC"; both are read. Phases are cut at marker writes to the edu
 * device's liveness register, which the agents make around what they time.
 */
#include "qemu.h"
#include "../../lib/metrics.h"
#include "../../lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const qemu_cmd_metric[QEMU_NCMDS] = {
	[QC_TLBI_NH_VA] = "cmd.tlbi_nh_va",
	[QC_TLBI_NH_VA_RANGE] = "cmd.tlbi_nh_va_range",
	[QC_TLBI_NH_ASID] = "cmd.tlbi_nh_asid",
	[QC_TLBI_NH_ALL] = "cmd.tlbi_nh_all",
	[QC_ATC_INV] = "cmd.atc_inv",
	[QC_SYNC] = "cmd.sync",
	[QC_RESUME] = "cmd.resume",
	[QC_PRI_RESP] = "cmd.pri_resp",
	[QC_CFGI_CD] = "cmd.cfgi_cd",
	[QC_CFGI_STE] = "cmd.cfgi_ste",
	[QC_OTHER] = "cmd.other",
};

const char *const qemu_trace_events[] = {
	"-trace", "smmuv3_cmdq_opcode",
	"-trace", "smmuv3_s1_range_inval",
	"-trace", "smmuv3_translate_*",
	"-trace", "smmuv3_record_event",
	"-trace", "smmu_iotlb_lookup_*",
	"-trace", "smmu_ptw_level",
	"-trace", "smmuv3_config_cache_hit",
	"-trace", "smmuv3_config_cache_miss",
	"-trace", "memory_region_ops_write",
	NULL,
};

static const struct {
	const char *name;
	enum qemu_cmd cmd;
} opcodes[] = {
	{"CMD_TLBI_NH_VA", QC_TLBI_NH_VA}, /* range or not: decided by smmuv3_s1_range_inval */
	{"CMD_TLBI_NH_ASID", QC_TLBI_NH_ASID},
	{"CMD_TLBI_NH_ALL", QC_TLBI_NH_ALL},
	{"CMD_ATC_INV", QC_ATC_INV},
	{"CMD_SYNC", QC_SYNC},
	{"CMD_RESUME", QC_RESUME},
	{"CMD_PRI_RESP", QC_PRI_RESP},
	{"CMD_CFGI_CD", QC_CFGI_CD},
	{"CMD_CFGI_CD_ALL", QC_CFGI_CD},
	{"CMD_CFGI_STE", QC_CFGI_STE},
	{"CMD_CFGI_STE_RANGE", QC_CFGI_STE},
};

/* "12@1700000000.123456:name args" or "name args": the name and its args. */
static char *event_of(char *line, char **args)
{
	char *p = line, *sp;

	if (*p >= '0' && *p <= '9') {
		char *at = strchr(p, '@'), *colon = at ? strchr(at, ':') : NULL;

		if (colon)
			p = colon + 1;
	}
	sp = strchr(p, ' ');
	if (sp) {
		*sp = '\0';
		*args = sp + 1;
	} else {
		*args = p + strlen(p);
	}
	return p;
}

struct parser {
	struct qemu_phase *ph;
	size_t n, cap;
	int va_pending; /* a CMD_TLBI_NH_VA whose form is not yet known */
};

static struct qemu_counts *cur(struct parser *ps)
{
	return &ps->ph[ps->n - 1].c;
}

static void settle_va(struct parser *ps, int range)
{
	if (!ps->va_pending)
		return;
	cur(ps)->cmd[range ? QC_TLBI_NH_VA_RANGE : QC_TLBI_NH_VA]++;
	ps->va_pending = 0;
}

static int new_phase(struct parser *ps, uint32_t marker)
{
	ps->ph = xgrow(ps->ph, &ps->cap, ps->n, sizeof(*ps->ph));
	memset(&ps->ph[ps->n], 0, sizeof(ps->ph[ps->n]));
	ps->ph[ps->n++].marker = marker;
	return 0;
}

static int line_in(struct parser *ps, char *line)
{
	char *args, *ev = event_of(line, &args);
	struct qemu_counts *c = cur(ps);

	if (!strcmp(ev, "smmuv3_cmdq_opcode")) {
		char *op = strstr(args, "<--- ");
		size_t i;

		settle_va(ps, 0);
		if (!op)
			return 0;
		op += 5;
		if (!strncmp(op, "SMMU_", 5)) /* QEMU 7.2: "SMMU_CMD_SYNC" */
			op += 5;
		op[strcspn(op, " \t")] = '\0';
		for (i = 0; i < sizeof(opcodes) / sizeof(opcodes[0]); i++)
			if (!strcmp(op, opcodes[i].name))
				break;
		if (i == sizeof(opcodes) / sizeof(opcodes[0]))
			c->cmd[QC_OTHER]++;
		else if (opcodes[i].cmd == QC_TLBI_NH_VA)
			ps->va_pending = 1;
		else
			c->cmd[opcodes[i].cmd]++;
	} else if (!strcmp(ev, "smmuv3_s1_range_inval")) {
		/* one line per power-of-two piece of a range; tg=0: one address */
		char *tg = strstr(args, "tg="), *np = strstr(args, "num_pages=");
		int range = tg && atoi(tg + 3) != 0;

		if (range && np)
			c->range_pages += strtoull(np + 10, NULL, 0);
		settle_va(ps, range);
	} else if (!strcmp(ev, "smmuv3_translate_success") ||
		   !strcmp(ev, "smmuv3_translate_abort") ||
		   !strcmp(ev, "smmuv3_translate_bypass") ||
		   !strcmp(ev, "smmuv3_translate_disable")) {
		c->translations++;
	} else if (!strcmp(ev, "smmuv3_record_event")) {
		/* QEMU 7.2 traces no translate_* line for a translation that
		 * faults, only its event record: each is a transaction too */
		c->events++;
		c->translations++;
	} else if (!strcmp(ev, "smmu_iotlb_lookup_hit")) {
		c->iotlb_hit++;
	} else if (!strcmp(ev, "smmu_iotlb_lookup_miss")) {
		c->iotlb_miss++;
	} else if (!strcmp(ev, "smmu_ptw_level")) {
		c->walk_levels++;
	} else if (!strcmp(ev, "smmuv3_config_cache_hit")) {
		c->cfg_hit++;
	} else if (!strcmp(ev, "smmuv3_config_cache_miss")) {
		c->cfg_miss++;
	} else if (!strcmp(ev, "memory_region_ops_write")) {
		/* cpu N mr 0x.. addr 0x4 value 0x5b000001 size 4 name 'edu-mmio' */
		char *a = strstr(args, " addr "), *v = strstr(args, " value "),
		     *nm = strstr(args, " name '");
		unsigned long long addr, val;

		if (!a || !v || !nm || strncmp(nm + 7, "edu", 3))
			return 0;
		addr = strtoull(a + 6, NULL, 0);
		val = strtoull(v + 7, NULL, 0);
		/* addr is absolute: BAR0 (1 MiB, aligned) + the register */
		if ((addr & 0xfffffu) == QEMU_MARK_REG && (val & 0xff000000u) == 0x5b000000u &&
		    (val & 0xffffffu)) {
			settle_va(ps, 0);
			return new_phase(ps, (uint32_t)(val & 0xffffffu));
		}
	}
	return 0;
}

int qemu_trace_parse(const char *path, struct qemu_phase **phases, size_t *n,
		     char *err, size_t elen)
{
	struct parser ps = {0};
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	*phases = NULL;
	*n = 0;
	if (!f) {
		snprintf(err, elen, "cannot read QEMU's trace %s: %s", path, strerror(errno));
		return -1;
	}
	if (new_phase(&ps, 0))
		goto oom;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (line_in(&ps, line))
			goto oom;
	}
	settle_va(&ps, 0);
	free(line);
	fclose(f);
	*phases = ps.ph;
	*n = ps.n;
	return 0;
oom:
	free(line);
	free(ps.ph);
	fclose(f);
	snprintf(err, elen, "out of memory reading QEMU's trace");
	return -1;
}

void qemu_counts_metrics(const struct qemu_counts *c, struct metrics *m)
{
	for (int i = 0; i < QEMU_NCMDS; i++)
		metrics_set(m, qemu_cmd_metric[i], (double)c->cmd[i]);
	metrics_set(m, "pmcg.transaction", (double)c->translations);
	metrics_set(m, "pmcg.tlb_miss", (double)c->iotlb_miss);
	metrics_set(m, "pmcg.trans_table_walk_access", (double)c->walk_levels);
	metrics_set(m, "pmcg.config_cache_miss", (double)c->cfg_miss);
	metrics_set(m, "qemu.iotlb_hit", (double)c->iotlb_hit);
	metrics_set(m, "qemu.config_cache_hit", (double)c->cfg_hit);
	metrics_set(m, "qemu.events", (double)c->events);
	metrics_set(m, "qemu.range_inval_pages", (double)c->range_pages);
}
