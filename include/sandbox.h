/*
 * sandbox.h - the fakes of the outside APIs for tests, demos and
 * benchmarks: a fake Peoplevox IntegrationServiceV4 and, further down, a
 * fake SHOPLINE Admin API.
 *
 * The sandbox speaks the SOAP 1.1 dialect described in
 * docs/peoplevox-api.md closely enough that the real client cannot tell it
 * from a tenant: POST to any path ending in /integrationservicev4.asmx,
 * SOAPAction "http://www.peoplevox.net/{Op}", IntegrationResponse results,
 * sessions that expire while idle (HTTP 200, ResponseId -1, "System :
 * Security - Invalid Session"), per-row SaveData statuses, CSV data, paging
 * and Dynamic-LINQ-like search clauses. It is deliberately picky where a
 * real tenant is: the `Sales orders` template has a tenant-specific field
 * order and an extra field, so clients must call GetSaveTemplate and map by
 * name; unknown CSV columns are refused.
 *
 * Behaviour clients can rely on (and tests assert): Authenticate succeeds
 * with Detail "{ClientId},{SessionId}"; SaveData answers one
 * IntegrationStatusResponse per data row, in row order, Reference = the
 * row's SalesOrderNumber, Status Success|Error, Message = the reason;
 * ResponseId is 0 when every row succeeded, else -1 with Detail "k of n
 * rows failed" (Error rows change nothing, Success rows are applied). A
 * missing Action, an unknown/duplicated column or malformed CSV refuses the
 * whole call (ResponseId -1). GetData/GetReportData answer Detail = CSV
 * (header + the page), TotalCount = all matching rows; a bad clause or
 * unknown column is ResponseId -1. Malformed SOAP, a SOAPAction that does
 * not match the body element, or an unknown operation is HTTP 500 with a
 * soap:Fault; a non-text/xml body is 415, a body over 8 MiB 413.
 *
 * Seed catalogue: 20 item types (TEE-BLK-S ... POSTER-A2, plus the
 * deactivated OLD-TEE~D~1) with stock at PrimarySite, LONDON, MANCHESTER.
 * Sites: PrimarySite, LONDON, MANCHESTER, SystemSite (never for orders).
 *
 * Beside the SOAP endpoint it serves JSON control endpoints under
 * /_sandbox/ (state, orders, reset, faults, catalogue items, despatches,
 * returns, call log) so tests can inspect state and inject faults:
 *
 *   GET  /_sandbox/state            counts, sales orders with items, calls per op, faults
 *   GET  /_sandbox/orders/{SO}      one sales order (404 when unknown)
 *   GET  /_sandbox/calls            recent calls: op, template, rows, response id, HTTP code
 *   POST /_sandbox/reset            empty orders, despatches, returns, sessions, faults, calls;
 *                                   re-seed the catalogue
 *   POST /_sandbox/faults           {"http_500":n,"http_429":n,"timeout":n,
 *                                    "drop_after_apply":n,"slow_ms":n,"expire_sessions":true,
 *                                    "refuse_save":n,"refuse_detail":"text",
 *                                    "drop_items_after_apply":n,"busy_order_reads":n,
 *                                    "rate_limit":{"calls":n,"window_ms":ms}}
 *   POST /_sandbox/items            {"ItemCode","Name","Barcode","stock": n | {"SITE": n}}
 *   POST /_sandbox/despatch         {"SalesOrderNumber","items":[{"ItemCode","qty"}],
 *                                    "Carrier","TrackingNumber","Service",
 *                                    "DespatchedAt": Unix seconds (default now)}
 *   POST /_sandbox/returns          {"SalesOrderNumber","ItemCode","Quantity","Reason",
 *                                    "Condition","Reusable","ReturnCode","ReturnedAt"}: the
 *                                   warehouse receives a return: one `Return summary` row
 *                                   (Return code RET000001... unless given, Return date now
 *                                   or ReturnedAt Unix seconds); Reusable (default true)
 *                                   puts the units back on the shelf at the order's site
 *   POST /_sandbox/returns_template {"fields":["SalesOrderNumber",...]}: the tenant's
 *                                   `Returns` save template, its names and order ([] = the
 *                                   tenant has none: GetSaveTemplate and SaveData on it
 *                                   answer "Template 'Returns' does not exist"). Default
 *                                   SalesOrderNumber, ReturnReference, ItemCode, Quantity,
 *                                   ReturnReason, Comments. SaveData on `Returns` upserts
 *                                   expected returns keyed on reference + item code (the
 *                                   reference as ReturnReference|Reference|RmaNumber,
 *                                   quantity as Quantity|QuantityExpected, reason as
 *                                   ReturnReason|Reason); a row for an unknown or cancelled
 *                                   Sales Order, an unknown item or one not on the order, or
 *                                   a quantity < 1 is an Error row; GET /_sandbox/state
 *                                   lists them as "expected_returns"
 *   POST /_sandbox/stock            {"stock":[{"ItemCode","site","on_hand"}...]}: what is on
 *                                   the shelf (unknown items join the catalogue; all or
 *                                   nothing); the `Item inventory summary` report shows
 *                                   Available = on_hand - what open Sales Orders allocate,
 *                                   one row per item per site, and honours a SearchClause on
 *                                   [Item code] / [Site reference]; a despatch takes its
 *                                   units off the shelf. The `Item inventory changes`
 *                                   report is the same with a `Last changed` date column
 *                                   (the shelf set, a line allocated or cancelled, a
 *                                   despatch), as a tenant's changes report
 *   GET  /_sandbox/stock            {"stock":[{"ItemCode","site","on_hand"}...]}
 *
 * Fault semantics (SOAP endpoint only; control endpoints never fault):
 * http_429 / http_500 answer the next n calls with that status and change
 * nothing; timeout makes the next n calls hang (hang_ms, default 30 s, or
 * until stop) and then close without a response; drop_after_apply applies
 * the next n SaveData calls and closes the connection without a response
 * (drop_items_after_apply: the next n SaveData calls on `Sales order
 * items` only, so a batched post's order rows are answered and its items'
 * answer is lost); busy_order_reads answers the next n GetData calls on
 * `Sales orders` HTTP 503 "Server Too Busy", as the rate limit does, and
 * reads nothing;
 * slow_ms delays every call until reset; expire_sessions forgets every
 * session at once; refuse_save answers the next n SaveData calls with
 * HTTP 200, ResponseId -1 and Detail refuse_detail (a whole-call refusal,
 * no statuses) without applying them.
 *
 * Throttling, like the real service: with a rate limit (opts, the
 * --rate-limit flag or the rate_limit fault; calls 0 = off) a SOAP call
 * beyond `calls` accepted in the last window_ms is answered HTTP 503 with a
 * SOAP 1.1 fault (soap:Server, "Server Too Busy"), applies nothing, is
 * logged with http_code 503 and counted in state's "refused". Refused calls
 * do not use up the window. Reset keeps the rate limit given at start.
 *
 * One mutex guards all state; the server runs a thread per connection, so
 * a hanging call never blocks others.
 *
 * Inside: service/sandbox/ holds what every fake shares (the process, the
 * server on the service's HTTP adapter, faults, rate limit, call log, the
 * control API; sandbox_fake.h) and service/sandbox/peoplevox/ this fake.
 */
#ifndef SHOPVOX_SANDBOX_H
#define SHOPVOX_SANDBOX_H

#include <stdbool.h>

#include "common.h"

/* How Authenticate expects the password to arrive. */
enum sandbox_pw_encoding {
    SANDBOX_PW_BASE64 = 0, /* the documented default */
    SANDBOX_PW_PLAIN,      /* regions that want it plain */
    SANDBOX_PW_ANY         /* accept either */
};

struct sandbox_pvx_opts {
    const char *host;           /* listen address; NULL -> "127.0.0.1" */
    int port;                   /* 0 -> any free port (read it back) */
    const char *client_id;      /* NULL -> "SANDBOX" */
    const char *username;       /* NULL -> "shopvox" */
    const char *password;       /* plain text; NULL -> "secret" */
    enum sandbox_pw_encoding password_encoding;
    long session_idle_timeout_ms; /* 0 -> 30 minutes */
    bool no_seed;               /* true: start with an empty catalogue */
    long latency_ms;            /* added to every SOAP call */
    long hang_ms;               /* "timeout" fault duration; 0 -> 30000 */
    bool plain_report_dates;    /* false: '03/07/2017 06:03' (quoted, as the
                                 * real service); true: 03/07/2017 06:03 */
    bool local_report_dates;    /* true: report dates on the process's local clock (TZ),
                                 * as a tenant's Peoplevox prints them in its time
                                 * zone; false: UTC */
    long rate_limit_calls;      /* SOAP calls per window before 503s; 0 = no limit */
    long rate_limit_window_ms;  /* the sliding window; 0 -> 15000 */
    now_ms_fn now_ms;           /* the clock of session idle expiry and the rate-limit
                                 * window; NULL -> now_ms_monotonic (tests inject a
                                 * fake one); latency and hangs are real waits */
    void *now_ctx;              /* borrowed: must outlive the sandbox */
};

struct sandbox_pvx;

/*
 * Starts the daemon (its own threads) and returns it, or NULL with err set.
 * opts is copied; its strings are borrowed only during the call.
 */
struct sandbox_pvx *sandbox_pvx_start(const struct sandbox_pvx_opts *opts, struct errbuf *err);

/* The bound TCP port (useful with port 0). */
int sandbox_pvx_port(const struct sandbox_pvx *sb);

/* Stops the daemon, wakes hanging calls and frees everything; NULL is ok. */
void sandbox_pvx_stop(struct sandbox_pvx *sb);

/*
 * ---- the fake SHOPLINE Admin API (service/sandbox/shopline/) ----
 *
 * The subset of the Admin REST API shopvox uses, as docs/shopline-api.md
 * describes a real store: paths /admin/openapi/{vYYYYMMDD}/...json,
 * `Authorization: Bearer {token}` (else 401 {"errors":"..."}), JSON bodies,
 * a traceId header on every answer, ids as 26-digit strings (a fulfillment
 * may send line ids as JSON numbers: they are read as text, never through a
 * 64-bit integer), `link: <...page_info=...>; rel="next"` paging (no link
 * on the last page), errors as {"errors": string|array|object}.
 *
 *   GET  orders.json                ids=a,b | updated_at_min=ISO & status=open(default)|
 *                                   cancelled|any; limit 1..100 (default 50); page_info
 *                                   (only with limit)
 *   GET  orders/{id}/fulfillments.json
 *   POST orders/{id}/fulfillments.json  {"fulfillment":{"line_items":[{"id","quantity"}],
 *                                   "notify_customer","tracking_info_list":[{...}] (<= 10)}}
 *                                   -> 200 {"fulfillment":{"id",...,"status":"success"}};
 *                                   404 unknown order; 422 {"errors":{"line_items":[...]}}
 *                                   for an unknown line or quantity < 1, 422 {"errors":
 *                                   "line items are already fulfilled: {id}"} when a line
 *                                   has fewer left, 422 for a cancelled order or no lines
 *   GET  locations/list.json
 *   GET  products/products.json     limit 1..250 (default 50), page_info; variants carry
 *                                   sku and inventory_item_id
 *   POST inventory_levels/set.json  {"inventory_item_id","location_id","available"}: 422 when
 *                                   the item is not connected to the location
 *   GET  inventory_levels.json      inventory_item_ids=a,b and/or location_ids=c
 *
 * Rate limit: a leaky bucket per store (burst requests, drained rate_per_sec
 * a second, on the injected clock); beyond it HTTP 429 {"errors":"Too many
 * request"} with no Retry-After and no limit headers, nothing applied.
 * Faults (POST /_sandbox/faults, as the fake Peoplevox: http_500, http_429,
 * timeout, drop_after_apply on the two POSTs, slow_ms, rate_limit) and
 * {"bucket":{"rate_per_sec":n,"burst":n}} (0 switches the bucket off; "full":
 * true starts it exhausted, as after a burst of calls from elsewhere).
 *
 * Control (JSON) under /_sandbox/:
 *   GET  /_sandbox/state            counts, orders with fulfillments, bucket, calls, faults
 *   GET  /_sandbox/orders/{id}      one order as the API renders it
 *   GET  /_sandbox/deliveries       recent webhook deliveries and their HTTP answers
 *   GET  /_sandbox/traffic          the rate the store saw: every API call since the start
 *                                   (or reset), refused too: requests, refused (429s),
 *                                   first_at_ms/last_at_ms, busiest_1s (most calls in any
 *                                   sliding 1 s window), per_second (calls in each whole
 *                                   second from the first)
 *   POST /_sandbox/reset            no orders, deliveries, faults; the seeded catalogue
 *   POST /_sandbox/orders           {"name","financial_status","email","currency",
 *                                    "lines":[{"sku","quantity","price","title"}],
 *                                    "deliver":{...}} -> {"order":{...},"deliveries":[...]}
 *   POST /_sandbox/orders/{id}      {"financial_status","cancel":true,"deliver":{...}}
 *   POST /_sandbox/webhooks         {"order_id", ...deliver options}
 *   POST /_sandbox/products         {"products":[{"title","price","variants":[{"sku"}]}]}:
 *                                   new products, each variant a new inventory item
 *                                   connected to the first two locations; answered as
 *                                   products.json renders them
 *   POST /_sandbox/products/{id}    {"delete":true}: the product and its variants go
 *   POST /_sandbox/variants/{id}    {"sku":"..."}: the variant's SKU changes ("" = none)
 * Deliver options: "topic" (default orders/create, orders/paid or
 * orders/cancelled after the change), "encoding" hex|base64 (default hex),
 * "duplicates" n (n more copies, same X-Shopline-Webhook-Id), "version" k
 * (the order as it was after its k-th change, 0 = created; default the
 * newest), "reverse" true (every version, newest first: out of order),
 * "url" and "secret" (default: opts). The POST goes out with libcurl
 * (5 s timeout) while no lock is held, and the answer lists each delivery's
 * webhook id and HTTP status (0: no answer).
 */
struct sandbox_shopline_opts {
    const char *host;            /* listen address; NULL -> "127.0.0.1" */
    int port;                    /* 0 -> any free port */
    const char *access_token;    /* the Bearer token; NULL -> "shpat_sandbox" */
    const char *shop_domain;     /* NULL -> "sandbox.myshopline.com" */
    const char *app_secret;      /* signs webhooks; NULL -> "sandbox-app-secret" */
    const char *webhook_url;     /* shopvox's webhook URL; NULL: give "url" per delivery */
    const char *api_version;     /* X-Shopline-API-Version; NULL -> "v20260301" */
    long rate_per_sec;           /* the bucket's drain; 0 -> 4 */
    long burst;                  /* the bucket's size; 0 -> 40 */
    bool no_rate_limit;          /* no leaky bucket at all */
    bool no_seed;                /* no products, locations or levels */
    int utc_offset_min;          /* the store's time zone in timestamps; 0 -> UTC */
    long latency_ms;             /* added to every API call */
    long hang_ms;                /* "timeout" fault duration; 0 -> 30000 */
    now_ms_fn now_ms;            /* the bucket's clock; NULL -> now_ms_monotonic
                                  * (timestamps are wall time) */
    void *now_ctx;               /* borrowed: must outlive the sandbox */
};

struct sandbox_shopline;

/* Starts the fake store (its own threads), or NULL with err set; strings in opts copied. */
struct sandbox_shopline *sandbox_shopline_start(const struct sandbox_shopline_opts *opts,
                                                struct errbuf *err);
/* The bound TCP port. */
int sandbox_shopline_port(const struct sandbox_shopline *sb);
/* Stops it, wakes held calls, frees everything; NULL is ok. */
void sandbox_shopline_stop(struct sandbox_shopline *sb);

/*
 * `shopvox sandbox`: argv[0] is the command name ("sandbox"), flags --listen HOST:PORT (default 127.0.0.1:8090),
 * --latency-ms N, --client-id, --username, --password,
 * --password-encoding base64|plain|any, --session-idle-ms N, --no-seed,
 * --rate-limit CALLS/SECONDS (e.g. 15/15: HTTP 503 "Server Too Busy" beyond);
 * --shopline-listen HOST:PORT also runs the fake SHOPLINE store, with
 * --shopline-token, --shopline-secret, --shopline-webhook-url and
 * --shopline-bucket RATE/BURST (default 4/40).
 * Prints the service URLs, runs until SIGINT/SIGTERM. Returns the exit code.
 */
int sandbox_main(int argc, char **argv);

#endif
