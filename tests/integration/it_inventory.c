/*
 * it_inventory.c - Peoplevox stock to SHOPLINE inventory levels end to end:
 * the real binary, PostgreSQL, the fake Peoplevox and the fake store
 * (it_loop), the stores' own state checked.
 *
 *  - initial sync: 5,000 SKUs x 2 sites, every level in the fake store
 *    equal to what the warehouse holds (the time and the calls are printed;
 *    the store's bucket and SHOPLINE_RATE_PER_SEC are raised to 1000/s so
 *    10,000 sets take seconds, not the 42 minutes of the real 4/s);
 *  - a Peoplevox item whose code a Shopline SKU is mapped to (sku_map, as
 *    orders are sent): its stock sets that variant's level;
 *  - 100 items changed in the warehouse and hinted (AvailabilityChanges on
 *    the nudge URL): exactly 100 level sets reach the store;
 *  - a flash sale: the last 5 units sold in the store while Peoplevox
 *    refuses the Sales Orders: the store shows 0 within the interval
 *    although Peoplevox still says 5, and never more once the orders
 *    reach the warehouse;
 *  - the store answering 429s and Peoplevox timing out while one item
 *    changes six times: the store's level only ever moves forward and
 *    ends at the newest value;
 *  - a site mapped to a location the items are not connected to: one
 *    inventory_unmapped exception per item x location, no retry loop;
 *  - three replicas: 50 changes, 50 sets.
 */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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

#define N_SKUS 5000
#define TOKEN "inventory-nudge-token-0123456789abcdef"
#define STORE_RATE "1000"  /* the fake store's bucket and shopvox's, a second */
#define STORE_BURST "2000"
#define ALIAS_SKU "SL-ALIAS-1"   /* a Shopline SKU sku_map sends as ALIAS_CODE */
#define ALIAS_CODE "PVX-ALIAS-1"
#define WAIT_MS 90000
#define INITIAL_WAIT_MS 300000 /* 10,000 sets under ASan on a loaded machine: minutes */

static char loc[3][32];      /* the store's locations: connected, connected, not */
static char map_env[160];
static int64_t started_ms;

/* What the warehouse holds of INV-i at a site (the SQL below says the same). */
static long on_hand(int i, int site)
{
    return site == 0 ? i % 23 : (i * 7) % 11;
}

#define ON_HAND_SQL(sku, site)                                                                 \
    "CASE WHEN " site " = 'PrimarySite' THEN substr(" sku ", 5)::int %% 23 "                   \
    "ELSE (substr(" sku ", 5)::int * 7) %% 11 END"

static const char *const sites[2] = {"PrimarySite", "LONDON"};

static void set_on_hand(const char *code, const char *site, long qty)
{
    char e[160];

    snprintf(e, sizeof(e), "{\"ItemCode\":\"%s\",\"site\":\"%s\",\"on_hand\":%ld}", code, site,
             qty);
    its_pvx_stock(e);
}

/* Peoplevox's AvailabilityChanges callback for code, through replica port. */
static void hint(int port, const char *code)
{
    char path[200];
    struct it_resp r;

    snprintf(path, sizeof(path), "/webhooks/peoplevox/" TOKEN "?ItemCode=%s", code);
    assert_int_equal(it_http(port, "GET", path, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
}

/* The store's level of an inventory item at location l, or -1 (any thread: no cmocka). */
static long store_level(const char *inventory_item, int l)
{
    return its_store_level(inventory_item, loc[l]);
}

/*
 * How many INV- levels at location l the store holds as the warehouse
 * does, compared in SQL: the store's levels as JSON beside variants.
 */
static long levels_matching(int l)
{
    struct it_resp r;
    long n;
    char path[128];

    snprintf(path, sizeof(path), "/inventory_levels.json?location_ids=%s", loc[l]);
    itl_store_api("GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    n = it_sql_longf(ito.db,
                     "SELECT count(*) FROM json_to_recordset(('%s'::json)->'inventory_levels') "
                     "AS f(inventory_item_id text, available int) JOIN variants v "
                     "USING (inventory_item_id) WHERE v.sku LIKE 'INV-%%' AND f.available = "
                     ON_HAND_SQL("v.sku", "'%s'"),
                     r.body, sites[l]);
    it_resp_free(&r);
    return n;
}

static void wait_sql(const char *sql, long want, int timeout_ms)
{
    long got = it_wait_sql_long(ito.db, sql, want, timeout_ms);

    if (got != want) {
        it_proc_dump_log(&ito.proc);
        fail_msg("%s: %ld, want %ld", sql, got, want);
    }
}

/* Levels of INV- items pushed as wanted (desired = pushed at its location). */
#define PUSHED_SQL(where)                                                                      \
    "SELECT count(*) FROM stock WHERE item_code LIKE 'INV-%' AND desired = pushed "            \
    "AND pushed_location IS NOT NULL" where

static void test_initial_sync(void **state)
{
    (void)state;
    wait_sql(PUSHED_SQL(""), 2 * N_SKUS, INITIAL_WAIT_MS);
    printf("# initial sync of %d SKUs x 2 sites: %.1f s from start, %ld Item inventory summary "
           "calls, %ld level sets\n",
           N_SKUS, (double)(now_ms_monotonic() - started_ms) / 1000.0,
           ito_sandbox_calls("GetReportData", "Item inventory summary"), its_store_sets());
    assert_int_equal(levels_matching(0), N_SKUS);
    assert_int_equal(levels_matching(1), N_SKUS);
}

static void test_change_100_exactly_100_pushes(void **state)
{
    struct buf b;
    long before;

    (void)state;
    sleep(2); /* let the initial pushes settle */
    before = its_store_sets();
    buf_init(&b, 0);
    for (int i = 0; i < 100; i++)
        buf_appendf(&b, "%s{\"ItemCode\":\"INV-%04d\",\"site\":\"PrimarySite\",\"on_hand\":%ld}",
                    i ? "," : "", i, on_hand(i, 0) + 100);
    its_pvx_stock(buf_cstr(&b));
    buf_cleanup(&b);
    { /* a value no search clause can name is refused, not queued */
        struct it_resp r;

        assert_int_equal(it_http(ito.proc.port, "GET", "/webhooks/peoplevox/" TOKEN
                                 "?ItemCode=a%22b", NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 400);
        it_resp_free(&r);
    }
    for (int i = 0; i < 100; i++) {
        char code[16];

        snprintf(code, sizeof(code), "INV-%04d", i);
        hint(ito.proc.port, code);
    }
    wait_sql(PUSHED_SQL(" AND site = 'PrimarySite' AND pushed >= 100"), 100, WAIT_MS);
    sleep(3); /* three more change runs: nothing more may be pushed */
    assert_int_equal(its_store_sets() - before, 100);
    for (int i = 0; i < 100; i += 33) {
        char code[16], *item;

        snprintf(code, sizeof(code), "INV-%04d", i);
        item = its_inventory_item(code);
        assert_int_equal(store_level(item, 0), on_hand(i, 0) + 100);
        free(item);
    }
}

/* Samples the store's level of one item until stopped; the most it saw. */
struct sampler {
    pthread_t tid;
    const char *item;
    int location;
    atomic_bool stop;
    long max, last, backwards;  /* backwards: times it moved down (monotone tests) */
    long samples;
};

static void *sampler_run(void *arg)
{
    struct sampler *s = arg;

    while (!atomic_load(&s->stop)) {
        long v = store_level(s->item, s->location);

        if (v >= 0) {
            if (s->samples > 0 && v < s->last)
                s->backwards++;
            if (v > s->max)
                s->max = v;
            s->last = v;
            s->samples++;
        }
        usleep(10 * 1000);
    }
    return NULL;
}

static void sampler_start(struct sampler *s, const char *item, int location)
{
    memset(s, 0, sizeof(*s));
    s->item = item;
    s->location = location;
    s->max = -1;
    atomic_init(&s->stop, false);
    pthread_create(&s->tid, NULL, sampler_run, s);
}

static void sampler_stop(struct sampler *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->tid, NULL);
}

static bool level_is(void *arg)
{
    const long *want = arg;

    return store_level((const char *)(uintptr_t)want[1], (int)want[2]) == want[0];
}

static void wait_level(const char *item, int l, long want)
{
    long arg[3] = {want, (long)(uintptr_t)item, l};

    if (!it_wait_until(level_is, arg, WAIT_MS)) {
        it_proc_dump_log(&ito.proc);
        fail_msg("the store's level of %s at %d is %ld, want %ld", item, l, store_level(item, l),
                 want);
    }
}

/*
 * Orders send SL-ALIAS-1 as PVX-ALIAS-1 (sku_map), so Peoplevox's stock of
 * PVX-ALIAS-1 is that variant's: once the alias exists, the next change
 * run pushes it there (before, PVX-ALIAS-1 had no variant: unmatched).
 */
static void test_sku_alias_sets_the_mapped_variant(void **state)
{
    char *item = its_inventory_item(ALIAS_SKU);

    (void)state;
    /* read (its code on the Peoplevox side only), never pushed: no variant carries the code */
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM stock WHERE item_code = '"
                                         ALIAS_CODE "' AND available = 7 AND pushed IS NULL"),
                     1);
    assert_true(store_level(item, 0) != 7);
    it_sql_exec(ito.db, "INSERT INTO sku_map (shop, shopline_sku, item_code, created_by) "
                        "SELECT shop, '" ALIAS_SKU "', '" ALIAS_CODE "', 'it' FROM variants "
                        "WHERE sku = '" ALIAS_SKU "'");
    wait_level(item, 0, 7);
    assert_int_equal(it_sql_long(ito.db, "SELECT pushed FROM stock WHERE item_code = '"
                                         ALIAS_CODE "' AND site = 'PrimarySite'"),
                     7);
    free(item);
}

static void test_flash_sale_never_oversells(void **state)
{
    char *item = its_inventory_item("FLASH-1");
    struct sampler s;
    char id[40];

    (void)state;
    wait_level(item, 1, 5); /* the store orders route to LONDON */
    /* Peoplevox takes no Sales Order: the paid orders stay in flight */
    ito_sandbox_post("/_sandbox/faults", "{\"refuse_save\":100000,\"refuse_detail\":\"Server "
                                         "too busy\"}");
    for (int k = 0; k < 5; k++) {
        char name[16];

        snprintf(name, sizeof(name), "#F%d", k);
        itl_order_paid(ito.proc.port, name, "[{\"sku\":\"FLASH-1\",\"quantity\":1}]", id,
                       sizeof(id));
    }
    wait_level(item, 1, 0); /* Peoplevox still says 5 */
    assert_int_equal(it_sql_longf(ito.db, "SELECT available FROM stock WHERE item_code = "
                                          "'FLASH-1' AND site = 'LONDON'"), 5);
    sampler_start(&s, item, 1);
    ito_sandbox_post("/_sandbox/faults", "{\"refuse_save\":0}");
    wait_sql("SELECT count(*) FROM orders WHERE name LIKE '#F%' AND state = 'sent'", 5, WAIT_MS);
    /*
     * Received now, no longer in flight, but the stored figure (5) was read
     * before: it must stay reserved until Peoplevox is read again
     */
    sleep(2);
    hint(ito.proc.port, "FLASH-1"); /* Peoplevox's AvailabilityChanges: 0 available */
    wait_sql("SELECT count(*) FROM stock WHERE item_code = 'FLASH-1' AND site = 'LONDON' "
             "AND available = 0", 1, WAIT_MS);
    sleep(2);
    sampler_stop(&s);
    assert_true(s.samples > 10);
    assert_int_equal(s.max, 0);
    assert_int_equal(store_level(item, 1), 0);
    free(item);
}

static void test_429_and_timeouts_never_push_stale(void **state)
{
    char *item = its_inventory_item("INV-0200");
    struct sampler s;

    (void)state;
    sampler_start(&s, item, 0);
    itl_store_control("/_sandbox/faults", "{\"http_429\":6}");
    ito_sandbox_post("/_sandbox/faults", "{\"timeout\":1}");
    for (long v = 1000; v <= 1005; v++) {
        set_on_hand("INV-0200", "PrimarySite", v);
        hint(ito.proc.port, "INV-0200");
        usleep(300 * 1000);
    }
    wait_level(item, 0, 1005);
    wait_sql("SELECT count(*) FROM stock WHERE item_code = 'INV-0200' AND site = 'PrimarySite' "
             "AND pushed = 1005",
             1, WAIT_MS);
    sleep(2);
    sampler_stop(&s);
    assert_int_equal(s.backwards, 0);
    assert_int_equal(s.last, 1005);
    assert_int_equal(itl_store_fault("http_429"), 0);
    assert_int_equal(ito_sandbox_fault("timeout"), 0);
    free(item);
}

static void test_unconnected_location_one_exception(void **state)
{
    const char *refused_sql = "SELECT count(*) FROM stock s WHERE s.site = 'MANCHESTER' AND "
                              "s.refused IS NOT NULL";
    long want = it_sql_long(ito.db, "SELECT count(*) FROM stock s WHERE s.site = 'MANCHESTER' "
                                    "AND (SELECT count(*) FROM variants v "
                                    "WHERE v.sku = s.item_code) = 1");

    (void)state;
    assert_true(want > 0);
    wait_sql(refused_sql, want, WAIT_MS);
    sleep(3);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE type = "
                                         "'inventory_unmapped' AND team = 'ecommerce' "
                                         "AND state = 'open' AND count = 1"),
                     want);
    assert_int_equal(it_metric(ito.proc.ops_port,
                               "shopvox_inventory_pushes_total{outcome=\"refused\"}"),
                     want);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE kind = "
                                         "'set_inventory' AND state <> 'done'"),
                     0);
    /* the gauges: nothing waiting, the budget this catalogue uses beside the bucket's */
    assert_true(it_metric(ito.proc.ops_port, "shopvox_inventory_push_backlog") == 0);
    assert_true(it_metric(ito.proc.ops_port,
                          "shopvox_inventory_budget_calls_per_hour{api=\"peoplevox\"}") >= 2);
    assert_true(it_metric(ito.proc.ops_port,
                          "shopvox_inventory_budget_limit_calls_per_hour{api=\"peoplevox\"}") >
                it_metric(ito.proc.ops_port,
                          "shopvox_inventory_budget_calls_per_hour{api=\"peoplevox\"}"));
    assert_true(it_metric(ito.proc.ops_port,
                          "shopvox_inventory_items_read_total{kind=\"full\"}") >= 2 * N_SKUS);
    assert_true(it_metric(ito.proc.ops_port,
                          "shopvox_inventory_last_sync_timestamp_seconds{kind=\"changes\"}") >
                0);
}

static void test_three_replicas_push_once(void **state)
{
    const char *env[] = {ITL_ENV, map_env, "SHOPVOX_INVENTORY_SYNC_S=1",
                         "PEOPLEVOX_WEBHOOK_TOKEN=" TOKEN, "SHOPLINE_RATE_PER_SEC=" STORE_RATE,
                         "SHOPLINE_BURST=" STORE_BURST, "PEOPLEVOX_RATE=1000/1s", NULL};
    struct it_proc more[2];
    struct buf b;
    long before;

    (void)state;
    for (int k = 0; k < 2; k++)
        assert_int_equal(ito_proc_start(&more[k], env), 0);
    sleep(2);
    before = its_store_sets();
    buf_init(&b, 0);
    for (int i = 300; i < 350; i++)
        buf_appendf(&b, "%s{\"ItemCode\":\"INV-%04d\",\"site\":\"LONDON\",\"on_hand\":%ld}",
                    i > 300 ? "," : "", i, on_hand(i, 1) + 500);
    its_pvx_stock(buf_cstr(&b));
    buf_cleanup(&b);
    for (int i = 300; i < 350; i++) {
        char code[16];
        int port = i % 3 == 0 ? ito.proc.port : more[i % 3 - 1].port;

        snprintf(code, sizeof(code), "INV-%04d", i);
        hint(port, code);
    }
    wait_sql(PUSHED_SQL(" AND site = 'LONDON' AND pushed >= 500"), 50, WAIT_MS);
    sleep(3);
    assert_int_equal(its_store_sets() - before, 50);
    for (int k = 0; k < 2; k++)
        assert_int_equal(it_proc_stop(&more[k], SIGTERM, 20000), 0);
}

/*
 * N_SKUS products (one variant each) in the store and their stock, 250 a
 * call; the flash item; the aliased item (its stock under the item code).
 */
static void seed(void)
{
    struct buf p, s;

    buf_init(&p, 0);
    buf_init(&s, 0);
    for (int i = 0; i < N_SKUS; i++) {
        buf_appendf(&p, "%s{\"title\":\"Item %d\",\"variants\":[{\"sku\":\"INV-%04d\"}]}",
                    i % 250 ? "," : "", i, i);
        for (int k = 0; k < 2; k++)
            buf_appendf(&s, "%s{\"ItemCode\":\"INV-%04d\",\"site\":\"%s\",\"on_hand\":%ld}",
                        i % 250 + k ? "," : "", i, sites[k], on_hand(i, k));
        if (i % 250 == 249) {
            char *body = xasprintf("{\"products\":[%s]}", buf_cstr(&p));

            itl_store_control("/_sandbox/products", body);
            its_pvx_stock(buf_cstr(&s));
            free(body);
            buf_reset(&p);
            buf_reset(&s);
        }
    }
    itl_store_control("/_sandbox/products",
                      "{\"products\":[{\"title\":\"Flash\",\"variants\":[{\"sku\":\"FLASH-1\"}]},"
                      "{\"title\":\"Alias\",\"variants\":[{\"sku\":\"" ALIAS_SKU "\"}]}]}");
    its_pvx_stock("{\"ItemCode\":\"FLASH-1\",\"site\":\"LONDON\",\"on_hand\":5},"
                  "{\"ItemCode\":\"" ALIAS_CODE "\",\"site\":\"PrimarySite\",\"on_hand\":7}");
    buf_cleanup(&p);
    buf_cleanup(&s);
}

static int group_setup(void **state)
{
    const char *env[] = {ITL_ENV, map_env, "SHOPVOX_INVENTORY_SYNC_S=1",
                         "PEOPLEVOX_WEBHOOK_TOKEN=" TOKEN, "SHOPLINE_RATE_PER_SEC=" STORE_RATE,
                         "SHOPLINE_BURST=" STORE_BURST, "PEOPLEVOX_RATE=1000/1s",
                         "SHOPVOX_METRICS_REFRESH_S=1", "SHOPVOX_WORKERS=4", NULL};

    (void)state;
    it_require_db();
    if (itl_start_world("inventory", atol(STORE_RATE), atol(STORE_BURST)) != 0)
        return -1;
    for (size_t i = 0; i < 3; i++)
        itl_location_id(i, loc[i], sizeof(loc[i]));
    snprintf(map_env, sizeof(map_env),
             "SHOPVOX_LOCATION_MAP=PrimarySite=%s;LONDON=%s;MANCHESTER=%s", loc[0], loc[1],
             loc[2]);
    seed();
    started_ms = now_ms_monotonic();
    return ito_shopvox_start(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_sync),
        cmocka_unit_test(test_sku_alias_sets_the_mapped_variant),
        cmocka_unit_test(test_change_100_exactly_100_pushes),
        cmocka_unit_test(test_flash_sale_never_oversells),
        cmocka_unit_test(test_429_and_timeouts_never_push_stale),
        cmocka_unit_test(test_unconnected_location_one_exception),
        cmocka_unit_test(test_three_replicas_push_once),
    };
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
