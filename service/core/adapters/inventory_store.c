/*
 * inventory_store.c - the stock table's inventory columns and
 * inventory_hints (see inventory_store.h).
 *
 * A read is upserted in chunks of JSON (json_to_recordset), one statement
 * per chunk, guarded by read_at so a slower, older read never overwrites
 * a newer figure. The full read streams: each page goes into a temporary
 * table of this session as it arrives (nothing of it kept in memory), and
 * only once every page is in does one statement upsert the whole snapshot
 * from there, with the same statement text as a chunk (PUT_SQL). The plan is one statement: a data-modifying CTE stores
 * the new desired values, and the same statement returns the levels to
 * push, judged against the values as they were before it (a CTE's update
 * is invisible to its own statement), so "changed" is exact.
 *
 * The reservation joins the orders Peoplevox has not received yet (ready,
 * on_hold) and those it received after the row was read (sent_at >
 * read_at, found through orders_sent_at). The item code of an order line
 * is the code it was sent as, else its SKU's sku_map code, else the SKU.
 */
#include "inventory_store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVENTORY_CHUNK_ROWS 2000

enum st inventory_store_now(struct store_conn *c, char *out, size_t cap, int64_t *epoch_s,
                            struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(c, "inventory_now",
                                        "SELECT now()::text, extract(epoch FROM now())::bigint",
                                        0, NULL, NULL, NULL, &st, err);

    if (res != NULL) {
        snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
        *epoch_s = atoll(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return st;
}

enum st inventory_store_lock(struct store_conn *c, const char *shop, struct errbuf *err)
{
    const char *p[1] = {shop};
    enum st st;

    PQclear(store_exec_prepared(c, "inventory_lock",
                                "SELECT pg_advisory_xact_lock(hashtext('shopvox.inventory:' || $1))",
                                1, p, NULL, NULL, &st, err));
    return st;
}

/*
 * The upsert of a read, whatever its rows come from (input: item_code,
 * site, available); returns how many rows changed.
 */
#define PUT_SQL(input)                                                                         \
    "WITH input AS (" input "),"                                                              \
    " old AS (SELECT t.item_code, t.site, t.available FROM stock t JOIN input"                \
    " USING (item_code, site) WHERE t.shop = $1),"                                            \
    " up AS (INSERT INTO stock AS t (shop, item_code, site, available, read_at, updated_at)"  \
    " SELECT $1, item_code, site, available, $3::timestamptz, now() FROM input"               \
    " ON CONFLICT (shop, item_code, site) DO UPDATE SET available = EXCLUDED.available,"      \
    " read_at = EXCLUDED.read_at, updated_at = CASE WHEN t.available = EXCLUDED.available"    \
    " THEN t.updated_at ELSE now() END"                                                       \
    " WHERE t.read_at IS NULL OR t.read_at <= EXCLUDED.read_at"                               \
    " RETURNING t.item_code, t.site, t.available)"                                            \
    " SELECT count(*) FROM up LEFT JOIN old USING (item_code, site)"                          \
    " WHERE old.available IS DISTINCT FROM up.available"

#define JSON_ROWS_SQL(param)                                                                   \
    "SELECT r.c AS item_code, r.s AS site, r.a AS available"                                  \
    " FROM json_to_recordset(" param "::json) AS r(c text, s text, a integer)"

static const char *const put_sql = PUT_SQL(JSON_ROWS_SQL("$2"));

/*
 * The full read's pages wait here, on this session only, until the read
 * is complete: a temporary table, so a read that fails (or a connection
 * lost) mid-way leaves nothing behind that could pass for a snapshot.
 * $2 is unused: the statement takes the same parameters as put_sql.
 */
#define STAGE_TABLE "pg_temp.inventory_full_read"

static const char *const put_staged_sql =
    PUT_SQL("SELECT item_code, site, available FROM " STAGE_TABLE " WHERE $2::text = ''");

/* rows[from..from+n) as a JSON array of {c, s, a}; owned. */
static char *chunk_json(const struct inventory_row *rows, size_t n)
{
    struct json_object *arr = json_object_new_array();
    char *text;

    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "c", json_object_new_string(rows[i].item_code));
        json_object_object_add(o, "s", json_object_new_string(rows[i].site));
        json_object_object_add(o, "a", json_object_new_int64(rows[i].available));
        json_object_array_add(arr, o);
    }
    text = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    return text;
}

enum st inventory_store_put(struct store_conn *c, const char *shop,
                            const struct inventory_rows *rows, const char *read_at,
                            long *changed, struct errbuf *err)
{
    enum st st = ST_OK;

    *changed = 0;
    for (size_t at = 0; at < rows->n && st == ST_OK; at += INVENTORY_CHUNK_ROWS) {
        size_t n = rows->n - at < INVENTORY_CHUNK_ROWS ? rows->n - at : INVENTORY_CHUNK_ROWS;
        char *json = chunk_json(rows->rows + at, n);
        const char *p[3] = {shop, json, read_at};
        PGresult *res = store_exec_prepared(c, "inventory_put", put_sql, 3, p, NULL, NULL, &st,
                                            err);

        if (res != NULL)
            *changed += atol(PQgetvalue(res, 0, 0));
        PQclear(res);
        free(json);
    }
    return st;
}

enum st inventory_store_stage_begin(struct store_conn *c, struct errbuf *err)
{
    enum st st = store_cmd(c,
                           "DO $$BEGIN IF to_regclass('" STAGE_TABLE "') IS NULL THEN"
                           " CREATE TEMP TABLE inventory_full_read (item_code text NOT NULL,"
                           " site text NOT NULL, available integer NOT NULL,"
                           " PRIMARY KEY (item_code, site)); END IF; END$$",
                           err);

    if (st == ST_OK)
        st = inventory_store_stage_end(c, err);
    return st;
}

enum st inventory_store_stage(struct store_conn *c, const struct inventory_rows *rows,
                              struct errbuf *err)
{
    enum st st = ST_OK;

    for (size_t at = 0; at < rows->n && st == ST_OK; at += INVENTORY_CHUNK_ROWS) {
        size_t n = rows->n - at < INVENTORY_CHUNK_ROWS ? rows->n - at : INVENTORY_CHUNK_ROWS;
        char *json = chunk_json(rows->rows + at, n);
        const char *p[1] = {json};

        PQclear(store_exec_prepared(c, "inventory_stage",
                                    "INSERT INTO " STAGE_TABLE " AS t " JSON_ROWS_SQL("$1")
                                    " ON CONFLICT (item_code, site) DO UPDATE"
                                    " SET available = EXCLUDED.available",
                                    1, p, NULL, NULL, &st, err));
        free(json);
    }
    return st;
}

enum st inventory_store_put_staged(struct store_conn *c, const char *shop, const char *read_at,
                                   long *changed, struct errbuf *err)
{
    const char *p[3] = {shop, "", read_at};
    enum st st;
    PGresult *res = store_exec_prepared(c, "inventory_put_staged", put_staged_sql, 3, p, NULL,
                                        NULL, &st, err);

    *changed = res != NULL ? atol(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return st;
}

enum st inventory_store_stage_end(struct store_conn *c, struct errbuf *err)
{
    return store_cmd(c, "TRUNCATE " STAGE_TABLE, err);
}

enum st inventory_store_hint(struct store_conn *c, const char *shop, const char *item_code,
                             struct errbuf *err)
{
    const char *p[2] = {shop, item_code};
    enum st st;

    PQclear(store_exec_prepared(c, "inventory_hint",
                                "INSERT INTO inventory_hints (shop, item_code) VALUES ($1, $2) "
                                "ON CONFLICT (shop, item_code) DO UPDATE SET hinted_at = now()",
                                2, p, NULL, NULL, &st, err));
    return st;
}

PGresult *inventory_store_hinted(struct store_conn *c, const char *shop, int limit, enum st *st,
                                 struct errbuf *err)
{
    char lim[16];
    const char *p[2] = {shop, lim};

    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec_prepared(c, "inventory_hinted",
                               "SELECT item_code FROM inventory_hints WHERE shop = $1 "
                               "ORDER BY hinted_at, item_code LIMIT $2::int",
                               2, p, NULL, NULL, st, err);
}

/* codes[0..n) as a JSON array of strings; owned. */
static char *codes_json(const char *const *codes, size_t n)
{
    struct json_object *arr = json_object_new_array();
    char *text;

    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(codes[i]));
    text = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return text;
}

enum st inventory_store_clear_hints(struct store_conn *c, const char *shop,
                                    const char *const *codes, size_t n, const char *read_at,
                                    struct errbuf *err)
{
    char *json = codes_json(codes, n);
    const char *p[3] = {shop, json, read_at};
    enum st st;

    PQclear(store_exec_prepared(c, "inventory_clear_hints",
                                "DELETE FROM inventory_hints WHERE shop = $1 AND item_code IN "
                                "(SELECT json_array_elements_text($2::json)) "
                                "AND hinted_at <= $3::timestamptz",
                                3, p, NULL, NULL, &st, err));
    free(json);
    return st;
}

static const char *const plan_sql =
    "WITH m AS (SELECT key AS site, value AS location_id FROM json_each_text($2::json)),"
    " s AS (SELECT t.item_code, t.site, t.available, t.read_at, t.desired, t.pushed,"
    " t.pushed_location, t.refused, m.location_id FROM stock t JOIN m ON m.site = t.site"
    " WHERE t.shop = $1),"
    " o AS (SELECT id, site, state, sent_at FROM orders WHERE shop = $1 AND $3::boolean AND"
    " (state IN ('ready', 'on_hold') OR (sent_at > (SELECT min(read_at) FROM s)"
    " AND state <> 'cancelled'))),"
    " l AS (SELECT coalesce(ol.item_code, sm.item_code, ol.sku) AS code, o.site, o.state,"
    " o.sent_at, ol.quantity AS qty FROM o JOIN order_lines ol ON ol.order_id = o.id"
    " AND ol.requires_shipping AND ol.quantity > 0"
    " LEFT JOIN sku_map sm ON sm.shop = $1 AND sm.shopline_sku = ol.sku),"
    " r AS (SELECT s.item_code, s.site, sum(l.qty) AS qty FROM s JOIN l ON l.code = s.item_code"
    " AND (l.site IS NULL OR l.site = s.site)"
    " AND (l.state IN ('ready', 'on_hold') OR s.read_at IS NULL OR l.sent_at > s.read_at)"
    " GROUP BY s.item_code, s.site),"
    " w AS (SELECT s.*, greatest(0, s.available - coalesce(r.qty, 0))::int AS v"
    " FROM s LEFT JOIN r USING (item_code, site)),"
    " upd AS (UPDATE stock t SET desired = w.v, desired_at = now() FROM w"
    " WHERE t.shop = $1 AND t.item_code = w.item_code AND t.site = w.site"
    " AND t.desired IS DISTINCT FROM w.v RETURNING t.item_code)"
    " SELECT w.item_code, w.location_id, w.desired IS DISTINCT FROM w.v FROM w"
    " WHERE (w.v IS DISTINCT FROM w.pushed OR w.location_id IS DISTINCT FROM w.pushed_location)"
    " AND w.refused IS DISTINCT FROM w.v"
    " AND (w.desired IS DISTINCT FROM w.v OR NOT EXISTS (SELECT 1 FROM jobs j"
    " WHERE j.kind = '" INVENTORY_JOB_KIND "' AND j.dedupe_key = w.item_code || '|' ||"
    " w.location_id AND j.state IN ('pending', 'running')))"
    " AND (SELECT count(*) FROM variants_of_item($1, w.item_code)) = 1"
    " ORDER BY w.item_code, w.location_id LIMIT $4::int";

PGresult *inventory_store_plan(struct store_conn *c, const char *shop, const char *map_json,
                               bool reserve, int limit, enum st *st, struct errbuf *err)
{
    char lim[16];
    const char *p[4] = {shop, map_json, reserve ? "true" : "false", lim};

    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec_prepared(c, "inventory_plan", plan_sql, 4, p, NULL, NULL, st, err);
}

enum st inventory_store_level(struct store_conn *c, const char *shop, const char *item_code,
                              const char *site, const char *location_id,
                              struct inventory_level *out, struct errbuf *err)
{
    const char *p[4] = {shop, item_code, site, location_id};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "inventory_level",
        "SELECT desired, CASE WHEN pushed_location = $4 THEN pushed END, refused FROM stock "
        "WHERE shop = $1 AND item_code = $2 AND site = $3",
        4, p, NULL, NULL, &st, err);

    memset(out, 0, sizeof(*out));
    if (res != NULL && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        out->found = true;
        out->desired = atol(PQgetvalue(res, 0, 0));
        out->pushed_known = !PQgetisnull(res, 0, 1);
        out->pushed = atol(PQgetvalue(res, 0, 1));
        out->refused_known = !PQgetisnull(res, 0, 2);
        out->refused = atol(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return st;
}

enum st inventory_store_record_push(struct store_conn *c, const char *shop, const char *item_code,
                                    const char *site, const char *location_id, long value,
                                    bool *recorded, struct errbuf *err)
{
    char v[24];
    const char *p[5] = {shop, item_code, site, location_id, v};
    enum st st;
    PGresult *res;

    snprintf(v, sizeof(v), "%ld", value);
    res = store_exec_prepared(c, "inventory_record_push",
                              "UPDATE stock SET pushed = $5::int, pushed_location = $4, "
                              "pushed_at = now(), refused = NULL WHERE shop = $1 "
                              "AND item_code = $2 AND site = $3 AND desired = $5::int",
                              5, p, NULL, NULL, &st, err);
    *recorded = res != NULL && atol(PQcmdTuples(res)) == 1;
    PQclear(res);
    return st;
}

enum st inventory_store_record_refusal(struct store_conn *c, const char *shop,
                                       const char *item_code, const char *site, long value,
                                       struct errbuf *err)
{
    char v[24];
    const char *p[4] = {shop, item_code, site, v};
    enum st st;

    snprintf(v, sizeof(v), "%ld", value);
    PQclear(store_exec_prepared(c, "inventory_record_refusal",
                                "UPDATE stock SET refused = $4::int WHERE shop = $1 "
                                "AND item_code = $2 AND site = $3",
                                4, p, NULL, NULL, &st, err));
    return st;
}

PGresult *inventory_store_unmatched(struct store_conn *c, const char *shop, int sample,
                                    enum st *st, struct errbuf *err)
{
    char n[16];
    const char *p[2] = {shop, n};

    snprintf(n, sizeof(n), "%d", sample);
    return store_exec_prepared(
        c, "inventory_unmatched",
        "WITH u AS (SELECT 'peoplevox' AS side, t.item_code AS code FROM stock t"
        " WHERE t.shop = $1 AND NOT EXISTS (SELECT 1 FROM variant_items v WHERE v.shop = $1"
        " AND v.item_code = t.item_code) GROUP BY t.item_code"
        " UNION ALL SELECT 'shopline', v.sku FROM variant_items v WHERE v.shop = $1"
        " AND coalesce(v.sku, '') <> '' AND NOT EXISTS (SELECT 1 FROM stock t"
        " WHERE t.shop = $1 AND t.item_code = v.item_code) GROUP BY v.sku),"
        " x AS (SELECT side, code, count(*) OVER (PARTITION BY side) AS n,"
        " row_number() OVER (PARTITION BY side ORDER BY code) AS k FROM u)"
        " SELECT side, n, code FROM x WHERE k <= $2::int ORDER BY side, code",
        2, p, NULL, NULL, st, err);
}

enum st inventory_store_counts(struct store_conn *c, const char *shop, long *item_sites,
                               long *pushed_last_hour, struct errbuf *err)
{
    const char *p[1] = {shop};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "inventory_counts",
        "SELECT count(*), count(*) FILTER (WHERE pushed_at > now() - interval '1 hour') "
        "FROM stock WHERE shop = $1",
        1, p, NULL, NULL, &st, err);

    *item_sites = res != NULL ? atol(PQgetvalue(res, 0, 0)) : 0;
    *pushed_last_hour = res != NULL ? atol(PQgetvalue(res, 0, 1)) : 0;
    PQclear(res);
    return st;
}
