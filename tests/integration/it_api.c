/*
 * it_api.c - the admin API over HTTP against the real binary: every route
 * with no token, an unknown one, a viewer's and an operator's (and the old
 * single SHOPVOX_ADMIN_TOKEN as operator "admin"); a viewer's write is 403
 * and changes nothing; lists page with opaque cursors; errors have one
 * shape; every write leaves one audit row, and so do the CLI's exception
 * commands (cli:$USER), readable through GET /api/v1/audit and
 * `shopvox audit list`.
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"
#include "it_api_call.h"
#include "it_cli_run.h"

#define T_OPERATOR "op-token-0123456789abcdef0123456789"
#define T_VIEWER "viewer-token-0123456789abcdef01234567"
#define T_LEGACY "legacy-token-0123456789abcdef01234567"
#define H_OPERATOR "Authorization: Bearer " T_OPERATOR
#define H_VIEWER "Authorization: Bearer " T_VIEWER

static const char *db;
static struct it_proc proc;

/* METHOD path with body (NULL: none) as the token's holder (NULL: no header); the reply parsed. */
static struct json_object *call(const char *method, const char *path, const char *auth,
                                const char *body, long want)
{
    return it_api_call(proc.ops_port, method, path, auth, body, want);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    json_object_object_get_ex(o, key, &v);
    return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
    return json_object_get_string(jget(o, key));
}

static void expect_error(const char *method, const char *path, const char *auth,
                         const char *body, long status, const char *code)
{
    it_api_expect_error(proc.ops_port, method, path, auth, body, status, code, NULL);
}

static long exception_insert(const char *type, const char *team, const char *subject)
{
    return it_sql_longf(db,
                        "INSERT INTO exceptions (shop, type, team, subject_kind, subject, detail) "
                        "VALUES ('" IT_SHOP "', '%s', '%s', 'x', '%s', 'detail') RETURNING id",
                        type, team, subject);
}

static long audit_rows(const char *actor, const char *action, long subject)
{
    return it_sql_longf(db,
                        "SELECT count(*) FROM audit_log WHERE actor = '%s' AND action = '%s' "
                        "AND subject_id = '%ld'",
                        actor, action, subject);
}

/* ---- authentication and roles ---- */

static void test_every_route_needs_a_known_token(void **state)
{
    static const char *const routes[][2] = {
        {"GET", "/api/v1/whoami"},         {"GET", "/api/v1/exceptions"},
        {"GET", "/api/v1/exceptions/1"},   {"POST", "/api/v1/exceptions/1/resolve"},
        {"POST", "/api/v1/exceptions/1/retry"}, {"POST", "/api/v1/exceptions/resolve"},
        {"POST", "/api/v1/exceptions/retry"}, {"GET", "/api/v1/orders"},
        {"GET", "/api/v1/orders/1"},       {"GET", "/api/v1/jobs"},
        {"POST", "/api/v1/jobs/1/retry"},  {"GET", "/api/v1/audit"},
        {"GET", "/api/v1/no-such-thing"},
    };

    for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
        expect_error(routes[i][0], routes[i][1], NULL, NULL, 401, "unauthorized");
        expect_error(routes[i][0], routes[i][1], "Authorization: Bearer " T_OPERATOR "x", NULL,
                     401, "unauthorized");
        expect_error(routes[i][0], routes[i][1], "Authorization: Basic " T_OPERATOR, NULL, 401,
                     "unauthorized");
    }
}

static void test_whoami_names_the_token_and_its_role(void **state)
{
    struct json_object *o = call("GET", "/api/v1/whoami", H_VIEWER, NULL, 200);

    assert_string_equal(jstr(o, "name"), "ann");
    assert_string_equal(jstr(o, "role"), "viewer");
    json_object_put(o);
    o = call("GET", "/api/v1/whoami", "authorization: bearer " T_OPERATOR, NULL, 200);
    assert_string_equal(jstr(o, "name"), "olga");
    assert_string_equal(jstr(o, "role"), "operator");
    json_object_put(o);
    o = call("GET", "/api/v1/whoami", "Authorization: Bearer " T_LEGACY, NULL, 200);
    assert_string_equal(jstr(o, "name"), "admin");
    assert_string_equal(jstr(o, "role"), "operator");
    json_object_put(o);
    json_object_put(call("HEAD", "/api/v1/whoami", H_VIEWER, NULL, 200));
}

static void test_a_viewer_reads_but_cannot_write(void **state)
{
    long id = exception_insert("duplicate_sku", "ecommerce", "viewer-1");
    char path[96];
    struct json_object *o;

    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld", id);
    o = call("GET", path, H_VIEWER, NULL, 200);
    assert_string_equal(jstr(o, "state"), "open");
    json_object_put(o);
    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld/resolve", id);
    expect_error("POST", path, H_VIEWER, "{\"note\":\"no\"}", 403, "forbidden");
    expect_error("POST", path, H_VIEWER, NULL, 403, "forbidden");
    expect_error("POST", "/api/v1/exceptions/resolve", H_VIEWER, "{\"type\":\"duplicate_sku\"}",
                 403, "forbidden");
    expect_error("POST", "/api/v1/jobs/1/retry", H_VIEWER, NULL, 403, "forbidden");
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE id = %ld AND "
                                      "state = 'open'", id), 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM audit_log WHERE actor = 'ann'"), 0);
}

/* ---- errors ---- */

static void test_errors_have_one_shape(void **state)
{
    expect_error("GET", "/api/v1/nothing", H_VIEWER, NULL, 404, "not_found");
    expect_error("GET", "/api/v1/exceptions/", H_VIEWER, NULL, 404, "not_found");
    expect_error("DELETE", "/api/v1/exceptions/1", H_OPERATOR, NULL, 405, "method_not_allowed");
    expect_error("GET", "/api/v1/exceptions/1/retry", H_OPERATOR, NULL, 405,
                 "method_not_allowed");
    expect_error("GET", "/api/v1/exceptions/abc", H_VIEWER, NULL, 400, "invalid_request");
    expect_error("GET", "/api/v1/exceptions/999999", H_VIEWER, NULL, 404, "not_found");
    expect_error("GET", "/api/v1/exceptions?state=closed", H_VIEWER, NULL, 400,
                 "invalid_request");
    expect_error("GET", "/api/v1/exceptions?type=nope", H_VIEWER, NULL, 400, "invalid_request");
    expect_error("GET", "/api/v1/exceptions?limit=0", H_VIEWER, NULL, 400, "invalid_request");
    expect_error("GET", "/api/v1/exceptions?limit=201", H_VIEWER, NULL, 400, "invalid_request");
    expect_error("GET", "/api/v1/exceptions?cursor=xyz", H_VIEWER, NULL, 400, "invalid_request");
    expect_error("GET", "/api/v1/orders?created_from=yesterday", H_VIEWER, NULL, 400,
                 "invalid_request");
    expect_error("POST", "/api/v1/exceptions/1/resolve", H_OPERATOR, "{not json", 400,
                 "invalid_request");
    expect_error("POST", "/api/v1/exceptions/1/resolve", H_OPERATOR, "[1]", 400,
                 "invalid_request");
    expect_error("POST", "/api/v1/exceptions/1/resolve", H_OPERATOR, "{\"note\": 5}", 400,
                 "invalid_request");
    expect_error("POST", "/api/v1/exceptions/999999/resolve", H_OPERATOR, NULL, 404,
                 "not_found");
}

/* ---- exceptions ---- */

static void test_exceptions_page_with_cursors_and_filters(void **state)
{
    long ids[5];
    char path[256];
    char *cursor = NULL;
    struct json_object *o;
    size_t seen = 0;
    long last = 0;

    for (int i = 0; i < 5; i++) {
        char subject[32];

        snprintf(subject, sizeof(subject), "page-%d", i);
        ids[i] = exception_insert("inventory_drift", "finance", subject);
    }
    it_sql_exec(db, "UPDATE exceptions SET first_seen = now() - interval '2 hours' "
                    "WHERE subject = 'page-0'");
    for (int page = 0; page < 4; page++) {
        struct json_object *items;

        snprintf(path, sizeof(path), "/api/v1/exceptions?team=finance&type=inventory_drift"
                 "&limit=2%s%s", cursor ? "&cursor=" : "", cursor ? cursor : "");
        o = call("GET", path, H_VIEWER, NULL, 200);
        items = jget(o, "items");
        for (size_t k = 0; k < json_object_array_length(items); k++) {
            long id = (long)json_object_get_int64(jget(json_object_array_get_idx(items, k), "id"));

            assert_true(last == 0 || id < last); /* newest first, no repeats */
            last = id;
            seen++;
        }
        free(cursor);
        cursor = jget(o, "next_cursor") ? strdup(jstr(o, "next_cursor")) : NULL;
        if (cursor != NULL) /* a full page before every cursor */
            assert_int_equal(json_object_array_length(items), 2);
        json_object_put(o);
        if (cursor == NULL)
            break;
    }
    assert_int_equal(seen, 5);
    assert_int_equal(last, ids[0]);
    o = call("GET", "/api/v1/exceptions?team=finance&min_age_s=3600", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 1);
    json_object_put(o);
    o = call("GET", "/api/v1/exceptions?team=finance&state=resolved", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 0);
    json_object_put(o);
}

static void test_resolve_writes_one_audit_row_with_the_change(void **state)
{
    long id = exception_insert("duplicate_sku", "ecommerce", "resolve-1");
    char path[96];
    struct json_object *o;

    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld/resolve", id);
    o = call("POST", path, H_OPERATOR, "{\"note\":\"merged the SKUs\"}", 200);
    assert_string_equal(jstr(o, "state"), "resolved");
    assert_string_equal(jstr(o, "resolved_by"), "olga");
    assert_true(json_object_get_boolean(jget(o, "changed")));
    json_object_put(o);
    o = call("POST", path, H_OPERATOR, NULL, 200); /* again: nothing changes */
    assert_false(json_object_get_boolean(jget(o, "changed")));
    json_object_put(o);
    assert_int_equal(audit_rows("olga", "exception.resolve", id), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM audit_log WHERE subject_id = '%ld' "
                                      "AND note = 'merged the SKUs' AND before->>'state' = 'open' "
                                      "AND after->>'state' = 'resolved'", id), 1);
    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld/retry", id);
    expect_error("POST", path, H_OPERATOR, NULL, 409, "conflict");
}

static long dead_job(const char *key)
{
    return it_sql_longf(db,
                        "INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, "
                        "last_error, finished_at) VALUES ('" IT_SHOP "', 'catalogue_sync', '%s', "
                        "'{}', 'dead', 12, 'boom', now()) RETURNING id", key);
}

static void test_retry_of_a_dead_job_exception(void **state)
{
    long job = dead_job("api-retry-1");
    char subject[32], path[96];
    long id;
    struct json_object *o;

    snprintf(subject, sizeof(subject), "job:%ld", job);
    id = exception_insert("job_dead", "ops", subject);
    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld/retry", id);
    o = call("POST", path, H_OPERATOR, NULL, 200);
    assert_string_equal(jstr(o, "action"), "job_retried");
    assert_int_equal(json_object_get_int64(jget(o, "job_id")), job);
    assert_true(json_object_get_boolean(jget(o, "exception_resolved")));
    json_object_put(o);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs WHERE id = %ld AND state = "
                                      "'pending' AND attempts = 0", job), 1);
    assert_int_equal(audit_rows("olga", "exception.retry", id), 1);
    /* a type without a retry */
    id = exception_insert("duplicate_sku", "ecommerce", "no-retry");
    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld/retry", id);
    expect_error("POST", path, H_OPERATOR, NULL, 409, "not_retryable");
    assert_int_equal(audit_rows("olga", "exception.retry", id), 0);
}

static void test_bulk_resolve_reports_each_item(void **state)
{
    struct json_object *o, *results;

    for (int i = 0; i < 3; i++) {
        char subject[32];

        snprintf(subject, sizeof(subject), "bulk-%d", i);
        exception_insert("despatch_no_tracking", "customer_service", subject);
    }
    expect_error("POST", "/api/v1/exceptions/resolve", H_OPERATOR, "{\"note\":\"all\"}", 400,
                 "invalid_request");
    expect_error("POST", "/api/v1/exceptions/resolve", H_OPERATOR,
                 "{\"type\":\"despatch_no_tracking\",\"limit\":101}", 400, "invalid_request");
    o = call("POST", "/api/v1/exceptions/resolve", H_OPERATOR,
             "{\"type\":\"despatch_no_tracking\",\"limit\":2,\"note\":\"carrier fixed\"}", 200);
    assert_int_equal(json_object_get_int(jget(o, "matched")), 2);
    assert_true(json_object_get_boolean(jget(o, "truncated")));
    results = jget(o, "results");
    assert_int_equal(json_object_array_length(results), 2);
    assert_string_equal(jstr(json_object_array_get_idx(results, 0), "outcome"), "resolved");
    json_object_put(o);
    o = call("POST", "/api/v1/exceptions/retry", H_OPERATOR,
             "{\"team\":\"customer_service\",\"type\":\"despatch_no_tracking\"}", 200);
    assert_int_equal(json_object_get_int(jget(o, "matched")), 1);
    assert_false(json_object_get_boolean(jget(o, "truncated")));
    assert_string_equal(jstr(json_object_array_get_idx(jget(o, "results"), 0), "outcome"),
                        "refused");
    json_object_put(o);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'exception.resolve' AND note = 'carrier fixed'"), 2);
}

/* ---- orders ---- */

static long order_insert(const char *name, const char *state)
{
    return it_sql_longf(db,
                        "INSERT INTO orders (shop, shopline_order_id, name, state, "
                        "shopline_created_at) VALUES ('" IT_SHOP "', 'sl-%s', '%s', '%s', "
                        "'2026-03-02T10:00:00Z') RETURNING id",
                        name + 1, name, state);
}

static void test_orders_search_and_timeline(void **state)
{
    long id = order_insert("#A1001", "sent");
    char path[96];
    struct json_object *o, *hooks;

    order_insert("#A1002", "on_hold");
    order_insert("#A1003", "on_hold");
    it_sql_longf(db, "INSERT INTO order_events (order_id, from_state, to_state, event, detail) "
                     "VALUES (%ld, 'ready', 'sent', 'sales_order_saved', 'SO-1') RETURNING id", id);
    it_sql_longf(db, "INSERT INTO order_lines (order_id, line_id, sku, quantity) VALUES "
                     "(%ld, 'L1', 'SKU-1', 2) RETURNING 1", id);
    it_sql_longf(db, "INSERT INTO webhook_events (shop, webhook_id, topic, body, outcome, "
                     "order_id) VALUES ('" IT_SHOP "', 'wh-a1001', 'orders/paid', "
                     "convert_to('{\"id\":\"sl-A1001\",\"name\":\"#A1001\"}', 'UTF8'), "
                     "'stored', %ld) RETURNING id", id);
    o = call("GET", "/api/v1/orders?name=A1001", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 1);
    json_object_put(o);
    o = call("GET", "/api/v1/orders?state=on_hold&limit=1", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 1);
    assert_non_null(jget(o, "next_cursor"));
    json_object_put(o);
    o = call("GET", "/api/v1/orders?shopline_order_id=sl-A1002&created_from=2026-03-01&"
                    "created_to=2026-03-03T00:00:00Z", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 1);
    json_object_put(o);
    o = call("GET", "/api/v1/orders?created_from=2026-03-03", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 0);
    json_object_put(o);
    snprintf(path, sizeof(path), "/api/v1/orders/%ld", id);
    o = call("GET", path, H_VIEWER, NULL, 200);
    assert_string_equal(jstr(o, "name"), "#A1001");
    assert_int_equal(json_object_array_length(jget(o, "lines")), 1);
    assert_string_equal(jstr(json_object_array_get_idx(jget(o, "history"), 0), "event"),
                        "sales_order_saved");
    assert_non_null(jget(o, "jobs"));
    assert_non_null(jget(o, "exceptions"));
    assert_non_null(jget(o, "despatches"));
    hooks = jget(o, "webhooks");
    assert_int_equal(json_object_array_length(hooks), 1);
    assert_string_equal(jstr(jget(json_object_array_get_idx(hooks, 0), "payload"), "name"),
                        "#A1001");
    json_object_put(o);
    expect_error("GET", "/api/v1/orders/999999", H_VIEWER, NULL, 404, "not_found");
}

/* ---- jobs ---- */

static void test_dead_jobs_listed_and_retried(void **state)
{
    long job = dead_job("api-jobs-1");
    char path[96], subject[32];
    long exc;
    struct json_object *o;

    snprintf(subject, sizeof(subject), "job:%ld", job);
    exc = exception_insert("job_dead", "ops", subject);
    o = call("GET", "/api/v1/jobs?state=dead&limit=200", H_VIEWER, NULL, 200);
    assert_true(json_object_array_length(jget(o, "items")) >= 1);
    json_object_put(o);
    expect_error("GET", "/api/v1/jobs?state=zombie", H_VIEWER, NULL, 400, "invalid_request");
    snprintf(path, sizeof(path), "/api/v1/jobs/%ld/retry", job);
    o = call("POST", path, H_OPERATOR, NULL, 200);
    assert_string_equal(jstr(o, "previous_state"), "dead");
    json_object_put(o);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE id = %ld AND "
                                      "state = 'resolved' AND resolved_by = 'olga'", exc), 1);
    assert_int_equal(audit_rows("olga", "job.retry", job), 1);
    it_sql_exec(db, "UPDATE jobs SET state = 'done' WHERE dedupe_key = 'api-jobs-1'");
    expect_error("POST", path, H_OPERATOR, NULL, 409, "conflict");
    expect_error("POST", "/api/v1/jobs/999999/retry", H_OPERATOR, NULL, 404, "not_found");
}

/* ---- the audit log, from the API and the CLI ---- */

static void test_cli_writes_audit_rows_read_by_api_and_cli(void **state)
{
    long id = exception_insert("duplicate_sku", "ecommerce", "cli-1");
    char ids[24];
    struct it_cli_result r;
    struct json_object *o;

    snprintf(ids, sizeof(ids), "%ld", id);
    it_cli_run(&r, db, "exceptions", "resolve", ids, "--note", "by hand", (const char *)NULL);
    assert_int_equal(r.exit_code, 0);
    it_cli_result_free(&r);
    assert_int_equal(audit_rows("cli:" IT_CLI_USER, "exception.resolve", id), 1);
    o = call("GET", "/api/v1/audit?limit=1", H_VIEWER, NULL, 200);
    assert_string_equal(jstr(json_object_array_get_idx(jget(o, "items"), 0), "actor"),
                        "cli:" IT_CLI_USER);
    assert_non_null(jget(o, "next_cursor"));
    json_object_put(o);
    o = call("GET", "/api/v1/audit?since=2999-01-01", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_array_length(jget(o, "items")), 0);
    json_object_put(o);
    it_cli_run(&r, db, "audit", "list", "--json", (const char *)NULL);
    assert_int_equal(r.exit_code, 0);
    o = it_cli_json(&r);
    assert_string_equal(jstr(json_object_array_get_idx(jget(o, "entries"), 0), "subject_id"),
                        ids);
    json_object_put(o);
    it_cli_result_free(&r);
    it_cli_run(&r, db, "audit", "list", "--since", "soon", (const char *)NULL);
    assert_int_equal(r.exit_code, 2);
    it_cli_result_free(&r);
}

static int start_shopvox(void **state)
{
    static const char *const args[] = {"serve", "--migrate", NULL};
    static const char *const env[] = {
        "SHOPVOX_ADMIN_TOKENS=olga:operator:" T_OPERATOR ",ann:viewer:" T_VIEWER,
        "SHOPVOX_ADMIN_TOKEN=" T_LEGACY, NULL};

    it_require_db();
    db = it_db_create("api");
    return it_shopvox_start(&proc, db, env, args);
}

static int stop_shopvox(void **state)
{
    it_proc_stop(&proc, SIGKILL, 1000);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_needs_a_known_token),
        cmocka_unit_test(test_whoami_names_the_token_and_its_role),
        cmocka_unit_test(test_a_viewer_reads_but_cannot_write),
        cmocka_unit_test(test_errors_have_one_shape),
        cmocka_unit_test(test_exceptions_page_with_cursors_and_filters),
        cmocka_unit_test(test_resolve_writes_one_audit_row_with_the_change),
        cmocka_unit_test(test_retry_of_a_dead_job_exception),
        cmocka_unit_test(test_bulk_resolve_reports_each_item),
        cmocka_unit_test(test_orders_search_and_timeline),
        cmocka_unit_test(test_dead_jobs_listed_and_retried),
        cmocka_unit_test(test_cli_writes_audit_rows_read_by_api_and_cli),
    };

    return cmocka_run_group_tests(tests, start_shopvox, stop_shopvox);
}
