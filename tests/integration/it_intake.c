/*
 * it_intake.c - webhook intake end to end: the real binary, a real database.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common.h"
#include "it.h"
#include "webhook.h"

static const char *db;
static struct it_proc proc;

static void post_ok(const char *topic, const char *wid, const char *body, const char *mode,
                    long want)
{
    struct it_resp r;

    assert_int_equal(it_post_webhook(proc.port, topic, wid, body, mode, &r), 0);
    if (r.status != want)
        fprintf(stderr, "unexpected %ld: %s\n", r.status, r.body);
    assert_int_equal(r.status, want);
    it_resp_free(&r);
}

/* An order of one MUG-1 line, as the intake tests send it. */
static char *mug_order(const char *id, const char *name, const char *financial_status,
                       const char *updated_at)
{
    static const struct it_line mug[] = {{"MUG-1", 1, false}};

    return it_order_json(&(struct it_order){.id = id, .name = name,
                                            .financial_status = financial_status,
                                            .updated_at = updated_at, IT_LINES(mug)});
}

static long count(const char *sql)
{
    return it_sql_long(db, sql);
}

static void test_hex_and_base64_signatures_are_stored(void **state)
{
    char *a = mug_order("10000000000000000000000001", "#1001", "paid", "2026-11-26T10:00:00+08:00");
    char *b = mug_order("10000000000000000000000002", "#1002", "paid", "2026-11-26T10:00:00+08:00");
    char *c = mug_order("10000000000000000000000003", "#1003", "paid", "2026-11-26T10:00:00+08:00");

    post_ok("orders/paid", "sig-hex", a, "hex", 200);
    post_ok("orders/paid", "sig-b64", b, "base64", 200);
    post_ok("orders/paid", "sig-HEX", c, "HEX", 200);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id LIKE 'sig-%'"),
                     3);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE shopline_order_id = "
                           "'10000000000000000000000002' AND state = 'ready'"),
                     1);
    free(a);
    free(b);
    free(c);
}

static void test_duplicate_delivery_is_stored_once(void **state)
{
    char *a = mug_order("20000000000000000000000001", "#2001", "paid", "2026-11-26T10:00:00+08:00");

    post_ok("orders/paid", "dup-1", a, "hex", 200);
    post_ok("orders/paid", "dup-1", a, "hex", 200);
    post_ok("orders/paid", "dup-1", a, "base64", 200);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id = 'dup-1'"), 1);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#2001'"), 1);
    assert_int_equal(count("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                           "WHERE o.name = '#2001'"),
                     1);
    free(a);
}

/*
 * 10,000 replays of one signed body under new webhook ids stored 10,000
 * copies of a customer's name and address: the same bytes for the same
 * order are now recorded as duplicates without the body.
 */
static void test_replayed_body_under_new_ids_is_stored_once(void **state)
{
    char *a = mug_order("20000000000000000000000009", "#2009", "paid", "2026-11-26T10:00:00+08:00");
    char wid[32];

    for (int i = 0; i < 10; i++) {
        snprintf(wid, sizeof(wid), "replay-%d", i);
        post_ok("orders/paid", wid, a, "hex", 200);
    }
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id LIKE 'replay-%' "
                           "AND body IS NOT NULL AND outcome = 'stored'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id LIKE 'replay-%' "
                           "AND body IS NULL AND outcome = 'duplicate'"),
                     9);
    assert_int_equal(count("SELECT count(*) FROM order_events e JOIN orders o ON "
                           "o.id = e.order_id WHERE o.name = '#2009'"),
                     1);
    /* the ids still dedupe as before */
    post_ok("orders/paid", "replay-3", a, "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id LIKE 'replay-%'"),
                     10);
    free(a);
}

static void test_unpaid_then_paid_then_stale_update(void **state)
{
    const char *id = "30000000000000000000000001";
    char *created = mug_order(id, "#3001", "pending", "2026-11-26T10:00:00+08:00");
    char *paid = mug_order(id, "#3001", "paid", "2026-11-26T10:05:00+08:00");
    char *stale = mug_order(id, "#3001", "pending", "2026-11-26T10:01:00+08:00");
    char *again = mug_order(id, "#3001", "paid", "2026-11-26T10:09:00+08:00");

    post_ok("orders/create", "seq-1", created, "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#3001' AND state = "
                           "'awaiting_payment' AND ready_at IS NULL"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                           "WHERE o.name = '#3001'"),
                     0);
    post_ok("orders/paid", "seq-2", paid, "hex", 200);
    post_ok("orders/updated", "seq-3", stale, "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#3001' AND state = 'ready'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                           "WHERE o.name = '#3001' AND j.kind = 'post_sales_order'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id = 'seq-3' AND "
                           "outcome = 'stale'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM order_events e JOIN orders o ON o.id = e.order_id "
                           "WHERE o.name = '#3001'"),
                     2);
    /* ready_at is when it became paid; a later delivery (as a retry's) does not move it */
    post_ok("orders/updated", "seq-4", again, "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#3001' AND "
                           "updated_at > ready_at"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#3001' AND "
                           "ready_at = (SELECT min(at) FROM order_events e WHERE "
                           "e.order_id = orders.id AND e.to_state = 'ready')"),
                     1);
    free(created);
    free(paid);
    free(stale);
    free(again);
}

static void test_bad_or_missing_signature_is_401_and_stores_nothing(void **state)
{
    char *a = mug_order("40000000000000000000000001", "#4001", "paid", "2026-11-26T10:00:00+08:00");
    long before = count("SELECT count(*) FROM webhook_events");

    post_ok("orders/paid", "bad-1", a, "bad", 401);
    post_ok("orders/paid", "bad-2", a, "none", 401);
    assert_int_equal(count("SELECT count(*) FROM webhook_events"), before);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#4001'"), 0);
    free(a);
}

static void test_oversize_wrong_method_unknown_topic_and_garbage(void **state)
{
    size_t big_len = (1u << 20) + 10;
    char *big = xmalloc(big_len + 1);
    struct it_resp r;

    memset(big, 'x', big_len);
    big[big_len] = '\0';
    post_ok("orders/paid", "big-1", big, "hex", 413);
    free(big);
    assert_int_equal(it_http(proc.port, "GET", "/webhooks/shopline", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    it_resp_free(&r);
    post_ok("carts/update", "topic-1", "{\"id\":\"1\"}", "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id = 'topic-1' AND "
                           "outcome = 'ignored'"),
                     1);
    post_ok("orders/paid", "garbage-1", "{not json", "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id = 'garbage-1' "
                           "AND outcome = 'failed'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM exceptions WHERE type = 'invalid_webhook' AND "
                           "subject = 'garbage-1' AND state = 'open'"),
                     1);
}

/*
 * Signed but unstorable (a quantity of 3,000,000,000, a 20-digit total,
 * duplicate line ids) answered 500 for ever, so Shopline retried for 48 h:
 * now 200, recorded failed, one invalid_webhook exception each.
 */
static void test_unstorable_payloads_are_failed_deliveries_not_500s(void **state)
{
    static const struct {
        const char *wid;
        const char *body;
    } cases[] = {
        {"unstorable-qty", "{\"id\":\"881\",\"name\":\"#881\",\"financial_status\":\"paid\","
                           "\"line_items\":[{\"id\":\"1\",\"sku\":\"A\",\"quantity\":3000000000}]}"},
        {"unstorable-total", "{\"id\":\"882\",\"name\":\"#882\",\"financial_status\":\"paid\","
                             "\"total_price\":\"12345678901234567890\",\"line_items\":["
                             "{\"id\":\"1\",\"sku\":\"A\",\"quantity\":1}]}"},
        {"unstorable-dup", "{\"id\":\"883\",\"name\":\"#883\",\"financial_status\":\"paid\","
                           "\"line_items\":[{\"id\":\"1\",\"sku\":\"A\",\"quantity\":1},"
                           "{\"id\":\"1\",\"sku\":\"B\",\"quantity\":1}]}"},
    };
    char sql[256];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        post_ok("orders/paid", cases[i].wid, cases[i].body, "hex", 200);
        assert_int_equal(it_wait_inbox_applied(db), 0);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM webhook_events WHERE webhook_id = '%s' AND "
                 "outcome = 'failed'", cases[i].wid);
        assert_int_equal(count(sql), 1);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM exceptions WHERE type = 'invalid_webhook' AND "
                 "subject = '%s' AND state = 'open'", cases[i].wid);
        assert_int_equal(count(sql), 1);
    }
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name IN ('#881', '#882', '#883')"),
                     0);
}

/* A held order whose post may have reached Peoplevox must be cancelled there too. */
static void test_cancelling_a_held_order_that_may_be_posted_enqueues_a_cancel(void **state)
{
    const char *id = "60000000000000000000000001";
    static const struct it_line mug[] = {{"MUG-1", 1, false}};
    char *paid = mug_order(id, "#6001", "paid", "2026-11-26T10:00:00+08:00");
    char *cancelled = it_order_json(&(struct it_order){
        .id = id, .name = "#6001", .updated_at = "2026-11-26T10:10:00+08:00", .cancelled = true,
        IT_LINES(mug)});

    post_ok("orders/paid", "hold-1", paid, "hex", 200);
    it_sql_exec(db, "UPDATE orders SET state = 'on_hold', post_started_at = now() "
                    "WHERE name = '#6001'");
    post_ok("orders/cancelled", "hold-2", cancelled, "hex", 200);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#6001' AND "
                           "state = 'cancelled'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                           "WHERE o.name = '#6001' AND j.kind = 'cancel_sales_order'"),
                     1);
    free(paid);
    free(cancelled);
}

/* The app secret may serve several stores: another store's orders never enter. */
static void test_webhook_for_another_shop_is_recorded_and_ignored(void **state)
{
    char *body = mug_order("65000000000000000000000001", "#6501", "paid",
                           "2026-11-26T10:00:00+08:00");
    char sig[65], h_sig[128];
    const char *headers[] = {"Content-Type: application/json", "X-Shopline-Topic: orders/paid",
                             "X-Shopline-Webhook-Id: other-shop-1",
                             "X-Shopline-Shop-Domain: someone-else.myshopline.com", h_sig, NULL};
    struct it_resp r;

    whk_sign_hex(IT_SECRET, body, strlen(body), sig);
    snprintf(h_sig, sizeof(h_sig), "X-Shopline-Hmac-Sha256: %s", sig);
    assert_int_equal(it_http(proc.port, "POST", "/webhooks/shopline", body, strlen(body), headers,
                             &r),
                     0);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id = "
                           "'other-shop-1' AND outcome = 'ignored' AND "
                           "shop = 'someone-else.myshopline.com'"),
                     1);
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name = '#6501'"), 0);
    free(body);
}

struct storm {
    int thread;
    int failures;
};

/* 4 threads x 50 deliveries: each order twice as orders/paid (same id) and
 * twice as orders/updated (distinct ids): 200 deliveries, 50 orders. */
static void *storm_thread(void *arg)
{
    struct storm *s = arg;

    for (int i = 0; i < 50; i++) {
        char id[40], name[16], wid[48];
        char *body;
        struct it_resp r;
        int k = s->thread % 2;

        snprintf(id, sizeof(id), "5%025d", i);
        snprintf(name, sizeof(name), "#S%d", i);
        snprintf(wid, sizeof(wid), "storm-%d-%s", i, s->thread < 2 ? "paid" : "upd");
        if (s->thread >= 2)
            snprintf(wid + strlen(wid), sizeof(wid) - strlen(wid), "-%d", k);
        body = mug_order(id, name, "paid", "2026-11-26T11:00:00+08:00");
        if (it_post_webhook(proc.port, s->thread < 2 ? "orders/paid" : "orders/updated", wid, body,
                            "hex", &r) != 0 || r.status != 200)
            s->failures++;
        it_resp_free(&r);
        free(body);
    }
    return NULL;
}

static void test_concurrent_deliveries_make_one_order_and_one_job_each(void **state)
{
    pthread_t t[4];
    struct storm s[4];

    for (int i = 0; i < 4; i++) {
        s[i] = (struct storm){i, 0};
        pthread_create(&t[i], NULL, storm_thread, &s[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(s[i].failures, 0);
    }
    assert_int_equal(it_wait_inbox_applied(db), 0); /* a storm is deferred, then applied */
    assert_int_equal(count("SELECT count(*) FROM orders WHERE name LIKE '#S%'"), 50);
    assert_int_equal(count("SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = o.id::text "
                           "WHERE o.name LIKE '#S%' AND j.kind = 'post_sales_order'"),
                     50);
    assert_int_equal(count("SELECT count(*) FROM webhook_events WHERE webhook_id LIKE 'storm-%'"),
                     150);
}

static bool metrics_show_pending_jobs(void *arg)
{
    struct it_resp r;
    bool found;

    (void)arg;
    if (it_http(proc.ops_port, "GET", "/metrics", NULL, 0, NULL, &r) != 0)
        return false;
    found = r.body != NULL &&
            strstr(r.body, "shopvox_jobs{kind=\"post_sales_order\",state=\"pending\"}") != NULL;
    it_resp_free(&r);
    return found;
}

static void test_health_ready_and_metrics(void **state)
{
    struct it_resp r;

    assert_int_equal(it_http(proc.ops_port, "GET", "/healthz", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    assert_int_equal(it_http(proc.ops_port, "GET", "/readyz", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    it_resp_free(&r);
    /* the database gauges come from the refresher (every second here), not the scrape */
    assert_true(it_wait_until(metrics_show_pending_jobs, NULL, 10000));
    assert_int_equal(it_http(proc.ops_port, "GET", "/metrics", NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "shopvox_webhooks_total{topic=\"orders/paid\",outcome=\"stored\"}"));
    assert_non_null(strstr(r.body, "shopvox_webhooks_total{topic=\"orders/paid\",outcome=\"duplicate\"}"));
    assert_non_null(strstr(r.body, "outcome=\"rejected_signature\""));
    assert_non_null(strstr(r.body, "shopvox_orders{state=\"ready\"}"));
    assert_non_null(strstr(r.body, "shopvox_jobs{kind=\"post_sales_order\",state=\"pending\"}"));
    assert_non_null(strstr(r.body, "shopvox_http_request_duration_seconds_bucket{route=\"webhook\""));
    /* every known order state, also at 0 */
    assert_non_null(strstr(r.body, "shopvox_orders{state=\"fulfilled\"} 0"));
    assert_non_null(strstr(r.body, "shopvox_db_up 1"));
    it_resp_free(&r);
}

/*
 * Methods a client controls, written to forge members when the JSON line
 * was rebuilt from key=value text: a quote that closes the value early, an
 * '=' that starts a new pair, a JSON fragment. Each must come back as the
 * one method member of one http_request line (checked at SIGTERM).
 */
static const char *const forged_methods[] = {
    "X\",\"level\":\"error\",\"event\":\"forged",
    "\"x\"level=error",
    "Y\"event=forged",
};

static void test_forged_methods_are_sent(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(forged_methods); i++) {
        struct it_resp r;

        assert_int_equal(it_http(proc.port, forged_methods[i], "/healthz", NULL, 0, NULL, &r), 0);
        assert_true(r.status >= 400);
        it_resp_free(&r);
    }
}

/* Occurrences of the member name "key": in a raw line (an escaped quote never matches). */
static size_t raw_members(const char *line, const char *key)
{
    char needle[64];
    size_t n = 0;

    snprintf(needle, sizeof(needle), "\"%s\":", key);
    for (const char *p = strstr(line, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* One line's check: ts, level and event once each, and a forged method only as a method. */
static void check_line_members(struct json_object *o, const char *line, size_t *methods_seen)
{
    struct json_object *m;

    assert_int_equal(raw_members(line, "ts"), 1);
    assert_int_equal(raw_members(line, "level"), 1);
    assert_int_equal(raw_members(line, "event"), 1);
    assert_null(strstr(line, "\"event\":\"forged\""));
    if (!json_object_object_get_ex(o, "method", &m))
        return;
    for (size_t i = 0; i < ARRAY_LEN(forged_methods); i++) {
        if (strcmp(json_object_get_string(m), forged_methods[i]) != 0)
            continue;
        methods_seen[i]++;
        assert_string_equal(json_object_get_string(json_object_object_get(o, "event")),
                            "http_request");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "level")), "info");
    }
}

/*
 * The service runs with SHOPVOX_LOG_FORMAT=json: every line it wrote is one
 * JSON object, and no request forged a member.
 */
static void test_sigterm_exits_zero_and_every_log_line_is_json(void **state)
{
    char *log, *save = NULL;
    size_t lines = 0, methods_seen[ARRAY_LEN(forged_methods)] = {0};

    assert_int_equal(it_proc_stop(&proc, SIGTERM, 10000), 0);
    log = it_file_read(proc.log_path);
    for (char *line = strtok_r(log, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), lines++) {
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o;

        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, line, (int)strlen(line));
        if (o == NULL || !json_object_is_type(o, json_type_object))
            fail_msg("log line %zu is not a JSON object: %s", lines + 1, line);
        check_line_members(o, line, methods_seen);
        json_object_put(o);
        json_tokener_free(tok);
    }
    assert_true(lines > 2);
    for (size_t i = 0; i < ARRAY_LEN(forged_methods); i++)
        if (methods_seen[i] != 1)
            fail_msg("method %s logged as a method %zu times", forged_methods[i], methods_seen[i]);
    free(log);
}

int main(void)
{
    const char *args[] = {"serve", "--migrate", NULL};
    const char *env[] = {"SHOPVOX_LOG_FORMAT=json", "SHOPVOX_METRICS_REFRESH_S=1", NULL};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_and_base64_signatures_are_stored),
        cmocka_unit_test(test_duplicate_delivery_is_stored_once),
        cmocka_unit_test(test_replayed_body_under_new_ids_is_stored_once),
        cmocka_unit_test(test_unpaid_then_paid_then_stale_update),
        cmocka_unit_test(test_bad_or_missing_signature_is_401_and_stores_nothing),
        cmocka_unit_test(test_oversize_wrong_method_unknown_topic_and_garbage),
        cmocka_unit_test(test_cancelling_a_held_order_that_may_be_posted_enqueues_a_cancel),
        cmocka_unit_test(test_webhook_for_another_shop_is_recorded_and_ignored),
        cmocka_unit_test(test_concurrent_deliveries_make_one_order_and_one_job_each),
        cmocka_unit_test(test_unstorable_payloads_are_failed_deliveries_not_500s),
        cmocka_unit_test(test_health_ready_and_metrics),
        cmocka_unit_test(test_forged_methods_are_sent),
        cmocka_unit_test(test_sigterm_exits_zero_and_every_log_line_is_json),
    };
    int rc;

    it_require_db();
    db = it_db_create("intake");
    if (it_shopvox_start(&proc, db, env, args) != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (rc != 0)
        it_proc_dump_log(&proc);
    it_proc_stop(&proc, SIGKILL, 1000);
    return rc;
}
