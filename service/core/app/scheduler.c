/*
 * scheduler.c - leader-elected periodic enqueueing (see scheduler.h).
 *
 * Its one statement of its own is the leadership lock
 * (pg_try_advisory_lock): session state of the scheduler's connection, no
 * table, so it stays here; when each task is due is cursor_store's.
 */
#include "scheduler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor_store.h"
#include "drift_jobs.h"
#include "inventory_jobs.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "order_sweep.h"
#include "reconcile.h"
#include "routing.h"
#include "routing_store.h"
#include "store.h"
#include "variants.h"
#include "report_notify.h"
#include "watchdog.h"
#include "webhook_subs.h"
#include "return_jobs.h"

#define SCHED_TICK_MS 1000

struct scheduler {
    const struct cfg *cfg;
    pthread_t tid;
    atomic_bool stop;
    struct scheduler_task tasks[SCHEDULER_MAX_TASKS];
    size_t n_tasks;
};

size_t scheduler_tasks(const struct cfg *cfg, struct scheduler_task *out)
{
    const struct scheduler_task tasks[] = {
        {"catalogue_sync", "catalogue", cfg != NULL ? cfg->catalogue_sync_s : 0},
        {"detect_stalled", "stalled", cfg != NULL ? 60 : 0},
        {"purge_retention", "retention", cfg != NULL ? 3600 : 0},
        {"poll_despatches", "despatches", cfg != NULL ? cfg->despatch_poll_s : 0},
        {"detect_unconfirmed", "unconfirmed", cfg != NULL ? watchdog_unconfirmed_interval_s(cfg) : 0},
        {VARIANTS_SYNC_KIND, VARIANTS_SYNC_KEY, cfg != NULL ? cfg->variant_sync_s : 0},
        {INVENTORY_SYNC_KIND, "inventory", cfg != NULL ? cfg->inventory_sync_s : 0},
        {INVENTORY_FULL_KIND, "inventory_full", cfg != NULL ? cfg->inventory_full_sync_s : 0},
        {DRIFT_RECONCILE_KIND, DRIFT_RECONCILE_KEY, cfg != NULL ? cfg->inventory_reconcile_s : 0},
        {ORDER_SWEEP_KIND, ORDER_SWEEP_KEY, cfg != NULL ? cfg->order_sweep_s : 0},
        {WHSUBS_KIND, WHSUBS_KEY, cfg != NULL && cfg->public_url[0] ? cfg->webhook_ensure_s : 0},
        {WAREHOUSE_SWEEP_KIND, WAREHOUSE_SWEEP_KEY, cfg != NULL ? cfg->warehouse_sweep_s : 0},
        {DESPATCH_SWEEP_KIND, DESPATCH_SWEEP_KEY, cfg != NULL ? cfg->despatch_sweep_s : 0},
        {RETURNS_POLL_KIND, RETURNS_POLL_KEY, cfg != NULL ? cfg->returns_poll_s : 0},
        {REPORT_DAILY_KIND, REPORT_DAILY_KEY, report_daily_interval_s(cfg)},
    };
    _Static_assert(ARRAY_LEN(tasks) <= SCHEDULER_MAX_TASKS, "raise SCHEDULER_MAX_TASKS");

    for (size_t i = 0; i < ARRAY_LEN(tasks); i++)
        out[i] = tasks[i];
    return ARRAY_LEN(tasks);
}

bool scheduler_is_task(const char *kind)
{
    struct scheduler_task t[SCHEDULER_MAX_TASKS];
    size_t n = scheduler_tasks(NULL, t);

    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, kind) == 0)
            return true;
    return false;
}

/* Enqueues task when its interval has passed since the cursor says it ran. */
static enum st sched_run_task(struct store_conn *db, const char *shop,
                              const struct scheduler_task *t, struct errbuf *err)
{
    bool due = false;
    enum st st;

    if (t->interval_s <= 0) /* off in this configuration */
        return ST_OK;
    st = cursor_store_claim_due(db, t->name, t->interval_s, &due, err);

    if (st == ST_OK && due)
        st = job_enqueue(db, shop, t->name, t->key, "{}", 0, NULL, err);
    return st;
}

static bool sched_lead(struct store_conn *db, bool leading)
{
    struct errbuf err;
    enum st st;
    PGresult *res;

    if (leading && PQstatus(store_pg(db)) == CONNECTION_OK)
        return true;
    if (store_ensure(db, &err) != ST_OK)
        return false;
    res = store_exec(db, "SELECT pg_try_advisory_lock(hashtext('shopvox.scheduler'))", 0, NULL,
                     &st, &err);
    leading = res != NULL && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (leading) {
        char replica[96];

        replica_name(replica, sizeof(replica));
        log_event(LOG_INFO, "scheduler_leader", "replica", replica, NULL);
        if (cursor_store_set(db, SCHEDULER_LEADER_CURSOR, replica, &err) != ST_OK)
            log_event(LOG_WARN, "scheduler_leader_not_recorded", "error", err.msg, NULL);
    }
    return leading;
}

static bool sched_become_leader(const struct cfg *cfg, struct store_conn *db, bool leading)
{
    struct errbuf err = {""};
    bool now_leading = sched_lead(db, leading);

    if (now_leading && !leading && scheduler_seed_routing(cfg, db, &err) != 0)
        log_event(LOG_WARN, "routing_seed_failed", "error", err.msg, NULL);
    return now_leading;
}

static void *sched_main(void *arg)
{
    struct scheduler *s = arg;
    struct store_conn *db = store_conn_create(s->cfg->database_url);
    struct errbuf err = {""};
    bool leading = false;

    while (!atomic_load(&s->stop)) {
        leading = sched_become_leader(s->cfg, db, leading);
        metrics_set("shopvox_scheduler_leader", "", leading ? 1 : 0);
        for (size_t i = 0; leading && i < s->n_tasks; i++)
            if (sched_run_task(db, s->cfg->shop_domain, &s->tasks[i], &err) != ST_OK)
                log_event(LOG_WARN, "schedule_failed", "task", s->tasks[i].name, "error", err.msg,
                          NULL);
        for (int slept = 0; slept < SCHED_TICK_MS && !atomic_load(&s->stop); slept += 100)
            usleep(100 * 1000);
    }
    store_conn_destroy(db); /* closing the session releases the advisory lock */
    return NULL;
}

struct scheduler *scheduler_start(const struct cfg *cfg)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));

    metrics_describe("shopvox_scheduler_leader", MET_GAUGE,
                     "1 when this replica runs the schedulers");
    s->cfg = cfg;
    s->n_tasks = scheduler_tasks(cfg, s->tasks);
    atomic_init(&s->stop, false);
    pthread_create(&s->tid, NULL, sched_main, s);
    return s;
}

void scheduler_stop(struct scheduler *s)
{
    if (s == NULL)
        return;
    atomic_store(&s->stop, true);
    pthread_join(s->tid, NULL);
    free(s);
}

int scheduler_seed_routing(const struct cfg *cfg, struct store_conn *db, struct errbuf *err)
{
    struct routing_rules rules;
    bool seeded = false;
    int rc = 0;

    if (cfg->routing_rules[0] == '\0')
        return 0;
    routing_rules_init(&rules);
    if (routing_parse_rules(&rules, cfg->routing_rules, err) < 0)
        rc = -1;
    else if (db != NULL && routing_store_seed(db, cfg->shop_domain, &rules, &seeded, err) != ST_OK)
        rc = -1;
    else if (seeded)
        log_event(LOG_INFO, "routing_seeded", LOG_I64("rules", rules.n), NULL);
    routing_rules_cleanup(&rules);
    return rc;
}
