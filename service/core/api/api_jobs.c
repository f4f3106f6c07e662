/*
 * api_jobs.c - /api/v1/jobs: the queue's jobs (state=dead for what needs a
 * person), and retrying one.
 *
 * A retry puts a dead (or pending) job back to run now with fresh attempts
 * (job_retry: refused, 409, when the job is running or done, or when the
 * same work is queued already) and resolves the job's job_dead exception
 * if one is open, in one transaction with its audit row (job.retry).
 */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "audit_store.h"
#include "exceptions.h"
#include "jobs.h"

#define JOB_STATES "pending|running|done|dead"

void api_jobs_list(struct api_req *r)
{
    const char *state, *kind;
    struct api_page page;
    struct errbuf err = {""};
    enum st st;
    PGresult *res;

    if (api_query_enum(r, "state", JOB_STATES, &state) < 0 ||
        api_query_str(r, "kind", 48, &kind) < 0 || api_page_read(r, "jobs", &page) < 0)
        return;
    res = job_report_page(r->db, r->shop, state, kind, page.before_id, page.limit + 1, &st,
                          &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    else
        api_reply_page(r, &page, res, "id", NULL);
}

/* The job's state before the retry into state (cap); 404 answered (-1) when absent. */
static int job_state_of(struct api_req *r, long long id, char *state, size_t cap)
{
    struct errbuf err = {""};
    enum st st;
    PGresult *res = job_report_page(r->db, r->shop, NULL, NULL, id + 1, 1, &st, &err);

    if (res == NULL) {
        api_error_db(r, st, &err);
        return -1;
    }
    if (PQntuples(res) == 0 || strtoll(PQgetvalue(res, 0, 0), NULL, 10) != id) {
        api_error(r->resp, 404, API_E_NOT_FOUND, "job %lld not found", id);
        PQclear(res);
        return -1;
    }
    snprintf(state, cap, "%s", PQgetvalue(res, 0, PQfnumber(res, "state")));
    PQclear(res);
    return 0;
}

void api_jobs_retry(struct api_req *r)
{
    long long id = api_param_id(r, 0, "job");
    char ids[24], subject[32], note[64], state[16], before[64];
    struct audit_entry a = {r->shop, r->caller.name, "job.retry", "job", ids, before,
                            "{\"state\":\"pending\"}", NULL};
    struct errbuf err = {""};
    struct json_object *o;
    enum st st;

    if (id < 0 || api_begin(r) < 0)
        return;
    if (job_state_of(r, id, state, sizeof(state)) < 0) {
        store_rollback(r->db);
        return;
    }
    snprintf(ids, sizeof(ids), "%lld", id);
    snprintf(subject, sizeof(subject), "job:%lld", id);
    snprintf(note, sizeof(note), "job %lld retried", id);
    snprintf(before, sizeof(before), "{\"state\":\"%s\"}", state);
    st = job_retry(r->db, id, &err);
    if (st == ST_OK)
        st = exc_resolve_subject(r->db, r->shop, "job_dead", subject, r->caller.name, note, &err);
    if (st == ST_OK)
        st = audit_record(r->db, &a, &err);
    if (st != ST_OK) {
        store_rollback(r->db);
        if (st == ST_FAIL && strncmp(err.msg, "job ", 4) == 0)
            api_error(r->resp, 409, API_E_CONFLICT, "%s (it is %s)", err.msg, state);
        else
            api_error_db(r, st, &err);
        return;
    }
    if (api_commit(r) < 0)
        return;
    o = json_object_new_object();
    json_object_object_add(o, "job_id", json_object_new_int64(id));
    json_object_object_add(o, "previous_state", json_object_new_string(state));
    json_object_object_add(o, "state", json_object_new_string("pending"));
    api_reply(r, 200, o);
}
