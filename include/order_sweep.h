/*
 * order_sweep.h - missed order webhooks, recovered from Shopline.
 *
 * A webhook can be lost (Shopline gave up, shopvox was down longer than
 * its retries, a subscription was gone for a while). The leader enqueues
 * ORDER_SWEEP_KIND every SHOPVOX_ORDER_SWEEP_S; the job lists the orders
 * updated since the watermark minus an overlap (sweep_window.h) and feeds
 * each through the webhook intake's transaction (intake_apply_swept): a
 * missing or older order is applied and goes on to Peoplevox as usual, an
 * up-to-date one is a no-op. `shopvox reconcile orders` asks for a run now.
 */
#ifndef SHOPVOX_ORDER_SWEEP_H
#define SHOPVOX_ORDER_SWEEP_H

#include "common.h"
#include "job_handler.h"
#include "store.h"

#define ORDER_SWEEP_KIND "sweep_orders"
#define ORDER_SWEEP_NAME "orders"                      /* order_sweeps.sweep */
#define ORDER_SWEEP_KEY "orders"                       /* the scheduled run's dedupe key */
#define ORDER_SWEEP_WATERMARK "order_sweep_watermark"  /* cursor: start of the last full run */

/*
 * Asks for a run now (an order_sweeps row and its job): since_iso (may be
 * NULL) overrides the watermark for that run and leaves the watermark
 * alone; the caller has validated it (sweep_window_from). *id: the run.
 */
enum st order_sweep_request(struct store_conn *c, const char *shop, const char *since_iso,
                            long long *id, struct errbuf *err);

/* The job (job_handler.h): shop from cfg, Shopline tokens at NORMAL priority. */
void order_sweep_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
