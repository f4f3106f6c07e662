/*
 * it_stock.c - stock on both sides of the orders world (see it_stock.h).
 */
#include "it_stock.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it.h"
#include "it_loop.h"
#include "it_orders_world.h"

void its_pvx_stock(const char *entries)
{
    char *body = xasprintf("{\"stock\":[%s]}", entries);

    ito_sandbox_post("/_sandbox/stock", body);
    free(body);
}

long its_store_level(const char *inventory_item, const char *location_id)
{
    static const char *const headers[] = {"Authorization: Bearer " ITL_TOKEN, NULL};
    char path[256];
    struct it_resp r;
    struct json_object *root = NULL, *levels = NULL;
    long v = -1;

    snprintf(path, sizeof(path), ITL_API "/inventory_levels.json?inventory_item_ids=%s"
             "&location_ids=%s", inventory_item, location_id);
    if (it_http(itl_port(), "GET", path, NULL, 0, headers, &r) == 0 && r.status == 200 &&
        (root = json_tokener_parse(r.body)) != NULL &&
        json_object_object_get_ex(root, "inventory_levels", &levels) &&
        json_object_array_length(levels) == 1)
        v = it_json_long(json_object_array_get_idx(levels, 0), "available");
    json_object_put(root);
    it_resp_free(&r);
    return v;
}

void its_store_set_level(const char *inventory_item, const char *location_id, long available)
{
    struct it_resp r;
    char *body = xasprintf("{\"inventory_item_id\":\"%s\",\"location_id\":\"%s\","
                           "\"available\":%ld}", inventory_item, location_id, available);

    itl_store_api("POST", "/inventory_levels/set.json", body, &r);
    if (r.status != 200)
        fail_msg("inventory_levels/set.json: HTTP %d %s", r.status, r.body);
    it_resp_free(&r);
    free(body);
}

char *its_inventory_item(const char *sku)
{
    return it_sql_textf(ito.db, "SELECT inventory_item_id FROM variants WHERE sku = '%s'", sku);
}

long its_store_sets(void)
{
    struct it_resp r;
    struct json_object *root, *calls = NULL, *n = NULL;
    long v = 0;

    assert_int_equal(it_http(itl_port(), "GET", "/_sandbox/state", NULL, 0, NULL, &r), 0);
    root = json_tokener_parse(r.body);
    if (json_object_object_get_ex(root, "calls", &calls) &&
        json_object_object_get_ex(calls, "POST inventory_levels/set", &n))
        v = (long)json_object_get_int64(n);
    json_object_put(root);
    it_resp_free(&r);
    return v;
}
