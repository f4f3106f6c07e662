/*
 * shopline.c - SHOPLINE Admin API client: one request and what its answer means
 * (the calls themselves: shopline_calls.c).
 *
 * A request (sl_exchange): ask the rate-limit hook (config.acquire) for a
 * token, send with the caller's curl handle, keep the body under the cap
 * and the three headers that matter (link, traceId, Retry-After), classify.
 * The bodies and the link header are read and written by shopline_json.c
 * (pure, fuzzed); this file only moves bytes and decides what they mean.
 *
 * Classification (describe low, decide high), one reason code per kind:
 *   2xx                    ST_OK (a body that cannot be read: ST_FAIL bad_reply)
 *   429                    ST_RETRY throttled: nothing was applied. Shopline sends
 *                          no Retry-After; one that appears is honoured
 *                          (retry_after_ms) and the throttled hook hears of it
 *   5xx (504 included)     ST_RETRY server
 *   timeouts, refused or
 *   dropped connections    ST_RETRY transport
 *   401 402 404 422 423    ST_FAIL unauthorized, frozen, not_found, invalid, locked
 *   any other status       ST_FAIL http
 * Every failure carries Shopline's `errors` (one readable message) and the
 * reply's traceId, which Shopline support asks for.
 *
 * Writes (POST) whose effect we cannot see: a request that got past
 * connect and then failed (timeout, dropped reply), a 5xx, or a 2xx body
 * we cannot read sets outcome.unknown; the caller checks (lists the
 * order's fulfillments) before sending again. A write goes on a fresh
 * connection closed after it: libcurl silently re-sends a request whose
 * reused connection closed without an answer, and a write must never be
 * sent twice without shopvox knowing. Reads reuse connections.
 *
 * Paging: the next page is asked for with the page_info cursor of the
 * reply's link header on our own base url (never the link's host: the
 * token goes nowhere else), no link meaning the last page; a read of all
 * pages stops at max_pages. Redirects are not followed, for the same reason.
 */
#include "shopline.h"
#include "shopline_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_text.h"
#include "metrics.h"

#define SL_CONNECT_TIMEOUT_MS 10000L
#define SL_MAX_LINK_BYTES (16u * 1024u)
#define SL_MET_REQUESTS "shopvox_shopline_requests_total"
#define SL_MET_ERRORS "shopvox_shopline_errors_total"


static const char *const sl_op_names[SHOPLINE_OP_COUNT] = {
    "get_orders", "create_fulfillment", "list_fulfillments", "get_locations", "get_products",
    "set_inventory_level", "get_inventory_levels", "list_webhooks", "create_webhook"};

static const char *const sl_reason_names[SHOPLINE_R_COUNT] = {
    "none", "transport", "throttled", "server", "unauthorized", "frozen", "not_found",
    "invalid", "locked", "http", "bad_reply", "bad_request", "limiter", "page_cap"};

const char *shopline_op_name(enum shopline_op op)
{
    return op < SHOPLINE_OP_COUNT ? sl_op_names[op] : "unknown";
}

const char *shopline_reason_name(enum shopline_reason r)
{
    return r < SHOPLINE_R_COUNT ? sl_reason_names[r] : "unknown";
}

/* ---- counters ---- */

static void sl_metrics_init(void)
{
    char labels[64];
    int i;

    metrics_describe(SL_MET_REQUESTS, MET_COUNTER, "HTTP requests sent to SHOPLINE by operation");
    metrics_describe(SL_MET_ERRORS, MET_COUNTER, "SHOPLINE call failures by reason");
    for (i = 0; i < SHOPLINE_OP_COUNT; i++) {
        snprintf(labels, sizeof(labels), "op=\"%s\"", sl_op_names[i]);
        metrics_add(SL_MET_REQUESTS, labels, 0);
    }
    for (i = SHOPLINE_R_NONE + 1; i < SHOPLINE_R_COUNT; i++) {
        snprintf(labels, sizeof(labels), "reason=\"%s\"", sl_reason_names[i]);
        metrics_add(SL_MET_ERRORS, labels, 0);
    }
}

static void sl_count_request(struct shopline_client *sc, enum shopline_op op)
{
    char labels[64];

    atomic_fetch_add(&sc->requests[op], 1);
    snprintf(labels, sizeof(labels), "op=\"%s\"", sl_op_names[op]);
    metrics_inc(SL_MET_REQUESTS, labels);
}

/* Records why a call failed (reason, counters); returns rc for a one-line exit. */
static enum st sl_fail(struct shopline_client *sc, struct shopline_outcome *oc,
                       enum shopline_reason reason, enum st rc)
{
    char labels[64];

    oc->reason = reason;
    atomic_fetch_add(&sc->errors[reason], 1);
    snprintf(labels, sizeof(labels), "reason=\"%s\"", sl_reason_names[reason]);
    metrics_inc(SL_MET_ERRORS, labels);
    return rc;
}

void shopline_client_stats(const struct shopline_client *sc, struct shopline_stats *out)
{
    int i;

    for (i = 0; i < SHOPLINE_OP_COUNT; i++)
        out->requests[i] = atomic_load(&sc->requests[i]);
    for (i = 0; i < SHOPLINE_R_COUNT; i++)
        out->errors[i] = atomic_load(&sc->errors[i]);
}

/* ---- lifecycle ---- */

char *shopline_base_url(const char *api_base, const char *shop_domain, const char *api_version,
                        struct errbuf *err)
{
    size_t n;

    if (api_base != NULL && api_base[0] != '\0') {
        n = strlen(api_base);
        while (n > 0 && api_base[n - 1] == '/')
            n--;
        return xstrndup(api_base, n);
    }
    n = shop_domain != NULL ? strcspn(shop_domain, ".") : 0;
    if (n == 0 || shop_domain[strspn(shop_domain, "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")] !=
                      (shop_domain[n] == '.' ? '.' : '\0') ||
        api_version == NULL || api_version[0] == '\0' ||
        api_version[strspn(api_version, "abcdefghijklmnopqrstuvwxyz0123456789")] != '\0') {
        errbuf_set(err, "cannot derive the shopline api url from shop domain \"%.100s\" and "
                   "version \"%.40s\"", shop_domain ? shop_domain : "",
                   api_version ? api_version : "");
        return NULL;
    }
    return xasprintf("https://%.*s.myshopline.com/admin/openapi/%s", (int)n, shop_domain,
                     api_version);
}

static bool sl_url_ok(const char *url, bool allow_http)
{
    return strncmp(url, "https://", 8) == 0 || (allow_http && strncmp(url, "http://", 7) == 0);
}

struct shopline_client *shopline_client_create(const struct shopline_config *cfg,
                                               struct errbuf *err)
{
    struct shopline_client *sc = NULL;
    char *base = shopline_base_url(cfg->api_base, cfg->shop_domain, cfg->api_version, err);

    if (base == NULL)
        goto out;
    if (!sl_url_ok(base, cfg->allow_insecure_http)) {
        errbuf_set(err, "shopline api url \"%.200s\" is not https", base);
        goto out;
    }
    if (cfg->access_token == NULL || cfg->access_token[0] == '\0' ||
        strpbrk(cfg->access_token, "\r\n") != NULL) {
        errbuf_set(err, "shopline access token is missing or holds a line break");
        goto out;
    }
    if (cfg->timeout_ms <= 0 || cfg->connect_timeout_ms < 0 || cfg->max_pages < 0) {
        errbuf_set(err, "shopline timeout_ms (%ld) must be positive, connect_timeout_ms (%ld) "
                   "and max_pages (%d) not negative", cfg->timeout_ms, cfg->connect_timeout_ms,
                   cfg->max_pages);
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sc = xcalloc(1, sizeof(*sc));
    sc->base = base;
    base = NULL;
    sc->auth_header = xasprintf("Authorization: Bearer %s", cfg->access_token);
    sc->timeout_ms = cfg->timeout_ms;
    sc->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms
                                                      : SL_CONNECT_TIMEOUT_MS;
    if (sc->connect_timeout_ms > sc->timeout_ms)
        sc->connect_timeout_ms = sc->timeout_ms;
    sc->max_response_bytes = cfg->max_response_bytes ? cfg->max_response_bytes
                                                     : SHOPLINE_DEFAULT_MAX_RESPONSE_BYTES;
    sc->max_pages = cfg->max_pages ? cfg->max_pages : SHOPLINE_DEFAULT_MAX_PAGES;
    sc->acquire = cfg->acquire;
    sc->throttled = cfg->throttled;
    sc->limiter_ctx = cfg->limiter_ctx;
    sl_metrics_init();
out:
    free(base);
    return sc;
}

void shopline_client_destroy(struct shopline_client *sc)
{
    if (sc == NULL)
        return;
    free(sc->base);
    free(sc->auth_header);
    free(sc);
}

const char *shopline_client_base(const struct shopline_client *sc)
{
    return sc->base;
}

/* ---- one request ---- */

static size_t sl_on_data(char *p, size_t size, size_t n, void *ud)
{
    struct sl_reply *r = ud;

    if (buf_append(&r->body, p, size * n) < 0) {
        r->too_large = true;
        return 0;
    }
    return size * n;
}

/* Retry-After: delta-seconds or an HTTP date, in ms from now (-1 when unreadable). */
static long sl_retry_after_ms(const char *v)
{
    time_t t;

    if (v[0] != '\0' && v[strspn(v, "0123456789")] == '\0' && strlen(v) < 9)
        return atol(v) * 1000L;
    t = curl_getdate(v, NULL);
    if (t < 0)
        return -1;
    return (int64_t)t * 1000 > now_ms_wall() ? (long)((int64_t)t * 1000 - now_ms_wall()) : 0;
}

/* One header line: keeps link, traceId and Retry-After (a new status line clears them). */
static size_t sl_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct sl_reply *r = ud;
    size_t len = size * n, name_len;
    const char *colon = memchr(p, ':', len);
    char value[256];
    size_t vlen;

    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        buf_reset(&r->link);
        r->oc->trace_id[0] = '\0';
        r->oc->retry_after_ms = -1;
        return len;
    }
    if (colon == NULL)
        return len;
    name_len = (size_t)(colon - p);
    colon++;
    while (colon < p + len && (*colon == ' ' || *colon == '\t'))
        colon++;
    vlen = (size_t)(p + len - colon);
    while (vlen > 0 && (colon[vlen - 1] == '\r' || colon[vlen - 1] == '\n' ||
                        colon[vlen - 1] == ' '))
        vlen--;
    if (name_len == 4 && strncasecmp(p, "link", 4) == 0) {
        if (r->link.len > 0)
            buf_append_str(&r->link, ", ");  /* several link headers are one list */
        buf_append(&r->link, colon, vlen);
    } else if (name_len == 7 && strncasecmp(p, "traceid", 7) == 0) {
        snprintf(r->oc->trace_id, sizeof(r->oc->trace_id), "%.*s", (int)vlen, colon);
    } else if (name_len == 11 && strncasecmp(p, "retry-after", 11) == 0) {
        snprintf(value, sizeof(value), "%.*s", (int)vlen, colon);
        r->oc->retry_after_ms = sl_retry_after_ms(value);
    }
    return len;
}

static struct curl_slist *sl_curl_setup(struct shopline_client *sc, CURL *curl,
                                        const struct sl_request *rq, const char *url,
                                        struct sl_reply *reply, char *curl_err)
{
    struct curl_slist *h = NULL;

    h = curl_slist_append(h, sc->auth_header);
    h = curl_slist_append(h, "Accept: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (rq->body != NULL) {
        h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, buf_cstr(rq->body));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body->len);
        /* never re-sent by libcurl on a reused connection that closes unanswered */
        curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sl_on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, sl_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, sc->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, sc->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "shopvox");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    return h;
}

/* Describes a failed transfer; a write that got past connect is unknown. */
static enum st sl_transport_error(struct shopline_client *sc, CURL *curl,
                                  const struct sl_request *rq, CURLcode cc,
                                  const struct sl_reply *reply, const char *curl_err,
                                  struct shopline_outcome *oc)
{
    curl_off_t pretransfer_us = 0;
    long request_bytes = 0;

    curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    oc->unknown = rq->body != NULL && (pretransfer_us > 0 || request_bytes > 0);
    if (reply->too_large) {
        errbuf_set(&oc->err, "%s reply exceeds %zu bytes (traceId %s)", sl_op_names[rq->op],
                   sc->max_response_bytes, oc->trace_id);
        return sl_fail(sc, oc, SHOPLINE_R_BAD_REPLY, ST_FAIL);
    }
    errbuf_set(&oc->err, "%s request to shopline failed: %s", sl_op_names[rq->op],
               curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc));
    if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
        cc == CURLE_NOT_BUILT_IN)
        return sl_fail(sc, oc, SHOPLINE_R_BAD_REQUEST, ST_FAIL);
    return sl_fail(sc, oc, SHOPLINE_R_TRANSPORT, ST_RETRY);
}

/* A status other than 2xx: its reason, its message, ST_RETRY or ST_FAIL. */
static enum st sl_classify(struct shopline_client *sc, const struct sl_request *rq,
                           const struct sl_reply *reply, struct shopline_outcome *oc)
{
    static const struct { long status; enum shopline_reason reason; } permanent[] = {
        {401, SHOPLINE_R_UNAUTHORIZED}, {402, SHOPLINE_R_FROZEN}, {404, SHOPLINE_R_NOT_FOUND},
        {422, SHOPLINE_R_INVALID}, {423, SHOPLINE_R_LOCKED}};
    long code = oc->http_status;
    size_t i;

    shopline_errors_message(reply->body.data, reply->body.len, oc->errors, sizeof(oc->errors));
    errbuf_set(&oc->err, "%s: shopline answered HTTP %ld (traceId %s)%s%.300s",
               sl_op_names[rq->op], code, oc->trace_id[0] ? oc->trace_id : "none",
               oc->errors[0] ? ": " : "", oc->errors);
    if (code == 429) {
        oc->throttled = true;
        if (sc->throttled != NULL)
            sc->throttled(sc->limiter_ctx, rq->op, oc->retry_after_ms);
        return sl_fail(sc, oc, SHOPLINE_R_THROTTLED, ST_RETRY);
    }
    if (code >= 500 && code <= 599) {
        oc->unknown = rq->body != NULL;
        return sl_fail(sc, oc, SHOPLINE_R_SERVER, ST_RETRY);
    }
    for (i = 0; i < ARRAY_LEN(permanent); i++) {
        if (code == permanent[i].status)
            return sl_fail(sc, oc, permanent[i].reason, ST_FAIL);
    }
    return sl_fail(sc, oc, SHOPLINE_R_HTTP, ST_FAIL);
}

void sl_reply_init(struct sl_reply *r, size_t max_body, struct shopline_outcome *oc)
{
    buf_init(&r->body, max_body);
    buf_init(&r->link, SL_MAX_LINK_BYTES);
    r->too_large = false;
    r->oc = oc;
}

void sl_reply_cleanup(struct sl_reply *r)
{
    buf_cleanup(&r->body);
    buf_cleanup(&r->link);
}

/*
 * One request with the caller's handle (or a temporary one): the limiter
 * first, then the round trip, then the status. ST_OK only for a 2xx, with
 * *reply holding the body and the link header.
 */
enum st sl_exchange(struct shopline_client *sc, CURL *curl, const struct sl_request *rq,
                           struct sl_reply *reply, struct shopline_outcome *oc)
{
    char curl_err[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    char *url = NULL;
    CURL *own = NULL;
    CURLcode cc;
    enum st rc = ST_OK;

    oc->http_status = 0;
    if (sc->acquire != NULL && (rc = sc->acquire(sc->limiter_ctx, rq->op, &oc->err)) != ST_OK)
        return sl_fail(sc, oc, SHOPLINE_R_LIMITER, rc);
    if (curl == NULL && (curl = own = curl_easy_init()) == NULL) {
        errbuf_set(&oc->err, "could not create a curl handle");
        return sl_fail(sc, oc, SHOPLINE_R_TRANSPORT, ST_RETRY);
    }
    url = xasprintf("%s/%s", sc->base, rq->path);
    hdrs = sl_curl_setup(sc, curl, rq, url, reply, curl_err);
    cc = curl_easy_perform(curl);
    sl_count_request(sc, rq->op);
    if (cc != CURLE_OK) {
        rc = sl_transport_error(sc, curl, rq, cc, reply, curl_err, oc);
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &oc->http_status);
    if (oc->http_status < 200 || oc->http_status > 299)
        rc = sl_classify(sc, rq, reply, oc);
out:
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(own);
    free(url);
    return rc;
}

void sl_outcome_reset(struct shopline_outcome *oc)
{
    memset(oc, 0, sizeof(*oc));
    oc->retry_after_ms = -1;
}

/* A 2xx whose body the parser refused: a write's effect is then unknown. */
enum st sl_bad_reply(struct shopline_client *sc, const struct sl_request *rq,
                            const struct errbuf *why, struct shopline_outcome *oc)
{
    oc->unknown = rq->body != NULL;
    errbuf_set(&oc->err, "%s: unreadable shopline reply (traceId %s): %s", sl_op_names[rq->op],
               oc->trace_id[0] ? oc->trace_id : "none", why->msg);
    return sl_fail(sc, oc, SHOPLINE_R_BAD_REPLY, ST_FAIL);
}

enum st sl_bad_request(struct shopline_client *sc, struct shopline_outcome *oc)
{
    return sl_fail(sc, oc, SHOPLINE_R_BAD_REQUEST, ST_FAIL);
}

/* ---- paged reads ---- */

/*
 * Reads one page or all (up to max_pages), each appended to pg->list by
 * pg->parse; *next (when not NULL) gets the cursor after the last page read.
 */
enum st sl_get_pages(struct shopline_client *sc, CURL *curl, const struct sl_pages *pg,
                            char **next, struct shopline_outcome *oc)
{
    char *cursor = xstrdup(pg->page_info), *path = NULL;
    struct sl_request rq = {pg->op, NULL, NULL};
    struct sl_reply reply;
    struct errbuf why = {""};
    enum st rc = ST_OK;
    int pages = 0;

    sl_reply_init(&reply, sc->max_response_bytes, oc);
    if (cursor != NULL && !shopline_cursor_valid(cursor)) {
        errbuf_set(&oc->err, "%s: page_info \"%.60s\" is not a cursor", sl_op_names[pg->op],
                   cursor);
        rc = sl_bad_request(sc, oc);
        goto out;
    }
    for (;;) {
        free(path);
        path = cursor != NULL
                   ? xasprintf("%s?limit=%d&page_info=%s", pg->path, pg->limit, cursor)
                   : xasprintf("%s?%s", pg->path, pg->first_query);
        rq.path = path;
        buf_reset(&reply.body);
        if ((rc = sl_exchange(sc, curl, &rq, &reply, oc)) != ST_OK)
            goto out;
        free(cursor);
        cursor = NULL;
        if (pg->parse(buf_cstr(&reply.body), reply.body.len, pg->list, &why) != ST_OK ||
            shopline_link_next(buf_cstr(&reply.link), &cursor) < 0) {
            if (why.msg[0] == '\0')
                errbuf_set(&why, "link header has a next page without a cursor: %.200s",
                           buf_cstr(&reply.link));
            rc = sl_bad_reply(sc, &rq, &why, oc);
            goto out;
        }
        if (!pg->all_pages || cursor == NULL)
            break;
        if (++pages >= sc->max_pages) {
            errbuf_set(&oc->err, "%s: more than %d pages", sl_op_names[pg->op], sc->max_pages);
            rc = sl_fail(sc, oc, SHOPLINE_R_PAGE_CAP, ST_FAIL);
            goto out;
        }
    }
out:
    if (next != NULL && rc == ST_OK) {
        *next = cursor;
        cursor = NULL;
    }
    free(cursor);
    free(path);
    sl_reply_cleanup(&reply);
    return rc;
}

/* Percent-encodes s (all but RFC 3986's unreserved characters) onto b. */
