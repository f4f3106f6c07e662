/*
 * ops_status.c - the scheduler, limiter and sweep status an operator reads
 * (ops_status.h), shared by the CLI and the admin API.
 *
 * The schedule's intervals are this configuration's (scheduler_tasks), so
 * "next due" is when the leader, running with the same configuration,
 * enqueues the task next; a task that never ran is listed with nulls:
 * "never ran" is an answer, not a missing row. A bucket's level is read by
 * the database clock like a take, but takes nothing.
 */
#include "ops_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clients.h"
#include "cursor_store.h"
#include "despatch_jobs.h"
#include "order_sweep.h"
#include "pause_store.h"
#include "ratelimit.h"
#include "ratelimit_store.h"
#include "reconcile.h"
#include "schedule_store.h"
#include "scheduler.h"
#include "store_json.h"
#include "sweep_store.h"

/* Unix seconds as ISO 8601 UTC into out (cap), "" when t <= 0. */
static void iso_utc(time_t t, char *out, size_t cap)
{
    struct tm tm;

    out[0] = '\0';
    if (t > 0 && gmtime_r(&t, &tm) != NULL)
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void jset_text(struct json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v != NULL && v[0] ? json_object_new_string(v) : NULL);
}

/* row's next_due_at from its enqueued_at ("YYYY-MM-DDTHH:MM:SSZ") + interval_s. */
static void add_next_due(struct json_object *row, int interval_s)
{
    const char *at = json_object_get_string(json_object_object_get(row, "enqueued_at"));
    struct tm tm = {0};
    char due[32] = "";

    if (at != NULL && strptime(at, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
        iso_utc(timegm(&tm) + interval_s, due, sizeof(due));
    jset_text(row, "next_due_at", due);
}

/* The leader and the despatch watermark (Unix seconds) into out. */
static enum st add_marks(struct store_conn *c, struct json_object *out, struct errbuf *err)
{
    char *leader = NULL, *mark = NULL, iso[32];
    enum st st = cursor_store_get(c, SCHEDULER_LEADER_CURSOR, &leader, err);

    if (st == ST_OK)
        st = cursor_store_get(c, DESPATCH_WATERMARK, &mark, err);
    iso_utc(mark != NULL ? (time_t)strtoll(mark, NULL, 10) : 0, iso, sizeof(iso));
    jset_text(out, "leader", leader);
    jset_text(out, "despatch_watermark", iso);
    free(leader);
    free(mark);
    return st;
}

enum st ops_schedules_report(struct store_conn *c, const struct cfg *cfg,
                             struct json_object **out, struct errbuf *err)
{
    struct scheduler_task t[SCHEDULER_MAX_TASKS];
    const char *names[SCHEDULER_MAX_TASKS];
    size_t n = scheduler_tasks(cfg, t);
    struct json_object *rows;
    enum st st;
    PGresult *res;

    *out = NULL;
    for (size_t i = 0; i < n; i++)
        names[i] = t[i].name;
    res = schedule_store_report(c, names, n, &st, err);
    if (res == NULL)
        return st;
    rows = store_rows_json(res, -1);
    PQclear(res);
    for (size_t i = 0; i < n && i < json_object_array_length(rows); i++) {
        struct json_object *row = json_object_array_get_idx(rows, i);

        json_object_object_add(row, "interval_s", json_object_new_int(t[i].interval_s));
        add_next_due(row, t[i].interval_s);
    }
    *out = json_object_new_object();
    json_object_object_add(*out, "tasks", rows);
    st = add_marks(c, *out, err);
    if (st != ST_OK) {
        json_object_put(*out);
        *out = NULL;
    }
    return st;
}

/* One bucket's entry. */
static struct json_object *bucket_json(enum rl_api api, const struct rl_limits *l,
                                       const struct ratelimit_level *lv)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "api", json_object_new_string(rl_api_name(api)));
    json_object_object_add(o, "rate_per_s", json_object_new_double(l->rate_per_s));
    json_object_object_add(o, "burst", json_object_new_double(l->burst));
    json_object_object_add(o, "tokens", lv->exists ? json_object_new_double(lv->tokens) : NULL);
    json_object_object_add(o, "used_pct",
                           lv->exists && l->burst > 0
                               ? json_object_new_double(100.0 * (1.0 - lv->tokens / l->burst))
                               : NULL);
    jset_text(o, "updated_at", lv->updated_at);
    jset_text(o, "slow_until", lv->slow_until);
    jset_text(o, "held_until", lv->held_until);
    return o;
}

enum st ops_limiter_report(struct store_conn *c, const struct cfg *cfg, const char *shop,
                           struct json_object **out, struct errbuf *err)
{
    struct rl_limits limits[RL_API_COUNT];
    struct json_object *buckets = json_object_new_array();
    bool paused = false;
    enum st st = ST_OK;

    *out = NULL;
    clients_rate_limits(cfg, limits);
    for (int api = 0; api < RL_API_COUNT && st == ST_OK; api++) {
        struct ratelimit_level lv;

        st = ratelimit_store_level(c, (enum rl_api)api, shop, &limits[api], &lv, err);
        if (st == ST_OK)
            json_object_array_add(buckets, bucket_json((enum rl_api)api, &limits[api], &lv));
    }
    if (st == ST_OK)
        st = pause_store_get(c, shop, &paused, err);
    if (st != ST_OK) {
        json_object_put(buckets);
        return st;
    }
    *out = json_object_new_object();
    json_object_object_add(*out, "buckets", buckets);
    json_object_object_add(*out, "paused", json_object_new_boolean(paused));
    return ST_OK;
}

/* One sweep's latest run: the row, or {"sweep", "state": "never"}. */
static struct json_object *sweep_entry(const PGresult *res, const char *sweep)
{
    struct json_object *o;

    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), sweep) == 0)
            return store_row_json(res, i);
    o = json_object_new_object();
    json_object_object_add(o, "sweep", json_object_new_string(sweep));
    json_object_object_add(o, "state", json_object_new_string("never"));
    return o;
}

enum st ops_reconcile_report(struct store_conn *c, const char *shop, struct json_object **out,
                             struct errbuf *err)
{
    static const char *const sweeps[] = {ORDER_SWEEP_NAME, WAREHOUSE_SWEEP_NAME,
                                         DESPATCH_SWEEP_NAME};
    struct json_object *rows;
    enum st st;
    PGresult *res = sweep_store_latest(c, shop, &st, err);

    *out = NULL;
    if (res == NULL)
        return st;
    rows = json_object_new_array();
    for (size_t i = 0; i < ARRAY_LEN(sweeps); i++)
        json_object_array_add(rows, sweep_entry(res, sweeps[i]));
    PQclear(res);
    *out = json_object_new_object();
    json_object_object_add(*out, "sweeps", rows);
    return ST_OK;
}
