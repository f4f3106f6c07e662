/*
 * so_look.c - what Peoplevox holds of an order whose save's outcome is
 * unknown (see so_look.h for the decisions).
 */
#include "so_look.h"

#include <stdio.h>
#include <string.h>

/* The fields of an order row that carry money (compared numerically). */
static const char *const so_look_money[] = {"ShippingCost", "TotalSale", "Discount", "TaxPaid",
                                            "SalePrice"};

const char *so_look_verdict_name(enum so_look_verdict v)
{
    switch (v) {
    case SO_LOOK_ABSENT:
        return "absent";
    case SO_LOOK_CONFLICT:
        return "conflict";
    case SO_LOOK_RESEND:
        return "resend";
    case SO_LOOK_ITEMS:
        return "items";
    case SO_LOOK_COMPLETE:
        return "complete";
    }
    return "?";
}

/* rec's value of field name, or NULL when rec has no such field. */
static const char *so_look_value(const struct pvx_record *rec, const char *name)
{
    for (size_t i = 0; i < rec->n; i++) {
        if (strcmp(rec->values[i].name, name) == 0)
            return rec->values[i].value != NULL ? rec->values[i].value : "";
    }
    return NULL;
}

size_t so_look_find_row(const struct csv_table *t, const struct pvx_record *rec,
                        const char *const *keys, size_t n_keys)
{
    int col[4];

    if (t == NULL || n_keys == 0 || n_keys > ARRAY_LEN(col))
        return 0;
    for (size_t k = 0; k < n_keys; k++) {
        if ((col[k] = csv_table_col(t, keys[k])) < 0 || so_look_value(rec, keys[k]) == NULL)
            return 0;
    }
    for (size_t r = 1; r < t->n_rows; r++) {
        size_t k = 0;

        while (k < n_keys && strcmp(csv_table_get(t, r, col[k]), so_look_value(rec, keys[k])) == 0)
            k++;
        if (k == n_keys)
            return r;
    }
    return 0;
}

static bool so_look_is_money(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(so_look_money); i++) {
        if (strcmp(so_look_money[i], name) == 0)
            return true;
    }
    return false;
}

/* Whether row of t shows every field of rec as rec has it; else why names the first that not. */
static bool so_look_row_shows(const struct csv_table *t, size_t row, const struct pvx_record *rec,
                              const char *what, char *why, size_t cap)
{
    for (size_t i = 0; i < rec->n; i++) {
        const char *name = rec->values[i].name;
        const char *ours = rec->values[i].value != NULL ? rec->values[i].value : "";
        int col = csv_table_col(t, name);
        const char *theirs = col >= 0 ? csv_table_get(t, row, col) : NULL;

        if (theirs == NULL) {
            snprintf(why, cap, "Peoplevox does not show the %s's %s", what, name);
            return false;
        }
        if (so_look_is_money(name) ? !so_money_equal(ours, theirs) : strcmp(ours, theirs) != 0) {
            snprintf(why, cap, "the %s's %s differs", what, name);
            return false;
        }
    }
    return true;
}

enum so_look_verdict so_look_judge(const struct so_look_case *c, char *why, size_t cap)
{
    static const char *const order_key[] = {"SalesOrderNumber"};
    static const char *const item_key[] = {"SalesOrderNumber", "Line"};
    size_t row = so_look_find_row(c->heads, c->order_row, order_key, 1);

    why[0] = '\0';
    if (row == 0)
        return SO_LOOK_ABSENT;
    so_compare(c->order, c->site, c->heads, row, why, cap);
    if (why[0] != '\0')
        return SO_LOOK_CONFLICT;
    if (!so_look_row_shows(c->heads, row, c->order_row, "order row", why, cap))
        return SO_LOOK_RESEND;
    for (size_t i = 0; i < c->n_items; i++) {
        const struct pvx_record *rec = &c->item_rows[i];
        size_t at = so_look_find_row(c->items, rec, item_key, 2);

        if (at == 0) {
            snprintf(why, cap, "item row (Line %s) is missing", so_look_value(rec, "Line"));
            return SO_LOOK_ITEMS;
        }
        if (!so_look_row_shows(c->items, at, rec, "item row", why, cap))
            return SO_LOOK_ITEMS;
    }
    return SO_LOOK_COMPLETE;
}
