/*
 * reconcile_despatches.c - despatches vs store (see reconcile.h).
 *
 * A despatch is confirmed once its create_fulfillment job recorded the
 * Shopline fulfillment (state fulfilled) or Shopline's refusal (failed,
 * with an exception a person owns). A pending one is the job's to finish;
 * when that job is gone (it died after its attempts, or was never queued
 * because a crash came between the despatch and its job) nothing would
 * ever finish it. The sweep queues a new job for each such despatch of the
 * window, with the despatch number as its key like the poller's, so a
 * live job is never doubled (job_enqueue). The job itself keeps it exactly
 * once: it skips a despatch that is no longer pending, and when an earlier
 * attempt may have sent the POST (post_started_at) it lists the order's
 * fulfillments and adopts the despatch's before creating one.
 *
 * No Shopline call here: the sweep reads shopvox's own record, and the
 * re-queued jobs take their HIGH-priority tokens as any fulfillment does.
 */
#include "reconcile.h"

#include <stdio.h>
#include <string.h>

#include "despatch_jobs.h"
#include "jobs.h"
#include "log.h"
#include "reconcile_store.h"
#include "sweep_run.h"

/* Re-enqueues each despatch of res (rows: number, order name); counts the new jobs. */
static enum st requeue(struct worker_ctx *w, struct sweep_job *s, PGresult *res,
                       struct errbuf *err)
{
    enum st st = ST_OK;

    for (int i = 0; st == ST_OK && i < PQntuples(res); i++) {
        const char *number = PQgetvalue(res, i, 0);
        bool created = false;

        st = job_enqueue(w->db, w->cfg->shop_domain, DESPATCH_FULFIL_KIND, number, "{}", 0,
                         &created, err);
        if (st != ST_OK || !created)
            continue;
        s->run.requeued++;
        log_event(LOG_INFO, "despatch_requeued", "despatch", number, "order",
                  PQgetvalue(res, i, 1), NULL);
    }
    return st;
}

void reconcile_despatches_handler(struct worker_ctx *w, const struct job *j,
                                  struct job_result *r)
{
    const char *shop = w->cfg->shop_domain;
    struct sweep_job s;
    char from_iso[32] = "";
    PGresult *res = NULL;

    r->st = sweep_job_open(w->db, shop, DESPATCH_SWEEP_NAME, j, &s, &r->err);
    if (r->st == ST_OK && sweep_job_start_days(w->db, &s, w->cfg->reconcile_days, now_ms_wall(),
                                               from_iso, sizeof(from_iso), r)) {
        r->st = reconcile_store_count_despatches(w->db, shop, from_iso, &s.run.listed, &r->err);
        if (r->st == ST_OK)
            res = reconcile_store_unqueued_despatches(w->db, shop, from_iso,
                                                      RECONCILE_MAX_REQUEUE, &r->st, &r->err);
        if (r->st == ST_OK)
            r->st = requeue(w, &s, res, &r->err);
        PQclear(res);
    }
    sweep_job_close(w->db, &s, r);
    log_event(r->st == ST_OK ? LOG_INFO : LOG_WARN, "despatches_swept", "shop", shop, "since",
              from_iso, LOG_I64("despatches", s.run.listed), LOG_I64("requeued", s.run.requeued),
              "outcome", st_name(r->st), NULL);
}
