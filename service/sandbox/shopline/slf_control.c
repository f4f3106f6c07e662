/*
 * slf_control.c - the fake SHOPLINE's part of the /_sandbox/ control API
 * (the list is in sandbox.h).
 *
 * Looking inside (state, one order, deliveries) and the faults run under
 * the lock through the shared layer. Playing the merchant's and the
 * platform's part (create or change an order, deliver it as a webhook)
 * goes through control_unlocked: the change and the planning of the
 * deliveries under the lock, the POSTs to shopvox after it is released.
 * Every change of an order records a version of its JSON, which is what a
 * webhook delivers (so an older version can be sent after a newer one).
 */
#include "slf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../sandbox_control.h"

static int slf_get_state(struct sandbox_shopline *sb, struct buf *out)
{
    struct json_object *j = json_object_new_object();
    struct json_object *orders = json_object_new_array();
    struct json_object *bucket = json_object_new_object();

    for (size_t i = 0; i < sb->st.n_orders; i++)
        json_object_array_add(orders, slf_order_json(sb, &sb->st.orders[i]));
    json_object_object_add(j, "orders_count", json_object_new_int64((int64_t)sb->st.n_orders));
    json_object_object_add(j, "fulfillments",
                           json_object_new_int64((int64_t)sb->st.n_fulfillments));
    json_object_object_add(j, "products", json_object_new_int64((int64_t)sb->st.n_products));
    json_object_object_add(j, "deliveries", json_object_new_int64(sb->n_deliveries));
    json_object_object_add(bucket, "rate_per_sec", json_object_new_int64(sb->bucket.rate_per_sec));
    json_object_object_add(bucket, "burst", json_object_new_int64(sb->bucket.burst));
    json_object_object_add(bucket, "refused", json_object_new_int64(sb->bucket.refused));
    json_object_object_add(j, "bucket", bucket);
    sbx_state_json(&sb->fake, j, sbx_faults_json(&sb->fake));
    json_object_object_add(j, "orders", orders);
    return sbx_json_reply(out, 200, j);
}

static int slf_get_deliveries(struct sandbox_shopline *sb, struct buf *out)
{
    struct json_object *arr = json_object_new_array();
    struct json_object *j = json_object_new_object();
    long first = sb->n_deliveries > SLF_DELIVERY_LOG ? sb->n_deliveries - SLF_DELIVERY_LOG : 0;

    for (long i = first; i < sb->n_deliveries; i++) {
        const struct slf_delivery *d = &sb->deliveries[i % SLF_DELIVERY_LOG];
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "webhook_id", json_object_new_string(d->webhook_id));
        json_object_object_add(o, "topic", json_object_new_string(d->topic));
        json_object_object_add(o, "order_id", json_object_new_string(d->order_id));
        json_object_object_add(o, "status", json_object_new_int64(d->status));
        json_object_array_add(arr, o);
    }
    json_object_object_add(j, "deliveries", arr);
    return sbx_json_reply(out, 200, j);
}

/*
 * GET /_sandbox/traffic: the rate the store saw. Every Admin API call
 * since the start (or reset) counts, refused ones too: requests, refused
 * (429s), the first and last arrival, the most in any 1 s window (sliding)
 * and the count of each whole second from the first arrival.
 */
static int slf_get_traffic(struct sandbox_shopline *sb, struct buf *out)
{
    const struct slf_traffic *t = &sb->traffic;
    struct json_object *j = json_object_new_object();
    struct json_object *per_s = json_object_new_array();
    int64_t first = t->n ? t->at_ms[0] : 0, last = t->n ? t->at_ms[t->n - 1] : 0;
    long second = 0, count = 0;

    for (size_t k = 0; k < t->n; k++) {
        while ((t->at_ms[k] - first) / 1000 > second) {
            json_object_array_add(per_s, json_object_new_int64(count));
            second++;
            count = 0;
        }
        count++;
    }
    if (t->n > 0)
        json_object_array_add(per_s, json_object_new_int64(count));
    json_object_object_add(j, "requests", json_object_new_int64(t->requests));
    json_object_object_add(j, "recorded", json_object_new_int64((int64_t)t->n));
    json_object_object_add(j, "refused", json_object_new_int64(t->refused));
    json_object_object_add(j, "first_at_ms", json_object_new_int64(first));
    json_object_object_add(j, "last_at_ms", json_object_new_int64(last));
    json_object_object_add(j, "busiest_1s", json_object_new_int64(slf_traffic_busiest(t, 1000)));
    json_object_object_add(j, "per_second", per_s);
    return sbx_json_reply(out, 200, j);
}

/*
 * {"bucket":{"rate_per_sec":n,"burst":n,"full":bool}}: 0, or -1 with a 400
 * in out. The bucket starts empty, or full ("full": true: exhausted, as
 * after a burst of calls from elsewhere).
 */
static int slf_post_bucket(struct sandbox_shopline *sb, struct json_object *in, struct buf *out)
{
    struct json_object *b, *rate = NULL, *burst = NULL, *full = NULL;

    if (!json_object_object_get_ex(in, "bucket", &b))
        return 0;
    json_object_object_get_ex(b, "rate_per_sec", &rate);
    json_object_object_get_ex(b, "burst", &burst);
    json_object_object_get_ex(b, "full", &full);
    if (!json_object_is_type(rate, json_type_int) || json_object_get_int64(rate) < 1 ||
        !json_object_is_type(burst, json_type_int) || json_object_get_int64(burst) < 0) {
        sbx_json_error(out, 400, "bucket must be {\"rate_per_sec\": >= 1, \"burst\": >= 0}");
        return -1;
    }
    sb->bucket.rate_per_sec = (long)json_object_get_int64(rate);
    sb->bucket.burst = (long)json_object_get_int64(burst);
    sb->bucket.level_milli = json_object_get_boolean(full) ? (int64_t)sb->bucket.burst * 1000 : 0;
    sb->bucket.at_ms = sbx_fake_now_ms(&sb->fake);
    return 0;
}

/* One product of POST /_sandbox/products: {"title","price","variants":[{"sku"}]}; NULL = bad. */
static struct slf_product *slf_post_product(struct sandbox_shopline *sb, struct json_object *in)
{
    struct json_object *arr = NULL;
    const char **skus;
    struct slf_product *p = NULL;
    size_t n, i;

    if (!json_object_object_get_ex(in, "variants", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return NULL;
    n = json_object_array_length(arr);
    skus = xcalloc(n + 1, sizeof(*skus));
    for (i = 0; i < n; i++) {
        skus[i] = sbx_json_str(json_object_array_get_idx(arr, i), "sku");
        if (skus[i] == NULL)
            skus[i] = "";
    }
    p = slf_store_add_product(&sb->st, sbx_json_str(in, "title") ? sbx_json_str(in, "title")
                                                                 : "Product",
                              sbx_json_str(in, "price") ? sbx_json_str(in, "price") : "10.00",
                              skus, n);
    free(skus);
    return p;
}

/*
 * The catalogue controls (lock held): POST /_sandbox/products adds
 * {"products":[...]} and answers them as the API renders them;
 * POST /_sandbox/products/{id} {"delete":true} deletes one;
 * POST /_sandbox/variants/{id} {"sku":"..."} changes a SKU. 0 when path is
 * none of them, else the HTTP code (the answer in out).
 */
static int slf_post_catalogue(struct sandbox_shopline *sb, const char *path,
                              struct json_object *in, struct buf *out)
{
    struct json_object *arr = NULL, *done, *del = NULL;
    struct slf_product *p;
    const char *sku = sbx_json_str(in, "sku");

    if (strncmp(path, "variants/", 9) == 0)
        return sku != NULL && slf_store_set_sku(&sb->st, path + 9, sku)
                   ? sbx_json_reply(out, 200, json_object_new_object())
                   : sbx_json_error(out, 404, "no such variant (or no \"sku\")");
    if (strncmp(path, "products/", 9) == 0)
        return json_object_object_get_ex(in, "delete", &del) && json_object_get_boolean(del) &&
                       slf_store_delete_product(&sb->st, path + 9)
                   ? sbx_json_reply(out, 200, json_object_new_object())
                   : sbx_json_error(out, 404, "no such product (or no \"delete\":true)");
    if (strcmp(path, "products") != 0)
        return 0;
    if (!json_object_object_get_ex(in, "products", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return sbx_json_error(out, 400, "body must be {\"products\":[{\"title\",\"variants\":"
                                        "[{\"sku\"}]}]}");
    done = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        p = slf_post_product(sb, json_object_array_get_idx(arr, i));
        if (p == NULL) {
            json_object_put(done);
            return sbx_json_error(out, 400, "a product needs \"variants\":[{\"sku\"}]");
        }
        json_object_array_add(done, slf_product_json(p));
    }
    arr = json_object_new_object();
    json_object_object_add(arr, "products", done);
    return sbx_json_reply(out, 200, arr);
}

void slf_reset(void *ctx)
{
    struct sandbox_shopline *sb = ctx;

    slf_store_reset(&sb->st, sb->cfg.seed);
    slf_subs_reset(&sb->subs);
    slf_returns_reset(&sb->returns);
    sb->bucket = sb->bucket_at_start;
    sb->bucket.at_ms = sbx_fake_now_ms(&sb->fake);
    sb->n_deliveries = 0;
    slf_traffic_reset(&sb->traffic);
}

int slf_control(void *ctx, const char *method, const char *path, struct json_object *in,
                struct buf *out)
{
    struct sandbox_shopline *sb = ctx;
    struct slf_order *o;

    int code = slf_subs_control(sb, path, in, out);

    (void)method;
    if (code != 0)
        return code;
    if (in != NULL) {
        code = slf_post_catalogue(sb, path, in, out);

        if (code != 0)
            return code;
        if (strcmp(path, "faults") != 0)
            return sbx_json_error(out, 404, "no such control endpoint");
        if (sbx_faults_post(&sb->fake, in, out) != 0 || slf_post_bucket(sb, in, out) != 0)
            return 400;
        return sbx_json_reply(out, 200, sbx_faults_json(&sb->fake));
    }
    if (strcmp(path, "state") == 0)
        return slf_get_state(sb, out);
    if (strcmp(path, "deliveries") == 0)
        return slf_get_deliveries(sb, out);
    if (strcmp(path, "traffic") == 0)
        return slf_get_traffic(sb, out);
    if (strncmp(path, "orders/", 7) == 0) {
        o = slf_store_find_order(&sb->st, path + 7);
        if (o == NULL)
            return sbx_json_error(out, 404, "no such order");
        return sbx_json_reply(out, 200, slf_order_json(sb, o));
    }
    return sbx_json_error(out, 404, "no such control endpoint");
}

/* ---- the merchant's and the platform's part (control_unlocked) ---- */

/* {"lines":[{"sku","quantity","price","title"}]} into lines (sized by the array). */
static int slf_read_lines(struct json_object *in, struct slf_new_line *lines, size_t *n)
{
    struct json_object *arr = NULL;

    *n = 0;
    if (!json_object_object_get_ex(in, "lines", &arr) || !json_object_is_type(arr, json_type_array))
        return -1;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *l = json_object_array_get_idx(arr, i);
        struct json_object *q = NULL;

        json_object_object_get_ex(l, "quantity", &q);
        lines[i].sku = sbx_json_str(l, "sku");
        lines[i].title = sbx_json_str(l, "title");
        lines[i].price = sbx_json_str(l, "price");
        lines[i].quantity = json_object_is_type(q, json_type_int)
                                ? (long)json_object_get_int64(q) : 0;
        if (lines[i].sku == NULL || lines[i].quantity < 1)
            return -1;
    }
    *n = json_object_array_length(arr);
    return *n > 0 ? 0 : -1;
}

/* POST /_sandbox/orders: the new order, or NULL with msg (lock held). */
static struct slf_order *slf_create_order(struct sandbox_shopline *sb, struct json_object *in,
                                          char *msg, size_t cap)
{
    struct json_object *arr = NULL;
    size_t n = json_object_object_get_ex(in, "lines", &arr) &&
                       json_object_is_type(arr, json_type_array)
                   ? json_object_array_length(arr) : 0;
    struct slf_new_line *lines = xcalloc(n + 1, sizeof(*lines));
    struct slf_new_order no = {
        .name = sbx_json_str(in, "name"), .financial_status = sbx_json_str(in, "financial_status"),
        .email = sbx_json_str(in, "email"), .currency = sbx_json_str(in, "currency"),
        .lines = lines,
    };
    struct slf_order *o = NULL;

    if (slf_read_lines(in, lines, &no.n_lines) != 0) {
        snprintf(msg, cap, "lines must be [{\"sku\": text, \"quantity\": >= 1}, ...] (one at least)");
    } else {
        o = slf_store_add_order(&sb->st, &no, now_ms_wall());
        slf_order_snapshot(sb, o);
    }
    free(lines);
    return o;
}

/* POST /_sandbox/orders/{id}: pay, cancel, ...; the default topic of the change. */
static const char *slf_change_order(struct sandbox_shopline *sb, struct slf_order *o,
                                    struct json_object *in)
{
    const char *fin = sbx_json_str(in, "financial_status");
    struct json_object *cancel = NULL;
    const char *topic = "orders/updated";

    if (fin != NULL) {
        free(o->financial_status);
        o->financial_status = xstrdup(fin);
        if (strcmp(fin, "paid") == 0)
            topic = "orders/paid";
    }
    if (json_object_object_get_ex(in, "cancel", &cancel) && json_object_get_boolean(cancel) &&
        !o->cancelled) {
        o->cancelled = true;
        o->cancelled_ms = now_ms_wall();
        topic = "orders/cancelled";
    }
    slf_store_touch(o, now_ms_wall());
    slf_order_snapshot(sb, o);
    return topic;
}

/*
 * Under the lock: the change the path asks for, and the deliveries
 * (planned when the body has "deliver", or always for /webhooks). The
 * answer's code; *order the order's JSON (new object) on success.
 */
static int slf_control_change(struct sandbox_shopline *sb, const char *path,
                              struct json_object *in, struct json_object **order,
                              struct slf_send **sends, size_t *n, char *msg, size_t cap)
{
    struct json_object *deliver = NULL;
    struct slf_order *o = NULL;
    const char *topic = "orders/create";
    bool webhooks = strcmp(path, "webhooks") == 0;

    if (webhooks)
        deliver = in;
    else
        json_object_object_get_ex(in, "deliver", &deliver);
    if (deliver != NULL && slf_webhook_check(sb, deliver, msg, cap) != 0)
        return 400; /* before any change: a refused call changes nothing */
    if (strcmp(path, "orders") == 0) {
        o = slf_create_order(sb, in, msg, cap);
        if (o == NULL)
            return 400;
    } else {
        o = slf_store_find_order(&sb->st, webhooks ? sbx_json_str(in, "order_id")
                                                   : path + strlen("orders/"));
        if (o == NULL) {
            snprintf(msg, cap, "no such order");
            return 404;
        }
        topic = webhooks ? "orders/updated" : slf_change_order(sb, o, in);
    }
    if (deliver != NULL && slf_webhook_plan(sb, o, topic, deliver, sends, n, msg, cap) != 0)
        return 400;
    *order = slf_order_json(sb, o);
    return 200;
}

void slf_control_run(struct sandbox_shopline *sb, const struct http_request *req,
                     struct http_response *resp, slf_change_fn change, const char *key)
{
    const char *path = req->path + strlen(SBX_CONTROL_PREFIX);
    struct json_object *in = NULL, *shown = NULL, *j;
    struct slf_send *sends = NULL;
    size_t n = 0;
    char msg[160] = "";
    int code;

    resp->content_type = "application/json";
    in = json_tokener_parse(req->body_len > 0 ? req->body : "{}");
    if (!json_object_is_type(in, json_type_object)) {
        resp->status = sbx_json_error(&resp->body, 400, "body must be a JSON object");
        goto out;
    }
    pthread_mutex_lock(&sb->fake.lock);
    code = change(sb, path, in, &shown, &sends, &n, msg, sizeof(msg));
    pthread_mutex_unlock(&sb->fake.lock);
    if (code != 200) {
        resp->status = sbx_json_error(&resp->body, code, msg);
        goto out;
    }
    slf_webhook_send(sb, sends, n);
    j = json_object_new_object();
    json_object_object_add(j, key, shown);
    shown = NULL;
    json_object_object_add(j, "deliveries", slf_webhook_finish(sends, n));
    sends = NULL;
    resp->status = sbx_json_reply(&resp->body, 200, j);
out:
    if (sends != NULL)
        slf_webhook_finish(sends, n);
    json_object_put(shown);
    json_object_put(in);
}

bool slf_control_unlocked(void *ctx, const struct http_request *req,
                          struct http_response *resp)
{
    struct sandbox_shopline *sb = ctx;
    const char *path = req->path + strlen(SBX_CONTROL_PREFIX);

    if (strcmp(req->method, "POST") == 0 && strcmp(path, "app") == 0)
        return slf_subs_app(sb, req, resp);
    if (slf_returns_control(sb, req, resp))
        return true;
    if (strcmp(req->method, "POST") != 0 ||
        (strcmp(path, "orders") != 0 && strncmp(path, "orders/", 7) != 0 &&
         strcmp(path, "webhooks") != 0))
        return false;
    slf_control_run(sb, req, resp, slf_control_change, "order");
    return true;
}
