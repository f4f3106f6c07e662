/*
 * slf_store.h - the fake SHOPLINE store's state and its rules (private to
 * shopline/): orders with lines and fulfillments, the catalogue (products,
 * variants, inventory items), locations and inventory levels.
 *
 * No HTTP and no JSON here: the API and control files render and parse;
 * this file decides. Ids are text, 26 digits, as SHOPLINE's are (beyond 64
 * bits): a two-digit kind prefix and a 24-digit sequence, so ids of
 * different kinds never collide and sort in creation order.
 *
 * Rules a real store enforces, and the fake with it:
 *   - a fulfillment names its lines and quantities; a line not in the
 *     order, or a quantity of 0 or less, is refused (SLF_FUL_BAD_LINE); more
 *     than a line has left to fulfil is refused (SLF_FUL_ALREADY) and
 *     nothing is applied; a cancelled order takes no fulfillment;
 *   - the order's fulfillment_status follows: null, partial, fulfilled;
 *   - an inventory level is set only for an item connected to the location
 *     (every seeded item is connected to the first two locations, none to
 *     the third).
 * updated_at never repeats for an order (+1 ms when the clock has not
 * moved), so a client comparing updated_at always sees the newer change.
 */
#ifndef SHOPVOX_SLF_STORE_H
#define SHOPVOX_SLF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define SLF_ID_CHARS 27          /* 26 digits and the NUL */
#define SLF_MAX_TRACKING 10      /* tracking_info_list entries per fulfillment */

struct slf_line {
    char id[SLF_ID_CHARS];
    char *sku, *title, *price;   /* owned */
    char product_id[SLF_ID_CHARS], variant_id[SLF_ID_CHARS]; /* "" when the SKU is unknown */
    long quantity, fulfilled;
};

struct slf_tracking {
    char *number, *company, *url; /* owned; "" when absent */
};

struct slf_fline {
    size_t line;                 /* index in the order's lines */
    long quantity;
};

struct slf_fulfillment {
    char id[SLF_ID_CHARS];
    struct slf_fline *lines;
    size_t n_lines;
    struct slf_tracking tracking[SLF_MAX_TRACKING];
    size_t n_tracking;
    bool notify_customer;
    int64_t created_ms;
};

struct slf_order {
    char id[SLF_ID_CHARS];
    char name[24];
    char *financial_status, *email, *currency; /* owned */
    bool cancelled;
    int64_t created_ms, updated_ms, cancelled_ms;
    struct slf_line *lines;
    size_t n_lines;
    struct slf_fulfillment *fuls;
    size_t n_fuls, cap_fuls;
    char **versions;             /* the order's JSON after each change, oldest first (owned) */
    size_t n_versions, cap_versions;
};

struct slf_variant {
    char id[SLF_ID_CHARS], inventory_item_id[SLF_ID_CHARS];
    char *sku, *title, *price;
};

struct slf_product {
    char id[SLF_ID_CHARS];
    char *title;
    struct slf_variant *variants;
    size_t n_variants;
};

struct slf_location {
    char id[SLF_ID_CHARS];
    const char *name;
};

struct slf_level {
    char item[SLF_ID_CHARS], location[SLF_ID_CHARS];
    long available;
    int64_t updated_ms;
};

struct slf_state {
    struct slf_order *orders;
    size_t n_orders, cap_orders;
    struct slf_product *products;
    size_t n_products, cap_products;
    struct slf_location locations[3];
    size_t n_locations;
    struct slf_level *levels;    /* connected item x location pairs */
    size_t n_levels, cap_levels;
    long next_id, next_order_no;
    size_t n_fulfillments;
};

/* What a new order is made of (strings borrowed). */
struct slf_new_line {
    const char *sku, *title, *price;
    long quantity;
};

struct slf_new_order {
    const char *name;             /* NULL: "#" + the next number from 1001 */
    const char *financial_status; /* NULL: "paid" */
    const char *email, *currency; /* NULL: buyer@example.com, GBP */
    const struct slf_new_line *lines;
    size_t n_lines;
};

/* The requested fulfillment (strings borrowed). */
struct slf_new_fline {
    const char *line_id;
    long quantity;
};

struct slf_new_tracking {
    const char *number, *company, *url; /* NULL: "" */
};

struct slf_new_fulfillment {
    const struct slf_new_fline *lines;
    size_t n_lines;
    const struct slf_new_tracking *tracking;
    size_t n_tracking;
    bool notify_customer;
};

enum slf_ful_result {
    SLF_FUL_OK = 0,
    SLF_FUL_CANCELLED,  /* the order is cancelled */
    SLF_FUL_NO_LINES,   /* no line_items */
    SLF_FUL_BAD_LINE,   /* a line not in the order, or a quantity < 1 */
    SLF_FUL_ALREADY,    /* more than a line has left to fulfil */
    SLF_FUL_TRACKING    /* more than SLF_MAX_TRACKING tracking entries */
};

/* Empty orders; the seeded catalogue, locations and levels unless !seed. */
void slf_store_init(struct slf_state *st, bool seed);
void slf_store_cleanup(struct slf_state *st);
void slf_store_reset(struct slf_state *st, bool seed);

/* Adds an order at now_ms (wall clock); the new order (valid until the next add). */
struct slf_order *slf_store_add_order(struct slf_state *st, const struct slf_new_order *in,
                                      int64_t now_ms);
/* The order with this id, or NULL (also for a NULL id). */
struct slf_order *slf_store_find_order(struct slf_state *st, const char *id);
/* Moves updated_at to now_ms (strictly later than before). */
void slf_store_touch(struct slf_order *o, int64_t now_ms);
/* Records the order's JSON (taken over) as its newest version. */
void slf_store_add_version(struct slf_order *o, char *json);
/* "partial", "fulfilled" or NULL (nothing fulfilled). */
const char *slf_order_fulfillment_status(const struct slf_order *o);

/*
 * Checks and applies a fulfillment; on anything but SLF_FUL_OK nothing
 * changed and *bad names the offending line id (borrowed from in, or
 * NULL). *out is the stored fulfillment on success.
 */
enum slf_ful_result slf_store_fulfil(struct slf_state *st, struct slf_order *o,
                                     const struct slf_new_fulfillment *in, int64_t now_ms,
                                     const char **bad, const struct slf_fulfillment **out);

/*
 * Adds a product of n variants with these SKUs ("" for a variant without
 * one), each with a new inventory item connected to the first two
 * locations (as the seeded ones); the product (valid until the next add).
 */
struct slf_product *slf_store_add_product(struct slf_state *st, const char *title,
                                          const char *price, const char *const *skus, size_t n);
/* Deletes product id (its variants with it); false when there is none. */
bool slf_store_delete_product(struct slf_state *st, const char *id);
/* Gives variant variant_id the SKU sku ("" for none); false when there is no such variant. */
bool slf_store_set_sku(struct slf_state *st, const char *variant_id, const char *sku);

/* The variant with this SKU, or NULL. */
const struct slf_variant *slf_store_find_sku(const struct slf_state *st, const char *sku,
                                             const struct slf_product **product);
/* The level of item at location, or NULL when they are not connected. */
struct slf_level *slf_store_find_level(struct slf_state *st, const char *item,
                                       const char *location);
bool slf_store_item_known(const struct slf_state *st, const char *item);
bool slf_store_location_known(const struct slf_state *st, const char *location);

#endif
