/*
 * worker.h - the worker pool: threads that claim jobs and run handlers.
 *
 * Each worker thread owns its database connection (LISTENing for job
 * notifications, with a polling fallback) and its libcurl handle; the
 * Peoplevox client (one session per tenant) is shared and thread-safe.
 * The pool knows no job kind: its caller (service/main.c) passes the table
 * of kinds and handlers (job_handler.h).
 */
#ifndef SHOPVOX_WORKER_H
#define SHOPVOX_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "job_handler.h"

struct worker_pool;

/*
 * Starts cfg->workers threads running the job kinds of kinds[0..n_kinds-1]
 * (borrowed: the table must outlive the pool; see job_handler.h). A
 * claimed job whose kind is not in the table fails for good ("no handler
 * for job kind X"). shopline and limiter (borrowed, may be NULL) are
 * handed to the handlers in their struct worker_ctx.
 */
struct worker_pool *worker_pool_start(const struct cfg *cfg, struct pvx_client *pvx,
                                      struct shopline_client *shopline, struct limiter *limiter,
                                      const struct job_kind *kinds, size_t n_kinds);
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

/*
 * Runs due jobs on the calling thread, with the handlers of
 * kinds[0..n_kinds-1] (as a pool worker does), until none is due, max_jobs
 * ran or w->stopping is set. Returns how many jobs ran (tests, CLI).
 */
int worker_run_until_idle(struct worker_ctx *w, const struct job_kind *kinds, size_t n_kinds,
                          int max_jobs);

#endif
