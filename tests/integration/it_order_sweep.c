/*
 * it_order_sweep.c - missed order webhooks recovered by the sweep: 50 paid
 * orders made in the fake store whose webhooks are dropped are all applied
 * by `shopvox reconcile orders --wait` and each posted to Peoplevox once,
 * also when some webhooks arrive late after the sweep applied them; a
 * second sweep over up-to-date orders is a no-op; --since is checked; an
 * order shopvox holds that changed in the store without a webhook (a newer
 * version) is applied by the sweep, and the equal version then is not.
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
#include "it_order.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_wait.h"

#define N_DROPPED 50
#define N_LATE 10

/* `shopvox reconcile orders ARGS --wait 120 --json`: the run's JSON (owned). */
static struct json_object *reconcile(const char *since)
{
    struct it_cli_result r;
    struct json_object *j;

    if (since != NULL)
        it_cli_run(&r, ito.db, "reconcile", "orders", "--since", since, "--wait", "120", "--json",
                   NULL);
    else
        it_cli_run(&r, ito.db, "reconcile", "orders", "--wait", "120", "--json", NULL);
    if (r.exit_code != 0)
        fail_msg("reconcile exited %d: %s%s", r.exit_code, r.out, r.err);
    j = it_cli_json(&r);
    assert_non_null(j);
    it_cli_result_free(&r);
    assert_string_equal(it_json_str(j, "state"), "done");
    return j;
}

static int reconcile_usage(const char *since)
{
    struct it_cli_result r;
    int code;

    it_cli_run(&r, ito.db, "reconcile", "orders", "--since", since, NULL);
    code = r.exit_code;
    assert_non_null(strstr(r.err, "--since"));
    it_cli_result_free(&r);
    return code;
}

/* A paid order made in the store, its webhook never sent; its JSON (owned). */
static char *dropped_order(char *name, size_t cap)
{
    char unused[32];
    char *req, *json;
    struct json_object *root, *order = NULL;
    struct it_resp r = {0, NULL};

    it_order_next(unused, sizeof(unused), name, cap, "SW");
    req = xasprintf("{\"name\":\"%s\",\"financial_status\":\"paid\",\"lines\":"
                    "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]}", name);
    assert_int_equal(it_http(itl_port(), "POST", "/_sandbox/orders", req, strlen(req), NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    root = json_tokener_parse(r.body);
    assert_true(json_object_object_get_ex(root, "order", &order));
    json = xstrdup(json_object_to_json_string_ext(order, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    it_resp_free(&r);
    free(req);
    return json;
}

static void test_dropped_webhooks_recovered_once(void **state)
{
    char names[N_DROPPED][32], so[64];
    char *bodies[N_DROPPED];
    struct json_object *run;

    (void)state;
    for (int i = 0; i < N_DROPPED; i++)
        bodies[i] = dropped_order(names[i], sizeof(names[i]));
    /* the leader's own first sweep may be running too: together they recover each once */
    run = reconcile(NULL);
    json_object_put(run);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT coalesce(sum(recovered), 0) FROM "
                                      "order_sweeps", N_DROPPED, ITO_WAIT_MS), N_DROPPED);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM order_sweeps WHERE state "
                                      "NOT IN ('done', 'failed')", 0, ITO_WAIT_MS), 0);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM orders WHERE name LIKE "
                                      "'%SW%' AND state = 'sent'", N_DROPPED, ITO_WAIT_MS),
                     N_DROPPED);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM webhook_events WHERE source = 'sweep' "
                                   "AND webhook_id IS NULL AND topic = 'orders/sweep'"),
                     N_DROPPED);

    for (int i = 0; i < N_LATE; i++) /* the dropped webhooks arrive after all */
        ito_webhook("orders/paid", bodies[i]);
    run = reconcile(NULL); /* everything up to date: nothing applied */
    assert_int_equal(ito_sql_count("SELECT coalesce(sum(recovered), 0) FROM order_sweeps"),
                     N_DROPPED);
    assert_int_equal(it_json_long(run, "recovered"), 0);
    assert_true(it_json_long(run, "listed") >= N_DROPPED);
    json_object_put(run);
    for (int i = 0; i < N_DROPPED; i++) {
        ito_wait_jobs_idle(names[i]);
        ito_so_of(names[i], so, sizeof(so));
        assert_int_equal(ito_sandbox_orders_numbered(so), 1);
        free(bodies[i]);
    }
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs j JOIN orders o ON "
                                   "j.dedupe_key = o.id::text WHERE j.kind = 'post_sales_order' "
                                   "AND o.name LIKE '%%SW%%'"),
                     N_DROPPED);
    assert_int_equal(ito_sandbox_calls("SaveData", NULL) >= 1, 1);
}

static void test_since(void **state)
{
    char name[32];
    char *body, *since;
    struct json_object *run;
    long recovered_before = ito_sql_count("SELECT coalesce(sum(recovered), 0) FROM order_sweeps");

    (void)state;
    assert_int_equal(reconcile_usage("yesterday"), 2);
    assert_int_equal(reconcile_usage("2001-01-01T00:00:00Z"), 2); /* beyond 31 days */
    assert_int_equal(reconcile_usage("2999-01-01T00:00:00Z"), 2); /* the future */

    body = dropped_order(name, sizeof(name));
    since = it_sql_textf(ito.db, "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', "
                                 "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    run = reconcile(since);
    assert_int_equal(it_json_long(run, "recovered"), 1);
    assert_string_equal(it_json_str(run, "since"), since);
    json_object_put(run);
    ito_wait_state(name, "sent");
    assert_int_equal(ito_sql_count("SELECT coalesce(sum(recovered), 0) FROM order_sweeps"),
                     recovered_before + 1);
    free(body);
    free(since);
}

static void test_newer_version_applied_equal_one_not(void **state)
{
    char name[32], id[32], so[64];
    char *changed;
    struct json_object *run;

    (void)state;
    itl_store_order("SN", "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]", name, sizeof(name), id,
                    sizeof(id), so, sizeof(so), NULL);
    run = reconcile(NULL); /* what shopvox holds is what the store lists: nothing */
    assert_int_equal(it_json_long(run, "recovered"), 0);
    json_object_put(run);
    usleep(1100 * 1000); /* updated_at has whole seconds: the change must be newer */
    changed = itl_store_change_order(id, "{\"cancel\":true}"); /* no webhook delivered */
    free(changed);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM orders WHERE name = '%s' AND "
                                   "cancelled_at IS NULL", name), 1);
    run = reconcile(NULL);
    assert_int_equal(it_json_long(run, "recovered"), 1);
    json_object_put(run);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM orders WHERE name = '%s' AND "
                                   "cancelled_at IS NOT NULL", name), 1);
    run = reconcile(NULL); /* the same version again: a no-op */
    assert_int_equal(it_json_long(run, "recovered"), 0);
    json_object_put(run);
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_ORDER_SWEEP_S=3600", NULL};

    (void)state;
    return itl_world_start("order_sweep", env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dropped_webhooks_recovered_once),
        cmocka_unit_test(test_since),
        cmocka_unit_test(test_newer_version_applied_equal_one_not),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
