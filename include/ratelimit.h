/*
 * ratelimit.h - the arithmetic of the shared token bucket (pure).
 *
 * Every outbound call to Peoplevox or SHOPLINE takes a token from a bucket
 * kept in PostgreSQL, one row per (API, store), so all replicas together
 * stay within one budget. The bucket's state lives in the database and is
 * changed by one SQL statement (ratelimit_store.h); this module is the
 * same arithmetic in C, with the rules that are decided here only (the
 * wait, the shrink, the limits of a PEOPLEVOX_RATE text), so they are
 * table-tested without a database, and the store's statement is checked
 * against it (integration test it_ratelimit).
 *
 * Decisions:
 *  - Token bucket: `tokens` refills at `rate_per_s` up to `burst`; a call
 *    needs one whole token. Any window of T seconds therefore holds at most
 *    burst + rate_per_s * T calls, whatever the number of replicas.
 *  - Times are relative ms on one clock (the database's, for the stored
 *    bucket), so replicas with skewed clocks still share one budget.
 *  - Shrink (the far side said "too many": HTTP 429, Peoplevox's 503
 *    "Server Too Busy", a rate-limit text): the bucket is emptied, it
 *    refills at half the rate for RL_SHRINK_MS, and a Retry-After pushes
 *    the next refill out by that much (no refill at all before it). A
 *    second refusal while shrunk extends the slow period; it does not
 *    halve again (the in-process cool-down of the Peoplevox client backs
 *    off exponentially already).
 *  - A refill across the end of a slow period is counted at the rate of
 *    its end: at worst a few tokens early, still within the configured
 *    budget (only the shrink's extra margin is shortened).
 *  - PEOPLEVOX_RATE "CALLS/SECONDSs" is what Peoplevox allows: at most
 *    CALLS calls in any window of SECONDS (the community-reported limit is
 *    15/15s; the sandbox enforces it as a sliding window). A bucket with
 *    burst B and rate R allows B + R * SECONDS calls in such a window, so
 *    the limits are burst = max(1, CALLS / 5) and rate = (CALLS - burst) /
 *    SECONDS: never above CALLS in any window, 80 % of the budget usable
 *    at a steady rate plus a small burst (15/15s: burst 3, 0.8 calls/s).
 *  - Peoplevox counts a call when it arrives, the bucket when its token is
 *    taken; a call can arrive later than it took its token (a loaded
 *    machine, a slow connect), and a late first call with on-time others
 *    squeezes more calls into Peoplevox's window than the bucket allowed.
 *    CALLS + 1 takes need (CALLS + 1 - burst) / rate seconds, so the
 *    bucket above tolerates (CALLS + 1 - burst) / rate - SECONDS of such
 *    lateness (15/15s: 1.25 s; one refusal in the issue 12 drain under load
 *    said that was too little). The margin (SHOPVOX_PVX_RATE_MARGIN_MS,
 *    rl_parse_window_margin) is the lateness to absorb: the burst is cut
 *    first, which costs no steady throughput, but not below 2 (a burst
 *    under 2 keeps no priority reserve), then the rate. 15/15s with the
 *    default 2500 ms: burst 2, still 0.8 calls/s.
 *  - SHOPLINE publishes its bucket (4/s, burst 40): the limits are those,
 *    with a burst kept a tenth (at least one call) under the store's
 *    (rl_leaky_limits). Run at its full rate, a bucket exactly the store's
 *    size keeps the store's leaky bucket at the brim after a burst, and a
 *    call delayed a few ms on the way and the next one not tips it over: a
 *    429, and half the rate for a minute. The margin absorbs burst / 10 /
 *    rate seconds of such jitter (1 s at 4/s, 40) and costs no throughput.
 *  - Priorities, for when the budget is short: a take is high, normal or
 *    low. A lower priority may take a token only while the bucket keeps a
 *    reserve after it (rl_reserve: none for high, a quarter of the burst
 *    for normal, half of it for low), so the tokens that trickle in while
 *    high-priority callers keep asking go to them, and lower ones wait
 *    until the high demand falls below the refill rate. The reserve is at
 *    most burst - 1, so a full bucket serves every priority (a bucket of
 *    one token cannot reserve anything: priorities have no effect there).
 *    Who is which: Sales Order posts and cancellations, and Shopline
 *    fulfillments, are high; catalogue reads and inventory pushes low;
 *    everything else normal. Priorities never raise the budget: they only
 *    decide who waits.
 */
#ifndef SHOPVOX_RATELIMIT_H
#define SHOPVOX_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"

#define RL_SHRINK_MS 60000    /* a refusal halves the refill rate for this long */
#define RL_CALLS_MAX 100000   /* PEOPLEVOX_RATE bounds */
#define RL_WINDOW_MAX_S 86400

/* The APIs with a bucket; rl_api_name gives the table's and metrics' label. */
enum rl_api { RL_API_PEOPLEVOX, RL_API_SHOPLINE, RL_API_COUNT };

/* How urgent a take is (see Decisions); 0 is normal, the default. */
enum rl_priority { RL_PRIO_NORMAL, RL_PRIO_HIGH, RL_PRIO_LOW, RL_PRIO_COUNT };

#define RL_RESERVE_NORMAL 0.25 /* share of the burst a normal take leaves */
#define RL_RESERVE_LOW 0.5     /* share of the burst a low take leaves */

struct rl_limits {
    double rate_per_s;  /* refill; > 0 */
    double burst;       /* bucket size, >= 1 */
};

/* One bucket at a point of its clock (ms). */
struct rl_bucket {
    double tokens;          /* 0..burst */
    int64_t updated_ms;     /* refilled up to here; after "now" when a Retry-After
                               pushed the next refill out */
    int64_t slow_until_ms;  /* refills at half rate before this */
};

/* "peoplevox" or "shopline" ("" for an unknown value). */
const char *rl_api_name(enum rl_api api);

/* "normal", "high" or "low" ("" for an unknown value). */
const char *rl_priority_name(enum rl_priority p);

/*
 * Tokens a take of priority p must leave in the bucket: 0 for high, a
 * share of the burst for normal and low, at most burst - 1.
 */
double rl_reserve(const struct rl_limits *l, enum rl_priority p);

/* The refill rate at now_ms: halved while the bucket is shrunk. */
double rl_rate_at(const struct rl_limits *l, const struct rl_bucket *b, int64_t now_ms);

/* Adds the tokens earned since updated_ms (capped at burst); nothing before it. */
void rl_refill(const struct rl_limits *l, struct rl_bucket *b, int64_t now_ms);

/*
 * Refills, then takes one token at priority p when the bucket holds a
 * whole one above p's reserve: true. Else false, and the bucket is only
 * refilled.
 */
bool rl_take(const struct rl_limits *l, struct rl_bucket *b, enum rl_priority p,
             int64_t now_ms);

/*
 * After rl_take at priority p said no: ms until a whole token above p's
 * reserve is there (the pushed-out refill included), at least 1. 0 when
 * one is there now.
 */
int64_t rl_wait_ms(const struct rl_limits *l, const struct rl_bucket *b, enum rl_priority p,
                   int64_t now_ms);

/*
 * The far side refused a call for load at now_ms: empty the bucket, refill
 * at half rate until now + RL_SHRINK_MS, and not at all until now +
 * retry_after_ms (a Retry-After; 0 when none).
 */
void rl_shrink(struct rl_bucket *b, int64_t now_ms, int64_t retry_after_ms);

/*
 * Parses PEOPLEVOX_RATE, "CALLS/SECONDSs" (e.g. "15/15s"; the "s" may be
 * left out; SECONDS may have a fraction, "5/0.5s"): CALLS 1..RL_CALLS_MAX,
 * SECONDS > 0 and <= RL_WINDOW_MAX_S, and at least 1 ms. Fills *out with the
 * bucket that never passes CALLS in any such window (see Decisions).
 * 0, or -1 with err saying what was expected.
 */
int rl_parse_window(const char *text, struct rl_limits *out, struct errbuf *err);

/*
 * rl_parse_window for calls that may reach Peoplevox up to margin_ms after
 * they took their token (SHOPVOX_PVX_RATE_MARGIN_MS; 0: rl_parse_window):
 * the bucket then never lets more than CALLS arrive in any window of
 * SECONDS (see Decisions). Same result and errors otherwise.
 */
int rl_parse_window_margin(const char *text, int64_t margin_ms, struct rl_limits *out,
                           struct errbuf *err);

/*
 * The bucket that keeps to a far side's leaky bucket of rate_per_s and
 * burst (SHOPLINE's): the same rate, the burst less max(1, burst / 10),
 * never below 1 (see Decisions).
 */
struct rl_limits rl_leaky_limits(double rate_per_s, double burst);

#endif
