/*
 * common.c - status names, error buffers, allocation, clocks and the
 * replica's name.
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *st_name(enum st s)
{
    switch (s) {
    case ST_OK: return "ok";
    case ST_RETRY: return "retry";
    case ST_FAIL: return "fail";
    }
    return "unknown";
}

void errbuf_set(struct errbuf *e, const char *fmt, ...)
{
    va_list ap;

    if (e == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

void errbuf_clear(struct errbuf *e)
{
    if (e != NULL)
        e->msg[0] = '\0';
}

static void oom(void)
{
    fputs("fatal: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        oom();
    return p;
}

void *xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);

    if (p == NULL)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        oom();
    return q;
}

char *xstrdup(const char *s)
{
    return s == NULL ? NULL : xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_ms_monotonic(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t now_ns_monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t now_ms_wall(void)
{
    return clock_ms(CLOCK_REALTIME);
}

void cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

struct timespec deadline_after_ms(long ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

int64_t now_ms_from(now_ms_fn now_ms, void *ctx)
{
    return now_ms != NULL ? now_ms(ctx) : now_ms_monotonic();
}

void replica_name(char *out, size_t cap)
{
    char host[64] = "host";

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(out, cap, "%s:%d", host, (int)getpid());
}

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 when there is none. */
size_t utf8_char_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1
                 : s[0] < 0xc2 ? 0   /* a continuation byte, or an overlong 2-byte lead */
                 : s[0] < 0xe0 ? 2
                 : s[0] < 0xf0 ? 3
                 : s[0] < 0xf5 ? 4
                 : 0;                /* past U+10FFFF */
    /* the second byte's range rules out overlong forms, surrogates and > U+10FFFF */
    unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;

    if (len == 0 || len > n || (len > 1 && (s[1] < lo || s[1] > hi)))
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}
