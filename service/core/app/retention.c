/*
 * retention.c - deleting what shopvox no longer needs (see retention.h).
 *
 * Small batches (a subselect with LIMIT per DELETE), each its own
 * statement: no long transaction, no long lock on the inbox the webhook
 * threads write to, and a run that is cut short (budget, shutdown, a lost
 * connection) has still made progress. The indexes that find the rows:
 * webhook_events_received and jobs_done_finished (migration 004).
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "metrics.h"

static const char *const purge_deliveries_sql =
    "DELETE FROM webhook_events WHERE id IN (SELECT w.id FROM webhook_events w "
    "WHERE w.shop = $1 AND w.received_at < now() - ($2::int * interval '1 day') "
    "AND NOT (w.outcome = 'failed' AND EXISTS (SELECT 1 FROM exceptions e "
    "WHERE e.shop = w.shop AND e.type = 'invalid_webhook' AND e.subject = w.webhook_id "
    "AND e.state = 'open')) LIMIT $3::int)";

static const char *const purge_jobs_sql =
    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'done' AND shop = $1 "
    "AND finished_at < now() - ($2::int * interval '1 day') LIMIT $3::int)";

/* One batch of sql; *deleted gets its row count. */
static enum st purge_batch(struct store_conn *c, const char *name, const char *sql,
                           const char *const *p, long *deleted, struct errbuf *err)
{
    enum st st;
    PGresult *res = store_exec_prepared(c, name, sql, 3, p, NULL, NULL, &st, err);

    *deleted = res != NULL ? atol(PQcmdTuples(res)) : 0;
    PQclear(res);
    return st;
}

enum st retention_purge(struct store_conn *c, const char *shop, int days, int64_t budget_ms,
                        struct retention_counts *out, struct errbuf *err)
{
    char d[16], batch[16];
    const char *p[3] = {shop, d, batch};
    int64_t deadline = now_ms_monotonic() + budget_ms;
    long n_deliveries = RETENTION_BATCH, n_jobs = RETENTION_BATCH;
    enum st st = ST_OK;

    out->deliveries = out->jobs = 0;
    snprintf(d, sizeof(d), "%d", days > 0 ? days : 1);
    snprintf(batch, sizeof(batch), "%d", RETENTION_BATCH);
    while (st == ST_OK && (n_deliveries == RETENTION_BATCH || n_jobs == RETENTION_BATCH) &&
           now_ms_monotonic() < deadline) {
        if (n_deliveries == RETENTION_BATCH) {
            st = purge_batch(c, "retention_deliveries", purge_deliveries_sql, p, &n_deliveries,
                             err);
            out->deliveries += n_deliveries;
        }
        if (st == ST_OK && n_jobs == RETENTION_BATCH) {
            st = purge_batch(c, "retention_jobs", purge_jobs_sql, p, &n_jobs, err);
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
    log_msg(LOG_INFO, "event=retention_purged days=%d deliveries=%ld jobs=%ld duration_ms=%lld",
            w->cfg->retention_days, n.deliveries, n.jobs,
            (long long)(now_ms_monotonic() - started));
}
