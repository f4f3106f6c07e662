/*
 * it_fulfillment.c - despatches become Shopline fulfillments, complete and
 * exactly once, on the error paths: the real shopvox binary (despatch poll
 * every second, SHOPVOX_NOTIFY_CUSTOMER=false) on a real database, the
 * fake Peoplevox and the fake SHOPLINE in this process. Orders are made in
 * the fake store and delivered as webhooks; the fake warehouse despatches
 * them; every check reads the fake store's own fulfillments, the database
 * and shopvox's /metrics (shopvox_fulfillments_total{outcome}, compared
 * as deltas: the process lives for the whole program).
 *
 * Faults are the fake store's (every call of any kind), so each test waits
 * for its own jobs to finish before the next one arms a fault. The
 * sandboxes are never reset: each test uses its own orders.
 */
#include <json-c/json.h>
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
#include "it_loop.h"
#include "it_orders_world.h"
#include "it_pg.h"
#include "it_wait.h"

#define TWO_LINES "[{\"sku\":\"TEE-BLK-M\",\"quantity\":1},{\"sku\":\"MUG-LOGO\",\"quantity\":1}]"
#define ONE_LINE "[{\"sku\":\"MUG-LOGO\",\"quantity\":1}]"
#define ITEM_TEE "[{\"ItemCode\":\"TEE-BLK-M\",\"qty\":1}]"
#define ITEM_MUG "[{\"ItemCode\":\"MUG-LOGO\",\"qty\":1}]"

/* shopvox_fulfillments_total{outcome=...} now (0 before the first). */
static long fulfillments_counted(const char *outcome)
{
    char needle[96];
    struct it_resp r = {0, NULL};
    const char *at;
    long n = 0;

    snprintf(needle, sizeof(needle), "shopvox_fulfillments_total{outcome=\"%s\"} ", outcome);
    assert_int_equal(it_http(ito.proc.ops_port, "GET", "/metrics", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    at = strstr(r.body, needle);
    if (at != NULL)
        n = strtol(at + strlen(needle), NULL, 10);
    it_resp_free(&r);
    return n;
}

struct counts {
    long created, adopted, retried, failed;
};

static void counts_read(struct counts *c)
{
    c->created = fulfillments_counted("created");
    c->adopted = fulfillments_counted("adopted");
    c->retried = fulfillments_counted("retried");
    c->failed = fulfillments_counted("failed");
}

struct counts_wait {
    const struct counts *before, *delta;
    struct counts now;
};

static bool counts_reached(void *arg)
{
    struct counts_wait *w = arg;

    counts_read(&w->now);
    return w->now.created - w->before->created >= w->delta->created &&
           w->now.adopted - w->before->adopted >= w->delta->adopted &&
           w->now.retried - w->before->retried >= w->delta->retried &&
           w->now.failed - w->before->failed >= w->delta->failed;
}

/* Waits until every counter moved by at least delta, then checks created/adopted/failed exactly. */
static void expect_counts(const struct counts *before, long created, long adopted,
                          long retried_min, long failed)
{
    struct counts delta = {created, adopted, retried_min, failed};
    struct counts_wait w = {before, &delta, {0, 0, 0, 0}};

    it_wait_until(counts_reached, &w, ITO_WAIT_MS);
    if (w.now.created - before->created != created ||
        w.now.adopted - before->adopted != adopted ||
        w.now.retried - before->retried < retried_min || w.now.failed - before->failed != failed)
        fail_msg("fulfillments created %+ld adopted %+ld retried %+ld failed %+ld, wanted "
                 "%+ld %+ld >=%+ld %+ld",
                 w.now.created - before->created, w.now.adopted - before->adopted,
                 w.now.retried - before->retried, w.now.failed - before->failed, created,
                 adopted, retried_min, failed);
}

/* Waits until no create_fulfillment job is pending or running. */
static void wait_fulfil_jobs_idle(void)
{
    assert_int_equal(it_wait_sql_long(ito.db,
                                      "SELECT count(*) FROM jobs WHERE kind = "
                                      "'create_fulfillment' AND state IN ('pending', 'running')",
                                      0, ITO_WAIT_MS),
                     0);
}

/* Waits for n despatches of order name in state. */
static void wait_despatches(const char *name, const char *state, long n)
{
    char *sql = xasprintf("SELECT count(*) FROM despatches d JOIN orders o ON o.id = "
                          "d.order_id WHERE o.name = '%s' AND d.state = '%s'",
                          name, state);

    assert_int_equal(it_wait_sql_long(ito.db, sql, n, ITO_WAIT_MS), n);
    free(sql);
}

/* Open exceptions of type about order name, owned by team, whose detail names its despatch. */
static long exceptions_of(const char *type, const char *team, const char *name)
{
    return ito_sql_count("SELECT count(*) FROM exceptions x JOIN orders o ON o.id = x.order_id "
                         "JOIN despatches d ON d.despatch_number = x.subject WHERE x.type = '%s' "
                         "AND x.team = '%s' AND x.state = 'open' AND o.name = '%s' AND "
                         "x.subject_kind = 'despatch' AND x.detail LIKE '%%' || o.name || '%%' "
                         "AND x.detail LIKE '%%' || d.despatch_number || '%%'",
                         type, team, name);
}

static long events_of(const char *name, const char *event)
{
    return ito_sql_count("SELECT count(*) FROM order_events e JOIN orders o ON o.id = "
                         "e.order_id WHERE o.name = '%s' AND e.event = '%s'",
                         name, event);
}

/* The i-th fulfillment's member key in the store's list (borrowed from list). */
static const char *ful_str(struct json_object *list, size_t i, const char *key)
{
    struct json_object *v = NULL;

    json_object_object_get_ex(json_object_array_get_idx(list, i), key, &v);
    return v ? json_object_get_string(v) : NULL;
}

/* The first tracking entry's member key of the i-th fulfillment ("" when none). */
static const char *ful_tracking(struct json_object *list, size_t i, const char *key)
{
    struct json_object *t = NULL, *v = NULL;

    json_object_object_get_ex(json_object_array_get_idx(list, i), "tracking_info_list", &t);
    if (json_object_array_length(t) == 0 ||
        !json_object_object_get_ex(json_object_array_get_idx(t, 0), key, &v) || v == NULL)
        return "";
    return json_object_get_string(v);
}

/* One test's order: made in the store, sent to Peoplevox; the counters before its despatch. */
struct fx {
    char name[32], id[64], so[40];
    struct counts before;
};

static void fx_order(struct fx *f, const char *tag, const char *lines)
{
    itl_store_order(tag, lines, f->name, sizeof(f->name), f->id, sizeof(f->id), f->so,
                    sizeof(f->so), NULL);
    wait_fulfil_jobs_idle();
    counts_read(&f->before);
}

static void test_partial_despatch_two_fulfillments_then_fulfilled(void **state)
{
    struct fx f;
    struct json_object *list;

    (void)state;
    fx_order(&f, "FP", TWO_LINES);
    itl_despatch(f.so, ITEM_TEE, "DPD", "Next day", "TRK-FP1");
    wait_despatches(f.name, "fulfilled", 1);
    ito_wait_state(f.name, "partially_despatched");
    itl_despatch(f.so, ITEM_MUG, "DPD", "Next day", "TRK-FP2");
    ito_wait_state(f.name, "fulfilled");
    wait_despatches(f.name, "fulfilled", 2);
    list = itl_store_fulfillments(f.id);
    assert_int_equal(json_object_array_length(list), 2);
    assert_string_equal(ful_tracking(list, 0, "tracking_number"), "TRK-FP1");
    assert_string_equal(ful_tracking(list, 1, "tracking_number"), "TRK-FP2");
    json_object_put(list);
    /* history: each despatch, each fulfillment, and the move to fulfilled once */
    assert_int_equal(events_of(f.name, "despatched"), 2);
    assert_int_equal(events_of(f.name, "despatch_fulfilled"), 2);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM order_events e JOIN orders o ON o.id = "
                                   "e.order_id WHERE o.name = '%s' AND e.event = 'fulfilled' "
                                   "AND e.from_state = 'despatched' AND e.to_state = "
                                   "'fulfilled'", f.name),
                     1);
    expect_counts(&f.before, 2, 0, 0, 0);
}

/*
 * Both despatches carry one tracking number (one parcel number for two
 * despatches); the second's POST is applied and its reply dropped. The
 * list shows two fulfillments with that number: only the one with the
 * second despatch's lines is its own, never the first's.
 */
static void test_apply_then_drop_adopts_its_own(void **state)
{
    struct fx f;
    struct json_object *list;

    (void)state;
    fx_order(&f, "FD", TWO_LINES);
    itl_despatch(f.so, ITEM_TEE, "DPD", "Next day", "TRK-FD");
    wait_despatches(f.name, "fulfilled", 1);
    wait_fulfil_jobs_idle();
    counts_read(&f.before);
    itl_store_control("/_sandbox/faults", "{\"drop_after_apply\":1}");
    itl_despatch(f.so, ITEM_MUG, "DPD", "Next day", "TRK-FD");
    ito_wait_state(f.name, "fulfilled");
    list = itl_store_fulfillments(f.id);
    assert_int_equal(json_object_array_length(list), 2); /* exactly one each */
    assert_int_equal(ito_sql_count("SELECT count(DISTINCT d.shopline_fulfillment_id) FROM "
                                   "despatches d JOIN orders o ON o.id = d.order_id WHERE "
                                   "o.name = '%s' AND d.shopline_fulfillment_id IN ('%s', '%s')",
                                   f.name, ful_str(list, 0, "id"), ful_str(list, 1, "id")),
                     2);
    json_object_put(list);
    assert_int_equal(itl_store_fault("drop_after_apply"), 0);
    expect_counts(&f.before, 0, 1, 0, 0);
}

/* A fulfillment already in the store (made by hand, or by an attempt that died). */
static void store_fulfil(const char *id, const char *line_id, const char *tracking)
{
    struct it_resp r = {0, NULL};
    char *path = xasprintf("/orders/%s/fulfillments.json", id);
    char *body = xasprintf("{\"fulfillment\":{\"line_items\":[{\"id\":%s,\"quantity\":1}],"
                           "\"tracking_info_list\":[{\"tracking_number\":\"%s\"}]}}",
                           line_id, tracking);

    itl_store_api("POST", path, body, &r);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    free(path);
    free(body);
}

static void test_already_fulfilled_adopted_only_when_lines_match(void **state)
{
    char name[32], id[64], so[40], other[32], other_id[64], other_so[40];
    char *lines, *other_lines;
    struct json_object *ids, *other_ids;
    struct counts before;

    (void)state;
    itl_store_order("FA", ONE_LINE, name, sizeof(name), id, sizeof(id), so, sizeof(so), &lines);
    itl_store_order("FB", TWO_LINES, other, sizeof(other), other_id, sizeof(other_id), other_so,
                    sizeof(other_so), &other_lines);
    ids = json_tokener_parse(lines);
    other_ids = json_tokener_parse(other_lines);
    /* the same tracking and lines: the 422's fulfillment is the despatch's */
    store_fulfil(id, json_object_get_string(json_object_array_get_idx(ids, 0)), "TRK-FA");
    /* the same tracking, but only one of the two lines despatched together */
    store_fulfil(other_id, json_object_get_string(json_object_array_get_idx(other_ids, 0)),
                 "TRK-FB");
    counts_read(&before);
    itl_despatch(so, NULL, "DPD", "Next day", "TRK-FA");
    itl_despatch(other_so, NULL, "DPD", "Next day", "TRK-FB");
    ito_wait_state(name, "fulfilled");
    wait_despatches(other, "failed", 1);
    wait_fulfil_jobs_idle();
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs j JOIN despatches d ON "
                                   "d.despatch_number = j.dedupe_key JOIN orders o ON o.id = "
                                   "d.order_id WHERE o.name IN ('%s', '%s') AND j.kind = "
                                   "'create_fulfillment' AND j.state = 'done' AND j.attempts = 1",
                                   name, other),
                     2);
    assert_int_equal(exceptions_of("fulfillment_failed", "ops", other), 1);
    assert_int_equal(exceptions_of("fulfillment_failed", "ops", name), 0);
    assert_int_equal(events_of(other, "despatch_failed"), 1);
    ito_wait_state(other, "despatched"); /* never fulfilled: Shopline has one line of two */
    expect_counts(&before, 0, 1, 0, 1);
    json_object_put(ids);
    json_object_put(other_ids);
    free(lines);
    free(other_lines);
}

static void test_shopline_500s_retried_then_recovered(void **state)
{
    struct fx f;
    struct json_object *list;

    (void)state;
    fx_order(&f, "F5", ONE_LINE);
    itl_store_control("/_sandbox/faults", "{\"http_500\":3}");
    itl_despatch(f.so, NULL, "DPD", "Next day", "TRK-F5");
    ito_wait_state(f.name, "fulfilled");
    list = itl_store_fulfillments(f.id);
    assert_int_equal(json_object_array_length(list), 1);
    json_object_put(list);
    assert_int_equal(itl_store_fault("http_500"), 0);
    assert_true(ito_sql_count("SELECT max(j.attempts) FROM jobs j JOIN despatches d ON "
                              "d.despatch_number = j.dedupe_key JOIN orders o ON o.id = "
                              "d.order_id WHERE o.name = '%s' AND j.state = 'done'", f.name) >= 2);
    expect_counts(&f.before, 1, 0, 2, 0);
}

static void test_shopline_429_throttled_not_counted(void **state)
{
    struct fx f;

    (void)state;
    fx_order(&f, "F4", ONE_LINE);
    itl_store_control("/_sandbox/faults", "{\"http_429\":2}");
    itl_despatch(f.so, NULL, "DPD", "Next day", "TRK-F4");
    ito_wait_state(f.name, "fulfilled");
    assert_int_equal(itl_store_fault("http_429"), 0);
    /* every refused attempt was throttled: none counted against the job's attempts */
    assert_int_equal(ito_sql_count("SELECT count(*) FROM jobs j JOIN despatches d ON "
                                   "d.despatch_number = j.dedupe_key JOIN orders o ON o.id = "
                                   "d.order_id WHERE o.name = '%s' AND j.state = 'done' AND "
                                   "j.uncounted_attempts >= 1 AND j.attempts - "
                                   "j.uncounted_attempts = 1", f.name),
                     1);
    expect_counts(&f.before, 1, 0, 0, 0);
    assert_int_equal(fulfillments_counted("retried"), f.before.retried);
}

static void test_carrier_mapping_reaches_the_store(void **state)
{
    static const char *const set[] = {"carriers", "set", "dpd/NEXT DAY", "--company", "DPD UK",
                                      "--url", "https://track.example.com/p/{tracking}?l=en",
                                      NULL};
    static const char *const any[] = {"carriers", "set", "DPD", "--company", "DPD", NULL};
    char name[32], id[64], so[40], raw[32], raw_id[64], raw_so[40];
    struct json_object *list;

    (void)state;
    assert_int_equal(ito_run_cli(set), 0);
    assert_int_equal(ito_run_cli(any), 0);
    itl_store_order("FC", ONE_LINE, name, sizeof(name), id, sizeof(id), so, sizeof(so), NULL);
    itl_store_order("FR", ONE_LINE, raw, sizeof(raw), raw_id, sizeof(raw_id), raw_so,
                    sizeof(raw_so), NULL);
    itl_despatch(so, NULL, "DPD", "Next day", "TRK/7 8");
    itl_despatch(raw_so, NULL, "Yodel", "Express", "YD-1");
    ito_wait_state(name, "fulfilled");
    ito_wait_state(raw, "fulfilled");
    list = itl_store_fulfillments(id);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(ful_tracking(list, 0, "tracking_number"), "TRK/7 8");
    assert_string_equal(ful_tracking(list, 0, "tracking_company"), "DPD UK");
    assert_string_equal(ful_tracking(list, 0, "tracking_url"),
                        "https://track.example.com/p/TRK%2F7%208?l=en");
    assert_false(json_object_get_boolean(
        json_object_object_get(json_object_array_get_idx(list, 0), "notify_customer")));
    json_object_put(list);
    /* an unmapped carrier: its raw name, no URL, no exception */
    list = itl_store_fulfillments(raw_id);
    assert_string_equal(ful_tracking(list, 0, "tracking_company"), "Yodel");
    assert_string_equal(ful_tracking(list, 0, "tracking_url"), "");
    json_object_put(list);
    assert_int_equal(ito_sql_count("SELECT count(*) FROM exceptions x JOIN orders o ON o.id = "
                                   "x.order_id WHERE o.name = '%s'", raw),
                     0);
}

/* Decision (fulfillment.c): fulfilled without tracking, and customer service told. */
static void test_no_tracking_fulfilled_and_excepted(void **state)
{
    struct fx f;
    struct json_object *list;

    (void)state;
    fx_order(&f, "FN", ONE_LINE);
    itl_despatch(f.so, NULL, "DPD", "Next day", "");
    ito_wait_state(f.name, "fulfilled");
    list = itl_store_fulfillments(f.id);
    assert_int_equal(json_object_array_length(list), 1);
    assert_string_equal(ful_tracking(list, 0, "tracking_number"), "");
    json_object_put(list);
    assert_int_equal(exceptions_of("despatch_no_tracking", "customer_service", f.name), 1);
}

static void test_order_cancelled_in_shopline(void **state)
{
    struct fx f;
    struct json_object *list;

    (void)state;
    fx_order(&f, "FX", ONE_LINE);
    /* cancelled in the store; the webhook has not reached shopvox (or came too late) */
    free(itl_store_change_order(f.id, "{\"cancel\":true}"));
    itl_despatch(f.so, NULL, "DPD", "Next day", "TRK-FX");
    wait_despatches(f.name, "failed", 1);
    wait_fulfil_jobs_idle();
    assert_int_equal(exceptions_of("despatch_order_cancelled", "customer_service", f.name), 1);
    assert_int_equal(exceptions_of("fulfillment_failed", "ops", f.name), 0);
    list = itl_store_fulfillments(f.id);
    assert_int_equal(json_object_array_length(list), 0);
    json_object_put(list);
    expect_counts(&f.before, 0, 0, 0, 1);
}

/*
 * Part despatched and fulfilled, then cancelled: shopvox keeps the order
 * (cancel_after_despatch for customer service); the rest despatched later
 * is refused by Shopline and becomes despatch_order_cancelled, never a loop.
 */
static void test_cancelled_after_part_despatched(void **state)
{
    struct fx f;
    char *order, *sql;
    struct json_object *list;

    (void)state;
    fx_order(&f, "FK", TWO_LINES);
    itl_despatch(f.so, ITEM_TEE, "DPD", "Next day", "TRK-FK1");
    wait_despatches(f.name, "fulfilled", 1);
    order = itl_store_change_order(f.id, "{\"cancel\":true}");
    list = itl_store_fulfillments(f.id); /* unchanged by the cancellation */
    assert_int_equal(json_object_array_length(list), 1);
    json_object_put(list);
    ito_webhook("orders/cancelled", order);
    free(order);
    sql = xasprintf("SELECT count(*) FROM exceptions x JOIN orders o ON o.id = x.order_id "
                    "WHERE x.type = 'cancel_after_despatch' AND x.team = 'customer_service' AND "
                    "x.state = 'open' AND o.name = '%s'",
                    f.name);
    assert_int_equal(it_wait_sql_long(ito.db, sql, 1, ITO_WAIT_MS), 1);
    free(sql);
    ito_wait_state(f.name, "partially_despatched");
    itl_despatch(f.so, ITEM_MUG, "DPD", "Next day", "TRK-FK2");
    wait_despatches(f.name, "failed", 1);
    wait_fulfil_jobs_idle();
    assert_int_equal(exceptions_of("despatch_order_cancelled", "customer_service", f.name), 1);
    ito_wait_state(f.name, "despatched");
}

static int group_setup(void **state)
{
    static const char *const env[] = {"SHOPVOX_DESPATCH_POLL_S=1", "SHOPVOX_NOTIFY_CUSTOMER=false", NULL};

    (void)state;
    return itl_world_start("fulfil", env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partial_despatch_two_fulfillments_then_fulfilled),
        cmocka_unit_test(test_apply_then_drop_adopts_its_own),
        cmocka_unit_test(test_already_fulfilled_adopted_only_when_lines_match),
        cmocka_unit_test(test_shopline_500s_retried_then_recovered),
        cmocka_unit_test(test_shopline_429_throttled_not_counted),
        cmocka_unit_test(test_carrier_mapping_reaches_the_store),
        cmocka_unit_test(test_no_tracking_fulfilled_and_excepted),
        cmocka_unit_test(test_order_cancelled_in_shopline),
        cmocka_unit_test(test_cancelled_after_part_despatched),
    };

    it_require_db();
    return cmocka_run_group_tests(tests, group_setup, itl_world_teardown);
}
