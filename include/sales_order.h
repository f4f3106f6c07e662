/*
 * sales_order.h - posting a paid Shopline order to Peoplevox as exactly one
 * Sales Order, and cancelling it (job handlers for the worker pool).
 */
#ifndef SHOPVOX_SALES_ORDER_H
#define SHOPVOX_SALES_ORDER_H

#include <stddef.h>

#include "job_handler.h"

/* Peoplevox's limit on SalesOrderNumber, counted in bytes (see so_number_make). */
#define SO_NUMBER_MAX_BYTES 30

/*
 * Builds the Sales Order number: prefix + order name without '#'.
 * Returns 0, or -1 when the result would exceed SO_NUMBER_MAX_BYTES, the
 * name part is empty, either part holds a control character, or out
 * (cap bytes with the NUL) is too small. Never truncates. Length is
 * counted in UTF-8 bytes: Peoplevox says "30 characters" without saying
 * how it counts, and bytes can never be too long for it (as sku.h does
 * for item codes).
 */
int so_number_make(const char *prefix, const char *name, char *out, size_t cap);

/* Job "post_sales_order", payload {"order_id": N}. */
void so_post_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);
/*
 * Batch handler for "post_sales_order" jobs (see job_handler.h): each order's
 * own checks and transactions as so_post_handler, but the orders that are
 * safe to batch share one SaveData per template. results[i] is jobs[i]'s.
 */
void so_post_batch(struct worker_ctx *w, const struct job *jobs, size_t n,
                   struct job_result *results);
/* Job "cancel_sales_order", payload {"order_id": N}. */
void so_cancel_handler(struct worker_ctx *w, const struct job *j, struct job_result *r);

#endif
