/*
 * pvx_returns.h - the Peoplevox calls of returns, on the client (pvx.h):
 * learn the tenant's `Returns` template, save an expected return, read
 * the `Return summary` report from a date.
 *
 * Same contract as pvx.h: ST_OK, ST_RETRY (transient: nothing to fix,
 * try later; oc->throttled when refused for load) or ST_FAIL (the data's
 * or the tenant's problem, oc->err says which), described in oc; the
 * caller decides and logs. Outputs are owned by the caller.
 */
#ifndef SHOPVOX_PVX_RETURNS_H
#define SHOPVOX_PVX_RETURNS_H

#include <stdbool.h>
#include <stdint.h>

#include "pvx.h"
#include "return_report.h"

/*
 * The tenant's `Returns` template (GetSaveTemplate, cached by the client;
 * refresh asks again), learned. ST_FAIL = no usable template: the tenant
 * has none, or it lacks a required field (oc->err says which and what to
 * add). *out is filled on ST_OK and on a missing field; cleanup it.
 */
enum st pvx_returns_template(struct pvx_client *pc, CURL *curl, bool refresh,
                             struct return_template *out, struct pvx_outcome *oc);

/*
 * SaveData of one expected return with template t. *out gets the parsed
 * answer whenever one came back (pvx_save_data); a rejected row is ST_FAIL
 * with its text in oc->err; oc->unknown when the save may have been
 * applied unseen (re-saving is harmless: the reference is the key).
 */
enum st pvx_save_expected_return(struct pvx_client *pc, CURL *curl,
                                 const struct return_template *t, const struct return_save *r,
                                 struct pvx_response *out, struct pvx_outcome *oc);

/*
 * "[Return date] >= DateTime(y,m,d,h,mi,s)" for since_wall_s (the tenant's
 * wall clock, seconds as if UTC) into out; nothing when since_wall_s <= 0.
 */
void pvx_return_since_clause(int64_t since_wall_s, struct buf *out);

/*
 * One page (page_no from 1, per_page 1..PVX_MAX_PAGE_ITEMS) of `Return
 * summary` with Return date >= since_wall_s (<= 0: every row), oldest
 * first, into *out (row 0 the header when there is data), *total the rows
 * matching.
 */
enum st pvx_get_return_summary(struct pvx_client *pc, CURL *curl, int64_t since_wall_s,
                               int page_no, int per_page, struct csv_table *out, long *total,
                               struct pvx_outcome *oc);

/* Every page of the same (per_page 0 = PVX_MAX_PAGE_ITEMS), at most max_rows (0 = no cap). */
enum st pvx_get_return_summary_all(struct pvx_client *pc, CURL *curl, int64_t since_wall_s,
                                   int per_page, size_t max_rows, struct csv_table *out,
                                   struct pvx_outcome *oc);

#endif
