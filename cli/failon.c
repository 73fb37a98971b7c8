/*
 * failon.c - `compare|report --fail-on broken|worse` for CI: after the
 * output, exit EXIT_GATE when a comparison holds what the gate names:
 * "broken" - a strategy livelocked or broke coherence in some cell (or the
 * comparison's verdict says broken); "worse" - a strategy's verdict is
 * worse than the baseline's on some metric in some cell. The first such
 * finding is named on stderr.
 */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_fail_on_parse(const char *cmd, const char *value, int *flags)
{
	char buf[64], *tok, *save = NULL;

	if (!value || strlen(value) >= sizeof(buf)) {
		cli_error("%s: --fail-on needs broken, worse or broken,worse", cmd);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "broken")) {
			*flags |= FAIL_ON_BROKEN;
		} else if (!strcmp(tok, "worse")) {
			*flags |= FAIL_ON_WORSE;
		} else {
			cli_error("%s: --fail-on: unknown condition '%s' (broken, worse, or both "
				  "as broken,worse)", cmd, tok);
			return -1;
		}
	}
	if (!*flags) {
		cli_error("%s: --fail-on needs broken, worse or broken,worse", cmd);
		return -1;
	}
	return 0;
}

static double num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* 1 when entry e of metric m says the strategy is broken in its cell. */
static int entry_broken(const char *m, const json_t *e)
{
	const char *v = json_string_value(json_object_get(e, "verdict"));
	double worst = json_object_get(e, "max") ? num(json_object_get(e, "max"))
		       : num(json_object_get(e, "median"));

	if (v && !strcmp(v, "broken"))
		return 1;
	return vocab_is_correctness(m) && worst > 0;
}

int cli_fail_on_check(const json_t *cmp, int flags)
{
	const json_t *cell, *per, *e;
	const char *strategy, *metric;
	size_t i;

	if (!flags)
		return EXIT_OK;
	json_array_foreach(json_object_get(cmp, "cells"), i, cell) {
		json_object_foreach(json_object_get(cell, "strategies"), strategy, per) {
			json_object_foreach((json_t *)per, metric, e) {
				const char *v = json_string_value(json_object_get(e, "verdict"));
				char *where = json_dumps(json_object_get(cell, "cell"), JSON_COMPACT);
				int hit = 0;

				if ((flags & FAIL_ON_BROKEN) && entry_broken(metric, e)) {
					cli_error("--fail-on broken: %s is broken in cell %zu %s (%s)",
						  strategy, i + 1, where ? where : "", metric);
					hit = 1;
				} else if ((flags & FAIL_ON_WORSE) && v && !strcmp(v, "worse")) {
					cli_error("--fail-on worse: %s is worse than %s on %s in cell "
						  "%zu %s (ratio %.3g)", strategy,
						  json_string_value(json_object_get(cmp, "baseline")),
						  metric, i + 1, where ? where : "",
						  num(json_object_get(e, "ratio")));
					hit = 1;
				}
				free(where);
				if (hit)
					return EXIT_GATE;
			}
		}
	}
	return EXIT_OK;
}
