/*
 * ops_status.h - what the service is doing, as an operator reads it: the
 * scheduler's tasks, the shared rate limiter's buckets, the latest sweep
 * runs. One implementation for the CLI (shopvox schedules, shopvox report
 * reconcile) and the admin API (/api/v1/schedules, /limiter,
 * /reports/reconcile). Read-only; each answers a JSON object (owned by the
 * caller) whose fields the README lists. ST_RETRY/ST_FAIL with err set on
 * a database failure.
 */
#ifndef SHOPVOX_OPS_STATUS_H
#define SHOPVOX_OPS_STATUS_H

#include <json-c/json.h>

#include "common.h"
#include "config.h"
#include "store.h"

/*
 * {tasks: [{task, interval_s, enqueued_at, last_run_at, last_success_at,
 * failing, last_error, last_error_at, replica, runs, failures,
 * next_due_at}], leader, despatch_watermark}: every periodic task of cfg,
 * a task that never ran with nulls; next_due_at = when the leader enqueues
 * it next (last enqueued + interval), null before the first time.
 */
enum st ops_schedules_report(struct store_conn *c, const struct cfg *cfg,
                             struct json_object **out, struct errbuf *err);

/*
 * {buckets: [{api, rate_per_s, burst, tokens, used_pct, updated_at,
 * slow_until, held_until}], paused}: each API's shared bucket for shop
 * with cfg's limits (tokens and used_pct null for a bucket never used);
 * paused: the shop's outbound calls are paused (outbound_pauses).
 */
enum st ops_limiter_report(struct store_conn *c, const struct cfg *cfg, const char *shop,
                           struct json_object **out, struct errbuf *err);

/* {sweeps: [the latest run of orders, warehouse, despatches, or {sweep, state: "never"}]}. */
enum st ops_reconcile_report(struct store_conn *c, const char *shop, struct json_object **out,
                             struct errbuf *err);

#endif
