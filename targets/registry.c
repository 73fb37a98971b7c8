/*
 * registry.c - the built-in targets and the lookups every caller shares:
 * names to indexes, and how a run's parameter values are resolved
 * (table default < preset < workload default < spec).
 */
#include "target.h"
#include "host/host.h"
#include "qemu/qemu.h"
#include "sim/sim.h"

#include <stdio.h>
#include <string.h>

static const struct target *const targets[] = {
	&sim_target,
	&host_target,
	&qemu_target,
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

const struct target *target_find(const char *name)
{
	for (size_t i = 0; i < NTARGETS; i++)
		if (!strcmp(targets[i]->name, name))
			return targets[i];
	return NULL;
}

const struct target *target_at(size_t i)
{
	return i < NTARGETS ? targets[i] : NULL;
}

size_t target_count(void)
{
	return NTARGETS;
}

int target_param_index(const struct target *t, const char *name)
{
	for (size_t i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].name, name))
			return (int)i;
	return -1;
}

int target_workload_index(const struct target *t, const char *name)
{
	for (size_t i = 0; i < t->nworkloads; i++)
		if (!strcmp(t->workloads[i].name, name))
			return (int)i;
	return -1;
}

int target_strategy_index(const struct target *t, const char *name)
{
	for (size_t i = 0; i < t->nstrategies; i++)
		if (!strcmp(t->strategies[i].name, name))
			return (int)i;
	return -1;
}

const struct preset *target_find_preset(const struct target *t, const char *name)
{
	for (size_t i = 0; i < t->npresets(); i++)
		if (!strcmp(t->preset(i)->name, name))
			return t->preset(i);
	return NULL;
}

void target_resolve_defaults(const struct target *t, int workload,
			     const struct preset *p, double *out)
{
	for (size_t i = 0; i < t->nparams; i++)
		out[i] = t->params[i].def;
	if (p) {
		for (size_t i = 0; i < p->nvalues; i++) {
			int k = target_param_index(t, p->values[i].param);

			if (k >= 0)
				out[k] = p->values[i].value;
		}
	}
	if (workload >= 0) {
		const struct param_override *o = t->workloads[workload].defaults;

		for (; o && o->name; o++) {
			int k = target_param_index(t, o->name);

			if (k >= 0)
				out[k] = o->value;
		}
	}
}

void target_format_value(const struct param_def *d, double v, char *buf, size_t len)
{
	switch (d->type) {
	case PARAM_BOOL:
		snprintf(buf, len, "%s", v != 0 ? "true" : "false");
		break;
	case PARAM_INT:
		snprintf(buf, len, "%.0f", v);
		break;
	case PARAM_REAL:
		snprintf(buf, len, "%g", v);
		break;
	case PARAM_ENUM:
		snprintf(buf, len, "%s", d->choices[(int)v]);
		break;
	}
}
