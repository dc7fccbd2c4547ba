/*
 * buf.h - a growable byte buffer with a hard cap: the only dynamic string
 * type in the tree.  Zero-initialise or buf_init(); free with buf_free().
 * The contents are always NUL-terminated after a successful append.
 */
#ifndef MODERD_BUF_H
#define MODERD_BUF_H

#include <stddef.h>

#include "moderd.h"

struct buf {
	char  *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 means MOD_MAX_EVENT_BYTES */
};

/* buf_init: empty buffer that refuses to grow past max bytes. */
void buf_init(struct buf *b, size_t max);

/* buf_append: add n bytes; MOD_ETOOBIG (nothing added) past the cap. */
int buf_append(struct buf *b, const void *p, size_t n) MOD_MUSTCHECK;

/* buf_appendc: add one byte. */
int buf_appendc(struct buf *b, char c) MOD_MUSTCHECK;

/* buf_appends: add a NUL-terminated string. */
int buf_appends(struct buf *b, const char *s) MOD_MUSTCHECK;

/* buf_printf: formatted append, MOD_ETOOBIG past the cap. */
int buf_printf(struct buf *b, const char *fmt, ...)
    MOD_PRINTF(2, 3) MOD_MUSTCHECK;

/* buf_reset: length to zero, keep the allocation. */
void buf_reset(struct buf *b);

/* buf_cstr: the contents as a C string (never NULL). Borrowed. */
const char *buf_cstr(struct buf *b);

/* buf_steal: hand the allocation to the caller (frees with free()). */
char *buf_steal(struct buf *b);

/* buf_free: release memory; b may be reused after buf_init(). */
void buf_free(struct buf *b);

#endif /* MODERD_BUF_H */
