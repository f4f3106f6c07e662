/*
 * worker.h - the worker pool: threads that claim jobs and run handlers.
 *
 * Each worker thread owns its database connection (LISTENing for job
 * notifications, with a polling fallback) and its libcurl handle; the
 * Peoplevox client (one session per tenant) is shared and thread-safe.
 */
#ifndef SHOPVOX_WORKER_H
#define SHOPVOX_WORKER_H

#include <curl/curl.h>
#include <stdatomic.h>

#include "common.h"
#include "config.h"
#include "jobs.h"
#include "pvx.h"
#include "store.h"

/* What a handler gets: everything borrowed, valid for the call. */
struct worker_ctx {
    const struct cfg *cfg;
    struct store_conn *db;     /* this worker's own connection (no open transaction) */
    struct pvx_client *pvx;    /* shared, thread-safe */
    CURL *curl;                /* this worker's own handle */
    const char *worker_id;
    const atomic_bool *stopping; /* NULL, or set on shutdown: claim nothing more */
};

/*
 * A job handler fills r (zeroed by the caller). r->st ST_OK: the job is
 * done (including "handled by opening an exception"). ST_RETRY: try again
 * later (r->retry_delay_ms may be set; 0 = backoff; r->throttled when the
 * far side refused the call without applying it). ST_FAIL: permanent; the
 * job goes dead with an exception. r->err says why on RETRY/FAIL.
 */
typedef void (*job_handler_fn)(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * A batch handler: runs jobs[0..n-1] (all of one kind and shop, claimed
 * by this worker) and fills results[i] for every jobs[i], with the same
 * meaning as a job_handler_fn's status. The worker records each job's
 * outcome on its own. Kinds with a batch handler are claimed up to
 * cfg->pvx_batch_max at a time; n may be 1.
 */
typedef void (*job_batch_fn)(struct worker_ctx *w, const struct job *jobs, size_t n,
                             struct job_result *results);

struct worker_pool;

/* Starts cfg->workers threads; handlers are looked up by job kind. */
struct worker_pool *worker_pool_start(const struct cfg *cfg, struct pvx_client *pvx);
/*
 * Shutdown, step 1 (returns at once): workers claim nothing more from now
 * on, and Peoplevox calls still in flight at deadline_ms (monotonic) are
 * cut short so every worker can record its outcome before the process
 * must be gone. Safe to call more than once; NULL ok.
 */
void worker_pool_quiesce(struct worker_pool *p, int64_t deadline_ms);
/*
 * Shutdown, step 2: joins the workers (quiescing first if that was not
 * done), then releases the lease of any job this process still holds
 * (its outcome was not recorded), so another replica takes it at once
 * instead of after the lease. NULL ok.
 */
void worker_pool_stop(struct worker_pool *p);

/* Runs due jobs on the calling thread until none is due (tests, CLI). */
int worker_run_until_idle(struct worker_ctx *w, int max_jobs);

/* The handler for a kind, or NULL. */
job_handler_fn worker_handler_for(const char *kind);
/* The batch handler for a kind, or NULL (the kind runs one job at a time). */
job_batch_fn worker_batch_handler_for(const char *kind);

#endif
