/*
 * despatch_store.c - the despatches tables (see despatch_store.h).
 *
 * The despatch number's uniqueness is the database's: the insert skips a
 * number already there, so two polls reading the same row record it once.
 * The unconfirmed despatches are found through the partial indexes on
 * created_at of pending (007) and failed (010) rows, one arm each.
 *
 * Time zones are PostgreSQL's too: its `timestamp AT TIME ZONE` applies
 * the IANA rules it ships, so the service needs no zone files of its own
 * and never sets TZ (setenv/tzset/mktime are not safe beside other
 * threads). Wall times travel as seconds as if UTC: to_timestamp(w) AT
 * TIME ZONE 'UTC' is the wall time w, and extract(epoch) of a timestamp
 * without time zone gives the same count back.
 */
#include "despatch_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
    for (size_t i = 0; i < d->n_taken; i++)
        free(d->taken[i]);
    free(d->taken);
    d->lines = NULL;
    d->n_lines = 0;
    d->taken = NULL;
    d->n_taken = 0;
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

/* The fulfillment ids of the order's other despatches: no two despatches adopt one. */
static enum st load_taken(struct store_conn *c, struct despatch_row *out, struct errbuf *err)
{
    const char *p[2] = {out->order_id, out->id};
    enum st st;
    PGresult *r = store_exec_prepared(c, "despatch_load_taken",
                                      "SELECT shopline_fulfillment_id FROM despatches WHERE "
                                      "order_id = $1::bigint AND id <> $2::bigint AND "
                                      "shopline_fulfillment_id IS NOT NULL",
                                      2, p, NULL, NULL, &st, err);

    if (st == ST_OK && PQntuples(r) > 0) {
        out->n_taken = (size_t)PQntuples(r);
        out->taken = xcalloc(out->n_taken, sizeof(*out->taken));
        for (size_t i = 0; i < out->n_taken; i++)
            out->taken[i] = xstrdup(PQgetvalue(r, (int)i, 0));
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
        "coalesce(d.tracking, ''), coalesce(d.carrier, ''), d.state, coalesce(d.service, ''), "
        "d.post_started_at IS NOT NULL FROM despatches d "
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
        copy_col(r, 8, out->service, sizeof(out->service));
        out->post_started = PQgetvalue(r, 0, 9)[0] == 't';
    }
    PQclear(r);
    if (*found)
        st = load_lines(c, out, err);
    if (*found && st == ST_OK)
        st = load_taken(c, out, err);
    return st;
}

enum st despatch_store_mark_posting(struct store_conn *c, const char *despatch_id,
                                    struct errbuf *err)
{
    const char *p[1] = {despatch_id};
    enum st st;
    PGresult *r = store_exec_prepared(c, "despatch_mark_posting",
                                      "UPDATE despatches SET post_started_at = coalesce("
                                      "post_started_at, now()) WHERE id = $1::bigint",
                                      1, p, NULL, NULL, &st, err);

    PQclear(r);
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

PGresult *despatch_store_unconfirmed(struct store_conn *c, const char *shop, int threshold_s,
                                     enum st *st, struct errbuf *err)
{
    char threshold[16];
    const char *p[2] = {shop, threshold};

    snprintf(threshold, sizeof(threshold), "%d", threshold_s);
    return store_exec_prepared(
        c, "despatch_unconfirmed",
        "SELECT d.despatch_number, o.id::text, o.name, "
        "(extract(epoch FROM now() - d.created_at) / 60)::int, d.state, coalesce(d.tracking, ''), "
        "coalesce(j.state, 'none'), coalesce(j.attempts, 0), coalesce(j.last_error, '') "
        "FROM despatches d JOIN orders o ON o.id = d.order_id LEFT JOIN LATERAL (SELECT state, "
        "attempts, last_error FROM jobs WHERE kind = 'create_fulfillment' AND dedupe_key = "
        "d.despatch_number ORDER BY id DESC LIMIT 1) j ON true "
        "WHERE o.shop = $1 AND ((d.state = 'pending' AND d.created_at < now() - ($2::int * "
        "interval '1 second')) OR (d.state = 'failed' AND d.created_at < now() - ($2::int * "
        "interval '1 second'))) AND NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.shop = $1 "
        "AND e.type = 'despatch_unconfirmed' AND e.subject = d.despatch_number AND "
        "e.state = 'resolved' AND e.resolved_by <> 'shopvox') ORDER BY d.created_at LIMIT 1000",
        2, p, NULL, NULL, st, err);
}

enum st despatch_store_pending_gauges(struct store_conn *c, int threshold_s, long *late,
                                      double *oldest_s, struct errbuf *err)
{
    char threshold[16];
    const char *p[1] = {threshold};
    enum st st;
    PGresult *r;

    snprintf(threshold, sizeof(threshold), "%d", threshold_s);
    r = store_exec_prepared(c, "despatch_pending_gauges",
                            "SELECT count(*) FILTER (WHERE created_at < now() - ($1::int * "
                            "interval '1 second')), coalesce(extract(epoch FROM now() - "
                            "min(created_at))::float8, 0) FROM despatches WHERE state = 'pending'",
                            1, p, NULL, NULL, &st, err);
    *late = st == ST_OK ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    *oldest_s = st == ST_OK ? strtod(PQgetvalue(r, 0, 1), NULL) : 0;
    PQclear(r);
    return st;
}

enum st despatch_store_local_to_utc(struct store_conn *c, const char *tz, const int64_t *wall,
                                    size_t n, int64_t *out, struct errbuf *err)
{
    struct buf arr;
    const char *p[2] = {NULL, tz};
    enum st st = ST_OK;
    PGresult *r;

    if (n == 0)
        return ST_OK;
    buf_init(&arr, 0);
    for (size_t i = 0; i < n; i++)
        buf_appendf(&arr, "%c%" PRId64, i == 0 ? '{' : ',', wall[i]);
    buf_append_str(&arr, "}");
    p[0] = buf_cstr(&arr);
    r = store_exec_prepared(c, "despatch_local_to_utc",
                            "SELECT extract(epoch FROM (to_timestamp(w) AT TIME ZONE 'UTC') "
                            "AT TIME ZONE $2)::bigint FROM unnest($1::bigint[]) "
                            "WITH ORDINALITY AS u(w, i) ORDER BY i",
                            2, p, NULL, NULL, &st, err);
    if (st == ST_OK && (size_t)PQntuples(r) != n) {
        errbuf_set(err, "time zone conversion returned %d rows for %zu", PQntuples(r), n);
        st = ST_FAIL;
    }
    for (size_t i = 0; st == ST_OK && i < n; i++)
        out[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
    PQclear(r);
    buf_cleanup(&arr);
    return st;
}

enum st despatch_store_dated_to_utc(struct store_conn *c, const char *tz,
                                    const struct despatch_store_dated *d, struct errbuf *err)
{
    int64_t *wall = xcalloc(d->n + 1, sizeof(*wall));
    int64_t *utc = xcalloc(d->n + 1, sizeof(*utc));
    size_t n = 0;
    enum st st;

    for (size_t i = 0; i < d->n; i++) {
        char *rec = (char *)d->base + i * d->stride;

        if (*(char **)(void *)(rec + d->off_invalid) == NULL)
            memcpy(&wall[n++], rec + d->off_wall, sizeof(int64_t));
    }
    st = despatch_store_local_to_utc(c, tz, wall, n, utc, err);
    n = 0;
    for (size_t i = 0; st == ST_OK && i < d->n; i++) {
        char *rec = (char *)d->base + i * d->stride;

        if (*(char **)(void *)(rec + d->off_invalid) == NULL)
            memcpy(rec + d->off_utc, &utc[n++], sizeof(int64_t));
    }
    free(wall);
    free(utc);
    return st;
}

enum st despatch_store_utc_to_local(struct store_conn *c, const char *tz, int64_t utc_s,
                                    int64_t *wall_s, struct errbuf *err)
{
    char at[24];
    const char *p[2] = {at, tz};
    enum st st;
    PGresult *r;

    snprintf(at, sizeof(at), "%" PRId64, utc_s);
    r = store_exec_prepared(c, "despatch_utc_to_local",
                            "SELECT extract(epoch FROM to_timestamp($1::bigint) AT TIME ZONE "
                            "$2)::bigint",
                            2, p, NULL, NULL, &st, err);
    *wall_s = st == ST_OK ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return st;
}

enum st despatch_store_zone_known(struct store_conn *c, const char *tz, bool *known,
                                  struct errbuf *err)
{
    const char *p[1] = {tz};
    enum st st;
    PGresult *r = store_exec(c, "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)",
                             1, p, &st, err);

    *known = st == ST_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return st;
}

PGresult *despatch_store_report_for_order(struct store_conn *c, const char *order_id,
                                          enum st *st, struct errbuf *err)
{
    const char *p[1] = {order_id};

    return store_exec(c,
                      "SELECT d.id, d.despatch_number, d.state, d.tracking, d.carrier, d.service, "
                      STORE_ISO_UTC("d.despatched_at") " AS despatched_at, "
                      "d.shopline_fulfillment_id, " STORE_ISO_UTC("d.confirmed_at")
                      " AS confirmed_at, " STORE_ISO_UTC("d.created_at") " AS created_at, "
                      "coalesce((SELECT json_agg(json_build_object('line_id', l.line_id, "
                      "'item_code', l.item_code, 'quantity', l.quantity) ORDER BY l.line_id) "
                      "FROM despatch_lines l WHERE l.despatch_id = d.id), '[]') AS lines "
                      "FROM despatches d WHERE d.order_id = $1::bigint "
                      "ORDER BY d.despatched_at, d.id",
                      1, p, st, err);
}
