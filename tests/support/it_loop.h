/*
 * it_loop.h - the despatch loop's side of an orders world (it_orders_world.h):
 * the fake SHOPLINE store in this process beside the fake Peoplevox, orders
 * made in the store and delivered to shopvox as their webhooks, despatches
 * made in the warehouse, and the store's fulfillments read back.
 *
 * One store per program (like `ito`); every helper fails the current cmocka
 * test when the fake does not answer as expected, and belongs to the main
 * (cmocka) thread.
 */
#ifndef SHOPVOX_IT_LOOP_H
#define SHOPVOX_IT_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "it_http.h"
#include "sandbox.h"

#define ITL_TOKEN "shpat_it_loop"
#define ITL_API "/admin/openapi/v20260301"

struct json_object;

struct itl_world {
    struct sandbox_shopline *sl;
    int port;
    char api_base_env[160];   /* SHOPLINE_API_BASE=... for shopvox */
};
extern struct itl_world itl;

/*
 * What shopvox needs to reach the fake store: SHOPLINE_API_BASE,
 * SHOPLINE_ACCESS_TOKEN and SHOPVOX_ALLOW_INSECURE_HTTP=1, as env entries
 * for ito_proc_start (valid once the store runs).
 */
#define ITL_ENV itl.api_base_env, "SHOPLINE_ACCESS_TOKEN=" ITL_TOKEN, "SHOPVOX_ALLOW_INSECURE_HTTP=1"

/*
 * Starts the fake store (its bucket at 4/s, burst 40) and fills env with
 * what shopvox needs to call it (SHOPLINE_API_BASE, SHOPLINE_ACCESS_TOKEN,
 * SHOPVOX_ALLOW_INSECURE_HTTP; NULL-terminated, the strings live until
 * itl_stop). 0 or -1 (printed).
 */
int itl_start(const char *env[4]);
/*
 * The same with the store's bucket rate_per_sec / burst (burst 0: no
 * bucket) and latency_ms added to every API call; env may be NULL.
 */
int itl_start_with(long rate_per_sec, long burst, long latency_ms, const char *env[4]);
/* Stops it (idempotent). */
void itl_stop(void);
/* The id of the store's i-th location (locations/list.json order) into out. */
void itl_location_id(size_t i, char *out, size_t cap);
/*
 * The fake store (bucket rate_per_sec / burst) and the orders world
 * without shopvox (ito_start_sandbox): the test starts its replicas with
 * ITL_ENV. 0 or -1.
 */
int itl_start_world(const char *db_prefix, long rate_per_sec, long burst);
/*
 * The whole world: itl_start, then ito_start_synced(db_prefix) with
 * extra_env (NULL-terminated, at most 8 entries, may be NULL) and the
 * store's entries. 0 or -1.
 */
int itl_world_start(const char *db_prefix, const char *const *extra_env);
/* As a cmocka group teardown: ito_group_teardown, then itl_stop. */
int itl_world_teardown(void **state);
/* The fake store's port. */
int itl_port(void);

/*
 * A paid order of lines_json ("[{\"sku\":...,\"quantity\":n}]") made in the
 * store, delivered as its orders/paid webhook; waits until shopvox sent it
 * to Peoplevox. name, id (the store's order id) and so (its Sales Order
 * number) are filled; line_ids (may be NULL) gets the store's line ids as
 * a JSON array text (owned).
 */
void itl_store_order(const char *tag, const char *lines_json, char *name, size_t name_cap,
                     char *id, size_t id_cap, char *so, size_t so_cap, char **line_ids);
/* A control POST to the store (/_sandbox/...); fails the test unless it answers 200. */
void itl_store_control(const char *path, const char *body);
/* Changes store order id ({"cancel":true}, ...); its JSON after the change (owned). */
char *itl_store_change_order(const char *id, const char *change);
/* A fault counter still pending in the store ("http_500", "drop_after_apply" ...). */
long itl_store_fault(const char *key);
/* An Admin API call (Bearer ITL_TOKEN) at ITL_API + path; the caller frees r. */
void itl_store_api(const char *method, const char *path, const char *body, struct it_resp *r);
/* The store's fulfillments of order id, parsed (the "fulfillments" array's owner; put it). */
struct json_object *itl_store_fulfillments(const char *id);
/* How many fulfillments store order id has; *n_tracking of them carry tracking number tracking. */
long itl_store_count_fulfillments(const char *id, const char *tracking, long *n_tracking);

/*
 * A paid order of lines_json named name made in the store and delivered by
 * the store itself as orders/paid (signed) to the shopvox listening on
 * shopvox_port; the delivery must be answered 200. Its Shopline id into id.
 */
void itl_order_paid(int shopvox_port, const char *name, const char *lines_json, char *id,
                    size_t id_cap);
/* The store's bucket, from now: exhausted (full) or empty. */
void itl_bucket(long rate_per_sec, long burst, bool full);
/* GET /_sandbox/traffic of the fake store (caller puts). */
struct json_object *itl_traffic(void);
/*
 * Empties the shared limiter's "shopline" bucket of IT_SHOP in the
 * database, as if the other replicas had just spent it.
 */
void itl_exhaust_limiter(void);

/*
 * Despatches items ("[{\"ItemCode\":...,\"qty\":n}]", or NULL: everything)
 * of Sales Order so in the fake warehouse with carrier, service and
 * tracking ("" for none).
 */
void itl_despatch(const char *so, const char *items, const char *carrier, const char *service,
                  const char *tracking);


/*
 * A paid order of lines_json ("[{\"sku\":..,\"quantity\":..}]") named name
 * in the fake store, delivered by the store as orders/paid to the shopvox
 * listening on shopvox_port (the delivery must be answered 200). Its
 * Shopline id into id.
 */
void itl_order_paid(int shopvox_port, const char *name, const char *lines_json, char *id,
                    size_t id_cap);
/* The store's fulfillments of order id; *n_tracking of them carry tracking number tracking. */
long itl_store_count_fulfillments(const char *id, const char *tracking, long *n_tracking);
/* The store's bucket, from now: exhausted (full) or empty. */
void itl_bucket(long rate_per_sec, long burst, bool full);
/* GET /_sandbox/traffic of the fake store (caller puts). */
struct json_object *itl_traffic(void);
/*
 * Empties the shared limiter's "shopline" bucket of IT_SHOP in the
 * database, as if the other replicas had just spent it.
 */
void itl_exhaust_limiter(void);

/*
 * Returns and refunds in the fake store (slf_returns.c), each delivered
 * as its signed webhook to the shopvox listening on shopvox_port; fields
 * are more JSON members for the control body ("" for none: "\"status\":
 * \"cancelled\"", "\"duplicates\":1", "\"webhook_id\":\"w1\"", ...).
 * Each returns the HTTP status of the (first) delivery.
 *
 * itl_return_request: a return of store order order_id with lines_json
 * ("[{\"sku\"|\"line_item_id\":..,\"quantity\":n,\"reason\":..}]"), sent as
 * return/create; its id into id.
 * itl_return_update: return id changed by fields (a "status", or a
 * "version" to re-send), sent as return/update.
 * itl_refund: a refund of order_id's lines_json ("subtotal" per line) of
 * fields' "amount" (default 10.00), sent as refunds/create; its id into id.
 */
long itl_return_request(int shopvox_port, const char *order_id, const char *lines_json,
                        const char *fields, char *id, size_t id_cap);
long itl_return_update(int shopvox_port, const char *return_id, const char *fields);
long itl_refund(int shopvox_port, const char *order_id, const char *lines_json,
                const char *fields, char *id, size_t id_cap);

#endif
