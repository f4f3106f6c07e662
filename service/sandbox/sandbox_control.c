/*
 * sandbox_control.c - the /_sandbox/ JSON endpoints of the fake Peoplevox.
 *
 * Tests and the demo use these to look inside the warehouse (state, one
 * order, the call log), to reset it, to inject faults, and to play the
 * warehouse's part: add catalogue items, despatch (part of) an order, book
 * a return. They never fault and need no session. The caller holds the
 * state lock; answers are JSON with an HTTP code (400 on bad input, 404 on
 * an unknown path or order).
 */
#include "sandbox_pvx_int.h"

#include <string.h>
#include <stdlib.h>

#include <json-c/json.h>

static int sbx_json_reply(struct buf *out, int code, struct json_object *o)
{
    buf_append_str(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return code;
}

static int sbx_json_error(struct buf *out, int code, const char *msg)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(msg));
    return sbx_json_reply(out, code, o);
}

static const char *sbx_json_str(struct json_object *o, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *sbx_order_json(const struct sbx_order *o)
{
    struct json_object *j = json_object_new_object();
    struct json_object *fields = json_object_new_object();
    struct json_object *items = json_object_new_array();

    json_object_object_add(j, "SalesOrderNumber",
                           json_object_new_string(sbx_order_get(o, "SalesOrderNumber")));
    json_object_object_add(j, "Status", json_object_new_string(o->status));
    json_object_object_add(j, "Site", json_object_new_string(sbx_order_get(o, "Site")));
    for (size_t f = 0; f < sbx_n_order_fields; f++) {
        if (o->vals[f][0] != '\0')
            json_object_object_add(fields, sbx_order_fields[f],
                                   json_object_new_string(o->vals[f]));
    }
    for (size_t k = 0; k < o->n_lines; k++) {
        struct json_object *it = json_object_new_object();
        for (size_t f = 0; f < sbx_n_line_fields; f++)
            json_object_object_add(it, sbx_line_fields[f],
                                   json_object_new_string(o->lines[k].vals[f]));
        json_object_object_add(it, "QuantityDespatched",
                               json_object_new_int64(o->lines[k].despatched));
        json_object_array_add(items, it);
    }
    json_object_object_add(j, "fields", fields);
    json_object_object_add(j, "items", items);
    return j;
}

static struct json_object *sbx_faults_json(const struct sbx_faults *f)
{
    struct json_object *j = json_object_new_object();

    json_object_object_add(j, "http_500", json_object_new_int64(f->http_500));
    json_object_object_add(j, "http_429", json_object_new_int64(f->http_429));
    json_object_object_add(j, "timeout", json_object_new_int64(f->timeout));
    json_object_object_add(j, "drop_after_apply", json_object_new_int64(f->drop_after_apply));
    json_object_object_add(j, "slow_ms", json_object_new_int64(f->slow_ms));
    json_object_object_add(j, "refuse_save", json_object_new_int64(f->refuse_save));
    json_object_object_add(j, "refuse_detail", json_object_new_string(f->refuse_detail));
    return j;
}

static struct json_object *sbx_rate_json(const struct sbx_rate_limit *r)
{
    struct json_object *j = json_object_new_object();

    json_object_object_add(j, "calls", json_object_new_int64(r->calls));
    json_object_object_add(j, "window_ms", json_object_new_int64(r->window_ms));
    return j;
}

static int sbx_get_state(struct sandbox_pvx *sb, struct buf *out)
{
    const struct sbx_state *st = &sb->st;
    struct json_object *j = json_object_new_object();
    struct json_object *orders = json_object_new_array();
    struct json_object *calls = json_object_new_object();
    size_t n_lines = 0;

    for (size_t i = 0; i < st->n_orders; i++) {
        n_lines += st->orders[i].n_lines;
        json_object_array_add(orders, sbx_order_json(&st->orders[i]));
    }
    for (size_t i = 0; i < st->n_op_counts; i++)
        json_object_object_add(calls, st->op_counts[i].op,
                               json_object_new_int64(st->op_counts[i].n));
    json_object_object_add(j, "sales_orders", json_object_new_int64((int64_t)st->n_orders));
    json_object_object_add(j, "sales_order_items", json_object_new_int64((int64_t)n_lines));
    json_object_object_add(j, "item_types", json_object_new_int64((int64_t)st->n_items));
    json_object_object_add(j, "despatches", json_object_new_int64((int64_t)st->n_despatches));
    json_object_object_add(j, "returns", json_object_new_int64((int64_t)st->n_returns));
    json_object_object_add(j, "sessions", json_object_new_int64((int64_t)st->n_sessions));
    json_object_object_add(j, "calls_total", json_object_new_int64(st->n_calls));
    json_object_object_add(j, "calls", calls);
    json_object_object_add(j, "faults", sbx_faults_json(&st->faults));
    json_object_object_add(j, "rate_limit", sbx_rate_json(&st->rate));
    json_object_object_add(j, "refused", json_object_new_int64(st->rate.refused));
    json_object_object_add(j, "orders", orders);
    return sbx_json_reply(out, 200, j);
}

static int sbx_get_calls(struct sandbox_pvx *sb, struct buf *out)
{
    const struct sbx_state *st = &sb->st;
    struct json_object *j = json_object_new_object();
    struct json_object *arr = json_object_new_array();
    long first = st->n_calls > SBX_CALL_LOG ? st->n_calls - SBX_CALL_LOG : 0;

    for (long i = first; i < st->n_calls; i++) {
        const struct sbx_call *c = &st->calls[i % SBX_CALL_LOG];
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "seq", json_object_new_int64(c->seq));
        json_object_object_add(o, "at_ms", json_object_new_int64(c->at_ms));
        json_object_object_add(o, "op", json_object_new_string(c->op));
        json_object_object_add(o, "template", json_object_new_string(c->tmpl));
        json_object_object_add(o, "rows", json_object_new_int64(c->rows));
        json_object_object_add(o, "response_id", json_object_new_int64(c->response_id));
        json_object_object_add(o, "http_code", json_object_new_int(c->http_code));
        json_object_array_add(arr, o);
    }
    json_object_object_add(j, "calls", arr);
    return sbx_json_reply(out, 200, j);
}

/* {"calls":n,"window_ms":ms}: 0 on success, else -1 (nothing changed). */
static int sbx_post_rate(struct sandbox_pvx *sb, struct json_object *in)
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
    sbx_rate_set(&sb->st, (long)json_object_get_int64(calls),
                 window != NULL ? (long)json_object_get_int64(window) : 15000);
    return 0;
}

static int sbx_post_faults(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    static const char *const keys[] = {"http_500", "http_429", "timeout", "drop_after_apply",
                                       "slow_ms", "refuse_save"};
    struct sbx_faults *f = &sb->st.faults;
    long *slots[] = {&f->http_500, &f->http_429, &f->timeout, &f->drop_after_apply,
                     &f->slow_ms, &f->refuse_save};
    struct json_object *v;
    const char *detail = sbx_json_str(in, "refuse_detail");

    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        if (!json_object_object_get_ex(in, keys[i], &v))
            continue;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
            return sbx_json_error(out, 400, "fault counts must be whole numbers >= 0");
        *slots[i] = (long)json_object_get_int64(v);
    }
    if (json_object_object_get_ex(in, "rate_limit", &v) && sbx_post_rate(sb, v) != 0)
        return sbx_json_error(out, 400, "rate_limit must be {\"calls\": 0..1000, "
                                        "\"window_ms\": >= 1}");
    if (detail != NULL)
        snprintf(f->refuse_detail, sizeof(f->refuse_detail), "%s", detail);
    else if (f->refuse_save > 0 && f->refuse_detail[0] == '\0')
        snprintf(f->refuse_detail, sizeof(f->refuse_detail), "%s", "Server too busy");
    if (json_object_object_get_ex(in, "expire_sessions", &v) && json_object_get_boolean(v))
        sb->st.n_sessions = 0;
    return sbx_json_reply(out, 200, sbx_faults_json(f));
}

static int sbx_post_item(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    const char *code = sbx_json_str(in, "ItemCode");
    const char *name = sbx_json_str(in, "Name");
    const char *barcode = sbx_json_str(in, "Barcode");
    struct json_object *stock = NULL;

    if (code == NULL || code[0] == '\0' || strlen(code) > SBX_CODE_MAX_CHARS)
        return sbx_json_error(out, 400, "ItemCode is required (at most 50 characters)");
    json_object_object_get_ex(in, "stock", &stock);
    if (json_object_is_type(stock, json_type_object)) {
        json_object_object_foreach(stock, site, qty) {
            if (!sbx_store_site_known(site) || !json_object_is_type(qty, json_type_int))
                return sbx_json_error(out, 400, "stock must map known sites to whole numbers");
        }
        json_object_object_foreach(stock, site2, qty2)
            sbx_store_put_item(&sb->st, code, name, barcode, site2,
                               (long)json_object_get_int64(qty2));
    } else {
        sbx_store_put_item(&sb->st, code, name, barcode, stock ? "PrimarySite" : NULL,
                           (long)json_object_get_int64(stock));
    }
    return sbx_json_reply(out, 200, json_object_new_object());
}

static int sbx_post_despatch(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    struct json_object *items = NULL;
    struct sbx_dline *lines = NULL;
    size_t n = 0;
    char *number = NULL;
    struct errbuf err = {{0}};
    int code;

    if (json_object_object_get_ex(in, "items", &items) &&
        json_object_is_type(items, json_type_array)) {
        n = json_object_array_length(items);
        lines = xcalloc(n, sizeof(*lines));
        for (size_t i = 0; i < n; i++) {
            struct json_object *it = json_object_array_get_idx(items, i);
            struct json_object *qty = NULL;
            const char *item = sbx_json_str(it, "ItemCode");

            lines[i].item_code = xstrdup(item ? item : "");
            json_object_object_get_ex(it, "qty", &qty);
            lines[i].qty = (long)json_object_get_int64(qty);
        }
    }
    if (sbx_store_despatch(&sb->st, sbx_json_str(in, "SalesOrderNumber"), lines, n,
                           sbx_json_str(in, "Carrier"), sbx_json_str(in, "Service"),
                           sbx_json_str(in, "TrackingNumber"), &number, &err) != ST_OK) {
        code = sbx_json_error(out, 400, err.msg);
    } else {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "DespatchNumber", json_object_new_string(number));
        code = sbx_json_reply(out, 200, j);
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i].item_code);
    free(lines);
    free(number);
    return code;
}

static int sbx_post_return(struct sandbox_pvx *sb, struct json_object *in, struct buf *out)
{
    struct json_object *qty = NULL;
    struct json_object *reusable = NULL;
    char *ret_code = NULL;
    struct errbuf err = {{0}};
    int code;

    json_object_object_get_ex(in, "Quantity", &qty);
    json_object_object_get_ex(in, "Reusable", &reusable);
    if (sbx_store_add_return(&sb->st, sbx_json_str(in, "SalesOrderNumber"),
                             sbx_json_str(in, "ItemCode"), (long)json_object_get_int64(qty),
                             sbx_json_str(in, "Reason"), sbx_json_str(in, "Condition"),
                             reusable == NULL || json_object_get_boolean(reusable), &ret_code,
                             &err) != ST_OK) {
        code = sbx_json_error(out, 400, err.msg);
    } else {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "ReturnCode", json_object_new_string(ret_code));
        code = sbx_json_reply(out, 200, j);
    }
    free(ret_code);
    return code;
}

static int sbx_control_post(struct sandbox_pvx *sb, const char *path, const struct buf *body,
                            struct buf *out)
{
    struct json_object *in = NULL;
    int code;

    if (strcmp(path, "reset") == 0) {
        sbx_store_reset(&sb->st, sb->cfg.seed);
        sbx_rate_set(&sb->st, sb->cfg.rate_calls, sb->cfg.rate_window_ms);
        return sbx_json_reply(out, 200, json_object_new_object());
    }
    in = json_tokener_parse(body->len > 0 ? buf_cstr(body) : "{}");
    if (!json_object_is_type(in, json_type_object))
        code = sbx_json_error(out, 400, "body must be a JSON object");
    else if (strcmp(path, "faults") == 0)
        code = sbx_post_faults(sb, in, out);
    else if (strcmp(path, "items") == 0)
        code = sbx_post_item(sb, in, out);
    else if (strcmp(path, "despatch") == 0)
        code = sbx_post_despatch(sb, in, out);
    else if (strcmp(path, "returns") == 0)
        code = sbx_post_return(sb, in, out);
    else
        code = sbx_json_error(out, 404, "no such control endpoint");
    json_object_put(in);
    return code;
}

int sbx_control_handle(struct sandbox_pvx *sb, const char *method, const char *url,
                       const struct buf *body, struct buf *out)
{
    const char *path = url + strlen("/_sandbox/");
    struct sbx_order *o;

    if (strcmp(method, "POST") == 0)
        return sbx_control_post(sb, path, body, out);
    if (strcmp(method, "GET") != 0)
        return sbx_json_error(out, 405, "use GET or POST");
    if (strcmp(path, "state") == 0)
        return sbx_get_state(sb, out);
    if (strcmp(path, "calls") == 0)
        return sbx_get_calls(sb, out);
    if (strncmp(path, "orders/", 7) == 0) {
        o = sbx_store_find_order(&sb->st, path + 7);
        if (o == NULL)
            return sbx_json_error(out, 404, "no such sales order");
        return sbx_json_reply(out, 200, sbx_order_json(o));
    }
    return sbx_json_error(out, 404, "no such control endpoint");
}
