/*
 * despatch.c - Despatch summary rows to despatches, despatch items to
 * Shopline order lines (pure; decisions in despatch.h).
 *
 * Grouping keeps first-seen order with a linear search per row: a page is
 * at most 1000 rows and usually a handful of despatches, so a hash table
 * would be weight without benefit. Dates are converted with a civil-day
 * formula rather than timegm(), which is neither C11 nor POSIX.
 */
#include "despatch.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_SO, COL_NUMBER, COL_DATE, COL_CARRIER, COL_SERVICE, COL_TRACKING, COL_ITEM,
       COL_QTY, COL_SITE, COL_COUNT };

static const char *const col_names[COL_COUNT] = {
    "Salesorder number", "Despatch number", "Despatch date", "Carrier", "Service",
    "Tracking number", "Item code", "No of items", "Site reference",
};

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Reads exactly n digits at *p into *v and moves *p past them. */
static bool read_digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return true;
}

static bool read_sep(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

int despatch_parse_date(const char *text, int64_t *wall_s)
{
    int day, mon, year, hh, mm, ss = 0;
    const char *p = text;
    if (p == NULL)
        return -1;
    while (isspace((unsigned char)*p))
        p++;
    char quote = (*p == '\'' || *p == '"') ? *p++ : 0;
    if (!read_digits(&p, 2, &day) || !read_sep(&p, '/') || !read_digits(&p, 2, &mon) ||
        !read_sep(&p, '/') || !read_digits(&p, 4, &year) || !read_sep(&p, ' ') ||
        !read_digits(&p, 2, &hh) || !read_sep(&p, ':') || !read_digits(&p, 2, &mm))
        return -1;
    if (*p == ':' && (!read_sep(&p, ':') || !read_digits(&p, 2, &ss)))
        return -1;
    if (quote && !read_sep(&p, quote))
        return -1;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hh > 23 || mm > 59 || ss > 59)
        return -1;
    *wall_s = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

/* A whole positive count ("3", " 3 "); -1 when it is not one. */
static long parse_quantity(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > 1000000)
        return -1;
    return v;
}

static struct despatch *list_find(struct despatch_list *l, size_t from, const char *number)
{
    for (size_t i = from; i < l->n; i++)
        if (l->items[i].number[0] != '\0' && strcmp(l->items[i].number, number) == 0)
            return &l->items[i];
    return NULL;
}

static struct despatch *list_add(struct despatch_list *l, const struct csv_table *t, size_t row,
                                 const int *col)
{
    l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
    struct despatch *d = &l->items[l->n++];
    memset(d, 0, sizeof(*d));
    d->number = xstrdup(csv_table_get(t, row, col[COL_NUMBER]));
    d->so_number = xstrdup(csv_table_get(t, row, col[COL_SO]));
    d->carrier = xstrdup(csv_table_get(t, row, col[COL_CARRIER]));
    d->service = xstrdup(csv_table_get(t, row, col[COL_SERVICE]));
    d->tracking = xstrdup(csv_table_get(t, row, col[COL_TRACKING]));
    d->site = xstrdup(csv_table_get(t, row, col[COL_SITE]));
    return d;
}

static void mark_invalid(struct despatch *d, size_t row, const char *what, const char *value)
{
    if (d->invalid != NULL)
        return; /* the first reason is the one to fix first */
    char msg[ERRBUF_MAX];
    snprintf(msg, sizeof(msg), "report row %zu: %s \"%.80s\"", row, what, value);
    d->invalid = xstrdup(msg);
}

static void add_item(struct despatch *d, const char *code, long qty)
{
    for (size_t i = 0; i < d->n_items; i++) {
        if (strcmp(d->items[i].item_code, code) == 0) {
            d->items[i].quantity += qty;
            return;
        }
    }
    d->items = xrealloc(d->items, (d->n_items + 1) * sizeof(*d->items));
    d->items[d->n_items].item_code = xstrdup(code);
    d->items[d->n_items].quantity = qty;
    d->n_items++;
}

static void group_row(const struct csv_table *t, size_t row, const int *col, size_t first,
                      struct despatch_list *out)
{
    const char *number = csv_table_get(t, row, col[COL_NUMBER]);
    const char *date = csv_table_get(t, row, col[COL_DATE]);
    const char *code = csv_table_get(t, row, col[COL_ITEM]);
    const char *qty_text = csv_table_get(t, row, col[COL_QTY]);
    struct despatch *d = number[0] != '\0' ? list_find(out, first, number) : NULL;
    if (d == NULL) {
        d = list_add(out, t, row, col);
        if (number[0] == '\0')
            mark_invalid(d, row, "no despatch number for sales order", d->so_number);
        else if (despatch_parse_date(date, &d->local_s) != 0)
            mark_invalid(d, row, "unreadable despatch date", date);
        else if (d->so_number[0] == '\0')
            mark_invalid(d, row, "no sales order number for despatch", number);
    }
    long qty = parse_quantity(qty_text);
    if (code[0] == '\0')
        mark_invalid(d, row, "no item code in despatch", d->number);
    else if (qty < 0)
        mark_invalid(d, row, "unreadable number of items", qty_text);
    else
        add_item(d, code, qty);
}

enum st despatch_group_rows(const struct csv_table *t, struct despatch_list *out,
                            struct errbuf *err)
{
    int col[COL_COUNT];
    for (int i = 0; i < COL_COUNT; i++) {
        col[i] = csv_table_col(t, col_names[i]);
        /* Site reference only labels the row; every other column is needed */
        if (col[i] < 0 && i != COL_SITE) {
            errbuf_set(err, "despatch report has no \"%s\" column", col_names[i]);
            return ST_FAIL;
        }
    }
    size_t first = out->n;
    for (size_t row = 1; row < t->n_rows; row++)
        group_row(t, row, col, first, out);
    return ST_OK;
}

void despatch_list_cleanup(struct despatch_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct despatch *d = &l->items[i];
        free(d->number);
        free(d->so_number);
        free(d->carrier);
        free(d->service);
        free(d->tracking);
        free(d->site);
        free(d->invalid);
        for (size_t j = 0; j < d->n_items; j++)
            free(d->items[j].item_code);
        free(d->items);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static bool same_code(const char *a, const char *code)
{
    return a != NULL && a[0] != '\0' && strcmp(a, code) == 0;
}

bool despatch_line_carries(const struct despatch_order_line *line, const char *code)
{
    return same_code(line->item_code, code) || same_code(line->sku, code) ||
           same_code(line->mapped_code, code);
}

/* Units still open on a line after earlier despatches and what this one already took. */
static long open_units(const struct despatch_order_line *line, long taken)
{
    long open = line->quantity - line->despatched - taken;
    return open > 0 ? open : 0;
}

int despatch_allocate(const struct despatch *d, const struct despatch_order_line *lines,
                      size_t n_lines, struct despatch_alloc **out, size_t *n_out, char *why,
                      size_t cap)
{
    int rc = -1;
    long *taken = xcalloc(n_lines ? n_lines : 1, sizeof(*taken));
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < d->n_items; i++) {
        const struct despatch_item *it = &d->items[i];
        long left = it->quantity;
        bool on_order = false;
        for (size_t l = 0; l < n_lines && left > 0; l++) {
            if (!despatch_line_carries(&lines[l], it->item_code))
                continue;
            on_order = true;
            long take = open_units(&lines[l], taken[l]);
            take = take < left ? take : left;
            taken[l] += take;
            left -= take;
        }
        if (!on_order) {
            snprintf(why, cap, "item %s of despatch %s is not on order %s", it->item_code,
                     d->number, d->so_number);
            goto out;
        }
        if (left > 0) {
            snprintf(why, cap, "despatch %s has %ld more of item %s than order %s has left "
                     "to despatch", d->number, left, it->item_code, d->so_number);
            goto out;
        }
    }
    *out = xcalloc(n_lines ? n_lines : 1, sizeof(**out));
    for (size_t l = 0; l < n_lines; l++) {
        if (taken[l] > 0) {
            (*out)[*n_out].line = l;
            (*out)[(*n_out)++].quantity = taken[l];
        }
    }
    rc = 0;
out:
    free(taken);
    return rc;
}
