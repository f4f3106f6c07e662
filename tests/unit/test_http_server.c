/*
 * test_http_server.c - the HTTP adapter on port 0, driven with libcurl:
 * what a handler sees (method, path, query, headers, raw body) and what it
 * can answer (status, content type, Allow, Retry-After); the body cap
 * (413, declared or streamed, without calling the handler); a dropped reply
 * (the connection closes, the client gets nothing); a thread per connection
 * (a blocked handler holds up no other call); no port shared; listen
 * addresses (IPv4 literals, or names and IPv6 when asked); quiet servers (no
 * duration metric).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http_server.h"
#include "metrics.h"

#define DURATION "shopvox_http_request_duration_seconds"

/* What the handler saw and how the blocking route is released. */
struct seen {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;
    bool blocked, release;
    char method[16], path[64], query[64], header[64], body[64];
};

static void copy_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s != NULL ? s : "(null)");
}

/* Waits until the test releases it; reports that it is waiting. */
static void block_until_released(struct seen *sn)
{
    pthread_mutex_lock(&sn->lock);
    sn->blocked = true;
    pthread_cond_broadcast(&sn->cond);
    while (!sn->release)
        pthread_cond_wait(&sn->cond, &sn->lock);
    pthread_mutex_unlock(&sn->lock);
}

static void handler(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct seen *sn = ctx;

    pthread_mutex_lock(&sn->lock);
    sn->calls++;
    copy_str(sn->method, sizeof(sn->method), req->method);
    copy_str(sn->path, sizeof(sn->path), req->path);
    copy_str(sn->query, sizeof(sn->query), http_query(req, "q"));
    copy_str(sn->header, sizeof(sn->header), http_header(req, "x-probe"));
    copy_str(sn->body, sizeof(sn->body), req->body);
    pthread_mutex_unlock(&sn->lock);
    if (strcmp(req->path, "/drop") == 0) {
        resp->drop = true;
        return;
    }
    if (strcmp(req->path, "/block") == 0)
        block_until_released(sn);
    if (strcmp(req->path, "/busy") == 0) {
        resp->retry_after = "7";
        resp->allow = "POST";
        resp->content_type = "text/xml";
        resp->status = 503;
        buf_append_str(&resp->body, "<busy/>");
        return;
    }
    resp->route = strcmp(req->path, "/hush") == 0 ? "hush" : "echo";
    http_reply_json_msg(resp, 200, "status", req->body_len > 0 ? req->body : "empty");
}

struct fx {
    struct seen seen;
    struct http_server *hs;
    int port;
};

static struct http_server *start(struct fx *f, const struct http_server_opts *extra)
{
    struct http_server_opts o = *extra;
    struct errbuf err = {""};
    struct http_server *hs;

    o.host = o.host != NULL ? o.host : "127.0.0.1";
    o.threads = 2;
    o.max_body_bytes = o.max_body_bytes ? o.max_body_bytes : 64;
    o.handler = handler;
    o.ctx = &f->seen;
    hs = http_server_start(&o, &err);
    if (hs == NULL)
        print_message("start failed: %s\n", err.msg);
    return hs;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct http_server_opts o = {.thread_per_connection = true};

    pthread_mutex_init(&f->seen.lock, NULL);
    pthread_cond_init(&f->seen.cond, NULL);
    f->hs = start(f, &o);
    if (f->hs == NULL)
        return -1;
    f->port = http_server_port(f->hs);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    http_server_stop(f->hs);
    pthread_cond_destroy(&f->seen.cond);
    pthread_mutex_destroy(&f->seen.lock);
    free(f);
    return 0;
}

static size_t on_bytes(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

struct call {
    const char *host;             /* NULL: 127.0.0.1 */
    const char *method, *path, *body, *header;
    bool chunked;
    long code;        /* out: HTTP status, or -curl error */
    struct buf resp;  /* out: body */
    struct buf heads; /* out: response headers */
};

static void do_call(int port, struct call *c)
{
    CURL *curl = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[256];
    CURLcode rc;

    buf_init(&c->resp, 0);
    buf_init(&c->heads, 0);
    snprintf(url, sizeof(url), "http://%s:%d%s", c->host ? c->host : "127.0.0.1", port, c->path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, c->method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_bytes);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c->resp);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_bytes);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &c->heads);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (c->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
    }
    h = curl_slist_append(h, "Expect:");
    if (c->chunked)
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
    if (c->header != NULL)
        h = curl_slist_append(h, c->header);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(curl);
    c->code = -(long)rc;
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c->code);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
}

static void call_done(struct call *c)
{
    buf_cleanup(&c->resp);
    buf_cleanup(&c->heads);
}

static bool has_header(const struct call *c, const char *line)
{
    return strcasestr(buf_cstr(&c->heads), line) != NULL;
}

static void test_request_and_response_fields(void **state)
{
    struct fx *f = *state;
    struct call c = {.method = "POST", .path = "/a/b?q=42", .body = "hello",
                     .header = "X-Probe: yes"};
    struct call busy = {.method = "GET", .path = "/busy"};

    do_call(f->port, &c);
    assert_int_equal(c.code, 200);
    assert_string_equal(buf_cstr(&c.resp), "{\"status\":\"hello\"}\n");
    assert_true(has_header(&c, "Content-Type: application/json"));
    assert_false(has_header(&c, "Retry-After"));
    assert_string_equal(f->seen.method, "POST");
    assert_string_equal(f->seen.path, "/a/b");          /* no query string */
    assert_string_equal(f->seen.query, "42");
    assert_string_equal(f->seen.header, "yes");          /* case-insensitive name */
    assert_string_equal(f->seen.body, "hello");
    do_call(f->port, &busy);
    assert_int_equal(busy.code, 503);
    assert_string_equal(buf_cstr(&busy.resp), "<busy/>");
    assert_true(has_header(&busy, "Retry-After: 7"));
    assert_true(has_header(&busy, "Allow: POST"));
    assert_true(has_header(&busy, "Content-Type: text/xml"));
    call_done(&c);
    call_done(&busy);
}

static void test_body_cap(void **state)
{
    static const char over[] = "0123456789012345678901234567890123456789012345678901234567890"
                               "123"; /* 64 bytes: the cap */
    struct fx *f = *state;
    struct call at = {.method = "POST", .path = "/x", .body = over};
    char more[80];
    struct call declared = {.method = "POST", .path = "/x", .body = more};
    struct call streamed = {.method = "POST", .path = "/x", .body = more, .chunked = true};

    snprintf(more, sizeof(more), "%s!", over);
    do_call(f->port, &at);
    assert_int_equal(at.code, 200);
    assert_int_equal(f->seen.calls, 1);
    do_call(f->port, &declared);
    assert_int_equal(declared.code, 413);
    assert_non_null(strstr(buf_cstr(&declared.resp), "request body too large"));
    do_call(f->port, &streamed);
    assert_int_equal(streamed.code, 413);
    assert_int_equal(f->seen.calls, 1); /* the handler never saw either */
    call_done(&at);
    call_done(&declared);
    call_done(&streamed);
}

static void test_drop_closes_without_answer(void **state)
{
    struct fx *f = *state;
    struct call c = {.method = "POST", .path = "/drop", .body = "payload"};
    struct call after = {.method = "GET", .path = "/ok"};

    do_call(f->port, &c);
    assert_int_equal(c.code, -(long)CURLE_GOT_NOTHING);
    assert_int_equal(f->seen.calls, 1);                 /* taken, then no reply */
    assert_string_equal(f->seen.body, "payload");
    do_call(f->port, &after);                           /* the server carries on */
    assert_int_equal(after.code, 200);
    call_done(&c);
    call_done(&after);
}

struct bg_call {
    int port;
    struct call c;
};

static void *bg_run(void *arg)
{
    struct bg_call *b = arg;

    do_call(b->port, &b->c);
    return NULL;
}

static void test_blocked_handler_holds_up_no_other(void **state)
{
    struct fx *f = *state;
    struct bg_call slow = {.port = f->port, .c = {.method = "GET", .path = "/block"}};
    struct call fast = {.method = "GET", .path = "/fast"};
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, bg_run, &slow), 0);
    pthread_mutex_lock(&f->seen.lock);
    while (!f->seen.blocked)
        pthread_cond_wait(&f->seen.cond, &f->seen.lock);
    pthread_mutex_unlock(&f->seen.lock);
    do_call(f->port, &fast);
    assert_int_equal(fast.code, 200);
    assert_true(http_server_connections(f->hs) >= 1); /* the blocked one */
    pthread_mutex_lock(&f->seen.lock);
    f->seen.release = true;
    pthread_cond_broadcast(&f->seen.cond);
    pthread_mutex_unlock(&f->seen.lock);
    pthread_join(th, NULL);
    assert_int_equal(slow.c.code, 200);
    call_done(&fast);
    call_done(&slow.c);
}

/* No server shares its port (no SO_REUSEPORT): a second one on a port in use fails. */
static void test_port_is_never_shared(void **state)
{
    struct fx *f = *state;
    struct http_server_opts o = {0};
    struct http_server *a;

    a = start(f, &o);
    assert_non_null(a);
    o.port = http_server_port(a);
    assert_null(start(f, &o));
    o.port = f->port; /* the fixture's thread-per-connection server */
    assert_null(start(f, &o));
    http_server_stop(a);
}

static void test_listen_addresses(void **state)
{
    struct fx *f = *state;
    struct http_server_opts o = {.host = "localhost"};
    struct errbuf err = {""};
    struct http_server *hs;
    struct call c = {.host = "localhost", .method = "GET", .path = "/named"};

    o.threads = 1;
    o.max_body_bytes = 64;
    o.handler = handler;
    o.ctx = &f->seen;
    assert_null(http_server_start(&o, &err)); /* the service wants an IPv4 literal */
    assert_non_null(strstr(err.msg, "could not parse listen address localhost (IPv4 expected)"));
    o.resolve_host = true; /* IPv4 or IPv6, whichever getaddrinfo puts first */
    hs = http_server_start(&o, &err);
    assert_non_null(hs);
    do_call(http_server_port(hs), &c);
    assert_int_equal(c.code, 200);
    http_server_stop(hs);
    call_done(&c);
    o.host = "::1";
    hs = http_server_start(&o, &err);
    if (hs == NULL) { /* a host without IPv6 */
        print_message("skipping IPv6: %s\n", err.msg);
        return;
    }
    c.host = "[::1]";
    do_call(http_server_port(hs), &c);
    assert_int_equal(c.code, 200);
    http_server_stop(hs);
    http_server_stop(NULL);
    call_done(&c);
}

static void test_quiet_server_records_no_metric(void **state)
{
    struct fx *f = *state; /* the fixture's server is not quiet */
    struct http_server_opts o = {.quiet = true};
    struct http_server *hs;
    struct call loud = {.method = "GET", .path = "/loud"};
    struct call hush = {.method = "GET", .path = "/hush"};
    struct buf text;

    metrics_reset();
    metrics_describe(DURATION, MET_HISTOGRAM, "request durations");
    hs = start(f, &o);
    assert_non_null(hs);
    do_call(f->port, &loud);
    do_call(http_server_port(hs), &hush);
    buf_init(&text, 0);
    metrics_render(&text);
    assert_non_null(strstr(buf_cstr(&text), DURATION "_count{route=\"echo\"} 1"));
    assert_null(strstr(buf_cstr(&text), "route=\"hush\""));
    http_server_stop(hs);
    buf_cleanup(&text);
    call_done(&loud);
    call_done(&hush);
    metrics_reset();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_request_and_response_fields),
        T(test_body_cap),
        T(test_drop_closes_without_answer),
        T(test_blocked_handler_holds_up_no_other),
        T(test_port_is_never_shared),
        T(test_listen_addresses),
        T(test_quiet_server_records_no_metric),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
