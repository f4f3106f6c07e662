/*
 * it_watchdog.c - stalled paid orders become one exception each and the
 * exception resolves itself once the order leaves `ready`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"
#include "store.h"
#include "watchdog.h"

static const char *db;
static struct store_conn *conn;
static struct cfg cfg;
static struct worker_ctx w;

static void run_pass(void)
{
    struct job_result r;
    struct job j;

    memset(&j, 0, sizeof(j));
    memset(&r, 0, sizeof(r));
    watchdog_stalled_handler(&w, &j, &r);
    if (r.st != ST_OK)
        fail_msg("watchdog pass failed: %s", r.err.msg);
}

static long open_stalled(void)
{
    return it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = 'stalled_order' "
                           "AND state = 'open'");
}

static void test_stalled_order_raises_once_and_resolves_itself(void **state)
{
    it_sql_exec(db, "INSERT INTO orders (shop, shopline_order_id, name, state, ready_at, "
                    "updated_at) VALUES "
                    "('" IT_SHOP "', '1', '#W1', 'ready', now() - interval '20 minutes', "
                    "now() - interval '20 minutes'), "
                    "('" IT_SHOP "', '2', '#W2', 'ready', now(), now()), "
                    "('" IT_SHOP "', '3', '#W3', 'awaiting_payment', NULL, "
                    "now() - interval '2 hours')");
    it_sql_exec(db, "INSERT INTO jobs (shop, kind, dedupe_key, state, attempts, last_error) "
                    "SELECT shop, 'post_sales_order', id::text, 'pending', 4, "
                    "'peoplevox answered HTTP 503' FROM orders WHERE name = '#W1'");
    run_pass();
    run_pass(); /* a second pass bumps the same exception, adds none */
    assert_int_equal(open_stalled(), 1);
    assert_int_equal(it_sql_long(db, "SELECT count FROM exceptions WHERE type = 'stalled_order' "
                                     "AND subject = '#W1' AND detail LIKE '%HTTP 503%' "
                                     "AND detail LIKE '%pending after 4 attempt%'"),
                     2);
    it_sql_exec(db, "UPDATE orders SET state = 'sent' WHERE name = '#W1'");
    run_pass();
    assert_int_equal(open_stalled(), 0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = "
                                     "'stalled_order' AND resolution = 'order is sent now'"),
                     1);
}

/*
 * Regression (issue 13, item 6): every retry bumps updated_at, so an order
 * ready for 21 minutes whose post was retried a moment ago is still stalled.
 * Measured from ready_at; a row without one (before migration 003) falls
 * back to created_at.
 */
static void test_stalled_is_measured_from_ready_not_last_update(void **state)
{
    it_sql_exec(db, "INSERT INTO orders (shop, shopline_order_id, name, state, ready_at, "
                    "created_at, updated_at) VALUES "
                    "('" IT_SHOP "', '11', '#W11', 'ready', now() - interval '21 minutes', "
                    "now() - interval '22 minutes', now()), "
                    "('" IT_SHOP "', '12', '#W12', 'ready', NULL, "
                    "now() - interval '30 minutes', now()), "
                    "('" IT_SHOP "', '13', '#W13', 'ready', now() - interval '1 minute', "
                    "now() - interval '2 hours', now() - interval '2 hours')");
    it_sql_exec(db, "INSERT INTO jobs (shop, kind, dedupe_key, state, attempts, last_error) "
                    "SELECT shop, 'post_sales_order', id::text, 'pending', 7, "
                    "'peoplevox answered HTTP 503' FROM orders WHERE name = '#W11'");
    run_pass();
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = "
                                     "'stalled_order' AND state = 'open' AND subject = '#W11' "
                                     "AND detail LIKE '%after 21 minutes%'"),
                     1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = "
                                     "'stalled_order' AND state = 'open' AND subject = '#W12'"),
                     1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = "
                                     "'stalled_order' AND subject = '#W13'"),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stalled_order_raises_once_and_resolves_itself),
        cmocka_unit_test(test_stalled_is_measured_from_ready_not_last_update),
    };
    int rc;

    it_require_db();
    db = it_db_create_migrated("watchdog");
    conn = store_conn_create(db);
    cfg.shop_domain = (char *)(uintptr_t)IT_SHOP;
    cfg.stalled_order_s = 600;
    w = (struct worker_ctx){&cfg, conn, NULL, NULL, "it-watchdog", NULL, NULL, NULL};
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    store_conn_destroy(conn);
    return rc;
}
