/*
 * ratelimit.c - token bucket arithmetic (see ratelimit.h for the decisions).
 *
 * Times are int64 ms, tokens doubles: a bucket's level is fractional
 * between calls, and the stored bucket (float8 in PostgreSQL) does the
 * same arithmetic. The wait rounds up, so a caller that comes back after
 * it finds a whole token unless someone else took it first.
 */
#include "ratelimit.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *rl_api_name(enum rl_api api)
{
    switch (api) {
    case RL_API_PEOPLEVOX: return "peoplevox";
    case RL_API_SHOPLINE: return "shopline";
    default: return "";
    }
}

const char *rl_priority_name(enum rl_priority p)
{
    switch (p) {
    case RL_PRIO_NORMAL: return "normal";
    case RL_PRIO_HIGH: return "high";
    case RL_PRIO_LOW: return "low";
    default: return "";
    }
}

double rl_reserve(const struct rl_limits *l, enum rl_priority p)
{
    double share = p == RL_PRIO_LOW ? RL_RESERVE_LOW : p == RL_PRIO_HIGH ? 0.0 : RL_RESERVE_NORMAL;

    return fmin(share * l->burst, fmax(0.0, l->burst - 1.0));
}

double rl_rate_at(const struct rl_limits *l, const struct rl_bucket *b, int64_t now_ms)
{
    return now_ms < b->slow_until_ms ? l->rate_per_s / 2.0 : l->rate_per_s;
}

void rl_refill(const struct rl_limits *l, struct rl_bucket *b, int64_t now_ms)
{
    double earned;

    if (now_ms <= b->updated_ms)
        return; /* pushed out (Retry-After), or no time passed */
    earned = (double)(now_ms - b->updated_ms) * rl_rate_at(l, b, now_ms) / 1000.0;
    b->tokens = fmin(l->burst, b->tokens + earned);
    b->updated_ms = now_ms;
}

bool rl_take(const struct rl_limits *l, struct rl_bucket *b, enum rl_priority p,
             int64_t now_ms)
{
    rl_refill(l, b, now_ms);
    if (b->tokens < 1.0 + rl_reserve(l, p))
        return false;
    b->tokens -= 1.0;
    return true;
}

int64_t rl_wait_ms(const struct rl_limits *l, const struct rl_bucket *b, enum rl_priority p,
                   int64_t now_ms)
{
    int64_t pushed = b->updated_ms > now_ms ? b->updated_ms - now_ms : 0;
    double missing = 1.0 + rl_reserve(l, p) - b->tokens;
    int64_t wait;

    if (missing <= 0.0 && pushed == 0)
        return 0;
    wait = pushed;
    if (missing > 0.0)
        wait += (int64_t)ceil(missing * 1000.0 / rl_rate_at(l, b, now_ms + pushed));
    return wait > 0 ? wait : 1;
}

void rl_shrink(struct rl_bucket *b, int64_t now_ms, int64_t retry_after_ms)
{
    int64_t refill_from = now_ms + (retry_after_ms > 0 ? retry_after_ms : 0);

    b->tokens = 0.0;
    b->slow_until_ms = now_ms + RL_SHRINK_MS;
    if (refill_from > b->updated_ms)
        b->updated_ms = refill_from;
}

/* A whole number of calls at the start of s; *end after it. -1 when none or too big. */
static long rl_parse_calls(const char *s, const char **end)
{
    char *e = NULL;
    long v;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &e, 10);
    *end = e;
    return errno != 0 || v < 1 || v > RL_CALLS_MAX ? -1 : v;
}

/* SECONDS with an optional fraction and "s", to the end of s; -1 when not that. */
static double rl_parse_seconds(const char *s)
{
    char *e = NULL;
    double v;

    if (!isdigit((unsigned char)*s))
        return -1;
    v = strtod(s, &e);
    if (*e == 's')
        e++;
    if (*e != '\0' || !isfinite(v) || v <= 0 || v > RL_WINDOW_MAX_S || v * 1000.0 < 1.0)
        return -1;
    return v;
}

/*
 * Keeps the bucket of calls per seconds (burst b0, rate r0) from passing
 * calls in any window of arrivals when a call may arrive up to margin_s
 * after its token: calls + 1 takes need (calls + 1 - burst) / rate seconds,
 * which must be at least seconds + margin_s. The burst gives way first
 * (down to 2, the least that still keeps a priority reserve, or b0 when it
 * is smaller), then the rate (see Decisions).
 */
static void rl_apply_margin(struct rl_limits *out, long calls, double seconds, double margin_s)
{
    double span = seconds + margin_s;
    double least = fmin(out->burst, 2.0);
    double fit = floor((double)calls + 1.0 - out->rate_per_s * span);

    if (margin_s <= 0.0)
        return;
    if (fit >= least) {
        out->burst = fmin(out->burst, fit);
        return;
    }
    out->burst = least;
    out->rate_per_s = ((double)calls + 1.0 - least) / span;
}

int rl_parse_window(const char *text, struct rl_limits *out, struct errbuf *err)
{
    return rl_parse_window_margin(text, 0, out, err);
}

int rl_parse_window_margin(const char *text, int64_t margin_ms, struct rl_limits *out,
                           struct errbuf *err)
{
    const char *p = NULL;
    long calls = text != NULL ? rl_parse_calls(text, &p) : -1;
    double seconds = calls > 0 && *p == '/' ? rl_parse_seconds(p + 1) : -1;
    double burst;

    if (calls < 0 || seconds < 0) {
        errbuf_set(err, "expected CALLS/SECONDSs, e.g. 15/15s (CALLS 1..%d, SECONDS above 0 "
                        "and at most %d)",
                   RL_CALLS_MAX, RL_WINDOW_MAX_S);
        return -1;
    }
    burst = floor((double)calls / 5.0);
    if (burst < 1.0)
        burst = 1.0;
    out->burst = burst;
    /* CALLS 1: the burst of 1 and one token per window, i.e. one call per window */
    out->rate_per_s = ((double)calls - burst > 0 ? (double)calls - burst : 1.0) / seconds;
    rl_apply_margin(out, calls, seconds, margin_ms > 0 ? (double)margin_ms / 1000.0 : 0.0);
    return 0;
}

struct rl_limits rl_leaky_limits(double rate_per_s, double burst)
{
    double margin = floor(burst / 10.0) > 1.0 ? floor(burst / 10.0) : 1.0;

    return (struct rl_limits){rate_per_s, burst - margin >= 1.0 ? burst - margin : 1.0};
}
