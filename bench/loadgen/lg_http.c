/*
 * lg_http.c - the load generator's HTTP/1.1 client (see lg_int.h): one
 * keep-alive connection per thread, plain http, blocking sockets.
 *
 * Why not libcurl: a generator that costs as much CPU per request as the
 * server it loads measures itself on a 2-core machine. libcurl's easy
 * interface polls before every read and write and keeps per-transfer state
 * the loadgen never needs; here a request is one sendmsg() of three pieces
 * (fixed headers, per-delivery headers, body) and an answer is usually one
 * recv(). Timeouts are the socket's (SO_SNDTIMEO, SO_RCVTIMEO, which also
 * bound connect()) plus a deadline checked after every read.
 *
 * The answer parser (lg_resp_parse) is pure so that it is tested on its own:
 * status line, Content-Length or chunked bodies (read to the end and
 * discarded), a body that runs to the close, interim 1xx answers, and
 * whether the server keeps the connection open.
 */
#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "lg_int.h"

/* ---- the answer ----------------------------------------------------------- */

/* The value of header name in the head [p, end), or NULL; *len its length. */
static const char *header_value(const char *p, const char *end, const char *name, size_t *len)
{
    size_t name_len = strlen(name);

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol != NULL ? eol : end;

        if ((size_t)(line_end - p) > name_len && p[name_len] == ':' &&
            strncasecmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1;

            while (v < line_end && (*v == ' ' || *v == '\t'))
                v++;
            while (line_end > v && (line_end[-1] == '\r' || line_end[-1] == ' '))
                line_end--;
            *len = (size_t)(line_end - v);
            return v;
        }
        p = eol != NULL ? eol + 1 : end;
    }
    return NULL;
}

static bool value_has(const char *v, size_t len, const char *token)
{
    size_t n = strlen(token);

    for (size_t i = 0; v != NULL && i + n <= len; i++) {
        if (strncasecmp(v + i, token, n) == 0)
            return true;
    }
    return false;
}

/* The number in s[0..len) in base 10 or 16 (digits only, no sign or space),
 * or -1 when there is none or it exceeds LG_RESP_MAX; *used (unless NULL):
 * digits read. */
static long bounded_number(const char *s, size_t len, int base, size_t *used)
{
    long v = 0;
    size_t i = 0;

    for (; i < len; i++) {
        int d = s[i] >= '0' && s[i] <= '9'               ? s[i] - '0'
                : base == 16 && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                : base == 16 && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                          : -1;
        if (d < 0)
            break;
        v = v * base + d;
        if (v > LG_RESP_MAX)
            return -1;
    }
    if (used != NULL)
        *used = i;
    return i > 0 ? v : -1;
}

/* Length of a complete chunked body at p, 0 when incomplete, -1 malformed. */
static long chunked_length(const char *p, size_t avail)
{
    size_t at = 0;

    for (;;) {
        const char *eol = memchr(p + at, '\n', avail - at);
        long size;

        if (eol == NULL)
            return avail - at > 64 ? -1 : 0;
        size = bounded_number(p + at, (size_t)(eol - (p + at)), 16, NULL);
        if (size < 0)
            return -1;
        at = (size_t)(eol - p) + 1;
        if (size == 0) { /* trailers, then an empty line */
            for (;;) {
                eol = memchr(p + at, '\n', avail - at);
                if (eol == NULL)
                    return 0;
                if (eol == p + at || (eol == p + at + 1 && p[at] == '\r'))
                    return (long)((size_t)(eol - p) + 1);
                at = (size_t)(eol - p) + 1;
            }
        }
        if (avail - at < (size_t)size + 2)
            return 0;
        at += (size_t)size;
        if (p[at] == '\r')
            at++;
        if (p[at] != '\n')
            return -1;
        at++;
    }
}

long lg_resp_parse(const char *buf, size_t len, bool eof, struct lg_resp *r)
{
    const char *head_end = NULL;
    const char *v;
    size_t vlen;
    size_t head_len;
    bool http10;
    long body;

    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
                               (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n'))) {
            head_end = buf + i + (buf[i + 1] == '\n' ? 2 : 3);
            break;
        }
    }
    if (head_end == NULL)
        return len >= LG_RESP_MAX ? -1 : 0;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
        buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' ||
        buf[11] > '9')
        return -1;
    head_len = (size_t)(head_end - buf);
    *r = (struct lg_resp){.status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0'};
    http10 = buf[7] == '0';
    v = header_value(buf, head_end, "Connection", &vlen);
    r->keep_alive = http10 ? value_has(v, vlen, "keep-alive") : !value_has(v, vlen, "close");
    if (r->status < 200 || r->status == 204 || r->status == 304)
        return (long)head_len;
    v = header_value(buf, head_end, "Transfer-Encoding", &vlen);
    if (value_has(v, vlen, "chunked")) {
        body = chunked_length(head_end, len - head_len);
        return body > 0 ? (long)head_len + body : body;
    }
    v = header_value(buf, head_end, "Content-Length", &vlen);
    if (v != NULL) {
        size_t digits;
        long n = bounded_number(v, vlen, 10, &digits);

        if (n < 0 || digits != vlen)
            return -1;
        return len - head_len >= (size_t)n ? (long)head_len + n : 0;
    }
    r->keep_alive = false; /* the body runs to the close */
    return eof ? (long)len : 0;
}

/* ---- the target ----------------------------------------------------------- */

static bool host_is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
           strncmp(host, "127.", 4) == 0;
}

/* Resolves host (brackets of an IPv6 literal dropped) and port into t. */
static bool resolve(struct lg_target *t, const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char name[256];
    size_t n = strlen(host);
    int rc;

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(name, sizeof(name), "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(name, sizeof(name), "%s", host);
    rc = getaddrinfo(name, port, &hints, &ai);
    if (rc != 0 || ai == NULL || ai->ai_addrlen > sizeof(t->addr)) {
        fprintf(stderr, "loadgen: cannot resolve \"%s\": %s\n", name,
                rc != 0 ? gai_strerror(rc) : "no address");
        if (ai != NULL)
            freeaddrinfo(ai);
        return false;
    }
    memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
    t->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return true;
}

bool lg_target_parse(const char *url, bool allow_remote, struct lg_target *t)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    bool ok = false;

    memset(t, 0, sizeof(*t));
    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        fprintf(stderr, "loadgen: invalid --url \"%s\"\n", url);
        goto out;
    }
    if (strcmp(scheme, "http") != 0) {
        fprintf(stderr,
                "loadgen: --url must be http, got \"%s\" (the generator measures the server, "
                "not a TLS terminator in front of it)\n",
                scheme);
        goto out;
    }
    if (!allow_remote && !host_is_loopback(host)) {
        fprintf(stderr,
                "loadgen: refusing non-loopback host \"%s\" (pass --allow-remote to load a "
                "server you own)\n",
                host);
        goto out;
    }
    (void)curl_url_get(u, CURLUPART_PORT, &port, 0);
    (void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
    if (strlen(host) + 8 >= sizeof(t->host) || strlen(path) + 1 >= sizeof(t->path) ||
        (query != NULL && strlen(path) + strlen(query) + 2 >= sizeof(t->path))) {
        fprintf(stderr, "loadgen: --url is too long\n");
        goto out;
    }
    snprintf(t->host, sizeof(t->host), "%s%s%s", host, port != NULL ? ":" : "",
             port != NULL ? port : "");
    snprintf(t->path, sizeof(t->path), "%s%s%s", path, query != NULL ? "?" : "",
             query != NULL ? query : "");
    ok = resolve(t, host, port != NULL ? port : "80");
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return ok;
}

/* ---- the connection ------------------------------------------------------- */

void lg_conn_init(struct lg_conn *c)
{
    c->fd = -1;
    c->connects = 0;
    c->in_len = 0;
}

void lg_conn_close(struct lg_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->in_len = 0;
}

static bool conn_open(struct lg_conn *c, const struct lg_target *t, long timeout_ms, char *err,
                      size_t err_len)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    int one = 1;

    c->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        snprintf(err, err_len, "socket: %s", strerror(errno));
        return false;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)); /* bounds connect() too */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(c->fd, (const struct sockaddr *)&t->addr, t->addr_len) != 0) {
        snprintf(err, err_len, "connect: %s",
                 errno == EINPROGRESS ? "timed out" : strerror(errno));
        lg_conn_close(c);
        return false;
    }
    c->connects++;
    return true;
}

/* Whether a send or receive error means the peer had closed the connection. */
static bool closed_by_peer(int e)
{
    return e == EPIPE || e == ECONNRESET;
}

/* "what: reason" for a failed send or receive (errno e) into err. */
static void io_error(char *err, size_t err_len, const char *what, int e)
{
    snprintf(err, err_len, "%s: %s", what,
             e == EAGAIN || e == EWOULDBLOCK ? "timed out" : strerror(e));
}

/* Sends every byte of iov[0..n) (a copy: partial writes advance it); *closed:
 * it failed because the server had closed the connection. */
static bool send_all(struct lg_conn *c, const struct iovec *iov_in, int n, bool *closed,
                     char *err, size_t err_len)
{
    struct iovec iov[4];
    struct msghdr msg = {.msg_iov = iov};

    msg.msg_iovlen = (size_t)(n < 4 ? n : 4);
    memcpy(iov, iov_in, sizeof(*iov) * msg.msg_iovlen);
    while (msg.msg_iovlen > 0) {
        ssize_t sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0) {
            *closed = closed_by_peer(errno);
            io_error(err, err_len, "send", errno);
            return false;
        }
        while (msg.msg_iovlen > 0 && (size_t)sent >= msg.msg_iov->iov_len) {
            sent -= (ssize_t)msg.msg_iov->iov_len;
            msg.msg_iov++;
            msg.msg_iovlen--;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + sent;
            msg.msg_iov->iov_len -= (size_t)sent;
        }
    }
    return true;
}

/* Reads one final answer (interim 1xx skipped); *closed: it failed because
 * the server closed the connection before sending a byte of it. */
static bool read_answer(struct lg_conn *c, int64_t deadline_ms, struct lg_resp *r,
                        bool *closed, char *err, size_t err_len)
{
    bool eof = false;
    bool got_any = false;

    for (;;) {
        ssize_t n;
        long used = lg_resp_parse(c->in, c->in_len, eof, r);

        if (used < 0) {
            snprintf(err, err_len, "receive: malformed or oversized answer");
            return false;
        }
        if (used > 0) {
            memmove(c->in, c->in + used, c->in_len - (size_t)used);
            c->in_len -= (size_t)used;
            if (r->status >= 200)
                return true;
            continue;
        }
        if (eof) {
            *closed = !got_any;
            snprintf(err, err_len, "receive: connection closed %s",
                     got_any ? "in the middle of an answer" : "before an answer");
            return false;
        }
        if (now_ms_monotonic() > deadline_ms) {
            snprintf(err, err_len, "receive: timed out");
            return false;
        }
        n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *closed = !got_any && closed_by_peer(errno);
            io_error(err, err_len, "receive", errno);
            return false;
        }
        if (n == 0)
            eof = true;
        else
            got_any = true;
        c->in_len += (size_t)n;
    }
}

bool lg_conn_exchange(struct lg_conn *c, const struct lg_target *t, const struct iovec *req,
                      int n_iov, long timeout_ms, int *status, char *err, size_t err_len)
{
    int64_t deadline_ms = now_ms_monotonic() + timeout_ms;

    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->fd >= 0;
        bool closed = false;
        struct lg_resp r;

        if (!reused && !conn_open(c, t, timeout_ms, err, err_len))
            return false;
        c->in_len = 0;
        if (send_all(c, req, n_iov, &closed, err, err_len) &&
            read_answer(c, deadline_ms, &r, &closed, err, err_len)) {
            *status = r.status;
            if (!r.keep_alive)
                lg_conn_close(c);
            return true;
        }
        lg_conn_close(c);
        /* a kept-alive connection the server had closed: once more on a new one, as
         * libcurl does; anything else (a timeout, an answer cut short, a second
         * failure) is the outcome */
        if (!reused || !closed)
            return false;
    }
    return false;
}
