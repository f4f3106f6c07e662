/*
 * it_wait.h - waiting for a condition with a deadline, never for a fixed time.
 *
 * A test synchronises on what it waits for (a row, a counter in the
 * sandbox, a line in a log, a child's exit), polled until a deadline. A
 * fixed sleep standing in for "long enough" is what makes a suite slow on
 * a quiet machine and flaky on a busy one, so there is none in tests/.
 *
 * The poll interval starts at IT_POLL_FIRST_MS and doubles up to
 * IT_POLL_MAX_MS: a condition that is nearly there costs a few
 * milliseconds, a long wait does not hammer the database.
 */
#ifndef SHOPVOX_IT_WAIT_H
#define SHOPVOX_IT_WAIT_H

#include <stdbool.h>

#define IT_POLL_FIRST_MS 2
#define IT_POLL_MAX_MS 50

/*
 * Calls cond(arg) until it returns true or timeout_ms have passed (it is
 * always called at least once, and once more at the deadline). Returns
 * whether it became true.
 */
bool it_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

#endif
