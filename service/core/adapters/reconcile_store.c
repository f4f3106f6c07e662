/*
 * reconcile_store.c - the sweeps' reads (see reconcile_store.h).
 */
#include "reconcile_store.h"

#include <stdio.h>
#include <stdlib.h>

/* Orders that reached Peoplevox: sent, or moved on through despatch. */
#define RECONCILE_SENT_STATES "('sent', 'partially_despatched', 'despatched', 'fulfilled')"

PGresult *reconcile_store_sent(struct store_conn *c, const char *shop, const char *from_iso,
                               enum st *st, struct errbuf *err)
{
    const char *p[2] = {shop, from_iso};

    return store_exec(c,
                      "SELECT o.sales_order_number, o.id, l.item_code, l.quantity, o.name "
                      "FROM orders o LEFT JOIN LATERAL ("
                      "  SELECT item_code, sum(quantity) AS quantity FROM order_lines "
                      "  WHERE order_id = o.id AND item_code IS NOT NULL AND line_no > 0 "
                      "  GROUP BY item_code) l ON true "
                      "WHERE o.shop = $1 AND o.state IN " RECONCILE_SENT_STATES " "
                      "AND o.sent_at >= $2::timestamptz AND o.sales_order_number IS NOT NULL "
                      "ORDER BY o.sales_order_number COLLATE \"C\", l.item_code COLLATE \"C\"",
                      2, p, st, err);
}

PGresult *reconcile_store_unknown_numbers(struct store_conn *c, const char *shop,
                                          const char *numbers_json, enum st *st,
                                          struct errbuf *err)
{
    const char *p[2] = {shop, numbers_json};

    return store_exec(c,
                      "SELECT n FROM json_array_elements_text($2::json) AS x(n) "
                      "WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.shop = $1 "
                      "AND o.sales_order_number = x.n) ORDER BY n COLLATE \"C\"",
                      2, p, st, err);
}

PGresult *reconcile_store_unqueued_despatches(struct store_conn *c, const char *shop,
                                              const char *from_iso, int limit, enum st *st,
                                              struct errbuf *err)
{
    char max[16];
    const char *p[3] = {shop, from_iso, max};

    snprintf(max, sizeof(max), "%d", limit);
    return store_exec(c,
                      "SELECT d.despatch_number, o.name FROM despatches d "
                      "JOIN orders o ON o.id = d.order_id "
                      "WHERE o.shop = $1 AND d.despatched_at >= $2::timestamptz "
                      "AND d.state = 'pending' AND NOT EXISTS (SELECT 1 FROM jobs j "
                      "WHERE j.kind = 'create_fulfillment' AND j.dedupe_key = d.despatch_number "
                      "AND j.state IN ('pending', 'running')) "
                      "ORDER BY d.despatched_at, d.id LIMIT $3::int",
                      3, p, st, err);
}

enum st reconcile_store_count_despatches(struct store_conn *c, const char *shop,
                                         const char *from_iso, long *n, struct errbuf *err)
{
    const char *p[2] = {shop, from_iso};
    enum st st;
    PGresult *res = store_exec(c,
                               "SELECT count(*) FROM despatches d JOIN orders o ON "
                               "o.id = d.order_id WHERE o.shop = $1 AND "
                               "d.despatched_at >= $2::timestamptz",
                               2, p, &st, err);

    *n = res != NULL ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return st;
}
