/*
 * intake.c - the webhook inbox transaction (see intake.h).
 *
 * Order of statements matters for concurrency: the order row is locked
 * (SELECT ... FOR UPDATE, or created with INSERT ... ON CONFLICT DO NOTHING
 * and then locked) before any decision, so two deliveries of the same
 * order serialise and each sees the other's effect. The inbox row goes in
 * last: a duplicate delivery conflicts there and the whole transaction is
 * rolled back, leaving no trace but a counter.
 *
 * Group commit (intake_group.c) runs many deliveries in one transaction,
 * each through intake_process_nested under a savepoint: what rolled back
 * a delivery's transaction rolls back only its savepoint, so a duplicate,
 * a stale or a failed delivery leaves the group's others as they were,
 * and a later delivery of the same order in the group sees the earlier
 * one's effect (the same transaction holds the row lock).
 *
 * orders.ready_at is set the first time an order is stored as `ready`
 * (paid) and never moved after: the stalled-order alarm measures from it,
 * while updated_at moves with every delivery and retry.
 *
 * Replays. Every stored body keeps its SHA-256. A delivery under a new
 * webhook id whose bytes were already stored for the same order (a replay,
 * or Shopline re-sending the same content with another id) is recorded as
 * `duplicate` without its body and without touching the order: the inbox
 * row still dedupes that id, but a customer's address is stored once.
 *
 * The sweep (intake_apply_swept) runs the same transaction on an order it
 * read back from Shopline: the same lock, the same apply and jobs, the
 * same history, recorded as a `sweep` event without webhook id or body.
 * Its one rule of its own: a listed order not newer than the stored one is
 * up to date, and nothing at all is written (a webhook at the same
 * updated_at is applied, as before: Shopline may change an order without
 * moving updated_at, and a delivery is rare; the sweep reads every order
 * of its window each time).
 *
 * Returns and refunds (return/create, return/update, refunds/create) run
 * in the same transaction through returns_intake (return_intake.c), with
 * the same rules: their row locked first, an older updated_at recorded
 * `stale`, an unusable body `failed` with invalid_webhook, the inbox row
 * last.
 */
#include "intake.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "exceptions.h"
#include "inbox_store.h"
#include "jobs.h"
#include "log.h"
#include "order.h"
#include "order_store.h"
#include "returns_app.h"
#include "variants.h"
#include "webhook.h"
#include "webhook_subs.h"

const char *intake_outcome_name(enum intake_outcome o)
{
    static const char *const names[] = {"stored", "duplicate", "ignored", "failed", "stale",
                                        "unchanged", "accepted"};

    return (unsigned)o < ARRAY_LEN(names) ? names[o] : "unknown";
}

/* Per-delivery working state. */
struct intake_ctx {
    struct store_conn *c;
    const struct intake_request *r;
    struct errbuf *err;
    struct order order;
    char order_id[24];          /* orders.id once known */
    const char *event_outcome;  /* webhook_events.outcome */
    const char *event_error;
    bool post_started;          /* a Sales Order may exist in Peoplevox */
    bool replay;                /* the same bytes were stored for this order: no body again */
    unsigned char body_sha256[INBOX_SHA256_BYTES];
    struct errbuf parse_err;    /* why the body was unusable (event_error points here) */
    bool swept;                 /* x.order is the sweep's (borrowed): never cleaned up here */
};

static enum st order_event(struct intake_ctx *x, const char *from, const char *to,
                           const char *event, const char *detail)
{
    return order_store_event(x->c, x->order_id, from, to, event, detail, x->err);
}

/*
 * Enqueues a job for this order (deduplicated by order id); *enqueued tells
 * that it was asked for, as for returns: whether a pending one absorbed it
 * is not read back, so the statement travels with the delivery's next read.
 */
static enum st order_job(struct intake_ctx *x, const char *kind, bool *enqueued)
{
    char payload[96];
    enum st st;

    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", x->order_id);
    st = job_enqueue(x->c, x->r->shop, kind, x->order_id, payload, 0, NULL, x->err);
    *enqueued = st == ST_OK;
    return st;
}

/* Locks the order row, creating it when new; *exists tells which. */
static enum st order_lock(struct intake_ctx *x, bool *exists, enum order_state *cur,
                          int64_t *stored_ms, const char *initial_state)
{
    struct order_store_locked row;
    enum st st = order_store_lock_or_create(x->c, x->r->shop, &x->order, initial_state, &row,
                                            x->err);

    if (st != ST_OK)
        return st;
    snprintf(x->order_id, sizeof(x->order_id), "%s", row.id);
    *exists = !row.created;
    if (row.created)
        return ST_OK;
    if (order_state_parse(row.state, cur) < 0)
        *cur = ORDER_ON_HOLD;
    *stored_ms = row.shopline_updated_ms;
    x->post_started = row.post_started;
    return ST_OK;
}

/* A posted order whose lines changed: Peoplevox cannot remove lines. */
static enum st lines_check_posted(struct intake_ctx *x)
{
    struct exc_new e = {x->r->shop, "order_edited_after_post", "customer_service", "order",
                        x->order.name, x->order_id, NULL,
                        "Change the Sales Order in Peoplevox by hand (lines cannot be removed "
                        "through the API), then resolve this exception"};
    char detail[256];
    bool differ = false;
    enum st st = order_store_lines_differ(x->c, x->order_id, &x->order, &differ, x->err);

    if (st != ST_OK || !differ)
        return st;
    snprintf(detail, sizeof(detail),
             "order %s changed its lines after it was sent to Peoplevox; the warehouse still "
             "has the old lines", x->order.name);
    e.detail = detail;
    st = exc_raise(x->c, &e, NULL, x->err);
    if (st == ST_OK)
        st = order_event(x, NULL, NULL, "lines_changed_after_post", detail);
    return st;
}

/* Applies the payload to the locked order and releases jobs. */
static enum st order_apply(struct intake_ctx *x, bool exists, enum order_state cur,
                           struct intake_result *out)
{
    enum order_state intake = order_intake_state(&x->order, x->r->paid_statuses);
    struct order_transition t = order_next_state(exists, cur, intake);
    enum st st = order_store_write(x->c, x->order_id, &x->order, order_state_name(t.next),
                                   x->err);

    if (st == ST_OK && exists && order_state_is_posted(cur))
        st = lines_check_posted(x);
    else if (st == ST_OK)
        st = order_store_replace_lines(x->c, x->order_id, &x->order, x->err);
    if (st == ST_OK && (!exists || t.next != cur))
        st = order_event(x, exists ? order_state_name(cur) : NULL, order_state_name(t.next),
                         exists ? "state_changed" : "received", x->r->topic);
    if (st == ST_OK && t.enqueue_post)
        st = order_job(x, "post_sales_order", &out->job_enqueued);
    /* an empty order's exception has nothing left to act on once it is cancelled */
    if (st == ST_OK && exists && cur == ORDER_NOT_FOR_WAREHOUSE && t.next == ORDER_CANCELLED)
        st = exc_resolve_subject(x->c, x->r->shop, "empty_order", x->order.name, "shopvox",
                                 "order cancelled", x->err);
    /* a held or in-flight order may already be in Peoplevox: cancel it there too */
    if (st == ST_OK && (t.enqueue_cancel || (exists && t.next == ORDER_CANCELLED &&
                                             cur != ORDER_CANCELLED && x->post_started)))
        st = order_job(x, "cancel_sales_order", &out->job_enqueued);
    snprintf(out->order_state, sizeof(out->order_state), "%s", order_state_name(t.next));
    return st;
}

static enum st process_order(struct intake_ctx *x, struct intake_result *out)
{
    enum order_state intake = order_intake_state(&x->order, x->r->paid_statuses);
    enum order_state cur = ORDER_AWAITING_PAYMENT;
    int64_t stored_ms = -1;
    bool exists = false;
    enum st st = order_lock(x, &exists, &cur, &stored_ms, order_state_name(intake));

    if (st == ST_OK && exists)
        st = inbox_store_body_seen(x->c, x->order_id, x->body_sha256, &x->replay, x->err);
    if (st != ST_OK)
        return st;
    if (x->replay) {
        x->event_outcome = "duplicate";
        out->outcome = INTAKE_DUPLICATE;
        snprintf(out->order_state, sizeof(out->order_state), "%s", order_state_name(cur));
        return ST_OK;
    }
    if (exists && stored_ms >= 0 && x->order.updated_at_ms >= 0 &&
        x->order.updated_at_ms < stored_ms) {
        x->event_outcome = "stale";
        out->outcome = INTAKE_STALE;
        snprintf(out->order_state, sizeof(out->order_state), "%s", order_state_name(cur));
        return ST_OK;
    }
    return order_apply(x, exists, cur, out);
}

/* Signed but unusable: keep the body for inspection and tell ops. */
static enum st record_failure(struct intake_ctx *x, struct intake_result *out, const char *why)
{
    char detail[ERRBUF_MAX + 128];
    struct exc_new e = {x->r->shop, "invalid_webhook", "ops", "webhook", x->r->webhook_id, NULL,
                        detail,
                        "Inspect the stored body in webhook_events; fix the sender or the "
                        "mapping, then resolve this exception"};

    snprintf(detail, sizeof(detail), "%s webhook could not be used: %s", x->r->topic, why);
    x->event_outcome = "failed";
    x->event_error = why;
    out->outcome = INTAKE_FAILED;
    return exc_raise(x->c, &e, NULL, x->err);
}

/* The delivery's inbox row: inserted, or (a pending row being applied) given its outcome. */
static enum st inbox_insert(struct intake_ctx *x, bool *duplicate)
{
    const struct inbox_row row = {x->r->shop,       x->r->webhook_id, x->r->topic,
                                  x->r->api_version, x->r->headers_json,
                                  x->replay ? NULL : x->r->body,     x->r->body_len,
                                  x->swept ? NULL : x->body_sha256, x->event_outcome,
                                  x->event_error,
                                  x->order_id[0] ? x->order_id : NULL,
                                  x->swept ? "sweep" : "webhook", NULL};

    if (x->r->pending_id != NULL) /* claimed by the caller: its webhook id was new */
        return inbox_store_mark_applied(x->c, x->r->pending_id, &row, x->err);
    return inbox_store_insert(x->c, &row, duplicate, x->err);
}

/* apps/installed_uninstalled: pause or resume the shop's outbound calls (webhook_subs.h). */
static enum st app_event(struct intake_ctx *x, struct intake_result *out)
{
    struct errbuf why = {""};
    enum st st = whsubs_app_event(x->c, x->r->shop, x->r->body, x->r->body_len, &why);

    if (st == ST_FAIL)
        return record_failure(x, out, why.msg);
    if (st != ST_OK)
        *x->err = why;
    return st;
}

/* return/create, return/update, refunds/create (return_intake.c), recorded like an order's. */
static enum st return_event(struct intake_ctx *x, struct intake_result *out)
{
    enum st st = returns_intake(x->c, x->r, out, x->order_id, &x->parse_err, x->err);

    if (st != ST_OK)
        return st;
    if (out->outcome == INTAKE_FAILED)
        return record_failure(x, out, x->parse_err.msg);
    x->event_outcome = intake_outcome_name(out->outcome);
    return ST_OK;
}

static enum st dispatch(struct intake_ctx *x, struct intake_result *out)
{
    if (x->r->other_shop) { /* the app may be installed elsewhere: never mix stores */
        x->event_outcome = "ignored";
        x->event_error = "webhook for a shop this deployment does not serve";
        out->outcome = INTAKE_IGNORED;
        return ST_OK;
    }
    if (whk_topic_classify(x->r->topic) == WHK_TOPIC_PRODUCT ||
        whk_topic_classify(x->r->topic) == WHK_TOPIC_INVENTORY) /* a hint: re-read the catalogue */
        return variants_sync_enqueue(x->c, x->r->shop, &out->job_enqueued, x->err);
    if (whk_topic_classify(x->r->topic) == WHK_TOPIC_APP)
        return app_event(x, out);
    if (whk_topic_classify(x->r->topic) == WHK_TOPIC_RETURN ||
        whk_topic_classify(x->r->topic) == WHK_TOPIC_REFUND)
        return return_event(x, out);
    if (whk_topic_classify(x->r->topic) != WHK_TOPIC_ORDER) {
        x->event_outcome = "ignored";
        out->outcome = INTAKE_IGNORED;
        return ST_OK;
    }
    if (order_parse_json(x->r->body, x->r->body_len, &x->order, &x->parse_err) != ST_OK)
        return record_failure(x, out, x->parse_err.msg);
    return process_order(x, out);
}

/* The sweep's order: applied when shopvox lacks it or has an older version. */
static enum st sweep_order(struct intake_ctx *x, struct intake_result *out)
{
    enum order_state intake = order_intake_state(&x->order, x->r->paid_statuses);
    enum order_state cur = ORDER_AWAITING_PAYMENT;
    int64_t stored_ms = -1;
    bool exists = false;
    enum st st = order_lock(x, &exists, &cur, &stored_ms, order_state_name(intake));

    if (st != ST_OK)
        return st;
    if (exists && (x->order.updated_at_ms < 0 || x->order.updated_at_ms <= stored_ms)) {
        out->outcome = INTAKE_UNCHANGED;
        snprintf(out->order_state, sizeof(out->order_state), "%s", order_state_name(cur));
        return ST_OK;
    }
    return order_apply(x, exists, cur, out);
}

/*
 * step, then the inbox row. *undo is set when nothing may stay (a
 * duplicate webhook id, an unchanged order): out then tells why.
 */
static enum st intake_steps(struct intake_ctx *x,
                            enum st (*step)(struct intake_ctx *, struct intake_result *),
                            struct intake_result *out, bool *undo)
{
    bool duplicate = false;
    enum st st = step(x, out);

    *undo = false;
    if (st == ST_OK && out->outcome == INTAKE_UNCHANGED) {
        *undo = true;
        return ST_OK;
    }
    if (st == ST_OK)
        st = inbox_insert(x, &duplicate);
    if (st == ST_OK && duplicate) {
        memset(out, 0, sizeof(*out));
        out->outcome = INTAKE_DUPLICATE;
        *undo = true;
    }
    return st;
}

/*
 * One transaction around step: BEGIN, step, the inbox row, COMMIT; a
 * duplicate webhook id or an unchanged order rolls everything back.
 */
static enum st intake_run(struct intake_ctx *x,
                          enum st (*step)(struct intake_ctx *, struct intake_result *),
                          struct intake_result *out)
{
    bool undo = false;
    enum st st = store_ensure(x->c, x->err);

    if (st == ST_OK)
        st = store_cmd(x->c, "BEGIN", x->err);
    if (st == ST_OK)
        st = intake_steps(x, step, out, &undo);
    if (st == ST_OK && undo)
        store_rollback(x->c);
    else if (st == ST_OK)
        st = store_cmd(x->c, "COMMIT", x->err);
    if (st != ST_OK)
        store_rollback(x->c);
    if (!x->swept)
        order_cleanup(&x->order);
    return st;
}

static void intake_ctx_init(struct intake_ctx *x, struct store_conn *c,
                            const struct intake_request *r, struct intake_result *out,
                            struct errbuf *err)
{
    memset(x, 0, sizeof(*x));
    memset(out, 0, sizeof(*out));
    x->c = c;
    x->r = r;
    x->err = err;
    x->event_outcome = "stored";
}

enum st intake_process(struct store_conn *c, const struct intake_request *r,
                       struct intake_result *out, struct errbuf *err)
{
    struct intake_ctx x;

    intake_ctx_init(&x, c, r, out, err);
    SHA256((const unsigned char *)r->body, r->body_len, x.body_sha256);
    return intake_run(&x, dispatch, out);
}

enum st intake_apply_swept(struct store_conn *c, const char *shop, const char *paid_statuses,
                           const struct order *o, struct intake_result *out, struct errbuf *err)
{
    const struct intake_request r = {shop, NULL, INTAKE_SWEEP_TOPIC, NULL, "{}", NULL, 0,
                                     paid_statuses, false, NULL, NULL};
    struct intake_ctx x;

    intake_ctx_init(&x, c, &r, out, err);
    x.swept = true;
    x.order = *o;
    return intake_run(&x, sweep_order, out);
}

/* Savepoint names unique in the process (see intake_process_nested). */
static atomic_ulong intake_savepoints;

/*
 * The same steps under a savepoint of their own in the caller's
 * transaction: a duplicate or a failed statement rolls back to it; a
 * stored delivery keeps it (never released: the next delivery's nests in
 * it, and the COMMIT commits them all), which saves a statement. The name
 * is unique, so a rollback can only ever reach this delivery's savepoint:
 * had it not been established, the rollback fails and the transaction is
 * reported lost, never an earlier delivery undone. The SAVEPOINT is sent
 * deferred, in one round trip with the first read (store.h). *lost tells
 * that the transaction itself is unusable (the connection dropped, or the
 * rollback to the savepoint failed). A transient failure (ST_RETRY: a
 * deadlock, a timeout) is undone like any other, so only a connection that
 * cannot roll back loses the group.
 */
enum st intake_process_nested(struct store_conn *c, const struct intake_request *r,
                              struct intake_result *out, bool *lost, struct errbuf *err)
{
    struct intake_ctx x;
    struct errbuf undo_err = {""};
    char sql[64];
    unsigned long sp = atomic_fetch_add(&intake_savepoints, 1);
    bool undo = false;
    enum st st;

    intake_ctx_init(&x, c, r, out, err);
    SHA256((const unsigned char *)r->body, r->body_len, x.body_sha256);
    *lost = false;
    snprintf(sql, sizeof(sql), "SAVEPOINT intake_%lu", sp);
    st = store_cmd_deferred(c, sql, err);
    if (st != ST_OK) {
        *lost = true;
        return st;
    }
    st = intake_steps(&x, dispatch, out, &undo);
    if (st == ST_OK)
        st = store_flush(c, err);
    order_cleanup(&x.order);
    if (st == ST_OK && !undo)
        return ST_OK;
    snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT intake_%lu", sp);
    if (store_cmd(c, sql, &undo_err) != ST_OK)
        *lost = true;
    if (st == ST_OK && *lost)
        *err = undo_err;
    return *lost && st == ST_OK ? ST_FAIL : st;
}
