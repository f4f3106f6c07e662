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

#endif
