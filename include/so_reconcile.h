/*
 * so_reconcile.h - orders shopvox sent against the Sales Orders Peoplevox
 * holds (pure; the warehouse sweep, reconcile.h, reads both sides).
 *
 * Decisions:
 *   - A Sales Order is compared by its lines summed per item code (a code
 *     on two lines counts once with both quantities): the warehouse picks
 *     by code, and shopvox numbers lines its own way, so line numbers and
 *     order are not compared. Item codes compare case-insensitively, as
 *     Peoplevox looks them up.
 *   - Missing: no `Sales orders` row with the number. Different: the
 *     header says Cancelled while shopvox holds the order as sent or later,
 *     or any item code's quantity differs (a code on one side only counts
 *     as 0 on the other). The detail names every difference, as many as
 *     fit.
 *   - Ours: a Sales Order number that starts with the prefix shopvox names
 *     Sales Orders with (SHOPVOX_ORDER_PREFIX). With no prefix nothing can
 *     be told apart from Sales Orders others create in the tenant, so no
 *     number is ours (the unknown check is off).
 */
#ifndef SHOPVOX_SO_RECONCILE_H
#define SHOPVOX_SO_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "csv.h"

struct sorec_line {
    char *item_code;   /* owned */
    long quantity;
};

/* One Sales Order as one side holds it. */
struct sorec_order {
    char *so_number;   /* owned */
    char *status;      /* owned: Peoplevox's Status, "" when not read */
    bool has_header;   /* a `Sales orders` row came back for it */
    struct sorec_line *lines;
    size_t n_lines, cap_lines;
};

/* A few Sales Orders (one batch of a sweep): linear lookups. */
struct sorec_set {
    struct sorec_order *orders;
    size_t n, cap;
};

void sorec_set_init(struct sorec_set *s);
void sorec_set_cleanup(struct sorec_set *s);
/* The order numbered so (exact), created empty when create; NULL when absent. Borrowed. */
struct sorec_order *sorec_set_get(struct sorec_set *s, const char *so, bool create);
/* Adds quantity of item_code to o (summed with the code's earlier lines). */
void sorec_add_line(struct sorec_order *o, const char *item_code, long quantity);

/*
 * Rows of a `Sales orders` GetData (header row 0: SalesOrderNumber,
 * Status) into s, marked has_header. -1 with err when a column is missing.
 */
int sorec_load_headers(struct sorec_set *s, const struct csv_table *t, struct errbuf *err);
/*
 * Rows of a `Sales order items` GetData (SalesOrderNumber, ItemCode,
 * QuantityOrdered) into s's orders (created when absent, without header).
 * A quantity that is not a whole number counts as -1 (always different).
 * -1 with err when a column is missing.
 */
int sorec_load_items(struct sorec_set *s, const struct csv_table *t, struct errbuf *err);

enum sorec_verdict {
    SOREC_MATCH = 0,
    SOREC_MISSING,
    SOREC_DIFFERENT
};

/*
 * ours (what shopvox sent) against theirs (NULL: nothing came back); for
 * anything but a match, detail says what differs ("" on a match).
 */
enum sorec_verdict sorec_compare(const struct sorec_order *ours, const struct sorec_order *theirs,
                                 char *detail, size_t cap);

/* Whether Sales Order number so is one shopvox would have named (prefix non-empty). */
bool sorec_is_ours(const char *so, const char *prefix);

#endif
