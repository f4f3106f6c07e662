/*
 * scheduler.h - periodic work, run by exactly one replica at a time.
 *
 * Leadership is a session-level pg_try_advisory_lock held on the
 * scheduler's own connection: if the leader dies its connection closes,
 * the lock is released and another replica takes over within a tick.
 * The leader only enqueues jobs (deduplicated by key), so the work itself
 * runs on any replica's workers and a leadership change never doubles it.
 * When each task was last enqueued is kept in `cursors`, so a new leader
 * keeps the schedule instead of restarting it; the leader writes its name
 * to the cursor SCHEDULER_LEADER_CURSOR when it takes over. How each run
 * ended is recorded by the worker that ran the task's job (schedules
 * table, schedule_store.h).
 */
#ifndef SHOPVOX_SCHEDULER_H
#define SHOPVOX_SCHEDULER_H

#include "config.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>

#define SCHEDULER_LEADER_CURSOR "scheduler_leader"
#define SCHEDULER_MAX_TASKS 16

/* One periodic task: its name is the job kind it enqueues and its cursor's name. */
struct scheduler_task {
    const char *name;
    const char *key;        /* the job's dedupe key */
    int interval_s;         /* 0 when listed without a configuration */
};

/*
 * The periodic tasks, in order, into out (SCHEDULER_MAX_TASKS entries)
 * with cfg's intervals (cfg NULL: names only); returns how many.
 */
size_t scheduler_tasks(const struct cfg *cfg, struct scheduler_task *out);

/* Whether job kind `kind` is one of the periodic tasks. */
bool scheduler_is_task(const char *kind);

struct scheduler;

struct scheduler *scheduler_start(const struct cfg *cfg);
void scheduler_stop(struct scheduler *s);

/*
 * Validates SHOPVOX_ROUTING_RULES and, with db non-NULL, seeds the shop's
 * routing_rules from it when the table has none for the shop (the
 * database is the source of truth afterwards; the leader does this).
 * Returns 0, or -1 with err set.
 */
int scheduler_seed_routing(const struct cfg *cfg, struct store_conn *db, struct errbuf *err);

#endif
