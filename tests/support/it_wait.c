/*
 * it_wait.c - deadline waits (see it_wait.h). The only sleep in the test
 * support is the poll interval here.
 */
#include "it_wait.h"

#include <stdint.h>
#include <time.h>

#include "common.h"

static void poll_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

bool it_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    int64_t deadline = now_ms_monotonic() + timeout_ms;
    int interval = IT_POLL_FIRST_MS;

    for (;;) {
        int64_t left;

        if (cond(arg))
            return true;
        left = deadline - now_ms_monotonic();
        if (left <= 0)
            return cond(arg);
        poll_sleep_ms(left < interval ? (int)left : interval);
        if (interval < IT_POLL_MAX_MS)
            interval = interval * 2 > IT_POLL_MAX_MS ? IT_POLL_MAX_MS : interval * 2;
    }
}
