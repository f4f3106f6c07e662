/*
 * sweep_store.c - the order_sweeps table (see sweep_store.h).
 */
#include "sweep_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum st sweep_store_create(struct store_conn *c, const char *shop, const char *sweep,
                           const char *requested, const char *since_iso, long long *id,
                           struct errbuf *err)
{
    const char *p[4] = {shop, requested, since_iso, sweep};
    enum st st;
    PGresult *res = store_exec(c,
                               "INSERT INTO order_sweeps (shop, requested, since, sweep) "
                               "VALUES ($1, $2, $3::timestamptz, $4) RETURNING id",
                               4, p, &st, err);

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
                     "pages, listed, recovered, coalesce(error, ''), sweep, missing, "
                     "different, unknown, requeued FROM order_sweeps WHERE id = $1::bigint",
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
        snprintf(out->sweep, sizeof(out->sweep), "%s", PQgetvalue(res, 0, 6));
        out->missing = strtol(PQgetvalue(res, 0, 7), NULL, 10);
        out->different = strtol(PQgetvalue(res, 0, 8), NULL, 10);
        out->unknown = strtol(PQgetvalue(res, 0, 9), NULL, 10);
        out->requeued = strtol(PQgetvalue(res, 0, 10), NULL, 10);
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
    const long counts[] = {r->pages, r->listed, r->recovered, r->missing, r->different,
                           r->unknown, r->requeued};
    char ids[24], text[ARRAY_LEN(counts)][24];
    const char *p[3 + ARRAY_LEN(counts)] = {ids, state, r->error[0] ? r->error : NULL};
    enum st st;

    snprintf(ids, sizeof(ids), "%lld", id);
    for (size_t i = 0; i < ARRAY_LEN(counts); i++) {
        snprintf(text[i], sizeof(text[i]), "%ld", counts[i]);
        p[3 + i] = text[i];
    }
    PQclear(store_exec(c,
                       "UPDATE order_sweeps SET state = $2, error = $3, pages = $4::integer, "
                       "listed = $5::integer, recovered = $6::integer, missing = $7::integer, "
                       "different = $8::integer, unknown = $9::integer, requeued = $10::integer, "
                       "finished_at = CASE WHEN $2 IN ('done', 'failed') THEN now() END "
                       "WHERE id = $1::bigint",
                       (int)ARRAY_LEN(p), p, &st, err));
    return st;
}

PGresult *sweep_store_latest(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec(c,
                      "SELECT DISTINCT ON (sweep) sweep, id, requested, state, "
                      STORE_ISO_UTC("created_at") " AS created_at, "
                      STORE_ISO_UTC("started_at") " AS started_at, "
                      STORE_ISO_UTC("finished_at") " AS finished_at, "
                      STORE_ISO_UTC("window_from") " AS window_from, "
                      "listed, recovered, missing, different, unknown, requeued, error "
                      "FROM order_sweeps WHERE shop = $1 ORDER BY sweep, id DESC",
                      1, p, st, err);
}
