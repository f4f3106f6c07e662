/*
 * buf.h - capped, growable byte buffer.
 *
 * Every buffer fed from outside (request bodies, HTTP responses, CSV built
 * from order data) has a hard maximum; an append past it fails and leaves
 * the buffer unchanged, so the caller can answer 413 or record an error.
 * The data is always NUL-terminated for convenience (the NUL is not counted).
 */
#ifndef SHOPVOX_BUF_H
#define SHOPVOX_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common.h"

struct buf {
    char *data;     /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;     /* hard cap on len; 0 means unlimited */
};

void buf_init(struct buf *b, size_t max_bytes);
/* Appends n bytes; returns 0, or -1 when max_bytes would be exceeded. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_appendf(struct buf *b, const char *fmt, ...) SV_PRINTF(2, 3);
/* buf_appendf with a va_list (for printf-like wrappers); ap is consumed. */
int buf_vappendf(struct buf *b, const char *fmt, va_list ap) SV_PRINTF(2, 0);
/* Empties the buffer but keeps its memory. */
void buf_reset(struct buf *b);
/* Releases the memory; the buffer may be reused after buf_init. */
void buf_cleanup(struct buf *b);
/* Hands the data to the caller (never NULL) and empties the buffer. */
char *buf_steal(struct buf *b);
/* The contents as a NUL-terminated string ("" when empty); borrowed. */
const char *buf_cstr(const struct buf *b);


/*
 * Growable arrays of any element type (uncapped: callers bound their own
 * counts). Makes room for need elements of elem_bytes in array, whose
 * capacity is *cap elements: the capacity doubles from 8, new slots are
 * zeroed, and it aborts like xrealloc on exhaustion or a size overflow.
 * Returns the array, possibly moved (array may be NULL with *cap 0):
 *
 *     v->items = buf_grow_array(v->items, &v->cap, v->n + 1, sizeof(*v->items));
 */
void *buf_grow_array(void *array, size_t *cap, size_t need, size_t elem_bytes);

#endif
