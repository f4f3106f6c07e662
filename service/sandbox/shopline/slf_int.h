/*
 * slf_int.h - the fake SHOPLINE Admin API as a whole: what its server, its
 * endpoints, its control API and its webhook sender share (private to
 * shopline/).
 *
 * The fake is split by concern:
 *   slf_server.c   start/stop, auth, the leaky bucket, faults in SHOPLINE's
 *                  dialect, traceId, routing to the endpoints
 *   slf_api.c      the Admin API endpoints and link-header paging
 *   slf_render.c   orders, fulfillments, products as SHOPLINE's JSON
 *   slf_control.c  its part of the /_sandbox/ control API
 *   slf_webhook.c  signed webhook deliveries to shopvox (libcurl)
 *   slf_store.[ch] the store and its rules
 * and sits on the sandbox's shared layer (../sandbox_fake.h). Everything
 * that touches sb->st expects the caller to hold sb->fake.lock.
 */
#ifndef SHOPVOX_SLF_INT_H
#define SHOPVOX_SLF_INT_H

#include <stdbool.h>

#include "../sandbox_fake.h"
#include "http_server.h"
#include "sandbox.h"
#include "slf_store.h"

struct json_object;

#define SLF_MAX_RESPONSE_BYTES (16u * 1024 * 1024)
#define SLF_DELIVERY_LOG 64

/* Copied options (strings owned). */
struct slf_config {
    char *token, *shop_domain, *app_secret, *webhook_url, *api_version;
    bool seed;
    int utc_offset_min;
};

/* SHOPLINE's leaky bucket, in thousandths of a request. */
struct slf_bucket {
    long rate_per_sec, burst;    /* burst 0: off */
    int64_t level_milli, at_ms;
    long refused;
};

/*
 * Every Admin API call that reached the fake (past the path check), for
 * the request rate a store would observe: arrival times on the fake's
 * clock, oldest first, up to SLF_TRAFFIC_MAX (later ones only counted).
 */
#define SLF_TRAFFIC_MAX 1000000
struct slf_traffic {
    int64_t *at_ms;              /* owned */
    size_t n, cap;
    long requests;               /* every arrival, kept or not */
    long refused;                /* answered 429 (the bucket or a fault) */
};

struct slf_delivery {
    char webhook_id[40];
    char topic[40];
    char order_id[SLF_ID_CHARS];
    long status;                 /* HTTP status, 0: no answer */
};

/* A webhook subscription (slf_subs.c). */
struct slf_sub {
    char id[SLF_ID_CHARS];
    char *topic, *address, *api_version; /* owned */
    int64_t created_ms;
};
struct slf_subs {
    struct slf_sub *items;
    size_t n, cap;
    long next_id;
};

/* Return requests and refunds (slf_returns.c). */
struct slf_return {
    char id[SLF_ID_CHARS], order_id[SLF_ID_CHARS];
    int64_t updated_ms;
    char **versions;             /* the return's JSON after each change, oldest first (owned) */
    size_t n_versions;
};
struct slf_returns {
    struct slf_return *items;
    size_t n, cap;
    long next_id;                /* returns and refunds share it */
};

struct sandbox_shopline {
    struct sbx_fake fake;        /* server, lock, shared faults, call log */
    struct slf_config cfg;
    struct slf_bucket bucket, bucket_at_start;
    struct slf_traffic traffic;
    struct slf_state st;
    struct slf_delivery deliveries[SLF_DELIVERY_LOG];
    long n_deliveries, next_webhook;
    long next_trace;
    struct slf_subs subs;
    struct slf_returns returns;
};

/* slf_server.c: answers in SHOPLINE's dialect. */
void slf_reply_json(struct http_response *resp, int status, struct json_object *o);
void slf_reply_errors(struct http_response *resp, int status, const char *msg);
/* Takes a bucket drop at now: false when it overflows (counted refused). Lock held. */
bool slf_bucket_take(struct slf_bucket *b, int64_t now_ms);
/* Records an arrival at now_ms. Lock held. */
void slf_traffic_add(struct slf_traffic *t, int64_t now_ms);
/* The most arrivals in any window [t, t + window_ms). Lock held. */
long slf_traffic_busiest(const struct slf_traffic *t, int64_t window_ms);
/* Forgets every arrival. Lock held. */
void slf_traffic_reset(struct slf_traffic *t);

/* slf_api.c: one Admin API call (rest: the path after the version, e.g. "orders.json"). */
struct slf_call {
    const char *op;              /* for the call log, e.g. "GET orders" */
    long rows;
    bool is_write;               /* subject to drop_after_apply */
};

/* Runs the call under the lock; resp holds the answer. */
void slf_api_run(struct sandbox_shopline *sb, const struct http_request *req, const char *rest,
                 struct http_response *resp, struct slf_call *call);
/* The operation name of a call, for faults and the log (static). */
const char *slf_api_op(const char *method, const char *rest);
/* Parses a JSON body whose big integer ids must stay text; NULL when not JSON. */
struct json_object *slf_json_parse_ids(const char *body, size_t len);

/* slf_render.c: JSON as SHOPLINE sends it (new objects). Lock held. */
void slf_format_time(const struct sandbox_shopline *sb, int64_t ms, char *out, size_t cap);
struct json_object *slf_order_json(const struct sandbox_shopline *sb, const struct slf_order *o);
struct json_object *slf_fulfillment_json(const struct sandbox_shopline *sb,
                                         const struct slf_order *o,
                                         const struct slf_fulfillment *f);
struct json_object *slf_product_json(const struct slf_product *p);
struct json_object *slf_level_json(const struct sandbox_shopline *sb, const struct slf_level *l);
/* Records the order's current JSON as a new version (after every change). */
void slf_order_snapshot(const struct sandbox_shopline *sb, struct slf_order *o);

/* slf_control.c: the control hooks (see struct sbx_fake_hooks). */
struct slf_send;
/*
 * A change the control API makes under the lock: the answer's code, *shown
 * the object it answers (new), the deliveries it planned (*sends, *n), or
 * a message in msg.
 */
typedef int (*slf_change_fn)(struct sandbox_shopline *sb, const char *path,
                             struct json_object *in, struct json_object **shown,
                             struct slf_send **sends, size_t *n, char *msg, size_t cap);
/*
 * Runs change for the POST req (its body a JSON object) under the lock,
 * sends its deliveries after releasing it, and answers {key: shown,
 * "deliveries": [...]} (lock NOT held).
 */
void slf_control_run(struct sandbox_shopline *sb, const struct http_request *req,
                     struct http_response *resp, slf_change_fn change, const char *key);
int slf_control(void *ctx, const char *method, const char *path, struct json_object *in,
                struct buf *out);
bool slf_control_unlocked(void *ctx, const struct http_request *req,
                          struct http_response *resp);
void slf_reset(void *ctx);

/* slf_webhook.c: one planned delivery (strings owned). */
struct slf_send {
    char *url, *secret, *body, *topic, *webhook_id;
    bool base64;
    char order_id[SLF_ID_CHARS];
    long status;
};

/* The deliver options that do not depend on the order: 0, or -1 with msg. Lock held. */
int slf_webhook_check(const struct sandbox_shopline *sb, struct json_object *opts, char *msg,
                      size_t cap);
/*
 * Plans the deliveries of order o asked for by opts (the deliver object,
 * borrowed) into *out (*n of them): lock held. 0, or -1 with a message in
 * msg when the options are wrong (nothing planned).
 */
int slf_webhook_plan(struct sandbox_shopline *sb, const struct slf_order *o,
                     const char *default_topic, struct json_object *opts, struct slf_send **out,
                     size_t *n, char *msg, size_t cap);
/*
 * One delivery of body on topic to the url of opts (or the fake's), signed
 * with opts' secret and encoding (or the app secret, hex), under
 * webhook_id, else opts' webhook_id, else a fresh one: lock held; s's
 * strings become owned.
 */
void slf_webhook_fill(struct sandbox_shopline *sb, struct json_object *opts, const char *topic,
                      const char *body, const char *webhook_id, struct slf_send *s);
/* Sends them in order (lock NOT held), then logs them (takes the lock). */
void slf_webhook_send(struct sandbox_shopline *sb, struct slf_send *s, size_t n);
/* Their outcome as a JSON array; frees them. */
struct json_object *slf_webhook_finish(struct slf_send *s, size_t n);

/* slf_subs.c: the webhook subscriptions (lock held unless said otherwise). */
void slf_subs_reset(struct slf_subs *subs);
/* GET webhooks.json / POST webhooks.json. */
void slf_subs_get(struct sandbox_shopline *sb, struct http_response *resp, struct slf_call *call);
void slf_subs_post(struct sandbox_shopline *sb, const struct http_request *req,
                   struct http_response *resp);
/* The control paths subscriptions[/delete]: an HTTP status, or 0 when path is not one. */
int slf_subs_control(struct sandbox_shopline *sb, const char *path, struct json_object *in,
                     struct buf *out);
/* POST /_sandbox/app: delivers an apps/installed_uninstalled webhook (lock NOT held). */
bool slf_subs_app(struct sandbox_shopline *sb, const struct http_request *req,
                  struct http_response *resp);

/* slf_returns.c: return requests and refunds. */
void slf_returns_reset(struct slf_returns *r);
/*
 * POST /_sandbox/returns, /_sandbox/returns/{id}, /_sandbox/refunds: makes
 * or changes one and delivers its signed webhook (lock NOT held). false
 * when the request is none of them.
 */
bool slf_returns_control(struct sandbox_shopline *sb, const struct http_request *req,
                         struct http_response *resp);

#endif
