/*
 * it_daily_report.c - the daily report on a seeded day, and its
 * notification.
 *
 * The day is 2026-03-29 in Europe/London, when the clocks go forward: its
 * window is 23 hours, [00:00Z, 23:00Z). Orders, despatches, exceptions,
 * sweeps and drift reports are stored at known instants on both sides of
 * each bound, so every figure is exact: `shopvox report daily --json`
 * and GET /api/v1/reports/daily give the same numbers, --html a page.
 * The notification: shopvox POSTs the report of the day that ended to a
 * local receiver that refuses the first POST and accepts the next; the
 * jobs queue retries it, the receiver gets exactly one accepted delivery,
 * and another check the same day sends nothing more; a receiver that
 * never accepts leaves a dead job and its job_dead exception (ops).
 */
#include <json-c/json.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_cli_run.h"
#include "it_receiver.h"

#define T_VIEWER "viewer-token-0123456789abcdef01234567"
#define DAY "2026-03-29"

static const char *db;
static struct it_proc proc;
static struct it_receiver *receiver;

static struct json_object *jpath(struct json_object *o, const char *a, const char *b)
{
    struct json_object *v = json_object_object_get(o, a);

    return b != NULL ? json_object_object_get(v, b) : v;
}

static long jlong(struct json_object *o, const char *a, const char *b)
{
    return (long)json_object_get_int64(jpath(o, a, b));
}

static double jdouble(struct json_object *o, const char *a, const char *b, const char *c)
{
    return json_object_get_double(json_object_object_get(jpath(o, a, b), c));
}

/* One order: created, ready (paid) and sent (NULL: not) at the given instants. */
static long order_at(const char *name, const char *created, const char *ready, const char *sent)
{
    return it_sql_longf(db,
                        "INSERT INTO orders (shop, shopline_order_id, name, state, created_at, "
                        "ready_at, sent_at) VALUES ('" IT_SHOP "', '%s', '%s', 'sent', "
                        "'%s'::timestamptz, '%s'::timestamptz, %s%s%s) RETURNING id",
                        name, name, created, ready, sent ? "'" : "", sent ? sent : "NULL",
                        sent ? "'::timestamptz" : "");
}

static void despatch_at(const char *number, long order, const char *at, const char *confirmed)
{
    it_sql_longf(db,
                 "INSERT INTO despatches (despatch_number, order_id, despatched_at, state, "
                 "confirmed_at) VALUES ('%s', %ld, '%s'::timestamptz, '%s', %s%s%s) RETURNING 1",
                 number, order, at, confirmed ? "fulfilled" : "pending", confirmed ? "'" : "",
                 confirmed ? confirmed : "NULL", confirmed ? "'::timestamptz" : "");
}

static void exception_at(const char *team, const char *subject, const char *first,
                         const char *resolved)
{
    it_sql_longf(db,
                 "INSERT INTO exceptions (shop, type, team, subject_kind, subject, detail, state, "
                 "first_seen, resolved_at) VALUES ('" IT_SHOP "', 'job_dead', '%s', 'x', '%s', "
                 "'d', '%s', '%s'::timestamptz, %s%s%s) RETURNING 1",
                 team, subject, resolved ? "resolved" : "open", first, resolved ? "'" : "",
                 resolved ? resolved : "NULL", resolved ? "'::timestamptz" : "");
}

static void sweep_at(const char *sweep, const char *state, int recovered, int requeued,
                     const char *finished)
{
    it_sql_longf(db,
                 "INSERT INTO order_sweeps (shop, requested, sweep, state, recovered, requeued, "
                 "finished_at) VALUES ('" IT_SHOP "', 'schedule', '%s', '%s', %d, %d, "
                 "'%s'::timestamptz) RETURNING 1",
                 sweep, state, recovered, requeued, finished);
}

static void drift_at(int checked, const char *finished)
{
    it_sql_longf(db,
                 "INSERT INTO inventory_drift_reports (shop, started_at, finished_at, checked, "
                 "drifted, corrected, pending, unread, variance_units, expected_units, "
                 "drifted_pct, variance_pct, over_threshold, calls, top_items, peoplevox_only, "
                 "shopline_only) VALUES ('" IT_SHOP "', '%s'::timestamptz, '%s'::timestamptz, "
                 "%d, 1, 1, 0, 0, 2, 100, 3.33, 2, false, 1, '[]', '{}', '{}') RETURNING 1",
                 finished, finished, checked);
}

static void seed_the_day(void)
{
    long o1 = order_at("#D1", DAY "T01:30:00Z", DAY "T01:30:00Z", DAY "T01:31:00Z");
    long o2 = order_at("#D2", DAY "T10:00:00Z", DAY "T10:00:00Z", DAY "T10:03:00Z");
    long o4;

    order_at("#D3", DAY "T22:59:59Z", DAY "T22:59:59Z", DAY "T23:30:00Z"); /* sent: the 30th */
    o4 = order_at("#D4", "2026-03-28T23:59:00Z", "2026-03-28T23:59:00Z", DAY "T00:09:00Z");
    order_at("#D5", DAY "T23:00:00Z", DAY "T23:00:00Z", NULL); /* 00:00 BST: the 30th */
    order_at("#D6", DAY "T00:00:00Z", DAY "T05:00:00Z", DAY "T05:20:00Z");
    despatch_at("DS1", o1, DAY "T12:00:00Z", DAY "T12:00:30Z");
    despatch_at("DS2", o2, DAY "T13:00:00Z", DAY "T13:02:00Z");
    despatch_at("DS3", o2, DAY "T14:00:00Z", NULL);
    despatch_at("DS4", o4, "2026-03-28T20:00:00Z", DAY "T08:00:00Z");
    exception_at("ops", "e1", DAY "T09:00:00Z", NULL);
    exception_at("ops", "e2", "2026-03-28T10:00:00Z", DAY "T11:00:00Z");
    exception_at("ops", "e3", DAY "T10:00:00Z", DAY "T12:00:00Z");
    exception_at("ecommerce", "e4", "2026-03-20T10:00:00Z", NULL);
    exception_at("finance", "e5", DAY "T23:30:00Z", NULL);
    sweep_at("orders", "done", 2, 0, DAY "T06:00:00Z");
    sweep_at("despatches", "done", 0, 1, DAY "T07:00:00Z");
    sweep_at("orders", "failed", 0, 0, DAY "T08:00:00Z");
    sweep_at("orders", "done", 5, 0, "2026-03-30T01:00:00Z");
    drift_at(30, DAY "T20:00:00Z");
    drift_at(99, DAY "T23:30:00Z");
}

/* The figures of the seeded day, whichever way they were asked for. */
static void check_the_day(struct json_object *o)
{
    struct json_object *teams = json_object_object_get(o, "exceptions");
    struct json_object *ops = json_object_array_get_idx(teams, 0);
    struct json_object *ecom = json_object_array_get_idx(teams, 1);
    struct json_object *fin = json_object_array_get_idx(teams, 2);

    assert_string_equal(json_object_get_string(jpath(o, "date", NULL)), DAY);
    assert_string_equal(json_object_get_string(jpath(o, "from", NULL)), DAY "T00:00:00Z");
    assert_string_equal(json_object_get_string(jpath(o, "to", NULL)), DAY "T23:00:00Z");
    assert_int_equal(jlong(o, "orders", "received"), 4);   /* D1 D2 D3 D6 */
    assert_int_equal(jlong(o, "orders", "posted"), 4);     /* D1 D2 D4 D6 */
    assert_int_equal(jlong(o, "orders", "despatched"), 2); /* D1 D2 */
    assert_int_equal(jlong(o, "orders", "fulfilled"), 3);  /* D1 D2 D4 */
    /* paid -> Sales Order: 60, 180, 600, 1200 s */
    assert_int_equal(jlong(jpath(o, "delays", NULL), "paid_to_sales_order_s", "count"), 4);
    assert_true(fabs(jdouble(o, "delays", "paid_to_sales_order_s", "median") - 390) < 1e-6);
    assert_true(fabs(jdouble(o, "delays", "paid_to_sales_order_s", "p95") - 1110) < 1e-6);
    /* despatch -> fulfillment: 30, 120, 43200 s */
    assert_true(fabs(jdouble(o, "delays", "despatch_to_fulfillment_s", "median") - 120) < 1e-6);
    assert_true(fabs(jdouble(o, "delays", "despatch_to_fulfillment_s", "p95") - 38892) < 1e-6);
    assert_string_equal(json_object_get_string(json_object_object_get(ops, "team")), "ops");
    assert_int_equal(jlong(ops, "opened", NULL), 2);
    assert_int_equal(jlong(ops, "closed", NULL), 2);
    assert_int_equal(jlong(ops, "open", NULL), 1);
    assert_int_equal(jlong(ecom, "opened", NULL), 0);
    assert_int_equal(jlong(ecom, "open", NULL), 1);
    assert_int_equal(jlong(fin, "opened", NULL) + jlong(fin, "open", NULL), 0);
    assert_int_equal(jlong(o, "stock_drift", "checked"), 30);
    assert_int_equal(jlong(o, "sweeps", "runs"), 3);
    assert_int_equal(jlong(o, "sweeps", "failed"), 1);
    assert_int_equal(jlong(o, "sweeps", "orders_recovered"), 2);
    assert_int_equal(jlong(o, "sweeps", "despatches_requeued"), 1);
}

static void test_cli_report_daily_on_a_dst_day(void **state)
{
    static const char *const env[] = {"PEOPLEVOX_TIMEZONE=Europe/London", NULL};
    const char *json_args[] = {"report", "daily", "--date", DAY, "--json", NULL};
    const char *html_args[] = {"report", "daily", "--date", DAY, "--html", NULL};
    const char *text_args[] = {"report", "daily", "--date=" DAY, NULL};
    const char *bad_args[] = {"report", "daily", "--date", "2026-02-30", NULL};
    const char *both_args[] = {"report", "daily", "--json", "--html", NULL};
    const char *other_args[] = {"schedules", "--html", NULL};
    struct it_cli_result r;
    struct json_object *o;

    it_cli_run_env(&r, db, env, json_args);
    assert_int_equal(r.exit_code, 0);
    o = it_cli_json(&r);
    check_the_day(o);
    json_object_put(o);
    it_cli_result_free(&r);

    it_cli_run_env(&r, db, env, html_args);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(strncmp(r.out, "<!DOCTYPE html>", 15), 0);
    assert_non_null(strstr(r.out, "<th scope=\"row\">received</th><td>4</td>"));
    assert_non_null(strstr(r.out, "6m 30s / 18m 30s (4 orders)"));
    assert_null(strstr(r.out, "<script"));
    it_cli_result_free(&r);

    it_cli_run_env(&r, db, env, text_args);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "daily report for " DAY " (Europe/London)"));
    it_cli_result_free(&r);

    it_cli_run_env(&r, db, env, bad_args);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "invalid date '2026-02-30'"));
    it_cli_result_free(&r);
    it_cli_run_env(&r, db, env, both_args);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.out, "choose one")); /* with --json the error is JSON on stdout */
    it_cli_result_free(&r);
    it_cli_run_env(&r, db, env, other_args);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--html is an option of report daily only"));
    it_cli_result_free(&r);
}

static void test_api_report_daily_agrees(void **state)
{
    const char *headers[] = {"Authorization: Bearer " T_VIEWER, NULL};
    struct it_resp r;
    struct json_object *o;

    assert_int_equal(it_http(proc.ops_port, "GET", "/api/v1/reports/daily?date=" DAY, NULL, 0,
                             headers, &r), 0);
    assert_int_equal(r.status, 200);
    o = json_tokener_parse(r.body);
    check_the_day(o);
    json_object_put(o);
    it_resp_free(&r);
}

static bool delivered(void *arg)
{
    return it_receiver_accepted(receiver) >= 1;
}

static void test_notification_is_retried_and_sent_once(void **state)
{
    char *body, *yesterday;
    struct json_object *o;

    assert_true(it_wait_until(delivered, NULL, 60000));
    assert_int_equal(it_receiver_requests(receiver), 2); /* refused once, then accepted */
    body = it_receiver_last_body(receiver);
    o = json_tokener_parse(body);
    assert_non_null(o);
    yesterday = it_sql_text(db, "SELECT to_char((now() AT TIME ZONE 'Europe/London')::date - 1, "
                                "'YYYY-MM-DD')");
    assert_non_null(strstr(json_object_get_string(json_object_object_get(o, "text")),
                           yesterday));
    assert_int_equal(json_object_array_length(json_object_object_get(o, "blocks")), 2);
    json_object_put(o);
    free(body);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs WHERE kind = 'report_notify' "
                                      "AND dedupe_key = '%s' AND state = 'done' AND "
                                      "attempts = 2", yesterday),
                     1);
    /* another check the same day (a new leader, a restart): nothing more is sent */
    it_sql_exec(db, "INSERT INTO jobs (shop, kind, dedupe_key) VALUES ('" IT_SHOP "', "
                    "'report_daily', 'report_daily-again')");
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM jobs WHERE dedupe_key = "
                                          "'report_daily-again' AND state = 'done'",
                                      1, 30000),
                     1);
    usleep(500 * 1000);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE kind = 'report_notify'"),
                     1);
    assert_int_equal(it_receiver_accepted(receiver), 1);
    free(yesterday);
}

/* A webhook that never accepts: after SHOPVOX_JOB_MAX_ATTEMPTS the job dies into job_dead (ops). */
static void test_undeliverable_report_opens_an_ops_exception(void **state)
{
    static const char *const args[] = {"serve", "--migrate", NULL};
    struct it_receiver *never = it_receiver_start(1000000);
    const char *db2 = it_db_create_migrated("daily_dead");
    struct it_proc p2;
    char url[96];
    const char *env[] = {"PEOPLEVOX_TIMEZONE=Europe/London", "SHOPVOX_WORKERS=1",
                         "SHOPVOX_REPORT_DAILY_AT=00:00", "SHOPVOX_JOB_MAX_ATTEMPTS=2", url, NULL};

    assert_non_null(never);
    snprintf(url, sizeof(url), "SHOPVOX_REPORT_WEBHOOK_URL=http://127.0.0.1:%d/hook",
             it_receiver_port(never));
    assert_int_equal(it_shopvox_start(&p2, db2, env, args), 0);
    assert_int_equal(it_wait_sql_long(db2, "SELECT count(*) FROM exceptions e JOIN jobs j ON "
                                           "e.subject = 'job:' || j.id WHERE e.type = "
                                           "'job_dead' AND e.team = 'ops' AND e.state = 'open' "
                                           "AND j.kind = 'report_notify' AND j.state = 'dead'",
                                      1, 60000),
                     1);
    assert_int_equal(it_receiver_requests(never), 2);
    assert_int_equal(it_receiver_accepted(never), 0);
    it_proc_stop(&p2, SIGKILL, 1000);
    it_receiver_stop(never);
}

static int start_shopvox(void **state)
{
    static const char *const args[] = {"serve", "--migrate", NULL};
    char url[96];
    const char *env[] = {"SHOPVOX_ADMIN_TOKENS=ann:viewer:" T_VIEWER,
                         "PEOPLEVOX_TIMEZONE=Europe/London", "SHOPVOX_WORKERS=1",
                         "SHOPVOX_REPORT_DAILY_AT=00:00", url,
                         "SHOPVOX_RETENTION_DAYS=3650", /* the seeded day's drift reports stay */
                         NULL};

    it_require_db();
    receiver = it_receiver_start(1);
    if (receiver == NULL)
        return -1;
    snprintf(url, sizeof(url), "SHOPVOX_REPORT_WEBHOOK_URL=http://127.0.0.1:%d/hook",
             it_receiver_port(receiver));
    db = it_db_create_migrated("daily");
    seed_the_day();
    return it_shopvox_start(&proc, db, env, args);
}

static int stop_shopvox(void **state)
{
    it_proc_stop(&proc, SIGKILL, 1000);
    it_receiver_stop(receiver);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_report_daily_on_a_dst_day),
        cmocka_unit_test(test_api_report_daily_agrees),
        cmocka_unit_test(test_notification_is_retried_and_sent_once),
        cmocka_unit_test(test_undeliverable_report_opens_an_ops_exception),
    };

    return cmocka_run_group_tests(tests, start_shopvox, stop_shopvox);
}
