/*
 * sales_order_decide.c - Tx1 of post_sales_order: everything decided about
 * an order before Peoplevox is called, in one transaction committed before
 * any network call.
 *
 *   Tx1  lock the order; only 'ready', 'on_hold' (a re-check) or
 *        'not_for_warehouse' (its lines changed) go on. First: does it
 *        have anything to ship (order_content_of)? If not, and no earlier
 *        attempt may have posted it, it becomes 'not_for_warehouse' and the
 *        job is done: Peoplevox is never called for a Sales Order without
 *        item rows. An EMPTY paid order (no lines, every quantity 0) also
 *        opens one `empty_order` exception for ecommerce; an order of only
 *        non-shipping lines (digital goods, gift cards) does not. Then
 *        SKU integrity, site routing and the Sales Order number are decided
 *        here from rows loaded for this order; any problem puts the order
 *        on hold with one open exception and the job is done. Otherwise the
 *        number and site are stored, post_started_at is set (if it was not
 *        already) and the transaction commits.
 *
 * Decisions:
 *  - A previous attempt's number and site win over a fresh computation
 *    while the Sales Order may exist (stock routing can change between
 *    attempts); only when Peoplevox says it does not exist is the fresh site
 *    used (see so_look_absent in sales_order_look.c).
 *  - A hold names one exception; when the order is held again for a later
 *    check, the exceptions of the earlier checks (which now pass) resolve,
 *    and history is written only when the hold is new or its reason changed.
 *  - A cancelled order whose post may have reached Peoplevox (started, not
 *    known sent) gets a cancel_sales_order job here, as Tx2 does for a post
 *    that races the cancellation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue_store.h"
#include "exceptions.h"
#include "order_store.h"
#include "routing_store.h"
#include "sales_order_int.h"

#define SO_DETAIL_MAX_BYTES 1024

/* ---- holds and exceptions ---- */

/* The checks before the network, in pipeline order, then the network's. */
static const char *const so_exception_types[] = {
    "unknown_sku", "unroutable", "order_number_too_long", "order_number_taken",
    "peoplevox_rejected", "sales_order_conflict",
};
#define SO_PRE_NETWORK_TYPES 4

static enum st so_resolve(struct so_ctx *x, size_t first, size_t end, const char *skip,
                          const char *resolution)
{
    enum st st = ST_OK;

    for (size_t i = first; i < end && st == ST_OK; i++) {
        if (skip != NULL && strcmp(skip, so_exception_types[i]) == 0)
            continue;
        st = exc_resolve_subject(x->w->db, x->order.shop, so_exception_types[i], x->order.name,
                                 SO_BY, resolution, x->err);
    }
    return st;
}

enum st so_resolve_all(struct so_ctx *x, const char *resolution)
{
    return so_resolve(x, 0, ARRAY_LEN(so_exception_types), NULL, resolution);
}

static enum st so_event(struct so_ctx *x, const char *from, const char *to, const char *event,
                        const char *detail)
{
    return order_store_event(x->w->db, x->order_id, from, to, event, detail, x->err);
}

/*
 * Puts the locked order on hold (inside the open transaction): state,
 * reason, one exception, history when the hold is new or its reason
 * changed, and resolves exceptions of checks that now pass.
 */
static enum st so_hold(struct so_ctx *x, const char *cur_state, const char *cur_reason,
                       const struct so_hold *h)
{
    struct exc_new e = {x->order.shop, h->type, h->team, "order", x->order.name, x->order_id,
                        h->detail, h->action};
    size_t stage = SO_PRE_NETWORK_TYPES;
    char *ev;
    enum st st;

    for (size_t i = 0; i < SO_PRE_NETWORK_TYPES; i++) {
        if (strcmp(so_exception_types[i], h->type) == 0)
            stage = i;
    }
    st = order_store_hold(x->w->db, x->order_id, h->reason, x->err);
    if (st == ST_OK)
        st = exc_raise(x->w->db, &e, NULL, x->err);
    if (st == ST_OK && (strcmp(cur_state, "on_hold") != 0 || cur_reason == NULL ||
                        strcmp(cur_reason, h->reason) != 0)) {
        ev = xasprintf("%s: %s", h->type, h->detail);
        st = so_event(x, cur_state, strcmp(cur_state, "cancelled") == 0 ? "cancelled" : "on_hold",
                      "held", ev);
        free(ev);
    }
    if (st == ST_OK)
        st = so_resolve(x, 0, stage, h->type, "check passed on re-check");
    return st;
}

enum st so_hold_tx(struct so_ctx *x, const struct so_hold *h)
{
    struct order_store_state cur;
    bool found = false;
    enum st st = store_cmd(x->w->db, "BEGIN", x->err);

    if (st == ST_OK)
        st = order_store_lock_state(x->w->db, x->order_id, &cur, &found, x->err);
    if (st == ST_OK && found)
        st = so_hold(x, cur.state, cur.held ? cur.hold_reason : NULL, h);
    if (st == ST_OK)
        st = store_cmd(x->w->db, "COMMIT", x->err);
    if (st != ST_OK)
        store_rollback(x->w->db);
    return st;
}

/* ---- the checks ---- */

static enum st so_load_lines(struct so_ctx *x)
{
    enum st st = order_store_load_lines(x->w->db, x->order_id, &x->lines, x->err);

    if (st == ST_OK)
        so_lines_number(&x->lines);
    return st;
}

static enum st so_check_skus(struct so_ctx *x)
{
    struct catalogue_store_snapshot cat = {NULL, NULL};
    struct sku_lookup lk = catalogue_store_lookup(&cat);
    enum st st = catalogue_store_load_for_order(x->w->db, x->order.shop, x->order_id, &cat,
                                                x->err);

    if (st == ST_OK)
        sku_check_order(x->lines.lines, x->lines.n, &lk, &x->chk);
    catalogue_store_snapshot_cleanup(&cat);
    return st;
}

/* Decides the site into x->site; *routed false when no site fits. */
static enum st so_route(struct so_ctx *x, bool *routed)
{
    struct routing_store_stock stock = {NULL};
    struct routing_stock sl = routing_store_stock_lookup(&stock);
    struct routing_rules rules;
    struct routing_line *rl = NULL;
    struct routing_input in = {x->order.location_id, x->order.country_code, NULL, 0};
    struct routing_result rr;
    enum st st;

    routing_rules_init(&rules);
    st = routing_store_load(x->w->db, x->order.shop, &rules, x->err);
    if (st == ST_OK)
        st = routing_store_load_stock(x->w->db, x->order.shop, x->order_id, &stock, x->err);
    if (st != ST_OK)
        goto out;
    rl = xcalloc(x->lines.n > 0 ? x->lines.n : 1, sizeof(*rl));
    for (size_t i = 0; i < x->lines.n; i++) {
        if (x->chk.item_codes == NULL || x->chk.item_codes[i] == NULL)
            continue;
        rl[in.n_lines].item_code = x->chk.item_codes[i];
        rl[in.n_lines++].quantity = x->lines.lines[i].quantity;
    }
    in.lines = rl;
    *routed = routing_decide(rules.rules, rules.n, &in, &sl, x->w->cfg->pvx_default_site, &rr);
    snprintf(x->route_reason, sizeof(x->route_reason), "%s", rr.reason);
    if (*routed)
        snprintf(x->site, sizeof(x->site), "%s", rr.site);
out:
    free(rl);
    routing_rules_cleanup(&rules);
    routing_store_stock_cleanup(&stock);
    return st;
}

static enum st so_check_number(struct so_ctx *x, const char *state, const char *reason,
                               bool *ok)
{
    const char *prefix = x->w->cfg->order_prefix;
    const char *name = x->order.name;
    char detail[512], other[256];
    struct so_hold h = {"order_number", NULL, "ops", detail, NULL};
    bool taken = false;
    enum st st;

    *ok = false;
    if (x->post_started && x->order.so_number != NULL) {
        snprintf(x->so_number, sizeof(x->so_number), "%s", x->order.so_number);
    } else if (so_number_make(prefix, name, x->so_number, sizeof(x->so_number)) != 0) {
        snprintf(detail, sizeof(detail),
                 "Sales Order number for order %s would be '%s' + '%s' without '#', which is "
                 "empty, holds control characters or is longer than %d bytes (Peoplevox "
                 "limit); it is never truncated",
                 name, prefix != NULL ? prefix : "", name, SO_NUMBER_MAX_BYTES);
        h.type = "order_number_too_long";
        h.action = "Shorten SHOPVOX_ORDER_PREFIX (or create the Sales Order in Peoplevox by "
                   "hand), then retry the order's post_sales_order job";
        return so_hold(x, state, reason, &h);
    }
    st = order_store_number_owner(x->w->db, x->so_number, x->order_id, other, sizeof(other),
                                  &taken, x->err);
    if (st != ST_OK)
        return st;
    if (taken) {
        snprintf(detail, sizeof(detail),
                 "Sales Order number %s for order %s is already used by order %.100s",
                 x->so_number, name, other);
        h.type = "order_number_taken";
        h.action = "Set a distinct SHOPVOX_ORDER_PREFIX per shop, then retry the order";
        st = so_hold(x, state, reason, &h);
    } else {
        *ok = true;
    }
    return st;
}

/* Stores number and site, marks the post as started, lifts a hold. */
static enum st so_mark_posting(struct so_ctx *x, const char *state)
{
    const char *site = x->prev_site[0] != '\0' ? x->prev_site : x->site;
    char detail[ROUTING_REASON_MAX + ROUTING_SITE_MAX_BYTES + 160];
    enum st st = order_store_mark_posting(x->w->db, x->order_id, x->so_number, site, x->err);

    if (st == ST_OK && strcmp(state, "on_hold") == 0)
        st = so_event(x, "on_hold", "ready", "released", "re-check passed");
    if (st == ST_OK && strcmp(state, "not_for_warehouse") == 0)
        st = so_event(x, "not_for_warehouse", "ready", "lines_to_ship",
                      "the order has lines to ship now");

    if (st == ST_OK && !x->post_started) {
        snprintf(detail, sizeof(detail), "posting Sales Order %s to site %s: %s", x->so_number,
                 site, x->route_reason);
        st = so_event(x, NULL, NULL, "posting", detail);
    }
    return st;
}

/*
 * The locked order has nothing to ship: state not_for_warehouse (history
 * when it changes), any hold's exceptions resolved, and an empty_order
 * exception only for an EMPTY order (resolved when it is not empty any more).
 */
static enum st so_not_for_warehouse(struct so_ctx *x, const char *state,
                                    enum order_content content)
{
    char detail[256];
    struct exc_new e = {x->order.shop, "empty_order", "ecommerce", "order", x->order.name,
                        x->order_id, detail,
                        "Check the order in SHOPLINE: add the missing items (the update sends "
                        "it to the warehouse) or refund and cancel it, then resolve this "
                        "exception"};
    enum st st;

    if (content == ORDER_CONTENT_EMPTY)
        snprintf(detail, sizeof(detail),
                 "paid order %s has %s: nothing was sent to Peoplevox", x->order.name,
                 x->lines.n == 0 ? "no line items" : "a quantity of 0 on every line");
    else
        snprintf(detail, sizeof(detail),
                 "no line of paid order %s requires shipping (digital goods, gift cards): "
                 "not for the warehouse", x->order.name);
    st = order_store_not_for_warehouse(x->w->db, x->order_id, x->err);
    if (st == ST_OK && strcmp(state, "not_for_warehouse") != 0)
        st = so_event(x, state, "not_for_warehouse", "not_for_warehouse", detail);
    if (st == ST_OK && content == ORDER_CONTENT_EMPTY)
        st = exc_raise(x->w->db, &e, NULL, x->err);
    else if (st == ST_OK)
        st = exc_resolve_subject(x->w->db, x->order.shop, "empty_order", x->order.name, SO_BY,
                                 "nothing to ship, but not empty any more", x->err);
    if (st == ST_OK)
        st = so_resolve(x, 0, SO_PRE_NETWORK_TYPES, NULL, "the order has nothing to ship");
    x->not_for_warehouse = true;
    return st;
}

/*
 * Unknown SKUs seen for the first time on this order (not a re-check of a
 * hold, not after a lookup): before holding, make sure Peoplevox really
 * lacks the item. Syntax problems (too long, control characters ...) need
 * no lookup.
 */
static bool so_unknown_first_seen(const struct so_ctx *x, const char *state)
{
    if (x->looked_up || strcmp(state, "on_hold") == 0)
        return false;
    for (size_t i = 0; i < x->chk.n_issues; i++)
        if (x->chk.issues[i].problem == SKU_UNKNOWN)
            return true;
    return false;
}

/*
 * Everything Tx1 decides once the order row is locked and loaded.
 *
 * An unknown SKU holds the order only when Peoplevox is known to lack the
 * item. Before the first catalogue sync ever completed (a new install, or
 * Peoplevox down at start) nothing is known: the order waits (an uncounted
 * retry), so an outage never floods the exception queue with false SKU
 * errors. After it, a SKU unknown to the local catalogue is looked up in
 * Peoplevox directly (GetData on the item code) the first time an order
 * meets it, since the item may have been created since the last sync: a
 * found item joins the catalogue and the order goes on, a lookup that
 * fails is a retry, and only a confirmed absence holds the order.
 * Re-checks of held orders (after a sync or a mapping) trust the catalogue.
 */
static enum st so_decide(struct so_ctx *x, const char *state, bool *post)
{
    const char *reason = x->order.hold_reason;
    struct so_hold h = {NULL, NULL, NULL, NULL, NULL};
    enum order_content content;
    char *detail = NULL;
    bool routed = false;
    bool ok = false;
    enum st st;

    *post = false;
    st = so_load_lines(x);
    if (st != ST_OK)
        return st;
    content = order_content_of(x->lines.lines, x->lines.n);
    if (content != ORDER_CONTENT_SHIPPABLE && !x->post_started)
        return so_not_for_warehouse(x, state, content);
    if (strcmp(state, "not_for_warehouse") == 0)
        st = exc_resolve_subject(x->w->db, x->order.shop, "empty_order", x->order.name, SO_BY,
                                 "the order has lines to ship now", x->err);
    if (st == ST_OK)
        st = so_check_skus(x);
    if (st != ST_OK)
        return st;
    if (x->chk.n_issues > 0 && so_unknown_first_seen(x, state)) {
        bool synced = false;

        /* Hold only when Peoplevox is known to lack the item (see so_decide's note). */
        st = catalogue_store_synced(x->w->db, x->order.shop, &synced, x->err);
        x->wait_catalogue = st == ST_OK && !synced;
        x->lookup_unknown = st == ST_OK && synced;
        return st;
    }
    if (x->chk.n_issues > 0) {
        detail = sku_format_detail(&x->chk, SO_DETAIL_MAX_BYTES);
        h = (struct so_hold){"sku", "unknown_sku", "ecommerce", detail,
                             "Create the item in Peoplevox (the catalogue sync re-checks held "
                             "orders), or map the SKU: shopvox sku map SKU ITEM_CODE"};
        st = so_hold(x, state, reason, &h);
        free(detail);
        x->held = "unknown_sku";
        return st;
    }
    st = order_store_save_lines(x->w->db, x->order_id, &x->lines, x->chk.item_codes, x->err);
    if (st == ST_OK)
        st = so_route(x, &routed);
    if (st != ST_OK)
        return st;
    if (!routed) {
        h = (struct so_hold){"routing", "unroutable", "ops", x->route_reason,
                             "Add a routing rule (location, country, stock or default) or set "
                             "PEOPLEVOX_DEFAULT_SITE, then retry the order"};
        st = so_hold(x, state, reason, &h);
        x->held = "unroutable";
        return st;
    }
    st = so_check_number(x, state, reason, &ok);
    if (st != ST_OK || !ok) {
        x->held = "order_number";
        return st;
    }
    st = so_mark_posting(x, state);
    *post = st == ST_OK;
    return st;
}

/* The order's state allows a post attempt (a re-check of a hold, or lines to ship now). */
static bool so_state_postable(const char *state)
{
    return strcmp(state, "ready") == 0 || strcmp(state, "on_hold") == 0 ||
           strcmp(state, "not_for_warehouse") == 0;
}

/* Logs what Tx1 decided, once it committed. */
static void so_decide_log(const struct so_ctx *x, const char *skipped)
{
    if (x->held != NULL) {
        so_log(LOG_WARN, x, "held", x->held);
        so_count("shopvox_sales_orders_total", "held");
    } else if (x->not_for_warehouse) {
        so_log(LOG_INFO, x, "not_for_warehouse", "nothing to ship");
        so_count("shopvox_sales_orders_total", "not_for_warehouse");
    } else if (skipped != NULL) {
        so_log(LOG_INFO, x, "skipped", skipped);
    }
}

enum st so_decide_tx(struct so_ctx *x, bool *post)
{
    const char *skipped = NULL;
    const char *state;
    bool found = false;
    enum st st;

    *post = false;
    st = store_cmd(x->w->db, "BEGIN", x->err);
    if (st != ST_OK)
        return st;
    st = order_store_lock_for_post(x->w->db, x->order_id, &x->order, &found, x->err);
    if (st != ST_OK)
        goto out;
    if (!found) {
        log_event(LOG_WARN, "sales_order", "outcome", "skipped", "order_id", x->order_id, "reason",
                  "not_found", NULL);
        goto commit;
    }
    state = x->order.state;
    x->post_started = x->order.post_started;
    if (x->post_started && x->order.site != NULL)
        snprintf(x->prev_site, sizeof(x->prev_site), "%s", x->order.site);
    if (so_state_postable(state)) {
        st = so_decide(x, state, post);
    } else {
        if (strcmp(state, "cancelled") == 0 && x->post_started && !x->order.sent)
            st = so_enqueue_cancel(x);
        skipped = state;
    }
commit:
    if (st == ST_OK)
        st = store_cmd(x->w->db, "COMMIT", x->err);
    if (st == ST_OK)
        so_decide_log(x, skipped);
out:
    if (st != ST_OK) {
        store_rollback(x->w->db);
        *post = false;
    }
    return st;
}
