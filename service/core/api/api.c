/*
 * api.c - the admin API's front: lifecycle, authentication, dispatch
 * (see api.h; the conventions are in api_int.h).
 *
 * The order of checks is the security contract, the same at the headers
 * stage (api_admit) and for a complete request (api_handle):
 *   1. who is calling (api_caller_resolve): none -> 401 with
 *      WWW-Authenticate: Bearer, before the path is even looked at, so an
 *      unauthenticated client learns nothing about the routes;
 *   2. the route: none for the path -> 404, none for the method -> 405
 *      with Allow;
 *   3. the role: a write by a viewer -> 403, and a session's write
 *      without its CSRF token -> 403 (the hook says which);
 *   4. only then is a body read (a write's, capped by the listener at
 *      API_MAX_BODY_BYTES) and a database connection taken.
 * Every answer carries Cache-Control: no-store (it may name customers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

struct api *api_create(const struct cfg *cfg, struct store_pool *pool, struct errbuf *err)
{
    struct api *a = xcalloc(1, sizeof(*a));

    a->cfg = cfg;
    a->pool = pool;
    if (admin_tokens_parse(&a->tokens, cfg->admin_tokens, cfg->admin_token, err) < 0) {
        free(a);
        return NULL;
    }
    return a;
}

void api_destroy(struct api *a)
{
    free(a);
}

void api_set_session_hook(struct api *a, api_session_fn fn, void *ctx)
{
    a->session_fn = fn;
    a->session_ctx = ctx;
}

bool api_owns_path(const char *path)
{
    return strcmp(path, "/api/v1") == 0 || strncmp(path, API_PREFIX, strlen(API_PREFIX)) == 0;
}

/*
 * The route for method and path (params filled), or NULL with allow set
 * to the methods the path has ("" when none).
 */
static const struct api_route *route_find(const char *method, const char *path,
                                          struct api_params *params, char *allow, size_t cap)
{
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;

    allow[0] = '\0';
    for (size_t i = 0; i < api_n_routes; i++)
        if (strcmp(api_routes[i].method, m) == 0 &&
            api_path_match(api_routes[i].pattern, path, params))
            return &api_routes[i];
    for (size_t i = 0; i < api_n_routes; i++) {
        const char *add = strcmp(api_routes[i].method, "GET") == 0 ? "GET, HEAD" : "POST";

        if (api_path_match(api_routes[i].pattern, path, NULL) && strstr(allow, add) == NULL)
            snprintf(allow + strlen(allow), cap - strlen(allow), "%s%s", allow[0] ? ", " : "",
                     add);
    }
    return NULL;
}

/*
 * Steps 1-3 of the contract for r (caller, route, role): the route, or
 * NULL after answering.
 */
static const struct api_route *authorize(struct api *a, struct api_req *r)
{
    const struct api_route *route;
    char allow[64];

    r->resp->route = "api";
    http_response_header(r->resp, "Cache-Control", "no-store");
    if (!api_caller_resolve(a, r->http, &r->caller)) {
        http_response_header(r->resp, "WWW-Authenticate", "Bearer realm=\"shopvox\"");
        api_error(r->resp, 401, API_E_UNAUTHORIZED,
                  "missing or unknown token: send Authorization: Bearer <token>");
        return NULL;
    }
    route = route_find(r->http->method, r->http->path, &r->params, allow, sizeof(allow));
    if (route == NULL && allow[0] == '\0') {
        api_error(r->resp, 404, API_E_NOT_FOUND, "no such resource: %.200s", r->http->path);
        return NULL;
    }
    if (route == NULL) {
        http_response_header(r->resp, "Allow", allow);
        api_error(r->resp, 405, API_E_METHOD, "method %.16s not allowed here; allowed: %s",
                  r->http->method, allow);
        return NULL;
    }
    r->resp->route = route->label;
    if (route->write && r->caller.role != ADMIN_ROLE_OPERATOR) {
        api_error(r->resp, 403, API_E_FORBIDDEN, "%s is a viewer: this needs the operator role",
                  r->caller.name);
        return NULL;
    }
    if (route->write && r->caller.csrf_failed) {
        api_error(r->resp, 403, API_E_FORBIDDEN,
                  "a write from the page needs its session's X-CSRF-Token header");
        return NULL;
    }
    return route;
}

bool api_admit(struct api *a, const struct http_request *req, struct http_response *resp)
{
    struct api_req r = {.api = a, .http = req, .resp = resp};
    const struct api_route *route = authorize(a, &r);

    if (route == NULL)
        return false;
    if (route->write)
        return true;
    buf_reset(&resp->headers); /* a read with a body: answered as if it had none */
    api_handle(a, req, resp);
    return false;
}

/* A write's body: an object ({} when empty); false after answering 400. */
static bool body_parse(struct api_req *r)
{
    struct json_tokener *tok;

    if (r->http->body_len == 0) {
        r->body = json_object_new_object();
        return true;
    }
    tok = json_tokener_new();
    r->body = json_tokener_parse_ex(tok, r->http->body, (int)r->http->body_len);
    if (json_tokener_get_error(tok) != json_tokener_success ||
        (size_t)json_tokener_get_parse_end(tok) != r->http->body_len ||
        !json_object_is_type(r->body, json_type_object)) {
        json_object_put(r->body);
        r->body = NULL;
        api_error(r->resp, 400, API_E_INVALID, "the body must be one JSON object");
    }
    json_tokener_free(tok);
    return r->body != NULL;
}

void api_handle(struct api *a, const struct http_request *req, struct http_response *resp)
{
    struct api_req r = {.api = a, .http = req, .resp = resp, .shop = a->cfg->shop_domain};
    const struct api_route *route = authorize(a, &r);

    if (route == NULL || (route->write && !body_parse(&r)))
        return;
    r.db = store_pool_acquire(a->pool, API_DB_ACQUIRE_TIMEOUT_MS);
    if (r.db == NULL) {
        resp->retry_after = "1";
        api_error(resp, 503, API_E_UNAVAILABLE, "no database connection free; retry later");
    } else {
        route->fn(&r);
    }
    store_pool_release(a->pool, r.db);
    json_object_put(r.body);
}
