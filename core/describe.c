/*
 * describe.c - what a target offers, from its tables: parameters (type,
 * range, effective default, unit), workloads, strategies, presets. JSON for
 * the API and scripts, aligned text for a terminal.
 */
#include "core.h"
#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_WIDTH 110

static const char *const type_names[] = {
	[PARAM_BOOL] = "bool",
	[PARAM_INT] = "int",
	[PARAM_REAL] = "real",
	[PARAM_ENUM] = "enum",
};

static void push(json_t *arr, json_t *v, int *bad)
{
	if (json_array_append_new(arr, v))
		*bad = 1;
}

static json_t *done(json_t *v, int bad)
{
	if (bad) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static const struct preset *default_preset(const struct target *t)
{
	return t->npresets() ? t->preset(0) : NULL;
}

/* Effective defaults: the table's, with the default preset applied. */
static double *effective_defaults(const struct target *t)
{
	double *v = calloc(t->nparams ? t->nparams : 1, sizeof(*v));

	if (v)
		target_resolve_defaults(t, -1, default_preset(t), v);
	return v;
}

static void put_availability(const struct target *t, json_t *o, int *bad)
{
	char why[256] = "";
	int ok = t->available(why, sizeof(why));

	json_put(o, "available", json_boolean(ok), bad);
	json_put(o, "reason", json_string(why), bad);
}

/* One metric of the vocabulary (lib/vocab.c) as describe serves it. */
static json_t *metric_json(const struct metric_info *m)
{
	json_t *o = json_object(), *views = json_array();
	int bad = !o || !views;

	if (bad) {
		json_decref(o);
		json_decref(views);
		return NULL;
	}
	json_put(o, "name", json_string(m->name), &bad);
	if (strchr(m->name, '*'))
		json_put(o, "pattern", json_true(), &bad);
	json_put(o, "unit", json_string(m->unit), &bad);
	json_put(o, "direction", json_string(vocab_direction_name(m->direction)), &bad);
	json_put(o, "scale", json_real(m->scale), &bad);
	json_put(o, "display_unit", json_string(m->display_unit), &bad);
	for (unsigned b = 0; b < VIEW_COUNT; b++)
		if (m->views & (1u << b))
			push(views, json_string(vocab_view_name(1u << b)), &bad);
	json_put(o, "views", views, &bad);
	if (m->column)
		json_put(o, "column", json_string(m->column), &bad);
	if (m->short_name)
		json_put(o, "short", json_string(m->short_name), &bad);
	if (m->correctness)
		json_put(o, "correctness", json_true(), &bad);
	if (m->headline)
		json_put(o, "headline", json_integer(m->headline), &bad);
	if (m->parts[0]) {
		json_t *parts = json_array();

		for (size_t k = 0; parts && k < METRIC_PARTS_MAX && m->parts[k]; k++)
			push(parts, json_string(m->parts[k]), &bad);
		json_put(o, "parts", parts, &bad);
	}
	if (m->prom)
		json_put(o, "prom", json_string(m->prom), &bad);
	json_put(o, "help", json_string(m->help), &bad);
	return done(o, bad);
}

/* A strategy's role ("fix", "baseline", "broken variant"), fix, label and colour into o. */
static void put_role(json_t *o, const struct strategy_role *r, int *bad)
{
	json_put(o, "role", json_string(r->role), bad);
	if (r->fix)
		json_put(o, "fix", json_string(r->fix), bad);
	if (r->label)
		json_put(o, "label", json_string(r->label), bad);
	json_put(o, "colour", json_string(r->colour), bad);
	if (r->reference)
		json_put(o, "reference", json_true(), bad);
}

/* "metrics": the vocabulary; "strategies": the roles; "other_colours". */
static void put_vocabulary(json_t *doc, int *bad)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < vocab_metric_count(); i++)
		push(a, metric_json(vocab_metric_at(i)), bad);
	json_put(doc, "metrics", a, bad);
	a = json_array();
	for (size_t i = 0; a && i < vocab_strategy_count(); i++) {
		const struct strategy_role *r = vocab_strategy_at(i);
		json_t *o = json_object();

		if (!o) {
			*bad = 1;
			break;
		}
		json_put(o, "name", json_string(r->name), bad);
		put_role(o, r, bad);
		push(a, o, bad);
	}
	json_put(doc, "strategies", a, bad);
	a = json_array();
	for (size_t i = 0; a && i < vocab_other_colour_count(); i++)
		push(a, json_string(vocab_other_colour(i)), bad);
	json_put(doc, "other_colours", a, bad);
}

json_t *describe_vocabulary_json(void)
{
	json_t *doc = json_object();
	int bad = !doc;

	if (doc)
		put_vocabulary(doc, &bad);
	return done(doc, bad);
}

json_t *describe_targets_json(void)
{
	json_t *doc = json_object(), *list = json_array();
	int bad = !doc || !list;

	for (size_t i = 0; !bad && i < target_count(); i++) {
		const struct target *t = target_at(i);
		json_t *o = json_object();

		if (!o) {
			bad = 1;
			break;
		}
		json_put(o, "name", json_string(t->name), &bad);
		json_put(o, "description", json_string(t->description), &bad);
		put_availability(t, o, &bad);
		push(list, o, &bad);
	}
	if (doc) {
		json_put(doc, "targets", list, &bad);
		put_vocabulary(doc, &bad);
	} else {
		json_decref(list);
	}
	return done(doc, bad);
}

/*
 * Where a parameter's effective default comes from: the default preset's
 * value when it sets one, else the table's own source. 0 when neither says.
 */
static int param_source(const struct target *t, size_t i, const char **source,
			const char **confidence)
{
	const struct param_def *d = &t->params[i];
	const struct preset *p = default_preset(t);

	for (size_t k = 0; p && k < p->nvalues; k++) {
		if (!strcmp(p->values[k].param, d->name)) {
			*source = p->values[k].source;
			*confidence = p->values[k].confidence;
			return 1;
		}
	}
	if (!t->param_sources)
		return 0;
	*source = t->param_sources[i].source;
	*confidence = t->param_sources[i].confidence;
	return *source && *confidence;
}

static json_t *param_json(const struct target *t, size_t i, double def)
{
	const struct param_def *d = &t->params[i];
	const char *src, *conf;
	json_t *o = json_object();
	int bad = 0;

	if (!o)
		return NULL;
	json_put(o, "name", json_string(d->name), &bad);
	json_put(o, "type", json_string(type_names[d->type]), &bad);
	if (d->type == PARAM_INT || d->type == PARAM_REAL) {
		json_put(o, "min", param_value_json(d, d->min), &bad);
		json_put(o, "max", param_value_json(d, d->max), &bad);
	}
	json_put(o, "default", param_value_json(d, def), &bad);
	if (d->type == PARAM_ENUM) {
		json_t *c = json_array();

		for (size_t k = 0; c && d->choices[k]; k++)
			push(c, json_string(d->choices[k]), &bad);
		json_put(o, "choices", c, &bad);
	}
	json_put(o, "unit", json_string(d->unit), &bad);
	json_put(o, "group", json_string(d->group), &bad);
	json_put(o, "help", json_string(d->help), &bad);
	if (param_source(t, i, &src, &conf)) {
		json_put(o, "source", json_string(src), &bad);
		json_put(o, "confidence", json_string(conf), &bad);
	}
	return done(o, bad);
}

static json_t *workload_json(const struct target *t, const struct workload_def *w)
{
	json_t *o = json_object(), *defs = json_object();
	int bad = !o || !defs;

	for (const struct param_override *p = w->defaults; !bad && p && p->name; p++) {
		int k = target_param_index(t, p->name);

		if (k >= 0)
			json_put(defs, p->name, param_value_json(&t->params[k], p->value), &bad);
	}
	if (!o) {
		json_decref(defs);
		return NULL;
	}
	json_put(o, "name", json_string(w->name), &bad);
	json_put(o, "help", json_string(w->help), &bad);
	json_put(o, "defaults", defs, &bad);
	return done(o, bad);
}

static json_t *strategy_json(const struct strategy_def *s)
{
	const struct strategy_role *r = vocab_strategy(s->name);
	json_t *o = json_object();
	int bad = !o;

	if (!o)
		return NULL;
	json_put(o, "name", json_string(s->name), &bad);
	json_put(o, "help", json_string(s->help), &bad);
	if (r)
		put_role(o, r, &bad);
	return done(o, bad);
}

json_t *describe_target_json(const struct target *t)
{
	json_t *o = json_object(), *a;
	double *defs = effective_defaults(t);
	int bad = !o || !defs;

	if (bad) {
		json_decref(o);
		free(defs);
		return NULL;
	}
	json_put(o, "name", json_string(t->name), &bad);
	json_put(o, "description", json_string(t->description), &bad);
	put_availability(t, o, &bad);

	a = json_array();
	for (size_t i = 0; a && t->capabilities && t->capabilities[i]; i++)
		push(a, json_string(t->capabilities[i]), &bad);
	json_put(o, "capabilities", a, &bad);

	a = json_array();
	for (size_t i = 0; a && i < t->nparams; i++)
		push(a, param_json(t, i, defs[i]), &bad);
	json_put(o, "params", a, &bad);

	a = json_array();
	for (size_t i = 0; a && i < t->nworkloads; i++)
		push(a, workload_json(t, &t->workloads[i]), &bad);
	json_put(o, "workloads", a, &bad);

	a = json_array();
	for (size_t i = 0; a && i < t->nstrategies; i++)
		push(a, strategy_json(&t->strategies[i]), &bad);
	json_put(o, "strategies", a, &bad);

	a = json_array();
	for (size_t i = 0; a && i < t->npresets(); i++)
		push(a, preset_json(t, t->preset(i)), &bad);
	json_put(o, "presets", a, &bad);

	if (t->detect)
		json_put(o, "detect", t->detect(), &bad);

	free(defs);
	return done(o, bad);
}

/*
 * Prints text from column `col` (where the cursor is) to TEXT_WIDTH,
 * continuing on new lines indented to `indent`; a word longer than the room
 * is printed whole.
 */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;
	int fresh = 1; /* nothing printed on this line yet */

	while (*p) {
		const char *end = p;
		int len;

		while (*end && *end != ' ')
			end++;
		len = (int)(end - p);
		if (!fresh && col + 1 + len > TEXT_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			fresh = 1;
		}
		if (!fresh) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, p);
		col += len;
		fresh = 0;
		p = end;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void describe_targets_text(FILE *f)
{
	int w = 0;

	for (size_t i = 0; i < target_count(); i++) {
		int n = (int)strlen(target_at(i)->name);

		w = n > w ? n : w;
	}
	fprintf(f, "targets ('svabench describe TARGET' for parameters, workloads and strategies;\n"
		   "'svabench describe --metrics' for the metric vocabulary and the strategies' roles):\n");
	for (size_t i = 0; i < target_count(); i++) {
		const struct target *t = target_at(i);
		char why[256] = "";
		int ok = t->available(why, sizeof(why));
		int col;

		fprintf(f, "  %-*s  %-13s  ", w, t->name, ok ? "available" : "unavailable");
		col = 2 + w + 2 + 13 + 2;
		wrap(f, t->description, col, col);
		if (!ok)
			fprintf(f, "%*s(%s)\n", col, "", why);
	}
}

/* "1..1048576 pages", "0..1", "true|false", "4k|16k|64k" */
static void range_text(const struct param_def *d, char *buf, size_t len)
{
	switch (d->type) {
	case PARAM_BOOL:
		snprintf(buf, len, "true|false");
		return;
	case PARAM_ENUM:
		buf[0] = '\0';
		for (size_t k = 0; d->choices[k]; k++) {
			size_t n = strlen(buf);

			snprintf(buf + n, len - n, "%s%s", k ? "|" : "", d->choices[k]);
		}
		return;
	case PARAM_INT:
	case PARAM_REAL:
		break;
	}
	snprintf(buf, len, "%.15g..%.15g%s%s", d->min, d->max, *d->unit ? " " : "", d->unit);
}

static void print_params(FILE *f, const struct target *t, const double *defs)
{
	int wn = 0, wd = 0;
	char buf[128];

	for (size_t i = 0; i < t->nparams; i++) {
		const struct param_def *d = &t->params[i];
		int n;

		n = (int)strlen(d->name);
		wn = n > wn ? n : wn;
		target_format_value(d, defs[i], buf, sizeof(buf));
		n = (int)strlen(buf);
		wd = n > wd ? n : wd;
	}
	fprintf(f, "\nparameters (defaults with preset \"%s\"; set in a spec's \"params\"):\n",
		default_preset(t) ? default_preset(t)->name : "none");
	fprintf(f, "  %-*s  %-4s  %*s  %s\n", wn, "name", "type", wd, "default", "range");
	for (size_t i = 0; i < t->nparams; i++) {
		const struct param_def *d = &t->params[i];
		const char *src, *conf;
		char def[64], range[256];

		if (i == 0 || strcmp(d->group, t->params[i - 1].group))
			fprintf(f, "%s:\n", d->group);
		target_format_value(d, defs[i], def, sizeof(def));
		range_text(d, range, sizeof(range));
		fprintf(f, "  %-*s  %-4s  %*s  %s\n", wn, d->name, type_names[d->type], wd, def, range);
		fprintf(f, "      ");
		wrap(f, d->help, 6, 6);
		if (param_source(t, i, &src, &conf)) {
			char line[1024];

			snprintf(line, sizeof(line), "default: %s (%s)", src, conf);
			fprintf(f, "      ");
			wrap(f, line, 6, 6);
		}
	}
}

/* The target's detection: one line per item, present or why not. */
static void print_detect(FILE *f, const struct target *t)
{
	json_t *d = t->detect(), *v;
	const char *k;

	if (!d)
		return;
	fprintf(f, "\ndetected on this machine:\n");
	json_object_foreach(d, k, v) {
		char line[1024];

		if (json_is_string(v))
			snprintf(line, sizeof(line), "%s", json_string_value(v));
		else if (json_is_true(json_object_get(v, "present")) ||
			 json_is_true(json_object_get(v, "possible")))
			snprintf(line, sizeof(line), "present%s%s",
				 json_is_string(json_object_get(v, "device")) ? ": " : "",
				 json_is_string(json_object_get(v, "device")) ?
				 json_string_value(json_object_get(v, "device")) : "");
		else
			snprintf(line, sizeof(line), "unavailable (%s)",
				 json_string_value(json_object_get(v, "reason")) ?
				 json_string_value(json_object_get(v, "reason")) : "no reason given");
		fprintf(f, "  %-12s  ", k);
		wrap(f, line, 16, 16);
	}
	json_decref(d);
}

void describe_target_text(FILE *f, const struct target *t)
{
	double *defs = effective_defaults(t);
	char why[256] = "", caps[1024];
	int ok = t->available(why, sizeof(why));
	int w = 0;

	fprintf(f, "%s: ", t->name);
	wrap(f, t->description, (int)strlen(t->name) + 2, 2);
	fprintf(f, "available: %s (%s)\n", ok ? "yes" : "no", why);
	caps[0] = '\0';
	for (size_t i = 0; t->capabilities && t->capabilities[i]; i++) {
		size_t n = strlen(caps);

		snprintf(caps + n, sizeof(caps) - n, "%s%s", i ? ", " : "", t->capabilities[i]);
	}
	fprintf(f, "capabilities: ");
	wrap(f, caps, 14, 2);

	for (size_t i = 0; i < t->nworkloads; i++)
		w = (int)strlen(t->workloads[i].name) > w ? (int)strlen(t->workloads[i].name) : w;
	for (size_t i = 0; i < t->nstrategies; i++)
		w = (int)strlen(t->strategies[i].name) > w ? (int)strlen(t->strategies[i].name) : w;
	for (size_t i = 0; i < t->npresets(); i++)
		w = (int)strlen(t->preset(i)->name) > w ? (int)strlen(t->preset(i)->name) : w;

	fprintf(f, "\nworkloads:\n");
	for (size_t i = 0; i < t->nworkloads; i++) {
		const struct workload_def *wl = &t->workloads[i];
		char line[512] = "defaults:";

		fprintf(f, "  %-*s  ", w, wl->name);
		wrap(f, wl->help, w + 4, w + 4);
		for (const struct param_override *p = wl->defaults; p && p->name; p++) {
			int k = target_param_index(t, p->name);
			char val[64];
			size_t n = strlen(line);

			if (k < 0)
				continue;
			target_format_value(&t->params[k], p->value, val, sizeof(val));
			snprintf(line + n, sizeof(line) - n, "%s %s=%s",
				 p == wl->defaults ? "" : ",", p->name, val);
		}
		if (wl->defaults && wl->defaults->name) {
			fprintf(f, "%*s", w + 4, "");
			wrap(f, line, w + 4, w + 4);
		}
	}

	fprintf(f, "\nstrategies:\n");
	for (size_t i = 0; i < t->nstrategies; i++) {
		fprintf(f, "  %-*s  ", w, t->strategies[i].name);
		wrap(f, t->strategies[i].help, w + 4, w + 4);
	}

	fprintf(f, "\npresets (\"preset\" in a spec; values with sources: --json):\n");
	for (size_t i = 0; i < t->npresets(); i++) {
		const struct preset *p = t->preset(i);
		char text[1024];

		snprintf(text, sizeof(text), "%s (%zu values)", p->description, p->nvalues);
		fprintf(f, "  %-*s  ", w, p->name);
		wrap(f, text, w + 4, w + 4);
	}

	if (t->detect)
		print_detect(f, t);
	if (defs)
		print_params(f, t, defs);
	free(defs);
}

/* The vocabulary as a table: name, unit, better, views; the roles below. */
void describe_vocabulary_text(FILE *f)
{
	int w = 0;

	for (size_t i = 0; i < vocab_metric_count(); i++) {
		int n = (int)strlen(vocab_metric_at(i)->name);

		w = n > w ? n : w;
	}
	fprintf(f, "metrics (api.md's vocabulary; a pattern's * is any text; --json for all fields):\n");
	fprintf(f, "  %-*s  %-8s  %-6s  %s\n", w, "name", "unit", "better", "listed by");
	for (size_t i = 0; i < vocab_metric_count(); i++) {
		const struct metric_info *m = vocab_metric_at(i);
		char views[128] = "";

		for (unsigned b = 0; b < VIEW_COUNT; b++) {
			size_t n = strlen(views);

			if (m->views & (1u << b))
				snprintf(views + n, sizeof(views) - n, "%s%s", n ? ", " : "",
					 vocab_view_name(1u << b));
		}
		fprintf(f, "  %-*s  %-8s  %-6s  %s\n", w, m->name, m->unit,
			vocab_direction_name(m->direction), views[0] ? views : "-");
		fprintf(f, "  %*s  ", w, "");
		wrap(f, m->help, w + 4, w + 4);
	}
	fprintf(f, "\nstrategies (their role; plots and the dashboard keep the colour):\n");
	for (size_t i = 0; i < vocab_strategy_count(); i++) {
		const struct strategy_role *r = vocab_strategy_at(i);

		fprintf(f, "  %-15s  %-15s  %-8s  %s%s\n", r->name, r->role, r->label ? r->label : "-",
			r->colour, r->reference ? "  (the default baseline of comparisons)" : "");
	}
}
