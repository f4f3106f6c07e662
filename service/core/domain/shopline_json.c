/*
 * shopline_json.c - SHOPLINE Admin API bodies (see shopline_json.h).
 *
 * Reading. Every reply is parsed with json_text_parse (ids exact), then
 * read field by field: an id may be a JSON string or an integer (kept as
 * its digits), a count must be an integer, null is the same as absent, and
 * a field of the wrong type fails the whole reply: a half-read page must
 * never look like a short one. The list parsers share one loop
 * (sj_parse_list) that appends and, on any failure, takes back what it
 * appended, so a caller that collects pages keeps a consistent list.
 *
 * Writing. Request bodies are written as text: strings through json-c's
 * escaper, ids that must be numbers as their digits (checked first with
 * json_text_is_id, so nothing but digits ever lands in the JSON).
 *
 * Error replies and the link header: shopline_wire.c.
 */
#include "shopline_json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "json_text.h"
#include "sj_read.h"

/* ---- reading fields ---- */

/* The member, or NULL when absent or null. */
struct json_object *sj_get(struct json_object *obj, const char *key)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

/* An id (string or non-negative integer) as owned text; required ids must be there. */
int sj_id(struct json_object *obj, const char *where, const char *key, bool required,
          char **out, struct errbuf *err)
{
    struct json_object *v = sj_get(obj, key);
    const char *s;

    *out = NULL;
    if (v == NULL) {
        if (required)
            errbuf_set(err, "%s lacks \"%s\"", where, key);
        return required ? -1 : 0;
    }
    if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 0) {
        *out = xasprintf("%lld", (long long)json_object_get_int64(v));
        return 0;
    }
    s = json_object_get_string(v);
    if (!json_object_is_type(v, json_type_string) || s[0] == '\0' ||
        strlen(s) != (size_t)json_object_get_string_len(v)) {
        errbuf_set(err, "%s field \"%s\" is not an id", where, key);
        return -1;
    }
    *out = xstrdup(s);
    return 0;
}

/* Optional text (NULL when absent or null). */
int sj_text(struct json_object *obj, const char *where, const char *key, char **out,
            struct errbuf *err)
{
    struct json_object *v = sj_get(obj, key);

    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_string) ||
        strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
        errbuf_set(err, "%s field \"%s\" is not text", where, key);
        return -1;
    }
    *out = xstrdup(json_object_get_string(v));
    return 0;
}

/* A required non-negative integer. */
int sj_count(struct json_object *obj, const char *where, const char *key, long *out,
             struct errbuf *err)
{
    struct json_object *v = sj_get(obj, key);

    if (v == NULL || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
        json_object_get_int64(v) > ORDER_MAX_QUANTITY) {
        errbuf_set(err, "%s field \"%s\" is not a count", where, key);
        return -1;
    }
    *out = (long)json_object_get_int64(v);
    return 0;
}

/* An array member; absent or null is an empty list when optional. */
int sj_array(struct json_object *obj, const char *where, const char *key, bool required,
             struct json_object **out, struct errbuf *err)
{
    struct json_object *v = sj_get(obj, key);

    *out = NULL;
    if (v == NULL && !required)
        return 0;
    if (v == NULL || !json_object_is_type(v, json_type_array)) {
        errbuf_set(err, "%s field \"%s\" is not a list", where, key);
        return -1;
    }
    *out = v;
    return 0;
}

struct json_object *sj_object_at(struct json_object *arr, size_t i, const char *where,
                                 struct errbuf *err)
{
    struct json_object *v = json_object_array_get_idx(arr, i);

    if (!json_object_is_type(v, json_type_object)) {
        errbuf_set(err, "%s %zu is not an object", where, i);
        return NULL;
    }
    return v;
}

/* ---- one loop for every list reply ---- */

/* Appends what one element of the reply's list holds (one item, or several). */
typedef int (*sj_fill_fn)(struct json_object *item, size_t index, void *list,
                          struct errbuf *err);
/* Frees the list's items from n on and sets its count to n. */
typedef void (*sj_trim_fn)(void *list, size_t n);

static enum st sj_parse_list(const char *body, size_t len, const char *key, void *list,
                             size_t n_before, sj_fill_fn fill, sj_trim_fn trim,
                             struct errbuf *err)
{
    struct json_object *root = json_text_parse(body, len, "shopline reply", err);
    struct json_object *arr = NULL, *item;
    enum st rc = ST_FAIL;
    size_t i;

    if (root == NULL)
        goto out;
    if (!json_object_is_type(root, json_type_object)) {
        errbuf_set(err, "shopline reply is not an object");
        goto out;
    }
    if (sj_array(root, "shopline reply", key, true, &arr, err) < 0)
        goto out;
    for (i = 0; i < json_object_array_length(arr); i++) {
        item = sj_object_at(arr, i, key, err);
        if (item == NULL || fill(item, i, list, err) < 0)
            goto out;
    }
    rc = ST_OK;
out:
    if (rc != ST_OK)
        trim(list, n_before);
    json_object_put(root);
    return rc;
}

/* ---- orders ---- */

static void sj_orders_trim(void *list, size_t n)
{
    struct shopline_orders *o = list;

    while (o->n > n)
        order_cleanup(&o->items[--o->n]);
}

static int sj_order_fill(struct json_object *item, size_t index, void *list, struct errbuf *err)
{
    struct shopline_orders *o = list;
    const char *text = json_object_to_json_string_ext(item, JSON_C_TO_STRING_PLAIN);
    struct errbuf why = { "" };

    o->items = buf_grow_array(o->items, &o->cap, o->n + 1, sizeof(*o->items));
    if (order_parse_json(text, strlen(text), &o->items[o->n], &why) != ST_OK) {
        errbuf_set(err, "order %zu of the page: %s", index, why.msg);
        return -1;
    }
    o->n++;
    return 0;
}

enum st shopline_parse_orders(const char *body, size_t len, struct shopline_orders *out,
                              struct errbuf *err)
{
    return sj_parse_list(body, len, "orders", out, out->n, sj_order_fill, sj_orders_trim, err);
}

void shopline_orders_cleanup(struct shopline_orders *o)
{
    sj_orders_trim(o, 0);
    free(o->items);
    memset(o, 0, sizeof(*o));
}

/* ---- fulfillments ---- */

enum st shopline_parse_fulfillment_id(const char *body, size_t len, char **id,
                                      struct errbuf *err)
{
    struct json_object *root = json_text_parse(body, len, "fulfillment reply", err);
    struct json_object *f = NULL;
    enum st rc = ST_FAIL;

    *id = NULL;
    if (root == NULL)
        goto out;
    if (json_object_is_type(root, json_type_object))
        f = sj_get(root, "fulfillment");
    if (!json_object_is_type(f, json_type_object)) {
        errbuf_set(err, "fulfillment reply has no \"fulfillment\" object");
        goto out;
    }
    if (sj_id(f, "fulfillment", "id", true, id, err) == 0)
        rc = ST_OK;
out:
    json_object_put(root);
    return rc;
}

static void sj_fulfillment_free(struct shopline_fulfillment *f)
{
    size_t i;

    for (i = 0; i < f->n_lines; i++)
        free(f->lines[i].line_id);
    for (i = 0; i < f->n_tracking; i++)
        free(f->tracking_numbers[i]);
    free(f->lines);
    free(f->tracking_numbers);
    free(f->id);
    free(f->status);
    memset(f, 0, sizeof(*f));
}

static void sj_fulfillments_trim(void *list, size_t n)
{
    struct shopline_fulfillments *fs = list;

    while (fs->n > n)
        sj_fulfillment_free(&fs->items[--fs->n]);
}

static int sj_fulfillment_lines(struct json_object *item, struct shopline_fulfillment *f,
                                struct errbuf *err)
{
    struct json_object *arr, *line;
    size_t i;

    if (sj_array(item, "fulfillment", "line_items", false, &arr, err) < 0)
        return -1;
    f->lines = xcalloc(arr != NULL ? json_object_array_length(arr) + 1 : 1, sizeof(*f->lines));
    for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        line = sj_object_at(arr, i, "fulfillment line", err);
        if (line == NULL ||
            sj_id(line, "fulfillment line", "id", true, &f->lines[f->n_lines].line_id, err) < 0)
            return -1;
        f->n_lines++;
        if (sj_count(line, "fulfillment line", "quantity", &f->lines[f->n_lines - 1].quantity,
                     err) < 0)
            return -1;
    }
    return 0;
}

static void sj_add_tracking(struct shopline_fulfillment *f, size_t *cap, char *number)
{
    if (number == NULL)
        return;
    f->tracking_numbers = buf_grow_array(f->tracking_numbers, cap, f->n_tracking + 1,
                                         sizeof(*f->tracking_numbers));
    f->tracking_numbers[f->n_tracking++] = number;
}

/* tracking_info_list[].tracking_number, else the flat tracking_number(s) of old versions. */
static int sj_fulfillment_tracking(struct json_object *item, struct shopline_fulfillment *f,
                                   struct errbuf *err)
{
    struct json_object *arr, *t;
    size_t cap = 0, i;
    char *number;

    if (sj_array(item, "fulfillment", "tracking_info_list", false, &arr, err) < 0)
        return -1;
    if (arr == NULL && sj_array(item, "fulfillment", "tracking_numbers", false, &arr, err) < 0)
        return -1;
    for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        t = json_object_array_get_idx(arr, i);
        if (json_object_is_type(t, json_type_string)) {
            sj_add_tracking(f, &cap, xstrdup(json_object_get_string(t)));
            continue;
        }
        if (!json_object_is_type(t, json_type_object) ||
            sj_text(t, "tracking info", "tracking_number", &number, err) < 0) {
            errbuf_set(err, "fulfillment tracking %zu is not readable", i);
            return -1;
        }
        sj_add_tracking(f, &cap, number);
    }
    if (f->n_tracking > 0)
        return 0;
    if (sj_text(item, "fulfillment", "tracking_number", &number, err) < 0)
        return -1;
    sj_add_tracking(f, &cap, number);
    return 0;
}

static int sj_fulfillment_fill(struct json_object *item, size_t index, void *list,
                               struct errbuf *err)
{
    struct shopline_fulfillments *fs = list;
    struct shopline_fulfillment *f;

    fs->items = buf_grow_array(fs->items, &fs->cap, fs->n + 1, sizeof(*fs->items));
    f = &fs->items[fs->n++];    /* counted at once: a failure is trimmed with the rest */
    if (sj_id(item, "fulfillment", "id", true, &f->id, err) < 0 ||
        sj_text(item, "fulfillment", "status", &f->status, err) < 0 ||
        sj_fulfillment_lines(item, f, err) < 0 || sj_fulfillment_tracking(item, f, err) < 0)
        return -1;
    return 0;
}

enum st shopline_parse_fulfillments(const char *body, size_t len,
                                    struct shopline_fulfillments *out, struct errbuf *err)
{
    return sj_parse_list(body, len, "fulfillments", out, out->n, sj_fulfillment_fill,
                         sj_fulfillments_trim, err);
}

void shopline_fulfillments_cleanup(struct shopline_fulfillments *f)
{
    sj_fulfillments_trim(f, 0);
    free(f->items);
    memset(f, 0, sizeof(*f));
}

/* ---- locations ---- */

static void sj_locations_trim(void *list, size_t n)
{
    struct shopline_locations *l = list;

    while (l->n > n) {
        l->n--;
        free(l->items[l->n].id);
        free(l->items[l->n].name);
        memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
    }
}

static int sj_location_fill(struct json_object *item, size_t index, void *list,
                            struct errbuf *err)
{
    struct shopline_locations *l = list;
    struct shopline_location *loc;
    struct json_object *active = sj_get(item, "active");

    l->items = buf_grow_array(l->items, &l->cap, l->n + 1, sizeof(*l->items));
    loc = &l->items[l->n++];
    loc->active = active == NULL || json_object_get_boolean(active);
    if (active != NULL && !json_object_is_type(active, json_type_boolean)) {
        errbuf_set(err, "location field \"active\" is not true or false");
        return -1;
    }
    if (sj_id(item, "location", "id", true, &loc->id, err) < 0 ||
        sj_text(item, "location", "name", &loc->name, err) < 0)
        return -1;
    return 0;
}

enum st shopline_parse_locations(const char *body, size_t len, struct shopline_locations *out,
                                 struct errbuf *err)
{
    return sj_parse_list(body, len, "locations", out, out->n, sj_location_fill,
                         sj_locations_trim, err);
}

void shopline_locations_cleanup(struct shopline_locations *l)
{
    sj_locations_trim(l, 0);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ---- products -> variants ---- */

static void sj_variants_trim(void *list, size_t n)
{
    struct shopline_variants *v = list;
    struct shopline_variant *x;

    while (v->n > n) {
        x = &v->items[--v->n];
        free(x->product_id);
        free(x->id);
        free(x->sku);
        free(x->inventory_item_id);
        memset(x, 0, sizeof(*x));
    }
}

static int sj_variant_read(struct json_object *item, const char *product_id,
                           struct shopline_variant *x, struct errbuf *err)
{
    x->product_id = xstrdup(product_id);
    if (sj_id(item, "variant", "id", true, &x->id, err) < 0 ||
        sj_text(item, "variant", "sku", &x->sku, err) < 0 ||
        sj_id(item, "variant", "inventory_item_id", false, &x->inventory_item_id, err) < 0)
        return -1;
    if (x->sku != NULL && x->sku[0] == '\0') {
        free(x->sku);
        x->sku = NULL;
    }
    return 0;
}

static int sj_product_fill(struct json_object *item, size_t index, void *list,
                           struct errbuf *err)
{
    struct shopline_variants *v = list;
    struct json_object *arr, *variant;
    char *product_id = NULL;
    int rc = -1;
    size_t i;

    if (sj_id(item, "product", "id", true, &product_id, err) < 0 ||
        sj_array(item, "product", "variants", false, &arr, err) < 0)
        goto out;
    for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
        variant = sj_object_at(arr, i, "variant", err);
        if (variant == NULL)
            goto out;
        v->items = buf_grow_array(v->items, &v->cap, v->n + 1, sizeof(*v->items));
        if (sj_variant_read(variant, product_id, &v->items[v->n++], err) < 0)
            goto out;
    }
    rc = 0;
out:
    free(product_id);
    return rc;
}

enum st shopline_parse_variants(const char *body, size_t len, struct shopline_variants *out,
                                struct errbuf *err)
{
    return sj_parse_list(body, len, "products", out, out->n, sj_product_fill, sj_variants_trim,
                         err);
}

void shopline_variants_cleanup(struct shopline_variants *v)
{
    sj_variants_trim(v, 0);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

/* ---- inventory levels ---- */

static void sj_levels_trim(void *list, size_t n)
{
    struct shopline_levels *l = list;

    while (l->n > n) {
        l->n--;
        free(l->items[l->n].inventory_item_id);
        free(l->items[l->n].location_id);
        memset(&l->items[l->n], 0, sizeof(l->items[l->n]));
    }
}

static int sj_level_fill(struct json_object *item, size_t index, void *list,
                         struct errbuf *err)
{
    struct shopline_levels *l = list;
    struct shopline_level *x;
    struct json_object *avail = sj_get(item, "available");

    l->items = buf_grow_array(l->items, &l->cap, l->n + 1, sizeof(*l->items));
    x = &l->items[l->n++];
    memset(x, 0, sizeof(*x));
    if (sj_id(item, "inventory level", "inventory_item_id", true, &x->inventory_item_id, err) < 0 ||
        sj_id(item, "inventory level", "location_id", true, &x->location_id, err) < 0)
        return -1;
    if (avail == NULL)
        return 0;
    if (!json_object_is_type(avail, json_type_int) ||
        json_object_get_int64(avail) > SHOPLINE_MAX_AVAILABLE ||
        json_object_get_int64(avail) < -SHOPLINE_MAX_AVAILABLE) {
        errbuf_set(err, "inventory level %zu field \"available\" is not a stock count", index);
        return -1;
    }
    x->available = (long)json_object_get_int64(avail);
    x->available_known = true;
    return 0;
}

enum st shopline_parse_inventory_levels(const char *body, size_t len,
                                        struct shopline_levels *out, struct errbuf *err)
{
    return sj_parse_list(body, len, "inventory_levels", out, out->n, sj_level_fill,
                         sj_levels_trim, err);
}

void shopline_levels_cleanup(struct shopline_levels *l)
{
    sj_levels_trim(l, 0);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ---- request bodies ---- */

static void sj_append_string(struct buf *out, const char *s)
{
    struct json_object *o = json_object_new_string(s);

    buf_append_str(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static enum st sj_check_fulfillment(const struct shopline_fulfillment_req *req,
                                    struct errbuf *err)
{
    size_t i;

    if (!json_text_is_id(req->order_id)) {
        errbuf_set(err, "fulfillment order id \"%.40s\" is not an id",
                   req->order_id != NULL ? req->order_id : "");
        return ST_FAIL;
    }
    if (req->n_lines == 0 || req->n_tracking > SHOPLINE_MAX_TRACKING) {
        errbuf_set(err, "fulfillment for order %s has %zu lines and %zu tracking entries "
                   "(1.. lines, at most %d tracking)", req->order_id, req->n_lines,
                   req->n_tracking, SHOPLINE_MAX_TRACKING);
        return ST_FAIL;
    }
    for (i = 0; i < req->n_lines; i++) {
        if (!json_text_is_id(req->lines[i].line_id) || req->lines[i].quantity < 1 ||
            req->lines[i].quantity > ORDER_MAX_QUANTITY) {
            errbuf_set(err, "fulfillment for order %s: line %zu has no id or a bad quantity "
                       "(%ld)", req->order_id, i, req->lines[i].quantity);
            return ST_FAIL;
        }
    }
    for (i = 0; i < req->n_tracking; i++) {
        if (req->tracking[i].number == NULL || req->tracking[i].number[0] == '\0') {
            errbuf_set(err, "fulfillment for order %s: tracking %zu has no number",
                       req->order_id, i);
            return ST_FAIL;
        }
    }
    return ST_OK;
}

static void sj_append_tracking(struct buf *out, const struct shopline_tracking *t)
{
    buf_append_str(out, "{\"tracking_number\":");
    sj_append_string(out, t->number);
    if (t->company != NULL) {
        buf_append_str(out, ",\"tracking_company\":");
        sj_append_string(out, t->company);
    }
    if (t->url != NULL) {
        buf_append_str(out, ",\"tracking_url\":");
        sj_append_string(out, t->url);
    }
    buf_append_str(out, "}");
}

enum st shopline_build_fulfillment(const struct shopline_fulfillment_req *req, struct buf *out,
                                   struct errbuf *err)
{
    size_t i;

    if (sj_check_fulfillment(req, err) != ST_OK)
        return ST_FAIL;
    buf_append_str(out, "{\"fulfillment\":{\"line_items\":[");
    for (i = 0; i < req->n_lines; i++)     /* ids: their digits, as JSON numbers */
        buf_appendf(out, "%s{\"id\":%s,\"quantity\":%ld}", i > 0 ? "," : "",
                    req->lines[i].line_id, req->lines[i].quantity);
    buf_appendf(out, "],\"notify_customer\":%s,\"tracking_info_list\":[",
                req->notify_customer ? "true" : "false");
    for (i = 0; i < req->n_tracking; i++) {
        buf_append_str(out, i > 0 ? "," : "");
        sj_append_tracking(out, &req->tracking[i]);
    }
    if (buf_append_str(out, "]}}") < 0) {
        errbuf_set(err, "fulfillment body for order %s exceeds its cap", req->order_id);
        return ST_FAIL;
    }
    return ST_OK;
}

enum st shopline_build_inventory_set(const char *inventory_item_id, const char *location_id,
                                     long available, struct buf *out, struct errbuf *err)
{
    if (!json_text_is_id(inventory_item_id) || !json_text_is_id(location_id)) {
        errbuf_set(err, "inventory level: item \"%.40s\" or location \"%.40s\" is not an id",
                   inventory_item_id != NULL ? inventory_item_id : "",
                   location_id != NULL ? location_id : "");
        return ST_FAIL;
    }
    if (buf_appendf(out, "{\"inventory_item_id\":\"%s\",\"location_id\":\"%s\",\"available\":%ld}",
                    inventory_item_id, location_id, available) < 0) {
        errbuf_set(err, "inventory level body exceeds its cap");
        return ST_FAIL;
    }
    return ST_OK;
}
