/*
 * it_poll.c - the despatch poller against a warehouse in another time
 * zone, nudged rather than waited for: the real shopvox binary (despatch
 * poll every hour, so every poll here is one a nudge asked for) on a real
 * database, the sandbox Peoplevox in this process printing its report
 * dates on London's wall clock (this program runs with TZ=Europe/London;
 * shopvox inherits it and must not care).
 *
 *  - a despatch at 10:30 on a July day in London is stored at 09:30 UTC;
 *  - a despatch for an order shopvox did not know opens despatch_unmapped,
 *    and once the order is known a later poll records it (asked for by
 *    number, hours behind the watermark) and resolves the exception;
 *  - a despatched item code splits across two lines whose SKUs sku_map
 *    maps to it, when the lines do not carry the code they were sent as;
 *  - a nudge with the token records a despatch within seconds, a wrong
 *    token is a 404 that is counted and never logged, a flood of nudges
 *    causes at most one extra poll per few seconds;
 *  - the scheduler status: `shopvox schedules` and /metrics name the last
 *    run, success and error of the poll, the replica and the watermark;
 *  - a PEOPLEVOX_TIMEZONE PostgreSQL does not know stops the start (exit 2).
 *
 * The tests run in order: the first despatch is dated in July, before any
 * other, so the watermark only moves forward from it.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_cli_run.h"
#include "it_http.h"
#include "it_order.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_wait.h"
#include "sandbox.h"

#define TOKEN "it-nudge-0123456789abcdefghijklmnopqrstuv"
#define NUDGE_PATH "/webhooks/peoplevox/" TOKEN
#define NUDGED_MS 10000 /* a nudged poll, against an interval of an hour */

/* 2026-07-15 09:30:00 UTC: 10:30 on London's summer clock. */
#define JULY_DESPATCH_S 1784107800L

/* Despatches all of Sales Order so (dated at_s, 0 = now) with tracking in the fake warehouse. */
static void despatch_at(const char *so, const char *tracking, long at_s)
{
    char body[512], at[48] = "";

    if (at_s > 0)
        snprintf(at, sizeof(at), ",\"DespatchedAt\":%ld", at_s);
    snprintf(body, sizeof(body),
             "{\"SalesOrderNumber\":\"%s\",\"Carrier\":\"DPD\",\"Service\":\"Next day\","
             "\"TrackingNumber\":\"%s\"%s}",
             so, tracking, at);
    ito_sandbox_post("/_sandbox/despatch", body);
}

/* A nudge as Peoplevox sends it: the status shopvox answered. */
static long nudge(const char *method, const char *path)
{
    struct it_resp r = {0, NULL};
    long status;

    assert_int_equal(it_http(ito.proc.port, method, path, NULL, 0, NULL, &r), 0);
    status = r.status;
    it_resp_free(&r);
    return status;
}

/* Nudges (must be 200) and waits for the despatch with tracking to be recorded. */
static void nudge_until_recorded(const char *tracking)
{
    char *sql = xasprintf("SELECT count(*) FROM despatches WHERE tracking = '%s'", tracking);

    assert_int_equal(nudge("POST", NUDGE_PATH), 200);
    if (it_wait_sql_long(ito.db, sql, 1, NUDGED_MS) != 1) {
        it_proc_dump_log(&ito.proc);
        fail_msg("despatch %s not recorded within %d ms of a nudge", tracking, NUDGED_MS);
    }
    free(sql);
}

static void test_london_summer_despatch_stored_at_utc_instant(void **state)
{
    const struct it_line lines[] = {{"TEE-BLK-M", 1, false}};
    char name[32], so[40];

    (void)state;
    ito_post_paid("TZ", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    despatch_at(so, "TRK-DST", JULY_DESPATCH_S);   /* the report says '15/07/2026 10:30' */
    nudge_until_recorded("TRK-DST");
    assert_int_equal(ito_sql_count("SELECT extract(epoch FROM despatched_at)::bigint FROM "
                                   "despatches WHERE tracking = 'TRK-DST'"),
                     JULY_DESPATCH_S);
    ito_wait_state(name, "despatched");
    assert_int_equal(ito_sql_count("SELECT value::bigint FROM cursors WHERE name = "
                                   "'despatch_watermark'"),
                     JULY_DESPATCH_S);
}

static void test_unmapped_despatch_resolved_when_order_arrives(void **state)
{
    const struct it_line lines[] = {{"MUG-LOGO", 1, false}};
    char late[32], late_so[40], name[32], so[40];
    char *open_sql;

    (void)state;
    ito_post_paid("UL", "US", lines, 1, late, sizeof(late), late_so, sizeof(late_so));
    /* shopvox does not know the Sales Order yet (as if its order came in late) */
    free(it_sql_textf(ito.db, "UPDATE orders SET sales_order_number = NULL WHERE name = '%s' "
                              "RETURNING name",
                      late));
    despatch_at(late_so, "TRK-LATE", (long)time(NULL) - 3 * 3600);
    open_sql = xasprintf("SELECT count(*) FROM exceptions WHERE type = 'despatch_unmapped' AND "
                         "state = 'open' AND subject LIKE '%s/%%'",
                         late_so);
    assert_int_equal(nudge("POST", NUDGE_PATH), 200);
    assert_int_equal(it_wait_sql_long(ito.db, open_sql, 1, NUDGED_MS), 1);

    /* another despatch moves the watermark to now: the late one is 3 h behind it */
    ito_post_paid("UN", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    despatch_at(so, "TRK-NOW", 0);
    nudge_until_recorded("TRK-NOW");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches WHERE tracking = "
                                   "'TRK-LATE'"),
                     0);

    /* the order arrives: the next poll asks for the despatch by number and records it */
    free(it_sql_textf(ito.db, "UPDATE orders SET sales_order_number = '%s' WHERE name = '%s' "
                              "RETURNING name",
                      late_so, late));
    nudge_until_recorded("TRK-LATE");
    ito_wait_state(late, "despatched");
    assert_int_equal(ito_sql_count("%s", open_sql), 0);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = "
                                   "'despatch_unmapped' AND state = 'resolved' AND resolved_by "
                                   "= 'shopvox' AND resolution = 'despatch recorded' AND "
                                   "subject LIKE '%s/%%'",
                                   late_so),
                     1);
    free(open_sql);
}

static void test_item_split_across_lines_mapped_by_sku_map(void **state)
{
    static const char *const map1[] = {"sku", "map", "TEE-ALIAS-1", "TEE-BLK-M", NULL};
    static const char *const map2[] = {"sku", "map", "TEE-ALIAS-2", "TEE-BLK-M", NULL};
    const struct it_line lines[] = {{"TEE-ALIAS-1", 1, false}, {"TEE-ALIAS-2", 2, false}};
    char name[32], so[40];

    (void)state;
    assert_int_equal(ito_run_cli(map1), 0);
    assert_int_equal(ito_run_cli(map2), 0);
    ito_post_paid("SM", "US", lines, 2, name, sizeof(name), so, sizeof(so));
    /* lines that do not carry the code they were sent as (sent before shopvox kept it) */
    free(it_sql_textf(ito.db, "UPDATE order_lines l SET item_code = NULL FROM orders o WHERE "
                              "o.id = l.order_id AND o.name = '%s' RETURNING o.name",
                      name));
    despatch_at(so, "TRK-MAPPED", 0);   /* three TEE-BLK-M in two report rows */
    nudge_until_recorded("TRK-MAPPED");
    ito_wait_state(name, "despatched");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatch_lines dl JOIN despatches d ON "
                                   "d.id = dl.despatch_id JOIN order_lines l ON l.order_id = "
                                   "d.order_id AND l.line_id = dl.line_id WHERE d.tracking = "
                                   "'TRK-MAPPED' AND dl.quantity = l.quantity"),
                     2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions e JOIN orders o ON o.id = "
                                   "e.order_id WHERE o.name = '%s'",
                                   name),
                     0);
}

/* Polls whose job was created since the database time `since` (text). */
static long polls_since(const char *since)
{
    return ito_sql_count("SELECT count(*) FROM jobs WHERE kind = 'poll_despatches' AND "
                         "created_at >= '%s'::timestamptz",
                         since);
}

static void test_nudge_polls_early_and_coalesces(void **state)
{
    const struct it_line lines[] = {{"TEE-BLK-S", 1, false}};
    char name[32], so[40], *since;
    int64_t start, end;
    long polls, sent = 0;

    (void)state;
    ito_post_paid("NU", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    despatch_at(so, "TRK-NUDGE", 0);
    start = now_ms_monotonic();
    assert_int_equal(nudge("GET", NUDGE_PATH), 200);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM despatches WHERE tracking = "
                                              "'TRK-NUDGE'",
                                      1, NUDGED_MS),
                     1);
    print_message("despatch recorded %lld ms after the nudge (poll interval 3600 s)\n",
                  (long long)(now_ms_monotonic() - start));

    /* wrong tokens: 404 like any unknown path, counted, and no token in the log */
    assert_int_equal(nudge("GET", "/webhooks/peoplevox/it-nudge-0123456789abcdefghijklmnopqrstuX"),
                     404);
    assert_int_equal(nudge("POST", "/webhooks/peoplevox/"), 404);
    assert_int_equal(nudge("PUT", NUDGE_PATH), 405);
    assert_true(it_metric(ito.proc.ops_port,
                          "shopvox_peoplevox_nudges_total{outcome=\"rejected\"}") >= 2);
    assert_true(it_metric(ito.proc.ops_port,
                          "shopvox_peoplevox_nudges_total{outcome=\"accepted\"}") >= 1);
    assert_false(it_proc_log_has(&ito.proc, "it-nudge-0123"));
    assert_true(it_proc_log_has(&ito.proc, "/webhooks/peoplevox/***"));

    /* a flood for 6 s: at most one poll per 5 s of it (the first may start at once) */
    since = it_sql_text(ito.db, "SELECT now()::text");
    start = now_ms_monotonic();
    for (end = start + 6000; now_ms_monotonic() < end; sent++)
        assert_int_equal(nudge(sent % 2 ? "GET" : "POST", NUDGE_PATH), 200);
    polls = polls_since(since);
    print_message("%ld nudges in 6 s caused %ld polls\n", sent, polls);
    assert_true(sent > 50);
    assert_in_range(polls, 1, 2);
    free(since);
}

static bool poll_not_failing(void *arg)
{
    (void)arg;
    return it_metric(ito.proc.ops_port, "shopvox_schedule_failing{task=\"poll_despatches\"}") ==
           0;
}

static void test_schedule_status_in_cli_and_metrics(void **state)
{
    static const char *const args[] = {"schedules", "--json", NULL};
    static const char *const env[] = {"SHOPVOX_DESPATCH_POLL_S=3600", NULL}; /* the service's */
    struct it_cli_result r;
    struct json_object *o, *tasks, *poll = NULL, *v;
    char replica[128], host[64] = "";
    double mark;

    (void)state;
    /* a failed run, then a good one: failing clears, the error stays readable */
    ito_sandbox_post("/_sandbox/faults", "{\"http_500\":1}");
    assert_int_equal(nudge("POST", NUDGE_PATH), 200);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM schedules WHERE task = "
                                              "'poll_despatches' AND failures >= 1 AND "
                                              "last_error IS NOT NULL AND NOT failing AND "
                                              "last_success_at > last_error_at",
                                      1, ITO_WAIT_MS),
                     1);

    gethostname(host, sizeof(host) - 1);
    snprintf(replica, sizeof(replica), "%s:%d", host, (int)ito.proc.pid);
    it_cli_run_env(&r, ito.db, env, args);
    assert_int_equal(r.exit_code, 0);
    o = it_cli_json(&r);
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "leader", &v));
    assert_string_equal(json_object_get_string(v), replica);
    assert_true(json_object_object_get_ex(o, "despatch_watermark", &v));
    assert_non_null(v);
    assert_true(json_object_object_get_ex(o, "tasks", &tasks));
    for (size_t i = 0; i < json_object_array_length(tasks); i++) {
        struct json_object *t = json_object_array_get_idx(tasks, i);

        if (json_object_object_get_ex(t, "task", &v) &&
            strcmp(json_object_get_string(v), "poll_despatches") == 0)
            poll = t;
    }
    assert_non_null(poll);
    assert_true(json_object_object_get_ex(poll, "replica", &v));
    assert_string_equal(json_object_get_string(v), replica);
    assert_true(json_object_object_get_ex(poll, "interval_s", &v));
    assert_int_equal(json_object_get_int(v), 3600);
    assert_true(json_object_object_get_ex(poll, "last_error", &v));
    assert_non_null(strstr(json_object_get_string(v), "could not read 'Despatch summary'"));
    json_object_put(o);
    it_cli_result_free(&r);

    /* /metrics: the database gauges (refreshed every second here) */
    mark = (double)ito_sql_count("SELECT value::bigint FROM cursors WHERE name = "
                                 "'despatch_watermark'");
    assert_true(it_wait_until(poll_not_failing, NULL, ITO_WAIT_MS));
    assert_true(it_metric(ito.proc.ops_port, "shopvox_schedule_last_success_timestamp_seconds"
                                             "{task=\"poll_despatches\"}") > 1.7e9);
    assert_true(it_metric(ito.proc.ops_port, "shopvox_schedule_last_run_timestamp_seconds"
                                             "{task=\"catalogue_sync\"}") > 1.7e9);
    assert_true(it_metric(ito.proc.ops_port, "shopvox_despatch_watermark_timestamp_seconds") ==
                mark);
    assert_true(it_metric(ito.proc.ops_port, "shopvox_scheduler_leader") == 1);
}

/* serve refuses a zone PostgreSQL does not know (exact name), exit 2 like any bad setting. */
static void test_unknown_time_zone_stops_the_start(void **state)
{
    static const char *const zones[] = {"Mars/Olympus_Mons", "Europe/london", "UTC+3"};
    static const char *const args[] = {"serve", NULL};

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(zones); i++) {
        char zone[64], want[128];
        const char *env[] = {ito.pvx_url_env, "SHOPLINE_ACCESS_TOKEN=t", "SHOPLINE_APP_SECRET=s",
                             "PEOPLEVOX_CLIENT_ID=SANDBOX", "PEOPLEVOX_USERNAME=shopvox",
                             "PEOPLEVOX_PASSWORD=secret", "SHOPVOX_ALLOW_INSECURE_HTTP=1",
                             "SHOPVOX_LISTEN=127.0.0.1:0", "SHOPVOX_OPS_LISTEN=127.0.0.1:0",
                             zone, NULL};
        struct it_cli_result r;

        snprintf(zone, sizeof(zone), "PEOPLEVOX_TIMEZONE=%s", zones[i]);
        snprintf(want, sizeof(want), "PEOPLEVOX_TIMEZONE=%s: is not a time zone PostgreSQL knows",
                 zones[i]);
        it_cli_run_env(&r, ito.db, env, args);
        if (r.exit_code != 2 || strstr(r.err, want) == NULL)
            fail_msg("%s: exit %d, stderr [%s]", zones[i], r.exit_code, r.err);
        it_cli_result_free(&r);
    }
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_DESPATCH_POLL_S=3600", "SHOPVOX_METRICS_REFRESH_S=1",
                                      "PEOPLEVOX_TIMEZONE=Europe/London",
                                      "PEOPLEVOX_WEBHOOK_TOKEN=" TOKEN, NULL};
    struct sandbox_pvx_opts o = {.local_report_dates = true};

    (void)state;
    /* the fake warehouse's clock; set before any thread starts */
    setenv("TZ", "Europe/London", 1);
    tzset();
    return ito_start_synced("poll", &o, env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_london_summer_despatch_stored_at_utc_instant),
        cmocka_unit_test(test_unmapped_despatch_resolved_when_order_arrives),
        cmocka_unit_test(test_item_split_across_lines_mapped_by_sku_map),
        cmocka_unit_test(test_nudge_polls_early_and_coalesces),
        cmocka_unit_test(test_schedule_status_in_cli_and_metrics),
        cmocka_unit_test(test_unknown_time_zone_stops_the_start),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
