/*
 * test_admin_tokens.c - SHOPVOX_ADMIN_TOKENS: good lists (names, roles,
 * comments, separators, the old single token), bad ones (the reason names
 * the entry and never the token), and matching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "admin_tokens.h"

#define TA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define TC "cccccccccccccccccccccccccccccccccccc"

static void test_good_lists(void **state)
{
    struct admin_tokens t;
    struct errbuf err = {""};

    (void)state;
    assert_int_equal(admin_tokens_parse(&t, "", NULL, &err), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(admin_tokens_parse(&t, "alice:operator:" TA ", bob:viewer:" TB ",", NULL,
                                        &err), 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.items[0].name, "alice");
    assert_int_equal(t.items[0].role, ADMIN_ROLE_OPERATOR);
    assert_string_equal(t.items[1].name, "bob");
    assert_int_equal(t.items[1].role, ADMIN_ROLE_VIEWER);
    /* the file's form: one a line, comments, blank lines, CRLF */
    assert_int_equal(admin_tokens_parse(&t, "# who may call\r\n\n  alice:operator:" TA "\r\n"
                                            "\t# bob left: bob:viewer:" TB "\n"
                                            "carol.ops-1:viewer:" TC "\n",
                                        TB, &err), 0);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.items[1].name, "carol.ops-1");
    assert_string_equal(t.items[2].name, ADMIN_LEGACY_NAME);
    assert_int_equal(t.items[2].role, ADMIN_ROLE_OPERATOR);
}

struct bad_case {
    const char *list;
    const char *legacy;
    const char *reason; /* a part of the error */
};

static const struct bad_case bad_cases[] = {
    {"alice:admin:" TA, NULL, "entry 1 (alice): role must be viewer or operator"},
    {"alice:operator:" TA ",alice:viewer:" TB, NULL, "entry 2: name 'alice' is used twice"},
    {"alice:operator:" TA ",bob:viewer:" TA, NULL, "entry 2 (bob): same token as 'alice'"},
    {"alice:operator:short", NULL, "entry 1 (alice): the token is shorter than 32"},
    {"alice:operator:" TA "\n bob:viewer:" TB "!", NULL, "entry 2 (bob): the token may only"},
    {"alice-" TA, NULL, "entry 1: expected name:role:token"},
    {":viewer:" TA, NULL, "entry 1: the name must be 1 to 63"},
    {"al ice:viewer:" TA, NULL, "entry 1: the name may only hold"},
    {"", "short", "SHOPVOX_ADMIN_TOKEN is shorter than 32"},
    {"admin:viewer:" TA, TB, "entry 2: name 'admin' is used twice"},
};

static void test_bad_lists_name_the_entry_never_the_token(void **state)
{
    struct admin_tokens t;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct errbuf err = {""};

        assert_int_equal(admin_tokens_parse(&t, bad_cases[i].list, bad_cases[i].legacy, &err),
                         -1);
        if (strstr(err.msg, bad_cases[i].reason) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad_cases[i].reason);
        assert_int_equal(t.n, 0);
        assert_null(strstr(err.msg, "aaaaaaaa"));
        assert_null(strstr(err.msg, "bbbbbbbb"));
    }
}

static void test_match_finds_the_entry_and_nothing_else(void **state)
{
    struct admin_tokens t;
    struct errbuf err = {""};
    const struct admin_token *m;

    (void)state;
    assert_int_equal(admin_tokens_parse(&t, "alice:operator:" TA ",bob:viewer:" TB, NULL, &err),
                     0);
    m = admin_tokens_match(&t, TB, strlen(TB));
    assert_non_null(m);
    assert_string_equal(m->name, "bob");
    assert_null(admin_tokens_match(&t, TB, strlen(TB) - 1)); /* a prefix is not the token */
    assert_null(admin_tokens_match(&t, TC, strlen(TC)));
    assert_null(admin_tokens_match(&t, "", 0));
    assert_string_equal(admin_role_name(ADMIN_ROLE_VIEWER), "viewer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_lists),
        cmocka_unit_test(test_bad_lists_name_the_entry_never_the_token),
        cmocka_unit_test(test_match_finds_the_entry_and_nothing_else),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
