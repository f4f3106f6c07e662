/*
 * fulfillment.c - the create_fulfillment job (see despatch_jobs.h).
 *
 * One despatch becomes one Shopline fulfillment, never two. The POST is
 * never re-sent blindly: when its reply was lost (outcome.unknown, a 5xx
 * included), or when an earlier attempt sent it (despatches.post_started_at,
 * committed just before each first POST: that attempt may have created it
 * and died before recording), the order's fulfillments are listed first and the one with the despatch's tracking
 * number *and* lines is adopted (fulfillment_match.h). A 422 "already
 * fulfilled" is answered the same way. Every Shopline call takes a
 * "shopline" token from the shared limiter first; a refusal or a 429 is an
 * uncounted, throttled retry.
 *
 * What a fulfillment carries: the despatch's lines by Shopline line id,
 * notify_customer (SHOPVOX_NOTIFY_CUSTOMER) and, when the despatch has a
 * tracking number, one tracking_info_list entry whose company and URL come
 * from the carriers table (carrier.h: an unmapped carrier is sent as its
 * raw name, without a URL, and opens nothing).
 *
 * Defined outcomes, each opening one exception (subject: the despatch
 * number; the detail names order and despatch) and never a retry loop:
 *   - Shopline refuses because the order is cancelled: the despatch is
 *     failed and `despatch_order_cancelled` (customer_service) opens: the
 *     goods have left the warehouse for an order the customer cancelled,
 *     so someone must arrange a return or let the parcel go and refund.
 *   - Any other refusal (404, 401, a 422 naming lines, "already fulfilled"
 *     with no matching fulfillment): failed, `fulfillment_failed` (ops).
 *   - No tracking number: the fulfillment is still created, without
 *     tracking, and `despatch_no_tracking` (customer_service) opens.
 *     Holding the fulfillment back until a number appears would leave the
 *     customer without word that the parcel shipped (and Shopline's
 *     reporting wrong) for a parcel that has left; Peoplevox never sends a
 *     number later through the Despatch summary, so waiting could be for
 *     ever. Customer service can add the number in Shopline if the carrier
 *     gives one.
 *
 * The Shopline calls run outside any transaction; the outcome (despatch
 * state, history, exceptions, the order's move to fulfilled once every line
 * is despatched and every despatch fulfilled) is written in one transaction
 * afterwards. Outcomes are counted in shopvox_fulfillments_total{outcome}:
 * created, adopted, failed, and retried (a retry that was not throttling).
 */
#include "despatch_jobs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "carrier_store.h"
#include "despatch_store.h"
#include "exceptions.h"
#include "fulfillment_match.h"
#include "limiter.h"
#include "log.h"
#include "metrics.h"
#include "order_store.h"
#include "shopline.h"

#define FULFIL_METRIC "shopvox_fulfillments_total"

enum fulfil_outcome {
    FULFIL_NONE,       /* retry (r says why), or nothing to do */
    FULFIL_CREATED,
    FULFIL_ADOPTED,
    FULFIL_FAILED,     /* refused: fulfillment_failed */
    FULFIL_CANCELLED   /* refused, the order is cancelled: despatch_order_cancelled */
};

/* One attempt at one despatch. */
struct fulfil {
    struct worker_ctx *w;
    struct job_result *r;
    const char *number;             /* the despatch number (the job's dedupe key) */
    struct despatch_row d;
    struct shopline_line_qty *lines;
    struct carrier_tracking carrier;
    char *fid;                      /* the fulfillment's id (owned) */
    enum fulfil_outcome outcome;
    char why[ERRBUF_MAX];           /* a refusal, for the exception */
};

static pthread_once_t fulfil_metrics_once = PTHREAD_ONCE_INIT;

static void fulfil_metrics_describe(void)
{
    metrics_describe(FULFIL_METRIC, MET_COUNTER,
                     "create_fulfillment outcomes: created, adopted (found in Shopline after a "
                     "lost reply, a retry or a 422), retried (not counting throttling), failed");
}

static void fulfil_count(const char *outcome)
{
    char labels[48];

    pthread_once(&fulfil_metrics_once, fulfil_metrics_describe);
    snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
    metrics_inc(FULFIL_METRIC, labels);
}

#define FUL_TOKEN_SLEEP_MAX_MS 2000

/*
 * Takes a high-priority "shopline" token; false (r a throttled retry) when
 * there is none now. With sleep_max_ms > 0 a wait up to that long is slept
 * first: the create after a list, whose token is spent already. Throttling
 * there would make the next attempt list again, and with the budget spent
 * the jobs would trade tokens for lists and never create.
 */
static bool take_token(struct fulfil *f, int64_t sleep_max_ms)
{
    return job_take_token(f->w, RL_API_SHOPLINE, RL_PRIO_HIGH, sleep_max_ms, "fulfillment",
                          f->r);
}

/* A failed call: a 429 is a throttled retry (the limiter is told), else r->st is st. */
static void note_failure(struct fulfil *f, const struct shopline_outcome *oc, enum st st)
{
    errbuf_set(&f->r->err, "shopline: %s (http %ld, trace %s)", oc->err.msg, oc->http_status,
               oc->trace_id[0] ? oc->trace_id : "-");
    f->r->st = st;
    if (oc->throttled) {
        long after_ms = oc->retry_after_ms > 0 ? oc->retry_after_ms : 0;

        if (f->w->limiter != NULL)
            limiter_note_throttled(f->w->limiter, RL_API_SHOPLINE, after_ms);
        job_result_throttle(f->r, after_ms);
    }
}

/* Lists the order's fulfillments and adopts the despatch's, if there. false: r filled. */
static bool find_existing(struct fulfil *f)
{
    struct shopline_fulfillments listed = {NULL, 0, 0};
    struct shopline_outcome oc;
    enum st st;
    long i;

    if (!take_token(f, 0))
        return false;
    st = shopline_list_fulfillments(f->w->shopline, f->w->curl, f->d.shopline_order_id, &listed,
                                    &oc);
    if (st != ST_OK) {
        note_failure(f, &oc, st == ST_FAIL ? ST_RETRY : st);
        shopline_fulfillments_cleanup(&listed);
        return false;
    }
    i = fulfillment_match(&listed, f->d.tracking, f->lines, f->d.n_lines,
                          (const char *const *)f->d.taken, f->d.n_taken);
    if (i >= 0) {
        f->fid = xstrdup(listed.items[i].id);
        f->outcome = FULFIL_ADOPTED;
    }
    shopline_fulfillments_cleanup(&listed);
    return true;
}

/* A permanent refusal of the POST: failed or cancelled, with why. */
static void refused(struct fulfil *f, const struct shopline_outcome *oc, bool cancelled)
{
    f->outcome = cancelled ? FULFIL_CANCELLED : FULFIL_FAILED;
    snprintf(f->why, sizeof(f->why), "shopline refused the fulfillment: %.200s%s%.200s "
             "(http %ld, trace %.40s)", oc->err.msg, oc->errors[0] ? ": " : "", oc->errors,
             oc->http_status, oc->trace_id[0] ? oc->trace_id : "-");
}

/* The company and URL of the despatch's carrier (carrier.h); false: r filled. */
static bool resolve_carrier(struct fulfil *f)
{
    struct carrier_rules rules;
    enum st st = carrier_store_load(f->w->db, f->w->cfg->shop_domain, f->d.carrier, &rules,
                                    &f->r->err);

    if (st == ST_OK)
        carrier_resolve(rules.rules, rules.n, f->d.carrier, f->d.service, f->d.tracking,
                        &f->carrier);
    else
        f->r->st = st;
    carrier_rules_cleanup(&rules);
    return st == ST_OK;
}

/*
 * POSTs the fulfillment, or adopts the one already there (listed: this
 * attempt spent a token on a list already); false: r filled (a retry).
 */
static bool create(struct fulfil *f, bool listed)
{
    struct shopline_tracking t = {f->d.tracking, f->carrier.company, f->carrier.url};
    struct shopline_fulfillment_req req = {f->d.shopline_order_id, f->lines, f->d.n_lines, &t,
                                           f->d.tracking[0] ? 1 : 0,
                                           f->w->cfg->notify_customer == 1};
    struct shopline_outcome oc;
    enum fulfillment_refusal why;
    enum st st;

    if (!take_token(f, listed ? FUL_TOKEN_SLEEP_MAX_MS : 0))
        return false;
    if (!f->d.post_started) {
        f->r->st = despatch_store_mark_posting(f->w->db, f->d.id, &f->r->err);
        if (f->r->st != ST_OK)
            return false;
        f->d.post_started = true;
    }
    st = shopline_create_fulfillment(f->w->shopline, f->w->curl, &req, &f->fid, &oc);
    if (st == ST_OK) {
        f->outcome = FULFIL_CREATED;
        return true;
    }
    why = oc.reason == SHOPLINE_R_INVALID ? fulfillment_refusal_of(oc.errors)
                                          : FULFILLMENT_REFUSED_OTHER;
    if (oc.unknown || why == FULFILLMENT_REFUSED_ALREADY) {
        if (!find_existing(f))
            return false;
        if (f->fid != NULL)
            return true;
        if (oc.unknown) {
            note_failure(f, &oc, ST_RETRY); /* it was not applied: send it again */
            return false;
        }
        refused(f, &oc, false);
        snprintf(f->why + strlen(f->why), sizeof(f->why) - strlen(f->why),
                 "; no fulfillment of the order has tracking %s and these lines",
                 f->d.tracking[0] ? f->d.tracking : "(none)");
        return true;
    }
    if (st == ST_RETRY) {
        note_failure(f, &oc, st);
        return false;
    }
    refused(f, &oc, why == FULFILLMENT_REFUSED_CANCELLED);
    return true;
}

/* The exception an outcome opens: type, owner, what to do. */
struct fulfil_exc {
    const char *type, *team, *action;
};
static const struct fulfil_exc exc_cancelled = {
    "despatch_order_cancelled", "customer_service",
    "the parcel left the warehouse for an order cancelled in Shopline: contact the customer "
    "(return the parcel, or keep the order and charge again), then resolve"};
static const struct fulfil_exc exc_failed = {
    "fulfillment_failed", "ops",
    "check the order's lines in Shopline; fulfil the despatch there by hand if it is right, "
    "then resolve"};
static const struct fulfil_exc exc_no_tracking = {
    "despatch_no_tracking", "customer_service",
    "the customer was told the order shipped but has no tracking link: ask the warehouse or "
    "carrier for the number and add it to the fulfillment in Shopline, then resolve"};

/* Opens the outcome's exception, if it has one, in the open transaction. */
static enum st raise_outcome(struct fulfil *f, struct errbuf *err)
{
    char detail[ERRBUF_MAX + 256];
    const struct fulfil_exc *x = NULL;
    const char *tracking = f->d.tracking[0] ? f->d.tracking : "none";

    if (f->outcome == FULFIL_CANCELLED || f->outcome == FULFIL_FAILED) {
        x = f->outcome == FULFIL_CANCELLED ? &exc_cancelled : &exc_failed;
        snprintf(detail, sizeof(detail), "despatch %s of order %s (tracking %s) was not "
                 "fulfilled: %s", f->number, f->d.order_name, tracking, f->why);
    } else if (f->d.tracking[0] == '\0') {
        x = &exc_no_tracking;
        snprintf(detail, sizeof(detail), "despatch %s of order %s (carrier %s) has no tracking "
                 "number; Shopline fulfillment %s was created without tracking", f->number,
                 f->d.order_name, f->d.carrier[0] ? f->d.carrier : "none", f->fid);
    } else {
        return ST_OK;
    }
    struct exc_new e = {f->w->cfg->shop_domain, x->type, x->team, "despatch", f->number,
                        f->d.order_id, detail, x->action};

    log_event(LOG_WARN, x->type, "despatch", f->number, "order", f->d.order_name, "why", detail,
              NULL);
    return exc_raise(f->w->db, &e, NULL, err);
}

/* The despatch's row in the order's history (no state change). */
static enum st record_event(struct fulfil *f, struct errbuf *err)
{
    char detail[ERRBUF_MAX + 256];
    bool ok = f->fid != NULL;

    if (ok)
        snprintf(detail, sizeof(detail), "despatch %s: Shopline fulfillment %s (%s), tracking "
                 "%s, company %s%s%s", f->number, f->fid,
                 f->outcome == FULFIL_ADOPTED ? "found there" : "created",
                 f->d.tracking[0] ? f->d.tracking : "none",
                 f->carrier.company ? f->carrier.company : "none",
                 f->carrier.url ? ", url " : "", f->carrier.url ? f->carrier.url : "");
    else
        snprintf(detail, sizeof(detail), "despatch %s: %s", f->number, f->why);
    return order_store_event(f->w->db, f->d.order_id, NULL, NULL,
                             ok ? "despatch_fulfilled" : "despatch_failed", detail, err);
}

/* A wholly fulfilled order moves to fulfilled from whichever despatch state it is in. */
static enum st record_order(struct fulfil *f, struct errbuf *err)
{
    static const char *const from[] = {"sent", "partially_despatched", "despatched"};
    char state[32] = "", detail[256];
    bool complete = false;
    enum st st = despatch_store_order_fulfilled(f->w->db, f->d.order_id, &complete, state,
                                                sizeof(state), err);

    snprintf(detail, sizeof(detail), "every line despatched and fulfilled (last: despatch %s, "
             "fulfillment %s)", f->number, f->fid ? f->fid : "-");
    for (size_t i = 0; st == ST_OK && complete && i < ARRAY_LEN(from); i++)
        if (strcmp(state, from[i]) == 0)
            return order_store_move(f->w->db, f->d.order_id, state, "fulfilled", "fulfilled",
                                    detail, err);
    return st;
}

/* Records the outcome in one transaction. */
static enum st record(struct fulfil *f, struct errbuf *err)
{
    enum st st = store_cmd(f->w->db, "BEGIN", err);

    if (st == ST_OK)
        st = despatch_store_finish(f->w->db, f->d.id, f->fid ? "fulfilled" : "failed", f->fid,
                                   err);
    if (st == ST_OK)
        st = record_event(f, err);
    if (st == ST_OK)
        st = raise_outcome(f, err);
    if (st == ST_OK)
        st = record_order(f, err);
    if (st == ST_OK)
        st = store_cmd(f->w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(f->w->db);
    else if (f->fid != NULL)
        log_event(LOG_INFO, "fulfillment_created", "despatch", f->number, "order",
                  f->d.order_name, "fulfillment", f->fid, "how",
                  f->outcome == FULFIL_ADOPTED ? "adopted" : "created", NULL);
    return st;
}

/* Counts what the attempt came to (throttling is not a retry of ours). */
static void count_outcome(const struct fulfil *f)
{
    static const char *const names[] = {
        [FULFIL_CREATED] = "created", [FULFIL_ADOPTED] = "adopted",
        [FULFIL_FAILED] = "failed", [FULFIL_CANCELLED] = "failed"};

    if (f->r->st == ST_RETRY && !f->r->throttled)
        fulfil_count("retried");
    else if (f->r->st == ST_FAIL)
        fulfil_count("failed");
    else if (f->r->st == ST_OK && f->outcome != FULFIL_NONE)
        fulfil_count(names[f->outcome]);
}

/* The despatch's lines as the request and the matcher take them. */
static void fill_lines(struct fulfil *f)
{
    f->lines = xcalloc(f->d.n_lines ? f->d.n_lines : 1, sizeof(*f->lines));
    for (size_t i = 0; i < f->d.n_lines; i++)
        f->lines[i] = (struct shopline_line_qty){f->d.lines[i].line_id, f->d.lines[i].quantity};
}

void despatch_fulfil_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct fulfil f = {.w = w, .r = r, .number = j->dedupe_key};
    bool found = false;

    r->st = store_ensure(w->db, &r->err);
    if (r->st == ST_OK)
        r->st = despatch_store_load(w->db, j->dedupe_key, &f.d, &found, &r->err);
    if (r->st != ST_OK || !found || strcmp(f.d.state, "pending") != 0)
        goto out; /* gone, or done by an earlier attempt */
    if (w->shopline == NULL) {
        errbuf_set(&r->err, "no shopline client (SHOPLINE_ACCESS_TOKEN not set)");
        r->st = ST_FAIL;
        goto out;
    }
    fill_lines(&f);
    if (!resolve_carrier(&f))
        goto out;
    if (f.d.post_started && !find_existing(&f))
        goto out;
    if (f.fid == NULL && !create(&f, f.d.post_started))
        goto out;
    r->st = record(&f, &r->err);
out:
    count_outcome(&f);
    free(f.fid);
    free(f.lines);
    carrier_tracking_cleanup(&f.carrier);
    despatch_row_cleanup(&f.d);
}
