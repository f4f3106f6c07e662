/*
 * return_intake.c - return/create, return/update and refunds/create
 * deliveries, inside the webhook intake's transaction (returns_app.h).
 *
 * Returns follow the orders' rules: the row is locked (created first when
 * new) before any decision, a delivery older than the stored updated_at
 * is stale and changes nothing, and the inbox row intake.c writes last
 * makes a redelivered webhook id roll everything back. A new return is
 * `requested`; in mode authorise customer service gets a
 * return_authorisation_needed task, in mode auto it is authorised at once
 * (cause "auto") and create_return is enqueued. A status of cancelled or
 * declined moves it to cancelled or rejected where the machine allows
 * (a return the warehouse received is past cancelling: nothing moves).
 *
 * Lines follow the deliveries only while the return is requested: from
 * authorised on they stay as authorised (the expected return in Peoplevox
 * was saved with them, and customer service agreed to those quantities),
 * and a changed quantity or a new line opens
 * return_changed_after_authorisation for customer service instead of
 * silently changing what the warehouse expects.
 *
 * A line (or the whole order) shopvox does not know is kept, with an empty
 * item code, and opens return_unmatched: nothing is dropped and nothing
 * crashes on a return made before shopvox knew the order.
 *
 * A refund is stored once (a second delivery of the same refund id is a
 * duplicate); its units are added to the lines of the order's live
 * returns, and each return touched gets a history row (cause
 * "refund:<id>") and has its refund_due judged again. A refund with no
 * return (refund only) is stored and creates nothing else: the warehouse
 * never hears of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exceptions.h"
#include "return_store.h"
#include "returns_app.h"
#include "shopline_returns.h"
#include "webhook.h"

/* Per-delivery working state of a return. */
struct ri_ctx {
    struct store_conn *c;
    const struct intake_request *r;
    struct errbuf *err;
    struct shopline_return ret;
    struct return_locked row;
    char cause[64];    /* "webhook:<topic>" */
    char subject[24];  /* the return's id as text */
};

static enum st ri_unmatched(struct ri_ctx *x, const char *unknown)
{
    char detail[512];
    struct exc_new e = {x->r->shop, "return_unmatched", "customer_service", "return", x->subject,
                        x->row.order_id[0] ? x->row.order_id : NULL, detail,
                        "Check the return in SHOPLINE: shopvox keeps it, but lines it cannot "
                        "match to an order line have no item code for the warehouse"};

    if (x->row.order_id[0] == '\0')
        snprintf(detail, sizeof(detail), "return %s (%s) is for SHOPLINE order %s, which "
                 "shopvox does not know", x->ret.id, x->ret.name ? x->ret.name : "unnamed",
                 x->ret.order_id);
    else
        snprintf(detail, sizeof(detail), "return %s of order %s names order lines shopvox "
                 "cannot match to an item: %s", x->ret.id, x->row.order_name, unknown);
    return exc_raise(x->c, &e, NULL, x->err);
}

/* Stores the lines; opens return_unmatched when one (or the order) is unknown. */
static enum st ri_lines(struct ri_ctx *x)
{
    char unknown[256] = "";
    size_t used = 0;
    bool any = false;
    enum st st = ST_OK;

    for (size_t i = 0; st == ST_OK && i < x->ret.n_lines; i++) {
        const struct shopline_return_line *l = &x->ret.lines[i];
        bool known = false;

        st = return_store_put_line(x->c, x->row.id, l->line_item_id, l->quantity, l->reason,
                                   &known, x->err);
        if (st == ST_OK && !known) {
            any = true;
            if (used < sizeof(unknown))
                used += (size_t)snprintf(unknown + used, sizeof(unknown) - used, "%s%s",
                                         used ? ", " : "", l->line_item_id);
        }
    }
    if (st == ST_OK && (any || x->row.order_id[0] == '\0'))
        st = ri_unmatched(x, unknown);
    return st;
}

/* "line L: was -> now" of each delivered line whose quantity differs from rec's, into out. */
static size_t ri_changes(const struct ri_ctx *x, const struct return_rec *rec, char *out,
                         size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < x->ret.n_lines && used < cap; i++) {
        const struct shopline_return_line *l = &x->ret.lines[i];
        long was = -1;

        for (size_t k = 0; k < rec->n_lines; k++)
            if (strcmp(rec->lines[k].line_item_id, l->line_item_id) == 0)
                was = rec->lines[k].quantity;
        if (was == l->quantity)
            continue;
        if (was < 0)
            used += (size_t)snprintf(out + used, cap - used, "%sline %s: new, %ld",
                                     used ? "; " : "", l->line_item_id, l->quantity);
        else
            used += (size_t)snprintf(out + used, cap - used, "%sline %s: %ld -> %ld",
                                     used ? "; " : "", l->line_item_id, was, l->quantity);
    }
    return used;
}

/*
 * A delivery for a return past `requested`: its lines stay as they were
 * authorised (what the warehouse was told to expect); a changed quantity
 * or a new line opens return_changed_after_authorisation for customer
 * service while the return is live and still asked for.
 */
static enum st ri_frozen(struct ri_ctx *x)
{
    struct return_rec rec;
    char changes[320], detail[512];
    struct exc_new e = {x->r->shop, "return_changed_after_authorisation", "customer_service",
                        "return", x->subject, x->row.order_id[0] ? x->row.order_id : NULL,
                        detail,
                        "Agree the change with the customer: shopvox keeps the authorised "
                        "quantities (the warehouse expects them); more goods than authorised "
                        "open return_receipt_unmatched, fewer leave the return received. "
                        "Resolve when settled"};
    enum st st;

    if (x->row.state == RETURN_REJECTED || x->row.state == RETURN_CANCELLED ||
        shopline_return_ask_of(&x->ret) != SHOPLINE_RETURN_OPEN)
        return ST_OK;
    st = return_store_get(x->c, x->r->shop, x->row.id, &rec, x->err);
    if (st == ST_OK && ri_changes(x, &rec, changes, sizeof(changes)) > 0) {
        snprintf(detail, sizeof(detail), "return %s of order %s changed in SHOPLINE while %s, "
                 "lines kept as authorised: %s", x->ret.id,
                 x->row.order_name[0] ? x->row.order_name : x->ret.order_id,
                 return_state_name(x->row.state), changes);
        st = exc_raise(x->c, &e, NULL, x->err);
    }
    return_rec_free(&rec);
    return st;
}

static enum st ri_move(struct ri_ctx *x, enum return_state to, const char *cause)
{
    bool applied = false;
    enum st st = return_store_transition(x->c, x->r->shop, x->row.id, to, cause, NULL, &applied,
                                         x->err);

    if (st == ST_OK && applied)
        x->row.state = to;
    return st;
}

/* A new return: the task, or (mode auto) authorised at once and the job. */
static enum st ri_new(struct ri_ctx *x, enum returns_mode mode, struct intake_result *out)
{
    char detail[384];
    char action[128];
    struct exc_new e = {x->r->shop, "return_authorisation_needed", "customer_service", "return",
                        x->subject, x->row.order_id[0] ? x->row.order_id : NULL, detail, action};
    enum st st = return_store_event(x->c, x->row.id, NULL, return_state_name(RETURN_REQUESTED),
                                    x->cause, x->ret.name, x->err);

    if (st != ST_OK || shopline_return_ask_of(&x->ret) != SHOPLINE_RETURN_OPEN)
        return st;
    if (mode == RETURNS_MODE_AUTO) {
        st = ri_move(x, RETURN_AUTHORISED, "auto");
        if (st == ST_OK)
            st = returns_enqueue_create(x->c, x->r->shop, x->row.id, x->err);
        out->job_enqueued = st == ST_OK;
        return st;
    }
    snprintf(detail, sizeof(detail), "return %s (%s) of order %s asks to send back %zu line(s); "
             "refunded goods may never come back or be unfit for resale", x->ret.id,
             x->ret.name ? x->ret.name : "unnamed",
             x->row.order_name[0] ? x->row.order_name : x->ret.order_id, x->ret.n_lines);
    snprintf(action, sizeof(action), "Decide: shopvox returns authorise %s, or shopvox returns "
             "reject %s --reason TEXT", x->subject, x->subject);
    return exc_raise(x->c, &e, NULL, x->err);
}

/* cancelled / declined in SHOPLINE: cancelled / rejected here where allowed. */
static enum st ri_ask(struct ri_ctx *x)
{
    enum shopline_return_ask ask = shopline_return_ask_of(&x->ret);
    enum return_state to = ask == SHOPLINE_RETURN_DECLINED ? RETURN_REJECTED : RETURN_CANCELLED;
    enum return_state was = x->row.state;
    enum st st;

    if (ask == SHOPLINE_RETURN_OPEN)
        return ST_OK;
    st = ri_move(x, to, x->cause);
    if (st == ST_OK && x->row.state != was)
        st = exc_resolve_subject(x->c, x->r->shop, "return_authorisation_needed", x->subject,
                                 "shopvox", ask == SHOPLINE_RETURN_DECLINED
                                     ? "declined in SHOPLINE" : "cancelled in SHOPLINE", x->err);
    return st;
}

static enum st ri_return(struct ri_ctx *x, struct intake_result *out)
{
    enum returns_mode mode = RETURNS_MODE_AUTHORISE;
    const char *reason = x->ret.n_lines > 0 ? x->ret.lines[0].reason : NULL;
    struct return_upsert u = {x->r->shop, x->ret.id, x->ret.order_id, NULL, reason,
                              x->ret.updated_at};
    enum st st;

    (void)returns_mode_parse(x->r->returns_mode, &mode);
    u.mode = returns_mode_name(mode);
    st = return_store_lock_or_create(x->c, &u, &x->row, x->err);
    if (st != ST_OK)
        return st;
    snprintf(x->subject, sizeof(x->subject), "%lld", x->row.id);
    if (!x->row.created && x->row.shopline_updated_ms >= 0 && x->ret.updated_at_ms >= 0 &&
        x->ret.updated_at_ms < x->row.shopline_updated_ms) {
        out->outcome = INTAKE_STALE;
        return ST_OK;
    }
    if (!x->row.created)
        st = return_store_touch(x->c, x->row.id, x->ret.updated_at, reason, x->err);
    if (st == ST_OK && x->row.state == RETURN_REQUESTED)
        st = ri_lines(x);
    else if (st == ST_OK)
        st = ri_frozen(x);
    if (st == ST_OK && x->row.created)
        st = ri_new(x, mode, out);
    if (st == ST_OK)
        st = ri_ask(x);
    return st;
}

/* Adds the refund's units to the order's returns; re-judges refund_due of each touched. */
static enum st ri_refund_apply(struct store_conn *c, const char *shop,
                               const struct shopline_refund *f, struct errbuf *err)
{
    long long ids[RETURN_STORE_MAX_TOUCHED];
    char cause[96], detail[128];
    size_t n = 0;
    enum st st = ST_OK;

    for (size_t i = 0; st == ST_OK && i < f->n_lines; i++)
        st = return_store_refund_apply(c, shop, f->order_id, f->lines[i].line_item_id,
                                       f->lines[i].quantity, ids, &n, err);
    snprintf(cause, sizeof(cause), "refund:%s", f->id);
    snprintf(detail, sizeof(detail), "refunded %s %s", f->amount ? f->amount : "(no amount)",
             f->currency ? f->currency : "");
    for (size_t i = 0; st == ST_OK && i < n; i++) {
        st = return_store_note(c, ids[i], cause, detail, err);
        if (st == ST_OK)
            st = returns_after_receipt(c, shop, ids[i], err);
    }
    return st;
}

static enum st ri_refund(struct store_conn *c, const struct intake_request *r,
                         struct intake_result *out, struct errbuf *why, struct errbuf *err)
{
    struct shopline_refund f;
    char *lines = NULL;
    bool inserted = false;
    enum st st;

    if (shopline_parse_refund(r->body, r->body_len, &f, why) != ST_OK) {
        out->outcome = INTAKE_FAILED;
        return ST_OK;
    }
    lines = shopline_refund_lines_json(&f);
    {
        const struct refund_row row = {r->shop, f.id, f.order_id, f.amount, f.currency, lines,
                                       f.created_at};

        st = return_store_refund_insert(c, &row, &inserted, err);
    }
    if (st == ST_OK && !inserted)
        out->outcome = INTAKE_DUPLICATE;
    else if (st == ST_OK)
        st = ri_refund_apply(c, r->shop, &f, err);
    free(lines);
    shopline_refund_cleanup(&f);
    return st;
}

enum st returns_intake(struct store_conn *c, const struct intake_request *r,
                       struct intake_result *out, char *order_id, struct errbuf *why,
                       struct errbuf *err)
{
    struct ri_ctx x;
    enum st st;

    out->outcome = INTAKE_STORED;
    if (whk_topic_classify(r->topic) == WHK_TOPIC_REFUND)
        return ri_refund(c, r, out, why, err);
    memset(&x, 0, sizeof(x));
    x.c = c;
    x.r = r;
    x.err = err;
    snprintf(x.cause, sizeof(x.cause), "webhook:%s", r->topic);
    if (shopline_parse_return(r->body, r->body_len, &x.ret, why) != ST_OK) {
        out->outcome = INTAKE_FAILED;
        return ST_OK;
    }
    st = ri_return(&x, out);
    if (st == ST_OK) {
        snprintf(order_id, 24, "%s", x.row.order_id);
        snprintf(out->order_state, sizeof(out->order_state), "%s",
                 return_state_name(x.row.state));
    }
    shopline_return_cleanup(&x.ret);
    return st;
}
