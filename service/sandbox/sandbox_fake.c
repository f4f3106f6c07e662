/*
 * sandbox_fake.c - the server every fake shares (see sandbox_fake.h).
 *
 * The HTTP side is the service's own adapter (http_server.c): it collects
 * the body under the cap, and a reply marked drop closes the connection
 * unanswered. Each connection has its own thread, so a fake may simply
 * block in its handler (latency, hangs: see sandbox_faults.c); stopping
 * first wakes every such wait, then stops the server, which waits for the
 * connection threads.
 */
#include "sandbox_fake.h"

#include <string.h>
#include <time.h>

#include "sandbox_control.h"
#include "sandbox_faults.h"

void sbx_reply_text(struct http_response *resp, int status, const char *msg)
{
    resp->status = status;
    resp->content_type = "text/plain; charset=utf-8";
    buf_reset(&resp->body);
    buf_append_str(&resp->body, msg);
}

/* The adapter's handler: the control API or the fake's own. */
static void sbx_fake_on_request(void *ctx, const struct http_request *req,
                                struct http_response *resp)
{
    struct sbx_fake *f = ctx;

    if (strncmp(req->path, SBX_CONTROL_PREFIX, strlen(SBX_CONTROL_PREFIX)) == 0)
        sbx_control_serve(f, req, resp);
    else
        f->hooks.serve(f->hooks.ctx, req, resp);
}

enum st sbx_fake_start(struct sbx_fake *f, const struct sbx_fake_opts *opts,
                       const struct sbx_fake_hooks *hooks, struct errbuf *err)
{
    struct http_server_opts ho = {
        .host = opts->host ? opts->host : "127.0.0.1", .port = opts->port,
        .max_body_bytes = SBX_MAX_BODY_BYTES, .handler = sbx_fake_on_request, .ctx = f,
        .thread_per_connection = true, .idle_timeout_s = 120,
        .resolve_host = true, .quiet = true,
    };

    memset(f, 0, sizeof(*f));
    f->hooks = *hooks;
    f->opts = *opts;
    f->opts.host = NULL;
    f->opts.latency_ms = opts->latency_ms > 0 ? opts->latency_ms : 0;
    f->opts.hang_ms = opts->hang_ms > 0 ? opts->hang_ms : 30000;
    f->opts.rate_calls = opts->rate_calls > 0 ? opts->rate_calls : 0;
    sbx_rate_set(&f->rate, f->opts.rate_calls, f->opts.rate_window_ms);
    pthread_mutex_init(&f->lock, NULL);
    cond_init_monotonic(&f->wake);
    f->http = http_server_start(&ho, err);
    if (f->http != NULL)
        return ST_OK;
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    return ST_FAIL;
}

int64_t sbx_fake_now_ms(const struct sbx_fake *f)
{
    return now_ms_from(f->opts.now_ms, f->opts.now_ctx);
}

int sbx_fake_port(const struct sbx_fake *f)
{
    return http_server_port(f->http);
}

void sbx_fake_stop(struct sbx_fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
    http_server_stop(f->http);
    f->http = NULL;
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
}
