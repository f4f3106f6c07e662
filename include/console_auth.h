/*
 * console_auth.h - the pure pieces of the web page's login and sessions
 * (no I/O; unit-tested): reading the session cookie out of a Cookie
 * header, the Set-Cookie values, and the login limiter.
 *
 * The limiter stops a client from guessing tokens: each client address
 * (hashed into CONSOLE_LIMIT_SLOTS slots, so a few addresses may share
 * one) may try CONSOLE_LOGINS_PER_WINDOW logins in a window of
 * CONSOLE_LOGIN_WINDOW_S seconds; beyond that a login is answered 429
 * without looking at the token. A successful login does not refund. This
 * limiter is per process; the failed logins are also counted in the
 * database (session_store.h), CONSOLE_LOGIN_FAILURES_PER_WINDOW per client
 * in a window across every replica, so replicas do not multiply a
 * guesser's tries.
 */
#ifndef SHOPVOX_CONSOLE_AUTH_H
#define SHOPVOX_CONSOLE_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_COOKIE "shopvox_session"
#define CONSOLE_SESSION_BYTES 32           /* 256 random bits */
#define CONSOLE_SESSION_HEX_BYTES 65       /* as hex, and the NUL */
#define CONSOLE_LIMIT_SLOTS 1024
#define CONSOLE_LOGINS_PER_WINDOW 10
#define CONSOLE_LOGIN_WINDOW_S 60
#define CONSOLE_LOGIN_FAILURES_PER_WINDOW 10 /* across replicas (console_login_failures) */

/*
 * The value of cookie name in a Cookie header (may be NULL) into out (cap
 * bytes): true when present, non-empty and shorter than cap; false (out
 * "") otherwise.
 */
bool console_cookie_get(const char *header, const char *name, char *out, size_t cap);

/*
 * The Set-Cookie value of a session (value) or, with value NULL, of its
 * deletion (Max-Age=0): HttpOnly, SameSite=Strict, Path=/, Secure when
 * secure. A session's cookie has no Max-Age: it lives as long as the
 * browser keeps it, and the server ends it after the idle timeout. Into
 * out (cap bytes).
 */
void console_cookie_format(const char *value, bool secure, char *out, size_t cap);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void console_hex(const unsigned char *in, size_t n, char *out);

struct console_limiter {
    pthread_mutex_t lock;
    struct {
        int64_t window_start_s;
        int tries;
    } slots[CONSOLE_LIMIT_SLOTS];
};

void console_limiter_init(struct console_limiter *l);
void console_limiter_cleanup(struct console_limiter *l);
/* Counts a login try of client (an address as text) at now_s: false when over the limit. */
bool console_limiter_take(struct console_limiter *l, const char *client, int64_t now_s);

#endif
