/*
 * retention.h - what shopvox deletes, and when (job "purge_retention").
 *
 * Raw webhook bodies carry names, emails, phones and addresses; done jobs
 * and the inbox grew forever. The leader's scheduler queues a purge every
 * hour; it deletes, in batches of RETENTION_BATCH rows per statement:
 *   - webhook deliveries older than SHOPVOX_RETENTION_DAYS, except failed
 *     ones whose invalid_webhook exception is still open (someone may need
 *     the body to fix the sender);
 *   - done jobs finished before the same horizon;
 *   - inventory drift reports finished before it, except each shop's
 *     latest (`shopvox report inventory` and the drift gauges show it).
 * Kept: orders, their lines and their history (order_events: the audit
 * trail), exceptions, dead jobs. The horizon is at least 3 days, so
 * redelivery dedupe by webhook id stays correct for Shopline's 48-hour
 * retry window.
 */
#ifndef SHOPVOX_RETENTION_H
#define SHOPVOX_RETENTION_H

#include "job_handler.h"
#include "store.h"

#define RETENTION_BATCH 1000
/* One purge stops after this long and leaves the rest to the next run. */
#define RETENTION_BUDGET_MS 20000

struct retention_counts {
    long deliveries;   /* webhook_events rows deleted */
    long jobs;         /* done jobs deleted */
    long drift_reports; /* inventory_drift_reports rows deleted */
};

/*
 * Deletes what is older than days (>= 1) for shop, batch by batch (each
 * its own statement, autocommit), until nothing is left or budget_ms has
 * passed; *out counts what went.
 */
enum st retention_purge(struct store_conn *c, const char *shop, int days, int64_t budget_ms,
                        struct retention_counts *out, struct errbuf *err);

/* Job "purge_retention" (payload {}), queued hourly by the scheduler. */
void retention_purge_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
