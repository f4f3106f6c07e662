/*
 * test_console_auth.c - the web page's pure login pieces: the session
 * cookie found by exact name, the Set-Cookie attributes, the per-client
 * login limiter and its window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "console_auth.h"

static void test_cookie_found_by_exact_name(void **state)
{
    static const struct {
        const char *header;
        const char *want; /* NULL: not found */
    } cases[] = {
        {"shopvox_session=abc", "abc"},
        {"a=1; shopvox_session=abc; b=2", "abc"},
        {"a=1;shopvox_session=abc", "abc"},
        {"xshopvox_session=abc", NULL},
        {"shopvox_sessionx=abc", NULL},
        {"a=shopvox_session=abc", NULL},
        {"shopvox_session=", NULL},
        {"", NULL},
        {NULL, NULL},
        {"shopvox_session=0123456789", NULL}, /* longer than the cap below */
    };
    char out[8];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        bool found = console_cookie_get(cases[i].header, CONSOLE_COOKIE, out, sizeof(out));

        assert_int_equal(found, cases[i].want != NULL);
        assert_string_equal(out, cases[i].want ? cases[i].want : "");
    }
}

static void test_cookie_attributes(void **state)
{
    char out[256];

    console_cookie_format("v", false, out, sizeof(out));
    assert_string_equal(out, "shopvox_session=v; Path=/; HttpOnly; SameSite=Strict");
    console_cookie_format("v", true, out, sizeof(out));
    assert_string_equal(out, "shopvox_session=v; Path=/; HttpOnly; SameSite=Strict; Secure");
    console_cookie_format(NULL, false, out, sizeof(out));
    assert_string_equal(out, "shopvox_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

static void test_limiter_per_client_and_window(void **state)
{
    static struct console_limiter l;

    console_limiter_init(&l);
    for (int i = 0; i < CONSOLE_LOGINS_PER_WINDOW; i++)
        assert_true(console_limiter_take(&l, "10.0.0.1", 1000));
    assert_false(console_limiter_take(&l, "10.0.0.1", 1000 + CONSOLE_LOGIN_WINDOW_S - 1));
    assert_true(console_limiter_take(&l, "10.0.0.2", 1000)); /* another client */
    assert_true(console_limiter_take(&l, "10.0.0.1", 1000 + CONSOLE_LOGIN_WINDOW_S));
    console_limiter_cleanup(&l);
}

static void test_hex(void **state)
{
    const unsigned char in[3] = {0x00, 0xab, 0xff};
    char out[7];

    console_hex(in, sizeof(in), out);
    assert_string_equal(out, "00abff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cookie_found_by_exact_name),
        cmocka_unit_test(test_cookie_attributes),
        cmocka_unit_test(test_limiter_per_client_and_window),
        cmocka_unit_test(test_hex),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
