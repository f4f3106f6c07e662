/*
 * sweep_store.h - the order_sweeps table (libpq): one row per run of the
 * missed-order-webhook sweep, what it read and recovered.
 *
 * Used by the sweep (order_sweep.h) and by `shopvox reconcile orders`
 * (which creates the row of the run it asks for and waits on it).
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
    char state[16];        /* pending | running | done | failed */
    int64_t since_ms;      /* the operator's since, -1: none */
    long pages, listed, recovered;
    char error[256];
};

/* A new pending run of shop ("schedule" or "operator"; since_iso may be NULL) into *id. */
enum st sweep_store_create(struct store_conn *c, const char *shop, const char *requested,
                           const char *since_iso, long long *id, struct errbuf *err);

/* Run id as it is (ST_FAIL with err when there is no such run). */
enum st sweep_store_get(struct store_conn *c, long long id, struct sweep_run *out,
                        struct errbuf *err);

/* Run id is running over the window from window_from_iso. */
enum st sweep_store_start(struct store_conn *c, long long id, const char *window_from_iso,
                          struct errbuf *err);

/* Run id ends in state (done, failed, or pending again for a retry) with r's counts and error. */
enum st sweep_store_finish(struct store_conn *c, long long id, const char *state,
                           const struct sweep_run *r, struct errbuf *err);

#endif
