/*
 * test_sandbox_shopline.c - the fake SHOPLINE Admin API, driven like a
 * client would: JSON over libcurl against a fake bound to port 0, reading
 * status, body and the link / traceId / Retry-After headers.
 *
 * Each test starts its own fake (fresh store, own port, own fake clock for
 * the leaky bucket, so the bucket is checked to the request without
 * sleeping). Webhook deliveries go to a small receiver on the service's
 * own HTTP adapter, which checks each signature with whk_verify, as shopvox
 * does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "buf.h"
#include "http_server.h"
#include "order.h"
#include "sandbox.h"
#include "ts_clock.h"
#include "webhook.h"

#define TOKEN "shpat_test"
#define SECRET "app-secret-test"
#define API "/admin/openapi/v20260301/"

/* What the webhook receiver saw. */
struct rx {
    pthread_mutex_t lock;
    int n;
    int n_verified;
    char ids[8][40];
    char topics[8][40];
    char *bodies[8];
};

struct fx {
    struct sandbox_shopline *sb;
    struct ts_clock clock;
    char base[64];
    struct http_server *rx_server;
    struct rx rx;
    char rx_url[96];
};

struct resp {
    long code;        /* HTTP status, or -(CURLcode) */
    struct buf body;
    char link[8192];
    char trace[64];
    bool retry_after;
};

/* ---- plumbing ---- */

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
    return buf_append(userdata, p, size * n) < 0 ? 0 : size * n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);

    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    line += k + 1;
    n -= k + 1;
    while (n > 0 && *line == ' ')
        line++, n--;
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        n--;
    snprintf(out, cap, "%.*s", (int)n, line);
}

static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
    struct resp *r = userdata;
    char ra[16] = "";

    header_value(p, size * n, "link", r->link, sizeof(r->link));
    header_value(p, size * n, "traceId", r->trace, sizeof(r->trace));
    header_value(p, size * n, "Retry-After", ra, sizeof(ra));
    if (ra[0] != '\0')
        r->retry_after = true;
    return size * n;
}

/* method url (absolute, or a path on the fake) with token (NULL: none). */
static long call(struct fx *f, const char *method, const char *url, const char *token,
                 const char *body, struct resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char line[256];
    CURLcode rc;

    buf_reset(&r->body);
    r->link[0] = r->trace[0] = '\0';
    r->retry_after = false;
    snprintf(line, sizeof(line), "%s%s", url[0] == '/' ? f->base : "", url);
    curl_easy_setopt(c, CURLOPT_URL, line);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    }
    if (token != NULL) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(c);
    r->code = -(long)rc;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r->code;
}

static long api(struct fx *f, const char *method, const char *path, const char *body,
                struct resp *r)
{
    char url[512];

    snprintf(url, sizeof(url), API "%s", path);
    return call(f, method, url, TOKEN, body, r);
}

/* The body as JSON (caller puts). */
static struct json_object *json_of(const struct resp *r)
{
    struct json_object *j = json_tokener_parse(buf_cstr(&r->body));

    assert_non_null(j);
    return j;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    json_object_object_get_ex(o, key, &v);
    return v;
}

/* The URL inside "<...>; rel=\"next\"" into out. */
static void next_url(const struct resp *r, char *out, size_t cap)
{
    const char *end = strchr(r->link, '>');

    assert_true(r->link[0] == '<' && end != NULL);
    assert_non_null(strstr(end, "rel=\"next\""));
    snprintf(out, cap, "%.*s", (int)(end - r->link - 1), r->link + 1);
}

/* Creates an order through the control API; its id into id (27 bytes). */
static void create_order(struct fx *f, const char *body, char *id, struct resp *r)
{
    struct json_object *j;

    assert_int_equal(call(f, "POST", "/_sandbox/orders", NULL, body, r), 200);
    j = json_of(r);
    snprintf(id, 27, "%s", jstr(jget(j, "order"), "id"));
    json_object_put(j);
}

/* ---- the webhook receiver ---- */

static void rx_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct rx *rx = ctx;
    const char *sig = http_header(req, "X-Shopline-Hmac-Sha256");
    bool ok = whk_verify(sig, req->body, req->body_len, SECRET, NULL) == WHK_VERIFY_OK &&
              http_header(req, "X-Shopline-Shop-Domain") != NULL;

    pthread_mutex_lock(&rx->lock);
    if (rx->n < 8) {
        snprintf(rx->ids[rx->n], sizeof(rx->ids[0]), "%s",
                 http_header(req, "X-Shopline-Webhook-Id"));
        snprintf(rx->topics[rx->n], sizeof(rx->topics[0]), "%s",
                 http_header(req, "X-Shopline-Topic"));
        rx->bodies[rx->n] = xstrdup(req->body);
        rx->n++;
        rx->n_verified += ok;
    }
    pthread_mutex_unlock(&rx->lock);
    http_reply_json_msg(resp, ok ? 200 : 401, "status", ok ? "ok" : "bad signature");
}

static void rx_start(struct fx *f)
{
    struct http_server_opts o = {.host = "127.0.0.1", .threads = 2, .max_body_bytes = 1 << 20,
                                 .handler = rx_handle, .ctx = &f->rx, .quiet = true};
    struct errbuf err = {{0}};

    pthread_mutex_init(&f->rx.lock, NULL);
    f->rx_server = http_server_start(&o, &err);
    assert_non_null(f->rx_server);
    snprintf(f->rx_url, sizeof(f->rx_url), "http://127.0.0.1:%d/webhooks/shopline",
             http_server_port(f->rx_server));
}

/* ---- fixture ---- */

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    struct sandbox_shopline_opts o = {.access_token = TOKEN, .app_secret = SECRET,
                                      .utc_offset_min = 480, .now_ms = ts_clock_now,
                                      .now_ctx = &f->clock};
    struct errbuf err = {{0}};

    ts_clock_set(&f->clock, 1000000);
    rx_start(f);
    o.webhook_url = f->rx_url;
    f->sb = sandbox_shopline_start(&o, &err);
    assert_non_null(f->sb);
    snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", sandbox_shopline_port(f->sb));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    sandbox_shopline_stop(f->sb);
    http_server_stop(f->rx_server);
    for (int i = 0; i < f->rx.n; i++)
        free(f->rx.bodies[i]);
    pthread_mutex_destroy(&f->rx.lock);
    free(f);
    return 0;
}

static void resp_init(struct resp *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->body, 0);
}

/* ---- tests ---- */

static void test_auth_path_and_trace_id(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j;

    resp_init(&r);
    assert_int_equal(call(f, "GET", API "orders.json", NULL, NULL, &r), 401);
    assert_non_null(strstr(buf_cstr(&r.body), "\"errors\":"));
    assert_int_equal(call(f, "GET", API "orders.json", "wrong", NULL, &r), 401);
    assert_true(r.trace[0] != '\0');
    assert_int_equal(api(f, "GET", "orders.json", NULL, &r), 200);
    assert_string_equal(buf_cstr(&r.body), "{\"orders\":[]}");
    assert_true(strlen(r.trace) >= 16);
    assert_int_equal(call(f, "GET", "/admin/openapi/latest/orders.json", TOKEN, NULL, &r), 404);
    assert_int_equal(api(f, "GET", "nothing.json", NULL, &r), 404);
    assert_string_equal(buf_cstr(&r.body), "{\"errors\":\"Not Found\"}");
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "locations")), 3);
    json_object_put(j);
    buf_cleanup(&r.body);
}

static void test_orders_link_paging_and_filters(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j;
    char ids[5][27], url[8192], path[256];
    int seen = 0;

    resp_init(&r);
    for (int i = 0; i < 5; i++)
        create_order(f, "{\"lines\":[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]}", ids[i], &r);
    assert_int_equal(strlen(ids[0]), 26);
    assert_int_equal(call(f, "POST", "/_sandbox/orders/", NULL, "{\"cancel\":true}", &r), 404);
    snprintf(path, sizeof(path), "/_sandbox/orders/%s", ids[4]);
    assert_int_equal(call(f, "POST", path, NULL, "{\"cancel\":true}", &r), 200);

    /* status=any, 2 a page: 2 + 2 + 1, the last page without a link */
    assert_int_equal(api(f, "GET", "orders.json?status=any&limit=2", NULL, &r), 200);
    for (int page = 0;; page++) {
        j = json_of(&r);
        for (size_t k = 0; k < json_object_array_length(jget(j, "orders")); k++)
            assert_string_equal(jstr(json_object_array_get_idx(jget(j, "orders"), k), "id"),
                                ids[seen++]);
        json_object_put(j);
        if (r.link[0] == '\0')
            break;
        assert_true(page < 3);
        next_url(&r, url, sizeof(url));
        assert_non_null(strstr(url, "page_info="));
        assert_int_equal(call(f, "GET", url, TOKEN, NULL, &r), 200);
    }
    assert_int_equal(seen, 5);

    /* the default status is open: the cancelled order is left out */
    assert_int_equal(api(f, "GET", "orders.json?limit=100", NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "orders")), 4);
    assert_string_equal(r.link, "");
    json_object_put(j);

    snprintf(path, sizeof(path), "orders.json?ids=%s,%s&status=any", ids[1], ids[4]);
    assert_int_equal(api(f, "GET", path, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "orders")), 2);
    assert_string_equal(jstr(json_object_array_get_idx(jget(j, "orders"), 1), "status"),
                        "cancelled");
    json_object_put(j);

    assert_int_equal(api(f, "GET", "orders.json?status=any&updated_at_min="
                                   "2999-01-01T00:00:00%2B08:00", NULL, &r), 200);
    assert_string_equal(buf_cstr(&r.body), "{\"orders\":[]}");
    assert_int_equal(api(f, "GET", "orders.json?limit=101", NULL, &r), 400);
    assert_int_equal(api(f, "GET", "orders.json?page_info=zz", NULL, &r), 400);
    buf_cleanup(&r.body);
}

static void test_order_json_parses_like_a_webhook(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct order o;
    struct errbuf err = {{0}};
    char id[27], path[128];

    resp_init(&r);
    create_order(f, "{\"financial_status\":\"paid\",\"lines\":[{\"sku\":\"TEE-BLK-S\","
                    "\"quantity\":2}]}", id, &r);
    snprintf(path, sizeof(path), "/_sandbox/orders/%s", id);
    assert_int_equal(call(f, "GET", path, NULL, NULL, &r), 200);
    assert_int_equal(order_parse_json(buf_cstr(&r.body), r.body.len, &o, &err), ST_OK);
    assert_string_equal(o.id, id);
    assert_string_equal(o.lines[0].sku, "TEE-BLK-S");
    assert_int_equal(o.lines[0].quantity, 2);
    assert_non_null(strstr(o.updated_at, "+08:00"));
    assert_true(o.updated_at_ms > 0);
    order_cleanup(&o);
    buf_cleanup(&r.body);
}

static void test_fulfillments_validate_lines(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j, *order;
    char id[27], line1[27], line2[27], path[128], body[512];

    resp_init(&r);
    assert_int_equal(call(f, "POST", "/_sandbox/orders", NULL,
                          "{\"lines\":[{\"sku\":\"TEE-BLK-S\",\"quantity\":2},"
                          "{\"sku\":\"MUG-LOGO\",\"quantity\":1}]}", &r), 200);
    j = json_of(&r);
    order = jget(j, "order");
    snprintf(id, sizeof(id), "%s", jstr(order, "id"));
    snprintf(line1, sizeof(line1), "%s",
             jstr(json_object_array_get_idx(jget(order, "line_items"), 0), "id"));
    snprintf(line2, sizeof(line2), "%s",
             jstr(json_object_array_get_idx(jget(order, "line_items"), 1), "id"));
    json_object_put(j);
    snprintf(path, sizeof(path), "orders/%s/fulfillments.json", id);

    /* line ids as JSON numbers (26 digits): read as text, not through 64 bits */
    snprintf(body, sizeof(body), "{\"fulfillment\":{\"line_items\":[{\"id\":%s,\"quantity\":1}],"
             "\"notify_customer\":true,\"tracking_info_list\":[{\"tracking_number\":\"TRK1\","
             "\"tracking_company\":\"DPD\",\"tracking_url\":\"https://t.example/?n=TRK1\"}]}}",
             line1);
    assert_int_equal(api(f, "POST", path, body, &r), 200);
    j = json_of(&r);
    assert_string_equal(jstr(jget(j, "fulfillment"), "status"), "success");
    assert_int_equal(strlen(jstr(jget(j, "fulfillment"), "id")), 26);
    json_object_put(j);

    /* an unknown line: 422, errors as an object; nothing applied */
    snprintf(body, sizeof(body), "{\"fulfillment\":{\"line_items\":[{\"id\":\"%s\",\"quantity\":1},"
             "{\"id\":31000000000000000000000999,\"quantity\":1}]}}", line2);
    assert_int_equal(api(f, "POST", path, body, &r), 422);
    assert_non_null(strstr(buf_cstr(&r.body), "{\"errors\":{\"line_items\":[\"line item "
                                              "31000000000000000000000999"));
    /* more than is left: 422 saying the lines are already fulfilled */
    snprintf(body, sizeof(body), "{\"fulfillment\":{\"line_items\":[{\"id\":%s,\"quantity\":2}]}}",
             line1);
    assert_int_equal(api(f, "POST", path, body, &r), 422);
    assert_non_null(strstr(buf_cstr(&r.body), "\"errors\":\"line items are already fulfilled"));
    assert_int_equal(api(f, "POST", path, "{\"fulfillment\":{\"line_items\":[]}}", &r), 422);

    assert_int_equal(api(f, "GET", "orders.json", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r.body), "\"fulfillment_status\":\"partial\""));
    snprintf(body, sizeof(body), "{\"fulfillment\":{\"line_items\":[{\"id\":%s,\"quantity\":1},"
             "{\"id\":%s,\"quantity\":1}]}}", line1, line2);
    assert_int_equal(api(f, "POST", path, body, &r), 200);
    assert_int_equal(api(f, "GET", "orders.json", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r.body), "\"fulfillment_status\":\"fulfilled\""));

    assert_int_equal(api(f, "GET", path, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "fulfillments")), 2);
    assert_string_equal(jstr(json_object_array_get_idx(jget(json_object_array_get_idx(
                                 jget(j, "fulfillments"), 0), "tracking_info_list"), 0),
                             "tracking_number"), "TRK1");
    json_object_put(j);
    assert_int_equal(api(f, "POST", "orders/2199/fulfillments.json", body, &r), 404);
    buf_cleanup(&r.body);
}

static void test_leaky_bucket_429_without_retry_after(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j;

    resp_init(&r);
    for (int i = 0; i < 40; i++)
        assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 429);
    assert_string_equal(buf_cstr(&r.body), "{\"errors\":\"Too many request\"}");
    assert_false(r.retry_after);
    /* 4 a second drain: 249 ms is not a whole request, 250 ms is */
    ts_clock_advance(&f->clock, 249);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 429);
    ts_clock_advance(&f->clock, 1);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 429);
    ts_clock_advance(&f->clock, 10000);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);

    assert_int_equal(call(f, "GET", "/_sandbox/state", NULL, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_get_int(jget(jget(j, "bucket"), "refused")), 3);
    json_object_put(j);
    buf_cleanup(&r.body);
}

/* The traffic record counts every arrival, refused too, over the whole run; a full bucket
 * refuses until it drains. */
static void test_traffic_and_full_bucket(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j, *per_s;

    resp_init(&r);
    assert_int_equal(call(f, "POST", "/_sandbox/faults", NULL,
                          "{\"bucket\":{\"rate_per_sec\":2,\"burst\":3,\"full\":true}}", &r),
                     200);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 429);
    ts_clock_advance(&f->clock, 500); /* one request drained */
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 429);
    ts_clock_advance(&f->clock, 400);
    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 429);
    ts_clock_advance(&f->clock, 2200); /* 3.1 s from the first call */
    for (int i = 0; i < 3; i++)
        assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);
    assert_int_equal(call(f, "GET", "/_sandbox/traffic", NULL, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_get_int(jget(j, "requests")), 7);
    assert_int_equal(json_object_get_int(jget(j, "refused")), 3);
    assert_int_equal(json_object_get_int(jget(j, "busiest_1s")), 4); /* at 0, 500, 500, 900 ms */
    assert_int_equal(json_object_get_int64(jget(j, "last_at_ms")) -
                         json_object_get_int64(jget(j, "first_at_ms")),
                     3100);
    per_s = jget(j, "per_second");
    assert_int_equal(json_object_array_length(per_s), 4);
    assert_int_equal(json_object_get_int(json_object_array_get_idx(per_s, 0)), 4);
    assert_int_equal(json_object_get_int(json_object_array_get_idx(per_s, 1)), 0);
    assert_int_equal(json_object_get_int(json_object_array_get_idx(per_s, 3)), 3);
    json_object_put(j);
    assert_int_equal(call(f, "POST", "/_sandbox/reset", NULL, "", &r), 200);
    assert_int_equal(call(f, "GET", "/_sandbox/traffic", NULL, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_get_int(jget(j, "requests")), 0);
    assert_int_equal(json_object_array_length(jget(j, "per_second")), 0);
    json_object_put(j);
    buf_cleanup(&r.body);
}

static void test_faults_500_and_drop_after_apply(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j;
    char id[27], path[128], body[256];
    const char *line;

    resp_init(&r);
    assert_int_equal(call(f, "POST", "/_sandbox/orders", NULL,
                          "{\"lines\":[{\"sku\":\"CAP-NAVY\",\"quantity\":1}]}", &r), 200);
    j = json_of(&r);
    snprintf(id, sizeof(id), "%s", jstr(jget(j, "order"), "id"));
    line = jstr(json_object_array_get_idx(jget(jget(j, "order"), "line_items"), 0), "id");
    snprintf(body, sizeof(body),
             "{\"fulfillment\":{\"line_items\":[{\"id\":%s,\"quantity\":1}]}}", line);
    json_object_put(j);
    snprintf(path, sizeof(path), "orders/%s/fulfillments.json", id);

    assert_int_equal(call(f, "POST", "/_sandbox/faults", NULL,
                          "{\"http_500\":1,\"drop_after_apply\":1}", &r), 200);
    assert_int_equal(api(f, "GET", "orders.json", NULL, &r), 500);
    assert_string_equal(buf_cstr(&r.body), "{\"errors\":\"Internal Server Error\"}");
    assert_int_equal(api(f, "GET", "orders.json", NULL, &r), 200); /* reads never drop */
    assert_int_equal(api(f, "POST", path, body, &r), -(long)CURLE_GOT_NOTHING);
    /* applied all the same: the retry learns the lines are already fulfilled */
    assert_int_equal(api(f, "POST", path, body, &r), 422);
    assert_int_equal(api(f, "GET", path, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "fulfillments")), 1);
    json_object_put(j);
    buf_cleanup(&r.body);
}

static void test_catalogue_and_inventory(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j, *v, *locs;
    char url[8192], item[27], loc[27], pop[27], body[256], path[256];
    int products = 0;

    resp_init(&r);
    assert_int_equal(api(f, "GET", "products/products.json?limit=251", NULL, &r), 400);
    assert_int_equal(api(f, "GET", "products/products.json?limit=5", NULL, &r), 200);
    j = json_of(&r);
    v = json_object_array_get_idx(jget(json_object_array_get_idx(jget(j, "products"), 0),
                                       "variants"), 0);
    assert_string_equal(jstr(v, "sku"), "TEE-BLK-S");
    snprintf(item, sizeof(item), "%s", jstr(v, "inventory_item_id"));
    json_object_put(j);
    for (;;) {
        j = json_of(&r);
        products += (int)json_object_array_length(jget(j, "products"));
        json_object_put(j);
        if (r.link[0] == '\0')
            break;
        next_url(&r, url, sizeof(url));
        assert_int_equal(call(f, "GET", url, TOKEN, NULL, &r), 200);
    }
    assert_int_equal(products, 13);

    assert_int_equal(api(f, "GET", "locations/list.json", NULL, &r), 200);
    j = json_of(&r);
    locs = jget(j, "locations");
    snprintf(loc, sizeof(loc), "%s", jstr(json_object_array_get_idx(locs, 0), "id"));
    snprintf(pop, sizeof(pop), "%s", jstr(json_object_array_get_idx(locs, 2), "id"));
    json_object_put(j);
    snprintf(body, sizeof(body), "{\"inventory_item_id\":\"%s\",\"location_id\":%s,"
             "\"available\":7}", item, loc);
    assert_int_equal(api(f, "POST", "inventory_levels/set.json", body, &r), 200);
    snprintf(body, sizeof(body), "{\"inventory_item_id\":\"%s\",\"location_id\":\"%s\","
             "\"available\":7}", item, pop);
    assert_int_equal(api(f, "POST", "inventory_levels/set.json", body, &r), 422);
    snprintf(path, sizeof(path), "inventory_levels.json?inventory_item_ids=%s&location_ids=%s",
             item, loc);
    assert_int_equal(api(f, "GET", path, NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r.body), "\"available\":7"));
    assert_int_equal(api(f, "GET", "inventory_levels.json", NULL, &r), 400);
    buf_cleanup(&r.body);
}

static void test_signed_webhooks_duplicates_and_out_of_order(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j, *a, *b;
    char id[27], path[128], body[256];
    int64_t t0, t1;

    resp_init(&r);
    assert_int_equal(call(f, "POST", "/_sandbox/orders", NULL,
                          "{\"financial_status\":\"pending\",\"lines\":[{\"sku\":\"MUG-LOGO\","
                          "\"quantity\":1}],\"deliver\":{\"duplicates\":1}}", &r), 200);
    j = json_of(&r);
    snprintf(id, sizeof(id), "%s", jstr(jget(j, "order"), "id"));
    assert_int_equal(json_object_array_length(jget(j, "deliveries")), 2);
    assert_int_equal(json_object_get_int(jget(json_object_array_get_idx(jget(j, "deliveries"),
                                                                        1), "status")), 200);
    json_object_put(j);
    /* two copies, one webhook id, signed in hex and verified */
    assert_int_equal(f->rx.n, 2);
    assert_int_equal(f->rx.n_verified, 2);
    assert_string_equal(f->rx.ids[0], f->rx.ids[1]);
    assert_string_equal(f->rx.topics[0], "orders/create");

    /* paid, in base64 */
    snprintf(path, sizeof(path), "/_sandbox/orders/%s", id);
    assert_int_equal(call(f, "POST", path, NULL, "{\"financial_status\":\"paid\","
                          "\"deliver\":{\"encoding\":\"base64\"}}", &r), 200);
    assert_int_equal(f->rx.n, 3);
    assert_int_equal(f->rx.n_verified, 3);
    assert_string_equal(f->rx.topics[2], "orders/paid");
    assert_string_not_equal(f->rx.ids[2], f->rx.ids[0]);

    /* every version newest first: the older updated_at arrives last */
    snprintf(body, sizeof(body), "{\"order_id\":\"%s\",\"reverse\":true}", id);
    assert_int_equal(call(f, "POST", "/_sandbox/webhooks", NULL, body, &r), 200);
    assert_int_equal(f->rx.n, 5);
    a = json_tokener_parse(f->rx.bodies[3]);
    b = json_tokener_parse(f->rx.bodies[4]);
    assert_int_equal(order_parse_time_ms(jstr(a, "updated_at"), &t1), 0);
    assert_int_equal(order_parse_time_ms(jstr(b, "updated_at"), &t0), 0);
    assert_true(t1 > t0);
    assert_string_equal(jstr(a, "financial_status"), "paid");
    assert_string_equal(jstr(b, "financial_status"), "pending");
    json_object_put(a);
    json_object_put(b);

    /* signed with another secret: the receiver refuses it, the answer says so */
    snprintf(body, sizeof(body), "{\"order_id\":\"%s\",\"secret\":\"other\"}", id);
    assert_int_equal(call(f, "POST", "/_sandbox/webhooks", NULL, body, &r), 200);
    assert_non_null(strstr(buf_cstr(&r.body), "\"status\":401"));
    assert_int_equal(call(f, "GET", "/_sandbox/deliveries", NULL, NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "deliveries")), 6);
    json_object_put(j);
    assert_int_equal(call(f, "POST", "/_sandbox/webhooks", NULL, "{\"order_id\":\"1\"}", &r),
                     404);
    buf_cleanup(&r.body);
}

/* Subscriptions: created and listed through the API, "deleted" only by the platform (control). */
static void test_webhook_subscriptions_and_app_event(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j, *w;
    char sub_id[27];

    resp_init(&r);
    assert_int_equal(api(f, "GET", "webhooks.json", NULL, &r), 200);
    assert_string_equal(buf_cstr(&r.body), "{\"webhooks\":[]}");
    assert_int_equal(api(f, "POST", "webhooks.json", "{\"webhook\":{\"address\":\"https://a/x\","
                         "\"topic\":\"orders/paid\",\"api_version\":\"v20260301\"}}", &r), 200);
    j = json_of(&r);
    w = jget(j, "webhook");
    snprintf(sub_id, sizeof(sub_id), "%s", jstr(w, "id"));
    assert_int_equal(strlen(sub_id), 26);
    assert_string_equal(jstr(w, "topic"), "orders/paid");
    json_object_put(j);
    assert_int_equal(api(f, "POST", "webhooks.json", "{\"webhook\":{\"topic\":\"orders/paid\"}}",
                         &r), 422);
    assert_non_null(strstr(buf_cstr(&r.body), "\"errors\""));
    assert_int_equal(api(f, "DELETE", "webhooks.json", NULL, &r), 405); /* not documented */
    assert_int_equal(api(f, "GET", "webhooks.json", NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "webhooks")), 1);
    assert_string_equal(jstr(json_object_array_get_idx(jget(j, "webhooks"), 0), "id"), sub_id);
    json_object_put(j);
    assert_int_equal(call(f, "POST", "/_sandbox/subscriptions/delete", NULL,
                          "{\"topic\":\"orders/create\"}", &r), 404);
    assert_int_equal(call(f, "POST", "/_sandbox/subscriptions/delete", NULL,
                          "{\"topic\":\"orders/paid\"}", &r), 200);
    assert_int_equal(call(f, "GET", "/_sandbox/subscriptions", NULL, NULL, &r), 200);
    assert_string_equal(buf_cstr(&r.body), "{\"webhooks\":[]}");

    /* the app's UNINSTALL, signed like the order webhooks */
    assert_int_equal(call(f, "POST", "/_sandbox/app", NULL, "{\"operate\":\"REMOVE\"}", &r), 400);
    assert_int_equal(call(f, "POST", "/_sandbox/app", NULL, "{\"operate\":\"UNINSTALL\"}", &r),
                     200);
    assert_int_equal(f->rx.n, 1);
    assert_int_equal(f->rx.n_verified, 1);
    assert_string_equal(f->rx.topics[0], "apps/installed_uninstalled");
    assert_non_null(strstr(f->rx.bodies[0], "\"operate\":\"UNINSTALL\""));
    buf_cleanup(&r.body);
}

static void test_reset(void **state)
{
    struct fx *f = *state;
    struct resp r;
    struct json_object *j;
    char id[27];

    resp_init(&r);
    create_order(f, "{\"lines\":[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]}", id, &r);
    assert_int_equal(call(f, "POST", "/_sandbox/orders", NULL, "{\"lines\":[]}", &r), 400);
    /* wrong delivery options refuse the call before the order is made */
    assert_int_equal(call(f, "POST", "/_sandbox/orders", NULL, "{\"lines\":[{\"sku\":\"MUG-LOGO\","
                          "\"quantity\":1}],\"deliver\":{\"encoding\":\"hex32\"}}", &r), 400);
    assert_int_equal(api(f, "GET", "orders.json?status=any", NULL, &r), 200);
    j = json_of(&r);
    assert_int_equal(json_object_array_length(jget(j, "orders")), 1);
    json_object_put(j);
    assert_int_equal(call(f, "POST", "/_sandbox/reset", NULL, "", &r), 200);
    assert_int_equal(api(f, "GET", "orders.json?status=any", NULL, &r), 200);
    assert_string_equal(buf_cstr(&r.body), "{\"orders\":[]}");
    buf_cleanup(&r.body);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_auth_path_and_trace_id),
        T(test_orders_link_paging_and_filters),
        T(test_order_json_parses_like_a_webhook),
        T(test_fulfillments_validate_lines),
        T(test_leaky_bucket_429_without_retry_after),
        T(test_faults_500_and_drop_after_apply),
        T(test_catalogue_and_inventory),
        T(test_signed_webhooks_duplicates_and_out_of_order),
        T(test_reset),
        T(test_webhook_subscriptions_and_app_event),
        T(test_traffic_and_full_bucket),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
