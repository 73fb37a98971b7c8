/*
 * cost.c - the end-to-end cost of a run in one currency, nanoseconds
 * (docs/verdicts.md, "Cost metrics", says exactly what each one counts):
 *
 *   cost.cpu_ns     CPU time spent because of invalidation and device faults:
 *                   every secondary-TLB invalidation the CPU issued and
 *                   waited for (cpu.invalidation_ns: notifier calls,
 *                   range_end, Fix A's commands in the fault handler) plus
 *                   the IOPF handler's time per fault (host.fault_handling_ns:
 *                   handle_mm_fault and the response; its invalidation part
 *                   host.fault_invalidation_ns is counted once).
 *   cost.device_ns  device time lost to faults: per transaction that faulted,
 *                   from its first attempt to the attempt that translated
 *                   (stall or PRI round trips, spurious faults included), or
 *                   to its abort when it livelocked; summed over transactions
 *                   (transaction-ns: overlapping stalls of several slots add).
 *   cost.total_ns   cost.cpu_ns + cost.device_ns.
 *   cost.ops        the work done: cpu.ops + dma.transactions.
 *   cost.*_per_op   each of the three divided by cost.ops (null without
 *                   work), so cost.total_ns_per_op = cost.cpu_ns_per_op +
 *                   cost.device_ns_per_op and runs that did unequal work
 *                   compare on equal terms.
 */
#include "model.h"

int sim_cost_values(const struct counters *c, const char **names, double *v, int *null)
{
	double cpu = (double)c->cpu_invalidation_ns + (double)c->host_fault_ns -
		     (double)c->host_fault_inv_ns;
	double dev = (double)c->cost_device_ns, ops = (double)c->cpu_ops + (double)c->dma_transactions;
	static const char *const name[SIM_COST_METRICS] = {
		"cost.cpu_ns", "cost.total_ns", "cost.ops",
		"cost.cpu_ns_per_op", "cost.device_ns_per_op", "cost.total_ns_per_op",
	};
	double per[3] = {cpu, dev, cpu + dev};

	v[0] = cpu;
	v[1] = cpu + dev;
	v[2] = ops;
	for (int k = 0; k < 3; k++)
		v[3 + k] = ops > 0 ? per[k] / ops : 0;
	for (int k = 0; k < SIM_COST_METRICS; k++) {
		names[k] = name[k];
		null[k] = k >= 3 && !(ops > 0);
	}
	return SIM_COST_METRICS;
}
