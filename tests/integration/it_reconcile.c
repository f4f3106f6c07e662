/*
 * it_reconcile.c - the reconciliation sweeps on the real binary, a real
 * database and both fakes (SHOPVOX_ORDER_PREFIX=SV):
 *   - orders vs warehouse: three sent orders match; then one Sales Order
 *     is deleted in the fake warehouse (missing), one has a line changed
 *     (different, the detail names the code and both quantities) and one
 *     Sales Order with our prefix shopvox never posted appears (unknown):
 *     one exception each; the changed line put back resolves its
 *     exception on the next run, the others stay open;
 *   - despatches vs store: a despatch whose create_fulfillment job died
 *     while Shopline failed is re-enqueued by the sweep and fulfilled
 *     exactly once; a second sweep re-enqueues nothing;
 *   - `shopvox report reconcile --json`: the latest run of each sweep.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_cli_run.h"
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_wait.h"

#define TEE "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]"

/* `shopvox reconcile SWEEP --wait 120 --json`: the finished run (owned). */
static struct json_object *reconcile(const char *sweep)
{
    struct it_cli_result r;
    struct json_object *j;

    it_cli_run(&r, ito.db, "reconcile", sweep, "--wait", "120", "--json", NULL);
    if (r.exit_code != 0)
        fail_msg("reconcile %s exited %d: %s%s", sweep, r.exit_code, r.out, r.err);
    j = it_cli_json(&r);
    assert_non_null(j);
    it_cli_result_free(&r);
    assert_string_equal(it_json_str(j, "state"), "done");
    assert_string_equal(it_json_str(j, "sweep"), sweep);
    return j;
}

/* The open exception of type about subject: its detail (owned), NULL when none. */
static char *open_detail(const char *type, const char *subject)
{
    if (ito_sql_count("SELECT count(*) FROM exceptions WHERE type = '%s' AND subject = '%s' AND "
                      "state = 'open'", type, subject) == 0)
        return NULL;
    return it_sql_textf(ito.db, "SELECT detail FROM exceptions WHERE type = '%s' AND "
                                "subject = '%s' AND state = 'open'", type, subject);
}

/* Applies csv to template in the fake warehouse as a person's import would. */
static void warehouse_save(const char *tmpl, const char *csv)
{
    struct json_object *b = json_object_new_object();

    json_object_object_add(b, "template", json_object_new_string(tmpl));
    json_object_object_add(b, "csv", json_object_new_string(csv));
    ito_sandbox_post("/_sandbox/save", json_object_to_json_string(b));
    json_object_put(b);
}

/* Sales Order so's line 1 now asks for qty in the fake warehouse. */
static void warehouse_line_qty(const char *so, int qty)
{
    char *csv = xasprintf("SalesOrderNumber,ItemCode,QuantityOrdered,Line,Sequence,SalePrice,"
                          "RequestedDeliveryDate\r\n%s,TEE-BLK-M,%d,1,1,10.00,\r\n", so, qty);

    warehouse_save("Sales order items", csv);
    free(csv);
}

static void test_warehouse(void **state)
{
    char name[3][32], id[3][32], so[3][64], *detail, *body, *now;
    struct json_object *run;

    (void)state;
    for (int i = 0; i < 3; i++)
        itl_store_order("RW", TEE, name[i], sizeof(name[i]), id[i], sizeof(id[i]), so[i],
                        sizeof(so[i]), NULL);
    assert_int_equal(strncmp(so[0], "SV", 2), 0);
    run = reconcile("warehouse");
    assert_true(it_json_long(run, "listed") >= 3);
    assert_int_equal(it_json_long(run, "missing"), 0);
    assert_int_equal(it_json_long(run, "different"), 0);
    assert_int_equal(it_json_long(run, "unknown"), 0);
    json_object_put(run);

    body = xasprintf("{\"SalesOrderNumber\":\"%s\"}", so[0]);
    ito_sandbox_post("/_sandbox/sales_orders/delete", body);
    free(body);
    warehouse_line_qty(so[1], 5);
    now = it_sql_textf(ito.db, "SELECT to_char(now() AT TIME ZONE 'UTC', "
                               "'YYYY-MM-DD HH24:MI:SS')");
    body = xasprintf("SalesOrderNumber,CreatedDate,Site\r\nSVNEVER1,%s,PrimarySite\r\n", now);
    warehouse_save("Sales orders", body);
    free(body);
    free(now);

    run = reconcile("warehouse");
    assert_int_equal(it_json_long(run, "missing"), 1);
    assert_int_equal(it_json_long(run, "different"), 1);
    assert_int_equal(it_json_long(run, "unknown"), 1);
    json_object_put(run);
    detail = open_detail("sales_order_mismatch", so[0]);
    assert_non_null(detail);
    assert_non_null(strstr(detail, "not in Peoplevox"));
    free(detail);
    detail = open_detail("sales_order_mismatch", so[1]);
    assert_non_null(detail);
    assert_non_null(strstr(detail, "TEE-BLK-M: 1 sent, 5 in Peoplevox"));
    free(detail);
    assert_null(open_detail("sales_order_mismatch", so[2]));
    detail = open_detail("unknown_sales_order", "SVNEVER1");
    assert_non_null(detail);
    free(detail);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type IN "
                                   "('sales_order_mismatch', 'unknown_sales_order') AND "
                                   "team = 'ops'"), 3);

    warehouse_line_qty(so[1], 1); /* put right: resolved by the next run */
    run = reconcile("warehouse");
    assert_int_equal(it_json_long(run, "missing"), 1);
    assert_int_equal(it_json_long(run, "different"), 0);
    json_object_put(run);
    assert_null(open_detail("sales_order_mismatch", so[1]));
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = "
                                   "'sales_order_mismatch' AND subject = '%s' AND state = "
                                   "'resolved' AND resolved_by = 'shopvox'", so[1]), 1);
    detail = open_detail("sales_order_mismatch", so[0]);
    assert_non_null(detail);
    free(detail);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = "
                                   "'sales_order_mismatch' AND state = 'open' AND count = 2"), 1);
}

static void test_despatch_requeued_once(void **state)
{
    char name[32], id[32], so[64], number[64], *num;
    struct json_object *run;
    long n_tracking = 0;

    (void)state;
    itl_store_order("RD", TEE, name, sizeof(name), id, sizeof(id), so, sizeof(so), NULL);
    itl_store_control("/_sandbox/faults", "{\"http_500\":1000000}");
    itl_despatch(so, NULL, "DPD", "Next day", "TRK-RECON");
    /* the job fails against the 500s; it gives up (dead) as after its last attempt */
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM jobs j JOIN despatches d ON "
                                      "d.despatch_number = j.dedupe_key WHERE j.kind = "
                                      "'create_fulfillment' AND j.state = 'pending' AND "
                                      "j.attempts >= 1 AND d.tracking = 'TRK-RECON'", 1,
                                      ITO_WAIT_MS), 1);
    it_sql_exec(ito.db, "UPDATE jobs SET state = 'dead' WHERE kind = 'create_fulfillment' AND "
                        "state = 'pending' AND dedupe_key IN (SELECT despatch_number FROM "
                        "despatches WHERE tracking = 'TRK-RECON')");
    itl_store_control("/_sandbox/faults", "{\"http_500\":0}");
    num = it_sql_textf(ito.db, "SELECT despatch_number FROM despatches WHERE tracking = "
                               "'TRK-RECON'");
    snprintf(number, sizeof(number), "%s", num);
    free(num);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches WHERE despatch_number = '%s' "
                                   "AND state = 'pending'", number), 1);

    run = reconcile("despatches");
    assert_int_equal(it_json_long(run, "requeued"), 1);
    assert_true(it_json_long(run, "listed") >= 1);
    json_object_put(run);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM despatches WHERE tracking = "
                                      "'TRK-RECON' AND state = 'fulfilled'", 1, ITO_WAIT_MS), 1);
    assert_int_equal(itl_store_count_fulfillments(id, "TRK-RECON", &n_tracking), 1);
    assert_int_equal(n_tracking, 1);

    run = reconcile("despatches"); /* confirmed now: nothing to re-enqueue */
    assert_int_equal(it_json_long(run, "requeued"), 0);
    json_object_put(run);
    assert_int_equal(itl_store_count_fulfillments(id, "TRK-RECON", &n_tracking), 1);
}

static void test_report_json(void **state)
{
    struct it_cli_result r;
    struct json_object *j, *sweeps, *e;
    static const char *const names[] = {"orders", "warehouse", "despatches"};

    (void)state;
    it_cli_run(&r, ito.db, "report", "reconcile", "--json", NULL);
    assert_int_equal(r.exit_code, 0);
    j = it_cli_json(&r);
    assert_non_null(j);
    assert_true(json_object_object_get_ex(j, "sweeps", &sweeps));
    assert_int_equal(json_object_array_length(sweeps), 3);
    for (size_t i = 0; i < 3; i++) {
        e = json_object_array_get_idx(sweeps, i);
        assert_string_equal(it_json_str(e, "sweep"), names[i]);
        assert_non_null(it_json_str(e, "state"));
    }
    e = json_object_array_get_idx(sweeps, 1); /* the warehouse: the last run of test_warehouse */
    assert_string_equal(it_json_str(e, "state"), "done");
    assert_int_equal(it_json_long(e, "missing"), 1);
    assert_int_equal(it_json_long(e, "different"), 0);
    assert_non_null(it_json_str(e, "finished_at"));
    e = json_object_array_get_idx(sweeps, 2);
    assert_int_equal(it_json_long(e, "requeued"), 0);
    json_object_put(j);
    it_cli_result_free(&r);

    it_cli_run(&r, ito.db, "report", "reconcile", NULL); /* the table */
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "missing 1, different 0"));
    assert_non_null(strstr(r.out, "re-enqueued 0"));
    it_cli_result_free(&r);
}

static void test_days_checked(void **state)
{
    struct it_cli_result r;

    (void)state;
    it_cli_run(&r, ito.db, "reconcile", "warehouse", "--days", "40", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--days"));
    it_cli_result_free(&r);
    it_cli_run(&r, ito.db, "reconcile", "despatches", "--days", "x", NULL);
    assert_int_equal(r.exit_code, 2);
    it_cli_result_free(&r);
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_ORDER_PREFIX=SV", "SHOPVOX_DESPATCH_POLL_S=1",
                                      NULL};

    (void)state;
    return itl_world_start("reconcile", env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_warehouse),
        cmocka_unit_test(test_despatch_requeued_once),
        cmocka_unit_test(test_report_json),
        cmocka_unit_test(test_days_checked),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
