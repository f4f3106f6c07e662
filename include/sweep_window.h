/*
 * sweep_window.h - the time window of the missed-order-webhook sweep (pure).
 *
 * The sweep asks Shopline for the orders updated since a time. That time
 * comes from the watermark (when the last complete sweep started, on our
 * clock) minus an overlap: an order written just before that start may
 * not have been visible in Shopline's listing yet, and the two clocks may
 * differ by seconds; the overlap absorbs both (re-reading an order costs a
 * no-op). The first sweep, with no watermark, looks back a fixed time. No
 * window starts before a floor (now minus SWEEP_MAX_LOOKBACK_S): a sweep
 * never walks a store's whole history, and an operator's --since further
 * back is refused, not clamped. A watermark in the future (a clock put
 * back) counts as now.
 */
#ifndef SHOPVOX_SWEEP_WINDOW_H
#define SHOPVOX_SWEEP_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define SWEEP_OVERLAP_S 600                   /* 10 minutes re-read before the watermark */
#define SWEEP_FIRST_LOOKBACK_S 86400          /* the first sweep: the last 24 hours */
#define SWEEP_MAX_LOOKBACK_S (31L * 86400)    /* the floor: never further back than this */

struct sweep_window_in {
    int64_t now_ms;        /* wall clock */
    int64_t watermark_ms;  /* start of the last complete sweep, -1: none yet */
    int64_t since_ms;      /* an operator's --since, -1: none (the watermark decides) */
};

enum sweep_window_rc {
    SWEEP_WINDOW_OK = 0,
    SWEEP_WINDOW_TOO_OLD,   /* since_ms before the floor */
    SWEEP_WINDOW_FUTURE     /* since_ms after now */
};

/* The first updated_at of the window into *from_ms; an operator's since is checked, not moved. */
enum sweep_window_rc sweep_window_from(const struct sweep_window_in *in, int64_t *from_ms);

/* What went wrong with a since, for a message ("" for OK). */
const char *sweep_window_rc_text(enum sweep_window_rc rc);

/* ms as "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds rounded down) into out; -1 if cap is short. */
int sweep_window_format(int64_t ms, char *out, size_t cap);

#endif
