/*
 * spec.c - an experiment spec: parsed with jansson, validated against the
 * target's parameter table (names, types, ranges, relations between
 * parameters) and expanded into its plan of runs. A refused spec names the
 * field and what is allowed there; nothing is run.
 */
#include "core.h"
#include "../lib/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One key of the spec's "params": its values, a scalar or a swept list. */
struct axis {
	const char *key;
	int param;     /* index into the target's table */
	int swept;     /* given as a list: part of the cell */
	double *vals;
	size_t n;
};

static const char *const top_keys[] = {
	"target", "workload", "strategies", "preset", "params", "repetitions",
	"seed", "label", "name", "collect", "kernel", NULL,
};

static int fail(struct spec_error *err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct spec_error *err, const char *field, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int oom(struct spec_error *err)
{
	return fail(err, "", "out of memory");
}

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n < len)
		snprintf(buf + n, len - n, "%s", s);
}

/* "a, b, c" of the names a lister gives for 0..n-1. */
static void join(char *buf, size_t len, const void *ctx, size_t n,
		 const char *(*name)(const void *ctx, size_t i))
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			append(buf, len, ", ");
		append(buf, len, name(ctx, i));
	}
}

static const char *target_name_at(const void *ctx, size_t i)
{
	(void)ctx;
	return target_at(i)->name;
}

static const char *workload_name_at(const void *ctx, size_t i)
{
	return ((const struct target *)ctx)->workloads[i].name;
}

static const char *strategy_name_at(const void *ctx, size_t i)
{
	return ((const struct target *)ctx)->strategies[i].name;
}

static const char *preset_name_at(const void *ctx, size_t i)
{
	return ((const struct target *)ctx)->preset(i)->name;
}

static const char *choice_at(const void *ctx, size_t i)
{
	return ((const char *const *)ctx)[i];
}

static size_t nchoices(const struct param_def *d)
{
	size_t n = 0;

	while (d->choices[n])
		n++;
	return n;
}

/* Numbers in messages as users type them: integers in full, else short. */
static const char *num(char *buf, size_t len, double v)
{
	if (v == floor(v) && fabs(v) < 1e17)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.15g", v);
	return buf;
}

/* "1..1048576 pages" */
static const char *range_text(char *buf, size_t len, const struct param_def *d)
{
	char lo[32], hi[32];

	snprintf(buf, len, "%s..%s%s%s", num(lo, sizeof(lo), d->min),
		 num(hi, sizeof(hi), d->max), *d->unit ? " " : "", d->unit);
	return buf;
}

/* Characters, not bytes: jansson has already checked the UTF-8. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

json_t *param_value_json(const struct param_def *d, double v)
{
	switch (d->type) {
	case PARAM_BOOL:
		return json_boolean(v != 0);
	case PARAM_ENUM:
		return json_string(d->choices[(int)v]);
	case PARAM_INT:
	case PARAM_REAL:
		break;
	}
	/* Up to 2^53 a double holds every integer exactly. */
	if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* One JSON value of parameter d into *out, or an error naming field. */
static int param_value(const struct param_def *d, const json_t *v,
		       const char *field, double *out, struct spec_error *err)
{
	char list[384], range[96], a[32];
	double x;

	switch (d->type) {
	case PARAM_BOOL:
		if (!json_is_boolean(v))
			return fail(err, field, "expected true or false");
		*out = json_is_true(v);
		return 0;
	case PARAM_ENUM:
		join(list, sizeof(list), d->choices, nchoices(d), choice_at);
		if (!json_is_string(v))
			return fail(err, field, "expected a string; allowed: %s", list);
		for (size_t i = 0; d->choices[i]; i++) {
			if (!strcmp(d->choices[i], json_string_value(v))) {
				*out = (double)i;
				return 0;
			}
		}
		return fail(err, field, "unknown value \"%s\"; allowed: %s",
			    json_string_value(v), list);
	case PARAM_INT:
	case PARAM_REAL:
		break;
	}
	range_text(range, sizeof(range), d);
	if (!json_is_number(v))
		return fail(err, field, "expected %s, allowed %s",
			    d->type == PARAM_INT ? "an integer" : "a number", range);
	x = json_number_value(v);
	if (d->type == PARAM_INT && x != floor(x))
		return fail(err, field, "%s is not an integer; allowed %s",
			    num(a, sizeof(a), x), range);
	if (x < d->min || x > d->max)
		return fail(err, field, "%s is out of range, allowed %s",
			    num(a, sizeof(a), x), range);
	*out = x;
	return 0;
}

/* A whole number for repetitions / seed, within lo..hi. */
static int whole_number(const json_t *v, const char *field, double lo, double hi,
			double *out, struct spec_error *err)
{
	char a[32], b[32], c[32];
	double x;

	if (!json_is_number(v))
		return fail(err, field, "expected an integer, allowed %s..%s",
			    num(a, sizeof(a), lo), num(b, sizeof(b), hi));
	x = json_number_value(v);
	if (x != floor(x))
		return fail(err, field, "%s is not an integer; allowed %s..%s",
			    num(c, sizeof(c), x), num(a, sizeof(a), lo), num(b, sizeof(b), hi));
	if (x < lo || x > hi)
		return fail(err, field, "%s is out of range, allowed %s..%s",
			    num(c, sizeof(c), x), num(a, sizeof(a), lo), num(b, sizeof(b), hi));
	*out = x;
	return 0;
}

static int check_keys(const json_t *doc, struct spec_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)doc, key, v) {
		size_t i;

		for (i = 0; top_keys[i]; i++)
			if (!strcmp(top_keys[i], key))
				break;
		if (!top_keys[i]) {
			char list[256];

			join(list, sizeof(list), top_keys, sizeof(top_keys) / sizeof(top_keys[0]) - 1,
			     choice_at);
			return fail(err, key, "unknown key; allowed: %s", list);
		}
	}
	return 0;
}

static int parse_target(struct spec *s, struct spec_error *err)
{
	json_t *v = json_object_get(s->doc, "target");
	const char *name = "sim";
	char list[256], why[256] = "";

	join(list, sizeof(list), NULL, target_count(), target_name_at);
	if (v) {
		if (!json_is_string(v))
			return fail(err, "target", "expected a string; allowed: %s", list);
		name = json_string_value(v);
	}
	s->target = target_find(name);
	if (!s->target)
		return fail(err, "target", "unknown target \"%s\"; allowed: %s", name, list);
	if (!s->target->available(why, sizeof(why)))
		return fail(err, "target", "target \"%s\" is not available here: %s", name, why);
	return 0;
}

static int parse_workload(struct spec *s, struct spec_error *err)
{
	const struct target *t = s->target;
	json_t *v = json_object_get(s->doc, "workload");
	char list[512];

	join(list, sizeof(list), t, t->nworkloads, workload_name_at);
	if (!v)
		return fail(err, "workload", "missing; allowed: %s", list);
	if (!json_is_string(v))
		return fail(err, "workload", "expected a string; allowed: %s", list);
	s->workload = target_workload_index(t, json_string_value(v));
	if (s->workload < 0)
		return fail(err, "workload", "unknown workload \"%s\"; allowed: %s",
			    json_string_value(v), list);
	return 0;
}

static int parse_preset(struct spec *s, struct spec_error *err)
{
	const struct target *t = s->target;
	json_t *v = json_object_get(s->doc, "preset");
	char list[512];

	join(list, sizeof(list), t, t->npresets(), preset_name_at);
	if (!v) {
		s->preset = t->npresets() ? t->preset(0) : NULL;
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, "preset", "expected a string; allowed: %s", list);
	s->preset = target_find_preset(t, json_string_value(v));
	if (!s->preset)
		return fail(err, "preset", "unknown preset \"%s\"; allowed: %s",
			    json_string_value(v), list);
	return 0;
}

/* 1 when strategy i can run the spec's workload on this machine; else 0, why. */
static int strategy_runs(const struct spec *s, int i, char *why, size_t len)
{
	const struct target *t = s->target;

	if (t->check_strategy && t->check_strategy(i, why, len))
		return 0;
	if (t->check_combo && t->check_combo(s->workload, i, why, len))
		return 0;
	return 1;
}

static int parse_strategies(struct spec *s, struct spec_error *err)
{
	const struct target *t = s->target;
	json_t *v = json_object_get(s->doc, "strategies");
	char list[512], field[64];
	size_t n = v ? json_array_size(v) : t->nstrategies;

	join(list, sizeof(list), t, t->nstrategies, strategy_name_at);
	if (v && !json_is_array(v))
		return fail(err, "strategies", "expected a list of strategy names; allowed: %s", list);
	if (v && n == 0)
		return fail(err, "strategies", "empty list; give at least one of: %s", list);
	s->strategies = xcalloc(n, sizeof(*s->strategies));
	s->nstrategies = n;
	if (!v) {
		/* every strategy this machine can run */
		s->nstrategies = 0;
		for (size_t i = 0; i < n; i++) {
			char why[300];

			if (strategy_runs(s, (int)i, why, sizeof(why)))
				s->strategies[s->nstrategies++] = (int)i;
		}
		if (!s->nstrategies)
			return fail(err, "strategies", "no strategy of target %s can run workload %s here",
				    t->name, t->workloads[s->workload].name);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		const char *name = json_string_value(e);

		snprintf(field, sizeof(field), "strategies[%zu]", i);
		if (!name)
			return fail(err, field, "expected a strategy name; allowed: %s", list);
		s->strategies[i] = target_strategy_index(t, name);
		if (s->strategies[i] < 0)
			return fail(err, field, "unknown strategy \"%s\"; allowed: %s", name, list);
		for (size_t k = 0; k < i; k++)
			if (s->strategies[k] == s->strategies[i])
				return fail(err, field, "\"%s\" is listed twice (also strategies[%zu])",
					    name, k);
		{
			char why[300];

			if (!strategy_runs(s, s->strategies[i], why, sizeof(why)))
				return fail(err, field, "\"%s\" cannot run here: %s", name, why);
		}
	}
	return 0;
}

static int parse_numbers(struct spec *s, struct spec_error *err)
{
	json_t *v;
	double x;

	s->repetitions = 1;
	s->seed = 1;
	v = json_object_get(s->doc, "repetitions");
	if (v) {
		if (whole_number(v, "repetitions", 1, SPEC_MAX_REPETITIONS, &x, err))
			return -1;
		s->repetitions = (int)x;
	}
	v = json_object_get(s->doc, "seed");
	if (v) {
		/*
		 * Only a JSON integer is exact: a real (1e3, 42.0, 1e-400) went
		 * through a double on its way here, and the stored spec would
		 * keep text that names another seed.
		 */
		if (json_is_real(v))
			return fail(err, "seed", "expected an integer written without a fraction or "
				    "exponent, allowed 0..%.0f", SPEC_MAX_SEED);
		if (whole_number(v, "seed", 0, SPEC_MAX_SEED, &x, err))
			return -1;
		if (json_integer_value(v) > (json_int_t)SPEC_MAX_SEED)
			return fail(err, "seed", "%" JSON_INTEGER_FORMAT " is out of range, allowed "
				    "0..%.0f (2^53: larger seeds are not exact in JSON readers)",
				    json_integer_value(v), SPEC_MAX_SEED);
		s->seed = (uint64_t)json_integer_value(v);
	}
	return 0;
}

static int parse_text(const json_t *doc, const char *key, const char **out,
		      struct spec_error *err)
{
	json_t *v = json_object_get(doc, key);
	size_t n;

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return fail(err, key, "expected a string of at most %d characters", SPEC_MAX_TEXT);
	n = utf8_chars(json_string_value(v));
	if (n > SPEC_MAX_TEXT)
		return fail(err, key, "%zu characters is too long, allowed at most %d",
			    n, SPEC_MAX_TEXT);
	*out = json_string_value(v);
	return 0;
}

struct indexed {
	double v;
	size_t i;
};

static int by_value(const void *pa, const void *pb)
{
	const struct indexed *a = pa, *b = pb;

	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * The first value of v[n] that repeats an earlier one: *dup its index (n
 * when none) and *orig the earlier one's. Sorting keeps long sweeps fast.
 * -1 on OOM.
 */
static void first_repeat(const double *v, size_t n, size_t *dup, size_t *orig)
{
	struct indexed *x = xcalloc(n, sizeof(*x));

	for (size_t i = 0; i < n; i++)
		x[i] = (struct indexed){v[i], i};
	qsort(x, n, sizeof(*x), by_value);
	*dup = n;
	for (size_t i = 1; i < n; i++) {
		/* Equal values sort by index: x[i - 1] is an earlier one. */
		if (x[i].v == x[i - 1].v && x[i].i < *dup) {
			*dup = x[i].i;
			*orig = x[i - 1].i;
		}
	}
	free(x);
}

static int parse_axis(const struct target *t, const char *key, const json_t *v,
		      struct axis *a, struct spec_error *err)
{
	char field[160], efield[192], shown[64];
	const struct param_def *d;
	size_t dup = 0, orig = 0;

	snprintf(field, sizeof(field), "params.%s", key);
	a->key = key;
	a->param = target_param_index(t, key);
	if (a->param < 0)
		return fail(err, field, "unknown parameter; see 'svabench describe %s'", t->name);
	d = &t->params[a->param];
	a->swept = json_is_array(v);
	a->n = a->swept ? json_array_size(v) : 1;
	if (a->n == 0)
		return fail(err, field, "empty list; give a value or a non-empty list of values");
	a->vals = xcalloc(a->n, sizeof(*a->vals));
	if (!a->swept)
		return param_value(d, v, field, &a->vals[0], err);
	if (a->n > SPEC_MAX_RUNS)
		return fail(err, field, "%zu values; too many runs, at most %d per experiment",
			    a->n, SPEC_MAX_RUNS);
	for (size_t i = 0; i < a->n; i++) {
		snprintf(efield, sizeof(efield), "%s[%zu]", field, i);
		if (param_value(d, json_array_get(v, i), efield, &a->vals[i], err))
			return -1;
	}
	first_repeat(a->vals, a->n, &dup, &orig);
	if (dup < a->n) {
		snprintf(efield, sizeof(efield), "%s[%zu]", field, dup);
		target_format_value(d, a->vals[dup], shown, sizeof(shown));
		return fail(err, efield, "%s is listed twice (also %s[%zu])", shown, field, orig);
	}
	return 0;
}

static void free_axes(struct axis *axes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(axes[i].vals);
	free(axes);
}

static int parse_params(struct spec *s, struct axis **out, size_t *nout,
			struct spec_error *err)
{
	json_t *params = json_object_get(s->doc, "params"), *v;
	struct axis *axes;
	const char *key;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (!params)
		return 0;
	if (!json_is_object(params))
		return fail(err, "params", "expected an object of parameter values, e.g. {\"pages\": 64}");
	axes = xcalloc(json_object_size(params) + 1, sizeof(*axes));
	json_object_foreach(params, key, v) {
		if (parse_axis(s->target, key, v, &axes[n++], err)) {
			free_axes(axes, n);
			return -1;
		}
	}
	*out = axes;
	*nout = n;
	return 0;
}

/* Cells x strategies x repetitions, refused above SPEC_MAX_RUNS. */
static int count_runs(struct spec *s, const struct axis *axes, size_t naxes,
		      struct spec_error *err)
{
	size_t cells = 1;

	for (size_t i = 0; i < naxes; i++) {
		cells *= axes[i].n;
		if (cells > SPEC_MAX_RUNS)
			return fail(err, "", "too many runs: the params sweep alone has more than %d cells; at most %d runs per experiment (cells x strategies x repetitions)",
				    SPEC_MAX_RUNS, SPEC_MAX_RUNS);
	}
	s->ncells = cells;
	s->nruns = cells * s->nstrategies * (size_t)s->repetitions;
	if (s->nruns > SPEC_MAX_RUNS)
		return fail(err, "", "too many runs: %zu cells x %zu strategies x %d repetitions = %zu; at most %d runs per experiment",
			    cells, s->nstrategies, s->repetitions, s->nruns, SPEC_MAX_RUNS);
	return 0;
}

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * A cell's identity for seeding: its values that differ from the table
 * defaults, by name (enums by choice name). The same cell gets the same
 * seed whether it was swept or written as a scalar, whatever else is swept,
 * and when the table grows a parameter whose default keeps old behaviour.
 */
static uint64_t cell_hash(const struct target *t, const double *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char buf[64];

	for (size_t k = 0; k < t->nparams; k++) {
		const struct param_def *d = &t->params[k];

		if (p[k] == d->def)
			continue;
		if (d->type == PARAM_ENUM)
			snprintf(buf, sizeof(buf), "%s", d->choices[(int)p[k]]);
		else
			snprintf(buf, sizeof(buf), "%.17g", p[k]);
		h = fnv1a(h, d->name);
		h = fnv1a(h, "=");
		h = fnv1a(h, buf);
		h = fnv1a(h, ";");
	}
	return h;
}

/* Not the strategy: strategies of one cell and repetition share a seed, so
 * their comparison is paired (common random numbers). 53 bits: exact in JSON. */
static uint64_t run_seed(uint64_t seed, uint64_t cell, int repetition)
{
	uint64_t h = mix64(seed);

	h = mix64(h ^ cell);
	h = mix64(h ^ (uint64_t)repetition);
	return h & ((1ULL << 53) - 1);
}

/* " (cell pages=64, ats=true)" for check_cell errors in a sweep. */
static void cell_text(const struct target *t, const json_t *cell, const double *p,
		      char *buf, size_t len)
{
	const char *key;
	json_t *v;
	char val[64];
	int first = 1;

	buf[0] = '\0';
	if (!json_object_size(cell))
		return;
	append(buf, len, " (cell ");
	json_object_foreach((json_t *)cell, key, v) {
		int k = target_param_index(t, key);

		target_format_value(&t->params[k], p[k], val, sizeof(val));
		if (!first)
			append(buf, len, ", ");
		append(buf, len, key);
		append(buf, len, "=");
		append(buf, len, val);
		first = 0;
	}
	append(buf, len, ")");
}

/*
 * A run stores one sample of every counter each sample_us of simulated
 * time: duration_us / sample_us of them, bounded by SPEC_MAX_SAMPLES so one
 * small spec cannot fill the disk or hold a worker for minutes.
 */
static int cell_samples(const struct target *t, const json_t *cell, const double *p,
			 struct spec_error *err)
{
	int d = target_param_index(t, "duration_us"), k = target_param_index(t, "sample_us");
	char where[256];
	double n;

	if (d < 0 || k < 0 || p[k] <= 0)
		return 0;
	n = ceil(p[d] / p[k]);
	if (n <= SPEC_MAX_SAMPLES)
		return 0;
	cell_text(t, cell, p, where, sizeof(where));
	return fail(err, "params.sample_us",
		    "%.0f samples per run (duration_us %.0f / sample_us %.0f) is over the limit "
		    "of %d samples per run; raise sample_us to at least %.0f or shorten "
		    "duration_us%s", n, p[d], p[k], SPEC_MAX_SAMPLES,
		    ceil(p[d] / SPEC_MAX_SAMPLES), where);
}

static int build_cell(struct spec *s, size_t c, const struct axis *axes,
		      size_t naxes, const double *base, struct spec_error *err)
{
	const struct target *t = s->target;
	double *p = s->cell_params + c * t->nparams;
	json_t *cell = json_object();
	size_t rest = c;
	char field[128] = "", msg[384] = "", where[256];

	if (!cell)
		return oom(err);
	s->cells[c] = cell;
	memcpy(p, base, t->nparams * sizeof(*p));
	/* The last axis varies fastest. */
	for (size_t i = naxes; i-- > 0;) {
		p[axes[i].param] = axes[i].vals[rest % axes[i].n];
		rest /= axes[i].n;
	}
	for (size_t i = 0; i < naxes; i++) {
		if (!axes[i].swept)
			continue;
		if (json_object_set_new(cell, axes[i].key,
					param_value_json(&t->params[axes[i].param],
							 p[axes[i].param])))
			return oom(err);
	}
	if (t->check_cell && t->check_cell(p, field, sizeof(field), msg, sizeof(msg))) {
		cell_text(t, cell, p, where, sizeof(where));
		return fail(err, field, "%s%s", msg, where);
	}
	return 0;
}

static int expand(struct spec *s, const struct axis *axes, size_t naxes,
		  struct spec_error *err)
{
	const struct target *t = s->target;
	double *base = xcalloc(t->nparams, sizeof(*base));
	size_t r = 0;

	s->cells = xcalloc(s->ncells, sizeof(*s->cells));
	s->cell_params = xcalloc(s->ncells * t->nparams, sizeof(*s->cell_params));
	s->runs = xcalloc(s->nruns, sizeof(*s->runs));
	target_resolve_defaults(t, s->workload, s->preset, base);
	for (size_t c = 0; c < s->ncells; c++) {
		const double *p = s->cell_params + c * t->nparams;
		uint64_t h;

		if (build_cell(s, c, axes, naxes, base, err)) {
			free(base);
			return -1;
		}
		h = cell_hash(t, p);
		for (int rep = 0; rep < s->repetitions; rep++) {
			uint64_t seed = run_seed(s->seed, h, rep);

			for (size_t k = 0; k < s->nstrategies; k++) {
				s->runs[r++] = (struct run_plan){
					.cell = c,
					.cell_json = s->cells[c],
					.strategy = s->strategies[k],
					.repetition = rep,
					.seed = seed,
					.params = p,
				};
			}
		}
	}
	free(base);
	return 0;
}

/*
 * A number jansson would read as another value (1e-400 as 0, a subnormal),
 * found in the text itself: -1 with the error naming it and where, else 0.
 */
static int check_number_text(const char *buf, size_t len, struct spec_error *err)
{
	int line = 1, col = 1, in_str = 0;

	for (size_t i = 0; i < len; i++, col++) {
		char c = buf[i];

		if (in_str) {
			if (c == '\\')
				i++, col++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '\n') {
			line++;
			col = 0;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			char tok[64], *end;
			size_t n = 0;
			double x;

			while (i + n < len && n < sizeof(tok) - 1 &&
			       strchr("+-.0123456789eE", buf[i + n]) && buf[i + n])
				tok[n] = buf[i + n], n++;
			tok[n] = '\0';
			errno = 0;
			x = strtod(tok, &end);
			if (errno == ERANGE && fabs(x) < 1.0)
				return fail(err, "", "the number %s (line %d, column %d) is too small "
					    "for a double and would be read as %g", tok, line, col, x);
			i += n ? n - 1 : 0;
			col += n ? (int)n - 1 : 0;
		}
	}
	return 0;
}

int spec_check_samples(const struct spec *s, struct spec_error *err)
{
	const struct target *t = s->target;

	memset(err, 0, sizeof(*err));
	for (size_t c = 0; c < s->ncells; c++)
		if (cell_samples(t, s->cells[c], s->cell_params + c * t->nparams, err))
			return -1;
	return 0;
}

struct spec *spec_parse(const char *buf, size_t len, struct spec_error *err)
{
	struct axis *axes = NULL;
	size_t naxes = 0;
	json_error_t jerr;
	struct spec *s;

	memset(err, 0, sizeof(*err));
	if (len > SPEC_MAX_BYTES) {
		fail(err, "", "spec is larger than %d bytes (1 MiB)", SPEC_MAX_BYTES);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!s->doc) {
		fail(err, "", "not JSON: line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		goto bad;
	}
	if (check_number_text(buf, len, err))
		goto bad;
	if (!json_is_object(s->doc)) {
		fail(err, "", "expected a JSON object, e.g. {\"workload\": \"rw-reuse\"}");
		goto bad;
	}
	if (check_keys(s->doc, err) || parse_target(s, err) || parse_workload(s, err) ||
	    parse_preset(s, err) || parse_strategies(s, err) ||
	    parse_params(s, &axes, &naxes, err) || parse_numbers(s, err) ||
	    parse_text(s->doc, "label", &s->label, err) ||
	    parse_text(s->doc, "name", &s->name, err) || spec_parse_collect(s, err) ||
	    spec_parse_kernel(s, err) ||
	    count_runs(s, axes, naxes, err) || expand(s, axes, naxes, err))
		goto bad;
	free_axes(axes, naxes);
	return s;
bad:
	free_axes(axes, naxes);
	spec_free(s);
	return NULL;
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	if (s->cells)
		for (size_t c = 0; c < s->ncells; c++)
			json_decref(s->cells[c]);
	free(s->cells);
	free(s->cell_params);
	free(s->runs);
	free(s->strategies);
	free(s->collect);
	json_decref(s->doc);
	free(s);
}
