/*
 * it_despatch_load.c - 200 despatches against an exhausted SHOPLINE
 * budget, three replicas sharing the limiter: every despatch becomes
 * exactly one fulfillment, and the store never sees more than its budget.
 *
 * The world: one database, the sandbox Peoplevox and the fake SHOPLINE in
 * this process, three real shopvox replicas (4 workers each, despatch
 * poll every second). The budget is scaled so the run takes seconds, not
 * minutes: SHOPLINE_RATE_PER_SEC=20, SHOPLINE_BURST=5 in shopvox, and the
 * fake store's leaky bucket the same 20/s, 5, so a call over the budget is
 * a 429 there. 200 paid orders are made in the store and delivered to the
 * replicas as its signed webhooks, and reach the warehouse. Then the
 * budget is spent: the store's bucket starts full and the shared limiter
 * bucket empty (as if another replica had just used it all), and the
 * warehouse despatches all 200 at once.
 *
 * Checked: every despatch fulfilled and every order fulfilled in the
 * database; in the store, each order holds exactly one fulfillment, with
 * its tracking number; the store's traffic record (every API call it
 * received, refused ones too) shows no 429 and at most burst + rate calls
 * in any sliding second, and on average no more than the rate.
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
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_sandbox.h"

#define RATE 20
#define BURST 5
#define N_DESPATCHES 200
#define N_REPLICAS 3
#define DRAIN_WAIT_MS 120000

static char names[N_DESPATCHES][32], ids[N_DESPATCHES][32], sos[N_DESPATCHES][40];

/* N_DESPATCHES paid orders made in the store, delivered round robin, each sent to Peoplevox. */
static void make_orders(const struct it_proc *replicas)
{
    char unused[32];

    for (int i = 0; i < N_DESPATCHES; i++) {
        it_order_next(unused, sizeof(unused), names[i], sizeof(names[i]), "LD");
        itl_order_paid(replicas[i % N_REPLICAS].port, names[i],
                       "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1}]", ids[i], sizeof(ids[i]));
    }
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM orders WHERE state = 'sent'",
                                      N_DESPATCHES, 60000),
                     N_DESPATCHES);
    for (int i = 0; i < N_DESPATCHES; i++)
        ito_so_of(names[i], sos[i], sizeof(sos[i]));
}

static void test_200_despatches_3_replicas_exhausted_budget(void **state)
{
    const char *env[] = {ITL_ENV, "SHOPLINE_RATE_PER_SEC=20", "SHOPLINE_BURST=5",
                         "SHOPVOX_DESPATCH_POLL_S=1", "PEOPLEVOX_RATE=100000/1s",
                         "SHOPVOX_WORKERS=4", NULL};
    struct it_proc replicas[N_REPLICAS];
    struct json_object *traffic;
    long requests, refused, busiest, span_ms;
    int64_t t0, drained_ms;

    (void)state;
    for (int i = 0; i < N_REPLICAS; i++)
        assert_int_equal(ito_proc_start(&replicas[i], env), 0);
    assert_int_equal(ito_wait_catalogue(), 0);
    make_orders(replicas);

    itl_bucket(RATE, BURST, true);
    itl_exhaust_limiter();
    t0 = now_ms_monotonic();
    for (int i = 0; i < N_DESPATCHES; i++) {
        char tracking[32];

        snprintf(tracking, sizeof(tracking), "TRK-LD-%03d", i);
        itl_despatch(sos[i], NULL, "DPD", "Next day", tracking);
    }
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM despatches WHERE state = "
                                              "'fulfilled'",
                                      N_DESPATCHES, DRAIN_WAIT_MS),
                     N_DESPATCHES);
    drained_ms = now_ms_monotonic() - t0;

    assert_int_equal(ito_sql_count("SELECT count(*) FROM orders WHERE state = 'fulfilled'"),
                     N_DESPATCHES);
    for (int i = 0; i < N_DESPATCHES; i++) {
        char tracking[32];
        long with_tracking;

        snprintf(tracking, sizeof(tracking), "TRK-LD-%03d", i);
        assert_int_equal(itl_store_count_fulfillments(ids[i], tracking, &with_tracking), 1);
        assert_int_equal(with_tracking, 1);
    }
    assert_int_equal(it_sandbox_count(itl.port, "fulfillments"), N_DESPATCHES);

    traffic = itl_traffic();
    requests = it_json_long(traffic, "requests");
    refused = it_json_long(traffic, "refused");
    busiest = it_json_long(traffic, "busiest_1s");
    span_ms = it_json_long(traffic, "last_at_ms") - it_json_long(traffic, "first_at_ms");
    printf("despatch load: despatches=%d replicas=%d drained_ms=%lld store_requests=%ld "
           "refused_429=%ld busiest_1s=%ld avg_per_s=%.1f (budget %d/s burst %d)\n",
           N_DESPATCHES, N_REPLICAS, (long long)drained_ms, requests, refused, busiest,
           span_ms > 0 ? (double)requests * 1000.0 / (double)span_ms : 0.0, RATE, BURST);
    assert_true(requests >= N_DESPATCHES);
    assert_int_equal(refused, 0);
    assert_true(busiest <= RATE + BURST);
    assert_true(requests <= BURST + RATE * (span_ms / 1000 + 1));
    json_object_put(traffic);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
    for (int i = 0; i < N_REPLICAS; i++)
        assert_int_equal(it_proc_stop(&replicas[i], SIGTERM, 20000), 0);
}

static int group_setup(void **state)
{
    (void)state;
    return itl_start_world("despatch_load", RATE, BURST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_200_despatches_3_replicas_exhausted_budget),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
