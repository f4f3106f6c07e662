/*
 * test_csv.c - RFC 4180 encode/decode: tables of known cases, malformed
 * input, caps, and a seeded random round trip over nasty alphabets
 * (commas, quotes, CR, LF, spaces, UTF-8) so a regression is reproducible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

struct enc_case {
    const char *in;
    const char *want;
};

static void test_encode_field_table(void **state)
{
    static const struct enc_case cases[] = {
        { "", "" },
        { "plain", "plain" },
        { "a,b", "\"a,b\"" },
        { "say \"hi\"", "\"say \"\"hi\"\"\"" },
        { "\"", "\"\"\"\"" },
        { "line1\nline2", "\"line1\nline2\"" },
        { "cr\rhere", "\"cr\rhere\"" },
        { " lead", "\" lead\"" },
        { "trail ", "\"trail \"" },
        { "in side", "in side" },
        { "caf\xc3\xa9", "caf\xc3\xa9" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct buf b;

        buf_init(&b, 0);
        assert_int_equal(csv_append_field(&b, cases[i].in, 1), 0);
        assert_string_equal(buf_cstr(&b), cases[i].want);
        buf_cleanup(&b);
    }
}

static void test_encode_row(void **state)
{
    const char *fields[] = { "SalesOrderNumber", NULL, "x,y", "" };
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(csv_append_row(&b, fields, 4), 0);
    assert_int_equal(csv_append_row(&b, fields, 1), 0);
    assert_string_equal(buf_cstr(&b), "SalesOrderNumber,,\"x,y\",\r\nSalesOrderNumber\r\n");
    buf_cleanup(&b);
}

static void test_encode_cap_rolls_back(void **state)
{
    const char *fields[] = { "abc", "needs,quotes" };
    struct buf b;

    buf_init(&b, 10);
    assert_int_equal(csv_append_field(&b, "1234", 1), 0);
    assert_int_equal(csv_append_row(&b, fields, 2), -1);
    assert_string_equal(buf_cstr(&b), "1234");
    assert_int_equal(csv_append_field(&b, "a\"b\"c", 0), -1);
    assert_string_equal(buf_cstr(&b), "1234");
    assert_int_equal(b.len, 4);
    buf_cleanup(&b);
}

static void assert_row(const struct csv_table *t, size_t r, size_t n, const char *const *want)
{
    size_t i;

    assert_true(r < t->n_rows);
    assert_int_equal(t->rows[r].n, n);
    for (i = 0; i < n; i++)
        assert_string_equal(t->rows[r].fields[i], want[i]);
}

static void test_parse_crlf_and_lf(void **state)
{
    static const char *const inputs[] = {
        "A,B\r\n1,\"x,\r\ny\"\r\n",
        "A,B\n1,\"x,\r\ny\"\n",
        "A,B\n1,\"x,\r\ny\"",
        "A,B\r1,\"x,\r\ny\"\r",
        "A,B\r\n1,\"x,\r\ny\"\r\n\r\n\n",
    };
    static const char *const r0[] = { "A", "B" };
    static const char *const r1[] = { "1", "x,\r\ny" };
    size_t i;

    for (i = 0; i < ARRAY_LEN(inputs); i++) {
        struct csv_table t;
        struct errbuf err = { "" };

        assert_int_equal(csv_parse(inputs[i], strlen(inputs[i]), 0, &t, &err), ST_OK);
        assert_int_equal(t.n_rows, 2);
        assert_row(&t, 0, 2, r0);
        assert_row(&t, 1, 2, r1);
        csv_table_cleanup(&t);
    }
}

static void test_parse_edge_shapes(void **state)
{
    struct csv_table t;
    struct errbuf err = { "" };
    static const char *const empties[] = { "", "", "" };
    static const char *const quoted_empty[] = { "" };
    static const char *const blank_mid[] = { "" };
    const char *in;

    assert_int_equal(csv_parse("", 0, 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 0);
    csv_table_cleanup(&t);

    assert_int_equal(csv_parse("\r\n", 2, 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 0);
    csv_table_cleanup(&t);

    assert_int_equal(csv_parse(",,", 2, 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 1);
    assert_row(&t, 0, 3, empties);
    csv_table_cleanup(&t);

    assert_int_equal(csv_parse("\"\"\n", 3, 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 1);
    assert_row(&t, 0, 1, quoted_empty);
    csv_table_cleanup(&t);

    in = "H\n\nv\n";                 /* a blank line between rows is a row */
    assert_int_equal(csv_parse(in, strlen(in), 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 3);
    assert_row(&t, 1, 1, blank_mid);
    csv_table_cleanup(&t);
}

static void test_parse_malformed(void **state)
{
    static const char *const bad[] = {
        "a,\"unterminated\n",
        "a,b\"c\n",
        "\"closed\"x,1\n",
        "a\n\"open",
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        struct csv_table t;
        struct errbuf err = { "" };

        assert_int_equal(csv_parse(bad[i], strlen(bad[i]), 0, &t, &err), ST_FAIL);
        assert_true(err.msg[0] != '\0');
        assert_int_equal(t.n_rows, 0);
        assert_null(t.rows);
    }
}

static void test_parse_max_rows(void **state)
{
    const char *in = "H\n1\n2\n\n\n";
    struct csv_table t;
    struct errbuf err = { "" };

    assert_int_equal(csv_parse(in, strlen(in), 3, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 3);
    csv_table_cleanup(&t);
    assert_int_equal(csv_parse(in, strlen(in), 2, &t, &err), ST_FAIL);
    assert_non_null(strstr(err.msg, "more than 2 rows"));
}

static void test_table_col_and_get(void **state)
{
    const char *in = "ItemCode, Available ,Site reference\r\nSKU-1,5,Main\r\n";
    struct csv_table t;
    struct errbuf err = { "" };

    assert_int_equal(csv_parse(in, strlen(in), 0, &t, &err), ST_OK);
    assert_int_equal(csv_table_col(&t, "itemcode"), 0);
    assert_int_equal(csv_table_col(&t, "Available"), 1);
    assert_int_equal(csv_table_col(&t, " site REFERENCE "), 2);
    assert_int_equal(csv_table_col(&t, "Missing"), -1);
    assert_string_equal(csv_table_get(&t, 1, 1), "5");
    assert_string_equal(csv_table_get(&t, 1, 9), "");
    assert_string_equal(csv_table_get(&t, 7, 0), "");
    assert_string_equal(csv_table_get(&t, 1, -1), "");
    csv_table_cleanup(&t);
    assert_int_equal(csv_table_col(NULL, "x"), -1);
    csv_table_cleanup(NULL);
}

/* xorshift64*: tiny, seeded, identical on every platform. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static char *random_field(uint64_t *seed)
{
    static const char *const atoms[] = {
        ",", "\"", "\r", "\n", "\r\n", " ", "a", "Z", "9", "\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x93\xa6", "\t", "'", ";", "\"\"",
    };
    size_t n = (size_t)(rng_next(seed) % 12);
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    for (i = 0; i < n; i++)
        buf_append_str(&b, atoms[rng_next(seed) % ARRAY_LEN(atoms)]);
    return buf_steal(&b);
}

static void free_grid(char **cells, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

/* One random table; a single-column row of "" is encoded as a blank line, so
 * such rows are avoided (that ambiguity is inherent to CSV, not a bug). */
static void roundtrip_once(uint64_t *seed)
{
    size_t rows = 1 + (size_t)(rng_next(seed) % 6);
    size_t cols = 1 + (size_t)(rng_next(seed) % 5);
    char **cells = xcalloc(rows * cols, sizeof(char *));
    struct csv_table t;
    struct errbuf err = { "" };
    struct buf b;
    size_t r, c;

    buf_init(&b, 0);
    for (r = 0; r < rows; r++) {
        for (c = 0; c < cols; c++)
            cells[r * cols + c] = random_field(seed);
        if (cols == 1 && cells[r][0] == '\0') {
            free(cells[r]);
            cells[r] = xstrdup("x");
        }
        assert_int_equal(csv_append_row(&b, (const char *const *)&cells[r * cols], cols), 0);
    }
    if (rng_next(seed) % 2)                /* drop the final CRLF: EOF ends it too */
        b.len -= 2;
    assert_int_equal(csv_parse(b.data, b.len, 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, rows);
    for (r = 0; r < rows; r++) {
        assert_int_equal(t.rows[r].n, cols);
        for (c = 0; c < cols; c++)
            assert_string_equal(t.rows[r].fields[c], cells[r * cols + c]);
    }
    csv_table_cleanup(&t);
    buf_cleanup(&b);
    free_grid(cells, rows * cols);
}

static void test_roundtrip_random(void **state)
{
    uint64_t seed = 0x5eed5eedULL;
    int i;

    /* a few hundred shapes here; fuzz_csv runs the long random search */
    for (i = 0; i < 500; i++)
        roundtrip_once(&seed);
}

/* Random bytes must never crash the parser, and a success is well formed. */
static void test_parse_random_bytes(void **state)
{
    static const char alphabet[] = ",\"\r\na b";
    uint64_t seed = 42;
    char in[64];
    int i;

    for (i = 0; i < 2000; i++) {
        size_t n = (size_t)(rng_next(&seed) % sizeof(in));
        struct csv_table t;
        struct errbuf err = { "" };
        size_t k;

        for (k = 0; k < n; k++)
            in[k] = alphabet[rng_next(&seed) % (sizeof(alphabet) - 1)];
        if (csv_parse(in, n, 0, &t, &err) == ST_OK) {
            for (k = 0; k < t.n_rows; k++)
                assert_true(t.rows[k].n >= 1);
        } else {
            assert_int_equal(t.n_rows, 0);
        }
        csv_table_cleanup(&t);
    }
}

/* Regression (found by fuzz_csv): a record of one empty field survives a round trip. */
static void test_single_empty_field_row_round_trips(void **state)
{
    const char *rows[2][1] = {{"a"}, {""}};
    struct csv_table t;
    struct errbuf err;
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(csv_append_row(&b, rows[0], 1), 0);
    assert_int_equal(csv_append_row(&b, rows[1], 1), 0);
    assert_string_equal(buf_cstr(&b), "a\r\n\"\"\r\n");
    assert_int_equal(csv_parse(b.data, b.len, 0, &t, &err), ST_OK);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(csv_table_get(&t, 1, 0), "");
    csv_table_cleanup(&t);
    buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_field_table),
        cmocka_unit_test(test_single_empty_field_row_round_trips),
        cmocka_unit_test(test_encode_row),
        cmocka_unit_test(test_encode_cap_rolls_back),
        cmocka_unit_test(test_parse_crlf_and_lf),
        cmocka_unit_test(test_parse_edge_shapes),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_max_rows),
        cmocka_unit_test(test_table_col_and_get),
        cmocka_unit_test(test_roundtrip_random),
        cmocka_unit_test(test_parse_random_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
