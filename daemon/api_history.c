/*
 * api_history.c - a metric across labels and time, its change points and
 * alerts (GET /api/v1/history, /api/v1/alerts), and the mail-ready report
 * (GET /api/v1/experiments/ID/report).
 */
#include "http_internal.h"

const struct route history_routes[] = {
	{NULL, NULL, BODY_NONE, NULL},
};
