/*
 * lg_payload.c - the load generator's deliveries (see lg_int.h): realistic
 * Shopline orders/paid bodies and webhook ids, each a pure function of the
 * seed and the delivery, so a re-delivery resends identical bytes.
 *
 * Bodies are written straight into the caller's buffer, in the key order and
 * compact form json-c would print them (every string here is a constant or
 * digits, so nothing needs escaping): building a json-c tree per request cost
 * the generator more CPU than the server it loads spent on some requests.
 */
#include <inttypes.h>
#include <stdarg.h>
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

/* The body being written: LG_BODY_MAX bytes always suffice (lg_int.h). */
struct out {
    char *p;
    size_t len;
};

static void put(struct out *o, const char *fmt, ...) SV_PRINTF(2, 3);

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(o->p + o->len, LG_BODY_MAX - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= LG_BODY_MAX - o->len)
    {
        fprintf(stderr, "loadgen: an order body outgrew %d bytes\n", LG_BODY_MAX);
        abort(); /* the templates above changed without LG_BODY_MAX */
    }
    o->len += (size_t)n;
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

static void put_money(struct out *o, const char *key, long cents)
{
    put(o, "\"%s\":\"%ld.%02ld\"", key, cents / 100, cents % 100);
}

static void put_address(struct out *o, const char *key, const struct address *a)
{
    put(o,
        "\"%s\":{\"name\":\"%s %s\",\"first_name\":\"%s\",\"last_name\":\"%s\",\"company\":\"\","
        "\"phone\":\"%s\",\"address1\":\"%s\",\"address2\":\"\",\"city\":\"%s\","
        "\"province\":\"%s\",\"province_code\":\"%s\",\"country\":\"%s\","
        "\"country_code\":\"%s\",\"zip\":\"%s\"}",
        key, a->first_name, a->last_name, a->first_name, a->last_name, a->phone, a->address1,
        a->city, a->province, a->province_code, a->country, a->country_code, a->zip);
}

/* Writes "line_items":[...] and returns the subtotal in cents. */
static long put_line_items(struct out *o, uint64_t seed, uint64_t order_idx, uint64_t h)
{
    size_t n_lines = 2 + (size_t)(h % 2);
    size_t first = (size_t)((h >> 8) % ARRAY_LEN(skus));
    long subtotal = 0;

    put(o, "\"line_items\":[");
    for (size_t i = 0; i < n_lines; i++) {
        /* consecutive distinct SKUs from a rotating start */
        size_t k = (first + i) % ARRAY_LEN(skus);
        const struct sku *s = &skus[k];
        long qty = 1 + (long)((h >> (16 + 4 * i)) % 3);
        char id[27], product[27], variant[27];

        make_id(id, seed, 20, order_idx * 10 + i);
        make_id(product, 0, 30, k);
        make_id(variant, 0, 31, k);
        put(o,
            "%s{\"id\":\"%s\",\"product_id\":\"%s\",\"variant_id\":\"%s\",\"sku\":\"%s\","
            "\"title\":\"%s\",\"variant_title\":\"%s\",\"quantity\":%ld,"
            "\"fulfillable_quantity\":%ld,",
            i > 0 ? "," : "", id, product, variant, s->sku, s->title, s->variant_title, qty,
            qty);
        put_money(o, "price", s->price_cents);
        put(o, ",\"location_id\":\"60000000000000000000000001\",\"requires_shipping\":true}");
        subtotal += s->price_cents * qty;
    }
    put(o, "]");
    return subtotal;
}

/*
 * Writes the orders/paid body of delivery d into out and returns its length.
 * Pure in (opt, start_wall_s, d): a re-delivery yields the same bytes.
 */
size_t build_order_body(const struct options *opt, int64_t start_wall_s,
                        const struct delivery *d, char out[LG_BODY_MAX])
{
    /* --deliver-all: new delivery k is order k, so no two new deliveries share an order */
    uint64_t order_idx = (opt->deliver_all ? d->seq : mix64(opt->seed ^ mix64(d->seq))) %
                         (uint64_t)opt->orders;
    uint64_t h = mix64(opt->seed + order_idx); /* per-order: same lines every time */
    const struct address *a = &addresses[(h >> 40) % ARRAY_LEN(addresses)];
    int64_t created_s = start_wall_s - 3600 - (int64_t)(order_idx % 3600);
    uint64_t customer = order_idx % 50000;
    struct out o = {out, 0};
    long subtotal;
    long shipping = 500;
    char id[27], customer_id[27];
    char created[32], updated[32];

    make_id(id, opt->seed, 10, order_idx);
    make_id(customer_id, opt->seed, 40, customer);
    format_time_sg(created, created_s);
    format_time_sg(updated, d->updated_at_s);
    put(&o,
        "{\"id\":\"%s\",\"name\":\"#%" PRIu64 "\",\"email\":\"customer%" PRIu64
        "@example.com\",\"phone\":\"%s\",\"currency\":\"SGD\",\"financial_status\":\"paid\","
        "\"fulfillment_status\":null,\"status\":\"open\",\"created_at\":\"%s\","
        "\"processed_at\":\"%s\",\"updated_at\":\"%s\",\"note\":\"\",",
        id, 1001 + order_idx, customer, a->phone, created, created, updated);
    put(&o,
        "\"customer\":{\"id\":\"%s\",\"email\":\"customer%" PRIu64 "@example.com\","
        "\"first_name\":\"%s\",\"last_name\":\"%s\",\"phone\":\"%s\"},",
        customer_id, customer, a->first_name, a->last_name, a->phone);
    put_address(&o, "shipping_address", a);
    put(&o, ",");
    put_address(&o, "billing_address", a);
    put(&o, ",");
    subtotal = put_line_items(&o, opt->seed, order_idx, h);
    put(&o, ",\"shipping_lines\":[{\"title\":\"Standard Shipping\",\"code\":\"standard\",");
    put_money(&o, "price", shipping);
    put(&o, "}],");
    put_money(&o, "subtotal_price", subtotal);
    put(&o, ",");
    put_money(&o, "total_tax", 0);
    put(&o, ",");
    put_money(&o, "total_discounts", 0);
    put(&o, ",");
    put_money(&o, "total_price", subtotal + shipping);
    put(&o, ",\"fulfillments\":[],\"refunds\":[]}");
    return o.len;
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
