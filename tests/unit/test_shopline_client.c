/*
 * test_shopline_client.c - the SHOPLINE Admin API client against a small
 * canned server (the service's HTTP adapter on port 0): the token sent,
 * three pages followed through link headers, every status class with its
 * reason, a 429 without Retry-After (and one with), the rate-limit hooks,
 * 26-digit ids both ways, and a create whose reply is dropped: an unknown
 * outcome with exactly one request received (libcurl re-sent nothing).
 *
 * No sleeps: the only wait is libcurl's own transfer timeout (100 ms) in
 * the one test of a reply that never comes.
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

#include "http_server.h"
#include "shopline.h"

#define ID26 "12345678901234567890123456"
#define ID26B "98765432109876543210987654"
#define BASE_PATH "/admin/openapi/v20260301/"

/* ---- the canned SHOPLINE ---- */

struct canned {
    struct http_server *hs;
    int port;
    pthread_mutex_t lock;
    pthread_cond_t gate;       /* a hung request waits here until stop */
    bool stopping;
    int requests, posts;
    char auth[128];
    char body[2048];           /* the last request body */
    char path[256];            /* the last request path */
    char updated_at_min[64], status_arg[16], ids[128];
    /* the next answer, once: a status and body instead of the route's */
    int status;
    const char *answer;
    const char *retry_after;
    bool drop, hang;
};

static struct canned cn;

#define CANNED_NEXT(st, text)                                                   \
    do {                                                                        \
        pthread_mutex_lock(&cn.lock);                                           \
        cn.status = (st);                                                       \
        cn.answer = (text);                                                     \
        pthread_mutex_unlock(&cn.lock);                                         \
    } while (0)

static void copy_arg(char *dst, size_t cap, const char *v)
{
    snprintf(dst, cap, "%s", v != NULL ? v : "");
}

static const char *order_json(int n)
{
    static const char *const orders[] = {
        "{\"id\":" ID26 ",\"name\":\"#1\",\"line_items\":[{\"id\":" ID26B ",\"quantity\":1}]}",
        "{\"id\":\"2\",\"name\":\"#2\",\"line_items\":[{\"id\":21,\"quantity\":2}]}",
        "{\"id\":3,\"name\":\"#3\",\"line_items\":[]}"};

    return orders[n];
}

/* orders.json: three pages, page_info p2 and p3, the last without a link. */
static void answer_orders(const struct http_request *req, struct http_response *resp)
{
    const char *pi = http_query(req, "page_info");
    int page = pi == NULL ? 0 : strcmp(pi, "p2") == 0 ? 1 : 2;
    char link[256];

    buf_appendf(&resp->body, "{\"orders\":[%s]}", order_json(page));
    if (page < 2) {
        snprintf(link, sizeof(link), "<http://elsewhere.example/orders.json?page_info=p0>; "
                 "rel=\"previous\", <http://elsewhere.example/orders.json?limit=1&"
                 "page_info=p%d>; rel=\"next\"", page + 2);
        http_response_header(resp, "link", link);
    }
}

static void answer_route(const struct http_request *req, struct http_response *resp)
{
    const char *p = req->path;
    bool post = strcmp(req->method, "POST") == 0;

    if (strstr(p, "/orders.json") != NULL)
        answer_orders(req, resp);
    else if (strstr(p, "/fulfillments.json") != NULL && post)
        buf_append_str(&resp->body, "{\"fulfillment\":{\"id\":" ID26B ",\"status\":\"success\"}}");
    else if (strstr(p, "/fulfillments.json") != NULL)
        buf_append_str(&resp->body, "{\"fulfillments\":[{\"id\":" ID26B ",\"line_items\":"
                                    "[{\"id\":" ID26 ",\"quantity\":1}],\"tracking_info_list\":"
                                    "[{\"tracking_number\":\"TN1\"}]}]}");
    else if (strstr(p, "/locations/list.json") != NULL)
        buf_append_str(&resp->body, "{\"locations\":[{\"id\":" ID26 ",\"name\":\"WH\"}]}");
    else if (strstr(p, "/products/products.json") != NULL)
        buf_append_str(&resp->body, "{\"products\":[{\"id\":1,\"variants\":[{\"id\":2,"
                                    "\"sku\":\"MUG\",\"inventory_item_id\":" ID26 "}]}]}");
    else if (strstr(p, "/inventory_levels/set.json") != NULL)
        buf_append_str(&resp->body, "{\"inventory_level\":{\"available\":5}}");
    else if (strcmp(p, BASE_PATH "webhooks.json") == 0 && post)
        buf_append_str(&resp->body, "{\"webhook\":{\"id\":" ID26B ",\"topic\":\"orders/paid\"}}");
    else if (strcmp(p, BASE_PATH "webhooks.json") == 0)
        buf_append_str(&resp->body, "{\"webhooks\":[{\"id\":" ID26 ",\"topic\":\"orders/paid\","
                                    "\"address\":\"https://a/webhooks/shopline\","
                                    "\"api_version\":\"v20260301\"}]}");
    else
        resp->status = 404;
}

static void canned_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    char trace[32];
    bool hang;

    pthread_mutex_lock(&cn.lock);
    cn.requests++;
    cn.posts += strcmp(req->method, "POST") == 0;
    copy_arg(cn.auth, sizeof(cn.auth), http_header(req, "Authorization"));
    copy_arg(cn.body, sizeof(cn.body), req->body);
    copy_arg(cn.path, sizeof(cn.path), req->path);
    copy_arg(cn.updated_at_min, sizeof(cn.updated_at_min), http_query(req, "updated_at_min"));
    copy_arg(cn.status_arg, sizeof(cn.status_arg), http_query(req, "status"));
    copy_arg(cn.ids, sizeof(cn.ids), http_query(req, "ids"));
    snprintf(trace, sizeof(trace), "trace-%d", cn.requests);
    resp->status = cn.status != 0 ? cn.status : 200;
    resp->content_type = "application/json; charset=utf-8";
    resp->retry_after = cn.retry_after;
    resp->drop = cn.drop;
    if (cn.answer != NULL)
        buf_append_str(&resp->body, cn.answer);
    else
        answer_route(req, resp);
    hang = cn.hang;
    cn.status = 0;
    cn.answer = NULL;
    cn.retry_after = NULL;
    cn.drop = cn.hang = false;
    while (hang && !cn.stopping)
        pthread_cond_wait(&cn.gate, &cn.lock);
    pthread_mutex_unlock(&cn.lock);
    http_response_header(resp, "traceId", trace);
}

static int canned_start(void **state)
{
    const struct http_server_opts o = {
        .host = "127.0.0.1", .port = 0, .max_body_bytes = 1024 * 1024,
        .handler = canned_handle, .thread_per_connection = true, .quiet = true,
    };
    struct errbuf err = {""};

    memset(&cn, 0, sizeof(cn));
    pthread_mutex_init(&cn.lock, NULL);
    pthread_cond_init(&cn.gate, NULL);
    cn.hs = http_server_start(&o, &err);
    if (cn.hs == NULL)
        return -1;
    cn.port = http_server_port(cn.hs);
    return 0;
}

static int canned_stop(void **state)
{
    pthread_mutex_lock(&cn.lock);
    cn.stopping = true;
    pthread_cond_broadcast(&cn.gate);
    pthread_mutex_unlock(&cn.lock);
    http_server_stop(cn.hs);
    pthread_cond_destroy(&cn.gate);
    pthread_mutex_destroy(&cn.lock);
    return 0;
}

static int canned_reset(void **state)
{
    pthread_mutex_lock(&cn.lock);
    cn.requests = cn.posts = 0;
    pthread_mutex_unlock(&cn.lock);
    return 0;
}

/* ---- clients ---- */

struct hooks {
    int acquired, throttled;
    long last_retry_after_ms;
    enum st answer;
};

static enum st hook_acquire(void *ctx, enum shopline_op op, struct errbuf *err)
{
    struct hooks *h = ctx;

    h->acquired++;
    if (h->answer != ST_OK)
        errbuf_set(err, "no token for %s", shopline_op_name(op));
    return h->answer;
}

static void hook_throttled(void *ctx, enum shopline_op op, long retry_after_ms)
{
    struct hooks *h = ctx;

    h->throttled++;
    h->last_retry_after_ms = retry_after_ms;
}

static struct shopline_client *client_at(int port, struct hooks *h)
{
    char base[96];
    struct shopline_config cfg = {
        .access_token = "tok-123", .allow_insecure_http = true, .timeout_ms = 100,
        .max_pages = 10,
    };
    struct errbuf err = {""};
    struct shopline_client *sc;

    snprintf(base, sizeof(base), "http://127.0.0.1:%d" BASE_PATH, port);
    cfg.api_base = base;
    if (h != NULL) {
        cfg.acquire = hook_acquire;
        cfg.throttled = hook_throttled;
        cfg.limiter_ctx = h;
    }
    sc = shopline_client_create(&cfg, &err);
    assert_non_null(sc);
    return sc;
}

/* ---- tests ---- */

static void test_config(void **state)
{
    struct shopline_config cfg = {.shop_domain = "acme.myshopline.com",
                                  .api_version = "v20260301", .access_token = "t",
                                  .timeout_ms = 1000};
    struct errbuf err = {""};
    struct shopline_client *sc = shopline_client_create(&cfg, &err);

    assert_non_null(sc);
    assert_string_equal(shopline_client_base(sc),
                        "https://acme.myshopline.com/admin/openapi/v20260301");
    shopline_client_destroy(sc);
    cfg.api_base = "http://127.0.0.1:1/x";        /* http only when allowed */
    assert_null(shopline_client_create(&cfg, &err));
    cfg.api_base = NULL;
    cfg.shop_domain = "ac/me.myshopline.com";
    assert_null(shopline_client_create(&cfg, &err));
    cfg.shop_domain = "acme";
    cfg.access_token = "";
    assert_null(shopline_client_create(&cfg, &err));
}

/* The token goes out; all pages come back through the link cursors, on our host. */
static void test_orders_three_pages(void **state)
{
    struct shopline_client *sc = client_at(cn.port, NULL);
    struct shopline_orders_query q = {.updated_at_min = "2026-03-01T10:00:00+08:00",
                                      .limit = 1, .all_pages = true};
    struct shopline_orders o = {0};
    struct shopline_outcome oc;
    char *next = NULL, *cursor;

    assert_int_equal(shopline_get_orders(sc, NULL, &q, &o, &next, &oc), ST_OK);
    assert_int_equal(cn.requests, 3);
    assert_string_equal(cn.auth, "Bearer tok-123");
    assert_int_equal(o.n, 3);
    assert_string_equal(o.items[0].id, ID26);
    assert_string_equal(o.items[0].lines[0].line_id, ID26B);
    assert_string_equal(o.items[2].id, "3");
    assert_null(next);
    assert_string_equal(oc.trace_id, "trace-3");
    shopline_orders_cleanup(&o);
    /* one page at a time: the cursor of the next, then the last */
    canned_reset(state);
    q.all_pages = false;
    assert_int_equal(shopline_get_orders(sc, NULL, &q, &o, &next, &oc), ST_OK);
    assert_string_equal(cn.updated_at_min, "2026-03-01T10:00:00+08:00");
    assert_string_equal(cn.status_arg, "any");
    assert_string_equal(next, "p2");
    q.page_info = cursor = next;
    assert_int_equal(shopline_get_orders(sc, NULL, &q, &o, &next, &oc), ST_OK);
    free(cursor);
    assert_string_equal(next, "p3");
    free(next);
    assert_int_equal(o.n, 2);
    shopline_orders_cleanup(&o);
    shopline_client_destroy(sc);
}

static void test_orders_by_ids(void **state)
{
    struct shopline_client *sc = client_at(cn.port, NULL);
    const char *ids[] = {ID26, "2"};
    struct shopline_orders_query q = {.ids = ids, .n_ids = 2};
    struct shopline_orders o = {0};
    struct shopline_outcome oc;

    assert_int_equal(shopline_get_orders(sc, NULL, &q, &o, NULL, &oc), ST_OK);
    assert_string_equal(cn.ids, ID26 ",2");
    shopline_orders_cleanup(&o);
    ids[1] = "2 OR 1";
    assert_int_equal(shopline_get_orders(sc, NULL, &q, &o, NULL, &oc), ST_FAIL);
    assert_int_equal(oc.reason, SHOPLINE_R_BAD_REQUEST);
    shopline_client_destroy(sc);
}

/* Each status class: its st, its reason, Shopline's errors and the traceId. */
static void test_status_classes(void **state)
{
    static const struct {
        int status;
        const char *body;
        enum st want;
        enum shopline_reason reason;
        const char *errors;
    } cases[] = {
        {429, "{\"errors\":\"Too many request\"}", ST_RETRY, SHOPLINE_R_THROTTLED,
         "Too many request"},
        {500, "{\"errors\":\"boom\"}", ST_RETRY, SHOPLINE_R_SERVER, "boom"},
        {504, "<html>Gateway Timeout</html>", ST_RETRY, SHOPLINE_R_SERVER,
         "<html>Gateway Timeout</html>"},
        {401, "{\"errors\":\"[API] Invalid API key or access token\"}", ST_FAIL,
         SHOPLINE_R_UNAUTHORIZED, "[API] Invalid API key or access token"},
        {402, "{\"errors\":\"Unavailable Shop\"}", ST_FAIL, SHOPLINE_R_FROZEN, "Unavailable Shop"},
        {404, "{\"errors\":\"Not Found\"}", ST_FAIL, SHOPLINE_R_NOT_FOUND, "Not Found"},
        {422, "{\"errors\":{\"line_items\":[\"already fulfilled\"]}}", ST_FAIL,
         SHOPLINE_R_INVALID, "line_items: already fulfilled"},
        {423, "{\"errors\":[\"Shop locked\"]}", ST_FAIL, SHOPLINE_R_LOCKED, "Shop locked"},
        {418, "", ST_FAIL, SHOPLINE_R_HTTP, ""},
        {200, "{\"locations\":7}", ST_FAIL, SHOPLINE_R_BAD_REPLY, ""},
    };
    struct hooks h = {0};
    struct shopline_client *sc = client_at(cn.port, &h);
    struct shopline_locations l = {0};
    struct shopline_outcome oc;
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        CANNED_NEXT(cases[i].status, cases[i].body);
        assert_int_equal(shopline_get_locations(sc, NULL, &l, &oc), cases[i].want);
        assert_int_equal(oc.reason, cases[i].reason);
        assert_int_equal(oc.http_status, cases[i].status);
        assert_string_equal(oc.errors, cases[i].errors);
        assert_int_equal(oc.throttled, cases[i].status == 429);
        assert_false(oc.unknown);                 /* reads are never unknown */
        assert_non_null(strstr(oc.trace_id, "trace-"));
        assert_non_null(strstr(oc.err.msg, oc.trace_id));
    }
    assert_int_equal(l.n, 0);
    /* the 429 came without Retry-After, and the limiter heard of it */
    assert_int_equal(h.throttled, 1);
    assert_int_equal(h.last_retry_after_ms, -1);
    assert_int_equal(h.acquired, (int)ARRAY_LEN(cases));
    shopline_client_destroy(sc);
}

/* A Retry-After, should one ever come, is honoured; a refused token sends nothing. */
static void test_retry_after_and_limiter(void **state)
{
    struct hooks h = {0};
    struct shopline_client *sc = client_at(cn.port, &h);
    struct shopline_locations l = {0};
    struct shopline_outcome oc;
    struct shopline_stats st;

    pthread_mutex_lock(&cn.lock);
    cn.retry_after = "3";
    pthread_mutex_unlock(&cn.lock);
    CANNED_NEXT(429, "{\"errors\":\"Too many request\"}");
    assert_int_equal(shopline_get_locations(sc, NULL, &l, &oc), ST_RETRY);
    assert_true(oc.throttled);
    assert_int_equal(oc.retry_after_ms, 3000);
    assert_int_equal(h.last_retry_after_ms, 3000);
    canned_reset(state);
    h.answer = ST_RETRY;
    assert_int_equal(shopline_get_locations(sc, NULL, &l, &oc), ST_RETRY);
    assert_int_equal(oc.reason, SHOPLINE_R_LIMITER);
    assert_non_null(strstr(oc.err.msg, "no token for get_locations"));
    assert_int_equal(cn.requests, 0);
    shopline_client_stats(sc, &st);
    assert_int_equal(st.requests[SHOPLINE_OP_GET_LOCATIONS], 1);
    assert_int_equal(st.errors[SHOPLINE_R_LIMITER], 1);
    shopline_client_destroy(sc);
}

/* Ids in as text, out as the same digits; the new fulfillment's id comes back exact. */
static void test_create_fulfillment(void **state)
{
    struct shopline_client *sc = client_at(cn.port, NULL);
    const struct shopline_line_qty lines[] = {{ID26B, 2}};
    const struct shopline_tracking tr[] = {{"TN1", "DHL", NULL}};
    const struct shopline_fulfillment_req req = {ID26, lines, 1, tr, 1, false};
    struct shopline_fulfillments f = {0};
    struct shopline_outcome oc;
    char *id;

    assert_int_equal(shopline_create_fulfillment(sc, NULL, &req, &id, &oc), ST_OK);
    assert_string_equal(id, ID26B);
    free(id);
    assert_string_equal(cn.path, BASE_PATH "orders/" ID26 "/fulfillments.json");
    assert_non_null(strstr(cn.body, "{\"id\":" ID26B ",\"quantity\":2}"));
    assert_non_null(strstr(cn.body, "\"notify_customer\":false"));
    assert_int_equal(shopline_list_fulfillments(sc, NULL, ID26, &f, &oc), ST_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.items[0].lines[0].line_id, ID26);
    assert_string_equal(f.items[0].tracking_numbers[0], "TN1");
    shopline_fulfillments_cleanup(&f);
    /* a 5xx on a write: it may have been applied */
    CANNED_NEXT(502, "");
    assert_int_equal(shopline_create_fulfillment(sc, NULL, &req, &id, &oc), ST_RETRY);
    assert_true(oc.unknown);
    shopline_client_destroy(sc);
}

/* The reply to a create is lost: unknown, and the server saw exactly one POST. */
static void test_dropped_create_is_unknown(void **state)
{
    struct shopline_client *sc = client_at(cn.port, NULL);
    const struct shopline_line_qty lines[] = {{ID26B, 1}};
    const struct shopline_fulfillment_req req = {ID26, lines, 1, NULL, 0, true};
    struct shopline_locations l = {0};
    struct shopline_outcome oc;
    CURL *curl = curl_easy_init();
    char *id;

    /* a kept-alive connection libcurl could re-send on */
    assert_int_equal(shopline_get_locations(sc, curl, &l, &oc), ST_OK);
    shopline_locations_cleanup(&l);
    canned_reset(state);
    pthread_mutex_lock(&cn.lock);
    cn.drop = true;
    pthread_mutex_unlock(&cn.lock);
    assert_int_equal(shopline_create_fulfillment(sc, curl, &req, &id, &oc), ST_RETRY);
    assert_int_equal(oc.reason, SHOPLINE_R_TRANSPORT);
    assert_true(oc.unknown);
    assert_null(id);
    assert_int_equal(cn.posts, 1);
    assert_int_equal(cn.requests, 1);
    curl_easy_cleanup(curl);
    shopline_client_destroy(sc);
}

/* Refused before connecting: a write was never sent, so it is not unknown. Timeout: retry. */
static void test_transport_errors(void **state)
{
    struct shopline_client *gone;
    struct shopline_client *sc = client_at(cn.port, NULL);
    struct http_server_opts o = {.host = "127.0.0.1", .handler = canned_handle,
                                 .thread_per_connection = true, .quiet = true};
    struct errbuf err = {""};
    struct http_server *tmp = http_server_start(&o, &err);
    const struct shopline_line_qty lines[] = {{ID26B, 1}};
    const struct shopline_fulfillment_req req = {ID26, lines, 1, NULL, 0, true};
    struct shopline_fulfillments f = {0};
    struct shopline_outcome oc;
    char *id;

    assert_non_null(tmp);
    gone = client_at(http_server_port(tmp), NULL);
    http_server_stop(tmp);                     /* nothing listens there any more */
    assert_int_equal(shopline_create_fulfillment(gone, NULL, &req, &id, &oc), ST_RETRY);
    assert_int_equal(oc.reason, SHOPLINE_R_TRANSPORT);
    assert_false(oc.unknown);
    shopline_client_destroy(gone);
    pthread_mutex_lock(&cn.lock);
    cn.hang = true;
    pthread_mutex_unlock(&cn.lock);
    assert_int_equal(shopline_list_fulfillments(sc, NULL, ID26, &f, &oc), ST_RETRY);
    assert_int_equal(oc.reason, SHOPLINE_R_TRANSPORT);
    assert_false(oc.unknown);
    shopline_client_destroy(sc);
}

static void test_products_and_inventory(void **state)
{
    struct shopline_client *sc = client_at(cn.port, NULL);
    struct shopline_variants v = {0};
    struct shopline_outcome oc;
    char *next = NULL;

    assert_int_equal(shopline_get_products(sc, NULL, 0, NULL, true, &v, &next, &oc), ST_OK);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.items[0].sku, "MUG");
    assert_string_equal(v.items[0].inventory_item_id, ID26);
    shopline_variants_cleanup(&v);
    assert_int_equal(shopline_get_products(sc, NULL, 251, NULL, true, &v, &next, &oc), ST_FAIL);
    assert_int_equal(oc.reason, SHOPLINE_R_BAD_REQUEST);
    assert_int_equal(shopline_set_inventory_level(sc, NULL, ID26, "77", 5, &oc), ST_OK);
    assert_string_equal(cn.body,
                        "{\"inventory_item_id\":\"" ID26 "\",\"location_id\":\"77\",\"available\":5}");
    shopline_client_destroy(sc);
}

/* inventory_levels.json: one request per batch; bad batches are refused unsent. */
static void test_inventory_levels(void **state)
{
    static const char *const items[] = {ID26, "12"};
    static const char *const locs[] = {"77"};
    static const char *const bad_id[] = {"12x"};
    const char *many[SHOPLINE_MAX_LEVEL_IDS + 1];
    struct shopline_client *sc = client_at(cn.port, NULL);
    struct shopline_levels l = {0};
    struct shopline_outcome oc;
    int before;

    (void)state;
    CANNED_NEXT(200, "{\"inventory_levels\":[{\"inventory_item_id\":\"" ID26 "\","
                     "\"location_id\":\"77\",\"available\":4}]}");
    assert_int_equal(shopline_get_inventory_levels(sc, NULL, items, 2, locs, 1, &l, &oc), ST_OK);
    assert_string_equal(cn.path, BASE_PATH "inventory_levels.json");
    assert_int_equal(l.n, 1);
    assert_int_equal(l.items[0].available, 4);
    for (size_t i = 0; i < ARRAY_LEN(many); i++)
        many[i] = "5";
    before = cn.requests;
    assert_int_equal(shopline_get_inventory_levels(sc, NULL, many, ARRAY_LEN(many), locs, 1, &l,
                                                   &oc),
                     ST_FAIL);
    assert_int_equal(oc.reason, SHOPLINE_R_BAD_REQUEST);
    assert_int_equal(shopline_get_inventory_levels(sc, NULL, items, 0, locs, 1, &l, &oc),
                     ST_FAIL);
    assert_int_equal(shopline_get_inventory_levels(sc, NULL, items, 2, bad_id, 1, &l, &oc),
                     ST_FAIL);
    assert_int_equal(cn.requests, before);       /* none was sent */
    assert_int_equal(l.n, 1);
    shopline_levels_cleanup(&l);
    shopline_client_destroy(sc);
}

static void test_webhooks(void **state)
{
    struct shopline_client *sc = client_at(cn.port, NULL);
    struct shopline_webhooks w = {NULL, 0, 0};
    struct shopline_outcome oc;
    char *id = NULL;

    (void)state;
    assert_int_equal(shopline_list_webhooks(sc, NULL, &w, &oc), ST_OK);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.items[0].id, ID26);
    assert_string_equal(w.items[0].address, "https://a/webhooks/shopline");
    shopline_webhooks_cleanup(&w);
    assert_int_equal(shopline_create_webhook(sc, NULL, "https://a/webhooks/shopline",
                                             "orders/paid", "v20260301", &id, &oc), ST_OK);
    assert_string_equal(id, ID26B);
    free(id);
    assert_string_equal(cn.path, BASE_PATH "webhooks.json");
    assert_string_equal(cn.body, "{\"webhook\":{\"address\":\"https://a/webhooks/shopline\","
                                 "\"topic\":\"orders/paid\",\"api_version\":\"v20260301\"}}");
    /* refused before sending: no topic */
    assert_int_equal(shopline_create_webhook(sc, NULL, "https://a", "", "v20260301", &id, &oc),
                     ST_FAIL);
    assert_int_equal(oc.reason, SHOPLINE_R_BAD_REQUEST);
    assert_null(id);
    CANNED_NEXT(422, "{\"errors\":\"address is invalid\"}");
    assert_int_equal(shopline_create_webhook(sc, NULL, "https://a", "orders/paid", "v20260301",
                                             &id, &oc), ST_FAIL);
    assert_int_equal(oc.reason, SHOPLINE_R_INVALID);
    assert_string_equal(oc.errors, "address is invalid");
    shopline_client_destroy(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test_setup(test_orders_three_pages, canned_reset),
        cmocka_unit_test_setup(test_orders_by_ids, canned_reset),
        cmocka_unit_test_setup(test_status_classes, canned_reset),
        cmocka_unit_test_setup(test_retry_after_and_limiter, canned_reset),
        cmocka_unit_test_setup(test_create_fulfillment, canned_reset),
        cmocka_unit_test_setup(test_dropped_create_is_unknown, canned_reset),
        cmocka_unit_test_setup(test_transport_errors, canned_reset),
        cmocka_unit_test_setup(test_products_and_inventory, canned_reset),
        cmocka_unit_test_setup(test_inventory_levels, canned_reset),
        cmocka_unit_test_setup(test_webhooks, canned_reset),
    };

    return cmocka_run_group_tests(tests, canned_start, canned_stop);
}
