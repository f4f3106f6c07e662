/*
 * backoff.c - exponential backoff with equal jitter, and the xorshift64*
 * generator that feeds it (see backoff.h for why equal jitter).
 *
 * The ceiling doubles by repeated comparison against the cap instead of
 * computing base << (attempt - 1), so a large attempt count or base can
 * never overflow: doubling stops as soon as the cap is reached, which is
 * after at most 63 steps.
 */
#include "backoff.h"

#define XORSHIFT_ZERO_SEED UINT64_C(0x9E3779B97F4A7C15)
#define XORSHIFT_STAR_MULT UINT64_C(0x2545F4914F6CDD1D)

/* min(cap_ms, base_ms * 2^(attempt-1)); base_ms, cap_ms > 0, attempt >= 1. */
static int64_t backoff_ceiling_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
    int64_t c = base_ms < cap_ms ? base_ms : cap_ms;
    int i;

    for (i = 1; i < attempt && c < cap_ms; i++)
        c = c > cap_ms / 2 ? cap_ms : c * 2;
    return c;
}

int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t random)
{
    int64_t c, half;

    if (base_ms <= 0 || cap_ms <= 0)
        return 0;
    c = backoff_ceiling_ms(attempt < 1 ? 1 : attempt, base_ms, cap_ms);
    half = c / 2;
    return (c - half) + (int64_t)(random % ((uint64_t)half + 1));
}

uint64_t backoff_next_random(uint64_t *state)
{
    uint64_t x = *state != 0 ? *state : XORSHIFT_ZERO_SEED;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * XORSHIFT_STAR_MULT;
}
