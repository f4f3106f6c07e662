/*
 * pvxf_query.h - plain tables of strings and the queries Peoplevox runs
 * over them (private to peoplevox/): the Dynamic-LINQ subset of
 * SearchClause / FilterClause, OrderBy, Columns and paging, and the dates
 * clauses and imports use. Knows nothing of orders or stock: the views in
 * pvxf_tables.c flatten the warehouse into a pvxf_table first.
 */
#ifndef SHOPVOX_PVXF_QUERY_H
#define SHOPVOX_PVXF_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "common.h"

struct pvxf_table {
    size_t n_cols;
    char **cols;    /* owned */
    size_t n_rows, cap_rows;
    char **cells;   /* owned, n_rows * n_cols */
};

/* An empty table with copies of the column names. */
void pvxf_table_init(struct pvxf_table *t, const char *const *cols, size_t n_cols);
/* Appends a row of n_cols values (copied; NULL is ""). */
void pvxf_table_add(struct pvxf_table *t, const char *const *vals);
void pvxf_table_cleanup(struct pvxf_table *t);

struct pvxf_query {
    const char *search;   /* SearchClause; NULL/"" = all */
    const char *filter;   /* FilterClause (reports), ANDed with search */
    const char *order_by; /* "[Col] DESC", "Col" ... */
    const char *columns;  /* comma-separated projection (reports) */
    long page_no;         /* from 1 */
    long per_page;        /* 0 = all */
};

/*
 * Filters, sorts, pages t and writes header + page rows as CSV to out;
 * *total = all matching rows. ST_FAIL with err on a bad clause or an
 * unknown column.
 */
enum st pvxf_query_run(const struct pvxf_table *t, const struct pvxf_query *q, struct buf *out,
                       long *total, struct errbuf *err);
/* Parses a date in yyyy-MM-dd[ HH:mm[:ss]] or (quoted) dd/MM/yyyy[ HH:mm[:ss]] form. */
bool pvxf_parse_date(const char *s, int64_t *out_s);

#endif
