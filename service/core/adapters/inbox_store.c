/*
 * inbox_store.c - the webhook_events table (see inbox_store.h).
 *
 * Bodies and digests travel as binary parameters (the body is the exact
 * bytes the HMAC was computed over; it may hold anything).
 */
#include "inbox_store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
        "AND w.outcome <> 'pending' "
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

/* ---- the pending inbox (sql/031) ---- */

/*
 * A one-dimensional array of n elements of type oid in PostgreSQL's binary
 * array format (array_recv): ndim, has-null flag, element type, the
 * dimension (size, lower bound 1), then each element as length + bytes
 * (length -1: NULL). vals[i] NULL is a NULL element; lens NULL: strlen.
 */
static void put_be32(struct buf *b, uint32_t v)
{
    const unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                                 (unsigned char)(v >> 8), (unsigned char)v};

    buf_append(b, be, sizeof(be));
}

static void array_bin(struct buf *b, unsigned oid, int n, const char *const *vals,
                      const size_t *lens)
{
    bool nulls = false;

    for (int i = 0; i < n; i++)
        nulls = nulls || vals[i] == NULL;
    put_be32(b, 1);
    put_be32(b, nulls ? 1 : 0);
    put_be32(b, oid);
    put_be32(b, (uint32_t)n);
    put_be32(b, 1);
    for (int i = 0; i < n; i++) {
        size_t len = vals[i] == NULL ? 0 : lens != NULL ? lens[i] : strlen(vals[i]);

        put_be32(b, vals[i] == NULL ? UINT32_MAX : (uint32_t)len);
        if (vals[i] != NULL)
            buf_append(b, vals[i], len);
    }
}

#define PENDING_COLS 8
#define OID_BYTEA 17
#define OID_TEXT 25

static const char *const pending_insert_sql =
    "INSERT INTO webhook_events (shop, webhook_id, topic, api_version, headers, body, "
    "body_sha256, order_key, outcome) SELECT u.shop, u.wid, u.topic, u.version, "
    "u.headers::jsonb, u.body, u.sha, u.okey, 'pending' FROM unnest($1::text[], $2::text[], "
    "$3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::text[]) "
    "AS u(shop, wid, topic, version, headers, body, sha, okey) "
    "ON CONFLICT (shop, webhook_id) DO NOTHING RETURNING shop, webhook_id";

/* Marks the first row i of rows not yet marked with this shop and webhook id. */
static void mark_inserted(const struct inbox_row *rows, int n, bool *inserted,
                          const char *shop, const char *wid)
{
    for (int i = 0; i < n; i++) {
        if (!inserted[i] && strcmp(rows[i].shop, shop) == 0 &&
            strcmp(rows[i].webhook_id, wid) == 0) {
            inserted[i] = true;
            return;
        }
    }
}

enum st inbox_store_insert_pending(struct store_conn *c, const struct inbox_row *rows, int n,
                                   bool *inserted, struct errbuf *err)
{
    const char **col = xcalloc((size_t)n * PENDING_COLS, sizeof(*col));
    size_t *body_len = xcalloc((size_t)n, sizeof(*body_len));
    size_t *sha_len = xcalloc((size_t)n, sizeof(*sha_len));
    struct buf arr[PENDING_COLS];
    const char *p[PENDING_COLS];
    int lengths[PENDING_COLS], formats[PENDING_COLS];
    PGresult *res;
    enum st st;

    for (int i = 0; i < n; i++) {
        const char *const row[PENDING_COLS] = {rows[i].shop, rows[i].webhook_id, rows[i].topic,
                                               rows[i].api_version, rows[i].headers_json,
                                               rows[i].body, (const char *)rows[i].body_sha256,
                                               rows[i].order_key};

        for (int k = 0; k < PENDING_COLS; k++)
            col[k * n + i] = row[k];
        body_len[i] = rows[i].body_len;
        sha_len[i] = INBOX_SHA256_BYTES;
        inserted[i] = false;
    }
    for (int k = 0; k < PENDING_COLS; k++) {
        buf_init(&arr[k], 0);
        array_bin(&arr[k], k == 5 || k == 6 ? OID_BYTEA : OID_TEXT, n, col + k * n,
                  k == 5 ? body_len : k == 6 ? sha_len : NULL);
        p[k] = arr[k].data;
        lengths[k] = (int)arr[k].len;
        formats[k] = 1;
    }
    res = store_exec_prepared(c, "inbox_insert_pending", pending_insert_sql, PENDING_COLS, p,
                              lengths, formats, &st, err);
    for (int r = 0; res != NULL && r < PQntuples(res); r++)
        mark_inserted(rows, n, inserted, PQgetvalue(res, r, 0), PQgetvalue(res, r, 1));
    PQclear(res);
    for (int k = 0; k < PENDING_COLS; k++)
        buf_cleanup(&arr[k]);
    free(col);
    free(body_len);
    free(sha_len);
    return st;
}

PGresult *inbox_store_claim_pending(struct store_conn *c, int max, int part, int parts,
                                    int64_t after, enum st *st, struct errbuf *err)
{
    char max_s[16], part_s[16], parts_s[16], after_s[24];
    const char *p[4] = {max_s, part_s, parts_s, after_s};

    snprintf(max_s, sizeof(max_s), "%d", max);
    snprintf(part_s, sizeof(part_s), "%d", part);
    snprintf(parts_s, sizeof(parts_s), "%d", parts < 1 ? 1 : parts);
    snprintf(after_s, sizeof(after_s), "%lld", (long long)after);
    return store_exec_prepared(c, "inbox_claim_pending",
                               "SELECT * FROM inbox_claim_pending($1::int, $2::int, $3::int, "
                               "$4::bigint, " INBOX_APPLY_ATTEMPTS_S ")",
                               4, p, NULL, NULL, st, err);
}

enum st inbox_store_mark_applied(struct store_conn *c, const char *event_id,
                                 const struct inbox_row *row, struct errbuf *err)
{
    const char *p[5] = {event_id, row->outcome, row->error, row->order_id,
                        row->body == NULL ? "t" : "f"};

    return store_exec_deferred(
        c, "inbox_mark_applied",
        "UPDATE webhook_events SET outcome = $2, error = $3, order_id = $4::bigint, "
        "body = CASE WHEN $5::boolean THEN NULL ELSE body END "
        "WHERE id = $1::bigint AND outcome = 'pending'",
        5, p, err);
}

enum st inbox_store_apply_failed(struct store_conn *c, const char *event_id, const char *why,
                                 bool *given_up, struct errbuf *err)
{
    const char *p[2] = {event_id, why};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "inbox_apply_failed",
        "UPDATE webhook_events SET apply_attempts = apply_attempts + 1, error = $2, "
        "outcome = CASE WHEN apply_attempts + 1 >= " INBOX_APPLY_ATTEMPTS_S
        " THEN 'failed' ELSE outcome END WHERE id = $1::bigint RETURNING outcome",
        2, p, NULL, NULL, &st, err);

    *given_up = res != NULL && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "failed") == 0;
    PQclear(res);
    return st;
}

enum st inbox_store_pending_gauges(struct store_conn *c, long *pending, double *oldest_s,
                                   struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "inbox_pending_gauges",
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8 "
        "FROM webhook_events WHERE outcome = 'pending'",
        0, NULL, NULL, NULL, &st, err);

    if (res != NULL && PQntuples(res) == 1) {
        *pending = atol(PQgetvalue(res, 0, 0));
        *oldest_s = atof(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return st;
}
