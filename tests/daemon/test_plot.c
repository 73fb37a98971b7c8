/*
 * test_plot.c - the plots' gnuplot runner, cache and script builders
 * (daemon/plot.c, daemon/plot_kinds.c), without the HTTP server.
 *
 * Hostile text (newlines, quotes, backquotes, system("touch MARKER"), the
 * datablock terminator) goes into every builder; the scripts must hold it
 * only inside datablocks, gnuplot must draw it as text and run nothing.
 * The runner: a whole SVG for a good script, gnuplot's error line for a
 * bad one, a kill at the timeout, a refusal when every slot stays busy, and
 * a cache that renders each script once.
 */
#define _GNU_SOURCE
#include "../../daemon/plot.h"
#include "../harness.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/svabench-test-plot-XXXXXX";
static char marker[64];     /* a file only an injected command would create */
static char hostile[512];  /* every trick at once; holds "INJECT" to be found */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- sha256 ---- */

static void test_sha256(void)
{
	static const struct {
		const char *in, *hex;
	} v[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	char hex[65];
	char *million = malloc(1000000);
	int ok = 1;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		plot_sha256_hex(v[i].in, strlen(v[i].in), hex);
		if (strcmp(hex, v[i].hex)) {
			ok = 0;
			test_result(0, "sha256 of the FIPS 180-4 examples", "'%s' gave %s", v[i].in, hex);
		}
	}
	if (ok)
		test_result(1, "sha256 of the FIPS 180-4 examples", " ");
	if (million) {
		memset(million, 'a', 1000000);
		plot_sha256_hex(million, 1000000, hex);
		test_result(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
			    "sha256 of a million 'a'", "got %s", hex);
		free(million);
	}
}

/* ---- the datablock writer ---- */

static void test_field(void)
{
	char out[1024];

	plot_field("a\nb\rc\td", out, sizeof(out));
	test_result(!strcmp(out, "a b c d"), "newlines, CR and tabs become spaces", "got '%s'", out);
	plot_field("say \"hi\"", out, sizeof(out));
	test_result(!strchr(out, '"') && strstr(out, "\xe2\x80\x9dhi\xe2\x80\x9d"),
		    "double quotes become U+201D", "got '%s'", out);
	plot_field("a\\b\\", out, sizeof(out));
	test_result(!strcmp(out, "a\\\\b\\\\"), "backslashes are doubled (gnuplot unescapes them)",
		    "got '%s'", out);
	plot_field("`touch x` system(\"touch x\") @macro EOD", out, sizeof(out));
	test_result(strstr(out, "`touch x`") && strstr(out, "system(") && strstr(out, "EOD") &&
		    !strchr(out, '"'), "backquotes, system() and EOD stay as text, quotes do not",
		    "got '%s'", out);
	plot_field("x]]>y", out, sizeof(out));
	test_result(!strstr(out, "]]>"), "]]> is broken up (not allowed in XML text)", "got '%s'",
		    out);
	plot_field("caf\xc3\xa9 \xff\xfe end \xef\xbf\xbe", out, sizeof(out));
	test_result(!strcmp(out, "caf\xc3\xa9 ?? end ?"), "UTF-8 kept, bytes that are not UTF-8 become ?",
		    "got '%s'", out);
	{
		char big[600];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		plot_field(big, out, sizeof(out));
		test_result(strlen(out) == PLOT_FIELD_MAX, "a field is cut at PLOT_FIELD_MAX characters",
			    "got %zu", strlen(out));
	}
}

/* The terminator of the datablock starting at line, or "" when line starts none. */
static int block_start(const char *line, size_t n, char *term, size_t tlen)
{
	const char *arrow = memmem(line, n, " << ", 4);

	if (n < 2 || line[0] != '$' || !arrow)
		return 0;
	snprintf(term, tlen, "%.*s", (int)(n - (size_t)(arrow + 4 - line)), arrow + 4);
	return 1;
}

/*
 * Splits a script into the text outside datablocks (returned, malloc'd)
 * and checks every block: terminator EOD_ and 32 hex digits, and no row of
 * it starting with the terminator. *blocks counts them, *rows their rows.
 */
static char *outside_blocks(const char *script, int *blocks, size_t *rows, int *bad_term)
{
	size_t len = strlen(script);
	char *out = malloc(len + 1), term[80] = "";
	size_t o = 0;
	int in = 0;

	*blocks = 0;
	*rows = 0;
	*bad_term = 0;
	for (const char *l = script; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);

		if (in) {
			if (n == strlen(term) && !memcmp(l, term, n))
				in = 0;
			else
				(*rows)++;
		} else if (block_start(l, n, term, sizeof(term))) {
			in = 1;
			(*blocks)++;
			if (strlen(term) != 36 || strncmp(term, "EOD_", 4) ||
			    strspn(term + 4, "0123456789abcdef") != 32)
				*bad_term = 1;
		} else {
			memcpy(out + o, l, n);
			o += n;
			out[o++] = '\n';
		}
		l += n + (e ? 1 : 0);
	}
	out[o] = '\0';
	if (in)
		*bad_term = 1;   /* a block never ended */
	return out;
}

static void test_block(void)
{
	struct plot_block b = {0}, b2 = {0};
	struct strbuf s = STRBUF_INIT, s2 = STRBUF_INIT;
	int blocks, bad;
	size_t rows;
	char *out, t1[80], t2[80];

	plot_block_str(&b, "EOD");
	plot_block_num(&b, 1.5);
	plot_block_row(&b);
	plot_block_str(&b, "line one\nEOD\nset output \"/tmp/x\"\n");
	plot_block_num(&b, NAN);
	plot_block_row(&b);
	plot_block_emit(&s, "d0", &b);
	out = outside_blocks(s.buf, &blocks, &rows, &bad);
	test_result(blocks == 1 && rows == 2 && !bad && !out[0],
		    "a datablock holds its rows whatever they say",
		    "%d blocks, %zu rows, bad terminator %d, outside: '%s'", blocks, rows, bad, out);
	test_result(strstr(s.buf, " NaN\n") != NULL, "NaN is written as gnuplot's missing value",
		    "script: %s", s.buf);
	free(out);

	/* the terminator depends on the rows: the same rows, the same script (cache key) */
	plot_block_str(&b2, "EOD");
	plot_block_num(&b2, 1.5);
	plot_block_row(&b2);
	plot_block_str(&b2, "line one\nEOD\nset output \"/tmp/x\"\n");
	plot_block_num(&b2, NAN);
	plot_block_row(&b2);
	plot_block_emit(&s2, "d0", &b2);
	test_result(s.buf && s2.buf && !strcmp(s.buf, s2.buf), "the same rows give the same datablock text",
		    " ");
	sscanf(s.buf, "$d0 << %79s", t1);
	strbuf_release(&s2);
	plot_block_str(&b2, "other");
	plot_block_row(&b2);
	plot_block_emit(&s2, "d0", &b2);
	sscanf(s2.buf, "$d0 << %79s", t2);
	test_result(strcmp(t1, t2) != 0, "other rows give another terminator", "%s and %s", t1, t2);
	strbuf_release(&s);
	strbuf_release(&s2);
}

/* ---- the builders, fed hostile text ---- */

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fprintf(stderr, "test input: %s at %d\n", e.text, e.line);
	return v;
}

/* A comparison document (compare_json's shape) with hostile names everywhere. */
static json_t *hostile_comparison(void)
{
	json_t *cmp = load(
		"{\"experiment\": \"e1\", \"baseline\": \"pri-inv\", \"noise\": 0.05, \"alpha\": 0.05,"
		" \"warnings\": [], \"metrics\": [{\"name\": \"cpu.invalidation_ns\", \"better\": \"lower\"}],"
		" \"cells\": [], \"crossover\": {\"x\": \"device_fault_rate_hz\", \"y\": \"cpu_upgrade_rate_hz\","
		"   \"metric\": \"cpu.invalidation_ns\", \"better\": \"lower\", \"a\": \"pri-inv\", \"b\": \"notifier\","
		"   \"xs\": [1000, 5000], \"ys\": [2000, 9000],"
		"   \"grid\": [[\"A\", \"B\"], [\"=\", null]], \"ratio\": [[1.2, 0.8], [1.01, null]]}}");
	const char *strategies[3] = {"pri-inv", "notifier", hostile};
	json_t *cells = json_object_get(cmp, "cells");

	json_object_set_new(json_object_get(cmp, "crossover"), "b", json_string(hostile));
	json_object_set_new(json_object_get(cmp, "crossover"), "x", json_string(hostile));

	for (int c = 0; c < 3; c++) {
		json_t *cell = json_object(), *st = json_object(), *one = json_object();

		json_object_set_new(cell, "pages", json_integer(64 << c));
		json_object_set_new(cell, "label", json_string(hostile));
		for (int s = 0; s < 3; s++) {
			json_t *m = json_object();
			json_t *stat = json_pack("{s:i, s:f, s:f, s:f, s:f, s:[f,f], s:f, s:s}", "n", 5,
						 "median", 1000.0 * (s + 1) + c, "p25", 900.0 * (s + 1),
						 "p75", 1100.0 * (s + 1), "ratio", (double)(s + 1), "ci",
						 0.9 * (s + 1), 1.1 * (s + 1), "p", 0.01, "verdict",
						 s ? "worse" : "baseline");

			json_object_set_new(m, "cpu.invalidation_ns", stat);
			for (int q = 0; q < 5; q++) {
				static const char *const lat[] = {"dma.latency_ns.p50", "dma.latency_ns.p90",
								  "dma.latency_ns.p99", "dma.latency_ns.p999",
								  "dma.latency_ns.max"};

				json_object_set_new(m, lat[q], json_pack("{s:f}", "median",
									  1000.0 * (q + 1) * (s + 1)));
			}
			json_object_set_new(st, strategies[s], m);
		}
		json_object_set_new(one, "cell", cell);
		json_object_set_new(one, "strategies", st);
		json_array_append_new(cells, one);
	}
	return cmp;
}

/* n samples of three metrics, the first named metric; the caller frees t and v. */
static struct plot_samples samples_of(size_t n, const char **names, double **t, double **v)
{
	*t = malloc(n * sizeof(**t));
	*v = malloc(n * 3 * sizeof(**v));
	for (size_t i = 0; *t && *v && i < n; i++) {
		(*t)[i] = (double)(i + 1) * 50000;
		(*v)[i * 3] = (double)(i * 3);
		(*v)[i * 3 + 1] = (double)(i * i % 97 + i * 5);
		(*v)[i * 3 + 2] = 1000 + (double)(i % 17) * 10;
	}
	return (struct plot_samples){n, 3, names, *t, *v};
}

static json_t *hostile_history(void)
{
	json_t *h = load("{\"workload\": \"rw-reuse\", \"metric\": \"cpu.invalidation_ns\","
			 " \"strategy\": \"notifier\", \"target\": \"sim\", \"params\": {}, \"series\": []}");
	json_t *series = json_object_get(h, "series");

	for (int s = 0; s < 2; s++) {
		json_t *pts = json_array(), *cps = json_array();

		for (int i = 0; i < 8; i++) {
			char id[16], label[600];
			double m = (i < 4 ? 100 : 130) + s * 20;

			snprintf(id, sizeof(id), "e%d", i + 1);
			snprintf(label, sizeof(label), "v6.%d %s", i, hostile);
			json_array_append_new(pts, json_pack("{s:s, s:s, s:s, s:i, s:f, s:[f,f,f]}",
							     "experiment", id, "label", label,
							     "created_at", "2026-01-01T00:00:00Z", "n", 3,
							     "median", m, "values", m - 1, m, m + 2));
		}
		json_array_append_new(cps, json_pack("{s:i, s:s, s:s, s:f, s:f, s:f, s:f}", "index", 4,
						     "experiment", "e5", "label", hostile, "before",
						     100.0, "after", 130.0, "change", 0.3, "p", 0.001));
		json_array_append_new(series, json_pack("{s:{s:i, s:s}, s:o, s:o}", "cell", "pages",
							 16 << s, "note", hostile, "points", pts,
							 "change_points", cps));
	}
	return h;
}

/* No INJECT, backquote or system( outside the datablocks, and every block well ended. */
static void check_script(const char *what, const struct strbuf *s)
{
	char name[128];
	int blocks, bad;
	size_t rows;
	char *out;

	snprintf(name, sizeof(name), "%s: user text only inside datablocks", what);
	if (!s->buf) {
		test_result(0, name, "no script");
		return;
	}
	out = outside_blocks(s->buf, &blocks, &rows, &bad);
	test_result(blocks > 0 && !bad && !strstr(out, "INJECT") && !strchr(out, '`') &&
		    !strstr(out, "system") && !strstr(out, "MARKER"), name,
		    "%d blocks, bad terminator %d; outside:\n%s", blocks, bad, out);
	free(out);
}

/* ---- the runner ---- */

static struct plotter *plotter;

static void check_render(const char *what, const struct strbuf *s, int has_text)
{
	struct plot_out po;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s: gnuplot draws it, runs nothing", what);
	if (!plotter || !s->buf) {
		test_skip(name, "no plotter or no script");
		return;
	}
	rc = plot_render(plotter, s->buf, s->len, &po);
	test_result(rc == PLOT_OK && po.svg && !strncmp(po.svg, "<?xml", 5) &&
		    strstr(po.svg, "</svg>") && (!has_text || strstr(po.svg, "INJECT")) && !exists(marker),
		    name, "rc %d: %s (marker %s)", rc, po.msg, exists(marker) ? "exists" : "absent");
	free(po.svg);
}

static void test_builders(void)
{
	const char *metrics[3] = {"fault.permission", "cmd.tlbi_nh_va", "dma.latency_ns.p99"};
	const char *hm[3] = {hostile, "cmd.tlbi_nh_va", "dma.latency_ns.p99"};
	double *t1, *v1, *t2, *v2;
	struct plot_samples samples = samples_of(50, hm, &t1, &v1);
	struct plot_samples big = samples_of(9000, metrics, &t2, &v2);
	json_t *cmp = hostile_comparison(), *hist = hostile_history();
	struct strbuf s = STRBUF_INIT;
	char err[512];
	int rc;

	rc = plot_comparison(&s, cmp, "cpu.invalidation_ns", hostile, err, sizeof(err));
	test_result(rc == 0, "comparison script builds", "%s", err);
	check_script("comparison", &s);
	check_render("comparison", &s, 1);
	strbuf_release(&s);

	rc = plot_latency(&s, cmp, 1, NULL, err, sizeof(err));
	test_result(rc == 0, "latency script builds", "%s", err);
	check_script("latency", &s);
	check_render("latency", &s, 1);
	strbuf_release(&s);

	rc = plot_crossover(&s, cmp, hostile, err, sizeof(err));
	test_result(rc == 0, "crossover script builds", "%s", err);
	check_script("crossover", &s);
	check_render("crossover", &s, 1);
	strbuf_release(&s);

	rc = plot_timeseries(&s, "e1-r1", &samples, err, sizeof(err));
	test_result(rc == 0, "time-series script builds with a hostile metric name", "%s", err);
	check_script("time series", &s);
	check_render("time series", &s, 1);
	strbuf_release(&s);

	rc = plot_timeseries(&s, "e1-r1", &big, err, sizeof(err));
	test_result(rc == 0 && s.buf && s.len < 9000 * 40,
		    "a long time series keeps min and max per bucket", "%zu bytes: %s", s.len, err);
	check_render("bucketed time series", &s, 0);
	strbuf_release(&s);

	rc = plot_history(&s, hist, err, sizeof(err));
	test_result(rc == 0, "history script builds", "%s", err);
	check_script("history", &s);
	check_render("history", &s, 1);
	test_result(s.buf && strstr(s.buf, "\"+30.0%\""), "the change point is marked with its change",
		    " ");
	strbuf_release(&s);

	/* nothing to draw: an error for the API's 409, no script */
	json_object_set_new(cmp, "crossover", json_null());
	rc = plot_crossover(&s, cmp, hostile, err, sizeof(err));
	test_result(rc == -1 && strstr(err, "no crossover"), "no crossover is an error, not a plot",
		    "rc %d: %s", rc, err);
	strbuf_release(&s);
	rc = plot_comparison(&s, cmp, "no.such_metric", NULL, err, sizeof(err));
	test_result(rc == -1 && strstr(err, "no.such_metric"), "a metric without values is an error",
		    "rc %d: %s", rc, err);
	strbuf_release(&s);
	json_decref(cmp);
	free(t1);
	free(v1);
	free(t2);
	free(v2);
	json_decref(hist);
}

static const char tiny[] =
	"set terminal svg size 300,200\n"
	"$d << EOD_x\n1 2\n2 3\nEOD_x\n"
	"plot $d using 1:2 with lines notitle\n";

static void test_runner(void)
{
	struct plot_out po, po2;
	char script[256];
	uint64_t before;
	int rc;

	rc = plot_render(plotter, tiny, strlen(tiny), &po);
	test_result(rc == PLOT_OK && !po.cached && po.len > 100 && !strncmp(po.svg, "<?xml", 5) &&
		    strstr(po.svg + po.len - 10, "</svg>"), "a tiny plot renders to a whole SVG",
		    "rc %d: %s", rc, po.msg);

	before = plotter_renders(plotter);
	rc = plot_render(plotter, tiny, strlen(tiny), &po2);
	test_result(rc == PLOT_OK && po2.cached && po2.len == po.len &&
		    !memcmp(po.svg, po2.svg, po.len) && plotter_renders(plotter) == before,
		    "the same script again comes from the cache, not gnuplot",
		    "rc %d cached %d, renders %llu -> %llu", rc, po2.cached,
		    (unsigned long long)before, (unsigned long long)plotter_renders(plotter));
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/%s.svg", tmpdir, po.hash);
		test_result(exists(path), "the cache file is named by the script's SHA-256", "%s", path);
	}
	free(po.svg);
	free(po2.svg);

	rc = plot_render(plotter, "set terminal svg\nplot $nope using 1:2\n", 38, &po);
	test_result(rc == PLOT_FAILED && strstr(po.msg, "gnuplot: ") && strstr(po.msg, "$nope") &&
		    !po.svg, "a broken script fails with gnuplot's error line", "rc %d: '%s'", rc,
		    po.msg);
	free(po.svg);

	/* a warning is a failure too: the builders set ranges so gnuplot never warns */
	snprintf(script, sizeof(script), "set terminal svg\nset xrange [1:1]\nplot x notitle\n");
	rc = plot_render(plotter, script, strlen(script), &po);
	test_result(rc == PLOT_FAILED && po.msg[0], "output on stderr fails the render",
		    "rc %d: '%s'", rc, po.msg);
	free(po.svg);

	/* gnuplot stops at the error and stops reading: the rest of the script must not kill us */
	{
		struct strbuf big = STRBUF_INIT;

		strbuf_addf(&big, "set terminal svg\nno_such_command\n$d << EOD_x\n");
		for (int i = 0; i < 100000; i++)  /* ~1.2 MB: far past any pipe buffer */
			strbuf_addf(&big, "%d %d\n", i, i * 7);
		strbuf_addf(&big, "EOD_x\nplot $d notitle\n");
		rc = plot_render(plotter, big.buf, big.len, &po);
		test_result(rc == PLOT_FAILED && strstr(po.msg, "invalid command, at 'no_such_command'"),
			    "a script gnuplot gives up on early fails without a SIGPIPE", "rc %d: '%s'",
			    rc, po.msg);
		free(po.svg);
		strbuf_release(&big);
	}

	rc = plot_render(plotter, "set terminal svg\n", 17, &po);
	test_result(rc == PLOT_FAILED && strstr(po.msg, "no whole SVG"),
		    "a script that draws nothing is refused", "rc %d: '%s'", rc, po.msg);
	free(po.svg);
}

/* A script busy for a while, different per n (no cache hit). */
static void slow_script(char *buf, size_t n, int k, long loops)
{
	snprintf(buf, n, "set terminal svg\na = %d\ndo for [i=1:%ld] { a = a + i }\n"
		 "plot x notitle\n", k, loops);
}

struct bg {
	struct plotter *p;
	const char *script;
	int rc;
};

static void *bg_render(void *arg)
{
	struct bg *b = arg;
	struct plot_out po;

	b->rc = plot_render(b->p, b->script, strlen(b->script), &po);
	free(po.svg);
	return NULL;
}

/* A gnuplot-like program at dir/name that forks a grandchild (its pid in
 * dir/name.pid) and then runs tail; the grandchild's pid after a render. */
static long fake_render(const char *name, const char *tail, int timeout_ms, int *rc,
			char *msg, size_t mlen)
{
	char prog[600], pidf[600], dir[600], err[256];
	struct plot_limits lim = {.timeout_ms = timeout_ms};
	struct plotter *p;
	struct plot_out po;
	FILE *f;

	snprintf(prog, sizeof(prog), "%s/%s", tmpdir, name);
	snprintf(pidf, sizeof(pidf), "%s/%s.pid", tmpdir, name);
	snprintf(dir, sizeof(dir), "%s/%s.cache", tmpdir, name);
	if (!(f = fopen(prog, "w")))
		return 0;
	fprintf(f, "#!/bin/sh\ncat >/dev/null\nsleep 300 &\necho $! >%s\n%s\n", pidf, tail);
	fclose(f);
	chmod(prog, 0700);
	lim.gnuplot = prog;
	if (!(p = plotter_new(dir, &lim, err, sizeof(err))))
		return 0;
	*rc = plot_render(p, tiny, strlen(tiny), &po);
	snprintf(msg, mlen, "%s", po.msg);
	free(po.svg);
	plotter_free(p);
	return test_read_pid(pidf);
}

/* gnuplot runs through run_command: what it starts does not outlive the render */
static void test_fake_gnuplot(void)
{
	char msg[512];
	int rc = -1;
	long g = fake_render("fake-ok", "printf '<svg xmlns=\"x\"></svg>\\n'", 20000, &rc, msg,
			     sizeof(msg));

	test_result(rc == PLOT_OK && g > 0 && test_pid_gone(g),
		    "a gnuplot that forks a grandchild and exits leaves nothing behind",
		    "rc %d (%s), grandchild %ld running %d", rc, msg, g, g > 0 && test_pid_running(g));
	g = fake_render("fake-hang", "sleep 300", 300, &rc, msg, sizeof(msg));
	test_result(rc == PLOT_TIMEOUT && g > 0 && test_pid_gone(g),
		    "a gnuplot that hangs is killed at the timeout with its grandchild",
		    "rc %d (%s), grandchild %ld running %d", rc, msg, g, g > 0 && test_pid_running(g));
}

static void test_limits(void)
{
	struct plot_limits lim = {.timeout_ms = 400, .renders_max = 1, .wait_ms = 200};
	char err[256], dir[512], s1[256], s2[256];
	struct plotter *p;
	struct plot_out po;
	pthread_t th, th2;
	struct bg b, b2;
	double t0;
	int rc;

	snprintf(dir, sizeof(dir), "%s/limits", tmpdir);
	p = plotter_new(dir, &lim, err, sizeof(err));
	if (!p) {
		test_result(0, "a plotter with limits", "%s", err);
		return;
	}
	slow_script(s1, sizeof(s1), 1, 200000000L);
	t0 = now_s();
	rc = plot_render(p, s1, strlen(s1), &po);
	test_result(rc == PLOT_TIMEOUT && now_s() - t0 < 3 && strstr(po.msg, "400 ms"),
		    "a render past the timeout is killed and reported", "rc %d after %.1f s: %s", rc,
		    now_s() - t0, po.msg);
	free(po.svg);

	/* one slot, taken by a slow render: the next waits 200 ms, then is turned away */
	b = (struct bg){p, s1, 0};
	pthread_create(&th, NULL, bg_render, &b);
	usleep(100000);
	slow_script(s2, sizeof(s2), 2, 10);
	rc = plot_render(p, s2, strlen(s2), &po);
	test_result(rc == PLOT_BUSY && strstr(po.msg, "rendering"),
		    "with every slot busy past the wait, a render is refused", "rc %d: %s", rc, po.msg);
	free(po.svg);
	pthread_join(th, NULL);
	plotter_free(p);

	/* the same script asked twice at once renders once */
	lim = (struct plot_limits){.renders_max = 2};
	snprintf(dir, sizeof(dir), "%s/dedup", tmpdir);
	p = plotter_new(dir, &lim, err, sizeof(err));
	slow_script(s1, sizeof(s1), 3, 300000L);
	b = (struct bg){p, s1, 0};
	b2 = (struct bg){p, s1, 0};
	pthread_create(&th, NULL, bg_render, &b);
	pthread_create(&th2, NULL, bg_render, &b2);
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	test_result(b.rc == PLOT_OK && b2.rc == PLOT_OK && plotter_renders(p) == 1,
		    "the same script asked twice at once renders once", "rc %d %d, %llu renders",
		    b.rc, b2.rc, (unsigned long long)plotter_renders(p));
	plotter_free(p);

	lim = (struct plot_limits){.gnuplot = "/nonexistent/gnuplot"};
	snprintf(dir, sizeof(dir), "%s/missing", tmpdir);
	p = plotter_new(dir, &lim, err, sizeof(err));
	rc = plot_render(p, tiny, strlen(tiny), &po);
	test_result(rc == PLOT_ERROR && strstr(po.msg, "/nonexistent/gnuplot"),
		    "a missing gnuplot is reported by name", "rc %d: %s", rc, po.msg);
	free(po.svg);
	plotter_free(p);
}

int main(void)
{
	char err[256];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(marker, sizeof(marker), "%s/MARKER", tmpdir);
	snprintf(hostile, sizeof(hostile),
		 "INJECT `touch %s` system(\"touch %s\") \"q\" 'q' \\ \nEOD\nEOD_\r\n"
		 "]]> <b>&amp; @x $(touch %s)", marker, marker, marker);

	test_sha256();
	test_field();
	test_block();
	test_fake_gnuplot();
	if (access(PLOT_GNUPLOT, X_OK)) {
		test_skip("gnuplot renders", PLOT_GNUPLOT " is not installed");
	} else {
		plotter = plotter_new(tmpdir, NULL, err, sizeof(err));
		test_result(plotter != NULL, "a plotter over a temporary cache", "%s", err);
	}
	test_builders();
	if (plotter) {
		test_runner();
		test_limits();
	}
	test_result(!exists(marker), "no marker file: nothing the text said was run", "%s exists",
		    marker);
	plotter_free(plotter);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return test_exit();
}
