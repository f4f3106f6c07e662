/*
 * inventory_store.h - the stock table's inventory columns (migration 012)
 * and inventory_hints: what Peoplevox said, when, what shopvox wants
 * Shopline to show, and what Shopline accepted.
 *
 * The value to publish is computed in SQL, for every stock row at once
 * (inventory_store_plan), because the in-flight reservation is a join
 * over the orders Peoplevox has not received: orders `ready` or
 * `on_hold` (paid, not posted), and orders sent to Peoplevox after the
 * row was read (its Available does not show them yet). An order with no
 * site decided yet reserves at every site (it may go to any). The pure
 * rule it implements is inventory_publish_value (inventory.h).
 *
 * Every function runs in the caller's transaction if one is open.
 * Ownership: PGresults are the caller's (PQclear); strings borrowed.
 */
#ifndef SHOPVOX_INVENTORY_STORE_H
#define SHOPVOX_INVENTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "inventory.h"
#include "store.h"

#define INVENTORY_JOB_KIND "set_inventory"

/*
 * The database's now() as text into out and as Unix seconds: a read's
 * start, comparable with orders.sent_at.
 */
enum st inventory_store_now(struct store_conn *c, char *out, size_t cap, int64_t *epoch_s,
                            struct errbuf *err);

/*
 * Serialises the runs that store and plan (a full read and a change read
 * finishing together) until the transaction ends: their updates of the
 * same stock rows can then never deadlock.
 */
enum st inventory_store_lock(struct store_conn *c, const char *shop, struct errbuf *err);

/*
 * Upserts rows (Available per item x site) read at read_at (from
 * inventory_store_now), in chunks; a row whose stored figure came from a
 * later read is left alone (a slow full read never overwrites a newer
 * filtered one). *changed counts rows whose available changed or are new.
 */
enum st inventory_store_put(struct store_conn *c, const char *shop,
                            const struct inventory_rows *rows, const char *read_at,
                            long *changed, struct errbuf *err);

/*
 * The full read's staging, on this connection only (a temporary table):
 * _begin empties it (creating it the first time), _stage adds one page's
 * rows (the same item x site again keeps the later figure), _put_staged
 * upserts everything staged as inventory_store_put does rows, and _end
 * empties it. A read that fails before _put_staged publishes nothing; a
 * lost connection loses the staged rows with it (_put_staged then fails).
 */
enum st inventory_store_stage_begin(struct store_conn *c, struct errbuf *err);
enum st inventory_store_stage(struct store_conn *c, const struct inventory_rows *rows,
                              struct errbuf *err);
enum st inventory_store_put_staged(struct store_conn *c, const char *shop, const char *read_at,
                                   long *changed, struct errbuf *err);
enum st inventory_store_stage_end(struct store_conn *c, struct errbuf *err);

/* Queues item_code for the next change read (again: its time moves on). */
enum st inventory_store_hint(struct store_conn *c, const char *shop, const char *item_code,
                             struct errbuf *err);
/* Rows (item_code) of up to limit hinted codes, oldest first. NULL with *st, err on failure. */
PGresult *inventory_store_hinted(struct store_conn *c, const char *shop, int limit, enum st *st,
                                 struct errbuf *err);
/* Forgets the hints of codes[0..n) made before read_at (a later hint stays for the next run). */
enum st inventory_store_clear_hints(struct store_conn *c, const char *shop,
                                    const char *const *codes, size_t n, const char *read_at,
                                    struct errbuf *err);

/*
 * Recomputes the value to publish (stock.desired) of every stock row at a
 * site of map_json ({"SITE": "LOCATION_ID", ...}), with the in-flight
 * reservation when reserve, and returns rows (item_code, location_id,
 * changed 't'/'f') of up to limit levels to push: the value differs from
 * the pushed one (or was pushed at another location), Shopline has not
 * refused that very value, exactly one variant carries the item code (as
 * its SKU, or through a sku_map alias: the view variant_items), and
 * either the value just changed or no set_inventory job of that level is
 * live. NULL with *st, err on failure.
 */
PGresult *inventory_store_plan(struct store_conn *c, const char *shop, const char *map_json,
                               bool reserve, int limit, enum st *st, struct errbuf *err);

/* One level as the push sees it. */
struct inventory_level {
    bool found;                 /* a stock row with a desired value exists */
    long desired;
    bool pushed_known;          /* pushed at this location */
    long pushed;
    bool refused_known;
    long refused;
};

/* The level of (item_code, site), with pushed_known only for location_id. */
enum st inventory_store_level(struct store_conn *c, const char *shop, const char *item_code,
                              const char *site, const char *location_id,
                              struct inventory_level *out, struct errbuf *err);

/*
 * Compare-and-set: records value as pushed at location_id only while it
 * is still the desired value; *recorded says whether it was.
 */
enum st inventory_store_record_push(struct store_conn *c, const char *shop, const char *item_code,
                                    const char *site, const char *location_id, long value,
                                    bool *recorded, struct errbuf *err);
/* Records that Shopline refused value (422): not pushed again until the value changes. */
enum st inventory_store_record_refusal(struct store_conn *c, const char *shop,
                                       const char *item_code, const char *site, long value,
                                       struct errbuf *err);

/*
 * Rows (side, count, code) of the SKUs on one side only: side
 * 'peoplevox' (stock rows without a variant) or 'shopline' (variants whose
 * item code, the SKU or its sku_map alias, Peoplevox has no stock row for); count is the side's total, and at
 * most `sample` codes of each side come back, in code order.
 */
PGresult *inventory_store_unmatched(struct store_conn *c, const char *shop, int sample,
                                    enum st *st, struct errbuf *err);

/* Levels pushed since an hour ago into *pushed_last_hour; stock rows into *item_sites. */
enum st inventory_store_counts(struct store_conn *c, const char *shop, long *item_sites,
                               long *pushed_last_hour, struct errbuf *err);

#endif
