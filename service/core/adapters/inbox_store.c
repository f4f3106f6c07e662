/*
 * inbox_store.c - the webhook_events table (see inbox_store.h).
 *
 * Bodies and digests travel as binary parameters (the body is the exact
 * bytes the HMAC was computed over; it may hold anything).
 */
#include "inbox_store.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const inbox_insert_sql =
    "INSERT INTO webhook_events (shop, webhook_id, topic, api_version, headers, body, outcome, "
    "error, order_id, body_sha256, source) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, "
    "$9::bigint, $10, coalesce($11, 'webhook')) ON CONFLICT (shop, webhook_id) DO NOTHING RETURNING id";

enum st inbox_store_insert(struct store_conn *c, const struct inbox_row *row, bool *duplicate,
                           struct errbuf *err)
{
    const char *p[11] = {row->shop,    row->webhook_id, row->topic,    row->api_version,
                         row->headers_json, row->body,  row->outcome,  row->error,
                         row->order_id, (const char *)row->body_sha256, row->source};
    int lengths[11] = {0, 0, 0, 0, 0, (int)row->body_len, 0, 0, 0, INBOX_SHA256_BYTES, 0};
    int formats[11] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0};
    enum st st;
    PGresult *res = store_exec_prepared(c, "inbox_insert", inbox_insert_sql, 11, p, lengths,
                                        formats, &st, err);

    if (res != NULL)
        *duplicate = PQntuples(res) == 0;
    PQclear(res);
    return st;
}

enum st inbox_store_body_seen(struct store_conn *c, const char *order_id,
                              const unsigned char *sha256, bool *seen, struct errbuf *err)
{
    const char *p[2] = {order_id, (const char *)sha256};
    int lengths[2] = {0, INBOX_SHA256_BYTES};
    int formats[2] = {0, 1};
    enum st st;
    PGresult *res = store_exec_prepared(c, "inbox_body_seen",
                                        "SELECT 1 FROM webhook_events WHERE order_id = "
                                        "$1::bigint AND body_sha256 = $2 LIMIT 1",
                                        2, p, lengths, formats, &st, err);

    *seen = res != NULL && PQntuples(res) > 0;
    PQclear(res);
    return st;
}

enum st inbox_store_purge(struct store_conn *c, const char *shop, int days, int limit,
                          long *deleted, struct errbuf *err)
{
    return store_delete_batch(
        c, "inbox_purge",
        "DELETE FROM webhook_events WHERE id IN (SELECT w.id FROM webhook_events w "
        "WHERE w.shop = $1 AND w.received_at < now() - ($2::int * interval '1 day') "
        "AND NOT (w.outcome = 'failed' AND EXISTS (SELECT 1 FROM exceptions e "
        "WHERE e.shop = w.shop AND e.type = 'invalid_webhook' AND e.subject = w.webhook_id "
        "AND e.state = 'open')) LIMIT $3::int)",
        shop, days, limit, deleted, err);
}

PGresult *inbox_store_report_for_order(struct store_conn *c, const char *order_id,
                                       enum st *st, struct errbuf *err)
{
    const char *p[1] = {order_id};

    return store_exec(c,
                      "SELECT id, webhook_id, topic, source, outcome, error, "
                      STORE_ISO_UTC("received_at") " AS received_at, "
                      "translate(encode(body, 'base64'), E'\\n', '') AS body_base64 "
                      "FROM webhook_events WHERE order_id = $1::bigint ORDER BY id",
                      1, p, st, err);
}
