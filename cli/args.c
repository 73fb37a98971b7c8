/*
 * args.c - the arguments most commands share: --server and --var, --help,
 * the command's own options through its parser, and one positional
 * argument (an experiment ID, a SPEC, a FILE), with the same messages for
 * every command.
 */
#include "cli.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { OPT_SERVER = 0x100, OPT_VAR };

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct client_opts *o,
	      const char **arg)
{
	struct option all[CLI_OPTIONS_MAX + 4];
	char shorts[64];
	size_t n = 0;
	int c, rc;

	/* a local command has no --server or --var; the table ends with a zero entry */
	if (!cmd->local) {
		all[n++] = (struct option){"server", required_argument, NULL, OPT_SERVER};
		all[n++] = (struct option){"var", required_argument, NULL, OPT_VAR};
	}
	all[n++] = (struct option){"help", no_argument, NULL, 'h'};
	for (size_t k = 0; cmd->options && cmd->options[k].name; k++) {
		if (n == CLI_OPTIONS_MAX + 3)
			BUG("%s: more than %d options", cmd->name, CLI_OPTIONS_MAX);
		all[n++] = cmd->options[k];
	}
	all[n] = (struct option){0};
	/* "-": positionals in their place; ":": a missing value is ':', not '?' */
	snprintf(shorts, sizeof(shorts), "-:h%s", cmd->shortopts ? cmd->shortopts : "");
	*arg = NULL;
	if (!cmd->dashdash)
		for (int i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--")) {
				cli_error("%s: unknown option '--'", cmd->name);
				goto usage;
			}
	opterr = 0;
	optind = 0; /* glibc: start afresh */
	for (;;) {
		int at = optind ? optind : 1; /* the argument getopt reads next */

		if ((c = getopt_long(argc, argv, shorts, all, NULL)) == -1)
			break;
		switch (c) {
		case 1:
			if (cmd->args == CLI_ARG_NONE) {
				cli_error("%s: unexpected argument '%s'", cmd->name, optarg);
				goto usage;
			}
			if (*arg) {
				cli_error("%s: one %s at most, got '%s' and '%s'", cmd->name, cmd->arg,
					  *arg, optarg);
				goto usage;
			}
			*arg = optarg;
			break;
		case 'h':
			return cli_help(cmd->name, cmd->usage);
		case OPT_SERVER:
			o->server = optarg;
			break;
		case OPT_VAR:
			o->var = optarg;
			break;
		case ':':
			if (optopt == OPT_SERVER || optopt == OPT_VAR) {
				cli_error("%s needs a value", optopt == OPT_SERVER ? "--server" : "--var");
				goto usage;
			}
			rc = cmd->option(cmd->ctx, optopt, NULL);
			if (rc == CLI_OPT_BAD)
				return EXIT_USAGE;
			goto usage;
		case '?':
			cli_error("%s: unknown option '%s'", cmd->name, argv[at]);
			goto usage;
		default:
			rc = cmd->option(cmd->ctx, c, optarg);
			if (rc == CLI_OPT_BAD)
				return EXIT_USAGE;
			if (rc < 0)
				goto usage;
		}
	}
	/* after "--" (dashdash commands): the rest is positional */
	for (; optind < argc; optind++) {
		if (cmd->args == CLI_ARG_NONE) {
			cli_error("%s: unexpected argument '%s'", cmd->name, argv[optind]);
			goto usage;
		}
		if (*arg) {
			cli_error("%s: one %s at most, got '%s' and '%s'", cmd->name, cmd->arg, *arg,
				  argv[optind]);
			goto usage;
		}
		*arg = argv[optind];
	}
	if (!*arg && cmd->args == CLI_ARG_ONE) {
		cli_error("%s: missing %s (%s)", cmd->name, cmd->arg, cmd->hint);
		goto usage;
	}
	return CLI_PARSED;
usage:
	fputs(cmd->usage, stderr);
	return EXIT_USAGE;
}

int cli_columns(int wide)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	long n = 0;

	if (wide)
		return 0;
	if (env && *env)
		n = strtol(env, NULL, 10);
	if (n <= 0 && isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		n = ws.ws_col;
	if (n <= 0)
		n = 80;
	return n < 60 ? 60 : n > 1000 ? 1000 : (int)n;
}
