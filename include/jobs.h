/*
 * jobs.h - the durable job queue in PostgreSQL (transactional outbox).
 *
 * A job is claimed with SELECT ... FOR UPDATE SKIP LOCKED and a lease; a
 * job whose lease expired (its process died) is claimable again. The
 * attempt number doubles as a fencing token: completing or failing a job
 * only takes effect if nobody re-claimed it meanwhile. Retries back off
 * exponentially with jitter up to a cap; after max_attempts the job is
 * dead and an exception is opened. A dead job can be retried by an operator.
 */
#ifndef SHOPVOX_JOBS_H
#define SHOPVOX_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "ratelimit.h"
#include "store.h"

#define JOB_NOTIFY_CHANNEL "shopvox_jobs"

struct job {
    long long id;
    char kind[48];
    char shop[128];
    char dedupe_key[160];
    char *payload;       /* JSON text, owned (job_cleanup) */
    int attempts;        /* including this one; also the fencing token */
    int max_attempts;
    int uncounted_attempts; /* attempts that do not count against max_attempts */
};

/* One job's outcome, as a handler reports it (see job_handler.h). */
struct job_result {
    enum st st;
    int64_t retry_delay_ms;    /* 0 = backoff */
    bool throttled;            /* ST_RETRY because the far side refused to take the
                                  call (rate limit): nothing was applied, and the
                                  attempt does not count against max_attempts */
    struct errbuf err;         /* why, on RETRY/FAIL */
};

void job_cleanup(struct job *j);

/*
 * Records kind's priority for the claim order: a due job of a HIGH kind is
 * claimed before any due NORMAL one, NORMAL before LOW, oldest first within
 * a rank (the rank is stored with the job when it is enqueued). Call for
 * every kind at start, before anything enqueues (not thread-safe against
 * concurrent enqueues); an unregistered kind is NORMAL.
 */
void job_kind_priority_set(const char *kind, enum rl_priority prio);

/*
 * Enqueues (kind, dedupe_key) unless a live job with that key exists;
 * runs in the caller's transaction if one is open. delay_ms delays the
 * first run. *created (may be NULL) tells whether a row was added; with
 * NULL nothing is read back, and on a connection in pipeline mode the
 * statement is deferred (store_exec_deferred).
 * When the live job is running, it is marked to run once more after it
 * finishes (rerun_requested): work asked for while the job runs may
 * depend on what the running attempt could not see yet, so it is never
 * dropped. When it is pending but due later (backoff, a wait), it is
 * brought forward to this request's time.
 */
enum st job_enqueue(struct store_conn *c, const char *shop, const char *kind,
                    const char *dedupe_key, const char *payload_json, int64_t delay_ms,
                    bool *created, struct errbuf *err);

/*
 * Claims one due job (pending and due, or running with an expired lease)
 * for worker_id with a lease of lease_s seconds. Returns 1 with *out
 * filled, 0 when nothing is due, -1 on a database error (err set).
 */
int job_claim(struct store_conn *c, const char *worker_id, int lease_s, struct job *out,
              struct errbuf *err);

/*
 * How many jobs of kind for shop are due now (pending, run_at passed),
 * counted up to limit (the caller's batch sizing needs no more): 0..limit,
 * or -1 on a database error (err set).
 */
long job_count_due(struct store_conn *c, const char *kind, const char *shop, long limit,
                   struct errbuf *err);

/*
 * Claims up to max more due jobs of kind for shop (same rules and lease as
 * job_claim, one statement), into out[0..max-1] in queue order, so a
 * worker can post several orders with one Peoplevox call. Returns how many
 * (0..max), or -1 on a database error (err set). Each claimed job is
 * completed or failed on its own, fenced by its own attempts.
 */
int job_claim_more(struct store_conn *c, const char *worker_id, int lease_s, const char *kind,
                   const char *shop, int max, struct job *out, struct errbuf *err);

/*
 * Marks the job done (fenced by attempts); a job whose re-run was requested
 * meanwhile goes back to pending, due now, with a fresh attempt budget.
 */
enum st job_complete(struct store_conn *c, const struct job *j, struct errbuf *err);

/*
 * Records a failed attempt (r->st ST_RETRY or ST_FAIL, r->err the reason).
 * ST_RETRY reschedules after r->retry_delay_ms (or the backoff schedule
 * when 0) unless the counted attempts are exhausted; a throttled retry is
 * never counted and never exhausts. ST_FAIL, or exhaustion, makes the job
 * dead and opens a `job_dead` exception naming the job and the error; if
 * a re-run was requested meanwhile, a fresh job with the same key is
 * queued beside the dead one.
 */
enum st job_fail(struct store_conn *c, const struct job *j, const struct job_result *r,
                 struct errbuf *err);

/*
 * Lease heartbeat: extends to lease_s seconds from now the lease of every
 * running job whose locked_by starts with owner_prefix (every worker id of
 * one process, "host:pid:"), so a slow job is not claimed elsewhere while
 * it still runs. Fencing is untouched: attempts do not change.
 */
enum st job_extend_leases(struct store_conn *c, const char *owner_prefix, int lease_s,
                          struct errbuf *err);

/*
 * Shutdown release: puts every running job whose locked_by starts with
 * owner_prefix back to pending, due now, with that attempt uncounted and
 * last_error 'released at shutdown', so another process claims it at once
 * instead of after its lease. Only for jobs whose outcome will not be
 * recorded (the process's workers have stopped). Returns how many jobs
 * were released, or -1 on a database error (err set).
 */
int job_release_owned(struct store_conn *c, const char *owner_prefix, struct errbuf *err);

/*
 * Deletes up to limit done jobs of shop finished more than days ago;
 * *deleted counts them (retention).
 */
enum st job_purge_done(struct store_conn *c, const char *shop, int days, int limit,
                       long *deleted, struct errbuf *err);

/*
 * Rows (kind, state, count) of the jobs that are not done (pending,
 * running, dead), answered by the partial index jobs_live; the caller
 * PQclears. NULL with *st and err set on failure.
 */
PGresult *job_count_live(struct store_conn *c, enum st *st, struct errbuf *err);

/* Attempts that count against max_attempts (attempts - uncounted_attempts). */
int job_counted_attempts(const struct job *j);

/*
 * The operator's look-ups. The live (pending or running: at most one)
 * job of (kind, dedupe_key) of any shop: *id and its state into state
 * (cap bytes); *found false when there is none.
 */
enum st job_find_live(struct store_conn *c, const char *kind, const char *dedupe_key,
                      long long *id, char *state, size_t cap, bool *found, struct errbuf *err);
/* The kind of shop's job job_id into kind (cap bytes); *found false when absent. */
enum st job_find_kind(struct store_conn *c, const char *shop, long long job_id, char *kind,
                      size_t cap, bool *found, struct errbuf *err);
/*
 * Rows (id, kind, state, attempts, max_attempts, run_at, last_error,
 * created_at, finished_at; times as ISO 8601 UTC text) of shop's jobs
 * whose payload names order_id, by id, for `shopvox order show`: the
 * caller PQclears. NULL with *st and err set on failure.
 */
PGresult *job_report_for_order(struct store_conn *c, const char *shop, const char *order_id,
                               enum st *st, struct errbuf *err);

/* Puts a dead (or pending) job back to run now with fresh attempts. */
enum st job_retry(struct store_conn *c, long long job_id, struct errbuf *err);

/*
 * Marks r as a throttled retry (see struct job_result) due after the far
 * side's cool-down: retry_after_ms plus a jitter of up to a quarter of it
 * (at least 200 ms), so the workers that were refused together do not all
 * come back in the same instant.
 */
void job_result_throttle(struct job_result *r, int64_t retry_after_ms);

/* Backoff used between attempts (exponential, equal jitter, capped). */
int64_t job_backoff_ms(int attempts);

/* What job_run_now did. */
struct job_run_outcome {
    long long job_id;
    bool created;             /* a new job was enqueued */
    bool running;             /* a live job is running: left alone (it was marked to re-run) */
    char prior_state[16];     /* state of the live job found ("" when created) */
};

/*
 * A person's "run it now" (the CLI, the admin API): enqueues (kind,
 * dedupe_key) for shop; when a live job with that key exists, a pending
 * one is brought to now with fresh attempts (job_retry) and a running one
 * is left alone. Runs in the caller's transaction.
 */
enum st job_run_now(struct store_conn *c, const char *shop, const char *kind,
                    const char *dedupe_key, const char *payload_json,
                    struct job_run_outcome *out, struct errbuf *err);

/*
 * The admin API's list: shop's jobs in state and of kind (NULL: any),
 * newest (highest id) first, id below before_id (0: from the newest), at
 * most limit; job_report_for_order's columns plus dedupe_key and payload.
 */
PGresult *job_report_page(struct store_conn *c, const char *shop, const char *state,
                          const char *kind, long long before_id, int limit, enum st *st,
                          struct errbuf *err);

#endif
