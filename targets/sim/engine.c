/*
 * engine.c - the discrete-event core: one time-ordered queue (a 4-ary heap
 * ordered by time, then insertion order, so ties are deterministic), the
 * xoshiro256** PRNG with its exponential and normal (ziggurat) deviates, and
 * log-linear latency histograms.
 */
#include "model.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int ev_cmp(const void *a, const void *b)
{
	return ev_before(a, b) ? -1 : ev_before(b, a);
}

static int evq_grow(struct evq *q)
{
	size_t cap = q->cap ? q->cap * 2 : 256;
	struct ev *h = realloc(q->h, cap * sizeof(*h));

	if (!h)
		return -1;
	q->h = h;
	q->cap = cap;
	return 0;
}

int evq_push_slow(struct evq *q, uint64_t t, uint64_t seq, uint32_t type, uint32_t a, uint32_t b)
{
	size_t i;

	if (!q->heap && q->n >= EVQ_SORTED_MAX) {
		/* an ascending array from index 0 is a heap already */
		memmove(q->h, q->h + q->head, q->n * sizeof(*q->h));
		q->head = 0;
		q->heap = 1;
	}
	if (q->head + q->n == q->cap) {
		if (q->head) {
			memmove(q->h, q->h + q->head, q->n * sizeof(*q->h));
			q->head = 0;
		} else if (evq_grow(q)) {
			return -1;
		}
	}
	struct ev e = {t, seq, type, a, b};

	if (!q->heap) {
		for (i = q->head + q->n; i > q->head && ev_before(&e, &q->h[i - 1]); i--)
			q->h[i] = q->h[i - 1];
		q->h[i] = e;
		q->n++;
		return 0;
	}
	i = q->n++;
	while (i > 0) {
		size_t up = (i - 1) / 4;

		if (!ev_before(&e, &q->h[up]))
			break;
		q->h[i] = q->h[up];
		i = up;
	}
	q->h[i] = e;
	return 0;
}

int evq_pop_heap(struct evq *q, struct ev *out)
{
	struct ev last;
	size_t i = 0;

	if (!q->n)
		return 0;
	*out = q->h[0];
	last = q->h[--q->n];
	for (;;) {
		size_t c = 4 * i + 1, m, end;

		if (c >= q->n)
			break;
		end = c + 4 < q->n ? c + 4 : q->n;
		m = c;
		for (size_t k = c + 1; k < end; k++)
			if (ev_before(&q->h[k], &q->h[m]))
				m = k;
		if (!ev_before(&q->h[m], &last))
			break;
		q->h[i] = q->h[m];
		i = m;
	}
	if (q->n)
		q->h[i] = last;
	if (q->n < EVQ_SORTED_MIN) {
		qsort(q->h, q->n, sizeof(*q->h), ev_cmp);
		q->heap = 0;
	}
	return 1;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

double rng_exp(struct rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

/*
 * Standard normal deviates by the ziggurat method (Marsaglia and Tsang,
 * "The Ziggurat Method for Generating Random Variables", J. Stat. Softw.
 * 2000, 128 layers; the layer test as in Doornik, "An Improved Ziggurat
 * Method to Generate Normal Random Samples", 2005). Layer i > 0 spans
 * [0, zx[i]) under the density's curve from zx[i] up to zx[i + 1]; layer 0
 * is the base strip and the tail past ZIG_R. 98.8 % of draws end at the
 * first test: one 64-bit draw (7 bits pick the layer, 53 the point), a
 * compare and a multiply, where Box-Muller took a log, a square root and a
 * sincos per pair.
 */
#define ZIG_LAYERS 128
#define ZIG_R 3.442619855899          /* where the tail starts */
#define ZIG_V 9.91256303526217e-3     /* each layer's area */

static double zx[ZIG_LAYERS + 1], zr[ZIG_LAYERS];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;
const double *const rng_zx = zx, *const rng_zr = zr;

static void zig_init(void)
{
	double f = exp(-0.5 * ZIG_R * ZIG_R);

	zx[0] = ZIG_V / f; /* the base strip as a rectangle of the layers' area */
	zx[1] = ZIG_R;
	zx[ZIG_LAYERS] = 0;
	for (int i = 2; i < ZIG_LAYERS; i++) {
		zx[i] = sqrt(-2 * log(ZIG_V / zx[i - 1] + f));
		f = exp(-0.5 * zx[i] * zx[i]);
	}
	for (int i = 0; i < ZIG_LAYERS; i++)
		zr[i] = zx[i + 1] / zx[i];
}

void rng_normal_init(void)
{
	pthread_once(&zig_once, zig_init);
}

/* |z| > ZIG_R (Marsaglia's tail method) */
static double zig_tail(struct rng *r, int negative)
{
	double x, y;

	do {
		x = log(1.0 - rng_unit(r)) / ZIG_R;
		y = log(1.0 - rng_unit(r));
	} while (-2 * y < x * x);
	return negative ? x - ZIG_R : ZIG_R - x;
}

double rng_normal_slow(struct rng *r, uint64_t bits)
{
	for (;;) {
		unsigned i = (unsigned)(bits & (ZIG_LAYERS - 1));
		double u = 2 * ((double)(bits >> 11) * 0x1.0p-53) - 1, x, f0, f1;

		if (fabs(u) < zr[i])
			return u * zx[i];
		if (i == 0)
			return zig_tail(r, u < 0);
		/* the wedge between the layer's rectangle and the curve */
		x = u * zx[i];
		f0 = exp(-0.5 * (zx[i] * zx[i] - x * x));
		f1 = exp(-0.5 * (zx[i + 1] * zx[i + 1] - x * x));
		if (f1 + rng_unit(r) * (f0 - f1) < 1.0)
			return x;
		bits = rng_next(r);
	}
}

static uint64_t bucket_high(unsigned b)
{
	unsigned e, sub;

	if (b < 16)
		return b;
	e = b / 16 + 3;
	sub = b % 16;
	return ((16ULL + sub + 1) << (e - 4)) - 1;
}

void hist_quantiles(const struct hist *h, const double *qs, int n, uint64_t *out)
{
	uint64_t seen = 0;
	unsigned b = 0;

	for (int k = 0; k < n; k++) {
		uint64_t rank;

		if (!h->n) {
			out[k] = 0;
			continue;
		}
		rank = (uint64_t)ceil(qs[k] * (double)h->n);
		if (rank < 1)
			rank = 1;
		/* the first bucket where the running count reaches rank; whole octaves short of it skipped */
		while (b < HIST_BUCKETS) {
			if (!(b & 15) && seen + h->g[b / 16] < rank) {
				seen += h->g[b / 16];
				b += 16;
			} else if (seen + h->b[b] < rank) {
				seen += h->b[b++];
			} else {
				break;
			}
		}
		if (b == HIST_BUCKETS) {
			out[k] = h->max;
		} else {
			uint64_t hi = bucket_high(b);

			out[k] = hi < h->max ? hi : h->max;
		}
	}
}

/* The q-quantile, as the upper bound of its bucket (capped at the max seen). */
uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (!h->n)
		return 0;
	rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->b[b];
		if (seen >= rank) {
			uint64_t hi = bucket_high(b);

			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}
