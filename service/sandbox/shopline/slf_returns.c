/*
 * slf_returns.c - the fake store's return requests and refunds, and their
 * signed webhooks (return/create, return/update, refunds/create).
 *
 * The payloads are the shapes shopvox assumes (README "Returns"; the
 * shared notes do not document them): a return {id, order_id, status,
 * name, created_at, updated_at, return_line_items:[{id, line_item_id,
 * quantity, return_reason}]}, a refund {id, order_id, created_at, note,
 * refund_line_items:[{line_item_id, quantity, subtotal}],
 * transactions:[{amount, currency, kind}]}, ids as text.
 *
 * Control (POST, body JSON; "webhook_id", "duplicates", "url", "secret",
 * "encoding" as for the order deliveries):
 *   /_sandbox/returns       {"order_id", "lines":[{"sku"|"line_item_id",
 *                           "quantity", "reason"}], "status"} -> return/create
 *   /_sandbox/returns/{id}  {"status"} and/or {"quantity": n} (every
 *                           line's quantity) change it (a new version), or
 *                           {"version": n} re-sends an older one -> return/update
 *   /_sandbox/refunds       {"order_id", "lines":[{"sku"|"line_item_id",
 *                           "quantity", "subtotal"}], "amount", "currency"}
 *                           -> refunds/create
 * A line named by SKU must be in the order; a line_item_id is taken as
 * given (an unknown one is how a test sends a line shopvox cannot match).
 * Like the order deliveries: planned under the lock, sent after it.
 */
#include "slf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../sandbox_control.h"

#define SLF_K_RETURN 91 /* beside slf_store.c's kinds */
#define SLF_K_REFUND 92

void slf_returns_reset(struct slf_returns *r)
{
    for (size_t i = 0; i < r->n; i++) {
        for (size_t v = 0; v < r->items[i].n_versions; v++)
            free(r->items[i].versions[v]);
        free(r->items[i].versions);
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

static void slf_returns_new_id(struct slf_returns *r, int kind, char out[SLF_ID_CHARS])
{
    snprintf(out, SLF_ID_CHARS, "%02d%024ld", kind, ++r->next_id);
}

static struct slf_return *slf_return_find(struct slf_returns *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].id, id) == 0)
            return &r->items[i];
    return NULL;
}

static void slf_return_add_version(struct slf_return *ret, struct json_object *j)
{
    ret->versions = xrealloc(ret->versions, (ret->n_versions + 1) * sizeof(*ret->versions));
    ret->versions[ret->n_versions++] =
        xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
}

/* The order line of a control line ({"sku"} in the order, or {"line_item_id"} as given). */
static const char *slf_line_id(const struct slf_order *o, struct json_object *l)
{
    const char *sku = sbx_json_str(l, "sku");

    if (sku == NULL)
        return sbx_json_str(l, "line_item_id");
    for (size_t i = 0; i < o->n_lines; i++)
        if (strcmp(o->lines[i].sku, sku) == 0)
            return o->lines[i].id;
    return NULL;
}

/*
 * The control's lines as the webhook's (new array): line id, quantity
 * and the field extra ("return_reason" from "reason", "subtotal"); NULL
 * with msg when a line is bad.
 */
static struct json_object *slf_lines(const struct slf_order *o, struct json_object *in,
                                     bool is_return, char *msg, size_t cap)
{
    struct json_object *arr = NULL, *out = json_object_new_array(), *q = NULL;

    if (!json_object_object_get_ex(in, "lines", &arr) || !json_object_is_type(arr, json_type_array))
        arr = NULL;
    for (size_t i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        struct json_object *l = json_object_array_get_idx(arr, i), *w = json_object_new_object();
        const char *id = slf_line_id(o, l);
        const char *extra = sbx_json_str(l, is_return ? "reason" : "subtotal");

        json_object_array_add(out, w);
        if (id == NULL || !json_object_object_get_ex(l, "quantity", &q)) {
            snprintf(msg, cap, "a line needs \"sku\" (of the order) or \"line_item_id\", and "
                     "\"quantity\"");
            json_object_put(out);
            return NULL;
        }
        if (is_return)
            json_object_object_add(w, "id", json_object_new_int64((int64_t)i + 1));
        json_object_object_add(w, "line_item_id", json_object_new_string(id));
        json_object_object_add(w, "quantity", json_object_get(q));
        if (extra != NULL)
            json_object_object_add(w, is_return ? "return_reason" : "subtotal",
                                   json_object_new_string(extra));
    }
    return out;
}

/* Plans 1 + "duplicates" copies (one webhook id) of body on topic; lock held, in checked. */
static int slf_returns_plan(struct sandbox_shopline *sb, struct json_object *in,
                            const char *topic, const char *order_id, const char *body,
                            struct slf_send **out, size_t *n)
{
    struct json_object *d = NULL;
    long dups = json_object_object_get_ex(in, "duplicates", &d) ? json_object_get_int(d) : 0;

    *out = xcalloc((size_t)dups + 1, sizeof(**out));
    for (*n = 0; *n <= (size_t)dups; (*n)++) {
        slf_webhook_fill(sb, in, topic, body, *n > 0 ? (*out)[0].webhook_id : NULL, &(*out)[*n]);
        snprintf((*out)[*n].order_id, SLF_ID_CHARS, "%s", order_id);
    }
    return 200;
}

static void slf_time(const struct sandbox_shopline *sb, struct json_object *j, const char *key,
                     int64_t ms)
{
    char t[40];

    slf_format_time(sb, ms, t, sizeof(t));
    json_object_object_add(j, key, json_object_new_string(t));
}

/* POST /_sandbox/returns: a new return of an order (lock held). */
static int slf_return_create(struct sandbox_shopline *sb, struct json_object *in,
                             struct slf_return **made, char *msg, size_t cap)
{
    const char *status = sbx_json_str(in, "status");
    struct slf_order *o = slf_store_find_order(&sb->st, sbx_json_str(in, "order_id"));
    struct json_object *lines, *j;
    struct slf_return *ret;
    char name[48];

    if (o == NULL) {
        snprintf(msg, cap, "no such order");
        return 404;
    }
    lines = slf_lines(o, in, true, msg, cap);
    if (lines == NULL)
        return 400;
    sb->returns.items = buf_grow_array(sb->returns.items, &sb->returns.cap, sb->returns.n + 1,
                                       sizeof(*sb->returns.items));
    ret = &sb->returns.items[sb->returns.n++];
    memset(ret, 0, sizeof(*ret));
    slf_returns_new_id(&sb->returns, SLF_K_RETURN, ret->id);
    snprintf(ret->order_id, sizeof(ret->order_id), "%s", o->id);
    ret->updated_ms = now_ms_wall();
    snprintf(name, sizeof(name), "%s-R%zu", o->name, sb->returns.n);
    j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_string(ret->id));
    json_object_object_add(j, "order_id", json_object_new_string(o->id));
    json_object_object_add(j, "status", json_object_new_string(status ? status : "requested"));
    json_object_object_add(j, "name", json_object_new_string(name));
    slf_time(sb, j, "created_at", ret->updated_ms);
    slf_time(sb, j, "updated_at", ret->updated_ms);
    json_object_object_add(j, "return_line_items", lines);
    slf_return_add_version(ret, j);
    json_object_put(j);
    *made = ret;
    return 200;
}

/* Sets every line's quantity of return body j to q. */
static void slf_return_quantity(struct json_object *j, int q)
{
    struct json_object *lines = NULL;

    if (!json_object_object_get_ex(j, "return_line_items", &lines))
        return;
    for (size_t i = 0; i < json_object_array_length(lines); i++)
        json_object_object_add(json_object_array_get_idx(lines, i), "quantity",
                               json_object_new_int(q));
}

/* POST /_sandbox/returns/{id}: a new status or quantity (a new version); *version to send. */
static int slf_return_change(struct sandbox_shopline *sb, struct slf_return *ret,
                             struct json_object *in, size_t *version, char *msg, size_t cap)
{
    const char *status = sbx_json_str(in, "status");
    struct json_object *v = NULL, *q = NULL, *j;
    bool quantity = json_object_object_get_ex(in, "quantity", &q);

    if (status != NULL || quantity) {
        j = slf_json_parse_ids(ret->versions[ret->n_versions - 1],
                               strlen(ret->versions[ret->n_versions - 1]));
        ret->updated_ms = now_ms_wall() > ret->updated_ms ? now_ms_wall() : ret->updated_ms + 1;
        if (status != NULL)
            json_object_object_add(j, "status", json_object_new_string(status));
        if (quantity)
            slf_return_quantity(j, json_object_get_int(q));
        slf_time(sb, j, "updated_at", ret->updated_ms);
        slf_return_add_version(ret, j);
        json_object_put(j);
    }
    *version = ret->n_versions - 1;
    if (json_object_object_get_ex(in, "version", &v)) {
        if (json_object_get_int(v) < 0 || (size_t)json_object_get_int(v) >= ret->n_versions) {
            snprintf(msg, cap, "version must be 0..%zu", ret->n_versions - 1);
            return 400;
        }
        *version = (size_t)json_object_get_int(v);
    }
    return 200;
}

/* POST /_sandbox/refunds: the refund's body (new object) or NULL with the code. */
static struct json_object *slf_refund_make(struct sandbox_shopline *sb, struct json_object *in,
                                           int *code, char *msg, size_t cap)
{
    const struct slf_order *o = slf_store_find_order(&sb->st, sbx_json_str(in, "order_id"));
    const char *amount = sbx_json_str(in, "amount"), *currency = sbx_json_str(in, "currency");
    struct json_object *lines, *j, *t, *ts;
    char id[SLF_ID_CHARS];

    *code = o == NULL ? 404 : 400;
    if (o == NULL) {
        snprintf(msg, cap, "no such order");
        return NULL;
    }
    lines = slf_lines(o, in, false, msg, cap);
    if (lines == NULL)
        return NULL;
    slf_returns_new_id(&sb->returns, SLF_K_REFUND, id);
    j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_string(id));
    json_object_object_add(j, "order_id", json_object_new_string(o->id));
    slf_time(sb, j, "created_at", now_ms_wall());
    json_object_object_add(j, "note", json_object_new_string("refund from the sandbox"));
    json_object_object_add(j, "refund_line_items", lines);
    t = json_object_new_object();
    json_object_object_add(t, "amount", json_object_new_string(amount ? amount : "10.00"));
    json_object_object_add(t, "currency",
                           json_object_new_string(currency ? currency : o->currency));
    json_object_object_add(t, "kind", json_object_new_string("refund"));
    ts = json_object_new_array();
    json_object_array_add(ts, t);
    json_object_object_add(j, "transactions", ts);
    *code = 200;
    return j;
}

/* Under the lock: the change and its deliveries; *shown the return's or refund's JSON. */
static int slf_returns_change(struct sandbox_shopline *sb, const char *path,
                              struct json_object *in, struct json_object **shown,
                              struct slf_send **sends, size_t *n, char *msg, size_t cap)
{
    struct slf_return *ret = NULL;
    size_t version = 0;
    int code;

    if (slf_webhook_check(sb, in, msg, cap) != 0)
        return 400; /* before any change: a refused call changes nothing */
    if (strcmp(path, "refunds") == 0) {
        *shown = slf_refund_make(sb, in, &code, msg, cap);
        return code != 200 ? code
                           : slf_returns_plan(sb, in, "refunds/create",
                                              sbx_json_str(in, "order_id"),
                                              json_object_to_json_string_ext(
                                                  *shown, JSON_C_TO_STRING_PLAIN),
                                              sends, n);
    }
    if (strcmp(path, "returns") == 0) {
        code = slf_return_create(sb, in, &ret, msg, cap);
    } else {
        ret = slf_return_find(&sb->returns, path + strlen("returns/"));
        code = ret == NULL ? 404 : slf_return_change(sb, ret, in, &version, msg, cap);
        if (ret == NULL)
            snprintf(msg, cap, "no such return");
    }
    if (code != 200)
        return code;
    *shown = slf_json_parse_ids(ret->versions[version], strlen(ret->versions[version]));
    return slf_returns_plan(sb, in, strcmp(path, "returns") == 0 ? "return/create"
                                                                  : "return/update",
                            ret->order_id, ret->versions[version], sends, n);
}

bool slf_returns_control(struct sandbox_shopline *sb, const struct http_request *req,
                         struct http_response *resp)
{
    const char *path = req->path + strlen(SBX_CONTROL_PREFIX);

    if (strcmp(req->method, "POST") != 0 ||
        (strcmp(path, "returns") != 0 && strncmp(path, "returns/", 8) != 0 &&
         strcmp(path, "refunds") != 0))
        return false;
    slf_control_run(sb, req, resp, slf_returns_change,
                    strcmp(path, "refunds") == 0 ? "refund" : "return");
    return true;
}
