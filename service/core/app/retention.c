/*
 * retention.c - deleting what shopvox no longer needs (see retention.h).
 *
 * Small batches (inbox_store_purge, job_purge_done: a subselect with LIMIT
 * per DELETE), each its own
 * statement: no long transaction, no long lock on the inbox the webhook
 * threads write to, and a run that is cut short (budget, shutdown, a lost
 * connection) has still made progress. The indexes that find the rows:
 * webhook_events_received and jobs_done_finished (migration 004); drift
 * reports are one an hour (a few hundred rows at the horizon) and need none.
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "drift_store.h"
#include "inbox_store.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"

/* One kind of row: a batch delete (store_delete_batch's shape) and its count. */
typedef enum st (*retention_step_fn)(struct store_conn *c, const char *shop, int days,
                                     int limit, long *deleted, struct errbuf *err);

enum st retention_purge(struct store_conn *c, const char *shop, int days, int64_t budget_ms,
                        struct retention_counts *out, struct errbuf *err)
{
    static const retention_step_fn steps[] = {inbox_store_purge, job_purge_done,
                                              drift_store_purge};
    long *counts[] = {&out->deliveries, &out->jobs, &out->drift_reports};
    long last[] = {RETENTION_BATCH, RETENTION_BATCH, RETENTION_BATCH};
    int64_t deadline = now_ms_monotonic() + budget_ms;
    enum st st = ST_OK;
    bool more = true;

    out->deliveries = out->jobs = out->drift_reports = 0;
    if (days < 1)
        days = 1;
    while (st == ST_OK && more && now_ms_monotonic() < deadline) {
        more = false;
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && st == ST_OK; i++) {
            if (last[i] < RETENTION_BATCH)
                continue; /* this kind is done */
            st = steps[i](c, shop, days, RETENTION_BATCH, &last[i], err);
            *counts[i] += last[i];
            more = more || last[i] == RETENTION_BATCH;
        }
    }
    return st;
}

void retention_purge_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct retention_counts n = {0, 0, 0};
    int64_t started = now_ms_monotonic();

    r->st = retention_purge(w->db, w->cfg->shop_domain, w->cfg->retention_days,
                            RETENTION_BUDGET_MS, &n, &r->err);
    if (r->st != ST_OK)
        return;
    metrics_describe("shopvox_retention_deleted_total", MET_COUNTER,
                     "Rows deleted by retention (webhook deliveries, done jobs, inventory "
                     "drift reports)");
    metrics_add("shopvox_retention_deleted_total", "what=\"deliveries\"", (double)n.deliveries);
    metrics_add("shopvox_retention_deleted_total", "what=\"jobs\"", (double)n.jobs);
    metrics_add("shopvox_retention_deleted_total", "what=\"drift_reports\"",
                (double)n.drift_reports);
    log_event(LOG_INFO, "retention_purged", LOG_I64("days", w->cfg->retention_days),
              LOG_I64("deliveries", n.deliveries), LOG_I64("jobs", n.jobs),
              LOG_I64("drift_reports", n.drift_reports),
              LOG_I64("duration_ms", now_ms_monotonic() - started), NULL);
}
