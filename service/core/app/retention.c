/*
 * retention.c - deleting what shopvox no longer needs (see retention.h).
 *
 * Small batches (inbox_store_purge, job_purge_done: a subselect with LIMIT
 * per DELETE), each its own
 * statement: no long transaction, no long lock on the inbox the webhook
 * threads write to, and a run that is cut short (budget, shutdown, a lost
 * connection) has still made progress. The indexes that find the rows:
 * webhook_events_received and jobs_done_finished (migration 004).
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "inbox_store.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"

enum st retention_purge(struct store_conn *c, const char *shop, int days, int64_t budget_ms,
                        struct retention_counts *out, struct errbuf *err)
{
    int64_t deadline = now_ms_monotonic() + budget_ms;
    long n_deliveries = RETENTION_BATCH, n_jobs = RETENTION_BATCH;
    enum st st = ST_OK;

    out->deliveries = out->jobs = 0;
    if (days < 1)
        days = 1;
    while (st == ST_OK && (n_deliveries == RETENTION_BATCH || n_jobs == RETENTION_BATCH) &&
           now_ms_monotonic() < deadline) {
        if (n_deliveries == RETENTION_BATCH) {
            st = inbox_store_purge(c, shop, days, RETENTION_BATCH, &n_deliveries, err);
            out->deliveries += n_deliveries;
        }
        if (st == ST_OK && n_jobs == RETENTION_BATCH) {
            st = job_purge_done(c, shop, days, RETENTION_BATCH, &n_jobs, err);
            out->jobs += n_jobs;
        }
    }
    return st;
}

void retention_purge_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct retention_counts n = {0, 0};
    int64_t started = now_ms_monotonic();

    r->st = retention_purge(w->db, w->cfg->shop_domain, w->cfg->retention_days,
                            RETENTION_BUDGET_MS, &n, &r->err);
    if (r->st != ST_OK)
        return;
    metrics_describe("shopvox_retention_deleted_total", MET_COUNTER,
                     "Rows deleted by retention (webhook deliveries, done jobs)");
    metrics_add("shopvox_retention_deleted_total", "what=\"deliveries\"", (double)n.deliveries);
    metrics_add("shopvox_retention_deleted_total", "what=\"jobs\"", (double)n.jobs);
    log_event(LOG_INFO, "retention_purged", LOG_I64("days", w->cfg->retention_days),
              LOG_I64("deliveries", n.deliveries), LOG_I64("jobs", n.jobs),
              LOG_I64("duration_ms", now_ms_monotonic() - started), NULL);
}
