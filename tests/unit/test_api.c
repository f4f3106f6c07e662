/*
 * test_api.c - the admin API's pure helpers: path matching (literal and
 * {param} segments, what does not match), opaque cursors (round trip,
 * another list's cursor and garbage refused), the time syntax of filters,
 * and the route table (every pattern under /api/v1/, no two rows for one
 * method and path shape).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api.h"

static void test_path_match(void **state)
{
    struct api_params p;

    (void)state;
    assert_true(api_path_match("/api/v1/exceptions", "/api/v1/exceptions", &p));
    assert_int_equal(p.n, 0);
    assert_true(api_path_match("/api/v1/exceptions/{id}/retry", "/api/v1/exceptions/42/retry",
                               &p));
    assert_int_equal(p.n, 1);
    assert_string_equal(p.values[0], "42");
    assert_true(api_path_match("/a/{x}/b/{y}", "/a/1/b/two", &p));
    assert_string_equal(p.values[1], "two");
    assert_false(api_path_match("/api/v1/exceptions", "/api/v1/exceptions/", &p));
    assert_false(api_path_match("/api/v1/exceptions/{id}", "/api/v1/exceptions/", &p));
    assert_false(api_path_match("/api/v1/exceptions/{id}", "/api/v1/exceptions/1/retry", &p));
    assert_false(api_path_match("/api/v1/exceptions/{id}/retry", "/api/v1/exceptions/1", &p));
    assert_false(api_path_match("/api/v1/jobs", "/api/v1/job", NULL));
    assert_false(api_path_match("/api/v1/jobs", "/api/v1/jobsx", NULL));
    assert_false(api_path_match("/api/v1/{id}", "/api/v1//", NULL));
}

static void test_path_param_is_bounded(void **state)
{
    char path[400];

    (void)state;
    memset(path, 'x', sizeof(path));
    memcpy(path, "/a/", 3);
    path[3 + API_PARAM_MAX_BYTES] = '\0'; /* one byte longer than a parameter holds */
    assert_false(api_path_match("/a/{id}", path, NULL));
    path[3 + API_PARAM_MAX_BYTES - 1] = '\0';
    assert_true(api_path_match("/a/{id}", path, NULL));
}

static void test_cursor_round_trip(void **state)
{
    static const long long ids[] = {1, 2, 99, 1000, 123456789012345LL};
    char c[API_CURSOR_MAX_BYTES];
    long long id;

    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        api_cursor_encode("exceptions", ids[i], c, sizeof(c));
        assert_null(strpbrk(c, "+/=&?% "));
        assert_int_equal(api_cursor_decode("exceptions", c, &id), 0);
        assert_int_equal(id, ids[i]);
        assert_int_equal(api_cursor_decode("orders", c, &id), -1); /* another list's */
    }
    assert_int_equal(api_cursor_decode("exceptions", "", &id), -1);
    assert_int_equal(api_cursor_decode("exceptions", "42", &id), -1);
    assert_int_equal(api_cursor_decode("exceptions", "!!!!", &id), -1);
    api_cursor_encode("exceptions", 0, c, sizeof(c));
    assert_int_equal(api_cursor_decode("exceptions", c, &id), -1); /* ids are positive */
    api_cursor_encode("exceptions", -5, c, sizeof(c));
    assert_int_equal(api_cursor_decode("exceptions", c, &id), -1);
}

static void test_time_syntax(void **state)
{
    static const char *const good[] = {"2026-03-01", "2026-03-01T09:30", "2026-03-01T09:30:00Z",
                                       "2026-03-01T09:30:00.123+01:00", "2026-03-01T09:30-05:00"};
    static const char *const bad[] = {"", "2026-3-1", "yesterday", "2026-03-01 09:30",
                                      "2026-03-01T9:30", "2026-03-01T09:30:00Zx",
                                      "2026-03-01T09:30:00+0100", "2026-03-01T09:30:00."};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!api_time_ok(good[i]))
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (api_time_ok(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_match),
        cmocka_unit_test(test_path_param_is_bounded),
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_time_syntax),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
