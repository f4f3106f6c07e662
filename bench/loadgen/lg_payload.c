/*
 * lg_payload.c - the load generator's deliveries (see lg_int.h): realistic
 * Shopline orders/paid bodies and webhook ids, each a pure function of the
 * seed and the delivery, so a re-delivery resends identical bytes.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "lg_int.h"

struct sku {
    const char *sku;
    const char *title;
    const char *variant_title;
    long price_cents;
};

static const struct sku skus[] = {
    {"VOX-TEE-BLK-M", "Everyday Tee", "Black / M", 2900},
    {"VOX-TEE-WHT-L", "Everyday Tee", "White / L", 2900},
    {"VOX-HOOD-GRY-M", "Harbour Hoodie", "Grey / M", 6900},
    {"VOX-MUG-350", "Enamel Mug", "350 ml", 1800},
    {"VOX-CAP-NVY", "Six-Panel Cap", "Navy", 2400},
    {"VOX-SOCK-3PK", "Crew Socks", "3-pack", 1500},
    {"VOX-TOTE-NAT", "Canvas Tote", "Natural", 2200},
};

struct address {
    const char *first_name;
    const char *last_name;
    const char *address1;
    const char *city;
    const char *province;
    const char *province_code;
    const char *country;
    const char *country_code;
    const char *zip;
    const char *phone;
};

/* Fictitious people at fictitious numbers on real-looking streets. */
static const struct address addresses[] = {
    {"Mei Ling", "Tan", "18 Example Road #04-12", "Singapore", "", "", "Singapore", "SG",
     "059999", "+65 6000 0001"},
    {"Wai Kit", "Chan", "2 Sample Street, Flat 9B", "Kowloon", "Kowloon", "KLN", "Hong Kong",
     "HK", "000000", "+852 3000 0002"},
    {"Yi-Ting", "Lin", "No. 7, Test Lane", "Taipei City", "Taipei", "TPE", "Taiwan", "TW",
     "100", "+886 2 0000 0003"},
    {"Ahmad", "Ismail", "12 Jalan Contoh", "Kuala Lumpur", "Kuala Lumpur", "KL", "Malaysia",
     "MY", "50000", "+60 3 0000 0004"},
};

static void add_str(json_object *o, const char *key, const char *val)
{
    json_object_object_add(o, key, json_object_new_string(val));
}

static void add_money(json_object *o, const char *key, long cents)
{
    char s[32];

    snprintf(s, sizeof(s), "%ld.%02ld", cents / 100, cents % 100);
    add_str(o, key, s);
}

/* 26 digits: "2" + 9 digits of the run seed + a 2-digit kind + 14 digits. */
static void make_id(char out[27], uint64_t seed, unsigned kind, uint64_t n)
{
    snprintf(out, 27, "2%09" PRIu64 "%02u%014" PRIu64, seed % UINT64_C(1000000000),
             kind % 100u, n % UINT64_C(100000000000000));
}

static void format_time_sg(char out[32], int64_t epoch_s)
{
    time_t t = (time_t)(epoch_s + 8 * 3600);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
}

static json_object *make_address(const struct address *a)
{
    json_object *o = json_object_new_object();
    char name[96];

    snprintf(name, sizeof(name), "%s %s", a->first_name, a->last_name);
    add_str(o, "name", name);
    add_str(o, "first_name", a->first_name);
    add_str(o, "last_name", a->last_name);
    add_str(o, "company", "");
    add_str(o, "phone", a->phone);
    add_str(o, "address1", a->address1);
    add_str(o, "address2", "");
    add_str(o, "city", a->city);
    add_str(o, "province", a->province);
    add_str(o, "province_code", a->province_code);
    add_str(o, "country", a->country);
    add_str(o, "country_code", a->country_code);
    add_str(o, "zip", a->zip);
    return o;
}

/* Adds line_items to order and returns the subtotal in cents. */
static long add_line_items(json_object *order, uint64_t seed, uint64_t order_idx, uint64_t h)
{
    json_object *lines = json_object_new_array();
    size_t n_lines = 2 + (size_t)(h % 2);
    size_t first = (size_t)((h >> 8) % ARRAY_LEN(skus));
    long subtotal = 0;
    char id[27];

    for (size_t i = 0; i < n_lines; i++) {
        /* consecutive distinct SKUs from a rotating start */
        const struct sku *s = &skus[(first + i) % ARRAY_LEN(skus)];
        long qty = 1 + (long)((h >> (16 + 4 * i)) % 3);
        json_object *li = json_object_new_object();

        make_id(id, seed, 20, order_idx * 10 + i);
        add_str(li, "id", id);
        make_id(id, 0, 30, (first + i) % ARRAY_LEN(skus));
        add_str(li, "product_id", id);
        make_id(id, 0, 31, (first + i) % ARRAY_LEN(skus));
        add_str(li, "variant_id", id);
        add_str(li, "sku", s->sku);
        add_str(li, "title", s->title);
        add_str(li, "variant_title", s->variant_title);
        json_object_object_add(li, "quantity", json_object_new_int64(qty));
        json_object_object_add(li, "fulfillable_quantity", json_object_new_int64(qty));
        add_money(li, "price", s->price_cents);
        add_str(li, "location_id", "60000000000000000000000001");
        json_object_object_add(li, "requires_shipping", json_object_new_boolean(1));
        json_object_array_add(lines, li);
        subtotal += s->price_cents * qty;
    }
    json_object_object_add(order, "line_items", lines);
    return subtotal;
}

/*
 * Builds the orders/paid body of delivery d. Pure in (opt, start_wall_s, d):
 * a re-delivery yields the same bytes. Returns an owned string.
 */
char *build_order_body(const struct options *opt, int64_t start_wall_s,
                              const struct delivery *d)
{
    /* --deliver-all: new delivery k is order k, so no two new deliveries share an order */
    uint64_t order_idx = (opt->deliver_all ? d->seq : mix64(opt->seed ^ mix64(d->seq))) %
                         (uint64_t)opt->orders;
    uint64_t h = mix64(opt->seed + order_idx); /* per-order: same lines every time */
    const struct address *a = &addresses[(h >> 40) % ARRAY_LEN(addresses)];
    int64_t created_s = start_wall_s - 3600 - (int64_t)(order_idx % 3600);
    json_object *order = json_object_new_object();
    json_object *customer;
    json_object *ship;
    json_object *shipping_lines;
    long subtotal;
    long shipping = 500;
    char id[27];
    char text[128];
    char *body;

    make_id(id, opt->seed, 10, order_idx);
    add_str(order, "id", id);
    snprintf(text, sizeof(text), "#%" PRIu64, 1001 + order_idx);
    add_str(order, "name", text);
    snprintf(text, sizeof(text), "customer%" PRIu64 "@example.com", order_idx % 50000);
    add_str(order, "email", text);
    add_str(order, "phone", a->phone);
    add_str(order, "currency", "SGD");
    add_str(order, "financial_status", "paid");
    json_object_object_add(order, "fulfillment_status", NULL);
    add_str(order, "status", "open");
    format_time_sg(text, created_s);
    add_str(order, "created_at", text);
    add_str(order, "processed_at", text);
    format_time_sg(text, d->updated_at_s);
    add_str(order, "updated_at", text);
    add_str(order, "note", "");

    customer = json_object_new_object();
    make_id(id, opt->seed, 40, order_idx % 50000);
    add_str(customer, "id", id);
    snprintf(text, sizeof(text), "customer%" PRIu64 "@example.com", order_idx % 50000);
    add_str(customer, "email", text);
    add_str(customer, "first_name", a->first_name);
    add_str(customer, "last_name", a->last_name);
    add_str(customer, "phone", a->phone);
    json_object_object_add(order, "customer", customer);

    ship = make_address(a);
    json_object_object_add(order, "shipping_address", ship);
    json_object_object_add(order, "billing_address", make_address(a));

    subtotal = add_line_items(order, opt->seed, order_idx, h);
    shipping_lines = json_object_new_array();
    {
        json_object *sl = json_object_new_object();

        add_str(sl, "title", "Standard Shipping");
        add_str(sl, "code", "standard");
        add_money(sl, "price", shipping);
        json_object_array_add(shipping_lines, sl);
    }
    json_object_object_add(order, "shipping_lines", shipping_lines);
    add_money(order, "subtotal_price", subtotal);
    add_money(order, "total_tax", 0);
    add_money(order, "total_discounts", 0);
    add_money(order, "total_price", subtotal + shipping);
    json_object_object_add(order, "fulfillments", json_object_new_array());
    json_object_object_add(order, "refunds", json_object_new_array());

    body = xstrdup(json_object_to_json_string_ext(
        order, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(order);
    return body;
}

/* A UUID-shaped delivery id, unique per (seed, seq). */
void make_webhook_id(char out[37], uint64_t seed, uint64_t seq)
{
    uint64_t a = mix64(seed ^ mix64(seq));
    uint64_t b = mix64(a ^ seq);

    snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64,
             a >> 32, (a >> 16) & 0xffff, a & 0xfff, (b >> 48 & 0x3fff) | 0x8000,
             b & UINT64_C(0xffffffffffff));
}
