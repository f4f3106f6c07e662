/*
 * it_retention.c - what retention deletes and what it keeps (issue 7.7),
 * against a real PostgreSQL: deliveries and done jobs past the horizon go,
 * in batches; failed deliveries with an open exception, recent rows, other
 * shops' rows, orders and their history stay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_purge_deletes_old_deliveries_and_done_jobs_only),
    };

    it_require_db();
    db = it_db_create_migrated("retention");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
