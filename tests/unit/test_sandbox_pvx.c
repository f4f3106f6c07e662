/*
 * test_sandbox_pvx.c - the fake Peoplevox, driven like a client would
 * (tests/support/ts_pvx_soap: raw SOAP 1.1 over libcurl against a sandbox
 * on port 0): authentication and sessions (idle expiry on the fake clock,
 * to the millisecond), save templates and SaveData with its per-row
 * errors, GetData search clauses and paging, reports, allocation and
 * stock. Faults, the rate limit, control endpoints and concurrency are in
 * test_sandbox_pvx_faults.c.
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
    sandbox_teardown(&st);
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
    sandbox_teardown(&st);
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
    };

    return cmocka_run_group_tests(tests, soap_group_setup, soap_group_teardown);
}

