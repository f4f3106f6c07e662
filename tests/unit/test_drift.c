/*
 * test_drift.c - inventory drift: a table of levels and their verdicts
 * and variance, the summary's counts and percentages, the thresholds
 * (strictly above, either test off at 0), and the top list (largest
 * variance first, ties in code order, the smallest falling off).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "drift.h"

struct judge_case {
    long desired;
    bool pushed_known;
    long pushed;
    bool shown_known;
    long shown;
    enum drift_verdict want;
    long variance;
};

static const struct judge_case judge_cases[] = {
    {5, true, 5, true, 5, DRIFT_CLEAN, 0},
    {0, true, 0, true, 0, DRIFT_CLEAN, 0},
    {5, true, 5, true, 9, DRIFT_DRIFTED, 4},     /* changed behind shopvox's back */
    {5, true, 5, true, 0, DRIFT_DRIFTED, 5},
    {5, true, 5, true, -3, DRIFT_DRIFTED, 8},    /* oversold in the store */
    {7, true, 5, true, 7, DRIFT_DRIFTED, 0},     /* someone set the right value: the record */
    {7, true, 5, true, 5, DRIFT_PENDING, 0},     /* a push is due: the sync's */
    {7, false, 0, true, 0, DRIFT_PENDING, 0},    /* never pushed */
    {7, false, 0, true, 7, DRIFT_CLEAN, 0},
    {7, true, 7, false, 0, DRIFT_UNREAD, 0},     /* not connected / not tracked */
    {7, false, 0, false, 0, DRIFT_UNREAD, 0},
};

static void test_judge(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
        const struct judge_case *c = &judge_cases[i];
        struct drift_level l = {"SKU", "1", c->desired, c->pushed_known, c->pushed,
                                c->shown_known, c->shown};

        if (drift_judge(&l) != c->want || drift_variance(&l) != c->variance)
            fail_msg("case %zu: %s variance %ld, want %s %ld", i,
                     drift_verdict_name(drift_judge(&l)), drift_variance(&l),
                     drift_verdict_name(c->want), c->variance);
    }
    assert_string_equal(drift_verdict_name(DRIFT_UNREAD), "unread");
}

static void add(struct drift_summary *s, long desired, long pushed, bool shown_known, long shown)
{
    struct drift_level l = {"SKU", "1", desired, true, pushed, shown_known, shown};

    drift_summary_add(s, &l, drift_judge(&l));
}

static void test_summary(void **state)
{
    struct drift_summary s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_true(drift_drifted_pct(&s) == 0.0);
    assert_false(drift_exceeds(&s, 1, 100));
    for (int i = 0; i < 97; i++)
        add(&s, 10, 10, true, 10);
    add(&s, 10, 10, true, 4);     /* drifted by 6 */
    add(&s, 10, 8, true, 8);      /* pending */
    add(&s, 10, 10, false, 0);    /* unread: not checked */
    assert_int_equal(s.checked, 99);
    assert_int_equal(s.drifted, 1);
    assert_int_equal(s.pending, 1);
    assert_int_equal(s.unread, 1);
    assert_int_equal(s.variance_units, 6);
    assert_int_equal(s.expected_units, 990);
    assert_true(drift_drifted_pct(&s) > 1.0101 && drift_drifted_pct(&s) < 1.0102);
    assert_true(drift_variance_pct(&s) > 0.606 && drift_variance_pct(&s) < 0.607);
    assert_true(drift_exceeds(&s, 1, 0));    /* 1.01 % > 1 % */
    assert_false(drift_exceeds(&s, 2, 0));
    assert_false(drift_exceeds(&s, 2, 6));   /* 6 units is not above 6 */
    assert_true(drift_exceeds(&s, 2, 5));
    assert_false(drift_exceeds(&s, 0, 0));   /* both off */
}

static void test_variance_pct_of_empty_store(void **state)
{
    struct drift_summary s;

    (void)state;
    memset(&s, 0, sizeof(s));
    add(&s, 0, 0, true, 3);
    assert_int_equal(s.variance_units, 3);
    assert_true(drift_variance_pct(&s) == 300.0);  /* against 1, never a division by 0 */
}

static void test_top(void **state)
{
    struct drift_top t;
    char code[16];

    (void)state;
    drift_top_init(&t);
    for (int i = 0; i < 25; i++) {
        struct drift_level l = {code, "7", 10, true, 10, true, 10 + (i % 13)};

        snprintf(code, sizeof(code), "S-%02d", i);
        drift_top_add(&t, &l);
    }
    assert_int_equal(t.n, DRIFT_TOP_MAX);
    /* variances 12 (S-12), 11 (S-11, S-24), 10 (S-10, S-23), 9 ... */
    assert_string_equal(t.items[0].item_code, "S-12");
    assert_int_equal(t.items[0].variance, 12);
    assert_string_equal(t.items[1].item_code, "S-11");
    assert_string_equal(t.items[2].item_code, "S-24");
    assert_string_equal(t.items[3].item_code, "S-10");
    assert_int_equal(t.items[9].variance, 7);
    assert_string_equal(t.items[9].item_code, "S-07"); /* before S-20 */
    assert_int_equal(t.items[0].shown, 22);
    assert_string_equal(t.items[0].location_id, "7");
    for (size_t i = 1; i < t.n; i++)
        assert_true(t.items[i - 1].variance >= t.items[i].variance);
    drift_top_cleanup(&t);
    assert_int_equal(t.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_variance_pct_of_empty_store),
        cmocka_unit_test(test_top),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
