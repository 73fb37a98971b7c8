/*
 * strbuf.h - the growing string (git's strbuf): buf is always
 * NUL-terminated, len bytes long (embedded NULs allowed), and grows by
 * xrealloc, so appending cannot fail (util.h's allocation policy).
 *
 *	struct strbuf sb = STRBUF_INIT;
 *	strbuf_addf(&sb, "%d runs", n);
 *	... sb.buf ...
 *	strbuf_release(&sb);
 *
 * A zeroed struct strbuf (a member of a calloc'd struct) is empty too, but
 * its buf is NULL until the first append; STRBUF_INIT's reads as "".
 */
#ifndef SVABENCH_STRBUF_H
#define SVABENCH_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc;   /* bytes allocated at buf; 0: buf points to a static "" */
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT {.alloc = 0, .len = 0, .buf = strbuf_slopbuf}

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the storage and leaves sb empty (as STRBUF_INIT). */
void strbuf_release(struct strbuf *sb);
/* The string, owned by the caller (xmalloc'd even when empty); sb is left empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Room for extra more bytes (and the NUL) without another allocation. */
void strbuf_grow(struct strbuf *sb, size_t extra);
/* Cuts the string to len bytes (len <= sb->len). */
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen(sb, 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drops trailing blanks (spaces and tabs). */
void strbuf_rtrim_blanks(struct strbuf *sb);

#endif
