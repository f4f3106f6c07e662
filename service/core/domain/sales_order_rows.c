/*
 * sales_order_rows.c - a stored order as Sales Order rows, and a batched
 * save's answer per order (see sales_order_rows.h for the decisions).
 *
 * A batched SaveData answers with one status per row, keyed by Reference
 * (= SalesOrderNumber). Statuses are matched back to orders by Reference;
 * if any Reference matches none of the orders in the call, by position
 * when there is exactly one status per row; otherwise the call's outcome
 * is unknown for every order in it. What each order's share of the call
 * then is (so_batch_share) follows one rule: an order is saved only when
 * Peoplevox said so about its rows and nothing in the call was refused;
 * its own rejected row holds it; anything less certain is a retry on its
 * own, where the single path looks before it writes.
 */
#include "sales_order_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SO_CHANNEL "Shopline"

/* ---- the Sales Order number ---- */

static bool so_is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

int so_number_make(const char *prefix, const char *name, char *out, size_t cap)
{
    size_t n = 0;
    size_t name_bytes = 0;
    const char *p;

    if (out == NULL || cap == 0)
        return -1;
    out[0] = '\0';
    if (name == NULL)
        return -1;
    for (p = prefix != NULL ? prefix : ""; *p != '\0'; p++) {
        if (so_is_control((unsigned char)*p) || n >= SO_NUMBER_MAX_BYTES || n + 1 >= cap)
            goto fail;
        out[n++] = *p;
    }
    for (p = name; *p != '\0'; p++) {
        if (*p == '#')
            continue;
        if (so_is_control((unsigned char)*p) || n >= SO_NUMBER_MAX_BYTES || n + 1 >= cap)
            goto fail;
        out[n++] = *p;
        name_bytes++;
    }
    if (name_bytes == 0)
        goto fail;
    out[n] = '\0';
    return 0;
fail:
    out[0] = '\0';
    return -1;
}

/* ---- the stored order and its lines ---- */

static void so_address_cleanup(struct so_address *a)
{
    char *s[] = {a->line1, a->line2, a->city, a->region, a->postcode, a->country};

    for (size_t i = 0; i < ARRAY_LEN(s); i++)
        free(s[i]);
}

void so_order_cleanup(struct so_order *o)
{
    if (o == NULL)
        return;
    char *s[] = {o->shop,         o->name,     o->state,    o->hold_reason, o->so_number,
                 o->site,         o->location_id, o->country_code, o->email,   o->customer,
                 o->contact,      o->shipping, o->total,    o->discount,    o->tax,
                 o->created,      o->service};

    for (size_t i = 0; i < ARRAY_LEN(s); i++)
        free(s[i]);
    so_address_cleanup(&o->ship);
    so_address_cleanup(&o->bill);
    memset(o, 0, sizeof(*o));
}

void so_lines_alloc(struct so_lines *l, size_t n)
{
    l->n = n;
    l->lines = xcalloc(n > 0 ? n : 1, sizeof(*l->lines));
    l->line_no = xcalloc(n > 0 ? n : 1, sizeof(*l->line_no));
    for (size_t i = 0; i < n; i++)
        l->lines[i].fulfillable_quantity = -1;
}

void so_lines_cleanup(struct so_lines *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->lines[i].line_id);
        free(l->lines[i].sku);
        free(l->lines[i].price);
    }
    free(l->lines);
    free(l->line_no);
    memset(l, 0, sizeof(*l));
}

void so_lines_number(struct so_lines *l)
{
    int max_no = 0;

    for (size_t i = 0; i < l->n; i++) {
        if (l->line_no[i] > max_no)
            max_no = l->line_no[i];
    }
    for (size_t i = 0; i < l->n; i++) {
        if (l->line_no[i] == 0 && order_line_ships(&l->lines[i]))
            l->line_no[i] = ++max_no;
    }
}

/* ---- money ---- */

void so_money(const char *v, char *out, size_t cap)
{
    const char *dot;
    size_t n;

    if (v == NULL) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap, "%s", v);
    dot = strchr(out, '.');
    if (dot == NULL)
        return;
    n = strlen(out);
    while (n > (size_t)(dot - out) + 3 && out[n - 1] == '0')
        out[--n] = '\0';
}

static bool so_blank(const char *s)
{
    return s == NULL || s[0] == '\0';
}

bool so_money_equal(const char *a, const char *b)
{
    char *ea, *eb;
    double x, y;

    if (so_blank(a) || so_blank(b))
        return so_blank(a) == so_blank(b);
    x = strtod(a, &ea);
    y = strtod(b, &eb);
    if (*ea != '\0' || *eb != '\0')
        return strcmp(a, b) == 0;
    return x - y < 0.00005 && y - x < 0.00005;
}

/* ---- rows ---- */

void so_order_row_fill(const struct so_order *o, const char *so_number, const char *site,
                       struct so_order_row *row)
{
    const char *customer = o->email ? o->email : o->customer ? o->customer : o->contact;
    const char *contact = o->contact ? o->contact : o->customer;

    so_money(o->shipping, row->ship, sizeof(row->ship));
    so_money(o->total, row->total, sizeof(row->total));
    so_money(o->discount, row->discount, sizeof(row->discount));
    so_money(o->tax, row->tax, sizeof(row->tax));
    const struct pvx_field_value v[SO_ORDER_FIELDS] = {
        {"SalesOrderNumber", so_number},
        {"CustomerPurchaseOrderReferenceNumber", o->name},
        {"Customer", customer},
        {"Email", o->email},
        {"ContactName", contact},
        {"ShippingAddressLine1", o->ship.line1},
        {"ShippingAddressLine2", o->ship.line2},
        {"ShippingAddressCity", o->ship.city},
        {"ShippingAddressRegion", o->ship.region},
        {"ShippingAddressPostcode", o->ship.postcode},
        {"ShippingAddressCountry", o->ship.country},
        {"InvoiceAddressLine1", o->bill.line1},
        {"InvoiceAddressLine2", o->bill.line2},
        {"InvoiceAddressCity", o->bill.city},
        {"InvoiceAddressRegion", o->bill.region},
        {"InvoiceAddressPostcode", o->bill.postcode},
        {"InvoiceAddressCountry", o->bill.country},
        {"IsPartialShipment", "True"},
        {"ShippingCost", row->ship},
        {"TotalSale", row->total},
        {"Discount", row->discount},
        {"TaxPaid", row->tax},
        {"CreatedDate", o->created},
        {"ServiceType", o->service},
        {"ChannelName", SO_CHANNEL},
        {"Site", site},
        {"RequestedDeliveryDate", ""},
    };

    memcpy(row->v, v, sizeof(v));
    row->rec = (struct pvx_record){row->v, SO_ORDER_FIELDS};
}

size_t so_item_rows_fill(const struct so_lines *l, char *const *item_codes, const char *so_number,
                         struct so_item_row *rows)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n; i++) {
        struct so_item_row *r = &rows[n];

        if (item_codes == NULL || item_codes[i] == NULL || l->line_no[i] <= 0)
            continue;
        snprintf(r->qty, sizeof(r->qty), "%lld", (long long)l->lines[i].quantity);
        snprintf(r->line, sizeof(r->line), "%d", l->line_no[i]);
        so_money(l->lines[i].price, r->price, sizeof(r->price));
        r->v[0] = (struct pvx_field_value){"SalesOrderNumber", so_number};
        r->v[1] = (struct pvx_field_value){"ItemCode", item_codes[i]};
        r->v[2] = (struct pvx_field_value){"QuantityOrdered", r->qty};
        r->v[3] = (struct pvx_field_value){"Line", r->line};
        r->v[4] = (struct pvx_field_value){"Sequence", r->line};
        r->v[5] = (struct pvx_field_value){"SalePrice", r->price};
        r->rec = (struct pvx_record){r->v, SO_ITEM_FIELDS};
        n++;
    }
    return n;
}

/* ---- the existence check's comparison ---- */

static bool so_text_equal(const char *a, const char *b)
{
    return strcasecmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

void so_compare(const struct so_order *o, const char *site, const struct csv_table *t, size_t row,
                char *why, size_t cap)
{
    char total[SO_MONEY_MAX_BYTES];
    int c_site = csv_table_col(t, "Site");
    int c_email = csv_table_col(t, "Email");
    int c_total = csv_table_col(t, "TotalSale");
    int c_status = csv_table_col(t, "Status");
    const char *theirs;

    why[0] = '\0';
    so_money(o->total, total, sizeof(total));
    if (c_status >= 0 && strcasecmp(csv_table_get(t, row, c_status), "Cancelled") == 0) {
        snprintf(why, cap, "it is Cancelled in Peoplevox");
    } else if (c_site >= 0 && !so_text_equal(theirs = csv_table_get(t, row, c_site), site)) {
        snprintf(why, cap, "site is %.100s in Peoplevox, we would send %s", theirs, site);
    } else if (c_email >= 0 && !so_text_equal(csv_table_get(t, row, c_email), o->email)) {
        snprintf(why, cap, "the customer email differs");
    } else if (c_total >= 0 && !so_money_equal(theirs = csv_table_get(t, row, c_total), total)) {
        snprintf(why, cap, "TotalSale is %.60s in Peoplevox, we would send %s", theirs, total);
    }
}

/* ---- a batched save's answer ---- */

/* The order in the call whose Sales Order number is ref, or n_orders. */
static size_t so_verdict_find(const char *const *numbers, size_t n_orders,
                              const struct so_verdict *v, const char *ref)
{
    for (size_t i = 0; i < n_orders; i++) {
        if (v[i].rows > 0 && strcmp(numbers[i], ref) == 0)
            return i;
    }
    return n_orders;
}

bool so_verdicts_match(const char *const *numbers, size_t n_orders, const size_t *owner,
                       size_t n_rows, const struct pvx_response *r, struct so_verdict *v,
                       bool *by_position)
{
    size_t *to = xcalloc(r->n_statuses + 1, sizeof(*to));
    bool ok = true;

    *by_position = false;
    for (size_t s = 0; s < r->n_statuses && ok; s++)
        ok = (to[s] = so_verdict_find(numbers, n_orders, v, r->statuses[s].reference)) < n_orders;
    if (!ok && r->n_statuses == n_rows) {
        memcpy(to, owner, n_rows * sizeof(*to));
        *by_position = true;
        ok = true;
    }
    for (size_t s = 0; s < r->n_statuses && ok; s++) {
        struct so_verdict *jv = &v[to[s]];
        const struct pvx_row_status *st = &r->statuses[s];

        jv->seen++;
        if (jv->error == NULL && strcasecmp(st->status, "Success") != 0)
            jv->error = st->message[0] != '\0' ? st->message
                        : r->detail != NULL    ? r->detail
                                               : st->status;
    }
    free(to);
    return ok;
}

enum so_share so_batch_share(enum st call, bool call_unknown, size_t n_statuses, bool matched,
                             const struct so_verdict *v)
{
    if (call == ST_OK && n_statuses == 0)
        return SO_SHARE_SAVED; /* accepted as a whole, as the single path trusts it */
    if (call == ST_RETRY || call_unknown)
        return SO_SHARE_CALL_RETRY;
    if (n_statuses == 0)
        return SO_SHARE_REFUSED_WHOLE;
    if (!matched || v->seen == 0)
        return SO_SHARE_UNMATCHED;
    if (v->error != NULL)
        return SO_SHARE_REJECTED;
    /*
     * Other rows of the call were rejected. Whether Peoplevox applied the
     * good rows of a partly rejected SaveData is not documented, so this
     * order is not assumed saved: it retries alone, existence check first.
     */
    if (call != ST_OK)
        return SO_SHARE_OTHERS_REJECTED;
    return SO_SHARE_SAVED;
}

enum st so_share_status(enum so_share s)
{
    switch (s) {
    case SO_SHARE_SAVED: return ST_OK;
    case SO_SHARE_REJECTED: return ST_FAIL;
    case SO_SHARE_CALL_RETRY:
    case SO_SHARE_REFUSED_WHOLE:
    case SO_SHARE_UNMATCHED:
    case SO_SHARE_OTHERS_REJECTED: return ST_RETRY;
    }
    return ST_RETRY;
}

const char *so_share_name(enum so_share s)
{
    static const char *const names[] = {"saved",     "call_retry", "refused_whole",
                                        "unmatched", "rejected",   "others_rejected"};

    return (unsigned)s < ARRAY_LEN(names) ? names[s] : "unknown";
}
