/*
 * carrier_store.h - the carriers table (libpq): the operator's mapping of
 * Peoplevox carriers and services to Shopline tracking companies and URL
 * templates (rules in carrier.h).
 *
 * Used by `shopvox carriers set|list|delete` and by create_fulfillment
 * (carrier_store_load, one carrier's rows). Names are keyed without regard
 * to case (migration 008). Functions run in the caller's transaction.
 *
 * Ownership: the store_conn and every string argument are borrowed; what a
 * reader fills is the caller's. Functions return ST_OK, ST_RETRY
 * (connection lost) or ST_FAIL (SQL) with err set when not ST_OK.
 */
#ifndef SHOPVOX_CARRIER_STORE_H
#define SHOPVOX_CARRIER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "carrier.h"
#include "common.h"
#include "store.h"

/* A row before a set replaced it (owned: carrier_store_prev_cleanup). */
struct carrier_store_prev {
    bool existed;
    char *company;            /* NULL when !existed */
    char *url_template;       /* NULL when none */
};
void carrier_store_prev_cleanup(struct carrier_store_prev *p);

/*
 * Inserts or replaces the row of (shop, carrier, service) (service "" =
 * any service; url_template NULL or "" = none), stamped with by; *prev
 * receives the row it replaced. The names must have passed carrier.h's
 * checks.
 */
enum st carrier_store_set(struct store_conn *c, const char *shop, const char *carrier,
                          const char *service, const char *company, const char *url_template,
                          const char *by, struct carrier_store_prev *prev, struct errbuf *err);

/* Deletes the row of (shop, carrier, service); *prev says whether there was one. */
enum st carrier_store_delete(struct store_conn *c, const char *shop, const char *carrier,
                             const char *service, struct carrier_store_prev *prev,
                             struct errbuf *err);

/*
 * The operator's report: rows (carrier, service, tracking_company,
 * tracking_url_template, updated_at ISO 8601 UTC, updated_by) of shop by
 * carrier and service; the caller PQclears. NULL with *st and err set.
 */
PGresult *carrier_store_list(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err);

/* The rows of one carrier, as carrier_resolve takes them (owned: carrier_rules_cleanup). */
struct carrier_rules {
    struct carrier_rule *rules;   /* point into res */
    size_t n;
    PGresult *res;
};
void carrier_rules_cleanup(struct carrier_rules *r);

/* Loads shop's rows of carrier (every service; none when carrier is ""). */
enum st carrier_store_load(struct store_conn *c, const char *shop, const char *carrier,
                           struct carrier_rules *out, struct errbuf *err);

#endif
