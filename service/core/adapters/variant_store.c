/*
 * variant_store.c - the variants table (see variant_store.h).
 *
 * A replace is one statement per chunk of variants (json_to_recordset),
 * each counting what it created or changed, then one DELETE of the rows
 * whose ids the read did not return (the ids travel as one JSON array:
 * 50,000 ids are ~1.5 MB, one parameter). Rows are only updated when a
 * value differs, so updated_at says when Shopline last changed a variant.
 */
#include "variant_store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VARIANT_CHUNK_ROWS 2000

enum st variant_store_inventory_item(struct store_conn *c, const char *shop,
                                     const char *item_code, char *out, size_t cap, bool *found,
                                     struct errbuf *err)
{
    const char *p[2] = {shop, item_code};
    enum st st;
    PGresult *res = store_exec_prepared(c, "variant_inventory_item",
                                        "SELECT inventory_item_id FROM variants_of_item($1, $2)"
                                        " LIMIT 2",
                                        2, p, NULL, NULL, &st, err);

    *found = false;
    if (cap > 0)
        out[0] = '\0';
    if (res == NULL)
        return st;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        if (strlen(PQgetvalue(res, 0, 0)) >= cap) {
            errbuf_set(err, "inventory item id of item %.60s is longer than %zu bytes",
                       item_code, cap);
            st = ST_FAIL;
        } else {
            strcpy(out, PQgetvalue(res, 0, 0));
            *found = true;
        }
    }
    PQclear(res);
    return st;
}

enum st variant_store_lock(struct store_conn *c, const char *shop, struct errbuf *err)
{
    const char *p[1] = {shop};
    enum st st;

    PQclear(store_exec_prepared(c, "variant_lock",
                                "SELECT pg_advisory_xact_lock(hashtext('shopvox.variants:' || $1))",
                                1, p, NULL, NULL, &st, err));
    return st;
}

static const char *const upsert_sql =
    "WITH input AS ("
    " SELECT DISTINCT ON (r.v) r.v AS variant_id, r.p AS product_id, r.s AS sku,"
    " r.i AS inventory_item_id"
    " FROM ROWS FROM (json_to_recordset($2::json) AS (v text, p text, s text, i text))"
    " WITH ORDINALITY AS r(v, p, s, i, o)"
    " ORDER BY r.v, r.o DESC),"
    " old AS (SELECT x.variant_id FROM variants x JOIN input USING (variant_id)"
    " WHERE x.shop = $1),"
    " up AS (INSERT INTO variants AS t (shop, variant_id, product_id, sku, inventory_item_id)"
    " SELECT $1, variant_id, product_id, sku, inventory_item_id FROM input"
    " ON CONFLICT (shop, variant_id) DO UPDATE SET product_id = EXCLUDED.product_id,"
    " sku = EXCLUDED.sku, inventory_item_id = EXCLUDED.inventory_item_id, updated_at = now()"
    " WHERE (t.product_id, t.sku, t.inventory_item_id) IS DISTINCT FROM"
    " (EXCLUDED.product_id, EXCLUDED.sku, EXCLUDED.inventory_item_id)"
    " RETURNING variant_id)"
    " SELECT count(*) FILTER (WHERE o.variant_id IS NULL),"
    " count(*) FILTER (WHERE o.variant_id IS NOT NULL)"
    " FROM up LEFT JOIN old o USING (variant_id)";

static void vs_add_text(struct json_object *o, const char *key, const char *s)
{
    json_object_object_add(o, key, s != NULL ? json_object_new_string(s) : NULL);
}

/* arr as compact JSON text (owned); arr is released. */
static char *vs_json_text(struct json_object *arr)
{
    char *text = xstrdup(json_object_to_json_string_ext(
        arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

    json_object_put(arr);
    return text;
}

/* The variants with a SKU of v[from..to) as a JSON array of {v, p, s, i}; owned. */
static char *vs_chunk_json(const struct shopline_variant *v, size_t from, size_t to)
{
    struct json_object *arr = json_object_new_array();
    size_t i;

    for (i = from; i < to; i++) {
        struct json_object *o;

        if (v[i].sku == NULL)
            continue;
        o = json_object_new_object();
        vs_add_text(o, "v", v[i].id);
        vs_add_text(o, "p", v[i].product_id);
        vs_add_text(o, "s", v[i].sku);
        vs_add_text(o, "i", v[i].inventory_item_id);
        json_object_array_add(arr, o);
    }
    return vs_json_text(arr);
}

/* The ids of the variants with a SKU, as a JSON array; owned. */
static char *vs_ids_json(const struct shopline_variant *v, size_t n)
{
    struct json_object *arr = json_object_new_array();
    size_t i;

    for (i = 0; i < n; i++)
        if (v[i].sku != NULL)
            json_object_array_add(arr, json_object_new_string(v[i].id));
    return vs_json_text(arr);
}

/* Runs prepared statement name with ($1 shop, $2 json) and adds its counts to add[0..n). */
static enum st vs_exec_counting(struct store_conn *c, const char *name, const char *sql,
                                const char *shop, char *json, long *const *add, int n,
                                struct errbuf *err)
{
    const char *p[2] = {shop, json};
    enum st st;
    PGresult *res = store_exec_prepared(c, name, sql, 2, p, NULL, NULL, &st, err);

    for (int i = 0; res != NULL && i < n; i++)
        *add[i] += atol(PQgetvalue(res, 0, i));
    PQclear(res);
    free(json);
    return st;
}

enum st variant_store_replace(struct store_conn *c, const char *shop,
                              const struct shopline_variant *v, size_t n,
                              struct variant_store_changes *out, struct errbuf *err)
{
    long *const upserted[2] = {&out->created, &out->changed};
    long *const removed[1] = {&out->removed};
    enum st st = ST_OK;
    size_t off, i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < n; i++)
        out->no_sku += v[i].sku == NULL;
    for (off = 0; off < n && st == ST_OK; off += VARIANT_CHUNK_ROWS) {
        size_t end = n - off < VARIANT_CHUNK_ROWS ? n : off + VARIANT_CHUNK_ROWS;

        st = vs_exec_counting(c, "variant_upsert", upsert_sql, shop, vs_chunk_json(v, off, end),
                              upserted, 2, err);
    }
    if (st == ST_OK)
        st = vs_exec_counting(c, "variant_delete_missing",
                              "WITH gone AS (DELETE FROM variants WHERE shop = $1"
                              " AND variant_id NOT IN (SELECT json_array_elements_text($2::json))"
                              " RETURNING 1) SELECT count(*) FROM gone",
                              shop, vs_ids_json(v, n), removed, 1, err);
    return st;
}

PGresult *variant_store_duplicates(struct store_conn *c, const char *shop, enum st *st,
                                   struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec_prepared(c, "variant_duplicates",
                               "SELECT sku, string_agg(variant_id, ', ' ORDER BY variant_id),"
                               " count(*) FROM variants WHERE shop = $1"
                               " GROUP BY sku HAVING count(*) > 1 ORDER BY sku COLLATE \"C\"",
                               1, p, NULL, NULL, st, err);
}

enum st variant_store_counts(struct store_conn *c, long *variants, long *duplicate_skus,
                             struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "variant_counts",
        "SELECT (SELECT count(*) FROM variants),"
        " (SELECT count(*) FROM (SELECT 1 FROM variants GROUP BY shop, sku"
        " HAVING count(*) > 1) d)",
        0, NULL, NULL, NULL, &st, err);

    *variants = res != NULL ? atol(PQgetvalue(res, 0, 0)) : 0;
    *duplicate_skus = res != NULL ? atol(PQgetvalue(res, 0, 1)) : 0;
    PQclear(res);
    return st;
}
