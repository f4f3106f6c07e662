/*
 * test_daily.c - the daily report's arithmetic: dates (valid, invalid,
 * leap days), the day's local midnights (month and year ends; the wall
 * clock has no DST, so a day is always 86400 wall seconds and the 23 or 25
 * hours of a DST change come from the zone conversion, tested against
 * PostgreSQL in it_daily_report), percentiles (odd, even,
 * one, none, unsorted input) and the renderings (JSON fields, escaped
 * HTML with no script, the Slack message's shape).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daily.h"

static void test_dates_parse_only_real_days(void **state)
{
    static const char *const bad[] = {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                                      "26-03-29",   "2026-3-29",  "2026-03-29x", "2026/03/29",
                                      "",           "1969-12-31", "2026-03-+9", "abcd-ef-gh"};
    int64_t wall = 0;
    char date[DAILY_DATE_BYTES];

    assert_true(daily_parse_date("2026-03-29", &wall));
    assert_int_equal(wall, 1774742400); /* 2026-03-29T00:00:00 as if UTC */
    daily_date_of(wall, date);
    assert_string_equal(date, "2026-03-29");
    assert_true(daily_parse_date("2028-02-29", &wall));
    daily_date_of(wall + 86399, date);
    assert_string_equal(date, "2028-02-29");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (daily_parse_date(bad[i], &wall))
            fail_msg("accepted '%s'", bad[i]);
    assert_false(daily_parse_date(NULL, &wall));
}

static void test_day_walls_bound_the_local_day(void **state)
{
    int64_t wall, w[2];
    char a[DAILY_DATE_BYTES], b[DAILY_DATE_BYTES];

    /* any second of the day gives the same midnights */
    assert_true(daily_parse_date("2026-12-31", &wall));
    daily_day_walls(wall + 12 * 3600 + 59, w);
    assert_int_equal(w[0], wall);
    assert_int_equal(w[1] - w[0], 86400);
    daily_date_of(w[0], a);
    daily_date_of(w[1], b);
    assert_string_equal(a, "2026-12-31");
    assert_string_equal(b, "2027-01-01");
    assert_true(daily_parse_date("2024-02-28", &wall));
    daily_day_walls(wall, w);
    daily_date_of(w[1], b);
    assert_string_equal(b, "2024-02-29");
    /* (the 23 or 25 hours of a DST day come from the zone conversion: it_daily_report) */
}

static void test_percentiles_interpolate_between_ranks(void **state)
{
    double odd[] = {30, 10, 20, 50, 40};
    double even[] = {4, 1, 3, 2};
    double one[] = {7};
    double twenty[20];
    struct daily_delay d;

    assert_true(fabs(daily_percentile(odd, 5, 0.5) - 30) < 1e-9);
    assert_true(fabs(daily_percentile(odd, 5, 0.95) - 48) < 1e-9); /* 40 + 0.8 * 10 */
    assert_true(fabs(daily_percentile(even, 4, 0.5) - 2.5) < 1e-9);
    assert_true(fabs(daily_percentile(one, 1, 0.95) - 7) < 1e-9);
    assert_true(isnan(daily_percentile(one, 0, 0.5)));
    for (int i = 0; i < 20; i++)
        twenty[i] = 20 - i; /* 20 .. 1, unsorted */
    d = daily_delay_of(twenty, 20);
    assert_int_equal(d.count, 20);
    assert_true(fabs(d.median_s - 10.5) < 1e-9);
    assert_true(fabs(d.p95_s - 19.05) < 1e-9); /* rank 18.05 of 1..20 */
    d = daily_delay_of(NULL, 0);
    assert_int_equal(d.count, 0);
    assert_true(isnan(d.median_s) && isnan(d.p95_s));
}

static void report_fill(struct daily_report *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->date, sizeof(r->date), "2026-03-29");
    r->time_zone = "Europe/<London>";
    snprintf(r->from, sizeof(r->from), "2026-03-29T00:00:00Z");
    snprintf(r->to, sizeof(r->to), "2026-03-29T23:00:00Z");
    r->received = 5;
    r->posted = 4;
    r->paid_to_sales_order = (struct daily_delay){4, 90, 150.25};
    r->despatch_to_fulfillment = (struct daily_delay){0, NAN, NAN};
    for (size_t i = 0; i < DAILY_N_TEAMS; i++)
        r->teams[i].team = daily_teams[i];
    r->teams[0].opened = 2;
    r->orders_recovered = 1;
}

static void test_renderings_agree_and_escape(void **state)
{
    struct daily_report r;
    struct json_object *o, *d, *slack;
    char *html, *text;

    report_fill(&r);
    o = daily_report_json(&r);
    assert_int_equal(json_object_get_int(json_object_object_get(
                         json_object_object_get(o, "orders"), "received")), 5);
    d = json_object_object_get(json_object_object_get(o, "delays"), "paid_to_sales_order_s");
    assert_true(fabs(json_object_get_double(json_object_object_get(d, "median")) - 90) < 1e-9);
    assert_true(fabs(json_object_get_double(json_object_object_get(d, "p95")) - 150.3) < 1e-9);
    d = json_object_object_get(json_object_object_get(o, "delays"), "despatch_to_fulfillment_s");
    assert_null(json_object_object_get(d, "median"));
    assert_int_equal(json_object_array_length(json_object_object_get(o, "exceptions")), 4);
    assert_null(json_object_object_get(o, "stock_drift"));
    json_object_put(o);

    html = daily_report_html(&r);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "Europe/&lt;London&gt;"));
    assert_null(strstr(html, "<London>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "http"));
    assert_non_null(strstr(html, "<th scope=\"row\">received</th><td>5</td>"));
    assert_non_null(strstr(html, "1m 30s / 2m 30s (4 orders)"));
    free(html);

    text = daily_report_text(&r);
    slack = daily_report_slack(&r);
    assert_string_equal(json_object_get_string(json_object_object_get(slack, "text")), text);
    assert_int_equal(json_object_array_length(json_object_object_get(slack, "blocks")), 2);
    assert_non_null(strstr(text, "ops"));
    json_object_put(slack);
    free(text);
    daily_report_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates_parse_only_real_days),
        cmocka_unit_test(test_day_walls_bound_the_local_day),
        cmocka_unit_test(test_percentiles_interpolate_between_ranks),
        cmocka_unit_test(test_renderings_agree_and_escape),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
