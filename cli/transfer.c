/*
 * transfer.c - `svabench export ID [-o FILE]` and `svabench import
 * FILE|-`: an experiment's result document out of one svabenchd and into
 * another (or the same), where it gets a new id and nothing is re-run.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char export_usage[] =
	"usage: svabench export ID [-o FILE] [--server URL] [--var DIR]\n";
static const char import_usage[] =
	"usage: svabench import FILE|- [--server URL] [--var DIR]\n";

/* Writes the document to path ("-" or NULL: stdout) whole or not at all. */
static int write_document(const char *path, const char *body, size_t len)
{
	int nl = !len || body[len - 1] != '\n';
	char *tmp;
	FILE *f;

	if (!path || !strcmp(path, "-")) {
		if (fwrite(body, 1, len, stdout) != len || (nl && putchar('\n') == EOF) ||
		    fflush(stdout)) {
			cli_error("cannot write the document: %s", strerror(errno));
			return EXIT_RUN_FAILED;
		}
		return EXIT_OK;
	}
	/* A file next to it, renamed into place once complete. */
	tmp = malloc(strlen(path) + 32);
	if (!tmp) {
		cli_error("out of memory");
		return EXIT_RUN_FAILED;
	}
	sprintf(tmp, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	if (!f) {
		cli_error("cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return EXIT_RUN_FAILED;
	}
	if (fwrite(body, 1, len, f) != len || (nl && fputc('\n', f) == EOF) || fflush(f) ||
	    ferror(f)) {
		cli_error("cannot write '%s': %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		free(tmp);
		return EXIT_RUN_FAILED;
	}
	if (fclose(f) || rename(tmp, path)) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return EXIT_RUN_FAILED;
	}
	free(tmp);
	return EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
	struct client_opts o = {0};
	const char *id = NULL, *out = NULL;
	struct client_response r;
	struct client *c;
	char *path;
	json_t *doc;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		rc = client_option(&o, argc, argv, &i);
		if (rc < 0)
			goto usage;
		if (rc)
			continue;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(export_usage, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 == argc) {
				cli_error("%s needs a FILE", a);
				goto usage;
			}
			out = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			out = a + 9;
		} else if (a[0] == '-' && a[1]) {
			cli_error("export: unknown option '%s'", a);
			goto usage;
		} else if (id) {
			cli_error("export: one ID at most, got '%s' and '%s'", id, a);
			goto usage;
		} else {
			id = a;
		}
	}
	if (!id) {
		cli_error("export: missing ID (as submit printed it, or from svabench list)");
		goto usage;
	}
	c = client_open(&o);
	if (!c)
		return EXIT_USAGE;
	path = client_experiment_path(id, "");
	if (!path) {
		client_close(c);
		return EXIT_RUN_FAILED;
	}
	if (client_request(c, "GET", path, NULL, 0, &r)) {
		rc = EXIT_RUN_FAILED;
	} else if (r.status < 200 || r.status > 299) {
		rc = client_fail(c, &r);
	} else {
		/* Written as it came, but only when it is a document. */
		doc = json_loadb(r.body, r.len, 0, NULL);
		if (!json_is_object(json_object_get(doc, "experiment"))) {
			cli_error("svabenchd at %s answered GET %s without a result document",
				  client_url(c), path);
			rc = EXIT_RUN_FAILED;
		} else {
			rc = write_document(out, r.body, r.len);
		}
		json_decref(doc);
	}
	client_response_free(&r);
	free(path);
	client_close(c);
	return rc;
usage:
	fputs(export_usage, stderr);
	return EXIT_USAGE;
}

int cmd_import(int argc, char **argv)
{
	struct client_opts o = {0};
	const char *file = NULL;
	int options = 1, rc;
	json_error_t jerr;
	struct client *c;
	char id[256];
	json_t *doc;
	size_t len;
	char *body;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (options && !strcmp(a, "--")) {
			options = 0;
			continue;
		}
		if (options) {
			rc = client_option(&o, argc, argv, &i);
			if (rc < 0)
				goto usage;
			if (rc)
				continue;
		}
		if (options && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			fputs(import_usage, stdout);
			return EXIT_OK;
		} else if (options && a[0] == '-' && a[1]) {
			cli_error("import: unknown option '%s'", a);
			goto usage;
		} else if (file) {
			cli_error("import: one FILE at most, got '%s' and '%s'", file, a);
			goto usage;
		} else {
			file = a;
		}
	}
	if (!file) {
		cli_error("import: missing FILE (a result document, or - for standard input)");
		goto usage;
	}
	body = client_read_input(file, "document", CLIENT_BODY_MAX, &len);
	if (!body)
		return EXIT_USAGE;
	/* Refuse what is not a document here, naming the line. */
	doc = json_loadb(body, len, 0, &jerr);
	if (!doc) {
		cli_error("%s: not JSON: line %d: %s", strcmp(file, "-") ? file : "standard input",
			  jerr.line, jerr.text);
		free(body);
		return EXIT_USAGE;
	}
	if (!json_is_object(json_object_get(doc, "experiment")) ||
	    !json_is_array(json_object_get(doc, "runs"))) {
		cli_error("%s: not a result document: it needs \"experiment\" and \"runs\" "
			  "(as svabench export writes it)", strcmp(file, "-") ? file : "standard input");
		json_decref(doc);
		free(body);
		return EXIT_USAGE;
	}
	json_decref(doc);
	c = client_open(&o);
	if (!c) {
		free(body);
		return EXIT_USAGE;
	}
	rc = client_create(c, "/api/v1/import", body, len, id, sizeof(id));
	free(body);
	if (rc == EXIT_OK) {
		printf("%s\n", id);
		if (fflush(stdout)) {
			cli_error("cannot write the id");
			rc = EXIT_RUN_FAILED;
		}
	}
	client_close(c);
	return rc;
usage:
	fputs(import_usage, stderr);
	return EXIT_USAGE;
}
