/*
 * fuzz_soap.c - pvx_soap_parse_response and pvx_parse_auth_detail on
 * whatever a Peoplevox endpoint (or a proxy in front of it) sends back,
 * and the SaveData builder on arbitrary CSV text.
 *
 * Invariants: for every operation, the response is safe to clean up and
 * holds no NULL string; a fault is always ST_FAIL; the statuses are
 * consistent (a NULL array exactly when there are none, as many as the
 * Statuses element has element children, counted here independently with
 * libxml2, and pvx_response_has_row_errors agrees with them); a GetData
 * Detail goes through csv_parse and an Authenticate Detail through
 * pvx_parse_auth_detail as the workers do. The builder accepts exactly the
 * text XML can carry and that text comes back byte for byte.
 */
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "csv.h"
#include "fuzz.h"
#include "pvx_soap.h"

#define X(s) ((const xmlChar *)(s))

static int is_element(const xmlNode *n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, X(name));
}

static xmlNode *first_element(xmlNode *n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

static xmlNode *child_named(xmlNode *parent, const char *name)
{
    xmlNode *c;

    for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

/* Element children of Envelope/Body/<Op>Response/<Op>Result/Statuses, by hand. */
static size_t count_statuses(const uint8_t *data, size_t size, enum pvx_op op)
{
    xmlDoc *doc = xmlReadMemory((const char *)data, (int)size, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNode *n = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    char name[64];
    size_t count = 0;

    n = first_element(child_named(n, "Body") != NULL ? child_named(n, "Body")->children
                                                     : NULL);
    snprintf(name, sizeof(name), "%sResult", pvx_op_name(op));
    n = child_named(child_named(n, name), "Statuses");
    for (n = n != NULL ? first_element(n->children) : NULL; n != NULL;
         n = first_element(n->next))
        count++;
    xmlFreeDoc(doc);
    return count;
}

static void check_auth_detail(const char *detail)
{
    char *client = NULL, *session = NULL;
    struct errbuf err;

    errbuf_clear(&err);
    if (pvx_parse_auth_detail(detail, &client, &session, &err) == ST_OK) {
        FUZZ_CHECK(client != NULL && session != NULL);
        FUZZ_CHECK(client[0] != '\0' && session[0] != '\0');
        FUZZ_CHECK(strchr(client, ',') == NULL && strchr(session, ',') == NULL);
        FUZZ_CHECK(client[0] != ' ' && client[strlen(client) - 1] != ' ');
        FUZZ_CHECK(session[0] != ' ' && session[strlen(session) - 1] != ' ');
    } else {
        FUZZ_CHECK(client == NULL && session == NULL && err.msg[0] != '\0');
    }
    free(client);
    free(session);
}

static void check_detail_csv(const char *detail)
{
    struct csv_table t;
    struct errbuf err;

    if (csv_parse(detail, strlen(detail), 100000, &t, &err) == ST_OK)
        csv_table_cleanup(&t);
}

static void check_response(const uint8_t *data, size_t size, enum pvx_op op)
{
    struct pvx_response r;
    struct errbuf err;
    enum st rc;
    size_t i;
    int row_errors = 0;

    errbuf_clear(&err);
    rc = pvx_soap_parse_response((const char *)data, size, op, &r, &err);
    FUZZ_CHECK(rc == ST_OK || rc == ST_FAIL);
    FUZZ_CHECK(r.detail != NULL && r.fault_code != NULL && r.fault_string != NULL);
    FUZZ_CHECK((r.statuses == NULL) == (r.n_statuses == 0));
    if (r.is_fault)
        FUZZ_CHECK(rc == ST_FAIL);
    if (rc != ST_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        FUZZ_CHECK(r.n_statuses == 0);
    }
    for (i = 0; i < r.n_statuses; i++) {
        FUZZ_CHECK(r.statuses[i].reference != NULL && r.statuses[i].status != NULL &&
                   r.statuses[i].message != NULL);
        row_errors |= strcasecmp(r.statuses[i].status, "Success") != 0;
    }
    FUZZ_CHECK(pvx_response_has_row_errors(&r) == row_errors);
    if (rc == ST_OK) {
        FUZZ_CHECK(r.n_statuses == count_statuses(data, size, op));
        (void)pvx_response_is_session_error(&r);
        if (op == PVX_OP_AUTHENTICATE)
            check_auth_detail(r.detail);
        if (op == PVX_OP_GET_DATA || op == PVX_OP_GET_REPORT_DATA)
            check_detail_csv(r.detail);
    }
    pvx_response_cleanup(&r);
}

/* The first element named name, depth first. */
static xmlNode *find_element(xmlNode *n, const char *name)
{
    xmlNode *hit;

    for (; n != NULL; n = n->next) {
        if (is_element(n, name))
            return n;
        hit = find_element(n->children, name);
        if (hit != NULL)
            return hit;
    }
    return NULL;
}

static void check_save_data_round_trip(const char *csv)
{
    struct pvx_credentials cred = { "client", "session" };
    struct errbuf err;
    struct buf b;
    xmlDoc *doc;
    xmlChar *text;

    buf_init(&b, 1024 * 1024);
    if (pvx_soap_build_save_data(&b, &cred, "Sales orders", csv, 0, &err) != ST_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        buf_cleanup(&b);
        return;
    }
    doc = xmlReadMemory(b.data, (int)b.len, NULL, NULL, XML_PARSE_NONET);
    FUZZ_CHECK(doc != NULL);
    text = xmlNodeGetContent(find_element(xmlDocGetRootElement(doc), "CsvData"));
    FUZZ_CHECK(text != NULL && strcmp((const char *)text, csv) == 0);
    xmlFree(text);
    xmlFreeDoc(doc);
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    int op;

    for (op = 0; op < PVX_OP_COUNT; op++)
        check_response(data, size, (enum pvx_op)op);
    s = fuzz_cstr(data, size);
    check_auth_detail(s);
    check_save_data_round_trip(s);
    free(s);
    return 0;
}
