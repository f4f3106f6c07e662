/*
 * test_backoff.c - the retry schedule: exact values for chosen random
 * inputs, the [ceil(c/2), c] bounds over many seeded samples, growth
 * between attempts, the cap, odd and hostile arguments, and the xorshift
 * generator (deterministic, no stuck zero state, spread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "backoff.h"
#include "common.h"

struct delay_case {
    int attempt;
    int64_t base_ms, cap_ms;
    uint64_t random;
    int64_t want;
};

static void test_delay_table(void **state)
{
    static const struct delay_case cases[] = {
        { 1, 100, 10000, 0, 50 },               /* ceiling 100: [50, 100] */
        { 1, 100, 10000, 50, 100 },
        { 1, 100, 10000, 51, 50 },              /* wraps: random % 51 */
        { 1, 100, 10000, UINT64_MAX, 50 },      /* 2^64-1 is a multiple of 51 */
        { 2, 100, 10000, 0, 100 },              /* ceiling 200 */
        { 2, 100, 10000, 100, 200 },
        { 7, 100, 10000, 0, 3200 },             /* ceiling 6400 */
        { 8, 100, 10000, 0, 5000 },             /* 12800 capped to 10000 */
        { 8, 100, 10000, 5000, 10000 },
        { 1000, 100, 10000, 0, 5000 },
        { INT_MAX, 100, 10000, 5000, 10000 },
        { 0, 100, 10000, 0, 50 },               /* attempt < 1 counts as 1 */
        { -7, 100, 10000, 50, 100 },
        { INT_MIN, 100, 10000, 0, 50 },
        { 3, 0, 10000, 123, 0 },                /* no base: no wait */
        { 3, -5, 10000, 123, 0 },
        { 3, 100, 0, 123, 0 },                  /* no cap: no wait */
        { 1, 1000, 300, 0, 150 },               /* cap below base */
        { 1, 3, 1000, 0, 2 },                   /* odd ceiling 3: [2, 3] */
        { 1, 3, 1000, 1, 3 },
        { 1, 1, 1000, 0, 1 },                   /* ceiling 1: always 1 */
        { 1, 1, 1000, 99, 1 },
        { 2, INT64_MAX / 2 + 1, INT64_MAX, 0, INT64_MAX - INT64_MAX / 2 },
        { 64, 1, INT64_MAX, UINT64_MAX, INT64_MAX - INT64_MAX / 2 +
                                      (int64_t)(UINT64_MAX % ((uint64_t)(INT64_MAX / 2) + 1)) },
        { INT_MAX, INT64_MAX, INT64_MAX, 0, INT64_MAX - INT64_MAX / 2 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const struct delay_case *c = &cases[i];
        int64_t got = backoff_delay_ms(c->attempt, c->base_ms, c->cap_ms, c->random);

        if (got != c->want)
            fail_msg("case %zu: got %lld, want %lld", i, (long long)got, (long long)c->want);
    }
}

/* The ceiling, computed independently of the code under test. */
static int64_t ceiling_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
    double c = (double)base_ms;
    int i;

    for (i = 1; i < attempt && c < (double)cap_ms; i++)
        c *= 2.0;
    return c >= (double)cap_ms ? cap_ms : (int64_t)c;
}

struct schedule {
    int64_t base_ms, cap_ms;
};

static void test_bounds_growth_and_cap(void **state)
{
    static const struct schedule schedules[] = {
        { 100, 10000 }, { 250, 600000 }, { 1, 1 }, { 7, 1000 }, { 1000, 3600000 },
        { 1, INT64_MAX },
    };
    size_t s;

    for (s = 0; s < ARRAY_LEN(schedules); s++) {
        const struct schedule *sc = &schedules[s];
        uint64_t rng = 42 + s;
        int64_t prev_max = 0;
        int a, k;

        for (a = 1; a <= 80; a++) {
            int64_t c = ceiling_ms(a, sc->base_ms, sc->cap_ms);
            int64_t lo = c - c / 2, min = INT64_MAX, max = 0;

            for (k = 0; k < 500; k++) {
                uint64_t r = k == 0 ? 0 : k == 1 ? (uint64_t)(c / 2) : backoff_next_random(&rng);
                int64_t d = backoff_delay_ms(a, sc->base_ms, sc->cap_ms, r);

                assert_true(d >= lo);
                assert_true(d <= c);
                assert_true(d <= sc->cap_ms);
                min = d < min ? d : min;
                max = d > max ? d : max;
            }
            assert_int_equal(min, lo);   /* both ends are reachable */
            assert_int_equal(max, c);
            /*
             * Growth: below the cap, never shorter than the previous
             * attempt's longest wait; once capped, the window starts at
             * cap - cap/2.
             */
            if (c < sc->cap_ms)
                assert_true(min >= prev_max);
            else
                assert_true(min >= (prev_max < lo ? prev_max : lo));
            prev_max = max;
        }
        /* far past the cap, the window stays [cap - cap/2, cap] */
        assert_true(backoff_delay_ms(80, sc->base_ms, sc->cap_ms, 0) ==
                    sc->cap_ms - sc->cap_ms / 2);
    }
}

static void test_jitter_spreads(void **state)
{
    uint64_t rng = 7;
    int64_t sum = 0;
    int seen_low = 0, seen_high = 0, k;

    for (k = 0; k < 10000; k++) {
        int64_t d = backoff_delay_ms(5, 100, 60000, backoff_next_random(&rng)); /* [800, 1600] */

        sum += d;
        seen_low += d < 1000;
        seen_high += d > 1400;
    }
    assert_true(sum / 10000 > 1150 && sum / 10000 < 1250);    /* mean ~1200 */
    assert_true(seen_low > 2000 && seen_high > 2000);
}

static void test_random_deterministic(void **state)
{
    uint64_t a = 12345, b = 12345, c = 54321;
    int k, same = 0;

    for (k = 0; k < 1000; k++) {
        uint64_t x = backoff_next_random(&a);

        assert_true(x == backoff_next_random(&b));
        same += x == backoff_next_random(&c);
    }
    assert_int_equal(same, 0);
    assert_true(a == b);
}

static void test_random_zero_state_and_spread(void **state)
{
    uint64_t s = 0, first, prev = 0;
    int k, top_bits = 0, repeats = 0;

    first = backoff_next_random(&s);
    assert_true(s != 0);
    assert_true(first != 0);
    for (k = 0; k < 20000; k++) {
        uint64_t x = backoff_next_random(&s);

        assert_true(s != 0);
        top_bits += (int)(x >> 63);
        repeats += x == prev;
        prev = x;
    }
    assert_int_equal(repeats, 0);
    assert_true(top_bits > 9500 && top_bits < 10500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_table),
        cmocka_unit_test(test_bounds_growth_and_cap),
        cmocka_unit_test(test_jitter_spreads),
        cmocka_unit_test(test_random_deterministic),
        cmocka_unit_test(test_random_zero_state_and_spread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
