/*
 * it_webhooks.c - webhook subscriptions kept alive and the app's install
 * state, end to end: the real binary, PostgreSQL, the fake SHOPLINE store
 * and the fake Peoplevox (it_loop).
 *
 *  - `shopvox webhooks ensure` creates every topic on an empty store at
 *    SHOPVOX_PUBLIC_URL with the pinned version, and is a no-op the second
 *    time; `webhooks list` shows them as ours; without SHOPVOX_PUBLIC_URL
 *    it says the feature is off;
 *  - a subscription "deleted" by the platform (the fake's control) is
 *    re-created by the scheduled ensure_webhooks job and reported by one
 *    webhook_subscription_restored naming the topic; one left with another
 *    api_version gets the right one created beside it, reported as
 *    wrong_api_version;
 *  - apps/installed_uninstalled UNINSTALL pauses every outbound call: a
 *    paid order waits (no Peoplevox call, no Shopline call leaves, the job
 *    is not dead), app_uninstalled is open and shopvox_outbound_paused is
 *    1; INSTALL resumes: the order reaches Peoplevox and the exception is
 *    resolved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it.h"
#include "it_cli_run.h"
#include "it_http.h"
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_proc.h"

#define PUBLIC_URL "https://shopvox.example"
#define ADDRESS PUBLIC_URL "/webhooks/shopline"
#define N_TOPICS 10
#define WAIT_MS 20000

static const char *public_env = "SHOPVOX_PUBLIC_URL=" PUBLIC_URL;

/* The fake store's subscriptions (caller puts the array's owner, returned in *root). */
static struct json_object *store_subs(struct json_object **root)
{
    struct it_resp r;
    struct json_object *subs = NULL;

    it_http(itl_port(), "GET", "/_sandbox/subscriptions", NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    *root = json_tokener_parse(r.body);
    it_resp_free(&r);
    assert_true(json_object_object_get_ex(*root, "webhooks", &subs));
    return subs;
}

/* How many subscriptions of topic (NULL: any) at ADDRESS with v20260301 the store has. */
static long store_count(const char *topic)
{
    struct json_object *root, *subs = store_subs(&root);
    long n = 0;

    for (size_t i = 0; i < json_object_array_length(subs); i++) {
        struct json_object *s = json_object_array_get_idx(subs, i);

        n += (topic == NULL || strcmp(it_json_str(s, "topic"), topic) == 0) &&
             strcmp(it_json_str(s, "address"), ADDRESS) == 0 &&
             strcmp(it_json_str(s, "api_version"), "v20260301") == 0;
    }
    json_object_put(root);
    return n;
}

static long store_requests(void)
{
    struct json_object *t = itl_traffic();
    long n = it_json_long(t, "requests");

    json_object_put(t);
    return n;
}

/* `shopvox webhooks SUB --json` with the store's environment (and public_url when not NULL). */
static void cli_webhooks(struct it_cli_result *r, const char *sub, const char *public_url)
{
    const char *env[] = {ITL_ENV, public_url, NULL};
    const char *args[] = {"webhooks", sub, "--json", NULL};

    it_cli_run_env(r, ito.db, env, args);
}

static void wait_sql(const char *sql, long want)
{
    long got = it_wait_sql_long(ito.db, sql, want, WAIT_MS);

    if (got != want) {
        it_proc_dump_log(&ito.proc);
        fail_msg("%s: %ld, want %ld", sql, got, want);
    }
}

static void test_cli_ensure_creates_all_then_nothing(void **state)
{
    struct it_cli_result r;
    struct json_object *out;
    long calls;

    (void)state;
    assert_int_equal(store_count(NULL), 0);
    cli_webhooks(&r, "ensure", NULL); /* off without SHOPVOX_PUBLIC_URL, and says so */
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.out, "SHOPVOX_PUBLIC_URL is not set"));
    it_cli_result_free(&r);

    calls = store_requests();
    cli_webhooks(&r, "ensure", public_env);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(store_requests() - calls, 1 + N_TOPICS); /* one list, one create each */
    out = it_cli_json(&r);
    assert_int_equal(it_json_long(out, "created"), N_TOPICS);
    assert_string_equal(it_json_str(out, "address"), ADDRESS);
    json_object_put(out);
    it_cli_result_free(&r);
    assert_int_equal(store_count(NULL), N_TOPICS);
    assert_int_equal(store_count("apps/installed_uninstalled"), 1);

    calls = store_requests();
    cli_webhooks(&r, "ensure", public_env); /* the second time: nothing to do */
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(store_requests() - calls, 1); /* the list alone */
    out = it_cli_json(&r);
    assert_int_equal(it_json_long(out, "created"), 0);
    json_object_put(out);
    it_cli_result_free(&r);
    assert_int_equal(store_count(NULL), N_TOPICS);

    cli_webhooks(&r, "list", public_env);
    assert_int_equal(r.exit_code, 0);
    out = it_cli_json(&r);
    assert_int_equal(json_object_array_length(out), N_TOPICS);
    assert_string_equal(it_json_str(json_object_array_get_idx(out, 0), "ours"), "yes");
    json_object_put(out);
    it_cli_result_free(&r);
    /* an operator's first run is the registration: nothing to report */
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE type = "
                                         "'webhook_subscription_restored'"), 0);
}

static void test_deleted_subscription_restored_and_reported(void **state)
{
    const char *env[] = {ITL_ENV, public_env, "SHOPVOX_METRICS_REFRESH_S=1", NULL};

    (void)state;
    assert_int_equal(ito_shopvox_start(env), 0);
    /* the first scheduled run finds everything in place */
    wait_sql("SELECT count(*) FROM jobs WHERE kind = 'ensure_webhooks' AND state = 'done'", 1);
    assert_int_equal(store_count(NULL), N_TOPICS);

    itl_store_control("/_sandbox/subscriptions/delete", "{\"topic\":\"orders/paid\"}");
    assert_int_equal(store_count("orders/paid"), 0);
    it_sql_exec(ito.db, "UPDATE cursors SET updated_at = now() - interval '1 day' "
                        "WHERE name = 'ensure_webhooks'");
    wait_sql("SELECT count(*) FROM exceptions WHERE type = 'webhook_subscription_restored' "
             "AND subject = 'orders/paid' AND state = 'open' AND detail LIKE '%was missing%'",
             1);
    assert_int_equal(store_count("orders/paid"), 1);
    assert_int_equal(store_count(NULL), N_TOPICS);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE type = "
                                         "'webhook_subscription_restored'"), 1);
}

static void test_wrong_version_gets_the_right_one(void **state)
{
    struct it_resp r;

    (void)state;
    itl_store_control("/_sandbox/subscriptions/delete", "{\"topic\":\"orders/updated\"}");
    itl_store_api("POST", "/webhooks.json", "{\"webhook\":{\"address\":\"" ADDRESS "\","
                  "\"topic\":\"orders/updated\",\"api_version\":\"v20250101\"}}", &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    it_sql_exec(ito.db, "UPDATE cursors SET updated_at = now() - interval '1 day' "
                        "WHERE name = 'ensure_webhooks'");
    wait_sql("SELECT count(*) FROM exceptions WHERE type = 'webhook_subscription_restored' "
             "AND subject = 'orders/updated' AND detail LIKE '%wrong_api_version%v20250101%'",
             1);
    assert_int_equal(store_count("orders/updated"), 1); /* the right one, beside the old */
    assert_int_equal(store_count(NULL), N_TOPICS);
}

/* POST /_sandbox/app {"operate": op} delivered to the running shopvox; answered 200. */
static void app_event(const char *op)
{
    char body[160];

    snprintf(body, sizeof(body),
             "{\"operate\":\"%s\",\"url\":\"http://127.0.0.1:%d/webhooks/shopline\"}", op,
             ito.proc.port);
    itl_store_control("/_sandbox/app", body);
}

static void test_uninstall_pauses_install_resumes(void **state)
{
    long pvx_calls, sl_calls;
    char id[40];

    (void)state;
    app_event("UNINSTALL");
    wait_sql("SELECT count(*) FROM exceptions WHERE type = 'app_uninstalled' AND state = 'open'",
             1);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM outbound_pauses"), 1);
    pvx_calls = ito_sandbox_count("calls_total");
    sl_calls = store_requests();

    itl_order_paid(ito.proc.port, "#U1", "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]", id,
                   sizeof(id));
    it_sql_exec(ito.db, "UPDATE cursors SET updated_at = now() - interval '1 day' "
                        "WHERE name = 'ensure_webhooks'"); /* a Shopline job is due too */
    wait_sql("SELECT count(*) FROM jobs WHERE kind = 'ensure_webhooks' AND state = 'pending' "
             "AND last_error LIKE '%paused%'", 1);
    sleep(3);
    assert_int_equal(ito_sandbox_count("calls_total"), pvx_calls);
    assert_int_equal(store_requests(), sl_calls);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM orders WHERE name = '#U1' AND "
                                         "state = 'sent'"), 0);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
    assert_true(it_metric(ito.proc.ops_port, "shopvox_outbound_paused") == 1);

    app_event("INSTALL");
    wait_sql("SELECT count(*) FROM orders WHERE name = '#U1' AND state = 'sent'", 1);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM outbound_pauses"), 0);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM exceptions WHERE type = "
                                         "'app_uninstalled' AND state = 'resolved'"), 1);
    wait_sql("SELECT count(*) FROM jobs WHERE kind = 'ensure_webhooks' AND state = 'pending'",
             0);
}

static int group_setup(void **state)
{
    (void)state;
    it_require_db();
    return itl_start_world("webhooks", 4, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_ensure_creates_all_then_nothing),
        cmocka_unit_test(test_deleted_subscription_restored_and_reported),
        cmocka_unit_test(test_wrong_version_gets_the_right_one),
        cmocka_unit_test(test_uninstall_pauses_install_resumes),
    };

    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
