/*
 * sales_order_int.h - what the sales_order*.c files share (private to
 * them): one order's posting state, and the steps the single and the
 * batched path both run, so neither copies the other.
 *
 *   sales_order.c         the one way in (post_sales_order, n >= 1 jobs),
 *                         an order sent alone, the outcome of a save, Tx2
 *   sales_order_decide.c  Tx1: what to do with the order before the network
 *   sales_order_batch.c   orders sent together: one SaveData per template
 *   sales_order_look.c    orders whose outcome is unknown: looked up together
 *   sales_order_pvx.c     Peoplevox calls: look up by number, save by name
 *   sales_order_cancel.c  cancel_sales_order
 */
#ifndef SHOPVOX_SALES_ORDER_INT_H
#define SHOPVOX_SALES_ORDER_INT_H

#include <stdbool.h>

#include "jobs.h"
#include "log.h"
#include "pvx.h"
#include "routing.h"
#include "sales_order.h"
#include "sales_order_rows.h"
#include "sku.h"

#define SO_BY "shopvox"
/* An order with unknown SKUs waits this long for the first catalogue sync. */
#define SO_WAIT_CATALOGUE_MS 30000
/* Orders whose outcome is unknown looked up in one SearchClause (sales_order_look.c). */
#define SO_LOOK_PER_CALL 50
/* Rows one such look may read (a page is at most PVX_MAX_PAGE_ITEMS). */
#define SO_LOOK_MAX_ROWS 20000
/* At most this many unknown codes of one order are looked up in Peoplevox. */
#define SO_LOOKUP_MAX_CODES 10

/* One order's posting state; owned (so_ctx_cleanup) except w and err. */
struct so_ctx {
    struct worker_ctx *w;
    struct errbuf *err;
    char order_id[24];
    struct so_order order;      /* the order row, kept after commit (zeroed when gone) */
    struct so_lines lines;      /* line_no: 0 = not sent */
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
    bool throttled;             /* the last Peoplevox call was refused for load, or the
                                   order waits for the first catalogue sync: an uncounted
                                   retry after retry_after_ms */
    long retry_after_ms;        /* then: the client's cool-down left */
    bool wait_catalogue;        /* Tx1: unknown SKUs, but no catalogue sync ever completed */
    bool lookup_unknown;        /* Tx1: unknown SKUs to look up in Peoplevox before a hold */
    bool looked_up;             /* they were looked up: an unknown SKU now holds the order */
};

void so_ctx_cleanup(struct so_ctx *x);

/* Peoplevox looked up each SKU the last Tx1 found unknown; found items join `items`. */
enum st so_lookup_unknown_items(struct so_ctx *x);

/* ---- sales_order.c ---- */

/* Counts one outcome in family (shopvox_sales_orders_total, ..._cancels_total). */
void so_count(const char *family, const char *outcome);
/* One event=sales_order log line about x. */
void so_log(enum log_level lv, const struct so_ctx *x, const char *outcome, const char *why);
/*
 * The start of every order job: describes the metrics (once per process),
 * reads the payload's {"order_id": N} (number or digit string) into
 * order_id and ensures a live database connection.
 */
enum st so_job_start(struct worker_ctx *w, const struct job *j, char *order_id, size_t cap,
                     struct errbuf *err);

/*
 * The job's result from the attempt's status: a throttled ST_RETRY becomes
 * a throttled job_result due after the cool-down (not counted).
 */
void so_result_set(const struct so_ctx *x, enum st st, struct job_result *r);

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

/*
 * One order sent on its own (no look first): the order row (unless
 * order_row is false: Peoplevox holds it as it would be sent), the item
 * rows, Tx2.
 */
enum st so_post_alone(struct so_ctx *x, bool order_row);

/* Tx2 (sent, history, exceptions resolved), then the log line and metric. */
enum st so_finish(struct so_ctx *x);

/* An order cancelled while a post may have reached Peoplevox: a cancel_sales_order job. */
enum st so_enqueue_cancel(struct so_ctx *x);

/* ---- sales_order_decide.c ---- */

/*
 * Tx1 for x->order_id (its own transaction, committed before any network
 * call). *post true when the order is to be sent now; false when it was
 * held, skipped or failed (the status says).
 */
enum st so_decide_tx(struct so_ctx *x, bool *post);

/* Why an order is held: orders.hold_reason, and its one open exception. */
struct so_hold {
    const char *reason;   /* orders.hold_reason */
    const char *type;     /* exception type */
    const char *team;
    const char *detail;
    const char *action;
};

/* Holds the order in a transaction of its own (after the network). */
enum st so_hold_tx(struct so_ctx *x, const struct so_hold *h);
/* Resolves the order's exceptions of every posting check (in the open transaction). */
enum st so_resolve_all(struct so_ctx *x, const char *resolution);

/* ---- sales_order_batch.c ---- */

/*
 * Sends the orders of x[i] with go[i] set (more than one, none started)
 * with one SaveData per template, in as many batches as the row and byte
 * caps of cfg need (batch_chunk); then results[i].st and go[i] say how
 * each went (go[i] still true: saved, Tx2 next).
 */
void so_batch_send(struct so_ctx *x, size_t n, bool *go, struct job_result *results);

/* ---- sales_order_look.c ---- */

/*
 * The orders x[idx[0..n)], each to be posted after an unknown outcome:
 * looked up in Peoplevox SO_LOOK_PER_CALL at a time, then each sent
 * alone, held for a conflict, or finished without a save when Peoplevox
 * holds all of it; results[idx[i]] set.
 */
void so_look_and_post(struct so_ctx *x, const size_t *idx, size_t n, struct job_result *results);

/* ---- sales_order_pvx.c ---- */

/* GetData `Sales orders` by number into *t; *found when a row came back. */
enum st so_pvx_find(struct so_ctx *x, const char *so_number, struct csv_table *t, bool *found);
/*
 * GetData of tmpl (every page, at most SO_LOOK_MAX_ROWS rows) for the
 * Sales Orders numbered numbers[0..n), one SearchClause, into *t (owned).
 * Throttling is waited out within the Peoplevox timeout, as in
 * so_save_patiently. A failure is x's error and throttle note.
 */
enum st so_pvx_find_many(struct so_ctx *x, const char *tmpl, const char *const *numbers, size_t n,
                         struct csv_table *t);

/*
 * Saves records into tmpl, mapped by field name against the tenant's save
 * template (see sales_order_pvx.c). resp (may be NULL) receives the
 * per-row statuses; caller cleans it up. Returns the call's status; oc
 * describes it.
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

/* Remembers whether Peoplevox (or the client's cool-down) throttled the last call. */
void so_note_throttle(struct so_ctx *x, const struct pvx_outcome *oc);

#endif
