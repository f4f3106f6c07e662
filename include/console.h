/*
 * console.h - the web page of the operations console: /ops/ on the
 * operations listener (the files of service/console/, compiled in), its
 * login and its sessions, which the admin API accepts through its session
 * hook (api_set_session_hook).
 *
 * Routes:
 *   GET  /ops/                 the page (index.html)
 *   GET  /ops/assets/<file>    its CSS and JavaScript (ETag, If-None-Match -> 304)
 *   POST /ops/login            {"token": "<a named admin token>"} -> a session cookie
 *                              and {"name","role","csrf_token","time_zone"}
 *   GET  /ops/session          the same answer for the cookie's session (401 without)
 *   POST /ops/logout           deletes the session (with its X-CSRF-Token)
 * Every answer carries the strict headers (CONSOLE_CSP and friends): no
 * inline script or style, no framing, no referrer, no sniffing.
 *
 * The login body is the one body the operations listener reads before
 * anyone is authenticated: only a POST to /ops/login with Content-Type
 * application/json and a declared Content-Length of at most
 * CONSOLE_LOGIN_MAX_BYTES (a chunked one is 411), and only while its
 * client is within the login limiter (console_auth.h; 429 beyond).
 */
#ifndef SHOPVOX_CONSOLE_H
#define SHOPVOX_CONSOLE_H

#include <stdbool.h>

#include "api.h"
#include "config.h"
#include "http_server.h"
#include "store.h"

#define CONSOLE_LOGIN_MAX_BYTES 4096
#define CONSOLE_CSP                                                                              \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "           \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct console;

/* Over a borrowed configuration and pool; NULL with err set when the tokens do not parse. */
struct console *console_create(const struct cfg *cfg, struct store_pool *pool,
                               struct errbuf *err);
void console_destroy(struct console *c);
/* Whether path is the page's (/ops or below). */
bool console_owns_path(const char *path);
/* The headers stage of a request under /ops that declares a body: true for a login's. */
bool console_admit(struct console *c, const struct http_request *req,
                   struct http_response *resp);
/* Answers a complete request under /ops. */
void console_handle(struct console *c, const struct http_request *req,
                    struct http_response *resp);
/*
 * The admin API's session hook (ctx = the console): the cookie's live
 * session, its token still configured under the same name (role from the
 * configuration as it is now); a write (any method but GET and HEAD)
 * without the session's X-CSRF-Token sets out->csrf_failed.
 */
bool console_session_hook(void *ctx, const struct http_request *req, struct api_caller *out);

#endif
