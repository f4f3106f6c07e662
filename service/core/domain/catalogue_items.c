/*
 * catalogue_items.c - an `Item types` table to catalogue rows (see
 * catalogue_items.h). Pure: columns found by name, flags read leniently,
 * codes sorted and de-duplicated; no database, no network.
 */
#include "catalogue_items.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool catalogue_code_is_deactivated(const char *code)
{
    return code != NULL && strstr(code, "~D~") != NULL;
}

/* 1 true, 0 false, -1 not a boolean we recognise (no opinion). */
static int parse_flag(const char *s)
{
    static const char *const yes[] = {"true", "1", "yes", "y", "t"};
    static const char *const no[] = {"false", "0", "no", "n", "f"};
    size_t n;

    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strlen(yes[i]) == n && strncasecmp(s, yes[i], n) == 0)
            return 1;
        if (strlen(no[i]) == n && strncasecmp(s, no[i], n) == 0)
            return 0;
    }
    return -1;
}

/* Index of the first of names present in the header, or -1. */
static int find_col(const struct csv_table *t, const char *const *names, size_t n)
{
    int col;

    for (size_t i = 0; i < n; i++) {
        col = csv_table_col(t, names[i]);
        if (col >= 0)
            return col;
    }
    return -1;
}

static bool is_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static const char *or_null(const char *s)
{
    return s[0] != '\0' ? s : NULL;
}

static void describe_missing_code(const struct csv_table *t, struct errbuf *err)
{
    char cols[256] = "";
    size_t used = 0;

    for (size_t i = 0; i < t->rows[0].n && used + 1 < sizeof(cols); i++) {
        int w = snprintf(cols + used, sizeof(cols) - used, "%s%s", i ? ", " : "",
                         t->rows[0].fields[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    errbuf_set(err,
               "peoplevox '" CATALOGUE_TEMPLATE "' has no ItemCode column (columns: %s); "
               "check the template configured for the API user",
               cols);
}

/* qsort is not stable: the row index breaks ties so the first duplicate wins. */
struct keyed_item {
    struct catalogue_item item;
    size_t row;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed_item *x = a;
    const struct keyed_item *y = b;
    int c = strcmp(x->item.code, y->item.code);

    if (c != 0)
        return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

enum st catalogue_items_from_table(const struct csv_table *t, struct catalogue_items *out,
                                   struct errbuf *err)
{
    static const char *const active_names[] = {"Active", "IsActive"};
    static const char *const deleted_names[] = {"Deleted", "IsDeleted", "Deactivated",
                                                "IsDeactivated"};
    struct keyed_item *k;
    int c_code, c_barcode, c_name, c_active, c_deleted;
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    if (t->n_rows == 0)
        return ST_OK;
    c_code = csv_table_col(t, "ItemCode");
    if (c_code < 0) {
        describe_missing_code(t, err);
        return ST_FAIL;
    }
    c_barcode = csv_table_col(t, "Barcode");
    c_name = csv_table_col(t, "Name");
    c_active = find_col(t, active_names, ARRAY_LEN(active_names));
    c_deleted = find_col(t, deleted_names, ARRAY_LEN(deleted_names));

    k = xcalloc(t->n_rows, sizeof(*k));
    for (size_t r = 1; r < t->n_rows; r++) {
        const char *code = csv_table_get(t, r, c_code);
        struct catalogue_item *it = &k[n].item;

        if (is_blank(code)) {
            out->skipped_empty++;
            continue;
        }
        it->code = code;
        it->barcode = or_null(csv_table_get(t, r, c_barcode));
        it->name = or_null(csv_table_get(t, r, c_name));
        it->active = !catalogue_code_is_deactivated(code) &&
                     parse_flag(csv_table_get(t, r, c_active)) != 0 &&
                     parse_flag(csv_table_get(t, r, c_deleted)) != 1;
        k[n++].row = r;
    }
    qsort(k, n, sizeof(*k), cmp_keyed);

    out->items = xcalloc(n > 0 ? n : 1, sizeof(*out->items));
    for (size_t i = 0; i < n; i++) {
        if (out->n > 0 && strcmp(out->items[out->n - 1].code, k[i].item.code) == 0) {
            out->duplicates++;
            continue;
        }
        out->items[out->n++] = k[i].item;
    }
    free(k);
    return ST_OK;
}

void catalogue_items_cleanup(struct catalogue_items *c)
{
    if (c == NULL)
        return;
    free(c->items);
    memset(c, 0, sizeof(*c));
}
