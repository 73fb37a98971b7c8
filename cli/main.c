/*
 * main.c - svabench's entry point: global options and the command table.
 */
#include "cli.h"
#include "../core/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{"describe", cmd_describe},
	{"run", cmd_run},
};

static const char usage[] =
	"usage: svabench [--help] [--version] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  describe [TARGET] [--json]\n"
	"      list the targets, or what TARGET offers: parameters (type, range,\n"
	"      default, unit), workloads, strategies, presets\n"
	"  run --offline SPEC|- [--json] [--jobs N]\n"
	"      run an experiment in this process, without a daemon, and print a\n"
	"      comparison table (or the result document with --json); SPEC is a\n"
	"      JSON file, - reads it from standard input; N worker threads\n"
	"      (default: the online CPUs)\n"
	"\n"
	"exit status: 0 every run completed, 1 a run failed, 2 bad spec or usage\n";

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("svabench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("svabench %s\n", SVABENCH_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		cli_error("unknown option '%s'", argv[1]);
	else
		cli_error("'%s' is not a svabench command", argv[1]);
	fputs(usage, stderr);
	return EXIT_USAGE;
}
