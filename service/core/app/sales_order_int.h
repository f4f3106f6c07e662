/*
 * sales_order_int.h - what sales_order.c shares with sales_order_batch.c
 * (private to the two). One order's posting state and the steps both the
 * single-order and the batched path run, so neither copies the other.
 */
#ifndef SHOPVOX_SALES_ORDER_INT_H
#define SHOPVOX_SALES_ORDER_INT_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "jobs.h"
#include "order.h"
#include "pvx.h"
#include "routing.h"
#include "sales_order.h"
#include "sku.h"

#define SO_TEMPLATE_ORDERS "Sales orders"
#define SO_TEMPLATE_ITEMS "Sales order items"

/* One order's posting state; pointers owned (so_ctx_cleanup) except w and err. */
struct so_ctx {
    struct worker_ctx *w;
    struct errbuf *err;
    char order_id[24];
    PGresult *order;            /* the order row, kept after commit */
    PGresult *lines_res;
    struct order_line *lines;   /* views into lines_res */
    size_t n_lines;
    int *line_no;               /* per line; 0 = not sent */
    struct sku_check_result chk;
    bool post_started;          /* a previous attempt may have created the Sales Order */
    char so_number[SO_NUMBER_MAX_BYTES + 1];
    char site[ROUTING_SITE_MAX_BYTES + 1];      /* where this attempt sends it */
    char prev_site[ROUTING_SITE_MAX_BYTES + 1]; /* what a previous attempt stored, or "" */
    char route_reason[ROUTING_REASON_MAX];
    const char *held;           /* the hold Tx1 decided (logged after commit), or NULL */
    bool not_for_warehouse;     /* Tx1 found nothing to ship (logged after commit) */
    bool absent;                /* Peoplevox holds nothing of this order: no attempt may have
                                   created it, or the existence check just said so */
    bool throttled;             /* the last Peoplevox call was refused for load */
    long retry_after_ms;        /* then: the client's cool-down left */
};

void so_ctx_cleanup(struct so_ctx *x);

/*
 * The job's result from the attempt's status: a throttled ST_RETRY becomes
 * a throttled job_result due after the cool-down (not counted).
 */
void so_result_set(const struct so_ctx *x, enum st st, struct job_result *r);

/*
 * Reads the job's order id and runs Tx1 for it (its own transaction,
 * committed before any network call). *post true when the order is to be
 * sent now; false when it was held, skipped or failed (the status says).
 */
enum st so_begin(struct so_ctx *x, struct worker_ctx *w, const struct job *j,
                 struct errbuf *err, bool *post);

/* The single-order network path: existence check when needed, order, items, Tx2. */
enum st so_post(struct so_ctx *x);

/*
 * Saves records into tmpl mapped by field name (see sales_order.c). resp
 * (may be NULL) receives the per-row statuses; caller cleans it up.
 */
enum st so_save(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs, size_t n,
                struct pvx_outcome *oc, struct pvx_response *resp);

/*
 * so_save for rows that follow an accepted order row (its items): waits
 * out throttling (the client's cool-down) within the Peoplevox timeout
 * rather than leave a half-posted order whose next attempt must look
 * first.
 */
enum st so_save_patiently(struct so_ctx *x, const char *tmpl, const struct pvx_record *recs,
                          size_t n, struct pvx_outcome *oc, struct pvx_response *resp);

/* The order row's values, by field name; rec points into row. */
#define SO_ORDER_FIELDS 27
struct so_order_row {
    struct pvx_field_value v[SO_ORDER_FIELDS];
    char ship[64], total[64], discount[64], tax[64];
    struct pvx_record rec;
};
void so_order_row_fill(const struct so_ctx *x, struct so_order_row *row);

/* One item row's values; rec points into it. */
struct so_item_row {
    struct pvx_field_value v[6];
    char qty[64], line[64], price[64];
    struct pvx_record rec;
};
/* Fills rows[0..] (room for x->n_lines) with the lines the warehouse ships; returns how many. */
size_t so_item_rows_fill(const struct so_ctx *x, struct so_item_row *rows);

/*
 * Turns a save's outcome into the job's: ST_RETRY (outcome unknown, or
 * Peoplevox unavailable, throttled or refusing the call for a transient
 * reason), a hold with a peoplevox_rejected exception (ST_OK, *go false),
 * or *go true to carry on. A retry known to have applied nothing to an
 * order Peoplevox does not hold (x->absent) clears post_started_at, so
 * the next attempt neither looks first nor has to go alone.
 */
enum st so_save_outcome(struct so_ctx *x, enum st st, const struct pvx_outcome *oc,
                        const char *what, bool *go);

/* Tx2 (sent, history, exceptions resolved), then the log line and metric. */
enum st so_finish(struct so_ctx *x);

#endif
