/*
 * inventory_jobs.h - the inventory sync's job kinds (app/inventory.c,
 * app/inventory_push.c): Peoplevox stock to SHOPLINE inventory levels.
 *
 *   sync_inventory_full  (leader, every SHOPVOX_INVENTORY_FULL_SYNC_S) reads
 *                        the whole `Item inventory summary`, pages of 1000:
 *                        the source of truth;
 *   sync_inventory       (leader, every SHOPVOX_INVENTORY_SYNC_S) reads only
 *                        what changed (PEOPLEVOX_INVENTORY_CHANGES): the item
 *                        codes Peoplevox's AvailabilityChanges callbacks
 *                        hinted (a filtered report, 50 codes a call), or a
 *                        tenant report with a last-changed column; with no
 *                        change it calls nothing;
 *   set_inventory        one per item x Shopline location (dedupe key
 *                        "ITEM|LOCATION"): pushes the newest wanted value.
 *
 * Both reads store Available per item x site with the time the read
 * began, then recompute every wanted value (available - in-flight
 * reservation, inventory_store_plan) and queue a set_inventory job for
 * each level whose wanted value differs from the pushed one. Their
 * Peoplevox calls take tokens at LOW priority (the job kinds' rows), so
 * Sales Orders go first; set_inventory takes LOW Shopline tokens, so
 * fulfillments (HIGH) are never delayed by a backlog.
 *
 * Coalescing: a set_inventory job carries only its key. It reads the
 * wanted value when it runs, so a value changed while it waited is pushed
 * once, in its newest form; one live job per key (the queue's unique
 * index) means no two replicas push one level at once; after a push the
 * value is recorded only if it is still the wanted one (compare-and-set),
 * and when it is not the job pushes again at once (up to
 * INVENTORY_PUSH_ROUNDS, then a retry), so a stale value is never the
 * last one pushed, across replicas and retries.
 */
#ifndef SHOPVOX_INVENTORY_JOBS_H
#define SHOPVOX_INVENTORY_JOBS_H

#include "job_handler.h"

#define INVENTORY_SYNC_KIND "sync_inventory"
#define INVENTORY_FULL_KIND "sync_inventory_full"
#define INVENTORY_HINTS_PER_RUN 500     /* hinted codes one change read takes (10 calls) */
#define INVENTORY_ENQUEUE_MAX 20000     /* set_inventory jobs one run queues; the rest next run */
#define INVENTORY_MAX_ROWS 2000000      /* rows one read accepts (guards memory) */
#define INVENTORY_FULL_THROTTLED_MAX 50 /* throttled pages one full read waits out */
#define INVENTORY_PUSH_ROUNDS 3         /* pushes of one job when the value keeps changing */
#define INVENTORY_CHANGES_WATERMARK "inventory_changes_watermark"
#define INVENTORY_CHANGES_OVERLAP_S 300 /* a changes report is re-read from 5 min back */
#define INVENTORY_UNMAPPED_TYPE "inventory_unmapped"

/* Job sync_inventory (payload ignored). */
void inventory_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);
/* Job sync_inventory_full (payload ignored). */
void inventory_full_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);
/* Job set_inventory (dedupe key "ITEM|LOCATION"; payload ignored). */
void inventory_push_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * The AvailabilityChanges hint (the Peoplevox nudge with ?ItemCode=...):
 * queues item_code for the next sync_inventory. ST_FAIL (err says why)
 * when it is not an item code a search clause can name.
 */
enum st inventory_hint(struct store_conn *c, const char *shop, const char *item_code,
                       struct errbuf *err);

/* {"SITE": "LOCATION_ID", ...} of SHOPVOX_LOCATION_MAP (checked at start); owned. */
char *inventory_location_map_json(const struct cfg *cfg);

/*
 * In the caller's transaction: takes the shop's inventory lock, then
 * recomputes the wanted values and queues a set_inventory job for each
 * level to push, as every read ends (the drift reconciliation's way to
 * correct a level: it never pushes one itself). *queued counts them.
 */
enum st inventory_queue_pushes(struct worker_ctx *w, long *queued, struct errbuf *err);

/* Registers the inventory metric families (idempotent). */
void inventory_metrics_describe(void);

#endif
