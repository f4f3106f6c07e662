/*
 * shopline_returns.h - the bodies of SHOPLINE's return/create, return/update
 * and refunds/create webhooks (pure: json-c only).
 *
 * The shared notes do not document these payloads; shopvox assumes the
 * Shopify-like shapes (README "Returns"):
 *   return: {id, order_id, status (requested|open|closed|cancelled|declined),
 *            name, created_at, updated_at,
 *            return_line_items: [{id, line_item_id, quantity, return_reason}]}
 *   refund: {id, order_id, created_at, note,
 *            refund_line_items: [{line_item_id, quantity, subtotal}],
 *            transactions: [{amount, currency, kind}]}
 * Ids may be strings or (big) numbers and are kept as their digits; money
 * stays the exact decimal text. Every char * is owned by its struct (NULL
 * when absent) and released by the _cleanup function.
 */
#ifndef SHOPVOX_SHOPLINE_RETURNS_H
#define SHOPVOX_SHOPLINE_RETURNS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define SHOPLINE_RETURN_MAX_LINES 500   /* lines of one return or refund */

struct shopline_return_line {
    char *id;              /* may be NULL */
    char *line_item_id;    /* required: the order line */
    long quantity;         /* > 0 (lines of 0 are dropped) */
    char *reason;          /* return_reason, may be NULL */
};

struct shopline_return {
    char *id, *order_id;   /* required */
    char *status;          /* as sent, may be NULL */
    char *name, *created_at, *updated_at;
    int64_t updated_at_ms; /* -1 when absent */
    struct shopline_return_line *lines;
    size_t n_lines;
};

/* What a return's status asks of shopvox. */
enum shopline_return_ask {
    SHOPLINE_RETURN_OPEN = 0,   /* requested, open, closed, absent or unknown: nothing */
    SHOPLINE_RETURN_CANCELLED,  /* cancelled by the customer or the store */
    SHOPLINE_RETURN_DECLINED    /* declined by the store: rejected */
};
enum shopline_return_ask shopline_return_ask_of(const struct shopline_return *r);

/*
 * Maps a return body into *out (zeroed first). ST_FAIL with err set when
 * it is not a JSON object, lacks id / order_id / a line's line_item_id or
 * quantity, a field has the wrong type, updated_at does not parse, a line
 * id repeats or there are more than SHOPLINE_RETURN_MAX_LINES lines; then
 * *out holds nothing to clean up.
 */
enum st shopline_parse_return(const char *json, size_t len, struct shopline_return *out,
                              struct errbuf *err);
void shopline_return_cleanup(struct shopline_return *r);

struct shopline_refund_line {
    char *line_item_id;    /* required */
    long quantity;
    char *subtotal;        /* decimal text, may be NULL */
};

struct shopline_refund {
    char *id, *order_id;   /* required */
    char *created_at, *note;
    char *amount;          /* sum of the refund transactions (kind "refund" or none), NULL if none */
    char *currency;        /* of the first such transaction */
    struct shopline_refund_line *lines;
    size_t n_lines;
};

/* Like shopline_parse_return for a refund body (money fields must be decimals). */
enum st shopline_parse_refund(const char *json, size_t len, struct shopline_refund *out,
                              struct errbuf *err);
void shopline_refund_cleanup(struct shopline_refund *r);

/* The refund's lines as [{"line_item_id","quantity","subtotal"}] (owned text). */
char *shopline_refund_lines_json(const struct shopline_refund *r);

#endif
