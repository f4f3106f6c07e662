/*
 * audit_store.c - the audit_log table (see audit_store.h). The listing
 * pages by id (keyset), so a page costs the same however deep it is.
 */
#include "audit_store.h"

#include <stdio.h>

enum st audit_record(struct store_conn *c, const struct audit_entry *e, struct errbuf *err)
{
    const char *p[8] = {e->shop,       e->actor,       e->action,     e->subject_kind,
                        e->subject_id, e->before_json, e->after_json, e->note};
    enum st st;
    PGresult *res = store_exec_prepared(
        c, "audit_record",
        "INSERT INTO audit_log (shop, actor, action, subject_kind, subject_id, before, after, "
        "note) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)",
        8, p, NULL, NULL, &st, err);

    PQclear(res);
    return res != NULL ? ST_OK : st;
}

void audit_cli_actor(const char *user, char *out, size_t cap)
{
    snprintf(out, cap, "cli:%s", user != NULL && user[0] != '\0' ? user : "unknown");
}

PGresult *audit_report_list(struct store_conn *c, const char *shop, const char *since,
                            const char *subject_kind, const char *subject_id,
                            long long before_id, int limit, enum st *st, struct errbuf *err)
{
    char before[24], lim[16];
    const char *p[6] = {shop, since, subject_kind, subject_id, before, lim};

    snprintf(before, sizeof(before), "%lld", before_id);
    snprintf(lim, sizeof(lim), "%d", limit);
    return store_exec(c,
                      "SELECT id, " STORE_ISO_UTC("at") " AS at, actor, action, subject_kind, "
                      "subject_id, before, after, note FROM audit_log WHERE shop = $1 "
                      "AND ($2::timestamptz IS NULL OR at >= $2::timestamptz) "
                      "AND ($3::text IS NULL OR subject_kind = $3) "
                      "AND ($4::text IS NULL OR subject_id = $4) "
                      "AND ($5::bigint = 0 OR id < $5::bigint) ORDER BY id DESC LIMIT $6::int",
                      6, p, st, err);
}
