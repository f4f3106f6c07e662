/*
 * pause_store.c - the outbound_pauses table (see pause_store.h).
 *
 * Three one-statement functions; "changed" comes from the rows a statement
 * returned, so two replicas handling the same webhook agree on which of
 * them made the change.
 */
#include "pause_store.h"

/* Runs sql (1 or 2 parameters) and reports whether it returned a row. */
static enum st pause_store_run(struct store_conn *c, const char *name, const char *sql, int n,
                               const char *const *p, bool *row, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(c, name, sql, n, p, NULL, NULL, &st, err);

    *row = res != NULL && PQntuples(res) > 0;
    PQclear(res);
    return st;
}

enum st pause_store_set(struct store_conn *c, const char *shop, const char *reason,
                        bool *changed, struct errbuf *err)
{
    const char *p[2] = {shop, reason};

    return pause_store_run(c, "pause_set",
                           "INSERT INTO outbound_pauses (shop, reason) VALUES ($1, $2) "
                           "ON CONFLICT (shop) DO NOTHING RETURNING shop",
                           2, p, changed, err);
}

enum st pause_store_clear(struct store_conn *c, const char *shop, bool *changed,
                          struct errbuf *err)
{
    const char *p[1] = {shop};

    return pause_store_run(c, "pause_clear",
                           "DELETE FROM outbound_pauses WHERE shop = $1 RETURNING shop", 1, p,
                           changed, err);
}

enum st pause_store_get(struct store_conn *c, const char *shop, bool *paused,
                        struct errbuf *err)
{
    const char *p[1] = {shop};

    return pause_store_run(c, "pause_get", "SELECT 1 FROM outbound_pauses WHERE shop = $1", 1, p,
                           paused, err);
}
