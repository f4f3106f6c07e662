/*
 * it_http_limits.c - what a client from the internet can make the HTTP
 * side hold, end to end against the real binary: a body is read only for a
 * POST to the webhook with a well-formed signature header, bodies in
 * flight share one budget, a request has a total deadline and its headers
 * a shorter one, a chunked body stops at the cap, and the probes live on
 * their own listener where a flood of slow headers on the public one
 * cannot reach them. Limits are small here so each case takes a second or
 * two: a 4 KiB cap, an 8 KiB budget, a 1 s header and a 1.5 s request
 * deadline.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common.h"
#include "it.h"

#define REQUEST_DEADLINE_MS 1500
#define SLOW_CLIENTS 1000 /* the service's connection limit */

/* A well-formed signature header that matches nothing: the form is all the server checks first. */
#define FORGED_SIG "X-Shopline-Hmac-Sha256: " \
                   "00000000000000000000000000000000000000000000000000000000000000ff\r\n"

static const char *db;
static struct it_proc proc;

/* Sends head (a request up to its blank line, body not sent) and returns the socket. */
static int send_head(int port, const char *head)
{
    int fd = it_tcp_connect(port);

    assert_true(fd >= 0);
    assert_int_equal(it_tcp_send(fd, head), 0);
    return fd;
}

/* The answer to head comes at once, without a byte of its body, and the connection closes. */
static void assert_answered_unread(int port, const char *head, long want)
{
    int fd = send_head(port, head);

    assert_int_equal(it_tcp_status(fd, 1000), want);
    assert_true(it_tcp_closed(fd, 1000));
    close(fd);
}

static void test_a_body_anywhere_else_is_refused_unread(void **state)
{
    assert_answered_unread(proc.port, "POST /healthz HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Length: 100000000\r\n\r\n", 413);
    assert_answered_unread(proc.port, "POST /healthz HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Length: 3000\r\n\r\n", 404);
    assert_answered_unread(proc.port, "PUT /anything HTTP/1.1\r\nHost: x\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n", 404);
    assert_answered_unread(proc.port, "GET /webhooks/shopline HTTP/1.1\r\nHost: x\r\n" FORGED_SIG
                                      "Content-Length: 3000\r\n\r\n", 405);
    assert_answered_unread(proc.ops_port, "POST /healthz HTTP/1.1\r\nHost: x\r\n"
                                          "Content-Length: 3000\r\n\r\n", 405);
    assert_answered_unread(proc.ops_port, "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                                          "Content-Length: 3000\r\n\r\n", 200);
}

#define API_OPERATOR "Authorization: Bearer it-operator-token-0123456789abcdef0123\r\n"
#define API_VIEWER "Authorization: Bearer it-viewer-token-0123456789abcdef01234\r\n"

/*
 * The admin API on the ops port reads a body only for an authenticated
 * operator's write: without a token, with an unknown one, as a viewer, to
 * an unknown route or past its 64 KiB cap, the answer comes from the
 * headers and not a byte of the body is read.
 */
static void test_an_api_write_body_is_read_only_for_an_operator(void **state)
{
    assert_answered_unread(proc.ops_port, "POST /api/v1/exceptions/resolve HTTP/1.1\r\n"
                                          "Host: x\r\nContent-Length: 60000\r\n\r\n", 401);
    assert_answered_unread(proc.ops_port, "POST /api/v1/exceptions/resolve HTTP/1.1\r\n"
                                          "Host: x\r\nAuthorization: Bearer nope\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n", 401);
    assert_answered_unread(proc.ops_port, "POST /api/v1/exceptions/resolve HTTP/1.1\r\n"
                                          "Host: x\r\n" API_VIEWER
                                          "Content-Length: 60000\r\n\r\n", 403);
    assert_answered_unread(proc.ops_port, "POST /api/v1/nothing HTTP/1.1\r\nHost: x\r\n"
                                          API_OPERATOR "Content-Length: 60000\r\n\r\n", 404);
    assert_answered_unread(proc.ops_port, "POST /api/v1/exceptions/resolve HTTP/1.1\r\n"
                                          "Host: x\r\n" API_OPERATOR
                                          "Content-Length: 100000000\r\n\r\n", 413);
    assert_answered_unread(proc.ops_port, "POST /api/v1/exceptions/resolve HTTP/1.1\r\n"
                                          "Host: x\r\nContent-Length: 100000000\r\n\r\n",
                           413);
}

static void test_a_webhook_without_a_well_formed_signature_is_refused_unread(void **state)
{
    assert_answered_unread(proc.port, "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Length: 3000\r\n\r\n", 401);
    assert_answered_unread(proc.port, "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n"
                                      "X-Shopline-Hmac-Sha256: 0123\r\n"
                                      "Content-Length: 3000\r\n\r\n", 401);
    assert_answered_unread(proc.port, "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n"
                                      "X-Shopline-Hmac-Sha256: "
                                      "zz00000000000000000000000000000000000000000000000000000000000000"
                                      "\r\nTransfer-Encoding: chunked\r\n\r\n", 401);
}

static long post_small_webhook(const char *wid)
{
    static const struct it_line mug[] = {{"MUG-1", 1, false}};
    char *body = it_order_json(&(struct it_order){.id = "70000000000000000000000001",
                                                  .name = "#7001", .financial_status = "paid",
                                                  .updated_at = "2026-11-26T10:00:00+08:00",
                                                  IT_LINES(mug)});
    struct it_resp r;
    long status;

    it_post_webhook(proc.port, "orders/paid", wid, body, "hex", &r);
    status = r.status;
    it_resp_free(&r);
    free(body);
    return status;
}

static bool webhook_stored(void *arg)
{
    return post_small_webhook(arg) == 200;
}

static void test_the_body_budget_answers_503_while_spent_and_200_after(void **state)
{
    const char *hold = "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n" FORGED_SIG
                       "Content-Length: 4096\r\n\r\n";
    char wid[] = "budget-2";
    int a = send_head(proc.port, hold);
    int b = send_head(proc.port, hold); /* 2 x 4 KiB: the whole 8 KiB budget */
    int c;

    usleep(100 * 1000);
    c = send_head(proc.port, hold);
    assert_int_equal(it_tcp_status(c, 1000), 503);
    close(c);
    assert_int_equal(post_small_webhook("budget-1"), 503);
    close(a);
    close(b);
    assert_true(it_wait_until(webhook_stored, wid, 5000));
}

/*
 * One client address holds at most a quarter of the budget (at least one
 * largest body: 4 KiB here): an address forging well-formed signature
 * headers and trickling bodies cannot turn away the webhooks of another.
 */
static void test_one_client_cannot_hold_the_whole_budget(void **state)
{
    const char *hold = "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n" FORGED_SIG
                       "Content-Length: 4096\r\n\r\n";
    int a = it_tcp_connect_from(proc.port, "127.0.0.2");
    int b = it_tcp_connect_from(proc.port, "127.0.0.2");

    assert_true(a >= 0 && b >= 0);
    assert_int_equal(it_tcp_send(a, hold), 0);
    usleep(100 * 1000);
    assert_int_equal(it_tcp_send(b, hold), 0);
    assert_int_equal(it_tcp_status(b, 1000), 503); /* its share is spent, not the budget */
    assert_int_equal(post_small_webhook("share-1"), 200); /* from 127.0.0.1 */
    close(a);
    close(b);
}

static void test_a_body_trickled_past_the_request_deadline_is_cut(void **state)
{
    int fd = send_head(proc.port, "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n" FORGED_SIG
                                  "Content-Length: 4000\r\n\r\n");
    int64_t start = now_ms_monotonic();
    int64_t took;

    while (it_tcp_send(fd, "0123456789") == 0 && now_ms_monotonic() - start < 5000) {
        if (it_tcp_closed(fd, 200))
            break;
    }
    took = now_ms_monotonic() - start;
    close(fd);
    assert_true(took >= REQUEST_DEADLINE_MS - 200);
    assert_true(took < REQUEST_DEADLINE_MS + 1000);
}

static void test_a_chunked_body_over_the_cap_is_stopped_with_413(void **state)
{
    /* its own client address: the share of 127.0.0.1 may still be held by the request
     * the previous test had cut, until the server has released it */
    int fd = it_tcp_connect_from(proc.port, "127.0.0.3");
    char chunk[1100];
    long status = -1;

    assert_true(fd >= 0);
    assert_int_equal(it_tcp_send(fd, "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n" FORGED_SIG
                                     "Transfer-Encoding: chunked\r\n\r\n"), 0);
    memset(chunk, 'x', sizeof(chunk));
    memcpy(chunk, "400\r\n", 5);
    memcpy(chunk + 5 + 1024, "\r\n", 3);
    /* 200 KiB offered, never the last chunk: only an answer at the cap ends this */
    for (int i = 0; i < 200 && status < 0; i++) {
        if (it_tcp_send(fd, chunk) != 0)
            break;
        status = it_tcp_status(fd, 10);
    }
    if (status < 0)
        status = it_tcp_status(fd, 1000);
    close(fd);
    assert_int_equal(status, 413);
}

/*
 * A webhook declared a little over the 4 KiB cap (8,000 bytes, under four
 * times it) is read to its end and dropped, then answered 413: answered
 * from its headers, a sender still writing the body had its connection
 * reset by the server's close and saw no answer (the intake test's 1 MiB
 * body failed so once in CI). Past four times the cap the answer still
 * comes unread (test_a_body_anywhere_else_is_refused_unread).
 */
static void test_a_body_a_little_over_the_cap_is_read_then_refused(void **state)
{
    int fd = it_tcp_connect_from(proc.port, "127.0.0.4");
    char half[4001];

    assert_true(fd >= 0);
    assert_int_equal(it_tcp_send(fd, "POST /webhooks/shopline HTTP/1.1\r\nHost: x\r\n" FORGED_SIG
                                     "Content-Length: 8000\r\n\r\n"), 0);
    memset(half, 'x', sizeof(half) - 1);
    half[sizeof(half) - 1] = '\0';
    assert_int_equal(it_tcp_send(fd, half), 0);
    assert_int_equal(it_tcp_status(fd, 300), -1); /* no answer while the body comes */
    assert_int_equal(it_tcp_send(fd, half), 0);
    assert_int_equal(it_tcp_status(fd, 1000), 413);
    close(fd);
}

static void test_the_probes_answer_on_the_ops_port_only(void **state)
{
    assert_int_equal(it_http_get_status(proc.ops_port, "/healthz"), 200);
    assert_int_equal(it_http_get_status(proc.ops_port, "/readyz"), 200);
    assert_int_equal(it_http_get_status(proc.ops_port, "/metrics"), 200);
    assert_int_equal(it_http_get_status(proc.ops_port, "/webhooks/shopline"), 404);
    assert_int_equal(it_http_get_status(proc.port, "/healthz"), 404);
    assert_int_equal(it_http_get_status(proc.port, "/readyz"), 404);
    assert_int_equal(it_http_get_status(proc.port, "/metrics"), 404);
}

static void test_slow_headers_on_the_public_port_never_delay_the_probes(void **state)
{
    int *fds = xcalloc(SLOW_CLIENTS, sizeof(*fds));
    int64_t start;
    int opened = 0;

    for (int i = 0; i < SLOW_CLIENTS; i++) {
        fds[i] = it_tcp_connect(proc.port);
        if (fds[i] >= 0 && it_tcp_send(fds[i], "POST /webhooks/shopline HTTP/1.1\r\n") == 0)
            opened++;
    }
    assert_true(opened > SLOW_CLIENTS / 2);
    start = now_ms_monotonic();
    assert_int_equal(it_http_get_status(proc.ops_port, "/healthz"), 200);
    assert_int_equal(it_http_get_status(proc.ops_port, "/readyz"), 200);
    assert_true(now_ms_monotonic() - start < 1000);
    /* a header line now and then does not keep a connection past the header deadline */
    for (int t = 0; t < 4; t++) {
        usleep(400 * 1000);
        it_tcp_send(fds[0], "X-Slow: 1\r\n");
    }
    assert_true(it_tcp_closed(fds[0], 10));
    for (int i = 0; i < SLOW_CLIENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
}

/* One shopvox for the whole group, with the small limits of the design note. */
static int start_shopvox(void **state)
{
    static const char *const args[] = {"serve", "--migrate", NULL};
    static const char *const env[] = {
        "SHOPVOX_MAX_BODY_BYTES=4096", "SHOPVOX_BODY_BUDGET_BYTES=8192",
        "SHOPVOX_HEADER_DEADLINE_MS=1000", "SHOPVOX_REQUEST_DEADLINE_MS=1500",
        "SHOPVOX_ADMIN_TOKENS=op:operator:it-operator-token-0123456789abcdef0123,"
        "vi:viewer:it-viewer-token-0123456789abcdef01234",
        NULL};

    it_require_db();
    db = it_db_create("http_limits");
    return it_shopvox_start(&proc, db, env, args);
}

static int stop_shopvox(void **state)
{
    it_proc_stop(&proc, SIGKILL, 1000);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_body_anywhere_else_is_refused_unread),
        cmocka_unit_test(test_a_webhook_without_a_well_formed_signature_is_refused_unread),
        cmocka_unit_test(test_an_api_write_body_is_read_only_for_an_operator),
        cmocka_unit_test(test_the_body_budget_answers_503_while_spent_and_200_after),
        cmocka_unit_test(test_one_client_cannot_hold_the_whole_budget),
        cmocka_unit_test(test_a_body_trickled_past_the_request_deadline_is_cut),
        cmocka_unit_test(test_a_chunked_body_over_the_cap_is_stopped_with_413),
        cmocka_unit_test(test_a_body_a_little_over_the_cap_is_read_then_refused),
        cmocka_unit_test(test_the_probes_answer_on_the_ops_port_only),
        cmocka_unit_test(test_slow_headers_on_the_public_port_never_delay_the_probes),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, start_shopvox, stop_shopvox);
}
