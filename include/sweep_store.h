/*
 * sweep_store.h - the order_sweeps table (libpq): one row per run of a
 * reconciliation sweep (orders: missed webhooks; warehouse: orders vs
 * Peoplevox; despatches: despatches vs Shopline), what it read and found.
 *
 * Used by the sweeps (sweep_run.h) and by `shopvox reconcile` (which
 * creates the row of the run it asks for and waits on it) and `shopvox
 * report reconcile` (the latest run of each sweep).
 * Functions run outside any transaction (each statement commits);
 * strings are borrowed.
 */
#ifndef SHOPVOX_SWEEP_STORE_H
#define SHOPVOX_SWEEP_STORE_H

#include <stdint.h>

#include "common.h"
#include "store.h"

/* A run as read back. */
struct sweep_run {
    char sweep[16];        /* orders | warehouse | despatches */
    char state[16];        /* pending | running | done | failed */
    int64_t since_ms;      /* the operator's since (window start), -1: none */
    long pages, listed, recovered;
    long missing, different, unknown, requeued;
    char error[256];
};

/*
 * A new pending run of sweep for shop ("schedule" or "operator"; since_iso
 * may be NULL) into *id.
 */
enum st sweep_store_create(struct store_conn *c, const char *shop, const char *sweep,
                           const char *requested, const char *since_iso, long long *id,
                           struct errbuf *err);

/* Run id as it is (ST_FAIL with err when there is no such run). */
enum st sweep_store_get(struct store_conn *c, long long id, struct sweep_run *out,
                        struct errbuf *err);

/* Run id is running over the window from window_from_iso. */
enum st sweep_store_start(struct store_conn *c, long long id, const char *window_from_iso,
                          struct errbuf *err);

/* Run id ends in state (done, failed, or pending again for a retry) with r's counts and error. */
enum st sweep_store_finish(struct store_conn *c, long long id, const char *state,
                           const struct sweep_run *r, struct errbuf *err);

/*
 * The latest run of each sweep of shop, for the report: rows (sweep, id,
 * requested, state, created_at, started_at, finished_at, window_from,
 * listed, recovered, missing, different, unknown, requeued, error), times
 * ISO UTC or NULL, ordered by sweep. The caller PQclears; NULL with *st
 * set on failure.
 */
PGresult *sweep_store_latest(struct store_conn *c, const char *shop, enum st *st,
                             struct errbuf *err);

#endif
