/*
 * config.c - svabenchd's options as one declarative table (name, kind,
 * bounds, default, help): the single source for parsing, validation and
 * --help.
 */
#include "daemon.h"
#include "../lib/util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind { OPT_LISTEN, OPT_INT, OPT_SIZE, OPT_PATH, OPT_FLAG };

struct opt {
	const char *name;
	enum opt_kind kind;
	long long min, max;
	size_t off;
	const char *dflt;       /* the value before argv, applied as if given; NULL: none */
	const char *arg, *help; /* --help shows "(default DFLT)" after help */
};

#define OFF(f) offsetof(struct config, f)

static const struct opt opts[] = {
	{"listen", OPT_LISTEN, 1, 65535, 0, "127.0.0.1:8470", "HOST:PORT", "address to serve on; loopback only unless you mean it"},
	{"var", OPT_PATH, 0, 0, OFF(var), "./var", "DIR", "state: SQLite file, token, log"},
	{"no-default-suite", OPT_FLAG, 0, 1, OFF(no_default_suite), NULL, NULL, "do not queue the default suite on an empty store"},
	{"suite", OPT_PATH, 0, 0, OFF(suite_dir), "suites/default", "DIR", "the default suite's specs"},
	{"web", OPT_PATH, 0, 0, OFF(web_dir), "web", "DIR", "the dashboard's files"},
	{"workers", OPT_INT, 1, 256, OFF(workers), NULL, "N", "worker processes running at once (default: online CPUs)"},
	{"run-timeout", OPT_INT, 1, 86400, OFF(run_timeout_s), "600", "S", "kill a run's worker after S seconds"},
	{"queue-max", OPT_INT, 1, 10000000, OFF(queue_max), "50000", "N", "runs waiting at most; submissions past it get 429"},
	{"http-threads", OPT_INT, 1, 64, OFF(http_threads), "4", "N", "HTTP thread pool size"},
	{"conn-limit", OPT_INT, 1, 100000, OFF(conn_limit), "4096", "N", "open connections at most; when full, a new one replaces the one waiting longest for its request"},
	{"per-ip-limit", OPT_INT, 1, 100000, OFF(per_ip_limit), "2048", "N", "open connections per client address, the same way"},
	{"conn-timeout", OPT_INT, 1, 3600, OFF(conn_timeout_s), "30", "S", "idle connection timeout"},
	{"request-timeout", OPT_INT, 1, 3600, OFF(request_timeout_s), "30", "S", "a request must arrive whole within S seconds of its connection opening or the previous answer, however it trickles"},
	{"conn-memory", OPT_SIZE, 8192, 16 << 20, OFF(conn_memory), "65536", "BYTES", "memory per connection"},
	{"body-max", OPT_SIZE, 1024, 64 << 20, OFF(body_max), "1048576", "BYTES", "largest request body"},
	{"import-max", OPT_SIZE, 1024, 64LL << 30, OFF(import_max), "1073741824", "BYTES", "largest result document POST /api/v1/import takes, as sent and unpacked; streamed to a file in --var, never held whole"},
	{"allow-host", OPT_PATH, 0, 0, OFF(allow_hosts), NULL, "NAMES", "Host header names answered besides localhost, 127.0.0.1, [::1] and --listen's host (comma-separated; '*' answers any, e.g. behind a proxy)"},
	{"worker", OPT_FLAG, 0, 1, OFF(worker_mode), NULL, NULL, NULL}, /* internal */
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int apply(struct config *c, const struct opt *o, const char *v, char *err, size_t len);

/* Every option's default from the table, as if given on the command line. */
static void defaults(struct config *c)
{
	char err[160];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].dflt && apply(c, &opts[i], opts[i].dflt, err, sizeof(err)))
			BUG("svabenchd's default for --%s: %s", opts[i].name, err);
}

void config_usage(FILE *f)
{
	fprintf(f, "usage: svabenchd [options]\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[48];

		if (!opts[i].help)
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		if (opts[i].dflt)
			fprintf(f, "  %-26s %s (default %s)\n", left, opts[i].help, opts[i].dflt);
		else
			fprintf(f, "  %-26s %s\n", left, opts[i].help);
	}
}

static int parse_listen(struct config *c, const char *v, char *err, size_t len)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (!colon || colon == v || (size_t)(colon - v) >= sizeof(c->listen_host)) {
		snprintf(err, len, "--listen: expected HOST:PORT, e.g. 127.0.0.1:8470, got \"%s\"", v);
		return -1;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 1 || port > 65535) {
		snprintf(err, len, "--listen: port \"%s\" out of range, allowed 1..65535", colon + 1);
		return -1;
	}
	memcpy(c->listen_host, v, (size_t)(colon - v));
	c->listen_host[colon - v] = 0;
	c->port = (int)port;
	return 0;
}

static int apply(struct config *c, const struct opt *o, const char *v, char *err, size_t len)
{
	char *end, *base = (char *)c + o->off;
	long long n;

	switch (o->kind) {
	case OPT_LISTEN:
		return parse_listen(c, v, err, len);
	case OPT_PATH:
		if (strlen(v) >= 4096 || !*v) {
			snprintf(err, len, "--%s: expected a path of 1..4095 bytes", o->name);
			return -1;
		}
		snprintf(base, 4096, "%s", v);
		return 0;
	case OPT_FLAG:
		*(int *)(void *)base = 1;
		return 0;
	case OPT_INT:
	case OPT_SIZE:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno || *end || end == v || n < o->min || n > o->max) {
			snprintf(err, len, "--%s: \"%s\" out of range, allowed %lld..%lld", o->name, v,
				 o->min, o->max);
			return -1;
		}
		if (o->kind == OPT_INT)
			*(int *)(void *)base = (int)n;
		else
			*(size_t *)(void *)base = (size_t)n;
		return 0;
	}
	return -1;
}

int config_parse(int argc, char **argv, struct config *c, char *err, size_t len)
{
	defaults(c);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		const struct opt *o = NULL;
		size_t nlen;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			config_usage(stdout);
			return 1;
		}
		if (strncmp(a, "--", 2)) {
			snprintf(err, len, "unexpected argument \"%s\" (see --help)", a);
			return -1;
		}
		a += 2;
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (size_t k = 0; k < NOPTS; k++)
			if (strlen(opts[k].name) == nlen && !strncmp(opts[k].name, a, nlen))
				o = &opts[k];
		if (!o) {
			snprintf(err, len, "unknown option \"--%.*s\" (see --help)", (int)nlen, a);
			return -1;
		}
		if (o->kind != OPT_FLAG) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				snprintf(err, len, "--%s needs a value (%s)", o->name, o->arg);
				return -1;
			}
		} else if (eq) {
			snprintf(err, len, "--%s takes no value", o->name);
			return -1;
		}
		if (apply(c, o, val, err, len))
			return -1;
	}
	if (!c->workers)
		c->workers = runner_default_jobs();
	return 0;
}
