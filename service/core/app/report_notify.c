/*
 * report_notify.c - the daily report's notification (see report_notify.h
 * for the design): a minute check that enqueues one job per day, and the
 * job that POSTs.
 *
 * The day sent is the one that ended at the last local midnight: at 07:00
 * on the 30th the report of the 29th goes out. The check compares the
 * store's local time of day with SHOPVOX_REPORT_DAILY_AT, so a service
 * that was down at 07:00 sends on its first check after; a day whose
 * check time passed while it was down for more than a day is skipped (the
 * cursor only moves forward, to the latest ended day).
 */
#include "report_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor_store.h"
#include "daily_report.h"
#include "log.h"
#include "report_hook.h"

int report_daily_interval_s(const struct cfg *cfg)
{
    return cfg != NULL && cfg->report_webhook_url[0] != '\0' ? REPORT_DAILY_CHECK_S : 0;
}

/* The notify job for date, with the cursor, in one transaction. */
static enum st enqueue_once(struct store_conn *db, const char *shop, const char *date,
                            bool *enqueued, struct errbuf *err)
{
    char payload[64];
    bool advanced = false;
    enum st st = store_cmd(db, "BEGIN", err);

    *enqueued = false;
    snprintf(payload, sizeof(payload), "{\"date\":\"%s\"}", date);
    if (st == ST_OK)
        st = cursor_store_advance(db, REPORT_DAILY_CURSOR, date, &advanced, err);
    if (st == ST_OK && advanced)
        st = job_enqueue(db, shop, REPORT_NOTIFY_KIND, date, payload, 0, enqueued, err);
    if (st == ST_OK)
        st = store_cmd(db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(db);
    return st;
}

void report_daily_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    char today[DAILY_DATE_BYTES], yesterday[DAILY_DATE_BYTES];
    int minute = 0, at = cfg_daily_at_minutes(w->cfg->report_daily_at);
    int64_t wall = 0;
    bool enqueued = false;

    r->st = daily_report_today(w->db, w->cfg->pvx_timezone, today, &minute, &r->err);
    if (r->st != ST_OK || at < 0 || minute < at || !daily_parse_date(today, &wall))
        return;
    daily_date_of(wall - 86400, yesterday);
    r->st = enqueue_once(w->db, j->shop, yesterday, &enqueued, &r->err);
    if (r->st == ST_OK && enqueued)
        log_event(LOG_INFO, "report_daily_enqueued", "date", yesterday, NULL);
}

/* The payload's date into out (DAILY_DATE_BYTES); false when there is none. */
static bool payload_date(const char *payload, char *out)
{
    struct json_object *o = json_tokener_parse(payload != NULL ? payload : "");
    const char *d = json_object_get_string(json_object_object_get(o, "date"));
    int64_t wall;
    bool ok = d != NULL && daily_parse_date(d, &wall);

    if (ok)
        snprintf(out, DAILY_DATE_BYTES, "%s", d);
    json_object_put(o);
    return ok;
}

void report_notify_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    char date[DAILY_DATE_BYTES];
    struct daily_report rep;
    struct json_object *msg;
    bool bad_date = false;

    if (w->cfg->report_webhook_url[0] == '\0') {
        errbuf_set(&r->err, "SHOPVOX_REPORT_WEBHOOK_URL is not set: nowhere to send the report");
        r->st = ST_FAIL;
        return;
    }
    if (!payload_date(j->payload, date)) {
        errbuf_set(&r->err, "report_notify job without a date in its payload");
        r->st = ST_FAIL;
        return;
    }
    r->st = daily_report_build(w->db, j->shop, w->cfg->pvx_timezone, date, &rep, &bad_date,
                               &r->err);
    if (r->st != ST_OK)
        return;
    msg = daily_report_slack(&rep);
    r->st = report_hook_post(w->curl, w->cfg->report_webhook_url,
                             json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN),
                             &r->err);
    if (r->st == ST_OK)
        log_event(LOG_INFO, "report_daily_sent", "date", date, NULL);
    json_object_put(msg);
    daily_report_cleanup(&rep);
}
