/*
 * despatch.c - the despatch poller (see despatch_jobs.h; the rules are the
 * pure domain/despatch.c).
 *
 * One transaction per despatch: the despatch row is inserted first
 * (despatch number unique, ON CONFLICT DO NOTHING), so a despatch re-read
 * in the overlap window, or by a second poll racing this one, is skipped
 * before its quantities could be counted twice. A despatch that cannot be
 * mapped rolls back its own transaction and opens its exception in a new
 * one; the poll goes on with the next. The watermark moves only after
 * every despatch read was stored or excepted, and only forward, to the
 * latest despatch date seen: a row arriving late (dated before it) is
 * still read within DESPATCH_OVERLAP_S. Each despatch recorded enqueues its
 * create_fulfillment job (fulfillment.c) in the same transaction.
 *
 * Report dates are the tenant's wall clock (PEOPLEVOX_TIMEZONE): the
 * watermark is kept as an instant (Unix seconds) and turned into the
 * tenant's wall clock for the search clause, and each despatch date into an
 * instant, both by PostgreSQL (despatch_store), so DST is right and no
 * thread sets TZ.
 *
 * A despatch_unmapped exception is a despatch shopvox could not record
 * yet: its order had not arrived, or an item had no sku_map. Each poll
 * also asks for the despatch numbers of such exceptions opened within
 * DESPATCH_RETRY_S (at most DESPATCH_RETRY_MAX, ORed into the same
 * search clause, so no extra call), and the one that can be recorded now
 * is, closing its exception in the same transaction.
 */
#include "despatch_jobs.h"

#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cursor_store.h"
#include "despatch.h"
#include "despatch_store.h"
#include "exceptions.h"
#include "jobs.h"
#include "log.h"
#include "order_store.h"
#include "pvx.h"

#define UNMAPPED_TYPE "despatch_unmapped"

/* What one despatch came to. */
enum poll_outcome { POLL_RECORDED, POLL_SEEN, POLL_UNMAPPED };

/*
 * "[Despatch date] >= DateTime(...)" for wall_s (the tenant's wall clock,
 * seconds as if UTC) into out, or nothing when there is no watermark yet.
 */
static void since_clause(int64_t wall_s, struct buf *out)
{
    time_t t = (time_t)wall_s;
    struct tm tm;

    if (wall_s <= 0 || gmtime_r(&t, &tm) == NULL)
        return;
    buf_appendf(out, "[Despatch date] >= DateTime(%d,%d,%d,%d,%d,%d)", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Whether a despatch number can go inside a clause's quotes as it is. */
static bool number_quotable(const char *s)
{
    size_t n = strlen(s);

    for (const char *p = s; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && strchr("-_./ ", *p) == NULL)
            return false;
    return n > 0 && n <= 64;
}

/*
 * `[Despatch number] == "N" OR ...` into out for the despatch of each
 * subject ("SO/N") of rows; a number that cannot be quoted as it is is
 * left to the overlap window.
 */
static void retry_clause(PGresult *rows, struct buf *out)
{
    for (int i = 0; rows != NULL && i < PQntuples(rows); i++) {
        const char *slash = strrchr(PQgetvalue(rows, i, 0), '/');

        if (slash == NULL || !number_quotable(slash + 1))
            continue;
        buf_appendf(out, "%s[Despatch number] == \"%s\"", out->len > 0 ? " OR " : "",
                    slash + 1);
    }
}

/*
 * The report's search clause: the watermark's window, ORed with the
 * despatches to look at again; "" (everything) before the first despatch.
 */
static enum st search_clause(struct worker_ctx *w, int64_t since_s, struct buf *out,
                             struct errbuf *err)
{
    int64_t wall_s = 0;
    enum st st;
    PGresult *rows = NULL;
    struct buf retry;

    if (since_s <= 0)
        return ST_OK;
    buf_init(&retry, 0);
    st = despatch_store_utc_to_local(w->db, w->cfg->pvx_timezone, since_s - DESPATCH_OVERLAP_S,
                                     &wall_s, err);
    if (st == ST_OK)
        rows = exc_open_subjects(w->db, w->cfg->shop_domain, UNMAPPED_TYPE, DESPATCH_RETRY_S,
                                 DESPATCH_RETRY_MAX, &st, err);
    if (st == ST_OK) {
        retry_clause(rows, &retry);
        buf_append_str(out, retry.len > 0 ? "(" : "");
        since_clause(wall_s, out);
        if (retry.len > 0)
            buf_appendf(out, ") OR (%s)", buf_cstr(&retry));
    }
    PQclear(rows);
    buf_cleanup(&retry);
    return st;
}

/* The subject of a despatch's despatch_unmapped exception: "SO/number". */
static void unmapped_subject(const struct despatch *d, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", d->so_number, d->number);
}

/* Opens the despatch's exception in a transaction of its own. */
static enum st raise_unmapped(struct worker_ctx *w, const struct despatch *d,
                              const char *order_id, const char *why, struct errbuf *err)
{
    char subject[160];
    struct exc_new e = {.shop = w->cfg->shop_domain, .type = UNMAPPED_TYPE, .team = "ops",
                        .subject_kind = "despatch", .subject = subject, .order_id = order_id,
                        .detail = why,
                        .action = "check the Sales Order and the despatch in Peoplevox; fix the "
                                  "order's lines or fulfil it in Shopline by hand, then resolve"};
    enum st st;

    unmapped_subject(d, subject, sizeof(subject));
    st = store_cmd(w->db, "BEGIN", err);
    if (st == ST_OK)
        st = exc_raise(w->db, &e, NULL, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(w->db);
    log_event(LOG_WARN, "despatch_unmapped", "despatch", d->number, "sales_order", d->so_number,
              "why", why, NULL);
    return st;
}

/* Stores the allocation: lines, order lines' despatched counts, the order's state. */
static enum st record_lines(struct worker_ctx *w, const struct order_store_so *o,
                            const char *despatch_id, const struct despatch *d,
                            const struct order_store_ship_lines *lines,
                            const struct despatch_alloc *a, size_t n, struct errbuf *err)
{
    enum st st = ST_OK;
    bool complete = true;
    char detail[ERRBUF_MAX];

    for (size_t i = 0; i < n && st == ST_OK; i++) {
        const struct order_store_ship_line *l = &lines->lines[a[i].line];

        st = despatch_store_add_line(w->db, despatch_id, l->line_id, l->item_code, a[i].quantity,
                                     err);
        if (st == ST_OK)
            st = order_store_add_despatched(w->db, o->id, l->line_id, a[i].quantity, err);
    }
    for (size_t l = 0; l < lines->n; l++) {
        long now = lines->lines[l].despatched;

        for (size_t i = 0; i < n; i++)
            now += a[i].line == l ? a[i].quantity : 0;
        complete = complete && now >= lines->lines[l].quantity;
    }
    snprintf(detail, sizeof(detail), "despatch %s, %s %s, tracking %s", d->number, d->carrier,
             d->service, d->tracking[0] ? d->tracking : "(none)");
    if (st == ST_OK)
        st = order_store_move(w->db, o->id, o->state,
                              complete ? "despatched" : "partially_despatched", "despatched",
                              detail, err);
    return st;
}

/* Why order state o->state cannot take a despatch, or NULL. */
static const char *state_refuses(const char *state)
{
    static const char *const ok[] = {"sent", "partially_despatched", "despatched", "fulfilled"};

    for (size_t i = 0; i < ARRAY_LEN(ok); i++)
        if (strcmp(state, ok[i]) == 0)
            return NULL;
    return state;
}

/*
 * Records one despatch in the open transaction. ST_OK with *out; on
 * POLL_UNMAPPED why says why (the caller rolls back and raises).
 */
static enum st record_one(struct worker_ctx *w, const struct despatch *d,
                          struct order_store_so *o, enum poll_outcome *out, char *why,
                          size_t cap, struct errbuf *err)
{
    struct order_store_ship_lines lines = {0, NULL};
    struct despatch_alloc *a = NULL;
    size_t n = 0;
    char id[32] = "", subject[160];
    bool found = false;
    enum st st = order_store_lock_by_so_number(w->db, d->so_number, o, &found, err);

    *out = POLL_UNMAPPED;
    if (st != ST_OK)
        goto out;
    if (!found) {
        snprintf(why, cap, "despatch %s is for Sales Order %s, which shopvox does not know",
                 d->number, d->so_number);
        goto out;
    }
    if (state_refuses(o->state) != NULL) {
        snprintf(why, cap, "despatch %s is for order %s, which is %s", d->number, o->name,
                 o->state);
        goto out;
    }
    st = despatch_store_insert(w->db, o->id, d, id, sizeof(id), err);
    if (st != ST_OK)
        goto out;
    if (id[0] == '\0') {
        *out = POLL_SEEN;
        goto out;
    }
    st = order_store_load_ship_lines(w->db, o->id, &lines, err);
    if (st != ST_OK)
        goto out;
    struct despatch_order_line *ol = xcalloc(lines.n ? lines.n : 1, sizeof(*ol));
    for (size_t i = 0; i < lines.n; i++) {
        const struct order_store_ship_line *l = &lines.lines[i];

        ol[i] = (struct despatch_order_line){l->line_id,    l->item_code, l->quantity,
                                             l->despatched, l->sku,       l->mapped_code};
    }
    int rc = despatch_allocate(d, ol, lines.n, &a, &n, why, cap);
    free(ol);
    if (rc != 0)
        goto out;
    st = record_lines(w, o, id, d, &lines, a, n, err);
    if (st == ST_OK)
        st = job_enqueue(w->db, w->cfg->shop_domain, DESPATCH_FULFIL_KIND, d->number, "{}", 0,
                         NULL, err);
    unmapped_subject(d, subject, sizeof(subject));
    if (st == ST_OK)
        st = exc_resolve_subject(w->db, w->cfg->shop_domain, UNMAPPED_TYPE, subject, "shopvox",
                                 "despatch recorded", err);
    if (st == ST_OK)
        *out = POLL_RECORDED;
out:
    free(a);
    order_store_ship_lines_cleanup(&lines);
    return st;
}

/* One despatch in its own transaction (or its exception). */
static enum st poll_one(struct worker_ctx *w, const struct despatch *d, enum poll_outcome *out,
                        struct errbuf *err)
{
    struct order_store_so o;
    char why[ERRBUF_MAX] = "";
    enum st st;

    memset(&o, 0, sizeof(o));
    *out = POLL_UNMAPPED;
    if (d->invalid != NULL) {
        snprintf(why, sizeof(why), "despatch %s of Sales Order %s: %s", d->number, d->so_number,
                 d->invalid);
        return raise_unmapped(w, d, NULL, why, err);
    }
    st = store_cmd(w->db, "BEGIN", err);
    if (st == ST_OK)
        st = record_one(w, d, &o, out, why, sizeof(why), err);
    if (st == ST_OK && *out != POLL_UNMAPPED)
        return store_cmd(w->db, "COMMIT", err);
    store_rollback(w->db);
    if (st != ST_OK)
        return st;
    return raise_unmapped(w, d, o.id[0] ? o.id : NULL, why, err);
}

/* The watermark (Unix seconds, 0 when none). */
static enum st watermark_read(struct store_conn *db, int64_t *since_s, struct errbuf *err)
{
    char *value = NULL;
    enum st st = cursor_store_get(db, DESPATCH_WATERMARK, &value, err);

    *since_s = value != NULL ? strtoll(value, NULL, 10) : 0;
    free(value);
    return st;
}

/* Sets each readable despatch's instant from its wall-clock date (one statement). */
static enum st dates_to_utc(struct worker_ctx *w, struct despatch_list *l, struct errbuf *err)
{
    struct despatch_store_dated d = {l->items, l->n, sizeof(*l->items),
                                     offsetof(struct despatch, invalid),
                                     offsetof(struct despatch, local_s),
                                     offsetof(struct despatch, despatched_at_s)};

    return despatch_store_dated_to_utc(w->db, w->cfg->pvx_timezone, &d, err);
}

static enum st poll_run(struct worker_ctx *w, struct pvx_outcome *oc, struct errbuf *err)
{
    struct csv_table t = {0, NULL};
    struct despatch_list l = {0, NULL};
    struct buf clause;
    int64_t since_s = 0, latest_s;
    char mark[32];
    int counts[3] = {0, 0, 0};
    enum st st = store_ensure(w->db, err);

    buf_init(&clause, 0);
    if (st == ST_OK)
        st = watermark_read(w->db, &since_s, err);
    if (st == ST_OK)
        st = search_clause(w, since_s, &clause, err);
    if (st != ST_OK)
        goto out;
    struct pvx_report_request req = {.template_name = DESPATCH_REPORT,
                                     .search_clause = buf_cstr(&clause)};
    st = pvx_get_report_data_all(w->pvx, w->curl, &req, DESPATCH_MAX_ROWS, &t, oc);
    if (st != ST_OK) {
        errbuf_set(err, "could not read '" DESPATCH_REPORT "' from peoplevox: %s", oc->err.msg);
        goto out;
    }
    if (t.n_rows > 0)
        st = despatch_group_rows(&t, &l, err);
    if (st == ST_OK)
        st = dates_to_utc(w, &l, err);
    latest_s = since_s;
    for (size_t i = 0; i < l.n && st == ST_OK; i++) {
        enum poll_outcome po;

        st = poll_one(w, &l.items[i], &po, err);
        counts[po]++;
        if (l.items[i].invalid == NULL && l.items[i].despatched_at_s > latest_s)
            latest_s = l.items[i].despatched_at_s;
    }
    if (st == ST_OK && latest_s > since_s) {
        snprintf(mark, sizeof(mark), "%" PRId64, latest_s);
        st = cursor_store_set(w->db, DESPATCH_WATERMARK, mark, err);
    }
    if (st == ST_OK && l.n > 0)
        log_event(LOG_INFO, "despatches_polled", LOG_I64("read", l.n),
                  LOG_I64("recorded", counts[POLL_RECORDED]), LOG_I64("seen", counts[POLL_SEEN]),
                  LOG_I64("unmapped", counts[POLL_UNMAPPED]), LOG_I64("watermark", latest_s),
                  NULL);
out:
    despatch_list_cleanup(&l);
    csv_table_cleanup(&t);
    buf_cleanup(&clause);
    return st;
}

void despatch_poll_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct pvx_outcome oc;

    (void)j;
    memset(&oc, 0, sizeof(oc));
    r->st = poll_run(w, &oc, &r->err);
    if (r->st == ST_RETRY && oc.throttled)
        job_result_throttle(r, oc.retry_after_ms);
}
