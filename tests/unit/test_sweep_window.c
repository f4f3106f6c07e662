/*
 * test_sweep_window.c - the sweep's window: first run, watermark minus the
 * overlap, the floor, a watermark in the future, an operator's since
 * (accepted, too old, in the future), and the UTC formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sweep_window.h"

#define NOW 1767225600000LL         /* 2026-01-01T00:00:00Z */
#define MIN (60LL * 1000)
#define DAY (86400LL * 1000)

struct window_case {
    const char *name;
    int64_t watermark_ms, since_ms;
    enum sweep_window_rc want_rc;
    int64_t want_from_ms;
};

static const struct window_case cases[] = {
    {"first run: 24 h back", -1, -1, SWEEP_WINDOW_OK, NOW - DAY},
    {"watermark minus 10 min", NOW - 5 * MIN, -1, SWEEP_WINDOW_OK, NOW - 15 * MIN},
    {"watermark now", NOW, -1, SWEEP_WINDOW_OK, NOW - 10 * MIN},
    {"watermark in the future counts as now", NOW + DAY, -1, SWEEP_WINDOW_OK, NOW - 10 * MIN},
    {"old watermark: still minus overlap", NOW - 3 * DAY, -1, SWEEP_WINDOW_OK,
     NOW - 3 * DAY - 10 * MIN},
    {"watermark beyond the floor: the floor", NOW - 40 * DAY, -1, SWEEP_WINDOW_OK, NOW - 31 * DAY},
    {"watermark just inside the floor", NOW - 31 * DAY + 10 * MIN, -1, SWEEP_WINDOW_OK,
     NOW - 31 * DAY},
    {"since wins over the watermark, no overlap", NOW - MIN, NOW - 2 * DAY, SWEEP_WINDOW_OK,
     NOW - 2 * DAY},
    {"since at the floor", -1, NOW - 31 * DAY, SWEEP_WINDOW_OK, NOW - 31 * DAY},
    {"since before the floor: refused", -1, NOW - 31 * DAY - 1, SWEEP_WINDOW_TOO_OLD, 0},
    {"since now", -1, NOW, SWEEP_WINDOW_OK, NOW},
    {"since in the future: refused", -1, NOW + 1, SWEEP_WINDOW_FUTURE, 0},
};

static void test_window_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct window_case *c = &cases[i];
        struct sweep_window_in in = {NOW, c->watermark_ms, c->since_ms};
        int64_t from = 0;
        enum sweep_window_rc rc = sweep_window_from(&in, &from);

        if (rc != c->want_rc || (rc == SWEEP_WINDOW_OK && from != c->want_from_ms))
            fail_msg("%s: rc %d from %lld, want rc %d from %lld", c->name, (int)rc,
                     (long long)from, (int)c->want_rc, (long long)c->want_from_ms);
    }
}

static void test_rc_text(void **state)
{
    (void)state;
    assert_string_equal(sweep_window_rc_text(SWEEP_WINDOW_OK), "");
    assert_non_null(strstr(sweep_window_rc_text(SWEEP_WINDOW_TOO_OLD), "31 days"));
    assert_non_null(strstr(sweep_window_rc_text(SWEEP_WINDOW_FUTURE), "future"));
}

static void test_format(void **state)
{
    char out[32], tiny[8];

    (void)state;
    assert_int_equal(sweep_window_format(NOW + 1999, out, sizeof(out)), 0);
    assert_string_equal(out, "2026-01-01T00:00:01Z");
    assert_int_equal(sweep_window_format(NOW - 15 * MIN, out, sizeof(out)), 0);
    assert_string_equal(out, "2025-12-31T23:45:00Z");
    assert_int_equal(sweep_window_format(NOW, tiny, sizeof(tiny)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_table),
        cmocka_unit_test(test_rc_text),
        cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
