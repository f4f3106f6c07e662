/*
 * catalogue_store.c - the items and sku_map tables (see catalogue_store.h).
 *
 * The sync upserts items in chunks of JSON (json_to_recordset), one
 * statement per chunk instead of one per item; each statement also counts,
 * against the rows as they were before it, which items are new,
 * reactivated or deactivated. "Not synced" means synced_at is not this
 * transaction's now(): the whole sync is one transaction.
 *
 * The operator's statements run unprepared, as the CLI runs one of each.
 * When a sync completed is a cursors row, written and read through
 * cursor_store: this module only names it.
 */
#include "catalogue_store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor_store.h"

#define CATALOGUE_CHUNK_ITEMS 2000
#define CATALOGUE_CURSOR_PREFIX "catalogue_sync:"

/* Runs a prepared statement about one shop; the result or NULL (st, err set). */
static PGresult *cs_shop_q(struct store_conn *c, const char *name, const char *sql,
                           const char *shop, enum st *st, struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec_prepared(c, name, sql, 1, p, NULL, NULL, st, err);
}

enum st catalogue_store_lock(struct store_conn *c, const char *shop, struct errbuf *err)
{
    enum st st;

    PQclear(cs_shop_q(c, "catalogue_lock",
                      "SELECT pg_advisory_xact_lock(hashtext('shopvox.catalogue:' || $1))", shop,
                      &st, err));
    return st;
}

static const char *const upsert_sql =
    "WITH input AS ("
    " SELECT r.c AS code, r.b AS barcode, r.n AS name, r.a AS active"
    " FROM json_to_recordset($2::json) AS r(c text, b text, n text, a boolean)),"
    " old AS (SELECT i.code, i.active FROM items i JOIN input USING (code) WHERE i.shop = $1),"
    " up AS (INSERT INTO items (shop, code, barcode, name, active, synced_at)"
    " SELECT $1, code, barcode, name, active, now() FROM input"
    " ON CONFLICT (shop, code) DO UPDATE SET barcode = EXCLUDED.barcode,"
    " name = EXCLUDED.name, active = EXCLUDED.active, synced_at = EXCLUDED.synced_at"
    " RETURNING code, active)"
    " SELECT count(*) FILTER (WHERE o.code IS NULL),"
    " count(*) FILTER (WHERE up.active AND (o.code IS NULL OR NOT o.active)),"
    " count(*) FILTER (WHERE NOT up.active AND o.active)"
    " FROM up LEFT JOIN old o USING (code)";

/* One chunk of items as a JSON array of {c, b, n, a}; owned. */
static char *chunk_json(const struct catalogue_item *items, size_t n)
{
    struct json_object *arr = json_object_new_array();
    char *text;

    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "c", json_object_new_string(items[i].code));
        json_object_object_add(o, "b", items[i].barcode ? json_object_new_string(items[i].barcode)
                                                        : NULL);
        json_object_object_add(o, "n", items[i].name ? json_object_new_string(items[i].name)
                                                     : NULL);
        json_object_object_add(o, "a", json_object_new_boolean(items[i].active));
        json_object_array_add(arr, o);
    }
    text = xstrdup(json_object_to_json_string_ext(
        arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(arr);
    return text;
}

enum st catalogue_store_upsert(struct store_conn *c, const char *shop,
                               const struct catalogue_item *items, size_t n,
                               struct catalogue_store_changes *add, struct errbuf *err)
{
    enum st st = ST_OK;

    for (size_t off = 0; off < n && st == ST_OK; off += CATALOGUE_CHUNK_ITEMS) {
        size_t len = n - off < CATALOGUE_CHUNK_ITEMS ? n - off : CATALOGUE_CHUNK_ITEMS;
        char *json = chunk_json(items + off, len);
        const char *p[2] = {shop, json};
        PGresult *res = store_exec_prepared(c, "catalogue_upsert", upsert_sql, 2, p, NULL, NULL,
                                            &st, err);

        if (res != NULL) {
            add->created += atol(PQgetvalue(res, 0, 0));
            add->now_active += atol(PQgetvalue(res, 0, 1));
            add->deactivated += atol(PQgetvalue(res, 0, 2));
        }
        PQclear(res);
        free(json);
    }
    return st;
}

enum st catalogue_store_deactivate_unsynced(struct store_conn *c, const char *shop, long *gone,
                                            struct errbuf *err)
{
    enum st st;
    PGresult *res = cs_shop_q(c, "catalogue_deactivate_missing",
                              "WITH gone AS (UPDATE items SET active = false WHERE shop = $1 "
                              "AND active AND synced_at <> now() RETURNING 1) "
                              "SELECT count(*) FROM gone",
                              shop, &st, err);

    *gone = res != NULL ? atol(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return st;
}

enum st catalogue_store_totals(struct store_conn *c, const char *shop, long *active,
                               long *inactive, struct errbuf *err)
{
    enum st st;
    PGresult *res = cs_shop_q(c, "catalogue_totals",
                              "SELECT count(*) FILTER (WHERE active), "
                              "count(*) FILTER (WHERE NOT active) FROM items WHERE shop = $1",
                              shop, &st, err);

    *active = res != NULL ? atol(PQgetvalue(res, 0, 0)) : 0;
    *inactive = res != NULL ? atol(PQgetvalue(res, 0, 1)) : 0;
    PQclear(res);
    return st;
}

enum st catalogue_store_mark_synced(struct store_conn *c, const char *shop, size_t items,
                                    struct errbuf *err)
{
    char *name = xasprintf(CATALOGUE_CURSOR_PREFIX "%s", shop);
    char count[24];
    enum st st;

    snprintf(count, sizeof(count), "%zu", items);
    st = cursor_store_stamp(c, name, count, err);
    free(name);
    return st;
}

enum st catalogue_store_synced(struct store_conn *c, const char *shop, bool *synced,
                               struct errbuf *err)
{
    char *name = xasprintf(CATALOGUE_CURSOR_PREFIX "%s", shop);
    enum st st = cursor_store_exists(c, name, synced, err);

    free(name);
    return st;
}

/* ---- one order's SKU check ---- */

enum st catalogue_store_load_for_order(struct store_conn *c, const char *shop,
                                       const char *order_id, struct catalogue_store_snapshot *out,
                                       struct errbuf *err)
{
    const char *p[2] = {shop, order_id};
    enum st st;

    out->items = NULL;
    out->map = store_exec_prepared(c, "catalogue_order_map",
                                   "SELECT shopline_sku, item_code FROM sku_map WHERE shop = $1 "
                                   "AND shopline_sku IN (SELECT sku FROM order_lines WHERE "
                                   "order_id = $2::bigint)",
                                   2, p, NULL, NULL, &st, err);
    if (st == ST_OK)
        out->items = store_exec_prepared(
            c, "catalogue_order_items",
            "SELECT code, active FROM items WHERE shop = $1 AND code IN ("
            "SELECT sku FROM order_lines WHERE order_id = $2::bigint UNION "
            "SELECT m.item_code FROM sku_map m JOIN order_lines l ON "
            "l.sku = m.shopline_sku WHERE m.shop = $1 AND l.order_id = $2::bigint)",
            2, p, NULL, NULL, &st, err);
    return st;
}

static const char *snapshot_alias(void *ctx, const char *sku)
{
    PGresult *r = ((struct catalogue_store_snapshot *)ctx)->map;

    for (int i = 0; r != NULL && i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), sku) == 0)
            return PQgetvalue(r, i, 1);
    }
    return NULL;
}

static enum sku_item_state snapshot_item_state(void *ctx, const char *code)
{
    PGresult *r = ((struct catalogue_store_snapshot *)ctx)->items;

    for (int i = 0; r != NULL && i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), code) == 0)
            return PQgetvalue(r, i, 1)[0] == 't' ? SKU_ITEM_ACTIVE : SKU_ITEM_INACTIVE;
    }
    return SKU_ITEM_MISSING;
}

struct sku_lookup catalogue_store_lookup(struct catalogue_store_snapshot *s)
{
    return (struct sku_lookup){snapshot_alias, snapshot_item_state, s};
}

void catalogue_store_snapshot_cleanup(struct catalogue_store_snapshot *s)
{
    if (s == NULL)
        return;
    PQclear(s->map);
    PQclear(s->items);
    s->map = NULL;
    s->items = NULL;
}

/* ---- the operator's SKU aliases ---- */

/* Column 0 of row 0 as an owned string; NULL when there is no row or it is NULL. */
static char *first_value(const PGresult *r)
{
    return PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? xstrdup(PQgetvalue(r, 0, 0)) : NULL;
}

enum st catalogue_store_item_state(struct store_conn *c, const char *shop, const char *code,
                                   char *out, size_t cap, struct errbuf *err)
{
    const char *p[2] = {shop, code};
    enum st st;
    PGresult *res = store_exec(c,
                               "SELECT CASE WHEN active THEN 'active' ELSE 'inactive' END "
                               "FROM items WHERE shop = $1 AND code = $2",
                               2, p, &st, err);

    if (res != NULL)
        snprintf(out, cap, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "missing");
    PQclear(res);
    return st;
}

enum st catalogue_store_map_sku(struct store_conn *c, const char *shop, const char *sku,
                                const char *code, const char *by, char **previous,
                                struct errbuf *err)
{
    const char *p[4] = {shop, sku, code, by};
    enum st st;
    PGresult *res = store_exec(
        c,
        "WITH old AS (SELECT item_code FROM sku_map WHERE shop = $1 AND shopline_sku = $2) "
        "INSERT INTO sku_map (shop, shopline_sku, item_code, created_by) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (shop, shopline_sku) DO UPDATE "
        "SET item_code = EXCLUDED.item_code, created_at = now(), created_by = EXCLUDED.created_by "
        "RETURNING (SELECT item_code FROM old)",
        4, p, &st, err);

    *previous = res != NULL ? first_value(res) : NULL;
    PQclear(res);
    return st;
}

PGresult *catalogue_store_list_mappings(struct store_conn *c, const char *shop, enum st *st,
                                        struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec(c,
                      "SELECT m.shopline_sku, m.item_code, CASE WHEN i.code IS NULL THEN "
                      "'missing' WHEN i.active THEN 'active' ELSE 'inactive' END AS item_state, "
                      STORE_ISO_UTC("m.created_at") " AS created_at, m.created_by "
                      "FROM sku_map m LEFT JOIN items i ON i.shop = m.shop AND "
                      "i.code = m.item_code WHERE m.shop = $1 ORDER BY m.shopline_sku",
                      1, p, st, err);
}

enum st catalogue_store_unmap_sku(struct store_conn *c, const char *shop, const char *sku,
                                  char **item_code, struct errbuf *err)
{
    const char *p[2] = {shop, sku};
    enum st st;
    PGresult *res = store_exec(
        c, "DELETE FROM sku_map WHERE shop = $1 AND shopline_sku = $2 RETURNING item_code", 2,
        p, &st, err);

    *item_code = res != NULL ? first_value(res) : NULL;
    PQclear(res);
    return st;
}

PGresult *catalogue_store_page_mappings(struct store_conn *c, const char *shop, const char *q,
                                        long long before_id, int limit, enum st *st,
                                        struct errbuf *err)
{
    char before[24], lim[16];
    const char *p[4] = {shop, q, before, lim};

    snprintf(before, sizeof(before), "%lld", before_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec(c,
                      "SELECT m.id, m.shopline_sku, m.item_code, CASE WHEN i.code IS NULL THEN "
                      "'missing' WHEN i.active THEN 'active' ELSE 'inactive' END AS item_state, "
                      STORE_ISO_UTC("m.created_at") " AS created_at, m.created_by "
                      "FROM sku_map m LEFT JOIN items i ON i.shop = m.shop AND "
                      "i.code = m.item_code WHERE m.shop = $1 AND ($3::bigint = 0 OR "
                      "m.id < $3::bigint) AND ($2::text IS NULL OR strpos(lower(m.shopline_sku), "
                      "lower($2)) > 0 OR strpos(lower(m.item_code), lower($2)) > 0) "
                      "ORDER BY m.id DESC LIMIT $4::int",
                      4, p, st, err);
}
