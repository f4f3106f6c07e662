/*
 * routing.h - which Peoplevox site ships an order (pure).
 *
 * The business rule (DESIGN §1): the order's Shopline location mapping,
 * else a shipping-country rule, else the first site with stock for every
 * line, else the default site; no site -> exception.
 *
 * Decisions:
 *  - Precedence is by kind, in that order, whatever order the rules were
 *    configured in; configuration order only breaks ties within a kind
 *    (so "stock=A,B" tries A before B). A default rule listed first can
 *    therefore never shadow a location mapping.
 *  - "SystemSite" (any case) is internal to Peoplevox. The parser refuses
 *    it; routing_decide ignores a rule (or default) naming it and says so
 *    in the reason, so a hand-built rule table cannot route there either.
 *  - Stock is judged per item, summing lines that share an item code, and
 *    a site qualifies only when it has enough of every item. A site with
 *    no stock data for an item (available() < 0) is skipped, not treated
 *    as empty: "unknown" must not look like "out of stock". Without any
 *    stock lookup the stock rules are skipped.
 *  - The reason is one human line (rule numbers are 1-based), kept for the
 *    order history and the exception detail.
 */
#ifndef SHOPVOX_ROUTING_H
#define SHOPVOX_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define ROUTING_SITE_MAX_BYTES 100
#define ROUTING_MATCH_MAX_BYTES 64
#define ROUTING_MAX_RULES 256
#define ROUTING_REASON_MAX 512
#define ROUTING_NO_RULE SIZE_MAX     /* rule_index when default_site decided */

enum routing_kind {
    ROUTE_LOCATION = 0,  /* match = Shopline location id (exact) */
    ROUTE_COUNTRY,       /* match = ISO-3166 alpha-2 (case-insensitive) */
    ROUTE_STOCK,         /* match unused; site is one candidate */
    ROUTE_DEFAULT        /* match unused */
};

/* One rule; routing_decide borrows the strings. */
struct routing_rule {
    enum routing_kind kind;
    const char *match;
    const char *site;
};

/* "location", "country", "stock", "default". */
const char *routing_kind_name(enum routing_kind k);
/* The kind a name stands for (case-insensitive): true and *out set, or false. */
bool routing_kind_parse(const char *name, enum routing_kind *out);

/* True for Peoplevox's internal site ("SystemSite", any case, spaces ignored). */
bool routing_site_is_system(const char *site);

/* A parsed rule set; owns every string its rules point at. */
struct routing_rules {
    struct routing_rule *rules;
    size_t n;
    char **owned;       /* private: the strings to free */
    size_t n_owned;
};

void routing_rules_init(struct routing_rules *t);
void routing_rules_cleanup(struct routing_rules *t);
/*
 * Appends one rule as given, copying match (may be NULL) and site, with no
 * check at all: for rules read back from storage, which were checked when
 * they were written. Rules from people go through routing_parse_rule.
 */
void routing_rules_add(struct routing_rules *t, enum routing_kind kind, const char *match,
                       const char *site);

/*
 * Parses one rule and appends it to t:
 *   location:<id>=<site>     country:<CC>=<site>
 *   stock=<site>[,<site>...] default=<site>
 * Kinds are case-insensitive, spaces around tokens are ignored, country
 * codes are stored upper case, "stock=A,B" appends one rule per site.
 * Refused, with err set and t unchanged: unknown kind, missing or empty
 * parts, a bad country code, SystemSite, over-long values or control
 * characters, a location/country/stock site given twice, a second default,
 * more than ROUTING_MAX_RULES rules. Returns 0 or -1.
 */
int routing_parse_rule(struct routing_rules *t, const char *spec, struct errbuf *err);

/*
 * Parses a list of rules separated by ';' or newlines (empty items are
 * skipped), e.g. SHOPVOX_ROUTING_RULES. Stops at the first bad rule:
 * returns -1 with err set, t keeping the rules before it.
 */
int routing_parse_rules(struct routing_rules *t, const char *list, struct errbuf *err);

struct routing_line {
    const char *item_code;   /* the resolved Peoplevox item code */
    int64_t quantity;        /* lines with quantity <= 0 are ignored */
};

struct routing_input {
    const char *location_id;    /* Shopline location; NULL when none */
    const char *country_code;   /* shipping country, alpha-2; NULL when none */
    const struct routing_line *lines;
    size_t n_lines;
};

/* available() returns the units of item at site, or -1 when there is no data. */
struct routing_stock {
    int64_t (*available)(void *ctx, const char *item_code, const char *site);
    void *ctx;
};

struct routing_result {
    bool routed;
    const char *site;           /* borrowed from the rule or default_site; NULL if not routed */
    enum routing_kind kind;     /* the kind that decided (ROUTE_DEFAULT for default_site) */
    size_t rule_index;          /* index into rules, ROUTING_NO_RULE for default_site */
    char reason[ROUTING_REASON_MAX]; /* why, then what was skipped; always set */
};

/*
 * Chooses the site for an order. stock may be NULL (stock rules skipped);
 * default_site NULL or "" means no default. Returns out->routed; when
 * false the order is unroutable and out->reason says why.
 */
bool routing_decide(const struct routing_rule *rules, size_t n, const struct routing_input *in,
                    const struct routing_stock *stock, const char *default_site,
                    struct routing_result *out);

#endif
