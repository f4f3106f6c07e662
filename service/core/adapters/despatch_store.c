/*
 * despatch_store.c - the despatches tables (see despatch_store.h).
 *
 * The despatch number's uniqueness is the database's: the insert skips a
 * number already there, so two polls reading the same row record it once.
 */
#include "despatch_store.h"

#include <stdio.h>

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
