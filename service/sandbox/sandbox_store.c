/*
 * sandbox_store.c - the fake warehouse: catalogue, stock, sales orders,
 * despatches and returns, with the rules a real tenant enforces.
 *
 * SaveData is an upsert keyed like Peoplevox: `Sales orders` by
 * SalesOrderNumber, `Sales order items` by SalesOrderNumber + Line (or
 * ItemCode when Line is empty). Columns are mapped by name against the
 * tenant field list; an unknown or duplicated column refuses the whole call
 * (ResponseId -1) so a client that guesses field names fails loudly. Each
 * row then gets its own status: rows are validated before anything is
 * touched, so an Error row changes nothing. Lines can be added or edited,
 * never removed; Status accepts only "Cancelled", and a despatched order
 * cannot be cancelled.
 *
 * Lookups are linear: the sandbox holds test and benchmark sized data, and
 * simple arrays keep reset and the JSON dumps trivial.
 */
#include "sandbox_pvx_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The tenant's configured order: not the documented one, plus a custom field. */
const char *const sbx_order_fields[] = {
    "Customer", "SalesOrderNumber", "Email", "ContactName", "ChannelName", "Site",
    "CustomerPurchaseOrderReferenceNumber", "CreatedDate", "RequestedDeliveryDate",
    "ShippingAddressLine1", "ShippingAddressLine2", "ShippingAddressCity",
    "ShippingAddressRegion", "ShippingAddressPostcode", "ShippingAddressCountry",
    "InvoiceAddressLine1", "InvoiceAddressLine2", "InvoiceAddressCity",
    "InvoiceAddressRegion", "InvoiceAddressPostcode", "InvoiceAddressCountry",
    "ServiceType", "PaymentMethod", "ShippingCost", "TotalSale", "Discount", "TaxPaid",
    "IsPartialShipment", "OnHold", "Status", "CustomField1",
};
const size_t sbx_n_order_fields = ARRAY_LEN(sbx_order_fields);

const char *const sbx_line_fields[] = {
    "SalesOrderNumber", "ItemCode", "QuantityOrdered", "RequestedDeliveryDate",
    "Line", "Sequence", "SalePrice",
};
const size_t sbx_n_line_fields = ARRAY_LEN(sbx_line_fields);

/* Indexes into the field lists above (checked in sbx_store_init). */
enum { SBX_OF_SO = 1, SBX_OF_SITE = 5, SBX_OF_STATUS = 29 };
enum { SBX_LF_SO, SBX_LF_CODE, SBX_LF_QTY, SBX_LF_DATE, SBX_LF_LINE, SBX_LF_SEQ, SBX_LF_PRICE };

static const char *const sbx_sites[] = {"PrimarySite", "LONDON", "MANCHESTER", "SystemSite"};

static const char *const sbx_seed_names[][2] = {
    {"TEE-BLK-S", "Black tee S"},       {"TEE-BLK-M", "Black tee M"},
    {"TEE-BLK-L", "Black tee L"},       {"TEE-WHT-S", "White tee S"},
    {"TEE-WHT-M", "White tee M"},       {"TEE-WHT-L", "White tee L"},
    {"HOODIE-GRY-M", "Grey hoodie M"},  {"HOODIE-GRY-L", "Grey hoodie L"},
    {"CAP-NAVY", "Navy cap"},           {"SOCKS-3PK", "Socks, 3 pack"},
    {"MUG-LOGO", "Logo mug"},           {"TOTE-CANVAS", "Canvas tote"},
    {"BOTTLE-500ML", "Bottle 500 ml"},  {"SCARF-WOOL", "Wool scarf"},
    {"BEANIE-RED", "Red beanie"},       {"JACKET-RAIN-M", "Rain jacket M"},
    {"JACKET-RAIN-L", "Rain jacket L"}, {"SHORTS-KHK-M", "Khaki shorts M"},
    {"POSTER-A2", "Poster A2"},         {"OLD-TEE~D~1", "Old tee (deactivated)"},
};

static void sbx_free_strv(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static char **sbx_new_strv(size_t n)
{
    char **v = xcalloc(n, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        v[i] = xstrdup("");
    return v;
}

static void sbx_set(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v ? v : "");
}

static int sbx_field_index(const char *const *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(fields[i], name) == 0)
            return (int)i;
    }
    return -1;
}

const char *sbx_order_get(const struct sbx_order *o, const char *field)
{
    int i = sbx_field_index(sbx_order_fields, sbx_n_order_fields, field);

    return i < 0 ? "" : o->vals[i];
}

const char *sbx_line_get(const struct sbx_line *l, const char *field)
{
    int i = sbx_field_index(sbx_line_fields, sbx_n_line_fields, field);

    return i < 0 ? "" : l->vals[i];
}

bool sbx_store_site_known(const char *site)
{
    for (size_t i = 0; i < ARRAY_LEN(sbx_sites); i++) {
        if (strcmp(sbx_sites[i], site) == 0)
            return true;
    }
    return false;
}

static void sbx_order_free(struct sbx_order *o)
{
    for (size_t i = 0; i < o->n_lines; i++)
        sbx_free_strv(o->lines[i].vals, sbx_n_line_fields);
    free(o->lines);
    sbx_free_strv(o->vals, sbx_n_order_fields);
    free(o->status);
}

static void sbx_despatch_free(struct sbx_despatch *d)
{
    for (size_t i = 0; i < d->n_lines; i++)
        free(d->lines[i].item_code);
    free(d->lines);
    free(d->number);
    free(d->so);
    free(d->carrier);
    free(d->service);
    free(d->tracking);
    free(d->site);
}

static void sbx_return_free(struct sbx_return *r)
{
    free(r->code);
    free(r->so);
    free(r->item_code);
    free(r->reason);
    free(r->condition);
    free(r->site);
}

static void sbx_store_seed(struct sbx_state *st)
{
    for (size_t i = 0; i < ARRAY_LEN(sbx_seed_names); i++) {
        char barcode[16];
        long primary = i == 18 ? 0 : 100 - (long)i * 3;

        snprintf(barcode, sizeof(barcode), "50123450000%02zu", i);
        sbx_store_put_item(st, sbx_seed_names[i][0], sbx_seed_names[i][1], barcode,
                           "PrimarySite", primary);
        if (i < 8)
            sbx_store_put_item(st, sbx_seed_names[i][0], NULL, NULL, "LONDON", 10);
        if (i % 2 == 1)
            sbx_store_put_item(st, sbx_seed_names[i][0], NULL, NULL, "MANCHESTER", 5);
    }
}

void sbx_store_init(struct sbx_state *st, bool seed)
{
    assert(strcmp(sbx_order_fields[SBX_OF_SO], "SalesOrderNumber") == 0);
    assert(strcmp(sbx_order_fields[SBX_OF_SITE], "Site") == 0);
    assert(strcmp(sbx_order_fields[SBX_OF_STATUS], "Status") == 0);
    assert(strcmp(sbx_line_fields[SBX_LF_LINE], "Line") == 0);
    memset(st, 0, sizeof(*st));
    st->next_despatch = 1;
    st->next_return = 1;
    st->next_subscription = 1;
    if (seed)
        sbx_store_seed(st);
}

void sbx_store_cleanup(struct sbx_state *st)
{
    for (size_t i = 0; i < st->n_items; i++) {
        free(st->items[i].code);
        free(st->items[i].barcode);
        free(st->items[i].name);
        free(st->items[i].description);
        free(st->items[i].weight);
    }
    for (size_t i = 0; i < st->n_stock; i++) {
        free(st->stock[i].item_code);
        free(st->stock[i].site);
    }
    for (size_t i = 0; i < st->n_orders; i++)
        sbx_order_free(&st->orders[i]);
    for (size_t i = 0; i < st->n_despatches; i++)
        sbx_despatch_free(&st->despatches[i]);
    for (size_t i = 0; i < st->n_returns; i++)
        sbx_return_free(&st->returns[i]);
    free(st->items);
    free(st->stock);
    free(st->orders);
    free(st->despatches);
    free(st->returns);
    free(st->sessions);
    memset(st, 0, sizeof(*st));
}

void sbx_store_reset(struct sbx_state *st, bool seed)
{
    sbx_store_cleanup(st);
    sbx_store_init(st, seed);
}

static struct sbx_item *sbx_find_item(struct sbx_state *st, const char *code)
{
    for (size_t i = 0; i < st->n_items; i++) {
        if (strcmp(st->items[i].code, code) == 0)
            return &st->items[i];
    }
    return NULL;
}

static struct sbx_stock *sbx_find_stock(struct sbx_state *st, const char *code, const char *site)
{
    for (size_t i = 0; i < st->n_stock; i++) {
        if (strcmp(st->stock[i].item_code, code) == 0 && strcmp(st->stock[i].site, site) == 0)
            return &st->stock[i];
    }
    return NULL;
}

void sbx_store_put_item(struct sbx_state *st, const char *code, const char *name,
                        const char *barcode, const char *site, long qty)
{
    struct sbx_item *it = sbx_find_item(st, code);
    struct sbx_stock *sk;

    if (it == NULL) {
        st->items = buf_grow_array(st->items, &st->cap_items, st->n_items + 1, sizeof(*it));
        it = &st->items[st->n_items++];
        it->code = xstrdup(code);
        it->name = xstrdup(code);
        it->barcode = xstrdup("");
        it->description = xstrdup("");
        it->weight = xstrdup("0.25");
    }
    if (name != NULL && name[0] != '\0') {
        sbx_set(&it->name, name);
        sbx_set(&it->description, name);
    }
    if (barcode != NULL && barcode[0] != '\0')
        sbx_set(&it->barcode, barcode);
    if (site == NULL)
        return;
    sk = sbx_find_stock(st, code, site);
    if (sk == NULL) {
        st->stock = buf_grow_array(st->stock, &st->cap_stock, st->n_stock + 1, sizeof(*sk));
        sk = &st->stock[st->n_stock++];
        sk->item_code = xstrdup(code);
        sk->site = xstrdup(site);
    }
    sk->on_hand = qty;
}

struct sbx_order *sbx_store_find_order(struct sbx_state *st, const char *so)
{
    for (size_t i = 0; st->orders != NULL && i < st->n_orders; i++) {
        char **vals = st->orders[i].vals;
        const char *v = vals != NULL ? vals[SBX_OF_SO] : NULL;

        if (v != NULL && strcmp(v, so) == 0)
            return &st->orders[i];
    }
    return NULL;
}

/* ---- value checks ---- */

static bool sbx_is_decimal(const char *s)
{
    char *end;

    if (s[0] == '\0')
        return true;
    (void)strtod(s, &end);
    return end != s && *end == '\0';
}

static bool sbx_is_int(const char *s, long min)
{
    char *end;
    long v;

    if (s[0] == '\0')
        return false;
    v = strtol(s, &end, 10);
    return *end == '\0' && v >= min;
}

static bool sbx_is_bool(const char *s)
{
    static const char *const ok[] = {"", "True", "False", "true", "false", "1", "0"};

    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        if (strcmp(s, ok[i]) == 0)
            return true;
    }
    return false;
}

static bool sbx_is_import_date(const char *s)
{
    int64_t t;

    return s[0] == '\0' || (strlen(s) >= 10 && s[4] == '-' && sbx_parse_date(s, &t));
}

/* ---- SaveData ---- */

/* Maps each CSV column to a template field; -1 result = refused header. */
static int sbx_map_header(const struct csv_table *csv, const char *const *fields, size_t n,
                          int *map, struct sbx_result *res, const char *tmpl)
{
    const struct csv_row *h = &csv->rows[0];

    for (size_t c = 0; c < h->n; c++) {
        map[c] = sbx_field_index(fields, n, h->fields[c]);
        if (map[c] < 0) {
            sbx_result_fail(res, "Unknown field '%s' for template '%s'", h->fields[c], tmpl);
            return -1;
        }
        for (size_t p = 0; p < c; p++) {
            if (map[p] == map[c]) {
                sbx_result_fail(res, "Field '%s' appears twice", h->fields[c]);
                return -1;
            }
        }
    }
    return 0;
}

/* The row's value for template field index f, or NULL when not a column. */
static const char *sbx_row_value(const struct csv_table *csv, size_t row, const int *map, int f)
{
    for (size_t c = 0; c < csv->rows[0].n; c++) {
        if (map[c] == f)
            return csv_table_get(csv, row, (int)c);
    }
    return NULL;
}

static bool sbx_order_despatched(const struct sbx_order *o)
{
    return strcmp(o->status, "Despatched") == 0 || strcmp(o->status, "Partially despatched") == 0;
}

static bool sbx_is_cancelled(const struct sbx_order *o)
{
    return strcmp(o->status, "Cancelled") == 0;
}

/* Dates, numbers and booleans of an order row; msg set when one is malformed. */
static void sbx_check_order_formats(const char *const *v, char *msg, size_t cap)
{
    static const char *const dates[] = {"CreatedDate", "RequestedDeliveryDate"};
    static const char *const nums[] = {"ShippingCost", "TotalSale", "Discount", "TaxPaid"};
    static const char *const bools[] = {"IsPartialShipment", "OnHold"};

    for (size_t i = 0; msg[0] == '\0' && i < ARRAY_LEN(dates); i++) {
        const char *d = v[sbx_field_index(sbx_order_fields, sbx_n_order_fields, dates[i])];
        if (!sbx_is_import_date(d))
            snprintf(msg, cap, "%s '%s' is not a date (yyyy-MM-dd HH:mm:ss)", dates[i], d);
    }
    for (size_t i = 0; msg[0] == '\0' && i < ARRAY_LEN(nums); i++) {
        const char *d = v[sbx_field_index(sbx_order_fields, sbx_n_order_fields, nums[i])];
        if (!sbx_is_decimal(d))
            snprintf(msg, cap, "%s '%s' is not a number", nums[i], d);
    }
    for (size_t i = 0; msg[0] == '\0' && i < ARRAY_LEN(bools); i++) {
        const char *d = v[sbx_field_index(sbx_order_fields, sbx_n_order_fields, bools[i])];
        if (!sbx_is_bool(d))
            snprintf(msg, cap, "%s '%s' is not a boolean", bools[i], d);
    }
}

/* Why an order row (values by field index) cannot be applied, or NULL. */
static const char *sbx_check_order_row(struct sbx_state *st, const char *const *v,
                                       char *msg, size_t cap)
{
    const char *so = v[SBX_OF_SO];
    const char *site = v[SBX_OF_SITE];
    const char *status = v[SBX_OF_STATUS];
    struct sbx_order *o = sbx_store_find_order(st, so);

    msg[0] = '\0';
    if (so[0] == '\0')
        snprintf(msg, cap, "SalesOrderNumber is required");
    else if (strlen(so) > SBX_SO_MAX_CHARS)
        snprintf(msg, cap, "SalesOrderNumber '%s' is longer than %d characters", so,
                 SBX_SO_MAX_CHARS);
    else if (strcmp(site, "SystemSite") == 0)
        snprintf(msg, cap, "Site 'SystemSite' is internal and cannot take sales orders");
    else if (site[0] != '\0' && !sbx_store_site_known(site))
        snprintf(msg, cap, "Site '%s' does not exist", site);
    else if (status[0] != '\0' && strcmp(status, "Cancelled") != 0)
        snprintf(msg, cap, "Status '%s' is not allowed: only 'Cancelled'", status);
    else if (status[0] != '\0' && o == NULL)
        snprintf(msg, cap, "Sales order '%s' does not exist and cannot be cancelled", so);
    else if (status[0] != '\0' && sbx_order_despatched(o))
        snprintf(msg, cap, "Sales order '%s' has been despatched and cannot be cancelled", so);
    else if (status[0] == '\0' && o != NULL && sbx_is_cancelled(o))
        snprintf(msg, cap, "Sales order '%s' is cancelled", so);
    else
        sbx_check_order_formats(v, msg, cap);
    return msg[0] ? msg : NULL;
}

static struct sbx_order *sbx_new_order(struct sbx_state *st, const char *so)
{
    struct sbx_order *o;

    st->orders = buf_grow_array(st->orders, &st->cap_orders, st->n_orders + 1, sizeof(*o));
    o = &st->orders[st->n_orders++];
    o->vals = sbx_new_strv(sbx_n_order_fields);
    sbx_set(&o->vals[SBX_OF_SO], so);
    sbx_set(&o->vals[SBX_OF_SITE], "PrimarySite");
    o->status = xstrdup("New");
    return o;
}

static void sbx_save_order_row(struct sbx_state *st, const struct csv_table *csv, size_t row,
                               const int *map, struct sbx_result *res)
{
    const char *v[ARRAY_LEN(sbx_order_fields)];
    char msg[256];
    const char *err;
    struct sbx_order *o;

    for (size_t f = 0; f < sbx_n_order_fields; f++) {
        const char *x = sbx_row_value(csv, row, map, (int)f);
        v[f] = x ? x : "";
    }
    err = sbx_check_order_row(st, v, msg, sizeof(msg));
    if (err != NULL) {
        sbx_result_add_status(res, v[SBX_OF_SO], "Error", err);
        return;
    }
    o = sbx_store_find_order(st, v[SBX_OF_SO]);
    if (o == NULL)
        o = sbx_new_order(st, v[SBX_OF_SO]);
    for (size_t f = 0; f < sbx_n_order_fields; f++) {
        const char *x = sbx_row_value(csv, row, map, (int)f);
        if (x == NULL || f == SBX_OF_SO || f == SBX_OF_STATUS ||
            (f == SBX_OF_SITE && x[0] == '\0'))
            continue;
        sbx_set(&o->vals[f], x);
    }
    if (v[SBX_OF_STATUS][0] != '\0')
        sbx_set(&o->status, "Cancelled");
    sbx_result_add_status(res, v[SBX_OF_SO], "Success", "");
}

static const char *sbx_check_line_row(struct sbx_state *st, const char *const *v,
                                      char *msg, size_t cap)
{
    struct sbx_order *o = sbx_store_find_order(st, v[SBX_LF_SO]);
    const char *code = v[SBX_LF_CODE];

    msg[0] = '\0';
    if (v[SBX_LF_SO][0] == '\0')
        snprintf(msg, cap, "SalesOrderNumber is required");
    else if (o == NULL)
        snprintf(msg, cap, "Sales order '%s' does not exist", v[SBX_LF_SO]);
    else if (sbx_is_cancelled(o))
        snprintf(msg, cap, "Sales order '%s' is cancelled", v[SBX_LF_SO]);
    else if (code[0] == '\0')
        snprintf(msg, cap, "ItemCode is required");
    else if (strlen(code) > SBX_CODE_MAX_CHARS)
        snprintf(msg, cap, "ItemCode '%s' is longer than %d characters", code,
                 SBX_CODE_MAX_CHARS);
    else if (strstr(code, "~D~") != NULL)
        snprintf(msg, cap, "Item type '%s' is deactivated", code);
    else if (sbx_find_item(st, code) == NULL)
        snprintf(msg, cap, "Item type '%s' does not exist", code);
    else if (!sbx_is_int(v[SBX_LF_QTY], 1))
        snprintf(msg, cap, "QuantityOrdered '%s' is not a positive whole number", v[SBX_LF_QTY]);
    else if (!sbx_is_import_date(v[SBX_LF_DATE]))
        snprintf(msg, cap, "RequestedDeliveryDate '%s' is not a date (yyyy-MM-dd HH:mm:ss)",
                 v[SBX_LF_DATE]);
    else if (v[SBX_LF_LINE][0] != '\0' && !sbx_is_int(v[SBX_LF_LINE], 0))
        snprintf(msg, cap, "Line '%s' is not a whole number", v[SBX_LF_LINE]);
    else if (v[SBX_LF_SEQ][0] != '\0' && !sbx_is_int(v[SBX_LF_SEQ], 0))
        snprintf(msg, cap, "Sequence '%s' is not a whole number", v[SBX_LF_SEQ]);
    else if (!sbx_is_decimal(v[SBX_LF_PRICE]))
        snprintf(msg, cap, "SalePrice '%s' is not a number", v[SBX_LF_PRICE]);
    return msg[0] ? msg : NULL;
}

/* The existing line with the row's key: its Line, else its ItemCode; or NULL. */
static struct sbx_line *sbx_find_line(struct sbx_order *o, const char *line, const char *code)
{
    for (size_t i = 0; i < o->n_lines; i++) {
        struct sbx_line *l = &o->lines[i];
        const char *key = line[0] != '\0' ? l->vals[SBX_LF_LINE] : l->vals[SBX_LF_CODE];

        if (strcmp(key, line[0] != '\0' ? line : code) == 0)
            return l;
    }
    return NULL;
}

static void sbx_refresh_status(struct sbx_order *o)
{
    long ordered = 0;
    long sent = 0;

    if (sbx_is_cancelled(o))
        return;
    for (size_t i = 0; i < o->n_lines; i++) {
        ordered += strtol(o->lines[i].vals[SBX_LF_QTY], NULL, 10);
        sent += o->lines[i].despatched;
    }
    sbx_set(&o->status, sent == 0 ? "New" : sent >= ordered ? "Despatched"
                                                             : "Partially despatched");
}

static void sbx_save_line_row(struct sbx_state *st, const struct csv_table *csv, size_t row,
                              const int *map, struct sbx_result *res)
{
    const char *v[ARRAY_LEN(sbx_line_fields)];
    char msg[256];
    const char *err;
    struct sbx_order *o;
    struct sbx_line *l;

    for (size_t f = 0; f < sbx_n_line_fields; f++) {
        const char *x = sbx_row_value(csv, row, map, (int)f);
        v[f] = x ? x : "";
    }
    err = sbx_check_line_row(st, v, msg, sizeof(msg));
    o = sbx_store_find_order(st, v[SBX_LF_SO]);
    l = err == NULL ? sbx_find_line(o, v[SBX_LF_LINE], v[SBX_LF_CODE]) : NULL;
    if (err == NULL && l != NULL && strtol(v[SBX_LF_QTY], NULL, 10) < l->despatched) {
        snprintf(msg, sizeof(msg), "QuantityOrdered %s is below the %ld already despatched",
                 v[SBX_LF_QTY], l->despatched);
        err = msg;
    }
    if (err != NULL) {
        sbx_result_add_status(res, v[SBX_LF_SO], "Error", err);
        return;
    }
    if (l == NULL) {
        o->lines = buf_grow_array(o->lines, &o->cap_lines, o->n_lines + 1, sizeof(*l));
        l = &o->lines[o->n_lines++];
        l->vals = sbx_new_strv(sbx_n_line_fields);
    }
    for (size_t f = 0; f < sbx_n_line_fields; f++) {
        const char *x = sbx_row_value(csv, row, map, (int)f);
        if (x != NULL)
            sbx_set(&l->vals[f], x);
    }
    sbx_refresh_status(o);
    sbx_result_add_status(res, v[SBX_LF_SO], "Success", "");
}

void sbx_store_save(struct sbx_state *st, const char *tmpl, const struct csv_table *csv,
                    struct sbx_result *res)
{
    bool orders = strcasecmp(tmpl, "Sales orders") == 0;
    bool lines = strcasecmp(tmpl, "Sales order items") == 0;
    const char *const *fields = orders ? sbx_order_fields : sbx_line_fields;
    size_t n_fields = orders ? sbx_n_order_fields : sbx_n_line_fields;
    int *map = NULL;
    size_t failed = 0;

    if (!orders && !lines) {
        sbx_result_fail(res, "Template '%s' cannot be saved by the sandbox", tmpl);
        goto out;
    }
    if (csv->n_rows == 0) {
        sbx_result_fail(res, "CsvData has no header row");
        goto out;
    }
    map = xcalloc(csv->rows[0].n, sizeof(*map));
    if (sbx_map_header(csv, fields, n_fields, map, res, tmpl) < 0)
        goto out;
    if (sbx_field_index(fields, n_fields, "SalesOrderNumber") >= 0 &&
        csv_table_col(csv, "SalesOrderNumber") < 0) {
        sbx_result_fail(res, "CsvData has no SalesOrderNumber column");
        goto out;
    }
    for (size_t r = 1; r < csv->n_rows; r++) {
        if (orders)
            sbx_save_order_row(st, csv, r, map, res);
        else
            sbx_save_line_row(st, csv, r, map, res);
        failed += strcmp(res->statuses[res->n_statuses - 1].status, "Error") == 0;
    }
    res->total_count = (long)(csv->n_rows - 1);
    if (failed > 0)
        sbx_result_fail(res, "%zu of %zu rows failed", failed, csv->n_rows - 1);
out:
    free(map);
}

/* ---- despatches and returns (control endpoints) ---- */

static enum st sbx_check_despatch(struct sbx_order *o, const struct sbx_dline *items,
                                  size_t n_items, struct errbuf *err)
{
    for (size_t i = 0; i < n_items; i++) {
        long left = 0;

        for (size_t k = 0; k < o->n_lines; k++) {
            if (strcmp(o->lines[k].vals[SBX_LF_CODE], items[i].item_code) == 0)
                left += strtol(o->lines[k].vals[SBX_LF_QTY], NULL, 10) - o->lines[k].despatched;
        }
        for (size_t p = 0; p < i; p++) {
            if (strcmp(items[p].item_code, items[i].item_code) == 0)
                left -= items[p].qty;
        }
        if (items[i].qty <= 0 || items[i].qty > left) {
            errbuf_set(err, "cannot despatch %ld of %s: %ld outstanding", items[i].qty,
                       items[i].item_code, left);
            return ST_FAIL;
        }
    }
    return ST_OK;
}

/* Moves qty of code from the order's lines to despatched, and out of stock. */
static void sbx_apply_despatch_line(struct sbx_state *st, struct sbx_order *o,
                                    struct sbx_despatch *d, const char *code, long qty)
{
    struct sbx_stock *sk = sbx_find_stock(st, code, d->site);

    d->lines[d->n_lines].item_code = xstrdup(code);
    d->lines[d->n_lines++].qty = qty;
    if (sk != NULL)
        sk->on_hand = sk->on_hand > qty ? sk->on_hand - qty : 0;
    for (size_t k = 0; k < o->n_lines && qty > 0; k++) {
        struct sbx_line *l = &o->lines[k];
        long left = strtol(l->vals[SBX_LF_QTY], NULL, 10) - l->despatched;
        long take = left < qty ? left : qty;

        if (strcmp(l->vals[SBX_LF_CODE], code) != 0 || take <= 0)
            continue;
        l->despatched += take;
        qty -= take;
    }
}

enum st sbx_store_despatch(struct sbx_state *st, const char *so, const struct sbx_dline *items,
                           size_t n_items, const char *carrier, const char *service,
                           const char *tracking, char **number_out, struct errbuf *err)
{
    struct sbx_order *o = sbx_store_find_order(st, so ? so : "");
    struct sbx_despatch *d;

    if (o == NULL || sbx_is_cancelled(o)) {
        errbuf_set(err, "sales order %s %s", so ? so : "(none)",
                   o ? "is cancelled" : "does not exist");
        return ST_FAIL;
    }
    if (sbx_check_despatch(o, items, n_items, err) != ST_OK)
        return ST_FAIL;
    st->despatches = buf_grow_array(st->despatches, &st->cap_despatches, st->n_despatches + 1,
                              sizeof(*d));
    d = &st->despatches[st->n_despatches++];
    d->number = xasprintf("DSP%06ld", st->next_despatch++);
    d->so = xstrdup(so);
    d->carrier = xstrdup(carrier ? carrier : "Royal Mail");
    d->service = xstrdup(service ? service : "Standard");
    d->tracking = xstrdup(tracking ? tracking : "");
    d->site = xstrdup(o->vals[SBX_OF_SITE]);
    d->at_ms = now_ms_wall();
    d->lines = xcalloc(n_items ? n_items : o->n_lines, sizeof(*d->lines));
    for (size_t i = 0; i < n_items; i++)
        sbx_apply_despatch_line(st, o, d, items[i].item_code, items[i].qty);
    for (size_t k = 0; n_items == 0 && k < o->n_lines; k++) {
        long left = strtol(o->lines[k].vals[SBX_LF_QTY], NULL, 10) - o->lines[k].despatched;
        if (left > 0)
            sbx_apply_despatch_line(st, o, d, o->lines[k].vals[SBX_LF_CODE], left);
    }
    sbx_refresh_status(o);
    *number_out = xstrdup(d->number);
    return ST_OK;
}

enum st sbx_store_add_return(struct sbx_state *st, const char *so, const char *item_code,
                             long qty, const char *reason, const char *condition,
                             bool reusable, char **code_out, struct errbuf *err)
{
    struct sbx_order *o = sbx_store_find_order(st, so ? so : "");
    struct sbx_return *r;

    if (o == NULL) {
        errbuf_set(err, "sales order %s does not exist", so ? so : "(none)");
        return ST_FAIL;
    }
    if (item_code == NULL || sbx_find_item(st, item_code) == NULL || qty <= 0) {
        errbuf_set(err, "a return needs a known ItemCode and a positive Quantity");
        return ST_FAIL;
    }
    st->returns = buf_grow_array(st->returns, &st->cap_returns, st->n_returns + 1, sizeof(*r));
    r = &st->returns[st->n_returns++];
    r->code = xasprintf("RET%06ld", st->next_return++);
    r->so = xstrdup(so);
    r->item_code = xstrdup(item_code);
    r->reason = xstrdup(reason ? reason : "Unwanted");
    r->condition = xstrdup(condition ? condition : "Good");
    r->site = xstrdup(o->vals[SBX_OF_SITE]);
    r->qty = qty;
    r->reusable = reusable;
    r->at_ms = now_ms_wall();
    *code_out = xstrdup(r->code);
    return ST_OK;
}
