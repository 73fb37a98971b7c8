/*
 * fuzz_http.c - libFuzzer harness for the HTTP side of svabenchd: the
 * route and query parsers (http.c, api.c), the Host check, percent-decoding
 * (libmicrohttpd), every GET handler's query, and POST bodies with and
 * without the token - through the real server, over loopback, against a
 * scratch store.
 *
 * Input: byte 0 picks the method, byte 1 the headers (token, Host,
 * Content-Type); then the request target up to the first newline (bytes
 * that cannot stand in a request line are percent-encoded); the rest is
 * the body. Property: every request gets a well-formed answer within 60 s,
 * never 500, never an "out of memory" 503 (none happens here), and a JSON
 * Content-Type always carries JSON.
 */
#include "../daemon/http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct store *st;
static struct http *server;
static int port;
static char dir[] = "/tmp/svabench-fuzz-http.XXXXXX";
static const char token[] = "fuzz-token-0123456789abcdef";

static void cleanup(void)
{
	static const char *const files[] = {"svabench.db", "svabench.db-wal", "svabench.db-shm"};
	char path[128];

	http_stop(server);
	store_close(st);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void start(void)
{
	static char *argv[] = {"svabenchd", NULL};
	static struct http_ctx ctx;
	char path[128], err[512];
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	const union MHD_DaemonInfo *info;

	if (!mkdtemp(dir) || config_parse(1, argv, &cfg, err, sizeof(err)))
		abort();
	snprintf(cfg.var, sizeof(cfg.var), "%s", dir);
	cfg.port = 0; /* any free port */
	cfg.http_threads = 1;
	snprintf(path, sizeof(path), "%s/svabench.db", dir);
	st = store_open(path, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	ctx = (struct http_ctx){.store = st, .cfg = &cfg, .token = token,
				.compare = compare_cache_new(), .plots = plot_cache_new()};
	server = http_start(&ctx, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	info = MHD_get_daemon_info(server->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	if (!info || getsockname(info->listen_fd, (struct sockaddr *)&sa, &sl))
		abort();
	port = ntohs(sa.sin_port);
	atexit(cleanup);
}

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};
static const char *const hosts[] = {"127.0.0.1", "localhost:1", "[::1]:8470", "evil.example"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char req[70000], resp[1 << 20];
	const char *method, *nl, *body;
	size_t n = 0, tlen, blen, got = 0;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct timeval tv = {60, 0}; /* a hang, not a slow machine: 60 s */
	int fd, status;
	unsigned flags;

	if (!server)
		start();
	if (size < 2 || size > 60000)
		return 0;
	method = methods[data[0] % 6];
	flags = data[1];
	data += 2, size -= 2;
	nl = memchr(data, '\n', size);
	tlen = nl ? (size_t)(nl - (const char *)data) : size;
	body = nl ? nl + 1 : NULL;
	blen = nl ? size - tlen - 1 : 0;
	/* the calibration would run for seconds: not a parser */
	if (tlen >= 17 && !memcmp(data, "/api/v1/calibrate", 17) && !strcmp(method, "POST"))
		return 0;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "%s %s", method, tlen && data[0] == '/' ? "" : "/");
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = data[i];

		if (c <= ' ' || c >= 0x7f)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "%%%02X", c);
		else
			req[n++] = (char)c;
	}
	n += (size_t)snprintf(req + n, sizeof(req) - n, " HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n",
			      hosts[(flags >> 2) & 3]);
	if (flags & 1)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "Authorization: Bearer %s\r\n", token);
	if (flags & 2)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "Content-Type: application/json\r\n");
	if (body)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "Content-Length: %zu\r\n", blen);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	if (body && n + blen < sizeof(req)) {
		memcpy(req + n, body, blen);
		n += blen;
	}

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort();
	if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(fd);
		return 0; /* the server may cut a refused body short */
	}
	for (;;) {
		ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);

		/* libFuzzer's SIGALRM (-timeout) interrupts a recv with a
		 * timeout even under SA_RESTART: a signal, not the server (a
		 * real hang still ends at -timeout) */
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "fuzz_http: no answer to %.200s: %s\n", req,
				errno == EAGAIN || errno == EWOULDBLOCK ? "none within 60 s" : strerror(errno));
			__builtin_trap();
		}
		if (r == 0 || got + (size_t)r >= sizeof(resp) - 1)
			break;
		got += (size_t)r;
	}
	close(fd);
	resp[got] = '\0';
	if (got < 12 || sscanf(resp, "HTTP/1.%*d %d", &status) != 1) {
		fprintf(stderr, "fuzz_http: no status line in answer to %.200s\n", req);
		__builtin_trap();
	}
	if (status == 500 || (status == 503 && strstr(resp, "out of memory"))) {
		fprintf(stderr, "fuzz_http: %d to %.300s:\n%.500s\n", status, req, resp);
		__builtin_trap();
	}
	if (strcmp(method, "HEAD") && strstr(resp, "Content-Type: application/json")) {
		const char *b = strstr(resp, "\r\n\r\n");
		json_error_t jerr;
		json_t *v = b ? json_loads(b + 4, 0, &jerr) : NULL;

		if (!v) {
			fprintf(stderr, "fuzz_http: JSON Content-Type without JSON to %.300s:\n%.500s\n",
				req, resp);
			__builtin_trap();
		}
		json_decref(v);
	}
	return 0;
}
