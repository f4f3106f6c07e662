/*
 * api_reply.c - answers, errors, the readers of query strings and bodies,
 * and paging for the admin API's handlers (see api_int.h).
 *
 * Every reader answers its own 400 and returns -1, so a handler is a
 * sequence of `if (reader(...) < 0) return;` and a message names the
 * argument and what it accepts. Lists page by id, newest first: a handler
 * reads limit + 1 rows below the cursor's id, and the extra row only tells
 * that there is a next page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "log.h"
#include "store_json.h"

static void send_json(struct http_response *resp, int status, struct json_object *o)
{
    resp->status = status;
    resp->content_type = "application/json";
    buf_reset(&resp->body);
    buf_append_str(&resp->body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    buf_append_str(&resp->body, "\n");
}

void api_reply(struct api_req *r, int status, struct json_object *o)
{
    send_json(r->resp, status, o);
    json_object_put(o);
}

void api_json_merge(struct json_object *into, struct json_object *extra)
{
    if (extra == NULL)
        return;
    json_object_object_foreach(extra, key, val) {
        json_object_object_add(into, key, json_object_get(val));
    }
    json_object_put(extra);
}

/* Sends {"error": {"code", "message", "fields"?}}; fields (may be NULL) is consumed. */
static void error_send(struct http_response *resp, int status, const char *code,
                       const char *msg, struct json_object *fields)
{
    struct json_object *o = json_object_new_object(), *e = json_object_new_object();

    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "message", json_object_new_string(msg));
    if (fields != NULL)
        json_object_object_add(e, "fields", fields);
    json_object_object_add(o, "error", e);
    send_json(resp, status, o);
    json_object_put(o);
}

void api_error(struct http_response *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    error_send(resp, status, code, msg, NULL);
}

void api_error_fields(struct http_response *resp, int status, const char *code,
                      const char *msg, struct json_object *fields)
{
    error_send(resp, status, code, msg, fields);
}

void api_error_field(struct http_response *resp, int status, const char *code,
                     const char *field, const char *msg)
{
    struct json_object *fields = json_object_new_array(), *f = json_object_new_object();

    json_object_object_add(f, "field", json_object_new_string(field));
    json_object_object_add(f, "message", json_object_new_string(msg));
    json_object_array_add(fields, f);
    error_send(resp, status, code, msg, fields);
}

void api_error_db(struct api_req *r, enum st st, const struct errbuf *err)
{
    log_event(LOG_WARN, "api_failed", "route", r->resp->route, "status", st_name(st), "error",
              err->msg, NULL);
    if (st == ST_RETRY)
        api_error(r->resp, 503, API_E_UNAVAILABLE, "database unavailable; retry later");
    else
        api_error(r->resp, 500, API_E_INTERNAL, "could not complete the request (see the "
                                                "service log)");
}

long long api_param_id(struct api_req *r, size_t i, const char *what)
{
    const char *s = i < r->params.n ? r->params.values[i] : "";
    char *end = NULL;
    long long id = s[0] >= '1' && s[0] <= '9' && strlen(s) <= 18 ? strtoll(s, &end, 10) : -1;

    if (id > 0 && *end == '\0')
        return id;
    api_error(r->resp, 400, API_E_INVALID, "invalid %s id '%.64s': expected a positive number",
              what, s);
    return -1;
}

int api_query_str(struct api_req *r, const char *name, size_t max_bytes, const char **out)
{
    const char *v = http_query(r->http, name);

    *out = v != NULL && v[0] != '\0' ? v : NULL;
    if (*out == NULL || strlen(*out) <= max_bytes)
        return 0;
    api_error(r->resp, 400, API_E_INVALID, "%s is longer than %zu bytes", name, max_bytes);
    return -1;
}

/* Parses s as an integer in [min, max]; false when it is not one. */
static bool parse_bounded(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    if (!((*s >= '0' && *s <= '9') || *s == '-') || strlen(s) > 19)
        return false;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int api_query_long(struct api_req *r, const char *name, long long min, long long max,
                   long long def, long long *out)
{
    const char *v = http_query(r->http, name);

    *out = def;
    if (v == NULL || v[0] == '\0' || parse_bounded(v, min, max, out))
        return 0;
    api_error(r->resp, 400, API_E_INVALID, "invalid %s '%.64s': expected an integer from %lld "
              "to %lld", name, v, min, max);
    return -1;
}

/* Whether value is one of choices ("a|b|c"). */
static bool one_of(const char *choices, const char *value)
{
    size_t n = strlen(value);

    for (const char *p = choices; *p != '\0';) {
        const char *bar = strchr(p, '|');
        size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);

        if (len == n && strncmp(p, value, n) == 0)
            return true;
        p += len + (bar != NULL ? 1 : 0);
    }
    return false;
}

int api_query_enum(struct api_req *r, const char *name, const char *choices, const char **out)
{
    const char *v = http_query(r->http, name);

    *out = v != NULL && v[0] != '\0' ? v : NULL;
    if (*out == NULL || one_of(choices, *out))
        return 0;
    api_error(r->resp, 400, API_E_INVALID, "invalid %s '%.64s': expected one of %s", name, v,
              choices);
    return -1;
}

int api_query_time(struct api_req *r, const char *name, const char **out)
{
    const char *v = http_query(r->http, name);

    *out = v != NULL && v[0] != '\0' ? v : NULL;
    if (*out == NULL || api_time_ok(*out))
        return 0;
    api_error(r->resp, 400, API_E_INVALID, "invalid %s '%.64s': expected an ISO 8601 date or "
              "time (2026-03-01 or 2026-03-01T09:30:00Z)", name, v);
    return -1;
}

int api_body_str(struct api_req *r, const char *name, size_t max_bytes, const char **out)
{
    struct json_object *v = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(r->body, name, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string)) {
        api_error(r->resp, 400, API_E_INVALID, "%s must be a string", name);
        return -1;
    }
    *out = json_object_get_string(v);
    if (strlen(*out) <= max_bytes)
        return 0;
    api_error(r->resp, 400, API_E_INVALID, "%s is longer than %zu bytes", name, max_bytes);
    return -1;
}

int api_body_bool(struct api_req *r, const char *name, bool *out)
{
    struct json_object *v = NULL;

    *out = false;
    if (!json_object_object_get_ex(r->body, name, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        api_error(r->resp, 400, API_E_INVALID, "%s must be true or false", name);
        return -1;
    }
    *out = json_object_get_boolean(v);
    return 0;
}

int api_body_long(struct api_req *r, const char *name, long long min, long long max,
                  long long def, long long *out)
{
    struct json_object *v = NULL;

    *out = def;
    if (!json_object_object_get_ex(r->body, name, &v) || v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= min &&
        json_object_get_int64(v) <= max) {
        *out = json_object_get_int64(v);
        return 0;
    }
    api_error(r->resp, 400, API_E_INVALID, "%s must be an integer from %lld to %lld", name, min,
              max);
    return -1;
}

int api_page_read(struct api_req *r, const char *kind, struct api_page *p)
{
    const char *cursor = http_query(r->http, "cursor");
    long long limit;

    p->kind = kind;
    p->before_id = 0;
    if (api_query_long(r, "limit", 1, API_PAGE_MAX, API_PAGE_DEFAULT, &limit) < 0)
        return -1;
    p->limit = (int)limit;
    if (cursor == NULL || cursor[0] == '\0' || api_cursor_decode(kind, cursor, &p->before_id) == 0)
        return 0;
    api_error(r->resp, 400, API_E_INVALID, "invalid cursor: pass next_cursor of a reply of "
              "this list unchanged");
    return -1;
}

void api_reply_page(struct api_req *r, const struct api_page *p, PGresult *res,
                    const char *id_col, struct json_object *extra)
{
    struct json_object *o = json_object_new_object();
    int col = PQfnumber(res, id_col);
    char cursor[API_CURSOR_MAX_BYTES];

    json_object_object_add(o, "items", store_rows_json(res, p->limit));
    if (PQntuples(res) > p->limit && col >= 0) {
        api_cursor_encode(p->kind, strtoll(PQgetvalue(res, p->limit - 1, col), NULL, 10), cursor,
                          sizeof(cursor));
        json_object_object_add(o, "next_cursor", json_object_new_string(cursor));
    } else {
        json_object_object_add(o, "next_cursor", NULL);
    }
    api_json_merge(o, extra);
    PQclear(res);
    api_reply(r, 200, o);
}

int api_begin(struct api_req *r)
{
    struct errbuf err = {""};
    enum st st = store_cmd(r->db, "BEGIN", &err);

    if (st == ST_OK)
        return 0;
    api_error_db(r, st, &err);
    return -1;
}

int api_commit(struct api_req *r)
{
    struct errbuf err = {""};
    enum st st = store_cmd(r->db, "COMMIT", &err);

    if (st == ST_OK)
        return 0;
    store_rollback(r->db);
    api_error_db(r, st, &err);
    return -1;
}

struct admin_actor api_admin_actor(const struct api_req *r)
{
    struct admin_actor who = {r->shop, r->caller.name, r->caller.name};

    return who;
}

void api_admin_finish(struct api_req *r, enum st st, enum admin_refusal refusal,
                      const struct errbuf *err, struct json_object *out)
{
    if (st == ST_OK) {
        if (api_commit(r) == 0)
            api_reply(r, 200, out);
        else
            json_object_put(out);
        return;
    }
    store_rollback(r->db);
    json_object_put(out);
    if (refusal == ADMIN_REFUSED_INVALID)
        api_error(r->resp, 400, API_E_INVALID, "%s", err->msg);
    else if (refusal == ADMIN_REFUSED_NOT_FOUND)
        api_error(r->resp, 404, API_E_NOT_FOUND, "%s", err->msg);
    else if (refusal == ADMIN_REFUSED_CONFLICT)
        api_error(r->resp, 409, API_E_CONFLICT, "%s", err->msg);
    else
        api_error_db(r, st, err);
}
