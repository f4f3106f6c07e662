/*
 * inventory.c - the inventory sync's reads: Peoplevox stock into the stock
 * table, and the set_inventory jobs that follow (see inventory_jobs.h).
 *
 * One run, full or changes:
 *   1. the read's start is the DATABASE's now() (read_at), so it compares
 *      with orders.sent_at: an order sent after it is not in the figures
 *      read and stays reserved;
 *   2. the report is read outside any transaction (pages of 1000; a
 *      filtered read names at most INVENTORY_CODES_PER_CLAUSE codes a
 *      call), and its rows are mapped by column name (inventory.c);
 *   3. one transaction (serialised per shop by an advisory lock) stores
 *      the rows (never over a newer read), forgets
 *      the hints read, recomputes every wanted value and queues a
 *      set_inventory job per level to push (inventory_store_plan).
 * Step 3 runs after every change run even when nothing was read: a paid
 * order changes the reservation, and a flash sale must reach the store
 * within one interval although Peoplevox's figures have not moved.
 *
 * Both kinds run on any worker; a full read and a change read may run at
 * once (the read_at guard keeps the newer figure). SKUs on one side only
 * are counted after a full read (shopvox_inventory_unmatched{side}) and the
 * first of them logged; they never stop the sync.
 */
#include "inventory_jobs.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients.h"
#include "cursor_store.h"
#include "despatch_store.h"
#include "inventory.h"
#include "inventory_store.h"
#include "jobs.h"
#include "limiter.h"
#include "location_map.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"

#define INVENTORY_FULL_TOKEN_WAIT_MS 60000 /* a page of the full read waits for its token */

#define UNMATCHED_SAMPLE 10

static void describe_once(void)
{
    metrics_describe("shopvox_inventory_last_sync_timestamp_seconds", MET_GAUGE,
                     "Unix time of the last successful inventory read, by kind (full, changes)");
    metrics_describe("shopvox_inventory_items_read_total", MET_COUNTER,
                     "Item x site rows read from Peoplevox, by kind (full, changes)");
    metrics_describe("shopvox_inventory_pushes_total", MET_COUNTER,
                     "Inventory levels by outcome: queued, set, unchanged, refused (422), "
                     "unmatched (no single variant), retried");
    metrics_describe("shopvox_inventory_unmatched", MET_GAUGE,
                     "SKUs on one side only after the last full read, by side (peoplevox, "
                     "shopline)");
    metrics_describe("shopvox_inventory_budget_calls_per_hour", MET_GAUGE,
                     "Calls an hour the inventory sync plans to use, by api: peoplevox (full "
                     "pages plus the last hour's change reads), shopline (levels pushed in the "
                     "last hour)");
    metrics_describe("shopvox_inventory_budget_limit_calls_per_hour", MET_GAUGE,
                     "What the shared bucket of each api refills an hour (PEOPLEVOX_RATE, "
                     "SHOPLINE_RATE_PER_SEC), shared with Sales Orders and fulfillments");
}

void inventory_metrics_describe(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, describe_once);
}

enum st inventory_hint(struct store_conn *c, const char *shop, const char *item_code,
                       struct errbuf *err)
{
    if (!inventory_code_quotable(item_code)) {
        errbuf_set(err, "'%.60s' is not an item code a search clause can name", item_code);
        return ST_FAIL;
    }
    return inventory_store_hint(c, shop, item_code, err);
}

/* What one run read and did, for the log and the metrics. */
struct sync_run {
    struct worker_ctx *w;
    bool full;
    char read_at[64];
    int64_t read_s;
    struct inventory_rows rows;  /* a change read's rows; the full read's counts only */
    long staged;                 /* rows the full read staged, page by page */
    const char **hinted;       /* the hinted codes this run read (borrowed from hints) */
    size_t n_hinted;
    PGresult *hints;
    long calls;                /* Peoplevox report reads (each paged) */
    long changed;              /* stock rows whose available changed */
    long queued;               /* set_inventory jobs made or brought forward */
};

/* One report read (every page) under clause into run->rows. */
static enum st read_report(struct worker_ctx *w, struct sync_run *run, const char *report,
                           const char *clause, struct pvx_outcome *oc, struct errbuf *err)
{
    struct pvx_report_request req = {.template_name = report, .search_clause = clause};
    struct csv_table t = {0, NULL};
    enum st st = pvx_get_report_data_all(w->pvx, w->curl, &req, INVENTORY_MAX_ROWS, &t, oc);

    run->calls++;
    if (st != ST_OK)
        errbuf_set(err, "could not read '%s' from peoplevox: %s", report, oc->err.msg);
    else
        st = inventory_rows_from_table(&t, &run->rows, err);
    csv_table_cleanup(&t);
    return st;
}

/* One page of the full read: its rows staged in the database, none kept. */
static enum st stage_page(void *ctx, struct csv_table *page, struct errbuf *err)
{
    struct sync_run *run = ctx;
    struct inventory_rows rows = {0, NULL, 0, ""};
    enum st st = inventory_rows_from_table(page, &rows, err);

    run->staged += (long)rows.n;
    if (st == ST_OK && run->staged > INVENTORY_MAX_ROWS) {
        errbuf_set(err, "peoplevox returned more than %ld rows", (long)INVENTORY_MAX_ROWS);
        st = ST_FAIL;
    }
    if (st == ST_OK)
        st = inventory_store_stage(run->w->db, &rows, err);
    if (rows.skipped > 0 && run->rows.skipped == 0)
        snprintf(run->rows.first_skipped, sizeof(run->rows.first_skipped), "%s",
                 rows.first_skipped);
    run->rows.skipped += rows.skipped;
    inventory_rows_cleanup(&rows);
    return st;
}

/*
 * The whole report, streamed: each page is staged as it comes (memory
 * holds one page), and a throttled page (Peoplevox refused it for load,
 * or no token came within the wait) is waited for and fetched again, up
 * to INVENTORY_FULL_THROTTLED_MAX times, instead of ending the job and
 * starting over from page 1. Nothing is published here: apply_run takes
 * the staged snapshot once every page is in.
 */
static enum st read_full(struct worker_ctx *w, struct sync_run *run, struct pvx_outcome *oc,
                         struct errbuf *err)
{
    struct pvx_report_request req = {.template_name = INVENTORY_REPORT, .search_clause = ""};
    int page = 1, waits = 0;
    enum st st = inventory_store_stage_begin(w->db, err);

    while (st == ST_OK) {
        int from = page;

        memset(oc, 0, sizeof(*oc));
        st = pvx_get_report_data_each(w->pvx, w->curl, &req, &page, stage_page, run, oc);
        run->calls += page - from + 1;
        if (st != ST_RETRY || !oc->throttled || waits++ >= INVENTORY_FULL_THROTTLED_MAX ||
            !limiter_nap_ms(w->stopping, oc->retry_after_ms > 0 ? oc->retry_after_ms : 1000))
            break;
        st = ST_OK;
    }
    if (st != ST_OK && err->msg[0] == '\0')
        errbuf_set(err, "could not read '%s' from peoplevox (page %d): %s", INVENTORY_REPORT,
                   page, oc->err.msg);
    return st;
}

/* The hinted codes, INVENTORY_CODES_PER_CLAUSE a call. */
static enum st read_hinted(struct worker_ctx *w, struct sync_run *run, struct pvx_outcome *oc,
                           struct errbuf *err)
{
    enum st st = ST_OK;
    struct buf clause;

    run->hints = inventory_store_hinted(w->db, w->cfg->shop_domain, INVENTORY_HINTS_PER_RUN, &st,
                                        err);
    if (st != ST_OK)
        return st;
    run->n_hinted = (size_t)PQntuples(run->hints);
    run->hinted = xcalloc(run->n_hinted + 1, sizeof(*run->hinted));
    for (size_t i = 0; i < run->n_hinted; i++)
        run->hinted[i] = PQgetvalue(run->hints, (int)i, 0);
    buf_init(&clause, 0);
    for (size_t at = 0; at < run->n_hinted && st == ST_OK; at += INVENTORY_CODES_PER_CLAUSE) {
        size_t n = run->n_hinted - at;

        buf_reset(&clause);
        if (inventory_codes_clause(run->hinted + at, n < INVENTORY_CODES_PER_CLAUSE
                                                         ? n : INVENTORY_CODES_PER_CLAUSE,
                                   &clause) > 0)
            st = read_report(w, run, INVENTORY_REPORT, buf_cstr(&clause), oc, err);
    }
    buf_cleanup(&clause);
    return st;
}

/* A tenant report of changes since the watermark (less the overlap), then the watermark. */
static enum st read_changes_report(struct worker_ctx *w, struct sync_run *run,
                                   const struct inventory_source *src, struct pvx_outcome *oc,
                                   struct errbuf *err)
{
    char *mark = NULL;
    int64_t since_s = 0, wall_s = 0;
    struct buf clause;
    enum st st = cursor_store_get(w->db, INVENTORY_CHANGES_WATERMARK, &mark, err);

    buf_init(&clause, 0);
    if (st == ST_OK && mark != NULL)
        since_s = atoll(mark) - INVENTORY_CHANGES_OVERLAP_S;
    if (st == ST_OK && since_s > 0)
        st = despatch_store_utc_to_local(w->db, w->cfg->pvx_timezone, since_s, &wall_s, err);
    if (st == ST_OK && since_s > 0)
        inventory_since_clause(src->column, wall_s, &clause);
    if (st == ST_OK)
        st = read_report(w, run, src->report, buf_cstr(&clause), oc, err);
    free(mark);
    buf_cleanup(&clause);
    return st;
}

/* The set_inventory job of each planned level; run inside the caller's transaction. */
static enum st enqueue_pushes(struct worker_ctx *w, const char *map_json, struct sync_run *run,
                              struct errbuf *err)
{
    enum st st = ST_OK;
    PGresult *plan = inventory_store_plan(w->db, w->cfg->shop_domain, map_json,
                                          w->cfg->reserve_in_flight == 1, INVENTORY_ENQUEUE_MAX,
                                          &st, err);

    for (int i = 0; plan != NULL && i < PQntuples(plan) && st == ST_OK; i++) {
        char key[160];

        if (inventory_job_key(PQgetvalue(plan, i, 0), PQgetvalue(plan, i, 1), key,
                              sizeof(key)) != 0)
            continue; /* a code too long for a job key cannot be an item code */
        st = job_enqueue(w->db, w->cfg->shop_domain, INVENTORY_JOB_KIND, key, "{}", 0, NULL,
                         err);
        run->queued++;
    }
    PQclear(plan);
    return st;
}

char *inventory_location_map_json(const struct cfg *cfg)
{
    struct location_map m;
    struct errbuf err = {""};
    struct json_object *o = json_object_new_object();
    char *text;

    location_map_init(&m);
    location_map_parse(&m, cfg->location_map, &err);
    for (size_t i = 0; i < m.n; i++)
        json_object_object_add(o, m.rows[i].site, json_object_new_string(m.rows[i].location_id));
    text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    location_map_cleanup(&m);
    return text;
}

/* Step 3: one transaction from the rows read to the jobs queued. */
static enum st apply_run(struct worker_ctx *w, struct sync_run *run, struct errbuf *err)
{
    char *map = inventory_location_map_json(w->cfg);
    enum st st = store_cmd(w->db, "BEGIN", err);

    if (st == ST_OK)
        st = inventory_store_lock(w->db, w->cfg->shop_domain, err);
    if (st == ST_OK && run->full)
        st = inventory_store_put_staged(w->db, w->cfg->shop_domain, run->read_at, &run->changed,
                                        err);
    else if (st == ST_OK)
        st = inventory_store_put(w->db, w->cfg->shop_domain, &run->rows, run->read_at,
                                 &run->changed, err);
    if (st == ST_OK && run->n_hinted > 0)
        st = inventory_store_clear_hints(w->db, w->cfg->shop_domain, run->hinted, run->n_hinted,
                                         run->read_at, err);
    if (st == ST_OK)
        st = enqueue_pushes(w, map, run, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(w->db);
    if (st == ST_OK && run->full)
        st = inventory_store_stage_end(w->db, err);
    free(map);
    return st;
}

enum st inventory_queue_pushes(struct worker_ctx *w, long *queued, struct errbuf *err)
{
    struct sync_run run;
    char *map = inventory_location_map_json(w->cfg);
    enum st st = inventory_store_lock(w->db, w->cfg->shop_domain, err);

    memset(&run, 0, sizeof(run));
    if (st == ST_OK)
        st = enqueue_pushes(w, map, &run, err);
    *queued = run.queued;
    free(map);
    return st;
}

/* SKUs on one side only: gauges and one log line with the first of each side. */
static void report_unmatched(struct worker_ctx *w)
{
    struct errbuf err = {""};
    enum st st;
    PGresult *res = inventory_store_unmatched(w->db, w->cfg->shop_domain, UNMATCHED_SAMPLE, &st,
                                              &err);
    long n[2] = {0, 0};
    struct buf sample[2];

    if (res == NULL) {
        log_event(LOG_WARN, "inventory_unmatched_failed", "error", err.msg, NULL);
        return;
    }
    buf_init(&sample[0], 0);
    buf_init(&sample[1], 0);
    for (int i = 0; i < PQntuples(res); i++) {
        int side = strcmp(PQgetvalue(res, i, 0), "peoplevox") == 0 ? 0 : 1;

        n[side] = atol(PQgetvalue(res, i, 1));
        buf_appendf(&sample[side], "%s%s", sample[side].len > 0 ? "," : "",
                    PQgetvalue(res, i, 2));
    }
    metrics_set("shopvox_inventory_unmatched", "side=\"peoplevox\"", (double)n[0]);
    metrics_set("shopvox_inventory_unmatched", "side=\"shopline\"", (double)n[1]);
    if (n[0] + n[1] > 0)
        log_event(LOG_INFO, "inventory_unmatched", LOG_I64("peoplevox_only", n[0]),
                  "peoplevox_first", buf_cstr(&sample[0]), LOG_I64("shopline_only", n[1]),
                  "shopline_first", buf_cstr(&sample[1]), NULL);
    buf_cleanup(&sample[0]);
    buf_cleanup(&sample[1]);
    PQclear(res);
}

/* The budget gauges: the plan for this catalogue at the last hour's change rate. */
static void publish_budget(struct worker_ctx *w, const struct inventory_source *src,
                           const struct sync_run *run)
{
    struct inventory_budget_in in = {.full_sync_s = w->cfg->inventory_full_sync_s,
                                     .sync_s = w->cfg->inventory_sync_s, .source = src->kind};
    struct inventory_budget b;
    struct rl_limits limits[RL_API_COUNT];
    struct errbuf err = {""};

    if (inventory_store_counts(w->db, w->cfg->shop_domain, &in.item_sites,
                               &in.changed_levels_per_hour, &err) != ST_OK)
        return;
    in.changed_items_per_hour = (long)run->n_hinted * (3600 / w->cfg->inventory_sync_s);
    inventory_budget_estimate(&in, &b);
    metrics_set("shopvox_inventory_budget_calls_per_hour", "api=\"peoplevox\"",
                b.pvx_calls_per_hour);
    metrics_set("shopvox_inventory_budget_calls_per_hour", "api=\"shopline\"",
                b.shopline_calls_per_hour);
    clients_rate_limits(w->cfg, limits);
    metrics_set("shopvox_inventory_budget_limit_calls_per_hour", "api=\"peoplevox\"",
                limits[RL_API_PEOPLEVOX].rate_per_s * 3600.0);
    metrics_set("shopvox_inventory_budget_limit_calls_per_hour", "api=\"shopline\"",
                limits[RL_API_SHOPLINE].rate_per_s * 3600.0);
}

static void publish(struct worker_ctx *w, const struct inventory_source *src,
                    const struct sync_run *run, int64_t started_ms)
{
    const char *kind = run->full ? "kind=\"full\"" : "kind=\"changes\"";

    metrics_set("shopvox_inventory_last_sync_timestamp_seconds", kind,
                (double)now_ms_wall() / 1000.0);
    metrics_add("shopvox_inventory_items_read_total", kind,
                (double)run->rows.n + (double)run->staged);
    metrics_add("shopvox_inventory_pushes_total", "outcome=\"queued\"", (double)run->queued);
    if (!run->full)
        publish_budget(w, src, run); /* every interval, at this run's rate of hints */
    if (run->full)
        report_unmatched(w);
    if (run->full || run->calls > 0 || run->queued > 0)
        log_event(LOG_INFO, "inventory_synced", "kind", run->full ? "full" : "changes",
                  LOG_I64("calls", run->calls), LOG_I64("hinted", (long)run->n_hinted),
                  LOG_I64("read", (long)run->rows.n + run->staged), LOG_I64("skipped", (long)run->rows.skipped),
                  "first_skipped", run->rows.first_skipped, LOG_I64("changed", run->changed),
                  LOG_I64("queued", run->queued),
                  LOG_I64("duration_ms", now_ms_monotonic() - started_ms), NULL);
}

static enum st sync_run(struct worker_ctx *w, bool full, struct pvx_outcome *oc,
                        struct errbuf *err)
{
    struct sync_run run;
    struct inventory_source src;
    int64_t started_ms = now_ms_monotonic();
    enum st st;

    memset(&run, 0, sizeof(run));
    run.w = w;
    run.full = full;
    inventory_source_parse(w->cfg->pvx_inventory_changes, &src, err); /* checked at start */
    st = store_ensure(w->db, err);
    if (st == ST_OK)
        st = inventory_store_now(w->db, run.read_at, sizeof(run.read_at), &run.read_s, err);
    if (st == ST_OK && full)
        st = read_full(w, &run, oc, err);
    if (st == ST_OK && !full && src.kind != INVENTORY_SOURCE_FULL)
        st = read_hinted(w, &run, oc, err);
    if (st == ST_OK && !full && src.kind == INVENTORY_SOURCE_REPORT)
        st = read_changes_report(w, &run, &src, oc, err);
    if (st == ST_OK)
        st = apply_run(w, &run, err);
    if (st == ST_OK && !full && src.kind == INVENTORY_SOURCE_REPORT) {
        char mark[32];

        snprintf(mark, sizeof(mark), "%lld", (long long)run.read_s);
        st = cursor_store_set(w->db, INVENTORY_CHANGES_WATERMARK, mark, err);
    }
    if (st == ST_OK)
        publish(w, &src, &run, started_ms);
    inventory_rows_cleanup(&run.rows);
    free(run.hinted);
    PQclear(run.hints);
    return st;
}

static void sync_handler(struct worker_ctx *w, bool full, struct job_result *r)
{
    struct pvx_outcome oc;

    inventory_metrics_describe();
    memset(&oc, 0, sizeof(oc));
    r->st = sync_run(w, full, &oc, &r->err);
    if (r->st == ST_RETRY && oc.throttled)
        job_result_throttle(r, oc.retry_after_ms);
}

void inventory_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    (void)j;
    sync_handler(w, false, r);
}

/*
 * The full read pages the whole report in one go: each page may wait for
 * its token up to INVENTORY_FULL_TOKEN_WAIT_MS (at 15/15s a low-priority
 * page waits a few seconds), instead of ending the job and starting over
 * from the first page on its next attempt.
 */
void inventory_full_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    (void)j;
    limiter_set_thread_wait(INVENTORY_FULL_TOKEN_WAIT_MS, w->stopping);
    sync_handler(w, true, r);
    limiter_set_thread_wait(0, NULL);
}
