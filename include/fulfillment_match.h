/*
 * fulfillment_match.h - is one of an order's Shopline fulfillments this
 * despatch's? And what did a refusal of a fulfillment mean? (pure)
 *
 * create_fulfillment never re-sends a POST blindly: after a lost reply, on
 * any attempt after the first, and on a 422 "already fulfilled", it lists
 * the order's fulfillments and adopts the one that is this despatch's.
 *
 * Decisions:
 *  - A fulfillment is this despatch's when it carries the same lines with
 *    the same quantities (line ids compared as text, a line named twice
 *    summed, order ignored) and, when the despatch has a tracking number,
 *    that number among its tracking numbers. The tracking number alone is
 *    not enough: a carrier may reuse a number across parcels, or one
 *    parcel may hold two despatches, and adopting a fulfillment of other
 *    lines would mark lines shipped that Shopline never saw. A despatch
 *    without a tracking number matches by its lines only.
 *  - Fulfillments already recorded for another despatch of the order
 *    (`taken`) never match: two untracked despatches of one unit each of
 *    the same line have identical lines, and each must keep its own.
 *  - A cancelled, failed or errored fulfillment never matches: it shipped
 *    nothing.
 *  - Shopline words a 422 in free text. "already" with "fulfil" ("line
 *    items are already fulfilled", "has already been fulfilled") reads as
 *    already fulfilled; any other mention of "cancel" as a cancelled order;
 *    everything else as another refusal.
 */
#ifndef SHOPVOX_FULFILLMENT_MATCH_H
#define SHOPVOX_FULFILLMENT_MATCH_H

#include <stddef.h>

#include "shopline_json.h"

/*
 * The index in listed of the fulfillment that is the despatch's (tracking
 * "" or NULL: none; lines[0..n_lines-1]), skipping the ids in
 * taken[0..n_taken-1]; -1 when none is.
 */
long fulfillment_match(const struct shopline_fulfillments *listed, const char *tracking,
                       const struct shopline_line_qty *lines, size_t n_lines,
                       const char *const *taken, size_t n_taken);

enum fulfillment_refusal {
    FULFILLMENT_REFUSED_OTHER,
    FULFILLMENT_REFUSED_ALREADY,    /* the lines are already fulfilled */
    FULFILLMENT_REFUSED_CANCELLED   /* the order is cancelled */
};

/* What a 422's `errors` text (as shopline_outcome.errors has it) says. */
enum fulfillment_refusal fulfillment_refusal_of(const char *errors);

#endif
