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
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_orders_world.h"

#define N_ORDERS 30

static const struct it_line two_lines[] = {{"TEE-BLK-M", 1, false}, {"MUG-LOGO", 2, false}};

/* Sends a fresh paid order of two_lines to p as delivery wid; its name into name. */
static void send_order(const struct it_proc *p, const char *wid, char *name, size_t name_cap)
{
    char id[32];
    char *body;
    struct it_resp r;

    it_order_next(id, sizeof(id), name, name_cap, "C");
    body = it_order_json(&(struct it_order){.id = id, .name = name, IT_LINES(two_lines)});
    assert_int_equal(it_post_webhook(p->port, "orders/paid", wid, body, "hex", &r), 0);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    free(body);
}

/* Until the sandbox holds at least *want Sales Orders. */
static bool sandbox_holds(void *want)
{
    return ito_sandbox_count("sales_orders") >= *(long *)want;
}

static void test_kill9_then_two_replicas_post_each_order_once(void **state)
{
    /* small batches: the kill lands while batched saves are in flight, not after one
     * save carried every order */
    const char *env[] = {"SHOPVOX_WORKERS=3", "SHOPVOX_ORDER_PREFIX=CR", "SHOPVOX_JOB_LEASE_S=5",
                         "SHOPVOX_PVX_BATCH_MAX=3", NULL};
    struct it_proc a, b, c;
    long some = 3;

    assert_int_equal(ito_proc_start(&a, env), 0);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT (count(*) > 0)::int FROM items", 1,
                                      ITO_WAIT_MS),
                     1);
    for (int i = 0; i < N_ORDERS; i++) {
        char wid[32], name[32];

        snprintf(wid, sizeof(wid), "crash-%d", i);
        send_order(&a, wid, name, sizeof(name));
    }
    /* kill while some Sales Orders exist and others are in flight */
    assert_true(it_wait_until(sandbox_holds, &some, ITO_WAIT_MS));
    it_proc_stop(&a, SIGKILL, 2000);
    assert_true(ito_sandbox_count("sales_orders") < N_ORDERS);
    assert_int_equal(ito_proc_start(&b, env), 0);
    assert_int_equal(ito_proc_start(&c, env), 0);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM orders WHERE state = 'sent'",
                                      N_ORDERS, 90000),
                     N_ORDERS);
    assert_int_equal(ito_sandbox_count("sales_orders"), N_ORDERS);
    assert_int_equal(ito_sandbox_count("sales_order_items"), 2 * N_ORDERS);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(DISTINCT sales_order_number) FROM orders"),
                     N_ORDERS);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE state = 'open'"),
                     0);
    it_proc_stop(&b, SIGTERM, 20000);
    it_proc_stop(&c, SIGTERM, 20000);
}

/* A job slower than its lease must not be picked up by the other replica:
 * the owner's heartbeat keeps the lease alive. */
static void test_slow_job_keeps_its_lease(void **state)
{
    const char *env[] = {"SHOPVOX_ORDER_PREFIX=CR", "SHOPVOX_JOB_LEASE_S=5",
                         "PEOPLEVOX_TIMEOUT_MS=20000", NULL};
    struct it_proc a, b;
    char name[32];
    char *sent;

    assert_int_equal(ito_proc_start(&a, env), 0);
    assert_int_equal(ito_proc_start(&b, env), 0);
    ito_sandbox_post("/_sandbox/faults", "{\"slow_ms\": 2500}");
    send_order(&a, "slow-1", name, sizeof(name));
    sent = xasprintf("SELECT count(*) FROM orders WHERE name = '%s' AND state = 'sent'", name);
    assert_int_equal(it_wait_sql_long(ito.db, sent, 1, 60000), 1);
    free(sent);
    ito_sandbox_post("/_sandbox/faults", "{\"slow_ms\": 0}");
    assert_int_equal(ito_sql_count("SELECT max(j.attempts) FROM jobs j JOIN orders o ON "
                                   "j.dedupe_key = o.id::text WHERE o.name = '%s'",
                                   name),
                     1);
    assert_int_equal(ito_sandbox_count("sales_orders"), N_ORDERS + 1);
    it_proc_stop(&a, SIGTERM, 20000);
    it_proc_stop(&b, SIGTERM, 20000);
}

static int group_setup(void **state)
{
    struct sandbox_pvx_opts so = {0};

    so.latency_ms = 60;
    return ito_start_sandbox("crash", &so);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_then_two_replicas_post_each_order_once),
        cmocka_unit_test(test_slow_job_keeps_its_lease),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
