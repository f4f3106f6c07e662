/*
 * pvxf_returns.c - returns in the fake warehouse: the tenant's `Returns`
 * save template, expected returns saved through it, and returns received
 * at the warehouse (the rows of the `Return summary` report).
 *
 * The `Returns` template is per tenant like the others: its field names
 * and their order are whatever the tenant configured (the control API
 * sets them; a tenant may have no Returns template at all, and then
 * GetSaveTemplate and SaveData on it fail as for any unknown template).
 * The fake reads a row by role, each role known under a few names, so a
 * tenant that calls its reference `RmaNumber` still works:
 *
 *   reference    ReturnReference | Reference | RmaNumber   (required)
 *   sales order  SalesOrderNumber                          (required)
 *   item code    ItemCode                                  (required)
 *   quantity     Quantity | QuantityExpected               (required)
 *   reason       ReturnReason | Reason
 *   comments     Comments | Notes
 *
 * SaveData is an upsert keyed on reference + item code. Rows are checked
 * before anything changes (an Error row changes nothing): the Sales Order
 * must exist and not be cancelled, the item must be a known item type on
 * that order, the quantity a whole number >= 1, and a reference already
 * used for another Sales Order is refused. A template that lacks a
 * required role refuses every row, the way a tenant whose template cannot
 * take a return would.
 *
 * Receiving (control endpoint) does not need an expected return, as in a
 * real warehouse: it adds one `Return summary` row with a new return code
 * (RET000001 ...) and, when the goods are reusable, puts them back on the
 * shelf at the order's site.
 */
#include "pvxf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define PVXF_REF_MAX_CHARS 30

static const char *const pvxf_returns_default_fields[] = {
    "SalesOrderNumber", "ReturnReference", "ItemCode", "Quantity", "ReturnReason", "Comments",
};

enum pvxf_ret_role { R_REF, R_SO, R_CODE, R_QTY, R_REASON, R_COMMENTS, R_COUNT };

static const char *const pvxf_role_names[R_COUNT][3] = {
    [R_REF] = {"ReturnReference", "Reference", "RmaNumber"},
    [R_SO] = {"SalesOrderNumber", NULL, NULL},
    [R_CODE] = {"ItemCode", NULL, NULL},
    [R_QTY] = {"Quantity", "QuantityExpected", NULL},
    [R_REASON] = {"ReturnReason", "Reason", NULL},
    [R_COMMENTS] = {"Comments", "Notes", NULL},
};

static bool pvxf_role_required(enum pvxf_ret_role r)
{
    return r == R_REF || r == R_SO || r == R_CODE || r == R_QTY;
}

void pvxf_returns_set_template(struct pvxf_state *st, const char *const *names, size_t n)
{
    for (size_t i = 0; i < st->n_ret_fields; i++)
        free(st->ret_fields[i]);
    free(st->ret_fields);
    st->ret_fields = NULL;
    st->n_ret_fields = n;
    if (n == 0)
        return;
    st->ret_fields = xcalloc(n, sizeof(*st->ret_fields));
    for (size_t i = 0; i < n; i++)
        st->ret_fields[i] = xstrdup(names[i]);
}

void pvxf_returns_init(struct pvxf_state *st)
{
    pvxf_returns_set_template(st, pvxf_returns_default_fields,
                              ARRAY_LEN(pvxf_returns_default_fields));
}

void pvxf_returns_cleanup(struct pvxf_state *st)
{
    for (size_t i = 0; i < st->n_returns; i++) {
        struct pvxf_return *r = &st->returns[i];

        free(r->code);
        free(r->so);
        free(r->item_code);
        free(r->reason);
        free(r->condition);
        free(r->site);
    }
    for (size_t i = 0; i < st->n_expected; i++) {
        struct pvxf_expected *e = &st->expected[i];

        free(e->reference);
        free(e->so);
        free(e->item_code);
        free(e->reason);
        free(e->comments);
    }
    free(st->returns);
    free(st->expected);
    pvxf_returns_set_template(st, NULL, 0);
}

/* The template field index of each role, -1 when the tenant's template lacks it. */
static void pvxf_role_fields(const struct pvxf_state *st, int *field)
{
    const char *const *names = (const char *const *)st->ret_fields;

    for (int r = 0; r < R_COUNT; r++) {
        field[r] = -1;
        for (size_t k = 0; k < 3 && field[r] < 0 && pvxf_role_names[r][k] != NULL; k++)
            field[r] = pvxf_field_index(names, st->n_ret_fields, pvxf_role_names[r][k]);
    }
}

static struct pvxf_expected *pvxf_find_expected(struct pvxf_state *st, const char *ref,
                                                const char *code)
{
    for (size_t i = 0; i < st->n_expected; i++) {
        if (strcmp(st->expected[i].reference, ref) == 0 &&
            (code == NULL || strcmp(st->expected[i].item_code, code) == 0))
            return &st->expected[i];
    }
    return NULL;
}

static bool pvxf_order_has_item(const struct pvxf_order *o, const char *code)
{
    for (size_t k = 0; k < o->n_lines; k++) {
        if (strcmp(pvxf_line_get(&o->lines[k], "ItemCode"), code) == 0)
            return true;
    }
    return false;
}

/* Why a row (values by role) cannot be applied, or NULL. */
static const char *pvxf_check_return_row(struct pvxf_state *st, const char *const *v, char *msg,
                                         size_t cap)
{
    struct pvxf_order *o = pvxf_store_find_order(st, v[R_SO]);
    struct pvxf_expected *same_ref = pvxf_find_expected(st, v[R_REF], NULL);

    msg[0] = '\0';
    if (v[R_REF][0] == '\0')
        snprintf(msg, cap, "A return reference is required");
    else if (strlen(v[R_REF]) > PVXF_REF_MAX_CHARS)
        snprintf(msg, cap, "Return reference '%s' is longer than %d characters", v[R_REF],
                 PVXF_REF_MAX_CHARS);
    else if (v[R_SO][0] == '\0')
        snprintf(msg, cap, "SalesOrderNumber is required");
    else if (o == NULL)
        snprintf(msg, cap, "Sales order '%s' does not exist", v[R_SO]);
    else if (strcmp(o->status, "Cancelled") == 0)
        snprintf(msg, cap, "Sales order '%s' is cancelled", v[R_SO]);
    else if (same_ref != NULL && strcmp(same_ref->so, v[R_SO]) != 0)
        snprintf(msg, cap, "Return '%s' belongs to Sales order '%s'", v[R_REF], same_ref->so);
    else if (v[R_CODE][0] == '\0')
        snprintf(msg, cap, "ItemCode is required");
    else if (pvxf_find_item(st, v[R_CODE]) == NULL)
        snprintf(msg, cap, "Item type '%s' does not exist", v[R_CODE]);
    else if (!pvxf_order_has_item(o, v[R_CODE]))
        snprintf(msg, cap, "Item type '%s' is not on Sales order '%s'", v[R_CODE], v[R_SO]);
    else if (!pvxf_is_int(v[R_QTY], 1))
        snprintf(msg, cap, "Quantity '%s' is not a positive whole number", v[R_QTY]);
    return msg[0] ? msg : NULL;
}

static void pvxf_set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v != NULL ? v : "");
}

static void pvxf_save_return_row(struct pvxf_state *st, const struct csv_table *csv, size_t row,
                                 const int *map, const void *ctx, struct pvxf_result *res)
{
    const int *field = ctx;
    const char *v[R_COUNT];
    char msg[256];
    const char *err;
    struct pvxf_expected *e;

    for (int r = 0; r < R_COUNT; r++) {
        const char *x = field[r] >= 0 ? pvxf_row_value(csv, row, map, field[r]) : NULL;
        v[r] = x != NULL ? x : "";
    }
    err = pvxf_check_return_row(st, v, msg, sizeof(msg));
    if (err != NULL) {
        pvxf_result_add_status(res, v[R_REF], "Error", err);
        return;
    }
    e = pvxf_find_expected(st, v[R_REF], v[R_CODE]);
    if (e == NULL) {
        st->expected = buf_grow_array(st->expected, &st->cap_expected, st->n_expected + 1,
                                      sizeof(*e));
        e = &st->expected[st->n_expected++];
        memset(e, 0, sizeof(*e));
        e->reference = xstrdup(v[R_REF]);
        e->so = xstrdup(v[R_SO]);
        e->item_code = xstrdup(v[R_CODE]);
    }
    e->qty = strtol(v[R_QTY], NULL, 10);
    pvxf_set_str(&e->reason, v[R_REASON]);
    pvxf_set_str(&e->comments, v[R_COMMENTS]);
    pvxf_result_add_status(res, v[R_REF], "Success", "");
}

void pvxf_returns_save(struct pvxf_state *st, const struct csv_table *csv,
                       struct pvxf_result *res)
{
    int field[R_COUNT];
    int *map = NULL;

    if (st->ret_fields == NULL) {
        pvxf_result_fail(res, "Template '%s' does not exist", PVXF_RETURNS_TEMPLATE);
        return;
    }
    if (csv->n_rows == 0) {
        pvxf_result_fail(res, "CsvData has no header row");
        return;
    }
    map = xcalloc(csv->rows[0].n, sizeof(*map));
    if (pvxf_map_header(csv, (const char *const *)st->ret_fields, st->n_ret_fields, map, res,
                        PVXF_RETURNS_TEMPLATE) < 0)
        goto out;
    pvxf_role_fields(st, field);
    for (int r = 0; r < R_COUNT; r++) {
        if (pvxf_role_required((enum pvxf_ret_role)r) && field[r] < 0) {
            pvxf_result_fail(res, "Template '%s' has no %s field", PVXF_RETURNS_TEMPLATE,
                             pvxf_role_names[r][0]);
            goto out;
        }
    }
    pvxf_store_save_rows(st, csv, map, pvxf_save_return_row, field, res);
out:
    free(map);
}

/* Puts qty of code back on the shelf at site (a stock row is made when there is none). */
static void pvxf_restock(struct pvxf_state *st, const char *code, const char *site, long qty)
{
    struct pvxf_stock *sk = pvxf_find_stock(st, code, site);

    pvxf_store_put_item(st, code, NULL, NULL, site, (sk != NULL ? sk->on_hand : 0) + qty);
}

enum st pvxf_store_add_return(struct pvxf_state *st, const struct pvxf_receipt *rc,
                              char **code_out, struct errbuf *err)
{
    struct pvxf_order *o = pvxf_store_find_order(st, rc->so ? rc->so : "");
    struct pvxf_return *r;

    if (o == NULL) {
        errbuf_set(err, "sales order %s does not exist", rc->so ? rc->so : "(none)");
        return ST_FAIL;
    }
    if (rc->item_code == NULL || pvxf_find_item(st, rc->item_code) == NULL || rc->qty <= 0) {
        errbuf_set(err, "a return needs a known ItemCode and a positive Quantity");
        return ST_FAIL;
    }
    st->returns = buf_grow_array(st->returns, &st->cap_returns, st->n_returns + 1, sizeof(*r));
    r = &st->returns[st->n_returns++];
    r->code = rc->code != NULL && rc->code[0] != '\0' ? xstrdup(rc->code)
                                                      : xasprintf("RET%06ld", st->next_return);
    st->next_return++;
    r->so = xstrdup(rc->so);
    r->item_code = xstrdup(rc->item_code);
    r->reason = xstrdup(rc->reason ? rc->reason : "Unwanted");
    r->condition = xstrdup(rc->condition ? rc->condition : "Good");
    r->site = xstrdup(pvxf_order_get(o, "Site"));
    r->qty = rc->qty;
    r->reusable = rc->reusable;
    r->at_ms = rc->at_ms > 0 ? rc->at_ms : now_ms_wall();
    if (r->reusable)
        pvxf_restock(st, r->item_code, r->site, r->qty);
    *code_out = xstrdup(r->code);
    return ST_OK;
}
