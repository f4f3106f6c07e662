/*
 * it_jobs.c - the durable queue against a real PostgreSQL: dedupe, SKIP
 * LOCKED claims across connections, lease rescue, fencing, backoff to dead
 * with an exception, and an operator retry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "it.h"
#include "jobs.h"
#include "store.h"

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

static void test_claim_more_takes_due_jobs_of_one_kind_and_shop(void **state)
{
    struct job first, more[8], rest[8];
    struct errbuf err = {""};
    int n;

    it_sql_exec(db, "DELETE FROM jobs");
    for (int i = 0; i < 5; i++) {
        char key[16];

        snprintf(key, sizeof(key), "m%d", i);
        enqueue_as(IT_SHOP, "batch_kind", key);
    }
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enqueue_dedupes_live_jobs),
        cmocka_unit_test(test_two_connections_never_claim_the_same_job),
        cmocka_unit_test(test_expired_lease_is_rescued_and_fenced),
        cmocka_unit_test(test_retries_back_off_then_die_with_an_exception),
        cmocka_unit_test(test_permanent_failure_dies_at_once),
        cmocka_unit_test(test_claim_more_takes_due_jobs_of_one_kind_and_shop),
        cmocka_unit_test(test_enqueue_while_running_runs_once_more),
        cmocka_unit_test(test_rerun_requested_survives_a_dead_attempt),
        cmocka_unit_test(test_throttled_attempts_do_not_count),
        cmocka_unit_test(test_backoff_grows_and_is_capped),
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
