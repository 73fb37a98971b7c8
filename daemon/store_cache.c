/*
 * store_cache.c - serialized result documents kept in memory per
 * (experiment, with_runs), tagged with the experiment's rev: a repeated GET
 * of an unchanged experiment is a hash lookup and a memcpy. Bounded in
 * bytes; the least recently used documents go first.
 */
#include "store_impl.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_MAX_BYTES ((size_t)64 << 20)      /* all cached documents together */
#define CACHE_MAX_DOC (CACHE_MAX_BYTES / 4)

struct doc_entry {
	int64_t exp, rev;
	int with_runs;
	char *text;
	size_t len;
	struct doc_entry *hnext;        /* hash chain */
	struct doc_entry *prev, *next;  /* recency: head is the newest */
};

static size_t doc_slot(int64_t exp, int with_runs, size_t cap)
{
	uint64_t h = ((uint64_t)exp * 2 + (uint64_t)!!with_runs) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (cap - 1);
}

static struct doc_entry **doc_find(struct store *st, int64_t exp, int with_runs)
{
	struct doc_entry **p;

	if (!st->cache_cap)
		return NULL;
	for (p = &st->cache[doc_slot(exp, with_runs, st->cache_cap)]; *p; p = &(*p)->hnext)
		if ((*p)->exp == exp && (*p)->with_runs == with_runs)
			return p;
	return NULL;
}

static void lru_unlink(struct store *st, struct doc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		st->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		st->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct store *st, struct doc_entry *e)
{
	e->prev = NULL;
	e->next = st->lru_head;
	if (st->lru_head)
		st->lru_head->prev = e;
	st->lru_head = e;
	if (!st->lru_tail)
		st->lru_tail = e;
}

static void doc_drop(struct store *st, struct doc_entry **p)
{
	struct doc_entry *e = *p;

	*p = e->hnext;
	lru_unlink(st, e);
	st->cache_bytes -= e->len;
	st->cache_n--;
	free(e->text);
	free(e);
}

char *store_cache_get(struct store *st, int64_t exp, int with_runs, int64_t rev, size_t *len)
{
	struct doc_entry **p, *e;
	char *copy = NULL;

	pthread_mutex_lock(&st->cache_lock);
	p = doc_find(st, exp, with_runs);
	if (p && (e = *p)->rev == rev && (copy = malloc(e->len + 1))) {
		memcpy(copy, e->text, e->len + 1);
		*len = e->len;
		lru_unlink(st, e);
		lru_push(st, e);
	}
	pthread_mutex_unlock(&st->cache_lock);
	return copy;
}

void store_cache_put(struct store *st, int64_t exp, int with_runs, int64_t rev,
		      const char *text, size_t len)
{
	struct doc_entry **p, *e;

	if (len > CACHE_MAX_DOC)
		return;
	pthread_mutex_lock(&st->cache_lock);
	if ((p = doc_find(st, exp, with_runs))) {
		if ((*p)->rev >= rev)
			goto out;   /* a newer one raced us in */
		doc_drop(st, p);
	}
	if (st->cache_n + 1 > st->cache_cap) {
		size_t cap = st->cache_cap ? st->cache_cap * 2 : 256;
		struct doc_entry **v = calloc(cap, sizeof(*v)), *next;

		if (!v)
			goto out;
		for (size_t i = 0; i < st->cache_cap; i++)
			for (e = st->cache[i]; e; e = next) {
				size_t j;

				next = e->hnext;
				j = doc_slot(e->exp, e->with_runs, cap);
				e->hnext = v[j];
				v[j] = e;
			}
		free(st->cache);
		st->cache = v;
		st->cache_cap = cap;
	}
	while (st->lru_tail && st->cache_bytes + len > CACHE_MAX_BYTES)
		doc_drop(st, doc_find(st, st->lru_tail->exp, st->lru_tail->with_runs));
	e = calloc(1, sizeof(*e));
	if (!e || !(e->text = malloc(len + 1))) {
		free(e);
		goto out;
	}
	memcpy(e->text, text, len + 1);
	e->len = len;
	e->exp = exp;
	e->rev = rev;
	e->with_runs = with_runs;
	p = &st->cache[doc_slot(exp, with_runs, st->cache_cap)];
	e->hnext = *p;
	*p = e;
	lru_push(st, e);
	st->cache_bytes += len;
	st->cache_n++;
out:
	pthread_mutex_unlock(&st->cache_lock);
}

void store_cache_free(struct store *st)
{
	struct doc_entry *e, *next;

	for (e = st->lru_head; e; e = next) {
		next = e->next;
		free(e->text);
		free(e);
	}
	free(st->cache);
	st->cache = NULL;
	st->lru_head = st->lru_tail = NULL;
	st->cache_cap = st->cache_n = st->cache_bytes = 0;
}
