/*
 * watchdog.c - the loop watched: stalled orders and unconfirmed despatches
 * (see watchdog.h).
 *
 * A pass of either watch is the same three steps in one transaction, so
 * it never half-applies: find the rows past the threshold, raise (or bump)
 * one exception per row naming what is stuck and the job's last error,
 * and resolve the open ones whose subject has moved on.
 *
 * "Longer than the threshold" is measured from when the clock really
 * started, never from updated_at: for an order, orders.ready_at (when it
 * first became ready, paid; rows from before migration 003 fall back to
 * created_at), since every retry of the post bumps updated_at; for a
 * despatch, despatches.created_at (when the poller recorded it).
 */
#include "watchdog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "despatch_store.h"
#include "exceptions.h"
#include "log.h"
#include "metrics.h"
#include "order_store.h"

/* One watch: its three steps (see the file's note). */
struct watch {
    PGresult *(*find)(struct worker_ctx *w, enum st *st, struct errbuf *err);
    enum st (*raise)(struct worker_ctx *w, PGresult *rows, struct errbuf *err);
    enum st (*resolve)(struct worker_ctx *w, struct errbuf *err);
};

/* Runs one pass of watch in a transaction; *found receives how many rows were past it. */
static enum st watch_run(struct worker_ctx *w, const struct watch *watch, int *found,
                         struct errbuf *err)
{
    PGresult *rows = NULL;
    enum st st = store_cmd(w->db, "BEGIN", err);

    if (st == ST_OK)
        rows = watch->find(w, &st, err);
    if (st == ST_OK)
        st = watch->raise(w, rows, err);
    if (st == ST_OK)
        st = watch->resolve(w, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(w->db);
    *found = st == ST_OK ? PQntuples(rows) : 0;
    PQclear(rows);
    return st;
}

/* ---- stalled orders ---- */

static PGresult *stalled_find(struct worker_ctx *w, enum st *st, struct errbuf *err)
{
    return order_store_stalled(w->db, w->cfg->shop_domain, w->cfg->stalled_order_s, st, err);
}

/* Raises one exception per stalled row; returns ST_OK or the failure. */
static enum st stalled_raise(struct worker_ctx *w, PGresult *rows, struct errbuf *err)
{
    enum st st = ST_OK;

    for (int i = 0; st == ST_OK && i < PQntuples(rows); i++) {
        char detail[ERRBUF_MAX + 256];
        struct exc_new e = {w->cfg->shop_domain, "stalled_order", "ops", "order",
                            PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 0), detail,
                            "Look at `shopvox order show` and the job's error; fix the cause "
                            "(Peoplevox reachable? workers running?), then "
                            "`shopvox exceptions retry <id>`"};

        snprintf(detail, sizeof(detail),
                 "paid order %s is still not in Peoplevox after %s minutes; its post job is %s "
                 "after %s attempt(s)%s%.*s",
                 PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 2), PQgetvalue(rows, i, 3),
                 PQgetvalue(rows, i, 4), PQgetvalue(rows, i, 5)[0] ? ": " : "", ERRBUF_MAX,
                 PQgetvalue(rows, i, 5));
        st = exc_raise(w->db, &e, NULL, err);
    }
    return st;
}

static enum st stalled_resolve(struct worker_ctx *w, struct errbuf *err)
{
    return exc_resolve_moved_on(w->db, w->cfg->shop_domain, "stalled_order", "ready", err);
}

static const struct watch stalled_watch = {stalled_find, stalled_raise, stalled_resolve};

void watchdog_stalled_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    int found = 0;

    r->st = watch_run(w, &stalled_watch, &found, &r->err);
    if (r->st != ST_OK)
        return;
    metrics_describe("shopvox_stalled_orders", MET_GAUGE,
                     "Paid orders ready longer than SHOPVOX_STALLED_ORDER_S");
    metrics_set("shopvox_stalled_orders", "", found);
    if (found > 0)
        log_event(LOG_WARN, "stalled_orders", LOG_I64("count", found),
                  LOG_I64("threshold_s", w->cfg->stalled_order_s), NULL);
}

/* ---- unconfirmed despatches ---- */

static PGresult *unconfirmed_find(struct worker_ctx *w, enum st *st, struct errbuf *err)
{
    return despatch_store_unconfirmed(w->db, w->cfg->shop_domain,
                                      w->cfg->unconfirmed_despatch_s, st, err);
}

/* Raises one despatch_unconfirmed exception (customer service) per row. */
static enum st unconfirmed_raise(struct worker_ctx *w, PGresult *rows, struct errbuf *err)
{
    enum st st = ST_OK;

    for (int i = 0; st == ST_OK && i < PQntuples(rows); i++) {
        const char *order = PQgetvalue(rows, i, 2), *tracking = PQgetvalue(rows, i, 5);
        bool failed = strcmp(PQgetvalue(rows, i, 4), "failed") == 0;
        char detail[ERRBUF_MAX + 512], action[256];
        struct exc_new e = {w->cfg->shop_domain, "despatch_unconfirmed", "customer_service",
                            "despatch", PQgetvalue(rows, i, 0), PQgetvalue(rows, i, 1), detail,
                            action};

        snprintf(detail, sizeof(detail),
                 "despatch %s of order %s (tracking %s) is %s in Shopline %s minutes after it "
                 "was recorded; its create_fulfillment job is %s after %s attempt(s)%s%.*s",
                 PQgetvalue(rows, i, 0), order, tracking[0] ? tracking : "none",
                 failed ? "refused (see its fulfillment_failed exception), not confirmed"
                        : "still not confirmed",
                 PQgetvalue(rows, i, 3), PQgetvalue(rows, i, 6), PQgetvalue(rows, i, 7),
                 PQgetvalue(rows, i, 8)[0] ? ": " : "", ERRBUF_MAX, PQgetvalue(rows, i, 8));
        snprintf(action, sizeof(action),
                 "The customer has not been told that order %.64s shipped: if they ask, give "
                 "them the tracking number. This closes itself once Shopline has the "
                 "fulfillment; ops fix the cause",
                 order);
        st = exc_raise(w->db, &e, NULL, err);
    }
    return st;
}

static enum st unconfirmed_resolve(struct worker_ctx *w, struct errbuf *err)
{
    return exc_resolve_confirmed_despatches(w->db, w->cfg->shop_domain, err);
}

static const struct watch unconfirmed_watch = {unconfirmed_find, unconfirmed_raise,
                                               unconfirmed_resolve};

void watchdog_unconfirmed_handler(struct worker_ctx *w, const struct job *j,
                                  struct job_result *r)
{
    int found = 0;

    r->st = watch_run(w, &unconfirmed_watch, &found, &r->err);
    if (r->st == ST_OK && found > 0)
        log_event(LOG_WARN, "unconfirmed_despatches", LOG_I64("count", found),
                  LOG_I64("threshold_s", w->cfg->unconfirmed_despatch_s), NULL);
}

int watchdog_unconfirmed_interval_s(const struct cfg *cfg)
{
    int s = cfg->unconfirmed_despatch_s / 10;

    return s < 1 ? 1 : s > 60 ? 60 : s;
}
