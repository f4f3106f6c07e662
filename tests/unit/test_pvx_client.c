/*
 * test_pvx_client.c - the Peoplevox client against a tiny in-process fake
 * (tests/support/ts_pvx_fake): session renewal, HTTP and SOAP failures,
 * timeouts and unknown write outcomes, paging, per-row errors, the template
 * cache and CSV building, and the client's counters as metrics.
 * Throttling, the concurrency cap and the shared budget are in
 * test_pvx_throttle.c.
 *
 * No sleeps: the fake holds calls at a gate the test opens; the one real
 * wait is libcurl's own transfer timeout, set to 50 ms there.
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

static void test_config_rejected(void **state)
{
    struct pvx_config ok = {
        .url = "https://wms.peoplevox.net/acme/resources/integrationservicev4.asmx",
        .client_id = "acme", .username = "api", .password = "pw",
        .password_encoding = "base64", .timeout_ms = 1000, .max_concurrency = 2,
    };
    struct pvx_config bad;
    struct errbuf err = { "" };

    bad = ok;
    bad.url = "ftp://x";
    assert_null(pvx_client_create(&bad, &err));
    bad = ok;
    bad.password = "";
    assert_null(pvx_client_create(&bad, &err));
    bad = ok;
    bad.password_encoding = "rot13";
    assert_null(pvx_client_create(&bad, &err));
    assert_non_null(strstr(err.msg, "rot13"));
    bad = ok;
    bad.max_concurrency = 0;
    assert_null(pvx_client_create(&bad, &err));
    pvx_client_destroy(NULL);
}

static void test_get_data_authenticates_first(void **state)
{
    struct pvx_client *pc = client_new(5000, 2);
    struct pvx_outcome oc;
    struct csv_table t;
    struct pvx_stats st;
    long total = 0;

    assert_int_equal(pvx_get_data(pc, NULL, "Item types", "", 1, 1000, &t, &total, &oc), ST_OK);
    assert_int_equal(total, 3);
    assert_int_equal(t.n_rows, 4);
    assert_string_equal(csv_table_get(&t, 2, 1), "Mug, \"no. 1\"");
    assert_string_equal(fk.password, "c2VjcmV0");        /* base64("secret") */
    assert_int_equal(fk.auth_calls, 1);
    assert_int_equal(oc.http_status, 200);
    pvx_client_stats(pc, &st);
    assert_int_equal(st.requests[PVX_OP_AUTHENTICATE], 1);
    assert_int_equal(st.requests[PVX_OP_GET_DATA], 1);
    csv_table_cleanup(&t);
    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 0, 10, &t, &total, &oc), ST_FAIL);
    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 1, 1001, &t, &total, &oc),
                     ST_FAIL);
    pvx_client_destroy(pc);
}

static void test_session_renewed_once(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    CURL *curl = curl_easy_init();
    struct pvx_outcome oc;
    struct csv_table t;
    long total;

    assert_int_equal(pvx_authenticate(pc, curl, &oc), ST_OK);
    fk.session_no += 10;                          /* the server forgets the session */
    assert_int_equal(pvx_get_data(pc, curl, "Item types", NULL, 1, 10, &t, &total, &oc), ST_OK);
    assert_true(oc.session_renewed);
    assert_int_equal(fk.auth_calls, 2);
    assert_int_equal(fk.calls[PVX_OP_GET_DATA], 2);
    csv_table_cleanup(&t);
    assert_int_equal(pvx_get_data(pc, curl, "Item types", NULL, 1, 10, &t, &total, &oc), ST_OK);
    assert_false(oc.session_renewed);             /* the renewed session is reused */
    assert_int_equal(fk.auth_calls, 2);
    csv_table_cleanup(&t);
    curl_easy_cleanup(curl);
    pvx_client_destroy(pc);
}


/* The metric of a client counter: the series named as shopvox exposes it. */
struct counter_metric {
    const char *name, *labels;
    unsigned long (*of)(const struct pvx_stats *st);
};

static unsigned long st_auth(const struct pvx_stats *st) { return st->requests[PVX_OP_AUTHENTICATE]; }
static unsigned long st_get(const struct pvx_stats *st) { return st->requests[PVX_OP_GET_DATA]; }
static unsigned long st_save(const struct pvx_stats *st) { return st->requests[PVX_OP_SAVE_DATA]; }
static unsigned long st_transport(const struct pvx_stats *st) { return st->transport_errors; }
static unsigned long st_http(const struct pvx_stats *st) { return st->http_errors; }
static unsigned long st_fault(const struct pvx_stats *st) { return st->faults; }
static unsigned long st_renewal(const struct pvx_stats *st) { return st->session_renewals; }

/* The client publishes its counters itself, where it counts: no one has to mirror them. */
static void test_counters_are_published_as_metrics(void **state)
{
    static const struct counter_metric m[] = {
        { "shopvox_peoplevox_requests_total", "op=\"Authenticate\"", st_auth },
        { "shopvox_peoplevox_requests_total", "op=\"GetData\"", st_get },
        { "shopvox_peoplevox_requests_total", "op=\"SaveData\"", st_save },
        { "shopvox_peoplevox_errors_total", "kind=\"transport\"", st_transport },
        { "shopvox_peoplevox_errors_total", "kind=\"http\"", st_http },
        { "shopvox_peoplevox_errors_total", "kind=\"fault\"", st_fault },
        { "shopvox_peoplevox_session_renewals_total", "", st_renewal },
    };
    struct pvx_client *pc;
    struct pvx_outcome oc;
    struct pvx_stats st;
    struct csv_table t;
    struct buf out;
    long total;

    metrics_reset();
    pc = client_new(50, 1);
    buf_init(&out, 0);
    metrics_render(&out);                          /* every series from the start, at 0 */
    assert_non_null(strstr(buf_cstr(&out),
                           "shopvox_peoplevox_requests_total{op=\"SaveData\"} 0\n"));
    assert_non_null(strstr(buf_cstr(&out), "shopvox_peoplevox_errors_total{kind=\"fault\"} 0\n"));
    assert_non_null(strstr(buf_cstr(&out), "shopvox_peoplevox_session_renewals_total 0\n"));
    buf_cleanup(&out);

    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 1, 10, &t, &total, &oc), ST_OK);
    csv_table_cleanup(&t);
    fk.session_no += 10;                           /* a renewal */
    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 1, 10, &t, &total, &oc), ST_OK);
    csv_table_cleanup(&t);
    FAKE_SET(fail_count, 1);                       /* an HTTP error */
    FAKE_SET(fail_status, 500);
    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 1, 10, &t, &total, &oc),
                     ST_RETRY);
    csv_table_cleanup(&t);
    FAKE_SET(fault_code, "soap:Client");           /* a fault (on HTTP 500) */
    FAKE_SET(fault_string, "Input string was not in a correct format.");
    assert_int_equal(save_one(pc, &oc), ST_FAIL);
    FAKE_SET(fault_code, NULL);
    FAKE_SET(hold, 1);                             /* a transport error: 50 ms timeout */
    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 1, 10, &t, &total, &oc),
                     ST_RETRY);
    csv_table_cleanup(&t);
    fake_release();

    pvx_client_stats(pc, &st);
    for (size_t i = 0; i < ARRAY_LEN(m); i++) {
        assert_true(m[i].of(&st) > 0);
        assert_int_equal((unsigned long)metrics_get(m[i].name, m[i].labels), m[i].of(&st));
    }
    pvx_client_destroy(pc);
    metrics_reset();
}

static void test_session_still_invalid_is_retry(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    struct pvx_outcome oc;
    struct pvx_response r;
    struct pvx_stats st;

    FAKE_SET(always_invalid, 1);
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "SalesOrderNumber\r\nSO-1\r\n", &r,
                                   &oc), ST_RETRY);
    assert_false(oc.unknown);
    assert_non_null(strstr(oc.err.msg, "session still invalid"));
    assert_int_equal(fk.auth_calls, 2);            /* first session + one renewal */
    assert_int_equal(fk.calls[PVX_OP_SAVE_DATA], 2);
    pvx_client_stats(pc, &st);
    assert_int_equal(st.session_renewals, 1);
    pvx_response_cleanup(&r);
    pvx_client_destroy(pc);
}

struct http_case {
    int status;
    enum pvx_op op;
    enum st want;
    bool unknown;
    bool throttled;
};

static void test_http_errors_classified(void **state)
{
    static const struct http_case cases[] = {
        { 500, PVX_OP_GET_DATA, ST_RETRY, false, false },
        { 500, PVX_OP_SAVE_DATA, ST_RETRY, true, false },
        { 502, PVX_OP_SAVE_DATA, ST_RETRY, true, false },
        { 503, PVX_OP_SAVE_DATA, ST_RETRY, false, true },
        { 429, PVX_OP_SAVE_DATA, ST_RETRY, false, true },
        { 503, PVX_OP_GET_DATA, ST_RETRY, false, true },
        { 400, PVX_OP_GET_DATA, ST_FAIL, false, false },
        { 404, PVX_OP_SAVE_DATA, ST_FAIL, false, false },
    };
    struct pvx_client *pc = client_new(5000, 1);
    struct pvx_outcome oc;
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct pvx_response r;
        struct csv_table t;
        long total;
        enum st rc;

        ts_clock_advance(&clk, 1);     /* past the previous case's 1 ms cool-down */
        FAKE_SET(fail_count, 1);
        FAKE_SET(fail_status, cases[i].status);
        if (cases[i].op == PVX_OP_SAVE_DATA) {
            rc = pvx_save_data(pc, NULL, "Sales orders", "SalesOrderNumber\r\nSO-1\r\n", &r,
                               &oc);
            pvx_response_cleanup(&r);
        } else {
            rc = pvx_get_data(pc, NULL, "Item types", NULL, 1, 10, &t, &total, &oc);
            csv_table_cleanup(&t);
        }
        assert_int_equal(rc, cases[i].want);
        assert_int_equal(oc.unknown, cases[i].unknown);
        assert_int_equal(oc.throttled, cases[i].throttled);
        assert_int_equal(oc.http_status, cases[i].status);
    }
    pvx_client_destroy(pc);
}

static void test_soap_faults_classified(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    struct pvx_outcome oc;
    struct pvx_response r;

    assert_int_equal(pvx_authenticate(pc, NULL, &oc), ST_OK);
    FAKE_SET(fault_code, "soap:Client");
    FAKE_SET(fault_string, "Server was unable to read request. "
                           "Input string was not in a correct format.");
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "A\r\n1\r\n", &r, &oc), ST_FAIL);
    assert_non_null(strstr(oc.err.msg, "correct format"));
    assert_false(oc.unknown);
    pvx_response_cleanup(&r);
    FAKE_SET(fault_code, "soap:Server");
    FAKE_SET(fault_string, "System.Data.SqlClient.SqlException: Timeout expired.");
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "A\r\n1\r\n", &r, &oc), ST_RETRY);
    assert_true(oc.unknown);
    pvx_response_cleanup(&r);
    FAKE_SET(fault_code, NULL);
    pvx_client_destroy(pc);
}

/* The fake holds the calls past a short real timeout (a libcurl timeout cannot be faked). */
static void test_timeout_is_retry_and_write_unknown(void **state)
{
    struct pvx_client *pc = client_new(50, 1);
    struct pvx_outcome oc;
    struct pvx_response r;
    struct csv_table t;
    struct pvx_stats st;
    long total;

    assert_int_equal(pvx_authenticate(pc, NULL, &oc), ST_OK);
    FAKE_SET(hold, 1);
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "A\r\n1\r\n", &r, &oc), ST_RETRY);
    assert_true(oc.unknown);
    assert_int_equal(oc.http_status, 0);
    pvx_response_cleanup(&r);
    assert_int_equal(pvx_get_data(pc, NULL, "Item types", NULL, 1, 10, &t, &total, &oc),
                     ST_RETRY);
    assert_false(oc.unknown);                      /* reads are never "unknown" */
    pvx_client_stats(pc, &st);
    assert_int_equal(st.transport_errors, 2);
    fake_release();
    pvx_client_destroy(pc);
}

/* The session is fine but the server is gone: nothing was sent, safe to re-post. */
static void test_connection_refused_is_known(void **state)
{
    struct pvx_client *pc;
    struct pvx_outcome oc;
    struct pvx_response r;

    assert_int_equal(fake_start(state), 0);
    pc = client_new(2000, 1);
    assert_int_equal(pvx_authenticate(pc, NULL, &oc), ST_OK);
    fake_stop(state);
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders", "A\r\n1\r\n", &r, &oc), ST_RETRY);
    assert_false(oc.unknown);
    assert_non_null(strstr(oc.err.msg, "SaveData request to peoplevox failed"));
    pvx_response_cleanup(&r);
    pvx_client_destroy(pc);
}

/* Counts the pages and rows a streamed read hands over; refuses page fail_at. */
struct page_count {
    int pages, fail_at;
    size_t rows;
};

static enum st count_page(void *ctx, struct csv_table *page, struct errbuf *err)
{
    struct page_count *c = ctx;

    if (++c->pages == c->fail_at) {
        errbuf_set(err, "refused page %d", c->pages);
        return ST_RETRY;
    }
    c->rows += page->n_rows - 1;
    return ST_OK;
}

static void test_paging(void **state)
{
    struct pvx_client *pc = client_new(5000, 2);
    struct pvx_report_request rep = { "Item inventory summary", 0, 500, "", "", "", "" };
    struct pvx_outcome oc;
    struct csv_table t;

    fk.total_items = 2345;
    assert_int_equal(pvx_get_data_all(pc, NULL, "Item types", NULL, 0, 0, &t, &oc), ST_OK);
    assert_int_equal(fk.calls[PVX_OP_GET_DATA], 3);
    assert_int_equal(t.n_rows, 2346);
    assert_string_equal(csv_table_get(&t, 1, 0), "SKU-0");
    assert_string_equal(csv_table_get(&t, 2345, 0), "SKU-2344");
    csv_table_cleanup(&t);

    assert_int_equal(pvx_get_report_data_all(pc, NULL, &rep, 0, &t, &oc), ST_OK);
    assert_int_equal(fk.calls[PVX_OP_GET_REPORT_DATA], 5);
    assert_int_equal(t.n_rows, 2346);
    assert_int_equal(csv_table_col(&t, "item code"), 0);
    csv_table_cleanup(&t);

    { /* streamed: page by page; a page that fails is where the walk resumes */
        struct page_count c = {0, 3, 0};
        int page = 1;

        fk.calls[PVX_OP_GET_REPORT_DATA] = 0;
        assert_int_equal(pvx_get_report_data_each(pc, NULL, &rep, &page, count_page, &c, &oc),
                         ST_RETRY);
        assert_int_equal(page, 3);
        assert_int_equal(c.rows, 1000);
        assert_non_null(strstr(oc.err.msg, "refused page 3"));
        c.fail_at = 0;
        assert_int_equal(pvx_get_report_data_each(pc, NULL, &rep, &page, count_page, &c, &oc),
                         ST_OK);
        assert_int_equal(page, 5);
        assert_int_equal(c.rows, 2345);
        assert_int_equal(fk.calls[PVX_OP_GET_REPORT_DATA], 6); /* page 3 twice */
    }

    assert_int_equal(pvx_get_data_all(pc, NULL, "Item types", NULL, 1000, 1500, &t, &oc),
                     ST_FAIL);
    assert_int_equal(t.n_rows, 0);
    assert_non_null(strstr(oc.err.msg, "more than 1500 rows"));

    fk.total_items = 0;
    fk.calls[PVX_OP_GET_DATA] = 0;
    assert_int_equal(pvx_get_data_all(pc, NULL, "Item types", NULL, 1000, 0, &t, &oc), ST_OK);
    assert_int_equal(fk.calls[PVX_OP_GET_DATA], 1);
    assert_int_equal(t.n_rows, 1);                 /* just the header */
    csv_table_cleanup(&t);
    pvx_client_destroy(pc);
}

static void test_save_row_statuses(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    struct pvx_outcome oc;
    struct pvx_response r;

    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders",
                                   "SalesOrderNumber,Customer\r\nSO-1,\"A, B\"\r\nSO-2,C\r\n",
                                   &r, &oc), ST_OK);
    assert_int_equal(r.n_statuses, 2);
    assert_string_equal(r.statuses[1].reference, "SO-2");
    pvx_response_cleanup(&r);
    assert_int_equal(pvx_save_data(pc, NULL, "Sales orders",
                                   "SalesOrderNumber\r\nSO-1\r\nBAD-2\r\nBAD-3\r\n", &r, &oc),
                     ST_FAIL);
    assert_false(oc.unknown);
    assert_int_equal(r.n_statuses, 3);
    assert_string_equal(r.statuses[1].status, "Error");
    assert_non_null(strstr(oc.err.msg, "rejected 2 of 3 rows; first BAD-2: Item code missing"));
    pvx_response_cleanup(&r);
    pvx_client_destroy(pc);
}

static void test_template_cache_and_csv(void **state)
{
    struct pvx_client *pc = client_new(5000, 1);
    const struct pvx_field_value v1[] = {
        { "email", "a@example.com" }, { "SalesOrderNumber", "SO-1" }, { "Colour", "red" },
    };
    const struct pvx_field_value v2[] = {
        { "SalesOrderNumber", "SO-2" }, { "Customer", "O'Brien, \"Jr\"" }, { "Gift", "y" },
        { "Colour", "blue" },
    };
    const struct pvx_record recs[] = { { v1, ARRAY_LEN(v1) }, { v2, ARRAY_LEN(v2) } };
    struct pvx_fields hdr;
    struct pvx_fields unknown = { 0, NULL };
    struct pvx_outcome oc;
    struct buf csv;

    assert_int_equal(pvx_get_save_template(pc, NULL, "Sales orders", false, &hdr, &oc), ST_OK);
    pvx_fields_cleanup(&hdr);
    assert_int_equal(pvx_get_save_template(pc, NULL, "Sales orders", false, &hdr, &oc), ST_OK);
    assert_int_equal(fk.calls[PVX_OP_GET_SAVE_TEMPLATE], 1);
    pvx_fields_cleanup(&hdr);
    assert_int_equal(pvx_get_save_template(pc, NULL, "Sales orders", true, &hdr, &oc), ST_OK);
    assert_int_equal(fk.calls[PVX_OP_GET_SAVE_TEMPLATE], 2);
    assert_int_equal(hdr.n, 4);

    buf_init(&csv, 0);
    assert_int_equal(pvx_build_csv(&hdr, recs, 2, &csv, &unknown, &oc.err), ST_OK);
    assert_string_equal(buf_cstr(&csv), "SalesOrderNumber,Customer,Email,Site\r\n"
                                        "SO-1,,a@example.com,\r\n"
                                        "SO-2,\"O'Brien, \"\"Jr\"\"\",,\r\n");
    assert_int_equal(unknown.n, 2);
    assert_string_equal(unknown.names[0], "Colour");
    assert_string_equal(unknown.names[1], "Gift");
    pvx_fields_cleanup(&unknown);
    buf_cleanup(&csv);
    pvx_fields_cleanup(&hdr);
    pvx_client_destroy(pc);
}

static void test_build_csv_rejects(void **state)
{
    char son[] = "SalesOrderNumber";
    char email[] = "Email";
    char *names[] = { son, email };
    const struct pvx_fields hdr = { 2, names };
    const struct pvx_fields none = { 0, NULL };
    const struct pvx_field_value twice[] = { { "email", "a" }, { "Email ", "b" } };
    const struct pvx_field_value one[] = { { "SalesOrderNumber", "SO-1234567890" } };
    const struct pvx_record r_twice = { twice, 2 };
    const struct pvx_record r_one = { one, 1 };
    struct pvx_fields unknown = { 0, NULL };
    struct errbuf err = { "" };
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(pvx_build_csv(&hdr, &r_twice, 1, &b, &unknown, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "twice"));
    assert_int_equal(pvx_build_csv(&none, &r_one, 1, &b, &unknown, &err), ST_FAIL);
    assert_int_equal(b.len, 0);
    buf_cleanup(&b);
    buf_init(&b, 30);
    assert_int_equal(pvx_build_csv(&hdr, &r_one, 1, &b, &unknown, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "exceeds 30 bytes"));
    assert_int_equal(b.len, 0);
    buf_cleanup(&b);
}
#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, fake_start, fake_stop)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_rejected),
        FAKE_TEST(test_get_data_authenticates_first),
        FAKE_TEST(test_session_renewed_once),
        FAKE_TEST(test_session_still_invalid_is_retry),
        FAKE_TEST(test_counters_are_published_as_metrics),
        FAKE_TEST(test_http_errors_classified),
        FAKE_TEST(test_soap_faults_classified),
        FAKE_TEST(test_timeout_is_retry_and_write_unknown),
        cmocka_unit_test(test_connection_refused_is_known),
        FAKE_TEST(test_paging),
        FAKE_TEST(test_save_row_statuses),
        FAKE_TEST(test_template_cache_and_csv),
        cmocka_unit_test(test_build_csv_rejects),
    };
    int rc;

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}

