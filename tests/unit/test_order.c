/*
 * test_order.c - Shopline order mapping, timestamps and money (order.c);
 * the state machine is tested in test_order_state.c.
 *
 * Realistic payloads live in tests/fixtures (FIXTURES_DIR); the many small
 * ways a body can be wrong are inline tables, one row per failure, so a
 * new bad shape is one line. The 26-digit ids are checked both as JSON
 * strings and as bare JSON numbers, because json-c alone would saturate
 * the latter to UINT64_MAX (see the note at the top of
 * service/core/domain/order.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "order.h"

/* ---- helpers ------------------------------------------------------------ */

static char *fixture_read(const char *name, size_t *len)
{
    char path[512];
    FILE *f;
    char *data;
    long size;

    snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
    f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("could not open fixture %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    data = xmalloc((size_t)size + 1);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

static void fixture_parse(const char *name, struct order *o)
{
    struct errbuf err;
    size_t len;
    char *json = fixture_read(name, &len);
    enum st rc;

    errbuf_clear(&err);
    rc = order_parse_json(json, len, o, &err);
    free(json);
    if (rc != ST_OK)
        fail_msg("fixture %s: %s", name, err.msg);
}

static enum st parse_text(const char *json, struct order *o, struct errbuf *err)
{
    return order_parse_json(json, strlen(json), o, err);
}

#define assert_null_str(p) assert_null((const void *)(p))

/* ---- fixtures ----------------------------------------------------------- */

static void test_parse_paid(void **state)
{
    struct order o;

    fixture_parse("order_paid.json", &o);
    assert_string_equal(o.id, "21055843985451234567890123");
    assert_string_equal(o.name, "#1001");
    assert_string_equal(o.financial_status, "paid");
    assert_null_str(o.fulfillment_status);
    assert_string_equal(o.status, "open");
    assert_null_str(o.cancelled_at);
    assert_string_equal(o.created_at, "2026-11-26T09:12:44+08:00");
    assert_string_equal(o.updated_at, "2026-11-26T09:30:00+08:00");
    assert_int_equal(o.updated_at_ms, INT64_C(1795656600000));
    assert_string_equal(o.currency, "SGD");
    assert_string_equal(o.total_price, "131.90");
    assert_string_equal(o.total_tax, "10.88");
    assert_string_equal(o.total_discounts, "0.00");
    assert_string_equal(o.customer_id, "4200000000000000123456");
    assert_string_equal(o.customer_last_name, "Lin");
    assert_true(o.has_shipping_address);
    assert_string_equal(o.shipping.address2, "#21-07 International Plaza");
    assert_string_equal(o.shipping.zip, "079903"); /* leading zero kept: text */
    assert_null_str(o.shipping.province);
    assert_true(o.has_billing_address);
    assert_null_str(o.billing.phone);
    assert_string_equal(o.shipping_title, "Standard Delivery");
    assert_string_equal(o.shipping_code, "STANDARD");
    assert_string_equal(o.shipping_price, "6.88");
    assert_string_equal(o.location_id, "6100000000000000001"); /* from the first line */
    assert_int_equal(o.n_lines, 3);
    assert_string_equal(o.lines[0].line_id, "21055843985451234567890201");
    assert_string_equal(o.lines[0].sku, "TEE-RED,\"XL\"");
    assert_string_equal(o.lines[0].price, "39.95");
    assert_int_equal(o.lines[0].quantity, 2);
    assert_int_equal(o.lines[0].fulfillable_quantity, 2);
    assert_true(o.lines[0].requires_shipping);
    assert_string_equal(o.lines[1].variant_id, "18057439582711234567890457");
    assert_null_str(o.lines[2].variant_title);
    assert_null_str(o.lines[2].location_id);
    assert_int_equal(o.lines[2].fulfillable_quantity, 0);
    assert_false(o.lines[2].requires_shipping);
    assert_false(order_is_cancelled(&o));
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_READY);
    order_cleanup(&o);
}

static void test_parse_numeric_ids(void **state)
{
    struct order o;

    fixture_parse("order_numeric_ids.json", &o);
    assert_string_equal(o.id, "21055843985451234567890123");
    assert_string_equal(o.customer_id, "4200000000000000123456");
    assert_string_equal(o.location_id, "6100000000000000002"); /* order level wins */
    assert_string_equal(o.lines[0].line_id, "21055843985451234567890201");
    assert_string_equal(o.lines[0].product_id, "16057439582711234567890123");
    assert_string_equal(o.lines[0].variant_id, "18057439582711234567890456");
    assert_string_equal(o.lines[0].location_id, "6100000000000000001");
    assert_string_equal(o.lines[0].sku, "TEE-RED,\"XL\"");
    assert_string_equal(o.lines[1].line_id, "-99999999999999999999999999");
    assert_string_equal(o.lines[1].product_id, "987654321");
    assert_string_equal(o.lines[1].variant_id, "123456789012345678");
    /* Money sent as numbers keeps its source text. */
    assert_string_equal(o.total_price, "131.90");
    assert_string_equal(o.total_discounts, "0");
    assert_string_equal(o.lines[1].price, "45.12");
    /* Digits inside strings are not touched by the big-integer rewrite. */
    assert_string_equal(o.note, "ids like 21055843985451234567890123 inside text stay text: "
                                "\"99999999999999999999\" \\ done");
    order_cleanup(&o);
}

/* Same order, ids as strings or as numbers: the same identity. */
static void test_parse_ids_string_equals_number(void **state)
{
    struct order a, b;

    fixture_parse("order_paid.json", &a);
    fixture_parse("order_numeric_ids.json", &b);
    assert_string_equal(a.id, b.id);
    assert_string_equal(a.customer_id, b.customer_id);
    assert_string_equal(a.lines[0].line_id, b.lines[0].line_id);
    assert_string_equal(a.lines[0].variant_id, b.lines[0].variant_id);
    assert_int_equal(a.updated_at_ms, b.updated_at_ms);
    order_cleanup(&a);
    order_cleanup(&b);
}

static void test_parse_minimal(void **state)
{
    struct order o;

    fixture_parse("order_minimal.json", &o);
    assert_string_equal(o.id, "7");
    assert_string_equal(o.name, "#7");
    assert_null_str(o.financial_status);
    assert_null_str(o.fulfillment_status);
    assert_null_str(o.status);
    assert_null_str(o.updated_at);
    assert_int_equal(o.updated_at_ms, -1);
    assert_null_str(o.total_price);
    assert_null_str(o.customer_id);
    assert_null_str(o.customer_email);
    assert_false(o.has_shipping_address);
    assert_false(o.has_billing_address);
    assert_null_str(o.shipping.name);
    assert_null_str(o.shipping_title);
    assert_null_str(o.location_id);
    assert_int_equal(o.n_lines, 1);
    assert_string_equal(o.lines[0].line_id, "70");
    assert_null_str(o.lines[0].sku);
    assert_null_str(o.lines[0].price);
    assert_int_equal(o.lines[0].quantity, 0);
    assert_int_equal(o.lines[0].fulfillable_quantity, -1);
    assert_true(o.lines[0].requires_shipping);
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_AWAITING_PAYMENT);
    order_cleanup(&o);
}

static void test_parse_unpaid(void **state)
{
    struct order o;

    fixture_parse("order_unpaid.json", &o);
    assert_string_equal(o.financial_status, "pending");
    assert_int_equal(o.updated_at_ms, INT64_C(1795658400000));
    assert_string_equal(o.total_discounts, "-20.00");
    assert_string_equal(o.shipping.address1, "1 Queen's Road Central");
    assert_null_str(o.shipping.zip);
    assert_null_str(o.customer_phone);
    assert_null_str(o.shipping_title); /* empty shipping_lines */
    assert_false(order_is_paid(o.financial_status, "paid, partially_refunded"));
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_AWAITING_PAYMENT);
    order_cleanup(&o);
}

static void test_parse_unicode(void **state)
{
    struct order o;

    fixture_parse("order_unicode.json", &o);
    assert_string_equal(o.customer_first_name, "\xe5\xb0\x8f\xe6\x98\x8e");   /* 小明 */
    assert_string_equal(o.customer_last_name, "\xe7\x8e\x8b");                /* 王 */
    assert_string_equal(o.shipping.company, "M\xc3\xbcller & S\xc3\xb8n GmbH");
    assert_string_equal(o.shipping.address2, "\xc3\x89" "DIFICE \xc2\xab\xc3\x91" "and\xc3\xba\xc2\xbb 5F");
    assert_string_equal(o.shipping.country, "\xe6\x97\xa5\xe6\x9c\xac");       /* 日本 */
    assert_string_equal(o.note, "\xe8\xaa\x95\xe7\x94\x9f\xe6\x97\xa5\xe3\x83\x97\xe3\x83\xac"
                                "\xe3\x82\xbc\xe3\x83\xb3\xe3\x83\x88\xe3\x81\xa7\xe3\x81\x99 "
                                "\xf0\x9f\x8e\x81 \xe2\x80\x94 merci, Jos\xc3\xa9!");
    assert_string_equal(o.lines[0].sku, "CAF\xc3\x89-CR\xc3\x88ME-\xe2\x98\x95");
    /* A \ud83d\ude80 surrogate pair in the JSON becomes the 4-byte UTF-8 rocket. */
    assert_string_equal(o.lines[1].sku, "EMOJI-\xf0\x9f\x9a\x80");
    assert_string_equal(o.total_price, "12800");
    /* 14:00:00.250+09:00 is 05:00:00.250Z */
    assert_int_equal(o.updated_at_ms, INT64_C(1772341200250));
    order_cleanup(&o);
}

static void test_parse_cancelled(void **state)
{
    struct order o;

    fixture_parse("order_cancelled.json", &o);
    assert_string_equal(o.status, "cancelled");
    assert_string_equal(o.cancel_reason, "customer");
    assert_true(order_is_cancelled(&o));
    assert_int_equal(order_intake_state(&o, "paid,refunded"), ORDER_CANCELLED);
    /* 10:05:01-05:00 is 15:05:01Z */
    assert_int_equal(o.updated_at_ms, INT64_C(1795791901000));
    order_cleanup(&o);
}

static void test_parse_partially_refunded(void **state)
{
    struct order o;

    fixture_parse("order_partially_refunded.json", &o);
    assert_int_equal(order_intake_state(&o, "paid"), ORDER_AWAITING_PAYMENT);
    assert_int_equal(order_intake_state(&o, "paid, partially_refunded"), ORDER_READY);
    order_cleanup(&o);
}

static void test_parse_bad_fixtures(void **state)
{
    /* the last two are regressions found by fuzz_order (big-integer quoting must not make
     * invalid JSON valid); fuzz_order replays every fixture too */
    static const char *const names[] = { "bad_not_object.json", "bad_not_json.json",
                                         "bad_leading_zeros_id.json", "bad_numeric_key.json" };
    size_t i;

    for (i = 0; i < ARRAY_LEN(names); i++) {
        struct order o;
        struct errbuf err;
        size_t len;
        char *json = fixture_read(names[i], &len);

        errbuf_clear(&err);
        assert_int_equal(order_parse_json(json, len, &o, &err), ST_FAIL);
        assert_true(err.msg[0] != '\0');
        assert_null_str(o.id);
        free(json);
    }
}

/* ---- failures ----------------------------------------------------------- */

struct bad_case {
    const char *what;
    const char *json;
    const char *want_in_err; /* a fragment the reason must contain */
};

#define L1 "\"line_items\":[{\"id\":\"1\",\"quantity\":1}]"
#define HEAD "{\"id\":\"1\",\"name\":\"#1\","

static const struct bad_case bad_cases[] = {
    { "not JSON", "<html>oops</html>", "not JSON" },
    { "empty body", "", "not JSON" },
    { "truncated", HEAD L1, "not JSON" },
    { "trailing garbage", HEAD L1 "} x", "not JSON" },
    { "two objects", HEAD L1 "}{}", "not JSON" },
    { "leading zero number", HEAD "\"total_price\":08," L1 "}", "not JSON" },
    { "invalid UTF-8", HEAD "\"note\":\"\xff\xfe\"," L1 "}", "not JSON" },
    { "array", "[" HEAD L1 "}]", "array" },
    { "string", "\"order\"", "string" },
    { "null", "null", "JSON null" },
    { "number", "5", "JSON int" },
    { "whitespace only", "  \n", "not JSON" },
    { "missing id", "{\"name\":\"#1\"," L1 "}", "\"id\"" },
    { "null id", "{\"id\":null,\"name\":\"#1\"," L1 "}", "\"id\"" },
    { "empty id", "{\"id\":\"\",\"name\":\"#1\"," L1 "}", "empty" },
    { "fractional id", "{\"id\":1.5,\"name\":\"#1\"," L1 "}", "wrong type" },
    { "object id", "{\"id\":{},\"name\":\"#1\"," L1 "}", "wrong type" },
    { "bool id", "{\"id\":true,\"name\":\"#1\"," L1 "}", "wrong type" },
    { "NUL in id", "{\"id\":\"1\\u00002\",\"name\":\"#1\"," L1 "}", "NUL" },
    { "missing name", "{\"id\":\"1\"," L1 "}", "\"name\"" },
    { "missing line_items", HEAD "\"total_price\":\"1.00\"}", "line_items" },
    { "null line_items", HEAD "\"line_items\":null}", "line_items" },
    { "line_items object", HEAD "\"line_items\":{}}", "array" },
    { "line not object", HEAD "\"line_items\":[7]}", "line_items[0]" },
    { "missing line id", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":1},{\"quantity\":1}]}",
      "line_items[1] lacks required field \"id\"" },
    { "missing quantity", HEAD "\"line_items\":[{\"id\":\"1\"}]}", "quantity" },
    { "negative quantity", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":-1}]}", "negative" },
    { "fractional quantity", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":1.5}]}",
      "not an integer" },
    { "integral double quantity", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":2.0}]}",
      "not an integer" },
    { "string quantity", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":\"2\"}]}",
      "not an integer" },
    { "huge quantity", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":100000000000000000000}]}",
      "not an integer" },
    /* unstorable: a 500 would make Shopline redeliver for 48 h */
    { "quantity above the cap", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":3000000000}]}",
      "above the 1000000" },
    { "duplicate line ids",
      HEAD "\"line_items\":[{\"id\":\"7\",\"quantity\":1},{\"id\":\"7\",\"quantity\":2}]}",
      "same id 7" },
    { "20-digit total", HEAD "\"total_price\":\"12345678901234567890\"," L1 "}", "total_price" },
    { "negative fulfillable",
      HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":1,\"fulfillable_quantity\":-2}]}",
      "fulfillable_quantity" },
    { "requires_shipping text",
      HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":1,\"requires_shipping\":\"yes\"}]}",
      "boolean" },
    { "money exponent text", HEAD "\"total_price\":\"1e5\"," L1 "}", "\"1e5\"" },
    { "money exponent number", HEAD "\"total_price\":1e5," L1 "}", "\"1e5\"" },
    { "money words", HEAD "\"total_tax\":\"abc\"," L1 "}", "total_tax" },
    { "money empty", HEAD "\"total_price\":\"\"," L1 "}", "not a decimal" },
    { "money with space", HEAD "\"total_price\":\" 8.00\"," L1 "}", "not a decimal" },
    { "money with comma", HEAD "\"total_price\":\"1,000.00\"," L1 "}", "not a decimal" },
    { "line money", HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":1,\"price\":\"$5\"}]}",
      "line_items[0] field \"price\"" },
    { "shipping money", HEAD "\"shipping_lines\":[{\"price\":\"free\"}]," L1 "}",
      "shipping_lines[0]" },
    { "customer text", HEAD "\"customer\":\"guest\"," L1 "}", "customer" },
    { "address array", HEAD "\"shipping_address\":[]," L1 "}", "shipping_address" },
    { "address field object", HEAD "\"billing_address\":{\"zip\":{}}," L1 "}", "zip" },
    { "bad updated_at", HEAD "\"updated_at\":\"yesterday\"," L1 "}", "updated_at" },
    { "updated_at without zone", HEAD "\"updated_at\":\"2026-11-26T09:30:00\"," L1 "}",
      "updated_at" },
};

static void test_parse_failures(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad_cases); i++) {
        const struct bad_case *c = &bad_cases[i];
        struct order o;
        struct errbuf err;
        enum st rc;

        errbuf_clear(&err);
        rc = parse_text(c->json, &o, &err);
        if (rc != ST_FAIL)
            fail_msg("%s: parsed, want failure", c->what);
        if (strstr(err.msg, c->want_in_err) == NULL)
            fail_msg("%s: reason \"%s\" lacks \"%s\"", c->what, err.msg, c->want_in_err);
        /* Nothing left to clean up after a failure. */
        assert_null_str(o.id);
        assert_null_str(o.name);
        assert_null((void *)o.lines);
        assert_int_equal(o.n_lines, 0);
    }
}

static void test_parse_null_and_length(void **state)
{
    struct order o;
    struct errbuf err;
    static const char json[] = HEAD L1 "}GARBAGE";

    static const char nul_inside[] = HEAD L1 "}\0{}";

    assert_int_equal(order_parse_json(NULL, 0, &o, &err), ST_FAIL);
    /* A raw NUL must not hide what follows it. */
    assert_int_equal(order_parse_json(nul_inside, sizeof(nul_inside) - 1, &o, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "data after the value"));
    /* Only len bytes are read: the garbage after them is not part of the body. */
    assert_int_equal(order_parse_json(json, strlen(json) - 7, &o, &err), ST_OK);
    assert_string_equal(o.id, "1");
    order_cleanup(&o);
    order_cleanup(&o); /* idempotent */
    order_cleanup(NULL);
}

static void test_parse_empty_lines_and_location(void **state)
{
    struct order o;
    struct errbuf err;

    assert_int_equal(parse_text(HEAD "\"line_items\":[]}", &o, &err), ST_OK);
    assert_int_equal(o.n_lines, 0);
    assert_null_str(o.location_id);
    order_cleanup(&o);
    assert_int_equal(parse_text(HEAD "\"line_items\":[{\"id\":\"1\",\"quantity\":1,"
                                     "\"location_id\":null},{\"id\":\"2\",\"quantity\":1,"
                                     "\"location_id\":\"9\"}]}", &o, &err), ST_OK);
    assert_null_str(o.location_id); /* first line's, even when it has none */
    order_cleanup(&o);
}

/* ---- money -------------------------------------------------------------- */

struct money_case {
    const char *in;
    bool want;
};

static void test_money_valid(void **state)
{
    static const struct money_case cases[] = {
        { "8.00", true }, { "0", true }, { "0.00", true }, { "-20.00", true },
        { "1234567.891", true }, { "12800", true }, { "007.5", true },
        { NULL, false }, { "", false }, { "-", false }, { ".5", false }, { "5.", false },
        { "1e5", false }, { "1E5", false }, { "abc", false }, { "+1.00", false },
        { " 1.00", false }, { "1.00 ", false }, { "1,00", false }, { "1.0.0", false },
        { "--1", false }, { "NaN", false }, { "Infinity", false }, { "0x10", false },
        /* what numeric(20,4) can hold, with room: 12 digits before the point, 4 after */
        { "999999999999.9999", true }, { "1000000000000", false }, { "1.00001", false },
        { "12345678901234567890", false },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        if (order_money_valid(cases[i].in) != cases[i].want)
            fail_msg("money \"%s\": want %d", cases[i].in ? cases[i].in : "(null)",
                     cases[i].want);
    }
}

/* ---- time --------------------------------------------------------------- */

struct time_case {
    const char *in;
    int rc;
    int64_t want_ms;
};

static void test_parse_time(void **state)
{
    static const struct time_case cases[] = {
        { "1970-01-01T00:00:00Z", 0, 0 },
        { "1970-01-01T00:00:00+00:00", 0, 0 },
        { "1970-01-01T08:00:00+08:00", 0, 0 },
        { "1969-12-31T23:59:59Z", 0, -1000 },
        { "2026-11-26T09:30:00+08:00", 0, INT64_C(1795656600000) },
        { "2026-11-26T01:30:00Z", 0, INT64_C(1795656600000) },
        { "2026-11-26T01:30:00z", 0, INT64_C(1795656600000) },
        { "2026-11-26 01:30:00Z", 0, INT64_C(1795656600000) },
        { "2026-11-25T20:30:00-05:00", 0, INT64_C(1795656600000) },
        { "2026-11-26T07:00:00+0530", 0, INT64_C(1795656600000) },
        { "2026-11-26T09:30:00+08", 0, INT64_C(1795656600000) },
        { "2026-01-01T05:30:00+05:30", 0, INT64_C(1767225600000) },
        { "2026-01-01T00:00:00-05:15", 0, INT64_C(1767244500000) },
        { "2025-12-31T23:45:00-05:15", 0, INT64_C(1767244500000) - 15 * 60 * 1000 },
        { "2026-01-01T00:00:00.5Z", 0, INT64_C(1767225600500) },
        { "2026-01-01T00:00:00.123456789Z", 0, INT64_C(1767225600123) },
        { "2026-01-01T00:00:00,250Z", 0, INT64_C(1767225600250) },
        { "2000-02-29T12:00:00Z", 0, INT64_C(951825600000) },
        { "2024-02-29T00:00:00Z", 0, INT64_C(1709164800000) },
        { "1900-03-01T00:00:00Z", 0, INT64_C(-2203891200000) },
        { "9999-12-31T23:59:59Z", 0, INT64_C(253402300799000) },
        { "2016-12-31T23:59:60Z", 0, INT64_C(1483228800000) },
        { "", -1, 0 },
        { "2026-11-26", -1, 0 },
        { "2026-11-26T09:30:00", -1, 0 },          /* no zone: ambiguous local time */
        { "2026-11-26T09:30Z", -1, 0 },
        { "2026-11-26T09:30:00+08:00x", -1, 0 },
        { "2026-11-26T09:30:00+8:00", -1, 0 },
        { "2026-11-26T09:30:00+24:00", -1, 0 },
        { "2026-11-26T09:30:00+08:60", -1, 0 },
        { "2026-11-26T09:30:00.Z", -1, 0 },
        { "2026-13-01T00:00:00Z", -1, 0 },
        { "2026-00-10T00:00:00Z", -1, 0 },
        { "2026-04-31T00:00:00Z", -1, 0 },
        { "2023-02-29T00:00:00Z", -1, 0 },
        { "1900-02-29T00:00:00Z", -1, 0 },
        { "2026-11-26T24:00:00Z", -1, 0 },
        { "2026-11-26T23:60:00Z", -1, 0 },
        { "2026-11-26T23:59:61Z", -1, 0 },
        { "2026/11/26T09:30:00Z", -1, 0 },
        { "26-11-26T09:30:00Z", -1, 0 },
        { " 2026-11-26T09:30:00Z", -1, 0 },
        { "2026-11-26X09:30:00Z", -1, 0 },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t ms = 42;
        int rc = order_parse_time_ms(cases[i].in, &ms);

        if (rc != cases[i].rc)
            fail_msg("\"%s\": rc %d, want %d", cases[i].in, rc, cases[i].rc);
        if (rc == 0 && ms != cases[i].want_ms)
            fail_msg("\"%s\": %lld ms, want %lld", cases[i].in, (long long)ms,
                     (long long)cases[i].want_ms);
        if (rc != 0 && ms != 42)
            fail_msg("\"%s\": output written on failure", cases[i].in);
    }
    assert_int_equal(order_parse_time_ms(NULL, NULL), -1);
}

/*
 * Deliveries are unordered and stores send local offsets: the text order of
 * two updated_at values can be the opposite of their real order.
 */
static void test_updated_at_out_of_order(void **state)
{
    const char *older_text = "2026-11-26T09:30:00+08:00"; /* 01:30Z */
    const char *newer_text = "2026-11-26T02:00:00Z";
    struct order older, newer;

    fixture_parse("order_paid.json", &older);
    fixture_parse("order_unpaid.json", &newer);
    assert_string_equal(older.updated_at, older_text);
    assert_string_equal(newer.updated_at, newer_text);
    assert_true(strcmp(older_text, newer_text) > 0);
    assert_true(older.updated_at_ms < newer.updated_at_ms);
    assert_int_equal(newer.updated_at_ms - older.updated_at_ms, 30 * 60 * 1000);
    order_cleanup(&older);
    order_cleanup(&newer);
}

/* ---- the mapping feeds the state machine -------------------------------- */

/* A redelivered paid webhook must not queue a second Sales Order. */
static void test_redelivery_posts_once(void **state)
{
    struct order o;
    struct order_transition first, again;
    enum order_state intake;

    fixture_parse("order_paid.json", &o);
    intake = order_intake_state(&o, "paid");
    first = order_next_state(false, ORDER_AWAITING_PAYMENT, intake);
    again = order_next_state(true, first.next, intake);
    assert_true(first.enqueue_post);
    assert_false(again.enqueue_post);
    assert_int_equal(again.next, ORDER_READY);
    order_cleanup(&o);
}

/*
 * Regression (found by fuzz_order): big-integer quoting must not make invalid JSON valid
 * (leading zeros and numeric keys: the bad_*.json fixtures; a number after a value here).
 */
static void test_big_integer_quoting_keeps_invalid_json_invalid(void **state)
{
    static const char *const bodies[] = {
        "{\"id\":\"1\" 12345678901234567890123,\"name\":\"#1\",\"line_items\":[]}",
    };
    const char *ok = "{\"id\":12345678901234567890123,\"name\":\"#1\",\"line_items\":"
                     "[{\"id\":98765432109876543210,\"quantity\":1}]}";
    struct order o;
    struct errbuf err;

    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        assert_int_equal(order_parse_json(bodies[i], strlen(bodies[i]), &o, &err), ST_FAIL);
    assert_int_equal(order_parse_json(ok, strlen(ok), &o, &err), ST_OK);
    assert_string_equal(o.id, "12345678901234567890123");
    assert_string_equal(o.lines[0].line_id, "98765432109876543210");
    order_cleanup(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_paid),
        cmocka_unit_test(test_big_integer_quoting_keeps_invalid_json_invalid),
        cmocka_unit_test(test_parse_numeric_ids),
        cmocka_unit_test(test_parse_ids_string_equals_number),
        cmocka_unit_test(test_parse_minimal),
        cmocka_unit_test(test_parse_unpaid),
        cmocka_unit_test(test_parse_unicode),
        cmocka_unit_test(test_parse_cancelled),
        cmocka_unit_test(test_parse_partially_refunded),
        cmocka_unit_test(test_parse_bad_fixtures),
        cmocka_unit_test(test_parse_failures),
        cmocka_unit_test(test_parse_null_and_length),
        cmocka_unit_test(test_parse_empty_lines_and_location),
        cmocka_unit_test(test_money_valid),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_updated_at_out_of_order),
        cmocka_unit_test(test_redelivery_posts_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
