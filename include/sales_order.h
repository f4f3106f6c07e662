/*
 * sales_order.h - posting paid Shopline orders to Peoplevox as exactly one
 * Sales Order each, and cancelling them (job handlers for the worker pool).
 *
 * The order-to-rows mapping these handlers send is pure and lives in
 * sales_order_rows.h; the statements they run, in order_store.h.
 */
#ifndef SHOPVOX_SALES_ORDER_H
#define SHOPVOX_SALES_ORDER_H

#include <stddef.h>

#include "job_handler.h"

/*
 * Jobs "post_sales_order", payload {"order_id": N}: the one way in, for
 * jobs[0..n-1] (n >= 1, all claimed by this worker; a batch handler, see
 * job_handler.h). Each order runs its own checks and transactions; orders that
 * are safe to batch share one SaveData per template when more than one is
 * to be sent, and the others go alone. results[i] is jobs[i]'s.
 */
void so_post_jobs(struct worker_ctx *w, const struct job *jobs, size_t n,
                  struct job_result *results);
/* Job "cancel_sales_order", payload {"order_id": N}. */
void so_cancel_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);
/*
 * The start hook (job_handler.h) of the sales_order kinds: learns the
 * tenant's `Sales orders` and `Sales order items` save templates, so the
 * first order does not pay for them and a wrong URL or credential shows in
 * the log at once (event=peoplevox_template, or _template_failed: only
 * logged, the handlers fetch on demand).
 */
void so_warm_templates(struct worker_ctx *w);

#endif
