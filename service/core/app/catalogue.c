/*
 * catalogue.c - the Peoplevox item catalogue mirror (see catalogue.h).
 *
 * A sync downloads every `Item types` page first (no transaction is held
 * open across the network), then applies the whole catalogue in ONE
 * transaction, so readers (the SKU check before posting) see either the
 * old catalogue or the new one, never half of each:
 *
 *   1. a transaction-scoped advisory lock per shop serialises syncs (two
 *      replicas, or a scheduled sync racing an on-demand one);
 *   2. the rows are upserted in chunks of JSON (json_to_recordset), one
 *      statement per chunk instead of one per item; each statement also
 *      counts, against the rows as they were before it, which items are
 *      new, reactivated or deactivated;
 *   3. items this sync did not touch (synced_at is not this transaction's
 *      now()) are no longer in Peoplevox: they become inactive, never
 *      deleted, since orders and mappings may still name them;
 *   4. the cursor row records when and how many;
 *   5. held orders (SKU or routing holds) are re-queued in the same
 *      transaction, after EVERY sync and not only when an item became
 *      active: a post job that read the old catalogue just before this sync
 *      committed holds its order after the sync's check, and nothing else
 *      would ever look at it again. The re-check also covers `ready`
 *      orders whose post job is running at that moment (it may be reading
 *      the old catalogue right now): job_enqueue marks a running job to
 *      run once more, so the request is never lost to the running attempt.
 *
 * One guard: an answer with no item types at all would deactivate the
 * whole catalogue and hold every order. That is far likelier to be a
 * tenant or permission problem than a warehouse that sold its last item
 * type, so it is refused (ST_FAIL: the job goes dead with an exception).
 *
 * The table-to-rows mapping is pure and unit-tested (catalogue_items.c);
 * the statements are in catalogue_store.c; the rest is glue.
 */
#include "catalogue.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalogue_store.h"
#include "log.h"
#include "metrics.h"
#include "order_store.h"


/* ---- the database part ---- */

struct sync_counts {
    struct catalogue_store_changes changes; /* new, now active (may release held orders),
                                               deactivated (flagged or gone) */
    long active;         /* catalogue totals after the sync */
    long inactive;
    int requeued;        /* held orders given a new post_sales_order job */
};

/* Items this sync did not see are gone from Peoplevox: inactive, kept. */
static enum st deactivate_missing(struct store_conn *c, const char *shop, size_t seen,
                                  struct sync_counts *n, struct errbuf *err)
{
    long gone = 0;
    enum st st = catalogue_store_deactivate_unsynced(c, shop, &gone, err);

    if (st != ST_OK)
        return st;
    if (seen == 0 && gone > 0) {
        errbuf_set(err,
                   "peoplevox returned no item types; refusing to deactivate all %ld active "
                   "items of %s (check the API user's access to '" CATALOGUE_TEMPLATE "')",
                   gone, shop);
        return ST_FAIL;
    }
    n->changes.deactivated += gone;
    return ST_OK;
}

/* Everything after the download, inside the caller's open transaction. */
static enum st apply_catalogue(struct store_conn *c, const char *shop,
                               const struct catalogue_items *items, struct sync_counts *n,
                               struct errbuf *err)
{
    enum st st = catalogue_store_lock(c, shop, err);

    if (st == ST_OK)
        st = catalogue_store_upsert(c, shop, items->items, items->n, &n->changes, err);
    if (st == ST_OK)
        st = deactivate_missing(c, shop, items->n, n, err);
    if (st == ST_OK)
        st = catalogue_store_totals(c, shop, &n->active, &n->inactive, err);
    if (st == ST_OK)
        st = catalogue_store_mark_synced(c, shop, items->n, err);
    if (st == ST_OK)
        st = catalogue_recheck_held(c, shop, &n->requeued, err);
    return st;
}

static void publish(const char *shop, const struct catalogue_items *items,
                    const struct sync_counts *n, int64_t started_ms)
{
    metrics_describe("shopvox_catalogue_items", MET_GAUGE,
                     "Peoplevox item types mirrored locally, by state");
    metrics_describe("shopvox_catalogue_last_sync_timestamp_seconds", MET_GAUGE,
                     "Unix time of the last successful catalogue sync");
    metrics_set("shopvox_catalogue_items", "state=\"active\"", (double)n->active);
    metrics_set("shopvox_catalogue_items", "state=\"inactive\"", (double)n->inactive);
    metrics_set("shopvox_catalogue_last_sync_timestamp_seconds", "", (double)now_ms_wall() / 1000.0);
    log_event(LOG_INFO, "catalogue_synced", "shop", shop, LOG_I64("total", items->n),
              LOG_I64("new", n->changes.created), LOG_I64("deactivated", n->changes.deactivated),
              LOG_I64("now_active", n->changes.now_active), LOG_I64("active", n->active),
              LOG_I64("inactive", n->inactive), LOG_I64("held_requeued", n->requeued),
              LOG_I64("skipped_empty", items->skipped_empty),
              LOG_I64("duplicates", items->duplicates),
              LOG_I64("duration_ms", now_ms_monotonic() - started_ms), NULL);
}

/* One sync; *oc describes the download (throttled: the caller reschedules). */
static enum st catalogue_sync_handler_run(struct worker_ctx *w, struct pvx_outcome *oc,
                                          struct errbuf *err)
{
    const char *shop = w->cfg->shop_domain;
    int64_t started_ms = now_ms_monotonic();
    struct csv_table t = {0, NULL};
    struct catalogue_items items = {NULL, 0, 0, 0};
    struct sync_counts n = {{0, 0, 0}, 0, 0, 0};
    enum st st;

    st = pvx_get_data_all(w->pvx, w->curl, CATALOGUE_TEMPLATE, NULL, PVX_MAX_PAGE_ITEMS,
                          CATALOGUE_MAX_ITEMS, &t, oc);
    if (st != ST_OK) {
        errbuf_set(err, "could not download '" CATALOGUE_TEMPLATE "' from peoplevox: %s",
                   oc->err.msg);
        goto out;
    }
    st = catalogue_items_from_table(&t, &items, err);
    if (st == ST_OK)
        st = store_ensure(w->db, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "BEGIN", err);
    if (st != ST_OK)
        goto out;
    st = apply_catalogue(w->db, shop, &items, &n, err);
    if (st == ST_OK)
        st = store_cmd(w->db, "COMMIT", err);
    if (st != ST_OK) {
        store_rollback(w->db);
        goto out;
    }
    publish(shop, &items, &n, started_ms);
out:
    catalogue_items_cleanup(&items);
    csv_table_cleanup(&t);
    return st;
}

void catalogue_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    struct pvx_outcome oc;

    memset(&oc, 0, sizeof(oc));
    r->st = catalogue_sync_handler_run(w, &oc, &r->err);
    if (r->st == ST_RETRY && oc.throttled)
        job_result_throttle(r, oc.retry_after_ms);
}

/* ---- held orders ---- */

enum st catalogue_recheck_held(struct store_conn *c, const char *shop, int *enqueued,
                               struct errbuf *err)
{
    long long *ids = NULL;
    size_t n = 0;
    enum st st = order_store_recheck_candidates(c, shop, &ids, &n, err);

    *enqueued = 0;
    for (size_t i = 0; i < n && st == ST_OK; i++) {
        char id[24], payload[64];
        bool created = false;

        snprintf(id, sizeof(id), "%lld", ids[i]);
        snprintf(payload, sizeof(payload), "{\"order_id\": %s}", id);
        st = job_enqueue(c, shop, "post_sales_order", id, payload, 0, &created, err);
        if (st == ST_OK && created)
            (*enqueued)++;
    }
    free(ids);
    return st;
}
