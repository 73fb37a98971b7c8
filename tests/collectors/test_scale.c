/*
 * test_scale.c - synthetic reads: collector_scaled is the estimate perf
 * stat prints for a multiplexed counter (value * enabled / running), 0 for
 * one that never ran, with no 64-bit overflow on the product; a group
 * read gives every member the group's one enabled/running, members found
 * by id whatever their order, and a short read is refused.
 */
#include "../harness.h"
#include "../../collectors/internal.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* 1 when got is within a relative 1e-12 of want. */
static int near(double got, double want)
{
	return fabs(got - want) <= 1e-12 * fabs(want);
}

/* A multiplexed group of three read back as the kernel lays it out, ids out of order. */
static void test_group_read(void)
{
	/* nr, time_enabled, time_running, {value, id} x 3 */
	const uint64_t buf[] = { 3, 4000, 1000, 10, 71, 20, 70, 30, 72 };
	const uint64_t ids[] = { 70, 71, 72 };
	const size_t evs[] = { 2, 0, 1 };  /* id 70 is event 2, 71 event 0, 72 event 1 */
	struct collector_event ev[3];
	int i, same = 1;

	memset(ev, 0, sizeof(ev));
	test_result(cl_apply_read(buf, sizeof(buf), 1, ids, evs, 3, ev) == 0,
		    "group read: applied", "refused");
	test_result(ev[0].value == 10 && ev[1].value == 30 && ev[2].value == 20,
		    "group read: members found by id", "values %llu %llu %llu",
		    (unsigned long long)ev[0].value, (unsigned long long)ev[1].value,
		    (unsigned long long)ev[2].value);
	for (i = 0; i < 3; i++)
		same &= ev[i].enabled_ns == 4000 && ev[i].running_ns == 1000;
	test_result(same, "group read: one enabled/running for every member",
		    "times differ");
	test_result(collector_scaled(ev[2].value, ev[2].enabled_ns, ev[2].running_ns) == 80.0,
		    "group read: multiplexed 25% scales x4", "%.17g",
		    collector_scaled(ev[2].value, ev[2].enabled_ns, ev[2].running_ns));
	/* a second read (another CPU) adds up */
	cl_apply_read(buf, sizeof(buf), 1, ids, evs, 3, ev);
	test_result(ev[0].value == 20 && ev[0].enabled_ns == 8000 && ev[0].running_ns == 2000,
		    "group reads of two CPUs add up", "%llu %llu %llu",
		    (unsigned long long)ev[0].value, (unsigned long long)ev[0].enabled_ns,
		    (unsigned long long)ev[0].running_ns);
	test_result(cl_apply_read(buf, sizeof(buf) - 8, 1, ids, evs, 3, ev) < 0,
		    "group read: a short read is refused", "accepted");
	test_result(cl_apply_read(buf, sizeof(buf), 1, ids, evs, 2, ev) < 0,
		    "group read: more members than opened is refused", "accepted");
	memset(ev, 0, sizeof(ev));
	{
		const uint64_t one[] = { 5, 900, 300, 71 };

		test_result(cl_apply_read(one, sizeof(one), 0, ids + 1, evs + 1, 1, ev) == 0 &&
			    ev[0].value == 5 && ev[0].enabled_ns == 900 && ev[0].running_ns == 300,
			    "single read: value, enabled, running", "%llu %llu %llu",
			    (unsigned long long)ev[0].value, (unsigned long long)ev[0].enabled_ns,
			    (unsigned long long)ev[0].running_ns);
	}
}

int main(void)
{
	double s;

	test_group_read();

	s = collector_scaled(1000, 5000000, 5000000);
	test_result(s == 1000.0, "running == enabled: the raw value", "%.17g", s);
	s = collector_scaled(1000, 5000000, 2500000);
	test_result(s == 2000.0, "multiplexed 50%: doubled", "%.17g", s);
	s = collector_scaled(1000, 3000000, 1000000);
	test_result(s == 3000.0, "multiplexed 33%: tripled", "%.17g", s);
	s = collector_scaled(7, 10, 4);
	test_result(s == 17.5, "fractions kept: 7 * 10 / 4 = 17.5", "%.17g", s);
	s = collector_scaled(1000, 5000000, 0);
	test_result(s == 0.0, "never running: 0", "%.17g", s);
	s = collector_scaled(0, 0, 0);
	test_result(s == 0.0, "never enabled: 0", "%.17g", s);
	s = collector_scaled(1000, 1000, 1001);
	test_result(s == 1000.0, "running past enabled (rounding in the kernel): the raw value",
		    "%.17g", s);

	/* value * enabled is past 2^64 here: 2^62 * 3e12 */
	s = collector_scaled(UINT64_C(1) << 62, UINT64_C(3000000000000), UINT64_C(1000000000000));
	test_result(near(s, 3.0 * 4611686018427387904.0), "large value x3: no overflow",
		    "%.17g, want %.17g", s, 3.0 * 4611686018427387904.0);
	s = collector_scaled(UINT64_MAX / 2, UINT64_C(1) << 40, UINT64_C(1) << 39);
	test_result(near(s, (double)(UINT64_MAX / 2) * 2.0), "near UINT64_MAX / 2, 50%: doubled",
		    "%.17g", s);
	s = collector_scaled(UINT64_MAX, UINT64_MAX, UINT64_MAX / 4);
	test_result(near(s, 4.0 * 18446744073709551615.0), "everything at UINT64_MAX: x4",
		    "%.17g", s);
	return test_exit();
}
