/*
 * main.c - svabenchd: parses the options, starts the log, opens the
 * daemon's state (struct svabenchd, svabenchd.c: store, scheduler, default
 * suite, caches, HTTP API), serves until SIGINT/SIGTERM and closes it
 * again. `svabenchd --worker` is the worker process the scheduler execs.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../lib/logger.h"
#include "../lib/util.h"
#include "../targets/sim/presets.h"

#include <errno.h>
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

int main(int argc, char **argv)
{
	struct svabenchd *d = xcalloc(1, sizeof(*d)); /* the daemon's state (daemon.h) */
	char err[4608];
	sigset_t sigs;
	int sig, rc;

	log_set_program("svabenchd");
	rc = config_parse(argc, argv, &d->cfg, err, sizeof(err));
	if (rc) {
		if (rc != 1)
			log_error("%s", err);
		free(d);
		return rc == 1 ? 0 : 2;
	}
	if (d->cfg.worker_mode) {
		/* the scheduler gives its workers the daemon's --var: its local presets */
		svabenchd_presets_dir(&d->cfg, d->presets_dir, sizeof(d->presets_dir));
		sim_presets_set_dir(d->presets_dir);
		free(d);
		return worker_main();
	}

	/* what the daemon creates (database, WAL, log, caches) is its user's only */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (mkdir(d->cfg.var, 0700) && errno != EEXIST) {
		snprintf(err, sizeof(err), "cannot create --var %s: %s", d->cfg.var, strerror(errno));
		refuse_start(err);
	}
	if (log_start(d->cfg.var, err, sizeof(err)))
		log_warn("%s; logging to stderr only", err);
	if (svabenchd_open(d, err, sizeof(err)))
		refuse_start(err);
	/* the URL once, on stdout (scripts read it); the log line says the rest */
	printf("svabenchd: serving http://%s:%d/\n", d->cfg.listen_host, d->cfg.port);
	fflush(stdout);
	log_info("ready: var %s, %d workers, pid %d", d->cfg.var, d->cfg.workers,
		 (int)getpid());

	while (sigwait(&sigs, &sig) == EINTR)
		;
	log_info("%s, stopping", strsignal(sig));
	svabenchd_close(d);
	free(d);
	log_info("stopped");
	log_stop();
	return 0;
}
