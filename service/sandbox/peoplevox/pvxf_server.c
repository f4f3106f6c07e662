/*
 * pvxf_server.c - the fake Peoplevox as a server: start and stop, the SOAP
 * endpoint, and the shared faults answered in Peoplevox's dialect.
 *
 * The sandbox's shared layer (../sandbox_fake.c) serves it over the
 * service's HTTP adapter, a thread per connection, with the body capped at
 * 8 MiB (413 past it); it routes /_sandbox/ to the control API and every
 * other path here. SOAP requests are parsed outside the lock; the
 * operation, fault bookkeeping and call log run under the fake's lock.
 *
 * The shared faults come first (see sbx_fake_take_fault): over the rate
 * limit, 503 with a soap:Server "Server Too Busy" fault, as the real
 * service; 429 as plain text with Retry-After; 500 as a soap:Server fault;
 * a timeout holds the call and closes it unanswered; busy_order_reads answers
 * a GetData of `Sales orders` as the rate limit would. Then latency +
 * slow_ms, then refuse_save (a SaveData refused as a whole, nothing
 * applied), then the operation itself; drop_after_apply (and, for a save
 * of `Sales order items`, drop_items_after_apply) is checked only after a
 * SaveData was applied, and closes the connection instead of answering.
 */
#include "pvxf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "../sandbox_faults.h"

#define PVXF_ENDPOINT "/integrationservicev4.asmx"
#define PVXF_XML "text/xml; charset=utf-8"

/* ---- helpers ---- */

static char *pvxf_base64(const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = xmalloc((n + 2) / 3 * 4 + 1);
    char *o = out;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned)(unsigned char)s[i + 2];
        *o++ = tbl[(v >> 18) & 63];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tbl[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static void pvxf_reply_fault(struct http_response *resp, int status, const char *code,
                             const char *msg)
{
    resp->status = status;
    resp->content_type = PVXF_XML;
    buf_reset(&resp->body);
    pvxf_soap_render_fault(&resp->body, code, msg);
}

/* ---- SOAP endpoint ---- */

/* Whether a save into tmpl takes one drop_items_after_apply. */
static bool pvxf_take_items_drop(struct sandbox_pvx *sb, const char *tmpl)
{
    if (sb->faults.drop_items_after_apply <= 0 || strcasecmp(tmpl, "Sales order items") != 0)
        return false;
    sb->faults.drop_items_after_apply--;
    return true;
}

/* Whether req, a GetData of `Sales orders`, takes one busy_order_reads (answered and
 * logged here as the rate limit would: 503, nothing read). */
static bool pvxf_take_busy_read(struct sandbox_pvx *sb, const struct pvxf_request *req)
{
    char *tmpl;
    bool busy = false;

    if (strcmp(req->op, "GetData") != 0)
        return false;
    tmpl = pvxf_soap_param(req, "getRequest", "TemplateName");
    pthread_mutex_lock(&sb->fake.lock);
    if (sb->faults.busy_order_reads > 0 && tmpl != NULL &&
        strcasecmp(tmpl, "Sales orders") == 0) {
        sb->faults.busy_order_reads--;
        sbx_fake_log_call(&sb->fake, req->op, tmpl, 0, 0, 503);
        busy = true;
    }
    pthread_mutex_unlock(&sb->fake.lock);
    free(tmpl);
    return busy;
}

/* Runs the operation and renders its envelope into resp, or drops it (drop_after_apply). */
static void pvxf_soap_answer(struct sandbox_pvx *sb, const struct pvxf_request *req,
                             struct http_response *resp)
{
    struct pvxf_op_out out;

    memset(&out, 0, sizeof(out));
    pvxf_result_init(&out.res);
    resp->status = 200;
    resp->content_type = PVXF_XML;
    pthread_mutex_lock(&sb->fake.lock);
    if (strcmp(req->op, "SaveData") == 0 && sb->faults.refuse_save > 0) {
        sb->faults.refuse_save--;
        pvxf_result_fail(&out.res, "%s", sb->faults.refuse_detail);
    } else {
        pvxf_ops_run(sb, req, &out);
    }
    resp->drop = out.is_save && (pvxf_take_items_drop(sb, out.tmpl) || sbx_fake_take_drop(&sb->fake));
    if (out.unknown_op) {
        pvxf_reply_fault(resp, 500, "Client", "Server did not recognize the operation");
    } else if (pvxf_soap_render(&resp->body, req->op, &out.res) < 0) {
        pvxf_reply_fault(resp, 500, "Server", "response too large");
    }
    sbx_fake_log_call(&sb->fake, req->op, out.tmpl, out.rows, out.res.response_id,
                      resp->drop ? 0 : resp->status);
    pthread_mutex_unlock(&sb->fake.lock);
    pvxf_result_cleanup(&out.res);
}

static void pvxf_handle_soap(struct sandbox_pvx *sb, const struct http_request *hreq,
                             struct http_response *resp)
{
    struct pvxf_request req;
    struct errbuf err = {{0}};
    long delay_ms = 0;

    buf_init(&resp->body, PVXF_MAX_RESPONSE_BYTES); /* still empty: cap the server's buffer */
    if (pvxf_soap_parse(hreq->body, hreq->body_len, http_header(hreq, "SOAPAction"), &req,
                        &err) != ST_OK) {
        pthread_mutex_lock(&sb->fake.lock);
        sbx_fake_log_call(&sb->fake, req.op[0] ? req.op : "?", NULL, 0, 0, 500);
        pthread_mutex_unlock(&sb->fake.lock);
        pvxf_reply_fault(resp, 500, "Client", err.msg);
        goto out;
    }
    switch (sbx_fake_take_fault(&sb->fake, req.op, &delay_ms)) {
    case SBX_FAULT_BUSY:
        pvxf_reply_fault(resp, 503, "Server", "Server Too Busy");
        goto out;
    case SBX_FAULT_429:
        sbx_reply_text(resp, 429, "too many requests");
        resp->retry_after = "1";
        goto out;
    case SBX_FAULT_500:
        pvxf_reply_fault(resp, 500, "Server",
                         "Server was unable to process request (sandbox fault)");
        goto out;
    case SBX_FAULT_HANG:
        sbx_fake_hang(&sb->fake, resp);
        goto out;
    case SBX_FAULT_NONE:
        break;
    }
    if (pvxf_take_busy_read(sb, &req)) {
        pvxf_reply_fault(resp, 503, "Server", "Server Too Busy");
        goto out;
    }
    sbx_fake_wait_ms(&sb->fake, delay_ms);
    pvxf_soap_answer(sb, &req, resp);
out:
    pvxf_soap_request_cleanup(&req);
}

/* ---- routing and lifecycle ---- */

static bool pvxf_is_endpoint(const char *path)
{
    size_t n = strlen(path);
    size_t e = strlen(PVXF_ENDPOINT);

    return n >= e && strcasecmp(path + n - e, PVXF_ENDPOINT) == 0;
}

/* The serve hook: every path outside /_sandbox/. */
static void pvxf_serve(void *ctx, const struct http_request *req, struct http_response *resp)
{
    const char *type = http_header(req, "Content-Type");

    if (!pvxf_is_endpoint(req->path))
        sbx_reply_text(resp, 404, "not found");
    else if (strcmp(req->method, "POST") != 0)
        sbx_reply_text(resp, 405, "use POST (SOAP 1.1)");
    else if (type == NULL || strncasecmp(type, "text/xml", 8) != 0)
        sbx_reply_text(resp, 415, "expected Content-Type text/xml (SOAP 1.1)");
    else
        pvxf_handle_soap(ctx, req, resp);
}

static void pvxf_config_init(struct pvxf_config *c, const struct sandbox_pvx_opts *o)
{
    c->client_id = xstrdup(o->client_id ? o->client_id : "SANDBOX");
    c->username = xstrdup(o->username ? o->username : "shopvox");
    c->password = xstrdup(o->password ? o->password : "secret");
    c->password_b64 = pvxf_base64(c->password);
    c->password_encoding = o->password_encoding;
    c->session_idle_timeout_ms =
        o->session_idle_timeout_ms > 0 ? o->session_idle_timeout_ms : 30L * 60 * 1000;
    c->seed = !o->no_seed;
    c->plain_report_dates = o->plain_report_dates;
    c->local_report_dates = o->local_report_dates;
}

static void pvxf_config_cleanup(struct pvxf_config *c)
{
    free(c->client_id);
    free(c->username);
    free(c->password);
    free(c->password_b64);
}

static void pvxf_free(struct sandbox_pvx *sb)
{
    pvxf_store_cleanup(&sb->st);
    pvxf_config_cleanup(&sb->cfg);
    free(sb);
}

struct sandbox_pvx *sandbox_pvx_start(const struct sandbox_pvx_opts *opts, struct errbuf *err)
{
    static const struct sandbox_pvx_opts defaults;
    const struct sandbox_pvx_opts *o = opts ? opts : &defaults;
    const struct sbx_fake_opts fo = {
        .host = o->host, .port = o->port, .latency_ms = o->latency_ms, .hang_ms = o->hang_ms,
        .rate_calls = o->rate_limit_calls, .rate_window_ms = o->rate_limit_window_ms,
        .now_ms = o->now_ms, .now_ctx = o->now_ctx,
    };
    struct sandbox_pvx *sb = xcalloc(1, sizeof(*sb));
    const struct sbx_fake_hooks hooks = {.serve = pvxf_serve, .control = pvxf_control,
                                         .reset = pvxf_reset, .ctx = sb};

    xmlInitParser();
    pvxf_config_init(&sb->cfg, o);
    pvxf_store_init(&sb->st, sb->cfg.seed);
    if (sbx_fake_start(&sb->fake, &fo, &hooks, err) != ST_OK) {
        pvxf_free(sb);
        return NULL;
    }
    return sb;
}

int sandbox_pvx_port(const struct sandbox_pvx *sb)
{
    return sbx_fake_port(&sb->fake);
}

void sandbox_pvx_stop(struct sandbox_pvx *sb)
{
    if (sb == NULL)
        return;
    sbx_fake_stop(&sb->fake);
    pvxf_free(sb);
}
