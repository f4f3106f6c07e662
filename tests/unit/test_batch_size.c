/*
 * test_batch_size.c - the size of a batched post: backlog -> orders per
 * batch (floor, cap, the rate's window), a record's CSV bytes as an upper
 * bound, and cutting a batch by the row and byte caps of both saves (long
 * addresses, many lines, an order too large alone).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_size.h"
#include "common.h"

static void test_backlog_to_batch_size(void **state)
{
    static const struct {
        size_t backlog;
        long calls;
        size_t min, max, want;
    } cases[] = {
        {0, 15, 20, 500, 20},       /* nothing due: the floor */
        {5, 15, 20, 500, 20},
        {140, 15, 20, 500, 20},     /* 7 batches a window: 140 / 7 */
        {141, 15, 20, 500, 21},     /* rounded up */
        {1000, 15, 20, 500, 143},
        {3500, 15, 20, 500, 500},   /* the cap */
        {100000, 15, 20, 500, 500},
        {1000, 1, 20, 500, 500},    /* one call a window: still one batch */
        {1000, 3, 20, 500, 500},
        {1000, 0, 20, 500, 500},    /* no known rate: the cap */
        {1000, 15, 900, 500, 500},  /* a floor above the cap is the cap */
        {1000, 15, 0, 0, 1},        /* at least one */
        {1000, 100000, 1, 500, 1},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        size_t got = batch_size_for_backlog(cases[i].backlog, cases[i].calls, cases[i].min,
                                            cases[i].max);
        if (got != cases[i].want)
            fail_msg("case %zu: backlog %zu at %ld calls -> %zu, want %zu", i, cases[i].backlog,
                     cases[i].calls, got, cases[i].want);
    }
}

static void test_record_bytes_bound_quotes(void **state)
{
    struct pvx_field_value v[] = {{"A", "abc"}, {"B", NULL}, {"C", "x\"y"}, {"D", ""}};
    struct pvx_record r = {v, ARRAY_LEN(v)};

    (void)state;
    /* 2 (line end) + 4 x 3 (quotes, separator) + 3 + 0 + 4 (x""y) + 0 */
    assert_int_equal(batch_record_csv_bytes(&r), 2 + 12 + 3 + 4);
}

static void test_chunk_by_rows_of_both_saves(void **state)
{
    struct batch_cost c[10];
    struct batch_caps caps = {4, 1 << 20};

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(c); i++)
        c[i] = (struct batch_cost){100, 1, 50};
    assert_int_equal(batch_chunk(c, 10, &caps), 4);   /* order rows */
    assert_int_equal(batch_chunk(c, 3, &caps), 3);
    assert_int_equal(batch_chunk(c, 0, &caps), 0);
    c[0].item_rows = 3;
    assert_int_equal(batch_chunk(c, 10, &caps), 2);   /* item rows: 3 + 1 */
    c[0].item_rows = 9;
    assert_int_equal(batch_chunk(c, 10, &caps), 1);   /* too many lines: alone */
}

/* Long addresses fill the order save first: the byte cap holds, header allowance included. */
static void test_chunk_by_bytes_long_addresses(void **state)
{
    char addr[4001];
    struct pvx_field_value v[] = {{"ShippingAddressLine1", addr}, {"ShippingAddressLine2", addr}};
    struct pvx_record r = {v, ARRAY_LEN(v)};
    struct batch_cost c[50];
    struct batch_caps caps = {500, 64 * 1024};
    size_t k, total = BATCH_HEADER_BYTES;

    (void)state;
    memset(addr, 'a', sizeof(addr) - 1);
    addr[sizeof(addr) - 1] = '\0';
    for (size_t i = 0; i < ARRAY_LEN(c); i++)
        c[i] = (struct batch_cost){batch_record_csv_bytes(&r), 1, 60};
    k = batch_chunk(c, ARRAY_LEN(c), &caps);
    for (size_t i = 0; i < k; i++)
        total += c[i].order_bytes;
    assert_true(k >= 1 && k < ARRAY_LEN(c));
    assert_true(total <= caps.max_bytes);
    assert_true(total + c[k].order_bytes > caps.max_bytes); /* one more would not fit */
    caps.max_bytes = 1000;                                  /* smaller than one order */
    assert_int_equal(batch_chunk(c, ARRAY_LEN(c), &caps), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backlog_to_batch_size),
        cmocka_unit_test(test_record_bytes_bound_quotes),
        cmocka_unit_test(test_chunk_by_rows_of_both_saves),
        cmocka_unit_test(test_chunk_by_bytes_long_addresses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
