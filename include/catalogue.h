/*
 * catalogue.h - the Peoplevox item catalogue mirrored into `items`, and the
 * automatic re-check of orders held for SKU or routing problems.
 */
#ifndef SHOPVOX_CATALOGUE_H
#define SHOPVOX_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include "csv.h"
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
 * more, see job_enqueue); *enqueued counts new jobs. Runs in the caller's
 * transaction if one is open.
 */
enum st catalogue_recheck_held(struct store_conn *c, const char *shop, int *enqueued,
                               struct errbuf *err);

/* ---- the pure part: an `Item types` table to catalogue rows ---- */

/* One item type as the catalogue keeps it; strings borrowed from the table. */
struct catalogue_item {
    const char *code;
    const char *barcode;   /* NULL when the tenant has no Barcode column or it is empty */
    const char *name;      /* NULL likewise */
    bool active;
};

struct catalogue_items {
    struct catalogue_item *items; /* owned array, sorted by code, codes unique */
    size_t n;
    size_t skipped_empty;  /* rows without an item code (ignored) */
    size_t duplicates;     /* rows repeating an earlier code (the first row wins) */
};

/*
 * Maps the rows of an `Item types` table (row 0 = header) by column name
 * (case-insensitive, trimmed; extra and reordered columns are fine).
 * ItemCode is required; Barcode and Name are optional. An item is inactive
 * when its code contains "~D~", or the tenant has an Active/IsActive
 * column saying false, or a Deleted/IsDeleted/Deactivated column saying
 * true. A table with no rows at all is an empty catalogue. ST_FAIL (err
 * names the columns seen) when the header has no ItemCode column. The
 * result borrows t's strings: keep t alive while using *out.
 */
enum st catalogue_items_from_table(const struct csv_table *t, struct catalogue_items *out,
                                   struct errbuf *err);
void catalogue_items_cleanup(struct catalogue_items *c);

/* True when a Peoplevox item code marks a deactivated item ("~D~"). */
bool catalogue_code_is_deactivated(const char *code);

#endif
