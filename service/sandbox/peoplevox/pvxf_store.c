/*
 * pvxf_store.c - the fake warehouse: catalogue, stock, sales orders,
 * despatches, with the rules a real tenant enforces (returns: pvxf_returns.c).
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
#include "pvxf_store.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "pvxf_query.h"

/* The tenant's configured order: not the documented one, plus a custom field. */
const char *const pvxf_order_fields[] = {
    "Customer", "SalesOrderNumber", "Email", "ContactName", "ChannelName", "Site",
    "CustomerPurchaseOrderReferenceNumber", "CreatedDate", "RequestedDeliveryDate",
    "ShippingAddressLine1", "ShippingAddressLine2", "ShippingAddressCity",
    "ShippingAddressRegion", "ShippingAddressPostcode", "ShippingAddressCountry",
    "InvoiceAddressLine1", "InvoiceAddressLine2", "InvoiceAddressCity",
    "InvoiceAddressRegion", "InvoiceAddressPostcode", "InvoiceAddressCountry",
    "ServiceType", "PaymentMethod", "ShippingCost", "TotalSale", "Discount", "TaxPaid",
    "IsPartialShipment", "OnHold", "Status", "CustomField1",
};
const size_t pvxf_n_order_fields = ARRAY_LEN(pvxf_order_fields);

const char *const pvxf_line_fields[] = {
    "SalesOrderNumber", "ItemCode", "QuantityOrdered", "RequestedDeliveryDate",
    "Line", "Sequence", "SalePrice",
};
const size_t pvxf_n_line_fields = ARRAY_LEN(pvxf_line_fields);

/* Indexes into the field lists above (checked in pvxf_store_init). */
enum { PVXF_OF_SO = 1, PVXF_OF_SITE = 5, PVXF_OF_STATUS = 29 };
enum {
    PVXF_LF_SO, PVXF_LF_CODE, PVXF_LF_QTY, PVXF_LF_DATE, PVXF_LF_LINE, PVXF_LF_SEQ, PVXF_LF_PRICE
};

static const char *const pvxf_sites[] = {"PrimarySite", "LONDON", "MANCHESTER", "SystemSite"};

static const char *const pvxf_seed_names[][2] = {
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

static void pvxf_free_strv(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static char **pvxf_new_strv(size_t n)
{
    char **v = xcalloc(n, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        v[i] = xstrdup("");
    return v;
}

static void pvxf_set(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v ? v : "");
}

int pvxf_field_index(const char *const *fields, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(fields[i], name) == 0)
            return (int)i;
    }
    return -1;
}

const char *pvxf_order_get(const struct pvxf_order *o, const char *field)
{
    int i = pvxf_field_index(pvxf_order_fields, pvxf_n_order_fields, field);

    return i < 0 ? "" : o->vals[i];
}

const char *pvxf_line_get(const struct pvxf_line *l, const char *field)
{
    int i = pvxf_field_index(pvxf_line_fields, pvxf_n_line_fields, field);

    return i < 0 ? "" : l->vals[i];
}

bool pvxf_store_site_known(const char *site)
{
    for (size_t i = 0; i < ARRAY_LEN(pvxf_sites); i++) {
        if (strcmp(pvxf_sites[i], site) == 0)
            return true;
    }
    return false;
}

static void pvxf_order_free(struct pvxf_order *o)
{
    for (size_t i = 0; i < o->n_lines; i++)
        pvxf_free_strv(o->lines[i].vals, pvxf_n_line_fields);
    free(o->lines);
    pvxf_free_strv(o->vals, pvxf_n_order_fields);
    free(o->status);
}

static void pvxf_despatch_free(struct pvxf_despatch *d)
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

static void pvxf_store_seed(struct pvxf_state *st)
{
    for (size_t i = 0; i < ARRAY_LEN(pvxf_seed_names); i++) {
        char barcode[16];
        long primary = i == 18 ? 0 : 100 - (long)i * 3;

        snprintf(barcode, sizeof(barcode), "50123450000%02zu", i);
        pvxf_store_put_item(st, pvxf_seed_names[i][0], pvxf_seed_names[i][1], barcode,
                            "PrimarySite", primary);
        if (i < 8)
            pvxf_store_put_item(st, pvxf_seed_names[i][0], NULL, NULL, "LONDON", 10);
        if (i % 2 == 1)
            pvxf_store_put_item(st, pvxf_seed_names[i][0], NULL, NULL, "MANCHESTER", 5);
    }
}

void pvxf_store_init(struct pvxf_state *st, bool seed)
{
    assert(strcmp(pvxf_order_fields[PVXF_OF_SO], "SalesOrderNumber") == 0);
    assert(strcmp(pvxf_order_fields[PVXF_OF_SITE], "Site") == 0);
    assert(strcmp(pvxf_order_fields[PVXF_OF_STATUS], "Status") == 0);
    assert(strcmp(pvxf_line_fields[PVXF_LF_LINE], "Line") == 0);
    memset(st, 0, sizeof(*st));
    st->next_despatch = 1;
    st->next_return = 1;
    st->next_subscription = 1;
    pvxf_returns_init(st);
    if (seed)
        pvxf_store_seed(st);
}

void pvxf_store_cleanup(struct pvxf_state *st)
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
        pvxf_order_free(&st->orders[i]);
    for (size_t i = 0; i < st->n_despatches; i++)
        pvxf_despatch_free(&st->despatches[i]);
    pvxf_returns_cleanup(st);
    free(st->items);
    free(st->stock);
    free(st->orders);
    free(st->despatches);
    free(st->sessions);
    memset(st, 0, sizeof(*st));
}

void pvxf_store_reset(struct pvxf_state *st, bool seed)
{
    pvxf_store_cleanup(st);
    pvxf_store_init(st, seed);
}

bool pvxf_store_delete_order(struct pvxf_state *st, const char *so)
{
    struct pvxf_order *o = pvxf_store_find_order(st, so);
    size_t i = o != NULL ? (size_t)(o - st->orders) : 0;

    if (o == NULL)
        return false;
    pvxf_order_free(o);
    memmove(o, o + 1, (st->n_orders - i - 1) * sizeof(*o));
    st->n_orders--;
    memset(&st->orders[st->n_orders], 0, sizeof(*o)); /* a new order starts from zeroes */
    return true;
}

struct pvxf_item *pvxf_find_item(struct pvxf_state *st, const char *code)
{
    for (size_t i = 0; i < st->n_items; i++) {
        if (strcmp(st->items[i].code, code) == 0)
            return &st->items[i];
    }
    return NULL;
}

struct pvxf_stock *pvxf_find_stock(struct pvxf_state *st, const char *code, const char *site)
{
    for (size_t i = 0; i < st->n_stock; i++) {
        if (strcmp(st->stock[i].item_code, code) == 0 && strcmp(st->stock[i].site, site) == 0)
            return &st->stock[i];
    }
    return NULL;
}

/* Available of code at site may have moved now (the changes report's Last changed). */
static void pvxf_stock_touch(struct pvxf_state *st, const char *code, const char *site)
{
    struct pvxf_stock *sk = pvxf_find_stock(st, code, site);

    if (sk != NULL)
        sk->changed_ms = now_ms_wall();
}

/* Every line of o allocates (or, cancelled, frees) stock: their rows changed. */
static void pvxf_order_touch(struct pvxf_state *st, const struct pvxf_order *o)
{
    for (size_t k = 0; k < o->n_lines; k++)
        pvxf_stock_touch(st, o->lines[k].vals[PVXF_LF_CODE], o->vals[PVXF_OF_SITE]);
}

void pvxf_store_put_item(struct pvxf_state *st, const char *code, const char *name,
                         const char *barcode, const char *site, long qty)
{
    struct pvxf_item *it = pvxf_find_item(st, code);
    struct pvxf_stock *sk;

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
        pvxf_set(&it->name, name);
        pvxf_set(&it->description, name);
    }
    if (barcode != NULL && barcode[0] != '\0')
        pvxf_set(&it->barcode, barcode);
    if (site == NULL)
        return;
    sk = pvxf_find_stock(st, code, site);
    if (sk == NULL) {
        st->stock = buf_grow_array(st->stock, &st->cap_stock, st->n_stock + 1, sizeof(*sk));
        sk = &st->stock[st->n_stock++];
        sk->item_code = xstrdup(code);
        sk->site = xstrdup(site);
    }
    sk->on_hand = qty;
    sk->changed_ms = now_ms_wall();
}

struct pvxf_order *pvxf_store_find_order(struct pvxf_state *st, const char *so)
{
    for (size_t i = 0; st->orders != NULL && i < st->n_orders; i++) {
        char **vals = st->orders[i].vals;
        const char *v = vals != NULL ? vals[PVXF_OF_SO] : NULL;

        if (v != NULL && strcmp(v, so) == 0)
            return &st->orders[i];
    }
    return NULL;
}

/* ---- value checks ---- */

static bool pvxf_is_decimal(const char *s)
{
    char *end;

    if (s[0] == '\0')
        return true;
    (void)strtod(s, &end);
    return end != s && *end == '\0';
}

bool pvxf_is_int(const char *s, long min)
{
    char *end;
    long v;

    if (s[0] == '\0')
        return false;
    v = strtol(s, &end, 10);
    return *end == '\0' && v >= min;
}

static bool pvxf_is_bool(const char *s)
{
    static const char *const ok[] = {"", "True", "False", "true", "false", "1", "0"};

    for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
        if (strcmp(s, ok[i]) == 0)
            return true;
    }
    return false;
}

static bool pvxf_is_import_date(const char *s)
{
    int64_t t;

    return s[0] == '\0' || (strlen(s) >= 10 && s[4] == '-' && pvxf_parse_date(s, &t));
}

/* ---- SaveData ---- */

/* Maps each CSV column to a template field; -1 result = refused header. */
int pvxf_map_header(const struct csv_table *csv, const char *const *fields, size_t n, int *map,
                    struct pvxf_result *res, const char *tmpl)
{
    const struct csv_row *h = &csv->rows[0];

    for (size_t c = 0; c < h->n; c++) {
        map[c] = pvxf_field_index(fields, n, h->fields[c]);
        if (map[c] < 0) {
            pvxf_result_fail(res, "Unknown field '%s' for template '%s'", h->fields[c], tmpl);
            return -1;
        }
        for (size_t p = 0; p < c; p++) {
            if (map[p] == map[c]) {
                pvxf_result_fail(res, "Field '%s' appears twice", h->fields[c]);
                return -1;
            }
        }
    }
    return 0;
}

/* The row's value for template field index f, or NULL when not a column. */
const char *pvxf_row_value(const struct csv_table *csv, size_t row, const int *map, int f)
{
    for (size_t c = 0; c < csv->rows[0].n; c++) {
        if (map[c] == f)
            return csv_table_get(csv, row, (int)c);
    }
    return NULL;
}

/* The row's values for template fields 0..n-1, "" where a field is not a column. */
static void pvxf_row_values(const struct csv_table *csv, size_t row, const int *map, size_t n,
                            const char **v)
{
    for (size_t f = 0; f < n; f++) {
        const char *x = pvxf_row_value(csv, row, map, (int)f);
        v[f] = x ? x : "";
    }
}

static bool pvxf_order_despatched(const struct pvxf_order *o)
{
    return strcmp(o->status, "Despatched") == 0 || strcmp(o->status, "Partially despatched") == 0;
}

static bool pvxf_is_cancelled(const struct pvxf_order *o)
{
    return strcmp(o->status, "Cancelled") == 0;
}

/* Dates, numbers and booleans of an order row; msg set when one is malformed. */
static void pvxf_check_order_formats(const char *const *v, char *msg, size_t cap)
{
    static const char *const dates[] = {"CreatedDate", "RequestedDeliveryDate"};
    static const char *const nums[] = {"ShippingCost", "TotalSale", "Discount", "TaxPaid"};
    static const char *const bools[] = {"IsPartialShipment", "OnHold"};

    for (size_t i = 0; msg[0] == '\0' && i < ARRAY_LEN(dates); i++) {
        const char *d = v[pvxf_field_index(pvxf_order_fields, pvxf_n_order_fields, dates[i])];
        if (!pvxf_is_import_date(d))
            snprintf(msg, cap, "%s '%s' is not a date (yyyy-MM-dd HH:mm:ss)", dates[i], d);
    }
    for (size_t i = 0; msg[0] == '\0' && i < ARRAY_LEN(nums); i++) {
        const char *d = v[pvxf_field_index(pvxf_order_fields, pvxf_n_order_fields, nums[i])];
        if (!pvxf_is_decimal(d))
            snprintf(msg, cap, "%s '%s' is not a number", nums[i], d);
    }
    for (size_t i = 0; msg[0] == '\0' && i < ARRAY_LEN(bools); i++) {
        const char *d = v[pvxf_field_index(pvxf_order_fields, pvxf_n_order_fields, bools[i])];
        if (!pvxf_is_bool(d))
            snprintf(msg, cap, "%s '%s' is not a boolean", bools[i], d);
    }
}

/* Why an order row (values by field index) cannot be applied, or NULL. */
static const char *pvxf_check_order_row(struct pvxf_state *st, const char *const *v,
                                        char *msg, size_t cap)
{
    const char *so = v[PVXF_OF_SO];
    const char *site = v[PVXF_OF_SITE];
    const char *status = v[PVXF_OF_STATUS];
    struct pvxf_order *o = pvxf_store_find_order(st, so);

    msg[0] = '\0';
    if (so[0] == '\0')
        snprintf(msg, cap, "SalesOrderNumber is required");
    else if (strlen(so) > PVXF_SO_MAX_CHARS)
        snprintf(msg, cap, "SalesOrderNumber '%s' is longer than %d characters", so,
                 PVXF_SO_MAX_CHARS);
    else if (strcmp(site, "SystemSite") == 0)
        snprintf(msg, cap, "Site 'SystemSite' is internal and cannot take sales orders");
    else if (site[0] != '\0' && !pvxf_store_site_known(site))
        snprintf(msg, cap, "Site '%s' does not exist", site);
    else if (status[0] != '\0' && strcmp(status, "Cancelled") != 0)
        snprintf(msg, cap, "Status '%s' is not allowed: only 'Cancelled'", status);
    else if (status[0] != '\0' && o == NULL)
        snprintf(msg, cap, "Sales order '%s' does not exist and cannot be cancelled", so);
    else if (status[0] != '\0' && pvxf_order_despatched(o))
        snprintf(msg, cap, "Sales order '%s' has been despatched and cannot be cancelled", so);
    else if (status[0] == '\0' && o != NULL && pvxf_is_cancelled(o))
        snprintf(msg, cap, "Sales order '%s' is cancelled", so);
    else
        pvxf_check_order_formats(v, msg, cap);
    return msg[0] ? msg : NULL;
}

static struct pvxf_order *pvxf_new_order(struct pvxf_state *st, const char *so)
{
    struct pvxf_order *o;

    st->orders = buf_grow_array(st->orders, &st->cap_orders, st->n_orders + 1, sizeof(*o));
    o = &st->orders[st->n_orders++];
    o->vals = pvxf_new_strv(pvxf_n_order_fields);
    pvxf_set(&o->vals[PVXF_OF_SO], so);
    pvxf_set(&o->vals[PVXF_OF_SITE], "PrimarySite");
    o->status = xstrdup("New");
    return o;
}

static void pvxf_save_order_row(struct pvxf_state *st, const struct csv_table *csv, size_t row,
                                const int *map, const void *ctx, struct pvxf_result *res)
{
    const char *v[ARRAY_LEN(pvxf_order_fields)];
    char msg[256];
    const char *err;
    struct pvxf_order *o;

    pvxf_row_values(csv, row, map, pvxf_n_order_fields, v);
    err = pvxf_check_order_row(st, v, msg, sizeof(msg));
    if (err != NULL) {
        pvxf_result_add_status(res, v[PVXF_OF_SO], "Error", err);
        return;
    }
    o = pvxf_store_find_order(st, v[PVXF_OF_SO]);
    if (o == NULL)
        o = pvxf_new_order(st, v[PVXF_OF_SO]);
    for (size_t f = 0; f < pvxf_n_order_fields; f++) {
        const char *x = pvxf_row_value(csv, row, map, (int)f);
        if (x == NULL || f == PVXF_OF_SO || f == PVXF_OF_STATUS ||
            (f == PVXF_OF_SITE && x[0] == '\0'))
            continue;
        pvxf_set(&o->vals[f], x);
    }
    if (v[PVXF_OF_STATUS][0] != '\0') {
        pvxf_set(&o->status, "Cancelled");
        pvxf_order_touch(st, o);
    }
    pvxf_result_add_status(res, v[PVXF_OF_SO], "Success", "");
}

static const char *pvxf_check_line_row(struct pvxf_state *st, const char *const *v,
                                       char *msg, size_t cap)
{
    struct pvxf_order *o = pvxf_store_find_order(st, v[PVXF_LF_SO]);
    const char *code = v[PVXF_LF_CODE];

    msg[0] = '\0';
    if (v[PVXF_LF_SO][0] == '\0')
        snprintf(msg, cap, "SalesOrderNumber is required");
    else if (o == NULL)
        snprintf(msg, cap, "Sales order '%s' does not exist", v[PVXF_LF_SO]);
    else if (pvxf_is_cancelled(o))
        snprintf(msg, cap, "Sales order '%s' is cancelled", v[PVXF_LF_SO]);
    else if (code[0] == '\0')
        snprintf(msg, cap, "ItemCode is required");
    else if (strlen(code) > PVXF_CODE_MAX_CHARS)
        snprintf(msg, cap, "ItemCode '%s' is longer than %d characters", code,
                 PVXF_CODE_MAX_CHARS);
    else if (strstr(code, "~D~") != NULL)
        snprintf(msg, cap, "Item type '%s' is deactivated", code);
    else if (pvxf_find_item(st, code) == NULL)
        snprintf(msg, cap, "Item type '%s' does not exist", code);
    else if (!pvxf_is_int(v[PVXF_LF_QTY], 1))
        snprintf(msg, cap, "QuantityOrdered '%s' is not a positive whole number", v[PVXF_LF_QTY]);
    else if (!pvxf_is_import_date(v[PVXF_LF_DATE]))
        snprintf(msg, cap, "RequestedDeliveryDate '%s' is not a date (yyyy-MM-dd HH:mm:ss)",
                 v[PVXF_LF_DATE]);
    else if (v[PVXF_LF_LINE][0] != '\0' && !pvxf_is_int(v[PVXF_LF_LINE], 0))
        snprintf(msg, cap, "Line '%s' is not a whole number", v[PVXF_LF_LINE]);
    else if (v[PVXF_LF_SEQ][0] != '\0' && !pvxf_is_int(v[PVXF_LF_SEQ], 0))
        snprintf(msg, cap, "Sequence '%s' is not a whole number", v[PVXF_LF_SEQ]);
    else if (!pvxf_is_decimal(v[PVXF_LF_PRICE]))
        snprintf(msg, cap, "SalePrice '%s' is not a number", v[PVXF_LF_PRICE]);
    return msg[0] ? msg : NULL;
}

/* The existing line with the row's key: its Line, else its ItemCode; or NULL. */
static struct pvxf_line *pvxf_find_line(struct pvxf_order *o, const char *line, const char *code)
{
    for (size_t i = 0; i < o->n_lines; i++) {
        struct pvxf_line *l = &o->lines[i];
        const char *key = line[0] != '\0' ? l->vals[PVXF_LF_LINE] : l->vals[PVXF_LF_CODE];

        if (strcmp(key, line[0] != '\0' ? line : code) == 0)
            return l;
    }
    return NULL;
}

static void pvxf_refresh_status(struct pvxf_order *o)
{
    long ordered = 0;
    long sent = 0;

    if (pvxf_is_cancelled(o))
        return;
    for (size_t i = 0; i < o->n_lines; i++) {
        ordered += strtol(o->lines[i].vals[PVXF_LF_QTY], NULL, 10);
        sent += o->lines[i].despatched;
    }
    pvxf_set(&o->status, sent == 0 ? "New" : sent >= ordered ? "Despatched"
                                                             : "Partially despatched");
}

static void pvxf_save_line_row(struct pvxf_state *st, const struct csv_table *csv, size_t row,
                               const int *map, const void *ctx, struct pvxf_result *res)
{
    const char *v[ARRAY_LEN(pvxf_line_fields)];
    char msg[256];
    const char *err;
    struct pvxf_order *o;
    struct pvxf_line *l;

    pvxf_row_values(csv, row, map, pvxf_n_line_fields, v);
    err = pvxf_check_line_row(st, v, msg, sizeof(msg));
    o = pvxf_store_find_order(st, v[PVXF_LF_SO]);
    l = err == NULL ? pvxf_find_line(o, v[PVXF_LF_LINE], v[PVXF_LF_CODE]) : NULL;
    if (err == NULL && l != NULL && strtol(v[PVXF_LF_QTY], NULL, 10) < l->despatched) {
        snprintf(msg, sizeof(msg), "QuantityOrdered %s is below the %ld already despatched",
                 v[PVXF_LF_QTY], l->despatched);
        err = msg;
    }
    if (err != NULL) {
        pvxf_result_add_status(res, v[PVXF_LF_SO], "Error", err);
        return;
    }
    if (l == NULL) {
        o->lines = buf_grow_array(o->lines, &o->cap_lines, o->n_lines + 1, sizeof(*l));
        l = &o->lines[o->n_lines++];
        l->vals = pvxf_new_strv(pvxf_n_line_fields);
    }
    for (size_t f = 0; f < pvxf_n_line_fields; f++) {
        const char *x = pvxf_row_value(csv, row, map, (int)f);
        if (x != NULL)
            pvxf_set(&l->vals[f], x);
    }
    pvxf_refresh_status(o);
    pvxf_stock_touch(st, l->vals[PVXF_LF_CODE], o->vals[PVXF_OF_SITE]);
    pvxf_result_add_status(res, v[PVXF_LF_SO], "Success", "");
}

void pvxf_store_save_rows(struct pvxf_state *st, const struct csv_table *csv, const int *map,
                          pvxf_row_fn fn, const void *ctx, struct pvxf_result *res)
{
    size_t failed = 0;

    for (size_t r = 1; r < csv->n_rows; r++) {
        fn(st, csv, r, map, ctx, res);
        failed += strcmp(res->statuses[res->n_statuses - 1].status, "Error") == 0;
    }
    res->total_count = (long)(csv->n_rows - 1);
    if (failed > 0)
        pvxf_result_fail(res, "%zu of %zu rows failed", failed, csv->n_rows - 1);
}

void pvxf_store_save(struct pvxf_state *st, const char *tmpl, const struct csv_table *csv,
                     struct pvxf_result *res)
{
    bool orders = strcasecmp(tmpl, "Sales orders") == 0;
    bool lines = strcasecmp(tmpl, "Sales order items") == 0;
    const char *const *fields = orders ? pvxf_order_fields : pvxf_line_fields;
    size_t n_fields = orders ? pvxf_n_order_fields : pvxf_n_line_fields;
    int *map = NULL;

    if (strcasecmp(tmpl, PVXF_RETURNS_TEMPLATE) == 0) {
        pvxf_returns_save(st, csv, res);
        goto out;
    }
    if (!orders && !lines) {
        pvxf_result_fail(res, "Template '%s' cannot be saved by the sandbox", tmpl);
        goto out;
    }
    if (csv->n_rows == 0) {
        pvxf_result_fail(res, "CsvData has no header row");
        goto out;
    }
    map = xcalloc(csv->rows[0].n, sizeof(*map));
    if (pvxf_map_header(csv, fields, n_fields, map, res, tmpl) < 0)
        goto out;
    if (pvxf_field_index(fields, n_fields, "SalesOrderNumber") >= 0 &&
        csv_table_col(csv, "SalesOrderNumber") < 0) {
        pvxf_result_fail(res, "CsvData has no SalesOrderNumber column");
        goto out;
    }
    pvxf_store_save_rows(st, csv, map, orders ? pvxf_save_order_row : pvxf_save_line_row, NULL,
                         res);
out:
    free(map);
}

/* ---- despatches (control endpoint) ---- */

static enum st pvxf_check_despatch(struct pvxf_order *o, const struct pvxf_dline *items,
                                   size_t n_items, struct errbuf *err)
{
    for (size_t i = 0; i < n_items; i++) {
        long left = 0;

        for (size_t k = 0; k < o->n_lines; k++) {
            if (strcmp(o->lines[k].vals[PVXF_LF_CODE], items[i].item_code) == 0)
                left += strtol(o->lines[k].vals[PVXF_LF_QTY], NULL, 10) - o->lines[k].despatched;
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
static void pvxf_apply_despatch_line(struct pvxf_state *st, struct pvxf_order *o,
                                     struct pvxf_despatch *d, const char *code, long qty)
{
    struct pvxf_stock *sk = pvxf_find_stock(st, code, d->site);

    d->lines[d->n_lines].item_code = xstrdup(code);
    d->lines[d->n_lines++].qty = qty;
    if (sk != NULL) {
        sk->on_hand = sk->on_hand > qty ? sk->on_hand - qty : 0;
        sk->changed_ms = now_ms_wall();
    }
    for (size_t k = 0; k < o->n_lines && qty > 0; k++) {
        struct pvxf_line *l = &o->lines[k];
        long left = strtol(l->vals[PVXF_LF_QTY], NULL, 10) - l->despatched;
        long take = left < qty ? left : qty;

        if (strcmp(l->vals[PVXF_LF_CODE], code) != 0 || take <= 0)
            continue;
        l->despatched += take;
        qty -= take;
    }
}

enum st pvxf_store_despatch(struct pvxf_state *st, const char *so, const struct pvxf_dline *items,
                            size_t n_items, const char *carrier, const char *service,
                            const char *tracking, char **number_out, struct errbuf *err)
{
    struct pvxf_order *o = pvxf_store_find_order(st, so ? so : "");
    struct pvxf_despatch *d;

    if (o == NULL || pvxf_is_cancelled(o)) {
        errbuf_set(err, "sales order %s %s", so ? so : "(none)",
                   o ? "is cancelled" : "does not exist");
        return ST_FAIL;
    }
    if (pvxf_check_despatch(o, items, n_items, err) != ST_OK)
        return ST_FAIL;
    st->despatches = buf_grow_array(st->despatches, &st->cap_despatches, st->n_despatches + 1,
                              sizeof(*d));
    d = &st->despatches[st->n_despatches++];
    d->number = xasprintf("DSP%06ld", st->next_despatch++);
    d->so = xstrdup(so);
    d->carrier = xstrdup(carrier ? carrier : "Royal Mail");
    d->service = xstrdup(service ? service : "Standard");
    d->tracking = xstrdup(tracking ? tracking : "");
    d->site = xstrdup(o->vals[PVXF_OF_SITE]);
    d->at_ms = now_ms_wall();
    d->lines = xcalloc(n_items ? n_items : o->n_lines, sizeof(*d->lines));
    for (size_t i = 0; i < n_items; i++)
        pvxf_apply_despatch_line(st, o, d, items[i].item_code, items[i].qty);
    for (size_t k = 0; n_items == 0 && k < o->n_lines; k++) {
        long left = strtol(o->lines[k].vals[PVXF_LF_QTY], NULL, 10) - o->lines[k].despatched;
        if (left > 0)
            pvxf_apply_despatch_line(st, o, d, o->lines[k].vals[PVXF_LF_CODE], left);
    }
    pvxf_refresh_status(o);
    *number_out = xstrdup(d->number);
    return ST_OK;
}

void pvxf_store_date_despatch(struct pvxf_state *st, const char *number, int64_t at_ms)
{
    for (size_t i = 0; i < st->n_despatches; i++)
        if (strcmp(st->despatches[i].number, number) == 0)
            st->despatches[i].at_ms = at_ms;
}
