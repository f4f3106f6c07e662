/*
 * it_ratelimit.c - the shared token bucket against a real PostgreSQL.
 *
 * The store's one statement agrees with the domain arithmetic (a new
 * bucket is full, the wait after it is one token's refill); three
 * connections on three threads hammering one bucket for 3 s never get more
 * than burst + rate * elapsed tokens (and get close to it: the limiter is
 * not just refusing); a shrink on one connection is seen by takes on
 * another (half rate, Retry-After honoured); buckets of other APIs and
 * stores are separate; the limiter module counts its metrics and fails
 * closed when the database is unreachable; with the bucket short, a
 * high-priority taker and a low-priority one contending through the
 * Peoplevox hook (each thread's own priority): every high token is granted
 * before the low taker's first; an invalid PEOPLEVOX_RATE stops
 * `check-config` and `serve` with exit 2 and a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "it.h"
#include "it_cli_run.h"
#include "limiter.h"
#include "metrics.h"
#include "ratelimit.h"
#include "ratelimit_store.h"
#include "store.h"

#define EXIT_CONFIG 2
#define HAMMER_MS 3000
#define HAMMER_THREADS 3

static const char *db;

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static struct store_conn *conn(void)
{
    struct store_conn *c = store_conn_create(db);
    struct errbuf err = {""};

    assert_int_equal(store_ensure(c, &err), ST_OK);
    return c;
}

static struct ratelimit_grant take(struct store_conn *c, enum rl_api api, const char *shop,
                                   const struct rl_limits *l)
{
    struct ratelimit_grant g;
    struct errbuf err = {""};

    if (ratelimit_store_take(c, api, shop, l, RL_PRIO_HIGH, &g, &err) != ST_OK)
        fail_msg("take: %s", err.msg);
    return g;
}

static void test_new_bucket_is_full_then_waits_one_token(void **state)
{
    const struct rl_limits l = {2.0, 3.0}; /* 500 ms per token */
    struct store_conn *c = conn();
    struct ratelimit_grant g;

    for (int i = 0; i < 3; i++) {
        g = take(c, RL_API_PEOPLEVOX, "full.example", &l);
        assert_true(g.granted);
    }
    g = take(c, RL_API_PEOPLEVOX, "full.example", &l);
    assert_false(g.granted);
    /* the domain's wait for what is left: a little under 500 ms (time passed) */
    assert_true(g.wait_ms > 400 && g.wait_ms <= 500);
    assert_true(g.tokens >= 0 && g.tokens < 0.2);
    sleep_ms(g.wait_ms);
    assert_true(take(c, RL_API_PEOPLEVOX, "full.example", &l).granted);
    /* the same statement for another API and another store: separate, full buckets */
    assert_true(take(c, RL_API_SHOPLINE, "full.example", &l).granted);
    assert_true(take(c, RL_API_PEOPLEVOX, "other.example", &l).granted);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM rate_buckets"), 3);
    store_conn_destroy(c);
}

struct hammer {
    const struct rl_limits *l;
    const char *shop;
    atomic_long granted;
    atomic_long refused;
    int64_t until_ms;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    struct store_conn *c = store_conn_create(db);
    struct errbuf err = {""};

    while (now_ms_monotonic() < h->until_ms) {
        struct ratelimit_grant g;

        if (ratelimit_store_take(c, RL_API_PEOPLEVOX, h->shop, h->l, RL_PRIO_HIGH, &g, &err) !=
            ST_OK) {
            fprintf(stderr, "hammer: %s\n", err.msg);
            break;
        }
        if (g.granted) {
            atomic_fetch_add(&h->granted, 1);
        } else {
            atomic_fetch_add(&h->refused, 1);
            sleep_ms(g.wait_ms < 5 ? g.wait_ms : 5); /* come back early: contend */
        }
    }
    store_conn_destroy(c);
    return NULL;
}

static void test_three_connections_never_exceed_the_budget(void **state)
{
    const struct rl_limits l = {40.0, 10.0};
    struct hammer h = {&l, "hammer.example", 0, 0, 0};
    pthread_t t[HAMMER_THREADS];
    struct store_conn *c = conn();
    int64_t start, elapsed;
    double budget;
    long got;

    /* the bucket exists (full) before the clock starts */
    assert_true(take(c, RL_API_PEOPLEVOX, h.shop, &l).granted);
    start = now_ms_monotonic();
    h.until_ms = start + HAMMER_MS;
    for (int i = 0; i < HAMMER_THREADS; i++)
        pthread_create(&t[i], NULL, hammer_main, &h);
    for (int i = 0; i < HAMMER_THREADS; i++)
        pthread_join(t[i], NULL);
    elapsed = now_ms_monotonic() - start;
    got = atomic_load(&h.granted);
    budget = l.burst + l.rate_per_s * (double)elapsed / 1000.0;
    printf("hammer: %d connections, %lld ms: %ld granted, %ld refused, budget %.1f\n",
           HAMMER_THREADS, (long long)elapsed, got, atomic_load(&h.refused), budget);
    assert_true((double)got <= budget);
    assert_true((double)got >= 0.8 * l.rate_per_s * HAMMER_MS / 1000.0);
    assert_true(atomic_load(&h.refused) > 0);
    store_conn_destroy(c);
}

static void test_shrink_is_seen_by_every_connection(void **state)
{
    const struct rl_limits l = {10.0, 5.0}; /* 100 ms per token, 200 ms when shrunk */
    struct store_conn *a = conn(), *b = conn();
    struct errbuf err = {""};
    struct ratelimit_grant g;

    assert_true(take(b, RL_API_SHOPLINE, "shrink.example", &l).granted);
    assert_int_equal(ratelimit_store_shrink(a, RL_API_SHOPLINE, "shrink.example", &l, 0, &err),
                     ST_OK);
    g = take(b, RL_API_SHOPLINE, "shrink.example", &l);
    assert_false(g.granted); /* emptied, though 3 tokens were left */
    assert_true(g.wait_ms > 150 && g.wait_ms <= 200); /* half rate */
    sleep_ms(g.wait_ms);
    assert_true(take(b, RL_API_SHOPLINE, "shrink.example", &l).granted);
    assert_true(it_sql_long(db, "SELECT count(*) FROM rate_buckets WHERE shop = "
                                "'shrink.example' AND slow_until > clock_timestamp() + "
                                "interval '50 s'") == 1);

    /* a Retry-After of 1.5 s: no token before it, whatever the rate */
    assert_int_equal(ratelimit_store_shrink(a, RL_API_SHOPLINE, "shrink.example", &l, 1500, &err),
                     ST_OK);
    g = take(b, RL_API_SHOPLINE, "shrink.example", &l);
    assert_false(g.granted);
    assert_true(g.wait_ms > 1500 && g.wait_ms <= 1700);
    sleep_ms(1000);
    assert_false(take(b, RL_API_SHOPLINE, "shrink.example", &l).granted);
    /* a shrink of a bucket nobody took from yet creates it, empty */
    assert_int_equal(ratelimit_store_shrink(a, RL_API_PEOPLEVOX, "fresh.example", &l, 0, &err),
                     ST_OK);
    assert_false(take(b, RL_API_PEOPLEVOX, "fresh.example", &l).granted);
    store_conn_destroy(a);
    store_conn_destroy(b);
}

static void test_limiter_counts_and_fails_closed(void **state)
{
    struct limiter_opts o = {.database_url = db, .shop = "limiter.example", .connections = 2,
                             .limits = {{1.0, 2.0}, {4.0, 40.0}}};
    struct limiter *l = limiter_create(&o);
    struct errbuf err = {""};
    int64_t wait_ms = -1;

    assert_int_equal(limiter_take(l, RL_API_PEOPLEVOX, RL_PRIO_HIGH, &wait_ms, &err), ST_OK);
    assert_int_equal(wait_ms, 0);
    assert_int_equal(limiter_take(l, RL_API_PEOPLEVOX, RL_PRIO_HIGH, &wait_ms, &err), ST_OK);
    assert_int_equal(limiter_take(l, RL_API_PEOPLEVOX, RL_PRIO_HIGH, &wait_ms, &err), ST_RETRY);
    assert_true(wait_ms > 900 && wait_ms <= 1000);
    assert_string_equal(err.msg, "");
    assert_true(metrics_get("shopvox_ratelimit_granted_total", "api=\"peoplevox\"") == 2);
    assert_true(metrics_get("shopvox_ratelimit_waits_total", "api=\"peoplevox\"") == 1);
    assert_true(metrics_get("shopvox_ratelimit_tokens", "api=\"peoplevox\"") < 0.1);
    limiter_note_throttled(l, RL_API_SHOPLINE, 0);
    assert_true(metrics_get("shopvox_ratelimit_shrinks_total", "api=\"shopline\"") == 1);
    assert_int_equal(limiter_take(l, RL_API_SHOPLINE, RL_PRIO_HIGH, &wait_ms, &err), ST_RETRY);
    limiter_destroy(l);

    /* an unreachable database: no token, a wait, and why */
    o.database_url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1";
    l = limiter_create(&o);
    assert_int_equal(limiter_take(l, RL_API_PEOPLEVOX, RL_PRIO_HIGH, &wait_ms, &err), ST_RETRY);
    assert_int_equal(wait_ms, LIMITER_DB_RETRY_MS);
    assert_non_null(strstr(err.msg, "could not connect to database"));
    limiter_destroy(l);
}

#define PRIO_HIGH_TOKENS 20
#define PRIO_LOW_TOKENS 3

/* One taker of the priority test: its thread's priority, its wants, when it got each. */
struct prio_taker {
    struct pvx_limiter hook;
    enum rl_priority prio;
    int want;
    int64_t at_ms[PRIO_HIGH_TOKENS];
    int got;
    int64_t give_up_ms;
};

static void *prio_taker_main(void *arg)
{
    struct prio_taker *t = arg;

    limiter_set_thread_priority(t->prio);
    while (t->got < t->want && now_ms_monotonic() < t->give_up_ms) {
        struct errbuf err = {""};
        int64_t wait_ms = 0;

        if (t->hook.acquire(t->hook.ctx, &wait_ms, &err) == ST_OK)
            t->at_ms[t->got++] = now_ms_monotonic();
        else
            sleep_ms(wait_ms < 5 ? wait_ms : 5); /* come back early: contend */
    }
    return NULL;
}

static void test_high_priority_gets_its_tokens_first(void **state)
{
    struct limiter_opts o = {.database_url = db, .shop = "priority.example", .connections = 2,
                             .limits = {{20.0, 10.0}, {4.0, 40.0}}}; /* 50 ms per token */
    struct limiter *l = limiter_create(&o);
    struct prio_taker high = {.prio = RL_PRIO_HIGH, .want = PRIO_HIGH_TOKENS};
    struct prio_taker low = {.prio = RL_PRIO_LOW, .want = PRIO_LOW_TOKENS};
    struct errbuf err = {""};
    pthread_t th, tl;
    int64_t wait_ms = 0;

    /* the bucket short: emptied */
    while (limiter_take(l, RL_API_PEOPLEVOX, RL_PRIO_HIGH, &wait_ms, &err) == ST_OK)
        ;
    limiter_pvx(l, &high.hook);
    limiter_pvx(l, &low.hook);
    high.give_up_ms = low.give_up_ms = now_ms_monotonic() + 10000;
    pthread_create(&tl, NULL, prio_taker_main, &low);
    pthread_create(&th, NULL, prio_taker_main, &high);
    pthread_join(th, NULL);
    pthread_join(tl, NULL);
    printf("priorities: high got %d in %lld ms, low's first %lld ms after high's last\n",
           high.got, (long long)(high.at_ms[high.got - 1] - high.at_ms[0]),
           (long long)(low.got > 0 ? low.at_ms[0] - high.at_ms[high.got - 1] : -1));
    assert_int_equal(high.got, PRIO_HIGH_TOKENS);
    assert_int_equal(low.got, PRIO_LOW_TOKENS);
    /* the low taker waited for the whole high demand, though it asked as often */
    assert_true(low.at_ms[0] > high.at_ms[PRIO_HIGH_TOKENS - 1]);
    limiter_destroy(l);
}

/*
 * A thread that may wait (limiter_set_thread_wait: the full stock read)
 * sleeps in the hook until its token comes; without it, or with a wait
 * shorter than the bucket's, the hook answers at once with the wait; a
 * stop flag already set cuts the sleep.
 */
static void test_hook_waits_when_the_thread_may(void **state)
{
    struct limiter_opts o = {.database_url = db, .shop = "wait.example", .connections = 1,
                             .limits = {{4.0, 1.0}, {4.0, 40.0}}}; /* 250 ms per token */
    struct limiter *l = limiter_create(&o);
    struct pvx_limiter hook;
    struct errbuf err = {""};
    int64_t wait_ms = 0, t0;
    atomic_bool stop;

    (void)state;
    atomic_init(&stop, false);
    limiter_pvx(l, &hook);
    assert_int_equal(hook.acquire(hook.ctx, &wait_ms, &err), ST_OK); /* the burst of one */
    assert_int_equal(hook.acquire(hook.ctx, &wait_ms, &err), ST_RETRY); /* no wait allowed */
    assert_true(wait_ms > 0 && wait_ms <= 250);

    limiter_set_thread_wait(5000, &stop);
    t0 = now_ms_monotonic();
    assert_int_equal(hook.acquire(hook.ctx, &wait_ms, &err), ST_OK); /* slept for it */
    assert_true(now_ms_monotonic() - t0 >= 100);
    atomic_store(&stop, true);
    assert_int_equal(hook.acquire(hook.ctx, &wait_ms, &err), ST_RETRY); /* shutting down */
    limiter_set_thread_wait(0, NULL);
    limiter_destroy(l);
}

static void test_invalid_peoplevox_rate_exits_2(void **state)
{
    static const char *const check[] = {"check-config", NULL};
    static const char *const serve[] = {"serve", NULL};
    const char *env[32];
    struct it_cli_result r;
    size_t n = 0;

    for (; it_serve_env[n] != NULL; n++)
        env[n] = it_serve_env[n];
    env[n++] = "PEOPLEVOX_RATE=15/15m";
    env[n] = NULL;
    for (int i = 0; i < 2; i++) {
        it_cli_run_env(&r, db, env, i == 0 ? check : serve);
        assert_int_equal(r.exit_code, EXIT_CONFIG);
        assert_string_equal(r.err, "shopvox: 1 configuration problem:\n"
                                   "PEOPLEVOX_RATE=15/15m: expected CALLS/SECONDSs, e.g. 15/15s "
                                   "(CALLS 1..100000, SECONDS above 0 and at most 86400)\n");
        it_cli_result_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_bucket_is_full_then_waits_one_token),
        cmocka_unit_test(test_three_connections_never_exceed_the_budget),
        cmocka_unit_test(test_shrink_is_seen_by_every_connection),
        cmocka_unit_test(test_limiter_counts_and_fails_closed),
        cmocka_unit_test(test_high_priority_gets_its_tokens_first),
        cmocka_unit_test(test_hook_waits_when_the_thread_may),
        cmocka_unit_test(test_invalid_peoplevox_rate_exits_2),
    };

    it_require_db();
    db = it_db_create_migrated("ratelimit");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
