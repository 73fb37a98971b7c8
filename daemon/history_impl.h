/*
 * history_impl.h - what daemon/history.c (series, change points, JSON,
 * alerts), daemon/history_config.c (the configuration key) and
 * daemon/store_history.c (their SQL) share. Private to them (and tests).
 */
#ifndef SVABENCH_HISTORY_IMPL_H
#define SVABENCH_HISTORY_IMPL_H

#include "daemon.h"

/* An experiment of a history. */
struct hexp {
	int64_t id;
	char *label;           /* NULL: none */
	char *version;         /* kernel.version, NULL: unknown (the label orders it) */
	char *config_id;       /* its configuration */
	char *config;          /* the configuration as JSON text */
	int64_t created;       /* Unix ms */
	int imported;          /* imported from a result document */
	size_t rank;           /* place in the history's order */
};

/* One run's value in a series. */
struct hval {
	size_t rank;           /* its experiment's rank */
	size_t seq;            /* load order: the runs' plan order within a point */
	double v;
};

/* One (configuration, cell, strategy, metric): a series. */
struct hseries {
	const char *config_id; /* borrowed from an experiment of the history */
	char *cell;            /* canonical JSON (keys sorted) */
	char *strategy;
	int64_t metric;        /* metric name id */
	struct hval *v;        /* by rank, then seq */
	size_t n, cap;
};

struct history {
	struct hexp *exps;     /* by id, ascending */
	size_t nexps;
	struct hexp **order;   /* by rank: version order, then creation */
	struct hseries *series; /* by configuration, cell, strategy, metric */
	size_t nseries, cap;
};

/* Which experiments a history holds. Strings borrowed; NULL: any. */
struct history_filter {
	const char *target, *workload; /* used when config is NULL */
	const char *config;    /* a configuration id */
	int limit;             /* newest ended experiments */
	const char *strategy;
	const char *cell;      /* canonical JSON */
};

/*
 * Loads, in one read snapshot, the newest f->limit ended experiments (done
 * or failed) of f's configuration (or of its target and workload, every
 * configuration), ranked, and the values of metric ids ids[n] in their done
 * runs, one series per (configuration, cell, strategy, metric). 0 or a
 * STORE_* code; free h with history_free.
 */
int history_load(struct store *st, const struct history_filter *f, const int64_t *ids,
		 size_t n, struct history *h);
void history_free(struct history *h);

/*
 * The order of history labels and kernel versions: a total order (dpkg's
 * version order once "-rc", "-pre", "-alpha", "-beta" are read as "~"
 * pre-releases: v6.6-rc1 < v6.6 < v6.6-next < v6.6.1 < v6.10), ties broken
 * by the bytes, so any input order sorts the same.
 */
int history_label_cmp(const char *a, const char *b);

/* A cell's JSON text with its keys sorted (malloc'd); NULL when it is not
 * a JSON object (or memory ran out). */
char *history_canonical_cell(const char *text);

/* The ids of the metrics of the NULL-terminated names the store has seen:
 * ids[k] is found[k]'s, *n of them. 0 or a STORE_* code. */
int history_metric_ids(struct store *st, const char *const *names, int64_t *ids,
		       const char **found, size_t *n);

/* 1 with its configuration id (17 bytes) when experiment exp has ended
 * (done or failed), 0 when not (or unknown), or a STORE_* code. */
int history_ended(struct store *st, int64_t exp, char *config_id, size_t len);

/* ---- history_config.c ---- */

/* The configuration of sp whose preset document is preset (as stored):
 * canonical JSON text (malloc'd, NULL on OOM) and its id. */
char *history_config_text(const struct spec *sp, const json_t *preset, char id[17]);
/* Sets exp's configuration and kernel (from the spec, else for host and
 * qemu from host_text's "kernel", uname's release); the caller holds the
 * writer (in a transaction). */
int history_config_set(struct store *st, int64_t exp, const struct spec *sp,
		       const char *preset_text, const char *host_text);

/* ---- alerts (store_history.c) ---- */

/* One series an alert moved. Strings borrowed. */
struct alert_change {
	const char *cell, *strategy, *metric;
	int regression;        /* worse by the metric's direction */
	double before, after, change, ci_lo, ci_hi, p;
};

/* One change of a configuration at one experiment, across its series. */
struct alert_group {
	int64_t experiment;    /* the first experiment after the step */
	int64_t previous;      /* the last one before it */
	int tentative;         /* the step is at the newest point */
	int regression;        /* any change is a regression */
	struct alert_change *c;
	size_t n, cap;
};

/*
 * Stores the alerts of configuration config (target, workload) found over
 * the experiments seen[nseen] in one transaction: new ones added, existing
 * ones updated (their triage status kept), and untriaged ("new") alerts at
 * a seen experiment that is no longer a change dropped. *added: how many
 * were new.
 */
int store_save_alerts(struct store *st, const char *config, const char *target,
		      const char *workload, const struct alert_group *g, size_t n,
		      const int64_t *seen, size_t nseen, int *added);

#endif
