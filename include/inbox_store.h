/*
 * inbox_store.h - the webhook_events table (libpq): every signed delivery,
 * its outcome, and (while retained) its raw body.
 *
 * Used by the intake (one row per delivery, in the delivery's transaction;
 * the unique (shop, webhook_id) makes a redelivery a conflict) and by
 * retention (deletes old rows in batches). Functions run in the caller's
 * transaction if one is open; strings are borrowed.
 */
#ifndef SHOPVOX_INBOX_STORE_H
#define SHOPVOX_INBOX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "store.h"

#define INBOX_SHA256_BYTES 32

/*
 * One delivery as stored. body NULL: not stored (a replay of stored bytes,
 * or an order the sweep read back, which has no delivery bytes).
 */
struct inbox_row {
    const char *shop;
    const char *webhook_id;
    const char *topic;
    const char *api_version;   /* may be NULL */
    const char *headers_json;
    const char *body;          /* may be NULL */
    size_t body_len;
    const unsigned char *body_sha256; /* INBOX_SHA256_BYTES */
    const char *outcome;       /* stored, ignored, failed, stale, duplicate */
    const char *error;         /* may be NULL */
    const char *order_id;      /* orders.id, or NULL */
    const char *source;        /* "webhook" (NULL means it) or "sweep" (no webhook_id) */
    const char *order_key;     /* pending rows: the order's Shopline id, or NULL */
};

/* Inserts row; *duplicate true (nothing inserted) when its webhook id is known. */
enum st inbox_store_insert(struct store_conn *c, const struct inbox_row *row, bool *duplicate,
                           struct errbuf *err);

/* Whether a delivery with these exact bytes was stored for order_id. */
enum st inbox_store_body_seen(struct store_conn *c, const char *order_id,
                              const unsigned char *sha256, bool *seen, struct errbuf *err);

/*
 * Deletes up to limit deliveries of shop received more than days ago,
 * except failed ones whose invalid_webhook exception is still open;
 * *deleted counts them.
 */
enum st inbox_store_purge(struct store_conn *c, const char *shop, int days, int limit,
                          long *deleted, struct errbuf *err);

/*
 * The admin API's order timeline: rows (id, webhook_id, topic, source,
 * outcome, error, received_at, body_base64: the raw bytes while retained,
 * else NULL) of the webhook events stored for order_id, by id. The
 * caller PQclears.
 */
PGresult *inbox_store_report_for_order(struct store_conn *c, const char *order_id,
                                       enum st *st, struct errbuf *err);

/* ---- the pending inbox: the raw delivery first, the order logic just after (sql/031) ---- */

/* Applications of a pending row that may fail before it is given up as failed. */
#define INBOX_APPLY_ATTEMPTS 5
#define INBOX_APPLY_ATTEMPTS_S "5"

/*
 * Inserts n deliveries (shop, webhook_id, topic, api_version, headers_json,
 * body, body_sha256, order_key of rows; the rest is ignored) as 'pending' in ONE
 * statement; inserted[i] false when row i's webhook id is already known
 * (stored before, or earlier in rows): a duplicate, nothing inserted.
 */
enum st inbox_store_insert_pending(struct store_conn *c, const struct inbox_row *rows, int n,
                                   bool *inserted, struct errbuf *err);

/*
 * In the caller's transaction: locks up to max pending rows of partition
 * part (0..parts-1, by a hash of order_key: one order's rows are all in
 * one) with ids above after (0: any), not locked by another transaction,
 * oldest first (sql/033: always the ordered index scan), and returns them
 * (id, shop, webhook_id, topic, api_version, headers, body (bytea, text
 * format)). Rows that failed INBOX_APPLY_ATTEMPTS times are no longer
 * pending. The caller PQclears.
 */
PGresult *inbox_store_claim_pending(struct store_conn *c, int max, int part, int parts,
                                    int64_t after, enum st *st, struct errbuf *err);

/*
 * Gives pending row event_id, claimed in the caller's transaction (so
 * still pending), its outcome, error and order_id from row; its body is
 * dropped when row->body is NULL (a replay). Deferred in pipeline mode
 * (store_exec_deferred).
 */
enum st inbox_store_mark_applied(struct store_conn *c, const char *event_id,
                                 const struct inbox_row *row, struct errbuf *err);

/*
 * Counts a failed application of pending row event_id (why kept in error);
 * *given_up when that was the last attempt: the row is now 'failed'.
 */
enum st inbox_store_apply_failed(struct store_conn *c, const char *event_id, const char *why,
                                 bool *given_up, struct errbuf *err);

/* Pending rows and the age of the oldest, in seconds (0 when none): the /metrics gauges. */
enum st inbox_store_pending_gauges(struct store_conn *c, long *pending, double *oldest_s,
                                   struct errbuf *err);

#endif
