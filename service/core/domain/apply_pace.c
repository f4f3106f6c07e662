/*
 * apply_pace.c - how hard one applier thread works next (see apply_pace.h).
 */
#include "apply_pace.h"

static int smaller(int a, int b)
{
    return a < b ? a : b;
}

void apply_pace_init(struct apply_pace *p, int batch_max)
{
    p->batch_max = batch_max < 1 ? 1 : batch_max;
    p->ramp = smaller(APPLY_PRESSED_BATCH, p->batch_max);
    p->settle = false; /* a killed process may have left rows: look at once */
}

enum apply_step apply_pace_step(struct apply_pace *p, bool pressed, bool holding, int *max)
{
    if (pressed) {
        if (holding)
            return APPLY_HOLD;
        *max = smaller(APPLY_PRESSED_BATCH, p->batch_max);
        return APPLY_PASS;
    }
    if (p->settle) {
        p->settle = false;
        return APPLY_SETTLE;
    }
    *max = p->ramp;
    return APPLY_PASS;
}

void apply_pace_done(struct apply_pace *p, int max, int claimed)
{
    if (claimed <= 0) {
        p->ramp = smaller(APPLY_PRESSED_BATCH, p->batch_max);
        p->settle = true;
    } else if (max == p->ramp && claimed >= max) {
        p->ramp = smaller(p->ramp * 2, p->batch_max);
    }
}
