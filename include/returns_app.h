/*
 * returns_app.h - returns, the flows on the SHOPLINE side: the webhooks'
 * intake, the operator's authorise / reject, the warehouse side's hooks
 * (the create_return job and what a receipt means for finance).
 *
 * Exceptions, all about one return (subject_kind "return", subject its
 * returns.id as text): return_authorisation_needed (customer_service:
 * `shopvox returns authorise|reject ID`), return_unmatched (customer_service:
 * the return names an order or order line shopvox does not know; the
 * return is kept), refund_due (finance: received units not refunded yet,
 * with the amount; it closes itself when refunds/create covers them).
 */
#ifndef SHOPVOX_RETURNS_APP_H
#define SHOPVOX_RETURNS_APP_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "common.h"
#include "intake.h"
#include "returns.h"
#include "store.h"

/* The warehouse side's job (its handler: app/return_warehouse.c). */
#define RETURNS_CREATE_KIND "create_return"

/*
 * Enqueues create_return for return_id ({"return_id": N}, dedupe key
 * "return:N"), in the caller's transaction.
 */
enum st returns_enqueue_create(struct store_conn *c, const char *shop, long long return_id,
                               struct errbuf *err);

/*
 * After the warehouse side added received quantities (in the caller's
 * transaction): opens or updates refund_due (team finance) when received
 * units are not refunded yet, with their amount (units x the order line's
 * price) and currency; resolves it when nothing is due.
 */
enum st returns_after_receipt(struct store_conn *c, const char *shop, long long return_id,
                              struct errbuf *err);

/*
 * One return/create, return/update or refunds/create delivery (r->topic),
 * inside intake's transaction. ST_OK with out->outcome STORED, STALE (a
 * return older than the stored one: nothing applied), DUPLICATE (a refund
 * stored already) or FAILED (the body is unusable: why set; the caller
 * records it); order_id (cap 24) gets the return's orders.id when known.
 */
enum st returns_intake(struct store_conn *c, const struct intake_request *r,
                       struct intake_result *out, char *order_id, struct errbuf *why,
                       struct errbuf *err);

/*
 * The operator's decisions, one transaction each. Authorise: requested ->
 * authorised (cause "cli:<by>"), return_authorisation_needed resolved,
 * create_return enqueued, an audit row (actor "cli:<by>"). Reject: requested -> rejected, the exception
 * resolved with the reason. *applied = false (nothing written) when the
 * return is not requested; *now gets its state after the call. ST_FAIL
 * "no such return" for an unknown id.
 */
enum st returns_authorise(struct store_conn *c, const char *shop, long long return_id,
                          const char *by, bool *applied, enum return_state *now,
                          struct errbuf *err);
enum st returns_reject(struct store_conn *c, const char *shop, long long return_id,
                       const char *by, const char *reason, bool *applied,
                       enum return_state *now, struct errbuf *err);

/* Who decides: the audit log's actor, the return_events cause, the exception's resolver. */
struct returns_decider {
    const char *shop;
    const char *actor;        /* "cli:<user>" or the API token's name */
    const char *cause;        /* return_events.cause: "cli:<user>" or "api:<name>" */
    const char *by;           /* exceptions.resolved_by */
};

/*
 * The decision (reject: requested -> rejected with reason; else requested
 * -> authorised and create_return enqueued) inside the caller's
 * transaction, with its audit row (return.authorise / return.reject) when
 * applied. Outcomes as returns_authorise's; the caller commits or rolls
 * back.
 */
enum st returns_decide_in(struct store_conn *c, const struct returns_decider *who,
                          long long return_id, bool reject, const char *reason, bool *applied,
                          enum return_state *now, struct errbuf *err);

/*
 * Return return_id of shop as the operator reads it (`returns show --json`,
 * GET /api/v1/returns/{id}): its row with "lines" and "history" arrays;
 * *out NULL (ST_OK) when there is no such return.
 */
enum st returns_report_json(struct store_conn *c, const char *shop, long long return_id,
                            struct json_object **out, struct errbuf *err);

/*
 * The returns' gauges of /metrics (gauges.c calls it each pass):
 * shopvox_returns{state} (every state, 0 included) and
 * shopvox_returns_awaiting_receipt_oldest_seconds (since the oldest
 * awaiting_receipt return entered that state; 0 when none).
 */
enum st returns_gauges_refresh(struct store_conn *c, struct errbuf *err);

#endif
