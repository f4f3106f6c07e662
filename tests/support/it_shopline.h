/*
 * it_shopline.h - the fake SHOPLINE beside the orders world
 * (it_orders_world.h): orders made in the fake store and delivered to
 * shopvox as their signed webhook, their despatch in the fake warehouse,
 * and the store's faults. Main (cmocka) thread only; each helper fails the
 * current test when the fake or shopvox does not answer as expected.
 */
#ifndef SHOPVOX_IT_SHOPLINE_H
#define SHOPVOX_IT_SHOPLINE_H

#include <stddef.h>

#include "sandbox.h"

#define ITS_API_PATH "/admin/openapi/v20260301"

/*
 * Starts the fake SHOPLINE (Bearer token) and the orders world
 * (ito_start_synced, database db_prefix) with shopvox pointed at it:
 * SHOPLINE_API_BASE, SHOPLINE_ACCESS_TOKEN, SHOPVOX_ALLOW_INSECURE_HTTP=1,
 * then extra_env (NULL-terminated, may be NULL; later entries win). The
 * fake store, or NULL (printed) on failure.
 */
struct sandbox_shopline *its_start_synced(const char *db_prefix, const char *token,
                                          const char *const *extra_env);
/*
 * A cmocka group teardown: ito_stop, then stops the fake store in *state
 * (the group setup put its_start_synced's there; NULL is fine). 0, or -1
 * when shopvox did not exit cleanly.
 */
int its_group_teardown(void **state);

/*
 * A paid order of lines_json (e.g. [{"sku":"MUG-LOGO","quantity":2}]) made
 * in the fake store sl with a fresh name tagged tag, delivered to shopvox
 * as orders/paid; waits until shopvox has sent it to the warehouse. name,
 * id (its Shopline id) and so (its Sales Order number) receive the values.
 */
void its_store_order_paid(struct sandbox_shopline *sl, const char *tag, const char *lines_json,
                          char *name, size_t name_cap, char *id, size_t id_cap, char *so,
                          size_t so_cap);

/*
 * Despatches items ("[{...}]", or NULL: everything) of Sales Order so in
 * the fake warehouse, by DPD Next day with tracking number tracking.
 */
void its_despatch(const char *so, const char *items, const char *tracking);

/* Sets the fake store's pending 500 answers to n (0 clears them). */
void its_fail_500(struct sandbox_shopline *sl, long n);

#endif
