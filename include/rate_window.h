/*
 * rate_window.h - how many events per second lately, cheaply (pure).
 *
 * Events are counted in windows of window_ms; the rate is the current
 * window's once it is complete, else the last complete one's or, when
 * higher, what the events so far in the current one already make over a
 * whole window (a burst shows as soon as it has reached a rate, not a
 * window later), and 0 once no event came for two windows. Used to tell when intake is under
 * pressure (intake_group.c defers every delivery, intake_apply.c yields).
 * Not thread-safe: the caller holds its own lock.
 */
#ifndef SHOPVOX_RATE_WINDOW_H
#define SHOPVOX_RATE_WINDOW_H

#include <stdint.h>

struct rate_window {
    int window_ms;
    int64_t start_ms;  /* the current window's start */
    long count;        /* events in it */
    long last_rate;    /* per second in the last complete window */
};

/* A window of window_ms (> 0); nothing counted yet. */
void rate_window_init(struct rate_window *w, int window_ms);

/* n events at now_ms (monotonic). */
void rate_window_add(struct rate_window *w, int64_t now_ms, long n);

/* Events per second lately, as of now_ms. */
long rate_window_per_s(const struct rate_window *w, int64_t now_ms);

#endif
