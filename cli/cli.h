/*
 * cli.h - the svabench command-line tool: one command per file (git's
 * builtin-*.c), dispatched by main.c. Each command gets argv from its own
 * name on and returns the process exit status.
 */
#ifndef SVABENCH_CLI_H
#define SVABENCH_CLI_H

#include "../core/core.h"
#include "../lib/strbuf.h"

#include <getopt.h>

/* Exit statuses (api.md). */
#define EXIT_OK 0
#define EXIT_RUN_FAILED 1 /* a run failed, or output could not be written */
#define EXIT_USAGE 2      /* bad spec or usage; nothing was run */
#define EXIT_GATE 3       /* compare|report --fail-on: the condition holds */

/* `svabench describe [TARGET] [--json]` */
int cmd_describe(int argc, char **argv);

/* `svabench collectors [--json]`: this machine's counters and their availability */
int cmd_collectors(int argc, char **argv);

/* `svabench run --offline SPEC|- [--json] [--jobs N]` */
int cmd_run(int argc, char **argv);

/* `svabench calibrate [--out FILE] [--iterations N] [--name NAME]`: a `local`
 * sim preset from the host target's measurements (core/calibrate.c) */
int cmd_calibrate(int argc, char **argv);

/* `svabench submit SPEC|- [--wait [--timeout S]]`: prints the new id */
int cmd_submit(int argc, char **argv);

/* `svabench list [--label L] [--target T] [--workload W] [--status S]
 * [--limit N] [--json]` */
int cmd_list(int argc, char **argv);

/* `svabench show ID [--json] [--wide]` */
int cmd_show(int argc, char **argv);
/*
 * The table of result document doc (experiment id), as show prints it,
 * within the terminal's width unless wide; the exit status.
 */
int cli_print_table(const json_t *doc, const char *id, int wide);

/* `svabench wait ID [--timeout S]` */
int cmd_wait(int argc, char **argv);

/* `svabench cancel ID` */
int cmd_cancel(int argc, char **argv);

/* `svabench compare ID [--baseline S] [--noise X] [--alpha X] [--metrics M,M]
 * [--json]`: strategies against a baseline, per cell and metric */
int cmd_compare(int argc, char **argv);

/* `svabench robustness ID|--offline SPEC [...]`: does each cell's verdict
 * survive other guesses of the assumed inputs (cli/robustness.c) */
int cmd_robustness(int argc, char **argv);

/* `svabench report ID [--baseline S]`: the mail-ready text report */
int cmd_report(int argc, char **argv);

/* `svabench export ID [-o FILE] [--format ...]` and `svabench import FILE|-` */
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* `svabench import-lava FILE|- | --lava URL JOB` and `svabench lava-cases
 * DOC|-` (import_lava.c, docs/lava.md) */
int cmd_import_lava(int argc, char **argv);
int cmd_lava_cases(int argc, char **argv);

/*
 * ---- args.c: a command's arguments ----
 *
 * Most commands take --server/--var, --help, options of their own and one
 * positional argument: an experiment ID, a SPEC, a FILE; cli_parse reads
 * them with getopt_long from each command's table of options.
 */

/* What a command's option callback says. */
#define CLI_OPT_TAKEN 1   /* taken, with its value */
#define CLI_OPT_USAGE -1  /* bad usage, after a message: the usage follows */
#define CLI_OPT_BAD -2    /* a bad value, after a message: exit without the usage */

/* Where an experiment ID comes from, for "missing ID (...)". */
#define CLI_ID_HINT "as submit printed it, or from svabench list"

struct client_opts;

/* How many positional arguments a command takes (struct cli_cmd's args). */
enum { CLI_ARG_ONE, CLI_ARG_OPTIONAL, CLI_ARG_NONE };

/* The first getopt_long val a command's own long option may use. */
#define CLI_OPT_ID 0x200
#define CLI_OPTIONS_MAX 64

struct cli_cmd {
	const char *name;   /* "show": the messages start with it */
	const char *usage;  /* on stdout for --help, on stderr after bad usage */
	const char *arg;    /* the positional argument: "ID", "SPEC", "FILE" */
	const char *hint;   /* what it is, for "missing ID (<hint>)" */
	int dashdash;       /* 1: "--" ends the options */
	int args;           /* CLI_ARG_ONE (0), CLI_ARG_OPTIONAL or CLI_ARG_NONE */
	int local;          /* 1: no --server/--var (the command does not talk to svabenchd) */
	/* The command's own options for getopt_long ({0}-ended; val CLI_OPT_ID + k), or NULL. */
	const struct option *options;
	const char *shortopts;  /* its short options in getopt's form ("o:"), or NULL */
	/*
	 * One of the command's options: id is its val, value its argument (NULL
	 * when a required one is missing: say what it needs, return
	 * CLI_OPT_USAGE). CLI_OPT_TAKEN, CLI_OPT_USAGE or CLI_OPT_BAD.
	 */
	int (*option)(void *ctx, int id, const char *value);
	void *ctx;
};

/*
 * Parses argv (from the command's name on) with getopt_long: --server,
 * --var, --help and the command's options, into o (NULL for a local
 * command) and *arg, the one positional argument, which must be there
 * unless cmd->args says otherwise. CLI_PARSED to go on; else the
 * exit status, after --help's usage or a message (and the usage on stderr
 * when it is bad usage).
 */
#define CLI_PARSED -1
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct client_opts *o,
	      const char **arg);

/*
 * ---- client.c: talking to svabenchd over HTTP (libcurl) ----
 *
 * Every daemon command takes --server URL (else SVABENCH_URL, else
 * http://127.0.0.1:8470) and --var DIR (the token is DIR/token; without
 * --var, SVABENCH_TOKEN, else ./var/token). Every request is bounded:
 * CLIENT_CONNECT_TIMEOUT_S to connect, CLIENT_TIMEOUT_S in all.
 */
#define CLIENT_DEFAULT_URL "http://127.0.0.1:8470"
#define CLIENT_CONNECT_TIMEOUT_S 5
#define CLIENT_TIMEOUT_S 60
#define CLIENT_BODY_MAX (512L * 1024 * 1024) /* largest answer accepted */

struct client_opts {
	const char *server; /* --server, or NULL */
	const char *var;    /* --var, or NULL */
};

struct client;

/* An answer: the HTTP status, the body (NUL-terminated, owned) and the
 * Location header ("" when absent or too long). */
struct client_response {
	long status;
	char *body;
	size_t len;
	char location[512];
	int retry_after;         /* the Retry-After header in seconds, 0 when none */
};

/* A client for o's server, or NULL after a message (bad --server URL, OOM). */
struct client *client_open(const struct client_opts *o);
void client_close(struct client *c);
/* The base URL, without a trailing slash. */
const char *client_url(const struct client *c);

/*
 * One request: method GET or POST, path under the base URL ("/api/v1/..."),
 * body (POSTs send it as application/json with the bearer token). 0 when an
 * answer arrived, whatever its status (free it with client_response_free);
 * -1 after a message when the daemon could not be reached or did not answer
 * in time.
 */
int client_request(struct client *c, const char *method, const char *path,
		   const char *body, size_t len, struct client_response *r);
void client_response_free(struct client_response *r);

/*
 * Prints an error answer as one line, "svabench: <field>: <message>" from
 * api.md's {"error": {...}} body, and returns the exit status it means:
 * EXIT_USAGE for bad input (400, 404, 413, 415), EXIT_RUN_FAILED otherwise.
 */
int client_fail(const struct client *c, const struct client_response *r);

/*
 * A request whose answer must be 2xx: EXIT_OK with *r (free it with
 * client_response_free), or the exit status after a message.
 */
int client_call(struct client *c, const char *method, const char *path, const char *body,
		size_t len, struct client_response *r);

/*
 * A request whose answer must be a 2xx JSON object: EXIT_OK with *out set
 * (the caller owns it), or the exit status after a message.
 */
int client_call_json(struct client *c, const char *method, const char *path,
		     const char *body, size_t len, json_t **out);

/*
 * POSTs body to path, which creates an experiment (submit, import), and
 * writes the new experiment's id into id: the answer's "id" (or
 * experiment.id), else the last part of its Location. EXIT_OK, or the exit
 * status after a message.
 */
int client_create(struct client *c, const char *path, const char *body, size_t len,
		  char *id, size_t idlen);

/* "/api/v1/experiments/<id escaped><suffix>" (malloc'd; dies on OOM). */
char *client_experiment_path(const char *id, const char *suffix);

/*
 * For a command taking one experiment ID: cli_parse, then client_open. The
 * client with *id set, or NULL with *rc the exit status.
 */
struct client *client_open_id(const struct cli_cmd *cmd, int argc, char **argv,
			      const char **id, int *rc);

/*
 * Appends "?name=<value escaped>" ("&..." after the first) to the malloc'd
 * *path; nothing when value is NULL.
 */
void client_add_query(char **path, const char *name, const char *value);

/* s percent-encoded for a URL path or query (malloc'd). */
char *client_escape(const char *s);

/*
 * A curl write callback's target: the answer so far in sb, refused (over
 * set, the transfer stopped) past max bytes.
 */
struct client_sink {
	struct strbuf sb;
	size_t max;
	int over;
};
/* CURLOPT_WRITEFUNCTION for a struct client_sink (CURLOPT_WRITEDATA). */
size_t client_sink_write(char *p, size_t size, size_t nmemb, void *sink);

/*
 * Reads all of path ("-": standard input), at most max bytes, NUL-terminated.
 * NULL after a message naming what was being read (what: "spec").
 */
char *client_read_input(const char *path, const char *what, size_t max, size_t *len);

/*
 * ---- wait.c ----
 *
 * Polls experiment id every CLIENT_POLL_MS until it is done, failed or
 * cancelled (a progress bar on stderr when it is a terminal). EXIT_OK when
 * done; EXIT_RUN_FAILED when it failed, was cancelled, or timeout_s (> 0)
 * passed first; an error's status otherwise.
 */
#define CLIENT_POLL_MS 500
int client_wait(struct client *c, const char *id, double timeout_s);

/* Parses a --timeout value in seconds (> 0); -1 after a message. */
int cli_parse_seconds(const char *opt, const char *arg, double *out);

/* A command's --timeout value (NULL: missing) into *timeout_s: one of CLI_OPT_*. */
int cli_timeout_value(const char *value, double *timeout_s);

/*
 * ---- failon.c: compare|report --fail-on broken|worse ----
 */
#define FAIL_ON_BROKEN 1
#define FAIL_ON_WORSE 2
/* "broken", "worse" or "broken,worse" into *flags (or-ed); -1 after a message. */
int cli_fail_on_parse(const char *cmd, const char *value, int *flags);
/* EXIT_GATE after naming the first finding on stderr when comparison cmp
 * holds what flags ask about; else EXIT_OK. */
int cli_fail_on_check(const json_t *cmp, int flags);

/*
 * The columns tables may use: --wide, else $COLUMNS, else the terminal's
 * width when stdout is one, else 80; at least 60 (wide: unlimited, 0).
 */
int cli_columns(int wide);

/*
 * ---- help.c ----
 *
 * Prints command name's help (synopsis, what it does, options, examples)
 * on stdout, or fallback when help.c has none; EXIT_OK.
 */
int cli_help(const char *name, const char *fallback);

/* Prints "svabench: <message>" and a newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
