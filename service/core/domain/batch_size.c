/*
 * batch_size.c - the size of a batched post (see batch_size.h).
 *
 * Peoplevox allows about 15 calls per 15 s and every batch costs two calls
 * (order rows, then item rows), so at a flash sale the batch size decides
 * how fast the backlog drains. Decisions:
 *  - The batch grows with the backlog: what is due is spread over the
 *    batches one window of the rate allows, so a backlog drains within
 *    about one window whatever its size, up to the row cap. Not simply
 *    "always the cap": a batch whose outcome is unknown sends every order
 *    in it alone afterwards, existence check first (three calls each), so
 *    a batch no larger than the backlog needs keeps that cost small.
 *  - Below the backlog's need, a floor (min_orders) keeps a quiet shop's
 *    few orders together anyway.
 *  - A claimed batch is cut into payloads by the row cap and the byte cap,
 *    each counted for both saves (an order with many lines fills the item
 *    save first). Bytes are an upper bound of the CSV (every value quoted,
 *    quotes doubled), so the real payload is never larger.
 */
#include "batch_size.h"

size_t batch_size_for_backlog(size_t backlog, long calls_per_window, size_t min_orders,
                              size_t max_orders)
{
    size_t batches, want;

    if (max_orders < 1)
        max_orders = 1;
    if (min_orders < 1)
        min_orders = 1;
    if (min_orders > max_orders)
        min_orders = max_orders;
    if (calls_per_window <= 0)
        return max_orders;
    batches = (size_t)calls_per_window / BATCH_CALLS;
    if (batches < 1)
        batches = 1;
    want = backlog / batches + (backlog % batches != 0);
    if (want < min_orders)
        want = min_orders;
    return want < max_orders ? want : max_orders;
}

size_t batch_record_csv_bytes(const struct pvx_record *r)
{
    size_t bytes = 2; /* the line end */

    for (size_t i = 0; i < r->n; i++) {
        const char *v = r->values[i].value;

        bytes += 3; /* two quotes and a separator */
        for (; v != NULL && *v != '\0'; v++)
            bytes += *v == '"' ? 2 : 1;
    }
    return bytes;
}

size_t batch_chunk(const struct batch_cost *costs, size_t n, const struct batch_caps *caps)
{
    size_t order_bytes = BATCH_HEADER_BYTES, item_bytes = BATCH_HEADER_BYTES, item_rows = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        const struct batch_cost *c = &costs[k];

        order_bytes += c->order_bytes;
        item_bytes += c->item_bytes;
        item_rows += c->item_rows;
        if (k > 0 && (k + 1 > caps->max_rows || item_rows > caps->max_rows ||
                      order_bytes > caps->max_bytes || item_bytes > caps->max_bytes))
            break;
    }
    return k > 0 ? k : (n > 0 ? 1 : 0);
}
