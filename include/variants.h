/*
 * variants.h - the Shopline catalogue mirrored into `variants` (SKU ->
 * inventory item), the sync_variants job, and the duplicate_sku exception.
 *
 * The inventory sync reads the table through variant_store.h; this module
 * keeps it fresh: the leader enqueues the job every SHOPVOX_VARIANT_SYNC_S,
 * and a products/update or inventory_items/update webhook enqueues it at
 * once (the same dedupe key, so a burst of webhooks is one sync; a sync
 * already running is marked to run once more, see job_enqueue).
 */
#ifndef SHOPVOX_VARIANTS_H
#define SHOPVOX_VARIANTS_H

#include <stdbool.h>

#include "common.h"
#include "job_handler.h"
#include "store.h"

#define VARIANTS_SYNC_KIND "sync_variants"
#define VARIANTS_SYNC_KEY "variants"           /* the job's dedupe key (and scheduler key) */
#define VARIANTS_EXC_DUPLICATE "duplicate_sku"
#define VARIANTS_MAX 500000                    /* variants one sync accepts (guards memory) */

/*
 * Job "sync_variants" (payload {}): pages products/products.json (250 a
 * page, the link cursor), one NORMAL-priority Shopline token per page, then
 * in one transaction replaces shop's variants with what was read (only
 * after a complete read), opens one duplicate_sku exception per SKU held
 * by two or more variants and resolves those no longer duplicated.
 */
void variants_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * Enqueues a sync of shop's variants now (deduplicated); *created (may be
 * NULL) tells whether a job was added. Runs in the caller's transaction.
 */
enum st variants_sync_enqueue(struct store_conn *c, const char *shop, bool *created,
                              struct errbuf *err);

#endif
