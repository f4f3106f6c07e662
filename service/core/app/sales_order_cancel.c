/*
 * sales_order_cancel.c - a cancelled Shopline order -> its Peoplevox Sales
 * Order cancelled too (cancel_sales_order).
 *
 * One short transaction decides what can be decided locally, the network
 * call runs outside any transaction, and one more short transaction
 * records what Peoplevox said:
 *
 *   local   never posted (no post started, or no number): cancelled here
 *           and done. Despatched, partly despatched or fulfilled: it cannot
 *           be cancelled, so customer service gets a cancel_after_despatch
 *           exception (a return or refund is theirs to arrange).
 *   remote  ask Peoplevox for the Sales Order by number. Not there: the post
 *           never reached it, cancelled. Despatched there: as above. Already
 *           Cancelled there: cancelled. Otherwise save Status = Cancelled
 *           (by field name, two fields: the order's other fields are kept).
 *
 * Decisions:
 *  - A save whose outcome is unknown, or a transient refusal, is retried:
 *    cancelling twice is harmless. A refusal that mentions despatch is
 *    treated as despatched; any other refusal opens cancel_rejected for ops
 *    to cancel by hand.
 *  - Throttling is a throttled retry, as for posting.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "exceptions.h"
#include "order_store.h"
#include "sales_order_int.h"

struct so_cancel {
    struct worker_ctx *w;
    struct errbuf *err;
    char order_id[24];
    struct order_store_cancel o;
    struct so_ctx pvx;          /* for the Peoplevox calls: only w, err and the throttle */
};

static void so_cancel_log(const struct so_cancel *c, const char *outcome, const char *why)
{
    log_event(why != NULL && why[0] ? LOG_WARN : LOG_INFO, "sales_order_cancel", "outcome",
              outcome, "order_id", c->order_id, "order", c->o.name, "so",
              c->o.so_number[0] ? c->o.so_number : "-", "reason", why, NULL);
    so_count("shopvox_sales_order_cancels_total", outcome);
}

/* Locks and reads the order; *found false when it is gone (c->o then keeps what it had). */
static enum st so_cancel_load(struct so_cancel *c, bool *found)
{
    struct order_store_cancel o;
    enum st st = order_store_lock_for_cancel(c->w->db, c->order_id, &o, found, c->err);

    if (st == ST_OK && *found)
        c->o = o;
    return st;
}

/* State cancelled with history, in the open transaction (no-op when already). */
static enum st so_cancel_mark(struct so_cancel *c, const char *detail)
{
    enum st st;

    if (strcmp(c->o.state, "cancelled") == 0)
        return ST_OK;
    st = order_store_cancel(c->w->db, c->order_id, c->err);
    if (st == ST_OK)
        st = order_store_event(c->w->db, c->order_id, c->o.state, "cancelled", "cancelled",
                               detail, c->err);
    return st;
}

static enum st so_cancel_despatched(struct so_cancel *c, const char *pvx_status)
{
    char detail[512];
    struct exc_new e = {c->o.shop, "cancel_after_despatch", "customer_service", "order",
                        c->o.name, c->order_id, detail,
                        "The parcel has left (or is leaving) the warehouse: contact the "
                        "customer and arrange a return or refund, then resolve this exception"};
    enum st st;

    snprintf(detail, sizeof(detail),
             "order %s was cancelled in Shopline but Peoplevox Sales Order %s is %s and cannot "
             "be cancelled",
             c->o.name, c->o.so_number, pvx_status);
    st = exc_raise(c->w->db, &e, NULL, c->err);
    if (st == ST_OK)
        st = order_store_event(c->w->db, c->order_id, NULL, NULL, "cancel_refused", detail,
                               c->err);
    return st;
}

/* One short transaction around a decision taken after the network. */
enum so_cancel_action { SO_CANCEL_MARK, SO_CANCEL_DESPATCHED, SO_CANCEL_REJECTED };

static enum st so_cancel_tx(struct so_cancel *c, enum so_cancel_action a, const char *text)
{
    char detail[ERRBUF_MAX + 128];
    struct exc_new e = {c->o.shop, "cancel_rejected", "ops", "order", c->o.name, c->order_id,
                        detail,
                        "Cancel the Sales Order in Peoplevox by hand, then resolve this "
                        "exception"};
    bool found = false;
    enum st st = store_cmd(c->w->db, "BEGIN", c->err);

    if (st == ST_OK)
        st = so_cancel_load(c, &found);
    if (st == ST_OK && found) {
        if (a == SO_CANCEL_MARK) {
            st = so_cancel_mark(c, text);
        } else if (a == SO_CANCEL_DESPATCHED) {
            st = so_cancel_despatched(c, text);
        } else {
            snprintf(detail, sizeof(detail),
                     "Peoplevox refused to cancel Sales Order %s of order %s: %s",
                     c->o.so_number, c->o.name, text);
            st = exc_raise(c->w->db, &e, NULL, c->err);
        }
    }
    if (st == ST_OK)
        st = store_cmd(c->w->db, "COMMIT", c->err);
    if (st != ST_OK)
        store_rollback(c->w->db);
    return st;
}

/* so_cancel_tx, then the log line when it committed. */
static enum st so_cancel_record(struct so_cancel *c, enum so_cancel_action a, const char *text,
                                const char *outcome, const char *why)
{
    enum st st = so_cancel_tx(c, a, text);

    if (st == ST_OK)
        so_cancel_log(c, outcome, why);
    return st;
}

static bool so_status_despatched(const char *s)
{
    return strcasecmp(s, "Despatched") == 0 || strcasecmp(s, "Partially despatched") == 0 ||
           strcasecmp(s, "Dispatched") == 0 || strcasecmp(s, "Partially dispatched") == 0;
}

/* Saves Status = Cancelled, then records what Peoplevox said. */
static enum st so_cancel_save(struct so_cancel *c)
{
    const struct pvx_field_value v[] = {{"SalesOrderNumber", c->o.so_number},
                                        {"Status", "Cancelled"}};
    struct pvx_record rec = {v, ARRAY_LEN(v)};
    struct pvx_outcome oc;
    enum st st;

    memset(&oc, 0, sizeof(oc));
    st = so_save(&c->pvx, SO_TEMPLATE_ORDERS, &rec, 1, &oc, NULL);
    so_note_throttle(&c->pvx, &oc);
    if (st == ST_OK)
        return so_cancel_record(c, SO_CANCEL_MARK, "Sales Order cancelled in Peoplevox",
                                "cancelled", NULL);
    if (st == ST_RETRY || oc.unknown) {
        errbuf_set(c->err, "could not cancel Sales Order %s: %s", c->o.so_number, oc.err.msg);
        so_cancel_log(c, "retry", c->err->msg);
        return ST_RETRY;
    }
    if (strcasestr(oc.err.msg, "despatch") != NULL || strcasestr(oc.err.msg, "dispatch") != NULL)
        return so_cancel_record(c, SO_CANCEL_DESPATCHED, "despatched", "despatched",
                                oc.err.msg);
    return so_cancel_record(c, SO_CANCEL_REJECTED, oc.err.msg, "rejected", oc.err.msg);
}

/* Asks Peoplevox, then cancels there (or hands the case to customer service). */
static enum st so_cancel_remote(struct so_cancel *c)
{
    struct csv_table t;
    const char *status;
    bool found = false;
    enum st st;

    c->pvx.w = c->w;
    c->pvx.err = c->err;
    st = so_pvx_find(&c->pvx, c->o.so_number, &t, &found);
    if (st != ST_OK) {
        so_cancel_log(c, st == ST_RETRY ? "retry" : "failed", c->err->msg);
        goto out;
    }
    if (!found) {
        st = so_cancel_record(c, SO_CANCEL_MARK, "the Sales Order never reached Peoplevox",
                              "cancelled", NULL);
        goto out;
    }
    status = csv_table_get(&t, 1, csv_table_col(&t, "Status"));
    if (so_status_despatched(status))
        st = so_cancel_record(c, SO_CANCEL_DESPATCHED, status, "despatched", status);
    else if (strcasecmp(status, "Cancelled") == 0)
        st = so_cancel_record(c, SO_CANCEL_MARK, "already cancelled in Peoplevox", "cancelled",
                              NULL);
    else
        st = so_cancel_save(c);
out:
    csv_table_cleanup(&t);
    return st;
}

/* What the locked order allows here; *remote when Peoplevox must be asked. */
static enum st so_cancel_local(struct so_cancel *c, bool *remote)
{
    enum order_state s = ORDER_READY;
    enum st st = ST_OK;

    if (!c->o.post_started || c->o.so_number[0] == '\0') {
        st = so_cancel_mark(c, "cancelled before it was sent to Peoplevox");
        if (st == ST_OK)
            so_cancel_log(c, "cancelled", NULL);
    } else if (order_state_parse(c->o.state, &s) == 0 &&
               (s == ORDER_PARTIALLY_DESPATCHED || s == ORDER_DESPATCHED ||
                s == ORDER_FULFILLED)) {
        st = so_cancel_despatched(c, c->o.state);
        if (st == ST_OK)
            so_cancel_log(c, "despatched", c->o.state);
    } else {
        *remote = true;
    }
    return st;
}

/* Runs the cancellation with c (zeroed by the caller, which reads its throttle after). */
static enum st so_cancel_run(struct so_cancel *c, struct worker_ctx *w, const struct job *j,
                             struct errbuf *err)
{
    bool found = false;
    bool remote = false;
    enum st st;

    c->w = w;
    c->err = err;
    st = so_job_start(w, j, c->order_id, sizeof(c->order_id), err);
    if (st == ST_OK)
        st = store_cmd(w->db, "BEGIN", err);
    if (st != ST_OK)
        return st;
    st = so_cancel_load(c, &found);
    if (st == ST_OK && found)
        st = so_cancel_local(c, &remote);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK) {
        store_rollback(w->db);
        return st;
    }
    if (remote)
        st = so_cancel_remote(c);
    return st;
}

void so_cancel_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct so_cancel c;
    enum st st;

    memset(&c, 0, sizeof(c));
    st = so_cancel_run(&c, w, j, &r->err);
    so_result_set(&c.pvx, st, r);
}
