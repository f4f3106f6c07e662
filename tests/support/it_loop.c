/*
 * it_loop.c - the fake SHOPLINE beside an orders world (see it_loop.h).
 */
#include "it_loop.h"

#include <json-c/json.h>
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
#include "it_order.h"
#include "it_orders_world.h"
#include "it_sandbox.h"
#include "sandbox.h"

struct itl_world itl;

int itl_start_with(long rate_per_sec, long burst, long latency_ms, const char *env[4])
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
    if (env != NULL) {
        env[0] = itl.api_base_env;
        env[1] = "SHOPLINE_ACCESS_TOKEN=" ITL_TOKEN;
        env[2] = "SHOPVOX_ALLOW_INSECURE_HTTP=1";
        env[3] = NULL;
    }
    return 0;
}

int itl_start(const char *env[4])
{
    return itl_start_with(4, 40, 0, env);
}

void itl_stop(void)
{
    sandbox_shopline_stop(itl.sl);
    itl.sl = NULL;
}

int itl_start_world(const char *db_prefix, long rate_per_sec, long burst)
{
    if (itl_start_with(rate_per_sec, burst, 0, NULL) != 0)
        return -1;
    return ito_start_sandbox(db_prefix, NULL);
}

int itl_world_start(const char *db_prefix, const char *const *extra_env)
{
    const char *env[8 + 4] = {NULL};
    size_t n = 0;

    while (extra_env != NULL && extra_env[n] != NULL && n < 8) {
        env[n] = extra_env[n];
        n++;
    }
    if (itl_start(env + n) != 0)
        return -1;
    return ito_start_synced(db_prefix, NULL, env);
}

int itl_world_teardown(void **state)
{
    int rc = ito_group_teardown(state);

    itl_stop();
    return rc;
}

int itl_port(void)
{
    return itl.port;
}

/* POST path on the store (control or API); the answer's JSON (put it), 200 required. */
static struct json_object *store_post(const char *path, const char *body,
                                      const char *const *headers)
{
    struct it_resp r = {0, NULL};
    struct json_object *j;

    assert_int_equal(it_http(itl_port(), "POST", path, body, strlen(body), headers, &r), 0);
    if (r.status != 200)
        fail_msg("POST %s: %ld %s", path, r.status, r.body);
    j = json_tokener_parse(r.body);
    assert_non_null(j);
    it_resp_free(&r);
    return j;
}

void itl_store_control(const char *path, const char *body)
{
    json_object_put(store_post(path, body, NULL));
}

char *itl_store_change_order(const char *id, const char *change)
{
    char *path = xasprintf("/_sandbox/orders/%s", id);
    struct json_object *root = store_post(path, change, NULL), *order;
    char *json;

    assert_true(json_object_object_get_ex(root, "order", &order));
    json = xstrdup(json_object_to_json_string_ext(order, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    free(path);
    return json;
}

long itl_store_fault(const char *key)
{
    struct json_object *st = it_sandbox_get(itl_port(), "/_sandbox/state"), *faults;
    long n;

    assert_non_null(st);
    assert_true(json_object_object_get_ex(st, "faults", &faults));
    n = it_json_long(faults, key);
    json_object_put(st);
    return n;
}

void itl_store_api(const char *method, const char *path, const char *body, struct it_resp *r)
{
    static const char *const headers[] = {"Authorization: Bearer " ITL_TOKEN, NULL};
    char *url = xasprintf(ITL_API "%s", path);

    assert_int_equal(it_http(itl_port(), method, url, body, body ? strlen(body) : 0, headers, r),
                     0);
    free(url);
}

void itl_store_order(const char *tag, const char *lines_json, char *name, size_t name_cap,
                     char *id, size_t id_cap, char *so, size_t so_cap, char **line_ids)
{
    char unused[32];
    char *req;
    json_object *root, *order, *v;

    it_order_next(unused, sizeof(unused), name, name_cap, tag);
    req = xasprintf("{\"name\":\"%s\",\"financial_status\":\"paid\",\"lines\":%s}", name,
                    lines_json);
    root = store_post("/_sandbox/orders", req, NULL);
    assert_true(json_object_object_get_ex(root, "order", &order));
    assert_true(json_object_object_get_ex(order, "id", &v));
    snprintf(id, id_cap, "%s", json_object_get_string(v));
    if (line_ids != NULL) {
        struct json_object *ids = json_object_new_array(), *items;

        assert_true(json_object_object_get_ex(order, "line_items", &items));
        for (size_t i = 0; i < json_object_array_length(items); i++) {
            assert_true(json_object_object_get_ex(json_object_array_get_idx(items, i), "id", &v));
            json_object_array_add(ids, json_object_get(v));
        }
        *line_ids = xstrdup(json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN));
        json_object_put(ids);
    }
    ito_webhook("orders/paid", json_object_to_json_string_ext(order, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    free(req);
    ito_wait_state(name, "sent");
    ito_so_of(name, so, so_cap);
}

struct json_object *itl_store_fulfillments(const char *id)
{
    struct it_resp r = {0, NULL};
    struct json_object *root, *list;
    char *path = xasprintf("/orders/%s/fulfillments.json", id);

    itl_store_api("GET", path, NULL, &r);
    assert_int_equal(r.status, 200);
    root = json_tokener_parse(r.body);
    assert_true(json_object_object_get_ex(root, "fulfillments", &list));
    json_object_get(list);
    json_object_put(root);
    it_resp_free(&r);
    free(path);
    return list;
}

void itl_despatch(const char *so, const char *items, const char *carrier, const char *service,
                  const char *tracking)
{
    char *body = xasprintf("{\"SalesOrderNumber\":\"%s\",%s%s%s\"Carrier\":\"%s\","
                           "\"Service\":\"%s\",\"TrackingNumber\":\"%s\"}",
                           so, items ? "\"items\":" : "", items ? items : "", items ? "," : "",
                           carrier, service, tracking);

    ito_sandbox_post("/_sandbox/despatch", body);
    free(body);
}

void itl_order_paid(int shopvox_port, const char *name, const char *lines_json, char *id,
                    size_t id_cap)
{
    char *req = xasprintf("{\"name\":\"%s\",\"financial_status\":\"paid\",\"lines\":%s,"
                          "\"deliver\":{\"topic\":\"orders/paid\",\"url\":"
                          "\"http://127.0.0.1:%d/webhooks/shopline\"}}",
                          name, lines_json, shopvox_port);
    struct json_object *root = store_post("/_sandbox/orders", req, NULL);
    struct json_object *order = NULL, *deliveries = NULL;

    assert_true(json_object_object_get_ex(root, "order", &order));
    assert_true(json_object_object_get_ex(root, "deliveries", &deliveries));
    assert_int_equal(json_object_array_length(deliveries), 1);
    assert_int_equal(it_json_long(json_object_array_get_idx(deliveries, 0), "status"), 200);
    snprintf(id, id_cap, "%s", it_json_str(order, "id"));
    json_object_put(root);
    free(req);
}

void itl_location_id(size_t i, char *out, size_t cap)
{
    struct it_resp r;
    struct json_object *root, *locs = NULL;

    itl_store_api("GET", "/locations/list.json", NULL, &r);
    assert_int_equal(r.status, 200);
    root = json_tokener_parse(r.body);
    assert_true(json_object_object_get_ex(root, "locations", &locs));
    snprintf(out, cap, "%s", it_json_str(json_object_array_get_idx(locs, i), "id"));
    json_object_put(root);
    it_resp_free(&r);
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

long itl_store_count_fulfillments(const char *id, const char *tracking, long *n_tracking)
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
    itl_store_control("/_sandbox/faults", body);
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

/* POSTs a returns control body with the delivery url; the first delivery's status. */
static long returns_post(const char *path, int shopvox_port, const char *members,
                         const char *fields, const char *key, char *id, size_t id_cap)
{
    char *req = xasprintf("{%s%s\"url\":\"http://127.0.0.1:%d/webhooks/shopline\"%s%s}",
                          members, members[0] ? "," : "", shopvox_port, fields[0] ? "," : "",
                          fields);
    struct json_object *root = store_post(path, req, NULL);
    struct json_object *made = NULL, *deliveries = NULL;
    long status;

    assert_true(json_object_object_get_ex(root, key, &made));
    assert_true(json_object_object_get_ex(root, "deliveries", &deliveries));
    status = it_json_long(json_object_array_get_idx(deliveries, 0), "status");
    if (id != NULL)
        snprintf(id, id_cap, "%s", it_json_str(made, "id"));
    json_object_put(root);
    free(req);
    return status;
}

/* A return or refund of order_id's lines_json (returns_post with those members). */
static long order_post(const char *path, int shopvox_port, const char *order_id,
                       const char *lines_json, const char *fields, const char *key, char *id,
                       size_t id_cap)
{
    char *members = xasprintf("\"order_id\":\"%s\",\"lines\":%s", order_id, lines_json);
    long status = returns_post(path, shopvox_port, members, fields, key, id, id_cap);

    free(members);
    return status;
}

long itl_return_request(int shopvox_port, const char *order_id, const char *lines_json,
                        const char *fields, char *id, size_t id_cap)
{
    return order_post("/_sandbox/returns", shopvox_port, order_id, lines_json, fields, "return",
                      id, id_cap);
}

long itl_return_update(int shopvox_port, const char *return_id, const char *fields)
{
    char *path = xasprintf("/_sandbox/returns/%s", return_id);
    long status = returns_post(path, shopvox_port, "", fields, "return", NULL, 0);

    free(path);
    return status;
}

long itl_refund(int shopvox_port, const char *order_id, const char *lines_json,
                const char *fields, char *id, size_t id_cap)
{
    return order_post("/_sandbox/refunds", shopvox_port, order_id, lines_json, fields, "refund",
                      id, id_cap);
}
