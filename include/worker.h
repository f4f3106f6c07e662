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
};

/*
 * A job handler. ST_OK: the job is done (including "handled by opening an
 * exception"). ST_RETRY: try again later (*retry_delay_ms may be set; 0 =
 * backoff). ST_FAIL: permanent; the job goes dead with an exception.
 * err says why on RETRY/FAIL.
 */
typedef enum st (*job_handler_fn)(struct worker_ctx *w, const struct job *j,
                                  int64_t *retry_delay_ms, struct errbuf *err);

struct worker_pool;

/* Starts cfg->workers threads; handlers are looked up by job kind. */
struct worker_pool *worker_pool_start(const struct cfg *cfg, struct pvx_client *pvx);
/* Asks workers to stop after their current job and joins them; NULL ok. */
void worker_pool_stop(struct worker_pool *p);

/* Runs due jobs on the calling thread until none is due (tests, CLI). */
int worker_run_until_idle(struct worker_ctx *w, int max_jobs);

/* The handler for a kind, or NULL. */
job_handler_fn worker_handler_for(const char *kind);

#endif
