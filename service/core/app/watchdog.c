/*
 * watchdog.c - stalled-order detection (see watchdog.h).
 *
 * One pass: raise (or bump) an exception for every order of the shop that
 * has been `ready` longer than the threshold, naming its post job's state
 * and last error; resolve the open ones whose order has moved on. Both run
 * in one transaction so a pass never half-applies.
 *
 * "Longer than the threshold" is measured from orders.ready_at, when the
 * order first became ready (paid), never from updated_at: every retry of
 * the post bumps updated_at, so an order failing again and again would
 * never look stalled. Rows from before migration 003 without ready_at fall
 * back to created_at.
 */
#include "watchdog.h"

#include <stdio.h>
#include <stdlib.h>

#include "exceptions.h"
#include "log.h"
#include "metrics.h"
#include "order_store.h"

/* Raises one exception per stalled row; returns ST_OK or the failure. */
static enum st raise_stalled(struct store_conn *db, const char *shop, PGresult *rows,
                             struct errbuf *err)
{
    enum st st = ST_OK;

    for (int i = 0; st == ST_OK && i < PQntuples(rows); i++) {
        char detail[ERRBUF_MAX + 256];
        struct exc_new e = {shop, "stalled_order", "ops", "order", PQgetvalue(rows, i, 1),
                            PQgetvalue(rows, i, 0), detail,
                            "Look at `shopvox order show` and the job's error; fix the cause "
                            "(Peoplevox reachable? workers running?), then "
                            "`shopvox exceptions retry <id>`"};

        snprintf(detail, sizeof(detail),
                 "paid order %s is still not in Peoplevox after %s minutes; its post job is %s "
                 "after %s attempt(s)%s%.*s",
                 PQgetvalue(rows, i, 1), PQgetvalue(rows, i, 2), PQgetvalue(rows, i, 3),
                 PQgetvalue(rows, i, 4), PQgetvalue(rows, i, 5)[0] ? ": " : "", ERRBUF_MAX,
                 PQgetvalue(rows, i, 5));
        st = exc_raise(db, &e, NULL, err);
    }
    return st;
}

static enum st watchdog_stalled_handler_run(struct worker_ctx *w, const struct job *j, int64_t *retry_delay_ms,
                                            struct errbuf *err)
{
    PGresult *rows = NULL;
    enum st st;

    st = store_cmd(w->db, "BEGIN", err);
    if (st == ST_OK)
        rows = order_store_stalled(w->db, w->cfg->shop_domain, w->cfg->stalled_order_s, &st, err);
    if (st == ST_OK)
        st = raise_stalled(w->db, w->cfg->shop_domain, rows, err);
    if (st == ST_OK)
        st = exc_resolve_moved_on(w->db, w->cfg->shop_domain, "stalled_order", "ready", err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st == ST_OK) {
        metrics_describe("shopvox_stalled_orders", MET_GAUGE,
                         "Paid orders ready longer than SHOPVOX_STALLED_ORDER_S");
        metrics_set("shopvox_stalled_orders", "", PQntuples(rows));
        if (PQntuples(rows) > 0)
            log_event(LOG_WARN, "stalled_orders", LOG_I64("count", PQntuples(rows)),
                      LOG_I64("threshold_s", w->cfg->stalled_order_s), NULL);
    } else {
        store_rollback(w->db);
    }
    PQclear(rows);
    return st;
}

void watchdog_stalled_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    r->st = watchdog_stalled_handler_run(w, j, &r->retry_delay_ms, &r->err);
}
