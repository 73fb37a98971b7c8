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

enum { CAL_OUT = 0x100, CAL_NAME, CAL_ITERATIONS };

static const struct option options[] = {
	{"help", no_argument, NULL, 'h'},
	{"out", required_argument, NULL, CAL_OUT},
	{"name", required_argument, NULL, CAL_NAME},
	{"iterations", required_argument, NULL, CAL_ITERATIONS},
	{0},
};

int cmd_calibrate(int argc, char **argv)
{
	struct calibrate_opts o = {.log = stdout};
	char err[1024];

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			cli_error("calibrate: unknown argument '%s'", argv[i]);
			return usage_error();
		}
	opterr = 0;
	optind = 0; /* glibc: start afresh */
	for (;;) {
		int at = optind ? optind : 1, c = getopt_long(argc, argv, "-:h", options, NULL);
		char *end;
		long n;

		if (c == -1)
			break;
		switch (c) {
		case 'h':
			return cli_help("calibrate", usage);
		case CAL_OUT:
			if (!*optarg) {
				cli_error("calibrate: --out needs a file");
				return usage_error();
			}
			o.out = optarg;
			break;
		case CAL_NAME:
			o.name = optarg;
			break;
		case CAL_ITERATIONS:
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || n < 1 || n > CALIBRATE_ITERATIONS_MAX) {
				cli_error("calibrate: --iterations: '%s' is not a number 1..%d", optarg,
					  CALIBRATE_ITERATIONS_MAX);
				return EXIT_USAGE;
			}
			o.iterations = (int)n;
			break;
		case ':':
			cli_error("calibrate: --%s needs a value", options[optopt - CAL_OUT + 1].name);
			return usage_error();
		default: /* '?' an unknown option, 1 a positional argument */
			cli_error("calibrate: unknown argument '%s'", c == 1 ? optarg : argv[at]);
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
