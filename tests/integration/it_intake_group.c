/*
 * it_intake_group.c - group commit of webhook deliveries (intake_group.h).
 *
 * One transaction holding a duplicate, a stale, a failed and two versions
 * of one order among good deliveries gives each exactly the outcome a
 * transaction of its own gave, and the later version sees the earlier's
 * effect; many threads through the committers give the same; and a
 * SIGKILL of the real binary while groups are being committed under load
 * loses no webhook that was answered 200 (inline, or stored as pending
 * and applied by the next start); and a group whose COMMIT fails
 * answers none of its deliveries as stored and leaves none half-stored.
 */
#include <pthread.h>
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
#include "intake.h"
#include "intake_group.h"
#include "it.h"
#include "store.h"

static const char *db;

static char *mug_order(const char *id, const char *status, const char *updated_at)
{
    return it_mug_order("#G", id, status, updated_at);
}

static struct intake_request request(const char *wid, const char *body)
{
    return (struct intake_request){IT_SHOP, wid, "orders/updated", "v20260301", "{}", body,
                                   strlen(body), "paid", false, NULL, NULL};
}

/* One delivery under its savepoint in the open transaction of c. */
static enum intake_outcome nested(struct store_conn *c, const char *wid, const char *body,
                                  const char *want_state)
{
    struct intake_request r = request(wid, body);
    struct intake_result out;
    struct errbuf err = {""};
    bool lost = true;

    if (intake_process_nested(c, &r, &out, &lost, &err) != ST_OK)
        fail_msg("delivery %s: %s", wid, err.msg);
    assert_false(lost);
    if (want_state != NULL)
        assert_string_equal(out.order_state, want_state);
    return out.outcome;
}

static void test_one_group_gives_each_delivery_its_own_outcome(void **state)
{
    struct store_conn *c = store_conn_create(db);
    struct errbuf err = {""};
    char *v1 = mug_order("9101", "pending", "2026-11-26T10:00:00+00:00");
    char *old = mug_order("9101", "pending", "2026-11-26T09:00:00+00:00");
    char *v2 = mug_order("9101", "paid", "2026-11-26T11:00:00+00:00");
    char *other = mug_order("9102", "paid", "2026-11-26T10:00:00+00:00");

    assert_int_equal(store_cmd(c, "BEGIN", &err), ST_OK);
    assert_int_equal(nested(c, "grp-1", v1, "awaiting_payment"), INTAKE_STORED);
    assert_int_equal(nested(c, "grp-1", v1, NULL), INTAKE_DUPLICATE);
    assert_int_equal(nested(c, "grp-3", old, "awaiting_payment"), INTAKE_STALE);
    assert_int_equal(nested(c, "grp-4", "{not json", NULL), INTAKE_FAILED);
    /* the same order again: the group's transaction holds its row, v1 is seen */
    assert_int_equal(nested(c, "grp-5", v2, "ready"), INTAKE_STORED);
    assert_int_equal(nested(c, "grp-6", other, "ready"), INTAKE_STORED);
    assert_int_equal(store_cmd(c, "COMMIT", &err), ST_OK);

    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE '%s'",
                           "grp-%"), 5);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id = '%s' "
                           "AND outcome = 'stale'", "grp-3"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id = '%s' "
                           "AND outcome = 'failed'", "grp-4"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE type = 'invalid_webhook' "
                           "AND subject = '%s'", "grp-4"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM orders WHERE shopline_order_id = '%s' AND "
                           "state = 'ready'", "9101"), 1);
    /* received, then awaiting_payment -> ready: two events, one post job */
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM order_events e JOIN orders o ON o.id = "
                           "e.order_id WHERE o.shopline_order_id = '%s'", "9101"), 2);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = "
                           "o.id::text WHERE o.shopline_order_id = '%s'", "9101"), 1);
    free(v1);
    free(old);
    free(v2);
    free(other);
    store_conn_destroy(c);
}

#define N_THREADS 16

struct submitter {
    struct intake_group *g;
    int n;
    enum intake_outcome got[4];
    enum st st[4];
};

/* Four deliveries of one order: v1 unpaid, v1 again (same id), an older one, v2 paid. */
static void *submit_main(void *arg)
{
    struct submitter *s = arg;
    char id[16], wid[4][32];
    char *bodies[4];

    snprintf(id, sizeof(id), "95%02d", s->n);
    bodies[0] = mug_order(id, "pending", "2026-11-26T10:00:00+00:00");
    bodies[1] = bodies[0];
    bodies[2] = mug_order(id, "paid", "2026-11-26T09:00:00+00:00");
    bodies[3] = mug_order(id, "paid", "2026-11-26T11:00:00+00:00");
    snprintf(wid[0], sizeof(wid[0]), "thr-%d-a", s->n);
    snprintf(wid[1], sizeof(wid[1]), "thr-%d-a", s->n);
    snprintf(wid[2], sizeof(wid[2]), "thr-%d-b", s->n);
    snprintf(wid[3], sizeof(wid[3]), "thr-%d-c", s->n);
    for (int i = 0; i < 4; i++) {
        struct intake_request r = request(wid[i], bodies[i]);
        struct intake_result out;
        struct errbuf err = {""};

        s->st[i] = intake_group_submit(s->g, &r, 10000, &out, &err);
        s->got[i] = out.outcome;
    }
    free(bodies[0]);
    free(bodies[2]);
    free(bodies[3]);
    return NULL;
}

static void test_threads_through_the_committers_get_the_same_outcomes(void **state)
{
    struct intake_group *g = intake_group_create(db, 1, 8);
    struct submitter s[N_THREADS];
    pthread_t t[N_THREADS];
    const enum intake_outcome want[4] = {INTAKE_STORED, INTAKE_DUPLICATE, INTAKE_STALE,
                                         INTAKE_STORED};

    for (int i = 0; i < N_THREADS; i++) {
        s[i] = (struct submitter){g, i, {0}, {0}};
        pthread_create(&t[i], NULL, submit_main, &s[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        pthread_join(t[i], NULL);
        for (int k = 0; k < 4; k++) {
            assert_int_equal(s[i].st[k], ST_OK);
            assert_int_equal(s[i].got[k], want[k]);
        }
    }
    intake_group_destroy(g);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE '%s'",
                           "thr-%"), 3 * N_THREADS);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM orders WHERE shopline_order_id LIKE '%s' AND "
                           "state = 'ready'", "95%"), N_THREADS);
}

/* ---- a group whose COMMIT fails ---------------------------------------- */

#define N_DOOMED 6 /* deliveries queued behind the blocked group; one poisons the COMMIT */

struct one_submit {
    struct intake_group *g;
    char wid[32];
    char *body;
    enum st st;
};

static void *submit_one_main(void *arg)
{
    struct one_submit *s = arg;
    struct intake_request r = request(s->wid, s->body);
    struct intake_result out;
    struct errbuf err = {""};

    s->st = intake_group_submit(s->g, &r, 30000, &out, &err);
    return NULL;
}

/* Deliveries of wid-like webhooks that left a trace: inbox rows, orders, lines, jobs. */
static long traces(const char *wid_like, const char *order_like)
{
    return it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE '%s'",
                        wid_like) +
           it_sql_longf(db, "SELECT count(*) FROM orders o LEFT JOIN order_lines l ON "
                            "l.order_id = o.id WHERE o.shopline_order_id LIKE '%s'", order_like) +
           it_sql_longf(db, "SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key = "
                            "o.id::text WHERE o.shopline_order_id LIKE '%s'", order_like);
}

static void submit_async(struct one_submit *s, pthread_t *t, struct intake_group *g,
                         const char *wid, const char *order_id)
{
    *s = (struct one_submit){.g = g, .body = mug_order(order_id, "paid", NULL)};
    snprintf(s->wid, sizeof(s->wid), "%s", wid);
    pthread_create(t, NULL, submit_one_main, s);
}

/*
 * A deferred constraint trigger makes the COMMIT of any transaction holding
 * webhook "boom-doomed" fail. The committer is held on a row lock (the test
 * locks an order a first delivery updates), so the poisoned delivery and
 * its neighbours queue up and are taken as one group: none of them may be
 * answered ST_OK, none may leave a row; the blocked group before and the
 * group after commit as usual.
 */
static void test_failed_commit_answers_no_delivery_of_the_group(void **state)
{
    struct intake_group *g = intake_group_create(db, 1, 16);
    struct store_conn *locker = store_conn_create(db);
    struct errbuf err = {""};
    struct one_submit first, doomed[N_DOOMED], after;
    pthread_t t_first, t[N_DOOMED], t_after;
    char wid[32], id[16];

    it_sql_exec(db, "CREATE FUNCTION it_boom() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
                    "IF NEW.webhook_id = 'boom-doomed' THEN RAISE EXCEPTION 'boom at commit'; "
                    "END IF; RETURN NULL; END$$");
    it_sql_exec(db, "CREATE CONSTRAINT TRIGGER it_boom AFTER INSERT ON webhook_events "
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION it_boom()");
    submit_async(&first, &t_first, g, "boom-first-v1", "9700");
    pthread_join(t_first, NULL);
    assert_int_equal(first.st, ST_OK);
    free(first.body);

    assert_int_equal(store_cmd(locker, "BEGIN", &err), ST_OK);
    assert_int_equal(store_cmd(locker, "SELECT 1 FROM orders WHERE shopline_order_id = '9700' "
                                       "FOR UPDATE", &err), ST_OK);
    submit_async(&first, &t_first, g, "boom-first-v2", "9700");
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM pg_stat_activity WHERE "
                                          "wait_event_type = 'Lock' AND datname = "
                                          "current_database()", 1, 10000), 1);
    for (int i = 0; i < N_DOOMED; i++) {
        snprintf(wid, sizeof(wid), i == N_DOOMED / 2 ? "boom-doomed" : "boom-%d", i);
        snprintf(id, sizeof(id), "971%d", i);
        submit_async(&doomed[i], &t[i], g, wid, id);
    }
    usleep(500 * 1000); /* the submitters queue behind the held group */
    assert_int_equal(store_cmd(locker, "COMMIT", &err), ST_OK);

    pthread_join(t_first, NULL);
    assert_int_equal(first.st, ST_OK);
    for (int i = 0; i < N_DOOMED; i++) {
        pthread_join(t[i], NULL);
        assert_int_not_equal(doomed[i].st, ST_OK);
        free(doomed[i].body);
    }
    free(first.body);
    assert_int_equal(traces("boom-_", "971_"), 0);
    assert_int_equal(traces("boom-doomed", "971_"), 0);
    assert_int_equal(it_sql_long(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE "
                                     "'boom-first-%'"), 2);

    submit_async(&after, &t_after, g, "boom-after", "9790");
    pthread_join(t_after, NULL);
    assert_int_equal(after.st, ST_OK);
    free(after.body);
    assert_int_equal(traces("boom-after", "9790"), 1 + 1 + 1); /* inbox row, order + line, job */

    it_sql_exec(db, "DROP TRIGGER it_boom ON webhook_events");
    it_sql_exec(db, "DROP FUNCTION it_boom()");
    intake_group_destroy(g);
    store_conn_destroy(locker);
}

/*
 * A delivery refused with a deadlock (a trigger raises 40P01 the first time,
 * counted by a sequence, which no rollback undoes) in a group that commits
 * runs again in the next group and is answered as stored: no 503 for a
 * conflict the next transaction does not have. A second refusal is
 * answered (ST_RETRY: Shopline redelivers), never run a third time.
 */
static void test_deadlocked_delivery_runs_again_in_the_next_group(void **state)
{
    struct intake_group *g = intake_group_create(db, 1, 16);
    struct one_submit s;
    pthread_t t;

    it_sql_exec(db, "CREATE SEQUENCE it_deadlock_seq");
    it_sql_exec(db, "CREATE FUNCTION it_deadlock() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
                    "IF NEW.webhook_id = 'deadlock-once' AND nextval('it_deadlock_seq') = 1 "
                    "OR NEW.webhook_id = 'deadlock-always' THEN RAISE EXCEPTION 'deadlock "
                    "detected' USING ERRCODE = '40P01'; END IF; RETURN NEW; END$$");
    it_sql_exec(db, "CREATE TRIGGER it_deadlock BEFORE INSERT ON webhook_events "
                    "FOR EACH ROW EXECUTE FUNCTION it_deadlock()");
    submit_async(&s, &t, g, "deadlock-once", "9800");
    pthread_join(t, NULL);
    assert_int_equal(s.st, ST_OK);
    free(s.body);
    assert_int_equal(traces("deadlock-once", "9800"), 1 + 1 + 1); /* inbox row, order + line, job */
    assert_int_equal(it_sql_long(db, "SELECT last_value FROM it_deadlock_seq"), 2);

    submit_async(&s, &t, g, "deadlock-always", "9801");
    pthread_join(t, NULL);
    assert_int_equal(s.st, ST_RETRY);
    free(s.body);
    assert_int_equal(traces("deadlock-always", "9801"), 0);

    it_sql_exec(db, "DROP TRIGGER it_deadlock ON webhook_events");
    it_sql_exec(db, "DROP FUNCTION it_deadlock()");
    it_sql_exec(db, "DROP SEQUENCE it_deadlock_seq");
    intake_group_destroy(g);
}

/* ---- kill -9 while groups commit ---------------------------------------- */

#define N_POSTERS 8
#define MAX_ACKED 100000

struct poster {
    int port;
    int n;
    char digit;     /* order ids "<digit><n><i>" */
    const char *wid; /* wids "<wid>-<n>-<0..acked-1>" */
    int acked;      /* deliveries answered 200 */
};

static void *poster_main(void *arg)
{
    struct poster *p = arg;

    for (int i = 0; i < MAX_ACKED; i++) {
        char id[24], wid[48];
        char *body;
        struct it_resp r = {0};
        int rc;

        snprintf(id, sizeof(id), "%c%02d%06d", p->digit, p->n, i);
        snprintf(wid, sizeof(wid), "%s-%d-%d", p->wid, p->n, i);
        body = mug_order(id, "paid", NULL);
        rc = it_post_webhook(p->port, "orders/paid", wid, body, "hex", &r);
        free(body);
        if (rc == 0 && r.status == 200)
            p->acked = i + 1;
        it_resp_free(&r);
        if (p->acked != i + 1)
            break; /* the process is gone: later ids were never answered */
    }
    return NULL;
}

/*
 * Starts the real binary with env, posts from N_POSTERS threads, SIGKILLs
 * it once 300 deliveries are in, and checks that every delivery answered
 * 200 is in webhook_events. Returns how many were answered.
 */
static long kill9_under_load(const char *const *env, char digit, const char *wid_prefix)
{
    const char *args[] = {"serve", NULL};
    struct it_proc proc;
    struct poster p[N_POSTERS];
    pthread_t t[N_POSTERS];
    long acked = 0, stored = 0;
    char enough[160];

    snprintf(enough, sizeof(enough), "SELECT (count(*) >= 300)::int FROM webhook_events WHERE "
             "webhook_id LIKE '%s-%%'", wid_prefix);
    assert_int_equal(it_shopvox_start(&proc, db, env, args), 0);
    for (int i = 0; i < N_POSTERS; i++) {
        p[i] = (struct poster){proc.port, i, digit, wid_prefix, 0};
        pthread_create(&t[i], NULL, poster_main, &p[i]);
    }
    /* kill once a good number of groups committed, with more in flight */
    assert_true(it_wait_sql_long(db, enough, 1, 60000) == 1);
    it_proc_stop(&proc, SIGKILL, 2000);
    for (int i = 0; i < N_POSTERS; i++) {
        pthread_join(t[i], NULL);
        acked += p[i].acked;
        stored += it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id IN "
                                   "(SELECT '%s-%d-' || g FROM generate_series(0, %d) g)",
                               wid_prefix, i, p[i].acked - 1);
    }
    assert_true(acked >= 300 - N_POSTERS * 4);
    assert_int_equal(stored, acked); /* every 200 is in the database */
    return acked;
}

static void test_kill9_while_groups_commit_loses_no_acknowledged_webhook(void **state)
{
    const char *env[] = {"SHOPVOX_INTAKE_COMMITTERS=2", "SHOPVOX_INTAKE_GROUP_MAX=4",
                         "SHOPVOX_INTAKE_DEFER_AT=0", NULL};

    kill9_under_load(env, '8', "kill");
}

/* The gauge tells operators what is still to be applied: 0 once all is. */
static bool metrics_show_no_pending(void *arg)
{
    const struct it_proc *proc = arg;

    return it_metric(proc->ops_port, "shopvox_webhooks_pending") == 0 &&
           it_metric(proc->ops_port, "shopvox_webhooks_pending_oldest_seconds") == 0;
}

/*
 * The same with every delivery going to the pending inbox (answered
 * "accepted" once its raw row committed): the kill leaves rows pending, and
 * the next start applies every one, each order made ready with its job.
 */
static void test_kill9_with_rows_pending_then_the_next_start_applies_them(void **state)
{
    const char *args[] = {"serve", NULL};
    const char *env[] = {"SHOPVOX_INTAKE_DEFER_AT=1", "SHOPVOX_METRICS_REFRESH_S=1", NULL};
    struct it_proc proc;
    long acked = kill9_under_load(env, '7', "pend");

    assert_int_equal(it_shopvox_start(&proc, db, env, args), 0);
    assert_int_equal(it_wait_inbox_applied(db), 0);
    assert_true(it_wait_until(metrics_show_no_pending, &proc, 30000));
    it_proc_stop(&proc, SIGTERM, 10000);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE "
                                      "'%s' AND outcome <> 'stored'", "pend-%"), 0);
    assert_true(it_sql_longf(db, "SELECT count(*) FROM orders o JOIN jobs j ON j.dedupe_key = "
                                 "o.id::text WHERE o.shopline_order_id LIKE '%s' AND o.state = "
                                 "'ready'", "7%") >= acked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_group_gives_each_delivery_its_own_outcome),
        cmocka_unit_test(test_threads_through_the_committers_get_the_same_outcomes),
        cmocka_unit_test(test_kill9_while_groups_commit_loses_no_acknowledged_webhook),
        cmocka_unit_test(test_kill9_with_rows_pending_then_the_next_start_applies_them),
        cmocka_unit_test(test_failed_commit_answers_no_delivery_of_the_group),
        cmocka_unit_test(test_deadlocked_delivery_runs_again_in_the_next_group),
    };

    it_require_db();
    db = it_db_create_migrated("intakegroup");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
