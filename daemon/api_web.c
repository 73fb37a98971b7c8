/*
 * api_web.c - the dashboard's static files (web/) and the plots.
 */
#include "http_internal.h"

const struct route web_routes[] = {
	{NULL, NULL, BODY_NONE, NULL},
};
