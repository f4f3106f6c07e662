/*
 * it_orders_throttle.c - Peoplevox throttling and whole-call refusals, end
 * to end: the real shopvox binary (two workers) on a real database, the
 * sandbox Peoplevox in this process, throttling like the real service.
 *
 * The sandbox caps calls at 15 per 1.5 s (the real 15 per 15 s, ten times
 * faster, so CI stays quick) and answers the excess HTTP 503 "Server Too
 * Busy"; batches are 4 orders (a test-only size: small batches make many
 * calls, so the cap really bites). 200 paid orders must all be sent, each
 * Sales Order once in the SANDBOX's state, no job dead, and no GetData
 * existence check caused by throttling. The run prints its figures.
 *
 * The refusal tests switch the cap off and make the sandbox refuse SaveData
 * calls as a whole (ResponseId -1) with a chosen Detail: a transient text is
 * retried and posted, a data text holds the order with Peoplevox's text, in
 * the single and in the batched path alike.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_orders_world.h"
#include "it_sandbox.h"
#include "sandbox.h"

#define RATE_CALLS 15
#define RATE_WINDOW_MS 1500
#define WAIT_ALL_MS 300000

static int reset(void **state)
{
    ito_sandbox_post("/_sandbox/reset", "{}");
    return 0;
}

/* Sends n paid orders of two lines tagged tag; names[i] receives each name. */
static void send_paid(const char *tag, int n, char (*names)[32])
{
    const struct it_line lines[] = {{"BEANIE-RED", 1, false}, {"SCARF-WOOL", 2, false}};

    ito_send_paid_orders(tag, n, lines, ARRAY_LEN(lines), names);
}

/* Waits until want orders tagged tag are in state; returns how many are. */
static long wait_orders(const char *tag, const char *state, long want)
{
    char *sql = xasprintf("SELECT count(*) FROM orders WHERE name LIKE '#%s%%' AND state = '%s'",
                          tag, state);
    long n = it_wait_sql_long(ito.db, sql, want, WAIT_ALL_MS);

    free(sql);
    return n;
}

static long sandbox_op_calls(const char *op)
{
    struct json_object *o = ito_sandbox_get("/_sandbox/state");
    struct json_object *calls;
    long n = 0;

    if (json_object_object_get_ex(o, "calls", &calls))
        n = it_json_long(calls, op);
    json_object_put(o);
    return n < 0 ? 0 : n;
}

static long dead_jobs(const char *tag)
{
    return ito_sql_count("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                         "WHERE o.name LIKE '#%s%%' AND j.state = 'dead'",
                         tag);
}

static void test_two_hundred_orders_under_throttling_all_sent_once(void **state)
{
    enum { N = 200 };
    static char names[N][32];
    long get_data_before;
    int64_t t0;
    long sent, held, dead, refused, calls, posted;

    /*
     * The start's catalogue read and warehouse sweep (both LOW: claimed after
     * every post) read with GetData too: let them finish first, so the count
     * below is the posts' own existence checks.
     */
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM schedules WHERE task IN "
                                              "('catalogue_sync', 'sweep_warehouse') AND "
                                              "last_run_at IS NOT NULL", 2, 60000),
                     2);
    get_data_before = sandbox_op_calls("GetData");
    t0 = now_ms_monotonic();
    send_paid("T", N, names);
    sent = wait_orders("T", "sent", N);
    if (sent != N)
        it_proc_dump_log(&ito.proc);
    held = ito_sql_count("SELECT count(*) FROM orders WHERE name LIKE '#T%%' AND state = "
                         "'on_hold'");
    dead = dead_jobs("T");
    refused = ito_sandbox_count("refused");
    calls = ito_sandbox_count("calls_total");
    posted = ito_sandbox_count("sales_orders");
    printf("throttled run: orders=%d sent=%ld posted=%ld held=%ld dead=%ld refused=%ld "
           "soap_calls=%ld wall_ms=%lld (cap %d calls / %d ms, batch 4)\n",
           N, sent, posted, held, dead, refused, calls, (long long)(now_ms_monotonic() - t0),
           RATE_CALLS, RATE_WINDOW_MS);
    assert_int_equal(sent, N);
    assert_int_equal(posted, N);
    assert_int_equal(held, 0);
    assert_int_equal(dead, 0);
    assert_true(refused > 0); /* the cap really bit */
    for (int i = 0; i < N; i++) {
        char so[40];

        ito_so_of(names[i], so, sizeof(so));
        assert_int_equal(ito_sandbox_orders_numbered(so), 1);
    }
    assert_int_equal(ito_sandbox_count("sales_order_items"), 2 * N);
    /* no existence check: a throttled call applied nothing, so nobody looked first */
    assert_int_equal(sandbox_op_calls("GetData"), get_data_before);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE state = 'open' AND "
                                   "subject LIKE '#T%%'"),
                     0);
}

/* No cap, and the next n SaveData calls refused as a whole with detail. */
static void refuse_saves(int n, const char *detail)
{
    char *json = xasprintf("{\"rate_limit\":{\"calls\":0},\"refuse_save\":%d,"
                           "\"refuse_detail\":\"%s\"}",
                           n, detail);

    ito_sandbox_post("/_sandbox/faults", json);
    free(json);
}

static void test_single_transient_refusal_is_retried_and_posted(void **state)
{
    char names[1][32];

    refuse_saves(1, "System : Server too busy, please try again later");
    send_paid("RS", 1, names);
    assert_int_equal(wait_orders("RS", "sent", 1), 1);
    ito_wait_jobs_idle(names[0]);
    assert_int_equal(ito_sandbox_fault("refuse_save"), 0);
    assert_int_equal(ito_sandbox_count("sales_orders"), 1);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE subject = '%s'",
                                   names[0]),
                     0);
}

static void test_single_data_refusal_holds_with_text(void **state)
{
    char names[1][32];

    refuse_saves(1, "Customer field CUSTX is not valid for this client");
    send_paid("RD", 1, names);
    ito_wait_state(names[0], "on_hold");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE subject = '%s' AND "
                                   "type = 'peoplevox_rejected' AND state = 'open' AND detail "
                                   "LIKE '%%CUSTX is not valid%%'",
                                   names[0]),
                     1);
    assert_int_equal(ito_sandbox_count("sales_orders"), 0);
}

/*
 * Orders queued behind slow calls, then claimed together: the sandbox's
 * call log shows a refused SaveData of several rows (a batch).
 */
static void send_batched(const char *tag, int n, char (*names)[32], int refusals,
                         const char *detail)
{
    char *sql = xasprintf("SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND "
                          "dedupe_key IN (SELECT id::text FROM orders WHERE name LIKE '#%s%%')",
                          tag);

    ito_sandbox_post("/_sandbox/faults", "{\"rate_limit\":{\"calls\":0},\"slow_ms\":700}");
    send_paid(tag, n, names);
    assert_int_equal(it_wait_sql_long(ito.db, sql, n, ITO_WAIT_MS), n);
    free(sql);
    refuse_saves(refusals, detail);
    ito_sandbox_post("/_sandbox/faults", "{\"slow_ms\":0}");
}

static void test_batch_transient_refusal_is_retried_and_posted(void **state)
{
    enum { N = 8 };
    char names[N][32];

    send_batched("BT", N, names, 3, "Transaction was deadlocked, try again");
    assert_int_equal(wait_orders("BT", "sent", N), N);
    for (int i = 0; i < N; i++)
        ito_wait_jobs_idle(names[i]);
    assert_int_equal(ito_sandbox_fault("refuse_save"), 0);
    assert_int_equal(ito_sandbox_count("sales_orders"), N);
    assert_true(ito_sandbox_max_rows("Sales orders") >= 2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE subject LIKE '#BT%%'"),
                     0);
    assert_int_equal(dead_jobs("BT"), 0);
}

static void test_batch_data_refusal_holds_with_text(void **state)
{
    enum { N = 8 };
    char names[N][32];

    send_batched("BX", N, names, 1000, "Customer field CUSTX is not valid for this client");
    assert_int_equal(wait_orders("BX", "on_hold", N), N);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE subject LIKE '#BX%%' "
                                   "AND type = 'peoplevox_rejected' AND state = 'open' AND "
                                   "detail LIKE '%%CUSTX is not valid%%'"),
                     N);
    assert_int_equal(ito_sandbox_count("sales_orders"), 0);
    assert_int_equal(dead_jobs("BX"), 0);
}

static int group_setup(void **state)
{
    struct sandbox_pvx_opts so = {.password_encoding = SANDBOX_PW_BASE64,
                                  .rate_limit_calls = RATE_CALLS,
                                  .rate_limit_window_ms = RATE_WINDOW_MS};
    const char *env[] = {"SHOPVOX_PVX_BATCH_MAX=4", NULL};

    return ito_start_synced("orders_throttle", &so, env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_two_hundred_orders_under_throttling_all_sent_once, reset),
        cmocka_unit_test_setup(test_single_transient_refusal_is_retried_and_posted, reset),
        cmocka_unit_test_setup(test_single_data_refusal_holds_with_text, reset),
        cmocka_unit_test_setup(test_batch_transient_refusal_is_retried_and_posted, reset),
        cmocka_unit_test_setup(test_batch_data_refusal_holds_with_text, reset),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
