/*
 * it_retention.c - what retention deletes and what it keeps (issue 7.7),
 * against a real PostgreSQL: deliveries and done jobs past the horizon go,
 * in batches; failed deliveries with an open exception, recent rows, other
 * shops' rows, orders and their history stay. Inventory drift reports past
 * the horizon go too, except each shop's latest, however old.
 */
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
#include "retention.h"
#include "store.h"

static const char *db;

static void test_purge_deletes_old_deliveries_and_done_jobs_only(void **state)
{
    struct store_conn *c = store_conn_create(db);
    struct retention_counts n;
    struct errbuf err = {""};

    /* 2,500 old processed deliveries (three batches), 5 recent ones */
    it_sql_exec(db, "INSERT INTO webhook_events (shop, webhook_id, topic, body, outcome, "
                    "received_at) SELECT '" IT_SHOP "', 'old-' || g, 'orders/paid', 'x', 'stored', "
                    "now() - interval '40 days' FROM generate_series(1, 2500) g");
    it_sql_exec(db, "INSERT INTO webhook_events (shop, webhook_id, topic, body, outcome) "
                    "SELECT '" IT_SHOP "', 'new-' || g, 'orders/paid', 'x', 'stored' "
                    "FROM generate_series(1, 5) g");
    /* an old failed delivery whose exception is open stays; a resolved one goes */
    it_sql_exec(db, "INSERT INTO webhook_events (shop, webhook_id, topic, body, outcome, "
                    "received_at) VALUES ('" IT_SHOP "', 'bad-open', 'orders/paid', 'x', "
                    "'failed', now() - interval '40 days'), ('" IT_SHOP "', 'bad-done', "
                    "'orders/paid', 'x', 'failed', now() - interval '40 days')");
    it_sql_exec(db, "INSERT INTO exceptions (shop, type, team, subject_kind, subject, detail, "
                    "state) VALUES ('" IT_SHOP "', 'invalid_webhook', 'ops', 'webhook', "
                    "'bad-open', 'd', 'open'), ('" IT_SHOP "', 'invalid_webhook', 'ops', "
                    "'webhook', 'bad-done', 'd', 'resolved')");
    /* another shop's old delivery is not this deployment's to delete */
    it_sql_exec(db, "INSERT INTO webhook_events (shop, webhook_id, topic, body, outcome, "
                    "received_at) VALUES ('other.myshopline.com', 'old-x', 'orders/paid', 'x', "
                    "'stored', now() - interval '40 days')");
    /* jobs: old done go; recent done, old dead and pending stay */
    it_sql_exec(db, "INSERT INTO jobs (shop, kind, dedupe_key, state, finished_at) SELECT '"
                    IT_SHOP "', 'k', 'd' || g, 'done', now() - interval '40 days' "
                    "FROM generate_series(1, 1200) g");
    it_sql_exec(db, "INSERT INTO jobs (shop, kind, dedupe_key, state, finished_at) VALUES ('"
                    IT_SHOP "', 'k', 'recent', 'done', now()), ('" IT_SHOP "', 'k', 'dead', "
                    "'dead', now() - interval '40 days'), ('" IT_SHOP "', 'k', 'live', "
                    "'pending', NULL)");

    assert_int_equal(retention_purge(c, IT_SHOP, 30, 60000, &n, &err), ST_OK);
    assert_int_equal(n.deliveries, 2501);
    assert_int_equal(n.jobs, 1200);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM webhook_events"), 7);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM webhook_events WHERE webhook_id IN "
                                     "('bad-open', 'old-x')"),
                     2);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs"), 3);
    /* nothing more to do */
    assert_int_equal(retention_purge(c, IT_SHOP, 30, 60000, &n, &err), ST_OK);
    assert_int_equal(n.deliveries + n.jobs, 0);
    store_conn_destroy(c);
}

/* n drift reports of shop finished `age` ago (an interval's text). */
static void drift_reports(const char *shop, const char *age, int n)
{
    char *sql = xasprintf("INSERT INTO inventory_drift_reports (shop, started_at, finished_at, "
                          "checked, drifted, corrected, pending, unread, variance_units, "
                          "expected_units, drifted_pct, variance_pct, over_threshold, calls, "
                          "top_items, peoplevox_only, shopline_only) SELECT '%s', now() - "
                          "interval '%s', now() - interval '%s', 1, 0, 0, 0, 0, 0, 1, 0, 0, "
                          "false, 1, '[]', '{}', '{}' FROM generate_series(1, %d)",
                          shop, age, age, n);

    it_sql_exec(db, sql);
    free(sql);
}

static void test_purge_deletes_old_drift_reports_but_the_latest(void **state)
{
    struct store_conn *c = store_conn_create(db);
    struct retention_counts n;
    struct errbuf err = {""};

    (void)state;
    it_sql_exec(db, "DELETE FROM inventory_drift_reports");
    drift_reports(IT_SHOP, "45 days", 1400); /* past the horizon: two batches */
    drift_reports(IT_SHOP, "2 days", 100);
    drift_reports("other.myshopline.com", "45 days", 1); /* another shop's: not purged here */
    drift_reports("old.myshopline.com", "90 days", 1);
    drift_reports("old.myshopline.com", "80 days", 1);   /* its latest: kept however old */

    assert_int_equal(retention_purge(c, IT_SHOP, 30, 60000, &n, &err), ST_OK);
    assert_int_equal(n.drift_reports, 1400);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM inventory_drift_reports WHERE shop = '"
                                     IT_SHOP "'"),
                     100);
    assert_int_equal(retention_purge(c, "old.myshopline.com", 30, 60000, &n, &err), ST_OK);
    assert_int_equal(n.drift_reports, 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM inventory_drift_reports WHERE shop = "
                                     "'old.myshopline.com' AND finished_at > now() - "
                                     "interval '85 days'"),
                     1);
    assert_int_equal(retention_purge(c, "old.myshopline.com", 30, 60000, &n, &err), ST_OK);
    assert_int_equal(n.drift_reports, 0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM inventory_drift_reports"), 102);
    store_conn_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_deletes_old_deliveries_and_done_jobs_only),
        cmocka_unit_test(test_purge_deletes_old_drift_reports_but_the_latest),
    };

    it_require_db();
    db = it_db_create_migrated("retention");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
