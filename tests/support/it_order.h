/*
 * it_order.h - Shopline order JSON for the tests: the one builder.
 *
 * Every test that sends an order webhook builds its body here, so the
 * shape of a Shopline order lives in one place (tests/fixtures/ holds the
 * hand-written real-world ones the unit tests and the fuzzers read). The
 * body is a complete order as Shopline sends it: customer, shipping and
 * billing address in country_code, one shipping line (T24), totals 25.50 /
 * tax 4.25 / discount 1.00, email buyer@example.com, created
 * 2026-11-26T09:00:00+08:00.
 */
#ifndef SHOPVOX_IT_ORDER_H
#define SHOPVOX_IT_ORDER_H

#include <stdbool.h>
#include <stddef.h>

/* One order line: line ids are the order id plus 1, 2, ...; prices 10.50, 11.50, ... */
struct it_line {
    const char *sku;
    int qty;
    bool digital;   /* requires_shipping false (gift card, download) */
};

struct it_order {
    const char *id;                /* Shopline order id */
    const char *name;              /* "#1001" */
    const char *financial_status;  /* NULL: "paid" */
    const char *updated_at;        /* NULL: "2026-11-26T10:00:00+00:00" */
    const char *country_code;      /* shipping and billing; NULL: "US" */
    bool cancelled;                /* status "cancelled" with a cancelled_at */
    const struct it_line *lines;   /* may be NULL with n_lines 0 */
    size_t n_lines;
};

/* `.lines = a, .n_lines = ARRAY_LEN(a)` for an array a of struct it_line. */
#define IT_LINES(a) .lines = (a), .n_lines = sizeof(a) / sizeof((a)[0])

/* The order's JSON body (malloc'd). */
char *it_order_json(const struct it_order *o);

/*
 * it_order_json of order id named <name_prefix><id>, financial status
 * status, updated_at (NULL: none) and one line of one "MUG-1".
 */
char *it_mug_order(const char *name_prefix, const char *id, const char *status,
                   const char *updated_at);

/*
 * A fresh Shopline order id ("9" and 25 digits) and name ("#" tag n) per
 * call, unique within the program; any thread may call.
 */
void it_order_next(char *id, size_t id_cap, char *name, size_t name_cap, const char *tag);

#endif
