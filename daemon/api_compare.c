/*
 * api_compare.c - an experiment's comparison: GET
 * /api/v1/experiments/ID/comparison?baseline=S (core's compare_json on the
 * stored results).
 */
#include "http_internal.h"

const struct route compare_routes[] = {
	{NULL, NULL, BODY_NONE, NULL},
};
