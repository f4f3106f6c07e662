/*
 * rate_window.c - events per second lately (see rate_window.h).
 */
#include "rate_window.h"

void rate_window_init(struct rate_window *w, int window_ms)
{
    w->window_ms = window_ms > 0 ? window_ms : 1;
    w->start_ms = INT64_MIN / 2;
    w->count = 0;
    w->last_rate = 0;
}

void rate_window_add(struct rate_window *w, int64_t now_ms, long n)
{
    int64_t age = now_ms - w->start_ms;

    if (age >= w->window_ms) {
        w->last_rate = age < 2 * (int64_t)w->window_ms ? (long)(w->count * 1000 / age) : 0;
        w->start_ms = now_ms;
        w->count = 0;
    }
    w->count += n;
}

long rate_window_per_s(const struct rate_window *w, int64_t now_ms)
{
    int64_t age = now_ms - w->start_ms;
    long so_far;

    if (age >= 2 * (int64_t)w->window_ms) /* nothing for a whole window: quiet */
        return 0;
    if (age >= w->window_ms)
        return (long)(w->count * 1000 / age);
    /* the window in progress: its events so far over the whole window are a
     * rate it already reached, so a burst shows before its window ends */
    so_far = w->count * 1000 / w->window_ms;
    return so_far > w->last_rate ? so_far : w->last_rate;
}
