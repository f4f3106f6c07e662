/*
 * pvx_int.h - private contract between the Peoplevox client's files.
 *
 * The client (pvx.h) is split by concern: pvx.c owns the lifecycle, the
 * session and the generic call with its one renewal; pvx_http.c one HTTP
 * round trip (concurrency cap, progress and abort, throttle cool-down) and
 * the classification of its answer; pvx_calls.c the operations built on
 * the generic call (data and report pages, saves, save templates, CSV by
 * field name). Nothing here is used outside service/core/adapters/pvx*.c.
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
 *   (limiter)     the shared budget's token is taken while the slot is held,
 *                 so a granted token is sent at once; the limiter takes no
 *                 lock of the client's and returns (its database statement
 *                 holds a row lock for that statement only), so a slot held
 *                 across it is given back after a bounded wait.
 */
#ifndef SHOPVOX_PVX_INT_H
#define SHOPVOX_PVX_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "common.h"
#include "pvx.h"
#include "pvx_soap.h"

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
    now_ms_fn now_ms;             /* the cool-down's clock; NULL: now_ms_monotonic */
    void *now_ctx;
    struct pvx_limiter limiter;   /* acquire NULL: none */
    long limit_sleep_max_ms;

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
    int64_t cool_until_ms;        /* client's clock; calls before it are not sent */

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
    atomic_ulong limited;
    atomic_ulong limit_sleeps;
};

/* Builds one operation's envelope with the given session (pvx_soap). */
typedef enum st (*pvx_build_fn)(struct buf *out, const struct pvx_credentials *cred,
                                const void *arg, struct errbuf *err);

/* ---- pvx.c ---- */

/* Why a call failed, for the counters (pvx_stats) and shopvox_peoplevox_errors_total{kind}. */
enum pvx_error_kind {
    PVX_ERR_TRANSPORT, /* timeouts, refused and dropped connections */
    PVX_ERR_HTTP,      /* an answer with a status other than 200 */
    PVX_ERR_FAULT      /* a SOAP fault */
};

/*
 * The counters: each bumps the client's own (pvx_client_stats) and the
 * process's metrics (shopvox_peoplevox_requests_total{op},
 * _errors_total{kind}, _session_renewals_total) together, where it counts.
 */
void pvx_count_request(struct pvx_client *pc, enum pvx_op op);
void pvx_count_error(struct pvx_client *pc, enum pvx_error_kind kind);
void pvx_count_renewal(struct pvx_client *pc);

/*
 * Builds and sends op with the tenant's session; on a session error renews
 * once and repeats. ST_OK only for ResponseId 0; *resp holds whatever
 * envelope came back (also on ST_FAIL). oc is reset first.
 */
enum st pvx_call(struct pvx_client *pc, CURL *curl, enum pvx_op op, pvx_build_fn build,
                 const void *arg, struct pvx_response *resp, struct pvx_outcome *oc);

/* ---- pvx_http.c ---- */

/*
 * One round trip of req (an envelope built for op): not sent while the
 * client cools down (ST_RETRY, oc->throttled), else POSTed inside a slot,
 * parsed into *resp (filled whenever an envelope came back) and classified
 * (ST_OK, ST_RETRY, ST_FAIL; oc->unknown for a write that may have been
 * applied). Sets oc->http_status and oc->unknown; ResponseId is not looked
 * at here (see pvx_refusal_status).
 */
enum st pvx_http_exchange(struct pvx_client *pc, CURL *curl, enum pvx_op op,
                          const struct buf *req, struct pvx_response *resp,
                          struct pvx_outcome *oc);

/*
 * ResponseId != 0: a refusal. Without row statuses the call was refused as
 * a whole and its Detail decides (transient: ST_RETRY, nothing applied,
 * and a throttle text starts the cool-down); with row statuses the rows
 * speak (ST_FAIL, the caller reads them). oc->err says which.
 */
enum st pvx_refusal_status(struct pvx_client *pc, enum pvx_op op,
                           const struct pvx_response *resp, struct pvx_outcome *oc);

/* A call went through: the next refusal starts again from the base cool-down. */
void pvx_throttle_reset(struct pvx_client *pc);

#endif
