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

/* -o FILE, --output FILE, --output=FILE */
static int export_option(void *out, int argc, char **argv, int *i)
{
	const char *name = strcmp(argv[*i], "-o") ? "--output" : "-o";
	int rc = cli_option_value(name, argc, argv, i, out);

	if (rc < 0)
		cli_error("%s needs a FILE", name);
	return rc;
}

int cmd_export(int argc, char **argv)
{
	const char *id, *out = NULL;
	const struct cli_cmd cmd = {.name = "export", .usage = export_usage, .arg = "ID",
				    .hint = CLI_ID_HINT, .option = export_option, .ctx = &out};
	struct client_response r;
	struct client *c;
	char *path;
	json_t *doc;
	int rc;

	c = client_open_id(&cmd, argc, argv, &id, &rc);
	if (!c)
		return rc;
	path = client_experiment_path(id, "");
	rc = path ? client_call(c, "GET", path, NULL, 0, &r) : EXIT_RUN_FAILED;
	if (rc == EXIT_OK) {
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
		client_response_free(&r);
	}
	free(path);
	client_close(c);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "import", .usage = import_usage, .arg = "FILE",
		.hint = "a result document, or - for standard input", .dashdash = 1};
	struct client_opts o = {0};
	const char *file;
	json_error_t jerr;
	struct client *c;
	char id[256];
	json_t *doc;
	size_t len;
	char *body;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &o, &file);
	if (rc != CLI_PARSED)
		return rc;
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
}
