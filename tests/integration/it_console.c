/*
 * it_console.c - the web page's server side against the real binary: the
 * page and its files with the strict headers (CSP, nosniff, no referrer,
 * no framing) and ETags; the login (a named token for an HttpOnly,
 * SameSite=Strict session cookie; only the hash stored), its small body
 * cap and content type; the API through the cookie (a write without the
 * session's X-CSRF-Token is 403, with it done and audited under the
 * token's name; a viewer's session cannot write); idle expiry and logout;
 * a session ends when its token is replaced or removed (a restart with
 * another token set); the login limiters (429 past 10 tries a minute from
 * one client at one process, and past 10 failures a minute from one client
 * across replicas).
 */
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "console.h"
#include "console_auth.h"
#include "it.h"

#define T_OPERATOR "op-token-0123456789abcdef0123456789"
#define T_VIEWER "viewer-token-0123456789abcdef01234567"

#define T_OPERATOR_NEW "op-token-fedcba9876543210fedcba9876"
#define ENV_TOKENS "SHOPVOX_ADMIN_TOKENS=olga:operator:" T_OPERATOR ",ann:viewer:" T_VIEWER

static const char *db;
static struct it_proc proc;
static struct it_proc *at = &proc; /* the replica requests go to */
static const char *const serve_args[] = {"serve", "--migrate", NULL};

/* A session as the browser would hold it. */
struct session {
    char cookie[128];   /* "Cookie: shopvox_session=..." */
    char csrf[128];     /* "X-CSRF-Token: ..." */
    char value[80];     /* the cookie's value */
};

/* method path with up to two extra header lines; status checked; the answer's headers kept. */
static char *request(const char *method, const char *path, const char *h1, const char *h2,
                     const char *body, long want, struct it_resp *r)
{
    const char *headers[4] = {"Content-Type: application/json", h1, h2, NULL};
    char *lines = NULL;

    if (h1 == NULL)
        headers[1] = h2, headers[2] = NULL;
    else if (strncmp(h1, "Content-Type:", 13) == 0) /* instead of JSON */
        headers[0] = h1, headers[1] = h2, headers[2] = NULL;
    assert_int_equal(it_http_with_headers(at->ops_port, method, path, body,
                                          body ? strlen(body) : 0, headers, r, &lines),
                     0);
    if (want >= 0 && r->status != want) /* -1: any */
        fail_msg("%s %s: status %ld, want %ld: %s", method, path, r->status, want, r->body);
    return lines;
}

static void expect(const char *method, const char *path, const char *h1, const char *h2,
                   const char *body, long want)
{
    struct it_resp r;

    free(request(method, path, h1, h2, body, want, &r));
    it_resp_free(&r);
}

static void login(const char *token, struct session *s)
{
    char body[256], set_cookie[256];
    struct it_resp r;
    struct json_object *o, *v = NULL;
    char *lines;

    snprintf(body, sizeof(body), "{\"token\": \"%s\"}", token);
    lines = request("POST", "/ops/login", NULL, NULL, body, 200, &r);
    assert_true(it_header_value(lines, "Set-Cookie", set_cookie, sizeof(set_cookie)));
    assert_non_null(strstr(set_cookie, "; HttpOnly"));
    assert_non_null(strstr(set_cookie, "; SameSite=Strict"));
    assert_non_null(strstr(set_cookie, "; Path=/"));
    assert_null(strstr(set_cookie, "Secure")); /* SHOPVOX_CONSOLE_SECURE_COOKIE off */
    assert_int_equal(sscanf(set_cookie, "shopvox_session=%64[0-9a-f];", s->value), 1);
    assert_int_equal(strlen(s->value), 64);
    snprintf(s->cookie, sizeof(s->cookie), "Cookie: shopvox_session=%s", s->value);
    o = json_tokener_parse(r.body);
    assert_true(json_object_object_get_ex(o, "csrf_token", &v));
    snprintf(s->csrf, sizeof(s->csrf), "X-CSRF-Token: %s", json_object_get_string(v));
    json_object_put(o);
    free(lines);
    it_resp_free(&r);
}

static void test_page_and_files_carry_the_strict_headers(void **state)
{
    static const char *const paths[] = {"/ops/", "/ops/assets/console.js",
                                        "/ops/assets/console.css", "/ops/session"};
    static const char *const types[] = {"text/html; charset=utf-8",
                                        "text/javascript; charset=utf-8",
                                        "text/css; charset=utf-8", "application/json"};
    static const long statuses[] = {200, 200, 200, 401};
    char v[512], etag[64], inm[96];
    struct it_resp r;

    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        char *lines = request("GET", paths[i], NULL, NULL, NULL, statuses[i], &r);

        assert_true(it_header_value(lines, "Content-Security-Policy", v, sizeof(v)));
        assert_string_equal(v, CONSOLE_CSP);
        assert_true(it_header_value(lines, "X-Content-Type-Options", v, sizeof(v)));
        assert_string_equal(v, "nosniff");
        assert_true(it_header_value(lines, "Referrer-Policy", v, sizeof(v)));
        assert_string_equal(v, "no-referrer");
        assert_true(it_header_value(lines, "X-Frame-Options", v, sizeof(v)));
        assert_string_equal(v, "DENY");
        assert_true(it_header_value(lines, "Content-Type", v, sizeof(v)));
        assert_string_equal(v, types[i]);
        free(lines);
        it_resp_free(&r);
    }
    /* no inline script or style: the CSP would refuse it */
    free(request("GET", "/ops/", NULL, NULL, NULL, 200, &r));
    assert_null(strstr(r.body, "<script>"));
    assert_null(strstr(r.body, "style="));
    assert_null(strstr(r.body, "<style"));
    it_resp_free(&r);
    {
        char *lines = request("GET", "/ops/assets/console.js", NULL, NULL, NULL, 200, &r);

        assert_true(it_header_value(lines, "ETag", etag, sizeof(etag)));
        free(lines);
        it_resp_free(&r);
    }
    snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
    expect("GET", "/ops/assets/console.js", inm, NULL, NULL, 304);
    expect("GET", "/ops/assets/nothing.js", NULL, NULL, NULL, 404);
    expect("POST", "/ops/", NULL, NULL, NULL, 405);
    expect("GET", "/ops", NULL, NULL, NULL, 308);
}

static void test_login_takes_a_small_json_body_with_a_known_token(void **state)
{
    char big[CONSOLE_LOGIN_MAX_BYTES + 64];

    expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"" T_OPERATOR "x\"}", 401);
    expect("POST", "/ops/login", NULL, NULL, "{}", 401);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect("POST", "/ops/login", NULL, NULL, big, 413);
    /* a form from another site cannot send JSON */
    expect("POST", "/ops/login", "Content-Type: application/x-www-form-urlencoded", NULL,
           "token=" T_OPERATOR, 415);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM console_sessions"), 0);
}

static void test_a_session_reads_and_writes_with_its_csrf_token(void **state)
{
    struct session s;
    long id, stored;
    char path[64];

    login(T_OPERATOR, &s);
    stored = it_sql_longf(db,
                          "SELECT count(*) FROM console_sessions WHERE id_hash = "
                          "sha256(convert_to('%s', 'UTF8')) AND token_name = 'olga'",
                          s.value);
    assert_int_equal(stored, 1);
    assert_int_equal(it_sql_longf(db,
                                  "SELECT count(*) FROM console_sessions WHERE "
                                  "encode(id_hash, 'hex') = '%s'",
                                  s.value),
                     0);
    expect("GET", "/api/v1/whoami", s.cookie, NULL, NULL, 200);
    expect("GET", "/ops/session", s.cookie, NULL, NULL, 200);
    id = it_sql_long(db, "INSERT INTO exceptions (shop, type, team, subject_kind, subject, "
                         "detail) VALUES ('" IT_SHOP "', 'unknown_sku', 'ops', 'x', 'S-1', "
                         "'d') RETURNING id");
    snprintf(path, sizeof(path), "/api/v1/exceptions/%ld/resolve", id);
    expect("POST", path, s.cookie, NULL, "{\"note\": \"from the page\"}", 403);
    expect("POST", path, s.cookie, "X-CSRF-Token: 0123456789abcdef0123456789abcdef",
           "{\"note\": \"x\"}", 403);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE id = %ld AND "
                                      "resolved_at IS NULL", id),
                     1);
    expect("POST", path, s.cookie, s.csrf, "{\"note\": \"from the page\"}", 200);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM audit_log WHERE actor = 'olga' "
                                      "AND subject_id = '%ld'", id),
                     1);
    /* a bearer caller needs no CSRF token */
    expect("GET", "/api/v1/whoami", "Authorization: Bearer " T_VIEWER, NULL, NULL, 200);
}

static void test_a_viewer_session_cannot_write(void **state)
{
    struct session s;

    login(T_VIEWER, &s);
    expect("GET", "/api/v1/exceptions", s.cookie, NULL, NULL, 200);
    expect("POST", "/api/v1/exceptions/1/resolve", s.cookie, s.csrf, "{}", 403);
}

static void test_idle_expiry_and_logout_end_a_session(void **state)
{
    struct session s, t;

    login(T_OPERATOR, &s);
    login(T_OPERATOR, &t);
    it_sql_exec(db, "UPDATE console_sessions SET expires_at = now() - interval '1 second' "
                    "WHERE token_name = 'olga'");
    expect("GET", "/api/v1/whoami", s.cookie, NULL, NULL, 401);
    it_sql_exec(db, "UPDATE console_sessions SET expires_at = now() + interval '1 hour'");
    expect("GET", "/api/v1/whoami", s.cookie, NULL, NULL, 200);
    expect("POST", "/ops/logout", s.cookie, NULL, NULL, 403);
    expect("POST", "/ops/logout", s.cookie, s.csrf, NULL, 200);
    expect("GET", "/api/v1/whoami", s.cookie, NULL, NULL, 401);
    expect("GET", "/ops/session", s.cookie, NULL, NULL, 401);
    expect("GET", "/api/v1/whoami", t.cookie, NULL, NULL, 200); /* another session lives on */
}

static void test_a_session_ends_when_its_token_is_replaced_or_removed(void **state)
{
    static const char *const env[] = {"SHOPVOX_ADMIN_TOKENS=olga:operator:" T_OPERATOR_NEW,
                                      NULL};
    struct session olga, ann, fresh;

    login(T_OPERATOR, &olga);
    login(T_VIEWER, &ann);
    expect("GET", "/api/v1/whoami", olga.cookie, NULL, NULL, 200);
    it_proc_stop(&proc, SIGTERM, 10000);
    /* olga's token replaced, ann's removed: the sessions' rows are still there */
    assert_int_equal(it_shopvox_start(&proc, db, env, serve_args), 0);
    expect("GET", "/api/v1/whoami", olga.cookie, NULL, NULL, 401);
    expect("GET", "/ops/session", olga.cookie, NULL, NULL, 401);
    expect("POST", "/api/v1/exceptions/1/resolve", olga.cookie, olga.csrf, "{}", 401);
    expect("GET", "/api/v1/whoami", ann.cookie, NULL, NULL, 401);
    expect("GET", "/ops/session", ann.cookie, NULL, NULL, 401);
    expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"" T_OPERATOR "\"}", 401);
    login(T_OPERATOR_NEW, &fresh);
    expect("GET", "/api/v1/whoami", fresh.cookie, NULL, NULL, 200);
}

static struct it_proc b = {.pid = -1}, c = {.pid = -1}; /* two more replicas */

static int stop_replicas(void **state)
{
    at = &proc;
    it_proc_stop(&b, SIGKILL, 1000);
    it_proc_stop(&c, SIGKILL, 1000);
    it_sql_exec(db, "DELETE FROM console_login_failures");
    return 0;
}

static void test_failed_logins_are_limited_across_replicas(void **state)
{
    static const char *const env[] = {ENV_TOKENS, NULL};
    struct session s;

    it_sql_exec(db, "DELETE FROM console_login_failures");
    assert_int_equal(it_shopvox_start(&b, db, env, serve_args), 0);
    assert_int_equal(it_shopvox_start(&c, db, env, serve_args), 0);
    /* 10 failures, 5 at each: each process has seen half its own limit */
    for (int i = 0; i < CONSOLE_LOGIN_FAILURES_PER_WINDOW; i++) {
        at = i % 2 ? &b : &c;
        expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"guess\"}", 401);
    }
    assert_int_equal(it_sql_long(db, "SELECT failures FROM console_login_failures"),
                     CONSOLE_LOGIN_FAILURES_PER_WINDOW);
    at = &b;
    expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"guess\"}", 429);
    at = &c; /* a right token too: no more tries this window */
    expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"" T_OPERATOR "\"}", 429);
    /* the window over: the next failure starts a new one */
    it_sql_exec(db, "UPDATE console_login_failures SET window_start = now() - interval '61 s'");
    login(T_OPERATOR, &s);
    expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"guess\"}", 401);
    assert_int_equal(it_sql_long(db, "SELECT failures FROM console_login_failures"), 1);
}

static void test_logins_are_limited_per_client(void **state)
{
    int limited_at = 0;

    for (int i = 1; i <= CONSOLE_LOGINS_PER_WINDOW + 1 && limited_at == 0; i++) {
        struct it_resp r;

        free(request("POST", "/ops/login", NULL, NULL, "{\"token\": \"guess\"}",
                     i <= 2 ? 401 : -1, &r) /* later ones: 401 or 429 */);
        if (r.status == 429)
            limited_at = i;
        it_resp_free(&r);
    }
    assert_true(limited_at > 0);
    expect("POST", "/ops/login", NULL, NULL, "{\"token\": \"" T_OPERATOR "\"}", 429);
}

static int start_shopvox(void **state)
{
    static const char *const env[] = {ENV_TOKENS, NULL};

    it_require_db();
    db = it_db_create("console");
    return it_shopvox_start(&proc, db, env, serve_args);
}

static int stop_shopvox(void **state)
{
    it_proc_stop(&proc, SIGKILL, 1000);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_and_files_carry_the_strict_headers),
        cmocka_unit_test(test_login_takes_a_small_json_body_with_a_known_token),
        cmocka_unit_test(test_a_session_reads_and_writes_with_its_csrf_token),
        cmocka_unit_test(test_a_viewer_session_cannot_write),
        cmocka_unit_test(test_idle_expiry_and_logout_end_a_session),
        cmocka_unit_test(test_a_session_ends_when_its_token_is_replaced_or_removed),
        cmocka_unit_test_teardown(test_failed_logins_are_limited_across_replicas, stop_replicas),
        cmocka_unit_test(test_logins_are_limited_per_client),
    };

    return cmocka_run_group_tests(tests, start_shopvox, stop_shopvox);
}
