/*
 * it_orders_ratelimit.c - the Sales Order poster keeps to the shared
 * Peoplevox budget, end to end: two real shopvox replicas (two workers
 * each) on one database, the sandbox Peoplevox in this process, which
 * enforces the same budget as a sliding window and answers the excess 503
 * "Server Too Busy".
 *
 * Two runs. 24 orders at PEOPLEVOX_RATE=20/1s, one order per SaveData
 * (SHOPVOX_PVX_BATCH_MAX=1: two calls an order, so the budget really
 * bites). Then the burst of the issue: 500 paid orders at once, posted
 * with the default batches of 20, at PEOPLEVOX_RATE=15/3s with a 500 ms
 * margin for late calls (the default 15/15s and 2500 ms's bucket shape,
 * burst 2, five times faster so CI stays quick: 4 calls a second). The
 * first run keeps a 200 ms margin (burst 2, 15.8 calls a second). Each time every order must be sent and be in
 * the warehouse exactly once; the sandbox's own call log (`/_sandbox/calls`,
 * at_ms per call) must never show more than the budget's calls in any
 * window of its length, and the sandbox must have refused nothing: the
 * replicas together stayed inside the budget instead of being throttled
 * back into it.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
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

#define RATE_CALLS 20
#define RATE_WINDOW_MS 1000
#define N_ORDERS 24
#define BURST_ORDERS 500
#define BURST_CALLS 15
#define BURST_WINDOW_MS 3000

/*
 * The most calls of the sandbox's log after call seq_after in any half-open
 * window [t, t + window_ms); *n_calls how many calls that is. Fails the
 * test when the log (a ring) no longer holds the first of them.
 */
static long busiest_window(struct json_object *calls, long seq_after, long window_ms,
                           long *n_calls)
{
    size_t n = json_object_array_length(calls), first = 0, from = 0;
    long most = 0;

    while (from < n &&
           it_json_long(json_object_array_get_idx(calls, from), "seq") <= seq_after)
        from++;
    assert_true(from > 0 || n == 0 ||
                it_json_long(json_object_array_get_idx(calls, 0), "seq") == seq_after + 1);
    *n_calls = (long)(n - from);
    first = from;
    for (size_t k = from; k < n; k++) {
        long at = it_json_long(json_object_array_get_idx(calls, k), "at_ms");

        while (it_json_long(json_object_array_get_idx(calls, first), "at_ms") <= at - window_ms)
            first++;
        if ((long)(k - first + 1) > most)
            most = (long)(k - first + 1);
    }
    return most;
}

/* The sandbox's total calls so far (the seq of the last one). */
static long calls_so_far(void)
{
    return ito_sandbox_count("calls_total");
}

/* Sales Orders in the warehouse with number so, for every so of names (one state read). */
static void assert_each_in_warehouse_once(char (*names)[32], int n)
{
    struct json_object *state = ito_sandbox_get("/_sandbox/state"), *orders = NULL;
    size_t n_orders;

    assert_true(json_object_object_get_ex(state, "orders", &orders));
    n_orders = json_object_array_length(orders);
    for (int i = 0; i < n; i++) {
        char so[40];
        long found = 0;

        ito_so_of(names[i], so, sizeof(so));
        for (size_t k = 0; k < n_orders; k++) {
            const char *v = it_json_str(json_object_array_get_idx(orders, k), "SalesOrderNumber");

            found += v != NULL && strcmp(v, so) == 0;
        }
        if (found != 1)
            fail_msg("order %s (%s) is in the warehouse %ld times", names[i], so, found);
    }
    json_object_put(state);
}

/*
 * Sends n paid orders tagged tag to the running replicas and checks the
 * run against calls per window_ms (see the file's note).
 */
static void run_budget(const char *tag, int n, char (*names)[32], long calls, long window_ms,
                       const char *what)
{
    const struct it_line lines[] = {{"BEANIE-RED", 1, false}};
    struct json_object *log, *log_calls = NULL;
    long seq0 = calls_so_far(), refused0 = ito_sandbox_count("refused");
    long orders0 = ito_sandbox_count("sales_orders"), most, n_calls, refused;
    int64_t t0 = now_ms_monotonic(), sent_ms;

    ito_send_paid_orders(tag, n, lines, ARRAY_LEN(lines), names);
    sent_ms = now_ms_monotonic() - t0;
    for (int i = 0; i < n; i++)
        ito_wait_state(names[i], "sent");
    log = ito_sandbox_get("/_sandbox/calls");
    assert_true(json_object_object_get_ex(log, "calls", &log_calls));
    most = busiest_window(log_calls, seq0, window_ms, &n_calls);
    refused = ito_sandbox_count("refused") - refused0;
    printf("budget run: orders=%d calls=%ld busiest_%ldms_window=%ld refused=%ld sent_in_ms=%lld "
           "wall_ms=%lld (%s)\n",
           n, n_calls, window_ms, most, refused, (long long)sent_ms,
           (long long)(now_ms_monotonic() - t0), what);
    assert_true(most <= calls);
    assert_int_equal(refused, 0);
    assert_each_in_warehouse_once(names, n);
    assert_int_equal(ito_sandbox_count("sales_orders") - orders0, n);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
    json_object_put(log);
}

static void test_two_replicas_keep_to_the_peoplevox_budget(void **state)
{
    const char *env[] = {"PEOPLEVOX_RATE=20/1s", "SHOPVOX_PVX_BATCH_MAX=1",
                         "SHOPVOX_PVX_RATE_MARGIN_MS=200", NULL};
    static char names[N_ORDERS][32];
    struct it_proc b;

    assert_int_equal(ito_shopvox_start(env), 0);
    assert_int_equal(ito_proc_start(&b, env), 0);
    assert_int_equal(ito_wait_catalogue(), 0);
    run_budget("RL", N_ORDERS, names, RATE_CALLS, RATE_WINDOW_MS,
               "PEOPLEVOX_RATE=20/1s, 2 replicas x 2 workers, batch 1");
    assert_int_equal(it_proc_stop(&b, SIGTERM, 20000), 0);
    assert_int_equal(it_proc_stop(&ito.proc, SIGTERM, 20000), 0);
}

static void test_500_order_burst_keeps_to_the_peoplevox_budget(void **state)
{
    const char *env[] = {"PEOPLEVOX_RATE=15/3s", "SHOPVOX_PVX_RATE_MARGIN_MS=500", NULL};
    static char names[BURST_ORDERS][32];
    char rate[96];
    struct it_proc b;

    snprintf(rate, sizeof(rate), "{\"rate_limit\":{\"calls\":%d,\"window_ms\":%d}}",
             BURST_CALLS, BURST_WINDOW_MS);
    ito_sandbox_post("/_sandbox/faults", rate);
    assert_int_equal(ito_shopvox_start(env), 0);
    assert_int_equal(ito_proc_start(&b, env), 0);
    run_budget("RB", BURST_ORDERS, names, BURST_CALLS, BURST_WINDOW_MS,
               "PEOPLEVOX_RATE=15/3s, 2 replicas x 2 workers, batch 20");
    assert_int_equal(it_proc_stop(&b, SIGTERM, 20000), 0);
}

static int group_setup(void **state)
{
    struct sandbox_pvx_opts so = {0};

    so.rate_limit_calls = RATE_CALLS;
    so.rate_limit_window_ms = RATE_WINDOW_MS;
    return ito_start_sandbox("ratelimit_orders", &so);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_replicas_keep_to_the_peoplevox_budget),
        cmocka_unit_test(test_500_order_burst_keeps_to_the_peoplevox_budget),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
