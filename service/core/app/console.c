/*
 * console.c - the web page, its login and its sessions (see console.h).
 *
 * Sessions. A login exchanges a named admin token for a session: 256
 * random bits (OpenSSL's RAND_bytes) as the cookie's value, of which only
 * the SHA-256 is stored (console_sessions, migration 022), so that every
 * replica knows every session and a copy of the table opens none. The
 * cookie is HttpOnly (no script reads it), SameSite=Strict (no other site
 * makes the browser send it) and Path=/ (the page and the API share it);
 * Secure when SHOPVOX_CONSOLE_SECURE_COOKIE says the page is served over
 * TLS. A session ends after SHOPVOX_CONSOLE_SESSION_IDLE_S unused, at
 * logout, or when its token is removed or replaced (the row keeps a
 * fingerprint of the token's digest, checked on every use).
 *
 * CSRF. SameSite=Strict already keeps the cookie off other sites'
 * requests; on top of it every session has a synchronizer token (128
 * random bits, in the row) that the page receives with the login (or
 * from /ops/session after a reload) and sends as X-CSRF-Token with every
 * write. The hook compares it in constant time; a write without it is
 * 403 whatever the role. Bearer-token callers never have a cookie and are
 * not concerned. A login must be application/json, which a form of
 * another site cannot send without a CORS preflight that fails here.
 *
 * Login limits, two: each process counts every login try per client
 * address in memory (console_admit: a flood is answered 429 before the
 * body is read or the database asked), and the failed ones are counted in
 * console_login_failures (migration 029), which every replica reads before
 * it looks at a token, so N replicas behind one address do not give a
 * guesser N times the tries.
 */
#include "console.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "console_assets.h"
#include "console_auth.h"
#include "log.h"
#include "session_store.h"

#define ASSETS_PREFIX "/ops/assets/"
#define DB_ACQUIRE_TIMEOUT_MS 2000
#define CSRF_RANDOM_BYTES 16

struct console {
    const struct cfg *cfg;
    struct store_pool *pool;
    struct admin_tokens tokens;
    struct console_limiter limiter;
};

struct console *console_create(const struct cfg *cfg, struct store_pool *pool,
                               struct errbuf *err)
{
    struct console *c = xcalloc(1, sizeof(*c));

    c->cfg = cfg;
    c->pool = pool;
    if (admin_tokens_parse(&c->tokens, cfg->admin_tokens, cfg->admin_token, err) < 0) {
        free(c);
        return NULL;
    }
    console_limiter_init(&c->limiter);
    return c;
}

void console_destroy(struct console *c)
{
    if (c == NULL)
        return;
    console_limiter_cleanup(&c->limiter);
    free(c);
}

bool console_owns_path(const char *path)
{
    return strcmp(path, "/ops") == 0 || strncmp(path, "/ops/", 5) == 0;
}

/* The strict headers every answer of the page carries. */
static void strict_headers(struct http_response *resp)
{
    resp->route = "console";
    http_response_header(resp, "Content-Security-Policy", CONSOLE_CSP);
    http_response_header(resp, "X-Content-Type-Options", "nosniff");
    http_response_header(resp, "Referrer-Policy", "no-referrer");
    http_response_header(resp, "X-Frame-Options", "DENY");
}

/* {"error": {"code", "message"}}, as the admin API's errors. */
static void reply_error(struct http_response *resp, int status, const char *code,
                        const char *message)
{
    struct json_object *o = json_object_new_object(), *e = json_object_new_object();

    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_object_add(o, "error", e);
    resp->status = status;
    resp->content_type = "application/json";
    buf_reset(&resp->body);
    buf_append_str(&resp->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

/* SHA-256 of text (NUL-terminated) as hex. */
static void sha256_hex(const void *data, size_t n, char out[SESSION_HASH_HEX_BYTES])
{
    unsigned char d[SHA256_DIGEST_LENGTH];

    SHA256(data, n, d);
    console_hex(d, sizeof(d), out);
}

/* The cookie's session hash (hex), or false when the request has no session cookie. */
static bool cookie_hash(const struct http_request *req, char out[SESSION_HASH_HEX_BYTES])
{
    char value[CONSOLE_SESSION_HEX_BYTES];

    if (!console_cookie_get(http_header(req, "Cookie"), CONSOLE_COOKIE, value, sizeof(value)) ||
        strlen(value) != CONSOLE_SESSION_HEX_BYTES - 1)
        return false;
    sha256_hex(value, strlen(value), out);
    return true;
}

/* The configured token named name whose fingerprint is fp, or NULL (removed or replaced). */
static const struct admin_token *token_current(const struct console *c, const char *name,
                                               const char *fp)
{
    char now_fp[SESSION_HASH_HEX_BYTES];

    for (size_t i = 0; i < c->tokens.n; i++) {
        if (strcmp(c->tokens.items[i].name, name) != 0)
            continue;
        sha256_hex(c->tokens.items[i].digest, ADMIN_DIGEST_BYTES, now_fp);
        return CRYPTO_memcmp(now_fp, fp, SESSION_HASH_HEX_BYTES - 1) == 0 ? &c->tokens.items[i]
                                                                          : NULL;
    }
    return NULL;
}

/* The request's live session into *row and *tok; false when it has none. */
static bool session_find(struct console *c, const struct http_request *req,
                         struct session_row *row, const struct admin_token **tok)
{
    char hash[SESSION_HASH_HEX_BYTES];
    struct store_conn *db;
    struct errbuf err = {""};
    enum st st;
    int found;

    if (!cookie_hash(req, hash))
        return false;
    db = store_pool_acquire(c->pool, DB_ACQUIRE_TIMEOUT_MS);
    if (db == NULL)
        return false;
    found = session_store_touch(db, c->cfg->shop_domain, hash, c->cfg->console_session_idle_s,
                                row, &st, &err);
    store_pool_release(c->pool, db);
    if (found < 0)
        log_event(LOG_WARN, "console_session_failed", "error", err.msg, NULL);
    *tok = found == 1 ? token_current(c, row->token_name, row->token_fp) : NULL;
    return *tok != NULL;
}

static bool csrf_ok(const struct http_request *req, const struct session_row *row)
{
    const char *h = http_header(req, "X-CSRF-Token");

    return h != NULL && strlen(h) == strlen(row->csrf) &&
           CRYPTO_memcmp(h, row->csrf, strlen(row->csrf)) == 0;
}

static bool is_read(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

bool console_session_hook(void *ctx, const struct http_request *req, struct api_caller *out)
{
    struct session_row row;
    const struct admin_token *tok;

    if (!session_find(ctx, req, &row, &tok))
        return false;
    memcpy(out->name, tok->name, sizeof(out->name));
    out->role = tok->role;
    out->csrf_failed = !is_read(req->method) && !csrf_ok(req, &row);
    return true;
}

/* {"name","role","csrf_token","time_zone"}: what the page needs to start. */
static void reply_session(struct console *c, struct http_response *resp,
                          const struct admin_token *tok, const char *csrf)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "name", json_object_new_string(tok->name));
    json_object_object_add(o, "role", json_object_new_string(admin_role_name(tok->role)));
    json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
    json_object_object_add(o, "time_zone", json_object_new_string(c->cfg->pvx_timezone));
    resp->status = 200;
    resp->content_type = "application/json";
    buf_append_str(&resp->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

/* The token of a login body {"token": "..."}, or NULL. */
static const struct admin_token *login_token(const struct console *c,
                                             const struct http_request *req)
{
    struct json_object *o = json_tokener_parse(req->body != NULL ? req->body : "");
    struct json_object *t = NULL;
    const struct admin_token *tok = NULL;

    if (o != NULL && json_object_object_get_ex(o, "token", &t) &&
        json_object_is_type(t, json_type_string) &&
        json_object_get_string_len(t) <= ADMIN_TOKEN_MAX_BYTES)
        tok = admin_tokens_match(&c->tokens, json_object_get_string(t),
                                 (size_t)json_object_get_string_len(t));
    json_object_put(o);
    return tok;
}

/*
 * Whether the login from req's client may go on: false after answering 429
 * (its failures, counted by every replica, reached the limit this window)
 * or 503 (no database).
 */
static bool login_allowed(struct console *c, struct store_conn *db, const char *client,
                          struct http_response *resp)
{
    struct errbuf err = {""};
    enum st st;
    int blocked = db == NULL ? -1
                             : session_store_login_blocked(db, c->cfg->shop_domain, client,
                                                           CONSOLE_LOGIN_WINDOW_S,
                                                           CONSOLE_LOGIN_FAILURES_PER_WINDOW,
                                                           &st, &err);

    if (blocked < 0) {
        log_event(LOG_WARN, "console_login_failed", "error", db ? err.msg : "no connection",
                  NULL);
        resp->retry_after = "1";
        reply_error(resp, 503, "unavailable", "no database; retry later");
    } else if (blocked) {
        resp->retry_after = "60";
        reply_error(resp, 429, "too_many_requests", "too many failed logins; wait a minute");
    }
    return blocked == 0;
}

static void route_login(struct console *c, const struct http_request *req,
                        struct http_response *resp)
{
    unsigned char id[CONSOLE_SESSION_BYTES], csrf_raw[CSRF_RANDOM_BYTES];
    char value[CONSOLE_SESSION_HEX_BYTES], hash[SESSION_HASH_HEX_BYTES], cookie[256];
    char client[64];
    struct session_row row = {.csrf = ""};
    const struct admin_token *tok;
    struct store_conn *db = store_pool_acquire(c->pool, DB_ACQUIRE_TIMEOUT_MS);
    struct errbuf err = {""};
    enum st st;

    http_client_addr(req, client, sizeof(client));
    if (!login_allowed(c, db, client, resp))
        goto out;
    tok = login_token(c, req);
    if (tok == NULL) {
        log_event(LOG_WARN, "console_login_refused", "client", client, NULL);
        if (session_store_login_failed(db, c->cfg->shop_domain, client, CONSOLE_LOGIN_WINDOW_S,
                                       &err) != ST_OK)
            log_event(LOG_WARN, "console_login_count_failed", "error", err.msg, NULL);
        reply_error(resp, 401, "unauthorized", "unknown token");
        goto out;
    }
    if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(csrf_raw, sizeof(csrf_raw)) != 1) {
        reply_error(resp, 500, "internal", "no random bytes for a session");
        goto out;
    }
    console_hex(id, sizeof(id), value);
    sha256_hex(value, strlen(value), hash);
    console_hex(csrf_raw, sizeof(csrf_raw), row.csrf);
    snprintf(row.token_name, sizeof(row.token_name), "%s", tok->name);
    sha256_hex(tok->digest, ADMIN_DIGEST_BYTES, row.token_fp);
    st = session_store_create(db, c->cfg->shop_domain, hash, &row,
                              c->cfg->console_session_idle_s, &err);
    if (st != ST_OK) {
        log_event(LOG_WARN, "console_login_failed", "error", err.msg, NULL);
        resp->retry_after = "1";
        reply_error(resp, 503, "unavailable", "no database; retry later");
        goto out;
    }
    console_cookie_format(value, c->cfg->console_secure_cookie != 0, cookie, sizeof(cookie));
    http_response_header(resp, "Set-Cookie", cookie);
    log_event(LOG_INFO, "console_login", "name", tok->name, NULL);
    reply_session(c, resp, tok, row.csrf);
out:
    store_pool_release(c->pool, db);
}

static void route_logout(struct console *c, const struct http_request *req,
                         struct http_response *resp)
{
    char hash[SESSION_HASH_HEX_BYTES], cookie[256];
    struct session_row row;
    const struct admin_token *tok;
    struct store_conn *db;
    struct errbuf err = {""};

    if (session_find(c, req, &row, &tok)) {
        if (!csrf_ok(req, &row)) {
            reply_error(resp, 403, "forbidden", "logout needs the session's X-CSRF-Token header");
            return;
        }
        db = store_pool_acquire(c->pool, DB_ACQUIRE_TIMEOUT_MS);
        if (db == NULL || !cookie_hash(req, hash) ||
            session_store_delete(db, hash, &err) != ST_OK) {
            store_pool_release(c->pool, db);
            reply_error(resp, 503, "unavailable", "no database; retry later");
            return;
        }
        store_pool_release(c->pool, db);
    }
    console_cookie_format(NULL, c->cfg->console_secure_cookie != 0, cookie, sizeof(cookie));
    http_response_header(resp, "Set-Cookie", cookie);
    http_reply_json_msg(resp, 200, "status", "logged out");
}

static void route_session(struct console *c, const struct http_request *req,
                          struct http_response *resp)
{
    struct session_row row;
    const struct admin_token *tok;

    if (session_find(c, req, &row, &tok))
        reply_session(c, resp, tok, row.csrf);
    else
        reply_error(resp, 401, "unauthorized", "no session: log in");
}

/* One embedded file, or 304 when the browser's copy is current. */
static void route_asset(const struct http_request *req, struct http_response *resp,
                        const char *name)
{
    const char *inm = http_header(req, "If-None-Match");

    for (size_t i = 0; i < console_n_assets; i++) {
        const struct console_asset *a = &console_assets[i];

        if (strcmp(a->name, name) != 0)
            continue;
        http_response_header(resp, "ETag", a->etag);
        http_response_header(resp, "Cache-Control", "no-cache"); /* revalidate: names carry
                                                                  * no version */
        resp->content_type = a->content_type;
        if (inm != NULL && strcmp(inm, a->etag) == 0) {
            resp->status = 304;
            return;
        }
        resp->status = 200;
        buf_append(&resp->body, a->data, a->len);
        return;
    }
    reply_error(resp, 404, "not_found", "no such file");
}

bool console_admit(struct console *c, const struct http_request *req,
                   struct http_response *resp)
{
    const char *type = http_header(req, "Content-Type");
    const char *len = http_header(req, "Content-Length");
    char client[64];

    strict_headers(resp);
    http_response_header(resp, "Cache-Control", "no-store");
    if (strcmp(req->path, "/ops/login") != 0 || strcmp(req->method, "POST") != 0) {
        buf_reset(&resp->headers);
        console_handle(c, req, resp); /* its answer without the body */
        return false;
    }
    http_client_addr(req, client, sizeof(client));
    if (!console_limiter_take(&c->limiter, client, (int64_t)time(NULL))) {
        resp->retry_after = "60";
        reply_error(resp, 429, "too_many_requests", "too many logins; wait a minute");
    } else if (len == NULL) {
        reply_error(resp, 411, "length_required", "a login needs a Content-Length");
    } else if (strtoll(len, NULL, 10) > CONSOLE_LOGIN_MAX_BYTES) {
        reply_error(resp, 413, "too_large", "a login body is at most 4096 bytes");
    } else if (type == NULL || strncasecmp(type, "application/json", 16) != 0) {
        reply_error(resp, 415, "unsupported_media_type", "a login is application/json");
    } else {
        return true;
    }
    return false;
}

void console_handle(struct console *c, const struct http_request *req,
                    struct http_response *resp)
{
    const char *p = req->path;
    bool post = strcmp(req->method, "POST") == 0;

    strict_headers(resp);
    if (strcmp(p, "/ops") == 0) {
        resp->status = 308;
        http_response_header(resp, "Location", "/ops/");
        return;
    }
    if (strcmp(p, "/ops/") == 0 || strncmp(p, ASSETS_PREFIX, strlen(ASSETS_PREFIX)) == 0) {
        if (!is_read(req->method)) {
            resp->allow = "GET, HEAD";
            reply_error(resp, 405, "method_not_allowed", "method not allowed");
        } else {
            route_asset(req, resp, p[5] == '\0' ? "index.html" : p + strlen(ASSETS_PREFIX));
        }
        return;
    }
    http_response_header(resp, "Cache-Control", "no-store");
    if (strcmp(p, "/ops/session") == 0 && is_read(req->method))
        route_session(c, req, resp);
    else if (strcmp(p, "/ops/login") == 0 && post)
        route_login(c, req, resp);
    else if (strcmp(p, "/ops/logout") == 0 && post)
        route_logout(c, req, resp);
    else
        reply_error(resp, 404, "not_found", "no such page");
}
