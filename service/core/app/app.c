/*
 * app.c - HTTP routes of the service (see app.h).
 *
 * The webhook route is the hot path: verify the signature over the raw
 * bytes, then hand the delivery to intake and answer once the group
 * commit that holds it returned (intake_group.h: deliveries arriving
 * together share one transaction and one COMMIT).
 * Nothing here calls an outside API. Labels fed from outside (topics) are
 * mapped to a closed set before they reach the metrics registry.
 *
 * Two listeners, two route tables: the public one (what the internet
 * reaches) serves only the webhooks, and takes a body only from a POST
 * whose signature header is well formed (app_admit); the operations one
 * serves the probes and /metrics and never takes a body. A flood on the
 * public port therefore never delays a probe. The operations listener also
 * carries the admin API (/api/v1/, api.h), whose writes are the only
 * bodies it reads: api_admit lets one in only for an authenticated
 * operator's write, at most API_MAX_BODY_BYTES. The web page (/ops/,
 * console.h) adds the one unauthenticated body: a login's, at most
 * CONSOLE_LOGIN_MAX_BYTES, from a client within the login limiter.
 *
 * The Peoplevox nudge is a hint: Peoplevox's event callbacks are unsigned,
 * so the only secret is the token in the URL, compared in constant time
 * (SHA-256 of both, CRYPTO_memcmp: neither content nor length leaks) and
 * never written to the access log. A good token brings the despatch poll's
 * schedule forward with one UPDATE (cursor_store_bring_forward): the
 * leader's next tick, within a second, enqueues the poll, whichever
 * replica took the nudge; NUDGE_GAP_S coalesces a flood into at most one
 * extra poll per gap. The poll itself runs on a worker, as always. An
 * AvailabilityChanges callback names its item (?ItemCode={ItemCode} in the
 * subscribed URL): the code is queued (one upsert into inventory_hints)
 * for the next sync_inventory, which reads only the hinted items; a flood
 * of one item is one row.
 */
#include "app.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "console.h"
#include "cursor_store.h"
#include "intake.h"
#include "intake_apply.h"
#include "intake_group.h"
#include "inventory_jobs.h"
#include "log.h"
#include "metrics.h"
#include "webhook.h"

#define DB_ACQUIRE_TIMEOUT_MS 2000
#define NUDGE_PREFIX "/webhooks/peoplevox/"
#define NUDGE_TASK "poll_despatches"   /* the scheduler's task (scheduler.h) */
#define NUDGE_GAP_S 5                  /* at most one nudged poll this often */
#define NUDGE_ACQUIRE_TIMEOUT_MS 500   /* a hint is not worth a long wait */

struct app {
    const struct cfg *cfg;
    struct store_pool *pool;
    struct api *api;          /* /api/v1/ on the ops listener */
    struct console *console;  /* /ops/: the web page, whose sessions the API accepts */
    struct intake_group *intake; /* the webhooks' group commit */
    struct intake_applier *applier; /* the pending inbox's order logic (intake_apply.h) */
    unsigned char nudge_digest[SHA256_DIGEST_LENGTH]; /* of PEOPLEVOX_WEBHOOK_TOKEN */
};

void app_metrics_describe(void)
{
    metrics_describe("shopvox_webhooks_total", MET_COUNTER,
                     "Shopline webhooks received by topic and outcome");
    metrics_describe("shopvox_webhooks_applied_total", MET_COUNTER,
                     "Webhooks answered as accepted whose order logic ran since, by outcome");
    metrics_describe("shopvox_http_request_duration_seconds", MET_HISTOGRAM,
                     "HTTP request duration by route");
    metrics_describe("shopvox_db_errors_total", MET_COUNTER,
                     "Database errors (unavailable or failed statements) by operation");
    metrics_describe("shopvox_exceptions_raised_total", MET_COUNTER,
                     "Exceptions opened by type");
    metrics_describe("shopvox_peoplevox_nudges_total", MET_COUNTER,
                     "Peoplevox nudges by outcome (accepted, rejected: wrong token or none "
                     "configured, failed: no database)");
}

struct app *app_create(const struct cfg *cfg)
{
    struct app *a = xcalloc(1, sizeof(*a));

    a->cfg = cfg;
    struct errbuf err = {""};

    /* nudges and probes (webhooks go through the committers' own connections) */
    a->pool = store_pool_create(cfg->database_url,
                                (cfg->http_threads < 4 ? cfg->http_threads : 4) +
                                    APP_OPS_THREADS + 1);
    a->intake = intake_group_create(cfg->database_url, cfg->intake_committers,
                                    cfg->intake_group_max);
    if (cfg->intake_defer_at > 0) {
        const struct intake_apply_cfg ac = {cfg->shop_domain, cfg->paid_statuses,
                                            cfg->returns_mode, cfg->intake_group_max,
                                            APP_APPLY_POLL_MS, cfg->intake_committers};

        a->applier = intake_applier_create(cfg->database_url, &ac);
        intake_group_defer(a->intake, cfg->intake_defer_at, a->applier);
    }
    a->api = api_create(cfg, a->pool, &err);
    a->console = console_create(cfg, a->pool, &err);
    if (a->api == NULL || a->console == NULL) /* cfg_load checked the tokens: not reached */
        abort();
    api_set_session_hook(a->api, console_session_hook, a->console);
    SHA256((const unsigned char *)cfg->pvx_webhook_token, strlen(cfg->pvx_webhook_token),
           a->nudge_digest);
    app_metrics_describe();
    return a;
}

void app_destroy(struct app *a)
{
    if (a == NULL)
        return;
    api_destroy(a->api);
    console_destroy(a->console);
    intake_group_destroy(a->intake);
    intake_applier_destroy(a->applier);
    store_pool_destroy(a->pool);
    free(a);
}

static const char *topic_label(const char *topic)
{
    static const char *const known[] = {
        "orders/create",   "orders/updated", "orders/paid",          "orders/cancelled",
        "refunds/create",  "return/create",  "return/update",        "apps/installed_uninstalled",
        "products/update", "inventory_items/update"};

    for (size_t i = 0; topic != NULL && i < ARRAY_LEN(known); i++)
        if (strcmp(topic, known[i]) == 0)
            return known[i];
    return "other";
}

static void count_webhook(const char *topic, const char *outcome)
{
    char labels[128];

    snprintf(labels, sizeof(labels), "topic=\"%s\",outcome=\"%s\"", topic_label(topic), outcome);
    metrics_inc("shopvox_webhooks_total", labels);
}

static void count_db_error(const char *op)
{
    char labels[64];

    snprintf(labels, sizeof(labels), "op=\"%s\"", op);
    metrics_inc("shopvox_db_errors_total", labels);
}

/* The X-Shopline-* headers worth keeping with the event, as JSON. */
static char *headers_json(const struct http_request *req)
{
    static const char *const names[] = {"X-Shopline-Topic",       "X-Shopline-Shop-Domain",
                                        "X-Shopline-Shop-Id",     "X-Shopline-Merchant-Id",
                                        "X-Shopline-API-Version", "X-Shopline-Webhook-Id"};
    struct json_object *o = json_object_new_object();
    char *s;

    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        const char *v = http_header(req, names[i]);

        if (v != NULL)
            json_object_object_add(o, names[i], json_object_new_string(v));
    }
    s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

/* Without a delivery id the body digest stands in, so a resend still dedupes. */
static void webhook_id(const struct http_request *req, char *out, size_t n)
{
    const char *id = http_header(req, "X-Shopline-Webhook-Id");
    unsigned char digest[SHA256_DIGEST_LENGTH];
    size_t o;

    if (id != NULL && *id != '\0' && strlen(id) < 200) {
        snprintf(out, n, "%s", id);
        return;
    }
    SHA256((const unsigned char *)req->body, req->body_len, digest);
    o = (size_t)snprintf(out, n, "sha256:");
    for (size_t i = 0; i < sizeof(digest) && o + 3 <= n; i++)
        o += (size_t)snprintf(out + o, n - o, "%02x", digest[i]);
}

static void webhook_store(struct app *a, const struct http_request *req, const char *topic,
                          struct http_response *resp)
{
    const char *shop = http_header(req, "X-Shopline-Shop-Domain");
    bool other = shop != NULL && *shop != '\0' && strcasecmp(shop, a->cfg->shop_domain) != 0;
    char wid[256];
    char *headers = headers_json(req);
    struct intake_request ir = {other ? shop : a->cfg->shop_domain, wid, topic,
                                http_header(req, "X-Shopline-API-Version"), headers, req->body,
                                req->body_len, a->cfg->paid_statuses, other,
                                a->cfg->returns_mode, NULL};
    struct intake_result res;
    struct errbuf err = {""};
    enum st st;

    webhook_id(req, wid, sizeof(wid));
    st = intake_group_submit(a->intake, &ir, DB_ACQUIRE_TIMEOUT_MS, &res, &err);
    free(headers);
    if (st != ST_OK) {
        count_db_error("webhook");
        log_event(LOG_ERROR, "webhook_not_stored", "topic", topic_label(topic), "status",
                  st_name(st), "error", err.msg, NULL);
        http_reply_json_msg(resp, st == ST_RETRY ? 503 : 500, "error",
                            "could not store the webhook; retry later");
        return;
    }
    count_webhook(topic, intake_outcome_name(res.outcome));
    resp->status = 200;
    resp->content_type = "application/json";
    buf_appendf(&resp->body, "{\"outcome\":\"%s\"%s%s%s}\n", intake_outcome_name(res.outcome),
                res.order_state[0] ? ",\"order_state\":\"" : "", res.order_state,
                res.order_state[0] ? "\"" : "");
}

static void route_webhook(struct app *a, const struct http_request *req,
                          struct http_response *resp)
{
    const char *topic = http_header(req, "X-Shopline-Topic");
    enum whk_verify v;

    resp->route = "webhook";
    if (strcmp(req->method, "POST") != 0) {
        resp->allow = "POST";
        http_reply_json_msg(resp, 405, "error", "method not allowed");
        return;
    }
    v = whk_verify(http_header(req, "X-Shopline-Hmac-Sha256"), req->body, req->body_len,
                   a->cfg->app_secret, a->cfg->app_secret_previous);
    if (v != WHK_VERIFY_OK) {
        count_webhook(topic, "rejected_signature");
        log_event(LOG_WARN, "webhook_rejected", "reason", whk_verify_name(v), "topic",
                  topic_label(topic), NULL);
        http_reply_json_msg(resp, 401, "error", "invalid webhook signature");
        return;
    }
    webhook_store(a, req, topic != NULL ? topic : "", resp);
}

static void route_not_found(struct http_response *resp)
{
    resp->route = "not_found";
    http_reply_json_msg(resp, 404, "error", "not found");
}

static void count_nudge(const char *outcome)
{
    char labels[48];

    snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
    metrics_inc("shopvox_peoplevox_nudges_total", labels);
}

/* Whether token is PEOPLEVOX_WEBHOOK_TOKEN (set), in time independent of both. */
static bool nudge_token_ok(const struct app *a, const char *token)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)token, strlen(token), digest);
    return CRYPTO_memcmp(digest, a->nudge_digest, sizeof(digest)) == 0 &&
           a->cfg->pvx_webhook_token[0] != '\0';
}

/*
 * A nudge's answer: 200 whatever the database said (a hint is never worth
 * a redelivery), ok_text when it was stored; 400 when the hint itself was
 * refused (ST_FAIL: not an item code).
 */
static void nudge_answer(enum st st, bool connected, const struct errbuf *err,
                         const char *ok_text, struct http_response *resp)
{
    if (st == ST_FAIL) {
        count_nudge("rejected");
        http_reply_json_msg(resp, 400, "error", err->msg);
        return;
    }
    if (st != ST_OK) {
        count_db_error("nudge");
        log_event(LOG_WARN, "nudge_not_stored", "error", connected ? err->msg : "no connection",
                  NULL);
    }
    count_nudge(st == ST_OK ? "accepted" : "failed");
    http_reply_json_msg(resp, 200, "status", st == ST_OK ? ok_text : "noted");
}

/*
 * POST|GET /webhooks/peoplevox/{token}: bring the despatch poll forward,
 * or, for an AvailabilityChanges callback (?ItemCode=...), queue that
 * item for the next inventory read.
 */
static void route_nudge(struct app *a, const struct http_request *req,
                        struct http_response *resp)
{
    struct store_conn *c;
    struct errbuf err = {""};
    enum st st = ST_RETRY;
    const char *item_code = http_query(req, "ItemCode");

    resp->route = "peoplevox_nudge";
    resp->log_path = NUDGE_PREFIX "***";
    if (!nudge_token_ok(a, req->path + strlen(NUDGE_PREFIX))) {
        count_nudge("rejected");
        route_not_found(resp);
        resp->route = "peoplevox_nudge";
        return;
    }
    if (strcmp(req->method, "POST") != 0 && strcmp(req->method, "GET") != 0) {
        resp->allow = "GET, POST";
        http_reply_json_msg(resp, 405, "error", "method not allowed");
        return;
    }
    c = store_pool_acquire(a->pool, NUDGE_ACQUIRE_TIMEOUT_MS);
    if (c != NULL && item_code != NULL)
        st = inventory_hint(c, a->cfg->shop_domain, item_code, &err);
    else if (c != NULL)
        st = cursor_store_bring_forward(c, NUDGE_TASK, a->cfg->despatch_poll_s, NUDGE_GAP_S,
                                        &err);
    store_pool_release(a->pool, c);
    nudge_answer(st, c != NULL, &err, item_code != NULL ? "item queued" : "poll brought forward",
                 resp);
}

/* Ready = database reachable and its schema exactly what this binary knows. */
static void route_readyz(struct app *a, struct http_response *resp)
{
    struct store_conn *c = store_pool_acquire(a->pool, DB_ACQUIRE_TIMEOUT_MS);
    struct schema_status ss = {-1, -1, 0};
    struct errbuf err = {""};
    enum st st = ST_RETRY;
    char msg[160];

    resp->route = "readyz";
    if (c != NULL)
        st = store_schema_status(c, a->cfg->sql_dir, &ss, &err);
    store_pool_release(a->pool, c);
    if (st != ST_OK) {
        count_db_error("readyz");
        http_reply_json_msg(resp, 503, "status", "database unavailable");
        return;
    }
    if (ss.db_version != ss.code_version) {
        snprintf(msg, sizeof(msg), "schema version %d, this binary expects %d", ss.db_version,
                 ss.code_version);
        http_reply_json_msg(resp, 503, "status", msg);
        return;
    }
    http_reply_json_msg(resp, 200, "status", "ready");
}

/* Memory only: the database gauges are refreshed off the request path (gauges.c). */
static void route_metrics(struct http_response *resp)
{
    resp->route = "metrics";
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_render(&resp->body);
}

void app_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    if (strcmp(req->path, "/webhooks/shopline") == 0)
        route_webhook(ctx, req, resp);
    else if (strncmp(req->path, NUDGE_PREFIX, strlen(NUDGE_PREFIX)) == 0)
        route_nudge(ctx, req, resp);
    else
        route_not_found(resp);
}

bool app_admit(void *ctx, const struct http_request *req, struct http_response *resp)
{
    if (strcmp(req->path, "/webhooks/shopline") == 0 && strcmp(req->method, "POST") == 0 &&
        whk_signature_well_formed(http_header(req, "X-Shopline-Hmac-Sha256")))
        return true;
    app_handle(ctx, req, resp); /* its answer without a body: 405, 401, 404 or a nudge's 200 */
    return false;
}

void app_handle_ops(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct app *a = ctx;
    bool known = strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/readyz") == 0 ||
                 strcmp(req->path, "/metrics") == 0;

    if (api_owns_path(req->path)) {
        api_handle(a->api, req, resp);
    } else if (console_owns_path(req->path)) {
        console_handle(a->console, req, resp);
    } else if (!known) {
        route_not_found(resp);
    } else if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        resp->route = "ops";
        resp->allow = "GET, HEAD";
        http_reply_json_msg(resp, 405, "error", "method not allowed");
    } else if (strcmp(req->path, "/healthz") == 0) {
        resp->route = "healthz";
        http_reply_json_msg(resp, 200, "status", "alive");
    } else if (strcmp(req->path, "/readyz") == 0) {
        route_readyz(a, resp);
    } else {
        route_metrics(resp);
    }
}

bool app_admit_ops(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct app *a = ctx;

    if (api_owns_path(req->path))
        return api_admit(a->api, req, resp); /* an operator's write only */
    if (console_owns_path(req->path))
        return console_admit(a->console, req, resp); /* a login's small body only */
    app_handle_ops(ctx, req, resp);
    return false;
}

struct api *app_api(struct app *a)
{
    return a->api;
}
