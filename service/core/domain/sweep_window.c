/*
 * sweep_window.c - the sweep's window arithmetic (see sweep_window.h).
 */
#include "sweep_window.h"

#include <stdio.h>
#include <time.h>

enum sweep_window_rc sweep_window_from(const struct sweep_window_in *in, int64_t *from_ms)
{
    int64_t floor_ms = in->now_ms - SWEEP_MAX_LOOKBACK_S * 1000;
    int64_t from;

    if (in->since_ms >= 0) {
        if (in->since_ms < floor_ms)
            return SWEEP_WINDOW_TOO_OLD;
        if (in->since_ms > in->now_ms)
            return SWEEP_WINDOW_FUTURE;
        *from_ms = in->since_ms;
        return SWEEP_WINDOW_OK;
    }
    if (in->watermark_ms < 0)
        from = in->now_ms - (int64_t)SWEEP_FIRST_LOOKBACK_S * 1000;
    else
        from = (in->watermark_ms < in->now_ms ? in->watermark_ms : in->now_ms) -
               (int64_t)SWEEP_OVERLAP_S * 1000;
    *from_ms = from < floor_ms ? floor_ms : from;
    return SWEEP_WINDOW_OK;
}

const char *sweep_window_rc_text(enum sweep_window_rc rc)
{
    switch (rc) {
    case SWEEP_WINDOW_TOO_OLD:
        return "is more than 31 days ago (the sweep never looks further back)";
    case SWEEP_WINDOW_FUTURE:
        return "is in the future";
    default:
        return "";
    }
}

int sweep_window_format(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)((ms > 0 ? ms : 0) / 1000);
    struct tm tm;
    int n;

    gmtime_r(&t, &tm);
    n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
