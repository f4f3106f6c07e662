/*
 * test_pvx_soap.c - Peoplevox envelopes are checked by re-parsing them with
 * libxml2 (namespaces, header, element order, escaping), responses by
 * feeding canned envelopes shaped like the real service's answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pvx_soap.h"

#define X(s) ((const xmlChar *)(s))

static const struct pvx_credentials cred = { "acme", "sess-123" };

static xmlDoc *reparse(const struct buf *b)
{
    xmlDoc *doc = xmlReadMemory(b->data, (int)b->len, NULL, NULL, XML_PARSE_NONET);

    assert_non_null(doc);
    return doc;
}

static xmlNode *first_el(xmlNode *n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

/* Child element names of n, comma-joined, into out; asserts each is in ns. */
static void child_names(xmlNode *n, const char *ns, char *out, size_t cap)
{
    xmlNode *c;

    out[0] = '\0';
    for (c = first_el(n->children); c != NULL; c = first_el(c->next)) {
        assert_non_null(c->ns);
        assert_string_equal((const char *)c->ns->href, ns);
        if (out[0] != '\0')
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, (const char *)c->name, cap - strlen(out) - 1);
    }
}

static xmlNode *child(xmlNode *n, const char *name)
{
    xmlNode *c;

    for (c = first_el(n->children); c != NULL; c = first_el(c->next)) {
        if (xmlStrEqual(c->name, X(name)))
            return c;
    }
    fail_msg("no child %s", name);
    return NULL;
}

static char *text_of(xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *s = xstrdup((const char *)t);

    xmlFree(t);
    return s;
}

/* Returns the operation element, checking Envelope, Header presence and Body. */
static xmlNode *check_envelope(xmlDoc *doc, int want_header, const char *op)
{
    xmlNode *env = xmlDocGetRootElement(doc);
    xmlNode *body;
    xmlNode *opn;
    char names[256];

    assert_string_equal((const char *)env->name, "Envelope");
    assert_string_equal((const char *)env->ns->href, PVX_SOAP_ENV_NS);
    child_names(env, PVX_SOAP_ENV_NS, names, sizeof(names));
    assert_string_equal(names, want_header ? "Header,Body" : "Body");
    if (want_header) {
        xmlNode *usc = first_el(child(env, "Header")->children);
        char *v;

        assert_string_equal((const char *)usc->name, "UserSessionCredentials");
        assert_string_equal((const char *)usc->ns->href, PVX_NS);
        child_names(usc, PVX_NS, names, sizeof(names));
        assert_string_equal(names, "UserId,ClientId,SessionId");
        v = text_of(child(usc, "UserId"));
        assert_string_equal(v, "0");
        free(v);
        v = text_of(child(usc, "SessionId"));
        assert_string_equal(v, "sess-123");
        free(v);
    }
    body = child(env, "Body");
    opn = first_el(body->children);
    assert_string_equal((const char *)opn->name, op);
    assert_string_equal((const char *)opn->ns->href, PVX_NS);
    return opn;
}

static void test_build_authenticate(void **state)
{
    struct buf b;
    struct errbuf err = { "" };
    xmlDoc *doc;
    xmlNode *op;
    char names[256];
    char *pw;

    buf_init(&b, 0);
    assert_int_equal(pvx_soap_build_authenticate(&b, "acme", "api", "cGFzcw==", &err), ST_OK);
    doc = reparse(&b);
    op = check_envelope(doc, 0, "Authenticate");
    child_names(op, PVX_NS, names, sizeof(names));
    assert_string_equal(names, "clientId,username,password");
    pw = text_of(child(op, "password"));
    assert_string_equal(pw, "cGFzcw==");
    free(pw);
    xmlFreeDoc(doc);
    buf_cleanup(&b);
    assert_string_equal(pvx_soap_action(PVX_OP_AUTHENTICATE),
                        "\"http://www.peoplevox.net/Authenticate\"");
    assert_string_equal(pvx_soap_action(PVX_OP_SAVE_DATA), "\"http://www.peoplevox.net/SaveData\"");
    assert_string_equal(pvx_op_name(PVX_OP_GET_REPORT_DATA), "GetReportData");
}

static void test_build_get_data(void **state)
{
    struct pvx_get_request req = { "Item types", 2, 1000, "ItemCode.Equals(\"A&B<1>\")" };
    struct buf b;
    struct errbuf err = { "" };
    xmlDoc *doc;
    xmlNode *gr;
    char names[256];
    char *v;

    buf_init(&b, 0);
    assert_int_equal(pvx_soap_build_get_data(&b, &cred, &req, &err), ST_OK);
    assert_non_null(strstr(b.data, "A&amp;B&lt;1&gt;"));
    doc = reparse(&b);
    gr = first_el(check_envelope(doc, 1, "GetData")->children);
    assert_string_equal((const char *)gr->name, "getRequest");
    child_names(gr, PVX_NS, names, sizeof(names));
    assert_string_equal(names, "TemplateName,PageNo,ItemsPerPage,SearchClause");
    v = text_of(child(gr, "SearchClause"));
    assert_string_equal(v, req.search_clause);
    free(v);
    v = text_of(child(gr, "PageNo"));
    assert_string_equal(v, "2");
    free(v);
    xmlFreeDoc(doc);
    buf_cleanup(&b);
}

static void test_build_get_report_data_order(void **state)
{
    struct pvx_report_request req = { "Despatch summary", 1, 500, "[Despatch date] >= x", NULL,
                                      "[Despatch date]", "Salesorder number,Carrier" };
    struct buf b;
    struct errbuf err = { "" };
    xmlDoc *doc;
    xmlNode *gr;
    char names[256];

    buf_init(&b, 0);
    assert_int_equal(pvx_soap_build_get_report_data(&b, &cred, &req, &err), ST_OK);
    doc = reparse(&b);
    gr = first_el(check_envelope(doc, 1, "GetReportData")->children);
    assert_string_equal((const char *)gr->name, "getReportRequest");
    child_names(gr, PVX_NS, names, sizeof(names));
    assert_string_equal(names, "TemplateName,PageNo,ItemsPerPage,SearchClause,FilterClause,"
                               "OrderBy,Columns");
    xmlFreeDoc(doc);
    buf_cleanup(&b);
}

static void test_build_save_data_escaping(void **state)
{
    const char *csv = "SalesOrderNumber,Customer\r\n"
                      "\"SO-1\",\"O'Brien & \"\"Sons\"\" <Ltd>,\r\nIE\"\r\n"
                      "SO-2,Caf\xc3\xa9 \xf0\x9f\x93\xa6\r\n";
    struct buf b;
    struct errbuf err = { "" };
    xmlDoc *doc;
    xmlNode *sr;
    char names[256];
    char *v;

    buf_init(&b, 0);
    assert_int_equal(pvx_soap_build_save_data(&b, &cred, "Sales orders", csv, 0, &err), ST_OK);
    assert_non_null(strstr(b.data, "&#13;"));
    assert_null(strchr(b.data, '\r'));
    doc = reparse(&b);
    sr = first_el(check_envelope(doc, 1, "SaveData")->children);
    assert_string_equal((const char *)sr->name, "saveRequest");
    child_names(sr, PVX_NS, names, sizeof(names));
    assert_string_equal(names, "TemplateName,CsvData,Action");
    v = text_of(child(sr, "CsvData"));
    assert_string_equal(v, csv);           /* CR LF survive the XML round trip */
    free(v);
    v = text_of(child(sr, "Action"));
    assert_string_equal(v, "0");
    free(v);
    xmlFreeDoc(doc);
    buf_cleanup(&b);
}

static void test_build_get_save_template(void **state)
{
    struct buf b;
    struct errbuf err = { "" };
    xmlDoc *doc;
    xmlNode *op;
    char names[64];

    buf_init(&b, 0);
    assert_int_equal(pvx_soap_build_get_save_template(&b, &cred, "Sales orders", &err), ST_OK);
    doc = reparse(&b);
    op = check_envelope(doc, 1, "GetSaveTemplate");
    child_names(op, PVX_NS, names, sizeof(names));
    assert_string_equal(names, "templateName");
    xmlFreeDoc(doc);
    buf_cleanup(&b);
}

static void test_build_rejects_bad_text_and_cap(void **state)
{
    static const char *const bad[] = { "bell\x07", "unit\x1f", "cut\xc3", "over\xc0\xaf",
                                       "surr\xed\xa0\x80" };
    struct pvx_credentials no_session = { "acme", NULL };
    struct buf b;
    struct errbuf err = { "" };
    size_t i;

    buf_init(&b, 0);
    buf_append_str(&b, "keep");
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(pvx_soap_build_save_data(&b, &cred, "Sales orders", bad[i], 0, &err),
                         ST_FAIL);
        assert_string_equal(buf_cstr(&b), "keep");
    }
    assert_int_equal(pvx_soap_build_get_save_template(&b, &no_session, "x", &err), ST_FAIL);
    buf_cleanup(&b);
    buf_init(&b, 64);
    assert_int_equal(pvx_soap_build_get_save_template(&b, &cred, "Sales orders", &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "exceeds"));
    assert_int_equal(b.len, 0);
    buf_cleanup(&b);
}

/* ---- responses ---- */

#define ENV_OPEN "<?xml version=\"1.0\" encoding=\"utf-8\"?>" \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soap:Body>"
#define ENV_CLOSE "</soap:Body></soap:Envelope>"

static enum st parse(const char *xml, enum pvx_op op, struct pvx_response *r, struct errbuf *err)
{
    return pvx_soap_parse_response(xml, strlen(xml), op, r, err);
}

static void test_parse_save_statuses(void **state)
{
    static const char *const zero[] = {
        ENV_OPEN "<SaveDataResponse xmlns=\"http://www.peoplevox.net/\"><SaveDataResult>"
        "<ResponseId>0</ResponseId><TotalCount>0</TotalCount><Detail /><Statuses />"
        "</SaveDataResult></SaveDataResponse>" ENV_CLOSE,
        ENV_OPEN "<SaveDataResponse xmlns=\"http://www.peoplevox.net/\"><SaveDataResult>"
        "<ResponseId>0</ResponseId></SaveDataResult></SaveDataResponse>" ENV_CLOSE,
    };
    const char *one = ENV_OPEN
        "<SaveDataResponse xmlns=\"http://www.peoplevox.net/\"><SaveDataResult>"
        "<ResponseId>0</ResponseId><TotalCount>1</TotalCount><Detail>1</Detail><Statuses>\n  "
        "<IntegrationStatusResponse><Reference>SO-1</Reference><Status>Success</Status>"
        "</IntegrationStatusResponse>\n</Statuses></SaveDataResult></SaveDataResponse>" ENV_CLOSE;
    struct pvx_response r;
    struct errbuf err = { "" };
    size_t i;

    for (i = 0; i < ARRAY_LEN(zero); i++) {
        assert_int_equal(parse(zero[i], PVX_OP_SAVE_DATA, &r, &err), ST_OK);
        assert_int_equal(r.response_id, 0);
        assert_int_equal(r.n_statuses, 0);
        assert_string_equal(r.detail, "");
        assert_false(pvx_response_has_row_errors(&r));
        pvx_response_cleanup(&r);
    }
    assert_int_equal(parse(one, PVX_OP_SAVE_DATA, &r, &err), ST_OK);
    assert_int_equal(r.n_statuses, 1);
    assert_int_equal(r.total_count, 1);
    assert_string_equal(r.statuses[0].reference, "SO-1");
    assert_string_equal(r.statuses[0].status, "Success");
    assert_string_equal(r.statuses[0].message, "");
    pvx_response_cleanup(&r);
}

static void test_parse_save_many_with_errors(void **state)
{
    const char *xml = ENV_OPEN
        "<SaveDataResponse xmlns=\"http://www.peoplevox.net/\"><SaveDataResult>"
        "<ResponseId>-1</ResponseId><TotalCount>3</TotalCount><Detail>errors</Detail><Statuses>"
        "<IntegrationStatusResponse><Reference>SO-1</Reference><Status>Success</Status>"
        "</IntegrationStatusResponse>"
        "<IntegrationStatusResponse><Reference>SO-2</Reference><Status>Error</Status>"
        "<Message>Item code X not found</Message></IntegrationStatusResponse>"
        "<IntegrationStatusResponse><Reference>SO-3</Reference><Status>Error</Status>"
        "<Detail>bad site</Detail><Other>more</Other></IntegrationStatusResponse>"
        "</Statuses></SaveDataResult></SaveDataResponse>" ENV_CLOSE;
    struct pvx_response r;
    struct errbuf err = { "" };

    assert_int_equal(parse(xml, PVX_OP_SAVE_DATA, &r, &err), ST_OK);
    assert_int_equal(r.response_id, -1);
    assert_int_equal(r.n_statuses, 3);
    assert_string_equal(r.statuses[1].reference, "SO-2");
    assert_string_equal(r.statuses[1].status, "Error");
    assert_string_equal(r.statuses[1].message, "Item code X not found");
    assert_string_equal(r.statuses[2].message, "bad site; more");
    assert_true(pvx_response_has_row_errors(&r));
    assert_false(pvx_response_is_session_error(&r));
    pvx_response_cleanup(&r);
}

static void test_parse_fault(void **state)
{
    const char *xml = ENV_OPEN "<soap:Fault><faultcode>soap:Client</faultcode>"
        "<faultstring>Server was unable to read request.</faultstring></soap:Fault>" ENV_CLOSE;
    struct pvx_response r;
    struct errbuf err = { "" };

    assert_int_equal(parse(xml, PVX_OP_GET_DATA, &r, &err), ST_FAIL);
    assert_true(r.is_fault);
    assert_string_equal(r.fault_code, "soap:Client");
    assert_string_equal(r.fault_string, "Server was unable to read request.");
    assert_non_null(strstr(err.msg, "unable to read request"));
    pvx_response_cleanup(&r);
}

static void test_parse_session_error(void **state)
{
    const char *xml = ENV_OPEN
        "<GetDataResponse xmlns=\"http://www.peoplevox.net/\"><GetDataResult>"
        "<ResponseId>-1</ResponseId><TotalCount>0</TotalCount>"
        "<Detail>System : Security - Invalid SESSION</Detail></GetDataResult></GetDataResponse>"
        ENV_CLOSE;
    struct pvx_response r;
    struct errbuf err = { "" };

    assert_int_equal(parse(xml, PVX_OP_GET_DATA, &r, &err), ST_OK);
    assert_true(pvx_response_is_session_error(&r));
    r.response_id = 0;                  /* ResponseId 0 is never a session error */
    assert_false(pvx_response_is_session_error(&r));
    pvx_response_cleanup(&r);
    assert_false(pvx_response_is_session_error(NULL));
}

static void test_parse_get_data_csv(void **state)
{
    const char *xml = ENV_OPEN
        "<GetDataResponse xmlns=\"http://www.peoplevox.net/\"><GetDataResult>"
        "<ResponseId>0</ResponseId><TotalCount>2345</TotalCount>"
        "<Detail>ItemCode,Name&#13;\nA-1,\"Mug, &quot;big&quot;\"&#13;\nB&amp;2,Tee&#13;\n</Detail>"
        "</GetDataResult></GetDataResponse>" ENV_CLOSE;
    struct pvx_response r;
    struct errbuf err = { "" };

    assert_int_equal(parse(xml, PVX_OP_GET_DATA, &r, &err), ST_OK);
    assert_int_equal(r.total_count, 2345);
    assert_string_equal(r.detail, "ItemCode,Name\r\nA-1,\"Mug, \"big\"\"\r\nB&2,Tee\r\n");
    pvx_response_cleanup(&r);
}

static void test_parse_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "<html><body>502 Bad Gateway</body></html>",
        "<Envelope><Body><GetDataResponse/></Body></Envelope>",
        ENV_OPEN "<SaveDataResponse><SaveDataResult><ResponseId>0</ResponseId></SaveDataResult>"
        "</SaveDataResponse>" ENV_CLOSE,
        ENV_OPEN "<GetDataResponse><GetDataResult></GetDataResult></GetDataResponse>" ENV_CLOSE,
        ENV_OPEN "<GetDataResponse><GetDataResult><ResponseId>x</ResponseId></GetDataResult>"
        "</GetDataResponse>" ENV_CLOSE,
        ENV_OPEN "<GetDataResponse></GetDataResponse>" ENV_CLOSE,
        ENV_OPEN "<GetDataResponse><GetDataResult><ResponseId>0</ResponseId>",
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        struct pvx_response r;
        struct errbuf err = { "" };

        assert_int_equal(parse(bad[i], PVX_OP_GET_DATA, &r, &err), ST_FAIL);
        assert_false(r.is_fault);
        assert_true(err.msg[0] != '\0');
        pvx_response_cleanup(&r);
    }
    pvx_response_cleanup(NULL);
}

static void test_auth_detail(void **state)
{
    char *cid;
    char *sid;
    struct errbuf err = { "" };

    assert_int_equal(pvx_parse_auth_detail("acme, 1b2c-77 ", &cid, &sid, &err), ST_OK);
    assert_string_equal(cid, "acme");
    assert_string_equal(sid, "1b2c-77");
    free(cid);
    free(sid);
    assert_int_equal(pvx_parse_auth_detail("acme,s1,extra", &cid, &sid, &err), ST_OK);
    assert_string_equal(sid, "s1");
    free(cid);
    free(sid);
    assert_int_equal(pvx_parse_auth_detail("nocomma", &cid, &sid, &err), ST_FAIL);
    assert_null(cid);
    assert_int_equal(pvx_parse_auth_detail("acme,", &cid, &sid, &err), ST_FAIL);
    assert_null(sid);
    assert_int_equal(pvx_parse_auth_detail(NULL, &cid, &sid, &err), ST_FAIL);
}

/* ---- search clauses ---- */

static void test_clause_escaping(void **state)
{
    struct buf b;
    struct errbuf err = { "" };

    buf_init(&b, 0);
    assert_int_equal(pvx_clause_equals(&b, "SalesOrderNumber", "SO-1", &err), ST_OK);
    assert_string_equal(buf_cstr(&b), "SalesOrderNumber.Equals(\"SO-1\")");
    buf_reset(&b);
    assert_int_equal(pvx_clause_equals(&b, "Name", "a\"b\\c", &err), ST_OK);
    assert_string_equal(buf_cstr(&b), "Name.Equals(\"a\\\"b\\\\c\")");
    buf_reset(&b);
    assert_int_equal(pvx_clause_column_equals(&b, "Site reference", "Main", &err), ST_OK);
    assert_string_equal(buf_cstr(&b), "[Site reference].Equals(\"Main\")");
    buf_reset(&b);
    assert_int_equal(pvx_clause_column_date(&b, "Despatch date", ">=", 2026, 11, 26, 9, 30, 0,
                                            &err), ST_OK);
    assert_string_equal(buf_cstr(&b), "[Despatch date] >= DateTime(2026,11,26,9,30,0)");
    buf_reset(&b);
    assert_int_equal(pvx_clause_string(&b, "caf\xc3\xa9", &err), ST_OK);
    assert_int_equal(buf_append_str(&b, " AND "), 0);
    assert_int_equal(pvx_clause_field(&b, "ItemCode", &err), ST_OK);
    assert_string_equal(buf_cstr(&b), "\"caf\xc3\xa9\" AND ItemCode");
    buf_cleanup(&b);
}

static void test_clause_rejects(void **state)
{
    struct buf b;
    struct errbuf err = { "" };

    buf_init(&b, 0);
    buf_append_str(&b, "X");
    assert_int_equal(pvx_clause_equals(&b, "SalesOrderNumber", "a\nb", &err), ST_FAIL);
    assert_int_equal(pvx_clause_equals(&b, "SalesOrderNumber", "tab\there", &err), ST_FAIL);
    assert_int_equal(pvx_clause_equals(&b, "Sales Order", "x", &err), ST_FAIL);
    assert_int_equal(pvx_clause_equals(&b, "A) OR (1", "x", &err), ST_FAIL);
    assert_int_equal(pvx_clause_equals(&b, "", "x", &err), ST_FAIL);
    assert_int_equal(pvx_clause_equals(&b, "F", NULL, &err), ST_FAIL);
    assert_int_equal(pvx_clause_column_equals(&b, "Site]ref", "x", &err), ST_FAIL);
    assert_int_equal(pvx_clause_column(&b, "", &err), ST_FAIL);
    assert_int_equal(pvx_clause_datetime(&b, 2026, 2, 30, 0, 0, 0, &err), ST_FAIL);
    assert_int_equal(pvx_clause_datetime(&b, 2026, 13, 1, 0, 0, 0, &err), ST_FAIL);
    assert_int_equal(pvx_clause_datetime(&b, 2026, 1, 1, 24, 0, 0, &err), ST_FAIL);
    assert_int_equal(pvx_clause_column_date(&b, "D", "; DROP", 2026, 1, 1, 0, 0, 0, &err),
                     ST_FAIL);
    assert_string_equal(buf_cstr(&b), "X");
    buf_cleanup(&b);
    buf_init(&b, 10);
    assert_int_equal(pvx_clause_equals(&b, "SalesOrderNumber", "x", &err), ST_FAIL);
    assert_int_equal(b.len, 0);
    buf_cleanup(&b);
}

/*
 * SOAP 1.1 forbids a DTD; an internal subset is how an entity bomb gets in
 * (a 130 KB answer whose Detail referenced one entity 20,000 times took
 * the service to 1.97 GB once the content was read). Refused at once.
 */
static void test_documents_with_a_dtd_are_refused(void **state)
{
    static const char head[] =
        "<?xml version=\"1.0\"?><!DOCTYPE soap:Envelope [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">]>"
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
        "<GetDataResponse xmlns=\"http://www.peoplevox.net/\"><GetDataResult><ResponseId>0"
        "</ResponseId><TotalCount>1</TotalCount><Detail>";
    static const char tail[] = "</Detail></GetDataResult></GetDataResponse></soap:Body>"
                               "</soap:Envelope>";
    static const char external[] =
        "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"http://127.0.0.1:9/evil.dtd\">"
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/>"
        "</soap:Envelope>";
    struct pvx_response r;
    struct errbuf err = {""};
    struct buf bomb;

    buf_init(&bomb, 0);
    buf_append_str(&bomb, head);
    for (int i = 0; i < 20000; i++)
        buf_append_str(&bomb, "&a;");
    buf_append_str(&bomb, tail);
    assert_int_equal(pvx_soap_parse_response(bomb.data, bomb.len, PVX_OP_GET_DATA, &r, &err),
                     ST_FAIL);
    assert_non_null(strstr(err.msg, "DTD"));
    assert_string_equal(r.detail, "");
    pvx_response_cleanup(&r);
    assert_int_equal(pvx_soap_parse_response(external, strlen(external), PVX_OP_GET_DATA, &r,
                                             &err),
                     ST_FAIL);
    assert_non_null(strstr(err.msg, "DTD"));
    pvx_response_cleanup(&r);
    buf_cleanup(&bomb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_authenticate),
        cmocka_unit_test(test_build_get_data),
        cmocka_unit_test(test_build_get_report_data_order),
        cmocka_unit_test(test_build_save_data_escaping),
        cmocka_unit_test(test_build_get_save_template),
        cmocka_unit_test(test_build_rejects_bad_text_and_cap),
        cmocka_unit_test(test_parse_save_statuses),
        cmocka_unit_test(test_parse_save_many_with_errors),
        cmocka_unit_test(test_parse_fault),
        cmocka_unit_test(test_parse_session_error),
        cmocka_unit_test(test_parse_get_data_csv),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_documents_with_a_dtd_are_refused),
        cmocka_unit_test(test_auth_detail),
        cmocka_unit_test(test_clause_escaping),
        cmocka_unit_test(test_clause_rejects),
    };
    int rc;

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
