/*
 * so_look.h - after a save whose outcome is unknown (a timeout, a dropped
 * connection, a batched call with rejected rows): what Peoplevox holds of
 * an order, judged against what shopvox would send now (pure).
 *
 * Decisions:
 *   - Absent: no `Sales orders` row carries the number. The order is sent
 *     (alone, as every order whose outcome was unknown).
 *   - Conflict: a row exists that so_compare (sales_order_rows.h) finds
 *     different -- Cancelled, another site, another customer email or
 *     total. It is held, never overwritten.
 *   - Complete: a re-save would change nothing. The order row and every
 *     item row shopvox would send are there (an item row found by
 *     SalesOrderNumber and Line, its key in Peoplevox) and every field
 *     shopvox sends shows the same value (money numerically, so_money_equal;
 *     anything else byte for byte). Nothing is sent; the order counts as
 *     sent.
 *   - Items: the order row is there as shopvox would send it, an item row
 *     is missing or shows a field differently (the item rows' save was
 *     lost, or never made because the order rows' answer was): the item
 *     rows alone are saved again.
 *   - Resend: the order row is ours (no conflict) but shows a field
 *     differently or not at all (an address edited since, a date Peoplevox
 *     prints its own way, a field its GetData does not show): saved again,
 *     order row then item rows. Re-saving is always safe (SaveData is an
 *     upsert on those keys), so whatever cannot be confirmed is re-saved --
 *     a shortcut is taken only when it is exact.
 *   - Rows Peoplevox holds beyond ours (another Line) do not matter: a
 *     re-save would leave them as they are too.
 */
#ifndef SHOPVOX_SO_LOOK_H
#define SHOPVOX_SO_LOOK_H

#include <stddef.h>

#include "csv.h"
#include "pvx_soap.h"
#include "sales_order_rows.h"

enum so_look_verdict {
    SO_LOOK_ABSENT = 0,
    SO_LOOK_CONFLICT,
    SO_LOOK_RESEND,
    SO_LOOK_ITEMS,
    SO_LOOK_COMPLETE
};

/* "absent", "conflict", "resend", "items", "complete". */
const char *so_look_verdict_name(enum so_look_verdict v);

/* What shopvox would send for one order, and Peoplevox's answers about it. */
struct so_look_case {
    const struct so_order *order;
    const char *site;                   /* where the Sales Order would be (compared) */
    const struct pvx_record *order_row; /* the order row shopvox would send */
    const struct pvx_record *item_rows; /* its item rows */
    size_t n_items;
    const struct csv_table *heads;      /* GetData `Sales orders` (header row 0) */
    const struct csv_table *items;      /* GetData `Sales order items`; may be NULL when
                                           heads holds no row of the order */
};

/*
 * The verdict for c; why says what differs (conflict), what a re-save
 * would change (resend, items), or is "" (absent, complete).
 */
enum so_look_verdict so_look_judge(const struct so_look_case *c, char *why, size_t cap);

/*
 * The row of t (header row 0) whose key fields (the names in keys) hold
 * rec's values for them, or 0 when none does.
 */
size_t so_look_find_row(const struct csv_table *t, const struct pvx_record *rec,
                        const char *const *keys, size_t n_keys);

#endif
