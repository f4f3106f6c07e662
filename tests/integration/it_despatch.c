/*
 * it_despatch.c - despatches come back from the warehouse: the real
 * shopvox binary (despatch poll every second) on a real database, the
 * sandbox Peoplevox in this process. An order is posted, despatched in the
 * fake warehouse (whole, or in two parts), and the poller records each
 * despatch exactly once with its lines allocated to the order's line ids,
 * the order moving to partially_despatched / despatched with history; a
 * despatch for a Sales Order shopvox does not know opens one
 * despatch_unmapped exception and does not stop the next despatch.
 *
 * The sandbox SHOPLINE runs beside: an order made in the fake store (and
 * delivered to shopvox as its webhook) has its despatch become exactly one
 * fulfillment there, with the tracking number, and ends fulfilled.
 *
 * The sandbox is never reset between tests: a reset restarts its despatch
 * numbers, which real Peoplevox never reuses. Each test uses its own orders.
 */
#include <json-c/json.h>
#include <setjmp.h>
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
#include "it_http.h"
#include "it_order.h"
#include "it_pg.h"
#include "it_shopline.h"
#include "it_wait.h"
#include "sandbox.h"

#define IT_SL_TOKEN "shpat_it_despatch"

static struct sandbox_shopline *sl;

/* Despatches items ("[{...}]" or NULL: everything) of Sales Order so in the fake warehouse. */
static void despatch(const char *so, const char *items, const char *tracking)
{
    its_despatch(so, items, tracking);
}

/* Waits for n recorded despatches of order name. */
static void wait_despatches(const char *name, long n)
{
    char *sql = xasprintf("SELECT count(*) FROM despatches d JOIN orders o ON o.id = d.order_id "
                          "WHERE o.name = '%s'",
                          name);

    assert_int_equal(it_wait_sql_long(ito.db, sql, n, ITO_WAIT_MS), n);
    free(sql);
}

static void test_whole_despatch_recorded_once(void **state)
{
    const struct it_line lines[] = {{"TEE-BLK-M", 1, false}, {"MUG-LOGO", 2, false}};
    char name[32], so[40];

    (void)state;
    ito_post_paid("DW", "US", lines, 2, name, sizeof(name), so, sizeof(so));
    despatch(so, NULL, "TRK-WHOLE");
    wait_despatches(name, 1);
    ito_wait_state(name, "despatched");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches d JOIN orders o ON "
                                   "o.id = d.order_id WHERE o.name = '%s' AND d.tracking = "
                                   "'TRK-WHOLE' AND d.carrier = 'DPD'",
                                   name),
                     1);
    assert_int_equal(ito_sql_count("SELECT coalesce(sum(l.quantity), 0) FROM despatch_lines l "
                                   "JOIN despatches d ON d.id = l.despatch_id JOIN orders o ON "
                                   "o.id = d.order_id WHERE o.name = '%s'",
                                   name),
                     3);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_lines l JOIN orders o ON "
                                   "o.id = l.order_id WHERE o.name = '%s' AND "
                                   "l.qty_despatched = l.quantity",
                                   name),
                     2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_events e JOIN orders o ON "
                                   "o.id = e.order_id WHERE o.name = '%s' AND e.event = "
                                   "'despatched' AND e.to_state = 'despatched'",
                                   name),
                     1);
    /* later polls re-read the overlap window and record nothing twice */
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT least(count(*), 2) FROM jobs WHERE kind = "
                                      "'poll_despatches' AND state = 'done' AND finished_at > "
                                      "(SELECT max(created_at) FROM despatches)",
                                      2, ITO_WAIT_MS),
                     2);
    wait_despatches(name, 1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_lines l JOIN orders o ON "
                                   "o.id = l.order_id WHERE o.name = '%s' AND "
                                   "l.qty_despatched = l.quantity",
                                   name),
                     2);
}

/* A paid order made in the fake store, delivered as its webhook; id gets its Shopline id. */
static void post_store_order(const char *lines_json, char *name, size_t name_cap, char *id,
                             size_t id_cap, char *so, size_t so_cap)
{
    its_store_order_paid(sl, "DF", lines_json, name, name_cap, id, id_cap, so, so_cap);
}

/* The fake store's fulfillments of order id, as JSON text (owned). */
static char *store_fulfillments(const char *id)
{
    static const char *const headers[] = {"Authorization: Bearer " IT_SL_TOKEN, NULL};
    char path[160];
    struct it_resp r = {0, NULL};
    char *body;

    snprintf(path, sizeof(path), ITS_API_PATH "/orders/%s/fulfillments.json", id);
    assert_int_equal(it_http(sandbox_shopline_port(sl), "GET", path, NULL, 0, headers, &r), 0);
    assert_int_equal(r.status, 200);
    body = xstrdup(r.body);
    it_resp_free(&r);
    return body;
}

static void test_despatch_becomes_one_fulfillment(void **state)
{
    char name[32], id[64], so[40];
    char *f;
    json_object *root, *list;

    (void)state;
    post_store_order("[{\"sku\":\"TEE-BLK-M\",\"quantity\":1},{\"sku\":\"MUG-LOGO\","
                     "\"quantity\":2}]",
                     name, sizeof(name), id, sizeof(id), so, sizeof(so));
    despatch(so, NULL, "TRK-FUL");
    ito_wait_state(name, "fulfilled");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches d JOIN orders o ON "
                                   "o.id = d.order_id WHERE o.name = '%s' AND d.state = "
                                   "'fulfilled' AND d.shopline_fulfillment_id IS NOT NULL AND "
                                   "d.confirmed_at IS NOT NULL",
                                   name),
                     1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_events e JOIN orders o ON "
                                   "o.id = e.order_id WHERE o.name = '%s' AND e.event = "
                                   "'fulfilled' AND e.to_state = 'fulfilled'",
                                   name),
                     1);
    f = store_fulfillments(id);
    root = json_tokener_parse(f);
    assert_true(json_object_object_get_ex(root, "fulfillments", &list));
    assert_int_equal(json_object_array_length(list), 1);
    assert_non_null(strstr(f, "TRK-FUL"));
    json_object_put(root);
    free(f);
}

static void test_partial_despatch_then_rest(void **state)
{
    const struct it_line lines[] = {{"TEE-BLK-M", 2, false}, {"MUG-LOGO", 1, false}};
    char name[32], so[40];

    (void)state;
    ito_post_paid("DP", "US", lines, 2, name, sizeof(name), so, sizeof(so));
    despatch(so, "[{\"ItemCode\":\"TEE-BLK-M\",\"qty\":1}]", "TRK-P1");
    wait_despatches(name, 1);
    ito_wait_state(name, "partially_despatched");
    despatch(so, "[{\"ItemCode\":\"TEE-BLK-M\",\"qty\":1},{\"ItemCode\":\"MUG-LOGO\",\"qty\":1}]",
             "TRK-P2");
    wait_despatches(name, 2);
    ito_wait_state(name, "despatched");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_lines l JOIN orders o ON "
                                   "o.id = l.order_id WHERE o.name = '%s' AND "
                                   "l.qty_despatched = l.quantity",
                                   name),
                     2);
}

static void test_unknown_order_excepted_others_recorded(void **state)
{
    const struct it_line lines[] = {{"MUG-LOGO", 1, false}};
    char lost[32], lost_so[40], name[32], so[40];
    char *sql;

    (void)state;
    ito_post_paid("DX", "US", lines, 1, lost, sizeof(lost), lost_so, sizeof(lost_so));
    ito_post_paid("DU", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    /* shopvox no longer knows the first Sales Order (as if made in Peoplevox by hand) */
    free(it_sql_textf(ito.db, "UPDATE orders SET sales_order_number = NULL WHERE name = '%s' "
                              "RETURNING name",
                      lost));
    despatch(lost_so, NULL, "TRK-X");
    despatch(so, NULL, "TRK-K");
    wait_despatches(name, 1);
    ito_wait_state(name, "despatched");
    sql = xasprintf("SELECT count(*) FROM exceptions WHERE type = 'despatch_unmapped' AND "
                    "team = 'ops' AND state = 'open' AND subject LIKE '%s/%%'",
                    lost_so);
    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    free(sql);
    wait_despatches(lost, 0);
}

static int group_setup(void **state)
{
    const char *env[] = {"SHOPVOX_DESPATCH_POLL_S=1", NULL};

    sl = its_start_synced("despatch", IT_SL_TOKEN, env);
    *state = sl;
    return sl != NULL ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_despatch_recorded_once),
        cmocka_unit_test(test_despatch_becomes_one_fulfillment),
        cmocka_unit_test(test_partial_despatch_then_rest),
        cmocka_unit_test(test_unknown_order_excepted_others_recorded),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, its_group_teardown);
}
