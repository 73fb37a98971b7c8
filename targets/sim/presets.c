/*
 * presets.c - the sim's calibration presets. They are JSON data files
 * (presets/NAME.json) embedded at build time by presets.S and parsed once here:
 * each value carries its source and confidence (calibration.md). A preset
 * may "extend" another; its own values win.
 */
#include "sim.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char sim_preset_default_json[], sim_preset_default_json_end[];
extern const char sim_preset_thor_json[], sim_preset_thor_json_end[];

static const struct {
	const char *start, *end;
} embedded[] = {
	{sim_preset_default_json, sim_preset_default_json_end},
	{sim_preset_thor_json, sim_preset_thor_json_end},
};

#define NPRESETS (sizeof(embedded) / sizeof(embedded[0]))

static struct preset presets[NPRESETS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

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
			p->values[i].source = strdup(src);
			p->values[i].confidence = strdup(conf);
			return;
		}
	}
	p->values = realloc(p->values, (p->nvalues + 1) * sizeof(*p->values));
	if (!p->values)
		abort();
	p->values[p->nvalues++] = (struct preset_value){
		strdup(param), v, strdup(src), strdup(conf)};
}

/* A broken embedded preset is a build defect, not a user error. */
static void bug(size_t i, const char *what)
{
	fprintf(stderr, "BUG: embedded sim preset %zu: %s\n", i, what);
	abort();
}

static void load(void)
{
	for (size_t i = 0; i < NPRESETS; i++) {
		json_error_t err;
		json_t *doc = json_loadb(embedded[i].start,
					 (size_t)(embedded[i].end - embedded[i].start),
					 JSON_REJECT_DUPLICATES, &err);
		json_t *vals, *v;
		const char *key, *ext;
		struct preset *p = &presets[i];

		if (!doc)
			bug(i, err.text);
		p->name = strdup(json_string_value(json_object_get(doc, "name")));
		p->description = strdup(json_string_value(json_object_get(doc, "description")));
		ext = json_string_value(json_object_get(doc, "extends"));
		if (ext) {
			struct preset *base = by_name(ext, i);

			if (!base)
				bug(i, "extends an unknown or later preset");
			for (size_t k = 0; k < base->nvalues; k++)
				add_value(p, base->values[k].param, base->values[k].value,
					  base->values[k].source, base->values[k].confidence);
		}
		vals = json_object_get(doc, "values");
		json_object_foreach(vals, key, v) {
			json_t *num = json_object_get(v, "value");
			const char *src = json_string_value(json_object_get(v, "source"));
			const char *conf = json_string_value(json_object_get(v, "confidence"));
			int idx = -1;

			for (int k = 0; k < SIM_NPARAMS; k++)
				if (!strcmp(sim_params[k].name, key))
					idx = k;
			if (idx < 0 || !json_is_number(num) || !src || !conf)
				bug(i, key);
			add_value(p, key, json_number_value(num), src, conf);
		}
		json_decref(doc);
	}
}

const struct preset *sim_preset(size_t i)
{
	pthread_once(&once, load);
	return i < NPRESETS ? &presets[i] : NULL;
}

size_t sim_npresets(void)
{
	return NPRESETS;
}
