/*
 * it_jobs.c - the durable queue against a real PostgreSQL: dedupe, SKIP
 * LOCKED claims across connections, lease rescue, fencing, backoff to dead
 * with an exception, an operator retry, the lease heartbeat and shutdown
 * release by process, and the worker pool running kinds only from the
 * table it is given, with each kind's start hook run once before claiming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"
#include "jobs.h"
#include "store.h"
#include "worker.h"

static const char *db;
static struct store_conn *c1, *c2;

/* A handler's outcome as job_fail takes it (one static result per call site). */
static const struct job_result *it_result(enum st st, const char *why)
{
    static struct job_result r;

    memset(&r, 0, sizeof(r));
    r.st = st;
    snprintf(r.err.msg, sizeof(r.err.msg), "%s", why);
    return &r;
}

static void enqueue(const char *key, bool want_created)
{
    struct errbuf err = {""};
    bool created = !want_created;

    assert_int_equal(job_enqueue(c1, IT_SHOP, "test_kind", key, "{\"n\": 1}", 0, &created, &err),
                     ST_OK);
    assert_int_equal(created, want_created);
}

static void test_enqueue_dedupes_live_jobs(void **state)
{
    enqueue("a", true);
    enqueue("a", false);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE dedupe_key = 'a'"), 1);
}

static void test_two_connections_never_claim_the_same_job(void **state)
{
    struct job j1, j2, j3;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("b1", true);
    enqueue("b2", true);
    assert_int_equal(store_cmd(c1, "BEGIN", &err), ST_OK);
    assert_int_equal(job_claim(c1, "w1", 60, &j1, &err), 1);
    /* c1's transaction still holds the row lock: c2 must skip it */
    assert_int_equal(job_claim(c2, "w2", 60, &j2, &err), 1);
    assert_true(j1.id != j2.id);
    assert_int_equal(job_claim(c2, "w2", 60, &j3, &err), 0);
    assert_int_equal(store_cmd(c1, "COMMIT", &err), ST_OK);
    job_cleanup(&j1);
    job_cleanup(&j2);
}

static void test_expired_lease_is_rescued_and_fenced(void **state)
{
    struct job old, fresh;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("c", true);
    assert_int_equal(job_claim(c1, "dead-worker", 60, &old, &err), 1);
    assert_int_equal(job_claim(c2, "w2", 60, &fresh, &err), 0);
    it_sql_exec(db, "UPDATE jobs SET lease_until = now() - interval '1 second'");
    assert_int_equal(job_claim(c2, "w2", 60, &fresh, &err), 1);
    assert_int_equal(fresh.id, old.id);
    assert_int_equal(fresh.attempts, 2);
    /* the old attempt finishing late must not mark the job done */
    assert_int_equal(job_complete(c1, &old, &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
    assert_int_equal(job_complete(c2, &fresh, &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
    job_cleanup(&old);
    job_cleanup(&fresh);
}

static void test_retries_back_off_then_die_with_an_exception(void **state)
{
    struct job j;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("d", true);
    it_sql_exec(db, "UPDATE jobs SET max_attempts = 2");
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_int_equal(job_fail(c1, &j, it_result(ST_RETRY, "peoplevox timed out"), &err), ST_OK);
    job_cleanup(&j);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending' AND "
                                     "run_at > now() + interval '400 milliseconds'"),
                     1);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 0); /* not due yet */
    it_sql_exec(db, "UPDATE jobs SET run_at = now()");
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_int_equal(job_fail(c1, &j, it_result(ST_RETRY, "peoplevox timed out again"), &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = 'job_dead' "
                                     "AND state = 'open' AND detail LIKE '%timed out again%'"),
                     1);
    assert_int_equal(job_retry(c1, j.id, &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending' AND "
                                     "attempts = 0"),
                     1);
    job_cleanup(&j);
}

static void test_permanent_failure_dies_at_once(void **state)
{
    struct job j;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("e", true);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_int_equal(job_fail(c1, &j, it_result(ST_FAIL, "rejected"), &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 1);
    job_cleanup(&j);
}

static void enqueue_as(const char *shop, const char *kind, const char *key)
{
    struct errbuf err = {""};

    assert_int_equal(job_enqueue(c1, shop, kind, key, "{}", 0, NULL, &err), ST_OK);
}

/* Enqueues n jobs of kind for IT_SHOP, keyed prefix0 .. prefix<n-1>. */
static void enqueue_n(const char *kind, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char key[32];

        snprintf(key, sizeof(key), "%s%d", prefix, i);
        enqueue_as(IT_SHOP, kind, key);
    }
}

static void test_claim_more_takes_due_jobs_of_one_kind_and_shop(void **state)
{
    struct job first, more[8], rest[8];
    struct errbuf err = {""};
    int n;

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue_n("batch_kind", "m", 5);
    enqueue_as(IT_SHOP, "other_kind", "o1");
    enqueue_as("other.myshopline.com", "batch_kind", "s1");
    enqueue_as(IT_SHOP, "batch_kind", "later");
    it_sql_exec(db, "UPDATE jobs SET run_at = now() + interval '1 hour' WHERE dedupe_key = 'later'");
    assert_int_equal(job_claim(c1, "w1", 60, &first, &err), 1);
    assert_string_equal(first.dedupe_key, "m0");

    /* c2 holds two of them in an open transaction: c1 must skip those rows */
    assert_int_equal(store_cmd(c2, "BEGIN", &err), ST_OK);
    assert_int_equal(job_claim_more(c2, "w2", 60, "batch_kind", IT_SHOP, 2, rest, &err), 2);
    assert_int_equal(job_claim_more(c1, "w1", 60, "batch_kind", IT_SHOP, 8, more, &err), 2);
    assert_int_equal(store_cmd(c2, "COMMIT", &err), ST_OK);
    assert_string_equal(rest[0].dedupe_key, "m1");
    assert_string_equal(rest[1].dedupe_key, "m2");
    assert_string_equal(more[0].dedupe_key, "m3");
    assert_string_equal(more[1].dedupe_key, "m4");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(more[i].attempts, 1);
        assert_non_null(more[i].payload);
    }
    /* nothing else is due for that kind and shop; the lease is each job's own */
    assert_int_equal(job_claim_more(c1, "w1", 60, "batch_kind", IT_SHOP, 8, rest + 2, &err), 0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'running' AND "
                                     "locked_by = 'w1' AND lease_until > now()"),
                     3);
    assert_int_equal(job_complete(c1, &more[0], &err), ST_OK);
    assert_int_equal(job_fail(c1, &more[1], it_result(ST_RETRY, "later"), &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
    n = (int)it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending'");
    assert_int_equal(n, 4); /* other kind, other shop, later, and the retried one */
    job_cleanup(&first);
    for (int i = 0; i < 2; i++) {
        job_cleanup(&more[i]);
        job_cleanup(&rest[i]);
    }
}

/* A job of the kind whose lease lapsed is taken again, in run_at order with the due ones. */
static void test_claim_more_rescues_lapsed_leases_in_order(void **state)
{
    struct job dead, got[2], last;
    struct errbuf err = {""};

    (void)state;
    it_sql_exec(db, "DELETE FROM jobs");
    enqueue_n("batch_kind", "m", 3);
    assert_int_equal(job_claim_more(c1, "dead-worker", 60, "batch_kind", IT_SHOP, 1, &dead, &err),
                     1);
    assert_string_equal(dead.dedupe_key, "m0");
    it_sql_exec(db, "UPDATE jobs SET lease_until = now() - interval '1 second', "
                    "run_at = now() - interval '1 hour' WHERE dedupe_key = 'm0'");
    assert_int_equal(job_claim_more(c2, "w2", 60, "batch_kind", IT_SHOP, 2, got, &err), 2);
    assert_string_equal(got[0].dedupe_key, "m0");
    assert_int_equal(got[0].attempts, 2);
    assert_string_equal(got[1].dedupe_key, "m1");
    /* the locks of rows picked and not taken ended with the claim */
    assert_int_equal(job_claim_more(c1, "w1", 60, "batch_kind", IT_SHOP, 8, &last, &err), 1);
    assert_string_equal(last.dedupe_key, "m2");
    job_cleanup(&dead);
    job_cleanup(&last);
    for (int i = 0; i < 2; i++)
        job_cleanup(&got[i]);
}

/* A request for work while its job runs is kept: the job runs once more. */
static void test_enqueue_while_running_runs_once_more(void **state)
{
    struct job j;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("r", true);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    enqueue("r", false); /* e.g. a catalogue sync re-checking the order meanwhile */
    enqueue("r", false);
    assert_int_equal(job_complete(c1, &j, &err), ST_OK);
    job_cleanup(&j);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending' AND "
                                     "run_at <= now() AND NOT rerun_requested"),
                     1);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_int_equal(j.attempts, 2);
    assert_int_equal(job_counted_attempts(&j), 1); /* a fresh budget */
    assert_int_equal(job_complete(c1, &j, &err), ST_OK);
    job_cleanup(&j);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'done'"), 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs"), 1);

    /* a pending job needs no mark: it will see the change when it runs */
    enqueue("p", true);
    enqueue("p", false);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE rerun_requested"), 0);
    /* but one waiting for later (a backoff, a wait) is brought forward */
    it_sql_exec(db, "UPDATE jobs SET run_at = now() + interval '1 hour' WHERE dedupe_key = 'p'");
    enqueue("p", false);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE dedupe_key = 'p' AND "
                                     "run_at <= now()"),
                     1);
}

/* A re-run requested while the job fails for good is queued beside the dead job. */
static void test_rerun_requested_survives_a_dead_attempt(void **state)
{
    struct job j;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("x", true);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    enqueue("x", false);
    assert_int_equal(job_fail(c1, &j, it_result(ST_FAIL, "rejected"), &err), ST_OK);
    job_cleanup(&j);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending' AND "
                                     "dedupe_key = 'x' AND attempts = 0"),
                     1);
}

/* Throttled attempts never use up the budget; other retries still do. */
static void test_throttled_attempts_do_not_count(void **state)
{
    struct job_result r;
    struct job j;
    struct errbuf err = {""};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("t", true);
    it_sql_exec(db, "UPDATE jobs SET max_attempts = 2");
    memset(&r, 0, sizeof(r));
    r.st = ST_RETRY;
    r.throttled = true;
    r.retry_delay_ms = 1;
    snprintf(r.err.msg, sizeof(r.err.msg), "peoplevox: server too busy");
    for (int i = 0; i < 5; i++) {
        it_sql_exec(db, "UPDATE jobs SET run_at = now()");
        assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
        assert_int_equal(job_fail(c1, &j, &r, &err), ST_OK);
        job_cleanup(&j);
    }
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending' AND "
                                     "attempts = 5 AND uncounted_attempts = 5"),
                     1);
    for (int i = 0; i < 2; i++) {
        it_sql_exec(db, "UPDATE jobs SET run_at = now()");
        assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
        assert_int_equal(job_fail(c1, &j, it_result(ST_RETRY, "timed out"), &err), ST_OK);
        job_cleanup(&j);
    }
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'dead'"), 1);
}

static void test_backoff_grows_and_is_capped(void **state)
{
    for (int a = 1; a < 40; a++) {
        int64_t d = job_backoff_ms(a);

        assert_true(d >= 500);
        assert_true(d <= 5 * 60 * 1000);
    }
    assert_true(job_backoff_ms(8) > job_backoff_ms(1));
}

/* A process's leases are extended and released by its worker-id prefix only. */
static void test_leases_are_extended_and_released_by_owner(void **state)
{
    struct job j;
    struct errbuf err = {""};
    const char *owners[3] = {"host-a:1:w0", "host-a:1:w1", "host-b:2:w0"};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue("l0", true);
    enqueue("l1", true);
    enqueue("l2", true);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(job_claim(c1, owners[i], 1, &j, &err), 1);
        job_cleanup(&j);
    }
    assert_int_equal(job_extend_leases(c1, "host-a:1:", 600, &err), ST_OK);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'running' AND "
                                     "lease_until > now() + interval '500 seconds'"),
                     2);
    assert_int_equal(job_release_owned(c1, "host-a:1:", &err), 2);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'pending' AND "
                                     "locked_by IS NULL AND lease_until IS NULL AND "
                                     "run_at <= now() AND uncounted_attempts = 1 AND "
                                     "last_error = 'released at shutdown'"),
                     2);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'running' AND "
                                     "locked_by = 'host-b:2:w0'"),
                     1);
    assert_int_equal(job_release_owned(c1, "host-a:1:", &err), 0);
}

/* ---- the worker pool, with test-only kinds registered through its table ---- */

static int ran_one, ran_batches, ran_batched_jobs;

static void count_one(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    (void)w;
    (void)j;
    ran_one++;
    r->st = ST_OK;
}

static void count_batch(struct worker_ctx *w, const struct job *jobs, size_t n,
                        struct job_result *results)
{
    (void)w;
    (void)jobs;
    ran_batches++;
    ran_batched_jobs += (int)n;
    for (size_t i = 0; i < n; i++)
        results[i].st = ST_OK;
}

static int pool_max_attempts = 12;

static void always_retry(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    (void)w;
    (void)j;
    r->st = ST_RETRY;
    r->retry_delay_ms = 1;
    snprintf(r->err.msg, sizeof(r->err.msg), "still failing");
}

static int run_pool(const struct job_kind *kinds, size_t n_kinds, int batch_max)
{
    struct cfg cfg;
    struct worker_ctx w = {&cfg, c1, NULL, NULL, "it-jobs:w0", NULL, NULL, NULL};

    memset(&cfg, 0, sizeof(cfg));
    cfg.job_lease_s = 60;
    cfg.job_max_attempts = pool_max_attempts;
    cfg.pvx_batch_max = batch_max;
    ran_one = ran_batches = ran_batched_jobs = 0;
    return worker_run_until_idle(&w, kinds, n_kinds, 100);
}

/* A kind known only from the table runs; a kind missing from it dies with "no handler". */
static void test_pool_runs_only_the_kinds_of_its_table(void **state)
{
    static const struct job_kind kinds[] = {
        {"counted_kind", count_one, NULL, NULL, RL_PRIO_NORMAL}};

    it_sql_exec(db, "DELETE FROM jobs");
    it_sql_exec(db, "DELETE FROM exceptions");
    enqueue_n("counted_kind", "k", 3);
    enqueue_as(IT_SHOP, "unknown_kind", "u");
    assert_int_equal(run_pool(kinds, ARRAY_LEN(kinds), 1), 4);
    assert_int_equal(ran_one, 3);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE kind = 'counted_kind' "
                                     "AND state = 'done'"),
                     3);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE kind = 'unknown_kind' "
                                     "AND state = 'dead' AND attempts = 1 AND "
                                     "last_error = 'no handler for job kind unknown_kind'"),
                     1);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM exceptions WHERE type = 'job_dead' "
                                     "AND detail LIKE '%no handler for job kind unknown_kind%'"),
                     1);
    assert_int_equal(run_pool(kinds, ARRAY_LEN(kinds), 1), 0); /* idle */
}

/* A batch handler takes up to batch_max jobs per call, and only when batch_max > 1. */
static void test_pool_batches_only_when_batch_max_above_one(void **state)
{
    static const struct job_kind kinds[] = {
        {"batched_kind", count_one, count_batch, NULL, RL_PRIO_NORMAL}};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue_n("batched_kind", "b", 5);
    assert_int_equal(run_pool(kinds, ARRAY_LEN(kinds), 4), 5);
    assert_int_equal(ran_batches, 2); /* 4 + 1 */
    assert_int_equal(ran_batched_jobs, 5);
    assert_int_equal(ran_one, 0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE state = 'done'"), 5);

    enqueue_as(IT_SHOP, "batched_kind", "single");
    assert_int_equal(run_pool(kinds, ARRAY_LEN(kinds), 1), 1);
    assert_int_equal(ran_batches, 0);
    assert_int_equal(ran_one, 1);
}

/* SHOPVOX_JOB_MAX_ATTEMPTS applies to every job, whatever its row was created with. */
static void test_max_attempts_setting_applies_to_queued_jobs(void **state)
{
    static const struct job_kind kinds[] = {
        {"retry_kind", always_retry, NULL, NULL, RL_PRIO_NORMAL}};

    it_sql_exec(db, "DELETE FROM jobs");
    enqueue_n("retry_kind", "r", 1); /* the row says max_attempts 12 */
    pool_max_attempts = 2;
    for (int i = 0; i < 5; i++) {
        run_pool(kinds, ARRAY_LEN(kinds), 1);
        it_sql_exec(db, "UPDATE jobs SET run_at = now() WHERE state = 'pending'");
    }
    pool_max_attempts = 12;
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM jobs WHERE kind = 'retry_kind' AND "
                                     "state = 'dead' AND attempts = 2"),
                     1);
}

static atomic_int warm_calls;    /* start hooks run */
static atomic_int warm_seen = -1; /* warm_calls when the first job ran */

static void count_warm(struct worker_ctx *w)
{
    (void)w;
    atomic_fetch_add(&warm_calls, 1);
}

static void note_warm(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    (void)w;
    (void)j;
    atomic_store(&warm_seen, atomic_load(&warm_calls));
    r->st = ST_OK;
}

static bool warm_job_done(void *arg)
{
    (void)arg;
    return it_sql_long(db, "SELECT count(*) FROM jobs WHERE kind = 'warm_kind' "
                           "AND state = 'done'") == 1;
}

/* A kind's start hook runs once per pool (not once per worker), before the first claim. */
/*
 * The start hook runs once per pool, on worker 0 before it claims (with one
 * worker: before any job runs). With several workers another one may claim
 * first (job_handler.h: handlers cope without the hook), so only "once" is
 * checked there.
 */
static void test_pool_runs_start_hooks_once_before_claiming(void **state)
{
    static const struct job_kind kinds[] = {
        {"warm_kind", note_warm, NULL, count_warm, RL_PRIO_NORMAL}};
    static const int workers[] = {1, 3};
    struct cfg cfg;
    struct worker_pool *p;

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(workers); i++) {
        it_sql_exec(db, "DELETE FROM jobs");
        atomic_store(&warm_calls, 0);
        atomic_store(&warm_seen, -1);
        enqueue_n("warm_kind", "h", 1);
        memset(&cfg, 0, sizeof(cfg));
        cfg.database_url = xstrdup(db);
        cfg.workers = workers[i];
        cfg.job_lease_s = 60;
        cfg.job_max_attempts = 12;
        cfg.pvx_batch_max = 1;
        cfg.shutdown_deadline_s = 5;
        p = worker_pool_start(&cfg, NULL, NULL, NULL, kinds, ARRAY_LEN(kinds));
        assert_true(it_wait_until(warm_job_done, NULL, 10000));
        worker_pool_stop(p);
        free(cfg.database_url);
        assert_int_equal(atomic_load(&warm_calls), 1);
        if (workers[i] == 1)
            assert_int_equal(atomic_load(&warm_seen), 1);
    }
}

/*
 * A stock take's thousands of LOW jobs, due for a while, never delay a HIGH
 * one enqueued after them: the claim takes the lowest rank first, then the
 * oldest; an unregistered kind is NORMAL, between the two.
 */
static void test_claim_takes_high_priority_kinds_first(void **state)
{
    struct errbuf err = {""};
    struct job j;

    (void)state;
    it_sql_exec(db, "DELETE FROM jobs");
    job_kind_priority_set("test_low", RL_PRIO_LOW);
    job_kind_priority_set("test_high", RL_PRIO_HIGH);
    for (int i = 0; i < 50; i++) {
        char key[16];

        snprintf(key, sizeof(key), "low%d", i);
        assert_int_equal(job_enqueue(c1, IT_SHOP, "test_low", key, NULL, 0, NULL, &err), ST_OK);
    }
    enqueue("normal", true);
    assert_int_equal(job_enqueue(c1, IT_SHOP, "test_high", "high", NULL, 0, NULL, &err), ST_OK);
    it_sql_exec(db, "UPDATE jobs SET run_at = run_at - interval '1 minute' WHERE kind = 'test_low'");
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_string_equal(j.kind, "test_high");
    job_cleanup(&j);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_string_equal(j.kind, "test_kind");
    job_cleanup(&j);
    assert_int_equal(job_claim(c1, "w1", 60, &j, &err), 1);
    assert_string_equal(j.kind, "test_low");
    assert_string_equal(j.dedupe_key, "low0"); /* oldest first within a rank */
    job_cleanup(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enqueue_dedupes_live_jobs),
        cmocka_unit_test(test_two_connections_never_claim_the_same_job),
        cmocka_unit_test(test_expired_lease_is_rescued_and_fenced),
        cmocka_unit_test(test_retries_back_off_then_die_with_an_exception),
        cmocka_unit_test(test_permanent_failure_dies_at_once),
        cmocka_unit_test(test_claim_more_takes_due_jobs_of_one_kind_and_shop),
        cmocka_unit_test(test_claim_more_rescues_lapsed_leases_in_order),
        cmocka_unit_test(test_enqueue_while_running_runs_once_more),
        cmocka_unit_test(test_rerun_requested_survives_a_dead_attempt),
        cmocka_unit_test(test_throttled_attempts_do_not_count),
        cmocka_unit_test(test_backoff_grows_and_is_capped),
        cmocka_unit_test(test_leases_are_extended_and_released_by_owner),
        cmocka_unit_test(test_pool_runs_only_the_kinds_of_its_table),
        cmocka_unit_test(test_pool_batches_only_when_batch_max_above_one),
        cmocka_unit_test(test_max_attempts_setting_applies_to_queued_jobs),
        cmocka_unit_test(test_pool_runs_start_hooks_once_before_claiming),
        cmocka_unit_test(test_claim_takes_high_priority_kinds_first),
    };
    int rc;

    it_require_db();
    db = it_db_create_migrated("jobs");
    c1 = store_conn_create(db);
    c2 = store_conn_create(db);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    store_conn_destroy(c1);
    store_conn_destroy(c2);
    return rc;
}
