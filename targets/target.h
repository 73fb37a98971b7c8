/*
 * target.h - the interface every svabench target implements.
 *
 * A target is where workloads run: the embedded simulator (`sim`), QEMU's
 * SMMUv3, a real host. Each declares one parameter table that is the single
 * source for validation, defaults and `describe`; presets supply calibrated
 * values with their sources; a run is one cell x one strategy x one seed.
 */
#ifndef SVABENCH_TARGET_H
#define SVABENCH_TARGET_H

#include <stddef.h>
#include <stdint.h>

struct metrics;

enum param_type {
	PARAM_BOOL,
	PARAM_INT,
	PARAM_REAL,
	PARAM_ENUM,
};

/*
 * One row of a target's parameter table. Every value is carried as a double:
 * booleans as 0/1, integers exactly (ranges stay below 2^53), enums as the
 * index into `choices`.
 */
struct param_def {
	const char *name;
	enum param_type type;
	double min, max;            /* inclusive, INT and REAL */
	double def;                 /* default; ENUM: index into choices */
	const char *const *choices; /* ENUM: NULL-terminated */
	const char *unit;           /* "pages", "ns", "Hz", "B/ns", "" */
	const char *group;          /* "run", "mm", "cpu", "device", "smmu", "host" */
	const char *help;
};

/*
 * Where a parameter's table default comes from. confidence is a preset's
 * vocabulary (measured | secondary | assumed | local), or "kernel" (read in
 * the kernel's code) or "setting" (what to run, not a claim about
 * hardware). A preset that sets the parameter replaces both (describe).
 */
struct param_source {
	const char *source;
	const char *confidence;
};

/* A workload's own default for one parameter (overrides the table's). */
struct param_override {
	const char *name;
	double value;
};

struct workload_def {
	const char *name;
	const char *help;
	const struct param_override *defaults; /* terminated by {NULL, 0} */
};

struct strategy_def {
	const char *name;
	const char *help;
};

/* One calibrated value of a preset, with where it comes from. */
struct preset_value {
	char *param;
	double value;
	char *source;
	char *confidence; /* measured | secondary | assumed | local */
};

struct preset {
	char *name;
	char *description;
	struct preset_value *values;
	size_t nvalues;
};

/* What one run needs: the resolved values of every parameter, in table order. */
struct run_req {
	int workload;         /* index into the target's workloads */
	int strategy;         /* index into the target's strategies */
	const double *params; /* nparams values, defaults and preset applied */
	uint64_t seed;
};

/*
 * Where a running target reports. `sample` receives a snapshot of every
 * counter at simulated/real time t_ns; `progress` a fraction in [0,1]. Either
 * may be NULL. A target must not keep the pointers after run() returns.
 */
struct run_sink {
	void *ctx;
	void (*sample)(void *ctx, uint64_t t_ns, const struct metrics *m);
	void (*progress)(void *ctx, double frac);
	/*
	 * Optional (may be NULL). A target that times operations calls
	 * window(ctx, 1) just before and window(ctx, 0) just after each span of
	 * timed operations, never around its preparation, so the spec's
	 * counters cover the timed work only. A target that never calls it is
	 * counted over the whole run.
	 */
	void (*window)(void *ctx, int on);
};

#define RUN_EXAMPLES_MAX 8

/* What a run leaves: final metrics and a few human-readable examples. */
struct run_result {
	struct metrics *metrics;  /* owned by the caller, filled by the target */
	char reason[256];         /* why a run failed, or "" */
	char examples[RUN_EXAMPLES_MAX][200]; /* oracle / livelock examples */
	int nexamples;
};

struct target {
	const char *name;
	const char *description;
	/* What its figures are, one sentence for tables and reports. */
	const char *figures;
	/*
	 * 1 when runs of this target must not share the machine with any other
	 * run (real-kernel timings: host); the offline runner then runs them one
	 * at a time whatever --jobs says and the daemon runs nothing beside
	 * one. 0 when runs may overlap (sim, qemu: their figures do not depend
	 * on the machine's load).
	 */
	int exclusive;
	const char *const *capabilities; /* NULL-terminated */
	const struct param_def *params;
	size_t nparams;
	const struct param_source *param_sources; /* nparams entries, or NULL */
	const struct workload_def *workloads;
	size_t nworkloads;
	const struct strategy_def *strategies;
	size_t nstrategies;

	/* Presets known to the target; index 0 is the default one. */
	const struct preset *(*preset)(size_t i);
	size_t (*npresets)(void);

	/* 1 when the target can run here; else 0 with the reason in why. */
	int (*available)(char *why, size_t len);

	/*
	 * Checks relations between parameters of one resolved cell (e.g. a
	 * transaction larger than a page). 0 when fine; else -1 with the
	 * offending parameter's name in field and a message in msg.
	 */
	int (*check_cell)(const double *params, char *field, size_t flen,
			  char *msg, size_t mlen);

	/*
	 * Optional: 0 when strategy i can run on this machine; else -1 with the
	 * reason in msg. A spec naming such a strategy is refused; a spec that
	 * names none gets only the strategies that can run.
	 */
	int (*check_strategy)(int strategy, char *msg, size_t mlen);

	/*
	 * Optional: 0 when strategy can run workload (on this machine); else -1
	 * with the reason in msg. Like check_strategy: a spec naming such a
	 * pair is refused, a spec naming no strategy gets those that can run.
	 */
	int (*check_combo)(int workload, int strategy, char *msg, size_t mlen);

	/*
	 * Runs one cell with one strategy and one seed, to completion. Returns 0
	 * when the run completed (a detected livelock is a completed run), -1
	 * when it failed (reason set in res->reason).
	 */
	int (*run)(const struct run_req *req, const struct run_sink *sink,
		   struct run_result *res);

	/*
	 * Optional (NULL when the target has nothing to detect): a JSON object
	 * saying what the target found on this machine, each item present or
	 * unavailable with the reason. The caller owns the result; NULL on OOM.
	 */
	struct json_t *(*detect)(void);
};

/* The registry of built-in targets. */
const struct target *target_find(const char *name);
const struct target *target_at(size_t i);
size_t target_count(void);

/* Index of a parameter / workload / strategy by name, or -1. */
int target_param_index(const struct target *t, const char *name);
int target_workload_index(const struct target *t, const char *name);
int target_strategy_index(const struct target *t, const char *name);
const struct preset *target_find_preset(const struct target *t, const char *name);

/*
 * Fills out[nparams] with the values a run uses before the spec's own
 * params: table default, then preset, then the workload's override.
 */
void target_resolve_defaults(const struct target *t, int workload,
			     const struct preset *p, double *out);

/* Formats a parameter value as the user writes it ("4k", "true", "512"). */
void target_format_value(const struct param_def *d, double v, char *buf, size_t len);

#endif
