/*
 * return_report.c - the Peoplevox side of returns, pure (see
 * return_report.h for the decisions): the `Returns` template learned by
 * field name, the expected return's CSV, `Return summary` rows read by
 * column name, received units matched to return lines, and where a
 * return stands once its units are in.
 */
#include "return_report.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "despatch.h"

#define RETURN_MAX_NAMES 4

/* The names each field is known under, the first the one we suggest. */
static const char *const RETURN_FIELD_NAMES[RETF_COUNT][RETURN_MAX_NAMES] = {
    [RETF_REFERENCE] = {"ReturnReference", "Reference", "RmaNumber", "ReturnNumber"},
    [RETF_SALES_ORDER] = {"SalesOrderNumber", "SalesOrder", NULL, NULL},
    [RETF_ITEM_CODE] = {"ItemCode", NULL, NULL, NULL},
    [RETF_QUANTITY] = {"Quantity", "QuantityExpected", "QuantityReturned", "ExpectedQuantity"},
    [RETF_REASON] = {"ReturnReason", "Reason", NULL, NULL},
    [RETF_COMMENTS] = {"Comments", "Notes", "Comment", NULL},
};

static bool return_field_required(enum return_field f)
{
    return f != RETF_COMMENTS;
}

/* ---- the template ---- */

static int return_find_name(const char *const *names, size_t n, enum return_field f)
{
    for (size_t k = 0; k < RETURN_MAX_NAMES && RETURN_FIELD_NAMES[f][k] != NULL; k++) {
        for (size_t i = 0; i < n; i++) {
            if (csv_name_equal(names[i], RETURN_FIELD_NAMES[f][k]))
                return (int)i;
        }
    }
    return -1;
}

static void return_names_text(enum return_field f, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    for (size_t k = 0; k < RETURN_MAX_NAMES && RETURN_FIELD_NAMES[f][k] != NULL; k++) {
        int w = snprintf(out + len, cap - len, "%s%s", k ? " or " : "", RETURN_FIELD_NAMES[f][k]);
        if (w < 0 || (size_t)w >= cap - len)
            return;
        len += (size_t)w;
    }
}

enum st return_template_learn(const char *const *names, size_t n, struct return_template *out,
                              struct errbuf *err)
{
    enum st rc = ST_OK;

    memset(out, 0, sizeof(*out));
    out->n = n;
    out->names = xcalloc(n ? n : 1, sizeof(*out->names));
    for (size_t i = 0; i < n; i++)
        out->names[i] = xstrdup(names[i]);
    for (int f = 0; f < RETF_COUNT; f++) {
        out->col[f] = return_find_name(names, n, (enum return_field)f);
        if (out->col[f] < 0 && return_field_required((enum return_field)f) && rc == ST_OK) {
            char accepted[160];

            return_names_text((enum return_field)f, accepted, sizeof(accepted));
            errbuf_set(err, "the tenant's '" RETURN_TEMPLATE "' template has no field for the %s "
                       "(add one named %s)", f == RETF_REFERENCE ? "return reference"
                       : f == RETF_SALES_ORDER ? "sales order number"
                       : f == RETF_ITEM_CODE ? "item code"
                       : f == RETF_QUANTITY ? "quantity" : "return reason", accepted);
            rc = ST_FAIL;
        }
    }
    return rc;
}

void return_template_cleanup(struct return_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    memset(t, 0, sizeof(*t));
}

int return_reference_make(const char *prefix, long long return_id, char *out, size_t cap)
{
    int w = snprintf(out, cap, "%sR%lld", prefix != NULL ? prefix : "", return_id);

    if (w < 0 || (size_t)w >= cap || w > RETURN_REFERENCE_MAX_CHARS || return_id <= 0) {
        if (cap > 0)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

/* ---- the expected return's CSV ---- */

static enum st return_check_save(const struct return_save *r, struct errbuf *err)
{
    if (r->n_lines == 0) {
        errbuf_set(err, "return %s has no lines", r->reference ? r->reference : "");
        return ST_FAIL;
    }
    if (r->reference == NULL || r->reference[0] == '\0' || r->sales_order == NULL ||
        r->sales_order[0] == '\0') {
        errbuf_set(err, "a return needs a reference and a sales order number");
        return ST_FAIL;
    }
    for (size_t i = 0; i < r->n_lines; i++) {
        if (r->lines[i].item_code == NULL || r->lines[i].item_code[0] == '\0' ||
            r->lines[i].quantity < 1) {
            errbuf_set(err, "return %s line %zu needs an item code and a quantity >= 1",
                       r->reference, i + 1);
            return ST_FAIL;
        }
    }
    return ST_OK;
}

/* Whether an earlier line of r has line i's item code (its row is already out). */
static bool return_code_seen(const struct return_save *r, size_t i)
{
    for (size_t k = 0; k < i; k++) {
        if (strcmp(r->lines[k].item_code, r->lines[i].item_code) == 0)
            return true;
    }
    return false;
}

enum st return_csv_build(const struct return_template *t, const struct return_save *r,
                         struct buf *out, struct errbuf *err)
{
    const char **row = NULL;
    char qty[24];
    int capped;

    if (return_check_save(r, err) != ST_OK)
        return ST_FAIL;
    row = xcalloc(t->n ? t->n : 1, sizeof(*row));
    capped = csv_append_row(out, (const char *const *)t->names, t->n);
    for (size_t i = 0; i < r->n_lines && capped == 0; i++) {
        long sum = 0;

        if (return_code_seen(r, i))
            continue;
        for (size_t k = i; k < r->n_lines; k++)
            sum += strcmp(r->lines[k].item_code, r->lines[i].item_code) == 0 ? r->lines[k].quantity
                                                                             : 0;
        snprintf(qty, sizeof(qty), "%ld", sum);
        const char *vals[RETF_COUNT] = {r->reference, r->sales_order, r->lines[i].item_code, qty,
                                        r->reason, r->comments};
        for (size_t c = 0; c < t->n; c++)
            row[c] = NULL;
        for (int f = 0; f < RETF_COUNT; f++) {
            if (t->col[f] >= 0)
                row[t->col[f]] = vals[f];
        }
        capped = csv_append_row(out, row, t->n);
    }
    free(row);
    if (capped != 0) {
        errbuf_set(err, "return csv exceeds %zu bytes", out->max);
        return ST_FAIL;
    }
    return ST_OK;
}

/* ---- the Return summary ---- */

enum { RC_CODE, RC_DATE, RC_SO, RC_ITEM, RC_QTY, RC_REASON, RC_CONDITION, RC_REUSABLE, RC_SITE,
       RC_COUNT };

static const char *const RETURN_COLUMNS[RC_COUNT] = {
    "Return code", "Return date", "Sales order number", "Item code", "Quantity",
    "Return reason", "Return condition", "Is Reusable", "Site reference",
};

static bool return_column_required(int c)
{
    return c != RC_REASON && c != RC_CONDITION && c != RC_SITE;
}

int return_parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    char word[8];
    size_t n = 0;

    while (text != NULL && isspace((unsigned char)*text))
        text++;
    while (text != NULL && text[n] != '\0' && !isspace((unsigned char)text[n]) && n < 7) {
        word[n] = text[n];
        n++;
    }
    word[n] = '\0';
    if (text == NULL || (text[n] != '\0' && strspn(text + n, " \t\r\n") != strlen(text + n)))
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcasecmp(word, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(word, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* A whole count 1..1000000 (spaces around allowed), or -1. */
static long return_parse_count(const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 1000000)
        return -1;
    return v;
}

static void return_mark_invalid(struct return_receipt *r, size_t row, const char *what,
                                const char *value)
{
    char msg[ERRBUF_MAX];

    if (r->invalid != NULL)
        return; /* the first reason is the one to fix first */
    snprintf(msg, sizeof(msg), "report row %zu: %s \"%.80s\"", row, what, value);
    r->invalid = xstrdup(msg);
}

static void return_read_row(const struct csv_table *t, size_t row, const int *col,
                            struct return_receipt *r)
{
    const char *date = csv_table_get(t, row, col[RC_DATE]);
    const char *qty = csv_table_get(t, row, col[RC_QTY]);
    const char *reusable = csv_table_get(t, row, col[RC_REUSABLE]);

    memset(r, 0, sizeof(*r));
    r->return_code = xstrdup(csv_table_get(t, row, col[RC_CODE]));
    r->sales_order = xstrdup(csv_table_get(t, row, col[RC_SO]));
    r->item_code = xstrdup(csv_table_get(t, row, col[RC_ITEM]));
    r->reason = xstrdup(col[RC_REASON] >= 0 ? csv_table_get(t, row, col[RC_REASON]) : "");
    r->condition = xstrdup(col[RC_CONDITION] >= 0 ? csv_table_get(t, row, col[RC_CONDITION])
                                                  : "");
    r->site = xstrdup(col[RC_SITE] >= 0 ? csv_table_get(t, row, col[RC_SITE]) : "");
    r->quantity = return_parse_count(qty);
    if (r->return_code[0] == '\0')
        return_mark_invalid(r, row, "no return code for sales order", r->sales_order);
    if (r->sales_order[0] == '\0')
        return_mark_invalid(r, row, "no sales order number for return", r->return_code);
    if (r->item_code[0] == '\0')
        return_mark_invalid(r, row, "no item code in return", r->return_code);
    if (despatch_parse_date(date, &r->local_s) != 0)
        return_mark_invalid(r, row, "unreadable return date", date);
    if (r->quantity < 0)
        return_mark_invalid(r, row, "unreadable quantity", qty);
    if (return_parse_bool(reusable, &r->reusable) != 0)
        return_mark_invalid(r, row, "unreadable Is Reusable", reusable);
}

enum st return_report_parse(const struct csv_table *t, struct return_receipt_list *out,
                            struct errbuf *err)
{
    int col[RC_COUNT];

    if (t->n_rows == 0)
        return ST_OK;
    for (int c = 0; c < RC_COUNT; c++) {
        col[c] = csv_table_col(t, RETURN_COLUMNS[c]);
        if (col[c] < 0 && return_column_required(c)) {
            errbuf_set(err, "'" RETURN_REPORT "' has no \"%s\" column", RETURN_COLUMNS[c]);
            return ST_FAIL;
        }
    }
    if (t->n_rows > 1)
        out->items = xrealloc(out->items, (out->n + t->n_rows - 1) * sizeof(*out->items));
    for (size_t row = 1; row < t->n_rows; row++)
        return_read_row(t, row, col, &out->items[out->n++]);
    return ST_OK;
}

void return_receipt_list_cleanup(struct return_receipt_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        struct return_receipt *r = &l->items[i];

        free(r->return_code);
        free(r->sales_order);
        free(r->item_code);
        free(r->reason);
        free(r->condition);
        free(r->site);
        free(r->invalid);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* ---- matching and progress ---- */

size_t return_match_allocate(const char *item_code, long quantity,
                             const struct return_match_line *lines, size_t n,
                             struct return_alloc *out, long *unmatched)
{
    size_t filled = 0;

    for (size_t i = 0; i < n && quantity > 0; i++) {
        long room = lines[i].quantity - lines[i].received;
        long take = room < quantity ? room : quantity;

        if (take <= 0 || strcmp(lines[i].item_code, item_code) != 0)
            continue;
        out[filled].line = i;
        out[filled++].quantity = take;
        quantity -= take;
    }
    *unmatched = quantity > 0 ? quantity : 0;
    return filled;
}

enum return_progress return_progress_of(const struct return_line_count *lines, size_t n)
{
    long received = 0, restocked = 0;
    bool all_in = n > 0;

    for (size_t i = 0; i < n; i++) {
        received += lines[i].received;
        restocked += lines[i].restocked;
        all_in = all_in && lines[i].received >= lines[i].quantity;
    }
    if (received == 0)
        return RETURN_PROGRESS_NONE;
    if (!all_in)
        return RETURN_PROGRESS_PARTIAL;
    return restocked > 0 ? RETURN_PROGRESS_RESTOCKED : RETURN_PROGRESS_WRITTEN_OFF;
}
