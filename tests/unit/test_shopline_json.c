/*
 * test_shopline_json.c - the SHOPLINE Admin API bodies and the link header (pure):
 * `errors` in every shape, link headers with and without a next page, ids
 * that survive exactly both ways, and list parsers that take back a page
 * they could not read whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "shopline_json.h"

#define ID26 "12345678901234567890123456"
#define ID26B "98765432109876543210987654"

static void test_errors_shapes(void **state)
{
    static const struct { const char *body, *want; } cases[] = {
        {"{\"errors\":\"Too many request\"}", "Too many request"},
        {"{\"errors\":[\"line 1 is fulfilled\",\"line 2 is fulfilled\"]}",
         "line 1 is fulfilled; line 2 is fulfilled"},
        {"{\"errors\":{\"line_items\":[\"is invalid\",\"is empty\"],\"base\":\"no\"}}",
         "line_items: is invalid, is empty; base: no"},
        {"{\"errors\":{\"order\":{\"id\":\"not found\"}}}", "order: id: not found"},
        {"{\"errors\":42}", "42"},
        /* json-c lets a UTF-8-encoded surrogate through: not into our logs */
        {"{\"errors\":\"a\xed\xa0\x80\\nb\"}", "a??? b"},
        {"<html><body>\n  Bad   gateway</body></html>", "<html><body> Bad gateway</body></html>"},
        {"{\"message\":\"x\"}", "{\"message\":\"x\"}"},
        {"", ""},
    };
    char out[ERRBUF_MAX];
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        shopline_errors_message(cases[i].body, strlen(cases[i].body), out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
    /* cut to the buffer, never inside a UTF-8 character */
    shopline_errors_message("{\"errors\":\"ab\xc3\xa9\"}", 17, out, 4);
    assert_string_equal(out, "ab");
}

static void test_link_next(void **state)
{
    static const struct { const char *link; int rc; const char *want; } cases[] = {
        {"<https://a.myshopline.com/admin/openapi/v1/orders.json?limit=2&page_info=abc%3D>; "
         "rel=\"next\"", 1, "abc%3D"},
        {"<https://x/orders.json?page_info=p1>; rel=\"previous\", "
         "<https://x/orders.json?limit=5&page_info=p3>; rel=\"next\"", 1, "p3"},
        {"<https://x/o.json?page_info=p1>; rel=previous", 0, NULL},
        {"<https://x/o.json?page_info=n>;rel=NEXT", 1, "n"},
        {"", 0, NULL},
        {NULL, 0, NULL},
        {"<https://x/o.json?limit=5>; rel=\"next\"", -1, NULL},
        {"<https://x/o.json?page_info=a\"b>; rel=\"next\"", -1, NULL},
        {"<https://x/o.json?page_info=>; rel=\"next\"", -1, NULL},
        {"garbage", -1, NULL},
    };
    char *pi;
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(shopline_link_next(cases[i].link, &pi), cases[i].rc);
        if (cases[i].want == NULL)
            assert_null(pi);
        else
            assert_string_equal(pi, cases[i].want);
        free(pi);
    }
}

/* A 26-digit line id goes out as a JSON number with exactly its digits. */
static void test_build_fulfillment(void **state)
{
    const struct shopline_line_qty lines[] = {{ID26, 2}, {ID26B, 1}};
    const struct shopline_tracking tr[] = {{"TN\"1", "DHL", "https://t/?n=TN1"}};
    struct shopline_fulfillment_req req = {ID26, lines, 2, tr, 1, true};
    struct errbuf err = {""};
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(shopline_build_fulfillment(&req, &b, &err), ST_OK);
    assert_string_equal(buf_cstr(&b),
                        "{\"fulfillment\":{\"line_items\":[{\"id\":" ID26 ",\"quantity\":2},"
                        "{\"id\":" ID26B ",\"quantity\":1}],\"notify_customer\":true,"
                        "\"tracking_info_list\":[{\"tracking_number\":\"TN\\\"1\","
                        "\"tracking_company\":\"DHL\",\"tracking_url\":\"https://t/?n=TN1\"}]}}");
    buf_reset(&b);
    req.lines = (const struct shopline_line_qty[]){{"12a", 1}};
    req.n_lines = 1;
    assert_int_equal(shopline_build_fulfillment(&req, &b, &err), ST_FAIL);
    req.lines = lines;
    req.n_tracking = SHOPLINE_MAX_TRACKING + 1;
    assert_int_equal(shopline_build_fulfillment(&req, &b, &err), ST_FAIL);
    req.n_tracking = 0;
    req.n_lines = 0;
    assert_int_equal(shopline_build_fulfillment(&req, &b, &err), ST_FAIL);
    buf_cleanup(&b);
}

static void test_parse_orders(void **state)
{
    const char *page = "{\"orders\":[{\"id\":" ID26 ",\"name\":\"#1\",\"line_items\":"
                       "[{\"id\":" ID26B ",\"quantity\":1}]}]}";
    const char *bad = "{\"orders\":[{\"id\":\"1\",\"name\":\"#2\",\"line_items\":[]},"
                      "{\"name\":\"#3\"}]}";
    struct shopline_orders o = {0};
    struct errbuf err = {""};

    assert_int_equal(shopline_parse_orders(page, strlen(page), &o, &err), ST_OK);
    assert_int_equal(o.n, 1);
    assert_string_equal(o.items[0].id, ID26);
    assert_string_equal(o.items[0].lines[0].line_id, ID26B);
    /* a page that is not whole appends nothing */
    assert_int_equal(shopline_parse_orders(bad, strlen(bad), &o, &err), ST_FAIL);
    assert_int_equal(o.n, 1);
    assert_int_equal(shopline_parse_orders("{}", 2, &o, &err), ST_FAIL);
    shopline_orders_cleanup(&o);
    assert_int_equal(o.n, 0);
}

static void test_parse_fulfillments(void **state)
{
    const char *body = "{\"fulfillments\":[{\"id\":" ID26 ",\"status\":\"success\","
                       "\"line_items\":[{\"id\":" ID26B ",\"quantity\":2}],"
                       "\"tracking_info_list\":[{\"tracking_number\":\"T1\"},"
                       "{\"tracking_number\":\"T2\"}]},"
                       "{\"id\":7,\"tracking_number\":\"OLD\"}]}";
    struct shopline_fulfillments f = {0};
    struct errbuf err = {""};
    char *id;

    assert_int_equal(shopline_parse_fulfillments(body, strlen(body), &f, &err), ST_OK);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.items[0].id, ID26);
    assert_string_equal(f.items[0].lines[0].line_id, ID26B);
    assert_int_equal(f.items[0].lines[0].quantity, 2);
    assert_int_equal(f.items[0].n_tracking, 2);
    assert_string_equal(f.items[0].tracking_numbers[1], "T2");
    assert_string_equal(f.items[1].id, "7");
    assert_string_equal(f.items[1].tracking_numbers[0], "OLD");
    shopline_fulfillments_cleanup(&f);
    assert_int_equal(shopline_parse_fulfillment_id("{\"fulfillment\":{\"id\":" ID26 "}}",
                                                   strlen("{\"fulfillment\":{\"id\":" ID26 "}}"),
                                                   &id, &err), ST_OK);
    assert_string_equal(id, ID26);
    free(id);
    assert_int_equal(shopline_parse_fulfillment_id("{\"fulfillment\":{}}", 18, &id, &err),
                     ST_FAIL);
    assert_null(id);
}

static void test_parse_variants_locations(void **state)
{
    const char *products = "{\"products\":[{\"id\":\"P1\",\"variants\":[{\"id\":" ID26 ","
                           "\"sku\":\"MUG-1\",\"inventory_item_id\":" ID26B "},"
                           "{\"id\":2,\"sku\":\"\"}]},{\"id\":\"P2\"}]}";
    const char *locs = "{\"locations\":[{\"id\":" ID26 ",\"name\":\"WH\",\"active\":false},"
                       "{\"id\":\"3\"}]}";
    struct shopline_variants v = {0};
    struct shopline_locations l = {0};
    struct errbuf err = {""};

    assert_int_equal(shopline_parse_variants(products, strlen(products), &v, &err), ST_OK);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.items[0].product_id, "P1");
    assert_string_equal(v.items[0].inventory_item_id, ID26B);
    assert_null(v.items[1].sku);
    assert_int_equal(shopline_parse_variants("{\"products\":[{\"id\":1,\"variants\":[{}]}]}", 40,
                                             &v, &err), ST_FAIL);
    assert_int_equal(v.n, 2);
    shopline_variants_cleanup(&v);
    assert_int_equal(shopline_parse_locations(locs, strlen(locs), &l, &err), ST_OK);
    assert_int_equal(l.n, 2);
    assert_false(l.items[0].active);
    assert_true(l.items[1].active);
    assert_null(l.items[1].name);
    shopline_locations_cleanup(&l);
}

/* Levels: ids as numbers or text, negative and absent stock; a bad row takes nothing. */
static void test_parse_inventory_levels(void **state)
{
    static const struct {
        const char *body;
        const char *error_has;      /* NULL: parses */
    } bad[] = {
        {"{\"inventory_levels\":[{\"location_id\":\"8\",\"available\":1}]}",
         "inventory_item_id"},
        {"{\"inventory_levels\":[{\"inventory_item_id\":\"7\",\"available\":1}]}",
         "location_id"},
        {"{\"inventory_levels\":[{\"inventory_item_id\":\"7\",\"location_id\":\"8\","
         "\"available\":\"3\"}]}", "not a stock count"},
        {"{\"inventory_levels\":[{\"inventory_item_id\":\"7\",\"location_id\":\"8\","
         "\"available\":1.5}]}", "not a stock count"},
        {"{\"inventory_levels\":[{\"inventory_item_id\":\"7\",\"location_id\":\"8\","
         "\"available\":1000000001}]}", "not a stock count"},
        {"{\"inventory_levels\":{}}", "not a list"},
        {"{\"levels\":[]}", "inventory_levels"},
    };
    const char *good = "{\"inventory_levels\":[{\"inventory_item_id\":71000000000000000000000004,"
                       "\"location_id\":\"81000000000000000000000001\",\"available\":12},"
                       "{\"inventory_item_id\":\"7\",\"location_id\":\"8\",\"available\":-3},"
                       "{\"inventory_item_id\":\"7\",\"location_id\":\"9\",\"available\":null}]}";
    struct shopline_levels l = {0};
    struct errbuf err = {""};

    (void)state;
    assert_int_equal(shopline_parse_inventory_levels(good, strlen(good), &l, &err), ST_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].inventory_item_id, "71000000000000000000000004");
    assert_string_equal(l.items[0].location_id, "81000000000000000000000001");
    assert_int_equal(l.items[0].available, 12);
    assert_true(l.items[0].available_known);
    assert_int_equal(l.items[1].available, -3);
    assert_false(l.items[2].available_known);
    assert_int_equal(l.items[2].available, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (shopline_parse_inventory_levels(bad[i].body, strlen(bad[i].body), &l, &err) == ST_OK)
            fail_msg("accepted %s", bad[i].body);
        if (strstr(err.msg, bad[i].error_has) == NULL)
            fail_msg("%s: error \"%s\" lacks \"%s\"", bad[i].body, err.msg, bad[i].error_has);
        assert_int_equal(l.n, 3);       /* nothing appended, nothing taken */
    }
    shopline_levels_cleanup(&l);
    assert_int_equal(l.n, 0);
}

static void test_is_id(void **state)
{
    assert_true(json_text_is_id(ID26));
    assert_false(json_text_is_id("0123"));
    assert_false(json_text_is_id("-1"));
    assert_false(json_text_is_id(""));
    assert_false(json_text_is_id(NULL));
    assert_false(json_text_is_id("1 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_shapes),
        cmocka_unit_test(test_link_next),
        cmocka_unit_test(test_build_fulfillment),
        cmocka_unit_test(test_parse_orders),
        cmocka_unit_test(test_parse_fulfillments),
        cmocka_unit_test(test_parse_variants_locations),
        cmocka_unit_test(test_is_id),
        cmocka_unit_test(test_parse_inventory_levels),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
