/*
 * http_server.c - libmicrohttpd adapter (see http_server.h).
 *
 * MHD calls the access handler several times per request: first with the
 * headers, then once per body chunk, then a last time with no data. The
 * per-request state lives in req_cls and is freed in the completion
 * callback on every path, including aborted connections.
 *
 * Two threading models: the service's pool of epoll threads (handlers
 * block only briefly, on the database), and for the sandbox's fakes a
 * thread per connection, so a call a fake holds for seconds never delays
 * another. A response marked drop is never queued: the access handler
 * answers MHD_NO and MHD closes the connection, which the client sees as a
 * reply lost after the request was taken.
 */
#include "http_server.h"

#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
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
    if (r->retry_after != NULL)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, r->retry_after);
    ret = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static void log_request(const char *method, const char *path, const struct http_response *r,
                        double seconds)
{
    char labels[128];

    snprintf(labels, sizeof(labels), "route=\"%s\"", r->route ? r->route : "other");
    metrics_observe("shopvox_http_request_duration_seconds", labels, seconds);
    if (r->route != NULL && strcmp(r->route, "metrics") == 0 && !log_enabled(LOG_DEBUG))
        return;
    log_event(r->status >= 500 ? LOG_WARN : LOG_INFO, "http_request", "method", method, "path",
              path, LOG_I64("status", r->status), LOG_F64("duration_ms", seconds * 1000.0),
              LOG_I64("bytes", r->body.len), NULL);
}

/* Answers a request whose body is complete (or refused). */
static enum MHD_Result finish(struct http_server *s, struct MHD_Connection *conn,
                              const char *method, const char *url, struct req_state *rs)
{
    struct http_request req = {method, url, buf_cstr(&rs->body), rs->body.len, conn};
    struct http_response resp = {.status = 500};
    enum MHD_Result ret = MHD_NO; /* a dropped reply: MHD closes the connection */

    buf_init(&resp.body, 0);
    if (rs->too_large) {
        resp.route = "too_large";
        http_reply_json_msg(&resp, 413, "error", "request body too large");
    } else {
        s->opts.handler(s->opts.ctx, &req, &resp);
    }
    if (resp.drop)
        resp.status = 0; /* logged as no answer */
    else
        ret = send_response(conn, &resp);
    if (!s->opts.quiet)
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

union listen_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* The address to bind: an IPv4 literal or, with resolve_host, what getaddrinfo finds first. */
static enum st listen_address(const struct http_server_opts *opts, union listen_addr *addr,
                              struct errbuf *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[16];
    int gai;

    memset(addr, 0, sizeof(*addr));
    if (!opts->resolve_host) {
        addr->in.sin_family = AF_INET;
        addr->in.sin_port = htons((uint16_t)opts->port);
        if (inet_pton(AF_INET, opts->host, &addr->in.sin_addr) == 1)
            return ST_OK;
        errbuf_set(err, "could not parse listen address %s (IPv4 expected)", opts->host);
        return ST_FAIL;
    }
    snprintf(port, sizeof(port), "%d", opts->port);
    gai = getaddrinfo(opts->host, port, &hints, &ai);
    if (gai != 0) {
        errbuf_set(err, "could not resolve listen address %s: %s", opts->host,
                   gai_strerror(gai));
        return ST_FAIL;
    }
    if (ai->ai_addrlen <= sizeof(*addr))
        memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return ST_OK;
}

static struct MHD_Daemon *start_daemon(struct http_server *s, union listen_addr *addr)
{
    const struct http_server_opts *o = &s->opts;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC;
    struct MHD_OptionItem extra[3];
    size_t n = 0;

    if (o->thread_per_connection)
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO;
    else
        flags |= MHD_USE_EPOLL;
    if (addr->sa.sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (!o->thread_per_connection)
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, o->threads, NULL};
    if (!o->exclusive_port)
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL};
    extra[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr->sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT,
                            o->idle_timeout_s > 0 ? o->idle_timeout_s : 30u,
                            MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_ARRAY, extra,
                            MHD_OPTION_END);
}

struct http_server *http_server_start(const struct http_server_opts *opts, struct errbuf *err)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    union listen_addr addr;

    s->opts = *opts;
    if (listen_address(opts, &addr, err) != ST_OK)
        goto fail;
    s->daemon = start_daemon(s, &addr);
    if (s->daemon == NULL) {
        errbuf_set(err, "could not listen on %s:%d", opts->host, opts->port);
        goto fail;
    }
    s->port = bound_port(s->daemon);
    return s;
fail:
    free(s);
    return NULL;
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
