/*
 * api_int.h - private contract between the files of the admin API
 * (service/core/api/). Nothing here is used outside this folder.
 *
 * Layout: api.c owns the lifecycle, authentication order and dispatch;
 * api_routes.c is the route table (the one list to extend); api_path.c the
 * pure helpers (path matching, cursors, times); api_reply.c the JSON
 * replies, errors, query and body readers and paging; one file per
 * resource (api_exceptions.c, api_orders.c, api_jobs.c, api_audit.c).
 *
 * Adding a route: write `void api_<resource>_<verb>(struct api_req *r)` in
 * the resource's file, declare it below, add one row to api_routes[]
 * (literal paths before {param} ones of the same shape). A handler:
 *  - reads path parameters with api_param_id, the query with api_query_*
 *    (every problem answered 400 by the helper, which returns -1), a write's
 *    body with api_body_* (r->body, an object; {} when empty);
 *  - reads through store modules (no SQL in this folder), on r->db;
 *  - writes in one transaction with its audit row (api_begin, audit via
 *    the action's own module or api_audit, api_commit);
 *  - answers with api_reply (200 and an object) or api_error; a list
 *    answers with api_reply_page ({"items": [...], "next_cursor": ...}).
 * Every answer is JSON, and every error is
 * {"error": {"code": "...", "message": "..."}} with a code of
 * API_E_* below.
 */
#ifndef SHOPVOX_API_INT_H
#define SHOPVOX_API_INT_H

#include <json-c/json.h>

#include "admin_actions.h"
#include "api.h"

/* The error codes (the "code" member of an error body). */
#define API_E_UNAUTHORIZED "unauthorized"             /* 401 */
#define API_E_FORBIDDEN "forbidden"                   /* 403 */
#define API_E_NOT_FOUND "not_found"                   /* 404 */
#define API_E_METHOD "method_not_allowed"             /* 405 */
#define API_E_INVALID "invalid_request"               /* 400: query, path or body */
#define API_E_CONFLICT "conflict"                     /* 409: the state forbids it */
#define API_E_NOT_RETRYABLE "not_retryable"           /* 409: nothing to retry for this type */
#define API_E_UNKNOWN_ITEM "unknown_item"             /* 422: not in the local catalogue */
#define API_E_UNAVAILABLE "unavailable"               /* 503: no database; retry */
#define API_E_INTERNAL "internal"                     /* 500 */

#define API_PAGE_DEFAULT 50
#define API_PAGE_MAX 200
#define API_DB_ACQUIRE_TIMEOUT_MS 2000

struct api {
    const struct cfg *cfg;
    struct store_pool *pool;
    struct admin_tokens tokens;
    api_session_fn session_fn;
    void *session_ctx;
};

/* One request as a handler sees it. */
struct api_req {
    struct api *api;
    const struct http_request *http;
    struct http_response *resp;
    struct api_caller caller;
    struct api_params params;     /* the route's {param} segments */
    struct json_object *body;     /* a write's body (an object, owned by api.c); NULL for reads */
    struct store_conn *db;        /* borrowed from the pool for the request */
    const char *shop;
};

struct api_route {
    const char *method;           /* "GET" (HEAD as well) or "POST" */
    const char *pattern;          /* "/api/v1/exceptions/{id}" */
    bool write;                   /* operators only; the only routes that take a body */
    const char *label;            /* the duration histogram's route label */
    void (*fn)(struct api_req *r);
};

extern const struct api_route api_routes[];
extern const size_t api_n_routes;

/* ---- api_auth.c ---- */

/* The caller of req: a Bearer token's entry, else the session hook's; false for none. */
bool api_caller_resolve(const struct api *a, const struct http_request *req,
                        struct api_caller *out);

/* ---- api_reply.c ---- */

/* 200 (or status) with o as the body; o is consumed. */
void api_reply(struct api_req *r, int status, struct json_object *o);
/* Adds extra's members to into; extra (may be NULL) is consumed. */
void api_json_merge(struct json_object *into, struct json_object *extra);
/* An error body {"error": {"code", "message"}}. */
void api_error(struct http_response *resp, int status, const char *code, const char *fmt, ...)
    SV_PRINTF(4, 5);
/*
 * An error body naming the fields at fault: "fields" is an array of
 * {"field", "message"} (consumed), message the whole error's.
 */
void api_error_fields(struct http_response *resp, int status, const char *code,
                      const char *msg, struct json_object *fields);
/* api_error_fields for one field. */
void api_error_field(struct http_response *resp, int status, const char *code,
                     const char *field, const char *msg);
/* The error of a store or action failure: 503 for ST_RETRY, 500 otherwise (logged). */
void api_error_db(struct api_req *r, enum st st, const struct errbuf *err);

/* Path parameter i as a positive id; -1 after answering 400. */
long long api_param_id(struct api_req *r, size_t i, const char *what);
/* Query argument name, or NULL; longer than max_bytes: -1 after 400. */
int api_query_str(struct api_req *r, const char *name, size_t max_bytes, const char **out);
/* Query argument name as an integer in [min, max] (absent: *out = def); -1 after 400. */
int api_query_long(struct api_req *r, const char *name, long long min, long long max,
                   long long def, long long *out);
/* Query argument name, absent or one of choices ("a|b|c"); -1 after 400. */
int api_query_enum(struct api_req *r, const char *name, const char *choices, const char **out);
/* Query argument name, absent or an ISO 8601 time (api_time_ok); -1 after 400. */
int api_query_time(struct api_req *r, const char *name, const char **out);

/* Body member name as a string (absent or null: NULL); -1 after 400. */
int api_body_str(struct api_req *r, const char *name, size_t max_bytes, const char **out);
/* Body member name as a boolean (absent or null: false); -1 after 400. */
int api_body_bool(struct api_req *r, const char *name, bool *out);
/* Body member name as an integer in [min, max] (absent: def); -1 after 400. */
int api_body_long(struct api_req *r, const char *name, long long min, long long max,
                  long long def, long long *out);

/* A page request: ?limit= (1..API_PAGE_MAX, default API_PAGE_DEFAULT) and ?cursor=. */
struct api_page {
    const char *kind;             /* the cursor's kind: "exceptions", "orders", ... */
    int limit;
    long long before_id;          /* 0: from the newest */
};
/* Reads the page arguments; -1 after 400. */
int api_page_read(struct api_req *r, const char *kind, struct api_page *p);
/*
 * Answers a page from res, read with limit + 1 rows, ordered by id_col
 * descending: {"items": [first limit rows], "next_cursor": cursor after the
 * last item, or null}. res is PQcleared. extra (may be NULL) is merged into
 * the answer and consumed.
 */
void api_reply_page(struct api_req *r, const struct api_page *p, PGresult *res,
                    const char *id_col, struct json_object *extra);

/* BEGIN / COMMIT on r->db; -1 after answering (and rolling back). */
int api_begin(struct api_req *r);
int api_commit(struct api_req *r);

/*
 * The end of a settings change (admin_actions.h) run after api_begin:
 * commits and answers out (200, consumed) on ST_OK; otherwise rolls back
 * and answers the refusal (INVALID 400, NOT_FOUND 404, CONFLICT 409) or
 * the failure.
 */
void api_admin_finish(struct api_req *r, enum st st, enum admin_refusal refusal,
                      const struct errbuf *err, struct json_object *out);
/* The caller as an admin action's actor (its token name; shop r->shop). */
struct admin_actor api_admin_actor(const struct api_req *r);

/* ---- the resources (one file each) ---- */

void api_whoami(struct api_req *r);
void api_exceptions_list(struct api_req *r);
void api_exceptions_show(struct api_req *r);
void api_exceptions_resolve(struct api_req *r);
void api_exceptions_retry(struct api_req *r);
void api_exceptions_bulk_resolve(struct api_req *r);
void api_exceptions_bulk_retry(struct api_req *r);
void api_orders_list(struct api_req *r);
void api_orders_show(struct api_req *r);
void api_jobs_list(struct api_req *r);
void api_jobs_retry(struct api_req *r);
void api_audit_list(struct api_req *r);
void api_dashboard(struct api_req *r);
void api_sku_list(struct api_req *r);
void api_sku_map(struct api_req *r);
void api_sku_unmap(struct api_req *r);
void api_routing_list(struct api_req *r);
void api_routing_set(struct api_req *r);
void api_routing_delete(struct api_req *r);
void api_routing_check(struct api_req *r);
void api_carriers_list(struct api_req *r);
void api_carriers_set(struct api_req *r);
void api_carriers_delete(struct api_req *r);
void api_schedules_list(struct api_req *r);
void api_limiter_show(struct api_req *r);
void api_reports_inventory(struct api_req *r);
void api_reports_reconcile(struct api_req *r);
void api_reports_daily(struct api_req *r);
void api_returns_list(struct api_req *r);
void api_returns_show(struct api_req *r);
void api_returns_authorise(struct api_req *r);
void api_returns_reject(struct api_req *r);

#endif
