/*
 * test_rng.c - the simulator's random deviates (targets/sim/engine.c): the
 * ziggurat's standard normals and host_jitter's log-normal multipliers have
 * the moments and tail frequencies of their distributions, and a seed gives
 * the same sequence. Fixed seeds: every figure below is the same each run,
 * and the bounds are several standard errors wide.
 */
#include "../harness.h"
#include "../../targets/sim/model.h"

#include <math.h>
#include <stdlib.h>

#define N 4000000

/* The normal's two-sided tail P(|Z| > k) for k = 1..4. */
static const double tail_p[] = {0.31731050786291, 0.04550026389636, 0.00269979606326,
				6.3342483666e-05};

static void test_normal(void)
{
	struct rng r;
	double sum = 0, sum2 = 0, sum3 = 0, sum4 = 0, mean, var, skew, kurt;
	long tail[4] = {0}, neg = 0;

	rng_normal_init();
	rng_seed(&r, 42);
	for (long i = 0; i < N; i++) {
		double z = rng_normal(&r), a = fabs(z);

		sum += z;
		sum2 += z * z;
		sum3 += z * z * z;
		sum4 += z * z * z * z;
		neg += z < 0;
		for (int k = 0; k < 4; k++)
			tail[k] += a > k + 1;
	}
	mean = sum / N;
	var = sum2 / N - mean * mean;
	skew = sum3 / N;
	kurt = sum4 / N;
	/* standard errors at N = 4e6: mean 5e-4, var 7e-4, skew 1.2e-3, kurtosis 5e-3 */
	test_result(fabs(mean) < 3e-3, "rng_normal: mean 0", "mean %g", mean);
	test_result(fabs(var - 1) < 4e-3, "rng_normal: variance 1", "variance %g", var);
	test_result(fabs(skew) < 8e-3, "rng_normal: no skew", "third moment %g", skew);
	test_result(fabs(kurt - 3) < 3e-2, "rng_normal: kurtosis 3", "fourth moment %g", kurt);
	test_result(fabs((double)neg / N - 0.5) < 1.5e-3, "rng_normal: symmetric", "%ld of %d negative",
		    neg, N);
	for (int k = 0; k < 4; k++) {
		double p = tail_p[k], se = sqrt(p * (1 - p) / N), got = (double)tail[k] / N;
		char name[64];

		snprintf(name, sizeof(name), "rng_normal: P(|z| > %d)", k + 1);
		test_result(fabs(got - p) < 5 * se, name, "%g, expected %g (+- %g)", got, p, 5 * se);
	}
}

/* The ziggurat's rare paths: the base strip's tail and the wedges. */
static void test_normal_tail(void)
{
	struct rng r;
	long beyond = 0, n = 20000000;
	double far = 0;

	rng_seed(&r, 7);
	for (long i = 0; i < n; i++) {
		double z = fabs(rng_normal(&r));

		beyond += z > 3.442619855899;
		if (z > far)
			far = z;
	}
	/* P(|Z| > r) = 5.76e-4: 11,520 expected, sd 107 */
	test_result(labs(beyond - 11520) < 600, "rng_normal: tail past the ziggurat's base",
		    "%ld of %ld, expected 11520", beyond, n);
	test_result(far > 4.5 && far < 7, "rng_normal: the tail reaches past 4.5 sd", "max %g", far);
}

static void test_same_seed(void)
{
	struct rng a, b;
	int same = 1;

	rng_seed(&a, 123);
	rng_seed(&b, 123);
	for (int i = 0; i < 100000; i++)
		same &= rng_normal(&a) == rng_normal(&b);
	test_result(same, "rng_normal: a seed gives one sequence", "two generators diverged");
}

/* host_jitter's multiplier exp(sigma z - sigma^2/2): mean 1, coefficient of variation cv. */
static void test_lognormal(void)
{
	struct rng r;
	double cv = 0.3, sigma = sqrt(log(1 + cv * cv)), half = sigma * sigma / 2;
	double sum = 0, sum2 = 0, mean, sd;

	rng_seed(&r, 9);
	for (long i = 0; i < N; i++) {
		double m = exp(sigma * rng_normal(&r) - half);

		sum += m;
		sum2 += m * m;
	}
	mean = sum / N;
	sd = sqrt(sum2 / N - mean * mean);
	test_result(fabs(mean - 1) < 1e-3, "jitter multiplier: mean 1", "mean %g", mean);
	test_result(fabs(sd / mean - cv) < 3e-3, "jitter multiplier: coefficient of variation 0.3",
		    "cv %g", sd / mean);
}

int main(void)
{
	test_normal();
	test_normal_tail();
	test_same_seed();
	test_lognormal();
	return harness_failed;
}
