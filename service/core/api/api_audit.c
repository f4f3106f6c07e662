/*
 * api_audit.c - /api/v1/whoami (the caller as the API sees it) and
 * /api/v1/audit (the audit log, newest first: what the API's and the
 * CLI's writes recorded; filters since, subject_kind, subject_id).
 */
#include "api_int.h"
#include "audit_store.h"

void api_whoami(struct api_req *r)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "name", json_object_new_string(r->caller.name));
    json_object_object_add(o, "role", json_object_new_string(admin_role_name(r->caller.role)));
    json_object_object_add(o, "time_zone", json_object_new_string(r->api->cfg->pvx_timezone));
    api_reply(r, 200, o);
}

void api_audit_list(struct api_req *r)
{
    const char *since, *kind, *subject;
    struct api_page page;
    struct errbuf err = {""};
    enum st st;
    PGresult *res;

    if (api_query_time(r, "since", &since) < 0 ||
        api_query_str(r, "subject_kind", 32, &kind) < 0 ||
        api_query_str(r, "subject_id", 128, &subject) < 0 ||
        api_page_read(r, "audit", &page) < 0)
        return;
    res = audit_report_list(r->db, r->shop, since, kind, subject, page.before_id,
                            page.limit + 1, &st, &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    else
        api_reply_page(r, &page, res, "id", NULL);
}
