/*
 * catalogue_store.h - the items and sku_map tables (libpq): the local
 * mirror of the Peoplevox catalogue and the operator's SKU aliases.
 *
 * Used by the catalogue sync (writes items), the SKU check before posting
 * (reads both, for one order) and `shopvox sku ...` (edits sku_map).
 * Functions run in the caller's transaction unless they say otherwise.
 *
 * Ownership: the store_conn and every string argument are borrowed; what a
 * reader fills is the caller's. Functions return ST_OK, ST_RETRY
 * (connection lost) or ST_FAIL (SQL) with err set when not ST_OK.
 */
#ifndef SHOPVOX_CATALOGUE_STORE_H
#define SHOPVOX_CATALOGUE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "catalogue_items.h"
#include "common.h"
#include "sku.h"
#include "store.h"

/* ---- the sync ---- */

/* Serialises syncs of one shop until the transaction ends (advisory lock). */
enum st catalogue_store_lock(struct store_conn *c, const char *shop, struct errbuf *err);

/* What an upsert changed, against the rows as they were before it. */
struct catalogue_store_changes {
    long created;        /* codes not known before (active or not) */
    long now_active;     /* created active, or reactivated */
    long deactivated;    /* active before, inactive now */
};
/*
 * Inserts or updates items[0..n-1] (synced_at = now()), a chunk of rows
 * per statement; adds what changed to *add.
 */
enum st catalogue_store_upsert(struct store_conn *c, const char *shop,
                               const struct catalogue_item *items, size_t n,
                               struct catalogue_store_changes *add, struct errbuf *err);
/* Active items this transaction did not upsert become inactive (never deleted); *gone counts. */
enum st catalogue_store_deactivate_unsynced(struct store_conn *c, const char *shop, long *gone,
                                            struct errbuf *err);
/* How many items of the shop are active and inactive. */
enum st catalogue_store_totals(struct store_conn *c, const char *shop, long *active,
                               long *inactive, struct errbuf *err);
/*
 * Records the sync in cursors row 'catalogue_sync:<shop>' = "<ISO time UTC>
 * <items>" (through cursor_store).
 */
enum st catalogue_store_mark_synced(struct store_conn *c, const char *shop, size_t items,
                                    struct errbuf *err);

/* Whether a catalogue sync of shop ever completed (its cursor row exists). */
enum st catalogue_store_synced(struct store_conn *c, const char *shop, bool *synced,
                               struct errbuf *err);

/* ---- one order's SKU check ---- */

/* The aliases and items one order's lines name (rows private). */
struct catalogue_store_snapshot {
    PGresult *map;       /* shopline_sku, item_code */
    PGresult *items;     /* code, active */
};
/* Reads the sku_map rows and items order_id's lines name (directly or through an alias). */
enum st catalogue_store_load_for_order(struct store_conn *c, const char *shop,
                                       const char *order_id, struct catalogue_store_snapshot *out,
                                       struct errbuf *err);
/* A sku_lookup answering from s (borrowed; valid while s is). */
struct sku_lookup catalogue_store_lookup(struct catalogue_store_snapshot *s);
void catalogue_store_snapshot_cleanup(struct catalogue_store_snapshot *s);

/* ---- the operator's SKU aliases ---- */

/* "active", "inactive" or "missing" (not in the local catalogue) into out. */
enum st catalogue_store_item_state(struct store_conn *c, const char *shop, const char *code,
                                   char *out, size_t cap, struct errbuf *err);
/*
 * Maps Shopline SKU sku to item code (replacing any mapping, recorded as
 * made by by); *previous gets the item code it replaced (owned, NULL when
 * new).
 */
enum st catalogue_store_map_sku(struct store_conn *c, const char *shop, const char *sku,
                                const char *code, const char *by, char **previous,
                                struct errbuf *err);
/*
 * The shop's mappings as rows (shopline_sku, item_code, item_state,
 * created_at as ISO 8601 UTC text, created_by) by SKU: the caller PQclears.
 * NULL with *st and err set on failure.
 */
PGresult *catalogue_store_list_mappings(struct store_conn *c, const char *shop, enum st *st,
                                        struct errbuf *err);
/* Removes sku's mapping; *item_code gets the code it mapped to (owned), NULL when none. */
enum st catalogue_store_unmap_sku(struct store_conn *c, const char *shop, const char *sku,
                                  char **item_code, struct errbuf *err);

/*
 * A page of the shop's mappings for the admin API, newest first: rows (id,
 * shopline_sku, item_code, item_state, created_at ISO 8601 UTC,
 * created_by) with id below before_id (0: from the newest), whose SKU or
 * item code contains q case-insensitively (NULL: all), at most limit. The
 * caller PQclears; NULL with *st and err set.
 */
PGresult *catalogue_store_page_mappings(struct store_conn *c, const char *shop, const char *q,
                                        long long before_id, int limit, enum st *st,
                                        struct errbuf *err);

#endif
