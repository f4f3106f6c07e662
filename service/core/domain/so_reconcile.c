/*
 * so_reconcile.c - sent orders against Peoplevox's Sales Orders (see
 * so_reconcile.h for the decisions).
 */
#include "so_reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

void sorec_set_init(struct sorec_set *s)
{
    memset(s, 0, sizeof(*s));
}

void sorec_set_cleanup(struct sorec_set *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct sorec_order *o = &s->orders[i];

        for (size_t k = 0; k < o->n_lines; k++)
            free(o->lines[k].item_code);
        free(o->lines);
        free(o->so_number);
        free(o->status);
    }
    free(s->orders);
    memset(s, 0, sizeof(*s));
}

struct sorec_order *sorec_set_get(struct sorec_set *s, const char *so, bool create)
{
    struct sorec_order *o;

    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->orders[i].so_number, so) == 0)
            return &s->orders[i];
    if (!create)
        return NULL;
    s->orders = buf_grow_array(s->orders, &s->cap, s->n + 1, sizeof(*s->orders));
    o = &s->orders[s->n++];
    memset(o, 0, sizeof(*o));
    o->so_number = xstrdup(so);
    o->status = xstrdup("");
    return o;
}

/* The index of item_code's line in o, or -1. */
static long sorec_line_index(const struct sorec_order *o, const char *item_code)
{
    for (size_t k = 0; o != NULL && k < o->n_lines; k++)
        if (strcasecmp(o->lines[k].item_code, item_code) == 0)
            return (long)k;
    return -1;
}

/* The line of item_code in o, or NULL. */
static const struct sorec_line *sorec_line_of(const struct sorec_order *o, const char *item_code)
{
    long k = sorec_line_index(o, item_code);

    return k >= 0 ? &o->lines[k] : NULL;
}

void sorec_add_line(struct sorec_order *o, const char *item_code, long quantity)
{
    long k = sorec_line_index(o, item_code);

    if (k >= 0) {
        struct sorec_line *l = &o->lines[k];


        l->quantity = l->quantity < 0 || quantity < 0 ? -1 : l->quantity + quantity;
        return;
    }
    o->lines = buf_grow_array(o->lines, &o->cap_lines, o->n_lines + 1, sizeof(*o->lines));
    o->lines[o->n_lines++] = (struct sorec_line){xstrdup(item_code), quantity};
}

/* The columns of names in t's header into cols; -1 with err naming the first missing. */
static int sorec_columns(const struct csv_table *t, const char *what, const char *const *names,
                         int *cols, size_t n, struct errbuf *err)
{
    for (size_t i = 0; i < n; i++) {
        cols[i] = csv_table_col(t, names[i]);
        if (cols[i] < 0) {
            errbuf_set(err, "%s has no %s column", what, names[i]);
            return -1;
        }
    }
    return 0;
}

int sorec_load_headers(struct sorec_set *s, const struct csv_table *t, struct errbuf *err)
{
    static const char *const names[] = {"SalesOrderNumber", "Status"};
    int c[2];

    if (t->n_rows == 0)
        return 0; /* nothing matched: no header either */
    if (sorec_columns(t, "Sales orders", names, c, 2, err) != 0)
        return -1;
    for (size_t r = 1; r < t->n_rows; r++) {
        struct sorec_order *o = sorec_set_get(s, csv_table_get(t, r, c[0]), true);

        free(o->status);
        o->status = xstrdup(csv_table_get(t, r, c[1]));
        o->has_header = true;
    }
    return 0;
}

/* A whole, non-negative quantity, or -1. */
static long sorec_quantity(const char *text)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (end == text || errno != 0 || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    return *end == '\0' ? v : -1;
}

int sorec_load_items(struct sorec_set *s, const struct csv_table *t, struct errbuf *err)
{
    static const char *const names[] = {"SalesOrderNumber", "ItemCode", "QuantityOrdered"};
    int c[3];

    if (t->n_rows == 0)
        return 0;
    if (sorec_columns(t, "Sales order items", names, c, 3, err) != 0)
        return -1;
    for (size_t r = 1; r < t->n_rows; r++)
        sorec_add_line(sorec_set_get(s, csv_table_get(t, r, c[0]), true),
                       csv_table_get(t, r, c[1]), sorec_quantity(csv_table_get(t, r, c[2])));
    return 0;
}

/* A quantity as the detail shows it: "?" (unreadable), "none" or the number. */
static void sorec_qty_text(long q, char *out, size_t cap)
{
    if (q < 0)
        snprintf(out, cap, "?");
    else if (q == 0)
        snprintf(out, cap, "none");
    else
        snprintf(out, cap, "%ld", q);
}

/* Appends "; " (after the first) and one difference to detail, as far as it fits. */
static void sorec_note(char *detail, size_t cap, const char *code, long sent, long held)
{
    size_t used = strlen(detail);
    char sent_text[24], held_text[24];

    if (used + 1 >= cap)
        return;
    sorec_qty_text(sent, sent_text, sizeof(sent_text));
    sorec_qty_text(held, held_text, sizeof(held_text));
    snprintf(detail + used, cap - used, "%s%s: %s sent, %s in Peoplevox", used > 0 ? "; " : "",
             code, sent_text, held_text);
}

enum sorec_verdict sorec_compare(const struct sorec_order *ours, const struct sorec_order *theirs,
                                 char *detail, size_t cap)
{
    detail[0] = '\0';
    if (theirs == NULL || !theirs->has_header) {
        snprintf(detail, cap, "Sales Order %s is not in Peoplevox", ours->so_number);
        return SOREC_MISSING;
    }
    if (strcasecmp(theirs->status, "Cancelled") == 0) {
        snprintf(detail, cap, "Sales Order %s is Cancelled in Peoplevox", ours->so_number);
        return SOREC_DIFFERENT;
    }
    for (size_t k = 0; k < ours->n_lines; k++) {
        const struct sorec_line *l = &ours->lines[k];
        const struct sorec_line *t = sorec_line_of(theirs, l->item_code);
        long held = t != NULL ? t->quantity : 0;

        if (held != l->quantity || l->quantity < 0)
            sorec_note(detail, cap, l->item_code, l->quantity, held);
    }
    for (size_t k = 0; k < theirs->n_lines; k++) {
        const struct sorec_line *t = &theirs->lines[k];

        if (sorec_line_of(ours, t->item_code) == NULL && t->quantity != 0)
            sorec_note(detail, cap, t->item_code, 0, t->quantity);
    }
    return detail[0] != '\0' ? SOREC_DIFFERENT : SOREC_MATCH;
}

bool sorec_is_ours(const char *so, const char *prefix)
{
    size_t n = prefix != NULL ? strlen(prefix) : 0;

    return n > 0 && so != NULL && strncmp(so, prefix, n) == 0;
}
