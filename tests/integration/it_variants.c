/*
 * it_variants.c - the Shopline catalogue mirror end to end: the real
 * binary, PostgreSQL and the fake SHOPLINE store (it_loop).
 *
 *  - the start-up sync reads the seeded catalogue; 600 more products are
 *    read over three pages after a products/update webhook (stored, and
 *    only a hint: the sync re-reads the store);
 *  - a SKU on two variants opens one duplicate_sku exception (ecommerce,
 *    naming both variants), shows in shopvox_variants_duplicate_skus, and
 *    resolves when one variant gets another SKU (an inventory_items/update
 *    webhook this time); a product deleted in the store leaves the table
 *    at the next complete read;
 *  - SHOPVOX_LOCATION_MAP naming a location the store does not have stops
 *    the start (exit 2); one it has lets it start.
 */
#include <setjmp.h>
#include <signal.h>
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

#define SEEDED_VARIANTS 19
#define MORE_PRODUCTS 600

/* SKU's rows in the variants table. */
static long variants_with_sku(const char *sku)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM variants WHERE sku = '%s'", sku);
}

static void wait_variants(long want)
{
    long got = it_wait_sql_long(ito.db, "SELECT count(*) FROM variants", want, ITO_WAIT_MS);

    if (got != want) {
        it_proc_dump_log(&ito.proc);
        fail_msg("variants: %ld, want %ld", got, want);
    }
}

/* A signed webhook of topic with a product-ish body, as the store would send it. */
static void hint(const char *topic)
{
    ito_webhook(topic, "{\"id\":\"51000000000000000000000001\",\"title\":\"changed\"}");
}

/* Adds products (a JSON array text) to the store; the first product's first variant id. */
static void add_products(const char *products_json, char *variant_id, size_t cap)
{
    char *body = xasprintf("{\"products\":%s}", products_json);
    struct it_resp r;
    struct json_object *root, *products = NULL, *variants = NULL;

    assert_int_equal(it_http(itl_port(), "POST", "/_sandbox/products", body, strlen(body), NULL,
                             &r),
                     0);
    assert_int_equal(r.status, 200);
    root = json_tokener_parse(r.body);
    assert_true(json_object_object_get_ex(root, "products", &products));
    assert_true(json_object_object_get_ex(json_object_array_get_idx(products, 0), "variants",
                                          &variants));
    snprintf(variant_id, cap, "%s", it_json_str(json_object_array_get_idx(variants, 0), "id"));
    json_object_put(root);
    it_resp_free(&r);
    free(body);
}

/* The open (or resolved) duplicate_sku exceptions about sku. */
static long dup_exceptions(const char *sku, const char *state)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM exceptions WHERE type = 'duplicate_sku' "
                                "AND subject = '%s' AND state = '%s' AND team = 'ecommerce'",
                        sku, state);
}

static void wait_sql(const char *sql, long want)
{
    if (it_wait_sql_long(ito.db, sql, want, ITO_WAIT_MS) != want) {
        it_proc_dump_log(&ito.proc);
        fail_msg("%s: not %ld", sql, want);
    }
}

static void wait_metric(const char *series, double want)
{
    for (int i = 0; i < 100 && it_metric(ito.proc.ops_port, series) != want; i++)
        usleep(100 * 1000);
    assert_true(it_metric(ito.proc.ops_port, series) == want);
}

static void test_start_sync_and_three_pages(void **state)
{
    struct buf b;
    char first[32];
    long webhooks;

    (void)state;
    wait_variants(SEEDED_VARIANTS);
    assert_int_equal(variants_with_sku("TEE-BLK-S"), 1);
    buf_init(&b, 0);
    buf_append_str(&b, "[");
    for (int i = 0; i < MORE_PRODUCTS; i++)
        buf_appendf(&b, "%s{\"title\":\"Page item %d\",\"variants\":[{\"sku\":\"PG-%03d\"}]}",
                    i ? "," : "", i, i);
    buf_append_str(&b, "]");
    add_products(buf_cstr(&b), first, sizeof(first));
    buf_cleanup(&b);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM variants"), SEEDED_VARIANTS);

    hint("products/update");
    wait_variants(SEEDED_VARIANTS + MORE_PRODUCTS);
    assert_true(it_proc_log_has(&ito.proc, "pages=3"));
    assert_int_equal(variants_with_sku("PG-599"), 1);
    webhooks = it_sql_long(ito.db, "SELECT count(*) FROM webhook_events WHERE topic = "
                                   "'products/update' AND outcome = 'stored'");
    assert_int_equal(webhooks, 1);
}

static void test_duplicate_sku_opens_and_resolves(void **state)
{
    char dup_variant[32], *detail, *seeded;

    (void)state;
    wait_variants(SEEDED_VARIANTS + MORE_PRODUCTS);
    add_products("[{\"title\":\"Black tee again\",\"variants\":[{\"sku\":\"TEE-BLK-S\"},"
                 "{\"sku\":\"\"}]}]",
                 dup_variant, sizeof(dup_variant));
    hint("products/update");
    wait_sql("SELECT count(*) FROM exceptions WHERE type = 'duplicate_sku' AND state = 'open'", 1);
    assert_int_equal(dup_exceptions("TEE-BLK-S", "open"), 1);
    assert_int_equal(variants_with_sku("TEE-BLK-S"), 2);    /* both kept, neither chosen */
    seeded = it_sql_text(ito.db, "SELECT min(variant_id) FROM variants WHERE sku = 'TEE-BLK-S'");
    detail = it_sql_text(ito.db, "SELECT detail FROM exceptions WHERE type = 'duplicate_sku'");
    assert_non_null(strstr(detail, seeded));
    assert_non_null(strstr(detail, dup_variant));
    free(detail);
    free(seeded);
    /* the variant without a SKU is not stored */
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM variants"),
                     SEEDED_VARIANTS + MORE_PRODUCTS + 1);
    wait_metric("shopvox_variants_duplicate_skus", 1);
    wait_metric("shopvox_variants", SEEDED_VARIANTS + MORE_PRODUCTS + 1);

    {
        char path[96];

        snprintf(path, sizeof(path), "/_sandbox/variants/%s", dup_variant);
        itl_store_control(path, "{\"sku\":\"TEE-BLK-S-2\"}");
    }
    hint("inventory_items/update");
    wait_sql("SELECT count(*) FROM exceptions WHERE type = 'duplicate_sku' AND state = 'resolved'",
             1);
    assert_int_equal(dup_exceptions("TEE-BLK-S", "open"), 0);
    assert_int_equal(variants_with_sku("TEE-BLK-S"), 1);
    assert_int_equal(variants_with_sku("TEE-BLK-S-2"), 1);
    wait_metric("shopvox_variants_duplicate_skus", 0);

    /* the product deleted in the store leaves at the next complete read */
    {
        char *product = it_sql_text(ito.db, "SELECT product_id FROM variants WHERE sku = "
                                            "'TEE-BLK-S-2'");
        char path[96];

        snprintf(path, sizeof(path), "/_sandbox/products/%s", product);
        itl_store_control(path, "{\"delete\":true}");
        free(product);
    }
    hint("products/update");
    wait_variants(SEEDED_VARIANTS + MORE_PRODUCTS);
    assert_int_equal(variants_with_sku("TEE-BLK-S-2"), 0);
}

static void test_location_map_checked_at_start(void **state)
{
    static const char *const args[] = {"serve", NULL};
    char known[32], map[160];
    const char *env[] = {ito.pvx_url_env, itl.api_base_env,
                         "SHOPLINE_ACCESS_TOKEN=" ITL_TOKEN, "SHOPLINE_APP_SECRET=s",
                         "PEOPLEVOX_CLIENT_ID=SANDBOX", "PEOPLEVOX_USERNAME=shopvox",
                         "PEOPLEVOX_PASSWORD=secret", "SHOPVOX_ALLOW_INSECURE_HTTP=1",
                         "SHOPVOX_LISTEN=127.0.0.1:0", "SHOPVOX_OPS_LISTEN=127.0.0.1:0", map,
                         NULL};
    const char *with_store[] = {ITL_ENV, map, NULL};
    struct it_cli_result r;
    struct it_proc p;

    (void)state;
    itl_location_id(1, known, sizeof(known));
    snprintf(map, sizeof(map), "SHOPVOX_LOCATION_MAP=PrimarySite=%s;SecondSite=99999", known);
    it_cli_run_env(&r, ito.db, env, args);
    if (r.exit_code != 2 ||
        strstr(r.err, "SecondSite=99999: Shopline has no location 99999") == NULL)
        fail_msg("exit %d, stderr [%s]", r.exit_code, r.err);
    it_cli_result_free(&r);

    /* every mapped location known: the replica starts */
    snprintf(map, sizeof(map), "SHOPVOX_LOCATION_MAP=PrimarySite=%s", known);
    assert_int_equal(ito_proc_start(&p, with_store), 0);
    assert_true(it_proc_log_has(&p, "location_map_checked"));
    assert_int_equal(it_proc_stop(&p, SIGTERM, 20000), 0);
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_METRICS_REFRESH_S=1", NULL};

    (void)state;
    return itl_world_start("variants", env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_sync_and_three_pages),
        cmocka_unit_test(test_duplicate_sku_opens_and_resolves),
        cmocka_unit_test(test_location_map_checked_at_start),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
