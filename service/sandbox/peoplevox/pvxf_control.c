/*
 * pvxf_control.c - the fake Peoplevox's part of the /_sandbox/ control API.
 *
 * The shared layer (../sandbox_control.c) answers reset and the call log,
 * checks methods and JSON bodies, and holds the state lock; this file
 * looks inside the warehouse (state, one order), sets the faults only
 * Peoplevox has (refuse_save, expire_sessions) beside the shared ones, and
 * plays the warehouse's part: add catalogue items, set stock on the shelf,
 * despatch (part of) an order (which takes it off the shelf), receive a
 * return (reusable goods go back on the shelf), set or remove the tenant's
 * `Returns` template, and change Sales Orders behind the integration's
 * back: `save` applies a CSV to a template as a person's import would (a
 * Sales Order shopvox never posted, a line changed), `sales_orders/delete`
 * loses one. Answers are JSON with an HTTP code (400 on bad input, 404 on
 * an unknown path or order).
 */
#include "pvxf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../sandbox_control.h"

static struct json_object *pvxf_order_json(const struct pvxf_order *o)
{
    struct json_object *j = json_object_new_object();
    struct json_object *fields = json_object_new_object();
    struct json_object *items = json_object_new_array();

    json_object_object_add(j, "SalesOrderNumber",
                           json_object_new_string(pvxf_order_get(o, "SalesOrderNumber")));
    json_object_object_add(j, "Status", json_object_new_string(o->status));
    json_object_object_add(j, "Site", json_object_new_string(pvxf_order_get(o, "Site")));
    for (size_t f = 0; f < pvxf_n_order_fields; f++) {
        if (o->vals[f][0] != '\0')
            json_object_object_add(fields, pvxf_order_fields[f],
                                   json_object_new_string(o->vals[f]));
    }
    for (size_t k = 0; k < o->n_lines; k++) {
        struct json_object *it = json_object_new_object();
        for (size_t f = 0; f < pvxf_n_line_fields; f++)
            json_object_object_add(it, pvxf_line_fields[f],
                                   json_object_new_string(o->lines[k].vals[f]));
        json_object_object_add(it, "QuantityDespatched",
                               json_object_new_int64(o->lines[k].despatched));
        json_object_array_add(items, it);
    }
    json_object_object_add(j, "fields", fields);
    json_object_object_add(j, "items", items);
    return j;
}

/* The pending faults, shared and Peoplevox's own. */
static struct json_object *pvxf_faults_json(const struct sandbox_pvx *sb)
{
    struct json_object *j = sbx_faults_json(&sb->fake);

    json_object_object_add(j, "refuse_save", json_object_new_int64(sb->faults.refuse_save));
    json_object_object_add(j, "refuse_detail", json_object_new_string(sb->faults.refuse_detail));
    json_object_object_add(j, "drop_items_after_apply",
                           json_object_new_int64(sb->faults.drop_items_after_apply));
    json_object_object_add(j, "busy_order_reads",
                           json_object_new_int64(sb->faults.busy_order_reads));
    return j;
}

/* Expected returns saved through the Returns template: [{"Reference",...}]. */
static struct json_object *pvxf_expected_json(const struct pvxf_state *st)
{
    struct json_object *list = json_object_new_array();

    for (size_t i = 0; i < st->n_expected; i++) {
        const struct pvxf_expected *e = &st->expected[i];
        struct json_object *j = json_object_new_object();

        json_object_object_add(j, "Reference", json_object_new_string(e->reference));
        json_object_object_add(j, "SalesOrderNumber", json_object_new_string(e->so));
        json_object_object_add(j, "ItemCode", json_object_new_string(e->item_code));
        json_object_object_add(j, "Quantity", json_object_new_int64(e->qty));
        json_object_object_add(j, "Reason", json_object_new_string(e->reason));
        json_object_object_add(j, "Comments", json_object_new_string(e->comments));
        json_object_array_add(list, j);
    }
    return list;
}

static int pvxf_get_state(struct sandbox_pvx *sb, struct buf *out)
{
    const struct pvxf_state *st = &sb->st;
    struct json_object *j = json_object_new_object();
    struct json_object *orders = json_object_new_array();
    size_t n_lines = 0;

    for (size_t i = 0; i < st->n_orders; i++) {
        n_lines += st->orders[i].n_lines;
        json_object_array_add(orders, pvxf_order_json(&st->orders[i]));
    }
    json_object_object_add(j, "sales_orders", json_object_new_int64((int64_t)st->n_orders));
    json_object_object_add(j, "sales_order_items", json_object_new_int64((int64_t)n_lines));
    json_object_object_add(j, "item_types", json_object_new_int64((int64_t)st->n_items));
    json_object_object_add(j, "despatches", json_object_new_int64((int64_t)st->n_despatches));
    json_object_object_add(j, "returns", json_object_new_int64((int64_t)st->n_returns));
    json_object_object_add(j, "expected_returns", pvxf_expected_json(st));
    json_object_object_add(j, "sessions", json_object_new_int64((int64_t)st->n_sessions));
    sbx_state_json(&sb->fake, j, pvxf_faults_json(sb));
    json_object_object_add(j, "orders", orders);
    return sbx_json_reply(out, 200, j);
}

/* in's count `name` into *count when present; -1 when it is not a whole number >= 0. */
static int pvxf_fault_count(struct json_object *in, const char *name, long *count)
{
    struct json_object *v;

    if (!json_object_object_get_ex(in, name, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
        return -1;
    *count = (long)json_object_get_int64(v);
    return 0;
}

static int pvxf_post_faults(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    struct pvxf_faults *f = &sb->faults;
    struct json_object *v;
    const char *detail = sbx_json_str(in, "refuse_detail");

    if (sbx_faults_post(&sb->fake, in, out) != 0)
        return 400;
    if (pvxf_fault_count(in, "refuse_save", &f->refuse_save) != 0 ||
        pvxf_fault_count(in, "drop_items_after_apply", &f->drop_items_after_apply) != 0 ||
        pvxf_fault_count(in, "busy_order_reads", &f->busy_order_reads) != 0)
        return sbx_json_error(out, 400, "fault counts must be whole numbers >= 0");
    if (detail != NULL)
        snprintf(f->refuse_detail, sizeof(f->refuse_detail), "%s", detail);
    else if (f->refuse_save > 0 && f->refuse_detail[0] == '\0')
        snprintf(f->refuse_detail, sizeof(f->refuse_detail), "%s", "Server too busy");
    if (json_object_object_get_ex(in, "expire_sessions", &v) && json_object_get_boolean(v))
        sb->st.n_sessions = 0;
    return sbx_json_reply(out, 200, pvxf_faults_json(sb));
}

static int pvxf_post_item(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    const char *code = sbx_json_str(in, "ItemCode");
    const char *name = sbx_json_str(in, "Name");
    const char *barcode = sbx_json_str(in, "Barcode");
    struct json_object *stock = NULL;

    if (code == NULL || code[0] == '\0' || strlen(code) > PVXF_CODE_MAX_CHARS)
        return sbx_json_error(out, 400, "ItemCode is required (at most 50 characters)");
    json_object_object_get_ex(in, "stock", &stock);
    if (json_object_is_type(stock, json_type_object)) {
        json_object_object_foreach(stock, site, qty) {
            if (!pvxf_store_site_known(site) || !json_object_is_type(qty, json_type_int))
                return sbx_json_error(out, 400, "stock must map known sites to whole numbers");
        }
        json_object_object_foreach(stock, site2, qty2)
            pvxf_store_put_item(&sb->st, code, name, barcode, site2,
                                (long)json_object_get_int64(qty2));
    } else {
        pvxf_store_put_item(&sb->st, code, name, barcode, stock ? "PrimarySite" : NULL,
                            (long)json_object_get_int64(stock));
    }
    return sbx_json_reply(out, 200, json_object_new_object());
}

/* One {"ItemCode","site","on_hand"} entry: NULL when it can be applied, else why. */
static const char *pvxf_stock_entry_bad(struct json_object *e)
{
    const char *code = sbx_json_str(e, "ItemCode");
    const char *site = sbx_json_str(e, "site");
    struct json_object *qty = NULL;

    json_object_object_get_ex(e, "on_hand", &qty);
    if (code == NULL || code[0] == '\0' || strlen(code) > PVXF_CODE_MAX_CHARS)
        return "each entry needs an ItemCode (at most 50 characters)";
    if (site == NULL || !pvxf_store_site_known(site))
        return "each entry needs a known site";
    if (!json_object_is_type(qty, json_type_int) || json_object_get_int64(qty) < 0)
        return "on_hand must be a whole number >= 0";
    return NULL;
}

/*
 * {"stock":[{"ItemCode","site","on_hand"}...]}: sets what is on the shelf
 * (unknown items join the catalogue); Available in the report is on_hand
 * minus what open Sales Orders allocate. All or nothing.
 */
static int pvxf_post_stock(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    struct json_object *list = NULL;
    struct json_object *j;
    size_t n;

    if (!json_object_object_get_ex(in, "stock", &list) ||
        !json_object_is_type(list, json_type_array))
        return sbx_json_error(out, 400, "stock must be an array of {ItemCode, site, on_hand}");
    n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        const char *bad = pvxf_stock_entry_bad(json_object_array_get_idx(list, i));

        if (bad != NULL)
            return sbx_json_error(out, 400, bad);
    }
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        struct json_object *qty = NULL;

        json_object_object_get_ex(e, "on_hand", &qty);
        pvxf_store_put_item(&sb->st, sbx_json_str(e, "ItemCode"), NULL, NULL,
                            sbx_json_str(e, "site"), (long)json_object_get_int64(qty));
    }
    j = json_object_new_object();
    json_object_object_add(j, "changed", json_object_new_int64((int64_t)n));
    return sbx_json_reply(out, 200, j);
}

/* Every item x site with what is on the shelf: [{"ItemCode","site","on_hand"}]. */
static int pvxf_get_stock(const struct sandbox_pvx *sb, struct buf *out)
{
    struct json_object *j = json_object_new_object();
    struct json_object *list = json_object_new_array();

    for (size_t i = 0; i < sb->st.n_stock; i++) {
        const struct pvxf_stock *sk = &sb->st.stock[i];
        struct json_object *e = json_object_new_object();

        json_object_object_add(e, "ItemCode", json_object_new_string(sk->item_code));
        json_object_object_add(e, "site", json_object_new_string(sk->site));
        json_object_object_add(e, "on_hand", json_object_new_int64(sk->on_hand));
        json_object_array_add(list, e);
    }
    json_object_object_add(j, "stock", list);
    return sbx_json_reply(out, 200, j);
}

static int pvxf_post_despatch(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    struct json_object *items = NULL;
    struct pvxf_dline *lines = NULL;
    size_t n = 0;
    char *number = NULL;
    struct errbuf err = {{0}};
    int code;

    if (json_object_object_get_ex(in, "items", &items) &&
        json_object_is_type(items, json_type_array)) {
        n = json_object_array_length(items);
        lines = xcalloc(n, sizeof(*lines));
        for (size_t i = 0; i < n; i++) {
            struct json_object *it = json_object_array_get_idx(items, i);
            struct json_object *qty = NULL;
            const char *item = sbx_json_str(it, "ItemCode");

            lines[i].item_code = xstrdup(item ? item : "");
            json_object_object_get_ex(it, "qty", &qty);
            lines[i].qty = (long)json_object_get_int64(qty);
        }
    }
    if (pvxf_store_despatch(&sb->st, sbx_json_str(in, "SalesOrderNumber"), lines, n,
                            sbx_json_str(in, "Carrier"), sbx_json_str(in, "Service"),
                            sbx_json_str(in, "TrackingNumber"), &number, &err) != ST_OK) {
        code = sbx_json_error(out, 400, err.msg);
    } else {
        struct json_object *j = json_object_new_object();
        struct json_object *at = NULL;

        if (json_object_object_get_ex(in, "DespatchedAt", &at) && at != NULL)
            pvxf_store_date_despatch(&sb->st, number, json_object_get_int64(at) * 1000);
        json_object_object_add(j, "DespatchNumber", json_object_new_string(number));
        code = sbx_json_reply(out, 200, j);
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i].item_code);
    free(lines);
    free(number);
    return code;
}

/*
 * {"SalesOrderNumber","ItemCode","Quantity","Reason","Condition","Reusable",
 * "ReturnCode" (default: the next RET number),"ReturnedAt" (Unix seconds)}:
 * the warehouse receives a return (a `Return summary` row); reusable goods
 * go back on the shelf at the order's site.
 */
static int pvxf_post_return(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    struct json_object *qty = NULL, *reusable = NULL, *at = NULL;
    char *ret_code = NULL;
    struct errbuf err = {{0}};
    int code;

    json_object_object_get_ex(in, "Quantity", &qty);
    json_object_object_get_ex(in, "Reusable", &reusable);
    json_object_object_get_ex(in, "ReturnedAt", &at);
    struct pvxf_receipt rc = {
        .so = sbx_json_str(in, "SalesOrderNumber"), .item_code = sbx_json_str(in, "ItemCode"),
        .reason = sbx_json_str(in, "Reason"), .condition = sbx_json_str(in, "Condition"),
        .code = sbx_json_str(in, "ReturnCode"), .qty = (long)json_object_get_int64(qty),
        .reusable = reusable == NULL || json_object_get_boolean(reusable),
        .at_ms = at != NULL ? json_object_get_int64(at) * 1000 : 0,
    };
    if (pvxf_store_add_return(&sb->st, &rc, &ret_code, &err) != ST_OK) {
        code = sbx_json_error(out, 400, err.msg);
    } else {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "ReturnCode", json_object_new_string(ret_code));
        code = sbx_json_reply(out, 200, j);
    }
    free(ret_code);
    return code;
}

/* {"template", "csv"}: SaveData's rules, without a session; the row statuses. */
static int pvxf_post_save(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    const char *tmpl = sbx_json_str(in, "template"), *csv = sbx_json_str(in, "csv");
    struct csv_table t = {0, NULL};
    struct pvxf_result res;
    struct errbuf err = {{0}};
    struct json_object *j, *rows;
    int code;

    if (tmpl == NULL || csv == NULL)
        return sbx_json_error(out, 400, "template and csv are required");
    if (csv_parse(csv, strlen(csv), 0, &t, &err) != ST_OK || t.n_rows < 2) {
        csv_table_cleanup(&t);
        return sbx_json_error(out, 400, err.msg[0] ? err.msg : "csv needs a header and a row");
    }
    pvxf_result_init(&res);
    pvxf_store_save(&sb->st, tmpl, &t, &res);
    j = json_object_new_object();
    rows = json_object_new_array();
    for (size_t i = 0; i < res.n_statuses; i++) {
        struct json_object *r = json_object_new_object();

        json_object_object_add(r, "reference", json_object_new_string(res.statuses[i].reference));
        json_object_object_add(r, "status", json_object_new_string(res.statuses[i].status));
        json_object_object_add(r, "message", json_object_new_string(res.statuses[i].message));
        json_object_array_add(rows, r);
    }
    json_object_object_add(j, "statuses", rows);
    code = res.response_id != 0 ? sbx_json_error(out, 400, res.detail ? res.detail : "refused")
                                : sbx_json_reply(out, 200, j);
    if (res.response_id != 0)
        json_object_put(j);
    pvxf_result_cleanup(&res);
    csv_table_cleanup(&t);
    return code;
}

/* {"SalesOrderNumber"}: the Sales Order and its lines are gone. */
static int pvxf_post_delete_order(struct sandbox_pvx *sb, struct json_object *in,
                                  struct buf *out)
{
    const char *so = sbx_json_str(in, "SalesOrderNumber");

    if (so == NULL || !pvxf_store_delete_order(&sb->st, so))
        return sbx_json_error(out, 404, "no such sales order");
    return sbx_json_reply(out, 200, json_object_new_object());
}

/*
 * {"fields":["SalesOrderNumber",...]}: the tenant's `Returns` template field
 * names, in its order; [] (or null) = the tenant has no Returns template.
 */
static int pvxf_post_returns_template(struct sandbox_pvx *sb, struct json_object *in,
                                      struct buf *out)
{
    struct json_object *list = NULL;
    const char **names;
    size_t n = 0;

    json_object_object_get_ex(in, "fields", &list);
    if (list != NULL && !json_object_is_type(list, json_type_array))
        return sbx_json_error(out, 400, "fields must be an array of field names");
    n = list != NULL ? json_object_array_length(list) : 0;
    names = xcalloc(n + 1, sizeof(*names));
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);

        names[i] = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
        if (names[i] == NULL || names[i][0] == '\0') {
            free(names);
            return sbx_json_error(out, 400, "fields must be non-empty strings");
        }
    }
    pvxf_returns_set_template(&sb->st, names, n);
    free(names);
    return sbx_json_reply(out, 200, json_object_new_object());
}

void pvxf_reset(void *ctx)
{
    struct sandbox_pvx *sb = ctx;

    pvxf_store_reset(&sb->st, sb->cfg.seed);
    memset(&sb->faults, 0, sizeof(sb->faults));
}

static int pvxf_control_post(struct sandbox_pvx *sb, const char *path, struct json_object *in,
                             struct buf *out)
{
    if (strcmp(path, "faults") == 0)
        return pvxf_post_faults(sb, in, out);
    if (strcmp(path, "items") == 0)
        return pvxf_post_item(sb, in, out);
    if (strcmp(path, "despatch") == 0)
        return pvxf_post_despatch(sb, in, out);
    if (strcmp(path, "returns") == 0)
        return pvxf_post_return(sb, in, out);
    if (strcmp(path, "stock") == 0)
        return pvxf_post_stock(sb, in, out);
    if (strcmp(path, "save") == 0)
        return pvxf_post_save(sb, in, out);
    if (strcmp(path, "sales_orders/delete") == 0)
        return pvxf_post_delete_order(sb, in, out);
    if (strcmp(path, "returns_template") == 0)
        return pvxf_post_returns_template(sb, in, out);
    return sbx_json_error(out, 404, "no such control endpoint");
}

int pvxf_control(void *ctx, const char *method, const char *path, struct json_object *in,
                 struct buf *out)
{
    struct sandbox_pvx *sb = ctx;
    struct pvxf_order *o;

    if (in != NULL)
        return pvxf_control_post(sb, path, in, out);
    if (strcmp(path, "state") == 0)
        return pvxf_get_state(sb, out);
    if (strcmp(path, "stock") == 0)
        return pvxf_get_stock(sb, out);
    if (strncmp(path, "orders/", 7) == 0) {
        o = pvxf_store_find_order(&sb->st, path + 7);
        if (o == NULL)
            return sbx_json_error(out, 404, "no such sales order");
        return sbx_json_reply(out, 200, pvxf_order_json(o));
    }
    return sbx_json_error(out, 404, "no such control endpoint");
}
