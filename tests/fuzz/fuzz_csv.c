/*
 * fuzz_csv.c - csv_parse on arbitrary bytes.
 *
 * Invariants: a failed parse leaves an empty table and a reason; a parsed
 * table has no zero-field rows; the row cap is exact (n rows pass with
 * max_rows = n and fail with n - 1); and the decoder and the encoder agree:
 * parse -> csv_append_row every row -> parse again gives the same table.
 * A capped encoder that runs out of room leaves whole rows only.
 */
#include "csv.h"
#include "fuzz.h"

static void check_table_shape(const struct csv_table *t)
{
    size_t i, j;

    FUZZ_CHECK(t->n_rows == 0 || t->rows != NULL);
    for (i = 0; i < t->n_rows; i++) {
        FUZZ_CHECK(t->rows[i].n >= 1);
        for (j = 0; j < t->rows[i].n; j++)
            FUZZ_CHECK(t->rows[i].fields[j] != NULL);
    }
    if (t->n_rows > 0) {
        /* a header name finds its own column or an earlier one with the same name */
        for (j = 0; j < t->rows[0].n; j++) {
            int col = csv_table_col(t, t->rows[0].fields[j]);

            FUZZ_CHECK(col >= 0 && (size_t)col <= j);
            FUZZ_CHECK(csv_table_get(t, 0, col) == t->rows[0].fields[col]);
        }
    }
    FUZZ_CHECK(csv_table_get(t, t->n_rows, 0)[0] == '\0');
}

/* Compared as C strings: that is all a caller of csv_parse can see of a field. */
static void check_same_table(const struct csv_table *a, const struct csv_table *b)
{
    size_t i, j;

    FUZZ_CHECK(a->n_rows == b->n_rows);
    for (i = 0; i < a->n_rows; i++) {
        FUZZ_CHECK(a->rows[i].n == b->rows[i].n);
        for (j = 0; j < a->rows[i].n; j++)
            FUZZ_CHECK(strcmp(a->rows[i].fields[j], b->rows[i].fields[j]) == 0);
    }
}

static void check_row_cap(const uint8_t *data, size_t size, size_t n_rows)
{
    struct csv_table t;
    struct errbuf err;

    FUZZ_CHECK(csv_parse((const char *)data, size, n_rows, &t, &err) == ST_OK);
    FUZZ_CHECK(t.n_rows == n_rows);
    csv_table_cleanup(&t);
    if (n_rows < 2) /* max_rows 0 means unlimited */
        return;
    errbuf_clear(&err);
    FUZZ_CHECK(csv_parse((const char *)data, size, n_rows - 1, &t, &err) == ST_FAIL);
    FUZZ_CHECK(t.n_rows == 0 && t.rows == NULL && err.msg[0] != '\0');
}

static void encode_table(const struct csv_table *t, struct buf *b)
{
    size_t i;

    for (i = 0; i < t->n_rows; i++)
        FUZZ_CHECK(csv_append_row(b, (const char *const *)t->rows[i].fields, t->rows[i].n) ==
                   0);
}

/* With a cap half the full size, appends stop at a row boundary of the full text. */
static void check_capped_encode(const struct csv_table *t, const struct buf *full)
{
    struct buf b;
    size_t i;

    if (full->len < 2)
        return;
    buf_init(&b, full->len / 2);
    for (i = 0; i < t->n_rows; i++) {
        size_t before = b.len;

        if (csv_append_row(&b, (const char *const *)t->rows[i].fields, t->rows[i].n) < 0) {
            FUZZ_CHECK(b.len == before);
            break;
        }
    }
    FUZZ_CHECK(b.len <= full->len / 2);
    FUZZ_CHECK(b.len == 0 || memcmp(b.data, full->data, b.len) == 0);
    FUZZ_CHECK(b.len == 0 || (b.data[b.len - 2] == '\r' && b.data[b.len - 1] == '\n'));
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv_table t, again;
    struct errbuf err;
    struct buf b;

    errbuf_clear(&err);
    if (csv_parse((const char *)data, size, 0, &t, &err) != ST_OK) {
        FUZZ_CHECK(t.n_rows == 0 && t.rows == NULL);
        FUZZ_CHECK(err.msg[0] != '\0');
        return 0;
    }
    check_table_shape(&t);
    check_row_cap(data, size, t.n_rows);

    buf_init(&b, 0);
    encode_table(&t, &b);
    FUZZ_CHECK(csv_parse(b.data != NULL ? b.data : "", b.len, 0, &again, &err) == ST_OK);
    FUZZ_CHECK(again.n_rows == t.n_rows);
    check_same_table(&t, &again);
    check_capped_encode(&t, &b);

    csv_table_cleanup(&again);
    buf_cleanup(&b);
    csv_table_cleanup(&t);
    return 0;
}
