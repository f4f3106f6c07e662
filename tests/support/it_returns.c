/*
 * it_returns.c - returns at the fake Peoplevox (see it_returns.h).
 */
#include "it_returns.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it_http.h"
#include "it_sandbox.h"

void itr_returns_template(int port, const char *fields_json)
{
    char *body = xasprintf("{\"fields\":%s}", fields_json);

    assert_int_equal(it_sandbox_post(port, "/_sandbox/returns_template", body), 0);
    free(body);
}

void itr_receive(int port, const char *so, const char *item_code, long qty,
                 const char *condition, bool reusable, long returned_at, char *code,
                 size_t cap)
{
    struct it_resp r;
    struct json_object *root = NULL;
    char at[48] = "";
    char *body;

    if (returned_at > 0)
        snprintf(at, sizeof(at), ",\"ReturnedAt\":%ld", returned_at);
    body = xasprintf("{\"SalesOrderNumber\":\"%s\",\"ItemCode\":\"%s\",\"Quantity\":%ld,"
                     "\"Condition\":\"%s\",\"Reusable\":%s%s}", so, item_code, qty, condition,
                     reusable ? "true" : "false", at);

    assert_int_equal(it_http(port, "POST", "/_sandbox/returns", body, strlen(body), NULL, &r), 0);
    if (r.status != 200)
        fail_msg("receive %s %s x%ld: HTTP %ld %s", so, item_code, qty, r.status, r.body);
    root = json_tokener_parse(r.body);
    if (code != NULL)
        snprintf(code, cap, "%s", it_json_str(root, "ReturnCode"));
    json_object_put(root);
    it_resp_free(&r);
    free(body);
}

/* The fake's expected returns (owned by state; put state). */
static struct json_object *itr_expected_list(int port, struct json_object **state)
{
    struct json_object *list = NULL;

    *state = it_sandbox_get(port, "/_sandbox/state");
    assert_non_null(*state);
    assert_true(json_object_object_get_ex(*state, "expected_returns", &list));
    return list;
}

long itr_expected(int port, const char *so, const char *item_code, char *ref, size_t cap)
{
    struct json_object *state;
    struct json_object *list = itr_expected_list(port, &state);
    long qty = -1;

    for (size_t i = 0; i < json_object_array_length(list) && qty < 0; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);

        if (strcmp(it_json_str(e, "SalesOrderNumber"), so) != 0 ||
            strcmp(it_json_str(e, "ItemCode"), item_code) != 0)
            continue;
        qty = it_json_long(e, "Quantity");
        if (ref != NULL)
            snprintf(ref, cap, "%s", it_json_str(e, "Reference"));
    }
    json_object_put(state);
    return qty;
}

long itr_expected_count(int port)
{
    struct json_object *state;
    long n = (long)json_object_array_length(itr_expected_list(port, &state));

    json_object_put(state);
    return n;
}

long itr_on_hand(int port, const char *item_code, const char *site)
{
    struct json_object *root = it_sandbox_get(port, "/_sandbox/stock");
    struct json_object *list = NULL;
    long v = -1;

    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "stock", &list));
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        struct json_object *e = json_object_array_get_idx(list, i);

        if (strcmp(it_json_str(e, "ItemCode"), item_code) == 0 &&
            strcmp(it_json_str(e, "site"), site) == 0)
            v = it_json_long(e, "on_hand");
    }
    json_object_put(root);
    return v;
}
