/*
 * vocab.h - the metric vocabulary and the strategies' roles, in one place
 * (api.md's metric names; issue 13 item 2). Every view reads it: the
 * comparison's default metrics, the run/show table's columns, the report's
 * rows, /metrics' families, the history alerts, the dashboard (through
 * `describe`: GET /api/v1/targets "metrics" and "strategies"). Adding a
 * metric is one entry in vocab.c.
 *
 * The lowest layer (lib/), beside metrics.h.
 */
#ifndef SVABENCH_VOCAB_H
#define SVABENCH_VOCAB_H

#include <stddef.h>

enum metric_direction {
	METRIC_LOWER,   /* a cost: less is better */
	METRIC_HIGHER,  /* work done: more is better */
	METRIC_NONE,    /* a fact about the run; compared as a cost when asked */
};

/* The views that list a metric (struct metric_info.views). */
enum metric_view {
	VIEW_COMPARE = 1 << 0, /* the comparison's default metrics */
	VIEW_TABLE = 1 << 1,   /* a column of `svabench run`/`show`'s table */
	VIEW_REPORT = 1 << 2,  /* a row of the report's tables */
	VIEW_PROM = 1 << 3,    /* a family of GET /metrics */
	VIEW_ALERTS = 1 << 4,  /* checked for change points when an experiment ends */
	VIEW_HISTORY = 1 << 5, /* offered on the dashboard's history page */
	VIEW_PLOTS = 1 << 6,   /* the dashboard's first comparison plots */
	VIEW_PAGE = 1 << 7,    /* the dashboard experiment page's cell tables */
};
#define VIEW_COUNT 8

#define METRIC_PARTS_MAX 4

struct metric_info {
	const char *name;          /* a name, or an fnmatch(3) pattern ("perf.*") */
	const char *unit;          /* of the stored value: "ns", "B/s", "count", ... */
	enum metric_direction direction;
	double scale;              /* displayed = value / scale */
	const char *display_unit;  /* the unit after scaling */
	unsigned views;            /* enum metric_view */
	const char *column;        /* the table's head (VIEW_TABLE) */
	int keep;                  /* the table: the higher, the later it is hidden for width */
	const char *short_name;    /* the row name in the report and the dashboard; NULL: name */
	int correctness;           /* a count that must be 0: any makes the strategy broken */
	int headline;              /* rank as the headline metric (1 first); 0: never */
	const char *parts[METRIC_PARTS_MAX]; /* derived: the sum of these (NULL-terminated) */
	const char *prom;          /* the /metrics family (VIEW_PROM) */
	const char *help;
};

/* The vocabulary, in its one order (correctness, costs, work, detail). */
size_t vocab_metric_count(void);
const struct metric_info *vocab_metric_at(size_t i);
/* The entry of a metric name: exact, else the first pattern it matches; NULL: unknown. */
const struct metric_info *vocab_metric(const char *name);
/* The i-th metric (in vocabulary order) listed by view, NULL past the end. */
const struct metric_info *vocab_view_at(unsigned view, size_t i);
size_t vocab_view_count(unsigned view);
/* The name a view's bit has in describe ("compare", "table", ...). */
const char *vocab_view_name(unsigned view);
/* "lower" / "higher" / "none" */
const char *vocab_direction_name(enum metric_direction d);
/* The row name: short_name, else the name. */
const char *vocab_short(const char *name);
/* 1 when the metric counts what makes a strategy broken. */
int vocab_is_correctness(const char *name);
/* The table's ratio head of a column ("cost us/op" -> "cost"), into buf. */
void vocab_column_stem(const struct metric_info *m, char *buf, size_t len);

/* What a strategy is in the seed thread's story. */
struct strategy_role {
	const char *name;
	const char *role;     /* "fix", "baseline" (the bug), "broken variant" */
	const char *fix;      /* "A", "B"; NULL: none */
	const char *label;    /* "Fix A", "Fix B", "the bug"; NULL: none */
	const char *colour;   /* "#rrggbb", the same in every plot and page */
	int reference;        /* the comparison's default baseline when listed */
};

size_t vocab_strategy_count(void);
const struct strategy_role *vocab_strategy_at(size_t i);
/* The role of a strategy by name; NULL for a target's own (host, qemu linux). */
const struct strategy_role *vocab_strategy(const char *name);
/* Wrong on purpose (the bug, a broken variant): never a default baseline. */
int vocab_strategy_incorrect(const char *name);
/* Colours for strategies without a role, in turn. */
size_t vocab_other_colour_count(void);
const char *vocab_other_colour(size_t i);

#endif
