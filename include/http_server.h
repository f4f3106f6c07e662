/*
 * http_server.h - the HTTP front door (thin adapter over libmicrohttpd).
 *
 * The server owns the request lifecycle: it collects the raw body under a
 * hard cap (413 past it, without buffering the excess), times every
 * request, logs one line per request and feeds the duration histogram.
 * The application supplies one handler that fills a response; it runs on
 * one of the server's threads and may block (database work).
 *
 * Bytes from the internet cost memory before anyone is authenticated, so
 * a body is read only when the headers earn it: the admit callback sees
 * the headers of a request that declares a body and either lets the body
 * in or answers at once (405, 401, 404...), before a byte of body is read.
 * Admitted bodies draw on one budget for the whole server (503 beyond it,
 * the declared length reserved up front, a chunked body as it arrives),
 * and a chunked body is cut the moment it passes the cap. Two deadlines
 * are counted from the moment a connection waits for a request: its
 * headers must be complete within header_deadline_ms, and the whole
 * request (headers and body) within request_deadline_ms; a watcher
 * thread shuts the socket of a connection past either, so a client
 * trickling a byte at a time holds nothing for longer than that.
 *
 * The same adapter serves the sandbox's fake outside APIs, which need a
 * few things the service does not: a thread per connection (a fake may
 * hold a call for seconds), a longer idle timeout, names and IPv6 for the
 * listen address, silence, a Retry-After header, headers of its own (a
 * link to the next page, a trace id), and a reply that is never
 * sent (the connection closes, as when a reply is lost). Each is a field
 * whose zero value keeps the service's behaviour. No server shares its
 * port (no SO_REUSEPORT): another process of the same user must not be
 * able to take a share of the webhooks.
 */
#ifndef SHOPVOX_HTTP_SERVER_H
#define SHOPVOX_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "common.h"

struct http_request {
    const char *method;
    const char *path;      /* without the query string */
    const char *body;      /* raw bytes, NUL-terminated for convenience */
    size_t body_len;
    void *conn;            /* opaque: used by http_header/http_query */
};

/* A request header (case-insensitive name) or NULL; borrowed. */
const char *http_header(const struct http_request *r, const char *name);
/* A query-string argument or NULL; borrowed. */
const char *http_query(const struct http_request *r, const char *name);
/* The client's address as text into out (cap >= 46), "" when unknown (a limiter's key). */
void http_client_addr(const struct http_request *r, char *out, size_t cap);

struct http_response {
    int status;
    const char *content_type;  /* static string */
    const char *route;         /* static label for metrics, e.g. "webhook" */
    const char *allow;         /* Allow header for 405, or NULL */
    const char *retry_after;   /* Retry-After header (static string), or NULL */
    const char *log_path;      /* the path as the access log shows it (static string), or
                                * NULL for the request's own: a path that carries a secret */
    bool drop;                 /* true: close the connection without an answer */
    struct buf body;           /* owned by the server */
    struct buf headers;        /* extra headers (http_response_header); owned by the server */
};

/*
 * Adds a response header (a fake's link or traceId); name and value are
 * copied. -1, and nothing added, when either holds CR or LF or the extra
 * headers would pass 16 KiB.
 */
int http_response_header(struct http_response *resp, const char *name, const char *value);

/* Sets status and a small JSON {"error": msg} or {"status": msg} body. */
void http_reply_json_msg(struct http_response *resp, int status, const char *key,
                         const char *msg);

typedef void (*http_handler_fn)(void *ctx, const struct http_request *req,
                                struct http_response *resp);

/*
 * Called with the headers of a request that declares a body (body NULL,
 * body_len 0), before any of it is read: true lets the body in (the
 * handler answers once it is complete), false sends resp at once and
 * closes the connection without reading the body.
 */
typedef bool (*http_admit_fn)(void *ctx, const struct http_request *req,
                              struct http_response *resp);

/* Client addresses are hashed into this many slots of the body budget. */
#define HTTP_CLIENT_SLOTS 256

struct http_server_opts {
    const char *host;        /* bind address, e.g. "0.0.0.0" */
    int port;                /* 0 = any free port */
    int threads;
    size_t max_body_bytes;
    http_handler_fn handler;
    void *ctx;              /* passed to handler and admit */
    /* Zero (NULL) switches each of these off: the sandbox's fakes leave them so. */
    http_admit_fn admit;         /* NULL: every body is read */
    size_t body_budget_bytes;    /* bodies buffered at once, all connections together; one
                                  * client address holds at most a quarter of it (at least
                                  * max_body_bytes) */
    int header_deadline_ms;      /* headers complete within this, or the connection is cut */
    int request_deadline_ms;     /* headers and body complete within this, or cut */
    /* Zero keeps the service's settings; the sandbox's fakes change them. */
    bool thread_per_connection; /* instead of a pool of `threads`: a handler may block
                                 * for long without holding up other connections */
    unsigned idle_timeout_s;    /* an idle connection is closed after; 0 -> 30 */
    bool resolve_host;          /* host may be a name or IPv6; false: an IPv4 literal */
    bool quiet;                 /* no request log line, no duration histogram */
};

struct http_server;

/* Starts listening and serving on the server's own threads, or NULL with err set. */
struct http_server *http_server_start(const struct http_server_opts *opts, struct errbuf *err);
/* The bound port (useful with port 0). */
int http_server_port(const struct http_server *s);
/* Stops accepting new connections; in-flight requests continue. */
void http_server_quiesce(struct http_server *s);
/* Connections currently open. */
unsigned http_server_connections(const struct http_server *s);
/* Stops the server (waits for handler threads); NULL ok. */
void http_server_stop(struct http_server *s);

#endif
