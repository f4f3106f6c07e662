/*
 * return_report.h - returns on the Peoplevox side (pure): the expected
 * return saved through the tenant's `Returns` template, the rows of the
 * `Return summary` report, and which return a received row belongs to.
 *
 * No database, no network: app/return_warehouse.c calls Peoplevox and the
 * stores; this module decides.
 *
 * Decisions:
 *  - The `Returns` template is learned per tenant (GetSaveTemplate) and
 *    mapped by field NAME, never by position. Each thing we send is known
 *    under a few names (RETURN_FIELD_NAMES in return_report.c):
 *      reference    ReturnReference | Reference | RmaNumber | ReturnNumber
 *      sales order  SalesOrderNumber | SalesOrder
 *      item code    ItemCode
 *      quantity     Quantity | QuantityExpected | QuantityReturned | ExpectedQuantity
 *      reason       ReturnReason | Reason
 *      comments     Comments | Notes | Comment            (optional)
 *    The first five are REQUIRED: the warehouse must know which order and
 *    item come back, how many, and why, and the reference is the upsert
 *    key that makes a re-save harmless. A template lacking one is "no
 *    usable template": nothing is sent, the return waits, and operations
 *    is told which field to add. Tenant fields we have no value for stay
 *    empty.
 *  - One row per item code: the upsert key is reference + item code, so
 *    two lines of one return with the same code are summed into one row.
 *  - The reference is <SHOPVOX_ORDER_PREFIX>R<returns.id>: stable for the
 *    return (a retried save updates, never duplicates) and short (<= 30).
 *  - Report columns are found by NAME (case-insensitive, trimmed); a
 *    missing column fails the whole table. A row that cannot be read (no
 *    return code, sales order or item code, bad date, quantity or
 *    boolean) is kept, marked invalid with the reason, never blocking the
 *    other rows. Dates are day-first ('dd/MM/yyyy HH:mm[:ss]', often in
 *    single quotes, the tenant's wall clock: despatch_parse_date reads
 *    them); Is Reusable is True/False (also true/false, Yes/No, 1/0).
 *  - A received row belongs to a return by Sales Order number + item
 *    code. Its units fill the candidate lines in the order given (oldest
 *    return first), each up to what it still expects (quantity minus
 *    received); units beyond every line's expectation are unmatched.
 *  - A return is wholly in when every line received its quantity. Then
 *    each line's units are restocked (Is Reusable True) or written off
 *    (False), and the return as a whole ends returned_to_stock when at
 *    least one unit was restocked, written_off only when nothing was.
 *
 * Ownership: results are owned by the caller (the _cleanup functions
 * release them); inputs are borrowed.
 */
#ifndef SHOPVOX_RETURN_REPORT_H
#define SHOPVOX_RETURN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"
#include "csv.h"

#define RETURN_TEMPLATE "Returns"
#define RETURN_REPORT "Return summary"
#define RETURN_REFERENCE_MAX_CHARS 30

/* What the expected return's row carries, by meaning. */
enum return_field {
    RETF_REFERENCE,
    RETF_SALES_ORDER,
    RETF_ITEM_CODE,
    RETF_QUANTITY,
    RETF_REASON,
    RETF_COMMENTS,
    RETF_COUNT
};

/* A tenant's `Returns` template, learned. */
struct return_template {
    size_t n;
    char **names;              /* owned: the tenant's field names, its order */
    int col[RETF_COUNT];       /* index into names, -1 when the tenant has none */
};

/*
 * Learns names[0..n) (GetSaveTemplate's header). ST_FAIL (err names the
 * missing field and the names accepted for it) when a required field is
 * missing: no usable template. *out is filled either way; cleanup it.
 */
enum st return_template_learn(const char *const *names, size_t n, struct return_template *out,
                              struct errbuf *err);
void return_template_cleanup(struct return_template *t);

/* "<prefix>R<id>" into out; -1 when it would not fit RETURN_REFERENCE_MAX_CHARS or cap. */
int return_reference_make(const char *prefix, long long return_id, char *out, size_t cap);

struct return_save_line {
    const char *item_code;
    long quantity;             /* > 0 */
};

/* One expected return (strings borrowed; reason and comments may be NULL). */
struct return_save {
    const char *reference, *sales_order, *reason, *comments;
    const struct return_save_line *lines;
    size_t n_lines;
};

/*
 * SaveData CSV for r: the tenant's header, then one row per item code
 * (lines of the same code summed), values placed by field. ST_FAIL on no
 * lines, an empty reference / sales order / item code, a quantity < 1,
 * or out's cap.
 */
enum st return_csv_build(const struct return_template *t, const struct return_save *r,
                         struct buf *out, struct errbuf *err);

/* One `Return summary` row. */
struct return_receipt {
    char *return_code, *sales_order, *item_code, *reason, *condition, *site; /* "" when blank */
    long quantity;             /* > 0 when valid */
    bool reusable;
    int64_t local_s;           /* Return date, the tenant's wall clock (despatch_parse_date) */
    int64_t returned_at_s;     /* Unix seconds: set by the caller from local_s */
    char *invalid;             /* NULL, or why the row cannot be read */
};

struct return_receipt_list {
    size_t n;
    struct return_receipt *items;
};

/* "True"/"False" (any case), "Yes"/"No", "1"/"0", trimmed: 0 and *out, or -1. */
int return_parse_bool(const char *text, bool *out);

/*
 * Reads the rows of a `Return summary` table (row 0 the header), in order,
 * appending to *out. ST_FAIL (err names it) when a required column is
 * missing (Return code, Return date, Sales order number, Item code,
 * Quantity, Is Reusable); bad rows are marked invalid instead.
 */
enum st return_report_parse(const struct csv_table *t, struct return_receipt_list *out,
                            struct errbuf *err);
void return_receipt_list_cleanup(struct return_receipt_list *l);

/* A line of a return that may take received units (borrowed strings). */
struct return_match_line {
    const char *item_code;
    long quantity;             /* expected */
    long received;             /* received so far */
};

/* Units of a received row given to one line. */
struct return_alloc {
    size_t line;               /* index into the lines given */
    long quantity;             /* > 0 */
};

/*
 * Gives quantity units of item_code to lines[0..n) in order, each up to
 * quantity - received. out has room for n entries; returns how many were
 * filled, and *unmatched the units no line took.
 */
size_t return_match_allocate(const char *item_code, long quantity,
                             const struct return_match_line *lines, size_t n,
                             struct return_alloc *out, long *unmatched);

/* Where a return's lines stand (return_progress_of). */
enum return_progress {
    RETURN_PROGRESS_NONE,        /* nothing received */
    RETURN_PROGRESS_PARTIAL,     /* some units in, not all */
    RETURN_PROGRESS_RESTOCKED,   /* all in, at least one unit restocked */
    RETURN_PROGRESS_WRITTEN_OFF  /* all in, nothing restocked */
};

struct return_line_count {
    long quantity, received, restocked;
};

/* The progress of a return with lines[0..n) (n 0: NONE). */
enum return_progress return_progress_of(const struct return_line_count *lines, size_t n);

#endif
