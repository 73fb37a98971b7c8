/*
 * help.c - what `svabench help COMMAND` and `svabench COMMAND --help`
 * print: the synopsis, what the command does, its options and examples a
 * user can paste. One table, so the two ways of asking agree.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct help {
	const char *name;
	const char *text;   /* from "usage:" on, ending with a newline */
};

#define DAEMON_OPTS \
	"  --server URL  svabenchd (default $SVABENCH_URL, else http://127.0.0.1:8470)\n" \
	"  --var DIR     the token is DIR/token (default $SVABENCH_TOKEN, else\n" \
	"                ./var/token)\n"

static const struct help helps[] = {
	{"describe",
	 "usage: svabench describe [TARGET | --metrics] [--json]\n"
	 "\n"
	 "Without TARGET, the targets (sim, qemu, host) and whether each can run\n"
	 "here. With it, what TARGET offers a spec: parameters (type, range,\n"
	 "default, unit, source), workloads, strategies, presets; the host and qemu\n"
	 "targets also say what they detected on this machine. --metrics: the\n"
	 "metric vocabulary (unit, which direction is better, display scale, the\n"
	 "views that list each) and the strategies' roles (Fix A, Fix B, the bug,\n"
	 "the broken variant) with their colours; --json without TARGET has both.\n"
	 "\n"
	 "examples:\n"
	 "  svabench describe\n"
	 "  svabench describe sim\n"
	 "  svabench describe --metrics\n"
	 "  svabench describe host          # which SVA pieces this machine has\n"
	 "  svabench describe sim --json | jq '.params[] | .name'\n"},
	{"collectors",
	 "usage: svabench collectors [--json]\n"
	 "\n"
	 "Every counter a spec's \"collect\" can sample on this machine (perf events,\n"
	 "software events, tracepoints, SMMUv3 PMCG, procfs), available or why not.\n"
	 "\n"
	 "examples:\n"
	 "  svabench collectors\n"
	 "  svabench collectors --json | jq '.[] | select(.available)'\n"},
	{"run",
	 "usage: svabench run SPEC|- [--timeout S] [--server URL] [--var DIR]\n"
	 "       svabench run --offline SPEC|- [--json] [--jobs N] [--wide]\n"
	 "\n"
	 "Without --offline: submits SPEC to the running svabenchd (it says which),\n"
	 "waits for it with a progress bar and an ETA on a terminal, then prints its\n"
	 "comparison table, as `submit --wait` and `show` would. With --offline:\n"
	 "runs the experiment in this process, no daemon, N runs at a time (default:\n"
	 "the online CPUs), and prints the table or, with --json, the result\n"
	 "document. SPEC is a JSON file; - reads it from standard input.\n"
	 "\n"
	 "  --json     the result document instead of the table (--offline)\n"
	 "  --jobs N   runs at a time (--offline)\n"
	 "  --wide     tables as wide as they need (default: the terminal's width)\n"
	 "  --timeout S  give up waiting after S seconds (the experiment goes on)\n"
	 "\n"
	 "examples:\n"
	 "  svabench run suites/default/01-livelock.json\n"
	 "  svabench run --offline suites/default/08-crossover.json --jobs 2\n"
	 "  echo '{\"target\": \"sim\", \"workload\": \"mixed\"}' | svabench run --offline - --json\n"
	 "\n"
	 "exit status: 0 every run completed (a livelock detected is a completed run),\n"
	 "1 a run failed, 2 bad spec or usage\n"},
	{"calibrate",
	 "usage: svabench calibrate [--out FILE] [--iterations N] [--name NAME]\n"
	 "\n"
	 "Runs the host target's workloads here (N iterations each, default 500) and\n"
	 "writes a sim preset NAME (default local) from their p50s, confidence\n"
	 "local, to FILE (default $SVABENCH_PRESETS/NAME.json, else\n"
	 "./var/presets/NAME.json), where the sim finds it as \"preset\": \"NAME\".\n"
	 "\n"
	 "examples:\n"
	 "  svabench calibrate\n"
	 "  svabench calibrate --iterations 2000 --name mybox\n"},
	{"submit",
	 "usage: svabench submit SPEC|- [--wait [--timeout S]] [--server URL] [--var DIR]\n"
	 "\n"
	 "Queues an experiment on svabenchd and prints its id; --wait then waits\n"
	 "for it (a progress bar on a terminal, a one-line summary at the end).\n"
	 "\n"
	 DAEMON_OPTS
	 "\n"
	 "examples:\n"
	 "  id=$(svabench submit suites/default/08-crossover.json)\n"
	 "  svabench submit spec.json --wait --timeout 600\n"},
	{"list",
	 "usage: svabench list [--label L] [--target T] [--workload W] [--status S]\n"
	 "                     [--limit N] [--json] [--server URL] [--var DIR]\n"
	 "\n"
	 "Experiments, newest first (at most N, default 50), filtered by label,\n"
	 "target, workload, status (queued, running, done, failed, cancelled).\n"
	 "\n"
	 "examples:\n"
	 "  svabench list\n"
	 "  svabench list --target host --status done --limit 5\n"},
	{"show",
	 "usage: svabench show ID [--json] [--wide] [--server URL] [--var DIR]\n"
	 "\n"
	 "An experiment's table (medians over repetitions, ratio to the baseline),\n"
	 "fitted to the terminal unless --wide, or its result document (--json).\n"
	 "\n"
	 "examples:\n"
	 "  svabench show e12\n"
	 "  svabench show e12 --json > e12.json\n"},
	{"wait",
	 "usage: svabench wait ID [--timeout S] [--server URL] [--var DIR]\n"
	 "\n"
	 "Waits until the experiment is done (exit 0), failed or cancelled (exit 1),\n"
	 "with a progress bar and an ETA on a terminal, and ends with one line:\n"
	 "its status, runs, failures and wall time.\n"
	 "\n"
	 "examples:\n"
	 "  svabench wait e12\n"
	 "  svabench wait e12 --timeout 300 && svabench report e12\n"},
	{"cancel",
	 "usage: svabench cancel ID [--server URL] [--var DIR]\n"
	 "\n"
	 "Drops the experiment's queued runs and stops its running ones.\n"
	 "\n"
	 "examples:\n"
	 "  svabench cancel e12\n"},
	{"compare",
	 "usage: svabench compare ID [--baseline STRATEGY] [--noise PERCENT] [--alpha X]\n"
	 "                           [--metrics M,M...] [--fail-on broken|worse]\n"
	 "                           [--json] [--wide] [--server URL] [--var DIR]\n"
	 "\n"
	 "Its strategies against the baseline per cell and metric: medians, ratios\n"
	 "with 95% CIs, verdicts (better, worse, within noise, insufficient data,\n"
	 "broken, not a fix), warnings, and the crossover map of a 2-D sweep.\n"
	 "\n"
	 "  --baseline  the strategy the others are compared with (default: pri-inv when\n"
	 "              run, else the first correct one)\n"
	 "  --noise     the change below which a difference is noise, in percent\n"
	 "              (default 5; \"5%\" works too; the API's noise= is the fraction)\n"
	 "  --alpha     the U test's significance level (default 0.05)\n"
	 "  --metrics   the metrics to compare (default: the comparison's set); the\n"
	 "              first one is the crossover map's\n"
	 "  --fail-on   after the output, exit 3 when a strategy is broken in some cell\n"
	 "              (broken), or worse than the baseline on some metric (worse), or\n"
	 "              either (broken,worse); the finding is named on stderr\n"
	 "  --wide      tables as wide as they need (default: the terminal's width)\n"
	 "\n"
	 "examples:\n"
	 "  svabench compare e12\n"
	 "  svabench compare e12 --baseline notifier --noise 2 --metrics cmd.sync\n"
	 "  svabench compare e12 --json | jq '.crossover.grid'\n"
	 "  svabench compare e12 --fail-on broken || echo 'a strategy is broken'\n"
	 "\n"
	 "exit status: 0 printed, 1 the daemon could not answer, 2 bad usage or unknown\n"
	 "ID, 3 the --fail-on condition holds\n"},
	{"report",
	 "usage: svabench report ID [--baseline STRATEGY] [--full] [--fail-on broken|worse]\n"
	 "                          [--server URL] [--var DIR]\n"
	 "\n"
	 "The experiment's report as plain text for a mail, answer first: per cell\n"
	 "group the strategy that wins on the headline metric with its ratio and 95%\n"
	 "CI, the strategies that are broken (livelocks, coherence violations) or not\n"
	 "a fix; then what ran (kernel under test, modelled system, the machine that\n"
	 "ran it), the crossover map, tables (strategies as columns, metrics as rows),\n"
	 "the preset's sources and how to reproduce it. Within 80 columns.\n"
	 "\n"
	 "  --baseline  the strategy the others are compared with (default: pri-inv when\n"
	 "              run, else the first correct one)\n"
	 "  --full      a table for every cell (a sweep of more than 4 cells shows only\n"
	 "              its answer and map without it)\n"
	 "  --fail-on   after the report, exit 3 when a strategy is broken in some cell\n"
	 "              (broken), or worse than the baseline on some metric (worse), or\n"
	 "              either (broken,worse); the finding is named on stderr\n"
	 "\n"
	 "examples:\n"
	 "  svabench report e12 | mail -s 'Fix A vs Fix B' linux-mm@kvack.org\n"
	 "  svabench report e12 --baseline notifier --full > e12.txt\n"
	 "  svabench report e12 --fail-on broken,worse >/dev/null || echo regression\n"
	 "\n"
	 "exit status: 0 printed, 1 the daemon could not answer, 2 bad usage or unknown\n"
	 "ID, 3 the --fail-on condition holds\n"},
	{"export",
	 "usage: svabench export ID [-o FILE] [--format json|csv|kcidb] [--no-samples] [--gzip]\n"
	 "                          [--table runs|comparison] [--origin NAME] [--server URL] [--var DIR]\n"
	 "\n"
	 "Writes the experiment's result document (standard output, or FILE, whole\n"
	 "or not at all) for `svabench import` on another daemon, with every run's\n"
	 "time series unless --no-samples; --gzip (or a FILE ending in .gz)\n"
	 "compresses it. --format csv writes a table (--table runs: runs x metrics,\n"
	 "or the comparison), --format kcidb KCIDB v5 (ids prefixed by --origin).\n"
	 "\n"
	 "examples:\n"
	 "  svabench export e12 -o e12.json.gz\n"
	 "  svabench export e12 --format csv --table comparison > e12.csv\n"
	 "  svabench export e12 --format kcidb --origin mylab | kcidb-submit\n"},
	{"import",
	 "usage: svabench import FILE|- [--server URL] [--var DIR]\n"
	 "\n"
	 "Stores an exported result document (plain or gzip'd, with its time series)\n"
	 "as a new experiment and prints its id. A document the daemon holds already\n"
	 "is refused (409) naming the experiment that holds it.\n"
	 "\n"
	 "examples:\n"
	 "  svabench import e12.json.gz\n"
	 "  ssh board svabench export e3 | svabench import -\n"},
	{"help",
	 "usage: svabench help [COMMAND]\n"
	 "\n"
	 "The list of commands, or what COMMAND does, its options and examples\n"
	 "(the same as svabench COMMAND --help).\n"
	 "\n"
	 "examples:\n"
	 "  svabench help\n"
	 "  svabench help report\n"},
};

int cli_help(const char *name, const char *fallback)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		if (!strcmp(helps[i].name, name)) {
			fputs(helps[i].text, stdout);
			return EXIT_OK;
		}
	}
	if (fallback)
		fputs(fallback, stdout);
	return EXIT_OK;
}
