/*
 * test_shopline_returns.c - return and refund webhook bodies
 * (shopline_returns.c): the assumed shapes read field by field, ids kept
 * exact, zero-quantity lines dropped, what the database could not hold
 * refused, the refund's amount summed exactly, the status mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "shopline_returns.h"

static void test_return_read(void **state)
{
    static const char body[] =
        "{\"id\":5000123456789012345678901,\"order_id\":\"45001\",\"status\":\"requested\","
        "\"name\":\"#1001-R1\",\"updated_at\":\"2026-11-30T10:00:00+08:00\","
        "\"return_line_items\":[{\"id\":77,\"line_item_id\":6000123456789012345678901,"
        "\"quantity\":2,\"return_reason\":\"size\"},{\"line_item_id\":\"9\",\"quantity\":0}]}";
    struct shopline_return r;
    struct errbuf err = {""};

    assert_int_equal(shopline_parse_return(body, strlen(body), &r, &err), ST_OK);
    assert_string_equal(r.id, "5000123456789012345678901");
    assert_string_equal(r.order_id, "45001");
    assert_string_equal(r.name, "#1001-R1");
    assert_true(r.updated_at_ms == 1796004000000LL);
    assert_int_equal(r.n_lines, 1); /* the quantity 0 line returns nothing */
    assert_string_equal(r.lines[0].line_item_id, "6000123456789012345678901");
    assert_string_equal(r.lines[0].id, "77");
    assert_int_equal(r.lines[0].quantity, 2);
    assert_string_equal(r.lines[0].reason, "size");
    assert_int_equal(shopline_return_ask_of(&r), SHOPLINE_RETURN_OPEN);
    shopline_return_cleanup(&r);
}

struct bad_case {
    const char *body;
    const char *why;   /* a part of the error */
};

static void test_return_refused(void **state)
{
    static const struct bad_case cases[] = {
        { "[]", "not a JSON object" },
        { "nope", "not JSON" },
        { "{\"order_id\":1}", "\"id\"" },
        { "{\"id\":1}", "\"order_id\"" },
        { "{\"id\":1,\"order_id\":2,\"status\":3}", "status" },
        { "{\"id\":1,\"order_id\":2,\"updated_at\":\"yesterday\"}", "updated_at" },
        { "{\"id\":1,\"order_id\":2,\"return_line_items\":{}}", "return_line_items" },
        { "{\"id\":1,\"order_id\":2,\"return_line_items\":[{\"quantity\":1}]}",
          "line_item_id" },
        { "{\"id\":1,\"order_id\":2,\"return_line_items\":[{\"line_item_id\":3}]}",
          "quantity" },
        { "{\"id\":1,\"order_id\":2,\"return_line_items\":[{\"line_item_id\":3,"
          "\"quantity\":-1}]}", "quantity" },
        { "{\"id\":1,\"order_id\":2,\"return_line_items\":[{\"line_item_id\":3,\"quantity\":1},"
          "{\"line_item_id\":\"3\",\"quantity\":1}]}", "twice" },
        { "{\"id\":1,\"order_id\":2,\"return_line_items\":[7]}", "not an object" },
        { "{\"id\":1.5,\"order_id\":2}", "\"id\"" },
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct shopline_return r;
        struct errbuf err = {""};

        if (shopline_parse_return(cases[i].body, strlen(cases[i].body), &r, &err) != ST_FAIL)
            fail_msg("case %zu accepted: %s", i, cases[i].body);
        if (strstr(err.msg, cases[i].why) == NULL)
            fail_msg("case %zu: \"%s\" does not say %s", i, err.msg, cases[i].why);
        assert_null(r.id);
        assert_null(r.lines);
    }
}

static void test_return_status(void **state)
{
    static const struct { const char *status; enum shopline_return_ask want; } cases[] = {
        { "\"cancelled\"", SHOPLINE_RETURN_CANCELLED }, { "\"declined\"", SHOPLINE_RETURN_DECLINED },
        { "\"open\"", SHOPLINE_RETURN_OPEN },           { "\"closed\"", SHOPLINE_RETURN_OPEN },
        { "null", SHOPLINE_RETURN_OPEN },               { "\"CANCELLED\"", SHOPLINE_RETURN_OPEN },
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char body[128];
        struct shopline_return r;
        struct errbuf err = {""};

        snprintf(body, sizeof(body), "{\"id\":1,\"order_id\":2,\"status\":%s}", cases[i].status);
        assert_int_equal(shopline_parse_return(body, strlen(body), &r, &err), ST_OK);
        assert_int_equal(shopline_return_ask_of(&r), cases[i].want);
        shopline_return_cleanup(&r);
    }
}

static void test_refund_read(void **state)
{
    static const char body[] =
        "{\"id\":8800001,\"order_id\":\"4500123456789012345678901\",\"note\":\"size\","
        "\"created_at\":\"2026-11-30T11:00:00Z\",\"refund_line_items\":[{\"line_item_id\":"
        "\"601\",\"quantity\":1,\"subtotal\":\"19.90\"},{\"line_item_id\":602,\"quantity\":2,"
        "\"subtotal\":0.1}],\"transactions\":[{\"amount\":\"19.90\",\"currency\":\"EUR\","
        "\"kind\":\"refund\"},{\"amount\":0.2},{\"amount\":\"5\",\"kind\":\"void\"}]}";
    struct shopline_refund r;
    struct errbuf err = {""};
    char *lines;

    assert_int_equal(shopline_parse_refund(body, strlen(body), &r, &err), ST_OK);
    assert_string_equal(r.id, "8800001");
    assert_string_equal(r.order_id, "4500123456789012345678901");
    assert_string_equal(r.amount, "20.1000");   /* void is not money back */
    assert_string_equal(r.currency, "EUR");
    assert_int_equal(r.n_lines, 2);
    assert_string_equal(r.lines[1].line_item_id, "602");
    assert_string_equal(r.lines[1].subtotal, "0.1");
    lines = shopline_refund_lines_json(&r);
    assert_string_equal(lines, "[{\"line_item_id\":\"601\",\"quantity\":1,\"subtotal\":\"19.90\"},"
                               "{\"line_item_id\":\"602\",\"quantity\":2,\"subtotal\":\"0.1\"}]");
    free(lines);
    shopline_refund_cleanup(&r);
}

static void test_refund_refused(void **state)
{
    static const struct bad_case cases[] = {
        { "{\"order_id\":1}", "\"id\"" },
        { "{\"id\":1,\"order_id\":2,\"created_at\":\"soon\"}", "created_at" },
        { "{\"id\":1,\"order_id\":2,\"transactions\":[{\"amount\":\"1e5\"}]}", "amount" },
        { "{\"id\":1,\"order_id\":2,\"transactions\":[{\"amount\":\"1.23456\"}]}", "amount" },
        { "{\"id\":1,\"order_id\":2,\"refund_line_items\":[{\"line_item_id\":1,\"quantity\":1,"
          "\"subtotal\":\"x\"}]}", "subtotal" },
        { "{\"id\":1,\"order_id\":2,\"refund_line_items\":[{\"quantity\":1}]}",
          "line_item_id" },
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct shopline_refund r;
        struct errbuf err = {""};

        if (shopline_parse_refund(cases[i].body, strlen(cases[i].body), &r, &err) != ST_FAIL)
            fail_msg("case %zu accepted: %s", i, cases[i].body);
        if (strstr(err.msg, cases[i].why) == NULL)
            fail_msg("case %zu: \"%s\" does not say %s", i, err.msg, cases[i].why);
        assert_null(r.id);
        assert_null(r.lines);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_return_read),
        cmocka_unit_test(test_return_refused),
        cmocka_unit_test(test_return_status),
        cmocka_unit_test(test_refund_read),
        cmocka_unit_test(test_refund_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
