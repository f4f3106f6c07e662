/*
 * it_serial_db_outage.c - the database goes away and comes back.
 *
 * Stops the shared throw-away cluster (so it runs alone: RUN_SERIAL),
 * checks that webhooks get 503 (Shopline retries them) and /readyz fails
 * while /healthz stays up, then starts the cluster again and checks that
 * the same shopvox process recovers without a restart.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "it.h"

static const char *db;
static struct it_proc proc;

static long post(const char *wid, const char *body)
{
    struct it_resp r;
    long s;

    it_post_webhook(proc.port, "orders/paid", wid, body, "hex", &r);
    s = r.status;
    it_resp_free(&r);
    return s;
}

/* Until the delivery is stored again (Shopline's retry after the outage). */
static bool redelivered(void *body)
{
    return post("outage-1", body) == 200;
}

static void test_outage_then_recovery(void **state)
{
    static const struct it_line mug[] = {{"MUG-1", 1, false}};
    char *body = it_order_json(&(struct it_order){.id = "70000000000000000000000001",
                                                  .name = "#7001", IT_LINES(mug)});

    assert_int_equal(post("outage-0", body), 200);
    assert_int_equal(it_http_get_status(proc.ops_port, "/readyz"), 200);
    assert_int_equal(it_pg_stop(), 0);
    assert_int_equal(post("outage-1", body), 503);
    assert_int_equal(it_http_get_status(proc.ops_port, "/readyz"), 503);
    assert_int_equal(it_http_get_status(proc.ops_port, "/healthz"), 200);
    assert_int_equal(it_pg_start(), 0);
    assert_true(it_wait_until(redelivered, body, 10000));
    assert_int_equal(it_http_get_status(proc.ops_port, "/readyz"), 200);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM webhook_events"), 2);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM orders"), 1);
    free(body);
}

int main(void)
{
    const char *args[] = {"serve", "--migrate", NULL};
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_outage_then_recovery)};
    int rc;

    it_require_db();
    db = it_db_create("outage");
    if (it_shopvox_start(&proc, db, NULL, args) != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc != 0)
        it_proc_dump_log(&proc);
    it_proc_stop(&proc, SIGTERM, 10000);
    it_pg_start();
    return rc;
}
