/*
 * intake_apply.c - applies the pending inbox (see intake_apply.h).
 *
 * A pass is one transaction, in pipeline mode like a committer's group:
 * BEGIN, the claim (rows locked, oldest first from where the thread's last
 * full claim ended, claim_cursor.h, skipping rows another replica holds),
 * each row through intake_process_nested with the row's
 * id as pending_id (so the row itself gets the outcome instead of a new
 * row being inserted), COMMIT. The duplicate webhook id was settled when
 * the row was inserted; everything else (replayed bytes, stale updates,
 * unusable bodies, another shop's deliveries) is decided here exactly as
 * for an inline delivery, because it is the same code.
 *
 * A pass commits without waiting for its WAL to reach the disk
 * (synchronous_commit off for that transaction only): a crash may forget
 * the last passes, and then their rows are simply still pending and are
 * applied again -- the transaction is atomic either way. Whatever acts on
 * an applied row outside (a worker posting its Sales Order) commits
 * synchronously first, which flushes the WAL up to and including the pass.
 * Its own commits then never queue the committers' fsyncs behind them.
 *
 * A row that fails alone is undone to its savepoint: on a transient
 * failure (ST_RETRY: a deadlock, a lock timeout) it stays pending for the
 * next pass; on an unexpected one (ST_FAIL) its failure is counted, and
 * the last allowed one makes it 'failed' with an invalid_webhook
 * exception. A lost transaction (connection gone) leaves every row of the
 * pass pending.
 */
#include "intake_apply.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply_pace.h"
#include "claim_cursor.h"
#include "exceptions.h"
#include "inbox_store.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "rate_window.h"

/* A pass whose rows were all retried waits this long before the next. */
#define APPLY_RETRY_PAUSE_MS 100
/* After a lost pass (database unavailable). */
#define APPLY_OUTAGE_PAUSE_MS 1000
/*
 * Intake first (apply_pace.h). While deliveries are being deferred faster
 * than INTAKE_PRESSURE_RATE (per second, over INTAKE_PRESSURE_WINDOW_MS),
 * the webhooks are answered before anything else: a pass takes
 * APPLY_PRESSED_BATCH rows at most and each thread pauses PRESSED_PAUSE_MS
 * times the number of threads after it, so together they apply at most
 * 4 rows per 50 ms (80/s: more than Peoplevox's budget can post, ~50
 * orders/s at 15 calls / 15 s in full batches, so the warehouse does not
 * wait for it), in short passes that never hold a core for long, and the
 * rest of the machine answers webhooks (each applied row costs about as
 * much as several stored ones, and a pass on one of two cores shows in
 * the answers' p99).
 */
#define PRESSED_PAUSE_MS 50
/*
 * The first HOLD_MS of a backlog under pressure apply nothing at all:
 * even the trickle's passes show in the answers' p99, and a burst's first
 * seconds cost the warehouse nothing it cannot catch up on (it posts a
 * few calls a minute anyway). A burst that lasts longer gets the trickle.
 */
#define HOLD_MS 30000
/*
 * A thread nudged after an idle spell waits this long before its first
 * pass: a burst's first ~50 deliveries are deferred before the rate shows
 * it, and passes begun then held both cores while they waited (answers of
 * 5-15 ms for a burst's first 50 ms at 1,000/s).
 */
#define SETTLE_MS 60

static void count_applied(const char *outcome)
{
    char labels[48];

    snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
    metrics_inc("shopvox_webhooks_applied_total", labels);
}

/* The last failed application of row id: failed, and ops told. */
static enum st give_up(struct store_conn *c, const struct intake_request *r, const char *why,
                       struct errbuf *err)
{
    char detail[ERRBUF_MAX + 128];
    struct exc_new e = {r->shop, "invalid_webhook", "ops", "webhook", r->webhook_id, NULL, detail,
                        "Inspect the stored body in webhook_events; fix the cause, then "
                        "redeliver the webhook from Shopline or run the order sweep, and "
                        "resolve this exception"};

    snprintf(detail, sizeof(detail),
             "%s webhook was stored but could not be applied after %d attempts: %s", r->topic,
             INBOX_APPLY_ATTEMPTS, why);
    log_event(LOG_ERROR, "webhook_not_applied", "webhook_id", r->webhook_id, "error", why, NULL);
    count_applied("failed");
    return exc_raise(c, &e, NULL, err);
}

/* A row whose application failed alone (its savepoint undone). */
static enum st row_failed(struct store_conn *c, const struct intake_request *r, enum st row_st,
                          const struct errbuf *why, struct errbuf *err)
{
    bool given_up = false;
    enum st st;

    if (row_st == ST_RETRY) { /* a deadlock or a timeout: the next pass */
        log_event(LOG_WARN, "webhook_apply_retry", "webhook_id", r->webhook_id, "error",
                  why->msg, NULL);
        return ST_OK;
    }
    st = inbox_store_apply_failed(c, r->pending_id, why->msg, &given_up, err);
    if (st == ST_OK && given_up)
        st = give_up(c, r, why->msg, err);
    else if (st == ST_OK)
        log_event(LOG_WARN, "webhook_apply_failed", "webhook_id", r->webhook_id, "error",
                  why->msg, NULL);
    return st;
}

/* Applies claimed row i of res; *lost when the transaction is unusable; *settled when done. */
static enum st apply_row(struct store_conn *c, const struct intake_apply_cfg *cfg,
                         const PGresult *res, int i, bool *lost, bool *settled,
                         struct errbuf *err)
{
    size_t body_len = 0;
    unsigned char *body = PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 6),
                                          &body_len);
    const char *shop = PQgetvalue(res, i, 1);
    struct intake_request r = {shop, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                               PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
                               PQgetvalue(res, i, 5), body != NULL ? (const char *)body : "",
                               body_len, cfg->paid_statuses, strcmp(shop, cfg->shop) != 0,
                               cfg->returns_mode, PQgetvalue(res, i, 0)};
    struct intake_result out;
    struct errbuf why = {""};
    enum st st = intake_process_nested(c, &r, &out, lost, &why);

    *settled = st == ST_OK;
    if (st == ST_OK)
        count_applied(intake_outcome_name(out.outcome));
    else if (*lost)
        *err = why;
    else {
        bool retry = st == ST_RETRY;

        st = row_failed(c, &r, st, &why, err);
        *settled = st == ST_OK && !retry; /* a counted failure is progress too */
        *lost = st != ST_OK;
    }
    PQfreemem(body);
    return st;
}

enum st intake_apply_pass(struct store_conn *c, const struct intake_apply_cfg *cfg, int part,
                          int max, int64_t *after, int *claimed, struct errbuf *err)
{
    PGresult *res = NULL;
    bool lost = false, settled = false;
    int n_settled = 0;
    enum st st = store_ensure(c, err);

    *claimed = 0;
    if (st == ST_OK)
        st = store_pipeline_begin(c, err);
    if (st == ST_OK)
        st = store_cmd_deferred(c, "BEGIN", err);
    if (st == ST_OK) /* see the top of this file */
        st = store_cmd_deferred(c, "SET LOCAL synchronous_commit = off", err);
    if (st == ST_OK)
        res = inbox_store_claim_pending(c, max, part, cfg->threads, *after, &st, err);
    if (res != NULL)
        *claimed = PQntuples(res);
    if (*claimed > 0)
        *after = strtoll(PQgetvalue(res, *claimed - 1, 0), NULL, 10);
    for (int i = 0; st == ST_OK && i < *claimed; i++) {
        st = apply_row(c, cfg, res, i, &lost, &settled, err);
        n_settled += settled;
    }
    PQclear(res);
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(c);
    store_pipeline_end(c);
    if (st == ST_OK && *claimed > 0 && n_settled == 0)
        st = ST_RETRY; /* every row must wait: the caller pauses */
    return st;
}

/* ---- the threads ---- */

struct applier_thread {
    struct intake_applier *a;
    int part;                 /* its partition of the pending rows */
    unsigned long empty_as_of; /* nudges + 1 when its partition was last found empty; 0: not */
    struct apply_pace pace;   /* how hard it works next */
    struct claim_cursor cursor; /* where its next claim starts */
    struct store_conn *c;
    pthread_t thread;
};

struct intake_applier {
    struct intake_apply_cfg cfg;
    char *shop, *paid_statuses, *returns_mode;   /* cfg's strings, owned */
    int n_threads;
    struct applier_thread *threads;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    bool nudged;          /* rows deferred since a pass last began */
    bool backlog;         /* see intake_applier_backlog */
    int64_t backlog_since_ms; /* when backlog last became true */
    unsigned long nudges; /* counts nudges: a pass that began before one cannot clear backlog */
    int busy;             /* threads in a pass */
    struct rate_window deferred; /* rows nudged about */
};

/* Whether intake is deferring faster than INTAKE_PRESSURE_RATE (lock held). */
static bool pressed(const struct intake_applier *a)
{
    return rate_window_per_s(&a->deferred, now_ms_monotonic()) >= INTAKE_PRESSURE_RATE;
}

/* Waits ms, nudged or not, unless stopped (lock held). */
static void pause_ms(struct intake_applier *a, int ms)
{
    struct timespec deadline = deadline_after_ms(ms);

    while (!a->stopping && pthread_cond_timedwait(&a->wake, &a->lock, &deadline) == 0) {
    }
}

/* Waits up to ms for a nudge or the stop (lock held). */
static void wait_ms(struct intake_applier *a, int ms)
{
    struct timespec deadline = deadline_after_ms(ms);

    while (!a->stopping && !a->nudged &&
           pthread_cond_timedwait(&a->wake, &a->lock, &deadline) == 0) {
    }
}

/* Whether every thread's partition was found empty since the last nudge (lock held). */
static bool all_parts_empty(const struct intake_applier *a)
{
    for (int i = 0; i < a->n_threads; i++)
        if (a->threads[i].empty_as_of != a->nudges + 1)
            return false;
    return true;
}

/*
 * The backlog is over when, for every thread, a pass that began after the
 * last nudge found nothing to claim in its partition, and no thread is in
 * a pass (its rows, locked, are invisible to the claim but not applied
 * yet). One thread's empty partition says nothing of the others'.
 */
static void *applier_main(void *arg)
{
    struct applier_thread *t = arg;
    struct intake_applier *a = t->a;

    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        unsigned long nudges = a->nudges;
        struct errbuf err = {""};
        int claimed = 0, max = 0;
        int64_t last;
        bool empty;
        enum st st;

        switch (apply_pace_step(&t->pace, pressed(a),
                                now_ms_monotonic() - a->backlog_since_ms < HOLD_MS, &max)) {
        case APPLY_HOLD:
            pause_ms(a, PRESSED_PAUSE_MS); /* a burst's first seconds: intake only */
            continue;
        case APPLY_SETTLE:
            pause_ms(a, SETTLE_MS); /* a burst's start: let the rate show it */
            continue;
        case APPLY_PASS:
            break;
        }
        a->nudged = false;
        a->busy++;
        last = claim_cursor_next(&t->cursor, now_ms_monotonic());
        pthread_mutex_unlock(&a->lock);
        st = intake_apply_pass(t->c, &a->cfg, t->part, max, &last, &claimed, &err);
        pthread_mutex_lock(&a->lock);
        a->busy--;
        empty = claim_cursor_done(&t->cursor, st == ST_OK, max, claimed, last, now_ms_monotonic());
        if (st == ST_OK && claimed == 0 && !empty)
            continue; /* nothing above the cursor: look again from the start */
        apply_pace_done(&t->pace, max, claimed);
        if (empty && a->nudges == nudges) {
            t->empty_as_of = nudges + 1;
            if (a->busy == 0 && all_parts_empty(a))
                a->backlog = false;
        }
        if (st != ST_OK && claimed == 0)
            log_event(LOG_WARN, "webhook_apply_pass_failed", "status", st_name(st), "error",
                      err.msg, NULL);
        if (st != ST_OK)
            wait_ms(a, claimed > 0 ? APPLY_RETRY_PAUSE_MS : APPLY_OUTAGE_PAUSE_MS);
        else if (claimed == 0)
            wait_ms(a, a->cfg.poll_ms);
        else if (pressed(a))
            pause_ms(a, PRESSED_PAUSE_MS * a->n_threads);
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

struct intake_applier *intake_applier_create(const char *url, const struct intake_apply_cfg *cfg)
{
    struct intake_applier *a = xcalloc(1, sizeof(*a));

    a->cfg = *cfg;
    a->shop = xstrdup(cfg->shop);
    a->paid_statuses = xstrdup(cfg->paid_statuses);
    a->returns_mode = cfg->returns_mode != NULL ? xstrdup(cfg->returns_mode) : NULL;
    a->cfg.shop = a->shop;
    a->cfg.paid_statuses = a->paid_statuses;
    a->cfg.returns_mode = a->returns_mode;
    a->backlog = true; /* a killed process may have left rows: until a pass finds none */
    a->backlog_since_ms = now_ms_monotonic();
    rate_window_init(&a->deferred, INTAKE_PRESSURE_WINDOW_MS);
    pthread_mutex_init(&a->lock, NULL);
    cond_init_monotonic(&a->wake);
    a->n_threads = cfg->threads < 1 ? 1 : cfg->threads;
    a->cfg.threads = a->n_threads;
    a->threads = xcalloc((size_t)a->n_threads, sizeof(*a->threads));
    for (int i = 0; i < a->n_threads; i++) {
        a->threads[i].a = a;
        a->threads[i].part = i;
        apply_pace_init(&a->threads[i].pace, cfg->batch_max);
        claim_cursor_init(&a->threads[i].cursor);
        a->threads[i].c = store_conn_create(url);
        pthread_create(&a->threads[i].thread, NULL, applier_main, &a->threads[i]);
    }
    return a;
}

void intake_applier_destroy(struct intake_applier *a)
{
    if (a == NULL)
        return;
    pthread_mutex_lock(&a->lock);
    a->stopping = true;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->lock);
    for (int i = 0; i < a->n_threads; i++) {
        pthread_join(a->threads[i].thread, NULL);
        store_conn_destroy(a->threads[i].c);
    }
    free(a->threads);
    pthread_cond_destroy(&a->wake);
    pthread_mutex_destroy(&a->lock);
    free(a->shop);
    free(a->paid_statuses);
    free(a->returns_mode);
    free(a);
}

void intake_applier_nudge(struct intake_applier *a, int rows)
{
    int64_t now = now_ms_monotonic();

    pthread_mutex_lock(&a->lock);
    rate_window_add(&a->deferred, now, rows);
    if (!a->backlog)
        a->backlog_since_ms = now;
    a->nudged = true;
    a->backlog = true;
    a->nudges++;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->lock);
}

bool intake_applier_backlog(struct intake_applier *a)
{
    bool backlog;

    pthread_mutex_lock(&a->lock);
    backlog = a->backlog;
    pthread_mutex_unlock(&a->lock);
    return backlog;
}
