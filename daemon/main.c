/*
 * main.c - svabenchd: opens the store under --var, re-queues what a crash
 * left running, queues the default suite on an empty store, runs the
 * scheduler and the HTTP API, and stops cleanly on SIGINT/SIGTERM.
 * `svabenchd --worker` is the worker process the scheduler execs.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../lib/logger.h"
#include "../lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A start-up refusal: on the terminal and in the log, then exit 1. */
static void refuse_start(const char *msg)
{
	log_error("%s", msg);
	log_stop();
	exit(1);
}

static int json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".json") && d->d_name[0] != '.';
}

/* Queues suites/default/ (sorted by name) on an empty store. */
static void queue_default_suite(struct scheduler *sched, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, json_file, alphasort);

	if (n < 0) {
		log_warn("default suite %s: %s; nothing queued", dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[8400], id[32];
		struct spec_error e;
		char *text;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		text = read_file(path, SPEC_MAX_BYTES, &len);
		if (!text) {
			log_error("default suite: cannot read %s: %s", path, strerror(errno));
		} else if (scheduler_submit(sched, text, len, id, sizeof(id), &e)) {
			log_warn("default suite: %s: %s%s%s", path, e.field,
				 e.field[0] ? ": " : "", e.msg);
		} else {
			log_info("queued %s as %s", names[i]->d_name, id);
		}
		free(text);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[4608], token[128], path[4200];
	struct store *st;
	struct scheduler *sched;
	struct http *http;
	struct http_ctx ctx;
	sigset_t sigs;
	int sig, requeued = 0, rc;

	log_set_program("svabenchd");
	rc = config_parse(argc, argv, &cfg, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc) {
		log_error("%s", err);
		return 2;
	}
	if (cfg.worker_mode)
		return worker_main();

	/* what the daemon creates (database, WAL, log, caches) is its user's only */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (mkdir(cfg.var, 0700) && errno != EEXIST) {
		snprintf(err, sizeof(err), "cannot create --var %s: %s", cfg.var, strerror(errno));
		refuse_start(err);
	}
	if (log_start(cfg.var, err, sizeof(err)))
		log_warn("%s; logging to stderr only", err);
	snprintf(path, sizeof(path), "%s/presets", cfg.var), setenv("SVABENCH_PRESETS", path, 1);
	if (auth_init(cfg.var, token, sizeof(token), err, sizeof(err)))
		refuse_start(err);
	if (lava_callback_init(cfg.var, err, sizeof(err)))
		refuse_start(err);
	snprintf(path, sizeof(path), "%s/svabench.db", cfg.var);
	st = store_open(path, err, sizeof(err));
	if (!st)
		refuse_start(err);
	if (store_recover(st, &requeued))
		log_error("recovering interrupted runs failed: %s", store_error(st));
	else if (requeued)
		log_info("%d interrupted run(s) re-queued", requeued);
	sched = scheduler_start(st, &cfg, err, sizeof(err));
	if (!sched)
		refuse_start(err);
	if (!cfg.no_default_suite && store_is_empty(st) == 1)
		queue_default_suite(sched, cfg.suite_dir);
	ctx = (struct http_ctx){st, sched, &cfg, token};
	http = http_start(&ctx, err, sizeof(err));
	if (!http) {
		scheduler_stop(sched);
		store_close(st);
		refuse_start(err);
	}
	/* the URL once, on stdout (scripts read it); the log line says the rest */
	printf("svabenchd: serving http://%s:%d/\n", cfg.listen_host, cfg.port);
	fflush(stdout);
	log_info("ready: var %s, %d workers, pid %d", cfg.var, cfg.workers,
		 (int)getpid());

	while (sigwait(&sigs, &sig) == EINTR)
		;
	log_info("%s, stopping", strsignal(sig));
	http_stop(http);
	scheduler_stop(sched);
	if (store_recover(st, &requeued) == 0 && requeued)
		log_info("%d running run(s) re-queued for the next start", requeued);
	store_close(st);
	log_info("stopped");
	log_stop();
	return 0;
}
