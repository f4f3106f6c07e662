/*
 * ratelimit_store.h - the rate_buckets table (libpq): the token buckets
 * every replica shares, one row per (API, store).
 *
 * A take is ONE statement (a row lock, the refill by the database clock's
 * elapsed time, capped at the burst, and the take of a whole token), so
 * concurrent takers on any number of connections never get more than the
 * bucket allows; the database's clock is the only clock, so replicas with
 * skewed clocks still share one budget. The arithmetic is ratelimit.h's,
 * checked against this statement by integration.it_ratelimit. A row is
 * created full on first use. Functions run in autocommit (a caller must
 * hold no transaction open on c: a bucket's row lock is held only for its
 * own statement). Strings are borrowed.
 */
#ifndef SHOPVOX_RATELIMIT_STORE_H
#define SHOPVOX_RATELIMIT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "ratelimit.h"
#include "store.h"

/* What a take got. */
struct ratelimit_grant {
    bool granted;      /* a token was taken: the call may be sent now */
    double tokens;     /* the bucket's level after the take */
    int64_t wait_ms;   /* when not granted: until a whole token is there (>= 1) */
    bool paused;       /* the shop's outbound calls are paused (outbound_pauses): refused */
};

/*
 * Takes one token at priority prio from (api, shop)'s bucket with limits
 * l: granted only when a whole token is there above prio's reserve
 * (rl_reserve). ST_RETRY/ST_FAIL: database.
 */
enum st ratelimit_store_take(struct store_conn *c, enum rl_api api, const char *shop,
                             const struct rl_limits *l, enum rl_priority prio,
                             struct ratelimit_grant *out, struct errbuf *err);

/*
 * The API refused a call for load: the bucket is emptied and refills at
 * half rate for RL_SHRINK_MS, not at all for retry_after_ms (0: none).
 */
enum st ratelimit_store_shrink(struct store_conn *c, enum rl_api api, const char *shop,
                               const struct rl_limits *l, int64_t retry_after_ms,
                               struct errbuf *err);

/* A bucket as the operator sees it (ratelimit_store_level). */
struct ratelimit_level {
    bool exists;              /* false: never used (it starts full) */
    double tokens;            /* the level now, refilled by the database clock */
    char updated_at[32];      /* ISO 8601 UTC */
    char slow_until[32];      /* "" unless refilling at half rate after a refusal */
    char held_until[32];      /* "" unless a Retry-After holds the refill back */
};

/* Reads (api, shop)'s bucket with limits l without taking or changing anything. */
enum st ratelimit_store_level(struct store_conn *c, enum rl_api api, const char *shop,
                              const struct rl_limits *l, struct ratelimit_level *out,
                              struct errbuf *err);

#endif
