/*
 * order_store.h - the orders, order_lines and order_events tables (libpq).
 *
 * Every statement the service runs on these tables: the webhook intake's
 * writes, the posting flow's reads and state changes, the cancellation's,
 * and the one order_events insert they all share. Functions run inside
 * the caller's transaction (the caller BEGINs, COMMITs and decides); the
 * "lock" readers take the order row FOR UPDATE. Decisions stay with the
 * callers: this module only reads and writes rows.
 *
 * Ownership: the store_conn and every string argument are borrowed; what
 * a reader fills is the caller's (and released with the cleanup named).
 * Every function returns ST_OK, ST_RETRY (connection lost) or ST_FAIL
 * (SQL), with err set when not ST_OK.
 */
#ifndef SHOPVOX_ORDER_STORE_H
#define SHOPVOX_ORDER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "order.h"
#include "sales_order_rows.h"
#include "store.h"

#define ORDER_STORE_ID_MAX 24          /* orders.id as text, with the NUL */
#define ORDER_STORE_STATE_MAX 32
#define ORDER_STORE_TEXT_MAX 256

/* One order_events row: from/to states and detail may be NULL. */
enum st order_store_event(struct store_conn *c, const char *order_id, const char *from,
                          const char *to, const char *event, const char *detail,
                          struct errbuf *err);

/* ---- intake ---- */

/* The intake's view of a locked order. */
struct order_store_locked {
    char id[ORDER_STORE_ID_MAX];
    bool created;              /* this call inserted it (the fields below are then unset) */
    char state[ORDER_STORE_STATE_MAX];
    int64_t shopline_updated_ms;   /* -1 when never stored */
    bool post_started;         /* a Sales Order may exist in Peoplevox */
};

/*
 * Locks Shopline order o->id of shop, creating it (name, initial_state)
 * when new. Two deliveries of one order serialise here: a concurrent
 * insert is waited for and locked instead.
 */
enum st order_store_lock_or_create(struct store_conn *c, const char *shop, const struct order *o,
                                   const char *initial_state, struct order_store_locked *out,
                                   struct errbuf *err);
/*
 * Writes every field of o, with state, to order order_id; the nested
 * parts (customer, addresses) as JSON snapshots. ready_at is set the first
 * time state is 'ready' and never moved after.
 */
enum st order_store_write(struct store_conn *c, const char *order_id, const struct order *o,
                          const char *state, struct errbuf *err);
/* Replaces the order's lines with o's. */
enum st order_store_replace_lines(struct store_conn *c, const char *order_id,
                                  const struct order *o, struct errbuf *err);
/* *differ true when o's lines (line_id, sku, quantity) are not the stored ones. */
enum st order_store_lines_differ(struct store_conn *c, const char *order_id,
                                 const struct order *o, bool *differ, struct errbuf *err);

/* ---- posting ---- */

/* Locks order_id and reads what posting needs into *out (zeroed first); *found false if gone. */
enum st order_store_lock_for_post(struct store_conn *c, const char *order_id,
                                  struct so_order *out, bool *found, struct errbuf *err);

/* State and hold reason of a locked order. */
struct order_store_state {
    char state[ORDER_STORE_STATE_MAX];
    char hold_reason[ORDER_STORE_STATE_MAX];
    bool held;                 /* hold_reason is not NULL */
};
/* Locks order_id and reads its state; *found false if gone. */
enum st order_store_lock_state(struct store_conn *c, const char *order_id,
                               struct order_store_state *out, bool *found, struct errbuf *err);

/* The order's lines, with their stored Line numbers (so_lines_cleanup). */
enum st order_store_load_lines(struct store_conn *c, const char *order_id, struct so_lines *out,
                               struct errbuf *err);
/* Stores each line's resolved item code (item_codes[i], may be NULL) and Line number. */
enum st order_store_save_lines(struct store_conn *c, const char *order_id,
                               const struct so_lines *l, char *const *item_codes,
                               struct errbuf *err);
/* *taken true (and other_name set) when another order already has so_number. */
enum st order_store_number_owner(struct store_conn *c, const char *so_number,
                                 const char *order_id, char *other_name, size_t cap,
                                 bool *taken, struct errbuf *err);

/* State on_hold with reason, unless the order is cancelled. */
enum st order_store_hold(struct store_conn *c, const char *order_id, const char *reason,
                         struct errbuf *err);
/*
 * Stores number and site, sets post_started_at (kept when already set)
 * and ready_at (likewise), state ready, no hold.
 */
enum st order_store_mark_posting(struct store_conn *c, const char *order_id,
                                 const char *so_number, const char *site, struct errbuf *err);
/* State not_for_warehouse, no hold. */
enum st order_store_not_for_warehouse(struct store_conn *c, const char *order_id,
                                      struct errbuf *err);
/* The site the Sales Order goes to. */
enum st order_store_set_site(struct store_conn *c, const char *order_id, const char *site,
                             struct errbuf *err);
/*
 * The Sales Order was sent to site: sent_at and site; unless keep_state
 * (the order was cancelled meanwhile) also state 'sent' and no hold.
 */
enum st order_store_mark_sent(struct store_conn *c, const char *order_id, const char *site,
                              bool keep_state, struct errbuf *err);
/* Clears post_started_at of an order not sent: nothing of it reached Peoplevox. */
enum st order_store_unstart(struct store_conn *c, const char *order_id, struct errbuf *err);

/* ---- cancellation ---- */

/* What a cancellation needs of the locked order (long values are cut). */
struct order_store_cancel {
    char shop[ORDER_STORE_TEXT_MAX];
    char name[ORDER_STORE_TEXT_MAX];
    char state[ORDER_STORE_STATE_MAX];
    char so_number[SO_NUMBER_MAX_BYTES + 1];    /* "" when none */
    bool post_started;
};
/* Locks order_id and reads it into *out; *found false if gone. */
enum st order_store_lock_for_cancel(struct store_conn *c, const char *order_id,
                                    struct order_store_cancel *out, bool *found,
                                    struct errbuf *err);
/* State cancelled, no hold. */
enum st order_store_cancel(struct store_conn *c, const char *order_id, struct errbuf *err);

/* ---- re-checks ---- */

/*
 * Ids (ascending) of the shop's orders a catalogue or SKU-mapping change
 * may release: on hold for a SKU or routing problem, or ready with a
 * post_sales_order job running or waiting right now. *ids is owned (free).
 */
enum st order_store_recheck_candidates(struct store_conn *c, const char *shop, long long **ids,
                                       size_t *n, struct errbuf *err);

/* ---- reports ---- */

/*
 * Rows (state, count) of orders: only the states that move
 * (awaiting_payment, ready, on_hold: an index answers) unless all; the
 * caller PQclears. NULL with *st set on failure.
 */
PGresult *order_store_count_by_state(struct store_conn *c, bool all, enum st *st,
                                     struct errbuf *err);

/*
 * Up to 1000 rows (id, name, minutes ready, post job state, attempts, last
 * error) of shop's orders `ready` for longer than threshold_s since they
 * became ready (ready_at, else created_at); the caller PQclears.
 */
PGresult *order_store_stalled(struct store_conn *c, const char *shop, int threshold_s,
                              enum st *st, struct errbuf *err);

/* ---- the operator's reports (`shopvox order show`, `exceptions retry`) ---- */

/*
 * The readers below return rows for the CLI to render (column names are
 * its JSON keys; times are ISO 8601 UTC text): the caller PQclears. NULL
 * with *st and err set on failure. They run unprepared (the CLI runs one
 * of each).
 */

/*
 * At most one row: shop's order named key exactly, else with Shopline
 * order id key, else named '#' key. Columns id, shopline_order_id, name,
 * state, hold_reason, financial_status, fulfillment_status,
 * shopline_status, sales_order_number, site, location_id,
 * shipping_country, currency, total_price, shipping_title,
 * lines_changed_after_post, shopline_created_at, received_at, sent_at,
 * cancelled_at, updated_at.
 */
PGresult *order_store_report(struct store_conn *c, const char *shop, const char *key,
                             enum st *st, struct errbuf *err);
/*
 * order_id's lines by line_no (unnumbered last), then line id: line_id,
 * line_no, sku, item_code, title, variant_title, quantity, qty_despatched,
 * qty_fulfilled, requires_shipping.
 */
PGresult *order_store_report_lines(struct store_conn *c, const char *order_id, enum st *st,
                                   struct errbuf *err);
/* order_id's history in time order: at, event, from_state, to_state, detail. */
PGresult *order_store_report_history(struct store_conn *c, const char *order_id, enum st *st,
                                     struct errbuf *err);
/*
 * At most one row (id, name, state): shop's order order_id, or when
 * order_id is negative ("-1") the one named name.
 */
PGresult *order_store_report_brief(struct store_conn *c, const char *shop, const char *order_id,
                                   const char *name, enum st *st, struct errbuf *err);

/* ---- despatches (app/despatch.c) ---- */

/* An order found by its Sales Order number, locked. */
struct order_store_so {
    char id[ORDER_STORE_ID_MAX];
    char name[64];
    char state[ORDER_STORE_STATE_MAX];
};
/* Locks the order whose Sales Order number is so_number; *found false when none. */
enum st order_store_lock_by_so_number(struct store_conn *c, const char *so_number,
                                      struct order_store_so *out, bool *found,
                                      struct errbuf *err);

/* A line to ship: what the despatch allocation needs (strings owned). */
struct order_store_ship_line {
    char *line_id;
    char *item_code;          /* as sent to Peoplevox; the SKU when none was stored */
    long quantity;
    long despatched;
    char *sku;                /* the Shopline SKU ("" when none) */
    char *mapped_code;        /* sku_map's item code for the SKU today ("" when unmapped) */
};
struct order_store_ship_lines {
    size_t n;
    struct order_store_ship_line *lines;
};
/* The order's lines that ship, in Line number order (order_store_ship_lines_cleanup). */
enum st order_store_load_ship_lines(struct store_conn *c, const char *order_id,
                                    struct order_store_ship_lines *out, struct errbuf *err);
void order_store_ship_lines_cleanup(struct order_store_ship_lines *l);

/* Adds quantity to a line's qty_despatched. */
enum st order_store_add_despatched(struct store_conn *c, const char *order_id,
                                   const char *line_id, long quantity, struct errbuf *err);

/*
 * Moves the order from `from` to `to` with an order_events row (event,
 * detail); nothing when from equals to.
 */
enum st order_store_move(struct store_conn *c, const char *order_id, const char *from,
                         const char *to, const char *event, const char *detail,
                         struct errbuf *err);

/* ---- the admin API's readers (order_store_pages.c) ---- */

/* A filter of orders (NULL: any); the times are ISO 8601 text, checked by the caller. */
struct order_filter {
    const char *name;              /* exact, with or without '#' */
    const char *shopline_order_id;
    const char *state;
    const char *created_from;      /* created in Shopline (else received) at or after */
    const char *created_to;        /* ... and before */
};
/*
 * A page of shop's orders matching f, newest (highest id) first, id below
 * before_id (0: from the newest), at most limit: id, shopline_order_id,
 * name, state, hold_reason, financial_status, fulfillment_status,
 * sales_order_number, site, currency, total_price, shopline_created_at,
 * received_at, sent_at, updated_at.
 */
PGresult *order_store_report_page(struct store_conn *c, const char *shop,
                                  const struct order_filter *f, long long before_id, int limit,
                                  enum st *st, struct errbuf *err);
/*
 * At most one row: shop's order id, with the page's columns plus
 * shopline_status, location_id, shipping_country, shipping_title,
 * lines_changed_after_post, cancelled_at.
 */
PGresult *order_store_report_by_id(struct store_conn *c, const char *shop, long long id,
                                   enum st *st, struct errbuf *err);

#endif
