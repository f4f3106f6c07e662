/*
 * shopline_json.h - the SHOPLINE Admin API's bodies and headers, both ways (pure).
 *
 * What the client (shopline.h) sends and reads, without any I/O, so every
 * rule is unit-tested and fuzzed (tests/fuzz/fuzz_shopline.c) on its own:
 * the `errors` member of an error answer in all its shapes, the `link`
 * header's next-page cursor, the replies of the calls shopvox makes
 * (orders, fulfillments, locations, products) and the two request bodies.
 *
 * Ids. Shopline ids are ~26 digits: they are read through json_text_parse
 * (exact, as text, whether sent as numbers or strings) and kept as text.
 * Where the API wants a number (line item ids in a fulfillment), the
 * digits are written verbatim into the JSON text: json-c cannot hold them.
 *
 * Every parser either returns ST_OK with its output filled, or ST_FAIL
 * with err set and the output as it was before the call (lists: nothing
 * appended); the outputs are owned by the caller, released with their
 * _cleanup functions, which leave them empty and reusable.
 */
#ifndef SHOPVOX_SHOPLINE_JSON_H
#define SHOPVOX_SHOPLINE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "common.h"
#include "order.h"

#define SHOPLINE_MAX_TRACKING 10        /* tracking_info_list entries per fulfillment */
#define SHOPLINE_MAX_CURSOR_BYTES 1024  /* a page_info cursor longer than this is refused */
#define SHOPLINE_MAX_AVAILABLE 1000000000L /* |available| of a level read back */

/* ---- what shopvox sends ---- */

/* One line of a fulfillment: the order's line item id (digits) and how many. */
struct shopline_line_qty {
    const char *line_id;    /* borrowed; digits, sent as a JSON number */
    long quantity;          /* >= 1 */
};

/* One parcel's tracking; company and url may be NULL (not sent). */
struct shopline_tracking {
    const char *number;     /* borrowed; required */
    const char *company;
    const char *url;
};

struct shopline_fulfillment_req {
    const char *order_id;   /* borrowed; digits (it goes into the path) */
    const struct shopline_line_qty *lines;  /* 1.. lines, explicit (never "all") */
    size_t n_lines;
    const struct shopline_tracking *tracking; /* 0..SHOPLINE_MAX_TRACKING */
    size_t n_tracking;
    bool notify_customer;
};

/*
 * The body of POST orders/{id}/fulfillments.json into out:
 * {"fulfillment":{"line_items":[{"id":<digits>,"quantity":n}],
 * "notify_customer":b,"tracking_info_list":[{"tracking_number":...}]}}.
 * ST_FAIL (err says which) for a missing or non-digit id, no lines, a
 * quantity below 1, more than SHOPLINE_MAX_TRACKING tracking entries, or a
 * tracking entry without a number.
 */
enum st shopline_build_fulfillment(const struct shopline_fulfillment_req *req, struct buf *out,
                                   struct errbuf *err);

/* The body of POST inventory_levels/set.json (ids as strings, as the API documents them). */
enum st shopline_build_inventory_set(const char *inventory_item_id, const char *location_id,
                                     long available, struct buf *out, struct errbuf *err);

/* ---- what Shopline answers ---- */

/*
 * One readable message from an error body's `errors` member into out (cap
 * bytes, truncated, NUL-terminated): a string as it is; an array joined
 * with "; "; an object as "key: message" pairs joined with "; " (a key's
 * array joined with ", "); nested values flattened the same way. A body
 * without `errors` (or not JSON) gives its first bytes of printable text,
 * so a proxy's HTML page still says something; an empty body gives "".
 */
void shopline_errors_message(const char *body, size_t len, char *out, size_t cap);

/*
 * The next page's cursor from a `link` header (`<url>; rel="next"`, among
 * others separated by commas; rel quoted or not, any case): *page_info is
 * the url's page_info argument, as sent (still percent-encoded; owned).
 * Returns 1 with it, 0 when there is no next link (the last page; *page_info
 * NULL), -1 when a next link is there but has no usable page_info (empty,
 * longer than SHOPLINE_MAX_CURSOR_BYTES, or characters that do not belong
 * in a query string).
 */
int shopline_link_next(const char *link, char **page_info);

/* Whether s may be sent back as a page_info cursor (1..SHOPLINE_MAX_CURSOR_BYTES safe chars). */
bool shopline_cursor_valid(const char *s);

/* Orders of one or more pages of GET orders.json (struct order, order.h). */
struct shopline_orders {
    struct order *items;
    size_t n, cap;
};
void shopline_orders_cleanup(struct shopline_orders *o);
/* Appends the orders of {"orders":[...]}; any order order_parse_json refuses fails the page. */
enum st shopline_parse_orders(const char *body, size_t len, struct shopline_orders *out,
                              struct errbuf *err);

/* {"fulfillment":{"id":...}} -> *id (owned text). */
enum st shopline_parse_fulfillment_id(const char *body, size_t len, char **id,
                                      struct errbuf *err);

/* A fulfillment as listed: its lines and tracking numbers, to match after an unknown outcome. */
struct shopline_fulfillment_line {
    char *line_id;          /* the order's line item id (text) */
    long quantity;
};
struct shopline_fulfillment {
    char *id;
    char *status;           /* "success", "cancelled" ... or NULL */
    struct shopline_fulfillment_line *lines;
    size_t n_lines;
    char **tracking_numbers; /* from tracking_info_list, else tracking_number(s) */
    size_t n_tracking;
};
struct shopline_fulfillments {
    struct shopline_fulfillment *items;
    size_t n, cap;
};
void shopline_fulfillments_cleanup(struct shopline_fulfillments *f);
/* Appends the fulfillments of {"fulfillments":[...]}. */
enum st shopline_parse_fulfillments(const char *body, size_t len,
                                    struct shopline_fulfillments *out, struct errbuf *err);

struct shopline_location {
    char *id;
    char *name;             /* may be NULL */
    bool active;            /* true when absent */
};
struct shopline_locations {
    struct shopline_location *items;
    size_t n, cap;
};
void shopline_locations_cleanup(struct shopline_locations *l);
/* Appends the locations of {"locations":[...]}. */
enum st shopline_parse_locations(const char *body, size_t len, struct shopline_locations *out,
                                 struct errbuf *err);

/* One variant of a product (the catalogue's SKU -> inventory item). */
struct shopline_variant {
    char *product_id;
    char *id;
    char *sku;              /* may be NULL: a variant without a SKU */
    char *inventory_item_id; /* may be NULL */
};
struct shopline_variants {
    struct shopline_variant *items;
    size_t n, cap;
};
void shopline_variants_cleanup(struct shopline_variants *v);
/* Appends the variants of every product of {"products":[{"id","variants":[...]}]}. */
enum st shopline_parse_variants(const char *body, size_t len, struct shopline_variants *out,
                                struct errbuf *err);

/* One inventory level of GET inventory_levels.json. */
struct shopline_level {
    char *inventory_item_id;
    char *location_id;
    long available;          /* may be negative (oversold); 0 when !available_known */
    bool available_known;    /* false: "available" null or absent (stock not tracked) */
};
struct shopline_levels {
    struct shopline_level *items;
    size_t n, cap;
};
void shopline_levels_cleanup(struct shopline_levels *l);
/*
 * Appends the levels of {"inventory_levels":[{"inventory_item_id",
 * "location_id","available"}]}: both ids required; available an integer
 * of at most SHOPLINE_MAX_AVAILABLE either way (negative: oversold), null
 * or absent (not tracked). Anything else fails the reply.
 */
enum st shopline_parse_inventory_levels(const char *body, size_t len,
                                        struct shopline_levels *out, struct errbuf *err);

#endif
