/*
 * it_catalogue.c - the catalogue sync against the in-process Peoplevox
 * sandbox and a real database: the seeded catalogue lands (the ~D~ item
 * inactive), items added in the warehouse appear, items gone from it turn
 * inactive but stay, more than one page (1000) of item types, held orders
 * re-queued once something new arrives, a rate-limited warehouse is a
 * retry that changes nothing, two syncs at once (two replicas) agree, and an empty answer never wipes the catalogue.
 *
 * The handler is called directly with a hand-built worker_ctx; every test
 * starts from an empty database and a freshly reset sandbox.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalogue.h"
#include "common.h"
#include "config.h"
#include "it.h"
#include "it_orders_world.h"
#include "metrics.h"
#include "pvx.h"
#include "sandbox.h"
#include "store.h"

static const char *db;
static struct pvx_client *pvx;
static struct store_conn *conn;
static CURL *curl;
static struct cfg cfg;
static struct worker_ctx w;
static char shop[] = IT_SHOP;
static char empty_shop[] = "empty.myshopline.com";

static struct pvx_client *client_for(int port)
{
    struct pvx_config pc;
    struct errbuf err = {""};
    char url[160];
    struct pvx_client *c;

    it_sandbox_pvx_url(port, url, sizeof(url));
    memset(&pc, 0, sizeof(pc));
    pc.url = url;
    pc.client_id = "SANDBOX";
    pc.username = "shopvox";
    pc.password = "secret";
    pc.password_encoding = "base64";
    pc.timeout_ms = 10000;
    pc.max_concurrency = 2;
    pc.throttle_base_ms = 10;   /* a 429 pauses the client's calls this long only */
    pc.throttle_max_ms = 10;
    c = pvx_client_create(&pc, &err);
    if (c == NULL)
        fail_msg("pvx_client_create: %s", err.msg);
    return c;
}

static int group_setup(void **state)
{
    it_require_db();
    if (ito_start_sandbox("catalogue", NULL) != 0)
        return -1;
    db = ito.db;
    conn = store_conn_create(db);
    pvx = client_for(sandbox_pvx_port(ito.sb));
    curl = curl_easy_init();
    memset(&cfg, 0, sizeof(cfg));
    cfg.shop_domain = shop;
    w = (struct worker_ctx){&cfg, conn, pvx, curl, "it-catalogue", NULL, NULL, NULL};
    return 0;
}

static int group_teardown(void **state)
{
    curl_easy_cleanup(curl);
    pvx_client_destroy(pvx);
    store_conn_destroy(conn);
    return ito_stop();
}

static int fresh(void **state)
{
    it_sql_exec(db, "TRUNCATE items, cursors, jobs, orders CASCADE");
    ito_sandbox_post("/_sandbox/reset", "{}");
    return 0;
}

static long count(const char *sql)
{
    return it_sql_long(db, sql);
}

static enum st sync_once(struct errbuf *err)
{
    struct job j;
    struct job_result r;

    memset(&j, 0, sizeof(j));
    memset(&r, 0, sizeof(r));
    snprintf(j.kind, sizeof(j.kind), "catalogue_sync");
    snprintf(j.shop, sizeof(j.shop), "%s", IT_SHOP);
    j.attempts = 1;
    j.max_attempts = 12;
    catalogue_sync_handler(&w, &j, &r);
    *err = r.err;
    return r.st;
}

static bool sync_succeeds(void *unused)
{
    struct errbuf err = {""};

    return sync_once(&err) == ST_OK;
}

static void sync_ok(void)
{
    struct errbuf err = {""};
    enum st st = sync_once(&err);

    if (st != ST_OK)
        fail_msg("catalogue sync: %s: %s", st_name(st), err.msg);
}

static long item_active(const char *code)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "SELECT active::int FROM items WHERE shop = '%s' AND code = '%s'", IT_SHOP, code);
    return count(sql);
}

static void test_seed_catalogue_lands(void **state)
{
    char *cursor;
    char *name;

    sync_ok();
    assert_int_equal(count("SELECT count(*) FROM items WHERE shop = '" IT_SHOP "'"), 20);
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 19);
    assert_int_equal(item_active("OLD-TEE~D~1"), 0);
    assert_int_equal(item_active("TEE-BLK-S"), 1);
    name = it_sql_text(db, "SELECT name FROM items WHERE code = 'SOCKS-3PK'");
    assert_string_equal(name, "Socks, 3 pack");
    free(name);
    cursor = it_sql_text(db, "SELECT value FROM cursors WHERE name = 'catalogue_sync:" IT_SHOP
                             "'");
    assert_int_equal(strlen(cursor), strlen("2026-01-01T00:00:00Z 20"));
    assert_non_null(strstr(cursor, "Z 20"));
    free(cursor);
    assert_true(metrics_get("shopvox_catalogue_items", "state=\"active\"") == 19.0);
    assert_true(metrics_get("shopvox_catalogue_items", "state=\"inactive\"") == 1.0);

    /* again: the same catalogue, nothing new, no held order re-checked */
    sync_ok();
    assert_int_equal(count("SELECT count(*) FROM items"), 20);
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 19);
    assert_int_equal(count("SELECT count(*) FROM jobs"), 0);
}

static void test_added_item_appears_and_gone_item_turns_inactive(void **state)
{
    sync_ok();
    assert_int_equal(item_active("NEW-ITEM-1"), -1);
    ito_sandbox_post("/_sandbox/items",
                 "{\"ItemCode\":\"NEW-ITEM-1\",\"Name\":\"New, \\\"quoted\\\" item\","
                 "\"Barcode\":\"999\",\"stock\":5}");
    sync_ok();
    assert_int_equal(item_active("NEW-ITEM-1"), 1);
    assert_int_equal(count("SELECT count(*) FROM items WHERE code = 'NEW-ITEM-1' AND "
                           "name = 'New, \"quoted\" item' AND barcode = '999'"),
                     1);

    /* reset re-seeds the sandbox catalogue without NEW-ITEM-1: kept, inactive */
    ito_sandbox_post("/_sandbox/reset", "{}");
    sync_ok();
    assert_int_equal(item_active("NEW-ITEM-1"), 0);
    assert_int_equal(count("SELECT count(*) FROM items"), 21);
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 19);

    /* and back again */
    ito_sandbox_post("/_sandbox/items", "{\"ItemCode\":\"NEW-ITEM-1\",\"Name\":\"again\"}");
    sync_ok();
    assert_int_equal(item_active("NEW-ITEM-1"), 1);
}

static long insert_order(const char *shopline_id, const char *state, const char *hold_reason)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "INSERT INTO orders (shop, shopline_order_id, name, state, hold_reason) "
             "VALUES ('%s', '%s', '#%s', '%s', %s%s%s) RETURNING id",
             IT_SHOP, shopline_id, shopline_id, state, hold_reason ? "'" : "",
             hold_reason ? hold_reason : "NULL", hold_reason ? "'" : "");
    return count(sql);
}

/*
 * Every sync re-checks SKU and routing holds, also one that adds nothing:
 * a post job that read the catalogue just before the sync that added its
 * item holds the order after that sync looked (issue: orders parked for
 * good). A ready order whose post job is running is marked to run again.
 */
static void test_every_sync_rechecks_held_orders(void **state)
{
    char sql[256];
    char *payload;
    long sku_hold, routing_hold, in_flight;

    sync_ok();
    sku_hold = insert_order("5001", "on_hold", "sku");
    routing_hold = insert_order("5002", "on_hold", "routing");
    insert_order("5003", "on_hold", "lines_changed");
    in_flight = insert_order("5004", "ready", NULL);
    insert_order("5005", "on_hold", NULL);
    insert_order("5007", "ready", NULL);
    it_sql_exec(db, "INSERT INTO orders (shop, shopline_order_id, name, state, hold_reason) "
                    "VALUES ('other.myshopline.com', '5006', '#5006', 'on_hold', 'sku')");
    snprintf(sql, sizeof(sql),
             "INSERT INTO jobs (shop, kind, dedupe_key, state, attempts, locked_by, lease_until) "
             "VALUES ('%s', 'post_sales_order', '%ld', 'running', 1, 'w', now() + "
             "interval '1 minute')",
             IT_SHOP, in_flight);
    it_sql_exec(db, sql);

    /* nothing new in the warehouse: the holds are re-checked all the same */
    sync_ok();
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND shop = '%s' "
             "AND state = 'pending' AND dedupe_key IN ('%ld', '%ld')",
             IT_SHOP, sku_hold, routing_hold);
    assert_int_equal(count(sql), 2);
    assert_int_equal(count("SELECT count(*) FROM jobs WHERE state = 'pending'"), 2);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM jobs WHERE dedupe_key = '%ld' AND state = 'running' "
             "AND rerun_requested",
             in_flight);
    assert_int_equal(count(sql), 1);
    snprintf(sql, sizeof(sql), "SELECT payload::text FROM jobs WHERE dedupe_key = '%ld'",
             sku_hold);
    payload = it_sql_text(db, sql);
    snprintf(sql, sizeof(sql), "{\"order_id\": %ld}", sku_hold);
    assert_string_equal(payload, sql);
    free(payload);
    snprintf(sql, sizeof(sql),
             "SELECT (payload->>'order_id')::bigint FROM jobs WHERE dedupe_key = '%ld'",
             routing_hold);
    assert_int_equal(count(sql), routing_hold);

    /* a second sync while they are still queued adds nothing */
    ito_sandbox_post("/_sandbox/items", "{\"ItemCode\":\"MUG-1\",\"Name\":\"Mug\"}");
    sync_ok();
    assert_int_equal(count("SELECT count(*) FROM jobs"), 3);
}

static void test_recheck_held_counts_new_jobs_only(void **state)
{
    struct errbuf err = {""};
    int n = -1;

    insert_order("6001", "on_hold", "sku");
    insert_order("6002", "on_hold", "routing");
    insert_order("6003", "sent", "sku");
    assert_int_equal(catalogue_recheck_held(conn, IT_SHOP, &n, &err), ST_OK);
    assert_int_equal(n, 2);
    /* a live job with the same key is not duplicated */
    assert_int_equal(catalogue_recheck_held(conn, IT_SHOP, &n, &err), ST_OK);
    assert_int_equal(n, 0);
    assert_int_equal(count("SELECT count(*) FROM jobs"), 2);
    /* once done, a later re-check may queue the order again */
    it_sql_exec(db, "UPDATE jobs SET state = 'done'");
    assert_int_equal(catalogue_recheck_held(conn, IT_SHOP, &n, &err), ST_OK);
    assert_int_equal(n, 2);
}

static void test_more_than_one_page(void **state)
{
    struct pvx_stats before, after;
    struct pvx_outcome oc;
    char body[128];
    int64_t t0 = now_ms_monotonic();

    for (int i = 0; i < 1100; i++) {
        snprintf(body, sizeof(body), "{\"ItemCode\":\"BULK-%04d\",\"Name\":\"Bulk %d\"}", i, i);
        ito_sandbox_post("/_sandbox/items", body);
    }
    /* a session first, so the reset's session loss does not count as a page */
    assert_int_equal(pvx_authenticate(pvx, curl, &oc), ST_OK);
    pvx_client_stats(pvx, &before);
    sync_ok();
    pvx_client_stats(pvx, &after);
    assert_int_equal(count("SELECT count(*) FROM items"), 1120);
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 1119);
    assert_int_equal(count("SELECT count(*) FROM items WHERE code = 'BULK-0000' OR "
                           "code = 'BULK-1099'"),
                     2);
    /* 1120 rows in pages of 1000: two GetData calls (one session reuse) */
    assert_int_equal(after.requests[PVX_OP_GET_DATA] - before.requests[PVX_OP_GET_DATA], 2);
    assert_true(metrics_get("shopvox_catalogue_items", "state=\"active\"") == 1119.0);
    fprintf(stderr, "paging test took %lld ms\n", (long long)(now_ms_monotonic() - t0));
}

/* The client calls the sandbox's http_500 fault (a soap:Server fault) permanent; a 429 is
 * the plain "warehouse cannot answer now" case. */
static void test_rate_limited_warehouse_is_retry_and_changes_nothing(void **state)
{
    struct errbuf err = {""};
    enum st st;

    sync_ok();
    ito_sandbox_post("/_sandbox/items", "{\"ItemCode\":\"LATE-1\"}");
    ito_sandbox_post("/_sandbox/faults", "{\"http_429\":3}");
    st = sync_once(&err);
    if (st != ST_RETRY)
        fail_msg("want retry, got %s: %s", st_name(st), err.msg);
    assert_non_null(strstr(err.msg, "Item types"));
    assert_non_null(strstr(err.msg, "refused the call for load"));
    assert_int_equal(item_active("LATE-1"), -1);
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 19);
    ito_sandbox_post("/_sandbox/reset", "{}");
    /* the client sends again once its own short cool-down is over */
    assert_true(it_wait_until(sync_succeeds, NULL, 5000));
}

struct racer {
    struct worker_ctx w;
    enum st st;
    struct errbuf err;
};

static void *race_sync(void *arg)
{
    struct racer *r = arg;
    struct job j;
    struct job_result res;

    memset(&j, 0, sizeof(j));
    memset(&res, 0, sizeof(res));
    snprintf(j.kind, sizeof(j.kind), "catalogue_sync");
    catalogue_sync_handler(&r->w, &j, &res);
    r->st = res.st;
    r->err = res.err;
    return NULL;
}

static void test_concurrent_syncs_serialise(void **state)
{
    struct racer r[2];
    pthread_t t[2];

    insert_order("7001", "on_hold", "sku");
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].w = w;
        r[i].w.db = store_conn_create(db);
        r[i].w.curl = curl_easy_init();
        pthread_create(&t[i], NULL, race_sync, &r[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        if (r[i].st != ST_OK)
            fail_msg("racer %d: %s: %s", i, st_name(r[i].st), r[i].err.msg);
        curl_easy_cleanup(r[i].w.curl);
        store_conn_destroy(r[i].w.db);
    }
    assert_int_equal(count("SELECT count(*) FROM items"), 20);
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 19);
    assert_int_equal(count("SELECT count(*) FROM jobs WHERE kind = 'post_sales_order'"), 1);
}

static void test_empty_answer_never_wipes_catalogue(void **state)
{
    struct sandbox_pvx_opts o;
    struct errbuf err = {""};
    struct sandbox_pvx *empty;
    struct pvx_client *saved = w.pvx;
    char *cursor;

    sync_ok();
    memset(&o, 0, sizeof(o));
    o.no_seed = true;
    empty = sandbox_pvx_start(&o, &err);
    assert_non_null(empty);
    w.pvx = client_for(sandbox_pvx_port(empty));

    assert_int_equal(sync_once(&err), ST_FAIL);
    assert_non_null(strstr(err.msg, "refusing to deactivate all 19 active items"));
    assert_int_equal(count("SELECT count(*) FROM items WHERE active"), 19);
    cursor = it_sql_text(db, "SELECT value FROM cursors");
    assert_non_null(strstr(cursor, "Z 20"));
    free(cursor);

    /* a shop with nothing yet may well start empty */
    cfg.shop_domain = empty_shop;
    err.msg[0] = '\0';
    assert_int_equal(sync_once(&err), ST_OK);
    cfg.shop_domain = shop;

    pvx_client_destroy(w.pvx);
    w.pvx = saved;
    sandbox_pvx_stop(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_seed_catalogue_lands, fresh),
        cmocka_unit_test_setup(test_added_item_appears_and_gone_item_turns_inactive, fresh),
        cmocka_unit_test_setup(test_every_sync_rechecks_held_orders, fresh),
        cmocka_unit_test_setup(test_recheck_held_counts_new_jobs_only, fresh),
        cmocka_unit_test_setup(test_more_than_one_page, fresh),
        cmocka_unit_test_setup(test_rate_limited_warehouse_is_retry_and_changes_nothing, fresh),
        cmocka_unit_test_setup(test_concurrent_syncs_serialise, fresh),
        cmocka_unit_test_setup(test_empty_answer_never_wipes_catalogue, fresh),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
