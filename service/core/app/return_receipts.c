/*
 * return_receipts.c - the poll_returns job: Peoplevox's `Return summary`
 * read from the watermark and each row counted once against the returns
 * that expect its goods (see return_jobs.h; the rules are
 * return_report.c's).
 *
 * One transaction per row: the receipt is inserted first (return_receipts,
 * its four-part key), so a row re-read in the overlap window, or by a
 * second poll racing this one, is skipped before its units could be
 * counted twice; then the returns of its Sales Order are locked, its units
 * allocated to their lines of that item (oldest return first), the lines'
 * received / restocked / written-off counts raised, and each return
 * touched moved on and handed to the returns core (returns_after_receipt),
 * all in that one transaction. Units no return expects stay on the
 * receipt (unmatched_qty) with a return_receipt_unmatched exception per return
 * code; an unreadable row opens the same exception and is read again in
 * the next polls' overlap.
 *
 * State rule (return_progress_of): the first units move a return
 * awaiting_receipt -> received; once every line has its quantity it goes
 * received -> inspected -> returned_to_stock when at least one unit was
 * reusable, written_off when none was (a line's units that were not are
 * counted in its written_off_qty either way). Causes are
 * 'warehouse:<return code>' of the row that moved it.
 *
 * Report dates are the tenant's wall clock (PEOPLEVOX_TIMEZONE), turned
 * into instants and back by PostgreSQL (despatch_store), as the despatch
 * poller does; the watermark (cursor RETURNS_WATERMARK, Unix seconds) only
 * moves forward, after every row read was counted or excepted.
 */
#include "return_jobs.h"

#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor_store.h"
#include "despatch_store.h"
#include "log.h"
#include "metrics.h"
#include "pvx_returns.h"
#include "return_int.h"
#include "return_receipt_store.h"
#include "return_store.h"
#include "returns_app.h"

#define RR_METRIC "shopvox_return_receipts_total"
#define RR_MAX_TOUCHED 16

enum rr_outcome { RR_MATCHED, RR_UNMATCHED, RR_SEEN, RR_INVALID, RR_COUNT };

static const char *const rr_outcome_names[RR_COUNT] = {"matched", "unmatched", "seen", "invalid"};

static pthread_once_t rr_metrics_once = PTHREAD_ONCE_INIT;

static void rr_metrics_describe(void)
{
    metrics_describe(RR_METRIC, MET_COUNTER,
                     "Return summary rows read by poll_returns (matched: units went to a return, "
                     "unmatched: some units no return expected, seen: counted before, invalid: "
                     "unreadable)");
}

/* Where return id stands after its lines took units; moves it on. */
static enum st rr_advance(struct worker_ctx *w, long long id, const struct return_receipt *rc,
                          struct errbuf *err)
{
    struct return_rec rec;
    struct return_line_count *lc = NULL;
    char cause[96], detail[192];
    long restocked = 0, written_off = 0;
    bool applied = false;
    enum st st = return_store_get(w->db, w->cfg->shop_domain, id, &rec, err);

    if (st != ST_OK)
        return st;
    lc = xcalloc(rec.n_lines + 1, sizeof(*lc));
    for (size_t i = 0; i < rec.n_lines; i++) {
        lc[i] = (struct return_line_count){rec.lines[i].quantity, rec.lines[i].received_qty,
                                           rec.lines[i].restocked_qty};
        restocked += rec.lines[i].restocked_qty;
        written_off += rec.lines[i].written_off_qty;
    }
    enum return_progress pg = return_progress_of(lc, rec.n_lines);
    snprintf(cause, sizeof(cause), "warehouse:%s", rc->return_code);
    snprintf(detail, sizeof(detail), "%ld x %s received, %s, %s", rc->quantity, rc->item_code,
             rc->condition[0] ? rc->condition : "no condition",
             rc->reusable ? "reusable" : "not reusable");
    if (rec.state == RETURN_AWAITING_RECEIPT)
        st = return_store_transition(w->db, w->cfg->shop_domain, id, RETURN_RECEIVED, cause,
                                      detail, &applied, err);
    if (st == ST_OK && (pg == RETURN_PROGRESS_RESTOCKED || pg == RETURN_PROGRESS_WRITTEN_OFF)) {
        snprintf(detail, sizeof(detail), "every line received: %ld restocked, %ld written off",
                 restocked, written_off);
        st = return_store_transition(w->db, w->cfg->shop_domain, id, RETURN_INSPECTED, cause,
                                     detail, &applied, err);
        if (st == ST_OK)
            st = return_store_transition(w->db, w->cfg->shop_domain, id,
                                         pg == RETURN_PROGRESS_RESTOCKED
                                             ? RETURN_RETURNED_TO_STOCK : RETURN_WRITTEN_OFF,
                                         cause, detail, &applied, err);
    }
    if (st == ST_OK)
        st = returns_after_receipt(w->db, w->cfg->shop_domain, id, err);
    free(lc);
    return_rec_free(&rec);
    return st;
}

static enum st rr_unmatched(struct worker_ctx *w, const struct return_receipt *rc, long units,
                            const char *why, struct errbuf *err, bool alone)
{
    char detail[ERRBUF_MAX + 160];
    struct exc_new e = {
        .shop = w->cfg->shop_domain, .type = RETURNS_UNMATCHED, .team = "ops",
        .subject_kind = "return_code",
        .subject = rc->return_code[0] ? rc->return_code : "(no return code)", .detail = detail,
        .action = "check the return in Peoplevox against the store's returns: a return "
                  "shopvox does not know (create it in the store), or more goods than were "
                  "expected; then resolve"};

    if (why != NULL)
        snprintf(detail, sizeof(detail), "Return summary row of Sales Order %s cannot be read: "
                 "%s", rc->sales_order, why);
    else
        snprintf(detail, sizeof(detail), "return %s: %ld of %ld x %s of Sales Order %s match no "
                 "return waiting for them", rc->return_code, units, rc->quantity, rc->item_code,
                 rc->sales_order);
    log_event(LOG_WARN, "return_receipt_unmatched", "return_code", rc->return_code, "sales_order",
              rc->sales_order, "detail", detail, NULL);
    return alone ? return_exc_alone(w, &e, err) : exc_raise(w->db, &e, NULL, err);
}

/* Adds id to ids[*n] once. */
static void rr_touch(long long *ids, size_t *n, long long id)
{
    for (size_t i = 0; i < *n; i++)
        if (ids[i] == id)
            return;
    if (*n < RR_MAX_TOUCHED)
        ids[(*n)++] = id;
}

/*
 * Gives units of receipt rc (matched_before of its units went to returns
 * already) to the lines of the returns waiting for them, in the open
 * transaction: lines raised, the receipt's counts set, each return touched
 * moved on; *left the units none took.
 */
static enum st rr_give(struct worker_ctx *w, const struct return_receipt *rc, long units,
                       long matched_before, long *left, struct errbuf *err)
{
    struct return_cands cands = {0, NULL};
    struct return_match_line *ml = NULL;
    struct return_alloc *a = NULL;
    long long touched[RR_MAX_TOUCHED];
    size_t n_touched = 0, n = 0;
    enum st st = return_receipt_store_candidates(w->db, w->cfg->shop_domain, rc->sales_order,
                                                 rc->item_code, &cands, err);

    *left = units;
    if (st != ST_OK)
        goto out;
    ml = xcalloc(cands.n + 1, sizeof(*ml));
    a = xcalloc(cands.n + 1, sizeof(*a));
    for (size_t i = 0; i < cands.n; i++)
        ml[i] = (struct return_match_line){cands.items[i].item_code, cands.items[i].quantity,
                                           cands.items[i].received};
    n = return_match_allocate(rc->item_code, units, ml, cands.n, a, left);
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        const struct return_cand *k = &cands.items[a[i].line];

        st = return_receipt_store_add_units(w->db, k->return_id, k->line_item_id, a[i].quantity,
                                            rc->reusable ? a[i].quantity : 0,
                                            rc->reusable ? 0 : a[i].quantity, err);
        rr_touch(touched, &n_touched, k->return_id);
    }
    if (st == ST_OK)
        st = return_receipt_store_matched(w->db, w->cfg->shop_domain, rc,
                                          n > 0 ? cands.items[a[0].line].return_id : 0,
                                          matched_before + units - *left, err);
    for (size_t i = 0; i < n_touched && st == ST_OK; i++)
        st = rr_advance(w, touched[i], rc, err);
out:
    free(ml);
    free(a);
    return_cands_cleanup(&cands);
    return st;
}

/* Counts one valid row in the open transaction. */
static enum st rr_apply(struct worker_ctx *w, const struct return_receipt *rc,
                        enum rr_outcome *out, struct errbuf *err)
{
    long unmatched = rc->quantity;
    bool inserted = false;
    enum st st = return_receipt_store_insert(w->db, w->cfg->shop_domain, rc, &inserted, err);

    *out = RR_SEEN;
    if (st != ST_OK || !inserted)
        return st;
    st = rr_give(w, rc, rc->quantity, 0, &unmatched, err);
    if (st == ST_OK && unmatched > 0)
        st = rr_unmatched(w, rc, unmatched, NULL, err, false);
    *out = unmatched > 0 ? RR_UNMATCHED : RR_MATCHED;
    return st;
}

/*
 * Tx: gives a counted receipt's unmatched units to the returns waiting now
 * (goods that arrived before their return was awaiting_receipt); resolves
 * return_receipt_unmatched of its return code once every unit of the code
 * went to a return. *matched: whether some units did.
 */
static enum st rr_retry_one(struct worker_ctx *w, const struct return_receipt *rc,
                            bool *matched, struct errbuf *err)
{
    char detail[160];
    long unmatched = 0, left = 0, code_left = 0;
    enum st st = store_cmd(w->db, "BEGIN", err);

    *matched = false;
    if (st == ST_OK)
        st = return_receipt_store_lock(w->db, w->cfg->shop_domain, rc, &unmatched, err);
    if (st == ST_OK && unmatched > 0)
        st = rr_give(w, rc, unmatched, rc->quantity - unmatched, &left, err);
    if (st == ST_OK && unmatched > 0 && left < unmatched) {
        *matched = true;
        st = return_receipt_store_code_unmatched(w->db, w->cfg->shop_domain, rc->return_code,
                                                 &code_left, err);
    }
    if (st == ST_OK && *matched && code_left == 0) {
        snprintf(detail, sizeof(detail), "every unit of return %s went to a return once it "
                 "was awaiting receipt", rc->return_code);
        st = exc_resolve_subject(w->db, w->cfg->shop_domain, RETURNS_UNMATCHED,
                                 rc->return_code, "shopvox", detail, err);
    }
    if (st == ST_OK)
        return store_cmd(w->db, "COMMIT", err);
    store_rollback(w->db);
    return st;
}

/* Retries the open unmatched receipts some waiting return could take; *n how many matched. */
static enum st rr_retry_unmatched(struct worker_ctx *w, int *n, struct errbuf *err)
{
    struct return_receipt_list l = {0, NULL};
    enum st st = return_receipt_store_retryable(w->db, w->cfg->shop_domain, RETURNS_RETRY_MAX,
                                                &l, err);

    *n = 0;
    for (size_t i = 0; i < l.n && st == ST_OK; i++) {
        bool matched = false;

        st = rr_retry_one(w, &l.items[i], &matched, err);
        *n += matched;
        if (matched)
            log_event(LOG_INFO, "return_receipt_matched_late", "return_code",
                      l.items[i].return_code, "sales_order", l.items[i].sales_order,
                      "item_code", l.items[i].item_code, NULL);
    }
    return_receipt_list_cleanup(&l);
    return st;
}

/* One row in its own transaction (or its exception). */
static enum st rr_one(struct worker_ctx *w, const struct return_receipt *rc,
                      enum rr_outcome *out, struct errbuf *err)
{
    enum st st;

    *out = RR_INVALID;
    if (rc->invalid != NULL)
        return rr_unmatched(w, rc, 0, rc->invalid, err, true);
    st = store_cmd(w->db, "BEGIN", err);
    if (st == ST_OK)
        st = rr_apply(w, rc, out, err);
    if (st == ST_OK)
        return store_cmd(w->db, "COMMIT", err);
    store_rollback(w->db);
    return st;
}

/* Sets each valid row's instant from its wall-clock date (one statement). */
static enum st rr_dates(struct worker_ctx *w, struct return_receipt_list *l, struct errbuf *err)
{
    struct despatch_store_dated d = {l->items, l->n, sizeof(*l->items),
                                     offsetof(struct return_receipt, invalid),
                                     offsetof(struct return_receipt, local_s),
                                     offsetof(struct return_receipt, returned_at_s)};

    return despatch_store_dated_to_utc(w->db, w->cfg->pvx_timezone, &d, err);
}

/* The watermark as the tenant's wall clock minus the overlap (0: none yet). */
static enum st rr_since(struct worker_ctx *w, int64_t *since_s, int64_t *wall_s,
                        struct errbuf *err)
{
    char *value = NULL;
    enum st st = cursor_store_get(w->db, RETURNS_WATERMARK, &value, err);

    *since_s = value != NULL ? strtoll(value, NULL, 10) : 0;
    *wall_s = 0;
    free(value);
    if (st == ST_OK && *since_s > 0)
        st = despatch_store_utc_to_local(w->db, w->cfg->pvx_timezone,
                                         *since_s - RETURNS_OVERLAP_S, wall_s, err);
    return st;
}

static enum st rr_poll(struct worker_ctx *w, struct pvx_outcome *oc, struct errbuf *err)
{
    struct csv_table t = {0, NULL};
    struct return_receipt_list l = {0, NULL};
    int64_t since_s = 0, wall_s = 0, latest_s;
    int counts[RR_COUNT] = {0}, resent = 0, late = 0;
    char mark[32];
    enum st st = store_ensure(w->db, err);

    if (st == ST_OK)
        st = rr_since(w, &since_s, &wall_s, err);
    if (st != ST_OK)
        goto out;
    st = pvx_get_return_summary_all(w->pvx, w->curl, wall_s, 0, RETURNS_MAX_ROWS, &t, oc);
    if (st != ST_OK) {
        errbuf_set(err, "could not read '" RETURN_REPORT "' from peoplevox: %s", oc->err.msg);
        goto out;
    }
    st = return_report_parse(&t, &l, err);
    if (st == ST_OK)
        st = rr_dates(w, &l, err);
    latest_s = since_s;
    for (size_t i = 0; i < l.n && st == ST_OK; i++) {
        enum rr_outcome o;
        char labels[48];

        st = rr_one(w, &l.items[i], &o, err);
        counts[o]++;
        snprintf(labels, sizeof(labels), "outcome=\"%s\"", rr_outcome_names[o]);
        metrics_inc(RR_METRIC, labels);
        if (l.items[i].invalid == NULL && l.items[i].returned_at_s > latest_s)
            latest_s = l.items[i].returned_at_s;
    }
    if (st == ST_OK && latest_s > since_s) {
        snprintf(mark, sizeof(mark), "%" PRId64, latest_s);
        st = cursor_store_set(w->db, RETURNS_WATERMARK, mark, err);
    }
    if (st == ST_OK)
        st = rr_retry_unmatched(w, &late, err);
    if (st == ST_OK)
        st = return_resend_waiting(w, &resent, oc, err);
    if (st == ST_OK && (l.n > 0 || resent > 0 || late > 0))
        log_event(LOG_INFO, "returns_polled", LOG_I64("read", l.n),
                  LOG_I64("matched", counts[RR_MATCHED]),
                  LOG_I64("unmatched", counts[RR_UNMATCHED]), LOG_I64("seen", counts[RR_SEEN]),
                  LOG_I64("invalid", counts[RR_INVALID]), LOG_I64("resent", resent),
                  LOG_I64("matched_late", late),
                  LOG_I64("watermark", latest_s), NULL);
out:
    return_receipt_list_cleanup(&l);
    csv_table_cleanup(&t);
    return st;
}

void return_poll_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct pvx_outcome oc;

    (void)j;
    pthread_once(&rr_metrics_once, rr_metrics_describe);
    memset(&oc, 0, sizeof(oc));
    r->st = rr_poll(w, &oc, &r->err);
    if (r->st == ST_RETRY && oc.throttled)
        job_result_throttle(r, oc.retry_after_ms);
}
