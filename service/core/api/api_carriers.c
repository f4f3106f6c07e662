/*
 * api_carriers.c - /api/v1/carriers: the carrier mappings (a Peoplevox
 * carrier, optionally one of its services -> the tracking company and URL
 * template of Shopline fulfillments), and setting or deleting one. The
 * changes are admin_actions.h's, the code `shopvox carriers set|delete`
 * runs, audited (carrier.set, carrier.delete) in their transaction. The
 * list is short (one row per carrier service): it is answered whole.
 */
#include "api_int.h"
#include "carrier.h"
#include "carrier_store.h"
#include "store_json.h"

void api_carriers_list(struct api_req *r)
{
    struct errbuf err = {""};
    struct json_object *o;
    enum st st;
    PGresult *res = carrier_store_list(r->db, r->shop, &st, &err);

    if (res == NULL) {
        api_error_db(r, st, &err);
        return;
    }
    o = json_object_new_object();
    json_object_object_add(o, "items", store_rows_json(res, -1));
    json_object_object_add(o, "next_cursor", NULL);
    PQclear(res);
    api_reply(r, 200, o);
}

/* The body's carrier and service; -1 after 400. */
static int carrier_body(struct api_req *r, const char **carrier, const char **service)
{
    return api_body_str(r, "carrier", CARRIER_NAME_MAX_BYTES, carrier) < 0 ||
                   api_body_str(r, "service", CARRIER_NAME_MAX_BYTES, service) < 0
               ? -1
               : 0;
}

void api_carriers_set(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    const char *carrier, *service, *company, *url;
    enum st st;

    if (carrier_body(r, &carrier, &service) < 0 ||
        api_body_str(r, "tracking_company", CARRIER_NAME_MAX_BYTES, &company) < 0 ||
        api_body_str(r, "tracking_url_template", CARRIER_TEMPLATE_MAX_BYTES, &url) < 0 || api_begin(r) < 0)
        return;
    st = admin_carrier_set(r->db, &who, carrier, service, company, url, &out, &refusal, &err);
    api_admin_finish(r, st, refusal, &err, out);
}

void api_carriers_delete(struct api_req *r)
{
    struct admin_actor who = api_admin_actor(r);
    enum admin_refusal refusal = ADMIN_REFUSED_NONE;
    struct json_object *out = NULL;
    struct errbuf err = {""};
    const char *carrier, *service;
    enum st st;

    if (carrier_body(r, &carrier, &service) < 0 || api_begin(r) < 0)
        return;
    st = admin_carrier_delete(r->db, &who, carrier, service, &out, &refusal, &err);
    api_admin_finish(r, st, refusal, &err, out);
}
