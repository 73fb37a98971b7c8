/*
 * robustness.c - the robustness of a verdict to the inputs nobody has
 * measured (robustness.h says what the document holds).
 *
 * One evaluation re-runs one cell's runs of the two compared strategies
 * (every repetition, each with the seed the experiment gave it: common
 * random numbers, so the cell's own value reproduces the experiment) with
 * one parameter set to x, and compares them with compare_json on the one
 * metric. The runs go through runner_run like `run --offline`'s; results
 * are stored by index, the bootstrap is seeded: the document depends only
 * on the spec and the options.
 */
#include "robustness.h"
#include "../lib/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_METRIC "cost.total_ns_per_op"


struct input {
	int param;             /* index into target->params */
	const char *source, *confidence;
	double preset_value;   /* NAN when not from the preset */
};

/* What one evaluation found. */
struct point {
	double x;
	const char *winner;    /* a's or b's name, or NULL */
	char verdict[32];      /* b's verdict against a */
	double ratio;          /* b / a, medians; NAN when none */
};

struct rctx {
	const struct spec *s;
	const struct robust_opts *o;
	const char *metric;
	size_t a, b;           /* indexes into s->strategies */
	long used, planned;
	int stopped;           /* the budget ran out */
	struct run_plan *plans;
	double *params;
	char err[512];
};

void robust_defaults(struct robust_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->budget = ROBUST_BUDGET;
	o->tol = 0.01;
}

static const char *sname(const struct spec *s, size_t k)
{
	return s->target->strategies[s->strategies[k]].name;
}

/* The bug or a broken variant (lib/vocab.c's roles). */
static int is_incorrect(const char *name)
{
	return vocab_strategy_incorrect(name);
}

/* The comparison's default baseline (pri-inv). */
static int is_reference(const char *name)
{
	const struct strategy_role *r = vocab_strategy(name);

	return r && r->reference;
}

/* a and b as compare's crossover picks them; -1 with a message. */
static int pick_pair(struct rctx *c, char *err, size_t elen)
{
	const struct spec *s = c->s;
	size_t n = s->nstrategies;

	c->a = c->b = n;
	for (size_t k = 0; k < n; k++) {
		if (c->o->baseline ? !strcmp(sname(s, k), c->o->baseline) : is_reference(sname(s, k)))
			c->a = k;
	}
	if (c->o->baseline && c->a == n) {
		error_into(err, elen, "unknown baseline '%s': not one of the experiment's strategies",
			   c->o->baseline);
		return -1;
	}
	for (size_t k = 0; c->a == n && k < n; k++)
		if (!is_incorrect(sname(s, k)))
			c->a = k;
	for (size_t k = 0; c->b == n && k < n; k++)
		if (k != c->a && !is_incorrect(sname(s, k)))
			c->b = k;
	if (c->a == n || c->b == n) {
		error_into(err, elen, "robustness needs two correct strategies to compare; the experiment "
			   "has %zu strategies", n);
		return -1;
	}
	return 0;
}

/* The inputs: the preset's assumed values (unless no_assumed), then the
 * user's. Their count, or -1 with a message. */
static long pick_inputs(const struct rctx *c, struct input *in, char *err, size_t elen)
{
	const struct spec *s = c->s;
	const struct target *t = s->target;
	long n = 0;

	if (!c->o->no_assumed && s->preset) {
		for (size_t i = 0; i < s->preset->nvalues; i++) {
			const struct preset_value *pv = &s->preset->values[i];
			int k = target_param_index(t, pv->param);

			if (k < 0 || !pv->confidence || strcmp(pv->confidence, "assumed"))
				continue;
			if (t->params[k].type != PARAM_INT && t->params[k].type != PARAM_REAL)
				continue;
			if (n == ROBUST_INPUTS_MAX)
				break;
			in[n++] = (struct input){k, pv->source, pv->confidence, pv->value};
		}
	}
	for (size_t i = 0; i < c->o->ninputs; i++) {
		const char *name = c->o->inputs[i];
		int k = target_param_index(t, name), dup = 0;

		if (k < 0) {
			error_into(err, elen, "unknown input '%.60s': not a parameter of %s", name, t->name);
			return -1;
		}
		if (t->params[k].type != PARAM_INT && t->params[k].type != PARAM_REAL) {
			error_into(err, elen, "input '%s' is not numeric: only int and real parameters can be "
				   "moved over a range", name);
			return -1;
		}
		for (long j = 0; j < n; j++)
			dup |= in[j].param == k;
		if (dup)
			continue;
		if (n == ROBUST_INPUTS_MAX) {
			error_into(err, elen, "too many inputs: at most %d", ROBUST_INPUTS_MAX);
			return -1;
		}
		in[n++] = (struct input){k, "marked by the user", "workload", NAN};
	}
	return n;
}

/* The winner of b against a from a one-cell comparison, correctness first. */
static const char *winner_of(const struct rctx *c, const json_t *cell, const char *verdict)
{
	const json_t *corr = json_object_get(cell, "correctness");
	const char *va = json_string_value(json_object_get(json_object_get(corr, sname(c->s, c->a)),
							   "verdict"));
	const char *vb = json_string_value(json_object_get(json_object_get(corr, sname(c->s, c->b)),
							   "verdict"));
	int bad_a = va && strcmp(va, "correct"), bad_b = vb && strcmp(vb, "correct");

	if (bad_a && !bad_b)
		return sname(c->s, c->b);
	if (bad_b && !bad_a)
		return sname(c->s, c->a);
	if (bad_a)
		return NULL;
	if (!strcmp(verdict, "better"))
		return sname(c->s, c->b);
	if (!strcmp(verdict, "worse"))
		return sname(c->s, c->a);
	return NULL;
}

/*
 * Runs cell with param k at x (k < 0: as the experiment has it) and
 * compares. 0 with *pt; 1 when the budget does not allow it; -1 when it
 * could not be evaluated (c->err says why: a run failed, x is refused by
 * the target).
 */
static int evaluate(struct rctx *c, size_t cell, int k, double x, struct point *pt)
{
	const struct spec *s = c->s;
	const struct target *t = s->target;
	size_t reps = (size_t)s->repetitions, np = t->nparams;
	int strat[2] = {s->strategies[c->a], s->strategies[c->b]};
	const char *metrics[1] = {c->metric};
	struct spec mini = *s;
	struct runner_opts ro = {.jobs = c->o->jobs};
	struct compare_opts co;
	struct results *r;
	char field[128], why[512];
	json_t *cmp, *cj, *e;
	const char *v;

	if (c->used + (long)(2 * reps) > c->o->budget) {
		c->stopped = 1;
		return 1;
	}
	memcpy(c->params, s->cell_params + cell * np, np * sizeof(*c->params));
	if (k >= 0) {
		if (t->params[k].type == PARAM_INT)
			x = round(x);
		c->params[k] = x;
	}
	if (t->check_cell && t->check_cell(c->params, field, sizeof(field), why, sizeof(why))) {
		snprintf(c->err, sizeof(c->err), "%s at %g is refused: %.400s", t->params[k < 0 ? 0 : k].name,
			 x, why);
		return -1;
	}
	for (size_t rep = 0; rep < reps; rep++) {
		const struct run_plan *orig = &s->runs[(cell * reps + rep) * s->nstrategies];

		for (size_t j = 0; j < 2; j++)
			c->plans[rep * 2 + j] = (struct run_plan){
				.cell = 0, .cell_json = s->cells[cell], .strategy = strat[j],
				.repetition = (int)rep, .seed = orig->seed, .params = c->params};
	}
	mini.strategies = strat;
	mini.nstrategies = 2;
	mini.ncells = 1;
	mini.cells = &s->cells[cell];
	mini.cell_params = c->params;
	mini.runs = c->plans;
	mini.nruns = 2 * reps;
	mini.collect = NULL;
	mini.ncollect = 0;
	r = results_new(&mini);
	if (runner_run(r, &ro, why, sizeof(why)) || r->nfailed) {
		for (size_t i = 0; i < mini.nruns && !why[0]; i++)
			if (r->runs[i].status == RUN_FAILED)
				snprintf(why, sizeof(why), "%s", r->runs[i].reason ? r->runs[i].reason : "?");
		snprintf(c->err, sizeof(c->err), "a run failed at %g: %.400s", x, why);
		results_free(r);
		return -1;
	}
	c->used += (long)mini.nruns;
	compare_defaults(&co);
	co.metrics = metrics;
	co.nmetrics = 1;
	co.baseline = sname(s, c->a);
	cmp = compare_json(r, NULL, &co, why, sizeof(why));
	results_free(r);
	if (!cmp) {
		snprintf(c->err, sizeof(c->err), "%s", why);
		return -1;
	}
	cj = json_array_get(json_object_get(cmp, "cells"), 0);
	e = json_object_get(json_object_get(json_object_get(cj, "strategies"), sname(s, c->b)), c->metric);
	v = json_string_value(json_object_get(e, "verdict"));
	pt->x = k >= 0 ? x : NAN;
	snprintf(pt->verdict, sizeof(pt->verdict), "%s", v ? v : "insufficient data");
	pt->ratio = json_is_number(json_object_get(e, "ratio")) ?
			    json_number_value(json_object_get(e, "ratio")) : NAN;
	pt->winner = winner_of(c, cj, pt->verdict);
	json_decref(cmp);
	if (c->o->progress)
		c->o->progress(c->o->ctx, c->used, c->planned);
	return 0;
}

static json_t *num(double v)
{
	if (!isfinite(v))
		return json_null();
	if (v == floor(v) && fabs(v) <= 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *point_json(const struct point *p)
{
	return json_pack("{s:o, s:o, s:s, s:o}", "value", num(p->x), "winner",
			 p->winner ? json_string(p->winner) : json_null(), "verdict", p->verdict,
			 "ratio", num(p->ratio));
}

static int same_winner(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

/*
 * The break-even between the cell's value v, where the winner is the
 * nominal one, and the end, where it is not: bisection on a log scale on
 * "the winner is still the nominal one" until the bracket is within tol.
 * *complete 0 when the budget stopped it first.
 */
static json_t *break_even(struct rctx *c, size_t cell, int k, double v, const char *nominal,
			  double end, const char *beyond, int *nevals, int *complete)
{
	const struct param_def *d = &c->s->target->params[k];
	double in = v, out = end;

	*complete = 1;
	while (fmax(in, out) / fmin(in, out) > 1 + c->o->tol) {
		struct point p;
		double mid = sqrt(in * out);
		int rc;

		if (d->type == PARAM_INT) {
			mid = round(mid);
			if (mid == in || mid == out)
				break; /* adjacent integers: as precise as it gets */
		}
		rc = evaluate(c, cell, k, mid, &p);
		if (rc) {
			*complete = 0;
			break;
		}
		(*nevals)++;
		if (same_winner(p.winner, nominal))
			in = mid;
		else
			out = mid;
	}
	return json_pack("{s:o, s:s, s:o, s:o, s:b}", "value",
			 num(d->type == PARAM_INT ? out : sqrt(in * out)), "side",
			 end > v ? "above" : "below", "bracket",
			 json_pack("[oo]", num(fmin(in, out)), num(fmax(in, out))), "winner_beyond",
			 beyond ? json_string(beyond) : json_null(), "precise", *complete);
}

/* One input in one cell: {"lo", "hi", "holds", "at_lo", "at_hi", "break_even"}. */
static json_t *input_json(struct rctx *c, size_t cell, const struct input *in,
			  const struct point *nominal, int *holds, char *statement, size_t slen)
{
	const struct param_def *d = &c->s->target->params[in->param];
	double v = c->s->cell_params[cell * c->s->target->nparams + (size_t)in->param];
	double lo = fmax(v / ROBUST_RANGE, d->min), hi = fmin(v * ROBUST_RANGE, d->max);
	struct point pl, ph;
	json_t *o, *be[2] = {NULL, NULL};
	int rc, nevals = 0, complete = 1;

	*holds = 1;
	if (!(v > 0))
		return json_pack("{s:s}", "skipped", "its value is 0 or negative: no relative range");
	if (d->type == PARAM_INT) {
		lo = ceil(lo);
		hi = floor(hi);
	}
	rc = evaluate(c, cell, in->param, lo, &pl);
	if (!rc)
		rc = evaluate(c, cell, in->param, hi, &ph);
	if (rc > 0)
		return json_pack("{s:s}", "skipped", "the budget of runs ran out");
	if (rc < 0)
		return json_pack("{s:s}", "skipped", c->err);
	nevals = 2;
	for (int side = 0; side < 2; side++) {
		const struct point *p = side ? &ph : &pl;

		if (same_winner(p->winner, nominal->winner))
			continue;
		*holds = 0;
		be[side] = break_even(c, cell, in->param, v, nominal->winner, p->x, p->winner, &nevals,
				      &complete);
		if (statement) {
			size_t n = strlen(statement);
			const json_t *bv = json_object_get(be[side], "value");

			snprintf(statement + n, slen - n, "%s%s %s %.4g (then %s)", n ? ", " : "",
				 d->name, side ? ">" : "<", json_number_value(bv),
				 p->winner ? p->winner : p->verdict);
		}
	}
	o = json_pack("{s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:i}", "lo", num(lo), "hi", num(hi),
		      "holds", *holds, "at_lo", point_json(&pl), "at_hi", point_json(&ph),
		      "break_even_below", be[0] ? be[0] : json_null(),
		      "break_even_above", be[1] ? be[1] : json_null(), "evaluations", nevals);
	return o;
}

static json_t *cell_json(struct rctx *c, size_t cell, const struct input *in, long nin)
{
	struct point nominal;
	char flips[1024] = "", statement[1200];
	json_t *o, *inputs = json_object();
	int rc, robust = 1, analysed = 0;

	rc = evaluate(c, cell, -1, 0, &nominal);
	if (rc)
		return json_pack("{s:O, s:s}", "cell", c->s->cells[cell], "skipped",
				 rc > 0 ? "the budget of runs ran out" : c->err);
	for (long i = 0; i < nin; i++) {
		int holds = 1;
		json_t *j = input_json(c, cell, &in[i], &nominal, &holds, flips, sizeof(flips));

		if (!j || json_object_set_new(inputs, c->s->target->params[in[i].param].name, j)) {
			json_decref(inputs);
			return NULL;
		}
		analysed += !json_object_get(j, "skipped");
		robust &= holds;
	}
	{
		char who[160];

		if (nominal.winner)
			snprintf(who, sizeof(who), "%s wins", nominal.winner);
		else
			snprintf(who, sizeof(who), "no winner (%s)", nominal.verdict);
		if (!robust)
			snprintf(statement, sizeof(statement), "%s unless %s", who, flips);
		else if (analysed == nin)
			snprintf(statement, sizeof(statement), "robust: %s over every input's range", who);
		else
			snprintf(statement, sizeof(statement), "%s over %d of %ld inputs' ranges (the rest "
				 "not analysed)", who, analysed, nin);
	}
	o = json_pack("{s:O, s:o, s:b, s:s, s:o}", "cell", c->s->cells[cell], "nominal",
		      point_json(&nominal), "robust", robust && analysed == nin, "statement", statement,
		      "inputs", inputs);
	return o;
}

json_t *robustness_json(const struct spec *s, const char *id, const struct robust_opts *o,
			char *err, size_t elen)
{
	struct rctx c = {.s = s, .o = o};
	struct input in[ROBUST_INPUTS_MAX];
	json_t *doc = NULL, *cells = NULL, *jin = NULL;
	long nin;
	int higher;

	if (!(o->tol > 0 && o->tol <= 0.5) || o->budget < 1 || o->budget > ROBUST_BUDGET_MAX) {
		error_into(err, elen, "tol must be above 0 up to 0.5 and budget 1..%d", ROBUST_BUDGET_MAX);
		return NULL;
	}
	c.metric = o->metric ? o->metric : DEFAULT_METRIC;
	if (pick_pair(&c, err, elen))
		return NULL;
	nin = pick_inputs(&c, in, err, elen);
	if (nin < 0)
		return NULL;
	if (!nin) {
		error_into(err, elen, "nothing to vary: the preset has no assumed value and no input was named");
		return NULL;
	}
	c.planned = (long)s->ncells * (1 + 2 * nin) * 2 * s->repetitions;
	c.plans = calloc(2 * (size_t)s->repetitions, sizeof(*c.plans));
	c.params = calloc(s->target->nparams, sizeof(*c.params));
	cells = json_array();
	jin = json_array();
	if (!c.plans || !c.params || !cells || !jin)
		goto oom;
	for (long i = 0; i < nin; i++) {
		const struct param_def *d = &s->target->params[in[i].param];

		if (json_array_append_new(jin, json_pack("{s:s, s:o, s:s, s:s, s:s}", "name", d->name,
							 "value", num(in[i].preset_value), "source",
							 in[i].source ? in[i].source : "",
							 "confidence", in[i].confidence ? in[i].confidence : "",
							 "unit", d->unit ? d->unit : "")))
			goto oom;
	}
	for (size_t cell = 0; cell < s->ncells; cell++) {
		json_t *cj = cell_json(&c, cell, in, nin);

		if (!cj || json_array_append_new(cells, cj))
			goto oom;
	}
	higher = metric_higher_is_better(c.metric);
	doc = json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:b, s:o, s:o}",
			"experiment", id ? json_string(id) : json_null(), "metric", c.metric, "better",
			higher ? "higher" : "lower", "a", sname(s, c.a), "b", sname(s, c.b), "range",
			"x1/4..x4 of each cell's value (no preset value cites a range), clipped to "
			"the parameter's limits", "tol", o->tol, "budget", (json_int_t)o->budget,
			"runs_planned", (json_int_t)c.planned, "runs_used", (json_int_t)c.used,
			"complete", !c.stopped, "inputs", jin, "cells", cells);
	jin = cells = NULL;
	if (!doc)
		goto oom;
	free(c.plans);
	free(c.params);
	return doc;
oom:
	error_into(err, elen, "out of memory");
	json_decref(cells);
	json_decref(jin);
	free(c.plans);
	free(c.params);
	return NULL;
}

int robustness_ratio(const struct spec *s, const struct robust_opts *o, size_t cell,
		     const char *param, double x, double *ratio, char *err, size_t elen)
{
	struct rctx c = {.s = s, .o = o};
	struct point p;
	int k = target_param_index(s->target, param), rc;

	c.metric = o->metric ? o->metric : DEFAULT_METRIC;
	if (cell >= s->ncells || k < 0) {
		error_into(err, elen, "no cell %zu or parameter '%s'", cell, param);
		return -1;
	}
	if (pick_pair(&c, err, elen))
		return -1;
	c.plans = calloc(2 * (size_t)s->repetitions, sizeof(*c.plans));
	c.params = calloc(s->target->nparams, sizeof(*c.params));
	rc = c.plans && c.params ? evaluate(&c, cell, k, x, &p) : -1;
	if (!rc)
		*ratio = p.ratio;
	else
		error_into(err, elen, "%s", rc > 0 ? "the budget of runs ran out" : c.err);
	free(c.plans);
	free(c.params);
	return rc ? -1 : 0;
}
