/*
 * api_ops.c - /api/v1/schedules (each periodic task: interval, last run,
 * success and error, next due; the leader) and /api/v1/limiter (each
 * outside API's shared bucket: rate, burst, level, slow or held; whether
 * the shop's calls are paused). ops_status.h's reports, which `shopvox
 * schedules` prints too.
 */
#include "api_int.h"
#include "ops_status.h"

/* Answers a report of ops_status.h (200), or its failure. */
static void reply_report(struct api_req *r, enum st st, struct json_object *out,
                         const struct errbuf *err)
{
    if (st == ST_OK)
        api_reply(r, 200, out);
    else
        api_error_db(r, st, err);
}

void api_schedules_list(struct api_req *r)
{
    struct json_object *out = NULL;
    struct errbuf err = {""};
    enum st st = ops_schedules_report(r->db, r->api->cfg, &out, &err);

    reply_report(r, st, out, &err);
}

void api_limiter_show(struct api_req *r)
{
    struct json_object *out = NULL;
    struct errbuf err = {""};
    enum st st = ops_limiter_report(r->db, r->api->cfg, r->shop, &out, &err);

    reply_report(r, st, out, &err);
}

void api_reports_reconcile(struct api_req *r)
{
    struct json_object *out = NULL;
    struct errbuf err = {""};
    enum st st = ops_reconcile_report(r->db, r->shop, &out, &err);

    reply_report(r, st, out, &err);
}
