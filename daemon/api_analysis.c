/*
 * api_analysis.c - the analysis routes of api.md: an experiment's
 * comparison and report, the history of a metric across labels, alerts.
 */
#include "http_internal.h"

const struct route analysis_routes[] = {
	{NULL, NULL, BODY_NONE, NULL},
};
