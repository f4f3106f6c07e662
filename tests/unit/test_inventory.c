/*
 * test_inventory.c - the inventory module: a table of publish values (the
 * in-flight reservation, never below 0, switched off), change detection,
 * `Item inventory summary` tables read by column name (reordered and extra
 * columns, optional On hand / Allocated, bad rows skipped and counted,
 * duplicates keep the last, a missing required column fails), the
 * PEOPLEVOX_INVENTORY_CHANGES setting, search clauses for hinted codes,
 * job keys and the budget arithmetic of the README.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"

struct value_case {
    long available, reserved;
    bool reserve;
    long want;
};

static void test_publish_value_table(void **state)
{
    static const struct value_case cases[] = {
        {10, 0, true, 10},
        {10, 3, true, 7},
        {10, 10, true, 0},
        {10, 15, true, 0},     /* never below 0 */
        {10, 15, false, 10},   /* reservation off */
        {-4, 0, true, 0},      /* Peoplevox can show negative availability */
        {-4, 2, false, 0},
        {0, 0, true, 0},
        {5, -2, true, 5},      /* a negative reservation is no reservation */
        {INVENTORY_MAX_QTY, INVENTORY_MAX_QTY, true, 0},
        {INVENTORY_MAX_QTY, -INVENTORY_MAX_QTY, true, INVENTORY_MAX_QTY},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long got = inventory_publish_value(cases[i].available, cases[i].reserved,
                                           cases[i].reserve);
        if (got != cases[i].want)
            fail_msg("case %zu: %ld - %ld (%d) = %ld, want %ld", i, cases[i].available,
                     cases[i].reserved, cases[i].reserve, got, cases[i].want);
    }
}

static void test_should_push(void **state)
{
    (void)state;
    assert_true(inventory_should_push(0, false, 0));   /* never pushed */
    assert_true(inventory_should_push(5, true, 4));
    assert_true(inventory_should_push(0, true, 3));
    assert_false(inventory_should_push(5, true, 5));   /* unchanged: no call */
    assert_false(inventory_should_push(0, true, 0));
}

static void parse_table(const char *csv, struct inventory_rows *rows, enum st want,
                        struct errbuf *err)
{
    struct csv_table t;

    assert_int_equal(csv_parse(csv, strlen(csv), 0, &t, err), ST_OK);
    assert_int_equal(inventory_rows_from_table(&t, rows, err), want);
    csv_table_cleanup(&t);
}

static void test_rows_by_name(void **state)
{
    struct inventory_rows r = {0};
    struct errbuf err = {""};
    (void)state;
    parse_table("Site reference,Extra, available ,Item code,On hand\r\n"
                "PrimarySite,x,7,SKU-1,9\r\n"
                "LONDON,x, 0 ,SKU-1,0\r\n"
                "PrimarySite,x,-2,SKU-0,1\r\n",
                &r, ST_OK, &err);
    assert_int_equal(r.n, 3);
    /* sorted by item code, then site */
    assert_string_equal(r.rows[0].item_code, "SKU-0");
    assert_int_equal(r.rows[0].available, -2);
    assert_string_equal(r.rows[1].site, "LONDON");
    assert_int_equal(r.rows[1].available, 0);
    assert_string_equal(r.rows[2].item_code, "SKU-1");
    assert_string_equal(r.rows[2].site, "PrimarySite");
    assert_int_equal(r.rows[2].available, 7);
    assert_int_equal(r.rows[2].on_hand, 9);
    assert_int_equal(r.rows[2].allocated, INVENTORY_NO_VALUE); /* no such column */
    assert_int_equal(r.skipped, 0);
    inventory_rows_cleanup(&r);
}

static void test_rows_bad_and_duplicate(void **state)
{
    struct inventory_rows r = {0};
    struct errbuf err = {""};
    (void)state;
    parse_table("Item code,Available,On hand,Allocated,Site reference\n"
                "A,1,2,1,PrimarySite\n"
                ",3,3,0,PrimarySite\n"                 /* no code */
                "B,lots,3,0,PrimarySite\n"             /* not a number */
                "C,2.5,3,0,PrimarySite\n"              /* not whole */
                "D,1,1,0,\n"                           /* no site */
                "E,999999999999,1,0,PrimarySite\n"     /* beyond any count */
                "A,4,5,1,PrimarySite\n"                /* the same pair again: last wins */
                " F ,6,x,0, LONDON \n",                /* blanks trimmed, bad On hand ignored */
                &r, ST_OK, &err);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.rows[0].item_code, "A");
    assert_int_equal(r.rows[0].available, 4);
    assert_int_equal(r.rows[0].on_hand, 5);
    assert_int_equal(r.rows[0].allocated, 1);
    assert_string_equal(r.rows[1].item_code, "F");
    assert_string_equal(r.rows[1].site, "LONDON");
    assert_int_equal(r.rows[1].on_hand, INVENTORY_NO_VALUE);
    assert_int_equal(r.skipped, 5);
    assert_non_null(strstr(r.first_skipped, "row 2: no item code"));
    inventory_rows_cleanup(&r);
}

static void test_rows_missing_column(void **state)
{
    static const char *const tables[] = {
        "Item code,On hand,Site reference\nA,1,PrimarySite\n",
        "Code,Available,Site reference\nA,1,PrimarySite\n",
        "Item code,Available,Site\nA,1,PrimarySite\n",
    };
    static const char *const missing[] = {"'Available'", "'Item code'", "'Site reference'"};
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        struct inventory_rows r = {0};
        struct errbuf err = {""};

        parse_table(tables[i], &r, ST_FAIL, &err);
        if (strstr(err.msg, missing[i]) == NULL)
            fail_msg("table %zu: %s", i, err.msg);
        assert_int_equal(r.n, 0);
        inventory_rows_cleanup(&r);
    }
}

static void test_rows_empty_and_appended(void **state)
{
    struct inventory_rows r = {0};
    struct errbuf err = {""};
    (void)state;
    parse_table("", &r, ST_OK, &err);
    assert_int_equal(r.n, 0);
    parse_table("Item code,Available,Site reference\n", &r, ST_OK, &err);
    assert_int_equal(r.n, 0);
    /* two pages append; each page's duplicates are its own */
    parse_table("Item code,Available,Site reference\nB,1,S\n", &r, ST_OK, &err);
    parse_table("Item code,Available,Site reference\nA,2,S\nA,3,S\n", &r, ST_OK, &err);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.rows[0].item_code, "B");
    assert_int_equal(r.rows[1].available, 3);
    inventory_rows_cleanup(&r);
}

struct source_case {
    const char *text;
    int rc;
    enum inventory_source_kind kind;
    const char *report, *column;
};

static void test_source_parse_table(void **state)
{
    static const struct source_case cases[] = {
        {"events", 0, INVENTORY_SOURCE_EVENTS, "", ""},
        {" events ", 0, INVENTORY_SOURCE_EVENTS, "", ""},
        {"full", 0, INVENTORY_SOURCE_FULL, "", ""},
        {"report:Stock changes:Last changed", 0, INVENTORY_SOURCE_REPORT, "Stock changes",
         "Last changed"},
        {"report: Stock: a:b : Changed at ", 0, INVENTORY_SOURCE_REPORT, "Stock: a:b",
         "Changed at"},
        {"report:Stock changes", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {"report::Changed", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {"report:Stock:", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {"report:Sto\"ck:Changed", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {"report:Stock:Chan]ged", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {"Events", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {"", -1, INVENTORY_SOURCE_EVENTS, "", ""},
        {NULL, -1, INVENTORY_SOURCE_EVENTS, "", ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct inventory_source s;
        struct errbuf err = {""};
        int rc = inventory_source_parse(cases[i].text, &s, &err);

        if (rc != cases[i].rc || s.kind != cases[i].kind ||
            strcmp(s.report, cases[i].report) != 0 || strcmp(s.column, cases[i].column) != 0)
            fail_msg("case %zu '%s': rc %d kind %d '%s' '%s'", i,
                     cases[i].text ? cases[i].text : "(null)", rc, s.kind, s.report, s.column);
        if (rc != 0 && strstr(err.msg, "report:TEMPLATE:COLUMN") == NULL)
            fail_msg("case %zu: %s", i, err.msg);
    }
}

static void test_codes_clause(void **state)
{
    const char *codes[] = {"A-1", "has\"quote", "B 2", "back\\slash", "", "C"};
    struct buf b;
    (void)state;
    buf_init(&b, 0);
    assert_int_equal(inventory_codes_clause(codes, 6, &b), 3);
    assert_string_equal(buf_cstr(&b),
                        "[Item code] == \"A-1\" OR [Item code] == \"B 2\" OR [Item code] == \"C\"");
    buf_reset(&b);
    inventory_since_clause("Last changed", 1784154600, &b); /* 15/07/2026 22:30 */
    assert_string_equal(buf_cstr(&b), "[Last changed] >= DateTime(2026,7,15,22,30,0)");
    buf_cleanup(&b);
    assert_false(inventory_code_quotable("tab\there"));
    assert_false(inventory_code_quotable("123456789012345678901234567890123456789012345678901"));
    assert_true(inventory_code_quotable("12345678901234567890123456789012345678901234567890"));
}

static void test_job_key(void **state)
{
    char key[64], item[32], loc[32];
    (void)state;
    assert_int_equal(inventory_job_key("A|B", "123", key, sizeof(key)), 0);
    assert_string_equal(key, "A|B|123");
    assert_int_equal(inventory_job_key_split(key, item, sizeof(item), loc, sizeof(loc)), 0);
    assert_string_equal(item, "A|B");
    assert_string_equal(loc, "123");
    assert_int_equal(inventory_job_key("A", "123", key, 5), -1);
    assert_int_equal(inventory_job_key_split("nobar", item, sizeof(item), loc, sizeof(loc)), -1);
    assert_int_equal(inventory_job_key_split("|123", item, sizeof(item), loc, sizeof(loc)), -1);
    assert_int_equal(inventory_job_key_split("A|", item, sizeof(item), loc, sizeof(loc)), -1);
    assert_int_equal(inventory_job_key_split("ABCDEF|1", item, 4, loc, sizeof(loc)), -1);
}

struct budget_case {
    struct inventory_budget_in in;
    double pvx_full, pvx_change, shopline;
};

static void test_budget_table(void **state)
{
    static const struct budget_case cases[] = {
        /* 5,000 SKUs x 2 sites hourly, 1% of items a minute (50/min = 3,000 an hour),
         * 60 s runs: 10 pages + 60 runs x 1 call */
        {{10000, 3600, 60, 3000, 6000, INVENTORY_SOURCE_EVENTS}, 10, 60, 6000},
        /* 50,000 x 2: 100 pages hourly; 30,000 changed items an hour = 500 a run, 10 calls */
        {{100000, 3600, 60, 30000, 60000, INVENTORY_SOURCE_EVENTS}, 100, 600, 60000},
        /* few changes: one call per changed item, never more than runs */
        {{10000, 3600, 60, 12, 24, INVENTORY_SOURCE_EVENTS}, 10, 12, 24},
        {{10000, 3600, 60, 0, 0, INVENTORY_SOURCE_EVENTS}, 10, 0, 0},
        /* a changes report is read every run, a page per 1000 changed rows */
        {{10000, 3600, 60, 3000, 6000, INVENTORY_SOURCE_REPORT}, 10, 60, 6000},
        {{100000, 1800, 60, 120000, 0, INVENTORY_SOURCE_REPORT}, 200, 120, 0},
        /* full only */
        {{10000, 900, 60, 3000, 6000, INVENTORY_SOURCE_FULL}, 40, 0, 6000},
        /* an empty catalogue still costs its one page */
        {{0, 3600, 60, 0, 0, INVENTORY_SOURCE_FULL}, 1, 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct inventory_budget b;

        inventory_budget_estimate(&cases[i].in, &b);
        if (b.pvx_full_calls_per_hour != cases[i].pvx_full ||
            b.pvx_change_calls_per_hour != cases[i].pvx_change ||
            b.pvx_calls_per_hour != cases[i].pvx_full + cases[i].pvx_change ||
            b.shopline_calls_per_hour != cases[i].shopline)
            fail_msg("case %zu: full %.1f change %.1f shopline %.1f", i,
                     b.pvx_full_calls_per_hour, b.pvx_change_calls_per_hour,
                     b.shopline_calls_per_hour);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_value_table),
        cmocka_unit_test(test_should_push),
        cmocka_unit_test(test_rows_by_name),
        cmocka_unit_test(test_rows_bad_and_duplicate),
        cmocka_unit_test(test_rows_missing_column),
        cmocka_unit_test(test_rows_empty_and_appended),
        cmocka_unit_test(test_source_parse_table),
        cmocka_unit_test(test_codes_clause),
        cmocka_unit_test(test_job_key),
        cmocka_unit_test(test_budget_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
