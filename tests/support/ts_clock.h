/*
 * ts_clock.h - the tests' fake clock (unit and integration tests).
 *
 * Modules with a time-based rule take an optional now_ms_fn (common.h):
 * the Peoplevox client's cool-down, the sandbox's session idle expiry and
 * rate-limit window. A test hands them ts_clock_now with its own struct
 * ts_clock and moves time with ts_clock_advance, so the rule is checked to
 * the millisecond without sleeping and without depending on how busy the
 * machine is. Thread-safe: the clock is read from server threads.
 */
#ifndef SHOPVOX_TS_CLOCK_H
#define SHOPVOX_TS_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>

struct ts_clock {
    atomic_llong ms; /* starts wherever the test puts it; only differences matter */
};

/* Sets the clock to ms. */
void ts_clock_set(struct ts_clock *c, int64_t ms);
/* Moves the clock forward by ms. */
void ts_clock_advance(struct ts_clock *c, int64_t ms);
/* A now_ms_fn: ctx is a struct ts_clock (borrowed). */
int64_t ts_clock_now(void *ctx);

#endif
