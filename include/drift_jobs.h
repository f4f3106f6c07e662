/*
 * drift_jobs.h - the inventory drift reconciliation (app/drift.c): what
 * the store shows against what shopvox pushed and wants.
 *
 *   reconcile_inventory  (leader, every SHOPVOX_INVENTORY_RECONCILE_S, and
 *                        `shopvox reconcile inventory`) reads the store's
 *                        level of every mapped item x location
 *                        (inventory_levels.json, 50 inventory items a call,
 *                        LOW Shopline tokens: fulfillments first), judges
 *                        each (drift.h), makes the drifted ones due for a
 *                        push again through the sync's own mechanism
 *                        (drift_store.h, inventory_queue_pushes: the
 *                        coalesced set_inventory jobs), and stores a report.
 *
 * A report over the thresholds (SHOPVOX_INVENTORY_DRIFT_PCT of the levels
 * drifted, or SHOPVOX_INVENTORY_DRIFT_UNITS of variance) opens one
 * `inventory_drift` exception (ecommerce: something besides shopvox
 * changes the store's stock); a later report within them resolves it.
 * The latest report feeds `shopvox report inventory` and the
 * shopvox_inventory_drift_* gauges on every replica.
 */
#ifndef SHOPVOX_DRIFT_JOBS_H
#define SHOPVOX_DRIFT_JOBS_H

#include "job_handler.h"

#define DRIFT_RECONCILE_KIND "reconcile_inventory"
#define DRIFT_RECONCILE_KEY "inventory_reconcile"
#define DRIFT_EXCEPTION_TYPE "inventory_drift"
#define DRIFT_SAMPLE 10                 /* SKUs on one side only named in a report */
#define DRIFT_TOKEN_WAIT_MS 60000       /* a batch waits this long for a LOW token */
#define DRIFT_THROTTLED_TRIES 5         /* 429s on one batch before the run is retried */

/* Job reconcile_inventory (payload ignored). */
void drift_reconcile_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * The drift gauges from the shop's latest report (any replica's gauge
 * pass): shopvox_inventory_drift_items, _variance_units,
 * _last_run_timestamp_seconds; nothing until the first report.
 */
enum st drift_gauges_refresh(struct store_conn *c, const char *shop, struct errbuf *err);

#endif
