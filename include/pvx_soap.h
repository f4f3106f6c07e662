/*
 * pvx_soap.h - Peoplevox IntegrationServiceV4 SOAP 1.1 envelopes (pure).
 *
 * Builds request envelopes and parses responses with libxml2 only: no
 * network here, so every byte that goes on the wire is unit-tested. The
 * transport (pvx.h) glues these to libcurl.
 *
 * Ownership: builders append to a caller-owned struct buf; parsed responses
 * own their strings until pvx_response_cleanup(). All inputs are borrowed.
 */
#ifndef SHOPVOX_PVX_SOAP_H
#define SHOPVOX_PVX_SOAP_H

#include <stddef.h>

#include "buf.h"
#include "common.h"

#define PVX_NS "http://www.peoplevox.net/"
#define PVX_SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"

enum pvx_op {
    PVX_OP_AUTHENTICATE,
    PVX_OP_GET_DATA,
    PVX_OP_GET_REPORT_DATA,
    PVX_OP_SAVE_DATA,
    PVX_OP_GET_SAVE_TEMPLATE,
    PVX_OP_COUNT               /* number of operations, not an operation */
};

/* Operation name ("GetData"); static. */
const char *pvx_op_name(enum pvx_op op);
/* SOAPAction header value with its quotes ("\"http://www.peoplevox.net/GetData\""); static. */
const char *pvx_soap_action(enum pvx_op op);

/* The session every call but Authenticate carries; borrowed strings. */
struct pvx_credentials {
    const char *client_id;
    const char *session_id;
};

/* getRequest; NULL strings are sent as empty elements. */
struct pvx_get_request {
    const char *template_name;
    int page_no;               /* from 1 */
    int items_per_page;        /* <= 1000; 0 means all (avoid) */
    const char *search_clause;
};

/* getReportRequest; elements go out in exactly this order. */
struct pvx_report_request {
    const char *template_name;
    int page_no;
    int items_per_page;
    const char *search_clause;
    const char *filter_clause;
    const char *order_by;
    const char *columns;
};

/* One value we want to save, by field name. */
struct pvx_field_value {
    const char *name;
    const char *value;             /* NULL or "" leaves the field empty */
};

/* One record to save: its values, in any order. */
struct pvx_record {
    const struct pvx_field_value *values;
    size_t n;
};

/*
 * Builders: each appends one complete envelope (with the XML declaration) to
 * out. Text is escaped by libxml2 (CR goes out as &#13; so CSV line ends
 * survive). ST_FAIL (err set) when a string is not valid UTF-8, holds a
 * character XML 1.0 cannot carry, or out's cap is reached.
 * The password is sent as given: the caller applies the tenant's encoding.
 */
enum st pvx_soap_build_authenticate(struct buf *out, const char *client_id, const char *username,
                                    const char *password, struct errbuf *err);
enum st pvx_soap_build_get_data(struct buf *out, const struct pvx_credentials *cred,
                                const struct pvx_get_request *req, struct errbuf *err);
enum st pvx_soap_build_get_report_data(struct buf *out, const struct pvx_credentials *cred,
                                       const struct pvx_report_request *req,
                                       struct errbuf *err);
/* action: 0 = normal (always sent). */
enum st pvx_soap_build_save_data(struct buf *out, const struct pvx_credentials *cred,
                                 const char *template_name, const char *csv_data, int action,
                                 struct errbuf *err);
enum st pvx_soap_build_get_save_template(struct buf *out, const struct pvx_credentials *cred,
                                         const char *template_name, struct errbuf *err);

/* One IntegrationStatusResponse (one saved row). Strings owned, never NULL. */
struct pvx_row_status {
    char *reference;
    char *status;              /* "Success" or "Error" */
    char *message;             /* any other text the row carried, "; "-joined; may be "" */
};

/* IntegrationResponse, or a SOAP fault. Strings owned, never NULL after a parse. */
struct pvx_response {
    int response_id;           /* 0 ok, -1 error */
    long total_count;
    char *detail;              /* CSV for data calls, the message on error */
    struct pvx_row_status *statuses;
    size_t n_statuses;
    int is_fault;              /* a soap:Fault came back instead of a result */
    char *fault_code;
    char *fault_string;
};

/*
 * Parses a SOAP document for us or the sandbox: never from the network
 * (NONET), and never a document with a DTD. SOAP 1.1 forbids document
 * type declarations, and an internal subset is how an entity bomb gets in
 * (entities would be expanded later, by xmlNodeGetContent), so any
 * internal or external subset is refused. NULL (err set) when the bytes
 * are not well-formed XML or carry a DTD; the caller frees with xmlFreeDoc.
 */
struct _xmlDoc *pvx_xml_read(const char *xml, size_t len, struct errbuf *err);

/*
 * Parses a response to op. ST_OK: a {Op}Response/{Op}Result was found (it
 * may still carry ResponseId != 0). ST_FAIL with is_fault = 1: a SOAP fault
 * (err holds its faultstring). ST_FAIL with is_fault = 0: not a usable
 * envelope. out is always safe to pvx_response_cleanup() afterwards.
 */
enum st pvx_soap_parse_response(const char *xml, size_t len, enum pvx_op op,
                                struct pvx_response *out, struct errbuf *err);
void pvx_response_cleanup(struct pvx_response *r);

/* Non-zero when the response is an error (ResponseId != 0) about the session. */
int pvx_response_is_session_error(const struct pvx_response *r);
/* Non-zero when any row status is not "Success". */
int pvx_response_has_row_errors(const struct pvx_response *r);

/*
 * Splits the Authenticate Detail "ClientId,SessionId" into two owned
 * strings (trimmed). ST_FAIL when either part is missing or empty.
 */
enum st pvx_parse_auth_detail(const char *detail, char **client_id, char **session_id,
                              struct errbuf *err);

/*
 * Search-clause pieces (Dynamic-LINQ-like). Each appends to out; ST_FAIL
 * (err set, out unchanged) on bad input or cap. String literals are
 * double-quoted with '\' and '"' backslash-escaped; control characters are
 * rejected, as no escape for them is known to work on the server.
 * Field names must be identifiers ([A-Za-z0-9_]+); report columns may hold
 * spaces and go in brackets (no ']' or control characters).
 */
enum st pvx_clause_string(struct buf *out, const char *value, struct errbuf *err);
enum st pvx_clause_field(struct buf *out, const char *name, struct errbuf *err);
enum st pvx_clause_column(struct buf *out, const char *name, struct errbuf *err);
/* DateTime(y,m,d,h,mi,s), fields range-checked (no zero padding). */
enum st pvx_clause_datetime(struct buf *out, int y, int mo, int d, int h, int mi, int s,
                            struct errbuf *err);
/* Field.Equals("value") */
enum st pvx_clause_equals(struct buf *out, const char *field, const char *value,
                          struct errbuf *err);
/* Field.Equals("a") OR Field.Equals("b") ... for values[0..n) (n >= 1). */
enum st pvx_clause_equals_any(struct buf *out, const char *field, const char *const *values,
                              size_t n, struct errbuf *err);
/* [Column].Equals("value") */
enum st pvx_clause_column_equals(struct buf *out, const char *column, const char *value,
                                 struct errbuf *err);
/* [Column] op DateTime(...), op one of ">=", "<=", ">", "<", "==". */
enum st pvx_clause_column_date(struct buf *out, const char *column, const char *op, int y,
                               int mo, int d, int h, int mi, int s, struct errbuf *err);

#endif
