/*
 * report_notify.h - the daily report, POSTed once a day to
 * SHOPVOX_REPORT_WEBHOOK_URL as a Slack-compatible message.
 *
 * Two job kinds. The leader schedules REPORT_DAILY_KIND every minute when
 * a URL is set; its run looks at the store's clock (PEOPLEVOX_TIMEZONE)
 * and, once it is SHOPVOX_REPORT_DAILY_AT or later, enqueues one
 * REPORT_NOTIFY_KIND job for the day that ended (dedupe key: that date)
 * in the same transaction as it advances the cursor REPORT_DAILY_CURSOR
 * to that date, so several replicas, a new leader or a restart send it
 * once. The notify job builds the report when it runs (so a retry sends
 * the same day's figures, refreshed) and POSTs it; a refusal or a network
 * failure is retried by the jobs queue with its backoff, and a job that
 * dies after SHOPVOX_JOB_MAX_ATTEMPTS opens the usual job_dead exception
 * (ops), whose retry sends it again.
 */
#ifndef SHOPVOX_REPORT_NOTIFY_H
#define SHOPVOX_REPORT_NOTIFY_H

#include "job_handler.h"

#define REPORT_DAILY_KIND "report_daily"
#define REPORT_DAILY_KEY "report_daily"
#define REPORT_NOTIFY_KIND "report_notify"
#define REPORT_DAILY_CURSOR "report_daily_sent"
#define REPORT_DAILY_CHECK_S 60

/* The scheduler's interval for REPORT_DAILY_KIND: REPORT_DAILY_CHECK_S, 0 without a URL. */
int report_daily_interval_s(const struct cfg *cfg);

/* REPORT_DAILY_KIND: enqueues the day's notification once it is time. */
void report_daily_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

/* REPORT_NOTIFY_KIND: builds the payload's {"date"} report and POSTs it. */
void report_notify_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
