/*
 * it_cli_settings.c - operator commands end to end (as it_cli.c): help
 * and version everywhere, invalid input refused up front, routing rules,
 * carriers, the catalogue sync, the schedules' status, and configuration
 * and database errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it.h"
#include "it_cli_check.h"
#include "it_cli_run.h"

static void test_help_and_version_everywhere(void **state)
{
    static const char *const where[][3] = {
        {NULL, NULL, NULL},          {"serve", NULL, NULL},      {"migrate", NULL, NULL},
        {"check-config", NULL, NULL}, {"exceptions", NULL, NULL}, {"exceptions", "list", NULL},
        {"exceptions", "resolve", "7"}, {"sku", NULL, NULL},     {"sku", "map", "A"},
        {"order", "show", NULL},     {"routing", "set", NULL},   {"catalogue", "sync", NULL},
        {"schedules", NULL, NULL},
    };
    static const char *const unset[] = {"SHOPVOX_DATABASE_URL=", NULL}; /* no config needed */
    char want[64];

    snprintf(want, sizeof(want), "shopvox %s\n", SHOPVOX_VERSION);
    for (size_t i = 0; i < ARRAY_LEN(where); i++) {
        for (int v = 0; v < 2; v++) {
            const char *args[5];
            struct it_cli_result r;
            int n = 0;

            for (int k = 0; k < 3 && where[i][k] != NULL; k++)
                args[n++] = where[i][k];
            args[n++] = v ? "--version" : "--help";
            args[n] = NULL;
            it_cli_run_env(&r, cli_db, unset, args);
            expect_exit(&r, 0);
            assert_string_equal(r.err, "");
            if (v)
                assert_string_equal(r.out, want);
            else if (strstr(r.out, "usage") != r.out)
                fail_msg("%s %s --help: [%s]", args[0], n > 2 ? args[1] : "", r.out);
            if (!v && where[i][1] != NULL)
                assert_non_null(strstr(r.out, where[i][1]));
            it_cli_result_free(&r);
        }
    }
}

/* Invalid input is refused before anything is read or written: exit 2, one clear message. */
static void test_invalid_input_is_refused_up_front(void **state)
{
    struct it_cli_result r;

    CLI(&r, "exceptions", "list", "--type", "nope");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "unknown exception type 'nope': known types are "));
    assert_non_null(strstr(r.err, "unknown_sku"));
    assert_non_null(strstr(r.err, "job_dead"));
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--type=nope", "--json");
    expect_json_error(&r, 2, "known types are");
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--type", "unknown_sku", "--json");
    expect_exit(&r, 0);
    it_cli_result_free(&r);

    CLI(&r, "sku", "map", "TAB\tSKU", "ITEM-1");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "invalid Shopline SKU: control character 0x09 at byte 4"));
    it_cli_result_free(&r);
    CLI(&r, "sku", "map", "NL\n", "ITEM-1", "--json");
    expect_json_error(&r, 2, "control character 0x0a");
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM sku_map WHERE shopline_sku "
                                      "IN (E'TAB\\tSKU', E'NL\\n')"),
                     0);

    CLI(&r, "sku", "map", "--bogus", "A", "B", "--json");
    expect_json_error(&r, 2, "unknown option --bogus");
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--limit");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "option --limit needs a value"));
    it_cli_result_free(&r);
}

/* ---- routing ---- */

static void test_routing_set_and_list(void **state)
{
    const char *const bad[] = {"country:GBR=LONDON", "default=SystemSite", "teleport=X",
                               "default=A;default=B", "", "country:GB=NOWHERE",
                               "stock=A,london"};
    struct it_cli_result r;
    struct json_object *o;
    char *before;

    /* the sites shopvox knows: those with stock rows, and the default site */
    it_sql_exec(cli_db, "INSERT INTO stock (shop, item_code, site, available) VALUES "
                    "('" IT_SHOP "', 'SKU-R', 'MANCHESTER', 1), ('" IT_SHOP "', 'SKU-R', 'LONDON', 1), "
                    "('" IT_SHOP "', 'SKU-R', 'A', 1), ('" IT_SHOP "', 'SKU-R', 'B', 1)");
    CLI(&r, "routing", "set", "location:123=MANCHESTER; country:gb=LONDON;stock=A,B;"
                              "default=PrimarySite", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "rules"), 5);
    assert_string_equal(jstr(o, "spec"),
                        "location:123=MANCHESTER;country:GB=LONDON;stock=A,B;default=PrimarySite");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(
        it_sql_longf(cli_db, "SELECT count(*) FROM routing_rules WHERE shop = '" IT_SHOP "'"), 5);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM routing_rules WHERE position = 2 AND "
                                      "kind = 'country' AND match = 'GB' AND site = 'LONDON'"),
                     1);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM routing_rules WHERE kind = 'stock' AND "
                                      "match IS NULL"),
                     2);

    before =
        it_sql_textf(cli_db, "SELECT string_agg(position || kind || coalesce(match, '') || site, ',' "
                         "ORDER BY position) FROM routing_rules");
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *after;

        CLI(&r, "routing", "set", bad[i]);
        expect_exit(&r, 2);
        assert_non_null(strstr(r.err, "invalid routing rules"));
        it_cli_result_free(&r);
        after = it_sql_textf(
            cli_db, "SELECT string_agg(position || kind || coalesce(match, '') || site, ',' "
                "ORDER BY position) FROM routing_rules");
        assert_string_equal(after, before);
        free(after);
    }
    free(before);

    CLI(&r, "routing", "set", "country:GB=NOWHERE");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "unknown site 'NOWHERE' (known sites: A, B, LONDON, MANCHESTER, "
                                  "PrimarySite)"));
    it_cli_result_free(&r);
    CLI(&r, "routing", "set", "country:GB=NOWHERE", "--json");
    expect_json_error(&r, 2, "unknown site 'NOWHERE'");
    it_cli_result_free(&r);

    CLI(&r, "routing", "set", "default=PrimarySite");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    CLI(&r, "routing", "list", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "rules"), 1);
    assert_string_equal(jstr(jidx(o, "rules", 0), "kind"), "default");
    assert_int_equal(jint(jidx(o, "rules", 0), "position"), 1);
    assert_string_equal(jstr(o, "spec"), "default=PrimarySite");
    json_object_put(o);
    it_cli_result_free(&r);
}

/* ---- carriers ---- */

static void test_carriers_set_list_delete(void **state)
{
    const char *const bad[][5] = {
        {"DPD", NULL},                                           /* no --company */
        {"DPD/", "--company", "DPD", NULL},
        {"DP\tD", "--company", "DPD", NULL},
        {"DPD", "--company", "", NULL},
        {"DPD", "--company", "DPD", "--url", "ftp://t.example/{tracking}"},
        {"DPD", "--company", "DPD", "--url", "https://t.example/"},
        {"DPD", "--company", "DPD", "--url", "https://t.example/{tracking_no}"},
    };
    struct it_cli_result r;
    struct json_object *o;

    CLI(&r, "carriers", "set", "DPD/Next day", "--company", "DPD UK", "--url",
        "https://t.example/p/{tracking}", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "example_url"), "https://t.example/p/TRACKING123");
    assert_true(json_object_get_type(jget(o, "previous")) == json_type_null);
    json_object_put(o);
    it_cli_result_free(&r);
    CLI(&r, "carriers", "set", "dpd/next day", "--company", "DPD Next"); /* the same row */
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "(was 'DPD UK')"));
    it_cli_result_free(&r);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *args[9] = {"carriers", "set"};

        memcpy(args + 2, bad[i], sizeof(bad[i]));
        it_cli_run_env(&r, cli_db, NULL, args);
        expect_exit(&r, 2);
        assert_true(strstr(r.err, "invalid") != NULL || strstr(r.err, "is required") != NULL);
        it_cli_result_free(&r);
    }
    CLI(&r, "carriers", "list", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "carriers"), 1);
    assert_string_equal(jstr(jidx(o, "carriers", 0), "tracking_company"), "DPD Next");
    assert_true(json_object_get_type(jget(jidx(o, "carriers", 0), "tracking_url_template")) ==
                json_type_null);
    assert_string_equal(jstr(jidx(o, "carriers", 0), "updated_by"), IT_CLI_USER);
    json_object_put(o);
    it_cli_result_free(&r);
    CLI(&r, "carriers", "delete", "DPD/NEXT DAY");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    CLI(&r, "carriers", "delete", "DPD/NEXT DAY", "--json");
    expect_json_error(&r, 3, "no carrier mapping for 'DPD/NEXT DAY'");
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM carriers"), 0);
}

/* ---- catalogue, configuration ---- */

static void test_catalogue_sync_enqueues_once(void **state)
{
    struct it_cli_result r;
    struct json_object *o;
    long long job;

    CLI(&r, "catalogue", "sync", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "action"), "job_enqueued");
    job = jint(o, "job_id");
    json_object_put(o);
    it_cli_result_free(&r);
    CLI(&r, "catalogue", "sync", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jint(o, "job_id"), job);
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'catalogue_sync' AND "
                                  "dedupe_key = 'catalogue' AND state = 'pending' AND id = %lld",
                                  job),
                     1);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM jobs WHERE kind = 'catalogue_sync'"),
                     1);
}

/* ---- schedules ---- */

static void test_schedules_show_status_leader_and_watermark(void **state)
{
    struct it_cli_result r;
    struct json_object *o, *poll, *cat;

    it_sql_longf(cli_db, "INSERT INTO schedules (task, last_run_at, last_success_at, last_error, "
                     "last_error_at, failing, replica, runs, failures) VALUES "
                     "('poll_despatches', '2026-11-30 10:00:05+00', '2026-11-30 09:59:05+00', "
                     "'peoplevox timed out', '2026-11-30 10:00:05+00', true, 'pod-a:1', 9, 2), "
                     "('catalogue_sync', '2026-11-30 09:00:00+00', '2026-11-30 09:00:00+00', "
                     "NULL, NULL, false, 'pod-b:1', 1, 0) RETURNING 1");
    it_sql_longf(cli_db, "INSERT INTO cursors (name, value) VALUES ('scheduler_leader', 'pod-b:1'), "
                     "('despatch_watermark', '1796083200'), ('poll_despatches', 'enqueued') "
                     "RETURNING 1");
    CLI(&r, "schedules", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "leader"), "pod-b:1");
    assert_string_equal(jstr(o, "despatch_watermark"), "2026-12-01T00:00:00Z");
    assert_int_equal(jlen(o, "tasks"), 15); /* every task, those that never ran too */
    /* off without SHOPVOX_REPORT_WEBHOOK_URL: listed, every 0 s */
    assert_string_equal(jstr(jidx(o, "tasks", 14), "task"), "report_daily");
    assert_int_equal(jint(jidx(o, "tasks", 14), "interval_s"), 0);
    assert_string_equal(jstr(jidx(o, "tasks", 8), "task"), "reconcile_inventory");
    assert_string_equal(jstr(jidx(o, "tasks", 9), "task"), "sweep_orders");
    /* off in this configuration (no SHOPVOX_PUBLIC_URL): listed, every 0 s */
    assert_string_equal(jstr(jidx(o, "tasks", 10), "task"), "ensure_webhooks");
    assert_int_equal(jint(jidx(o, "tasks", 10), "interval_s"), 0);
    cat = jidx(o, "tasks", 0);
    assert_string_equal(jstr(cat, "task"), "catalogue_sync");
    assert_false(json_object_get_boolean(jget(cat, "failing")));
    assert_null(jget(cat, "last_error"));
    assert_null(jget(jidx(o, "tasks", 1), "last_run_at"));   /* detect_stalled never ran */
    poll = jidx(o, "tasks", 3);
    assert_string_equal(jstr(poll, "task"), "poll_despatches");
    assert_true(json_object_get_boolean(jget(poll, "failing")));
    assert_string_equal(jstr(poll, "last_error"), "peoplevox timed out");
    assert_string_equal(jstr(poll, "last_run_at"), "2026-11-30T10:00:05Z");
    assert_string_equal(jstr(poll, "last_success_at"), "2026-11-30T09:59:05Z");
    assert_string_equal(jstr(poll, "replica"), "pod-a:1");
    assert_int_equal(jint(poll, "interval_s"), 60);
    assert_int_equal(jint(poll, "runs"), 9);
    assert_non_null(jget(poll, "enqueued_at"));
    assert_non_null(jget(poll, "next_due_at")); /* enqueued_at + 60 s */
    json_object_put(o);
    it_cli_result_free(&r);

    CLI(&r, "schedules");
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "Leader:"));
    assert_non_null(strstr(r.out, "poll_despatches"));
    assert_non_null(strstr(r.out, "peoplevox timed out"));
    it_cli_result_free(&r);

    CLI(&r, "schedules", "now", "--json");
    expect_json_error(&r, 2, "unexpected argument 'now'");
    it_cli_result_free(&r);
}

static void test_configuration_and_database_errors(void **state)
{
    const char *const no_shop[] = {"SHOPLINE_SHOP_DOMAIN=", NULL};
    const char *const bad_var[] = {"SHOPVOX_WORKERS=lots", NULL};
    const char *const list[] = {"exceptions", "list", NULL};
    struct it_cli_result r;

    it_cli_run_env(&r, cli_db, no_shop, list);
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "SHOPLINE_SHOP_DOMAIN"));
    it_cli_result_free(&r);
    it_cli_run_env(&r, "", NULL, list);
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    it_cli_run_env(&r, cli_db, bad_var, list);
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    it_cli_run_env(&r, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", NULL, list);
    expect_exit(&r, 1);
    assert_non_null(strstr(r.err, "could not connect"));
    it_cli_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing_set_and_list),
        cmocka_unit_test(test_help_and_version_everywhere),
        cmocka_unit_test(test_invalid_input_is_refused_up_front),
        cmocka_unit_test(test_catalogue_sync_enqueues_once),
        cmocka_unit_test(test_carriers_set_list_delete),
        cmocka_unit_test(test_schedules_show_status_leader_and_watermark),
        cmocka_unit_test(test_configuration_and_database_errors),
    };

    return cmocka_run_group_tests(tests, cli_group_setup, NULL);
}

