/*
 * it_poll_replicas.c - two replicas of shopvox on one database, one
 * despatch poller: exactly one replica leads the scheduler (the one the
 * scheduler_leader cursor names, the only one whose
 * shopvox_scheduler_leader is 1), each despatch is recorded once with its
 * units counted once, and when the leader is killed (-9: no goodbye, its
 * advisory lock goes with its connection) the other replica takes over
 * and the next despatches are recorded too.
 *
 * Polls run every second and job leases last 5 s, so a poll job the killed
 * leader was running is rescued within seconds.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_http.h"
#include "it_order.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_wait.h"

#define N_ORDERS 6

static struct it_proc other; /* the second replica (ito.proc is the first) */

/* Despatches all of Sales Order so in the fake warehouse. */
static void despatch(const char *so)
{
    char body[256];

    snprintf(body, sizeof(body), "{\"SalesOrderNumber\":\"%s\",\"TrackingNumber\":\"TRK-%s\"}",
             so, so);
    ito_sandbox_post("/_sandbox/despatch", body);
}

/* The replicas, for the wait conditions. */
static struct it_proc *const replicas[2] = {&ito.proc, &other};

/* Whether exactly one live replica says it leads (and every live one answers). */
static bool one_leader(void *arg)
{
    int leaders = 0;

    (void)arg;
    for (int i = 0; i < 2; i++) {
        double v;

        if (replicas[i]->pid <= 0)
            continue;
        v = it_metric(replicas[i]->ops_port, "shopvox_scheduler_leader");
        if (v < 0)
            return false;
        leaders += v == 1;
    }
    return leaders == 1;
}

static struct it_proc *leader_of_two(void)
{
    for (int i = 0; i < 2; i++)
        if (replicas[i]->pid > 0 &&
            it_metric(replicas[i]->ops_port, "shopvox_scheduler_leader") == 1)
            return replicas[i];
    return NULL;
}

/* "host:pid" of replica p, as it names itself. */
static void replica_of(const struct it_proc *p, char *out, size_t cap)
{
    char host[64] = "";

    gethostname(host, sizeof(host) - 1);
    snprintf(out, cap, "%s:%d", host, (int)p->pid);
}

/* Despatches orders [from, to) and checks each is recorded once, units counted once. */
static void despatch_and_check(char (*names)[32], int from, int to)
{
    for (int i = from; i < to; i++) {
        char so[40];

        ito_so_of(names[i], so, sizeof(so));
        despatch(so);
    }
    for (int i = from; i < to; i++)
        ito_wait_state(names[i], "despatched");
    for (int i = from; i < to; i++) {
        assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches d JOIN orders o ON o.id = "
                                       "d.order_id WHERE o.name = '%s'",
                                       names[i]),
                         1);
        assert_int_equal(ito_sql_count("SELECT count(*) FROM order_lines l JOIN orders o ON "
                                       "o.id = l.order_id WHERE o.name = '%s' AND "
                                       "l.qty_despatched = l.quantity",
                                       names[i]),
                         1);
        assert_int_equal(ito_sql_count("SELECT count(*) FROM order_events e JOIN orders o ON "
                                       "o.id = e.order_id WHERE o.name = '%s' AND "
                                       "e.event = 'despatched'",
                                       names[i]),
                         1);
    }
}

static void test_one_poller_and_takeover(void **state)
{
    const char *env[] = {"SHOPVOX_DESPATCH_POLL_S=1", "SHOPVOX_METRICS_REFRESH_S=1",
                         "SHOPVOX_JOB_LEASE_S=5", NULL};
    const struct it_line lines[] = {{"MUG-LOGO", 2, false}};
    static char names[N_ORDERS][32];
    struct it_proc *leader, *survivor;
    char name[96], *cursor, *sql;
    int64_t killed;

    (void)state;
    assert_int_equal(ito_shopvox_start(env), 0);
    assert_int_equal(ito_proc_start(&other, env), 0);
    assert_int_equal(ito_wait_catalogue(), 0);
    ito_send_paid_orders("RP", N_ORDERS, lines, 1, names);
    for (int i = 0; i < N_ORDERS; i++)
        ito_wait_state(names[i], "sent");

    assert_true(it_wait_until(one_leader, NULL, ITO_WAIT_MS));
    leader = leader_of_two();
    assert_non_null(leader);
    survivor = leader == &ito.proc ? &other : &ito.proc;
    replica_of(leader, name, sizeof(name));
    cursor = it_sql_text(ito.db, "SELECT value FROM cursors WHERE name = 'scheduler_leader'");
    assert_string_equal(cursor, name);
    free(cursor);
    assert_false(it_proc_log_has(survivor, "event=scheduler_leader"));
    despatch_and_check(names, 0, N_ORDERS / 2);
    assert_true(one_leader(NULL));

    killed = now_ms_monotonic();
    assert_int_equal(it_proc_stop(leader, SIGKILL, 5000), 128 + SIGKILL);
    assert_true(it_wait_until(one_leader, NULL, ITO_WAIT_MS));
    assert_true(leader_of_two() == survivor);
    print_message("the other replica led %lld ms after the leader was killed\n",
                  (long long)(now_ms_monotonic() - killed));
    replica_of(survivor, name, sizeof(name));
    cursor = it_sql_text(ito.db, "SELECT value FROM cursors WHERE name = 'scheduler_leader'");
    assert_string_equal(cursor, name);
    free(cursor);
    despatch_and_check(names, N_ORDERS / 2, N_ORDERS);
    /* the survivor's workers run the polls now; the status says so */
    sql = xasprintf("SELECT count(*) FROM schedules WHERE task = 'poll_despatches' AND "
                    "replica = '%s' AND NOT failing",
                    name);
    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    free(sql);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches"), N_ORDERS);
    assert_int_equal(it_proc_stop(survivor, SIGTERM, 20000), 0);
}

static int group_setup(void **state)
{
    (void)state;
    return ito_start_sandbox("poll_replicas", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_poller_and_takeover),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, ito_group_teardown);
}
