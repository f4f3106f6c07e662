/*
 * test_despatch.c - the despatch module: a table of Peoplevox dates (quoted,
 * with and without seconds, out of range), Despatch summary tables grouped
 * by despatch number with columns found by name, bad rows that mark only
 * their own despatch, and tables of allocations to order lines (splits
 * across lines of one code, already despatched units, never over-fulfilling;
 * lines found through their SKU or sku_map as well as the code they were
 * sent as).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "despatch.h"

struct date_case {
    const char *text;
    int ok;
    int64_t want;
};

static void test_parse_date_table(void **state)
{
    static const struct date_case cases[] = {
        { "'03/07/2017 06:03'", 0, 1499061780 },       /* 3 July 2017, day first */
        { "03/07/2017 06:03", 0, 1499061780 },
        { "'03/07/2017 06:03:09'", 0, 1499061789 },
        { " \"31/12/2026 23:59:59\" ", 0, 1798761599 },
        { "29/02/2024 00:00", 0, 1709164800 },
        { "01/01/1970 00:00", 0, 0 },
        /* the wall clock as written, no zone applied: a London summer evening
         * stays 22:30 (the caller converts it with the tenant's zone) */
        { "'15/07/2026 22:30'", 0, 1784154600 },
        { "'29/03/2026 01:30:00'", 0, 1774747800 },   /* in London's spring-forward gap */
        { "\"25/10/2026 01:30\"", 0, 1792891800 },     /* London's repeated hour */
        { "29/02/2023 00:00", -1, 0 },                /* not a leap year */
        { "31/04/2026 10:00", -1, 0 },
        { "03/13/2017 06:03", -1, 0 },                /* month first is refused */
        { "03/07/2017 24:00", -1, 0 },
        { "03/07/2017 06:60", -1, 0 },
        { "'03/07/2017 06:03", -1, 0 },               /* unterminated quote */
        { "03/07/2017", -1, 0 },
        { "3/7/2017 06:03", -1, 0 },
        { "03/07/2017 06:03 x", -1, 0 },
        { "", -1, 0 },
        { NULL, -1, 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = -7;
        int rc = despatch_parse_date(cases[i].text, &got);
        if (rc != cases[i].ok || (rc == 0 && got != cases[i].want))
            fail_msg("case %zu \"%s\": rc %d got %lld", i, cases[i].text ? cases[i].text : "(null)",
                     rc, (long long)got);
    }
}

/* Parses csv into *t (which must parse) and groups it into *l: despatch_group_rows's status. */
static enum st group_csv(const char *csv, struct csv_table *t, struct despatch_list *l,
                         struct errbuf *err)
{
    assert_int_equal(csv_parse(csv, strlen(csv), 0, t, err), ST_OK);
    return despatch_group_rows(t, l, err);
}

static void test_group_by_number(void **state)
{
    /* columns reordered and one extra: found by name */
    const char *csv =
        "Despatch number,Extra,Salesorder number,Item code,No of items,Despatch date,Carrier,"
        "Service,Tracking number,Site reference\r\n"
        "D1,x,SV1001,A,2,'03/07/2017 06:03',DPD,Next day,TRK1,Main\r\n"
        "D2,x,SV1002,B,1,'04/07/2017 07:00:30',Royal Mail,,TRK2,Main\r\n"
        "D1,x,SV1001,C,1,'03/07/2017 06:03',DPD,Next day,TRK1,Main\r\n"
        "D1,x,SV1001,A,1,'03/07/2017 06:03',DPD,Next day,TRK1,Main\r\n";
    struct csv_table t = { 0 };
    struct despatch_list l = { 0 };
    struct errbuf err = { 0 };
    (void)state;
    assert_int_equal(group_csv(csv, &t, &l, &err), ST_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].number, "D1");
    assert_string_equal(l.items[0].so_number, "SV1001");
    assert_string_equal(l.items[0].carrier, "DPD");
    assert_string_equal(l.items[0].service, "Next day");
    assert_string_equal(l.items[0].tracking, "TRK1");
    assert_string_equal(l.items[0].site, "Main");
    assert_int_equal(l.items[0].local_s, 1499061780);
    assert_null(l.items[0].invalid);
    assert_int_equal(l.items[0].n_items, 2);
    assert_string_equal(l.items[0].items[0].item_code, "A");
    assert_int_equal(l.items[0].items[0].quantity, 3);   /* two rows of A summed */
    assert_string_equal(l.items[0].items[1].item_code, "C");
    assert_int_equal(l.items[0].items[1].quantity, 1);
    assert_string_equal(l.items[1].number, "D2");
    assert_string_equal(l.items[1].service, "");
    assert_int_equal(l.items[1].local_s, 1499151630);
    despatch_list_cleanup(&l);
    csv_table_cleanup(&t);
}

static void test_bad_rows_mark_their_despatch(void **state)
{
    const char *csv =
        "Salesorder number,Despatch number,Despatch date,Carrier,Service,Tracking number,"
        "Item code,No of items\r\n"
        "SV1,D1,'32/01/2026 10:00',DPD,,T1,A,1\r\n"      /* bad date */
        "SV2,D2,'01/01/2026 10:00',DPD,,T2,A,zero\r\n"   /* bad quantity */
        "SV3,,'01/01/2026 10:00',DPD,,T3,A,1\r\n"        /* no despatch number */
        "SV4,D4,'01/01/2026 10:00',DPD,,T4,A,0\r\n"      /* zero units */
        "SV5,D5,'01/01/2026 10:00',DPD,,,A,1\r\n";       /* fine, no tracking */
    struct csv_table t = { 0 };
    struct despatch_list l = { 0 };
    struct errbuf err = { 0 };
    (void)state;
    assert_int_equal(group_csv(csv, &t, &l, &err), ST_OK);
    assert_int_equal(l.n, 5);
    assert_non_null(strstr(l.items[0].invalid, "despatch date"));
    assert_non_null(strstr(l.items[1].invalid, "number of items"));
    assert_non_null(strstr(l.items[2].invalid, "no despatch number"));
    assert_non_null(strstr(l.items[3].invalid, "number of items"));
    assert_null(l.items[4].invalid);
    assert_string_equal(l.items[4].tracking, "");
    despatch_list_cleanup(&l);
    csv_table_cleanup(&t);
}

static void test_missing_column_fails(void **state)
{
    const char *csv = "Salesorder number,Despatch number,Despatch date,Carrier,Service,"
                      "Tracking number,No of items\r\nSV1,D1,'01/01/2026 10:00',DPD,,T,1\r\n";
    struct csv_table t = { 0 };
    struct despatch_list l = { 0 };
    struct errbuf err = { 0 };
    (void)state;
    assert_int_equal(group_csv(csv, &t, &l, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "Item code"));
    assert_int_equal(l.n, 0);
    csv_table_cleanup(&t);
}

struct alloc_case {
    const char *name;
    const char *codes;       /* despatch items "A:3,B:1" */
    int want_rc;
    const char *want;        /* "line:qty ..." */
};

/* The order: L1 A x2, L2 B x1, L3 A x3 (1 already despatched), L4 C x1 (despatched). */
static const struct despatch_order_line order_lines[] = {
    { "L1", "A", 2, 0, NULL, NULL },
    { "L2", "B", 1, 0, NULL, NULL },
    { "L3", "A", 3, 1, NULL, NULL },
    { "L4", "C", 1, 1, NULL, NULL },
};

/*
 * The order of the sku_map table: L1 sent as PV-TEE (its SKU TEE mapped),
 * L2 SKU PV-TEE sent under it too, L3 SKU MUG sent before MUG was mapped
 * (sent as MUG, mapped to PV-MUG now), L4 SKU CAP with no code stored.
 */
static const struct despatch_order_line mapped_lines[] = {
    { "L1", "PV-TEE", 1, 0, "TEE", "PV-TEE" },
    { "L2", "PV-TEE", 2, 0, "PV-TEE", NULL },
    { "L3", "MUG", 2, 0, "MUG", "PV-MUG" },
    { "L4", NULL, 1, 0, "CAP", NULL },
};

static void despatch_from(const char *spec, struct despatch *d, struct despatch_item *items)
{
    char buf[128];
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%s", spec);
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        *colon = '\0';
        items[n].item_code = strdup(tok);
        items[n++].quantity = strtol(colon + 1, NULL, 10);
    }
    static char number[] = "D9", so_number[] = "SV9";
    memset(d, 0, sizeof(*d));
    d->number = number;
    d->so_number = so_number;
    d->items = items;
    d->n_items = n;
}

static void run_alloc_cases(const struct alloc_case *cases, size_t n_cases,
                            const struct despatch_order_line *lines, size_t n_lines)
{
    for (size_t i = 0; i < n_cases; i++) {
        struct despatch d;
        struct despatch_item items[4];
        struct despatch_alloc *out = NULL;
        size_t n_out = 99;
        char why[256] = "";
        char got[128] = "";
        despatch_from(cases[i].codes, &d, items);
        int rc = despatch_allocate(&d, lines, n_lines, &out, &n_out, why, sizeof(why));
        for (size_t j = 0; rc == 0 && j < n_out; j++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s:%ld", j ? " " : "",
                     lines[out[j].line].line_id, out[j].quantity);
        if (rc != cases[i].want_rc || (rc == 0 && strcmp(got, cases[i].want) != 0) ||
            (rc != 0 && (strstr(why, cases[i].want) == NULL || out != NULL || n_out != 0)))
            fail_msg("%s: rc %d got \"%s\" why \"%s\"", cases[i].name, rc, got, why);
        for (size_t j = 0; j < d.n_items; j++)
            free(items[j].item_code);
        free(out);
    }
}

static void test_allocate_table(void **state)
{
    static const struct alloc_case cases[] = {
        { "one line", "B:1", 0, "L2:1" },
        { "fills the first line first", "A:1", 0, "L1:1" },
        { "splits across lines of one code", "A:4", 0, "L1:2 L3:2" },
        { "whole order", "A:4,B:1", 0, "L1:2 L2:1 L3:2" },
        { "over-fulfilling refused", "A:5", -1, "1 more of item A" },
        { "already despatched line refused", "C:1", -1, "1 more of item C" },
        { "unknown item", "Z:1", -1, "item Z of despatch D9 is not on order SV9" },
    };
    (void)state;
    run_alloc_cases(cases, sizeof(cases) / sizeof(cases[0]), order_lines, 4);
}

static void test_allocate_mapped_table(void **state)
{
    static const struct alloc_case cases[] = {
        { "sent code across a mapped and an unmapped line", "PV-TEE:3", 0, "L1:1 L2:2" },
        { "never over-fulfils the same-code lines", "PV-TEE:4", -1, "1 more of item PV-TEE" },
        { "the SKU itself", "TEE:1", 0, "L1:1" },
        { "mapped after the order was sent", "PV-MUG:2", 0, "L3:2" },
        { "the code it was sent as still counts", "MUG:1", 0, "L3:1" },
        { "SKU with no code stored", "CAP:1", 0, "L4:1" },
        { "whole order, codes mixed", "PV-TEE:3,PV-MUG:1,MUG:1,CAP:1", 0,
          "L1:1 L2:2 L3:2 L4:1" },
        { "a code mapped to nothing on the order", "PV-CAP:1", -1, "item PV-CAP of despatch" },
    };
    (void)state;
    run_alloc_cases(cases, sizeof(cases) / sizeof(cases[0]), mapped_lines, 4);
}

static void test_line_carries(void **state)
{
    const struct despatch_order_line blank = { "L", "", 1, 0, "", "" };
    (void)state;
    assert_true(despatch_line_carries(&mapped_lines[0], "PV-TEE"));
    assert_true(despatch_line_carries(&mapped_lines[0], "TEE"));
    assert_false(despatch_line_carries(&mapped_lines[0], "pv-tee"));   /* codes are exact */
    assert_false(despatch_line_carries(&mapped_lines[3], "PV-CAP"));
    assert_false(despatch_line_carries(&blank, ""));                   /* blanks match nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_date_table),
        cmocka_unit_test(test_group_by_number),
        cmocka_unit_test(test_bad_rows_mark_their_despatch),
        cmocka_unit_test(test_missing_column_fails),
        cmocka_unit_test(test_allocate_table),
        cmocka_unit_test(test_allocate_mapped_table),
        cmocka_unit_test(test_line_carries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
