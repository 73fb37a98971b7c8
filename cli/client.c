/*
 * client.c - the CLI's side of the HTTP API: one libcurl handle per
 * command, the server URL and bearer token from options or the
 * environment, bounded requests, and api.md's error bodies turned into one
 * line on stderr with the exit status they mean.
 */
#include "cli.h"
#include "../lib/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TOKEN_MAX 256

struct client {
	CURL *curl;
	char url[1024];            /* base, no trailing slash */
	char token_path[1024];     /* "" when the token comes from SVABENCH_TOKEN */
	char token[TOKEN_MAX];
	int token_loaded;          /* 1 loaded, -1 could not be read, 0 not yet */
	char token_why[1200];      /* why it could not be read */
	char errbuf[CURL_ERROR_SIZE];
};

struct client *client_open(const struct client_opts *o)
{
	const char *url = o->server, *env;
	struct client *c;
	size_t n;

	if (!url) {
		env = getenv("SVABENCH_URL");
		url = env && *env ? env : CLIENT_DEFAULT_URL;
	}
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		cli_error("--server: '%s' is not an http:// or https:// URL", url);
		return NULL;
	}
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		n--;
	c = xcalloc(1, sizeof(*c));
	if (n >= sizeof(c->url)) {
		cli_error("--server: the URL is longer than %zu characters", sizeof(c->url) - 1);
		free(c);
		return NULL;
	}
	memcpy(c->url, url, n);
	c->url[n] = '\0';

	/* --var names the token file; else SVABENCH_TOKEN; else ./var/token. */
	env = getenv("SVABENCH_TOKEN");
	if (o->var || !env || !*env) {
		const char *var = o->var ? o->var : "./var";

		if (strlen(var) + sizeof("/token") > sizeof(c->token_path)) {
			cli_error("--var: the path is longer than %zu characters",
				  sizeof(c->token_path) - sizeof("/token"));
			free(c);
			return NULL;
		}
		snprintf(c->token_path, sizeof(c->token_path), "%s/token", var);
	} else if (strlen(env) >= sizeof(c->token)) {
		cli_error("SVABENCH_TOKEN is longer than %d characters", TOKEN_MAX - 1);
		free(c);
		return NULL;
	} else {
		snprintf(c->token, sizeof(c->token), "%s", env);
		c->token_loaded = 1;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(c->curl = curl_easy_init())) {
		cli_error("cannot start libcurl");
		free(c);
		return NULL;
	}
	return c;
}

void client_close(struct client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	curl_global_cleanup();
	free(c);
}

const char *client_url(const struct client *c)
{
	return c->url;
}

/* Loads the token file once; a failure is remembered for the 401 hint. */
static const char *token(struct client *c)
{
	char *text;
	size_t n;

	if (c->token_loaded)
		return c->token_loaded > 0 ? c->token : NULL;
	c->token_loaded = -1;
	text = read_file(c->token_path, sizeof(c->token) - 1, &n);
	if (!text) {
		snprintf(c->token_why, sizeof(c->token_why), "cannot read %s: %s", c->token_path,
			 strerror(errno));
		return NULL;
	}
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' ||
		     text[n - 1] == '\t'))
		n--;
	memcpy(c->token, text, n);
	c->token[n] = '\0';
	free(text);
	if (!n) {
		snprintf(c->token_why, sizeof(c->token_why), "%s is empty", c->token_path);
		return NULL;
	}
	c->token_loaded = 1;
	return c->token;
}

size_t client_sink_write(char *p, size_t size, size_t nmemb, void *sink)
{
	struct client_sink *s = sink;
	size_t n = size * nmemb;

	if (n > s->max - s->sb.len) {
		s->over = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	strbuf_add(&s->sb, p, n);
	return n;
}
/* Keeps the Location header, the new resource of a 202. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct client_response *r = ctx;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(p, "retry-after:", 12)) {
		long v = strtol(p + 12, NULL, 10);

		r->retry_after = v < 0 ? 0 : v > 3600 ? 3600 : (int)v;
	}
	if (n > 9 && !strncasecmp(p, "location:", 9)) {
		size_t a = 9, b = n;

		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == '\r' || p[b - 1] == '\n' || p[b - 1] == ' '))
			b--;
		if (b - a < sizeof(r->location)) {
			memcpy(r->location, p + a, b - a);
			r->location[b - a] = '\0';
		}
	}
	return n;
}

static void transport_error(const struct client *c, CURLcode rc, const struct client_sink *s)
{
	const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		cli_error("cannot reach svabenchd at %s (is it running? make run starts it)", c->url);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		cli_error("svabenchd at %s did not answer in time: %s", c->url, detail);
		break;
	case CURLE_WRITE_ERROR:
		cli_error("the answer of %s is larger than %ld MiB", c->url, CLIENT_BODY_MAX >> 20);
		break;
	default:
		cli_error("cannot reach svabenchd at %s: %s", c->url, detail);
		break;
	}
}

static int request_once(struct client *c, const char *method, const char *path,
			const char *body, size_t len, struct client_response *r)
{
	int post = !strcmp(method, "POST");
	struct curl_slist *hdr = NULL, *h;
	struct client_sink s = {.sb = STRBUF_INIT, .max = CLIENT_BODY_MAX};
	char auth[TOKEN_MAX + 32];
	const char *tok;
	char *url;
	CURLcode rc;
	int bad = 0;

	memset(r, 0, sizeof(*r));
	url = xmalloc(strlen(c->url) + strlen(path) + 1);
	strcpy(url, c->url);
	strcat(url, path);

	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (post) {
		/* No "Expect: 100-continue" round trip for large bodies. */
		bad |= !(h = curl_slist_append(hdr, "Expect:"));
		hdr = h ? h : hdr;
		bad |= !(h = curl_slist_append(hdr, "Content-Type: application/json"));
		hdr = h ? h : hdr;
		tok = token(c);
		if (tok) {
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
			bad |= !(h = curl_slist_append(hdr, auth));
			hdr = h ? h : hdr;
		}
	}
	if (!hdr || bad) {
		curl_slist_free_all(hdr);
		free(url);
		cli_error("out of memory");
		return -1;
	}

	curl_easy_reset(c->curl);
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "svabench/" SVABENCH_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, (long)CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	/* The daemon is usually on loopback: never send that through a proxy. */
	curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, client_sink_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
	if (post) {
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	}
	rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	free(url);
	if (rc != CURLE_OK) {
		transport_error(c, rc, &s);
		strbuf_release(&s.sb);
		return -1;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = strbuf_detach(&s.sb, &r->len);
	return 0;
}

void client_response_free(struct client_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/*
 * A 429 (the daemon's queue is full) is retried politely: after the
 * Retry-After it asked for (1..60 s), at most CLIENT_RETRIES times, saying
 * so on stderr; then the 429 is the answer.
 */
#define CLIENT_RETRIES 8

int client_request(struct client *c, const char *method, const char *path,
		   const char *body, size_t len, struct client_response *r)
{
	for (int attempt = 0;; attempt++) {
		int rc = request_once(c, method, path, body, len, r), wait;

		if (rc || r->status != 429 || attempt == CLIENT_RETRIES)
			return rc;
		wait = r->retry_after < 1 ? 1 : r->retry_after > 60 ? 60 : r->retry_after;
		fprintf(stderr, "svabench: the daemon is busy (429: its queue is full); "
			"retrying in %d s (%d/%d)\n", wait, attempt + 1, CLIENT_RETRIES);
		client_response_free(r);
		sleep((unsigned)wait);
	}
}

/* The first line of text, at most 200 bytes, for a message. */
static void first_line(char *out, size_t len, const char *text)
{
	size_t n = strcspn(text, "\r\n");

	if (n > 200)
		n = 200;
	if (n >= len)
		n = len - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

int client_fail(const struct client *c, const struct client_response *r)
{
	json_t *doc = json_loadb(r->body, r->len, 0, NULL);
	json_t *e = json_object_get(doc, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));
	const char *code = json_string_value(json_object_get(e, "code"));
	char status[64] = "", hint[1400] = "", line[256];
	long st = r->status;
	int rc = st == 400 || st == 404 || st == 413 || st == 415 ? EXIT_USAGE : EXIT_RUN_FAILED;

	/* A bad spec reads as `run --offline` prints it; others say the status. */
	if (st != 400)
		snprintf(status, sizeof(status), " (HTTP %ld%s%s)", st, code ? " " : "",
			 code ? code : "");
	if (st == 401) {
		if (c->token_loaded < 0)
			snprintf(hint, sizeof(hint), "; no token: %s (pass --var DIR, or set "
				 "SVABENCH_TOKEN)", c->token_why);
		else if (c->token_path[0])
			snprintf(hint, sizeof(hint), "; the token was read from %s", c->token_path);
		else
			snprintf(hint, sizeof(hint), "; the token was SVABENCH_TOKEN");
	}
	if (msg && field && *field)
		cli_error("%s: %s%s%s", field, msg, status, hint);
	else if (msg)
		cli_error("%s%s%s", msg, status, hint);
	else {
		first_line(line, sizeof(line), r->body);
		cli_error("svabenchd at %s answered HTTP %ld%s%s%s", c->url, st, line[0] ? ": " : "",
			  line, hint);
	}
	json_decref(doc);
	return rc;
}

int client_call(struct client *c, const char *method, const char *path, const char *body,
		size_t len, struct client_response *r)
{
	int rc;

	if (client_request(c, method, path, body, len, r))
		return EXIT_RUN_FAILED;
	if (r->status < 200 || r->status > 299) {
		rc = client_fail(c, r);
		client_response_free(r);
		return rc;
	}
	return EXIT_OK;
}

int client_call_json(struct client *c, const char *method, const char *path,
		     const char *body, size_t len, json_t **out)
{
	struct client_response r;
	json_error_t jerr;
	json_t *doc;
	int rc;

	*out = NULL;
	rc = client_call(c, method, path, body, len, &r);
	if (rc)
		return rc;
	doc = json_loadb(r.body, r.len, 0, &jerr);
	client_response_free(&r);
	if (!json_is_object(doc)) {
		cli_error("svabenchd at %s answered %s %s with %s", c->url, method, path,
			  doc ? "JSON that is not an object" : "something that is not JSON");
		json_decref(doc);
		return EXIT_RUN_FAILED;
	}
	*out = doc;
	return EXIT_OK;
}

int client_create(struct client *c, const char *path, const char *body, size_t len,
		  char *id, size_t idlen)
{
	struct client_response r;
	const char *got = NULL, *slash;
	json_t *doc;
	int rc = client_call(c, "POST", path, body, len, &r);

	if (rc)
		return rc;
	doc = json_loadb(r.body, r.len, 0, NULL);
	got = json_string_value(json_object_get(doc, "id"));
	if (!got)
		got = json_string_value(json_object_get(json_object_get(doc, "experiment"), "id"));
	if (!got && r.location[0]) {
		slash = strrchr(r.location, '/');
		got = slash ? slash + 1 : r.location;
	}
	if (!got || !*got || strlen(got) >= idlen) {
		cli_error("svabenchd at %s accepted POST %s but named no experiment id", c->url, path);
		rc = EXIT_RUN_FAILED;
	} else {
		snprintf(id, idlen, "%s", got);
	}
	json_decref(doc);
	client_response_free(&r);
	return rc;
}

char *client_experiment_path(const char *id, const char *suffix)
{
	char *esc = client_escape(id), *path;

	path = xmalloc(strlen(esc) + strlen(suffix) + 24);
	sprintf(path, "/api/v1/experiments/%s%s", esc, suffix);
	free(esc);
	return path;
}

struct client *client_open_id(const struct cli_cmd *cmd, int argc, char **argv,
			      const char **id, int *rc)
{
	struct client_opts o = {0};
	struct client *c;

	*rc = cli_parse(cmd, argc, argv, &o, id);
	if (*rc != CLI_PARSED)
		return NULL;
	c = client_open(&o);
	*rc = c ? EXIT_OK : EXIT_USAGE;
	return c;
}

void client_add_query(char **path, const char *name, const char *value)
{
	char *esc, *p;
	size_t n;

	if (!value)
		return;
	esc = client_escape(value);
	n = strlen(*path) + strlen(name) + strlen(esc) + 3;
	p = xrealloc(*path, n);
	snprintf(p + strlen(p), n - strlen(p), "%c%s=%s", strchr(p, '?') ? '&' : '?', name, esc);
	free(esc);
	*path = p;
}

char *client_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1), *p = out;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return out;
}

char *client_read_input(const char *path, const char *what, size_t max, size_t *len)
{
	int in = !strcmp(path, "-"), fd = in ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	const char *shown = in ? "standard input" : path;
	char *buf;

	if (fd < 0) {
		cli_error("cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	buf = read_fd(fd, max, len);
	if (!buf && errno == EFBIG && max % (1024 * 1024) == 0)
		cli_error("%s is larger than %zu bytes (%zu MiB): '%s'", what, max, max >> 20, shown);
	else if (!buf && errno == EFBIG)
		cli_error("%s is larger than %zu bytes: '%s'", what, max, shown);
	else if (!buf)
		cli_error("cannot read '%s': %s", shown, strerror(errno));
	if (!in)
		close(fd);
	return buf;
}
