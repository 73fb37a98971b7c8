/*
 * http.c - svabenchd's HTTP server: libmicrohttpd with an internal thread
 * pool, the route table of api.c matched by path then method, and the
 * checks every request passes before a handler sees it, in this order:
 * 404 unknown path, 405 wrong method, 401 no or wrong token on anything
 * that changes state, 415 a body that is not JSON, 413 a body over the cap
 * (from Content-Length before any of it is read; counted as it arrives when
 * chunked). The answers are JSON errors as api.md shows them.
 */
#include "http_internal.h"
#include "../lib/util.h"
#include "../lib/logger.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* ---- answering ---- */

static void count(struct http *h, unsigned status)
{
	if (status < HTTP_STATUS_MAX)
		atomic_fetch_add_explicit(&h->requests[status], 1, memory_order_relaxed);
}

int http_add_header(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES ? 0 : -1;
}

enum MHD_Result http_queue_response(struct request *r, unsigned status, struct MHD_Response *resp,
				    int bad)
{
	enum MHD_Result ok;

	if (bad) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ok = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok == MHD_YES) {
		guard_phase(r->h->guard, r->conn, GUARD_ANSWERING);
		r->answered = 1;
		count(r->h, status);
	}
	return ok;
}

/*
 * Queues buf (malloc'd, taken over) as the response: with an ETag (set by
 * reply_json_etag) clients revalidate it, else it is never stored.
 */
static enum MHD_Result queue(struct request *r, unsigned status, const char *ctype, char *buf,
			     size_t len, const char *location, const char *allow)
{
	struct MHD_Response *resp;
	int bad = 0;

	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	bad |= http_add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	bad |= http_add_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->etag[0]) {
		bad |= http_add_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
		bad |= http_add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
		bad |= http_add_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
		if (r->gzip && buf)
			bad |= http_add_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	} else {
		bad |= http_add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	}
	if (location)
		bad |= http_add_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (allow)
		bad |= http_add_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		bad |= http_add_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"svabenchd\"");
	if (r->retry_after > 0) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%d", r->retry_after);
		bad |= http_add_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	return http_queue_response(r, status, resp, bad);
}

/* v (stolen) as compact JSON with a newline; NULL on OOM. */
static char *dump_json(json_t *v, size_t *len)
{
	char *s = json_dumps(v, JSON_FLAGS | JSON_ENCODE_ANY), *t;
	size_t n;

	json_decref(v);
	if (!s)
		return NULL;
	n = strlen(s);
	t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*len = n + 1;
	return t;
}

/* The last resort when memory ran out: a static 503 body. */
static enum MHD_Result reply_oom(struct request *r)
{
	static const char body[] =
		"{\"error\":{\"code\":\"overloaded\",\"message\":\"out of memory\",\"field\":null}}\n";
	char *buf = malloc(sizeof(body));

	log_error("http: out of memory answering %s",
		  r->route ? r->route->pattern : "a request");
	if (!buf)
		return MHD_NO;
	memcpy(buf, body, sizeof(body));
	return queue(r, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", buf, sizeof(body) - 1,
		     NULL, NULL);
}

static enum MHD_Result reply_json_with(struct request *r, unsigned status, json_t *v,
				       const char *location, const char *allow)
{
	size_t len = 0;
	char *buf;

	if (!v)
		return reply_oom(r);
	buf = dump_json(v, &len);
	if (!buf)
		return reply_oom(r);
	return queue(r, status, "application/json", buf, len, location, allow);
}

enum MHD_Result reply_json(struct request *r, unsigned status, json_t *v)
{
	return reply_json_with(r, status, v, NULL, NULL);
}

enum MHD_Result reply_json_text(struct request *r, unsigned status, char *text, size_t len)
{
	if (!text)
		return reply_oom(r);
	return queue(r, status, "application/json", text, len, NULL, NULL);
}

char *gzip_text(const char *text, size_t len, size_t *out_len)
{
	z_stream z = {0};
	size_t cap = compressBound((uLong)len) + 32;
	char *out = malloc(cap);

	if (!out || deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

int accepts_gzip(struct request *r)
{
	const char *ae = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);

	return ae && strstr(ae, "gzip") != NULL;
}

enum MHD_Result reply_json_etag(struct request *r, char *text, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *inm;
	int gz;

	if (!text)
		return reply_oom(r);
	gz = accepts_gzip(r) && len >= 1024 && len < UINT32_MAX / 2;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ULL;
	snprintf(r->etag, sizeof(r->etag), "\"j%016llx-%zx%s\"", (unsigned long long)h, len,
		 gz ? "-gz" : "");
	inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm && strstr(inm, r->etag)) {
		free(text);
		return queue(r, MHD_HTTP_NOT_MODIFIED, "application/json", NULL, 0, NULL, NULL);
	}
	if (gz) {
		size_t zlen = 0;
		char *z = gzip_text(text, len, &zlen);

		if (z) {
			free(text);
			r->gzip = 1;
			return queue(r, MHD_HTTP_OK, "application/json", z, zlen, NULL, NULL);
		}
	}
	return queue(r, MHD_HTTP_OK, "application/json", text, len, NULL, NULL);
}

enum MHD_Result reply_json_v_etag(struct request *r, json_t *v)
{
	size_t len = 0;
	char *text = v ? dump_json(v, &len) : NULL;

	return reply_json_etag(r, text, len);
}

enum MHD_Result reply_created(struct request *r, unsigned status, json_t *v, const char *location)
{
	return reply_json_with(r, status, v, location, NULL);
}

enum MHD_Result reply_text(struct request *r, unsigned status, const char *ctype,
			   const char *buf, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return reply_oom(r);
	memcpy(copy, buf, len);
	return queue(r, status, ctype, copy, len, NULL, NULL);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0; /* overlong, a surrogate, or past U+10FFFF */
	return len;
}

int utf8_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_seq((const unsigned char *)s + i, n - i)))
			return 0;
	return 1;
}

/* in as valid UTF-8 into out: each invalid byte written as \xHH. */
static const char *utf8_clean(const char *in, char *out, size_t cap)
{
	size_t n = strlen(in), o = 0;

	for (size_t i = 0; i < n && o + 5 < cap;) {
		size_t k = utf8_seq((const unsigned char *)in + i, n - i);

		if (!k) {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02X", (unsigned char)in[i]);
			i++;
			continue;
		}
		if (o + k >= cap)
			break;
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

/* User text (a path, a query name) may be echoed: made valid UTF-8 first. */
static json_t *error_json(const char *code, const char *field, const char *msg)
{
	char m[1200], f[300];

	return json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code, "message",
			 utf8_clean(msg, m, sizeof(m)), "field",
			 field ? utf8_clean(field, f, sizeof(f)) : NULL);
}

static enum MHD_Result reply_error_v(struct request *r, unsigned status, const char *code,
				     const char *field, const char *allow, const char *fmt,
				     va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return reply_json_with(r, status, error_json(code, field, msg), NULL, allow);
}

enum MHD_Result reply_error(struct request *r, unsigned status, const char *code,
			    const char *field, const char *fmt, ...)
{
	enum MHD_Result rc;
	va_list ap;

	va_start(ap, fmt);
	rc = reply_error_v(r, status, code, field, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

static enum MHD_Result reply_error_allow(struct request *r, const char *allow, const char *fmt,
					 ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result reply_error_allow(struct request *r, const char *allow, const char *fmt,
					 ...)
{
	enum MHD_Result rc;
	va_list ap;

	va_start(ap, fmt);
	rc = reply_error_v(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", NULL, allow, fmt,
			   ap);
	va_end(ap);
	return rc;
}

enum MHD_Result reply_method_not_allowed(struct request *r, const char *allow)
{
	return reply_error_allow(r, allow, "method not allowed here; allowed: %s", allow);
}

/* ---- routing ---- */

static int id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/*
 * 1 when path matches pattern, its '*' segments copied into ids. A '*'
 * matches one segment of id characters, at most HTTP_ID_MAX of them.
 */
static int match(const char *pattern, const char *path, char ids[][HTTP_ID_MAX + 1])
{
	int k = 0;

	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = 0;

			while (path[n] && path[n] != '/') {
				if (!id_char(path[n]))
					return 0;
				n++;
			}
			if (!n || n > HTTP_ID_MAX || k == ROUTE_IDS)
				return 0;
			memcpy(ids[k], path, n);
			ids[k][n] = '\0';
			k++;
			path += n;
			pattern++;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

static int method_is(const char *method, const char *want)
{
	if (!strcmp(method, want))
		return 1;
	return !strcmp(want, "GET") && !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

/* The route for path and method; 405 fills allow, 404 leaves it empty. */
static const struct route *route_find(const char *path, const char *method,
				      char ids[][HTTP_ID_MAX + 1], char *allow, size_t alen)
{
	allow[0] = '\0';
	for (size_t t = 0; route_tables[t]; t++) {
		for (const struct route *rt = route_tables[t]; rt->method; rt++) {
			size_t n = strlen(allow);

			if (!match(rt->pattern, path, ids))
				continue;
			if (method_is(method, rt->method))
				return rt;
			snprintf(allow + n, alen - n, "%s%s", n ? ", " : "",
				 strcmp(rt->method, "GET") ? rt->method : "GET, HEAD");
		}
	}
	return NULL;
}

/* application/json, with parameters such as charset=utf-8 allowed. */
static int is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n))
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* -1 without a (valid) Content-Length, else its value. */
static long long content_length(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!v || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end)
		return (long long)(~0ULL >> 1);
	return n > (~0ULL >> 1) ? (long long)(~0ULL >> 1) : (long long)n;
}

static enum MHD_Result too_large(struct request *r)
{
	if (r->route && r->route->body == BODY_FILE)
		return reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large", NULL,
				   "document larger than %zu bytes (svabenchd --import-max)",
				   r->h->ctx.cfg->import_max);
	return reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large", NULL,
			   "request body larger than %zu bytes (svabenchd --body-max)",
			   r->h->ctx.cfg->body_max);
}

/* The cap of this request's body. */
static size_t body_cap(const struct request *r)
{
	return r->route && r->route->body == BODY_FILE ? r->h->ctx.cfg->import_max
						       : r->h->ctx.cfg->body_max;
}

/* BODY_FILE: an unlinked file in --var that takes the body; 0 or -1. */
static int open_body_file(struct request *r)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/import-XXXXXX", r->h->ctx.cfg->var);
	if ((fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	r->body_fd = fd;
	r->has_fd = 1;
	return 0;
}

/* BODY_FILE: writes n bytes of the body to its file; past the cap only counts. */
static int file_body(struct request *r, const char *data, size_t n)
{
	if (r->too_large || n > r->h->ctx.cfg->import_max - r->file_len) {
		r->too_large = 1;
		r->dropped += n;
		return 0;
	}
	if (!r->has_fd && open_body_file(r))
		return -1;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(r->body_fd, data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	r->file_len += n;
	return 0;
}

/* 1 when name (len bytes) is one of the comma-separated names of list. */
static int in_list(const char *list, const char *name, size_t len)
{
	while (*list) {
		size_t n = strcspn(list, ",");

		while (n && list[n - 1] == ' ')
			n--;
		if ((n == len && !strncasecmp(list, name, len)) || (n == 1 && *list == '*'))
			return 1;
		list += strcspn(list, ",");
		while (*list == ',' || *list == ' ')
			list++;
	}
	return 0;
}

/*
 * The Host header names this daemon: a loopback name, --listen's host, or
 * one of --allow-host's. A page whose name an attacker rebinds to
 * 127.0.0.1 sends its own name and is refused, reads included. No Host
 * (HTTP/1.0) is allowed: every browser sends one.
 */
int host_allowed(const struct config *cfg, const char *host)
{
	const char *end, *port;
	size_t len;

	if (!host)
		return 1;
	if (*host == '[') {
		end = strchr(host, ']');
		if (!end)
			return 0;
		port = end + 1;
		end++;
	} else {
		end = host + strcspn(host, ":");
		port = end;
	}
	if (*port == ':') {
		port++;
		if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
			return 0;
	} else if (*port) {
		return 0;
	}
	len = (size_t)(end - host);
	if (len && host[len - 1] == '.' && host[0] != '[')
		len--; /* "localhost." is localhost */
	return in_list("localhost,127.0.0.1,[::1]", host, len) ||
	       (strlen(cfg->listen_host) == len && !strncasecmp(cfg->listen_host, host, len)) ||
	       in_list(cfg->allow_hosts, host, len);
}

/*
 * The checks made on the headers alone, before any of the body is read.
 * Returns 1 when the request was answered (refused).
 */
static int refuse_early(struct request *r, const char *url, const char *method,
			enum MHD_Result *res)
{
	const struct http_ctx *ctx = &r->h->ctx;
	char allow[128];
	long long clen;
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_HOST);

	if (!host_allowed(ctx->cfg, host)) {
		*res = reply_error(r, MHD_HTTP_FORBIDDEN, "invalid_host", NULL,
				   "Host '%.100s' does not name this daemon; answered: localhost, "
				   "127.0.0.1, [::1], %s%s%s (add names with --allow-host)", host,
				   ctx->cfg->listen_host, ctx->cfg->allow_hosts[0] ? ", " : "",
				   ctx->cfg->allow_hosts);
		return 1;
	}
	r->route = route_find(url, method, r->ids, allow, sizeof(allow));
	if (!r->route && !allow[0]) {
		*res = reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no such resource: %.200s",
				   url);
		return 1;
	}
	if (!r->route) {
		*res = reply_method_not_allowed(r, allow);
		return 1;
	}
	if (strcmp(r->route->method, "POST"))
		return 0;
	if (!route_own_auth(r->route) &&
	    !auth_check(ctx->token, MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_AUTHORIZATION))) {
		*res = reply_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized", NULL,
				   "this request needs 'Authorization: Bearer TOKEN' with the token "
				   "in the daemon's var/token");
		return 1;
	}
	if ((r->route->body == BODY_JSON || r->route->body == BODY_FILE) &&
	    !is_json_type(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_CONTENT_TYPE))) {
		*res = reply_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", NULL,
				   "the body must be JSON: Content-Type: application/json");
		return 1;
	}
	clen = content_length(r->conn);
	if (clen > (long long)body_cap(r)) {
		*res = too_large(r);
		return 1;
	}
	return 0;
}

/* Keeps up to body_max bytes of the body; past that only remembers it. */
static int take_body(struct request *r, const char *data, size_t n)
{
	size_t max = r->h->ctx.cfg->body_max;

	if (r->too_large || n > max - r->len) {
		r->too_large = 1;
		r->dropped += n;
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		b = realloc(r->body, cap);
		if (!b)
			return -1;
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct request *r = *con_cls;
	enum MHD_Result res;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->h = cls;
		r->conn = conn;
		*con_cls = r;
		guard_phase(r->h->guard, conn, GUARD_RECEIVING);
		if (refuse_early(r, url, method, &res))
			return res;
		/*
		 * Answered in a later call, even without a body: a response
		 * queued now makes libmicrohttpd close the connection.
		 */
		return MHD_YES;
	}
	if (r->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (r->route->body == BODY_FILE) {
			if (file_body(r, upload_data, *upload_data_size))
				return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "storage_full", NULL,
						   "cannot keep the document in %s: %s",
						   r->h->ctx.cfg->var, strerror(errno));
		} else if (take_body(r, upload_data, *upload_data_size)) {
			return reply_oom(r);
		}
		*upload_data_size = 0;
		/*
		 * libmicrohttpd cannot answer in the middle of a body: the rest
		 * is read and dropped, and the 413 follows. A client that keeps
		 * sending far past the cap is cut off instead.
		 */
		if (r->too_large && r->dropped > body_cap(r))
			return MHD_NO;
		return MHD_YES;
	}
	if (r->too_large)
		return too_large(r);
	if (r->route->body == BODY_FILE && !r->has_fd && open_body_file(r))
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "storage_full", NULL,
				   "cannot keep the document in %s: %s", r->h->ctx.cfg->var,
				   strerror(errno));
	if (!r->body) {
		r->body = strdup("");
		if (!r->body)
			return reply_oom(r);
	}
	return r->route->fn(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct request *r = *con_cls;

	(void)why;
	guard_phase(((struct http *)cls)->guard, conn, GUARD_DONE);
	if (!r)
		return;
	if (r->has_fd)
		close(r->body_fd);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_error("http: %s", msg);
}

/* cfg's listen address as an IPv4 socket address. */
static int listen_addr(const struct config *cfg, struct sockaddr_in *sa, char *err, size_t len)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int rc;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->listen_host, &sa->sin_addr) == 1)
		return 0;
	rc = getaddrinfo(cfg->listen_host, NULL, &hints, &ai);
	if (rc || !ai) {
		snprintf(err, len, "--listen: cannot resolve '%s' to an IPv4 address: %s",
			 cfg->listen_host, rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	sa->sin_addr = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	freeaddrinfo(ai);
	return 0;
}

/* A listening socket on sa; -1 with the reason (e.g. the port in use) in err. */
static int listen_socket(const struct config *cfg, const struct sockaddr_in *sa, char *err,
			 size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		snprintf(err, len, "cannot make a socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) || listen(fd, SOMAXCONN)) {
		snprintf(err, len, "cannot listen on %s:%d: %s%s", cfg->listen_host, cfg->port,
			 strerror(errno),
			 errno == EADDRINUSE ? " (another svabenchd, or another program, serves "
					       "there; pick a port with --listen)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * --conn-limit, within what the process may open: the soft limit on
 * descriptors is raised to the hard one as needed, and the budget leaves
 * room for the store, the workers' pipes and the connections closing.
 */
static int conn_budget(const struct config *cfg)
{
	struct rlimit rl;
	rlim_t want = 2 * (rlim_t)cfg->conn_limit + 256;
	int budget = cfg->conn_limit;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return budget;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want && (rlim_t)budget > (rl.rlim_cur - 256) / 2) {
		budget = rl.rlim_cur > 512 ? (int)((rl.rlim_cur - 256) / 2) : 128;
		log_warn("--conn-limit %d lowered to %d: only %llu descriptors "
			 "allowed (ulimit -n)", cfg->conn_limit, budget,
			 (unsigned long long)rl.rlim_cur);
	}
	return budget;
}

struct http *http_start(const struct http_ctx *ctx, char *err, size_t len)
{
	const struct config *cfg = ctx->cfg;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct sockaddr_in sa;
	struct http *h;
	struct MHD_OptionItem opts[10];
	int n = 0, lfd, budget;

	if (listen_addr(cfg, &sa, err, len))
		return NULL;
	lfd = listen_socket(cfg, &sa, err, len);
	if (lfd < 0)
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->ctx = *ctx;
	for (size_t i = 0; i < HTTP_STATUS_MAX; i++)
		atomic_init(&h->requests[i], 0);
	budget = conn_budget(cfg);
	h->prom = prom_cache_new();
	h->guard = h->prom ? guard_new(budget, cfg->per_ip_limit, cfg->request_timeout_s) : NULL;
	if (!h->guard) {
		prom_cache_free(h->prom);
		close(lfd);
		free(h);
		snprintf(err, len, "out of memory");
		return NULL;
	}
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
									 : MHD_USE_POLL;
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, lfd, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, h};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)guard_notify,
					    h->guard};
	if (cfg->http_threads > 1)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
						    cfg->http_threads, NULL};
	/*
	 * The budget is the guard's (http_conns.c): libmicrohttpd's own limit
	 * only backs it up, with room for connections shut down and not yet
	 * closed and for its pool threads' uneven shares.
	 */
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 2 * budget + 64, NULL};
	if (cfg->conn_timeout_s > 0)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
						    cfg->conn_timeout_s, NULL};
	if (cfg->conn_memory > 0)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
						    (intptr_t)cfg->conn_memory, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	h->mhd = MHD_start_daemon(flags, (uint16_t)cfg->port, guard_accept, h->guard, on_request, h,
				  MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!h->mhd) {
		guard_free(h->guard);
		snprintf(err, len, "cannot serve on %s:%d (see the line before)", cfg->listen_host,
			 cfg->port);
		close(lfd);
		prom_cache_free(h->prom);
		free(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	guard_stop(h->guard);
	MHD_stop_daemon(h->mhd);
	guard_free(h->guard);
	prom_cache_free(h->prom);
	free(h);
}
