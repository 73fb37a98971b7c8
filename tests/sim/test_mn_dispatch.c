/*
 * test_mn_dispatch.c - the sim's mn_dispatch_ns (the mmu-notifier chain's
 * own dispatch, measured by `svabench calibrate` with the host target's
 * secondary-mmu strategy): each secondary-TLB invalidation of the mm costs
 * exactly that much more CPU time, under Fix B and under the bug alike (the
 * SVA notifier is registered either way), and 0, the default, changes
 * nothing.
 */
#include "../../core/core.h"
#include "../harness.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* cpu.invalidation_ns per notifier call, and the metrics count, of one run. */
static int run(const char *wl, const char *strategy, const char *extra, double *per_call, double *inv)
{
	char text[512];
	struct spec_error e;
	struct spec *s;
	struct results *r;
	struct runner_opts ro = {.jobs = 1};
	char msg[128];
	double calls = 0;
	int ok;

	snprintf(text, sizeof(text),
		 "{\"workload\": \"%s\", \"strategies\": [\"%s\"], \"params\": {\"duration_us\": 500%s}}", wl,
		 strategy, extra);
	s = spec_parse(text, strlen(text), &e);
	if (!s)
		return -1;
	r = results_new(s);
	ok = r && !runner_run(r, &ro, msg, sizeof(msg)) && r->ndone == 1 &&
	     results_value(r, 0, "notifier.calls", &calls) == 1 &&
	     results_value(r, 0, "cpu.invalidation_ns", inv) == 1 && calls > 0;
	*per_call = ok ? *inv / calls : -1;
	results_free(r);
	spec_free(s);
	return ok ? 0 : -1;
}

int main(void)
{
	static const char *const wls[] = {"mprotect-toggle", "munmap-large", "cpu-upgrade-churn"};
	static const char *const sts[] = {"notifier", "none"};
	char name[200];

	for (size_t w = 0; w < sizeof(wls) / sizeof(wls[0]); w++) {
		for (size_t k = 0; k < 2; k++) {
			double a, b, c, inv_a, inv_b, inv_c;
			int ra = run(wls[w], sts[k], "", &a, &inv_a);
			int rb = run(wls[w], sts[k], ", \"mn_dispatch_ns\": 0", &b, &inv_b);
			int rc = run(wls[w], sts[k], ", \"mn_dispatch_ns\": 500", &c, &inv_c);

			snprintf(name, sizeof(name), "%s / %s: mn_dispatch_ns 0 (the default) changes nothing",
				 wls[w], sts[k]);
			test_result(!ra && !rb && inv_a == inv_b, name, "invalidation %g vs %g ns", inv_a, inv_b);
			snprintf(name, sizeof(name),
				 "%s / %s: mn_dispatch_ns 500 adds 500 ns to each notifier call's CPU time",
				 wls[w], sts[k]);
			test_result(!rc && fabs(c - a - 500) <= 10, name, "%g ns per call, %g without", c, a);
		}
	}
	return test_exit();
}
