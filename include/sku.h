/*
 * sku.h - SKU integrity: can this Shopline SKU be sent to Peoplevox? (pure)
 *
 * A Shopline variant SKU must equal an active Peoplevox Item Code, or be
 * mapped to one by an alias in sku_map. Anything else sends the order to
 * the exception queue with a sentence an operator can act on; the order is
 * retried once the item appears or a mapping is added.
 *
 * Decisions:
 *  - Nothing is trimmed or rewritten. Peoplevox compares item codes
 *    exactly, so a silently "fixed" SKU would only move the mismatch to
 *    the warehouse. Leading/trailing spaces are their own problem
 *    (SKU_WHITESPACE) because the fix differs from other bad characters.
 *  - Length is counted in bytes (SKU_MAX_BYTES = 50): Peoplevox says "50
 *    characters" without saying how it counts, and bytes is the reading
 *    that can never be too long for it.
 *  - Invalid UTF-8 is a problem of its own: it would make the whole SOAP
 *    document unparseable, and no retry could fix it.
 *  - The alias is consulted first: an operator's mapping is a deliberate
 *    decision and wins over a direct match. Its target must itself be a
 *    syntactically valid, active item code. Because of this a SKU that is
 *    too long (or has stray spaces) can be rescued by a mapping.
 *  - The lookups cannot fail: the caller loads the catalogue and map rows
 *    for the order first (store layer) and answers from that snapshot. A
 *    database error is the caller's to retry, never an "unknown SKU".
 */
#ifndef SHOPVOX_SKU_H
#define SHOPVOX_SKU_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "order.h"

#define SKU_MAX_BYTES 50           /* Peoplevox Item Code limit */
#define SKU_DISPLAY_MAX_BYTES 80   /* longer SKUs are shown cut, ending in ... */
#define SKU_DETAIL_MIN_BYTES 256   /* smallest cap sku_format_detail accepts */

/* Checks run in this order; the first failing one is reported. */
enum sku_problem {
    SKU_OK = 0,
    SKU_EMPTY,          /* NULL, "" or only spaces */
    SKU_TOO_LONG,       /* more than SKU_MAX_BYTES bytes */
    SKU_BAD_UTF8,       /* not valid UTF-8 (overlong, surrogate, truncated) */
    SKU_CONTROL_CHARS,  /* C0/C1 control or DEL anywhere (tab, newline...) */
    SKU_WHITESPACE,     /* leading or trailing space */
    SKU_DEACTIVATED,    /* contains "~D~", or inactive in the catalogue */
    SKU_UNKNOWN,        /* not an item code and not mapped */
    SKU_PROBLEM_COUNT
};

/* Stable snake_case name ("too_long"); for logs, metrics and the API. */
const char *sku_problem_name(enum sku_problem p);

/* Syntactic checks only (everything but SKU_UNKNOWN). sku may be NULL. */
enum sku_problem sku_validate(const char *sku);

/* What the catalogue knows about an item code. */
enum sku_item_state {
    SKU_ITEM_MISSING = 0,
    SKU_ITEM_INACTIVE,
    SKU_ITEM_ACTIVE
};

/*
 * The two lookups, answered from a snapshot (see the design note).
 * map_alias returns the mapped item code or NULL; the string is borrowed
 * and must stay valid as long as the result that points at it. map_alias
 * may be NULL (no aliases); item_state is required.
 */
struct sku_lookup {
    const char *(*map_alias)(void *ctx, const char *shopline_sku);
    enum sku_item_state (*item_state)(void *ctx, const char *item_code);
    void *ctx;
};

struct sku_resolution {
    enum sku_problem problem;
    const char *item_code;  /* borrowed (the SKU or the alias); NULL unless SKU_OK */
    const char *mapped_to;  /* borrowed alias target, NULL when not mapped */
};

/*
 * Resolves one Shopline SKU to the Peoplevox Item Code to send. With a
 * mapping the problem, if any, is the target's (mapped_to says which).
 * Returns out->problem.
 */
enum sku_problem sku_resolve(const char *shopline_sku, const struct sku_lookup *lk,
                             struct sku_resolution *out);

/*
 * An actionable sentence for the ops team, naming the SKU (quoted, escaped,
 * cut at SKU_DISPLAY_MAX_BYTES) and the command that fixes it, e.g.
 * "create item code 'X' in Peoplevox or map it with: shopvox sku map 'X' ITEM_CODE".
 * mapped_to is the alias target when the problem is the target's (or NULL).
 * Returns an owned string; never NULL.
 */
char *sku_problem_advice(enum sku_problem p, const char *sku, const char *mapped_to);


struct sku_issue {
    char *line_id;          /* owned; "" when the line had none */
    char *sku;              /* owned; "" when the line had none */
    char *mapped_to;        /* owned alias target, NULL when not mapped */
    enum sku_problem problem;
};

struct sku_check_result {
    char **item_codes;      /* owned; [n_lines], NULL for offending or skipped lines */
    size_t n_lines;
    struct sku_issue *issues; /* owned; in line order */
    size_t n_issues;
};

/*
 * Resolves every line the warehouse ships (order_line_ships) into *out
 * (zeroed first); lines it does not ship are skipped, not reported. The
 * order can be sent when out->n_issues == 0. Release with
 * sku_check_result_cleanup.
 */
void sku_check_order(const struct order_line *lines, size_t n, const struct sku_lookup *lk,
                     struct sku_check_result *out);
void sku_check_result_cleanup(struct sku_check_result *r);

/*
 * One human detail string for the exception, at most max_bytes long
 * (raised to SKU_DETAIL_MIN_BYTES), e.g.
 * "2 order lines cannot be sent to Peoplevox: 'ABC-1' unknown (line 123):
 *  create item code ...; '' empty (line 124): set a SKU ...".
 * Issues that do not fit are counted ("; and 3 more"). Owned; "" when no issue.
 */
char *sku_format_detail(const struct sku_check_result *r, size_t max_bytes);

#endif
