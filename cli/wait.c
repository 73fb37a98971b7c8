/*
 * wait.c - `svabench wait ID [--timeout S]`: polls an experiment until it
 * is done, failed or cancelled, with a progress bar and an ETA on a
 * terminal, and ends with one line on stderr (done, or why not). Also what
 * `submit --wait` and `run` do after submitting.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 20
#define TIMEOUT_MAX_S (365.0 * 24 * 3600)

static const char usage[] =
	"usage: svabench wait ID [--timeout S] [--server URL] [--var DIR]\n";

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

int cli_parse_seconds(const char *opt, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v <= 0 || v > TIMEOUT_MAX_S) {
		cli_error("%s: '%s' is not a number of seconds > 0", opt, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static json_int_t count(const json_t *exp, const char *key)
{
	json_t *v = json_object_get(exp, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* `[#####-----] 48/96 runs  12.3 s  ETA 13 s`, over itself; the ETA from
 * the rate since the first poll, once some run has finished since. */
static void show_bar(json_int_t finished, json_int_t total, double elapsed,
		     json_int_t first, double first_t)
{
	char eta[48] = "";

	char bar[BAR_WIDTH + 1];
	int fill = total > 0 ? (int)(finished * BAR_WIDTH / total) : 0;

	if (fill > BAR_WIDTH)
		fill = BAR_WIDTH;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '-', (size_t)(BAR_WIDTH - fill));
	bar[BAR_WIDTH] = '\0';
	if (finished > first && elapsed > first_t && total > finished) {
		double left = (double)(total - finished) * (elapsed - first_t) /
			      (double)(finished - first);

		snprintf(eta, sizeof(eta), "  ETA %.0f s", ceil(left));
	}
	fprintf(stderr, "\r[%s] %lld/%lld runs  %.1f s%s\033[K", bar, (long long)finished,
		(long long)total, elapsed, eta);
	fflush(stderr);
}

int client_wait(struct client *c, const char *id, double timeout_s)
{
	int tty = isatty(STDERR_FILENO), shown = 0, rc = EXIT_RUN_FAILED;
	double start = now_s(), first_t = -1;
	json_int_t first = 0;
	char *path = client_experiment_path(id, "?runs=false");
	json_t *doc = NULL;

	for (;;) {
		struct client_response r;
		const json_t *exp;
		const char *status;
		json_int_t total, finished;
		double elapsed;

		if (client_request(c, "GET", path, NULL, 0, &r)) {
			rc = EXIT_RUN_FAILED;
			break;
		}
		/* Overloaded: ask again at the next poll. */
		if (r.status == 429 || r.status == 503) {
			client_response_free(&r);
			doc = NULL;
		} else if (r.status < 200 || r.status > 299) {
			if (shown)
				fputs("\r\033[K", stderr);
			shown = 0;
			rc = client_fail(c, &r);
			client_response_free(&r);
			break;
		} else {
			doc = json_loadb(r.body, r.len, 0, NULL);
			client_response_free(&r);
			if (!doc) {
				cli_error("svabenchd at %s answered GET %s with something that is "
					  "not JSON", client_url(c), path);
				rc = EXIT_RUN_FAILED;
				break;
			}
		}
		elapsed = now_s() - start;
		if (doc) {
			/* The document, or the experiment object alone. */
			exp = json_object_get(doc, "experiment");
			if (!exp)
				exp = doc;
			status = json_string_value(json_object_get(exp, "status"));
			total = count(exp, "runs_total");
			finished = count(exp, "runs_done") + count(exp, "runs_failed");
			if (!status) {
				cli_error("svabenchd's experiment %s has no status", id);
				rc = EXIT_RUN_FAILED;
				break;
			}
			if (first_t < 0) {
				first = finished;
				first_t = elapsed;
			}
			if (tty) {
				show_bar(finished, total, elapsed, first, first_t);
				shown = 1;
			}
			if (!strcmp(status, "done") || !strcmp(status, "failed") ||
			    !strcmp(status, "cancelled")) {
				if (shown)
					fputs("\r\033[K", stderr);
				shown = 0;
				rc = EXIT_OK;
				if (!strcmp(status, "done"))
					fprintf(stderr, "%s: done, %lld of %lld runs, %lld failed, "
						"waited %.1f s\n", id, (long long)finished,
						(long long)total, (long long)count(exp, "runs_failed"),
						elapsed);
				if (!strcmp(status, "failed")) {
					cli_error("experiment %s failed: %lld of %lld runs failed", id,
						  (long long)count(exp, "runs_failed"), (long long)total);
					rc = EXIT_RUN_FAILED;
				} else if (!strcmp(status, "cancelled")) {
					cli_error("experiment %s was cancelled after %lld of %lld runs",
						  id, (long long)finished, (long long)total);
					rc = EXIT_RUN_FAILED;
				}
				break;
			}
			if (timeout_s > 0 && elapsed >= timeout_s) {
				if (shown)
					fputs("\r\033[K", stderr);
				shown = 0;
				cli_error("wait: timed out after %g s; experiment %s is %s, %lld of "
					  "%lld runs finished", timeout_s, id, status,
					  (long long)finished, (long long)total);
				rc = EXIT_RUN_FAILED;
				break;
			}
			json_decref(doc);
			doc = NULL;
		} else if (timeout_s > 0 && elapsed >= timeout_s) {
			cli_error("wait: timed out after %g s; svabenchd is overloaded", timeout_s);
			rc = EXIT_RUN_FAILED;
			break;
		}
		sleep_ms(CLIENT_POLL_MS);
	}
	if (shown)
		fputs("\r\033[K", stderr);
	json_decref(doc);
	free(path);
	return rc;
}

int cli_timeout_value(const char *value, double *timeout_s)
{
	if (!value) {
		cli_error("--timeout needs a number of seconds");
		return CLI_OPT_USAGE;
	}
	return cli_parse_seconds("--timeout", value, timeout_s) ? CLI_OPT_BAD : CLI_OPT_TAKEN;
}

static const struct option wait_options[] = {
	{"timeout", required_argument, NULL, CLI_OPT_ID},
	{0},
};

static int wait_option(void *timeout_s, int id, const char *value)
{
	return cli_timeout_value(value, timeout_s);
}

int cmd_wait(int argc, char **argv)
{
	double timeout_s = 0;
	const struct cli_cmd cmd = {.name = "wait", .usage = usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .options = wait_options, .option = wait_option,
				    .ctx = &timeout_s};
	const char *id;
	struct client *c;
	int rc;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	rc = client_wait(c, id, timeout_s);
	client_close(c);
	return rc;
}
