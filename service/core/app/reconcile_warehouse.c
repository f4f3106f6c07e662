/*
 * reconcile_warehouse.c - orders vs warehouse (see reconcile.h).
 *
 * One run:
 *   1. its row and window (sweep_run.h): the last SHOPVOX_RECONCILE_DAYS
 *      days, or the operator's;
 *   2. the orders sent in the window with their sent lines summed by item
 *      code (reconcile_store_sent), one query, in Sales Order number order;
 *   3. RECONCILE_SO_PER_CALL orders at a time: `Sales orders` and `Sales
 *      order items` read by GetData with one SearchClause naming them all
 *      (SalesOrderNumber.Equals(...) OR ...), every page; each order judged
 *      (so_reconcile.h): a mismatch opens or bumps `sales_order_mismatch`,
 *      a match is noted to resolve one left open by an earlier run;
 *   4. with a prefix: the Sales Orders whose number starts with it,
 *      created in the window ([CreatedDate] >= ...), every page; those no
 *      order of shopvox carries open `unknown_sales_order`;
 *   5. the matches resolve their open exceptions; the row gets its counts.
 *
 * Why the batches name the orders rather than read a date window for
 * step 3: a Sales Order's CreatedDate is the Shopline order's creation,
 * not when shopvox sent it (an order held for a SKU may be sent days
 * later), and a Sales Order that lost its date must still be found. 50
 * numbers a call keeps a week of orders to a few calls in the budget.
 *
 * Every Peoplevox call takes its token through the client's limiter hook
 * at the job kind's priority (LOW in main.c's table, so Sales Orders go
 * first); a page may wait for its token up to WH_TOKEN_WAIT_MS inside the
 * job rather than end it. A failed read ends the run (failed; retried as
 * any job) before anything is resolved: a run resolves only what it saw.
 */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "exceptions.h"
#include "limiter.h"
#include "log.h"
#include "order.h"
#include "reconcile_store.h"
#include "so_reconcile.h"
#include "sweep_run.h"

#define WH_TOKEN_WAIT_MS 30000
#define WH_MAX_ROWS 200000        /* rows one read may return */

/* What one run works with. */
struct wh_run {
    struct worker_ctx *w;
    const char *shop;
    struct sweep_job job;
    char from_iso[32];
    struct json_object *matched;     /* Sales Order numbers found right (array) */
    struct pvx_outcome oc;           /* the last Peoplevox call's */
};

/* One batch of sent orders. */
struct wh_batch {
    struct sorec_set ours;
    char order_id[RECONCILE_SO_PER_CALL][24];   /* by index in ours */
    char name[RECONCILE_SO_PER_CALL][64];
};

static const char *const wh_action_mismatch =
    "compare the order in shopvox (shopvox order show) with the Sales Order in Peoplevox; "
    "correct Peoplevox (or cancel and re-create the Sales Order there) so both agree; the next "
    "sweep resolves this once they match";
static const char *const wh_action_unknown =
    "find who created this Sales Order with shopvox's prefix (another integration, a person, a "
    "copied tenant); cancel it in Peoplevox if it must not ship, then resolve";

/* Every page of template under clause into t; ST_OK or r's error (the caller records it). */
static enum st wh_read(struct wh_run *x, const char *tmpl, const char *clause,
                       struct csv_table *t, struct errbuf *err)
{
    enum st st;

    memset(&x->oc, 0, sizeof(x->oc));
    st = pvx_get_data_all(x->w->pvx, x->w->curl, tmpl, clause, PVX_MAX_PAGE_ITEMS, WH_MAX_ROWS,
                          t, &x->oc);
    x->job.run.pages++;
    if (st != ST_OK)
        errbuf_set(err, "could not read '%s' from peoplevox: %s", tmpl, x->oc.err.msg);
    return st;
}

/* SalesOrderNumber.Equals("A") OR ... for the batch's numbers into clause. */
static enum st wh_numbers_clause(const struct sorec_set *ours, struct buf *clause,
                                 struct errbuf *err)
{
    const char *numbers[RECONCILE_SO_PER_CALL];

    for (size_t i = 0; i < ours->n; i++)
        numbers[i] = ours->orders[i].so_number;
    return pvx_clause_equals_any(clause, "SalesOrderNumber", numbers, ours->n, err);
}

/* Opens or bumps the mismatch of batch order i. */
static enum st wh_raise_mismatch(struct wh_run *x, const struct wh_batch *b, size_t i,
                                 const char *what, struct errbuf *err)
{
    char detail[600];
    const char *so = b->ours.orders[i].so_number;
    struct exc_new e = {x->shop, "sales_order_mismatch", "ops", "sales_order", so,
                        b->order_id[i], detail, wh_action_mismatch};

    snprintf(detail, sizeof(detail), "order %s was sent as Sales Order %s: %s", b->name[i], so,
             what);
    log_event(LOG_WARN, "sales_order_mismatch", "sales_order", so, "order", b->name[i], "why",
              what, NULL);
    return exc_raise(x->w->db, &e, NULL, err);
}

/* Reads Peoplevox's side of the batch and judges each order. */
static enum st wh_check_batch(struct wh_run *x, const struct wh_batch *b, struct errbuf *err)
{
    struct csv_table heads = {0, NULL}, items = {0, NULL};
    struct sorec_set theirs;
    struct buf clause;
    char detail[512];
    enum st st;

    sorec_set_init(&theirs);
    buf_init(&clause, 0);
    st = wh_numbers_clause(&b->ours, &clause, err);
    if (st == ST_OK)
        st = wh_read(x, "Sales orders", buf_cstr(&clause), &heads, err);
    if (st == ST_OK)
        st = wh_read(x, "Sales order items", buf_cstr(&clause), &items, err);
    if (st == ST_OK && (sorec_load_headers(&theirs, &heads, err) != 0 ||
                        sorec_load_items(&theirs, &items, err) != 0))
        st = ST_FAIL;
    for (size_t i = 0; st == ST_OK && i < b->ours.n; i++) {
        const struct sorec_order *o = &b->ours.orders[i];
        enum sorec_verdict v = sorec_compare(o, sorec_set_get(&theirs, o->so_number, false),
                                             detail, sizeof(detail));

        x->job.run.listed++;
        if (v == SOREC_MATCH) {
            json_object_array_add(x->matched, json_object_new_string(o->so_number));
            continue;
        }
        if (v == SOREC_MISSING)
            x->job.run.missing++;
        else
            x->job.run.different++;
        st = wh_raise_mismatch(x, b, i, detail, err);
    }
    csv_table_cleanup(&heads);
    csv_table_cleanup(&items);
    sorec_set_cleanup(&theirs);
    buf_cleanup(&clause);
    return st;
}

static void wh_batch_reset(struct wh_batch *b)
{
    sorec_set_cleanup(&b->ours);
    sorec_set_init(&b->ours);
}

/* Step 2 and 3: the sent orders, a batch at a time. */
static enum st wh_check_sent(struct wh_run *x, struct errbuf *err)
{
    struct wh_batch *b = xcalloc(1, sizeof(*b));
    enum st st;
    PGresult *res = reconcile_store_sent(x->w->db, x->shop, x->from_iso, &st, err);
    int n = res != NULL ? PQntuples(res) : 0;

    sorec_set_init(&b->ours);
    for (int row = 0; st == ST_OK && row < n; row++) {
        const char *so = PQgetvalue(res, row, 0);
        struct sorec_order *o = sorec_set_get(&b->ours, so, false);

        if (o == NULL && b->ours.n == RECONCILE_SO_PER_CALL) {
            st = wh_check_batch(x, b, err);
            wh_batch_reset(b);
        }
        if (o == NULL && st == ST_OK) {
            size_t i = b->ours.n;

            o = sorec_set_get(&b->ours, so, true);
            snprintf(b->order_id[i], sizeof(b->order_id[i]), "%s", PQgetvalue(res, row, 1));
            snprintf(b->name[i], sizeof(b->name[i]), "%s", PQgetvalue(res, row, 4));
        }
        if (o != NULL && !PQgetisnull(res, row, 2))
            sorec_add_line(o, PQgetvalue(res, row, 2), strtol(PQgetvalue(res, row, 3), NULL, 10));
    }
    if (st == ST_OK && b->ours.n > 0)
        st = wh_check_batch(x, b, err);
    sorec_set_cleanup(&b->ours);
    free(b);
    PQclear(res);
    return st;
}

/* SalesOrderNumber.StartsWith("P") AND [CreatedDate] >= DateTime(from) into clause. */
static enum st wh_prefix_clause(const struct wh_run *x, struct buf *clause, struct errbuf *err)
{
    int64_t from_ms = 0;
    time_t t;
    struct tm tm;
    enum st st;

    if (order_parse_time_ms(x->from_iso, &from_ms) != 0) {
        errbuf_set(err, "window start %s unreadable", x->from_iso);
        return ST_FAIL;
    }
    t = (time_t)(from_ms / 1000);
    gmtime_r(&t, &tm);
    buf_append_str(clause, "SalesOrderNumber.StartsWith(");
    st = pvx_clause_string(clause, x->w->cfg->order_prefix, err);
    buf_append_str(clause, ") AND ");
    if (st == ST_OK)
        st = pvx_clause_column_date(clause, "CreatedDate", ">=", tm.tm_year + 1900,
                                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                    err);
    return st;
}

/* Opens or bumps unknown_sales_order for each number of res (rows: number). */
static enum st wh_raise_unknown(struct wh_run *x, PGresult *res, struct errbuf *err)
{
    enum st st = ST_OK;
    char detail[300];

    for (int i = 0; st == ST_OK && i < PQntuples(res); i++) {
        const char *so = PQgetvalue(res, i, 0);
        struct exc_new e = {x->shop, "unknown_sales_order", "ops", "sales_order", so, NULL,
                            detail, wh_action_unknown};

        snprintf(detail, sizeof(detail), "Sales Order %s in Peoplevox has shopvox's prefix %s "
                 "and was created since %s, but no order in shopvox has that number", so,
                 x->w->cfg->order_prefix, x->from_iso);
        log_event(LOG_WARN, "unknown_sales_order", "sales_order", so, NULL);
        x->job.run.unknown++;
        st = exc_raise(x->w->db, &e, NULL, err);
    }
    return st;
}

/* Step 4: our prefix's Sales Orders that shopvox does not know; *known: the others (array). */
static enum st wh_check_unknown(struct wh_run *x, struct json_object *known, struct errbuf *err)
{
    struct csv_table t = {0, NULL};
    struct json_object *ours = json_object_new_array();
    struct buf clause;
    PGresult *res = NULL;
    enum st st;
    int col;

    buf_init(&clause, 0);
    st = wh_prefix_clause(x, &clause, err);
    if (st == ST_OK)
        st = wh_read(x, "Sales orders", buf_cstr(&clause), &t, err);
    col = csv_table_col(&t, "SalesOrderNumber");
    for (size_t r = 1; st == ST_OK && col >= 0 && r < t.n_rows; r++)
        if (sorec_is_ours(csv_table_get(&t, r, col), x->w->cfg->order_prefix))
            json_object_array_add(ours, json_object_new_string(csv_table_get(&t, r, col)));
    if (st == ST_OK)
        res = reconcile_store_unknown_numbers(x->w->db, x->shop, json_object_to_json_string(ours),
                                              &st, err);
    if (st == ST_OK)
        st = wh_raise_unknown(x, res, err);
    for (size_t i = 0; st == ST_OK && i < json_object_array_length(ours); i++) {
        const char *so = json_object_get_string(json_object_array_get_idx(ours, i));
        bool unknown = false;

        for (int k = 0; k < PQntuples(res) && !unknown; k++)
            unknown = strcmp(PQgetvalue(res, k, 0), so) == 0;
        if (!unknown)
            json_object_array_add(known, json_object_new_string(so));
    }
    PQclear(res);
    json_object_put(ours);
    csv_table_cleanup(&t);
    buf_cleanup(&clause);
    return st;
}

/* Steps 3 to 5 once the row is running. */
static enum st wh_check(struct wh_run *x, struct errbuf *err)
{
    struct json_object *known = json_object_new_array();
    bool prefixed = x->w->cfg->order_prefix != NULL && x->w->cfg->order_prefix[0] != '\0';
    enum st st = wh_check_sent(x, err);

    if (st == ST_OK && prefixed)
        st = wh_check_unknown(x, known, err);
    if (st == ST_OK)
        st = exc_resolve_subjects(x->w->db, x->shop, "sales_order_mismatch",
                                  json_object_to_json_string(x->matched),
                                  "the Sales Order matches in Peoplevox now", err);
    if (st == ST_OK && prefixed)
        st = exc_resolve_subjects(x->w->db, x->shop, "unknown_sales_order",
                                  json_object_to_json_string(known),
                                  "an order in shopvox has this Sales Order number now", err);
    json_object_put(known);
    return st;
}

void reconcile_warehouse_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct wh_run x = {.w = w, .shop = w->cfg->shop_domain};

    x.matched = json_object_new_array();
    r->st = sweep_job_open(w->db, x.shop, WAREHOUSE_SWEEP_NAME, j, &x.job, &r->err);
    if (r->st == ST_OK && sweep_job_start_days(w->db, &x.job, w->cfg->reconcile_days,
                                               now_ms_wall(), x.from_iso, sizeof(x.from_iso),
                                               r)) {
        limiter_set_thread_wait(WH_TOKEN_WAIT_MS, w->stopping);
        r->st = wh_check(&x, &r->err);
        limiter_set_thread_wait(0, NULL);
        if (r->st == ST_RETRY && x.oc.throttled)
            job_result_throttle(r, x.oc.retry_after_ms);
    }
    sweep_job_close(w->db, &x.job, r);
    log_event(r->st == ST_OK ? LOG_INFO : LOG_WARN, "warehouse_swept", "shop", x.shop, "since",
              x.from_iso, LOG_I64("checked", x.job.run.listed),
              LOG_I64("missing", x.job.run.missing), LOG_I64("different", x.job.run.different),
              LOG_I64("unknown", x.job.run.unknown), LOG_I64("calls", x.job.run.pages),
              "outcome", st_name(r->st), NULL);
    json_object_put(x.matched);
}
