/*
 * reconcile.h - the reconciliation sweeps beside the order sweep
 * (order_sweep.h): what shopvox sent against what the warehouse holds,
 * and what the warehouse despatched against what the store was told.
 *
 * Both run on the leader's schedule and on an operator's request
 * (`shopvox reconcile warehouse|despatches [--days N]`), each run an
 * order_sweeps row (sweep_run.h) over the last SHOPVOX_RECONCILE_DAYS
 * days (or the operator's N).
 *
 * Orders vs warehouse (reconcile_warehouse.c): every order shopvox sent
 * in the window (state sent or later, sent_at in it) must be a Sales
 * Order in Peoplevox with the same lines (so_reconcile.h). GetData of
 * `Sales orders` and `Sales order items`, RECONCILE_SO_PER_CALL numbers to
 * a SearchClause, paged by 1000, at the job kind's LOW Peoplevox priority
 * (Sales Orders go first). A missing or different one opens
 * `sales_order_mismatch` (ops, subject the Sales Order number); one found
 * right again resolves its exception. With SHOPVOX_ORDER_PREFIX set, the
 * Sales Orders with that prefix created in the window that no order of
 * shopvox carries open `unknown_sales_order` (ops); one that is known now
 * resolves it.
 *
 * Despatches vs store (reconcile_despatches.c): despatches of the window
 * not confirmed as fulfillments (state pending) whose create_fulfillment
 * job is gone (never queued, or dead) get a new one. The job's own rules
 * keep it exactly once: it acts on pending despatches only and lists the
 * order's fulfillments before creating when a POST may have been sent
 * (fulfillment.c). Counted as requeued.
 */
#ifndef SHOPVOX_RECONCILE_H
#define SHOPVOX_RECONCILE_H

#include "common.h"
#include "job_handler.h"
#include "store.h"

#define WAREHOUSE_SWEEP_KIND "sweep_warehouse"
#define WAREHOUSE_SWEEP_KEY "warehouse"     /* the scheduled run's dedupe key */
#define WAREHOUSE_SWEEP_NAME "warehouse"    /* order_sweeps.sweep */
#define DESPATCH_SWEEP_KIND "sweep_despatches"
#define DESPATCH_SWEEP_KEY "despatches"
#define DESPATCH_SWEEP_NAME "despatches"
#define RECONCILE_SO_PER_CALL 50            /* Sales Order numbers in one SearchClause */
#define RECONCILE_MAX_REQUEUE 1000          /* despatches one run re-enqueues at most */

/* The warehouse sweep's job (payload ignored; key WAREHOUSE_SWEEP_KEY or an operator's). */
void reconcile_warehouse_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/* The despatch sweep's job. */
void reconcile_despatches_handler(struct worker_ctx *w, const struct job *j,
                                  struct job_result *r);

#endif
