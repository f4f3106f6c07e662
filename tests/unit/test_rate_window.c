/*
 * test_rate_window.c - rate_window: the recent rate, from counted events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "rate_window.h"

static void test_nothing_counted_is_zero(void **state)
{
    struct rate_window w;

    rate_window_init(&w, 200);
    assert_int_equal(rate_window_per_s(&w, 0), 0);
    assert_int_equal(rate_window_per_s(&w, 1000000), 0);
}

static void test_a_steady_rate_is_read_from_the_last_complete_window(void **state)
{
    struct rate_window w;

    rate_window_init(&w, 200);
    for (int64_t t = 1000; t < 2000; t += 2) /* one every 2 ms: 500/s */
        rate_window_add(&w, t, 1);
    assert_int_equal(rate_window_per_s(&w, 2000), 500);
    /* a window in progress below the last rate does not lower it */
    rate_window_add(&w, 2000, 50);
    assert_int_equal(rate_window_per_s(&w, 2100), 500);
    assert_true(rate_window_per_s(&w, 2300) < 500); /* complete: 50 in 300 ms */
}

static void test_a_burst_shows_before_its_window_ends(void **state)
{
    struct rate_window w;

    rate_window_init(&w, 200);
    /* quiet, then 1,000/s from t=10000: 50 events in 50 ms already make
     * 250/s over the window, however the rest of it goes */
    for (int64_t t = 10000; t < 10049; t++) {
        rate_window_add(&w, t, 1);
        assert_true(rate_window_per_s(&w, t) < 250);
    }
    rate_window_add(&w, 10049, 1);
    assert_int_equal(rate_window_per_s(&w, 10049), 250);
    rate_window_add(&w, 10050, 150);
    assert_int_equal(rate_window_per_s(&w, 10050), 1000);
}

static void test_silence_brings_it_back_to_zero(void **state)
{
    struct rate_window w;

    rate_window_init(&w, 200);
    for (int64_t t = 0; t < 1000; t++)
        rate_window_add(&w, t, 1);
    assert_int_equal(rate_window_per_s(&w, 1000), 1000);
    assert_int_equal(rate_window_per_s(&w, 1400), 0);
    /* one event after a long silence starts again from nothing: 1 in 200 ms */
    rate_window_add(&w, 5000, 1);
    assert_int_equal(rate_window_per_s(&w, 5001), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_counted_is_zero),
        cmocka_unit_test(test_a_steady_rate_is_read_from_the_last_complete_window),
        cmocka_unit_test(test_silence_brings_it_back_to_zero),
        cmocka_unit_test(test_a_burst_shows_before_its_window_ends),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
