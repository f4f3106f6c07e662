/*
 * claim_cursor.h - where an applier thread's next claim of pending rows
 * starts (pure; intake_apply.c's threads each keep one).
 *
 * A claim walks the pending index (sql/031) in id order from its lower
 * bound. An applied row leaves the index only when VACUUM comes by, so a
 * claim from the start steps over every row applied since: ~13 ms a claim
 * halfway through a 50,000-row backlog, against ~1 ms (76 blocks) from
 * where the thread's last claim ended. So a thread whose claim came back
 * full claims next from past the last id it got.
 *
 * Rows below that cursor can still be pending: one whose INSERT committed
 * after a higher id's (ids are drawn before the commit), one left for a
 * retry, one another replica's pass held and released. So a claim that
 * comes back short, and the first claim after CLAIM_CURSOR_RESET_MS of
 * cursor claims, start from the beginning again: such a row waits that long
 * at most while a backlog drains. Only a claim from the beginning that
 * finds nothing says the thread's partition is empty.
 */
#ifndef SHOPVOX_CLAIM_CURSOR_H
#define SHOPVOX_CLAIM_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

#define CLAIM_CURSOR_RESET_MS 2000

struct claim_cursor {
    int64_t after;    /* the next claim takes ids above this; 0: from the start */
    int64_t since_ms; /* when the claims from a cursor began */
};

/* A cursor at the start. */
void claim_cursor_init(struct claim_cursor *c);

/* The next claim's lower bound (exclusive) at now_ms. */
int64_t claim_cursor_next(struct claim_cursor *c, int64_t now_ms);

/*
 * After the claim claim_cursor_next started (of max rows) claimed
 * `claimed`, the last with id last_id, in a pass that ok (committed).
 * Returns whether the partition was found empty: a claim from the start
 * that found nothing.
 */
bool claim_cursor_done(struct claim_cursor *c, bool ok, int max, int claimed, int64_t last_id,
                       int64_t now_ms);

#endif
