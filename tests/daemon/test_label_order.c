/*
 * test_label_order.c - the order of history labels and kernel versions
 * (history_label_cmp) is a total order, as a property: over random labels
 * built from what kernel versions are made of (digits, dots, "-rc", "-next",
 * "~", letters, leading zeros), it is reflexive, antisymmetric and
 * transitive, and sorting any shuffle of a set gives one order. Plus the
 * orders a maintainer expects (v6.6-rc1 < v6.6 < v6.6-next < v6.6.1 <
 * v6.10), and the cycle issue 14 found (v6.6-next < v6.6-rc1 < v6.6 <
 * v6.6-next) is gone.
 */
#include "../../daemon/history_impl.h"
#include "../harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NLABELS 400
#define LABEL_MAX 40

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static void random_label(char *out)
{
	static const char *const parts[] = {
		"v", "6", "5", "10", "06", "0", ".", "-rc", "-next", "~rc", "-pre", "-beta",
		"-alpha", "-", "~", "a", "b", "x", "+", "_", "1", "2", "-rc1", ".1", "",
	};
	size_t n = 1 + next() % 6;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = parts[next() % (sizeof(parts) / sizeof(parts[0]))];

		if (strlen(out) + strlen(p) < LABEL_MAX)
			strcat(out, p);
	}
}

static int sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static int by_label(const void *a, const void *b)
{
	return history_label_cmp(*(const char *const *)a, *(const char *const *)b);
}

int main(void)
{
	static char labels[NLABELS][LABEL_MAX];
	const char *sorted[NLABELS], *shuffled[NLABELS];
	const char *expect[] = {"v6.5", "v6.6-rc1", "v6.6-rc2", "v6.6-rc10", "v6.6", "v6.6-next",
				"v6.6.1", "v6.10", NULL};
	size_t bad_refl = 0, bad_anti = 0, bad_trans = 0, bad_sort = 0, bad_expect = 0;
	const char *why = "";

	for (size_t i = 0; i < NLABELS; i++) {
		random_label(labels[i]);
		sorted[i] = labels[i];
	}
	for (size_t i = 0; i < NLABELS; i++) {
		if (history_label_cmp(labels[i], labels[i]) != 0)
			bad_refl++;
		for (size_t j = 0; j < NLABELS; j++) {
			int ij = sign(history_label_cmp(labels[i], labels[j]));
			int ji = sign(history_label_cmp(labels[j], labels[i]));

			if (ij != -ji || (!ij && strcmp(labels[i], labels[j])))
				bad_anti++;
		}
	}
	/* transitivity over random triples (all triples of 400 are 64 M) */
	for (size_t n = 0; n < 400000; n++) {
		const char *a = labels[next() % NLABELS], *b = labels[next() % NLABELS];
		const char *c = labels[next() % NLABELS];

		if (history_label_cmp(a, b) <= 0 && history_label_cmp(b, c) <= 0 &&
		    history_label_cmp(a, c) > 0) {
			bad_trans++;
			why = a;
		}
	}
	test_result(!bad_refl && !bad_anti, "label order: reflexive and antisymmetric (equal only"
		    " when the same text)", "%zu reflexive, %zu antisymmetric failures", bad_refl,
		    bad_anti);
	test_result(!bad_trans, "label order: transitive over 400,000 random triples",
		    "%zu failures, e.g. from '%s'", bad_trans, why);

	qsort(sorted, NLABELS, sizeof(*sorted), by_label);
	for (int round = 0; round < 20; round++) {
		memcpy(shuffled, sorted, sizeof(sorted));
		for (size_t i = NLABELS - 1; i > 0; i--) {
			size_t j = next() % (i + 1);
			const char *t = shuffled[i];

			shuffled[i] = shuffled[j];
			shuffled[j] = t;
		}
		qsort(shuffled, NLABELS, sizeof(*shuffled), by_label);
		for (size_t i = 0; i < NLABELS; i++)
			if (strcmp(shuffled[i], sorted[i]))
				bad_sort++;
	}
	test_result(!bad_sort, "label order: 20 shuffles sort to one order", "%zu positions differ",
		    bad_sort);

	for (size_t i = 0; expect[i + 1]; i++)
		if (history_label_cmp(expect[i], expect[i + 1]) >= 0) {
			bad_expect++;
			why = expect[i];
		}
	test_result(!bad_expect, "v6.5 < v6.6-rc1 < v6.6-rc2 < v6.6-rc10 < v6.6 < v6.6-next <"
		    " v6.6.1 < v6.10", "out of order after '%s'", why);
	test_result(history_label_cmp("v6.6-next", "v6.6-rc1") > 0 &&
		    history_label_cmp("v6.6-rc1", "v6.6") < 0 &&
		    history_label_cmp("v6.6", "v6.6-next") < 0,
		    "issue 14's cycle is gone: v6.6-rc1 < v6.6 < v6.6-next", "still a cycle");
	test_result(history_label_cmp("v6.6~rc1", "v6.6-rc1") != 0 &&
		    history_label_cmp("v06.6", "v6.6") != 0,
		    "labels that read alike (v6.6~rc1, v6.6-rc1; v06.6, v6.6) still differ",
		    "a tie between different labels");
	return test_exit();
}
