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

struct describe_args {
	int as_json, vocab;
};

enum { DESCRIBE_JSON = CLI_OPT_ID, DESCRIBE_METRICS };

static const struct option describe_options[] = {
	{"json", no_argument, NULL, DESCRIBE_JSON},
	{"metrics", no_argument, NULL, DESCRIBE_METRICS},
	{0},
};

static int describe_option(void *ctx, int id, const char *value)
{
	struct describe_args *da = ctx;

	if (id == DESCRIBE_JSON)
		da->as_json = 1;
	else
		da->vocab = 1;
	return CLI_OPT_TAKEN;
}

int cmd_describe(int argc, char **argv)
{
	struct describe_args da = {0};
	const struct cli_cmd cmd = {.name = "describe", .usage = usage, .arg = "TARGET",
				    .args = CLI_ARG_OPTIONAL, .local = 1, .options = describe_options,
				    .option = describe_option, .ctx = &da};
	const char *name;
	const struct target *t;
	int as_json, vocab, rc;
	json_t *doc;

	rc = cli_parse(&cmd, argc, argv, NULL, &name);
	if (rc != CLI_PARSED)
		return rc;
	as_json = da.as_json;
	vocab = da.vocab;

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
