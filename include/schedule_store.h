/*
 * schedule_store.h - the schedules table (libpq): how each scheduled
 * task's last run ended, and the reports built on it.
 *
 * Written by the worker that ran a scheduled task's job when the job
 * finished (worker.c), read by the gauges of /metrics (every replica) and
 * `shopvox schedules`. Functions run in the caller's transaction if one is
 * open. Ownership: every argument is borrowed; results are the caller's
 * (PQclear). Functions return ST_OK, ST_RETRY (connection lost) or ST_FAIL
 * (SQL) with err set when not ST_OK.
 */
#ifndef SHOPVOX_SCHEDULE_STORE_H
#define SHOPVOX_SCHEDULE_STORE_H

#include <stdbool.h>

#include "common.h"
#include "store.h"

/*
 * Records one finished run of task by replica: a success (error NULL) or a
 * failure (error its reason).
 */
enum st schedule_store_record(struct store_conn *c, const char *task, const char *replica,
                              const char *error, struct errbuf *err);

/*
 * Rows (task, last_run_s, last_success_s, failing) for the gauges: Unix
 * seconds as numbers, last_success_s 0 when the task never succeeded,
 * failing 0 or 1. NULL with *st set on failure.
 */
PGresult *schedule_store_gauges(struct store_conn *c, enum st *st, struct errbuf *err);

/*
 * The operator's report: one row per task of tasks[0..n) in that order,
 * columns task, enqueued_at (when the scheduler last enqueued it, from its
 * cursor), last_run_at, last_success_at, failing, last_error,
 * last_error_at, replica, runs, failures (times ISO 8601 UTC text, NULL
 * when never). NULL with *st set on failure.
 */
PGresult *schedule_store_report(struct store_conn *c, const char *const *tasks, size_t n,
                                enum st *st, struct errbuf *err);

#endif
