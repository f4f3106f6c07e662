/*
 * return_int.h - what the warehouse side's two files share
 * (return_warehouse.c, return_receipts.c); private to service/core/app/.
 */
#ifndef SHOPVOX_RETURN_INT_H
#define SHOPVOX_RETURN_INT_H

#include "exceptions.h"
#include "job_handler.h"

#define RETURNS_TEMPLATE_MISSING "returns_template_missing"
#define RETURNS_REJECTED "return_warehouse_rejected"
#define RETURNS_UNMATCHED "return_receipt_unmatched"
/* The subject of the one returns_template_missing exception of a shop. */
#define RETURNS_TEMPLATE_SUBJECT "Returns"
/* Authorised returns a poll sends again once the template is usable, at most. */
#define RETURNS_RESEND_MAX 100
/* Unmatched receipts a poll retries against the returns waiting now, at most. */
#define RETURNS_RETRY_MAX 100

/* Opens (or bumps) e in a transaction of its own. */
enum st return_exc_alone(struct worker_ctx *w, const struct exc_new *e, struct errbuf *err);

/*
 * The shop's returns still authorised with no live create_return job and
 * no open return_warehouse_rejected (at most RETURNS_RESEND_MAX): when the
 * tenant's template is usable now (one GetSaveTemplate, only when there
 * are such returns), create_return is enqueued again for each; their
 * saves resolve returns_template_missing. *resent says how many.
 */
enum st return_resend_waiting(struct worker_ctx *w, int *resent, struct pvx_outcome *oc,
                              struct errbuf *err);

#endif
