/*
 * it_intake_defer.c - the pending inbox (intake_apply.h, sql/031).
 *
 * Deliveries stored first as pending rows (one INSERT for many) and
 * applied after by the applier get exactly the outcomes of inline ones
 * (stored, duplicate, stale, failed, ignored, replayed bytes), in arrival
 * order; a row that cannot be applied is retried, then failed with an
 * exception, never lost; the committers answer "accepted" (or "duplicate")
 * and defer every group while older rows wait. (A SIGKILL with rows
 * pending: it_intake_group.c.)
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
#include <openssl/sha.h>

#include "common.h"
#include "inbox_store.h"
#include "intake.h"
#include "intake_apply.h"
#include "intake_group.h"
#include "it.h"
#include "store.h"

static const char *db;

static const struct intake_apply_cfg apply_cfg = {IT_SHOP, "paid", NULL, 16, 100, 1};

static char *mug_order(const char *id, const char *status, const char *updated_at)
{
    return it_mug_order("#D", id, status, updated_at);
}

/* Digests of the bodies pending() was given (a committer computes them likewise). */
static unsigned char shas[64][INBOX_SHA256_BYTES];
static int n_shas;

static struct inbox_row pending(const char *shop, const char *wid, const char *body)
{
    unsigned char *sha = shas[n_shas++ % 64];

    SHA256((const unsigned char *)body, strlen(body), sha);
    return (struct inbox_row){.shop = shop, .webhook_id = wid, .topic = "orders/updated",
                              .api_version = "v20260301", .headers_json = "{}", .body = body,
                              .body_len = strlen(body), .body_sha256 = sha};
}

static const char *outcome_of(const char *wid)
{
    static char out[32];
    char *s = it_sql_textf(db, "SELECT outcome FROM webhook_events WHERE webhook_id = '%s'", wid);

    snprintf(out, sizeof(out), "%s", s != NULL ? s : "(none)");
    free(s);
    return out;
}

/* One pass of up to 16 rows of partition 0 of 1, claimed from the start. */
static enum st apply_pass(struct store_conn *c, int *claimed, struct errbuf *err)
{
    int64_t after = 0;

    return intake_apply_pass(c, &apply_cfg, 0, 16, &after, claimed, err);
}

/* Passes until one claims nothing; returns the rows claimed in all. */
static int apply_all(struct store_conn *c)
{
    struct errbuf err = {""};
    int claimed = 0, total = 0;

    do {
        if (apply_pass(c, &claimed, &err) != ST_OK)
            fail_msg("apply pass: %s", err.msg);
        total += claimed;
    } while (claimed > 0);
    return total;
}

static void test_pending_rows_get_the_outcomes_of_inline_deliveries(void **state)
{
    struct store_conn *c = store_conn_create(db);
    struct errbuf err = {""};
    char *v1 = mug_order("9201", "pending", "2026-11-26T10:00:00+00:00");
    char *old = mug_order("9201", "pending", "2026-11-26T09:00:00+00:00");
    char *v2 = mug_order("9201", "paid", "2026-11-26T11:00:00+00:00");
    const struct inbox_row rows[] = {
        pending(IT_SHOP, "def-1", v1),     pending(IT_SHOP, "def-1", v1),
        pending(IT_SHOP, "def-3", old),    pending(IT_SHOP, "def-4", "{not json"),
        pending(IT_SHOP, "def-5", v2),     pending(IT_SHOP, "def-6", v2),
        pending("elsewhere.myshopline.com", "def-7", v2),
    };
    bool inserted[ARRAY_LEN(rows)];
    const bool want_inserted[ARRAY_LEN(rows)] = {true, false, true, true, true, true, true};

    assert_int_equal(inbox_store_insert_pending(c, rows, (int)ARRAY_LEN(rows), inserted, &err),
                     ST_OK);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        assert_int_equal(inserted[i], want_inserted[i]);
    /* the same id again in a later group: a duplicate, nothing inserted */
    assert_int_equal(inbox_store_insert_pending(c, rows, 1, inserted, &err), ST_OK);
    assert_false(inserted[0]);
    assert_string_equal(outcome_of("def-1"), "pending");

    assert_int_equal(apply_all(c), 6);
    assert_string_equal(outcome_of("def-1"), "stored");
    assert_string_equal(outcome_of("def-3"), "stale");
    assert_string_equal(outcome_of("def-4"), "failed");
    assert_string_equal(outcome_of("def-5"), "stored");
    assert_string_equal(outcome_of("def-6"), "duplicate"); /* the same bytes under a new id */
    assert_string_equal(outcome_of("def-7"), "ignored");
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id = "
                                      "'%s' AND body IS NULL", "def-6"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE type = "
                                      "'invalid_webhook' AND subject = '%s'", "def-4"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM orders WHERE shopline_order_id = "
                                      "'%s' AND state = 'ready'", "9201"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM jobs j JOIN orders o ON j.dedupe_key "
                                      "= o.id::text WHERE o.shopline_order_id = '%s'", "9201"), 1);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE "
                                      "'%s' AND order_id IS NOT NULL", "def-%"), 4);
    free(v1);
    free(old);
    free(v2);
    store_conn_destroy(c);
}

/* An order this trigger refuses cannot be applied: an unexpected SQL error, every time. */
static void refuse_order(const char *order_id)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "CREATE FUNCTION it_refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
             "IF NEW.shopline_order_id = '%s' THEN RAISE EXCEPTION 'refused by the test'; "
             "END IF; RETURN NEW; END$$; CREATE TRIGGER it_refuse BEFORE INSERT ON orders "
             "FOR EACH ROW EXECUTE FUNCTION it_refuse()",
             order_id);
    it_sql_exec(db, sql);
}

static void test_a_row_that_cannot_be_applied_is_retried_then_failed_for_ops(void **state)
{
    struct store_conn *c = store_conn_create(db);
    struct errbuf err = {""};
    char *bad = mug_order("9301", "paid", NULL);
    char *good = mug_order("9302", "paid", NULL);
    const struct inbox_row rows[] = {pending(IT_SHOP, "refused-1", bad),
                                     pending(IT_SHOP, "fine-1", good)};
    bool inserted[2];
    int claimed = 0;

    refuse_order("9301");
    assert_int_equal(inbox_store_insert_pending(c, rows, 2, inserted, &err), ST_OK);
    for (int attempt = 1; attempt < INBOX_APPLY_ATTEMPTS; attempt++) {
        assert_int_equal(apply_pass(c, &claimed, &err), ST_OK);
        assert_string_equal(outcome_of("refused-1"), "pending");
        assert_int_equal(it_sql_longf(db, "SELECT apply_attempts FROM webhook_events WHERE "
                                          "webhook_id = '%s'", "refused-1"), attempt);
    }
    /* the good row of the same pass was applied at once */
    assert_string_equal(outcome_of("fine-1"), "stored");
    assert_int_equal(apply_pass(c, &claimed, &err), ST_OK);
    assert_int_equal(claimed, 1);
    assert_string_equal(outcome_of("refused-1"), "failed");
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM exceptions WHERE type = "
                                      "'invalid_webhook' AND state = 'open' AND subject = '%s' "
                                      "AND detail LIKE '%%refused by the test%%'", "refused-1"), 1);
    /* given up: no longer claimed, its body kept for inspection */
    assert_int_equal(apply_pass(c, &claimed, &err), ST_OK);
    assert_int_equal(claimed, 0);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id = "
                                      "'%s' AND body IS NOT NULL", "refused-1"), 1);
    it_sql_exec(db, "DROP TRIGGER it_refuse ON orders; DROP FUNCTION it_refuse()");
    free(bad);
    free(good);
    store_conn_destroy(c);
}

/* Submits an orders/updated delivery; false (err filled) if it was not stored. */
static bool submit_ok(struct intake_group *g, const char *wid, const char *body,
                      enum intake_outcome *outcome, struct errbuf *err)
{
    struct intake_request r = {IT_SHOP, wid, "orders/updated", "v20260301", "{}", body,
                               strlen(body), "paid", false, NULL, NULL};
    struct intake_result out;
    bool ok = intake_group_submit(g, &r, 10000, &out, err) == ST_OK;

    *outcome = out.outcome;
    return ok;
}

static enum intake_outcome submit(struct intake_group *g, const char *wid, const char *body)
{
    enum intake_outcome outcome;
    struct errbuf err = {""};

    if (!submit_ok(g, wid, body, &outcome, &err))
        fail_msg("submit %s: %s", wid, err.msg);
    return outcome;
}

static bool backlog_clears(struct intake_applier *a)
{
    for (int i = 0; i < 100 && intake_applier_backlog(a); i++)
        usleep(50 * 1000);
    return !intake_applier_backlog(a);
}

/*
 * With deferral at 2, a lone delivery runs inline -- unless older rows are
 * still pending: the applier is held on an order's row lock while it
 * applies one, so a lone delivery of another order must be deferred
 * behind it (arrival order), and both are applied once the lock goes.
 */
static void test_groups_are_deferred_while_older_rows_wait(void **state)
{
    struct intake_group *g = intake_group_create(db, 1, 8);
    const struct intake_apply_cfg two = {IT_SHOP, "paid", NULL, 16, 100, 2};
    struct intake_applier *a = intake_applier_create(db, &two);
    struct store_conn *locker = store_conn_create(db);
    struct errbuf err = {""};
    char *held1 = mug_order("9401", "paid", "2026-11-26T10:00:00+00:00");
    char *held2 = mug_order("9401", "paid", "2026-11-26T11:00:00+00:00");
    char *lone = mug_order("9402", "paid", NULL);
    char *later = mug_order("9403", "paid", NULL);

    intake_group_defer(g, 2, a);
    assert_true(backlog_clears(a)); /* nothing was pending at start */
    assert_int_equal(submit(g, "lone-0", held1), INTAKE_STORED);

    assert_int_equal(store_cmd(locker, "BEGIN", &err), ST_OK);
    assert_int_equal(store_cmd(locker, "SELECT 1 FROM orders WHERE shopline_order_id = '9401' "
                                       "FOR UPDATE", &err), ST_OK);
    {
        const struct inbox_row row = pending(IT_SHOP, "lone-1", held2);
        bool inserted = false;
        struct store_conn *c = store_conn_create(db);

        assert_int_equal(inbox_store_insert_pending(c, &row, 1, &inserted, &err), ST_OK);
        store_conn_destroy(c);
        intake_applier_nudge(a, 1);
    }
    assert_int_equal(submit(g, "lone-2", lone), INTAKE_ACCEPTED);
    assert_int_equal(submit(g, "lone-2", lone), INTAKE_DUPLICATE);
    assert_string_equal(outcome_of("lone-2"), "pending");
    assert_int_equal(store_cmd(locker, "ROLLBACK", &err), ST_OK);

    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM webhook_events WHERE webhook_id "
                                          "LIKE 'lone-%' AND outcome = 'stored'", 3, 10000), 3);
    assert_true(backlog_clears(a));
    assert_int_equal(submit(g, "lone-3", later), INTAKE_STORED); /* inline again */
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM orders WHERE shopline_order_id IN "
                                      "('9401', '9402', '9403') AND state = 'ready'"), 3);
    intake_group_destroy(g);
    intake_applier_destroy(a);
    store_conn_destroy(locker);
    free(held1);
    free(held2);
    free(lone);
    free(later);
}

struct submitter {
    struct intake_group *g;
    char wid[16];
    char *body;
    bool ok;
    enum intake_outcome outcome;
    pthread_t thread;
};

static void *submit_main(void *arg)
{
    struct submitter *sb = arg;
    struct errbuf err = {""};

    sb->ok = submit_ok(sb->g, sb->wid, sb->body, &sb->outcome, &err);
    return NULL;
}

/* Submits delivery <tag>-<i> of paid order <order + i> on a thread of its own. */
static void submit_async(struct submitter *sb, struct intake_group *g, const char *tag,
                         int order, int i)
{
    char id[16];

    snprintf(id, sizeof(id), "%d", order + i);
    *sb = (struct submitter){.g = g, .body = mug_order(id, "paid", NULL)};
    snprintf(sb->wid, sizeof(sb->wid), "%s-%d", tag, i);
    pthread_create(&sb->thread, NULL, submit_main, sb);
}

#define N_QUEUED 4

/*
 * A committer's INSERT of sb's delivery (<tag>-0 of order) waits on
 * locker's open transaction, which inserted the same webhook id first.
 */
static void hold_insert(struct store_conn *locker, struct submitter *sb, struct intake_group *g,
                        const char *tag, int order)
{
    struct errbuf err = {""};
    char sql[256];

    snprintf(sql, sizeof(sql), "INSERT INTO webhook_events (shop, webhook_id, topic, body, "
                               "outcome) VALUES ('" IT_SHOP "', '%s-0', 'orders/updated', "
                               "'\\x00', 'pending')", tag);
    assert_int_equal(store_cmd(locker, "BEGIN", &err), ST_OK);
    assert_int_equal(store_cmd(locker, sql, &err), ST_OK);
    submit_async(sb, g, tag, order, 0);
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                          "current_database() AND wait_event_type = 'Lock' AND "
                                          "query LIKE 'INSERT INTO webhook_events%'", 1, 10000), 1);
}

/*
 * Deferred groups are stored one at a time, so the next INSERT carries all
 * that arrived meanwhile: with the first group's INSERT held (a test
 * transaction holds its webhook id), the other committer leaves the later
 * deliveries queued, and once the first is through they go in one INSERT
 * (one transaction: one received_at, its start time; the applier's update
 * leaves it, unlike xmin).
 */
static void test_deferred_groups_are_stored_one_at_a_time(void **state)
{
    const struct intake_apply_cfg two = {IT_SHOP, "paid", NULL, 16, 100, 2};
    struct intake_group *g = intake_group_create(db, 2, 8);
    struct intake_applier *a = intake_applier_create(db, &two);
    struct store_conn *locker = store_conn_create(db);
    struct submitter sb[N_QUEUED + 1];
    struct errbuf err = {""};

    intake_group_defer(g, 1, a);
    intake_group_stagger(g, 60 * 1000 * 1000); /* the held INSERT holds the rest back */
    hold_insert(locker, &sb[0], g, "one", 9500);
    for (int i = 1; i <= N_QUEUED; i++)
        submit_async(&sb[i], g, "one", 9500, i);
    usleep(300 * 1000); /* time enough for the other committer to take them, were it allowed */
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id "
                                      "LIKE '%s'", "one-%"), 0);
    assert_int_equal(store_cmd(locker, "ROLLBACK", &err), ST_OK);
    for (int i = 0; i <= N_QUEUED; i++) {
        pthread_join(sb[i].thread, NULL);
        assert_true(sb[i].ok);
        assert_int_equal(sb[i].outcome, INTAKE_ACCEPTED);
        free(sb[i].body);
    }
    assert_int_equal(it_sql_longf(db, "SELECT count(DISTINCT received_at) FROM webhook_events "
                                      "WHERE webhook_id LIKE '%s' AND webhook_id <> 'one-0'",
                                  "one-%"), 1);
    assert_int_equal(it_wait_inbox_applied(db), 0);
    intake_group_destroy(g);
    intake_applier_destroy(a);
    store_conn_destroy(locker);
}

/*
 * ... but not for ever: once the INSERT in flight has taken the stagger
 * (1 ms by default), the next deferred group starts on another committer.
 */
static void test_a_held_deferred_group_does_not_hold_the_next(void **state)
{
    const struct intake_apply_cfg two = {IT_SHOP, "paid", NULL, 16, 100, 2};
    struct intake_group *g = intake_group_create(db, 2, 8);
    struct intake_applier *a = intake_applier_create(db, &two);
    struct store_conn *locker = store_conn_create(db);
    struct submitter held;
    struct errbuf err = {""};
    char *body = mug_order("9591", "paid", NULL);

    intake_group_defer(g, 1, a);
    hold_insert(locker, &held, g, "two", 9510);
    assert_int_equal(submit(g, "two-1", body), INTAKE_ACCEPTED); /* while one-0 is held */
    assert_int_equal(store_cmd(locker, "ROLLBACK", &err), ST_OK);
    pthread_join(held.thread, NULL);
    assert_true(held.ok);
    assert_int_equal(held.outcome, INTAKE_ACCEPTED);
    assert_int_equal(it_wait_inbox_applied(db), 0);
    intake_group_destroy(g);
    intake_applier_destroy(a);
    store_conn_destroy(locker);
    free(held.body);
    free(body);
}

#define N_BURST 8
#define BURST_MAX 1000 /* deliveries per thread at most */
#define BURST_ACCEPTED 20 /* ... until this many were deferred */

struct burster {
    struct intake_group *g;
    int n;
    int sent;
    int accepted;
};

static void *burst_main(void *arg)
{
    struct burster *b = arg;

    for (int i = 0; i < BURST_MAX && b->accepted < BURST_ACCEPTED; i++, b->sent++) {
        char id[24], wid[32];
        char *body;

        snprintf(id, sizeof(id), "96%02d%04d", b->n, i);
        snprintf(wid, sizeof(wid), "burst-%d-%d", b->n, i);
        body = mug_order(id, "paid", NULL);
        b->accepted += submit(b->g, wid, body) == INTAKE_ACCEPTED;
        free(body);
    }
    return NULL;
}

/*
 * Deliveries arriving faster than INTAKE_PRESSURE_RATE go to the inbox
 * even one at a time (deferral by size is off here: 60, and groups are of
 * one), and all of them are applied once the burst is over.
 */
static void test_a_burst_goes_to_the_inbox_then_is_applied(void **state)
{
    const struct intake_apply_cfg two = {IT_SHOP, "paid", NULL, 16, 100, 2};
    struct intake_group *g = intake_group_create(db, 2, 1);
    struct intake_applier *a = intake_applier_create(db, &two);
    struct burster b[N_BURST];
    pthread_t t[N_BURST];
    int accepted = 0, sent = 0;

    intake_group_defer(g, 60, a);
    assert_true(backlog_clears(a)); /* so the first deferral is the rate's */
    for (int i = 0; i < N_BURST; i++) {
        b[i] = (struct burster){g, i, 0, 0};
        pthread_create(&t[i], NULL, burst_main, &b[i]);
    }
    for (int i = 0; i < N_BURST; i++) {
        pthread_join(t[i], NULL);
        accepted += b[i].accepted;
        sent += b[i].sent;
    }
    assert_int_equal(accepted, N_BURST * BURST_ACCEPTED);
    assert_int_equal(it_wait_inbox_applied(db), 0);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id LIKE "
                                      "'%s' AND outcome = 'stored'", "burst-%"),
                     sent);
    intake_group_destroy(g);
    intake_applier_destroy(a);
}

/*
 * The applier claims from past its last claim while a backlog drains
 * (claim_cursor.h). A row whose INSERT commits after higher ids were
 * claimed lies below that cursor: it is applied all the same.
 */
static void test_a_row_committed_below_the_claim_cursor_is_applied(void **state)
{
    const struct intake_apply_cfg one = {IT_SHOP, "paid", NULL, 4, 100, 1};
    struct intake_applier *a = intake_applier_create(db, &one);
    struct store_conn *late = store_conn_create(db), *c = store_conn_create(db);
    struct errbuf err = {""};
    char *late_body = mug_order("9601", "paid", NULL), *bodies[30];
    struct inbox_row row = pending(IT_SHOP, "late-0", late_body);
    bool inserted = false;

    (void)state;
    assert_true(backlog_clears(a));
    assert_int_equal(store_cmd(late, "BEGIN", &err), ST_OK);
    assert_int_equal(inbox_store_insert_pending(late, &row, 1, &inserted, &err), ST_OK);
    for (int i = 0; i < 30; i++) { /* higher ids, committed first */
        char id[16], wid[16];

        snprintf(id, sizeof(id), "%d", 9610 + i);
        snprintf(wid, sizeof(wid), "cur-%d", i);
        bodies[i] = mug_order(id, "paid", NULL);
        row = pending(IT_SHOP, wid, bodies[i]);
        assert_int_equal(inbox_store_insert_pending(c, &row, 1, &inserted, &err), ST_OK);
    }
    intake_applier_nudge(a, 30);
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM webhook_events WHERE webhook_id "
                                          "LIKE 'cur-%' AND outcome = 'stored'", 30, 10000), 30);
    assert_int_equal(it_sql_longf(db, "SELECT count(*) FROM webhook_events WHERE webhook_id = "
                                      "'%s'", "late-0"), 0); /* not committed yet */
    assert_int_equal(store_cmd(late, "COMMIT", &err), ST_OK);
    intake_applier_nudge(a, 1);
    assert_int_equal(it_wait_sql_long(db, "SELECT count(*) FROM webhook_events WHERE webhook_id "
                                          "= 'late-0' AND outcome = 'stored'", 1, 10000), 1);
    assert_true(backlog_clears(a));
    intake_applier_destroy(a);
    store_conn_destroy(late);
    store_conn_destroy(c);
    free(late_body);
    for (int i = 0; i < 30; i++)
        free(bodies[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pending_rows_get_the_outcomes_of_inline_deliveries),
        cmocka_unit_test(test_a_row_that_cannot_be_applied_is_retried_then_failed_for_ops),
        cmocka_unit_test(test_groups_are_deferred_while_older_rows_wait),
        cmocka_unit_test(test_a_burst_goes_to_the_inbox_then_is_applied),
        cmocka_unit_test(test_deferred_groups_are_stored_one_at_a_time),
        cmocka_unit_test(test_a_held_deferred_group_does_not_hold_the_next),
        cmocka_unit_test(test_a_row_committed_below_the_claim_cursor_is_applied),
    };

    it_require_db();
    db = it_db_create_migrated("intakedefer");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
