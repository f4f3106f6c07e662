/*
 * sweep_store.c - the order_sweeps table (see sweep_store.h).
 */
#include "sweep_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum st sweep_store_create(struct store_conn *c, const char *shop, const char *requested,
                           const char *since_iso, long long *id, struct errbuf *err)
{
    const char *p[3] = {shop, requested, since_iso};
    enum st st;
    PGresult *res = store_exec(c,
                               "INSERT INTO order_sweeps (shop, requested, since) "
                               "VALUES ($1, $2, $3::timestamptz) RETURNING id",
                               3, p, &st, err);

    if (res != NULL)
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return st;
}

enum st sweep_store_get(struct store_conn *c, long long id, struct sweep_run *out,
                        struct errbuf *err)
{
    char ids[24];
    const char *p[1] = {ids};
    enum st st;
    PGresult *res;

    snprintf(ids, sizeof(ids), "%lld", id);
    memset(out, 0, sizeof(*out));
    res = store_exec(c,
                     "SELECT state, coalesce((extract(epoch FROM since) * 1000)::bigint, -1), "
                     "pages, listed, recovered, coalesce(error, '') FROM order_sweeps "
                     "WHERE id = $1::bigint",
                     1, p, &st, err);
    if (res != NULL && PQntuples(res) == 0) {
        errbuf_set(err, "no order sweep %lld", id);
        st = ST_FAIL;
    } else if (res != NULL) {
        snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(res, 0, 0));
        out->since_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        out->pages = strtol(PQgetvalue(res, 0, 2), NULL, 10);
        out->listed = strtol(PQgetvalue(res, 0, 3), NULL, 10);
        out->recovered = strtol(PQgetvalue(res, 0, 4), NULL, 10);
        snprintf(out->error, sizeof(out->error), "%s", PQgetvalue(res, 0, 5));
    }
    PQclear(res);
    return st;
}

enum st sweep_store_start(struct store_conn *c, long long id, const char *window_from_iso,
                          struct errbuf *err)
{
    char ids[24];
    const char *p[2] = {ids, window_from_iso};
    enum st st;

    snprintf(ids, sizeof(ids), "%lld", id);
    PQclear(store_exec(c,
                       "UPDATE order_sweeps SET state = 'running', window_from = $2::timestamptz, "
                       "started_at = now(), error = NULL WHERE id = $1::bigint",
                       2, p, &st, err));
    return st;
}

enum st sweep_store_finish(struct store_conn *c, long long id, const char *state,
                           const struct sweep_run *r, struct errbuf *err)
{
    char ids[24], pages[24], listed[24], recovered[24];
    const char *p[6] = {ids, state, pages, listed, recovered, r->error[0] ? r->error : NULL};
    enum st st;

    snprintf(ids, sizeof(ids), "%lld", id);
    snprintf(pages, sizeof(pages), "%ld", r->pages);
    snprintf(listed, sizeof(listed), "%ld", r->listed);
    snprintf(recovered, sizeof(recovered), "%ld", r->recovered);
    PQclear(store_exec(c,
                       "UPDATE order_sweeps SET state = $2, pages = $3::integer, "
                       "listed = $4::integer, recovered = $5::integer, error = $6, "
                       "finished_at = CASE WHEN $2 IN ('done', 'failed') THEN now() END "
                       "WHERE id = $1::bigint",
                       6, p, &st, err));
    return st;
}
