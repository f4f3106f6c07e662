/*
 * test_return_report.c - the Peoplevox side of returns, pure: the Returns
 * template learned by name, the expected return's CSV, Return summary rows,
 * matching received units to return lines, and where a return stands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "return_report.h"

static void parse_csv(const char *text, struct csv_table *t)
{
    struct errbuf err = {{0}};

    assert_int_equal(csv_parse(text, strlen(text), 0, t, &err), ST_OK);
}

/* ---- the template ---- */

static void test_template_default_names(void **state)
{
    static const char *const names[] = {"SalesOrderNumber", "ReturnReference", "ItemCode",
                                        "Quantity", "ReturnReason", "Comments"};
    struct return_template t;
    struct errbuf err = {{0}};

    (void)state;
    assert_int_equal(return_template_learn(names, 6, &t, &err), ST_OK);
    assert_int_equal(t.col[RETF_REFERENCE], 1);
    assert_int_equal(t.col[RETF_SALES_ORDER], 0);
    assert_int_equal(t.col[RETF_QUANTITY], 3);
    assert_int_equal(t.col[RETF_COMMENTS], 5);
    return_template_cleanup(&t);
}

static void test_template_other_names_and_case(void **state)
{
    static const char *const names[] = {" rmanumber ", "CustomField1", "SALESORDERNUMBER",
                                        "ItemCode", "QuantityExpected", "Reason"};
    struct return_template t;
    struct errbuf err = {{0}};

    (void)state;
    assert_int_equal(return_template_learn(names, 6, &t, &err), ST_OK);
    assert_int_equal(t.col[RETF_REFERENCE], 0);
    assert_int_equal(t.col[RETF_SALES_ORDER], 2);
    assert_int_equal(t.col[RETF_QUANTITY], 4);
    assert_int_equal(t.col[RETF_REASON], 5);
    assert_int_equal(t.col[RETF_COMMENTS], -1); /* optional */
    return_template_cleanup(&t);
}

static void test_template_missing_required_field(void **state)
{
    static const struct {
        const char *names[5];
        const char *says;
    } cases[] = {
        {{"SalesOrderNumber", "ItemCode", "Quantity", "ReturnReason", "Comments"},
         "no field for the return reference (add one named ReturnReference or Reference"},
        {{"ReturnReference", "ItemCode", "Quantity", "ReturnReason", "Comments"},
         "sales order number"},
        {{"ReturnReference", "SalesOrderNumber", "Quantity", "ReturnReason", "Comments"},
         "item code"},
        {{"ReturnReference", "SalesOrderNumber", "ItemCode", "ReturnReason", "Comments"},
         "quantity"},
        {{"ReturnReference", "SalesOrderNumber", "ItemCode", "Quantity", "Comments"},
         "return reason (add one named ReturnReason or Reason)"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct return_template t;
        struct errbuf err = {{0}};

        assert_int_equal(return_template_learn(cases[i].names, 5, &t, &err), ST_FAIL);
        if (strstr(err.msg, cases[i].says) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.msg, cases[i].says);
        return_template_cleanup(&t);
    }
}

static void test_reference(void **state)
{
    char ref[64];

    (void)state;
    assert_int_equal(return_reference_make("SV", 42, ref, sizeof(ref)), 0);
    assert_string_equal(ref, "SVR42");
    assert_int_equal(return_reference_make(NULL, 7, ref, sizeof(ref)), 0);
    assert_string_equal(ref, "R7");
    assert_int_equal(return_reference_make("A-VERY-LONG-PREFIX-FOR-REF-", 1234, ref, sizeof(ref)),
                     -1);
    assert_int_equal(return_reference_make("SV", 0, ref, sizeof(ref)), -1);
}

/* ---- the expected return's CSV ---- */

static void test_csv_by_name_in_tenant_order(void **state)
{
    static const char *const names[] = {"CustomField1", "Quantity", "ItemCode", "ReturnReason",
                                        "SalesOrderNumber", "Reference"};
    static const struct return_save_line lines[] = {
        {"TEE-BLK-S", 1}, {"MUG-LOGO", 2}, {"TEE-BLK-S", 2},
    };
    struct return_save r = {"SVR9", "SV1001", "Too small", "shopline return 77", lines, 3};
    struct return_template t;
    struct errbuf err = {{0}};
    struct buf out;

    (void)state;
    buf_init(&out, 0);
    assert_int_equal(return_template_learn(names, 6, &t, &err), ST_OK);
    assert_int_equal(return_csv_build(&t, &r, &out, &err), ST_OK);
    /* same item code summed into one row (the key is reference + item code); no Comments field */
    assert_string_equal(buf_cstr(&out),
                        "CustomField1,Quantity,ItemCode,ReturnReason,SalesOrderNumber,Reference\r\n"
                        ",3,TEE-BLK-S,Too small,SV1001,SVR9\r\n"
                        ",2,MUG-LOGO,Too small,SV1001,SVR9\r\n");
    buf_cleanup(&out);
    return_template_cleanup(&t);
}

static void test_csv_refuses_bad_returns(void **state)
{
    static const char *const names[] = {"ReturnReference", "SalesOrderNumber", "ItemCode",
                                        "Quantity", "ReturnReason"};
    static const struct return_save_line zero[] = {{"TEE-BLK-S", 0}};
    static const struct return_save_line ok[] = {{"TEE-BLK-S", 1}};
    struct return_template t;
    struct errbuf err = {{0}};
    struct buf out;
    struct return_save none = {"SVR1", "SV1", NULL, NULL, NULL, 0};
    struct return_save bad_qty = {"SVR1", "SV1", NULL, NULL, zero, 1};
    struct return_save no_so = {"SVR1", "", NULL, NULL, ok, 1};

    (void)state;
    buf_init(&out, 0);
    assert_int_equal(return_template_learn(names, 5, &t, &err), ST_OK);
    assert_int_equal(return_csv_build(&t, &none, &out, &err), ST_FAIL);
    assert_int_equal(return_csv_build(&t, &bad_qty, &out, &err), ST_FAIL);
    assert_int_equal(return_csv_build(&t, &no_so, &out, &err), ST_FAIL);
    buf_cleanup(&out);
    return_template_cleanup(&t);
}

/* ---- the Return summary ---- */

static void test_report_rows_by_column_name(void **state)
{
    struct csv_table t = {0, NULL};
    struct return_receipt_list l = {0, NULL};
    struct errbuf err = {{0}};

    (void)state;
    /* reordered columns, an extra one, quoted day-first dates, both booleans */
    parse_csv("Site reference,Is Reusable,Quantity,Item code,Extra,Sales order number,"
              "Return date,Return code,Return condition,Return reason\r\n"
              "PrimarySite,True,2,TEE-BLK-S,x,SV1001,'03/07/2017 06:03',RET000001,Good,Unwanted\r\n"
              "LONDON,False,1,MUG-LOGO,,SV1001,\"'31/12/2026 23:59:58'\",RET000002,Damaged,\r\n",
              &t);
    assert_int_equal(return_report_parse(&t, &l, &err), ST_OK);
    assert_int_equal(l.n, 2);
    assert_null(l.items[0].invalid);
    assert_string_equal(l.items[0].return_code, "RET000001");
    assert_string_equal(l.items[0].sales_order, "SV1001");
    assert_string_equal(l.items[0].item_code, "TEE-BLK-S");
    assert_int_equal(l.items[0].quantity, 2);
    assert_true(l.items[0].reusable);
    assert_int_equal(l.items[0].local_s, 1499061780); /* 2017-07-03 06:03 */
    assert_string_equal(l.items[0].site, "PrimarySite");
    assert_null(l.items[1].invalid);
    assert_false(l.items[1].reusable);
    assert_string_equal(l.items[1].condition, "Damaged");
    assert_int_equal(l.items[1].local_s, 1798761598); /* 2026-12-31 23:59:58 */
    return_receipt_list_cleanup(&l);
    csv_table_cleanup(&t);
}

static void test_report_bad_rows_marked_not_fatal(void **state)
{
    static const char *const says[] = {
        "unreadable return date", "unreadable quantity", "unreadable Is Reusable",
        "no item code", "no return code", "no sales order number",
    };
    struct csv_table t = {0, NULL};
    struct return_receipt_list l = {0, NULL};
    struct errbuf err = {{0}};

    (void)state;
    parse_csv("Return code,Return date,Sales order number,Item code,Quantity,Is Reusable\r\n"
              "R1,07/03/2017,SV1,A,1,True\r\n"          /* no time */
              "R2,'03/07/2017 06:03',SV1,A,0,True\r\n"  /* quantity 0 */
              "R3,'03/07/2017 06:03',SV1,A,1,maybe\r\n"
              "R4,'03/07/2017 06:03',SV1,,1,True\r\n"
              ",'03/07/2017 06:03',SV1,A,1,True\r\n"
              "R6,'03/07/2017 06:03',,A,1,True\r\n"
              "R7,'03/07/2017 06:03',SV1,A,1,yes\r\n", &t);
    assert_int_equal(return_report_parse(&t, &l, &err), ST_OK);
    assert_int_equal(l.n, 7);
    for (size_t i = 0; i < 6; i++) {
        assert_non_null(l.items[i].invalid);
        if (strstr(l.items[i].invalid, says[i]) == NULL)
            fail_msg("row %zu: \"%s\" does not say \"%s\"", i + 1, l.items[i].invalid, says[i]);
    }
    assert_null(l.items[6].invalid);
    return_receipt_list_cleanup(&l);
    csv_table_cleanup(&t);
}

static void test_report_missing_column_fails(void **state)
{
    struct csv_table t = {0, NULL};
    struct return_receipt_list l = {0, NULL};
    struct errbuf err = {{0}};

    (void)state;
    parse_csv("Return code,Return date,Sales order number,Item code,Quantity\r\n"
              "R1,'03/07/2017 06:03',SV1,A,1\r\n", &t);
    assert_int_equal(return_report_parse(&t, &l, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "Is Reusable"));
    assert_int_equal(l.n, 0);
    csv_table_cleanup(&t);
}

static void test_bools(void **state)
{
    static const struct { const char *s; int rc; bool v; } cases[] = {
        {"True", 0, true}, {"False", 0, false}, {" true ", 0, true}, {"FALSE", 0, false},
        {"Yes", 0, true}, {"no", 0, false}, {"1", 0, true}, {"0", 0, false},
        {"", -1, false}, {"Tru", -1, false}, {"True x", -1, false}, {"truefalse", -1, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool v = !cases[i].v;
        int rc = return_parse_bool(cases[i].s, &v);

        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
            fail_msg("\"%s\": rc %d value %d", cases[i].s, rc, v);
    }
}

/* ---- matching and progress ---- */

static void test_match_partial_quantities(void **state)
{
    /* two returns of one order, oldest first; MUG-LOGO only on the second */
    struct return_match_line lines[] = {
        {"TEE-BLK-S", 2, 1}, {"TEE-BLK-S", 3, 0}, {"MUG-LOGO", 1, 0},
    };
    struct return_alloc a[3];
    long unmatched = -1;
    size_t n;

    (void)state;
    n = return_match_allocate("TEE-BLK-S", 1, lines, 3, a, &unmatched);
    assert_int_equal(n, 1);
    assert_int_equal(a[0].line, 0);
    assert_int_equal(a[0].quantity, 1);
    assert_int_equal(unmatched, 0);

    n = return_match_allocate("TEE-BLK-S", 3, lines, 3, a, &unmatched); /* spills over */
    assert_int_equal(n, 2);
    assert_int_equal(a[0].line, 0);
    assert_int_equal(a[0].quantity, 1);
    assert_int_equal(a[1].line, 1);
    assert_int_equal(a[1].quantity, 2);
    assert_int_equal(unmatched, 0);

    n = return_match_allocate("TEE-BLK-S", 9, lines, 3, a, &unmatched); /* more than expected */
    assert_int_equal(n, 2);
    assert_int_equal(unmatched, 5);
}

static void test_match_unknown_rows(void **state)
{
    struct return_match_line lines[] = {{"TEE-BLK-S", 2, 2}};
    struct return_alloc a[1];
    long unmatched = -1;

    (void)state;
    assert_int_equal(return_match_allocate("CAP-NAVY", 1, lines, 1, a, &unmatched), 0);
    assert_int_equal(unmatched, 1); /* item not on the return */
    assert_int_equal(return_match_allocate("TEE-BLK-S", 1, lines, 1, a, &unmatched), 0);
    assert_int_equal(unmatched, 1); /* already wholly received */
    assert_int_equal(return_match_allocate("TEE-BLK-S", 2, NULL, 0, a, &unmatched), 0);
    assert_int_equal(unmatched, 2); /* no return for the order at all */
}

static void test_progress(void **state)
{
    struct return_line_count none[] = {{2, 0, 0}, {1, 0, 0}};
    struct return_line_count partial[] = {{2, 1, 1}, {1, 0, 0}};
    struct return_line_count mixed[] = {{2, 2, 1}, {1, 1, 0}};
    struct return_line_count all_off[] = {{2, 2, 0}, {1, 1, 0}};
    struct return_line_count all_back[] = {{2, 2, 2}};

    (void)state;
    assert_int_equal(return_progress_of(none, 2), RETURN_PROGRESS_NONE);
    assert_int_equal(return_progress_of(NULL, 0), RETURN_PROGRESS_NONE);
    assert_int_equal(return_progress_of(partial, 2), RETURN_PROGRESS_PARTIAL);
    assert_int_equal(return_progress_of(mixed, 2), RETURN_PROGRESS_RESTOCKED);
    assert_int_equal(return_progress_of(all_off, 2), RETURN_PROGRESS_WRITTEN_OFF);
    assert_int_equal(return_progress_of(all_back, 1), RETURN_PROGRESS_RESTOCKED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_default_names),
        cmocka_unit_test(test_template_other_names_and_case),
        cmocka_unit_test(test_template_missing_required_field),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_csv_by_name_in_tenant_order),
        cmocka_unit_test(test_csv_refuses_bad_returns),
        cmocka_unit_test(test_report_rows_by_column_name),
        cmocka_unit_test(test_report_bad_rows_marked_not_fatal),
        cmocka_unit_test(test_report_missing_column_fails),
        cmocka_unit_test(test_bools),
        cmocka_unit_test(test_match_partial_quantities),
        cmocka_unit_test(test_match_unknown_rows),
        cmocka_unit_test(test_progress),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
