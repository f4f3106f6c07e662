/*
 * buf.c - capped growable buffer and growable arrays (see buf.h for the
 * contracts).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max_bytes)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max_bytes;
}

static int buf_reserve(struct buf *b, size_t extra)
{
    size_t need;
    size_t cap;

    if (b->max != 0 && (extra > b->max || b->len > b->max - extra))
        return -1;
    if (extra > SIZE_MAX - b->len - 1)      /* len + extra + 1 would wrap around */
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n;
    int rc = -1;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n >= 0 && buf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
        rc = 0;
    }
    va_end(again);
    return rc;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void buf_cleanup(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

char *buf_steal(struct buf *b)
{
    char *p = b->data != NULL ? b->data : xstrdup("");

    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

const char *buf_cstr(const struct buf *b)
{
    return b->data != NULL ? b->data : "";
}

void *buf_grow_array(void *array, size_t *cap, size_t need, size_t elem_bytes)
{
    size_t n = *cap ? *cap : 8;

    if (need <= *cap)
        return array;
    while (n < need)
        n = n <= SIZE_MAX / 2 ? n * 2 : need;
    if (elem_bytes != 0 && n > SIZE_MAX / elem_bytes)
        abort(); /* a size no allocator can give: as out of memory */
    array = xrealloc(array, n * elem_bytes);
    memset((char *)array + *cap * elem_bytes, 0, (n - *cap) * elem_bytes);
    *cap = n;
    return array;
}
