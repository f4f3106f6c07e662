/*
 * dashboard_store.h - the figures of the web page's home view, read in
 * one statement (so they are of one moment): the last 24 hours' orders
 * received, posted, despatched and fulfilled (order_events' state
 * changes, each order once), open exceptions per team with the oldest's
 * age, every scheduled task's last run and success, the rate buckets as
 * stored, and the age of the last successful stock sync.
 */
#ifndef SHOPVOX_DASHBOARD_STORE_H
#define SHOPVOX_DASHBOARD_STORE_H

#include "common.h"
#include "store.h"

/*
 * The figures as one JSON text (the result's only value; caller PQclear):
 * {"orders": {"received", "posted", "despatched", "fulfilled"},
 *  "exceptions": [{"team", "open", "oldest_age_s"}],
 *  "schedules": [{"task", "last_run_at", "last_success_at", "failing", "last_error"}],
 *  "buckets": [{"api", "tokens", "age_s"}], "stock_sync_age_s": n|null}.
 */
PGresult *dashboard_read(struct store_conn *c, const char *shop, enum st *st,
                         struct errbuf *err);

#endif
