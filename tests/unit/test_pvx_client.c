/*
 * test_pvx_client.c - the Peoplevox client against a tiny in-process fake
 * (the service's HTTP adapter on port 0) that answers canned SOAP: session renewal,
 * HTTP and SOAP failures, timeouts and unknown write outcomes, paging,
 * per-row errors, the template cache and the concurrency cap; throttling
 * and its cool-down, the refusal classifier; and, against the real sandbox,
 * that a write is never re-sent by libcurl on a reused connection.
 *
 * No sleeps: the clients' cool-downs run on a fake clock (ts_clock) the
 * tests advance, and the fake holds calls at a gate the test opens, so
 * "in flight" and "timed out" are states, not durations. The one real
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

#define X(s) ((const xmlChar *)(s))

/* ---- the fake Peoplevox ---- */

/* How the fake misbehaves for non-Authenticate requests. */
struct fake_script {
    int fail_count;            /* next N requests answer fail_status with HTML */
    int fail_status;
    const char *fault_code;    /* non-NULL: answer this SOAP fault */
    const char *fault_string;
    int fault_http;            /* HTTP status of the fault; 0 = 500 */
    const char *refuse_detail; /* non-NULL: answer ResponseId -1 with this Detail */
    int hold;                  /* hold each request until fake_release() or stop */
    int always_invalid;        /* no session is ever valid */
};

struct fake {
    struct http_server *hs;
    int port;
    pthread_mutex_t lock;
    int session_no;            /* valid session is "S<session_no>" */
    int auth_calls;
    int calls[PVX_OP_COUNT];
    int in_flight;
    int max_in_flight;
    char password[64];
    struct fake_script script; /* set with FAKE_SET while the server runs */
    pthread_cond_t gate;       /* held requests wait here */
    bool stopping;
    long total_items;          /* rows behind GetData / GetReportData */
};

#define FAKE_SET(field, v)                                                      \
    do {                                                                        \
        pthread_mutex_lock(&fk.lock);                                           \
        fk.script.field = (v);                                                  \
        pthread_mutex_unlock(&fk.lock);                                         \
    } while (0)

static struct fake fk;
static struct ts_clock clk; /* the clients' clock: cool-downs run on it */

/* Lets held requests (and those to come) through. */
static void fake_release(void)
{
    pthread_mutex_lock(&fk.lock);
    fk.script.hold = 0;
    pthread_cond_broadcast(&fk.gate);
    pthread_mutex_unlock(&fk.lock);
}

/* Holds a request while the script says so and the fake runs. */
static void fake_wait_gate(void)
{
    pthread_mutex_lock(&fk.lock);
    while (fk.script.hold && !fk.stopping)
        pthread_cond_wait(&fk.gate, &fk.lock);
    pthread_mutex_unlock(&fk.lock);
}

/* Escapes text for an XML element, CR as &#13; like a real server. */
static void xml_escape(struct buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': buf_append_str(b, "&amp;"); break;
        case '<': buf_append_str(b, "&lt;"); break;
        case '>': buf_append_str(b, "&gt;"); break;
        case '\r': buf_append_str(b, "&#13;"); break;
        default: buf_append(b, s, 1); break;
        }
    }
}

static void result_open(struct buf *b, const char *op, int id, long total)
{
    buf_appendf(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap="
                   "\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><%sResponse "
                   "xmlns=\"http://www.peoplevox.net/\"><%sResult><ResponseId>%d</ResponseId>"
                   "<TotalCount>%ld</TotalCount>", op, op, id, total);
}

static void result_close(struct buf *b, const char *op)
{
    buf_appendf(b, "</%sResult></%sResponse></soap:Body></soap:Envelope>", op, op);
}

static char *simple_result(const char *op, int id, long total, const char *detail)
{
    struct buf b;

    buf_init(&b, 0);
    result_open(&b, op, id, total);
    buf_append_str(&b, "<Detail>");
    xml_escape(&b, detail);
    buf_append_str(&b, "</Detail>");
    result_close(&b, op);
    return buf_steal(&b);
}

/* Text of the first element named name anywhere under n, or NULL (owned). */
static char *find_text(xmlNode *n, const char *name)
{
    char *s;

    for (; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, X(name))) {
            xmlChar *t = xmlNodeGetContent(n);

            s = xstrdup((const char *)t);
            xmlFree(t);
            return s;
        }
        if ((s = find_text(n->children, name)) != NULL)
            return s;
    }
    return NULL;
}

static int find_int(xmlNode *n, const char *name)
{
    char *s = find_text(n, name);
    int v = s != NULL ? atoi(s) : 0;

    free(s);
    return v;
}

static char *answer_rows(xmlNode *root, const char *op, const char *header)
{
    int page = find_int(root, "PageNo");
    int per = find_int(root, "ItemsPerPage");
    long from = (long)(page - 1) * per;
    long i;
    struct buf csv;
    char *out;

    buf_init(&csv, 0);
    buf_appendf(&csv, "%s\r\n", header);
    for (i = from; i < fk.total_items && i < from + per; i++)
        buf_appendf(&csv, "SKU-%ld,\"Mug, \"\"no. %ld\"\"\"\r\n", i, i);
    out = simple_result(op, 0, fk.total_items, buf_cstr(&csv));
    buf_cleanup(&csv);
    return out;
}

static char *answer_save(xmlNode *root)
{
    char *csv = find_text(root, "CsvData");
    struct csv_table t;
    struct errbuf err;
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    if (csv_parse(csv, strlen(csv), 0, &t, &err) != ST_OK)  /* no cmocka asserts off-thread */
        memset(&t, 0, sizeof(t));
    result_open(&b, "SaveData", 0, (long)t.n_rows - 1);
    buf_append_str(&b, "<Detail /><Statuses>");
    for (i = 1; i < t.n_rows; i++) {
        const char *ref = csv_table_get(&t, i, 0);
        int bad = strncmp(ref, "BAD", 3) == 0;

        buf_appendf(&b, "<IntegrationStatusResponse><Reference>%s</Reference><Status>%s"
                        "</Status>%s</IntegrationStatusResponse>", ref,
                    bad ? "Error" : "Success", bad ? "<Message>Item code missing</Message>" : "");
    }
    buf_append_str(&b, "</Statuses>");
    result_close(&b, "SaveData");
    csv_table_cleanup(&t);
    free(csv);
    return buf_steal(&b);
}

static char *answer_op(xmlNode *root, const char *op)
{
    if (strcmp(op, "GetData") == 0)
        return answer_rows(root, op, "ItemCode,Name");
    if (strcmp(op, "GetReportData") == 0)
        return answer_rows(root, op, "Item code,Name");
    if (strcmp(op, "SaveData") == 0)
        return answer_save(root);
    return simple_result(op, 0, 1, "SalesOrderNumber,Customer,Email,Site\r\n");
}

static enum pvx_op op_of(const char *name)
{
    int i;

    for (i = 0; i < PVX_OP_COUNT; i++) {
        if (strcmp(pvx_op_name((enum pvx_op)i), name) == 0)
            return (enum pvx_op)i;
    }
    fail_msg("unknown op %s", name);
    return PVX_OP_COUNT;
}

static char *answer_authenticate(xmlNode *root)
{
    char *pw = find_text(root, "password");
    char detail[64];

    pthread_mutex_lock(&fk.lock);
    fk.auth_calls++;
    fk.session_no++;
    snprintf(fk.password, sizeof(fk.password), "%s", pw);
    snprintf(detail, sizeof(detail), "acme,S%d", fk.session_no);
    pthread_mutex_unlock(&fk.lock);
    free(pw);
    return simple_result("Authenticate", 0, 0, detail);
}

/* Answers one complete request; returns the HTTP status, *out the body. */
static unsigned fake_answer(const char *req, size_t len, char **out)
{
    xmlDoc *doc = xmlReadMemory(req, (int)len, NULL, NULL, 0);
    xmlNode *root = xmlDocGetRootElement(doc);
    char *sid = find_text(root, "SessionId");
    xmlNode *body_el = root->children;
    const char *op;
    struct fake_script sc;
    char want[32];
    unsigned status = 200;

    while (!xmlStrEqual(body_el->name, X("Body")))
        body_el = body_el->next;
    op = (const char *)body_el->children->name;
    if (strcmp(op, "Authenticate") == 0) {
        *out = answer_authenticate(root);
        goto out;
    }
    pthread_mutex_lock(&fk.lock);
    fk.calls[op_of(op)]++;
    snprintf(want, sizeof(want), "S%d", fk.session_no);
    sc = fk.script;
    if (fk.script.fail_count > 0)
        fk.script.fail_count--;
    pthread_mutex_unlock(&fk.lock);
    if (sc.hold)
        fake_wait_gate();
    if (sc.fail_count > 0) {
        status = (unsigned)sc.fail_status;
        *out = xstrdup("<html><body>upstream trouble</body></html>");
    } else if (sc.fault_code != NULL) {
        status = sc.fault_http > 0 ? (unsigned)sc.fault_http : 500;
        *out = xasprintf("<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"%s\"><soap:Body>"
                         "<soap:Fault><faultcode>%s</faultcode><faultstring>%s</faultstring>"
                         "</soap:Fault></soap:Body></soap:Envelope>", PVX_SOAP_ENV_NS,
                         sc.fault_code, sc.fault_string);
    } else if (sc.refuse_detail != NULL) {
        *out = simple_result(op, -1, 0, sc.refuse_detail);
    } else if (sc.always_invalid || sid == NULL || strcmp(sid, want) != 0) {
        *out = simple_result(op, -1, 0, "System : Security - Invalid Session");
    } else {
        *out = answer_op(root, op);
    }
out:
    free(sid);
    xmlFreeDoc(doc);
    return status;
}

/* The adapter's handler: one complete request, answered as the script says. */
static void fake_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    char *body = NULL;

    pthread_mutex_lock(&fk.lock);
    if (++fk.in_flight > fk.max_in_flight)
        fk.max_in_flight = fk.in_flight;
    pthread_mutex_unlock(&fk.lock);
    resp->status = (int)fake_answer(req->body, req->body_len, &body);
    pthread_mutex_lock(&fk.lock);
    fk.in_flight--;
    pthread_mutex_unlock(&fk.lock);
    resp->content_type = "text/xml; charset=utf-8";
    buf_append_str(&resp->body, body);
    free(body);
}

static int fake_start(void **state)
{
    const struct http_server_opts o = {
        .host = "127.0.0.1", .port = 0, .max_body_bytes = 8u * 1024 * 1024,
        .handler = fake_handle, .thread_per_connection = true, .quiet = true,
    };
    struct errbuf err = { "" };

    memset(&fk, 0, sizeof(fk));
    pthread_mutex_init(&fk.lock, NULL);
    pthread_cond_init(&fk.gate, NULL);
    ts_clock_set(&clk, 1000000);
    fk.total_items = 3;
    fk.hs = http_server_start(&o, &err);
    if (fk.hs == NULL)
        return -1;
    fk.port = http_server_port(fk.hs);
    return 0;
}

static int fake_stop(void **state)
{
    pthread_mutex_lock(&fk.lock);
    fk.stopping = true;                /* held requests answer, so the server can stop */
    pthread_cond_broadcast(&fk.gate);
    pthread_mutex_unlock(&fk.lock);
    http_server_stop(fk.hs);
    pthread_cond_destroy(&fk.gate);
    pthread_mutex_destroy(&fk.lock);
    return 0;
}

/* A client of the fake with the given cool-downs after a throttled call. */
static struct pvx_client *client_cooling(long timeout_ms, int max_concurrency, long base_ms,
                                         long max_ms)
{
    char url[96];
    struct pvx_config cfg;
    struct errbuf err = { "" };
    struct pvx_client *pc;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/acme/resources/integrationservicev4.asmx",
             fk.port);
    memset(&cfg, 0, sizeof(cfg));
    cfg.url = url;
    cfg.client_id = "acme";
    cfg.username = "api";
    cfg.password = "secret";
    cfg.timeout_ms = timeout_ms;
    cfg.max_concurrency = max_concurrency;
    cfg.throttle_base_ms = base_ms;
    cfg.throttle_max_ms = max_ms;
    cfg.now_ms = ts_clock_now;
    cfg.now_ctx = &clk;
    pc = pvx_client_create(&cfg, &err);
    assert_non_null(pc);
    return pc;
}

/* Throttled cases in a row: 1 ms cool-downs, passed by advancing clk. */
static struct pvx_client *client_new(long timeout_ms, int max_concurrency)
{
    return client_cooling(timeout_ms, max_concurrency, 1, 1);
}

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

static enum st save_one(struct pvx_client *pc, struct pvx_outcome *oc)
{
    struct pvx_response r;
    enum st rc = pvx_save_data(pc, NULL, "Sales orders", "SalesOrderNumber\r\nSO-1\r\n", &r, oc);

    pvx_response_cleanup(&r);
    return rc;
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
        cmocka_unit_test(test_config_rejected),
        FAKE_TEST(test_get_data_authenticates_first),
        FAKE_TEST(test_session_renewed_once),
        FAKE_TEST(test_session_still_invalid_is_retry),
        FAKE_TEST(test_counters_are_published_as_metrics),
        FAKE_TEST(test_http_errors_classified),
        FAKE_TEST(test_soap_faults_classified),
        FAKE_TEST(test_too_busy_fault_is_throttled_not_unknown),
        FAKE_TEST(test_throttle_cooldown_fails_fast_grows_and_resets),
        FAKE_TEST(test_shared_budget_token_per_request),
        cmocka_unit_test(test_refusal_classifier),
        FAKE_TEST(test_whole_call_refusal_classified),
        cmocka_unit_test(test_write_never_resent_on_reused_connection),
        FAKE_TEST(test_timeout_is_retry_and_write_unknown),
        cmocka_unit_test(test_connection_refused_is_known),
        FAKE_TEST(test_paging),
        FAKE_TEST(test_save_row_statuses),
        FAKE_TEST(test_template_cache_and_csv),
        cmocka_unit_test(test_build_csv_rejects),
        FAKE_TEST(test_concurrency_cap_and_shared_session),
    };
    int rc;

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
