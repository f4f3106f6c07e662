/*
 * catalogue.h - the Peoplevox item catalogue mirrored into `items`, and the
 * automatic re-check of orders held for SKU or routing problems.
 */
#ifndef SHOPVOX_CATALOGUE_H
#define SHOPVOX_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include "catalogue_items.h"
#include "job_handler.h"

/* Upper bound on item types one sync accepts (guards memory). */
#define CATALOGUE_MAX_ITEMS 500000

/* Job "catalogue_sync" (payload {}): pages `Item types` into items. */
void catalogue_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * Enqueues post_sales_order for every on_hold order of shop whose hold is
 * a SKU or routing problem (hold_reason 'sku' or 'routing'), and for every
 * ready order whose post job is running right now (it may have read the
 * catalogue before the change; the running job is marked to run once
 * more, see job_enqueue) or waiting (e.g. for the first sync: it is
 * brought forward); *enqueued counts new jobs. Runs in the caller's
 * transaction if one is open.
 */
enum st catalogue_recheck_held(struct store_conn *c, const char *shop, int *enqueued,
                               struct errbuf *err);

#endif
