/*
 * sweep_run.h - the life of one reconciliation sweep run, shared by the
 * sweeps (orders: order_sweep.h; warehouse and despatches: reconcile.h).
 *
 * A run is an order_sweeps row (sweep_store.h) and a job. The leader's
 * schedule enqueues the job with the sweep's own key; the job then makes
 * its row ("schedule"). An operator's `shopvox reconcile ...` makes the
 * row first ("operator", with an optional window start) and enqueues the
 * job keyed SWEEP_OPERATOR_KEY<id>, so the job finds its row and the CLI
 * can wait on it. A run ends done or failed; an operator's run that is
 * retried goes back to pending (its row is all the operator watches).
 */
#ifndef SHOPVOX_SWEEP_RUN_H
#define SHOPVOX_SWEEP_RUN_H

#include <stdbool.h>

#include "common.h"
#include "job_handler.h"
#include "store.h"
#include "sweep_store.h"

#define SWEEP_OPERATOR_KEY "operator:"

/*
 * Asks for a run of sweep now: its row (since_iso may be NULL) and a job
 * of kind keyed SWEEP_OPERATOR_KEY<id> with payload {"sweep_id": id}.
 */
enum st sweep_run_request(struct store_conn *c, const char *shop, const char *sweep,
                          const char *kind, const char *since_iso, long long *id,
                          struct errbuf *err);

/* One run as its job sees it. */
struct sweep_job {
    long long id;          /* the row; 0 until there is one */
    bool scheduled;        /* the schedule's run (its own key), not an operator's */
    struct sweep_run run;  /* the row as read back; the handler fills the counts */
};

/*
 * The run job j is (of sweep, for shop) into *s: an operator's row named
 * by the key, or a new row of the schedule, read back. ST_OK or an error.
 */
enum st sweep_job_open(struct store_conn *c, const char *shop, const char *sweep,
                       const struct job *j, struct sweep_job *s, struct errbuf *err);

/*
 * The window of a sweep that looks back a number of days (warehouse,
 * despatches): the operator's since, else now_ms minus days, checked by
 * sweep_window_from (no further back than 31 days, not in the future);
 * into from_iso (UTC), and the row is running over it. false with r
 * filled (ST_FAIL for a since the rule refuses).
 */
bool sweep_job_start_days(struct store_conn *c, struct sweep_job *s, int days, int64_t now_ms,
                          char *from_iso, size_t cap, struct job_result *r);

/*
 * The run's row ends as r says: done (ST_OK), failed, or pending again
 * for an operator's run that will be retried; the error is r's. A failure
 * to record it is logged, never r's outcome. Nothing when s has no row.
 */
void sweep_job_close(struct store_conn *c, struct sweep_job *s, const struct job_result *r);

#endif
