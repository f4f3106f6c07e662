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
    /* the window in progress does not count until it is complete */
    rate_window_add(&w, 2000, 1000);
    assert_int_equal(rate_window_per_s(&w, 2100), 500);
    assert_true(rate_window_per_s(&w, 2300) > 3000);
}

static void test_silence_brings_it_back_to_zero(void **state)
{
    struct rate_window w;

    rate_window_init(&w, 200);
    for (int64_t t = 0; t < 1000; t++)
        rate_window_add(&w, t, 1);
    assert_int_equal(rate_window_per_s(&w, 1000), 1000);
    assert_int_equal(rate_window_per_s(&w, 1400), 0);
    /* one event after a long silence starts again from nothing */
    rate_window_add(&w, 5000, 1);
    assert_int_equal(rate_window_per_s(&w, 5001), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_counted_is_zero),
        cmocka_unit_test(test_a_steady_rate_is_read_from_the_last_complete_window),
        cmocka_unit_test(test_silence_brings_it_back_to_zero),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
