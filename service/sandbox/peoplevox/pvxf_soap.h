/*
 * pvxf_soap.h - SOAP 1.1 in and out for the fake Peoplevox (private to
 * peoplevox/): requests parsed with libxml2, IntegrationResponse envelopes
 * and soap:Fault answers rendered from a pvxf_result.
 */
#ifndef SHOPVOX_PVXF_SOAP_H
#define SHOPVOX_PVXF_SOAP_H

#include <libxml/tree.h>

#include "buf.h"
#include "common.h"
#include "pvxf_result.h"

#define PVXF_NS "http://www.peoplevox.net/"

struct pvxf_request {
    xmlDocPtr doc;
    xmlNodePtr op_el;     /* the body's operation element */
    char op[32];          /* set as soon as SOAPAction named it, even on failure */
    char *client_id;      /* UserSessionCredentials, owned, may be NULL */
    char *session_id;
};

/* Parses a request; ST_FAIL with err set (req still needs cleanup). */
enum st pvxf_soap_parse(const char *body, size_t len, const char *soap_action,
                        struct pvxf_request *req, struct errbuf *err);
void pvxf_soap_request_cleanup(struct pvxf_request *req);
/* Text of op_el/wrapper/name (wrapper NULL = direct child); owned or NULL. */
char *pvxf_soap_param(const struct pvxf_request *req, const char *wrapper, const char *name);
/* Appends the {op}Response envelope; -1 when out's cap was reached. */
int pvxf_soap_render(struct buf *out, const char *op, const struct pvxf_result *res);
/* Appends a soap:Fault with faultcode soap:{code}; -1 when out's cap was reached. */
int pvxf_soap_render_fault(struct buf *out, const char *code, const char *msg);

#endif
