/*
 * variant_store.h - the variants table (libpq): the local mirror of the
 * Shopline catalogue, SKU -> inventory item (sql/011_variants.sql).
 *
 * Written by the sync_variants job (one transaction per complete read of
 * products/products.json), read by the inventory sync to find the
 * inventory item of a Peoplevox item code, and by /metrics.
 *
 * Decisions:
 *  - Only variants with a SKU are stored: one without cannot be matched
 *    to a Peoplevox item code. The writer counts them (no_sku).
 *  - A SKU held by two or more variants is ambiguous: the lookup answers
 *    found=false for it, as for an unknown SKU, never one of them. The
 *    sync opens a duplicate_sku exception per such SKU.
 *  - SKUs are compared exactly (Peoplevox compares item codes exactly).
 *
 * Functions run in the caller's transaction unless they say otherwise.
 * Ownership: the store_conn and every argument are borrowed; what a
 * reader fills is the caller's. They return ST_OK, ST_RETRY (connection
 * lost) or ST_FAIL (SQL) with err set when not ST_OK.
 */
#ifndef SHOPVOX_VARIANT_STORE_H
#define SHOPVOX_VARIANT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "common.h"
#include "shopline_json.h"
#include "store.h"

/*
 * The inventory item id of the one variant of shop whose Peoplevox item
 * code is item_code (its SKU's sku_map alias, else its SKU: the view
 * variant_items, migration 020), into out (cap bytes, NUL-terminated).
 * found=false when no variant has that code, when two or more have it
 * (ambiguous), or when the variant has no inventory item id; out is then
 * "". An id longer than cap is ST_FAIL.
 */
enum st variant_store_inventory_item(struct store_conn *c, const char *shop,
                                     const char *item_code, char *out, size_t cap, bool *found,
                                     struct errbuf *err);

/* Serialises writers of one shop's variants until the transaction ends (advisory lock). */
enum st variant_store_lock(struct store_conn *c, const char *shop, struct errbuf *err);

/* What a replace changed. */
struct variant_store_changes {
    long created;       /* variant ids not stored before */
    long changed;       /* stored before with another product, SKU or inventory item */
    long removed;       /* stored before, not in this complete read */
    long no_sku;        /* variants without a SKU, not stored */
};

/*
 * Makes shop's variants exactly v[0..n-1] (a complete read of the
 * catalogue): inserts the new ones, updates the changed ones (updated_at
 * set only then) and deletes the ones not in v; variants without a SKU
 * are skipped and counted. A variant id given twice keeps its last row.
 * Run it inside a transaction after variant_store_lock.
 */
enum st variant_store_replace(struct store_conn *c, const char *shop,
                              const struct shopline_variant *v, size_t n,
                              struct variant_store_changes *out, struct errbuf *err);

/*
 * shop's duplicated SKUs: rows (sku, variants, n) where variants is the
 * variant ids joined by ", " in id order and n their count, by SKU in byte
 * order (strcmp). The caller PQclears; NULL with *st and err set on failure.
 */
PGresult *variant_store_duplicates(struct store_conn *c, const char *shop, enum st *st,
                                   struct errbuf *err);

/* Every shop's variant count and duplicated SKU count together (for /metrics). */
enum st variant_store_counts(struct store_conn *c, long *variants, long *duplicate_skus,
                             struct errbuf *err);

#endif
