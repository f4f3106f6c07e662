/*
 * return_warehouse.c - the create_return job: one authorised return saved
 * in Peoplevox as an expected return (see return_jobs.h; the rules are
 * return_report.c's).
 *
 * No transaction is held across the network: the return is read, the
 * template learned and the row saved outside any; only the outcome is
 * written in one transaction (the reference, then the transition, which
 * locks the return and applies only authorised -> awaiting_receipt, so a
 * return cancelled meanwhile stays cancelled and the save is harmless).
 *
 * The reference is derived from the return's id (return_reference_make),
 * or kept when one was stored, so a save whose answer was lost is
 * repeated under the same key: Peoplevox's upsert makes it one expected
 * return, never two.
 *
 * Decisions:
 *  - No usable template (none, or a required field missing, after one
 *    refresh of the cached header): the return stays authorised, one
 *    returns_template_missing exception per shop (bumped per return)
 *    names what to add, and the job is done.
 *  - A rejected row or a refusal for a data reason: return_warehouse_rejected
 *    with Peoplevox's text, job done. Each poll_returns looks for returns
 *    still authorised with no live create_return job and no open
 *    return_warehouse_rejected (the template was missing, or a person fixed
 *    the cause and resolved the exception) and, when the template is
 *    usable, enqueues them again (return_resend_waiting). A transient
 *    refusal or a lost answer
 *    is retried; a throttled call is a throttled retry (the client took
 *    its Peoplevox token from the shared budget, and got none in time).
 */
#include "return_jobs.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "pvx_returns.h"
#include "return_int.h"
#include "return_receipt_store.h"
#include "return_store.h"

enum st return_exc_alone(struct worker_ctx *w, const struct exc_new *e, struct errbuf *err)
{
    enum st st = store_cmd(w->db, "BEGIN", err);

    if (st == ST_OK)
        st = exc_raise(w->db, e, NULL, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(w->db);
    return st;
}

/* {"return_id": N} (number or digit string) -> *id. */
static enum st rw_payload(const struct job *j, long long *id, struct errbuf *err)
{
    struct json_object *root = json_tokener_parse(j->payload != NULL ? j->payload : "");
    struct json_object *v = NULL;

    *id = 0;
    if (root != NULL && json_object_object_get_ex(root, "return_id", &v))
        *id = json_object_is_type(v, json_type_string) ? strtoll(json_object_get_string(v),
                                                                 NULL, 10)
                                                       : json_object_get_int64(v);
    json_object_put(root);
    if (*id > 0)
        return ST_OK;
    errbuf_set(err, "job %lld payload has no positive return_id: %.100s", j->id,
               j->payload != NULL ? j->payload : "");
    return ST_FAIL;
}

/* The tenant's template, asked again once when the cached one is not usable. */
static enum st rw_template(struct worker_ctx *w, struct return_template *t,
                           struct pvx_outcome *oc)
{
    enum st st = pvx_returns_template(w->pvx, w->curl, false, t, oc);

    if (st == ST_FAIL && t->n > 0) {
        return_template_cleanup(t);
        st = pvx_returns_template(w->pvx, w->curl, true, t, oc);
    }
    return st;
}

/*
 * After a save refused as a whole: whether the tenant's template is gone
 * or unusable now (asked afresh; the cached header may be stale), why.
 */
static bool rw_template_gone(struct worker_ctx *w, char *why, size_t cap)
{
    struct return_template t = {0};
    struct pvx_outcome oc;
    bool gone = pvx_returns_template(w->pvx, w->curl, true, &t, &oc) == ST_FAIL;

    if (gone)
        snprintf(why, cap, "%s", oc.err.msg);
    return_template_cleanup(&t);
    return gone;
}

static enum st rw_template_missing(struct worker_ctx *w, const struct return_rec *rec,
                                   const char *why, struct errbuf *err)
{
    char detail[ERRBUF_MAX + 128];
    struct exc_new e = {
        .shop = w->cfg->shop_domain, .type = RETURNS_TEMPLATE_MISSING, .team = "ops",
        .subject_kind = "template", .subject = RETURNS_TEMPLATE_SUBJECT, .detail = detail,
        .action = "set up the 'Returns' save template in Peoplevox with fields for the return "
                  "reference (ReturnReference), SalesOrderNumber, ItemCode, Quantity and "
                  "ReturnReason; returns wait in authorised and are sent by the next "
                  "poll_returns once it is usable (this exception then resolves itself)"};

    snprintf(detail, sizeof(detail), "return %lld (Sales Order %s) stays authorised: %s",
             rec->id, rec->sales_order_number, why);
    log_event(LOG_WARN, "return_template_missing", LOG_I64("return_id", rec->id), "why", why,
              NULL);
    return return_exc_alone(w, &e, err);
}

static enum st rw_rejected(struct worker_ctx *w, const struct return_rec *rec, const char *why,
                           struct errbuf *err)
{
    char subject[48], detail[ERRBUF_MAX + 128];
    struct exc_new e = {
        .shop = w->cfg->shop_domain, .type = RETURNS_REJECTED, .team = "ops",
        .subject_kind = "return", .subject = subject, .detail = detail,
        .action = "fix what Peoplevox names (the Sales Order, an item code), then resolve "
                  "this exception: the next poll_returns sends the return again"};

    snprintf(subject, sizeof(subject), "return %lld", rec->id);
    snprintf(detail, sizeof(detail), "expected return of return %lld (Sales Order %s) was not "
             "saved: %s", rec->id, rec->sales_order_number, why);
    log_event(LOG_WARN, "return_rejected", LOG_I64("return_id", rec->id), "why", why, NULL);
    return return_exc_alone(w, &e, err);
}

/* Tx: reference stored, authorised -> awaiting_receipt, this return's exceptions resolved. */
static enum st rw_saved(struct worker_ctx *w, const struct return_rec *rec, const char *ref,
                        size_t rows, struct errbuf *err)
{
    char detail[160], subject[48];
    bool applied = false;
    enum st st = store_cmd(w->db, "BEGIN", err);

    snprintf(detail, sizeof(detail), "expected return %s saved in Peoplevox (%zu item rows)",
             ref, rows);
    snprintf(subject, sizeof(subject), "return %lld", rec->id);
    if (st == ST_OK)
        st = return_receipt_store_set_reference(w->db, w->cfg->shop_domain, rec->id, ref, err);
    if (st == ST_OK)
        st = return_store_transition(w->db, w->cfg->shop_domain, rec->id,
                                     RETURN_AWAITING_RECEIPT, "warehouse", detail, &applied, err);
    if (st == ST_OK)
        st = exc_resolve_subject(w->db, w->cfg->shop_domain, RETURNS_REJECTED, subject,
                                 "shopvox", detail, err);
    if (st == ST_OK)
        st = exc_resolve_subject(w->db, w->cfg->shop_domain, RETURNS_TEMPLATE_MISSING,
                                 RETURNS_TEMPLATE_SUBJECT, "shopvox", detail, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(w->db);
    log_event(LOG_INFO, "return_expected", LOG_I64("return_id", rec->id), "reference", ref,
              "moved", applied ? "awaiting_receipt" : "no", NULL);
    return st;
}

/* The lines to send; ST_FAIL (why) when one has no item code. */
static enum st rw_lines(const struct return_rec *rec, struct return_save_line *out, char *why,
                        size_t cap)
{
    for (size_t i = 0; i < rec->n_lines; i++) {
        if (rec->lines[i].item_code[0] == '\0') {
            snprintf(why, cap, "line %s has no Peoplevox item code (its order line is unknown)",
                     rec->lines[i].line_item_id);
            return ST_FAIL;
        }
        out[i].item_code = rec->lines[i].item_code;
        out[i].quantity = rec->lines[i].quantity;
    }
    if (rec->n_lines == 0 || rec->sales_order_number[0] == '\0') {
        snprintf(why, cap, "%s", rec->n_lines == 0 ? "the return has no lines"
                                                   : "its order has no Sales Order in Peoplevox");
        return ST_FAIL;
    }
    return ST_OK;
}

/* Saves rec (authorised) as an expected return; the job's outcome. */
static enum st rw_send(struct worker_ctx *w, const struct return_rec *rec,
                       struct pvx_outcome *oc, struct errbuf *err)
{
    struct return_template t = {0};
    struct pvx_response resp;
    struct return_save_line *lines = xcalloc(rec->n_lines + 1, sizeof(*lines));
    char ref[64], why[ERRBUF_MAX], comments[96];
    enum st st;

    memset(&resp, 0, sizeof(resp));
    if (rec->return_reference[0] != '\0')
        snprintf(ref, sizeof(ref), "%s", rec->return_reference);
    else if (return_reference_make(w->cfg->order_prefix, rec->id, ref, sizeof(ref)) != 0)
        snprintf(ref, sizeof(ref), "R%lld", rec->id);
    if (rw_lines(rec, lines, why, sizeof(why)) != ST_OK) {
        st = rw_rejected(w, rec, why, err);
        goto out;
    }
    st = rw_template(w, &t, oc);
    if (st == ST_FAIL) {
        st = rw_template_missing(w, rec, oc->err.msg, err);
        goto out;
    }
    if (st != ST_OK)
        goto out;
    snprintf(comments, sizeof(comments), "shopline return %s", rec->shopline_return_id);
    struct return_save rs = {ref, rec->sales_order_number, rec->reason[0] ? rec->reason : NULL,
                             comments, lines, rec->n_lines};
    st = pvx_save_expected_return(w->pvx, w->curl, &t, &rs, &resp, oc);
    if (st == ST_OK)
        st = rw_saved(w, rec, ref, resp.n_statuses, err);
    else if (st == ST_FAIL && oc->unknown)
        st = ST_RETRY;
    else if (st == ST_FAIL && resp.n_statuses == 0 && rw_template_gone(w, why, sizeof(why)))
        st = rw_template_missing(w, rec, why, err);
    else if (st == ST_FAIL)
        st = rw_rejected(w, rec, oc->err.msg, err);
out:
    if (st == ST_RETRY && err->msg[0] == '\0')
        errbuf_set(err, "could not save expected return %s: %s", ref, oc->err.msg);
    pvx_response_cleanup(&resp);
    return_template_cleanup(&t);
    free(lines);
    return st;
}

void return_create_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct return_rec rec;
    struct pvx_outcome oc;
    long long id = 0;

    memset(&rec, 0, sizeof(rec));
    memset(&oc, 0, sizeof(oc));
    r->st = rw_payload(j, &id, &r->err);
    if (r->st == ST_OK)
        r->st = store_ensure(w->db, &r->err);
    if (r->st == ST_OK)
        r->st = return_store_get(w->db, w->cfg->shop_domain, id, &rec, &r->err);
    if (r->st != ST_OK)
        goto out;
    if (rec.state != RETURN_AUTHORISED) {
        log_event(LOG_INFO, "return_create_skipped", LOG_I64("return_id", id), "state",
                  return_state_name(rec.state), NULL);
        goto out;
    }
    r->st = rw_send(w, &rec, &oc, &r->err);
    if (r->st == ST_RETRY && oc.throttled)
        job_result_throttle(r, oc.retry_after_ms);
out:
    return_rec_free(&rec);
}

enum st return_resend_waiting(struct worker_ctx *w, int *resent, struct pvx_outcome *oc,
                              struct errbuf *err)
{
    struct return_template t = {0};
    char limit[16];
    const char *p[4] = {w->cfg->shop_domain, RETURNS_CREATE_KIND, RETURNS_REJECTED, limit};
    enum st st;
    PGresult *res;

    snprintf(limit, sizeof(limit), "%d", RETURNS_RESEND_MAX);
    res = store_exec_prepared(
        w->db, "rw_waiting",
        "SELECT r.id FROM returns r WHERE r.shop = $1 AND r.state = 'authorised' "
        "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = $2 "
        "AND j.dedupe_key = 'return:' || r.id AND j.state <> 'done') "
        "AND NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.shop = $1 AND e.type = $3 "
        "AND e.subject = 'return ' || r.id AND e.state = 'open') "
        "ORDER BY r.id LIMIT $4::int",
        4, p, NULL, NULL, &st, err);

    *resent = 0;
    if (res == NULL || PQntuples(res) == 0)
        goto out;
    st = pvx_returns_template(w->pvx, w->curl, true, &t, oc);
    if (st != ST_OK) {
        st = st == ST_FAIL ? ST_OK : st; /* still unusable: keep waiting */
        goto out;
    }
    for (int i = 0; i < PQntuples(res) && st == ST_OK; i++) {
        char key[48], payload[64];

        snprintf(key, sizeof(key), "return:%s", PQgetvalue(res, i, 0));
        snprintf(payload, sizeof(payload), "{\"return_id\":%s}", PQgetvalue(res, i, 0));
        st = job_enqueue(w->db, w->cfg->shop_domain, RETURNS_CREATE_KIND, key, payload, 0, NULL,
                         err);
        *resent += st == ST_OK;
    }
out:
    return_template_cleanup(&t);
    PQclear(res);
    return st;
}
