/*
 * carrier_store.c - the carriers table (see carrier_store.h).
 *
 * Upsert and delete name their row by the lower-case key of the unique
 * index, so "dpd/next day" replaces the row "DPD/Next day" (and takes its
 * spelling). The CLI's statements run unprepared (each runs once); the
 * worker's load is prepared.
 */
#include "carrier_store.h"

#include <stdlib.h>
#include <string.h>

void carrier_store_prev_cleanup(struct carrier_store_prev *p)
{
    free(p->company);
    free(p->url_template);
    memset(p, 0, sizeof(*p));
}

/* Row 0 of res (columns company, url_template) into *prev, or "no row". Takes res. */
static void prev_from(PGresult *res, struct carrier_store_prev *prev)
{
    memset(prev, 0, sizeof(*prev));
    if (res != NULL && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        prev->existed = true;
        prev->company = xstrdup(PQgetvalue(res, 0, 0));
        if (!PQgetisnull(res, 0, 1))
            prev->url_template = xstrdup(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
}

#define CARRIER_KEY "shop = $1 AND lower(carrier) = lower($2) AND lower(service) = lower($3)"

enum st carrier_store_set(struct store_conn *c, const char *shop, const char *carrier,
                          const char *service, const char *company, const char *url_template,
                          const char *by, struct carrier_store_prev *prev, struct errbuf *err)
{
    const char *p[6] = {shop, carrier, service, company, url_template, by};
    enum st st;
    PGresult *res = store_exec(
        c,
        "WITH old AS (SELECT tracking_company, tracking_url_template FROM carriers WHERE "
        CARRIER_KEY ") "
        "INSERT INTO carriers (shop, carrier, service, tracking_company, tracking_url_template, "
        "updated_by) VALUES ($1, $2, $3, $4, nullif($5, ''), $6) "
        "ON CONFLICT (shop, lower(carrier), lower(service)) DO UPDATE SET carrier = "
        "EXCLUDED.carrier, service = EXCLUDED.service, tracking_company = "
        "EXCLUDED.tracking_company, tracking_url_template = EXCLUDED.tracking_url_template, "
        "updated_at = now(), updated_by = EXCLUDED.updated_by "
        "RETURNING (SELECT tracking_company FROM old), (SELECT tracking_url_template FROM old)",
        6, p, &st, err);

    prev_from(res, prev);
    return st;
}

enum st carrier_store_delete(struct store_conn *c, const char *shop, const char *carrier,
                             const char *service, struct carrier_store_prev *prev,
                             struct errbuf *err)
{
    const char *p[3] = {shop, carrier, service};
    enum st st;
    PGresult *res = store_exec(c,
                               "DELETE FROM carriers WHERE " CARRIER_KEY
                               " RETURNING tracking_company, tracking_url_template",
                               3, p, &st, err);

    prev_from(res, prev);
    return st;
}

PGresult *carrier_store_list(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err)
{
    const char *p[1] = {shop};

    return store_exec(c,
                      "SELECT carrier, service, tracking_company, tracking_url_template, "
                      STORE_ISO_UTC("updated_at") " AS updated_at, updated_by FROM carriers "
                      "WHERE shop = $1 ORDER BY lower(carrier), lower(service)",
                      1, p, st, err);
}

void carrier_rules_cleanup(struct carrier_rules *r)
{
    free(r->rules);
    PQclear(r->res);
    memset(r, 0, sizeof(*r));
}

enum st carrier_store_load(struct store_conn *c, const char *shop, const char *carrier,
                           struct carrier_rules *out, struct errbuf *err)
{
    const char *p[2] = {shop, carrier};
    enum st st = ST_OK;

    memset(out, 0, sizeof(*out));
    if (carrier == NULL || carrier[0] == '\0')
        return ST_OK;
    out->res = store_exec_prepared(c, "carrier_load",
                                   "SELECT carrier, service, tracking_company, "
                                   "tracking_url_template FROM carriers WHERE shop = $1 AND "
                                   "lower(carrier) = lower($2)",
                                   2, p, NULL, NULL, &st, err);
    if (out->res == NULL)
        return st;
    out->n = (size_t)PQntuples(out->res);
    out->rules = xcalloc(out->n ? out->n : 1, sizeof(*out->rules));
    for (size_t i = 0; i < out->n; i++) {
        int r = (int)i;

        out->rules[i] = (struct carrier_rule){
            PQgetvalue(out->res, r, 0), PQgetvalue(out->res, r, 1), PQgetvalue(out->res, r, 2),
            PQgetisnull(out->res, r, 3) ? NULL : PQgetvalue(out->res, r, 3)};
    }
    return ST_OK;
}
