/*
 * api_reports.c - /api/v1/reports/inventory (the latest stock drift
 * report, as `shopvox report inventory --json`) and /api/v1/reports/daily
 * (one store day, as `shopvox report daily --json`; ?date=YYYY-MM-DD,
 * today in the store's time zone by default). The reconciliation sweeps'
 * report is api_ops.c's, beside the other status reports.
 */
#include "api_int.h"
#include "daily_report.h"
#include "drift_store.h"
#include "store_json.h"

void api_reports_inventory(struct api_req *r)
{
    struct errbuf err = {""};
    enum st st;
    PGresult *res = drift_store_latest(r->db, r->shop, &st, &err);

    if (res == NULL)
        api_error_db(r, st, &err);
    else if (PQntuples(res) == 0)
        api_error(r->resp, 404, API_E_NOT_FOUND, "no inventory drift report yet: the hourly "
                  "reconcile_inventory task (or `shopvox reconcile inventory`) makes one");
    else
        api_reply(r, 200, store_row_json(res, 0));
    PQclear(res);
}

void api_reports_daily(struct api_req *r)
{
    struct daily_report rep;
    struct errbuf err = {""};
    bool bad_date = false;
    const char *date;
    enum st st;

    if (api_query_str(r, "date", 32, &date) < 0)
        return;
    st = daily_report_build(r->db, r->shop, r->api->cfg->pvx_timezone, date, &rep, &bad_date,
                            &err);
    if (st == ST_OK) {
        api_reply(r, 200, daily_report_json(&rep));
        daily_report_cleanup(&rep);
    } else if (bad_date) {
        api_error(r->resp, 400, API_E_INVALID, "%s", err.msg);
    } else {
        api_error_db(r, st, &err);
    }
}
