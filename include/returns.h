/*
 * returns.h - the return's state machine (pure: no I/O).
 *
 *   requested -> authorised | rejected | cancelled
 *   authorised -> awaiting_receipt | cancelled
 *   awaiting_receipt -> received | cancelled
 *   received -> inspected
 *   inspected -> returned_to_stock | written_off
 *
 * returned_to_stock, written_off, rejected and cancelled are final:
 * nothing leaves them. A "transition" to the same state is not one (it
 * is refused, so a repeated command or delivery writes no history).
 * The store (return_store.h) applies only what this allows.
 */
#ifndef SHOPVOX_RETURNS_H
#define SHOPVOX_RETURNS_H

#include <stdbool.h>

enum return_state {
    RETURN_REQUESTED = 0,
    RETURN_AUTHORISED,
    RETURN_AWAITING_RECEIPT,
    RETURN_RECEIVED,
    RETURN_INSPECTED,
    RETURN_RETURNED_TO_STOCK,
    RETURN_WRITTEN_OFF,
    RETURN_REJECTED,
    RETURN_CANCELLED
};
#define RETURN_STATE_COUNT (RETURN_CANCELLED + 1)

/* The state's name as stored ("awaiting_receipt"); "unknown" out of range. */
const char *return_state_name(enum return_state s);
/* true and *out set for a stored name (exact, lower case); false (and *out untouched) else. */
bool return_state_parse(const char *name, enum return_state *out);
/* Whether from -> to is one of the transitions above (same state: false). */
bool return_transition_allowed(enum return_state from, enum return_state to);
/* Whether nothing leaves s. */
bool return_state_final(enum return_state s);

/* How a return request is handled (SHOPVOX_RETURNS_MODE). */
enum returns_mode { RETURNS_MODE_AUTHORISE = 0, RETURNS_MODE_AUTO };
const char *returns_mode_name(enum returns_mode m);
/* true and *out set for "authorise" or "auto"; false else. */
bool returns_mode_parse(const char *name, enum returns_mode *out);

#endif
