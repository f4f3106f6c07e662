/*
 * api_returns.c - /api/v1/returns: the returns (newest first, ?state=),
 * one return with its lines and history, and customer service's decision
 * on a requested one (authorise, reject with a reason).
 *
 * The decision is returns_app.h's, the code `shopvox returns
 * authorise|reject` runs: the transition, the return_authorisation_needed
 * exception resolved, create_return enqueued (authorise), and here the
 * audit row, in one transaction; its cause in the return's history is
 * "api:<token name>". A return that is no longer requested is 409 and
 * nothing is written, so a second authorise is harmless.
 */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "audit_store.h"
#include "return_store.h"
#include "returns.h"
#include "returns_app.h"

#define RETURN_STATES                                                                          \
    "requested|authorised|awaiting_receipt|received|inspected|returned_to_stock|written_off|"  \
    "rejected|cancelled"

void api_returns_list(struct api_req *r)
{
    const char *state;
    struct api_page page;
    struct errbuf err = {""};
    enum st st;
    PGresult *res;

    if (api_query_enum(r, "state", RETURN_STATES, &state) < 0 ||
        api_page_read(r, "returns", &page) < 0)
        return;
    res = return_store_report_page(r->db, r->shop, state, page.before_id, page.limit + 1, &st,
                                   &err);
    if (res == NULL)
        api_error_db(r, st, &err);
    else
        api_reply_page(r, &page, res, "id", NULL);
}

/* Answers return id with its lines and history (200), 404 when unknown. */
static void reply_return(struct api_req *r, long long id)
{
    struct json_object *o = NULL;
    struct errbuf err = {""};
    enum st st = returns_report_json(r->db, r->shop, id, &o, &err);

    if (st != ST_OK)
        api_error_db(r, st, &err);
    else if (o == NULL)
        api_error(r->resp, 404, API_E_NOT_FOUND, "return %lld not found", id);
    else
        api_reply(r, 200, o);
}

void api_returns_show(struct api_req *r)
{
    long long id = api_param_id(r, 0, "return");

    if (id > 0)
        reply_return(r, id);
}

static void decide(struct api_req *r, bool reject)
{
    long long id = api_param_id(r, 0, "return");
    char cause[96];
    struct returns_decider who = {r->shop, r->caller.name, cause, r->caller.name};
    enum return_state now = RETURN_REQUESTED;
    struct errbuf err = {""};
    const char *reason = NULL;
    bool applied = false;
    enum st st;

    if (id < 0 || (reject && api_body_str(r, "reason", AUDIT_NOTE_MAX_BYTES, &reason) < 0) ||
        api_begin(r) < 0)
        return;
    snprintf(cause, sizeof(cause), "api:%s", r->caller.name);
    st = returns_decide_in(r->db, &who, id, reject, reason, &applied, &now, &err);
    if (st == ST_OK && !applied) {
        store_rollback(r->db);
        api_error(r->resp, 409, API_E_CONFLICT, "return %lld is %s: only a requested return "
                  "can be %s", id, return_state_name(now), reject ? "rejected" : "authorised");
        return;
    }
    if (st != ST_OK) {
        store_rollback(r->db);
        if (strstr(err.msg, "no such return") != NULL)
            api_error(r->resp, 404, API_E_NOT_FOUND, "return %lld not found", id);
        else
            api_error_db(r, st, &err);
        return;
    }
    if (api_commit(r) == 0)
        reply_return(r, id);
}

void api_returns_authorise(struct api_req *r)
{
    decide(r, false);
}

void api_returns_reject(struct api_req *r)
{
    decide(r, true);
}
