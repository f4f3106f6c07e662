/*
 * sales_order.c - paid orders -> exactly one Peoplevox Sales Order each
 * (post_sales_order): the one way in, an order sent alone, and Tx2.
 *
 * Posting runs in three steps, and never holds a transaction open across
 * the network:
 *
 *   Tx1  lock the order and decide: nothing to ship, a hold (SKU, routing,
 *        number), or number and site stored with post_started_at set
 *        (sales_order_decide.c).
 *   SOAP if post_started_at was already set, a previous attempt may have
 *        created the Sales Order without us seeing the answer: ask Peoplevox
 *        (GetData by number, sales_order_look.c) first. All of it there
 *        already -> nothing to save; ours but not all there -> re-save
 *        (SaveData is an upsert on the key, lines keyed by their stable
 *        Line number); other content -> hold with a conflict exception,
 *        never overwrite. Then save the order row, then its item rows.
 *   Tx2  state 'sent', history, and the order's earlier exceptions resolve.
 *
 * One way in: so_post_jobs takes the n >= 1 jobs the worker claimed (n is
 * 1 unless SHOPVOX_PVX_BATCH_MAX allows more) and runs each through its own
 * Tx1. The orders whose earlier outcome is unknown (post_started_at already
 * set) are looked up in Peoplevox together first (sales_order_look.c), and
 * each that still needs a save goes alone: a batched save cannot look
 * before it writes. The others go together (sales_order_batch.c) when more
 * than one is to be sent, else alone; either way each ends in its own Tx2.
 *
 * Decisions:
 *  - A rejected row, or a call refused for a data reason, is not retried:
 *    the order goes on hold with Peoplevox's message. A call refused for a
 *    transient reason (too busy, timeout, try again ...: pvx_refusal_is_
 *    transient) is retried, in the batched path alike. A write whose
 *    outcome is unknown is ST_RETRY; post_started_at stays set so the next
 *    attempt checks first.
 *  - Throttling (Peoplevox refused the call for load, or the client is
 *    cooling down after such a refusal) applied nothing: the job is a
 *    throttled retry due after the cool-down, not counted against its
 *    attempts, and when Peoplevox holds nothing of the order its
 *    post_started_at is cleared, so the retry neither looks first nor
 *    leaves the batch.
 *  - A cancellation that races a post is caught in Tx2: a Sales Order sent
 *    for an order cancelled meanwhile gets a cancel_sales_order job.
 */
#include "sales_order.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "order_store.h"
#include "sales_order_int.h"

/* ---- at start ---- */

void so_warm_templates(struct worker_ctx *w)
{
    static const char *const templates[] = {"Sales orders", "Sales order items"};

    for (size_t i = 0; i < ARRAY_LEN(templates); i++) {
        struct pvx_fields f = {0, NULL};
        struct pvx_outcome oc;

        memset(&oc, 0, sizeof(oc));
        if (pvx_get_save_template(w->pvx, w->curl, templates[i], false, &f, &oc) == ST_OK)
            log_event(LOG_INFO, "peoplevox_template", "template", templates[i],
                      LOG_I64("fields", f.n), NULL);
        else
            log_event(LOG_WARN, "peoplevox_template_failed", "template", templates[i], "error",
                      oc.err.msg, NULL);
        pvx_fields_cleanup(&f);
    }
}

/* ---- shared by the sales_order*.c files ---- */

static pthread_once_t so_metrics_once = PTHREAD_ONCE_INIT;

static void so_metrics_describe(void)
{
    metrics_describe("shopvox_sales_orders_total", MET_COUNTER,
                     "post_sales_order outcomes (sent, held, not_for_warehouse, conflict, "
                     "rejected, retry)");
    metrics_describe("shopvox_sales_order_cancels_total", MET_COUNTER,
                     "cancel_sales_order outcomes (cancelled, despatched, rejected, retry, failed)");
}

void so_count(const char *family, const char *outcome)
{
    char labels[64];

    snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
    metrics_inc(family, labels);
}

void so_log(enum log_level lv, const struct so_ctx *x, const char *outcome, const char *why)
{
    log_event(lv, "sales_order", "outcome", outcome, "order_id", x->order_id, "order",
              x->order.name, "so", x->so_number[0] ? x->so_number : "-", "site",
              x->site[0] ? x->site : "-", "reason", why, NULL);
}

/* Reads {"order_id": N} (number or digit string) into out. */
static enum st so_payload_order_id(const struct job *j, char *out, size_t cap,
                                   struct errbuf *err)
{
    struct json_object *root = json_tokener_parse(j->payload != NULL ? j->payload : "");
    struct json_object *v = NULL;
    enum st st = ST_FAIL;
    long long id = 0;

    if (root != NULL && json_object_object_get_ex(root, "order_id", &v)) {
        if (json_object_is_type(v, json_type_int))
            id = json_object_get_int64(v);
        else if (json_object_is_type(v, json_type_string))
            id = strtoll(json_object_get_string(v), NULL, 10);
    }
    if (id > 0) {
        snprintf(out, cap, "%lld", id);
        st = ST_OK;
    } else {
        errbuf_set(err, "job %lld payload has no positive order_id: %.100s", j->id,
                   j->payload != NULL ? j->payload : "");
    }
    json_object_put(root);
    return st;
}

enum st so_job_start(struct worker_ctx *w, const struct job *j, char *order_id, size_t cap,
                     struct errbuf *err)
{
    enum st st;

    pthread_once(&so_metrics_once, so_metrics_describe);
    st = so_payload_order_id(j, order_id, cap, err);
    if (st == ST_OK)
        st = store_ensure(w->db, err);
    return st;
}

void so_ctx_cleanup(struct so_ctx *x)
{
    so_order_cleanup(&x->order);
    so_lines_cleanup(&x->lines);
    sku_check_result_cleanup(&x->chk);
}

void so_result_set(const struct so_ctx *x, enum st st, struct job_result *r)
{
    r->st = st;
    if (st == ST_RETRY && x->throttled)
        job_result_throttle(r, x->retry_after_ms);
}

enum st so_enqueue_cancel(struct so_ctx *x)
{
    char payload[64];

    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", x->order_id);
    return job_enqueue(x->w->db, x->order.shop, "cancel_sales_order", x->order_id, payload, 0,
                       NULL, x->err);
}

/* ---- Tx2 ---- */

static enum st so_tx2(struct so_ctx *x)
{
    struct store_conn *db = x->w->db;
    struct order_store_state cur;
    enum order_state posted;
    bool found = false;
    char detail[256];
    enum st st = store_cmd(db, "BEGIN", x->err);

    if (st == ST_OK)
        st = order_store_lock_state(db, x->order_id, &cur, &found, x->err);
    if (st != ST_OK || !found)
        goto out;
    snprintf(detail, sizeof(detail), "Sales Order %s at site %s", x->so_number, x->site);
    if (strcmp(cur.state, "cancelled") == 0) {
        /* Cancelled while we were posting: the warehouse must cancel it too. */
        st = order_store_mark_sent(db, x->order_id, x->site, true, x->err);
        if (st == ST_OK)
            st = order_store_event(db, x->order_id, "cancelled", "cancelled", "sent_after_cancel",
                                   detail, x->err);
        if (st == ST_OK)
            st = so_enqueue_cancel(x);
    } else if (order_state_parse(cur.state, &posted) != 0 || !order_state_is_posted(posted)) {
        st = order_store_mark_sent(db, x->order_id, x->site, false, x->err);
        if (st == ST_OK)
            st = order_store_event(db, x->order_id, cur.state, "sent", "sent", detail, x->err);
        if (st == ST_OK)
            st = so_resolve_all(x, "posted after re-check");
    }
out:
    if (st == ST_OK)
        st = store_cmd(db, "COMMIT", x->err);
    if (st != ST_OK)
        store_rollback(db);
    return st;
}

enum st so_finish(struct so_ctx *x)
{
    enum st st = so_tx2(x);

    if (st == ST_OK) {
        so_log(LOG_INFO, x, "sent", NULL);
        so_count("shopvox_sales_orders_total", "sent");
    }
    return st;
}

/* ---- the outcome of a save ---- */

/*
 * Nothing of the order reached Peoplevox: the next attempt need not look
 * first (nor go alone). ST_RETRY, or the database's error.
 */
static enum st so_unstart(struct so_ctx *x)
{
    enum st st = order_store_unstart(x->w->db, x->order_id, x->err);

    return st == ST_OK ? ST_RETRY : st;
}

enum st so_save_outcome(struct so_ctx *x, enum st st, const struct pvx_outcome *oc,
                        const char *what, bool *go)
{
    char detail[ERRBUF_MAX + 128];
    struct so_hold h = {"peoplevox", "peoplevox_rejected", "ops", detail,
                        "Read Peoplevox's message, fix the order, item or site it names (in "
                        "Peoplevox or in shopvox's rules), then retry the order"};

    *go = st == ST_OK;
    so_note_throttle(x, oc);
    if (st == ST_OK || oc->unknown)
        x->absent = false;
    if (st == ST_OK)
        return ST_OK;
    if (st == ST_RETRY || oc->unknown) {
        errbuf_set(x->err, "%s for Sales Order %s%s: %s", what, x->so_number,
                   oc->unknown ? " (outcome unknown, will check before re-posting)" : "",
                   oc->err.msg);
        so_log(LOG_WARN, x, oc->throttled ? "throttled" : "retry", x->err->msg);
        so_count("shopvox_sales_orders_total", oc->throttled ? "throttled" : "retry");
        return x->absent ? so_unstart(x) : ST_RETRY;
    }
    snprintf(detail, sizeof(detail), "Peoplevox rejected the %s of Sales Order %s: %s", what,
             x->so_number, oc->err.msg);
    st = so_hold_tx(x, &h);
    if (st == ST_OK) {
        so_log(LOG_WARN, x, "rejected", oc->err.msg);
        so_count("shopvox_sales_orders_total", "rejected");
    }
    return st;
}

/* ---- an order sent alone ---- */

static enum st so_save_order(struct so_ctx *x, struct pvx_outcome *oc)
{
    struct so_order_row row;

    so_order_row_fill(&x->order, x->so_number, x->site, &row);
    return so_save(x, SO_TEMPLATE_ORDERS, &row.rec, 1, oc, NULL);
}

static enum st so_save_items(struct so_ctx *x, struct pvx_outcome *oc)
{
    struct so_item_row *rows = xcalloc(x->lines.n > 0 ? x->lines.n : 1, sizeof(*rows));
    struct pvx_record *recs = xcalloc(x->lines.n > 0 ? x->lines.n : 1, sizeof(*recs));
    size_t n = so_item_rows_fill(&x->lines, x->chk.item_codes, x->so_number, rows);
    enum st st = ST_OK;

    for (size_t i = 0; i < n; i++)
        recs[i] = rows[i].rec;
    if (n > 0)
        st = so_save_patiently(x, SO_TEMPLATE_ITEMS, recs, n, oc, NULL);
    free(rows);
    free(recs);
    return st;
}

enum st so_post_alone(struct so_ctx *x, bool order_row)
{
    struct pvx_outcome oc;
    bool go = true;
    enum st st = ST_OK;

    memset(&oc, 0, sizeof(oc));
    if (order_row) {
        st = so_save_order(x, &oc);
        st = so_save_outcome(x, st, &oc, "order row", &go);
    }
    if (st != ST_OK || !go)
        return st;
    st = so_save_items(x, &oc);
    st = so_save_outcome(x, st, &oc, "item rows", &go);
    if (st != ST_OK || !go)
        return st;
    return so_finish(x);
}

/* ---- the one way in ---- */

/* Reads the job's order id and runs Tx1 for it; *post as so_decide_tx. */
static enum st so_begin(struct so_ctx *x, struct worker_ctx *w, const struct job *j,
                        struct errbuf *err, bool *post)
{
    enum st st;

    memset(x, 0, sizeof(*x));
    x->w = w;
    x->err = err;
    *post = false;
    st = so_job_start(w, j, x->order_id, sizeof(x->order_id), err);
    if (st == ST_OK)
        st = so_decide_tx(x, post);
    if (st == ST_OK && x->lookup_unknown) {
        st = so_lookup_unknown_items(x);
        if (st == ST_OK) {
            so_ctx_cleanup(x); /* decide again, on the catalogue as it is now */
            x->looked_up = true;
            x->lookup_unknown = false;
            st = so_decide_tx(x, post);
        }
    }
    if (st == ST_OK && x->wait_catalogue) {
        errbuf_set(err, "order waits: its SKUs are unknown and the Peoplevox catalogue has "
                        "never been synced (is Peoplevox reachable?)");
        x->throttled = true; /* an uncounted retry: nothing is wrong with the order */
        x->retry_after_ms = SO_WAIT_CATALOGUE_MS;
        st = ST_RETRY;
    }
    x->absent = !x->post_started;
    return st;
}

void so_post_jobs(struct worker_ctx *w, const struct job *jobs, size_t n,
                  struct job_result *results)
{
    struct so_ctx *x = xcalloc(n, sizeof(*x));
    bool *go = xcalloc(n, sizeof(*go));   /* to be sent together */
    size_t *unknown = xcalloc(n, sizeof(*unknown));
    size_t together = 0, looked = 0;

    for (size_t i = 0; i < n; i++) {
        bool post = false;

        results[i].st = so_begin(&x[i], w, &jobs[i], &results[i].err, &post);
        if (post && x[i].post_started) /* outcome unknown before: looked up, then alone */
            unknown[looked++] = i;
        else if (post)
            together++;
        go[i] = post && !x[i].post_started;
    }
    if (looked > 0)
        so_look_and_post(x, unknown, looked, results);
    if (together > 1)
        so_batch_send(x, n, go, results);
    for (size_t i = 0; i < n; i++) {
        if (go[i] && together == 1)
            results[i].st = so_post_alone(&x[i], true);
        else if (go[i])
            results[i].st = so_finish(&x[i]);
        so_result_set(&x[i], results[i].st, &results[i]);
        so_ctx_cleanup(&x[i]);
    }
    log_event(LOG_INFO, "sales_order_batch_done", LOG_I64("jobs", n), LOG_I64("batched", together),
              LOG_I64("looked_up", looked), NULL);
    free(x);
    free(go);
    free(unknown);
}
