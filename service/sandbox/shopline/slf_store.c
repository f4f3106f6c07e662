/*
 * slf_store.c - the fake SHOPLINE store's state and rules (see slf_store.h).
 *
 * Plain arrays, searched linearly: a test or a demo holds hundreds of
 * orders, a benchmark a few thousand, and every call runs under the fake's
 * one lock anyway. A fulfillment is checked whole before any line moves,
 * so a refusal leaves the order exactly as it was.
 */
#include "slf_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Id kinds: the first two digits of a 26-digit id. */
enum { SLF_K_ORDER = 21, SLF_K_LINE = 31, SLF_K_FUL = 41, SLF_K_PRODUCT = 51,
       SLF_K_VARIANT = 61, SLF_K_ITEM = 71, SLF_K_LOCATION = 81 };

/* Seed catalogue: a product per line, its variants' SKUs (the fake Peoplevox's too). */
static const struct {
    const char *title, *price;
    const char *skus[4];
} slf_seed[] = {
    {"Black tee", "12.00", {"TEE-BLK-S", "TEE-BLK-M", "TEE-BLK-L"}},
    {"White tee", "12.00", {"TEE-WHT-S", "TEE-WHT-M", "TEE-WHT-L"}},
    {"Grey hoodie", "35.00", {"HOODIE-GRY-M", "HOODIE-GRY-L"}},
    {"Rain jacket", "60.00", {"JACKET-RAIN-M", "JACKET-RAIN-L"}},
    {"Navy cap", "15.00", {"CAP-NAVY"}},
    {"Socks, 3 pack", "9.00", {"SOCKS-3PK"}},
    {"Logo mug", "8.00", {"MUG-LOGO"}},
    {"Canvas tote", "10.00", {"TOTE-CANVAS"}},
    {"Bottle 500 ml", "14.00", {"BOTTLE-500ML"}},
    {"Wool scarf", "22.00", {"SCARF-WOOL"}},
    {"Red beanie", "11.00", {"BEANIE-RED"}},
    {"Khaki shorts", "25.00", {"SHORTS-KHK-M"}},
    {"Poster A2", "6.00", {"POSTER-A2"}},
};

static const char *const slf_location_names[] = {"Main warehouse", "London store",
                                                 "Pop-up (no stock connected)"};

static void slf_new_id(struct slf_state *st, int kind, char out[SLF_ID_CHARS])
{
    snprintf(out, SLF_ID_CHARS, "%02d%024ld", kind, ++st->next_id);
}

static void slf_add_level(struct slf_state *st, const char *item, const char *location)
{
    struct slf_level *l;

    st->levels = buf_grow_array(st->levels, &st->cap_levels, st->n_levels + 1,
                                sizeof(*st->levels));
    l = &st->levels[st->n_levels++];
    memset(l, 0, sizeof(*l));
    memcpy(l->item, item, SLF_ID_CHARS);
    memcpy(l->location, location, SLF_ID_CHARS);
    l->available = 100;
}

struct slf_product *slf_store_add_product(struct slf_state *st, const char *title,
                                          const char *price, const char *const *skus, size_t n)
{
    struct slf_product *p;

    st->products = buf_grow_array(st->products, &st->cap_products, st->n_products + 1,
                                  sizeof(*st->products));
    p = &st->products[st->n_products++];
    slf_new_id(st, SLF_K_PRODUCT, p->id);
    p->title = xstrdup(title);
    p->variants = xcalloc(n ? n : 1, sizeof(*p->variants));
    p->n_variants = n;
    for (size_t k = 0; k < n; k++) {
        struct slf_variant *v = &p->variants[k];

        slf_new_id(st, SLF_K_VARIANT, v->id);
        slf_new_id(st, SLF_K_ITEM, v->inventory_item_id);
        v->sku = xstrdup(skus[k]);
        v->title = xstrdup(skus[k][0] != '\0' ? skus[k] : title);
        v->price = xstrdup(price);
        for (size_t l = 0; l < st->n_locations && l < 2; l++)
            slf_add_level(st, v->inventory_item_id, st->locations[l].id);
    }
    return p;
}

static void slf_seed_product(struct slf_state *st, size_t i)
{
    size_t n = 0;

    while (n < ARRAY_LEN(slf_seed[i].skus) && slf_seed[i].skus[n] != NULL)
        n++;
    slf_store_add_product(st, slf_seed[i].title, slf_seed[i].price, slf_seed[i].skus, n);
}

void slf_store_init(struct slf_state *st, bool seed)
{
    memset(st, 0, sizeof(*st));
    st->next_order_no = 1001;
    if (!seed)
        return;
    for (size_t i = 0; i < ARRAY_LEN(slf_location_names); i++) {
        slf_new_id(st, SLF_K_LOCATION, st->locations[i].id);
        st->locations[i].name = slf_location_names[i];
    }
    st->n_locations = ARRAY_LEN(slf_location_names);
    for (size_t i = 0; i < ARRAY_LEN(slf_seed); i++)
        slf_seed_product(st, i);
}

static void slf_order_free(struct slf_order *o)
{
    free(o->financial_status);
    free(o->email);
    free(o->currency);
    for (size_t i = 0; i < o->n_lines; i++) {
        free(o->lines[i].sku);
        free(o->lines[i].title);
        free(o->lines[i].price);
    }
    free(o->lines);
    for (size_t i = 0; i < o->n_fuls; i++) {
        for (size_t k = 0; k < o->fuls[i].n_tracking; k++) {
            free(o->fuls[i].tracking[k].number);
            free(o->fuls[i].tracking[k].company);
            free(o->fuls[i].tracking[k].url);
        }
        free(o->fuls[i].lines);
    }
    free(o->fuls);
    for (size_t i = 0; i < o->n_versions; i++)
        free(o->versions[i]);
    free(o->versions);
}

static void slf_product_free(struct slf_product *p)
{
    for (size_t k = 0; k < p->n_variants; k++) {
        free(p->variants[k].sku);
        free(p->variants[k].title);
        free(p->variants[k].price);
    }
    free(p->variants);
    free(p->title);
}

bool slf_store_delete_product(struct slf_state *st, const char *id)
{
    for (size_t i = 0; i < st->n_products; i++) {
        if (strcmp(st->products[i].id, id) != 0)
            continue;
        slf_product_free(&st->products[i]);
        memmove(&st->products[i], &st->products[i + 1],
                (st->n_products - i - 1) * sizeof(*st->products));
        st->n_products--;
        return true;
    }
    return false;
}

bool slf_store_set_sku(struct slf_state *st, const char *variant_id, const char *sku)
{
    for (size_t i = 0; i < st->n_products; i++) {
        for (size_t k = 0; k < st->products[i].n_variants; k++) {
            struct slf_variant *v = &st->products[i].variants[k];

            if (strcmp(v->id, variant_id) != 0)
                continue;
            free(v->sku);
            v->sku = xstrdup(sku);
            return true;
        }
    }
    return false;
}

void slf_store_cleanup(struct slf_state *st)
{
    for (size_t i = 0; i < st->n_orders; i++)
        slf_order_free(&st->orders[i]);
    free(st->orders);
    for (size_t i = 0; i < st->n_products; i++)
        slf_product_free(&st->products[i]);
    free(st->products);
    free(st->levels);
    memset(st, 0, sizeof(*st));
}

void slf_store_reset(struct slf_state *st, bool seed)
{
    slf_store_cleanup(st);
    slf_store_init(st, seed);
}

const struct slf_variant *slf_store_find_sku(const struct slf_state *st, const char *sku,
                                             const struct slf_product **product)
{
    for (size_t i = 0; i < st->n_products; i++) {
        for (size_t k = 0; k < st->products[i].n_variants; k++) {
            if (strcmp(st->products[i].variants[k].sku, sku) != 0)
                continue;
            *product = &st->products[i];
            return &st->products[i].variants[k];
        }
    }
    return NULL;
}

static void slf_line_init(struct slf_state *st, struct slf_line *l, const struct slf_new_line *in)
{
    const struct slf_product *p = NULL;
    const struct slf_variant *v = slf_store_find_sku(st, in->sku ? in->sku : "", &p);

    slf_new_id(st, SLF_K_LINE, l->id);
    l->sku = xstrdup(in->sku ? in->sku : "");
    l->title = xstrdup(in->title ? in->title : p ? p->title : l->sku);
    l->price = xstrdup(in->price ? in->price : v ? v->price : "10.00");
    l->quantity = in->quantity;
    if (v != NULL) {
        memcpy(l->product_id, p->id, SLF_ID_CHARS);
        memcpy(l->variant_id, v->id, SLF_ID_CHARS);
    }
}

struct slf_order *slf_store_add_order(struct slf_state *st, const struct slf_new_order *in,
                                      int64_t now_ms)
{
    struct slf_order *o;

    st->orders = buf_grow_array(st->orders, &st->cap_orders, st->n_orders + 1,
                                sizeof(*st->orders));
    o = &st->orders[st->n_orders++];
    memset(o, 0, sizeof(*o));
    slf_new_id(st, SLF_K_ORDER, o->id);
    if (in->name != NULL)
        snprintf(o->name, sizeof(o->name), "%s", in->name);
    else
        snprintf(o->name, sizeof(o->name), "#%ld", st->next_order_no++);
    o->financial_status = xstrdup(in->financial_status ? in->financial_status : "paid");
    o->email = xstrdup(in->email ? in->email : "buyer@example.com");
    o->currency = xstrdup(in->currency ? in->currency : "GBP");
    o->created_ms = o->updated_ms = now_ms;
    o->lines = xcalloc(in->n_lines ? in->n_lines : 1, sizeof(*o->lines));
    o->n_lines = in->n_lines;
    for (size_t i = 0; i < in->n_lines; i++)
        slf_line_init(st, &o->lines[i], &in->lines[i]);
    return o;
}

struct slf_order *slf_store_find_order(struct slf_state *st, const char *id)
{
    if (id == NULL)
        return NULL;
    for (size_t i = 0; i < st->n_orders; i++) {
        if (strcmp(st->orders[i].id, id) == 0)
            return &st->orders[i];
    }
    return NULL;
}

void slf_store_touch(struct slf_order *o, int64_t now_ms)
{
    o->updated_ms = now_ms > o->updated_ms ? now_ms : o->updated_ms + 1;
}

void slf_store_add_version(struct slf_order *o, char *json)
{
    o->versions = buf_grow_array(o->versions, &o->cap_versions, o->n_versions + 1,
                                 sizeof(*o->versions));
    o->versions[o->n_versions++] = json;
}

const char *slf_order_fulfillment_status(const struct slf_order *o)
{
    long ordered = 0, sent = 0;

    for (size_t i = 0; i < o->n_lines; i++) {
        ordered += o->lines[i].quantity;
        sent += o->lines[i].fulfilled;
    }
    if (sent == 0)
        return NULL;
    return sent >= ordered ? "fulfilled" : "partial";
}

static long slf_find_line(const struct slf_order *o, const char *id)
{
    for (size_t i = 0; i < o->n_lines; i++) {
        if (strcmp(o->lines[i].id, id) == 0)
            return (long)i;
    }
    return -1;
}

/* The whole request against the order as it is; nothing changes. */
static enum slf_ful_result slf_check_fulfil(const struct slf_order *o,
                                            const struct slf_new_fulfillment *in,
                                            const char **bad)
{
    long *want = xcalloc(o->n_lines ? o->n_lines : 1, sizeof(*want));
    enum slf_ful_result r = SLF_FUL_OK;

    if (o->cancelled)
        r = SLF_FUL_CANCELLED;
    else if (in->n_lines == 0)
        r = SLF_FUL_NO_LINES;
    else if (in->n_tracking > SLF_MAX_TRACKING)
        r = SLF_FUL_TRACKING;
    for (size_t i = 0; r == SLF_FUL_OK && i < in->n_lines; i++) {
        long k = slf_find_line(o, in->lines[i].line_id);

        *bad = in->lines[i].line_id;
        if (k < 0 || in->lines[i].quantity < 1)
            r = SLF_FUL_BAD_LINE;
        else if ((want[k] += in->lines[i].quantity) > o->lines[k].quantity - o->lines[k].fulfilled)
            r = SLF_FUL_ALREADY;
    }
    if (r == SLF_FUL_OK)
        *bad = NULL;
    free(want);
    return r;
}

static char *slf_dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

enum slf_ful_result slf_store_fulfil(struct slf_state *st, struct slf_order *o,
                                     const struct slf_new_fulfillment *in, int64_t now_ms,
                                     const char **bad, const struct slf_fulfillment **out)
{
    enum slf_ful_result r = slf_check_fulfil(o, in, bad);
    struct slf_fulfillment *f;

    if (r != SLF_FUL_OK)
        return r;
    o->fuls = buf_grow_array(o->fuls, &o->cap_fuls, o->n_fuls + 1, sizeof(*o->fuls));
    f = &o->fuls[o->n_fuls++];
    memset(f, 0, sizeof(*f));
    slf_new_id(st, SLF_K_FUL, f->id);
    f->lines = xcalloc(in->n_lines, sizeof(*f->lines));
    f->n_lines = in->n_lines;
    for (size_t i = 0; i < in->n_lines; i++) {
        f->lines[i].line = (size_t)slf_find_line(o, in->lines[i].line_id);
        f->lines[i].quantity = in->lines[i].quantity;
        o->lines[f->lines[i].line].fulfilled += in->lines[i].quantity;
    }
    for (size_t i = 0; i < in->n_tracking; i++) {
        f->tracking[i].number = slf_dup_or_empty(in->tracking[i].number);
        f->tracking[i].company = slf_dup_or_empty(in->tracking[i].company);
        f->tracking[i].url = slf_dup_or_empty(in->tracking[i].url);
    }
    f->n_tracking = in->n_tracking;
    f->notify_customer = in->notify_customer;
    f->created_ms = now_ms;
    st->n_fulfillments++;
    slf_store_touch(o, now_ms);
    *out = f;
    return SLF_FUL_OK;
}

struct slf_level *slf_store_find_level(struct slf_state *st, const char *item,
                                       const char *location)
{
    for (size_t i = 0; i < st->n_levels; i++) {
        if (strcmp(st->levels[i].item, item) == 0 &&
            strcmp(st->levels[i].location, location) == 0)
            return &st->levels[i];
    }
    return NULL;
}

bool slf_store_item_known(const struct slf_state *st, const char *item)
{
    for (size_t i = 0; i < st->n_products; i++) {
        for (size_t k = 0; k < st->products[i].n_variants; k++) {
            if (strcmp(st->products[i].variants[k].inventory_item_id, item) == 0)
                return true;
        }
    }
    return false;
}

bool slf_store_location_known(const struct slf_state *st, const char *location)
{
    for (size_t i = 0; i < st->n_locations; i++) {
        if (strcmp(st->locations[i].id, location) == 0)
            return true;
    }
    return false;
}
