/*
 * it_cli.c - operator commands end to end: the real binary as a child
 * process against a real, migrated database, rows put in place by SQL,
 * answers read back as JSON (and exit codes): exceptions (list, show,
 * resolve, retry), dead jobs, held orders, SKU mappings, an order's
 * history. Help, input checks and the settings commands are in
 * it_cli_settings.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it.h"
#include "it_cli_check.h"
#include "it_cli_run.h"

/* ---- exceptions ---- */

static void test_exceptions_list_filters_and_show(void **state)
{
    long a = exception_insert("invalid_webhook", "webhook", "list-w1", 0);
    long b = exception_insert("invalid_webhook", "webhook", "list-w2", 0);
    long c = exception_insert("list_only_type", "webhook", "list-w3", 0);
    struct it_cli_result r;
    struct json_object *o;

    it_sql_longf(cli_db,
                 "UPDATE exceptions SET state = 'resolved', resolved_at = now() WHERE id = %ld "
                 "RETURNING id",
                 b);
    CLI(&r, "exceptions", "list", "--type", "invalid_webhook", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "exceptions"), 1);
    assert_int_equal(jint(jidx(o, "exceptions", 0), "id"), a);
    assert_string_equal(jstr(o, "state"), "open");
    json_object_put(o);
    it_cli_result_free(&r);

    CLI(&r, "exceptions", "list", "--state=all", "--type", "invalid_webhook", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "exceptions"), 2);
    json_object_put(o);
    it_cli_result_free(&r);

    CLI(&r, "exceptions", "list", "--state", "resolved", "--limit", "1", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "exceptions"), 1);
    assert_string_equal(jstr(jidx(o, "exceptions", 0), "state"), "resolved");
    json_object_put(o);
    it_cli_result_free(&r);

    CLI(&r, "exceptions", "show", "--json", "--", "0");
    expect_exit(&r, 2);
    it_cli_result_free(&r);

    {
        char ids[24];

        snprintf(ids, sizeof(ids), "%ld", c);
        CLI(&r, "exceptions", "show", ids, "--json");
        o = json_of(&r, 0);
        assert_int_equal(jint(o, "id"), c);
        assert_string_equal(jstr(o, "type"), "list_only_type");
        assert_string_equal(jstr(o, "subject"), "list-w3");
        assert_string_equal(jstr(o, "detail"), "detail of list_only_type");
        assert_string_equal(jstr(o, "state"), "open");
        assert_null(jget(o, "resolved_at"));
        json_object_put(o);
        it_cli_result_free(&r);
        CLI(&r, "exceptions", "show", ids);  /* human output */
        expect_exit(&r, 0);
        assert_non_null(strstr(r.out, "list_only_type"));
        it_cli_result_free(&r);
    }
}

static void test_exceptions_bad_arguments_and_not_found(void **state)
{
    struct it_cli_result r;

    CLI(&r, "exceptions", "show", "99999999", "--json");
    expect_json_error(&r, 3, "not found");
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "retry", "99999999");
    expect_exit(&r, 3);
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "resolve", "99999999");
    expect_exit(&r, 3);
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "show", "abc");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--state", "closed");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--limit", "0");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--bogus", "1");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "frobnicate");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    CLI(&r, "exceptions");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    CLI(&r, "order", "show");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
}

static void test_exceptions_resolve_with_note(void **state)
{
    long id = exception_insert("invalid_webhook", "webhook", "resolve-w1", 0);
    char ids[24];
    struct it_cli_result r;
    struct json_object *o;
    char *by;

    snprintf(ids, sizeof(ids), "%ld", id);
    CLI(&r, "exceptions", "resolve", ids, "--note", "sender fixed", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "state"), "resolved");
    assert_string_equal(jstr(o, "resolved_by"), IT_CLI_USER);
    assert_string_equal(jstr(o, "resolution"), "sender fixed");
    assert_true(json_object_get_boolean(jget(o, "changed")));
    json_object_put(o);
    it_cli_result_free(&r);
    by = it_sql_textf(cli_db,
                      "SELECT resolved_by || '/' || resolution || '/' || state FROM exceptions "
                      "WHERE id = %ld AND resolved_at IS NOT NULL",
                      id);
    assert_string_equal(by, IT_CLI_USER "/sender fixed/resolved");
    free(by);

    /* again: nothing changes, still success */
    CLI(&r, "exceptions", "resolve", ids, "--note", "other", "--json");
    o = json_of(&r, 0);
    assert_false(json_object_get_boolean(jget(o, "changed")));
    assert_string_equal(jstr(o, "resolution"), "sender fixed");
    json_object_put(o);
    it_cli_result_free(&r);

    /* a resolved exception cannot be retried */
    CLI(&r, "exceptions", "retry", ids);
    expect_exit(&r, 2);
    it_cli_result_free(&r);
}

static void test_retry_dead_job(void **state)
{
    long job =
        it_sql_longf(cli_db, "INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, "
                         "last_error, finished_at) VALUES ('" IT_SHOP "', 'inventory_sync', "
                         "'retry-dead', '{}', 'dead', 12, 'boom', now()) RETURNING id");
    char subject[32], ids[24];
    long exc;
    struct it_cli_result r;
    struct json_object *o;

    snprintf(subject, sizeof(subject), "job:%ld", job);
    exc = exception_insert("job_dead", "job", subject, 0);
    snprintf(ids, sizeof(ids), "%ld", exc);
    CLI(&r, "exceptions", "retry", ids, "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "action"), "job_retried");
    assert_int_equal(jint(o, "job_id"), job);
    assert_string_equal(jstr(o, "job_kind"), "inventory_sync");
    assert_true(json_object_get_boolean(jget(o, "exception_resolved")));
    assert_non_null(strstr(jstr(o, "message"), subject + 4));
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db,
                                  "SELECT count(*) FROM jobs WHERE id = %ld AND state = 'pending' "
                                  "AND attempts = 0 AND run_at <= now()",
                                  job),
                     1);
    assert_int_equal(it_sql_longf(cli_db,
                                  "SELECT count(*) FROM exceptions WHERE id = %ld AND state = "
                                  "'resolved' AND resolved_by = '" IT_CLI_USER "'",
                                  exc),
                     1);
}

static void test_retry_held_order_enqueues_post_once(void **state)
{
    long exc, other;
    char ids[24], other_ids[24];
    struct it_cli_result r;
    struct json_object *o;

    order_insert(3001, "#3001", "on_hold", "peoplevox", "MUG-1");
    exc = exception_insert("peoplevox_rejected", "order", "#3001", 3001);
    snprintf(ids, sizeof(ids), "%ld", exc);
    CLI(&r, "exceptions", "retry", ids, "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "action"), "job_enqueued");
    assert_string_equal(jstr(o, "job_kind"), "post_sales_order");
    assert_false(json_object_get_boolean(jget(o, "exception_resolved")));
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND "
                                  "dedupe_key = '3001' AND payload = '{\"order_id\": 3001}'::jsonb "
                                  "AND shop = '" IT_SHOP "' AND state = 'pending'"),
                     1);
    /* the hold exception stays open until the order is posted */
    assert_int_equal(
        it_sql_longf(cli_db, "SELECT count(*) FROM exceptions WHERE id = %ld AND state = 'open'", exc),
        1);

    /* a second retry re-arms the same job, never adds one */
    CLI(&r, "exceptions", "retry", ids, "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "action"), "job_retried");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND "
                                  "dedupe_key = '3001'"),
                     1);

    /* an exception about an order no longer on hold is refused */
    order_insert(3002, "#3002", "sent", NULL, "MUG-1");
    other = exception_insert("unknown_sku", "order", "#3002", 3002);
    snprintf(other_ids, sizeof(other_ids), "%ld", other);
    CLI(&r, "exceptions", "retry", other_ids);
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM jobs WHERE dedupe_key = '3002'"), 0);

    /* types that are not about re-running something are refused */
    other = exception_insert("invalid_webhook", "webhook", "retry-w1", 0);
    snprintf(other_ids, sizeof(other_ids), "%ld", other);
    CLI(&r, "exceptions", "retry", other_ids);
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "cannot be retried"));
    it_cli_result_free(&r);
}

/* ---- sku ---- */

static void test_sku_map_requeues_held_order(void **state)
{
    struct it_cli_result r;
    struct json_object *o;

    order_insert(4001, "#4001", "on_hold", "sku", "SHOP-SKU-4");
    exception_insert("unknown_sku", "order", "#4001", 4001);

    /* the item is not in the catalogue yet: stored, with a warning */
    CLI(&r, "sku", "map", "SHOP-SKU-4", "PVX-4", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "item_state"), "missing");
    assert_non_null(jstr(o, "warning"));
    assert_non_null(strstr(r.err, "warning"));
    assert_null(jget(o, "previous_item_code"));
    assert_true(jint(o, "held_orders_enqueued") >= 1);
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM sku_map WHERE shop = '" IT_SHOP "' AND "
                                      "shopline_sku = 'SHOP-SKU-4' AND item_code = 'PVX-4' AND "
                                      "created_by = '" IT_CLI_USER "'"),
                     1);
    assert_int_equal(it_sql_longf(cli_db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND "
                                  "dedupe_key = '4001' AND payload->>'order_id' = '4001' AND "
                                  "state = 'pending'"),
                     1);

    /* remapped to an active item: no warning, the previous code is reported */
    it_sql_exec(cli_db, "INSERT INTO items (shop, code, name) VALUES ('" IT_SHOP "', 'PVX-4B', "
                    "'Mug')");
    CLI(&r, "sku", "map", "SHOP-SKU-4", "PVX-4B", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "item_state"), "active");
    assert_null(jget(o, "warning"));
    assert_string_equal(jstr(o, "previous_item_code"), "PVX-4");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(
        it_sql_longf(cli_db, "SELECT count(*) FROM sku_map WHERE shopline_sku = 'SHOP-SKU-4'"), 1);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM jobs WHERE dedupe_key = '4001'"), 1);

    CLI(&r, "sku", "list", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "mappings"), 1);
    assert_string_equal(jstr(jidx(o, "mappings", 0), "item_code"), "PVX-4B");
    assert_string_equal(jstr(jidx(o, "mappings", 0), "item_state"), "active");
    json_object_put(o);
    it_cli_result_free(&r);

    /* an item code Peoplevox would refuse is a usage error, nothing stored */
    CLI(&r, "sku", "map", "OTHER", "BAD~D~CODE");
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM sku_map WHERE shopline_sku = 'OTHER'"),
                     0);

    /* a SKU starting with '-' after "--" */
    CLI(&r, "sku", "map", "--json", "--", "-DASH", "PVX-4B");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    CLI(&r, "sku", "unmap", "--", "-DASH");
    expect_exit(&r, 0);
    it_cli_result_free(&r);

    CLI(&r, "sku", "unmap", "SHOP-SKU-4", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "item_code"), "PVX-4B");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(cli_db, "SELECT count(*) FROM sku_map"), 0);
    CLI(&r, "sku", "unmap", "SHOP-SKU-4");
    expect_exit(&r, 3);
    it_cli_result_free(&r);
}

/* ---- order show ---- */

static void expect_order_5001(struct json_object *o)
{
    struct json_object *h;

    assert_int_equal(jint(o, "id"), 5001);
    assert_string_equal(jstr(o, "name"), "#5001");
    assert_string_equal(jstr(o, "state"), "sent");
    assert_string_equal(jstr(o, "financial_status"), "paid");
    assert_string_equal(jstr(o, "sales_order_number"), "SV5001");
    assert_string_equal(jstr(o, "site"), "LONDON");
    assert_int_equal(jlen(o, "lines"), 1);
    assert_string_equal(jstr(jidx(o, "lines", 0), "sku"), "MUG-5");
    assert_string_equal(jstr(jidx(o, "lines", 0), "item_code"), "MUG-5");
    assert_int_equal(jint(jidx(o, "lines", 0), "quantity"), 2);
    assert_int_equal(jint(jidx(o, "lines", 0), "qty_despatched"), 1);
    assert_int_equal(jlen(o, "open_exceptions"), 1);
    assert_string_equal(jstr(jidx(o, "open_exceptions", 0), "type"), "order_edited_after_post");
    assert_int_equal(jlen(o, "jobs"), 1);
    assert_string_equal(jstr(jidx(o, "jobs", 0), "kind"), "post_sales_order");
    assert_string_equal(jstr(jidx(o, "jobs", 0), "state"), "done");
    /* history in time order, whatever the insertion order */
    assert_int_equal(jlen(o, "history"), 3);
    h = jget(o, "history");
    assert_string_equal(jstr(json_object_array_get_idx(h, 0), "event"), "received");
    assert_string_equal(jstr(json_object_array_get_idx(h, 1), "event"), "state_changed");
    assert_string_equal(jstr(json_object_array_get_idx(h, 2), "event"), "sent");
    assert_string_equal(jstr(json_object_array_get_idx(h, 2), "to_state"), "sent");
}

static void test_order_show_by_name_and_id_with_history(void **state)
{
    const char *const keys[] = {"#5001", "5001", "7700005001"};
    struct it_cli_result r;
    struct json_object *o;

    order_insert(5001, "#5001", "sent", NULL, "MUG-5");
    it_sql_exec(cli_db, "UPDATE orders SET sales_order_number = 'SV5001', site = 'LONDON' "
                    "WHERE id = 5001");
    it_sql_exec(cli_db, "UPDATE order_lines SET item_code = 'MUG-5', qty_despatched = 1 "
                    "WHERE order_id = 5001");
    it_sql_exec(cli_db, "INSERT INTO order_events (order_id, at, from_state, to_state, event, detail) "
                    "VALUES (5001, now() - interval '1 minute', 'ready', 'sent', 'sent', 'SV5001'), "
                    "(5001, now() - interval '3 minutes', NULL, 'awaiting_payment', 'received', "
                    "'orders/create'), (5001, now() - interval '2 minutes', 'awaiting_payment', "
                    "'ready', 'state_changed', 'orders/paid')");
    it_sql_exec(cli_db, "INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts) VALUES "
                    "('" IT_SHOP "', 'post_sales_order', '5001', '{\"order_id\": 5001}', 'done', 1)");
    exception_insert("order_edited_after_post", "order", "#5001", 5001);

    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        CLI(&r, "order", "show", keys[i], "--json");
        o = json_of(&r, 0);
        expect_order_5001(o);
        json_object_put(o);
        it_cli_result_free(&r);
    }
    CLI(&r, "order", "show", "#5001");
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "History (3)"));
    assert_non_null(strstr(r.out, "SV5001"));
    it_cli_result_free(&r);

    CLI(&r, "order", "show", "#999999", "--json");
    expect_json_error(&r, 3, "#999999");
    it_cli_result_free(&r);
}

/* ---- the same options everywhere ---- */

/* Every command and subcommand: --help on stdout with exit 0, --version likewise. */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exceptions_list_filters_and_show),
        cmocka_unit_test(test_exceptions_bad_arguments_and_not_found),
        cmocka_unit_test(test_exceptions_resolve_with_note),
        cmocka_unit_test(test_retry_dead_job),
        cmocka_unit_test(test_retry_held_order_enqueues_post_once),
        cmocka_unit_test(test_sku_map_requeues_held_order),
        cmocka_unit_test(test_order_show_by_name_and_id_with_history),
    };

    return cmocka_run_group_tests(tests, cli_group_setup, NULL);
}

