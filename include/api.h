/*
 * api.h - the admin API: JSON under /api/v1/ on the operations listener,
 * for the people who run the business (and, later, the /ops/ web page).
 *
 * Every request is authenticated before anything else: a named token
 * (admin_tokens.h) as `Authorization: Bearer <token>`, or a session the
 * embedder resolves through the session hook (api_set_session_hook; the
 * web page's cookie, console.h). A viewer reads; an operator also writes.
 * A body is read only for a write route, and only after its caller was
 * authenticated and found to be an operator (api_admit, at the headers
 * stage), up to API_MAX_BODY_BYTES. Conventions (errors, paging, one file
 * per resource, how to add a route) are in service/core/api/api_int.h and
 * the README's "Admin API" section.
 */
#ifndef SHOPVOX_API_H
#define SHOPVOX_API_H

#include <stdbool.h>
#include <stddef.h>

#include "admin_tokens.h"
#include "config.h"
#include "http_server.h"
#include "store.h"

#define API_PREFIX "/api/v1/"
/* The largest body a write takes (413 beyond, unread), and all of them at once. */
#define API_MAX_BODY_BYTES (64u * 1024u)
#define API_BODY_BUDGET_BYTES (16u * API_MAX_BODY_BYTES)

/* Who is calling: a token's entry, or a session's. */
struct api_caller {
    char name[ADMIN_NAME_MAX_BYTES];
    enum admin_role role;
    bool csrf_failed;   /* a session's write without its CSRF token: any write is 403 */
};

/*
 * The session seam: fills *out and returns true when req carries a valid
 * session (the web page's), false otherwise. Runs on an HTTP thread before
 * any route; must not block for long. A session that may not write this
 * request (its CSRF token missing or wrong) sets out->csrf_failed.
 */
typedef bool (*api_session_fn)(void *ctx, const struct http_request *req,
                               struct api_caller *out);

struct api;

/*
 * Creates the API over a borrowed configuration (its tokens, parsed again:
 * cfg_load checked them) and a borrowed pool; NULL with err set when the
 * tokens do not parse.
 */
struct api *api_create(const struct cfg *cfg, struct store_pool *pool, struct errbuf *err);
void api_destroy(struct api *a);
/* Installs the session hook (NULL: tokens only). */
void api_set_session_hook(struct api *a, api_session_fn fn, void *ctx);
/* Whether path is the API's (/api/v1 or below). */
bool api_owns_path(const char *path);
/*
 * The headers stage of a request that declares a body: true lets the body
 * in (an operator's write to a known route); false answers at once (401,
 * 403, 404, 405, or a read's own answer) without reading it.
 */
bool api_admit(struct api *a, const struct http_request *req, struct http_response *resp);
/* Answers a complete request under /api/v1. */
void api_handle(struct api *a, const struct http_request *req, struct http_response *resp);

/* ---- pure helpers (unit-tested) ---- */

#define API_MAX_PARAMS 4
#define API_PARAM_MAX_BYTES 128

/* The {name} segments of a matched path, in order. */
struct api_params {
    size_t n;
    char values[API_MAX_PARAMS][API_PARAM_MAX_BYTES];
};

/*
 * Whether path matches pattern segment by segment; a pattern segment
 * "{name}" matches any one non-empty segment of at most
 * API_PARAM_MAX_BYTES - 1 bytes, which goes into out (may be NULL). A
 * trailing '/' on path is not ignored.
 */
bool api_path_match(const char *pattern, const char *path, struct api_params *out);

/* Cursors are opaque to clients: base64url of "<kind>:<id>". */
#define API_CURSOR_MAX_BYTES 96
/* Encodes (kind, id) into out (API_CURSOR_MAX_BYTES). */
void api_cursor_encode(const char *kind, long long id, char *out, size_t cap);
/* Decodes a cursor of kind into *id (> 0); -1 when it is not one. */
int api_cursor_decode(const char *kind, const char *cursor, long long *id);

/*
 * Whether s is an ISO 8601 date or time the filters take: YYYY-MM-DD,
 * optionally followed by THH:MM[:SS[.fraction]] and Z or +HH:MM / -HH:MM.
 */
bool api_time_ok(const char *s);

#endif
