/*
 * inventory_push.c - the set_inventory job: one inventory level of one
 * item at one Shopline location (see inventory_jobs.h for coalescing).
 *
 * The job carries only its key, "ITEM|LOCATION". When it runs it reads
 * the level's wanted value (stock.desired, kept by the reads) and pushes
 * it with inventory_levels/set.json, an absolute value, never an
 * adjustment, so a retry or a duplicate can only set the same number
 * again. After a push the value is recorded as pushed only while it is
 * still the wanted one (compare-and-set); when the reads changed it in
 * the meantime the job pushes the newer value at once (what Shopline
 * shows is then known to differ from the record), up to
 * INVENTORY_PUSH_ROUNDS times, then retries. One live job per key (the
 * queue's unique index) means two replicas never push one level at once.
 *
 * Outcomes (shopvox_inventory_pushes_total{outcome}):
 *   set        pushed and recorded;
 *   unchanged  nothing to push (already the pushed value, or no row);
 *   unmatched  no single variant carries the SKU, or the site is no
 *              longer mapped: nothing to push to (counted, never an error);
 *   refused    Shopline answered 422 (the item is not connected to the
 *              location): one `inventory_unmapped` exception (ecommerce)
 *              per item x location, the value recorded as refused so no
 *              job retries it until the value changes; resolved by the
 *              next successful push of that level;
 *   retried    5xx, a timeout or the value kept changing: the queue's
 *              backoff; a 429 or an empty bucket is a throttled retry
 *              (uncounted, and the limiter told of the 429).
 * Tokens are LOW priority: fulfillments (HIGH) find the budget first.
 */
#include "inventory_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exceptions.h"
#include "inventory.h"
#include "inventory_store.h"
#include "limiter.h"
#include "location_map.h"
#include "log.h"
#include "metrics.h"
#include "shopline.h"
#include "variant_store.h"

#define ITEM_CAP 128
#define ID_CAP 64

struct push {
    struct worker_ctx *w;
    struct job_result *r;
    const char *shop;
    char item[ITEM_CAP];
    char location[ID_CAP];
    char site[LOCATION_MAP_SITE_MAX_BYTES + 1];
    char inventory_item[ID_CAP];      /* "" until looked up */
    bool shown_known;                 /* this job set `shown` in Shopline */
    long shown;
};

static void count(const char *outcome)
{
    char labels[48];

    snprintf(labels, sizeof(labels), "outcome=\"%s\"", outcome);
    metrics_inc("shopvox_inventory_pushes_total", labels);
}

/* The site SHOPVOX_LOCATION_MAP maps to p->location into p->site; false when none. */
static bool find_site(struct push *p)
{
    struct location_map m;
    struct errbuf err = {""};
    bool found = false;

    location_map_init(&m);
    location_map_parse(&m, p->w->cfg->location_map, &err);
    for (size_t i = 0; i < m.n && !found; i++) {
        if (strcmp(m.rows[i].location_id, p->location) == 0) {
            snprintf(p->site, sizeof(p->site), "%s", m.rows[i].site);
            found = true;
        }
    }
    location_map_cleanup(&m);
    return found;
}

/* A LOW-priority Shopline token now; false (r a throttled retry) when none. */
static bool take_token(struct push *p)
{
    int64_t wait_ms = 0;

    if (p->w->limiter == NULL ||
        limiter_take(p->w->limiter, RL_API_SHOPLINE, RL_PRIO_LOW, &wait_ms, &p->r->err) == ST_OK)
        return true;
    if (p->r->err.msg[0] == '\0')
        errbuf_set(&p->r->err, "no low-priority shopline token for %lld ms", (long long)wait_ms);
    p->r->st = ST_RETRY;
    job_result_throttle(p->r, wait_ms);
    return false;
}

/* 422: the item is not connected to the location. Recorded, one exception, done. */
static enum st refuse(struct push *p, long value, const struct shopline_outcome *oc)
{
    char subject[ITEM_CAP + ID_CAP + 2], detail[1536];
    struct exc_new e = {.shop = p->shop, .type = INVENTORY_UNMAPPED_TYPE, .team = "ecommerce",
                        .subject_kind = "sku", .subject = subject, .detail = detail,
                        .action = "Connect the product's inventory item to this location in "
                                  "Shopline (or remove the site from SHOPVOX_LOCATION_MAP); "
                                  "the next stock change pushes it again"};
    enum st st;

    snprintf(subject, sizeof(subject), "%s|%s", p->item, p->location);
    snprintf(detail, sizeof(detail),
             "Shopline refused the inventory level of SKU %s (inventory item %s) at location "
             "%s (Peoplevox site %s), value %ld: %.500s",
             p->item, p->inventory_item, p->location, p->site, value,
             oc->errors[0] ? oc->errors : oc->err.msg);
    st = inventory_store_record_refusal(p->w->db, p->shop, p->item, p->site, value, &p->r->err);
    if (st == ST_OK)
        st = exc_raise(p->w->db, &e, NULL, &p->r->err);
    if (st == ST_OK) {
        count("refused");
        log_event(LOG_WARN, "inventory_refused", "sku", p->item, "location", p->location,
                  "error", e.detail, NULL);
    }
    return st;
}

/* A failed set: 429 is a throttled retry (the limiter is told), 422 refused, else st. */
static void failed(struct push *p, long value, const struct shopline_outcome *oc, enum st st)
{
    if (oc->reason == SHOPLINE_R_INVALID) {
        p->r->st = refuse(p, value, oc);
        return;
    }
    errbuf_set(&p->r->err, "shopline: %s (http %ld, trace %s)", oc->err.msg, oc->http_status,
               oc->trace_id[0] ? oc->trace_id : "-");
    p->r->st = st;
    if (oc->throttled) {
        long after_ms = oc->retry_after_ms > 0 ? oc->retry_after_ms : 0;

        if (p->w->limiter != NULL)
            limiter_note_throttled(p->w->limiter, RL_API_SHOPLINE, after_ms);
        job_result_throttle(p->r, after_ms);
    } else {
        count("retried");
    }
}

/* Pushes value; true when Shopline took it (p->shown), else p->r is filled. */
static bool set_level(struct push *p, long value)
{
    struct shopline_outcome oc;
    enum st st;

    if (p->w->shopline == NULL) {
        errbuf_set(&p->r->err, "no shopline client (SHOPLINE_ACCESS_TOKEN is not set)");
        p->r->st = ST_RETRY;
        return false;
    }
    if (!take_token(p))
        return false;
    st = shopline_set_inventory_level(p->w->shopline, p->w->curl, p->inventory_item, p->location,
                                      value, &oc);
    if (st != ST_OK) {
        failed(p, value, &oc, st);
        return false;
    }
    p->shown_known = true;
    p->shown = value;
    return true;
}

/* The level's inventory item, once; false (p->r done, "unmatched") when there is none. */
static bool find_item(struct push *p)
{
    bool found = false;

    if (p->inventory_item[0] != '\0')
        return true;
    p->r->st = variant_store_inventory_item(p->w->db, p->shop, p->item, p->inventory_item,
                                            sizeof(p->inventory_item), &found, &p->r->err);
    if (p->r->st == ST_OK && !found)
        count("unmatched");
    return p->r->st == ST_OK && found;
}

/* One round: true when the job is finished (p->r says how), false to go round again. */
static bool push_round(struct push *p)
{
    struct inventory_level lv;
    bool recorded = false;

    p->r->st = inventory_store_level(p->w->db, p->shop, p->item, p->site, p->location, &lv,
                                     &p->r->err);
    if (p->r->st != ST_OK)
        return true;
    if (!lv.found || (!p->shown_known && !inventory_should_push(lv.desired, lv.pushed_known,
                                                                lv.pushed))) {
        count("unchanged");
        return true;
    }
    if (!p->shown_known && lv.refused_known && lv.refused == lv.desired) {
        count("unchanged"); /* refused before: waits for a new value */
        return true;
    }
    if (!(p->shown_known && p->shown == lv.desired) &&
        (!find_item(p) || !set_level(p, lv.desired)))
        return true;
    p->r->st = inventory_store_record_push(p->w->db, p->shop, p->item, p->site, p->location,
                                           p->shown, &recorded, &p->r->err);
    if (p->r->st == ST_OK && recorded) {
        char subject[ITEM_CAP + ID_CAP + 2];

        count("set");
        snprintf(subject, sizeof(subject), "%s|%s", p->item, p->location);
        if (lv.refused_known)
            p->r->st = exc_resolve_subject(p->w->db, p->shop, INVENTORY_UNMAPPED_TYPE, subject,
                                           "shopvox", "inventory level set", &p->r->err);
    }
    return p->r->st != ST_OK || recorded;
}

void inventory_push_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct push p = {.w = w, .r = r, .shop = j->shop};

    inventory_metrics_describe();
    if (inventory_job_key_split(j->dedupe_key, p.item, sizeof(p.item), p.location,
                                sizeof(p.location)) != 0) {
        errbuf_set(&r->err, "set_inventory key '%s' is not ITEM|LOCATION", j->dedupe_key);
        r->st = ST_FAIL;
        return;
    }
    if (!find_site(&p)) {
        count("unmatched"); /* the location left SHOPVOX_LOCATION_MAP since it was queued */
        r->st = ST_OK;
        return;
    }
    r->st = store_ensure(w->db, &r->err);
    for (int round = 0; r->st == ST_OK && round < INVENTORY_PUSH_ROUNDS; round++)
        if (push_round(&p))
            return;
    if (r->st == ST_OK) {
        errbuf_set(&r->err, "the wanted level of %s at %s kept changing while it was pushed",
                   p.item, p.location);
        r->st = ST_RETRY;
        r->retry_delay_ms = 1000;
        count("retried");
    }
}
