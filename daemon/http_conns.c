/*
 * http_conns.c - the connection budget and the request deadline.
 *
 * libmicrohttpd's own limits cannot hold against one local process: every
 * local client is 127.0.0.1, so a per-address limit is the whole budget,
 * and its timeout is an idle timeout that one byte a second resets. Here,
 * as nginx's client_header_timeout and Apache's mod_reqtimeout do, a
 * request must arrive whole within --request-timeout of the connection
 * opening (or of the previous answer on a kept-alive connection), and when
 * the budget (--conn-limit, --per-ip-limit) is full a new connection takes
 * the place of the one that has waited longest without delivering a
 * request: a connection that completes its request promptly is never
 * locked out by any number that trickle. A connection whose request is
 * being answered is never evicted.
 *
 * Connections are tracked from libmicrohttpd's connection notifications,
 * oldest first; closing one is a shutdown(2) of its socket under the
 * table's lock, which makes libmicrohttpd's thread see it end and clean it
 * up (the entry leaves the table in the CLOSED notification, before the
 * descriptor is closed; the peer address is checked as well).
 */
#define _GNU_SOURCE
#include "http_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum phase {
	WAITING,   /* no request head yet (new, or kept alive after an answer) */
	RECEIVING, /* head received, the body may still be arriving */
	ANSWERING, /* answered: the response is being sent (never evicted) */
};

struct conn {
	struct conn *prev, *next;   /* by since, oldest first */
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	enum phase phase;
	int closing;                /* shut down by us; leaves at CLOSED */
	double since;               /* when the current request's clock started */
};

struct conn_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t reaper;
	int stop, reaper_running;
	struct conn *head, *tail;
	int live;                   /* in the table and not closing */
	int limit, per_ip;
	double deadline_s;
	atomic_uint_fast64_t evicted, timed_out;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void unlink_conn(struct conn_guard *g, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	c->prev = c->next = NULL;
}

static void append_conn(struct conn_guard *g, struct conn *c)
{
	c->prev = g->tail;
	c->next = NULL;
	if (g->tail)
		g->tail->next = c;
	else
		g->head = c;
	g->tail = c;
}

static int same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr_storage *b,
		     socklen_t blen)
{
	const struct sockaddr *bb = (const struct sockaddr *)b;

	if (a->sa_family != bb->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)bb)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)bb)->sin6_addr, sizeof(struct in6_addr));
	return alen == blen && !memcmp(a, bb, alen);
}

/* Shuts c's socket down (caller holds mu); libmicrohttpd then closes it. */
static void close_conn(struct conn_guard *g, struct conn *c)
{
	struct sockaddr_storage now;
	socklen_t len = sizeof(now);

	c->closing = 1;
	g->live--;
	/* the descriptor must still be this connection's (same peer, port included) */
	if (getpeername(c->fd, (struct sockaddr *)&now, &len) == 0 && len == c->peer_len &&
	    !memcmp(&now, &c->peer, len))
		shutdown(c->fd, SHUT_RDWR);
}

/*
 * Frees a place for a new connection from addr: the oldest connection not
 * being answered (from addr when only addr's share is full). 0 when there
 * is room (now or once the evicted one closes), -1 when all are answering.
 */
static int make_room(struct conn_guard *g, const struct sockaddr *addr, socklen_t alen)
{
	int from_addr = 0;

	if (g->live >= g->per_ip) {
		for (struct conn *c = g->head; c; c = c->next)
			from_addr += !c->closing &&
				     same_addr(addr, alen, &c->peer, c->peer_len);
	}
	if (g->live < g->limit && from_addr < g->per_ip)
		return 0;
	for (struct conn *c = g->head; c; c = c->next) {
		if (c->closing || c->phase == ANSWERING)
			continue;
		if (g->live < g->limit && !same_addr(addr, alen, &c->peer, c->peer_len))
			continue; /* only addr's share is full: take from addr */
		close_conn(g, c);
		atomic_fetch_add_explicit(&g->evicted, 1, memory_order_relaxed);
		return 0;
	}
	return -1;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct conn_guard *g = cls;
	int rc;

	pthread_mutex_lock(&g->mu);
	rc = make_room(g, addr, addrlen);
	pthread_mutex_unlock(&g->mu);
	return rc ? MHD_NO : MHD_YES;
}

void guard_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
		  enum MHD_ConnectionNotificationCode toe)
{
	struct conn_guard *g = cls;
	struct conn *c = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);

		c = calloc(1, sizeof(*c));
		if (!c || !fd) {
			free(c);
			return; /* untracked: only the idle timeout applies */
		}
		c->fd = fd->connect_fd;
		c->peer_len = sizeof(c->peer);
		if (getpeername(c->fd, (struct sockaddr *)&c->peer, &c->peer_len))
			c->peer_len = 0;
		c->since = now_s();
		pthread_mutex_lock(&g->mu);
		append_conn(g, c);
		g->live++;
		pthread_mutex_unlock(&g->mu);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	unlink_conn(g, c);
	if (!c->closing)
		g->live--;
	pthread_mutex_unlock(&g->mu);
	free(c);
	*socket_context = NULL;
}

static struct conn *conn_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return i ? i->socket_context : NULL;
}

void guard_phase(struct conn_guard *g, struct MHD_Connection *connection, int phase)
{
	struct conn *c = conn_of(connection);

	if (!g || !c)
		return;
	pthread_mutex_lock(&g->mu);
	if (phase == GUARD_DONE) {
		/* answered and sent: the next request's clock starts now */
		c->phase = WAITING;
		c->since = now_s();
		unlink_conn(g, c);
		append_conn(g, c);
	} else {
		c->phase = phase == GUARD_ANSWERING ? ANSWERING : RECEIVING;
	}
	pthread_mutex_unlock(&g->mu);
}

/* Closes every connection whose request did not arrive within the deadline. */
static void *reaper_main(void *arg)
{
	struct conn_guard *g = arg;

	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		struct timespec until;
		double t = now_s();

		for (struct conn *c = g->head; c && c->since + g->deadline_s <= t; c = c->next) {
			if (c->closing || c->phase == ANSWERING)
				continue;
			close_conn(g, c);
			atomic_fetch_add_explicit(&g->timed_out, 1, memory_order_relaxed);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &until);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

struct conn_guard *guard_new(int limit, int per_ip, int deadline_s)
{
	struct conn_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->limit = limit;
	g->per_ip = per_ip < limit ? per_ip : limit;
	g->deadline_s = deadline_s;
	atomic_init(&g->evicted, 0);
	atomic_init(&g->timed_out, 0);
	if (pthread_create(&g->reaper, NULL, reaper_main, g)) {
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->mu);
		free(g);
		return NULL;
	}
	g->reaper_running = 1;
	return g;
}

void guard_stop(struct conn_guard *g)
{
	if (!g || !g->reaper_running)
		return;
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->reaper, NULL);
	g->reaper_running = 0;
}

void guard_free(struct conn_guard *g)
{
	if (!g)
		return;
	guard_stop(g);
	/* libmicrohttpd has stopped: its CLOSED notifications emptied the table */
	while (g->head) {
		struct conn *c = g->head;

		unlink_conn(g, c);
		free(c);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void guard_stats(struct conn_guard *g, struct guard_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	s->open = g->live;
	pthread_mutex_unlock(&g->mu);
	s->limit = g->limit;
	s->evicted = atomic_load_explicit(&g->evicted, memory_order_relaxed);
	s->timed_out = atomic_load_explicit(&g->timed_out, memory_order_relaxed);
}
