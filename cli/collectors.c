/*
 * collectors.c - `svabench collectors [--json]`: every counter a spec's
 * "collect" may name on this machine, with its availability and, when it
 * cannot be counted here, the reason (as perf stat would say it).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_collectors(int argc, char **argv)
{
	int as_json = 0;
	json_t *doc, *a, *e;
	size_t i, avail = 0;

	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--json")) {
			as_json = 1;
		} else if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			return cli_help("collectors", "usage: svabench collectors [--json]\n");
		} else {
			cli_error("collectors: unknown argument '%s'; usage: svabench collectors [--json]",
				  argv[k]);
			return EXIT_USAGE;
		}
	}
	doc = collectors_list_json();
	if (!doc) {
		cli_error("collectors: out of memory");
		return EXIT_RUN_FAILED;
	}
	if (as_json) {
		json_print(stdout, doc);
		json_decref(doc);
		return EXIT_OK;
	}
	a = json_object_get(doc, "collectors");
	json_array_foreach(a, i, e) {
		const char *reason = json_string_value(json_object_get(e, "reason"));
		int ok = json_is_true(json_object_get(e, "available"));

		avail += (size_t)ok;
		printf("%-11s %-40s %s%s%s\n", json_string_value(json_object_get(e, "source")),
		       json_string_value(json_object_get(e, "name")), ok ? "available" : "unavailable",
		       reason ? ": " : "", reason ? reason : "");
	}
	printf("\n%zu of %zu available; name them in a spec: \"collect\": {\"events\": [...], \"interval_ms\": 100}\n",
	       avail, json_array_size(a));
	json_decref(doc);
	return EXIT_OK;
}
