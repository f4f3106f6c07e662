/*
 * order.h - the Shopline order as shopvox sees it, and its state machine (pure).
 *
 * Ids are strings (Shopline order ids are ~26 digits, beyond 64 bits);
 * money is kept as the exact decimal text Shopline sent ("8.00"), never
 * a float. Every char * in these structs is owned by the struct (NULL when
 * absent) and released by order_cleanup.
 *
 * Two files implement it: order.c maps the JSON (order_parse_json,
 * timestamps, money); order_state.c is the state machine (from enum
 * order_state on). Both are pure.
 */
#ifndef SHOPVOX_ORDER_H
#define SHOPVOX_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

struct order_address {
    char *name, *first_name, *last_name, *company, *phone;
    char *address1, *address2, *city, *province, *province_code;
    char *country, *country_code, *zip;
};

struct order_line {
    char *line_id;      /* required */
    char *product_id, *variant_id, *sku, *title, *variant_title;
    char *price;        /* exact decimal text */
    char *location_id;
    int64_t quantity;   /* required, >= 0 */
    int64_t fulfillable_quantity; /* -1 when absent */
    bool requires_shipping;       /* default true */
};

struct order {
    char *id;                      /* required */
    char *name;                    /* "#1001"; required */
    char *financial_status, *fulfillment_status, *status;
    char *cancelled_at, *cancel_reason;
    char *created_at, *updated_at, *processed_at; /* as sent (ISO-8601) */
    int64_t updated_at_ms;         /* parsed (offset applied); -1 when absent */
    char *email, *phone, *note, *currency;
    char *total_price, *total_tax, *total_discounts; /* exact decimal text */
    char *customer_id, *customer_email, *customer_first_name, *customer_last_name,
         *customer_phone;
    bool has_shipping_address, has_billing_address;
    struct order_address shipping, billing;
    char *shipping_title, *shipping_code, *shipping_price; /* first shipping line */
    char *location_id;             /* order-level location, else first line's */
    struct order_line *lines;
    size_t n_lines;
};

/*
 * Maps a Shopline order JSON body into *out (zeroed first). Returns ST_OK,
 * or ST_FAIL with err set when the body is not JSON, not an object, or lacks
 * id / name / line_items[] / a line's id or quantity, or a money field is
 * not a decimal. On failure *out holds nothing that needs cleanup.
 */
enum st order_parse_json(const char *json, size_t len, struct order *out, struct errbuf *err);
void order_cleanup(struct order *o);

/* Parses ISO-8601 "2026-11-26T09:30:00+08:00" (also Z, fractions). 0 ok, -1 bad. */
int order_parse_time_ms(const char *iso, int64_t *out_ms);

/* Most units one order line may carry (more is a malformed payload). */
#define ORDER_MAX_QUANTITY 1000000
/* Money columns are numeric(20,4): at most 16 digits before the point; we allow 12. */
#define ORDER_MONEY_MAX_INT_DIGITS 12

/*
 * True when s is a plain decimal we can store: optional '-', 1 to
 * ORDER_MONEY_MAX_INT_DIGITS digits, optional '.' and 1 to 4 digits.
 */
bool order_money_valid(const char *s);

/* ---- the state machine (order_state.c) ---- */

enum order_state {
    ORDER_AWAITING_PAYMENT = 0,
    ORDER_READY,
    ORDER_SENT,
    ORDER_PARTIALLY_DESPATCHED,
    ORDER_DESPATCHED,
    ORDER_FULFILLED,
    ORDER_ON_HOLD,
    ORDER_CANCELLED,
    ORDER_NOT_FOR_WAREHOUSE,  /* paid, but nothing to ship: never a Sales Order */
    ORDER_STATE_COUNT
};

const char *order_state_name(enum order_state s);
/* 0 and *out set, or -1 for an unknown name. */
int order_state_parse(const char *name, enum order_state *out);

/*
 * True when financial_status is one of the comma-separated paid_statuses
 * (whitespace around items ignored). NULL status is never paid.
 */
bool order_is_paid(const char *financial_status, const char *paid_statuses);

/* True when the payload says the order is cancelled (status or cancelled_at). */
bool order_is_cancelled(const struct order *o);

/* What the payload alone implies: cancelled, ready (paid) or awaiting_payment. */
enum order_state order_intake_state(const struct order *o, const char *paid_statuses);

/* Decision for applying a payload to a stored order. */
struct order_transition {
    enum order_state next;   /* state to store */
    bool enqueue_post;       /* enqueue post_sales_order (became ready) */
    bool enqueue_cancel;     /* enqueue cancel_sales_order (posted, now cancelled) */
};

/*
 * The state machine for intake. exists=false means a new order (cur ignored).
 *  new/awaiting_payment -> intake state; becoming ready enqueues the post.
 *  ready -> cancelled or awaiting_payment when the payload says so, else ready.
 *  on_hold -> cancelled when cancelled, else on_hold.
 *  not_for_warehouse -> cancelled or awaiting_payment when the payload says
 *    so; a paid payload keeps the state and enqueues the post, whose Tx1
 *    re-reads the (replaced) lines: shippable lines make the order ready
 *    and post it, still nothing to ship keeps it not_for_warehouse.
 *  sent and later (posted) -> state kept; a cancellation enqueues the cancel.
 *  cancelled -> cancelled (terminal).
 */
struct order_transition order_next_state(bool exists, enum order_state cur,
                                         enum order_state intake);

/*
 * What a paid order gives the warehouse (pure; decided in the post job's
 * Tx1, before any SKU check, so such an order never reaches Peoplevox):
 *  SHIPPABLE      at least one line to ship (order_line_ships);
 *  EMPTY          no lines at all, or every quantity 0: a paid order with
 *                 nothing in it is suspicious (an exception is opened);
 *  NOTHING_TO_SHIP quantities, but no line requires shipping (digital goods,
 *                 gift cards): simply not for the warehouse.
 * Lines of quantity 0 beside lines that do not ship count as NOTHING_TO_SHIP.
 */
enum order_content {
    ORDER_CONTENT_SHIPPABLE = 0,
    ORDER_CONTENT_EMPTY,
    ORDER_CONTENT_NOTHING_TO_SHIP
};

/* True when the line asks the warehouse to ship something (requires_shipping, quantity > 0). */
bool order_line_ships(const struct order_line *line);
enum order_content order_content_of(const struct order_line *lines, size_t n_lines);

/* True for states in which a Sales Order exists in Peoplevox. */
bool order_state_is_posted(enum order_state s);

#endif
