/*
 * sandbox_faults.c - faults, latency, the rate limit and the call log
 * every fake shares (see sandbox_faults.h).
 *
 * Faults are consumed in a fixed order, all under the lock: the rate limit
 * first (a call beyond it consumes no fault and does not use up the
 * window), then 429, then 500, then timeout. Each answers the call without
 * touching state and is logged with its HTTP code (0 for a hang). Latency
 * and hangs wait on a condition variable that sbx_fake_stop() broadcasts,
 * so stopping never waits out a 30 s hang.
 */
#include "sandbox_faults.h"

#include <stdio.h>
#include <string.h>

/* Sleeps up to ms unless the fake stops first. Call without the lock. */
void sbx_fake_wait_ms(struct sbx_fake *f, long ms)
{
    struct timespec until;

    if (ms <= 0)
        return;
    until = deadline_after_ms(ms);
    pthread_mutex_lock(&f->lock);
    while (!f->stopping && pthread_cond_timedwait(&f->wake, &f->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&f->lock);
}

void sbx_fake_log_call(struct sbx_fake *f, const char *op, const char *tmpl, long rows,
                       long response_id, int http_code)
{
    struct sbx_calls *log = &f->calls;
    struct sbx_call *c = &log->ring[log->n % SBX_CALL_LOG];
    size_t i;

    c->seq = ++log->n;
    c->at_ms = now_ms_wall();
    snprintf(c->op, sizeof(c->op), "%s", op);
    snprintf(c->tmpl, sizeof(c->tmpl), "%s", tmpl ? tmpl : "");
    c->rows = rows;
    c->response_id = response_id;
    c->http_code = http_code;
    for (i = 0; i < log->n_ops; i++) {
        if (strcmp(log->per_op[i].op, c->op) == 0)
            break;
    }
    if (i == log->n_ops && i < SBX_MAX_OPS) {
        memcpy(log->per_op[i].op, c->op, sizeof(c->op));
        log->per_op[i].n = 0;
        log->n_ops++;
    }
    if (i < log->n_ops)
        log->per_op[i].n++;
}

void sbx_rate_set(struct sbx_rate_limit *r, long calls, long window_ms)
{
    r->calls = calls < SBX_RATE_MAX_CALLS ? calls : SBX_RATE_MAX_CALLS;
    r->window_ms = window_ms > 0 ? window_ms : 15000;
    r->n = 0;
    r->next = 0;
}

/* Whether one more call fits the rate limit at now; records it when it does. */
static bool sbx_rate_admit(struct sbx_rate_limit *r, int64_t now)
{
    if (r->calls <= 0)
        return true;
    if (r->n == r->calls && now - r->at_ms[r->next] < r->window_ms) {
        r->refused++;
        return false;
    }
    r->at_ms[r->next] = now;
    r->next = (r->next + 1) % r->calls;
    if (r->n < r->calls)
        r->n++;
    return true;
}

/* Takes one from a pending fault count; whether there was one. */
static bool sbx_take(long *count)
{
    if (*count <= 0)
        return false;
    (*count)--;
    return true;
}

enum sbx_fault sbx_fake_take_fault(struct sbx_fake *f, const char *op, long *delay_ms)
{
    struct sbx_faults *ft = &f->faults;
    enum sbx_fault kind = SBX_FAULT_NONE;
    int code = 0;

    pthread_mutex_lock(&f->lock);
    if (!sbx_rate_admit(&f->rate, sbx_fake_now_ms(f))) {
        kind = SBX_FAULT_BUSY;
        code = 503;
    } else if (sbx_take(&ft->http_429)) {
        kind = SBX_FAULT_429;
        code = 429;
    } else if (sbx_take(&ft->http_500)) {
        kind = SBX_FAULT_500;
        code = 500;
    } else if (sbx_take(&ft->timeout)) {
        kind = SBX_FAULT_HANG;
    }
    if (kind != SBX_FAULT_NONE)
        sbx_fake_log_call(f, op, NULL, 0, 0, code);
    *delay_ms = f->opts.latency_ms + ft->slow_ms;
    pthread_mutex_unlock(&f->lock);
    return kind;
}

void sbx_fake_hang(struct sbx_fake *f, struct http_response *resp)
{
    sbx_fake_wait_ms(f, f->opts.hang_ms);
    resp->drop = true;
}

bool sbx_fake_take_drop(struct sbx_fake *f)
{
    return sbx_take(&f->faults.drop_after_apply);
}

void sbx_faults_reset(struct sbx_fake *f)
{
    memset(&f->faults, 0, sizeof(f->faults));
    memset(&f->calls, 0, sizeof(f->calls));
    memset(&f->rate, 0, sizeof(f->rate));
    sbx_rate_set(&f->rate, f->opts.rate_calls, f->opts.rate_window_ms);
}
