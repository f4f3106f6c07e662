/*
 * backoff.h - the retry schedule: exponential, capped, jittered (pure).
 *
 * The delay before retry number `attempt` (1-based) grows as
 * base_ms * 2^(attempt-1) up to cap_ms, with "equal jitter": half of that
 * ceiling is always waited and the other half is random, so the delay lies
 * in [ceil(c/2), c] for ceiling c. Chosen over "full jitter" ([0, c])
 * because our outside APIs are fragile (Peoplevox is kept nearly serial,
 * Shopline answers 429s): a retry storm must not come back at once, and
 * with equal jitter the shortest delay of attempt n+1 is never below the
 * longest of attempt n until the cap is reached. Replicas still spread out
 * over half the window.
 *
 * The randomness is an input, so the schedule is deterministic and the
 * tests can check its bounds; backoff_next_random is the xorshift64*
 * generator a caller can feed it with (one state per thread: no locking).
 */
#ifndef SHOPVOX_BACKOFF_H
#define SHOPVOX_BACKOFF_H

#include <stdint.h>

/*
 * Delay in ms before retry `attempt`. attempt < 1 counts as 1; base_ms <= 0
 * or cap_ms <= 0 give 0; cap_ms < base_ms caps the very first delay. Never
 * overflows, whatever the attempt.
 */
int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t random);

/*
 * Advances *state (xorshift64*) and returns the next 64 random bits. Seed
 * it with anything (time, pid, thread id); a zero state is replaced by a
 * fixed non-zero seed, since zero is xorshift's fixed point. Not for
 * cryptography.
 */
uint64_t backoff_next_random(uint64_t *state);

#endif
