/*
 * csv.h - RFC 4180 CSV, as Peoplevox carries it inside SOAP (pure).
 *
 * Encoding quotes a field when it holds a comma, quote, CR or LF (or
 * leading/trailing space) and doubles inner quotes; records end in CRLF.
 * Decoding is a real state machine: quoted fields with embedded commas,
 * doubled quotes and newlines; records ending in CRLF, LF or EOF.
 */
#ifndef SHOPVOX_CSV_H
#define SHOPVOX_CSV_H

#include <stddef.h>

#include "buf.h"
#include "common.h"

struct csv_row {
    size_t n;        /* number of fields */
    char **fields;   /* owned, NUL-terminated */
};

struct csv_table {
    size_t n_rows;   /* row 0 is the header when the data has one */
    struct csv_row *rows; /* owned */
};

/* Appends one field (quoted when needed) to b, preceded by ',' unless first. */
int csv_append_field(struct buf *b, const char *field, int first);
/* Appends a whole record of n fields (NULL fields are empty) and CRLF. */
int csv_append_row(struct buf *b, const char *const *fields, size_t n);

/*
 * Parses text[0..len) into *out. An empty input gives zero rows. A blank
 * trailing line is not a row. Returns ST_FAIL (err set) on an unterminated
 * quoted field or stray quote inside an unquoted field. Caps: max_rows rows
 * (0 = unlimited) -> ST_FAIL.
 */
enum st csv_parse(const char *text, size_t len, size_t max_rows, struct csv_table *out,
                  struct errbuf *err);
void csv_table_cleanup(struct csv_table *t);

/* Non-zero when two field names match (case-insensitive, trimmed). */
int csv_name_equal(const char *a, const char *b);
/* Column index of name in row 0 (case-insensitive, trimmed), or -1. */
int csv_table_col(const struct csv_table *t, const char *name);
/* Field (row, col) or "" when out of range; borrowed. */
const char *csv_table_get(const struct csv_table *t, size_t row, int col);

#endif
