/*
 * slf_api.c - the Admin API endpoints of the fake store (see sandbox.h for
 * the list) and their link-header paging. Runs under the fake's lock.
 *
 * Paging is by cursor, as SHOPLINE's: page_info is opaque to the client
 * (here the hex of "kind|position|status|updated_at_min|ids", position the
 * index after the last row sent) and carries the filters, so a request
 * with page_info takes only limit beside it (400 otherwise, as a real
 * store). Rows are kept in creation order and never removed, so a cursor
 * stays valid while orders are added. The next page's URL repeats the
 * request's Host, so it works through any address the client used.
 *
 * Request bodies: SHOPLINE wants line ids as JSON numbers, which are 26
 * digits; json-c would saturate them at 2^64-1, so bare integers longer
 * than 18 digits are quoted before parsing and read as text.
 */
#include "slf_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "order.h"

#define SLF_CURSOR_MAX_CHARS 4096
#define SLF_MAX_IDS 250

/* ---- bodies ---- */

struct json_object *slf_json_parse_ids(const char *body, size_t len)
{
    struct buf b;
    struct json_object *j;
    bool in_str = false;

    buf_init(&b, 0);
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        size_t n = 0;

        if (in_str && c == '\\' && i + 1 < len) {
            buf_append(&b, body + i++, 2);
            continue;
        }
        if (c == '"')
            in_str = !in_str;
        if (in_str || !isdigit((unsigned char)c) ||
            (i > 0 && (isalpha((unsigned char)body[i - 1]) || strchr(".-", body[i - 1])))) {
            buf_append(&b, &c, 1);
            continue;
        }
        while (i + n < len && isdigit((unsigned char)body[i + n]))
            n++;
        if (n > 18 && (i + n == len || strchr(".eE", body[i + n]) == NULL))
            buf_appendf(&b, "\"%.*s\"", (int)n, body + i);
        else
            buf_append(&b, body + i, n);
        i += n - 1;
    }
    j = json_tokener_parse(buf_cstr(&b));
    buf_cleanup(&b);
    return j;
}

/* A member as text (a string, or a number written as digits), or NULL. */
static const char *slf_json_id(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    if (json_object_is_type(v, json_type_string) || json_object_is_type(v, json_type_int))
        return json_object_get_string(v);
    return NULL;
}

/* ---- paging ---- */

struct slf_filter {
    char kind;                   /* 'o' orders, 'p' products */
    size_t pos;                  /* the first row to consider */
    char status[12];             /* open | cancelled | any */
    int64_t updated_min_ms;      /* -1: none */
    char ids[SLF_CURSOR_MAX_CHARS / 2]; /* comma-separated, "" = all */
    long limit;
};

static void slf_cursor_encode(const struct slf_filter *f, char *out, size_t cap)
{
    char raw[SLF_CURSOR_MAX_CHARS];
    size_t n;

    n = (size_t)snprintf(raw, sizeof(raw), "%c|%zu|%s|%lld|%s", f->kind, f->pos, f->status,
                         (long long)f->updated_min_ms, f->ids);
    for (size_t i = 0; i < n && 2 * i + 2 < cap; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned char)raw[i]);
}

static int slf_cursor_decode(const char *hex, struct slf_filter *f)
{
    char raw[SLF_CURSOR_MAX_CHARS];
    size_t n = strlen(hex) / 2;
    char kind;
    long long pos, upd;
    int used = 0;

    if (strlen(hex) % 2 != 0 || n >= sizeof(raw))
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        raw[i] = (char)v;
    }
    raw[n] = '\0';
    if (sscanf(raw, "%c|%lld|%11[a-z]|%lld|%n", &kind, &pos, f->status, &upd, &used) != 4 ||
        used == 0 || kind != f->kind || pos < 0)
        return -1;
    f->pos = (size_t)pos;
    f->updated_min_ms = upd;
    snprintf(f->ids, sizeof(f->ids), "%s", raw + used);
    return 0;
}

/* limit and page_info, or the first page's filters; 0 or -1 with the answer in resp. */
static int slf_filter_read(const struct http_request *req, struct slf_filter *f, long max,
                           struct http_response *resp)
{
    const char *limit = http_query(req, "limit");
    const char *page = http_query(req, "page_info");
    const char *upd = http_query(req, "updated_at_min");
    const char *status = http_query(req, "status");
    const char *ids = http_query(req, "ids");
    char *end = NULL;

    f->limit = limit ? strtol(limit, &end, 10) : 50;
    if (limit != NULL && (*end != '\0' || f->limit < 1 || f->limit > max)) {
        char msg[64];

        snprintf(msg, sizeof(msg), "limit must be between 1 and %ld", max);
        slf_reply_errors(resp, 400, msg);
        return -1;
    }
    if (page != NULL) {
        if (upd != NULL || status != NULL || ids != NULL) {
            slf_reply_errors(resp, 400, "page_info takes no other parameter than limit");
            return -1;
        }
        if (slf_cursor_decode(page, f) != 0) {
            slf_reply_errors(resp, 400, "invalid page_info");
            return -1;
        }
        return 0;
    }
    snprintf(f->status, sizeof(f->status), "%s", status ? status : "open");
    if (strcmp(f->status, "open") != 0 && strcmp(f->status, "cancelled") != 0 &&
        strcmp(f->status, "any") != 0) {
        slf_reply_errors(resp, 400, "status must be open, cancelled or any");
        return -1;
    }
    f->updated_min_ms = -1;
    if (upd != NULL && order_parse_time_ms(upd, &f->updated_min_ms) != 0) {
        slf_reply_errors(resp, 400, "updated_at_min is not an ISO-8601 time");
        return -1;
    }
    if (ids != NULL && strlen(ids) >= sizeof(f->ids)) {
        slf_reply_errors(resp, 400, "too many ids");
        return -1;
    }
    snprintf(f->ids, sizeof(f->ids), "%s", ids ? ids : "");
    return 0;
}

/* Whether id is one of the comma-separated ids (or there are none). */
static bool slf_ids_has(const char *ids, const char *id)
{
    size_t n = strlen(id);

    if (ids[0] == '\0')
        return true;
    for (const char *p = ids; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return false;
}

/* The link header to the page after pos, when there is one. */
static void slf_link_next(const struct http_request *req, struct slf_filter *f, size_t next_pos,
                          struct http_response *resp)
{
    char cursor[SLF_CURSOR_MAX_CHARS * 2 + 1];
    const char *host = http_header(req, "Host");
    char *link;

    f->pos = next_pos;
    slf_cursor_encode(f, cursor, sizeof(cursor));
    link = xasprintf("<http://%s%s?limit=%ld&page_info=%s>; rel=\"next\"",
                     host ? host : "127.0.0.1", req->path, f->limit, cursor);
    http_response_header(resp, "link", link);
    free(link);
}

/* ---- endpoints ---- */

/* 200 {key: arr} (arr consumed), with a link to the page from next_pos when rows remain. */
static void slf_reply_list(const struct http_request *req, struct http_response *resp,
                           const char *key, struct json_object *arr, struct slf_filter *f,
                           size_t next_pos, size_t n_rows)
{
    struct json_object *j = json_object_new_object();

    if (f != NULL && next_pos < n_rows)
        slf_link_next(req, f, next_pos, resp);
    json_object_object_add(j, key, arr);
    slf_reply_json(resp, 200, j);
}

static bool slf_order_matches(const struct slf_order *o, const struct slf_filter *f)
{
    if (strcmp(f->status, "open") == 0 && o->cancelled)
        return false;
    if (strcmp(f->status, "cancelled") == 0 && !o->cancelled)
        return false;
    return o->updated_ms >= f->updated_min_ms && slf_ids_has(f->ids, o->id);
}

static void slf_get_orders(struct sandbox_shopline *sb, const struct http_request *req,
                           struct http_response *resp, struct slf_call *call)
{
    struct slf_filter f = {.kind = 'o'};
    struct json_object *arr;
    size_t i;

    if (slf_filter_read(req, &f, 100, resp) != 0)
        return;
    arr = json_object_new_array();
    for (i = f.pos; i < sb->st.n_orders && call->rows < f.limit; i++) {
        if (!slf_order_matches(&sb->st.orders[i], &f))
            continue;
        json_object_array_add(arr, slf_order_json(sb, &sb->st.orders[i]));
        call->rows++;
    }
    while (i < sb->st.n_orders && !slf_order_matches(&sb->st.orders[i], &f))
        i++;
    slf_reply_list(req, resp, "orders", arr, &f, i, sb->st.n_orders);
}

static void slf_get_products(struct sandbox_shopline *sb, const struct http_request *req,
                             struct http_response *resp, struct slf_call *call)
{
    struct slf_filter f = {.kind = 'p'};
    struct json_object *arr;
    size_t i;

    if (slf_filter_read(req, &f, 250, resp) != 0)
        return;
    arr = json_object_new_array();
    for (i = f.pos; i < sb->st.n_products && call->rows < f.limit; i++, call->rows++)
        json_object_array_add(arr, slf_product_json(&sb->st.products[i]));
    slf_reply_list(req, resp, "products", arr, &f, i, sb->st.n_products);
}

static void slf_get_locations(struct sandbox_shopline *sb, const struct http_request *req,
                              struct http_response *resp, struct slf_call *call)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < sb->st.n_locations; i++, call->rows++) {
        struct json_object *l = json_object_new_object();

        json_object_object_add(l, "id", json_object_new_string(sb->st.locations[i].id));
        json_object_object_add(l, "name", json_object_new_string(sb->st.locations[i].name));
        json_object_object_add(l, "active", json_object_new_boolean(1));
        json_object_array_add(arr, l);
    }
    slf_reply_list(req, resp, "locations", arr, NULL, 0, 0);
}

static void slf_get_fulfillments(struct sandbox_shopline *sb, struct slf_order *o,
                                 const struct http_request *req, struct http_response *resp,
                                 struct slf_call *call)
{
    struct json_object *arr = json_object_new_array();

    for (size_t i = 0; i < o->n_fuls; i++, call->rows++)
        json_object_array_add(arr, slf_fulfillment_json(sb, o, &o->fuls[i]));
    slf_reply_list(req, resp, "fulfillments", arr, NULL, 0, 0);
}

/* {"errors":{"line_items":[msg]}}: the object shape of SHOPLINE's errors. */
static void slf_reply_line_error(struct http_response *resp, const char *msg)
{
    struct json_object *errs = json_object_new_object();
    struct json_object *arr = json_object_new_array();
    struct json_object *j = json_object_new_object();

    json_object_array_add(arr, json_object_new_string(msg));
    json_object_object_add(errs, "line_items", arr);
    json_object_object_add(j, "errors", errs);
    slf_reply_json(resp, 422, j);
}

/* The store's answer to a refused fulfillment. */
static void slf_reply_ful_refused(struct http_response *resp, const struct slf_order *o,
                                  enum slf_ful_result r, const char *bad)
{
    char msg[160];
    struct json_object *j;

    switch (r) {
    case SLF_FUL_BAD_LINE:
        snprintf(msg, sizeof(msg), "line item %s is not in order %s or its quantity is below 1",
                 bad ? bad : "?", o->id);
        slf_reply_line_error(resp, msg);
        return;
    case SLF_FUL_ALREADY:
        snprintf(msg, sizeof(msg), "line items are already fulfilled: %s", bad ? bad : "?");
        slf_reply_errors(resp, 422, msg);
        return;
    case SLF_FUL_TRACKING:
        j = json_object_new_object();
        json_object_object_add(j, "errors", json_object_new_array());
        json_object_array_add(json_object_object_get(j, "errors"),
                              json_object_new_string("tracking_info_list has more than 10 "
                                                     "entries"));
        slf_reply_json(resp, 422, j);
        return;
    case SLF_FUL_CANCELLED:
        slf_reply_errors(resp, 422, "order has been cancelled");
        return;
    case SLF_FUL_NO_LINES:
    case SLF_FUL_OK:
        break;
    }
    slf_reply_errors(resp, 422, "line_items is required");
}

/* Reads the request's lines and tracking into the arrays (each sized by its JSON array). */
static void slf_read_fulfillment(struct json_object *ful, struct slf_new_fulfillment *in,
                                 struct slf_new_fline *lines, struct slf_new_tracking *tracking)
{
    struct json_object *arr = NULL, *v = NULL;

    if (json_object_object_get_ex(ful, "line_items", &arr) &&
        json_object_is_type(arr, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            struct json_object *l = json_object_array_get_idx(arr, i);
            const char *id = slf_json_id(l, "id");

            json_object_object_get_ex(l, "quantity", &v);
            lines[in->n_lines].line_id = id ? id : "";
            lines[in->n_lines++].quantity = json_object_is_type(v, json_type_int)
                                                ? (long)json_object_get_int64(v) : 0;
        }
    }
    in->lines = lines;
    if (json_object_object_get_ex(ful, "tracking_info_list", &arr) &&
        json_object_is_type(arr, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
            struct json_object *t = json_object_array_get_idx(arr, i);

            tracking[i].number = slf_json_id(t, "tracking_number");
            tracking[i].company = slf_json_id(t, "tracking_company");
            tracking[i].url = slf_json_id(t, "tracking_url");
            in->n_tracking++;
        }
    }
    in->tracking = tracking;
    in->notify_customer = !json_object_object_get_ex(ful, "notify_customer", &v) ||
                          json_object_get_boolean(v);
}

static size_t slf_array_len(struct json_object *o, const char *key)
{
    struct json_object *arr;

    if (!json_object_object_get_ex(o, key, &arr) || !json_object_is_type(arr, json_type_array))
        return 0;
    return json_object_array_length(arr);
}

static void slf_post_fulfillment(struct sandbox_shopline *sb, struct slf_order *o,
                                 const struct http_request *req, struct http_response *resp)
{
    struct json_object *root = slf_json_parse_ids(req->body, req->body_len);
    struct json_object *ful = NULL;
    struct slf_new_fulfillment in = {0};
    struct slf_new_fline *lines = NULL;
    struct slf_new_tracking *tracking = NULL;
    const struct slf_fulfillment *done = NULL;
    const char *bad = NULL;
    enum slf_ful_result r;
    struct json_object *j;

    if (!json_object_object_get_ex(root, "fulfillment", &ful) ||
        !json_object_is_type(ful, json_type_object)) {
        slf_reply_errors(resp, 400, "body must be {\"fulfillment\":{...}}");
        goto out;
    }
    lines = xcalloc(slf_array_len(ful, "line_items") + 1, sizeof(*lines));
    tracking = xcalloc(slf_array_len(ful, "tracking_info_list") + 1, sizeof(*tracking));
    slf_read_fulfillment(ful, &in, lines, tracking);
    r = slf_store_fulfil(&sb->st, o, &in, now_ms_wall(), &bad, &done);
    if (r != SLF_FUL_OK) {
        slf_reply_ful_refused(resp, o, r, bad);
        goto out;
    }
    slf_order_snapshot(sb, o);
    j = json_object_new_object();
    json_object_object_add(j, "fulfillment", slf_fulfillment_json(sb, o, done));
    slf_reply_json(resp, 200, j);
out:
    free(lines);
    free(tracking);
    json_object_put(root);
}

static void slf_post_level(struct sandbox_shopline *sb, const struct http_request *req,
                           struct http_response *resp)
{
    struct json_object *root = slf_json_parse_ids(req->body, req->body_len);
    const char *item = slf_json_id(root, "inventory_item_id");
    const char *loc = slf_json_id(root, "location_id");
    struct json_object *avail = NULL;
    struct slf_level *l;

    json_object_object_get_ex(root, "available", &avail);
    if (item == NULL || loc == NULL || !json_object_is_type(avail, json_type_int))
        slf_reply_errors(resp, 400, "inventory_item_id, location_id and available are required");
    else if (!slf_store_item_known(&sb->st, item) || !slf_store_location_known(&sb->st, loc))
        slf_reply_errors(resp, 404, "Not Found");
    else if ((l = slf_store_find_level(&sb->st, item, loc)) == NULL)
        slf_reply_errors(resp, 422, "inventory item is not connected to the location");
    else {
        struct json_object *j = json_object_new_object();

        l->available = (long)json_object_get_int64(avail);
        l->updated_ms = now_ms_wall();
        json_object_object_add(j, "inventory_level", slf_level_json(sb, l));
        slf_reply_json(resp, 200, j);
    }
    json_object_put(root);
}

static void slf_get_levels(struct sandbox_shopline *sb, const struct http_request *req,
                           struct http_response *resp, struct slf_call *call)
{
    const char *items = http_query(req, "inventory_item_ids");
    const char *locs = http_query(req, "location_ids");
    struct json_object *arr;

    if (items == NULL && locs == NULL) {
        slf_reply_errors(resp, 400, "inventory_item_ids or location_ids is required");
        return;
    }
    arr = json_object_new_array();
    for (size_t i = 0; i < sb->st.n_levels; i++) {
        if (slf_ids_has(items ? items : "", sb->st.levels[i].item) &&
            slf_ids_has(locs ? locs : "", sb->st.levels[i].location)) {
            json_object_array_add(arr, slf_level_json(sb, &sb->st.levels[i]));
            call->rows++;
        }
    }
    slf_reply_list(req, resp, "inventory_levels", arr, NULL, 0, 0);
}

/* ---- routing ---- */

/* "orders/{id}/fulfillments.json": the id into out (cap SLF_ID_CHARS), else false. */
static bool slf_fulfillments_path(const char *rest, char *out)
{
    const char *tail = "/fulfillments.json";
    const char *slash;

    if (strncmp(rest, "orders/", 7) != 0 || (slash = strchr(rest + 7, '/')) == NULL ||
        strcmp(slash, tail) != 0 || slash - (rest + 7) >= SLF_ID_CHARS || slash == rest + 7)
        return false;
    memcpy(out, rest + 7, (size_t)(slash - (rest + 7)));
    out[slash - (rest + 7)] = '\0';
    return true;
}

const char *slf_api_op(const char *method, const char *rest)
{
    char id[SLF_ID_CHARS];
    bool post = strcmp(method, "POST") == 0;

    if (slf_fulfillments_path(rest, id))
        return post ? "POST fulfillments" : "GET fulfillments";
    if (strcmp(rest, "orders.json") == 0)
        return "GET orders";
    if (strcmp(rest, "products/products.json") == 0)
        return "GET products";
    if (strcmp(rest, "locations/list.json") == 0)
        return "GET locations";
    if (strcmp(rest, "inventory_levels/set.json") == 0)
        return "POST inventory_levels/set";
    if (strcmp(rest, "inventory_levels.json") == 0)
        return "GET inventory_levels";
    if (strcmp(rest, "webhooks.json") == 0)
        return post ? "POST webhooks" : "GET webhooks";
    return "other";
}

static void slf_api_fulfillments(struct sandbox_shopline *sb, const struct http_request *req,
                                 const char *rest, struct http_response *resp,
                                 struct slf_call *call)
{
    char id[SLF_ID_CHARS];
    struct slf_order *o;

    slf_fulfillments_path(rest, id);
    o = slf_store_find_order(&sb->st, id);
    if (o == NULL) {
        slf_reply_errors(resp, 404, "Not Found");
    } else if (strcmp(req->method, "POST") == 0) {
        call->is_write = true;
        slf_post_fulfillment(sb, o, req, resp);
    } else {
        slf_get_fulfillments(sb, o, req, resp, call);
    }
}

void slf_api_run(struct sandbox_shopline *sb, const struct http_request *req, const char *rest,
                 struct http_response *resp, struct slf_call *call)
{
    const char *op = call->op;
    bool post = strcmp(req->method, "POST") == 0;

    if (!post && strcmp(req->method, "GET") != 0)
        slf_reply_errors(resp, 405, "Method Not Allowed");
    else if (strcmp(op, "GET fulfillments") == 0 || strcmp(op, "POST fulfillments") == 0)
        slf_api_fulfillments(sb, req, rest, resp, call);
    else if (strcmp(op, "POST inventory_levels/set") == 0 && post) {
        call->is_write = true;
        slf_post_level(sb, req, resp);
    } else if (strcmp(op, "POST webhooks") == 0) {
        call->is_write = true;
        slf_subs_post(sb, req, resp);
    } else if (post)
        slf_reply_errors(resp, 405, "Method Not Allowed");
    else if (strcmp(op, "GET orders") == 0)
        slf_get_orders(sb, req, resp, call);
    else if (strcmp(op, "GET products") == 0)
        slf_get_products(sb, req, resp, call);
    else if (strcmp(op, "GET locations") == 0)
        slf_get_locations(sb, req, resp, call);
    else if (strcmp(op, "GET inventory_levels") == 0)
        slf_get_levels(sb, req, resp, call);
    else if (strcmp(op, "GET webhooks") == 0)
        slf_subs_get(sb, resp, call);
    else
        slf_reply_errors(resp, 404, "Not Found");
}
