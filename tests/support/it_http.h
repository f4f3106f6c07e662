/*
 * it_http.h - talking HTTP to a server under test (libcurl, loopback only).
 *
 * Every call is one fresh connection with a 30 s ceiling; any thread may
 * call (libcurl's global init must have run first: a test that sends from
 * several threads calls curl_global_init before starting them).
 */
#ifndef SHOPVOX_IT_HTTP_H
#define SHOPVOX_IT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct it_resp {
    long status;   /* 0 when no answer */
    char *body;    /* owned, NUL-terminated, never NULL after a call */
};

/*
 * METHOD http://127.0.0.1:PORT/PATH with body (NULL: none) and extra header
 * lines (NULL-terminated, may be NULL). 0 when an answer came (any status,
 * also one sent before the upload ended), -1 when none. Free out with
 * it_resp_free either way.
 */
int it_http(int port, const char *method, const char *path, const char *body, size_t body_len,
            const char *const *headers, struct it_resp *out);
/* it_http, and the answer's header lines as received into *resp_headers (owned, free()). */
int it_http_with_headers(int port, const char *method, const char *path, const char *body,
                         size_t body_len, const char *const *headers, struct it_resp *out,
                         char **resp_headers);
/* The status of GET path (0 when no answer). */
long it_http_get_status(int port, const char *path);
void it_resp_free(struct it_resp *r);
/*
 * The value of header name (case-insensitive; the first one) in header
 * lines (it_http_with_headers's) into out (cap bytes, cut there): true
 * when present.
 */
bool it_header_value(const char *lines, const char *name, char *out, size_t cap);
/*
 * The value of one series of GET /metrics on ops_port, named exactly as
 * rendered ("shopvox_db_up", "shopvox_jobs{kind=\"x\",state=\"pending\"}"),
 * or -1 when it is absent or nothing answered.
 */
double it_metric(int ops_port, const char *series);

/*
 * POSTs body to /webhooks/shopline as Shopline would, for shop IT_SHOP,
 * with topic and webhook_id; sig_mode: "hex", "base64", "HEX" (upper-case
 * hex), "none" (no signature header) or "bad" (signed with another key).
 */
int it_post_webhook(int port, const char *topic, const char *webhook_id, const char *body,
                    const char *sig_mode, struct it_resp *out);

/*
 * Raw TCP to 127.0.0.1:port, for clients no library would be: a body
 * declared and never sent, headers or bodies trickled a few bytes at a
 * time. it_tcp_connect gives a blocking socket or -1; it_tcp_send sends a
 * string (0, or -1 once the server has closed).
 */
int it_tcp_connect(int port);
/* The same from a given loopback source address ("127.0.0.2"): another client. */
int it_tcp_connect_from(int port, const char *source);
int it_tcp_send(int fd, const char *s);
/*
 * The status of the answer on fd within timeout_ms: the HTTP status, 0 when
 * the server closed without one, -1 when nothing came in time.
 */
long it_tcp_status(int fd, int timeout_ms);
/* Whether the server closed fd within timeout_ms (any data before is discarded). */
int it_tcp_closed(int fd, int timeout_ms);

#endif
