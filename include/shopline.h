/*
 * shopline.h - the SHOPLINE Admin API client (REST + JSON over libcurl), one per store.
 *
 * A client holds what a store shares: its base url and token, the limits
 * (timeouts, response cap, page cap), the rate-limit hook and call
 * counters. It is safe to use from many threads at once, but threads never
 * share a CURL handle: each call takes the caller's own easy handle (or
 * NULL, and the client uses a temporary one for that call).
 *
 * Every call returns ST_OK, ST_RETRY or ST_FAIL and describes itself in a
 * struct shopline_outcome: a reason code (one per kind of failure, so the
 * caller opens one clear exception per kind), the HTTP status, the
 * `traceId` header (log it with any failure), Shopline's `errors` as one
 * readable message, `throttled` for a 429 and `unknown` for a write whose
 * reply was lost. The caller decides and logs.
 *
 * Rate limit. Shopline allows 4 requests/s per app and store (a bucket of
 * 40) and answers the excess with 429 and no Retry-After. The client does
 * not keep the budget itself: config.acquire, when set, is called before
 * every request (each page of a paged read too) and may wait for a token;
 * a refusal means the request is not sent. config.throttled, when set,
 * hears of every 429, so a shared limiter can slow down for everyone.
 *
 * Ownership: config strings are copied at create; outputs (lists, ids,
 * cursors) are owned by the caller (the lists' _cleanup functions are in
 * shopline_json.h, strings are free()d); every other pointer is borrowed.
 */
#ifndef SHOPVOX_SHOPLINE_H
#define SHOPVOX_SHOPLINE_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "common.h"
#include "shopline_json.h"
#include "shopline_webhooks.h"

#define SHOPLINE_MAX_ORDERS_PAGE 100
#define SHOPLINE_MAX_PRODUCTS_PAGE 250
#define SHOPLINE_MAX_IDS 100                 /* ids per GET orders.json?ids= */
#define SHOPLINE_MAX_LEVEL_IDS 50            /* item (or location) ids per inventory_levels.json */
#define SHOPLINE_DEFAULT_MAX_RESPONSE_BYTES (16u * 1024u * 1024u)
#define SHOPLINE_DEFAULT_MAX_PAGES 1000
#define SHOPLINE_TRACE_ID_MAX 128

/* The calls, for the limiter (priorities) and the counters. */
enum shopline_op {
    SHOPLINE_OP_GET_ORDERS,
    SHOPLINE_OP_CREATE_FULFILLMENT,
    SHOPLINE_OP_LIST_FULFILLMENTS,
    SHOPLINE_OP_GET_LOCATIONS,
    SHOPLINE_OP_GET_PRODUCTS,
    SHOPLINE_OP_SET_INVENTORY_LEVEL,
    SHOPLINE_OP_GET_INVENTORY_LEVELS,
    SHOPLINE_OP_LIST_WEBHOOKS,
    SHOPLINE_OP_CREATE_WEBHOOK,
    SHOPLINE_OP_COUNT
};

/* "get_orders", "create_fulfillment" ... (the {op} label of the metrics). */
const char *shopline_op_name(enum shopline_op op);

/*
 * Called before every request. ST_OK sends it (after waiting for a token,
 * if it must); anything else does not, and the call returns that status
 * with reason SHOPLINE_R_LIMITER and err as the hook set it.
 */
typedef enum st (*shopline_acquire_fn)(void *ctx, enum shopline_op op, struct errbuf *err);
/* Called after a 429; retry_after_ms is the Retry-After given, or -1 (the usual case). */
typedef void (*shopline_throttled_fn)(void *ctx, enum shopline_op op, long retry_after_ms);

struct shopline_config {
    const char *api_base;       /* ".../admin/openapi/v20260301"; NULL or "" = derived: */
    const char *shop_domain;    /*   https://{first label of shop_domain}.myshopline.com */
    const char *api_version;    /*   /admin/openapi/{api_version} */
    const char *access_token;   /* sent as Authorization: Bearer */
    bool allow_insecure_http;   /* http:// base allowed (tests, the sandbox) */
    long timeout_ms;            /* whole request; > 0 */
    long connect_timeout_ms;    /* 0 = min(timeout_ms, 10000) */
    size_t max_response_bytes;  /* 0 = SHOPLINE_DEFAULT_MAX_RESPONSE_BYTES */
    int max_pages;              /* pages one _all read follows; 0 = SHOPLINE_DEFAULT_MAX_PAGES */
    shopline_acquire_fn acquire;     /* optional rate-limit hook (see above) */
    shopline_throttled_fn throttled; /* optional: told of every 429 */
    void *limiter_ctx;               /* borrowed: passed to both, must outlive the client */
};

/* Why a call did not return ST_OK; each kind wants its own exception or handling. */
enum shopline_reason {
    SHOPLINE_R_NONE,          /* ST_OK */
    SHOPLINE_R_TRANSPORT,     /* timeout, refused or dropped connection (retry) */
    SHOPLINE_R_THROTTLED,     /* 429 (retry; outcome.throttled) */
    SHOPLINE_R_SERVER,        /* 5xx, 504 included (retry) */
    SHOPLINE_R_UNAUTHORIZED,  /* 401: token invalid or expired */
    SHOPLINE_R_FROZEN,        /* 402: store frozen (unpaid) */
    SHOPLINE_R_NOT_FOUND,     /* 404 */
    SHOPLINE_R_INVALID,       /* 422: Shopline refused the content (see outcome.errors) */
    SHOPLINE_R_LOCKED,        /* 423: store locked */
    SHOPLINE_R_HTTP,          /* any other unexpected status */
    SHOPLINE_R_BAD_REPLY,     /* 2xx that could not be read, or past the response cap */
    SHOPLINE_R_BAD_REQUEST,   /* our input was refused before sending */
    SHOPLINE_R_LIMITER,       /* the acquire hook did not let the request go */
    SHOPLINE_R_PAGE_CAP,      /* more pages than max_pages */
    SHOPLINE_R_COUNT
};

/* "transport", "throttled", "server", "unauthorized" ... */
const char *shopline_reason_name(enum shopline_reason r);

/* What happened on one call, for the caller that decides and logs. */
struct shopline_outcome {
    enum shopline_reason reason;
    long http_status;                    /* last HTTP status seen, 0 when none */
    bool unknown;                        /* a write may have been applied: check first */
    bool throttled;                      /* 429: nothing was applied */
    long retry_after_ms;                 /* Retry-After of a 429 or 503, else -1 */
    char trace_id[SHOPLINE_TRACE_ID_MAX]; /* the reply's traceId header, "" when none */
    char errors[ERRBUF_MAX];             /* Shopline's `errors`, readable; "" when none */
    struct errbuf err;                   /* why, when the call did not return ST_OK */
};

struct shopline_stats {
    unsigned long requests[SHOPLINE_OP_COUNT]; /* HTTP requests sent, by operation */
    unsigned long errors[SHOPLINE_R_COUNT];    /* failed requests, by reason */
};

struct shopline_client;

/*
 * The base url of a store: api_base when set, else derived from the shop
 * domain's first label and the version. Owned; NULL (err set) when
 * neither gives a usable url. Pure.
 */
char *shopline_base_url(const char *api_base, const char *shop_domain, const char *api_version,
                        struct errbuf *err);

/* Validates cfg and copies it. NULL (err set) on invalid configuration. */
struct shopline_client *shopline_client_create(const struct shopline_config *cfg,
                                               struct errbuf *err);
/* Releases the client; NULL is fine. No call may be in flight. */
void shopline_client_destroy(struct shopline_client *sc);
void shopline_client_stats(const struct shopline_client *sc, struct shopline_stats *out);
/* The base url in use (borrowed, lives as long as the client). */
const char *shopline_client_base(const struct shopline_client *sc);

/* Which orders: by ids, or changed since a time (status=any), one page or all. */
struct shopline_orders_query {
    const char *const *ids;     /* borrowed; 1..SHOPLINE_MAX_IDS ids, or NULL: */
    size_t n_ids;
    const char *updated_at_min; /*   ISO-8601; orders updated since (any status) */
    int limit;                  /* per page, 1..SHOPLINE_MAX_ORDERS_PAGE; 0 = the max */
    const char *page_info;      /* a cursor from an earlier page (the filters are then
                                 * the cursor's), or NULL for the first page */
    bool all_pages;             /* follow the link headers to the last page */
};

/*
 * GET orders.json: appends the orders of one page (or of every page, up to
 * max_pages: ST_FAIL SHOPLINE_R_PAGE_CAP beyond) to *out. *next (owned, may
 * be NULL when not wanted) is the cursor of the page after, NULL after the
 * last. On failure *out keeps the pages read before.
 */
enum st shopline_get_orders(struct shopline_client *sc, CURL *curl,
                            const struct shopline_orders_query *q,
                            struct shopline_orders *out, char **next,
                            struct shopline_outcome *oc);

/*
 * POST orders/{order_id}/fulfillments.json with explicit lines: *id (owned)
 * is the new fulfillment's id. Sent on a fresh connection, never re-sent
 * by libcurl; a reply lost after the request may have reached Shopline
 * sets oc->unknown: list the order's fulfillments before creating again.
 */
enum st shopline_create_fulfillment(struct shopline_client *sc, CURL *curl,
                                    const struct shopline_fulfillment_req *req, char **id,
                                    struct shopline_outcome *oc);

/* GET orders/{order_id}/fulfillments.json: appends them to *out. */
enum st shopline_list_fulfillments(struct shopline_client *sc, CURL *curl, const char *order_id,
                                   struct shopline_fulfillments *out,
                                   struct shopline_outcome *oc);

/* GET locations/list.json: appends them to *out. */
enum st shopline_get_locations(struct shopline_client *sc, CURL *curl,
                               struct shopline_locations *out, struct shopline_outcome *oc);

/*
 * GET products/products.json (limit 1..SHOPLINE_MAX_PRODUCTS_PAGE, 0 = the
 * max; page_info NULL for the first page): appends every product's
 * variants to *out, one page or all, *next as for shopline_get_orders.
 */
enum st shopline_get_products(struct shopline_client *sc, CURL *curl, int limit,
                              const char *page_info, bool all_pages,
                              struct shopline_variants *out, char **next,
                              struct shopline_outcome *oc);

/*
 * GET inventory_levels.json?inventory_item_ids=a,b&location_ids=c,d: appends
 * the levels of items[0..n_items) at locations[0..n_locations) to *out
 * (every page of the answer; pairs that are not connected are simply not
 * there). One request per call, so a caller takes one limiter token per
 * call: it batches its items SHOPLINE_MAX_LEVEL_IDS at a time (50, the
 * documented batch: the query string stays ~1.4 kB with 26-digit ids, and
 * 50 items x 5 locations fit one page of 250). 1..SHOPLINE_MAX_LEVEL_IDS
 * of each, all ids (digits), else ST_FAIL SHOPLINE_R_BAD_REQUEST unsent.
 */
enum st shopline_get_inventory_levels(struct shopline_client *sc, CURL *curl,
                                      const char *const *items, size_t n_items,
                                      const char *const *locations, size_t n_locations,
                                      struct shopline_levels *out, struct shopline_outcome *oc);

/* POST inventory_levels/set.json: available (absolute) of an item at a location. */
enum st shopline_set_inventory_level(struct shopline_client *sc, CURL *curl,
                                     const char *inventory_item_id, const char *location_id,
                                     long available, struct shopline_outcome *oc);

/* GET webhooks.json: appends the store's webhook subscriptions to *out. */
enum st shopline_list_webhooks(struct shopline_client *sc, CURL *curl,
                               struct shopline_webhooks *out, struct shopline_outcome *oc);

/*
 * POST webhooks.json {"webhook":{"address","topic","api_version"}}: *id
 * (owned) is the new subscription's id. A reply lost after sending sets
 * oc->unknown: list before creating again (ensure does, every run).
 */
enum st shopline_create_webhook(struct shopline_client *sc, CURL *curl, const char *address,
                                const char *topic, const char *api_version, char **id,
                                struct shopline_outcome *oc);

#endif
