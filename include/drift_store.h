/*
 * drift_store.h - the inventory drift reconciliation's statements
 * (migration 014, and the stock columns of 012): the levels to check,
 * the correction of drifted ones, the reports.
 *
 * Correcting a drifted level records what the store really shows as the
 * level's pushed value (stock.pushed at that location): the sync's change
 * detection (wanted != pushed) then makes it due for a push again, and the
 * coalesced set_inventory job pushes it like any other change. No value
 * is ever set in Shopline from here. The record is compare-and-set on the
 * push seen when the levels were read (pushed_at and pushed_location): a
 * push that landed while the store was being read wins, and that level is
 * looked at again by the next reconciliation.
 *
 * Every function runs in the caller's transaction if one is open.
 * Ownership: PGresults are the caller's (PQclear); strings borrowed.
 */
#ifndef SHOPVOX_DRIFT_STORE_H
#define SHOPVOX_DRIFT_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "drift.h"
#include "store.h"

/*
 * Rows (item_code, site, location_id, inventory_item_id, desired, pushed,
 * pushed_at) of every level to check: a stock row at a site of map_json
 * ({"SITE": "LOCATION_ID"}) with a wanted value, whose SKU exactly one
 * variant with an inventory item carries; pushed is NULL unless it was
 * pushed at that location; pushed_at is text for drift_store_correct.
 * Ordered by inventory item, then location. NULL with *st, err on failure.
 */
PGresult *drift_store_levels(struct store_conn *c, const char *shop, const char *map_json,
                             enum st *st, struct errbuf *err);

/*
 * Records shown as the pushed value of each drifted level in
 * levels_json ([{"c": item, "s": site, "l": location, "at": pushed_at
 * or null, "v": shown}]) whose push is still the one read; *corrected
 * counts them.
 */
enum st drift_store_correct(struct store_conn *c, const char *shop, const char *levels_json,
                            long *corrected, struct errbuf *err);

/* One report, as drift_store_save stores it. */
struct drift_report_row {
    const char *started_at;           /* the database's now() when the run began */
    const struct drift_summary *sum;
    long corrected, calls;
    bool over_threshold;
    const char *top_json;             /* [{sku, location_id, wanted, pushed, shown, variance}] */
    const char *peoplevox_only_json;  /* {"count": n, "first": [...]} */
    const char *shopline_only_json;
};

/* Stores a report; *id (may be NULL) gets its id. */
enum st drift_store_save(struct store_conn *c, const char *shop,
                         const struct drift_report_row *r, long long *id, struct errbuf *err);

/*
 * The latest report of shop (at most one row: id, started_at,
 * finished_at as ISO 8601 UTC, finished_s (Unix seconds), checked,
 * drifted, corrected, pending, unread, variance_units, expected_units,
 * drifted_pct, variance_pct (text, two decimals), over_threshold, calls,
 * top_items, peoplevox_only, shopline_only (jsonb)).
 */
PGresult *drift_store_latest(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err);

/* As drift_store_latest, of the reports finished in [from, to) (ISO 8601 times). */
PGresult *drift_store_latest_between(struct store_conn *c, const char *shop, const char *from,
                                     const char *to, enum st *st, struct errbuf *err);

/* The latest report's id, 0 when there is none. */
enum st drift_store_latest_id(struct store_conn *c, const char *shop, long long *id,
                              struct errbuf *err);

/*
 * Deletes up to limit of shop's reports finished more than days ago, the
 * oldest first, never the latest (what `report inventory` and the gauges
 * show, however old); *deleted counts them. Retention's batch step.
 */
enum st drift_store_purge(struct store_conn *c, const char *shop, int days, int limit,
                          long *deleted, struct errbuf *err);

/* A job's state and last error into the buffers ("" when it is gone). */
enum st drift_store_job_state(struct store_conn *c, long long job_id, char *state,
                              size_t state_cap, char *last_error, size_t error_cap,
                              struct errbuf *err);

#endif
