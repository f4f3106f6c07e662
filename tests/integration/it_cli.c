/*
 * it_cli.c - operator commands end to end: the real binary as a child
 * process against a real, migrated database, rows put in place by SQL,
 * answers read back as JSON (and exit codes).
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
#include "it_cli_run.h"

#define CLI(r, ...) it_cli_run((r), db, __VA_ARGS__, (const char *)NULL)

static const char *db;

/* ---- helpers ---- */

static void expect_exit(const struct it_cli_result *r, int want)
{
    if (r->exit_code != want)
        fprintf(stderr, "exit %d, wanted %d\nstdout:\n%s\nstderr:\n%s\n", r->exit_code, want,
                r->out, r->err);
    assert_int_equal(r->exit_code, want);
}

/* Checks the exit code and returns stdout as JSON (owned). */
static struct json_object *json_of(const struct it_cli_result *r, int want)
{
    struct json_object *o;

    expect_exit(r, want);
    o = it_cli_json(r);
    assert_non_null(o);
    return o;
}

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fprintf(stderr, "no member %s in %s\n", key, json_object_to_json_string(o));
        fail();
    }
    return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = jget(o, key);

    return v == NULL ? NULL : json_object_get_string(v);
}

/*
 * With --json a failure is one JSON document on stdout, {"error": ...,
 * "code": N} with N the exit code, and nothing on stderr.
 */
static void expect_json_error(const struct it_cli_result *r, int code, const char *needle)
{
    struct json_object *o = json_of(r, code), *c;

    assert_true(json_object_object_get_ex(o, "code", &c));
    assert_int_equal(json_object_get_int(c), code);
    if (strstr(jstr(o, "error"), needle) == NULL)
        fail_msg("error [%s] does not mention [%s]", jstr(o, "error"), needle);
    assert_string_equal(r->err, "");
    json_object_put(o);
}


static long long jint(struct json_object *o, const char *key)
{
    return (long long)json_object_get_int64(jget(o, key));
}

static size_t jlen(struct json_object *o, const char *key)
{
    struct json_object *a = jget(o, key);

    assert_true(json_object_is_type(a, json_type_array));
    return json_object_array_length(a);
}

static struct json_object *jidx(struct json_object *o, const char *key, size_t i)
{
    return json_object_array_get_idx(jget(o, key), i);
}

/* Inserts an order (explicit id) with one line of sku; returns nothing, ids are the test's. */
static void order_insert(long id, const char *name, const char *state, const char *hold_reason,
                         const char *sku)
{
    it_sql_longf(db,
                 "INSERT INTO orders (id, shop, shopline_order_id, name, state, financial_status, "
                 "hold_reason) VALUES (%ld, '" IT_SHOP "', '77%08ld', '%s', '%s', 'paid', %s%s%s) "
                 "RETURNING id",
                 id, id, name, state, hold_reason ? "'" : "", hold_reason ? hold_reason : "NULL",
                 hold_reason ? "'" : "");
    it_sql_longf(db,
                 "INSERT INTO order_lines (order_id, line_id, line_no, sku, quantity) "
                 "VALUES (%ld, 'L%ld', 1, '%s', 2) RETURNING quantity",
                 id, id, sku);
}

/* Inserts an open exception and returns its id. */
static long exception_insert(const char *type, const char *subject_kind, const char *subject,
                             long order_id)
{
    char order[24] = "NULL";

    if (order_id > 0)
        snprintf(order, sizeof(order), "%ld", order_id);
    return it_sql_longf(
        db,
        "INSERT INTO exceptions (shop, type, team, subject_kind, subject, order_id, "
        "detail, action) VALUES ('" IT_SHOP "', '%s', 'ops', '%s', '%s', %s, "
        "'detail of %s', 'do something') RETURNING id",
        type, subject_kind, subject, order, type);
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    struct it_cli_result r;

    it_require_db();
    db = it_db_create("cli");
    CLI(&r, "migrate");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    return 0;
}

/* ---- exceptions ---- */

static void test_exceptions_list_filters_and_show(void **state)
{
    long a = exception_insert("invalid_webhook", "webhook", "list-w1", 0);
    long b = exception_insert("invalid_webhook", "webhook", "list-w2", 0);
    long c = exception_insert("list_only_type", "webhook", "list-w3", 0);
    struct it_cli_result r;
    struct json_object *o;

    it_sql_longf(db,
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
    by = it_sql_textf(db,
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
        it_sql_longf(db, "INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts, "
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
    assert_int_equal(it_sql_longf(db,
                                  "SELECT count(*) FROM jobs WHERE id = %ld AND state = 'pending' "
                                  "AND attempts = 0 AND run_at <= now()",
                                  job),
                     1);
    assert_int_equal(it_sql_longf(db,
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
    assert_int_equal(it_sql_longf(db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND "
                                  "dedupe_key = '3001' AND payload = '{\"order_id\": 3001}'::jsonb "
                                  "AND shop = '" IT_SHOP "' AND state = 'pending'"),
                     1);
    /* the hold exception stays open until the order is posted */
    assert_int_equal(
        it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE id = %ld AND state = 'open'", exc),
        1);

    /* a second retry re-arms the same job, never adds one */
    CLI(&r, "exceptions", "retry", ids, "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "action"), "job_retried");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(db,
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
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs WHERE dedupe_key = '3002'"), 0);

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
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM sku_map WHERE shop = '" IT_SHOP "' AND "
                                      "shopline_sku = 'SHOP-SKU-4' AND item_code = 'PVX-4' AND "
                                      "created_by = '" IT_CLI_USER "'"),
                     1);
    assert_int_equal(it_sql_longf(db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'post_sales_order' AND "
                                  "dedupe_key = '4001' AND payload->>'order_id' = '4001' AND "
                                  "state = 'pending'"),
                     1);

    /* remapped to an active item: no warning, the previous code is reported */
    it_sql_exec(db, "INSERT INTO items (shop, code, name) VALUES ('" IT_SHOP "', 'PVX-4B', "
                    "'Mug')");
    CLI(&r, "sku", "map", "SHOP-SKU-4", "PVX-4B", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "item_state"), "active");
    assert_null(jget(o, "warning"));
    assert_string_equal(jstr(o, "previous_item_code"), "PVX-4");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(
        it_sql_longf(db, "SELECT count(*) FROM sku_map WHERE shopline_sku = 'SHOP-SKU-4'"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs WHERE dedupe_key = '4001'"), 1);

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
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM sku_map WHERE shopline_sku = 'OTHER'"),
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
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM sku_map"), 0);
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
    it_sql_exec(db, "UPDATE orders SET sales_order_number = 'SV5001', site = 'LONDON' "
                    "WHERE id = 5001");
    it_sql_exec(db, "UPDATE order_lines SET item_code = 'MUG-5', qty_despatched = 1 "
                    "WHERE order_id = 5001");
    it_sql_exec(db, "INSERT INTO order_events (order_id, at, from_state, to_state, event, detail) "
                    "VALUES (5001, now() - interval '1 minute', 'ready', 'sent', 'sent', 'SV5001'), "
                    "(5001, now() - interval '3 minutes', NULL, 'awaiting_payment', 'received', "
                    "'orders/create'), (5001, now() - interval '2 minutes', 'awaiting_payment', "
                    "'ready', 'state_changed', 'orders/paid')");
    it_sql_exec(db, "INSERT INTO jobs (shop, kind, dedupe_key, payload, state, attempts) VALUES "
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
static void test_help_and_version_everywhere(void **state)
{
    static const char *const where[][3] = {
        {NULL, NULL, NULL},          {"serve", NULL, NULL},      {"migrate", NULL, NULL},
        {"check-config", NULL, NULL}, {"exceptions", NULL, NULL}, {"exceptions", "list", NULL},
        {"exceptions", "resolve", "7"}, {"sku", NULL, NULL},     {"sku", "map", "A"},
        {"order", "show", NULL},     {"routing", "set", NULL},   {"catalogue", "sync", NULL},
        {"schedules", NULL, NULL},
    };
    static const char *const unset[] = {"SHOPVOX_DATABASE_URL=", NULL}; /* no config needed */
    char want[64];

    snprintf(want, sizeof(want), "shopvox %s\n", SHOPVOX_VERSION);
    for (size_t i = 0; i < ARRAY_LEN(where); i++) {
        for (int v = 0; v < 2; v++) {
            const char *args[5];
            struct it_cli_result r;
            int n = 0;

            for (int k = 0; k < 3 && where[i][k] != NULL; k++)
                args[n++] = where[i][k];
            args[n++] = v ? "--version" : "--help";
            args[n] = NULL;
            it_cli_run_env(&r, db, unset, args);
            expect_exit(&r, 0);
            assert_string_equal(r.err, "");
            if (v)
                assert_string_equal(r.out, want);
            else if (strstr(r.out, "usage") != r.out)
                fail_msg("%s %s --help: [%s]", args[0], n > 2 ? args[1] : "", r.out);
            if (!v && where[i][1] != NULL)
                assert_non_null(strstr(r.out, where[i][1]));
            it_cli_result_free(&r);
        }
    }
}

/* Invalid input is refused before anything is read or written: exit 2, one clear message. */
static void test_invalid_input_is_refused_up_front(void **state)
{
    struct it_cli_result r;

    CLI(&r, "exceptions", "list", "--type", "nope");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "unknown exception type 'nope': known types are "));
    assert_non_null(strstr(r.err, "unknown_sku"));
    assert_non_null(strstr(r.err, "job_dead"));
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--type=nope", "--json");
    expect_json_error(&r, 2, "known types are");
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--type", "unknown_sku", "--json");
    expect_exit(&r, 0);
    it_cli_result_free(&r);

    CLI(&r, "sku", "map", "TAB\tSKU", "ITEM-1");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "invalid Shopline SKU: control character 0x09 at byte 4"));
    it_cli_result_free(&r);
    CLI(&r, "sku", "map", "NL\n", "ITEM-1", "--json");
    expect_json_error(&r, 2, "control character 0x0a");
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM sku_map WHERE shopline_sku "
                                      "IN (E'TAB\\tSKU', E'NL\\n')"),
                     0);

    CLI(&r, "sku", "map", "--bogus", "A", "B", "--json");
    expect_json_error(&r, 2, "unknown option --bogus");
    it_cli_result_free(&r);
    CLI(&r, "exceptions", "list", "--limit");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "option --limit needs a value"));
    it_cli_result_free(&r);
}

/* ---- routing ---- */

static void test_routing_set_and_list(void **state)
{
    const char *const bad[] = {"country:GBR=LONDON", "default=SystemSite", "teleport=X",
                               "default=A;default=B", "", "country:GB=NOWHERE",
                               "stock=A,london"};
    struct it_cli_result r;
    struct json_object *o;
    char *before;

    /* the sites shopvox knows: those with stock rows, and the default site */
    it_sql_exec(db, "INSERT INTO stock (shop, item_code, site, available) VALUES "
                    "('" IT_SHOP "', 'SKU-R', 'MANCHESTER', 1), ('" IT_SHOP "', 'SKU-R', 'LONDON', 1), "
                    "('" IT_SHOP "', 'SKU-R', 'A', 1), ('" IT_SHOP "', 'SKU-R', 'B', 1)");
    CLI(&r, "routing", "set", "location:123=MANCHESTER; country:gb=LONDON;stock=A,B;"
                              "default=PrimarySite", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "rules"), 5);
    assert_string_equal(jstr(o, "spec"),
                        "location:123=MANCHESTER;country:GB=LONDON;stock=A,B;default=PrimarySite");
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(
        it_sql_longf(db, "SELECT count(*) FROM routing_rules WHERE shop = '" IT_SHOP "'"), 5);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM routing_rules WHERE position = 2 AND "
                                      "kind = 'country' AND match = 'GB' AND site = 'LONDON'"),
                     1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM routing_rules WHERE kind = 'stock' AND "
                                      "match IS NULL"),
                     2);

    before =
        it_sql_textf(db, "SELECT string_agg(position || kind || coalesce(match, '') || site, ',' "
                         "ORDER BY position) FROM routing_rules");
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        char *after;

        CLI(&r, "routing", "set", bad[i]);
        expect_exit(&r, 2);
        assert_non_null(strstr(r.err, "invalid routing rules"));
        it_cli_result_free(&r);
        after = it_sql_textf(
            db, "SELECT string_agg(position || kind || coalesce(match, '') || site, ',' "
                "ORDER BY position) FROM routing_rules");
        assert_string_equal(after, before);
        free(after);
    }
    free(before);

    CLI(&r, "routing", "set", "country:GB=NOWHERE");
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "unknown site 'NOWHERE' (known sites: A, B, LONDON, MANCHESTER, "
                                  "PrimarySite)"));
    it_cli_result_free(&r);
    CLI(&r, "routing", "set", "country:GB=NOWHERE", "--json");
    expect_json_error(&r, 2, "unknown site 'NOWHERE'");
    it_cli_result_free(&r);

    CLI(&r, "routing", "set", "default=PrimarySite");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    CLI(&r, "routing", "list", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "rules"), 1);
    assert_string_equal(jstr(jidx(o, "rules", 0), "kind"), "default");
    assert_int_equal(jint(jidx(o, "rules", 0), "position"), 1);
    assert_string_equal(jstr(o, "spec"), "default=PrimarySite");
    json_object_put(o);
    it_cli_result_free(&r);
}

/* ---- carriers ---- */

static void test_carriers_set_list_delete(void **state)
{
    const char *const bad[][5] = {
        {"DPD", NULL},                                           /* no --company */
        {"DPD/", "--company", "DPD", NULL},
        {"DP\tD", "--company", "DPD", NULL},
        {"DPD", "--company", "", NULL},
        {"DPD", "--company", "DPD", "--url", "ftp://t.example/{tracking}"},
        {"DPD", "--company", "DPD", "--url", "https://t.example/"},
        {"DPD", "--company", "DPD", "--url", "https://t.example/{tracking_no}"},
    };
    struct it_cli_result r;
    struct json_object *o;

    CLI(&r, "carriers", "set", "DPD/Next day", "--company", "DPD UK", "--url",
        "https://t.example/p/{tracking}", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "example_url"), "https://t.example/p/TRACKING123");
    assert_true(json_object_get_type(jget(o, "previous")) == json_type_null);
    json_object_put(o);
    it_cli_result_free(&r);
    CLI(&r, "carriers", "set", "dpd/next day", "--company", "DPD Next"); /* the same row */
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "(was 'DPD UK')"));
    it_cli_result_free(&r);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        const char *args[9] = {"carriers", "set"};

        memcpy(args + 2, bad[i], sizeof(bad[i]));
        it_cli_run_env(&r, db, NULL, args);
        expect_exit(&r, 2);
        assert_true(strstr(r.err, "invalid") != NULL || strstr(r.err, "is required") != NULL);
        it_cli_result_free(&r);
    }
    CLI(&r, "carriers", "list", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jlen(o, "carriers"), 1);
    assert_string_equal(jstr(jidx(o, "carriers", 0), "tracking_company"), "DPD Next");
    assert_true(json_object_get_type(jget(jidx(o, "carriers", 0), "tracking_url_template")) ==
                json_type_null);
    assert_string_equal(jstr(jidx(o, "carriers", 0), "updated_by"), IT_CLI_USER);
    json_object_put(o);
    it_cli_result_free(&r);
    CLI(&r, "carriers", "delete", "DPD/NEXT DAY");
    expect_exit(&r, 0);
    it_cli_result_free(&r);
    CLI(&r, "carriers", "delete", "DPD/NEXT DAY", "--json");
    expect_json_error(&r, 3, "no carrier mapping for 'DPD/NEXT DAY'");
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM carriers"), 0);
}

/* ---- catalogue, configuration ---- */

static void test_catalogue_sync_enqueues_once(void **state)
{
    struct it_cli_result r;
    struct json_object *o;
    long long job;

    CLI(&r, "catalogue", "sync", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "action"), "job_enqueued");
    job = jint(o, "job_id");
    json_object_put(o);
    it_cli_result_free(&r);
    CLI(&r, "catalogue", "sync", "--json");
    o = json_of(&r, 0);
    assert_int_equal(jint(o, "job_id"), job);
    json_object_put(o);
    it_cli_result_free(&r);
    assert_int_equal(it_sql_longf(db,
                                  "SELECT count(*) FROM jobs WHERE kind = 'catalogue_sync' AND "
                                  "dedupe_key = 'catalogue' AND state = 'pending' AND id = %lld",
                                  job),
                     1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs WHERE kind = 'catalogue_sync'"),
                     1);
}

/* ---- schedules ---- */

static void test_schedules_show_status_leader_and_watermark(void **state)
{
    struct it_cli_result r;
    struct json_object *o, *poll, *cat;

    it_sql_longf(db, "INSERT INTO schedules (task, last_run_at, last_success_at, last_error, "
                     "last_error_at, failing, replica, runs, failures) VALUES "
                     "('poll_despatches', '2026-11-30 10:00:05+00', '2026-11-30 09:59:05+00', "
                     "'peoplevox timed out', '2026-11-30 10:00:05+00', true, 'pod-a:1', 9, 2), "
                     "('catalogue_sync', '2026-11-30 09:00:00+00', '2026-11-30 09:00:00+00', "
                     "NULL, NULL, false, 'pod-b:1', 1, 0) RETURNING 1");
    it_sql_longf(db, "INSERT INTO cursors (name, value) VALUES ('scheduler_leader', 'pod-b:1'), "
                     "('despatch_watermark', '1796083200'), ('poll_despatches', 'enqueued') "
                     "RETURNING 1");
    CLI(&r, "schedules", "--json");
    o = json_of(&r, 0);
    assert_string_equal(jstr(o, "leader"), "pod-b:1");
    assert_string_equal(jstr(o, "despatch_watermark"), "2026-12-01T00:00:00Z");
    assert_int_equal(jlen(o, "tasks"), 15); /* every task, those that never ran too */
    /* off without SHOPVOX_REPORT_WEBHOOK_URL: listed, every 0 s */
    assert_string_equal(jstr(jidx(o, "tasks", 14), "task"), "report_daily");
    assert_int_equal(jint(jidx(o, "tasks", 14), "interval_s"), 0);
    assert_string_equal(jstr(jidx(o, "tasks", 8), "task"), "reconcile_inventory");
    assert_string_equal(jstr(jidx(o, "tasks", 9), "task"), "sweep_orders");
    /* off in this configuration (no SHOPVOX_PUBLIC_URL): listed, every 0 s */
    assert_string_equal(jstr(jidx(o, "tasks", 10), "task"), "ensure_webhooks");
    assert_int_equal(jint(jidx(o, "tasks", 10), "interval_s"), 0);
    cat = jidx(o, "tasks", 0);
    assert_string_equal(jstr(cat, "task"), "catalogue_sync");
    assert_false(json_object_get_boolean(jget(cat, "failing")));
    assert_null(jget(cat, "last_error"));
    assert_null(jget(jidx(o, "tasks", 1), "last_run_at"));   /* detect_stalled never ran */
    poll = jidx(o, "tasks", 3);
    assert_string_equal(jstr(poll, "task"), "poll_despatches");
    assert_true(json_object_get_boolean(jget(poll, "failing")));
    assert_string_equal(jstr(poll, "last_error"), "peoplevox timed out");
    assert_string_equal(jstr(poll, "last_run_at"), "2026-11-30T10:00:05Z");
    assert_string_equal(jstr(poll, "last_success_at"), "2026-11-30T09:59:05Z");
    assert_string_equal(jstr(poll, "replica"), "pod-a:1");
    assert_int_equal(jint(poll, "interval_s"), 60);
    assert_int_equal(jint(poll, "runs"), 9);
    assert_non_null(jget(poll, "enqueued_at"));
    assert_non_null(jget(poll, "next_due_at")); /* enqueued_at + 60 s */
    json_object_put(o);
    it_cli_result_free(&r);

    CLI(&r, "schedules");
    expect_exit(&r, 0);
    assert_non_null(strstr(r.out, "Leader:"));
    assert_non_null(strstr(r.out, "poll_despatches"));
    assert_non_null(strstr(r.out, "peoplevox timed out"));
    it_cli_result_free(&r);

    CLI(&r, "schedules", "now", "--json");
    expect_json_error(&r, 2, "unexpected argument 'now'");
    it_cli_result_free(&r);
}

static void test_configuration_and_database_errors(void **state)
{
    const char *const no_shop[] = {"SHOPLINE_SHOP_DOMAIN=", NULL};
    const char *const bad_var[] = {"SHOPVOX_WORKERS=lots", NULL};
    const char *const list[] = {"exceptions", "list", NULL};
    struct it_cli_result r;

    it_cli_run_env(&r, db, no_shop, list);
    expect_exit(&r, 2);
    assert_non_null(strstr(r.err, "SHOPLINE_SHOP_DOMAIN"));
    it_cli_result_free(&r);
    it_cli_run_env(&r, "", NULL, list);
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    it_cli_run_env(&r, db, bad_var, list);
    expect_exit(&r, 2);
    it_cli_result_free(&r);
    it_cli_run_env(&r, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", NULL, list);
    expect_exit(&r, 1);
    assert_non_null(strstr(r.err, "could not connect"));
    it_cli_result_free(&r);
}

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
        cmocka_unit_test(test_routing_set_and_list),
        cmocka_unit_test(test_help_and_version_everywhere),
        cmocka_unit_test(test_invalid_input_is_refused_up_front),
        cmocka_unit_test(test_catalogue_sync_enqueues_once),
        cmocka_unit_test(test_carriers_set_list_delete),
        cmocka_unit_test(test_schedules_show_status_leader_and_watermark),
        cmocka_unit_test(test_configuration_and_database_errors),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
