/*
 * pvx.c - Peoplevox client: sessions, concurrency cap, retries by class.
 *
 * A call is: take a copy of the tenant's session (authenticating first if
 * there is none), build the envelope (pvx_soap), take a slot, POST, give the
 * slot back, parse, classify. Peoplevox reports an expired session as HTTP
 * 200 with ResponseId -1 and a Detail mentioning "session", so that answer
 * triggers exactly one re-authentication and one repeat; a second session
 * error is ST_RETRY (the job backs off).
 *
 * Locks, and why they cannot deadlock:
 *   session_lock  short holds only: read or swap the session strings.
 *   auth_lock     held across an Authenticate round trip, so N threads that
 *                 see the same expired session authenticate once: the others
 *                 wait, then find a newer session generation and reuse it.
 *   slot_lock     the counting semaphore (max_concurrency). A slot is held
 *                 only around curl_easy_perform, never while waiting for a
 *                 lock, so a thread holding auth_lock can always get a slot.
 *   cache_lock    the GetSaveTemplate header cache.
 *
 * Classification (describe low, decide high): timeouts, connection errors,
 * HTTP 5xx/429, an unparsable 5xx body and a session error that survives
 * renewal are ST_RETRY; a SOAP fault (validation), ResponseId != 0, a
 * rejected row and other HTTP 4xx are ST_FAIL. A SOAP fault whose text says
 * the server timed out or deadlocked is ST_RETRY (assumed: .NET wraps such
 * exceptions in soap:Server faults).
 *
 * Shutdown: pvx_client_abort_at() sets a deadline that every transfer's
 * progress callback checks (libcurl calls it at least once a second, also
 * while waiting for an answer), so a hung call cannot hold the process past
 * the pod's grace period; a write cut short is an unknown outcome.
 *
 * A whole-call refusal (ResponseId != 0, no row statuses) is classified by
 * its Detail (pvx_refusal_is_transient): too busy, timeout, try again,
 * unavailable, deadlock, rate limit ... are ST_RETRY, anything else is the
 * data's problem (ST_FAIL). Callers get the same answer for the same text
 * whether one order or a batch was in the call.
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
 * cool-down began does not grow it again. The cool-down is per client
 * (per process); a limiter shared between replicas is not built yet.
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

#include <libxml/parser.h>
#include <openssl/evp.h>

#define PVX_MAX_PAGES 100000
#define PVX_CONNECT_TIMEOUT_MS 10000L
#define PVX_THROTTLE_BASE_MS 1000L
#define PVX_THROTTLE_MAX_MS 15000L

struct pvx_template {
    char *name;
    struct pvx_fields fields;
};

struct pvx_client {
    char *url;
    char *client_id;
    char *username;
    char *password_wire;          /* as sent: base64 or plain */
    long timeout_ms;
    size_t max_response_bytes;

    pthread_mutex_t session_lock;
    pthread_mutex_t auth_lock;
    char *session_client_id;      /* NULL until the first Authenticate */
    char *session_id;
    unsigned long session_gen;    /* bumps with every new session */

    pthread_mutex_t slot_lock;
    pthread_cond_t slot_cond;
    int slots_free;

    pthread_mutex_t throttle_lock;
    long throttle_base_ms, throttle_max_ms;
    long cool_ms;                 /* the next cool-down's length */
    int64_t cool_until_ms;        /* monotonic; calls before it are not sent */

    pthread_mutex_t cache_lock;
    struct pvx_template *templates;
    size_t n_templates;

    atomic_ulong requests[PVX_OP_COUNT];
    atomic_ulong transport_errors;
    atomic_ulong http_errors;
    atomic_ulong faults;
    atomic_ulong session_renewals;
    atomic_ulong slot_waits;
    atomic_llong abort_at_ms;     /* 0, or the shutdown deadline (monotonic) */
    atomic_ulong throttled;
    atomic_ulong cooled;
};

/* A thread's private copy of the session it is calling with. */
struct pvx_session {
    char *client_id;
    char *session_id;
    unsigned long gen;
};

/* ---- lifecycle ---- */

static char *pvx_encode_password(const char *password, const char *encoding)
{
    size_t n = strlen(password);
    char *out;

    if (encoding != NULL && strcasecmp(encoding, "plain") == 0)
        return xstrdup(password);
    out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)password, (int)n);
    return out;
}

static enum st pvx_config_check(const struct pvx_config *cfg, struct errbuf *err)
{
    const char *enc = cfg->password_encoding;

    if (cfg->url == NULL || (strncmp(cfg->url, "http://", 7) != 0 &&
                             strncmp(cfg->url, "https://", 8) != 0)) {
        errbuf_set(err, "peoplevox url \"%s\" is not http(s)", cfg->url ? cfg->url : "");
        return ST_FAIL;
    }
    if (cfg->client_id == NULL || cfg->client_id[0] == '\0' || cfg->username == NULL ||
        cfg->username[0] == '\0' || cfg->password == NULL || cfg->password[0] == '\0') {
        errbuf_set(err, "peoplevox client id, username and password are required");
        return ST_FAIL;
    }
    if (enc != NULL && strcasecmp(enc, "base64") != 0 && strcasecmp(enc, "plain") != 0) {
        errbuf_set(err, "peoplevox password encoding \"%s\" is not base64 or plain", enc);
        return ST_FAIL;
    }
    if (strlen(cfg->password) > 4096) {
        errbuf_set(err, "peoplevox password is longer than 4096 bytes");
        return ST_FAIL;
    }
    if (cfg->throttle_base_ms < 0 || cfg->throttle_max_ms < 0) {
        errbuf_set(err, "peoplevox throttle cool-downs (%ld, %ld ms) must not be negative",
                   cfg->throttle_base_ms, cfg->throttle_max_ms);
        return ST_FAIL;
    }
    if (cfg->timeout_ms <= 0 || cfg->max_concurrency < 1) {
        errbuf_set(err, "peoplevox timeout_ms (%ld) and max_concurrency (%d) must be positive",
                   cfg->timeout_ms, cfg->max_concurrency);
        return ST_FAIL;
    }
    return ST_OK;
}

struct pvx_client *pvx_client_create(const struct pvx_config *cfg, struct errbuf *err)
{
    struct pvx_client *pc;
    pthread_condattr_t ca;

    if (pvx_config_check(cfg, err) != ST_OK)
        return NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    pc = xcalloc(1, sizeof(*pc));
    pc->url = xstrdup(cfg->url);
    pc->client_id = xstrdup(cfg->client_id);
    pc->username = xstrdup(cfg->username);
    pc->password_wire = pvx_encode_password(cfg->password, cfg->password_encoding);
    pc->timeout_ms = cfg->timeout_ms;
    pc->max_response_bytes = cfg->max_response_bytes ? cfg->max_response_bytes
                                                     : PVX_DEFAULT_MAX_RESPONSE_BYTES;
    pc->slots_free = cfg->max_concurrency;
    pc->throttle_base_ms = cfg->throttle_base_ms ? cfg->throttle_base_ms : PVX_THROTTLE_BASE_MS;
    pc->throttle_max_ms = cfg->throttle_max_ms ? cfg->throttle_max_ms : PVX_THROTTLE_MAX_MS;
    if (pc->throttle_max_ms < pc->throttle_base_ms)
        pc->throttle_max_ms = pc->throttle_base_ms;
    pc->cool_ms = pc->throttle_base_ms;
    pthread_mutex_init(&pc->throttle_lock, NULL);
    pthread_mutex_init(&pc->session_lock, NULL);
    pthread_mutex_init(&pc->auth_lock, NULL);
    pthread_mutex_init(&pc->slot_lock, NULL);
    pthread_mutex_init(&pc->cache_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pc->slot_cond, &ca);
    pthread_condattr_destroy(&ca);
    return pc;
}

void pvx_fields_cleanup(struct pvx_fields *f)
{
    size_t i;

    if (f == NULL)
        return;
    for (i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    f->names = NULL;
    f->n = 0;
}

void pvx_client_destroy(struct pvx_client *pc)
{
    size_t i;

    if (pc == NULL)
        return;
    for (i = 0; i < pc->n_templates; i++) {
        free(pc->templates[i].name);
        pvx_fields_cleanup(&pc->templates[i].fields);
    }
    free(pc->templates);
    pthread_mutex_destroy(&pc->session_lock);
    pthread_mutex_destroy(&pc->auth_lock);
    pthread_mutex_destroy(&pc->slot_lock);
    pthread_mutex_destroy(&pc->cache_lock);
    pthread_mutex_destroy(&pc->throttle_lock);
    pthread_cond_destroy(&pc->slot_cond);
    free(pc->session_client_id);
    free(pc->session_id);
    free(pc->url);
    free(pc->client_id);
    free(pc->username);
    free(pc->password_wire);
    free(pc);
    curl_global_cleanup();
}

void pvx_client_stats(const struct pvx_client *pc, struct pvx_stats *out)
{
    size_t i;

    for (i = 0; i < PVX_OP_COUNT; i++)
        out->requests[i] = atomic_load(&pc->requests[i]);
    out->transport_errors = atomic_load(&pc->transport_errors);
    out->http_errors = atomic_load(&pc->http_errors);
    out->faults = atomic_load(&pc->faults);
    out->session_renewals = atomic_load(&pc->session_renewals);
    out->slot_waits = atomic_load(&pc->slot_waits);
    out->throttled = atomic_load(&pc->throttled);
    out->cooled = atomic_load(&pc->cooled);
}

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
    int64_t now = now_ms_monotonic();
    long left;

    pthread_mutex_lock(&pc->throttle_lock);
    left = pc->cool_until_ms > now ? (long)(pc->cool_until_ms - now) : 0;
    pthread_mutex_unlock(&pc->throttle_lock);
    return left;
}

/*
 * Peoplevox refused a call for load: start (or, when the previous one has
 * ended, lengthen) the cool-down; oc says how long is left.
 */
static void pvx_throttle_note(struct pvx_client *pc, struct pvx_outcome *oc)
{
    int64_t now = now_ms_monotonic();

    atomic_fetch_add(&pc->throttled, 1);
    pthread_mutex_lock(&pc->throttle_lock);
    if (pc->cool_until_ms <= now) {
        pc->cool_until_ms = now + pc->cool_ms;
        pc->cool_ms = pc->cool_ms * 2 < pc->throttle_max_ms ? pc->cool_ms * 2
                                                            : pc->throttle_max_ms;
    }
    oc->retry_after_ms = (long)(pc->cool_until_ms - now);
    pthread_mutex_unlock(&pc->throttle_lock);
    oc->throttled = true;
    oc->unknown = false;
}

/* A call went through: the next refusal starts again from the base cool-down. */
static void pvx_throttle_reset(struct pvx_client *pc)
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
    struct timespec deadline;
    enum st rc = ST_OK;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += pc->timeout_ms / 1000;
    deadline.tv_nsec += (pc->timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
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

/* ---- one HTTP round trip ---- */

struct pvx_sink {
    struct pvx_client *pc;
    struct buf *body;
    bool too_large;
};

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
    atomic_fetch_add(&pc->transport_errors, 1);
    errbuf_set(&oc->err, "%s request to peoplevox failed: %s", pvx_op_name(op),
               curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc));
    if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL ||
        cc == CURLE_NOT_BUILT_IN)
        return ST_FAIL;
    return ST_RETRY;
}

/* POSTs req with the caller's handle (or a temporary one) inside a slot. */
static enum st pvx_http_post(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                             const struct buf *req, struct buf *body, struct pvx_outcome *oc)
{
    struct pvx_sink sink = { pc, body, false };
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
    rc = pvx_slot_acquire(pc, oc);
    if (rc != ST_OK)
        goto out;
    hdrs = pvx_curl_setup(pc, curl, op, req, &sink, curl_err);
    cc = curl_easy_perform(curl);
    pvx_slot_release(pc);
    atomic_fetch_add(&pc->requests[op], 1);
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
                            struct pvx_response *resp, struct pvx_outcome *oc)
{
    bool write = op == PVX_OP_SAVE_DATA;
    long code = oc->http_status;
    enum st rc;

    rc = pvx_soap_parse_response(buf_cstr(body), body->len, op, resp, &oc->err);
    if (code != 200)
        atomic_fetch_add(&pc->http_errors, 1);
    if (rc != ST_OK && resp->is_fault)
        atomic_fetch_add(&pc->faults, 1);
    if (code == 503 || code == 429 ||
        (rc != ST_OK && resp->is_fault && pvx_refusal_is_throttle(resp->fault_string))) {
        errbuf_set(&oc->err, "%s: peoplevox refused the call for load (HTTP %ld%s%.200s)",
                   pvx_op_name(op), code, resp->is_fault ? ": " : "",
                   resp->is_fault ? resp->fault_string : "");
        pvx_throttle_note(pc, oc);
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

/* POST + classify; resp is filled whenever an envelope came back. */
static enum st pvx_exchange(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                            const struct buf *req, struct pvx_response *resp,
                            struct pvx_outcome *oc)
{
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
    rc = pvx_http_post(pc, curl, op, req, &body, oc);
    if (rc == ST_OK)
        rc = pvx_classify(pc, op, &body, resp, oc);
    buf_cleanup(&body);
    return rc;
}

/* ---- sessions ---- */

static void pvx_session_cleanup(struct pvx_session *s)
{
    free(s->client_id);
    free(s->session_id);
    memset(s, 0, sizeof(*s));
}

/* One Authenticate round trip; installs the new session on success. */
static enum st pvx_auth_round_trip(struct pvx_client *pc, CURL *curl, struct pvx_outcome *oc)
{
    struct pvx_response r;
    struct buf req;
    char *cid = NULL;
    char *sid = NULL;
    enum st rc;

    memset(&r, 0, sizeof(r));
    buf_init(&req, 0);
    rc = pvx_soap_build_authenticate(&req, pc->client_id, pc->username, pc->password_wire,
                                     &oc->err);
    if (rc == ST_OK)
        rc = pvx_exchange(pc, curl, PVX_OP_AUTHENTICATE, &req, &r, oc);
    if (rc != ST_OK)
        goto out;
    if (r.response_id != 0) {
        errbuf_set(&oc->err, "peoplevox authenticate rejected for user %s: %.200s",
                   pc->username, r.detail);
        rc = ST_FAIL;
        goto out;
    }
    rc = pvx_parse_auth_detail(r.detail, &cid, &sid, &oc->err);
    if (rc != ST_OK)
        goto out;
    pthread_mutex_lock(&pc->session_lock);
    free(pc->session_client_id);
    free(pc->session_id);
    pc->session_client_id = cid;
    pc->session_id = sid;
    pc->session_gen++;
    pthread_mutex_unlock(&pc->session_lock);
    cid = sid = NULL;
out:
    free(cid);
    free(sid);
    buf_cleanup(&req);
    pvx_response_cleanup(&r);
    return rc;
}

/*
 * Authenticates, unless another thread already replaced the session of
 * generation stale_gen while we waited (force: authenticate regardless).
 */
static enum st pvx_session_renew(struct pvx_client *pc, CURL *curl, unsigned long stale_gen,
                                 bool force, struct pvx_outcome *oc)
{
    bool fresh;
    enum st rc = ST_OK;

    pthread_mutex_lock(&pc->auth_lock);
    pthread_mutex_lock(&pc->session_lock);
    fresh = pc->session_id != NULL && pc->session_gen != stale_gen;
    pthread_mutex_unlock(&pc->session_lock);
    if (force || !fresh)
        rc = pvx_auth_round_trip(pc, curl, oc);
    pthread_mutex_unlock(&pc->auth_lock);
    return rc;
}

/* Copies the current session into s, authenticating first when there is none. */
static enum st pvx_session_get(struct pvx_client *pc, CURL *curl, struct pvx_session *s,
                               struct pvx_outcome *oc)
{
    unsigned long gen;
    enum st rc;

    pvx_session_cleanup(s);
    pthread_mutex_lock(&pc->session_lock);
    gen = pc->session_gen;
    if (pc->session_id != NULL) {
        s->client_id = xstrdup(pc->session_client_id);
        s->session_id = xstrdup(pc->session_id);
        s->gen = gen;
    }
    pthread_mutex_unlock(&pc->session_lock);
    if (s->session_id != NULL)
        return ST_OK;
    rc = pvx_session_renew(pc, curl, gen, false, oc);
    if (rc != ST_OK)
        return rc;
    return pvx_session_get(pc, curl, s, oc);
}

enum st pvx_authenticate(struct pvx_client *pc, CURL *curl, struct pvx_outcome *oc)
{
    memset(oc, 0, sizeof(*oc));
    return pvx_session_renew(pc, curl, 0, true, oc);
}

/* ---- the generic call ---- */

typedef enum st (*pvx_build_fn)(struct buf *out, const struct pvx_credentials *cred,
                                const void *arg, struct errbuf *err);

/*
 * ResponseId != 0: a refusal. Without row statuses the call was refused as
 * a whole and its Detail decides (transient: ST_RETRY, nothing applied);
 * with row statuses the rows speak (ST_FAIL, the caller reads them).
 */
static enum st pvx_refusal_status(struct pvx_client *pc, enum pvx_op op,
                                  const struct pvx_response *resp, struct pvx_outcome *oc)
{
    bool whole = resp->n_statuses == 0;

    errbuf_set(&oc->err, "%s %s by peoplevox (ResponseId %d): %.300s", pvx_op_name(op),
               whole && pvx_refusal_is_transient(resp->detail) ? "refused for now" : "rejected",
               resp->response_id, resp->detail);
    if (!whole || !pvx_refusal_is_transient(resp->detail))
        return ST_FAIL;
    if (pvx_refusal_is_throttle(resp->detail))
        pvx_throttle_note(pc, oc);
    return ST_RETRY;
}

/*
 * Builds and sends op with the tenant's session; on a session error renews
 * once and repeats. ST_OK only for ResponseId 0; *resp holds whatever
 * envelope came back (also on ST_FAIL).
 */
static enum st pvx_call(struct pvx_client *pc, CURL *curl, enum pvx_op op, pvx_build_fn build,
                        const void *arg, struct pvx_response *resp, struct pvx_outcome *oc)
{
    struct pvx_session s = { NULL, NULL, 0 };
    struct pvx_credentials cred;
    struct buf req;
    enum st rc;
    int attempt;

    memset(oc, 0, sizeof(*oc));
    memset(resp, 0, sizeof(*resp));
    buf_init(&req, 0);
    for (attempt = 0;; attempt++) {
        rc = pvx_session_get(pc, curl, &s, oc);
        if (rc != ST_OK)
            goto out;
        cred.client_id = s.client_id;
        cred.session_id = s.session_id;
        buf_reset(&req);
        rc = build(&req, &cred, arg, &oc->err);
        if (rc != ST_OK)
            goto out;
        rc = pvx_exchange(pc, curl, op, &req, resp, oc);
        if (rc != ST_OK || !pvx_response_is_session_error(resp))
            break;
        if (attempt > 0) {
            errbuf_set(&oc->err, "%s: peoplevox session still invalid after renewal: %.200s",
                       pvx_op_name(op), resp->detail);
            rc = ST_RETRY;
            goto out;
        }
        atomic_fetch_add(&pc->session_renewals, 1);
        oc->session_renewed = true;
        rc = pvx_session_renew(pc, curl, s.gen, false, oc);
        if (rc != ST_OK)
            goto out;
    }
    if (rc == ST_OK && resp->response_id != 0)
        rc = pvx_refusal_status(pc, op, resp, oc);
    if (rc == ST_OK)
        pvx_throttle_reset(pc);
out:
    pvx_session_cleanup(&s);
    buf_cleanup(&req);
    return rc;
}

static enum st pvx_build_get_data(struct buf *out, const struct pvx_credentials *cred,
                                  const void *arg, struct errbuf *err)
{
    return pvx_soap_build_get_data(out, cred, arg, err);
}

static enum st pvx_build_report(struct buf *out, const struct pvx_credentials *cred,
                                const void *arg, struct errbuf *err)
{
    return pvx_soap_build_get_report_data(out, cred, arg, err);
}

static enum st pvx_build_template(struct buf *out, const struct pvx_credentials *cred,
                                  const void *arg, struct errbuf *err)
{
    return pvx_soap_build_get_save_template(out, cred, arg, err);
}

struct pvx_save_arg {
    const char *template_name;
    const char *csv;
};

static enum st pvx_build_save(struct buf *out, const struct pvx_credentials *cred,
                              const void *arg, struct errbuf *err)
{
    const struct pvx_save_arg *a = arg;

    return pvx_soap_build_save_data(out, cred, a->template_name, a->csv, 0, err);
}

/* ---- data calls ---- */

/* Runs a data call and parses its CSV Detail into *out. */
static enum st pvx_call_table(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                              pvx_build_fn build, const void *arg, struct csv_table *out,
                              long *total_count, struct pvx_outcome *oc)
{
    struct pvx_response r;
    enum st rc;

    memset(out, 0, sizeof(*out));
    *total_count = 0;
    rc = pvx_call(pc, curl, op, build, arg, &r, oc);
    if (rc != ST_OK)
        goto out;
    *total_count = r.total_count;
    rc = csv_parse(r.detail, strlen(r.detail), 0, out, &oc->err);
out:
    pvx_response_cleanup(&r);
    return rc;
}

static enum st pvx_check_page(int page_no, int items_per_page, struct pvx_outcome *oc)
{
    if (page_no >= 1 && items_per_page >= 1 && items_per_page <= PVX_MAX_PAGE_ITEMS)
        return ST_OK;
    memset(oc, 0, sizeof(*oc));
    errbuf_set(&oc->err, "page %d of %d items is out of range (1..%d items)", page_no,
               items_per_page, PVX_MAX_PAGE_ITEMS);
    return ST_FAIL;
}

enum st pvx_get_data(struct pvx_client *pc, CURL *curl, const char *template_name,
                     const char *search_clause, int page_no, int items_per_page,
                     struct csv_table *out, long *total_count, struct pvx_outcome *oc)
{
    struct pvx_get_request req = { template_name, page_no, items_per_page, search_clause };

    memset(out, 0, sizeof(*out));
    *total_count = 0;
    if (pvx_check_page(page_no, items_per_page, oc) != ST_OK)
        return ST_FAIL;
    return pvx_call_table(pc, curl, PVX_OP_GET_DATA, pvx_build_get_data, &req, out,
                          total_count, oc);
}

enum st pvx_get_report_data(struct pvx_client *pc, CURL *curl,
                            const struct pvx_report_request *req, struct csv_table *out,
                            long *total_count, struct pvx_outcome *oc)
{
    memset(out, 0, sizeof(*out));
    *total_count = 0;
    if (pvx_check_page(req->page_no, req->items_per_page, oc) != ST_OK)
        return ST_FAIL;
    return pvx_call_table(pc, curl, PVX_OP_GET_REPORT_DATA, pvx_build_report, req, out,
                          total_count, oc);
}

static bool pvx_rows_equal(const struct csv_row *a, const struct csv_row *b)
{
    size_t i;

    if (a->n != b->n)
        return false;
    for (i = 0; i < a->n; i++) {
        if (strcmp(a->fields[i], b->fields[i]) != 0)
            return false;
    }
    return true;
}

/* Moves src's data rows under dst's header (src keeps only its header). */
static enum st pvx_table_merge(struct csv_table *dst, struct csv_table *src, size_t max_rows,
                               struct errbuf *err)
{
    size_t add;

    if (src->n_rows == 0)
        return ST_OK;
    if (dst->n_rows == 0) {
        *dst = *src;
        memset(src, 0, sizeof(*src));
    } else if (!pvx_rows_equal(&dst->rows[0], &src->rows[0])) {
        errbuf_set(err, "peoplevox changed the column header between pages");
        return ST_FAIL;
    } else {
        add = src->n_rows - 1;
        dst->rows = xrealloc(dst->rows, (dst->n_rows + add) * sizeof(*dst->rows));
        memcpy(&dst->rows[dst->n_rows], &src->rows[1], add * sizeof(*dst->rows));
        dst->n_rows += add;
        src->n_rows = 1;
    }
    if (max_rows != 0 && dst->n_rows - 1 > max_rows) {
        errbuf_set(err, "peoplevox returned more than %zu rows", max_rows);
        return ST_FAIL;
    }
    return ST_OK;
}

/* Fetches one page into *out (page fields set by the caller's adapter). */
typedef enum st (*pvx_page_fn)(struct pvx_client *pc, CURL *curl, const void *arg, int page_no,
                               int per_page, struct csv_table *out, long *total,
                               struct pvx_outcome *oc);

/*
 * Pages until PageNo * ItemsPerPage >= TotalCount. A page with no data rows
 * also ends the walk: TotalCount can shrink while we page.
 */
static enum st pvx_fetch_all(struct pvx_client *pc, CURL *curl, pvx_page_fn fetch,
                             const void *arg, int per_page, size_t max_rows,
                             struct csv_table *out, struct pvx_outcome *oc)
{
    struct csv_table page;
    size_t page_rows;
    long total = 0;
    enum st rc = ST_OK;
    int page_no;

    memset(out, 0, sizeof(*out));
    if (per_page == 0)
        per_page = PVX_MAX_PAGE_ITEMS;
    for (page_no = 1; page_no <= PVX_MAX_PAGES; page_no++) {
        rc = fetch(pc, curl, arg, page_no, per_page, &page, &total, oc);
        page_rows = page.n_rows > 0 ? page.n_rows - 1 : 0;
        if (rc == ST_OK)
            rc = pvx_table_merge(out, &page, max_rows, &oc->err);
        csv_table_cleanup(&page);
        if (rc != ST_OK)
            goto out;
        if ((long long)page_no * per_page >= total || page_rows == 0)
            goto out;
    }
    errbuf_set(&oc->err, "peoplevox paging passed %d pages", PVX_MAX_PAGES);
    rc = ST_FAIL;
out:
    if (rc != ST_OK)
        csv_table_cleanup(out);
    return rc;
}

struct pvx_get_all_arg {
    const char *template_name;
    const char *search_clause;
};

static enum st pvx_page_get_data(struct pvx_client *pc, CURL *curl, const void *arg,
                                 int page_no, int per_page, struct csv_table *out, long *total,
                                 struct pvx_outcome *oc)
{
    const struct pvx_get_all_arg *a = arg;

    return pvx_get_data(pc, curl, a->template_name, a->search_clause, page_no, per_page, out,
                        total, oc);
}

static enum st pvx_page_report(struct pvx_client *pc, CURL *curl, const void *arg, int page_no,
                               int per_page, struct csv_table *out, long *total,
                               struct pvx_outcome *oc)
{
    struct pvx_report_request req = *(const struct pvx_report_request *)arg;

    req.page_no = page_no;
    req.items_per_page = per_page;
    return pvx_get_report_data(pc, curl, &req, out, total, oc);
}

enum st pvx_get_data_all(struct pvx_client *pc, CURL *curl, const char *template_name,
                         const char *search_clause, int items_per_page, size_t max_rows,
                         struct csv_table *out, struct pvx_outcome *oc)
{
    struct pvx_get_all_arg a = { template_name, search_clause };

    return pvx_fetch_all(pc, curl, pvx_page_get_data, &a, items_per_page, max_rows, out, oc);
}

enum st pvx_get_report_data_all(struct pvx_client *pc, CURL *curl,
                                const struct pvx_report_request *req, size_t max_rows,
                                struct csv_table *out, struct pvx_outcome *oc)
{
    return pvx_fetch_all(pc, curl, pvx_page_report, req, req->items_per_page, max_rows, out,
                         oc);
}

/* ---- writes ---- */

/* Replaces the generic message with the first rejected row's reason. */
static void pvx_describe_row_errors(const struct pvx_response *r, struct errbuf *err)
{
    size_t bad = 0;
    size_t first = 0;
    size_t i;

    for (i = r->n_statuses; i-- > 0;) {
        if (strcasecmp(r->statuses[i].status, "Success") != 0) {
            bad++;
            first = i;
        }
    }
    if (bad == 0)
        return;
    errbuf_set(err, "peoplevox rejected %zu of %zu rows; first %s: %.200s", bad, r->n_statuses,
               r->statuses[first].reference,
               r->statuses[first].message[0] != '\0' ? r->statuses[first].message : r->detail);
}

enum st pvx_save_data(struct pvx_client *pc, CURL *curl, const char *template_name,
                      const char *csv, struct pvx_response *out, struct pvx_outcome *oc)
{
    struct pvx_save_arg a = { template_name, csv };
    enum st rc;

    rc = pvx_call(pc, curl, PVX_OP_SAVE_DATA, pvx_build_save, &a, out, oc);
    if ((rc == ST_OK || rc == ST_FAIL) && pvx_response_has_row_errors(out)) {
        pvx_describe_row_errors(out, &oc->err);
        rc = ST_FAIL;
    }
    return rc;
}

/* ---- save templates ---- */

static void pvx_fields_copy(struct pvx_fields *dst, const struct pvx_fields *src)
{
    size_t i;

    dst->n = src->n;
    dst->names = xcalloc(src->n, sizeof(char *));
    for (i = 0; i < src->n; i++)
        dst->names[i] = xstrdup(src->names[i]);
}

static bool pvx_cache_get(struct pvx_client *pc, const char *name, struct pvx_fields *out)
{
    bool found = false;
    size_t i;

    pthread_mutex_lock(&pc->cache_lock);
    for (i = 0; i < pc->n_templates && !found; i++) {
        if (strcmp(pc->templates[i].name, name) == 0) {
            pvx_fields_copy(out, &pc->templates[i].fields);
            found = true;
        }
    }
    pthread_mutex_unlock(&pc->cache_lock);
    return found;
}

static void pvx_cache_put(struct pvx_client *pc, const char *name, const struct pvx_fields *f)
{
    struct pvx_template *t = NULL;
    size_t i;

    pthread_mutex_lock(&pc->cache_lock);
    for (i = 0; i < pc->n_templates && t == NULL; i++) {
        if (strcmp(pc->templates[i].name, name) == 0)
            t = &pc->templates[i];
    }
    if (t == NULL) {
        pc->templates = xrealloc(pc->templates, (pc->n_templates + 1) * sizeof(*t));
        t = &pc->templates[pc->n_templates++];
        t->name = xstrdup(name);
    } else {
        pvx_fields_cleanup(&t->fields);
    }
    pvx_fields_copy(&t->fields, f);
    pthread_mutex_unlock(&pc->cache_lock);
}

enum st pvx_get_save_template(struct pvx_client *pc, CURL *curl, const char *template_name,
                              bool refresh, struct pvx_fields *out, struct pvx_outcome *oc)
{
    struct pvx_response r;
    struct csv_table t = { 0, NULL };
    enum st rc;

    memset(out, 0, sizeof(*out));
    memset(oc, 0, sizeof(*oc));
    if (!refresh && pvx_cache_get(pc, template_name, out))
        return ST_OK;
    rc = pvx_call(pc, curl, PVX_OP_GET_SAVE_TEMPLATE, pvx_build_template, template_name, &r, oc);
    if (rc == ST_OK)
        rc = csv_parse(r.detail, strlen(r.detail), 0, &t, &oc->err);
    if (rc == ST_OK && (t.n_rows == 0 || (t.rows[0].n == 1 && t.rows[0].fields[0][0] == '\0'))) {
        errbuf_set(&oc->err, "peoplevox save template \"%s\" has no fields", template_name);
        rc = ST_FAIL;
    }
    if (rc != ST_OK)
        goto out;
    out->n = t.rows[0].n;           /* take row 0's strings over */
    out->names = t.rows[0].fields;
    t.rows[0].n = 0;
    t.rows[0].fields = NULL;
    pvx_cache_put(pc, template_name, out);
out:
    csv_table_cleanup(&t);
    pvx_response_cleanup(&r);
    return rc;
}

/* ---- CSV by field name ---- */

static int pvx_fields_find(const struct pvx_fields *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n; i++) {
        if (csv_name_equal(f->names[i], name))
            return (int)i;
    }
    return -1;
}

static void pvx_fields_add_unique(struct pvx_fields *f, const char *name)
{
    if (pvx_fields_find(f, name) >= 0)
        return;
    f->names = xrealloc(f->names, (f->n + 1) * sizeof(char *));
    f->names[f->n++] = xstrdup(name);
}

/* Places one record's values into row[] by header position. */
static enum st pvx_place_record(const struct pvx_fields *header, const struct pvx_record *rec,
                                const char **row, unsigned char *set,
                                struct pvx_fields *unknown, struct errbuf *err)
{
    size_t i;
    int col;

    memset(set, 0, header->n);
    for (i = 0; i < header->n; i++)
        row[i] = NULL;
    for (i = 0; i < rec->n; i++) {
        col = pvx_fields_find(header, rec->values[i].name);
        if (col < 0) {
            pvx_fields_add_unique(unknown, rec->values[i].name);
            continue;
        }
        if (set[col]) {
            errbuf_set(err, "field \"%s\" is given twice in one record", rec->values[i].name);
            return ST_FAIL;
        }
        set[col] = 1;
        row[col] = rec->values[i].value;
    }
    return ST_OK;
}

enum st pvx_build_csv(const struct pvx_fields *header, const struct pvx_record *records,
                      size_t n_records, struct buf *out, struct pvx_fields *unknown,
                      struct errbuf *err)
{
    const char **row = NULL;
    unsigned char *set = NULL;
    struct buf tmp;
    enum st rc = ST_FAIL;
    int capped;
    size_t r;

    buf_init(&tmp, out->max);
    if (header->n == 0) {
        errbuf_set(err, "save template has no fields");
        goto out;
    }
    row = xcalloc(header->n, sizeof(*row));
    set = xcalloc(header->n, 1);
    capped = csv_append_row(&tmp, (const char *const *)header->names, header->n);
    for (r = 0; r < n_records && capped == 0; r++) {
        if (pvx_place_record(header, &records[r], row, set, unknown, err) != ST_OK)
            goto out;
        capped = csv_append_row(&tmp, row, header->n);
    }
    if (capped == 0)
        capped = buf_append(out, tmp.data, tmp.len);
    if (capped != 0) {
        errbuf_set(err, "save csv exceeds %zu bytes", out->max);
        goto out;
    }
    rc = ST_OK;
out:
    free(row);
    free(set);
    buf_cleanup(&tmp);
    return rc;
}
