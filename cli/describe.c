/*
 * describe.c - `svabench describe [TARGET] [--json]`: the targets, or one
 * target's parameters, workloads, strategies and presets; `--metrics`: the
 * metric vocabulary and the strategies' roles.
 */
#include "cli.h"
#include "../core/core.h"

#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: svabench describe [TARGET | --metrics] [--json]\n";

int cmd_describe(int argc, char **argv)
{
	const char *name = NULL;
	const struct target *t;
	int as_json = 0, vocab = 0;
	json_t *doc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = 1;
		} else if (!strcmp(argv[i], "--metrics")) {
			vocab = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			return cli_help("describe", usage);
		} else if (argv[i][0] == '-') {
			cli_error("describe: unknown option '%s'", argv[i]);
			fputs(usage, stderr);
			return EXIT_USAGE;
		} else if (name) {
			cli_error("describe: one TARGET at most, got '%s' and '%s'", name, argv[i]);
			fputs(usage, stderr);
			return EXIT_USAGE;
		} else {
			name = argv[i];
		}
	}

	if (vocab && name) {
		cli_error("describe: --metrics or a TARGET, not both");
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	t = name ? target_find(name) : NULL;
	if (name && !t) {
		char list[256] = "";

		for (size_t i = 0; i < target_count(); i++) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				 target_at(i)->name);
		}
		cli_error("unknown target \"%s\"; allowed: %s", name, list);
		return EXIT_USAGE;
	}
	if (!as_json) {
		if (vocab)
			describe_vocabulary_text(stdout);
		else if (t)
			describe_target_text(stdout, t);
		else
			describe_targets_text(stdout);
		return fflush(stdout) ? EXIT_RUN_FAILED : EXIT_OK;
	}
	doc = vocab ? describe_vocabulary_json() : t ? describe_target_json(t) : describe_targets_json();
	if (!doc) {
		cli_error("out of memory");
		return EXIT_RUN_FAILED;
	}
	if (json_print(stdout, doc)) {
		json_decref(doc);
		cli_error("cannot write the output");
		return EXIT_RUN_FAILED;
	}
	json_decref(doc);
	return EXIT_OK;
}
