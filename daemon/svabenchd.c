/*
 * svabenchd.c - the daemon's state in one struct (struct svabenchd,
 * daemon.h), set up in one place and torn down in reverse: the
 * configuration, the tokens, the local presets' directory (given to the
 * sim here and to each worker on its command line, never through the
 * environment), the store (with the runs a crash left running re-queued),
 * the scheduler, the default suite on an empty store, the API's caches and
 * the HTTP server.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../lib/logger.h"
#include "../lib/util.h"
#include "../targets/sim/presets.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void svabenchd_presets_dir(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/presets", cfg->var);
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
		size_t len = 0;
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		/* NUL-terminated: the store keeps the spec as a C string */
		text = read_file(path, SPEC_MAX_BYTES, &len);
		if (!text)
			log_error("default suite: cannot read %s: %s", path, strerror(errno));
		else if (scheduler_submit(sched, text, len, id, sizeof(id), &e))
			log_warn("default suite: %s: %s%s%s", path, e.field,
				 e.field[0] ? ": " : "", e.msg);
		else
			log_info("queued %s as %s", names[i]->d_name, id);
		free(text);
		free(names[i]);
	}
	free(names);
}

int svabenchd_open(struct svabenchd *d, char *err, size_t len)
{
	const struct config *cfg = &d->cfg;
	char path[4200];
	struct http_ctx ctx;
	int requeued = 0;

	d->store = NULL;
	d->sched = NULL;
	d->compare = NULL;
	d->plots = NULL;
	d->http = NULL;
	if (mkdir(cfg->var, 0700) && errno != EEXIST)
		return error_into(err, len, "cannot create --var %s: %s", cfg->var, strerror(errno));
	svabenchd_presets_dir(cfg, d->presets_dir, sizeof(d->presets_dir));
	sim_presets_set_dir(d->presets_dir);
	if (auth_init(cfg->var, d->token, sizeof(d->token), err, len))
		return -1;
	if (lava_callback_init(cfg->var, d->lava_token, sizeof(d->lava_token), err, len))
		return -1;
	snprintf(path, sizeof(path), "%s/svabench.db", cfg->var);
	if (!(d->store = store_open(path, err, len)))
		return -1;
	if (store_recover(d->store, &requeued))
		log_error("recovering interrupted runs failed: %s", store_error(d->store));
	else if (requeued)
		log_info("%d interrupted run(s) re-queued", requeued);
	if (!(d->compare = compare_cache_new()) || !(d->plots = plot_cache_new())) {
		error_into(err, len, "out of memory");
		goto fail;
	}
	if (!(d->sched = scheduler_start(d->store, cfg, err, len)))
		goto fail;
	if (!cfg->no_default_suite && store_is_empty(d->store) == 1)
		queue_default_suite(d->sched, cfg->suite_dir);
	ctx = (struct http_ctx){.store = d->store, .sched = d->sched, .cfg = cfg, .token = d->token,
				.compare = d->compare, .plots = d->plots, .lava_token = d->lava_token};
	if (!(d->http = http_start(&ctx, err, len)))
		goto fail;
	return 0;
fail:
	svabenchd_close(d);
	return -1;
}

void svabenchd_close(struct svabenchd *d)
{
	int requeued = 0;

	http_stop(d->http);
	d->http = NULL;
	if (d->sched)
		scheduler_stop(d->sched);
	d->sched = NULL;
	if (d->store && store_recover(d->store, &requeued) == 0 && requeued)
		log_info("%d running run(s) re-queued for the next start", requeued);
	store_close(d->store);
	d->store = NULL;
	plot_cache_free(d->plots);
	d->plots = NULL;
	compare_cache_free(d->compare);
	d->compare = NULL;
	sim_presets_set_dir(NULL);
}
