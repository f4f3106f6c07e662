/*
 * it_despatch_unconfirmed.c - a despatch Shopline has not confirmed is
 * watched: the real shopvox binary (despatch poll every second,
 * SHOPVOX_UNCONFIRMED_DESPATCH_S=3, gauges refreshed every second) on a real
 * database, the sandbox Peoplevox and the sandbox SHOPLINE in this process.
 *
 * Shopline answers 500 to everything: the despatch stays pending, and a
 * few seconds later one despatch_unconfirmed exception (customer service)
 * names the order, the despatch, the tracking number and the job's last
 * error; the gauges count it and age it. Shopline recovers: the
 * fulfillment lands, the exception resolves itself and the gauges fall to
 * 0. A despatch Shopline refuses for good (an order the store does not
 * know) counts as unconfirmed too (exception, not gauges), and once a
 * person resolves that exception it stays resolved.
 */
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
#include "it_http.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_loop.h"
#include "it_wait.h"

/* A gauge of /metrics within [min, max]. */
struct gauge_want {
    const char *name;
    double min, max;
    double seen;
};

static bool gauge_is(void *arg)
{
    struct gauge_want *g = arg;
    struct it_resp r = {0, NULL};
    char *line = NULL, head[128];
    bool ok = false;

    if (it_http(ito.proc.ops_port, "GET", "/metrics", NULL, 0, NULL, &r) != 0)
        return false;
    snprintf(head, sizeof(head), "\n%s ", g->name);
    if (r.body != NULL && (line = strstr(r.body, head)) != NULL) {
        g->seen = strtod(line + strlen(head), NULL);
        ok = g->seen >= g->min && g->seen <= g->max;
    }
    it_resp_free(&r);
    return ok;
}

static void wait_gauge(const char *name, double min, double max)
{
    struct gauge_want g = {name, min, max, -1};

    if (!it_wait_until(gauge_is, &g, ITO_WAIT_MS))
        fail_msg("%s is %g, want %g..%g", name, g.seen, min, max);
}

/* The despatch number of order name's only despatch, once recorded (owned). */
static char *despatch_of(const char *name)
{
    char *sql = xasprintf("SELECT count(*) FROM despatches d JOIN orders o ON o.id = d.order_id "
                          "WHERE o.name = '%s'",
                          name);

    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    free(sql);
    return it_sql_textf(ito.db, "SELECT d.despatch_number FROM despatches d JOIN orders o ON "
                                "o.id = d.order_id WHERE o.name = '%s'",
                        name);
}

/* Waits for despatch number's exception to be in state and match the LIKE pattern. */
static void wait_exception(const char *number, const char *state, const char *column,
                           const char *like)
{
    char *sql = xasprintf("SELECT count(*) FROM exceptions WHERE type = 'despatch_unconfirmed' "
                          "AND team = 'customer_service' AND subject_kind = 'despatch' AND "
                          "subject = '%s' AND state = '%s' AND %s LIKE '%s'",
                          number, state, column, like);

    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    free(sql);
}

static void test_opens_while_shopline_fails_and_closes_when_it_lands(void **state)
{
    char name[32], id[64], so[40], *number, *like;

    (void)state;
    itl_store_order("DC", "[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]", name, sizeof(name), id,
                    sizeof(id), so, sizeof(so), NULL);
    itl_store_control("/_sandbox/faults", "{\"http_500\":1000000}");
    itl_despatch(so, NULL, "DPD", "Next day", "TRK-LATE");
    number = despatch_of(name);
    like = xasprintf("despatch %s of order %s (tracking TRK-LATE) is still not confirmed in "
                     "Shopline %% minutes after it was recorded; its create_fulfillment job is "
                     "pending after %% attempt(s): shopline: %%500%%",
                     number, name);
    wait_exception(number, "open", "detail", like);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions e JOIN orders o ON o.id = "
                                   "e.order_id WHERE e.type = 'despatch_unconfirmed' AND "
                                   "o.name = '%s'",
                                   name),
                     1);
    wait_gauge("shopvox_despatches_unconfirmed", 1, 1);
    wait_gauge("shopvox_despatch_unconfirmed_oldest_seconds", 3, 600);

    /* Shopline recovers; the job's backoff is cut short, as an operator's retry would */
    itl_store_control("/_sandbox/faults", "{\"http_500\":0}");
    it_sql_exec(ito.db, "UPDATE jobs SET run_at = now() WHERE kind = 'create_fulfillment' AND "
                        "state = 'pending'");
    ito_wait_state(name, "fulfilled");
    wait_exception(number, "resolved", "resolution",
                   "despatch confirmed in Shopline (fulfillment %)");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = "
                                   "'despatch_unconfirmed' AND subject = '%s'",
                                   number),
                     1);
    wait_gauge("shopvox_despatches_unconfirmed", 0, 0);
    wait_gauge("shopvox_despatch_unconfirmed_oldest_seconds", 0, 0);
    free(like);
    free(number);
}

static void test_failed_despatch_counts_until_a_person_resolves_it(void **state)
{
    const struct it_line lines[] = {{"TEE-BLK-M", 1, false}};
    char name[32], so[40], *number, *id;
    const char *resolve[] = {"exceptions", "resolve", NULL, "--note", "customer called", NULL};

    (void)state;
    /* shopvox knows the order, the fake store does not: Shopline refuses it (404) for good */
    ito_post_paid("DN", "US", lines, 1, name, sizeof(name), so, sizeof(so));
    itl_despatch(so, NULL, "DPD", "Next day", "TRK-GONE");
    number = despatch_of(name);
    wait_exception(number, "open", "detail", "%refused (see its fulfillment_failed exception)%");
    assert_int_equal(ito_sql_count("SELECT count(*) FROM despatches WHERE despatch_number = '%s' "
                                   "AND state = 'failed'",
                                   number),
                     1);
    wait_gauge("shopvox_despatches_unconfirmed", 0, 0); /* failed ones are not pending */

    id = it_sql_textf(ito.db, "SELECT id::text FROM exceptions WHERE type = "
                              "'despatch_unconfirmed' AND subject = '%s' AND state = 'open'",
                      number);
    resolve[2] = id;
    assert_int_equal(ito_run_cli(resolve), 0);
    /* two more passes later it is still resolved, and no new one opened */
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT least(count(*), 2) FROM jobs WHERE kind = "
                                      "'detect_unconfirmed' AND state = 'done' AND created_at > "
                                      "(SELECT max(resolved_at) FROM exceptions)",
                                      2, ITO_WAIT_MS),
                     2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions WHERE type = "
                                   "'despatch_unconfirmed' AND subject = '%s' AND state = 'open'",
                                   number),
                     0);
    free(id);
    free(number);
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_DESPATCH_POLL_S=1", "SHOPVOX_UNCONFIRMED_DESPATCH_S=3",
                         "SHOPVOX_METRICS_REFRESH_S=1", NULL};

    (void)state;
    return itl_world_start("unconfirmed", env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opens_while_shopline_fails_and_closes_when_it_lands),
        cmocka_unit_test(test_failed_despatch_counts_until_a_person_resolves_it),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
