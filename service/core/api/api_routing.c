/*
 * api_routing.c - /api/v1/routing-rules: the shop's routing rules, and
 * replacing them with a rule list or deleting one by its position. The
 * changes are admin_routing.c's, the code `shopvox routing set` runs: the
 * whole list checked (its language, its sites) before anything changes,
 * the rules replaced and audited (routing.set) in one transaction. A set
 * takes the rule language ("spec", as the CLI) or the rows of a form
 * ("rules": [{kind, match, site}]), whose refusal names every field at
 * fault (admin_routing_set_rules).
 *
 * The check answers where an order from a country and/or a Shopline
 * location would go under the stored rules or a draft spec, by the same
 * routing_decide the post job runs; stock rules are skipped (a sample has
 * no lines), which the reason says.
 */
#include "api_int.h"
#include "routing.h"
#include "routing_store.h"

void api_routing_list(struct api_req *r)
{
    struct json_object *out = NULL;
    struct errbuf err = {""};
    enum st st = admin_routing_read(r->db, r->shop, &out, &err);

    if (st != ST_OK)
        api_error_db(r, st, &err);
    else
        api_reply(r, 200, out);
}

/* A set from a form's rows (see admin_routing_set_rules), after api_begin. */
static void routing_set_rows(struct api_req *r, struct json_object *rules)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL, *fields = NULL;
    struct errbuf err = {""};
    enum st st = admin_routing_set_rules(r->db, &who, r->api->cfg->pvx_default_site, rules,
                                         &out, &fields, &refusal, &err);

    if (fields == NULL) {
        api_admin_finish(r, st, refusal, &err, out);
        return;
    }
    store_rollback(r->db);
    api_error_fields(r->resp, 400, API_E_INVALID, err.msg, fields);
}

void api_routing_set(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL, *rules = json_object_object_get(r->body, "rules");
    struct errbuf err = {""};
    const char *spec;
    enum st st;

    if (api_body_str(r, "spec", ADMIN_ROUTING_SPEC_MAX_BYTES, &spec) < 0)
        return;
    if (rules != NULL && (spec != NULL || !json_object_is_type(rules, json_type_array))) {
        api_error(r->resp, 400, API_E_INVALID,
                  "rules must be an array of {kind, match, site}, sent without spec");
        return;
    }
    if (api_begin(r) < 0)
        return;
    if (rules != NULL) {
        routing_set_rows(r, rules);
        return;
    }
    st = admin_routing_set(r->db, &who, r->api->cfg->pvx_default_site, spec, &out, &refusal,
                           &err);
    api_admin_finish(r, st, refusal, &err, out);
}

void api_routing_delete(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    long long position = api_param_id(r, 0, "rule position");
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    enum st st;

    if (position < 0 || api_begin(r) < 0)
        return;
    st = admin_routing_delete(r->db, &who, position, &out, &refusal, &err);
    api_admin_finish(r, st, refusal, &err, out);
}

/* The check's answer for rules t and the sample in. */
static struct json_object *check_json(const struct routing_rules *t,
                                      const struct routing_input *in, const char *default_site)
{
    struct routing_result rr;
    struct json_object *o = json_object_new_object();

    routing_decide(t->rules, t->n, in, NULL, default_site, &rr);
    json_object_object_add(o, "routed", json_object_new_boolean(rr.routed));
    json_object_object_add(o, "site", rr.routed ? json_object_new_string(rr.site) : NULL);
    json_object_object_add(o, "kind",
                           rr.routed ? json_object_new_string(routing_kind_name(rr.kind)) : NULL);
    json_object_object_add(o, "position", rr.routed && rr.rule_index != ROUTING_NO_RULE
                                              ? json_object_new_int64((int64_t)rr.rule_index + 1)
                                              : NULL);
    json_object_object_add(o, "reason", json_object_new_string(rr.reason));
    return o;
}

void api_routing_check(struct api_req *r)
{
    struct routing_input in = {NULL, NULL, NULL, 0};
    struct routing_rules t;
    struct errbuf err = {""};
    const char *spec;
    enum st st = ST_OK;

    if (api_query_str(r, "country", ROUTING_MATCH_MAX_BYTES, &in.country_code) < 0 ||
        api_query_str(r, "location_id", ROUTING_MATCH_MAX_BYTES, &in.location_id) < 0 ||
        api_query_str(r, "spec", ADMIN_ROUTING_SPEC_MAX_BYTES, &spec) < 0)
        return;
    routing_rules_init(&t);
    if (spec != NULL && routing_parse_rules(&t, spec, &err) < 0)
        api_error(r->resp, 400, API_E_INVALID, "invalid routing rules: %s", err.msg);
    else if (spec == NULL && (st = routing_store_load(r->db, r->shop, &t, &err)) != ST_OK)
        api_error_db(r, st, &err);
    else
        api_reply(r, 200, check_json(&t, &in, r->api->cfg->pvx_default_site));
    routing_rules_cleanup(&t);
}
