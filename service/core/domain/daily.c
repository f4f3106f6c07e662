/*
 * daily.c - the daily report's arithmetic and renderings (see daily.h for
 * the decisions). Wall clock seconds are handled with timegm/gmtime_r,
 * which are UTC-only and read no zone file: a wall clock has no DST, so
 * the next local midnight is always 86400 wall seconds later.
 *
 * The three renderings read one struct daily_report, so the JSON, the
 * page and the Slack message cannot disagree. The page escapes every text
 * it did not write itself; it has inline CSS only (an email client or a
 * strict Content-Security-Policy page shows it as it is) and no script.
 */
#include "daily.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"

const char *const daily_teams[DAILY_N_TEAMS] = {"ops", "ecommerce", "finance",
                                                "customer_service"};

bool daily_parse_date(const char *text, int64_t *wall_s)
{
    struct tm tm = {0}, back;
    int y, m, d, used = 0;
    time_t t;

    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
        sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10)
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return false;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    t = timegm(&tm);
    if (gmtime_r(&t, &back) == NULL || back.tm_mday != d || back.tm_mon != m - 1)
        return false; /* 2026-02-30 normalised to March: not a date */
    *wall_s = (int64_t)t;
    return true;
}

void daily_date_of(int64_t wall_s, char *out)
{
    time_t t = (time_t)wall_s;
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL)
        snprintf(out, DAILY_DATE_BYTES, "1970-01-01");
    else
        strftime(out, DAILY_DATE_BYTES, "%Y-%m-%d", &tm);
}

void daily_day_walls(int64_t wall_s, int64_t wall[2])
{
    int64_t day = wall_s >= 0 ? wall_s / 86400 : (wall_s - 86399) / 86400;

    wall[0] = day * 86400;
    wall[1] = wall[0] + 86400;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

double daily_percentile(double *v, size_t n, double p)
{
    double rank, frac;
    size_t lo;

    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), cmp_double);
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    rank = p * (double)(n - 1);
    lo = (size_t)rank;
    frac = rank - (double)lo;
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

struct daily_delay daily_delay_of(double *v, size_t n)
{
    struct daily_delay d = {(long)n, daily_percentile(v, n, 0.5), daily_percentile(v, n, 0.95)};

    return d;
}

void daily_report_cleanup(struct daily_report *r)
{
    json_object_put(r->stock_drift);
    r->stock_drift = NULL;
}

/* ---- JSON ---- */

static struct json_object *num_or_null(double v)
{
    return isnan(v) ? NULL : json_object_new_double(round(v * 10) / 10);
}

static struct json_object *delay_json(const struct daily_delay *d)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "count", json_object_new_int64(d->count));
    json_object_object_add(o, "median", num_or_null(d->median_s));
    json_object_object_add(o, "p95", num_or_null(d->p95_s));
    return o;
}

static void add_int(struct json_object *o, const char *key, long v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

struct json_object *daily_report_json(const struct daily_report *r)
{
    struct json_object *o = json_object_new_object(), *orders = json_object_new_object();
    struct json_object *delays = json_object_new_object(), *teams = json_object_new_array();
    struct json_object *sweeps = json_object_new_object();

    json_object_object_add(o, "date", json_object_new_string(r->date));
    json_object_object_add(o, "time_zone", json_object_new_string(r->time_zone));
    json_object_object_add(o, "from", json_object_new_string(r->from));
    json_object_object_add(o, "to", json_object_new_string(r->to));
    add_int(orders, "received", r->received);
    add_int(orders, "posted", r->posted);
    add_int(orders, "despatched", r->despatched);
    add_int(orders, "fulfilled", r->fulfilled);
    json_object_object_add(o, "orders", orders);
    json_object_object_add(delays, "paid_to_sales_order_s", delay_json(&r->paid_to_sales_order));
    json_object_object_add(delays, "despatch_to_fulfillment_s",
                           delay_json(&r->despatch_to_fulfillment));
    json_object_object_add(o, "delays", delays);
    for (size_t i = 0; i < DAILY_N_TEAMS; i++) {
        struct json_object *t = json_object_new_object();

        json_object_object_add(t, "team", json_object_new_string(r->teams[i].team));
        add_int(t, "opened", r->teams[i].opened);
        add_int(t, "closed", r->teams[i].closed);
        add_int(t, "open", r->teams[i].open);
        json_object_array_add(teams, t);
    }
    json_object_object_add(o, "exceptions", teams);
    json_object_object_add(o, "stock_drift", json_object_get(r->stock_drift));
    add_int(sweeps, "runs", r->sweep_runs);
    add_int(sweeps, "failed", r->sweep_failed);
    add_int(sweeps, "orders_recovered", r->orders_recovered);
    add_int(sweeps, "despatches_requeued", r->despatches_requeued);
    add_int(sweeps, "warehouse_missing", r->warehouse_missing);
    json_object_object_add(o, "sweeps", sweeps);
    return o;
}

/* ---- text ---- */

/* A delay in words: "-" for none, else "42s", "12m 5s", "3h 2m". */
static void delay_text(double s, char *out, size_t cap)
{
    long v = isnan(s) ? -1 : lround(s);

    if (v < 0)
        snprintf(out, cap, "-");
    else if (v < 60)
        snprintf(out, cap, "%lds", v);
    else if (v < 3600)
        snprintf(out, cap, "%ldm %lds", v / 60, v % 60);
    else
        snprintf(out, cap, "%ldh %ldm", v / 3600, v % 3600 / 60);
}

/* The drift report's one-line summary into out, "no drift report" when none. */
static void drift_text(const struct json_object *drift, char *out, size_t cap)
{
    const struct json_object *d = drift;

    if (drift == NULL) {
        snprintf(out, cap, "no drift report that day");
        return;
    }
    snprintf(out, cap, "%lld levels checked, %lld drifted (%s%%), variance %s%%%s",
             (long long)json_object_get_int64(json_object_object_get(d, "checked")),
             (long long)json_object_get_int64(json_object_object_get(d, "drifted")),
             json_object_get_string(json_object_object_get(d, "drifted_pct")),
             json_object_get_string(json_object_object_get(d, "variance_pct")),
             json_object_get_boolean(json_object_object_get(d, "over_threshold"))
                 ? " (over the threshold)"
                 : "");
}

/* How report_lines writes: text lines, or rows with markers the page turns into markup. */
enum line_style { LINES_TEXT, LINES_MARKED };

static void put_head(struct buf *b, enum line_style style, const char *title)
{
    if (style == LINES_TEXT)
        buf_appendf(b, "%s\n", title);
    else
        buf_appendf(b, "\x04%s\x05", title);
}

static void put_row(struct buf *b, enum line_style style, const char *label, const char *value)
{
    if (style == LINES_TEXT)
        buf_appendf(b, "  %-26s %s\n", label, value);
    else
        buf_appendf(b, "\x01%s\x02%s\x03", label, value);
}

/* The lines of the report: headings, and rows of a label and a value. */
static void report_lines(const struct daily_report *r, struct buf *b, enum line_style style)
{
    char a[32], m[32], drift[256], v[128];

    put_head(b, style, "Orders");
    snprintf(v, sizeof(v), "%ld", r->received);
    put_row(b, style, "received", v);
    snprintf(v, sizeof(v), "%ld", r->posted);
    put_row(b, style, "posted to Peoplevox", v);
    snprintf(v, sizeof(v), "%ld", r->despatched);
    put_row(b, style, "despatched", v);
    snprintf(v, sizeof(v), "%ld", r->fulfilled);
    put_row(b, style, "fulfilled in Shopline", v);
    put_head(b, style, "Delays (median / p95)");
    delay_text(r->paid_to_sales_order.median_s, m, sizeof(m));
    delay_text(r->paid_to_sales_order.p95_s, a, sizeof(a));
    snprintf(v, sizeof(v), "%s / %s (%ld orders)", m, a, r->paid_to_sales_order.count);
    put_row(b, style, "paid to Sales Order", v);
    delay_text(r->despatch_to_fulfillment.median_s, m, sizeof(m));
    delay_text(r->despatch_to_fulfillment.p95_s, a, sizeof(a));
    snprintf(v, sizeof(v), "%s / %s (%ld despatches)", m, a, r->despatch_to_fulfillment.count);
    put_row(b, style, "despatch to fulfillment", v);
    put_head(b, style, "Exceptions (opened / closed / open at the end)");
    for (size_t i = 0; i < DAILY_N_TEAMS; i++) {
        snprintf(v, sizeof(v), "%ld / %ld / %ld", r->teams[i].opened, r->teams[i].closed,
                 r->teams[i].open);
        put_row(b, style, r->teams[i].team, v);
    }
    put_head(b, style, "Stock and sweeps");
    drift_text(r->stock_drift, drift, sizeof(drift));
    put_row(b, style, "stock drift", drift);
    snprintf(v, sizeof(v), "%ld runs (%ld failed): %ld orders recovered, %ld despatches "
             "re-enqueued, %ld Sales Orders missing", r->sweep_runs, r->sweep_failed,
             r->orders_recovered, r->despatches_requeued, r->warehouse_missing);
    put_row(b, style, "sweeps", v);
}

char *daily_report_text(const struct daily_report *r)
{
    struct buf b;

    buf_init(&b, 0);
    buf_appendf(&b, "shopvox daily report for %s (%s)\n", r->date, r->time_zone);
    report_lines(r, &b, LINES_TEXT);
    return buf_steal(&b);
}

/* ---- HTML ---- */

/* s with &, <, >, " escaped (owned). */
static char *html_escape(const char *s)
{
    struct buf b;

    buf_init(&b, 0);
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': buf_append_str(&b, "&amp;"); break;
        case '<': buf_append_str(&b, "&lt;"); break;
        case '>': buf_append_str(&b, "&gt;"); break;
        case '"': buf_append_str(&b, "&quot;"); break;
        default: buf_append(&b, s, 1); break;
        }
    }
    return buf_steal(&b);
}

char *daily_report_html(const struct daily_report *r)
{
    struct buf rows, page;
    char *tz = html_escape(r->time_zone), *esc;

    buf_init(&page, 0);
    buf_appendf(&page,
                "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                "<title>shopvox daily report %s</title>\n<style>\n"
                "body{font-family:system-ui,sans-serif;color:#1d1d1f;margin:1.5em}\n"
                "table{border-collapse:collapse;min-width:24em}\n"
                "th,td{text-align:left;padding:.3em .8em;border-bottom:1px solid #ddd}\n"
                "th.h{background:#f2f2f2;font-size:1.05em;padding-top:.8em}\n"
                "td{font-variant-numeric:tabular-nums}\n</style></head>\n<body>\n"
                "<h1>Daily report for %s</h1>\n<p>Store time zone %s; from %s to %s "
                "(UTC).</p>\n<table>\n",
                r->date, r->date, tz, r->from, r->to);
    /* the rows with markers for the markup, escaped whole, then the markers replaced */
    buf_init(&rows, 0);
    report_lines(r, &rows, LINES_MARKED);
    esc = html_escape(buf_cstr(&rows));
    for (const char *p = esc; *p != '\0'; p++) {
        switch (*p) {
        case '\x01': buf_append_str(&page, "<tr><th scope=\"row\">"); break;
        case '\x02': buf_append_str(&page, "</th><td>"); break;
        case '\x03': buf_append_str(&page, "</td></tr>\n"); break;
        case '\x04': buf_append_str(&page, "<tr><th colspan=\"2\" class=\"h\">"); break;
        case '\x05': buf_append_str(&page, "</th></tr>\n"); break;
        default: buf_append(&page, p, 1); break;
        }
    }
    free(esc);
    buf_cleanup(&rows);
    buf_append_str(&page, "</table>\n</body></html>\n");
    free(tz);
    return buf_steal(&page);
}

/* ---- Slack ---- */

struct json_object *daily_report_slack(const struct daily_report *r)
{
    struct json_object *o = json_object_new_object(), *blocks = json_object_new_array();
    struct json_object *head = json_object_new_object(), *ht = json_object_new_object();
    struct json_object *sec = json_object_new_object(), *st = json_object_new_object();
    char title[96], *text = daily_report_text(r);
    struct buf md;

    snprintf(title, sizeof(title), "shopvox daily report for %s", r->date);
    json_object_object_add(o, "text", json_object_new_string(text));
    json_object_object_add(ht, "type", json_object_new_string("plain_text"));
    json_object_object_add(ht, "text", json_object_new_string(title));
    json_object_object_add(head, "type", json_object_new_string("header"));
    json_object_object_add(head, "text", ht);
    json_object_array_add(blocks, head);
    buf_init(&md, 0);
    buf_append_str(&md, "```\n");
    buf_append_str(&md, strchr(text, '\n') != NULL ? strchr(text, '\n') + 1 : text);
    buf_append_str(&md, "```");
    json_object_object_add(st, "type", json_object_new_string("mrkdwn"));
    json_object_object_add(st, "text", json_object_new_string(buf_cstr(&md)));
    json_object_object_add(sec, "type", json_object_new_string("section"));
    json_object_object_add(sec, "text", st);
    json_object_array_add(blocks, sec);
    json_object_object_add(o, "blocks", blocks);
    buf_cleanup(&md);
    free(text);
    return o;
}
