/*
 * batch_size.h - how many ready orders one batched post takes, and how a
 * claimed batch is cut into SaveData payloads that stay within the caps
 * (pure: no I/O; see batch_size.c for the decisions).
 */
#ifndef SHOPVOX_BATCH_SIZE_H
#define SHOPVOX_BATCH_SIZE_H

#include <stddef.h>

#include "pvx_soap.h"

/* Every batch costs this many Peoplevox calls: its order rows, then its item rows. */
#define BATCH_CALLS 2

/*
 * Orders one batch should take when backlog are due: the backlog spread
 * over the batches the rate allows in one window (calls_per_window /
 * BATCH_CALLS, at least one), never fewer than min_orders nor more than
 * max_orders (min_orders is raised to max_orders when above it, and both
 * to 1). calls_per_window <= 0 (no known rate): max_orders.
 */
size_t batch_size_for_backlog(size_t backlog, long calls_per_window, size_t min_orders,
                              size_t max_orders);

/*
 * An upper bound of the bytes r takes as one CSV line (every value quoted,
 * every quote doubled, separators and the line end), whatever columns the
 * tenant's header keeps.
 */
size_t batch_record_csv_bytes(const struct pvx_record *r);

/* What one order adds to the two saves of a batch. */
struct batch_cost {
    size_t order_bytes;         /* its order row (batch_record_csv_bytes) */
    size_t item_rows;           /* its item rows */
    size_t item_bytes;          /* their bytes together */
};

/* The caps of one SaveData payload (each of the two saves apart). */
struct batch_caps {
    size_t max_rows;            /* CSV rows after the header */
    size_t max_bytes;           /* CSV bytes, header allowance included */
};

/* Bytes kept for the CSV header line of either template. */
#define BATCH_HEADER_BYTES 2048

/*
 * How many of costs[0..n-1], from the first, go in one batch whose order
 * rows and item rows each stay within caps. At least 1 when n > 0: an
 * order too large for the caps on its own still goes, alone.
 */
size_t batch_chunk(const struct batch_cost *costs, size_t n, const struct batch_caps *caps);

#endif
