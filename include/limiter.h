/*
 * limiter.h - the outbound rate limiter every replica shares, one token
 * bucket per outside API for this store (ratelimit.h for the arithmetic,
 * ratelimit_store.h for the table).
 *
 * Every outbound call takes a token first, at a priority (ratelimit.h:
 * when the budget is short, high-priority takes find tokens first).
 * Peoplevox calls take theirs in the Peoplevox client (limiter_pvx gives
 * it the hook), at the priority of the job the calling thread runs: the
 * worker sets it from the job kind's row (limiter_set_thread_priority), as
 * the shared client has no per-call argument for it. A SHOPLINE client
 * takes its own, naming its priority:
 *
 *     int64_t wait_ms = 0;
 *     st = limiter_take(lim, RL_API_SHOPLINE, RL_PRIO_HIGH, &wait_ms, &err);
 *     if (st != ST_OK) {            // no token now: do not send
 *         job_result_throttle(r, wait_ms);   // an uncounted retry
 *         ...                       // (or sleep wait_ms when it is short)
 *     }
 *     ... send; on HTTP 429:
 *     limiter_note_throttled(lim, RL_API_SHOPLINE, retry_after_ms_or_0);
 *
 * Never take a token while holding a database transaction on another
 * connection, and never sleep for one inside a transaction: a wait can be
 * seconds.
 *
 * Pause: while the shop's outbound calls are paused (outbound_pauses, the
 * app uninstalled), every take is refused in the same statement:
 * ST_RETRY, wait LIMITER_PAUSED_RETRY_MS and err saying so (counted in
 * shopvox_ratelimit_paused_total), so no call leaves and a job is
 * rescheduled as throttled (never failed) until the pause is lifted.
 *
 * Failure: when the database cannot be reached the limiter fails closed
 * (ST_RETRY, wait LIMITER_DB_RETRY_MS, err says why): with the database
 * down no job could record its outcome anyway.
 *
 * Metrics (per API label "peoplevox"/"shopline"):
 * shopvox_ratelimit_granted_total, shopvox_ratelimit_waits_total (takes
 * that found no token), shopvox_ratelimit_shrinks_total (refusals for load
 * reported), gauge shopvox_ratelimit_tokens (the bucket's level after this
 * replica's last take).
 *
 * Thread-safe: connections come from the limiter's own small pool, one
 * per take, held for one statement. Ownership: strings are copied.
 */
#ifndef SHOPVOX_LIMITER_H
#define SHOPVOX_LIMITER_H

#include <stdatomic.h>
#include <stdint.h>

#include "common.h"
#include "pvx.h"
#include "ratelimit.h"

#define LIMITER_DB_RETRY_MS 1000
#define LIMITER_PAUSED_RETRY_MS 2000  /* a paused shop's takes are asked again after this */

struct limiter_opts {
    const char *database_url;
    const char *shop;                     /* the bucket's store (shop domain) */
    struct rl_limits limits[RL_API_COUNT]; /* per API, by enum rl_api */
    int connections;                      /* takes at once (pool size), >= 1 */
};

struct limiter;

/* Never NULL; connects lazily (a database that is down is retried per take). */
struct limiter *limiter_create(const struct limiter_opts *o);
/* NULL is fine; no take may be running. */
void limiter_destroy(struct limiter *l);

/*
 * One token of api's bucket at priority prio: ST_OK, granted. Otherwise
 * ST_RETRY and *wait_ms (> 0) until one should be there for prio (err set
 * when the database failed or the shop is paused, else empty).
 */
enum st limiter_take(struct limiter *l, enum rl_api api, enum rl_priority prio,
                     int64_t *wait_ms, struct errbuf *err);

/*
 * limiter_take, sleeping for the token while the waits add up to at most
 * sleep_max_ms (in steps of 100 ms, ending early once *stopping is set;
 * stopping may be NULL): for a call whose earlier steps would be lost to a
 * reschedule (the next page of a paged read, the create after a list). A
 * database failure or a pause is never slept on. l NULL: ST_OK (no limiter).
 */
enum st limiter_take_waiting(struct limiter *l, enum rl_api api, enum rl_priority prio,
                             int64_t sleep_max_ms, const atomic_bool *stopping,
                             int64_t *wait_ms, struct errbuf *err);
/*
 * Sleeps ms in steps of at most 100 ms, ending early once *stopping is set
 * (stopping may be NULL); false when it was set: a wait for the budget
 * that a shutdown cuts short.
 */
bool limiter_nap_ms(const atomic_bool *stopping, int64_t ms);

/*
 * The priority of the Peoplevox calls the calling thread makes from now
 * on (thread-local; RL_PRIO_NORMAL until set). The worker sets its job
 * kind's before running each job.
 */
void limiter_set_thread_priority(enum rl_priority prio);

/*
 * How long the calling thread's Peoplevox calls may sleep for a token in
 * the hook (limiter_pvx), beyond the client's own short wait; 0 (the
 * default) sleeps nothing there. For a job that reads many pages in one
 * go (the full stock read): without it a page that finds no token ends the
 * job, and its next attempt starts from the first page again. stopping
 * (may be NULL) cuts the sleep short at shutdown. Reset it to 0 after.
 */
void limiter_set_thread_wait(int64_t max_ms, const atomic_bool *stopping);

/*
 * api refused a call for load (HTTP 429, Peoplevox's 503 or rate-limit
 * text): shrink its bucket for every replica (ratelimit.h), honouring a
 * Retry-After of retry_after_ms (0: none). Logs a database failure.
 */
void limiter_note_throttled(struct limiter *l, enum rl_api api, int64_t retry_after_ms);

/*
 * The Peoplevox client's hook on l's "peoplevox" bucket, taking at the
 * calling thread's priority (out's ctx borrows l).
 */
void limiter_pvx(struct limiter *l, struct pvx_limiter *out);

#endif
