/*
 * test_sales_order.c - the Sales Order number: prefix + order name without
 * '#', at most 30 bytes, never truncated; a table of names, then the edges
 * (exactly 30 vs 31, multi-byte characters, the caller's buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sales_order_rows.h"

struct so_case {
    const char *prefix;
    const char *name;
    const char *want;   /* NULL: refused */
};

static const struct so_case cases[] = {
    {"", "#1001", "1001"},
    {NULL, "#1001", "1001"},
    {"UK-", "#1001", "UK-1001"},
    {"", "1001", "1001"},                        /* no '#' to drop */
    {"", "##1001", "1001"},                      /* every '#' goes */
    {"", "#10#01", "1001"},
    {"A#", "#1", "A#1"},                         /* the prefix is kept as configured */
    {"", "#", NULL},                             /* nothing left of the name */
    {"", "", NULL},
    {"SHOP-", "", NULL},                         /* a prefix alone is not a number */
    {"SHOP-", "#", NULL},
    {"", NULL, NULL},
    {"", "#10\n01", NULL},                       /* control characters never go out */
    {"P\t", "#1001", NULL},
    {"", "#ORDER-1001", "ORDER-1001"},
    {"", "#注文1001", "注文1001"},                /* UTF-8 kept byte for byte */
};

static void test_table(void **state)
{
    char out[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct so_case *c = &cases[i];
        int rc = so_number_make(c->prefix, c->name, out, sizeof(out));

        if (c->want == NULL) {
            if (rc != -1)
                fail_msg("case %zu: '%s' accepted as '%s'", i, c->name ? c->name : "(null)",
                         out);
            assert_string_equal(out, "");
        } else {
            if (rc != 0)
                fail_msg("case %zu: '%s' refused", i, c->name);
            assert_string_equal(out, c->want);
        }
    }
}

static void test_exactly_30_fits_31_does_not(void **state)
{
    char out[64];
    char name[40];

    /* '#' + 30 digits: the '#' does not count */
    snprintf(name, sizeof(name), "#%s", "123456789012345678901234567890");
    assert_int_equal(so_number_make("", name, out, sizeof(out)), 0);
    assert_int_equal(strlen(out), SO_NUMBER_MAX_BYTES);
    assert_int_equal(so_number_make("X", name, out, sizeof(out)), -1);
    assert_string_equal(out, "");

    /* prefix + name: 10 + 20 = 30 fits, 10 + 21 = 31 does not */
    assert_int_equal(so_number_make("PREFIX-UK-", "#12345678901234567890", out, sizeof(out)), 0);
    assert_string_equal(out, "PREFIX-UK-12345678901234567890");
    assert_int_equal(so_number_make("PREFIX-UK-", "#123456789012345678901", out, sizeof(out)),
                     -1);
    /* a prefix that alone is too long */
    assert_int_equal(so_number_make("0123456789012345678901234567890", "#1", out, sizeof(out)),
                     -1);
}

static void test_length_is_counted_in_bytes(void **state)
{
    char out[64];

    /* 10 three-byte characters = 30 bytes: fits */
    assert_int_equal(so_number_make("", "#一二三四五六七八九十", out, sizeof(out)), 0);
    assert_int_equal(strlen(out), 30);
    /* 11 characters = 33 bytes: refused, never cut inside a character */
    assert_int_equal(so_number_make("", "#一二三四五六七八九十一", out, sizeof(out)), -1);
    /* 29 ASCII + one 2-byte character = 31 bytes: refused */
    assert_int_equal(so_number_make("", "#12345678901234567890123456789é", out, sizeof(out)),
                     -1);
    assert_int_equal(so_number_make("", "#1234567890123456789012345678é", out, sizeof(out)), 0);
}

static void test_small_buffer_is_refused_not_cut(void **state)
{
    char out[5];

    assert_int_equal(so_number_make("", "#1234", out, sizeof(out)), 0);
    assert_string_equal(out, "1234");
    assert_int_equal(so_number_make("", "#12345", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(so_number_make("", "#1", NULL, 0), -1);
    assert_int_equal(so_number_make("", "#1", out, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_exactly_30_fits_31_does_not),
        cmocka_unit_test(test_length_is_counted_in_bytes),
        cmocka_unit_test(test_small_buffer_is_refused_not_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
