/*
 * daily.h - the arithmetic of the daily report (pure: no I/O, no clock, no
 * time zone files): the day a date names, percentiles of delays, and the
 * report's renderings (JSON, a self-contained HTML page, a Slack message).
 *
 * Decisions:
 *  - A day is the store's local calendar day (PEOPLEVOX_TIMEZONE). This
 *    module names its two local midnights as wall clock seconds ("as if
 *    UTC", the convention of despatch.h); turning them into instants is the
 *    database's (despatch_store_local_to_utc), which knows every zone's DST
 *    rules, so a day is 23 or 25 hours long when the clocks change and the
 *    image needs no zone files. The window is [start, end): an event at
 *    local midnight belongs to the day it starts.
 *  - Percentiles are linear between the closest ranks (PostgreSQL's
 *    percentile_cont, a spreadsheet's PERCENTILE.INC): the median of an
 *    even count is the mean of the middle two; p95 of one value is that
 *    value. No value: no percentile (null in JSON, "-" in text).
 */
#ifndef SHOPVOX_DAILY_H
#define SHOPVOX_DAILY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAILY_DATE_BYTES 11   /* "YYYY-MM-DD" and its NUL */
#define DAILY_N_TEAMS 4

/*
 * Parses "YYYY-MM-DD" (a real calendar date, years 1970..9999) into the
 * wall clock seconds of that day's midnight; false when it is not one.
 */
bool daily_parse_date(const char *text, int64_t *wall_s);

/* The date (YYYY-MM-DD) of wall clock second wall_s into out (DAILY_DATE_BYTES). */
void daily_date_of(int64_t wall_s, char *out);

/* The local midnights that bound the day of wall_s: wall[0] its start, wall[1] the next day's. */
void daily_day_walls(int64_t wall_s, int64_t wall[2]);

/* Percentile p (0..1) of v[0..n) (sorted in place); NAN when n is 0. */
double daily_percentile(double *v, size_t n, double p);

/* A delay's summary over a day: how many, median and p95 in seconds (NAN when count 0). */
struct daily_delay {
    long count;
    double median_s;
    double p95_s;
};

/* Summarises v[0..n) (sorted in place). */
struct daily_delay daily_delay_of(double *v, size_t n);

struct daily_team {
    const char *team;          /* "ops", "ecommerce", "finance", "customer_service" */
    long opened;               /* first seen in the day */
    long closed;               /* resolved in the day */
    long open;                 /* open at the day's end */
};

/* The teams, in the report's order. */
extern const char *const daily_teams[DAILY_N_TEAMS];

struct daily_report {
    char date[DAILY_DATE_BYTES];
    const char *time_zone;     /* borrowed */
    char from[32], to[32];     /* the window as ISO 8601 UTC */
    long received, posted, despatched, fulfilled;
    struct daily_delay paid_to_sales_order, despatch_to_fulfillment;
    struct daily_team teams[DAILY_N_TEAMS];
    struct json_object *stock_drift; /* the day's latest drift report (owned), NULL: none */
    long sweep_runs, sweep_failed, orders_recovered, despatches_requeued, warehouse_missing;
};

/* Releases r's stock_drift (r itself is the caller's). */
void daily_report_cleanup(struct daily_report *r);

/* The report as the JSON the README documents (owned). */
struct json_object *daily_report_json(const struct daily_report *r);

/* A self-contained HTML page (inline CSS, no script, no outside resource); owned. */
char *daily_report_html(const struct daily_report *r);

/* Plain text, one fact per line (the CLI's default output and a Slack message's text); owned. */
char *daily_report_text(const struct daily_report *r);

/* A Slack-compatible message {"text": ..., "blocks": [...]} (owned). */
struct json_object *daily_report_slack(const struct daily_report *r);

#endif
