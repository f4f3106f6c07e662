/*
 * sales_order_batch.c - several ready orders -> Peoplevox with one SaveData
 * per template (the orders so_post_jobs sends together).
 *
 * Peoplevox is said to take about 15 requests per 15 s, so during a flash
 * sale the number of calls per order decides throughput. Each order still
 * goes through its own Tx1 (SKU, routing, number, holds; committed before
 * the network) and its own Tx2; only the two saves are shared:
 *
 *   1. Tx1 per order (sales_order.c). Held or skipped orders finish there.
 *      An order whose previous attempt's outcome is unknown (post_started_at
 *      already set) goes alone, existence check first: it is never batched,
 *      because a batched save cannot look before it writes. A single order
 *      left to send goes alone as well.
 *   2. ONE SaveData "Sales orders" with the remaining orders' rows.
 *   3. ONE SaveData "Sales order items" with the items of the orders whose
 *      order row succeeded.
 *   4. Tx2 per order still going.
 *
 * The orders claimed together are cut into several such batches when
 * their rows would pass the row cap (SHOPVOX_PVX_BATCH_MAX) or either
 * CSV the byte cap (SHOPVOX_PVX_BATCH_MAX_BYTES), each counted for both
 * saves (batch_chunk); each batch runs steps 2-3 on its own.
 *
 * Statuses are matched back to orders and each order's share of the call
 * decided by the pure rules of sales_order_rows.c (so_verdicts_match,
 * so_batch_share). A per-row Error holds just that order
 * (peoplevox_rejected, as the single path does). A call whose outcome is
 * unknown (timeout, dropped connection, 5xx) makes every order in it
 * ST_RETRY: Tx1 set their post_started_at, so each next attempt runs alone
 * and asks Peoplevox first whether its Sales Order exists. That is what
 * keeps batching exactly-once.
 *
 * A call refused as a whole (ResponseId -1, no statuses) follows the single
 * path's rule, from its text (pvx_refusal_is_transient): a transient
 * refusal (too busy, timeout, try again ...) and throttling (HTTP 503/429,
 * or the client's cool-down) applied nothing, so every order in the call is
 * a plain retry (throttled ones not counted) whose post_started_at is
 * cleared: it may be batched again and nobody looks first. A refusal for a
 * data reason does not say which row is at fault, so each order is retried
 * on its own, where the single path holds the one Peoplevox still refuses
 * with its text. The item rows of orders whose order row was accepted wait
 * throttling out (so_save_patiently), as in the single path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_size.h"
#include "config.h"
#include "sales_order_int.h"

struct so_batch {
    size_t n;
    struct so_ctx *x;           /* per job */
    struct job_result *res;     /* per job (borrowed) */
    bool *go;                   /* per job: in the batch and nothing went wrong yet */
};

/* The rows of one save: records and the job each came from. */
struct so_batch_rows {
    struct pvx_record *recs;
    size_t *owner;
    size_t n;
};

/* One job's share of the call as the outcome a single save would have reported. */
static enum st so_batch_outcome(enum so_share share, const struct pvx_outcome *oc,
                                size_t n_statuses, const struct so_verdict *v,
                                struct pvx_outcome *mine)
{
    *mine = *oc;
    switch (share) {
    case SO_SHARE_SAVED:
        mine->unknown = false;
        break;
    case SO_SHARE_CALL_RETRY:
        break;
    case SO_SHARE_REFUSED_WHOLE:
        mine->unknown = true;
        errbuf_set(&mine->err, "peoplevox refused the batched call for a data reason without "
                   "naming a row (%s); the order is tried on its own", oc->err.msg);
        break;
    case SO_SHARE_UNMATCHED:
        mine->unknown = true;
        errbuf_set(&mine->err, "peoplevox's row statuses could not be matched to the orders "
                   "of a batched call (%zu statuses)", n_statuses);
        break;
    case SO_SHARE_REJECTED:
        mine->unknown = false;
        errbuf_set(&mine->err, "peoplevox rejected the row: %.400s", v->error);
        break;
    case SO_SHARE_OTHERS_REJECTED:
        mine->unknown = true;
        errbuf_set(&mine->err, "a batched call had rejected rows; this order is verified on "
                   "its own");
        break;
    }
    return so_share_status(share);
}

/* Which job each status is about (see so_verdicts_match). */
static bool so_batch_match(const struct so_batch *b, const struct so_batch_rows *rows,
                           const struct pvx_response *r, struct so_verdict *v)
{
    const char **numbers = xcalloc(b->n, sizeof(*numbers));
    bool by_position = false;
    bool ok;

    for (size_t i = 0; i < b->n; i++)
        numbers[i] = b->x[i].so_number;
    ok = so_verdicts_match(numbers, b->n, rows->owner, rows->n, r, v, &by_position);
    if (by_position)
        log_event(LOG_WARN, "sales_order_batch_match", "by", "position",
                  LOG_I64("statuses", r->n_statuses), NULL);
    free(numbers);
    return ok;
}

/*
 * One SaveData of rows into tmpl for the jobs still going; then each job's
 * outcome (retry, hold, or go on) into b->res and b->go.
 */
static void so_batch_save(struct so_batch *b, const char *tmpl, const struct so_batch_rows *rows,
                          const char *what, bool patient)
{
    struct so_verdict *v = xcalloc(b->n, sizeof(*v));
    struct pvx_response r;
    struct pvx_outcome oc;
    enum st call;
    bool matched;

    memset(&r, 0, sizeof(r));
    memset(&oc, 0, sizeof(oc));
    for (size_t k = 0; k < rows->n; k++)
        v[rows->owner[k]].rows++;
    call = (patient ? so_save_patiently : so_save)(&b->x[rows->owner[0]], tmpl, rows->recs,
                                                   rows->n, &oc, &r);
    matched = so_batch_match(b, rows, &r, v);
    for (size_t i = 0; i < b->n; i++) {
        struct pvx_outcome mine;
        enum so_share share;
        enum st st;

        if (!b->go[i] || v[i].rows == 0)
            continue;
        share = so_batch_share(call, oc.unknown, r.n_statuses, matched, &v[i]);
        st = so_batch_outcome(share, &oc, r.n_statuses, &v[i], &mine);
        b->res[i].st = so_save_outcome(&b->x[i], st, &mine, what, &b->go[i]);
    }
    log_event(LOG_INFO, "sales_order_batch", "template", tmpl, LOG_I64("rows", rows->n), "status",
              st_name(call), LOG_I64("statuses", r.n_statuses), NULL);
    pvx_response_cleanup(&r);
    free(v);
}

static void so_batch_rows_alloc(struct so_batch_rows *rows, size_t cap)
{
    rows->recs = xcalloc(cap > 0 ? cap : 1, sizeof(*rows->recs));
    rows->owner = xcalloc(cap > 0 ? cap : 1, sizeof(*rows->owner));
    rows->n = 0;
}

static void so_batch_rows_cleanup(struct so_batch_rows *rows)
{
    free(rows->recs);
    free(rows->owner);
}

/* The order rows of the jobs still going (rows borrow from order_rows). */
static void so_batch_save_orders(struct so_batch *b)
{
    struct so_order_row *order_rows = xcalloc(b->n, sizeof(*order_rows));
    struct so_batch_rows rows;

    so_batch_rows_alloc(&rows, b->n);
    for (size_t i = 0; i < b->n; i++) {
        const struct so_ctx *x = &b->x[i];

        if (!b->go[i])
            continue;
        so_order_row_fill(&x->order, x->so_number, x->site, &order_rows[i]);
        rows.recs[rows.n] = order_rows[i].rec;
        rows.owner[rows.n++] = i;
    }
    if (rows.n > 0)
        so_batch_save(b, SO_TEMPLATE_ORDERS, &rows, "order row", false);
    so_batch_rows_cleanup(&rows);
    free(order_rows);
}

/* The item rows of the jobs whose order row was saved. */
static void so_batch_save_items(struct so_batch *b)
{
    struct so_item_row *item_rows;
    struct so_batch_rows rows;
    size_t cap = 1;

    for (size_t i = 0; i < b->n; i++)
        cap += b->go[i] ? b->x[i].lines.n : 0;
    item_rows = xcalloc(cap, sizeof(*item_rows));
    so_batch_rows_alloc(&rows, cap);
    for (size_t i = 0; i < b->n; i++) {
        const struct so_ctx *x = &b->x[i];
        size_t got;

        if (!b->go[i])
            continue;
        got = so_item_rows_fill(&x->lines, x->chk.item_codes, x->so_number, item_rows + rows.n);
        for (size_t k = 0; k < got; k++) {
            rows.recs[rows.n] = item_rows[rows.n].rec;
            rows.owner[rows.n++] = i;
        }
    }
    if (rows.n > 0)
        so_batch_save(b, SO_TEMPLATE_ITEMS, &rows, "item rows", true);
    so_batch_rows_cleanup(&rows);
    free(item_rows);
}

/* What x adds to the two saves of a batch (batch_size.h). */
static void so_batch_cost(const struct so_ctx *x, struct batch_cost *c)
{
    struct so_item_row *items = xcalloc(x->lines.n > 0 ? x->lines.n : 1, sizeof(*items));
    struct so_order_row row;

    so_order_row_fill(&x->order, x->so_number, x->site, &row);
    c->order_bytes = batch_record_csv_bytes(&row.rec);
    c->item_rows = so_item_rows_fill(&x->lines, x->chk.item_codes, x->so_number, items);
    c->item_bytes = 0;
    for (size_t k = 0; k < c->item_rows; k++)
        c->item_bytes += batch_record_csv_bytes(&items[k].rec);
    free(items);
}

void so_batch_send(struct so_ctx *x, size_t n, bool *go, struct job_result *results)
{
    const struct cfg *cfg = x[0].w->cfg;
    struct batch_caps caps = {(size_t)cfg->pvx_batch_max, (size_t)cfg->pvx_batch_max_bytes};
    struct batch_cost *cost = xcalloc(n, sizeof(*cost));
    size_t *idx = xcalloc(n, sizeof(*idx));
    bool *mine = xcalloc(n, sizeof(*mine));
    size_t m = 0;

    for (size_t i = 0; i < n; i++) {
        if (go[i]) {
            so_batch_cost(&x[i], &cost[m]);
            idx[m++] = i;
        }
    }
    for (size_t s = 0, k; s < m; s += k) {
        struct so_batch b = {n, x, results, mine};

        k = batch_chunk(cost + s, m - s, &caps);
        memset(mine, 0, n * sizeof(*mine));
        for (size_t j = s; j < s + k; j++)
            mine[idx[j]] = true;
        if (k < m)
            log_event(LOG_INFO, "sales_order_batch_cut", LOG_I64("orders", k),
                      LOG_I64("of", m), NULL);
        so_batch_save_orders(&b);
        so_batch_save_items(&b);
        for (size_t j = s; j < s + k; j++)
            go[idx[j]] = mine[idx[j]];
    }
    free(cost);
    free(idx);
    free(mine);
}
