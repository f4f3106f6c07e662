/*
 * test_json_top_member.c - json_top_member, the cheap skim that keys a
 * pending delivery by its order's id before the body is parsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "json_text.h"

static const char *member(const char *json)
{
    static char out[32];

    return json_top_member(json, strlen(json), "id", out, sizeof(out)) ? out : NULL;
}

static void test_top_level_id_as_string_or_number(void **state)
{
    assert_string_equal(member("{\"id\":\"4501\",\"name\":\"#1\"}"), "4501");
    assert_string_equal(member(" { \"name\" : \"#1\" , \"id\" : 4501 }"), "4501");
    assert_string_equal(member("{\"id\":12345678901234567890123456}"),
                        "12345678901234567890123456");
    assert_string_equal(member("{\"a\":-1.5e3,\"id\":\"x\"}"), "x");
}

static void test_nested_ids_and_strings_are_skipped(void **state)
{
    assert_string_equal(member("{\"customer\":{\"id\":\"9\"},\"line_items\":[{\"id\":1},"
                               "{\"id\":2,\"t\":\"}]\\\"{\"}],\"id\":\"77\"}"),
                        "77");
    assert_null(member("{\"customer\":{\"id\":\"9\"}}"));
    assert_string_equal(member("{\"note\":\"\\\"id\\\":5\",\"id\":6}"), "6");
}

static void test_the_last_of_repeated_keys_wins(void **state)
{
    assert_string_equal(member("{\"id\":1,\"id\":2}"), "2");
    assert_null(member("{\"id\":1,\"id\":null}"));
}

static void test_what_it_does_not_key(void **state)
{
    static char out[4];

    assert_null(member(""));
    assert_null(member("[{\"id\":1}]"));
    assert_null(member("{\"id\":true}"));
    assert_null(member("{\"id\":{\"v\":1}}"));
    assert_null(member("{\"id\":\"a\\u0062\"}"));  /* escapes: not read */
    assert_null(member("{\"i\\u0064\":\"5\"}"));
    assert_null(member("{\"id\":\"\"}"));
    assert_null(member("{\"id\":\"5"));            /* cut short */
    assert_null(member("{\"id\" 5}"));
    assert_null(member("{\"x\":[1,2,\"id\":3"));
    assert_false(json_top_member("{\"id\":\"12345\"}", 14, "id", out, sizeof(out)));
    assert_false(json_top_member("{\"id\":\"1\"}", 9, "id", out, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_level_id_as_string_or_number),
        cmocka_unit_test(test_nested_ids_and_strings_are_skipped),
        cmocka_unit_test(test_the_last_of_repeated_keys_wins),
        cmocka_unit_test(test_what_it_does_not_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
