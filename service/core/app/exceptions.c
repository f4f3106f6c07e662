/*
 * exceptions.c - exception queue writes (see exceptions.h).
 */
#include "exceptions.h"

#include <stdlib.h>

#include "log.h"
#include "metrics.h"

static const char *const exc_upsert_sql =
    "INSERT INTO exceptions (shop, type, team, subject_kind, subject, order_id, detail, action) "
    "VALUES ($1, $2, $3, $4, $5, $6::bigint, $7, $8) "
    "ON CONFLICT (shop, type, subject) WHERE state = 'open' DO UPDATE "
    "SET count = exceptions.count + 1, last_seen = now(), detail = EXCLUDED.detail, "
    "action = EXCLUDED.action, order_id = coalesce(EXCLUDED.order_id, exceptions.order_id) "
    "RETURNING id, count";

enum st exc_raise(struct store_conn *c, const struct exc_new *e, long long *id,
                  struct errbuf *err)
{
    const char *params[8] = {e->shop,     e->type,     e->team,   e->subject_kind,
                             e->subject,  e->order_id, e->detail, e->action};
    enum st st;
    PGresult *res = store_exec_prepared(c, "exc_upsert", exc_upsert_sql, 8, params, NULL, NULL,
                                        &st, err);
    char labels[96];

    if (res == NULL)
        return st;
    if (id != NULL)
        *id = atoll(PQgetvalue(res, 0, 0));
    if (atoi(PQgetvalue(res, 0, 1)) == 1) {
        snprintf(labels, sizeof(labels), "type=\"%s\"", e->type);
        metrics_inc("shopvox_exceptions_raised_total", labels);
        log_msg(LOG_WARN, "event=exception_opened type=%s subject_kind=%s id=%s", e->type,
                e->subject_kind, PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return ST_OK;
}

enum st exc_resolve_subject(struct store_conn *c, const char *shop, const char *type,
                            const char *subject, const char *by, const char *resolution,
                            struct errbuf *err)
{
    const char *params[5] = {shop, type, subject, by, resolution};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "exc_resolve_subject",
        "UPDATE exceptions SET state = 'resolved', resolved_at = now(), resolved_by = $4, "
        "resolution = $5 WHERE shop = $1 AND type = $2 AND subject = $3 AND state = 'open'",
        5, params, NULL, NULL, &st, err);

    PQclear(res);
    return st;
}
