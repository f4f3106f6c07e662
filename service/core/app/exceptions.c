/*
 * exceptions.c - exception queue writes (see exceptions.h).
 *
 * Every write to the exceptions table goes through here (the service's
 * checks, the watchdog, the operator's `shopvox exceptions resolve`), so
 * the one-open-row-per-subject rule and the opened counter live in one
 * place. So do the readers: the metrics page's counts and the CLI's
 * reports (these run unprepared, as the CLI runs each once).
 */
#include "exceptions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

const char *const exc_types[] = {
    "invalid_webhook",     "empty_order",           "order_edited_after_post",
    "unknown_sku",         "unroutable",            "order_number_too_long",
    "order_number_taken",  "peoplevox_rejected",    "sales_order_conflict",
    "cancel_after_despatch", "cancel_rejected",     "stalled_order",
    "job_dead",            "despatch_unmapped",
    "fulfillment_failed",  "despatch_no_tracking",  "despatch_order_cancelled",
    "despatch_unconfirmed", "duplicate_sku",
    "inventory_unmapped",  "inventory_drift",
    "webhook_subscription_restored", "app_uninstalled",
    "sales_order_mismatch", "unknown_sales_order",
    "return_authorisation_needed", "return_unmatched", "refund_due",
    "returns_template_missing", "return_warehouse_rejected", "return_receipt_unmatched",
    "return_changed_after_authorisation",
};
const size_t exc_n_types = ARRAY_LEN(exc_types);

bool exc_type_known(const char *type)
{
    for (size_t i = 0; type != NULL && i < exc_n_types; i++)
        if (strcmp(exc_types[i], type) == 0)
            return true;
    return false;
}

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
        log_event(LOG_WARN, "exception_opened", "type", e->type, "subject_kind", e->subject_kind,
                  "id", PQgetvalue(res, 0, 0), NULL);
    }
    PQclear(res);
    return ST_OK;
}

/* Runs one resolving statement; *changed (may be NULL) true when it returned a row. */
static enum st exc_resolve(struct store_conn *c, const char *name, const char *sql, int n,
                           const char *const *params, bool *changed, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(c, name, sql, n, params, NULL, NULL, &st, err);

    if (changed != NULL)
        *changed = res != NULL && PQntuples(res) > 0;
    PQclear(res);
    return st;
}

#define EXC_RESOLVE "UPDATE exceptions SET state = 'resolved', resolved_at = now(), "

enum st exc_resolve_subject(struct store_conn *c, const char *shop, const char *type,
                            const char *subject, const char *by, const char *resolution,
                            struct errbuf *err)
{
    const char *params[5] = {shop, type, subject, by, resolution};

    return exc_resolve(c, "exc_resolve_subject",
                       EXC_RESOLVE "resolved_by = $4, resolution = $5 "
                       "WHERE shop = $1 AND type = $2 AND subject = $3 AND state = 'open'",
                       5, params, NULL, err);
}

enum st exc_resolve_id(struct store_conn *c, const char *shop, const char *id, const char *by,
                       const char *resolution, bool *changed, struct errbuf *err)
{
    const char *params[4] = {shop, id, by, resolution};

    return exc_resolve(c, "exc_resolve_id",
                       EXC_RESOLVE "resolved_by = $3, resolution = $4 "
                       "WHERE shop = $1 AND id = $2::bigint AND state = 'open' RETURNING id",
                       4, params, changed, err);
}

enum st exc_resolve_moved_on(struct store_conn *c, const char *shop, const char *type,
                             const char *state, struct errbuf *err)
{
    const char *params[3] = {shop, type, state};

    return exc_resolve(c, "exc_resolve_moved_on",
                       "UPDATE exceptions e SET state = 'resolved', resolved_at = now(), "
                       "resolved_by = 'shopvox', resolution = 'order is ' || o.state || ' now' "
                       "FROM orders o WHERE e.shop = $1 AND e.type = $2 AND e.state = 'open' "
                       "AND o.id = e.order_id AND o.state <> $3",
                       3, params, NULL, err);
}

enum st exc_resolve_subjects(struct store_conn *c, const char *shop, const char *type,
                             const char *subjects_json, const char *resolution,
                             struct errbuf *err)
{
    const char *params[4] = {shop, type, subjects_json, resolution};

    return exc_resolve(c, "exc_resolve_subjects",
                       EXC_RESOLVE "resolved_by = 'shopvox', resolution = $4 "
                       "WHERE shop = $1 AND type = $2 AND state = 'open' AND subject IN "
                       "(SELECT json_array_elements_text($3::json))",
                       4, params, NULL, err);
}

enum st exc_resolve_confirmed_despatches(struct store_conn *c, const char *shop,
                                         struct errbuf *err)
{
    const char *params[1] = {shop};

    return exc_resolve(c, "exc_resolve_confirmed_despatches",
                       "UPDATE exceptions e SET state = 'resolved', resolved_at = now(), "
                       "resolved_by = 'shopvox', resolution = 'despatch confirmed in Shopline "
                       "(fulfillment ' || coalesce(d.shopline_fulfillment_id, '?') || ')' "
                       "FROM despatches d WHERE e.shop = $1 AND e.type = 'despatch_unconfirmed' "
                       "AND e.state = 'open' AND d.despatch_number = e.subject AND "
                       "d.state = 'fulfilled'",
                       1, params, NULL, err);
}

PGresult *exc_open_subjects(struct store_conn *c, const char *shop, const char *type,
                            int max_age_s, int limit, enum st *st, struct errbuf *err)
{
    char age[16], max[16];
    const char *p[4] = {shop, type, age, max};

    snprintf(age, sizeof(age), "%d", max_age_s);
    snprintf(max, sizeof(max), "%d", limit);
    return store_exec_prepared(c, "exc_open_subjects",
                               "SELECT subject FROM exceptions WHERE shop = $1 AND type = $2 AND "
                               "state = 'open' AND first_seen > now() - $3::int * interval "
                               "'1 second' ORDER BY first_seen, id LIMIT $4::int",
                               4, p, NULL, NULL, st, err);
}

PGresult *exc_count_open(struct store_conn *c, enum st *st, struct errbuf *err)
{
    return store_exec_prepared(c, "exc_count_open",
                               "SELECT type, count(*) FROM exceptions WHERE state = 'open' "
                               "GROUP BY 1",
                               0, NULL, NULL, NULL, st, err);
}

/* ---- the operator's reports ---- */

#define EXC_REPORT_COLUMNS                                                                       \
    "SELECT e.id, e.type, e.state, e.team, e.subject_kind, e.subject, e.order_id, "              \
    "o.name AS order_name, o.state AS order_state, e.detail, e.action, e.count, "               \
    STORE_ISO_UTC("e.first_seen") " AS first_seen, " STORE_ISO_UTC("e.last_seen")               \
    " AS last_seen, " STORE_ISO_UTC("e.resolved_at") " AS resolved_at, e.resolved_by, "         \
    "e.resolution"
#define EXC_REPORT_FROM " FROM exceptions e LEFT JOIN orders o ON o.id = e.order_id "
#define EXC_REPORT_SELECT EXC_REPORT_COLUMNS EXC_REPORT_FROM

PGresult *exc_report(struct store_conn *c, const char *shop, long long id, enum st *st,
                     struct errbuf *err)
{
    char ids[24];
    const char *p[2] = {shop, ids};

    snprintf(ids, sizeof(ids), "%lld", id);
    return store_exec(c, EXC_REPORT_SELECT "WHERE e.shop = $1 AND e.id = $2::bigint", 2, p, st,
                      err);
}

PGresult *exc_report_list(struct store_conn *c, const char *shop, const char *state,
                          const char *type, int limit, enum st *st, struct errbuf *err)
{
    char limit_text[16];
    const char *p[4] = {shop, state, type, limit_text};

    snprintf(limit_text, sizeof(limit_text), "%d", limit);
    return store_exec(c,
                      EXC_REPORT_SELECT "WHERE e.shop = $1 AND ($2 = 'all' OR e.state = $2) "
                      "AND ($3::text IS NULL OR e.type = $3) "
                      "ORDER BY e.last_seen DESC, e.id DESC LIMIT $4::int",
                      4, p, st, err);
}

PGresult *exc_report_for_order(struct store_conn *c, const char *shop, const char *order_id,
                               const char *order_name, enum st *st, struct errbuf *err)
{
    const char *p[3] = {order_id, shop, order_name};

    return store_exec(c,
                      "SELECT id, type, team, detail, action, count, "
                      STORE_ISO_UTC("first_seen") " AS first_seen, " STORE_ISO_UTC("last_seen")
                      " AS last_seen FROM exceptions WHERE shop = $2 AND state = 'open' "
                      "AND (order_id = $1::bigint OR (subject_kind = 'order' AND subject = $3)) "
                      "ORDER BY id",
                      3, p, st, err);
}

PGresult *exc_report_page(struct store_conn *c, const char *shop, const struct exc_filter *f,
                          long long before_id, int limit, enum st *st, struct errbuf *err)
{
    char age[24], before[24], lim[16];
    const char *p[8] = {shop,   f->state, f->team, f->type, f->min_age_s >= 0 ? age : NULL,
                        before, lim,      f->order_id};

    snprintf(age, sizeof(age), "%lld", f->min_age_s);
    snprintf(before, sizeof(before), "%lld", before_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec(c,
                      EXC_REPORT_COLUMNS ", floor(extract(epoch FROM now() - e.first_seen))"
                      "::bigint AS age_s" EXC_REPORT_FROM
                      "WHERE e.shop = $1 AND ($2 = 'all' OR e.state = $2) "
                      "AND ($3::text IS NULL OR e.team = $3) AND ($4::text IS NULL OR e.type = $4) "
                      "AND ($5::bigint IS NULL OR e.first_seen <= now() - $5::bigint * "
                      "interval '1 second') AND ($6::bigint = 0 OR e.id < $6::bigint) "
                      "AND ($8::bigint IS NULL OR e.order_id = $8::bigint) "
                      "ORDER BY e.id DESC LIMIT $7::int",
                      8, p, st, err);
}
