/*
 * presets.c - the sim's calibration presets. They are JSON data files
 * (presets/NAME.json) embedded at build time by presets.S and parsed once here:
 * each value carries its source and confidence (calibration.md). A preset
 * may "extend" another; its own values win.
 *
 * Local presets (calibration.md's confidence `local`, e.g. what `svabench
 * calibrate` writes) are read from a directory at first use and again on
 * sim_presets_reload(): the directory sim_presets_set_dir() gave (the daemon
 * and its workers give <var>/presets), else $SVABENCH_PRESETS if set, else
 * ./var/presets. Every *.json there, in name order, in
 * the same format; a file that does not parse or fit is skipped with a
 * warning naming it, and a name that is embedded (or already taken by an
 * earlier file) is refused with a warning. Local presets follow the
 * embedded ones. A reload replaces a local preset of the same name and
 * appends new ones; it never frees or moves a preset a caller may still
 * hold (a spec keeps its preset pointer), so the list only grows.
 */
#include "sim.h"
#include "presets.h"
#include "../../lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const char sim_preset_default_json[], sim_preset_default_json_end[];
extern const char sim_preset_thor_json[], sim_preset_thor_json_end[];

static const struct {
	const char *start, *end;
} embedded[] = {
	{sim_preset_default_json, sim_preset_default_json_end},
	{sim_preset_thor_json, sim_preset_thor_json_end},
};

#define NPRESETS (sizeof(embedded) / sizeof(embedded[0]))
#define LOCAL_FILE_MAX (1024 * 1024) /* largest local preset file read */
#define LOCAL_NAME_MAX 64

static struct preset presets[NPRESETS];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void load(void);

/* Local presets, guarded by mu; retired ones stay reachable, never freed. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct preset **locals, **retired;
static size_t nlocals, nretired;

static struct preset *by_name(const char *name, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (presets[i].name && !strcmp(presets[i].name, name))
			return &presets[i];
	return NULL;
}

static void add_value(struct preset *p, const char *param, double v,
		      const char *src, const char *conf)
{
	for (size_t i = 0; i < p->nvalues; i++) {
		if (!strcmp(p->values[i].param, param)) {
			free(p->values[i].source);
			free(p->values[i].confidence);
			p->values[i].value = v;
			p->values[i].source = xstrdup(src);
			p->values[i].confidence = xstrdup(conf);
			return;
		}
	}
	p->values = xreallocarray(p->values, p->nvalues + 1, sizeof(*p->values));
	p->values[p->nvalues++] = (struct preset_value){xstrdup(param), v, xstrdup(src), xstrdup(conf)};
}

static void preset_clear(struct preset *p)
{
	for (size_t i = 0; i < p->nvalues; i++) {
		free(p->values[i].param);
		free(p->values[i].source);
		free(p->values[i].confidence);
	}
	free(p->values);
	free(p->name);
	free(p->description);
	memset(p, 0, sizeof(*p));
}

/* Sets why (printf-style) and returns -1. */
static int refuse(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Fills p from one preset document; find(name) looks up the preset it
 * extends. 0, or -1 with why set (p then holds whatever was parsed: clear it).
 */
static int parse_preset(const json_t *doc, struct preset *p,
			const struct preset *(*find)(const char *name, void *ctx), void *ctx,
			char *why, size_t wlen)
{
	const char *name = json_string_value(json_object_get(doc, "name"));
	const char *desc = json_string_value(json_object_get(doc, "description"));
	json_t *ext = json_object_get(doc, "extends");
	json_t *vals = json_object_get(doc, "values");
	json_t *v;
	const char *key;

	if (!json_is_object(doc))
		return refuse(why, wlen, "not a JSON object");
	if (!name || !*name)
		return refuse(why, wlen, "\"name\": expected a non-empty string");
	if (strlen(name) > LOCAL_NAME_MAX)
		return refuse(why, wlen, "\"name\": longer than %d characters", LOCAL_NAME_MAX);
	if (json_object_get(doc, "description") && !desc)
		return refuse(why, wlen, "\"description\": expected a string");
	if (!json_is_object(vals))
		return refuse(why, wlen, "\"values\": expected an object {param: {value, source, confidence}}");
	p->name = xstrdup(name);
	p->description = xstrdup(desc ? desc : "");
	if (ext) {
		const struct preset *base;

		if (!json_is_string(ext))
			return refuse(why, wlen, "\"extends\": expected a preset name");
		base = find(json_string_value(ext), ctx);
		if (!base)
			return refuse(why, wlen, "\"extends\": unknown or later preset \"%s\"",
				      json_string_value(ext));
		for (size_t k = 0; k < base->nvalues; k++)
			add_value(p, base->values[k].param, base->values[k].value,
				  base->values[k].source, base->values[k].confidence);
	}
	json_object_foreach(vals, key, v) {
		json_t *num = json_object_get(v, "value");
		const char *src = json_string_value(json_object_get(v, "source"));
		const char *conf = json_string_value(json_object_get(v, "confidence"));
		const struct param_def *d = NULL;
		double x;

		for (int k = 0; k < SIM_NPARAMS; k++)
			if (!strcmp(sim_params[k].name, key))
				d = &sim_params[k];
		if (!d)
			return refuse(why, wlen, "values.%s: not a sim parameter", key);
		if (!json_is_number(num) || !src || !conf)
			return refuse(why, wlen, "values.%s: expected {\"value\": number, "
				      "\"source\": string, \"confidence\": string}", key);
		x = json_number_value(num);
		if ((d->type == PARAM_INT || d->type == PARAM_REAL) && (x < d->min || x > d->max))
			return refuse(why, wlen, "values.%s: %g is outside %g..%g", key, x,
				      d->min, d->max);
		add_value(p, key, x, src, conf);
	}
	return 0;
}

/* A broken embedded preset is a build defect, not a user error. */
static void bug(size_t i, const char *what)
{
	BUG("embedded sim preset %zu: %s", i, what);
}

static const struct preset *find_embedded(const char *name, void *ctx)
{
	return by_name(name, *(size_t *)ctx);
}

int sim_preset_embedded(const char *name)
{
	pthread_once(&once, load);
	return by_name(name, NPRESETS) != NULL;
}

/* ---- local presets ---- */

struct scan {
	struct preset **list;
	size_t n;
};

/* extends: an embedded preset, or one read earlier from the same directory. */
static const struct preset *find_scanned(const char *name, void *ctx)
{
	struct scan *s = ctx;
	size_t all = NPRESETS;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->list[i]->name, name))
			return s->list[i];
	return by_name(name, all);
}

static int json_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".json") && d->d_name[0] != '.';
}

static char set_dir[4096];      /* sim_presets_set_dir's; "" when none (under mu) */

void sim_presets_set_dir(const char *dir)
{
	pthread_mutex_lock(&mu);
	snprintf(set_dir, sizeof(set_dir), "%s", dir ? dir : "");
	pthread_mutex_unlock(&mu);
}

/* The local presets' directory, into buf. */
static const char *presets_dir(char *buf, size_t len)
{
	const char *d = getenv("SVABENCH_PRESETS");

	pthread_mutex_lock(&mu);
	snprintf(buf, len, "%s", set_dir[0] ? set_dir : d && *d ? d : "./var/presets");
	pthread_mutex_unlock(&mu);
	return buf;
}

/* Reads one file into a new preset, or NULL after a warning naming it. */
static struct preset *read_local(const char *path, struct scan *s)
{
	struct preset *p;
	json_error_t err;
	struct stat st;
	json_t *doc;
	char why[512];

	if (stat(path, &st)) {
		fprintf(stderr, "svabench: warning: local preset %s skipped: %s\n", path,
			strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > LOCAL_FILE_MAX) {
		fprintf(stderr, "svabench: warning: local preset %s skipped: not a regular "
			"file of at most 1 MiB\n", path);
		return NULL;
	}
	doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		fprintf(stderr, "svabench: warning: local preset %s skipped: not JSON: "
			"line %d, column %d: %s\n", path, err.line, err.column, err.text);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	if (parse_preset(doc, p, find_scanned, s, why, sizeof(why))) {
		fprintf(stderr, "svabench: warning: local preset %s skipped: %s\n", path, why);
		goto bad;
	}
	if (by_name(p->name, NPRESETS)) {
		fprintf(stderr, "svabench: warning: local preset %s refused: its name \"%s\" "
			"is a built-in preset's\n", path, p->name);
		goto bad;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->list[i]->name, p->name)) {
			fprintf(stderr, "svabench: warning: local preset %s refused: the name "
				"\"%s\" is already taken by an earlier file\n", path, p->name);
			goto bad;
		}
	}
	json_decref(doc);
	return p;
bad:
	json_decref(doc);
	preset_clear(p);
	free(p);
	return NULL;
}

static void push(struct preset ***list, size_t *n, struct preset *p)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = p;
}

static void load_local(void)
{
	char buf[4096];
	const char *dir = presets_dir(buf, sizeof(buf));
	struct scan s = {NULL, 0};
	struct dirent **names;
	int n = scandir(dir, &names, json_name, alphasort);

	if (n < 0) {
		if (errno != ENOENT)
			fprintf(stderr, "svabench: warning: local presets in %s not read: %s\n",
				dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = xmalloc(len);
		struct preset *p;

		snprintf(path, len, "%s/%s", dir, names[i]->d_name);
		p = read_local(path, &s);
		if (p)
			push(&s.list, &s.n, p);
		free(path);
		free(names[i]);
	}
	free(names);

	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < s.n; i++) {
		size_t k = 0;

		while (k < nlocals && strcmp(locals[k]->name, s.list[i]->name))
			k++;
		if (k < nlocals) {
			push(&retired, &nretired, locals[k]);
			locals[k] = s.list[i];
		} else {
			push(&locals, &nlocals, s.list[i]);
		}
	}
	pthread_mutex_unlock(&mu);
	free(s.list);
}

static void load(void)
{
	for (size_t i = 0; i < NPRESETS; i++) {
		json_error_t err;
		json_t *doc = json_loadb(embedded[i].start,
					 (size_t)(embedded[i].end - embedded[i].start),
					 JSON_REJECT_DUPLICATES, &err);
		char why[512];

		if (!doc)
			bug(i, err.text);
		if (parse_preset(doc, &presets[i], find_embedded, &i, why, sizeof(why)))
			bug(i, why);
		json_decref(doc);
	}
	load_local();
}

void sim_presets_reload(void)
{
	pthread_once(&once, load);
	load_local();
}

const struct preset *sim_preset(size_t i)
{
	const struct preset *p = NULL;

	pthread_once(&once, load);
	if (i < NPRESETS)
		return &presets[i];
	pthread_mutex_lock(&mu);
	if (i - NPRESETS < nlocals)
		p = locals[i - NPRESETS];
	pthread_mutex_unlock(&mu);
	return p;
}

size_t sim_npresets(void)
{
	size_t n;

	pthread_once(&once, load);
	pthread_mutex_lock(&mu);
	n = NPRESETS + nlocals;
	pthread_mutex_unlock(&mu);
	return n;
}
