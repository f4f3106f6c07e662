/*
 * it_api_admin.c - the admin API's settings, status and report routes
 * over HTTP against the real binary: SKU mappings (paging, search, add,
 * remove), routing rules (set, delete one), carriers (set, delete),
 * schedules, the limiter, the inventory, reconciliation and daily
 * reports, returns (list, show, authorise, reject). Every route needs a token, a viewer reads but a write is 403
 * and changes nothing, the CLI's validation answers 400 with its message,
 * and every write leaves its audit row, actor the token's name.
 */
#include <json-c/json.h>
#include <math.h>
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
#include "it_sandbox.h"

#define T_OPERATOR "op-token-0123456789abcdef0123456789"
#define T_VIEWER "viewer-token-0123456789abcdef01234567"
#define H_OPERATOR "Authorization: Bearer " T_OPERATOR
#define H_VIEWER "Authorization: Bearer " T_VIEWER

static const char *db;
static struct it_proc proc;

static struct json_object *call(const char *method, const char *path, const char *auth,
                                const char *body, long want)
{
    return it_api_call(proc.ops_port, method, path, auth, body, want);
}

static size_t jlen(struct json_object *o, const char *key)
{
    return json_object_array_length(json_object_object_get(o, key));
}

static void expect_error(const char *method, const char *path, const char *auth,
                         const char *body, long status, const char *code, const char *want_msg)
{
    it_api_expect_error(proc.ops_port, method, path, auth, body, status, code, want_msg);
}

static long audit_rows(const char *action, const char *subject)
{
    return it_sql_longf(db,
                        "SELECT count(*) FROM audit_log WHERE actor = 'olga' AND action = '%s' "
                        "AND subject_id = '%s'",
                        action, subject);
}

/* ---- every route: authentication and roles ---- */

static const char *const reads[] = {
    "/api/v1/sku-mappings",      "/api/v1/routing-rules",     "/api/v1/carriers",
    "/api/v1/schedules",         "/api/v1/limiter",           "/api/v1/reports/reconcile",
    "/api/v1/reports/daily",     "/api/v1/returns",
};

static const char *const writes[][2] = {
    {"/api/v1/sku-mappings", "{\"shopline_sku\":\"V-1\",\"item_code\":\"ITEM-V\"}"},
    {"/api/v1/sku-mappings/remove", "{\"shopline_sku\":\"V-1\"}"},
    {"/api/v1/routing-rules", "{\"spec\":\"default=PrimarySite\"}"},
    {"/api/v1/routing-rules/1/delete", NULL},
    {"/api/v1/carriers", "{\"carrier\":\"V\",\"tracking_company\":\"V\"}"},
    {"/api/v1/carriers/delete", "{\"carrier\":\"V\"}"},
    {"/api/v1/returns/1/authorise", NULL},
    {"/api/v1/returns/1/reject", "{\"reason\":\"x\"}"},
};

static void test_every_new_route_needs_a_token_and_a_role(void **state)
{
    long audits = it_sql_long(db, "SELECT count(*) FROM audit_log");

    for (size_t i = 0; i < ARRAY_LEN(reads); i++) {
        expect_error("GET", reads[i], NULL, NULL, 401, "unauthorized", NULL);
        json_object_put(call("GET", reads[i], H_VIEWER, NULL, 200));
    }
    expect_error("GET", "/api/v1/reports/inventory", NULL, NULL, 401, "unauthorized", NULL);
    for (size_t i = 0; i < ARRAY_LEN(writes); i++) {
        expect_error("POST", writes[i][0], NULL, writes[i][1], 401, "unauthorized", NULL);
        expect_error("POST", writes[i][0], H_VIEWER, writes[i][1], 403, "forbidden",
                     "operator role");
    }
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM audit_log"), audits);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM sku_map WHERE shopline_sku = 'V-1'"),
                     0);
    expect_error("DELETE", "/api/v1/carriers", H_OPERATOR, NULL, 405, "method_not_allowed",
                 NULL);
}

/* ---- SKU mappings ---- */

static void test_sku_mappings_add_page_search_remove(void **state)
{
    struct json_object *o, *p;
    char path[256];

    it_sql_exec(db, "INSERT INTO items (shop, code, active) VALUES ('" IT_SHOP "', 'ITEM-A', "
                    "true) ON CONFLICT DO NOTHING");
    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"SKU-A\",\"item_code\":\"ITEM-A\"}", 200);
    assert_string_equal(it_json_str(o, "item_state"), "active");
    assert_null(json_object_object_get(o, "warning"));
    assert_null(json_object_object_get(o, "previous_item_code"));
    json_object_put(o);
    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"SKU-B\",\"item_code\":\"ITEM-NEW\",\"allow_unknown\":true}",
             200);
    assert_string_equal(it_json_str(o, "item_state"), "missing");
    assert_non_null(strstr(it_json_str(o, "warning"), "stay on hold"));
    json_object_put(o);
    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"SKU-A\",\"item_code\":\"ITEM-A2\",\"allow_unknown\":true}",
             200);
    assert_string_equal(it_json_str(o, "previous_item_code"), "ITEM-A");
    json_object_put(o);
    assert_int_equal(audit_rows("sku.map", "SKU-A"), 2);

    expect_error("POST", "/api/v1/sku-mappings", H_OPERATOR,
                 "{\"shopline_sku\":\"TAB\\tSKU\",\"item_code\":\"ITEM-1\"}", 400,
                 "invalid_request", "control character 0x09 at byte 4");
    expect_error("POST", "/api/v1/sku-mappings", H_OPERATOR, "{\"shopline_sku\":\"X\"}", 400,
                 "invalid_request", "invalid item code");
    expect_error("POST", "/api/v1/sku-mappings", H_OPERATOR, "{\"shopline_sku\":7}", 400,
                 "invalid_request", "must be a string");
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM sku_map WHERE shopline_sku LIKE "
                                     "'TAB%' OR shopline_sku = 'X'"),
                     0);

    /* newest first, one a page, the cursor to the next */
    o = call("GET", "/api/v1/sku-mappings?limit=1", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "items"), 1);
    assert_string_equal(it_json_str(json_object_array_get_idx(json_object_object_get(o, "items"), 0), "shopline_sku"),
                        "SKU-B");
    snprintf(path, sizeof(path), "/api/v1/sku-mappings?limit=1&cursor=%s",
             it_json_str(o, "next_cursor"));
    p = call("GET", path, H_VIEWER, NULL, 200);
    assert_string_equal(it_json_str(json_object_array_get_idx(json_object_object_get(p, "items"), 0), "shopline_sku"),
                        "SKU-A");
    assert_string_equal(it_json_str(json_object_array_get_idx(json_object_object_get(p, "items"), 0), "created_by"),
                        "olga");
    json_object_put(p);
    json_object_put(o);
    o = call("GET", "/api/v1/sku-mappings?q=item-a2", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "items"), 1);
    assert_true(json_object_get_type(json_object_object_get(o, "next_cursor")) == json_type_null);
    json_object_put(o);
    expect_error("GET", "/api/v1/sku-mappings?cursor=bogus", H_VIEWER, NULL, 400,
                 "invalid_request", "cursor");
    expect_error("GET", "/api/v1/sku-mappings?limit=0", H_VIEWER, NULL, 400, "invalid_request",
                 "limit");

    o = call("POST", "/api/v1/sku-mappings/remove", H_OPERATOR, "{\"shopline_sku\":\"SKU-B\"}",
             200);
    assert_string_equal(it_json_str(o, "item_code"), "ITEM-NEW");
    json_object_put(o);
    assert_int_equal(audit_rows("sku.unmap", "SKU-B"), 1);
    expect_error("POST", "/api/v1/sku-mappings/remove", H_OPERATOR,
                 "{\"shopline_sku\":\"SKU-B\"}", 404, "not_found", "no mapping");
    expect_error("POST", "/api/v1/sku-mappings/remove", H_OPERATOR, "{}", 400,
                 "invalid_request", "shopline_sku is required");
}

/* ---- routing rules ---- */

static void test_routing_rules_set_and_delete(void **state)
{
    struct json_object *o;
    long before;

    it_sql_exec(db, "INSERT INTO stock (shop, item_code, site, available) VALUES "
                    "('" IT_SHOP "', 'R-1', 'LONDON', 1), ('" IT_SHOP "', 'R-1', 'LEEDS', 1) "
                    "ON CONFLICT DO NOTHING");
    o = call("POST", "/api/v1/routing-rules", H_OPERATOR,
             "{\"spec\":\"country:gb=LONDON;stock=LEEDS,LONDON;default=PrimarySite\"}", 200);
    assert_int_equal(jlen(o, "rules"), 4);
    assert_string_equal(it_json_str(o, "spec"), "country:GB=LONDON;stock=LEEDS,LONDON;default=PrimarySite");
    json_object_put(o);
    assert_int_equal(audit_rows("routing.set", IT_SHOP), 1);

    before = it_sql_long(db, "SELECT count(*) FROM routing_rules");
    expect_error("POST", "/api/v1/routing-rules", H_OPERATOR, "{\"spec\":\"country:GB=NOWHERE\"}",
                 400, "invalid_request", "unknown site 'NOWHERE' (known sites: ");
    expect_error("POST", "/api/v1/routing-rules", H_OPERATOR, "{\"spec\":\"teleport=X\"}", 400,
                 "invalid_request", "invalid routing rules");
    expect_error("POST", "/api/v1/routing-rules", H_OPERATOR, "{}", 400, "invalid_request",
                 "no rule given");
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM routing_rules"), before);

    o = call("POST", "/api/v1/routing-rules/2/delete", H_OPERATOR, NULL, 200);
    assert_string_equal(it_json_str(o, "spec"), "country:GB=LONDON;stock=LONDON;default=PrimarySite");
    json_object_put(o);
    o = call("GET", "/api/v1/routing-rules", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "rules"), 3);
    json_object_put(o);
    assert_int_equal(audit_rows("routing.set", IT_SHOP), 2);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'routing.set' AND before->>'spec' = 'country:GB=LONDON;"
                                     "stock=LEEDS,LONDON;default=PrimarySite' AND after->>'spec' "
                                     "= 'country:GB=LONDON;stock=LONDON;default=PrimarySite'"),
                     1);
    expect_error("POST", "/api/v1/routing-rules/9/delete", H_OPERATOR, NULL, 404, "not_found",
                 "no routing rule at position 9");
    expect_error("POST", "/api/v1/routing-rules/x/delete", H_OPERATOR, NULL, 400,
                 "invalid_request", NULL);
    json_object_put(call("POST", "/api/v1/routing-rules", H_OPERATOR,
                         "{\"spec\":\"default=PrimarySite\"}", 200));
    expect_error("POST", "/api/v1/routing-rules/1/delete", H_OPERATOR, NULL, 409, "conflict",
                 "only routing rule");
}

/* ---- carriers ---- */

static void test_carriers_set_and_delete(void **state)
{
    struct json_object *o;

    o = call("POST", "/api/v1/carriers", H_OPERATOR,
             "{\"carrier\":\"DPD\",\"service\":\"Next day\",\"tracking_company\":\"DPD UK\","
             "\"tracking_url_template\":\"https://t.example/p/{tracking}\"}",
             200);
    assert_string_equal(it_json_str(o, "example_url"), "https://t.example/p/TRACKING123");
    assert_null(json_object_object_get(o, "previous"));
    json_object_put(o);
    o = call("POST", "/api/v1/carriers", H_OPERATOR,
             "{\"carrier\":\"dpd\",\"service\":\"next day\",\"tracking_company\":\"DPD Next\"}",
             200);
    assert_string_equal(it_json_str(json_object_object_get(o, "previous"), "tracking_company"), "DPD UK");
    json_object_put(o);
    assert_int_equal(audit_rows("carrier.set", "DPD/Next day") +
                         audit_rows("carrier.set", "dpd/next day"),
                     2);
    expect_error("POST", "/api/v1/carriers", H_OPERATOR,
                 "{\"carrier\":\"DPD\",\"tracking_company\":\"DPD\","
                 "\"tracking_url_template\":\"ftp://t.example/{tracking}\"}",
                 400, "invalid_request", "invalid URL template: tracking URL template must");
    expect_error("POST", "/api/v1/carriers", H_OPERATOR, "{\"carrier\":\"DPD\"}", 400,
                 "invalid_request", "tracking company is required");
    expect_error("POST", "/api/v1/carriers", H_OPERATOR,
                 "{\"carrier\":\"DP\\tD\",\"tracking_company\":\"X\"}", 400, "invalid_request",
                 "invalid carrier");
    o = call("GET", "/api/v1/carriers", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "items"), 1);
    assert_string_equal(it_json_str(json_object_array_get_idx(json_object_object_get(o, "items"), 0), "updated_by"),
                        "olga");
    json_object_put(o);
    o = call("POST", "/api/v1/carriers/delete", H_OPERATOR,
             "{\"carrier\":\"DPD\",\"service\":\"NEXT DAY\"}", 200);
    assert_string_equal(it_json_str(json_object_object_get(o, "removed"), "tracking_company"), "DPD Next");
    json_object_put(o);
    assert_int_equal(audit_rows("carrier.delete", "DPD/NEXT DAY"), 1);
    expect_error("POST", "/api/v1/carriers/delete", H_OPERATOR,
                 "{\"carrier\":\"DPD\",\"service\":\"NEXT DAY\"}", 404, "not_found",
                 "no carrier mapping");
}

/* ---- status ---- */

static void test_schedules_and_limiter(void **state)
{
    struct json_object *o, *t, *b;
    bool found = false;

    o = call("GET", "/api/v1/schedules", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "tasks"), 15);
    for (size_t i = 0; i < jlen(o, "tasks"); i++) {
        t = json_object_array_get_idx(json_object_object_get(o, "tasks"), i);
        assert_true(json_object_object_get_ex(t, "next_due_at", NULL));
        assert_true(json_object_object_get_ex(t, "last_success_at", NULL));
        if (strcmp(it_json_str(t, "task"), "poll_despatches") == 0) {
            found = true;
            assert_int_equal(json_object_get_int(json_object_object_get(t, "interval_s")), 60);
        }
    }
    assert_true(found);
    json_object_put(o);

    it_sql_exec(db, "INSERT INTO rate_buckets (api, shop, tokens, updated_at, slow_until) VALUES "
                    "('shopline', '" IT_SHOP "', 10, now() + interval '30 seconds', "
                    "now() + interval '60 seconds') ON CONFLICT (api, shop) DO UPDATE SET "
                    "tokens = 10, updated_at = EXCLUDED.updated_at, "
                    "slow_until = EXCLUDED.slow_until");
    it_sql_exec(db, "INSERT INTO outbound_pauses (shop, reason) VALUES ('" IT_SHOP "', 'test')");
    o = call("GET", "/api/v1/limiter", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "buckets"), 2);
    assert_true(json_object_get_boolean(json_object_object_get(o, "paused")));
    b = json_object_array_get_idx(json_object_object_get(o, "buckets"), 1);
    assert_string_equal(it_json_str(b, "api"), "shopline");
    assert_true(json_object_get_double(json_object_object_get(b, "tokens")) == 10.0); /* held: no refill yet */
    assert_true(fabs(json_object_get_double(json_object_object_get(b, "used_pct")) -
                     100 * (1 - 10 / json_object_get_double(json_object_object_get(b, "burst")))) < 1e-6);
    assert_non_null(json_object_object_get(b, "held_until"));
    assert_non_null(json_object_object_get(b, "slow_until"));
    json_object_put(o);
    it_sql_exec(db, "DELETE FROM outbound_pauses");
}

/* ---- reports ---- */

static void test_reports(void **state)
{
    struct json_object *o;

    expect_error("GET", "/api/v1/reports/inventory", H_VIEWER, NULL, 404, "not_found",
                 "no inventory drift report yet");
    it_sql_exec(db, "INSERT INTO inventory_drift_reports (shop, started_at, checked, drifted, "
                    "corrected, pending, unread, variance_units, expected_units, drifted_pct, "
                    "variance_pct, over_threshold, calls, top_items, peoplevox_only, "
                    "shopline_only) VALUES ('" IT_SHOP "', now(), 20, 2, 2, 0, 0, 5, 100, 10, "
                    "5, true, 1, '[]', '{}', '{}')");
    o = call("GET", "/api/v1/reports/inventory", H_VIEWER, NULL, 200);
    assert_int_equal(json_object_get_int(json_object_object_get(o, "checked")), 20);
    assert_string_equal(it_json_str(o, "drifted_pct"), "10.00");
    json_object_put(o);
    o = call("GET", "/api/v1/reports/reconcile", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "sweeps"), 3);
    assert_string_equal(it_json_str(json_object_array_get_idx(json_object_object_get(o, "sweeps"), 0), "state"), "never");
    json_object_put(o);
    o = call("GET", "/api/v1/reports/daily", H_VIEWER, NULL, 200);
    assert_int_equal(strlen(it_json_str(o, "date")), 10);
    assert_string_equal(it_json_str(o, "time_zone"), "UTC");
    /* today's drift report is the one just stored */
    assert_int_equal(json_object_get_int(json_object_object_get(json_object_object_get(o, "stock_drift"), "checked")), 20);
    json_object_put(o);
    expect_error("GET", "/api/v1/reports/daily?date=2026-02-30", H_VIEWER, NULL, 400,
                 "invalid_request", "expected YYYY-MM-DD");
    o = call("GET", "/api/v1/reports/daily?date=2020-01-01", H_VIEWER, NULL, 200);
    assert_string_equal(it_json_str(o, "from"), "2020-01-01T00:00:00Z");
    assert_string_equal(it_json_str(o, "to"), "2020-01-02T00:00:00Z");
    assert_null(json_object_object_get(o, "stock_drift"));
    json_object_put(o);
}

/* ---- returns ---- */

/* A requested return with one line and its return_authorisation_needed exception; its id. */
static long return_insert(const char *shopline_id)
{
    long id = it_sql_longf(db,
                           "INSERT INTO returns (shop, shopline_return_id, shopline_order_id, "
                           "mode, reason) VALUES ('" IT_SHOP "', '%s', 'O-%s', 'authorise', "
                           "'too small') RETURNING id",
                           shopline_id, shopline_id);

    it_sql_longf(db, "INSERT INTO return_lines (return_id, line_item_id, item_code, quantity) "
                     "VALUES (%ld, 'L1', 'TEE-M', 2) RETURNING 1", id);
    it_sql_longf(db, "INSERT INTO return_events (return_id, to_state, cause) VALUES (%ld, "
                     "'requested', 'webhook:return/create') RETURNING 1", id);
    it_sql_longf(db, "INSERT INTO exceptions (shop, type, team, subject_kind, subject, detail) "
                 "VALUES ('" IT_SHOP "', 'return_authorisation_needed', 'customer_service', "
                 "'return', '%ld', 'decide') RETURNING 1", id);
    return id;
}

static void test_returns_list_show_authorise_reject(void **state)
{
    long a = return_insert("R-A"), b = return_insert("R-B");
    struct json_object *o, *p;
    char path[128], next[160], ids[24];

    o = call("GET", "/api/v1/returns?state=requested&limit=1", H_VIEWER, NULL, 200);
    assert_int_equal(jlen(o, "items"), 1);
    assert_int_equal(json_object_get_int64(json_object_object_get(
                         json_object_array_get_idx(json_object_object_get(o, "items"), 0), "id")),
                     b);
    snprintf(next, sizeof(next), "/api/v1/returns?state=requested&limit=1&cursor=%s",
             it_json_str(o, "next_cursor"));
    p = call("GET", next, H_VIEWER, NULL, 200);
    assert_int_equal(json_object_get_int64(json_object_object_get(
                         json_object_array_get_idx(json_object_object_get(p, "items"), 0), "id")),
                     a);
    json_object_put(p);
    json_object_put(o);
    expect_error("GET", "/api/v1/returns?state=lost", H_VIEWER, NULL, 400, "invalid_request",
                 "expected one of requested|");

    snprintf(path, sizeof(path), "/api/v1/returns/%ld", a);
    o = call("GET", path, H_VIEWER, NULL, 200);
    assert_string_equal(it_json_str(o, "state"), "requested");
    assert_int_equal(jlen(o, "lines"), 1);
    assert_int_equal(jlen(o, "history"), 1);
    json_object_put(o);
    expect_error("GET", "/api/v1/returns/999999", H_VIEWER, NULL, 404, "not_found", NULL);

    snprintf(path, sizeof(path), "/api/v1/returns/%ld/authorise", a);
    expect_error("POST", path, H_VIEWER, NULL, 403, "forbidden", NULL);
    o = call("POST", path, H_OPERATOR, NULL, 200);
    assert_string_equal(it_json_str(o, "state"), "authorised");
    assert_string_equal(it_json_str(json_object_array_get_idx(json_object_object_get(o,
                                                                  "history"), 1), "cause"),
                        "api:olga");
    json_object_put(o);
    snprintf(ids, sizeof(ids), "%ld", a);
    assert_int_equal(audit_rows("return.authorise", ids), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs WHERE kind = 'create_return' "
                                      "AND dedupe_key = 'return:%ld'", a), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE type = "
                                      "'return_authorisation_needed' AND subject = '%ld' AND "
                                      "state = 'resolved' AND resolved_by = 'olga'", a), 1);
    expect_error("POST", path, H_OPERATOR, NULL, 409, "conflict", "is authorised");
    assert_int_equal(audit_rows("return.authorise", ids), 1);

    snprintf(path, sizeof(path), "/api/v1/returns/%ld/reject", b);
    o = call("POST", path, H_OPERATOR, "{\"reason\":\"worn\"}", 200);
    assert_string_equal(it_json_str(o, "state"), "rejected");
    json_object_put(o);
    snprintf(ids, sizeof(ids), "%ld", b);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM audit_log WHERE action = "
                                      "'return.reject' AND subject_id = '%s' AND note = 'worn'",
                                  ids), 1);
    expect_error("POST", "/api/v1/returns/999999/reject", H_OPERATOR, NULL, 404, "not_found",
                 NULL);
}

/* ---- the page's editors: field errors, the catalogue check, the routing check ---- */

/* The field named by error.fields[i] of an error body o. */
static const char *error_field(struct json_object *o, size_t i)
{
    struct json_object *e = json_object_object_get(o, "error");

    return it_json_str(json_object_array_get_idx(json_object_object_get(e, "fields"), i),
                       "field");
}

static void test_sku_map_names_the_field_and_refuses_an_unknown_item(void **state)
{
    long audits = it_sql_long(db, "SELECT count(*) FROM audit_log");
    struct json_object *o;

    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"   \",\"item_code\":\"ITEM-A\"}", 400);
    assert_string_equal(error_field(o, 0), "shopline_sku");
    json_object_put(o);
    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"SKU-U\",\"item_code\":\"BAD\\tCODE\"}", 400);
    assert_string_equal(error_field(o, 0), "item_code");
    json_object_put(o);
    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"SKU-U\",\"item_code\":\"NO-SUCH-ITEM\"}", 422);
    assert_string_equal(error_field(o, 0), "item_code");
    json_object_put(o);
    expect_error("POST", "/api/v1/sku-mappings", H_OPERATOR,
                 "{\"shopline_sku\":\"SKU-U\",\"item_code\":\"NO-SUCH-ITEM\"}", 422,
                 "unknown_item", "not in the Peoplevox catalogue shopvox knows");
    expect_error("POST", "/api/v1/sku-mappings", H_OPERATOR,
                 "{\"shopline_sku\":\"SKU-U\",\"item_code\":\"I\",\"allow_unknown\":1}", 400,
                 "invalid_request", "allow_unknown must be true or false");
    expect_error("POST", "/api/v1/sku-mappings", H_VIEWER,
                 "{\"shopline_sku\":\"SKU-U\",\"item_code\":\"NO-SUCH-ITEM\"}", 403,
                 "forbidden", NULL);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM sku_map WHERE shopline_sku = 'SKU-U'"),
                     0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM audit_log"), audits);
    o = call("POST", "/api/v1/sku-mappings", H_OPERATOR,
             "{\"shopline_sku\":\"SKU-U\",\"item_code\":\"NO-SUCH-ITEM\",\"allow_unknown\":true}",
             200);
    assert_string_equal(it_json_str(o, "item_state"), "missing");
    json_object_put(o);
    assert_int_equal(audit_rows("sku.map", "SKU-U"), 1);
}

static void test_routing_rules_from_rows_name_each_field(void **state)
{
    long before = it_sql_long(db, "SELECT count(*) FROM routing_rules");
    long audits = audit_rows("routing.set", IT_SHOP);
    struct json_object *o;

    o = call("POST", "/api/v1/routing-rules", H_OPERATOR,
             "{\"rules\":[{\"kind\":\"country\",\"match\":\"GBR\",\"site\":\"LONDON\"},"
             "{\"kind\":\"teleport\",\"site\":\"LONDON\"},"
             "{\"kind\":\"stock\",\"site\":\"NOWHERE\"},"
             "{\"kind\":\"location\",\"match\":\"a;b\",\"site\":\"SystemSite\"}]}", 400);
    assert_string_equal(error_field(o, 0), "rules/0/match");
    assert_string_equal(error_field(o, 1), "rules/1/kind");
    assert_string_equal(error_field(o, 2), "rules/2/site");
    assert_string_equal(error_field(o, 3), "rules/3/match");
    assert_string_equal(error_field(o, 4), "rules/3/site");
    assert_non_null(strstr(it_json_str(json_object_object_get(o, "error"), "message"),
                           "rules/0/match: the country is not an ISO-3166"));
    json_object_put(o);
    o = call("POST", "/api/v1/routing-rules", H_OPERATOR,
             "{\"rules\":[{\"kind\":\"default\",\"site\":\"LONDON\"},"
             "{\"kind\":\"default\",\"site\":\"LEEDS\"}]}", 400);
    assert_string_equal(error_field(o, 0), "rules/1");
    json_object_put(o);
    o = call("POST", "/api/v1/routing-rules", H_OPERATOR, "{\"rules\":[]}", 400);
    assert_string_equal(error_field(o, 0), "rules");
    json_object_put(o);
    expect_error("POST", "/api/v1/routing-rules", H_OPERATOR, "{\"rules\":\"default=X\"}", 400,
                 "invalid_request", "rules must be an array");
    expect_error("POST", "/api/v1/routing-rules", H_VIEWER,
                 "{\"rules\":[{\"kind\":\"default\",\"site\":\"LONDON\"}]}", 403, "forbidden",
                 NULL);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM routing_rules"), before);
    assert_int_equal(audit_rows("routing.set", IT_SHOP), audits);

    o = call("POST", "/api/v1/routing-rules", H_OPERATOR,
             "{\"rules\":[{\"kind\":\"country\",\"match\":\"gb\",\"site\":\"LONDON\"},"
             "{\"kind\":\"default\",\"match\":\"\",\"site\":\"PrimarySite\"}]}", 200);
    assert_string_equal(it_json_str(o, "spec"), "country:GB=LONDON;default=PrimarySite");
    json_object_put(o);
    assert_int_equal(audit_rows("routing.set", IT_SHOP), audits + 1);
}

static void test_routing_check_answers_the_site_of_a_sample(void **state)
{
    long audits = it_sql_long(db, "SELECT count(*) FROM audit_log");
    struct json_object *o;

    expect_error("GET", "/api/v1/routing-rules/check?country=GB", NULL, NULL, 401,
                 "unauthorized", NULL);
    o = call("GET", "/api/v1/routing-rules/check?country=gb", H_VIEWER, NULL, 200);
    assert_true(json_object_get_boolean(json_object_object_get(o, "routed")));
    assert_string_equal(it_json_str(o, "site"), "LONDON");
    assert_string_equal(it_json_str(o, "kind"), "country");
    assert_int_equal(json_object_get_int(json_object_object_get(o, "position")), 1);
    json_object_put(o);
    o = call("GET", "/api/v1/routing-rules/check?country=FR", H_VIEWER, NULL, 200);
    assert_string_equal(it_json_str(o, "site"), "PrimarySite");
    assert_string_equal(it_json_str(o, "kind"), "default");
    json_object_put(o);
    o = call("GET", "/api/v1/routing-rules/check?country=FR&spec=country:FR%3DPARIS", H_VIEWER,
             NULL, 200);
    assert_string_equal(it_json_str(o, "site"), "PARIS");
    json_object_put(o);
    o = call("GET", "/api/v1/routing-rules/check?spec=stock%3DLONDON", H_VIEWER, NULL, 200);
    assert_string_equal(it_json_str(o, "site"), "PrimarySite"); /* the configured default */
    assert_non_null(strstr(it_json_str(o, "reason"), "skipped"));
    json_object_put(o);
    expect_error("GET", "/api/v1/routing-rules/check?spec=teleport%3DX", H_VIEWER, NULL, 400,
                 "invalid_request", "invalid routing rules");
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM audit_log"), audits);
}

static int start_shopvox(void **state)
{
    static const char *const args[] = {"serve", "--migrate", NULL};
    static const char *const env[] = {
        "SHOPVOX_ADMIN_TOKENS=olga:operator:" T_OPERATOR ",ann:viewer:" T_VIEWER, NULL};

    it_require_db();
    db = it_db_create("api_admin");
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
        cmocka_unit_test(test_every_new_route_needs_a_token_and_a_role),
        cmocka_unit_test(test_sku_mappings_add_page_search_remove),
        cmocka_unit_test(test_routing_rules_set_and_delete),
        cmocka_unit_test(test_carriers_set_and_delete),
        cmocka_unit_test(test_schedules_and_limiter),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_returns_list_show_authorise_reject),
        cmocka_unit_test(test_sku_map_names_the_field_and_refuses_an_unknown_item),
        cmocka_unit_test(test_routing_rules_from_rows_name_each_field),
        cmocka_unit_test(test_routing_check_answers_the_site_of_a_sample),
    };

    return cmocka_run_group_tests(tests, start_shopvox, stop_shopvox);
}
