/*
 * carrier.h - Peoplevox carrier/service -> Shopline tracking company and
 * tracking URL (pure: no libpq, no libcurl).
 *
 * The `Despatch summary` names a carrier ("DPD") and a service ("Next
 * day"); a Shopline fulfillment wants a tracking_company the store shows
 * and a tracking_url the customer clicks. The mapping is a table the
 * operator edits (`shopvox carriers set|list|delete`, table carriers);
 * this module holds its rules, so they are unit-tested without a database.
 *
 * Decisions:
 *  - Resolution never fails and never opens an exception: the exact
 *    carrier + service first, then the carrier with any service (service
 *    ""), else the raw Peoplevox carrier name as the company and no URL. A
 *    new carrier in the warehouse still reaches the customer, only without
 *    a link, until someone maps it.
 *  - Names match without regard to ASCII case ("dpd" maps "DPD"): an
 *    operator typing a name should not have to guess its capitals. Leading
 *    or trailing blanks are refused when set, never trimmed silently.
 *  - A template is http:// or https:// (the link is shown to the customer,
 *    shopvox never calls it; some carriers' tracking pages are still
 *    plain http), names a host, contains {tracking} at least once (never in
 *    the host, so a tracking number cannot choose where the link goes) and
 *    no other placeholder (a typo like {tracking_number} is refused, not
 *    sent as text), no blank and no control character. The tracking number
 *    is percent-encoded where it goes (RFC 3986 unreserved bytes kept).
 */
#ifndef SHOPVOX_CARRIER_H
#define SHOPVOX_CARRIER_H

#include <stddef.h>

#include "common.h"

#define CARRIER_NAME_MAX_BYTES 100      /* a carrier, a service or a company */
#define CARRIER_TEMPLATE_MAX_BYTES 1000
#define CARRIER_PLACEHOLDER "{tracking}"

/* One mapping row (strings borrowed). */
struct carrier_rule {
    const char *carrier;        /* the Peoplevox carrier */
    const char *service;        /* the Peoplevox service; "" = any service of the carrier */
    const char *company;        /* Shopline tracking_company */
    const char *url_template;   /* NULL or "": no tracking URL */
};

/* What a fulfillment carries (owned: carrier_tracking_cleanup). */
struct carrier_tracking {
    char *company;              /* NULL when the despatch names no carrier */
    char *url;                  /* NULL when no template applies or there is no tracking */
};
void carrier_tracking_cleanup(struct carrier_tracking *t);

/*
 * Resolves a despatch's carrier and service (either may be "" or NULL)
 * against rules[0..n-1] and fills *out; tracking (may be "" or NULL) goes
 * into the URL. Returns the index of the rule used, or -1 for the
 * fallback (the raw carrier name, no URL).
 */
long carrier_resolve(const struct carrier_rule *rules, size_t n, const char *carrier,
                     const char *service, const char *tracking, struct carrier_tracking *out);

/* The template with every {tracking} replaced by tracking, percent-encoded (owned). */
char *carrier_tracking_url(const char *url_template, const char *tracking);

/* Checks a carrier, service or company name (what: "carrier", ... for the message). */
enum st carrier_check_name(const char *what, const char *name, bool may_be_empty,
                           struct errbuf *err);
/* Checks a tracking URL template (see the decisions above); err says which rule it breaks. */
enum st carrier_check_template(const char *url_template, struct errbuf *err);
/*
 * Splits "CARRIER[/SERVICE]" at its first '/' into carrier and service
 * (each cap bytes; service "" when there is none) and checks both.
 */
enum st carrier_parse_key(const char *key, char *carrier, char *service, size_t cap,
                          struct errbuf *err);

#endif
