/*
 * returns.c - the operator's decisions on a return and the warehouse
 * side's hooks (see returns_app.h); the webhooks' intake is
 * return_intake.c.
 *
 * Authorise and reject are one transaction each: the transition (the
 * machine refuses anything but requested -> authorised | rejected), the
 * task resolved, the job enqueued, the audit row (audit_store.h: actor
 * cli:<by>, state before and after, the reason as its note); a refused decision writes nothing and
 * reports the state the return is in, so a second `authorise` is
 * harmless. The job is the warehouse side's: it saves the expected
 * return in Peoplevox and moves authorised -> awaiting_receipt.
 *
 * refund_due is judged from the lines as they are (received minus
 * refunded units, priced at the order line's price), so receipts and
 * refunds may arrive in any order and the exception follows.
 */
#include "returns_app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_store.h"
#include "exceptions.h"
#include "jobs.h"
#include "metrics.h"
#include "return_store.h"

enum st returns_enqueue_create(struct store_conn *c, const char *shop, long long return_id,
                               struct errbuf *err)
{
    char key[40], payload[64];

    snprintf(key, sizeof(key), "return:%lld", return_id);
    snprintf(payload, sizeof(payload), "{\"return_id\": %lld}", return_id);
    return job_enqueue(c, shop, RETURNS_CREATE_KIND, key, payload, 0, NULL, err);
}

enum st returns_after_receipt(struct store_conn *c, const char *shop, long long return_id,
                              struct errbuf *err)
{
    char subject[24], detail[384];
    struct return_due due;
    struct exc_new e = {shop, "refund_due", "finance", "return", subject, NULL, detail,
                        "Refund the customer in SHOPLINE for the received units (the "
                        "refunds/create webhook closes this exception)"};
    enum st st = return_store_due(c, shop, return_id, &due, err);

    snprintf(subject, sizeof(subject), "%lld", return_id);
    if (st != ST_OK)
        return st;
    if (due.lines == 0)
        return exc_resolve_subject(c, shop, "refund_due", subject, "shopvox",
                                   "every received unit is refunded", err);
    snprintf(detail, sizeof(detail),
             "return %lld of order %s: %ld unit(s) on %d line(s) received and not refunded, "
             "%s %s", return_id, due.order_name[0] ? due.order_name : "(unknown)", due.units,
             due.lines, due.amount, due.currency[0] ? due.currency : "(currency unknown)");
    e.order_id = due.order_id[0] ? due.order_id : NULL;
    return exc_raise(c, &e, NULL, err);
}

/* The state of return_id after a decision (for the operator's answer). */
static enum st returns_state_now(struct store_conn *c, const char *shop, long long return_id,
                                 enum return_state *now, struct errbuf *err)
{
    struct return_rec rec;
    enum st st = return_store_get(c, shop, return_id, &rec, err);

    if (st == ST_OK)
        *now = rec.state;
    return_rec_free(&rec);
    return st;
}

/* The audit row of a decision applied: cli:<by>, state before and after (and the reason). */
static enum st returns_audit(struct store_conn *c, const char *shop, long long return_id,
                             const char *by, enum return_state to, const char *detail,
                             struct errbuf *err)
{
    char actor[128], subject[24], after[64];
    struct audit_entry a = {shop, actor, to == RETURN_AUTHORISED ? "return.authorise"
                                                                 : "return.reject",
                            "return", subject, "{\"state\": \"requested\"}", after, detail};

    audit_cli_actor(by, actor, sizeof(actor));
    snprintf(subject, sizeof(subject), "%lld", return_id);
    snprintf(after, sizeof(after), "{\"state\": \"%s\"}", return_state_name(to));
    return audit_record(c, &a, err);
}

/* One decision of the operator: to, with the task resolved as resolution. */
static enum st returns_decide(struct store_conn *c, const char *shop, long long return_id,
                              enum return_state to, const char *by, const char *detail,
                              const char *resolution, bool *applied, enum return_state *now,
                              struct errbuf *err)
{
    char cause[96], subject[24];
    enum st st = store_ensure(c, err);

    *applied = false;
    snprintf(cause, sizeof(cause), "cli:%s", by != NULL && by[0] ? by : "operator");
    snprintf(subject, sizeof(subject), "%lld", return_id);
    if (st == ST_OK)
        st = store_cmd(c, "BEGIN", err);
    if (st == ST_OK)
        st = return_store_transition(c, shop, return_id, to, cause, detail, applied, err);
    if (st == ST_OK && *applied)
        st = exc_resolve_subject(c, shop, "return_authorisation_needed", subject, cause + 4,
                                 resolution, err);
    if (st == ST_OK && *applied && to == RETURN_AUTHORISED)
        st = returns_enqueue_create(c, shop, return_id, err);
    if (st == ST_OK && *applied)
        st = returns_audit(c, shop, return_id, by, to, detail, err);
    if (st == ST_OK)
        st = returns_state_now(c, shop, return_id, now, err);
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
    if (st != ST_OK) {
        store_rollback(c);
        *applied = false;
    }
    return st;
}

enum st returns_authorise(struct store_conn *c, const char *shop, long long return_id,
                          const char *by, bool *applied, enum return_state *now,
                          struct errbuf *err)
{
    return returns_decide(c, shop, return_id, RETURN_AUTHORISED, by, NULL, "authorised",
                          applied, now, err);
}

enum st returns_reject(struct store_conn *c, const char *shop, long long return_id,
                       const char *by, const char *reason, bool *applied,
                       enum return_state *now, struct errbuf *err)
{
    char resolution[256];

    snprintf(resolution, sizeof(resolution), "rejected%s%s", reason != NULL ? ": " : "",
             reason != NULL ? reason : "");
    return returns_decide(c, shop, return_id, RETURN_REJECTED, by, reason, resolution, applied,
                          now, err);
}

/* ---- gauges ---- */

static void returns_describe(void)
{
    metrics_describe("shopvox_returns", MET_GAUGE, "Returns by state (every state, 0 included)");
    metrics_describe("shopvox_returns_awaiting_receipt_oldest_seconds", MET_GAUGE,
                     "Time the oldest awaiting_receipt return has waited for the warehouse "
                     "(0 when none)");
}

enum st returns_gauges_refresh(struct store_conn *c, struct errbuf *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    const char *labels[RETURN_STATE_COUNT];
    char text[RETURN_STATE_COUNT][48];
    double values[RETURN_STATE_COUNT] = {0}, oldest_s = 0;
    enum st st;
    PGresult *rows = return_store_count_by_state(c, &st, err);

    if (rows == NULL)
        return st;
    pthread_once(&once, returns_describe);
    for (int s = 0; s < RETURN_STATE_COUNT; s++) {
        snprintf(text[s], sizeof(text[s]), "state=\"%s\"", return_state_name((enum return_state)s));
        labels[s] = text[s];
    }
    for (int i = 0; i < PQntuples(rows); i++) {
        enum return_state s;

        if (!return_state_parse(PQgetvalue(rows, i, 0), &s))
            continue;
        values[s] = atof(PQgetvalue(rows, i, 1));
        if (s == RETURN_AWAITING_RECEIPT)
            oldest_s = atof(PQgetvalue(rows, i, 2));
    }
    PQclear(rows);
    metrics_replace("shopvox_returns", RETURN_STATE_COUNT, labels, values);
    metrics_set("shopvox_returns_awaiting_receipt_oldest_seconds", "", oldest_s);
    return ST_OK;
}
