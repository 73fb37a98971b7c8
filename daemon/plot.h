/*
 * plot.h - plots by gnuplot, shared by the runner and cache (plot.c), the
 * frame and datablock writer every script is built with (plot_frame.c), the
 * script builders per plot kind (plot_kinds.c) and their HTTP handlers
 * (api_plots.c). Internal to daemon/.
 *
 * The one rule every builder keeps: text that comes from a user (names,
 * labels, cells, strategy and metric names) reaches gnuplot only as a field
 * of a datablock written by plot_block_*, and is drawn from there
 * (xticlabels, columnheader, `with labels`). The script's command text is
 * fixed text and numbers this code formats itself.
 */
#ifndef SVABENCH_PLOT_H
#define SVABENCH_PLOT_H

#include "../lib/strbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PLOT_GNUPLOT "/usr/bin/gnuplot"
#define PLOT_TIMEOUT_MS 10000     /* a render taking longer is killed */
#define PLOT_RENDERS_MAX 2        /* gnuplot processes at once */
#define PLOT_WAIT_MS 5000         /* how long a render waits for a slot */
#define PLOT_CACHE_FILES 2000     /* cached SVGs kept (least recently used go) */
#define PLOT_CACHE_BYTES (64u << 20) /* a memory cache's SVGs at most (least recently used go) */
#define PLOT_SVG_MAX (64u << 20)  /* larger gnuplot output is refused */
#define PLOT_FIELD_MAX 200        /* characters of one text field kept */

/* ---- datablocks (plot_frame.c) ---- */

/*
 * A datablock's rows: plot_block_str / plot_block_num add a field to the
 * current row, plot_block_row ends it. Text fields are neutralized
 * (plot_field) and double-quoted, so no field can end the block, hold a
 * second row, or be anything but a string to gnuplot.
 */
struct plot_block {
	struct strbuf rows;
	int fields;    /* in the current row */
};

void plot_block_str(struct plot_block *b, const char *s);
void plot_block_num(struct plot_block *b, double v);   /* NaN/inf: NaN (missing) */
void plot_block_row(struct plot_block *b);

/*
 * Appends `$name << TERM`, the rows and TERM to script, TERM being "EOD_"
 * and 32 hex digits of the SHA-256 of the rows: unguessable before the rows
 * are fixed, the same for the same rows (so the script stays a cache key),
 * and checked to start no row. Frees the block's rows.
 */
void plot_block_emit(struct strbuf *script, const char *name, struct plot_block *b);

/*
 * s made safe as one double-quoted datablock field, into out (always
 * NUL-terminated): control characters (newlines, CR, tabs, DEL) and code
 * points XML does not allow become spaces, '"' becomes U+201D, "]]>"
 * becomes "]] >", bytes that are not UTF-8 become '?', and the result is
 * cut at PLOT_FIELD_MAX characters. Everything else (backquotes, `@`,
 * `system(...)`, "EOD") is kept: inside a quoted datablock field gnuplot
 * takes it as text.
 */
void plot_field(const char *s, char *out, size_t outlen);

/*
 * s as a text field cut to max characters, the last one then U+2026: ticks
 * and key entries have a fixed room, and gnuplot warns (a failed render)
 * when a tick label does not fit.
 */
void plot_block_text(struct plot_block *b, const char *s, size_t max);

#define PLOT_TICK_MAX 28      /* characters of a tick label */
#define PLOT_KEY_MAX 26       /* of a key entry */

/* ---- the frame every plot kind shares (plot_frame.c) ---- */

/*
 * A script under construction: the svg terminal (900x480, noenhanced),
 * every datablock first, then the panels' commands in a multiplot, and
 * last an overlay panel drawing the title, subtitle and axis titles `with
 * labels` from datablocks. A builder calls plot_frame_init, adds panels
 * and blocks, then either plot_frame_finish or plot_frame_fail; both free
 * what the frame owns.
 */
struct plot_frame {
	struct strbuf blocks, cmds;
	int nblocks;
	struct plot_block title, text, vtext;   /* the overlay's words */
};

/* Where the plot area sits on the canvas (screen fractions). */
#define PLOT_AREA_L 0.085
#define PLOT_AREA_R 0.78
#define PLOT_AREA_B 0.13
#define PLOT_AREA_T 0.85

/* Starts f, uninitialised or freed, with the terminal and datafile settings. */
void plot_frame_init(struct plot_frame *f, const char *kind);
/* Emits b as the next datablock (freeing its rows); name receives "$dN". */
void plot_frame_block(struct plot_frame *f, struct plot_block *b, char name[16]);
/* The title line, and the subtitle below it when not NULL or empty. */
void plot_frame_title(struct plot_frame *f, const char *title, const char *subtitle);
/* Axis titles (NULL: none) of a panel spanning b..t (screen fractions) vertically. */
void plot_frame_axes(struct plot_frame *f, const char *xtitle, const char *ytitle, double b,
		     double t);
/* Settings of a panel at b..t: margins, grid, key on the right. */
void plot_frame_panel(struct plot_frame *f, double b, double t);
/*
 * A panel's range on axis ("x", "y"): ends that are not finite take a
 * default, equal or reversed ones are widened, so gnuplot never adjusts
 * them itself.
 */
void plot_frame_range(struct plot_frame *f, const char *axis, double lo, double hi,
		      int logscale);
/* The linetypes every plot draws strategies with (see plot_strategy_lt). */
void plot_frame_linetypes(struct plot_frame *f);
/*
 * Appends the whole script to out: settings, datablocks, panels, then the
 * overlay. Frees the frame; 0, or -1 with "out of memory" in err.
 */
int plot_frame_finish(struct plot_frame *f, struct strbuf *out, char *err, size_t elen);
/* Fails a builder: frees the frame, sets the message, returns -1. */
int plot_frame_fail(struct plot_frame *f, char *err, size_t elen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Tick labels along x from a block of "x label" rows, drawn by an invisible point each. */
void plot_xtick_clause(struct plot_frame *f, const char *block, double y);

/* ---- formatting helpers of the plot kinds (plot_frame.c) ---- */

/* The linetype of a strategy: the known ones keep their colour in every plot. */
int plot_strategy_lt(const char *name, int fallback);

/*
 * A cell as "pages=64 ats=false" ("all runs" for no swept params), or its
 * values alone, "64 / false", when the axis says the names once.
 */
void plot_cell_text(const json_t *cell, int values_only, char *out, size_t n);

/*
 * The names of the swept params, "a / b", when every cell of cells (an
 * array of objects holding the cell under key, or the cells themselves
 * when key is NULL; at most max of them looked at) has the same ones, so
 * ticks can show values alone; 0 otherwise.
 */
int plot_cell_keys(const json_t *cells, const char *key, size_t max, char *out, size_t n);

/* A JSON number's value, NaN for anything else. */
double plot_num(const json_t *v);

/* The finite values seen; NaN ends until there is one. */
struct plot_range {
	double lo, hi;
};

#define PLOT_RANGE_EMPTY {NAN, NAN}

void plot_range_add(struct plot_range *r, double v);   /* NaN/inf: ignored */

/* ---- the plot kinds (plot_kinds.c) ---- */

/*
 * Each builder writes a whole gnuplot script (terminal svg, datablocks,
 * plot commands) into out and returns 0, or returns -1 with a message in
 * err when the input has nothing to plot (the API answers 409 no_data).
 * Inputs are borrowed. context, when not NULL, is shown with the title
 * (the experiment's id, name and label).
 */

/* A run's samples as the time-series plot reads them. */
struct plot_samples {
	size_t n, nm;               /* samples, metrics */
	const char *const *metrics; /* nm names */
	const double *t_ns;         /* n sample times */
	const double *v;            /* n x nm values, sample-major; NaN where absent */
};

/*
 * A run's time series: counters drawn as a rate per second, gauges (latency
 * quantiles, *_bps, *_fraction) as values in a panel of their own. Series
 * longer than PLOT_TS_BUCKETS buckets keep each bucket's min and max.
 */
#define PLOT_TS_BUCKETS 2000
int plot_timeseries(struct strbuf *out, const char *run_id, const struct plot_samples *s,
		    char *err, size_t elen);

/*
 * Strategy comparison: cmp is compare_json's document; per cell (x) one bar
 * per strategy at its median of metric, whiskers the bootstrap CI of the
 * ratio scaled to the baseline's median (ratio CI x baseline median), or
 * p25..p75 where there is no CI.
 */
int plot_comparison(struct strbuf *out, const json_t *cmp, const char *metric,
		    const char *context, char *err, size_t elen);

/*
 * Latency quantiles of one cell (index cell of cmp's "cells"): per strategy
 * the medians of dma.latency_ns.p50/.p90/.p99/.p999/.max as a step curve,
 * x latency (log), y the quantile.
 */
int plot_latency(struct strbuf *out, const json_t *cmp, size_t cell, const char *context,
		 char *err, size_t elen);

/* The crossover grid of cmp ("crossover"): the cheaper strategy per cell. */
int plot_crossover(struct strbuf *out, const json_t *cmp, const char *context, char *err,
		   size_t elen);

/* history_json's document: medians by label per series, change points marked. */
int plot_history(struct strbuf *out, const json_t *hist, char *err, size_t elen);

/* ---- the runner and its cache (plot.c) ---- */

void plot_sha256(const void *data, size_t len, uint8_t out[32]);
/* The SHA-256 as 64 lowercase hex digits and a NUL. */
void plot_sha256_hex(const void *data, size_t len, char out[65]);

enum plot_rc {
	PLOT_OK = 0,
	PLOT_FAILED = -1,   /* gnuplot exited non-zero or wrote to stderr (502) */
	PLOT_TIMEOUT = -2,  /* killed after the timeout (504) */
	PLOT_BUSY = -3,     /* no render slot within the wait (503) */
	PLOT_ERROR = -4,    /* the daemon's side: memory, pipes, the cache dir (503) */
};

struct plotter;

/* Limits of a plotter; zeros take the PLOT_* defaults. */
struct plot_limits {
	int timeout_ms;
	int renders_max;
	int wait_ms;
	int cache_files;
	const char *gnuplot;   /* the program; NULL: PLOT_GNUPLOT */
};

/*
 * A plotter caching under dir (created 0700 if missing), or in memory when
 * dir is NULL (the daemon: a GET never writes a file; cache_files entries
 * and PLOT_CACHE_BYTES at most). NULL with a message on failure.
 * Thread-safe.
 */
struct plotter *plotter_new(const char *dir, const struct plot_limits *lim, char *err,
			    size_t elen);
void plotter_free(struct plotter *p);

/* What a render gave: the SVG (malloc'd, the caller frees) or why not. */
struct plot_out {
	char *svg;
	size_t len;
	int cached;        /* served from the cache, gnuplot did not run */
	char hash[65];     /* the script's SHA-256: the cache key and ETag */
	char msg[512];     /* on failure: what went wrong (gnuplot's first error line) */
};

/*
 * The SVG for script (len bytes): from dir/<sha256>.svg when cached, else
 * rendered by gnuplot (a child reading the script on stdin, SVG on stdout,
 * stderr captured) within the limits and then cached (temp file + rename).
 * Output that is not a whole SVG document is a failure, never cached.
 */
int plot_render(struct plotter *p, const char *script, size_t len, struct plot_out *out);

/*
 * The cached SVG of a script already rendered, by its hash (a render's
 * out->hash): PLOT_OK with out filled, or PLOT_ERROR when it is not (or no
 * longer) in the cache.
 */
int plot_cached(struct plotter *p, const char *hash, struct plot_out *out);

/* gnuplot processes started so far (tests count renders with it). */
uint64_t plotter_renders(struct plotter *p);

#endif
