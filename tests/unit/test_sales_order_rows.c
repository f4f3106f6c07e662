/*
 * test_sales_order_rows.c - what goes on the wire for a Sales Order, and
 * how a batched save's answer is read back per order: money as sent and
 * compared, the order row by field name (fallbacks for customer and
 * contact), item rows and stable Line numbers, the existence check's
 * comparison, matching row statuses to orders, and the table of each
 * order's share of a batched call (call status x row statuses x matched).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sales_order_rows.h"

/* ---- money ---- */

static void test_money_as_sent(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {NULL, ""},           {"", ""},             {"12.5000", "12.50"},
        {"0.1250", "0.125"},  {"10", "10"},         {"3.1000", "3.10"},
        {"-1.0000", "-1.00"}, {"100.0100", "100.01"}, {"7.12345", "7.12345"},
        {"5.00", "5.00"},     {"5.0", "5.0"},       {"0.0000", "0.00"},
    };
    char out[SO_MONEY_MAX_BYTES];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        so_money(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: '%s' -> '%s', want '%s'", i, cases[i].in ? cases[i].in : "(null)",
                     out, cases[i].want);
    }
}

static void test_money_equal(void **state)
{
    static const struct {
        const char *a, *b;
        bool want;
    } cases[] = {
        {NULL, NULL, true},          {"", NULL, true},          {"", "0", false},
        {"12.5", "12.50", true},     {"12.50", "12.5000", true}, {"12.50", "12.51", false},
        {"12.50004", "12.5", true},  {"12.5001", "12.5", false}, {"1e2", "100", true},
        {"abc", "abc", true},        {"abc", "abd", false},     {"12.50 GBP", "12.50", false},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        if (so_money_equal(cases[i].a, cases[i].b) != cases[i].want ||
            so_money_equal(cases[i].b, cases[i].a) != cases[i].want)
            fail_msg("case %zu: '%s' vs '%s' should be %s", i, cases[i].a ? cases[i].a : "(null)",
                     cases[i].b ? cases[i].b : "(null)", cases[i].want ? "equal" : "different");
    }
}

/* ---- the order row ---- */

/* The value of field name in rec; fails when the name is not there exactly once. */
static const char *field(const struct pvx_record *rec, const char *name)
{
    const char *value = NULL;
    int seen = 0;

    for (size_t i = 0; i < rec->n; i++) {
        if (strcmp(rec->values[i].name, name) == 0) {
            value = rec->values[i].value;
            seen++;
        }
    }
    if (seen != 1)
        fail_msg("field %s appears %d times", name, seen);
    return value;
}

static void expect_field(const struct pvx_record *rec, const char *name, const char *want)
{
    const char *got = field(rec, name);

    if (want == NULL ? got != NULL : got == NULL || strcmp(got, want) != 0)
        fail_msg("%s = '%s', want '%s'", name, got ? got : "(null)", want ? want : "(null)");
}

static char *dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* A complete order (owned: so_order_cleanup). */
static struct so_order full_order(void)
{
    return (struct so_order){
        .shop = dup("shop.example"), .name = dup("#1001"), .state = dup("ready"),
        .email = dup("ann@example.com"), .customer = dup("Ann Lee"), .contact = dup("Bob Lee"),
        .ship = {dup("1 High St"), dup("Flat 2"), dup("London"), dup("Greater London"),
                 dup("N1 1AA"), dup("GB")},
        .bill = {dup("9 Low Rd"), NULL, dup("Leeds"), dup("West Yorkshire"), dup("LS1 1AA"),
                 dup("United Kingdom")},
        .shipping = dup("4.9900"), .total = dup("54.9800"), .discount = dup("5.0000"),
        .tax = dup("9.1600"), .created = dup("2026-11-26 01:30:00"), .service = dup("NEXTDAY"),
    };
}

static void test_order_row_by_field_name(void **state)
{
    struct so_order o = full_order();
    struct so_order_row row;
    static const struct {
        const char *name, *want;
    } want[] = {
        {"SalesOrderNumber", "UK-1001"},
        {"CustomerPurchaseOrderReferenceNumber", "#1001"},
        {"Customer", "ann@example.com"},
        {"Email", "ann@example.com"},
        {"ContactName", "Bob Lee"},
        {"ShippingAddressLine1", "1 High St"},
        {"ShippingAddressLine2", "Flat 2"},
        {"ShippingAddressCity", "London"},
        {"ShippingAddressRegion", "Greater London"},
        {"ShippingAddressPostcode", "N1 1AA"},
        {"ShippingAddressCountry", "GB"},
        {"InvoiceAddressLine1", "9 Low Rd"},
        {"InvoiceAddressLine2", NULL},
        {"InvoiceAddressCity", "Leeds"},
        {"InvoiceAddressRegion", "West Yorkshire"},
        {"InvoiceAddressPostcode", "LS1 1AA"},
        {"InvoiceAddressCountry", "United Kingdom"},
        {"IsPartialShipment", "True"},
        {"ShippingCost", "4.99"},
        {"TotalSale", "54.98"},
        {"Discount", "5.00"},
        {"TaxPaid", "9.16"},
        {"CreatedDate", "2026-11-26 01:30:00"},
        {"ServiceType", "NEXTDAY"},
        {"ChannelName", "Shopline"},
        {"Site", "LONDON"},
        {"RequestedDeliveryDate", ""},
    };

    so_order_row_fill(&o, "UK-1001", "LONDON", &row);
    assert_int_equal(row.rec.n, SO_ORDER_FIELDS);
    assert_int_equal(ARRAY_LEN(want), SO_ORDER_FIELDS);
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        expect_field(&row.rec, want[i].name, want[i].want);
    so_order_cleanup(&o);
    so_order_cleanup(NULL);
}

static void test_order_row_customer_and_contact_fallbacks(void **state)
{
    static const struct {
        const char *email, *customer, *contact;
        const char *want_customer, *want_contact;
    } cases[] = {
        {"a@x", "Ann", "Bob", "a@x", "Bob"},     /* the email names the customer */
        {NULL, "Ann", "Bob", "Ann", "Bob"},      /* else the customer's name */
        {NULL, NULL, "Bob", "Bob", "Bob"},       /* else the addressee */
        {NULL, "Ann", NULL, "Ann", "Ann"},       /* no addressee: the customer's name */
        {"a@x", NULL, NULL, "a@x", NULL},
        {NULL, NULL, NULL, NULL, NULL},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct so_order o = full_order();
        struct so_order_row row;

        free(o.email);
        free(o.customer);
        free(o.contact);
        o.email = dup(cases[i].email);
        o.customer = dup(cases[i].customer);
        o.contact = dup(cases[i].contact);
        so_order_row_fill(&o, "1001", "SITE", &row);
        expect_field(&row.rec, "Customer", cases[i].want_customer);
        expect_field(&row.rec, "ContactName", cases[i].want_contact);
        expect_field(&row.rec, "Email", cases[i].email);
        so_order_cleanup(&o);
    }
}

static void test_order_row_missing_money_is_empty(void **state)
{
    struct so_order o = {.name = dup("#1")};
    struct so_order_row row;

    so_order_row_fill(&o, "1", "S", &row);
    expect_field(&row.rec, "TotalSale", "");
    expect_field(&row.rec, "ShippingCost", "");
    expect_field(&row.rec, "ShippingAddressCity", NULL);
    so_order_cleanup(&o);
}

/* ---- lines and item rows ---- */

struct line_case {
    const char *line_id;
    const char *sku;
    int64_t quantity;
    bool ships;
    const char *price;
    int stored_no;
};

static void lines_from(struct so_lines *l, const struct line_case *c, size_t n)
{
    so_lines_alloc(l, n);
    for (size_t i = 0; i < n; i++) {
        l->lines[i].line_id = dup(c[i].line_id);
        l->lines[i].sku = dup(c[i].sku);
        l->lines[i].price = dup(c[i].price);
        l->lines[i].quantity = c[i].quantity;
        l->lines[i].requires_shipping = c[i].ships;
        l->line_no[i] = c[i].stored_no;
    }
}

static void test_lines_numbered_once_and_stably(void **state)
{
    static const struct line_case c[] = {
        {"L1", "A", 1, true, "1.0000", 0},      /* new: after the highest (2) */
        {"L2", "B", 1, true, "1.0000", 2},      /* kept */
        {"L3", "G", 1, false, "5.0000", 0},     /* gift card: never numbered */
        {"L4", "C", 0, true, "1.0000", 0},      /* quantity 0: nothing to ship */
        {"L5", "D", 2, true, NULL, 0},          /* new */
        {"L6", "E", 1, true, "1.0000", 1},      /* kept */
    };
    static const int want[] = {3, 2, 0, 0, 4, 1};
    struct so_lines l;

    lines_from(&l, c, ARRAY_LEN(c));
    so_lines_number(&l);
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_int_equal(l.line_no[i], want[i]);
    so_lines_number(&l); /* numbering again changes nothing */
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_int_equal(l.line_no[i], want[i]);
    so_lines_cleanup(&l);
    so_lines_cleanup(NULL);
}

static void test_item_rows_only_resolved_numbered_lines(void **state)
{
    static const struct line_case c[] = {
        {"L1", "A", 3, true, "12.5000", 1},
        {"L2", "bad sku", 1, true, "1.0000", 2},   /* no item code: not sent */
        {"L3", "G", 1, false, "5.0000", 0},        /* no Line number: not sent */
        {"L4", "B", 1, true, NULL, 3},
    };
    char *codes[] = {dup("ITEM-A"), NULL, dup("GIFT"), dup("ITEM-B")};
    struct so_item_row rows[ARRAY_LEN(c)];
    struct so_lines l;
    size_t n;

    lines_from(&l, c, ARRAY_LEN(c));
    n = so_item_rows_fill(&l, codes, "UK-1001", rows);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].rec.n, SO_ITEM_FIELDS);
    expect_field(&rows[0].rec, "SalesOrderNumber", "UK-1001");
    expect_field(&rows[0].rec, "ItemCode", "ITEM-A");
    expect_field(&rows[0].rec, "QuantityOrdered", "3");
    expect_field(&rows[0].rec, "Line", "1");
    expect_field(&rows[0].rec, "Sequence", "1");
    expect_field(&rows[0].rec, "SalePrice", "12.50");
    expect_field(&rows[1].rec, "ItemCode", "ITEM-B");
    expect_field(&rows[1].rec, "Line", "3");
    expect_field(&rows[1].rec, "SalePrice", "");
    assert_int_equal(so_item_rows_fill(&l, NULL, "UK-1001", rows), 0);
    so_lines_cleanup(&l);
    for (size_t i = 0; i < ARRAY_LEN(codes); i++)
        free(codes[i]);
}

/* ---- the existence check ---- */

static void test_compare_with_existing_sales_order(void **state)
{
    static const struct {
        const char *csv;
        const char *want;    /* a part of the reason, "" for a match */
    } cases[] = {
        {"Site,Email,TotalSale,Status\nLONDON,ann@example.com,54.98,New\n", ""},
        {"Site,Email,TotalSale,Status\nlondon,ANN@example.com,54.980,New\n", ""},
        {"SalesOrderNumber\nUK-1001\n", ""},               /* nothing to compare */
        {"Site,Status\nLONDON,cancelled\n", "it is Cancelled in Peoplevox"},
        {"Site,Email\nLEEDS,ann@example.com\n", "site is LEEDS in Peoplevox, we would send LONDON"},
        {"Site,Email\nLONDON,bob@example.com\n", "the customer email differs"},
        {"TotalSale\n60.00\n", "TotalSale is 60.00 in Peoplevox, we would send 54.98"},
        {"Site,TotalSale\nLONDON,\n", "TotalSale is  in Peoplevox"}, /* empty is not 54.98 */
    };
    struct so_order o = full_order();

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct csv_table t;
        struct errbuf err = {""};
        char why[256];

        assert_int_equal(csv_parse(cases[i].csv, strlen(cases[i].csv), 0, &t, &err), ST_OK);
        so_compare(&o, "LONDON", &t, 1, why, sizeof(why));
        if (cases[i].want[0] == '\0' ? why[0] != '\0' : strstr(why, cases[i].want) == NULL)
            fail_msg("case %zu: reason '%s', want '%s'", i, why, cases[i].want);
        csv_table_cleanup(&t);
    }
    so_order_cleanup(&o);
}

/* ---- a batched save's answer ---- */

/* An owned response (pvx_response_cleanup) with n statuses {reference, status, message}. */
static struct pvx_response response(const char *detail, const char *const (*rows)[3], size_t n)
{
    struct pvx_response r = {.detail = dup(detail), .n_statuses = n};

    r.statuses = calloc(n > 0 ? n : 1, sizeof(*r.statuses));
    for (size_t i = 0; i < n; i++)
        r.statuses[i] = (struct pvx_row_status){dup(rows[i][0]), dup(rows[i][1]),
                                                dup(rows[i][2])};
    return r;
}

static void test_verdicts_by_reference(void **state)
{
    const char *numbers[] = {"A-1", "A-2", "A-3"};
    size_t owner[] = {0, 1, 2};
    static const char *const rows[][3] = {
        {"A-3", "Success", ""}, {"A-1", "Error", "bad postcode"}, {"A-2", "Success", ""}};
    struct pvx_response r = response(NULL, rows, 3);
    struct so_verdict v[3] = {{1, 0, NULL}, {1, 0, NULL}, {1, 0, NULL}};
    bool by_position = true;

    assert_true(so_verdicts_match(numbers, 3, owner, 3, &r, v, &by_position));
    assert_false(by_position);
    assert_int_equal(v[0].seen, 1);
    assert_string_equal(v[0].error, "bad postcode");
    assert_null(v[1].error);
    assert_null(v[2].error);
    assert_int_equal(v[2].seen, 1);
    pvx_response_cleanup(&r);
}

static void test_verdicts_by_position(void **state)
{
    const char *numbers[] = {"A-1", "A-2"};
    size_t owner[] = {0, 1, 1};   /* three rows: order 0's, then two of order 1's */
    static const char *const rows[][3] = {
        {"?", "Success", ""}, {"?", "Error", ""}, {"?", "Error", "second"}};
    struct pvx_response r = response("the call's text", rows, 3);
    struct so_verdict v[2] = {{1, 0, NULL}, {2, 0, NULL}};
    bool by_position = false;

    assert_true(so_verdicts_match(numbers, 2, owner, 3, &r, v, &by_position));
    assert_true(by_position);
    assert_int_equal(v[0].seen, 1);
    assert_null(v[0].error);
    assert_int_equal(v[1].seen, 2);
    assert_string_equal(v[1].error, "the call's text"); /* the first error, its text from detail */
    pvx_response_cleanup(&r);
}

static void test_verdicts_unmatched(void **state)
{
    const char *numbers[] = {"A-1", "A-2"};
    size_t owner[] = {0, 1, 1};
    static const char *const unknown_refs[][3] = {{"?", "Success", ""}, {"?", "Error", ""}};
    static const char *const other_order[][3] = {{"A-1", "Error", ""}};
    struct pvx_response r = response(NULL, unknown_refs, 2);
    struct so_verdict v[2] = {{1, 0, NULL}, {2, 0, NULL}};
    bool by_position = false;

    /* two statuses for three rows, References unknown: nobody can tell */
    assert_false(so_verdicts_match(numbers, 2, owner, 3, &r, v, &by_position));
    assert_int_equal(v[0].seen + v[1].seen, 0);
    pvx_response_cleanup(&r);

    /* an order not in the call (no rows) is never matched by its Reference */
    r = response(NULL, other_order, 1);
    v[0] = (struct so_verdict){0, 0, NULL};
    v[1] = (struct so_verdict){2, 0, NULL};
    assert_false(so_verdicts_match(numbers, 2, owner + 1, 2, &r, v, &by_position));
    assert_int_equal(v[0].seen + v[1].seen, 0);
    pvx_response_cleanup(&r);
}

static void test_verdict_error_falls_back_to_status(void **state)
{
    const char *numbers[] = {"A-1"};
    size_t owner[] = {0};
    static const char *const rows[][3] = {{"A-1", "Error", ""}};
    struct pvx_response r = response(NULL, rows, 1);
    struct so_verdict v[1] = {{1, 0, NULL}};
    bool by_position = false;

    assert_true(so_verdicts_match(numbers, 1, owner, 1, &r, v, &by_position));
    assert_string_equal(v[0].error, "Error");
    pvx_response_cleanup(&r);
}

static void test_batch_share_table(void **state)
{
    static const struct so_verdict ok = {1, 1, NULL}, bad = {1, 1, "bad row"},
                                   unseen = {1, 0, NULL};
    static const struct {
        enum st call;
        bool unknown;
        size_t statuses;
        bool matched;
        const struct so_verdict *v;
        enum so_share want;
        enum st want_st;
    } cases[] = {
        /* accepted as a whole: no statuses */
        {ST_OK, false, 0, true, &unseen, SO_SHARE_SAVED, ST_OK},
        {ST_OK, false, 0, false, &unseen, SO_SHARE_SAVED, ST_OK},
        /* the call's own retry or an unknown outcome wins over any status */
        {ST_RETRY, false, 0, true, &unseen, SO_SHARE_CALL_RETRY, ST_RETRY},
        {ST_RETRY, false, 3, true, &bad, SO_SHARE_CALL_RETRY, ST_RETRY},
        {ST_FAIL, true, 0, false, &unseen, SO_SHARE_CALL_RETRY, ST_RETRY},
        {ST_FAIL, true, 3, true, &bad, SO_SHARE_CALL_RETRY, ST_RETRY},
        {ST_OK, true, 2, true, &ok, SO_SHARE_CALL_RETRY, ST_RETRY},
        /* refused as a whole for a data reason: each order alone */
        {ST_FAIL, false, 0, true, &unseen, SO_SHARE_REFUSED_WHOLE, ST_RETRY},
        {ST_FAIL, false, 0, false, &unseen, SO_SHARE_REFUSED_WHOLE, ST_RETRY},
        /* statuses that cannot be matched, or none for this order */
        {ST_OK, false, 2, false, &ok, SO_SHARE_UNMATCHED, ST_RETRY},
        {ST_FAIL, false, 2, false, &bad, SO_SHARE_UNMATCHED, ST_RETRY},
        {ST_OK, false, 2, true, &unseen, SO_SHARE_UNMATCHED, ST_RETRY},
        {ST_FAIL, false, 2, true, &unseen, SO_SHARE_UNMATCHED, ST_RETRY},
        /* its own row rejected: held */
        {ST_FAIL, false, 2, true, &bad, SO_SHARE_REJECTED, ST_FAIL},
        {ST_OK, false, 2, true, &bad, SO_SHARE_REJECTED, ST_FAIL},
        /* others rejected: not assumed saved */
        {ST_FAIL, false, 2, true, &ok, SO_SHARE_OTHERS_REJECTED, ST_RETRY},
        /* every row Success */
        {ST_OK, false, 2, true, &ok, SO_SHARE_SAVED, ST_OK},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        enum so_share got = so_batch_share(cases[i].call, cases[i].unknown, cases[i].statuses,
                                           cases[i].matched, cases[i].v);

        if (got != cases[i].want)
            fail_msg("case %zu: %s, want %s", i, so_share_name(got),
                     so_share_name(cases[i].want));
        assert_int_equal(so_share_status(got), cases[i].want_st);
    }
    assert_string_equal(so_share_name((enum so_share)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_money_as_sent),
        cmocka_unit_test(test_money_equal),
        cmocka_unit_test(test_order_row_by_field_name),
        cmocka_unit_test(test_order_row_customer_and_contact_fallbacks),
        cmocka_unit_test(test_order_row_missing_money_is_empty),
        cmocka_unit_test(test_lines_numbered_once_and_stably),
        cmocka_unit_test(test_item_rows_only_resolved_numbered_lines),
        cmocka_unit_test(test_compare_with_existing_sales_order),
        cmocka_unit_test(test_verdicts_by_reference),
        cmocka_unit_test(test_verdicts_by_position),
        cmocka_unit_test(test_verdicts_unmatched),
        cmocka_unit_test(test_verdict_error_falls_back_to_status),
        cmocka_unit_test(test_batch_share_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
