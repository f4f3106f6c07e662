/*
 * slf_server.c - the fake SHOPLINE Admin API as a server: start and stop,
 * the order in which a call is judged, and answers in SHOPLINE's dialect.
 *
 * A call outside /_sandbox/ goes through, in order: the path (404 {"errors":
 * "Not Found"} unless /admin/openapi/vYYYYMMDD/...json), the Bearer token
 * (401), the leaky bucket (429 {"errors":"Too many request"}, no
 * Retry-After: SHOPLINE sends none), then the shared faults (see
 * sbx_fake_take_fault: the shared rate limit and 429 answer like the
 * bucket, 500 {"errors":"Internal Server Error"}, a hang), latency, and the
 * endpoint itself under the lock. drop_after_apply is consumed only by a
 * write that was applied (HTTP 200), which then goes unanswered. Every
 * answer carries a fresh traceId header, as SHOPLINE's do.
 *
 * The bucket: each call pours one request in, the bucket drains
 * rate_per_sec requests a second on the fake's clock, and a call that
 * would overflow burst is refused without pouring (so a client that
 * waits 1/rate s gets the next call through).
 *
 * The traffic record: every call past the path check is an arrival, kept
 * with its time (refused or not), so a test or a benchmark reads the rate
 * the store saw (GET /_sandbox/traffic) over a whole run, not only the
 * recent calls of the shared call log.
 */
#include "slf_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "../sandbox_faults.h"

#define SLF_BASE "/admin/openapi/"

void slf_reply_json(struct http_response *resp, int status, struct json_object *o)
{
    resp->status = status;
    resp->content_type = "application/json; charset=utf-8";
    buf_reset(&resp->body);
    buf_append_str(&resp->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

void slf_reply_errors(struct http_response *resp, int status, const char *msg)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "errors", json_object_new_string(msg));
    slf_reply_json(resp, status, o);
}

bool slf_bucket_take(struct slf_bucket *b, int64_t now_ms)
{
    int64_t drained;

    if (b->burst <= 0)
        return true;
    drained = (now_ms - b->at_ms) * b->rate_per_sec; /* thousandths: ms x req/s */
    b->at_ms = now_ms;
    b->level_milli = drained >= b->level_milli ? 0 : b->level_milli - drained;
    if (b->level_milli + 1000 > (int64_t)b->burst * 1000) {
        b->refused++;
        return false;
    }
    b->level_milli += 1000;
    return true;
}

void slf_traffic_add(struct slf_traffic *t, int64_t now_ms)
{
    t->requests++;
    if (t->n == t->cap && t->cap < SLF_TRAFFIC_MAX) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        if (t->cap > SLF_TRAFFIC_MAX)
            t->cap = SLF_TRAFFIC_MAX;
        t->at_ms = xrealloc(t->at_ms, t->cap * sizeof(*t->at_ms));
    }
    if (t->n < t->cap)
        t->at_ms[t->n++] = now_ms;
}

long slf_traffic_busiest(const struct slf_traffic *t, int64_t window_ms)
{
    size_t first = 0;
    long most = 0;

    for (size_t k = 0; k < t->n; k++) {
        while (t->at_ms[first] <= t->at_ms[k] - window_ms)
            first++;
        if ((long)(k - first + 1) > most)
            most = (long)(k - first + 1);
    }
    return most;
}

void slf_traffic_reset(struct slf_traffic *t)
{
    free(t->at_ms);
    memset(t, 0, sizeof(*t));
}

/* "vYYYYMMDD/" after the base: the rest of the path, or NULL. */
static const char *slf_path_rest(const char *path)
{
    const char *v = path + strlen(SLF_BASE);
    size_t n = strlen(path);

    if (strncmp(path, SLF_BASE, strlen(SLF_BASE)) != 0 || n < 5 ||
        strcmp(path + n - 5, ".json") != 0 || v[0] != 'v')
        return NULL;
    for (int i = 1; i <= 8; i++) {
        if (!isdigit((unsigned char)v[i]))
            return NULL;
    }
    return v[9] == '/' ? v + 10 : NULL;
}

static bool slf_token_ok(const struct sandbox_shopline *sb, const struct http_request *req)
{
    const char *auth = http_header(req, "Authorization");

    return auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0 &&
           strcmp(auth + 7, sb->cfg.token) == 0;
}

/* The checks before the fault counts: 0 to go on, else the answer is in resp. */
static int slf_admit(struct sandbox_shopline *sb, const struct http_request *req,
                     const char *op, struct http_response *resp)
{
    int code = 0;

    pthread_mutex_lock(&sb->fake.lock);
    slf_traffic_add(&sb->traffic, sbx_fake_now_ms(&sb->fake));
    if (!slf_token_ok(sb, req))
        code = 401;
    else if (!slf_bucket_take(&sb->bucket, sbx_fake_now_ms(&sb->fake)))
        code = 429;
    if (code == 429)
        sb->traffic.refused++;
    if (code != 0)
        sbx_fake_log_call(&sb->fake, op, NULL, 0, 0, code);
    pthread_mutex_unlock(&sb->fake.lock);
    if (code == 401)
        slf_reply_errors(resp, 401, "[API] Invalid API key or access token "
                                    "(unrecognized login or wrong password)");
    else if (code == 429)
        slf_reply_errors(resp, 429, "Too many request");
    return code;
}

/* The shared faults in SHOPLINE's dialect: true when one answered. */
static bool slf_fault(struct sandbox_shopline *sb, const char *op, struct http_response *resp,
                      long *delay_ms)
{
    switch (sbx_fake_take_fault(&sb->fake, op, delay_ms)) {
    case SBX_FAULT_BUSY:
    case SBX_FAULT_429:
        pthread_mutex_lock(&sb->fake.lock);
        sb->traffic.refused++;
        pthread_mutex_unlock(&sb->fake.lock);
        slf_reply_errors(resp, 429, "Too many request");
        return true;
    case SBX_FAULT_500:
        slf_reply_errors(resp, 500, "Internal Server Error");
        return true;
    case SBX_FAULT_HANG:
        sbx_fake_hang(&sb->fake, resp);
        return true;
    case SBX_FAULT_NONE:
        break;
    }
    return false;
}

static void slf_handle_api(struct sandbox_shopline *sb, const struct http_request *req,
                           const char *rest, struct http_response *resp)
{
    const char *op = slf_api_op(req->method, rest);
    struct slf_call call = {.op = op};
    long delay_ms = 0;

    if (slf_admit(sb, req, op, resp) != 0 || slf_fault(sb, op, resp, &delay_ms))
        return;
    sbx_fake_wait_ms(&sb->fake, delay_ms);
    pthread_mutex_lock(&sb->fake.lock);
    slf_api_run(sb, req, rest, resp, &call);
    resp->drop = call.is_write && resp->status == 200 && sbx_fake_take_drop(&sb->fake);
    sbx_fake_log_call(&sb->fake, op, rest, call.rows, 0, resp->drop ? 0 : resp->status);
    pthread_mutex_unlock(&sb->fake.lock);
}

/* The serve hook: every path outside /_sandbox/. */
static void slf_serve(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct sandbox_shopline *sb = ctx;
    const char *rest = slf_path_rest(req->path);
    char trace[40];
    long seq;

    buf_init(&resp->body, SLF_MAX_RESPONSE_BYTES); /* still empty: cap the server's buffer */
    pthread_mutex_lock(&sb->fake.lock);
    seq = ++sb->next_trace;
    pthread_mutex_unlock(&sb->fake.lock);
    snprintf(trace, sizeof(trace), "5a4e%012lx%016lx", (unsigned long)sbx_fake_port(&sb->fake),
             (unsigned long)seq);
    http_response_header(resp, "traceId", trace);
    if (rest == NULL)
        slf_reply_errors(resp, 404, "Not Found");
    else
        slf_handle_api(sb, req, rest, resp);
}

static void slf_config_init(struct slf_config *c, const struct sandbox_shopline_opts *o)
{
    c->token = xstrdup(o->access_token ? o->access_token : "shpat_sandbox");
    c->shop_domain = xstrdup(o->shop_domain ? o->shop_domain : "sandbox.myshopline.com");
    c->app_secret = xstrdup(o->app_secret ? o->app_secret : "sandbox-app-secret");
    c->webhook_url = xstrdup(o->webhook_url);
    c->api_version = xstrdup(o->api_version ? o->api_version : "v20260301");
    c->seed = !o->no_seed;
    c->utc_offset_min = o->utc_offset_min;
}

static void slf_free(struct sandbox_shopline *sb)
{
    slf_store_cleanup(&sb->st);
    slf_subs_reset(&sb->subs);
    slf_returns_reset(&sb->returns);
    slf_traffic_reset(&sb->traffic);
    free(sb->cfg.token);
    free(sb->cfg.shop_domain);
    free(sb->cfg.app_secret);
    free(sb->cfg.webhook_url);
    free(sb->cfg.api_version);
    free(sb);
}

struct sandbox_shopline *sandbox_shopline_start(const struct sandbox_shopline_opts *opts,
                                                struct errbuf *err)
{
    static const struct sandbox_shopline_opts defaults;
    const struct sandbox_shopline_opts *o = opts ? opts : &defaults;
    const struct sbx_fake_opts fo = {
        .host = o->host, .port = o->port, .latency_ms = o->latency_ms, .hang_ms = o->hang_ms,
        .now_ms = o->now_ms, .now_ctx = o->now_ctx,
    };
    struct sandbox_shopline *sb = xcalloc(1, sizeof(*sb));
    const struct sbx_fake_hooks hooks = {.serve = slf_serve, .control = slf_control,
                                         .reset = slf_reset,
                                         .control_unlocked = slf_control_unlocked, .ctx = sb};

    slf_config_init(&sb->cfg, o);
    slf_store_init(&sb->st, sb->cfg.seed);
    sb->bucket.rate_per_sec = o->rate_per_sec > 0 ? o->rate_per_sec : 4;
    sb->bucket.burst = o->no_rate_limit ? 0 : o->burst > 0 ? o->burst : 40;
    sb->bucket.at_ms = now_ms_from(o->now_ms, o->now_ctx);
    sb->bucket_at_start = sb->bucket;
    if (sbx_fake_start(&sb->fake, &fo, &hooks, err) != ST_OK) {
        slf_free(sb);
        return NULL;
    }
    return sb;
}

int sandbox_shopline_port(const struct sandbox_shopline *sb)
{
    return sbx_fake_port(&sb->fake);
}

void sandbox_shopline_stop(struct sandbox_shopline *sb)
{
    if (sb == NULL)
        return;
    sbx_fake_stop(&sb->fake);
    slf_free(sb);
}
