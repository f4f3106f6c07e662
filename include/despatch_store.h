/*
 * despatch_store.h - the despatches and despatch_lines tables (libpq).
 *
 * Functions run in the caller's transaction. Ownership: every argument is
 * borrowed. They return ST_OK, ST_RETRY (connection lost) or ST_FAIL (SQL)
 * with err set when not ST_OK.
 */
#ifndef SHOPVOX_DESPATCH_STORE_H
#define SHOPVOX_DESPATCH_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "despatch.h"
#include "store.h"

/*
 * Inserts despatch d of order order_id (pending) unless its number is
 * already recorded: id (cap bytes) receives the new row's id as text, or
 * "" when the number was there before.
 */
enum st despatch_store_insert(struct store_conn *c, const char *order_id,
                              const struct despatch *d, char *id, size_t cap,
                              struct errbuf *err);

/* Adds one allocated line to despatch despatch_id. */
enum st despatch_store_add_line(struct store_conn *c, const char *despatch_id,
                                const char *line_id, const char *item_code, long quantity,
                                struct errbuf *err);

/* A recorded despatch as create_fulfillment needs it (owned: despatch_row_cleanup). */
struct despatch_row_line {
    char *line_id;        /* the order's Shopline line item id (digits) */
    long quantity;
};
struct despatch_row {
    char id[24];
    char order_id[24];
    char order_name[64];
    char order_state[32];
    char shopline_order_id[64];
    char tracking[128];   /* "" when none */
    char carrier[128];    /* "" when none */
    char state[16];       /* pending, fulfilled, failed */
    struct despatch_row_line *lines;
    size_t n_lines;
    char service[128];    /* "" when none */
    char **taken;         /* fulfillment ids recorded for the order's other despatches */
    size_t n_taken;
    bool post_started;    /* a create_fulfillment POST was sent for it before (013) */
};
void despatch_row_cleanup(struct despatch_row *d);

/*
 * Loads despatch number with its lines, its order and the fulfillment ids
 * of the order's other despatches; *found false when there is none.
 */
enum st despatch_store_load(struct store_conn *c, const char *number, struct despatch_row *out,
                            bool *found, struct errbuf *err);

/*
 * Records, committed at once (outside any transaction), that a
 * fulfillment POST for despatch despatch_id is about to be sent.
 */
enum st despatch_store_mark_posting(struct store_conn *c, const char *despatch_id,
                                    struct errbuf *err);

/*
 * Ends despatch despatch_id: state "fulfilled" (fulfillment_id stored,
 * confirmed_at now) or "failed" (fulfillment_id may be NULL). Inside a
 * transaction: it locks the despatch's order first, so two despatches of
 * one order finished at once are serialised and the second's
 * despatch_store_order_fulfilled sees the first (otherwise each sees the
 * other still pending and the order never becomes fulfilled).
 */
enum st despatch_store_finish(struct store_conn *c, const char *despatch_id, const char *state,
                              const char *fulfillment_id, struct errbuf *err);

/*
 * Locks order order_id and says whether it is wholly fulfilled: every line
 * despatched in full and every despatch of it fulfilled; *state receives
 * the order's state (cap bytes).
 */
enum st despatch_store_order_fulfilled(struct store_conn *c, const char *order_id,
                                       bool *complete, char *state, size_t cap,
                                       struct errbuf *err);

/*
 * The shop's despatches not confirmed in Shopline threshold_s after they
 * were recorded: pending, or failed (the customer has not been told
 * either way), oldest first, at most 1000, leaving out those whose
 * despatch_unconfirmed exception a person resolved (that is final for the
 * despatch). Rows: despatch_number, order id, order name, minutes since
 * recorded, despatch state, tracking ("" when none), and the last
 * create_fulfillment job's state ("none" when there is none), attempts and
 * last error (""). The caller PQclears; NULL with *st set on failure.
 */
PGresult *despatch_store_unconfirmed(struct store_conn *c, const char *shop, int threshold_s,
                                     enum st *st, struct errbuf *err);

/*
 * Every store's pending despatches: *late those recorded more than
 * threshold_s ago, *oldest_s the age of the oldest (0 when none).
 */
enum st despatch_store_pending_gauges(struct store_conn *c, int threshold_s, long *late,
                                      double *oldest_s, struct errbuf *err);

/*
 * The tenant's wall clock (Peoplevox report dates, PEOPLEVOX_TIMEZONE)
 * against instants, converted by PostgreSQL with the IANA rules of zone tz
 * (DST included), so no thread of the service touches the process-wide TZ.
 *
 * despatch_store_local_to_utc: out[i] = the Unix time at which tz's clocks
 * showed wall[i] (seconds as if UTC, despatch_parse_date), one statement
 * for all n. A wall time shown twice (the hour repeated when DST ends) is
 * read as standard time, the later instant; one never shown (the hour
 * skipped when DST starts) as standard time too, PostgreSQL's rule.
 */
enum st despatch_store_local_to_utc(struct store_conn *c, const char *tz, const int64_t *wall,
                                    size_t n, int64_t *out, struct errbuf *err);

/*
 * Records read from a report, each with a wall-clock date to turn into an
 * instant: n records from base, stride bytes apart; in each, the int64_t
 * at off_wall is read and the int64_t at off_utc written, unless the
 * char * at off_invalid is non-NULL (a row that could not be read).
 */
struct despatch_store_dated {
    void *base;
    size_t n, stride, off_invalid, off_wall, off_utc;
};

/* despatch_store_local_to_utc over the readable records of d (one statement). */
enum st despatch_store_dated_to_utc(struct store_conn *c, const char *tz,
                                    const struct despatch_store_dated *d, struct errbuf *err);

/* *wall_s = what tz's clocks showed at Unix time utc_s (seconds as if UTC). */
enum st despatch_store_utc_to_local(struct store_conn *c, const char *tz, int64_t utc_s,
                                    int64_t *wall_s, struct errbuf *err);

/* *known = whether tz is an IANA zone name PostgreSQL knows (exactly, case included). */
enum st despatch_store_zone_known(struct store_conn *c, const char *tz, bool *known,
                                  struct errbuf *err);

/*
 * The admin API's order timeline: rows (id, despatch_number, state,
 * tracking, carrier, service, despatched_at, shopline_fulfillment_id,
 * confirmed_at, created_at, lines: [{line_id, item_code, quantity}]) of
 * order_id's despatches, by despatch time. The caller PQclears.
 */
PGresult *despatch_store_report_for_order(struct store_conn *c, const char *order_id,
                                          enum st *st, struct errbuf *err);

#endif
