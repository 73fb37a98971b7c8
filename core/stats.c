/*
 * stats.c - the statistics a comparison rests on: medians and quantiles
 * (R's type 7, what numpy and most tools print), the two-sided
 * Mann-Whitney U test and a percentile bootstrap CI of a ratio of medians
 * from a local, seeded PRNG so that the same data always give the same
 * interval.
 *
 * The U test is exact up to 20 values a side, ties included: the p-value
 * is the share of the C(n, na) ways to split the pooled midranks whose
 * rank sum is at least as extreme (what R's coin::wilcox_test(distribution
 * = "exact") computes). R's wilcox.test falls back to the normal
 * approximation on ties instead, which is anti-conservative for the small
 * samples benchmarks have: {1,1,1} vs {2,2,2} would get p = 0.047 where
 * only 1 split in 20 is that extreme (p = 0.1). Above 20 a side, the normal
 * approximation with tie and continuity corrections.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The exact distribution up to this many values per side, the normal
 * approximation above (where it is good). */
#define EXACT_MAX 20

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double stats_quantile(double *v, size_t n, double q)
{
	double h, lo;
	size_t i;

	if (!n || isnan(q))
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	qsort(v, n, sizeof(*v), cmp_double);
	h = (double)(n - 1) * q;
	lo = floor(h);
	i = (size_t)lo;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - lo) * (v[i + 1] - v[i]);
}

double stats_median(double *v, size_t n)
{
	return stats_quantile(v, n, 0.5);
}

/*
 * The exact permutation distribution of a's rank sum: of the C(n, na) ways
 * to pick na of the n pooled values, the fraction whose (doubled, so
 * integral) rank sum is <= s and >= s. Ties are handled by that alone:
 * the midranks are what get permuted. Counted by a knapsack over the
 * values, ways[k][t] = subsets of k values with doubled rank sum t;
 * additions only, exact in a double up to C(40, 20) ~ 1.4e11. -1 on OOM.
 */
static int rank_sum_tails(const long *rank2, size_t n, size_t na, long s, double *below,
			  double *above)
{
	long max = 0;
	size_t width;
	double *ways, total = 0, lo = 0, hi = 0;

	for (size_t i = 0; i < n; i++)
		max += rank2[i];
	width = (size_t)max + 1;
	ways = calloc((na + 1) * width, sizeof(*ways));
	if (!ways)
		return -1;
	ways[0] = 1;
	for (size_t i = 0; i < n; i++) {
		size_t r = (size_t)rank2[i];

		/* k descending: each value is taken at most once */
		for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--) {
			double *row = ways + k * width, *prev = ways + (k - 1) * width;

			for (size_t t = width; t-- > r;)
				row[t] += prev[t - r];
		}
	}
	for (size_t t = 0; t < width; t++) {
		double w = ways[na * width + t];

		total += w;
		if ((long)t <= s)
			lo += w;
		if ((long)t >= s)
			hi += w;
	}
	free(ways);
	*below = lo / total;
	*above = hi / total;
	return 0;
}

/* A pooled value and the sample it came from. */
struct pooled {
	double v;
	int from_a;
};

static int cmp_pooled(const void *a, const void *b)
{
	return cmp_double(&((const struct pooled *)a)->v, &((const struct pooled *)b)->v);
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
		       double *u, double *p)
{
	size_t n = na + nb;
	double ties = 0, mu, sigma2, z;
	long ra2 = 0, *rank2;
	struct pooled *all;

	if (!na || !nb)
		return -1;
	all = malloc(n * sizeof(*all));
	rank2 = malloc(n * sizeof(*rank2));
	if (!all || !rank2) {
		free(all);
		free(rank2);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		all[i] = (struct pooled){i < na ? a[i] : b[i - na], i < na};
	qsort(all, n, sizeof(*all), cmp_pooled);
	/* Midranks, doubled to stay integral: a run of t equal values at
	 * positions i..j (0-based) shares rank (i + j + 2) / 2. */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double t;

		while (j + 1 < n && all[j + 1].v == all[i].v)
			j++;
		t = (double)(j - i + 1);
		ties += t * t * t - t;
		for (size_t k = i; k <= j; k++) {
			rank2[k] = (long)(i + j + 2);
			if (all[k].from_a)
				ra2 += rank2[k];
		}
		i = j + 1;
	}
	free(all);
	*u = (double)ra2 / 2 - (double)na * (double)(na + 1) / 2;

	if (na <= EXACT_MAX && nb <= EXACT_MAX) {
		double lo, hi;
		int rc = rank_sum_tails(rank2, n, na, ra2, &lo, &hi);

		free(rank2);
		if (rc)
			return -1;
		*p = fmin(1, 2 * fmin(lo, hi));
		return 0;
	}
	free(rank2);
	mu = (double)na * (double)nb / 2;
	sigma2 = (double)na * (double)nb / 12 *
		 ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
	if (!(sigma2 > 0)) {
		*p = 1; /* every value equal: nothing tells the samples apart */
		return 0;
	}
	z = *u - mu;
	z -= z > 0 ? 0.5 : z < 0 ? -0.5 : 0;
	z /= sqrt(sigma2);
	*p = fmin(1, erfc(fabs(z) / sqrt(2)));
	return 0;
}

/* ---- the bootstrap's PRNG: xoshiro256** seeded by splitmix64 ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* Uniform in 0..n-1 (n small: the bias of 53-bit scaling is nil). */
static size_t rng_below(struct rng *r, size_t n)
{
	size_t i = (size_t)((double)(rng_next(r) >> 11) * 0x1.0p-53 * (double)n);

	return i < n ? i : n - 1;
}

/*
 * The median of n values drawn with replacement from sorted[n]; count holds
 * n. The draws are counted by index rather than sorted: the order
 * statistics of the values are those of the indexes, so O(n) a resample.
 */
static double resample_median(struct rng *r, const double *sorted, size_t n, size_t *count)
{
	size_t lo = (n - 1) / 2, hi = n / 2, seen = 0, i;
	double vlo;

	memset(count, 0, n * sizeof(*count));
	for (size_t k = 0; k < n; k++)
		count[rng_below(r, n)]++;
	for (i = 0; seen + count[i] <= lo; i++)
		seen += count[i];
	vlo = sorted[i];
	for (; seen + count[i] <= hi; i++)
		seen += count[i];
	/* type 7 at q = 0.5: the middle value, or halfway between the two */
	return vlo + (n % 2 ? 0 : 0.5 * (sorted[i] - vlo));
}

int stats_bootstrap_ratio_ci(const double *a, size_t na, const double *b, size_t nb,
			     double level, int iters, uint64_t seed, double *lo, double *hi)
{
	double *ratios, *sa, *sb, alpha;
	size_t kept = 0, undefined = 0, *count;
	struct rng r;

	if (!na || !nb || iters < 1 || !(level > 0 && level < 1))
		return -1;
	ratios = malloc((size_t)iters * sizeof(*ratios));
	sa = malloc(na * sizeof(*sa));
	sb = malloc(nb * sizeof(*sb));
	count = malloc((na > nb ? na : nb) * sizeof(*count));
	if (!ratios || !sa || !sb || !count) {
		free(ratios);
		free(sa);
		free(sb);
		free(count);
		return -1;
	}
	memcpy(sa, a, na * sizeof(*sa));
	memcpy(sb, b, nb * sizeof(*sb));
	qsort(sa, na, sizeof(*sa), cmp_double);
	qsort(sb, nb, sizeof(*sb), cmp_double);
	rng_seed(&r, seed);
	for (int it = 0; it < iters; it++) {
		double ma = resample_median(&r, sa, na, count);
		double mb = resample_median(&r, sb, nb, count);

		if (mb != 0)
			ratios[kept++] = ma / mb;
		else if (ma != 0)
			ratios[kept++] = ma > 0 ? INFINITY : -INFINITY;
		else
			undefined++; /* 0/0: no ratio at all */
	}
	free(sa);
	free(sb);
	free(count);
	/* More than half without a ratio: the interval would describe noise. */
	if (undefined * 2 > (size_t)iters || !kept) {
		free(ratios);
		return -1;
	}
	alpha = (1 - level) / 2;
	*lo = stats_quantile(ratios, kept, alpha);
	*hi = stats_quantile(ratios, kept, 1 - alpha);
	free(ratios);
	/* An endpoint at infinity: median(b) was 0 too often for a bound. */
	return isfinite(*lo) && isfinite(*hi) ? 0 : -1;
}

/* ---- a CI of the ratio that agrees with the U test ---- */

static int cmp_d(const void *a, const void *b)
{
	return cmp_double(a, b);
}

/*
 * The largest c with P(U <= c) <= tail for samples of m and n untied
 * values, U's exact distribution being the coefficients of the Gaussian
 * binomial [m+n choose m]_q: prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i).
 * -1 when even P(U = 0) exceeds tail.
 */
static long u_critical_exact(size_t m, size_t n, double tail)
{
	size_t len = m * n + 1;
	double *p = calloc(len, sizeof(*p)), total = 0, cum = 0;
	long c = -1;

	if (!p)
		return -2;
	p[0] = 1;
	for (size_t i = 1; i <= m; i++) {
		size_t s = n + i;

		for (size_t t = len; t-- > s;) /* x (1 - q^s) */
			p[t] -= p[t - s];
		for (size_t t = i; t < len; t++) /* / (1 - q^i) */
			p[t] += p[t - i];
	}
	for (size_t t = 0; t < len; t++)
		total += p[t];
	for (size_t t = 0; t < len; t++) {
		cum += p[t];
		if (cum / total > tail * (1 + 1e-12))
			break;
		c = (long)t;
	}
	free(p);
	return c;
}

int stats_ratio_ci_u(const double *a, size_t na, const double *b, size_t nb, double level,
		     double *lo, double *hi)
{
	size_t mn = na * nb, k;
	double *d, tail = (1 - level) / 2;
	long c;

	if (!na || !nb || !(level > 0 && level < 1))
		return -1;
	for (size_t i = 0; i < na; i++)
		if (!(a[i] > 0) || !isfinite(a[i]))
			return -1;
	for (size_t j = 0; j < nb; j++)
		if (!(b[j] > 0) || !isfinite(b[j]))
			return -1;
	if (na <= EXACT_MAX && nb <= EXACT_MAX) {
		c = u_critical_exact(na, nb, tail);
		if (c < 0)
			return -1; /* too few values for any bound at this level, or OOM */
	} else {
		/* normal approximation: c = mn/2 - z sqrt(mn (m+n+1) / 12) - 1/2 */
		double lo_z = -40, hi_z = 40, z, sd;

		for (int i = 0; i < 200; i++) {
			z = (lo_z + hi_z) / 2;
			if (0.5 * erfc(z / sqrt(2)) > tail)
				lo_z = z;
			else
				hi_z = z;
		}
		z = (lo_z + hi_z) / 2;
		sd = sqrt((double)mn * (double)(na + nb + 1) / 12);
		c = (long)floor((double)mn / 2 - z * sd - 0.5);
		if (c < 0)
			return -1;
	}
	k = (size_t)c; /* 0-based: the (c+1)-th smallest and largest differences */
	if (k >= mn || mn - 1 - k < k)
		return -1;
	d = malloc(mn * sizeof(*d));
	if (!d)
		return -1;
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			d[i * nb + j] = log(a[i]) - log(b[j]);
	qsort(d, mn, sizeof(*d), cmp_d);
	*lo = exp(d[k]);
	*hi = exp(d[mn - 1 - k]);
	free(d);
	return 0;
}
