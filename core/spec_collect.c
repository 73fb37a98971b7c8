/*
 * spec_collect.c - the spec's "collect" object: which counters to sample
 * alongside every run and how often. Only the form is checked here; whether
 * this machine can count an event is decided when the run starts, and a
 * missing counter is reported, never a refused spec.
 */
#include "core.h"
#include "../lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLECT_NAME_MAX 127
#define COLLECT_INTERVAL_MAX 60000

static int fail(struct spec_error *err, const char *field, const char *msg)
{
	snprintf(err->field, sizeof(err->field), "%s", field);
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -1;
}

/* Event names are identifiers, SYS:EV, PMU/terms/ or vmstat:NAME. */
static int name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len > COLLECT_NAME_MAX)
		return 0;
	for (const char *p = n; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:./,=-", *p))
			return 0;
	return 1;
}

int spec_parse_collect(struct spec *s, struct spec_error *err)
{
	json_t *c = json_object_get(s->doc, "collect"), *ev, *iv, *v;
	const char *key;
	char field[64], msg[300];
	size_t i;

	s->collect_interval_ms = 100;
	if (!c)
		return 0;
	if (!json_is_object(c))
		return fail(err, "collect", "expected an object: {\"events\": [\"faults\", ...], \"interval_ms\": 100}");
	json_object_foreach(c, key, v) {
		if (strcmp(key, "events") && strcmp(key, "interval_ms")) {
			snprintf(field, sizeof(field), "collect.%.40s", key);
			return fail(err, field, "unknown field; allowed: events, interval_ms");
		}
	}
	iv = json_object_get(c, "interval_ms");
	if (iv) {
		if (!json_is_integer(iv) || json_integer_value(iv) < 1 ||
		    json_integer_value(iv) > COLLECT_INTERVAL_MAX) {
			snprintf(msg, sizeof(msg), "expected an integer in 1..%d ms", COLLECT_INTERVAL_MAX);
			return fail(err, "collect.interval_ms", msg);
		}
		s->collect_interval_ms = (int)json_integer_value(iv);
	}
	ev = json_object_get(c, "events");
	if (!json_is_array(ev) || !json_array_size(ev) || json_array_size(ev) > SPEC_MAX_COLLECT) {
		snprintf(msg, sizeof(msg), "expected a list of 1..%d event names, e.g. [\"faults\", \"exceptions:page_fault_user\"]; 'svabench collectors' lists them",
			 SPEC_MAX_COLLECT);
		return fail(err, "collect.events", msg);
	}
	s->collect = xcalloc(json_array_size(ev), sizeof(*s->collect));
	json_array_foreach(ev, i, v) {
		const char *n = json_string_value(v);

		snprintf(field, sizeof(field), "collect.events[%zu]", i);
		if (!n || !name_ok(n)) {
			snprintf(msg, sizeof(msg), "expected an event name of 1..%d characters from [A-Za-z0-9_:./,=-]",
				 COLLECT_NAME_MAX);
			return fail(err, field, msg);
		}
		for (size_t k = 0; k < s->ncollect; k++) {
			if (!strcmp(s->collect[k], n)) {
				snprintf(msg, sizeof(msg), "\"%s\" is already in the list (events[%zu])", n, k);
				return fail(err, field, msg);
			}
		}
		s->collect[s->ncollect++] = n;
	}
	return 0;
}
