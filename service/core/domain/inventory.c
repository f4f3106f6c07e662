/*
 * inventory.c - Peoplevox stock as SHOPLINE inventory levels (see
 * inventory.h for the decisions).
 *
 * Everything here is arithmetic and text: the report's columns by name,
 * the value to publish, whether it changed, the change source setting,
 * the search clause for hinted item codes, the job key and the budget
 * estimate the README's table and /metrics show. Quantities are read
 * strictly (a whole number, optionally signed, blanks around it) and
 * bounded by INVENTORY_MAX_QTY, so a report cell can never overflow the
 * arithmetic that follows.
 */
#include "inventory.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { COL_CODE, COL_AVAILABLE, COL_SITE, COL_ON_HAND, COL_ALLOCATED, COL_COUNT };

static const char *const col_names[COL_COUNT] = {"Item code", "Available", "Site reference",
                                                 "On hand", "Allocated"};

#define REQUIRED_COLS 3 /* the first three of col_names */

/* A whole number within +-INVENTORY_MAX_QTY (" 3 ", "-2"): 0 and *v, or -1. */
static int parse_qty(const char *s, long *v)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (errno != 0 || end == s || *end != '\0' || n > INVENTORY_MAX_QTY || n < -INVENTORY_MAX_QTY)
        return -1;
    *v = n;
    return 0;
}

/* Narrows s[0..*n) to its part without surrounding blanks; the new start. */
static const char *trim_span(const char *s, size_t *n)
{
    while (*n > 0 && isspace((unsigned char)*s)) {
        s++;
        (*n)--;
    }
    while (*n > 0 && isspace((unsigned char)s[*n - 1]))
        (*n)--;
    return s;
}

/* A cell without its surrounding blanks (owned). */
static char *trimmed(const char *s)
{
    size_t n = strlen(s);

    s = trim_span(s, &n);
    return xstrndup(s, n);
}

static void skip_row(struct inventory_rows *out, size_t row, const char *what, const char *value)
{
    if (out->skipped++ == 0)
        snprintf(out->first_skipped, sizeof(out->first_skipped), "row %zu: %s '%.80s'", row, what,
                 value);
}

/* An optional quantity column: INVENTORY_NO_VALUE when absent or unreadable. */
static long optional_qty(const struct csv_table *t, size_t row, int col)
{
    long v = INVENTORY_NO_VALUE;

    if (col < 0 || parse_qty(csv_table_get(t, row, col), &v) != 0)
        return INVENTORY_NO_VALUE;
    return v;
}

static void read_row(const struct csv_table *t, size_t row, const int *col, size_t *cap,
                     struct inventory_rows *out)
{
    char *code = trimmed(csv_table_get(t, row, col[COL_CODE]));
    char *site = trimmed(csv_table_get(t, row, col[COL_SITE]));
    const char *avail = csv_table_get(t, row, col[COL_AVAILABLE]);
    struct inventory_row *r;
    long v = 0;

    if (code[0] == '\0' || site[0] == '\0' || parse_qty(avail, &v) != 0) {
        skip_row(out, row, code[0] == '\0' ? "no item code" : site[0] == '\0' ? "no site reference"
                                                                             : "bad Available",
                 code[0] == '\0' || site[0] == '\0' ? code : avail);
        free(code);
        free(site);
        return;
    }
    out->rows = buf_grow_array(out->rows, cap, out->n + 1, sizeof(*r));
    r = &out->rows[out->n++];
    r->item_code = code;
    r->site = site;
    r->available = v;
    r->on_hand = optional_qty(t, row, col[COL_ON_HAND]);
    r->allocated = optional_qty(t, row, col[COL_ALLOCATED]);
}

/* By item code, site, then position: the last of equal rows sorts last. */
static int row_cmp(const void *x, const void *y)
{
    const struct inventory_row *a = x, *b = y;
    int c = strcmp(a->item_code, b->item_code);

    if (c == 0)
        c = strcmp(a->site, b->site);
    if (c == 0)
        c = a->seq < b->seq ? -1 : a->seq > b->seq;
    return c;
}

/*
 * Sorts rows[from..n) and keeps the last of each item x site: O(n log n),
 * so a 100,000-row snapshot never pays a quadratic search.
 */
static void keep_last(struct inventory_rows *out, size_t from)
{
    size_t w = from;

    if (out->n - from < 2)
        return;
    qsort(out->rows + from, out->n - from, sizeof(*out->rows), row_cmp);
    for (size_t i = from; i < out->n; i++) {
        struct inventory_row *r = &out->rows[i];
        bool dup_next = i + 1 < out->n && strcmp(r->item_code, r[1].item_code) == 0 &&
                        strcmp(r->site, r[1].site) == 0;

        if (dup_next) {
            free(r->item_code);
            free(r->site);
            continue;
        }
        out->rows[w++] = *r;
    }
    out->n = w;
}

enum st inventory_rows_from_table(const struct csv_table *t, struct inventory_rows *out,
                                  struct errbuf *err)
{
    int col[COL_COUNT];
    size_t cap = out->n, from = out->n;

    if (t->n_rows == 0)
        return ST_OK;
    for (int c = 0; c < COL_COUNT; c++) {
        col[c] = csv_table_col(t, col_names[c]);
        if (col[c] < 0 && c < REQUIRED_COLS) {
            errbuf_set(err, "'" INVENTORY_REPORT "' has no '%s' column (%zu columns: '%.60s'...)",
                       col_names[c], t->rows[0].n, csv_table_get(t, 0, 0));
            return ST_FAIL;
        }
    }
    for (size_t row = 1; row < t->n_rows; row++)
        read_row(t, row, col, &cap, out);
    for (size_t i = from; i < out->n; i++)
        out->rows[i].seq = i;
    keep_last(out, from);
    return ST_OK;
}

void inventory_rows_cleanup(struct inventory_rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].item_code);
        free(r->rows[i].site);
    }
    free(r->rows);
    memset(r, 0, sizeof(*r));
}

long inventory_publish_value(long available, long reserved, bool reserve_in_flight)
{
    long v = available;

    if (reserve_in_flight && reserved > 0)
        v = available - reserved;
    return v > 0 ? v : 0;
}

bool inventory_should_push(long desired, bool pushed_known, long pushed)
{
    return !pushed_known || pushed != desired;
}

/* A report or column name: 1..cap-1 bytes, no '"', ']' or control characters. */
static int copy_name(const char *s, size_t n, char *out, size_t cap)
{
    s = trim_span(s, &n);
    if (n == 0 || n >= cap)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' || s[i] == ']')
            return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int inventory_source_parse(const char *text, struct inventory_source *out, struct errbuf *err)
{
    char word[16];
    const char *colon, *second;

    memset(out, 0, sizeof(*out));
    if (text == NULL || copy_name(text, strlen(text), word, sizeof(word)) != 0)
        word[0] = '\0';
    if (strcmp(word, "events") == 0 || strcmp(word, "full") == 0) {
        out->kind = word[0] == 'e' ? INVENTORY_SOURCE_EVENTS : INVENTORY_SOURCE_FULL;
        return 0;
    }
    while (text != NULL && isspace((unsigned char)*text))
        text++;
    colon = text != NULL && strncmp(text, "report:", 7) == 0 ? text + 6 : NULL;
    second = colon != NULL ? strrchr(colon + 1, ':') : NULL;
    if (second == NULL ||
        copy_name(colon + 1, (size_t)(second - colon - 1), out->report, sizeof(out->report)) ||
        copy_name(second + 1, strlen(second + 1), out->column, sizeof(out->column))) {
        errbuf_set(err, "expected events, full or report:TEMPLATE:COLUMN (names of 1..%zu bytes "
                        "without '\"', ']' or control characters)",
                   sizeof(out->report) - 1);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    out->kind = INVENTORY_SOURCE_REPORT;
    return 0;
}

bool inventory_code_quotable(const char *code)
{
    size_t n = strlen(code);

    for (const char *p = code; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            return false;
    return n > 0 && n <= 50;
}

size_t inventory_codes_clause(const char *const *codes, size_t n, struct buf *out)
{
    size_t used = 0;

    for (size_t i = 0; i < n; i++) {
        if (!inventory_code_quotable(codes[i]))
            continue;
        buf_appendf(out, "%s[Item code] == \"%s\"", used > 0 ? " OR " : "", codes[i]);
        used++;
    }
    return used;
}

void inventory_since_clause(const char *column, int64_t wall_s, struct buf *out)
{
    time_t t = (time_t)(wall_s > 0 ? wall_s : 0);
    struct tm tm;

    gmtime_r(&t, &tm);
    buf_appendf(out, "[%s] >= DateTime(%d,%d,%d,%d,%d,%d)", column, tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int inventory_job_key(const char *item_code, const char *location_id, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s|%s", item_code, location_id);

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int inventory_job_key_split(const char *key, char *item_code, size_t item_cap, char *location_id,
                            size_t location_cap)
{
    const char *bar = strrchr(key, '|');
    size_t n_item = bar != NULL ? (size_t)(bar - key) : 0;

    if (bar == NULL || n_item == 0 || bar[1] == '\0' || n_item >= item_cap ||
        strlen(bar + 1) >= location_cap)
        return -1;
    memcpy(item_code, key, n_item);
    item_code[n_item] = '\0';
    snprintf(location_id, location_cap, "%s", bar + 1);
    return 0;
}

/* Filtered reads of n changed codes spread over runs runs (see inventory.h). */
static double change_calls(double n, double runs)
{
    if (n <= 0)
        return 0;
    if (n <= runs)
        return n;
    return runs * ceil(n / runs / INVENTORY_CODES_PER_CLAUSE);
}

void inventory_budget_estimate(const struct inventory_budget_in *in, struct inventory_budget *out)
{
    double full_runs = in->full_sync_s > 0 ? 3600.0 / in->full_sync_s : 0;
    double runs = in->sync_s > 0 ? 3600.0 / in->sync_s : 0;
    double pages = ceil((double)(in->item_sites > 0 ? in->item_sites : 0) / 1000.0);
    double per_run = runs > 0 ? (double)in->changed_items_per_hour / runs : 0;

    memset(out, 0, sizeof(*out));
    out->pvx_full_calls_per_hour = full_runs * (pages > 0 ? pages : 1);
    if (in->source == INVENTORY_SOURCE_EVENTS)
        out->pvx_change_calls_per_hour = change_calls((double)in->changed_items_per_hour, runs);
    else if (in->source == INVENTORY_SOURCE_REPORT)
        out->pvx_change_calls_per_hour = runs * fmax(1.0, ceil(per_run / 1000.0));
    out->pvx_calls_per_hour = out->pvx_full_calls_per_hour + out->pvx_change_calls_per_hour;
    out->shopline_calls_per_hour = (double)(in->changed_levels_per_hour > 0
                                                ? in->changed_levels_per_hour : 0);
}
