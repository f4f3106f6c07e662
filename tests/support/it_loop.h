/*
 * it_loop.h - the whole loop in a test: the fake SHOPLINE store in this
 * process beside the orders world (it_orders_world.h: database, sandbox
 * Peoplevox, shopvox replicas).
 *
 * An order starts in the fake store, which delivers it to shopvox as a
 * signed orders/paid webhook (as SHOPLINE would); shopvox posts it to the
 * fake warehouse; the test despatches it there; shopvox fulfils it in the
 * fake store. The helpers play the merchant's and the warehouse's part and
 * read the store's side (its fulfillments, the traffic it saw). Like
 * it_orders_world, each helper fails the current cmocka test when the
 * fake refuses, and belongs to the main (cmocka) thread. One fake store
 * per program (the global `itl`).
 */
#ifndef SHOPVOX_IT_LOOP_H
#define SHOPVOX_IT_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

struct json_object;

#define ITL_TOKEN "shpat_it_loop"
#define ITL_API "/admin/openapi/v20260301"

struct itl_world {
    struct sandbox_shopline *sl;
    int port;
    char api_base_env[160];   /* SHOPLINE_API_BASE=... for shopvox */
};
extern struct itl_world itl;

/*
 * What shopvox needs to reach the fake store: SHOPLINE_API_BASE,
 * SHOPLINE_ACCESS_TOKEN and SHOPVOX_ALLOW_INSECURE_HTTP=1, as env entries
 * for ito_proc_start (valid once itl_start has run).
 */
#define ITL_ENV itl.api_base_env, "SHOPLINE_ACCESS_TOKEN=" ITL_TOKEN, "SHOPVOX_ALLOW_INSECURE_HTTP=1"

/*
 * Starts the fake store: token ITL_TOKEN, shop IT_SHOP, webhooks signed
 * with IT_SECRET (what it_serve_env gives shopvox), its bucket
 * rate_per_sec / burst (burst 0: no bucket), latency_ms added to every
 * API call. 0, or -1 (printed).
 */
int itl_start(long rate_per_sec, long burst, long latency_ms);
/* Stops it (NULL-safe, idempotent). */
void itl_stop(void);
/* itl_start, then ito_start_sandbox(db_prefix, NULL): the world without shopvox. 0 or -1. */
int itl_start_world(const char *db_prefix, long rate_per_sec, long burst);
/* ito_group_teardown, then itl_stop, as a cmocka group teardown. */
int itl_group_teardown(void **state);

/*
 * A paid order of lines_json ("[{\"sku\":..,\"quantity\":..}]") named name
 * in the fake store, delivered by the store as orders/paid to the shopvox
 * listening on shopvox_port (the delivery must be answered 200). Its
 * Shopline id into id.
 */
void itl_order_paid(int shopvox_port, const char *name, const char *lines_json, char *id,
                    size_t id_cap);
/*
 * The warehouse despatches Sales Order so: items ("[{\"ItemCode\":..,
 * \"qty\":..}]", or NULL for everything left) with carrier DPD and
 * tracking number tracking.
 */
void itl_despatch(const char *so, const char *items, const char *tracking);
/* The store's fulfillments of order id; *n_tracking of them carry tracking number tracking. */
long itl_store_fulfillments(const char *id, const char *tracking, long *n_tracking);
/* The store's bucket, from now: exhausted (full) or empty. */
void itl_bucket(long rate_per_sec, long burst, bool full);
/* GET /_sandbox/traffic of the fake store (caller puts). */
struct json_object *itl_traffic(void);
/*
 * Empties the shared limiter's "shopline" bucket of IT_SHOP in the
 * database, as if the other replicas had just spent it.
 */
void itl_exhaust_limiter(void);

#endif
