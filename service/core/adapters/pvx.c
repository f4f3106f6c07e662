/*
 * pvx.c - Peoplevox client: lifecycle, sessions, the generic call.
 *
 * A call is: take a copy of the tenant's session (authenticating first if
 * there is none), build the envelope (pvx_soap), then one round trip
 * (pvx_http.c: take a slot, POST, give the slot back, parse, classify).
 * Peoplevox reports an expired session as HTTP 200 with ResponseId -1 and
 * a Detail mentioning "session", so that answer triggers exactly one
 * re-authentication and one repeat; a second session error is ST_RETRY
 * (the job backs off).
 *
 * The client is split by concern (see pvx_int.h, which also holds the lock
 * essay): this file owns the client's lifecycle, its session and the
 * generic call; pvx_http.c one round trip and what its answer means;
 * pvx_calls.c the operations built on the generic call.
 *
 * Counters: the client counts its requests, failures and renewals where
 * they happen (pvx_count_*), in its own atomics (pvx_client_stats, per
 * client) and in the process's metrics registry (per process, the sum of
 * its clients: one per tenant). Every series exists from the client's
 * creation, at 0, so a dashboard can rate it before the first call.
 */
#include "pvx.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <openssl/evp.h>

#include "metrics.h"
#include "pvx_int.h"

#define PVX_THROTTLE_BASE_MS 1000L
#define PVX_LIMIT_SLEEP_MAX_MS 2000L
#define PVX_MET_REQUESTS "shopvox_peoplevox_requests_total"
#define PVX_MET_ERRORS "shopvox_peoplevox_errors_total"
#define PVX_MET_RENEWALS "shopvox_peoplevox_session_renewals_total"

/* The {kind} label of each enum pvx_error_kind. */
static const char *const pvx_error_labels[] = {"kind=\"transport\"", "kind=\"http\"",
                                               "kind=\"fault\""};
#define PVX_THROTTLE_MAX_MS 15000L

/* A thread's private copy of the session it is calling with. */
struct pvx_session {
    char *client_id;
    char *session_id;
    unsigned long gen;
};

/* ---- counters ---- */

static void pvx_op_labels(enum pvx_op op, char *out, size_t cap)
{
    snprintf(out, cap, "op=\"%s\"", pvx_op_name(op));
}

/* Describes the families and creates every series at 0 (adds 0: a second client counts on). */
static void pvx_metrics_init(void)
{
    char labels[64];

    metrics_describe(PVX_MET_REQUESTS, MET_COUNTER,
                     "SOAP requests sent to Peoplevox by operation");
    metrics_describe(PVX_MET_ERRORS, MET_COUNTER,
                     "Peoplevox call failures by kind (transport, http, fault)");
    metrics_describe(PVX_MET_RENEWALS, MET_COUNTER,
                     "Peoplevox sessions renewed after an invalid-session answer");
    for (int op = 0; op < PVX_OP_COUNT; op++) {
        pvx_op_labels((enum pvx_op)op, labels, sizeof(labels));
        metrics_add(PVX_MET_REQUESTS, labels, 0);
    }
    for (size_t i = 0; i < ARRAY_LEN(pvx_error_labels); i++)
        metrics_add(PVX_MET_ERRORS, pvx_error_labels[i], 0);
    metrics_add(PVX_MET_RENEWALS, "", 0);
}

void pvx_count_request(struct pvx_client *pc, enum pvx_op op)
{
    char labels[64];

    atomic_fetch_add(&pc->requests[op], 1);
    pvx_op_labels(op, labels, sizeof(labels));
    metrics_inc(PVX_MET_REQUESTS, labels);
}

void pvx_count_error(struct pvx_client *pc, enum pvx_error_kind kind)
{
    atomic_ulong *const counters[] = {&pc->transport_errors, &pc->http_errors, &pc->faults};

    atomic_fetch_add(counters[kind], 1);
    metrics_inc(PVX_MET_ERRORS, pvx_error_labels[kind]);
}

void pvx_count_renewal(struct pvx_client *pc)
{
    atomic_fetch_add(&pc->session_renewals, 1);
    metrics_inc(PVX_MET_RENEWALS, "");
}

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
    pc->now_ms = cfg->now_ms;
    pc->now_ctx = cfg->now_ctx;
    if (cfg->limiter != NULL)
        pc->limiter = *cfg->limiter;
    pc->limit_sleep_max_ms = cfg->limit_sleep_max_ms > 0 ? cfg->limit_sleep_max_ms
                                                         : PVX_LIMIT_SLEEP_MAX_MS;
    pthread_mutex_init(&pc->throttle_lock, NULL);
    pthread_mutex_init(&pc->session_lock, NULL);
    pthread_mutex_init(&pc->auth_lock, NULL);
    pthread_mutex_init(&pc->slot_lock, NULL);
    pthread_mutex_init(&pc->cache_lock, NULL);
    cond_init_monotonic(&pc->slot_cond);
    pvx_metrics_init();
    return pc;
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
    out->limited = atomic_load(&pc->limited);
    out->limit_sleeps = atomic_load(&pc->limit_sleeps);
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
        rc = pvx_http_exchange(pc, curl, PVX_OP_AUTHENTICATE, &req, &r, oc);
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

enum st pvx_call(struct pvx_client *pc, CURL *curl, enum pvx_op op, pvx_build_fn build,
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
        rc = pvx_http_exchange(pc, curl, op, &req, resp, oc);
        if (rc != ST_OK || !pvx_response_is_session_error(resp))
            break;
        if (attempt > 0) {
            errbuf_set(&oc->err, "%s: peoplevox session still invalid after renewal: %.200s",
                       pvx_op_name(op), resp->detail);
            rc = ST_RETRY;
            goto out;
        }
        pvx_count_renewal(pc);
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
