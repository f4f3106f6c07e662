/*
 * sandbox_pvx.c - the fake Peoplevox daemon: lifecycle, routing, faults.
 *
 * libmicrohttpd runs a thread per connection, so a call held by latency or
 * a "timeout" fault never blocks the others. Requests follow the house MHD
 * lifecycle: a context on the first call, the body collected into a capped
 * buffer (413 past 8 MiB), the answer on the last call. SOAP requests are
 * parsed outside the lock; the operation, fault bookkeeping and call log
 * run under the single state mutex.
 *
 * The rate limit comes first: a call beyond it is answered 503 "Server Too
 * Busy" (a soap:Server fault, as the real service) and consumes no fault.
 * Faults are consumed in a fixed order: 429, then 500, then timeout (each
 * answers the call without touching state), then latency + slow_ms, then
 * refuse_save (a SaveData refused as a whole, nothing applied), then the
 * operation itself; drop_after_apply is checked only after a SaveData
 * was applied, and closes the connection instead of answering (MHD_NO).
 * Waits use a condition variable so sandbox_pvx_stop() ends them at once.
 */
#include "sandbox_pvx_int.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <microhttpd.h>

#define SBX_ENDPOINT "/integrationservicev4.asmx"

struct sbx_conn {
    struct buf body;
    bool too_large;
};

/* ---- helpers ---- */

static char *sbx_base64(const char *s)
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

/* Sleeps up to ms unless the sandbox stops first. Call without the lock. */
static void sbx_wait_ms(struct sandbox_pvx *sb, long ms)
{
    struct timespec until;

    if (ms <= 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sb->lock);
    while (!sb->stopping && pthread_cond_timedwait(&sb->wake, &sb->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&sb->lock);
}

void sbx_log_call(struct sbx_state *st, const char *op, const char *tmpl, long rows,
                  long response_id, int http_code)
{
    struct sbx_call *c = &st->calls[st->n_calls % SBX_CALL_LOG];
    size_t i;

    c->seq = ++st->n_calls;
    c->at_ms = now_ms_wall();
    snprintf(c->op, sizeof(c->op), "%s", op);
    snprintf(c->tmpl, sizeof(c->tmpl), "%s", tmpl ? tmpl : "");
    c->rows = rows;
    c->response_id = response_id;
    c->http_code = http_code;
    for (i = 0; i < st->n_op_counts; i++) {
        if (strcmp(st->op_counts[i].op, c->op) == 0)
            break;
    }
    if (i == st->n_op_counts && i < SBX_MAX_OPS) {
        memcpy(st->op_counts[i].op, c->op, sizeof(c->op));
        st->op_counts[i].n = 0;
        st->n_op_counts++;
    }
    if (i < st->n_op_counts)
        st->op_counts[i].n++;
}

static enum MHD_Result sbx_reply(struct MHD_Connection *conn, unsigned code, const char *type,
                                 const char *body, size_t len, const char *retry_after)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (retry_after != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result sbx_reply_text(struct MHD_Connection *conn, unsigned code,
                                      const char *msg)
{
    return sbx_reply(conn, code, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
}

static enum MHD_Result sbx_reply_fault(struct MHD_Connection *conn, unsigned http,
                                       const char *code, const char *msg)
{
    struct buf b;
    enum MHD_Result ret;

    buf_init(&b, 0);
    sbx_soap_render_fault(&b, code, msg);
    ret = sbx_reply(conn, http, "text/xml; charset=utf-8", buf_cstr(&b), b.len, NULL);
    buf_cleanup(&b);
    return ret;
}

/* ---- SOAP endpoint ---- */

enum sbx_fault { SBX_FAULT_NONE, SBX_FAULT_BUSY, SBX_FAULT_429, SBX_FAULT_500, SBX_FAULT_HANG };

void sbx_rate_set(struct sbx_state *st, long calls, long window_ms)
{
    struct sbx_rate_limit *r = &st->rate;

    r->calls = calls < SBX_RATE_MAX_CALLS ? calls : SBX_RATE_MAX_CALLS;
    r->window_ms = window_ms > 0 ? window_ms : 15000;
    r->n = 0;
    r->next = 0;
}

/* Whether one more call fits the rate limit now; records it when it does. */
static bool sbx_rate_admit(struct sbx_rate_limit *r)
{
    int64_t now = now_ms_monotonic();

    if (r->calls <= 0)
        return true;
    if (r->n == r->calls && now - r->at_ms[r->next] < r->window_ms) {
        r->refused++;
        return false;
    }
    r->at_ms[r->next] = now;
    r->next = (r->next + 1) % r->calls;
    if (r->n < r->calls)
        r->n++;
    return true;
}

/* Consumes the next pending answer-level fault; reports the delay to add. */
static enum sbx_fault sbx_take_fault(struct sandbox_pvx *sb, const char *op, long *delay_ms)
{
    struct sbx_faults *f = &sb->st.faults;
    enum sbx_fault kind = SBX_FAULT_NONE;

    pthread_mutex_lock(&sb->lock);
    if (!sbx_rate_admit(&sb->st.rate)) {
        kind = SBX_FAULT_BUSY;
        sbx_log_call(&sb->st, op, NULL, 0, 0, 503);
    } else if (f->http_429 > 0) {
        f->http_429--;
        kind = SBX_FAULT_429;
        sbx_log_call(&sb->st, op, NULL, 0, 0, 429);
    } else if (f->http_500 > 0) {
        f->http_500--;
        kind = SBX_FAULT_500;
        sbx_log_call(&sb->st, op, NULL, 0, 0, 500);
    } else if (f->timeout > 0) {
        f->timeout--;
        kind = SBX_FAULT_HANG;
        sbx_log_call(&sb->st, op, NULL, 0, 0, 0);
    }
    *delay_ms = sb->cfg.latency_ms + f->slow_ms;
    pthread_mutex_unlock(&sb->lock);
    return kind;
}

/* Runs the operation and renders its envelope; *drop set for drop_after_apply. */
static int sbx_soap_answer(struct sandbox_pvx *sb, const struct sbx_request *req,
                           struct buf *resp, bool *drop)
{
    struct sbx_op_out out;
    int code = 200;

    memset(&out, 0, sizeof(out));
    sbx_result_init(&out.res);
    pthread_mutex_lock(&sb->lock);
    if (strcmp(req->op, "SaveData") == 0 && sb->st.faults.refuse_save > 0) {
        sb->st.faults.refuse_save--;
        snprintf(out.tmpl, sizeof(out.tmpl), "%s", "");
        sbx_result_fail(&out.res, "%s", sb->st.faults.refuse_detail);
    } else {
        sbx_ops_run(sb, req, &out);
    }
    *drop = out.is_save && sb->st.faults.drop_after_apply > 0;
    if (*drop)
        sb->st.faults.drop_after_apply--;
    if (out.unknown_op) {
        code = 500;
        sbx_soap_render_fault(resp, "Client", "Server did not recognize the operation");
    } else if (sbx_soap_render(resp, req->op, &out.res) < 0) {
        code = 500;
        buf_reset(resp);
        sbx_soap_render_fault(resp, "Server", "response too large");
    }
    sbx_log_call(&sb->st, req->op, out.tmpl, out.rows, out.res.response_id, *drop ? 0 : code);
    pthread_mutex_unlock(&sb->lock);
    sbx_result_cleanup(&out.res);
    return code;
}

static enum MHD_Result sbx_handle_soap(struct sandbox_pvx *sb, struct MHD_Connection *conn,
                                       const struct buf *body)
{
    const char *action = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "SOAPAction");
    struct sbx_request req;
    struct errbuf err = {{0}};
    struct buf resp;
    enum MHD_Result ret = MHD_NO;
    bool drop = false;
    long delay_ms = 0;
    int code;

    buf_init(&resp, SBX_MAX_RESPONSE_BYTES);
    if (sbx_soap_parse(buf_cstr(body), body->len, action, &req, &err) != ST_OK) {
        pthread_mutex_lock(&sb->lock);
        sbx_log_call(&sb->st, req.op[0] ? req.op : "?", NULL, 0, 0, 500);
        pthread_mutex_unlock(&sb->lock);
        ret = sbx_reply_fault(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Client", err.msg);
        goto out;
    }
    switch (sbx_take_fault(sb, req.op, &delay_ms)) {
    case SBX_FAULT_BUSY:
        ret = sbx_reply_fault(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "Server", "Server Too Busy");
        goto out;
    case SBX_FAULT_429:
        ret = sbx_reply(conn, MHD_HTTP_TOO_MANY_REQUESTS, "text/plain; charset=utf-8",
                        "too many requests", 17, "1");
        goto out;
    case SBX_FAULT_500:
        ret = sbx_reply_fault(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "Server",
                              "Server was unable to process request (sandbox fault)");
        goto out;
    case SBX_FAULT_HANG:
        sbx_wait_ms(sb, sb->cfg.hang_ms);
        goto out;
    case SBX_FAULT_NONE:
        break;
    }
    sbx_wait_ms(sb, delay_ms);
    code = sbx_soap_answer(sb, &req, &resp, &drop);
    if (!drop)
        ret = sbx_reply(conn, (unsigned)code, "text/xml; charset=utf-8", buf_cstr(&resp),
                        resp.len, NULL);
out:
    sbx_soap_request_cleanup(&req);
    buf_cleanup(&resp);
    return ret;
}

/* ---- routing and lifecycle ---- */

static bool sbx_is_endpoint(const char *url)
{
    size_t n = strlen(url);
    size_t e = strlen(SBX_ENDPOINT);

    return n >= e && strcasecmp(url + n - e, SBX_ENDPOINT) == 0;
}

static enum MHD_Result sbx_route(struct sandbox_pvx *sb, struct MHD_Connection *conn,
                                 const char *url, const char *method, const struct buf *body)
{
    const char *type;
    struct buf out;
    enum MHD_Result ret;
    int code;

    if (strncmp(url, "/_sandbox/", 10) == 0) {
        buf_init(&out, 0);
        pthread_mutex_lock(&sb->lock);
        code = sbx_control_handle(sb, method, url, body, &out);
        pthread_mutex_unlock(&sb->lock);
        ret = sbx_reply(conn, (unsigned)code, "application/json", buf_cstr(&out), out.len, NULL);
        buf_cleanup(&out);
        return ret;
    }
    if (!sbx_is_endpoint(url))
        return sbx_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found");
    if (strcmp(method, "POST") != 0)
        return sbx_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST (SOAP 1.1)");
    type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (type == NULL || strncasecmp(type, "text/xml", 8) != 0)
        return sbx_reply_text(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "expected Content-Type text/xml (SOAP 1.1)");
    return sbx_handle_soap(sb, conn, body);
}

static enum MHD_Result sbx_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload, size_t *upload_size, void **req_cls)
{
    struct sbx_conn *rc = *req_cls;

    if (rc == NULL) {
        rc = xcalloc(1, sizeof(*rc));
        buf_init(&rc->body, SBX_MAX_BODY_BYTES);
        *req_cls = rc; /* freed in sbx_on_completed(), on every path */
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (buf_append(&rc->body, upload, *upload_size) < 0)
            rc->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rc->too_large)
        return sbx_reply_text(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
    return sbx_route(cls, conn, url, method, &rc->body);
}

static void sbx_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                             enum MHD_RequestTerminationCode toe)
{
    struct sbx_conn *rc = *req_cls;

    if (rc == NULL)
        return;
    buf_cleanup(&rc->body);
    free(rc);
    *req_cls = NULL;
}

static void sbx_config_init(struct sbx_config *c, const struct sandbox_pvx_opts *o)
{
    c->host = xstrdup(o->host ? o->host : "127.0.0.1");
    c->client_id = xstrdup(o->client_id ? o->client_id : "SANDBOX");
    c->username = xstrdup(o->username ? o->username : "shopvox");
    c->password = xstrdup(o->password ? o->password : "secret");
    c->password_b64 = sbx_base64(c->password);
    c->password_encoding = o->password_encoding;
    c->session_idle_timeout_ms =
        o->session_idle_timeout_ms > 0 ? o->session_idle_timeout_ms : 30L * 60 * 1000;
    c->latency_ms = o->latency_ms > 0 ? o->latency_ms : 0;
    c->hang_ms = o->hang_ms > 0 ? o->hang_ms : 30000;
    c->rate_calls = o->rate_limit_calls > 0 ? o->rate_limit_calls : 0;
    c->rate_window_ms = o->rate_limit_window_ms;
    c->seed = !o->no_seed;
    c->plain_report_dates = o->plain_report_dates;
}

static void sbx_config_cleanup(struct sbx_config *c)
{
    free(c->host);
    free(c->client_id);
    free(c->username);
    free(c->password);
    free(c->password_b64);
}

static enum st sbx_listen(struct sandbox_pvx *sb, int port, struct errbuf *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    const union MHD_DaemonInfo *info;
    char port_s[16];
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION;
    int gai;

    snprintf(port_s, sizeof(port_s), "%d", port);
    gai = getaddrinfo(sb->cfg.host, port_s, &hints, &ai);
    if (gai != 0) {
        errbuf_set(err, "could not resolve sandbox host %s: %s", sb->cfg.host, gai_strerror(gai));
        return ST_FAIL;
    }
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    sb->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, sbx_on_request, sb,
                                  MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                  MHD_OPTION_NOTIFY_COMPLETED, sbx_on_completed, sb,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (sb->daemon == NULL) {
        errbuf_set(err, "could not listen on %s:%d", sb->cfg.host, port);
        return ST_FAIL;
    }
    info = MHD_get_daemon_info(sb->daemon, MHD_DAEMON_INFO_BIND_PORT);
    sb->port = info != NULL ? info->port : port;
    return ST_OK;
}

struct sandbox_pvx *sandbox_pvx_start(const struct sandbox_pvx_opts *opts, struct errbuf *err)
{
    static const struct sandbox_pvx_opts defaults;
    struct sandbox_pvx *sb = xcalloc(1, sizeof(*sb));
    pthread_condattr_t attr;

    xmlInitParser();
    sbx_config_init(&sb->cfg, opts ? opts : &defaults);
    pthread_mutex_init(&sb->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sb->wake, &attr);
    pthread_condattr_destroy(&attr);
    sbx_store_init(&sb->st, sb->cfg.seed);
    sbx_rate_set(&sb->st, sb->cfg.rate_calls, sb->cfg.rate_window_ms);
    if (sbx_listen(sb, opts ? opts->port : 0, err) != ST_OK) {
        sandbox_pvx_stop(sb);
        return NULL;
    }
    return sb;
}

int sandbox_pvx_port(const struct sandbox_pvx *sb)
{
    return sb->port;
}

void sandbox_pvx_stop(struct sandbox_pvx *sb)
{
    if (sb == NULL)
        return;
    pthread_mutex_lock(&sb->lock);
    sb->stopping = true;
    pthread_cond_broadcast(&sb->wake);
    pthread_mutex_unlock(&sb->lock);
    if (sb->daemon != NULL)
        MHD_stop_daemon(sb->daemon);
    sbx_store_cleanup(&sb->st);
    sbx_config_cleanup(&sb->cfg);
    pthread_cond_destroy(&sb->wake);
    pthread_mutex_destroy(&sb->lock);
    free(sb);
}
