/*
 * daily_report.c - builds a day's report (see daily_report.h): the day's
 * bounds by the database's zone rules (despatch_store's conversions, so
 * a DST day is 23 or 25 hours), the figures by daily_store, the
 * percentiles by daily.h.
 */
#include "daily_report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daily_store.h"
#include "despatch_store.h"

/* Unix seconds as ISO 8601 UTC into out (32 bytes). */
static void iso_utc(int64_t s, char *out, size_t cap)
{
    time_t t = (time_t)s;
    struct tm tm;

    if (gmtime_r(&t, &tm) != NULL)
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum st daily_report_today(struct store_conn *c, const char *tz, char *out, int *minute_of_day,
                           struct errbuf *err)
{
    int64_t wall = 0;
    enum st st = despatch_store_utc_to_local(c, tz, (int64_t)time(NULL), &wall, err);

    if (st != ST_OK)
        return st;
    daily_date_of(wall, out);
    if (minute_of_day != NULL)
        *minute_of_day = (int)((wall % 86400 + 86400) % 86400 / 60);
    return ST_OK;
}

enum st daily_report_build(struct store_conn *c, const char *shop, const char *tz,
                           const char *date, struct daily_report *out, bool *bad_date,
                           struct errbuf *err)
{
    struct daily_delays d = {NULL, 0, NULL, 0};
    int64_t wall[2], utc[2], day = 0;
    char today[DAILY_DATE_BYTES];
    enum st st = ST_OK;

    memset(out, 0, sizeof(*out));
    *bad_date = false;
    out->time_zone = tz;
    for (size_t i = 0; i < DAILY_N_TEAMS; i++)
        out->teams[i].team = daily_teams[i];
    if (date == NULL) {
        st = daily_report_today(c, tz, today, NULL, err);
        date = today;
    }
    if (st == ST_OK && !daily_parse_date(date, &day)) {
        errbuf_set(err, "invalid date '%.32s': expected YYYY-MM-DD (a day of the store's "
                   "calendar, %s)", date, tz);
        *bad_date = true;
        return ST_FAIL;
    }
    if (st != ST_OK)
        return st;
    daily_day_walls(day, wall);
    daily_date_of(wall[0], out->date);
    st = despatch_store_local_to_utc(c, tz, wall, 2, utc, err);
    if (st != ST_OK)
        return st;
    iso_utc(utc[0], out->from, sizeof(out->from));
    iso_utc(utc[1], out->to, sizeof(out->to));
    st = daily_store_read(c, shop, out->from, out->to, out, &d, err);
    if (st == ST_OK) {
        out->paid_to_sales_order = daily_delay_of(d.paid_to_sales_order, d.n_paid);
        out->despatch_to_fulfillment = daily_delay_of(d.despatch_to_fulfillment, d.n_despatch);
    } else {
        daily_report_cleanup(out);
    }
    daily_delays_cleanup(&d);
    return st;
}
