/*
 * test_loadgen.c - the load generator's own parts (bench/loadgen): the HTTP
 * answer parser its client relies on (lengths, chunked bodies, bodies that
 * run to the close, interim answers, keep-alive, malformed input), and the
 * order bodies it sends: pure in the delivery, and orders shopvox's own
 * parser accepts with consistent totals. it_loadgen runs the whole program
 * against a receiver.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "lg_int.h"
#include "order.h"

/* lg_resp_parse over the whole of s. */
static long parse(const char *s, bool eof, struct lg_resp *r)
{
    return lg_resp_parse(s, strlen(s), eof, r);
}

static void test_content_length_answers(void **state)
{
    const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    struct lg_resp r;

    (void)state;
    assert_int_equal(parse(ok, false, &r), (long)strlen(ok));
    assert_int_equal(r.status, 200);
    assert_true(r.keep_alive);
    /* every prefix is incomplete, not an error */
    for (size_t n = 0; n < strlen(ok); n++)
        assert_int_equal(lg_resp_parse(ok, n, false, &r), 0);
    /* what follows the answer is not part of it */
    assert_int_equal(parse("HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\nHTTP/1.1", false, &r),
                     40);
    assert_int_equal(r.status, 503);
}

static void test_keep_alive_follows_the_version_and_connection_header(void **state)
{
    struct lg_resp r;

    (void)state;
    assert_true(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false,
                      &r) > 0);
    assert_false(r.keep_alive);
    assert_true(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, &r) > 0);
    assert_false(r.keep_alive);
    assert_true(parse("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
                      false, &r) > 0);
    assert_true(r.keep_alive);
}

static void test_chunked_bodies_are_read_to_their_end(void **state)
{
    const char *a = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n";
    struct lg_resp r;

    (void)state;
    assert_int_equal(parse(a, false, &r), (long)strlen(a));
    assert_int_equal(r.status, 200);
    for (size_t n = 0; n < strlen(a); n++)
        assert_int_equal(lg_resp_parse(a, n, false, &r), 0);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcdXY",
                           false, &r),
                     -1); /* a chunk not followed by its line end */
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
                           &r),
                     -1);
}

static void test_bodies_without_length(void **state)
{
    const char *close_delimited = "HTTP/1.1 200 OK\r\n\r\nsome body";
    struct lg_resp r;

    (void)state;
    assert_int_equal(parse(close_delimited, false, &r), 0); /* runs to the close */
    assert_int_equal(parse(close_delimited, true, &r), (long)strlen(close_delimited));
    assert_false(r.keep_alive);
    /* no body at all: 204, 304, 1xx */
    assert_int_equal(parse("HTTP/1.1 204 No Content\r\n\r\n", false, &r), 27);
    assert_true(r.keep_alive);
    assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", false, &r), 25);
    assert_int_equal(r.status, 100);
}

static void test_malformed_and_oversized_answers(void **state)
{
    char *big = xmalloc(LG_RESP_MAX + 64);
    struct lg_resp r;

    (void)state;
    assert_int_equal(parse("HTTP/2 200\r\n\r\n", false, &r), -1);
    assert_int_equal(parse("HTTP/1.1 2x0 OK\r\n\r\n", false, &r), -1);
    assert_int_equal(parse("SSH-2.0-OpenSSH\r\n\r\n", false, &r), -1);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false, &r), -1);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", false, &r),
                     -1);
    /* a head that never ends */
    memset(big, 'a', LG_RESP_MAX + 63);
    big[LG_RESP_MAX + 63] = '\0';
    assert_int_equal(lg_resp_parse(big, LG_RESP_MAX, false, &r), -1);
    free(big);
}

static void test_order_bodies_are_pure_and_parse_as_orders(void **state)
{
    struct options opt = {.orders = 100000000, .seed = 42};
    char a[LG_BODY_MAX], b[LG_BODY_MAX];

    (void)state;
    for (uint64_t seq = 0; seq < 200; seq++) {
        struct delivery d = {.seq = seq * 7919, .updated_at_s = 1764547200 + (int64_t)seq};
        size_t len = build_order_body(&opt, 1764540000, &d, a);
        struct order o;
        struct errbuf err = {0};
        long subtotal = 0;

        assert_int_equal(len, strlen(a));
        assert_int_equal(build_order_body(&opt, 1764540000, &d, b), len);
        assert_memory_equal(a, b, len); /* a re-delivery resends the same bytes */
        assert_int_equal(order_parse_json(a, len, &o, &err), ST_OK);
        assert_string_equal(o.financial_status, "paid");
        assert_true(o.n_lines == 2 || o.n_lines == 3);
        assert_true(o.has_shipping_address && o.has_billing_address);
        for (size_t i = 0; i < o.n_lines; i++)
            subtotal += lround(strtod(o.lines[i].price, NULL) * 100) * o.lines[i].quantity;
        assert_int_equal(lround(strtod(o.total_price, NULL) * 100), subtotal + 500);
        assert_true(o.updated_at_ms == (1764547200 + (int64_t)seq) * 1000);
        order_cleanup(&o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length_answers),
        cmocka_unit_test(test_keep_alive_follows_the_version_and_connection_header),
        cmocka_unit_test(test_chunked_bodies_are_read_to_their_end),
        cmocka_unit_test(test_bodies_without_length),
        cmocka_unit_test(test_malformed_and_oversized_answers),
        cmocka_unit_test(test_order_bodies_are_pure_and_parse_as_orders),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
