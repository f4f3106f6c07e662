/*
 * api_routing.c - /api/v1/routing-rules: the shop's routing rules, and
 * replacing them with a rule list or deleting one by its position. The
 * changes are admin_routing.c's, the code `shopvox routing set` runs: the
 * whole list checked (its language, its sites) before anything changes,
 * the rules replaced and audited (routing.set) in one transaction.
 */
#include "api_int.h"

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

void api_routing_set(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    const char *spec;
    enum st st;

    if (api_body_str(r, "spec", ADMIN_ROUTING_SPEC_MAX_BYTES, &spec) < 0 || api_begin(r) < 0)
        return;
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
