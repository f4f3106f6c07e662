/*
 * ts_pvx_fake.c - the in-process Peoplevox of the client's unit tests (see
 * ts_pvx_fake.h): parses each SOAP request with libxml2 and answers as the
 * script in fk.script says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ts_pvx_fake.h"


#define X(s) ((const xmlChar *)(s))

/* ---- the fake Peoplevox ---- */

struct fake fk;
struct ts_clock clk; /* the clients' clock: cool-downs run on it */

/* Lets held requests (and those to come) through. */
void fake_release(void)
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

int fake_start(void **state)
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

int fake_stop(void **state)
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
struct pvx_client *client_cooling(long timeout_ms, int max_concurrency, long base_ms,
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
struct pvx_client *client_new(long timeout_ms, int max_concurrency)
{
    return client_cooling(timeout_ms, max_concurrency, 1, 1);
}

enum st save_one(struct pvx_client *pc, struct pvx_outcome *oc)
{
    struct pvx_response r;
    enum st rc = pvx_save_data(pc, NULL, "Sales orders", "SalesOrderNumber\r\nSO-1\r\n", &r, oc);

    pvx_response_cleanup(&r);
    return rc;
}
