/*
 * it_inventory_backlog.c - fulfillments keep flowing while a stock take's
 * backlog of inventory pushes drains on the same Shopline budget.
 *
 * Scaled down from the 20,000 changes at 4/s: 1,000 SKUs x 2 sites
 * arrive at once (the stock take: 2,000 levels to set) with the store's
 * budget raised to 10/s (burst 40; the fake store's bucket the same), so
 * the backlog lasts ~200 s as 20,000 would at 4/s for ~80 minutes (long
 * enough that a loaded test machine, slow to create the five orders, still
 * despatches them while the backlog is large). While
 * it is still large, five paid orders are despatched in the warehouse:
 * their fulfillments (HIGH) must land within seconds, long before the
 * pushes (LOW) are done, and the store must never answer 429.
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
#include <json-c/json.h>

#include "buf.h"
#include "common.h"
#include "it.h"
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_sandbox.h"
#include "it_stock.h"

#define N_SKUS 1000
#define N_ORDERS 5
#define FULFIL_BUDGET_MS 30000

static char map_env[160];

static long backlog(void)
{
    return it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE kind = 'set_inventory' "
                               "AND state IN ('pending', 'running')");
}

static void test_fulfillments_flow_while_backlog_drains(void **state)
{
    char name[N_ORDERS][32], id[N_ORDERS][40], so[N_ORDERS][40];
    long at_despatch, at_fulfilled, sets_at_despatch, done = 0;
    int64_t t0;
    struct json_object *traffic;

    (void)state;
    /* the stock take: 2,000 levels queued by the first full read */
    assert_true(it_wait_sql_long(ito.db, "SELECT least(count(*), 1500) FROM jobs WHERE kind = "
                                         "'set_inventory'", 1500, 60000) == 1500);
    for (int k = 0; k < N_ORDERS; k++) {
        char tag[16];

        snprintf(tag, sizeof(tag), "BL%d", k);
        itl_store_order(tag, "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]", name[k],
                        sizeof(name[k]), id[k], sizeof(id[k]), so[k], sizeof(so[k]), NULL);
    }
    at_despatch = backlog();
    sets_at_despatch = its_store_sets();
    t0 = now_ms_monotonic();
    for (int k = 0; k < N_ORDERS; k++) {
        char tracking[32];

        snprintf(tracking, sizeof(tracking), "RMBL%d", k);
        itl_despatch(so[k], NULL, "Royal Mail", "Tracked 48", tracking);
    }
    while (done < N_ORDERS && now_ms_monotonic() - t0 < FULFIL_BUDGET_MS) {
        long tracked = 0;

        done = 0;
        for (int k = 0; k < N_ORDERS; k++)
            done += itl_store_count_fulfillments(id[k], NULL, &tracked) > 0;
        usleep(200 * 1000);
    }
    at_fulfilled = backlog();
    printf("# %ld fulfillments in %.1f s; set_inventory backlog %ld at the despatch, %ld when "
           "the last fulfillment landed (%ld levels set meanwhile)\n",
           done, (double)(now_ms_monotonic() - t0) / 1000.0, at_despatch, at_fulfilled,
           its_store_sets() - sets_at_despatch);
    if (done < N_ORDERS)
        it_proc_dump_log(&ito.proc);
    assert_int_equal(done, N_ORDERS);
    assert_true(at_despatch >= 1000);
    assert_true(at_fulfilled >= 500); /* the backlog is still large: fulfillments went first */
    traffic = itl_traffic();
    assert_int_equal(it_json_long(traffic, "refused"), 0);
    json_object_put(traffic);
}

static int group_setup(void **state)
{
    const char *env[] = {ITL_ENV, map_env, "SHOPLINE_RATE_PER_SEC=10", "SHOPLINE_BURST=40",
                         "PEOPLEVOX_RATE=1000/1s", "SHOPVOX_DESPATCH_POLL_S=1", "SHOPVOX_INVENTORY_SYNC_S=1",
                         "SHOPVOX_WORKERS=4", NULL};
    char loc[2][32];
    struct buf s;

    (void)state;
    it_require_db();
    if (itl_start_world("invbacklog", 10, 40) != 0)
        return -1;
    for (size_t i = 0; i < 2; i++)
        itl_location_id(i, loc[i], sizeof(loc[i]));
    snprintf(map_env, sizeof(map_env), "SHOPVOX_LOCATION_MAP=PrimarySite=%s;LONDON=%s", loc[0],
             loc[1]);
    buf_init(&s, 0);
    for (int at = 0; at < N_SKUS; at += 250) {
        struct buf p;
        char *body;

        buf_init(&p, 0);
        for (int i = at; i < at + 250; i++)
            buf_appendf(&p, "%s{\"title\":\"B%d\",\"variants\":[{\"sku\":\"INVB-%04d\"}]}",
                        i > at ? "," : "", i, i);
        body = xasprintf("{\"products\":[%s]}", buf_cstr(&p));
        itl_store_control("/_sandbox/products", body);
        free(body);
        buf_cleanup(&p);
    }
    for (int i = 0; i < N_SKUS; i++)
        buf_appendf(&s, "%s{\"ItemCode\":\"INVB-%04d\",\"site\":\"PrimarySite\",\"on_hand\":%d},"
                        "{\"ItemCode\":\"INVB-%04d\",\"site\":\"LONDON\",\"on_hand\":%d}",
                    i ? "," : "", i, i % 9 + 1, i, i % 4 + 1);
    its_pvx_stock(buf_cstr(&s));
    buf_cleanup(&s);
    return ito_shopvox_start(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fulfillments_flow_while_backlog_drains),
    };
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
