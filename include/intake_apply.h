/*
 * intake_apply.h - the order logic for deliveries stored first (the
 * pending inbox, sql/031).
 *
 * Under load the committers (intake_group.h) answer a delivery 200 once
 * its raw bytes are committed as a 'pending' webhook_events row. The
 * applier then runs exactly the logic an inline delivery runs
 * (intake_process_nested: the order's lock, the stale and replay rules,
 * lines, history, jobs, exceptions) on the pending rows, oldest first, in
 * batches of one transaction each, and gives every row the outcome an
 * inline delivery of it would have had. A row whose application fails
 * with an unexpected SQL error is retried; after INBOX_APPLY_ATTEMPTS
 * failures it becomes 'failed' with an invalid_webhook exception for ops.
 * Rows are claimed FOR UPDATE SKIP LOCKED, so every replica's applier can
 * run, and rows left by a killed process are applied by the next pass.
 */
#ifndef SHOPVOX_INTAKE_APPLY_H
#define SHOPVOX_INTAKE_APPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "store.h"

/*
 * Intake is under pressure while deliveries arrive faster than this a
 * second (measured over INTAKE_PRESSURE_WINDOW_MS): every delivery then
 * goes to the pending inbox (intake_group.c), and the applier yields to
 * intake (intake_apply.c).
 */
#define INTAKE_PRESSURE_RATE 250
#define INTAKE_PRESSURE_WINDOW_MS 200

struct intake_apply_cfg {
    const char *shop;          /* SHOPLINE_SHOP_DOMAIN: a row of another shop is ignored */
    const char *paid_statuses; /* SHOPVOX_PAID_STATUSES */
    const char *returns_mode;  /* SHOPVOX_RETURNS_MODE */
    int batch_max;             /* rows in one transaction at most (savepoints: <= 60) */
    int poll_ms;               /* a pass at least this often (other replicas' rows) */
    int threads;               /* passes running at once, each with its own connection */
};

/*
 * One pass on connection c (no transaction open): BEGIN, claims up to
 * max (<= 60) pending rows of partition part (0..cfg->threads-1; one
 * order's rows are all in one partition), applies each under its own savepoint,
 * COMMIT. Only rows with ids above *after (0: any) are claimed, and *after
 * becomes the last id claimed (claim_cursor.h). *claimed counts the rows
 * claimed (0: nothing was pending above *after).
 * ST_RETRY / ST_FAIL when the transaction was lost (nothing of it stays;
 * the rows are pending again); a row that failed alone does not fail the
 * pass.
 */
enum st intake_apply_pass(struct store_conn *c, const struct intake_apply_cfg *cfg, int part,
                          int max, int64_t *after, int *claimed, struct errbuf *err);

struct intake_applier;

/*
 * Starts cfg->threads applier threads, each with its own connection to
 * url; cfg is copied. Thread i applies partition i: one order's rows go
 * to one thread, oldest first, and two threads never wait for each
 * other's order rows. (Two replicas' threads of one partition may; a
 * deadlock between them undoes one row, applied again by the next pass.)
 */
struct intake_applier *intake_applier_create(const char *url, const struct intake_apply_cfg *cfg);

/* Stops the threads after their current pass (pending rows stay for the next start); NULL ok. */
void intake_applier_destroy(struct intake_applier *a);

/*
 * rows rows were just committed as pending: run a pass now. The rate of
 * nudged rows tells the threads whether intake is under pressure, when
 * they leave it most of the machine (intake_apply.c: PRESSURE_RATE).
 */
void intake_applier_nudge(struct intake_applier *a, int rows);

/*
 * Whether rows this process deferred (or found at start) may still be
 * pending: true from a nudge until a pass found nothing left to claim.
 * While it is true, new deliveries are deferred too, so they are applied
 * after the older ones, in arrival order.
 */
bool intake_applier_backlog(struct intake_applier *a);

#endif
