/*
 * return_store.c - the returns tables (see return_store.h).
 *
 * A transition is two statements after the row lock: the state update
 * guarded by the state read under the lock, and the history row in the
 * same CTE, so a state never moves without its return_events row. The
 * decision itself is the pure machine's (returns.c): this module only
 * refuses what it refuses.
 *
 * Refunds are spread over the order's live returns oldest first in one
 * statement: a window sum gives each line the room the earlier lines left
 * (the returns of the order are locked first, so two refunds of one order
 * queue instead of both reading the same room).
 */
#include "return_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGresult *rs_q(struct store_conn *c, const char *name, const char *sql, int n,
                      const char *const *params, enum st *st, struct errbuf *err)
{
    return store_exec_prepared(c, name, sql, n, params, NULL, NULL, st, err);
}

static enum st rs_cmd(struct store_conn *c, const char *name, const char *sql, int n,
                      const char *const *params, struct errbuf *err)
{
    enum st st = ST_OK;

    PQclear(rs_q(c, name, sql, n, params, &st, err));
    return st;
}

static void rs_copy(char *out, size_t cap, const PGresult *res, int row, int col)
{
    snprintf(out, cap, "%s", PQgetvalue(res, row, col));
}

/* Runs a statement about one return: $1 shop, $2 id; or $1 id when shop is NULL. */
static PGresult *rs_q_return(struct store_conn *c, const char *name, const char *sql,
                             const char *shop, long long return_id, enum st *st,
                             struct errbuf *err)
{
    char id[24];
    const char *p[2] = {shop, id};

    snprintf(id, sizeof(id), "%lld", return_id);
    return shop != NULL ? rs_q(c, name, sql, 2, p, st, err) : rs_q(c, name, sql, 1, p + 1, st, err);
}

/* Runs a command whose $1 is the return's id and $2.. the n values of more (n <= 7). */
static enum st rs_cmd_return(struct store_conn *c, const char *name, const char *sql,
                             long long return_id, int n, const char *const *more,
                             struct errbuf *err)
{
    char id[24];
    const char *p[8] = {id};

    snprintf(id, sizeof(id), "%lld", return_id);
    for (int i = 0; i < n && i < 7; i++)
        p[i + 1] = more[i];
    return rs_cmd(c, name, sql, n + 1, p, err);
}

/* ---- transitions and history ---- */

static const char *const rs_event_sql =
    "INSERT INTO return_events (return_id, from_state, to_state, cause, detail) "
    "VALUES ($1::bigint, $2, $3, $4, $5)";

enum st return_store_event(struct store_conn *c, long long return_id, const char *from,
                           const char *to, const char *cause, const char *detail,
                           struct errbuf *err)
{
    const char *more[4] = {from, to, cause, detail};

    return rs_cmd_return(c, "return_event", rs_event_sql, return_id, 4, more, err);
}

static const char *const rs_note_sql =
    "INSERT INTO return_events (return_id, from_state, to_state, cause, detail) "
    "SELECT id, state, state, $2, $3 FROM returns WHERE id = $1::bigint";

enum st return_store_note(struct store_conn *c, long long return_id, const char *cause,
                          const char *detail, struct errbuf *err)
{
    const char *more[2] = {cause, detail};

    return rs_cmd_return(c, "return_note", rs_note_sql, return_id, 2, more, err);
}

static const char *const rs_lock_state_sql =
    "SELECT state FROM returns WHERE shop = $1 AND id = $2::bigint FOR UPDATE";

static const char *const rs_move_sql =
    "UPDATE returns SET state = $2, state_changed_at = now(), updated_at = now() "
    "WHERE id = $1::bigint";

enum st return_store_transition(struct store_conn *c, const char *shop, long long return_id,
                                enum return_state to, const char *cause, const char *detail,
                                bool *applied, struct errbuf *err)
{
    char id[24];
    const char *mv[2] = {id, return_state_name(to)};
    enum return_state from = RETURN_REQUESTED;
    enum st st;
    PGresult *res;

    *applied = false;
    snprintf(id, sizeof(id), "%lld", return_id);
    res = rs_q_return(c, "return_lock_state", rs_lock_state_sql, shop, return_id, &st, err);
    if (res == NULL)
        return st;
    if (PQntuples(res) != 1 || !return_state_parse(PQgetvalue(res, 0, 0), &from)) {
        PQclear(res);
        errbuf_set(err, "no such return: %lld", return_id);
        return ST_FAIL;
    }
    PQclear(res);
    if (!return_transition_allowed(from, to))
        return ST_OK;
    st = rs_cmd(c, "return_move", rs_move_sql, 2, mv, err);
    if (st == ST_OK)
        st = return_store_event(c, return_id, return_state_name(from), return_state_name(to),
                                cause, detail, err);
    *applied = st == ST_OK;
    return st;
}

/* ---- one return, read back ---- */

static const char *const rs_get_sql =
    "SELECT id, shopline_return_id, shopline_order_id, coalesce(sales_order_number, ''), "
    "coalesce(return_reference, ''), state, coalesce(reason, '') "
    "FROM returns WHERE shop = $1 AND id = $2::bigint";

static const char *const rs_get_lines_sql =
    "SELECT line_item_id, item_code, quantity, received_qty, restocked_qty, written_off_qty, "
    "refunded_qty FROM return_lines WHERE return_id = $1::bigint ORDER BY line_item_id";

static void rs_line_from(const PGresult *res, int row, struct return_line_rec *l)
{
    rs_copy(l->line_item_id, sizeof(l->line_item_id), res, row, 0);
    rs_copy(l->item_code, sizeof(l->item_code), res, row, 1);
    l->quantity = atoi(PQgetvalue(res, row, 2));
    l->received_qty = atoi(PQgetvalue(res, row, 3));
    l->restocked_qty = atoi(PQgetvalue(res, row, 4));
    l->written_off_qty = atoi(PQgetvalue(res, row, 5));
    l->refunded_qty = atoi(PQgetvalue(res, row, 6));
}

static void rs_rec_from(const PGresult *res, struct return_rec *r)
{
    r->id = atoll(PQgetvalue(res, 0, 0));
    rs_copy(r->shopline_return_id, sizeof(r->shopline_return_id), res, 0, 1);
    rs_copy(r->shopline_order_id, sizeof(r->shopline_order_id), res, 0, 2);
    rs_copy(r->sales_order_number, sizeof(r->sales_order_number), res, 0, 3);
    rs_copy(r->return_reference, sizeof(r->return_reference), res, 0, 4);
    if (!return_state_parse(PQgetvalue(res, 0, 5), &r->state))
        r->state = RETURN_REQUESTED;
    rs_copy(r->reason, sizeof(r->reason), res, 0, 6);
}

enum st return_store_get(struct store_conn *c, const char *shop, long long return_id,
                         struct return_rec *out, struct errbuf *err)
{
    enum st st;
    PGresult *res;

    memset(out, 0, sizeof(*out));
    res = rs_q_return(c, "return_get", rs_get_sql, shop, return_id, &st, err);
    if (res == NULL)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        errbuf_set(err, "no such return: %lld", return_id);
        return ST_FAIL;
    }
    rs_rec_from(res, out);
    PQclear(res);
    res = rs_q_return(c, "return_get_lines", rs_get_lines_sql, NULL, return_id, &st, err);
    if (res == NULL)
        return st;
    out->n_lines = (size_t)PQntuples(res);
    out->lines = xcalloc(out->n_lines + 1, sizeof(*out->lines));
    for (size_t i = 0; i < out->n_lines; i++)
        rs_line_from(res, (int)i, &out->lines[i]);
    PQclear(res);
    return ST_OK;
}

void return_rec_free(struct return_rec *r)
{
    if (r == NULL)
        return;
    free(r->lines);
    r->lines = NULL;
    r->n_lines = 0;
}

/* ---- the webhook side ---- */

static const char *const rs_insert_sql =
    "INSERT INTO returns (shop, shopline_return_id, order_id, shopline_order_id, "
    "sales_order_number, currency, mode, reason, shopline_updated_at) "
    "SELECT $1, $2, o.id, $3, o.sales_order_number, o.currency, $4, $5, $6::timestamptz "
    "FROM (SELECT 1) one LEFT JOIN orders o ON o.shop = $1 AND o.shopline_order_id = $3 "
    "ON CONFLICT (shop, shopline_return_id) DO NOTHING RETURNING id";

static const char *const rs_lock_sql =
    "SELECT r.id, r.state, coalesce((extract(epoch FROM r.shopline_updated_at) * 1000)::bigint, "
    "-1), coalesce(r.order_id::text, ''), coalesce(o.name, '') "
    "FROM returns r LEFT JOIN orders o ON o.id = r.order_id "
    "WHERE r.shop = $1 AND r.shopline_return_id = $2 FOR UPDATE OF r";

static bool rs_locked_from(const PGresult *res, struct return_locked *out)
{
    if (PQntuples(res) != 1)
        return false;
    out->id = atoll(PQgetvalue(res, 0, 0));
    if (!return_state_parse(PQgetvalue(res, 0, 1), &out->state))
        out->state = RETURN_REQUESTED;
    out->shopline_updated_ms = atoll(PQgetvalue(res, 0, 2));
    rs_copy(out->order_id, sizeof(out->order_id), res, 0, 3);
    rs_copy(out->order_name, sizeof(out->order_name), res, 0, 4);
    return true;
}

enum st return_store_lock_or_create(struct store_conn *c, const struct return_upsert *u,
                                    struct return_locked *out, struct errbuf *err)
{
    const char *p[6] = {u->shop, u->shopline_return_id, u->shopline_order_id, u->mode,
                        u->reason, u->updated_at};
    enum st st;
    PGresult *res;

    memset(out, 0, sizeof(*out));
    res = rs_q(c, "return_insert", rs_insert_sql, 6, p, &st, err);
    if (res == NULL)
        return st;
    out->created = PQntuples(res) == 1;
    PQclear(res);
    res = rs_q(c, "return_lock", rs_lock_sql, 2, p, &st, err);
    if (res == NULL)
        return st;
    if (!rs_locked_from(res, out)) {
        errbuf_set(err, "could not lock return %s", u->shopline_return_id);
        st = ST_FAIL;
    }
    PQclear(res);
    return st;
}

static const char *const rs_touch_sql =
    "UPDATE returns SET shopline_updated_at = coalesce($2::timestamptz, shopline_updated_at), "
    "reason = coalesce($3, reason), updated_at = now() WHERE id = $1::bigint";

enum st return_store_touch(struct store_conn *c, long long return_id, const char *updated_at,
                           const char *reason, struct errbuf *err)
{
    const char *more[2] = {updated_at, reason};

    return rs_cmd_return(c, "return_touch", rs_touch_sql, return_id, 2, more, err);
}

static const char *const rs_put_line_sql =
    "INSERT INTO return_lines AS t (return_id, line_item_id, item_code, quantity, unit_price, "
    "reason) SELECT r.id, $2, coalesce(ol.item_code, ol.sku, ''), $3::integer, ol.price, $4 "
    "FROM returns r LEFT JOIN order_lines ol ON ol.order_id = r.order_id AND ol.line_id = $2 "
    "WHERE r.id = $1::bigint "
    "ON CONFLICT (return_id, line_item_id) DO UPDATE SET quantity = EXCLUDED.quantity, "
    "reason = coalesce(EXCLUDED.reason, t.reason), item_code = EXCLUDED.item_code, "
    "unit_price = EXCLUDED.unit_price RETURNING t.item_code <> ''";

enum st return_store_put_line(struct store_conn *c, long long return_id, const char *line_item_id,
                              long quantity, const char *reason, bool *known,
                              struct errbuf *err)
{
    char id[24], qty[24];
    const char *p[4] = {id, line_item_id, qty, reason};
    enum st st;
    PGresult *res;

    snprintf(id, sizeof(id), "%lld", return_id);
    snprintf(qty, sizeof(qty), "%ld", quantity);
    res = rs_q(c, "return_put_line", rs_put_line_sql, 4, p, &st, err);
    if (res == NULL)
        return st;
    *known = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return ST_OK;
}

/* ---- refunds ---- */

static const char *const rs_refund_sql =
    "INSERT INTO refunds (shop, shopline_refund_id, shopline_order_id, amount, currency, lines, "
    "shopline_created_at) VALUES ($1, $2, $3, $4::numeric, $5, $6::jsonb, $7::timestamptz) "
    "ON CONFLICT (shop, shopline_refund_id) DO NOTHING RETURNING 1";

enum st return_store_refund_insert(struct store_conn *c, const struct refund_row *r,
                                   bool *inserted, struct errbuf *err)
{
    const char *p[7] = {r->shop,     r->shopline_refund_id, r->shopline_order_id, r->amount,
                        r->currency, r->lines_json,         r->created_at};
    enum st st;
    PGresult *res = rs_q(c, "refund_insert", rs_refund_sql, 7, p, &st, err);

    if (res == NULL)
        return st;
    *inserted = PQntuples(res) == 1;
    PQclear(res);
    return ST_OK;
}

static const char *const rs_lock_order_returns_sql =
    "SELECT id FROM returns WHERE shop = $1 AND shopline_order_id = $2 ORDER BY id FOR UPDATE";

static const char *const rs_refund_apply_sql =
    "WITH l AS (SELECT rl.return_id, rl.line_item_id, rl.quantity - rl.refunded_qty AS room, "
    " coalesce(sum(rl.quantity - rl.refunded_qty) OVER (ORDER BY rl.return_id ROWS BETWEEN "
    " UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before "
    " FROM return_lines rl JOIN returns r ON r.id = rl.return_id "
    " WHERE r.shop = $1 AND r.shopline_order_id = $2 AND rl.line_item_id = $3 "
    " AND r.state NOT IN ('rejected', 'cancelled') AND rl.quantity > rl.refunded_qty) "
    "UPDATE return_lines t SET refunded_qty = t.refunded_qty + least(l.room, $4::integer - "
    "l.before) FROM l WHERE t.return_id = l.return_id AND t.line_item_id = l.line_item_id "
    "AND $4::integer > l.before RETURNING t.return_id";

static void rs_touched_add(long long id, long long *ids, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (ids[i] == id)
            return;
    if (*n < RETURN_STORE_MAX_TOUCHED)
        ids[(*n)++] = id;
}

enum st return_store_refund_apply(struct store_conn *c, const char *shop,
                                  const char *shopline_order_id, const char *line_item_id,
                                  long quantity, long long *ids, size_t *n, struct errbuf *err)
{
    char qty[24];
    const char *p[4] = {shop, shopline_order_id, line_item_id, qty};
    enum st st = ST_OK;
    PGresult *res;

    snprintf(qty, sizeof(qty), "%ld", quantity);
    PQclear(rs_q(c, "return_lock_order", rs_lock_order_returns_sql, 2, p, &st, err));
    if (st != ST_OK)
        return st;
    res = rs_q(c, "return_refund_apply", rs_refund_apply_sql, 4, p, &st, err);
    if (res == NULL)
        return st;
    for (int i = 0; i < PQntuples(res); i++)
        rs_touched_add(atoll(PQgetvalue(res, i, 0)), ids, n);
    PQclear(res);
    return ST_OK;
}

static const char *const rs_due_sql =
    "SELECT count(*) FILTER (WHERE l.received_qty > l.refunded_qty), "
    "coalesce(sum(greatest(l.received_qty - l.refunded_qty, 0)), 0), "
    "to_char(coalesce(sum(greatest(l.received_qty - l.refunded_qty, 0) * "
    "coalesce(l.unit_price, 0)), 0), 'FM999999999999990.0000'), "
    "coalesce(min(r.currency), ''), coalesce(min(r.order_id)::text, ''), "
    "coalesce(min(o.name), '') "
    "FROM returns r LEFT JOIN return_lines l ON l.return_id = r.id "
    "LEFT JOIN orders o ON o.id = r.order_id WHERE r.shop = $1 AND r.id = $2::bigint";

enum st return_store_due(struct store_conn *c, const char *shop, long long return_id,
                         struct return_due *out, struct errbuf *err)
{
    enum st st;
    PGresult *res;

    memset(out, 0, sizeof(*out));
    res = rs_q_return(c, "return_due", rs_due_sql, shop, return_id, &st, err);
    if (res == NULL)
        return st;
    out->lines = atoi(PQgetvalue(res, 0, 0));
    out->units = atol(PQgetvalue(res, 0, 1));
    rs_copy(out->amount, sizeof(out->amount), res, 0, 2);
    rs_copy(out->currency, sizeof(out->currency), res, 0, 3);
    rs_copy(out->order_id, sizeof(out->order_id), res, 0, 4);
    rs_copy(out->order_name, sizeof(out->order_name), res, 0, 5);
    PQclear(res);
    return ST_OK;
}

/* ---- reports ---- */

#define RS_LIST_COLUMNS                                                                     \
    "r.id, r.shopline_return_id, r.shopline_order_id, o.name AS order_name, "              \
    "r.sales_order_number, r.state, r.mode, r.reason, "                                     \
    "(SELECT count(*) FROM return_lines l WHERE l.return_id = r.id) AS lines, "             \
    "(SELECT coalesce(sum(l.quantity), 0) FROM return_lines l WHERE l.return_id = r.id) "   \
    "AS quantity, " STORE_ISO_UTC("r.created_at") " AS created_at, "                         \
    STORE_ISO_UTC("r.state_changed_at") " AS state_changed_at"

PGresult *return_store_report_list(struct store_conn *c, const char *shop, const char *state,
                                   int limit, enum st *st, struct errbuf *err)
{
    return return_store_report_page(c, shop, state, 0, limit, st, err);
}

PGresult *return_store_report_page(struct store_conn *c, const char *shop, const char *state,
                                   long long before_id, int limit, enum st *st,
                                   struct errbuf *err)
{
    char lim[16], before[24];
    const char *p[4] = {shop, state, lim, before};

    snprintf(lim, sizeof(lim), "%d", limit);
    snprintf(before, sizeof(before), "%lld", before_id);
    return store_exec(c,
                      "SELECT " RS_LIST_COLUMNS " FROM returns r "
                      "LEFT JOIN orders o ON o.id = r.order_id "
                      "WHERE r.shop = $1 AND ($2::text IS NULL OR r.state = $2) "
                      "AND ($4::bigint = 0 OR r.id < $4::bigint) "
                      "ORDER BY r.id DESC LIMIT $3::integer",
                      4, p, st, err);
}

PGresult *return_store_report(struct store_conn *c, const char *shop, long long id, enum st *st,
                              struct errbuf *err)
{
    return rs_q_return(c, "return_report",
                       "SELECT " RS_LIST_COLUMNS ", r.return_reference, r.currency "
                       "FROM returns r LEFT JOIN orders o ON o.id = r.order_id "
                       "WHERE r.shop = $1 AND r.id = $2::bigint",
                       shop, id, st, err);
}

PGresult *return_store_report_lines(struct store_conn *c, long long id, enum st *st,
                                    struct errbuf *err)
{
    return rs_q_return(c, "return_report_lines",
                       "SELECT line_item_id, item_code, quantity, unit_price::text AS unit_price, "
                       "reason, received_qty, restocked_qty, written_off_qty, refunded_qty "
                       "FROM return_lines WHERE return_id = $1::bigint ORDER BY line_item_id",
                       NULL, id, st, err);
}

PGresult *return_store_report_history(struct store_conn *c, long long id, enum st *st,
                                      struct errbuf *err)
{
    return rs_q_return(c, "return_report_history",
                       "SELECT " STORE_ISO_UTC("at") " AS at, from_state, to_state, cause, "
                       "detail FROM return_events WHERE return_id = $1::bigint ORDER BY id",
                       NULL, id, st, err);
}

PGresult *return_store_count_by_state(struct store_conn *c, enum st *st, struct errbuf *err)
{
    return store_exec_prepared(c, "return_count_by_state",
                               "SELECT state, count(*), coalesce(extract(epoch FROM now() - "
                               "min(state_changed_at))::bigint, 0) FROM returns GROUP BY state",
                               0, NULL, NULL, NULL, st, err);
}
