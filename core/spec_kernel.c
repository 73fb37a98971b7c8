/*
 * spec_kernel.c - a spec's optional "kernel": the kernel under test,
 * {"version": "6.6.0-rc1", "commit": "0bb80ecc33a8", "config": "defconfig"}
 * (each optional). The label stays a free name; history orders by
 * kernel.version (daemon/history.c), and kernel.config is part of a
 * history series' configuration. Called by spec_parse.
 */
#include "core.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define KERNEL_VERSION_MAX 64
#define KERNEL_COMMIT_MIN 7
#define KERNEL_COMMIT_MAX 64
#define KERNEL_CONFIG_MAX 128

static int fail(struct spec_error *err, const char *field, const char *msg)
{
	snprintf(err->field, sizeof(err->field), "%s", field);
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return -1;
}

/* A string of 1..max printable ASCII characters without spaces. */
static int word(const json_t *v, size_t max)
{
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;

	if (!s || !n || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return 0;
	return 1;
}

int spec_parse_kernel(const struct spec *s, struct spec_error *err)
{
	json_t *k = json_object_get(s->doc, "kernel"), *v;
	const char *key;

	if (!k)
		return 0;
	if (!json_is_object(k))
		return fail(err, "kernel", "expected an object: {\"version\": \"6.6\", \"commit\":"
			    " \"0bb80ecc33a8\", \"config\": \"defconfig\"} (each optional)");
	json_object_foreach(k, key, v) {
		if (!strcmp(key, "version")) {
			if (!word(v, KERNEL_VERSION_MAX))
				return fail(err, "kernel.version", "expected a version such as"
					    " \"6.6-rc1\" or \"6.1.0-18-amd64\": 1 to 64 printable"
					    " characters, no spaces");
		} else if (!strcmp(key, "commit")) {
			const char *c = json_string_value(v);
			size_t n = c ? strlen(c) : 0;

			if (!c || n < KERNEL_COMMIT_MIN || n > KERNEL_COMMIT_MAX ||
			    strspn(c, "0123456789abcdef") != n)
				return fail(err, "kernel.commit", "expected a git commit id: 7 to 64"
					    " lowercase hex digits");
		} else if (!strcmp(key, "config")) {
			if (!word(v, KERNEL_CONFIG_MAX))
				return fail(err, "kernel.config", "expected the kernel config's name,"
					    " e.g. \"defconfig\": 1 to 128 printable characters,"
					    " no spaces");
		} else {
			char field[64];

			snprintf(field, sizeof(field), "kernel.%.50s", key);
			return fail(err, field, "unknown field; allowed: version, commit, config");
		}
	}
	return 0;
}
