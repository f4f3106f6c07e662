/*
 * common.h - the few building blocks every module shares.
 *
 * One status enum for anything the outside world can fail (describe low,
 * decide high), a fixed-size error buffer the failing module fills, and
 * allocation helpers that abort on out-of-memory: a half-built request is
 * worse than a clean crash that the supervisor restarts.
 */
#ifndef SHOPVOX_COMMON_H
#define SHOPVOX_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Outcome of any call that talks to the outside world. */
enum st {
    ST_OK = 0,
    ST_RETRY, /* transient: timeouts, 5xx, 429, lost connection, session */
    ST_FAIL   /* permanent: validation, per-row rejection, bad input */
};

/* Human-readable name of a status ("ok", "retry", "fail"). */
const char *st_name(enum st s);

#define ERRBUF_MAX 512

/* Why the last call failed; filled by the module that failed. */
struct errbuf {
    char msg[ERRBUF_MAX];
};

#if defined(__GNUC__)
#define SV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SV_PRINTF(a, b)
#endif

/* Formats into e (truncating); e may be NULL. */
void errbuf_set(struct errbuf *e, const char *fmt, ...) SV_PRINTF(2, 3);
void errbuf_clear(struct errbuf *e);

/* Allocation that never returns NULL (aborts on exhaustion). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);       /* s may be NULL -> NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) SV_PRINTF(1, 2);

/* Monotonic and wall clock helpers. */
int64_t now_ms_monotonic(void);
int64_t now_ns_monotonic(void); /* for durations shorter than a millisecond */
int64_t now_ms_wall(void);
/*
 * Timed waits on the monotonic clock (a wall-clock step neither ends nor
 * stretches them): a condition made with cond_init_monotonic, waited on
 * with pthread_cond_timedwait until deadline_after_ms(ms).
 */
void cond_init_monotonic(pthread_cond_t *c);
struct timespec deadline_after_ms(long ms);

/*
 * An injectable clock (ms, only differences matter): a module with a
 * time-based rule (a cool-down, an idle expiry, a sliding window) takes
 * an optional now_ms_fn and its ctx, so tests advance a fake clock instead
 * of sleeping. now_ms_from(NULL, ...) is now_ms_monotonic().
 */
typedef int64_t (*now_ms_fn)(void *ctx);
int64_t now_ms_from(now_ms_fn now_ms, void *ctx);

#if defined(__GNUC__)
#define SV_FALLTHROUGH __attribute__((fallthrough))
#else
#define SV_FALLTHROUGH ((void)0)
#endif

/*
 * Length of the well-formed UTF-8 character at s (n bytes left, n >= 1),
 * 0 when there is none (a stray continuation byte, an overlong form, a
 * surrogate, past U+10FFFF, cut short).
 */
size_t utf8_char_len(const unsigned char *s, size_t n);

/*
 * This process's name among the replicas, "host:pid" (the host is the
 * pod's name in Kubernetes), into out: what jobs.locked_by starts with
 * and what the scheduler status shows.
 */
void replica_name(char *out, size_t cap);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
