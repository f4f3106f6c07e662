/*
 * exc_actions.c - resolve and retry, for the CLI and the admin API (see
 * exc_actions.h for what retry means per type).
 *
 * Each action locks the exception row first (FOR UPDATE), so two people
 * acting on one exception at once are serialised and the second sees the
 * first's outcome (already resolved, job already pending) instead of
 * doing it twice. The audit row goes in last, in the same transaction.
 */
#include "exc_actions.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_store.h"
#include "exceptions.h"
#include "jobs.h"
#include "order_store.h"

/* Exceptions about an order held before posting: retried by posting it again. */
static const char *const exc_order_types[] = {
    "unknown_sku",        "unroutable",           "peoplevox_rejected", "sales_order_conflict",
    "order_number_too_long", "order_number_taken", "stalled_order",
};

/* The locked exception's fields an action needs. */
struct exc_locked {
    char id[24];
    char type[64];
    char state[16];
    char subject[256];
    char order_id[24];        /* "-1" when none */
};

static bool is_order_type(const char *type)
{
    for (size_t i = 0; i < ARRAY_LEN(exc_order_types); i++)
        if (strcmp(exc_order_types[i], type) == 0)
            return true;
    return false;
}

/* Locks exception id of shop into *e; ST_FAIL + NOT_FOUND when absent. */
static enum st lock_exception(struct store_conn *c, const char *shop, long long id,
                              struct exc_locked *e, enum exc_refusal *refusal,
                              struct errbuf *err)
{
    const char *p[2] = {shop, e->id};
    enum st st;
    PGresult *res;

    snprintf(e->id, sizeof(e->id), "%lld", id);
    res = store_exec_prepared(c, "exc_action_lock",
                              "SELECT type, state, subject, coalesce(order_id::text, '-1') "
                              "FROM exceptions WHERE shop = $1 AND id = $2::bigint FOR UPDATE",
                              2, p, NULL, NULL, &st, err);
    if (res == NULL)
        return st;
    if (PQntuples(res) == 0) {
        errbuf_set(err, "exception %lld not found for shop %s", id, shop);
        *refusal = EXC_REFUSED_NOT_FOUND;
        PQclear(res);
        return ST_FAIL;
    }
    snprintf(e->type, sizeof(e->type), "%s", PQgetvalue(res, 0, 0));
    snprintf(e->state, sizeof(e->state), "%s", PQgetvalue(res, 0, 1));
    snprintf(e->subject, sizeof(e->subject), "%s", PQgetvalue(res, 0, 2));
    snprintf(e->order_id, sizeof(e->order_id), "%s", PQgetvalue(res, 0, 3));
    PQclear(res);
    return ST_OK;
}

/* Writes the audit row of an action on exception e; before/after are consumed. */
static enum st audit_exception(struct store_conn *c, const char *shop, const struct exc_actor *who,
                               const char *action, const struct exc_locked *e,
                               struct json_object *before, struct json_object *after,
                               const char *note, struct errbuf *err)
{
    struct audit_entry a = {shop, who->actor, action, "exception", e->id,
                            json_object_to_json_string_ext(before, JSON_C_TO_STRING_PLAIN),
                            json_object_to_json_string_ext(after, JSON_C_TO_STRING_PLAIN), note};
    enum st st = audit_record(c, &a, err);

    json_object_put(before);
    json_object_put(after);
    return st;
}

static struct json_object *jobj_state(const char *key, const char *value)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, key, json_object_new_string(value));
    return o;
}

enum st exc_action_resolve(struct store_conn *c, const char *shop, long long id,
                           const struct exc_actor *who, const char *note, bool *changed,
                           enum exc_refusal *refusal, struct errbuf *err)
{
    struct exc_locked e;
    enum st st;

    *refusal = EXC_REFUSED_NONE;
    *changed = false;
    st = lock_exception(c, shop, id, &e, refusal, err);
    if (st != ST_OK || strcmp(e.state, "open") != 0)
        return st;
    st = exc_resolve_id(c, shop, e.id, who->by, note, changed, err);
    if (st != ST_OK || !*changed)
        return st;
    return audit_exception(c, shop, who, "exception.resolve", &e,
                           jobj_state("state", "open"), jobj_state("state", "resolved"), note,
                           err);
}

/* job_dead: the job back to pending and the exception resolved. */
static enum st retry_dead_job(struct store_conn *c, const char *shop, const struct exc_locked *e,
                              const struct exc_actor *who, struct exc_retry_outcome *out,
                              enum exc_refusal *refusal, struct errbuf *err)
{
    long long job_id = strncmp(e->subject, "job:", 4) == 0 ? atoll(e->subject + 4) : 0;
    char note[64];
    bool found = false;
    struct json_object *before, *after;
    enum st st;

    if (job_id <= 0) {
        errbuf_set(err, "exception %s names no job (subject '%s')", e->id, e->subject);
        *refusal = EXC_REFUSED_NOT_FOUND;
        return ST_FAIL;
    }
    st = job_find_kind(c, shop, job_id, out->job_kind, sizeof(out->job_kind), &found, err);
    if (st == ST_OK && !found) {
        errbuf_set(err, "job %lld not found for shop %s", job_id, shop);
        *refusal = EXC_REFUSED_NOT_FOUND;
        st = ST_FAIL;
    }
    if (st == ST_OK && (st = job_retry(c, job_id, err)) == ST_FAIL)
        *refusal = EXC_REFUSED_CONFLICT;
    snprintf(note, sizeof(note), "job %lld retried", job_id);
    if (st == ST_OK)
        st = exc_resolve_id(c, shop, e->id, who->by, note, NULL, err);
    if (st != ST_OK)
        return st;
    out->action = "job_retried";
    out->job_id = job_id;
    out->exception_resolved = true;
    snprintf(out->message, sizeof(out->message),
             "%s job %lld is pending again and runs now; exception %s resolved (a new one opens "
             "if the job dies again)", out->job_kind, job_id, e->id);
    before = jobj_state("state", "open");
    json_object_object_add(before, "job_state", json_object_new_string("dead"));
    after = jobj_state("state", "resolved");
    json_object_object_add(after, "job_state", json_object_new_string("pending"));
    json_object_object_add(after, "job_id", json_object_new_int64(job_id));
    return audit_exception(c, shop, who, "exception.retry", e, before, after, note, err);
}

static void post_message(struct exc_retry_outcome *out, const struct job_run_outcome *j,
                         const char *name)
{
    if (j->created)
        snprintf(out->message, sizeof(out->message),
                 "enqueued post_sales_order job %lld for order %s", j->job_id, name);
    else if (j->running)
        snprintf(out->message, sizeof(out->message),
                 "post_sales_order job %lld for order %s is running already", j->job_id, name);
    else
        snprintf(out->message, sizeof(out->message),
                 "post_sales_order job %lld for order %s was %s and runs again now", j->job_id,
                 name, j->prior_state);
    snprintf(out->message + strlen(out->message), sizeof(out->message) - strlen(out->message),
             "; the exception closes itself once the order is posted");
}

/* The held order: its post_sales_order job enqueued or brought forward. */
static enum st retry_held_order(struct store_conn *c, const char *shop,
                                const struct exc_locked *e, const struct exc_actor *who,
                                struct exc_retry_outcome *out, enum exc_refusal *refusal,
                                struct errbuf *err)
{
    enum st st;
    PGresult *o = order_store_report_brief(c, shop, e->order_id, e->subject, &st, err);
    char order_id[24], name[128], state[32], payload[64];
    struct job_run_outcome j;
    struct json_object *before, *after;

    if (o == NULL)
        return st;
    if (PQntuples(o) == 0) {
        errbuf_set(err, "order of exception %s not found (subject '%s')", e->id, e->subject);
        *refusal = EXC_REFUSED_NOT_FOUND;
        PQclear(o);
        return ST_FAIL;
    }
    snprintf(order_id, sizeof(order_id), "%s", PQgetvalue(o, 0, 0));
    snprintf(name, sizeof(name), "%s", PQgetvalue(o, 0, 1));
    snprintf(state, sizeof(state), "%s", PQgetvalue(o, 0, 2));
    PQclear(o);
    if (strcmp(state, "on_hold") != 0 && strcmp(state, "ready") != 0) {
        errbuf_set(err, "order %s is %s, not on hold: nothing to retry", name, state);
        *refusal = EXC_REFUSED_CONFLICT;
        return ST_FAIL;
    }
    snprintf(payload, sizeof(payload), "{\"order_id\": %s}", order_id);
    st = job_run_now(c, shop, "post_sales_order", order_id, payload, &j, err);
    if (st != ST_OK)
        return st;
    snprintf(out->job_kind, sizeof(out->job_kind), "post_sales_order");
    out->job_id = j.job_id;
    out->action = j.created ? "job_enqueued" : j.running ? "job_running" : "job_retried";
    post_message(out, &j, name);
    before = jobj_state("order_state", state);
    after = jobj_state("job", out->action);
    json_object_object_add(after, "job_id", json_object_new_int64(j.job_id));
    return audit_exception(c, shop, who, "exception.retry", e, before, after, NULL, err);
}

enum st exc_action_retry(struct store_conn *c, const char *shop, long long id,
                         const struct exc_actor *who, struct exc_retry_outcome *out, enum exc_refusal *refusal,
                         struct errbuf *err)
{
    struct exc_locked e;
    enum st st;

    memset(out, 0, sizeof(*out));
    out->job_id = -1;
    *refusal = EXC_REFUSED_NONE;
    st = lock_exception(c, shop, id, &e, refusal, err);
    if (st != ST_OK)
        return st;
    if (strcmp(e.state, "open") != 0) {
        errbuf_set(err, "exception %lld is resolved: nothing to retry", id);
        *refusal = EXC_REFUSED_CONFLICT;
        return ST_FAIL;
    }
    if (strcmp(e.type, "job_dead") == 0)
        return retry_dead_job(c, shop, &e, who, out, refusal, err);
    if (is_order_type(e.type))
        return retry_held_order(c, shop, &e, who, out, refusal, err);
    errbuf_set(err, "exceptions of type %s cannot be retried: fix the cause, then resolve "
                    "exception %lld", e.type, id);
    *refusal = EXC_REFUSED_NOT_RETRYABLE;
    return ST_FAIL;
}
