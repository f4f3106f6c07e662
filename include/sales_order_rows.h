/*
 * sales_order_rows.h - a stored order as Peoplevox Sales Order rows, and
 * Peoplevox's answer about those rows read back per order (pure).
 *
 * Everything here works on plain structs filled by the order store
 * (order_store.h) and on Peoplevox's parsed answers; no database, no
 * network, so every value that goes on the wire is unit-tested.
 *
 * Decisions:
 *  - Rows are lists of values by field NAME, never by position: the
 *    posting flow maps them against the tenant's save template, so a
 *    tenant's extra or reordered columns are fine and a cancellation can
 *    send two fields without blanking the others.
 *  - Money goes out as the stored numeric(20,4) text without zeros past
 *    two decimals ("12.5000" -> "12.50", "0.1250" -> "0.125"); it is never
 *    turned into a float on the way out. Comparing Peoplevox's TotalSale
 *    with ours is numeric (to 0.00005), since Peoplevox may format it
 *    differently.
 *  - ShippingAddressCountry carries the ISO country code when Shopline sent
 *    one (unambiguous for carriers), else the country name: the order store
 *    reads it so.
 *  - An existing Sales Order "matches" ours when it is not Cancelled and
 *    its Site, Email (case-insensitive) and TotalSale agree; a column the
 *    tenant's template lacks is not compared.
 */
#ifndef SHOPVOX_SALES_ORDER_ROWS_H
#define SHOPVOX_SALES_ORDER_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "csv.h"
#include "order.h"
#include "pvx_soap.h"

/* Peoplevox's limit on SalesOrderNumber, counted in bytes (see so_number_make). */
#define SO_NUMBER_MAX_BYTES 30

/* The Sales Order templates. */
#define SO_TEMPLATE_ORDERS "Sales orders"
#define SO_TEMPLATE_ITEMS "Sales order items"

/*
 * Builds the Sales Order number: prefix + order name without '#'.
 * Returns 0, or -1 when the result would exceed SO_NUMBER_MAX_BYTES, the
 * name part is empty, either part holds a control character, or out
 * (cap bytes with the NUL) is too small. Never truncates. Length is
 * counted in UTF-8 bytes: Peoplevox says "30 characters" without saying
 * how it counts, and bytes can never be too long for it (as sku.h does
 * for item codes).
 */
int so_number_make(const char *prefix, const char *name, char *out, size_t cap);

/* ---- the stored order ---- */

struct so_address {
    char *line1, *line2, *city, *region, *postcode, *country;
};

/*
 * An order as the posting needs it. Every string is owned (NULL when the
 * column is NULL) and released by so_order_cleanup; a zeroed struct is
 * empty and safe to clean up.
 */
struct so_order {
    char *shop, *name, *state, *hold_reason;
    char *so_number, *site;    /* what an earlier attempt stored, or NULL */
    bool post_started;         /* an earlier attempt may have created the Sales Order */
    bool sent;                 /* a Sales Order was sent */
    char *location_id, *country_code;           /* routing inputs */
    char *email;               /* the order's, else the customer's */
    char *customer;            /* the customer's full name */
    char *contact;             /* the shipping address's name */
    struct so_address ship, bill;
    char *shipping, *total, *discount, *tax;    /* numeric(20,4) text */
    char *created;             /* "YYYY-MM-DD HH:MM:SS", UTC */
    char *service;             /* the shipping code, else its title */
};

void so_order_cleanup(struct so_order *o);

/*
 * The order's stored lines, in a stable order. Each order_line has only
 * line_id, sku, price (owned; sku and price may be NULL), quantity,
 * requires_shipping and fulfillable_quantity (-1) set. line_no[i] is the
 * line's Peoplevox Line number, 0 while it has none.
 */
struct so_lines {
    struct order_line *lines;
    int *line_no;
    size_t n;
};

/* Allocates room for n lines (zeroed; fulfillable_quantity -1). */
void so_lines_alloc(struct so_lines *l, size_t n);
void so_lines_cleanup(struct so_lines *l);
/*
 * Gives each line that ships (order_line_ships) and has no Line number
 * yet the next one after the highest in use, in line order: numbers once
 * given never change, so a re-save updates the same Peoplevox rows.
 */
void so_lines_number(struct so_lines *l);

/* ---- rows by field name (struct pvx_record, pvx_soap.h) ---- */

#define SO_ORDER_FIELDS 27
#define SO_ITEM_FIELDS 6
#define SO_MONEY_MAX_BYTES 64

/* The order row; values point into the order, the caller's strings and row itself. */
struct so_order_row {
    struct pvx_field_value v[SO_ORDER_FIELDS];
    char ship[SO_MONEY_MAX_BYTES], total[SO_MONEY_MAX_BYTES];
    char discount[SO_MONEY_MAX_BYTES], tax[SO_MONEY_MAX_BYTES];
    struct pvx_record rec;      /* {v, SO_ORDER_FIELDS} */
};

/* One item row; values point into the lines, the caller's strings and row itself. */
struct so_item_row {
    struct pvx_field_value v[SO_ITEM_FIELDS];
    char qty[24], line[24], price[SO_MONEY_MAX_BYTES];
    struct pvx_record rec;      /* {v, SO_ITEM_FIELDS} */
};

/* Money as sent (see Decisions); "" for NULL. */
void so_money(const char *v, char *out, size_t cap);
/* True when both are empty, or both are numbers within 0.00005, or (not numbers) equal. */
bool so_money_equal(const char *a, const char *b);

/* The order row for Sales Order so_number at site (both borrowed). */
void so_order_row_fill(const struct so_order *o, const char *so_number, const char *site,
                       struct so_order_row *row);

/*
 * One item row per line the warehouse ships: a line with a resolved item
 * code (item_codes[i], NULL when none) and a Line number. rows has room
 * for l->n; returns how many were filled, in line order.
 */
size_t so_item_rows_fill(const struct so_lines *l, char *const *item_codes, const char *so_number,
                         struct so_item_row *rows);

/*
 * Why Peoplevox's Sales Order (row `row` of t, header in row 0) differs
 * from what we would send to site; why becomes "" when it does not.
 */
void so_compare(const struct so_order *o, const char *site, const struct csv_table *t, size_t row,
                char *why, size_t cap);

/* ---- a batched save's answer, per order ---- */

/* What Peoplevox said about one order's rows in one save. */
struct so_verdict {
    size_t rows;               /* rows of this order in the call (set by the caller) */
    size_t seen;               /* statuses matched to it */
    const char *error;         /* first error message (borrowed from the response), or NULL */
};

/*
 * Matches r's row statuses to the orders of a call: by Reference (=
 * SalesOrderNumber; numbers[i] is order i's, v[i].rows > 0 for the orders
 * in the call), else by position (owner[k] = order of row k) when there is
 * exactly one status per row. Adds to v[].seen and sets v[].error.
 * Returns false when neither can tell; *by_position tells which was used.
 */
bool so_verdicts_match(const char *const *numbers, size_t n_orders, const size_t *owner,
                       size_t n_rows, const struct pvx_response *r, struct so_verdict *v,
                       bool *by_position);

/* One order's share of a batched save, as a single save would have reported it. */
enum so_share {
    SO_SHARE_SAVED,            /* ST_OK: accepted */
    SO_SHARE_CALL_RETRY,       /* ST_RETRY as the call: unavailable, throttled or unknown */
    SO_SHARE_REFUSED_WHOLE,    /* refused for a data reason naming no row: retried alone */
    SO_SHARE_UNMATCHED,        /* statuses not matched to the orders: retried alone */
    SO_SHARE_REJECTED,         /* its own row was rejected: ST_FAIL with the row's message */
    SO_SHARE_OTHERS_REJECTED   /* other rows were rejected: not assumed saved, retried alone */
};

/*
 * Decides one order's share from the call's status, whether its outcome
 * is unknown, how many row statuses came back, whether they were matched
 * (so_verdicts_match) and the order's verdict.
 */
enum so_share so_batch_share(enum st call, bool call_unknown, size_t n_statuses, bool matched,
                             const struct so_verdict *v);
/* ST_OK, ST_RETRY or ST_FAIL for a share. */
enum st so_share_status(enum so_share s);
/* "saved", "call_retry", "refused_whole", ... (logs and tests). */
const char *so_share_name(enum so_share s);

#endif
