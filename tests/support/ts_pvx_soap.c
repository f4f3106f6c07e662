/*
 * ts_pvx_soap.c - the sandbox driver of the Peoplevox sandbox's unit tests
 * (see ts_pvx_soap.h).
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
long http_call(struct fx *f, const char *method, const char *path, const char *ctype,
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
long soap(struct fx *f, const char *op, const char *session, const char *body_xml,
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
char *xml_get(const struct buf *xml, const char *name)
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

long xml_long(const struct buf *xml, const char *name)
{
    char *s = xml_get(xml, name);
    long v;

    assert_non_null(s);
    v = strtol(s, NULL, 10);
    free(s);
    return v;
}

void assert_detail(const struct buf *xml, const char *want)
{
    char *d = xml_get(xml, "Detail");

    assert_non_null(d);
    assert_string_equal(d, want);
    free(d);
}

void csv_of_detail(const struct buf *xml, struct csv_table *t)
{
    char *d = xml_get(xml, "Detail");

    assert_non_null(d);
    assert_int_equal(csv_parse(d, strlen(d), 0, t, NULL), ST_OK);
    free(d);
}

void authenticate(struct fx *f)
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

long save(struct fx *f, const char *tmpl, const char *csv, struct buf *r)
{
    char *b = xasprintf("<SaveData xmlns=\"" PVX_NS "\"><saveRequest><TemplateName>%s"
                        "</TemplateName><CsvData>%s</CsvData><Action>0</Action></saveRequest>"
                        "</SaveData>", tmpl, csv);
    long code = soap(f, "SaveData", f->session, b, r);

    free(b);
    return code;
}

long get_data(struct fx *f, const char *tmpl, const char *search, int page, int per,
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

long get_report_cols(struct fx *f, const char *tmpl, const char *search,
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

long get_report(struct fx *f, const char *tmpl, const char *search, const char *order,
                struct buf *r)
{
    return get_report_cols(f, tmpl, search, order, "", r);
}

long control(struct fx *f, const char *method, const char *path, const char *json,
             struct buf *r)
{
    return http_call(f, method, path, json ? "application/json" : NULL, NULL, json, 5000, r);
}

/* Starts a sandbox with opts o on a fake clock of its own (f->clock). */
int start_with(void **state, const struct sandbox_pvx_opts *o)
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

int sandbox_setup(void **state)
{
    struct sandbox_pvx_opts o = {.port = 0};

    return start_with(state, &o);
}

int sandbox_teardown(void **state)
{
    struct fx *f = *state;

    sandbox_pvx_stop(f->sb);
    free(f->clock);
    free(f);
    return 0;
}

const char orders_csv[] =
    "SalesOrderNumber,Customer,Site,Email,CreatedDate\n"
    "SO-1,Ada Lovelace,PrimarySite,ada@example.com,2026-11-26 09:30:00\n"
    "SO-2,\"Hopper, Grace\",LONDON,grace@example.com,2026-11-27 10:00:00\n";

const char lines_csv[] =
    "SalesOrderNumber,ItemCode,QuantityOrdered,Line,SalePrice\n"
    "SO-1,TEE-BLK-S,2,1,9.99\n"
    "SO-1,MUG-LOGO,1,2,5.00\n";

void save_ok(struct fx *f, const char *tmpl, const char *csv)
{
    struct buf r;

    buf_init(&r, 0);
    assert_int_equal(save(f, tmpl, csv, &r), 200);
    assert_int_equal(xml_long(&r, "ResponseId"), 0);
    buf_cleanup(&r);
}

int soap_group_setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    return 0;
}

int soap_group_teardown(void **state)
{
    curl_global_cleanup();
    return 0;
}
