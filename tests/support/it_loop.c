/*
 * it_loop.c - see it_loop.h.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"
#include "it_loop.h"
#include "it_orders_world.h"

struct itl_world itl;

int itl_start(long rate_per_sec, long burst, long latency_ms)
{
    struct sandbox_shopline_opts o = {.access_token = ITL_TOKEN, .shop_domain = IT_SHOP,
                                      .app_secret = IT_SECRET, .rate_per_sec = rate_per_sec,
                                      .burst = burst, .no_rate_limit = burst == 0,
                                      .latency_ms = latency_ms};
    struct errbuf err = {""};

    itl.sl = sandbox_shopline_start(&o, &err);
    if (itl.sl == NULL) {
        fprintf(stderr, "it: sandbox shopline: %s\n", err.msg);
        return -1;
    }
    itl.port = sandbox_shopline_port(itl.sl);
    snprintf(itl.api_base_env, sizeof(itl.api_base_env),
             "SHOPLINE_API_BASE=http://127.0.0.1:%d" ITL_API, itl.port);
    return 0;
}

void itl_stop(void)
{
    sandbox_shopline_stop(itl.sl);
    itl.sl = NULL;
}

int itl_start_world(const char *db_prefix, long rate_per_sec, long burst)
{
    if (itl_start(rate_per_sec, burst, 0) != 0)
        return -1;
    return ito_start_sandbox(db_prefix, NULL);
}

int itl_group_teardown(void **state)
{
    int rc = ito_group_teardown(state);

    itl_stop();
    return rc;
}

/* POSTs body to the fake store's control path; its parsed answer (caller puts). */
static struct json_object *itl_post(const char *path, const char *body)
{
    struct it_resp r = {0, NULL};
    struct json_object *o;

    assert_int_equal(it_http(itl.port, "POST", path, body, strlen(body), NULL, &r), 0);
    if (r.status != 200)
        fprintf(stderr, "it: POST %s: %ld %s\n", path, r.status, r.body ? r.body : "");
    assert_int_equal(r.status, 200);
    o = json_tokener_parse(r.body);
    it_resp_free(&r);
    assert_non_null(o);
    return o;
}

void itl_order_paid(int shopvox_port, const char *name, const char *lines_json, char *id,
                    size_t id_cap)
{
    char *req = xasprintf("{\"name\":\"%s\",\"financial_status\":\"paid\",\"lines\":%s,"
                          "\"deliver\":{\"topic\":\"orders/paid\",\"url\":"
                          "\"http://127.0.0.1:%d/webhooks/shopline\"}}",
                          name, lines_json, shopvox_port);
    struct json_object *root = itl_post("/_sandbox/orders", req);
    struct json_object *order = NULL, *deliveries = NULL;

    assert_true(json_object_object_get_ex(root, "order", &order));
    assert_true(json_object_object_get_ex(root, "deliveries", &deliveries));
    assert_int_equal(json_object_array_length(deliveries), 1);
    assert_int_equal(it_json_long(json_object_array_get_idx(deliveries, 0), "status"), 200);
    snprintf(id, id_cap, "%s", it_json_str(order, "id"));
    json_object_put(root);
    free(req);
}

void itl_despatch(const char *so, const char *items, const char *tracking)
{
    char *body = xasprintf("{\"SalesOrderNumber\":\"%s\",%s%s%s\"Carrier\":\"DPD\","
                           "\"Service\":\"Next day\",\"TrackingNumber\":\"%s\"}",
                           so, items ? "\"items\":" : "", items ? items : "",
                           items ? "," : "", tracking);

    ito_sandbox_post("/_sandbox/despatch", body);
    free(body);
}

/* Whether fulfillment f carries tracking number tracking. */
static bool itl_carries(struct json_object *f, const char *tracking)
{
    struct json_object *list = NULL;

    if (!json_object_object_get_ex(f, "tracking_info_list", &list))
        return false;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *t = it_json_str(json_object_array_get_idx(list, i), "tracking_number");

        if (t != NULL && strcmp(t, tracking) == 0)
            return true;
    }
    return false;
}

long itl_store_fulfillments(const char *id, const char *tracking, long *n_tracking)
{
    char path[96];
    struct json_object *o, *fuls = NULL;
    long n;

    snprintf(path, sizeof(path), "/_sandbox/orders/%s", id);
    o = it_sandbox_get(itl.port, path);
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "fulfillments", &fuls));
    n = (long)json_object_array_length(fuls);
    *n_tracking = 0;
    for (long i = 0; i < n && tracking != NULL; i++)
        *n_tracking += itl_carries(json_object_array_get_idx(fuls, (size_t)i), tracking);
    json_object_put(o);
    return n;
}

void itl_bucket(long rate_per_sec, long burst, bool full)
{
    char body[128];

    snprintf(body, sizeof(body), "{\"bucket\":{\"rate_per_sec\":%ld,\"burst\":%ld,\"full\":%s}}",
             rate_per_sec, burst, full ? "true" : "false");
    json_object_put(itl_post("/_sandbox/faults", body));
}

struct json_object *itl_traffic(void)
{
    struct json_object *o = it_sandbox_get(itl.port, "/_sandbox/traffic");

    assert_non_null(o);
    return o;
}

void itl_exhaust_limiter(void)
{
    it_sql_exec(ito.db, "INSERT INTO rate_buckets (api, shop, tokens, updated_at) VALUES "
                        "('shopline', '" IT_SHOP "', 0, clock_timestamp()) ON CONFLICT (api, shop) "
                        "DO UPDATE SET tokens = 0, updated_at = clock_timestamp(), "
                        "slow_until = NULL");
}
