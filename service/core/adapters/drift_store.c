/*
 * drift_store.c - the reconciliation's statements (see drift_store.h).
 *
 * The levels come from one join (stock x the location map x variants with
 * exactly one variant per item code, through the SKU aliases: the view
 * variant_items), ordered by inventory item so the caller
 * can batch 50 items a call in one pass. Corrections go in as one JSON
 * array and one UPDATE, compare-and-set on the push the levels showed.
 */
#include "drift_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const levels_sql =
    "WITH m AS (SELECT key AS site, value AS location_id FROM json_each_text($2::json)),"
    " v AS (SELECT item_code, min(inventory_item_id) AS inventory_item_id FROM variant_items"
    " WHERE shop = $1 GROUP BY item_code HAVING count(*) = 1 AND count(inventory_item_id) = 1)"
    " SELECT t.item_code, t.site, m.location_id, v.inventory_item_id, t.desired,"
    " CASE WHEN t.pushed_location = m.location_id THEN t.pushed END, t.pushed_at::text"
    " FROM stock t JOIN m ON m.site = t.site JOIN v ON v.item_code = t.item_code"
    " WHERE t.shop = $1 AND t.desired IS NOT NULL"
    " ORDER BY v.inventory_item_id, m.location_id";

PGresult *drift_store_levels(struct store_conn *c, const char *shop, const char *map_json,
                             enum st *st, struct errbuf *err)
{
    const char *p[2] = {shop, map_json};

    return store_exec_prepared(c, "drift_levels", levels_sql, 2, p, NULL, NULL, st, err);
}

enum st drift_store_correct(struct store_conn *c, const char *shop, const char *levels_json,
                            long *corrected, struct errbuf *err)
{
    const char *p[2] = {shop, levels_json};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "drift_correct",
        "WITH d AS (SELECT * FROM json_to_recordset($2::json) AS r(c text, s text, l text,"
        " at text, v integer))"
        " UPDATE stock t SET pushed = d.v, pushed_location = d.l, refused = NULL FROM d"
        " WHERE t.shop = $1 AND t.item_code = d.c AND t.site = d.s"
        " AND t.pushed_location = d.l AND t.pushed_at IS NOT DISTINCT FROM d.at::timestamptz",
        2, p, NULL, NULL, &st, err);

    *corrected = res != NULL ? atol(PQcmdTuples(res)) : 0;
    PQclear(res);
    return st;
}

enum st drift_store_save(struct store_conn *c, const char *shop,
                         const struct drift_report_row *r, long long *id, struct errbuf *err)
{
    char num[11][32];
    const char *p[17];
    enum st st;
    PGresult *res;
    const struct drift_summary *s = r->sum;

    snprintf(num[0], sizeof(num[0]), "%ld", s->checked);
    snprintf(num[1], sizeof(num[1]), "%ld", s->drifted);
    snprintf(num[2], sizeof(num[2]), "%ld", r->corrected);
    snprintf(num[3], sizeof(num[3]), "%ld", s->pending);
    snprintf(num[4], sizeof(num[4]), "%ld", s->unread);
    snprintf(num[5], sizeof(num[5]), "%ld", s->variance_units);
    snprintf(num[6], sizeof(num[6]), "%ld", s->expected_units);
    snprintf(num[7], sizeof(num[7]), "%.4f", drift_drifted_pct(s));
    snprintf(num[8], sizeof(num[8]), "%.4f", drift_variance_pct(s));
    snprintf(num[9], sizeof(num[9]), "%s", r->over_threshold ? "true" : "false");
    snprintf(num[10], sizeof(num[10]), "%ld", r->calls);
    p[0] = shop;
    p[1] = r->started_at;
    for (int i = 0; i < 11; i++)
        p[2 + i] = num[i];
    p[13] = r->top_json;
    p[14] = r->peoplevox_only_json;
    p[15] = r->shopline_only_json;
    res = store_exec_prepared(
        c, "drift_save",
        "INSERT INTO inventory_drift_reports (shop, started_at, checked, drifted, corrected,"
        " pending, unread, variance_units, expected_units, drifted_pct, variance_pct,"
        " over_threshold, calls, top_items, peoplevox_only, shopline_only)"
        " VALUES ($1, $2::timestamptz, $3::int, $4::int, $5::int, $6::int, $7::int, $8::bigint,"
        " $9::bigint, $10::numeric, $11::numeric, $12::boolean, $13::int, $14::jsonb,"
        " $15::jsonb, $16::jsonb) RETURNING id",
        16, p, NULL, NULL, &st, err);
    if (id != NULL)
        *id = res != NULL ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return st;
}

/* The columns of a report as drift_store_latest answers them. */
#define DRIFT_REPORT_COLS                                                                      \
    "SELECT id, " STORE_ISO_UTC("started_at") " AS started_at, "                               \
    STORE_ISO_UTC("finished_at") " AS finished_at,"                                            \
    " extract(epoch FROM finished_at)::bigint AS finished_s, checked, drifted, corrected,"     \
    " pending, unread, variance_units, expected_units,"                                        \
    " round(drifted_pct, 2)::text AS drifted_pct, round(variance_pct, 2)::text AS"             \
    " variance_pct, over_threshold, calls, top_items, peoplevox_only, shopline_only"           \
    " FROM inventory_drift_reports "

PGresult *drift_store_latest(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec_prepared(c, "drift_latest",
                               DRIFT_REPORT_COLS "WHERE shop = $1 ORDER BY id DESC LIMIT 1", 1, p,
                               NULL, NULL, st, err);
}

PGresult *drift_store_latest_between(struct store_conn *c, const char *shop, const char *from,
                                     const char *to, enum st *st, struct errbuf *err)
{
    const char *p[3] = {shop, from, to};

    return store_exec(c,
                      DRIFT_REPORT_COLS "WHERE shop = $1 AND finished_at >= $2::timestamptz AND "
                      "finished_at < $3::timestamptz ORDER BY finished_at DESC, id DESC LIMIT 1",
                      3, p, st, err);
}

enum st drift_store_latest_id(struct store_conn *c, const char *shop, long long *id,
                              struct errbuf *err)
{
    const char *p[1] = {shop};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "drift_latest_id",
        "SELECT coalesce(max(id), 0) FROM inventory_drift_reports WHERE shop = $1", 1, p, NULL,
        NULL, &st, err);

    *id = res != NULL ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return st;
}

enum st drift_store_job_state(struct store_conn *c, long long job_id, char *state,
                              size_t state_cap, char *last_error, size_t error_cap,
                              struct errbuf *err)
{
    char ids[24];
    const char *p[1] = {ids};
    enum st st;
    PGresult *res;

    snprintf(ids, sizeof(ids), "%lld", job_id);
    res = store_exec_prepared(c, "drift_job_state",
                              "SELECT state, coalesce(last_error, '') FROM jobs "
                              "WHERE id = $1::bigint",
                              1, p, NULL, NULL, &st, err);
    snprintf(state, state_cap, "%s", res != NULL && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0)
                                                                         : "");
    snprintf(last_error, error_cap, "%s",
             res != NULL && PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : "");
    PQclear(res);
    return st;
}

enum st drift_store_purge(struct store_conn *c, const char *shop, int days, int limit,
                          long *deleted, struct errbuf *err)
{
    return store_delete_batch(c, "drift_purge",
                              "DELETE FROM inventory_drift_reports WHERE id IN (SELECT id FROM"
                              " inventory_drift_reports WHERE shop = $1 AND finished_at < now()"
                              " - ($2::int * interval '1 day') AND id < (SELECT max(id) FROM"
                              " inventory_drift_reports WHERE shop = $1) ORDER BY id"
                              " LIMIT $3::int)",
                              shop, days, limit, deleted, err);
}
