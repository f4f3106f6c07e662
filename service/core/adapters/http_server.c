/*
 * http_server.c - libmicrohttpd adapter (see http_server.h).
 *
 * MHD calls the access handler several times per request: first with the
 * headers, then once per body chunk, then a last time with no data. The
 * per-request state lives in req_cls and is freed in the completion
 * callback on every path, including aborted connections.
 */
#include "http_server.h"

#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_opts opts;
    int port;
};

struct req_state {
    struct buf body;
    bool too_large;
    int64_t start_ms;
};

const char *http_header(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_reply_json_msg(struct http_response *resp, int status, const char *key,
                         const char *msg)
{
    resp->status = status;
    resp->content_type = "application/json";
    buf_reset(&resp->body);
    buf_append_str(&resp->body, "{\"");
    buf_append_str(&resp->body, key);
    buf_append_str(&resp->body, "\":\"");
    for (const char *p = msg; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_appendf(&resp->body, "\\%c", *p);
        else if ((unsigned char)*p >= 0x20)
            buf_append(&resp->body, p, 1);
    }
    buf_append_str(&resp->body, "\"}\n");
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *r)
{
    struct MHD_Response *mr = MHD_create_response_from_buffer(r->body.len, r->body.data,
                                                              MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (mr == NULL)
        return MHD_NO;
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "text/plain; charset=utf-8");
    if (r->allow != NULL)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, r->allow);
    ret = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static void log_request(const char *method, const char *path, const struct http_response *r,
                        double seconds)
{
    char qpath[256];
    char labels[128];

    snprintf(labels, sizeof(labels), "route=\"%s\"", r->route ? r->route : "other");
    metrics_observe("shopvox_http_request_duration_seconds", labels, seconds);
    if (r->route != NULL && strcmp(r->route, "metrics") == 0 && !log_enabled(LOG_DEBUG))
        return;
    log_msg(r->status >= 500 ? LOG_WARN : LOG_INFO,
            "event=http_request method=%s path=%s status=%d duration_ms=%.2f bytes=%zu", method,
            log_quote(path, qpath, sizeof(qpath)), r->status, seconds * 1000.0, r->body.len);
}

/* Answers a request whose body is complete (or refused). */
static enum MHD_Result finish(struct http_server *s, struct MHD_Connection *conn,
                              const char *method, const char *url, struct req_state *rs)
{
    struct http_request req = {method, url, buf_cstr(&rs->body), rs->body.len, conn};
    struct http_response resp = {500, NULL, NULL, NULL, {NULL, 0, 0, 0}};
    enum MHD_Result ret;

    buf_init(&resp.body, 0);
    if (rs->too_large) {
        resp.route = "too_large";
        http_reply_json_msg(&resp, 413, "error", "request body too large");
    } else {
        s->opts.handler(s->opts.ctx, &req, &resp);
    }
    ret = send_response(conn, &resp);
    log_request(method, url, &resp, (double)(now_ms_monotonic() - rs->start_ms) / 1000.0);
    buf_cleanup(&resp.body);
    return ret;
}

static bool declared_too_large(struct MHD_Connection *conn, size_t max)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);

    return cl != NULL && strtoull(cl, NULL, 10) > max;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **req_cls)
{
    struct http_server *s = cls;
    struct req_state *rs = *req_cls;

    if (rs == NULL) { /* first call: headers only */
        rs = xcalloc(1, sizeof(*rs));
        buf_init(&rs->body, s->opts.max_body_bytes);
        rs->start_ms = now_ms_monotonic();
        *req_cls = rs;
        if (declared_too_large(conn, s->opts.max_body_bytes)) {
            rs->too_large = true;
            return finish(s, conn, method, url, rs);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) { /* a chunk: keep the raw bytes for the HMAC */
        if (!rs->too_large && buf_append(&rs->body, upload_data, *upload_size) < 0) {
            rs->too_large = true;
            buf_cleanup(&rs->body);
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return finish(s, conn, method, url, rs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req_state *rs = *req_cls;

    if (rs == NULL)
        return;
    buf_cleanup(&rs->body);
    free(rs);
    *req_cls = NULL;
}

static int bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

    return info != NULL ? info->port : -1;
}

struct http_server *http_server_start(const struct http_server_opts *opts, struct errbuf *err)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    struct sockaddr_in addr;

    s->opts = *opts;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->host, &addr.sin_addr) != 1) {
        errbuf_set(err, "could not parse listen address %s (IPv4 expected)", opts->host);
        free(s);
        return NULL;
    }
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL,
        on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)opts->threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (s->daemon == NULL) {
        errbuf_set(err, "could not listen on %s:%d", opts->host, opts->port);
        free(s);
        return NULL;
    }
    s->port = bound_port(s->daemon);
    return s;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_quiesce(struct http_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);

    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

unsigned http_server_connections(const struct http_server *s)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

    return info != NULL ? info->num_connections : 0;
}

void http_server_stop(struct http_server *s)
{
    if (s == NULL)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
