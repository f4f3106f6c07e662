/*
 * reconcile_store.h - what the reconciliation sweeps read (libpq): the
 * orders shopvox sent, which Sales Order numbers it knows, the despatches
 * whose fulfillment nobody is working on. Reads across orders,
 * order_lines, despatches and jobs for the sweeps (reconcile.h) only; the
 * tables' own writes stay with their store modules.
 *
 * Functions run outside any transaction; strings are borrowed; every
 * PGresult is the caller's to PQclear (NULL with *st set on failure).
 */
#ifndef SHOPVOX_RECONCILE_STORE_H
#define SHOPVOX_RECONCILE_STORE_H

#include "common.h"
#include "store.h"

/*
 * The orders of shop sent since from_iso (state sent or later, sent_at at
 * or after it, a Sales Order number), each sent line summed by item code:
 * rows (sales_order_number, order_id, item_code, quantity, name), item_code and
 * quantity NULL for an order with no line sent; ordered by number (byte
 * order), then code.
 */
PGresult *reconcile_store_sent(struct store_conn *c, const char *shop, const char *from_iso,
                               enum st *st, struct errbuf *err);

/*
 * Of numbers_json (a JSON array of Sales Order numbers), the ones no order
 * of shop carries: rows (number).
 */
PGresult *reconcile_store_unknown_numbers(struct store_conn *c, const char *shop,
                                          const char *numbers_json, enum st *st,
                                          struct errbuf *err);

/*
 * Despatches of shop despatched since from_iso that are not confirmed in
 * Shopline (state pending) and have no live create_fulfillment job (never
 * queued, or its job died): rows (despatch_number, order name). At most
 * limit, oldest first.
 */
PGresult *reconcile_store_unqueued_despatches(struct store_conn *c, const char *shop,
                                              const char *from_iso, int limit, enum st *st,
                                              struct errbuf *err);
/* How many despatches of shop were despatched since from_iso (every state) into *n. */
enum st reconcile_store_count_despatches(struct store_conn *c, const char *shop,
                                         const char *from_iso, long *n, struct errbuf *err);

#endif
