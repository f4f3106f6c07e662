/*
 * it_drift.c - inventory drift reconciliation end to end: the real binary,
 * PostgreSQL, the fake Peoplevox and the fake store (it_loop), both
 * stores' own state checked.
 *
 *  - after the initial sync a reconciliation finds nothing: every level
 *    checked, none drifted, no exception; the SKUs on one side only are
 *    listed in the report;
 *  - five levels changed in the store behind shopvox's back (its Admin
 *    API): `shopvox reconcile inventory --wait` reports exactly those five
 *    with their variance, opens one inventory_drift exception (ecommerce),
 *    the drift gauges show it, and the store is set back to the wanted
 *    levels by exactly five set_inventory pushes;
 *  - the next reconciliation is clean and resolves the exception;
 *  - `shopvox report inventory` prints the latest report (table and JSON);
 *    a bad --wait is a usage error.
 */
#include <setjmp.h>
#include <stdarg.h>
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
#include "it_cli_run.h"
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_sandbox.h"
#include "it_stock.h"

#define N_SKUS 100
#define WAIT_MS 90000

static char loc[2][32];
static char map_env[160];
static const char *const sites[2] = {"PrimarySite", "LONDON"};

static long on_hand(int i, int site)
{
    return site == 0 ? i % 17 + 1 : i % 5 + 2;
}

static void wait_sql(const char *sql, long want)
{
    long got = it_wait_sql_long(ito.db, sql, want, WAIT_MS);

    if (got != want) {
        it_proc_dump_log(&ito.proc);
        fail_msg("%s: %ld, want %ld", sql, got, want);
    }
}

/* Every level pushed as wanted and no push waiting. */
static void wait_settled(void)
{
    wait_sql("SELECT count(*) FROM stock WHERE item_code LIKE 'DRIFT-%' AND desired = pushed "
             "AND pushed_location IS NOT NULL", 2 * N_SKUS);
    wait_sql("SELECT count(*) FROM jobs WHERE kind = 'set_inventory' "
             "AND state IN ('pending', 'running')", 0);
}

/* `shopvox ARGS... --json`: its exit code, and stdout parsed into *out (owned). */
static int cli_json(struct json_object **out, const char *const *args)
{
    static const char *const env[] = {"SHOPVOX_LOG_LEVEL=warn", NULL};
    const char *argv[8];
    struct it_cli_result r;
    size_t n = 0;
    int rc;

    while (args[n] != NULL && n < 6) {
        argv[n] = args[n];
        n++;
    }
    argv[n++] = "--json";
    argv[n] = NULL;
    it_cli_run_env(&r, ito.db, env, argv);
    rc = r.exit_code;
    *out = it_cli_json(&r);
    if (rc != 0)
        fprintf(stderr, "shopvox %s %s: exit %d\n%s%s", args[0], args[1], rc, r.out, r.err);
    it_cli_result_free(&r);
    return rc;
}

/* A reconciliation through the CLI, waited for: its report (owned). */
static struct json_object *reconcile(void)
{
    static const char *const args[] = {"reconcile", "inventory", "--wait", "60", NULL};
    struct json_object *out = NULL, *report = NULL;

    if (cli_json(&out, args) != 0) {
        it_proc_dump_log(&ito.proc);
        fail_msg("shopvox reconcile inventory failed");
    }
    assert_true(json_object_object_get_ex(out, "report", &report));
    json_object_get(report);
    json_object_put(out);
    return report;
}

static bool side_lists(struct json_object *report, const char *side, const char *code)
{
    struct json_object *s = NULL, *first = NULL;

    if (!json_object_object_get_ex(report, side, &s) ||
        !json_object_object_get_ex(s, "first", &first))
        return false;
    for (size_t i = 0; i < json_object_array_length(first); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(first, i)), code) == 0)
            return true;
    return false;
}

static long open_drift_exceptions(void)
{
    return it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE type = 'inventory_drift' "
                               "AND team = 'ecommerce' AND state = 'open'");
}

static void test_clean_store_no_drift(void **state)
{
    struct json_object *report;

    (void)state;
    wait_settled();
    report = reconcile();
    assert_int_equal(it_json_long(report, "drifted"), 0);
    assert_int_equal(it_json_long(report, "corrected"), 0);
    assert_true(it_json_long(report, "checked") >= 2 * N_SKUS);
    assert_false(json_object_get_boolean(json_object_object_get(report, "over_threshold")));
    assert_true(side_lists(report, "peoplevox_only", "0-PVX-ONLY"));
    assert_true(side_lists(report, "shopline_only", "0-SL-ONLY"));
    assert_int_equal(open_drift_exceptions(), 0);
    json_object_put(report);
}

/* The five levels changed behind shopvox's back: SKU index, location, units added. */
static const struct { int i, l; long add; } drifts[] = {
    {3, 0, 10}, {10, 0, 20}, {20, 1, -2}, {30, 1, 7}, {40, 0, 4},
};

static void test_drift_detected_reported_corrected(void **state)
{
    struct json_object *report, *top = NULL;
    long sets, variance = 0;

    (void)state;
    wait_settled();
    for (size_t k = 0; k < ARRAY_LEN(drifts); k++) {
        char sku[16], *item;

        snprintf(sku, sizeof(sku), "DRIFT-%03d", drifts[k].i);
        item = its_inventory_item(sku);
        its_store_set_level(item, loc[drifts[k].l], on_hand(drifts[k].i, drifts[k].l) +
                                                        drifts[k].add);
        variance += labs(drifts[k].add);
        free(item);
    }
    sets = its_store_sets();
    report = reconcile();
    assert_int_equal(it_json_long(report, "drifted"), ARRAY_LEN(drifts));
    assert_int_equal(it_json_long(report, "corrected"), ARRAY_LEN(drifts));
    assert_int_equal(it_json_long(report, "variance_units"), variance);
    assert_true(json_object_get_boolean(json_object_object_get(report, "over_threshold")));
    assert_true(json_object_object_get_ex(report, "top_items", &top));
    assert_int_equal(json_object_array_length(top), ARRAY_LEN(drifts));
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_array_get_idx(top, 0), "sku")), "DRIFT-010");
    assert_int_equal(it_json_long(json_object_array_get_idx(top, 0), "shown"),
                     on_hand(10, 0) + 20);
    assert_int_equal(it_json_long(json_object_array_get_idx(top, 0), "wanted"), on_hand(10, 0));
    assert_int_equal(open_drift_exceptions(), 1);
    json_object_put(report);
    /* set back through the sync's set_inventory jobs, once each */
    for (size_t k = 0; k < ARRAY_LEN(drifts); k++) {
        char sku[16], *item;

        snprintf(sku, sizeof(sku), "DRIFT-%03d", drifts[k].i);
        item = its_inventory_item(sku);
        for (int t = 0; t < WAIT_MS / 100 &&
                        its_store_level(item, loc[drifts[k].l]) != on_hand(drifts[k].i,
                                                                            drifts[k].l); t++)
            usleep(100 * 1000);
        assert_int_equal(its_store_level(item, loc[drifts[k].l]),
                         on_hand(drifts[k].i, drifts[k].l));
        free(item);
    }
    wait_settled();
    assert_int_equal(its_store_sets() - sets, ARRAY_LEN(drifts));
    assert_int_equal(it_metric(ito.proc.ops_port, "shopvox_inventory_drift_items"),
                     ARRAY_LEN(drifts));
    assert_int_equal(it_metric(ito.proc.ops_port, "shopvox_inventory_drift_variance_units"),
                     variance);
}

static void test_clean_report_resolves(void **state)
{
    struct json_object *report;

    (void)state;
    wait_settled();
    report = reconcile();
    assert_int_equal(it_json_long(report, "drifted"), 0);
    assert_int_equal(open_drift_exceptions(), 0);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE type = "
                                         "'inventory_drift' AND state = 'resolved' "
                                         "AND resolved_by = 'shopvox'"),
                     1);
    json_object_put(report);
}

static void test_report_command(void **state)
{
    static const char *const json_args[] = {"report", "inventory", NULL};
    struct it_cli_result r;
    struct json_object *report = NULL;
    long long latest = it_sql_long(ito.db, "SELECT max(id) FROM inventory_drift_reports");

    (void)state;
    assert_int_equal(cli_json(&report, json_args), 0);
    assert_int_equal(it_json_long(report, "id"), latest);
    json_object_put(report);
    it_cli_run(&r, ito.db, "report", "inventory", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "Levels checked:"));
    assert_non_null(strstr(r.out, "0-PVX-ONLY"));
    it_cli_result_free(&r);
    it_cli_run(&r, ito.db, "reconcile", "inventory", "--wait", "0", NULL);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "invalid --wait '0'"));
    it_cli_result_free(&r);
}

/* 100 products (one variant each) and their stock at both sites; a SKU on each side only. */
static void seed(void)
{
    struct buf p, s;
    char *body;

    buf_init(&p, 0);
    buf_init(&s, 0);
    buf_appendf(&p, "{\"title\":\"Store only\",\"variants\":[{\"sku\":\"0-SL-ONLY\"}]}");
    buf_appendf(&s, "{\"ItemCode\":\"0-PVX-ONLY\",\"site\":\"PrimarySite\",\"on_hand\":3}");
    for (int i = 0; i < N_SKUS; i++) {
        buf_appendf(&p, ",{\"title\":\"Item %d\",\"variants\":[{\"sku\":\"DRIFT-%03d\"}]}", i, i);
        for (int k = 0; k < 2; k++)
            buf_appendf(&s, ",{\"ItemCode\":\"DRIFT-%03d\",\"site\":\"%s\",\"on_hand\":%ld}", i,
                        sites[k], on_hand(i, k));
    }
    body = xasprintf("{\"products\":[%s]}", buf_cstr(&p));
    itl_store_control("/_sandbox/products", body);
    free(body);
    its_pvx_stock(buf_cstr(&s));
    buf_cleanup(&p);
    buf_cleanup(&s);
}

static int group_setup(void **state)
{
    const char *env[] = {ITL_ENV, map_env, "SHOPVOX_INVENTORY_SYNC_S=1",
                         "SHOPLINE_RATE_PER_SEC=100", "SHOPLINE_BURST=200",
                         "PEOPLEVOX_RATE=1000/1s", "SHOPVOX_METRICS_REFRESH_S=1", NULL};

    (void)state;
    it_require_db();
    if (itl_start_world("drift", 100, 200) != 0)
        return -1;
    for (size_t i = 0; i < 2; i++)
        itl_location_id(i, loc[i], sizeof(loc[i]));
    snprintf(map_env, sizeof(map_env), "SHOPVOX_LOCATION_MAP=PrimarySite=%s;LONDON=%s", loc[0],
             loc[1]);
    seed();
    return ito_shopvox_start(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_store_no_drift),
        cmocka_unit_test(test_drift_detected_reported_corrected),
        cmocka_unit_test(test_clean_report_resolves),
        cmocka_unit_test(test_report_command),
    };
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
