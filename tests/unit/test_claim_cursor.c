/*
 * test_claim_cursor.c - claim_cursor: where an applier thread's next claim
 * starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "claim_cursor.h"

static void test_a_thread_starts_from_the_beginning(void **state)
{
    struct claim_cursor c;

    (void)state;
    claim_cursor_init(&c);
    assert_int_equal(claim_cursor_next(&c, 1000), 0);
}

static void test_a_full_claim_moves_the_cursor_past_its_last_row(void **state)
{
    struct claim_cursor c;

    (void)state;
    claim_cursor_init(&c);
    claim_cursor_next(&c, 1000); /* the claim starts here */
    assert_false(claim_cursor_done(&c, true, 32, 32, 532, 1000));
    assert_int_equal(claim_cursor_next(&c, 1010), 532);
    assert_false(claim_cursor_done(&c, true, 32, 32, 600, 1010));
    assert_int_equal(claim_cursor_next(&c, 1020), 600);
}

static void test_a_short_claim_starts_the_next_from_the_beginning(void **state)
{
    struct claim_cursor c;

    (void)state;
    claim_cursor_init(&c);
    claim_cursor_done(&c, true, 32, 32, 532, 1000);
    /* rows below 532 may have committed late: not empty, look again from 0 */
    assert_false(claim_cursor_done(&c, true, 32, 5, 540, 1010));
    assert_int_equal(claim_cursor_next(&c, 1020), 0);
    claim_cursor_done(&c, true, 32, 32, 700, 1030);
    assert_false(claim_cursor_done(&c, true, 32, 0, 700, 1040));
    assert_int_equal(claim_cursor_next(&c, 1050), 0);
}

static void test_only_an_empty_claim_from_the_beginning_says_empty(void **state)
{
    struct claim_cursor c;

    (void)state;
    claim_cursor_init(&c);
    assert_true(claim_cursor_done(&c, true, 32, 0, 0, 1000));
    claim_cursor_done(&c, true, 32, 32, 532, 1000);
    assert_false(claim_cursor_done(&c, true, 32, 0, 532, 1010));
    claim_cursor_next(&c, 1020); /* the claim starts here */
    assert_true(claim_cursor_done(&c, true, 32, 0, 0, 1020));
    /* a failed pass found nothing it can vouch for */
    assert_false(claim_cursor_done(&c, false, 32, 0, 0, 1030));
}

static void test_a_failed_pass_starts_the_next_from_the_beginning(void **state)
{
    struct claim_cursor c;

    (void)state;
    claim_cursor_init(&c);
    claim_cursor_done(&c, true, 32, 32, 532, 1000);
    assert_false(claim_cursor_done(&c, false, 32, 32, 600, 1010));
    assert_int_equal(claim_cursor_next(&c, 1020), 0);
}

static void test_cursor_claims_go_back_to_the_beginning_after_the_reset_time(void **state)
{
    struct claim_cursor c;
    int64_t t = 1000, from;

    (void)state;
    claim_cursor_init(&c);
    claim_cursor_done(&c, true, 32, 32, 100, t);
    for (int64_t id = 100; t < 1000 + CLAIM_CURSOR_RESET_MS - 50; t += 50, id += 32) {
        from = claim_cursor_next(&c, t);
        assert_int_equal(from, id);
        claim_cursor_done(&c, true, 32, 32, id + 32, t);
    }
    assert_int_equal(claim_cursor_next(&c, 1000 + CLAIM_CURSOR_RESET_MS), 0);
    /* and the reset time counts again from the next cursor */
    claim_cursor_done(&c, true, 32, 32, 5000, 1000 + CLAIM_CURSOR_RESET_MS);
    assert_int_equal(claim_cursor_next(&c, 1000 + 2 * CLAIM_CURSOR_RESET_MS - 1), 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_thread_starts_from_the_beginning),
        cmocka_unit_test(test_a_full_claim_moves_the_cursor_past_its_last_row),
        cmocka_unit_test(test_a_short_claim_starts_the_next_from_the_beginning),
        cmocka_unit_test(test_only_an_empty_claim_from_the_beginning_says_empty),
        cmocka_unit_test(test_a_failed_pass_starts_the_next_from_the_beginning),
        cmocka_unit_test(test_cursor_claims_go_back_to_the_beginning_after_the_reset_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
