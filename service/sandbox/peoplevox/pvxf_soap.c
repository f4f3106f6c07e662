/*
 * pvxf_soap.c - SOAP 1.1 in and out for the fake Peoplevox.
 *
 * Requests are parsed with libxml2 (no network, no entity expansion) and
 * checked the way ASMX dispatches them: a SOAP 1.1 envelope, the operation
 * element in the http://www.peoplevox.net/ namespace, and a SOAPAction
 * naming the same operation (a missing SOAPAction falls back to the body
 * element). Parameters are read by local name *and* namespace, so a client
 * that forgets to qualify them gets empty values, as with the real service.
 *
 * Responses are written by hand into a capped buffer: the envelope is
 * fixed, and escaping keeps CR as &#xD; so CSV records ending in CRLF
 * survive XML end-of-line normalisation on the client side.
 */
#include "pvxf_soap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "pvx_soap.h"

#define PVXF_SOAP11_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define PVXF_SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"

/* First element child of parent named name in namespace ns (NULL = any). */
static xmlNodePtr pvxf_child(xmlNodePtr parent, const char *name, const char *ns)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, (const xmlChar *)name))
            continue;
        if (ns == NULL || (c->ns != NULL && xmlStrEqual(c->ns->href, (const xmlChar *)ns)))
            return c;
    }
    return NULL;
}

static xmlNodePtr pvxf_first_element(xmlNodePtr parent)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            return c;
    }
    return NULL;
}

static char *pvxf_node_text(xmlNodePtr n)
{
    xmlChar *t;
    char *s;

    if (n == NULL)
        return NULL;
    t = xmlNodeGetContent(n);
    s = xstrdup(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

char *pvxf_soap_param(const struct pvxf_request *req, const char *wrapper, const char *name)
{
    xmlNodePtr parent = wrapper ? pvxf_child(req->op_el, wrapper, PVXF_NS) : req->op_el;

    return pvxf_node_text(pvxf_child(parent, name, PVXF_NS));
}

/* Operation named by SOAPAction ("" when absent); ST_FAIL on a foreign action. */
static enum st pvxf_action_op(const char *soap_action, char *op, size_t cap, struct errbuf *err)
{
    char tmp[128];
    size_t n;
    const char *s = soap_action ? soap_action : "";

    n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    op[0] = '\0';
    if (n == 0)
        return ST_OK;
    if (n >= sizeof(tmp) || strncmp(s, PVXF_NS, strlen(PVXF_NS)) != 0 ||
        n - strlen(PVXF_NS) >= cap) {
        errbuf_set(err, "Server did not recognize the value of HTTP Header SOAPAction: %.*s",
                   (int)(n < 200 ? n : 200), s);
        return ST_FAIL;
    }
    memcpy(op, s + strlen(PVXF_NS), n - strlen(PVXF_NS));
    op[n - strlen(PVXF_NS)] = '\0';
    return ST_OK;
}

static enum st pvxf_read_envelope(struct pvxf_request *req, xmlNodePtr *body, struct errbuf *err)
{
    xmlNodePtr root = xmlDocGetRootElement(req->doc);
    xmlNodePtr creds;

    if (root == NULL || !xmlStrEqual(root->name, (const xmlChar *)"Envelope") ||
        root->ns == NULL) {
        errbuf_set(err, "request is not a SOAP envelope");
        return ST_FAIL;
    }
    if (xmlStrEqual(root->ns->href, (const xmlChar *)PVXF_SOAP12_NS)) {
        errbuf_set(err, "SOAP 1.2 is not supported here: use SOAP 1.1");
        return ST_FAIL;
    }
    *body = pvxf_child(root, "Body", PVXF_SOAP11_NS);
    if (!xmlStrEqual(root->ns->href, (const xmlChar *)PVXF_SOAP11_NS) || *body == NULL) {
        errbuf_set(err, "request is not a SOAP 1.1 envelope with a Body");
        return ST_FAIL;
    }
    creds = pvxf_child(pvxf_child(root, "Header", PVXF_SOAP11_NS), "UserSessionCredentials",
                       PVXF_NS);
    req->client_id = pvxf_node_text(pvxf_child(creds, "ClientId", PVXF_NS));
    req->session_id = pvxf_node_text(pvxf_child(creds, "SessionId", PVXF_NS));
    return ST_OK;
}

enum st pvxf_soap_parse(const char *body, size_t len, const char *soap_action,
                        struct pvxf_request *req, struct errbuf *err)
{
    xmlNodePtr soap_body = NULL;
    enum st rc;

    memset(req, 0, sizeof(*req));
    rc = pvxf_action_op(soap_action, req->op, sizeof(req->op), err);
    if (rc != ST_OK)
        return rc;
    req->doc = pvx_xml_read(body, len, err); /* no DTD: SOAP forbids it */
    if (req->doc == NULL)
        return ST_FAIL;
    rc = pvxf_read_envelope(req, &soap_body, err);
    if (rc != ST_OK)
        return rc;
    req->op_el = pvxf_first_element(soap_body);
    if (req->op_el == NULL || req->op_el->ns == NULL ||
        !xmlStrEqual(req->op_el->ns->href, (const xmlChar *)PVXF_NS)) {
        errbuf_set(err, "the Body has no operation element in namespace %s", PVXF_NS);
        return ST_FAIL;
    }
    if (req->op[0] == '\0')
        snprintf(req->op, sizeof(req->op), "%s", (const char *)req->op_el->name);
    if (!xmlStrEqual(req->op_el->name, (const xmlChar *)req->op)) {
        errbuf_set(err, "SOAPAction %s does not match the body element %s", req->op,
                   (const char *)req->op_el->name);
        return ST_FAIL;
    }
    return ST_OK;
}

void pvxf_soap_request_cleanup(struct pvxf_request *req)
{
    if (req->doc != NULL)
        xmlFreeDoc(req->doc);
    free(req->client_id);
    free(req->session_id);
    memset(req, 0, sizeof(*req));
}

/* XML-escapes s into out; drops characters XML 1.0 cannot carry. */
static int pvxf_xml_escape(struct buf *out, const char *s)
{
    const char *run = s;
    int rc = 0;

    for (const char *p = s; *p != '\0' && rc == 0; p++) {
        unsigned char c = (unsigned char)*p;
        const char *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
                        : c == '\r' ? "&#xD;" : NULL;

        if (rep == NULL && (c >= 0x20 || c == '\t' || c == '\n'))
            continue;
        rc = buf_append(out, run, (size_t)(p - run));
        if (rc == 0 && rep != NULL)
            rc = buf_append_str(out, rep);
        run = p + 1;
    }
    return rc == 0 ? buf_append_str(out, run) : rc;
}

static int pvxf_render_statuses(struct buf *out, const struct pvxf_result *res)
{
    int rc = 0;

    if (res->n_statuses == 0)
        return buf_append_str(out, "<Statuses />");
    rc |= buf_append_str(out, "<Statuses>");
    for (size_t i = 0; i < res->n_statuses && rc == 0; i++) {
        const struct pvxf_status *s = &res->statuses[i];
        rc |= buf_append_str(out, "<IntegrationStatusResponse><Reference>");
        rc |= pvxf_xml_escape(out, s->reference);
        rc |= buf_appendf(out, "</Reference><Status>%s</Status><Message>", s->status);
        rc |= pvxf_xml_escape(out, s->message);
        rc |= buf_append_str(out, "</Message></IntegrationStatusResponse>");
    }
    rc |= buf_append_str(out, "</Statuses>");
    return rc;
}

static const char pvxf_envelope_head[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    "<soap:Envelope xmlns:soap=\"" PVXF_SOAP11_NS "\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body>";

int pvxf_soap_render(struct buf *out, const char *op, const struct pvxf_result *res)
{
    int rc = 0;

    rc |= buf_append_str(out, pvxf_envelope_head);
    rc |= buf_appendf(out, "<%sResponse xmlns=\"" PVXF_NS "\"><%sResult>", op, op);
    rc |= buf_appendf(out, "<ResponseId>%ld</ResponseId><TotalCount>%ld</TotalCount><Detail>",
                      res->response_id, res->total_count);
    rc |= pvxf_xml_escape(out, res->detail ? res->detail : "");
    rc |= buf_append_str(out, "</Detail>");
    rc |= pvxf_render_statuses(out, res);
    rc |= buf_appendf(out, "</%sResult></%sResponse></soap:Body></soap:Envelope>", op, op);
    return rc == 0 ? 0 : -1;
}

int pvxf_soap_render_fault(struct buf *out, const char *code, const char *msg)
{
    int rc = 0;

    rc |= buf_append_str(out, pvxf_envelope_head);
    rc |= buf_appendf(out, "<soap:Fault><faultcode>soap:%s</faultcode><faultstring>", code);
    rc |= pvxf_xml_escape(out, msg);
    rc |= buf_append_str(out, "</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>");
    return rc == 0 ? 0 : -1;
}
