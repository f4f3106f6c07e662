/*
 * it_inventory_report.c - PEOPLEVOX_INVENTORY_CHANGES=report:TEMPLATE:COLUMN
 * end to end: a tenant whose Peoplevox has a changes report (the fake's
 * `Item inventory changes`, with a `Last changed` date) needs no
 * AvailabilityChanges callback: a change on the warehouse's shelf reaches
 * the store within the change interval, read with `[Last changed] >=
 * DateTime(...)` from the watermark, far ahead of the hourly full read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "common.h"
#include "it.h"
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_sandbox.h"

#define N_SKUS 20
#define WAIT_MS 60000

static char map_env[96];

static void wait_sql(const char *sql, long want)
{
    long got = it_wait_sql_long(ito.db, sql, want, WAIT_MS);

    if (got != want) {
        it_proc_dump_log(&ito.proc);
        fail_msg("%s: %ld, want %ld", sql, got, want);
    }
}

static void test_changes_report_without_callbacks(void **state)
{
    long reads;

    (void)state;
    wait_sql("SELECT count(*) FROM stock WHERE item_code LIKE 'REP-%' AND pushed = desired "
             "AND pushed = 3",
             N_SKUS);
    ito_sandbox_post("/_sandbox/stock", "{\"stock\":[{\"ItemCode\":\"REP-005\","
                                        "\"site\":\"PrimarySite\",\"on_hand\":77}]}");
    /* no hint: the changes report finds it */
    wait_sql("SELECT count(*) FROM stock WHERE item_code = 'REP-005' AND pushed = 77", 1);
    reads = ito_sandbox_calls("GetReportData", "Item inventory changes");
    assert_true(reads >= 1);
    assert_int_equal(ito_sandbox_calls("GetReportData", "Item inventory summary"), 1); /* start */
    assert_true(it_sql_long(ito.db, "SELECT count(*) FROM cursors WHERE name = "
                                    "'inventory_changes_watermark'") == 1);
    /* every other level stayed as it was: one more set, not twenty */
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM stock WHERE item_code LIKE "
                                         "'REP-%' AND pushed = 3"),
                     N_SKUS - 1);
}

static int group_setup(void **state)
{
    const char *env[] = {ITL_ENV, map_env, "SHOPVOX_INVENTORY_SYNC_S=1",
                         "PEOPLEVOX_INVENTORY_CHANGES=report:Item inventory changes:Last changed",
                         "SHOPLINE_RATE_PER_SEC=100", "SHOPLINE_BURST=200",
                         "PEOPLEVOX_RATE=1000/1s", NULL};
    char loc[32];
    struct buf p, s;

    (void)state;
    it_require_db();
    if (itl_start_world("inventory_report", 100, 200) != 0)
        return -1;
    itl_location_id(0, loc, sizeof(loc));
    snprintf(map_env, sizeof(map_env), "SHOPVOX_LOCATION_MAP=PrimarySite=%s", loc);
    buf_init(&p, 0);
    buf_init(&s, 0);
    for (int i = 0; i < N_SKUS; i++) {
        buf_appendf(&p, "%s{\"title\":\"R %d\",\"variants\":[{\"sku\":\"REP-%03d\"}]}",
                    i ? "," : "", i, i);
        buf_appendf(&s, "%s{\"ItemCode\":\"REP-%03d\",\"site\":\"PrimarySite\",\"on_hand\":3}",
                    i ? "," : "", i);
    }
    {
        char *products = xasprintf("{\"products\":[%s]}", buf_cstr(&p));
        char *stock = xasprintf("{\"stock\":[%s]}", buf_cstr(&s));

        itl_store_control("/_sandbox/products", products);
        ito_sandbox_post("/_sandbox/stock", stock);
        free(products);
        free(stock);
    }
    buf_cleanup(&p);
    buf_cleanup(&s);
    return ito_shopvox_start(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_report_without_callbacks),
    };
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
