/*
 * worker.c - the worker pool (see worker.h).
 *
 * Each thread: claim a due job, run its handler, record the outcome, and
 * when nothing is due sleep on its connection's socket until a NOTIFY
 * arrives or the poll interval passes (so a lost notification, or a job
 * scheduled for later, costs at most one interval). Threads share no
 * database or curl handles. The pool knows no job kind: a claimed job's
 * handler is looked up in the caller's table (job_handler.h); a kind with
 * a batch handler is claimed several at a time when cfg->pvx_batch_max > 1
 * (as many as the kind's due backlog needs, batch_size.h: between
 * cfg->pvx_batch_min and cfg->pvx_batch_max), and a kind's start hook (warm) runs once, on worker 0, before it claims.
 * Nor does it know what the handlers call: the Peoplevox client counts its
 * own metrics; the pool only hands the shared client to the handlers and
 * cuts its calls short at shutdown.
 * The queue's SQL (claim, record, heartbeat, release) lives in jobs.c.
 *
 * Shutdown has a deadline below the pod's grace period
 * (SHOPVOX_SHUTDOWN_DEADLINE_S): on SIGTERM the pool stops claiming at once
 * (a worker between jobs or between two claims of a batch takes nothing
 * more), Peoplevox calls still running near the deadline are cut short
 * (pvx_client_abort_at; such an outcome is a retry, unknown for a write),
 * and what this process still holds after the join is released so another
 * replica claims it immediately. A write cut short is safe: the order's
 * post_started_at makes the next attempt ask Peoplevox before it writes.
 */
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "batch_size.h"
#include "limiter.h"
#include "log.h"
#include "metrics.h"
#include "schedule_store.h"
#include "scheduler.h"

#define WORKER_POLL_MS 1000
#define WORKER_DB_RETRY_MS 1000
/* Calls are cut this long before the deadline, so outcomes can still be recorded. */
#define WORKER_RECORD_MARGIN_MS 1500

/* The row of kinds[0..n-1] for kind, or NULL. */
static const struct job_kind *kind_find(const struct job_kind *kinds, size_t n, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return &kinds[i];
    return NULL;
}

struct worker_thread {
    struct worker_pool *pool;
    pthread_t tid;
    int index;
    char id[96];
};

struct worker_pool {
    const struct cfg *cfg;
    struct pvx_client *pvx;
    struct shopline_client *shopline;
    struct limiter *limiter;
    const struct job_kind *kinds; /* borrowed from the caller */
    size_t n_kinds;
    atomic_bool stop;
    int n;
    struct worker_thread *threads;
    pthread_t heartbeat;
    char owner_prefix[80];     /* "host:pid:": every worker id of this process */
};

static void count_job(const char *kind, const char *outcome)
{
    char labels[128];

    snprintf(labels, sizeof(labels), "kind=\"%s\",outcome=\"%s\"", kind, outcome);
    metrics_inc("shopvox_jobs_processed_total", labels);
}

/* A scheduled task's run ended (scheduler status: schedules table). */
static void record_schedule(struct worker_ctx *w, const struct job *j, const struct job_result *r)
{
    struct errbuf derr = {""};
    char replica[96];
    char *colon;

    snprintf(replica, sizeof(replica), "%s", w->worker_id); /* "host:pid:wN" */
    colon = strrchr(replica, ':');
    if (colon != NULL)
        *colon = '\0';
    if (schedule_store_record(w->db, j->kind, replica,
                              r->st == ST_OK ? NULL : r->err.msg[0] ? r->err.msg : st_name(r->st),
                              &derr) != ST_OK)
        log_event(LOG_WARN, "schedule_record_failed", "task", j->kind, "error", derr.msg, NULL);
}

/* Records one job's outcome (fenced by its attempts), counts and logs it. */
static void record_job(struct worker_ctx *w, const struct job *j, const struct job_result *r,
                       int64_t start)
{
    struct errbuf derr = {""};
    struct job budget = *j;
    enum st rec;

    /* SHOPVOX_JOB_MAX_ATTEMPTS governs every job, also those queued before a change */
    budget.max_attempts = w->cfg->job_max_attempts;
    rec = r->st == ST_OK ? job_complete(w->db, j, &derr) : job_fail(w->db, &budget, r, &derr);
    count_job(j->kind, st_name(r->st));
    log_event(r->st == ST_OK ? LOG_INFO : LOG_WARN, "job_done", LOG_I64("job", j->id), "kind",
              j->kind, LOG_I64("attempt", j->attempts), "status", st_name(r->st), "throttled",
              r->throttled ? "true" : "false", LOG_I64("duration_ms", now_ms_monotonic() - start),
              "error", r->err.msg, NULL);
    if (rec != ST_OK)
        log_event(LOG_WARN, "job_record_failed", LOG_I64("job", j->id), "error", derr.msg, NULL);
    if (scheduler_is_task(j->kind))
        record_schedule(w, j, r);
}

/* After a handler: no transaction left open, and a live connection to record on. */
static bool handler_done(struct worker_ctx *w, const struct job *jobs, size_t n)
{
    struct errbuf derr = {""};

    store_rollback(w->db); /* a handler must not leave a transaction open */
    if (store_ensure(w->db, &derr) == ST_OK)
        return true;
    for (size_t i = 0; i < n; i++)
        log_event(LOG_WARN, "job_outcome_lost", LOG_I64("job", jobs[i].id), "kind", jobs[i].kind,
                  "reason", derr.msg, NULL);
    return false; /* the leases expire and the jobs run again */
}

static bool worker_stopping(const struct worker_ctx *w)
{
    return w->stopping != NULL && atomic_load(w->stopping);
}

/* Runs one claimed job with fn (NULL: no handler) and records its outcome. */
static void run_job(struct worker_ctx *w, job_handler_fn fn, struct job *j)
{
    struct job_result r = {ST_FAIL, 0, false, {""}};
    int64_t start = now_ms_monotonic();

    if (fn == NULL)
        errbuf_set(&r.err, "no handler for job kind %s", j->kind);
    else
        fn(w, j, &r);
    if (!handler_done(w, j, 1))
        return;
    record_job(w, j, &r, start);
}

/*
 * How many jobs a batch like jobs[0] should take (1..cfg->pvx_batch_max):
 * the due backlog of its kind spread over the batches one window of
 * PEOPLEVOX_RATE allows (batch_size_for_backlog). A failed count means the
 * floor.
 */
static int batch_target(struct worker_ctx *w, const struct job *j0)
{
    const struct cfg *cfg = w->cfg;
    long calls = cfg->pvx_rate != NULL ? strtol(cfg->pvx_rate, NULL, 10) : 0;
    long cap = (long)cfg->pvx_batch_max * (calls > BATCH_CALLS ? calls / BATCH_CALLS : 1);
    struct errbuf err = {""};
    long due;

    if (cfg->pvx_batch_max <= 1 || worker_stopping(w))
        return 1;
    due = job_count_due(w->db, j0->kind, j0->shop, cap, &err);
    if (due < 0) {
        log_event(LOG_WARN, "job_count_due_failed", "kind", j0->kind, "error", err.msg, NULL);
        due = 0;
    }
    return (int)batch_size_for_backlog((size_t)due + 1, calls, (size_t)cfg->pvx_batch_min,
                                       (size_t)cfg->pvx_batch_max);
}

/*
 * Claims up to batch_target - 1 more due jobs like jobs[0] and runs them
 * all through the kind's batch handler; returns how many ran. A failure to
 * claim more only means a batch of one.
 */
static int run_batch(struct worker_ctx *w, job_batch_fn fn, struct job *jobs)
{
    struct errbuf err = {""};
    int max = batch_target(w, &jobs[0]) - 1;
    int more = job_claim_more(w->db, w->worker_id, w->cfg->job_lease_s, jobs[0].kind,
                              jobs[0].shop, max, jobs + 1, &err);
    size_t n = 1 + (size_t)(more > 0 ? more : 0);
    struct job_result *res = xcalloc(n, sizeof(*res));
    int64_t start = now_ms_monotonic();

    if (more < 0)
        log_event(LOG_WARN, "job_claim_more_failed", "kind", jobs[0].kind, "error", err.msg,
                  NULL);
    fn(w, jobs, n, res);
    if (handler_done(w, jobs, n)) {
        for (size_t i = 0; i < n; i++)
            record_job(w, &jobs[i], &res[i], start);
    }
    for (size_t i = 1; i < n; i++)
        job_cleanup(&jobs[i]);
    free(res);
    return (int)n;
}

int worker_run_until_idle(struct worker_ctx *w, const struct job_kind *kinds, size_t n_kinds,
                          int max_jobs)
{
    struct errbuf err = {""};
    struct job *jobs = xcalloc((size_t)(w->cfg->pvx_batch_max > 1 ? w->cfg->pvx_batch_max : 1),
                               sizeof(*jobs));
    int done = 0;

    while (done < max_jobs && !worker_stopping(w)) {
        int r = job_claim(w->db, w->worker_id, w->cfg->job_lease_s, &jobs[0], &err);
        const struct job_kind *k;

        if (r <= 0)
            break;
        k = kind_find(kinds, n_kinds, jobs[0].kind);
        limiter_set_thread_priority(k != NULL ? k->priority : RL_PRIO_NORMAL);
        if (k != NULL && k->run_batch != NULL &&
            (k->run_one == NULL || w->cfg->pvx_batch_max > 1)) {
            done += run_batch(w, k->run_batch, jobs);
        } else {
            run_job(w, k != NULL ? k->run_one : NULL, &jobs[0]);
            done++;
        }
        job_cleanup(&jobs[0]);
    }
    free(jobs);
    return done;
}

static bool listen_jobs(struct store_conn *db)
{
    struct errbuf err;

    return store_ensure(db, &err) == ST_OK &&
           store_cmd(db, "LISTEN " JOB_NOTIFY_CHANNEL, &err) == ST_OK;
}

/* Sleeps until a notification arrives, the timeout passes or the pool stops. */
static void wait_for_work(struct store_conn *db, int timeout_ms)
{
    PGconn *pg = store_pg(db);
    int fd = PQsocket(pg);
    fd_set rd;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    PGnotify *n;
    bool pending = false;

    PQconsumeInput(pg); /* notifications read during the last query */
    while ((n = PQnotifies(pg)) != NULL) {
        PQfreemem(n);
        pending = true;
    }
    if (pending)
        return;
    if (fd < 0) {
        usleep((useconds_t)timeout_ms * 1000);
        return;
    }
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    if (select(fd + 1, &rd, NULL, NULL, &tv) > 0)
        PQconsumeInput(pg);
    while ((n = PQnotifies(pg)) != NULL)
        PQfreemem(n);
}

bool job_take_token(struct worker_ctx *w, enum rl_api api, enum rl_priority prio,
                    int64_t sleep_max_ms, const char *what, struct job_result *r)
{
    int64_t wait_ms = 0;

    if (limiter_take_waiting(w->limiter, api, prio, sleep_max_ms, w->stopping, &wait_ms,
                             &r->err) == ST_OK)
        return true;
    if (r->err.msg[0] == '\0')
        errbuf_set(&r->err, "no %s token for %lld ms (%s)", rl_api_name(api),
                   (long long)wait_ms, what);
    r->st = ST_RETRY;
    job_result_throttle(r, wait_ms);
    return false;
}

/* Runs the kinds' start hooks (job_handler.h), in table order. */
static void warm_kinds(struct worker_ctx *w, const struct job_kind *kinds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (kinds[i].warm == NULL)
            continue;
        limiter_set_thread_priority(kinds[i].priority);
        kinds[i].warm(w);
    }
}

static void *worker_main(void *arg)
{
    struct worker_thread *t = arg;
    struct worker_pool *p = t->pool;
    struct store_conn *db = store_conn_create(p->cfg->database_url);
    struct worker_ctx w = {p->cfg, db,    p->pvx,      curl_easy_init(),
                           t->id,  &p->stop, p->shopline, p->limiter};
    bool listening = false;

    if (t->index == 0)
        warm_kinds(&w, p->kinds, p->n_kinds);
    while (!atomic_load(&p->stop)) {
        if (!listening && !(listening = listen_jobs(db))) {
            usleep(WORKER_DB_RETRY_MS * 1000);
            continue;
        }
        if (worker_run_until_idle(&w, p->kinds, p->n_kinds, 16) > 0)
            continue;
        if (PQstatus(store_pg(db)) != CONNECTION_OK) {
            listening = false;
            continue;
        }
        wait_for_work(db, WORKER_POLL_MS);
    }
    curl_easy_cleanup(w.curl);
    store_conn_destroy(db);
    return NULL;
}

/*
 * Keeps the leases of this process's running jobs alive, so a slow job
 * (Peoplevox timing out call after call) is never claimed by another
 * process while it still runs. If the process dies the heartbeat stops and
 * the leases expire: that is how a killed process's jobs are rescued.
 */
static void *heartbeat_main(void *arg)
{
    struct worker_pool *p = arg;
    struct store_conn *db = store_conn_create(p->cfg->database_url);
    int interval_ms = p->cfg->job_lease_s * 1000 / 3;
    struct errbuf err = {""};

    while (!atomic_load(&p->stop)) {
        for (int slept = 0; slept < interval_ms && !atomic_load(&p->stop); slept += 100)
            usleep(100 * 1000);
        if (atomic_load(&p->stop) || store_ensure(db, &err) != ST_OK)
            continue;
        if (job_extend_leases(db, p->owner_prefix, p->cfg->job_lease_s, &err) != ST_OK)
            log_event(LOG_WARN, "lease_heartbeat_failed", "error", err.msg, NULL);
    }
    store_conn_destroy(db);
    return NULL;
}

struct worker_pool *worker_pool_start(const struct cfg *cfg, struct pvx_client *pvx,
                                      struct shopline_client *shopline, struct limiter *limiter,
                                      const struct job_kind *kinds, size_t n_kinds)
{
    struct worker_pool *p = xcalloc(1, sizeof(*p));
    char replica[72];

    replica_name(replica, sizeof(replica));
    metrics_describe("shopvox_jobs_processed_total", MET_COUNTER,
                     "Job attempts by kind and outcome (ok, retry, fail)");
    p->cfg = cfg;
    p->pvx = pvx;
    p->shopline = shopline;
    p->limiter = limiter;
    p->kinds = kinds;
    p->n_kinds = n_kinds;
    p->n = cfg->workers;
    atomic_init(&p->stop, false);
    p->threads = xcalloc((size_t)(p->n > 0 ? p->n : 1), sizeof(*p->threads));
    snprintf(p->owner_prefix, sizeof(p->owner_prefix), "%s:", replica);
    for (int i = 0; i < p->n; i++) {
        struct worker_thread *t = &p->threads[i];

        t->pool = p;
        t->index = i;
        snprintf(t->id, sizeof(t->id), "%sw%d", p->owner_prefix, i);
        pthread_create(&t->tid, NULL, worker_main, t);
    }
    pthread_create(&p->heartbeat, NULL, heartbeat_main, p);
    return p;
}

void worker_pool_quiesce(struct worker_pool *p, int64_t deadline_ms)
{
    if (p == NULL || atomic_exchange(&p->stop, true))
        return;
    log_event(LOG_INFO, "workers_quiesce", LOG_I64("deadline_ms", deadline_ms - now_ms_monotonic()),
              NULL);
    if (p->pvx != NULL)
        pvx_client_abort_at(p->pvx, deadline_ms - WORKER_RECORD_MARGIN_MS);
}

/* Hands every job this process still holds back to the queue, due now. */
static void release_leases(struct worker_pool *p)
{
    struct store_conn *db = store_conn_create(p->cfg->database_url);
    struct errbuf err = {""};
    int released = store_ensure(db, &err) == ST_OK
                       ? job_release_owned(db, p->owner_prefix, &err)
                       : -1;

    if (released < 0)
        log_event(LOG_WARN, "lease_release_failed", "error", err.msg, NULL);
    else if (released > 0)
        log_event(LOG_WARN, "leases_released", LOG_I64("jobs", released), NULL);
    store_conn_destroy(db);
}

void worker_pool_stop(struct worker_pool *p)
{
    if (p == NULL)
        return;
    worker_pool_quiesce(p, now_ms_monotonic() + (int64_t)p->cfg->shutdown_deadline_s * 1000);
    for (int i = 0; i < p->n; i++)
        pthread_join(p->threads[i].tid, NULL);
    pthread_join(p->heartbeat, NULL);
    if (p->n > 0)
        release_leases(p);
    free(p->threads);
    free(p);
}
