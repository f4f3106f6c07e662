/*
 * sales_order_batch.c - several ready orders -> Peoplevox with one SaveData
 * per template (the worker's batch handler for post_sales_order).
 *
 * Peoplevox is said to take about 15 requests per 15 s, so during a flash
 * sale the number of calls per order decides throughput. Each order still
 * goes through its own Tx1 (SKU, routing, number, holds; committed before
 * the network) and its own Tx2; only the two saves are shared:
 *
 *   1. Tx1 per order. Held or skipped orders finish there. An order whose
 *      previous attempt's outcome is unknown (post_started_at already set)
 *      takes the single-order path, existence check first: it is never
 *      batched, because a batched save cannot look before it writes.
 *   2. ONE SaveData "Sales orders" with the remaining orders' rows.
 *   3. ONE SaveData "Sales order items" with the items of the orders whose
 *      order row succeeded.
 *   4. Tx2 per order still going.
 *
 * A batch with a single order to send takes the single-order path as is.
 *
 * Statuses are matched back to orders by Reference (= SalesOrderNumber);
 * if any Reference matches none of the orders in the call, by position
 * when there is exactly one status per row; otherwise the call's outcome
 * is unknown for every order in it. A per-row Error holds just that order
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
#include <strings.h>

#include "log.h"
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

/* What Peoplevox said about one job's rows in one save. */
struct so_verdict {
    size_t rows;                /* rows of this job in the call */
    size_t seen;                /* statuses matched to it */
    const char *error;          /* first error message, or NULL */
};

/* The job among those in the call whose Sales Order number is ref, or n. */
static size_t so_batch_find(const struct so_batch *b, const struct so_verdict *v,
                            const char *ref)
{
    for (size_t i = 0; i < b->n; i++) {
        if (v[i].rows > 0 && strcmp(b->x[i].so_number, ref) == 0)
            return i;
    }
    return b->n;
}

/* Which job each status is about; false when neither Reference nor position can tell. */
static bool so_batch_match(const struct so_batch *b, const struct so_batch_rows *rows,
                           const struct pvx_response *r, struct so_verdict *v)
{
    size_t *to = xcalloc(r->n_statuses + 1, sizeof(*to));
    bool ok = true;

    for (size_t s = 0; s < r->n_statuses && ok; s++)
        ok = (to[s] = so_batch_find(b, v, r->statuses[s].reference)) < b->n;
    if (!ok && r->n_statuses == rows->n) {
        log_msg(LOG_WARN, "event=sales_order_batch_match by=position statuses=%zu",
                r->n_statuses);
        memcpy(to, rows->owner, rows->n * sizeof(*to));
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

/* Job i's share of the call's outcome, as a single save would have reported it. */
static enum st so_batch_job_outcome(enum st call, const struct pvx_outcome *oc,
                                    const struct pvx_response *r, bool matched,
                                    const struct so_verdict *v, struct pvx_outcome *mine)
{
    *mine = *oc;
    if (call == ST_OK && r->n_statuses == 0)
        return ST_OK; /* accepted as a whole, as the single path trusts it */
    if (call == ST_RETRY || oc->unknown)
        return ST_RETRY;
    mine->unknown = true;
    if (r->n_statuses == 0) {
        errbuf_set(&mine->err, "peoplevox refused the batched call for a data reason without "
                   "naming a row (%s); the order is tried on its own", oc->err.msg);
        return ST_RETRY;
    }
    if (!matched || v->seen == 0) {
        errbuf_set(&mine->err, "peoplevox's row statuses could not be matched to the orders "
                   "of a batched call (%zu statuses)", r->n_statuses);
        return ST_RETRY;
    }
    if (v->error != NULL) {
        mine->unknown = false;
        errbuf_set(&mine->err, "peoplevox rejected the row: %.400s", v->error);
        return ST_FAIL;
    }
    if (call != ST_OK) {
        /*
         * Other rows of the call were rejected. Whether Peoplevox applied the
         * good rows of a partly rejected SaveData is not documented, so this
         * order is not assumed saved: it retries alone, existence check first.
         */
        errbuf_set(&mine->err, "a batched call had rejected rows; this order is verified on "
                   "its own");
        return ST_RETRY;
    }
    mine->unknown = false;
    return ST_OK;
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
        enum st st;

        if (!b->go[i] || v[i].rows == 0)
            continue;
        st = so_batch_job_outcome(call, &oc, &r, matched, &v[i], &mine);
        b->res[i].st = so_save_outcome(&b->x[i], st, &mine, what, &b->go[i]);
    }
    log_msg(LOG_INFO, "event=sales_order_batch template=\"%s\" rows=%zu status=%s statuses=%zu",
            tmpl, rows->n, st_name(call), r.n_statuses);
    pvx_response_cleanup(&r);
    free(v);
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
    struct so_batch_rows rows = {xcalloc(b->n, sizeof(*rows.recs)),
                                 xcalloc(b->n, sizeof(*rows.owner)), 0};

    for (size_t i = 0; i < b->n; i++) {
        if (!b->go[i])
            continue;
        so_order_row_fill(&b->x[i], &order_rows[i]);
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
    struct so_batch_rows rows = {NULL, NULL, 0};
    size_t cap = 1;

    for (size_t i = 0; i < b->n; i++)
        cap += b->go[i] ? b->x[i].n_lines : 0;
    item_rows = xcalloc(cap, sizeof(*item_rows));
    rows.recs = xcalloc(cap, sizeof(*rows.recs));
    rows.owner = xcalloc(cap, sizeof(*rows.owner));
    for (size_t i = 0; i < b->n; i++) {
        size_t got;

        if (!b->go[i])
            continue;
        got = so_item_rows_fill(&b->x[i], item_rows + rows.n);
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

/* Tx1 for each job; decides who is batched, who goes alone, who is done. */
static size_t so_batch_begin(struct so_batch *b, struct worker_ctx *w, const struct job *jobs)
{
    size_t batched = 0;

    for (size_t i = 0; i < b->n; i++) {
        bool post = false;

        b->res[i].st = so_begin(&b->x[i], w, &jobs[i], &b->res[i].err, &post);
        if (post && b->x[i].post_started)
            so_result_set(&b->x[i], so_post(&b->x[i]), &b->res[i]); /* unknown before: alone */
        else if (post)
            batched++;
        b->go[i] = post && !b->x[i].post_started;
    }
    return batched;
}

void so_post_batch(struct worker_ctx *w, const struct job *jobs, size_t n,
                   struct job_result *results)
{
    struct so_batch b = {n, xcalloc(n, sizeof(struct so_ctx)), results, xcalloc(n, sizeof(bool))};
    size_t batched = so_batch_begin(&b, w, jobs);

    if (batched > 1) {
        so_batch_save_orders(&b);
        so_batch_save_items(&b);
    }
    for (size_t i = 0; i < n; i++) {
        if (b.go[i] && batched == 1)
            results[i].st = so_post(&b.x[i]); /* alone: exactly the single-order path */
        else if (b.go[i])
            results[i].st = so_finish(&b.x[i]);
        so_result_set(&b.x[i], results[i].st, &results[i]);
        so_ctx_cleanup(&b.x[i]);
    }
    log_msg(LOG_INFO, "event=sales_order_batch_done jobs=%zu batched=%zu", n, batched);
    free(b.x);
    free(b.go);
}
