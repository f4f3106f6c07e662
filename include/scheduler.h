/*
 * scheduler.h - periodic work, run by exactly one replica at a time.
 *
 * Leadership is a session-level pg_try_advisory_lock held on the
 * scheduler's own connection: if the leader dies its connection closes,
 * the lock is released and another replica takes over within a tick.
 * The leader only enqueues jobs (deduplicated by key), so the work itself
 * runs on any replica's workers and a leadership change never doubles it.
 * When each task last ran is kept in `cursors`, so a new leader keeps the
 * schedule instead of restarting it.
 */
#ifndef SHOPVOX_SCHEDULER_H
#define SHOPVOX_SCHEDULER_H

#include "config.h"
#include "store.h"

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
