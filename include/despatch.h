/*
 * despatch.h - Peoplevox despatches as Shopline fulfillments (pure).
 *
 * The despatch poller reads the `Despatch summary` report (one row per
 * item per despatch; several despatch numbers for one order are partial
 * despatches) and this module turns those rows into despatches, then a
 * despatch's item quantities into quantities per Shopline line id. No
 * database, no network: the app module (app/despatch.c) reads and stores.
 *
 * Decisions:
 *  - Columns are found by NAME (case-insensitive, trimmed), never by
 *    position: a tenant's report may order or extend them. A missing
 *    required column fails the whole table (nothing can be read right).
 *  - A row that cannot be read (no despatch number, bad date, bad
 *    quantity) marks its despatch invalid with a reason, never the table:
 *    one bad row must not block the others. The caller opens an exception.
 *  - Dates are day-first, often quoted in single quotes
 *    ('03/07/2017 06:03', seconds optional), in the tenant's local time
 *    (PEOPLEVOX_TIMEZONE). This module reads the wall clock only
 *    (despatch.local_s); the caller turns it into an instant with the
 *    zone's rules (PostgreSQL's, so DST is right), which a pure module
 *    could only do through the process-wide TZ.
 *  - Rows of one despatch carrying the same item code are summed.
 *  - A despatched item code belongs to every order line that was sent
 *    as that code, whose Shopline SKU is that code, or whose SKU sku_map
 *    maps to it now (a mapping added after the order was sent counts).
 *  - Allocation fills the matching lines in the given order (line_no),
 *    each up to its quantity minus what was already despatched, so a line
 *    is never over-fulfilled; an item code the order lacks, or more units
 *    than the lines have left, makes the whole despatch unmappable (no
 *    partial allocation: a fulfillment must match what left the warehouse).
 *
 * Ownership: results are owned by the caller (the _cleanup functions
 * release them); inputs are borrowed.
 */
#ifndef SHOPVOX_DESPATCH_H
#define SHOPVOX_DESPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "csv.h"

#define DESPATCH_REPORT "Despatch summary"

/* One item code of a despatch and how many units left the warehouse. */
struct despatch_item {
    char *item_code;
    long quantity;                  /* > 0 */
};

struct despatch {
    char *number;                   /* Despatch number */
    char *so_number;                /* Salesorder number */
    char *carrier, *service, *tracking, *site; /* "" when blank */
    int64_t local_s;                /* Despatch date on the tenant's wall clock, in
                                     * seconds as if it were UTC (despatch_parse_date) */
    int64_t despatched_at_s;        /* Unix seconds, UTC: set by the caller from local_s */
    char *invalid;                  /* NULL, or why a row of it could not be read */
    size_t n_items;
    struct despatch_item *items;
};

struct despatch_list {
    size_t n;
    struct despatch *items;
};

/*
 * Parses a Peoplevox date "DD/MM/YYYY HH:MM[:SS]", optionally inside single
 * or double quotes and spaces: 0 and *wall_s, the wall-clock time counted
 * in seconds from 01/01/1970 00:00 with no zone applied (for a UTC tenant
 * that is the Unix time), or -1 when it is not one (a field out of range
 * included).
 */
int despatch_parse_date(const char *text, int64_t *wall_s);

/*
 * Groups the rows of a `Despatch summary` table (row 0 the header) by
 * despatch number, in first-seen order, appending to *out. ST_FAIL (err
 * names the column) when a required column is missing; bad rows mark
 * their despatch invalid instead (a row without a despatch number becomes
 * a despatch of its own, number "", invalid).
 */
enum st despatch_group_rows(const struct csv_table *t, struct despatch_list *out,
                            struct errbuf *err);

void despatch_list_cleanup(struct despatch_list *l);

/* An order line as the allocation sees it (borrowed strings). */
struct despatch_order_line {
    const char *line_id;
    const char *item_code;          /* the Peoplevox item code the line was sent as */
    long quantity;                  /* ordered */
    long despatched;                /* already despatched by earlier despatches */
    const char *sku;                /* the Shopline SKU, or NULL */
    const char *mapped_code;        /* sku_map's item code for sku today, or NULL */
};

/* Whether despatched item code `code` belongs to line (see Decisions). */
bool despatch_line_carries(const struct despatch_order_line *line, const char *code);

/* Units of one order line carried by a despatch. */
struct despatch_alloc {
    size_t line;                    /* index into the order lines given */
    long quantity;                  /* > 0 */
};

/*
 * Allocates d's items to lines[0..n_lines) (despatch_line_carries): *out (owned, free()) gets one
 * entry per line that receives units, in line order, *n_out of them.
 * Returns 0, or -1 with why (cap bytes) naming the item code when an item
 * is not on the order or more units were despatched than its lines have
 * left; *out is then NULL.
 */
int despatch_allocate(const struct despatch *d, const struct despatch_order_line *lines,
                      size_t n_lines, struct despatch_alloc **out, size_t *n_out, char *why,
                      size_t cap);

#endif
