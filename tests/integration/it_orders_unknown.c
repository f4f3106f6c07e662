/*
 * it_orders_unknown.c - an unknown SKU holds an order only when Peoplevox is
 * known to lack the item (issue 7.11).
 *
 * Before, every paid order that arrived before the first successful
 * catalogue sync (a new install, or Peoplevox down at start) was held as
 * unknown_sku with one exception each: an outage flooded the exception
 * queue with false SKU errors. Now:
 *
 *   - Peoplevox unreachable at start, the catalogue never synced: paid
 *     orders wait (ready, an uncounted retry), no unknown_sku exception;
 *     once Peoplevox answers (shopvox restarted on the sandbox here) the
 *     catalogue syncs and every order is sent;
 *   - an item created in Peoplevox after the last sync: the order's SKU is
 *     looked up directly and the order is sent, not held;
 *   - a SKU Peoplevox really lacks is still held with its exception.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_orders_world.h"

static void test_orders_wait_for_the_first_catalogue_sync(void **state)
{
    static const char *const down[] = {
        "PEOPLEVOX_URL=http://127.0.0.1:9/SANDBOX/resources/integrationservicev4.asmx",
        "PEOPLEVOX_TIMEOUT_MS=500", NULL};
    const struct it_line lines[] = {{"TEE-BLK-M", 1, false}};
    char names[5][32];

    assert_int_equal(ito_start("orders_unknown", NULL, down), 0);
    ito_send_paid_orders("W", 5, lines, ARRAY_LEN(lines), names);
    /* every order has been tried (its job is waiting, not running) */
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' "
                                      "AND state = 'pending' AND last_error LIKE '%never been "
                                      "synced%'",
                                      5, ITO_WAIT_MS),
                     5);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM orders WHERE state = 'ready'"), 5);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = 'unknown_sku'"),
                     0);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE uncounted_attempts = 0 AND "
                                   "kind = 'post_sales_order'"),
                     0);
    /* Peoplevox back: the catalogue syncs and the orders go */
    assert_int_equal(it_proc_stop(&ito.proc, SIGTERM, 20000), 0);
    assert_int_equal(ito_shopvox_start(NULL), 0);
    for (int i = 0; i < 5; i++)
        ito_wait_state(names[i], "sent");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = 'unknown_sku'"),
                     0);
}

static void test_item_created_after_the_last_sync_is_looked_up(void **state)
{
    const struct it_line fresh[] = {{"BRAND-NEW-1", 1, false}};
    const struct it_line missing[] = {{"NOT-IN-PVX-1", 1, false}};
    char names[1][32], gone[1][32];

    ito_sandbox_post("/_sandbox/items", "{\"ItemCode\":\"BRAND-NEW-1\",\"Name\":\"New\"}");
    ito_send_paid_orders("N", 1, fresh, ARRAY_LEN(fresh), names);
    ito_wait_state(names[0], "sent");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM items WHERE code = 'BRAND-NEW-1' AND "
                                   "active"),
                     1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_events e JOIN orders o ON "
                                   "o.id = e.order_id WHERE o.name = '%s' AND e.event = 'held'",
                                   names[0]),
                     0);
    /* and one Peoplevox really lacks is held, with its exception */
    ito_send_paid_orders("M", 1, missing, ARRAY_LEN(missing), gone);
    ito_wait_state(gone[0], "on_hold");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = 'unknown_sku' "
                                   "AND subject = '%s' AND state = 'open'",
                                   gone[0]),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders_wait_for_the_first_catalogue_sync),
        cmocka_unit_test(test_item_created_after_the_last_sync_is_looked_up),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, NULL, ito_group_teardown);
}
