/*
 * metrics.h - a flat, ordered set of named numbers (api.md's metric
 * vocabulary: lowercase, dotted, unit as suffix). A value may be null (the
 * metric exists in the vocabulary but has no value for this run).
 *
 * The lowest layer (lib/, see scripts/check-layers.sh): included by
 * core/core.h; targets and collectors include it directly to report.
 */
#ifndef SVABENCH_METRICS_H
#define SVABENCH_METRICS_H

#include <stddef.h>

#define METRIC_NAME_MAX 192

struct metric {
	char name[METRIC_NAME_MAX];
	double value;
	int is_null;
};

/* Owns its array; names are copied. */
struct metrics {
	struct metric *v;
	size_t n, cap;
};

/* An empty set (dies on OOM, like every allocation here). */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* Forgets every value but keeps the storage. */
void metrics_clear(struct metrics *m);
/* Sets (adding when new, in insertion order) a value. */
void metrics_set(struct metrics *m, const char *name, double value);
void metrics_set_null(struct metrics *m, const char *name);
/*
 * Appends name without looking for it: the caller knows it is not there
 * (a report that cleared m and names each metric once). O(1), where
 * metrics_set searches.
 */
void metrics_append(struct metrics *m, const char *name, double value, int is_null);
/* The metric named so, or NULL. */
const struct metric *metrics_get(const struct metrics *m, const char *name);
/* The value, or `dflt` when absent or null. */
double metrics_value(const struct metrics *m, const char *name, double dflt);

#endif
