/*
 * daily_store.c - the daily report's reads (see daily_store.h). Four
 * statements, each bounded by the window's indexes where there are some:
 * the counts with the sweeps, the two delay lists, the exceptions per
 * team; plus the drift report (drift_store). Read in one REPEATABLE READ
 * snapshot when the caller opens one; each statement alone is consistent.
 */
#include "daily_store.h"

#include <stdlib.h>
#include <string.h>

#include "drift_store.h"
#include "store_json.h"

void daily_delays_cleanup(struct daily_delays *d)
{
    free(d->paid_to_sales_order);
    free(d->despatch_to_fulfillment);
    memset(d, 0, sizeof(*d));
}

static long col_long(const PGresult *res, int row, int col)
{
    return strtol(PQgetvalue(res, row, col), NULL, 10);
}

static enum st read_counts(struct store_conn *c, const char *const p[3],
                           struct daily_report *r, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec(
        c,
        "SELECT (SELECT count(*) FROM orders WHERE shop = $1 AND created_at >= $2::timestamptz "
        "  AND created_at < $3::timestamptz), "
        "(SELECT count(*) FROM orders WHERE shop = $1 AND sent_at >= $2::timestamptz "
        "  AND sent_at < $3::timestamptz), "
        "(SELECT count(DISTINCT d.order_id) FROM despatches d JOIN orders o ON o.id = d.order_id "
        "  WHERE o.shop = $1 AND d.despatched_at >= $2::timestamptz "
        "  AND d.despatched_at < $3::timestamptz), "
        "(SELECT count(DISTINCT d.order_id) FROM despatches d JOIN orders o ON o.id = d.order_id "
        "  WHERE o.shop = $1 AND d.state = 'fulfilled' AND d.confirmed_at >= $2::timestamptz "
        "  AND d.confirmed_at < $3::timestamptz), "
        "count(*), count(*) FILTER (WHERE state = 'failed'), "
        "coalesce(sum(recovered) FILTER (WHERE sweep = 'orders'), 0), "
        "coalesce(sum(requeued) FILTER (WHERE sweep = 'despatches'), 0), "
        "coalesce(sum(missing) FILTER (WHERE sweep = 'warehouse'), 0) "
        "FROM order_sweeps WHERE shop = $1 AND finished_at >= $2::timestamptz "
        "AND finished_at < $3::timestamptz",
        3, p, &st, err);

    if (res == NULL)
        return st;
    r->received = col_long(res, 0, 0);
    r->posted = col_long(res, 0, 1);
    r->despatched = col_long(res, 0, 2);
    r->fulfilled = col_long(res, 0, 3);
    r->sweep_runs = col_long(res, 0, 4);
    r->sweep_failed = col_long(res, 0, 5);
    r->orders_recovered = col_long(res, 0, 6);
    r->despatches_requeued = col_long(res, 0, 7);
    r->warehouse_missing = col_long(res, 0, 8);
    PQclear(res);
    return ST_OK;
}

/* The first column of sql's rows as doubles into *out (owned), *n of them. */
static enum st read_seconds(struct store_conn *c, const char *sql, const char *const p[3],
                            double **out, size_t *n, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec(c, sql, 3, p, &st, err);

    *out = NULL;
    *n = 0;
    if (res == NULL)
        return st;
    *n = (size_t)PQntuples(res);
    *out = xcalloc(*n > 0 ? *n : 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = strtod(PQgetvalue(res, (int)i, 0), NULL);
    PQclear(res);
    return ST_OK;
}

#define LIMIT_DELAYS " LIMIT 1000000"

static enum st read_delays(struct store_conn *c, const char *const p[3], struct daily_delays *d,
                           struct errbuf *err)
{
    enum st st = read_seconds(
        c,
        "SELECT greatest(0, extract(epoch FROM sent_at - ready_at))::float8 FROM orders "
        "WHERE shop = $1 AND sent_at >= $2::timestamptz AND sent_at < $3::timestamptz "
        "AND ready_at IS NOT NULL" LIMIT_DELAYS,
        p, &d->paid_to_sales_order, &d->n_paid, err);

    if (st != ST_OK)
        return st;
    return read_seconds(
        c,
        "SELECT greatest(0, extract(epoch FROM d.confirmed_at - d.despatched_at))::float8 "
        "FROM despatches d JOIN orders o ON o.id = d.order_id WHERE o.shop = $1 AND "
        "d.state = 'fulfilled' AND d.confirmed_at >= $2::timestamptz AND "
        "d.confirmed_at < $3::timestamptz" LIMIT_DELAYS,
        p, &d->despatch_to_fulfillment, &d->n_despatch, err);
}

static enum st read_teams(struct store_conn *c, const char *const p[3], struct daily_report *r,
                          struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec(
        c,
        "SELECT team, count(*) FILTER (WHERE first_seen >= $2::timestamptz), "
        "count(*) FILTER (WHERE resolved_at >= $2::timestamptz AND "
        "  resolved_at < $3::timestamptz), "
        "count(*) FILTER (WHERE resolved_at IS NULL OR resolved_at >= $3::timestamptz) "
        "FROM exceptions WHERE shop = $1 AND first_seen < $3::timestamptz AND "
        "(resolved_at IS NULL OR resolved_at >= $2::timestamptz) GROUP BY team",
        3, p, &st, err);

    if (res == NULL)
        return st;
    for (int row = 0; row < PQntuples(res); row++)
        for (size_t i = 0; i < DAILY_N_TEAMS; i++)
            if (strcmp(PQgetvalue(res, row, 0), r->teams[i].team) == 0) {
                r->teams[i].opened = col_long(res, row, 1);
                r->teams[i].closed = col_long(res, row, 2);
                r->teams[i].open = col_long(res, row, 3);
            }
    PQclear(res);
    return ST_OK;
}

enum st daily_store_read(struct store_conn *c, const char *shop, const char *from,
                         const char *to, struct daily_report *r, struct daily_delays *d,
                         struct errbuf *err)
{
    const char *const p[3] = {shop, from, to};
    enum st st = read_counts(c, p, r, err);
    PGresult *res;

    if (st == ST_OK)
        st = read_delays(c, p, d, err);
    if (st == ST_OK)
        st = read_teams(c, p, r, err);
    if (st != ST_OK)
        return st;
    res = drift_store_latest_between(c, shop, from, to, &st, err);
    if (res != NULL && PQntuples(res) > 0)
        r->stock_drift = store_row_json(res, 0);
    PQclear(res);
    return st;
}
