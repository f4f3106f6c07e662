/*
 * pvx_http.c - Peoplevox client: one HTTP round trip and what its answer means.
 *
 * A round trip (pvx_http_exchange): fail fast while cooling down (below),
 * take a slot (the tenant's cap on calls in flight), POST with the
 * caller's curl handle, give the slot back, parse the envelope (pvx_soap),
 * classify. Sessions and the one renewal are pvx.c's.
 *
 * Classification (describe low, decide high): timeouts, connection errors,
 * HTTP 5xx/429, an unparsable 5xx body and a session error that survives
 * renewal are ST_RETRY; a SOAP fault (validation), ResponseId != 0, a
 * rejected row and other HTTP 4xx are ST_FAIL. A SOAP fault whose text says
 * the server timed out or deadlocked is ST_RETRY (assumed: .NET wraps such
 * exceptions in soap:Server faults).
 *
 * A whole-call refusal (ResponseId != 0, no row statuses) is classified by
 * its Detail (pvx_refusal_is_transient): too busy, timeout, try again,
 * unavailable, deadlock, rate limit ... are ST_RETRY, anything else is the
 * data's problem (ST_FAIL). Callers get the same answer for the same text
 * whether one order or a batch was in the call.
 *
 * Shutdown: pvx_client_abort_at() sets a deadline that every transfer's
 * progress callback checks (libcurl calls it at least once a second, also
 * while waiting for an answer), so a hung call cannot hold the process past
 * the pod's grace period; a write cut short is an unknown outcome.
 *
 * Throttling: Peoplevox limits a tenant (about 15 requests per 15 s) and
 * refuses the excess with HTTP 503 ("Server Too Busy", a soap:Server fault
 * on .NET) or 429, or with a rate-limit text. Such a refusal says nothing
 * was applied, so it is a plain retry, never an unknown outcome, and sets
 * outcome.throttled. The client then cools down: for base (1 s) after the
 * first refusal, doubling with each further one (2 s, 4 s ...) up to the
 * cap (15 s), back to base after any successful call. While it cools down,
 * every call fails fast as throttled WITHOUT being sent (sending would only
 * earn another refusal), with retry_after_ms = the cool-down left; callers
 * reschedule about that far out. A refusal for a call sent before the
 * cool-down began does not grow it again. A Retry-After header (seconds or
 * an HTTP date; Peoplevox is not known to send one) lengthens the cool-down
 * to it. The cool-down is per client (per process) and runs on the
 * client's clock (pvx_config.now_ms, monotonic by default), so tests step
 * through it without sleeping.
 *
 * The shared budget (pvx_config.limiter, one token bucket in the database
 * for every replica) comes first: each request takes a token inside its
 * slot, right before curl sends it, so a grant is a send. A short wait for
 * a token (up to limit_sleep_max_ms) is slept there, in steps that stop at
 * shutdown; a longer one, or any wait once shutdown began, returns
 * throttled with retry_after_ms = the wait, the job is rescheduled as an
 * uncounted retry and its worker is free. Every refusal for load is also
 * reported to the limiter (pvx_limiter.throttled), which shrinks the
 * bucket for every replica; the cool-down stays as a second line of
 * defence inside the process.
 *
 * A write (SaveData) whose request may have reached Peoplevox without us
 * reading a usable answer sets outcome.unknown: the transfer had started
 * (curl got past connect) and then failed, or a 5xx other than 503 came
 * back, or the 200 body was unreadable. The caller checks whether the Sales
 * Order exists before posting again. A write always goes on a fresh
 * connection that is closed after it (reads reuse connections): libcurl
 * silently re-sends a request whose reused connection closed without an
 * answer, and a write must never be sent twice without shopvox knowing.
 */
#include "pvx.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pvx_int.h"

#define PVX_CONNECT_TIMEOUT_MS 10000L

/* ---- throttling: refusals and the cool-down ---- */

static bool pvx_text_has_any(const char *text, const char *const *words, size_t n)
{
    if (text == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcasestr(text, words[i]) != NULL)
            return true;
    }
    return false;
}

bool pvx_refusal_is_throttle(const char *detail)
{
    static const char *const words[] = {"too busy", "server busy", "rate limit", "rate-limit",
                                        "ratelimit", "throttl", "too many requests",
                                        "request limit", "quota"};

    return pvx_text_has_any(detail, words, ARRAY_LEN(words));
}

bool pvx_refusal_is_transient(const char *detail)
{
    static const char *const words[] = {"timeout", "timed out", "time out", "try again",
                                        "temporar", "unavailable", "deadlock",
                                        "server error", "internal error", "busy",
                                        "overload", "maintenance", "connection"};

    return pvx_refusal_is_throttle(detail) || pvx_text_has_any(detail, words, ARRAY_LEN(words));
}

/* The cool-down left (ms), 0 when calls may be sent. */
static long pvx_cooldown_left(struct pvx_client *pc)
{
    int64_t now = now_ms_from(pc->now_ms, pc->now_ctx);
    long left;

    pthread_mutex_lock(&pc->throttle_lock);
    left = pc->cool_until_ms > now ? (long)(pc->cool_until_ms - now) : 0;
    pthread_mutex_unlock(&pc->throttle_lock);
    return left;
}

/*
 * Peoplevox refused a call for load: start (or, when the previous one has
 * ended, lengthen) the cool-down, at least to a Retry-After (retry_after_ms,
 * 0 when none), and tell the shared limiter; oc says how long is left.
 */
static void pvx_throttle_note(struct pvx_client *pc, int64_t retry_after_ms,
                              struct pvx_outcome *oc)
{
    int64_t now = now_ms_from(pc->now_ms, pc->now_ctx);

    atomic_fetch_add(&pc->throttled, 1);
    pthread_mutex_lock(&pc->throttle_lock);
    if (pc->cool_until_ms <= now) {
        pc->cool_until_ms = now + pc->cool_ms;
        pc->cool_ms = pc->cool_ms * 2 < pc->throttle_max_ms ? pc->cool_ms * 2
                                                            : pc->throttle_max_ms;
    }
    if (now + retry_after_ms > pc->cool_until_ms)
        pc->cool_until_ms = now + retry_after_ms;
    oc->retry_after_ms = (long)(pc->cool_until_ms - now);
    pthread_mutex_unlock(&pc->throttle_lock);
    oc->throttled = true;
    oc->unknown = false;
    if (pc->limiter.throttled != NULL)
        pc->limiter.throttled(pc->limiter.ctx, retry_after_ms);
}

void pvx_throttle_reset(struct pvx_client *pc)
{
    pthread_mutex_lock(&pc->throttle_lock);
    pc->cool_ms = pc->throttle_base_ms;
    pthread_mutex_unlock(&pc->throttle_lock);
}

void pvx_client_abort_at(struct pvx_client *pc, int64_t deadline_ms)
{
    atomic_store(&pc->abort_at_ms, (long long)deadline_ms);
}

static bool pvx_aborted(struct pvx_client *pc)
{
    long long at = atomic_load(&pc->abort_at_ms);

    return at > 0 && now_ms_monotonic() >= at;
}

/* ---- concurrency cap ---- */

static enum st pvx_slot_acquire(struct pvx_client *pc, struct pvx_outcome *oc)
{
    struct timespec deadline = deadline_after_ms(pc->timeout_ms);
    enum st rc = ST_OK;

    pthread_mutex_lock(&pc->slot_lock);
    if (pc->slots_free == 0)
        atomic_fetch_add(&pc->slot_waits, 1);
    while (pc->slots_free == 0 && rc == ST_OK) {
        if (pthread_cond_timedwait(&pc->slot_cond, &pc->slot_lock, &deadline) != 0 &&
            pc->slots_free == 0)
            rc = ST_RETRY;
    }
    if (rc == ST_OK)
        pc->slots_free--;
    pthread_mutex_unlock(&pc->slot_lock);
    if (rc != ST_OK)
        errbuf_set(&oc->err, "no free peoplevox call slot within %ld ms", pc->timeout_ms);
    return rc;
}

static void pvx_slot_release(struct pvx_client *pc)
{
    pthread_mutex_lock(&pc->slot_lock);
    pc->slots_free++;
    pthread_cond_signal(&pc->slot_cond);
    pthread_mutex_unlock(&pc->slot_lock);
}

/* ---- the shared budget ---- */

/* Sleeps ms in steps of at most 100 ms; false when shutdown began meanwhile. */
static bool pvx_nap_ms(struct pvx_client *pc, int64_t ms)
{
    while (ms > 0 && atomic_load(&pc->abort_at_ms) == 0) {
        int64_t step = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)step * 1000000L};

        nanosleep(&ts, NULL);
        ms -= step;
    }
    return atomic_load(&pc->abort_at_ms) == 0;
}

/*
 * One token for one request of op (see the file's note): ST_OK to send,
 * or ST_RETRY throttled with retry_after_ms = when the limiter said to ask
 * again. Without a limiter, ST_OK.
 */
static enum st pvx_limit_take(struct pvx_client *pc, enum pvx_op op, struct pvx_outcome *oc)
{
    struct errbuf why = {""};
    int64_t slept = 0, wait_ms = 0;
    enum st rc = ST_OK;

    if (pc->limiter.acquire == NULL)
        return ST_OK;
    for (;;) {
        wait_ms = 0;
        rc = pc->limiter.acquire(pc->limiter.ctx, &wait_ms, &why);
        if (rc == ST_OK)
            break;
        wait_ms = wait_ms > 0 ? wait_ms : 1;
        if (slept + wait_ms > pc->limit_sleep_max_ms || !pvx_nap_ms(pc, wait_ms))
            break;
        slept += wait_ms;
    }
    if (rc == ST_OK) {
        if (slept > 0)
            atomic_fetch_add(&pc->limit_sleeps, 1);
        return ST_OK;
    }
    atomic_fetch_add(&pc->limited, 1);
    oc->throttled = true;
    oc->retry_after_ms = (long)wait_ms;
    errbuf_set(&oc->err, "%s not sent: no token in the shared peoplevox budget for %lld ms%s%s",
               pvx_op_name(op), (long long)wait_ms, why.msg[0] != '\0' ? ": " : "", why.msg);
    return ST_RETRY;
}

/* ---- one HTTP round trip ---- */

struct pvx_sink {
    struct pvx_client *pc;
    struct buf *body;
    bool too_large;
    int64_t retry_after_ms;  /* from a Retry-After header, 0 when none */
};

#define PVX_RETRY_AFTER_MAX_MS (3600L * 1000L)

/* libcurl's header callback: keeps a Retry-After (delta seconds or HTTP date), capped. */
static size_t pvx_on_header(char *p, size_t size, size_t n, void *ud)
{
    static const char name[] = "retry-after:";
    struct pvx_sink *s = ud;
    size_t len = size * n;
    char value[128];
    char *end = NULL;
    long long secs;
    size_t v;

    if (len <= sizeof(name) - 1 || strncasecmp(p, name, sizeof(name) - 1) != 0)
        return len;
    for (v = sizeof(name) - 1; v < len && (p[v] == ' ' || p[v] == '\t'); v++)
        ;
    snprintf(value, sizeof(value), "%.*s", (int)(len - v), p + v);
    value[strcspn(value, "\r\n")] = '\0';
    secs = strtoll(value, &end, 10);
    if (end == value || *end != '\0') {
        time_t at = curl_getdate(value, NULL);

        secs = at > 0 ? (long long)(at - time(NULL)) : 0;
    }
    if (secs > 0)
        s->retry_after_ms = secs * 1000 < PVX_RETRY_AFTER_MAX_MS ? secs * 1000
                                                                 : PVX_RETRY_AFTER_MAX_MS;
    return len;
}

/* libcurl's progress callback: non-zero cuts the transfer short (shutdown). */
static int pvx_on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
    return pvx_aborted(((struct pvx_sink *)ud)->pc) ? 1 : 0;
}

static size_t pvx_on_data(char *p, size_t size, size_t n, void *ud)
{
    struct pvx_sink *s = ud;

    if (buf_append(s->body, p, size * n) < 0) {
        s->too_large = true;
        return 0;
    }
    return size * n;
}

static struct curl_slist *pvx_curl_setup(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                                         const struct buf *req, struct pvx_sink *sink,
                                         char *curl_err)
{
    struct curl_slist *h = NULL;
    char action[128];

    snprintf(action, sizeof(action), "SOAPAction: %s", pvx_soap_action(op));
    h = curl_slist_append(h, "Content-Type: text/xml; charset=utf-8");
    h = curl_slist_append(h, action);
    h = curl_slist_append(h, "Expect:");
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, pc->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, buf_cstr(req));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, pvx_on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, pvx_on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, sink);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, pc->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     pc->timeout_ms < PVX_CONNECT_TIMEOUT_MS ? pc->timeout_ms
                                                             : PVX_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "shopvox");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, pvx_on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, sink);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    if (op == PVX_OP_SAVE_DATA) {
        /* never re-sent by libcurl on a reused connection that closes unanswered */
        curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
    }
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    return h;
}

/* Describes a failed transfer; a write that got past connect is unknown. */
static enum st pvx_transport_error(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                                   CURLcode cc, const struct pvx_sink *sink,
                                   const char *curl_err, struct pvx_outcome *oc)
{
    curl_off_t pretransfer_us = 0;
    long request_bytes = 0;

    curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    oc->unknown = op == PVX_OP_SAVE_DATA && (pretransfer_us > 0 || request_bytes > 0);
    if (sink->too_large) {
        errbuf_set(&oc->err, "%s response exceeds %zu bytes", pvx_op_name(op),
                   pc->max_response_bytes);
        return ST_FAIL;
    }
    pvx_count_error(pc, PVX_ERR_TRANSPORT);
    errbuf_set(&oc->err, "%s request to peoplevox failed: %s", pvx_op_name(op),
               curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc));
    if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
        cc == CURLE_NOT_BUILT_IN)
        return ST_FAIL;
    return ST_RETRY;
}

/*
 * POSTs req with the caller's handle (or a temporary one) inside a slot,
 * once the shared budget gave a token; *retry_after_ms from the answer.
 */
static enum st pvx_http_post(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                             const struct buf *req, struct buf *body, int64_t *retry_after_ms,
                             struct pvx_outcome *oc)
{
    struct pvx_sink sink = { pc, body, false, 0 };
    char curl_err[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    CURL *own = NULL;
    CURLcode cc;
    enum st rc;

    if (pvx_aborted(pc)) {
        errbuf_set(&oc->err, "%s not sent: shutting down", pvx_op_name(op));
        return ST_RETRY;
    }
    if (curl == NULL && (curl = own = curl_easy_init()) == NULL) {
        errbuf_set(&oc->err, "could not create a curl handle");
        return ST_RETRY;
    }
    /* the token first: a caller sleeping for one must not hold a call slot meanwhile */
    rc = pvx_limit_take(pc, op, oc);
    if (rc == ST_OK)
        rc = pvx_slot_acquire(pc, oc);
    if (rc != ST_OK)
        goto out;
    hdrs = pvx_curl_setup(pc, curl, op, req, &sink, curl_err);
    cc = curl_easy_perform(curl);
    pvx_slot_release(pc);
    pvx_count_request(pc, op);
    *retry_after_ms = sink.retry_after_ms;
    if (cc != CURLE_OK) {
        rc = pvx_transport_error(pc, curl, op, cc, &sink, curl_err, oc);
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &oc->http_status);
out:
    if (curl != NULL)
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(own);
    return rc;
}

/* ---- what an answer means ---- */

/* A fault is a rejection, unless its text says the server was overloaded. */
/*
 * ASP.NET answers every unhandled server-side exception as a soap:Server
 * fault with HTTP 500; Peoplevox reports validation through ResponseId and
 * row statuses, not faults. So a Server fault on a 5xx is an outage (retry,
 * bounded by the job's attempts); a Client fault is our request's fault.
 */
static enum st pvx_fault_status(const struct pvx_response *r, long http_status)
{
    static const char *const transient[] = { "timeout", "timed out", "deadlock",
                                             "temporarily", "unavailable" };
    size_t i;

    if (strcasestr(r->fault_code, "client") != NULL)
        return ST_FAIL;
    if (http_status >= 500 && strcasestr(r->fault_code, "server") != NULL)
        return ST_RETRY;
    for (i = 0; i < ARRAY_LEN(transient); i++) {
        if (strcasestr(r->fault_string, transient[i]) != NULL)
            return ST_RETRY;
    }
    return ST_FAIL;
}

/* Parses the body and turns HTTP status + envelope into ST_*. */
static enum st pvx_classify(struct pvx_client *pc, enum pvx_op op, const struct buf *body,
                            int64_t retry_after_ms, struct pvx_response *resp,
                            struct pvx_outcome *oc)
{
    bool write = op == PVX_OP_SAVE_DATA;
    long code = oc->http_status;
    enum st rc;

    rc = pvx_soap_parse_response(buf_cstr(body), body->len, op, resp, &oc->err);
    if (code != 200)
        pvx_count_error(pc, PVX_ERR_HTTP);
    if (rc != ST_OK && resp->is_fault)
        pvx_count_error(pc, PVX_ERR_FAULT);
    if (code == 503 || code == 429 ||
        (rc != ST_OK && resp->is_fault && pvx_refusal_is_throttle(resp->fault_string))) {
        errbuf_set(&oc->err, "%s: peoplevox refused the call for load (HTTP %ld%s%.200s)",
                   pvx_op_name(op), code, resp->is_fault ? ": " : "",
                   resp->is_fault ? resp->fault_string : "");
        pvx_throttle_note(pc, retry_after_ms, oc);
        return ST_RETRY;
    }
    if (rc == ST_OK)
        return ST_OK;
    if (resp->is_fault) {
        rc = pvx_fault_status(resp, code);
        oc->unknown = write && rc == ST_RETRY;
        return rc;
    }
    if (code == 200) {
        oc->unknown = write;
        return ST_FAIL;                     /* err: what the parser disliked */
    }
    errbuf_set(&oc->err, "%s: peoplevox answered HTTP %ld", pvx_op_name(op), code);
    if (code >= 500) {
        oc->unknown = write;
        return ST_RETRY;
    }
    return ST_FAIL;
}

enum st pvx_refusal_status(struct pvx_client *pc, enum pvx_op op,
                           const struct pvx_response *resp, struct pvx_outcome *oc)
{
    bool whole = resp->n_statuses == 0;

    errbuf_set(&oc->err, "%s %s by peoplevox (ResponseId %d): %.300s", pvx_op_name(op),
               whole && pvx_refusal_is_transient(resp->detail) ? "refused for now" : "rejected",
               resp->response_id, resp->detail);
    if (!whole || !pvx_refusal_is_transient(resp->detail))
        return ST_FAIL;
    if (pvx_refusal_is_throttle(resp->detail))
        pvx_throttle_note(pc, 0, oc);
    return ST_RETRY;
}

enum st pvx_http_exchange(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                          const struct buf *req, struct pvx_response *resp,
                          struct pvx_outcome *oc)
{
    int64_t retry_after_ms = 0;
    struct buf body;
    enum st rc;

    oc->unknown = false;
    oc->http_status = 0;
    pvx_response_cleanup(resp);
    oc->retry_after_ms = pvx_cooldown_left(pc);
    if (oc->retry_after_ms > 0) {
        atomic_fetch_add(&pc->cooled, 1);
        oc->throttled = true;
        errbuf_set(&oc->err, "%s not sent: peoplevox is throttling us, cooling down for %ld ms",
                   pvx_op_name(op), oc->retry_after_ms);
        return ST_RETRY;
    }
    buf_init(&body, pc->max_response_bytes);
    rc = pvx_http_post(pc, curl, op, req, &body, &retry_after_ms, oc);
    if (rc == ST_OK)
        rc = pvx_classify(pc, op, &body, retry_after_ms, resp, oc);
    buf_cleanup(&body);
    return rc;
}
