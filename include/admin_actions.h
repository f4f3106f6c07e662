/*
 * admin_actions.h - the settings a person edits: SKU mappings, routing
 * rules and carrier mappings. One implementation for the operator CLI
 * (shopvox sku|routing|carriers) and the admin API (/api/v1/sku-mappings,
 * /routing-rules, /carriers), so both validate alike and both audit alike.
 *
 * Each action checks its arguments completely before touching the
 * database, then runs in the CALLER's transaction (which should be open):
 * the change and its audit row (audit_store.h) commit together. Each
 * answers a JSON object (owned by the caller) that the CLI prints with
 * --json and the API replies; the field names are the README's.
 *
 * Outcomes: ST_OK with *out set; ST_FAIL with *refusal set (not NONE) and
 * err saying why in words, for a refusal the caller reports as the
 * person's mistake (CLI exit 2 or 3, HTTP 400/404/409); ST_RETRY/ST_FAIL
 * with refusal NONE for a database failure.
 */
#ifndef SHOPVOX_ADMIN_ACTIONS_H
#define SHOPVOX_ADMIN_ACTIONS_H

#include <json-c/json.h>

#include "common.h"
#include "store.h"

#define ADMIN_SKU_MAX_BYTES 1000        /* a Shopline SKU; the item code obeys SKU_MAX_BYTES */
#define ADMIN_ROUTING_SPEC_MAX_BYTES 65536

enum admin_refusal {
    ADMIN_REFUSED_NONE,
    ADMIN_REFUSED_INVALID,    /* an argument is wrong (CLI 2, HTTP 400) */
    ADMIN_REFUSED_NOT_FOUND,  /* nothing to remove (CLI 3, HTTP 404) */
    ADMIN_REFUSED_CONFLICT,   /* the state forbids it (CLI 1, HTTP 409) */
};

/* Who acts: actor is the audit log's (token name or "cli:<user>"), by the row's stamp. */
struct admin_actor {
    const char *shop;
    const char *actor;
    const char *by;
};

/* Checks a mapping's arguments without the database: 0, or -1 with err set. */
int admin_sku_check(const char *sku, const char *item_code, struct errbuf *err);
/* As admin_sku_check: NULL, or the field at fault ("shopline_sku", "item_code") with err set. */
const char *admin_sku_bad_field(const char *sku, const char *item_code, struct errbuf *err);

/*
 * Maps Shopline SKU sku to item_code (insert or replace) and re-checks the
 * held orders. *out: {shopline_sku, item_code, previous_item_code,
 * item_state ("active", "inactive", "missing"), warning (null unless the
 * item is not active), held_orders_enqueued}. Audit "sku.map".
 */
enum st admin_sku_map(struct store_conn *c, const struct admin_actor *who, const char *sku,
                      const char *item_code, struct json_object **out,
                      enum admin_refusal *refusal, struct errbuf *err);

/* Removes sku's mapping. *out: {shopline_sku, item_code, removed: true}. Audit "sku.unmap". */
enum st admin_sku_unmap(struct store_conn *c, const struct admin_actor *who, const char *sku,
                        struct json_object **out, enum admin_refusal *refusal,
                        struct errbuf *err);

/*
 * The shop's routing rules: {rules: [{position, kind, match, site}],
 * spec: the same in the rule language}.
 */
enum st admin_routing_read(struct store_conn *c, const char *shop, struct json_object **out,
                           struct errbuf *err);

/*
 * Replaces the shop's rules with spec (SHOPVOX_ROUTING_RULES' language):
 * refused unless it parses, has a rule and names only sites shopvox knows
 * (stock rows, current rules, default_site). *out: admin_routing_read's.
 * Audit "routing.set".
 */
enum st admin_routing_set(struct store_conn *c, const struct admin_actor *who,
                          const char *default_site, const char *spec, struct json_object **out,
                          enum admin_refusal *refusal, struct errbuf *err);

/*
 * admin_routing_set from a form: rules is an array of {kind, match, site}
 * (match for location and country only). Every rule is checked field by
 * field before anything changes; on a refusal *fields (owned, else NULL)
 * lists every problem as {"field": "rules/<i>/<kind|match|site>" (i from
 * 0; "rules/<i>": the rule as a whole, e.g. a repetition; "rules": the
 * list), "message"} and err names the first. Otherwise as set.
 */
enum st admin_routing_set_rules(struct store_conn *c, const struct admin_actor *who,
                                const char *default_site, struct json_object *rules,
                                struct json_object **out, struct json_object **fields,
                                enum admin_refusal *refusal, struct errbuf *err);

/* Removes rule number position (1-based); the last one is refused (CONFLICT). As set. */
enum st admin_routing_delete(struct store_conn *c, const struct admin_actor *who,
                             long long position, struct json_object **out,
                             enum admin_refusal *refusal, struct errbuf *err);

/*
 * Maps a Peoplevox carrier (service NULL or "": any) to company and
 * url_template (NULL: none). *out: {carrier, service, tracking_company,
 * tracking_url_template, example_url, previous: {tracking_company,
 * tracking_url_template} or null}. Audit "carrier.set".
 */
enum st admin_carrier_set(struct store_conn *c, const struct admin_actor *who,
                          const char *carrier, const char *service, const char *company,
                          const char *url_template, struct json_object **out,
                          enum admin_refusal *refusal, struct errbuf *err);

/* Removes a carrier mapping. *out: {carrier, service, removed: {...}}. Audit "carrier.delete". */
enum st admin_carrier_delete(struct store_conn *c, const struct admin_actor *who,
                             const char *carrier, const char *service,
                             struct json_object **out, enum admin_refusal *refusal,
                             struct errbuf *err);

#endif
