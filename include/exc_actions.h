/*
 * exc_actions.h - what a person does to an exception: resolve it with a
 * note, or retry what it is about. One implementation for the operator
 * CLI and the admin API, each change audited (audit_store.h).
 *
 * Retry re-runs what the exception is about rather than touching the
 * exception itself:
 *  - job_dead: the dead job (subject "job:<id>") is put back to run now
 *    with fresh attempts, and the exception is resolved ("job N retried");
 *    a new one opens if the job dies again;
 *  - an order held before posting (unknown_sku, unroutable,
 *    peoplevox_rejected, sales_order_conflict, order_number_too_long,
 *    order_number_taken, stalled_order): the order's post_sales_order job
 *    is enqueued or brought forward (deduped on the order, so a retry
 *    racing the automatic re-check adds nothing); the exception stays open
 *    until posting the order closes it, so the queue never claims a
 *    problem is gone before it is. The order must be on_hold or ready;
 *  - any other type cannot be retried: fix the cause, then resolve.
 * Both functions run in the caller's transaction (which should be open:
 * the change and its audit row commit together) and lock the exception.
 */
#ifndef SHOPVOX_EXC_ACTIONS_H
#define SHOPVOX_EXC_ACTIONS_H

#include <stdbool.h>

#include "common.h"
#include "store.h"

/* Why an action was refused (ST_FAIL); the errbuf says it in words. */
enum exc_refusal {
    EXC_REFUSED_NONE,
    EXC_REFUSED_NOT_FOUND,    /* no such exception (or its job/order) for the shop */
    EXC_REFUSED_CONFLICT,     /* resolved already, order not on hold, job not dead */
    EXC_REFUSED_NOT_RETRYABLE /* the type has no retry */
};

/* Who acts: the audit log's actor, and the name the exceptions table keeps. */
struct exc_actor {
    const char *actor;        /* audit_log.actor: the token's name, or "cli:<user>" */
    const char *by;           /* exceptions.resolved_by: the token's name, or the user */
};

struct exc_retry_outcome {
    const char *action;       /* "job_retried", "job_enqueued", "job_running" */
    long long job_id;
    char job_kind[48];
    bool exception_resolved;
    char message[512];
};

/*
 * Retries exception id of shop for who.
 * ST_OK with *out filled; ST_FAIL with *refusal and err set when refused;
 * ST_RETRY/ST_FAIL (refusal NONE) for a database failure.
 */
enum st exc_action_retry(struct store_conn *c, const char *shop, long long id,
                         const struct exc_actor *who, struct exc_retry_outcome *out,
                         enum exc_refusal *refusal, struct errbuf *err);

/*
 * Resolves exception id of shop with note (NULL: none) for who; *changed
 * false when it was resolved already (nothing written, no audit row).
 * ST_FAIL with *refusal NOT_FOUND for an unknown id.
 */
enum st exc_action_resolve(struct store_conn *c, const char *shop, long long id,
                           const struct exc_actor *who, const char *note, bool *changed,
                           enum exc_refusal *refusal, struct errbuf *err);

#endif
