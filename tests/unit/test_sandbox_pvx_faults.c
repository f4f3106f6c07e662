/*
 * test_sandbox_pvx_faults.c - the fake Peoplevox's faults, driven like a
 * client would (tests/support/ts_pvx_soap): HTTP 500 and 429, the rate
 * limit's 503 "too busy" on the fake clock, refused saves, a save applied
 * but its answer dropped, hung and slow calls (a hung call observed on
 * its own thread and ended by stopping the sandbox), the control
 * endpoints, transport errors and concurrent clients.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "buf.h"
#include "csv.h"
#include "it_wait.h"
#include "sandbox.h"
#include "ts_clock.h"
#include "ts_pvx_soap.h"

/* ---- faults ---- */

static void test_fault_http_500_and_429(void **state)
{
    struct fx *f = *state;
    struct buf r;
    char *fs;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"http_500\":1,\"http_429\":1}",
                             &r), 200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 429);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 500);
    fs = xml_get(&r, "faultstring");
    assert_non_null(fs);
    free(fs);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    buf_cleanup(&r);
}

/* Over the cap: HTTP 503 with a SOAP 1.1 "Server Too Busy" fault, nothing applied, counted. */
static void test_rate_limit_answers_503_too_busy(void **state)
{
    struct fx *f = *state;
    struct buf r;
    char *s;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults",
                             "{\"rate_limit\":{\"calls\":2,\"window_ms\":400}}", &r), 200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(save(f, "Sales orders", orders_csv, &r), 503);
    s = xml_get(&r, "faultcode");
    assert_non_null(s);
    assert_non_null(strstr(s, "Server"));
    free(s);
    s = xml_get(&r, "faultstring");
    assert_string_equal(s, "Server Too Busy");
    free(s);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_orders\":0"));      /* not applied */
    assert_non_null(strstr(buf_cstr(&r), "\"refused\":1"));
    assert_non_null(strstr(buf_cstr(&r), "\"rate_limit\":{\"calls\":2,\"window_ms\":400}"));
    assert_int_equal(control(f, "GET", "/_sandbox/calls", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"op\":\"SaveData\",\"template\":\"\",\"rows\":0,"
                                         "\"response_id\":0,\"http_code\":503"));
    /* the window slides: once the first call is window_ms old, calls are taken again */
    ts_clock_advance(f->clock, 399);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 503);
    ts_clock_advance(f->clock, 1);
    save_ok(f, "Sales orders", orders_csv);
    /* off again */
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"rate_limit\":{\"calls\":0}}",
                             &r), 200);
    for (int i = 0; i < 5; i++)
        assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"rate_limit\":{\"calls\":-1}}",
                             &r), 400);
    buf_cleanup(&r);
}

/* The cap given at start survives a reset; the refusal count does not. */
static void test_rate_limit_option_survives_reset(void **state)
{
    struct sandbox_pvx_opts o = {.port = 0, .rate_limit_calls = 1, .rate_limit_window_ms = 60000};
    struct fx *f;
    struct buf r;

    assert_int_equal(start_with(state, &o), 0);
    f = *state;
    buf_init(&r, 0);
    authenticate(f);                                   /* the one call of the window */
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 503);
    assert_int_equal(control(f, "POST", "/_sandbox/reset", "{}", &r), 200);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"refused\":0"));
    assert_non_null(strstr(buf_cstr(&r), "\"calls\":1,\"window_ms\":60000"));
    buf_cleanup(&r);
    sandbox_teardown(state);
}

/* refuse_save: the next n SaveData calls are refused as a whole with the given Detail. */
static void test_fault_refuse_save(void **state)
{
    struct fx *f = *state;
    struct buf r;
    char *s;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults",
                             "{\"refuse_save\":1,\"refuse_detail\":\"Site X is closed\"}", &r),
                     200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);  /* reads are not refused */
    assert_int_equal(save(f, "Sales orders", orders_csv, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    s = xml_get(&r, "Detail");
    assert_string_equal(s, "Site X is closed");
    free(s);
    assert_null(strstr(buf_cstr(&r), "IntegrationStatusResponse"));
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_orders\":0"));
    save_ok(f, "Sales orders", orders_csv);
    buf_cleanup(&r);
}

static void test_fault_drop_after_apply(void **state)
{
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"drop_after_apply\":1}", &r),
                     200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200); /* reads are not dropped */
    assert_int_equal(save(f, "Sales orders", orders_csv, &r), -(long)CURLE_GOT_NOTHING);
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-1", NULL, &r), 200);
    /* the retry after the lost answer is an upsert: still two orders */
    save_ok(f, "Sales orders", orders_csv);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_orders\":2"));
    buf_cleanup(&r);
}

/* drop_items_after_apply passes the order rows' save and loses the items' answer. */
static void test_fault_drop_items_after_apply(void **state)
{
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"drop_items_after_apply\":1}",
                             &r),
                     200);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"drop_items_after_apply\":-1}",
                             &r),
                     400);
    save_ok(f, "Sales orders", orders_csv);
    assert_int_equal(save(f, "Sales order items", lines_csv, &r), -(long)CURLE_GOT_NOTHING);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_order_items\":2"));
    assert_non_null(strstr(buf_cstr(&r), "\"drop_items_after_apply\":0"));
    save_ok(f, "Sales order items", lines_csv); /* one: the next is answered */
    buf_cleanup(&r);
}

/* busy_order_reads answers GetData of `Sales orders` 503 Too Busy, nothing else. */
static void test_fault_busy_order_reads(void **state)
{
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"busy_order_reads\":1}", &r),
                     200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200); /* another template: read */
    save_ok(f, "Sales orders", orders_csv);                    /* saves: not touched */
    assert_int_equal(get_data(f, "Sales orders", "", 1, 0, &r), 503);
    assert_non_null(strstr(buf_cstr(&r), "Server Too Busy"));
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"busy_order_reads\":0"));
    assert_int_equal(get_data(f, "Sales orders", "", 1, 0, &r), 200); /* one: then read */
    buf_cleanup(&r);
}

/*
 * A call held by a "timeout" fault (hang_ms: 30 s), made on its own thread
 * with a 10 s client timeout: longer than the test, shorter than the hang,
 * so how the call ends says whether stopping the sandbox ended it.
 */
struct hanger {
    struct fx fx;          /* own copy: own timeout, shared session */
    pthread_t th;
    atomic_bool done;
    long code;
};

static void *hanger_run(void *arg)
{
    struct hanger *h = arg;
    struct buf r;

    buf_init(&r, 0);
    h->code = get_data(&h->fx, "Sites", "", 1, 0, &r);
    atomic_store(&h->done, true);
    buf_cleanup(&r);
    return NULL;
}

/* Whether the pending "timeout" fault has been taken by a call. */
static bool timeout_fault_taken(void *arg)
{
    struct buf r;
    bool taken;

    buf_init(&r, 0);
    taken = control(arg, "GET", "/_sandbox/state", NULL, &r) == 200 &&
            strstr(buf_cstr(&r), "\"timeout\":0") != NULL;
    buf_cleanup(&r);
    return taken;
}

/* Starts h's call with a "timeout" fault pending and returns once it hangs. */
static void hanger_start(struct fx *f, struct hanger *h)
{
    struct buf r;

    buf_init(&r, 0);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"timeout\":1}", &r), 200);
    buf_cleanup(&r);
    h->fx = *f;
    h->fx.timeout_ms = 10000;
    atomic_init(&h->done, false);
    assert_int_equal(pthread_create(&h->th, NULL, hanger_run, h), 0);
    assert_true(it_wait_until(timeout_fault_taken, f, 5000));
}

/*
 * Stops f's sandbox while h's call still hangs: stop must wake the hang,
 * so the call ends with no answer (had stop waited out the hang, the
 * client's own timeout would have ended it first).
 */
static void hanger_stop_sandbox(struct fx *f, struct hanger *h)
{
    assert_false(atomic_load(&h->done));
    sandbox_pvx_stop(f->sb);
    f->sb = NULL;
    pthread_join(h->th, NULL);
    assert_int_equal(h->code, -(long)CURLE_GOT_NOTHING);
}

/* "timeout": the next call hangs, the one after it is answered; stop ends the hang. */
static void test_fault_timeout_and_stop(void **state)
{
    struct fx *f = *state;
    struct hanger h;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    hanger_start(f, &h);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200); /* only the next n calls */
    hanger_stop_sandbox(f, &h);
    buf_cleanup(&r);
}

/* slow_ms holds every call (real time: the client's 50 ms timeout runs out first). */
static void test_fault_slow_and_expire(void **state)
{
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"slow_ms\":60000}", &r), 200);
    f->timeout_ms = 50;
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), -(long)CURLE_OPERATION_TIMEDOUT);
    f->timeout_ms = 0;
    assert_int_equal(control(f, "POST", "/_sandbox/faults",
                             "{\"slow_ms\":0,\"expire_sessions\":true}", &r), 200);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_detail(&r, "System : Security - Invalid Session");
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "{\"http_500\":-1}", &r), 400);
    buf_cleanup(&r);
}

/* ---- control endpoints and transport errors ---- */

static void test_control_endpoints(void **state)
{
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/items",
                             "{\"ItemCode\":\"NEW-SKU\",\"Name\":\"New\",\"Barcode\":\"123\","
                             "\"stock\":{\"LONDON\":7}}", &r), 200);
    save_ok(f, "Sales orders", "SalesOrderNumber,Site\nSO-7,LONDON\n");
    save_ok(f, "Sales order items", "SalesOrderNumber,ItemCode,QuantityOrdered\nSO-7,NEW-SKU,2\n");
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"item_types\":21"));
    assert_non_null(strstr(buf_cstr(&r), "\"SaveData\":2"));
    assert_non_null(strstr(buf_cstr(&r), "\"Authenticate\":1"));
    assert_int_equal(control(f, "GET", "/_sandbox/calls", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"op\":\"SaveData\",\"template\":\"Sales order items\","
                                         "\"rows\":1"));
    assert_int_equal(control(f, "GET", "/_sandbox/orders/NOPE", NULL, &r), 404);
    assert_int_equal(control(f, "GET", "/_sandbox/nope", NULL, &r), 404);
    assert_int_equal(control(f, "POST", "/_sandbox/faults", "not json", &r), 400);
    assert_int_equal(control(f, "POST", "/_sandbox/despatch",
                             "{\"SalesOrderNumber\":\"SO-7\",\"items\":[{\"ItemCode\":\"NEW-SKU\","
                             "\"qty\":3}]}", &r), 400); /* more than ordered */
    assert_int_equal(control(f, "POST", "/_sandbox/reset", NULL, &r), 200);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_orders\":0"));
    assert_non_null(strstr(buf_cstr(&r), "\"item_types\":20"));
    assert_non_null(strstr(buf_cstr(&r), "\"sessions\":0"));
    buf_cleanup(&r);
}

static void test_transport_errors(void **state)
{
    static const char env[] =
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
        "<GetData xmlns=\"" PVX_NS "\"/></soap:Body></soap:Envelope>";
    static const char path[] = "/X/resources/IntegrationServiceV4.asmx";
    struct fx *f = *state;
    struct buf r;
    char *big;

    buf_init(&r, 0);
    assert_int_equal(http_call(f, "POST", path, "application/json", NULL, env, 5000, &r), 415);
    assert_int_equal(http_call(f, "GET", path, NULL, NULL, NULL, 5000, &r), 405);
    assert_int_equal(http_call(f, "POST", "/other", "text/xml", NULL, env, 5000, &r), 404);
    assert_int_equal(http_call(f, "POST", path, "text/xml", "\"" PVX_NS "SaveData\"", env, 5000,
                               &r), 500); /* SOAPAction and body disagree */
    assert_int_equal(http_call(f, "POST", path, "text/xml", NULL, "<not xml", 5000, &r), 500);
    assert_int_equal(http_call(f, "POST", path, "text/xml", "\"" PVX_NS "Frobnicate\"",
                               "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/"
                               "envelope/\"><soap:Body><Frobnicate xmlns=\"" PVX_NS "\"/>"
                               "</soap:Body></soap:Envelope>", 5000, &r), 500);
    /* no SOAPAction: the body element names the operation */
    assert_int_equal(http_call(f, "POST", path, "text/xml", NULL, env, 5000, &r), 200);
    assert_detail(&r, "System : Security - Invalid Session");
    big = xmalloc(9u * 1024 * 1024);
    memset(big, 'a', 9u * 1024 * 1024 - 1);
    big[9u * 1024 * 1024 - 1] = '\0';
    assert_int_equal(http_call(f, "POST", path, "text/xml", NULL, big, 10000, &r), 413);
    free(big);
    buf_cleanup(&r);
}

struct writer {
    struct fx fx;  /* own copy, shared session */
    int id;
};

static void *writer_run(void *arg)
{
    struct writer *w = arg;
    struct buf r;

    buf_init(&r, 0);
    for (int i = 0; i < 10; i++) {
        char csv[128];
        snprintf(csv, sizeof(csv), "SalesOrderNumber,Site\nSO-W%d-%d,LONDON\n", w->id, i);
        save(&w->fx, "Sales orders", csv, &r);
    }
    buf_cleanup(&r);
    return NULL;
}

/* Four writers at once while another call hangs: none is held up by it. */
static void test_concurrent_clients(void **state)
{
    struct fx *f = *state;
    struct writer w[4];
    pthread_t th[4];
    struct hanger h;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    hanger_start(f, &h);
    for (int i = 0; i < 4; i++) {
        w[i] = (struct writer){.fx = *f, .id = i};
        pthread_create(&th[i], NULL, writer_run, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(get_data(f, "Sales orders", "SalesOrderNumber.StartsWith(\"SO-W\")", 1, 0,
                              &r), 200);
    assert_int_equal(xml_long(&r, "TotalCount"), 40);
    hanger_stop_sandbox(f, &h); /* ...while the hanging call still hangs */
    buf_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_fault_http_500_and_429),
        T(test_rate_limit_answers_503_too_busy),
        cmocka_unit_test(test_rate_limit_option_survives_reset),
        T(test_fault_refuse_save),
        T(test_fault_drop_after_apply),
        T(test_fault_drop_items_after_apply),
        T(test_fault_busy_order_reads),
        T(test_fault_timeout_and_stop),
        T(test_fault_slow_and_expire),
        T(test_control_endpoints),
        T(test_transport_errors),
        T(test_concurrent_clients),
    };

    return cmocka_run_group_tests(tests, soap_group_setup, soap_group_teardown);
}

