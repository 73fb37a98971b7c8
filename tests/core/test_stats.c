/*
 * test_stats.c - the statistics behind `svabench compare` against values
 * computed independently: medians and R type 7 quantiles of known samples;
 * Mann-Whitney U statistics and exact two-sided p-values counted by hand
 * (untied, they agree with R's wilcox.test; tied, with the exact
 * permutation test over midranks); the normal approximation with tie and
 * continuity corrections beyond 20 a side, worked out from the formula in
 * the comments;
 * and a bootstrap CI of a ratio of medians that covers the true ratio at
 * about its nominal 95 % in a seeded simulation.
 */
#include "../harness.h"
#include "../../core/core.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int close_to(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fabs(want) + 1e-15;
}

static void check_quantiles(void)
{
	double odd[] = {7, 1, 3};
	double even[] = {4, 1, 3, 2};
	double ten[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	double one[] = {42};

	test_result(stats_median(odd, N(odd)) == 3, "median of {7, 1, 3} is 3", "got %g",
		    stats_median(odd, N(odd)));
	test_result(stats_median(even, N(even)) == 2.5, "median of {4, 1, 3, 2} is 2.5", "got %g",
		    stats_median(even, N(even)));
	test_result(isnan(stats_median(NULL, 0)), "median of nothing is NaN", "not NaN");
	test_result(stats_median(one, 1) == 42, "median of one value is that value", "got %g",
		    stats_median(one, 1));
	/* type 7: h = (n-1) q; x[floor h] + frac(h) (x[floor h + 1] - x[floor h]) */
	test_result(stats_quantile(ten, 10, 0.25) == 3.25 &&
		    close_to(stats_quantile(ten, 10, 0.9), 9.1, 1e-12) &&
		    stats_quantile(ten, 10, 0) == 1 && stats_quantile(ten, 10, 1) == 10 &&
		    stats_quantile(ten, 10, 0.5) == 5.5,
		    "quantiles of 1..10 (R type 7): q25 3.25, q90 9.1, q0 1, q100 10, q50 5.5",
		    "q25 %g q90 %g", stats_quantile(ten, 10, 0.25), stats_quantile(ten, 10, 0.9));
}

static void check_u(const char *name, const double *a, size_t na, const double *b, size_t nb,
		    double want_u, double want_p, double rel)
{
	double u = NAN, p = NAN;
	int rc = stats_mann_whitney(a, na, b, nb, &u, &p);

	test_result(rc == 0 && u == want_u && close_to(p, want_p, rel), name,
		    "rc %d, U %g (want %g), p %.10g (want %.10g)", rc, u, want_u, p, want_p);
}

static void check_mann_whitney(void)
{
	static const double a3[] = {1, 2, 3}, b3[] = {4, 5, 6};
	static const double a5[] = {1, 2, 3, 4, 5}, b5[] = {6, 7, 8, 9, 10};
	static const double odd3[] = {1, 3, 5}, even3[] = {2, 4, 6};
	static const double c3[] = {1, 2, 4}, d4[] = {3, 5, 6, 7};
	static const double ta[] = {1, 2, 2, 3}, tb[] = {2, 3, 4, 4};
	static const double ones[] = {1, 1, 1}, twos[] = {2, 2, 2};
	double big_a[60], big_b[60], tied_a[30], tied_b[30], u, p;

	/* All of a below all of b: U = 0; one arrangement in C(6,3) = 20 on each
	 * side, so the two-sided p is 2/20. */
	check_u("U test {1,2,3} vs {4,5,6}: U 0, exact p 2/20 = 0.1", a3, 3, b3, 3, 0, 0.1, 1e-12);
	check_u("U test {4,5,6} vs {1,2,3}: U 9, exact p 0.1", b3, 3, a3, 3, 9, 0.1, 1e-12);
	/* C(10,5) = 252 arrangements: p = 2/252. */
	check_u("U test 1..5 vs 6..10: U 0, exact p 2/252", a5, 5, b5, 5, 0, 2.0 / 252, 1e-12);
	/* U counts a > b pairs: 0 + 1 + 2 = 3. The counts of U = 0..9 for 3 vs 3
	 * are 1 1 2 3 3 3 3 2 1 1 (of 20): P(U <= 3) = 7/20, p = 2 * 7/20. */
	check_u("U test {1,3,5} vs {2,4,6}: U 3, exact p 0.7", odd3, 3, even3, 3, 3, 0.7, 1e-12);
	/* 3 vs 4: C(7,3) = 35; U = 1 (4 > 3); U <= 1 in 2 arrangements (U = 0
	 * and U = 1 once each): p = 2 * 2/35 = 4/35 (R: W = 1, p-value 0.1143). */
	check_u("U test {1,2,4} vs {3,5,6,7}: U 1, exact p 4/35", c3, 3, d4, 4, 1, 4.0 / 35, 1e-12);
	/*
	 * Ties, exact: the pooled midranks 1 | 3 3 3 | 5.5 5.5 | 7.5 7.5; a's
	 * are 1 + 3 + 3 + 5.5 = 12.5, U = 12.5 - 4*5/2 = 2.5. Of the C(8,4) = 70
	 * ways to pick 4 midranks, a sum <= 12.5 takes the 1 and three 3s (10,
	 * one way) or the 1, two 3s and a 5.5 (12.5, 3 * 2 = 6 ways): 7 of 70,
	 * p = 2 * 7/70 = 0.2.
	 */
	check_u("U test with ties, exact over the midranks: U 2.5, p 0.2", ta, 4, tb, 4, 2.5, 0.2,
		1e-12);
	/*
	 * Each side constant: only 1 of the C(6,3) = 20 splits puts the three
	 * 1s on a's side, so p = 2/20 = 0.1 - where the normal approximation
	 * (R's wilcox.test) would claim 0.047: sigma^2 = 9/12 * (7 - 48/30) =
	 * 4.05, z = (0 - 4.5 + 0.5) / 2.0125 = -1.988.
	 */
	check_u("U test of two constant samples of 3: exact p 0.1, not 0.047", ones, 3, twos, 3, 0,
		0.1, 1e-12);
	/*
	 * Ties beyond the exact range, 30 vs 30: a = 0,0,1,1,...,14,14 and b = a + 5.
	 * U: pairs of distinct values 4 times each; a > b for v = 6..14 against
	 * w = 5..v-1: 45 * 4 = 180, ties v = w = 5..14: 10 * 4 / 2 = 20; U = 200.
	 * Ties: 0..4 and 15..19 twice (t^3 - t = 6 each, 10 of them), 5..14 four
	 * times (60 each, 10 of them): 660. mu = 450, sigma^2 = 30*30/12 *
	 * (61 - 660 / (60*59)) = 4561.0169, z = (200 - 450 + 0.5) / 67.535309 =
	 * -3.6943642, p = 2 Phi(z) = 0.00022043767.
	 */
	for (int i = 0; i < 30; i++) {
		tied_a[i] = i / 2;
		tied_b[i] = i / 2 + 5;
	}
	check_u("U test 30 vs 30 with ties: U 200, normal approximation p 0.000220438", tied_a, 30,
		tied_b, 30, 200, 0.0002204376650291787, 1e-7);
	/*
	 * 60 vs 60 without ties (beyond the exact range): a = 0..59, b = a + 10.5.
	 * a_i > b_j when i >= j + 11: sum over j of (49 - j) = 1225 = U.
	 * mu = 1800, sigma = sqrt(60*60*121/12) = 190.52559, z = (1225 - 1800
	 * + 0.5) / sigma = -3.0153430, p = 2 Phi(z) = 0.0025668879.
	 */
	for (int i = 0; i < 60; i++) {
		big_a[i] = i;
		big_b[i] = i + 10.5;
	}
	check_u("U test 60 vs 60: U 1225, normal approximation p 0.00256689", big_a, 60, big_b, 60,
		1225, 0.0025668879435241797, 1e-7);
	p = 0;
	test_result(stats_mann_whitney(big_a, 5, big_a, 5, &u, &p) == 0 && p == 1,
		    "U test of a sample against itself: p 1", "p %g", p);
	test_result(stats_mann_whitney(big_a, 0, big_b, 3, &u, &p) == -1,
		    "U test with an empty side: -1", "did not refuse");
}

/* ---- a seeded simulation for the bootstrap ---- */

static uint64_t sm_state;

static double uniform(void)
{
	uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) * 0x1.0p-53;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static void check_bootstrap(void)
{
	enum { TRIALS = 200, N = 15 };
	const double ratio = 1.3, sigma = 0.5;
	double a[N], b[N], lo, hi, lo2, hi2;
	int covered = 0, failed = 0;

	sm_state = 20231101;
	for (int t = 0; t < TRIALS; t++) {
		/* lognormal: the median of exp(N(mu, s)) is exp(mu), so the true
		 * ratio of medians is exactly `ratio` */
		for (int i = 0; i < N; i++) {
			a[i] = ratio * exp(sigma * normal());
			b[i] = exp(sigma * normal());
		}
		if (stats_bootstrap_ratio_ci(a, N, b, N, 0.95, 2000, (uint64_t)t, &lo, &hi)) {
			failed++;
			continue;
		}
		covered += lo <= ratio && ratio <= hi;
	}
	test_result(!failed && covered >= 0.88 * TRIALS && covered <= 0.99 * TRIALS,
		    "bootstrap 95% CI covers the true ratio of medians at about its nominal rate",
		    "covered %d of %d (%d failed)", covered, TRIALS, failed);
	printf("# bootstrap coverage: %d of %d\n", covered, TRIALS);

	stats_bootstrap_ratio_ci(a, N, b, N, 0.95, 2000, 7, &lo, &hi);
	stats_bootstrap_ratio_ci(a, N, b, N, 0.95, 2000, 7, &lo2, &hi2);
	test_result(lo == lo2 && hi == hi2 && lo < hi, "bootstrap with the same seed: the same CI",
		    "[%g, %g] then [%g, %g]", lo, hi, lo2, hi2);
	{
		double ma[N], mb[N];

		memcpy(ma, a, sizeof(a));
		memcpy(mb, b, sizeof(b));
		double r = stats_median(ma, N) / stats_median(mb, N);

		test_result(lo <= r && r <= hi, "bootstrap CI holds the sample's own ratio",
			    "%g outside [%g, %g]", r, lo, hi);
	}
	{
		double zeros[4] = {0, 0, 0, 0}, ones[4] = {1, 1, 2, 2};

		test_result(stats_bootstrap_ratio_ci(ones, 4, zeros, 4, 0.95, 500, 1, &lo, &hi) == -1,
			    "bootstrap over a baseline of zeros: no CI", "[%g, %g]", lo, hi);
		test_result(stats_bootstrap_ratio_ci(ones, 0, zeros, 4, 0.95, 500, 1, &lo, &hi) == -1,
			    "bootstrap with an empty side: no CI", "did not refuse");
		test_result(stats_bootstrap_ratio_ci(ones, 4, ones, 4, 0.95, 500, 1, &lo, &hi) == 0 &&
			    lo <= 1 && 1 <= hi, "bootstrap of a sample against itself spans 1",
			    "[%g, %g]", lo, hi);
	}
}

/* The U test's own CI of the ratio: agrees with the test, brackets the truth. */
static void check_ratio_ci_u(void)
{
	double a[12], b[12], lo = 0, hi = 0, u, p;
	uint64_t x = 12345;
	int agree = 1, runs = 0, covered = 0;

	/* 5 vs 5: c = 2 (P(U <= 2) = 4/252 <= 0.025 < 7/252), so the 3rd
	 * smallest and largest of the 25 ratios */
	{
		double a5[5] = {2, 4, 6, 8, 10}, b5[5] = {1, 2, 3, 4, 5};

		int rc = stats_ratio_ci_u(a5, 5, b5, 5, 0.95, &lo, &hi);

		test_result(!rc && fabs(lo - 2.0 / 3) < 1e-12 && fabs(hi - 6.0) < 1e-12,
			    "U-test CI of 5 vs 5 ratios: the 3rd smallest and largest (2/3, 6)",
			    "rc %d [%g, %g]", rc, lo, hi);
	}
	/* untied random samples of 4..12 a side, shifted by a random ratio:
	 * the CI excludes 1 exactly when p < 0.05, and holds the true ratio
	 * in at least ~95 % of draws */
	for (int it = 0; it < 400; it++) {
		size_t na = 4 + (size_t)(it % 9), nb = 4 + (size_t)((it / 9) % 9);
		double shift = 1 + 0.5 * ((double)(it % 7) / 6.0);

		for (size_t i = 0; i < na + nb; i++) {
			double r;

			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			r = 1 + (double)(x >> 11) * 0x1.0p-53;
			if (i < na)
				a[i] = r * shift;
			else
				b[i - na] = r;
		}
		if (stats_ratio_ci_u(a, na, b, nb, 0.95, &lo, &hi) ||
		    stats_mann_whitney(a, na, b, nb, &u, &p)) {
			agree = 0;
			break;
		}
		runs++;
		agree &= (p < 0.05) == (lo > 1 || hi < 1);
		covered += lo <= shift && shift <= hi;
	}
	test_result(agree && runs == 400, "U-test CI excludes 1 exactly when the U test's p < 0.05 "
		    "(400 untied draws, 4..12 a side)", "disagreed at draw %d", runs);
	test_result(covered >= 360, "U-test CI holds the true ratio in about 95 % of draws",
		    "%d of 400", covered);
	test_result(stats_ratio_ci_u(a, 3, b, 3, 0.95, &lo, &hi) == -1,
		    "U-test CI of 3 vs 3: none at 95 % (the test cannot reach 0.05)", "[%g, %g]", lo, hi);
	a[0] = 0;
	test_result(stats_ratio_ci_u(a, 5, b, 5, 0.95, &lo, &hi) == -1,
		    "U-test CI with a zero value: none (the bootstrap's is used)", "[%g, %g]", lo, hi);
}

int main(void)
{
	check_ratio_ci_u();
	check_quantiles();
	check_mann_whitney();
	check_bootstrap();
	return test_exit();
}
