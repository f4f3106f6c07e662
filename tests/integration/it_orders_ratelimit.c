/*
 * it_orders_ratelimit.c - the Sales Order poster keeps to the shared
 * Peoplevox budget, end to end: two real shopvox replicas (two workers
 * each) on one database, the sandbox Peoplevox in this process.
 *
 * PEOPLEVOX_RATE=20/1s (the real 15/15s, scaled so CI stays quick) and one
 * order per SaveData (SHOPVOX_PVX_BATCH_MAX=1: two calls an order, so the
 * budget really bites). The sandbox enforces the same 20 calls per 1 s
 * window and answers the excess 503 "Server Too Busy". Every order must
 * be sent once; the sandbox's own call log (`/_sandbox/calls`, at_ms per
 * call) must never show more than 20 calls in any 1 s window, and the
 * sandbox must have refused nothing: the replicas together stayed inside
 * the budget instead of being throttled back into it.
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

/* The most calls of the sandbox's log in any half-open window [t, t + window_ms). */
static long busiest_window(struct json_object *calls, long window_ms, long *n_calls)
{
    size_t n = json_object_array_length(calls);
    long most = 0;
    size_t first = 0;

    *n_calls = (long)n;
    for (size_t k = 0; k < n; k++) {
        long at = it_json_long(json_object_array_get_idx(calls, k), "at_ms");

        while (it_json_long(json_object_array_get_idx(calls, first), "at_ms") <= at - window_ms)
            first++;
        if ((long)(k - first + 1) > most)
            most = (long)(k - first + 1);
    }
    return most;
}

static void test_two_replicas_keep_to_the_peoplevox_budget(void **state)
{
    const char *env[] = {"PEOPLEVOX_RATE=20/1s", "SHOPVOX_PVX_BATCH_MAX=1", NULL};
    const struct it_line lines[] = {{"BEANIE-RED", 1, false}};
    static char names[N_ORDERS][32];
    struct json_object *log, *calls = NULL;
    struct it_proc b;
    long most, n_calls, refused;
    int64_t t0;

    assert_int_equal(ito_shopvox_start(env), 0);
    assert_int_equal(ito_proc_start(&b, env), 0);
    assert_int_equal(ito_wait_catalogue(), 0);
    t0 = now_ms_monotonic();
    ito_send_paid_orders("RL", N_ORDERS, lines, ARRAY_LEN(lines), names);
    for (int i = 0; i < N_ORDERS; i++)
        ito_wait_state(names[i], "sent");
    log = ito_sandbox_get("/_sandbox/calls");
    assert_true(json_object_object_get_ex(log, "calls", &calls));
    most = busiest_window(calls, RATE_WINDOW_MS, &n_calls);
    refused = ito_sandbox_count("refused");
    printf("budget run: orders=%d calls=%ld busiest_%dms_window=%ld refused=%ld wall_ms=%lld "
           "(PEOPLEVOX_RATE=20/1s, 2 replicas x 2 workers, batch 1)\n",
           N_ORDERS, n_calls, RATE_WINDOW_MS, most, refused,
           (long long)(now_ms_monotonic() - t0));
    assert_true(n_calls >= 2 * N_ORDERS);
    assert_true(most <= RATE_CALLS);
    assert_int_equal(refused, 0);
    for (int i = 0; i < N_ORDERS; i++) {
        char so[40];

        ito_so_of(names[i], so, sizeof(so));
        assert_int_equal(ito_sandbox_orders_numbered(so), 1);
    }
    assert_int_equal(ito_sandbox_count("sales_orders"), N_ORDERS);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
    json_object_put(log);
    it_proc_stop(&b, SIGTERM, 20000);
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
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
