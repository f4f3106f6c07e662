/*
 * http_server.c - libmicrohttpd adapter (see http_server.h).
 *
 * MHD calls the access handler several times per request: first with the
 * headers, then once per body chunk, then a last time with no data. The
 * per-request state lives in req_cls and is freed in the completion
 * callback on every path, including aborted connections.
 *
 * The first call decides whether a body will be read at all (admit, the
 * declared length against the cap, the budget); a refusal there is
 * queued before the body and MHD closes the connection after it without
 * reading on, except a declared length a little over the cap, which is
 * read, dropped and then refused (DISCARD_FACTOR). A refusal while a
 * chunked body arrives (cap or budget passed) stops reading at once: MHD
 * queues the answer if the state of the request allows it and otherwise
 * closes the connection.
 *
 * The budget is shared fairly: a client address (hashed into one of
 * HTTP_CLIENT_SLOTS slots) may hold at most a quarter of it, and never less
 * than one largest body. A well-formed but forged signature header lets a
 * body in before the HMAC can be checked, so without the share one address
 * reconnecting with slow bodies could keep the whole budget and turn every
 * real webhook away with 503; with it, Shopline's deliveries (from other
 * addresses) still find room.
 *
 * Deadlines: MHD has only an idle timeout, which a client sending a byte
 * every few seconds never trips. Each connection therefore has a watch
 * (its socket, the phase of its current request and since when) in a
 * list that MHD's connection callbacks keep; a watcher thread shuts down
 * the socket of a connection past its deadline, and MHD, seeing the end
 * of the stream, closes and frees it on its own thread. The watch leaves
 * the list under the same lock in MHD's close notification, which MHD
 * sends before it closes the descriptor, so a shutdown never reaches a
 * descriptor reused by another connection.
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
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define WATCH_TICK_MS 100

/*
 * A body declared over the cap, by up to this factor, is read and dropped
 * before its 413: a server that answers and closes with the body still
 * coming makes the kernel reset the connection, and a sender that does not
 * wait for 100-continue then sees a reset instead of the answer. Beyond
 * it, and for a chunked body past the cap, the answer comes unread.
 */
#define DISCARD_FACTOR 4u

enum phase { PHASE_HEADERS, PHASE_BODY, PHASE_ANSWER };

/* One open connection, as the deadline watcher sees it. */
struct conn_watch {
    struct conn_watch *prev, *next;
    int fd;
    enum phase phase;
    int64_t since_ms;  /* when the connection began waiting for the current request */
    bool cut;
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_opts opts;
    int port;
    atomic_size_t body_reserved;  /* bytes of body budget held by requests in flight */
    atomic_size_t client_reserved[HTTP_CLIENT_SLOTS]; /* the same, per client address slot */
    pthread_mutex_t watch_lock;   /* guards watches and stopping */
    pthread_cond_t watch_wake;
    struct conn_watch *watches;
    bool watching;                /* a deadline is set: the watcher thread runs */
    bool stopping;
    pthread_t watcher;
};

struct req_state {
    struct buf body;
    size_t reserved;   /* of the server's body budget */
    unsigned slot;     /* the client address's slot of the budget */
    bool refused;      /* answered before the body was complete */
    bool discarding;   /* over the cap but read on, unkept, to answer 413 once it is in */
    int64_t start_ns;
};

const char *http_header(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_client_addr(const struct http_request *r, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

    out[0] = '\0';
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)cap);
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

#define HTTP_MAX_EXTRA_HEADER_BYTES (16u * 1024u)

/* Stored as "name\0value\0" pairs, added to the answer in send_response. */
int http_response_header(struct http_response *resp, const char *name, const char *value)
{
    size_t n = strlen(name) + 1, v = strlen(value) + 1;

    if (strpbrk(name, "\r\n") != NULL || strpbrk(value, "\r\n") != NULL ||
        resp->headers.len + n + v > HTTP_MAX_EXTRA_HEADER_BYTES)
        return -1;
    buf_append(&resp->headers, name, n);
    buf_append(&resp->headers, value, v);
    return 0;
}

static void add_extra_headers(struct MHD_Response *mr, const struct buf *headers)
{
    const char *p = headers->data;

    if (headers->len == 0)
        return;
    while (p < headers->data + headers->len) {
        const char *value = p + strlen(p) + 1;

        MHD_add_response_header(mr, p, value);
        p = value + strlen(value) + 1;
    }
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
    add_extra_headers(mr, &r->headers);
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
              r->log_path != NULL ? r->log_path : path, LOG_I64("status", r->status), LOG_F64("duration_ms", seconds * 1000.0),
              LOG_I64("bytes", r->body.len), NULL);
}

/* ---- deadlines ---- */

static struct conn_watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci != NULL ? ci->socket_context : NULL;
}

/* Moves the connection's current request to phase (PHASE_HEADERS: a new wait begins). */
static void watch_phase(struct http_server *s, struct MHD_Connection *conn, enum phase phase)
{
    struct conn_watch *w;

    if (!s->watching || (w = watch_of(conn)) == NULL)
        return;
    pthread_mutex_lock(&s->watch_lock);
    w->phase = phase;
    if (phase == PHASE_HEADERS)
        w->since_ms = now_ms_monotonic();
    pthread_mutex_unlock(&s->watch_lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    struct conn_watch *w = *socket_context;
    const union MHD_ConnectionInfo *ci;

    pthread_mutex_lock(&s->watch_lock);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED && w == NULL) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        w = xcalloc(1, sizeof(*w));
        w->fd = ci != NULL ? ci->connect_fd : -1;
        w->since_ms = now_ms_monotonic();
        w->next = s->watches;
        if (s->watches != NULL)
            s->watches->prev = w;
        s->watches = w;
        *socket_context = w;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && w != NULL) {
        if (w->prev != NULL)
            w->prev->next = w->next;
        else
            s->watches = w->next;
        if (w->next != NULL)
            w->next->prev = w->prev;
        free(w);
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&s->watch_lock);
}

/* The deadline reason a watch is past at now, or NULL. */
static const char *watch_overdue(const struct http_server *s, const struct conn_watch *w,
                                 int64_t now)
{
    int64_t age = now - w->since_ms;

    if (w->cut || w->fd < 0 || w->phase == PHASE_ANSWER)
        return NULL;
    if (w->phase == PHASE_HEADERS && s->opts.header_deadline_ms > 0 &&
        age > s->opts.header_deadline_ms)
        return "header_deadline";
    if (s->opts.request_deadline_ms > 0 && age > s->opts.request_deadline_ms)
        return "request_deadline";
    return NULL;
}

static void *watcher_main(void *arg)
{
    struct http_server *s = arg;
    struct timespec wake;
    char labels[64];

    pthread_mutex_lock(&s->watch_lock);
    while (!s->stopping) {
        int64_t now = now_ms_monotonic();

        for (struct conn_watch *w = s->watches; w != NULL; w = w->next) {
            const char *reason = watch_overdue(s, w, now);

            if (reason == NULL)
                continue;
            shutdown(w->fd, SHUT_RDWR); /* MHD sees the end and closes on its own thread */
            w->cut = true;
            snprintf(labels, sizeof(labels), "reason=\"%s\"", reason);
            metrics_inc("shopvox_http_connections_cut_total", labels);
        }
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_nsec += WATCH_TICK_MS * 1000000L;
        wake.tv_sec += wake.tv_nsec / 1000000000L;
        wake.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&s->watch_wake, &s->watch_lock, &wake);
    }
    pthread_mutex_unlock(&s->watch_lock);
    return NULL;
}

/* ---- the body budget ---- */

/* The budget slot of the connection's client address (FNV-1a of its bytes). */
static unsigned client_slot(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const unsigned char *p = NULL;
    size_t n = 0;
    uint32_t h = 2166136261u;

    if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET) {
        p = (const unsigned char *)&((const struct sockaddr_in *)(const void *)ci->client_addr)
                ->sin_addr;
        n = 4;
    } else if (ci != NULL && ci->client_addr != NULL && ci->client_addr->sa_family == AF_INET6) {
        p = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)ci->client_addr)
                ->sin6_addr;
        n = 16;
    }
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h % HTTP_CLIENT_SLOTS;
}

/* Adds need to *counter unless that passes cap; false (nothing added) when it would. */
static bool counter_take(atomic_size_t *counter, size_t need, size_t cap)
{
    size_t cur = atomic_load(counter);

    do {
        if (need > cap || cur > cap - need)
            return false;
    } while (!atomic_compare_exchange_weak(counter, &cur, cur + need));
    return true;
}

/*
 * Grows the request's share of the budget to total bytes; false when the
 * budget, or its client's share of it, is spent.
 */
static bool budget_reserve(struct http_server *s, struct req_state *rs, size_t total)
{
    size_t budget = s->opts.body_budget_bytes;
    size_t share = budget / 4 > s->opts.max_body_bytes ? budget / 4 : s->opts.max_body_bytes;
    size_t need;

    if (budget == 0 || total <= rs->reserved)
        return true;
    need = total - rs->reserved;
    if (!counter_take(&s->client_reserved[rs->slot], need, share))
        return false;
    if (!counter_take(&s->body_reserved, need, budget)) {
        atomic_fetch_sub(&s->client_reserved[rs->slot], need);
        return false;
    }
    rs->reserved = total;
    return true;
}

static void budget_release(struct http_server *s, struct req_state *rs)
{
    atomic_fetch_sub(&s->body_reserved, rs->reserved);
    atomic_fetch_sub(&s->client_reserved[rs->slot], rs->reserved);
    rs->reserved = 0;
}

/* ---- requests ---- */

/*
 * The answer written straight to the socket, for a refusal in the middle
 * of a body, where MHD (0.9.x) queues no response; the caller then answers
 * MHD_NO and MHD closes the connection without reading on.
 */
static void send_raw_response(struct MHD_Connection *conn, const struct http_response *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const char *reason = MHD_get_reason_phrase_for((unsigned)r->status);
    char head[512];
    int n;

    if (ci == NULL)
        return;
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s%s"
                 "Connection: close\r\n\r\n",
                 r->status, reason, r->content_type, r->body.len,
                 r->retry_after ? "Retry-After: " : "", r->retry_after ? r->retry_after : "",
                 r->retry_after ? "\r\n" : "");
    if (send(ci->connect_fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
        send(ci->connect_fd, r->body.data, r->body.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(ci->connect_fd, SHUT_WR);
}

/*
 * Sends resp (unless it is a drop; raw: straight to the socket), logs it
 * and frees its body.
 */
static enum MHD_Result respond(struct http_server *s, struct MHD_Connection *conn,
                               const char *method, const char *url, struct req_state *rs,
                               struct http_response *resp, bool raw)
{
    enum MHD_Result ret = MHD_NO; /* a dropped reply: MHD closes the connection */

    watch_phase(s, conn, PHASE_ANSWER);
    if (raw)
        send_raw_response(conn, resp);
    else if (resp->drop)
        resp->status = 0; /* logged as no answer */
    else
        ret = send_response(conn, resp);
    if (!s->opts.quiet)
        log_request(method, url, resp, (double)(now_ns_monotonic() - rs->start_ns) / 1e9);
    buf_cleanup(&resp->body);
    buf_cleanup(&resp->headers);
    return ret;
}

/* Answers before the body is complete (mid_body: part of it is read); MHD reads no more. */
static enum MHD_Result refuse(struct http_server *s, struct MHD_Connection *conn,
                              const char *method, const char *url, struct req_state *rs,
                              bool mid_body, int status, const char *route, const char *msg)
{
    struct http_response resp = {.route = route};

    buf_init(&resp.body, 0);
    http_reply_json_msg(&resp, status, "error", msg);
    if (status == 503)
        resp.retry_after = "1";
    rs->refused = true;
    buf_cleanup(&rs->body);
    budget_release(s, rs);
    return respond(s, conn, method, url, rs, &resp, mid_body);
}

/* Answers a request whose body is complete. */
static enum MHD_Result finish(struct http_server *s, struct MHD_Connection *conn,
                              const char *method, const char *url, struct req_state *rs)
{
    struct http_request req = {method, url, buf_cstr(&rs->body), rs->body.len, conn};
    struct http_response resp = {.status = 500};

    buf_init(&resp.body, 0);
    watch_phase(s, conn, PHASE_ANSWER); /* the deadlines are the client's, not the handler's */
    s->opts.handler(s->opts.ctx, &req, &resp);
    return respond(s, conn, method, url, rs, &resp, false);
}

/* Whether the headers announce a body, and its length when they give it (else -1). */
static bool declares_body(struct MHD_Connection *conn, long long *length)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);

    *length = -1;
    if (te != NULL)
        return true;
    if (cl == NULL)
        return false;
    *length = strtoll(cl, NULL, 10);
    return *length != 0;
}

/* The first call: the headers decide whether the body is read at all. */
static enum MHD_Result on_headers(struct http_server *s, struct MHD_Connection *conn,
                                  const char *url, const char *method, struct req_state *rs)
{
    struct http_request req = {method, url, NULL, 0, conn};
    struct http_response resp = {.status = 500};
    long long length;

    watch_phase(s, conn, PHASE_BODY);
    if (!declares_body(conn, &length))
        return MHD_YES; /* answered on the last call, as any request */
    if (length > 0 &&
        (unsigned long long)length > DISCARD_FACTOR * (unsigned long long)s->opts.max_body_bytes)
        return refuse(s, conn, method, url, rs, false, 413, "too_large",
                      "request body too large");
    if (s->opts.admit != NULL) {
        buf_init(&resp.body, 0);
        if (!s->opts.admit(s->opts.ctx, &req, &resp)) {
            rs->refused = true;
            return respond(s, conn, method, url, rs, &resp, false);
        }
        buf_cleanup(&resp.body);
        buf_cleanup(&resp.headers);
    }
    if (length > 0 && (unsigned long long)length > s->opts.max_body_bytes) {
        rs->discarding = true; /* answered 413 on the last call, after the whole body */
        return MHD_YES;
    }
    if (length > 0 && !budget_reserve(s, rs, (size_t)length))
        return refuse(s, conn, method, url, rs, false, 503, "busy", "server busy; retry later");
    return MHD_YES;
}

/* A chunk of an admitted body: kept raw for the HMAC, within the cap and the budget. */
static enum MHD_Result on_chunk(struct http_server *s, struct MHD_Connection *conn,
                                const char *url, const char *method, struct req_state *rs,
                                const char *data, size_t n)
{
    size_t total = rs->body.len + n;

    if (rs->refused)
        return MHD_NO;
    if (rs->discarding)
        return MHD_YES; /* the declared length bounds it: DISCARD_FACTOR times the cap */
    if (total > s->opts.max_body_bytes || total < n)
        return refuse(s, conn, method, url, rs, true, 413, "too_large", "request body too large");
    if (!budget_reserve(s, rs, total))
        return refuse(s, conn, method, url, rs, true, 503, "busy", "server busy; retry later");
    if (buf_append(&rs->body, data, n) < 0) /* the cap, checked above: not reached */
        return refuse(s, conn, method, url, rs, true, 413, "too_large", "request body too large");
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **req_cls)
{
    struct http_server *s = cls;
    struct req_state *rs = *req_cls;
    size_t n;

    if (rs == NULL) { /* first call: headers only */
        rs = xcalloc(1, sizeof(*rs));
        buf_init(&rs->body, s->opts.max_body_bytes);
        rs->start_ns = now_ns_monotonic();
        rs->slot = client_slot(conn);
        *req_cls = rs;
        return on_headers(s, conn, url, method, rs);
    }
    if (*upload_size > 0) {
        n = *upload_size;
        *upload_size = 0;
        return on_chunk(s, conn, url, method, rs, upload_data, n);
    }
    if (rs->refused)
        return MHD_YES; /* the answer is queued already */
    if (rs->discarding)
        return refuse(s, conn, method, url, rs, false, 413, "too_large", "request body too large");
    return finish(s, conn, method, url, rs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req_state *rs = *req_cls;

    watch_phase(s, conn, PHASE_HEADERS); /* a kept-alive connection waits for the next one */
    if (rs == NULL)
        return;
    budget_release(s, rs);
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
    if (s->watching)
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
                                             (intptr_t)on_connection, s};
    extra[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr->sa,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT,
                            o->idle_timeout_s > 0 ? o->idle_timeout_s : 30u,
                            MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_ARRAY, extra,
                            MHD_OPTION_END);
}

static void server_free(struct http_server *s)
{
    pthread_mutex_destroy(&s->watch_lock);
    pthread_cond_destroy(&s->watch_wake);
    free(s);
}

struct http_server *http_server_start(const struct http_server_opts *opts, struct errbuf *err)
{
    struct http_server *s = xcalloc(1, sizeof(*s));
    union listen_addr addr;

    s->opts = *opts;
    s->watching = opts->header_deadline_ms > 0 || opts->request_deadline_ms > 0;
    atomic_init(&s->body_reserved, 0);
    pthread_mutex_init(&s->watch_lock, NULL);
    pthread_cond_init(&s->watch_wake, NULL);
    if (listen_address(opts, &addr, err) != ST_OK)
        goto fail;
    s->daemon = start_daemon(s, &addr);
    if (s->daemon == NULL) {
        errbuf_set(err, "could not listen on %s:%d", opts->host, opts->port);
        goto fail;
    }
    s->port = bound_port(s->daemon);
    if (s->watching) {
        metrics_describe("shopvox_http_connections_cut_total", MET_COUNTER,
                         "Connections cut past their header or request deadline");
        pthread_create(&s->watcher, NULL, watcher_main, s);
    }
    return s;
fail:
    server_free(s);
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
    if (s->watching) {
        pthread_mutex_lock(&s->watch_lock);
        s->stopping = true;
        pthread_cond_signal(&s->watch_wake);
        pthread_mutex_unlock(&s->watch_lock);
        pthread_join(s->watcher, NULL);
    }
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
