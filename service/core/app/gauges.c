/*
 * gauges.c - the database gauges of /metrics (see gauges.h).
 *
 * Each pass runs four small queries, each on what an index can answer:
 * orders in the states that move (awaiting_payment, ready, on_hold) through
 * orders_state, live jobs through the partial index jobs_live (migration
 * 004), open exceptions through exceptions_state and pending despatches
 * through despatches_unconfirmed_idx (007). Every few passes the
 * settled order states are counted as well (a full count, but rare). The
 * results replace their families atomically (metrics_replace), every known
 * order state included at 0, so an emptied state reads 0 and an alert on
 * it resolves. A failed pass sets shopvox_db_up 0 and keeps the last
 * values: stale numbers with a clear "database down" beat holes.
 *
 * The scheduler status (schedules table, the despatch watermark) is read
 * here too, so every replica publishes it and a scrape of any one sees
 * which task last ran, succeeded or failed, whichever replica ran it.
 */
#include "gauges.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor_store.h"
#include "despatch_store.h"
#include "despatch_jobs.h"
#include "drift_jobs.h"
#include "exceptions.h"
#include "inbox_store.h"
#include "inventory_store.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "order.h"
#include "order_store.h"
#include "pause_store.h"
#include "returns_app.h"
#include "schedule_store.h"
#include "variant_store.h"

#define GAUGES_MAX_ROWS 512

struct gauges {
    const struct cfg *cfg;
    pthread_t tid;
    atomic_bool stop;
};

static bool order_state_moves(enum order_state s)
{
    return s == ORDER_AWAITING_PAYMENT || s == ORDER_READY || s == ORDER_ON_HOLD;
}

/* The last counts of the settled states, kept between full passes. */
static pthread_mutex_t settled_lock = PTHREAD_MUTEX_INITIALIZER;
static double settled_counts[ORDER_STATE_COUNT];

/* shopvox_orders: every known state, from rows (state, count). */
static void publish_orders(PGresult *rows, bool settled)
{
    const char *labels[ORDER_STATE_COUNT];
    char text[ORDER_STATE_COUNT][64];
    double values[ORDER_STATE_COUNT];

    pthread_mutex_lock(&settled_lock);
    for (int s = 0; s < ORDER_STATE_COUNT; s++) {
        values[s] = order_state_moves((enum order_state)s) || settled ? 0 : settled_counts[s];
        snprintf(text[s], sizeof(text[s]), "state=\"%s\"", order_state_name((enum order_state)s));
        labels[s] = text[s];
    }
    for (int i = 0; i < PQntuples(rows); i++) {
        enum order_state s;

        if (order_state_parse(PQgetvalue(rows, i, 0), &s) == 0)
            values[s] = atof(PQgetvalue(rows, i, 1));
    }
    for (int s = 0; s < ORDER_STATE_COUNT && settled; s++)
        settled_counts[s] = values[s];
    pthread_mutex_unlock(&settled_lock);
    metrics_replace("shopvox_orders", ORDER_STATE_COUNT, labels, values);
}

/* A family from rows whose last column is the count and the others label values. */
static void publish_rows(const char *family, PGresult *rows, const char *l1, const char *l2)
{
    int n = PQntuples(rows) < GAUGES_MAX_ROWS ? PQntuples(rows) : GAUGES_MAX_ROWS;
    const char **labels = xcalloc((size_t)n + 1, sizeof(*labels));
    double *values = xcalloc((size_t)n + 1, sizeof(*values));
    char **text = xcalloc((size_t)n + 1, sizeof(*text));

    for (int i = 0; i < n; i++) {
        if (l2 != NULL)
            text[i] = xasprintf("%s=\"%s\",%s=\"%s\"", l1, PQgetvalue(rows, i, 0), l2,
                                PQgetvalue(rows, i, 1));
        else
            text[i] = xasprintf("%s=\"%s\"", l1, PQgetvalue(rows, i, 0));
        labels[i] = text[i];
        values[i] = atof(PQgetvalue(rows, i, l2 != NULL ? 2 : 1));
    }
    metrics_replace(family, (size_t)n, labels, values);
    for (int i = 0; i < n; i++)
        free(text[i]);
    free(text);
    free(labels);
    free(values);
}

/* The scheduler status, three families from rows (task, last_run_s, last_success_s, failing). */
static void publish_schedules(PGresult *rows)
{
    static const char *const families[] = {"shopvox_schedule_last_run_timestamp_seconds",
                                           "shopvox_schedule_last_success_timestamp_seconds",
                                           "shopvox_schedule_failing"};
    size_t n = (size_t)(PQntuples(rows) < GAUGES_MAX_ROWS ? PQntuples(rows) : GAUGES_MAX_ROWS);
    const char **labels = xcalloc(n + 1, sizeof(*labels));
    char **text = xcalloc(n + 1, sizeof(*text));
    double *values = xcalloc(n + 1, sizeof(*values));

    for (size_t i = 0; i < n; i++)
        labels[i] = text[i] = xasprintf("task=\"%s\"", PQgetvalue(rows, (int)i, 0));
    for (size_t f = 0; f < ARRAY_LEN(families); f++) {
        for (size_t i = 0; i < n; i++)
            values[i] = atof(PQgetvalue(rows, (int)i, (int)f + 1));
        metrics_replace(families[f], n, labels, values);
    }
    for (size_t i = 0; i < n; i++)
        free(text[i]);
    free(text);
    free(labels);
    free(values);
}

/* The schedules' gauges and the despatch watermark (absent until the first despatch). */
static enum st refresh_schedules(struct store_conn *c, struct errbuf *err)
{
    enum st st;
    char *mark = NULL;
    PGresult *rows = schedule_store_gauges(c, &st, err);

    if (st == ST_OK)
        st = cursor_store_get(c, DESPATCH_WATERMARK, &mark, err);
    if (st == ST_OK) {
        publish_schedules(rows);
        if (mark != NULL)
            metrics_set("shopvox_despatch_watermark_timestamp_seconds", "", atof(mark));
    }
    free(mark);
    PQclear(rows);
    return st;
}

/* shopvox_inventory_push_backlog: live set_inventory jobs, from rows (kind, state, count). */
static void publish_push_backlog(PGresult *jobs)
{
    double n = 0;

    for (int i = 0; i < PQntuples(jobs); i++)
        if (strcmp(PQgetvalue(jobs, i, 0), INVENTORY_JOB_KIND) == 0 &&
            strcmp(PQgetvalue(jobs, i, 1), "dead") != 0)
            n += atof(PQgetvalue(jobs, i, 2));
    metrics_set("shopvox_inventory_push_backlog", "", n);
}

static void gauges_describe(void);
static pthread_once_t gauges_once = PTHREAD_ONCE_INIT;

/* The unconfirmed despatches: those late past the threshold, and the oldest one's age. */
static enum st refresh_despatches(struct store_conn *c, const struct cfg *cfg,
                                  struct errbuf *err)
{
    long late = 0;
    double oldest_s = 0;
    enum st st = despatch_store_pending_gauges(c, cfg->unconfirmed_despatch_s, &late, &oldest_s,
                                               err);

    if (st == ST_OK) {
        metrics_set("shopvox_despatches_unconfirmed", "", (double)late);
        metrics_set("shopvox_despatch_unconfirmed_oldest_seconds", "", oldest_s);
    }
    return st;
}

/* The Shopline catalogue: variants known and SKUs on more than one variant. */
static enum st refresh_variants(struct store_conn *c, struct errbuf *err)
{
    long variants = 0, duplicates = 0;
    enum st st = variant_store_counts(c, &variants, &duplicates, err);

    if (st == ST_OK) {
        metrics_set("shopvox_variants", "", (double)variants);
        metrics_set("shopvox_variants_duplicate_skus", "", (double)duplicates);
    }
    return st;
}

/* shopvox_outbound_paused: 1 while the shop's outbound calls are paused (app uninstalled). */
static enum st refresh_pause(struct store_conn *c, const struct cfg *cfg, struct errbuf *err)
{
    bool paused = false;
    enum st st = pause_store_get(c, cfg->shop_domain, &paused, err);

    if (st == ST_OK)
        metrics_set("shopvox_outbound_paused", "", paused ? 1 : 0);
    return st;
}

/* The pending inbox (intake_apply.h): rows waiting for their order logic, the oldest one's age. */
static enum st refresh_inbox(struct store_conn *c, struct errbuf *err)
{
    long pending = 0;
    double oldest_s = 0;
    enum st st = inbox_store_pending_gauges(c, &pending, &oldest_s, err);

    if (st == ST_OK) {
        metrics_set("shopvox_webhooks_pending", "", (double)pending);
        metrics_set("shopvox_webhooks_pending_oldest_seconds", "", oldest_s);
    }
    return st;
}

enum st gauges_refresh(struct store_conn *c, const struct cfg *cfg, bool settled,
                       struct errbuf *err)
{
    PGresult *orders = NULL, *jobs = NULL, *exc = NULL;
    enum st st;

    pthread_once(&gauges_once, gauges_describe);
    st = store_ensure(c, err);

    if (st == ST_OK)
        orders = order_store_count_by_state(c, settled, &st, err);
    if (st == ST_OK)
        jobs = job_count_live(c, &st, err);
    if (st == ST_OK)
        exc = exc_count_open(c, &st, err);
    if (st == ST_OK)
        st = refresh_despatches(c, cfg, err);
    if (st == ST_OK)
        st = refresh_schedules(c, err);
    if (st == ST_OK)
        st = refresh_variants(c, err);
    if (st == ST_OK)
        st = drift_gauges_refresh(c, cfg->shop_domain, err);
    if (st == ST_OK)
        st = refresh_pause(c, cfg, err);
    if (st == ST_OK)
        st = returns_gauges_refresh(c, err);
    if (st == ST_OK)
        st = refresh_inbox(c, err);
    if (st == ST_OK) {
        publish_orders(orders, settled);
        publish_rows("shopvox_jobs", jobs, "kind", "state");
        publish_push_backlog(jobs);
        publish_rows("shopvox_exceptions_open", exc, "type", NULL);
        metrics_set("shopvox_gauges_refreshed_timestamp_seconds", "",
                    (double)now_ms_wall() / 1000.0);
    }
    metrics_set("shopvox_db_up", "", st == ST_OK ? 1 : 0);
    PQclear(orders);
    PQclear(jobs);
    PQclear(exc);
    return st;
}

static void *gauges_main(void *arg)
{
    struct gauges *g = arg;
    struct store_conn *c = store_conn_create(g->cfg->database_url);
    int interval_ms = g->cfg->metrics_refresh_s * 1000;
    unsigned long every = (unsigned long)(GAUGES_SETTLED_S / g->cfg->metrics_refresh_s);
    unsigned long pass = 0;

    while (!atomic_load(&g->stop)) {
        struct errbuf err = {""};

        if (gauges_refresh(c, g->cfg, every <= 1 || pass % every == 0, &err) != ST_OK)
            log_event(LOG_WARN, "gauges_refresh_failed", "error", err.msg, NULL);
        else
            pass++;
        for (int slept = 0; slept < interval_ms && !atomic_load(&g->stop); slept += 100)
            usleep(100 * 1000);
    }
    store_conn_destroy(c);
    return NULL;
}

static void gauges_describe(void)
{
    metrics_describe("shopvox_orders", MET_GAUGE,
                     "Orders by state (moving states every 15 s, settled ones every 5 min)");
    metrics_describe("shopvox_jobs", MET_GAUGE, "Live and dead jobs by kind and state");
    metrics_describe("shopvox_exceptions_open", MET_GAUGE, "Open exceptions by type");
    metrics_describe("shopvox_webhooks_pending", MET_GAUGE,
                     "Deliveries answered accepted whose order logic has not run yet");
    metrics_describe("shopvox_webhooks_pending_oldest_seconds", MET_GAUGE,
                     "Age of the oldest pending delivery (0 when none)");
    metrics_describe("shopvox_despatches_unconfirmed", MET_GAUGE,
                     "Despatches still pending in Shopline past SHOPVOX_UNCONFIRMED_DESPATCH_S");
    metrics_describe("shopvox_despatch_unconfirmed_oldest_seconds", MET_GAUGE,
                     "Age of the oldest despatch not yet confirmed in Shopline (0 when none)");
    metrics_describe("shopvox_inventory_push_backlog", MET_GAUGE,
                     "set_inventory jobs pending or running (levels waiting for a push)");
    metrics_describe("shopvox_db_up", MET_GAUGE,
                     "1 when the last gauge refresh reached the database");
    metrics_describe("shopvox_gauges_refreshed_timestamp_seconds", MET_GAUGE,
                     "Unix time of the last successful gauge refresh");
    metrics_describe("shopvox_schedule_last_run_timestamp_seconds", MET_GAUGE,
                     "Unix time a scheduled task's job last finished, by task (any replica)");
    metrics_describe("shopvox_schedule_last_success_timestamp_seconds", MET_GAUGE,
                     "Unix time a scheduled task last succeeded, by task (0: never)");
    metrics_describe("shopvox_schedule_failing", MET_GAUGE,
                     "1 when a scheduled task's last run failed, by task");
    metrics_describe("shopvox_despatch_watermark_timestamp_seconds", MET_GAUGE,
                     "Unix time of the latest Peoplevox despatch the poller has read");
    metrics_describe("shopvox_outbound_paused", MET_GAUGE,
                     "1 while every outbound call of the shop is paused (the app is uninstalled)");
    metrics_describe("shopvox_variants", MET_GAUGE,
                     "Shopline variants with a SKU known locally (the variants table)");
    metrics_describe("shopvox_variants_duplicate_skus", MET_GAUGE,
                     "SKUs held by two or more Shopline variants (duplicate_sku exceptions)");
}

struct gauges *gauges_start(const struct cfg *cfg)
{
    struct gauges *g = xcalloc(1, sizeof(*g));

    pthread_once(&gauges_once, gauges_describe);
    g->cfg = cfg;
    atomic_init(&g->stop, false);
    pthread_create(&g->tid, NULL, gauges_main, g);
    return g;
}

void gauges_stop(struct gauges *g)
{
    if (g == NULL)
        return;
    atomic_store(&g->stop, true);
    pthread_join(g->tid, NULL);
    free(g);
}
