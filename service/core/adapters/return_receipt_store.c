/*
 * return_receipt_store.c - the warehouse side's tables (see
 * return_receipt_store.h).
 *
 * A receipt is inserted first (ON CONFLICT DO NOTHING on its four-part
 * key), so a row re-read in the overlap window, or by a second poll racing
 * this one, is skipped before its units could be counted twice; the
 * candidates' returns are locked before their lines are read, so two
 * receipts of one return queue instead of both reading the same room.
 * Report dates reach the table as instants (Unix seconds, the caller's
 * conversion from the tenant's wall clock).
 */
#include "return_receipt_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum st rr_cmd(struct store_conn *c, const char *name, const char *sql, int n,
                      const char *const *params, struct errbuf *err)
{
    enum st st = ST_OK;

    PQclear(store_exec_prepared(c, name, sql, n, params, NULL, NULL, &st, err));
    return st;
}

enum st return_receipt_store_set_reference(struct store_conn *c, const char *shop,
                                           long long return_id, const char *reference,
                                           struct errbuf *err)
{
    char id[24];
    const char *p[3] = {shop, id, reference};

    snprintf(id, sizeof(id), "%lld", return_id);
    return rr_cmd(c, "rr_set_reference",
                  "UPDATE returns SET return_reference = $3, updated_at = now() "
                  "WHERE shop = $1 AND id = $2::bigint",
                  3, p, err);
}

enum st return_receipt_store_insert(struct store_conn *c, const char *shop,
                                    const struct return_receipt *r, bool *inserted,
                                    struct errbuf *err)
{
    char qty[24], at[24];
    const char *p[10] = {shop, r->return_code, r->sales_order, r->item_code, qty,
                         r->reusable ? "true" : "false", r->condition, r->reason, r->site, at};
    enum st st;
    PGresult *res;

    snprintf(qty, sizeof(qty), "%ld", r->quantity);
    snprintf(at, sizeof(at), "%" PRId64, r->returned_at_s);
    res = store_exec_prepared(
        c, "rr_insert",
        "INSERT INTO return_receipts (shop, return_code, sales_order_number, item_code, "
        "quantity, reusable, condition, reason, site, returned_at, unmatched_qty) "
        "VALUES ($1, $2, $3, $4, $5::int, $6::boolean, nullif($7, ''), nullif($8, ''), "
        "nullif($9, ''), to_timestamp($10::bigint), $5::int) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        10, p, NULL, NULL, &st, err);
    *inserted = res != NULL && PQntuples(res) == 1;
    PQclear(res);
    return st;
}

enum st return_receipt_store_matched(struct store_conn *c, const char *shop,
                                     const struct return_receipt *r, long long return_id,
                                     long matched, struct errbuf *err)
{
    char id[24], n[24];
    const char *p[6] = {shop, r->return_code, r->sales_order, r->item_code,
                        return_id > 0 ? id : NULL, n};

    snprintf(id, sizeof(id), "%lld", return_id);
    snprintf(n, sizeof(n), "%ld", matched);
    return rr_cmd(c, "rr_matched",
                  "UPDATE return_receipts SET return_id = coalesce(return_id, $5::bigint), "
                  "matched_qty = $6::int, "
                  "unmatched_qty = quantity - $6::int WHERE shop = $1 AND return_code = $2 "
                  "AND sales_order_number = $3 AND item_code = $4",
                  6, p, err);
}

enum st return_receipt_store_retryable(struct store_conn *c, const char *shop, int limit,
                                       struct return_receipt_list *out, struct errbuf *err)
{
    char n[16];
    const char *p[2] = {shop, n};
    enum st st;
    PGresult *res;

    snprintf(n, sizeof(n), "%d", limit);
    res = store_exec_prepared(
        c, "rr_retryable",
        "SELECT k.return_code, k.sales_order_number, k.item_code, k.quantity, k.reusable, "
        "coalesce(k.condition, ''), coalesce(k.reason, ''), coalesce(k.site, ''), "
        "extract(epoch FROM k.returned_at)::bigint FROM return_receipts k "
        "WHERE k.shop = $1 AND k.unmatched_qty > 0 AND EXISTS (SELECT 1 FROM returns r "
        "JOIN return_lines l ON l.return_id = r.id WHERE r.shop = $1 "
        "AND r.sales_order_number = k.sales_order_number AND l.item_code = k.item_code "
        "AND r.state IN ('awaiting_receipt', 'received') AND l.received_qty < l.quantity) "
        "ORDER BY k.counted_at, k.return_code LIMIT $2::int",
        2, p, NULL, NULL, &st, err);
    if (res == NULL)
        return st;
    out->items = xrealloc(out->items, (out->n + (size_t)PQntuples(res) + 1) * sizeof(*out->items));
    for (int i = 0; i < PQntuples(res); i++) {
        struct return_receipt *r = &out->items[out->n++];

        memset(r, 0, sizeof(*r));
        r->return_code = xstrdup(PQgetvalue(res, i, 0));
        r->sales_order = xstrdup(PQgetvalue(res, i, 1));
        r->item_code = xstrdup(PQgetvalue(res, i, 2));
        r->quantity = atol(PQgetvalue(res, i, 3));
        r->reusable = PQgetvalue(res, i, 4)[0] == 't';
        r->condition = xstrdup(PQgetvalue(res, i, 5));
        r->reason = xstrdup(PQgetvalue(res, i, 6));
        r->site = xstrdup(PQgetvalue(res, i, 7));
        r->returned_at_s = atoll(PQgetvalue(res, i, 8));
    }
    PQclear(res);
    return ST_OK;
}

/* One number (row 0, column 0; 0 when no row) of a prepared statement. */
static enum st rr_number(struct store_conn *c, const char *name, const char *sql, int n,
                         const char *const *params, long *out, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(c, name, sql, n, params, NULL, NULL, &st, err);

    *out = res != NULL && PQntuples(res) == 1 ? atol(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return res != NULL ? ST_OK : st;
}

enum st return_receipt_store_lock(struct store_conn *c, const char *shop,
                                  const struct return_receipt *r, long *unmatched,
                                  struct errbuf *err)
{
    const char *p[4] = {shop, r->return_code, r->sales_order, r->item_code};

    return rr_number(c, "rr_lock",
                     "SELECT unmatched_qty FROM return_receipts WHERE shop = $1 AND "
                     "return_code = $2 AND sales_order_number = $3 AND item_code = $4 "
                     "FOR UPDATE",
                     4, p, unmatched, err);
}

enum st return_receipt_store_code_unmatched(struct store_conn *c, const char *shop,
                                            const char *code, long *units, struct errbuf *err)
{
    const char *p[2] = {shop, code};

    return rr_number(c, "rr_code_unmatched",
                     "SELECT coalesce(sum(unmatched_qty), 0) FROM return_receipts "
                     "WHERE shop = $1 AND return_code = $2",
                     2, p, units, err);
}

enum st return_receipt_store_candidates(struct store_conn *c, const char *shop, const char *so,
                                        const char *item_code, struct return_cands *out,
                                        struct errbuf *err)
{
    const char *p[3] = {shop, so, item_code};
    enum st st;
    PGresult *res;

    memset(out, 0, sizeof(*out));
    st = rr_cmd(c, "rr_lock_returns",
                "SELECT id FROM returns WHERE shop = $1 AND sales_order_number = $2 "
                "AND state IN ('awaiting_receipt', 'received') ORDER BY id FOR UPDATE",
                2, p, err);
    if (st != ST_OK)
        return st;
    res = store_exec_prepared(
        c, "rr_candidates",
        "SELECT r.id, r.state, l.line_item_id, l.item_code, l.quantity, l.received_qty "
        "FROM returns r JOIN return_lines l ON l.return_id = r.id "
        "WHERE r.shop = $1 AND r.sales_order_number = $2 AND l.item_code = $3 "
        "AND r.state IN ('awaiting_receipt', 'received') "
        "ORDER BY r.created_at, r.id, l.line_item_id",
        3, p, NULL, NULL, &st, err);
    if (res == NULL)
        return st;
    out->n = (size_t)PQntuples(res);
    out->items = xcalloc(out->n + 1, sizeof(*out->items));
    for (size_t i = 0; i < out->n; i++) {
        struct return_cand *k = &out->items[i];

        k->return_id = atoll(PQgetvalue(res, (int)i, 0));
        if (!return_state_parse(PQgetvalue(res, (int)i, 1), &k->state))
            k->state = RETURN_AWAITING_RECEIPT;
        snprintf(k->line_item_id, sizeof(k->line_item_id), "%s", PQgetvalue(res, (int)i, 2));
        snprintf(k->item_code, sizeof(k->item_code), "%s", PQgetvalue(res, (int)i, 3));
        k->quantity = atol(PQgetvalue(res, (int)i, 4));
        k->received = atol(PQgetvalue(res, (int)i, 5));
    }
    PQclear(res);
    return ST_OK;
}

void return_cands_cleanup(struct return_cands *c)
{
    if (c == NULL)
        return;
    free(c->items);
    memset(c, 0, sizeof(*c));
}

enum st return_receipt_store_add_units(struct store_conn *c, long long return_id,
                                       const char *line_item_id, long received, long restocked,
                                       long written_off, struct errbuf *err)
{
    char id[24], a[24], b[24], d[24];
    const char *p[5] = {id, line_item_id, a, b, d};

    snprintf(id, sizeof(id), "%lld", return_id);
    snprintf(a, sizeof(a), "%ld", received);
    snprintf(b, sizeof(b), "%ld", restocked);
    snprintf(d, sizeof(d), "%ld", written_off);
    return rr_cmd(c, "rr_add_units",
                  "UPDATE return_lines SET received_qty = received_qty + $3::int, "
                  "restocked_qty = restocked_qty + $4::int, "
                  "written_off_qty = written_off_qty + $5::int "
                  "WHERE return_id = $1::bigint AND line_item_id = $2",
                  5, p, err);
}
