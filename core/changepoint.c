/*
 * changepoint.c - steps in a metric's history, found the way Perfherder
 * finds them: a Welch t-test between a window of points before and after
 * every candidate index, change points at the local maxima of |t| that are
 * significant and large enough to matter (core.h documents the rule).
 *
 * Perfherder compares |t| with a fixed threshold (7); here the threshold
 * comes from alpha through Student's t distribution, so a series with few
 * values per point is not held to a large-sample threshold.
 */
#include "core.h"
#include "../lib/util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CP_MIN_POINTS 2   /* points on each side of a candidate */
#define CP_MIN_VALUES 2   /* values on each side (a variance needs two) */
#define CP_WINDOW_MAX 1000

void cp_defaults(struct cp_params *p)
{
	p->min_change = 0.05;
	p->alpha = 0.01;
	p->window = 5;
	p->tentative = 0;
}

/*
 * The regularized incomplete beta function I_x(a, b) by its continued
 * fraction (modified Lentz), as in Numerical Recipes' betacf.
 */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 300; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + aa * d;
		c = 1 + aa / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + aa * d;
		c = 1 + aa / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

static double log_gamma(double x)
{
	int sign;

	return lgamma_r(x, &sign); /* lgamma() would write the global signgam */
}

static double inc_beta(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(log_gamma(a + b) - log_gamma(a) - log_gamma(b) + a * log(x) +
		    b * log(1 - x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

/* Two-sided p of Student's t with df degrees of freedom. */
static double t_two_sided_p(double t, double df)
{
	if (isnan(t))
		return 1;
	if (isinf(t))
		return 0;
	return inc_beta(df / 2, 0.5, df / (df + t * t));
}

/* The t with two-sided p alpha (the 1 - alpha/2 quantile), by bisection. */
static double t_quantile(double alpha, double df)
{
	double lo = 0, hi = 1;

	while (t_two_sided_p(hi, df) > alpha && hi < 1e12)
		hi *= 2;
	for (int k = 0; k < 200 && hi - lo > 1e-12 * hi; k++) {
		double mid = (lo + hi) / 2;

		if (t_two_sided_p(mid, df) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* The values of points [from, to) without NaNs, into buf. */
static size_t gather(const double *const *values, const size_t *counts, size_t from, size_t to,
		     double *buf)
{
	size_t n = 0;

	for (size_t k = from; k < to; k++)
		for (size_t j = 0; j < counts[k]; j++)
			if (!isnan(values[k][j]))
				buf[n++] = values[k][j];
	return n;
}

/* Mean and sample variance, two-pass for accuracy. */
static void moments(const double *v, size_t n, double *mean, double *var)
{
	double s = 0, ss = 0;

	for (size_t i = 0; i < n; i++)
		s += v[i];
	*mean = s / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	*var = n > 1 ? ss / (double)(n - 1) : 0;
}

/* after / before - 1, signed infinity for a step away from 0. */
static double relative_change(double before, double after)
{
	if (before == after)
		return 0;
	if (before == 0)
		return after > 0 ? INFINITY : -INFINITY;
	return (after - before) / fabs(before);
}

/*
 * The test at candidate i: 1 with r filled when both windows have enough
 * points and values, else 0. a and b are scratch space for the values.
 * tentative: the newest point may face the window before it alone, a
 * window that starts at floor or later (after the last change point, so
 * it never reaches over an earlier step).
 */
static int test_at(const double *const *values, const size_t *counts, size_t npoints, size_t i,
		   size_t window, int tentative, size_t floor, double *a, double *b,
		   struct cp_result *r)
{
	/* Equal windows, shrinking near the ends: a short side facing a long one
	 * that reaches over a later step would see that step here. */
	size_t k = window < i - floor ? window : i - floor, kb, from, to;
	size_t na, nb;
	double ma, va, mb, vb, se2, ea, eb, df;

	kb = npoints - i < k ? npoints - i : k;
	r->tentative = 0;
	if (kb < CP_MIN_POINTS) {
		if (!tentative || i != npoints - 1 || k < CP_MIN_POINTS)
			return 0;
		r->tentative = 1;
	} else {
		k = kb;
	}
	from = i - k;
	to = i + kb;
	na = gather(values, counts, from, i, a);
	nb = gather(values, counts, i, to, b);
	if (na < CP_MIN_VALUES || nb < CP_MIN_VALUES)
		return 0;
	moments(a, na, &ma, &va);
	moments(b, nb, &mb, &vb);
	r->index = i;
	r->before = ma;
	r->after = mb;
	r->change = relative_change(r->before, r->after);
	ea = va / (double)na;
	eb = vb / (double)nb;
	se2 = ea + eb;
	/* Both windows constant (a deterministic target): any difference is certain. */
	if (!(se2 > DBL_MIN)) {
		r->t = ma == mb ? 0 : ma < mb ? INFINITY : -INFINITY;
		r->p = ma == mb ? 1 : 0;
		r->se = 0;
		r->df = INFINITY;
		return 1;
	}
	r->t = (mb - ma) / sqrt(se2);
	df = se2 * se2 / (ea * ea / (double)(na - 1) + eb * eb / (double)(nb - 1));
	r->p = t_two_sided_p(r->t, df);
	r->se = sqrt(se2);
	r->df = df;
	return 1;
}

/* The 95 % CI of a reported change (only those: the quantile is costly). */
static void set_ci(struct cp_result *r)
{
	double q = r->se > 0 ? t_quantile(0.05, r->df) : 0, d = r->after - r->before;

	r->ci_lo = r->before != 0 ? (d - q * r->se) / fabs(r->before) : NAN;
	r->ci_hi = r->before != 0 ? (d + q * r->se) / fabs(r->before) : NAN;
}

long changepoints_detect(const double *const *values, const size_t *counts, size_t npoints,
			 const struct cp_params *p, struct cp_result *out, size_t max)
{
	struct cp_result *all = NULL;
	unsigned char *valid = NULL;
	double *a = NULL, *b = NULL;
	size_t window, total = 0, last = 0;
	long found = 0;

	if (!p || p->window < 1 || p->window > CP_WINDOW_MAX || !(p->alpha > 0 && p->alpha < 1) ||
	    !(p->min_change >= 0))
		return -1;
	if (npoints < 2 * CP_MIN_POINTS - (p->tentative ? 1 : 0))
		return 0;
	window = (size_t)p->window;
	for (size_t k = 0; k < npoints; k++)
		total += counts[k];
	all = xcalloc(npoints, sizeof(*all));
	valid = xcalloc(npoints, 1);
	a = xmalloc((total ? total : 1) * sizeof(*a));
	b = xmalloc((total ? total : 1) * sizeof(*b));
	for (size_t i = 1; i < npoints; i++)
		valid[i] = (unsigned char)test_at(values, counts, npoints, i, window, 0, 0, a, b,
						  &all[i]);

	/* Local maxima of |t|: the first of a plateau, where the step is sharpest. */
	for (size_t i = 1; i < npoints; i++) {
		double t = fabs(all[i].t);

		if (!valid[i] || !(all[i].p < p->alpha) || !(fabs(all[i].change) >= p->min_change))
			continue;
		if (valid[i - 1] && !(t > fabs(all[i - 1].t)))
			continue;
		if (i + 1 < npoints && valid[i + 1] && fabs(all[i + 1].t) > t)
			continue;
		if ((size_t)found < max) {
			out[found] = all[i];
			set_ci(&out[found]);
		}
		found++;
		last = i;
	}

	/* The newest point alone, against the points since the last change. */
	if (p->tentative && npoints >= 3 && !valid[npoints - 1]) {
		struct cp_result r;
		size_t i = npoints - 1;

		if (test_at(values, counts, npoints, i, window, 1, last, a, b, &r) &&
		    r.p < p->alpha && fabs(r.change) >= p->min_change) {
			if ((size_t)found < max) {
				out[found] = r;
				set_ci(&out[found]);
			}
			found++;
		}
	}
	free(all);
	free(valid);
	free(a);
	free(b);
	return found;
}
