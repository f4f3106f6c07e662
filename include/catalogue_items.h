/*
 * catalogue_items.h - the pure part of the catalogue mirror: Peoplevox's
 * `Item types` table, mapped by column name to the rows the `items` table
 * keeps (domain: used by the catalogue sync and its store adapter).
 */
#ifndef SHOPVOX_CATALOGUE_ITEMS_H
#define SHOPVOX_CATALOGUE_ITEMS_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "csv.h"

/* The Peoplevox template the catalogue is read from. */
#define CATALOGUE_TEMPLATE "Item types"

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
