/*
 * test_returns.c - the return's state machine (returns.c): names, parsing,
 * every one of the 9 x 9 (from, to) pairs against the table of the issue
 * (allowed or refused), final states, the operating modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "common.h"
#include "returns.h"

#define R(x) RETURN_##x

static void test_state_names(void **state)
{
    static const char *const names[RETURN_STATE_COUNT] = {
        "requested", "authorised", "awaiting_receipt", "received", "inspected",
        "returned_to_stock", "written_off", "rejected", "cancelled",
    };
    enum return_state s;

    for (int i = 0; i < RETURN_STATE_COUNT; i++) {
        assert_string_equal(return_state_name((enum return_state)i), names[i]);
        assert_true(return_state_parse(names[i], &s));
        assert_int_equal(s, i);
    }
    assert_string_equal(return_state_name((enum return_state)RETURN_STATE_COUNT), "unknown");
    s = R(RECEIVED);
    assert_false(return_state_parse("Requested", &s));
    assert_false(return_state_parse("", &s));
    assert_false(return_state_parse("authorized", &s));
    assert_false(return_state_parse(NULL, &s));
    assert_int_equal(s, R(RECEIVED));
}

/* The table: every allowed (from, to); all other pairs are refused. */
static const struct { enum return_state from, to; } allowed[] = {
    { R(REQUESTED), R(AUTHORISED) },        { R(REQUESTED), R(REJECTED) },
    { R(REQUESTED), R(CANCELLED) },         { R(AUTHORISED), R(AWAITING_RECEIPT) },
    { R(AUTHORISED), R(CANCELLED) },        { R(AWAITING_RECEIPT), R(RECEIVED) },
    { R(AWAITING_RECEIPT), R(CANCELLED) },  { R(RECEIVED), R(INSPECTED) },
    { R(INSPECTED), R(RETURNED_TO_STOCK) }, { R(INSPECTED), R(WRITTEN_OFF) },
};

static bool in_table(enum return_state from, enum return_state to)
{
    for (size_t i = 0; i < ARRAY_LEN(allowed); i++)
        if (allowed[i].from == from && allowed[i].to == to)
            return true;
    return false;
}

static void test_every_pair(void **state)
{
    int n_allowed = 0;

    for (int f = 0; f < RETURN_STATE_COUNT; f++)
        for (int t = 0; t < RETURN_STATE_COUNT; t++) {
            bool want = in_table((enum return_state)f, (enum return_state)t);
            bool got = return_transition_allowed((enum return_state)f, (enum return_state)t);

            if (got != want)
                fail_msg("%s -> %s: got %d, want %d", return_state_name((enum return_state)f),
                         return_state_name((enum return_state)t), got, want);
            n_allowed += got;
        }
    assert_int_equal(n_allowed, ARRAY_LEN(allowed));
    assert_false(return_transition_allowed((enum return_state)-1, R(AUTHORISED)));
    assert_false(return_transition_allowed(R(REQUESTED), (enum return_state)RETURN_STATE_COUNT));
}

static void test_final_states(void **state)
{
    static const enum return_state finals[] = {
        R(RETURNED_TO_STOCK), R(WRITTEN_OFF), R(REJECTED), R(CANCELLED),
    };

    for (size_t i = 0; i < ARRAY_LEN(finals); i++) {
        assert_true(return_state_final(finals[i]));
        for (int t = 0; t < RETURN_STATE_COUNT; t++)
            assert_false(return_transition_allowed(finals[i], (enum return_state)t));
    }
    for (int s = R(REQUESTED); s <= R(INSPECTED); s++)
        assert_false(return_state_final((enum return_state)s));
}

static void test_modes(void **state)
{
    enum returns_mode m = RETURNS_MODE_AUTO;

    assert_true(returns_mode_parse("authorise", &m));
    assert_int_equal(m, RETURNS_MODE_AUTHORISE);
    assert_true(returns_mode_parse("auto", &m));
    assert_int_equal(m, RETURNS_MODE_AUTO);
    assert_false(returns_mode_parse("authorize", &m));
    assert_false(returns_mode_parse("", &m));
    assert_false(returns_mode_parse(NULL, &m));
    assert_int_equal(m, RETURNS_MODE_AUTO);
    assert_string_equal(returns_mode_name(RETURNS_MODE_AUTHORISE), "authorise");
    assert_string_equal(returns_mode_name(RETURNS_MODE_AUTO), "auto");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_every_pair),
        cmocka_unit_test(test_final_states),
        cmocka_unit_test(test_modes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
