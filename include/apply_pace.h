/*
 * apply_pace.h - how hard one applier thread works on the pending inbox
 * next (pure; intake_apply.c's threads each keep one).
 *
 * Intake first. While deliveries are deferred faster than
 * INTAKE_PRESSURE_RATE (pressed), a pass takes APPLY_PRESSED_BATCH rows at
 * most, and nothing at all while the caller says the burst is young
 * (holding: its first HOLD_MS, intake_apply.c). Outside a burst, a thread
 * nudged after an idle spell first settles (waits, so that a burst which
 * is only starting shows in the rate before any pass takes a core: its
 * first ~50 ms of deliveries are deferred before it does), then its passes
 * start at APPLY_PRESSED_BATCH rows and double up to batch_max while they
 * come back full, so a backlog still drains in full passes after a few
 * short ones. A pass that finds nothing makes the thread idle again.
 */
#ifndef SHOPVOX_APPLY_PACE_H
#define SHOPVOX_APPLY_PACE_H

#include <stdbool.h>

#define APPLY_PRESSED_BATCH 4

enum apply_step {
    APPLY_HOLD,   /* a young burst: apply nothing, look again shortly */
    APPLY_SETTLE, /* idle until now: wait once before the first pass */
    APPLY_PASS,   /* a pass of *max rows */
};

struct apply_pace {
    int batch_max; /* a pass's rows at most (>= 1) */
    int ramp;      /* rows of the next pass outside a burst */
    bool settle;   /* idle: settle before the next pass */
};

/* A starting thread, whose passes take batch_max rows at most (< 1: 1): its
   first pass runs at once (rows a killed process left), then as above. */
void apply_pace_init(struct apply_pace *p, int batch_max);

/* What the thread does next; *max: the pass's rows (APPLY_PASS). */
enum apply_step apply_pace_step(struct apply_pace *p, bool pressed, bool holding, int *max);

/* After a pass of max rows that claimed claimed of them. */
void apply_pace_done(struct apply_pace *p, int max, int claimed);

#endif
