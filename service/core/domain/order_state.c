/*
 * order_state.c - the order's state machine (see order.h): state names,
 * what a payload implies (paid, cancelled, the intake state), the
 * transition intake applies to a stored order, and what a paid order
 * gives the warehouse.
 *
 * Pure: no I/O and no clock. The callers decide what to store and which
 * job to enqueue from the answers (intake.c when a webhook arrives, the
 * post job's Tx1). Webhooks arrive at least once and unordered, so
 * order_next_state is safe on a redelivery: the post is enqueued only when
 * an order becomes ready (or a paid update re-checks a not_for_warehouse
 * one), never again for an order already ready; a posted order's state is
 * the warehouse's, and intake only enqueues its cancellation.
 *
 * Nothing to ship. Whether a paid order has anything for the warehouse
 * (order_content_of) is a pure rule here, applied by the post job's Tx1
 * before the SKU checks rather than at intake: Tx1 already re-reads the
 * stored lines for every decision (new orders, re-checks of held ones,
 * lines changed by orders/updated before the post), so the rule and its
 * exception live in one place, and an order never reaches Peoplevox
 * with zero item rows.
 */
#include "order.h"

#include <ctype.h>
#include <string.h>

/* ---- state names -------------------------------------------------------- */

static const char *const order_state_names[ORDER_STATE_COUNT] = {
    [ORDER_AWAITING_PAYMENT] = "awaiting_payment",
    [ORDER_READY] = "ready",
    [ORDER_SENT] = "sent",
    [ORDER_PARTIALLY_DESPATCHED] = "partially_despatched",
    [ORDER_DESPATCHED] = "despatched",
    [ORDER_FULFILLED] = "fulfilled",
    [ORDER_ON_HOLD] = "on_hold",
    [ORDER_CANCELLED] = "cancelled",
    [ORDER_NOT_FOR_WAREHOUSE] = "not_for_warehouse",
};

const char *order_state_name(enum order_state s)
{
    if ((unsigned)s >= ORDER_STATE_COUNT)
        return "unknown";
    return order_state_names[s];
}

int order_state_parse(const char *name, enum order_state *out)
{
    size_t i;

    if (name == NULL)
        return -1;
    for (i = 0; i < ORDER_STATE_COUNT; i++) {
        if (strcmp(name, order_state_names[i]) == 0) {
            *out = (enum order_state)i;
            return 0;
        }
    }
    return -1;
}

/* ---- what a payload implies --------------------------------------------- */

/* NULL paid_statuses means the configured default, "paid". */
bool order_is_paid(const char *financial_status, const char *paid_statuses)
{
    const char *p = paid_statuses != NULL ? paid_statuses : "paid";
    size_t want = financial_status != NULL ? strlen(financial_status) : 0;

    if (want == 0)
        return false;
    while (*p != '\0') {
        const char *start, *end;

        while (isspace((unsigned char)*p))
            p++;
        start = p;
        while (*p != '\0' && *p != ',')
            p++;
        end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if ((size_t)(end - start) == want && memcmp(start, financial_status, want) == 0)
            return true;
        if (*p == ',')
            p++;
    }
    return false;
}

bool order_is_cancelled(const struct order *o)
{
    if (o->status != NULL && strcmp(o->status, "cancelled") == 0)
        return true;
    return o->cancelled_at != NULL && o->cancelled_at[0] != '\0';
}

enum order_state order_intake_state(const struct order *o, const char *paid_statuses)
{
    if (order_is_cancelled(o))
        return ORDER_CANCELLED;
    if (order_is_paid(o->financial_status, paid_statuses))
        return ORDER_READY;
    return ORDER_AWAITING_PAYMENT;
}

/* ---- what a paid order gives the warehouse ------------------------------ */

bool order_line_ships(const struct order_line *line)
{
    return line->requires_shipping && line->quantity > 0;
}

enum order_content order_content_of(const struct order_line *lines, size_t n_lines)
{
    bool any_quantity = false;

    for (size_t i = 0; i < n_lines; i++) {
        if (order_line_ships(&lines[i]))
            return ORDER_CONTENT_SHIPPABLE;
        any_quantity = any_quantity || lines[i].quantity > 0;
    }
    return any_quantity ? ORDER_CONTENT_NOTHING_TO_SHIP : ORDER_CONTENT_EMPTY;
}

/* ---- transitions -------------------------------------------------------- */

bool order_state_is_posted(enum order_state s)
{
    return s == ORDER_SENT || s == ORDER_PARTIALLY_DESPATCHED || s == ORDER_DESPATCHED ||
           s == ORDER_FULFILLED;
}

struct order_transition order_next_state(bool exists, enum order_state cur,
                                         enum order_state intake)
{
    struct order_transition t = { .next = cur, .enqueue_post = false, .enqueue_cancel = false };

    if (!exists || cur == ORDER_AWAITING_PAYMENT) {
        t.next = intake;
        t.enqueue_post = intake == ORDER_READY;
    } else if (cur == ORDER_READY) {
        /* The post was enqueued on becoming ready: never a second one. */
        if (intake == ORDER_CANCELLED || intake == ORDER_AWAITING_PAYMENT)
            t.next = intake;
    } else if (cur == ORDER_ON_HOLD) {
        if (intake == ORDER_CANCELLED)
            t.next = ORDER_CANCELLED;
    } else if (cur == ORDER_NOT_FOR_WAREHOUSE) {
        /* the lines may have changed: the post job decides again from them */
        if (intake == ORDER_CANCELLED || intake == ORDER_AWAITING_PAYMENT)
            t.next = intake;
        t.enqueue_post = intake == ORDER_READY;
    } else if (order_state_is_posted(cur)) {
        /* The warehouse owns a posted order's progress; only a cancel goes through. */
        t.enqueue_cancel = intake == ORDER_CANCELLED;
    }
    return t;
}
