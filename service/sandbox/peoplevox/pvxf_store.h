/*
 * pvxf_store.h - the fake Peoplevox's warehouse (private to peoplevox/):
 * catalogue, stock, sales orders with their lines, despatches, returns and
 * sessions, and the rules a real tenant enforces on SaveData.
 *
 * Plain arrays and linear lookups: the sandbox holds test-sized data. The
 * caller serialises access (the fake's lock); nothing here locks.
 */
#ifndef SHOPVOX_PVXF_STORE_H
#define SHOPVOX_PVXF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "csv.h"
#include "pvxf_result.h"

#define PVXF_SO_MAX_CHARS 30
#define PVXF_CODE_MAX_CHARS 50

struct pvxf_item {
    char *code, *barcode, *name, *description, *weight; /* owned */
};

struct pvxf_stock {
    char *item_code, *site; /* owned */
    long on_hand;
    int64_t changed_ms;     /* when its Available last moved (shelf, allocation, despatch) */
};

struct pvxf_line {
    char **vals;      /* owned, one per pvxf_line_fields entry */
    long despatched;
};

struct pvxf_order {
    char **vals;      /* owned, one per pvxf_order_fields entry */
    char *status;     /* owned: New | Partially despatched | Despatched | Cancelled */
    struct pvxf_line *lines;
    size_t n_lines, cap_lines;
};

struct pvxf_dline {
    char *item_code; /* owned */
    long qty;
};

struct pvxf_despatch {
    char *number, *so, *carrier, *service, *tracking, *site; /* owned */
    int64_t at_ms;
    struct pvxf_dline *lines;
    size_t n_lines;
};

/* A return received at the warehouse: one `Return summary` row. */
struct pvxf_return {
    char *code, *so, *item_code, *reason, *condition, *site; /* owned */
    long qty;
    bool reusable;
    int64_t at_ms;
};

/* An expected return saved through the `Returns` template (key: reference + item code). */
struct pvxf_expected {
    char *reference, *so, *item_code, *reason, *comments; /* owned */
    long qty;
};

struct pvxf_session {
    char id[33];
    int64_t last_used_ms;
};

struct pvxf_state {
    struct pvxf_item *items;
    size_t n_items, cap_items;
    struct pvxf_stock *stock;
    size_t n_stock, cap_stock;
    struct pvxf_order *orders;
    size_t n_orders, cap_orders;
    struct pvxf_despatch *despatches;
    size_t n_despatches, cap_despatches;
    struct pvxf_return *returns;
    size_t n_returns, cap_returns;
    struct pvxf_expected *expected;
    size_t n_expected, cap_expected;
    char **ret_fields;          /* the tenant's `Returns` template; NULL: it has none */
    size_t n_ret_fields;
    struct pvxf_session *sessions;
    size_t n_sessions, cap_sessions;
    long next_despatch, next_return, next_subscription;
};

/* Tenant field lists (the `Sales orders` order is deliberately unusual). */
extern const char *const pvxf_order_fields[];
extern const size_t pvxf_n_order_fields;
extern const char *const pvxf_line_fields[];
extern const size_t pvxf_n_line_fields;

/* An empty warehouse, or with seed the 20 seed items and their stock. */
void pvxf_store_init(struct pvxf_state *st, bool seed);
void pvxf_store_cleanup(struct pvxf_state *st);
void pvxf_store_reset(struct pvxf_state *st, bool seed);
/* The order numbered so, or NULL; borrowed. */
struct pvxf_order *pvxf_store_find_order(struct pvxf_state *st, const char *so);
/* Deletes the order numbered so with its lines (lost in the warehouse); false when unknown. */
bool pvxf_store_delete_order(struct pvxf_state *st, const char *so);
/* A field of an order or line by name ("" for an unknown field); borrowed. */
const char *pvxf_order_get(const struct pvxf_order *o, const char *field);
const char *pvxf_line_get(const struct pvxf_line *l, const char *field);
bool pvxf_store_site_known(const char *site);
/* Upserts catalogue item code with optional stock (site, qty) pairs. */
void pvxf_store_put_item(struct pvxf_state *st, const char *code, const char *name,
                         const char *barcode, const char *site, long qty);
/* Applies SaveData rows of tmpl (header in row 0), one status per row. */
void pvxf_store_save(struct pvxf_state *st, const char *tmpl, const struct csv_table *csv,
                     struct pvxf_result *res);
/* Records a despatch; items NULL/0 = everything outstanding. */
enum st pvxf_store_despatch(struct pvxf_state *st, const char *so,
                            const struct pvxf_dline *items, size_t n_items,
                            const char *carrier, const char *service, const char *tracking,
                            char **number_out, struct errbuf *err);
/* Dates despatch number at at_ms (Unix ms) instead of when it was recorded. */
void pvxf_store_date_despatch(struct pvxf_state *st, const char *number, int64_t at_ms);

/* ---- shared with pvxf_returns.c ---- */

/* Index of name in fields (case-insensitive), or -1. */
int pvxf_field_index(const char *const *fields, size_t n, const char *name);
/* Whether s is a whole number >= min. */
bool pvxf_is_int(const char *s, long min);
/* Maps each CSV column to a template field; -1 (res failed) for an unknown or repeated one. */
int pvxf_map_header(const struct csv_table *csv, const char *const *fields, size_t n, int *map,
                    struct pvxf_result *res, const char *tmpl);
/* The row's value for template field index f, or NULL when not a column. */
const char *pvxf_row_value(const struct csv_table *csv, size_t row, const int *map, int f);
/* Applies one data row (row >= 1) of a save, adding its status to res. */
typedef void (*pvxf_row_fn)(struct pvxf_state *st, const struct csv_table *csv, size_t row,
                            const int *map, const void *ctx, struct pvxf_result *res);
/* Runs fn on every data row; ResponseId -1 with "k of n rows failed" when any failed. */
void pvxf_store_save_rows(struct pvxf_state *st, const struct csv_table *csv, const int *map,
                          pvxf_row_fn fn, const void *ctx, struct pvxf_result *res);
/* The catalogue item / stock row, or NULL; borrowed. */
struct pvxf_item *pvxf_find_item(struct pvxf_state *st, const char *code);
struct pvxf_stock *pvxf_find_stock(struct pvxf_state *st, const char *code, const char *site);

/* ---- returns (pvxf_returns.c) ---- */

#define PVXF_RETURNS_TEMPLATE "Returns"

/* The default `Returns` template, no expected or received returns. */
void pvxf_returns_init(struct pvxf_state *st);
void pvxf_returns_cleanup(struct pvxf_state *st);
/*
 * Sets the tenant's `Returns` field names (copied, in the tenant's order);
 * n 0 = the tenant has no Returns template.
 */
void pvxf_returns_set_template(struct pvxf_state *st, const char *const *names, size_t n);
/* SaveData on `Returns` (header in row 0): upserts expected returns, one status per row. */
void pvxf_returns_save(struct pvxf_state *st, const struct csv_table *csv,
                       struct pvxf_result *res);
/* The fields of a received return (pvxf_store_add_return); strings borrowed, NULL = default. */
struct pvxf_receipt {
    const char *so, *item_code, *reason, *condition, *code;
    long qty;
    bool reusable;
    int64_t at_ms;                /* 0: now */
};
/*
 * Receives a return against order so (a `Return summary` row); reusable
 * units go back on the shelf at the order's site. *code_out owned.
 */
enum st pvxf_store_add_return(struct pvxf_state *st, const struct pvxf_receipt *rc,
                              char **code_out, struct errbuf *err);

#endif
