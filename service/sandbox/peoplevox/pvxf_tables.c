/*
 * pvxf_tables.c - the row sets GetData and GetReportData return.
 *
 * Each template or report is flattened into a plain table of strings (the
 * column names it exposes, then one row per record) before any search,
 * sort or paging runs, so pvxf_query.c never knows about orders or
 * stock. Column names follow the real service: data templates use field
 * names (`SalesOrderNumber`), reports use captions (`Salesorder number`).
 * Report dates are day-first, 'dd/MM/yyyy HH:mm' in UTC (or on the
 * process's local clock with local_report_dates: a tenant's Peoplevox
 * prints its own time zone's wall clock), quoted with single quotes unless
 * the sandbox was started with plain_report_dates.
 */
#include "pvxf_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static void pvxf_fmt_date(int64_t ms, unsigned dates, char *out, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    bool plain = (dates & PVXF_DATES_PLAIN) != 0;
    struct tm tm;
    char tmp[80];
    size_t n;

    if (dates & PVXF_DATES_LOCAL)
        localtime_r(&s, &tm);
    else
        gmtime_r(&s, &tm);
    snprintf(tmp, sizeof(tmp), "%s%02d/%02d/%04d %02d:%02d%s", plain ? "" : "'", tm.tm_mday,
             tm.tm_mon + 1, tm.tm_year + 1900, tm.tm_hour, tm.tm_min, plain ? "" : "'");
    n = strlen(tmp) < cap ? strlen(tmp) : cap - 1;
    memcpy(out, tmp, n);
    out[n] = '\0';
}

static void pvxf_build_orders(const struct pvxf_state *st, struct pvxf_table *t)
{
    pvxf_table_init(t, pvxf_order_fields, pvxf_n_order_fields);
    for (size_t i = 0; i < st->n_orders; i++) {
        const struct pvxf_order *o = &st->orders[i];
        const char *v[64]; /* the order field list is a fixed 31 */

        for (size_t f = 0; f < pvxf_n_order_fields; f++)
            v[f] = strcmp(pvxf_order_fields[f], "Status") == 0 ? o->status : o->vals[f];
        pvxf_table_add(t, v);
    }
}

static void pvxf_build_lines(const struct pvxf_state *st, struct pvxf_table *t)
{
    pvxf_table_init(t, pvxf_line_fields, pvxf_n_line_fields);
    for (size_t i = 0; i < st->n_orders; i++) {
        for (size_t k = 0; k < st->orders[i].n_lines; k++)
            pvxf_table_add(t, (const char *const *)st->orders[i].lines[k].vals);
    }
}

static void pvxf_build_items(const struct pvxf_state *st, struct pvxf_table *t)
{
    static const char *const cols[] = {"ItemCode", "Barcode", "Name", "Description", "Weight"};

    pvxf_table_init(t, cols, ARRAY_LEN(cols));
    for (size_t i = 0; i < st->n_items; i++) {
        const struct pvxf_item *it = &st->items[i];
        const char *v[] = {it->code, it->barcode, it->name, it->description, it->weight};

        pvxf_table_add(t, v);
    }
}

static void pvxf_build_sites(struct pvxf_table *t)
{
    static const char *const cols[] = {"Reference", "Name"};
    static const char *const rows[][2] = {
        {"PrimarySite", "Primary site"}, {"LONDON", "London warehouse"},
        {"MANCHESTER", "Manchester warehouse"}, {"SystemSite", "System site"},
    };

    pvxf_table_init(t, cols, ARRAY_LEN(cols));
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        pvxf_table_add(t, rows[i]);
}

static void pvxf_build_despatches(const struct pvxf_state *st, unsigned dates,
                                  struct pvxf_table *t)
{
    static const char *const cols[] = {
        "Salesorder number", "Despatch number", "Despatch date", "Carrier", "Service",
        "Tracking number", "Item code", "No of items", "Site reference",
    };

    pvxf_table_init(t, cols, ARRAY_LEN(cols));
    for (size_t i = 0; i < st->n_despatches; i++) {
        const struct pvxf_despatch *d = &st->despatches[i];
        char date[32];

        pvxf_fmt_date(d->at_ms, dates, date, sizeof(date));
        for (size_t k = 0; k < d->n_lines; k++) {
            char qty[24];
            const char *v[] = {d->so, d->number, date, d->carrier, d->service,
                               d->tracking, d->lines[k].item_code, qty, d->site};

            snprintf(qty, sizeof(qty), "%ld", d->lines[k].qty);
            pvxf_table_add(t, v);
        }
    }
}

/* Quantity of code still to pick on open orders routed to site. */
static long pvxf_allocated(const struct pvxf_state *st, const char *code, const char *site)
{
    long n = 0;

    for (size_t i = 0; i < st->n_orders; i++) {
        const struct pvxf_order *o = &st->orders[i];

        if (strcmp(o->status, "Cancelled") == 0 || strcmp(pvxf_order_get(o, "Site"), site) != 0)
            continue;
        for (size_t k = 0; k < o->n_lines; k++) {
            if (strcmp(pvxf_line_get(&o->lines[k], "ItemCode"), code) == 0)
                n += strtol(pvxf_line_get(&o->lines[k], "QuantityOrdered"), NULL, 10) -
                     o->lines[k].despatched;
        }
    }
    return n;
}

/*
 * One row per item per site; with changes (the `Item inventory changes`
 * report a tenant may have) a `Last changed` date column as well.
 */
static void pvxf_build_inventory(const struct pvxf_state *st, bool changes, unsigned dates,
                                 struct pvxf_table *t)
{
    static const char *const cols[] = {"Item code", "Available", "On hand", "Allocated",
                                       "Site reference", "Last changed"};

    pvxf_table_init(t, cols, ARRAY_LEN(cols) - (changes ? 0 : 1));
    for (size_t i = 0; i < st->n_stock; i++) {
        const struct pvxf_stock *sk = &st->stock[i];
        long alloc = pvxf_allocated(st, sk->item_code, sk->site);
        long avail = sk->on_hand > alloc ? sk->on_hand - alloc : 0;
        char a[24], h[24], l[24], date[32];
        const char *v[] = {sk->item_code, a, h, l, sk->site, date};

        snprintf(a, sizeof(a), "%ld", avail);
        snprintf(h, sizeof(h), "%ld", sk->on_hand);
        snprintf(l, sizeof(l), "%ld", alloc);
        pvxf_fmt_date(sk->changed_ms, dates, date, sizeof(date));
        pvxf_table_add(t, v);
    }
}

static void pvxf_build_returns(const struct pvxf_state *st, unsigned dates, struct pvxf_table *t)
{
    static const char *const cols[] = {
        "Return code", "Return date", "Sales order number", "Item code", "Quantity",
        "Return reason", "Return condition", "Is Reusable", "Site reference",
    };

    pvxf_table_init(t, cols, ARRAY_LEN(cols));
    for (size_t i = 0; i < st->n_returns; i++) {
        const struct pvxf_return *r = &st->returns[i];
        char date[32], qty[24];
        const char *v[] = {r->code, date, r->so, r->item_code, qty, r->reason,
                           r->condition, r->reusable ? "True" : "False", r->site};

        pvxf_fmt_date(r->at_ms, dates, date, sizeof(date));
        snprintf(qty, sizeof(qty), "%ld", r->qty);
        pvxf_table_add(t, v);
    }
}

enum st pvxf_tables_build(const struct pvxf_state *st, const char *name, bool report,
                          unsigned dates, struct pvxf_table *out, struct errbuf *err)
{
    if (!report && strcasecmp(name, "Sales orders") == 0)
        pvxf_build_orders(st, out);
    else if (!report && strcasecmp(name, "Sales order items") == 0)
        pvxf_build_lines(st, out);
    else if (!report && strcasecmp(name, "Item types") == 0)
        pvxf_build_items(st, out);
    else if (!report && strcasecmp(name, "Sites") == 0)
        pvxf_build_sites(out);
    else if (report && strcasecmp(name, "Despatch summary") == 0)
        pvxf_build_despatches(st, dates, out);
    else if (report && strcasecmp(name, "Item inventory summary") == 0)
        pvxf_build_inventory(st, false, dates, out);
    else if (report && strcasecmp(name, "Item inventory changes") == 0)
        pvxf_build_inventory(st, true, dates, out);
    else if (report && strcasecmp(name, "Return summary") == 0)
        pvxf_build_returns(st, dates, out);
    else {
        errbuf_set(err, "%s '%s' does not exist", report ? "Report" : "Template", name);
        return ST_FAIL;
    }
    return ST_OK;
}
