/*
 * ts_clock.c - the tests' fake clock (see ts_clock.h).
 */
#include "ts_clock.h"

void ts_clock_set(struct ts_clock *c, int64_t ms)
{
    atomic_store(&c->ms, (long long)ms);
}

void ts_clock_advance(struct ts_clock *c, int64_t ms)
{
    atomic_fetch_add(&c->ms, (long long)ms);
}

int64_t ts_clock_now(void *ctx)
{
    return (int64_t)atomic_load(&((struct ts_clock *)ctx)->ms);
}
