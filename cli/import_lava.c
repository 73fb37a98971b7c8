/*
 * import_lava.c - svabench and LAVA (lava/, docs/lava.md):
 *
 *   svabench import-lava FILE|-            a job's log (what lava-run
 *       prints, `lavacli jobs logs --raw ID`), or a notify callback's
 *       JSON, as saved
 *   svabench import-lava --lava URL JOB    the job from a LAVA server's
 *       REST API (api/v0.2), with --lava-token T or $LAVA_TOKEN
 *
 * decode the result documents the board shipped (core/lava.h), with the
 * board's and kernel's identity in experiment.host, and store each through
 * svabenchd's import API (POST /api/v1/import). Every document is decoded
 * and checked before the first is sent. --dry-run prints what would be
 * imported instead.
 *
 *   svabench lava-cases DOC|-
 *
 * runs on the board (lava/board/svabench-lava.sh): the headline metrics of
 * a result document as "SET<TAB>CASE<TAB>RESULT<TAB>MEASUREMENT<TAB>UNITS"
 * lines, for lava-test-set and lava-test-case; with --pack NAME, a file
 * (the board's envelope) in base64 between the markers core/lava.h reads
 * (busybox on boards often has no cksum, sometimes no base64).
 */
#include "cli.h"
#include "../lib/util.h"
#include "../core/lava.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char import_lava_usage[] =
	"usage: svabench import-lava FILE|- [--dry-run] [--server URL] [--var DIR]\n"
	"       svabench import-lava --lava URL [--lava-token T] JOB [--dry-run] [--server URL]\n"
	"                            [--var DIR]\n"
	"  FILE: a LAVA job's log (what lava-run prints, `lavacli jobs logs --raw ID`) or a\n"
	"  notify callback's JSON; JOB: a job id on the LAVA server at URL (REST API\n"
	"  api/v0.2, token from --lava-token or $LAVA_TOKEN). Each svabench document the\n"
	"  board shipped is imported into svabenchd with its board and kernel identity;\n"
	"  the new ids are printed one per line.\n";

static const char lava_cases_usage[] =
	"usage: svabench lava-cases DOC|-\n"
	"       svabench lava-cases --pack NAME FILE|-\n"
	"  a result document's headline metrics, one line per LAVA test case:\n"
	"  SET<TAB>CASE<TAB>RESULT<TAB>MEASUREMENT<TAB>UNITS (the set is the strategy);\n"
	"  --pack: FILE (the board's envelope) in base64 between SVABENCH-LAVA-DOC-BEGIN\n"
	"  name=NAME bytes=N cksum=C and SVABENCH-LAVA-DOC-END name=NAME lines\n";

struct import_lava_opts {
	const char *lava;       /* --lava URL */
	const char *lava_token; /* --lava-token T */
	int dry_run;
};

enum { IL_DRY_RUN = CLI_OPT_ID, IL_LAVA_TOKEN, IL_LAVA };

static const struct option import_lava_options[] = {
	{"dry-run", no_argument, NULL, IL_DRY_RUN},
	{"lava-token", required_argument, NULL, IL_LAVA_TOKEN},
	{"lava", required_argument, NULL, IL_LAVA},
	{0},
};

static int import_lava_option(void *ctx, int id, const char *value)
{
	struct import_lava_opts *o = ctx;

	switch (id) {
	case IL_DRY_RUN:
		o->dry_run = 1;
		return CLI_OPT_TAKEN;
	case IL_LAVA_TOKEN:
		if (!value) {
			cli_error("import-lava: --lava-token needs a token");
			return CLI_OPT_USAGE;
		}
		o->lava_token = value;
		return CLI_OPT_TAKEN;
	default:
		if (!value) {
			cli_error("import-lava: --lava needs the LAVA server's URL");
			return CLI_OPT_USAGE;
		}
		o->lava = value;
		return CLI_OPT_TAKEN;
	}
}

/* ---- the REST API of a LAVA server ---- */

/* GET base/api/v0.2/jobs/JOB/suffix: the body (malloc'd), or NULL after a message. */
static char *lava_get(const char *base, const char *job, const char *suffix, const char *token,
		      size_t *len)
{
	struct client_sink f = {.sb = STRBUF_INIT, .max = CLIENT_BODY_MAX};
	struct curl_slist *hdr = NULL;
	char *url = NULL, *auth = NULL, *ejob = NULL, *body;
	long status = 0;
	CURLcode cc;
	CURL *c;

	c = curl_easy_init();
	if (!c) {
		cli_error("import-lava: cannot start libcurl");
		return NULL;
	}
	ejob = client_escape(job);
	url = xmalloc(strlen(base) + strlen(ejob) + strlen(suffix) + 32);
	sprintf(url, "%s%sapi/v0.2/jobs/%s/%s", base, base[0] && base[strlen(base) - 1] == '/' ?
		"" : "/", ejob, suffix);
	if (token && *token) {
		auth = xmalloc(strlen(token) + 32);
		sprintf(auth, "Authorization: Token %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, client_sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status < 200 || status > 299) {
		if (f.over)
			cli_error("import-lava: GET %s: the answer is larger than %ld bytes", url,
				  (long)CLIENT_BODY_MAX);
		else if (cc != CURLE_OK)
			cli_error("import-lava: GET %s: %s", url, curl_easy_strerror(cc));
		else
			cli_error("import-lava: GET %s: HTTP %ld%s", url, status,
				  status == 401 || status == 403 ? " (--lava-token or $LAVA_TOKEN)" :
				  status == 404 ? " (no such job)" : "");
		strbuf_release(&f.sb);
		body = NULL;
	} else {
		body = strbuf_detach(&f.sb, len);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	free(url);
	free(auth);
	free(ejob);
	return body;
}

/* The job's REST object and log as one callback-shaped JSON text (malloc'd). */
static char *lava_fetch_job(const char *base, const char *job, const char *token, size_t *len)
{
	size_t jlen = 0, llen = 0;
	char *jtext, *log, *out = NULL;
	json_t *o = NULL, *cb;
	const json_t *v;

	jtext = lava_get(base, job, "", token, &jlen);
	if (!jtext)
		return NULL;
	log = lava_get(base, job, "logs/", token, &llen);
	if (!log) {
		free(jtext);
		return NULL;
	}
	o = json_loadb(jtext, jlen, 0, NULL);
	if (!json_is_object(o)) {
		cli_error("import-lava: %s: job %s: the REST API's answer is not a JSON object", base,
			  job);
		goto out;
	}
	/* REST names (api/v0.2) into the callback's. */
	cb = json_pack("{s:O?,s:O?,s:O?,s:O?,s:s%}", "id", json_object_get(o, "id"),
		       "actual_device_id", json_object_get(o, "actual_device"),
		       "requested_device_type_id", json_object_get(o, "requested_device_type"),
		       "failure_comment", json_object_get(o, "failure_comment"), "log", log, llen);
	if (cb && (v = json_object_get(o, "health")) && json_is_string(v)) {
		char h[32];

		snprintf(h, sizeof(h), "%s", json_string_value(v));
		for (char *p = h; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		json_object_set_new(cb, "health_string", json_string(h));
	}
	out = cb ? json_dumps(cb, JSON_COMPACT) : NULL;
	json_decref(cb);
	if (!out)
		cli_error("out of memory");
	else
		*len = strlen(out);
out:
	json_decref(o);
	free(jtext);
	free(log);
	return out;
}

/* ---- import-lava ---- */

static const char *jpath_str(const json_t *o, const char *a, const char *b, const char *c)
{
	o = json_object_get(o, a);
	if (b)
		o = json_object_get(o, b);
	if (c)
		o = json_object_get(o, c);
	return json_string_value(o);
}

int cmd_import_lava(int argc, char **argv)
{
	struct import_lava_opts lo = {0};
	const struct cli_cmd cmd = {
		.name = "import-lava", .usage = import_lava_usage, .arg = "FILE",
		.hint = "a LAVA job's log or callback JSON, - for standard input, or a job id "
			"with --lava URL", .dashdash = 1, .options = import_lava_options,
			.option = import_lava_option, .ctx = &lo};
	struct client_opts o = {0};
	struct lava_job job;
	const char *arg, *shown;
	char err[1024], id[256];
	struct client *c = NULL;
	json_t *docs;
	size_t len = 0;
	char *text;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &o, &arg);
	if (rc != CLI_PARSED)
		return rc;
	if (lo.lava) {
		if (strncmp(lo.lava, "http://", 7) && strncmp(lo.lava, "https://", 8)) {
			cli_error("import-lava: --lava: expected an http:// or https:// URL, got '%s'",
				  lo.lava);
			return EXIT_USAGE;
		}
		text = lava_fetch_job(lo.lava, arg, lo.lava_token ? lo.lava_token :
				      getenv("LAVA_TOKEN"), &len);
		if (!text)
			return EXIT_RUN_FAILED;
		shown = arg;
	} else {
		text = client_read_input(arg, "LAVA log", CLIENT_BODY_MAX, &len);
		if (!text)
			return EXIT_USAGE;
		shown = strcmp(arg, "-") ? arg : "standard input";
	}
	docs = lava_extract(text, len, lo.lava, &job, err, sizeof(err));
	free(text);
	if (!docs) {
		cli_error("import-lava: %s%s: %s", lo.lava ? "job " : "", shown, err);
		/* A job that failed on LAVA's side is a failed run, not bad usage. */
		return job.failed ? EXIT_RUN_FAILED : EXIT_USAGE;
	}
	if (!lo.dry_run) {
		c = client_open(&o);
		if (!c) {
			json_decref(docs);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; rc == CLI_PARSED && i < json_array_size(docs); i++) {
		json_t *doc = json_array_get(docs, i);
		const char *name = json_string_value(json_object_get(json_object_get(json_object_get(
			json_object_get(doc, "experiment"), "host"), "lava"), "document"));
		const char *label = jpath_str(doc, "experiment", "spec", "label");
		const char *kernel = jpath_str(doc, "experiment", "host", "kernel");
		const char *board = jpath_str(json_object_get(doc, "experiment"), "host", "board",
					      "name");
		char *body;

		if (lo.dry_run) {
			printf("%s\tlabel %s\tkernel %s\tboard %s\tjob %s\t%zu runs\n", name ? name : "?",
			       label ? label : "-", kernel ? kernel : "-", board ? board : "-",
			       job.id[0] ? job.id : "-", json_array_size(json_object_get(doc, "runs")));
			continue;
		}
		body = json_dumps(doc, JSON_COMPACT);
		if (!body) {
			cli_error("out of memory");
			rc = EXIT_RUN_FAILED;
			break;
		}
		if (client_create(c, "/api/v1/import", body, strlen(body), id, sizeof(id)) != EXIT_OK) {
			cli_error("import-lava: document %s not imported%s", name ? name : "?",
				  i ? " (the ones before it were: their ids are printed above)" : "");
			rc = EXIT_RUN_FAILED;
		} else {
			printf("%s\n", id);
		}
		free(body);
	}
	if (rc == CLI_PARSED)
		rc = EXIT_OK;
	if (fflush(stdout)) {
		cli_error("cannot write the ids");
		rc = EXIT_RUN_FAILED;
	}
	if (rc == EXIT_OK && job.failed)
		fprintf(stderr, "svabench: import-lava: note: LAVA says the job failed%s%s\n",
			job.failure[0] ? ": " : "", job.failure);
	json_decref(docs);
	client_close(c);
	return rc;
}

/* ---- lava-cases ---- */

static int print_case(void *ctx, const char *set, const char *name, const char *result,
		      double measurement, const char *units)
{
	(void)ctx;
	return printf("%s\t%s\t%s\t%.17g\t%s\n", set, name, result, measurement, units) < 0 ? -1 : 0;
}

/* NAME's bytes as base64 lines of 76 between the markers. */
static int pack(const char *name, const unsigned char *buf, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t col = 0;

	printf("%s name=%s bytes=%zu cksum=%lu\n", LAVA_DOC_BEGIN, name, len,
	       (unsigned long)lava_cksum(buf, len));
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)buf[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (uint32_t)buf[i + 1] << 8;
		if (i + 2 < len)
			v |= buf[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		fwrite(q, 1, 4, stdout);
		col += 4;
		if (col == 76) {
			putchar('\n');
			col = 0;
		}
	}
	if (col)
		putchar('\n');
	printf("%s name=%s\n", LAVA_DOC_END, name);
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write the packed document");
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

static const struct option pack_options[] = {
	{"pack", required_argument, NULL, CLI_OPT_ID},
	{0},
};

static int pack_option(void *ctx, int id, const char *value)
{
	if (!value) {
		cli_error("lava-cases: --pack needs a NAME");
		return CLI_OPT_USAGE;
	}
	*(const char **)ctx = value;
	return CLI_OPT_TAKEN;
}

int cmd_lava_cases(int argc, char **argv)
{
	const char *name = NULL;
	const struct cli_cmd cmd = {
		.name = "lava-cases", .usage = lava_cases_usage, .arg = "DOC",
		.hint = "a result document, or - for standard input", .dashdash = 1,
		.options = pack_options, .option = pack_option, .ctx = &name};
	struct client_opts o = {0};
	json_error_t jerr;
	const char *file;
	json_t *doc;
	size_t len;
	char *text;
	int rc;

	rc = cli_parse(&cmd, argc, argv, &o, &file);
	if (rc != CLI_PARSED)
		return rc;
	text = client_read_input(file, "document", CLIENT_BODY_MAX, &len);
	if (!text)
		return EXIT_USAGE;
	if (name) {
		for (const char *p = name; *p; p++) {
			if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
			    !(*p >= '0' && *p <= '9') && !strchr("._-", *p)) {
				cli_error("lava-cases: --pack: NAME may hold letters, digits, '.', '_' "
					  "and '-' only, got '%s'", name);
				free(text);
				return EXIT_USAGE;
			}
		}
		if (!*name || strlen(name) > 100) {
			cli_error("lava-cases: --pack: NAME must be 1 to 100 characters");
			free(text);
			return EXIT_USAGE;
		}
		rc = pack(name, (const unsigned char *)text, len);
		free(text);
		return rc;
	}
	doc = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!doc) {
		cli_error("lava-cases: %s: not JSON: line %d: %s",
			  strcmp(file, "-") ? file : "standard input", jerr.line, jerr.text);
		return EXIT_USAGE;
	}
	if (lava_cases(doc, print_case, NULL)) {
		cli_error("lava-cases: %s: not a result document (it needs experiment.spec."
			  "strategies and runs), or standard output failed",
			  strcmp(file, "-") ? file : "standard input");
		json_decref(doc);
		return EXIT_USAGE;
	}
	json_decref(doc);
	if (fflush(stdout)) {
		cli_error("cannot write the cases");
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}
