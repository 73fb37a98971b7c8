/*
 * api_web.c - the dashboard's static files: GET / is web/index.html, GET
 * /web/FILE a file of the --web directory (default ./web).
 *
 * Only plain names are served: lowercase letters, digits, '.', '_' and '-',
 * not starting with '.', with an extension of the table below (which gives
 * the Content-Type); anything else is a 404, so no path can leave the
 * directory. Symbolic links are not followed. Files are read per request
 * (they are a few KB), so an edit shows at the next reload; the ETag (inode,
 * size, mtime) lets a browser revalidate with a 304 and no read. The HTML
 * gets a Content-Security-Policy that allows only the dashboard's own
 * script, styles and images: a label that slipped into markup would still
 * run nothing.
 */
#include "http_internal.h"
#include "../lib/logger.h"
#include "../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEB_FILE_MAX (16u << 20)  /* refuse anything bigger: not a dashboard file */
#define WEB_NAME_MAX 64

static const struct {
	const char *ext;
	const char *ctype;
} web_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".svg", "image/svg+xml"},
	{".png", "image/png"},
	{".ico", "image/x-icon"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char web_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* The Content-Type for a servable name, NULL when the name is refused. */
static const char *web_type(const char *name)
{
	size_t n = strlen(name);
	const char *dot;

	if (!n || n > WEB_NAME_MAX || name[0] == '.' || strstr(name, ".."))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return NULL;
	}
	dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof(web_types) / sizeof(web_types[0]); i++)
		if (!strcmp(dot, web_types[i].ext))
			return web_types[i].ctype;
	return NULL;
}

/*
 * Queues a file response (body malloc'd and taken over; NULL with len 0 for
 * a 304). Built here rather than by reply_text because static files are
 * revalidated (no-cache + ETag) where API answers are never stored.
 */
static enum MHD_Result web_queue(struct request *r, unsigned status, const char *ctype,
				 char *body, size_t len, const char *etag)
{
	struct MHD_Response *resp;
	int bad = 0;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded", NULL,
				   "out of memory");
	}
	if (status == MHD_HTTP_OK)
		bad |= http_add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	bad |= http_add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	bad |= http_add_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	bad |= http_add_header(resp, "X-Content-Type-Options", "nosniff");
	if (!strncmp(ctype, "text/html", 9)) {
		bad |= http_add_header(resp, "Content-Security-Policy", web_csp);
		bad |= http_add_header(resp, "Referrer-Policy", "no-referrer");
		bad |= http_add_header(resp, "X-Frame-Options", "DENY");
	}
	return http_queue_response(r, status, resp, bad);
}

/* 1 when the request's If-None-Match names etag (or is "*"). */
static int not_modified(struct request *r, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);

	return inm && (strstr(inm, etag) || !strcmp(inm, "*"));
}

static enum MHD_Result serve_file(struct request *r, const char *name)
{
	const char *dir = r->h->ctx.cfg->web_dir, *ctype = web_type(name);
	char path[sizeof(r->h->ctx.cfg->web_dir) + WEB_NAME_MAX + 2], etag[80];
	struct stat st;
	size_t len = 0;
	char *body;
	int fd, err;

	if (!ctype)
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				   "no dashboard file '%.80s'", name);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				   "no dashboard file '%s'", name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > WEB_FILE_MAX) {
		int missing = fd < 0 && errno == ENOENT;

		if (fd >= 0)
			close(fd);
		if (!strcmp(name, "index.html") && missing)
			return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
					   "the dashboard's files are not in '%.200s' "
					   "(start svabenchd in the source tree, or give --web DIR)",
					   dir);
		return reply_error(r, MHD_HTTP_NOT_FOUND, "not_found", NULL,
				   "no dashboard file '%s'", name);
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%llx.%lx\"", (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
		 (unsigned long)st.st_mtim.tv_nsec);
	if (not_modified(r, etag)) {
		close(fd);
		return web_queue(r, MHD_HTTP_NOT_MODIFIED, ctype, NULL, 0, etag);
	}
	body = read_fd(fd, WEB_FILE_MAX, &len);
	err = errno;
	close(fd);
	if (!body) {
		log_error("web: cannot read %s: %s", path, strerror(err));
		return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
				   "cannot read dashboard file '%s'", name);
	}
	return web_queue(r, MHD_HTTP_OK, ctype, body, len, etag);
}

static enum MHD_Result h_index(struct request *r)
{
	return serve_file(r, "index.html");
}

static enum MHD_Result h_file(struct request *r)
{
	return serve_file(r, r->ids[0]);
}

const struct route web_routes[] = {
	{"GET", "/", BODY_NONE, h_index},
	{"GET", "/web/*", BODY_NONE, h_file},
	{NULL, NULL, BODY_NONE, NULL},
};
