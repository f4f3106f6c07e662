/*
 * pvx_returns.c - the Peoplevox calls of returns (see pvx_returns.h), on
 * the client's generic operations: the template comes through the
 * client's GetSaveTemplate cache and is learned by return_report.c; the
 * expected return's CSV is built there too (by field name); the report is
 * read with a FilterClause on [Return date] and sorted by it, so paging
 * walks a stable order while rows are added.
 */
#include "pvx_returns.h"

#include <string.h>
#include <time.h>

#define PVX_RETURN_ORDER "[Return date] ASC, [Return code] ASC"

enum st pvx_returns_template(struct pvx_client *pc, CURL *curl, bool refresh,
                             struct return_template *out, struct pvx_outcome *oc)
{
    struct pvx_fields f = {0, NULL};
    enum st rc;

    memset(out, 0, sizeof(*out));
    rc = pvx_get_save_template(pc, curl, RETURN_TEMPLATE, refresh, &f, oc);
    if (rc == ST_OK)
        rc = return_template_learn((const char *const *)f.names, f.n, out, &oc->err);
    pvx_fields_cleanup(&f);
    return rc;
}

enum st pvx_save_expected_return(struct pvx_client *pc, CURL *curl,
                                 const struct return_template *t, const struct return_save *r,
                                 struct pvx_response *out, struct pvx_outcome *oc)
{
    struct buf csv;
    enum st rc;

    memset(out, 0, sizeof(*out));
    memset(oc, 0, sizeof(*oc));
    buf_init(&csv, 0);
    rc = return_csv_build(t, r, &csv, &oc->err);
    if (rc == ST_OK)
        rc = pvx_save_data(pc, curl, RETURN_TEMPLATE, buf_cstr(&csv), out, oc);
    buf_cleanup(&csv);
    return rc;
}

void pvx_return_since_clause(int64_t since_wall_s, struct buf *out)
{
    time_t t = (time_t)since_wall_s;
    struct tm tm;

    if (since_wall_s > 0 && gmtime_r(&t, &tm) != NULL)
        buf_appendf(out, "[Return date] >= DateTime(%d,%d,%d,%d,%d,%d)", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

enum st pvx_get_return_summary(struct pvx_client *pc, CURL *curl, int64_t since_wall_s,
                               int page_no, int per_page, struct csv_table *out, long *total,
                               struct pvx_outcome *oc)
{
    struct buf filter;
    enum st rc;

    buf_init(&filter, 0);
    pvx_return_since_clause(since_wall_s, &filter);
    struct pvx_report_request req = {.template_name = RETURN_REPORT, .page_no = page_no,
                                     .items_per_page = per_page,
                                     .filter_clause = buf_cstr(&filter),
                                     .order_by = PVX_RETURN_ORDER};
    rc = pvx_get_report_data(pc, curl, &req, out, total, oc);
    buf_cleanup(&filter);
    return rc;
}

enum st pvx_get_return_summary_all(struct pvx_client *pc, CURL *curl, int64_t since_wall_s,
                                   int per_page, size_t max_rows, struct csv_table *out,
                                   struct pvx_outcome *oc)
{
    struct buf filter;
    enum st rc;

    buf_init(&filter, 0);
    pvx_return_since_clause(since_wall_s, &filter);
    struct pvx_report_request req = {.template_name = RETURN_REPORT,
                                     .items_per_page = per_page,
                                     .filter_clause = buf_cstr(&filter),
                                     .order_by = PVX_RETURN_ORDER};
    rc = pvx_get_report_data_all(pc, curl, &req, max_rows, out, oc);
    buf_cleanup(&filter);
    return rc;
}
