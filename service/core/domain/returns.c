/*
 * returns.c - the return's state machine (see returns.h).
 *
 * One table of allowed moves, indexed by the state left: a bit per state
 * reached. Everything not in it is refused, including staying put, so the
 * store can apply "what the machine allows" without a second rule.
 */
#include "returns.h"

#include <stddef.h>
#include <string.h>

#include "common.h"

static const char *const return_state_names[RETURN_STATE_COUNT] = {
    "requested", "authorised", "awaiting_receipt", "received", "inspected",
    "returned_to_stock", "written_off", "rejected", "cancelled",
};

#define TO(s) (1u << (s))

static const unsigned return_moves[RETURN_STATE_COUNT] = {
    [RETURN_REQUESTED] = TO(RETURN_AUTHORISED) | TO(RETURN_REJECTED) | TO(RETURN_CANCELLED),
    [RETURN_AUTHORISED] = TO(RETURN_AWAITING_RECEIPT) | TO(RETURN_CANCELLED),
    [RETURN_AWAITING_RECEIPT] = TO(RETURN_RECEIVED) | TO(RETURN_CANCELLED),
    [RETURN_RECEIVED] = TO(RETURN_INSPECTED),
    [RETURN_INSPECTED] = TO(RETURN_RETURNED_TO_STOCK) | TO(RETURN_WRITTEN_OFF),
};

const char *return_state_name(enum return_state s)
{
    return (unsigned)s < RETURN_STATE_COUNT ? return_state_names[s] : "unknown";
}

bool return_state_parse(const char *name, enum return_state *out)
{
    for (unsigned i = 0; name != NULL && i < RETURN_STATE_COUNT; i++)
        if (strcmp(name, return_state_names[i]) == 0) {
            *out = (enum return_state)i;
            return true;
        }
    return false;
}

bool return_transition_allowed(enum return_state from, enum return_state to)
{
    if ((unsigned)from >= RETURN_STATE_COUNT || (unsigned)to >= RETURN_STATE_COUNT)
        return false;
    return (return_moves[from] & TO(to)) != 0;
}

bool return_state_final(enum return_state s)
{
    return (unsigned)s < RETURN_STATE_COUNT && return_moves[s] == 0;
}

const char *returns_mode_name(enum returns_mode m)
{
    return m == RETURNS_MODE_AUTO ? "auto" : "authorise";
}

bool returns_mode_parse(const char *name, enum returns_mode *out)
{
    if (name == NULL)
        return false;
    if (strcmp(name, "authorise") == 0)
        *out = RETURNS_MODE_AUTHORISE;
    else if (strcmp(name, "auto") == 0)
        *out = RETURNS_MODE_AUTO;
    else
        return false;
    return true;
}
