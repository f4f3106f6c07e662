/*
 * it_sandbox.c - sandbox control API helpers (see it_sandbox.h).
 */
#include "it_sandbox.h"

#include <stdio.h>
#include <string.h>

#include "it_http.h"

void it_sandbox_pvx_url(int port, char *out, size_t cap)
{
    snprintf(out, cap, "http://127.0.0.1:%d/SANDBOX/resources/integrationservicev4.asmx", port);
}

struct json_object *it_sandbox_get(int port, const char *path)
{
    struct it_resp r;
    struct json_object *o = NULL;

    if (it_http(port, "GET", path, NULL, 0, NULL, &r) == 0 && r.status == 200)
        o = json_tokener_parse(r.body);
    it_resp_free(&r);
    return o;
}

int it_sandbox_post(int port, const char *path, const char *body)
{
    struct it_resp r;
    int rc = it_http(port, "POST", path, body, strlen(body), NULL, &r) == 0 && r.status == 200
                 ? 0
                 : -1;

    if (rc != 0)
        fprintf(stderr, "it: POST %s: %ld %s\n", path, r.status, r.body ? r.body : "");
    it_resp_free(&r);
    return rc;
}

long it_json_long(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? (long)json_object_get_int64(v) : -1;
}

const char *it_json_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

long it_sandbox_count(int port, const char *key)
{
    struct json_object *o = it_sandbox_get(port, "/_sandbox/state");
    long n = it_json_long(o, key);

    json_object_put(o);
    return n;
}
