/*
 * test_registry.c - every target's tables are whole: each parameter,
 * workload and strategy slot has a name (an enum-indexed table with a
 * missing row leaves a NULL name behind), names are unique within their
 * table, each has help text, and each parameter's default lies in its range.
 */
#include "../harness.h"
#include "../../targets/target.h"

#include <stdio.h>
#include <string.h>

static int unique(const char *const *names, size_t n, char *dup, size_t len)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (names[i] && names[j] && !strcmp(names[i], names[j])) {
				snprintf(dup, len, "%s twice (%zu and %zu)", names[i], i, j);
				return 0;
			}
	return 1;
}

static void check_target(const struct target *t)
{
	const char *names[256];
	char why[256] = "", name[128];
	int ok = 1;

	snprintf(name, sizeof(name), "%s: every parameter slot named, with help, default in range", t->name);
	for (size_t i = 0; i < t->nparams && ok; i++) {
		const struct param_def *d = &t->params[i];

		if (!d->name || !*d->name) {
			snprintf(why, sizeof(why), "slot %zu has no name", i);
			ok = 0;
		} else if (!d->help || !*d->help) {
			snprintf(why, sizeof(why), "%s has no help", d->name);
			ok = 0;
		} else if ((d->type == PARAM_INT || d->type == PARAM_REAL) &&
			   (d->def < d->min || d->def > d->max)) {
			snprintf(why, sizeof(why), "%s: default %g outside %g..%g", d->name, d->def, d->min, d->max);
			ok = 0;
		} else if (d->type == PARAM_ENUM && !d->choices) {
			snprintf(why, sizeof(why), "%s: an enum without choices", d->name);
			ok = 0;
		}
		if (i < 256)
			names[i] = d->name;
	}
	if (ok && t->nparams <= 256 && !unique(names, t->nparams, why, sizeof(why)))
		ok = 0;
	test_result(ok, name, "%s", why);

	ok = 1;
	snprintf(name, sizeof(name), "%s: every workload and strategy slot named, with help", t->name);
	for (size_t i = 0; i < t->nworkloads && ok; i++) {
		if (!t->workloads[i].name || !t->workloads[i].help) {
			snprintf(why, sizeof(why), "workload slot %zu has no name or help", i);
			ok = 0;
		}
		if (i < 256)
			names[i] = t->workloads[i].name;
	}
	if (ok && t->nworkloads <= 256 && !unique(names, t->nworkloads, why, sizeof(why)))
		ok = 0;
	for (size_t i = 0; i < t->nstrategies && ok; i++) {
		if (!t->strategies[i].name || !t->strategies[i].help) {
			snprintf(why, sizeof(why), "strategy slot %zu has no name or help", i);
			ok = 0;
		}
		if (i < 256)
			names[i] = t->strategies[i].name;
	}
	if (ok && t->nstrategies <= 256 && !unique(names, t->nstrategies, why, sizeof(why)))
		ok = 0;
	test_result(ok, name, "%s", why);
}

int main(void)
{
	size_t n = target_count();

	test_result(n >= 3, "the registry holds sim, qemu and host", "%zu targets", n);
	for (size_t i = 0; i < n; i++)
		check_target(target_at(i));
	return test_exit();
}
