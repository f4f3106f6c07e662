/*
 * sales_order_pvx.c - the Peoplevox calls of posting and cancelling: look a
 * Sales Order up by number, and save rows by field name.
 *
 * Decisions:
 *  - Rows are mapped by field NAME against the tenant's save template, and
 *    the CSV carries only the fields we fill (in the tenant's order): a
 *    cancellation must not blank the order's other fields. When Peoplevox
 *    refuses a column as unknown, the template is fetched again and the
 *    save repeated once. Fields we fill that the tenant does not have are
 *    logged once per process and template.
 *  - The client calls a SOAP fault a rejection unless its text says
 *    otherwise, but Peoplevox reports validation through ResponseId and row
 *    statuses: a fault that came with HTTP 5xx or 429 is the server's
 *    trouble, so it is retried (post_started_at makes the next attempt
 *    look before it writes).
 *  - Item rows that follow an accepted order row wait throttling out (the
 *    client's cool-down) within the Peoplevox timeout, rather than leave a
 *    half-posted order whose next attempt must look first; so does the
 *    look of many orders (so_pvx_find_many), rather than send them all
 *    back to the queue to be claimed and refused again.
 *  - An item code the local catalogue does not know is looked up in
 *    Peoplevox (`Item types` by ItemCode) before the order is held for it:
 *    the item may have been created since the last sync. Found items are
 *    added to `items` at once, as a sync would; a failed lookup is a retry.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalogue_items.h"
#include "catalogue_store.h"
#include "csv.h"
#include "log.h"
#include "sales_order_int.h"

#define SO_CSV_MAX_BYTES (4u * 1024u * 1024u)

static enum st so_pvx_status(enum st st, const struct pvx_outcome *oc)
{
    if (st == ST_FAIL && (oc->http_status >= 500 || oc->http_status == 429))
        return ST_RETRY;
    return st;
}

void so_note_throttle(struct so_ctx *x, const struct pvx_outcome *oc)
{
    x->throttled = oc->throttled;
    x->retry_after_ms = oc->throttled ? oc->retry_after_ms : 0;
}

enum st so_pvx_find(struct so_ctx *x, const char *so_number, struct csv_table *t, bool *found)
{
    struct pvx_outcome oc;
    struct buf clause;
    long total = 0;
    enum st st;

    memset(t, 0, sizeof(*t));
    *found = false;
    buf_init(&clause, 1024);
    st = pvx_clause_equals(&clause, "SalesOrderNumber", so_number, x->err);
    if (st == ST_OK) {
        st = pvx_get_data(x->w->pvx, x->w->curl, SO_TEMPLATE_ORDERS, buf_cstr(&clause), 1, 10, t,
                          &total, &oc);
        st = so_pvx_status(st, &oc);
        so_note_throttle(x, &oc);
        if (st != ST_OK)
            errbuf_set(x->err, "could not look up Sales Order %s: %s", so_number, oc.err.msg);
    }
    *found = st == ST_OK && t->n_rows > 1;
    buf_cleanup(&clause);
    return st;
}

static void so_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* After a call into tmpl that ended st: when Peoplevox (or the client's cool-down)
 * throttled it and the cool-down ends before deadline, waits it out and says to
 * call again. */
static bool so_wait_throttle(const struct so_ctx *x, const char *tmpl, enum st st,
                             const struct pvx_outcome *oc, int64_t deadline)
{
    if (st != ST_RETRY || !oc->throttled || now_ms_monotonic() + oc->retry_after_ms > deadline)
        return false;
    log_event(LOG_INFO, "pvx_throttle_wait", "template", tmpl, "order_id", x->order_id,
              LOG_I64("wait_ms", oc->retry_after_ms), NULL);
    so_sleep_ms(oc->retry_after_ms);
    return true;
}

enum st so_pvx_find_many(struct so_ctx *x, const char *tmpl, const char *const *numbers, size_t n,
                         struct csv_table *t)
{
    int64_t deadline = now_ms_monotonic() + x->w->cfg->pvx_timeout_ms;
    struct pvx_outcome oc;
    struct buf clause;
    enum st st;

    memset(t, 0, sizeof(*t));
    buf_init(&clause, 64 * n);
    if (pvx_clause_equals_any(&clause, "SalesOrderNumber", numbers, n, x->err) != ST_OK) {
        buf_cleanup(&clause);
        return ST_FAIL;
    }
    for (;;) {
        memset(&oc, 0, sizeof(oc));
        st = pvx_get_data_all(x->w->pvx, x->w->curl, tmpl, buf_cstr(&clause), PVX_MAX_PAGE_ITEMS,
                              SO_LOOK_MAX_ROWS, t, &oc);
        st = so_pvx_status(st, &oc);
        so_note_throttle(x, &oc);
        if (!so_wait_throttle(x, tmpl, st, &oc, deadline))
            break;
        csv_table_cleanup(t); /* a page or more may have come before the refusal */
    }
    if (st != ST_OK)
        errbuf_set(x->err, "could not look up %zu Sales Order(s) in '%s': %s", n, tmpl,
                   oc.err.msg);
    buf_cleanup(&clause);
    return st;
}

/* One item code looked up; a found, well-formed item is stored in `items`. */
static enum st so_lookup_item(struct so_ctx *x, const char *code, bool *found)
{
    struct catalogue_items items = {NULL, 0, 0, 0};
    struct catalogue_store_changes ch = {0, 0, 0};
    struct csv_table t = {0, NULL};
    struct pvx_outcome oc;
    struct buf clause;
    long total = 0;
    enum st st;

    *found = false;
    memset(&oc, 0, sizeof(oc));
    buf_init(&clause, 1024);
    st = pvx_clause_equals(&clause, "ItemCode", code, x->err);
    if (st == ST_OK) {
        st = pvx_get_data(x->w->pvx, x->w->curl, CATALOGUE_TEMPLATE, buf_cstr(&clause), 1, 10,
                          &t, &total, &oc);
        st = so_pvx_status(st, &oc);
        so_note_throttle(x, &oc);
        if (st != ST_OK)
            errbuf_set(x->err, "could not look up item %.60s in peoplevox: %s", code,
                       oc.err.msg);
    }
    if (st == ST_OK && t.n_rows > 1)
        st = catalogue_items_from_table(&t, &items, x->err);
    for (size_t i = 0; st == ST_OK && i < items.n; i++) {
        if (strcmp(items.items[i].code, code) != 0)
            continue;
        *found = true;
        st = catalogue_store_upsert(x->w->db, x->order.shop, &items.items[i], 1, &ch, x->err);
    }
    catalogue_items_cleanup(&items);
    csv_table_cleanup(&t);
    buf_cleanup(&clause);
    return st;
}

enum st so_lookup_unknown_items(struct so_ctx *x)
{
    size_t looked = 0;
    enum st st = ST_OK;

    for (size_t i = 0; st == ST_OK && i < x->chk.n_issues && looked < SO_LOOKUP_MAX_CODES; i++) {
        const struct sku_issue *is = &x->chk.issues[i];
        const char *code = is->mapped_to != NULL ? is->mapped_to : is->sku;
        bool found = false;

        if (is->problem != SKU_UNKNOWN)
            continue;
        looked++;
        st = so_lookup_item(x, code, &found);
        if (st == ST_OK)
            log_event(LOG_INFO, "item_lookup", "order_id", x->order_id, "found",
                      found ? "true" : "false", NULL);
    }
    return st;
}

/* ---- saving rows by field name ---- */

/* The tenant's fields that some record fills, in the tenant's order. */
static void so_header_subset(const struct pvx_fields *tenant, const struct pvx_record *recs,
                             size_t n, struct pvx_fields *out)
{
    out->n = 0;
    out->names = xcalloc(tenant->n, sizeof(char *));
    for (size_t f = 0; f < tenant->n; f++) {
        bool used = false;

        for (size_t r = 0; r < n && !used; r++) {
            for (size_t v = 0; v < recs[r].n && !used; v++)
                used = csv_name_equal(tenant->names[f], recs[r].values[v].name) != 0;
        }
        if (used)
            out->names[out->n++] = xstrdup(tenant->names[f]);
    }
}

static bool so_unknown_field_error(const struct pvx_response *r)
{
    return r->n_statuses == 0 && r->detail != NULL &&
           (strcasestr(r->detail, "unknown field") != NULL ||
            strcasestr(r->detail, "unknown column") != NULL);
}

/* Logs, once per process and template, our fields the tenant does not have. */
static void so_log_unknown(const char *tmpl, const struct pvx_fields *unknown)
{
    static atomic_bool logged[2];
    atomic_bool *flag = &logged[strcmp(tmpl, SO_TEMPLATE_ITEMS) == 0];
    struct buf names;

    if (unknown->n == 0 || atomic_exchange(flag, true))
        return;
    buf_init(&names, 1024);
    for (size_t i = 0; i < unknown->n; i++)
        buf_appendf(&names, "%s%s", i ? "," : "", unknown->names[i]);
    log_event(LOG_WARN, "pvx_fields_missing", "template", tmpl, "fields", buf_cstr(&names),
              NULL);
    buf_cleanup(&names);
}

/* One attempt: the template (refreshed when asked), the CSV, SaveData. */
static enum st so_save_once(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs,
                            size_t n, bool refresh, struct pvx_outcome *oc,
                            struct pvx_response *resp)
{
    struct pvx_fields tenant = {0, NULL}, header = {0, NULL}, unknown = {0, NULL};
    struct buf csv;
    enum st st;

    buf_init(&csv, SO_CSV_MAX_BYTES);
    st = pvx_get_save_template(x->w->pvx, x->w->curl, tmpl, refresh, &tenant, oc);
    if (st == ST_OK) {
        so_header_subset(&tenant, recs, n, &header);
        st = pvx_build_csv(&header, recs, n, &csv, &unknown, &oc->err);
    }
    if (st == ST_OK) {
        so_log_unknown(tmpl, &unknown);
        pvx_response_cleanup(resp);
        st = pvx_save_data(x->w->pvx, x->w->curl, tmpl, buf_cstr(&csv), resp, oc);
    }
    buf_cleanup(&csv);
    pvx_fields_cleanup(&tenant);
    pvx_fields_cleanup(&header);
    pvx_fields_cleanup(&unknown);
    return st;
}

enum st so_save(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs, size_t n,
                struct pvx_outcome *oc, struct pvx_response *resp_out)
{
    struct pvx_response resp;
    enum st st = ST_FAIL;

    memset(&resp, 0, sizeof(resp));
    for (int attempt = 0; attempt < 2; attempt++) {
        st = so_save_once(x, tmpl, recs, n, attempt > 0, oc, &resp);
        if (st != ST_FAIL || attempt > 0 || !so_unknown_field_error(&resp))
            break;
        log_event(LOG_WARN, "pvx_template_refresh", "template", tmpl, "reason", "unknown_field",
                  NULL);
    }
    if (resp_out != NULL)
        *resp_out = resp;
    else
        pvx_response_cleanup(&resp);
    return so_pvx_status(st, oc);
}

enum st so_save_patiently(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs,
                          size_t n, struct pvx_outcome *oc, struct pvx_response *resp)
{
    int64_t deadline = now_ms_monotonic() + x->w->cfg->pvx_timeout_ms;
    enum st st;

    for (;;) {
        st = so_save(x, tmpl, recs, n, oc, resp);
        if (!so_wait_throttle(x, tmpl, st, oc, deadline))
            return st;
        if (resp != NULL)
            pvx_response_cleanup(resp);
    }
}
