/*
 * describe.c - `svabench describe [TARGET] [--json]`: the targets, or one
 * target's parameters, workloads, strategies and presets.
 */
#include "cli.h"
#include "../core/core.h"

#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: svabench describe [TARGET] [--json]\n";

int cmd_describe(int argc, char **argv)
{
	const char *name = NULL;
	const struct target *t;
	int as_json = 0;
	json_t *doc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			as_json = 1;
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
		if (t)
			describe_target_text(stdout, t);
		else
			describe_targets_text(stdout);
		return fflush(stdout) ? EXIT_RUN_FAILED : EXIT_OK;
	}
	doc = t ? describe_target_json(t) : describe_targets_json();
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
