/*
 * sandbox_control.c - the JSON control API under /_sandbox/ that every fake
 * serves beside its own API, and the JSON helpers its endpoints share.
 *
 * Tests and the demo use it to look inside a fake and to make it
 * misbehave. It never faults, needs no session and runs under the state
 * lock, so an answer is one consistent picture. The shared layer answers
 * what is the same for every fake (POST reset, GET calls), checks methods
 * (405) and that a POST body is a JSON object (400), and hands the rest to
 * the fake's control hook; the fake builds its state and faults answers
 * with the helpers below, so every fake reports the shared part alike.
 */
#include "sandbox_control.h"

#include <stddef.h>
#include <string.h>

#include <json-c/json.h>

#include "sandbox_faults.h"

int sbx_json_reply(struct buf *out, int code, struct json_object *o)
{
    buf_append_str(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return code;
}

int sbx_json_error(struct buf *out, int code, const char *msg)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(msg));
    return sbx_json_reply(out, code, o);
}

const char *sbx_json_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The shared fault counts by name, in the order the JSON shows them. */
static const struct {
    const char *key;
    size_t offset;
} sbx_fault_counts[] = {
    {"http_500", offsetof(struct sbx_faults, http_500)},
    {"http_429", offsetof(struct sbx_faults, http_429)},
    {"timeout", offsetof(struct sbx_faults, timeout)},
    {"drop_after_apply", offsetof(struct sbx_faults, drop_after_apply)},
    {"slow_ms", offsetof(struct sbx_faults, slow_ms)},
};

static long *sbx_fault_count(struct sbx_faults *ft, size_t i)
{
    return (long *)(void *)((char *)ft + sbx_fault_counts[i].offset);
}

struct json_object *sbx_faults_json(const struct sbx_fake *f)
{
    struct sbx_faults ft = f->faults;
    struct json_object *j = json_object_new_object();

    for (size_t i = 0; i < ARRAY_LEN(sbx_fault_counts); i++)
        json_object_object_add(j, sbx_fault_counts[i].key,
                               json_object_new_int64(*sbx_fault_count(&ft, i)));
    return j;
}

/* {"calls":n,"window_ms":ms}: 0 on success, else -1 (nothing changed). */
static int sbx_rate_post(struct sbx_fake *f, struct json_object *in)
{
    struct json_object *calls = NULL, *window = NULL;

    if (!json_object_is_type(in, json_type_object) ||
        !json_object_object_get_ex(in, "calls", &calls) ||
        !json_object_is_type(calls, json_type_int) || json_object_get_int64(calls) < 0 ||
        json_object_get_int64(calls) > SBX_RATE_MAX_CALLS)
        return -1;
    if (json_object_object_get_ex(in, "window_ms", &window) &&
        (!json_object_is_type(window, json_type_int) || json_object_get_int64(window) < 1))
        return -1;
    sbx_rate_set(&f->rate, (long)json_object_get_int64(calls),
                 window != NULL ? (long)json_object_get_int64(window) : 15000);
    return 0;
}

int sbx_faults_post(struct sbx_fake *f, struct json_object *in, struct buf *out)
{
    struct json_object *v;

    for (size_t i = 0; i < ARRAY_LEN(sbx_fault_counts); i++) {
        if (!json_object_object_get_ex(in, sbx_fault_counts[i].key, &v))
            continue;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
            sbx_json_error(out, 400, "fault counts must be whole numbers >= 0");
            return -1;
        }
        *sbx_fault_count(&f->faults, i) = (long)json_object_get_int64(v);
    }
    if (json_object_object_get_ex(in, "rate_limit", &v) && sbx_rate_post(f, v) != 0) {
        sbx_json_error(out, 400, "rate_limit must be {\"calls\": 0..1000, \"window_ms\": >= 1}");
        return -1;
    }
    return 0;
}

void sbx_state_json(const struct sbx_fake *f, struct json_object *j, struct json_object *faults)
{
    struct json_object *per_op = json_object_new_object();
    struct json_object *rate = json_object_new_object();

    for (size_t i = 0; i < f->calls.n_ops; i++)
        json_object_object_add(per_op, f->calls.per_op[i].op,
                               json_object_new_int64(f->calls.per_op[i].n));
    json_object_object_add(rate, "calls", json_object_new_int64(f->rate.calls));
    json_object_object_add(rate, "window_ms", json_object_new_int64(f->rate.window_ms));
    json_object_object_add(j, "calls_total", json_object_new_int64(f->calls.n));
    json_object_object_add(j, "calls", per_op);
    json_object_object_add(j, "faults", faults);
    json_object_object_add(j, "rate_limit", rate);
    json_object_object_add(j, "refused", json_object_new_int64(f->rate.refused));
}

static struct json_object *sbx_call_json(const struct sbx_call *c)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "seq", json_object_new_int64(c->seq));
    json_object_object_add(o, "at_ms", json_object_new_int64(c->at_ms));
    json_object_object_add(o, "op", json_object_new_string(c->op));
    json_object_object_add(o, "template", json_object_new_string(c->tmpl));
    json_object_object_add(o, "rows", json_object_new_int64(c->rows));
    json_object_object_add(o, "response_id", json_object_new_int64(c->response_id));
    json_object_object_add(o, "http_code", json_object_new_int(c->http_code));
    return o;
}

/* GET /_sandbox/calls: the recent calls, oldest first. */
static int sbx_get_calls(const struct sbx_fake *f, struct buf *out)
{
    struct json_object *j = json_object_new_object();
    struct json_object *arr = json_object_new_array();
    long first = f->calls.n > SBX_CALL_LOG ? f->calls.n - SBX_CALL_LOG : 0;

    for (long i = first; i < f->calls.n; i++)
        json_object_array_add(arr, sbx_call_json(&f->calls.ring[i % SBX_CALL_LOG]));
    json_object_object_add(j, "calls", arr);
    return sbx_json_reply(out, 200, j);
}

/* POST /_sandbox/reset: no faults, no calls, the rate limit given at start. */
static int sbx_post_reset(struct sbx_fake *f, struct buf *out)
{
    sbx_faults_reset(f);
    f->hooks.reset(f->hooks.ctx);
    return sbx_json_reply(out, 200, json_object_new_object());
}

static int sbx_control_post(struct sbx_fake *f, const char *path,
                            const struct http_request *req, struct buf *out)
{
    struct json_object *in;
    int code;

    if (strcmp(path, "reset") == 0)
        return sbx_post_reset(f, out);
    in = json_tokener_parse(req->body_len > 0 ? req->body : "{}");
    if (!json_object_is_type(in, json_type_object))
        code = sbx_json_error(out, 400, "body must be a JSON object");
    else
        code = f->hooks.control(f->hooks.ctx, "POST", path, in, out);
    json_object_put(in);
    return code;
}

void sbx_control_serve(struct sbx_fake *f, const struct http_request *req,
                       struct http_response *resp)
{
    const char *path = req->path + strlen(SBX_CONTROL_PREFIX);
    int code;

    if (f->hooks.control_unlocked != NULL && f->hooks.control_unlocked(f->hooks.ctx, req, resp))
        return;
    pthread_mutex_lock(&f->lock);
    if (strcmp(req->method, "POST") == 0)
        code = sbx_control_post(f, path, req, &resp->body);
    else if (strcmp(req->method, "GET") != 0)
        code = sbx_json_error(&resp->body, 405, "use GET or POST");
    else if (strcmp(path, "calls") == 0)
        code = sbx_get_calls(f, &resp->body);
    else
        code = f->hooks.control(f->hooks.ctx, "GET", path, NULL, &resp->body);
    pthread_mutex_unlock(&f->lock);
    resp->status = code;
    resp->content_type = "application/json";
}
