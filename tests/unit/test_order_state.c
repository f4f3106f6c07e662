/*
 * test_order_state.c - the order's state machine (order_state.c): state
 * names, paid and cancelled payloads, the intake state, every stored
 * state x every intake state, and what a paid order gives the warehouse.
 * Table-driven: a new rule is one row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "common.h"
#include "order.h"

/* ---- states ------------------------------------------------------------- */

static void test_state_names(void **state)
{
    static const char *const names[ORDER_STATE_COUNT] = {
        "awaiting_payment", "ready", "sent", "partially_despatched",
        "despatched", "fulfilled", "on_hold", "cancelled", "not_for_warehouse",
    };
    enum order_state s;
    int i;

    for (i = 0; i < ORDER_STATE_COUNT; i++) {
        assert_string_equal(order_state_name((enum order_state)i), names[i]);
        assert_int_equal(order_state_parse(names[i], &s), 0);
        assert_int_equal(s, i);
    }
    assert_string_equal(order_state_name(ORDER_STATE_COUNT), "unknown");
    s = ORDER_SENT;
    assert_int_equal(order_state_parse("Ready", &s), -1);
    assert_int_equal(order_state_parse("", &s), -1);
    assert_int_equal(order_state_parse("unknown", &s), -1);
    assert_int_equal(order_state_parse(NULL, &s), -1);
    assert_int_equal(s, ORDER_SENT);
}

struct paid_case {
    const char *status;
    const char *list;
    bool want;
};

static void test_is_paid(void **state)
{
    static const struct paid_case cases[] = {
        { "paid", "paid", true },
        { "paid", NULL, true }, /* the default list */
        { "partially_refunded", NULL, false },
        { "paid", "paid,partially_refunded", true },
        { "partially_refunded", "paid,partially_refunded", true },
        { "partially_refunded", "paid, partially_refunded", true },
        { "partially_refunded", "  paid ,\tpartially_refunded  ", true },
        { "refunded", "paid, partially_refunded", false },
        { "partially_paid", "paid, partially_refunded", false },
        { "paid", "partially_paid", false },
        { "pai", "paid", false },
        { "unpaid", "paid", false },
        { "authorized", "paid,authorized", true },
        { "paid", ",,paid,", true },
        { "paid", "", false },
        { "PAID", "paid", false },
        { NULL, "paid", false },
        { "", "paid,", false },
        { "", ",", false },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const struct paid_case *c = &cases[i];

        if (order_is_paid(c->status, c->list) != c->want)
            fail_msg("is_paid(\"%s\", \"%s\"): want %d", c->status ? c->status : "(null)",
                     c->list ? c->list : "(null)", c->want);
    }
}

static void test_is_cancelled_and_intake(void **state)
{
    char paid[] = "paid", open[] = "open", cancelled[] = "cancelled", empty[] = "";
    char cancelled_at[] = "2026-11-27T10:05:00-05:00";
    struct order o;

    memset(&o, 0, sizeof(o));
    assert_false(order_is_cancelled(&o));
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_AWAITING_PAYMENT);
    o.financial_status = paid;
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_READY);
    o.status = open;
    o.cancelled_at = empty;
    assert_false(order_is_cancelled(&o));
    o.cancelled_at = cancelled_at;
    assert_true(order_is_cancelled(&o)); /* cancelled_at alone is enough */
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_CANCELLED);
    o.cancelled_at = NULL;
    o.status = cancelled;
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_CANCELLED);
}

static void test_state_is_posted(void **state)
{
    static const bool want[ORDER_STATE_COUNT] = {
        [ORDER_SENT] = true, [ORDER_PARTIALLY_DESPATCHED] = true,
        [ORDER_DESPATCHED] = true, [ORDER_FULFILLED] = true,
    };
    int i;

    for (i = 0; i < ORDER_STATE_COUNT; i++)
        assert_int_equal(order_state_is_posted((enum order_state)i), want[i]);
}

struct next_case {
    bool exists;
    enum order_state cur;
    enum order_state intake;
    enum order_state next;
    bool post;
    bool cancel;
};

#define AWAIT ORDER_AWAITING_PAYMENT
#define READY ORDER_READY
#define CANC ORDER_CANCELLED

/* Every stored state x every intake state, plus the new order. */
static const struct next_case next_cases[] = {
    /* new order: cur is ignored */
    { false, ORDER_FULFILLED, AWAIT, AWAIT, false, false },
    { false, ORDER_FULFILLED, READY, READY, true, false },
    { false, ORDER_FULFILLED, CANC, CANC, false, false },
    { false, ORDER_CANCELLED, READY, READY, true, false },
    { false, AWAIT, CANC, CANC, false, false },
    /* awaiting_payment */
    { true, AWAIT, AWAIT, AWAIT, false, false },
    { true, AWAIT, READY, READY, true, false },
    { true, AWAIT, CANC, CANC, false, false },
    /* ready: the post is already queued */
    { true, READY, AWAIT, AWAIT, false, false },
    { true, READY, READY, READY, false, false },
    { true, READY, CANC, CANC, false, false },
    /* sent and later: the warehouse owns the progress */
    { true, ORDER_SENT, AWAIT, ORDER_SENT, false, false },
    { true, ORDER_SENT, READY, ORDER_SENT, false, false },
    { true, ORDER_SENT, CANC, ORDER_SENT, false, true },
    { true, ORDER_PARTIALLY_DESPATCHED, AWAIT, ORDER_PARTIALLY_DESPATCHED, false, false },
    { true, ORDER_PARTIALLY_DESPATCHED, READY, ORDER_PARTIALLY_DESPATCHED, false, false },
    { true, ORDER_PARTIALLY_DESPATCHED, CANC, ORDER_PARTIALLY_DESPATCHED, false, true },
    { true, ORDER_DESPATCHED, AWAIT, ORDER_DESPATCHED, false, false },
    { true, ORDER_DESPATCHED, READY, ORDER_DESPATCHED, false, false },
    { true, ORDER_DESPATCHED, CANC, ORDER_DESPATCHED, false, true },
    { true, ORDER_FULFILLED, AWAIT, ORDER_FULFILLED, false, false },
    { true, ORDER_FULFILLED, READY, ORDER_FULFILLED, false, false },
    { true, ORDER_FULFILLED, CANC, ORDER_FULFILLED, false, true },
    /* on_hold: only a cancellation moves it */
    { true, ORDER_ON_HOLD, AWAIT, ORDER_ON_HOLD, false, false },
    { true, ORDER_ON_HOLD, READY, ORDER_ON_HOLD, false, false },
    { true, ORDER_ON_HOLD, CANC, CANC, false, false },
    /* not_for_warehouse: a paid update re-checks its lines (the post job decides) */
    { true, ORDER_NOT_FOR_WAREHOUSE, AWAIT, AWAIT, false, false },
    { true, ORDER_NOT_FOR_WAREHOUSE, READY, ORDER_NOT_FOR_WAREHOUSE, true, false },
    { true, ORDER_NOT_FOR_WAREHOUSE, CANC, CANC, false, false },
    /* cancelled is terminal */
    { true, CANC, AWAIT, CANC, false, false },
    { true, CANC, READY, CANC, false, false },
    { true, CANC, CANC, CANC, false, false },
};

static void test_next_state_table(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(next_cases); i++) {
        const struct next_case *c = &next_cases[i];
        struct order_transition t = order_next_state(c->exists, c->cur, c->intake);

        if (t.next != c->next || t.enqueue_post != c->post || t.enqueue_cancel != c->cancel)
            fail_msg("%s %s + %s: got %s post=%d cancel=%d, want %s post=%d cancel=%d",
                     c->exists ? "stored" : "new", order_state_name(c->cur),
                     order_state_name(c->intake), order_state_name(t.next), t.enqueue_post,
                     t.enqueue_cancel, order_state_name(c->next), c->post, c->cancel);
    }
}

struct content_case {
    const char *what;
    struct order_line lines[3];
    size_t n;
    enum order_content want;
};

#define SHIP(q) { .quantity = (q), .requires_shipping = true }
#define NOSHIP(q) { .quantity = (q), .requires_shipping = false }

static const struct content_case content_cases[] = {
    { "no lines", { SHIP(0) }, 0, ORDER_CONTENT_EMPTY },
    { "one line of quantity 0", { SHIP(0) }, 1, ORDER_CONTENT_EMPTY },
    { "every quantity 0", { SHIP(0), NOSHIP(0), SHIP(0) }, 3, ORDER_CONTENT_EMPTY },
    { "only a gift card", { NOSHIP(1) }, 1, ORDER_CONTENT_NOTHING_TO_SHIP },
    { "digital goods, one of quantity 0", { NOSHIP(2), SHIP(0) }, 2,
      ORDER_CONTENT_NOTHING_TO_SHIP },
    { "one line to ship", { SHIP(1) }, 1, ORDER_CONTENT_SHIPPABLE },
    { "gift card and a line to ship", { NOSHIP(1), SHIP(3) }, 2, ORDER_CONTENT_SHIPPABLE },
    { "quantity 0 and a line to ship", { SHIP(0), SHIP(1) }, 2, ORDER_CONTENT_SHIPPABLE },
};

static void test_content_of(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(content_cases); i++) {
        const struct content_case *c = &content_cases[i];

        if (order_content_of(c->lines, c->n) != c->want)
            fail_msg("%s: got %d, want %d", c->what, order_content_of(c->lines, c->n), c->want);
    }
    assert_int_equal(order_content_of(NULL, 0), ORDER_CONTENT_EMPTY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_is_paid),
        cmocka_unit_test(test_is_cancelled_and_intake),
        cmocka_unit_test(test_state_is_posted),
        cmocka_unit_test(test_next_state_table),
        cmocka_unit_test(test_content_of),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
