/*
 * task.h - work the daemon keeps out of its own process: collector
 * probing, calibration and robustness analyses run as job kinds of a
 * worker process (svabenchd --worker, the same isolation as a run: own
 * process group, dies with its starter, killed whole at the timeout).
 * The daemon's threads never call perf_event_open, mount tracefs or run
 * host workloads themselves; they start a worker and wait for its answer.
 *
 * A task job is one JSON line {"kind": K, ...} on the worker's stdin:
 *   "collectors"                      -> {"collectors": [...]} (every event)
 *   "probe", "events": [names]        -> {"probe": [...]} (as host.collectors)
 *   "calibrate", "out", "name", "iterations" -> {} or {"error"}
 *   "robustness", "spec", "id", "options"    -> {"result"} or {"error"},
 *                                        {"progress": {"done", "planned"}} before
 * Answers come as WF_JSON frames: {"task": ANSWER}, progress as {"progress": ...}.
 */
#ifndef SVABENCH_DAEMON_TASK_H
#define SVABENCH_DAEMON_TASK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum task_kind { TASK_COLLECTORS, TASK_PROBE, TASK_CALIBRATE, TASK_ROBUSTNESS, TASK_KINDS };

extern const char *const task_kind_names[TASK_KINDS];

struct config;

/* Where task workers come from and what counts them (owned by the
 * scheduler: scheduler_tasks). */
struct task_env {
	const struct config *cfg;  /* the worker's --var (its presets) and --run-timeout */
	char exe[4096];            /* /proc/self/exe, read once when the daemon starts */
	_Atomic int64_t done[TASK_KINDS], failed[TASK_KINDS]; /* tasks ended: /metrics */
};

/*
 * Runs job (its "kind" one of the above) in a worker process under
 * --run-timeout: 0 with the answer in *answer (the caller's), or -1 with why
 * in err (the worker could not start, crashed, timed out, or answered
 * nothing). A non-zero *cancel (may be NULL) kills it (the daemon stops). progress (may be NULL) is called per progress frame.
 */
int task_run(struct task_env *env, const json_t *job, const _Atomic int *cancel,
	     void (*progress)(void *ctx, long done, long planned), void *ctx, json_t **answer,
	     char *err, size_t elen);

/* In the worker: runs a task job and writes its frames; for worker.c. */
void worker_task(json_t *job);
/* worker.c's frame writer (WF_JSON), shared with worker_task. */
void worker_emit(json_t *line);

#endif
