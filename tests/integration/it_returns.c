/*
 * it_returns.c - returns on the SHOPLINE side end to end: the real binary,
 * PostgreSQL, the fake SHOPLINE store sending signed return/create,
 * return/update and refunds/create webhooks (it_loop), the fake Peoplevox.
 *
 *  - mode authorise: a return request is `requested` with its lines (item
 *    code from the order line) and a return_authorisation_needed task;
 *    `shopvox returns authorise` makes it `authorised`, resolves the task
 *    and queues one create_return job (the jobs row); a second authorise
 *    changes nothing (exit 2); show/list report lines and history;
 *  - reject: `rejected`, the task resolved, no job;
 *  - mode auto (a replica with SHOPVOX_RETURNS_MODE=auto): `authorised`
 *    at once, cause auto, the job queued, no task;
 *  - a refund without a return request is stored and creates no return
 *    and no job;
 *  - a redelivered webhook id changes nothing; an older version of a
 *    return after a newer one is recorded stale and not applied; a
 *    cancelled status cancels it and closes its task;
 *  - a line shopvox cannot match is kept and opens return_unmatched;
 *  - refund_due: opened by returns_after_receipt (a receipt simulated in
 *    SQL) with the amount, closed by the refunds/create that covers it;
 *  - /metrics: shopvox_returns by state (0 included) and the age of the
 *    oldest awaiting_receipt return.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
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
#include "it_returns.h"
#include "returns_app.h"
#include "store.h"

#define WAIT_MS 20000
#define TEE "[{\"sku\":\"TEE-BLK-M\",\"quantity\":2}]"
#define TEE_BACK "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1,\"reason\":\"too small\"}]"

/* An order of TEE (2 x TEE-BLK-M) sent to Peoplevox; its store id into id. */
static void order(const char *tag, char *id, size_t cap)
{
    char name[32], so[64];

    itl_store_order(tag, TEE, name, sizeof(name), id, cap, so, sizeof(so), NULL);
}

/* shopvox's id of store return slr (waits for it); -1 when it never came. */
static long long return_id(const char *slr)
{
    char sql[192];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM returns WHERE shopline_return_id = '%s'",
             slr);
    if (it_wait_sql_long(ito.db, sql, 1, WAIT_MS) != 1) {
        it_proc_dump_log(&ito.proc);
        fail_msg("return %s never stored", slr);
    }
    return it_sql_longf(ito.db, "SELECT id FROM returns WHERE shopline_return_id = '%s'", slr);
}

static char *state_of(long long id)
{
    return it_sql_textf(ito.db, "SELECT state FROM returns WHERE id = %lld", id);
}

static void assert_state(long long id, const char *want)
{
    char *got = state_of(id);

    if (strcmp(got, want) != 0)
        fail_msg("return %lld is %s, want %s", id, got, want);
    free(got);
}

static long exc_count(const char *type, const char *state, long long id)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM exceptions WHERE type = '%s' AND state = "
                                "'%s' AND subject = '%lld'", type, state, id);
}

static long create_jobs(long long id)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM jobs WHERE kind = 'create_return' AND "
                                "dedupe_key = 'return:%lld' AND (payload->>'return_id')::bigint "
                                "= %lld", id, id);
}

/* `shopvox returns ARGS... --json`; the result (free it). */
static void cli(struct it_cli_result *r, const char *sub, const char *id, const char *o1,
                const char *v1)
{
    const char *args[] = {"returns", sub, id, "--json", o1, v1, NULL};

    it_cli_run_env(r, ito.db, NULL, args);
}

static long long request(const char *order_id, const char *lines, const char *fields, char *slr,
                         size_t cap)
{
    assert_int_equal(itl_return_request(ito.proc.port, order_id, lines, fields, slr, cap), 200);
    return return_id(slr);
}

#define ID_CAP 40

/* A new order (tag) and a return of lines_json for it; the store's ids into oid, slr (ID_CAP). */
static long long order_and_return(const char *tag, const char *lines, const char *fields,
                                  char *oid, char *slr)
{
    order(tag, oid, ID_CAP);
    return request(oid, lines, fields, slr, ID_CAP);
}

/* Audit rows of return id: action by actor, requested -> to. */
static long audit_rows(long long id, const char *action, const char *actor, const char *to)
{
    return it_sql_longf(ito.db, "SELECT count(*) FROM audit_log WHERE shop = '%s' AND "
                                "subject_kind = 'return' AND subject_id = '%lld' AND action = "
                                "'%s' AND actor = '%s' AND before->>'state' = 'requested' AND "
                                "after->>'state' = '%s'", IT_SHOP, id, action, actor, to);
}

static void test_authorise_mode(void **state)
{
    char oid[ID_CAP], slr[ID_CAP], idt[24];
    struct it_cli_result r;
    struct json_object *j, *lines, *hist;
    long long id;

    (void)state;
    id = order_and_return("RA", TEE_BACK, "", oid, slr);
    snprintf(idt, sizeof(idt), "%lld", id);
    assert_state(id, "requested");
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_lines WHERE return_id = "
                                          "%lld AND item_code <> '' AND quantity = 1 AND "
                                          "unit_price IS NOT NULL", id), 1);
    assert_int_equal(exc_count("return_authorisation_needed", "open", id), 1);
    assert_int_equal(create_jobs(id), 0);

    cli(&r, "authorise", idt, "--by", "alice");
    assert_int_equal(r.exit_code, 0);
    it_cli_result_free(&r);
    assert_state(id, "authorised");
    assert_int_equal(create_jobs(id), 1);
    assert_int_equal(exc_count("return_authorisation_needed", "resolved", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_events WHERE return_id = "
                                          "%lld AND to_state = 'authorised' AND cause = "
                                          "'cli:alice'", id), 1);
    assert_int_equal(audit_rows(id, "return.authorise", "cli:alice", "authorised"), 1);
    cli(&r, "authorise", idt, NULL, NULL); /* not requested any more: nothing changes */
    assert_int_equal(r.exit_code, 2);
    it_cli_result_free(&r);
    assert_int_equal(create_jobs(id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM audit_log WHERE subject_kind = "
                                          "'return' AND subject_id = '%lld'", id), 1);
    /* changed in SHOPLINE after authorisation: lines kept, customer service told */
    assert_int_equal(itl_return_update(ito.proc.port, slr, "\"quantity\":3"), 200);
    assert_int_equal(exc_count("return_changed_after_authorisation", "open", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_lines WHERE return_id = "
                                          "%lld AND quantity = 1", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM exceptions WHERE subject = "
                                          "'%lld' AND type = 'return_changed_after_authorisation' "
                                          "AND team = 'customer_service' AND detail LIKE "
                                          "'%%1 -> 3%%'", id), 1);

    cli(&r, "show", idt, NULL, NULL);
    assert_int_equal(r.exit_code, 0);
    j = it_cli_json(&r);
    assert_string_equal(it_json_str(j, "state"), "authorised");
    assert_true(json_object_object_get_ex(j, "lines", &lines));
    assert_int_equal(json_object_array_length(lines), 1);
    assert_true(json_object_object_get_ex(j, "history", &hist));
    assert_int_equal(json_object_array_length(hist), 2);
    assert_string_equal(it_json_str(json_object_array_get_idx(hist, 0), "cause"),
                        "webhook:return/create");
    json_object_put(j);
    it_cli_result_free(&r);
    cli(&r, "list", "--state", "authorised", NULL);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, slr));
    it_cli_result_free(&r);
    cli(&r, "show", "999999", NULL, NULL);
    assert_int_equal(r.exit_code, 3);
    it_cli_result_free(&r);
}

static void test_reject(void **state)
{
    char oid[ID_CAP], slr[ID_CAP], idt[24];
    struct it_cli_result r;
    long long id;

    (void)state;
    id = order_and_return("RR", TEE_BACK, "", oid, slr);
    snprintf(idt, sizeof(idt), "%lld", id);
    /* still requested: a change in SHOPLINE is the request now */
    assert_int_equal(itl_return_update(ito.proc.port, slr, "\"quantity\":2"), 200);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_lines WHERE return_id = "
                                          "%lld AND quantity = 2", id), 1);
    assert_int_equal(exc_count("return_changed_after_authorisation", "open", id), 0);
    {
        const char *args[] = {"returns", "reject", idt, "--reason", "worn", "--by", "bob", NULL};

        it_cli_run_env(&r, ito.db, NULL, args);
    }
    assert_int_equal(r.exit_code, 0);
    it_cli_result_free(&r);
    assert_state(id, "rejected");
    assert_int_equal(create_jobs(id), 0);
    assert_int_equal(exc_count("return_authorisation_needed", "resolved", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_events WHERE return_id = "
                                          "%lld AND cause = 'cli:bob' AND detail = 'worn'", id),
                     1);
    assert_int_equal(audit_rows(id, "return.reject", "cli:bob", "rejected"), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM audit_log WHERE subject_id = "
                                          "'%lld' AND note = 'worn'", id), 1);
}

static void test_auto_mode(void **state)
{
    const char *env[] = {ITL_ENV, "SHOPVOX_RETURNS_MODE=auto", NULL};
    struct it_proc p;
    char oid[ID_CAP], slr[ID_CAP];
    long long id;

    (void)state;
    order("RU", oid, sizeof(oid));
    assert_int_equal(ito_proc_start(&p, env), 0);
    assert_int_equal(itl_return_request(p.port, oid, TEE_BACK, "", slr, sizeof(slr)), 200);
    id = return_id(slr);
    assert_state(id, "authorised");
    assert_int_equal(create_jobs(id), 1);
    assert_int_equal(exc_count("return_authorisation_needed", "open", id), 0);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_events WHERE return_id = "
                                          "%lld AND to_state = 'authorised' AND cause = 'auto'",
                                  id), 1);
    assert_int_equal(it_proc_stop(&p, SIGTERM, 20000), 0);
}

static void test_refund_only(void **state)
{
    char oid[40], fid[40];
    long returns = it_sql_long(ito.db, "SELECT count(*) FROM returns");
    long jobs = it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE kind = 'create_return'");

    (void)state;
    order("RF", oid, sizeof(oid));
    assert_int_equal(itl_refund(ito.proc.port, oid, TEE_BACK, "\"amount\":\"19.90\"", fid,
                                sizeof(fid)), 200);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM refunds WHERE shopline_refund_id "
                                          "= '%s' AND amount = 19.90", fid), 1);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM returns"), returns);
    assert_int_equal(it_sql_long(ito.db, "SELECT count(*) FROM jobs WHERE kind = "
                                         "'create_return'"), jobs);
}

static void test_duplicate_stale_cancel(void **state)
{
    char oid[ID_CAP], slr[ID_CAP];
    long long id;

    (void)state;
    id = order_and_return("RD", TEE_BACK, "\"duplicates\":1", oid, slr);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_events WHERE return_id = "
                                          "%lld", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM webhook_events WHERE topic = "
                                          "'return/create' AND order_id = (SELECT order_id FROM "
                                          "returns WHERE id = %lld)", id), 1);
    assert_int_equal(itl_return_update(ito.proc.port, slr, "\"status\":\"open\""), 200);
    assert_int_equal(itl_return_update(ito.proc.port, slr, "\"version\":0"), 200); /* older */
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM webhook_events WHERE topic = "
                                          "'return/update' AND outcome = 'stale' AND order_id = "
                                          "(SELECT order_id FROM returns WHERE id = %lld)", id),
                     1);
    assert_state(id, "requested");
    assert_int_equal(itl_return_update(ito.proc.port, slr, "\"status\":\"cancelled\""), 200);
    assert_state(id, "cancelled");
    assert_int_equal(exc_count("return_authorisation_needed", "resolved", id), 1);
}

static void test_unmatched_line_kept(void **state)
{
    char oid[ID_CAP], slr[ID_CAP];
    long long id;

    (void)state;
    id = order_and_return("RM", "[{\"line_item_id\":\"999\",\"quantity\":1}]", "", oid, slr);
    assert_state(id, "requested");
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_lines WHERE return_id = "
                                          "%lld AND item_code = ''", id), 1);
    assert_int_equal(exc_count("return_unmatched", "open", id), 1);
}

static void test_refund_due_opens_and_closes(void **state)
{
    struct store_conn *c = store_conn_create(ito.db);
    struct errbuf err = {""};
    char oid[ID_CAP], slr[ID_CAP], fid[40], sql[128];
    long long id;
    char *detail;

    (void)state;
    id = order_and_return("RP", TEE_BACK, "", oid, slr);
    snprintf(sql, sizeof(sql), "UPDATE return_lines SET received_qty = quantity WHERE "
             "return_id = %lld", id); /* what the warehouse side's receipt does */
    it_sql_exec(ito.db, sql);
    assert_int_equal(returns_after_receipt(c, IT_SHOP, id, &err), ST_OK);
    assert_int_equal(exc_count("refund_due", "open", id), 1);
    detail = it_sql_textf(ito.db, "SELECT detail FROM exceptions WHERE type = 'refund_due' AND "
                                  "subject = '%lld'", id);
    assert_non_null(strstr(detail, "1 unit(s)"));
    free(detail);
    assert_int_equal(itl_refund(ito.proc.port, oid, TEE_BACK, "\"amount\":\"19.90\"", fid,
                                sizeof(fid)), 200);
    assert_int_equal(exc_count("refund_due", "resolved", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT refunded_qty FROM return_lines WHERE "
                                          "return_id = %lld", id), 1);
    assert_int_equal(it_sql_longf(ito.db, "SELECT count(*) FROM return_events WHERE return_id = "
                                          "%lld AND cause = 'refund:%s'", id, fid), 1);
    store_conn_destroy(c);
}

/* Polls series on the ops port until it reaches at least want; its last value. */
static double wait_metric(const char *series, double want)
{
    double v = -1;

    for (int i = 0; i < WAIT_MS / 200 && v < want; i++) {
        v = it_metric(ito.proc.ops_port, series);
        if (v < want)
            usleep(200 * 1000);
    }
    return v;
}

static void test_gauges(void **state)
{
    char oid[ID_CAP], slr[ID_CAP];
    long long id;

    (void)state;
    id = order_and_return("RG", TEE_BACK, "", oid, slr);
    {
        char sql[160];

        snprintf(sql, sizeof(sql), "UPDATE returns SET state = 'awaiting_receipt', "
                 "state_changed_at = now() - interval '1 hour' WHERE id = %lld", id);
        it_sql_exec(ito.db, sql);
    }
    assert_true(wait_metric("shopvox_returns_awaiting_receipt_oldest_seconds", 3600) >= 3600);
    assert_true(wait_metric("shopvox_returns{state=\"awaiting_receipt\"}", 1) == 1);
    assert_true(it_metric(ito.proc.ops_port, "shopvox_returns{state=\"rejected\"}") >= 1);
    assert_true(it_metric(ito.proc.ops_port, "shopvox_returns{state=\"inspected\"}") == 0);
}

/*
 * The fake Peoplevox has no Returns template here, so the warehouse side's
 * create_return leaves every authorised return where it is (its own flow
 * is it_returns_warehouse's): the states this file asserts stay put.
 */
static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_METRICS_REFRESH_S=1", NULL};
    int rc;

    it_require_db();
    rc = itl_world_start("returns", env);
    if (rc == 0)
        itr_returns_template(sandbox_pvx_port(ito.sb), "[]");
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorise_mode),
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_auto_mode),
        cmocka_unit_test(test_refund_only),
        cmocka_unit_test(test_duplicate_stale_cancel),
        cmocka_unit_test(test_unmatched_line_kept),
        cmocka_unit_test(test_refund_due_opens_and_closes),
        cmocka_unit_test(test_gauges),
    };

    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
