/*
 * test_sandbox_pvx.c - the fake Peoplevox, driven like a client would:
 * raw SOAP 1.1 strings over libcurl against a sandbox bound to port 0.
 *
 * Each test starts its own sandbox (fresh state, own port, own fake clock)
 * and stops it, so tests never share sessions, orders or faults. Idle
 * sessions and the rate-limit window run on the fake clock (ts_clock), so
 * they are checked to the millisecond without sleeping; a hung call is
 * observed on its own thread and ended by stopping the sandbox. Responses are read with
 * libxml2 XPath on local names, and CSV details with csv_parse, so the
 * tests check what a client would really see, not the sandbox's internals.
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

#define PVX_NS "http://www.peoplevox.net/"

struct fx {
    struct sandbox_pvx *sb;
    char base[128];    /* http://127.0.0.1:port */
    char session[64];
    long timeout_ms;   /* SOAP call timeout; 0 = 5000 */
    struct ts_clock *clock; /* the sandbox's clock: idle sessions, rate-limit window */
};

/* ---- plumbing ---- */

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
    if (buf_append(userdata, p, size * n) < 0)
        return 0;
    return size * n;
}

/*
 * One HTTP exchange. Returns the HTTP code, or -(CURLcode) on a transport
 * error (-52 = empty reply, -28 = timeout). resp receives the body.
 */
static long http_call(struct fx *f, const char *method, const char *path, const char *ctype,
                      const char *action, const char *body, long timeout_ms, struct buf *resp)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char line[256];
    long code = 0;
    CURLcode rc;

    buf_reset(resp);
    snprintf(line, sizeof(line), "%s%s", f->base, path);
    curl_easy_setopt(c, CURLOPT_URL, line);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (ctype != NULL) {
        snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        h = curl_slist_append(h, line);
    }
    if (action != NULL) {
        snprintf(line, sizeof(line), "SOAPAction: %s", action);
        h = curl_slist_append(h, line);
    }
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    else
        code = -(long)rc;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
}

/* POSTs a SOAP call of op with body_xml inside the Body; session NULL = no header. */
static long soap(struct fx *f, const char *op, const char *session, const char *body_xml,
                 struct buf *resp)
{
    char action[128];
    char *env;
    long code;

    snprintf(action, sizeof(action), "\"" PVX_NS "%s\"", op);
    env = xasprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                    "%s%s%s<soap:Body>%s</soap:Body></soap:Envelope>",
                    session ? "<soap:Header><UserSessionCredentials xmlns=\"" PVX_NS "\">"
                              "<UserId>0</UserId><ClientId>SANDBOX</ClientId><SessionId>" : "",
                    session ? session : "",
                    session ? "</SessionId></UserSessionCredentials></soap:Header>" : "",
                    body_xml);
    code = http_call(f, "POST", "/SANDBOX/resources/integrationservicev4.asmx",
                     "text/xml; charset=utf-8", action, env,
                     f->timeout_ms > 0 ? f->timeout_ms : 5000, resp);
    free(env);
    return code;
}

/* Text of the first element with this local name, or NULL; caller frees. */
static char *xml_get(const struct buf *xml, const char *name)
{
    xmlDocPtr doc = xmlReadMemory(buf_cstr(xml), (int)xml->len, "r.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlXPathContextPtr ctx = NULL;
    xmlXPathObjectPtr res = NULL;
    char expr[128];
    char *out = NULL;

    if (doc == NULL)
        return NULL;
    snprintf(expr, sizeof(expr), "//*[local-name()='%s']", name);
    ctx = xmlXPathNewContext(doc);
    res = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    if (res != NULL && res->nodesetval != NULL && res->nodesetval->nodeNr > 0) {
        xmlChar *t = xmlNodeGetContent(res->nodesetval->nodeTab[0]);
        out = xstrdup((const char *)t);
        xmlFree(t);
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return out;
}

static long xml_long(const struct buf *xml, const char *name)
{
    char *s = xml_get(xml, name);
    long v;

    assert_non_null(s);
    v = strtol(s, NULL, 10);
    free(s);
    return v;
}

static void assert_detail(const struct buf *xml, const char *want)
{
    char *d = xml_get(xml, "Detail");

    assert_non_null(d);
    assert_string_equal(d, want);
    free(d);
}

static void csv_of_detail(const struct buf *xml, struct csv_table *t)
{
    char *d = xml_get(xml, "Detail");

    assert_non_null(d);
    assert_int_equal(csv_parse(d, strlen(d), 0, t, NULL), ST_OK);
    free(d);
}

static void authenticate(struct fx *f)
{
    struct buf r;
    char *d;

    buf_init(&r, 0);
    assert_int_equal(soap(f, "Authenticate", NULL,
                          "<Authenticate xmlns=\"" PVX_NS "\"><clientId>SANDBOX</clientId>"
                          "<username>shopvox</username><password>c2VjcmV0</password>"
                          "</Authenticate>", &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    d = xml_get(&r, "Detail");
    assert_non_null(d);
    assert_int_equal(strncmp(d, "SANDBOX,", 8), 0);
    snprintf(f->session, sizeof(f->session), "%s", d + 8);
    free(d);
    buf_cleanup(&r);
}

static long save(struct fx *f, const char *tmpl, const char *csv, struct buf *r)
{
    char *b = xasprintf("<SaveData xmlns=\"" PVX_NS "\"><saveRequest><TemplateName>%s"
                        "</TemplateName><CsvData>%s</CsvData><Action>0</Action></saveRequest>"
                        "</SaveData>", tmpl, csv);
    long code = soap(f, "SaveData", f->session, b, r);

    free(b);
    return code;
}

static long get_data(struct fx *f, const char *tmpl, const char *search, int page, int per,
                     struct buf *r)
{
    char *b = xasprintf("<GetData xmlns=\"" PVX_NS "\"><getRequest><TemplateName>%s"
                        "</TemplateName><PageNo>%d</PageNo><ItemsPerPage>%d</ItemsPerPage>"
                        "<SearchClause>%s</SearchClause></getRequest></GetData>",
                        tmpl, page, per, search);
    long code = soap(f, "GetData", f->session, b, r);

    free(b);
    return code;
}

static long get_report_cols(struct fx *f, const char *tmpl, const char *search,
                            const char *order, const char *cols, struct buf *r)
{
    char *b = xasprintf("<GetReportData xmlns=\"" PVX_NS "\"><getReportRequest><TemplateName>%s"
                        "</TemplateName><PageNo>1</PageNo><ItemsPerPage>0</ItemsPerPage>"
                        "<SearchClause>%s</SearchClause><FilterClause></FilterClause>"
                        "<OrderBy>%s</OrderBy><Columns>%s</Columns></getReportRequest>"
                        "</GetReportData>", tmpl, search, order, cols);
    long code = soap(f, "GetReportData", f->session, b, r);

    free(b);
    return code;
}

static long get_report(struct fx *f, const char *tmpl, const char *search, const char *order,
                       struct buf *r)
{
    return get_report_cols(f, tmpl, search, order, "", r);
}

static long control(struct fx *f, const char *method, const char *path, const char *json,
                    struct buf *r)
{
    return http_call(f, method, path, json ? "application/json" : NULL, NULL, json, 5000, r);
}

/* Starts a sandbox with opts o on a fake clock of its own (f->clock). */
static int start_with(void **state, const struct sandbox_pvx_opts *o)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    struct sandbox_pvx_opts on_clock = *o;
    struct errbuf err = {{0}};

    f->clock = xcalloc(1, sizeof(*f->clock));
    ts_clock_set(f->clock, 1000000);
    on_clock.now_ms = ts_clock_now;
    on_clock.now_ctx = f->clock;
    f->sb = sandbox_pvx_start(&on_clock, &err);
    if (f->sb == NULL) {
        fprintf(stderr, "sandbox start: %s\n", err.msg);
        free(f->clock);
        free(f);
        return -1;
    }
    snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%d", sandbox_pvx_port(f->sb));
    *state = f;
    return 0;
}

static int setup(void **state)
{
    struct sandbox_pvx_opts o = {.port = 0};

    return start_with(state, &o);
}

static int teardown(void **state)
{
    struct fx *f = *state;

    sandbox_pvx_stop(f->sb);
    free(f->clock);
    free(f);
    return 0;
}

static const char orders_csv[] =
    "SalesOrderNumber,Customer,Site,Email,CreatedDate\n"
    "SO-1,Ada Lovelace,PrimarySite,ada@example.com,2026-11-26 09:30:00\n"
    "SO-2,\"Hopper, Grace\",LONDON,grace@example.com,2026-11-27 10:00:00\n";

static const char lines_csv[] =
    "SalesOrderNumber,ItemCode,QuantityOrdered,Line,SalePrice\n"
    "SO-1,TEE-BLK-S,2,1,9.99\n"
    "SO-1,MUG-LOGO,1,2,5.00\n";

static void save_ok(struct fx *f, const char *tmpl, const char *csv)
{
    struct buf r;

    buf_init(&r, 0);
    assert_int_equal(save(f, tmpl, csv, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    buf_cleanup(&r);
}

/* ---- authentication and sessions ---- */

static void test_authenticate_ok(void **state)
{
    struct fx *f = *state;

    authenticate(f);
    assert_int_equal(strlen(f->session), 32);
}

static void test_authenticate_bad(void **state)
{
    static const char *const bodies[] = {
        "<password>d3Jvbmc=</password><clientId>SANDBOX</clientId><username>shopvox</username>",
        "<password>secret</password><clientId>SANDBOX</clientId><username>shopvox</username>",
        "<password>c2VjcmV0</password><clientId>OTHER</clientId><username>shopvox</username>",
        "<password>c2VjcmV0</password><clientId>SANDBOX</clientId><username>eve</username>",
    };
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
        char *b = xasprintf("<Authenticate xmlns=\"" PVX_NS "\">%s</Authenticate>", bodies[i]);
        char *d;

        assert_int_equal(soap(f, "Authenticate", NULL, b, &r), 200);
        assert_int_equal(xml_long(&r, "ResponseId"), -1);
        d = xml_get(&r, "Detail");
        assert_non_null(strstr(d, "Authentication failed"));
        free(d);
        free(b);
    }
    buf_cleanup(&r);
}

static void test_password_plain_option(void **state)
{
    struct sandbox_pvx_opts o = {.password = "pw", .password_encoding = SANDBOX_PW_PLAIN};
    void *st = NULL;
    struct fx *f;
    struct buf r;

    assert_int_equal(start_with(&st, &o), 0);
    f = st;
    buf_init(&r, 0);
    assert_int_equal(soap(f, "Authenticate", NULL,
                          "<Authenticate xmlns=\"" PVX_NS "\"><clientId>SANDBOX</clientId>"
                          "<username>shopvox</username><password>pw</password></Authenticate>",
                          &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    buf_cleanup(&r);
    teardown(&st);
}

static void test_invalid_session(void **state)
{
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    snprintf(f->session, sizeof(f->session), "not-a-session");
    assert_int_equal(get_data(f, "Item types", "", 1, 10, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    assert_detail(&r, "System : Security - Invalid Session");
    assert_int_equal(soap(f, "GetSaveTemplate", NULL,
                          "<GetSaveTemplate xmlns=\"" PVX_NS "\"><templateName>Sales orders"
                          "</templateName></GetSaveTemplate>", &r), 200);
    assert_detail(&r, "System : Security - Invalid Session");
    buf_cleanup(&r);
}

static void test_session_idle_expiry(void **state)
{
    struct sandbox_pvx_opts o = {.session_idle_timeout_ms = 300};
    void *st = NULL;
    struct fx *f;
    struct buf r;

    assert_int_equal(start_with(&st, &o), 0);
    f = st;
    buf_init(&r, 0);
    authenticate(f);
    for (int i = 0; i < 3; i++) {   /* each use slides the idle deadline */
        ts_clock_advance(f->clock, 150);
        assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
        assert_int_equal(xml_long(&r, "ResponseId"), 0);
    }
    ts_clock_advance(f->clock, 300); /* idle exactly the timeout: still valid */
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    ts_clock_advance(f->clock, 301);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    assert_detail(&r, "System : Security - Invalid Session");
    authenticate(f);
    assert_int_equal(get_data(f, "Sites", "", 1, 0, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    buf_cleanup(&r);
    teardown(&st);
}

/* ---- templates and SaveData ---- */

static void test_get_save_template(void **state)
{
    struct fx *f = *state;
    struct buf r;
    char *d;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(soap(f, "GetSaveTemplate", f->session,
                          "<GetSaveTemplate xmlns=\"" PVX_NS "\"><templateName>Sales order items"
                          "</templateName></GetSaveTemplate>", &r), 200);
    assert_detail(&r, "SalesOrderNumber,ItemCode,QuantityOrdered,RequestedDeliveryDate,Line,"
                      "Sequence,SalePrice");
    assert_int_equal(soap(f, "GetSaveTemplate", f->session,
                          "<GetSaveTemplate xmlns=\"" PVX_NS "\"><templateName>Sales orders"
                          "</templateName></GetSaveTemplate>", &r), 200);
    d = xml_get(&r, "Detail");
    assert_int_equal(strncmp(d, "Customer,SalesOrderNumber,", 26), 0); /* not the doc order */
    assert_non_null(strstr(d, ",CustomField1"));
    assert_null(strchr(d, '\n'));
    free(d);
    assert_int_equal(soap(f, "GetSaveTemplate", f->session,
                          "<GetSaveTemplate xmlns=\"" PVX_NS "\"><templateName>Nope"
                          "</templateName></GetSaveTemplate>", &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    buf_cleanup(&r);
}

static void test_save_upsert(void **state)
{
    struct fx *f = *state;
    struct buf r;
    char *d;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(save(f, "Sales orders", orders_csv, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    assert_int_equal(xml_long(&r, "TotalCount"), 2);
    d = xml_get(&r, "Reference");
    assert_string_equal(d, "SO-1");
    free(d);
    save_ok(f, "Sales orders", "SalesOrderNumber,Email\nSO-1,new@example.com\n");
    save_ok(f, "Sales order items", lines_csv);
    /* edit line 1, add line 3; line 2 stays (lines are never removed) */
    save_ok(f, "Sales order items", "SalesOrderNumber,ItemCode,QuantityOrdered,Line\n"
                                    "SO-1,TEE-BLK-S,5,1\nSO-1,CAP-NAVY,1,3\n");
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-1", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"Email\":\"new@example.com\""));
    assert_non_null(strstr(buf_cstr(&r), "\"Customer\":\"Ada Lovelace\""));
    assert_non_null(strstr(buf_cstr(&r), "\"ItemCode\":\"MUG-LOGO\""));
    assert_non_null(strstr(buf_cstr(&r), "\"QuantityOrdered\":\"5\""));
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_orders\":2"));
    assert_non_null(strstr(buf_cstr(&r), "\"sales_order_items\":3"));
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-2", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"Customer\":\"Hopper, Grace\""));
    buf_cleanup(&r);
}

struct row_case {
    const char *row;
    const char *status;
    const char *msg_part;
};

static void check_statuses(const struct buf *r, const struct row_case *cases, size_t n)
{
    xmlDocPtr doc = xmlReadMemory(buf_cstr(r), (int)r->len, "r.xml", NULL, XML_PARSE_NONET);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr res = xmlXPathEvalExpression(
        (const xmlChar *)"//*[local-name()='IntegrationStatusResponse']", ctx);

    assert_int_equal(res->nodesetval->nodeNr, (int)n);
    for (size_t i = 0; i < n; i++) {
        xmlNodePtr st = res->nodesetval->nodeTab[i]->children->next;     /* Status */
        xmlChar *s = xmlNodeGetContent(st);
        xmlChar *m = xmlNodeGetContent(st->next);                        /* Message */

        if (strcmp((const char *)s, cases[i].status) != 0 ||
            strstr((const char *)m, cases[i].msg_part) == NULL)
            fail_msg("row %zu (%s): got %s '%s'", i, cases[i].row, (const char *)s,
                     (const char *)m);
        xmlFree(s);
        xmlFree(m);
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
}

static void save_cases(struct fx *f, const char *tmpl, const char *header,
                       const struct row_case *cases, size_t n, long want_id)
{
    struct buf csv;
    struct buf r;

    buf_init(&csv, 0);
    buf_init(&r, 0);
    buf_appendf(&csv, "%s\n", header);
    for (size_t i = 0; i < n; i++)
        buf_appendf(&csv, "%s\n", cases[i].row);
    assert_int_equal(save(f, tmpl, buf_cstr(&csv), &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), want_id);
    check_statuses(&r, cases, n);
    buf_cleanup(&csv);
    buf_cleanup(&r);
}

static void test_save_order_row_errors(void **state)
{
    static const struct row_case cases[] = {
        {"SO-10,PrimarySite,", "Success", ""},
        {"SO-1234567890123456789012345678901,PrimarySite,", "Error", "longer than 30"},
        {"SO-11,PARIS,", "Error", "Site 'PARIS' does not exist"},
        {"SO-12,SystemSite,", "Error", "SystemSite"},
        {"SO-10,,Open", "Error", "only 'Cancelled'"},
        {"SO-99,,Cancelled", "Error", "does not exist"},
        {"SO-13,MANCHESTER,", "Success", ""},
    };
    static const struct row_case formats[] = {
        {"SO-20,26/11/2026 09:30,1.00,False", "Error", "CreatedDate"},
        {"SO-21,2026-11-26 09:30:00,abc,False", "Error", "TotalSale"},
        {"SO-22,2026-11-26 09:30:00,1.00,maybe", "Error", "OnHold"},
        {"SO-23,2026-11-26 09:30:00,12.50,True", "Success", ""},
    };
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    save_cases(f, "Sales orders", "SalesOrderNumber,Site,Status", cases, ARRAY_LEN(cases), -1);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_orders\":2"));
    /* one-row call: the single status is still a list of one */
    save_cases(f, "Sales orders", "SalesOrderNumber,Site,Status", &cases[2], 1, -1);
    save_cases(f, "Sales orders", "SalesOrderNumber,Site,Status", &cases[0], 1, 0);
    save_cases(f, "Sales orders", "SalesOrderNumber,CreatedDate,TotalSale,OnHold", formats,
               ARRAY_LEN(formats), -1);
    buf_cleanup(&r);
}

static void test_save_item_row_errors(void **state)
{
    static const struct row_case cases[] = {
        {"SO-1,TEE-BLK-S,1,1", "Success", ""},
        {"SO-1,NO-SUCH-SKU,1,2", "Error", "'NO-SUCH-SKU' does not exist"},
        {"SO-1,OLD-TEE~D~1,1,3", "Error", "deactivated"},
        {"SO-404,TEE-BLK-S,1,1", "Error", "Sales order 'SO-404' does not exist"},
        {"SO-1,TEE-BLK-M,0,4", "Error", "QuantityOrdered"},
        {"SO-1,TEE-BLK-M,3,", "Success", ""},
        {"SO-1,TEE-BLK-M,4,", "Success", ""}, /* no Line: keyed by ItemCode, an edit */
    };
    struct buf r;
    struct fx *f = *state;

    authenticate(f);
    save_ok(f, "Sales orders", orders_csv);
    save_cases(f, "Sales order items", "SalesOrderNumber,ItemCode,QuantityOrdered,Line", cases,
               ARRAY_LEN(cases), -1);
    buf_init(&r, 0);
    assert_int_equal(control(f, "GET", "/_sandbox/state", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"sales_order_items\":2"));
    buf_cleanup(&r);
}

static void test_save_refuses_unknown_columns(void **state)
{
    struct fx *f = *state;
    struct buf r;
    char *d;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(save(f, "Sales orders", "SalesOrderNumber,CustomerName\nSO-5,Bob\n", &r),
                     200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    d = xml_get(&r, "Detail");
    assert_non_null(strstr(d, "Unknown field 'CustomerName'"));
    free(d);
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-5", NULL, &r), 404);
    /* a missing Action is refused too: clients must always send it */
    assert_int_equal(soap(f, "SaveData", f->session,
                          "<SaveData xmlns=\"" PVX_NS "\"><saveRequest><TemplateName>Sales orders"
                          "</TemplateName><CsvData>SalesOrderNumber\nSO-6\n</CsvData>"
                          "</saveRequest></SaveData>", &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    buf_cleanup(&r);
}

static void test_cancel_rules(void **state)
{
    static const struct row_case cancel[] = {
        {"SO-1,Cancelled", "Error", "despatched and cannot be cancelled"},
        {"SO-2,Cancelled", "Success", ""},
        {"SO-2,Cancelled", "Success", ""},
    };
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    save_ok(f, "Sales orders", orders_csv);
    save_ok(f, "Sales order items", lines_csv);
    assert_int_equal(control(f, "POST", "/_sandbox/despatch",
                             "{\"SalesOrderNumber\":\"SO-1\",\"items\":[{\"ItemCode\":"
                             "\"TEE-BLK-S\",\"qty\":1}]}", &r), 200);
    save_cases(f, "Sales orders", "SalesOrderNumber,Status", cancel, ARRAY_LEN(cancel), -1);
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-2", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"Status\":\"Cancelled\""));
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-1", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"Status\":\"Partially despatched\""));
    buf_cleanup(&r);
}

/* ---- GetData, search clauses, paging, reports ---- */

struct search_case {
    const char *tmpl;
    const char *clause; /* XML-escaped, as it travels */
    long total;         /* -1: the call must fail */
};

static void test_get_data_search(void **state)
{
    static const struct search_case cases[] = {
        {"Item types", "", 20},
        {"Item types", "ItemCode.Equals(\"MUG-LOGO\")", 1},
        {"Item types", "ItemCode == \"MUG-LOGO\" OR ItemCode == \"CAP-NAVY\"", 2},
        {"Item types", "ItemCode.Contains(\"TEE\") AND Name.Contains(\"White\")", 3},
        {"Item types", "ItemCode.Contains(\"~D~\")", 1},
        {"Item types", "(ItemCode.StartsWith(\"TEE\") or ItemCode.StartsWith(\"HOODIE\")) "
                       "and not ItemCode.EndsWith(\"S\")", 6},
        {"Item types", "Name == \"Socks, 3 pack\"", 1},
        {"Item types", "Name == \"say \\\"hi\\\"\"", 0},
        {"Item types", "[Barcode] &gt;= \"5012345000018\"", 2},
        {"Sites", "Reference == \"LONDON\"", 1},
        {"Sales orders", "CreatedDate &gt;= DateTime(2026,11,27,0,0,0)", 1},
        {"Sales orders", "CreatedDate &lt;= DateTime(2026,11,27,0,0,0)", 1},
        {"Sales orders", "Customer.Contains(\",\")", 1},
        {"Sales order items", "QuantityOrdered == 2", 1},
        {"Sales order items", "QuantityOrdered &gt;= 1 AND SalesOrderNumber == \"SO-1\"", 2},
        {"Item types", "NoSuchField == \"x\"", -1},
        {"Item types", "ItemCode == ", -1},
        {"Item types", "ItemCode.Equals(\"x\"", -1},
        {"Sales orders", "CreatedDate &gt;= DateTime(2026,11)", -1},
        {"Nope", "", -1},
    };
    struct fx *f = *state;
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    save_ok(f, "Sales orders", orders_csv);
    save_ok(f, "Sales order items", lines_csv);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        long id;

        assert_int_equal(get_data(f, cases[i].tmpl, cases[i].clause, 1, 0, &r), 200);
        id = xml_long(&r, "ResponseId");
        if (cases[i].total < 0 ? id != -1 : id != 0 || xml_long(&r, "TotalCount") != cases[i].total)
            fail_msg("case %zu (%s): id %ld total %ld", i, cases[i].clause, id,
                     xml_long(&r, "TotalCount"));
    }
    buf_cleanup(&r);
}

static void test_get_data_paging(void **state)
{
    struct fx *f = *state;
    struct csv_table t = {0};
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(get_data(f, "Item types", "ItemCode.Contains(\"TEE\")", 2, 4, &r), 200);
    assert_int_equal(xml_long(&r, "TotalCount"), 7);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 1 + 3); /* header + the last 3 of 7 */
    assert_string_equal(csv_table_get(&t, 0, 0), "ItemCode");
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "ItemCode")), "TEE-WHT-M");
    assert_string_equal(csv_table_get(&t, 3, csv_table_col(&t, "ItemCode")), "OLD-TEE~D~1");
    csv_table_cleanup(&t);
    assert_int_equal(get_data(f, "Item types", "", 9, 4, &r), 200);
    assert_int_equal(xml_long(&r, "TotalCount"), 20);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 1);     /* past the end: the header only */
    csv_table_cleanup(&t);
    buf_cleanup(&r);
}

static void test_reports(void **state)
{
    struct fx *f = *state;
    struct csv_table t = {0};
    struct buf r;
    const char *date;

    buf_init(&r, 0);
    authenticate(f);
    save_ok(f, "Sales orders", orders_csv);
    save_ok(f, "Sales order items", lines_csv);
    assert_int_equal(control(f, "POST", "/_sandbox/despatch",
                             "{\"SalesOrderNumber\":\"SO-1\",\"Carrier\":\"DPD\",\"TrackingNumber\":"
                             "\"TRK1\",\"items\":[{\"ItemCode\":\"TEE-BLK-S\",\"qty\":1}]}", &r),
                     200);
    assert_int_equal(control(f, "POST", "/_sandbox/despatch", "{\"SalesOrderNumber\":\"SO-1\"}",
                             &r), 200); /* the rest: a second, partial despatch */
    assert_int_equal(get_report(f, "Despatch summary",
                                "[Salesorder number].Equals(\"SO-1\") AND [Despatch date] &gt;= "
                                "DateTime(2020,1,1,0,0,0)", "[Despatch number] DESC", &r), 200);
    assert_int_equal(xml_long(&r, "TotalCount"), 3);
    csv_of_detail(&r, &t);
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Despatch number")), "DSP000002");
    assert_string_equal(csv_table_get(&t, 3, csv_table_col(&t, "Tracking number")), "TRK1");
    assert_string_equal(csv_table_get(&t, 3, csv_table_col(&t, "No of items")), "1");
    date = csv_table_get(&t, 1, csv_table_col(&t, "Despatch date"));
    assert_int_equal(strlen(date), strlen("'03/07/2017 06:03'"));
    assert_true(date[0] == '\'' && date[3] == '/' && date[6] == '/');
    csv_table_cleanup(&t);
    assert_int_equal(control(f, "GET", "/_sandbox/orders/SO-1", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "\"Status\":\"Despatched\""));

    /* TEE-BLK-S at PrimarySite: 100 seeded, 2 despatched, nothing left allocated */
    assert_int_equal(get_report(f, "Item inventory summary",
                                "[Item code] == \"TEE-BLK-S\" AND [Site reference] == "
                                "\"PrimarySite\"", "", &r), 200);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "On hand")), "98");
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Available")), "98");
    csv_table_cleanup(&t);
    assert_int_equal(control(f, "POST", "/_sandbox/returns",
                             "{\"SalesOrderNumber\":\"SO-1\",\"ItemCode\":\"MUG-LOGO\","
                             "\"Quantity\":1,\"Reason\":\"Damaged\",\"Reusable\":false}", &r),
                     200);
    assert_int_equal(get_report(f, "Return summary", "[Sales order number] == \"SO-1\"", "", &r),
                     200);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Is Reusable")), "False");
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Return reason")), "Damaged");
    csv_table_cleanup(&t);
    buf_cleanup(&r);
}

static void test_allocation_in_inventory(void **state)
{
    struct fx *f = *state;
    struct csv_table t = {0};
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    save_ok(f, "Sales orders", orders_csv);
    save_ok(f, "Sales order items", lines_csv);
    assert_int_equal(get_report(f, "Item inventory summary",
                                "[Item code] == \"TEE-BLK-S\" AND [Site reference] == "
                                "\"PrimarySite\"", "", &r), 200);
    csv_of_detail(&r, &t);
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Allocated")), "2");
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Available")), "98");
    csv_table_cleanup(&t);
    /* Columns projects and orders the report's columns */
    assert_int_equal(get_report_cols(f, "Item inventory summary", "[Item code] == \"TEE-BLK-M\"",
                                     "[Site reference] desc", "[Site reference], Available", &r),
                     200);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 4);
    assert_int_equal(t.rows[0].n, 2);
    assert_string_equal(csv_table_get(&t, 0, 0), "Site reference");
    assert_string_equal(csv_table_get(&t, 1, 0), "PrimarySite");
    assert_string_equal(csv_table_get(&t, 1, 1), "97");
    assert_string_equal(csv_table_get(&t, 3, 0), "LONDON");
    assert_string_equal(csv_table_get(&t, 3, 1), "10");
    csv_table_cleanup(&t);
    assert_int_equal(get_report_cols(f, "Item inventory summary", "", "", "[Nope]", &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), -1);
    buf_cleanup(&r);
}

/*
 * /_sandbox/stock sets what is on the shelf (a new item joins the
 * catalogue), the report shows it per site behind an item-code search
 * clause ORed the way the inventory sync builds it, and a despatch takes
 * its units off the shelf. Bad entries change nothing.
 */
static void test_stock_control(void **state)
{
    struct fx *f = *state;
    struct csv_table t = {0};
    struct buf r;

    buf_init(&r, 0);
    authenticate(f);
    assert_int_equal(control(f, "POST", "/_sandbox/stock",
                             "{\"stock\":[{\"ItemCode\":\"STK-1\",\"site\":\"PrimarySite\","
                             "\"on_hand\":5},{\"ItemCode\":\"STK-1\",\"site\":\"LONDON\","
                             "\"on_hand\":3},{\"ItemCode\":\"STK-2\",\"site\":\"LONDON\","
                             "\"on_hand\":0}]}", &r), 200);
    assert_int_equal(control(f, "POST", "/_sandbox/stock",
                             "{\"stock\":[{\"ItemCode\":\"STK-2\",\"site\":\"LONDON\","
                             "\"on_hand\":9},{\"ItemCode\":\"STK-3\",\"site\":\"NOWHERE\","
                             "\"on_hand\":1}]}", &r), 400); /* all or nothing */
    assert_int_equal(control(f, "POST", "/_sandbox/stock",
                             "{\"stock\":[{\"ItemCode\":\"STK-2\",\"site\":\"LONDON\","
                             "\"on_hand\":-1}]}", &r), 400);
    assert_int_equal(control(f, "POST", "/_sandbox/stock", "{\"stock\":{}}", &r), 400);
    save_ok(f, "Sales orders", "SalesOrderNumber,Site\nSO-S,PrimarySite\n");
    save_ok(f, "Sales order items", "SalesOrderNumber,ItemCode,QuantityOrdered\nSO-S,STK-1,2\n");
    assert_int_equal(get_report(f, "Item inventory summary",
                                "[Item code] == \"STK-1\" OR [Item code] == \"STK-2\"",
                                "[Item code], [Site reference]", &r), 200);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 4);
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Site reference")), "LONDON");
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Available")), "3");
    assert_string_equal(csv_table_get(&t, 2, csv_table_col(&t, "Available")), "3"); /* 5 - 2 */
    assert_string_equal(csv_table_get(&t, 2, csv_table_col(&t, "Allocated")), "2");
    assert_string_equal(csv_table_get(&t, 3, csv_table_col(&t, "Item code")), "STK-2");
    assert_string_equal(csv_table_get(&t, 3, csv_table_col(&t, "Available")), "0");
    csv_table_cleanup(&t);
    assert_int_equal(control(f, "POST", "/_sandbox/despatch", "{\"SalesOrderNumber\":\"SO-S\"}",
                             &r), 200);
    assert_int_equal(control(f, "GET", "/_sandbox/stock", NULL, &r), 200);
    assert_non_null(strstr(buf_cstr(&r), "{\"ItemCode\":\"STK-1\",\"site\":\"PrimarySite\","
                                         "\"on_hand\":3}"));
    assert_int_equal(get_report(f, "Item inventory summary",
                                "[Item code] == \"STK-1\" AND [Site reference] == \"PrimarySite\"",
                                "", &r), 200);
    csv_of_detail(&r, &t);
    assert_string_equal(csv_table_get(&t, 1, csv_table_col(&t, "Available")), "3"); /* 3 - 0 */
    assert_int_equal(csv_table_col(&t, "Last changed"), -1);
    csv_table_cleanup(&t);
    /* the changes report: the same rows with a Last changed date, searchable */
    assert_int_equal(get_report(f, "Item inventory changes",
                                "[Item code] == \"STK-1\" AND [Last changed] >= "
                                "DateTime(2020,1,1,0,0,0)", "", &r), 200);
    csv_of_detail(&r, &t);
    assert_int_equal(t.n_rows, 3);
    assert_true(csv_table_col(&t, "Last changed") >= 0);
    assert_int_equal(csv_table_get(&t, 1, csv_table_col(&t, "Last changed"))[0], '\'');
    csv_table_cleanup(&t);
    assert_int_equal(get_report(f, "Item inventory changes",
                                "[Last changed] >= DateTime(2999,1,1,0,0,0)", "", &r), 200);
    csv_of_detail(&r, &t);
    assert_true(t.n_rows <= 1); /* nothing changed in the future */
    csv_table_cleanup(&t);
    buf_cleanup(&r);
}

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
    teardown(state);
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

static int group_setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    return 0;
}

static int group_teardown(void **state)
{
    curl_global_cleanup();
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_authenticate_ok),
        T(test_authenticate_bad),
        cmocka_unit_test(test_password_plain_option),
        T(test_invalid_session),
        cmocka_unit_test(test_session_idle_expiry),
        T(test_get_save_template),
        T(test_save_upsert),
        T(test_save_order_row_errors),
        T(test_save_item_row_errors),
        T(test_save_refuses_unknown_columns),
        T(test_cancel_rules),
        T(test_get_data_search),
        T(test_get_data_paging),
        T(test_reports),
        T(test_allocation_in_inventory),
        T(test_stock_control),
        T(test_fault_http_500_and_429),
        T(test_rate_limit_answers_503_too_busy),
        cmocka_unit_test(test_rate_limit_option_survives_reset),
        T(test_fault_refuse_save),
        T(test_fault_drop_after_apply),
        T(test_fault_timeout_and_stop),
        T(test_fault_slow_and_expire),
        T(test_control_endpoints),
        T(test_transport_errors),
        T(test_concurrent_clients),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
