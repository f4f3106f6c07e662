/*
 * it_despatch_crash.c - exactly-once fulfillment under process death.
 *
 * Twenty orders made in the fake SHOPLINE store reach the warehouse; the
 * warehouse despatches them, ten whole and ten in two parts (30
 * despatches, each with its own tracking number). The store answers
 * slowly (slow_ms), so create_fulfillment calls are in flight when the
 * only shopvox replica is killed with SIGKILL: some of those calls are
 * applied by the store after their caller died (the reply lost), others
 * never reach it. Then TWO replicas take over (their leases expired, the
 * jobs are claimed again). Every despatch must end fulfilled in the
 * database, and the store must hold exactly one fulfillment per despatch:
 * each tracking number once, none lost, none doubled.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

#define N_ORDERS 20
#define N_PARTIAL 10
#define N_DESPATCHES (N_ORDERS + N_PARTIAL)

static char names[N_ORDERS][32], ids[N_ORDERS][32], sos[N_ORDERS][40];

static void tracking_of(int order, int part, char *out, size_t cap)
{
    snprintf(out, cap, "TRK-CR-%02d-%d", order, part);
}

/* Until the store holds some fulfillments and a create_fulfillment call is running. */
static bool mid_flight(void *arg)
{
    (void)arg;
    return it_sandbox_count(itl.port, "fulfillments") >= 3 &&
           it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE kind = 'create_fulfillment' "
                               "AND state = 'running'") > 0;
}

/* Until the store holds more fulfillments than *(long *)arg. */
static bool store_grew(void *arg)
{
    return it_sandbox_count(itl.port, "fulfillments") > *(long *)arg;
}

static void despatch_all(void)
{
    char tracking[32];

    for (int i = 0; i < N_ORDERS; i++) {
        tracking_of(i, 0, tracking, sizeof(tracking));
        if (i < N_PARTIAL) {
            itl_despatch(sos[i], "[{\"ItemCode\":\"TEE-BLK-M\",\"qty\":1}]", "DPD", "Next day",
                         tracking);
            tracking_of(i, 1, tracking, sizeof(tracking));
        }
        itl_despatch(sos[i], NULL, "DPD", "Next day", tracking);
    }
}

/* Each despatch is exactly one fulfillment in the store, with its tracking number. */
static void check_store(void)
{
    for (int i = 0; i < N_ORDERS; i++) {
        char tracking[32];
        long once;

        tracking_of(i, 0, tracking, sizeof(tracking));
        assert_int_equal(itl_store_count_fulfillments(ids[i], tracking, &once),
                         i < N_PARTIAL ? 2 : 1);
        assert_int_equal(once, 1);
        if (i < N_PARTIAL) {
            tracking_of(i, 1, tracking, sizeof(tracking));
            itl_store_count_fulfillments(ids[i], tracking, &once);
            assert_int_equal(once, 1);
        }
    }
    assert_int_equal(it_sandbox_count(itl.port, "fulfillments"), N_DESPATCHES);
}

static void test_kill9_during_fulfillments_then_two_replicas(void **state)
{
    const char *env[] = {ITL_ENV, "SHOPVOX_DESPATCH_POLL_S=1", "PEOPLEVOX_RATE=100000/1s",
                         "SHOPLINE_RATE_PER_SEC=100", "SHOPLINE_BURST=100", "SHOPVOX_WORKERS=3",
                         "SHOPVOX_JOB_LEASE_S=5", NULL};
    struct it_proc a, b, c;
    char unused[32];
    long at_kill;

    (void)state;
    assert_int_equal(ito_proc_start(&a, env), 0);
    assert_int_equal(ito_wait_catalogue(), 0);
    for (int i = 0; i < N_ORDERS; i++) {
        it_order_next(unused, sizeof(unused), names[i], sizeof(names[i]), "CF");
        itl_order_paid(a.port, names[i],
                       "[{\"sku\":\"TEE-BLK-M\",\"quantity\":2},{\"sku\":\"MUG-LOGO\","
                       "\"quantity\":1}]",
                       ids[i], sizeof(ids[i]));
    }
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM orders WHERE state = 'sent'",
                                      N_ORDERS, ITO_WAIT_MS),
                     N_ORDERS);
    for (int i = 0; i < N_ORDERS; i++)
        ito_so_of(names[i], sos[i], sizeof(sos[i]));

    assert_int_equal(it_sandbox_post(itl.port, "/_sandbox/faults", "{\"slow_ms\":700}"), 0);
    despatch_all();
    assert_true(it_wait_until(mid_flight, NULL, 60000));
    it_proc_stop(&a, SIGKILL, 2000);
    at_kill = it_sandbox_count(itl.port, "fulfillments");
    assert_true(at_kill < N_DESPATCHES);
    /* calls the store was still holding land now, their caller dead */
    it_wait_until(store_grew, &at_kill, 1500);
    printf("despatch crash: fulfillments in the store at the kill %ld, applied after it %ld\n",
           at_kill, it_sandbox_count(itl.port, "fulfillments") - at_kill);

    assert_int_equal(it_sandbox_post(itl.port, "/_sandbox/faults", "{\"slow_ms\":100}"), 0);
    assert_int_equal(ito_proc_start(&b, env), 0);
    assert_int_equal(ito_proc_start(&c, env), 0);
    assert_int_equal(it_wait_sql_long(ito.db, "SELECT count(*) FROM despatches WHERE state = "
                                              "'fulfilled'",
                                      N_DESPATCHES, 90000),
                     N_DESPATCHES);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM orders WHERE state = 'fulfilled'"),
                     N_ORDERS);
    check_store();
    /* the kill cut attempts short: their jobs ran again */
    assert_true(ito_sql_count("SELECT count(*) FROM jobs WHERE kind = 'create_fulfillment' "
                              "AND attempts > 1") > 0);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE state = 'open'"), 0);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs WHERE state = 'dead'"), 0);
    assert_int_equal(it_proc_stop(&b, SIGTERM, 20000), 0);
    assert_int_equal(it_proc_stop(&c, SIGTERM, 20000), 0);
}

static int group_setup(void **state)
{
    (void)state;
    return itl_start_world("despatch_crash", 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_during_fulfillments_then_two_replicas),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
