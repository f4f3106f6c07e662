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
#define RETURNS_UNMATCHED "return_unmatched"
/* The subject of the one returns_template_missing exception of a shop. */
#define RETURNS_TEMPLATE_SUBJECT "Returns"
/* Authorised returns a poll sends again once the template is usable, at most. */
#define RETURNS_RESEND_MAX 100

/* Opens (or bumps) e in a transaction of its own. */
enum st return_exc_alone(struct worker_ctx *w, const struct exc_new *e, struct errbuf *err);

/*
 * When the shop's returns_template_missing exception is open and the
 * tenant's template is usable now: enqueues create_return again for the
 * returns still authorised (at most RETURNS_RESEND_MAX); their saves
 * resolve the exception. *resent says how many.
 */
enum st return_resend_waiting(struct worker_ctx *w, int *resent, struct pvx_outcome *oc,
                              struct errbuf *err);

#endif
