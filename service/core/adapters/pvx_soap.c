/*
 * pvx_soap.c - Peoplevox SOAP 1.1 envelopes and search clauses (pure).
 *
 * Requests are built as libxml2 trees, never by string pasting: the CSV we
 * send holds customer text with '<', '&', quotes and CR LF line ends, and
 * only a real serialiser gets all of them right (libxml2 writes CR as &#13;,
 * which an XML parser would otherwise normalise to LF and break the CSV).
 * The shape follows the WSDL of IntegrationServiceV4: the operation element
 * and the UserSessionCredentials header declare the Peoplevox namespace as
 * the default one, so every child is qualified, exactly like .NET clients.
 *
 * Text must be valid UTF-8 made of characters XML 1.0 can carry; anything
 * else is refused here, before it can become a malformed request.
 *
 * Responses are read by local name inside a checked SOAP envelope, lists by
 * iterating child elements (one saved row is still a list), and a row's
 * error text is whatever text the row carries besides Reference and Status,
 * because where Peoplevox puts it is not documented.
 *
 * Search-clause string literals escape '\' and '"' with a backslash (the
 * Dynamic-LINQ flavour assumed here); codes and order numbers we generate
 * never contain either, so the assumption only matters for free text.
 */
#include "pvx_soap.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define X(s) ((const xmlChar *)(s))

static const char *const op_names[] = {
    [PVX_OP_AUTHENTICATE] = "Authenticate",
    [PVX_OP_GET_DATA] = "GetData",
    [PVX_OP_GET_REPORT_DATA] = "GetReportData",
    [PVX_OP_SAVE_DATA] = "SaveData",
    [PVX_OP_GET_SAVE_TEMPLATE] = "GetSaveTemplate",
};

static const char *const op_actions[] = {
    [PVX_OP_AUTHENTICATE] = "\"" PVX_NS "Authenticate\"",
    [PVX_OP_GET_DATA] = "\"" PVX_NS "GetData\"",
    [PVX_OP_GET_REPORT_DATA] = "\"" PVX_NS "GetReportData\"",
    [PVX_OP_SAVE_DATA] = "\"" PVX_NS "SaveData\"",
    [PVX_OP_GET_SAVE_TEMPLATE] = "\"" PVX_NS "GetSaveTemplate\"",
};

const char *pvx_op_name(enum pvx_op op)
{
    return (size_t)op < ARRAY_LEN(op_names) ? op_names[op] : "Unknown";
}

const char *pvx_soap_action(enum pvx_op op)
{
    return (size_t)op < ARRAY_LEN(op_actions) ? op_actions[op] : "\"\"";
}

/* ---- text validation ---- */

/* Decodes one UTF-8 sequence at s; returns its length, 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, unsigned long *cp)
{
    size_t n;
    size_t i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        *cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        *cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 2 && *cp < 0x80) || (n == 3 && *cp < 0x800) || (n == 4 && *cp < 0x10000))
        return 0; /* overlong */
    return n;
}

static int xml_char_ok(unsigned long cp)
{
    if (cp == 0x9 || cp == 0xA || cp == 0xD)
        return 1;
    return (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

static enum st xml_text_check(const char *what, const char *s, struct errbuf *err)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long cp = 0;
    size_t n;

    while (*p != '\0') {
        n = utf8_decode(p, &cp);
        if (n == 0 || !xml_char_ok(cp)) {
            errbuf_set(err, "could not encode %s: invalid character at byte %zu", what,
                       (size_t)(p - (const unsigned char *)s));
            return ST_FAIL;
        }
        p += n;
    }
    return ST_OK;
}

/* ---- envelope building ---- */

struct soap_req {
    xmlDoc *doc;
    xmlNode *op;     /* the operation element in the body */
    xmlNs *pvx_ns;   /* default namespace declared on op */
};

static void soap_req_header(xmlNode *env, xmlNs *soap_ns, const struct pvx_credentials *cred)
{
    xmlNode *hdr = xmlNewChild(env, soap_ns, X("Header"), NULL);
    xmlNode *usc = xmlNewChild(hdr, NULL, X("UserSessionCredentials"), NULL);
    xmlNs *ns = xmlNewNs(usc, X(PVX_NS), NULL);

    xmlSetNs(usc, ns);
    xmlNodeAddContent(xmlNewChild(usc, ns, X("UserId"), NULL), X("0"));
    xmlNodeAddContent(xmlNewChild(usc, ns, X("ClientId"), NULL), X(cred->client_id));
    xmlNodeAddContent(xmlNewChild(usc, ns, X("SessionId"), NULL), X(cred->session_id));
}

/* Starts Envelope[/Header]/Body/{Op}; cred NULL means no header. */
static enum st soap_req_begin(struct soap_req *r, enum pvx_op op,
                              const struct pvx_credentials *cred, struct errbuf *err)
{
    xmlNode *env;
    xmlNs *soap_ns;
    xmlNode *body;

    memset(r, 0, sizeof(*r));
    if (cred != NULL && (cred->client_id == NULL || cred->session_id == NULL)) {
        errbuf_set(err, "could not build %s: no session", pvx_op_name(op));
        return ST_FAIL;
    }
    if (cred != NULL && (xml_text_check("client id", cred->client_id, err) != ST_OK ||
                         xml_text_check("session id", cred->session_id, err) != ST_OK))
        return ST_FAIL;
    r->doc = xmlNewDoc(X("1.0"));
    env = xmlNewNode(NULL, X("Envelope"));
    xmlDocSetRootElement(r->doc, env);
    soap_ns = xmlNewNs(env, X(PVX_SOAP_ENV_NS), X("soap"));
    xmlSetNs(env, soap_ns);
    xmlNewNs(env, X("http://www.w3.org/2001/XMLSchema-instance"), X("xsi"));
    xmlNewNs(env, X("http://www.w3.org/2001/XMLSchema"), X("xsd"));
    if (cred != NULL)
        soap_req_header(env, soap_ns, cred);
    body = xmlNewChild(env, soap_ns, X("Body"), NULL);
    r->op = xmlNewChild(body, NULL, X(pvx_op_name(op)), NULL);
    r->pvx_ns = xmlNewNs(r->op, X(PVX_NS), NULL);
    xmlSetNs(r->op, r->pvx_ns);
    return ST_OK;
}

/* Adds <name>value</name> under parent; NULL value gives an empty element. */
static enum st soap_add_text(struct soap_req *r, xmlNode *parent, const char *name,
                             const char *value, struct errbuf *err)
{
    xmlNode *n;

    if (value != NULL && xml_text_check(name, value, err) != ST_OK)
        return ST_FAIL;
    n = xmlNewChild(parent, r->pvx_ns, X(name), NULL);
    if (value != NULL && value[0] != '\0')
        xmlNodeAddContent(n, X(value));
    return ST_OK;
}

static void soap_add_int(struct soap_req *r, xmlNode *parent, const char *name, long v)
{
    char num[32];

    snprintf(num, sizeof(num), "%ld", v);
    xmlNodeAddContent(xmlNewChild(parent, r->pvx_ns, X(name), NULL), X(num));
}

/* Serialises the request into out (all or nothing) and frees the tree. */
static enum st soap_req_finish(struct soap_req *r, struct buf *out, enum st rc,
                               struct errbuf *err)
{
    xmlChar *mem = NULL;
    int size = 0;

    if (rc == ST_OK) {
        xmlDocDumpMemoryEnc(r->doc, &mem, &size, "UTF-8");
        if (mem == NULL || size < 0) {
            errbuf_set(err, "could not serialise %s request", (const char *)r->op->name);
            rc = ST_FAIL;
        } else if (buf_append(out, mem, (size_t)size) < 0) {
            errbuf_set(err, "%s request exceeds %zu bytes", (const char *)r->op->name, out->max);
            rc = ST_FAIL;
        }
    }
    xmlFree(mem);
    xmlFreeDoc(r->doc);
    r->doc = NULL;
    return rc;
}

enum st pvx_soap_build_authenticate(struct buf *out, const char *client_id, const char *username,
                                    const char *password, struct errbuf *err)
{
    struct soap_req r;
    enum st rc;

    rc = soap_req_begin(&r, PVX_OP_AUTHENTICATE, NULL, err);
    if (rc != ST_OK)
        return rc;
    rc = soap_add_text(&r, r.op, "clientId", client_id, err);
    if (rc == ST_OK)
        rc = soap_add_text(&r, r.op, "username", username, err);
    if (rc == ST_OK)
        rc = soap_add_text(&r, r.op, "password", password, err);
    return soap_req_finish(&r, out, rc, err);
}

enum st pvx_soap_build_get_data(struct buf *out, const struct pvx_credentials *cred,
                                const struct pvx_get_request *req, struct errbuf *err)
{
    struct soap_req r;
    xmlNode *gr;
    enum st rc;

    rc = soap_req_begin(&r, PVX_OP_GET_DATA, cred, err);
    if (rc != ST_OK)
        return rc;
    gr = xmlNewChild(r.op, r.pvx_ns, X("getRequest"), NULL);
    rc = soap_add_text(&r, gr, "TemplateName", req->template_name, err);
    if (rc == ST_OK) {
        soap_add_int(&r, gr, "PageNo", req->page_no);
        soap_add_int(&r, gr, "ItemsPerPage", req->items_per_page);
        rc = soap_add_text(&r, gr, "SearchClause", req->search_clause, err);
    }
    return soap_req_finish(&r, out, rc, err);
}

enum st pvx_soap_build_get_report_data(struct buf *out, const struct pvx_credentials *cred,
                                       const struct pvx_report_request *req,
                                       struct errbuf *err)
{
    struct soap_req r;
    xmlNode *gr;
    enum st rc;

    rc = soap_req_begin(&r, PVX_OP_GET_REPORT_DATA, cred, err);
    if (rc != ST_OK)
        return rc;
    gr = xmlNewChild(r.op, r.pvx_ns, X("getReportRequest"), NULL);
    rc = soap_add_text(&r, gr, "TemplateName", req->template_name, err);
    if (rc == ST_OK) {
        soap_add_int(&r, gr, "PageNo", req->page_no);
        soap_add_int(&r, gr, "ItemsPerPage", req->items_per_page);
        rc = soap_add_text(&r, gr, "SearchClause", req->search_clause, err);
    }
    if (rc == ST_OK)
        rc = soap_add_text(&r, gr, "FilterClause", req->filter_clause, err);
    if (rc == ST_OK)
        rc = soap_add_text(&r, gr, "OrderBy", req->order_by, err);
    if (rc == ST_OK)
        rc = soap_add_text(&r, gr, "Columns", req->columns, err);
    return soap_req_finish(&r, out, rc, err);
}

enum st pvx_soap_build_save_data(struct buf *out, const struct pvx_credentials *cred,
                                 const char *template_name, const char *csv_data, int action,
                                 struct errbuf *err)
{
    struct soap_req r;
    xmlNode *sr;
    enum st rc;

    rc = soap_req_begin(&r, PVX_OP_SAVE_DATA, cred, err);
    if (rc != ST_OK)
        return rc;
    sr = xmlNewChild(r.op, r.pvx_ns, X("saveRequest"), NULL);
    rc = soap_add_text(&r, sr, "TemplateName", template_name, err);
    if (rc == ST_OK)
        rc = soap_add_text(&r, sr, "CsvData", csv_data, err);
    if (rc == ST_OK)
        soap_add_int(&r, sr, "Action", action);
    return soap_req_finish(&r, out, rc, err);
}

enum st pvx_soap_build_get_save_template(struct buf *out, const struct pvx_credentials *cred,
                                         const char *template_name, struct errbuf *err)
{
    struct soap_req r;
    enum st rc;

    rc = soap_req_begin(&r, PVX_OP_GET_SAVE_TEMPLATE, cred, err);
    if (rc != ST_OK)
        return rc;
    rc = soap_add_text(&r, r.op, "templateName", template_name, err);
    return soap_req_finish(&r, out, rc, err);
}

/* ---- response parsing ---- */

static int node_is(const xmlNode *n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, X(name));
}

static xmlNode *node_next_element(xmlNode *n)
{
    while (n != NULL && n->type != XML_ELEMENT_NODE)
        n = n->next;
    return n;
}

/* First element child named name (local name), or NULL. */
static xmlNode *node_child(xmlNode *parent, const char *name)
{
    xmlNode *c;

    for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next) {
        if (node_is(c, name))
            return c;
    }
    return NULL;
}

/* Text content of n as an owned string; "" when n is NULL. */
static char *node_text(const xmlNode *n)
{
    xmlChar *t = n != NULL ? xmlNodeGetContent(n) : NULL;
    char *s = xstrdup(t != NULL ? (const char *)t : "");

    xmlFree(t);
    return s;
}

static void soap_parse_fault(xmlNode *fault, struct pvx_response *out, struct errbuf *err)
{
    out->is_fault = 1;
    free(out->fault_code);
    free(out->fault_string);
    out->fault_code = node_text(node_child(fault, "faultcode"));
    out->fault_string = node_text(node_child(fault, "faultstring"));
    errbuf_set(err, "soap fault %s: %s", out->fault_code, out->fault_string);
}

/* Appends text to *msg, "; "-separated. */
static void msg_append(char **msg, const char *text)
{
    char *joined;

    if (text[0] == '\0')
        return;
    joined = (*msg)[0] == '\0' ? xstrdup(text) : xasprintf("%s; %s", *msg, text);
    free(*msg);
    *msg = joined;
}

static void soap_parse_status(xmlNode *st, struct pvx_row_status *rs)
{
    xmlNode *c;
    char *text;

    rs->reference = xstrdup("");
    rs->status = xstrdup("");
    rs->message = xstrdup("");
    for (c = node_next_element(st->children); c != NULL; c = node_next_element(c->next)) {
        text = node_text(c);
        if (node_is(c, "Reference")) {
            free(rs->reference);
            rs->reference = text;
        } else if (node_is(c, "Status")) {
            free(rs->status);
            rs->status = text;
        } else {
            msg_append(&rs->message, text);
            free(text);
        }
    }
}

static void soap_parse_statuses(xmlNode *list, struct pvx_response *out)
{
    xmlNode *c;
    size_t n = 0;

    for (c = node_next_element(list->children); c != NULL; c = node_next_element(c->next))
        n++;
    if (n == 0)
        return;
    out->statuses = xcalloc(n, sizeof(*out->statuses));
    for (c = node_next_element(list->children); c != NULL; c = node_next_element(c->next))
        soap_parse_status(c, &out->statuses[out->n_statuses++]);
}

static enum st parse_long(const char *s, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    return (errno != 0 || end == s || *end != '\0') ? ST_FAIL : ST_OK;
}

static enum st soap_parse_result(xmlNode *result, struct pvx_response *out, struct errbuf *err)
{
    xmlNode *id = node_child(result, "ResponseId");
    xmlNode *list = node_child(result, "Statuses");
    char *text = NULL;
    long v = 0;
    enum st rc = ST_FAIL;

    if (id == NULL) {
        errbuf_set(err, "response has no ResponseId");
        goto out;
    }
    text = node_text(id);
    if (parse_long(text, &v) != ST_OK || v < INT_MIN || v > INT_MAX) {
        errbuf_set(err, "response has a non-numeric ResponseId \"%.40s\"", text);
        goto out;
    }
    out->response_id = (int)v;
    free(text);
    text = node_text(node_child(result, "TotalCount"));
    if (text[0] != '\0' && parse_long(text, &out->total_count) != ST_OK) {
        errbuf_set(err, "response has a non-numeric TotalCount \"%.40s\"", text);
        goto out;
    }
    free(out->detail);
    out->detail = node_text(node_child(result, "Detail"));
    if (list != NULL)
        soap_parse_statuses(list, out);
    rc = ST_OK;
out:
    free(text);
    return rc;
}

/* Finds soap:Envelope/soap:Body/<first element>, checking the SOAP namespace. */
static xmlNode *soap_body_first(xmlDoc *doc)
{
    xmlNode *env = xmlDocGetRootElement(doc);
    xmlNode *body;

    if (!node_is(env, "Envelope") || env->ns == NULL ||
        !xmlStrEqual(env->ns->href, X(PVX_SOAP_ENV_NS)))
        return NULL;
    body = node_child(env, "Body");
    return body != NULL ? node_next_element(body->children) : NULL;
}

static void response_init(struct pvx_response *out)
{
    memset(out, 0, sizeof(*out));
    out->detail = xstrdup("");
    out->fault_code = xstrdup("");
    out->fault_string = xstrdup("");
}

xmlDoc *pvx_xml_read(const char *xml, size_t len, struct errbuf *err)
{
    xmlDoc *doc;

    if (len > INT_MAX) {
        errbuf_set(err, "document of %zu bytes is too large to parse", len);
        return NULL;
    }
    doc = xmlReadMemory(xml, (int)len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        errbuf_set(err, "not well-formed XML");
        return NULL;
    }
    if (doc->intSubset != NULL || doc->extSubset != NULL) {
        xmlFreeDoc(doc);
        errbuf_set(err, "document carries a DTD (forbidden in SOAP 1.1)");
        return NULL;
    }
    return doc;
}

enum st pvx_soap_parse_response(const char *xml, size_t len, enum pvx_op op,
                                struct pvx_response *out, struct errbuf *err)
{
    xmlDoc *doc = NULL;
    xmlNode *first;
    xmlNode *result;
    struct errbuf why = {""};
    char name[64];
    enum st rc = ST_FAIL;

    response_init(out);
    doc = pvx_xml_read(xml, len, &why);
    if (doc == NULL) {
        errbuf_set(err, "%s response refused: %s", pvx_op_name(op), why.msg);
        goto out;
    }
    first = soap_body_first(doc);
    if (first == NULL) {
        errbuf_set(err, "%s response is not a SOAP envelope", pvx_op_name(op));
        goto out;
    }
    if (node_is(first, "Fault")) {
        soap_parse_fault(first, out, err);
        goto out;
    }
    snprintf(name, sizeof(name), "%sResponse", pvx_op_name(op));
    if (!node_is(first, name)) {
        errbuf_set(err, "expected %s, got %.60s", name, (const char *)first->name);
        goto out;
    }
    snprintf(name, sizeof(name), "%sResult", pvx_op_name(op));
    result = node_child(first, name);
    if (result == NULL) {
        errbuf_set(err, "%sResponse has no %s", pvx_op_name(op), name);
        goto out;
    }
    rc = soap_parse_result(result, out, err);
out:
    xmlFreeDoc(doc);
    return rc;
}

void pvx_response_cleanup(struct pvx_response *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_statuses; i++) {
        free(r->statuses[i].reference);
        free(r->statuses[i].status);
        free(r->statuses[i].message);
    }
    free(r->statuses);
    free(r->detail);
    free(r->fault_code);
    free(r->fault_string);
    memset(r, 0, sizeof(*r));
}

int pvx_response_is_session_error(const struct pvx_response *r)
{
    return r != NULL && r->response_id != 0 && r->detail != NULL &&
           strcasestr(r->detail, "session") != NULL;
}

int pvx_response_has_row_errors(const struct pvx_response *r)
{
    size_t i;

    for (i = 0; r != NULL && i < r->n_statuses; i++) {
        if (strcasecmp(r->statuses[i].status, "Success") != 0)
            return 1;
    }
    return 0;
}

/* Owned copy of s[0..n) without surrounding whitespace. */
static char *dup_trimmed(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

enum st pvx_parse_auth_detail(const char *detail, char **client_id, char **session_id,
                              struct errbuf *err)
{
    const char *comma = detail != NULL ? strchr(detail, ',') : NULL;
    const char *end;

    *client_id = NULL;
    *session_id = NULL;
    if (comma == NULL) {
        errbuf_set(err, "authenticate detail has no \"ClientId,SessionId\"");
        return ST_FAIL;
    }
    end = strchr(comma + 1, ',');
    *client_id = dup_trimmed(detail, (size_t)(comma - detail));
    *session_id = dup_trimmed(comma + 1, end != NULL ? (size_t)(end - comma - 1)
                                                     : strlen(comma + 1));
    if ((*client_id)[0] == '\0' || (*session_id)[0] == '\0') {
        errbuf_set(err, "authenticate detail has an empty client or session id");
        free(*client_id);
        free(*session_id);
        *client_id = NULL;
        *session_id = NULL;
        return ST_FAIL;
    }
    return ST_OK;
}

/* ---- search clauses ---- */

/* Appends tmp to out in one piece, so a failed clause leaves out unchanged. */
static enum st clause_commit(struct buf *out, struct buf *tmp, enum st rc, struct errbuf *err)
{
    if (rc == ST_OK && buf_append(out, tmp->data != NULL ? tmp->data : "", tmp->len) < 0) {
        errbuf_set(err, "search clause exceeds %zu bytes", out->max);
        rc = ST_FAIL;
    }
    buf_cleanup(tmp);
    return rc;
}

static enum st clause_put_string(struct buf *b, const char *value, struct errbuf *err)
{
    const unsigned char *p;

    if (value == NULL || xml_text_check("search value", value, err) != ST_OK)
        return ST_FAIL;
    buf_append(b, "\"", 1);
    for (p = (const unsigned char *)value; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7F) {
            errbuf_set(err, "search value has a control character at byte %zu",
                       (size_t)(p - (const unsigned char *)value));
            return ST_FAIL;
        }
        if (*p == '\\' || *p == '"')
            buf_append(b, "\\", 1);
        buf_append(b, p, 1);
    }
    buf_append(b, "\"", 1);
    return ST_OK;
}

static enum st clause_put_field(struct buf *b, const char *name, struct errbuf *err)
{
    const char *p;

    if (name == NULL || name[0] == '\0') {
        errbuf_set(err, "search field name is empty");
        return ST_FAIL;
    }
    for (p = name; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_') {
            errbuf_set(err, "search field name \"%.60s\" is not an identifier", name);
            return ST_FAIL;
        }
    }
    buf_append_str(b, name);
    return ST_OK;
}

static enum st clause_put_column(struct buf *b, const char *name, struct errbuf *err)
{
    const unsigned char *p;

    if (name == NULL || name[0] == '\0' || xml_text_check("column", name, err) != ST_OK) {
        errbuf_set(err, "report column name is empty or not UTF-8");
        return ST_FAIL;
    }
    for (p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7F || *p == '[' || *p == ']') {
            errbuf_set(err, "report column name \"%.60s\" has a bracket or control character",
                       name);
            return ST_FAIL;
        }
    }
    buf_appendf(b, "[%s]", name);
    return ST_OK;
}

static enum st clause_put_datetime(struct buf *b, int y, int mo, int d, int h, int mi, int s,
                                   struct errbuf *err)
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) {
        errbuf_set(err, "invalid date %d-%d-%d %d:%d:%d", y, mo, d, h, mi, s);
        return ST_FAIL;
    }
    buf_appendf(b, "DateTime(%d,%d,%d,%d,%d,%d)", y, mo, d, h, mi, s);
    return ST_OK;
}

enum st pvx_clause_string(struct buf *out, const char *value, struct errbuf *err)
{
    struct buf tmp;

    buf_init(&tmp, 0);
    return clause_commit(out, &tmp, clause_put_string(&tmp, value, err), err);
}

enum st pvx_clause_field(struct buf *out, const char *name, struct errbuf *err)
{
    struct buf tmp;

    buf_init(&tmp, 0);
    return clause_commit(out, &tmp, clause_put_field(&tmp, name, err), err);
}

enum st pvx_clause_column(struct buf *out, const char *name, struct errbuf *err)
{
    struct buf tmp;

    buf_init(&tmp, 0);
    return clause_commit(out, &tmp, clause_put_column(&tmp, name, err), err);
}

enum st pvx_clause_datetime(struct buf *out, int y, int mo, int d, int h, int mi, int s,
                            struct errbuf *err)
{
    struct buf tmp;

    buf_init(&tmp, 0);
    return clause_commit(out, &tmp, clause_put_datetime(&tmp, y, mo, d, h, mi, s, err), err);
}

/* `left.Equals("value")`, left written by put_left (a field or a report column). */
static enum st clause_equals(struct buf *out,
                             enum st (*put_left)(struct buf *, const char *, struct errbuf *),
                             const char *left, const char *value, struct errbuf *err)
{
    struct buf tmp;
    enum st rc;

    buf_init(&tmp, 0);
    rc = put_left(&tmp, left, err);
    if (rc == ST_OK) {
        buf_append_str(&tmp, ".Equals(");
        rc = clause_put_string(&tmp, value, err);
        buf_append_str(&tmp, ")");
    }
    return clause_commit(out, &tmp, rc, err);
}

enum st pvx_clause_equals(struct buf *out, const char *field, const char *value,
                          struct errbuf *err)
{
    return clause_equals(out, clause_put_field, field, value, err);
}

enum st pvx_clause_column_equals(struct buf *out, const char *column, const char *value,
                                 struct errbuf *err)
{
    return clause_equals(out, clause_put_column, column, value, err);
}

enum st pvx_clause_column_date(struct buf *out, const char *column, const char *op, int y,
                               int mo, int d, int h, int mi, int s, struct errbuf *err)
{
    static const char *const ops[] = { ">=", "<=", ">", "<", "==" };
    struct buf tmp;
    enum st rc = ST_FAIL;
    size_t i;

    for (i = 0; op != NULL && i < ARRAY_LEN(ops); i++) {
        if (strcmp(op, ops[i]) == 0)
            rc = ST_OK;
    }
    if (rc != ST_OK) {
        errbuf_set(err, "unsupported date comparison \"%.8s\"", op != NULL ? op : "");
        return rc;
    }
    buf_init(&tmp, 0);
    rc = clause_put_column(&tmp, column, err);
    if (rc == ST_OK) {
        buf_appendf(&tmp, " %s ", op);
        rc = clause_put_datetime(&tmp, y, mo, d, h, mi, s, err);
    }
    return clause_commit(out, &tmp, rc, err);
}
