/*
 * api_plots.c - plots rendered by gnuplot into SVG:
 * GET /api/v1/experiments/ID/plots/NAME.svg and the run / history plots.
 */
#include "http_internal.h"

const struct route plot_routes[] = {
	{NULL, NULL, BODY_NONE, NULL},
};
