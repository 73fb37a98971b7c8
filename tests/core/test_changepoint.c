/*
 * test_changepoint.c - change points in a metric's history: a step is found
 * where it is, a flat noisy series and a step below min_change give none,
 * two steps give two, and the Welch test's p-values match values computed
 * independently (numerical integration of Student's t density); a change's
 * CI holds it; the newest point alone is a tentative change only when
 * asked, tested against the points after the last step.
 */
#include "../../core/core.h"
#include "../harness.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define MAXPTS 128
#define PER 3  /* runs per experiment */

static uint64_t rng_state;

static double uniform(void)
{
	/* xorshift64*: seeded, the same numbers on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double gaussian(void)
{
	double u = uniform(), v = uniform();

	return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

struct series {
	double v[MAXPTS][PER];
	const double *rows[MAXPTS];
	size_t counts[MAXPTS];
	size_t n;
};

/* Appends n points at level with gaussian noise of sd. */
static void add(struct series *s, size_t n, double level, double sd)
{
	for (size_t k = 0; k < n && s->n < MAXPTS; k++, s->n++) {
		for (int j = 0; j < PER; j++)
			s->v[s->n][j] = level + sd * gaussian();
		s->rows[s->n] = s->v[s->n];
		s->counts[s->n] = PER;
	}
}

static long detect(const struct series *s, const struct cp_params *p, struct cp_result *out,
		   size_t max)
{
	return changepoints_detect(s->rows, s->counts, s->n, p, out, max);
}

static void test_one_step(void)
{
	struct series s = {0};
	struct cp_params p;
	struct cp_result r[8];
	long n;

	cp_defaults(&p);
	rng_state = 42;
	add(&s, 20, 100, 3);
	add(&s, 20, 130, 3);
	n = detect(&s, &p, r, 8);
	test_result(n == 1, "one step: one change point", "found %ld", n);
	if (n < 1)
		return;
	test_result(r[0].index >= 19 && r[0].index <= 21, "one step: found at the step (index 20)",
		    "index %zu", r[0].index);
	test_result(fabs(r[0].before - 100) < 3 && fabs(r[0].after - 130) < 3,
		    "one step: before and after are the two levels", "before %g, after %g",
		    r[0].before, r[0].after);
	test_result(r[0].change > 0.25 && r[0].change < 0.35 && r[0].p < 1e-6 && r[0].t > 0,
		    "one step: change about +30 %, p tiny, t positive", "change %g, p %g, t %g",
		    r[0].change, r[0].p, r[0].t);
}

static void test_ci(void)
{
	struct series s = {0};
	struct cp_params p;
	struct cp_result r[8];
	long n;

	cp_defaults(&p);
	rng_state = 42;
	add(&s, 20, 100, 3);
	add(&s, 20, 130, 3);
	n = detect(&s, &p, r, 8);
	test_result(n == 1 && r[0].ci_lo < r[0].change && r[0].change < r[0].ci_hi &&
		    r[0].ci_lo < 0.3 && r[0].ci_hi > 0.3 && r[0].ci_hi - r[0].ci_lo < 0.1,
		    "one step: the change's 95 % CI holds it and the true +30 %, narrowly",
		    "found %ld, change %g in [%g, %g]", n, n ? r[0].change : 0, n ? r[0].ci_lo : 0,
		    n ? r[0].ci_hi : 0);
}

/* The newest point alone: tentative, against the points since the last step. */
static void test_tentative(void)
{
	struct series s = {0};
	struct cp_params p;
	struct cp_result r[8];
	long n;

	cp_defaults(&p);
	rng_state = 5;
	add(&s, 8, 100, 2);
	add(&s, 1, 150, 2);
	n = detect(&s, &p, r, 8);
	test_result(n == 0, "a jump at the newest point, tentative off: nothing", "found %ld", n);
	p.tentative = 1;
	n = detect(&s, &p, r, 8);
	test_result(n == 1 && r[0].index == 8 && r[0].tentative && r[0].change > 0.4,
		    "tentative on: the jump at the newest point, marked tentative",
		    "found %ld, index %zu, tentative %d", n, n ? r[0].index : 0,
		    n ? r[0].tentative : -1);
	s.n = 0;
	rng_state = 6;
	add(&s, 8, 100, 2);
	add(&s, 8, 130, 2);
	add(&s, 1, 200, 2);
	n = detect(&s, &p, r, 8);
	test_result(n == 2 && r[0].index == 8 && !r[0].tentative && r[1].index == 16 &&
		    r[1].tentative && fabs(r[1].before - 130) < 3,
		    "a confirmed step, then a jump at the newest point: the jump faces only the"
		    " points after the step", "found %ld; second at %zu, before %g", n,
		    n > 1 ? r[1].index : 0, n > 1 ? r[1].before : 0);
	s.n = 0;
	rng_state = 7;
	add(&s, 9, 100, 2);
	n = detect(&s, &p, r, 8);
	test_result(n == 0, "tentative on, a flat series: nothing", "found %ld", n);
}

static void test_flat(void)
{
	struct cp_params p;
	struct cp_result r[8];
	long worst = 0;

	cp_defaults(&p);
	/* several seeds: none may raise a false alarm */
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct series s = {0};
		long n;

		rng_state = seed * 7919;
		add(&s, 40, 100, 3);
		n = detect(&s, &p, r, 8);
		if (n > worst)
			worst = n;
	}
	test_result(worst == 0, "flat noisy series (20 seeds): no change point", "found %ld",
		    worst);
}

static void test_small_step(void)
{
	struct series s = {0};
	struct cp_params p;
	struct cp_result r[8];
	long n;

	cp_defaults(&p);
	rng_state = 7;
	/* +3 %: clearly significant with this little noise, but below min_change 5 % */
	add(&s, 20, 100, 0.5);
	add(&s, 20, 103, 0.5);
	n = detect(&s, &p, r, 8);
	test_result(n == 0, "a step below min_change: no change point", "found %ld", n);
	p.min_change = 0.01;
	n = detect(&s, &p, r, 8);
	test_result(n == 1 && r[0].index >= 19 && r[0].index <= 21,
		    "the same step with min_change 1 %: found at index 20", "found %ld at %zu", n,
		    n > 0 ? r[0].index : 0);
}

static void test_two_steps(void)
{
	struct series s = {0};
	struct cp_params p;
	struct cp_result r[8];
	long n;

	cp_defaults(&p);
	rng_state = 99;
	add(&s, 20, 100, 3);
	add(&s, 20, 130, 3);
	add(&s, 20, 90, 3);
	n = detect(&s, &p, r, 8);
	test_result(n == 2, "two steps: two change points", "found %ld", n);
	if (n != 2)
		return;
	test_result(r[0].index >= 19 && r[0].index <= 21 && r[1].index >= 39 &&
		    r[1].index <= 41, "two steps: at 20 and 40, in order", "at %zu and %zu",
		    r[0].index, r[1].index);
	test_result(r[0].change > 0 && r[1].change < 0, "two steps: up, then down",
		    "changes %g, %g", r[0].change, r[1].change);
}

static void test_deterministic(void)
{
	double lo[PER] = {600, 600, 600}, hi[PER] = {1200, 1200, 1200};
	const double *rows[8];
	size_t counts[8];
	struct cp_params p;
	struct cp_result r[4];
	long n;

	cp_defaults(&p);
	/* a simulator repeats itself exactly: no variance at all */
	for (int k = 0; k < 8; k++) {
		rows[k] = k < 4 ? lo : hi;
		counts[k] = PER;
	}
	n = changepoints_detect(rows, counts, 8, &p, r, 4);
	test_result(n == 1 && r[0].index == 4 && r[0].p == 0 && r[0].change == 1,
		    "constant before and after a step: found exactly, p 0, change +100 %",
		    "found %ld, index %zu, p %g, change %g", n, n > 0 ? r[0].index : 0,
		    n > 0 ? r[0].p : -1, n > 0 ? r[0].change : -1);
	for (int k = 0; k < 8; k++)
		rows[k] = lo;
	n = changepoints_detect(rows, counts, 8, &p, r, 4);
	test_result(n == 0, "a constant series: no change point", "found %ld", n);
	/* the newest point alone is not a step yet */
	for (int k = 0; k < 8; k++)
		rows[k] = k < 7 ? lo : hi;
	n = changepoints_detect(rows, counts, 8, &p, r, 4);
	test_result(n == 0, "a jump in the newest point only: not a change point yet",
		    "found %ld", n);
}

/* Welch's test against values integrated numerically (Python, 2e5 steps). */
static void test_p_values(void)
{
	double p0[] = {1, 2}, p1[] = {3, 4, 5}, p2[] = {6, 7}, p3[] = {8, 9, 10};
	double q2[] = {10, 12, 14}, q3[] = {16, 18, 20};
	const double *rows[4] = {p0, p1, p2, p3};
	size_t counts[4] = {2, 3, 2, 3};
	struct cp_params p;
	struct cp_result r[2];
	long n;

	cp_defaults(&p);
	p.window = 2;
	n = changepoints_detect(rows, counts, 4, &p, r, 2);
	/* 1..5 against 6..10: t = 5, df = 8 */
	test_result(n == 1 && r[0].index == 2 && fabs(r[0].t - 5) < 1e-12 &&
		    fabs(r[0].p - 0.0010528183) < 1e-8,
		    "welch p, equal variances: t 5, df 8, p 0.0010528", "found %ld, t %.12g, p %.10g",
		    n, n > 0 ? r[0].t : 0, n > 0 ? r[0].p : 0);
	rows[2] = q2;
	rows[3] = q3;
	counts[2] = counts[3] = 3;
	n = changepoints_detect(rows, counts, 4, &p, r, 2);
	/* 1..5 against 10..20 by 2: t 7.12906, df 6.97226 */
	test_result(n == 1 && fabs(r[0].t - 7.129062309) < 1e-6 &&
		    fabs(r[0].p - 0.000192357) < 1e-8,
		    "welch p, unequal variances: t 7.12906, p 0.000192357",
		    "found %ld, t %.10g, p %.10g", n, n > 0 ? r[0].t : 0, n > 0 ? r[0].p : 0);
}

static void test_params(void)
{
	double v[2] = {1, 2};
	const double *rows[4] = {v, v, v, v};
	size_t counts[4] = {2, 2, 2, 2};
	struct cp_params p;
	struct cp_result r[1];
	int bad = 0;

	cp_defaults(&p);
	p.window = 0;
	bad += changepoints_detect(rows, counts, 4, &p, r, 1) == -1;
	cp_defaults(&p);
	p.alpha = 0;
	bad += changepoints_detect(rows, counts, 4, &p, r, 1) == -1;
	cp_defaults(&p);
	p.min_change = NAN;
	bad += changepoints_detect(rows, counts, 4, &p, r, 1) == -1;
	cp_defaults(&p);
	test_result(bad == 3 && changepoints_detect(rows, counts, 4, &p, r, 1) == 0,
		    "bad parameters are refused, good ones accepted", "%d of 3 refused", bad);
}

int main(void)
{
	test_one_step();
	test_ci();
	test_tentative();
	test_flat();
	test_small_step();
	test_two_steps();
	test_deterministic();
	test_p_values();
	test_params();
	return test_exit();
}
