/*
 * args.c - the arguments most commands share: --server and --var, --help,
 * the command's own options through its parser, and one positional
 * argument (an experiment ID, a SPEC, a FILE), with the same messages for
 * every command.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cli_option_value(const char *name, int argc, char **argv, int *i, const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct client_opts *o,
	      const char **arg)
{
	int options = 1, rc;

	*arg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && cmd->dashdash && !strcmp(a, "--")) {
			options = 0;
			continue;
		}
		if (options) {
			rc = client_option(o, argc, argv, &i);
			if (!rc && cmd->option)
				rc = cmd->option(cmd->ctx, argc, argv, &i);
			if (rc == CLI_OPT_BAD)
				return EXIT_USAGE;
			if (rc < 0)
				goto usage;
			if (rc)
				continue;
		}
		if (options && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			return cli_help(cmd->name, cmd->usage);
		} else if (options && a[0] == '-' && a[1]) {
			cli_error("%s: unknown option '%s'", cmd->name, a);
			goto usage;
		} else if (*arg) {
			cli_error("%s: one %s at most, got '%s' and '%s'", cmd->name, cmd->arg, *arg, a);
			goto usage;
		} else {
			*arg = a;
		}
	}
	if (!*arg) {
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
