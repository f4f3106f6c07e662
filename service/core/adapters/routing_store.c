/*
 * routing_store.c - the routing_rules table and the stock figures routing
 * reads (see routing_store.h).
 *
 * Writers insert through one statement, so the seeded rules and the ones
 * `shopvox routing set` stores cannot drift apart in how they spell a kind
 * or a missing match. The stock snapshot holds only the order's item codes
 * (resolved in the same transaction), never the whole table.
 */
#include "routing_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rules_sql =
    "SELECT position, kind, match, site FROM routing_rules WHERE shop = $1 ORDER BY position";

PGresult *routing_store_read(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec_prepared(c, "routing_rules_read", rules_sql, 1, p, NULL, NULL, st, err);
}

PGresult *routing_store_known_sites(struct store_conn *c, const char *shop,
                                    const char *default_site, enum st *st, struct errbuf *err)
{
    const char *p[2] = {shop, default_site};

    return store_exec(c,
                      "SELECT site FROM stock WHERE shop = $1 UNION "
                      "SELECT site FROM routing_rules WHERE shop = $1 UNION "
                      "SELECT $2 WHERE $2 <> '' ORDER BY 1",
                      2, p, st, err);
}

enum st routing_store_load(struct store_conn *c, const char *shop, struct routing_rules *out,
                           struct errbuf *err)
{
    enum st st;
    PGresult *r = routing_store_read(c, shop, &st, err);

    if (r == NULL)
        return st;
    for (int i = 0; i < PQntuples(r); i++) {
        enum routing_kind kind;

        if (!routing_kind_parse(PQgetvalue(r, i, 1), &kind))
            continue;
        routing_rules_add(out, kind, PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
                          PQgetvalue(r, i, 3));
    }
    PQclear(r);
    return ST_OK;
}

/* Inserts t's rules at positions 1..n (the shop has none at this point). */
static enum st rules_insert(struct store_conn *c, const char *shop, const struct routing_rules *t,
                            struct errbuf *err)
{
    enum st st = ST_OK;

    for (size_t i = 0; i < t->n && st == ST_OK; i++) {
        const struct routing_rule *r = &t->rules[i];
        bool has_match = r->kind == ROUTE_LOCATION || r->kind == ROUTE_COUNTRY;
        char position[24];
        const char *p[5] = {shop, position, routing_kind_name(r->kind),
                            has_match ? r->match : NULL, r->site};

        snprintf(position, sizeof(position), "%zu", i + 1);
        PQclear(store_exec_prepared(c, "routing_rule_insert",
                                    "INSERT INTO routing_rules (shop, position, kind, match, "
                                    "site) VALUES ($1, $2::int, $3, $4, $5)",
                                    5, p, NULL, NULL, &st, err));
    }
    return st;
}

enum st routing_store_replace(struct store_conn *c, const char *shop,
                              const struct routing_rules *t, struct errbuf *err)
{
    const char *p[1] = {shop};
    enum st st;

    PQclear(store_exec_prepared(c, "routing_rules_delete",
                                "DELETE FROM routing_rules WHERE shop = $1", 1, p, NULL, NULL, &st,
                                err));
    if (st == ST_OK)
        st = rules_insert(c, shop, t, err);
    return st;
}

enum st routing_store_seed(struct store_conn *c, const char *shop, const struct routing_rules *t,
                           bool *seeded, struct errbuf *err)
{
    const char *p[1] = {shop};
    PGresult *res = NULL;
    enum st st = store_cmd(c, "BEGIN", err);

    *seeded = false;
    if (st == ST_OK)
        st = store_cmd(c, "LOCK TABLE routing_rules IN SHARE ROW EXCLUSIVE MODE", err);
    if (st == ST_OK)
        res = store_exec_prepared(c, "routing_rules_count",
                                  "SELECT count(*) FROM routing_rules WHERE shop = $1", 1, p,
                                  NULL, NULL, &st, err);
    *seeded = res != NULL && atoi(PQgetvalue(res, 0, 0)) == 0;
    PQclear(res);
    if (st == ST_OK && *seeded)
        st = rules_insert(c, shop, t, err);
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
    if (st != ST_OK) {
        store_rollback(c);
        *seeded = false;
    }
    return st;
}

/* ---- stock ---- */

enum st routing_store_load_stock(struct store_conn *c, const char *shop, const char *order_id,
                                 struct routing_store_stock *out, struct errbuf *err)
{
    const char *p[2] = {shop, order_id};
    enum st st;

    out->rows = store_exec_prepared(c, "routing_stock",
                                    "SELECT item_code, site, available FROM stock WHERE "
                                    "shop = $1 AND item_code IN (SELECT item_code FROM "
                                    "order_lines WHERE order_id = $2::bigint AND item_code IS "
                                    "NOT NULL)",
                                    2, p, NULL, NULL, &st, err);
    return st;
}

static int64_t stock_available(void *ctx, const char *item_code, const char *site)
{
    PGresult *r = ((struct routing_store_stock *)ctx)->rows;
    bool known = false;

    for (int i = 0; r != NULL && i < PQntuples(r); i++) {
        if (strcmp(PQgetvalue(r, i, 0), item_code) != 0)
            continue;
        known = true;
        if (strcmp(PQgetvalue(r, i, 1), site) == 0)
            return atoll(PQgetvalue(r, i, 2));
    }
    return known ? 0 : -1; /* data for other sites only: none here */
}

struct routing_stock routing_store_stock_lookup(struct routing_store_stock *s)
{
    return (struct routing_stock){stock_available, s};
}

void routing_store_stock_cleanup(struct routing_store_stock *s)
{
    if (s == NULL)
        return;
    PQclear(s->rows);
    s->rows = NULL;
}
