/*
 * cli.h - the svabench command-line tool: one command per file (git's
 * builtin-*.c), dispatched by main.c. Each command gets argv from its own
 * name on and returns the process exit status.
 */
#ifndef SVABENCH_CLI_H
#define SVABENCH_CLI_H

/* Exit statuses (api.md). */
#define EXIT_OK 0
#define EXIT_RUN_FAILED 1 /* a run failed, or output could not be written */
#define EXIT_USAGE 2      /* bad spec or usage; nothing was run */

/* `svabench describe [TARGET] [--json]` */
int cmd_describe(int argc, char **argv);

/* `svabench run --offline SPEC|- [--json] [--jobs N]` */
int cmd_run(int argc, char **argv);

/* Prints "svabench: <message>" and a newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
