/*
 * api_exceptions.c - /api/v1/exceptions: the queue, one exception, and
 * resolve / retry, one at a time or for a filtered set.
 *
 * Resolve and retry are exc_actions.c's (the CLI runs the same code): each
 * runs in one transaction with its audit row, actor the token's name. A
 * bulk action picks the open exceptions its filter matches (at most
 * API_BULK_MAX, newest first; "truncated" says when more matched) and acts
 * on each in its own transaction, so one refusal or failure never undoes
 * the others; the reply lists every item's outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "audit_store.h"
#include "exc_actions.h"
#include "exceptions.h"
#include "store_json.h"

#define API_BULK_MAX 100
#define EXC_TEAMS "ops|ecommerce|finance|customer_service"

/* A type filter: absent, or a type the service raises; -1 after 400. */
static int check_type(struct api_req *r, const char *type)
{
    struct buf known;

    if (type == NULL || exc_type_known(type))
        return 0;
    buf_init(&known, 0);
    for (size_t i = 0; i < exc_n_types; i++)
        buf_appendf(&known, "%s%s", i > 0 ? ", " : "", exc_types[i]);
    api_error(r->resp, 400, API_E_INVALID, "unknown exception type '%.64s': known types are %s",
              type, buf_cstr(&known));
    buf_cleanup(&known);
    return -1;
}

void api_exceptions_list(struct api_req *r)
{
    struct exc_filter f = {"open", NULL, NULL, -1, NULL};
    struct api_page page;
    struct errbuf err = {""};
    const char *state;
    enum st st;
    PGresult *res;

    if (api_query_enum(r, "state", "open|resolved|all", &state) < 0 ||
        api_query_enum(r, "team", EXC_TEAMS, &f.team) < 0 ||
        api_query_str(r, "type", 64, &f.type) < 0 || check_type(r, f.type) < 0 ||
        api_query_long(r, "min_age_s", 0, 10LL * 365 * 86400, -1, &f.min_age_s) < 0 ||
        api_page_read(r, "exceptions", &page) < 0)
        return;
    f.state = state != NULL ? state : "open";
    res = exc_report_page(r->db, r->shop, &f, page.before_id, page.limit + 1, &st, &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    else
        api_reply_page(r, &page, res, "id", NULL);
}

/* Answers exception id as a row object (200), with extra members merged (consumed). */
static void reply_exception(struct api_req *r, long long id, struct json_object *extra)
{
    struct errbuf err = {""};
    enum st st;
    PGresult *res = exc_report(r->db, r->shop, id, &st, &err);
    struct json_object *o;

    if (res == NULL) {
        api_error_db(r, st, &err);
    } else if (PQntuples(res) == 0) {
        api_error(r->resp, 404, API_E_NOT_FOUND, "exception %lld not found", id);
    } else {
        o = store_row_json(res, 0);
        api_json_merge(o, extra);
        extra = NULL;
        api_reply(r, 200, o);
    }
    json_object_put(extra);
    PQclear(res);
}

void api_exceptions_show(struct api_req *r)
{
    long long id = api_param_id(r, 0, "exception");

    if (id > 0)
        reply_exception(r, id, NULL);
}

/* The answer to a refused or failed action (rolled back already). */
static void action_failed(struct api_req *r, enum st st, enum exc_refusal refusal,
                          const struct errbuf *err)
{
    if (refusal == EXC_REFUSED_NOT_FOUND)
        api_error(r->resp, 404, API_E_NOT_FOUND, "%s", err->msg);
    else if (refusal == EXC_REFUSED_CONFLICT)
        api_error(r->resp, 409, API_E_CONFLICT, "%s", err->msg);
    else if (refusal == EXC_REFUSED_NOT_RETRYABLE)
        api_error(r->resp, 409, API_E_NOT_RETRYABLE, "%s", err->msg);
    else
        api_error_db(r, st, err);
}

/* What one action did (resolve: changed; retry: the outcome). */
struct act_result {
    bool changed;
    struct exc_retry_outcome retry;
    enum exc_refusal refusal;
    struct errbuf err;
};

/* Resolves (note) or retries exception id in its own transaction; rolled back unless ST_OK. */
static enum st act_one(struct api_req *r, long long id, bool retry, const char *note,
                       struct act_result *out)
{
    struct exc_actor who = {r->caller.name, r->caller.name};
    enum st st = store_cmd(r->db, "BEGIN", &out->err);

    out->refusal = EXC_REFUSED_NONE;
    out->changed = false;
    if (st == ST_OK && retry)
        st = exc_action_retry(r->db, r->shop, id, &who, &out->retry, &out->refusal, &out->err);
    else if (st == ST_OK)
        st = exc_action_resolve(r->db, r->shop, id, &who, note, &out->changed, &out->refusal,
                                &out->err);
    if (st == ST_OK)
        st = store_cmd(r->db, "COMMIT", &out->err);
    if (st != ST_OK)
        store_rollback(r->db);
    return st;
}

void api_exceptions_resolve(struct api_req *r)
{
    long long id = api_param_id(r, 0, "exception");
    const char *note;
    struct act_result a = {.err = {""}};
    struct json_object *extra;
    enum st st;

    if (id < 0 || api_body_str(r, "note", AUDIT_NOTE_MAX_BYTES, &note) < 0)
        return;
    st = act_one(r, id, false, note, &a);
    if (st != ST_OK) {
        action_failed(r, st, a.refusal, &a.err);
        return;
    }
    extra = json_object_new_object();
    json_object_object_add(extra, "changed", json_object_new_boolean(a.changed));
    reply_exception(r, id, extra);
}

static struct json_object *retry_json(long long id, const struct exc_retry_outcome *o)
{
    struct json_object *j = json_object_new_object();

    json_object_object_add(j, "exception_id", json_object_new_int64(id));
    json_object_object_add(j, "action", json_object_new_string(o->action));
    json_object_object_add(j, "job_id", json_object_new_int64(o->job_id));
    json_object_object_add(j, "job_kind", json_object_new_string(o->job_kind));
    json_object_object_add(j, "exception_resolved",
                           json_object_new_boolean(o->exception_resolved));
    json_object_object_add(j, "message", json_object_new_string(o->message));
    return j;
}

void api_exceptions_retry(struct api_req *r)
{
    long long id = api_param_id(r, 0, "exception");
    struct act_result a = {.err = {""}};
    enum st st;

    if (id < 0)
        return;
    st = act_one(r, id, true, NULL, &a);
    if (st != ST_OK)
        action_failed(r, st, a.refusal, &a.err);
    else
        api_reply(r, 200, retry_json(id, &a.retry));
}

/* ---- bulk ---- */

/* The open exceptions a bulk body's filter names (limit + 1 rows); NULL after answering. */
static PGresult *bulk_select(struct api_req *r, long long *limit)
{
    struct exc_filter f = {"open", NULL, NULL, -1, NULL};
    struct errbuf err = {""};
    enum st st;
    PGresult *res;

    if (api_body_str(r, "team", 32, &f.team) < 0 || api_body_str(r, "type", 64, &f.type) < 0 ||
        check_type(r, f.type) < 0 ||
        api_body_long(r, "min_age_s", 0, 10LL * 365 * 86400, -1, &f.min_age_s) < 0 ||
        api_body_long(r, "limit", 1, API_BULK_MAX, API_BULK_MAX, limit) < 0)
        return NULL;
    if (f.team == NULL && f.type == NULL) {
        api_error(r->resp, 400, API_E_INVALID, "a bulk action needs a team or a type (it acts "
                  "on the open exceptions that match)");
        return NULL;
    }
    if (f.team != NULL && strstr("|" EXC_TEAMS "|", f.team) == NULL) {
        api_error(r->resp, 400, API_E_INVALID, "invalid team '%.32s': expected one of "
                  EXC_TEAMS, f.team);
        return NULL;
    }
    res = exc_report_page(r->db, r->shop, &f, 0, (int)*limit + 1, &st, &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    return res;
}

/* One item's outcome: {"id", "outcome", "message"} from an action's status. */
static struct json_object *bulk_item(long long id, enum st st, enum exc_refusal refusal,
                                     const char *ok_outcome, const char *message)
{
    struct json_object *o = json_object_new_object();
    const char *outcome = st == ST_OK ? ok_outcome
                          : refusal == EXC_REFUSED_NONE ? "failed" : "refused";

    json_object_object_add(o, "id", json_object_new_int64(id));
    json_object_object_add(o, "outcome", json_object_new_string(outcome));
    json_object_object_add(o, "message", json_object_new_string(message));
    return o;
}

static void bulk_run(struct api_req *r, bool retry)
{
    const char *note = NULL;
    long long limit = 0;
    PGresult *res;
    struct json_object *out, *items;
    int n;

    if (!retry && api_body_str(r, "note", AUDIT_NOTE_MAX_BYTES, &note) < 0)
        return;
    res = bulk_select(r, &limit);
    if (res == NULL)
        return;
    n = PQntuples(res) < limit ? PQntuples(res) : (int)limit;
    items = json_object_new_array();
    for (int i = 0; i < n; i++) {
        long long id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        struct act_result a = {.err = {""}};
        enum st st = act_one(r, id, retry, note, &a);
        const char *ok = retry ? a.retry.action : a.changed ? "resolved" : "already_resolved";

        json_object_array_add(items, bulk_item(id, st, a.refusal, ok,
                                               st != ST_OK ? a.err.msg
                                               : retry     ? a.retry.message
                                                           : ok));
    }
    out = json_object_new_object();
    json_object_object_add(out, "matched", json_object_new_int(n));
    json_object_object_add(out, "truncated", json_object_new_boolean(PQntuples(res) > limit));
    json_object_object_add(out, "results", items);
    PQclear(res);
    api_reply(r, 200, out);
}

void api_exceptions_bulk_resolve(struct api_req *r)
{
    bulk_run(r, false);
}

void api_exceptions_bulk_retry(struct api_req *r)
{
    bulk_run(r, true);
}
