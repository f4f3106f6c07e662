/*
 * fulfillment.c - the create_fulfillment job (see despatch_jobs.h).
 *
 * One despatch becomes one Shopline fulfillment, never two. The POST is
 * never re-sent blindly: when its reply was lost (outcome.unknown), or
 * when this is not the job's first attempt (an earlier one may have
 * created it and died before recording), the order's fulfillments are
 * listed first and one carrying the despatch's tracking number is adopted.
 * A 422 "already fulfilled" is answered the same way; if nothing matches,
 * the despatch is failed with an ops exception. Every Shopline call takes
 * a "shopline" token from the shared limiter first; a refusal or a 429 is
 * an uncounted, throttled retry.
 *
 * The Shopline calls run outside any transaction; the outcome (despatch
 * state, the order's move to fulfilled once every line is despatched and
 * every despatch fulfilled) is written in one transaction afterwards.
 */
#include "despatch_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "despatch_store.h"
#include "exceptions.h"
#include "limiter.h"
#include "log.h"
#include "order_store.h"
#include "shopline.h"

#define FUL_TOKEN_SLEEP_MAX_MS 2000

/* Sleeps ms in steps of at most 100 ms; false when shutdown began meanwhile. */
static bool nap_ms(const struct worker_ctx *w, int64_t ms)
{
    while (ms > 0 && (w->stopping == NULL || !atomic_load(w->stopping))) {
        int64_t step = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)step * 1000000L};

        nanosleep(&ts, NULL);
        ms -= step;
    }
    return w->stopping == NULL || !atomic_load(w->stopping);
}

/*
 * Takes a "shopline" token; false (r a throttled retry) when there is none
 * now. With sleep_max_ms > 0 a wait up to that long is slept first: the
 * create after a list, whose token is spent already. Throttling there
 * would make the next attempt list again, and with the budget spent the
 * jobs would trade tokens for lists and never create.
 */
static bool take_token(struct worker_ctx *w, struct job_result *r, int64_t sleep_max_ms)
{
    int64_t wait_ms = 0, slept = 0;

    if (w->limiter == NULL)
        return true;
    while (limiter_take(w->limiter, RL_API_SHOPLINE, &wait_ms, &r->err) != ST_OK) {
        if (r->err.msg[0] != '\0' || slept + wait_ms > sleep_max_ms || !nap_ms(w, wait_ms))
            goto throttled;
        slept += wait_ms;
    }
    return true;
throttled:
    if (r->err.msg[0] == '\0')
        errbuf_set(&r->err, "no shopline token for %lld ms", (long long)wait_ms);
    r->st = ST_RETRY;
    job_result_throttle(r, wait_ms);
    return false;
}

/* A failed call: a 429 is a throttled retry (the limiter told), else r->st is st. */
static void note_failure(struct worker_ctx *w, const struct shopline_outcome *oc, enum st st,
                         struct job_result *r)
{
    errbuf_set(&r->err, "shopline: %s (http %ld, trace %s)", oc->err.msg, oc->http_status,
               oc->trace_id[0] ? oc->trace_id : "-");
    r->st = st;
    if (oc->throttled) {
        if (w->limiter != NULL)
            limiter_note_throttled(w->limiter, RL_API_SHOPLINE,
                                   oc->retry_after_ms > 0 ? oc->retry_after_ms : 0);
        job_result_throttle(r, oc->retry_after_ms > 0 ? oc->retry_after_ms : 0);
    }
}

/*
 * Lists the order's fulfillments and copies into *id (owned) the id of
 * one with d's tracking number, or leaves it NULL. false: r filled.
 */
static bool find_existing(struct worker_ctx *w, const struct despatch_row *d, char **id,
                          struct job_result *r)
{
    struct shopline_fulfillments f = {NULL, 0, 0};
    struct shopline_outcome oc;
    enum st st;

    if (!take_token(w, r, 0))
        return false;
    st = shopline_list_fulfillments(w->shopline, w->curl, d->shopline_order_id, &f, &oc);
    if (st != ST_OK) {
        note_failure(w, &oc, st == ST_FAIL ? ST_RETRY : st, r);
        shopline_fulfillments_cleanup(&f);
        return false;
    }
    for (size_t i = 0; i < f.n && *id == NULL && d->tracking[0]; i++) {
        const struct shopline_fulfillment *x = &f.items[i];

        if (x->status != NULL && strcmp(x->status, "cancelled") == 0)
            continue;
        for (size_t t = 0; t < x->n_tracking && *id == NULL; t++)
            if (strcmp(x->tracking_numbers[t], d->tracking) == 0)
                *id = xstrdup(x->id);
    }
    shopline_fulfillments_cleanup(&f);
    return true;
}

/* Opens the despatch's fulfillment_failed exception (ops) in the open transaction. */
static enum st raise_failed(struct worker_ctx *w, const struct despatch_row *d,
                            const char *number, const char *why, struct errbuf *err)
{
    struct exc_new e = {.shop = w->cfg->shop_domain, .type = "fulfillment_failed", .team = "ops",
                        .subject_kind = "despatch", .subject = number, .order_id = d->order_id,
                        .detail = why,
                        .action = "check the order's lines in Shopline; fulfil the despatch "
                                  "there by hand if it is right, then resolve"};

    log_event(LOG_WARN, "fulfillment_failed", "despatch", number, "order", d->order_name, "why",
              why, NULL);
    return exc_raise(w->db, &e, NULL, err);
}

/* Records the outcome: the despatch fulfilled (fid) or failed (why), the order if complete. */
static enum st record(struct worker_ctx *w, const struct despatch_row *d, const char *number,
                      const char *fid, const char *why, struct errbuf *err)
{
    char state[32] = "", detail[256];
    bool complete = false;
    enum st st = store_cmd(w->db, "BEGIN", err);

    if (st == ST_OK)
        st = despatch_store_finish(w->db, d->id, fid ? "fulfilled" : "failed", fid, err);
    if (st == ST_OK && fid == NULL)
        st = raise_failed(w, d, number, why, err);
    if (st == ST_OK)
        st = despatch_store_order_fulfilled(w->db, d->order_id, &complete, state, sizeof(state),
                                            err);
    snprintf(detail, sizeof(detail), "despatch %s, fulfillment %s", number, fid ? fid : "-");
    if (st == ST_OK && complete && strcmp(state, "despatched") == 0)
        st = order_store_move(w->db, d->order_id, state, "fulfilled", "fulfilled", detail, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(w->db);
    else if (fid != NULL)
        log_event(LOG_INFO, "fulfillment_created", "despatch", number, "order", d->order_name,
                  "fulfillment", fid, NULL);
    return st;
}

/*
 * POSTs the fulfillment (listed: this attempt spent a token on a list
 * already): *id on success; false with r filled, or true with *why (permanent).
 */
static bool create(struct worker_ctx *w, const struct despatch_row *d, bool listed, char **id,
                   char *why, size_t cap, struct job_result *r)
{
    struct shopline_line_qty *lines = xcalloc(d->n_lines ? d->n_lines : 1, sizeof(*lines));
    struct shopline_tracking t = {d->tracking, d->carrier[0] ? d->carrier : NULL, NULL};
    struct shopline_fulfillment_req req = {d->shopline_order_id, lines, d->n_lines, &t,
                                           d->tracking[0] ? 1 : 0, true};
    struct shopline_outcome oc;
    enum st st;
    bool ok = false;

    for (size_t i = 0; i < d->n_lines; i++)
        lines[i] = (struct shopline_line_qty){d->lines[i].line_id, d->lines[i].quantity};
    if (!take_token(w, r, listed ? FUL_TOKEN_SLEEP_MAX_MS : 0))
        goto out;
    st = shopline_create_fulfillment(w->shopline, w->curl, &req, id, &oc);
    if (st == ST_OK) {
        ok = true;
    } else if (oc.unknown || (oc.reason == SHOPLINE_R_INVALID &&
                              strstr(oc.errors, "already fulfilled") != NULL)) {
        ok = find_existing(w, d, id, r);
        if (ok && *id == NULL && oc.unknown) {
            note_failure(w, &oc, ST_RETRY, r);
            ok = false;
        } else if (ok && *id == NULL) {
            snprintf(why, cap, "shopline says the lines are already fulfilled (%.200s), and no "
                               "fulfillment of the order carries tracking %s",
                     oc.errors, d->tracking[0] ? d->tracking : "(none)");
        }
    } else if (st == ST_RETRY) {
        note_failure(w, &oc, st, r);
    } else {
        snprintf(why, cap, "shopline refused the fulfillment: %.200s%s%.200s (http %ld, trace %.40s)",
                 oc.err.msg, oc.errors[0] ? ": " : "", oc.errors, oc.http_status,
                 oc.trace_id[0] ? oc.trace_id : "-");
        ok = true;
    }
out:
    free(lines);
    return ok;
}

void despatch_fulfil_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct despatch_row d;
    char *fid = NULL;
    char why[ERRBUF_MAX] = "";
    bool found = false;

    memset(&d, 0, sizeof(d));
    r->st = store_ensure(w->db, &r->err);
    if (r->st == ST_OK)
        r->st = despatch_store_load(w->db, j->dedupe_key, &d, &found, &r->err);
    if (r->st != ST_OK || !found || strcmp(d.state, "pending") != 0)
        goto out; /* gone, or done by an earlier attempt */
    if (w->shopline == NULL) {
        errbuf_set(&r->err, "no shopline client (SHOPLINE_ACCESS_TOKEN not set)");
        r->st = ST_FAIL;
        goto out;
    }
    if (j->attempts > 1 && !find_existing(w, &d, &fid, r))
        goto out;
    if (fid == NULL && !create(w, &d, j->attempts > 1, &fid, why, sizeof(why), r))
        goto out;
    r->st = record(w, &d, j->dedupe_key, fid, why, &r->err);
out:
    free(fid);
    despatch_row_cleanup(&d);
}
