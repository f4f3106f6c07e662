/*
 * limiter.c - the shared outbound rate limiter (see limiter.h).
 *
 * A thin layer over the rate_buckets store: a pool of connections of its
 * own (a take is one short statement; callers are worker threads in the
 * middle of a job whose own connection may be busy), the per-API limits,
 * the metrics, and the Peoplevox client's hook (which takes at the
 * priority the worker set for its thread). Waiting is the caller's
 * decision: the Peoplevox client sleeps for short waits and reschedules
 * the job for long ones (pvx_http.c).
 */
#include "limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "metrics.h"
#include "ratelimit_store.h"
#include "store.h"

#define LIMITER_POOL_WAIT_MS 1000
#define MET_GRANTED "shopvox_ratelimit_granted_total"
#define MET_WAITS "shopvox_ratelimit_waits_total"
#define MET_SHRINKS "shopvox_ratelimit_shrinks_total"
#define MET_TOKENS "shopvox_ratelimit_tokens"
#define MET_PAUSED "shopvox_ratelimit_paused_total"

struct limiter {
    struct store_pool *pool;
    char *shop;
    struct rl_limits limits[RL_API_COUNT];
};

static void limiter_labels(enum rl_api api, char *out, size_t cap)
{
    snprintf(out, cap, "api=\"%s\"", rl_api_name(api));
}

static void limiter_metrics_init(void)
{
    char labels[32];

    /* literal names: deploy.check finds every described family in the README */
    metrics_describe("shopvox_ratelimit_granted_total", MET_COUNTER, "Outbound calls that got a token, by API");
    metrics_describe("shopvox_ratelimit_waits_total", MET_COUNTER,
                     "Token requests that found the shared bucket empty, by API");
    metrics_describe("shopvox_ratelimit_shrinks_total", MET_COUNTER,
                     "Refusals for load that shrank the shared bucket, by API");
    metrics_describe("shopvox_ratelimit_paused_total", MET_COUNTER,
                     "Token requests refused because the shop's outbound calls are paused, by API");
    metrics_describe("shopvox_ratelimit_tokens", MET_GAUGE,
                     "Tokens left in the shared bucket after this replica's last take, by API");
    for (int a = 0; a < RL_API_COUNT; a++) {
        limiter_labels((enum rl_api)a, labels, sizeof(labels));
        metrics_add(MET_GRANTED, labels, 0);
        metrics_add(MET_WAITS, labels, 0);
        metrics_add(MET_SHRINKS, labels, 0);
        metrics_add(MET_PAUSED, labels, 0);
    }
}

struct limiter *limiter_create(const struct limiter_opts *o)
{
    struct limiter *l = xcalloc(1, sizeof(*l));

    l->pool = store_pool_create(o->database_url, o->connections > 0 ? o->connections : 1);
    l->shop = xstrdup(o->shop);
    for (int a = 0; a < RL_API_COUNT; a++)
        l->limits[a] = o->limits[a];
    limiter_metrics_init();
    return l;
}

void limiter_destroy(struct limiter *l)
{
    if (l == NULL)
        return;
    store_pool_destroy(l->pool);
    free(l->shop);
    free(l);
}

/* A connection of the pool, connected; NULL with err set. Give it back with store_pool_release. */
static struct store_conn *limiter_conn(struct limiter *l, struct errbuf *err)
{
    struct store_conn *c = store_pool_acquire(l->pool, LIMITER_POOL_WAIT_MS);

    if (c == NULL)
        errbuf_set(err, "no rate limiter connection free within %d ms", LIMITER_POOL_WAIT_MS);
    else if (store_ensure(c, err) != ST_OK) {
        store_pool_release(l->pool, c);
        c = NULL;
    }
    return c;
}

/* The priority of the calling thread's Peoplevox calls (limiter_set_thread_priority). */
static _Thread_local enum rl_priority limiter_thread_prio = RL_PRIO_NORMAL;

void limiter_set_thread_priority(enum rl_priority prio)
{
    limiter_thread_prio = prio;
}

enum st limiter_take(struct limiter *l, enum rl_api api, enum rl_priority prio,
                     int64_t *wait_ms, struct errbuf *err)
{
    struct store_conn *c = limiter_conn(l, err);
    struct ratelimit_grant g = {false, 0, 0, false};
    char labels[32];
    enum st st = ST_RETRY;

    *wait_ms = LIMITER_DB_RETRY_MS;
    if (c != NULL)
        st = ratelimit_store_take(c, api, l->shop, &l->limits[api], prio, &g, err);
    store_pool_release(l->pool, c);
    if (st != ST_OK)
        return ST_RETRY;
    limiter_labels(api, labels, sizeof(labels));
    if (g.paused) {
        metrics_inc(MET_PAUSED, labels);
        *wait_ms = LIMITER_PAUSED_RETRY_MS;
        errbuf_set(err, "outbound calls to %s are paused for %s (the app is uninstalled)",
                   rl_api_name(api), l->shop);
        return ST_RETRY;
    }
    metrics_set(MET_TOKENS, labels, g.tokens);
    if (g.granted) {
        metrics_inc(MET_GRANTED, labels);
        *wait_ms = 0;
        return ST_OK;
    }
    metrics_inc(MET_WAITS, labels);
    *wait_ms = g.wait_ms;
    return ST_RETRY;
}

bool limiter_nap_ms(const atomic_bool *stopping, int64_t ms)
{
    while (ms > 0 && (stopping == NULL || !atomic_load(stopping))) {
        int64_t step = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)step * 1000000L};

        nanosleep(&ts, NULL);
        ms -= step;
    }
    return stopping == NULL || !atomic_load(stopping);
}

enum st limiter_take_waiting(struct limiter *l, enum rl_api api, enum rl_priority prio,
                             int64_t sleep_max_ms, const atomic_bool *stopping,
                             int64_t *wait_ms, struct errbuf *err)
{
    int64_t slept = 0;

    *wait_ms = 0;
    if (l == NULL)
        return ST_OK;
    while (limiter_take(l, api, prio, wait_ms, err) != ST_OK) {
        if (err->msg[0] != '\0' || slept + *wait_ms > sleep_max_ms ||
            !limiter_nap_ms(stopping, *wait_ms))
            return ST_RETRY;
        slept += *wait_ms;
    }
    return ST_OK;
}

void limiter_note_throttled(struct limiter *l, enum rl_api api, int64_t retry_after_ms)
{
    struct errbuf err = {""};
    struct store_conn *c = limiter_conn(l, &err);
    char labels[32];
    enum st st = ST_RETRY;

    if (c != NULL)
        st = ratelimit_store_shrink(c, api, l->shop, &l->limits[api], retry_after_ms, &err);
    store_pool_release(l->pool, c);
    limiter_labels(api, labels, sizeof(labels));
    if (st != ST_OK) {
        log_event(LOG_WARN, "ratelimit_shrink_failed", "api", rl_api_name(api), "error", err.msg,
                  NULL);
        return;
    }
    metrics_inc(MET_SHRINKS, labels);
    log_event(LOG_INFO, "ratelimit_shrink", "api", rl_api_name(api),
              LOG_I64("retry_after_ms", retry_after_ms), NULL);
}

static _Thread_local int64_t limiter_thread_wait_ms;
static _Thread_local const atomic_bool *limiter_thread_stopping;

void limiter_set_thread_wait(int64_t max_ms, const atomic_bool *stopping)
{
    limiter_thread_wait_ms = max_ms > 0 ? max_ms : 0;
    limiter_thread_stopping = stopping;
}

static enum st limiter_pvx_acquire(void *ctx, int64_t *wait_ms, struct errbuf *err)
{
    if (limiter_thread_wait_ms > 0)
        return limiter_take_waiting(ctx, RL_API_PEOPLEVOX, limiter_thread_prio,
                                    limiter_thread_wait_ms, limiter_thread_stopping, wait_ms, err);
    return limiter_take(ctx, RL_API_PEOPLEVOX, limiter_thread_prio, wait_ms, err);
}

static void limiter_pvx_throttled(void *ctx, int64_t retry_after_ms)
{
    limiter_note_throttled(ctx, RL_API_PEOPLEVOX, retry_after_ms);
}

void limiter_pvx(struct limiter *l, struct pvx_limiter *out)
{
    out->acquire = limiter_pvx_acquire;
    out->throttled = limiter_pvx_throttled;
    out->ctx = l;
}
