/*
 * bench_plot.c - what a plot costs: a run's time series of 100k samples
 * drawn as GET /api/v1/runs/ID/plots/timeseries.svg draws it once the
 * samples are read (the script built from them, min/max per bucket,
 * gnuplot, the cache), cold (gnuplot runs) and cached (the script is built
 * and hashed, the SVG read back), then the same 100k points handed to
 * gnuplot without bucketing.
 *
 * Prints "plot render 100k points: cold X ms, cached Y ms" and the
 * undecimated line; exits 1 when a render fails.
 */
#include "../../daemon/plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POINTS 100000
#define ROUNDS 3           /* best of, for the cached figures */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 100k samples of a run as the API reads them from the store: two counters, a latency gauge. */
static struct plot_samples samples(double **t, double **v)
{
	static const char *const metrics[] = {"fault.permission", "cmd.tlbi_nh_va",
					      "dma.latency_ns.p99"};
	double faults = 0, tlbi = 0;

	*t = malloc(POINTS * sizeof(**t));
	*v = malloc(POINTS * 3 * sizeof(**v));
	for (size_t i = 0; *t && *v && i < POINTS; i++) {
		faults += (double)(i % 7) + (i % 5000 < 200 ? 50 : 0);
		tlbi += (double)((i * 2654435761u) % 13);
		(*t)[i] = (double)(i + 1) * 50000;
		(*v)[i * 3] = faults;
		(*v)[i * 3 + 1] = tlbi;
		(*v)[i * 3 + 2] = 2000 + (double)((i * 40503u) % 1000);
	}
	return (struct plot_samples){POINTS, 3, metrics, *t, *v};
}

/* The same points straight into one datablock: gnuplot draws all of them. */
static void raw_script(struct strbuf *s)
{
	struct plot_block b = {0};

	strbuf_addf(s, "set terminal svg size 900,480 noenhanced\n"
		       "set datafile commentschars \"\"\n");
	for (size_t i = 0; i < POINTS; i++) {
		plot_block_num(&b, (double)(i + 1) * 0.05);
		plot_block_num(&b, (double)(i % 7) + (i % 5000 < 200 ? 50 : 0));
		plot_block_num(&b, 2000 + (double)((i * 40503u) % 1000));
		plot_block_row(&b);
	}
	plot_block_emit(s, "d0", &b);
	strbuf_addf(s, "set xrange [0:%d]\nset yrange [0:3100]\n"
		       "plot $d0 using 1:2 with lines notitle, $d0 using 1:3 with lines notitle\n",
		    POINTS / 20 + 1);
}

/*
 * Renders one script as the API does (built by build, then plot_render):
 * the cold time with an empty cache, the best cached time of ROUNDS.
 */
static int measure(struct plotter *p, int (*build)(struct strbuf *, void *), void *arg,
		   double *cold, double *cached, size_t *bytes)
{
	for (int round = 0; round <= ROUNDS; round++) {
		struct strbuf s = STRBUF_INIT;
		struct plot_out po;
		double t0 = now_ms(), t;
		int rc;

		if (build(&s, arg)) {
			strbuf_release(&s);
			return -1;
		}
		rc = plot_render(p, s.buf, s.len, &po);
		t = now_ms() - t0;
		strbuf_release(&s);
		if (rc != PLOT_OK || po.cached != (round > 0)) {
			fprintf(stderr, "bench_plot: render %d: rc %d cached %d: %s\n", round, rc,
				po.cached, po.msg);
			free(po.svg);
			return -1;
		}
		*bytes = po.len;
		free(po.svg);
		if (round == 0)
			*cold = t;
		else if (round == 1 || t < *cached)
			*cached = t;
	}
	return 0;
}

static int build_api(struct strbuf *s, void *arg)
{
	char err[256];

	if (plot_timeseries(s, "e1-r1", arg, err, sizeof(err))) {
		fprintf(stderr, "bench_plot: %s\n", err);
		return -1;
	}
	return 0;
}

static int build_raw(struct strbuf *s, void *arg)
{
	(void)arg;
	raw_script(s);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/svabench-bench-plot-XXXXXX", err[256], cmd[128];
	double cold = 0, cached = 0, *t = NULL, *v = NULL;
	struct plot_samples s;
	struct plotter *p;
	size_t bytes = 0;
	int status = 0;

	if (access(PLOT_GNUPLOT, X_OK)) {
		fprintf(stderr, "bench_plot: %s is not installed\n", PLOT_GNUPLOT);
		return 1;
	}
	if (!mkdtemp(dir) || !(p = plotter_new(dir, NULL, err, sizeof(err)))) {
		fprintf(stderr, "bench_plot: no plot cache: %s\n", err);
		return 1;
	}
	s = samples(&t, &v);
	if (!t || !v)
		status = 1;
	else if (measure(p, build_api, &s, &cold, &cached, &bytes) == 0)
		printf("plot render 100k points: cold %.0f ms, cached %.0f ms "
		       "(time series as the API draws it: %d buckets, min and max; SVG %zu KiB)\n",
		       cold, cached, PLOT_TS_BUCKETS, bytes / 1024);
	else
		status = 1;
	if (measure(p, build_raw, NULL, &cold, &cached, &bytes) == 0)
		printf("plot render 100k points, undecimated: cold %.0f ms, cached %.0f ms (SVG %zu KiB)\n",
		       cold, cached, bytes / 1024);
	else
		status = 1;
	free(t);
	free(v);
	plotter_free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench_plot: could not remove %s\n", dir);
	return status;
}
