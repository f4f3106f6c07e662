/*
 * test_pvx_returns.c - the returns calls of the Peoplevox client
 * (pvx_returns.h) against the fake Peoplevox: the tenant's Returns
 * template (default, renamed, missing a field, none at all), expected
 * returns saved and upserted, per-row errors, returns received at the
 * warehouse (stock back on the shelf when reusable) and the Return
 * summary read from a date, page by page.
 *
 * Each test starts its own sandbox (fresh warehouse, port 0) and client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_returns.h"
#include "it_sandbox.h"
#include "pvx_returns.h"
#include "sandbox.h"

struct fx {
    struct sandbox_pvx *sb;
    int port;
    struct pvx_client *pc;
};

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    struct sandbox_pvx_opts o = {0};
    struct errbuf err = {{0}};
    char url[192];

    f->sb = sandbox_pvx_start(&o, &err);
    assert_non_null(f->sb);
    f->port = sandbox_pvx_port(f->sb);
    it_sandbox_pvx_url(f->port, url, sizeof(url));
    struct pvx_config cfg = {.url = url, .client_id = "SANDBOX", .username = "shopvox",
                             .password = "secret", .timeout_ms = 5000, .max_concurrency = 1};
    f->pc = pvx_client_create(&cfg, &err);
    assert_non_null(f->pc);
    /* a Sales Order to return goods of */
    assert_int_equal(it_sandbox_post(f->port, "/_sandbox/stock",
                                     "{\"stock\":[{\"ItemCode\":\"TEE-BLK-S\",\"site\":"
                                     "\"PrimarySite\",\"on_hand\":10}]}"), 0);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    pvx_client_destroy(f->pc);
    sandbox_pvx_stop(f->sb);
    free(f);
    return 0;
}

/* Saves Sales Order so with TEE-BLK-S x2 and MUG-LOGO x1 through the client. */
static void make_order(struct fx *f, const char *so)
{
    struct pvx_response r;
    struct pvx_outcome oc;
    char csv[256];

    snprintf(csv, sizeof(csv), "SalesOrderNumber,Customer\r\n%s,Ann\r\n", so);
    assert_int_equal(pvx_save_data(f->pc, NULL, "Sales orders", csv, &r, &oc), ST_OK);
    pvx_response_cleanup(&r);
    snprintf(csv, sizeof(csv), "SalesOrderNumber,ItemCode,QuantityOrdered,Line\r\n"
             "%s,TEE-BLK-S,2,1\r\n%s,MUG-LOGO,1,2\r\n", so, so);
    assert_int_equal(pvx_save_data(f->pc, NULL, "Sales order items", csv, &r, &oc), ST_OK);
    pvx_response_cleanup(&r);
}

static enum st save_return(struct fx *f, const char *ref, const char *so,
                           const struct return_save_line *lines, size_t n, struct pvx_outcome *oc)
{
    struct return_template t;
    struct pvx_response r;
    struct return_save rs = {ref, so, "Too small", "shopline return 1", lines, n};
    enum st rc;

    assert_int_equal(pvx_returns_template(f->pc, NULL, true, &t, oc), ST_OK);
    rc = pvx_save_expected_return(f->pc, NULL, &t, &rs, &r, oc);
    pvx_response_cleanup(&r);
    return_template_cleanup(&t);
    return rc;
}

static void test_template_default_and_renamed(void **state)
{
    struct fx *f = *state;
    struct return_template t;
    struct pvx_outcome oc;

    assert_int_equal(pvx_returns_template(f->pc, NULL, false, &t, &oc), ST_OK);
    assert_true(t.col[RETF_REFERENCE] >= 0 && t.col[RETF_COMMENTS] >= 0);
    return_template_cleanup(&t);
    /* a tenant with its own names and order (and an extra field) */
    itr_returns_template(f->port, "[\"CustomField1\",\"QuantityExpected\",\"ItemCode\","
                                  "\"SalesOrderNumber\",\"RmaNumber\",\"Reason\"]");
    assert_int_equal(pvx_returns_template(f->pc, NULL, true, &t, &oc), ST_OK);
    assert_int_equal(t.col[RETF_REFERENCE], 4);
    assert_int_equal(t.col[RETF_COMMENTS], -1);
    return_template_cleanup(&t);
    make_order(f, "SV1");
    static const struct return_save_line lines[] = {{"TEE-BLK-S", 2}};
    assert_int_equal(save_return(f, "SVR1", "SV1", lines, 1, &oc), ST_OK);
    assert_int_equal(itr_expected(f->port, "SV1", "TEE-BLK-S", NULL, 0), 2);
}

static void test_template_missing_or_unusable(void **state)
{
    struct fx *f = *state;
    struct return_template t;
    struct pvx_outcome oc;

    itr_returns_template(f->port, "[]");
    assert_int_equal(pvx_returns_template(f->pc, NULL, true, &t, &oc), ST_FAIL);
    assert_non_null(strstr(oc.err.msg, "does not exist"));
    return_template_cleanup(&t);
    itr_returns_template(f->port, "[\"ReturnReference\",\"SalesOrderNumber\",\"ItemCode\","
                                  "\"Quantity\"]");
    assert_int_equal(pvx_returns_template(f->pc, NULL, true, &t, &oc), ST_FAIL);
    assert_non_null(strstr(oc.err.msg, "return reason"));
    return_template_cleanup(&t);
}

static void test_save_upserts_and_row_errors(void **state)
{
    struct fx *f = *state;
    struct pvx_outcome oc;
    static const struct return_save_line two[] = {{"TEE-BLK-S", 1}, {"MUG-LOGO", 1}};
    static const struct return_save_line more[] = {{"TEE-BLK-S", 2}};
    static const struct return_save_line unknown_item[] = {{"NO-SUCH-ITEM", 1}};
    static const struct return_save_line not_ordered[] = {{"CAP-NAVY", 1}};
    char ref[32];

    make_order(f, "SV2");
    assert_int_equal(save_return(f, "SVR2", "SV2", two, 2, &oc), ST_OK);
    assert_int_equal(itr_expected_count(f->port), 2);
    assert_int_equal(save_return(f, "SVR2", "SV2", more, 1, &oc), ST_OK); /* same key */
    assert_int_equal(itr_expected_count(f->port), 2);
    assert_int_equal(itr_expected(f->port, "SV2", "TEE-BLK-S", ref, sizeof(ref)), 2);
    assert_string_equal(ref, "SVR2");

    assert_int_equal(save_return(f, "SVR3", "SV404", more, 1, &oc), ST_FAIL);
    assert_non_null(strstr(oc.err.msg, "Sales order 'SV404' does not exist"));
    assert_int_equal(save_return(f, "SVR3", "SV2", unknown_item, 1, &oc), ST_FAIL);
    assert_non_null(strstr(oc.err.msg, "Item type 'NO-SUCH-ITEM' does not exist"));
    assert_int_equal(save_return(f, "SVR3", "SV2", not_ordered, 1, &oc), ST_FAIL);
    assert_non_null(strstr(oc.err.msg, "is not on Sales order"));
    assert_int_equal(itr_expected_count(f->port), 2);
}

static void test_receive_restocks_reusable_only(void **state)
{
    struct fx *f = *state;
    char code[32];

    make_order(f, "SV3");
    assert_int_equal(itr_on_hand(f->port, "TEE-BLK-S", "PrimarySite"), 10);
    itr_receive(f->port, "SV3", "TEE-BLK-S", 1, "Good", true, 0, code, sizeof(code));
    assert_string_equal(code, "RET000001");
    assert_int_equal(itr_on_hand(f->port, "TEE-BLK-S", "PrimarySite"), 11);
    itr_receive(f->port, "SV3", "TEE-BLK-S", 1, "Damaged", false, 0, code, sizeof(code));
    assert_string_equal(code, "RET000002");
    assert_int_equal(itr_on_hand(f->port, "TEE-BLK-S", "PrimarySite"), 11);
    assert_int_equal(it_sandbox_count(f->port, "returns"), 2);
}

static void test_summary_from_date_paged(void **state)
{
    struct fx *f = *state;
    struct csv_table t = {0, NULL};
    struct return_receipt_list l = {0, NULL};
    struct pvx_outcome oc;
    struct errbuf err = {{0}};
    long total = 0;

    make_order(f, "SV4");
    /* 2026-01-10 08:00, 2026-01-12 09:30 and 2026-01-12 09:31 UTC */
    itr_receive(f->port, "SV4", "TEE-BLK-S", 1, "Good", true, 1768032000, NULL, 0);
    itr_receive(f->port, "SV4", "MUG-LOGO", 1, "Broken", false, 1768210200, NULL, 0);
    itr_receive(f->port, "SV4", "TEE-BLK-S", 1, "Good", true, 1768210260, NULL, 0);

    /* from 2026-01-11 00:00: two rows, one per page */
    assert_int_equal(pvx_get_return_summary(f->pc, NULL, 1768089600, 1, 1, &t, &total, &oc),
                     ST_OK);
    assert_int_equal(total, 2);
    assert_int_equal(t.n_rows, 2);
    csv_table_cleanup(&t);
    assert_int_equal(pvx_get_return_summary_all(f->pc, NULL, 1768089600, 1, 0, &t, &oc), ST_OK);
    assert_int_equal(return_report_parse(&t, &l, &err), ST_OK);
    assert_int_equal(l.n, 2);
    assert_null(l.items[0].invalid);
    assert_string_equal(l.items[0].item_code, "MUG-LOGO");
    assert_false(l.items[0].reusable);
    assert_int_equal(l.items[0].local_s, 1768210200);
    assert_string_equal(l.items[1].return_code, "RET000003");
    assert_true(l.items[1].reusable);
    return_receipt_list_cleanup(&l);
    csv_table_cleanup(&t);
    /* no date: everything */
    assert_int_equal(pvx_get_return_summary_all(f->pc, NULL, 0, 0, 0, &t, &oc), ST_OK);
    assert_int_equal(t.n_rows, 4);
    csv_table_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_template_default_and_renamed, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_template_missing_or_unusable, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_save_upserts_and_row_errors, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_receive_restocks_reusable_only, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_summary_from_date_paged, fx_setup, fx_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
