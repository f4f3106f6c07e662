/*
 * variants.c - the Shopline catalogue mirror (see variants.h).
 *
 * A sync downloads every products page first (no transaction is held open
 * across the network), then applies the whole catalogue in ONE
 * transaction, so the inventory sync sees either the old variants or the
 * new ones:
 *
 *   1. each page takes a NORMAL-priority "shopline" token (fulfillments
 *      are HIGH and go first; inventory pushes are LOW and go after). A
 *      wait up to VARIANTS_TOKEN_SLEEP_MAX_MS is slept: a reschedule would
 *      throw the pages read away. A longer one, or a 429, reschedules the
 *      job as throttled (the attempt is not counted);
 *   2. a transaction-scoped advisory lock per shop serialises syncs;
 *   3. variant_store_replace: new and changed rows written, rows whose
 *      variant is no longer in Shopline deleted (only here, after a
 *      complete read: a failed page never deletes anything);
 *   4. one duplicate_sku exception (owner ecommerce) per SKU on two or more
 *      variants, naming them: the inventory sync never guesses which one
 *      shows the stock (variant_store answers "not found" for it); open
 *      ones whose SKU is unique again (or gone) are resolved.
 *
 * Variants without a SKU are not stored and are counted in the log.
 *
 * One guard, as for the Peoplevox catalogue: an answer with no products at
 * all while variants are stored would stop every inventory push. That is
 * likelier a wrong store or API scope than a store that removed every
 * product, so it is refused (ST_FAIL: the job goes dead with an exception;
 * the next scheduled sync tries again).
 */
#include "variants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exceptions.h"
#include "jobs.h"
#include "limiter.h"
#include "log.h"
#include "shopline.h"
#include "variant_store.h"

#define VARIANTS_TOKEN_SLEEP_MAX_MS 5000
#define VARIANTS_EXC_SCAN_LIMIT 10000   /* open duplicate_sku exceptions looked at per sync */
#define VARIANTS_EXC_MAX_AGE_S (10 * 365 * 86400)

enum st variants_sync_enqueue(struct store_conn *c, const char *shop, bool *created,
                              struct errbuf *err)
{
    return job_enqueue(c, shop, VARIANTS_SYNC_KIND, VARIANTS_SYNC_KEY, "{}", 0, created, err);
}

/* ---- the download ---- */

/* A failed page: a 429 is a throttled retry (the limiter is told), else r->st is st. */
static void variants_note_failure(struct worker_ctx *w, const struct shopline_outcome *oc,
                                  enum st st, size_t page, struct job_result *r)
{
    errbuf_set(&r->err, "products page %zu: shopline: %s (http %ld, trace %s)", page + 1,
               oc->err.msg, oc->http_status, oc->trace_id[0] ? oc->trace_id : "-");
    r->st = st;
    if (oc->throttled) {
        long after_ms = oc->retry_after_ms > 0 ? oc->retry_after_ms : 0;

        if (w->limiter != NULL)
            limiter_note_throttled(w->limiter, RL_API_SHOPLINE, after_ms);
        job_result_throttle(r, after_ms);
    }
}

/* Every page into *out; false with r filled (a retry, throttled or not, or a failure). */
static bool variants_download(struct worker_ctx *w, struct shopline_variants *out,
                              size_t *pages, struct job_result *r)
{
    struct shopline_outcome oc;
    char *cursor = NULL, *next = NULL;
    enum st st;

    for (*pages = 0;; (*pages)++) {
        if (!job_take_token(w, RL_API_SHOPLINE, RL_PRIO_NORMAL, VARIANTS_TOKEN_SLEEP_MAX_MS,
                            "products page", r))
            break;
        memset(&oc, 0, sizeof(oc));
        st = shopline_get_products(w->shopline, w->curl, SHOPLINE_MAX_PRODUCTS_PAGE, cursor,
                                   false, out, &next, &oc);
        free(cursor);
        cursor = next;
        next = NULL;
        if (st != ST_OK) {
            variants_note_failure(w, &oc, st, *pages, r);
            break;
        }
        if (out->n > VARIANTS_MAX) {
            errbuf_set(&r->err, "the store has more than %d variants", VARIANTS_MAX);
            r->st = ST_FAIL;
            break;
        }
        if (cursor == NULL) {
            (*pages)++;
            return true;
        }
    }
    free(cursor);
    return false;
}

/* ---- the database part ---- */

struct variants_counts {
    struct variant_store_changes changes;
    long duplicates;     /* SKUs on two or more variants */
    long resolved;       /* duplicate_sku exceptions resolved by this sync */
};

static enum st variants_raise_duplicate(struct store_conn *c, const char *shop, const char *sku,
                                        const char *ids, const char *n, struct errbuf *err)
{
    char detail[640];
    struct exc_new e = {shop, VARIANTS_EXC_DUPLICATE, "ecommerce", "sku", sku, NULL, detail,
                        "Give each of these Shopline variants its own SKU (or delete the extra "
                        "variant); the exception resolves itself at the next catalogue sync"};

    snprintf(detail, sizeof(detail),
             "SKU %.100s is on %s Shopline variants (%.300s); shopvox does not push its stock "
             "while it cannot tell which variant's inventory item shows it",
             sku, n, ids);
    return exc_raise(c, &e, NULL, err);
}

/* Whether sku is one of the duplicated SKUs (rows of variant_store_duplicates, by sku). */
static bool variants_is_duplicate(PGresult *dups, const char *sku)
{
    int lo = 0, hi = PQntuples(dups) - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int cmp = strcmp(PQgetvalue(dups, mid, 0), sku);

        if (cmp == 0)
            return true;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return false;
}

/* Opens one exception per duplicated SKU, resolves the open ones that are not any more. */
static enum st variants_check_duplicates(struct store_conn *c, const char *shop,
                                         struct variants_counts *n, struct errbuf *err)
{
    PGresult *dups = NULL, *open = NULL;
    enum st st;
    int i;

    dups = variant_store_duplicates(c, shop, &st, err);
    for (i = 0; st == ST_OK && i < PQntuples(dups); i++)
        st = variants_raise_duplicate(c, shop, PQgetvalue(dups, i, 0), PQgetvalue(dups, i, 1),
                                      PQgetvalue(dups, i, 2), err);
    if (st == ST_OK)
        open = exc_open_subjects(c, shop, VARIANTS_EXC_DUPLICATE, VARIANTS_EXC_MAX_AGE_S,
                                 VARIANTS_EXC_SCAN_LIMIT, &st, err);
    for (i = 0; st == ST_OK && i < PQntuples(open); i++) {
        if (variants_is_duplicate(dups, PQgetvalue(open, i, 0)))
            continue;
        st = exc_resolve_subject(c, shop, VARIANTS_EXC_DUPLICATE, PQgetvalue(open, i, 0),
                                 "shopvox", "the SKU is on one variant (or none) now", err);
        n->resolved++;
    }
    if (st == ST_OK)
        n->duplicates = PQntuples(dups);
    PQclear(dups);
    PQclear(open);
    return st;
}

/* Everything after the download, inside the caller's open transaction. */
static enum st variants_apply(struct store_conn *c, const char *shop,
                              const struct shopline_variants *v, struct variants_counts *n,
                              struct errbuf *err)
{
    enum st st = variant_store_lock(c, shop, err);

    if (st == ST_OK)
        st = variant_store_replace(c, shop, v->items, v->n, &n->changes, err);
    if (st == ST_OK && v->n == 0 && n->changes.removed > 0) {
        errbuf_set(err, "shopline returned no products; refusing to forget all %ld variants of "
                   "%s (check the store and the token's products scope)",
                   n->changes.removed, shop);
        st = ST_FAIL;
    }
    if (st == ST_OK)
        st = variants_check_duplicates(c, shop, n, err);
    return st;
}

static enum st variants_store(struct store_conn *c, const char *shop,
                              const struct shopline_variants *v, struct variants_counts *n,
                              struct errbuf *err)
{
    enum st st = store_ensure(c, err);

    if (st == ST_OK)
        st = store_cmd(c, "BEGIN", err);
    if (st != ST_OK)
        return st;
    st = variants_apply(c, shop, v, n, err);
    if (st == ST_OK)
        st = store_cmd(c, "COMMIT", err);
    if (st != ST_OK)
        store_rollback(c);
    return st;
}

void variants_sync_handler(struct worker_ctx *w, const struct job *j, struct job_result *r)
{
    const char *shop = w->cfg->shop_domain;
    int64_t started_ms = now_ms_monotonic();
    struct shopline_variants v = {NULL, 0, 0};
    struct variants_counts n;
    size_t pages = 0;

    (void)j;
    memset(&n, 0, sizeof(n));
    r->st = ST_OK;
    if (w->shopline == NULL) {
        errbuf_set(&r->err, "no shopline client (SHOPLINE_ACCESS_TOKEN not set)");
        r->st = ST_FAIL;
        return;
    }
    if (!variants_download(w, &v, &pages, r))
        goto out;
    r->st = variants_store(w->db, shop, &v, &n, &r->err);
    if (r->st != ST_OK)
        goto out;
    log_event(LOG_INFO, "variants_synced", "shop", shop, LOG_I64("pages", pages),
              LOG_I64("variants", v.n), LOG_I64("new", n.changes.created),
              LOG_I64("changed", n.changes.changed), LOG_I64("removed", n.changes.removed),
              LOG_I64("without_sku", n.changes.no_sku), LOG_I64("duplicate_skus", n.duplicates),
              LOG_I64("duplicates_resolved", n.resolved),
              LOG_I64("duration_ms", now_ms_monotonic() - started_ms), NULL);
out:
    shopline_variants_cleanup(&v);
}
