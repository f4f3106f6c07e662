/*
 * it_api_call.c - see it_api_call.h.
 */
#include "it_api_call.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "it_http.h"

struct json_object *it_api_call(int ops_port, const char *method, const char *path,
                                const char *auth, const char *body, long want)
{
    const char *headers[3] = {auth, "Content-Type: application/json", NULL};
    struct it_resp r;
    struct json_object *o;

    assert_int_equal(it_http(ops_port, method, path, body, body ? strlen(body) : 0,
                             auth ? headers : headers + 1, &r), 0);
    if (r.status != want)
        fail_msg("%s %s: status %ld, want %ld: %s", method, path, r.status, want, r.body);
    o = json_tokener_parse(r.body);
    if (o == NULL && strcmp(method, "HEAD") != 0)
        fail_msg("%s %s: not JSON: %s", method, path, r.body);
    it_resp_free(&r);
    return o;
}

void it_api_expect_error(int ops_port, const char *method, const char *path, const char *auth,
                         const char *body, long status, const char *code, const char *want_msg)
{
    struct json_object *o = it_api_call(ops_port, method, path, auth, body, status);
    struct json_object *e = json_object_object_get(o, "error");
    const char *msg = json_object_get_string(json_object_object_get(e, "message"));

    assert_non_null(e);
    assert_non_null(msg);
    assert_true(strlen(msg) > 0);
    assert_string_equal(json_object_get_string(json_object_object_get(e, "code")), code);
    if (want_msg != NULL && strstr(msg, want_msg) == NULL)
        fail_msg("%s %s: message '%s' lacks '%s'", method, path, msg, want_msg);
    json_object_put(o);
}
