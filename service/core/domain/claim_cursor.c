/*
 * claim_cursor.c - where an applier thread's next claim starts (see
 * claim_cursor.h).
 */
#include "claim_cursor.h"

void claim_cursor_init(struct claim_cursor *c)
{
    c->after = 0;
    c->since_ms = 0;
}

int64_t claim_cursor_next(struct claim_cursor *c, int64_t now_ms)
{
    if (c->after > 0 && now_ms - c->since_ms >= CLAIM_CURSOR_RESET_MS)
        c->after = 0; /* rows left below the cursor wait no longer */
    return c->after;
}

bool claim_cursor_done(struct claim_cursor *c, bool ok, int max, int claimed, int64_t last_id,
                       int64_t now_ms)
{
    int64_t from = c->after; /* where the claim started */

    if (!ok || claimed < max || last_id <= from) {
        c->after = 0;
        return ok && claimed == 0 && from == 0;
    }
    if (c->after == 0)
        c->since_ms = now_ms;
    c->after = last_id;
    return false;
}
