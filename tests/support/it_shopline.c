/*
 * it_shopline.c - see it_shopline.h.
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

#include "common.h"
#include "it_http.h"
#include "it_order.h"
#include "it_orders_world.h"
#include "it_shopline.h"

#define ITS_MAX_ENV 32

struct sandbox_shopline *its_start_synced(const char *db_prefix, const char *token,
                                          const char *const *extra_env)
{
    struct sandbox_shopline_opts o = {.access_token = token};
    static char base[160], bearer[160];
    const char *env[ITS_MAX_ENV] = {base, bearer, "SHOPVOX_ALLOW_INSECURE_HTTP=1"};
    struct errbuf err = {""};
    struct sandbox_shopline *sl = sandbox_shopline_start(&o, &err);
    size_t n = 3;

    if (sl == NULL) {
        fprintf(stderr, "sandbox shopline: %s\n", err.msg);
        return NULL;
    }
    snprintf(base, sizeof(base), "SHOPLINE_API_BASE=http://127.0.0.1:%d" ITS_API_PATH,
             sandbox_shopline_port(sl));
    snprintf(bearer, sizeof(bearer), "SHOPLINE_ACCESS_TOKEN=%s", token);
    for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL && n + 1 < ITS_MAX_ENV; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    if (ito_start_synced(db_prefix, NULL, env) != 0) {
        sandbox_shopline_stop(sl);
        return NULL;
    }
    return sl;
}

int its_group_teardown(void **state)
{
    int rc = ito_stop();

    sandbox_shopline_stop(*state);
    return rc;
}

/* POSTs body to the fake store's control path; fails the test unless it answers 200. */
static char *its_control(struct sandbox_shopline *sl, const char *path, const char *body)
{
    struct it_resp r = {0, NULL};
    char *out;

    assert_int_equal(it_http(sandbox_shopline_port(sl), "POST", path, body, strlen(body), NULL,
                             &r),
                     0);
    assert_int_equal(r.status, 200);
    out = xstrdup(r.body);
    it_resp_free(&r);
    return out;
}

void its_store_order_paid(struct sandbox_shopline *sl, const char *tag, const char *lines_json,
                          char *name, size_t name_cap, char *id, size_t id_cap, char *so,
                          size_t so_cap)
{
    char unused[32], *req, *reply;
    json_object *root, *order, *v;

    it_order_next(unused, sizeof(unused), name, name_cap, tag);
    req = xasprintf("{\"name\":\"%s\",\"financial_status\":\"paid\",\"lines\":%s}", name,
                    lines_json);
    reply = its_control(sl, "/_sandbox/orders", req);
    root = json_tokener_parse(reply);
    assert_true(json_object_object_get_ex(root, "order", &order));
    assert_true(json_object_object_get_ex(order, "id", &v));
    snprintf(id, id_cap, "%s", json_object_get_string(v));
    ito_webhook("orders/paid", json_object_to_json_string_ext(order, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    free(reply);
    free(req);
    ito_wait_state(name, "sent");
    ito_so_of(name, so, so_cap);
}

void its_despatch(const char *so, const char *items, const char *tracking)
{
    char body[512];

    snprintf(body, sizeof(body),
             "{\"SalesOrderNumber\":\"%s\",%s%s%s\"Carrier\":\"DPD\",\"Service\":\"Next day\","
             "\"TrackingNumber\":\"%s\"}",
             so, items ? "\"items\":" : "", items ? items : "", items ? "," : "", tracking);
    ito_sandbox_post("/_sandbox/despatch", body);
}

void its_fail_500(struct sandbox_shopline *sl, long n)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"http_500\":%ld}", n);
    free(its_control(sl, "/_sandbox/faults", body));
}
