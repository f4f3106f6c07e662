/*
 * it_orders_crash.c - exactly-once under process death and replicas.
 *
 * Thirty paid orders go in; the shopvox process is killed with SIGKILL
 * while jobs are in flight (Peoplevox answers slowly, so some saves are
 * mid-call, in batches of three orders per save); then TWO shopvox processes
 * share the database. Every order must end `sent`, and the sandbox
 * Peoplevox must hold exactly thirty Sales Orders with exactly two lines
 * each — no duplicate order, no doubled line.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_sandbox.h"
#include "sandbox.h"

#define N_ORDERS 30

static const char *db;
static struct sandbox_pvx *sb;
static char pvx_url_env[256];

static long sandbox_count(const char *key)
{
    return it_sandbox_count(sandbox_pvx_port(sb), key);
}

static char *two_line_order(int i)
{
    return xasprintf(
        "{\"id\":\"8%025d\",\"name\":\"#C%d\",\"financial_status\":\"paid\",\"status\":\"open\","
        "\"updated_at\":\"2026-11-26T12:00:00+00:00\",\"created_at\":\"2026-11-26T11:59:00Z\","
        "\"currency\":\"GBP\",\"total_price\":\"30.00\",\"email\":\"c%d@example.com\","
        "\"shipping_address\":{\"name\":\"C %d\",\"address1\":\"1 Road\",\"city\":\"Leeds\","
        "\"zip\":\"LS1 1AA\",\"country\":\"United Kingdom\",\"country_code\":\"GB\"},"
        "\"line_items\":[{\"id\":\"%d01\",\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"price\":\"10.00\"},"
        "{\"id\":\"%d02\",\"sku\":\"MUG-LOGO\",\"quantity\":2,\"price\":\"10.00\"}]}",
        i, i, i, i, i, i);
}

static void test_kill9_then_two_replicas_post_each_order_once(void **state)
{
    /* small batches: the kill lands while batched saves are in flight, not after one
     * save carried every order */
    const char *env[] = {"SHOPVOX_WORKERS=3", pvx_url_env, "PEOPLEVOX_CLIENT_ID=SANDBOX",
                         "PEOPLEVOX_USERNAME=shopvox", "PEOPLEVOX_PASSWORD=secret",
                         "SHOPVOX_ORDER_PREFIX=CR", "SHOPVOX_JOB_LEASE_S=5",
                         "PEOPLEVOX_TIMEOUT_MS=5000", "SHOPVOX_PVX_BATCH_MAX=3", NULL};
    const char *serve[] = {"serve", "--migrate", NULL};
    struct it_proc a, b, c;
    struct it_resp r;

    assert_int_equal(it_shopvox_start(&a, db, env, serve), 0);
    assert_int_equal(it_wait_sql_long(db, "SELECT (count(*) > 0)::int FROM items", 1, 20000), 1);
    for (int i = 0; i < N_ORDERS; i++) {
        char wid[32];
        char *body = two_line_order(i);

        snprintf(wid, sizeof(wid), "crash-%d", i);
        assert_int_equal(it_post_webhook(a.port, "orders/paid", wid, body, "hex", &r), 0);
        assert_int_equal(r.status, 200);
        it_resp_free(&r);
        free(body);
    }
    /* kill while some Sales Orders exist and others are in flight */
    for (int i = 0; i < 200 && sandbox_count("sales_orders") < 3; i++)
        it_sleep_ms(20);
    it_proc_stop(&a, SIGKILL, 2000);
    assert_true(sandbox_count("sales_orders") < N_ORDERS);
    assert_int_equal(it_shopvox_start(&b, db, env, serve), 0);
    assert_int_equal(it_shopvox_start(&c, db, env, serve), 0);
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM orders WHERE state = 'sent'",
                                      N_ORDERS, 90000),
                     N_ORDERS);
    assert_int_equal(sandbox_count("sales_orders"), N_ORDERS);
    assert_int_equal(sandbox_count("sales_order_items"), 2 * N_ORDERS);
    assert_int_equal(it_sql_long(db, "SELECT count(DISTINCT sales_order_number) FROM orders"),
                     N_ORDERS);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE state = 'open'"), 0);
    it_proc_stop(&b, SIGTERM, 20000);
    it_proc_stop(&c, SIGTERM, 20000);
}

static void sandbox_faults(const char *json)
{
    assert_int_equal(it_sandbox_post(sandbox_pvx_port(sb), "/_sandbox/faults", json), 0);
}

/* A job slower than its lease must not be picked up by the other replica:
 * the owner's heartbeat keeps the lease alive. */
static void test_slow_job_keeps_its_lease(void **state)
{
    const char *env[] = {"SHOPVOX_WORKERS=2", pvx_url_env, "PEOPLEVOX_CLIENT_ID=SANDBOX",
                         "PEOPLEVOX_USERNAME=shopvox", "PEOPLEVOX_PASSWORD=secret",
                         "SHOPVOX_ORDER_PREFIX=CR", "SHOPVOX_JOB_LEASE_S=5",
                         "PEOPLEVOX_TIMEOUT_MS=20000", NULL};
    const char *serve[] = {"serve", NULL};
    struct it_proc a, b;
    struct it_resp r;
    char *body = two_line_order(900);

    assert_int_equal(it_shopvox_start(&a, db, env, serve), 0);
    assert_int_equal(it_shopvox_start(&b, db, env, serve), 0);
    sandbox_faults("{\"slow_ms\": 2500}");
    assert_int_equal(it_post_webhook(a.port, "orders/paid", "slow-900", body, "hex", &r), 0);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM orders WHERE name = '#C900' "
                                          "AND state = 'sent'", 1, 60000),
                     1);
    sandbox_faults("{\"slow_ms\": 0}");
    assert_int_equal(it_sql_long(db, "SELECT max(j.attempts) FROM jobs j JOIN orders o ON "
                                     "j.dedupe_key = o.id::text WHERE o.name = '#C900'"),
                     1);
    assert_int_equal(sandbox_count("sales_orders"), N_ORDERS + 1);
    it_proc_stop(&a, SIGTERM, 20000);
    it_proc_stop(&b, SIGTERM, 20000);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_then_two_replicas_post_each_order_once),
        cmocka_unit_test(test_slow_job_keeps_its_lease),
    };
    struct sandbox_pvx_opts so = {0};
    struct errbuf err = {""};
    int rc;

    it_require_db();
    db = it_db_create("crash");
    so.latency_ms = 60;
    sb = sandbox_pvx_start(&so, &err);
    if (sb == NULL) {
        fprintf(stderr, "sandbox: %s\n", err.msg);
        return 1;
    }
    snprintf(pvx_url_env, sizeof(pvx_url_env),
             "PEOPLEVOX_URL=http://127.0.0.1:%d/SANDBOX/resources/integrationservicev4.asmx",
             sandbox_pvx_port(sb));
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    sandbox_pvx_stop(sb);
    return rc;
}
