/*
 * daily_report.h - the daily report of one store day (daily.h has what it
 * holds and how it renders; daily_store.h what each figure counts), for
 * `shopvox report daily`, GET /api/v1/reports/daily and the daily
 * notification (report_notify.h).
 */
#ifndef SHOPVOX_DAILY_REPORT_H
#define SHOPVOX_DAILY_REPORT_H

#include <stdbool.h>

#include "common.h"
#include "daily.h"
#include "store.h"

/*
 * Builds into *out (daily_report_cleanup) the report of date
 * ("YYYY-MM-DD"; NULL: today) in time zone tz (borrowed into out) for
 * shop. The day's bounds are tz's midnights converted by the database.
 * ST_FAIL with *bad_date true when date is not a date (err says so);
 * otherwise ST_RETRY/ST_FAIL on a database failure.
 */
enum st daily_report_build(struct store_conn *c, const char *shop, const char *tz,
                           const char *date, struct daily_report *out, bool *bad_date,
                           struct errbuf *err);

/* Today's date in tz ("YYYY-MM-DD" into out, DAILY_DATE_BYTES), and the local time of day. */
enum st daily_report_today(struct store_conn *c, const char *tz, char *out, int *minute_of_day,
                           struct errbuf *err);

#endif
