/*
 * calibrate.c - `svabench calibrate [--out FILE] [--iterations N]
 * [--name NAME]`: runs the host target's workloads in this process and
 * writes a `local` sim preset from their p50s (core/calibrate.c has the
 * mapping), then prints what it measured and wrote.
 */
#include "cli.h"
#include "../core/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: svabench calibrate [--out FILE] [--iterations N] [--name NAME]\n";

static int usage_error(void)
{
	fputs(usage, stderr);
	return EXIT_USAGE;
}

/* The value of option argv[*i] ("--opt V" or "--opt=V"); NULL when it is not opt. */
static const char *opt_value(const char *opt, int argc, char **argv, int *i, int *missing)
{
	size_t n = strlen(opt);
	const char *a = argv[*i];

	if (!strncmp(a, opt, n) && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, opt))
		return NULL;
	if (*i + 1 == argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

int cmd_calibrate(int argc, char **argv)
{
	struct calibrate_opts o = {.log = stdout};
	char err[1024];

	for (int i = 1; i < argc; i++) {
		const char *v;
		int missing = 0;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			return cli_help("calibrate", usage);
		}
		if ((v = opt_value("--out", argc, argv, &i, &missing))) {
			if (!*v) {
				cli_error("calibrate: --out needs a file");
				return usage_error();
			}
			o.out = v;
		} else if ((v = opt_value("--name", argc, argv, &i, &missing))) {
			o.name = v;
		} else if ((v = opt_value("--iterations", argc, argv, &i, &missing))) {
			char *end;
			long n;

			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || end == v || *end || n < 1 || n > CALIBRATE_ITERATIONS_MAX) {
				cli_error("calibrate: --iterations: '%s' is not a number 1..%d", v,
					  CALIBRATE_ITERATIONS_MAX);
				return EXIT_USAGE;
			}
			o.iterations = (int)n;
		} else if (missing) {
			cli_error("calibrate: %s needs a value", argv[i]);
			return usage_error();
		} else {
			cli_error("calibrate: unknown argument '%s'", argv[i]);
			return usage_error();
		}
	}
	if (o.name && calibrate_name_ok(o.name, err, sizeof(err))) {
		cli_error("calibrate: %s", err);
		return EXIT_USAGE;
	}
	if (calibrate_run(&o, err, sizeof(err))) {
		cli_error("calibrate: %s", err);
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}
