/*
 * return_jobs.h - returns on the Peoplevox side: the job kinds of
 * app/return_warehouse.c (the expected return) and app/return_receipts.c
 * (the Return summary poll). The rules are pure, in return_report.h.
 *
 * create_return (payload {"return_id": N}, dedupe key return:<N>, enqueued
 * by the returns core when a return is authorised, or at once in auto
 * mode): saves the return as an expected return through the tenant's
 * `Returns` template (learned with GetSaveTemplate, cached by the client),
 * stores its reference (returns.return_reference) and moves it
 * authorised -> awaiting_receipt (cause 'warehouse'). A tenant without a
 * usable template leaves the return authorised with one
 * `returns_template_missing` exception (ops) saying what to set up; a row
 * Peoplevox rejects opens `return_warehouse_rejected` (ops) with its
 * text; both end the job, and poll_returns sends such a return again once
 * the template is usable and no rejection is open (a person fixed the
 * cause and resolved it). A transient failure is retried; a throttled
 * call waits for the shared Peoplevox budget.
 *
 * poll_returns (leader, every SHOPVOX_RETURNS_POLL_S): reads `Return
 * summary` from the watermark (cursor RETURNS_WATERMARK, Unix seconds)
 * minus RETURNS_OVERLAP_S, every page; each row is counted once
 * (return_receipts, sql/018) and its units go to the returns of its Sales
 * Order that expect that item (awaiting_receipt or received, oldest
 * first): received, and restocked or written off by Is Reusable. The
 * return moves awaiting_receipt -> received, and once every line is in
 * -> inspected -> returned_to_stock (something restocked) | written_off
 * (nothing restocked), causes 'warehouse:<return code>'; then
 * returns_after_receipt (finance's refund_due). Units no return expects
 * are kept (return_receipts.unmatched_qty) and open `return_receipt_unmatched`
 * (ops) once per return code.
 */
#ifndef SHOPVOX_RETURN_JOBS_H
#define SHOPVOX_RETURN_JOBS_H

#include "job_handler.h"
#include "returns_app.h" /* RETURNS_CREATE_KIND, returns_after_receipt */

#define RETURNS_POLL_KIND "poll_returns"
#define RETURNS_POLL_KEY "returns"
#define RETURNS_WATERMARK "returns_watermark"
#define RETURNS_OVERLAP_S 3600       /* late rows: re-read the last hour each poll */
#define RETURNS_MAX_ROWS 200000      /* rows one poll reads, at most */

/* The create_return job of one return. */
void return_create_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/* The poll_returns job (payload ignored). */
void return_poll_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
