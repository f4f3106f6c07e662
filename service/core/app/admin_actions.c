/*
 * admin_actions.c - SKU mappings and carrier mappings as a person edits
 * them, for the CLI and the admin API alike (admin_actions.h; routing rules
 * are in admin_routing.c).
 *
 * A mapping is stored even when its item code is not (yet) in the local
 * catalogue or is inactive: the item may have just been created in
 * Peoplevox and the next catalogue sync brings it in. The answer carries a
 * warning, and held orders are re-checked in the same transaction as the
 * mapping, so a crash between the two cannot leave orders stuck on hold.
 * A carrier change applies to the next fulfillment created, never to those
 * already in Shopline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_actions.h"
#include "audit_store.h"
#include "carrier.h"
#include "carrier_store.h"
#include "catalogue.h"
#include "catalogue_store.h"
#include "sku.h"

#define CARRIER_EXAMPLE_TRACKING "TRACKING123"

static void jset_str(struct json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v != NULL ? json_object_new_string(v) : NULL);
}

/* JSON text of o (NULL: NULL); borrowed from o. */
static const char *json_text(struct json_object *o)
{
    return o != NULL ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
}

/* One audit row of who's change in the caller's transaction. */
static enum st audit(struct store_conn *c, const struct admin_actor *who, const char *action,
                     const char *kind, const char *id, struct json_object *before,
                     struct json_object *after, struct errbuf *err)
{
    struct audit_entry e = {who->shop, who->actor,       action,          kind,
                            id,        json_text(before), json_text(after), NULL};

    return audit_record(c, &e, err);
}

/* ST_FAIL with a refusal of kind why. */
static enum st refuse(enum admin_refusal *refusal, enum admin_refusal why)
{
    *refusal = why;
    return ST_FAIL;
}

/* ---- SKU mappings ---- */

const char *admin_sku_bad_field(const char *sku, const char *item_code, struct errbuf *err)
{
    enum sku_problem problem = sku_validate(item_code);
    size_t len = strlen(sku);

    if (strspn(sku, " ") == len || len > ADMIN_SKU_MAX_BYTES) {
        errbuf_set(err, "invalid Shopline SKU: %s",
                   len > ADMIN_SKU_MAX_BYTES ? "too long" : "empty (or only spaces)");
        return "shopline_sku";
    }
    for (const char *p = sku; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            errbuf_set(err, "invalid Shopline SKU: control character 0x%02x at byte %zu (a tab, "
                       "newline or similar never matches an order line)",
                       (unsigned char)*p, (size_t)(p - sku) + 1);
            return "shopline_sku";
        }
    }
    if (problem != SKU_OK) {
        errbuf_set(err, "invalid item code '%.200s': %s", item_code, sku_problem_name(problem));
        return "item_code";
    }
    return NULL;
}

int admin_sku_check(const char *sku, const char *item_code, struct errbuf *err)
{
    return admin_sku_bad_field(sku, item_code, err) != NULL ? -1 : 0;
}

/* The answer's warning for an item that is not active (state), or "" when it is. */
static void sku_warning(const char *code, const char *state, char *out, size_t cap)
{
    out[0] = '\0';
    if (strcmp(state, "active") != 0)
        snprintf(out, cap,
                 "item code '%.200s' is %s in the Peoplevox catalogue; orders with this SKU stay "
                 "on hold until it is active there (shopvox catalogue sync refreshes it)",
                 code, strcmp(state, "missing") == 0 ? "not" : "inactive");
}

enum st admin_sku_map(struct store_conn *c, const struct admin_actor *who, const char *sku,
                      const char *item_code, struct json_object **out,
                      enum admin_refusal *refusal, struct errbuf *err)
{
    char state[16] = "", warning[512];
    char *previous = NULL;
    int enqueued = 0;
    enum st st;

    *out = NULL;
    *refusal = ADMIN_REFUSED_NONE;
    if (admin_sku_check(sku, item_code, err) < 0)
        return refuse(refusal, ADMIN_REFUSED_INVALID);
    st = catalogue_store_item_state(c, who->shop, item_code, state, sizeof(state), err);
    if (st == ST_OK)
        st = catalogue_store_map_sku(c, who->shop, sku, item_code, who->by, &previous, err);
    if (st == ST_OK)
        st = catalogue_recheck_held(c, who->shop, &enqueued, err);
    if (st != ST_OK)
        goto out;
    sku_warning(item_code, state, warning, sizeof(warning));
    *out = json_object_new_object();
    jset_str(*out, "shopline_sku", sku);
    jset_str(*out, "item_code", item_code);
    jset_str(*out, "previous_item_code", previous);
    jset_str(*out, "item_state", state);
    jset_str(*out, "warning", warning[0] ? warning : NULL);
    json_object_object_add(*out, "held_orders_enqueued", json_object_new_int(enqueued));
    st = audit(c, who, "sku.map", "sku", sku, NULL, *out, err);
out:
    free(previous);
    if (st != ST_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return st;
}

enum st admin_sku_unmap(struct store_conn *c, const struct admin_actor *who, const char *sku,
                        struct json_object **out, enum admin_refusal *refusal,
                        struct errbuf *err)
{
    char *code = NULL;
    enum st st;

    *out = NULL;
    *refusal = ADMIN_REFUSED_NONE;
    st = catalogue_store_unmap_sku(c, who->shop, sku, &code, err);
    if (st != ST_OK)
        return st;
    if (code == NULL) {
        errbuf_set(err, "no mapping for Shopline SKU '%.200s'", sku);
        return refuse(refusal, ADMIN_REFUSED_NOT_FOUND);
    }
    *out = json_object_new_object();
    jset_str(*out, "shopline_sku", sku);
    jset_str(*out, "item_code", code);
    json_object_object_add(*out, "removed", json_object_new_boolean(true));
    free(code);
    st = audit(c, who, "sku.unmap", "sku", sku, NULL, *out, err);
    if (st != ST_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return st;
}

/* ---- carriers ---- */

/* {"tracking_company", "tracking_url_template"} of a replaced row, or NULL. */
static struct json_object *carrier_prev_json(const struct carrier_store_prev *p)
{
    struct json_object *o;

    if (!p->existed)
        return NULL;
    o = json_object_new_object();
    jset_str(o, "tracking_company", p->company);
    jset_str(o, "tracking_url_template", p->url_template);
    return o;
}

/* err prefixed with "invalid WHAT: "; -1. */
static int invalid(const char *what, struct errbuf *err)
{
    char why[400];

    snprintf(why, sizeof(why), "%.390s", err->msg);
    errbuf_set(err, "invalid %s: %s", what, why);
    return -1;
}

/* Checks every argument of a carrier mapping (company only when set); -1 with err set. */
static int carrier_check(const char *carrier, const char *service, const char *company,
                         const char *url_template, bool set, struct errbuf *err)
{
    if (carrier == NULL) {
        errbuf_set(err, "a carrier is required (the Peoplevox carrier name)");
        return -1;
    }
    if (carrier_check_name("carrier", carrier, false, err) != ST_OK ||
        carrier_check_name("service", service, true, err) != ST_OK)
        return invalid("carrier", err);
    if (!set)
        return 0;
    if (company == NULL) {
        errbuf_set(err, "a tracking company is required (the name Shopline shows)");
        return -1;
    }
    if (carrier_check_name("company", company, false, err) != ST_OK)
        return invalid("company", err);
    if (url_template != NULL && carrier_check_template(url_template, err) != ST_OK)
        return invalid("URL template", err);
    return 0;
}

/* "DPD" or "DPD/Next day": the audit subject. */
static void carrier_key(const char *carrier, const char *service, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s", carrier, service[0] ? "/" : "", service);
}

enum st admin_carrier_set(struct store_conn *c, const struct admin_actor *who,
                          const char *carrier, const char *service, const char *company,
                          const char *url_template, struct json_object **out,
                          enum admin_refusal *refusal, struct errbuf *err)
{
    struct carrier_store_prev prev = {false, NULL, NULL};
    char key[256];
    char *example = NULL;
    enum st st;

    *out = NULL;
    *refusal = ADMIN_REFUSED_NONE;
    service = service != NULL ? service : "";
    if (url_template != NULL && url_template[0] == '\0')
        url_template = NULL;
    if (carrier_check(carrier, service, company, url_template, true, err) < 0)
        return refuse(refusal, ADMIN_REFUSED_INVALID);
    st = carrier_store_set(c, who->shop, carrier, service, company, url_template, who->by,
                           &prev, err);
    if (st != ST_OK)
        goto out;
    if (url_template != NULL)
        example = carrier_tracking_url(url_template, CARRIER_EXAMPLE_TRACKING);
    *out = json_object_new_object();
    jset_str(*out, "carrier", carrier);
    jset_str(*out, "service", service);
    jset_str(*out, "tracking_company", company);
    jset_str(*out, "tracking_url_template", url_template);
    jset_str(*out, "example_url", example);
    json_object_object_add(*out, "previous", carrier_prev_json(&prev));
    carrier_key(carrier, service, key, sizeof(key));
    st = audit(c, who, "carrier.set", "carrier", key, json_object_object_get(*out, "previous"),
               *out, err);
out:
    free(example);
    carrier_store_prev_cleanup(&prev);
    if (st != ST_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return st;
}

enum st admin_carrier_delete(struct store_conn *c, const struct admin_actor *who,
                             const char *carrier, const char *service,
                             struct json_object **out, enum admin_refusal *refusal,
                             struct errbuf *err)
{
    struct carrier_store_prev prev = {false, NULL, NULL};
    char key[256];
    enum st st;

    *out = NULL;
    *refusal = ADMIN_REFUSED_NONE;
    service = service != NULL ? service : "";
    if (carrier_check(carrier, service, NULL, NULL, false, err) < 0)
        return refuse(refusal, ADMIN_REFUSED_INVALID);
    st = carrier_store_delete(c, who->shop, carrier, service, &prev, err);
    carrier_key(carrier, service, key, sizeof(key));
    if (st == ST_OK && !prev.existed) {
        errbuf_set(err, "no carrier mapping for '%.200s'", key);
        st = refuse(refusal, ADMIN_REFUSED_NOT_FOUND);
    }
    if (st == ST_OK) {
        *out = json_object_new_object();
        jset_str(*out, "carrier", carrier);
        jset_str(*out, "service", service);
        json_object_object_add(*out, "removed", carrier_prev_json(&prev));
        st = audit(c, who, "carrier.delete", "carrier", key,
                   json_object_object_get(*out, "removed"), NULL, err);
    }
    carrier_store_prev_cleanup(&prev);
    if (st != ST_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return st;
}
