/*
 * exceptions.h - the exception queue: problems people must look at.
 *
 * One open row per (shop, type, subject): raising the same problem again
 * bumps its count and last_seen instead of adding rows, so a flapping
 * fault cannot flood the queue. Every exception names the team that owns
 * it and what to do. Functions run inside the caller's transaction.
 */
#ifndef SHOPVOX_EXCEPTIONS_H
#define SHOPVOX_EXCEPTIONS_H

#include <stdbool.h>

#include "common.h"
#include "store.h"

struct exc_new {
    const char *shop;
    const char *type;         /* e.g. "invalid_webhook", "unknown_sku", "unroutable" */
    const char *team;         /* "ops", "ecommerce", "finance", "customer_service" */
    const char *subject_kind; /* "order", "sku", "webhook", "despatch", "job" */
    const char *subject;      /* e.g. the order name or webhook id */
    const char *order_id;     /* orders.id as text, or NULL */
    const char *detail;       /* what happened, with the values involved */
    const char *action;       /* what to do about it */
};

/*
 * Every type the service raises (exc_new.type), for the operator's filter
 * (`shopvox exceptions list --type`); a new type is added here too.
 */
extern const char *const exc_types[];
extern const size_t exc_n_types;
/* Whether type is one of exc_types. */
bool exc_type_known(const char *type);

/* Opens (or bumps) an exception; *id receives its id when non-NULL. */
enum st exc_raise(struct store_conn *c, const struct exc_new *e, long long *id,
                  struct errbuf *err);
/* Resolves the open exception of (shop, type, subject), if any, with a note. */
enum st exc_resolve_subject(struct store_conn *c, const char *shop, const char *type,
                            const char *subject, const char *by, const char *resolution,
                            struct errbuf *err);
/* Resolves exception id (text) of shop if open; *changed (may be NULL) tells whether it was. */
enum st exc_resolve_id(struct store_conn *c, const char *shop, const char *id, const char *by,
                       const char *resolution, bool *changed, struct errbuf *err);
/*
 * Resolves the shop's open exceptions of type whose order is no longer in
 * state, by shopvox, as "order is <its state> now".
 */
enum st exc_resolve_moved_on(struct store_conn *c, const char *shop, const char *type,
                             const char *state, struct errbuf *err);

/*
 * Resolves the shop's open exceptions of type whose subject is one of
 * subjects_json (a JSON array of strings), by shopvox, with resolution:
 * what a sweep examined and found right again.
 */
enum st exc_resolve_subjects(struct store_conn *c, const char *shop, const char *type,
                             const char *subjects_json, const char *resolution,
                             struct errbuf *err);

/*
 * Resolves the shop's open despatch_unconfirmed exceptions (subject: the
 * despatch number) whose despatch is fulfilled now, by shopvox, naming
 * the Shopline fulfillment.
 */
enum st exc_resolve_confirmed_despatches(struct store_conn *c, const char *shop,
                                         struct errbuf *err);

/*
 * Rows (subject) of shop's open exceptions of type first seen within the
 * last max_age_s seconds, oldest first, at most limit: what a poll should
 * look at again. The caller PQclears; NULL with *st set on failure.
 */
PGresult *exc_open_subjects(struct store_conn *c, const char *shop, const char *type,
                            int max_age_s, int limit, enum st *st, struct errbuf *err);

/* Rows (type, count) of the open exceptions; the caller PQclears. NULL with *st set on failure. */
PGresult *exc_count_open(struct store_conn *c, enum st *st, struct errbuf *err);

/*
 * The operator's reports (`shopvox exceptions list|show`, `order show`):
 * rows for the CLI to render (column names are its JSON keys, times ISO
 * 8601 UTC text); the caller PQclears. NULL with *st and err set on
 * failure. exc_report and exc_report_list return the columns id, type,
 * state, team, subject_kind, subject, order_id, order_name, order_state
 * (of the exception's order, NULL when none), detail, action, count,
 * first_seen, last_seen, resolved_at, resolved_by, resolution.
 */

/* Exception id of shop (at most one row). */
PGresult *exc_report(struct store_conn *c, const char *shop, long long id, enum st *st,
                     struct errbuf *err);
/*
 * Up to limit of shop's exceptions in state ("open", "resolved" or "all")
 * of type (NULL: any), most recently seen first.
 */
PGresult *exc_report_list(struct store_conn *c, const char *shop, const char *state,
                          const char *type, int limit, enum st *st, struct errbuf *err);
/*
 * Rows (id, type, team, detail, action, count, first_seen, last_seen) of
 * shop's open exceptions about order order_id (by its id, or an order
 * subject naming order_name), by id.
 */
PGresult *exc_report_for_order(struct store_conn *c, const char *shop, const char *order_id,
                               const char *order_name, enum st *st, struct errbuf *err);

/* The admin API's filter of exceptions (NULL / -1: any). */
struct exc_filter {
    const char *state;        /* "open", "resolved" or "all" */
    const char *team;
    const char *type;
    long long min_age_s;      /* first seen at least this many seconds ago; -1: any */
    const char *order_id;     /* orders.id as text */
};
/*
 * A page of shop's exceptions matching f, newest (highest id) first, with
 * id below before_id (0: from the newest), at most limit: exc_report's
 * columns plus age_s (seconds since first seen).
 */
PGresult *exc_report_page(struct store_conn *c, const char *shop, const struct exc_filter *f,
                          long long before_id, int limit, enum st *st, struct errbuf *err);

#endif
