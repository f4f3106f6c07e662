/*
 * order_sweep.c - the missed-order-webhook sweep (see order_sweep.h).
 *
 * One run:
 *   1. its order_sweeps row (sweep_run.h): the operator's (named by the
 *      job's dedupe key "operator:<id>") or a new one for a scheduled run;
 *   2. the window (sweep_window.h): the operator's since, else the
 *      watermark minus SWEEP_OVERLAP_S, the first run 24 h back;
 *   3. page after page of orders.json?updated_at_min=...&status=any (100
 *      a page, link paging), one NORMAL-priority "shopline" token each
 *      (fulfillments go first, inventory pushes after); each order through
 *      intake_apply_swept, one transaction per order, so a page is applied
 *      before the next is asked for;
 *   4. after the last page, and only for a scheduled run, the watermark
 *      becomes the time the run started (our clock, taken before the first
 *      request).
 *
 * Why not move the watermark per page: Shopline documents no order for the
 * listing (the fake lists by creation), so a page's newest updated_at says
 * nothing about the orders still to come. A run that fails half-way keeps
 * the old watermark; its retry reads the applied pages again, and they are
 * no-ops. An operator's run with an older since must not move the
 * watermark forward past orders it did not read, nor back: it leaves it.
 *
 * Recovered: an order the sweep applied (shopvox had none, or an older
 * one) counts in shopvox_orders_recovered_total and in the run's row.
 */
#include "order_sweep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor_store.h"
#include "intake.h"
#include "limiter.h"
#include "log.h"
#include "metrics.h"
#include "order.h"
#include "shopline.h"
#include "sweep_run.h"
#include "sweep_window.h"

#define SWEEP_TOKEN_SLEEP_MAX_MS 5000
#define SWEEP_MAX_PAGES 1000             /* 100 000 orders a run at most */

static pthread_once_t sweep_metrics_once = PTHREAD_ONCE_INIT;

static void sweep_metrics_describe(void)
{
    metrics_describe("shopvox_orders_recovered_total", MET_COUNTER,
                     "Orders the sweep applied that shopvox was missing or had stale");
}

enum st order_sweep_request(struct store_conn *c, const char *shop, const char *since_iso,
                            long long *id, struct errbuf *err)
{
    return sweep_run_request(c, shop, ORDER_SWEEP_NAME, ORDER_SWEEP_KIND, since_iso, id, err);
}

/* What one run works with. */
struct sweep_ctx {
    struct worker_ctx *w;
    const char *shop;
    struct sweep_job job;   /* its row; job.run holds the counts */
    int64_t started_ms;     /* wall clock, before the first request */
    char from_iso[32];
};

/* The run's row and window; false with r filled. */
static bool sweep_begin(struct sweep_ctx *s, const struct job *j, struct job_result *r)
{
    struct sweep_window_in in = {s->started_ms, -1, -1};
    char *mark = NULL;
    int64_t from_ms = 0;
    enum sweep_window_rc wrc;

    r->st = sweep_job_open(s->w->db, s->shop, ORDER_SWEEP_NAME, j, &s->job, &r->err);
    if (r->st == ST_OK)
        r->st = cursor_store_get(s->w->db, ORDER_SWEEP_WATERMARK, &mark, &r->err);
    if (r->st != ST_OK)
        return false;
    if (mark != NULL && order_parse_time_ms(mark, &in.watermark_ms) != 0)
        in.watermark_ms = -1;  /* unreadable: as if it were the first run */
    free(mark);
    in.since_ms = s->job.run.since_ms;
    wrc = sweep_window_from(&in, &from_ms);
    if (wrc != SWEEP_WINDOW_OK) {
        errbuf_set(&r->err, "since %s", sweep_window_rc_text(wrc));
        r->st = ST_FAIL;
        return false;
    }
    sweep_window_format(from_ms, s->from_iso, sizeof(s->from_iso));
    r->st = sweep_store_start(s->w->db, s->job.id, s->from_iso, &r->err);
    return r->st == ST_OK;
}

/* One page's orders through the intake; ST_OK once every one is applied or a no-op. */
static enum st sweep_apply_page(struct sweep_ctx *s, const struct shopline_orders *page,
                                struct errbuf *err)
{
    struct intake_result res;
    enum st st = ST_OK;

    for (size_t i = 0; i < page->n && st == ST_OK; i++) {
        st = intake_apply_swept(s->w->db, s->shop, s->w->cfg->paid_statuses, &page->items[i],
                                &res, err);
        if (st != ST_OK || res.outcome != INTAKE_STORED)
            continue;
        s->job.run.recovered++;
        metrics_inc("shopvox_orders_recovered_total", "");
        log_event(LOG_INFO, "order_recovered", "shop", s->shop, "order",
                  page->items[i].name, "state", res.order_state, NULL);
    }
    s->job.run.listed += (long)page->n;
    return st;
}

/* A failed page: a 429 is a throttled retry (the limiter is told), else r->st is st. */
static void sweep_note_failure(struct sweep_ctx *s, const struct shopline_outcome *oc, enum st st,
                               struct job_result *r)
{
    errbuf_set(&r->err, "orders page %ld: shopline: %s (http %ld, trace %s)", s->job.run.pages + 1,
               oc->err.msg, oc->http_status, oc->trace_id[0] ? oc->trace_id : "-");
    r->st = st;
    if (oc->throttled) {
        long after_ms = oc->retry_after_ms > 0 ? oc->retry_after_ms : 0;

        if (s->w->limiter != NULL)
            limiter_note_throttled(s->w->limiter, RL_API_SHOPLINE, after_ms);
        job_result_throttle(r, after_ms);
    }
}

/* Every page, each applied before the next is read; r->st tells. */
static void sweep_pages(struct sweep_ctx *s, struct job_result *r)
{
    struct shopline_orders_query q = {NULL, 0, s->from_iso, 0, NULL, false};
    struct shopline_orders page = {NULL, 0, 0};
    struct shopline_outcome oc;
    char *cursor = NULL, *sent = NULL;

    for (r->st = ST_OK; r->st == ST_OK; s->job.run.pages++) {
        if (s->job.run.pages >= SWEEP_MAX_PAGES) {
            errbuf_set(&r->err, "more than %d pages of orders since %s", SWEEP_MAX_PAGES,
                       s->from_iso);
            r->st = ST_FAIL;
            break;
        }
        if (!job_take_token(s->w, RL_API_SHOPLINE, RL_PRIO_NORMAL, SWEEP_TOKEN_SLEEP_MAX_MS,
                            "orders page", r))
            break;
        memset(&oc, 0, sizeof(oc));
        sent = cursor;
        cursor = NULL;          /* set again only on success */
        q.page_info = sent;
        r->st = shopline_get_orders(s->w->shopline, s->w->curl, &q, &page, &cursor, &oc);
        free(sent);
        if (r->st != ST_OK) {
            sweep_note_failure(s, &oc, r->st, r);
            break;
        }
        r->st = sweep_apply_page(s, &page, &r->err);
        shopline_orders_cleanup(&page);
        if (r->st == ST_OK && cursor == NULL) {
            s->job.run.pages++;
            break;
        }
    }
    free(cursor);
    shopline_orders_cleanup(&page);
}

/* The watermark (scheduled runs), the row, the log line. */
static void sweep_end(struct sweep_ctx *s, struct job_result *r)
{
    char mark[32];

    if (r->st == ST_OK && s->job.scheduled) {
        sweep_window_format(s->started_ms, mark, sizeof(mark));
        r->st = cursor_store_set(s->w->db, ORDER_SWEEP_WATERMARK, mark, &r->err);
    }
    sweep_job_close(s->w->db, &s->job, r);
    log_event(r->st == ST_OK ? LOG_INFO : LOG_WARN, "orders_swept", "shop", s->shop, "since",
              s->from_iso, LOG_I64("pages", s->job.run.pages), LOG_I64("listed", s->job.run.listed),
              LOG_I64("recovered", s->job.run.recovered), "outcome", st_name(r->st), NULL);
}

void order_sweep_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct sweep_ctx s;

    pthread_once(&sweep_metrics_once, sweep_metrics_describe);
    memset(&s, 0, sizeof(s));
    s.w = w;
    s.shop = w->cfg->shop_domain;
    s.started_ms = now_ms_wall();
    r->st = ST_OK;
    if (w->shopline == NULL) {
        errbuf_set(&r->err, "no shopline client (SHOPLINE_ACCESS_TOKEN not set)");
        r->st = ST_FAIL;
        return;
    }
    if (!sweep_begin(&s, j, r)) {
        sweep_end(&s, r);
        return;
    }
    sweep_pages(&s, r);
    sweep_end(&s, r);
}
