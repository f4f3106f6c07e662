/*
 * job_handler.h - what a job handler sees, and how a job kind is wired.
 *
 * The worker pool (worker.h) knows no job kind of its own: service/main.c
 * hands it a table of struct job_kind rows, one per kind, and each handler
 * module (sales_order, catalogue, watchdog) exports the functions of its
 * row. Handler modules include this header, never worker.h, so the
 * arrows run one way: main.c -> worker -> (table) -> handlers.
 *
 * Adding a job kind is one table row in main.c plus its module.
 */
#ifndef SHOPVOX_JOB_HANDLER_H
#define SHOPVOX_JOB_HANDLER_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>

#include "common.h"
#include "config.h"
#include "jobs.h"
#include "pvx.h"
#include "ratelimit.h"
#include "store.h"

struct limiter;
struct shopline_client;

/* What a handler gets: everything borrowed, valid for the call. */
struct worker_ctx {
    const struct cfg *cfg;
    struct store_conn *db;     /* this worker's own connection (no open transaction) */
    struct pvx_client *pvx;    /* shared, thread-safe */
    CURL *curl;                /* this worker's own handle */
    const char *worker_id;
    const atomic_bool *stopping; /* NULL, or set on shutdown: claim nothing more */
    struct shopline_client *shopline; /* shared, thread-safe; NULL when not configured */
    struct limiter *limiter;   /* shared; NULL: no token taken */
};

/*
 * A job handler fills r (zeroed by the caller). r->st ST_OK: the job is
 * done (including "handled by opening an exception"). ST_RETRY: try again
 * later (r->retry_delay_ms may be set; 0 = backoff; r->throttled when the
 * far side refused the call without applying it). ST_FAIL: permanent; the
 * job goes dead with an exception. r->err says why on RETRY/FAIL. The
 * handler must leave no transaction open on w->db.
 */
typedef void (*job_handler_fn)(struct worker_ctx *w, const struct job *j, struct job_result *r);

/*
 * A batch handler: runs jobs[0..n-1] (all of one kind and shop, claimed
 * by this worker) and fills results[i] for every jobs[i], with the same
 * meaning as a job_handler_fn's status. The worker records each job's
 * outcome on its own. Kinds with a batch handler are claimed up to
 * cfg->pvx_batch_max at a time when that is above 1; n may be 1.
 */
typedef void (*job_batch_fn)(struct worker_ctx *w, const struct job *jobs, size_t n,
                             struct job_result *results);

/*
 * A start hook: runs once when the pool starts, on one worker (worker 0)
 * before it claims its first job, with that worker's context. For work a
 * kind's first job should not pay for, or that shows a misconfiguration
 * in the log at once (the sales_order kinds learn the tenant's save
 * templates). It cannot fail the pool: it logs what went wrong, and the
 * handlers must cope without it. It leaves no transaction open.
 */
typedef void (*job_warm_fn)(struct worker_ctx *w);

/*
 * One row of the pool's table: a job kind and the functions that run it.
 * At least one of the two is set. With both, run_batch is used only when
 * cfg->pvx_batch_max > 1; with run_batch alone it is the one way in, and
 * takes batches of one when batching is off. Kinds served by one module
 * give its start hook to one row only.
 */
struct job_kind {
    const char *kind;       /* jobs.kind, e.g. "post_sales_order" */
    job_handler_fn run_one; /* NULL: the kind always runs through run_batch */
    job_batch_fn run_batch; /* NULL: the kind runs one job at a time */
    job_warm_fn warm;       /* NULL: nothing to do at start */
    enum rl_priority priority; /* of its Peoplevox calls when the budget is short
                                * (ratelimit.h); left out: normal */
};

/*
 * A token of api's shared bucket for the handler's next call, sleeping up
 * to sleep_max_ms for it (cut short at shutdown); false when none came:
 * r is then a throttled retry (uncounted, due when the bucket said) and
 * r->err says why ("no <api> token for N ms (what)", or the limiter's own
 * error). Without a limiter, true.
 */
bool job_take_token(struct worker_ctx *w, enum rl_api api, enum rl_priority prio,
                    int64_t sleep_max_ms, const char *what, struct job_result *r);

#endif
