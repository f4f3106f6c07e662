/*
 * test_pvx_throttle.c - the Peoplevox client's load control against the
 * in-process fake (tests/support/ts_pvx_fake): the concurrency cap and the
 * shared session, throttling and its cool-down, the shared budget's token
 * per request, the refusal classifier; and, against the real sandbox, that
 * a write is never re-sent by libcurl on a reused connection.
 *
 * No sleeps: cool-downs run on a fake clock (ts_clock) the tests advance,
 * and the fake holds calls at a gate the test opens, so "in flight" is a
 * state, not a duration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "http_server.h"
#include "it_wait.h"
#include "metrics.h"
#include "pvx.h"
#include "sandbox.h"
#include "ts_clock.h"
#include "ts_pvx_fake.h"
/* ---- tests ---- */

struct worker_arg {
    struct pvx_client *pc;
    enum st rc;
};

static void *worker_main(void *p)
{
    struct worker_arg *w = p;
    CURL *curl = curl_easy_init();         /* each thread its own handle */
    struct pvx_outcome oc;
    struct csv_table t;
    long total;
    int i;

    w->rc = ST_OK;
    for (i = 0; i < 3 && w->rc == ST_OK; i++) {
        w->rc = pvx_get_data(w->pc, curl, "Item types", NULL, 1, 10, &t, &total, &oc);
        csv_table_cleanup(&t);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

/* Two calls held at the fake, and another thread already waiting for a slot. */
static bool cap_reached(void *arg)
{
    struct pvx_stats st;
    int in_flight;

    pvx_client_stats(arg, &st);
    pthread_mutex_lock(&fk.lock);
    in_flight = fk.in_flight;
    pthread_mutex_unlock(&fk.lock);
    return in_flight == 2 && st.slot_waits > 0;
}

static void test_concurrency_cap_and_shared_session(void **state)
{
    struct pvx_client *pc = client_new(10000, 2);
    struct worker_arg args[6];
    pthread_t th[6];
    size_t i;

    FAKE_SET(hold, 1);                             /* the first calls stay in flight */
    for (i = 0; i < ARRAY_LEN(th); i++) {
        args[i].pc = pc;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &args[i]), 0);
    }
    assert_true(it_wait_until(cap_reached, pc, 5000));
    fake_release();
    for (i = 0; i < ARRAY_LEN(th); i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].rc, ST_OK);
    }
    assert_int_equal(fk.auth_calls, 1);            /* one session for the tenant */
    assert_int_equal(fk.calls[PVX_OP_GET_DATA], 18);
    assert_int_equal(fk.max_in_flight, 2);
    pvx_client_destroy(pc);
}

/* The "Server Too Busy" fault of a .NET service on HTTP 503: refused, nothing applied. */
static void test_too_busy_fault_is_throttled_not_unknown(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    struct pvx_outcome oc;
    struct pvx_response r;
    struct pvx_stats st;

    assert_int_equal(pvx_authenticate(pc, NULL, &oc), ST_OK);
    FAKE_SET(fault_code, "soap:Server");
    FAKE_SET(fault_string, "Server Too Busy");
    FAKE_SET(fault_http, 503);
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "A\r\n1\r\n", &r, &oc), ST_RETRY);
    assert_true(oc.throttled);
    assert_false(oc.unknown);
    assert_int_equal(oc.http_status, 503);
    assert_int_equal(oc.retry_after_ms, 1);
    pvx_response_cleanup(&r);
    /* the same text on a 500 is throttling too */
    ts_clock_advance(&clk, 1);
    FAKE_SET(fault_http, 500);
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "A\r\n1\r\n", &r, &oc), ST_RETRY);
    assert_true(oc.throttled);
    assert_false(oc.unknown);
    pvx_response_cleanup(&r);
    FAKE_SET(fault_code, NULL);
    FAKE_SET(fault_http, 0);
    pvx_client_stats(pc, &st);
    assert_int_equal(st.throttled, 2);
    pvx_client_destroy(pc);
}

/* After a refusal the client sends nothing for a while; the pause grows, then resets. */
static void test_throttle_cooldown_fails_fast_grows_and_resets(void **state)
{
    struct pvx_client *pc = client_cooling(5000, 1, 200, 500);
    struct pvx_outcome oc;
    struct pvx_stats st;

    assert_non_null(pc);
    assert_int_equal(pvx_authenticate(pc, NULL, &oc), ST_OK);
    FAKE_SET(fault_code, "soap:Server");
    FAKE_SET(fault_string, "Server Too Busy");
    FAKE_SET(fault_http, 503);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_true(oc.throttled && !oc.unknown);
    assert_int_equal(oc.retry_after_ms, 200);
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 1);

    /* cooling down: not sent, throttled, never unknown, told what is left */
    ts_clock_advance(&clk, 150);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_true(oc.throttled && !oc.unknown);
    assert_int_equal(oc.retry_after_ms, 50);
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 1);
    assert_non_null(strstr(oc.err.msg, "not sent"));
    ts_clock_advance(&clk, 49);                     /* 1 ms left: still not sent */
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_int_equal(oc.retry_after_ms, 1);
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 1);

    /* refused again once the pause is over: the next pause is twice as long */
    ts_clock_advance(&clk, 1);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 2);
    assert_int_equal(oc.retry_after_ms, 400);
    ts_clock_advance(&clk, 400);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_int_equal(oc.retry_after_ms, 500);        /* capped */

    /* a call that goes through resets it */
    FAKE_SET(fault_code, NULL);
    FAKE_SET(fault_http, 0);
    ts_clock_advance(&clk, 500);
    assert_int_equal(save_one(pc, &oc), ST_OK);
    assert_false(oc.throttled);
    FAKE_SET(fail_count, 1);
    FAKE_SET(fail_status, 429);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_true(oc.throttled && !oc.unknown);
    assert_int_equal(oc.retry_after_ms, 200);
    pvx_client_stats(pc, &st);
    assert_int_equal(st.throttled, 4);
    assert_int_equal(st.cooled, 2);
    pvx_client_destroy(pc);
}

/* A scripted shared budget: answers waits[i] (0 = a token) to the i-th request, then tokens. */
struct fake_limiter {
    const int64_t *waits;
    size_t n_waits, asked, throttled;
    int64_t last_retry_after_ms;
};

static enum st fake_acquire(void *ctx, int64_t *wait_ms, struct errbuf *err)
{
    struct fake_limiter *fl = ctx;
    int64_t w = fl->asked < fl->n_waits ? fl->waits[fl->asked] : 0;

    fl->asked++;
    *wait_ms = w;
    return w == 0 ? ST_OK : ST_RETRY;
}

static void fake_throttled(void *ctx, int64_t retry_after_ms)
{
    struct fake_limiter *fl = ctx;

    fl->throttled++;
    fl->last_retry_after_ms = retry_after_ms;
}

/*
 * Every request takes a token first: a short wait is slept and the call
 * sent, a long one is not sent (throttled, the wait as retry_after_ms), and
 * a refusal for load is reported to the limiter.
 */
static void test_shared_budget_token_per_request(void **state)
{
    static const int64_t waits[] = {0, 0, 5, 0, 60000};
    struct fake_limiter fl = {waits, ARRAY_LEN(waits), 0, 0, 0};
    struct pvx_limiter lim = {fake_acquire, fake_throttled, &fl};
    struct pvx_config cfg;
    struct errbuf err = { "" };
    struct pvx_outcome oc;
    struct pvx_stats st;
    struct pvx_client *pc;
    char url[96];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/acme/resources/integrationservicev4.asmx",
             fk.port);
    memset(&cfg, 0, sizeof(cfg));
    cfg = (struct pvx_config){.url = url, .client_id = "acme", .username = "api",
                              .password = "secret", .timeout_ms = 5000, .max_concurrency = 1,
                              .throttle_base_ms = 1, .throttle_max_ms = 1, .now_ms = ts_clock_now,
                              .now_ctx = &clk, .limiter = &lim, .limit_sleep_max_ms = 1000};
    pc = pvx_client_create(&cfg, &err);
    assert_non_null(pc);
    assert_int_equal(save_one(pc, &oc), ST_OK);      /* Authenticate + SaveData: 2 tokens */
    assert_int_equal(fl.asked, 2);
    assert_int_equal(save_one(pc, &oc), ST_OK);      /* waits 5 ms, then sent */
    assert_int_equal(fl.asked, 4);
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 2);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);   /* 60 s: not sent here */
    assert_true(oc.throttled && !oc.unknown);
    assert_int_equal(oc.retry_after_ms, 60000);
    assert_non_null(strstr(oc.err.msg, "no token in the shared peoplevox budget"));
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 2);
    pvx_client_stats(pc, &st);
    assert_int_equal(st.limited, 1);
    assert_int_equal(st.limit_sleeps, 1);

    /* a refusal for load shrinks the shared bucket (no Retry-After: 0) */
    FAKE_SET(fail_count, 1);
    FAKE_SET(fail_status, 429);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_true(oc.throttled);
    assert_int_equal(fl.throttled, 1);
    assert_int_equal(fl.last_retry_after_ms, 0);

    /* shutdown began: no sleeping for a token, the job is handed back */
    ts_clock_advance(&clk, 10);
    fl.waits = (const int64_t[]){5};
    fl.n_waits = 1;
    fl.asked = 0;
    pvx_client_abort_at(pc, now_ms_monotonic() + 60000);
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_true(oc.throttled);
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 3);
    pvx_client_destroy(pc);
}

struct refusal_case {
    const char *detail;
    bool transient;
    bool throttle;
};

static void test_refusal_classifier(void **state)
{
    static const struct refusal_case cases[] = {
        { "Server Too Busy", true, true },
        { "Rate limit exceeded: 15 requests per 15 seconds", true, true },
        { "Request was throttled", true, true },
        { "Too many requests", true, true },
        { "System : Timeout expired. The timeout period elapsed", true, false },
        { "The operation timed out", true, false },
        { "Transaction (Process ID 61) was deadlocked on lock resources", true, false },
        { "Service temporarily unavailable, try again later", true, false },
        { "An internal server error occurred", true, false },
        { "Site NOWHERE does not exist", false, false },
        { "Unknown field Colour in CsvData", false, false },
        { "Item code TEE-XL is not valid for this client", false, false },
        { "1 of 1 rows failed", false, false },
        { "", false, false },
        { NULL, false, false },
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_int_equal(pvx_refusal_is_transient(cases[i].detail), cases[i].transient);
        assert_int_equal(pvx_refusal_is_throttle(cases[i].detail), cases[i].throttle);
    }
}

/* A whole-call refusal (ResponseId -1, no statuses): its text decides retry or reject. */
static void test_whole_call_refusal_classified(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    struct pvx_outcome oc;

    assert_int_equal(pvx_authenticate(pc, NULL, &oc), ST_OK);
    FAKE_SET(refuse_detail, "System : Timeout expired, please try again");
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_false(oc.unknown);
    assert_false(oc.throttled);
    FAKE_SET(refuse_detail, "Server too busy");
    assert_int_equal(save_one(pc, &oc), ST_RETRY);
    assert_true(oc.throttled);
    assert_false(oc.unknown);
    ts_clock_advance(&clk, 1);
    FAKE_SET(refuse_detail, "Site NOWHERE does not exist");
    assert_int_equal(save_one(pc, &oc), ST_FAIL);
    assert_false(oc.unknown);
    assert_false(oc.throttled);
    assert_non_null(strstr(oc.err.msg, "NOWHERE"));
    FAKE_SET(refuse_detail, NULL);
    pvx_client_destroy(pc);
}

/* ---- against the sandbox: a write is never re-sent behind our back ---- */

static size_t sink_body(char *p, size_t size, size_t n, void *ud)
{
    return buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

static long sandbox_http(int port, const char *path, const char *post, struct buf *out)
{
    CURL *c = curl_easy_init();
    char url[128];
    long code = 0;

    buf_reset(out);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (post != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code;
}

static int count_substr(const char *s, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_write_never_resent_on_reused_connection(void **state)
{
    struct sandbox_pvx_opts so = { 0 };
    struct errbuf err = { "" };
    struct sandbox_pvx *sb;
    struct pvx_config cfg;
    struct pvx_client *pc;
    struct pvx_outcome oc;
    struct pvx_response r;
    struct csv_table t;
    struct buf b;
    char url[128];
    long total = 0;
    CURL *curl = curl_easy_init();

    so.password_encoding = SANDBOX_PW_BASE64;
    sb = sandbox_pvx_start(&so, &err);
    assert_non_null(sb);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/SANDBOX/resources/integrationservicev4.asmx",
             sandbox_pvx_port(sb));
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = url;
    cfg.client_id = "SANDBOX";
    cfg.username = "shopvox";
    cfg.password = "secret";
    cfg.timeout_ms = 5000;
    cfg.max_concurrency = 1;
    pc = pvx_client_create(&cfg, &err);
    assert_non_null(pc);
    buf_init(&b, 0);

    /* a read on this handle leaves a kept-alive connection behind */
    assert_int_equal(pvx_get_data(pc, curl, "Item types", NULL, 1, 5, &t, &total, &oc), ST_OK);
    csv_table_cleanup(&t);
    assert_int_equal(sandbox_http(sandbox_pvx_port(sb), "/_sandbox/faults",
                                  "{\"drop_after_apply\":2}", &b), 200);
    assert_int_equal(pvx_save_data(pc, curl, "Sales orders",
                                   "SalesOrderNumber,Site\r\nSO-DROP-1,PrimarySite\r\n", &r,
                                   &oc), ST_RETRY);
    pvx_response_cleanup(&r);
    assert_true(oc.unknown);
    assert_false(oc.throttled);
    /* the sandbox saw exactly one SaveData: libcurl did not send it again */
    assert_int_equal(sandbox_http(sandbox_pvx_port(sb), "/_sandbox/calls", NULL, &b), 200);
    assert_int_equal(count_substr(buf_cstr(&b), "\"op\":\"SaveData\""), 1);
    assert_int_equal(sandbox_http(sandbox_pvx_port(sb), "/_sandbox/state", NULL, &b), 200);
    assert_non_null(strstr(buf_cstr(&b), "\"drop_after_apply\":1"));

    buf_cleanup(&b);
    curl_easy_cleanup(curl);
    pvx_client_destroy(pc);
    sandbox_pvx_stop(sb);
}

#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, fake_start, fake_stop)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FAKE_TEST(test_too_busy_fault_is_throttled_not_unknown),
        FAKE_TEST(test_throttle_cooldown_fails_fast_grows_and_resets),
        FAKE_TEST(test_shared_budget_token_per_request),
        cmocka_unit_test(test_refusal_classifier),
        FAKE_TEST(test_whole_call_refusal_classified),
        cmocka_unit_test(test_write_never_resent_on_reused_connection),
        FAKE_TEST(test_concurrency_cap_and_shared_session),
    };
    int rc;

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}

