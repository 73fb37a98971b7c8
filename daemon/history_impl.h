/*
 * history_impl.h - what daemon/history.c (series, change points, JSON,
 * alerts) and daemon/store_history.c (their SQL: loading a workload's
 * history, the alerts table) share. Private to the two.
 */
#ifndef SVABENCH_HISTORY_IMPL_H
#define SVABENCH_HISTORY_IMPL_H

#include "daemon.h"

/* An experiment of a history. */
struct hexp {
	int64_t id;
	char *label;           /* NULL: none */
	int64_t created;       /* Unix ms */
	size_t rank;           /* place in the history's order */
};

/* One run's value in a series. */
struct hval {
	size_t rank;           /* its experiment's rank */
	size_t seq;            /* load order: the runs' plan order within a point */
	double v;
};

/* One (cell, strategy, metric) of a workload's history. */
struct hseries {
	char *cell;            /* canonical JSON (keys sorted) */
	char *strategy;
	int64_t metric;        /* metric name id */
	struct hval *v;        /* by rank, then seq */
	size_t n, cap;
};

struct history {
	struct hexp *exps;     /* by id, ascending */
	size_t nexps;
	struct hexp **order;   /* by rank: label in version order, then creation */
	struct hseries *series; /* by cell, strategy, metric */
	size_t nseries, cap;
};

/*
 * Loads, in one read snapshot, the newest `limit` ended experiments (done
 * or failed) of (target, workload), ranked, and the values of metric ids
 * ids[n] in their done runs of strategy (NULL: every strategy), one series
 * per (cell, strategy, metric); cell (canonical JSON, NULL: every cell)
 * keeps one cell. 0 or a STORE_* code; free h with history_free.
 */
int history_load(struct store *st, const char *target, const char *workload, int limit,
		 const char *strategy, const char *cell, const int64_t *ids, size_t n,
		 struct history *h);
void history_free(struct history *h);

/* A cell's JSON text with its keys sorted (malloc'd); NULL when it is not
 * a JSON object (or memory ran out). */
char *history_canonical_cell(const char *text);

/* The ids of the metrics of the NULL-terminated names the store has seen:
 * ids[k] is found[k]'s, *n of them. 0 or a STORE_* code. */
int history_metric_ids(struct store *st, const char *const *names, int64_t *ids,
		       const char **found, size_t *n);

/* 1 with its target and workload when experiment exp has ended (done or
 * failed), 0 when not (or unknown), or a STORE_* code. */
int history_ended(struct store *st, int64_t exp, char *target, char *workload, size_t len);

#endif
