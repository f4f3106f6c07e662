/*
 * return_store.h - the returns tables (returns, return_lines,
 * return_events, refunds; sql/017_returns.sql).
 *
 * Every function runs inside the caller's transaction (none BEGINs or
 * COMMITs): the webhook intake, the CLI's authorise / reject and the
 * warehouse side each wrap their own. A return is addressed by its
 * returns.id within a shop. The report functions return rows for the CLI
 * (column names are its JSON keys, times ISO 8601 UTC text); the caller
 * PQclears, NULL with *st and err set on failure.
 */
#ifndef SHOPVOX_RETURN_STORE_H
#define SHOPVOX_RETURN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "returns.h"
#include "store.h"

/*
 * Locks return return_id of shop (FOR UPDATE) and applies to when
 * return_transition_allowed(current, to): state, state_changed_at and
 * updated_at move and one return_events row (from, to, cause, detail)
 * is written; *applied = true. A refused or same-state transition writes
 * nothing: *applied = false, ST_OK. ST_FAIL "no such return" when absent.
 */
enum st return_store_transition(struct store_conn *c, const char *shop, long long return_id,
                                enum return_state to, const char *cause, const char *detail,
                                bool *applied, struct errbuf *err);

struct return_line_rec {
    char line_item_id[32];
    char item_code[64];
    int quantity, received_qty, restocked_qty, written_off_qty, refunded_qty;
};

struct return_rec {
    long long id;
    char shopline_return_id[64];
    char shopline_order_id[64];
    char sales_order_number[64];  /* "" when unknown */
    char return_reference[64];    /* "" until the warehouse side sets it */
    enum return_state state;
    char reason[128];
    size_t n_lines;
    struct return_line_rec *lines; /* owned: return_rec_free */
};

/* Reads return_id of shop with its lines (by line_item_id); ST_FAIL "no such return". */
enum st return_store_get(struct store_conn *c, const char *shop, long long return_id,
                         struct return_rec *out, struct errbuf *err);
void return_rec_free(struct return_rec *r);

/* ---- the webhook side ---- */

struct return_upsert {
    const char *shop;
    const char *shopline_return_id;
    const char *shopline_order_id;
    const char *mode;             /* "authorise" | "auto": kept with the return */
    const char *reason;           /* may be NULL */
    const char *updated_at;       /* as sent, may be NULL */
};

struct return_locked {
    long long id;
    bool created;                 /* this call inserted it (state requested) */
    enum return_state state;
    int64_t shopline_updated_ms;  /* -1 when never sent */
    char order_id[24];            /* orders.id as text, "" when the order is unknown */
    char order_name[64];          /* "" when unknown */
};

/*
 * Locks the return (shop, shopline_return_id), creating it first when new
 * (linked to the shop's order of shopline_order_id when known, with its
 * Sales Order number and currency).
 */
enum st return_store_lock_or_create(struct store_conn *c, const struct return_upsert *u,
                                    struct return_locked *out, struct errbuf *err);
/* Stores the delivery's updated_at (and reason when given) on the locked return. */
enum st return_store_touch(struct store_conn *c, long long return_id, const char *updated_at,
                           const char *reason, struct errbuf *err);
/*
 * Inserts or updates one line (quantity, reason); its item code and unit
 * price come from the order's line. *known = false when the order or the
 * line is unknown (item code stored as "", price NULL).
 */
enum st return_store_put_line(struct store_conn *c, long long return_id, const char *line_item_id,
                              long quantity, const char *reason, bool *known,
                              struct errbuf *err);
/* Appends one history row (from NULL for the first). */
enum st return_store_event(struct store_conn *c, long long return_id, const char *from,
                           const char *to, const char *cause, const char *detail,
                           struct errbuf *err);

/* Appends a history row that changes nothing: from = to = the current state (a refund). */
enum st return_store_note(struct store_conn *c, long long return_id, const char *cause,
                          const char *detail, struct errbuf *err);

/* ---- refunds ---- */

struct refund_row {
    const char *shop;
    const char *shopline_refund_id;
    const char *shopline_order_id;
    const char *amount, *currency;  /* may be NULL */
    const char *lines_json;         /* [{"line_item_id","quantity","subtotal"}] */
    const char *created_at;         /* may be NULL */
};

/* Inserts the refund; *inserted = false when (shop, id) was stored already. */
enum st return_store_refund_insert(struct store_conn *c, const struct refund_row *r,
                                   bool *inserted, struct errbuf *err);

#define RETURN_STORE_MAX_TOUCHED 32

/*
 * Adds quantity refunded units of order line line_item_id to the lines of
 * the shop's live (not rejected or cancelled) returns of that order, oldest
 * first, each up to its quantity. The returns touched are appended to
 * ids[*n] (distinct, at most RETURN_STORE_MAX_TOUCHED).
 */
enum st return_store_refund_apply(struct store_conn *c, const char *shop,
                                  const char *shopline_order_id, const char *line_item_id,
                                  long quantity, long long *ids, size_t *n, struct errbuf *err);

/* What finance is owed for a return: received units not refunded yet. */
struct return_due {
    int lines;          /* lines with received > refunded */
    long units;
    char amount[32];    /* sum of units x unit_price, "0.0000" when none is known */
    char currency[8];   /* "" when unknown */
    char order_id[24];  /* orders.id text, "" when unknown */
    char order_name[64];
};
enum st return_store_due(struct store_conn *c, const char *shop, long long return_id,
                         struct return_due *out, struct errbuf *err);

/* ---- reports (CLI, gauges) ---- */

/*
 * Up to limit of shop's returns in state (NULL: any), newest first:
 * id, shopline_return_id, shopline_order_id, order_name, sales_order_number,
 * state, mode, reason, lines, quantity, created_at, state_changed_at.
 */
PGresult *return_store_report_list(struct store_conn *c, const char *shop, const char *state,
                                   int limit, enum st *st, struct errbuf *err);
/* As return_store_report_list, of the returns with id below before_id (0: from the newest). */
PGresult *return_store_report_page(struct store_conn *c, const char *shop, const char *state,
                                   long long before_id, int limit, enum st *st,
                                   struct errbuf *err);
/* Return id of shop (at most one row): the list's columns plus return_reference, currency. */
PGresult *return_store_report(struct store_conn *c, const char *shop, long long id, enum st *st,
                              struct errbuf *err);
/* line_item_id, item_code, quantity, unit_price, reason, received_qty, restocked_qty,
 * written_off_qty, refunded_qty of return id, by line id. */
PGresult *return_store_report_lines(struct store_conn *c, long long id, enum st *st,
                                    struct errbuf *err);
/* at, from_state, to_state, cause, detail of return id, oldest first. */
PGresult *return_store_report_history(struct store_conn *c, long long id, enum st *st,
                                      struct errbuf *err);
/* Rows (state, count, oldest_age_s) of all shops' returns by state. */
PGresult *return_store_count_by_state(struct store_conn *c, enum st *st, struct errbuf *err);

#endif
