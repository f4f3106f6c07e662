/*
 * csv.c - RFC 4180 CSV encoder and decoder (see csv.h for the contract).
 *
 * Peoplevox carries whole tables as CSV inside SOAP strings, so both sides
 * must be exact: a customer name with a comma, a quote or a line break must
 * survive a round trip byte for byte.
 *
 * Encoding is all-or-nothing: an append that would pass the buffer's cap
 * rolls the buffer back to where it was, so a caller never posts half a row.
 *
 * Decoding is a four-state machine over the input bytes:
 *
 *   FIELD_START --'"'--> QUOTED --'"'--> QUOTE_SEEN --'"'--> QUOTED (a literal ")
 *        |                                   |
 *        +--other--> UNQUOTED                +--',' / CR / LF / EOF--> field ends
 *
 * A record ends at LF, CR LF, a lone CR, or EOF. Blank lines are held back
 * and only become rows when a non-blank record follows, so trailing blank
 * lines never count (and never trip the row cap).
 */
#include "csv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int csv_needs_quotes(const char *s)
{
    size_t n = strlen(s);

    if (n == 0)
        return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
        return 1;
    return strpbrk(s, ",\"\r\n") != NULL;
}

/* Appends without rollback; the public functions roll back on failure. */
static int csv_put_field(struct buf *b, const char *field, int first)
{
    const char *p;
    const char *q;

    if (!first && buf_append(b, ",", 1) < 0)
        return -1;
    if (field == NULL || field[0] == '\0')
        return 0;
    if (!csv_needs_quotes(field))
        return buf_append_str(b, field);
    if (buf_append(b, "\"", 1) < 0)
        return -1;
    for (p = field; (q = strchr(p, '"')) != NULL; p = q + 1) {
        if (buf_append(b, p, (size_t)(q - p) + 1) < 0 || buf_append(b, "\"", 1) < 0)
            return -1;
    }
    if (buf_append_str(b, p) < 0 || buf_append(b, "\"", 1) < 0)
        return -1;
    return 0;
}

static void csv_rollback(struct buf *b, size_t len)
{
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

int csv_append_field(struct buf *b, const char *field, int first)
{
    size_t saved = b->len;

    if (csv_put_field(b, field, first) < 0) {
        csv_rollback(b, saved);
        return -1;
    }
    return 0;
}

int csv_append_row(struct buf *b, const char *const *fields, size_t n)
{
    size_t saved = b->len;
    int rc = 0;
    size_t i;

    if (n == 1 && (fields[0] == NULL || fields[0][0] == '\0'))
        rc = buf_append(b, "\"\"", 2); /* one empty field must not read as a blank line */
    else
        for (i = 0; i < n && rc == 0; i++)
            rc = csv_put_field(b, fields[i], i == 0);
    if (rc == 0)
        rc = buf_append(b, "\r\n", 2);
    if (rc < 0)
        csv_rollback(b, saved);
    return rc;
}

/* ---- decoding ---- */

enum csv_state { CSV_FIELD_START, CSV_UNQUOTED, CSV_QUOTED, CSV_QUOTE_SEEN };

struct csv_parser {
    struct csv_table *out;
    size_t max_rows;
    struct buf field;       /* the field being read */
    struct csv_row row;     /* the record being read */
    size_t row_cap;
    int row_quoted;         /* a quoted field appeared in this record */
    size_t pending_blank;   /* blank lines not yet known to be non-trailing */
    size_t tab_cap;
    size_t line;            /* 1-based, for error messages */
};

static void csv_row_cleanup(struct csv_row *r)
{
    size_t i;

    for (i = 0; i < r->n; i++)
        free(r->fields[i]);
    free(r->fields);
    r->fields = NULL;
    r->n = 0;
}

static void csv_end_field(struct csv_parser *p)
{
    if (p->row.n == p->row_cap) {
        p->row_cap = p->row_cap ? p->row_cap * 2 : 8;
        p->row.fields = xrealloc(p->row.fields, p->row_cap * sizeof(char *));
    }
    p->row.fields[p->row.n++] = buf_steal(&p->field);
}

static enum st csv_push_row(struct csv_parser *p, struct csv_row *r, struct errbuf *err)
{
    struct csv_table *t = p->out;

    if (p->max_rows != 0 && t->n_rows >= p->max_rows) {
        errbuf_set(err, "csv has more than %zu rows", p->max_rows);
        return ST_FAIL;
    }
    if (t->n_rows == p->tab_cap) {
        p->tab_cap = p->tab_cap ? p->tab_cap * 2 : 16;
        t->rows = xrealloc(t->rows, p->tab_cap * sizeof(*t->rows));
    }
    t->rows[t->n_rows++] = *r;
    r->fields = NULL;
    r->n = 0;
    return ST_OK;
}

/* Closes the current record: blank ones wait until something follows. */
static enum st csv_end_record(struct csv_parser *p, struct errbuf *err)
{
    struct csv_row blank;
    enum st rc;

    csv_end_field(p);
    p->row_cap = 0;
    if (p->row.n == 1 && p->row.fields[0][0] == '\0' && !p->row_quoted) {
        csv_row_cleanup(&p->row);
        p->pending_blank++;
        return ST_OK;
    }
    p->row_quoted = 0;
    for (; p->pending_blank > 0; p->pending_blank--) {
        blank.n = 1;
        blank.fields = xmalloc(sizeof(char *));
        blank.fields[0] = xstrdup("");
        rc = csv_push_row(p, &blank, err);
        if (rc != ST_OK) {
            csv_row_cleanup(&blank);
            return rc;
        }
    }
    return csv_push_row(p, &p->row, err);
}

/* Feeds one byte; *skip_next is set when c is the CR of a CR LF pair. */
static enum st csv_step(struct csv_parser *p, enum csv_state *s, char c, int next,
                        int *skip_next, struct errbuf *err)
{
    switch (*s) {
    case CSV_QUOTE_SEEN:
        if (c == '"') {
            *s = CSV_QUOTED;
            return buf_append(&p->field, "\"", 1) < 0 ? ST_FAIL : ST_OK;
        }
        if (c != ',' && c != '\r' && c != '\n') {
            errbuf_set(err, "csv line %zu: unexpected character after closing quote", p->line);
            return ST_FAIL;
        }
        SV_FALLTHROUGH; /* a separator ends the quoted field */
    case CSV_FIELD_START:
    case CSV_UNQUOTED:
        if (c == ',') {
            csv_end_field(p);
            *s = CSV_FIELD_START;
            return ST_OK;
        }
        if (c == '\r' || c == '\n') {
            *skip_next = (c == '\r' && next == '\n');
            p->line++;
            *s = CSV_FIELD_START;
            return csv_end_record(p, err);
        }
        if (c == '"' && *s == CSV_FIELD_START) {
            *s = CSV_QUOTED;
            p->row_quoted = 1;
            return ST_OK;
        }
        if (c == '"') {
            errbuf_set(err, "csv line %zu: stray quote inside an unquoted field", p->line);
            return ST_FAIL;
        }
        *s = CSV_UNQUOTED;
        return buf_append(&p->field, &c, 1) < 0 ? ST_FAIL : ST_OK;
    case CSV_QUOTED:
        if (c == '"') {
            *s = CSV_QUOTE_SEEN;
            return ST_OK;
        }
        if (c == '\n')
            p->line++;
        return buf_append(&p->field, &c, 1) < 0 ? ST_FAIL : ST_OK;
    }
    return ST_FAIL;
}

enum st csv_parse(const char *text, size_t len, size_t max_rows, struct csv_table *out,
                  struct errbuf *err)
{
    struct csv_parser p;
    enum csv_state s = CSV_FIELD_START;
    enum st rc = ST_OK;
    int skip = 0;
    size_t i;

    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    p.out = out;
    p.max_rows = max_rows;
    p.line = 1;
    buf_init(&p.field, 0);
    for (i = 0; i < len; i++) {
        if (skip) {
            skip = 0;
            continue;
        }
        rc = csv_step(&p, &s, text[i], i + 1 < len ? text[i + 1] : -1, &skip, err);
        if (rc != ST_OK)
            goto out;
    }
    if (s == CSV_QUOTED) {
        errbuf_set(err, "csv line %zu: unterminated quoted field", p.line);
        rc = ST_FAIL;
        goto out;
    }
    if (s != CSV_FIELD_START || p.row.n > 0)
        rc = csv_end_record(&p, err);
out:
    buf_cleanup(&p.field);
    csv_row_cleanup(&p.row);
    if (rc != ST_OK)
        csv_table_cleanup(out);
    return rc;
}

void csv_table_cleanup(struct csv_table *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->n_rows; i++)
        csv_row_cleanup(&t->rows[i]);
    free(t->rows);
    t->rows = NULL;
    t->n_rows = 0;
}

int csv_name_equal(const char *a, const char *b)
{
    size_t na;
    size_t nb;

    while (isspace((unsigned char)*a))
        a++;
    while (isspace((unsigned char)*b))
        b++;
    na = strlen(a);
    nb = strlen(b);
    while (na > 0 && isspace((unsigned char)a[na - 1]))
        na--;
    while (nb > 0 && isspace((unsigned char)b[nb - 1]))
        nb--;
    return na == nb && strncasecmp(a, b, na) == 0;
}

int csv_table_col(const struct csv_table *t, const char *name)
{
    size_t i;

    if (t == NULL || t->n_rows == 0 || name == NULL)
        return -1;
    for (i = 0; i < t->rows[0].n; i++) {
        if (csv_name_equal(t->rows[0].fields[i], name))
            return (int)i;
    }
    return -1;
}

const char *csv_table_get(const struct csv_table *t, size_t row, int col)
{
    if (t == NULL || row >= t->n_rows || col < 0 || (size_t)col >= t->rows[row].n)
        return "";
    return t->rows[row].fields[col];
}
