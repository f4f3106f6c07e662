/*
 * despatch_store.c - the despatches tables (see despatch_store.h).
 *
 * The despatch number's uniqueness is the database's: the insert skips a
 * number already there, so two polls reading the same row record it once.
 */
#include "despatch_store.h"

#include <stdio.h>
#include <stdlib.h>

enum st despatch_store_insert(struct store_conn *c, const char *order_id,
                              const struct despatch *d, char *id, size_t cap,
                              struct errbuf *err)
{
    char at[24];
    const char *p[6] = {d->number, order_id, d->tracking, d->carrier, d->service, at};
    enum st st;
    PGresult *r;

    snprintf(at, sizeof(at), "%lld", (long long)d->despatched_at_s);
    r = store_exec_prepared(c, "despatch_insert",
                            "INSERT INTO despatches (despatch_number, order_id, tracking, carrier, "
                            "service, despatched_at) VALUES ($1, $2::bigint, nullif($3, ''), "
                            "nullif($4, ''), nullif($5, ''), to_timestamp($6::bigint)) "
                            "ON CONFLICT (despatch_number) DO NOTHING RETURNING id::text",
                            6, p, NULL, NULL, &st, err);
    snprintf(id, cap, "%s", r != NULL && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return st;
}

enum st despatch_store_add_line(struct store_conn *c, const char *despatch_id,
                                const char *line_id, const char *item_code, long quantity,
                                struct errbuf *err)
{
    char qty[24];
    const char *p[4] = {despatch_id, line_id, item_code, qty};
    enum st st;

    snprintf(qty, sizeof(qty), "%ld", quantity);
    PQclear(store_exec_prepared(c, "despatch_add_line",
                                "INSERT INTO despatch_lines (despatch_id, line_id, item_code, "
                                "quantity) VALUES ($1::bigint, $2, $3, $4::int)",
                                4, p, NULL, NULL, &st, err));
    return st;
}

void despatch_row_cleanup(struct despatch_row *d)
{
    for (size_t i = 0; i < d->n_lines; i++)
        free(d->lines[i].line_id);
    free(d->lines);
    d->lines = NULL;
    d->n_lines = 0;
}

/* Copies column col of row 0 of r into out. */
static void copy_col(const PGresult *r, int col, char *out, size_t cap)
{
    snprintf(out, cap, "%s", PQgetvalue(r, 0, col));
}

static enum st load_lines(struct store_conn *c, struct despatch_row *out, struct errbuf *err)
{
    const char *p[1] = {out->id};
    enum st st;
    PGresult *r = store_exec_prepared(c, "despatch_load_lines",
                                      "SELECT line_id, quantity FROM despatch_lines WHERE "
                                      "despatch_id = $1::bigint ORDER BY line_id",
                                      1, p, NULL, NULL, &st, err);

    if (st == ST_OK && PQntuples(r) > 0) {
        out->n_lines = (size_t)PQntuples(r);
        out->lines = xcalloc(out->n_lines, sizeof(*out->lines));
        for (size_t i = 0; i < out->n_lines; i++) {
            out->lines[i].line_id = xstrdup(PQgetvalue(r, (int)i, 0));
            out->lines[i].quantity = strtol(PQgetvalue(r, (int)i, 1), NULL, 10);
        }
    }
    PQclear(r);
    return st;
}

enum st despatch_store_load(struct store_conn *c, const char *number, struct despatch_row *out,
                            bool *found, struct errbuf *err)
{
    const char *p[1] = {number};
    enum st st;
    PGresult *r = store_exec_prepared(
        c, "despatch_load",
        "SELECT d.id::text, o.id::text, o.name, o.state, o.shopline_order_id, "
        "coalesce(d.tracking, ''), coalesce(d.carrier, ''), d.state FROM despatches d "
        "JOIN orders o ON o.id = d.order_id WHERE d.despatch_number = $1",
        1, p, NULL, NULL, &st, err);

    *found = st == ST_OK && PQntuples(r) == 1;
    if (*found) {
        copy_col(r, 0, out->id, sizeof(out->id));
        copy_col(r, 1, out->order_id, sizeof(out->order_id));
        copy_col(r, 2, out->order_name, sizeof(out->order_name));
        copy_col(r, 3, out->order_state, sizeof(out->order_state));
        copy_col(r, 4, out->shopline_order_id, sizeof(out->shopline_order_id));
        copy_col(r, 5, out->tracking, sizeof(out->tracking));
        copy_col(r, 6, out->carrier, sizeof(out->carrier));
        copy_col(r, 7, out->state, sizeof(out->state));
    }
    PQclear(r);
    if (*found)
        st = load_lines(c, out, err);
    return st;
}

enum st despatch_store_finish(struct store_conn *c, const char *despatch_id, const char *state,
                              const char *fulfillment_id, struct errbuf *err)
{
    const char *p[3] = {despatch_id, state, fulfillment_id};
    enum st st;

    PQclear(store_exec_prepared(c, "despatch_lock_order",
                                "SELECT 1 FROM orders WHERE id = (SELECT order_id FROM despatches "
                                "WHERE id = $1::bigint) FOR UPDATE",
                                1, p, NULL, NULL, &st, err));
    if (st != ST_OK)
        return st;
    PQclear(store_exec_prepared(c, "despatch_finish",
                                "UPDATE despatches SET state = $2, shopline_fulfillment_id = "
                                "coalesce($3, shopline_fulfillment_id), confirmed_at = CASE WHEN "
                                "$2 = 'fulfilled' THEN now() END WHERE id = $1::bigint",
                                3, p, NULL, NULL, &st, err));
    return st;
}

enum st despatch_store_order_fulfilled(struct store_conn *c, const char *order_id,
                                       bool *complete, char *state, size_t cap,
                                       struct errbuf *err)
{
    const char *p[1] = {order_id};
    enum st st;
    PGresult *r = store_exec_prepared(
        c, "despatch_order_fulfilled",
        "SELECT o.state, NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND "
        "l.requires_shipping AND l.qty_despatched < l.quantity) AND NOT EXISTS (SELECT 1 FROM despatches d WHERE "
        "d.order_id = o.id AND d.state <> 'fulfilled') FROM orders o WHERE o.id = $1::bigint "
        "FOR UPDATE OF o",
        1, p, NULL, NULL, &st, err);

    *complete = st == ST_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 1)[0] == 't';
    snprintf(state, cap, "%s", st == ST_OK && PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return st;
}
