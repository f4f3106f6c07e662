/*
 * audit_store.h - the audit log (audit_log, migration 021): who changed
 * what, when, from what to what.
 *
 * Every change a person makes (an admin API write, an operator command of
 * the CLI) adds one row in the same transaction as the change, so a row
 * exists exactly when the change committed. actor is the API token's name
 * or "cli:<$USER>" (audit_cli_actor). The service's own automatic changes
 * are not audited here: they are in order_events, jobs and exceptions.
 */
#ifndef SHOPVOX_AUDIT_STORE_H
#define SHOPVOX_AUDIT_STORE_H

#include <stddef.h>

#include "common.h"
#include "store.h"

#define AUDIT_NOTE_MAX_BYTES 2000

struct audit_entry {
    const char *shop;
    const char *actor;         /* token name or "cli:<user>" */
    const char *action;        /* "exception.resolve", "job.retry", "sku.map", ... */
    const char *subject_kind;  /* "exception", "job", "sku", "order", ... */
    const char *subject_id;
    const char *before_json;   /* JSON text or NULL */
    const char *after_json;    /* JSON text or NULL */
    const char *note;          /* NULL: none */
};

/* Adds one row (in the caller's transaction, if one is open). */
enum st audit_record(struct store_conn *c, const struct audit_entry *e, struct errbuf *err);

/* "cli:<user>" into out (cap bytes): the CLI's actor. */
void audit_cli_actor(const char *user, char *out, size_t cap);

/*
 * Rows (id, at, actor, action, subject_kind, subject_id, before, after,
 * note; at as ISO 8601 UTC text) of shop's audit log, newest first: those
 * with id below before_id (0: from the newest), at or after since (ISO
 * 8601 text; NULL: any time), of subject_kind/subject_id when given (NULL:
 * any), at most limit. The caller PQclears; NULL with *st and err set.
 */
PGresult *audit_report_list(struct store_conn *c, const char *shop, const char *since,
                            const char *subject_kind, const char *subject_id,
                            long long before_id, int limit, enum st *st, struct errbuf *err);

#endif
