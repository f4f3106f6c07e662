/*
 * intake.h - persisting one verified Shopline webhook (the inbox).
 *
 * Everything a delivery changes happens in ONE transaction: the order
 * upsert (applied only when the payload is not older than what is
 * stored), its lines, its history, the job it releases, and finally the
 * inbox row whose unique (shop, webhook_id) makes a redelivery roll the
 * whole transaction back as a duplicate. Nothing outside the process is
 * called, so the handler answers in milliseconds. Under a burst the same
 * steps run a moment after the answer, on the delivery's pending row
 * (intake_request.pending_id, intake_apply.h), with the same outcomes.
 */
#ifndef SHOPVOX_INTAKE_H
#define SHOPVOX_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"
#include "store.h"

struct intake_request {
    const char *shop;          /* shop domain */
    const char *webhook_id;    /* X-Shopline-Webhook-Id (or a body digest) */
    const char *topic;         /* X-Shopline-Topic, "" when absent */
    const char *api_version;   /* may be NULL */
    const char *headers_json;  /* the X-Shopline-* headers as a JSON object */
    const char *body;
    size_t body_len;
    const char *paid_statuses; /* SHOPVOX_PAID_STATUSES */
    bool other_shop;           /* signed, but for a shop this deployment does not serve */
    const char *returns_mode;  /* SHOPVOX_RETURNS_MODE; NULL: "authorise" */
    const char *pending_id;    /* webhook_events.id of a pending row being applied
                                  (intake_apply.h): that row gets the outcome; NULL: a
                                  delivery, whose row is inserted */
};

enum intake_outcome {
    INTAKE_STORED = 0,
    INTAKE_DUPLICATE,
    INTAKE_IGNORED,
    INTAKE_FAILED,   /* signed but unusable: stored + exception */
    INTAKE_STALE,    /* older than the stored order: recorded, not applied */
    INTAKE_UNCHANGED, /* sweep only: shopvox has this version already; nothing written */
    INTAKE_ACCEPTED   /* stored as pending; the order logic runs just after (intake_apply.h) */
};

const char *intake_outcome_name(enum intake_outcome o);

struct intake_result {
    enum intake_outcome outcome;
    char order_state[32];      /* state after the delivery ("" for non-orders) */
    bool job_enqueued;
};

/*
 * Processes one delivery. ST_OK with out filled (every outcome, including
 * duplicate and failed, is ST_OK: the delivery was handled); ST_RETRY when
 * the database is unavailable (answer 503); ST_FAIL on an unexpected SQL
 * error (answer 500 so Shopline retries).
 */
enum st intake_process(struct store_conn *c, const struct intake_request *r,
                       struct intake_result *out, struct errbuf *err);

/*
 * intake_process inside the caller's open transaction (group commit,
 * intake_group.h), under a savepoint: the outcomes, statuses and writes
 * are intake_process's, except that the caller commits. A duplicate or an
 * unchanged delivery and an ST_FAIL roll back only the savepoint; *lost
 * tells that the transaction can no longer be used (ST_RETRY: the
 * connection dropped; ST_FAIL: the savepoint could not be restored), and
 * then nothing of the transaction may be answered as stored.
 */
enum st intake_process_nested(struct store_conn *c, const struct intake_request *r,
                              struct intake_result *out, bool *lost, struct errbuf *err);

/* The topic of the events (and order history) the sweep records. */
#define INTAKE_SWEEP_TOPIC "orders/sweep"

/*
 * The sweep's way in (order_sweep.h): order o (borrowed), as listed by
 * Shopline, through the same transaction as a delivery of it. Applied
 * (INTAKE_STORED, with the order's jobs, history and a webhook_events row
 * of source `sweep` without webhook id, headers or body) when shopvox has
 * no such order or an older updated_at; INTAKE_UNCHANGED, nothing
 * written, when it is up to date (or o has no updated_at and shopvox has
 * the order). ST_RETRY / ST_FAIL as intake_process.
 */
struct order;
enum st intake_apply_swept(struct store_conn *c, const char *shop, const char *paid_statuses,
                           const struct order *o, struct intake_result *out, struct errbuf *err);

#endif
