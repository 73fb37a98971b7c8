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
	{"collectors", cmd_collectors},
	{"run", cmd_run},
	{"calibrate", cmd_calibrate},
	{"submit", cmd_submit},
	{"list", cmd_list},
	{"show", cmd_show},
	{"wait", cmd_wait},
	{"cancel", cmd_cancel},
	{"compare", cmd_compare},
	{"report", cmd_report},
	{"robustness", cmd_robustness},
	{"export", cmd_export},
	{"import", cmd_import},
	{"import-lava", cmd_import_lava},
	{"lava-cases", cmd_lava_cases},
};

static const char usage[] =
	"usage: svabench [--help] [--version] COMMAND [ARGS]\n"
	"       svabench help [COMMAND]     what COMMAND does, its options and examples\n"
	"\n"
	"commands:\n"
	"  describe [TARGET | --metrics] [--json]\n"
	"      list the targets, or what TARGET offers: parameters (type, range,\n"
	"      default, unit), workloads, strategies, presets\n"
	"  collectors [--json]\n"
	"      every counter this machine offers a spec's \"collect\" (perf, software\n"
	"      events, tracepoints, SMMUv3 PMCG, procfs), available or why not\n"
	"  run --offline SPEC|- [--json] [--jobs N]\n"
	"      run an experiment in this process, without a daemon, and print a\n"
	"      comparison table (or the result document with --json); SPEC is a\n"
	"      JSON file, - reads it from standard input; N worker threads\n"
	"      (default: the online CPUs)\n"
	"  calibrate [--out FILE] [--iterations N] [--name NAME]\n"
	"      run the host target's workloads here (N iterations each, default 500)\n"
	"      and write a sim preset NAME (default local) from their p50s, confidence\n"
	"      local, to FILE (default $SVABENCH_PRESETS/NAME.json, else\n"
	"      ./var/presets/NAME.json), where the sim finds it\n"
	"\n"
	"commands that talk to svabenchd (each takes --server URL and --var DIR):\n"
	"  submit SPEC|- [--wait [--timeout S]]\n"
	"      queue an experiment and print its id; --wait then waits for it\n"
	"  list [--label L] [--target T] [--workload W] [--status S] [--limit N]\n"
	"       [--json]\n"
	"      experiments, newest first (at most N, default 50)\n"
	"  show ID [--json]\n"
	"      an experiment's comparison table, or its result document\n"
	"  wait ID [--timeout S]\n"
	"      wait until the experiment is done (exit 0), failed or cancelled (1)\n"
	"  cancel ID\n"
	"      drop its queued runs and stop its running ones\n"
	"  compare ID [--baseline S] [--noise X] [--alpha X] [--metrics M,M...] [--json]\n"
	"      its strategies against baseline S per cell and metric: medians, ratios\n"
	"      with 95% bootstrap CIs, U-test verdicts (better, worse, within noise),\n"
	"      warnings, and the crossover map of a 2-D sweep\n"
	"  robustness ID|--offline SPEC [--budget N] [--input NAME]... [--json]\n"
	"      does each cell's verdict hold when an assumed preset value moves from\n"
	"      x1/4 to x4? else its break-even (docs/verdicts.md)\n"
	"  report ID [--baseline S]\n"
	"      its report as plain text for a mail: host, preset and sources, tables\n"
	"      of medians with ratios, CIs and significance marks, crossover, livelocks\n"
	"      and coherence violations; nothing over 80 columns\n"
	"  export ID [-o FILE] [--format json|csv|kcidb]\n"
	"      write its result document (standard output, or FILE)\n"
	"  import FILE|-\n"
	"      store an exported result document as a new experiment; print its id\n"
	"  import-lava FILE|- | --lava URL JOB [--dry-run]\n"
	"      import the result documents a LAVA job shipped (its log, a notify\n"
	"      callback's JSON, or the job on a LAVA server) with board and kernel\n"
	"  lava-cases DOC|-\n"
	"      (on a LAVA board) a document's headline metrics as LAVA test cases\n"
	"\n"
	"svabenchd is at --server URL, else $SVABENCH_URL, else http://127.0.0.1:8470;\n"
	"the token for changes is in DIR/token of --var DIR, else $SVABENCH_TOKEN,\n"
	"else ./var/token\n"
	"\n"
	"exit status: 0 every run completed, 1 a run failed (or the daemon could not\n"
	"do it or be reached), 2 bad spec or usage\n";

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
	if (!strcmp(argv[1], "help")) {
		char help[] = "--help";

		if (argc == 2) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (argc > 3) {
			cli_error("help: one COMMAND at most");
			return EXIT_USAGE;
		}
		if (!strcmp(argv[2], "help") || !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))
			return cli_help("help", NULL);
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			if (!strcmp(argv[2], commands[i].name)) {
				char *args[] = {argv[2], help, NULL};

				return commands[i].fn(2, args);
			}
		}
		cli_error("help: '%s' is not a svabench command (svabench help lists them)",
			  argv[2]);
		return EXIT_USAGE;
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
