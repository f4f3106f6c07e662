/*
 * pvxf_query.c - the Dynamic-LINQ subset Peoplevox accepts in
 * SearchClause / FilterClause, plus OrderBy, Columns and paging.
 *
 * Grammar (keywords case-insensitive, column names case-insensitive):
 *
 *   expr    := and ( (OR | "||") and )*
 *   and     := unary ( (AND | "&&") unary )*
 *   unary   := (NOT | "!") unary | "(" expr ")" | compare
 *   compare := column "." (Equals|Contains|StartsWith|EndsWith) "(" literal ")"
 *            | column ("==" | "=" | "!=" | "<>" | ">=" | "<=" | ">" | "<") literal
 *   column  := Identifier | "[" any text "]"
 *   literal := "string with \" \\ \n \t escapes" | number | true | false
 *            | DateTime(y, m, d [, h, mi [, s]])
 *
 * A clause is parsed once into a small tree with the column already
 * resolved, then evaluated per row. Values are strings; a number literal
 * compares numerically, a DateTime literal compares against the value read
 * as a date (ISO or day-first, optionally single-quoted); a value that does
 * not read as the literal's type never matches. An unknown column or a
 * syntax error fails the whole call, as Dynamic LINQ does.
 */
#include "pvxf_query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "csv.h"

/* ---- tables ---- */

void pvxf_table_init(struct pvxf_table *t, const char *const *cols, size_t n_cols)
{
    memset(t, 0, sizeof(*t));
    t->n_cols = n_cols;
    t->cols = xcalloc(n_cols, sizeof(*t->cols));
    for (size_t i = 0; i < n_cols; i++)
        t->cols[i] = xstrdup(cols[i]);
}

void pvxf_table_add(struct pvxf_table *t, const char *const *vals)
{
    t->cells = buf_grow_array(t->cells, &t->cap_rows, t->n_rows + 1,
                              t->n_cols * sizeof(*t->cells));
    for (size_t c = 0; c < t->n_cols; c++)
        t->cells[t->n_rows * t->n_cols + c] = xstrdup(vals[c] ? vals[c] : "");
    t->n_rows++;
}

void pvxf_table_cleanup(struct pvxf_table *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i]);
    for (size_t i = 0; i < t->n_cols; i++)
        free(t->cols[i]);
    free(t->cells);
    free(t->cols);
    memset(t, 0, sizeof(*t));
}

/* ---- clauses ---- */

enum pvxf_tok_kind { TK_END, TK_IDENT, TK_COL, TK_STR, TK_NUM, TK_OP, TK_ERR };

struct pvxf_tok {
    enum pvxf_tok_kind kind;
    char text[256];
};

enum pvxf_node_kind { N_OR, N_AND, N_NOT, N_CMP };
enum pvxf_cmp { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_CONTAINS, C_STARTS, C_ENDS };
enum pvxf_lit { L_STR, L_NUM, L_DATE, L_BOOL };

struct pvxf_node {
    enum pvxf_node_kind kind;
    struct pvxf_node *a, *b;
    int col;
    enum pvxf_cmp cmp;
    enum pvxf_lit lit;
    char *str;
    double num;
    int64_t date_s;
};

struct pvxf_parser {
    const char *s;
    size_t pos;
    struct pvxf_tok tok;
    const struct pvxf_table *t;
    struct errbuf *err;
    bool failed;
};

bool pvxf_parse_date(const char *s, int64_t *out_s)
{
    struct tm tm = {0};
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);

    if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'') {
        char inner[64];
        if (len - 2 >= sizeof(inner))
            return false;
        memcpy(inner, s + 1, len - 2);
        inner[len - 2] = '\0';
        return pvxf_parse_date(inner, out_s);
    }
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 ||
        sscanf(s, "%2d/%2d/%4d%n", &d, &mo, &y, &n) == 3) {
        int m = 0;
        if (s[n] != '\0' && (sscanf(s + n, "%*[ T]%2d:%2d%n", &h, &mi, &m) != 2 ||
                             (s[n + m] != '\0' && sscanf(s + n + m, ":%2d", &sec) != 1)))
            return false;
    } else {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out_s = (int64_t)timegm(&tm);
    return true;
}

/* ---- lexer ---- */

static void pvxf_lex_string(struct pvxf_parser *p)
{
    size_t o = 0;

    p->tok.kind = TK_STR;
    for (p->pos++; p->s[p->pos] != '"'; p->pos++) {
        char c = p->s[p->pos];
        if (c == '\0' || o + 1 >= sizeof(p->tok.text)) {
            p->tok.kind = TK_ERR;
            return;
        }
        if (c == '\\') {
            c = p->s[++p->pos];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            if (c == '\0') {
                p->tok.kind = TK_ERR;
                return;
            }
        }
        p->tok.text[o++] = c;
    }
    p->pos++;
    p->tok.text[o] = '\0';
}

static void pvxf_lex_span(struct pvxf_parser *p, enum pvxf_tok_kind kind, size_t start, size_t end)
{
    size_t n = end - start;

    p->tok.kind = n < sizeof(p->tok.text) ? kind : TK_ERR;
    if (p->tok.kind == TK_ERR)
        return;
    memcpy(p->tok.text, p->s + start, n);
    p->tok.text[n] = '\0';
}

static void pvxf_lex(struct pvxf_parser *p)
{
    static const char *const ops[] = {"==", "!=", "<>", ">=", "<=", "&&", "||",
                                      "=", "<", ">", "(", ")", ",", ".", "!"};
    const char *s = p->s;
    size_t st;

    while (isspace((unsigned char)s[p->pos]))
        p->pos++;
    st = p->pos;
    if (s[st] == '\0') {
        p->tok.kind = TK_END;
        return;
    }
    if (s[st] == '"') {
        pvxf_lex_string(p);
        return;
    }
    if (s[st] == '[') {
        const char *e = strchr(s + st, ']');
        if (e == NULL) {
            p->tok.kind = TK_ERR;
            return;
        }
        p->pos = (size_t)(e - s) + 1;
        pvxf_lex_span(p, TK_COL, st + 1, (size_t)(e - s));
        return;
    }
    if (isdigit((unsigned char)s[st]) || (s[st] == '-' && isdigit((unsigned char)s[st + 1]))) {
        p->pos++;
        while (isdigit((unsigned char)s[p->pos]) || s[p->pos] == '.')
            p->pos++;
        pvxf_lex_span(p, TK_NUM, st, p->pos);
        return;
    }
    if (isalpha((unsigned char)s[st]) || s[st] == '_') {
        while (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_')
            p->pos++;
        pvxf_lex_span(p, TK_IDENT, st, p->pos);
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
        if (strncmp(s + st, ops[i], strlen(ops[i])) == 0) {
            p->pos += strlen(ops[i]);
            pvxf_lex_span(p, TK_OP, st, p->pos);
            return;
        }
    }
    p->tok.kind = TK_ERR;
}

/* ---- parser ---- */

static struct pvxf_node *pvxf_fail(struct pvxf_parser *p, const char *what)
{
    if (!p->failed)
        errbuf_set(p->err, "Syntax error in clause at position %zu: %s", p->pos, what);
    p->failed = true;
    return NULL;
}

static bool pvxf_is_op(const struct pvxf_parser *p, const char *op)
{
    return p->tok.kind == TK_OP && strcmp(p->tok.text, op) == 0;
}

static bool pvxf_is_word(const struct pvxf_parser *p, const char *w)
{
    return p->tok.kind == TK_IDENT && strcasecmp(p->tok.text, w) == 0;
}

static void pvxf_node_free(struct pvxf_node *n)
{
    if (n == NULL)
        return;
    pvxf_node_free(n->a);
    pvxf_node_free(n->b);
    free(n->str);
    free(n);
}

static struct pvxf_node *pvxf_parse_or(struct pvxf_parser *p);

/* DateTime(y, m, d [, h, mi [, s]]) after the DateTime identifier. */
static bool pvxf_parse_datetime(struct pvxf_parser *p, struct pvxf_node *n)
{
    int v[6] = {0, 1, 1, 0, 0, 0};
    size_t k = 0;
    struct tm tm = {0};

    pvxf_lex(p);
    if (!pvxf_is_op(p, "("))
        return false;
    for (pvxf_lex(p); k < 6 && p->tok.kind == TK_NUM; k++) {
        v[k] = atoi(p->tok.text);
        pvxf_lex(p);
        if (!pvxf_is_op(p, ","))
            break;
        pvxf_lex(p);
    }
    if (!pvxf_is_op(p, ")") || k < 3)
        return false;
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    n->lit = L_DATE;
    n->date_s = (int64_t)timegm(&tm);
    pvxf_lex(p);
    return true;
}

static bool pvxf_parse_literal(struct pvxf_parser *p, struct pvxf_node *n)
{
    if (p->tok.kind == TK_STR || p->tok.kind == TK_NUM) {
        n->lit = p->tok.kind == TK_STR ? L_STR : L_NUM;
        n->str = xstrdup(p->tok.text);
        n->num = strtod(p->tok.text, NULL);
        pvxf_lex(p);
        return true;
    }
    if (pvxf_is_word(p, "true") || pvxf_is_word(p, "false")) {
        n->lit = L_BOOL;
        n->num = pvxf_is_word(p, "true");
        pvxf_lex(p);
        return true;
    }
    if (pvxf_is_word(p, "DateTime"))
        return pvxf_parse_datetime(p, n);
    return false;
}

static int pvxf_find_col(const struct pvxf_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++) {
        if (strcasecmp(t->cols[i], name) == 0)
            return (int)i;
    }
    return -1;
}

static bool pvxf_parse_operator(struct pvxf_parser *p, struct pvxf_node *n)
{
    static const struct { const char *op; enum pvxf_cmp cmp; } ops[] = {
        {"==", C_EQ}, {"=", C_EQ}, {"!=", C_NE}, {"<>", C_NE},
        {">=", C_GE}, {"<=", C_LE}, {">", C_GT}, {"<", C_LT},
    };
    static const struct { const char *name; enum pvxf_cmp cmp; } methods[] = {
        {"Equals", C_EQ}, {"Contains", C_CONTAINS}, {"StartsWith", C_STARTS},
        {"EndsWith", C_ENDS},
    };

    for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
        if (pvxf_is_op(p, ops[i].op)) {
            n->cmp = ops[i].cmp;
            pvxf_lex(p);
            return pvxf_parse_literal(p, n);
        }
    }
    if (!pvxf_is_op(p, "."))
        return false;
    pvxf_lex(p);
    for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
        if (pvxf_is_word(p, methods[i].name)) {
            n->cmp = methods[i].cmp;
            pvxf_lex(p);
            if (!pvxf_is_op(p, "("))
                return false;
            pvxf_lex(p);
            if (!pvxf_parse_literal(p, n) || n->lit != L_STR || !pvxf_is_op(p, ")"))
                return false;
            pvxf_lex(p);
            return true;
        }
    }
    return false;
}

static struct pvxf_node *pvxf_parse_compare(struct pvxf_parser *p)
{
    struct pvxf_node *n;

    if (p->tok.kind != TK_IDENT && p->tok.kind != TK_COL)
        return pvxf_fail(p, "expected a column name");
    n = xcalloc(1, sizeof(*n));
    n->kind = N_CMP;
    n->col = pvxf_find_col(p->t, p->tok.text);
    if (n->col < 0) {
        errbuf_set(p->err, "No property or field '%s' exists in type", p->tok.text);
        p->failed = true;
        pvxf_node_free(n);
        return NULL;
    }
    pvxf_lex(p);
    if (!pvxf_parse_operator(p, n)) {
        pvxf_node_free(n);
        return pvxf_fail(p, "expected a comparison");
    }
    return n;
}

static struct pvxf_node *pvxf_parse_unary(struct pvxf_parser *p)
{
    struct pvxf_node *n;

    if (pvxf_is_op(p, "!") || pvxf_is_word(p, "not")) {
        pvxf_lex(p);
        n = xcalloc(1, sizeof(*n));
        n->kind = N_NOT;
        n->a = pvxf_parse_unary(p);
        return n;
    }
    if (!pvxf_is_op(p, "("))
        return pvxf_parse_compare(p);
    pvxf_lex(p);
    n = pvxf_parse_or(p);
    if (!pvxf_is_op(p, ")")) {
        pvxf_node_free(n);
        return pvxf_fail(p, "expected ')'");
    }
    pvxf_lex(p);
    return n;
}

static struct pvxf_node *pvxf_join(enum pvxf_node_kind kind, struct pvxf_node *a,
                                   struct pvxf_node *b)
{
    struct pvxf_node *n = xcalloc(1, sizeof(*n));

    n->kind = kind;
    n->a = a;
    n->b = b;
    return n;
}

static struct pvxf_node *pvxf_parse_and(struct pvxf_parser *p)
{
    struct pvxf_node *n = pvxf_parse_unary(p);

    while (!p->failed && (pvxf_is_word(p, "and") || pvxf_is_op(p, "&&"))) {
        pvxf_lex(p);
        n = pvxf_join(N_AND, n, pvxf_parse_unary(p));
    }
    return n;
}

static struct pvxf_node *pvxf_parse_or(struct pvxf_parser *p)
{
    struct pvxf_node *n = pvxf_parse_and(p);

    while (!p->failed && (pvxf_is_word(p, "or") || pvxf_is_op(p, "||"))) {
        pvxf_lex(p);
        n = pvxf_join(N_OR, n, pvxf_parse_and(p));
    }
    return n;
}

/* Parses clause (NULL/blank -> *out NULL = match all). */
static enum st pvxf_clause_parse(const struct pvxf_table *t, const char *clause,
                                 struct pvxf_node **out, struct errbuf *err)
{
    struct pvxf_parser p = {.s = clause ? clause : "", .t = t, .err = err};
    struct pvxf_node *n;

    *out = NULL;
    pvxf_lex(&p);
    if (p.tok.kind == TK_END)
        return ST_OK;
    n = pvxf_parse_or(&p);
    if (!p.failed && p.tok.kind != TK_END)
        pvxf_fail(&p, "unexpected text after the clause");
    if (p.failed) {
        pvxf_node_free(n);
        return ST_FAIL;
    }
    *out = n;
    return ST_OK;
}

/* ---- evaluation ---- */

static int pvxf_cmp_sign(double d)
{
    return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static bool pvxf_eval_cmp(const struct pvxf_node *n, const char *v)
{
    int c;
    double x;
    int64_t d;
    char *end;

    switch (n->cmp) {
    case C_CONTAINS: return strstr(v, n->str) != NULL;
    case C_STARTS: return strncmp(v, n->str, strlen(n->str)) == 0;
    case C_ENDS:
        return strlen(v) >= strlen(n->str) && strcmp(v + strlen(v) - strlen(n->str), n->str) == 0;
    default: break;
    }
    if (n->lit == L_STR) {
        c = strcmp(v, n->str);
    } else if (n->lit == L_BOOL) {
        c = (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) == (n->num != 0.0) ? 0 : 1;
    } else if (n->lit == L_NUM) {
        x = strtod(v, &end);
        if (end == v || *end != '\0')
            return false;
        c = pvxf_cmp_sign(x - n->num);
    } else {
        if (!pvxf_parse_date(v, &d))
            return false;
        c = d < n->date_s ? -1 : d > n->date_s;
    }
    switch (n->cmp) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_LT: return c < 0;
    case C_LE: return c <= 0;
    case C_GT: return c > 0;
    case C_GE: return c >= 0;
    default: return false;
    }
}

static bool pvxf_eval(const struct pvxf_node *n, const struct pvxf_table *t, size_t row)
{
    if (n == NULL)
        return true;
    switch (n->kind) {
    case N_OR: return pvxf_eval(n->a, t, row) || pvxf_eval(n->b, t, row);
    case N_AND: return pvxf_eval(n->a, t, row) && pvxf_eval(n->b, t, row);
    case N_NOT: return !pvxf_eval(n->a, t, row);
    case N_CMP: return pvxf_eval_cmp(n, t->cells[row * t->n_cols + (size_t)n->col]);
    }
    return false;
}

/* ---- OrderBy, Columns, paging ---- */

#define PVXF_MAX_SORT_KEYS 8

struct pvxf_sort {
    const struct pvxf_table *t;
    size_t n;
    int col[PVXF_MAX_SORT_KEYS];
    bool desc[PVXF_MAX_SORT_KEYS];
};

/* Dates, then numbers, then bytes: what a report sort needs. */
static int pvxf_value_cmp(const char *a, const char *b)
{
    int64_t da, db;
    double na, nb;
    char *ea, *eb;

    if (pvxf_parse_date(a, &da) && pvxf_parse_date(b, &db))
        return (da > db) - (da < db);
    na = strtod(a, &ea);
    nb = strtod(b, &eb);
    if (ea != a && *ea == '\0' && eb != b && *eb == '\0')
        return (na > nb) - (na < nb);
    return strcmp(a, b);
}

static int pvxf_row_cmp(const void *x, const void *y, void *arg)
{
    const struct pvxf_sort *s = arg;
    size_t ra = *(const size_t *)x;
    size_t rb = *(const size_t *)y;

    for (size_t k = 0; k < s->n; k++) {
        size_t c = (size_t)s->col[k];
        int r = pvxf_value_cmp(s->t->cells[ra * s->t->n_cols + c],
                               s->t->cells[rb * s->t->n_cols + c]);
        if (r != 0)
            return s->desc[k] ? -r : r;
    }
    return (ra > rb) - (ra < rb);
}

/* Splits "a, [b c] desc" into trimmed items; calls fn for each. */
static enum st pvxf_split_list(const char *list, enum st (*fn)(const char *name, const char *rest,
                                                               void *arg),
                               void *arg)
{
    char *copy = xstrdup(list ? list : "");
    char *save = NULL;
    enum st rc = ST_OK;

    for (char *it = strtok_r(copy, ",", &save); it != NULL && rc == ST_OK;
         it = strtok_r(NULL, ",", &save)) {
        char *rest;
        while (isspace((unsigned char)*it))
            it++;
        if (*it == '\0')
            continue;
        if (*it == '[') {
            rest = strchr(++it, ']');
            if (rest != NULL)
                *rest++ = '\0';
        } else {
            rest = it + strcspn(it, " \t");
            if (*rest != '\0')
                *rest++ = '\0';
        }
        while (rest != NULL && isspace((unsigned char)*rest))
            rest++;
        rc = fn(it, rest ? rest : "", arg);
    }
    free(copy);
    return rc;
}

struct pvxf_cols {
    const struct pvxf_table *t;
    struct errbuf *err;
    int *col;
    size_t n;
    struct pvxf_sort *sort;
};

static enum st pvxf_add_column(const char *name, const char *rest, void *arg)
{
    struct pvxf_cols *c = arg;
    int i = pvxf_find_col(c->t, name);

    if (i < 0 || c->n >= c->t->n_cols * 4) {
        errbuf_set(c->err, "Column '%s' does not exist", name);
        return ST_FAIL;
    }
    c->col[c->n++] = i;
    return ST_OK;
}

static enum st pvxf_add_sort_key(const char *name, const char *rest, void *arg)
{
    struct pvxf_cols *c = arg;
    struct pvxf_sort *s = c->sort;
    int i = pvxf_find_col(c->t, name);
    size_t rl = strlen(rest);

    while (rl > 0 && isspace((unsigned char)rest[rl - 1]))
        rl--;
    if (i < 0 || s->n == PVXF_MAX_SORT_KEYS ||
        (rl > 0 && strncasecmp(rest, "asc", rl) != 0 && strncasecmp(rest, "desc", rl) != 0) ||
        (rl > 0 && rl != 3 && rl != 4)) {
        errbuf_set(c->err, "Cannot order by '%s %s'", name, rest);
        return ST_FAIL;
    }
    s->col[s->n] = i;
    s->desc[s->n++] = rl == 4;
    return ST_OK;
}

static enum st pvxf_write_page(const struct pvxf_table *t, const int *cols, size_t n_cols,
                               const size_t *rows, size_t n_rows, struct buf *out,
                               struct errbuf *err)
{
    const char **v = xcalloc(n_cols, sizeof(*v));
    enum st rc = ST_FAIL;

    for (size_t c = 0; c < n_cols; c++)
        v[c] = t->cols[cols[c]];
    if (csv_append_row(out, v, n_cols) < 0)
        goto out;
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++)
            v[c] = t->cells[rows[r] * t->n_cols + (size_t)cols[c]];
        if (csv_append_row(out, v, n_cols) < 0)
            goto out;
    }
    rc = ST_OK;
out:
    if (rc != ST_OK)
        errbuf_set(err, "Result too large: page through it with ItemsPerPage");
    free(v);
    return rc;
}

/* Indexes of the rows matching both clauses, sorted; count in *n. */
static enum st pvxf_select(const struct pvxf_table *t, const struct pvxf_query *q,
                           struct pvxf_cols *cols, size_t **rows, size_t *n, struct errbuf *err)
{
    struct pvxf_node *search = NULL;
    struct pvxf_node *filter = NULL;
    enum st rc;

    rc = pvxf_clause_parse(t, q->search, &search, err);
    if (rc == ST_OK)
        rc = pvxf_clause_parse(t, q->filter, &filter, err);
    if (rc == ST_OK)
        rc = pvxf_split_list(q->order_by, pvxf_add_sort_key, cols);
    if (rc != ST_OK)
        goto out;
    *rows = xcalloc(t->n_rows, sizeof(**rows));
    *n = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (pvxf_eval(search, t, r) && pvxf_eval(filter, t, r))
            (*rows)[(*n)++] = r;
    }
    if (cols->sort->n > 0)
        qsort_r(*rows, *n, sizeof(**rows), pvxf_row_cmp, cols->sort);
out:
    pvxf_node_free(search);
    pvxf_node_free(filter);
    return rc;
}

enum st pvxf_query_run(const struct pvxf_table *t, const struct pvxf_query *q, struct buf *out,
                       long *total, struct errbuf *err)
{
    struct pvxf_sort sort = {.t = t};
    struct pvxf_cols cols = {.t = t, .err = err, .sort = &sort};
    size_t *rows = NULL;
    size_t n = 0, first = 0, count;
    enum st rc;

    cols.col = xcalloc(t->n_cols * 4 + 1, sizeof(*cols.col));
    rc = pvxf_select(t, q, &cols, &rows, &n, err);
    if (rc != ST_OK)
        goto out;
    cols.n = 0;
    rc = pvxf_split_list(q->columns, pvxf_add_column, &cols);
    if (rc != ST_OK)
        goto out;
    for (size_t c = 0; cols.n == 0 && c < t->n_cols; c++)
        cols.col[c] = (int)c;
    if (cols.n == 0)
        cols.n = t->n_cols;
    *total = (long)n;
    count = n;
    if (q->per_page > 0) {
        first = (size_t)(q->page_no > 1 ? q->page_no - 1 : 0) * (size_t)q->per_page;
        first = first < n ? first : n;
        count = n - first < (size_t)q->per_page ? n - first : (size_t)q->per_page;
    }
    rc = pvxf_write_page(t, cols.col, cols.n, rows + first, count, out, err);
out:
    free(rows);
    free(cols.col);
    return rc;
}
