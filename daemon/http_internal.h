/*
 * http_internal.h - what the HTTP server (http.c), the API's route handlers
 * (api.c) and the /metrics exposition (prom.c) share: one request as a
 * handler sees it, the route table, and the ways to answer.
 *
 * A handler runs on one of libmicrohttpd's pool threads once the request is
 * complete (headers, and the body when the route takes one) and answers it
 * exactly once through a reply_* function.
 */
#ifndef SVABENCH_HTTP_INTERNAL_H
#define SVABENCH_HTTP_INTERNAL_H

#include "daemon.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#define HTTP_STATUS_MAX 600
#define ROUTE_IDS 2            /* '*' segments a route pattern may hold */
#define HTTP_ID_MAX 64         /* longest id or name accepted in a path */

struct request;

/* Answers the request; returns what the access handler gives libmicrohttpd. */
typedef enum MHD_Result (*route_fn)(struct request *r);

/* Whether a route reads a request body. */
enum route_body {
	BODY_NONE,   /* any body is capped and ignored */
	BODY_JSON,   /* Content-Type must be application/json */
	BODY_FILE,   /* JSON or gzip'd JSON, streamed into an unlinked file in --var
		      * (body_fd) up to --import-max, never held in memory */
};

struct route {
	const char *method;    /* "GET" (HEAD too) or "POST" */
	const char *pattern;   /* a path; a "*" segment matches one id */
	enum route_body body;
	route_fn fn;
};

/*
 * Route tables, each ended by a {0} entry: api.c (targets, experiments,
 * runs, import, collectors, /metrics), api_compare.c (comparison),
 * api_history.c (history, alerts, report), api_plots.c (plots), api_web.c
 * (the dashboard's files). route_tables lists them, NULL-terminated, in
 * lookup order.
 */
extern const struct route api_routes[];
extern const struct route compare_routes[];
extern const struct route robustness_routes[];
extern const struct route history_routes[];
extern const struct route plot_routes[];
extern const struct route web_routes[];
extern const struct route lava_routes[];
/* 1 for a route whose handler checks a token of its own, not the API token (api_lava.c). */
int route_own_auth(const struct route *rt);
extern const struct route *const route_tables[];

/* POST /api/v1/import (import.c): a result document, streamed. */
enum MHD_Result import_post(struct request *r);

/* The /metrics results section, cached per experiment (prom.c). */
struct prom_cache;

/* ---- http_conns.c: the connection budget and the request deadline ---- */

struct conn_guard;
struct guard_stats {
	int open, limit;               /* connections tracked now, the budget */
	uint64_t evicted, timed_out;   /* closed for a newcomer, past the deadline */
};
enum { GUARD_RECEIVING = 1, GUARD_ANSWERING, GUARD_DONE };

/* limit connections, per_ip from one address, a request whole within deadline_s. */
struct conn_guard *guard_new(int limit, int per_ip, int deadline_s);
void guard_stop(struct conn_guard *g);
void guard_free(struct conn_guard *g);
/* libmicrohttpd's accept policy and connection notification callbacks (cls: the guard). */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void guard_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
		  enum MHD_ConnectionNotificationCode toe);
/* A request's progress on its connection (GUARD_*). */
void guard_phase(struct conn_guard *g, struct MHD_Connection *connection, int phase);
void guard_stats(struct conn_guard *g, struct guard_stats *s);

struct http {
	struct MHD_Daemon *mhd;
	struct conn_guard *guard;
	struct http_ctx ctx;
	atomic_uint_fast64_t requests[HTTP_STATUS_MAX]; /* answered, by status */
	struct prom_cache *prom;
};

struct request {
	struct http *h;
	struct MHD_Connection *conn;
	const struct route *route;   /* NULL until matched */
	char ids[ROUTE_IDS][HTTP_ID_MAX + 1]; /* the path's '*' segments */
	char *body;                  /* NUL-terminated, len bytes */
	size_t len, cap;
	int too_large;               /* the body passed cfg->body_max */
	size_t dropped;              /* bytes of it dropped since */
	int answered;
	int retry_after;             /* > 0: a Retry-After header (seconds) on the answer */
	char etag[48];               /* non-empty: an ETag, revalidated (no-cache) */
	int gzip;                    /* the body is gzip-compressed (Content-Encoding) */
	int body_fd;                 /* BODY_FILE: the body's file (valid when has_fd) */
	int has_fd;
	size_t file_len;             /* bytes written to it */
};

/* ---- shared by the route modules (api.c) ---- */

#define QUERY_MAX 12
#define QUERY_LIMIT_MAX 1000         /* the largest page any list route serves */

/*
 * One query parameter a route takes (api_query.c): a route's parameters are
 * a table indexed by the route's own enum, [Q_LIMIT] = {"limit", ...}, ended
 * by {0}; read_query checks every value against it in one place.
 */
enum query_type {
	QUERY_TEXT,     /* any UTF-8 text */
	QUERY_INT,      /* a decimal integer ilo..ihi -> ints[] */
	QUERY_REAL,     /* a finite decimal number lo..hi -> reals[] */
	QUERY_BOOL,     /* true/1 or false/0 -> ints[] */
};

struct query_arg {
	const char *name;
	enum query_type type;
	const char *want;            /* the refusal: "NAME must be WANT, got 'VALUE'" */
	long long ilo, ihi;          /* QUERY_INT's range, inclusive */
	double lo, hi;               /* QUERY_REAL's range, inclusive */
	int lo_open;                 /* QUERY_REAL: lo itself is refused */
	int nonempty;                /* an empty value is refused */
	int empty_absent;            /* an empty value counts as not given */
};

/* The rows of a paged route's limit and cursor (INT64_MAX: <stdint.h>). */
#define PAGE_LIMIT_ARG {.name = "limit", .type = QUERY_INT, .want = "an integer 1..1000", \
			.ilo = 1, .ihi = QUERY_LIMIT_MAX}
#define PAGE_CURSOR_ARG {.name = "cursor", .type = QUERY_INT, \
			 .want = "a next_cursor of a previous page", .ilo = 0, .ihi = INT64_MAX, \
			 .empty_absent = 1}

/* A request's query string read against its route's table. */
struct query {
	const struct query_arg *args; /* the route's table (at most QUERY_MAX rows) */
	const char *values[QUERY_MAX]; /* by the table's index; NULL when not given */
	long long ints[QUERY_MAX];   /* QUERY_INT and QUERY_BOOL values */
	double reals[QUERY_MAX];     /* QUERY_REAL values */
	const char *bad;             /* the first unknown or repeated parameter */
	int repeated;
	int not_utf8;                /* bad's name or value is not valid UTF-8 */
};

/* Adds a response header; 0, or -1 when libmicrohttpd refused it. */
int http_add_header(struct MHD_Response *resp, const char *name, const char *value);
/*
 * Queues resp (destroyed here) as r's answer, or MHD_NO when bad (a header
 * was refused); an answer queued is marked and counted in /metrics.
 */
enum MHD_Result http_queue_response(struct request *r, unsigned status, struct MHD_Response *resp,
				    int bad);

/* 1 when s is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int utf8_valid(const char *s);
/* 1 when a Host header value names this daemon (see http.c); NULL is allowed. */
int host_allowed(const struct config *cfg, const char *host);

/*
 * Reads the query against q->args: unknown, repeated or not-UTF-8
 * parameters and values that are not what their row wants are refused with
 * a 400 invalid_query naming the parameter (answered in *res, returns 1).
 * 0 with q->values (and ints, reals) filled.
 */
int read_query(struct request *r, struct query *q, enum MHD_Result *res);
/* The 400 for a parameter whose value is not what the route wants. */
enum MHD_Result bad_query_value(struct request *r, const char *name, const char *want,
				const char *got);

/* A decimal integer lo..hi, the whole string; 0, or -1 when it is not one. */
int parse_int(const char *s, long long lo, long long hi, long long *out);

/*
 * GET /api/v1/history's query (workload, metric, strategy, cell, target,
 * limit, min_change, alpha, window) read and answered from the store: 0
 * with the document in *doc (the caller's), or -1 with the error reply in
 * *res. The history endpoint and its plot share it.
 */
int history_from_query(struct request *r, json_t **doc, enum MHD_Result *res);
/* Refuses any query parameter; 1 when answered. */
int no_query(struct request *r, enum MHD_Result *res);
/* The API's answer to a failed store call (404, 409, 503 storage_full, 500 with a log line). */
enum MHD_Result store_failed(struct request *r, int rc, const char *what, const char *id);


/* Queues a JSON response (v is stolen; NULL means out of memory). */
enum MHD_Result reply_json(struct request *r, unsigned status, json_t *v);
/* Queues JSON text already serialized (malloc'd, taken over). */
enum MHD_Result reply_json_text(struct request *r, unsigned status, char *text, size_t len);
/*
 * A 200 JSON answer (text taken over) with an ETag of its content, which
 * clients revalidate (Cache-Control: no-cache): a request whose
 * If-None-Match names it gets a 304 with no body; a client that accepts
 * gzip gets the body gzip-compressed (its own ETag). For documents that
 * stop changing (a finished experiment, its comparison).
 */
enum MHD_Result reply_json_etag(struct request *r, char *text, size_t len);
/* The same for v (taken over; NULL: out of memory), written as every JSON answer is. */
enum MHD_Result reply_json_v_etag(struct request *r, json_t *v);
/* text[len] gzip-compressed (malloc'd, its length in *out_len), or NULL. */
char *gzip_text(const char *text, size_t len, size_t *out_len);
/* 1 when the request accepts a gzip-compressed body. */
int accepts_gzip(struct request *r);
/* The same with a Location header (201/202). */
enum MHD_Result reply_created(struct request *r, unsigned status, json_t *v,
			      const char *location);
/* Queues text (buf is copied) with the given Content-Type. */
enum MHD_Result reply_text(struct request *r, unsigned status, const char *ctype,
			   const char *buf, size_t len);
/*
 * Queues {"error": {"code", "message", "field"}}; field may be NULL (then
 * JSON null). Adds WWW-Authenticate for 401 and Allow when allow is given
 * (405).
 */
enum MHD_Result reply_error(struct request *r, unsigned status, const char *code,
			    const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
enum MHD_Result reply_method_not_allowed(struct request *r, const char *allow);

/* The body of /metrics (prom.c): malloc'd text, NULL on OOM. */
char *prom_render(struct http *h, size_t *len);
struct prom_cache *prom_cache_new(void);
void prom_cache_free(struct prom_cache *c);

#endif
