/*
 * drift.c - the reconcile_inventory job (see drift_jobs.h).
 *
 * One run:
 *   1. the levels to check (drift_store_levels: every mapped item x
 *      location with a wanted value and a single variant), read outside
 *      any transaction, ordered by inventory item;
 *   2. the store's levels, 50 inventory items (and up to 50 locations) a
 *      call, each call after a LOW Shopline token (a batch waits up to
 *      DRIFT_TOKEN_WAIT_MS for one; a 429 is told to the limiter and the
 *      batch tried again, up to DRIFT_THROTTLED_TRIES); each level judged
 *      (drift.h) as its batch comes back, so memory holds one batch;
 *   3. one transaction, under the sync's inventory lock: the drifted
 *      levels recorded as what the store shows (compare-and-set on the
 *      push read in step 1), the sync's plan run (inventory_queue_pushes:
 *      their set_inventory jobs, coalesced with any already queued), the
 *      report stored, and the inventory_drift exception opened or
 *      resolved.
 * Nothing here sets a level in Shopline: the set_inventory job does, with
 * the newest wanted value when it runs, so a correction can never push a
 * value older than one the sync has since computed.
 */
#include "drift_jobs.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "drift_store.h"
#include "exceptions.h"
#include "inventory_jobs.h"
#include "inventory_store.h"
#include "limiter.h"
#include "location_map.h"
#include "log.h"
#include "metrics.h"
#include "shopline.h"
#include "shopline_json.h"

/* Columns of drift_store_levels. */
enum { COL_ITEM, COL_SITE, COL_LOCATION, COL_INVENTORY_ITEM, COL_DESIRED, COL_PUSHED, COL_AT };

struct recon {
    struct worker_ctx *w;
    struct job_result *r;
    const char *shop;
    char started_at[64];
    PGresult *levels;
    struct location_map map;
    struct shopline_levels shown;       /* the current batch's answer */
    struct drift_summary sum;
    struct drift_top top;
    struct json_object *fixes;          /* the drifted levels to record */
    long calls, corrected, queued;
    bool over;
};

static void describe_once(void)
{
    metrics_describe("shopvox_inventory_drift_items", MET_GAUGE,
                     "Levels the store showed other than shopvox pushed, at the last "
                     "reconciliation");
    metrics_describe("shopvox_inventory_drift_variance_units", MET_GAUGE,
                     "Units the store got wrong over the drifted levels (sum of |shown - "
                     "wanted|), at the last reconciliation");
    metrics_describe("shopvox_inventory_drift_last_run_timestamp_seconds", MET_GAUGE,
                     "Unix time the last inventory reconciliation finished");
}

static void drift_describe(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, describe_once);
}

static void publish_gauges(long drifted, long variance, double finished_s)
{
    drift_describe();
    metrics_set("shopvox_inventory_drift_items", "", (double)drifted);
    metrics_set("shopvox_inventory_drift_variance_units", "", (double)variance);
    metrics_set("shopvox_inventory_drift_last_run_timestamp_seconds", "", finished_s);
}

enum st drift_gauges_refresh(struct store_conn *c, const char *shop, struct errbuf *err)
{
    enum st st;
    PGresult *res = drift_store_latest(c, shop, &st, err);

    if (res != NULL && PQntuples(res) == 1)
        publish_gauges(atol(PQgetvalue(res, 0, 5)), atol(PQgetvalue(res, 0, 9)),
                       atof(PQgetvalue(res, 0, 3)));
    PQclear(res);
    return st;
}

/* A LOW Shopline token, waiting up to DRIFT_TOKEN_WAIT_MS; false (r a throttled retry) if none. */
static bool take_token(struct recon *rc)
{
    return job_take_token(rc->w, RL_API_SHOPLINE, RL_PRIO_LOW, DRIFT_TOKEN_WAIT_MS,
                          "inventory levels", rc->r);
}

/* One inventory_levels.json call of items x locations, 429s tried again; false: r says why. */
static bool read_call(struct recon *rc, const char *const *items, size_t n_items,
                      const char *const *locations, size_t n_locations)
{
    for (int tries = 0; tries < DRIFT_THROTTLED_TRIES; tries++) {
        struct shopline_outcome oc;
        enum st st;

        if (!take_token(rc))
            return false;
        memset(&oc, 0, sizeof(oc));
        rc->calls++;
        st = shopline_get_inventory_levels(rc->w->shopline, rc->w->curl, items, n_items,
                                           locations, n_locations, &rc->shown, &oc);
        if (st == ST_OK)
            return true;
        errbuf_set(&rc->r->err, "could not read the store's inventory levels: %s (http %ld)",
                   oc.err.msg, oc.http_status);
        rc->r->st = st;
        if (!oc.throttled)
            return false;
        if (rc->w->limiter != NULL)
            limiter_note_throttled(rc->w->limiter, RL_API_SHOPLINE,
                                   oc.retry_after_ms > 0 ? oc.retry_after_ms : 0);
    }
    job_result_throttle(rc->r, 1000);
    return false;
}

/* The batch's levels at every mapped location into rc->shown (replaced). */
static bool read_batch(struct recon *rc, const char *const *items, size_t n_items)
{
    const char *locs[SHOPLINE_MAX_LEVEL_IDS];

    shopline_levels_cleanup(&rc->shown);
    for (size_t at = 0; at < rc->map.n; at += SHOPLINE_MAX_LEVEL_IDS) {
        size_t n = 0;

        while (n < SHOPLINE_MAX_LEVEL_IDS && at + n < rc->map.n) {
            locs[n] = rc->map.rows[at + n].location_id;
            n++;
        }
        if (!read_call(rc, items, n_items, locs, n))
            return false;
    }
    return true;
}

/* The store's answer for (inventory item, location), NULL when it has none. */
static const struct shopline_level *shown_level(const struct recon *rc, const char *item,
                                                const char *location)
{
    for (size_t i = 0; i < rc->shown.n; i++)
        if (strcmp(rc->shown.items[i].inventory_item_id, item) == 0 &&
            strcmp(rc->shown.items[i].location_id, location) == 0)
            return &rc->shown.items[i];
    return NULL;
}

/* The correction of a drifted level, as drift_store_correct reads it. */
static void add_fix(struct recon *rc, int row, long shown)
{
    struct json_object *o = json_object_new_object();
    const PGresult *res = rc->levels;

    json_object_object_add(o, "c", json_object_new_string(PQgetvalue(res, row, COL_ITEM)));
    json_object_object_add(o, "s", json_object_new_string(PQgetvalue(res, row, COL_SITE)));
    json_object_object_add(o, "l", json_object_new_string(PQgetvalue(res, row, COL_LOCATION)));
    json_object_object_add(o, "at", PQgetisnull(res, row, COL_AT)
                                        ? NULL
                                        : json_object_new_string(PQgetvalue(res, row, COL_AT)));
    json_object_object_add(o, "v", json_object_new_int64(shown));
    json_object_array_add(rc->fixes, o);
}

/* Judges rows [from, to) against the batch just read. */
static void judge_rows(struct recon *rc, int from, int to)
{
    for (int i = from; i < to; i++) {
        const PGresult *res = rc->levels;
        const struct shopline_level *s = shown_level(rc, PQgetvalue(res, i, COL_INVENTORY_ITEM),
                                                     PQgetvalue(res, i, COL_LOCATION));
        struct drift_level l = {
            .item_code = PQgetvalue(res, i, COL_ITEM),
            .location_id = PQgetvalue(res, i, COL_LOCATION),
            .desired = atol(PQgetvalue(res, i, COL_DESIRED)),
            .pushed_known = !PQgetisnull(res, i, COL_PUSHED),
            .pushed = atol(PQgetvalue(res, i, COL_PUSHED)),
            .shown_known = s != NULL && s->available_known,
            .shown = s != NULL ? s->available : 0,
        };
        enum drift_verdict v = drift_judge(&l);

        drift_summary_add(&rc->sum, &l, v);
        if (v == DRIFT_DRIFTED) {
            drift_top_add(&rc->top, &l);
            add_fix(rc, i, l.shown);
        }
    }
}

/* Step 2: every level, SHOPLINE_MAX_LEVEL_IDS inventory items a batch. */
static bool read_and_judge(struct recon *rc)
{
    int n = PQntuples(rc->levels);
    const char *items[SHOPLINE_MAX_LEVEL_IDS];

    for (int from = 0; from < n;) {
        size_t k = 0;
        int to = from;

        for (; to < n; to++) {
            const char *item = PQgetvalue(rc->levels, to, COL_INVENTORY_ITEM);

            if (k > 0 && strcmp(item, items[k - 1]) == 0)
                continue;
            if (k == SHOPLINE_MAX_LEVEL_IDS)
                break;
            items[k++] = item;
        }
        if (!read_batch(rc, items, k))
            return false;
        judge_rows(rc, from, to);
        from = to;
    }
    return true;
}

/* The top drifted levels as the report keeps them; owned. */
static char *top_json(const struct drift_top *t)
{
    struct json_object *arr = json_object_new_array();
    char *text;

    for (size_t i = 0; i < t->n; i++) {
        const struct drift_top_item *it = &t->items[i];
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "sku", json_object_new_string(it->item_code));
        json_object_object_add(o, "location_id", json_object_new_string(it->location_id));
        json_object_object_add(o, "wanted", json_object_new_int64(it->desired));
        json_object_object_add(o, "pushed", json_object_new_int64(it->pushed));
        json_object_object_add(o, "shown", json_object_new_int64(it->shown));
        json_object_object_add(o, "variance", json_object_new_int64(it->variance));
        json_object_array_add(arr, o);
    }
    text = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
    json_object_put(arr);
    return text;
}

/* SKUs on one side only: {"count": n, "first": [...]} of each side into out[0] (peoplevox), out[1]. */
static enum st one_side_json(struct recon *rc, char *out[2], struct errbuf *err)
{
    enum st st;
    PGresult *res = inventory_store_unmatched(rc->w->db, rc->shop, DRIFT_SAMPLE, &st, err);
    struct json_object *side[2];

    for (int k = 0; k < 2; k++) {
        side[k] = json_object_new_object();
        json_object_object_add(side[k], "count", json_object_new_int64(0));
        json_object_object_add(side[k], "first", json_object_new_array());
    }
    for (int i = 0; res != NULL && i < PQntuples(res); i++) {
        int k = strcmp(PQgetvalue(res, i, 0), "peoplevox") == 0 ? 0 : 1;
        struct json_object *first = NULL;

        json_object_object_add(side[k], "count", json_object_new_int64(atol(PQgetvalue(res, i, 1))));
        json_object_object_get_ex(side[k], "first", &first);
        json_object_array_add(first, json_object_new_string(PQgetvalue(res, i, 2)));
    }
    for (int k = 0; k < 2; k++) {
        out[k] = xstrdup(json_object_to_json_string_ext(side[k], JSON_C_TO_STRING_PLAIN));
        json_object_put(side[k]);
    }
    PQclear(res);
    return st;
}

/* The inventory_drift exception: opened (or bumped) over the thresholds, else resolved. */
static enum st judge_exception(struct recon *rc, struct errbuf *err)
{
    char detail[1536];
    struct buf top;
    struct exc_new e = {.shop = rc->shop, .type = DRIFT_EXCEPTION_TYPE, .team = "ecommerce",
                        .subject_kind = "inventory", .subject = "drift", .detail = detail,
                        .action = "shopvox has pushed the wanted levels again; find what else "
                                  "changes the store's stock (another app, manual edits, a "
                                  "POS) - `shopvox report inventory` lists the largest drifts"};
    enum st st;

    if (!rc->over)
        return exc_resolve_subject(rc->w->db, rc->shop, DRIFT_EXCEPTION_TYPE, "drift", "shopvox",
                                   "a later reconciliation found drift within the thresholds",
                                   err);
    buf_init(&top, 0);
    for (size_t i = 0; i < rc->top.n && i < 5; i++)
        buf_appendf(&top, "%s%s at %s shown %ld wanted %ld", i ? "; " : "",
                    rc->top.items[i].item_code, rc->top.items[i].location_id,
                    rc->top.items[i].shown, rc->top.items[i].desired);
    snprintf(detail, sizeof(detail),
             "%ld of %ld inventory levels (%.2f %%) showed other than shopvox pushed, %ld units "
             "(%.2f %% of %ld wanted) off; %ld corrected (pushed again); largest: %.900s",
             rc->sum.drifted, rc->sum.checked, drift_drifted_pct(&rc->sum),
             rc->sum.variance_units, drift_variance_pct(&rc->sum), rc->sum.expected_units,
             rc->corrected, buf_cstr(&top));
    buf_cleanup(&top);
    st = exc_raise(rc->w->db, &e, NULL, err);
    return st;
}

/* Step 3: corrections, the sync's plan, the report and the exception in one transaction. */
static enum st apply(struct recon *rc, long long *report_id, struct errbuf *err)
{
    char *top = top_json(&rc->top), *side[2] = {NULL, NULL};
    const char *fixes = json_object_to_json_string_ext(rc->fixes, JSON_C_TO_STRING_PLAIN);
    struct drift_report_row row = {.started_at = rc->started_at, .sum = &rc->sum,
                                   .calls = rc->calls, .top_json = top};
    enum st st = store_cmd(rc->w->db, "BEGIN", err);

    rc->over = drift_exceeds(&rc->sum, rc->w->cfg->inventory_drift_pct,
                             rc->w->cfg->inventory_drift_units);
    if (st == ST_OK) /* the sync's lock first: no read stores or plans meanwhile */
        st = inventory_store_lock(rc->w->db, rc->shop, err);
    if (st == ST_OK && rc->sum.drifted > 0)
        st = drift_store_correct(rc->w->db, rc->shop, fixes, &rc->corrected, err);
    if (st == ST_OK && rc->corrected > 0)
        st = inventory_queue_pushes(rc->w, &rc->queued, err);
    if (st == ST_OK)
        st = one_side_json(rc, side, err);
    row.corrected = rc->corrected;
    row.over_threshold = rc->over;
    row.peoplevox_only_json = side[0];
    row.shopline_only_json = side[1];
    if (st == ST_OK)
        st = drift_store_save(rc->w->db, rc->shop, &row, report_id, err);
    if (st == ST_OK)
        st = judge_exception(rc, err);
    if (st == ST_OK)
        st = store_cmd(rc->w->db, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(rc->w->db);
    free(top);
    free(side[0]);
    free(side[1]);
    return st;
}

static void reconcile(struct recon *rc)
{
    char *map_json = inventory_location_map_json(rc->w->cfg);
    struct errbuf perr = {""};
    int64_t started_ms = now_ms_monotonic(), epoch_s = 0;
    long long report_id = 0;

    location_map_parse(&rc->map, rc->w->cfg->location_map, &perr); /* checked at start */
    rc->r->st = store_ensure(rc->w->db, &rc->r->err);
    if (rc->r->st == ST_OK)
        rc->r->st = inventory_store_now(rc->w->db, rc->started_at, sizeof(rc->started_at),
                                        &epoch_s, &rc->r->err);
    if (rc->r->st == ST_OK)
        rc->levels = drift_store_levels(rc->w->db, rc->shop, map_json, &rc->r->st, &rc->r->err);
    if (rc->r->st == ST_OK && PQntuples(rc->levels) > 0 && rc->w->shopline == NULL) {
        errbuf_set(&rc->r->err, "no shopline client (SHOPLINE_ACCESS_TOKEN is not set)");
        rc->r->st = ST_RETRY;
    }
    if (rc->r->st == ST_OK && !read_and_judge(rc))
        goto out;
    if (rc->r->st == ST_OK)
        rc->r->st = apply(rc, &report_id, &rc->r->err);
    if (rc->r->st != ST_OK)
        goto out;
    publish_gauges(rc->sum.drifted, rc->sum.variance_units, (double)now_ms_wall() / 1000.0);
    log_event(rc->over ? LOG_WARN : LOG_INFO, "inventory_reconciled", LOG_I64("report", report_id),
              LOG_I64("checked", rc->sum.checked), LOG_I64("drifted", rc->sum.drifted),
              LOG_I64("corrected", rc->corrected), LOG_I64("queued", rc->queued),
              LOG_I64("pending", rc->sum.pending), LOG_I64("unread", rc->sum.unread),
              LOG_I64("variance_units", rc->sum.variance_units),
              LOG_F64("drifted_pct", drift_drifted_pct(&rc->sum)),
              LOG_I64("calls", rc->calls), "over_threshold", rc->over ? "true" : "false",
              LOG_I64("duration_ms", now_ms_monotonic() - started_ms), NULL);
out:
    free(map_json);
}

void drift_reconcile_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct recon rc;

    drift_describe();
    memset(&rc, 0, sizeof(rc));
    rc.w = w;
    rc.r = r;
    rc.shop = j->shop;
    location_map_init(&rc.map);
    drift_top_init(&rc.top);
    rc.fixes = json_object_new_array();
    reconcile(&rc);
    json_object_put(rc.fixes);
    drift_top_cleanup(&rc.top);
    shopline_levels_cleanup(&rc.shown);
    location_map_cleanup(&rc.map);
    PQclear(rc.levels);
}
