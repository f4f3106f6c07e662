/*
 * slf_render.c - the fake store's objects as SHOPLINE's JSON.
 *
 * One rendering serves the API (orders.json, fulfillments), the control
 * API and the webhook bodies, so what shopvox receives by webhook is what
 * it would read back from the API. Ids are strings, money is decimal text,
 * times are ISO-8601 with milliseconds and the store's offset (an order's
 * updated_at changes at least by a millisecond with every change).
 */
#include "slf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

void slf_format_time(const struct sandbox_shopline *sb, int64_t ms, char *out, size_t cap)
{
    int off = sb->cfg.utc_offset_min;
    time_t s = (time_t)((ms + (int64_t)off * 60000) / 1000);
    int abs_off = off < 0 ? -off : off;
    struct tm tm;

    gmtime_r(&s, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000),
             off < 0 ? '-' : '+', abs_off / 60, abs_off % 60);
}

static void slf_add_str(struct json_object *j, const char *key, const char *v)
{
    json_object_object_add(j, key, v != NULL ? json_object_new_string(v) : NULL);
}

static void slf_add_time(const struct sandbox_shopline *sb, struct json_object *j,
                         const char *key, int64_t ms)
{
    char t[40];

    slf_format_time(sb, ms, t, sizeof(t));
    slf_add_str(j, key, t);
}

static struct json_object *slf_address_json(const char *first, const char *last)
{
    struct json_object *a = json_object_new_object();
    char name[64];

    snprintf(name, sizeof(name), "%s %s", first, last);
    slf_add_str(a, "name", name);
    slf_add_str(a, "first_name", first);
    slf_add_str(a, "last_name", last);
    slf_add_str(a, "phone", "+44 20 7946 0000");
    slf_add_str(a, "address1", "1 Sandbox Street");
    slf_add_str(a, "city", "London");
    slf_add_str(a, "province", "England");
    slf_add_str(a, "country", "United Kingdom");
    slf_add_str(a, "country_code", "GB");
    slf_add_str(a, "zip", "EC1A 1BB");
    return a;
}

static struct json_object *slf_line_json(const struct slf_line *l)
{
    struct json_object *j = json_object_new_object();

    slf_add_str(j, "id", l->id);
    slf_add_str(j, "product_id", l->product_id[0] ? l->product_id : NULL);
    slf_add_str(j, "variant_id", l->variant_id[0] ? l->variant_id : NULL);
    slf_add_str(j, "sku", l->sku);
    slf_add_str(j, "title", l->title);
    json_object_object_add(j, "quantity", json_object_new_int64(l->quantity));
    json_object_object_add(j, "fulfillable_quantity",
                           json_object_new_int64(l->quantity - l->fulfilled));
    slf_add_str(j, "price", l->price);
    json_object_object_add(j, "requires_shipping", json_object_new_boolean(1));
    return j;
}

/* The sum of quantity x price, in cents (prices are "d.dd" text). */
static void slf_order_total(const struct slf_order *o, char *out, size_t cap)
{
    long cents = 0;

    for (size_t i = 0; i < o->n_lines; i++)
        cents += o->lines[i].quantity * (long)(strtod(o->lines[i].price, NULL) * 100.0 + 0.5);
    snprintf(out, cap, "%ld.%02ld", cents / 100, cents % 100);
}

struct json_object *slf_fulfillment_json(const struct sandbox_shopline *sb,
                                         const struct slf_order *o,
                                         const struct slf_fulfillment *f)
{
    struct json_object *j = json_object_new_object();
    struct json_object *lines = json_object_new_array();
    struct json_object *tracking = json_object_new_array();

    slf_add_str(j, "id", f->id);
    slf_add_str(j, "order_id", o->id);
    slf_add_str(j, "status", "success");
    for (size_t i = 0; i < f->n_lines; i++) {
        struct json_object *l = json_object_new_object();

        slf_add_str(l, "id", o->lines[f->lines[i].line].id);
        slf_add_str(l, "sku", o->lines[f->lines[i].line].sku);
        json_object_object_add(l, "quantity", json_object_new_int64(f->lines[i].quantity));
        json_object_array_add(lines, l);
    }
    for (size_t i = 0; i < f->n_tracking; i++) {
        struct json_object *t = json_object_new_object();

        slf_add_str(t, "tracking_number", f->tracking[i].number);
        slf_add_str(t, "tracking_company", f->tracking[i].company);
        slf_add_str(t, "tracking_url", f->tracking[i].url);
        json_object_array_add(tracking, t);
    }
    json_object_object_add(j, "line_items", lines);
    json_object_object_add(j, "tracking_info_list", tracking);
    json_object_object_add(j, "notify_customer", json_object_new_boolean(f->notify_customer));
    slf_add_time(sb, j, "created_at", f->created_ms);
    slf_add_time(sb, j, "updated_at", f->created_ms);
    return j;
}

struct json_object *slf_order_json(const struct sandbox_shopline *sb, const struct slf_order *o)
{
    struct json_object *j = json_object_new_object();
    struct json_object *cust = json_object_new_object();
    struct json_object *lines = json_object_new_array();
    struct json_object *fuls = json_object_new_array();
    char total[32];

    slf_order_total(o, total, sizeof(total));
    slf_add_str(j, "id", o->id);
    slf_add_str(j, "name", o->name);
    slf_add_str(j, "financial_status", o->financial_status);
    slf_add_str(j, "fulfillment_status", slf_order_fulfillment_status(o));
    slf_add_str(j, "status", o->cancelled ? "cancelled" : "open");
    if (o->cancelled) {
        slf_add_time(sb, j, "cancelled_at", o->cancelled_ms);
        slf_add_str(j, "cancel_reason", "customer");
    }
    slf_add_time(sb, j, "created_at", o->created_ms);
    slf_add_time(sb, j, "updated_at", o->updated_ms);
    slf_add_time(sb, j, "processed_at", o->created_ms);
    slf_add_str(j, "email", o->email);
    slf_add_str(j, "currency", o->currency);
    slf_add_str(j, "total_price", total);
    slf_add_str(j, "total_tax", "0.00");
    slf_add_str(j, "total_discounts", "0.00");
    slf_add_str(cust, "id", "9100000000000000000000001");
    slf_add_str(cust, "email", o->email);
    slf_add_str(cust, "first_name", "Sandy");
    slf_add_str(cust, "last_name", "Box");
    json_object_object_add(j, "customer", cust);
    json_object_object_add(j, "shipping_address", slf_address_json("Sandy", "Box"));
    json_object_object_add(j, "billing_address", slf_address_json("Sandy", "Box"));
    for (size_t i = 0; i < o->n_lines; i++)
        json_object_array_add(lines, slf_line_json(&o->lines[i]));
    json_object_object_add(j, "line_items", lines);
    json_object_object_add(j, "shipping_lines", json_object_new_array());
    for (size_t i = 0; i < o->n_fuls; i++)
        json_object_array_add(fuls, slf_fulfillment_json(sb, o, &o->fuls[i]));
    json_object_object_add(j, "fulfillments", fuls);
    json_object_object_add(j, "refunds", json_object_new_array());
    return j;
}

void slf_order_snapshot(const struct sandbox_shopline *sb, struct slf_order *o)
{
    struct json_object *j = slf_order_json(sb, o);

    slf_store_add_version(o, xstrdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)));
    json_object_put(j);
}

struct json_object *slf_product_json(const struct slf_product *p)
{
    struct json_object *j = json_object_new_object();
    struct json_object *vs = json_object_new_array();

    slf_add_str(j, "id", p->id);
    slf_add_str(j, "title", p->title);
    for (size_t k = 0; k < p->n_variants; k++) {
        struct json_object *v = json_object_new_object();

        slf_add_str(v, "id", p->variants[k].id);
        slf_add_str(v, "product_id", p->id);
        slf_add_str(v, "sku", p->variants[k].sku);
        slf_add_str(v, "title", p->variants[k].title);
        slf_add_str(v, "price", p->variants[k].price);
        slf_add_str(v, "inventory_item_id", p->variants[k].inventory_item_id);
        json_object_array_add(vs, v);
    }
    json_object_object_add(j, "variants", vs);
    return j;
}

struct json_object *slf_level_json(const struct sandbox_shopline *sb, const struct slf_level *l)
{
    struct json_object *j = json_object_new_object();

    slf_add_str(j, "inventory_item_id", l->item);
    slf_add_str(j, "location_id", l->location);
    json_object_object_add(j, "available", json_object_new_int64(l->available));
    if (l->updated_ms > 0)
        slf_add_time(sb, j, "updated_at", l->updated_ms);
    return j;
}
