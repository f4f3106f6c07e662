/*
 * shopline_returns.c - return and refund webhook bodies (see shopline_returns.h).
 *
 * Read with the SHOPLINE field readers (sj_read.h): ids exact, null as
 * absent, a wrong type fails the whole body. What the database cannot
 * hold fails here, as a malformed payload (recorded, an exception), never
 * as a database error: a line id appears once per return (it keys
 * return_lines), quantities are counts, money has at most 4 decimals.
 *
 * A return line of quantity 0 returns nothing and is dropped (the column
 * requires > 0). A refund's amount is the sum of its transactions of kind
 * "refund" (or without a kind), added in ten-thousandths so "0.1" + "0.2"
 * is exactly "0.3000"; "void", "authorization" and the like are not money
 * back. Its currency is that of the first transaction counted.
 */
#include "shopline_returns.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_text.h"
#include "order.h"
#include "sj_read.h"

/* ---- shared pieces ---- */

/* Parses body into a JSON object root (owned), or NULL with err set. */
static struct json_object *slr_root(const char *json, size_t len, const char *what,
                                    struct errbuf *err)
{
    struct json_object *root = json_text_parse(json, len, what, err);

    if (root != NULL && !json_object_is_type(root, json_type_object)) {
        errbuf_set(err, "%s is not a JSON object", what);
        json_object_put(root);
        root = NULL;
    }
    return root;
}

/* Optional money: a string or a number, as its exact decimal text (owned). */
static int slr_money(struct json_object *obj, const char *where, const char *key, char **out,
                     struct errbuf *err)
{
    struct json_object *v = sj_get(obj, key);

    *out = NULL;
    if (v == NULL)
        return 0;
    if ((!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
         !json_object_is_type(v, json_type_double)) ||
        !order_money_valid(json_object_get_string(v))) {
        errbuf_set(err, "%s field \"%s\" is not a decimal: \"%.40s\"", where, key,
                   json_object_get_string(v));
        return -1;
    }
    *out = xstrdup(json_object_get_string(v));
    return 0;
}

/* The list member key (optional) with at most SHOPLINE_RETURN_MAX_LINES items. */
static int slr_lines(struct json_object *root, const char *where, const char *key,
                     struct json_object **arr, size_t *n, struct errbuf *err)
{
    if (sj_array(root, where, key, false, arr, err) < 0)
        return -1;
    *n = *arr == NULL ? 0 : json_object_array_length(*arr);
    if (*n > SHOPLINE_RETURN_MAX_LINES) {
        errbuf_set(err, "%s has %zu %s, more than %d", where, *n, key, SHOPLINE_RETURN_MAX_LINES);
        return -1;
    }
    return 0;
}

/* Parses the body as one object and reads it into out; on failure out is cleaned up. */
static enum st slr_parse(const char *json, size_t len, const char *what, void *out,
                         int (*read)(struct json_object *, void *, struct errbuf *),
                         void (*cleanup)(void *), struct errbuf *err)
{
    struct json_object *root = slr_root(json, len, what, err);
    enum st rc = ST_FAIL;

    if (root != NULL && read(root, out, err) == 0)
        rc = ST_OK;
    if (rc != ST_OK)
        cleanup(out);
    json_object_put(root);
    return rc;
}

/* ---- returns ---- */

static bool slr_line_seen(const struct shopline_return *r, const char *line_item_id)
{
    for (size_t i = 0; i < r->n_lines; i++)
        if (strcmp(r->lines[i].line_item_id, line_item_id) == 0)
            return true;
    return false;
}

static int slr_return_line(struct json_object *item, struct shopline_return *r,
                           struct errbuf *err)
{
    struct shopline_return_line l = {0};
    int rc = -1;

    if (sj_id(item, "return line", "id", false, &l.id, err) < 0 ||
        sj_id(item, "return line", "line_item_id", true, &l.line_item_id, err) < 0 ||
        sj_count(item, "return line", "quantity", &l.quantity, err) < 0 ||
        sj_text(item, "return line", "return_reason", &l.reason, err) < 0)
        goto out;
    if (slr_line_seen(r, l.line_item_id)) {
        errbuf_set(err, "return line_item_id %.40s appears twice", l.line_item_id);
        goto out;
    }
    rc = 0;
    if (l.quantity > 0) {
        r->lines[r->n_lines++] = l;
        return 0;
    }
out:
    free(l.id);
    free(l.line_item_id);
    free(l.reason);
    return rc;
}

static int slr_return_read(struct json_object *root, void *out, struct errbuf *err)
{
    struct shopline_return *r = out;
    struct json_object *arr = NULL;
    size_t n = 0;

    if (sj_id(root, "return", "id", true, &r->id, err) < 0 ||
        sj_id(root, "return", "order_id", true, &r->order_id, err) < 0 ||
        sj_text(root, "return", "status", &r->status, err) < 0 ||
        sj_text(root, "return", "name", &r->name, err) < 0 ||
        sj_text(root, "return", "created_at", &r->created_at, err) < 0 ||
        sj_text(root, "return", "updated_at", &r->updated_at, err) < 0)
        return -1;
    if (r->updated_at != NULL && order_parse_time_ms(r->updated_at, &r->updated_at_ms) < 0) {
        errbuf_set(err, "return field \"updated_at\" is not a time: \"%.40s\"", r->updated_at);
        return -1;
    }
    if (slr_lines(root, "return", "return_line_items", &arr, &n, err) < 0)
        return -1;
    r->lines = xcalloc(n + 1, sizeof(*r->lines));
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = sj_object_at(arr, i, "return line", err);

        if (item == NULL || slr_return_line(item, r, err) < 0)
            return -1;
    }
    return 0;
}

static void slr_return_free(void *r)
{
    shopline_return_cleanup(r);
}

enum st shopline_parse_return(const char *json, size_t len, struct shopline_return *out,
                              struct errbuf *err)
{
    memset(out, 0, sizeof(*out));
    out->updated_at_ms = -1;
    return slr_parse(json, len, "return", out, slr_return_read, slr_return_free, err);
}

void shopline_return_cleanup(struct shopline_return *r)
{
    for (size_t i = 0; r->lines != NULL && i < r->n_lines; i++) {
        free(r->lines[i].id);
        free(r->lines[i].line_item_id);
        free(r->lines[i].reason);
    }
    free(r->lines);
    free(r->id);
    free(r->order_id);
    free(r->status);
    free(r->name);
    free(r->created_at);
    free(r->updated_at);
    memset(r, 0, sizeof(*r));
    r->updated_at_ms = -1;
}

enum shopline_return_ask shopline_return_ask_of(const struct shopline_return *r)
{
    if (r->status != NULL && strcmp(r->status, "cancelled") == 0)
        return SHOPLINE_RETURN_CANCELLED;
    if (r->status != NULL && strcmp(r->status, "declined") == 0)
        return SHOPLINE_RETURN_DECLINED;
    return SHOPLINE_RETURN_OPEN;
}

/* ---- refunds ---- */

/* A valid decimal (order_money_valid) in ten-thousandths. */
static int64_t slr_units(const char *s)
{
    int64_t whole = 0, frac = 0, scale = 1000;
    bool neg = *s == '-';

    s += neg;
    for (; *s >= '0' && *s <= '9'; s++)
        whole = whole * 10 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
            frac += (*s - '0') * scale;
    return (neg ? -1 : 1) * (whole * 10000 + frac);
}

static int slr_transaction(struct json_object *item, struct shopline_refund *r, int64_t *sum,
                           bool *any, struct errbuf *err)
{
    char *amount = NULL, *currency = NULL, *kind = NULL;
    int rc = -1;

    if (slr_money(item, "refund transaction", "amount", &amount, err) < 0 ||
        sj_text(item, "refund transaction", "currency", &currency, err) < 0 ||
        sj_text(item, "refund transaction", "kind", &kind, err) < 0)
        goto out;
    rc = 0;
    if (amount == NULL || (kind != NULL && strcmp(kind, "refund") != 0))
        goto out;
    *sum += slr_units(amount);
    *any = true;
    if (r->currency == NULL && currency != NULL) {
        r->currency = currency;
        currency = NULL;
    }
out:
    free(amount);
    free(currency);
    free(kind);
    return rc;
}

static int slr_transactions(struct json_object *root, struct shopline_refund *r,
                            struct errbuf *err)
{
    struct json_object *arr = NULL;
    int64_t sum = 0;
    bool any = false;
    size_t n = 0;

    if (slr_lines(root, "refund", "transactions", &arr, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = sj_object_at(arr, i, "refund transaction", err);

        if (item == NULL || slr_transaction(item, r, &sum, &any, err) < 0)
            return -1;
    }
    if (any)
        r->amount = xasprintf("%s%" PRId64 ".%04" PRId64, sum < 0 ? "-" : "",
                              (sum < 0 ? -sum : sum) / 10000, (sum < 0 ? -sum : sum) % 10000);
    return 0;
}

static int slr_refund_line(struct json_object *item, struct shopline_refund_line *l,
                           struct errbuf *err)
{
    return sj_id(item, "refund line", "line_item_id", true, &l->line_item_id, err) < 0 ||
                   sj_count(item, "refund line", "quantity", &l->quantity, err) < 0 ||
                   slr_money(item, "refund line", "subtotal", &l->subtotal, err) < 0
               ? -1
               : 0;
}

static int slr_refund_read(struct json_object *root, void *out, struct errbuf *err)
{
    struct shopline_refund *r = out;
    struct json_object *arr = NULL;
    size_t n = 0;

    if (sj_id(root, "refund", "id", true, &r->id, err) < 0 ||
        sj_id(root, "refund", "order_id", true, &r->order_id, err) < 0 ||
        sj_text(root, "refund", "created_at", &r->created_at, err) < 0 ||
        sj_text(root, "refund", "note", &r->note, err) < 0)
        return -1;
    if (r->created_at != NULL) {
        int64_t ms;

        if (order_parse_time_ms(r->created_at, &ms) < 0) {
            errbuf_set(err, "refund field \"created_at\" is not a time: \"%.40s\"",
                       r->created_at);
            return -1;
        }
    }
    if (slr_lines(root, "refund", "refund_line_items", &arr, &n, err) < 0)
        return -1;
    r->lines = xcalloc(n + 1, sizeof(*r->lines));
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = sj_object_at(arr, i, "refund line", err);

        r->n_lines = i + 1; /* the cleanup frees what a failing line read */
        if (item == NULL || slr_refund_line(item, &r->lines[i], err) < 0)
            return -1;
    }
    return slr_transactions(root, r, err);
}

static void slr_refund_free(void *r)
{
    shopline_refund_cleanup(r);
}

enum st shopline_parse_refund(const char *json, size_t len, struct shopline_refund *out,
                              struct errbuf *err)
{
    memset(out, 0, sizeof(*out));
    return slr_parse(json, len, "refund", out, slr_refund_read, slr_refund_free, err);
}

void shopline_refund_cleanup(struct shopline_refund *r)
{
    for (size_t i = 0; r->lines != NULL && i < r->n_lines; i++) {
        free(r->lines[i].line_item_id);
        free(r->lines[i].subtotal);
    }
    free(r->lines);
    free(r->id);
    free(r->order_id);
    free(r->created_at);
    free(r->note);
    free(r->amount);
    free(r->currency);
    memset(r, 0, sizeof(*r));
}

char *shopline_refund_lines_json(const struct shopline_refund *r)
{
    struct json_object *arr = json_object_new_array();
    char *text;

    for (size_t i = 0; i < r->n_lines; i++) {
        struct json_object *o = json_object_new_object();
        const struct shopline_refund_line *l = &r->lines[i];

        json_object_object_add(o, "line_item_id", json_object_new_string(l->line_item_id));
        json_object_object_add(o, "quantity", json_object_new_int64(l->quantity));
        json_object_object_add(o, "subtotal",
                               l->subtotal ? json_object_new_string(l->subtotal) : NULL);
        json_object_array_add(arr, o);
    }
    text = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return text;
}
