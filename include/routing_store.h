/*
 * routing_store.h - the routing_rules table, and the stock figures routing
 * reads (libpq).
 *
 * One place for the shop's rules: seeded from SHOPVOX_ROUTING_RULES by the
 * scheduler's leader, replaced by `shopvox routing set`, read by `shopvox
 * routing list` and loaded by the post job before it routes an order.
 * Rules are stored in configuration order (positions 1..n) with their kind
 * as routing_kind_name spells it; a stock or default rule has no match.
 *
 * Ownership: the store_conn and every string argument are borrowed; what a
 * reader fills is the caller's. Functions return ST_OK, ST_RETRY
 * (connection lost) or ST_FAIL (SQL) with err set when not ST_OK.
 */
#ifndef SHOPVOX_ROUTING_STORE_H
#define SHOPVOX_ROUTING_STORE_H

#include <stdbool.h>

#include "common.h"
#include "routing.h"
#include "store.h"

/*
 * The shop's rules as rows (position, kind, match, site) in position
 * order, for display: the caller PQclears. NULL with *st and err set on
 * failure.
 */
PGresult *routing_store_read(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err);
/*
 * Appends the shop's rules, in position order, to out (initialised by the
 * caller). A row whose kind this binary does not know is skipped.
 */
enum st routing_store_load(struct store_conn *c, const char *shop, struct routing_rules *out,
                           struct errbuf *err);
/* Replaces the shop's rules with t's, in the caller's transaction. */
enum st routing_store_replace(struct store_conn *c, const char *shop,
                              const struct routing_rules *t, struct errbuf *err);
/*
 * Stores t as the shop's rules only when it has none, in a transaction of
 * its own under a table lock (replicas seeding at once insert one set);
 * *seeded tells whether it did.
 */
enum st routing_store_seed(struct store_conn *c, const char *shop, const struct routing_rules *t,
                           bool *seeded, struct errbuf *err);

/*
 * The sites shopvox has seen for shop, as rows (site) in order: sites
 * with stock rows, sites of its rules, and default_site unless "". For
 * `shopvox routing set`, which runs it once (unprepared); the caller
 * PQclears. NULL with *st and err set on failure.
 */
PGresult *routing_store_known_sites(struct store_conn *c, const char *shop,
                                    const char *default_site, enum st *st, struct errbuf *err);

/* Stock of one order's resolved item codes at every site (rows private). */
struct routing_store_stock {
    PGresult *rows;
};
/* Reads the stock of order_id's lines' item codes at shop's sites into *out. */
enum st routing_store_load_stock(struct store_conn *c, const char *shop, const char *order_id,
                                 struct routing_store_stock *out, struct errbuf *err);
/*
 * A routing_stock answering from s (borrowed; valid while s is): the units
 * at the site, 0 for an item with figures at other sites only, -1 for an
 * item with no figures at all ("unknown" is not "out of stock").
 */
struct routing_stock routing_store_stock_lookup(struct routing_store_stock *s);
void routing_store_stock_cleanup(struct routing_store_stock *s);

#endif
