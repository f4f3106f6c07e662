/*
 * test_so_reconcile.c - sent orders against Peoplevox's Sales Orders:
 * loading GetData tables (columns by name, any order, a missing column),
 * summing a code's lines, every verdict (match, missing, cancelled, a
 * quantity, a code on one side only, an unreadable quantity), the detail's
 * cap, and which numbers are ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "so_reconcile.h"

static void parse(const char *text, struct csv_table *t)
{
    struct errbuf err = {""};

    assert_int_equal(csv_parse(text, strlen(text), 0, t, &err), ST_OK);
}

/* Peoplevox's side of one batch: the headers and items given as CSV. */
static void load(struct sorec_set *theirs, const char *headers, const char *items)
{
    struct csv_table h = {0, NULL}, i = {0, NULL};
    struct errbuf err = {""};

    sorec_set_init(theirs);
    parse(headers, &h);
    parse(items, &i);
    assert_int_equal(sorec_load_headers(theirs, &h, &err), 0);
    assert_int_equal(sorec_load_items(theirs, &i, &err), 0);
    csv_table_cleanup(&h);
    csv_table_cleanup(&i);
}

static const char *const headers =
    "Customer,SalesOrderNumber,Status\r\n"
    "a,SV1001,New\r\n"
    "b,SV1002,Cancelled\r\n"
    "c,SV1003,Despatched\r\n";
static const char *const items =
    "SalesOrderNumber,Line,ItemCode,QuantityOrdered\r\n"
    "SV1001,1,TEE-BLK-M,2\r\n"
    "SV1001,2,MUG,1\r\n"
    "SV1001,3,tee-blk-m,1\r\n"     /* the same code again, other case: summed */
    "SV1003,1,HAT,x\r\n";

/* Our side of order so: pairs of (code, quantity), NULL-ended. */
static void ours_of(struct sorec_set *ours, const char *so, ...)
{
    struct sorec_order *o = sorec_set_get(ours, so, true);
    va_list ap;
    const char *code;

    va_start(ap, so);
    while ((code = va_arg(ap, const char *)) != NULL)
        sorec_add_line(o, code, va_arg(ap, long));
    va_end(ap);
}

struct verdict_case {
    const char *name, *so;
    const char *code1;
    long qty1;
    const char *code2;
    long qty2;
    enum sorec_verdict want;
    const char *want_detail;
};

static const struct verdict_case cases[] = {
    {"same lines, summed", "SV1001", "TEE-BLK-M", 3, "MUG", 1, SOREC_MATCH, ""},
    {"a quantity differs", "SV1001", "TEE-BLK-M", 2, "MUG", 1, SOREC_DIFFERENT,
     "TEE-BLK-M: 2 sent, 3 in Peoplevox"},
    {"a code only we sent", "SV1001", "TEE-BLK-M", 3, "CAP", 1, SOREC_DIFFERENT,
     "CAP: 1 sent, none in Peoplevox; MUG: none sent, 1 in Peoplevox"},
    {"missing", "SV9999", "TEE-BLK-M", 1, NULL, 0, SOREC_MISSING,
     "Sales Order SV9999 is not in Peoplevox"},
    {"cancelled there", "SV1002", "TEE-BLK-M", 1, NULL, 0, SOREC_DIFFERENT,
     "Sales Order SV1002 is Cancelled in Peoplevox"},
    {"unreadable quantity", "SV1003", "HAT", 1, NULL, 0, SOREC_DIFFERENT,
     "HAT: 1 sent, ? in Peoplevox"},
};

static void test_verdicts(void **state)
{
    struct sorec_set theirs, ours;
    char detail[256];

    (void)state;
    load(&theirs, headers, items);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct verdict_case *c = &cases[i];

        sorec_set_init(&ours);
        if (c->code2 != NULL)
            ours_of(&ours, c->so, c->code1, c->qty1, c->code2, c->qty2, NULL);
        else
            ours_of(&ours, c->so, c->code1, c->qty1, NULL);
        if (sorec_compare(&ours.orders[0], sorec_set_get(&theirs, c->so, false), detail,
                          sizeof(detail)) != c->want ||
            strcmp(detail, c->want_detail) != 0)
            fail_msg("%s: got \"%s\"", c->name, detail);
        sorec_set_cleanup(&ours);
    }
    sorec_set_cleanup(&theirs);
}

static void test_items_without_header_is_missing(void **state)
{
    struct sorec_set theirs, ours;
    char detail[128];

    (void)state;
    load(&theirs, "SalesOrderNumber,Status\r\n", "SalesOrderNumber,ItemCode,QuantityOrdered\r\n"
                                                "SV1,A,1\r\n");
    sorec_set_init(&ours);
    ours_of(&ours, "SV1", "A", 1L, NULL);
    assert_int_equal(sorec_compare(&ours.orders[0], sorec_set_get(&theirs, "SV1", false), detail,
                                   sizeof(detail)),
                     SOREC_MISSING);
    assert_int_equal(sorec_compare(&ours.orders[0], NULL, detail, sizeof(detail)), SOREC_MISSING);
    sorec_set_cleanup(&ours);
    sorec_set_cleanup(&theirs);
}

static void test_detail_is_capped(void **state)
{
    struct sorec_set theirs, ours;
    struct sorec_order *o;
    char detail[40], code[16];

    (void)state;
    load(&theirs, headers, items);
    sorec_set_init(&ours);
    o = sorec_set_get(&ours, "SV1001", true);
    for (int i = 0; i < 50; i++) {
        snprintf(code, sizeof(code), "CODE-%d", i);
        sorec_add_line(o, code, 1);
    }
    assert_int_equal(sorec_compare(o, sorec_set_get(&theirs, "SV1001", false), detail,
                                   sizeof(detail)),
                     SOREC_DIFFERENT);
    assert_true(strlen(detail) < sizeof(detail));
    assert_int_equal(strncmp(detail, "CODE-0: 1 sent", 14), 0);
    sorec_set_cleanup(&ours);
    sorec_set_cleanup(&theirs);
}

static void test_missing_column(void **state)
{
    struct sorec_set s;
    struct csv_table t = {0, NULL};
    struct errbuf err = {""};

    (void)state;
    sorec_set_init(&s);
    parse("SalesOrderNumber,Qty\r\nSV1,1\r\n", &t);
    assert_int_equal(sorec_load_items(&s, &t, &err), -1);
    assert_non_null(strstr(err.msg, "ItemCode"));
    assert_int_equal(sorec_load_headers(&s, &t, &err), -1);
    assert_non_null(strstr(err.msg, "Status"));
    csv_table_cleanup(&t);
    parse("", &t); /* nothing matched: no header row at all */
    assert_int_equal(sorec_load_headers(&s, &t, &err), 0);
    assert_int_equal(s.n, 0);
    csv_table_cleanup(&t);
    sorec_set_cleanup(&s);
}

static void test_is_ours(void **state)
{
    (void)state;
    assert_true(sorec_is_ours("SV1001", "SV"));
    assert_false(sorec_is_ours("XX1001", "SV"));
    assert_false(sorec_is_ours("S", "SV"));
    assert_false(sorec_is_ours("SV1001", "")); /* no prefix: nothing can be told apart */
    assert_false(sorec_is_ours("SV1001", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_items_without_header_is_missing),
        cmocka_unit_test(test_detail_is_capped),
        cmocka_unit_test(test_missing_column),
        cmocka_unit_test(test_is_ours),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
